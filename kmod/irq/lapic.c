// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC model: registers, priorities, EOI, destinations and the
 * timer's arithmetic.  Everything that needs the kernel (locks, timers,
 * other vCPUs) is the caller's; this file only computes.
 */
#include "lapic.h"

#define REG(off)		((off) >> 4)
#define ESR_SEND_ILLEGAL	VHV_BIT(5)
#define ESR_RECV_ILLEGAL	VHV_BIT(6)
#define ESR_ILLEGAL_REG		VHV_BIT(7)
#define ICR_DELIVERY_STATUS	VHV_BIT(12)
#define ICR_LOGICAL		VHV_BIT(11)
#define ICR_ASSERT		VHV_BIT(14)
#define ICR_LEVEL		VHV_BIT(15)
#define LVT_TIMER_MODE_SHIFT	17
#define LVT_DM_SHIFT		8

static u32 *reg(struct vhv_lapic *a, u32 off)
{
	return &a->regs[REG(off) & 63];
}

static u32 get(const struct vhv_lapic *a, u32 off)
{
	return a->regs[REG(off) & 63];
}

/* ---- the 256-bit vectors: IRR, ISR, TMR -------------------------------- */

static bool vec_test(const struct vhv_lapic *a, u32 base, u8 v)
{
	return get(a, base + 16 * (v >> 5)) & (1u << (v & 31));
}

static void vec_set(struct vhv_lapic *a, u32 base, u8 v)
{
	*reg(a, base + 16 * (v >> 5)) |= 1u << (v & 31);
}

static void vec_clear(struct vhv_lapic *a, u32 base, u8 v)
{
	*reg(a, base + 16 * (v >> 5)) &= ~(1u << (v & 31));
}

/* Whether any vector is set: one pass with no branch per word. */
static bool vec_any(const struct vhv_lapic *a, u32 base)
{
	return get(a, base) | get(a, base + 0x10) | get(a, base + 0x20) |
	       get(a, base + 0x30) | get(a, base + 0x40) | get(a, base + 0x50) |
	       get(a, base + 0x60) | get(a, base + 0x70);
}

/* The highest vector set, or -1. */
static int vec_highest(const struct vhv_lapic *a, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = get(a, base + 16 * i);

		if (w)
			return i * 32 + 31 - __builtin_clz(w);
	}
	return -1;
}

static u32 ppr(const struct vhv_lapic *a)
{
	u32 tpr = get(a, VHV_APIC_TPR) & 0xff;
	int isrv = vec_highest(a, VHV_APIC_ISR);
	u32 isr_class = isrv < 0 ? 0 : (u32)isrv & 0xf0;

	return (tpr & 0xf0) >= isr_class ? tpr : isr_class;
}

/* ---- state ----------------------------------------------------------------- */

static void clear_state(struct vhv_lapic *a, bool bsp)
{
	u32 id = get(a, VHV_APIC_ID);
	unsigned int i;

	for (i = 0; i < 64; i++)
		a->regs[i] = 0;
	a->regs[REG(VHV_APIC_ID)] = id;
	a->regs[REG(VHV_APIC_VERSION)] = VHV_LAPIC_VERSION | VHV_LAPIC_MAX_LVT << 16;
	a->regs[REG(VHV_APIC_DFR)] = 0xffffffff;
	a->regs[REG(VHV_APIC_SVR)] = 0xff;
	for (i = VHV_APIC_LVT_TIMER; i <= VHV_APIC_LVT_ERROR; i += 16)
		a->regs[REG(i)] = VHV_APIC_LVT_MASKED;
	/*
	 * With no firmware to set up virtual-wire mode, the boot CPU's LINT0
	 * takes the PIC's ExtINT from the start (as KVM does), so a guest
	 * that never touches its APIC still gets PIC interrupts.
	 */
	if (bsp)
		a->regs[REG(VHV_APIC_LVT_LINT0)] = VHV_DM_EXTINT << LVT_DM_SHIFT;
	a->timer_start_ns = 0;
	a->timer_expiry_ns = 0;
	a->timer_period_ns = 0;
	a->esr_pending = 0;
}

