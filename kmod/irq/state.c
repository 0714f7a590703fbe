// SPDX-License-Identifier: GPL-2.0
/*
 * Save and restore of a VM's interrupt state: VHV_GET/SET_IRQCHIP (PIC,
 * IOAPIC, PIT) on the VM fd, VHV_GET/SET_LAPIC and VHV_GET/SET_VCPU_EVENTS
 * on the vCPU fd.  The portable models save and check their own state;
 * this file takes the locks, converts times against the host clock and
 * makes the restored state act (timers re-armed, vCPUs kicked).
 */
#include <linux/bitops.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "../vhv.h"
#include "irqchip.h"
#include "state.h"

static struct vhv_irqchip *chip_of(struct vhv_vm *vm)
{
	/* Set once, before any vCPU exists. */
	return smp_load_acquire(&vm->irqchip);
}

/* ---- VHV_GET/SET_IRQCHIP ---------------------------------------------------- */

/* The size of chip's member of the union, 0 for an unknown chip. */
static size_t chip_state_size(u32 chip)
{
	switch (chip) {
	case VHV_IRQCHIP_PIC_MASTER:
	case VHV_IRQCHIP_PIC_SLAVE:
		return sizeof(struct vhv_pic_state);
	case VHV_IRQCHIP_IOAPIC:
		return sizeof(struct vhv_ioapic_state);
	case VHV_IRQCHIP_PIT:
		return sizeof(struct vhv_pit_state);
	case VHV_IRQCHIP_HPET:
		return sizeof(struct vhv_hpet_state);
	default:
		return 0;
	}
}

int vhv_get_irqchip(struct vhv_vm *vm, void __user *argp)
{
	struct vhv_irqchip *chip = chip_of(vm);
	struct vhv_irqchip_state *s;
	unsigned long flags;
	u32 head[2];
	int r = 0;

	if (copy_from_user(head, argp, sizeof(head)))
		return -EFAULT;
	if (head[1] || !chip_state_size(head[0]))
		return -EINVAL;
	if (!chip)
		return -ENXIO;
	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	s->chip = head[0];
	if (s->chip == VHV_IRQCHIP_HPET) {
		/* It takes chip->lock itself. */
		vhv_irqchip_hpet_save(chip, &s->hpet);
		goto copy;
	}
	spin_lock_irqsave(&chip->lock, flags);
	switch (s->chip) {
	case VHV_IRQCHIP_PIC_MASTER:
	case VHV_IRQCHIP_PIC_SLAVE:
		vhv_pic_save(&chip->pic, s->chip, &s->pic);
		break;
	case VHV_IRQCHIP_IOAPIC:
		vhv_ioapic_save(&chip->ioapic, &s->ioapic);
		break;
	case VHV_IRQCHIP_PIT:
		vhv_pit_save(&chip->pit, vhv_irq_now_ns(), &s->pit);
		break;
	}
	spin_unlock_irqrestore(&chip->lock, flags);
copy:
	if (copy_to_user(argp, s, sizeof(*s)))
		r = -EFAULT;
	kfree(s);
	return r;
}

int vhv_set_irqchip(struct vhv_vm *vm, void __user *argp)
{
	struct vhv_irqchip *chip = chip_of(vm);
	struct vhv_irqchip_state *s;
	unsigned long flags;
	size_t size;
	int r;

	s = memdup_user(argp, sizeof(*s));
	if (IS_ERR(s))
		return PTR_ERR(s);
	size = chip_state_size(s->chip);
	r = -EINVAL;
	if (s->pad || !size || memchr_inv(s->data + size, 0, sizeof(s->data) - size))
		goto out;
	r = -ENXIO;
	if (!chip)
		goto out;
	if (s->chip == VHV_IRQCHIP_HPET) {
		/* It takes chip->lock itself. */
		r = vhv_irqchip_hpet_restore(chip, &s->hpet);
		goto out;
	}
	spin_lock_irqsave(&chip->lock, flags);
	switch (s->chip) {
	case VHV_IRQCHIP_PIC_MASTER:
	case VHV_IRQCHIP_PIC_SLAVE:
		r = vhv_pic_restore(&chip->pic, s->chip, &s->pic);
		if (!r)
			vhv_irqchip_pic_changed(chip);
		break;
	case VHV_IRQCHIP_IOAPIC:
		/* Due level pins go out to the LAPICs from in here. */
		r = vhv_ioapic_restore(&chip->ioapic, &s->ioapic);
		break;
	case VHV_IRQCHIP_PIT:
		r = vhv_pit_restore(&chip->pit, &s->pit, vhv_irq_now_ns());
		if (!r)
			vhv_irqchip_pit_rearm(chip);
		break;
	}
	spin_unlock_irqrestore(&chip->lock, flags);
out:
	kfree(s);
	return r;
}

