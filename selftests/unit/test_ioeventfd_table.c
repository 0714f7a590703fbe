// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/ioeventfd_table.c: VHV_IOEVENTFD's argument checks,
 * the overlap rule, table building and the lookup a guest write takes,
 * checked against a linear reference on random tables.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kmod/ioeventfd_table.h"

#define DM	VHV_IOEVENTFD_DATAMATCH
#define PIO	VHV_IOEVENTFD_PIO

static struct vhv_ioeventfd good(void)
{
	return (struct vhv_ioeventfd) { .addr = 0xfe000000, .len = 4, .fd = 3 };
}

static void test_args_good(void **state)
{
	struct vhv_ioeventfd a = good();

	(void)state;
	assert_int_equal(vhv_ioevt_check_args(&a, 40), 0);
	a.len = 8;
	a.flags = DM;
	a.datamatch = ~0ull;
	assert_int_equal(vhv_ioevt_check_args(&a, 40), 0);
	a = good();
	a.addr = (1ull << 40) - 4;		/* ends exactly at the top */
	assert_int_equal(vhv_ioevt_check_args(&a, 40), 0);
	a = (struct vhv_ioeventfd) { .addr = 0xfffe, .len = 2, .flags = PIO | DM,
				     .datamatch = 0xffff };
	assert_int_equal(vhv_ioevt_check_args(&a, 40), 0);
	a.flags |= VHV_IOEVENTFD_DEASSIGN;
	assert_int_equal(vhv_ioevt_check_args(&a, 40), 0);
}

static void test_args_bad(void **state)
{
	struct vhv_ioeventfd a;
	int i;

	(void)state;
#define BAD(mutation)							\
	do {								\
		a = good();						\
		mutation;						\
		assert_int_equal(vhv_ioevt_check_args(&a, 40), -EINVAL); \
	} while (0)
	BAD(a.flags = 1u << 3);
	BAD(a.flags = 1u << 31);
	BAD(a.pad = 1);
	for (i = 0; i < 2; i++)
		BAD(a.reserved[i] = 1);
	BAD(a.len = 0);
	BAD(a.len = 3);
	BAD(a.len = 16);
	BAD(a.len = ~0u);
	BAD((a.flags = PIO, a.addr = 0x10, a.len = 8));
	BAD((a.flags = PIO, a.addr = 0xffff, a.len = 2));
	BAD((a.flags = PIO, a.addr = 0x10000, a.len = 1));
	BAD((a.flags = PIO, a.addr = ~0ull, a.len = 1));
	BAD(a.addr = (1ull << 40) - 2);
	BAD(a.addr = ~0ull - 1);		/* wraps */
	BAD(a.datamatch = 1);			/* without DATAMATCH */
	BAD((a.flags = DM, a.datamatch = 1ull << 32));
	BAD((a.flags = DM, a.len = 1, a.datamatch = 0x100));
	BAD((a.flags = DM, a.len = 2, a.datamatch = 0x10000));
#undef BAD
}

static struct vhv_ioevt ev(u64 addr, u32 len, u32 flags, u64 dm, uintptr_t fd)
{
	return (struct vhv_ioevt) { .addr = addr, .len = len, .flags = flags,
				    .datamatch = dm, .eventfd = (void *)fd };
}

/* A heap table holding t plus room for one more. */
static struct vhv_ioevt_table *add(struct vhv_ioevt_table *t, const struct vhv_ioevt *e)
{
	struct vhv_ioevt_table *n = malloc(vhv_ioevt_table_size((t ? t->nr : 0) + 1));

	assert_non_null(n);
	vhv_ioevt_build(n, t, e, -1);
	free(t);
	return n;
}

static struct vhv_ioevt_table *del(struct vhv_ioevt_table *t, int idx)
{
	struct vhv_ioevt_table *n = malloc(vhv_ioevt_table_size(t->nr));

	assert_non_null(n);
	vhv_ioevt_build(n, t, NULL, idx);
	free(t);
	return n;
}

