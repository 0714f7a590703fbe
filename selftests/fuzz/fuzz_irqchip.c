// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: vhv.ko's interrupt controllers and timers (kmod/irq/:
 * PIC, PIT, IOAPIC, two local APICs, HPET), wired as the module wires them
 * and driven by a program the input spells: guest register reads and
 * writes in any order and with any values, interrupt lines, EOIs,
 * acknowledgements, timer expiries, and VMM save/restore with states from
 * the input.  Besides what ASan and UBSan catch, each step checks what the
 * module relies on:
 *   - a periodic LAPIC timer's period is never below the floor, and one
 *     re-armed by its expiry (on time or late) lies in the future;
 *   - the PIT's next edge is after now, its period non-zero or absent;
 *   - a restore that fails changes nothing; a save restored at once reads
 *     back the same, and a state from the input that restores leaves one
 *     that does too (what migration needs);
 *   - the vector a LAPIC offers is one it has requested, above its PPR.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmod/irq/hpet.h"
#include "kmod/irq/ioapic.h"
#include "kmod/irq/lapic.h"
#include "kmod/irq/pic.h"
#include "kmod/irq/pit.h"
#include "selftests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NR_APICS	2
#define BASE_VALID	(0xfffffff000ull | VHV_APICBASE_BSP | VHV_APICBASE_X2APIC | \
			 VHV_APICBASE_ENABLE)	/* a 40-bit physical width */

struct machine {
	struct vhv_pic pic;
	struct vhv_pit pit;
	struct vhv_ioapic ioapic;
	struct vhv_lapic apic[NR_APICS];
	struct vhv_hpet hpet;
	u64 now;
	unsigned int depth;	/* IOAPIC -> LAPIC -> IOAPIC recursion guard */
};

/* What the module asks of a LAPIC timer whenever it (re)arms it. */
static void check_timer(const struct vhv_lapic *a)
{
	if (vhv_lapic_timer_mode(a) == VHV_LAPIC_TIMER_PERIODIC && a->timer_period_ns)
		CHECK(a->timer_period_ns >= VHV_LAPIC_MIN_PERIOD_NS);
}

static void check_pending(const struct vhv_lapic *a)
{
	int v = vhv_lapic_pending(a);

	if (v < 0)
		return;
	CHECK(v >= 16 && v <= 255);
	CHECK(a->regs[VHV_APIC_IRR / 16 + v / 32] & (1u << (v % 32)));
	CHECK((u32)(v & 0xf0) > (a->regs[VHV_APIC_PPR / 16] & 0xf0));
}

static void deliver(struct machine *m, const struct vhv_irq_msg *msg, int self,
		    u8 shorthand);

static void ioapic_send(void *ctx, const struct vhv_irq_msg *msg)
{
	deliver(ctx, msg, -1, VHV_APIC_DEST_NONE);
}

static void handle_out(struct machine *m, unsigned int n, const struct vhv_lapic_out *out)
{
	if (out->actions & VHV_LAPIC_ACT_IPI)
		deliver(m, &out->ipi, n, out->shorthand);
	if (out->actions & VHV_LAPIC_ACT_TIMER)
		check_timer(&m->apic[n]);
	if ((out->actions & VHV_LAPIC_ACT_EOI_LEVEL) && m->depth < 4) {
		m->depth++;
		vhv_ioapic_eoi(&m->ioapic, out->eoi_vector);
		m->depth--;
	}
}

/* As kmod/irq/irqchip.c routes a message: destinations, then acceptance. */
static void deliver(struct machine *m, const struct vhv_irq_msg *msg, int self,
		    u8 shorthand)
{
	unsigned int n;
	bool hit;

	for (n = 0; n < NR_APICS; n++) {
		switch (shorthand) {
		case VHV_APIC_DEST_SELF:
			hit = (int)n == self;
			break;
		case VHV_APIC_DEST_ALL:
			hit = true;
			break;
		case VHV_APIC_DEST_OTHERS:
			hit = (int)n != self;
			break;
		default:
			hit = vhv_lapic_match_dest(&m->apic[n], msg);
			break;
		}
		if (!hit)
			continue;
		if (msg->delivery_mode == VHV_DM_FIXED || msg->delivery_mode == VHV_DM_LOWEST)
			vhv_lapic_accept(&m->apic[n], msg->vector, msg->level);
		else if (msg->delivery_mode == VHV_DM_INIT)
			vhv_lapic_init_signal(&m->apic[n]);
		check_pending(&m->apic[n]);
	}
}