void vhv_lapic_reset(struct vhv_lapic *a, u32 apic_id, bool bsp)
{
	a->base = VHV_LAPIC_DEFAULT_BASE | VHV_APICBASE_ENABLE |
		  (bsp ? VHV_APICBASE_BSP : 0);
	a->regs[REG(VHV_APIC_ID)] = apic_id << 24;
	clear_state(a, bsp);
}

/* x2APIC: the logical ID is the ID's cluster (bits 31:4) and one bit of 16. */
static u32 x2apic_ldr(u32 id)
{
	return (id >> 4) << 16 | 1u << (id & 15);
}

void vhv_lapic_init_signal(struct vhv_lapic *a)
{
	clear_state(a, a->base & VHV_APICBASE_BSP);
	/*
	 * INIT leaves IA32_APIC_BASE, so an x2APIC stays one: its read-only
	 * LDR must still follow the ID, or logical IPIs miss this CPU.
	 */
	if (vhv_lapic_x2apic(a))
		a->regs[REG(VHV_APIC_LDR)] = x2apic_ldr(get(a, VHV_APIC_ID));
}

bool vhv_lapic_hw_enabled(const struct vhv_lapic *a)
{
	return a->base & VHV_APICBASE_ENABLE;
}

bool vhv_lapic_sw_enabled(const struct vhv_lapic *a)
{
	return vhv_lapic_hw_enabled(a) && (get(a, VHV_APIC_SVR) & VHV_APIC_SVR_ENABLE);
}

bool vhv_lapic_x2apic(const struct vhv_lapic *a)
{
	return (a->base & (VHV_APICBASE_X2APIC | VHV_APICBASE_ENABLE)) ==
	       (VHV_APICBASE_X2APIC | VHV_APICBASE_ENABLE);
}

u32 vhv_lapic_id(const struct vhv_lapic *a)
{
	u32 id = get(a, VHV_APIC_ID);

	return vhv_lapic_x2apic(a) ? id : id >> 24;
}

int vhv_lapic_set_base(struct vhv_lapic *a, u64 val, u64 valid_mask)
{
	bool was_en = a->base & VHV_APICBASE_ENABLE, en = val & VHV_APICBASE_ENABLE;
	bool was_x2 = vhv_lapic_x2apic(a), x2 = val & VHV_APICBASE_X2APIC;
	u32 id = vhv_lapic_id(a);

	if ((val & ~valid_mask) || (x2 && !en) ||
	    (was_x2 && en && !x2) ||	/* x2APIC -> xAPIC: only via disabled */
	    (!was_en && en && x2))	/* disabled -> x2APIC: only via xAPIC */
		return -EINVAL;
	if (was_en && !en)
		clear_state(a, val & VHV_APICBASE_BSP);
	a->base = val;
	if (x2 && !was_x2) {
		/* x2APIC: the ID is 32 bits, the LDR derived from it. */
		a->regs[REG(VHV_APIC_ID)] = id;
		a->regs[REG(VHV_APIC_LDR)] = x2apic_ldr(id);
	} else if (!en && was_x2) {
		a->regs[REG(VHV_APIC_ID)] = id << 24;
	}
	return 0;
}

/* ---- timer ------------------------------------------------------------------ */

static u32 divide(const struct vhv_lapic *a)
{
	u32 v = get(a, VHV_APIC_TDCR);
	u32 code = (v & 3) | ((v & 8) >> 1);

	return 1u << ((code + 1) & 7);
}

enum vhv_lapic_timer_mode vhv_lapic_timer_mode(const struct vhv_lapic *a)
{
	u32 m = (get(a, VHV_APIC_LVT_TIMER) >> LVT_TIMER_MODE_SHIFT) & 3;

	return m == 2 ? VHV_LAPIC_TIMER_DEADLINE :
	       m == 1 ? VHV_LAPIC_TIMER_PERIODIC : VHV_LAPIC_TIMER_ONESHOT;
}

static void timer_stop(struct vhv_lapic *a)
{
	a->timer_expiry_ns = 0;
	a->timer_period_ns = 0;
}

