/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The modern virtio PCI transport (virtio 1.2, 4.1): a PCI function whose
 * BAR 0 holds the common, ISR, device and notify regions, MSI-X in BAR 2.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci.h"
#include "devices/virtio.h"

#define VIRTIO_PCI_VENDOR	0x1af4
#define VIRTIO_PCI_DEVICE_BASE	0x1040	/* + virtio device id */
#define VIRTIO_PCI_REVISION	1	/* modern only */
#define VIRTIO_NO_VECTOR	0xffff

/* virtio_pci_cap.cfg_type */
#define VIRTIO_PCI_CAP_COMMON	1
#define VIRTIO_PCI_CAP_NOTIFY	2
#define VIRTIO_PCI_CAP_ISR	3
#define VIRTIO_PCI_CAP_DEVICE	4
#define VIRTIO_PCI_CAP_LEN	16
#define VIRTIO_PCI_NOTIFY_CAP_LEN 20

/* BAR 0 layout: one page per region. */
#define VP_BAR_REGS		0
#define VP_BAR_MSIX		2
#define VP_BAR_SIZE		0x4000
#define VP_COMMON		0x0000
#define VP_COMMON_LEN		0x38
#define VP_ISR			0x1000
#define VP_ISR_LEN		1
#define VP_DEVICE		0x2000
#define VP_DEVICE_MAX		0x1000
#define VP_NOTIFY		0x3000
#define VP_NOTIFY_MULT		4
#define VP_MAX_QUEUES		(0x1000 / VP_NOTIFY_MULT)

/* Common configuration (4.1.4.3). */
#define VP_DFSELECT		0x00
#define VP_DF			0x04
#define VP_GFSELECT		0x08
#define VP_GF			0x0c
#define VP_MSIX_CONFIG		0x10
#define VP_NUM_QUEUES		0x12
#define VP_STATUS		0x14
#define VP_CFG_GENERATION	0x15
#define VP_Q_SELECT		0x16
#define VP_Q_SIZE		0x18
#define VP_Q_MSIX_VECTOR	0x1a
#define VP_Q_ENABLE		0x1c
#define VP_Q_NOTIFY_OFF		0x1e
#define VP_Q_DESC		0x20
#define VP_Q_DRIVER		0x28
#define VP_Q_DEVICE		0x30

#define VIRTIO_ISR_QUEUE	1
#define VIRTIO_ISR_CONFIG	2

struct virtio_pci {
	struct pci_device pci;
	struct virtio_device *vdev;
	/* vdev->lock */
	uint32_t dfselect, gfselect;
	uint16_t queue_select;
	/* __atomic: read by the interrupt path */
	uint16_t msix_config;
	uint16_t *queue_vector;
	pthread_mutex_t isr_lock;	/* isr and the INTx level follow it */
	uint8_t isr;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v);
	put32(p + 4, v >> 32);
}

static uint64_t get_le(const uint8_t *data, uint32_t size)
{
	uint64_t v = 0;

	while (size--)
		v = v << 8 | data[size];
	return v;
}

/* ---- interrupts ------------------------------------------------------------- */

static void vp_notify(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_pci *vp = vdev->transport_priv;
	uint16_t vec;

	if (pci_msix_enabled(&vp->pci)) {
		vec = __atomic_load_n(q == VIRTIO_IRQ_CONFIG ? &vp->msix_config :
				      &vp->queue_vector[q], __ATOMIC_RELAXED);
		if (vec != VIRTIO_NO_VECTOR)
			pci_msix_notify(&vp->pci, vec);
		return;
	}
	pthread_mutex_lock(&vp->isr_lock);
	vp->isr |= q == VIRTIO_IRQ_CONFIG ? VIRTIO_ISR_CONFIG : VIRTIO_ISR_QUEUE;
	pci_intx_set(&vp->pci, true);
	pthread_mutex_unlock(&vp->isr_lock);
}

static const struct virtio_transport_ops vp_transport = {
	.notify = vp_notify,
};

/* Reading ISR acknowledges it and drops INTx (4.1.4.5). */
static uint8_t vp_isr_read(struct virtio_pci *vp)
{
	uint8_t v;

	pthread_mutex_lock(&vp->isr_lock);
	v = vp->isr;
	vp->isr = 0;
	pci_intx_set(&vp->pci, false);
	pthread_mutex_unlock(&vp->isr_lock);
	return v;
}

/* A vector beyond the table cannot be mapped: it reads back NO_VECTOR. */
static uint16_t vp_vector(struct virtio_pci *vp, uint16_t v)
{
	return v < pci_msix_vectors(&vp->pci) ? v : VIRTIO_NO_VECTOR;
}

