// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the PCI bus (config space, BARs, MSI-X table), the
 * virtio-pci transport, the virtqueue core and the request handling of
 * virtio-rng, virtio-blk (on a scratch image, through its io_uring) and
 * virtio-net (on a socketpair, with and without the vnet header), driven
 * as a hostile guest drives them.  It links the unit
 * tests' fake VM (selftests/unit/fake_vmm.c: guest RAM, the I/O bus, logs
 * of interrupts) and their small driver, with a cmocka stand-in that
 * aborts on a failed check (selftests/fuzz/shim/).
 *
 * The input first picks the device and says how far a well-behaved driver
 * sets it up (nothing, features, queues of a given size and place, MSI-X,
 * DRIVER_OK), then spells a program: config-space and port accesses, MMIO
 * anywhere in the registered ranges, writes to guest RAM (the rings and
 * descriptors), descriptor chains made available and kicked, packets from
 * the network peer.  The I/O thread's handlers run after each step.  Beyond
 * ASan and UBSan it checks that nothing the guest does makes a device
 * report a host failure (vmm_vm_fail is for the host side) or spin the
 * event loop, that every interrupt names a GSI (the fake's own check), and
 * that the device's ranges and descriptors all go away at teardown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/pci.h"
#include "devices/virtio.h"
#include "devices/virtio_net.h"
#include "selftests/unit/fake_vmm.h"
#include "selftests/unit/virtio_drv.h"
#include "selftests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t access_size(uint8_t b)
{
	return 1u << (b & 3);
}

/* An MMIO access inside one of the registered MMIO ranges. */
static struct fake_range *pick_mmio(uint8_t which)
{
	unsigned int i, n = 0;

	for (i = 0; i < fk.nr_ranges; i++)
		if (fk.r[i].space == VMM_SPACE_MMIO)
			n++;
	if (!n)
		return NULL;
	which %= n;
	for (i = 0; i < fk.nr_ranges; i++)
		if (fk.r[i].space == VMM_SPACE_MMIO && !which--)
			return &fk.r[i];
	return NULL;
}

/* The device under test: what the input's first byte picks. */
struct dut {
	uint16_t id;
	unsigned int nr_queues;
	int peer;		/* virtio-net's other end, or -1 */
};

/*
 * A scratch disk image, made once per process and unlinked at once: the
 * device opens it again through /proc/self/fd, and nothing stays behind.
 */
static const char *image(void)
{
	static char path[64];
	char tmpl[] = "/tmp/vhv-fuzz-blk-XXXXXX";
	int fd;

	if (!path[0]) {
		fd = mkstemp(tmpl);
		assert_true(fd >= 0);
		unlink(tmpl);
		assert_int_equal(ftruncate(fd, 256 << 10), 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	return path;
}

static void create(struct pci_bus *bus, uint8_t pick, struct dut *dut)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0, 0x12, 0x34, 0x56 };
	struct vmm_disk_config disk = { .path = image(), .read_only = pick & 4 };
	int sv[2];

	dut->peer = -1;
	switch (pick % 3) {
	case 0:
		dut->id = VIRTIO_ID_RNG;
		dut->nr_queues = 1;
		assert_int_equal(virtio_rng_create(&fake_vm, bus), 0);
		break;
	case 1:
		dut->id = VIRTIO_ID_BLOCK;
		dut->nr_queues = 1;
		assert_int_equal(virtio_blk_create(&fake_vm, bus, &disk), 0);
		break;
	default:
		dut->id = VIRTIO_ID_NET;
		dut->nr_queues = 2;
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC |
					    SOCK_NONBLOCK, 0, sv), 0);
		assert_int_equal(virtio_net_create_fd(&fake_vm, bus, sv[0], mac,
						      pick & 4, "fuzz"), 0);
		dut->peer = sv[1];
		break;
	}
}

/* A driver that follows the spec, as far as the input asks. */
static bool set_up(struct vdrv *d, const struct dut *dut, struct input *in)
{
	uint8_t how = take8(in), qsize = take8(in);
	uint64_t ring = (take16(in) & 0xff) * 0x1000ull, offered;
	unsigned int q;

	if (!(how & 1))
		return false;
	vdrv_find(d, dut->id);
	if (!(how & 2))
		return true;
	offered = vdrv_device_features(d);
	if (!vdrv_negotiate(d, VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			       ((uint64_t)take32(in) & offered)))
		return true;
	if (how & 4)
		vdrv_enable_msix(d, dut->nr_queues + 1);
	mmio_write(d->common + CC_Q_SELECT, 0, 2);
	qsize = qsize % mmio_read(d->common + CC_Q_SIZE, 2) + 1;
	if (!(how & 8) || ring + 0x4000 * dut->nr_queues > RAM_SIZE)
		return true;
	for (q = 0; q < dut->nr_queues; q++)
		vdrv_setup_queue(d, q, qsize, ring + 0x4000 * q,
				 how & 4 ? q + 1 : NO_VECTOR);
	if (how & 16)
		vdrv_driver_ok(d);
	return true;
}

