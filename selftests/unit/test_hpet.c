// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/irq/hpet.c: reset values, the main counter against
 * time (stop, resume, writes), one-shot and periodic comparators with the
 * accumulator and its catch-up, 32-bit mode wrap, level status and its
 * clearing, legacy replacement routing, what the registers refuse, access
 * sizes, the periodic floor, save/restore, and a fixed-seed hostile guest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kmod/irq/hpet.h"

#define US		1000ull
#define MS		1000000ull
#define SEC		1000000000ull
#define DAY		(86400 * SEC)
#define T0		(3 * DAY + 12345)	/* an uptime, not 0 */

#define CAP		VHV_HPET_REG_CAP
#define CFG		VHV_HPET_REG_CONFIG
#define ISR		VHV_HPET_REG_ISR
#define CNT		VHV_HPET_REG_COUNTER
#define TCFG(n)		VHV_HPET_REG_TN_CONFIG(n)
#define TCMP(n)		VHV_HPET_REG_TN_CMP(n)
#define TFSB(n)		VHV_HPET_REG_TN_FSB(n)

#define ENABLE		VHV_HPET_CFG_ENABLE
#define LEGACY		VHV_HPET_CFG_LEGACY
#define LEVEL		VHV_HPET_TN_LEVEL
#define INT_ENB		VHV_HPET_TN_ENABLE
#define PERIODIC	VHV_HPET_TN_PERIODIC
#define VAL_SET		VHV_HPET_TN_VAL_SET
#define MODE32		VHV_HPET_TN_32BIT
#define ROUTE(p)	((u64)(p) << VHV_HPET_TN_ROUTE_SHIFT)
#define ROUTE_CAP	((u64)0x00f00000 << 32)
#define FLOOR		(100 * US)

static u64 rd(struct vhv_hpet *h, u32 off, u64 t)
{
	return vhv_hpet_read(h, off, 8, t);
}

static u32 rd32(struct vhv_hpet *h, u32 off, u64 t)
{
	return (u32)vhv_hpet_read(h, off, 4, t);
}

static void wr(struct vhv_hpet *h, u32 off, u64 v, u64 t)
{
	vhv_hpet_write(h, off, 8, v, t);
}

static void wr32(struct vhv_hpet *h, u32 off, u32 v, u64 t)
{
	vhv_hpet_write(h, off, 4, v, t);
}

static u64 next(struct vhv_hpet *h, u64 t)
{
	u64 when = 0;

	assert_true(vhv_hpet_next(h, t, FLOOR, &when));
	return when;
}

static void assert_no_next(struct vhv_hpet *h, u64 t)
{
	u64 when;

	assert_false(vhv_hpet_next(h, t, FLOOR, &when));
}

/* Updates to t and returns the GSIs pulsed. */
static u32 pulses_at(struct vhv_hpet *h, u64 t)
{
	vhv_hpet_update(h, t);
	return vhv_hpet_take_pulses(h);
}

static void fresh(struct vhv_hpet *h)
{
	memset(h, 0xa5, sizeof(*h));	/* reset must not depend on the old contents */
	vhv_hpet_reset(h);
}

static void test_reset_values(void **state)
{
	struct vhv_hpet h;
	unsigned int n;

	(void)state;
	fresh(&h);
	/* Rev 1, 3 timers (NUM_TIM_CAP 2), 64-bit, legacy capable, 8086, 10 ns. */
	assert_int_equal(rd(&h, CAP, T0), 0x00989680ull << 32 | 0x8086a201);
	assert_int_equal(rd32(&h, CAP, T0), 0x8086a201);
	assert_int_equal(rd32(&h, CAP + 4, T0), 10000000);
	assert_int_equal(rd32(&h, CAP, T0) & 0xff, 1);
	assert_int_equal((rd32(&h, CAP, T0) >> 8) & 0x1f, VHV_HPET_TIMERS - 1);
	assert_int_equal(rd(&h, CFG, T0), 0);
	assert_int_equal(rd(&h, ISR, T0), 0);
	assert_int_equal(rd(&h, CNT, T0), 0);
	assert_int_equal(rd(&h, CNT, T0 + SEC), 0);	/* stopped */
	for (n = 0; n < VHV_HPET_TIMERS; n++) {
		u64 caps = ROUTE_CAP | VHV_HPET_TN_SIZE_CAP | (n < 2 ? VHV_HPET_TN_PER_CAP : 0);

		assert_int_equal(rd(&h, TCFG(n), T0), caps);
		assert_int_equal(rd32(&h, TCFG(n) + 4, T0), 0x00f00000);
		assert_int_equal(rd(&h, TCMP(n), T0), ~0ull);
		assert_int_equal(rd(&h, TFSB(n), T0), 0);
	}
	assert_int_equal(vhv_hpet_lines(&h), 0);
	assert_int_equal(vhv_hpet_take_pulses(&h), 0);
	assert_false(vhv_hpet_legacy(&h));
	assert_no_next(&h, T0);
	/* Offsets without a register. */
	assert_int_equal(rd(&h, 0x008, T0), 0);
	assert_int_equal(rd(&h, 0x0e8, T0), 0);
	assert_int_equal(rd(&h, 0x160, T0), 0);
	assert_int_equal(rd(&h, 0x3f8, T0), 0);
	assert_int_equal(rd(&h, 0x400, T0), 0);
}

