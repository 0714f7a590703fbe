/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel interrupt controllers and timers of a VM (kernel side):
 * the portable models of kmod/irq/ under locks, with hrtimers, vCPU kicks
 * and the ioctls that reach them.
 *
 * Locks: chip->lock (PIC, IOAPIC, PIT, HPET) may be held while taking a vCPU's
 * apic->lock (delivery into a LAPIC), never the other way round: a LAPIC
 * EOI reaches the IOAPIC after its own lock is dropped.  Both are taken
 * with IRQs off: the hrtimers fire in hard-IRQ context.
 */
#ifndef VHV_IRQ_IRQCHIP_H
#define VHV_IRQ_IRQCHIP_H

#include <linux/hrtimer.h>
#include <linux/spinlock.h>

#include "../vhv.h"
#include "hpet.h"
#include "ioapic.h"
#include "lapic.h"
#include "pic.h"
#include "pit.h"

struct vhv_vm;
struct vhv_vcpu;
struct vhv_mem_access;

struct vhv_irqchip {
	struct vhv_vm *vm;
	spinlock_t lock;
	struct vhv_pic pic;
	struct vhv_ioapic ioapic;
	struct vhv_pit pit;
	struct hrtimer pit_timer;
	u64 pit_period_ns;	/* 0: one edge */
	struct vhv_hpet hpet;
	struct hrtimer hpet_timer;	/* the HPET's nearest match (irqchip_hpet.c) */
	u32 hpet_lines;		/* GSIs the HPET holds asserted */
	/*
	 * The PIC's INTR output as of its last change (pic_sync()), for the
	 * entry path to read without the lock.  Never false while the output
	 * is high.  On a line of its own: every vCPU reads it at every entry,
	 * and it changes only with the output, unlike the lock and the
	 * models' state.
	 */
	bool pic_intr ____cacheline_aligned_in_smp;
};

struct vhv_vlapic {
	struct vhv_vcpu *vcpu;
	spinlock_t lock;
	struct vhv_lapic s;
	struct hrtimer timer;
	u64 tsc_deadline;	/* IA32_TSC_DEADLINE as the guest wrote it */
};

/* vcpu->apic_events bits: set by any thread, acted on by the vCPU's. */
#define VHV_APIC_EV_NMI		0
#define VHV_APIC_EV_INIT	1
#define VHV_APIC_EV_SIPI	2

int vhv_irqchip_create(struct vhv_vm *vm);
void vhv_irqchip_destroy(struct vhv_vm *vm);
int vhv_vlapic_create(struct vhv_vcpu *vcpu);
void vhv_vlapic_destroy(struct vhv_vcpu *vcpu);
/* RESET (triple fault) or INIT (keeps the base and the ID). */
void vhv_vlapic_reset(struct vhv_vcpu *vcpu, bool init);
/* The vCPU's own thread: INIT, SIPI and NMI others sent it. */
void vhv_irq_apic_events(struct vhv_vcpu *vcpu);
/* Whether a halted vCPU has something to wake for. */
bool vhv_irq_wakeup(struct vhv_vcpu *vcpu);

/* VM ioctls. */
int vhv_irq_line(struct vhv_vm *vm, void __user *argp);
int vhv_signal_msi(struct vhv_vm *vm, void __user *argp);

/*
 * For irqfds, from any context (IRQs off, an eventfd's wait-queue lock
 * held), on a VM with an irqchip.  vhv_irq_set_gsi drives a GSI (< 24) as
 * VHV_IRQ_LINE does; pulse: high, then low under the same lock.
 * vhv_irq_send_msi delivers an MSI as VHV_SIGNAL_MSI does, for an address
 * vhv_irq_msi_address_ok accepts.
 */
void vhv_irq_set_gsi(struct vhv_vm *vm, u32 gsi, bool level, bool pulse);
bool vhv_irq_msi_address_ok(u64 address);
void vhv_irq_send_msi(struct vhv_vm *vm, u64 address, u32 data);

/* Guest accesses handled in the kernel: true if one of ours took it. */
bool vhv_irq_mmio(struct vhv_vcpu *vcpu, struct vhv_mem_access *acc);
bool vhv_irq_pio_chips(struct vhv_vcpu *vcpu, u16 port, u8 size, bool in, u32 *val);

static inline bool vhv_irq_pio(struct vhv_vcpu *vcpu, u16 port, u8 size, bool in,
			       u32 *val)
{
	unsigned int i;

	if (size > 4)
		return false;
	for (i = 0; i < size; i++)
		if (!vhv_pic_port(port + i) && !vhv_pit_port(port + i))
			return false;
	return vhv_irq_pio_chips(vcpu, port, size, in, val);
}
/* SET_SREGS: any valid base, through the disabled state if need be. */
int vhv_irq_host_set_apic_base(struct vhv_vcpu *vcpu, u64 base);
/* MSRs: -ENOENT when not the irqchip's, -EINVAL for #GP. */
int vhv_irq_get_msr(struct vhv_vcpu *vcpu, u32 index, u64 *data);
int vhv_irq_set_msr(struct vhv_vcpu *vcpu, u32 index, u64 data);