static void test_overlap_rule(void **state)
{
	struct vhv_ioevt_table *t = NULL;
	struct vhv_ioevt e;

	(void)state;
	e = ev(0x1000, 4, 0, 0, 1);
	assert_int_equal(vhv_ioevt_conflict(t, &e), 0);
	t = add(t, &e);
	/* Same range, overlapping ranges, a range inside: all refused. */
	e = ev(0x1000, 4, 0, 0, 2);
	assert_int_equal(vhv_ioevt_conflict(t, &e), -EEXIST);
	e = ev(0x1002, 4, 0, 0, 2);
	assert_int_equal(vhv_ioevt_conflict(t, &e), -EEXIST);
	e = ev(0x0ffd, 4, 0, 0, 2);
	assert_int_equal(vhv_ioevt_conflict(t, &e), -EEXIST);
	e = ev(0x1001, 1, 0, 0, 2);
	assert_int_equal(vhv_ioevt_conflict(t, &e), -EEXIST);
	e = ev(0x1000, 4, DM, 5, 2);	/* DATAMATCH beside a catch-all */
	assert_int_equal(vhv_ioevt_conflict(t, &e), -EEXIST);
	/* Adjacent on both sides: fine. */
	e = ev(0x0ffc, 4, 0, 0, 2);
	assert_int_equal(vhv_ioevt_conflict(t, &e), 0);
	e = ev(0x1004, 8, 0, 0, 2);
	assert_int_equal(vhv_ioevt_conflict(t, &e), 0);

	/* One register, one eventfd per value. */
	e = ev(0x2000, 2, DM, 0, 3);
	t = add(t, &e);
	e = ev(0x2000, 2, DM, 1, 4);
	assert_int_equal(vhv_ioevt_conflict(t, &e), 0);
	t = add(t, &e);
	e = ev(0x2000, 2, DM, 1, 5);	/* the same value twice */
	assert_int_equal(vhv_ioevt_conflict(t, &e), -EEXIST);
	e = ev(0x2000, 4, DM, 2, 5);	/* another length */
	assert_int_equal(vhv_ioevt_conflict(t, &e), -EEXIST);
	e = ev(0x2000, 2, 0, 0, 5);	/* a catch-all */
	assert_int_equal(vhv_ioevt_conflict(t, &e), -EEXIST);
	e = ev(0x2001, 1, DM, 7, 5);	/* inside, another address */
	assert_int_equal(vhv_ioevt_conflict(t, &e), -EEXIST);
	/* Near the top of the space: no wrap in the arithmetic. */
	e = ev(~0ull - 8, 8, 0, 0, 6);
	assert_int_equal(vhv_ioevt_conflict(t, &e), 0);
	free(t);
}

static void test_find_and_remove(void **state)
{
	struct vhv_ioevt_table *t = NULL;
	struct vhv_ioevt e[3] = {
		ev(0x30, 1, DM, 9, 1), ev(0x10, 2, 0, 0, 2), ev(0x30, 1, DM, 3, 3),
	};
	struct vhv_ioevt k;
	int i;

	(void)state;
	for (i = 0; i < 3; i++)
		t = add(t, &e[i]);
	assert_int_equal(t->nr, 3);
	/* Sorted by address, then value. */
	assert_int_equal(t->e[0].addr, 0x10);
	assert_int_equal(t->e[1].datamatch, 3);
	assert_int_equal(t->e[2].datamatch, 9);
	assert_int_equal(vhv_ioevt_find(t, &e[0]), 2);
	/* Every field must agree: fd, value, flag, length. */
	k = e[0];
	k.eventfd = (void *)7;
	assert_int_equal(vhv_ioevt_find(t, &k), -ENOENT);
	k = e[0];
	k.datamatch = 8;
	assert_int_equal(vhv_ioevt_find(t, &k), -ENOENT);
	k = e[1];
	k.flags = DM;
	assert_int_equal(vhv_ioevt_find(t, &k), -ENOENT);
	k = e[1];
	k.len = 1;
	assert_int_equal(vhv_ioevt_find(t, &k), -ENOENT);
	assert_int_equal(vhv_ioevt_find(NULL, &k), -ENOENT);
	t = del(t, vhv_ioevt_find(t, &e[2]));
	assert_int_equal(t->nr, 2);
	assert_int_equal(vhv_ioevt_find(t, &e[2]), -ENOENT);
	assert_int_equal(vhv_ioevt_find(t, &e[0]), 1);
	t = del(t, 0);
	t = del(t, 0);
	assert_int_equal(t->nr, 0);
	assert_null(vhv_ioevt_match(t, 0x30, 1, 9));
	free(t);
}