/* 100 MHz on the caller's clock; stops where it is, resumes from there. */
static void test_counter_rate(void **state)
{
	struct vhv_hpet h;
	u64 c;

	(void)state;
	fresh(&h);
	wr(&h, CFG, ENABLE, T0);
	assert_int_equal(rd(&h, CNT, T0), 0);
	assert_int_equal(rd(&h, CNT, T0 + 9), 0);
	assert_int_equal(rd(&h, CNT, T0 + 10), 1);
	assert_int_equal(rd(&h, CNT, T0 + SEC), 100000000);
	assert_int_equal(rd(&h, CNT, T0 + 123456789), 12345678);
	/* A year of it: no drift, no overflow in the conversion. */
	assert_int_equal(rd(&h, CNT, T0 + 365 * DAY), 365 * 86400 * 100000000ull);
	assert_int_equal(rd32(&h, CNT, T0 + 365 * DAY), (u32)(365 * 86400 * 100000000ull));
	assert_int_equal(rd32(&h, CNT + 4, T0 + 365 * DAY), (365 * 86400 * 100000000ull) >> 32);

	fresh(&h);
	wr(&h, CFG, ENABLE, T0);
	wr(&h, CFG, 0, T0 + 2 * SEC);			/* stop at 2e8 */
	assert_int_equal(rd(&h, CNT, T0 + 5 * SEC), 200000000);
	wr(&h, CFG, ENABLE, T0 + 7 * SEC);		/* resume from 2e8 */
	assert_int_equal(rd(&h, CNT, T0 + 7 * SEC), 200000000);
	assert_int_equal(rd(&h, CNT, T0 + 8 * SEC), 300000000);
	/* Written while stopped; the halves separately. */
	wr(&h, CFG, 0, T0 + 8 * SEC);
	wr32(&h, CNT + 4, 0x12345678, T0 + 9 * SEC);
	wr32(&h, CNT, 0x9abcdef0, T0 + 9 * SEC);
	assert_int_equal(rd(&h, CNT, T0 + 10 * SEC), 0x123456789abcdef0ull);
	wr(&h, CFG, ENABLE, T0 + 10 * SEC);
	c = rd(&h, CNT, T0 + 10 * SEC + 1000);
	assert_int_equal(c, 0x123456789abcdef0ull + 100);
	/* Written while running: counts on from the value written. */
	wr(&h, CNT, 5, T0 + 11 * SEC);
	assert_int_equal(rd(&h, CNT, T0 + 11 * SEC + 100), 15);
	/* Wraps at 2^64. */
	wr(&h, CNT, ~0ull - 1, T0 + 12 * SEC);
	assert_int_equal(rd(&h, CNT, T0 + 12 * SEC + 30), 1);
}

/* Edge one-shot through pin 20: one pulse when the counter steps onto it. */
static void test_oneshot_match(void **state)
{
	struct vhv_hpet h;

	(void)state;
	fresh(&h);
	wr(&h, TCFG(0), INT_ENB | ROUTE(20), T0);
	wr(&h, TCMP(0), 1000, T0);
	assert_no_next(&h, T0);				/* stopped: nothing comes */
	wr(&h, CFG, ENABLE, T0);
	assert_int_equal(next(&h, T0), T0 + 10000);
	assert_int_equal(pulses_at(&h, T0 + 9999), 0);
	assert_int_equal(pulses_at(&h, T0 + 10000), 1u << 20);
	assert_int_equal(pulses_at(&h, T0 + 20000), 0);
	assert_int_equal(rd(&h, ISR, T0 + 20000), 0);	/* edge: no status */
	assert_int_equal(rd(&h, TCMP(0), T0 + 20000), 1000);
	assert_no_next(&h, T0 + 20000);			/* 64-bit: never again */
	assert_int_equal(vhv_hpet_lines(&h), 0);

	/* A match passed while the caller was late is still taken, once. */
	wr(&h, TCMP(0), 5000, T0 + 20000);
	assert_int_equal(next(&h, T0 + 20000), T0 + 50000);
	assert_int_equal(pulses_at(&h, T0 + SEC), 1u << 20);
	/* A comparator behind the counter: no match (it would take a wrap). */
	wr(&h, TCMP(0), 10, T0 + SEC);
	assert_no_next(&h, T0 + SEC);
	assert_int_equal(pulses_at(&h, T0 + 2 * SEC), 0);
	/* Interrupt disabled: the comparator still matches, nothing is pulsed. */
	wr(&h, TCFG(0), ROUTE(20), T0 + 2 * SEC);
	wr(&h, TCMP(0), rd(&h, CNT, T0 + 2 * SEC) + 10, T0 + 2 * SEC);
	assert_no_next(&h, T0 + 2 * SEC);
	assert_int_equal(pulses_at(&h, T0 + 3 * SEC), 0);
	/* Stopping the counter stops matches. */
	wr(&h, TCFG(0), INT_ENB | ROUTE(21), T0 + 3 * SEC);
	wr(&h, TCMP(0), rd(&h, CNT, T0 + 3 * SEC) + 100, T0 + 3 * SEC);
	wr(&h, CFG, 0, T0 + 3 * SEC + 500);
	assert_int_equal(pulses_at(&h, T0 + 4 * SEC), 0);
	wr(&h, CFG, ENABLE, T0 + 5 * SEC);
	assert_int_equal(next(&h, T0 + 5 * SEC), T0 + 5 * SEC + 500);
	assert_int_equal(pulses_at(&h, T0 + 5 * SEC + 500), 1u << 21);
}

