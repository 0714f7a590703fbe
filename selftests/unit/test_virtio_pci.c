/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-pci transport unit tests: a test device on a real PCI bus, driven
 * the way Linux's virtio_pci does it through the fake port and MMIO buses.
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

#define TEST_ID		0x2a
#define TEST_FEATURE	3
#define CFG_SIZE	8

struct test_dev {
	struct virtio_device vdev;
	uint8_t cfg[CFG_SIZE];
	unsigned int kicks[2], resets;
};

static struct pci_bus *bus;
static struct test_dev td;
static struct vdrv drv;

/* Pushes every chain back with its writable bytes "written". */
static void td_notify(struct virtio_device *vdev, unsigned int q)
{
	struct iovec iov[4];
	struct virtq_chain c = { .iov = iov, .max_iov = 4 };

	td.kicks[q]++;
	while (virtq_pop(&vdev->vqs[q], &c) == 1)
		virtq_push(&vdev->vqs[q], c.head, c.writable_len);
	virtio_notify_queue(vdev, q);
}

static void td_config_read(struct virtio_device *vdev, uint32_t off,
			   void *data, uint32_t size)
{
	(void)vdev;
	assert_true(off + size <= CFG_SIZE);
	memcpy(data, td.cfg + off, size);
}

static void td_config_write(struct virtio_device *vdev, uint32_t off,
			    const void *data, uint32_t size)
{
	(void)vdev;
	assert_true(off + size <= CFG_SIZE);
	memcpy(td.cfg + off, data, size);
}

static void td_reset(struct virtio_device *vdev)
{
	(void)vdev;
	td.resets++;
}

static const struct virtio_device_ops td_ops = {
	.name = "virtio-test",
	.device_id = TEST_ID,
	.config_size = CFG_SIZE,
	.config_read = td_config_read,
	.config_write = td_config_write,
	.queue_notify = td_notify,
	.reset = td_reset,
};

static void td_destroy(void *opaque)
{
	struct test_dev *t = opaque;

	virtio_pci_destroy(&t->vdev);
	virtio_device_cleanup(&t->vdev);
}

static int setup(void **state)
{
	(void)state;
	fake_vmm_setup(RAM_SIZE);
	memset(&td, 0, sizeof(td));
	memcpy(td.cfg, "\x11\x22\x33\x44\x55\x66\x77\x88", CFG_SIZE);
	assert_int_equal(pci_bus_create(&fake_vm, &bus), 0);
	assert_int_equal(virtio_device_init(&td.vdev, &fake_vm, &td_ops,
					    VIRTIO_BIT(TEST_FEATURE) |
					    VIRTIO_BIT(VIRTIO_F_EVENT_IDX),
					    2, 64), 0);
	assert_int_equal(virtio_pci_create(&fake_vm, bus, &td.vdev), 0);
	assert_int_equal(vmm_device_add(&fake_vm, "test", td_destroy, &td), 0);
	vdrv_find(&drv, TEST_ID);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	fake_vmm_teardown();
	return 0;
}

#define OK_FEATURES	(VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(TEST_FEATURE))

static void full_init(void)
{
	assert_true(vdrv_negotiate(&drv, OK_FEATURES));
	vdrv_setup_queue(&drv, 0, 16, 0x1000, 1);
	vdrv_setup_queue(&drv, 1, 64, 0x4000, 2);
	mmio_write(drv.common + CC_MSIX_CONFIG, 0, 2);
	vdrv_driver_ok(&drv);
}

static void test_identity(void **state)
{
	(void)state;
	assert_int_equal(drv.slot, 1);
	assert_int_equal(cfg_read(1, PCI_CFG_SUBSYS_VENDOR, 2), 0x1af4);
	assert_int_equal(cfg_read(1, PCI_CFG_BAR0, 4) & 0xf, PCI_BAR_MEM_64);
	assert_int_equal(drv.notify_mult, 4);
	assert_int_not_equal(drv.device, 0);
	assert_int_equal(cfg_read(1, drv.msix_cap + 2, 2) & 0x7ff, 2);
	/* Every region lies inside the PCI window. */
	assert_true(drv.common >= VMM_PCI_MMIO_START &&
		    drv.common < VMM_PCI_MMIO_END);
	assert_true(drv.msix_table >= VMM_PCI_MMIO_START);
	assert_int_equal(mmio_read(drv.common + CC_NUM_QUEUES, 2), 2);
	/* INTA, routed to GSI 16 + (1 + 0) % 4. */
	assert_int_equal(cfg_read(1, PCI_CFG_INT_PIN, 1), 1);
	assert_int_equal(cfg_read(1, PCI_CFG_INT_LINE, 1), 17);
}

