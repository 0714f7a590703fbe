// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/irq/pit.c: every mode's OUT and count against time,
 * access modes, latch and read-back, the channel 2 gate on port 0x61, and
 * the sequences Linux runs (TSC calibration, clockevent periodic/oneshot/
 * shutdown), with times checked against a 128-bit reference.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kmod/irq/pit.h"

#define HZ		VHV_PIT_HZ
#define MS		1000000ull
#define SEC		1000000000ull
#define DAY		(86400 * SEC)
#define CH0		0x40
#define CH1		0x41
#define CH2		0x42
#define MODE		0x43
#define P61		0x61

/* Reference conversions, independent of the model's split arithmetic. */
static u64 ref_ticks(u64 ns)
{
	return (u64)((unsigned __int128)ns * HZ / SEC);
}

/* The first nanosecond at which ref_ticks() reaches ticks. */
static u64 ref_ns(u64 ticks)
{
	return (u64)(((unsigned __int128)ticks * SEC + HZ - 1) / HZ);
}

static bool out(struct vhv_pit *p, u16 port, u8 val, u64 t)
{
	return vhv_pit_write(p, port, val, t);
}

static u8 in(struct vhv_pit *p, u16 port, u64 t)
{
	return vhv_pit_read(p, port, t);
}

/* Control word, then LSB and MSB: returns vhv_pit_write's answer for the MSB. */
static bool load(struct vhv_pit *p, unsigned int ch, u8 cw, u32 count, u64 t)
{
	out(p, MODE, cw, t);
	out(p, CH0 + ch, count & 0xff, t);
	return out(p, CH0 + ch, (count >> 8) & 0xff, t);
}

/* A live LSB-then-MSB read of a counter in access mode 3. */
static u16 read16(struct vhv_pit *p, unsigned int ch, u64 t)
{
	u16 lsb = in(p, CH0 + ch, t);

	return lsb | in(p, CH0 + ch, t) << 8;
}

/* The status byte through a status-only read-back command. */
static u8 status(struct vhv_pit *p, unsigned int ch, u64 t)
{
	assert_false(out(p, MODE, 0xe0 | 2 << ch, t));
	return in(p, CH0 + ch, t);
}

static bool out_level(struct vhv_pit *p, unsigned int ch, u64 t)
{
	return status(p, ch, t) & 0x80;
}

static bool ch2_out(struct vhv_pit *p, u64 t)
{
	return in(p, P61, t) & 0x20;
}

static void assert_irq0(struct vhv_pit *p, u64 t, u64 first, u64 period)
{
	u64 f = 1, per = 1;

	assert_true(vhv_pit_irq0_timer(p, t, &f, &per));
	assert_int_equal(f, first);
	assert_int_equal(per, period);
}

static void assert_no_irq0(struct vhv_pit *p, u64 t)
{
	u64 f, per;

	assert_false(vhv_pit_irq0_timer(p, t, &f, &per));
}

/* Power-on: mode 0, LSB/MSB, nothing loaded, no IRQ 0, gate 2 low. */
static void test_reset_state(void **state)
{
	struct vhv_pit p;
	unsigned int ch;
	u8 a, b;

	(void)state;
	vhv_pit_reset(&p, 5 * SEC);
	for (ch = 0; ch < 3; ch++) {
		assert_int_equal(status(&p, ch, 5 * SEC), 0x70);
		assert_int_equal(read16(&p, ch, 6 * SEC), 0);
	}
	assert_no_irq0(&p, 5 * SEC);
	assert_no_irq0(&p, 100 * SEC);
	a = in(&p, P61, 6 * SEC);
	b = in(&p, P61, 6 * SEC);
	assert_int_equal(a & ~0x10, 0);
	assert_int_equal(b & ~0x10, 0);
	assert_int_not_equal(a & 0x10, b & 0x10);
	assert_int_equal(in(&p, MODE, 6 * SEC), 0xff);
	assert_true(vhv_pit_port(0x40) && vhv_pit_port(0x41) && vhv_pit_port(0x42));
	assert_true(vhv_pit_port(0x43) && vhv_pit_port(0x61));
	assert_false(vhv_pit_port(0x3f) || vhv_pit_port(0x44) || vhv_pit_port(0x60) ||
		     vhv_pit_port(0x62) || vhv_pit_port(0x4043));
	/* Not ours: ignored. */
	assert_false(out(&p, 0x44, 0x12, 6 * SEC));
	assert_int_equal(in(&p, 0x44, 6 * SEC), 0xff);
}

/* Mode 0: OUT low until exactly N ticks, count N - t, wraps past 0, one IRQ edge. */
static void test_mode0_interrupt_on_terminal_count(void **state)
{
	const u64 L = 3 * SEC + 1234;
	struct vhv_pit p;
	u64 w;

	(void)state;
	vhv_pit_reset(&p, 0);
	out(&p, MODE, 0x30, L - 100);
	assert_false(out(&p, CH0, 1000 & 0xff, L - 50));	/* half a count: nothing yet */
	assert_true(out(&p, CH0, 1000 >> 8, L));
	assert_int_equal(status(&p, 0, L), 0x30);		/* OUT low, count loaded */
	assert_int_equal(read16(&p, 0, L), 1000);
	assert_int_equal(read16(&p, 0, L + ref_ns(1) - 1), 1000);
	assert_int_equal(read16(&p, 0, L + ref_ns(1)), 999);
	assert_int_equal(read16(&p, 0, L + ref_ns(999)), 1);
	assert_false(out_level(&p, 0, L + ref_ns(1000) - 1));
	assert_true(out_level(&p, 0, L + ref_ns(1000)));
	assert_int_equal(read16(&p, 0, L + ref_ns(1000)), 0);
	assert_int_equal(read16(&p, 0, L + ref_ns(1001)), 0xffff);
	assert_true(out_level(&p, 0, L + ref_ns(70000)));	/* stays high after wrapping */

	assert_irq0(&p, L, L + ref_ns(1000), 0);
	assert_irq0(&p, L + ref_ns(1000) - 1, L + ref_ns(1000), 0);
	assert_no_irq0(&p, L + ref_ns(1000));

	/* A new count restarts at once and drives OUT low again. */
	w = L + 100 * MS;
	assert_true(load(&p, 0, 0x30, 500, w));
	assert_false(out_level(&p, 0, w));
	assert_int_equal(read16(&p, 0, w + ref_ns(10)), 490);
	assert_irq0(&p, w, w + ref_ns(500), 0);
	/* Without a new control word too (Linux's oneshot next_event). */
	out(&p, CH0, 200, w + MS);
	assert_true(out(&p, CH0, 0, w + MS));
	assert_irq0(&p, w + MS, w + MS + ref_ns(200), 0);
}

