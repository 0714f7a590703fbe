/* SPDX-License-Identifier: GPL-2.0 */
/* Unit tests for devices/i8042.c: the keyboard controller, without a VM. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "devices/i8042.h"
#include "selftests/unit/fake_vmm.h"

/* ---- helpers ------------------------------------------------------------ */

#define STR_OBF		0x01
#define STR_IBF		0x02
#define STR_SYS		0x04
#define STR_CMD		0x08
#define STR_AUX		0x20
#define STR_TIMEOUT	0x40

static const struct fake_range *range(uint16_t port)
{
	const struct fake_range *r = fake_io_find(VMM_SPACE_PIO, port);

	if (!r)
		fail_msg("port 0x%x not registered", port);
	return r;
}

static uint8_t inb(uint16_t port)
{
	const struct fake_range *r = range(port);
	uint8_t b = 0;

	r->ops->read(r->opaque, port - r->base, &b, 1);
	return b;
}

static void outb(uint16_t port, uint8_t v)
{
	const struct fake_range *r = range(port);

	r->ops->write(r->opaque, port - r->base, &v, 1);
}

static void make(void)
{
	struct i8042 *k = NULL;
	int i;

	fake_vmm_setup(0);
	assert_int_equal(i8042_create(&fake_vm, &k), 0);
	assert_non_null(k);
	assert_int_equal(fk.nr_dev, 1);
	assert_ptr_equal(fk.dev[0].opaque, k);
	/* Exactly 0x60 and 0x64, one byte each: 0x61 is the PIT's. */
	assert_int_equal(fk.nr_ranges, 2);
	for (i = 0; i < 2; i++) {
		assert_int_equal(fk.r[i].space, VMM_SPACE_PIO);
		assert_int_equal(fk.r[i].len, 1);
		assert_true(fk.r[i].base == 0x60 || fk.r[i].base == 0x64);
	}
	assert_true(fk.r[0].base != fk.r[1].base);
}

static void destroy(void)
{
	fake_vmm_destroy_devices();
}

/* Sends a controller command and returns its one reply byte. */
static uint8_t command(uint8_t cmd)
{
	uint8_t st;

	outb(0x64, cmd);
	st = inb(0x64);
	assert_true(st & STR_OBF);
	assert_false(st & STR_IBF);
	return inb(0x60);
}

/* An edge on gsi was the last thing the device did to that line. */
static void assert_pulse(unsigned int from, uint32_t gsi)
{
	assert_true(fk.nr_irq >= from + 2);
	assert_int_equal(fk.irq[from].gsi, gsi);
	assert_int_equal(fk.irq[from].level, 1);
	assert_int_equal(fk.irq[from + 1].gsi, gsi);
	assert_int_equal(fk.irq[from + 1].level, 0);
}

/* ---- tests -------------------------------------------------------------- */

static void test_self_test(void **state)
{
	uint8_t st;

	(void)state;
	make();
	st = inb(0x64);
	assert_int_equal(st & (STR_OBF | STR_IBF), 0);
	assert_true(st & STR_SYS);
	assert_int_equal(command(0xaa), 0x55);
	assert_true(inb(0x64) & STR_CMD);
	assert_int_equal(inb(0x64) & STR_OBF, 0);
	/* The boot command byte enables the keyboard interrupt: an edge. */
	assert_int_equal(fk.nr_irq, 2);
	assert_pulse(0, 1);
	assert_int_equal(command(0xab), 0x00);
	assert_int_equal(command(0xa9), 0x00);
	/* Reading with nothing there gives the last byte again, no OBF. */
	assert_int_equal(inb(0x60), 0x00);
	assert_int_equal(inb(0x64) & STR_OBF, 0);
	destroy();
}