static void timer_start(struct vhv_lapic *a, u64 now_ns)
{
	u64 count = get(a, VHV_APIC_TMICT);
	u64 ns = count * divide(a);	/* at most 2^32 * 128: no overflow */

	timer_stop(a);
	if (!count || vhv_lapic_timer_mode(a) == VHV_LAPIC_TIMER_DEADLINE)
		return;
	a->timer_start_ns = now_ns;
	if (vhv_lapic_timer_mode(a) == VHV_LAPIC_TIMER_PERIODIC) {
		if (ns < VHV_LAPIC_MIN_PERIOD_NS)
			ns = VHV_LAPIC_MIN_PERIOD_NS;
		a->timer_period_ns = ns;
	}
	a->timer_expiry_ns = now_ns + ns;
}

static u32 current_count(const struct vhv_lapic *a, u64 now_ns)
{
	u64 initial = get(a, VHV_APIC_TMICT), ticks;

	if (!a->timer_expiry_ns || !initial ||
	    vhv_lapic_timer_mode(a) == VHV_LAPIC_TIMER_DEADLINE)
		return 0;
	if (now_ns >= a->timer_expiry_ns && !a->timer_period_ns)
		return 0;
	ticks = (now_ns - a->timer_start_ns) / divide(a);
	if (a->timer_period_ns)
		ticks %= a->timer_period_ns / divide(a);
	return ticks >= initial ? 0 : (u32)(initial - ticks);
}

u64 vhv_lapic_timer_expiry(const struct vhv_lapic *a)
{
	return a->timer_expiry_ns;
}

bool vhv_lapic_timer_fire(struct vhv_lapic *a, u64 now_ns)
{
	u32 lvt = get(a, VHV_APIC_LVT_TIMER);
	bool raised = false;

	if (!a->timer_expiry_ns)
		return false;
	if (!(lvt & VHV_APIC_LVT_MASKED))
		raised = vhv_lapic_accept(a, lvt & 0xff, false);
	if (a->timer_period_ns) {
		a->timer_start_ns = a->timer_expiry_ns;
		a->timer_expiry_ns += a->timer_period_ns;
		/* Far behind (the host was busy): missed periods are one. */
		if (a->timer_expiry_ns <= now_ns) {
			a->timer_start_ns = now_ns;
			a->timer_expiry_ns = now_ns + a->timer_period_ns;
		}
	} else {
		a->timer_expiry_ns = 0;
	}
	return raised;
}

void vhv_lapic_set_deadline(struct vhv_lapic *a, u64 expiry_ns)
{
	if (vhv_lapic_timer_mode(a) != VHV_LAPIC_TIMER_DEADLINE)
		return;
	a->timer_period_ns = 0;
	a->timer_expiry_ns = expiry_ns;
}

/* ---- interrupts ------------------------------------------------------------- */

bool vhv_lapic_accept(struct vhv_lapic *a, u8 vector, bool level)
{
	bool was;

	if (!vhv_lapic_sw_enabled(a))
		return false;
	if (vector < 16) {
		a->esr_pending |= ESR_RECV_ILLEGAL;
		return false;
	}
	was = vec_test(a, VHV_APIC_IRR, vector);
	vec_set(a, VHV_APIC_IRR, vector);
	if (level)
		vec_set(a, VHV_APIC_TMR, vector);
	else
		vec_clear(a, VHV_APIC_TMR, vector);
	return !was;
}

int vhv_lapic_pending(const struct vhv_lapic *a)
{
	int v = vec_highest(a, VHV_APIC_IRR);

	if (v < 0 || !vhv_lapic_hw_enabled(a))
		return -1;
	return ((u32)v & 0xf0) > (ppr(a) & 0xf0) ? v : -1;
}

/*
 * One pass for the entry path: the highest IRR and ISR vectors are found
 * once, and again only after an acknowledgement moved one between them.
 */
void vhv_lapic_entry(struct vhv_lapic *a, bool take, struct vhv_irq_entry *e)
{
	u32 tpr, isr_class;
	int v, isrv;

	if (!vec_any(a, VHV_APIC_IRR))
		return;		/* the common case, on every vCPU entry */
	v = vec_highest(a, VHV_APIC_IRR);
	if (!vhv_lapic_hw_enabled(a))
		return;
	tpr = get(a, VHV_APIC_TPR) & 0xf0;
	isrv = vec_highest(a, VHV_APIC_ISR);
	isr_class = isrv < 0 ? 0 : (u32)isrv & 0xf0;
	if (take && ((u32)v & 0xf0) > (tpr > isr_class ? tpr : isr_class)) {
		e->vector = v;
		vhv_lapic_ack(a, v);
		/* v is now the highest in service: nothing below it is deliverable. */
		return;
	}
	if (((u32)v & 0xf0) <= isr_class)
		return;
	if (((u32)v & 0xf0) > tpr)
		e->pending = true;
	else
		e->tpr_blocked = v;
}

