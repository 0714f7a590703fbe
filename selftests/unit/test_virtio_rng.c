/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-rng unit tests: the device on a PCI bus, buffers filled with
 * host randomness, only the writable ones, within bounds.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "selftests/unit/virtio_drv.h"

static struct pci_bus *bus;
static struct vdrv drv;

static int setup(void **state)
{
	(void)state;
	fake_vmm_setup(RAM_SIZE);
	assert_int_equal(pci_bus_create(&fake_vm, &bus), 0);
	assert_int_equal(virtio_rng_create(&fake_vm, bus), 0);
	vdrv_find(&drv, VIRTIO_ID_RNG);
	assert_true(vdrv_negotiate(&drv, VIRTIO_BIT(VIRTIO_F_VERSION_1) |
				   VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC)));
	vdrv_setup_queue(&drv, 0, 64, 0x1000, 0);
	vdrv_driver_ok(&drv);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_vmm_teardown();
	return 0;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++)
			return false;
	return true;
}

static void test_identity(void **state)
{
	(void)state;
	assert_int_equal(cfg_read(drv.slot, PCI_CFG_DEVICE_ID, 2), 0x1044);
	assert_int_equal(drv.device, 0);	/* no config space */
	assert_int_equal(mmio_read(drv.common + CC_NUM_QUEUES, 2), 1);
	assert_int_equal(vdrv_device_features(&drv),
			 VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			 VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
			 VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
}

static void test_fills_buffer(void **state)
{
	struct vring *vr = &drv.q[0];
	uint8_t *buf = gpa(0x20000);

	(void)state;
	memset(gpa(0x1ff00), 0xee, 0x300);
	vring_desc(vr, 0, 0x20000, 64, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(vr, 0);
	vdrv_kick(&drv, 0);
	assert_int_equal(vring_used_idx(vr), 1);
	assert_int_equal(vring_used_id(vr, 0), 0);
	assert_int_equal(vring_used_len(vr, 0), 64);
	assert_false(all_zero(buf, 64));
	/* Random, not a pattern; nothing around it touched. */
	assert_true(memcmp(buf, buf + 32, 32));
	assert_int_equal(*(uint8_t *)gpa(0x1ffff), 0xee);
	assert_int_equal(*(uint8_t *)gpa(0x20040), 0xee);
	/* The INTx line (no MSI-X enabled) tells the driver. */
	assert_int_equal(fk.gsi_level[16 + (drv.slot % 4)], 1);
	assert_int_equal(mmio_read(drv.isr, 1), 1);
}

static void test_two_buffers_and_readable_ignored(void **state)
{
	struct vring *vr = &drv.q[0];

	(void)state;
	memset(gpa(0x20000), 0, 0x3000);
	vring_desc(vr, 0, 0x20000, 100, VIRTQ_DESC_F_NEXT, 1);
	vring_desc(vr, 1, 0x21000, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	vring_desc(vr, 2, 0x22000, 4000, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(vr, 0);
	vdrv_kick(&drv, 0);
	assert_int_equal(vring_used_idx(vr), 1);
	assert_int_equal(vring_used_len(vr, 0), 16 + 4000);
	assert_true(all_zero(gpa(0x20000), 100));	/* readable: untouched */
	assert_false(all_zero(gpa(0x21000), 16));
	assert_false(all_zero(gpa(0x22000 + 3900), 100));
	assert_true(all_zero(gpa(0x22000 + 4000), 96));
}

static void test_large_buffer_capped(void **state)
{
	struct vring *vr = &drv.q[0];

	(void)state;
	vring_desc(vr, 0, 0x20000, 0x80000, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(vr, 0);
	vdrv_kick(&drv, 0);
	assert_int_equal(vring_used_len(vr, 0), 65536);
}

static void test_hostile_buffer(void **state)
{
	struct vring *vr = &drv.q[0];

	(void)state;
	/* Straddles the end of RAM: refused, nothing written past it. */
	vring_desc(vr, 0, RAM_SIZE - 16, 32, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(vr, 0);
	vdrv_kick(&drv, 0);
	assert_int_equal(vring_used_idx(vr), 0);
	assert_true(vdrv_status(&drv) & VIRTIO_STATUS_NEEDS_RESET);
	/* Reset and go again. */
	vdrv_set_status(&drv, 0);
	assert_true(vdrv_negotiate(&drv, VIRTIO_BIT(VIRTIO_F_VERSION_1)));
	vdrv_setup_queue(&drv, 0, 64, 0x1000, 0);
	vdrv_driver_ok(&drv);
	vring_desc(vr, 0, 0x20000, 8, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(vr, 0);
	vdrv_kick(&drv, 0);
	assert_int_equal(vring_used_idx(vr), 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_identity),
		T(test_fills_buffer),
		T(test_two_buffers_and_readable_ignored),
		T(test_large_buffer_capped),
		T(test_hostile_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
