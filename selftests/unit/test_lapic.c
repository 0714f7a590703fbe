// SPDX-License-Identifier: GPL-2.0
/* Unit tests of the portable local APIC model (kmod/irq/lapic.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kmod/irq/lapic.h"

#define BASE_VALID	(0xfffff000ull | VHV_APICBASE_BSP | VHV_APICBASE_X2APIC | \
			 VHV_APICBASE_ENABLE)

static struct vhv_lapic a;
static struct vhv_lapic_out out;

static int setup(void **state)
{
	(void)state;
	vhv_lapic_reset(&a, 3, true);
	return 0;
}

static void w(u32 off, u32 val, u64 now)
{
	vhv_lapic_mmio_write(&a, off, val, now, &out);
}

static u32 r(u32 off, u64 now)
{
	return vhv_lapic_mmio_read(&a, off, now);
}

static void enable(void)
{
	w(VHV_APIC_SVR, 0x1ff, 0);
}

static void reset_values(void **state)
{
	(void)state;
	assert_int_equal(a.base, 0xfee00000ull | VHV_APICBASE_ENABLE | VHV_APICBASE_BSP);
	assert_int_equal(r(VHV_APIC_ID, 0), 3u << 24);
	assert_int_equal(r(VHV_APIC_VERSION, 0), 0x50014);
	assert_int_equal(r(VHV_APIC_SVR, 0), 0xff);
	assert_int_equal(r(VHV_APIC_DFR, 0), 0xffffffff);
	assert_int_equal(r(VHV_APIC_LVT_TIMER, 0), VHV_APIC_LVT_MASKED);
	assert_int_equal(r(VHV_APIC_LVT_LINT0, 0), VHV_DM_EXTINT << 8);	/* BSP */
	assert_int_equal(r(VHV_APIC_LVT_LINT1, 0), VHV_APIC_LVT_MASKED);
	assert_false(vhv_lapic_sw_enabled(&a));
	assert_true(vhv_lapic_accepts_extint(&a));
	vhv_lapic_reset(&a, 1, false);
	assert_false(vhv_lapic_accepts_extint(&a));	/* APs: LINT0 masked */
}

static void disabled_apic_drops_fixed(void **state)
{
	(void)state;
	assert_false(vhv_lapic_accept(&a, 0x40, false));	/* SVR off */
	enable();
	assert_true(vhv_lapic_accept(&a, 0x40, false));
	assert_false(vhv_lapic_accept(&a, 0x40, false));	/* already requested */
	assert_false(vhv_lapic_accept(&a, 5, false));		/* illegal vector */
	w(VHV_APIC_ESR, 0, 0);
	assert_int_equal(r(VHV_APIC_ESR, 0), 1u << 6);
}

static void priorities_and_eoi(void **state)
{
	(void)state;
	enable();
	vhv_lapic_accept(&a, 0x41, false);
	vhv_lapic_accept(&a, 0x80, true);
	assert_int_equal(vhv_lapic_pending(&a), 0x80);
	vhv_lapic_ack(&a, 0x80);
	assert_int_equal(r(VHV_APIC_PPR, 0), 0x80);
	/* 0x41 is below the in-service class: held. */
	assert_int_equal(vhv_lapic_pending(&a), -1);
	/* Same class as in service: still held. */
	vhv_lapic_accept(&a, 0x8f, false);
	assert_int_equal(vhv_lapic_pending(&a), -1);
	/* Higher class preempts. */
	vhv_lapic_accept(&a, 0x90, false);
	assert_int_equal(vhv_lapic_pending(&a), 0x90);
	vhv_lapic_ack(&a, 0x90);
	w(VHV_APIC_EOI, 0, 0);	/* ends 0x90 (edge) */
	assert_int_equal(out.actions & VHV_LAPIC_ACT_EOI_LEVEL, 0);
	assert_int_equal(vhv_lapic_pending(&a), -1);	/* 0x80 still in service */
	w(VHV_APIC_EOI, 0, 0);	/* ends 0x80: level, goes to the IOAPIC */
	assert_true(out.actions & VHV_LAPIC_ACT_EOI_LEVEL);
	assert_int_equal(out.eoi_vector, 0x80);
	assert_int_equal(vhv_lapic_pending(&a), 0x8f);
	/* EOI with nothing in service does nothing. */
	vhv_lapic_ack(&a, 0x8f);
	w(VHV_APIC_EOI, 0, 0);
	w(VHV_APIC_EOI, 0, 0);
	assert_int_equal(out.actions, 0);
	/* TPR */
	w(VHV_APIC_TPR, 0x50, 0);
	assert_int_equal(vhv_lapic_pending(&a), -1);	/* 0x41 < 0x50 */
	vhv_lapic_set_cr8(&a, 3);
	assert_int_equal(r(VHV_APIC_TPR, 0), 0x30);
	assert_int_equal(vhv_lapic_pending(&a), 0x41);
	assert_int_equal(vhv_lapic_get_cr8(&a), 3);
}