static void set_gsi(struct machine *m, unsigned int gsi, bool level)
{
	if (gsi < 16)
		vhv_pic_set_irq(&m->pic, gsi, level);
	CHECK(vhv_ioapic_set_irq(&m->ioapic, gsi, level) == (gsi < VHV_IOAPIC_PINS ? 0 : -EINVAL));
}

/*
 * A restore that fails leaves the model as it was; one that works leaves a
 * state whose save restores again and saves the same (idempotent).
 */
#define RESTORE(model, state, save_into, restore_from)			\
	do {								\
		__typeof__(*(model)) before = *(model);			\
		__typeof__(state) again, twice;				\
		int r_ = restore_from(&(state));			\
									\
		CHECK(r_ == 0 || r_ == -EINVAL);			\
		if (r_) {						\
			CHECK(!memcmp(&before, (model), sizeof(before)));\
		} else {						\
			memset(&again, 0, sizeof(again));		\
			memset(&twice, 0, sizeof(twice));		\
			save_into(&again);				\
			CHECK(!restore_from(&again));			\
			save_into(&twice);				\
			CHECK(!memcmp(&again, &twice, sizeof(again)));	\
		}							\
	} while (0)

static void op_apic(struct machine *m, struct input *in, u8 op)
{
	unsigned int n = take8(in) % NR_APICS;
	struct vhv_lapic *a = &m->apic[n];
	struct vhv_lapic_out out = { 0 };
	struct vhv_lapic_state s, s2;
	struct vhv_irq_entry e;
	u32 off = take32(in);
	u64 v = take64(in);
	bool xapic;

	/* As kmod/irq/irqchip.c decodes the page: only an enabled xAPIC has it. */
	xapic = vhv_lapic_hw_enabled(a) && !vhv_lapic_x2apic(a);
	switch (op % 11) {
	case 0:
		if (!xapic)
			break;
		vhv_lapic_mmio_write(a, off & 0xffc, (u32)v, m->now, &out);
		handle_out(m, n, &out);
		break;
	case 1:
		if (xapic)
			(void)vhv_lapic_mmio_read(a, off & 0xffc, m->now);
		break;
	case 2:
		if (!vhv_lapic_msr_write(a, VHV_X2APIC_MSR_BASE + (off & 0xff), v, m->now, &out))
			handle_out(m, n, &out);
		break;
	case 3:
		(void)vhv_lapic_msr_read(a, VHV_X2APIC_MSR_BASE + (off & 0xff), &v, m->now);
		break;
	case 4:
		CHECK(vhv_lapic_set_base(a, v, BASE_VALID) <= 0);
		check_timer(a);
		break;
	case 5:
		vhv_lapic_accept(a, (u8)off, off & 0x100);
		break;
	case 6:
		e = (struct vhv_irq_entry){ .vector = -1, .tpr_blocked = -1 };
		vhv_lapic_entry(a, off & 1, &e);
		CHECK(e.vector >= -1 && e.vector <= 255);
		break;
	case 7:	/* the hrtimer fires, on time or (a busy host) late */
		if (vhv_lapic_timer_expiry(a)) {
			if (vhv_lapic_timer_expiry(a) >= m->now)
				m->now = vhv_lapic_timer_expiry(a);
			m->now += off & 1 ? (u64)(off >> 1) * 1000 : 0;
			vhv_lapic_timer_fire(a, m->now);
			check_timer(a);
			if (vhv_lapic_timer_expiry(a))
				CHECK(vhv_lapic_timer_expiry(a) > m->now);
		}
		break;
	case 8:
		vhv_lapic_set_cr8(a, (u8)off);
		CHECK(vhv_lapic_get_cr8(a) == (off & 0xf));
		break;
	case 9:		/* the VMM saves, then restores what it saved */
		vhv_lapic_save(a, m->now, &s);
		CHECK(!vhv_lapic_restore(a, &s, m->now, BASE_VALID));
		vhv_lapic_save(a, m->now, &s2);
		CHECK(!memcmp(&s, &s2, sizeof(s)));
		check_timer(a);
		break;
	case 10:	/* the VMM restores what it likes */
		vhv_lapic_save(a, m->now, &s);
		take(in, &s, off & 1 ? sizeof(s) : 64);
#define SAVE(x) vhv_lapic_save(a, m->now, x)
#define LOAD(x) vhv_lapic_restore(a, x, m->now, BASE_VALID)
		RESTORE(a, s, SAVE, LOAD);
#undef SAVE
#undef LOAD
		check_timer(a);
		break;
	}
	check_pending(a);
}

