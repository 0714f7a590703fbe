/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Included by the virtio unit tests (not built alone): fakes of
 * vmm/device.h over a malloc'd guest RAM, and a small driver that finds a
 * virtio-pci function through config space and sets up split rings.
 */
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "devices/pci.h"
#include "devices/virtio.h"

#define FAKE static __attribute__((unused))

struct vmm_vm {
	int unused;
};

/* ---- guest RAM: exactly RAM_SIZE bytes, so ASan sees any overrun ------------ */

#define RAM_SIZE	0x100000ull

static struct vmm_vm test_vm;
static uint8_t *ram;

void *vmm_guest_ptr(struct vmm_vm *vm, uint64_t gpa, uint64_t len)
{
	assert_ptr_equal(vm, &test_vm);
	if (!len)
		len = 1;
	if (gpa >= RAM_SIZE || len > RAM_SIZE - gpa)
		return NULL;
	return ram + gpa;
}

FAKE void *gpa(uint64_t addr)
{
	assert_true(addr < RAM_SIZE);
	return ram + addr;
}

/* ---- I/O bus, interrupts, loop, errors ------------------------------------- */

#define MAX_RANGES	32
#define MAX_LOOP	8
#define MAX_DEVICES	8
#define MAX_MSI		256

struct fake_range {
	enum vmm_space space;
	uint64_t base, len;
	const struct vmm_io_ops *ops;
	void *opaque;
};

static struct {
	struct fake_range r[MAX_RANGES];
	unsigned int nr_ranges;
	int gsi_level[24];
	struct { uint64_t addr; uint32_t data; } msi[MAX_MSI];
	unsigned int nr_msi;
	struct { int fd; vmm_fd_handler fn; void *opaque; } loop[MAX_LOOP];
	unsigned int nr_loop;
	struct { void (*destroy)(void *); void *opaque; } dev[MAX_DEVICES];
	unsigned int nr_dev;
	unsigned int nr_errors, nr_fails;
	char error[256];
} fk;

int vmm_io_register(struct vmm_vm *vm, enum vmm_space space, uint64_t base,
		    uint64_t len, const struct vmm_io_ops *ops, void *opaque,
		    const char *name)
{
	unsigned int i;

	(void)vm;
	(void)name;
	if (!len || base + len < base ||
	    (space == VMM_SPACE_MMIO && base < RAM_SIZE))
		return -EINVAL;
	for (i = 0; i < fk.nr_ranges; i++)
		if (fk.r[i].space == space && base < fk.r[i].base + fk.r[i].len &&
		    fk.r[i].base < base + len)
			return -EEXIST;
	assert_true(fk.nr_ranges < MAX_RANGES);
	fk.r[fk.nr_ranges++] = (struct fake_range){ space, base, len, ops,
						    opaque };
	return 0;
}

int vmm_io_unregister(struct vmm_vm *vm, enum vmm_space space, uint64_t base)
{
	unsigned int i;

	(void)vm;
	for (i = 0; i < fk.nr_ranges; i++) {
		if (fk.r[i].space == space && fk.r[i].base == base) {
			fk.r[i] = fk.r[--fk.nr_ranges];
			return 0;
		}
	}
	return -ENOENT;
}

int vmm_irq_set(struct vmm_vm *vm, uint32_t gsi, int level)
{
	(void)vm;
	assert_true(gsi < 24);
	fk.gsi_level[gsi] = level;
	return 0;
}

int vmm_msi_send(struct vmm_vm *vm, uint64_t addr, uint32_t data)
{
	(void)vm;
	assert_true(fk.nr_msi < MAX_MSI);
	fk.msi[fk.nr_msi].addr = addr;
	fk.msi[fk.nr_msi].data = data;
	fk.nr_msi++;
	return 0;
}

int vmm_loop_add(struct vmm_vm *vm, int fd, uint32_t events,
		 vmm_fd_handler handler, void *opaque)
{
	(void)vm;
	(void)events;
	assert_true(fk.nr_loop < MAX_LOOP);
	fk.loop[fk.nr_loop].fd = fd;
	fk.loop[fk.nr_loop].fn = handler;
	fk.loop[fk.nr_loop].opaque = opaque;
	fk.nr_loop++;
	return 0;
}