static void icr_sends(void **state)
{
	(void)state;
	enable();
	w(VHV_APIC_ICR2, 0x05000000, 0);
	w(VHV_APIC_ICR, 0x4000 | 0x8000 | 0x831, 0);	/* level, logical, 0x31 */
	assert_true(out.actions & VHV_LAPIC_ACT_IPI);
	assert_int_equal(out.ipi.dest, 5);
	assert_int_equal(out.ipi.vector, 0x31);
	assert_true(out.ipi.dest_logical);
	assert_true(out.ipi.level);
	assert_true(out.ipi.dest8);	/* an xAPIC's ICR names 8 bits */
	assert_int_equal(out.shorthand, VHV_APIC_DEST_NONE);
	assert_int_equal(r(VHV_APIC_ICR, 0) & (1u << 12), 0);	/* idle */
	w(VHV_APIC_ICR, 0xc0000 | 0x4500, 0);	/* INIT to all but self */
	assert_int_equal(out.ipi.delivery_mode, VHV_DM_INIT);
	assert_int_equal(out.shorthand, VHV_APIC_DEST_OTHERS);
	w(VHV_APIC_ICR, 0x8500, 0);		/* INIT level de-assert */
	assert_int_equal(out.actions, 0);
	w(VHV_APIC_ICR, 0x40000 | 0x0f, 0);	/* fixed vector 15: illegal */
	assert_int_equal(out.actions, 0);
}

static void destinations(void **state)
{
	struct vhv_irq_msg m = { .dest = 3 };

	(void)state;
	assert_true(vhv_lapic_match_dest(&a, &m));
	m.dest = 4;
	assert_false(vhv_lapic_match_dest(&a, &m));
	m.dest = 0xff;
	assert_true(vhv_lapic_match_dest(&a, &m));	/* broadcast */
	/* flat logical */
	w(VHV_APIC_LDR, 0x04000000, 0);
	m = (struct vhv_irq_msg) { .dest = 0x06, .dest_logical = true };
	assert_true(vhv_lapic_match_dest(&a, &m));
	m.dest = 0x09;
	assert_false(vhv_lapic_match_dest(&a, &m));
	/* cluster: cluster 2, member bit 1 */
	w(VHV_APIC_DFR, 0x0fffffff, 0);
	w(VHV_APIC_LDR, 0x22000000, 0);
	m.dest = 0x23;
	assert_true(vhv_lapic_match_dest(&a, &m));
	m.dest = 0x13;
	assert_false(vhv_lapic_match_dest(&a, &m));
}

