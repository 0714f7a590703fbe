// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/haltpoll.c: when a halted vCPU's polling window
 * stays, grows (from 0 to the start value, then doubling, capped at the
 * maximum) and drops to 0, and that a maximum of 0 keeps polling off.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kmod/haltpoll.h"

#define MAX	VHV_HALTPOLL_MAX_NS_DEFAULT
#define START	VHV_HALTPOLL_GROW_START_NS

static void test_window_cut_to_max(void **state)
{
	(void)state;
	assert_int_equal(vhv_haltpoll_window(0, MAX), 0);
	assert_int_equal(vhv_haltpoll_window(40000, MAX), 40000);
	assert_int_equal(vhv_haltpoll_window(MAX, MAX), MAX);
	/* The parameter lowered, or set to 0, after the window grew. */
	assert_int_equal(vhv_haltpoll_window(160000, 50000), 50000);
	assert_int_equal(vhv_haltpoll_window(160000, 0), 0);
}

static void test_covered_keeps(void **state)
{
	(void)state;
	/* Shorter than the window, or exactly as long: nothing to learn. */
	assert_int_equal(vhv_haltpoll_next(40000, 1, false, MAX), 40000);
	assert_int_equal(vhv_haltpoll_next(40000, 39999, false, MAX), 40000);
	assert_int_equal(vhv_haltpoll_next(40000, 40000, false, MAX), 40000);
	assert_int_equal(vhv_haltpoll_next(MAX, 150000, false, MAX), MAX);
	/* Not polling and woken at once (the interrupt was already there). */
	assert_int_equal(vhv_haltpoll_next(0, 0, false, MAX), 0);
}

static void test_polled_keeps(void **state)
{
	(void)state;
	/* The poll found the wakeup; the clock, read after it, ran past. */
	assert_int_equal(vhv_haltpoll_next(START, START + 500, true, MAX), START);
	assert_int_equal(vhv_haltpoll_next(80000, 80001, true, MAX), 80000);
	assert_int_equal(vhv_haltpoll_next(80000, 5000, true, MAX), 80000);
	/* Even a clock that jumped past max does not undo a success. */
	assert_int_equal(vhv_haltpoll_next(80000, 10 * (uint64_t)MAX, true, MAX), 80000);
}

static void test_grow_from_zero(void **state)
{
	(void)state;
	/* Any halt within max starts polling, at the start value. */
	assert_int_equal(vhv_haltpoll_next(0, 1, false, MAX), START);
	assert_int_equal(vhv_haltpoll_next(0, 5000, false, MAX), START);
	assert_int_equal(vhv_haltpoll_next(0, 150000, false, MAX), START);
	assert_int_equal(vhv_haltpoll_next(0, MAX, false, MAX), START);
}

static void test_grow_doubles(void **state)
{
	(void)state;
	assert_int_equal(vhv_haltpoll_next(START, START + 1, false, MAX), 2 * START);
	assert_int_equal(vhv_haltpoll_next(20000, 30000, false, MAX), 40000);
	assert_int_equal(vhv_haltpoll_next(40000, 190000, false, MAX), 80000);
	/* Below the start value (a max lowered, then raised): the start value. */
	assert_int_equal(vhv_haltpoll_next(3000, 4000, false, MAX), START);
}

static void test_grow_capped(void **state)
{
	(void)state;
	assert_int_equal(vhv_haltpoll_next(160000, 170000, false, MAX), MAX);
	assert_int_equal(vhv_haltpoll_next(120000, MAX, false, MAX), MAX);
	/* A max below the start value: the first window is max itself. */
	assert_int_equal(vhv_haltpoll_next(0, 3000, false, 4000), 4000);
	assert_int_equal(vhv_haltpoll_next(4000, 4000, false, 4000), 4000);
	/* Doubling a large window must not wrap in 32 bits. */
	assert_int_equal(vhv_haltpoll_next(3000000000u, 3500000000ull, false, UINT32_MAX),
			 UINT32_MAX);
	assert_int_equal(vhv_haltpoll_next(UINT32_MAX - 1, UINT32_MAX, false, UINT32_MAX),
			 UINT32_MAX);
}