/* Linux's periodic set-up: VAL_SET, then the comparator, then the period. */
static void test_periodic(void **state)
{
	struct vhv_hpet h;
	u64 t = T0, now, cmp;
	const u32 delta = 100000;		/* 1 ms */

	(void)state;
	fresh(&h);
	wr(&h, CFG, ENABLE, t);
	wr32(&h, CFG, 0, t);			/* hpet_stop_counter() */
	now = rd32(&h, CNT, t);
	wr32(&h, TCFG(0), INT_ENB | PERIODIC | VAL_SET | MODE32 | ROUTE(22), t);
	assert_true(rd(&h, TCFG(0), t) & VAL_SET);
	wr32(&h, TCMP(0), now + delta, t);
	assert_false(rd(&h, TCFG(0), t) & VAL_SET);	/* cleared by the write */
	wr32(&h, TCMP(0), delta, t);		/* the period only */
	assert_int_equal(rd(&h, TCMP(0), t), now + delta);
	wr32(&h, CFG, ENABLE, t + 5 * MS);	/* hpet_start_counter() */
	t += 5 * MS;
	assert_int_equal(next(&h, t), t + MS);
	assert_int_equal(pulses_at(&h, t + MS - 1), 0);
	assert_int_equal(pulses_at(&h, t + MS), 1u << 22);
	assert_int_equal(rd(&h, TCMP(0), t + MS), now + 2 * delta);	/* the accumulator */
	assert_int_equal(next(&h, t + MS), t + 2 * MS);
	assert_int_equal(pulses_at(&h, t + 2 * MS + 500), 1u << 22);
	assert_int_equal(rd(&h, TCMP(0), t + 2 * MS + 500), now + 3 * delta);
	/* 7.5 periods late: one interrupt, the comparator past the counter. */
	assert_int_equal(pulses_at(&h, t + 10 * MS + 500 * US), 1u << 22);
	cmp = rd(&h, TCMP(0), t + 10 * MS + 500 * US);
	assert_int_equal(cmp, now + 11 * delta);
	assert_int_equal(next(&h, t + 10 * MS + 500 * US), t + 11 * MS);
	/* A new period applies from the next match on. */
	wr32(&h, TCMP(0), 2 * delta, t + 10 * MS + 600 * US);
	assert_int_equal(rd(&h, TCMP(0), t + 10 * MS + 600 * US), cmp);
	assert_int_equal(pulses_at(&h, t + 11 * MS), 1u << 22);
	assert_int_equal(rd(&h, TCMP(0), t + 11 * MS), now + 13 * delta);
	/* Period 0: the comparator stays; it matches again at the 32-bit wrap. */
	wr32(&h, TCMP(0), 0, t + 11 * MS);
	assert_int_equal(pulses_at(&h, t + 13 * MS), 1u << 22);
	assert_int_equal(rd(&h, TCMP(0), t + 13 * MS), now + 13 * delta);
	assert_int_equal(next(&h, t + 13 * MS), t + 13 * MS + 42949672960ull);
	/* Back to one-shot: the period is kept but not added. */
	wr32(&h, TCFG(0), INT_ENB | MODE32 | ROUTE(22), t + 14 * MS);
	wr32(&h, TCMP(0), rd32(&h, CNT, t + 14 * MS) + 100, t + 14 * MS);
	assert_int_equal(pulses_at(&h, t + 15 * MS), 1u << 22);
	assert_int_equal(rd32(&h, TCMP(0), t + 15 * MS), 14 * delta + 100);
}

