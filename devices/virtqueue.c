/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The transport-independent virtio core: device status and feature
 * negotiation, reset, and split virtqueues.  Every descriptor the guest
 * writes is validated here and nowhere else.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "devices/virtio.h"

#if __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "virtio rings are little-endian; this code reads them natively"
#endif

/* ---- ring accessors: the guest writes these concurrently -------------------- */

static uint16_t *avail_field(const struct virtqueue *vq, unsigned int i)
{
	/* flags, idx, ring[size], used_event */
	return (uint16_t *)vq->avail + i;
}

static uint16_t avail_idx(const struct virtqueue *vq)
{
	return __atomic_load_n(avail_field(vq, 1), __ATOMIC_ACQUIRE);
}

static uint16_t avail_ring(const struct virtqueue *vq, uint16_t i)
{
	return __atomic_load_n(avail_field(vq, 2 + i), __ATOMIC_RELAXED);
}

static uint16_t avail_used_event(const struct virtqueue *vq)
{
	return __atomic_load_n(avail_field(vq, 2 + vq->size), __ATOMIC_RELAXED);
}

static uint16_t avail_flags(const struct virtqueue *vq)
{
	return __atomic_load_n(avail_field(vq, 0), __ATOMIC_RELAXED);
}

static uint16_t *used_flags(const struct virtqueue *vq)
{
	return (uint16_t *)vq->used;
}

static uint16_t *used_idx_ptr(const struct virtqueue *vq)
{
	return (uint16_t *)vq->used + 1;
}

static uint32_t *used_elem(const struct virtqueue *vq, uint16_t i)
{
	return (uint32_t *)(vq->used + 4 + 8 * (size_t)i);
}

static uint16_t *used_avail_event(const struct virtqueue *vq)
{
	return (uint16_t *)(vq->used + 4 + 8 * (size_t)vq->size);
}

/* ---- status and errors ------------------------------------------------------- */

uint8_t virtio_get_status(const struct virtio_device *vdev)
{
	return __atomic_load_n(&vdev->status, __ATOMIC_ACQUIRE);
}

bool virtio_has_feature(const struct virtio_device *vdev, unsigned int bit)
{
	return bit < 64 &&
	       (__atomic_load_n(&vdev->driver_features, __ATOMIC_RELAXED) &
		VIRTIO_BIT(bit));
}

static bool driver_ok(const struct virtio_device *vdev)
{
	return virtio_get_status(vdev) & VIRTIO_STATUS_DRIVER_OK;
}

/*
 * A guest error the device cannot go on from: NEEDS_RESET, a config
 * interrupt once the driver is live, and one message per device.
 */
