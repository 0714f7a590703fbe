/* SPDX-License-Identifier: GPL-2.0 */
/* The virtio unit tests' virtio-pci driver: see virtio_drv.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "selftests/unit/virtio_drv.h"

static uint64_t bar_addr(unsigned int slot, unsigned int bar)
{
	uint64_t lo = cfg_read(slot, 0x10 + 4 * bar, 4);
	uint64_t a = lo & ~0xfull;

	if (lo & PCI_BAR_MEM_64)
		a |= (uint64_t)cfg_read(slot, 0x14 + 4 * bar, 4) << 32;
	return a;
}

/* Finds virtio device `id` and its regions the way Linux does. */
void vdrv_find(struct vdrv *d, uint16_t id)
{
	unsigned int slot, p;

	memset(d, 0, sizeof(*d));
	for (slot = 1; slot < 32; slot++)
		if (cfg_read(slot, 0, 4) == ((0x1040u + id) << 16 | 0x1af4))
			break;
	assert_int_not_equal(slot, 32);
	d->slot = slot;
	assert_int_equal(cfg_read(slot, PCI_CFG_REVISION, 1), 1);
	assert_true(cfg_read(slot, PCI_CFG_STATUS, 2) & PCI_STATUS_CAP_LIST);
	for (p = cfg_read(slot, PCI_CFG_CAP_PTR, 1); p; p = cfg_read(slot, p + 1, 1)) {
		unsigned int type, bar;
		uint64_t where;

		if (cfg_read(slot, p, 1) == PCI_CAP_ID_MSIX) {
			uint32_t t = cfg_read(slot, p + 4, 4);

			d->msix_cap = p;
			d->msix_table = bar_addr(slot, t & 7) + (t & ~7u);
			continue;
		}
		if (cfg_read(slot, p, 1) != PCI_CAP_ID_VENDOR)
			continue;
		type = cfg_read(slot, p + 3, 1);
		bar = cfg_read(slot, p + 4, 1);
		where = bar_addr(slot, bar) + cfg_read(slot, p + 8, 4);
		switch (type) {
		case 1:
			d->common = where;
			break;
		case 2:
			d->notify = where;
			d->notify_mult = cfg_read(slot, p + 16, 4);
			break;
		case 3:
			d->isr = where;
			break;
		case 4:
			d->device = where;
			break;
		}
	}
	assert_true(d->common && d->notify && d->isr);
}

uint8_t vdrv_status(struct vdrv *d)
{
	return mmio_read(d->common + CC_STATUS, 1);
}

void vdrv_set_status(struct vdrv *d, uint8_t s)
{
	mmio_write(d->common + CC_STATUS, s, 1);
}

uint64_t vdrv_device_features(struct vdrv *d)
{
	uint64_t f;

	mmio_write(d->common + CC_DFSELECT, 0, 4);
	f = mmio_read(d->common + CC_DF, 4);
	mmio_write(d->common + CC_DFSELECT, 1, 4);
	return f | mmio_read(d->common + CC_DF, 4) << 32;
}

void vdrv_write_features(struct vdrv *d, uint64_t f)
{
	mmio_write(d->common + CC_GFSELECT, 0, 4);
	mmio_write(d->common + CC_GF, (uint32_t)f, 4);
	mmio_write(d->common + CC_GFSELECT, 1, 4);
	mmio_write(d->common + CC_GF, f >> 32, 4);
}

/* Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK; true if accepted. */
bool vdrv_negotiate(struct vdrv *d, uint64_t features)
{
	vdrv_set_status(d, 0);
	assert_int_equal(vdrv_status(d), 0);
	vdrv_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE);
	vdrv_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	vdrv_write_features(d, features);
	vdrv_set_status(d, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
			VIRTIO_STATUS_FEATURES_OK);
	return vdrv_status(d) & VIRTIO_STATUS_FEATURES_OK;
}