/* 64-bit periodic with VAL_SET over two dword writes: the high one completes it. */
static void test_periodic_64(void **state)
{
	struct vhv_hpet h;

	(void)state;
	fresh(&h);
	wr(&h, TCFG(1), INT_ENB | PERIODIC | VAL_SET | ROUTE(23), T0);
	wr32(&h, TCMP(1), 1000, T0);
	assert_true(rd(&h, TCFG(1), T0) & VAL_SET);
	wr32(&h, TCMP(1) + 4, 0, T0);
	assert_false(rd(&h, TCFG(1), T0) & VAL_SET);
	assert_int_equal(rd(&h, TCMP(1), T0), 1000);
	wr(&h, TCMP(1), 100000, T0);			/* period 1 ms */
	assert_int_equal(rd(&h, TCMP(1), T0), 1000);
	wr(&h, CFG, ENABLE, T0);
	assert_int_equal(next(&h, T0), T0 + 10 * US);
	assert_int_equal(pulses_at(&h, T0 + 10 * US), 1u << 23);
	assert_int_equal(rd(&h, TCMP(1), T0 + 10 * US), 101000);
	/* 8-byte write with VAL_SET: comparator and period at once. */
	wr(&h, TCFG(1), INT_ENB | PERIODIC | VAL_SET | ROUTE(23), T0 + 10 * US);
	wr(&h, TCMP(1), 1ull << 40, T0 + 10 * US);
	assert_int_equal(rd(&h, TCMP(1), T0 + 10 * US), 1ull << 40);
	assert_false(rd(&h, TCFG(1), T0 + 10 * US) & VAL_SET);
	assert_int_equal(pulses_at(&h, T0 + 20 * US), 0);
	/* 2^40 ticks is 10995 s away. */
	assert_int_equal(next(&h, T0 + 20 * US), T0 + 10995116277760ull);
	/* Far beyond what the model hands out: never. */
	wr(&h, TCFG(1), INT_ENB | PERIODIC | VAL_SET | ROUTE(23), T0 + 30 * US);
	wr(&h, TCMP(1), 1ull << 62, T0 + 30 * US);
	assert_int_equal(rd(&h, TCMP(1), T0 + 30 * US), 1ull << 62);
	assert_no_next(&h, T0 + 30 * US);
}

/* A 32-bit timer compares the low 32 bits: it wraps with them. */
static void test_32bit_wrap(void **state)
{
	struct vhv_hpet h;

	(void)state;
	fresh(&h);
	wr(&h, TCFG(2), INT_ENB | MODE32 | ROUTE(20), T0);
	assert_int_equal(rd(&h, TCMP(2), T0), 0xffffffffull);	/* truncated */
	wr(&h, TCMP(2), 0x1234500000005ull, T0);		/* the low half only */
	assert_int_equal(rd(&h, TCMP(2), T0), 5);
	wr32(&h, TCMP(2) + 4, 7, T0);				/* ignored */
	assert_int_equal(rd(&h, TCMP(2), T0), 5);
	wr(&h, CNT, 0x3fffffff0ull, T0);
	wr(&h, CFG, ENABLE, T0);
	/* Counter 0x3_ffff_fff0 -> 0x4_0000_0005: 0x15 ticks. */
	assert_int_equal(next(&h, T0), T0 + 0x15 * 10);
	assert_int_equal(pulses_at(&h, T0 + 0x14 * 10), 0);
	assert_int_equal(pulses_at(&h, T0 + 0x15 * 10), 1u << 20);
	/* And again 2^32 ticks (42.9 s) later. */
	assert_int_equal(next(&h, T0 + SEC), T0 + 0x15 * 10 + 42949672960ull);
	assert_int_equal(pulses_at(&h, T0 + 0x15 * 10 + 42949672960ull), 1u << 20);
	/* Leaving 32-bit mode: the 64-bit comparator 5 is behind, never. */
	wr(&h, TCFG(2), INT_ENB | ROUTE(20), T0 + 50 * SEC);
	assert_no_next(&h, T0 + 50 * SEC);
	/* Periodic 32-bit: the accumulator wraps in 32 bits. */
	fresh(&h);
	wr(&h, TCFG(0), INT_ENB | PERIODIC | VAL_SET | MODE32 | ROUTE(21), T0);
	wr(&h, TCMP(0), 0xfffffff0, T0);
	wr(&h, TCMP(0), 0x20, T0);
	wr(&h, CNT, 0xffffffe0, T0);
	wr(&h, CFG, ENABLE, T0);
	assert_int_equal(pulses_at(&h, T0 + 0x10 * 10), 1u << 21);
	assert_int_equal(rd(&h, TCMP(0), T0 + 0x10 * 10), 0x10);
	/* 0x20 ticks is below the floor. */
	assert_int_equal(next(&h, T0 + 0x10 * 10), T0 + 0x10 * 10 + FLOOR);
}