/* Mode 0, LSB then MSB: the first byte stops counting, the second restarts. */
static void test_mode0_first_byte_stops_count(void **state)
{
	const u64 L = SEC;
	struct vhv_pit p;
	u64 s = L + ref_ns(100), m = s + 7 * MS;

	(void)state;
	vhv_pit_reset(&p, 0);
	load(&p, 0, 0x30, 10000, L);
	assert_true(out(&p, CH0, 0x34, s));		/* the edge is gone */
	assert_no_irq0(&p, s);
	assert_true(status(&p, 0, s + MS) & 0x40);	/* null count */
	assert_int_equal(read16(&p, 0, s + 5 * MS), 9900);
	assert_true(out(&p, CH0, 0x12, m));
	assert_int_equal(read16(&p, 0, m), 0x1234);
	assert_int_equal(read16(&p, 0, m + ref_ns(4)), 0x1230);
	assert_irq0(&p, m, m + ref_ns(0x1234), 0);
	assert_false(status(&p, 0, m) & 0x40);
}

/* Mode 1 on channel 2: waits for a gate rise, OUT low for N ticks, retriggers. */
static void test_mode1_gate_triggered_one_shot(void **state)
{
	const u64 L = 2 * SEC;
	struct vhv_pit p;
	u64 g = L + 10 * MS, h, r;

	(void)state;
	vhv_pit_reset(&p, 0);
	out(&p, P61, 0, L);
	assert_false(load(&p, 2, 0xb2, 3000, L));
	assert_true(ch2_out(&p, L + 5 * MS));			/* high until triggered */
	assert_int_equal(status(&p, 2, L + 5 * MS), 0xf2);	/* OUT, null count, mode 1 */

	out(&p, P61, 1, g);
	assert_false(ch2_out(&p, g));
	assert_int_equal(read16(&p, 2, g), 3000);
	assert_int_equal(read16(&p, 2, g + ref_ns(1000)), 2000);
	assert_false(ch2_out(&p, g + ref_ns(3000) - 1));
	assert_true(ch2_out(&p, g + ref_ns(3000)));
	assert_false(status(&p, 2, g) & 0x40);

	/* A falling gate does not stop mode 1; the next rise restarts it. */
	h = g + ref_ns(2000);
	out(&p, P61, 0, h);
	assert_int_equal(read16(&p, 2, g + ref_ns(2010)), 990);
	r = g + ref_ns(2500);
	out(&p, P61, 1, r);
	assert_int_equal(read16(&p, 2, r), 3000);
	assert_false(ch2_out(&p, r + ref_ns(2999)));
	assert_true(ch2_out(&p, r + ref_ns(3000)));

	/* A count written meanwhile waits for the next trigger. */
	load(&p, 2, 0xb2, 3000, r + ref_ns(3001));		/* mode set again: no count in CE */
	out(&p, P61, 0, r + ref_ns(3002));
	out(&p, P61, 1, r + ref_ns(3003));
	r += ref_ns(3003);
	out(&p, CH2, 100, r + ref_ns(5));
	out(&p, CH2, 0, r + ref_ns(5));
	assert_int_equal(read16(&p, 2, r + ref_ns(10)), 2990);
	assert_true(status(&p, 2, r + ref_ns(10)) & 0x40);
	out(&p, P61, 0, r + ref_ns(20));
	out(&p, P61, 1, r + ref_ns(30));
	assert_int_equal(read16(&p, 2, r + ref_ns(30)), 100);
	assert_true(ch2_out(&p, r + ref_ns(30) + ref_ns(100)));

	/* Channel 0's gate never rises: mode 1 there never starts. */
	r += SEC;
	assert_false(load(&p, 0, 0x32, 100, r));
	assert_no_irq0(&p, r + SEC);
	assert_true(out_level(&p, 0, r + SEC));
}

/* Mode 2 as Linux's periodic clockevent sets it: 0x34, LATCH for HZ=1000. */
static void test_mode2_rate_generator(void **state)
{
	const u64 L = 7 * SEC + 3;
	const u32 n = (HZ + 500) / 1000;	/* 1193 */
	struct vhv_pit p;
	u64 t, k;

	(void)state;
	vhv_pit_reset(&p, 0);
	assert_true(load(&p, 0, 0x34, n, L));
	assert_int_equal(read16(&p, 0, L), n);
	assert_int_equal(read16(&p, 0, L + ref_ns(1192)), 1);
	assert_true(out_level(&p, 0, L + ref_ns(1192) - 1));
	assert_false(out_level(&p, 0, L + ref_ns(1192)));	/* low for the tick at 1 */
	assert_false(out_level(&p, 0, L + ref_ns(1193) - 1));
	assert_true(out_level(&p, 0, L + ref_ns(1193)));
	assert_int_equal(read16(&p, 0, L + ref_ns(1193)), n);
	assert_int_equal(read16(&p, 0, L + ref_ns(5 * 1193 + 17)), n - 17);

	assert_irq0(&p, L, L + ref_ns(1193), 999847);
	assert_irq0(&p, L + ref_ns(1193) - 1, L + ref_ns(1193), 999847);
	assert_irq0(&p, L + ref_ns(1193), L + ref_ns(2386), 999847);
	/* Asking after each edge walks the exact edges, with no drift. */
	t = L;
	for (k = 1; k <= 5000; k++) {
		u64 f, per;

		assert_true(vhv_pit_irq0_timer(&p, t, &f, &per));
		assert_int_equal(f, L + ref_ns(k * n));
		t = f;
	}
	t = L + 3600 * SEC;
	assert_irq0(&p, t, L + ref_ns((ref_ticks(3600 * SEC) / n + 1) * n), 999847);
}