/* ---- common configuration (vdev->lock held) --------------------------------- */

static struct virtqueue *vp_selected(struct virtio_pci *vp)
{
	struct virtio_device *vdev = vp->vdev;

	return vp->queue_select < vdev->nr_queues ?
	       &vdev->vqs[vp->queue_select] : NULL;
}

static void vp_common_read(struct virtio_pci *vp, uint64_t off, uint8_t *data,
			   uint32_t size)
{
	struct virtio_device *vdev = vp->vdev;
	struct virtqueue *vq = vp_selected(vp);
	uint8_t r[VP_COMMON_LEN] = { 0 };
	uint64_t gf = __atomic_load_n(&vdev->driver_features, __ATOMIC_RELAXED);
	bool ready;

	put32(r + VP_DFSELECT, vp->dfselect);
	put32(r + VP_DF, virtio_device_features_word(vdev, vp->dfselect));
	put32(r + VP_GFSELECT, vp->gfselect);
	put32(r + VP_GF, vp->gfselect < 2 ? gf >> (32 * vp->gfselect) : 0);
	put16(r + VP_MSIX_CONFIG, vp->msix_config);
	put16(r + VP_NUM_QUEUES, vdev->nr_queues);
	r[VP_STATUS] = virtio_get_status(vdev);
	r[VP_CFG_GENERATION] = __atomic_load_n(&vdev->config_generation,
					       __ATOMIC_ACQUIRE);
	put16(r + VP_Q_SELECT, vp->queue_select);
	if (vq) {
		pthread_mutex_lock(&vq->lock);
		ready = vq->ready;
		pthread_mutex_unlock(&vq->lock);
		put16(r + VP_Q_SIZE, vq->size);
		put16(r + VP_Q_MSIX_VECTOR, vp->queue_vector[vq->index]);
		put16(r + VP_Q_ENABLE, ready);
		put16(r + VP_Q_NOTIFY_OFF, vq->index);
		put64(r + VP_Q_DESC, vq->desc_gpa);
		put64(r + VP_Q_DRIVER, vq->avail_gpa);
		put64(r + VP_Q_DEVICE, vq->used_gpa);
	}
	/* Queue size 0 tells the driver the selected queue does not exist. */
	if (off < VP_COMMON_LEN)
		memcpy(data, r + off, size < VP_COMMON_LEN - off ? size :
		       VP_COMMON_LEN - off);
}

static void vp_reset(struct virtio_pci *vp)
{
	unsigned int q;

	vp->dfselect = vp->gfselect = 0;
	vp->queue_select = 0;
	__atomic_store_n(&vp->msix_config, VIRTIO_NO_VECTOR, __ATOMIC_RELAXED);
	for (q = 0; q < vp->vdev->nr_queues; q++)
		__atomic_store_n(&vp->queue_vector[q], VIRTIO_NO_VECTOR,
				 __ATOMIC_RELAXED);
	vp_isr_read(vp);
}

/* A 64-bit ring address written whole or as two 32-bit halves. */
static void vp_write_addr(uint64_t *addr, uint64_t off, uint64_t v,
			  uint32_t size)
{
	if (size == 8 && !(off & 7))
		*addr = v;
	else if (size == 4 && (off & 7) == 0)
		*addr = (*addr & ~0xffffffffull) | v;
	else if (size == 4 && (off & 7) == 4)
		*addr = (*addr & 0xffffffffull) | v << 32;
}

