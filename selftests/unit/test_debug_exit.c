/* SPDX-License-Identifier: GPL-2.0 */
/* Unit tests for devices/debug_exit.c: exit codes and benchmark markers. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>

#include "devices/debug_exit.h"
#include "selftests/unit/fake_vmm.h"

/* ---- helpers ------------------------------------------------------------ */

static struct debug_exit *make(void)
{
	struct debug_exit *d = NULL;

	fake_vmm_setup(0);
	assert_int_equal(debug_exit_create(&fake_vm, DEBUG_EXIT_STD_PORT, &d),
			 0);
	assert_non_null(d);
	assert_int_equal(fk.nr_dev, 1);
	assert_ptr_equal(fk.dev[0].opaque, d);
	assert_int_equal(fake_io_single()->space, VMM_SPACE_PIO);
	assert_int_equal(fk.r[0].base, 0x501);
	assert_true(fk.r[0].len >= 4);		/* an outl must reach it */
	return d;
}

static void out(unsigned int offset, uint32_t v, uint32_t size)
{
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };

	assert_true(offset + size <= fake_io_single()->len);
	fk.r[0].ops->write(fk.r[0].opaque, offset, b, size);
}

/* Each write must ask: the latest request, not only the first one. */
static struct fake_stop last_stop(void)
{
	assert_true(fk.nr_stops > 0);
	return fk.stops[fk.nr_stops - 1];
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- tests -------------------------------------------------------------- */

static void test_exit_codes(void **state)
{
	(void)state;
	make();
	out(0, 0x2a, 1);
	assert_int_equal(fk.nr_stops, 1);
	assert_int_equal(last_stop().reason, VMM_STOP_DEBUG_EXIT);
	assert_int_equal(last_stop().code, 0x2a);
	out(0, 0xff, 1);
	assert_int_equal(last_stop().code, 0xff);
	out(0, 0xbeef, 2);
	assert_int_equal(fk.nr_stops, 3);
	assert_int_equal(last_stop().code, 0xbeef);
	out(0, 0xdeadbeef, 4);
	assert_int_equal(last_stop().code, 0xdeadbeef);
	out(0, 0, 4);
	assert_int_equal(fk.nr_stops, 5);
	assert_int_equal(last_stop().code, 0);
	fake_vmm_destroy_devices();
}

static void test_reads(void **state)
{
	uint8_t b[4];
	unsigned int off;

	(void)state;
	make();
	for (off = 0; off < 4; off++) {
		memset(b, 0, sizeof(b));
		fk.r[0].ops->read(fk.r[0].opaque, off, b, 4 - off);
		assert_int_equal(b[0], 0xff);
		assert_int_equal(b[3 - off], 0xff);
	}
	assert_int_equal(fk.nr_stops, 0);
	fake_vmm_destroy_devices();
}

static void test_marker(void **state)
{
	struct debug_exit *d;
	uint64_t t0, t1, ns = 0;
	uint32_t v = 0;

	(void)state;
	d = make();
	assert_int_equal(debug_exit_last_marker(d, &v, &ns), -ENOENT);
	t0 = mono_ns();
	out(1, 0x17, 1);
	t1 = mono_ns();
	assert_int_equal(debug_exit_last_marker(d, &v, &ns), 0);
	assert_int_equal(v, 0x17);
	assert_true(ns >= t0 && ns <= t1);
	out(1, 0x18, 1);
	assert_int_equal(debug_exit_last_marker(d, &v, NULL), 0);
	assert_int_equal(v, 0x18);
	assert_int_equal(debug_exit_last_marker(d, NULL, NULL), 0);
	/* Markers never stop the VM; the idle ports do nothing. */
	out(2, 0x55, 2);
	out(3, 0x66, 1);
	assert_int_equal(fk.nr_stops, 0);
	assert_int_equal(debug_exit_last_marker(d, &v, NULL), 0);
	assert_int_equal(v, 0x18);
	fake_vmm_destroy_devices();
}

static void test_bad_port(void **state)
{
	struct debug_exit *d = NULL;

	(void)state;
	fake_vmm_setup(0);
	assert_int_equal(debug_exit_create(&fake_vm, 0xfffe, &d), -EINVAL);
	assert_null(d);
	assert_int_equal(fk.nr_ranges, 0);
	assert_non_null(strstr(fk.msg, "0xfffe"));
	/* out may be NULL. */
	assert_int_equal(debug_exit_create(&fake_vm, 0xf4, NULL), 0);
	assert_int_equal(fake_io_single()->space, VMM_SPACE_PIO);
	assert_int_equal(fk.r[0].base, 0xf4);
	fake_vmm_destroy_devices();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_reads),
		cmocka_unit_test(test_marker),
		cmocka_unit_test(test_bad_port),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