static void virtio_needs_reset(struct virtio_device *vdev, int q,
			       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void virtio_needs_reset(struct virtio_device *vdev, int q,
			       const char *fmt, ...)
{
	uint8_t old;
	char why[160];
	va_list ap;

	old = __atomic_fetch_or(&vdev->status, VIRTIO_STATUS_NEEDS_RESET,
				__ATOMIC_ACQ_REL);
	if (!__atomic_exchange_n(&vdev->error_logged, true, __ATOMIC_RELAXED)) {
		va_start(ap, fmt);
		vsnprintf(why, sizeof(why), fmt, ap);
		va_end(ap);
		if (q >= 0)
			vmm_set_error(vdev->vm, -EINVAL,
				      "%s: queue %d: %s; device needs reset",
				      vdev->ops->name, q, why);
		else
			vmm_set_error(vdev->vm, -EINVAL,
				      "%s: %s; device needs reset",
				      vdev->ops->name, why);
	}
	if ((old & VIRTIO_STATUS_DRIVER_OK) &&
	    !(old & VIRTIO_STATUS_NEEDS_RESET) && vdev->transport)
		vdev->transport->notify(vdev, VIRTIO_IRQ_CONFIG);
}

/* vq->lock held. */
static int vq_fail_locked(struct virtqueue *vq, const char *why)
{
	vq->broken = true;
	virtio_needs_reset(vq->vdev, vq->index, "%s", why);
	return -EINVAL;
}

void virtq_fail(struct virtqueue *vq, const char *why)
{
	pthread_mutex_lock(&vq->lock);
	vq_fail_locked(vq, why);
	pthread_mutex_unlock(&vq->lock);
}

/* ---- device lifetime ------------------------------------------------------- */

static size_t in_flight_bytes(uint16_t queue_max)
{
	return (queue_max + 63) / 64 * sizeof(uint64_t);
}

static bool head_in_flight(const struct virtqueue *vq, uint16_t head)
{
	return vq->in_flight[head / 64] & (1ull << (head % 64));
}

static void head_set_in_flight(struct virtqueue *vq, uint16_t head, bool on)
{
	if (on)
		vq->in_flight[head / 64] |= 1ull << (head % 64);
	else
		vq->in_flight[head / 64] &= ~(1ull << (head % 64));
}

static void vq_clear(struct virtqueue *vq)
{
	vq->size = vq->max_size;
	vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
	vq->ready = false;
	vq->broken = false;
	vq->notify_off = false;
	vq->desc = vq->avail = vq->used = NULL;
	vq->last_avail = vq->used_idx = 0;
	vq->signalled_used = 0;
	vq->signalled_valid = false;
	vq->unsignalled = false;
	memset(vq->in_flight, 0, in_flight_bytes(vq->max_size));
}

int virtio_device_init(struct virtio_device *vdev, struct vmm_vm *vm,
		       const struct virtio_device_ops *ops, uint64_t features,
		       unsigned int nr_queues, uint16_t queue_max)
{
	unsigned int q;

	if (!nr_queues || !queue_max || queue_max > VIRTQ_MAX_SIZE ||
	    (queue_max & (queue_max - 1)))
		return vmm_set_error(vm, -EINVAL, "%s: bad queue layout",
				     ops->name);
	memset(vdev, 0, sizeof(*vdev));
	vdev->vqs = calloc(nr_queues, sizeof(*vdev->vqs));
	vdev->in_flight_bits = calloc(nr_queues, in_flight_bytes(queue_max));
	if (!vdev->vqs || !vdev->in_flight_bits) {
		free(vdev->vqs);
		free(vdev->in_flight_bits);
		vdev->vqs = NULL;
		vdev->in_flight_bits = NULL;
		return vmm_set_error(vm, -ENOMEM, "%s: out of memory",
				     ops->name);
	}
	vdev->vm = vm;
	vdev->ops = ops;
	vdev->features = features | VIRTIO_BIT(VIRTIO_F_VERSION_1);
	vdev->nr_queues = nr_queues;
	pthread_mutex_init(&vdev->lock, NULL);
	for (q = 0; q < nr_queues; q++) {
		struct virtqueue *vq = &vdev->vqs[q];

		vq->vdev = vdev;
		vq->index = q;
		vq->max_size = queue_max;
		vq->kick_fd = -1;
		vq->in_flight = vdev->in_flight_bits +
			q * in_flight_bytes(queue_max) / sizeof(uint64_t);
		pthread_mutex_init(&vq->lock, NULL);
		vq_clear(vq);
	}
	return 0;
}

void virtio_device_cleanup(struct virtio_device *vdev)
{
	unsigned int q;

	if (!vdev->vqs)
		return;
	for (q = 0; q < vdev->nr_queues; q++) {
		struct virtqueue *vq = &vdev->vqs[q];

		if (vq->kick_fd >= 0) {
			vmm_loop_del(vdev->vm, vq->kick_fd);
			close(vq->kick_fd);
		}
		pthread_mutex_destroy(&vq->lock);
	}
	free(vdev->vqs);
	free(vdev->in_flight_bits);
	vdev->vqs = NULL;
	vdev->in_flight_bits = NULL;
	pthread_mutex_destroy(&vdev->lock);
}

static void vq_kick_handler(void *opaque, uint32_t events)
{
	struct virtqueue *vq = opaque;
	uint64_t n;

	(void)events;
	/* Nonblocking: a spurious wakeup reads nothing. */
	if (read(vq->kick_fd, &n, sizeof(n)) != sizeof(n))
		return;
	/* A doorbell the backend rang rings whatever the device's state. */
	if (driver_ok(vq->vdev))
		vq->kick_fn(vq->vdev, vq->index);
}

int virtio_queue_set_iothread(struct virtio_device *vdev, unsigned int q,
			      void (*fn)(struct virtio_device *vdev,
					 unsigned int q))
{
	struct virtqueue *vq;
	int fd, ret;

	if (q >= vdev->nr_queues || !fn || vdev->vqs[q].kick_fd >= 0)
		return -EINVAL;
	vq = &vdev->vqs[q];
	fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (fd < 0)
		return vmm_set_error(vdev->vm, -errno, "%s: eventfd: %s",
				     vdev->ops->name, strerror(errno));
	vq->kick_fn = fn;
	vq->kick_fd = fd;
	ret = vmm_loop_add(vdev->vm, fd, EPOLLIN, vq_kick_handler, vq);
	if (ret) {
		vq->kick_fd = -1;
		close(fd);
	}
	return ret;
}

void virtio_kick(struct virtio_device *vdev, unsigned int q)
{
	struct virtqueue *vq;
	uint64_t one = 1;

	if (q >= vdev->nr_queues || !driver_ok(vdev))
		return;
	vq = &vdev->vqs[q];
	if (vq->kick_fd >= 0) {
		/* EAGAIN means the counter is saturated: a wakeup is due. */
		if (write(vq->kick_fd, &one, sizeof(one)) < 0)
			return;
	} else if (vdev->ops->queue_notify) {
		vdev->ops->queue_notify(vdev, q);
	}
}

/* ---- the status machine (vdev->lock held) ---------------------------------------- */

static void virtio_reset(struct virtio_device *vdev)
{
	unsigned int q;

	/* Stop the queues first, so the device's reset sees no new work. */
	for (q = 0; q < vdev->nr_queues; q++) {
		pthread_mutex_lock(&vdev->vqs[q].lock);
		vdev->vqs[q].ready = false;
		pthread_mutex_unlock(&vdev->vqs[q].lock);
	}
	if (vdev->ops->reset)
		vdev->ops->reset(vdev);
	for (q = 0; q < vdev->nr_queues; q++) {
		pthread_mutex_lock(&vdev->vqs[q].lock);
		vq_clear(&vdev->vqs[q]);
		pthread_mutex_unlock(&vdev->vqs[q].lock);
	}
	__atomic_store_n(&vdev->driver_features, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&vdev->status, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&vdev->error_logged, false, __ATOMIC_RELAXED);
}

static bool features_acceptable(struct virtio_device *vdev)
{
	uint64_t f = __atomic_load_n(&vdev->driver_features, __ATOMIC_RELAXED);

	if (f & ~vdev->features)
		return false;
	if (!(f & VIRTIO_BIT(VIRTIO_F_VERSION_1)))
		return false;
	return !vdev->ops->features_ok || vdev->ops->features_ok(vdev, f);
}

/*
 * Bits only accumulate until a reset (the driver may not clear them), the
 * driver cannot set NEEDS_RESET, FEATURES_OK sticks only for an acceptable
 * feature set, and DRIVER_OK only after FEATURES_OK.
 */
void virtio_set_status(struct virtio_device *vdev, uint8_t val)
{
	uint8_t old = virtio_get_status(vdev), add;
	unsigned int q;

	if (!val) {
		virtio_reset(vdev);
		return;
	}
	add = val & ~old & ~VIRTIO_STATUS_NEEDS_RESET;
	if ((add & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(vdev))
		add &= ~VIRTIO_STATUS_FEATURES_OK;
	if ((add & VIRTIO_STATUS_DRIVER_OK) &&
	    !((old | add) & VIRTIO_STATUS_FEATURES_OK))
		add &= ~VIRTIO_STATUS_DRIVER_OK;
	__atomic_fetch_or(&vdev->status, add, __ATOMIC_ACQ_REL);
	if (!(add & VIRTIO_STATUS_DRIVER_OK))
		return;
	if (vdev->ops->driver_ok)
		vdev->ops->driver_ok(vdev);
	/* Buffers made available before DRIVER_OK are ours now. */
	for (q = 0; q < vdev->nr_queues; q++)
		virtio_kick(vdev, q);
}

uint32_t virtio_device_features_word(const struct virtio_device *vdev,
				     unsigned int word)
{
	return word < 2 ? vdev->features >> (32 * word) : 0;
}

void virtio_set_driver_features_word(struct virtio_device *vdev,
				     unsigned int word, uint32_t val)
{
	uint64_t f = __atomic_load_n(&vdev->driver_features, __ATOMIC_RELAXED);

	/* Fixed once FEATURES_OK is set (3.1.1). */
	if (word >= 2 || (virtio_get_status(vdev) & VIRTIO_STATUS_FEATURES_OK))
		return;
	f &= ~(0xffffffffull << (32 * word));
	f |= (uint64_t)val << (32 * word);
	__atomic_store_n(&vdev->driver_features, f, __ATOMIC_RELAXED);
}

void virtio_config_read(struct virtio_device *vdev, uint32_t offset,
			void *data, uint32_t size)
{
	memset(data, 0, size);
	if (offset > vdev->ops->config_size ||
	    size > vdev->ops->config_size - offset || !vdev->ops->config_read)
		return;
	vdev->ops->config_read(vdev, offset, data, size);
}

void virtio_config_write(struct virtio_device *vdev, uint32_t offset,
			 const void *data, uint32_t size)
{
	if (offset > vdev->ops->config_size ||
	    size > vdev->ops->config_size - offset || !vdev->ops->config_write)
		return;
	vdev->ops->config_write(vdev, offset, data, size);
}

void virtio_config_changed(struct virtio_device *vdev)
{
	__atomic_fetch_add(&vdev->config_generation, 1, __ATOMIC_RELEASE);
	if (driver_ok(vdev) && vdev->transport)
		vdev->transport->notify(vdev, VIRTIO_IRQ_CONFIG);
}

/* ---- queue setup ------------------------------------------------------------ */

int virtq_enable(struct virtqueue *vq)
{
	struct vmm_vm *vm = vq->vdev->vm;
	uint64_t size;
	int ret = 0;

	pthread_mutex_lock(&vq->lock);
	if (vq->ready)
		goto out;
	size = vq->size;
	if (!size || size > vq->max_size || (size & (size - 1))) {
		ret = vq_fail_locked(vq, "queue size not a power of two up to the maximum");
		goto out;
	}
	/* 2.7: descriptor table 16-, available 2-, used ring 4-byte aligned. */
	if ((vq->desc_gpa & 15) || (vq->avail_gpa & 1) || (vq->used_gpa & 3)) {
		ret = vq_fail_locked(vq, "misaligned ring");
		goto out;
	}
	vq->desc = vmm_guest_ptr(vm, vq->desc_gpa, 16 * size);
	vq->avail = vmm_guest_ptr(vm, vq->avail_gpa, 6 + 2 * size);
	vq->used = vmm_guest_ptr(vm, vq->used_gpa, 6 + 8 * size);
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->desc = vq->avail = vq->used = NULL;
		ret = vq_fail_locked(vq, "ring outside guest RAM");
		goto out;
	}
	vq->last_avail = 0;
	vq->used_idx = 0;
	vq->signalled_valid = false;
	vq->unsignalled = false;
	memset(vq->in_flight, 0, in_flight_bytes(vq->max_size));
	vq->ready = true;
out:
	pthread_mutex_unlock(&vq->lock);
	return ret;
}

/* ---- popping chains ---------------------------------------------------------- */

/*
 * Walks the chain at head into c.  Each descriptor is copied out of guest
 * memory once and only the copy is used.  Loops end because no table may
 * yield more descriptors than it has entries.
 */
static int vq_walk(struct virtqueue *vq, uint16_t head, struct virtq_chain *c,
		   const char **why)
{
	struct vmm_vm *vm = vq->vdev->vm;
	const uint8_t *table = vq->desc;
	uint32_t table_size = vq->size, count = 0, idx = head;
	bool indirect = false, too_long = false, seen_write = false, write;
	struct virtq_desc d;
	void *p;

	c->nr_readable = c->nr_writable = 0;
	c->readable_len = c->writable_len = 0;
	for (;;) {
		if (idx >= table_size) {
			*why = "descriptor index out of range";
			return -EINVAL;
		}
		if (++count > table_size) {
			*why = "descriptor chain loops or is longer than the queue";
			return -ELOOP;
		}
		memcpy(&d, table + 16 * (size_t)idx, sizeof(d));

		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (indirect) {
				*why = "nested indirect table";
				return -EINVAL;
			}
			if (!virtio_has_feature(vq->vdev, VIRTIO_F_INDIRECT_DESC)) {
				*why = "indirect descriptor not negotiated";
				return -EINVAL;
			}
			if (d.flags & VIRTQ_DESC_F_NEXT) {
				*why = "indirect descriptor with NEXT";
				return -EINVAL;
			}
			if (!d.len || d.len % 16 || d.len / 16 > vq->size) {
				*why = "bad indirect table length";
				return -EINVAL;
			}
			table = vmm_guest_ptr(vm, d.addr, d.len);
			if (!table) {
				*why = "indirect table outside guest RAM";
				return -EFAULT;
			}
			table_size = d.len / 16;
			indirect = true;
			count = 0;
			idx = 0;
			continue;
		}

		write = d.flags & VIRTQ_DESC_F_WRITE;
		if (write) {
			seen_write = true;
		} else if (seen_write) {
			*why = "readable buffer after a writable one";
			return -EINVAL;
		}
		if (d.len) {
			unsigned int n = c->nr_readable + c->nr_writable;

			p = vmm_guest_ptr(vm, d.addr, d.len);
			if (!p) {
				*why = "buffer outside guest RAM";
				return -EFAULT;
			}
			if (n < c->max_iov)
				c->iov[n] = (struct iovec){ p, d.len };
			else
				too_long = true;
			if (write) {
				c->nr_writable++;
				c->writable_len += d.len;
			} else {
				c->nr_readable++;
				c->readable_len += d.len;
			}
		}
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			break;
		idx = d.next;
	}
	return too_long ? -E2BIG : 0;
}