static void test_match(void **state)
{
	struct vhv_ioevt_table *t = NULL;
	struct vhv_ioevt e;

	(void)state;
	assert_null(vhv_ioevt_match(NULL, 0x10, 1, 0));
	e = ev(0x10, 2, 0, 0, 1);
	t = add(t, &e);
	e = ev(0x20, 4, DM, 0x1234, 2);
	t = add(t, &e);
	e = ev(0x20, 4, DM, 0, 3);
	t = add(t, &e);
	e = ev(0x28, 8, DM, ~0ull, 4);
	t = add(t, &e);

	assert_ptr_equal(vhv_ioevt_match(t, 0x10, 2, 0xabcd)->eventfd, (void *)1);
	assert_null(vhv_ioevt_match(t, 0x10, 1, 0));	/* wrong length */
	assert_null(vhv_ioevt_match(t, 0x10, 4, 0));
	assert_null(vhv_ioevt_match(t, 0x11, 1, 0));	/* inside, not at */
	assert_null(vhv_ioevt_match(t, 0x0f, 2, 0));
	assert_ptr_equal(vhv_ioevt_match(t, 0x20, 4, 0x1234)->eventfd, (void *)2);
	assert_ptr_equal(vhv_ioevt_match(t, 0x20, 4, 0)->eventfd, (void *)3);
	/* Bytes above the access's length are not the guest's value. */
	assert_ptr_equal(vhv_ioevt_match(t, 0x20, 4, 0xffffffff00001234ull)->eventfd,
			 (void *)2);
	assert_null(vhv_ioevt_match(t, 0x20, 4, 0x1235));	/* a miss */
	assert_null(vhv_ioevt_match(t, 0x20, 2, 0x1234));
	assert_ptr_equal(vhv_ioevt_match(t, 0x28, 8, ~0ull)->eventfd, (void *)4);
	assert_null(vhv_ioevt_match(t, 0x28, 8, 0));
	assert_null(vhv_ioevt_match(t, 0x30, 8, ~0ull));
	free(t);
}

/* The same lookup done the slow way. */
static const struct vhv_ioevt *ref_match(const struct vhv_ioevt_table *t, u64 addr,
					 u32 len, u64 val)
{
	u32 i;

	if (len < 8)
		val &= (1ull << (8 * len)) - 1;
	for (i = 0; i < t->nr; i++) {
		const struct vhv_ioevt *e = &t->e[i];

		if (e->addr == addr && e->len == len &&
		    (!(e->flags & DM) || e->datamatch == val))
			return e;
	}
	return NULL;
}

static u64 rnd(u64 *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

/* Random registrations and removals in a small space; lookups agree. */
static void test_random_against_reference(void **state)
{
	static const u32 lens[] = { 1, 2, 4, 8 };
	struct vhv_ioevt_table *t = NULL;
	u64 seed = 42;
	unsigned int round, added = 0, refused = 0;

	(void)state;
	for (round = 0; round < 20000; round++) {
		struct vhv_ioevt e;
		u32 len = lens[rnd(&seed) % 4];
		u64 addr = rnd(&seed) % 128, val = rnd(&seed) % 4;
		int idx;

		if (t && t->nr && rnd(&seed) % 3 == 0) {
			idx = rnd(&seed) % t->nr;
			e = t->e[idx];
			assert_int_equal(vhv_ioevt_find(t, &e), idx);
			t = del(t, idx);
		} else {
			bool dm = rnd(&seed) % 2;

			e = ev(addr, len, dm ? DM : 0, dm ? val : 0, round + 1);
			if (vhv_ioevt_conflict(t, &e)) {
				refused++;
			} else {
				t = add(t, &e);
				added++;
			}
		}
		/* Sorted, and no two entries overlap unless they may share. */
		for (u32 i = 0; t && i + 1 < t->nr; i++) {
			const struct vhv_ioevt *a = &t->e[i], *b = &t->e[i + 1];

			assert_true(a->addr < b->addr ||
				    (a->addr == b->addr && a->datamatch < b->datamatch));
			if (a->addr + a->len > b->addr)
				assert_true(a->addr == b->addr && a->len == b->len &&
					    (a->flags & b->flags & DM));
		}
		for (int q = 0; t && q < 8; q++) {
			u64 qa = rnd(&seed) % 136, qv = rnd(&seed) % 5;
			u32 ql = lens[rnd(&seed) % 4];

			assert_ptr_equal(vhv_ioevt_match(t, qa, ql, qv),
					 ref_match(t, qa, ql, qv));
		}
	}
	assert_true(added > 1000 && refused > 1000);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_args_good),
		cmocka_unit_test(test_args_bad),
		cmocka_unit_test(test_overlap_rule),
		cmocka_unit_test(test_find_and_remove),
		cmocka_unit_test(test_match),
		cmocka_unit_test(test_random_against_reference),
	};

	return cmocka_run_group_tests_name("ioeventfd_table", tests, NULL, NULL);
}