/* Lays queue q out at ring_gpa (16 KiB suffice for 256 entries). */
void vdrv_setup_queue(struct vdrv *d, unsigned int q, uint16_t size,
		      uint64_t ring_gpa, uint16_t vector)
{
	struct vring *vr = &d->q[q];

	memset(vr, 0, sizeof(*vr));
	vr->size = size;
	vr->desc = ring_gpa;
	vr->avail = ring_gpa + 16 * size;
	vr->used = (vr->avail + 6 + 2 * size + 3) & ~3ull;
	memset(gpa(ring_gpa), 0, vr->used + 6 + 8 * size - ring_gpa);
	mmio_write(d->common + CC_Q_SELECT, q, 2);
	assert_true(mmio_read(d->common + CC_Q_SIZE, 2) >= size);
	assert_int_equal(mmio_read(d->common + CC_Q_ENABLE, 2), 0);
	mmio_write(d->common + CC_Q_SIZE, size, 2);
	mmio_write(d->common + CC_Q_DESC, vr->desc, 8);
	mmio_write(d->common + CC_Q_DRIVER, vr->avail & 0xffffffff, 4);
	mmio_write(d->common + CC_Q_DRIVER + 4, vr->avail >> 32, 4);
	mmio_write(d->common + CC_Q_DEVICE, vr->used, 8);
	mmio_write(d->common + CC_Q_VECTOR, vector, 2);
	mmio_write(d->common + CC_Q_ENABLE, 1, 2);
}

void vdrv_driver_ok(struct vdrv *d)
{
	vdrv_set_status(d, vdrv_status(d) | VIRTIO_STATUS_DRIVER_OK);
	assert_true(vdrv_status(d) & VIRTIO_STATUS_DRIVER_OK);
}

/* MSI-X on, vector v -> address 0xfee00000, data 0x100 + v, unmasked. */
void vdrv_enable_msix(struct vdrv *d, unsigned int nr)
{
	unsigned int v;

	for (v = 0; v < nr; v++) {
		mmio_write(d->msix_table + 16 * v, 0xfee00000, 4);
		mmio_write(d->msix_table + 16 * v + 4, 0, 4);
		mmio_write(d->msix_table + 16 * v + 8, 0x100 + v, 4);
		mmio_write(d->msix_table + 16 * v + 12, 0, 4);
	}
	cfg_write(d->slot, d->msix_cap + 2, PCI_MSIX_CTRL_ENABLE, 2);
}

void vring_desc(struct vring *vr, uint16_t i, uint64_t addr, uint32_t len,
		uint16_t flags, uint16_t next)
{
	struct virtq_desc dsc = { addr, len, flags, next };

	memcpy(gpa(vr->desc + 16 * i), &dsc, sizeof(dsc));
}

void vring_avail(struct vring *vr, uint16_t head)
{
	uint16_t *ring = gpa(vr->avail);

	ring[2 + vr->avail_idx % vr->size] = head;
	vr->avail_idx++;
	__atomic_store_n(&ring[1], vr->avail_idx, __ATOMIC_RELEASE);
}

uint16_t vring_used_idx(struct vring *vr)
{
	return __atomic_load_n((uint16_t *)gpa(vr->used) + 1, __ATOMIC_ACQUIRE);
}

/* Used element i: id and len. */
uint32_t vring_used_id(struct vring *vr, uint16_t i)
{
	return ((uint32_t *)gpa(vr->used + 4 + 8 * (i % vr->size)))[0];
}

uint32_t vring_used_len(struct vring *vr, uint16_t i)
{
	return ((uint32_t *)gpa(vr->used + 4 + 8 * (i % vr->size)))[1];
}

void vdrv_kick(struct vdrv *d, unsigned int q)
{
	mmio_write(d->common + CC_Q_SELECT, q, 2);
	mmio_write(d->notify + d->notify_mult *
		   mmio_read(d->common + CC_Q_NOTIFY_OFF, 2), q, 2);
}