/* ---- VHV_GET/SET_LAPIC -------------------------------------------------------- */

int vhv_get_lapic(struct vhv_vcpu *vcpu, void __user *argp)
{
	struct vhv_vlapic *apic = vcpu->apic;
	struct vhv_lapic_state *s;
	unsigned long flags;
	int r = 0;

	if (!apic)
		return -ENXIO;
	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	spin_lock_irqsave(&apic->lock, flags);
	vhv_lapic_save(&apic->s, vhv_irq_now_ns(), s);
	s->tsc_deadline = apic->tsc_deadline;
	spin_unlock_irqrestore(&apic->lock, flags);
	if (copy_to_user(argp, s, sizeof(*s)))
		r = -EFAULT;
	kfree(s);
	return r;
}

int vhv_set_lapic(struct vhv_vcpu *vcpu, void __user *argp)
{
	struct vhv_vlapic *apic = vcpu->apic;
	struct vhv_lapic_state *s;
	unsigned long flags;
	bool deadline = false;
	int r;

	s = memdup_user(argp, sizeof(*s));
	if (IS_ERR(s))
		return PTR_ERR(s);
	r = -ENXIO;
	if (!apic)
		goto out;
	spin_lock_irqsave(&apic->lock, flags);
	r = vhv_lapic_restore(&apic->s, s, vhv_irq_now_ns(), vhv_irq_apic_base_valid());
	if (!r) {
		deadline = vhv_lapic_timer_mode(&apic->s) == VHV_LAPIC_TIMER_DEADLINE;
		/*
		 * Outside deadline mode the MSR reads 0 and drops writes (as a
		 * guest write finds it); in it, the write below sets it.
		 */
		apic->tsc_deadline = 0;
		vhv_vlapic_rearm(apic);
	}
	spin_unlock_irqrestore(&apic->lock, flags);
	if (r)
		goto out;
	vcpu->apic_base = s->apic_base;
	/*
	 * The deadline is in guest TSC units: converted against the vCPU's
	 * TSC now, as a guest write of the MSR is (one already passed fires
	 * at once).
	 */
	if (deadline && s->tsc_deadline)
		r = vhv_irq_set_msr(vcpu, VHV_MSR_TSC_DEADLINE, s->tsc_deadline);
	vhv_vcpu_kick(vcpu);
out:
	kfree(s);
	return r;
}

/* ---- VHV_GET/SET_VCPU_EVENTS -------------------------------------------------- */

#define TYPE_BIT(t)	BIT(VHV_EVENT_##t)

/*
 * One event slot against the rules of struct vhv_event_state.  The CPU
 * pushes no error code in real mode, so events already on their way may
 * lack one; a queued exception has it exactly where VHV_INJECT_EVENT
 * wants it.
 */
static bool event_valid(const struct vhv_event_state *e, unsigned long types,
			bool exact_error)
{
	if (e->valid > 1 || e->has_error_code > 1 ||
	    (!e->has_error_code && e->error_code))
		return false;
	if (!e->valid)
		return !e->type && !e->vector && !e->has_error_code;
	if (e->type >= BITS_PER_LONG || !(types & BIT(e->type)))
		return false;
	switch (e->type) {
	case VHV_EVENT_EXTINT:
		return !e->has_error_code;
	case VHV_EVENT_NMI:
		return !e->vector && !e->has_error_code;
	default:
		if (e->vector > 31 || e->vector == 2)
			return false;
		if (exact_error)
			return e->has_error_code == vhv_exception_has_error_code(e->vector);
		return !e->has_error_code || vhv_exception_has_error_code(e->vector);
	}
}