static void timer_oneshot_and_periodic(void **state)
{
	(void)state;
	enable();
	w(VHV_APIC_TDCR, 0x3, 0);		/* divide by 16 */
	w(VHV_APIC_LVT_TIMER, 0x40, 0);
	w(VHV_APIC_TMICT, 1000, 100);
	assert_true(out.actions & VHV_LAPIC_ACT_TIMER);
	assert_int_equal(vhv_lapic_timer_expiry(&a), 100 + 16000);
	assert_int_equal(r(VHV_APIC_TMCCT, 100 + 1600), 900);
	assert_true(vhv_lapic_timer_fire(&a, 16100));
	assert_int_equal(vhv_lapic_timer_expiry(&a), 0);
	assert_int_equal(r(VHV_APIC_TMCCT, 20000), 0);
	assert_int_equal(vhv_lapic_pending(&a), 0x40);
	/* periodic, with the floor */
	w(VHV_APIC_TDCR, 0xb, 0);		/* divide by 1 */
	w(VHV_APIC_LVT_TIMER, 0x41 | 1u << 17, 0);
	w(VHV_APIC_TMICT, 10, 1000);
	assert_int_equal(vhv_lapic_timer_expiry(&a), 1000 + VHV_LAPIC_MIN_PERIOD_NS);
	w(VHV_APIC_TMICT, 500000, 1000);
	assert_int_equal(vhv_lapic_timer_expiry(&a), 501000);
	vhv_lapic_timer_fire(&a, 501000);
	assert_int_equal(vhv_lapic_timer_expiry(&a), 1001000);
	/* Far behind: one interrupt, the next period from now. */
	vhv_lapic_timer_fire(&a, 9000000);
	assert_int_equal(vhv_lapic_timer_expiry(&a), 9500000);
	/* Masked: no interrupt, but it keeps counting. */
	w(VHV_APIC_LVT_TIMER, 0x41 | 1u << 17 | VHV_APIC_LVT_MASKED, 0);
	w(VHV_APIC_EOI, 0, 0);
	assert_false(vhv_lapic_timer_fire(&a, 9500000));
	/* A mode change stops it; TMICT 0 stops it. */
	w(VHV_APIC_LVT_TIMER, 0x41, 0);
	assert_int_equal(vhv_lapic_timer_expiry(&a), 0);
	w(VHV_APIC_TMICT, 0, 0);
	assert_int_equal(vhv_lapic_timer_expiry(&a), 0);
	/* TSC deadline mode ignores TMICT; the caller sets the deadline. */
	w(VHV_APIC_LVT_TIMER, 0x42 | 2u << 17, 0);
	w(VHV_APIC_TMICT, 100, 0);
	assert_int_equal(vhv_lapic_timer_expiry(&a), 0);
	vhv_lapic_set_deadline(&a, 777);
	assert_int_equal(vhv_lapic_timer_expiry(&a), 777);
	/* ... also once a deadline is armed: it stays (it was disarmed). */
	w(VHV_APIC_TMICT, 100, 10);
	assert_int_equal(vhv_lapic_timer_expiry(&a), 777);
	assert_true(vhv_lapic_timer_fire(&a, 800));
	assert_int_equal(vhv_lapic_timer_expiry(&a), 0);
}

static void svr_disable_masks_lvts(void **state)
{
	(void)state;
	enable();
	w(VHV_APIC_LVT_LINT1, VHV_DM_NMI << 8, 0);
	assert_true(vhv_lapic_lint1_nmi(&a));
	w(VHV_APIC_SVR, 0xff, 0);
	assert_true(r(VHV_APIC_LVT_LINT1, 0) & VHV_APIC_LVT_MASKED);
	assert_false(vhv_lapic_lint1_nmi(&a));
	w(VHV_APIC_LVT_LINT1, VHV_DM_NMI << 8, 0);	/* stays masked */
	assert_true(r(VHV_APIC_LVT_LINT1, 0) & VHV_APIC_LVT_MASKED);
}

static void base_transitions(void **state)
{
	u64 xapic = 0xfee00000ull | VHV_APICBASE_ENABLE | VHV_APICBASE_BSP;
	u64 v;

	(void)state;
	assert_int_equal(vhv_lapic_set_base(&a, xapic | 1, BASE_VALID), -EINVAL);
	assert_int_equal(vhv_lapic_set_base(&a, 0xfee00000ull | VHV_APICBASE_X2APIC,
					    BASE_VALID), -EINVAL);	/* x2 without EN */
	assert_int_equal(vhv_lapic_set_base(&a, xapic | VHV_APICBASE_X2APIC, BASE_VALID), 0);
	assert_true(vhv_lapic_x2apic(&a));
	assert_int_equal(vhv_lapic_id(&a), 3);
	assert_int_equal(vhv_lapic_msr_read(&a, 0x802, &v, 0), 0);
	assert_int_equal(v, 3);
	assert_int_equal(vhv_lapic_msr_read(&a, 0x80d, &v, 0), 0);	/* LDR */
	assert_int_equal(v, 1u << 3);
	assert_int_equal(vhv_lapic_set_base(&a, xapic, BASE_VALID), -EINVAL);
	assert_int_equal(vhv_lapic_set_base(&a, 0xfee00000ull | VHV_APICBASE_BSP,
					    BASE_VALID), 0);	/* disable */
	assert_int_equal(vhv_lapic_set_base(&a, xapic | VHV_APICBASE_X2APIC, BASE_VALID),
			 -EINVAL);	/* disabled -> x2APIC */
	assert_int_equal(vhv_lapic_set_base(&a, xapic, BASE_VALID), 0);
	assert_int_equal(r(VHV_APIC_ID, 0), 3u << 24);
	assert_int_equal(vhv_lapic_msr_read(&a, 0x802, &v, 0), -EINVAL);	/* xAPIC now */
}