static void step(struct vdrv *d, const struct dut *dut, bool found, struct input *in)
{
	uint8_t op = take8(in), b = take8(in);
	struct fake_range *r;
	uint64_t v, a;
	uint8_t buf[32];
	unsigned int q;
	uint16_t i;

	switch (op % 10) {
	case 0:	/* config space through 0xcf8/0xcfc, any slot and offset */
		cfg_write(b & 31, take8(in), take32(in), access_size(b >> 5));
		break;
	case 1:
		(void)cfg_read(b & 31, take8(in), access_size(b >> 5));
		break;
	case 2:	/* MMIO anywhere in a registered range */
		v = take64(in);
		a = take32(in);
		r = pick_mmio(b);
		if (r)
			mmio_write(r->base + a % r->len, v, access_size(b >> 5));
		break;
	case 3:
		a = take32(in);
		r = pick_mmio(b);
		if (r)
			(void)mmio_read(r->base + a % r->len, access_size(b >> 5));
		break;
	case 4:	/* the guest writes its memory: rings, descriptors, tables */
		a = take32(in) % RAM_SIZE;
		take(in, buf, (b & 31) + 1);
		if (a + (b & 31) + 1 <= RAM_SIZE)
			memcpy(gpa(a), buf, (b & 31) + 1);
		break;
	case 5:	/* a descriptor, made available, kicked */
		q = (b >> 1) % dut->nr_queues;
		if (!found || !d->q[q].size)
			break;
		i = take16(in) % d->q[q].size;
		a = take64(in);
		v = take32(in);
		vring_desc(&d->q[q], i, b & 1 ? a % RAM_SIZE : a, (uint32_t)v,
			   take16(in) & 7, take16(in));
		vring_avail(&d->q[q], i);
		vdrv_kick(d, q);
		break;
	case 6:
		if (found && d->notify)
			mmio_write(d->notify + (b & 7) * d->notify_mult, b >> 3, 2);
		break;
	case 7:	/* a status byte, a reset among them */
		if (found && d->common)
			mmio_write(d->common + CC_STATUS, b, 1);
		break;
	case 8:	/* a packet from the network */
		take(in, buf, (b & 31) + 1);
		if (dut->peer >= 0)
			(void)send(dut->peer, buf, (b & 31) + 1, MSG_DONTWAIT);
		break;
	case 9:	/* the network takes what the guest sent */
		if (dut->peer >= 0)
			while (recv(dut->peer, buf, sizeof(buf), MSG_DONTWAIT | MSG_TRUNC) > 0)
				;
		break;
	}
	/* The I/O thread's turn: it must settle (fake_loop_run fails a spin). */
	fake_loop_run();
	/* The fake checks each interrupt's GSI; its logs are the harness's. */
	fk.nr_irq = 0;
	fk.nr_msi = 0;
	assert_int_equal(fk.nr_fails, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct pci_bus *bus;
	struct vdrv d;
	struct dut dut;
	unsigned int steps;
	bool found;

	/*
	 * Guest RAM is allocated once and cleared per input: a fresh 1 MiB
	 * each time cost an mmap, a munmap with its TLB shootdown and the
	 * page faults between, most of a run's time.
	 */
	static uint8_t *ram;

	if (!ram)
		ram = malloc(RAM_SIZE);
	assert_non_null(ram);
	memset(ram, 0, RAM_SIZE);
	fake_vmm_setup(0);
	fk.ram = ram;
	fk.ram_size = RAM_SIZE;
	assert_int_equal(pci_bus_create(&fake_vm, &bus), 0);
	create(bus, take8(&in), &dut);
	memset(&d, 0, sizeof(d));
	found = set_up(&d, &dut, &in);
	for (steps = 0; in.left && steps < 512; steps++)
		step(&d, &dut, found, &in);
	assert_int_equal(fk.nr_fails, 0);
	fake_vmm_destroy_devices();
	fk.ram = NULL;		/* kept for the next input */
	fake_vmm_teardown();
	if (dut.peer >= 0)
		close(dut.peer);
	return 0;
}