static void test_command_byte(void **state)
{
	uint8_t ctr;

	(void)state;
	make();
	ctr = command(0x20);
	assert_int_equal(ctr, command(0x20));	/* stable, as Linux checks */
	assert_true(ctr & 0x04);		/* system flag */
	outb(0x64, 0x60);
	outb(0x60, 0x47);
	assert_false(inb(0x64) & STR_CMD);
	assert_int_equal(command(0x20), 0x47);
	outb(0x64, 0xa7);
	assert_int_equal(command(0x20), 0x47 | 0x20);
	outb(0x64, 0xa8);
	assert_int_equal(command(0x20), 0x47);
	outb(0x64, 0xad);
	assert_int_equal(command(0x20), 0x47 | 0x10);
	outb(0x64, 0xae);
	assert_int_equal(command(0x20), 0x47);
	/* The status system flag follows the command byte. */
	outb(0x64, 0x60);
	outb(0x60, 0x00);
	assert_int_equal(inb(0x64) & STR_SYS, 0);
	assert_int_equal(command(0x20), 0x00);
	/* The rest of the internal RAM. */
	outb(0x64, 0x7f);
	outb(0x60, 0x99);
	assert_int_equal(command(0x3f), 0x99);
	assert_int_equal(command(0x20), 0x00);
	/* A command replaced before its data byte takes no data. */
	outb(0x64, 0x60);
	outb(0x64, 0xaa);
	assert_int_equal(inb(0x60), 0x55);
	assert_int_equal(command(0x20), 0x00);
	destroy();
}

static void test_reset(void **state)
{
	unsigned int c;

	(void)state;
	make();
	outb(0x64, 0xff);			/* pulses nothing */
	assert_int_equal(fk.stop, VMM_STOP_NONE);
	assert_int_equal(command(0xd0) & 0x01, 0x01);
	outb(0x64, 0xd1);			/* A20 games keep bit 0 */
	outb(0x60, 0xdd);
	assert_int_equal(fk.stop, VMM_STOP_NONE);
	assert_int_equal(command(0xd0), 0xdd);
	outb(0x64, 0xfe);
	assert_int_equal(fk.stop, VMM_STOP_RESET);
	assert_int_equal(fk.stop_code, 0);
	destroy();

	make();
	outb(0x64, 0xd1);
	outb(0x60, 0xde);			/* bit 0 clear: reset */
	assert_int_equal(fk.stop, VMM_STOP_RESET);
	destroy();

	/* Every pulse command with bit 0 clear resets, the others do not. */
	for (c = 0xf0; c <= 0xff; c++) {
		make();
		outb(0x64, c);
		assert_int_equal(fk.nr_stops, (c & 1) ? 0 : 1);
		destroy();
	}
}

static void test_no_device(void **state)
{
	(void)state;
	make();
	/* A byte for the keyboard (GET ID): time-out, 0xfe, IRQ 1. */
	outb(0x60, 0xf2);
	assert_int_equal(inb(0x64) & (STR_OBF | STR_AUX | STR_TIMEOUT),
			 STR_OBF | STR_TIMEOUT);
	assert_pulse(0, 1);
	assert_int_equal(inb(0x60), 0xfe);
	assert_int_equal(inb(0x64) & (STR_OBF | STR_TIMEOUT), 0);
	/* A byte for the mouse: the same from the aux side, IRQ 12 off. */
	fk.nr_irq = 0;
	outb(0x64, 0xd4);
	outb(0x60, 0xff);
	assert_int_equal(inb(0x64) & (STR_OBF | STR_AUX | STR_TIMEOUT),
			 STR_OBF | STR_AUX | STR_TIMEOUT);
	assert_int_equal(inb(0x60), 0xfe);
	assert_int_equal(fk.nr_irq, 0);
	/* The loop commands need no device. */
	outb(0x64, 0xd2);
	outb(0x60, 0x12);
	assert_int_equal(inb(0x64) & (STR_OBF | STR_AUX | STR_TIMEOUT),
			 STR_OBF);
	assert_int_equal(inb(0x60), 0x12);
	outb(0x64, 0xd3);
	outb(0x60, 0x5a);
	assert_int_equal(inb(0x64) & (STR_OBF | STR_AUX | STR_TIMEOUT),
			 STR_OBF | STR_AUX);
	assert_int_equal(inb(0x60), 0x5a);
	destroy();
}