static void vp_common_write(struct virtio_pci *vp, uint64_t off,
			    const uint8_t *data, uint32_t size)
{
	struct virtio_device *vdev = vp->vdev;
	struct virtqueue *vq = vp_selected(vp);
	uint64_t v = get_le(data, size);
	bool setup;

	/* Queue fields are fixed while the queue is enabled. */
	setup = vq && !vq->ready;
	switch (off) {
	case VP_DFSELECT:
		if (size == 4)
			vp->dfselect = v;
		break;
	case VP_GFSELECT:
		if (size == 4)
			vp->gfselect = v;
		break;
	case VP_GF:
		if (size == 4)
			virtio_set_driver_features_word(vdev, vp->gfselect, v);
		break;
	case VP_MSIX_CONFIG:
		if (size == 2)
			__atomic_store_n(&vp->msix_config, vp_vector(vp, v),
					 __ATOMIC_RELAXED);
		break;
	case VP_STATUS:
		if (size != 1)
			break;
		virtio_set_status(vdev, v);
		if (!v)
			vp_reset(vp);
		break;
	case VP_Q_SELECT:
		if (size == 2)
			vp->queue_select = v;
		break;
	case VP_Q_SIZE:
		if (size == 2 && setup)
			vq->size = v;
		break;
	case VP_Q_MSIX_VECTOR:
		if (size == 2 && vq)
			__atomic_store_n(&vp->queue_vector[vq->index],
					 vp_vector(vp, v), __ATOMIC_RELAXED);
		break;
	case VP_Q_ENABLE:
		/* Writing 0 is not allowed without RING_RESET: ignored. */
		if (size == 2 && setup && v == 1)
			virtq_enable(vq);
		break;
	case VP_Q_DESC ... VP_Q_DESC + 7:
		if (setup)
			vp_write_addr(&vq->desc_gpa, off, v, size);
		break;
	case VP_Q_DRIVER ... VP_Q_DRIVER + 7:
		if (setup)
			vp_write_addr(&vq->avail_gpa, off, v, size);
		break;
	case VP_Q_DEVICE ... VP_Q_DEVICE + 7:
		if (setup)
			vp_write_addr(&vq->used_gpa, off, v, size);
		break;
	default:
		break;	/* read-only or not a register */
	}
}

/* ---- BAR 0 ------------------------------------------------------------------ */

static void vp_bar_read(void *opaque, uint64_t off, uint8_t *data,
			uint32_t size)
{
	struct virtio_pci *vp = opaque;
	struct virtio_device *vdev = vp->vdev;

	memset(data, 0, size);
	if (off < VP_COMMON + VP_COMMON_LEN) {
		pthread_mutex_lock(&vdev->lock);
		vp_common_read(vp, off - VP_COMMON, data, size);
		pthread_mutex_unlock(&vdev->lock);
	} else if (off == VP_ISR) {
		data[0] = vp_isr_read(vp);
	} else if (off >= VP_DEVICE && off < VP_DEVICE + VP_DEVICE_MAX) {
		pthread_mutex_lock(&vdev->lock);
		virtio_config_read(vdev, off - VP_DEVICE, data, size);
		pthread_mutex_unlock(&vdev->lock);
	}
}

static void vp_bar_write(void *opaque, uint64_t off, const uint8_t *data,
			 uint32_t size)
{
	struct virtio_pci *vp = opaque;
	struct virtio_device *vdev = vp->vdev;

	if (off >= VP_NOTIFY && off < VP_NOTIFY + VP_NOTIFY_MULT * vdev->nr_queues) {
		/* The doorbell's offset names the queue; the data is not needed. */
		virtio_kick(vdev, (off - VP_NOTIFY) / VP_NOTIFY_MULT);
	} else if (off < VP_COMMON + VP_COMMON_LEN) {
		pthread_mutex_lock(&vdev->lock);
		vp_common_write(vp, off - VP_COMMON, data, size);
		pthread_mutex_unlock(&vdev->lock);
	} else if (off >= VP_DEVICE && off < VP_DEVICE + VP_DEVICE_MAX) {
		pthread_mutex_lock(&vdev->lock);
		virtio_config_write(vdev, off - VP_DEVICE, data, size);
		pthread_mutex_unlock(&vdev->lock);
	}
}

/*
 * The notify addresses of queues served by the I/O thread: a 16-bit write
 * there (what drivers do without VIRTIO_F_NOTIFICATION_DATA) may wake the
 * queue's eventfd without a trip through vp_bar_write.
 */
static unsigned int vp_doorbells(void *opaque, struct vmm_doorbell *out,
				 unsigned int max)
{
	struct virtio_pci *vp = opaque;
	struct virtio_device *vdev = vp->vdev;
	unsigned int q, n = 0;

	for (q = 0; q < vdev->nr_queues && n < max; q++) {
		if (vdev->vqs[q].kick_fd < 0)
			continue;
		out[n++] = (struct vmm_doorbell){
			.offset = VP_NOTIFY + (uint64_t)q * VP_NOTIFY_MULT,
			.size = 2,
			.fd = vdev->vqs[q].kick_fd,
		};
	}
	return n;
}

static const struct vmm_io_ops vp_bar_ops = {
	.read = vp_bar_read,
	.write = vp_bar_write,
	.doorbells = vp_doorbells,
};

/* ---- creation --------------------------------------------------------------- */