void vhv_lapic_ack(struct vhv_lapic *a, u8 vector)
{
	vec_clear(a, VHV_APIC_IRR, vector);
	vec_set(a, VHV_APIC_ISR, vector);
}

static void eoi(struct vhv_lapic *a, struct vhv_lapic_out *out)
{
	int v = vec_highest(a, VHV_APIC_ISR);

	if (v < 0)
		return;		/* nothing in service: ignored */
	vec_clear(a, VHV_APIC_ISR, v);
	if (vec_test(a, VHV_APIC_TMR, v)) {
		out->actions |= VHV_LAPIC_ACT_EOI_LEVEL;
		out->eoi_vector = v;
	}
	out->actions |= VHV_LAPIC_ACT_EVAL;
}

bool vhv_lapic_lint1_nmi(const struct vhv_lapic *a)
{
	u32 lvt1 = get(a, VHV_APIC_LVT_LINT1);

	return vhv_lapic_hw_enabled(a) && !(lvt1 & VHV_APIC_LVT_MASKED) &&
	       ((lvt1 >> LVT_DM_SHIFT) & 7) == VHV_DM_NMI;
}

u8 vhv_lapic_get_cr8(const struct vhv_lapic *a)
{
	return (get(a, VHV_APIC_TPR) >> 4) & 0xf;
}

void vhv_lapic_set_cr8(struct vhv_lapic *a, u8 cr8)
{
	*reg(a, VHV_APIC_TPR) = (u32)(cr8 & 0xf) << 4;
}

bool vhv_lapic_match_dest(const struct vhv_lapic *a, const struct vhv_irq_msg *msg)
{
	u32 id = vhv_lapic_id(a), ldr = get(a, VHV_APIC_LDR);

	if (!vhv_lapic_hw_enabled(a))
		return false;
	if (vhv_lapic_x2apic(a)) {
		if (msg->dest == 0xffffffff || (msg->dest8 && msg->dest == 0xff))
			return true;
		if (!msg->dest_logical)
			return msg->dest == id;
		return (msg->dest >> 16) == (ldr >> 16) && (msg->dest & ldr & 0xffff);
	}
	if ((msg->dest & 0xff) == 0xff)
		return true;
	if (!msg->dest_logical)
		return (msg->dest & 0xff) == id;
	ldr >>= 24;
	if ((get(a, VHV_APIC_DFR) >> 28) == 0xf)	/* flat */
		return ldr & msg->dest;
	return ((ldr >> 4) == ((msg->dest >> 4) & 0xf)) && (ldr & msg->dest & 0xf);
}

/* ---- registers --------------------------------------------------------------- */

static void send_ipi(struct vhv_lapic *a, u32 dest, struct vhv_lapic_out *out)
{
	u32 lo = get(a, VHV_APIC_ICR);
	u8 dm = (lo >> 8) & 7;

	/* The INIT level de-assert of old MP start-up: nothing to send. */
	if (dm == VHV_DM_INIT && (lo & ICR_LEVEL) && !(lo & ICR_ASSERT))
		return;
	if (dm == VHV_DM_FIXED && (lo & 0xff) < 16) {
		a->esr_pending |= ESR_SEND_ILLEGAL;
		return;
	}
	out->actions |= VHV_LAPIC_ACT_IPI;
	out->shorthand = (lo >> 18) & 3;
	out->ipi = (struct vhv_irq_msg) {
		.dest = dest, .vector = lo & 0xff, .delivery_mode = dm,
		.dest_logical = lo & ICR_LOGICAL,
		.level = dm == VHV_DM_FIXED && (lo & ICR_LEVEL),
		.dest8 = !vhv_lapic_x2apic(a),
	};
}

static void write_lvt(struct vhv_lapic *a, u32 off, u32 val, u64 now_ns,
		      struct vhv_lapic_out *out)
{
	u32 keep;

