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

/* ---- fakes of the libvmm calls the device makes ------------------------ */

struct vmm_vm {
	const struct vmm_io_ops *ops;
	void *opaque;
	uint64_t base, len;
	int nr_io;
	void (*destroy)(void *opaque);
	void *dev;
	enum vmm_stop_reason stop;
	uint32_t stop_code;
	int nr_stops;
	int err;
	char msg[256];
};

static struct vmm_vm fake;

int vmm_io_register(struct vmm_vm *vm, enum vmm_space space, uint64_t base,
		    uint64_t len, const struct vmm_io_ops *ops, void *opaque,
		    const char *name)
{
	(void)name;
	assert_int_equal(space, VMM_SPACE_PIO);
	vm->ops = ops;
	vm->opaque = opaque;
	vm->base = base;
	vm->len = len;
	vm->nr_io++;
	return 0;
}

int vmm_io_unregister(struct vmm_vm *vm, enum vmm_space space, uint64_t base)
{
	(void)space;
	(void)base;
	vm->nr_io--;
	return 0;
}

int vmm_device_add(struct vmm_vm *vm, const char *name,
		   void (*destroy)(void *opaque), void *opaque)
{
	(void)name;
	vm->destroy = destroy;
	vm->dev = opaque;
	return 0;
}

/* Records every request, not only the first: each write must ask. */
void vmm_vm_request_stop(struct vmm_vm *vm, enum vmm_stop_reason reason,
			 uint32_t code)
{
	vm->stop = reason;
	vm->stop_code = code;
	vm->nr_stops++;
}

int vmm_set_error(struct vmm_vm *vm, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(vm->msg, sizeof(vm->msg), fmt, ap);
	va_end(ap);
	vm->err = err;
	return err;
}

/* ---- helpers ------------------------------------------------------------ */

static struct debug_exit *make(void)
{
	struct debug_exit *d = NULL;

	memset(&fake, 0, sizeof(fake));
	assert_int_equal(debug_exit_create(&fake, DEBUG_EXIT_STD_PORT, &d), 0);
	assert_non_null(d);
	assert_ptr_equal(fake.dev, d);
	assert_int_equal(fake.base, 0x501);
	assert_true(fake.len >= 4);		/* an outl must reach it */
	return d;
}

static void out(unsigned int offset, uint32_t v, uint32_t size)
{
	uint8_t b[4] = { v, v >> 8, v >> 16, v >> 24 };

	assert_true(offset + size <= fake.len);
	fake.ops->write(fake.opaque, offset, b, size);
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
	assert_int_equal(fake.nr_stops, 1);
	assert_int_equal(fake.stop, VMM_STOP_DEBUG_EXIT);
	assert_int_equal(fake.stop_code, 0x2a);
	out(0, 0xff, 1);
	assert_int_equal(fake.stop_code, 0xff);
	out(0, 0xbeef, 2);
	assert_int_equal(fake.nr_stops, 3);
	assert_int_equal(fake.stop_code, 0xbeef);
	out(0, 0xdeadbeef, 4);
	assert_int_equal(fake.stop_code, 0xdeadbeef);
	out(0, 0, 4);
	assert_int_equal(fake.nr_stops, 5);
	assert_int_equal(fake.stop_code, 0);
	fake.destroy(fake.dev);
}

static void test_reads(void **state)
{
	uint8_t b[4];
	unsigned int off;

	(void)state;
	make();
	for (off = 0; off < 4; off++) {
		memset(b, 0, sizeof(b));
		fake.ops->read(fake.opaque, off, b, 4 - off);
		assert_int_equal(b[0], 0xff);
		assert_int_equal(b[3 - off], 0xff);
	}
	assert_int_equal(fake.nr_stops, 0);
	fake.destroy(fake.dev);
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
	assert_int_equal(fake.nr_stops, 0);
	assert_int_equal(debug_exit_last_marker(d, &v, NULL), 0);
	assert_int_equal(v, 0x18);
	fake.destroy(fake.dev);
}

static void test_bad_port(void **state)
{
	struct debug_exit *d = NULL;

	(void)state;
	memset(&fake, 0, sizeof(fake));
	assert_int_equal(debug_exit_create(&fake, 0xfffe, &d), -EINVAL);
	assert_null(d);
	assert_int_equal(fake.nr_io, 0);
	assert_non_null(strstr(fake.msg, "0xfffe"));
	/* out may be NULL. */
	assert_int_equal(debug_exit_create(&fake, 0xf4, NULL), 0);
	assert_int_equal(fake.base, 0xf4);
	fake.destroy(fake.dev);
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