/*
 * For the vendor's entry path.  vhv_irq_entry looks at the PIC (through
 * ExtINT) and the LAPIC once: with take (the guest can take an interrupt
 * now), the vector to inject, acknowledged, goes in e->vector (-1 if
 * none); e->pending: an interrupt still waits for a window; e->tpr_blocked:
 * the highest vector held back by the TPR alone, or -1 (CR8 writes do not
 * exit: the vendor intercepts them until TPR drops below it).
 * vhv_irq_pending: an interrupt waits (PIC through ExtINT, or the LAPIC
 * above its PPR).
 */
void vhv_irq_entry_slow(struct vhv_vcpu *vcpu, bool take, struct vhv_irq_entry *e);

/*
 * The PIC's output is high (pic_intr, read without the lock) and this
 * vCPU's LINT0 takes it (LINT0 changes only on the vCPU's own thread).
 * A vCPU with a LAPIC has its VM's irqchip.
 */
static inline bool vhv_irq_pic_wants(const struct vhv_vcpu *vcpu)
{
	return data_race(READ_ONCE(vcpu->vm->irqchip->pic_intr)) &&
	       vhv_lapic_accepts_extint(&vcpu->apic->s);
}

/*
 * No request at the PIC for this vCPU or in its LAPIC's IRR, read without
 * their locks (the common entry): vhv_irq_entry() has nothing to deliver,
 * hold or wait for.  A request raised concurrently is not lost: its sender
 * publishes it (pic_intr, an IRR bit), then reads vcpu->mode after a full
 * barrier (vhv_vcpu_kick()), and the entry path set mode to IN_GUEST with
 * one before these reads (smp_store_mb()), IRQs off; so either a read sees
 * the request or the sender's IPI makes the entry exit at once.
 */
static inline bool vhv_irq_idle(const struct vhv_vcpu *vcpu)
{
	const struct vhv_vlapic *apic = vcpu->apic;

	return !apic || (!vhv_irq_pic_wants(vcpu) &&
			 !data_race(vhv_lapic_irr_any(&apic->s)));
}

static inline void vhv_irq_entry(struct vhv_vcpu *vcpu, bool take,
				 struct vhv_irq_entry *e)
{
	e->vector = -1;
	e->pending = false;
	e->tpr_blocked = -1;
	if (!vhv_irq_idle(vcpu))
		vhv_irq_entry_slow(vcpu, take, e);
}

bool vhv_irq_pending(struct vhv_vcpu *vcpu);
u8 vhv_irq_get_cr8(struct vhv_vcpu *vcpu);
void vhv_irq_set_cr8(struct vhv_vcpu *vcpu, u8 cr8);

/* A PC's wiring of GSI n (PIC and IOAPIC); caller holds chip->lock. */
void vhv_irqchip_set_gsi(struct vhv_irqchip *chip, u32 gsi, bool level);

/*
 * The HPET (irqchip_hpet.c): set up and torn down with the chip; its MMIO
 * (true if the access was the HPET's); its state for save/restore
 * (restore: -EINVAL for a state it cannot hold, see vhv_hpet_restore()).
 */
void vhv_irqchip_hpet_init(struct vhv_irqchip *chip);
void vhv_irqchip_hpet_destroy(struct vhv_irqchip *chip);
bool vhv_irqchip_hpet_mmio(struct vhv_irqchip *chip, struct vhv_mem_access *acc);
void vhv_irqchip_hpet_save(struct vhv_irqchip *chip, struct vhv_hpet_state *s);
int vhv_irqchip_hpet_restore(struct vhv_irqchip *chip, const struct vhv_hpet_state *s);

/* Makes the vCPU look at its interrupts: out of the guest, out of HLT. */
void vhv_vcpu_kick(struct vhv_vcpu *vcpu);

/*
 * For the state ioctls (state.c), after a model's state was replaced:
 * under chip->lock, re-arm the PIT's timer / look at the PIC's output;
 * under apic->lock, re-arm the LAPIC timer.  The clock the models run on,
 * and the IA32_APIC_BASE bits this host offers.
 */
void vhv_irqchip_pit_rearm(struct vhv_irqchip *chip);
void vhv_irqchip_pic_changed(struct vhv_irqchip *chip);
/* Under chip->lock, after a PIC input was lowered: the cached output. */
void vhv_irqchip_pic_sync(struct vhv_irqchip *chip);
void vhv_vlapic_rearm(struct vhv_vlapic *apic);
u64 vhv_irq_now_ns(void);
u64 vhv_irq_apic_base_valid(void);

#endif /* VHV_IRQ_IRQCHIP_H */