int virtq_pop(struct virtqueue *vq, struct virtq_chain *c)
{
	struct virtio_device *vdev = vq->vdev;
	const char *why = NULL;
	uint16_t idx, head;
	int ret = 0;

	pthread_mutex_lock(&vq->lock);
	if (!vq->ready || vq->broken || !driver_ok(vdev))
		goto out;
	idx = avail_idx(vq);
	if (idx == vq->last_avail && !vq->notify_off &&
	    virtio_has_feature(vdev, VIRTIO_F_EVENT_IDX)) {
		/*
		 * Empty: ask for a kick at the next entry, then look again.
		 * Without the fence our avail_event store could pass the
		 * reload, and a driver adding a buffer in between would see
		 * the old event and not kick.
		 */
		__atomic_store_n(used_avail_event(vq), vq->last_avail,
				 __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		idx = avail_idx(vq);
	}
	if ((uint16_t)(idx - vq->last_avail) > vq->size) {
		ret = vq_fail_locked(vq, "available index moved by more than the queue size");
		goto out;
	}
	if (idx == vq->last_avail)
		goto out;
	head = avail_ring(vq, vq->last_avail & (vq->size - 1));
	/*
	 * A head the device still holds cannot be used twice (its buffers
	 * and used element belong to the request in flight), and bounding
	 * chains in flight by the queue size bounds what a device allocates
	 * for them: a malformed ring.
	 */
	if (head < vq->size && head_in_flight(vq, head)) {
		ret = vq_fail_locked(vq, "descriptor head already in flight");
		goto out;
	}
	ret = vq_walk(vq, head, c, &why);
	if (ret && ret != -E2BIG) {
		vq_fail_locked(vq, why);
		goto out;
	}
	c->head = head;
	head_set_in_flight(vq, head, true);
	vq->last_avail++;
	if (virtio_has_feature(vdev, VIRTIO_F_EVENT_IDX) && !vq->notify_off)
		__atomic_store_n(used_avail_event(vq), vq->last_avail,
				 __ATOMIC_RELAXED);
	ret = ret ? ret : 1;
out:
	pthread_mutex_unlock(&vq->lock);
	return ret;
}

/* ---- used ring and interrupts -------------------------------------------------- */

void virtq_push(struct virtqueue *vq, uint16_t head, uint32_t len)
{
	uint32_t *elem;

	pthread_mutex_lock(&vq->lock);
	/* A reset since the pop: the ring is no longer ours to write. */
	if (!vq->ready || head >= vq->size)
		goto out;
	head_set_in_flight(vq, head, false);
	elem = used_elem(vq, vq->used_idx & (vq->size - 1));
	__atomic_store_n(&elem[0], head, __ATOMIC_RELAXED);
	__atomic_store_n(&elem[1], len, __ATOMIC_RELAXED);
	vq->used_idx++;
	vq->unsignalled = true;
	/* The element must be visible before the index that publishes it. */
	__atomic_store_n(used_idx_ptr(vq), vq->used_idx, __ATOMIC_RELEASE);
out:
	pthread_mutex_unlock(&vq->lock);
}

/* 2.7.10: interrupt if used_event lies in (old, new]. */
static bool vring_need_event(uint16_t event, uint16_t new, uint16_t old)
{
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

void virtio_notify_queue(struct virtio_device *vdev, unsigned int q)
{
	struct virtqueue *vq;
	bool need = false;
	uint16_t old;

	if (q >= vdev->nr_queues)
		return;
	vq = &vdev->vqs[q];
	pthread_mutex_lock(&vq->lock);
	if (!vq->ready)
		goto out;
	/* Nothing pushed since the last check: no interrupt. */
	if (!vq->unsignalled)
		goto out;
	vq->unsignalled = false;
	/* Our used->idx store must be ordered before reading the driver's flags. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	old = vq->signalled_used;
	if (virtio_has_feature(vdev, VIRTIO_F_EVENT_IDX))
		need = !vq->signalled_valid ||
		       vring_need_event(avail_used_event(vq), vq->used_idx, old);
	else
		need = !(avail_flags(vq) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
out:
	pthread_mutex_unlock(&vq->lock);
	if (need && vdev->transport)
		vdev->transport->notify(vdev, q);
}

void virtq_disable_notify(struct virtqueue *vq)
{
	pthread_mutex_lock(&vq->lock);
	vq->notify_off = true;
	if (vq->ready && !virtio_has_feature(vq->vdev, VIRTIO_F_EVENT_IDX))
		__atomic_store_n(used_flags(vq), VIRTQ_USED_F_NO_NOTIFY,
				 __ATOMIC_RELAXED);
	pthread_mutex_unlock(&vq->lock);
}

bool virtq_enable_notify(struct virtqueue *vq)
{
	bool more = false;

	pthread_mutex_lock(&vq->lock);
	vq->notify_off = false;
	if (!vq->ready || vq->broken)
		goto out;
	if (virtio_has_feature(vq->vdev, VIRTIO_F_EVENT_IDX))
		__atomic_store_n(used_avail_event(vq), vq->last_avail,
				 __ATOMIC_RELAXED);
	else
		__atomic_store_n(used_flags(vq), 0, __ATOMIC_RELAXED);
	/* Publish before re-reading, or a kick in between is lost. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	more = avail_idx(vq) != vq->last_avail;
out:
	pthread_mutex_unlock(&vq->lock);
	return more;
}

/* ---- iovec helpers ------------------------------------------------------------ */

unsigned int virtio_iov_skip(struct iovec *iov, unsigned int first,
			     unsigned int n, size_t skip)
{
	while (first < n && skip >= iov[first].iov_len) {
		skip -= iov[first].iov_len;
		first++;
	}
	if (first < n) {
		iov[first].iov_base = (uint8_t *)iov[first].iov_base + skip;
		iov[first].iov_len -= skip;
	}
	return first;
}

size_t virtio_iov_to_buf(const struct iovec *iov, unsigned int n, size_t off,
			 void *buf, size_t len)
{
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < n && done < len; i++) {
		size_t chunk;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		chunk = iov[i].iov_len - off;
		if (chunk > len - done)
			chunk = len - done;
		memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + off,
		       chunk);
		done += chunk;
		off = 0;
	}
	return done;
}

size_t virtio_iov_from_buf(const struct iovec *iov, unsigned int n, size_t off,
			   const void *buf, size_t len)
{
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < n && done < len; i++) {
		size_t chunk;

		if (off >= iov[i].iov_len) {
			off -= iov[i].iov_len;
			continue;
		}
		chunk = iov[i].iov_len - off;
		if (chunk > len - done)
			chunk = len - done;
		memcpy((uint8_t *)iov[i].iov_base + off,
		       (const uint8_t *)buf + done, chunk);
		done += chunk;
		off = 0;
	}
	return done;
}