/* Modes 2 and 3 take a new count at the end of the current period. */
static void test_mode2_new_count_at_period_end(void **state)
{
	const u64 L = SEC;
	struct vhv_pit p;
	u64 w = L + ref_ns(1500), e = L + ref_ns(2000);

	(void)state;
	vhv_pit_reset(&p, 0);
	load(&p, 0, 0x34, 1000, L);
	assert_false(out(&p, CH0, 300 & 0xff, w));		/* half a count: nothing */
	assert_true(out(&p, CH0, 300 >> 8, w));			/* the period changes */
	assert_irq0(&p, w, e, 251429);
	assert_true(status(&p, 0, w) & 0x40);
	assert_int_equal(read16(&p, 0, L + ref_ns(1600)), 400);	/* old count runs on */
	assert_int_equal(read16(&p, 0, e - 1), 1);
	assert_int_equal(read16(&p, 0, e), 300);
	assert_false(status(&p, 0, e) & 0x40);
	assert_int_equal(read16(&p, 0, e + ref_ns(299)), 1);
	assert_irq0(&p, e, e + ref_ns(300), 251429);
	assert_irq0(&p, e + ref_ns(300), e + ref_ns(600), 251429);

	/* Rewriting the running count changes nothing the timer sees. */
	vhv_pit_reset(&p, 0);
	load(&p, 0, 0x34, 1000, L);
	out(&p, CH0, 1000 & 0xff, w);
	assert_false(out(&p, CH0, 1000 >> 8, w));

	/* Mode 3 too. */
	vhv_pit_reset(&p, 0);
	load(&p, 0, 0x36, 1000, L);
	out(&p, CH0, 300 & 0xff, w);
	assert_true(out(&p, CH0, 300 >> 8, w));
	assert_irq0(&p, w, e, 251429);
	assert_int_equal(read16(&p, 0, e), 300);
}

/* Mode 3: OUT high (N+1)/2 ticks and low N/2, count down by two. */
static void test_mode3_square_wave(void **state)
{
	const u64 L = SEC;
	struct vhv_pit p;
	u64 l2;

	(void)state;
	vhv_pit_reset(&p, 0);
	assert_true(load(&p, 0, 0x36, 1000, L));
	assert_true(out_level(&p, 0, L));
	assert_true(out_level(&p, 0, L + ref_ns(500) - 1));
	assert_false(out_level(&p, 0, L + ref_ns(500)));
	assert_false(out_level(&p, 0, L + ref_ns(1000) - 1));
	assert_true(out_level(&p, 0, L + ref_ns(1000)));
	assert_int_equal(read16(&p, 0, L), 1000);
	assert_int_equal(read16(&p, 0, L + ref_ns(1)), 998);
	assert_int_equal(read16(&p, 0, L + ref_ns(499)), 2);
	assert_int_equal(read16(&p, 0, L + ref_ns(500)), 1000);
	assert_int_equal(read16(&p, 0, L + ref_ns(999)), 2);
	assert_irq0(&p, L, L + ref_ns(1000), 838095);
	assert_irq0(&p, L + ref_ns(1000), L + ref_ns(2000), 838095);

	/* Odd count 5 on channel 2: high 3 ticks, low 2; reads 4, 2, 0, 4, 2. */
	l2 = L + 10 * MS;
	out(&p, P61, 1, l2);
	load(&p, 2, 0xb6, 5, l2);
	assert_int_equal(read16(&p, 2, l2), 4);
	assert_int_equal(read16(&p, 2, l2 + ref_ns(1)), 2);
	assert_true(ch2_out(&p, l2 + ref_ns(2)));
	assert_int_equal(read16(&p, 2, l2 + ref_ns(2)), 0);
	assert_false(ch2_out(&p, l2 + ref_ns(3)));
	assert_int_equal(read16(&p, 2, l2 + ref_ns(3)), 4);
	assert_false(ch2_out(&p, l2 + ref_ns(4)));
	assert_int_equal(read16(&p, 2, l2 + ref_ns(4)), 2);
	assert_true(ch2_out(&p, l2 + ref_ns(5)));
	assert_int_equal(read16(&p, 2, l2 + ref_ns(6)), 2);

	/* Counts of 1 never make an edge in modes 2 and 3. */
	l2 += MS;
	load(&p, 0, 0x36, 1, l2);
	assert_no_irq0(&p, l2);
	load(&p, 0, 0x34, 1, l2);
	assert_no_irq0(&p, l2);
	load(&p, 0, 0x34, 2, l2);
	assert_irq0(&p, l2, l2 + ref_ns(2), 1676);
}

/* Mode 4 as Linux's oneshot clockevent sets it: 0x38, then LSB/MSB per event. */
static void test_mode4_software_strobe(void **state)
{
	const u64 L = SEC;
	struct vhv_pit p;
	u64 m = L + 3 * MS;

	(void)state;
	vhv_pit_reset(&p, 0);
	assert_false(out(&p, MODE, 0x38, L - 10));
	assert_true(out_level(&p, 0, L - 5));
	out(&p, CH0, 100, L);
	assert_true(out(&p, CH0, 0, L));
	assert_int_equal(read16(&p, 0, L + ref_ns(40)), 60);
	assert_true(out_level(&p, 0, L + ref_ns(100) - 1));
	assert_false(out_level(&p, 0, L + ref_ns(100)));	/* low for one tick */
	assert_true(out_level(&p, 0, L + ref_ns(101)));
	assert_int_equal(read16(&p, 0, L + ref_ns(102)), 0xfffe);
	assert_irq0(&p, L, L + ref_ns(101), 0);
	assert_no_irq0(&p, L + ref_ns(101));

	/* next_event: the LSB alone changes nothing, the MSB restarts. */
	assert_false(out(&p, CH0, 0x10, m));
	assert_no_irq0(&p, m);
	assert_true(out(&p, CH0, 0x02, m + 100));
	assert_irq0(&p, m + 100, m + 100 + ref_ns(0x211), 0);
	/* Rewritten before it fired: the edge moves. */
	out(&p, CH0, 0x20, m + 200);
	assert_true(out(&p, CH0, 0, m + 200));
	assert_irq0(&p, m + 200, m + 200 + ref_ns(0x21), 0);
}

/* Mode 5 on channel 2: a gate rise starts the count, OUT low for the tick at 0. */
static void test_mode5_hardware_strobe(void **state)
{
	const u64 L = SEC;
	struct vhv_pit p;
	u64 g = L + 20 * MS;

	(void)state;
	vhv_pit_reset(&p, 0);
	load(&p, 2, 0xba, 50, L);
	assert_true(ch2_out(&p, L + 10 * MS));
	out(&p, P61, 1, g);
	assert_int_equal(read16(&p, 2, g + ref_ns(20)), 30);
	assert_true(ch2_out(&p, g + ref_ns(50) - 1));
	assert_false(ch2_out(&p, g + ref_ns(50)));
	assert_true(ch2_out(&p, g + ref_ns(51)));
	/* Retriggered. */
	out(&p, P61, 0, g + ref_ns(60));
	out(&p, P61, 1, g + ref_ns(70));
	assert_false(ch2_out(&p, g + ref_ns(120)));
	assert_true(ch2_out(&p, g + ref_ns(121)));
}

