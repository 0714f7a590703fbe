// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel PIC, IOAPIC, PIT and local APICs of a VM: the portable
 * models under their locks, hrtimers for the PIT and each LAPIC timer,
 * interrupt messages routed to vCPUs (kicked out of the guest or out of
 * HLT), the guest's port, MMIO and MSR accesses to them, and the ioctls.
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>
#include <asm/msr-index.h>
#include <asm/tsc.h>
/* smp_send_reschedule() traces through it on newer kernels. */
#include <trace/events/ipi.h>

#include "../vhv.h"
#include "irqchip.h"
#include "irqfd.h"

#define MSI_ADDR_BASE		0xfee00000ull
#define MSI_ADDR_MASK		(~0xfffffull)	/* bits 63:20: 0xfee */

static u64 now_ns(void)
{
	return ktime_get_ns();
}

static struct vhv_irqchip *chip_of(struct vhv_vm *vm)
{
	/* Set once, before any vCPU exists; read by vCPU threads. */
	return smp_load_acquire(&vm->irqchip);
}

/* ---- kicks ---------------------------------------------------------------- */

void vhv_vcpu_kick(struct vhv_vcpu *vcpu)
{
	int cpu;

	/* The event is published (under its lock) before mode is read:
	 * pairs with the vCPU setting mode, then looking for events. */
	smp_mb();
	wake_up_interruptible(&vcpu->wq);
	cpu = READ_ONCE(vcpu->cpu);
	if (READ_ONCE(vcpu->mode) == VHV_IN_GUEST && cpu >= 0 &&
	    cpu != raw_smp_processor_id())
		smp_send_reschedule(cpu);
}

/* ---- delivery to local APICs ---------------------------------------------- */

static void deliver_to(struct vhv_vcpu *vcpu, const struct vhv_irq_msg *m)
{
	struct vhv_vlapic *apic = vcpu->apic;
	unsigned long flags;
	bool kick = true;

	switch (m->delivery_mode) {
	case VHV_DM_FIXED:
	case VHV_DM_LOWEST:
		spin_lock_irqsave(&apic->lock, flags);
		kick = vhv_lapic_accept(&apic->s, m->vector, m->level);
		spin_unlock_irqrestore(&apic->lock, flags);
		break;
	case VHV_DM_NMI:
		set_bit(VHV_APIC_EV_NMI, &vcpu->apic_events);
		break;
	case VHV_DM_INIT:
		set_bit(VHV_APIC_EV_INIT, &vcpu->apic_events);
		break;
	case VHV_DM_SIPI:
		WRITE_ONCE(vcpu->sipi_vector, m->vector);
		smp_mb__before_atomic();
		set_bit(VHV_APIC_EV_SIPI, &vcpu->apic_events);
		break;
	default:
		/*
		 * SMI: there is no SMM here, refused.  ExtINT: the PIC's
		 * vector reaches a CPU through its LINT0, already.
		 */
		kick = false;
	}
	if (kick)
		vhv_vcpu_kick(vcpu);
}

static bool dest_matches(struct vhv_vcpu *vcpu, const struct vhv_irq_msg *m)
{
	unsigned long flags;
	bool hit;

	spin_lock_irqsave(&vcpu->apic->lock, flags);
	hit = vhv_lapic_match_dest(&vcpu->apic->s, m);
	spin_unlock_irqrestore(&vcpu->apic->lock, flags);
	return hit;
}

/*
 * Sends m to the vCPUs it names.  Lowest priority goes to the first that
 * matches (a fixed choice: any one of the set is architecturally right).
 */
static void deliver(struct vhv_vm *vm, const struct vhv_irq_msg *m,
		    struct vhv_vcpu *self, u8 shorthand)
{
	u32 i, n = smp_load_acquire(&vm->nr_vcpus);