	switch (off) {
	case VHV_APIC_LVT_TIMER:
		keep = 0xff | VHV_APIC_LVT_MASKED | 3u << LVT_TIMER_MODE_SHIFT;
		break;
	case VHV_APIC_LVT_LINT0:
	case VHV_APIC_LVT_LINT1:	/* vector, mode, polarity, trigger, mask */
		keep = 0xff | 7u << LVT_DM_SHIFT | VHV_BIT(13) | VHV_BIT(15) |
		       VHV_APIC_LVT_MASKED;
		break;
	case VHV_APIC_LVT_ERROR:
		keep = 0xff | VHV_APIC_LVT_MASKED;
		break;
	default:			/* thermal, performance */
		keep = 0xff | 7u << LVT_DM_SHIFT | VHV_APIC_LVT_MASKED;
		break;
	}
	val &= keep;
	if (!vhv_lapic_sw_enabled(a))
		val |= VHV_APIC_LVT_MASKED;
	if (off == VHV_APIC_LVT_TIMER) {
		u32 old = get(a, off);

		*reg(a, off) = val;
		/* A new mode stops what the old one was counting. */
		if ((old ^ val) & (3u << LVT_TIMER_MODE_SHIFT)) {
			timer_stop(a);
			out->actions |= VHV_LAPIC_ACT_TIMER;
		}
		return;
	}
	*reg(a, off) = val;
	out->actions |= VHV_LAPIC_ACT_EVAL;	/* LINT0 may now take ExtINT */
	(void)now_ns;
}

static void write_svr(struct vhv_lapic *a, u32 val, struct vhv_lapic_out *out)
{
	u32 off;

	*reg(a, VHV_APIC_SVR) = val & 0x3ff;
	if (!(val & VHV_APIC_SVR_ENABLE))
		for (off = VHV_APIC_LVT_TIMER; off <= VHV_APIC_LVT_ERROR; off += 16)
			*reg(a, off) |= VHV_APIC_LVT_MASKED;
	out->actions |= VHV_LAPIC_ACT_EVAL;
}

/* The writes xAPIC and x2APIC share; false for a register neither writes. */
static bool write_common(struct vhv_lapic *a, u32 off, u32 val, u64 now_ns,
			 struct vhv_lapic_out *out)
{
	switch (off) {
	case VHV_APIC_TPR:
		*reg(a, off) = val & 0xff;
		out->actions |= VHV_LAPIC_ACT_EVAL;
		return true;
	case VHV_APIC_EOI:
		eoi(a, out);
		return true;
	case VHV_APIC_SVR:
		write_svr(a, val, out);
		return true;
	case VHV_APIC_ESR:
		*reg(a, off) = a->esr_pending;
		a->esr_pending = 0;
		return true;
	case VHV_APIC_LVT_TIMER:
	case VHV_APIC_LVT_THERMAL:
	case VHV_APIC_LVT_PERF:
	case VHV_APIC_LVT_LINT0:
	case VHV_APIC_LVT_LINT1:
	case VHV_APIC_LVT_ERROR:
		write_lvt(a, off, val, now_ns, out);
		return true;
	case VHV_APIC_TMICT:
		/* Ignored in TSC-deadline mode: the deadline stays armed. */
		if (vhv_lapic_timer_mode(a) == VHV_LAPIC_TIMER_DEADLINE)
			return true;
		*reg(a, off) = val;
		timer_start(a, now_ns);
		out->actions |= VHV_LAPIC_ACT_TIMER;
		return true;
	case VHV_APIC_TDCR:
		*reg(a, off) = val & 0xb;
		return true;
	default:
		return false;
	}
}

/* Reads xAPIC and x2APIC share; false for a register neither reads. */
static bool read_common(struct vhv_lapic *a, u32 off, u32 *val, u64 now_ns)
{
	if (off >= VHV_APIC_ISR && off < VHV_APIC_ESR) {	/* ISR TMR IRR */
		*val = get(a, off);
		return true;
	}
	switch (off) {
	case VHV_APIC_ID:
	case VHV_APIC_VERSION:
	case VHV_APIC_TPR:
	case VHV_APIC_LDR:
	case VHV_APIC_SVR:
	case VHV_APIC_ESR:
	case VHV_APIC_LVT_TIMER:
	case VHV_APIC_LVT_THERMAL:
	case VHV_APIC_LVT_PERF:
	case VHV_APIC_LVT_LINT0:
	case VHV_APIC_LVT_LINT1:
	case VHV_APIC_LVT_ERROR:
	case VHV_APIC_TMICT:
	case VHV_APIC_TDCR:
		*val = get(a, off);
		return true;
	case VHV_APIC_PPR:
		*val = ppr(a);
		return true;
	case VHV_APIC_TMCCT:
		*val = current_count(a, now_ns);
		return true;
	default:
		return false;
	}
}