static void x2apic_msrs(void **state)
{
	u64 v;

	(void)state;
	vhv_lapic_set_base(&a, a.base | VHV_APICBASE_X2APIC, BASE_VALID);
	assert_int_equal(vhv_lapic_msr_write(&a, 0x80f, 0x1ff, 0, &out), 0);
	assert_int_equal(vhv_lapic_msr_write(&a, 0x80b, 1, 0, &out), -EINVAL);
	assert_int_equal(vhv_lapic_msr_write(&a, 0x80b, 0, 0, &out), 0);
	assert_int_equal(vhv_lapic_msr_read(&a, 0x80b, &v, 0), -EINVAL);	/* EOI */
	assert_int_equal(vhv_lapic_msr_read(&a, 0x80e, &v, 0), -EINVAL);	/* DFR */
	assert_int_equal(vhv_lapic_msr_read(&a, 0x809, &v, 0), -EINVAL);	/* APR */
	assert_int_equal(vhv_lapic_msr_read(&a, 0x82f, &v, 0), -EINVAL);	/* CMCI */
	assert_int_equal(vhv_lapic_msr_write(&a, 0x802, 1, 0, &out), -EINVAL);
	assert_int_equal(vhv_lapic_msr_write(&a, 0x808, 1ull << 32, 0, &out), -EINVAL);
	assert_int_equal(vhv_lapic_msr_write(&a, 0x83f, 0x1ff, 0, &out), -EINVAL);
	assert_int_equal(vhv_lapic_msr_write(&a, 0x83f, 0x66, 0, &out), 0);
	assert_int_equal(vhv_lapic_pending(&a), 0x66);
	assert_int_equal(vhv_lapic_msr_write(&a, 0x830, 7ull << 32 | 0x4033, 0, &out), 0);
	assert_true(out.actions & VHV_LAPIC_ACT_IPI);
	assert_int_equal(out.ipi.dest, 7);
	assert_false(out.ipi.dest8);	/* an x2APIC's names 32 */
	assert_int_equal(vhv_lapic_msr_read(&a, 0x830, &v, 0), 0);
	assert_int_equal(v, 7ull << 32 | 0x4033);
	assert_int_equal(vhv_lapic_msr_write(&a, 0x830, 1ull << 13, 0, &out), -EINVAL);
	/* x2APIC: logical cluster from the LDR, 32-bit broadcast */
	{
		struct vhv_irq_msg m = { .dest = 0x00000008, .dest_logical = true };

		assert_true(vhv_lapic_match_dest(&a, &m));
		m.dest = 0x00010008;
		assert_false(vhv_lapic_match_dest(&a, &m));
		m = (struct vhv_irq_msg) { .dest = 0xffffffff };
		assert_true(vhv_lapic_match_dest(&a, &m));
		/* 0xff from an IOAPIC or MSI is everyone; from an IPI, ID 255. */
		m = (struct vhv_irq_msg) { .dest = 0xff, .dest8 = true };
		assert_true(vhv_lapic_match_dest(&a, &m));
		m.dest_logical = true;
		assert_true(vhv_lapic_match_dest(&a, &m));
		m = (struct vhv_irq_msg) { .dest = 0xff };
		assert_false(vhv_lapic_match_dest(&a, &m));
	}
	/* ... also for a LAPIC outside cluster 0, whom logical 0xff misses. */
	{
		struct vhv_lapic b;
		struct vhv_irq_msg m = { .dest = 0xff, .dest_logical = true };

		vhv_lapic_reset(&b, 0x25, false);
		vhv_lapic_set_base(&b, b.base | VHV_APICBASE_ENABLE, BASE_VALID);
		vhv_lapic_set_base(&b, b.base | VHV_APICBASE_X2APIC, BASE_VALID);
		assert_true(vhv_lapic_x2apic(&b));
		assert_false(vhv_lapic_match_dest(&b, &m));
		m.dest8 = true;
		assert_true(vhv_lapic_match_dest(&b, &m));
	}
}