/* A low gate pauses modes 0/4 and resumes them; in 2/3 it forces OUT high and reloads. */
static void test_gate_pauses_and_restarts(void **state)
{
	const u64 L = SEC;
	struct vhv_pit p;
	u64 pz = L + ref_ns(300), r = pz + 5 * MS;

	(void)state;
	vhv_pit_reset(&p, 0);
	out(&p, P61, 1, L);
	load(&p, 2, 0xb0, 1000, L);
	out(&p, P61, 0, pz);
	assert_int_equal(read16(&p, 2, pz + 4 * MS), 700);
	assert_false(ch2_out(&p, pz + 4 * MS));
	out(&p, P61, 1, r);
	assert_int_equal(read16(&p, 2, r), 700);
	/* It resumes where it stopped: OUT goes high 700 ticks later. */
	assert_false(ch2_out(&p, r - ref_ns(300) + ref_ns(1000) - 1));
	assert_true(ch2_out(&p, r - ref_ns(300) + ref_ns(1000)));

	/* Mode 4 pauses the same way. */
	vhv_pit_reset(&p, 0);
	out(&p, P61, 1, L);
	load(&p, 2, 0xb8, 1000, L);
	out(&p, P61, 0, pz);
	out(&p, P61, 1, r);
	assert_int_equal(read16(&p, 2, r - ref_ns(300) + ref_ns(301)), 699);

	/* Mode 2: gate low while OUT is low drives it high and holds the count. */
	vhv_pit_reset(&p, 0);
	out(&p, P61, 1, L);
	load(&p, 2, 0xb4, 1000, L);
	assert_false(ch2_out(&p, L + ref_ns(999)));
	out(&p, P61, 0, L + ref_ns(999));
	assert_true(ch2_out(&p, L + ref_ns(999)));
	assert_int_equal(read16(&p, 2, L + 3 * MS), 1);
	out(&p, P61, 1, r);
	assert_int_equal(read16(&p, 2, r), 1000);
	assert_true(ch2_out(&p, r + ref_ns(999) - 1));
	assert_false(ch2_out(&p, r + ref_ns(999)));
	assert_true(ch2_out(&p, r + ref_ns(1000)));

	/* Mode 3: gate low in the low half forces OUT high; the rise restarts it. */
	vhv_pit_reset(&p, 0);
	out(&p, P61, 1, L);
	load(&p, 2, 0xb6, 1000, L);
	assert_false(ch2_out(&p, L + ref_ns(600)));
	out(&p, P61, 0, L + ref_ns(600));
	assert_true(ch2_out(&p, L + ref_ns(600)));
	out(&p, P61, 1, r);
	assert_int_equal(read16(&p, 2, r), 1000);
	assert_true(ch2_out(&p, r + ref_ns(500) - 1));
	assert_false(ch2_out(&p, r + ref_ns(500)));

	/* Mode 2 loaded with the gate low waits; a count written then waits too. */
	vhv_pit_reset(&p, 0);
	load(&p, 2, 0xb4, 1000, L);
	assert_int_equal(read16(&p, 2, L + 10 * MS), 1000);
	out(&p, CH2, 50, L + 20 * MS);
	out(&p, CH2, 0, L + 20 * MS);
	assert_true(status(&p, 2, L + 20 * MS) & 0x40);
	out(&p, P61, 1, L + 30 * MS);
	assert_int_equal(read16(&p, 2, L + 30 * MS + ref_ns(10)), 40);
	assert_false(status(&p, 2, L + 30 * MS + ref_ns(10)) & 0x40);
}

/* LSB-only and MSB-only writes and reads; LSB/MSB reads alternate. */
static void test_access_modes(void **state)
{
	const u64 L = SEC, M = 2 * SEC, W = 3 * SEC;
	struct vhv_pit p;

	(void)state;
	vhv_pit_reset(&p, 0);
	out(&p, MODE, 0x50, L);				/* channel 1, LSB only, mode 0 */
	out(&p, CH1, 0x34, L);
	assert_int_equal(in(&p, CH1, L), 0x34);
	assert_int_equal(in(&p, CH1, L), 0x34);		/* no byte flip-flop */
	assert_int_equal(in(&p, CH1, L + ref_ns(4)), 0x30);
	assert_int_equal(status(&p, 1, L + ref_ns(4)), 0x10);

	out(&p, MODE, 0x60, M);				/* MSB only */
	out(&p, CH1, 0x12, M);
	assert_int_equal(in(&p, CH1, M), 0x12);
	assert_int_equal(in(&p, CH1, M + ref_ns(1)), 0x11);
	assert_int_equal(status(&p, 1, M + ref_ns(1)), 0x20);

	out(&p, MODE, 0x70, W);				/* LSB then MSB */
	out(&p, CH1, 0x02, W);
	out(&p, CH1, 0x01, W);
	assert_int_equal(in(&p, CH1, W), 0x02);
	/* The MSB comes from the counter at its own read: 0x102 - 3 = 0xff. */
	assert_int_equal(in(&p, CH1, W + ref_ns(3)), 0x00);
	assert_int_equal(in(&p, CH1, W + ref_ns(3)), 0xff);
	assert_int_equal(in(&p, CH1, W + ref_ns(3)), 0x00);
	/* A control word resets the flip-flop, mid-pair. */
	assert_int_equal(in(&p, CH1, W + ref_ns(3)), 0xff);
	out(&p, MODE, 0x70, W + MS);
	out(&p, CH1, 0x34, W + MS);
	out(&p, CH1, 0x12, W + MS);
	assert_int_equal(read16(&p, 1, W + MS), 0x1234);
}