static void test_driver_init_sequence(void **state)
{
	uint64_t f;
	struct vring *vr = &drv.q[1];

	(void)state;
	assert_int_equal(vdrv_status(&drv), 0);
	vdrv_set_status(&drv, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(vdrv_status(&drv), VIRTIO_STATUS_ACKNOWLEDGE);
	f = vdrv_device_features(&drv);
	assert_int_equal(f, VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			 VIRTIO_BIT(TEST_FEATURE) |
			 VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	mmio_write(drv.common + CC_DFSELECT, 2, 4);
	assert_int_equal(mmio_read(drv.common + CC_DF, 4), 0);

	full_init();
	assert_int_equal(vdrv_status(&drv), 0x0f);
	mmio_write(drv.common + CC_GFSELECT, 0, 4);
	assert_int_equal(mmio_read(drv.common + CC_GF, 4), VIRTIO_BIT(TEST_FEATURE));
	assert_true(virtio_has_feature(&td.vdev, TEST_FEATURE));
	assert_false(virtio_has_feature(&td.vdev, VIRTIO_F_EVENT_IDX));

	/* Queue 1 reads back what the driver programmed. */
	mmio_write(drv.common + CC_Q_SELECT, 1, 2);
	assert_int_equal(mmio_read(drv.common + CC_Q_SIZE, 2), 64);
	assert_int_equal(mmio_read(drv.common + CC_Q_ENABLE, 2), 1);
	assert_int_equal(mmio_read(drv.common + CC_Q_NOTIFY_OFF, 2), 1);
	assert_int_equal(mmio_read(drv.common + CC_Q_DESC, 8), vr->desc);
	assert_int_equal(mmio_read(drv.common + CC_Q_DRIVER, 4), vr->avail);
	assert_int_equal(mmio_read(drv.common + CC_Q_DEVICE + 4, 4), 0);
	assert_int_equal(mmio_read(drv.common + CC_Q_VECTOR, 2), 2);
	/* Fixed while enabled. */
	mmio_write(drv.common + CC_Q_SIZE, 8, 2);
	mmio_write(drv.common + CC_Q_DESC, 0x9000, 8);
	assert_int_equal(mmio_read(drv.common + CC_Q_SIZE, 2), 64);
	assert_int_equal(mmio_read(drv.common + CC_Q_DESC, 8), vr->desc);

	/* A buffer through queue 1: the doorbell reaches the device. */
	vring_desc(vr, 0, 0x20000, 100, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(vr, 0);
	vdrv_kick(&drv, 1);
	assert_int_equal(td.kicks[1], 2);	/* DRIVER_OK's and ours */
	assert_int_equal(vring_used_idx(vr), 1);
	assert_int_equal(vring_used_len(vr, 0), 100);
	/* A doorbell past the last queue is ignored. */
	mmio_write(drv.notify + 4 * 2, 2, 2);
	assert_int_equal(td.kicks[0] + td.kicks[1], 3);
}

static void test_queue_select_out_of_range(void **state)
{
	(void)state;
	mmio_write(drv.common + CC_Q_SELECT, 2, 2);
	assert_int_equal(mmio_read(drv.common + CC_Q_SELECT, 2), 2);
	assert_int_equal(mmio_read(drv.common + CC_Q_SIZE, 2), 0);
	mmio_write(drv.common + CC_Q_SIZE, 16, 2);
	mmio_write(drv.common + CC_Q_ENABLE, 1, 2);
	assert_int_equal(mmio_read(drv.common + CC_Q_SIZE, 2), 0);
	assert_int_equal(mmio_read(drv.common + CC_Q_ENABLE, 2), 0);
	mmio_write(drv.common + CC_Q_SELECT, 0xffff, 2);
	assert_int_equal(mmio_read(drv.common + CC_Q_VECTOR, 2), 0);
	/* Maximum size before the driver writes one. */
	mmio_write(drv.common + CC_Q_SELECT, 0, 2);
	assert_int_equal(mmio_read(drv.common + CC_Q_SIZE, 2), 64);
}

static void test_features_ok_refused(void **state)
{
	(void)state;
	/* Without VERSION_1. */
	assert_false(vdrv_negotiate(&drv, VIRTIO_BIT(TEST_FEATURE)));
	assert_int_equal(vdrv_status(&drv), 0x03);
	/* DRIVER_OK cannot follow. */
	vdrv_set_status(&drv, 0x07);
	assert_int_equal(vdrv_status(&drv), 0x03);
	/* A feature the device does not offer. */
	assert_false(vdrv_negotiate(&drv, OK_FEATURES | VIRTIO_BIT(40)));
	assert_false(vdrv_negotiate(&drv, OK_FEATURES | VIRTIO_BIT(5)));
	assert_true(vdrv_negotiate(&drv, OK_FEATURES));
	/* Features cannot change after FEATURES_OK. */
	vdrv_write_features(&drv, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	assert_true(virtio_has_feature(&td.vdev, TEST_FEATURE));
}

static void test_reset_clears_state(void **state)
{
	(void)state;
	full_init();
	mmio_write(drv.common + CC_DFSELECT, 1, 4);
	assert_int_equal(td.resets, 1);		/* vdrv_negotiate's reset */
	vdrv_set_status(&drv, 0);
	assert_int_equal(td.resets, 2);
	assert_int_equal(vdrv_status(&drv), 0);
	assert_int_equal(mmio_read(drv.common + CC_DFSELECT, 4), 0);
	mmio_write(drv.common + CC_GFSELECT, 0, 4);
	assert_int_equal(mmio_read(drv.common + CC_GF, 4), 0);
	mmio_write(drv.common + CC_GFSELECT, 1, 4);
	assert_int_equal(mmio_read(drv.common + CC_GF, 4), 0);
	assert_int_equal(mmio_read(drv.common + CC_MSIX_CONFIG, 2), NO_VECTOR);
	for (unsigned int q = 0; q < 2; q++) {
		mmio_write(drv.common + CC_Q_SELECT, q, 2);
		assert_int_equal(mmio_read(drv.common + CC_Q_ENABLE, 2), 0);
		assert_int_equal(mmio_read(drv.common + CC_Q_SIZE, 2), 64);
		assert_int_equal(mmio_read(drv.common + CC_Q_DESC, 8), 0);
		assert_int_equal(mmio_read(drv.common + CC_Q_DEVICE, 8), 0);
		assert_int_equal(mmio_read(drv.common + CC_Q_VECTOR, 2), NO_VECTOR);
	}
	assert_false(virtio_has_feature(&td.vdev, TEST_FEATURE));
	/* Kicks after reset do nothing. */
	vdrv_kick(&drv, 0);
	assert_int_equal(td.kicks[0], 1);
	/* And the device comes up again. */
	full_init();
	vring_desc(&drv.q[0], 0, 0x20000, 10, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(&drv.q[0], 0);
	vdrv_kick(&drv, 0);
	assert_int_equal(vring_used_idx(&drv.q[0]), 1);
}

static void test_msix_vectors(void **state)
{
	(void)state;
	/* Three vectors: 3 and above cannot be mapped. */
	mmio_write(drv.common + CC_MSIX_CONFIG, 3, 2);
	assert_int_equal(mmio_read(drv.common + CC_MSIX_CONFIG, 2), NO_VECTOR);
	mmio_write(drv.common + CC_MSIX_CONFIG, 2, 2);
	assert_int_equal(mmio_read(drv.common + CC_MSIX_CONFIG, 2), 2);
	mmio_write(drv.common + CC_Q_SELECT, 0, 2);
	mmio_write(drv.common + CC_Q_VECTOR, 0x8000, 2);
	assert_int_equal(mmio_read(drv.common + CC_Q_VECTOR, 2), NO_VECTOR);

	full_init();
	vdrv_enable_msix(&drv, 3);
	/* Queue 0 -> vector 1, queue 1 -> vector 2, config -> vector 0. */
	vring_desc(&drv.q[0], 0, 0x20000, 10, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(&drv.q[0], 0);
	vdrv_kick(&drv, 0);
	assert_int_equal(fk.nr_msi, 1);
	assert_int_equal(fk.msi[0].addr, 0xfee00000);
	assert_int_equal(fk.msi[0].data, 0x101);
	virtio_config_changed(&td.vdev);
	assert_int_equal(fk.nr_msi, 2);
	assert_int_equal(fk.msi[1].data, 0x100);
	/* No INTx, no ISR with MSI-X. */
	assert_int_equal(fk.gsi_level[17], 0);
	assert_int_equal(mmio_read(drv.isr, 1), 0);
	/* Unmapped vector: no message at all. */
	mmio_write(drv.common + CC_Q_SELECT, 0, 2);
	mmio_write(drv.common + CC_Q_VECTOR, NO_VECTOR, 2);
	vring_avail(&drv.q[0], 0);
	vdrv_kick(&drv, 0);
	assert_int_equal(vring_used_idx(&drv.q[0]), 2);
	assert_int_equal(fk.nr_msi, 2);
}

static void test_intx_and_isr(void **state)
{
	(void)state;
	full_init();
	vring_desc(&drv.q[0], 0, 0x20000, 10, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(&drv.q[0], 0);
	vdrv_kick(&drv, 0);
	assert_int_equal(fk.nr_msi, 0);
	assert_int_equal(fk.gsi_level[17], 1);
	assert_true(cfg_read(1, PCI_CFG_STATUS, 2) & PCI_STATUS_INTERRUPT);
	assert_int_equal(mmio_read(drv.isr, 1), 1);	/* read clears */
	assert_int_equal(fk.gsi_level[17], 0);
	assert_int_equal(mmio_read(drv.isr, 1), 0);
	virtio_config_changed(&td.vdev);
	assert_int_equal(fk.gsi_level[17], 1);
	assert_int_equal(mmio_read(drv.common + CC_GENERATION, 1), 1);
	assert_int_equal(mmio_read(drv.isr, 1), 2);
	assert_int_equal(fk.gsi_level[17], 0);
	/* INTx disable keeps the line low, ISR still reports. */
	cfg_write(1, PCI_CFG_COMMAND, PCI_CMD_MEMORY | PCI_CMD_INTX_DISABLE, 2);
	vring_avail(&drv.q[0], 0);
	vdrv_kick(&drv, 0);
	assert_int_equal(fk.gsi_level[17], 0);
	assert_int_equal(mmio_read(drv.isr, 1), 1);
	/* Reset drops a pending interrupt. */
	cfg_write(1, PCI_CFG_COMMAND, PCI_CMD_MEMORY, 2);
	vring_avail(&drv.q[0], 0);
	vdrv_kick(&drv, 0);
	assert_int_equal(fk.gsi_level[17], 1);
	vdrv_set_status(&drv, 0);
	assert_int_equal(fk.gsi_level[17], 0);
}

static void test_device_config(void **state)
{
	(void)state;
	assert_int_equal(mmio_read(drv.device, 4), 0x44332211);
	assert_int_equal(mmio_read(drv.device + 4, 4), 0x88776655);
	assert_int_equal(mmio_read(drv.device + 6, 2), 0x8877);
	/* Past the end, or straddling it: zero, the device is not called. */
	assert_int_equal(mmio_read(drv.device + 6, 4), 0);
	assert_int_equal(mmio_read(drv.device + 8, 4), 0);
	assert_int_equal(mmio_read(drv.device + 0xffc, 4), 0);
	mmio_write(drv.device + 7, 0xffffffff, 4);
	mmio_write(drv.device + 1, 0xaa, 1);
	assert_int_equal(mmio_read(drv.device, 4), 0x4433aa11);
	assert_int_equal(td.cfg[7], 0x88);
	/* Odd accesses to the common region do not crash or change state. */
	mmio_write(drv.common + 0x13, 0xff, 1);
	mmio_write(drv.common + CC_STATUS, 0x0f0f0f0f, 4);
	assert_int_equal(vdrv_status(&drv), 0);
	mmio_write(drv.common + CC_Q_DESC + 2, 0x1234, 4);
	mmio_write(drv.common + CC_Q_SELECT, 0, 2);
	assert_int_equal(mmio_read(drv.common + CC_Q_DESC, 8), 0);
	assert_int_equal(mmio_read(drv.common + 0x36, 4) >> 16, 0);
}

static void test_malformed_ring_needs_reset(void **state)
{
	(void)state;
	full_init();
	vdrv_enable_msix(&drv, 3);
	vring_desc(&drv.q[0], 0, RAM_SIZE - 4, 10, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(&drv.q[0], 0);
	vdrv_kick(&drv, 0);
	assert_true(vdrv_status(&drv) & VIRTIO_STATUS_NEEDS_RESET);
	/* The config vector told the driver. */
	assert_int_equal(fk.nr_msi, 1);
	assert_int_equal(fk.msi[0].data, 0x100);
	assert_int_equal(vring_used_idx(&drv.q[0]), 0);
	assert_non_null(strstr(fk.msg, "virtio-test"));
	/* A queue enabled on memory that is not RAM. */
	vdrv_set_status(&drv, 0);
	assert_true(vdrv_negotiate(&drv, OK_FEATURES));
	mmio_write(drv.common + CC_Q_SELECT, 0, 2);
	mmio_write(drv.common + CC_Q_DESC, RAM_SIZE, 8);
	mmio_write(drv.common + CC_Q_ENABLE, 1, 2);
	assert_int_equal(mmio_read(drv.common + CC_Q_ENABLE, 2), 0);
	assert_true(vdrv_status(&drv) & VIRTIO_STATUS_NEEDS_RESET);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_identity),
		T(test_driver_init_sequence),
		T(test_queue_select_out_of_range),
		T(test_features_ok_refused),
		T(test_reset_clears_state),
		T(test_msix_vectors),
		T(test_intx_and_isr),
		T(test_device_config),
		T(test_malformed_ring_needs_reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