/* INIT keeps x2APIC mode and the ID, so the read-only LDR stays derived. */
static void x2apic_init_keeps_ldr(void **state)
{
	u64 v;

	(void)state;
	vhv_lapic_set_base(&a, a.base | VHV_APICBASE_X2APIC, BASE_VALID);
	vhv_lapic_init_signal(&a);
	assert_true(vhv_lapic_x2apic(&a));
	assert_int_equal(vhv_lapic_msr_read(&a, 0x802, &v, 0), 0);
	assert_int_equal(v, 3);
	assert_int_equal(vhv_lapic_msr_read(&a, 0x80d, &v, 0), 0);
	assert_int_equal(v, 1u << 3);
	{
		struct vhv_irq_msg m = { .dest = 0x00000008, .dest_logical = true };

		assert_true(vhv_lapic_match_dest(&a, &m));
	}
}

static void random_writes_are_safe(void **state)
{
	u64 seed = 12345, v;
	int i;

	(void)state;
	enable();
	for (i = 0; i < 200000; i++) {
		u32 off;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		off = (seed >> 20) & 0xfff;
		if (seed & 1)
			w(off, seed >> 32, i);
		else
			(void)r(off, i);
		if (!(i % 97))
			vhv_lapic_timer_fire(&a, i + 1000000);
		if (!(i % 13))
			vhv_lapic_msr_write(&a, 0x800 + ((seed >> 40) & 0xff), seed, i, &out);
		if (!(i % 17))
			(void)vhv_lapic_msr_read(&a, 0x800 + ((seed >> 44) & 0xff), &v, i);
		if (vhv_lapic_pending(&a) >= 0 && (seed & 2))
			vhv_lapic_ack(&a, vhv_lapic_pending(&a));
	}
	/* The timer never fires more often than the floor allows. */
	if (a.timer_period_ns)
		assert_true(a.timer_period_ns >= VHV_LAPIC_MIN_PERIOD_NS);
}

/* The highest vector set in the 256-bit register at off, or -1. */
static int highest(u32 off)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 v = r(off + 16 * i, 0);

		if (v)
			return i * 32 + 31 - __builtin_clz(v);
	}
	return -1;
}

/* A vector bit of the 256-bit register at off, set straight in the state. */
static void put_vec(u32 off, u8 v)
{
	a.regs[(off >> 4) + (v >> 5)] |= 1u << (v & 31);
}

/*
 * One call of vhv_lapic_entry against the manual's rules, read back through
 * the registers: deliver the highest IRR vector whose class is above the
 * PPR's; one above the ISR's class but not the TPR's is held by the TPR
 * alone; a hardware-disabled APIC delivers nothing.  pending set by the
 * PIC beforehand stays set.  Only a delivery changes a register: its IRR
 * bit goes to the ISR.
 */
static void check_entry(bool take, bool pic_pending)
{
	struct vhv_irq_entry e = { .vector = -1, .pending = pic_pending, .tpr_blocked = -1 };
	int irr = highest(VHV_APIC_IRR), isr = highest(VHV_APIC_ISR);
	u32 tpr = r(VHV_APIC_TPR, 0) & 0xf0, ppr = r(VHV_APIC_PPR, 0) & 0xf0;
	u32 isr_class = isr < 0 ? 0 : (u32)isr & 0xf0;
	int want_take = -1, want_blocked = -1;
	bool want_pending = pic_pending;
	u32 before[64];

	if (irr >= 0 && vhv_lapic_hw_enabled(&a)) {
		if (((u32)irr & 0xf0) > ppr) {
			if (take)
				want_take = irr;
			else
				want_pending = true;
		} else if (((u32)irr & 0xf0) > isr_class && ((u32)irr & 0xf0) <= tpr) {
			want_blocked = irr;
		}
	}
	memcpy(before, a.regs, sizeof(before));
	/* The entry's lock-free precheck agrees with the registers. */
	assert_int_equal(vhv_lapic_irr_any(&a), irr >= 0);
	vhv_lapic_entry(&a, take, &e);
	assert_int_equal(e.vector, want_take);
	assert_int_equal(e.pending, want_pending);
	assert_int_equal(e.tpr_blocked, want_blocked);
	if (want_take >= 0) {
		u32 w = (u32)want_take >> 5, bit = 1u << (want_take & 31);

		before[(VHV_APIC_IRR >> 4) + w] &= ~bit;
		before[(VHV_APIC_ISR >> 4) + w] |= bit;
		assert_int_equal(vhv_lapic_pending(&a), -1);
	}
	assert_memory_equal(before, a.regs, sizeof(before));
}

