/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-blk unit tests on a temporary image file: reads, writes, flush,
 * discard and write zeroes, get-id, errors, a read-only disk, hostile
 * chains; completions come through io_uring and the fake I/O loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include <liburing.h>

#include "selftests/unit/virtio_drv.h"

#define SECTORS		2048
#define IMG_SIZE	(SECTORS * 512)
#define HDR_GPA		0x10000
#define DATA_GPA	0x20000
#define STATUS_GPA	0x18000
#define SERIAL		"serial-0123456789abcdef"	/* longer than 20 */

#define T_IN		0
#define T_OUT		1
#define T_FLUSH		4
#define T_GET_ID	8
#define T_DISCARD	11
#define T_WRITE_ZEROES	13
#define S_OK		0
#define S_IOERR		1
#define S_UNSUPP	2
#define F_SEG_MAX	2
#define F_RO		5
#define F_BLK_SIZE	6
#define F_FLUSH		9
#define F_DISCARD	13
#define F_WRITE_ZEROES	14

/*
 * Hung storage as the device sees it: while storage_hung is set, requests
 * never reach the kernel, so they never complete (the test links with
 * --wrap=io_uring_submit).
 */
static bool storage_hung;
int __real_io_uring_submit(struct io_uring *ring);
int __wrap_io_uring_submit(struct io_uring *ring);

int __wrap_io_uring_submit(struct io_uring *ring)
{
	return storage_hung ? 0 : __real_io_uring_submit(ring);
}

static struct pci_bus *bus;
static struct vdrv drv;
static char img[64];
static uint8_t *expect;		/* what the image must hold */

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off ^ (off >> 9) ^ 0x5a);
}

static void check_image(void)
{
	uint8_t *now = malloc(IMG_SIZE);
	int fd = open(img, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, now, IMG_SIZE, 0), IMG_SIZE);
	close(fd);
	assert_memory_equal(now, expect, IMG_SIZE);
	free(now);
}

static void make_image(void)
{
	int fd;
	uint64_t i;

	strcpy(img, "/tmp/vhv-blk-test-XXXXXX");
	fd = mkstemp(img);
	assert_true(fd >= 0);
	expect = malloc(IMG_SIZE);
	for (i = 0; i < IMG_SIZE; i++)
		expect[i] = pattern(i);
	assert_int_equal(write(fd, expect, IMG_SIZE), IMG_SIZE);
	close(fd);
}

static void start(bool read_only, const char *serial)
{
	struct vmm_disk_config cfg = { .path = img, .read_only = read_only,
				       .serial = serial };
	uint64_t f = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(F_SEG_MAX) |
		     VIRTIO_BIT(F_BLK_SIZE) | VIRTIO_BIT(F_FLUSH) |
		     VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);

	assert_int_equal(pci_bus_create(&fake_vm, &bus), 0);
	assert_int_equal(virtio_blk_create(&fake_vm, bus, &cfg), 0);
	vdrv_find(&drv, VIRTIO_ID_BLOCK);
	f |= read_only ? VIRTIO_BIT(F_RO) :
			 VIRTIO_BIT(F_DISCARD) | VIRTIO_BIT(F_WRITE_ZEROES);
	assert_int_equal(vdrv_device_features(&drv) & f, f);
	assert_true(vdrv_negotiate(&drv, f));
	vdrv_setup_queue(&drv, 0, 64, 0x1000, 0);
	vdrv_driver_ok(&drv);
}

static int setup(void **state)
{
	(void)state;
	fake_vmm_setup(RAM_SIZE);
	make_image();
	start(false, SERIAL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (fk.ram)
		fake_vmm_teardown();
	unlink(img);
	free(expect);
	return 0;
}

/* Waits for the device to have used n buffers, running the I/O thread. */
static void wait_used(uint16_t n)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (vring_used_idx(&drv.q[0]) != n) {
		fake_loop_poll(10);
		clock_gettime(CLOCK_MONOTONIC, &t);
		assert_true(t.tv_sec - t0.tv_sec < 10);
	}
}

static uint8_t status_of(unsigned int slot)
{
	return *(uint8_t *)gpa(STATUS_GPA + slot);
}

/*
 * Request slot k: header, one data buffer, status; descriptors 3k..3k+2.
 * Returns the head.
 */