static void op_hpet(struct machine *m, struct input *in, u8 op)
{
	static const u8 sizes[] = { 4, 8 };
	struct vhv_hpet_state s, s2;
	u32 off = take32(in);
	u64 v = take64(in), when;
	unsigned int gsi;
	u32 pulses;

	switch (op % 5) {
	case 0:
		vhv_hpet_write(&m->hpet, off % VHV_HPET_SIZE, sizes[off >> 31], v, m->now);
		break;
	case 1:
		(void)vhv_hpet_read(&m->hpet, off % VHV_HPET_SIZE, sizes[off >> 31], m->now);
		break;
	case 2:	/* the hrtimer fires: matches become lines and pulses */
		if (vhv_hpet_next(&m->hpet, m->now, VHV_LAPIC_MIN_PERIOD_NS, &when) &&
		    when > m->now && when - m->now < (1ull << 40))
			m->now = when;
		vhv_hpet_update(&m->hpet, m->now);
		pulses = vhv_hpet_take_pulses(&m->hpet);
		for (gsi = 0; gsi < 32; gsi++) {
			if (pulses & (1u << gsi)) {
				set_gsi(m, gsi, true);
				set_gsi(m, gsi, false);
			}
		}
		CHECK(!(vhv_hpet_lines(&m->hpet) & ~0xffffffu));
		break;
	case 3:
		vhv_hpet_save(&m->hpet, m->now, &s);
		CHECK(!vhv_hpet_restore(&m->hpet, &s, m->now));
		vhv_hpet_save(&m->hpet, m->now, &s2);
		CHECK(!memcmp(&s, &s2, sizeof(s)));
		break;
	case 4:
		vhv_hpet_save(&m->hpet, m->now, &s);
		take(in, &s, off & 1 ? sizeof(s) : 32);
#define SAVE(x) vhv_hpet_save(&m->hpet, m->now, x)
#define LOAD(x) vhv_hpet_restore(&m->hpet, x, m->now)
		RESTORE(&m->hpet, s, SAVE, LOAD);
#undef SAVE
#undef LOAD
		break;
	}
}