/* Counter latch command: frozen value, LSB then MSB, repeat ignored until read. */
static void test_counter_latch(void **state)
{
	const u64 L = SEC, a = L + ref_ns(0x100), b = a + 10 * MS;
	struct vhv_pit p;

	(void)state;
	vhv_pit_reset(&p, 0);
	load(&p, 0, 0x34, 0x1234, L);
	assert_false(out(&p, MODE, 0x00, a));
	assert_int_equal(in(&p, CH0, a + MS), 0x34);
	assert_false(out(&p, MODE, 0x00, a + 2 * MS));	/* still latched: ignored */
	assert_int_equal(in(&p, CH0, a + 3 * MS), 0x11);
	assert_int_equal(read16(&p, 0, L + ref_ns(0x1234 + 7)), 0x1234 - 7);	/* live */
	/* A half-read live count does not shift the latch's byte order. */
	assert_int_equal(in(&p, CH0, L + ref_ns(2 * 0x1234)), 0x34);
	out(&p, MODE, 0x00, L + ref_ns(2 * 0x1234 + 1));
	assert_int_equal(in(&p, CH0, b), 0x33);
	assert_int_equal(in(&p, CH0, b), 0x12);

	/* One read releases a latch in LSB-only mode. */
	out(&p, MODE, 0x50, b);
	out(&p, CH1, 0x80, b);
	out(&p, MODE, 0x40, b + ref_ns(0x10));
	assert_int_equal(in(&p, CH1, b + ref_ns(0x20)), 0x70);
	assert_int_equal(in(&p, CH1, b + ref_ns(0x20)), 0x60);

	/* A control word drops unread latches (all control logic is reset). */
	out(&p, MODE, 0x40, b + ref_ns(0x30));
	out(&p, MODE, 0xe4, b + ref_ns(0x30));		/* status of channel 1 */
	out(&p, MODE, 0x50, b + ref_ns(0x40));
	out(&p, CH1, 0x22, b + ref_ns(0x40));
	assert_int_equal(in(&p, CH1, b + ref_ns(0x40) + ref_ns(2)), 0x20);
}

/* Read-back: counts and statuses of chosen channels, status first, BCD kept. */
static void test_read_back(void **state)
{
	const u64 L = SEC;
	struct vhv_pit p;
	u64 t = L + ref_ns(0x10), u = L + ref_ns(0x20);

	(void)state;
	vhv_pit_reset(&p, 0);
	load(&p, 0, 0x34, 0x1234, L);
	out(&p, P61, 1, L);
	out(&p, MODE, 0xb1, L);					/* channel 2, mode 0, BCD */
	assert_int_equal(status(&p, 2, L), 0x71);		/* null count after mode set */
	out(&p, CH2, 0x00, L);
	out(&p, CH2, 0x01, L);

	assert_false(out(&p, MODE, 0xca, t));			/* count+status, 0 and 2 */
	assert_int_equal(in(&p, CH0, t + 1), 0xb4);		/* OUT, RW 3, mode 2 */
	assert_int_equal(in(&p, CH0, t + 1), 0x24);
	assert_int_equal(in(&p, CH0, t + 1), 0x12);
	assert_int_equal(in(&p, CH2, t + 1), 0x31);		/* OUT low, mode 0, BCD */
	assert_int_equal(in(&p, CH2, t + 1), 0xf0);		/* binary: 0x100 - 0x10 */
	assert_int_equal(in(&p, CH2, t + 1), 0x00);
	assert_int_equal(read16(&p, 1, t + 1), 0);		/* channel 1 not selected */

	/* Count only; status only. */
	out(&p, MODE, 0xd2, t + 2);
	assert_int_equal(read16(&p, 0, u), 0x1224);
	out(&p, MODE, 0xe2, u);
	assert_int_equal(in(&p, CH0, u), 0xb4);
	assert_int_equal(read16(&p, 0, u), 0x1214);

	/* An unread latched count is not overwritten. */
	out(&p, MODE, 0x00, u);
	out(&p, MODE, 0xc2, u + ref_ns(5));
	assert_int_equal(in(&p, CH0, u + MS), 0xb4);
	assert_int_equal(read16(&p, 0, u + MS), 0x1214);

	/* Control word modes 6 and 7 are modes 2 and 3. */
	out(&p, MODE, 0x3c, u + MS);
	assert_int_equal(status(&p, 0, u + MS) & 0x0e, 2 << 1);
	out(&p, MODE, 0x3e, u + MS);
	assert_int_equal(status(&p, 0, u + MS) & 0x0e, 3 << 1);
}

/* Port 0x61: bits 0-1 read back, bit 4 toggles, bit 5 is channel 2's OUT. */
static void test_port61(void **state)
{
	const u64 L = SEC;
	struct vhv_pit p;
	u8 a, b;

	(void)state;
	vhv_pit_reset(&p, 0);
	assert_false(out(&p, P61, 0xff, L));
	a = in(&p, P61, L);
	b = in(&p, P61, L);
	assert_int_equal(a & ~0x10, 0x03);			/* OUT low: mode 0, no count */
	assert_int_equal((a ^ b) & 0xff, 0x10);
	out(&p, P61, 0x02, L);
	assert_int_equal(in(&p, P61, L) & 0x2f, 0x02);
	out(&p, P61, 0x01, L);
	assert_int_equal(in(&p, P61, L) & 0x2f, 0x01);
	load(&p, 2, 0xb0, 10, L);
	assert_int_equal(in(&p, P61, L + ref_ns(9)) & 0x2f, 0x01);
	assert_int_equal(in(&p, P61, L + ref_ns(10)) & 0x2f, 0x21);
}

/* arch/x86/kernel/tsc.c pit_calibrate_tsc(): OUT seen high after latch/HZ seconds. */
static void test_linux_pit_calibrate_tsc(void **state)
{
	const u32 latch = HZ / (1000 / 10);	/* 10 ms */
	const u64 steps[] = { 1, 997, 1777, 20000 };
	struct vhv_pit p;
	u64 t = 2 * SEC, t0;
	unsigned int i;
	u8 v;

	(void)state;
	assert_int_equal(ref_ns(latch), 9999313);
	vhv_pit_reset(&p, 0);
	for (i = 0; i < 4; i++) {
		/* Gate high, speaker off; channel 2 mode 0, LSB/MSB. */
		v = in(&p, P61, t);
		assert_false(out(&p, P61, (v & ~0x02) | 0x01, t));
		assert_false(out(&p, MODE, 0xb0, t));
		assert_false(out(&p, CH2, latch & 0xff, t));
		t0 = t += 150;
		assert_false(out(&p, CH2, latch >> 8, t0));
		while (!(in(&p, P61, t) & 0x20))
			t += steps[i];
		/* With 1 ns polls this is exact: high from ref_ns(latch) on. */
		assert_true(t - t0 >= ref_ns(latch));
		assert_true(t - t0 < ref_ns(latch) + steps[i]);
		t += MS;
	}
}

