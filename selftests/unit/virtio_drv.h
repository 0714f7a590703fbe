/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small virtio-pci driver for the virtio unit tests (virtio_drv.c): it
 * finds a function through config space the way Linux does and sets up
 * split rings in fake_vmm's guest RAM.
 */
#ifndef SELFTESTS_UNIT_VIRTIO_DRV_H
#define SELFTESTS_UNIT_VIRTIO_DRV_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"
#include "devices/virtio.h"
#include "selftests/unit/fake_vmm.h"

/* The guest RAM the virtio tests give fake_vmm_setup(). */
#define RAM_SIZE	0x100000ull

/* Common configuration offsets (virtio 1.2, 4.1.4.3). */
#define CC_DFSELECT	0x00
#define CC_DF		0x04
#define CC_GFSELECT	0x08
#define CC_GF		0x0c
#define CC_MSIX_CONFIG	0x10
#define CC_NUM_QUEUES	0x12
#define CC_STATUS	0x14
#define CC_GENERATION	0x15
#define CC_Q_SELECT	0x16
#define CC_Q_SIZE	0x18
#define CC_Q_VECTOR	0x1a
#define CC_Q_ENABLE	0x1c
#define CC_Q_NOTIFY_OFF	0x1e
#define CC_Q_DESC	0x20
#define CC_Q_DRIVER	0x28
#define CC_Q_DEVICE	0x30
#define NO_VECTOR	0xffff

struct vring {
	uint16_t size;
	uint64_t desc, avail, used;	/* guest-physical */
	uint16_t avail_idx;		/* the driver's shadow */
	uint16_t last_used;
};

struct vdrv {
	unsigned int slot;
	uint64_t common, notify, isr, device;
	uint32_t notify_mult;
	uint64_t msix_table;
	unsigned int msix_cap;
	struct vring q[4];
};

/* Finds virtio device `id` and its regions the way Linux does. */
void vdrv_find(struct vdrv *d, uint16_t id);
uint8_t vdrv_status(struct vdrv *d);
void vdrv_set_status(struct vdrv *d, uint8_t s);
uint64_t vdrv_device_features(struct vdrv *d);
void vdrv_write_features(struct vdrv *d, uint64_t f);
/* Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK; true if accepted. */
bool vdrv_negotiate(struct vdrv *d, uint64_t features);
/* Lays queue q out at ring_gpa (16 KiB suffice for 256 entries). */
void vdrv_setup_queue(struct vdrv *d, unsigned int q, uint16_t size,
		      uint64_t ring_gpa, uint16_t vector);
void vdrv_driver_ok(struct vdrv *d);
/* MSI-X on, vector v -> address 0xfee00000, data 0x100 + v, unmasked. */
void vdrv_enable_msix(struct vdrv *d, unsigned int nr);
void vdrv_kick(struct vdrv *d, unsigned int q);

void vring_desc(struct vring *vr, uint16_t i, uint64_t addr, uint32_t len,
		uint16_t flags, uint16_t next);
void vring_avail(struct vring *vr, uint16_t head);
uint16_t vring_used_idx(struct vring *vr);
/* Used element i: id and len. */
uint32_t vring_used_id(struct vring *vr, uint16_t i);
uint32_t vring_used_len(struct vring *vr, uint16_t i);

#endif /* SELFTESTS_UNIT_VIRTIO_DRV_H */
