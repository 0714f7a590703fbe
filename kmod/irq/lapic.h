/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A local APIC's registers and rules (Intel SDM vol. 3 ch. 11, AMD APM
 * vol. 2 ch. 16): xAPIC MMIO and x2APIC MSR access, IRR/ISR/TMR with
 * priorities (TPR, PPR) and EOI, the LVTs, the ICR (what to send is handed
 * to the caller), destination matching, and the timer's arithmetic in
 * one-shot, periodic and TSC-deadline modes on the caller's nanosecond
 * clock.  Portable (no kernel headers): the module wraps it with a lock,
 * an hrtimer and vCPU kicks; unit tests drive it in userspace.
 */
#ifndef VHV_IRQ_LAPIC_H
#define VHV_IRQ_LAPIC_H

#include "../portable.h"
#include "../../uapi/vhv.h"
#include "msg.h"

#define VHV_LAPIC_DEFAULT_BASE	0xfee00000ull
#define VHV_LAPIC_SIZE		0x1000
#define VHV_LAPIC_VERSION	0x14	/* integrated APIC */
#define VHV_LAPIC_MAX_LVT	5	/* timer, thermal, perf, LINT0, LINT1, error */
/*
 * The timer counts at 1 GHz divided by its divide configuration; a
 * periodic timer fires at most every VHV_LAPIC_MIN_PERIOD_NS (uapi/vhv.h:
 * a floor, as KVM keeps one), so a guest cannot make the host spin on it.
 */

/* IA32_APIC_BASE bits */
#define VHV_APICBASE_BSP	VHV_BIT(8)
#define VHV_APICBASE_X2APIC	VHV_BIT(10)
#define VHV_APICBASE_ENABLE	VHV_BIT(11)

/* Register offsets in the xAPIC page (x2APIC MSR = 0x800 + offset / 16). */
#define VHV_APIC_ID		0x020
#define VHV_APIC_VERSION	0x030
#define VHV_APIC_TPR		0x080
#define VHV_APIC_APR		0x090
#define VHV_APIC_PPR		0x0a0
#define VHV_APIC_EOI		0x0b0
#define VHV_APIC_RRD		0x0c0
#define VHV_APIC_LDR		0x0d0
#define VHV_APIC_DFR		0x0e0
#define VHV_APIC_SVR		0x0f0
#define VHV_APIC_ISR		0x100
#define VHV_APIC_TMR		0x180
#define VHV_APIC_IRR		0x200
#define VHV_APIC_ESR		0x280
#define VHV_APIC_LVT_CMCI	0x2f0
#define VHV_APIC_ICR		0x300
#define VHV_APIC_ICR2		0x310
#define VHV_APIC_LVT_TIMER	0x320
#define VHV_APIC_LVT_THERMAL	0x330
#define VHV_APIC_LVT_PERF	0x340
#define VHV_APIC_LVT_LINT0	0x350
#define VHV_APIC_LVT_LINT1	0x360
#define VHV_APIC_LVT_ERROR	0x370
#define VHV_APIC_TMICT		0x380
#define VHV_APIC_TMCCT		0x390
#define VHV_APIC_TDCR		0x3e0
#define VHV_APIC_SELF_IPI	0x3f0	/* x2APIC only */

#define VHV_X2APIC_MSR_BASE	0x800
#define VHV_X2APIC_MSR_END	0x8ff
#define VHV_MSR_TSC_DEADLINE	0x6e0

#define VHV_APIC_LVT_MASKED	VHV_BIT(16)
#define VHV_APIC_SVR_ENABLE	VHV_BIT(8)

/* ICR destination shorthands (bits 19:18). */
#define VHV_APIC_DEST_NONE	0
#define VHV_APIC_DEST_SELF	1
#define VHV_APIC_DEST_ALL	2
#define VHV_APIC_DEST_OTHERS	3

/* What a register write asks of the caller (bits of vhv_lapic_out.actions). */
#define VHV_LAPIC_ACT_IPI	VHV_BIT(0)	/* send out->ipi to out->shorthand */
#define VHV_LAPIC_ACT_TIMER	VHV_BIT(1)	/* re-arm from vhv_lapic_timer_expiry */
#define VHV_LAPIC_ACT_EOI_LEVEL	VHV_BIT(2)	/* out->eoi_vector was level: tell the IOAPIC */
#define VHV_LAPIC_ACT_EVAL	VHV_BIT(3)	/* priorities changed: look for an interrupt */

struct vhv_lapic_out {
	u32 actions;
	struct vhv_irq_msg ipi;
	u8 shorthand;		/* VHV_APIC_DEST_* */
	u8 eoi_vector;
};

enum vhv_lapic_timer_mode {
	VHV_LAPIC_TIMER_ONESHOT = 0,
	VHV_LAPIC_TIMER_PERIODIC = 1,
	VHV_LAPIC_TIMER_DEADLINE = 2,
};

struct vhv_lapic {
	u64 base;		/* IA32_APIC_BASE */
	u32 regs[64];		/* by offset / 16 */
	/* Timer: counting from start_ns; expiry_ns 0 when nothing is armed. */
	u64 timer_start_ns;
	u64 timer_expiry_ns;
	u64 timer_period_ns;	/* periodic: the (floored) period */
	u32 esr_pending;	/* errors since ESR was last written */
};

/* RESET (and INIT, which keeps the base and the ID). */
void vhv_lapic_reset(struct vhv_lapic *a, u32 apic_id, bool bsp);
void vhv_lapic_init_signal(struct vhv_lapic *a);