/* Level: status on match, the line while status and enable hold, W1C. */
static void test_level_status(void **state)
{
	struct vhv_hpet h;

	(void)state;
	fresh(&h);
	wr(&h, CFG, ENABLE, T0);
	wr(&h, TCFG(2), LEVEL | INT_ENB | ROUTE(21), T0);
	wr(&h, TCMP(2), 100, T0);
	assert_int_equal(next(&h, T0), T0 + 1000);
	assert_int_equal(pulses_at(&h, T0 + 1000), 0);		/* level: no pulse */
	assert_int_equal(rd(&h, ISR, T0 + 1000), 1u << 2);
	assert_int_equal(vhv_hpet_lines(&h), 1u << 21);
	assert_no_next(&h, T0 + 1000);		/* status set: nothing more to raise */
	wr(&h, ISR, 0, T0 + 2000);			/* writing 0: no effect */
	assert_int_equal(rd(&h, ISR, T0 + 2000), 1u << 2);
	wr(&h, ISR, 1u << 0 | 1u << 1, T0 + 2000);	/* other bits: no effect */
	assert_int_equal(vhv_hpet_lines(&h), 1u << 21);
	/* Interrupt disabled: status stays, the line drops; enabled: back. */
	wr(&h, TCFG(2), LEVEL | ROUTE(21), T0 + 2000);
	assert_int_equal(vhv_hpet_lines(&h), 0);
	assert_int_equal(rd(&h, ISR, T0 + 2000), 1u << 2);
	wr(&h, TCFG(2), LEVEL | INT_ENB | ROUTE(21), T0 + 2000);
	assert_int_equal(vhv_hpet_lines(&h), 1u << 21);
	/* HPET disabled: no line; the status remains. */
	wr(&h, CFG, 0, T0 + 2000);
	assert_int_equal(vhv_hpet_lines(&h), 0);
	wr(&h, CFG, ENABLE, T0 + 2000);
	assert_int_equal(vhv_hpet_lines(&h), 1u << 21);
	wr32(&h, ISR, 1u << 2, T0 + 3000);		/* write 1 to clear */
	assert_int_equal(rd(&h, ISR, T0 + 3000), 0);
	assert_int_equal(vhv_hpet_lines(&h), 0);
	/* Disabled interrupt: the status is still set on a match (spec). */
	wr(&h, TCFG(2), LEVEL | ROUTE(21), T0 + 3000);
	wr(&h, TCMP(2), rd(&h, CNT, T0 + 3000) + 10, T0 + 3000);
	assert_int_equal(rd(&h, ISR, T0 + 4000), 1u << 2);
	assert_int_equal(vhv_hpet_lines(&h), 0);
	/* To edge: the status goes. */
	wr(&h, TCFG(2), ROUTE(21), T0 + 4000);
	assert_int_equal(rd(&h, ISR, T0 + 4000), 0);
	/* Two level timers on one pin: it stays up until both are cleared. */
	wr(&h, TCFG(0), LEVEL | INT_ENB | ROUTE(20), T0 + 4000);
	wr(&h, TCFG(1), LEVEL | INT_ENB | ROUTE(20), T0 + 4000);
	wr(&h, TCMP(0), rd(&h, CNT, T0 + 4000) + 10, T0 + 4000);
	wr(&h, TCMP(1), rd(&h, CNT, T0 + 4000) + 20, T0 + 4000);
	vhv_hpet_update(&h, T0 + 5000);
	assert_int_equal(rd(&h, ISR, T0 + 5000), 3);
	wr(&h, ISR, 1, T0 + 5000);
	assert_int_equal(vhv_hpet_lines(&h), 1u << 20);
	wr(&h, ISR, 2, T0 + 5000);
	assert_int_equal(vhv_hpet_lines(&h), 0);
}

/* LEG_RT_CNF with ENABLE_CNF: timer 0 to GSI 0, timer 1 to GSI 8. */
static void test_legacy_routing(void **state)
{
	struct vhv_hpet h;
	u64 t = T0 + 110 * US;

	(void)state;
	fresh(&h);
	wr(&h, CFG, LEGACY, T0);
	assert_false(vhv_hpet_legacy(&h));		/* not while stopped */
	assert_int_equal(rd(&h, CFG, T0), LEGACY);
	wr(&h, CFG, LEGACY | ENABLE, T0);
	assert_true(vhv_hpet_legacy(&h));
	/* Route fields left at 0 (nothing) or set: legacy decides for 0 and 1. */
	wr(&h, TCFG(0), INT_ENB | PERIODIC | VAL_SET, T0);
	wr(&h, TCMP(0), 1000, T0);
	wr(&h, TCMP(0), 10000, T0);			/* every 100 us */
	wr(&h, TCFG(1), INT_ENB | ROUTE(23), T0);
	wr(&h, TCMP(1), 1500, T0);
	wr(&h, TCFG(2), INT_ENB | ROUTE(22), T0);
	wr(&h, TCMP(2), 1500, T0);
	assert_int_equal(next(&h, T0), T0 + 10 * US);
	assert_int_equal(pulses_at(&h, T0 + 10 * US), 1u << 0);
	assert_int_equal(pulses_at(&h, T0 + 15 * US), 1u << 8 | 1u << 22);
	assert_int_equal(next(&h, T0 + 15 * US), t);
	assert_int_equal(pulses_at(&h, t), 1u << 0);
	/* Level timer 1 holds IRQ 8. */
	wr(&h, TCFG(1), LEVEL | INT_ENB | ROUTE(23), t);
	wr(&h, TCMP(1), rd(&h, CNT, t) + 5, t);
	vhv_hpet_update(&h, t + US);
	assert_int_equal(vhv_hpet_lines(&h), 1u << 8);
	/* Legacy off: the route fields apply again (timer 0 has none). */
	wr(&h, CFG, ENABLE, t + US);
	assert_false(vhv_hpet_legacy(&h));
	assert_int_equal(vhv_hpet_lines(&h), 1u << 23);
	assert_int_equal(pulses_at(&h, t + 200 * US), 0);	/* timer 0: routed nowhere */
	assert_int_equal(rd(&h, CFG, t + 200 * US), ENABLE);
	/* Legacy again, then the HPET stopped: no legacy routing. */
	wr(&h, CFG, ENABLE | LEGACY, t + 200 * US);
	assert_int_equal(vhv_hpet_lines(&h), 1u << 8);
	wr(&h, CFG, LEGACY, t + 200 * US);
	assert_false(vhv_hpet_legacy(&h));
	assert_int_equal(vhv_hpet_lines(&h), 0);
}