/* arch/x86/kernel/tsc.c quick_pit_calibrate(): the MSB steps every 256 ticks. */
static void test_linux_quick_pit_calibrate(void **state)
{
	const u64 step = 333;	/* ns per inb */
	struct vhv_pit p;
	u64 t = 9 * SEC, t0;
	unsigned int i, j;
	u8 v;

	(void)state;
	vhv_pit_reset(&p, 0);
	v = in(&p, P61, t);
	out(&p, P61, (v & ~0x02) | 0x01, t);
	out(&p, MODE, 0xb0, t);
	out(&p, CH2, 0xff, t);
	t0 = t;
	out(&p, CH2, 0xff, t0);
	/* pit_verify_msb(0): both bytes read, as a delay. */
	assert_int_equal(in(&p, CH2, t += step), 0xff);
	assert_int_equal(in(&p, CH2, t += step), 0xff);
	for (i = 0; i < 200; i++) {
		/* pit_expect_msb(0xff - i): read until the MSB differs. */
		for (j = 0; j < 50000; j++) {
			in(&p, CH2, t += step);
			if (in(&p, CH2, t += step) != 0xff - i)
				break;
		}
		assert_true(j > 0 && j < 50000);
		/* 65535 - ticks: the MSB left 0xff - i at 256 (i + 1) ticks, seen within a poll. */
		assert_true(t - t0 >= ref_ns(256 * (i + 1)));
		assert_true(t - t0 < ref_ns(256 * (i + 1)) + 2 * step);
	}
}

/* drivers/clocksource/i8253.c: periodic, oneshot (0x38), shutdown (0x30, 0, 0). */
static void test_linux_clockevent(void **state)
{
	const u32 latch = (HZ + 125) / 250;
	struct vhv_pit p;
	u64 l = SEC, s = 2 * SEC, z = s + 1000, o = 3 * SEC;

	(void)state;
	vhv_pit_reset(&p, 0);
	assert_true(load(&p, 0, 0x34, latch, l));
	assert_irq0(&p, l, l + ref_ns(latch), 4000228);
	/* Shutdown: the control word stops the count... */
	assert_true(out(&p, MODE, 0x30, s));
	assert_no_irq0(&p, s);
	assert_false(out_level(&p, 0, s + 500));
	/* ...and the zero count starts one last 65536-tick count (datasheet). */
	assert_false(out(&p, CH0, 0, z));
	assert_true(out(&p, CH0, 0, z));
	assert_irq0(&p, z, z + ref_ns(65536), 0);
	assert_no_irq0(&p, z + ref_ns(65536));

	/* Oneshot: 0x38 stops the periodic ticks, each event is one edge. */
	assert_true(load(&p, 0, 0x34, latch, o));
	assert_true(out(&p, MODE, 0x38, o + MS));
	assert_no_irq0(&p, o + MS);
	out(&p, CH0, 0x00, o + 2 * MS);
	assert_true(out(&p, CH0, 0x10, o + 2 * MS));
	assert_irq0(&p, o + 2 * MS, o + 2 * MS + ref_ns(0x1001), 0);

	/* Mode 0 oneshot (0x30, count) works too. */
	assert_true(load(&p, 0, 0x30, 0x1000, o + 3 * MS));
	assert_irq0(&p, o + 3 * MS, o + 3 * MS + ref_ns(0x1000), 0);
}

/* Periods: reload/HZ rounded to the nanosecond, for Linux's HZ values and 65536. */
static void test_irq0_periods(void **state)
{
	static const struct {
		u8 cw;
		u32 count;
		u64 period;
	} v[] = {
		{ 0x34, 11932, 10000151 },	/* HZ=100 */
		{ 0x34, 4773, 4000228 },	/* HZ=250 */
		{ 0x36, 1193, 999847 },		/* HZ=1000 */
		{ 0x34, 0, 54925401 },		/* 65536 */
		{ 0x36, 0, 54925401 },
	};
	struct vhv_pit p;
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		u32 n = v[i].count ? v[i].count : 0x10000;

		vhv_pit_reset(&p, 0);
		assert_true(load(&p, 0, v[i].cw, v[i].count, SEC));
		assert_irq0(&p, SEC, SEC + ref_ns(n), v[i].period);
		assert_int_equal(v[i].period, (n * SEC + HZ / 2) / HZ);
	}
}

/* A written 0 counts 65536 in every access mode. */
static void test_reload_zero_is_65536(void **state)
{
	const u64 L = SEC, M = 2 * SEC, N = 3 * SEC;
	struct vhv_pit p;

	(void)state;
	vhv_pit_reset(&p, 0);
	load(&p, 0, 0x34, 0, L);
	assert_int_equal(read16(&p, 0, L), 0);
	assert_int_equal(read16(&p, 0, L + ref_ns(1)), 0xffff);
	assert_true(out_level(&p, 0, L + ref_ns(65535) - 1));
	assert_false(out_level(&p, 0, L + ref_ns(65535)));
	assert_int_equal(read16(&p, 0, L + ref_ns(65536)), 0);

	load(&p, 0, 0x30, 0, M);
	assert_false(out_level(&p, 0, M + ref_ns(65536) - 1));
	assert_true(out_level(&p, 0, M + ref_ns(65536)));

	out(&p, MODE, 0x10, N);				/* LSB only */
	out(&p, CH0, 0, N);
	assert_irq0(&p, N, N + ref_ns(65536), 0);
	out(&p, MODE, 0x20, N + 1);			/* MSB only */
	out(&p, CH0, 0, N + 1);
	assert_irq0(&p, N + 1, N + 1 + ref_ns(65536), 0);
}