/* The probe sequence of Linux's i8042 driver, with its interrupt checks. */
static void test_linux_probe(void **state)
{
	uint8_t ctr;
	int n;

	(void)state;
	make();
	for (n = 0; (inb(0x64) & STR_OBF) && n < 16; n++)
		inb(0x60);
	assert_int_equal(n, 0);
	assert_int_equal(command(0xaa), 0x55);
	ctr = command(0x20);
	assert_int_equal(command(0x20), ctr);
	ctr = (ctr | 0x10) & ~0x01;		/* kbd off, no kbd interrupt */
	outb(0x64, 0x60);
	outb(0x60, ctr);
	/* check_aux: loop, then the AUXDIS bit follows 0xa7/0xa8. */
	outb(0x64, 0xd3);
	outb(0x60, 0x5a);
	assert_true(inb(0x64) & STR_AUX);
	assert_int_equal(inb(0x60), 0x5a);
	outb(0x64, 0xa7);
	assert_true(command(0x20) & 0x20);
	outb(0x64, 0xa8);
	assert_false(command(0x20) & 0x20);
	/* The aux IRQ test: with AUXINT set the looped byte raises IRQ 12. */
	ctr = (command(0x20) | 0x02) & ~0x20;
	outb(0x64, 0x60);
	outb(0x60, ctr);
	fk.nr_irq = 0;
	outb(0x64, 0xd3);
	outb(0x60, 0xa5);
	assert_int_equal(fk.nr_irq, 2);
	assert_pulse(0, 12);
	assert_int_equal(inb(0x64) & (STR_OBF | STR_AUX), STR_OBF | STR_AUX);
	assert_int_equal(inb(0x60), 0xa5);
	/* Mux check: a plain controller echoes 0xa4, so it is no mux. */
	outb(0x64, 0xd3);
	outb(0x60, 0xf0);
	assert_int_equal(inb(0x60), 0xf0);
	outb(0x64, 0xd3);
	outb(0x60, 0x56);
	assert_int_equal(inb(0x60), 0x56);
	outb(0x64, 0xd3);
	outb(0x60, 0xa4);
	assert_int_equal(inb(0x60), 0xa4);
	assert_int_equal(inb(0x64) & STR_OBF, 0);
	destroy();
}

static void test_interrupt_gating(void **state)
{
	(void)state;
	make();
	outb(0x64, 0x60);
	outb(0x60, 0x04);			/* no interrupts */
	assert_int_equal(fk.nr_irq, 0);
	outb(0x64, 0xaa);
	outb(0x64, 0xab);
	assert_int_equal(fk.nr_irq, 0);
	/* Enabling the keyboard interrupt with a byte waiting: one edge. */
	outb(0x64, 0x60);
	outb(0x60, 0x05);
	assert_int_equal(fk.nr_irq, 2);
	assert_pulse(0, 1);
	/* Each byte reaching the head of the buffer gets its own edge. */
	assert_int_equal(inb(0x60), 0x55);
	assert_int_equal(fk.nr_irq, 4);
	assert_pulse(2, 1);
	assert_int_equal(inb(0x60), 0x00);
	assert_int_equal(fk.nr_irq, 4);
	destroy();
}

/* Nothing a guest writes leaves IBF set or OBF stuck. */
static void test_no_stuck_buffers(void **state)
{
	unsigned int c, d;
	uint8_t buf[4];
	int n;

	(void)state;
	make();
	for (c = 0; c < 256; c++) {
		for (d = 0; d < 256; d += 51) {
			fk.nr_irq = 0;
			outb(0x64, c);
			assert_false(inb(0x64) & STR_IBF);
			outb(0x60, d);
			assert_false(inb(0x64) & STR_IBF);
			for (n = 0; (inb(0x64) & STR_OBF) && n < 16; n++)
				inb(0x60);
			assert_true(n <= 8);
			assert_int_equal(inb(0x64) & STR_OBF, 0);
		}
	}
	/* A flood of replies nobody reads stays bounded. */
	fk.nr_irq = 0;
	for (c = 0; c < 1000; c++)
		outb(0x64, 0xaa);
	for (n = 0; (inb(0x64) & STR_OBF) && n < 100; n++)
		assert_int_equal(inb(0x60), 0x55);
	assert_true(n > 0 && n <= 8);
	/* Wide accesses: one byte of register, 0xff above. */
	outb(0x64, 0xaa);
	memset(buf, 0, sizeof(buf));
	range(0x64)->ops->read(range(0x64)->opaque, 0, buf, 4);
	assert_int_equal(buf[0] & STR_OBF, STR_OBF);
	assert_int_equal(buf[1], 0xff);
	assert_int_equal(buf[3], 0xff);
	range(0x60)->ops->read(range(0x60)->opaque, 0, buf, 2);
	assert_int_equal(buf[0], 0x55);
	assert_int_equal(buf[1], 0xff);
	destroy();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_self_test),
		cmocka_unit_test(test_command_byte),
		cmocka_unit_test(test_reset),
		cmocka_unit_test(test_no_device),
		cmocka_unit_test(test_linux_probe),
		cmocka_unit_test(test_interrupt_gating),
		cmocka_unit_test(test_no_stuck_buffers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