static void entry_pass_matches_priority_rules(void **state)
{
	u64 seed = 777;
	int i, word;

	(void)state;
	enable();
	/* One vector in each IRR word, alone: taken, or pending. */
	for (word = 0; word < 8; word++) {
		u8 v = word ? 32 * word + 5 : 16;

		setup(NULL);
		enable();
		put_vec(VHV_APIC_IRR, v);
		check_entry(false, false);
		check_entry(true, false);
		assert_int_equal(highest(VHV_APIC_ISR), v);
		/* In service alone, nothing requested: nothing to do. */
		check_entry(true, false);
		check_entry(false, true);
	}
	/* A hardware-disabled APIC delivers nothing. */
	setup(NULL);
	enable();
	put_vec(VHV_APIC_IRR, 0xef);
	a.base &= ~(u64)VHV_APICBASE_ENABLE;
	check_entry(true, false);
	check_entry(false, true);
	/* Sparse random states, from empty to a few bits each. */
	for (i = 0; i < 200000; i++) {
		int n;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		setup(NULL);
		enable();
		for (n = (seed >> 8) % 4; n > 0; n--)
			put_vec(VHV_APIC_IRR, 16 + (seed >> (10 + 8 * n)) % 240);
		for (n = (seed >> 40) % 3; n > 0; n--)
			put_vec(VHV_APIC_ISR, 16 + (seed >> (42 + 7 * n)) % 240);
		w(VHV_APIC_TPR, (seed >> 56) & 0xff, 0);
		if (!((seed >> 4) % 16))
			a.base &= ~(u64)VHV_APICBASE_ENABLE;
		check_entry(seed & 1, seed & 2);
		check_entry(seed & 4, false);	/* and again, after what it did */
	}
}

/* ---- save/restore ------------------------------------------------------------- */

static u32 page32(const struct vhv_lapic_state *s, u32 off)
{
	return s->regs[off] | s->regs[off + 1] << 8 | s->regs[off + 2] << 16 |
	       (u32)s->regs[off + 3] << 24;
}

static void put32(struct vhv_lapic_state *s, u32 off, u32 v)
{
	s->regs[off] = v;
	s->regs[off + 1] = v >> 8;
	s->regs[off + 2] = v >> 16;
	s->regs[off + 3] = v >> 24;
}