u32 vhv_lapic_mmio_read(struct vhv_lapic *a, u32 offset, u64 now_ns)
{
	u32 off = offset & 0xff0, val = 0;

	if (offset & 0xf)
		return 0;	/* the rest of each 16-byte slot is reserved */
	switch (off) {
	case VHV_APIC_DFR:
	case VHV_APIC_ICR:
	case VHV_APIC_ICR2:
		return get(a, off);
	}
	read_common(a, off, &val, now_ns);
	return val;
}

void vhv_lapic_mmio_write(struct vhv_lapic *a, u32 offset, u32 val, u64 now_ns,
			  struct vhv_lapic_out *out)
{
	u32 off = offset & 0xff0;

	out->actions = 0;
	if (offset & 0xf)
		return;
	switch (off) {
	case VHV_APIC_ID:
		*reg(a, off) = val & 0xff000000;
		return;
	case VHV_APIC_LDR:
		*reg(a, off) = val & 0xff000000;
		return;
	case VHV_APIC_DFR:
		*reg(a, off) = (val & 0xf0000000) | 0x0fffffff;
		return;
	case VHV_APIC_ICR2:
		*reg(a, off) = val & 0xff000000;
		return;
	case VHV_APIC_ICR:
		*reg(a, off) = val & ~ICR_DELIVERY_STATUS & ~VHV_BIT(13) &
			       ~(VHV_BIT(16) | VHV_BIT(17)) & 0x000cdfff;
		send_ipi(a, get(a, VHV_APIC_ICR2) >> 24, out);
		return;
	}
	if (!write_common(a, off, val, now_ns, out))
		a->esr_pending |= ESR_ILLEGAL_REG;
}

int vhv_lapic_msr_read(struct vhv_lapic *a, u32 msr, u64 *val, u64 now_ns)
{
	u32 off = (msr - VHV_X2APIC_MSR_BASE) << 4, v;

	if (!vhv_lapic_x2apic(a) || msr < VHV_X2APIC_MSR_BASE || msr > VHV_X2APIC_MSR_END)
		return -EINVAL;
	if (off == VHV_APIC_ICR) {
		*val = (u64)get(a, VHV_APIC_ICR2) << 32 | get(a, VHV_APIC_ICR);
		return 0;
	}
	if (!read_common(a, off, &v, now_ns))
		return -EINVAL;
	*val = v;
	return 0;
}

int vhv_lapic_msr_write(struct vhv_lapic *a, u32 msr, u64 val, u64 now_ns,
			struct vhv_lapic_out *out)
{
	u32 off = (msr - VHV_X2APIC_MSR_BASE) << 4;

	out->actions = 0;
	if (!vhv_lapic_x2apic(a) || msr < VHV_X2APIC_MSR_BASE || msr > VHV_X2APIC_MSR_END)
		return -EINVAL;
	if (off == VHV_APIC_ICR) {
		if (val & 0xfff32000ull)	/* reserved low bits */
			return -EINVAL;
		*reg(a, VHV_APIC_ICR) = (u32)val;
		*reg(a, VHV_APIC_ICR2) = val >> 32;
		send_ipi(a, val >> 32, out);
		return 0;
	}
	if (val >> 32)
		return -EINVAL;
	switch (off) {
	case VHV_APIC_SELF_IPI:
		if (val & ~0xffull)
			return -EINVAL;
		if (vhv_lapic_accept(a, val, false))
			out->actions |= VHV_LAPIC_ACT_EVAL;
		return 0;
	case VHV_APIC_EOI:
	case VHV_APIC_ESR:
		if (val)
			return -EINVAL;	/* x2APIC: these take only 0 */
		break;
	case VHV_APIC_TPR:
		if (val & ~0xffull)
			return -EINVAL;
		break;
	case VHV_APIC_SVR:
		if (val & ~0x3ffull)
			return -EINVAL;
		break;
	}
	return write_common(a, off, val, now_ns, out) ? 0 : -EINVAL;
}