static uint16_t queue_req(unsigned int k, uint32_t type, uint64_t sector,
			  uint64_t data, uint32_t len)
{
	struct vring *vr = &drv.q[0];
	uint8_t *hdr = gpa(HDR_GPA + 16 * k);
	uint16_t d = 3 * k;
	bool in = type == T_IN || type == T_GET_ID;

	memset(hdr, 0, 16);
	memcpy(hdr, &type, 4);
	memcpy(hdr + 8, &sector, 8);
	*(uint8_t *)gpa(STATUS_GPA + k) = 0xee;
	if (len) {
		vring_desc(vr, d, HDR_GPA + 16 * k, 16, VIRTQ_DESC_F_NEXT, d + 1);
		vring_desc(vr, d + 1, data, len,
			   VIRTQ_DESC_F_NEXT | (in ? VIRTQ_DESC_F_WRITE : 0),
			   d + 2);
	} else {
		vring_desc(vr, d, HDR_GPA + 16 * k, 16, VIRTQ_DESC_F_NEXT, d + 2);
	}
	vring_desc(vr, d + 2, STATUS_GPA + k, 1, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(vr, d);
	return d;
}

/* One request, kicked and waited for; returns its status byte. */
static uint8_t do_req(uint32_t type, uint64_t sector, uint64_t data,
		      uint32_t len)
{
	uint16_t n = vring_used_idx(&drv.q[0]);

	queue_req(0, type, sector, data, len);
	vdrv_kick(&drv, 0);
	wait_used(n + 1);
	assert_int_equal(vring_used_id(&drv.q[0], n), 0);
	return status_of(0);
}

/* ---- tests ------------------------------------------------------------------- */

static void test_config(void **state)
{
	(void)state;
	assert_int_equal(mmio_read(drv.device + 0, 8), SECTORS);
	assert_int_equal(mmio_read(drv.device + 0x0c, 4), 254);	/* seg_max */
	assert_int_equal(mmio_read(drv.device + 0x14, 4), 512);	/* blk_size */
	assert_int_equal(mmio_read(drv.device + 0x28, 4), 1);	/* discard segs */
	assert_int_equal(mmio_read(drv.device + 0x34, 4), 1);	/* wz segs */
	assert_int_equal(mmio_read(drv.device + 0x3c, 4), 0);	/* past the end */
	assert_false(vdrv_device_features(&drv) & VIRTIO_BIT(F_RO));
	assert_int_equal(cfg_read(drv.slot, PCI_CFG_DEVICE_ID, 2), 0x1042);
}

static void test_read(void **state)
{
	uint8_t *buf = gpa(DATA_GPA);

	(void)state;
	memset(buf, 0, 4096);
	assert_int_equal(do_req(T_IN, 3, DATA_GPA, 1024), S_OK);
	assert_memory_equal(buf, expect + 3 * 512, 1024);
	assert_int_equal(buf[1024], 0);
	assert_int_equal(vring_used_len(&drv.q[0], 0), 1025);
	/* Last sector of the disk. */
	assert_int_equal(do_req(T_IN, SECTORS - 1, DATA_GPA, 512), S_OK);
	assert_memory_equal(buf, expect + (SECTORS - 1) * 512, 512);
	/* MSI-X is off: INTx told the driver. */
	assert_int_equal(fk.gsi_level[16 + drv.slot % 4], 1);
	assert_int_equal(mmio_read(drv.isr, 1), 1);
}

static void test_write_and_flush(void **state)
{
	uint8_t *buf = gpa(DATA_GPA);

	(void)state;
	for (int i = 0; i < 2048; i++)
		buf[i] = i * 3;
	assert_int_equal(do_req(T_OUT, 10, DATA_GPA, 2048), S_OK);
	memcpy(expect + 10 * 512, buf, 2048);
	assert_int_equal(vring_used_len(&drv.q[0], 0), 1);
	assert_int_equal(do_req(T_FLUSH, 0, 0, 0), S_OK);
	check_image();
}

static void test_many_in_flight(void **state)
{
	unsigned int k;

	(void)state;
	vdrv_enable_msix(&drv, 2);
	/* Eight writes and eight reads made available before one kick. */
	for (k = 0; k < 8; k++) {
		memset(gpa(DATA_GPA + 0x1000 * k), 0x10 + k, 512);
		queue_req(k, T_OUT, 100 + k, DATA_GPA + 0x1000 * k, 512);
		memset(expect + (100 + k) * 512, 0x10 + k, 512);
	}
	for (k = 8; k < 16; k++)
		queue_req(k, T_IN, 200 + k, DATA_GPA + 0x1000 * k, 512);
	vdrv_kick(&drv, 0);
	wait_used(16);
	for (k = 0; k < 16; k++)
		assert_int_equal(status_of(k), S_OK);
	for (k = 8; k < 16; k++)
		assert_memory_equal(gpa(DATA_GPA + 0x1000 * k),
				    expect + (200 + k) * 512, 512);
	check_image();
	/* Completions arrived as MSI-X on the queue's vector. */
	assert_true(fk.nr_msi >= 1);
	assert_int_equal(fk.msi[0].data, 0x100);
}

static void put_range(uint64_t gpa_, uint64_t sector, uint32_t nr,
		      uint32_t flags)
{
	uint8_t *p = gpa(gpa_);

	memcpy(p, &sector, 8);
	memcpy(p + 8, &nr, 4);
	memcpy(p + 12, &flags, 4);
}

/* Discard/write-zeroes: the range travels as readable data. */
static uint8_t do_range(uint32_t type, unsigned int nr_ranges)
{
	struct vring *vr = &drv.q[0];
	uint16_t n = vring_used_idx(vr);
	uint8_t *hdr = gpa(HDR_GPA);

	memset(hdr, 0, 16);
	memcpy(hdr, &type, 4);
	*(uint8_t *)gpa(STATUS_GPA) = 0xee;
	vring_desc(vr, 0, HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	vring_desc(vr, 1, DATA_GPA, 16 * nr_ranges, VIRTQ_DESC_F_NEXT, 2);
	vring_desc(vr, 2, STATUS_GPA, 1, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(vr, 0);
	vdrv_kick(&drv, 0);
	wait_used(n + 1);
	return status_of(0);
}

static void test_discard_and_write_zeroes(void **state)
{
	(void)state;
	put_range(DATA_GPA, 8, 8, 0);
	assert_int_equal(do_range(T_WRITE_ZEROES, 1), S_OK);
	memset(expect + 8 * 512, 0, 8 * 512);
	check_image();
	/* With the unmap flag, still zeroes. */
	put_range(DATA_GPA, 40, 3, 1);
	assert_int_equal(do_range(T_WRITE_ZEROES, 1), S_OK);
	memset(expect + 40 * 512, 0, 3 * 512);
	check_image();
	/* Discard: punched, reads back as zeroes here. */
	put_range(DATA_GPA, 64, 16, 0);
	assert_int_equal(do_range(T_DISCARD, 1), S_OK);
	memset(expect + 64 * 512, 0, 16 * 512);
	check_image();
	/* The unmap flag is not defined for discard; unknown flags neither. */
	put_range(DATA_GPA, 100, 1, 1);
	assert_int_equal(do_range(T_DISCARD, 1), S_UNSUPP);
	put_range(DATA_GPA, 100, 1, 2);
	assert_int_equal(do_range(T_WRITE_ZEROES, 1), S_UNSUPP);
	/* More ranges than max_discard_seg, or past the end. */
	put_range(DATA_GPA, 100, 1, 0);
	put_range(DATA_GPA + 16, 200, 1, 0);
	assert_int_equal(do_range(T_DISCARD, 2), S_IOERR);
	put_range(DATA_GPA, SECTORS - 1, 2, 0);
	assert_int_equal(do_range(T_WRITE_ZEROES, 1), S_IOERR);
	put_range(DATA_GPA, ~0ull, 1, 0);
	assert_int_equal(do_range(T_DISCARD, 1), S_IOERR);
	check_image();
}

static void test_get_id(void **state)
{
	uint8_t *buf = gpa(DATA_GPA);

	(void)state;
	memset(buf, 0xff, 32);
	assert_int_equal(do_req(T_GET_ID, 0, DATA_GPA, 20), S_OK);
	assert_memory_equal(buf, SERIAL, 20);
	assert_int_equal(buf[20], 0xff);
	assert_int_equal(vring_used_len(&drv.q[0], 0), 21);
	/* A shorter buffer gets what fits. */
	memset(buf, 0xff, 32);
	assert_int_equal(do_req(T_GET_ID, 0, DATA_GPA, 6), S_OK);
	assert_memory_equal(buf, SERIAL, 6);
	assert_int_equal(buf[6], 0xff);
}

static void test_serial_from_path(void **state)
{
	char id1[20], id2[20];

	(void)state;
	fake_vmm_teardown();
	fake_vmm_setup(RAM_SIZE);
	start(false, NULL);
	memset(gpa(DATA_GPA), 0, 20);
	assert_int_equal(do_req(T_GET_ID, 0, DATA_GPA, 20), S_OK);
	memcpy(id1, gpa(DATA_GPA), 20);
	assert_memory_equal(id1, "vhv-", 4);
	/* Stable for the same path. */
	fake_vmm_teardown();
	fake_vmm_setup(RAM_SIZE);
	start(false, NULL);
	assert_int_equal(do_req(T_GET_ID, 0, DATA_GPA, 20), S_OK);
	memcpy(id2, gpa(DATA_GPA), 20);
	assert_memory_equal(id1, id2, 20);
}

static void test_out_of_range(void **state)
{
	uint8_t *buf = gpa(DATA_GPA);

	(void)state;
	memset(buf, 0xab, 4096);
	assert_int_equal(do_req(T_IN, SECTORS - 1, DATA_GPA, 1024), S_IOERR);
	assert_int_equal(vring_used_len(&drv.q[0], 0), 1);
	assert_int_equal(do_req(T_IN, SECTORS, DATA_GPA, 512), S_IOERR);
	assert_int_equal(do_req(T_OUT, SECTORS - 1, DATA_GPA, 1024), S_IOERR);
	assert_int_equal(do_req(T_OUT, ~0ull, DATA_GPA, 512), S_IOERR);
	assert_int_equal(do_req(T_OUT, ~0ull / 512, DATA_GPA, 512), S_IOERR);
	/* Not a whole number of sectors. */
	assert_int_equal(do_req(T_OUT, 0, DATA_GPA, 100), S_IOERR);
	assert_int_equal(do_req(T_IN, 0, DATA_GPA, 513), S_IOERR);
	/* An unknown request type. */
	assert_int_equal(do_req(0x77, 0, DATA_GPA, 512), S_UNSUPP);
	check_image();
	assert_false(vdrv_status(&drv) & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_read_only(void **state)
{
	uint8_t *buf;

	(void)state;
	fake_vmm_teardown();
	fake_vmm_setup(RAM_SIZE);
	start(true, NULL);
	buf = gpa(DATA_GPA);
	assert_true(vdrv_device_features(&drv) & VIRTIO_BIT(F_RO));
	assert_false(vdrv_device_features(&drv) & VIRTIO_BIT(F_DISCARD));
	memset(buf, 0x33, 512);
	assert_int_equal(do_req(T_OUT, 0, DATA_GPA, 512), S_IOERR);
	put_range(DATA_GPA, 0, 8, 0);
	assert_int_equal(do_range(T_WRITE_ZEROES, 1), S_UNSUPP);
	assert_int_equal(do_range(T_DISCARD, 1), S_UNSUPP);
	assert_int_equal(do_req(T_FLUSH, 0, 0, 0), S_OK);
	assert_int_equal(do_req(T_IN, 5, DATA_GPA, 512), S_OK);
	assert_memory_equal(buf, expect + 5 * 512, 512);
	check_image();
}

static void test_bad_header(void **state)
{
	struct vring *vr = &drv.q[0];

	(void)state;
	/* Header shorter than 16 bytes: IOERR. */
	vring_desc(vr, 0, HDR_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	vring_desc(vr, 1, STATUS_GPA, 1, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(vr, 0);
	vdrv_kick(&drv, 0);
	wait_used(1);
	assert_int_equal(status_of(0), S_IOERR);
	/* Header in a device-writable buffer: IOERR, nothing read into it. */
	memset(gpa(HDR_GPA), 0, 16);
	vring_desc(vr, 0, HDR_GPA, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	vring_desc(vr, 1, STATUS_GPA, 1, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(vr, 0);
	vdrv_kick(&drv, 0);
	wait_used(2);
	assert_int_equal(status_of(0), S_IOERR);
	assert_true(memcmp(gpa(HDR_GPA), "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0);
	/* Status and data sharing one buffer: the last byte is the status. */
	memset(gpa(DATA_GPA), 0, 1024);
	queue_req(0, T_IN, 7, DATA_GPA, 512);
	vring_desc(vr, 1, DATA_GPA, 513, VIRTQ_DESC_F_WRITE, 0);
	vdrv_kick(&drv, 0);
	wait_used(3);
	assert_int_equal(*(uint8_t *)gpa(DATA_GPA + 512), S_OK);
	assert_memory_equal(gpa(DATA_GPA), expect + 7 * 512, 512);
	assert_false(vdrv_status(&drv) & VIRTIO_STATUS_NEEDS_RESET);
}

static void test_no_status_byte(void **state)
{
	struct vring *vr = &drv.q[0];
	uint32_t type = T_OUT;

	(void)state;
	memset(gpa(HDR_GPA), 0, 16);
	memcpy(gpa(HDR_GPA), &type, 4);
	vring_desc(vr, 0, HDR_GPA, 16, VIRTQ_DESC_F_NEXT, 1);
	vring_desc(vr, 1, DATA_GPA, 512, 0, 0);
	vring_avail(vr, 0);
	vdrv_kick(&drv, 0);
	fake_loop_poll(50);
	assert_true(vdrv_status(&drv) & VIRTIO_STATUS_NEEDS_RESET);
	check_image();
}

static void test_malformed_chains(void **state)
{
	struct vring *vr = &drv.q[0];

	(void)state;
	/* A write whose data runs past the end of guest RAM. */
	queue_req(0, T_OUT, 0, RAM_SIZE - 256, 512);
	vdrv_kick(&drv, 0);
	fake_loop_poll(50);
	assert_true(vdrv_status(&drv) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(vring_used_idx(vr), 0);
	assert_int_equal(status_of(0), 0xee);
	check_image();

	/* After a reset: a read into a buffer that loops back on itself. */
	vdrv_set_status(&drv, 0);
	assert_true(vdrv_negotiate(&drv, VIRTIO_BIT(VIRTIO_F_VERSION_1)));
	vdrv_setup_queue(&drv, 0, 64, 0x1000, 0);
	vdrv_driver_ok(&drv);
	queue_req(0, T_IN, 0, DATA_GPA, 512);
	vring_desc(vr, 2, STATUS_GPA, 1, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0);
	vdrv_kick(&drv, 0);
	fake_loop_poll(50);
	assert_true(vdrv_status(&drv) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(vring_used_idx(vr), 0);

	/* And a read whose data buffer straddles the end of RAM. */
	vdrv_set_status(&drv, 0);
	assert_true(vdrv_negotiate(&drv, VIRTIO_BIT(VIRTIO_F_VERSION_1)));
	vdrv_setup_queue(&drv, 0, 64, 0x1000, 0);
	vdrv_driver_ok(&drv);
	queue_req(0, T_IN, 0, RAM_SIZE - 512, 1024);
	vdrv_kick(&drv, 0);
	fake_loop_poll(50);
	assert_true(vdrv_status(&drv) & VIRTIO_STATUS_NEEDS_RESET);
	check_image();
}

/*
 * A guest that makes the head it just made available available again
 * while the device walks it (another vCPU, in a real VM): without a bound
 * one kick would pop a new request each time, all in flight at once.
 */
static unsigned int republish_left;

static void republish_head0(uint64_t addr, uint64_t len)
{
	(void)len;
	if (addr == HDR_GPA && republish_left) {
		republish_left--;
		vring_avail(&drv.q[0], 0);
	}
}

static void test_head_republished_in_flight(void **state)
{
	(void)state;
	republish_left = 1000;
	fk.guest_ptr_hook = republish_head0;
	queue_req(0, T_IN, 0, DATA_GPA, 512);
	vdrv_kick(&drv, 0);
	fk.guest_ptr_hook = NULL;
	while (fake_loop_poll(50) > 0)
		;
	/* At most a queue's worth was ever in flight, then the device stopped. */
	print_message("requests used after one kick: %u\n",
		      vring_used_idx(&drv.q[0]));
	assert_true(vring_used_idx(&drv.q[0]) <= 64);
	assert_true(vdrv_status(&drv) & VIRTIO_STATUS_NEEDS_RESET);
	assert_non_null(strstr(fk.msg, "already in flight"));
	/* The driver recovers with a reset. */
	vdrv_set_status(&drv, 0);
	assert_true(vdrv_negotiate(&drv, VIRTIO_BIT(VIRTIO_F_VERSION_1)));
	vdrv_setup_queue(&drv, 0, 64, 0x1000, 0);
	vdrv_driver_ok(&drv);
	assert_int_equal(do_req(T_IN, 3, DATA_GPA, 512), S_OK);
	assert_memory_equal(gpa(DATA_GPA), expect + 3 * 512, 512);
}

static void test_reset_and_teardown_drain(void **state)
{
	uint16_t used_at_reset;
	unsigned int k;

	(void)state;
	/*
	 * Reset with writes in flight: they land, the ring is left alone.
	 * Those the host finished inside the kick are already used (the
	 * kick reaps them); the rest complete after the reset, unseen.
	 */
	for (k = 0; k < 4; k++) {
		memset(gpa(DATA_GPA + 0x1000 * k), 0x70 + k, 4096);
		queue_req(k, T_OUT, 300 + 8 * k, DATA_GPA + 0x1000 * k, 4096);
		memset(expect + (300 + 8 * k) * 512, 0x70 + k, 4096);
	}
	vdrv_kick(&drv, 0);
	used_at_reset = vring_used_idx(&drv.q[0]);
	assert_true(used_at_reset <= 4);
	vdrv_set_status(&drv, 0);
	check_image();
	while (fake_loop_poll(0) > 0)
		;
	assert_int_equal(vring_used_idx(&drv.q[0]), used_at_reset);

	/* Teardown with a write in flight: waited for and synced. */
	assert_true(vdrv_negotiate(&drv, VIRTIO_BIT(VIRTIO_F_VERSION_1)));
	vdrv_setup_queue(&drv, 0, 64, 0x1000, 0);
	vdrv_driver_ok(&drv);
	memset(gpa(DATA_GPA), 0x99, 8192);
	queue_req(0, T_OUT, 500, DATA_GPA, 8192);
	memset(expect + 500 * 512, 0x99, 8192);
	vdrv_kick(&drv, 0);
	fake_vmm_teardown();
	check_image();
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Storage that never answers: tearing the VM down gives up on the disk's
 * requests after a few seconds and says how many it abandoned, instead of
 * waiting forever (SIGALRM ends the test if it does).
 */
static void test_teardown_on_hung_storage(void **state)
{
	char log[] = "/tmp/vhv-blk-stderr-XXXXXX", text[512] = { 0 };
	struct timespec t0;
	int fd, saved;
	double took;

	(void)state;
	storage_hung = true;
	memset(gpa(DATA_GPA), 0x99, 4096);
	queue_req(0, T_OUT, 500, DATA_GPA, 4096);
	queue_req(1, T_FLUSH, 0, 0, 0);
	vdrv_kick(&drv, 0);
	assert_int_equal(vring_used_idx(&drv.q[0]), 0);

	fd = mkstemp(log);
	assert_true(fd >= 0);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	alarm(20);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fake_vmm_teardown();
	took = seconds_since(&t0);
	alarm(0);
	dup2(saved, STDERR_FILENO);
	close(saved);
	storage_hung = false;
	assert_true(pread(fd, text, sizeof(text) - 1, 0) > 0);
	close(fd);
	unlink(log);
	print_message("teardown took %.1f s: %s", took, text);
	assert_true(took < 10);
	assert_non_null(strstr(text, img));
	assert_non_null(strstr(text, "2 requests"));
	assert_non_null(strstr(text, "abandoned"));
}

/*
 * The teardown's flush goes through the confined ring like every request
 * (registered file 0, IOSQE_FIXED_FILE): it must succeed, so the VMM's
 * exit says nothing about the disk.
 */
static void test_final_flush_through_ring(void **state)
{
	char log[] = "/tmp/vhv-blk-stderr-XXXXXX", text[512] = { 0 };
	int fd, saved;

	(void)state;
	memset(gpa(DATA_GPA), 0x5a, 4096);
	assert_int_equal(do_req(T_OUT, 40, DATA_GPA, 4096), S_OK);
	memset(expect + 40 * 512, 0x5a, 4096);

	fd = mkstemp(log);
	assert_true(fd >= 0);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	fake_vmm_teardown();
	dup2(saved, STDERR_FILENO);
	close(saved);
	assert_true(pread(fd, text, sizeof(text) - 1, 0) >= 0);
	close(fd);
	unlink(log);
	if (text[0])
		print_message("teardown said: %s", text);
	assert_string_equal(text, "");
	check_image();
}

/* A device reset on hung storage stops the VM instead of hanging the vCPU. */
static void test_reset_on_hung_storage(void **state)
{
	struct timespec t0;
	double took;

	(void)state;
	storage_hung = true;
	queue_req(0, T_OUT, 500, DATA_GPA, 4096);
	vdrv_kick(&drv, 0);
	alarm(20);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	vdrv_set_status(&drv, 0);
	took = seconds_since(&t0);
	alarm(0);
	print_message("reset took %.1f s: %s\n", took, fk.msg);
	assert_true(took < 10);
	assert_int_equal(fk.nr_fails, 1);
	assert_non_null(strstr(fk.msg, "reset"));
	assert_non_null(strstr(fk.msg, "1 request"));
	/* Teardown then abandons it without waiting again for long. */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	fake_vmm_teardown();
	storage_hung = false;
	assert_true(seconds_since(&t0) < 1);
}

/*
 * A writable image is locked exclusively, a read-only one shared: a
 * second VMM (here a second device) cannot write what one already uses.
 */
static void test_image_locked(void **state)
{
	struct vmm_disk_config cfg = { .path = img };
	pid_t pid;
	int status;

	(void)state;
	/* setup's device writes img: a second one here is the same file. */
	assert_int_equal(virtio_blk_create(&fake_vm, bus, &cfg), -EBUSY);
	assert_non_null(strstr(fk.msg, img));
	assert_non_null(strstr(fk.msg, "same file"));
	cfg.read_only = true;
	assert_int_equal(virtio_blk_create(&fake_vm, bus, &cfg), -EBUSY);
	/* Another process sees the lock too. */
	pid = fork();
	if (pid == 0) {
		int fd = open(img, O_RDONLY);

		_exit(fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) &&
		      errno == EWOULDBLOCK ? 0 : 1);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	/* Read-only devices share the image; a writer is then refused. */
	fake_vmm_teardown();
	fake_vmm_setup(RAM_SIZE);
	start(true, NULL);
	assert_int_equal(virtio_blk_create(&fake_vm, bus, &cfg), 0);
	cfg.read_only = false;
	assert_int_equal(virtio_blk_create(&fake_vm, bus, &cfg), -EBUSY);
	/* Gone with the VM: a writer may then have it. */
	fake_vmm_teardown();
	fake_vmm_setup(RAM_SIZE);
	start(false, NULL);
}

/* Submits the one SQE prepared on ring; returns its result. */
static int ring_do(struct io_uring *ring)
{
	struct io_uring_cqe *cqe;
	int r;

	r = io_uring_submit(ring);
	if (r < 0)
		return r;
	assert_int_equal(io_uring_wait_cqe(ring, &cqe), 0);
	r = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return r;
}

/*
 * The disk's ring is no way around the seccomp sandbox: code in the VMM
 * that reaches it can neither open a file or a socket through it, nor
 * use a descriptor the ring was not given, nor change what it was given.
 * Only the image, as registered file 0, with the device's opcodes.
 */
static void test_ring_confined(void **state)
{
	struct io_uring_probe *probe = io_uring_get_probe();
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	uint8_t buf[512];
	struct iovec iov = { buf, sizeof(buf) };
	int fd = open(img, O_RDONLY | O_CLOEXEC);
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int r, want_socket;

	(void)state;
	assert_non_null(probe);
	assert_true(fd >= 0 && efd >= 0);
	/* A kernel without IORING_OP_SOCKET refuses it as unknown. */
	want_socket = io_uring_opcode_supported(probe, IORING_OP_SOCKET) ?
		      -EACCES : -EINVAL;
	io_uring_free_probe(probe);
	assert_int_equal(virtio_blk_ring_init(&ring, fd, efd), 0);

	/* openat and socket are refused. */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_openat(sqe, AT_FDCWD, img, O_RDONLY | O_CLOEXEC, 0);
	r = ring_do(&ring);
	if (r >= 0)
		close(r);
	assert_int_equal(r, -EACCES);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_socket(sqe, AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0, 0);
	r = ring_do(&ring);
	if (r >= 0)
		close(r);
	assert_int_equal(r, want_socket);

	/* The device's own requests work: file 0 is the image. */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_readv(sqe, 0, &iov, 1, 512);
	io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
	assert_int_equal(ring_do(&ring), 512);
	assert_memory_equal(buf, expect + 512, 512);

	/* A plain descriptor, even the image's own, is refused. */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_readv(sqe, fd, &iov, 1, 0);
	assert_int_equal(ring_do(&ring), -EACCES);

	/* The file table cannot change, by SQE or by registration. */
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_files_update(sqe, &fd, 1, 0);
	assert_int_equal(ring_do(&ring), -EACCES);
	assert_int_equal(io_uring_register_files_update(&ring, 0, &efd, 1),
			 -EACCES);
	assert_int_equal(io_uring_register_buffers(&ring, &iov, 1), -EACCES);

	io_uring_queue_exit(&ring);
	close(efd);
	close(fd);
}

/* Another process holding the image's lock is named as such. */
static void test_image_locked_by_another_process(void **state)
{
	struct vmm_disk_config cfg = { .path = img };
	int ready[2], hold[2], status;
	char c;
	pid_t pid;

	(void)state;
	fake_vmm_teardown();
	fake_vmm_setup(RAM_SIZE);
	assert_int_equal(pci_bus_create(&fake_vm, &bus), 0);
	assert_int_equal(pipe(ready), 0);
	assert_int_equal(pipe(hold), 0);
	pid = fork();
	if (pid == 0) {
		int fd = open(img, O_RDONLY);

		close(hold[1]);
		if (fd < 0 || flock(fd, LOCK_EX) || write(ready[1], "l", 1) != 1)
			_exit(1);
		/* Holds the lock until the parent closes its end. */
		_exit(read(hold[0], &c, 1) == 0 ? 0 : 1);
	}
	close(ready[1]);
	close(hold[0]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	assert_int_equal(virtio_blk_create(&fake_vm, bus, &cfg), -EBUSY);
	assert_non_null(strstr(fk.msg, img));
	assert_non_null(strstr(fk.msg, "in use by another process"));
	close(hold[1]);
	close(ready[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Released: the image is ours now. */
	assert_int_equal(virtio_blk_create(&fake_vm, bus, &cfg), 0);
}

/*
 * One image given twice (here through a second name) is refused with a
 * message that says so, not as "in use by another process".
 */
static void test_same_file_twice(void **state)
{
	struct vmm_disk_config cfg = { 0 };
	char link_path[80];

	(void)state;
	snprintf(link_path, sizeof(link_path), "%s.link", img);
	assert_int_equal(link(img, link_path), 0);
	cfg.path = link_path;
	assert_int_equal(virtio_blk_create(&fake_vm, bus, &cfg), -EBUSY);
	print_message("%s\n", fk.msg);
	assert_non_null(strstr(fk.msg, link_path));
	assert_non_null(strstr(fk.msg, "same file as disk"));
	assert_null(strstr(fk.msg, "another process"));
	cfg.read_only = true;
	assert_int_equal(virtio_blk_create(&fake_vm, bus, &cfg), -EBUSY);
	assert_non_null(strstr(fk.msg, "same file as disk"));
	unlink(link_path);

	/* Two read-only disks on one image share it, as before. */
	fake_vmm_teardown();
	fake_vmm_setup(RAM_SIZE);
	start(true, NULL);
	cfg.path = img;
	assert_int_equal(virtio_blk_create(&fake_vm, bus, &cfg), 0);
	/* A disk gone with its VM is forgotten. */
	fake_vmm_teardown();
	fake_vmm_setup(RAM_SIZE);
	start(false, NULL);
}

static void test_create_errors(void **state)
{
	struct vmm_disk_config cfg = { 0 };
	char dir[] = "/tmp/vhv-blk-dir-XXXXXX";
	int fd;

	(void)state;
	cfg.path = "/nonexistent/disk.img";
	assert_int_equal(virtio_blk_create(&fake_vm, bus, &cfg), -ENOENT);
	assert_non_null(strstr(fk.msg, "/nonexistent/disk.img"));
	assert_non_null(mkdtemp(dir));
	cfg.path = dir;
	cfg.read_only = true;
	assert_int_equal(virtio_blk_create(&fake_vm, bus, &cfg), -EISDIR);
	assert_non_null(strstr(fk.msg, dir));
	cfg.read_only = false;
	assert_true(virtio_blk_create(&fake_vm, bus, &cfg) < 0);
	rmdir(dir);
	fd = open(img, O_WRONLY);
	assert_int_equal(ftruncate(fd, 1000), 0);
	close(fd);
	cfg.path = img;
	assert_int_equal(virtio_blk_create(&fake_vm, bus, &cfg), -EINVAL);
	assert_non_null(strstr(fk.msg, img));
	assert_non_null(strstr(fk.msg, "512"));
	cfg.path = NULL;
	assert_int_equal(virtio_blk_create(&fake_vm, bus, &cfg), -EINVAL);
	/* Nothing half-made stays behind (fake_vmm_teardown checks). */
	assert_int_equal(fk.nr_dev, 2);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_config),
		T(test_read),
		T(test_write_and_flush),
		T(test_many_in_flight),
		T(test_discard_and_write_zeroes),
		T(test_get_id),
		T(test_serial_from_path),
		T(test_out_of_range),
		T(test_read_only),
		T(test_image_locked),
		T(test_image_locked_by_another_process),
		T(test_bad_header),
		T(test_no_status_byte),
		T(test_malformed_chains),
		T(test_head_republished_in_flight),
		T(test_reset_and_teardown_drain),
		T(test_final_flush_through_ring),
		T(test_teardown_on_hung_storage),
		T(test_reset_on_hung_storage),
		T(test_same_file_twice),
		T(test_create_errors),
		T(test_ring_confined),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
