/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-rng (virtio 1.2, 5.4): fills the driver's buffers from the host's
 * getrandom(), inline on the vCPU thread that kicked the queue.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include "devices/virtio.h"

#define RNG_QUEUE_SIZE		64
#define RNG_MAX_IOV		16
/* Bounds the time one kick spends; the used length tells the driver. */
#define RNG_MAX_FILL		65536

struct virtio_rng {
	struct virtio_device vdev;
};

static size_t rng_fill_buf(void *buf, size_t len)
{
	size_t done = 0;
	ssize_t r;

	while (done < len) {
		r = getrandom((char *)buf + done, len - done, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		done += r;
	}
	return done;
}

static size_t rng_fill_chain(const struct virtq_chain *c)
{
	unsigned int i, end = c->nr_readable + c->nr_writable;
	size_t done = 0, len, got;

	/* Readable buffers, if a driver sends any, are not ours to write. */
	for (i = c->nr_readable; i < end && done < RNG_MAX_FILL; i++) {
		len = c->iov[i].iov_len;
		if (len > RNG_MAX_FILL - done)
			len = RNG_MAX_FILL - done;
		got = rng_fill_buf(c->iov[i].iov_base, len);
		done += got;
		if (got < len)
			break;
	}
	return done;
}

static void rng_queue_notify(struct virtio_device *vdev, unsigned int q)
{
	struct virtqueue *vq = &vdev->vqs[q];
	struct iovec iov[RNG_MAX_IOV];
	struct virtq_chain c = { .iov = iov, .max_iov = RNG_MAX_IOV };
	int r;

	while ((r = virtq_pop(vq, &c)) == 1 || r == -E2BIG)
		virtq_push(vq, c.head, r == 1 ? rng_fill_chain(&c) : 0);
	virtio_notify_queue(vdev, q);
}

static const struct virtio_device_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.queue_notify = rng_queue_notify,
};

static void rng_destroy(void *opaque)
{
	struct virtio_rng *rng = opaque;

	virtio_pci_destroy(&rng->vdev);
	virtio_device_cleanup(&rng->vdev);
	free(rng);
}

int virtio_rng_create(struct vmm_vm *vm, struct pci_bus *bus)
{
	struct virtio_rng *rng;
	int ret;

	rng = calloc(1, sizeof(*rng));
	if (!rng)
		return vmm_set_error(vm, -ENOMEM, "virtio-rng: out of memory");
	ret = virtio_device_init(&rng->vdev, vm, &rng_ops,
				 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
				 VIRTIO_BIT(VIRTIO_F_EVENT_IDX),
				 1, RNG_QUEUE_SIZE);
	if (ret)
		goto err_free;
	ret = virtio_pci_create(vm, bus, &rng->vdev);
	if (ret)
		goto err_vdev;
	ret = vmm_device_add(vm, "virtio-rng", rng_destroy, rng);
	if (ret)
		goto err_pci;
	return 0;

err_pci:
	virtio_pci_destroy(&rng->vdev);
err_vdev:
	virtio_device_cleanup(&rng->vdev);
err_free:
	free(rng);
	return ret;
}
