/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio core unit tests: split rings built in fake guest memory, simple
 * and indirect chains, notification suppression, and hostile rings that
 * must be refused without touching memory outside the guest's.
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

#include "selftests/unit/virtio_drv.h"

#define QSIZE		16
#define RING_GPA	0x1000
#define BUF_GPA		0x10000

static struct virtio_device vdev;
static struct vring vr;
static unsigned int notified[2], config_irqs, kicks[2];

static void fake_notify(struct virtio_device *d, unsigned int q)
{
	assert_ptr_equal(d, &vdev);
	if (q == VIRTIO_IRQ_CONFIG)
		config_irqs++;
	else
		notified[q]++;
}

static const struct virtio_transport_ops fake_transport = {
	.notify = fake_notify,
};

static void dummy_notify(struct virtio_device *d, unsigned int q)
{
	(void)d;
	kicks[q]++;
}

static const struct virtio_device_ops dummy_ops = {
	.name = "virtio-test",
	.device_id = 99,
	.queue_notify = dummy_notify,
};

#define ALL_FEATURES	(VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | \
			 VIRTIO_BIT(VIRTIO_F_EVENT_IDX))

/* The driver's side of negotiation and queue 0 setup, through the core. */
static void start_device(uint64_t features)
{
	struct virtqueue *vq = &vdev.vqs[0];

	features |= VIRTIO_BIT(VIRTIO_F_VERSION_1);
	virtio_set_status(&vdev, VIRTIO_STATUS_ACKNOWLEDGE |
			  VIRTIO_STATUS_DRIVER);
	virtio_set_driver_features_word(&vdev, 0, (uint32_t)features);
	virtio_set_driver_features_word(&vdev, 1, features >> 32);
	virtio_set_status(&vdev, VIRTIO_STATUS_ACKNOWLEDGE |
			  VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	assert_true(virtio_get_status(&vdev) & VIRTIO_STATUS_FEATURES_OK);

	memset(&vr, 0, sizeof(vr));
	vr.size = QSIZE;
	vr.desc = RING_GPA;
	vr.avail = RING_GPA + 16 * QSIZE;
	vr.used = RING_GPA + 0x400;
	vq->size = QSIZE;
	vq->desc_gpa = vr.desc;
	vq->avail_gpa = vr.avail;
	vq->used_gpa = vr.used;
	assert_int_equal(virtq_enable(vq), 0);
	virtio_set_status(&vdev, VIRTIO_STATUS_ACKNOWLEDGE |
			  VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			  VIRTIO_STATUS_DRIVER_OK);
	assert_true(virtio_get_status(&vdev) & VIRTIO_STATUS_DRIVER_OK);
}

static int setup(void **state)
{
	(void)state;
	fake_vmm_setup(RAM_SIZE);
	memset(notified, 0, sizeof(notified));
	memset(kicks, 0, sizeof(kicks));
	config_irqs = 0;
	assert_int_equal(virtio_device_init(&vdev, &fake_vm, &dummy_ops,
					    ALL_FEATURES, 2, QSIZE), 0);
	vdev.transport = &fake_transport;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	virtio_device_cleanup(&vdev);
	fake_vmm_teardown();
	return 0;
}

static uint16_t used_event_set(uint16_t v)
{
	((uint16_t *)gpa(vr.avail))[2 + QSIZE] = v;
	return v;
}

static uint16_t avail_event(void)
{
	return *(uint16_t *)gpa(vr.used + 4 + 8 * QSIZE);
}

/* Pops expecting a malformed chain: refused, NEEDS_RESET, queue stopped. */
static void expect_rejected(void)
{
	struct iovec iov[8];
	struct virtq_chain c = { .iov = iov, .max_iov = 8 };
	uint16_t used = vring_used_idx(&vr);

	assert_true(virtq_pop(&vdev.vqs[0], &c) < 0);
	assert_true(virtio_get_status(&vdev) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(config_irqs, 1);
	assert_int_equal(fk.nr_errors, 1);
	assert_non_null(strstr(fk.msg, "needs reset"));
	/* Stopped: a good chain behind it is not taken. */
	vring_desc(&vr, 0, BUF_GPA, 64, 0, 0);
	vring_avail(&vr, 0);
	assert_int_equal(virtq_pop(&vdev.vqs[0], &c), 0);
	assert_int_equal(virtq_pop(&vdev.vqs[0], &c), 0);
	assert_int_equal(vring_used_idx(&vr), used);
	/* One message per device, however many errors. */
	virtq_fail(&vdev.vqs[1], "again");
	assert_int_equal(fk.nr_errors, 1);
	assert_int_equal(config_irqs, 1);
}

/* ---- well-formed rings ------------------------------------------------- */

static void test_simple_chain(void **state)
{
	struct iovec iov[4];
	struct virtq_chain c = { .iov = iov, .max_iov = 4 };
	struct virtqueue *vq = &vdev.vqs[0];

	(void)state;
	start_device(0);
	assert_int_equal(virtq_pop(vq, &c), 0);	/* empty */

	vring_desc(&vr, 3, BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 7);
	vring_desc(&vr, 7, BUF_GPA + 0x100, 100, VIRTQ_DESC_F_NEXT, 1);
	vring_desc(&vr, 1, BUF_GPA + 0x1000, 512,
		   VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	vring_desc(&vr, 2, BUF_GPA + 0x2000, 1, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(&vr, 3);
	assert_int_equal(virtq_pop(vq, &c), 1);
	assert_int_equal(c.head, 3);
	assert_int_equal(c.nr_readable, 2);
	assert_int_equal(c.nr_writable, 2);
	assert_int_equal(c.readable_len, 116);
	assert_int_equal(c.writable_len, 513);
	assert_ptr_equal(iov[0].iov_base, gpa(BUF_GPA));
	assert_int_equal(iov[1].iov_len, 100);
	assert_ptr_equal(iov[2].iov_base, gpa(BUF_GPA + 0x1000));
	assert_ptr_equal(iov[3].iov_base, gpa(BUF_GPA + 0x2000));
	assert_int_equal(virtq_pop(vq, &c), 0);

	virtq_push(vq, c.head, 513);
	assert_int_equal(vring_used_idx(&vr), 1);
	assert_int_equal(vring_used_id(&vr, 0), 3);
	assert_int_equal(vring_used_len(&vr, 0), 513);
	virtio_notify_queue(&vdev, 0);
	assert_int_equal(notified[0], 1);
	/* Nothing new: no second interrupt. */
	virtio_notify_queue(&vdev, 0);
	assert_int_equal(notified[0], 1);

	/* The ring wraps: 40 more single buffers through a 16-entry ring. */
	for (int i = 0; i < 40; i++) {
		vring_desc(&vr, i % QSIZE, BUF_GPA + i, 1, VIRTQ_DESC_F_WRITE, 0);
		vring_avail(&vr, i % QSIZE);
		assert_int_equal(virtq_pop(vq, &c), 1);
		assert_int_equal(c.head, i % QSIZE);
		virtq_push(vq, c.head, 1);
	}
	assert_int_equal(vring_used_idx(&vr), 41);
	assert_int_equal(fk.nr_errors, 0);
}

static void test_zero_length_and_full_length_chain(void **state)
{
	struct iovec iov[QSIZE];
	struct virtq_chain c = { .iov = iov, .max_iov = QSIZE };
	unsigned int i;

	(void)state;
	start_device(0);
	/* A zero-length buffer is skipped; a chain of all 16 entries is fine. */
	for (i = 0; i < QSIZE; i++)
		vring_desc(&vr, i, BUF_GPA + 16 * i, i == 5 ? 0 : 16,
			   i < QSIZE - 1 ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	vring_avail(&vr, 0);
	assert_int_equal(virtq_pop(&vdev.vqs[0], &c), 1);
	assert_int_equal(c.nr_readable, QSIZE - 1);
	assert_int_equal(c.readable_len, 16 * (QSIZE - 1));
	assert_ptr_equal(iov[5].iov_base, gpa(BUF_GPA + 16 * 6));
}

static void test_too_many_buffers(void **state)
{
	struct iovec iov[2];
	struct virtq_chain c = { .iov = iov, .max_iov = 2 };

	(void)state;
	start_device(0);
	vring_desc(&vr, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	vring_desc(&vr, 1, BUF_GPA + 8, 8, VIRTQ_DESC_F_NEXT, 2);
	vring_desc(&vr, 2, BUF_GPA + 16, 8, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(&vr, 0);
	vring_desc(&vr, 5, BUF_GPA, 8, 0, 0);
	vring_avail(&vr, 5);
	/* Valid but more than the caller can hold: consumed, not an error. */
	assert_int_equal(virtq_pop(&vdev.vqs[0], &c), -E2BIG);
	assert_int_equal(c.head, 0);
	assert_false(virtio_get_status(&vdev) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(virtq_pop(&vdev.vqs[0], &c), 1);
	assert_int_equal(c.head, 5);
}

static void test_indirect(void **state)
{
	struct iovec iov[8];
	struct virtq_chain c = { .iov = iov, .max_iov = 8 };
	struct virtq_desc table[3] = {
		{ BUF_GPA, 16, VIRTQ_DESC_F_NEXT, 2 },
		{ BUF_GPA + 0x300, 4, VIRTQ_DESC_F_WRITE, 0 },
		{ BUF_GPA + 0x100, 200, VIRTQ_DESC_F_NEXT, 1 },
	};

	(void)state;
	start_device(ALL_FEATURES);
	memcpy(gpa(0x8000), table, sizeof(table));
	/* The WRITE flag on the pointing descriptor is ignored (2.7.5.3.2). */
	vring_desc(&vr, 4, 0x8000, sizeof(table),
		   VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	vring_avail(&vr, 4);
	assert_int_equal(virtq_pop(&vdev.vqs[0], &c), 1);
	assert_int_equal(c.head, 4);
	assert_int_equal(c.nr_readable, 2);
	assert_int_equal(c.nr_writable, 1);
	assert_ptr_equal(iov[1].iov_base, gpa(BUF_GPA + 0x100));
	assert_ptr_equal(iov[2].iov_base, gpa(BUF_GPA + 0x300));

	/* Direct descriptors followed by an indirect one. */
	vring_desc(&vr, 8, BUF_GPA + 0x500, 8, VIRTQ_DESC_F_NEXT, 9);
	vring_desc(&vr, 9, 0x8000, sizeof(table), VIRTQ_DESC_F_INDIRECT, 0);
	vring_avail(&vr, 8);
	assert_int_equal(virtq_pop(&vdev.vqs[0], &c), 1);
	assert_int_equal(c.nr_readable, 3);
	assert_int_equal(c.nr_writable, 1);
	assert_int_equal(c.readable_len, 8 + 16 + 200);
	assert_int_equal(fk.nr_errors, 0);
}

static void test_indirect_not_negotiated(void **state)
{
	(void)state;
	start_device(0);
	vring_desc(&vr, 0, 0x8000, 32, VIRTQ_DESC_F_INDIRECT, 0);
	vring_avail(&vr, 0);
	expect_rejected();
}

static void test_event_idx(void **state)
{
	struct iovec iov[2];
	struct virtq_chain c = { .iov = iov, .max_iov = 2 };
	struct virtqueue *vq = &vdev.vqs[0];
	int i;

	(void)state;
	start_device(ALL_FEATURES);
	for (i = 0; i < 4; i++) {
		vring_desc(&vr, i, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
		vring_avail(&vr, i);
	}
	/* The device tells the driver where to kick next. */
	assert_int_equal(virtq_pop(vq, &c), 1);
	assert_int_equal(avail_event(), 1);
	assert_int_equal(virtq_pop(vq, &c), 1);
	assert_int_equal(avail_event(), 2);

	/* used_event 0: the first push crosses it. */
	used_event_set(0);
	virtq_push(vq, 0, 8);
	virtio_notify_queue(&vdev, 0);
	assert_int_equal(notified[0], 1);
	/* The driver wants an interrupt only after used entry 2. */
	used_event_set(2);
	virtq_push(vq, 1, 8);
	virtio_notify_queue(&vdev, 0);
	assert_int_equal(notified[0], 1);
	assert_int_equal(virtq_pop(vq, &c), 1);
	assert_int_equal(virtq_pop(vq, &c), 1);
	virtq_push(vq, 2, 8);
	virtq_push(vq, 3, 8);
	virtio_notify_queue(&vdev, 0);
	assert_int_equal(notified[0], 2);

	/* Polling: avail_event is left alone while notifications are off. */
	virtq_disable_notify(vq);
	vring_desc(&vr, 5, BUF_GPA, 8, 0, 0);
	vring_avail(&vr, 5);
	assert_int_equal(virtq_pop(vq, &c), 1);
	assert_int_equal(avail_event(), 4);
	assert_false(virtq_enable_notify(vq));
	assert_int_equal(avail_event(), 5);
	virtq_push(vq, c.head, 0);	/* head 5 is free again */
	vring_avail(&vr, 5);
	virtq_disable_notify(vq);
	assert_true(virtq_enable_notify(vq));	/* arrived meanwhile */
	assert_int_equal(virtq_pop(vq, &c), 1);
	/* An empty pop re-arms avail_event even if something moved it. */
	*(uint16_t *)gpa(vr.used + 4 + 8 * QSIZE) = 0;
	assert_int_equal(virtq_pop(vq, &c), 0);
	assert_int_equal(avail_event(), 6);
}

static void test_no_interrupt_flag(void **state)
{
	struct iovec iov[2];
	struct virtq_chain c = { .iov = iov, .max_iov = 2 };
	struct virtqueue *vq = &vdev.vqs[0];
	uint16_t *avail = gpa(vr.avail);

	(void)state;
	start_device(0);
	avail = gpa(vr.avail);
	avail[0] = VIRTQ_AVAIL_F_NO_INTERRUPT;
	vring_desc(&vr, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(&vr, 0);
	assert_int_equal(virtq_pop(vq, &c), 1);
	virtq_push(vq, 0, 8);
	virtio_notify_queue(&vdev, 0);
	assert_int_equal(notified[0], 0);
	avail[0] = 0;
	vring_avail(&vr, 0);
	assert_int_equal(virtq_pop(vq, &c), 1);
	virtq_push(vq, 0, 8);
	virtio_notify_queue(&vdev, 0);
	assert_int_equal(notified[0], 1);
	/* NO_NOTIFY in the used ring while polling. */
	virtq_disable_notify(vq);
	assert_int_equal(*(uint16_t *)gpa(vr.used), VIRTQ_USED_F_NO_NOTIFY);
	assert_false(virtq_enable_notify(vq));
	assert_int_equal(*(uint16_t *)gpa(vr.used), 0);
}

/* ---- the status machine ---------------------------------------------------- */

static void test_status_and_reset(void **state)
{
	struct iovec iov[2];
	struct virtq_chain c = { .iov = iov, .max_iov = 2 };
	struct virtqueue *vq = &vdev.vqs[0];

	(void)state;
	/* No VERSION_1: FEATURES_OK does not stick, DRIVER_OK neither. */
	virtio_set_status(&vdev, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	virtio_set_driver_features_word(&vdev, 0, VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	virtio_set_status(&vdev, 0x0b);
	assert_int_equal(virtio_get_status(&vdev), 0x03);
	virtio_set_status(&vdev, 0x07);
	assert_int_equal(virtio_get_status(&vdev), 0x03);
	/* Features the device does not offer. */
	virtio_set_driver_features_word(&vdev, 1, 1 | 2);
	virtio_set_status(&vdev, 0x0b);
	assert_int_equal(virtio_get_status(&vdev), 0x03);
	/* The driver cannot set NEEDS_RESET. */
	virtio_set_status(&vdev, 0x43);
	assert_int_equal(virtio_get_status(&vdev), 0x03);
	virtio_set_status(&vdev, 0);

	/* DRIVER_OK kicks every queue: buffers queued before it are taken. */
	start_device(ALL_FEATURES);
	assert_int_equal(kicks[0], 1);
	assert_int_equal(kicks[1], 1);
	assert_true(virtio_has_feature(&vdev, VIRTIO_F_EVENT_IDX));
	/* Fixed after FEATURES_OK. */
	virtio_set_driver_features_word(&vdev, 0, 0);
	assert_true(virtio_has_feature(&vdev, VIRTIO_F_EVENT_IDX));
	vring_desc(&vr, 0, BUF_GPA, 8, 0, 0);
	vring_avail(&vr, 0);
	assert_int_equal(virtq_pop(vq, &c), 1);

	/* Reset: queue gone, features cleared, a late push is dropped. */
	virtio_set_status(&vdev, 0);
	assert_int_equal(virtio_get_status(&vdev), 0);
	assert_false(vq->ready);
	assert_int_equal(vq->desc_gpa, 0);
	assert_int_equal(vq->size, QSIZE);
	assert_false(virtio_has_feature(&vdev, VIRTIO_F_EVENT_IDX));
	virtq_push(vq, 0, 8);
	assert_int_equal(vring_used_idx(&vr), 0);
	assert_int_equal(virtq_pop(vq, &c), 0);
	/* Kicks before DRIVER_OK do not reach the device. */
	virtio_kick(&vdev, 0);
	assert_int_equal(kicks[0], 1);
}

static void test_reset_recovers_broken_queue(void **state)
{
	struct iovec iov[2];
	struct virtq_chain c = { .iov = iov, .max_iov = 2 };

	(void)state;
	start_device(0);
	vring_desc(&vr, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0);	/* loop */
	vring_avail(&vr, 0);
	expect_rejected();
	virtio_set_status(&vdev, 0);
	assert_int_equal(virtio_get_status(&vdev), 0);
	memset(gpa(RING_GPA), 0, 0x1000);
	start_device(0);
	vring_desc(&vr, 0, BUF_GPA, 8, 0, 0);
	vring_avail(&vr, 0);
	assert_int_equal(virtq_pop(&vdev.vqs[0], &c), 1);
}

static void test_bad_queue_setup(void **state)
{
	struct virtqueue *vq = &vdev.vqs[1];

	(void)state;
	start_device(0);
	vq->size = 12;				/* not a power of two */
	vq->desc_gpa = 0x4000;
	vq->avail_gpa = 0x4100;
	vq->used_gpa = 0x4200;
	assert_int_not_equal(virtq_enable(vq), 0);
	assert_false(vq->ready);
	assert_true(virtio_get_status(&vdev) & VIRTIO_STATUS_NEEDS_RESET);
	vq->size = 32;				/* above the maximum */
	assert_int_not_equal(virtq_enable(vq), 0);
	vq->size = 8;
	vq->used_gpa = 0x4202;			/* misaligned */
	assert_int_not_equal(virtq_enable(vq), 0);
	vq->used_gpa = RAM_SIZE - 8;		/* runs past RAM */
	assert_int_not_equal(virtq_enable(vq), 0);
	assert_false(vq->ready);
	vq->used_gpa = 0x4200;
	assert_int_equal(virtq_enable(vq), 0);
	assert_true(vq->ready);
}

/* ---- hostile chains ------------------------------------------------------------- */

static void test_descriptor_loop(void **state)
{
	(void)state;
	start_device(0);
	vring_desc(&vr, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	vring_desc(&vr, 1, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 2);
	vring_desc(&vr, 2, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0);
	vring_avail(&vr, 0);
	expect_rejected();
}

static void test_head_out_of_range(void **state)
{
	(void)state;
	start_device(0);
	vring_avail(&vr, QSIZE);
	expect_rejected();
}

static void test_next_out_of_range(void **state)
{
	(void)state;
	start_device(0);
	vring_desc(&vr, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0xffff);
	vring_avail(&vr, 0);
	expect_rejected();
}

static void test_writable_then_readable(void **state)
{
	(void)state;
	start_device(0);
	vring_desc(&vr, 0, BUF_GPA, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	vring_desc(&vr, 1, BUF_GPA, 0, VIRTQ_DESC_F_NEXT, 2);
	vring_desc(&vr, 2, BUF_GPA, 8, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(&vr, 0);
	expect_rejected();
}

static void test_buffer_outside_ram(void **state)
{
	(void)state;
	start_device(0);
	vring_desc(&vr, 0, RAM_SIZE, 8, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(&vr, 0);
	expect_rejected();
}

static void test_buffer_straddles_ram_end(void **state)
{
	(void)state;
	start_device(0);
	vring_desc(&vr, 0, BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1);
	vring_desc(&vr, 1, RAM_SIZE - 8, 9, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(&vr, 0);
	expect_rejected();
}

static void test_buffer_wraps_address_space(void **state)
{
	(void)state;
	start_device(0);
	vring_desc(&vr, 0, ~0ull - 3, 0xffffffff, VIRTQ_DESC_F_WRITE, 0);
	vring_avail(&vr, 0);
	expect_rejected();
}

static void test_indirect_bad_length(void **state)
{
	static const uint32_t lens[] = { 0, 15, 24, 16 * (QSIZE + 1) };
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		teardown(NULL);
		setup(NULL);
		start_device(ALL_FEATURES);
		vring_desc(&vr, 0, 0x8000, lens[i], VIRTQ_DESC_F_INDIRECT, 0);
		vring_avail(&vr, 0);
		expect_rejected();
	}
}

static void test_indirect_outside_ram(void **state)
{
	(void)state;
	start_device(ALL_FEATURES);
	vring_desc(&vr, 0, RAM_SIZE - 32, 48, VIRTQ_DESC_F_INDIRECT, 0);
	vring_avail(&vr, 0);
	expect_rejected();
}

static void test_indirect_nested(void **state)
{
	struct virtq_desc table[2] = {
		{ BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1 },
		{ 0x8000, 32, VIRTQ_DESC_F_INDIRECT, 0 },
	};

	(void)state;
	start_device(ALL_FEATURES);
	memcpy(gpa(0x8000), table, sizeof(table));
	vring_desc(&vr, 0, 0x8000, sizeof(table), VIRTQ_DESC_F_INDIRECT, 0);
	vring_avail(&vr, 0);
	expect_rejected();
}

static void test_indirect_next_out_of_table(void **state)
{
	struct virtq_desc table[3] = {
		{ BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1 },
		{ BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 3 },	/* past the end */
		{ BUF_GPA, 8, 0, 0 },
	};

	(void)state;
	start_device(ALL_FEATURES);
	/* The table sits at the very end of RAM: reading entry 3 would overrun. */
	memcpy(gpa(RAM_SIZE - sizeof(table)), table, sizeof(table));
	vring_desc(&vr, 0, RAM_SIZE - sizeof(table), sizeof(table),
		   VIRTQ_DESC_F_INDIRECT, 0);
	vring_avail(&vr, 0);
	expect_rejected();
}

static void test_indirect_loop(void **state)
{
	struct virtq_desc table[2] = {
		{ BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 1 },
		{ BUF_GPA, 8, VIRTQ_DESC_F_NEXT, 0 },
	};

	(void)state;
	start_device(ALL_FEATURES);
	memcpy(gpa(0x8000), table, sizeof(table));
	vring_desc(&vr, 0, 0x8000, sizeof(table), VIRTQ_DESC_F_INDIRECT, 0);
	vring_avail(&vr, 0);
	expect_rejected();
}

static void test_indirect_with_next(void **state)
{
	(void)state;
	start_device(ALL_FEATURES);
	vring_desc(&vr, 0, 0x8000, 32, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	vring_desc(&vr, 1, BUF_GPA, 8, 0, 0);
	vring_avail(&vr, 0);
	expect_rejected();
}

static void test_avail_idx_jump(void **state)
{
	(void)state;
	start_device(0);
	vring_desc(&vr, 0, BUF_GPA, 8, 0, 0);
	vr.avail_idx = QSIZE;		/* 17 entries "available" at once */
	vring_avail(&vr, 0);
	expect_rejected();
}

/* 2.7.13: the driver makes only free descriptors available. */
static void test_head_already_in_flight(void **state)
{
	struct iovec iov[4];
	struct virtq_chain c = { .iov = iov, .max_iov = 4 };
	struct virtqueue *vq = &vdev.vqs[0];
	uint16_t i;

	(void)state;
	start_device(0);
	/* A head used and made available again is fine, many times over. */
	vring_desc(&vr, 5, BUF_GPA, 8, 0, 0);
	for (i = 0; i < 3 * QSIZE; i++) {
		vring_avail(&vr, 5);
		assert_int_equal(virtq_pop(vq, &c), 1);
		virtq_push(vq, c.head, 0);
	}
	/* Every head of the table in flight at once is fine too ... */
	for (i = 0; i < QSIZE; i++) {
		vring_desc(&vr, i, BUF_GPA + 8 * i, 8, 0, 0);
		vring_avail(&vr, i);
		assert_int_equal(virtq_pop(vq, &c), 1);
	}
	assert_int_equal(fk.nr_errors, 0);
	/* ... but not one of them made available again before it is used. */
	virtq_push(vq, 3, 0);
	vring_avail(&vr, 3);
	assert_int_equal(virtq_pop(vq, &c), 1);
	vring_avail(&vr, 9);
	expect_rejected();
	assert_non_null(strstr(fk.msg, "already in flight"));
}

/* ---- a driver and a device on two threads --------------------------------------- */

#include <pthread.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define STRESS_N	50000

static int kick_efd, irq_efd;
static volatile bool stress_stop;

static bool lost_kick;

/* Runs on the device thread: no cmocka asserts there. */
static void stress_notify(struct virtio_device *d, unsigned int q)
{
	uint64_t one = 1;

	(void)d;
	(void)q;
	if (write(irq_efd, &one, 8) != 8)
		lost_kick = true;
}

static const struct virtio_transport_ops stress_transport = {
	.notify = stress_notify,
};

/* Wakes only on kicks: a kick the driver should have sent is a timeout. */
static void *stress_device(void *arg)
{
	struct iovec iov[2];
	struct virtq_chain c = { .iov = iov, .max_iov = 2 };
	struct pollfd pfd = { .fd = kick_efd, .events = POLLIN };
	uint64_t n;

	(void)arg;
	while (!stress_stop) {
		if (poll(&pfd, 1, 5000) != 1) {
			lost_kick = !stress_stop;
			break;
		}
		if (read(kick_efd, &n, 8) != 8)
			continue;
		while (virtq_pop(&vdev.vqs[0], &c) == 1)
			virtq_push(&vdev.vqs[0], c.head, c.writable_len);
		virtio_notify_queue(&vdev, 0);
	}
	return NULL;
}

static bool need_event(uint16_t event, uint16_t new, uint16_t old)
{
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

/*
 * Linux's side of EVENT_IDX: kick only when avail_event says so, sleep on
 * the interrupt only after publishing used_event and looking again.  A
 * barrier missing on either side shows up as a lost wakeup (timeout).
 */
static void test_concurrent_event_idx(void **state)
{
	uint16_t *avail = NULL, *used_ring, last_used = 0, pending = 0;
	struct pollfd pfd;
	pthread_t dev_thread;
	uint64_t one = 1, n;
	unsigned int i;

	(void)state;
	start_device(ALL_FEATURES);
	vdev.transport = &stress_transport;
	kick_efd = eventfd(0, EFD_NONBLOCK);
	irq_efd = eventfd(0, EFD_NONBLOCK);
	pfd = (struct pollfd){ .fd = irq_efd, .events = POLLIN };
	avail = gpa(vr.avail);
	used_ring = gpa(vr.used);
	stress_stop = false;
	lost_kick = false;
	assert_int_equal(pthread_create(&dev_thread, NULL, stress_device, NULL), 0);

	for (i = 0; i < STRESS_N; i++) {
		uint16_t old = vr.avail_idx;

		/* Reclaim until a descriptor is free. */
		while (pending == QSIZE) {
			uint16_t u = __atomic_load_n(&used_ring[1], __ATOMIC_ACQUIRE);

			if (u != last_used) {
				pending -= (uint16_t)(u - last_used);
				last_used = u;
				continue;
			}
			__atomic_store_n(&avail[2 + QSIZE], last_used, __ATOMIC_RELAXED);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (__atomic_load_n(&used_ring[1], __ATOMIC_ACQUIRE) != last_used)
				continue;
			if (poll(&pfd, 1, 5000) != 1 || lost_kick)
				break;				/* lost wakeup */
			assert_int_equal(read(irq_efd, &n, 8), 8);
		}
		if (pending == QSIZE)
			break;
		vring_desc(&vr, vr.avail_idx % QSIZE, BUF_GPA, 8,
			   VIRTQ_DESC_F_WRITE, 0);
		vring_avail(&vr, vr.avail_idx % QSIZE);
		pending++;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (need_event(*(volatile uint16_t *)gpa(vr.used + 4 + 8 * QSIZE),
			       vr.avail_idx, old))
			assert_int_equal(write(kick_efd, &one, 8), 8);
	}
	/* Everything comes back. */
	for (n = 0; n < 500 && vring_used_idx(&vr) != vr.avail_idx; n++)
		usleep(10000);
	stress_stop = true;
	assert_int_equal(write(kick_efd, &one, 8), 8);
	pthread_join(dev_thread, NULL);
	assert_false(lost_kick);
	assert_int_equal(i, STRESS_N);
	assert_int_equal(vring_used_idx(&vr), vr.avail_idx);
	assert_int_equal(fk.nr_errors, 0);
	close(kick_efd);
	close(irq_efd);
}

/* ---- the I/O thread route and helpers ---------------------------------------- */

static unsigned int iothread_calls;

static void on_iothread(struct virtio_device *d, unsigned int q)
{
	assert_ptr_equal(d, &vdev);
	assert_int_equal(q, 1);
	iothread_calls++;
}

static void test_iothread_kick(void **state)
{
	(void)state;
	assert_int_equal(virtio_queue_set_iothread(&vdev, 1, on_iothread), 0);
	assert_int_equal(virtio_queue_set_iothread(&vdev, 1, on_iothread), -EINVAL);
	assert_int_equal(virtio_queue_set_iothread(&vdev, 2, on_iothread), -EINVAL);
	assert_int_equal(fk.nr_loop, 1);
	start_device(0);
	/* DRIVER_OK kicked queue 1 through the eventfd, queue 0 inline. */
	assert_int_equal(kicks[0], 1);
	assert_int_equal(kicks[1], 0);
	assert_int_equal(fake_loop_poll(0), 1);
	assert_int_equal(iothread_calls, 1);
	virtio_kick(&vdev, 1);
	virtio_kick(&vdev, 1);
	assert_int_equal(fake_loop_poll(0), 1);
	assert_int_equal(iothread_calls, 2);	/* coalesced */
	assert_int_equal(fake_loop_poll(0), 0);
	virtio_kick(&vdev, 7);			/* no such queue */
	assert_int_equal(fake_loop_poll(0), 0);
}

static void test_iov_helpers(void **state)
{
	char a[3] = "abc", b[5] = "defgh", out[8] = { 0 };
	struct iovec iov[2] = { { a, 3 }, { b, 5 } };

	(void)state;
	assert_int_equal(virtio_iov_to_buf(iov, 2, 2, out, 4), 4);
	assert_memory_equal(out, "cdef", 4);
	assert_int_equal(virtio_iov_to_buf(iov, 2, 6, out, 8), 2);
	assert_memory_equal(out, "gh", 2);
	assert_int_equal(virtio_iov_to_buf(iov, 2, 9, out, 8), 0);
	assert_int_equal(virtio_iov_from_buf(iov, 2, 1, "XYZW", 4), 4);
	assert_memory_equal(a, "aXY", 3);
	assert_memory_equal(b, "ZWfgh", 5);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_simple_chain),
		T(test_zero_length_and_full_length_chain),
		T(test_too_many_buffers),
		T(test_indirect),
		T(test_indirect_not_negotiated),
		T(test_event_idx),
		T(test_no_interrupt_flag),
		T(test_status_and_reset),
		T(test_reset_recovers_broken_queue),
		T(test_bad_queue_setup),
		T(test_descriptor_loop),
		T(test_head_out_of_range),
		T(test_next_out_of_range),
		T(test_writable_then_readable),
		T(test_buffer_outside_ram),
		T(test_buffer_straddles_ram_end),
		T(test_buffer_wraps_address_space),
		T(test_indirect_bad_length),
		T(test_indirect_outside_ram),
		T(test_indirect_nested),
		T(test_indirect_next_out_of_table),
		T(test_indirect_loop),
		T(test_indirect_with_next),
		T(test_avail_idx_jump),
		T(test_head_already_in_flight),
		T(test_concurrent_event_idx),
		T(test_iothread_kick),
		T(test_iov_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