static int vp_add_cap(struct pci_device *dev, uint8_t type, uint32_t offset,
		      uint32_t length, uint32_t notify_mult)
{
	uint8_t cap[VIRTIO_PCI_NOTIFY_CAP_LEN] = { PCI_CAP_ID_VENDOR };
	uint8_t len = type == VIRTIO_PCI_CAP_NOTIFY ? VIRTIO_PCI_NOTIFY_CAP_LEN :
						      VIRTIO_PCI_CAP_LEN;
	int ret;

	cap[2] = len;
	cap[3] = type;
	cap[4] = VP_BAR_REGS;
	put32(cap + 8, offset);
	put32(cap + 12, length);
	put32(cap + 16, notify_mult);
	ret = pci_add_capability(dev, cap, len);
	return ret < 0 ? ret : 0;
}

static uint32_t vp_class(uint16_t device_id)
{
	switch (device_id) {
	case VIRTIO_ID_NET:
		return 0x020000;	/* Ethernet controller */
	case VIRTIO_ID_BLOCK:
		return 0x018000;	/* other mass storage */
	default:
		return 0xff0000;	/* unassigned class */
	}
}

int virtio_pci_create(struct vmm_vm *vm, struct pci_bus *bus,
		      struct virtio_device *vdev)
{
	const struct virtio_device_ops *ops = vdev->ops;
	struct virtio_pci *vp;
	unsigned int q;
	int ret;

	if (vdev->nr_queues > VP_MAX_QUEUES || ops->config_size > VP_DEVICE_MAX)
		return vmm_set_error(vm, -EINVAL, "%s: too many queues or too much config space",
				     ops->name);
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return vmm_set_error(vm, -ENOMEM, "%s: out of memory", ops->name);
	vp->queue_vector = calloc(vdev->nr_queues, sizeof(*vp->queue_vector));
	if (!vp->queue_vector) {
		ret = vmm_set_error(vm, -ENOMEM, "%s: out of memory", ops->name);
		goto err_free;
	}
	vp->vdev = vdev;
	pthread_mutex_init(&vp->isr_lock, NULL);
	vp->msix_config = VIRTIO_NO_VECTOR;
	for (q = 0; q < vdev->nr_queues; q++)
		vp->queue_vector[q] = VIRTIO_NO_VECTOR;

	pci_device_init(&vp->pci, ops->name, VIRTIO_PCI_VENDOR,
			VIRTIO_PCI_DEVICE_BASE + ops->device_id,
			vp_class(ops->device_id));
	pci_cfg_set8(&vp->pci, PCI_CFG_REVISION, VIRTIO_PCI_REVISION);
	ret = pci_device_set_bar(&vp->pci, VP_BAR_REGS, VP_BAR_SIZE, true,
				 false, &vp_bar_ops, vp);
	if (!ret)
		ret = vp_add_cap(&vp->pci, VIRTIO_PCI_CAP_COMMON, VP_COMMON,
				 VP_COMMON_LEN, 0);
	if (!ret)
		ret = vp_add_cap(&vp->pci, VIRTIO_PCI_CAP_NOTIFY, VP_NOTIFY,
				 VP_NOTIFY_MULT * vdev->nr_queues, VP_NOTIFY_MULT);
	if (!ret)
		ret = vp_add_cap(&vp->pci, VIRTIO_PCI_CAP_ISR, VP_ISR,
				 VP_ISR_LEN, 0);
	if (!ret && ops->config_size)
		ret = vp_add_cap(&vp->pci, VIRTIO_PCI_CAP_DEVICE, VP_DEVICE,
				 ops->config_size, 0);
	if (!ret)
		ret = pci_msix_init(&vp->pci, VP_BAR_MSIX, vdev->nr_queues + 1);
	if (ret) {
		ret = vmm_set_error(vm, ret, "%s: PCI function layout", ops->name);
		goto err_pci;
	}

	vdev->transport = &vp_transport;
	vdev->transport_priv = vp;
	ret = pci_bus_add(bus, &vp->pci);
	if (ret)
		goto err_transport;
	return 0;

err_transport:
	vdev->transport = NULL;
	vdev->transport_priv = NULL;
err_pci:
	pci_device_cleanup(&vp->pci);
	pthread_mutex_destroy(&vp->isr_lock);
err_free:
	free(vp->queue_vector);
	free(vp);
	return ret;
}

void virtio_pci_destroy(struct virtio_device *vdev)
{
	struct virtio_pci *vp = vdev->transport_priv;

	if (!vp)
		return;
	pci_bus_remove(&vp->pci);
	pci_device_cleanup(&vp->pci);
	pthread_mutex_destroy(&vp->isr_lock);
	vdev->transport = NULL;
	vdev->transport_priv = NULL;
	free(vp->queue_vector);
	free(vp);
}