	for (i = 0; i < n; i++) {
		struct vhv_vcpu *v = vm->vcpus[i];
		bool hit;

		switch (shorthand) {
		case VHV_APIC_DEST_SELF:
			hit = v == self;
			break;
		case VHV_APIC_DEST_ALL:
			hit = true;
			break;
		case VHV_APIC_DEST_OTHERS:
			hit = v != self;
			break;
		default:
			hit = dest_matches(v, m);
		}
		if (!hit)
			continue;
		deliver_to(v, m);
		if (m->delivery_mode == VHV_DM_LOWEST && shorthand == VHV_APIC_DEST_NONE)
			break;
	}
}

static void ioapic_send(void *ctx, const struct vhv_irq_msg *m)
{
	struct vhv_irqchip *chip = ctx;

	deliver(chip->vm, m, NULL, VHV_APIC_DEST_NONE);
}

static bool takes_extint(struct vhv_vcpu *vcpu);

/* Caller holds chip->lock and has just changed the PIC. */
static bool pic_sync(struct vhv_irqchip *chip)
{
	bool out;

	lockdep_assert_held(&chip->lock);
	out = vhv_pic_output(&chip->pic);
	WRITE_ONCE(chip->pic_intr, out);
	return out;
}

/*
 * The PIC's INTR goes to every CPU whose LINT0 takes ExtINT (the BSP).
 * The kick comes after pic_intr is written: its barrier orders the two,
 * as vhv_irq_entry() relies on.
 */
static void pic_changed(struct vhv_irqchip *chip)
{
	u32 i, n = smp_load_acquire(&chip->vm->nr_vcpus);

	if (!pic_sync(chip))
		return;
	for (i = 0; i < n; i++)
		if (takes_extint(chip->vm->vcpus[i]))
			vhv_vcpu_kick(chip->vm->vcpus[i]);
}

/* A PC's wiring of GSI n; caller holds chip->lock. */
static void set_gsi(struct vhv_irqchip *chip, u32 gsi, bool level)
{
	if (gsi < 16 && vhv_pic_set_irq(&chip->pic, gsi, level))
		pic_changed(chip);
	vhv_ioapic_set_irq(&chip->ioapic, gsi == 0 ? 2 : gsi, level);
}

void vhv_irqchip_set_gsi(struct vhv_irqchip *chip, u32 gsi, bool level)
{
	set_gsi(chip, gsi, level);
}

/* ---- the PIT's interrupt ---------------------------------------------------- */

/* Caller holds chip->lock.  IRQ 0 edges as channel 0 now schedules them. */
static void pit_arm(struct vhv_irqchip *chip)
{
	u64 first, period;

	if (!vhv_pit_irq0_timer(&chip->pit, now_ns(), &first, &period)) {
		chip->pit_period_ns = 0;
		hrtimer_try_to_cancel(&chip->pit_timer);
		return;
	}
	/* A guest cannot make the host take an interrupt every microsecond. */
	chip->pit_period_ns = period ? max_t(u64, period, VHV_LAPIC_MIN_PERIOD_NS) : 0;
	hrtimer_start(&chip->pit_timer, ns_to_ktime(first), HRTIMER_MODE_ABS);
}