/* What the registers refuse, and access sizes. */
static void test_config_validation(void **state)
{
	struct vhv_hpet h;
	u64 caps0 = ROUTE_CAP | VHV_HPET_TN_SIZE_CAP | VHV_HPET_TN_PER_CAP;
	u64 caps2 = ROUTE_CAP | VHV_HPET_TN_SIZE_CAP;

	(void)state;
	fresh(&h);
	wr(&h, CAP, 0, T0);
	assert_int_equal(rd32(&h, CAP, T0), 0x8086a201);
	wr(&h, CFG, ~0ull, T0);
	assert_int_equal(rd(&h, CFG, T0), ENABLE | LEGACY);
	wr(&h, CFG, 0, T0);
	/* Read-only bits, FSB, reserved bits: ignored. */
	wr(&h, TCFG(0), ~0ull & ~ROUTE(0x1f), T0);
	assert_int_equal(rd(&h, TCFG(0), T0),
			 caps0 | LEVEL | INT_ENB | PERIODIC | VAL_SET | MODE32);
	wr(&h, TCFG(0), 0, T0);
	assert_int_equal(rd(&h, TCFG(0), T0), caps0);
	/* Timer 2 has no periodic mode. */
	wr(&h, TCFG(2), PERIODIC | VAL_SET | INT_ENB, T0);
	assert_int_equal(rd(&h, TCFG(2), T0), caps2 | INT_ENB);
	wr(&h, TCMP(2), 1234, T0);
	assert_int_equal(rd(&h, TCMP(2), T0), 1234);
	/* Routes: 20-23 only; another value is not taken. */
	wr(&h, TCFG(1), ROUTE(21), T0);
	assert_int_equal(rd(&h, TCFG(1), T0) & ROUTE(0x1f), ROUTE(21));
	wr(&h, TCFG(1), ROUTE(5), T0);
	assert_int_equal(rd(&h, TCFG(1), T0) & ROUTE(0x1f), ROUTE(21));
	wr(&h, TCFG(1), ROUTE(0), T0);
	assert_int_equal(rd(&h, TCFG(1), T0) & ROUTE(0x1f), ROUTE(21));
	wr(&h, TCFG(1), ROUTE(24), T0);
	assert_int_equal(rd(&h, TCFG(1), T0) & ROUTE(0x1f), ROUTE(21));
	wr(&h, TCFG(1), ROUTE(23) | INT_ENB, T0);
	assert_int_equal(rd(&h, TCFG(1), T0), caps0 | ROUTE(23) | INT_ENB);
	/* The high dword of Tn_CONF alone: the capability stays. */
	wr32(&h, TCFG(1) + 4, 0, T0);
	assert_int_equal(rd(&h, TCFG(1), T0), caps0 | ROUTE(23) | INT_ENB);
	wr(&h, TFSB(1), ~0ull, T0);
	assert_int_equal(rd(&h, TFSB(1), T0), 0);

	/* Sizes and alignment: 4 at 4, 8 at 8; the rest reads 0, writes nothing. */
	wr(&h, CNT, 0x1122334455667788ull, T0);
	assert_int_equal(vhv_hpet_read(&h, CNT, 1, T0), 0);
	assert_int_equal(vhv_hpet_read(&h, CNT, 2, T0), 0);
	assert_int_equal(vhv_hpet_read(&h, CNT + 2, 4, T0), 0);
	assert_int_equal(vhv_hpet_read(&h, CNT + 4, 8, T0), 0);
	assert_int_equal(vhv_hpet_read(&h, CNT + 4, 4, T0), 0x11223344);
	assert_int_equal(vhv_hpet_read(&h, VHV_HPET_SIZE - 4, 8, T0), 0);
	vhv_hpet_write(&h, CNT, 1, 0, T0);
	vhv_hpet_write(&h, CNT, 2, 0, T0);
	vhv_hpet_write(&h, CNT + 4, 8, 0, T0);
	vhv_hpet_write(&h, CNT + 1, 4, 0, T0);
	vhv_hpet_write(&h, CFG, 3, ENABLE, T0);
	vhv_hpet_write(&h, VHV_HPET_SIZE, 8, 0, T0);
	assert_int_equal(rd(&h, CNT, T0), 0x1122334455667788ull);
	assert_int_equal(rd(&h, CFG, T0), 0);
	/* A 4-byte write takes the low 32 bits of the value. */
	vhv_hpet_write(&h, CNT + 4, 4, 0xffffffffaabbccddull, T0);
	assert_int_equal(rd(&h, CNT, T0), 0xaabbccdd55667788ull);
}

