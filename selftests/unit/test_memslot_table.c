// SPDX-License-Identifier: GPL-2.0
/* Unit tests for kmod/memslot_table.c: slot argument checks and tables. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "kmod/memslot_table.h"

#define PAGE 4096ull

static const struct vhv_slot_limits lim = {
	.nr_slots = 8, .phys_bits = 40, .user_end = 1ull << 47,
};

static struct vhv_memory_slot good(void)
{
	return (struct vhv_memory_slot) {
		.slot = 1, .guest_phys_addr = 0x100000, .size = 16 * PAGE,
		.userspace_addr = 0x7f0000000000ull,
	};
}

static void test_args_good(void **state)
{
	struct vhv_memory_slot m = good();

	(void)state;
	assert_int_equal(vhv_slot_check_args(&m, &lim), 0);
	m.flags = VHV_MEM_READONLY;
	assert_int_equal(vhv_slot_check_args(&m, &lim), 0);
	m.guest_phys_addr = (1ull << 40) - m.size;	/* ends exactly at the top */
	assert_int_equal(vhv_slot_check_args(&m, &lim), 0);
}

static void test_args_bad(void **state)
{
	struct vhv_memory_slot m;
	int i;

	(void)state;
#define BAD(mutation)							\
	do {								\
		m = good();						\
		mutation;						\
		assert_int_equal(vhv_slot_check_args(&m, &lim), -EINVAL); \
	} while (0)
	BAD(m.slot = 8);
	BAD(m.slot = ~0u);
	BAD(m.flags = 2);
	BAD(m.flags = 1u << 31);
	for (i = 0; i < 4; i++)
		BAD(m.reserved[i] = 1);
	BAD(m.size = 0);
	BAD(m.size = PAGE + 1);
	BAD(m.guest_phys_addr = 1);
	BAD(m.userspace_addr += 0x800);
	BAD(m.userspace_addr = 0);
	BAD(m.guest_phys_addr = (1ull << 40) - PAGE);		/* crosses top */
	BAD(m.guest_phys_addr = ~0ull & ~(PAGE - 1));		/* wraps */
	BAD(m.userspace_addr = ~0ull & ~(PAGE - 1));		/* wraps */
	BAD(m.userspace_addr = (1ull << 47) - PAGE);		/* crosses user end */
	BAD(m.size = 1ull << 63);
#undef BAD
}

static struct vhv_memslots *table(unsigned int n, const struct vhv_memslot *s)
{
	struct vhv_memslots *t = calloc(1, vhv_slots_size(n + 4));
	unsigned int i;

	assert_non_null(t);
	for (i = 0; i < n; i++)
		t->slot[i] = s[i];
	t->nr = n;
	return t;
}

static void test_overlap(void **state)
{
	const struct vhv_memslot s[] = {
		{ .id = 3, .base_gfn = 10, .npages = 5 },	/* [10, 15) */
		{ .id = 7, .base_gfn = 20, .npages = 1 },	/* [20, 21) */
	};
	struct vhv_memslots *t = table(2, s);

	(void)state;
	assert_false(vhv_slots_overlap(t, 0, 10, 99));	/* touches 10 */
	assert_false(vhv_slots_overlap(t, 15, 5, 99));	/* fills the gap */
	assert_true(vhv_slots_overlap(t, 14, 1, 99));
	assert_true(vhv_slots_overlap(t, 9, 2, 99));
	assert_true(vhv_slots_overlap(t, 0, 100, 99));	/* contains both */
	assert_true(vhv_slots_overlap(t, 11, 1, 99));	/* inside */
	assert_false(vhv_slots_overlap(t, 11, 1, 3));	/* replacing slot 3 */
	assert_true(vhv_slots_overlap(t, 12, 9, 3));	/* still hits slot 7 */
	assert_int_equal(vhv_slots_find_id(t, 7), 1);
	assert_int_equal(vhv_slots_find_id(t, 4), -1);
	free(t);
}

static void test_build_sorted(void **state)
{
	const struct vhv_memslot s[] = {
		{ .id = 1, .base_gfn = 10, .npages = 1 },
		{ .id = 2, .base_gfn = 20, .npages = 1 },
		{ .id = 3, .base_gfn = 30, .npages = 1 },
	};
	const struct vhv_memslot first = { .id = 9, .base_gfn = 0, .npages = 1 };
	const struct vhv_memslot mid = { .id = 8, .base_gfn = 25, .npages = 1 };
	const struct vhv_memslot last = { .id = 4, .base_gfn = 99, .npages = 1 };
	struct vhv_memslots *t = table(3, s), *d = table(0, NULL), *e = table(0, NULL);
	struct vhv_memslots *big = calloc(1, vhv_slots_size(8));

	(void)state;
	t->generation = 41;
	vhv_slots_build(d, t, &mid, -1);
	assert_int_equal(d->nr, 4);
	assert_int_equal(d->generation, 42);
	assert_int_equal(d->slot[2].id, 8);
	assert_int_equal(d->slot[3].id, 3);

	vhv_slots_build(e, t, &first, 1);	/* add at front, remove id 2 */
	assert_int_equal(e->nr, 3);
	assert_int_equal(e->slot[0].id, 9);
	assert_int_equal(e->slot[1].id, 1);
	assert_int_equal(e->slot[2].id, 3);

	vhv_slots_build(big, t, &last, -1);	/* append */
	assert_int_equal(big->slot[3].id, 4);

	vhv_slots_build(big, t, NULL, 2);	/* delete only */
	assert_int_equal(big->nr, 2);
	assert_int_equal(big->slot[1].id, 2);
	free(t);
	free(d);
	free(e);
	free(big);
}

/* The invalid copy keeps the order, so the same index removes the slot. */
static void test_invalidate(void **state)
{
	const struct vhv_memslot s[] = {
		{ .id = 1, .base_gfn = 10, .npages = 1, .flags = VHV_MEM_READONLY },
		{ .id = 2, .base_gfn = 20, .npages = 1 },
	};
	const struct vhv_memslot repl = { .id = 2, .base_gfn = 5, .npages = 1 };
	struct vhv_memslots *t = table(2, s), *inv = table(0, NULL);
	struct vhv_memslots *d = table(0, NULL);

	(void)state;
	t->generation = 7;
	vhv_slots_invalidate(inv, t, 1);
	assert_int_equal(inv->nr, 2);
	assert_int_equal(inv->generation, 8);
	assert_int_equal(inv->slot[0].flags, VHV_MEM_READONLY);
	assert_int_equal(inv->slot[1].flags, VHV_MEMSLOT_INVALID);
	assert_int_equal(inv->slot[1].base_gfn, 20);
	vhv_slots_build(d, inv, &repl, 1);
	assert_int_equal(d->nr, 2);
	assert_int_equal(d->slot[0].id, 2);
	assert_int_equal(d->slot[0].flags, 0);
	assert_int_equal(d->slot[1].id, 1);
	free(t);
	free(inv);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_good),
		cmocka_unit_test(test_args_bad),
		cmocka_unit_test(test_overlap),
		cmocka_unit_test(test_build_sorted),
		cmocka_unit_test(test_invalidate),
	};

	return cmocka_run_group_tests_name("memslot_table", tests, NULL, NULL);
}