/* A busy APIC restored on another clock: same registers, same timer. */
static void save_restore(void **state)
{
	static struct vhv_lapic b;
	struct vhv_lapic_state s, s2;
	u64 ta = 5000000000ull, tb = 700000;

	(void)state;
	enable();
	w(VHV_APIC_TPR, 0x21, 0);
	w(VHV_APIC_TDCR, 0x1, 0);		/* divide by 4 */
	w(VHV_APIC_LVT_TIMER, 0x40 | 1u << 17, 0);
	w(VHV_APIC_TMICT, 250000, ta - 3300000);	/* 1 ms periods */
	vhv_lapic_timer_fire(&a, ta - 2300000);
	vhv_lapic_timer_fire(&a, ta - 1300000);
	vhv_lapic_timer_fire(&a, ta - 300000);
	vhv_lapic_ack(&a, 0x40);
	vhv_lapic_accept(&a, 0x91, true);
	vhv_lapic_accept(&a, 0x35, false);
	w(VHV_APIC_ICR2, 0x07000000, 0);
	w(VHV_APIC_ICR, 0x50, 0);
	w(VHV_APIC_LVT_LINT1, 0x400, 0);	/* NMI */
	vhv_lapic_accept(&a, 3, false);		/* an error for ESR */

	vhv_lapic_save(&a, ta, &s);
	assert_int_equal(s.apic_base, a.base);
	assert_int_equal(page32(&s, VHV_APIC_ID), 3u << 24);
	assert_int_equal(page32(&s, VHV_APIC_PPR), 0x40);
	assert_int_equal(page32(&s, VHV_APIC_TMCCT), 250000 - 300000 / 4);
	assert_int_equal(page32(&s, VHV_APIC_ISR + 0x20), 1);	/* 0x40 */
	assert_int_equal(page32(&s, VHV_APIC_TMR + 0x40), 1u << 17);	/* 0x91 */
	assert_int_equal(s.flags, VHV_LAPIC_TIMER_ARMED);
	assert_int_equal(s.timer_period_ns, 1000000);
	assert_int_equal(s.timer_remaining_ns, 700000);
	assert_int_equal(s.timer_elapsed_ns, 300000);
	assert_int_equal(s.esr_pending, 1u << 6);

	vhv_lapic_reset(&b, 0, false);
	assert_int_equal(vhv_lapic_restore(&b, &s, tb, BASE_VALID), 0);
	vhv_lapic_save(&b, tb, &s2);
	assert_memory_equal(&s, &s2, sizeof(s));
	assert_int_equal(vhv_lapic_timer_expiry(&b), tb + 700000);
	assert_int_equal(vhv_lapic_pending(&b), vhv_lapic_pending(&a));
	assert_int_equal(vhv_lapic_mmio_read(&b, VHV_APIC_TMCCT, tb + 500000),
			 r(VHV_APIC_TMCCT, ta + 500000));
	/* It fires and goes on at the same period. */
	assert_true(vhv_lapic_timer_fire(&b, tb + 700000) ==
		    vhv_lapic_timer_fire(&a, ta + 700000));
	assert_int_equal(vhv_lapic_timer_expiry(&b) - tb, vhv_lapic_timer_expiry(&a) - ta);
	/* The in-service 0x40 EOIs, the level 0x91 goes to the IOAPIC after. */
	vhv_lapic_mmio_write(&b, VHV_APIC_EOI, 0, tb, &out);
	assert_false(out.actions & VHV_LAPIC_ACT_EOI_LEVEL);
	assert_int_equal(vhv_lapic_pending(&b), 0x91);
}

static void save_restore_x2apic_and_deadline(void **state)
{
	static struct vhv_lapic b;
	struct vhv_lapic_state s, s2;

	(void)state;
	enable();
	assert_int_equal(vhv_lapic_set_base(&a, a.base | VHV_APICBASE_X2APIC, BASE_VALID), 0);
	w(VHV_APIC_LVT_TIMER, 0x42 | 2u << 17, 0);
	vhv_lapic_set_deadline(&a, 5555);
	vhv_lapic_save(&a, 1000, &s);
	assert_int_equal(page32(&s, VHV_APIC_ID), 3);
	assert_int_equal(page32(&s, VHV_APIC_LDR), 1u << 3);
	/* A deadline is the caller's (the MSR): no relative timer. */
	assert_int_equal(s.flags, 0);
	assert_int_equal(s.timer_remaining_ns, 0);
	vhv_lapic_reset(&b, 3, true);
	assert_int_equal(vhv_lapic_restore(&b, &s, 2000, BASE_VALID), 0);
	assert_true(vhv_lapic_x2apic(&b));
	assert_int_equal(vhv_lapic_timer_expiry(&b), 0);
	vhv_lapic_save(&b, 2000, &s2);
	assert_memory_equal(&s, &s2, sizeof(s));
	/* Straight back to xAPIC, as a restore may. */
	vhv_lapic_reset(&b, 3, true);
	vhv_lapic_save(&b, 0, &s2);
	assert_int_equal(vhv_lapic_restore(&a, &s2, 0, BASE_VALID), 0);
	assert_false(vhv_lapic_x2apic(&a));
	assert_int_equal(vhv_lapic_id(&a), 3);
}