/* A guest's 1-tick periodic timer: the host's timer fires every FLOOR at most. */
static void test_periodic_floor(void **state)
{
	struct vhv_hpet h;
	u64 t = T0, when = 0;
	unsigned int i;

	(void)state;
	fresh(&h);
	wr(&h, TCFG(0), INT_ENB | PERIODIC | VAL_SET | ROUTE(20), t);
	wr(&h, TCMP(0), 1, t);
	wr(&h, CFG, ENABLE, t);
	when = next(&h, t);
	assert_int_equal(when, t + FLOOR);
	for (i = 0; i < 100; i++) {
		t = when;
		assert_int_equal(pulses_at(&h, t), 1u << 20);	/* one for the lot */
		assert_int_equal(rd(&h, TCMP(0), t), rd(&h, CNT, t) + 1);
		when = next(&h, t);
		assert_int_equal(when, t + FLOOR);
	}
	/* Without a floor (0) the next match is the next tick. */
	assert_true(vhv_hpet_next(&h, t, 0, &when));
	assert_int_equal(when, t + 10);
	/* A period of 100 us exactly is not floored; the first match is exact. */
	wr(&h, TCFG(0), INT_ENB | PERIODIC | VAL_SET | ROUTE(20), t);
	wr(&h, TCMP(0), rd(&h, CNT, t) + 1, t);
	wr(&h, TCMP(0), FLOOR / 10, t);
	assert_int_equal(next(&h, t), t + 10);
	/* One-shot timers are never floored: each costs the guest a write. */
	wr(&h, TCFG(0), INT_ENB | ROUTE(20), t);
	wr(&h, TCMP(0), rd(&h, CNT, t) + 1, t);
	assert_int_equal(next(&h, t), t + 10);
}

static void program_some(struct vhv_hpet *h, u64 t)
{
	wr(h, CNT, 0xfffffff00ull, t);
	wr(h, TCFG(0), LEVEL | INT_ENB | PERIODIC | VAL_SET | MODE32 | ROUTE(20), t);
	wr(h, TCMP(0), 0x423, t);	/* 1315 ticks on: 815 after the save */
	wr(h, TCMP(0), 0x456, t);
	wr(h, TCFG(1), INT_ENB | ROUTE(23), t);
	wr(h, TCMP(1), 0xfffffff00ull + 629, t);	/* 129 ticks after the save */
	wr(h, TCFG(2), LEVEL | ROUTE(22), t);
	wr(h, TCMP(2), 0xfffffff10ull, t);
	wr(h, CFG, ENABLE | LEGACY, t);
	vhv_hpet_update(h, t + 2 * US);		/* timer 2 matched: status */
	vhv_hpet_take_pulses(h);
}

static void test_save_restore(void **state)
{
	struct vhv_hpet a, b;
	struct vhv_hpet_state s, s2, bad;
	unsigned int n;
	u64 t = T0;

	(void)state;
	fresh(&a);
	program_some(&a, t);
	t += 5 * US;
	vhv_hpet_save(&a, t, &s);
	assert_int_equal(s.capabilities, rd(&a, CAP, t));
	assert_int_equal(s.config, ENABLE | LEGACY);
	assert_int_equal(s.isr, 1u << 2);
	assert_int_equal(s.counter, 0xfffffff00ull + 500);
	assert_int_equal(s.timers[0].config, rd(&a, TCFG(0), t));
	assert_int_equal(s.timers[0].comparator, 0x423);
	assert_int_equal(s.timers[0].period, 0x456);
	assert_int_equal(s.timers[1].comparator, 0xfffffff00ull + 629);
	for (n = 0; n < 16; n++)
		assert_int_equal(s.reserved[n], 0);

	/* Restored an hour later: the counter runs on from the saved value. */
	fresh(&b);
	assert_int_equal(vhv_hpet_restore(&b, &s, t + 3600 * SEC), 0);
	vhv_hpet_save(&b, t + 3600 * SEC, &s2);
	assert_memory_equal(&s, &s2, sizeof(s));
	assert_int_equal(rd(&b, CNT, t + 3600 * SEC + 1000), s.counter + 100);
	assert_int_equal(vhv_hpet_lines(&b), vhv_hpet_lines(&a));
	assert_int_equal(vhv_hpet_lines(&b), 0);	/* timer 2's interrupt is off */
	/* Both behave the same from there: timer 1 1290 ns on. */
	assert_int_equal(next(&b, t + 3600 * SEC) - (t + 3600 * SEC), next(&a, t) - t);
	assert_int_equal(pulses_at(&b, t + 3600 * SEC + 1280), 0);
	assert_int_equal(pulses_at(&b, t + 3600 * SEC + 1290), 1u << 8);
	assert_int_equal(pulses_at(&a, t + 1290), 1u << 8);

	/* Impossible states: -EINVAL, and nothing changes. */
#define REJECT(field, value) do {						\
		bad = s;							\
		bad.field = (value);						\
		vhv_hpet_save(&b, t + 3600 * SEC, &s2);				\
		assert_int_equal(vhv_hpet_restore(&b, &bad, t + 3600 * SEC), -EINVAL); \
		vhv_hpet_save(&b, t + 3600 * SEC, &bad);			\
		assert_memory_equal(&s2, &bad, sizeof(bad));			\
	} while (0)
	REJECT(capabilities, s.capabilities ^ 1);
	REJECT(capabilities, s.capabilities + (1ull << 32));
	REJECT(config, s.config | 4);
	REJECT(isr, 1u << 3);
	REJECT(isr, 1u << 1);				/* timer 1 is edge */
	REJECT(reserved[15], 1);
	REJECT(timers[0].reserved, 1);
	REJECT(timers[0].config, s.timers[0].config & ~VHV_HPET_TN_PER_CAP);
	REJECT(timers[0].config, s.timers[0].config | VHV_HPET_TN_FSB_EN);
	REJECT(timers[0].config, s.timers[0].config | 1);
	REJECT(timers[0].config, s.timers[0].config | 1ull << 31);
	REJECT(timers[0].config, s.timers[0].config ^ 1ull << 40);
	REJECT(timers[0].config, (s.timers[0].config & ~ROUTE(0x1f)) | ROUTE(5));
	REJECT(timers[0].comparator, 1ull << 32);	/* 32-bit mode */
	REJECT(timers[0].period, 1ull << 32);
	REJECT(timers[2].config, s.timers[2].config | PERIODIC);
	REJECT(timers[2].config, s.timers[2].config | VAL_SET);
	REJECT(timers[2].period, 1);
	REJECT(timers[2].config, s.timers[2].config & ~LEVEL);	/* status set */
	/* Route 0 (the reset value) is a state the HPET can be in. */
	bad = s;
	bad.timers[1].config &= ~ROUTE(0x1f);
	assert_int_equal(vhv_hpet_restore(&b, &bad, t), 0);
	/* A reset HPET's state restores too. */
	fresh(&a);
	vhv_hpet_save(&a, t, &s);
	assert_int_equal(vhv_hpet_restore(&b, &s, t), 0);
	vhv_hpet_save(&b, t + SEC, &s2);
	assert_memory_equal(&s, &s2, sizeof(s));
}