static bool events_valid(struct vhv_vcpu *vcpu, const struct vhv_vcpu_events *ev)
{
	const u8 flags[] = {
		ev->nmi_pending, ev->nmi_masked, ev->extint_pending,
		ev->interrupt_shadow, ev->triple_fault, ev->init_pending,
		ev->sipi_pending,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flags); i++)
		if (flags[i] > 1)
			return false;
	if (memchr_inv(ev->pad, 0, sizeof(ev->pad)) ||
	    memchr_inv(ev->reserved, 0, sizeof(ev->reserved)))
		return false;
	if (!event_valid(&ev->injected, TYPE_BIT(EXTINT) | TYPE_BIT(NMI) |
					TYPE_BIT(EXCEPTION), false) ||
	    !event_valid(&ev->raised, TYPE_BIT(EXCEPTION), false) ||
	    !event_valid(&ev->displaced, TYPE_BIT(EXTINT) | TYPE_BIT(NMI), false) ||
	    !event_valid(&ev->queued, TYPE_BIT(EXCEPTION), true))
		return false;
	/*
	 * States no vCPU gets into: an exception raised while one was being
	 * delivered combines with it at once (a #DF, or the new one), and an
	 * interrupt or NMI is displaced only behind an exception (raised, or
	 * being delivered again), never beside another or alone.
	 */
	if (ev->raised.valid && ev->injected.valid &&
	    ev->injected.type == VHV_EVENT_EXCEPTION)
		return false;
	if (ev->displaced.valid && !ev->raised.valid &&
	    !(ev->injected.valid && ev->injected.type == VHV_EVENT_EXCEPTION))
		return false;
	if (ev->extint_pending ? ev->extint_vector < 32 : ev->extint_vector)
		return false;
	if (!ev->sipi_pending && ev->sipi_vector)
		return false;
	/* INIT and SIPI arrive through a LAPIC. */
	return vcpu->apic || (!ev->init_pending && !ev->sipi_pending);
}

/* Userspace's answer to the last exit is vCPU state no struct holds. */
static bool exit_unfinished(struct vhv_vcpu *vcpu)
{
	return vcpu->complete != NULL;
}

int vhv_get_vcpu_events(struct vhv_vcpu *vcpu, void __user *argp)
{
	const struct vhv_pending_events *pe = &vcpu->events;
	struct vhv_vcpu_events ev = {};

	if (!vhv_ops->vcpu_run)
		return -EOPNOTSUPP;
	if (exit_unfinished(vcpu))
		return -EBUSY;
	vhv_ops->get_events(vcpu, &ev);
	if (pe->exception)
		ev.queued = (struct vhv_event_state) {
			.valid = 1, .type = VHV_EVENT_EXCEPTION,
			.vector = pe->exception_vector,
			.has_error_code = pe->exception_has_error,
			.error_code = pe->exception_has_error ? pe->exception_error : 0,
		};
	/* An NMI another vCPU sent joins the pending one before entry. */
	ev.nmi_pending = pe->nmi || test_bit(VHV_APIC_EV_NMI, &vcpu->apic_events);
	ev.extint_pending = pe->extint;
	ev.extint_vector = pe->extint ? pe->extint_vector : 0;
	if (vcpu->apic) {
		ev.init_pending = test_bit(VHV_APIC_EV_INIT, &vcpu->apic_events);
		ev.sipi_pending = test_bit(VHV_APIC_EV_SIPI, &vcpu->apic_events);
		smp_mb__after_atomic();
		ev.sipi_vector = ev.sipi_pending ? READ_ONCE(vcpu->sipi_vector) : 0;
	}
	return copy_to_user(argp, &ev, sizeof(ev)) ? -EFAULT : 0;
}

int vhv_set_vcpu_events(struct vhv_vcpu *vcpu, void __user *argp)
{
	struct vhv_pending_events *pe = &vcpu->events;
	struct vhv_vcpu_events ev;

	if (copy_from_user(&ev, argp, sizeof(ev)))
		return -EFAULT;
	if (!vhv_ops->vcpu_run)
		return -EOPNOTSUPP;
	if (!events_valid(vcpu, &ev))
		return -EINVAL;
	if (exit_unfinished(vcpu))
		return -EBUSY;

	pe->exception = ev.queued.valid;
	pe->exception_vector = ev.queued.vector;
	pe->exception_has_error = ev.queued.has_error_code;
	pe->exception_error = ev.queued.error_code;
	pe->nmi = ev.nmi_pending;
	pe->extint = ev.extint_pending;
	pe->extint_vector = ev.extint_vector;
	if (vcpu->apic) {
		clear_bit(VHV_APIC_EV_NMI, &vcpu->apic_events);
		if (ev.init_pending)
			set_bit(VHV_APIC_EV_INIT, &vcpu->apic_events);
		else
			clear_bit(VHV_APIC_EV_INIT, &vcpu->apic_events);
		if (ev.sipi_pending) {
			/* Read after the bit, as other senders publish it. */
			WRITE_ONCE(vcpu->sipi_vector, ev.sipi_vector);
			smp_mb__before_atomic();
			set_bit(VHV_APIC_EV_SIPI, &vcpu->apic_events);
		} else {
			clear_bit(VHV_APIC_EV_SIPI, &vcpu->apic_events);
		}
	}
	vhv_ops->set_events(vcpu, &ev);
	return 0;
}