static void restore_rejects(void **state)
{
	static struct vhv_lapic before;
	struct vhv_lapic_state good, bad;
	unsigned int i;

	(void)state;
	enable();
	w(VHV_APIC_LVT_TIMER, 0x40 | 1u << 17, 0);
	w(VHV_APIC_TMICT, 200000, 0);
	vhv_lapic_save(&a, 50, &good);
	assert_int_equal(vhv_lapic_restore(&a, &good, 50, BASE_VALID), 0);
	for (i = 0; i < 24; i++) {
		bad = good;
		switch (i) {
		case 0: bad.reserved[0] = 1; break;
		case 1: bad.flags |= 2; break;
		case 2: bad.esr_pending = 1; break;
		case 3: bad.apic_base |= 1ull << 40; break;
		case 4: bad.apic_base = (bad.apic_base & ~VHV_APICBASE_ENABLE) |
					VHV_APICBASE_X2APIC; break;
		case 5: bad.regs[VHV_APIC_TPR + 4] = 1; break;
		case 6: bad.regs[0x10] = 1; break;		/* no register */
		case 7: put32(&bad, VHV_APIC_ID, 1); break;
		case 8: put32(&bad, VHV_APIC_SVR, 0x400); break;
		case 9: put32(&bad, VHV_APIC_IRR, 1u << 15); break;
		case 10: put32(&bad, VHV_APIC_TMR, 1); break;
		case 11: put32(&bad, VHV_APIC_DFR, 0xf0000000); break;
		case 12: put32(&bad, VHV_APIC_ICR, 1u << 12); break;	/* delivery status */
		case 13: put32(&bad, VHV_APIC_LVT_ERROR, 0x700); break;
		case 14: put32(&bad, VHV_APIC_TDCR, 0x10); break;
		case 15: put32(&bad, VHV_APIC_LDR, 1); break;
		case 16: bad.timer_period_ns = VHV_LAPIC_MIN_PERIOD_NS - 1; break;
		case 17: bad.timer_period_ns = (1ull << 39) + 1; break;
		case 18: bad.timer_remaining_ns = (1ull << 39) + 1; break;
		case 19: put32(&bad, VHV_APIC_LVT_TIMER, 0x40); break;	/* one-shot, period */
		case 20: put32(&bad, VHV_APIC_LVT_TIMER, 0x40 | 2u << 17); break;
		case 21: bad.flags = 0; break;		/* times without ARMED */
		case 22: bad.apic_base |= VHV_APICBASE_X2APIC;	/* LDR of an xAPIC */
			 break;
		case 23: bad.apic_base |= VHV_APICBASE_X2APIC;
			 put32(&bad, VHV_APIC_ID, 0x100);
			 put32(&bad, VHV_APIC_LDR, 0x100001);
			 put32(&bad, VHV_APIC_ICR2, 0); break;
		}
		before = a;
		assert_int_equal(vhv_lapic_restore(&a, &bad, 60, BASE_VALID), -EINVAL);
		assert_memory_equal(&a, &before, sizeof(a));
	}
	/* PPR, the current count and VERSION are not taken: anything goes. */
	bad = good;
	put32(&bad, VHV_APIC_PPR, 0xffffffff);
	put32(&bad, VHV_APIC_TMCCT, 0xffffffff);
	put32(&bad, VHV_APIC_VERSION, 0x12345678);
	assert_int_equal(vhv_lapic_restore(&a, &bad, 60, BASE_VALID), 0);
	assert_int_equal(r(VHV_APIC_VERSION, 60), 0x50014);
	assert_int_equal(r(VHV_APIC_PPR, 60), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(reset_values, setup),
		cmocka_unit_test_setup(disabled_apic_drops_fixed, setup),
		cmocka_unit_test_setup(priorities_and_eoi, setup),
		cmocka_unit_test_setup(icr_sends, setup),
		cmocka_unit_test_setup(destinations, setup),
		cmocka_unit_test_setup(timer_oneshot_and_periodic, setup),
		cmocka_unit_test_setup(svr_disable_masks_lvts, setup),
		cmocka_unit_test_setup(base_transitions, setup),
		cmocka_unit_test_setup(x2apic_msrs, setup),
		cmocka_unit_test_setup(x2apic_init_keeps_ldr, setup),
		cmocka_unit_test_setup(random_writes_are_safe, setup),
		cmocka_unit_test_setup(entry_pass_matches_priority_rules, setup),
		cmocka_unit_test_setup(save_restore, setup),
		cmocka_unit_test_setup(save_restore_x2apic_and_deadline, setup),
		cmocka_unit_test_setup(restore_rejects, setup),
	};

	return cmocka_run_group_tests_name("lapic", tests, NULL, NULL);
}