static void test_shrink_to_zero(void **state)
{
	(void)state;
	/* Longer than max: no window could have caught it. */
	assert_int_equal(vhv_haltpoll_next(START, MAX + 1, false, MAX), 0);
	assert_int_equal(vhv_haltpoll_next(MAX, MAX + 1, false, MAX), 0);
	assert_int_equal(vhv_haltpoll_next(80000, 1000000000ull, false, MAX), 0);
	assert_int_equal(vhv_haltpoll_next(0, 1000000000ull, false, MAX), 0);
	/* Against the max read after the halt, lowered meanwhile. */
	assert_int_equal(vhv_haltpoll_next(80000, 60000, false, 50000), 0);
}

static void test_max_lowered(void **state)
{
	(void)state;
	/* The window is cut to the new max before anything else. */
	assert_int_equal(vhv_haltpoll_next(160000, 30000, false, 50000), 50000);
	assert_int_equal(vhv_haltpoll_next(160000, 30000, true, 50000), 50000);
	assert_int_equal(vhv_haltpoll_next(160000, 50000, false, 50000), 50000);
}

static void test_max_zero_off(void **state)
{
	(void)state;
	/* Polling off: the window is and stays 0, whatever happened. */
	assert_int_equal(vhv_haltpoll_next(0, 0, false, 0), 0);
	assert_int_equal(vhv_haltpoll_next(0, 1, false, 0), 0);
	assert_int_equal(vhv_haltpoll_next(0, 5000, false, 0), 0);
	assert_int_equal(vhv_haltpoll_next(0, 1000000000ull, false, 0), 0);
	/* Turned off after the window grew. */
	assert_int_equal(vhv_haltpoll_next(80000, 5000, false, 0), 0);
	assert_int_equal(vhv_haltpoll_next(80000, 5000, true, 0), 0);
	assert_int_equal(vhv_haltpoll_next(80000, 1000000, false, 0), 0);
}

/*
 * A vCPU whose halts each last halt_ns, polling as the module does: the
 * wakeup is seen by polling when the window covers it.  The window the
 * model settles on after rounds halts.
 */
static uint32_t settle(uint64_t halt_ns, uint32_t max, unsigned int rounds, uint32_t *polls)
{
	uint32_t w = 0;

	*polls = 0;
	while (rounds--) {
		uint32_t win = vhv_haltpoll_window(w, max);
		bool polled = win && halt_ns <= win;

		/* A failed poll spins its whole window, then sleeps. */
		*polls += polled;
		w = vhv_haltpoll_next(w, halt_ns, polled, max);
	}
	return w;
}

static void test_steady_states(void **state)
{
	uint32_t polls;

	(void)state;
	/* 60 us halts: 10, 20, 40, 80 us, then every halt ends by polling. */
	assert_int_equal(settle(60000, MAX, 4, &polls), 80000);
	assert_int_equal(polls, 0);
	assert_int_equal(settle(60000, MAX, 100, &polls), 80000);
	assert_int_equal(polls, 96);
	/* Halts longer than max: never polls. */
	assert_int_equal(settle(MAX + 1, MAX, 100, &polls), 0);
	assert_int_equal(polls, 0);
	/* Halts of max exactly: the window reaches max and covers them. */
	assert_int_equal(settle(MAX, MAX, 100, &polls), MAX);
	assert_int_equal(polls, 100 - 6);
	/* Polling off. */
	assert_int_equal(settle(5000, 0, 100, &polls), 0);
	assert_int_equal(polls, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_window_cut_to_max),
		cmocka_unit_test(test_covered_keeps),
		cmocka_unit_test(test_polled_keeps),
		cmocka_unit_test(test_grow_from_zero),
		cmocka_unit_test(test_grow_doubles),
		cmocka_unit_test(test_grow_capped),
		cmocka_unit_test(test_shrink_to_zero),
		cmocka_unit_test(test_max_lowered),
		cmocka_unit_test(test_max_zero_off),
		cmocka_unit_test(test_steady_states),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