bool vhv_lapic_hw_enabled(const struct vhv_lapic *a);
bool vhv_lapic_sw_enabled(const struct vhv_lapic *a);
bool vhv_lapic_x2apic(const struct vhv_lapic *a);
u32 vhv_lapic_id(const struct vhv_lapic *a);

/*
 * A write of IA32_APIC_BASE (valid_mask: the bits this CPU has).  -EINVAL
 * for what the SDM makes #GP: reserved bits, x2APIC without enable,
 * x2APIC to xAPIC without going through disabled.  Disabling resets the
 * APIC's state as hardware does.
 */
int vhv_lapic_set_base(struct vhv_lapic *a, u64 val, u64 valid_mask);

/* xAPIC MMIO: offset in the page, 32-bit aligned accesses. */
u32 vhv_lapic_mmio_read(struct vhv_lapic *a, u32 offset, u64 now_ns);
void vhv_lapic_mmio_write(struct vhv_lapic *a, u32 offset, u32 val, u64 now_ns,
			  struct vhv_lapic_out *out);

/* x2APIC MSRs 0x800-0x8ff: -EINVAL where the guest takes #GP. */
int vhv_lapic_msr_read(struct vhv_lapic *a, u32 msr, u64 *val, u64 now_ns);
int vhv_lapic_msr_write(struct vhv_lapic *a, u32 msr, u64 val, u64 now_ns,
			struct vhv_lapic_out *out);

/* TPR as CR8 sees it (bits 7:4 of TPR). */
u8 vhv_lapic_get_cr8(const struct vhv_lapic *a);
void vhv_lapic_set_cr8(struct vhv_lapic *a, u8 cr8);

/* Whether msg's destination includes this APIC (ignoring shorthands). */
bool vhv_lapic_match_dest(const struct vhv_lapic *a, const struct vhv_irq_msg *msg);

/*
 * A fixed or lowest-priority interrupt arrives: IRR (and TMR for level).
 * Returns true if it may need delivering (false: APIC disabled, illegal
 * vector, or already requested).
 */
bool vhv_lapic_accept(struct vhv_lapic *a, u8 vector, bool level);

/* The vector to deliver now (highest IRR above the PPR), or -1. */
int vhv_lapic_pending(const struct vhv_lapic *a);
/*
 * What the entry path needs, found in one pass.  The caller sets vector and
 * tpr_blocked to -1 and pending to false (the PIC may have set pending);
 * this sets vector to the interrupt to deliver now, acknowledged (only with
 * take), pending when an interrupt above the PPR waits for a window, and
 * tpr_blocked to the highest IRR vector the TPR alone holds back (above the
 * ISR).
 */
struct vhv_irq_entry {
	int vector;
	bool pending;
	int tpr_blocked;
};
void vhv_lapic_entry(struct vhv_lapic *a, bool take, struct vhv_irq_entry *e);
/* Any vector requested (IRR not empty): vhv_lapic_entry() has nothing to do otherwise. */
static inline bool vhv_lapic_irr_any(const struct vhv_lapic *a)
{
	const u32 *irr = &a->regs[VHV_APIC_IRR >> 4];

	return irr[0] | irr[1] | irr[2] | irr[3] | irr[4] | irr[5] | irr[6] |
	       irr[7];
}

/* The CPU took vector: IRR to ISR. */
void vhv_lapic_ack(struct vhv_lapic *a, u8 vector);

/* LINT0 routes the PIC's INTR (ExtINT) to this CPU. */
static inline bool vhv_lapic_accepts_extint(const struct vhv_lapic *a)
{
	u32 lvt0 = a->regs[VHV_APIC_LVT_LINT0 >> 4];

	if (!(a->base & VHV_APICBASE_ENABLE))
		return a->base & VHV_APICBASE_BSP;	/* the pin goes straight in */
	return !(lvt0 & VHV_APIC_LVT_MASKED) && ((lvt0 >> 8) & 7) == VHV_DM_EXTINT;
}
/* LINT1 delivers NMI (as firmware sets it up). */
bool vhv_lapic_lint1_nmi(const struct vhv_lapic *a);

/* The armed timer's absolute expiry in ns, 0 if none. */
u64 vhv_lapic_timer_expiry(const struct vhv_lapic *a);
/*
 * The timer expired at now_ns: raises the LVT timer interrupt (unless
 * masked) and, periodic, arms the next period.  Returns true if an
 * interrupt was requested.
 */
bool vhv_lapic_timer_fire(struct vhv_lapic *a, u64 now_ns);
/* TSC-deadline mode: the deadline converted to the caller's clock; 0 disarms. */
void vhv_lapic_set_deadline(struct vhv_lapic *a, u64 expiry_ns);
enum vhv_lapic_timer_mode vhv_lapic_timer_mode(const struct vhv_lapic *a);

/*
 * Save/restore (VHV_GET/SET_LAPIC): the register page, base and timer
 * (one-shot and periodic; the TSC deadline is the caller's) against
 * now_ns.  Restore checks everything first and changes nothing on
 * -EINVAL; base_valid is the IA32_APIC_BASE bits this CPU has.  The
 * caller re-arms its timer after a restore.
 */
void vhv_lapic_save(const struct vhv_lapic *a, u64 now_ns, struct vhv_lapic_state *s);
int vhv_lapic_restore(struct vhv_lapic *a, const struct vhv_lapic_state *s, u64 now_ns,
		      u64 base_valid);

#endif /* VHV_IRQ_LAPIC_H */
