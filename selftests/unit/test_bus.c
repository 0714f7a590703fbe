// SPDX-License-Identifier: GPL-2.0
/* The I/O bus: registration, overlap refusal, lookup and dispatch. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/internal.h"

static char last_error[VMM_ERROR_MAX];

int vmm_set_error(struct vmm_vm *vm, int err, const char *fmt, ...)
{
	va_list ap;

	(void)vm;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return err;
}

struct dev {
	uint64_t last_off;
	uint8_t last_data[8];
	uint32_t last_size;
	int reads, writes;
};

static void dev_read(void *opaque, uint64_t off, uint8_t *data, uint32_t size)
{
	struct dev *d = opaque;

	d->reads++;
	d->last_off = off;
	d->last_size = size;
	memset(data, 0x40 + (int)off, size);
}

static void dev_write(void *opaque, uint64_t off, const uint8_t *data,
		      uint32_t size)
{
	struct dev *d = opaque;

	d->writes++;
	d->last_off = off;
	d->last_size = size;
	memcpy(d->last_data, data, size);
}

static const struct vmm_io_ops dev_ops = { .read = dev_read, .write = dev_write };

static struct vmm_vm vm;

static int setup(void **state)
{
	(void)state;
	memset(&vm, 0, sizeof(vm));
	vm.low_size = 512ull << 20;
	assert_int_equal(vmm_bus_init(&vm.pio), 0);
	assert_int_equal(vmm_bus_init(&vm.mmio), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vmm_bus_destroy(&vm.pio);
	vmm_bus_destroy(&vm.mmio);
	return 0;
}

static void test_register_and_dispatch(void **state)
{
	struct dev a = { 0 }, b = { 0 };
	uint8_t data[4] = { 1, 2, 3, 4 };

	(void)state;
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_PIO, 0x3f8, 8, &dev_ops, &a, "com1"), 0);
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_PIO, 0x60, 1, &dev_ops, &b, "kbd"), 0);
	assert_true(vmm_bus_access(&vm.pio, 0x3fb, data, 1, true));
	assert_int_equal(a.writes, 1);
	assert_int_equal(a.last_off, 3);
	assert_int_equal(a.last_data[0], 1);
	assert_true(vmm_bus_access(&vm.pio, 0x3f8, data, 4, false));
	assert_int_equal(a.reads, 1);
	assert_memory_equal(data, "\x40\x40\x40\x40", 4);
	assert_true(vmm_bus_access(&vm.pio, 0x60, data, 1, false));
	assert_int_equal(b.reads, 1);
	/* Unclaimed ports and accesses running past a range's end. */
	assert_false(vmm_bus_access(&vm.pio, 0x61, data, 1, false));
	assert_false(vmm_bus_access(&vm.pio, 0x3ff, data, 2, false));
	assert_false(vmm_bus_access(&vm.pio, 0x3f7, data, 1, false));
	assert_int_equal(a.reads, 1);
}

static void test_overlap(void **state)
{
	struct dev a = { 0 };

	(void)state;
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_PIO, 0x3f8, 8, &dev_ops, &a, "com1"), 0);
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_PIO, 0x3ff, 1, &dev_ops, &a, "x"), -EEXIST);
	assert_non_null(strstr(last_error, "overlaps com1"));
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_PIO, 0x3f0, 9, &dev_ops, &a, "y"), -EEXIST);
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_PIO, 0x3f0, 0x20, &dev_ops, &a, "z"), -EEXIST);
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_PIO, 0x3f0, 8, &dev_ops, &a, "ok"), 0);
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_PIO, 0x400, 8, &dev_ops, &a, "ok2"), 0);
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_PIO, 0xfff0, 0x20, &dev_ops, &a, "end"), -EINVAL);
	assert_non_null(strstr(last_error, "past the end"));
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_PIO, 0x500, 0, &dev_ops, &a, "empty"), -EINVAL);
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_MMIO, 0x1000, 0x1000, &dev_ops, &a, "ram"), -EINVAL);
	assert_non_null(strstr(last_error, "overlaps guest RAM"));
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_MMIO, ~0ull - 10, 100, &dev_ops, &a, "wrap"), -EINVAL);
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_MMIO, 0xfee00000, 0x1000, &dev_ops, &a, "mmio"), 0);
}

static void test_unregister_many(void **state)
{
	struct dev d = { 0 };
	uint8_t data[1];
	unsigned int i;

	(void)state;
	/* Enough ranges to grow the array; registered in reverse order. */
	for (i = 100; i-- > 0;)
		assert_int_equal(vmm_io_register(&vm, VMM_SPACE_PIO, 0x1000 + i * 4, 2, &dev_ops, &d, "r"), 0);
	for (i = 0; i < 100; i++) {
		assert_true(vmm_bus_access(&vm.pio, 0x1000 + i * 4 + 1, data, 1, true));
		assert_int_equal(d.last_off, 1);
		assert_false(vmm_bus_access(&vm.pio, 0x1000 + i * 4 + 2, data, 1, true));
	}
	assert_int_equal(vmm_io_unregister(&vm, VMM_SPACE_PIO, 0x1000 + 50 * 4), 0);
	assert_int_equal(vmm_io_unregister(&vm, VMM_SPACE_PIO, 0x1000 + 50 * 4), -ENOENT);
	assert_int_equal(vmm_io_unregister(&vm, VMM_SPACE_PIO, 0x1001), -ENOENT);
	assert_false(vmm_bus_access(&vm.pio, 0x1000 + 50 * 4, data, 1, true));
	assert_true(vmm_bus_access(&vm.pio, 0x1000 + 51 * 4, data, 1, true));
	assert_int_equal(d.writes, 101);
}