static enum hrtimer_restart pit_timer_fn(struct hrtimer *t)
{
	struct vhv_irqchip *chip = container_of(t, struct vhv_irqchip, pit_timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	unsigned long flags;

	spin_lock_irqsave(&chip->lock, flags);
	/* HPET legacy replacement takes IRQ 0 from the PIT, as on a chipset. */
	if (!vhv_hpet_legacy(&chip->hpet)) {
		set_gsi(chip, 0, true);
		set_gsi(chip, 0, false);
	}
	/*
	 * Re-armed by a PIT write while this ran: that timing stands (and a
	 * queued timer's expiry must not be touched).
	 */
	if (chip->pit_period_ns && !hrtimer_is_queued(t)) {
		hrtimer_forward_now(t, ns_to_ktime(chip->pit_period_ns));
		ret = HRTIMER_RESTART;
	}
	spin_unlock_irqrestore(&chip->lock, flags);
	return ret;
}

/* ---- the LAPIC timer ---------------------------------------------------------- */

/*
 * Caller holds apic->lock, on the vCPU's own thread (its exits and its
 * ioctls), never while the vCPU is in the guest.  A timer already due (a
 * TSC deadline in the past, a count of a tick or two) fires here, its
 * interrupt in IRR for the next entry: an hrtimer started in the past
 * would cost the host a timer interrupt to say the same, and the guest
 * would get it only once that came.
 */
static void lapic_arm(struct vhv_vlapic *apic)
{
	u64 expiry = vhv_lapic_timer_expiry(&apic->s), now = now_ns();

	/* Leaving deadline mode disarms the deadline: back in, it reads 0. */
	if (vhv_lapic_timer_mode(&apic->s) != VHV_LAPIC_TIMER_DEADLINE)
		apic->tsc_deadline = 0;

	if (expiry && expiry <= now) {
		vhv_lapic_timer_fire(&apic->s, now);
		if (vhv_lapic_timer_mode(&apic->s) == VHV_LAPIC_TIMER_DEADLINE)
			apic->tsc_deadline = 0;
		expiry = vhv_lapic_timer_expiry(&apic->s);
	}
	if (expiry)
		hrtimer_start(&apic->timer, ns_to_ktime(expiry), HRTIMER_MODE_ABS);
	else
		hrtimer_try_to_cancel(&apic->timer);
}

static enum hrtimer_restart lapic_timer_fn(struct hrtimer *t)
{
	struct vhv_vlapic *apic = container_of(t, struct vhv_vlapic, timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	unsigned long flags;
	bool raised = false;
	u64 now = now_ns(), expiry;

	spin_lock_irqsave(&apic->lock, flags);
	expiry = vhv_lapic_timer_expiry(&apic->s);
	if (expiry && expiry <= now) {
		raised = vhv_lapic_timer_fire(&apic->s, now);
		if (vhv_lapic_timer_mode(&apic->s) == VHV_LAPIC_TIMER_DEADLINE)
			apic->tsc_deadline = 0;
		expiry = vhv_lapic_timer_expiry(&apic->s);
	}
	/*
	 * Periodic, or a later expiry: the model says when.  Re-armed by the
	 * vCPU while this ran: that timer is queued, leave it alone.
	 */
	if (expiry > now && !hrtimer_is_queued(t)) {
		hrtimer_set_expires(t, ns_to_ktime(expiry));
		ret = HRTIMER_RESTART;
	}
	spin_unlock_irqrestore(&apic->lock, flags);
	if (raised)
		vhv_vcpu_kick(apic->vcpu);
	return ret;
}

/* ---- what a LAPIC register write asks for ---------------------------------- */

/* Called with no lock held. */
static void lapic_actions(struct vhv_vcpu *vcpu, const struct vhv_lapic_out *out)
{
	struct vhv_irqchip *chip = chip_of(vcpu->vm);
	unsigned long flags;

	if (out->actions & VHV_LAPIC_ACT_IPI)
		deliver(vcpu->vm, &out->ipi, vcpu, out->shorthand);
	if (out->actions & VHV_LAPIC_ACT_EOI_LEVEL) {
		spin_lock_irqsave(&chip->lock, flags);
		vhv_ioapic_eoi(&chip->ioapic, out->eoi_vector);
		spin_unlock_irqrestore(&chip->lock, flags);
	}
}

static void lapic_write(struct vhv_vcpu *vcpu, u32 offset, u32 val)
{
	struct vhv_vlapic *apic = vcpu->apic;
	struct vhv_lapic_out out;
	unsigned long flags;

	spin_lock_irqsave(&apic->lock, flags);
	vhv_lapic_mmio_write(&apic->s, offset, val, now_ns(), &out);
	if (out.actions & VHV_LAPIC_ACT_TIMER)
		lapic_arm(apic);
	spin_unlock_irqrestore(&apic->lock, flags);
	lapic_actions(vcpu, &out);
}

/* ---- guest accesses ------------------------------------------------------------ */

bool vhv_irq_mmio(struct vhv_vcpu *vcpu, struct vhv_mem_access *acc)
{
	struct vhv_irqchip *chip = chip_of(vcpu->vm);
	struct vhv_vlapic *apic = vcpu->apic;
	unsigned long flags;
	u64 base;
	u32 off, val = 0;
	bool ok;

	if (!chip || !apic)
		return false;
	base = apic->s.base;	/* written by this vCPU's thread only */
	if ((base & VHV_APICBASE_ENABLE) && !(base & VHV_APICBASE_X2APIC) &&
	    acc->gpa - (base & ~0xfffull) < VHV_LAPIC_SIZE) {
		off = acc->gpa & 0xfff;
		/* 32-bit aligned accesses; the rest reads 0 and is dropped. */
		ok = acc->size == 4 && !(off & 3);
		if (acc->write) {
			if (ok)
				lapic_write(vcpu, off, acc->data);
		} else {
			spin_lock_irqsave(&apic->lock, flags);
			if (ok)
				val = vhv_lapic_mmio_read(&apic->s, off, now_ns());
			spin_unlock_irqrestore(&apic->lock, flags);
			acc->data = val;
		}
		return true;
	}
	if (acc->gpa - VHV_IOAPIC_BASE < VHV_IOAPIC_MMIO_SIZE) {
		off = acc->gpa - VHV_IOAPIC_BASE;
		ok = acc->size == 4 && !(off & 3);
		spin_lock_irqsave(&chip->lock, flags);
		if (acc->write && ok)
			vhv_ioapic_write(&chip->ioapic, off, acc->data);
		else if (!acc->write)
			val = ok ? vhv_ioapic_read(&chip->ioapic, off) : 0;
		spin_unlock_irqrestore(&chip->lock, flags);
		if (!acc->write)
			acc->data = val;
		return true;
	}
	return vhv_irqchip_hpet_mmio(chip, acc);
}

/* vhv_irq_pio() found every port to be the PIC's or the PIT's. */
bool vhv_irq_pio_chips(struct vhv_vcpu *vcpu, u16 port, u8 size, bool in, u32 *val)
{
	struct vhv_irqchip *chip = chip_of(vcpu->vm);
	unsigned long flags;
	u32 result = 0;
	unsigned int i;
	u64 now;

	if (!chip)
		return false;
	now = now_ns();
	spin_lock_irqsave(&chip->lock, flags);
	for (i = 0; i < size; i++) {
		u16 p = port + i;
		u8 byte = *val >> (8 * i);

		if (vhv_pic_port(p)) {
			if (in) {
				result |= (u32)vhv_pic_read(&chip->pic, p) << (8 * i);
			} else {
				vhv_pic_write(&chip->pic, p, byte);
				pic_changed(chip);
			}
		} else if (in) {
			result |= (u32)vhv_pit_read(&chip->pit, p, now) << (8 * i);
		} else if (vhv_pit_write(&chip->pit, p, byte, now)) {
			pit_arm(chip);
		}
	}
	/* A poll read acknowledges, as INTA does. */
	pic_sync(chip);
	spin_unlock_irqrestore(&chip->lock, flags);
	if (in)
		*val = result;
	return true;
}

/* ---- MSRs ------------------------------------------------------------------------- */

static u64 apic_base_valid(void)
{
	return (~0ull << 12 & ~(~0ull << vhv_limits.phys_bits)) |
	       VHV_APICBASE_BSP | VHV_APICBASE_X2APIC | VHV_APICBASE_ENABLE;
}

int vhv_irq_get_msr(struct vhv_vcpu *vcpu, u32 index, u64 *data)
{
	struct vhv_vlapic *apic = vcpu->apic;
	unsigned long flags;
	int r = 0;

	if (!apic)
		return -ENOENT;
	spin_lock_irqsave(&apic->lock, flags);
	if (index == MSR_IA32_APICBASE)
		*data = apic->s.base;
	else if (index == VHV_MSR_TSC_DEADLINE)	/* 0 outside deadline mode: lapic_arm() */
		*data = apic->tsc_deadline;
	else if (index >= VHV_X2APIC_MSR_BASE && index <= VHV_X2APIC_MSR_END)
		r = vhv_lapic_msr_read(&apic->s, index, data, now_ns());
	else
		r = -ENOENT;
	spin_unlock_irqrestore(&apic->lock, flags);
	return r;
}

/* A deadline further out than this (about 146 years) never fires. */
#define DEADLINE_MAX_NS		(KTIME_MAX / 2)

/*
 * Guest TSC value to the host clock (ns) at which it is reached; 0 for
 * none (0 written, or so far that it cannot be represented).
 */
static u64 deadline_ns(struct vhv_vcpu *vcpu, u64 deadline)
{
	u64 tsc, now = now_ns(), delta;

	if (!deadline)
		return 0;
	if (vhv_ops->get_msr(vcpu, MSR_IA32_TSC, &tsc) || deadline <= tsc || !tsc_khz)
		return now;
	/*
	 * The quotient below must fit in 64 bits or the division faults: a
	 * deadline near 2^64 with a TSC under 1 GHz (QEMU -icount's) would
	 * not.  In milliseconds first, which cannot overflow.
	 */
	if ((deadline - tsc) / tsc_khz >= DEADLINE_MAX_NS / NSEC_PER_MSEC)
		return 0;
	delta = mul_u64_u32_div(deadline - tsc, 1000000, tsc_khz);
	if (delta > DEADLINE_MAX_NS - now)
		return 0;
	return now + delta;
}

int vhv_irq_set_msr(struct vhv_vcpu *vcpu, u32 index, u64 data)
{
	struct vhv_vlapic *apic = vcpu->apic;
	struct vhv_lapic_out out = { 0 };
	unsigned long flags;
	u64 expiry = 0;
	int r = 0;

	if (!apic)
		return -ENOENT;
	if (index == VHV_MSR_TSC_DEADLINE)
		expiry = deadline_ns(vcpu, data);
	spin_lock_irqsave(&apic->lock, flags);
	if (index == MSR_IA32_APICBASE) {
		r = vhv_lapic_set_base(&apic->s, data, apic_base_valid());
		if (!r)
			vcpu->apic_base = data;
		lapic_arm(apic);
	} else if (index == VHV_MSR_TSC_DEADLINE) {
		if (vhv_lapic_timer_mode(&apic->s) == VHV_LAPIC_TIMER_DEADLINE) {
			apic->tsc_deadline = data;
			vhv_lapic_set_deadline(&apic->s, expiry);
			lapic_arm(apic);
		}
	} else if (index >= VHV_X2APIC_MSR_BASE && index <= VHV_X2APIC_MSR_END) {
		r = vhv_lapic_msr_write(&apic->s, index, data, now_ns(), &out);
		if (out.actions & VHV_LAPIC_ACT_TIMER)
			lapic_arm(apic);
	} else {
		r = -ENOENT;
	}
	spin_unlock_irqrestore(&apic->lock, flags);
	lapic_actions(vcpu, &out);
	return r;
}

int vhv_irq_host_set_apic_base(struct vhv_vcpu *vcpu, u64 base)
{
	struct vhv_vlapic *apic = vcpu->apic;
	unsigned long flags;
	int r;

	/*
	 * A state the APIC cannot be in is refused before anything changes
	 * (the steps below pass through "disabled", which clears it).
	 */
	if (!vhv_apic_base_ok(base, &vhv_limits))
		return -EINVAL;
	spin_lock_irqsave(&apic->lock, flags);
	r = vhv_lapic_set_base(&apic->s, base, apic_base_valid());
	if (r == -EINVAL) {
		/* A transition the guest could make only in steps. */
		vhv_lapic_set_base(&apic->s, base & ~(VHV_APICBASE_ENABLE |
						      VHV_APICBASE_X2APIC),
				   apic_base_valid());
		vhv_lapic_set_base(&apic->s, base & ~VHV_APICBASE_X2APIC,
				   apic_base_valid());
		r = vhv_lapic_set_base(&apic->s, base, apic_base_valid());
	}
	lapic_arm(apic);
	spin_unlock_irqrestore(&apic->lock, flags);
	if (!r)
		vcpu->apic_base = base;
	return r;
}

/* ---- for the entry path ----------------------------------------------------------- */

/*
 * takes_extint() for the vCPU's own thread, on every entry: LVT0 and the
 * APIC base are written by that thread only (guest accesses, INIT/RESET,
 * VHV_SET_LAPIC and VHV_SET_SREGS under the vCPU mutex), never by a sender,
 * so it reads them without the lock the senders' IRR updates need.
 */
static bool own_takes_extint(struct vhv_vcpu *vcpu)
{
	return vhv_lapic_accepts_extint(&vcpu->apic->s);
}

static bool takes_extint(struct vhv_vcpu *vcpu)
{
	unsigned long flags;
	bool r;

	spin_lock_irqsave(&vcpu->apic->lock, flags);
	r = vhv_lapic_accepts_extint(&vcpu->apic->s);
	spin_unlock_irqrestore(&vcpu->apic->lock, flags);
	return r;
}

bool vhv_irq_pending(struct vhv_vcpu *vcpu)
{
	struct vhv_irqchip *chip = chip_of(vcpu->vm);
	unsigned long flags;
	bool r;

	if (!chip || !vcpu->apic)
		return false;
	if (own_takes_extint(vcpu)) {
		spin_lock_irqsave(&chip->lock, flags);
		r = vhv_pic_output(&chip->pic);
		spin_unlock_irqrestore(&chip->lock, flags);
		if (r)
			return true;
	}
	spin_lock_irqsave(&vcpu->apic->lock, flags);
	r = vhv_lapic_pending(&vcpu->apic->s) >= 0;
	spin_unlock_irqrestore(&vcpu->apic->lock, flags);
	return r;
}

/*
 * The entry path's look at the interrupt controllers, once vhv_irq_entry()
 * found a request: each lock is taken once per entry (the PIC's only while
 * LINT0 takes ExtINT), and the LAPIC's state is read in one pass for what
 * is taken, what still waits and what the TPR alone holds back.
 */
void vhv_irq_entry_slow(struct vhv_vcpu *vcpu, bool take, struct vhv_irq_entry *e)
{
	struct vhv_irqchip *chip = chip_of(vcpu->vm);
	struct vhv_vlapic *apic = vcpu->apic;
	unsigned long flags;

	if (vhv_irq_pic_wants(vcpu)) {
		spin_lock_irqsave(&chip->lock, flags);
		e->pending = pic_sync(chip);
		if (take && e->pending) {
			e->vector = vhv_pic_ack(&chip->pic);
			take = false;
			e->pending = pic_sync(chip);
		}
		spin_unlock_irqrestore(&chip->lock, flags);
	}
	if (!data_race(vhv_lapic_irr_any(&apic->s)))
		return;
	spin_lock_irqsave(&apic->lock, flags);
	vhv_lapic_entry(&apic->s, take, e);
	spin_unlock_irqrestore(&apic->lock, flags);
}

u8 vhv_irq_get_cr8(struct vhv_vcpu *vcpu)
{
	return vhv_lapic_get_cr8(&vcpu->apic->s);
}

void vhv_irq_set_cr8(struct vhv_vcpu *vcpu, u8 cr8)
{
	unsigned long flags;

	spin_lock_irqsave(&vcpu->apic->lock, flags);
	vhv_lapic_set_cr8(&vcpu->apic->s, cr8);
	spin_unlock_irqrestore(&vcpu->apic->lock, flags);
}

/* ---- ioctls ------------------------------------------------------------------------- */

void vhv_irq_set_gsi(struct vhv_vm *vm, u32 gsi, bool level, bool pulse)
{
	struct vhv_irqchip *chip = chip_of(vm);
	unsigned long flags;

	spin_lock_irqsave(&chip->lock, flags);
	set_gsi(chip, gsi, level || pulse);
	if (pulse)
		set_gsi(chip, gsi, false);
	spin_unlock_irqrestore(&chip->lock, flags);
}

bool vhv_irq_msi_address_ok(u64 address)
{
	return (address & MSI_ADDR_MASK) == MSI_ADDR_BASE;
}

void vhv_irq_send_msi(struct vhv_vm *vm, u64 address, u32 data)
{
	struct vhv_irq_msg m = {
		.dest = (address >> 12) & 0xff,
		.dest_logical = address & VHV_BIT(2),
		.vector = data & 0xff,
		.delivery_mode = (data >> 8) & 7,
		.level = data & VHV_BIT(15),
		.dest8 = true,
	};

	deliver(vm, &m, NULL, VHV_APIC_DEST_NONE);
}

int vhv_irq_line(struct vhv_vm *vm, void __user *argp)
{
	struct vhv_irq_level l;

	if (copy_from_user(&l, argp, sizeof(l)))
		return -EFAULT;
	if (l.gsi >= VHV_IOAPIC_PINS || l.level > 1)
		return -EINVAL;
	if (!chip_of(vm))
		return -ENXIO;
	vhv_irq_set_gsi(vm, l.gsi, l.level, false);
	return 0;
}

int vhv_signal_msi(struct vhv_vm *vm, void __user *argp)
{
	struct vhv_msi msi;

	if (copy_from_user(&msi, argp, sizeof(msi)))
		return -EFAULT;
	if (!vhv_irq_msi_address_ok(msi.address) || msi.flags || msi.reserved)
		return -EINVAL;
	if (!chip_of(vm))
		return -ENXIO;
	vhv_irq_send_msi(vm, msi.address, msi.data);
	return 0;
}

/* ---- life cycle ----------------------------------------------------------------------- */

int vhv_irqchip_create(struct vhv_vm *vm)
{
	struct vhv_irqchip *chip;
	int r = 0;

	if (!vhv_ops->vcpu_run)
		return -EOPNOTSUPP;
	chip = kzalloc(sizeof(*chip), GFP_KERNEL_ACCOUNT);
	if (!chip)
		return -ENOMEM;
	chip->vm = vm;
	spin_lock_init(&chip->lock);
	vhv_pic_reset(&chip->pic);
	vhv_ioapic_init(&chip->ioapic, ioapic_send, chip);
	chip->ioapic.eoi_notify = vhv_irqfd_ioapic_eoi;
	vhv_pit_reset(&chip->pit, now_ns());
	hrtimer_init(&chip->pit_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	chip->pit_timer.function = pit_timer_fn;
	vhv_irqchip_hpet_init(chip);

	mutex_lock(&vm->lock);
	if (vm->irqchip)
		r = -EEXIST;
	else if (vm->nr_vcpus)
		r = -EBUSY;
	else
		smp_store_release(&vm->irqchip, chip);
	mutex_unlock(&vm->lock);
	if (r)
		kfree(chip);
	return r;
}

/* VM teardown: no ioctl, vCPU or device can reach the chip any more. */
void vhv_irqchip_destroy(struct vhv_vm *vm)
{
	struct vhv_irqchip *chip = vm->irqchip;

	if (!chip)
		return;
	hrtimer_cancel(&chip->pit_timer);
	vhv_irqchip_hpet_destroy(chip);
	kfree(chip);
	vm->irqchip = NULL;
}

int vhv_vlapic_create(struct vhv_vcpu *vcpu)
{
	struct vhv_vlapic *apic;

	if (!vcpu->vm->irqchip)
		return 0;
	apic = kzalloc(sizeof(*apic), GFP_KERNEL_ACCOUNT);
	if (!apic)
		return -ENOMEM;
	apic->vcpu = vcpu;
	spin_lock_init(&apic->lock);
	vhv_lapic_reset(&apic->s, vcpu->id, vcpu->id == 0);
	hrtimer_init(&apic->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	apic->timer.function = lapic_timer_fn;
	vcpu->apic = apic;
	vcpu->apic_base = apic->s.base;
	vcpu->mp_state = vcpu->id == 0 ? VHV_MP_STATE_RUNNABLE : VHV_MP_STATE_WAIT_SIPI;
	return 0;
}

void vhv_vlapic_reset(struct vhv_vcpu *vcpu, bool init)
{
	struct vhv_vlapic *apic = vcpu->apic;
	unsigned long flags;

	spin_lock_irqsave(&apic->lock, flags);
	if (init)
		vhv_lapic_init_signal(&apic->s);
	else
		vhv_lapic_reset(&apic->s, vcpu->id, vcpu->id == 0);
	apic->tsc_deadline = 0;
	lapic_arm(apic);
	spin_unlock_irqrestore(&apic->lock, flags);
	vcpu->apic_base = apic->s.base;
}

/*
 * INIT puts the vCPU in its INIT state, waiting for a SIPI (the BSP runs
 * on from the reset vector); a SIPI starts a waiting vCPU in real mode at
 * vector * 4096; an NMI joins the events to inject.
 */
/* SIPI: real mode at vector * 4096 (cold: a whole sregs on the stack). */
static noinline void apic_sipi(struct vhv_vcpu *vcpu, u8 vector)
{
	struct vhv_sregs s;

	vhv_vcpu_get_sregs(vcpu, &s);
	s.cs.selector = vector << 8;
	s.cs.base = (u64)vector << 12;
	vhv_ops->set_sregs(vcpu, &s);
	vcpu->regs.rip = 0;
	vcpu->mp_state = VHV_MP_STATE_RUNNABLE;
}

/*
 * Before every entry: no large local here (the kernel's stack
 * auto-initialization would clear it each time).
 */
void vhv_irq_apic_events(struct vhv_vcpu *vcpu)
{
	if (!READ_ONCE(vcpu->apic_events))
		return;
	if (test_and_clear_bit(VHV_APIC_EV_INIT, &vcpu->apic_events)) {
		vhv_vcpu_reset(vcpu);
		vhv_vlapic_reset(vcpu, true);
		vcpu->mp_state = vcpu->id == 0 ? VHV_MP_STATE_RUNNABLE :
						 VHV_MP_STATE_WAIT_SIPI;
	}
	/* A SIPI that finds the vCPU not waiting for one is dropped. */
	if (test_and_clear_bit(VHV_APIC_EV_SIPI, &vcpu->apic_events) &&
	    vcpu->mp_state == VHV_MP_STATE_WAIT_SIPI) {
		smp_mb__after_atomic();
		apic_sipi(vcpu, READ_ONCE(vcpu->sipi_vector));
	}
	if (test_and_clear_bit(VHV_APIC_EV_NMI, &vcpu->apic_events))
		vcpu->events.nmi = true;
}

bool vhv_irq_wakeup(struct vhv_vcpu *vcpu)
{
	if (READ_ONCE(vcpu->apic_events))
		return true;
	if (vcpu->mp_state == VHV_MP_STATE_WAIT_SIPI)
		return false;
	/*
	 * An interrupt already taken from the LAPIC (IRR to ISR) but not yet
	 * delivered when the vCPU halted (QEMU's TCG model of SVM can report
	 * the HLT before the injected event) is in flight: no new interrupt
	 * would wake the vCPU for it, the ISR bit blocks its own class.
	 */
	if (vhv_ops->event_in_flight(vcpu))
		return true;
	return vcpu->events.nmi || vcpu->events.exception ||
	       ((vcpu->regs.rflags & VHV_RFLAGS_IF) &&
		(vcpu->events.extint || vhv_irq_pending(vcpu)));
}

void vhv_vlapic_destroy(struct vhv_vcpu *vcpu)
{
	if (!vcpu->apic)
		return;
	hrtimer_cancel(&vcpu->apic->timer);
	kfree(vcpu->apic);
	vcpu->apic = NULL;
}

/* ---- for the state ioctls (state.c) ------------------------------------------------ */

void vhv_irqchip_pit_rearm(struct vhv_irqchip *chip)
{
	pit_arm(chip);
}

void vhv_irqchip_pic_changed(struct vhv_irqchip *chip)
{
	pic_changed(chip);
}

void vhv_irqchip_pic_sync(struct vhv_irqchip *chip)
{
	pic_sync(chip);
}

void vhv_vlapic_rearm(struct vhv_vlapic *apic)
{
	lapic_arm(apic);
}

u64 vhv_irq_now_ns(void)
{
	return now_ns();
}

u64 vhv_irq_apic_base_valid(void)
{
	return apic_base_valid();
}