/* Counts and edges after days and centuries of uptime (ns * HZ overflows 64 bits). */
static void test_large_now(void **state)
{
	static const u64 nows[] = { 10 * DAY + 123, 400 * DAY + 7, 200 * 365 * DAY + 999 };
	const u64 l0 = SEC;
	const u32 n = 1193;
	struct vhv_pit p;
	unsigned int i;

	(void)state;
	for (i = 0; i < 3; i++) {
		u64 now = nows[i], t = ref_ticks(now - l0);

		vhv_pit_reset(&p, 0);
		load(&p, 0, 0x34, n, l0);
		load(&p, 1, 0x70, 0x8000, l0);
		/* Mode 2 running since 1 s; mode 0 wrapped modulo 65536 all along. */
		assert_int_equal(read16(&p, 0, now), n - t % n);
		assert_irq0(&p, now, l0 + ref_ns((t / n + 1) * n), 999847);
		assert_int_equal(read16(&p, 1, now), (u16)(0x8000 - t));

		/* Mode 0 on channel 2 started late: OUT exactly on time. */
		out(&p, P61, 1, now);
		load(&p, 2, 0xb0, 11931, now);
		assert_int_equal(read16(&p, 2, now + ref_ns(1000)), 10931);
		assert_false(ch2_out(&p, now + ref_ns(11931) - 1));
		assert_true(ch2_out(&p, now + ref_ns(11931)));
	}
}

/* vhv_pit_write says true exactly when channel 0's first edge or period changed. */
static void test_write_reports_irq0_changes(void **state)
{
	const u64 L = SEC;
	struct vhv_pit p;

	(void)state;
	vhv_pit_reset(&p, 0);
	assert_true(load(&p, 0, 0x34, 1000, L));
	assert_false(out(&p, MODE, 0x00, L + 5));		/* latch */
	assert_false(out(&p, MODE, 0xde, L + 5));		/* read-back */
	assert_false(out(&p, P61, 1, L + 5));
	assert_false(load(&p, 2, 0xb4, 77, L + 5));
	assert_false(load(&p, 1, 0x74, 77, L + 5));
	assert_false(out(&p, CH0, 0xe8, L + 5));		/* LSB of the same count */
	assert_false(out(&p, CH0, 0x03, L + 5));
	assert_true(out(&p, MODE, 0x34, L + 6));		/* stops channel 0 */
	assert_false(out(&p, MODE, 0x36, L + 7));		/* still stopped */
}

/* ---- save/restore ------------------------------------------------------------- */

/* Saves a at ta, restores into a fresh PIT at tb (another clock). */
static void move(struct vhv_pit *a, u64 ta, struct vhv_pit *b, u64 tb, struct vhv_pit_state *s)
{
	struct vhv_pit_state s2;

	vhv_pit_save(a, ta, s);
	vhv_pit_reset(b, 0);
	assert_int_equal(vhv_pit_restore(b, s, tb), 0);
	/* Saved again at once, it says the same: the reduction is stable. */
	vhv_pit_save(b, tb, &s2);
	assert_memory_equal(s, &s2, sizeof(s2));
}

/* Latched reads of every channel, d ns after ta in a and after tb in b. */
static void assert_same_counts(struct vhv_pit *a, u64 ta, struct vhv_pit *b, u64 tb, u64 d)
{
	for (unsigned int ch = 0; ch < 3; ch++) {
		u16 ca, cb;

		out(a, MODE, ch << 6, ta + d);
		out(b, MODE, ch << 6, tb + d);
		ca = read16(a, ch, ta + d);
		cb = read16(b, ch, tb + d);
		/* The restored phase may be off by the one ns tick lengths round to. */
		assert_true(ca == cb || ca == (u16)(cb + 1) || cb == (u16)(ca + 1));
		assert_int_equal(out_level(a, ch, ta + d), out_level(b, ch, tb + d));
	}
}

/*
 * A PIT days into its run, mode 2 on channel 0, channel 1 one-shot long
 * over, channel 2 gated off mid-count: restored on a clock one second old.
 */
static void test_save_restore_other_clock(void **state)
{
	struct vhv_pit a, b;
	struct vhv_pit_state s;
	u64 ta = 3 * DAY + 12345, tb = SEC, f1, p1, f2, p2;

	(void)state;
	vhv_pit_reset(&a, 0);
	load(&a, 0, 0x34, 1193, 7 * MS);		/* mode 2, 1 ms */
	load(&a, 1, 0x70, 5000, 9 * MS);		/* mode 0 */
	out(&a, P61, 1, 10 * MS);
	load(&a, 2, 0xb0, 0x8000, 10 * MS);		/* mode 0, gated */
	out(&a, P61, 0, 10 * MS + 7777777);		/* paused after 7.8 ms */

	move(&a, ta, &b, tb, &s);
	assert_true(s.ch[0].load_elapsed_ns < 1000000);	/* within its period */
	assert_true(s.ch[1].load_elapsed_ns < ref_ns(5001 + 0x10000));
	assert_true(s.ch[2].paused && !s.ch[2].gate);
	assert_int_equal(s.ch[2].load_elapsed_ns, 7777777);
	assert_true(vhv_pit_irq0_timer(&a, ta, &f1, &p1));
	assert_true(vhv_pit_irq0_timer(&b, tb, &f2, &p2));
	assert_int_equal(p1, p2);
	assert_true(f1 - ta - (f2 - tb) + 1 <= 2);	/* the next edge within 1 ns */
	for (u64 d = 0; d < 3 * MS; d += 12347)
		assert_same_counts(&a, ta, &b, tb, d);
	/* The gate rises in both: channel 2 goes on from where it stopped. */
	out(&a, P61, 1, ta + 5 * MS);
	out(&b, P61, 1, tb + 5 * MS);
	for (u64 d = 5 * MS; d < 40 * MS; d += 999983)
		assert_same_counts(&a, ta, &b, tb, d);
	assert_false(ch2_out(&b, tb + 5 * MS + ref_ns(0x8000 - ref_ticks(7777777)) - 1000));
	assert_true(ch2_out(&b, tb + 5 * MS + ref_ns(0x8000 - ref_ticks(7777777)) + 1000));
}