/* A backend that records the doorbells it holds. */
struct held {
	enum vmm_space space;
	uint64_t addr;
	uint32_t size;
	int fd;
};
static struct held held[8];
static unsigned int nr_held, nr_refused;

static int fake_ioeventfd(struct vmm_vm *v, enum vmm_space space,
			  uint64_t addr, uint32_t size, int fd, bool assign)
{
	unsigned int i;

	assert_ptr_equal(v, &vm);
	for (i = 0; i < nr_held; i++)
		if (held[i].space == space && held[i].addr == addr &&
		    held[i].size == size && held[i].fd == fd)
			break;
	if (assign) {
		assert_int_equal(i, nr_held);	/* never twice */
		if (addr == 0xe0000010) {	/* this backend cannot */
			nr_refused++;
			return -ENOSPC;
		}
		assert_true(nr_held < 8);
		held[nr_held++] = (struct held){ space, addr, size, fd };
	} else {
		if (i == nr_held)
			return -ENOENT;		/* a refused one */
		held[i] = held[--nr_held];
	}
	return 0;
}

static const struct vmm_backend_ops doorbell_backend = {
	.ioeventfd = fake_ioeventfd,
};

/* Two doorbells in range, one past its end (ignored). */
static unsigned int dev_doorbells(void *opaque, struct vmm_doorbell *out,
				  unsigned int max)
{
	(void)opaque;
	assert_int_equal(max, VMM_MAX_DOORBELLS);
	out[0] = (struct vmm_doorbell){ .offset = 0x10, .size = 2, .fd = 7 };
	out[1] = (struct vmm_doorbell){ .offset = 0x14, .size = 2, .fd = 8 };
	out[2] = (struct vmm_doorbell){ .offset = 0xfff, .size = 2, .fd = 9 };
	return 3;
}

static const struct vmm_io_ops bell_ops = {
	.read = dev_read, .write = dev_write, .doorbells = dev_doorbells,
};

static bool holds(uint64_t addr, int fd)
{
	unsigned int i;

	for (i = 0; i < nr_held; i++)
		if (held[i].addr == addr && held[i].fd == fd &&
		    held[i].space == VMM_SPACE_MMIO && held[i].size == 2)
			return true;
	return false;
}

static void test_doorbells_follow_range(void **state)
{
	struct dev d = { 0 };
	uint8_t data[2] = { 0 };

	(void)state;
	nr_held = nr_refused = 0;
	/* Without a backend that takes them, doorbells are just writes. */
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_MMIO, 0xd0000000, 0x1000, &bell_ops, &d, "bar"), 0);
	assert_int_equal(nr_held, 0);
	assert_true(vmm_bus_access(&vm.mmio, 0xd0000010, data, 2, true));
	assert_int_equal(d.writes, 1);
	assert_int_equal(vmm_io_unregister(&vm, VMM_SPACE_MMIO, 0xd0000000), 0);

	vm.ops = &doorbell_backend;
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_MMIO, 0xd0000000, 0x1000, &bell_ops, &d, "bar"), 0);
	assert_int_equal(nr_held, 2);
	assert_true(holds(0xd0000010, 7) && holds(0xd0000014, 8));
	/* Moved (a BAR write): the doorbells move along. */
	assert_int_equal(vmm_io_unregister(&vm, VMM_SPACE_MMIO, 0xd0000000), 0);
	assert_int_equal(nr_held, 0);
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_MMIO, 0xd0100000, 0x1000, &bell_ops, &d, "bar"), 0);
	assert_true(nr_held == 2 && holds(0xd0100010, 7) && holds(0xd0100014, 8));
	assert_int_equal(vmm_io_unregister(&vm, VMM_SPACE_MMIO, 0xd0100000), 0);
	/* One the backend refuses still works as a write; the range maps. */
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_MMIO, 0xe0000000, 0x1000, &bell_ops, &d, "bar"), 0);
	assert_int_equal(nr_refused, 1);
	assert_true(nr_held == 1 && holds(0xe0000014, 8));
	assert_true(vmm_bus_access(&vm.mmio, 0xe0000010, data, 2, true));
	assert_int_equal(d.writes, 2);
	assert_int_equal(vmm_io_unregister(&vm, VMM_SPACE_MMIO, 0xe0000000), 0);
	assert_int_equal(nr_held, 0);
	/* A range without doorbells asks for none. */
	assert_int_equal(vmm_io_register(&vm, VMM_SPACE_MMIO, 0xd0000000, 0x1000, &dev_ops, &d, "plain"), 0);
	assert_int_equal(nr_held, 0);
	vm.ops = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_register_and_dispatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unregister_many, setup, teardown),
		cmocka_unit_test_setup_teardown(test_doorbells_follow_range, setup, teardown),
	};

	return cmocka_run_group_tests_name("bus", tests, NULL, NULL);
}