/* ---- save/restore ----------------------------------------------------------- */

/* The longest a one-shot or periodic count runs: 2^32 ticks divided by 128. */
#define TIMER_MAX_NS		(1ull << 39)
#define ESR_BITS		(ESR_SEND_ILLEGAL | ESR_RECV_ILLEGAL | ESR_ILLEGAL_REG)
#define LVT_TIMER_BITS		(0xff | VHV_APIC_LVT_MASKED | 3u << LVT_TIMER_MODE_SHIFT)
#define LVT_LINT_BITS		(0xff | 7u << LVT_DM_SHIFT | VHV_BIT(13) | VHV_BIT(15) | \
				 VHV_APIC_LVT_MASKED)
#define LVT_OTHER_BITS		(0xff | 7u << LVT_DM_SHIFT | VHV_APIC_LVT_MASKED)
/* What ICR writes keep: xAPIC drops delivery status, x2APIC refuses less. */
#define ICR_BITS_XAPIC		0x000ccfffu
#define ICR_BITS_X2APIC		0x000cdfffu
#define SKIP			0	/* computed or fixed: not taken on restore */

/*
 * The bits of each register the guest can set (what its writes keep), or
 * SKIP for those restore does not take; 0 for slots with no register.
 */
static u32 restorable_bits(u32 off, bool x2)
{
	if (off >= VHV_APIC_ISR && off < VHV_APIC_ESR)
		return 0xffffffff;	/* ISR TMR IRR; vectors 0-15 checked apart */
	switch (off) {
	case VHV_APIC_ID:
	case VHV_APIC_LDR:
	case VHV_APIC_ICR2:
		return x2 ? 0xffffffff : 0xff000000;
	case VHV_APIC_DFR:
		return 0xffffffff;
	case VHV_APIC_TPR:
		return 0xff;
	case VHV_APIC_SVR:
		return 0x3ff;
	case VHV_APIC_ESR:
		return ESR_BITS;
	case VHV_APIC_ICR:
		return x2 ? ICR_BITS_X2APIC : ICR_BITS_XAPIC;
	case VHV_APIC_LVT_TIMER:
		return LVT_TIMER_BITS;
	case VHV_APIC_LVT_LINT0:
	case VHV_APIC_LVT_LINT1:
		return LVT_LINT_BITS;
	case VHV_APIC_LVT_ERROR:
		return 0xff | VHV_APIC_LVT_MASKED;
	case VHV_APIC_LVT_THERMAL:
	case VHV_APIC_LVT_PERF:
		return LVT_OTHER_BITS;
	case VHV_APIC_TMICT:
		return 0xffffffff;
	case VHV_APIC_TDCR:
		return 0xb;
	default:
		return 0;
	}
}

static bool restore_skips(u32 off)
{
	return off == VHV_APIC_VERSION || off == VHV_APIC_PPR || off == VHV_APIC_TMCCT;
}

static u32 page_get(const u8 *page, u32 off)
{
	return page[off] | page[off + 1] << 8 | page[off + 2] << 16 | (u32)page[off + 3] << 24;
}

static void page_put(u8 *page, u32 off, u32 v)
{
	page[off] = v;
	page[off + 1] = v >> 8;
	page[off + 2] = v >> 16;
	page[off + 3] = v >> 24;
}

void vhv_lapic_save(const struct vhv_lapic *a, u64 now_ns, struct vhv_lapic_state *s)
{
	unsigned int i;

	for (i = 0; i < sizeof(*s); i++)
		((u8 *)s)[i] = 0;
	for (i = 0; i < 64; i++)
		page_put(s->regs, i * 16, a->regs[i]);
	page_put(s->regs, VHV_APIC_PPR, ppr(a));
	page_put(s->regs, VHV_APIC_TMCCT, current_count(a, now_ns));
	s->apic_base = a->base;
	s->esr_pending = a->esr_pending;
	if (a->timer_expiry_ns && vhv_lapic_timer_mode(a) != VHV_LAPIC_TIMER_DEADLINE) {
		s->flags = VHV_LAPIC_TIMER_ARMED;
		s->timer_remaining_ns = a->timer_expiry_ns > now_ns ?
					a->timer_expiry_ns - now_ns : 0;
		s->timer_period_ns = a->timer_period_ns;
		s->timer_elapsed_ns = now_ns > a->timer_start_ns ? now_ns - a->timer_start_ns : 0;
	}
}