int vmm_loop_del(struct vmm_vm *vm, int fd)
{
	unsigned int i;

	(void)vm;
	for (i = 0; i < fk.nr_loop; i++) {
		if (fk.loop[i].fd == fd) {
			fk.loop[i] = fk.loop[--fk.nr_loop];
			return 0;
		}
	}
	return -ENOENT;
}

int vmm_device_add(struct vmm_vm *vm, const char *name,
		   void (*destroy)(void *opaque), void *opaque)
{
	(void)vm;
	(void)name;
	assert_true(fk.nr_dev < MAX_DEVICES);
	fk.dev[fk.nr_dev].destroy = destroy;
	fk.dev[fk.nr_dev].opaque = opaque;
	fk.nr_dev++;
	return 0;
}

int vmm_set_error(struct vmm_vm *vm, int err, const char *fmt, ...)
{
	va_list ap;

	(void)vm;
	va_start(ap, fmt);
	vsnprintf(fk.error, sizeof(fk.error), fmt, ap);
	va_end(ap);
	fk.nr_errors++;
	return err;
}

void vmm_vm_fail(struct vmm_vm *vm, const char *fmt, ...)
{
	va_list ap;

	(void)vm;
	va_start(ap, fmt);
	vsnprintf(fk.error, sizeof(fk.error), fmt, ap);
	va_end(ap);
	fk.nr_fails++;
}

void vmm_vm_request_stop(struct vmm_vm *vm, enum vmm_stop_reason reason,
			 uint32_t code)
{
	(void)vm;
	(void)reason;
	(void)code;
}

/* Runs the I/O thread's handlers once for fds that are ready (or wait). */
FAKE int fake_loop_poll(int timeout_ms)
{
	struct pollfd pfd[MAX_LOOP];
	unsigned int i, n = fk.nr_loop;
	int r;

	for (i = 0; i < n; i++)
		pfd[i] = (struct pollfd){ .fd = fk.loop[i].fd, .events = POLLIN };
	r = poll(pfd, n, timeout_ms);
	for (i = 0; r > 0 && i < n; i++)
		if (pfd[i].revents & POLLIN)
			fk.loop[i].fn(fk.loop[i].opaque, POLLIN);
	return r;
}

FAKE void fake_setup(void)
{
	memset(&fk, 0, sizeof(fk));
	ram = calloc(1, RAM_SIZE);
	assert_non_null(ram);
}

/* vmm_vm_destroy's order: devices in reverse order of addition. */
FAKE void fake_teardown(void)
{
	while (fk.nr_dev) {
		fk.nr_dev--;
		fk.dev[fk.nr_dev].destroy(fk.dev[fk.nr_dev].opaque);
	}
	assert_int_equal(fk.nr_ranges, 0);
	assert_int_equal(fk.nr_loop, 0);
	free(ram);
	ram = NULL;
}

/* ---- bus accesses ------------------------------------------------------------ */

static struct fake_range *find_range(enum vmm_space space, uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < fk.nr_ranges; i++)
		if (fk.r[i].space == space && addr >= fk.r[i].base &&
		    addr < fk.r[i].base + fk.r[i].len)
			return &fk.r[i];
	return NULL;
}

FAKE uint64_t io_read(enum vmm_space space, uint64_t addr, uint32_t size)
{
	struct fake_range *r = find_range(space, addr);
	uint64_t v = 0;

	if (!r)
		return ~0ull >> (64 - 8 * size);
	r->ops->read(r->opaque, addr - r->base, (uint8_t *)&v, size);
	return v;
}

FAKE void io_write(enum vmm_space space, uint64_t addr, uint64_t v,
		   uint32_t size)
{
	struct fake_range *r = find_range(space, addr);

	if (r)
		r->ops->write(r->opaque, addr - r->base, (uint8_t *)&v, size);
}

FAKE uint64_t mmio_read(uint64_t addr, uint32_t size)
{
	return io_read(VMM_SPACE_MMIO, addr, size);
}

FAKE void mmio_write(uint64_t addr, uint64_t v, uint32_t size)
{
	io_write(VMM_SPACE_MMIO, addr, v, size);
}

FAKE uint32_t cfg_read(unsigned int slot, unsigned int off, uint32_t size)
{
	io_write(VMM_SPACE_PIO, 0xcf8, 0x80000000u | slot << 11 | (off & 0xfc), 4);
	return io_read(VMM_SPACE_PIO, 0xcfc + (off & 3), size);
}