/*
 * A hostile guest: random writes of every register at random sizes and
 * times.  Whatever it does, the model keeps its invariants: lines only on
 * the GSIs it may drive, the next time consistent with what update takes,
 * a state that saves and restores to itself.
 */
static void test_hostile_guest(void **state)
{
	static const u32 regs[] = { CAP, CFG, ISR, CNT, TCFG(0), TCMP(0), TFSB(0),
				    TCFG(1), TCMP(1), TCFG(2), TCMP(2), 0x3f8 };
	const u32 allowed = 1u << 0 | 1u << 8 | 0xf00000;
	u64 seed = 0x9e3779b97f4a7c15ull, t = T0, when;
	struct vhv_hpet h, r;
	struct vhv_hpet_state s, s2;
	unsigned int i;

	(void)state;
	fresh(&h);
	for (i = 0; i < 200000; i++) {
		u64 v;
		u32 off;
		u8 size;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		off = regs[(seed >> 33) % (sizeof(regs) / sizeof(regs[0]))] + ((seed >> 40) & 4);
		size = (seed >> 44) & 1 ? 8 : 4;
		v = seed * 0x2545f4914f6cdd1dull;
		if ((seed >> 50) & 1)
			v &= 0x3f0f;		/* small values: low routes and comparators */
		t += (seed >> 52) & 0xfff;
		if ((seed >> 45) & 1)
			vhv_hpet_write(&h, off, size, v, t);
		else
			(void)vhv_hpet_read(&h, off, size, t);
		vhv_hpet_update(&h, t);		/* the access may have been refused */
		assert_int_equal(vhv_hpet_lines(&h) & ~allowed, 0);
		assert_int_equal(vhv_hpet_take_pulses(&h) & ~allowed, 0);
		/* The floored time is later than the match: check the exact one. */
		if (vhv_hpet_next(&h, t, 0, &when)) {
			/* Nothing is due before the time it named. */
			assert_true(when > t);
			/* Time moves on to just before it (an uptime stays an uptime). */
			if (when - t > 1 && when - t < 100 * SEC) {
				vhv_hpet_update(&h, when - 1);
				assert_int_equal(vhv_hpet_take_pulses(&h), 0);
				t = when - 1;
			}
		}
		if (!(i % 1000)) {
			vhv_hpet_save(&h, t, &s);
			fresh(&r);
			assert_int_equal(vhv_hpet_restore(&r, &s, t), 0);
			vhv_hpet_save(&r, t, &s2);
			assert_memory_equal(&s, &s2, sizeof(s));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_values),
		cmocka_unit_test(test_counter_rate),
		cmocka_unit_test(test_oneshot_match),
		cmocka_unit_test(test_periodic),
		cmocka_unit_test(test_periodic_64),
		cmocka_unit_test(test_32bit_wrap),
		cmocka_unit_test(test_level_status),
		cmocka_unit_test(test_legacy_routing),
		cmocka_unit_test(test_config_validation),
		cmocka_unit_test(test_periodic_floor),
		cmocka_unit_test(test_save_restore),
		cmocka_unit_test(test_hostile_guest),
	};

	return cmocka_run_group_tests_name("hpet", tests, NULL, NULL);
}