/* The register page: every bit one a guest could have put there. */
static bool regs_valid(const struct vhv_lapic_state *s, bool x2)
{
	u32 off, v, id;
	unsigned int i;

	for (off = 0; off < 0x400; off += 16) {
		for (i = 4; i < 16; i++)
			if (s->regs[off + i])
				return false;
		if (restore_skips(off))
			continue;
		if (page_get(s->regs, off) & ~restorable_bits(off, x2))
			return false;
	}
	/* No APIC accepts vectors 0-15: they never reach IRR, ISR or TMR. */
	for (off = VHV_APIC_ISR; off < VHV_APIC_ESR; off += 0x80)
		if (page_get(s->regs, off) & 0xffff)
			return false;
	if ((page_get(s->regs, VHV_APIC_DFR) & 0x0fffffff) != 0x0fffffff)
		return false;
	if (x2) {
		/* vhv's APIC ids are 8-bit; the x2APIC LDR follows from the ID. */
		id = page_get(s->regs, VHV_APIC_ID);
		v = page_get(s->regs, VHV_APIC_LDR);
		if (id > 0xff || v != ((id >> 4) << 16 | 1u << (id & 15)))
			return false;
	}
	return true;
}

static bool timer_valid(const struct vhv_lapic_state *s)
{
	u32 lvtt = page_get(s->regs, VHV_APIC_LVT_TIMER);
	u32 m = (lvtt >> LVT_TIMER_MODE_SHIFT) & 3;
	bool armed = s->flags & VHV_LAPIC_TIMER_ARMED;

	if (!armed)
		return !s->timer_remaining_ns && !s->timer_period_ns && !s->timer_elapsed_ns;
	if (m == 2)		/* TSC deadline: the caller's, from tsc_deadline */
		return false;
	if (s->timer_remaining_ns > TIMER_MAX_NS)
		return false;
	if (m == 1)
		return s->timer_period_ns >= VHV_LAPIC_MIN_PERIOD_NS &&
		       s->timer_period_ns <= TIMER_MAX_NS;
	return !s->timer_period_ns;
}

int vhv_lapic_restore(struct vhv_lapic *a, const struct vhv_lapic_state *s, u64 now_ns,
		      u64 base_valid)
{
	bool x2 = s->apic_base & VHV_APICBASE_X2APIC;
	unsigned int i;
	u64 elapsed;

	for (i = 0; i < sizeof(s->reserved) / sizeof(s->reserved[0]); i++)
		if (s->reserved[i])
			return -EINVAL;
	if ((s->flags & ~VHV_LAPIC_TIMER_ARMED) || (s->esr_pending & ~ESR_BITS) ||
	    (s->apic_base & ~base_valid) || (x2 && !(s->apic_base & VHV_APICBASE_ENABLE)))
		return -EINVAL;
	if (!regs_valid(s, x2) || !timer_valid(s))
		return -EINVAL;

	a->base = s->apic_base;
	for (i = 0; i < 64; i++)
		if (!restore_skips(i * 16))
			a->regs[i] = page_get(s->regs, i * 16);
	a->regs[REG(VHV_APIC_VERSION)] = VHV_LAPIC_VERSION | VHV_LAPIC_MAX_LVT << 16;
	a->esr_pending = s->esr_pending;
	timer_stop(a);
	if (s->flags & VHV_LAPIC_TIMER_ARMED) {
		/* expiry 0 means "not armed": a clock at 0 cannot be one here. */
		a->timer_expiry_ns = now_ns + s->timer_remaining_ns;
		a->timer_period_ns = s->timer_period_ns;
		elapsed = s->timer_elapsed_ns < now_ns ? s->timer_elapsed_ns : now_ns;
		a->timer_start_ns = now_ns - elapsed;
	}
	return 0;
}