/* A count written mid-period (mode 2) and latches in progress survive. */
static void test_save_restore_pending_and_latches(void **state)
{
	struct vhv_pit a, b;
	struct vhv_pit_state s;
	u64 ta = 46 * MS, tb = 2 * SEC, f1, p1, f2, p2;

	(void)state;
	vhv_pit_reset(&a, 0);
	load(&a, 0, 0x34, 11932, 0);			/* 10 ms periods */
	out(&a, CH0, 1193 & 0xff, 43 * MS);		/* a new count at 50 ms */
	out(&a, CH0, 1193 >> 8, 43 * MS);
	out(&a, MODE, 0x00, 44 * MS);			/* latch channel 0 */
	(void)in(&a, CH0, 44 * MS);			/* LSB read, MSB next */
	out(&a, MODE, 0xe8, 45 * MS);			/* read-back: status of channel 2 */
	load(&a, 1, 0x72, 100, 46 * MS);		/* mode 1: waits for a gate */
	move(&a, ta, &b, tb, &s);
	assert_true(s.ch[0].pending && !s.ch[0].pending_at_gate);
	/* At the end of the 5th period: 5 * 11932 ticks, 50.0008 ms. */
	assert_int_equal(s.ch[0].pending_ns, ref_ns(5 * 11932) - ta);
	assert_true(s.ch[0].count_latched && s.ch[0].latched_msb_next);
	assert_true(s.ch[2].status_latched);
	assert_true(s.ch[1].pending && s.ch[1].pending_at_gate);
	assert_int_equal(in(&b, CH0, tb + 1), in(&a, CH0, ta + 1));	/* latched MSB */
	assert_int_equal(in(&b, CH0 + 2, tb + 1), in(&a, CH0 + 2, ta + 1));	/* status */
	/* After 50 ms both run 1 ms periods. */
	for (u64 d = 2 * MS; d < 12 * MS; d += 333331)
		assert_same_counts(&a, ta, &b, tb, d);
	assert_true(vhv_pit_irq0_timer(&a, ta + 6 * MS, &f1, &p1));
	assert_true(vhv_pit_irq0_timer(&b, tb + 6 * MS, &f2, &p2));
	assert_int_equal(p2, (1193 * SEC + HZ / 2) / HZ);
	assert_int_equal(p1, p2);
	assert_true(f1 - ta - (f2 - tb) + 1 <= 2);
}

/* Mode 0 long past its edge, on a clock younger than the saved time. */
static void test_restore_young_clock(void **state)
{
	struct vhv_pit a, b;
	struct vhv_pit_state s;
	u64 ta = 10 * DAY;

	(void)state;
	vhv_pit_reset(&a, 0);
	load(&a, 0, 0x30, 1000, 5);
	vhv_pit_save(&a, ta, &s);
	assert_true(s.ch[0].load_elapsed_ns < ref_ns(1000 + 2 * 0x10000));
	vhv_pit_reset(&b, 0);
	assert_int_equal(vhv_pit_restore(&b, &s, 200 * MS), 0);	/* 0.2 s of uptime */
	assert_true(out_level(&b, 0, 200 * MS));
	assert_no_irq0(&b, 200 * MS);
	assert_same_counts(&a, ta, &b, 200 * MS, 12345);
	/* Younger than the reduced time: taken as loaded at 0, no wrap. */
	assert_int_equal(vhv_pit_restore(&b, &s, 1000), 0);
	assert_int_equal(b.ch[0].load_ns, 0);
	/* Any elapsed time is taken, reduced: no wrap below 0. */
	s.ch[0].load_elapsed_ns = ~0ull;
	assert_int_equal(vhv_pit_restore(&b, &s, 5 * SEC), 0);
	assert_true(out_level(&b, 0, 5 * SEC));
}

static void test_restore_rejects(void **state)
{
	struct vhv_pit a, before;
	struct vhv_pit_state good, bad;
	unsigned int i;

	(void)state;
	vhv_pit_reset(&a, 0);
	load(&a, 0, 0x34, 1193, 0);
	vhv_pit_save(&a, MS, &good);
	assert_int_equal(vhv_pit_restore(&a, &good, MS), 0);
	for (i = 0; i < 20; i++) {
		bad = good;
		switch (i) {
		case 0: bad.ch[0].count = 0; break;
		case 1: bad.ch[0].count = 0x10001; break;
		case 2: bad.ch[1].count_register = 0; break;
		case 3: bad.ch[2].mode = 6; break;
		case 4: bad.ch[2].access = 0; break;
		case 5: bad.ch[2].access = 4; break;
		case 6: bad.ch[0].gate = 0; break;
		case 7: bad.ch[1].paused = 1; break;		/* not armed */
		case 8: bad.ch[1].load_elapsed_ns = 1; break;	/* not armed */
		case 9: bad.ch[0].pending_at_gate = 1; break;
		case 10: bad.ch[0].pending_ns = 1; break;
		case 11: bad.ch[0].pending = 1; bad.ch[0].pending_ns = ref_ns(0x10000) + 1; break;
		case 12: bad.ch[0].pending = 1; bad.ch[0].mode = 0; break;
		case 13: bad.ch[0].access = 1; bad.ch[0].write_msb_next = 1; break;
		case 14: bad.ch[2].bcd = 2; break;
		case 15: bad.ch[1].pad = 1; break;
		case 16: bad.ch[1].reserved[1] = 1; break;
		case 17: bad.pad[0] = 1; break;
		case 18: bad.reserved[0] = 1; break;
		case 19: bad.refresh = 2; break;
		}
		before = a;
		assert_int_equal(vhv_pit_restore(&a, &bad, 2 * MS), -EINVAL);
		assert_memory_equal(&a, &before, sizeof(a));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_state),
		cmocka_unit_test(test_mode0_interrupt_on_terminal_count),
		cmocka_unit_test(test_mode0_first_byte_stops_count),
		cmocka_unit_test(test_mode1_gate_triggered_one_shot),
		cmocka_unit_test(test_mode2_rate_generator),
		cmocka_unit_test(test_mode2_new_count_at_period_end),
		cmocka_unit_test(test_mode3_square_wave),
		cmocka_unit_test(test_mode4_software_strobe),
		cmocka_unit_test(test_mode5_hardware_strobe),
		cmocka_unit_test(test_gate_pauses_and_restarts),
		cmocka_unit_test(test_access_modes),
		cmocka_unit_test(test_counter_latch),
		cmocka_unit_test(test_read_back),
		cmocka_unit_test(test_port61),
		cmocka_unit_test(test_linux_pit_calibrate_tsc),
		cmocka_unit_test(test_linux_quick_pit_calibrate),
		cmocka_unit_test(test_linux_clockevent),
		cmocka_unit_test(test_irq0_periods),
		cmocka_unit_test(test_reload_zero_is_65536),
		cmocka_unit_test(test_large_now),
		cmocka_unit_test(test_write_reports_irq0_changes),
		cmocka_unit_test(test_save_restore_other_clock),
		cmocka_unit_test(test_save_restore_pending_and_latches),
		cmocka_unit_test(test_restore_young_clock),
		cmocka_unit_test(test_restore_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