FAKE void cfg_write(unsigned int slot, unsigned int off, uint32_t v,
		    uint32_t size)
{
	io_write(VMM_SPACE_PIO, 0xcf8, 0x80000000u | slot << 11 | (off & 0xfc), 4);
	io_write(VMM_SPACE_PIO, 0xcfc + (off & 3), v, size);
}

/* ---- a virtio-pci driver ------------------------------------------------------- */

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

static uint64_t bar_addr(unsigned int slot, unsigned int bar)
{
	uint64_t lo = cfg_read(slot, 0x10 + 4 * bar, 4);
	uint64_t a = lo & ~0xfull;

	if (lo & PCI_BAR_MEM_64)
		a |= (uint64_t)cfg_read(slot, 0x14 + 4 * bar, 4) << 32;
	return a;
}

/* Finds virtio device `id` and its regions the way Linux does. */
FAKE void vdrv_find(struct vdrv *d, uint16_t id)
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

FAKE uint8_t vdrv_status(struct vdrv *d)
{
	return mmio_read(d->common + CC_STATUS, 1);
}

FAKE void vdrv_set_status(struct vdrv *d, uint8_t s)
{
	mmio_write(d->common + CC_STATUS, s, 1);
}

FAKE uint64_t vdrv_device_features(struct vdrv *d)
{
	uint64_t f;

	mmio_write(d->common + CC_DFSELECT, 0, 4);
	f = mmio_read(d->common + CC_DF, 4);
	mmio_write(d->common + CC_DFSELECT, 1, 4);
	return f | mmio_read(d->common + CC_DF, 4) << 32;
}

FAKE void vdrv_write_features(struct vdrv *d, uint64_t f)
{
	mmio_write(d->common + CC_GFSELECT, 0, 4);
	mmio_write(d->common + CC_GF, (uint32_t)f, 4);
	mmio_write(d->common + CC_GFSELECT, 1, 4);
	mmio_write(d->common + CC_GF, f >> 32, 4);
}

/* Reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK; true if accepted. */
FAKE bool vdrv_negotiate(struct vdrv *d, uint64_t features)
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
FAKE void vdrv_setup_queue(struct vdrv *d, unsigned int q, uint16_t size,
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

FAKE void vdrv_driver_ok(struct vdrv *d)
{
	vdrv_set_status(d, vdrv_status(d) | VIRTIO_STATUS_DRIVER_OK);
	assert_true(vdrv_status(d) & VIRTIO_STATUS_DRIVER_OK);
}

/* MSI-X on, vector v -> address 0xfee00000, data 0x100 + v, unmasked. */
FAKE void vdrv_enable_msix(struct vdrv *d, unsigned int nr)
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

FAKE void vring_desc(struct vring *vr, uint16_t i, uint64_t addr, uint32_t len,
		     uint16_t flags, uint16_t next)
{
	struct virtq_desc dsc = { addr, len, flags, next };

	memcpy(gpa(vr->desc + 16 * i), &dsc, sizeof(dsc));
}

FAKE void vring_avail(struct vring *vr, uint16_t head)
{
	uint16_t *ring = gpa(vr->avail);

	ring[2 + vr->avail_idx % vr->size] = head;
	vr->avail_idx++;
	__atomic_store_n(&ring[1], vr->avail_idx, __ATOMIC_RELEASE);
}

FAKE uint16_t vring_used_idx(struct vring *vr)
{
	return __atomic_load_n((uint16_t *)gpa(vr->used) + 1, __ATOMIC_ACQUIRE);
}

/* Used element i: id and len. */
FAKE uint32_t vring_used_id(struct vring *vr, uint16_t i)
{
	return ((uint32_t *)gpa(vr->used + 4 + 8 * (i % vr->size)))[0];
}

FAKE uint32_t vring_used_len(struct vring *vr, uint16_t i)
{
	return ((uint32_t *)gpa(vr->used + 4 + 8 * (i % vr->size)))[1];
}

FAKE void vdrv_kick(struct vdrv *d, unsigned int q)
{
	mmio_write(d->common + CC_Q_SELECT, q, 2);
	mmio_write(d->notify + d->notify_mult *
		   mmio_read(d->common + CC_Q_NOTIFY_OFF, 2), q, 2);
}