static void op_legacy(struct machine *m, struct input *in, u8 op)
{
	static const u16 pic_ports[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 };
	static const u16 pit_ports[] = { 0x40, 0x41, 0x42, 0x43, 0x61 };
	struct vhv_pit_state ps, ps2;
	struct vhv_pic_state cs, cs2;
	u8 a = take8(in), b = take8(in);
	u64 first, period;
	unsigned int chip = a & 1;

	switch (op % 10) {
	case 0:
		vhv_pic_write(&m->pic, pic_ports[a % 6], b);
		break;
	case 1:
		(void)vhv_pic_read(&m->pic, pic_ports[a % 6]);
		break;
	case 2:
		if (vhv_pic_output(&m->pic))
			(void)vhv_pic_ack(&m->pic);
		break;
	case 3:
		(void)vhv_pit_write(&m->pit, pit_ports[a % 5], b, m->now);
		break;
	case 4:
		(void)vhv_pit_read(&m->pit, pit_ports[a % 5], m->now);
		break;
	case 5:	/* the PIT's hrtimer: to the next edge, as the module arms it */
		if (vhv_pit_irq0_timer(&m->pit, m->now, &first, &period)) {
			CHECK(first > m->now);
			if (first - m->now < (1ull << 40))
				m->now = first;
			set_gsi(m, 0, true);
			set_gsi(m, 0, false);
		}
		break;
	case 6:
		vhv_pit_save(&m->pit, m->now, &ps);
		CHECK(!vhv_pit_restore(&m->pit, &ps, m->now));
		vhv_pit_save(&m->pit, m->now, &ps2);
		CHECK(!memcmp(&ps, &ps2, sizeof(ps)));
		take(in, &ps, sizeof(ps));
#define SAVE(x) vhv_pit_save(&m->pit, m->now, x)
#define LOAD(x) vhv_pit_restore(&m->pit, x, m->now)
		RESTORE(&m->pit, ps, SAVE, LOAD);
#undef SAVE
#undef LOAD
		break;
	case 7:
		vhv_pic_save(&m->pic, chip, &cs);
		CHECK(!vhv_pic_restore(&m->pic, chip, &cs));
		vhv_pic_save(&m->pic, chip, &cs2);
		CHECK(!memcmp(&cs, &cs2, sizeof(cs)));
		take(in, &cs, sizeof(cs));
#define SAVE(x) vhv_pic_save(&m->pic, chip, x)
#define LOAD(x) vhv_pic_restore(&m->pic, chip, x)
		RESTORE(&m->pic, cs, SAVE, LOAD);
#undef SAVE
#undef LOAD
		break;
	case 8:
		set_gsi(m, a % 32, b & 1);
		break;
	case 9:
		m->now += (u64)a << (b % 40);	/* time passes */
		break;
	}
}

static void op_ioapic(struct machine *m, struct input *in, u8 op)
{
	struct vhv_ioapic_state s, s2;
	u32 a = take32(in), b = take32(in);

	switch (op % 4) {
	case 0:
		vhv_ioapic_write(&m->ioapic, a & 0x10, b);
		break;
	case 1:
		(void)vhv_ioapic_read(&m->ioapic, a & 0x10);
		break;
	case 2:
		if (m->depth < 4) {
			m->depth++;
			vhv_ioapic_eoi(&m->ioapic, (u8)a);
			m->depth--;
		}
		break;
	case 3:
		vhv_ioapic_save(&m->ioapic, &s);
		CHECK(!vhv_ioapic_restore(&m->ioapic, &s));
		vhv_ioapic_save(&m->ioapic, &s2);
		CHECK(!memcmp(&s, &s2, sizeof(s)));
		take(in, &s, sizeof(s));
#define SAVE(x) vhv_ioapic_save(&m->ioapic, x)
#define LOAD(x) vhv_ioapic_restore(&m->ioapic, x)
		RESTORE(&m->ioapic, s, SAVE, LOAD);
#undef SAVE
#undef LOAD
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = { data, size };
	struct machine *m = calloc(1, sizeof(*m));
	unsigned int n, steps;
	u8 op;

	CHECK(m);
	m->now = 1000000000ull;
	vhv_pic_reset(&m->pic);
	vhv_pit_reset(&m->pit, m->now);
	vhv_ioapic_init(&m->ioapic, ioapic_send, m);
	for (n = 0; n < NR_APICS; n++)
		vhv_lapic_reset(&m->apic[n], n, n == 0);
	vhv_hpet_reset(&m->hpet);
	for (steps = 0; in.left && steps < 4096; steps++) {
		op = take8(&in);
		switch (op >> 6) {
		case 0:
			op_apic(m, &in, op);
			break;
		case 1:
			op_hpet(m, &in, op);
			break;
		case 2:
			op_legacy(m, &in, op);
			break;
		case 3:
			op_ioapic(m, &in, op);
			break;
		}
	}
	free(m);
	return 0;
}
