// SPDX-License-Identifier: GPL-2.0
/*
 * AMD-V execution: entering the guest (ASIDs, TLB control, event injection,
 * guest/host state switched around VMRUN) and handling each exit, through a
 * table indexed by exit code whose handlers return 1 (re-enter), 0 (exit to
 * userspace with the run area filled) or a negative errno.
 */
#include <linux/kvm_host.h>
#include <linux/sched/signal.h>
#include <asm/fpu/api.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/spec-ctrl.h>
#include <asm/tsc.h>
/* smp_send_reschedule() traces through it on newer kernels. */
#include <trace/events/ipi.h>

#include "svm.h"
#include "../irq/irqchip.h"
#include "../x86/arch_bits.h"
#include "../x86/dr6.h"

#define VEC_NMI		2

/* ---- loading on a CPU ------------------------------------------------------- */

void svm_vcpu_load(struct vhv_vcpu *vcpu, int cpu)
{
}

void svm_vcpu_put(struct vhv_vcpu *vcpu)
{
}

/* ---- events -------------------------------------------------------------------- */

/*
 * The STI/MOV SS shadow the CPU reported at the last exit, while it still
 * holds: once RIP moved past that instruction (skipped, emulated or set by
 * userspace) the shadow is over, whatever int_state still says.
 */
static bool in_shadow(struct svm_vcpu *svm)
{
	return (svm->vmcb->control.int_state & SVM_INTERRUPT_SHADOW) &&
	       svm->vcpu.regs.rip == svm->exit_rip;
}

static void request_window(struct svm_vcpu *svm, bool on);

bool svm_event_in_flight(struct vhv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	return svm->reinject || svm->reinject_later || svm->exc_pending ||
	       svm->triple_fault;
}

void svm_clear_events(struct vhv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	svm->reinject = 0;
	svm->reinject_later = 0;
	svm->triple_fault = false;
	svm->exc_pending = false;
	svm->nmi_masked = svm->awaiting_iret = false;
	svm->vmcb->control.int_state = 0;
	svm->vmcb->control.event_inj = 0;
	request_window(svm, false);
	/* RESET and INIT: DR6/DR7 architectural, MOV DR intercepted again. */
	svm->vmcb->save.dr6 = 0xffff0ff0;
	svm->vmcb->save.dr7 = 0x400;
	svm->vmcb->control.intercept_dr = 0xffffffff;
	vmcb_mark_dirty(svm->vmcb, SVM_CLEAN_DR);
	vmcb_mark_dirty(svm->vmcb, SVM_CLEAN_INTERCEPTS);
	vcpu->debug_active = false;
}

bool svm_interrupt_allowed(struct vhv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	return (vcpu->regs.rflags & VHV_RFLAGS_IF) && !in_shadow(svm) &&
	       !svm->reinject && !svm->reinject_later && !svm->exc_pending;
}

static bool contributory(u8 vector)
{
	return vector == 0 || (vector >= 10 && vector <= 13);
}

/*
 * An exception raised while delivering another exception (the exit cut
 * that delivery short, svm->reinject holds it): the two combine as the
 * SDM's table of double faults says, rather than the old one being
 * delivered again first and failing again forever.  Two contributory
 * (or #PF then #PF/contributory) make #DF; a fault delivering #DF is a
 * triple fault; otherwise the new one goes and re-execution raises the
 * old again if it still applies.
 */
static void combine_exceptions(struct svm_vcpu *svm, u8 *vector,
			       bool *has_error, u32 *error)
{
	u32 old = svm->reinject;
	u8 ov = old & SVM_EVTINJ_VECTOR_MASK;

	if (!(old & SVM_EVTINJ_VALID) ||
	    ((old & SVM_EVTINJ_TYPE_MASK) >> SVM_EVTINJ_TYPE_SHIFT) != SVM_EVTINJ_TYPE_EXEPT)
		return;
	svm->reinject = 0;
	if (ov == 8) {
		svm->triple_fault = true;
		return;
	}
	if ((contributory(ov) && contributory(*vector)) ||
	    (ov == 14 && (*vector == 14 || contributory(*vector)))) {
		*vector = 8;
		*has_error = true;
		*error = 0;
	}
}

void svm_queue_exception(struct vhv_vcpu *vcpu, u8 vector, bool has_error,
			 u32 error, u64 cr2)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	combine_exceptions(svm, &vector, &has_error, &error);
	svm->exc_pending = true;
	svm->exc_vector = vector;
	svm->exc_has_error = has_error;
	svm->exc_error = error;
	vhv_count(vcpu, VHV_STAT_EXCEPTION);
	if (vector == 14) {
		svm->vmcb->save.cr2 = cr2;
		vmcb_mark_dirty(svm->vmcb, SVM_CLEAN_CR2);
	}
}

/*
 * DR6 is the VMCB's (VMRUN loads it, #VMEXIT saves it), and AMD's CPUs
 * never clear B0-B3 (APM 13.1.1.3).  AMD has no pending-debug state to
 * merge; a shadow the exit reported is over once the trap is taken.
 */
void svm_single_step(struct vhv_vcpu *vcpu)
{
	struct svm_vmcb *vmcb = to_svm(vcpu)->vmcb;

	vmcb->save.dr6 = vhv_dr6_after_db(vmcb->save.dr6, VHV_DR6_BS, false);
	vmcb_mark_dirty(vmcb, SVM_CLEAN_DR);
	vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW;
}

static u32 evtinj(u8 vector, u32 type, bool has_error)
{
	return vector | (type << SVM_EVTINJ_TYPE_SHIFT) |
	       (has_error ? SVM_EVTINJ_VALID_ERR : 0) | SVM_EVTINJ_VALID;
}

#define WINDOW_BITS	(SVM_V_IRQ | SVM_V_IGN_TPR | (0xf << SVM_V_INTR_PRIO_SHIFT))

/* Asks for a VINTR exit as soon as the guest can take an interrupt. */
static void request_window(struct svm_vcpu *svm, bool on)
{
	struct svm_vmcb_control *c = &svm->vmcb->control;

	if (on == !!(c->intercept_misc1 & SVM_INTERCEPT_VINTR))
		return;
	if (on) {
		c->int_ctl |= WINDOW_BITS;
		c->intercept_misc1 |= SVM_INTERCEPT_VINTR;
	} else {
		c->int_ctl &= ~WINDOW_BITS;
		c->intercept_misc1 &= ~SVM_INTERCEPT_VINTR;
	}
	vmcb_mark_dirty(svm->vmcb, SVM_CLEAN_INTR | SVM_CLEAN_INTERCEPTS);
}

/*
 * One event per entry, most urgent first.  Returns true when an NMI stays
 * pending for a reason that ends by itself (another event goes first, or
 * an interrupt shadow), or an interrupt or NMI waits behind the exception
 * going in: the caller then makes the guest exit right after the entry,
 * so it goes in at the next one.
 */
static bool inject_events(struct svm_vcpu *svm)
{
	struct vhv_vcpu *vcpu = &svm->vcpu;
	struct vhv_pending_events *ev = &vcpu->events;
	struct svm_vmcb_control *c = &svm->vmcb->control;
	bool want_window = vcpu->run->request_interrupt_window;
	bool kick = false, take = false;
	struct vhv_irq_entry irq;

	c->event_inj = 0;
	/*
	 * An exception the exit raised goes first: an interrupt or NMI whose
	 * delivery it interrupted waits (exceptions being re-delivered were
	 * combined with it when it was queued).
	 */
	if (svm->reinject && !svm->exc_pending) {
		c->event_inj = svm->reinject;
		c->event_inj_err = svm->reinject_err;
		svm->reinject = 0;
	} else if (svm->exc_pending) {
		c->event_inj = evtinj(svm->exc_vector, SVM_EVTINJ_TYPE_EXEPT,
				      svm->exc_has_error);
		c->event_inj_err = svm->exc_error;
		svm->exc_pending = false;
		/*
		 * The interrupt or NMI whose delivery the exit cut short goes
		 * in after it.  Without one, an interrupt displaced earlier
		 * (behind the exception this one was raised delivering) keeps
		 * its place.
		 */
		if (svm->reinject) {
			svm->reinject_later = svm->reinject;
			svm->reinject_later_err = svm->reinject_err;
			svm->reinject = 0;
		}
	} else if (ev->exception) {
		c->event_inj = evtinj(ev->exception_vector, SVM_EVTINJ_TYPE_EXEPT,
				      ev->exception_has_error);
		c->event_inj_err = ev->exception_error;
		ev->exception = false;
	} else if (ev->nmi && !svm->nmi_masked && !in_shadow(svm)) {
		c->event_inj = evtinj(VEC_NMI, SVM_EVTINJ_TYPE_NMI, false);
		ev->nmi = false;
		svm->nmi_masked = true;
		c->intercept_misc1 |= SVM_INTERCEPT_IRET;
		vmcb_mark_dirty(svm->vmcb, SVM_CLEAN_INTERCEPTS);
	} else if (ev->extint && svm_interrupt_allowed(vcpu)) {
		c->event_inj = evtinj(ev->extint_vector, SVM_EVTINJ_TYPE_INTR, false);
		ev->extint = false;
	} else if (vcpu->apic && svm_interrupt_allowed(vcpu)) {
		take = true;
	}
	vhv_irq_entry(vcpu, take, &irq);
	if (irq.vector >= 0)
		c->event_inj = evtinj(irq.vector, SVM_EVTINJ_TYPE_INTR, false);
	svm->injected = c->event_inj;
	/* What could not go in now waits for its window, not for any exit. */
	if (ev->extint || irq.pending)
		want_window = true;
	if (ev->nmi && !svm->nmi_masked)
		kick = true;
	/* What an exception displaced goes in right after its delivery. */
	if (svm->reinject_later)
		kick = true;
	request_window(svm, want_window);
	/*
	 * An interrupt the TPR alone holds back goes in when the guest lowers
	 * CR8, which does not exit by itself: intercept CR8 writes until then
	 * (a TPR-aware VINTR window would do, but trips QEMU's TCG model of
	 * SVM when the guest writes CR8 meanwhile).
	 */
	if ((irq.tpr_blocked >= 0) != !!(c->intercept_cr & SVM_INTERCEPT_CR8_WRITE)) {
		c->intercept_cr ^= SVM_INTERCEPT_CR8_WRITE;
		vmcb_mark_dirty(svm->vmcb, SVM_CLEAN_INTERCEPTS);
	}
	return kick;
}

/*
 * INTn, INT3 and INTO are instructions: when their delivery was cut short
 * the guest executes them again (RIP still points at them), so they are
 * not re-injected, which would push the wrong return address.  An INT3 or
 * INTO vector that vhv itself injected is an event like any other.
 */
static bool reexecutes(struct svm_vcpu *svm, u32 info)
{
	u32 type = (info & SVM_EVTINJ_TYPE_MASK) >> SVM_EVTINJ_TYPE_SHIFT;
	u8 vector = info & SVM_EVTINJ_VECTOR_MASK;

	if (type == SVM_EVTINJ_TYPE_SOFT)
		return true;
	return type == SVM_EVTINJ_TYPE_EXEPT && (vector == 3 || vector == 4) &&
	       (svm->injected & ~SVM_EVTINJ_VALID_ERR) != (info & ~SVM_EVTINJ_VALID_ERR);
}

/*
 * An interrupt or NMI injected at this entry whose delivery completed
 * (the exit did not cut it short and report it back).
 */
static bool delivered_interrupt(struct svm_vcpu *svm)
{
	struct svm_vmcb_control *c = &svm->vmcb->control;
	u32 inj = svm->injected, type;

	if (!(inj & SVM_EVTINJ_VALID) || c->exit_code == SVM_EXIT_INVALID)
		return false;
	type = (inj & SVM_EVTINJ_TYPE_MASK) >> SVM_EVTINJ_TYPE_SHIFT;
	if (type != SVM_EVTINJ_TYPE_INTR && type != SVM_EVTINJ_TYPE_NMI)
		return false;
	return !(c->exit_int_info & SVM_EVTINJ_VALID) ||
	       (c->exit_int_info & ~SVM_EVTINJ_VALID_ERR) != (inj & ~SVM_EVTINJ_VALID_ERR);
}

/* What the last exit interrupted must be delivered again. */
static void save_interrupted_event(struct svm_vcpu *svm)
{
	struct svm_vmcb_control *c = &svm->vmcb->control;
	u32 info = c->exit_int_info;

	if (delivered_interrupt(svm))
		vhv_count(&svm->vcpu, VHV_STAT_INTERRUPTS);

	if ((info & SVM_EVTINJ_VALID) && !reexecutes(svm, info)) {
		svm->reinject = info;
		svm->reinject_err = c->exit_int_info_err;
	} else if (svm->reinject_later) {
		svm->reinject = svm->reinject_later;
		svm->reinject_err = svm->reinject_later_err;
		svm->reinject_later = 0;
	}
	if (svm->awaiting_iret && svm->vmcb->save.rip != svm->nmi_iret_rip) {
		svm->awaiting_iret = false;
		svm->nmi_masked = false;
	}
}

/* ---- save/restore of events ------------------------------------------------- */

static void event_from_evtinj(u32 info, u32 err, struct vhv_event_state *e)
{
	u32 type = (info & SVM_EVTINJ_TYPE_MASK) >> SVM_EVTINJ_TYPE_SHIFT;
	u8 vector = info & SVM_EVTINJ_VECTOR_MASK;

	if (!(info & SVM_EVTINJ_VALID))
		return;
	switch (type) {
	case SVM_EVTINJ_TYPE_INTR:
		*e = (struct vhv_event_state) {
			.valid = 1, .type = VHV_EVENT_EXTINT, .vector = vector,
		};
		break;
	case SVM_EVTINJ_TYPE_NMI:
		*e = (struct vhv_event_state) { .valid = 1, .type = VHV_EVENT_NMI };
		break;
	case SVM_EVTINJ_TYPE_EXEPT:
		*e = (struct vhv_event_state) {
			.valid = 1, .type = VHV_EVENT_EXCEPTION, .vector = vector,
			.has_error_code = !!(info & SVM_EVTINJ_VALID_ERR),
			.error_code = info & SVM_EVTINJ_VALID_ERR ? err : 0,
		};
		break;
	}
	/* Software interrupts are never kept: their INTn runs again. */
}

static u32 evtinj_from_event(const struct vhv_event_state *e, u32 *err)
{
	*err = e->error_code;
	if (!e->valid)
		return 0;
	switch (e->type) {
	case VHV_EVENT_EXTINT:
		return evtinj(e->vector, SVM_EVTINJ_TYPE_INTR, false);
	case VHV_EVENT_NMI:
		return evtinj(VEC_NMI, SVM_EVTINJ_TYPE_NMI, false);
	default:
		return evtinj(e->vector, SVM_EVTINJ_TYPE_EXEPT, e->has_error_code);
	}
}

void svm_get_events(struct vhv_vcpu *vcpu, struct vhv_vcpu_events *ev)
{
	struct svm_vcpu *svm = to_svm(vcpu);

	event_from_evtinj(svm->reinject, svm->reinject_err, &ev->injected);
	event_from_evtinj(svm->reinject_later, svm->reinject_later_err, &ev->displaced);
	if (svm->exc_pending)
		ev->raised = (struct vhv_event_state) {
			.valid = 1, .type = VHV_EVENT_EXCEPTION, .vector = svm->exc_vector,
			.has_error_code = svm->exc_has_error,
			.error_code = svm->exc_has_error ? svm->exc_error : 0,
		};
	/* An IRET seen but not yet past is still an NMI handler running. */
	ev->nmi_masked = svm->nmi_masked;
	ev->interrupt_shadow = in_shadow(svm);
	ev->triple_fault = svm->triple_fault;
}

void svm_set_events(struct vhv_vcpu *vcpu, const struct vhv_vcpu_events *ev)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct svm_vmcb_control *c = &svm->vmcb->control;

	svm->reinject = evtinj_from_event(&ev->injected, &svm->reinject_err);
	svm->reinject_later = evtinj_from_event(&ev->displaced, &svm->reinject_later_err);
	svm->exc_pending = ev->raised.valid;
	svm->exc_vector = ev->raised.vector;
	svm->exc_has_error = ev->raised.has_error_code;
	svm->exc_error = ev->raised.error_code;
	svm->triple_fault = ev->triple_fault;
	c->event_inj = 0;
	svm->injected = 0;
	/* A masked NMI ends with the handler's IRET: watch for it again. */
	svm->nmi_masked = ev->nmi_masked;
	svm->awaiting_iret = false;
	if (ev->nmi_masked)
		c->intercept_misc1 |= SVM_INTERCEPT_IRET;
	else
		c->intercept_misc1 &= ~SVM_INTERCEPT_IRET;
	/* The shadow holds while RIP stays where it is now. */
	if (ev->interrupt_shadow)
		c->int_state |= SVM_INTERRUPT_SHADOW;
	else
		c->int_state &= ~SVM_INTERRUPT_SHADOW;
	svm->exit_rip = vcpu->regs.rip;
	vmcb_mark_dirty(svm->vmcb, SVM_CLEAN_INTERCEPTS | SVM_CLEAN_INTR);
}

/* ---- entry -------------------------------------------------------------------- */

static void new_asid(struct svm_vcpu *svm, struct svm_cpu *sd, int cpu)
{
	struct svm_vmcb_control *c = &svm->vmcb->control;

	if (sd->next_asid > svm_max_asid) {
		sd->asid_generation++;
		sd->next_asid = 1;
		c->tlb_control = SVM_TLB_CONTROL_FLUSH_ALL;
	}
	c->asid = sd->next_asid++;
	svm->asid_generation = sd->asid_generation;
	svm->asid_cpu = cpu;
	vmcb_mark_dirty(svm->vmcb, SVM_CLEAN_ASID);
}

static void prepare_tlb(struct svm_vcpu *svm, struct svm_cpu *sd, int cpu)
{
	struct vhv_vcpu *vcpu = &svm->vcpu;

	if (test_and_clear_bit(VHV_REQ_TLB_FLUSH, &vcpu->requests)) {
		if (svm_has_flushbyasid)
			svm->vmcb->control.tlb_control = SVM_TLB_CONTROL_FLUSH_ASID;
		else
			svm->asid_generation = 0;	/* a fresh ASID is clean */
	}
	if (svm->asid_cpu != cpu || svm->asid_generation != sd->asid_generation)
		new_asid(svm, sd, cpu);
	if (sd->last_vmcb != svm->vmcb || svm->last_cpu != cpu) {
		svm->vmcb->control.clean = 0;
		sd->last_vmcb = svm->vmcb;
		svm->last_cpu = cpu;
	}
}

static u32 check_entry_state(struct svm_vcpu *svm)
{
	const struct svm_vmcb_save *save = &svm->vmcb->save;

	return vhv_check_entry_state(save->cr0, save->cr4,
				     save->efer & ~SVM_EFER_SVME,
				     save->cs.attrib & BIT(9),
				     save->cs.attrib & BIT(10));
}

static int svm_handle_exit(struct svm_vcpu *svm);

int svm_vcpu_run(struct vhv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct svm_vmcb *vmcb = svm->vmcb;
	struct svm_cpu *sd;
	u32 check;
	int cpu;

	if (svm->triple_fault) {
		svm->triple_fault = false;
		return vhv_exit_shutdown(vcpu);
	}
	if (vcpu->state_dirty) {
		check = check_entry_state(svm);
		if (check != VHV_ENTRY_STATE_OK)
			return vhv_exit_fail_entry(vcpu, 0, check);
		vcpu->state_dirty = false;
	}
	if (vcpu->run->request_interrupt_window && !vcpu->events.extint &&
	    svm_interrupt_allowed(vcpu)) {
		vcpu->run->exit_reason = VHV_EXIT_IRQ_WINDOW_OPEN;
		return 0;
	}

	local_irq_disable();
	/* Pairs with vhv_vm_flush_tlbs(): set mode, then read requests. */
	smp_store_mb(vcpu->mode, VHV_IN_GUEST);
	/* An NMI, INIT or SIPI sent before mode was set finds us here. */
	if (need_resched() || signal_pending(current) || vhv_hw_rebooting() ||
	    READ_ONCE(vcpu->apic_events)) {
		smp_store_release(&vcpu->mode, VHV_OUTSIDE_GUEST);
		local_irq_enable();
		return vhv_hw_rebooting() ? -EIO : 1;
	}
	/*
	 * Preemption saved the guest's FPU registers and left them to be
	 * reloaded on return to user mode: the guest is that user mode.
	 */
	fpregs_assert_state_consistent();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	cpu = smp_processor_id();
	sd = this_cpu_ptr(&svm_cpu);
	prepare_tlb(svm, sd, cpu);
	if (vcpu->regs.rip != svm->exit_rip)
		vmcb->control.int_state &= ~SVM_INTERRUPT_SHADOW;
	/* CR8 writes do not exit: V_TPR mirrors the LAPIC's TPR. */
	if (vcpu->apic && (vmcb->control.int_ctl & SVM_V_TPR_MASK) != vhv_irq_get_cr8(vcpu)) {
		vmcb->control.int_ctl = (vmcb->control.int_ctl & ~SVM_V_TPR_MASK) |
					vhv_irq_get_cr8(vcpu);
		vmcb_mark_dirty(vmcb, SVM_CLEAN_INTR);
	}
	/*
	 * A pending interrupt on this CPU makes the guest exit as soon as the
	 * event now injected is delivered (or the shadow is over), with
	 * nothing else run in between.
	 */
	if (inject_events(svm))
		smp_send_reschedule(cpu);
	vmcb->save.rax = vcpu->regs.rax;
	vmcb->save.rsp = vcpu->regs.rsp;
	vmcb->save.rip = vcpu->regs.rip;
	vmcb->save.rflags = vcpu->regs.rflags;
	vmcb->control.exit_code = SVM_EXIT_INVALID;

	guest_timing_enter_irqoff();
	asm volatile("clgi" ::: "memory");
	/* Otherwise svm_vmrun() switches SPEC_CTRL, with no RET in between. */
	if (boot_cpu_has(X86_FEATURE_V_SPEC_CTRL))
		vmcb->save.spec_ctrl = vcpu->msr.spec_ctrl;
	vhv_switch_to_guest(vcpu, vmcb->save.cr4);
	guest_state_enter_irqoff();
	/* AMD's DIV0 bug: the guest's first divide must not see the
	 * quotient of the host's last one. */
	amd_clear_divider();
	svm_vmrun(svm->vmcb_pa, &vcpu->regs, page_to_phys(sd->host_area),
		  vcpu->msr.spec_ctrl);
	guest_state_exit_irqoff();
	/*
	 * VMSCAPE: what the guest trained must not steer the VMM; the host
	 * IBPBs on this CPU's next return to user mode (KVM sets it here too,
	 * before preemption could move the task to another CPU).
	 */
	if (cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER))
		this_cpu_write(x86_ibpb_exit_to_user, true);
	vhv_switch_to_host(vcpu, vmcb->save.cr4);
	asm volatile("stgi" ::: "memory");
	smp_store_release(&vcpu->mode, VHV_OUTSIDE_GUEST);
	if (unlikely(vmcb->control.exit_code == SVM_EXIT_MC))
		vhv_handle_mce();

	vcpu->regs.rax = vmcb->save.rax;
	vcpu->regs.rsp = vmcb->save.rsp;
	vcpu->regs.rip = vmcb->save.rip;
	vcpu->regs.rflags = vmcb->save.rflags;
	svm->exit_rip = vmcb->save.rip;
	if (vcpu->apic && (vmcb->control.int_ctl & SVM_V_TPR_MASK) != vhv_irq_get_cr8(vcpu))
		vhv_irq_set_cr8(vcpu, vmcb->control.int_ctl & SVM_V_TPR_MASK);
	vmcb->control.clean = SVM_CLEAN_ALL;
	vmcb->control.tlb_control = 0;
	save_interrupted_event(svm);

	/* Host interrupts that made the exit are handled here. */
	local_irq_enable();
	vhv_count(vcpu, VHV_STAT_EXITS);
	local_irq_disable();
	guest_timing_exit_irqoff();
	local_irq_enable();

	return svm_handle_exit(svm);
}

/* ---- exits --------------------------------------------------------------------- */

static struct vhv_run *run_of(struct svm_vcpu *svm)
{
	return svm->vcpu.run;
}

static int skip(struct svm_vcpu *svm)
{
	return vhv_skip_insn(&svm->vcpu);
}

static int exit_host_event(struct svm_vcpu *svm)
{
	vhv_count(&svm->vcpu, VHV_STAT_HOST_IRQ);
	return 1;
}

static int exit_machine_check(struct svm_vcpu *svm)
{
	return 1;	/* svm_vcpu_run() gave it to the host, on its CPU */
}

/*
 * #DB and #AC are intercepted only so that a guest cannot make the CPU
 * deliver them to itself forever without an exit (an #AC or a #DB raised
 * while delivering the same exception: CVE-2015-5307, CVE-2015-8104).
 * The CPU has already updated the guest's DR6 in the VMCB; hand the
 * exception back, one delivery per exit.
 */
static int exit_reflect_db(struct svm_vcpu *svm)
{
	svm_queue_exception(&svm->vcpu, 1, false, 0, 0);
	return 1;
}

static int exit_reflect_ac(struct svm_vcpu *svm)
{
	svm_queue_exception(&svm->vcpu, 17, true, 0, 0);
	return 1;
}

/* MOV to CR8 while an interrupt waits for the TPR to drop. */
static int exit_write_cr8(struct svm_vcpu *svm)
{
	struct svm_vmcb_control *c = &svm->vmcb->control;
	struct vhv_vcpu *vcpu = &svm->vcpu;
	u8 bytes[VHV_INSN_MAX_LEN], cr = 8, gpr;
	struct vhv_cpu_state st;
	unsigned int n;
	int len = 0, r;
	u64 val, next;

	if (svm_has_decode_assists && (c->exit_info_1 & SVM_CR_VALID) &&
	    vcpu->next_rip_valid) {
		gpr = c->exit_info_1 & 15;
	} else {
		r = vhv_fetch_insn(vcpu, bytes, &n);
		if (r)
			return r == -EAGAIN ? 1 : 0;
		vhv_ops->get_cpu_state(vcpu, &st);
		len = vhv_decode_mov_to_cr(bytes, n, st.mode, &cr, &gpr);
		if (len < 0 || cr != 8) {
			u64 data[5] = { 0, vcpu->regs.rip, n };

			memcpy(&data[3], bytes, min_t(unsigned int, n, 16));
			return vhv_exit_internal(vcpu, VHV_INTERNAL_EMULATION, 5, data);
		}
	}
	val = vhv_reg_get(&vcpu->regs, gpr, false, 8);
	if (val & ~0xfull) {
		vhv_inject_gp(vcpu);
		return 1;
	}
	vhv_irq_set_cr8(vcpu, val);
	if (!len)
		return vhv_skip_insn(vcpu);	/* nRIP */
	next = vcpu->regs.rip + len;
	if (st.mode != VHV_MODE_64)
		next &= 0xffffffffull;
	vhv_complete_insn(vcpu, next);
	return 1;
}

static int exit_vintr(struct svm_vcpu *svm)
{
	request_window(svm, false);
	vhv_count(&svm->vcpu, VHV_STAT_IRQ_WINDOW);
	if (!run_of(svm)->request_interrupt_window)
		return 1;	/* a queued EXTINT goes in at the next entry */
	run_of(svm)->exit_reason = VHV_EXIT_IRQ_WINDOW_OPEN;
	return 0;
}

static int exit_iret(struct svm_vcpu *svm)
{
	/* NMIs stay blocked until this IRET has completed. */
	svm->vmcb->control.intercept_misc1 &= ~SVM_INTERCEPT_IRET;
	vmcb_mark_dirty(svm->vmcb, SVM_CLEAN_INTERCEPTS);
	svm->awaiting_iret = true;
	svm->nmi_iret_rip = svm->vmcb->save.rip;
	return 1;
}

static int exit_cpuid(struct svm_vcpu *svm)
{
	vhv_emulate_cpuid(&svm->vcpu);
	return skip(svm);
}

static int exit_hlt(struct svm_vcpu *svm)
{
	int r = skip(svm);

	return r <= 0 ? r : vhv_exit_hlt(&svm->vcpu);
}

/*
 * INVD: nothing the guest may drop.  WBINVD/WBNOINVD: no device writes to
 * guest memory behind the caches, so there is nothing to write back, and
 * a guest must not flush the host's caches in a loop.
 */
static int exit_nop(struct svm_vcpu *svm)
{
	return skip(svm);
}

static int exit_ud(struct svm_vcpu *svm)
{
	vhv_inject_ud(&svm->vcpu);
	return 1;
}

static int exit_gp(struct svm_vcpu *svm)
{
	vhv_inject_gp(&svm->vcpu);
	return 1;
}

static int exit_vmmcall(struct svm_vcpu *svm)
{
	int r = skip(svm);

	return r <= 0 ? r : vhv_exit_hypercall(&svm->vcpu, svm->vmcb->save.cpl);
}

static int exit_shutdown(struct svm_vcpu *svm)
{
	return vhv_exit_shutdown(&svm->vcpu);
}

static int exit_msr(struct svm_vcpu *svm)
{
	return vhv_handle_msr(&svm->vcpu, svm->vmcb->control.exit_info_1 & 1);
}

static int exit_xsetbv(struct svm_vcpu *svm)
{
	struct vhv_regs *r = &svm->vcpu.regs;

	return vhv_handle_xsetbv(&svm->vcpu, r->rcx,
				 (r->rdx << 32) | (u32)r->rax);
}

/* To userspace as an exit vhv does not handle: the code and both infos. */
static int unhandled(struct svm_vcpu *svm)
{
	u64 data[3] = { svm->vmcb->control.exit_code,
			svm->vmcb->control.exit_info_1,
			svm->vmcb->control.exit_info_2 };

	vhv_count(&svm->vcpu, VHV_STAT_OTHER);
	return vhv_exit_internal(&svm->vcpu, VHV_INTERNAL_UNHANDLED_EXIT, 3, data);
}

static int exit_ioio(struct svm_vcpu *svm)
{
	u64 info = svm->vmcb->control.exit_info_1;
	u8 size = (info >> SVM_IOIO_SIZE_SHIFT) & 7;
	u8 asize = (info >> SVM_IOIO_ASIZE_SHIFT) & 7;

	/* size and asize are one-hot: 1/2/4 bytes, 16/32/64 bits; a CPU that
	 * reports no address size (QEMU) leaves it to the decoder (0).  Any
	 * other size only an emulating L0 could report: string I/O divides
	 * by it. */
	if (size != 1 && size != 2 && size != 4)
		return unhandled(svm);
	return vhv_handle_pio(&svm->vcpu, info >> SVM_IOIO_PORT_SHIFT, size,
			      info & SVM_IOIO_TYPE_IN, info & SVM_IOIO_STR,
			      info & SVM_IOIO_REP, asize == 4 ? 8 : asize * 2,
			      (info >> SVM_IOIO_SEG_SHIFT) & 7,
			      svm->vmcb->control.exit_info_2);
}

static int exit_npf(struct svm_vcpu *svm)
{
	struct svm_vmcb_control *c = &svm->vmcb->control;
	struct vhv_vcpu *vcpu = &svm->vcpu;

	/* Decode assists hand over the faulting instruction's bytes. */
	/* An access while delivering an event (to the IDT, the stack, a
	 * TSS) is no instruction's: it cannot be emulated as MMIO. */
	vcpu->event_vectoring = c->exit_int_info & SVM_EVTINJ_VALID;
	vcpu->exit_insn_len = svm_has_decode_assists ?
			      min_t(u8, c->insn_len, VHV_INSN_MAX_LEN) : 0;
	if (vcpu->exit_insn_len)
		memcpy(vcpu->exit_insn, c->insn_bytes, vcpu->exit_insn_len);
	return vhv_mmu_page_fault(vcpu, c->exit_info_2,
				  c->exit_info_1 & SVM_NPF_WRITE,
				  c->exit_info_1 & SVM_NPF_GUEST_PAGE);
}

/* The guest touched a debug register: give it its own from now on. */
static int exit_dr(struct svm_vcpu *svm)
{
	svm->vmcb->control.intercept_dr = 0;
	vmcb_mark_dirty(svm->vmcb, SVM_CLEAN_INTERCEPTS);
	svm->vcpu.debug_active = true;
	return 1;	/* the instruction runs again, natively */
}

static int exit_task_switch(struct svm_vcpu *svm)
{
	return unhandled(svm);
}

typedef int (*svm_exit_handler)(struct svm_vcpu *svm);

static const svm_exit_handler exit_handlers[SVM_EXIT_MAX + 1] = {
	[SVM_EXIT_WRITE_CR8]	= exit_write_cr8,
	[SVM_EXIT_READ_DR0 ... SVM_EXIT_WRITE_DR7] = exit_dr,
	[SVM_EXIT_DB]		= exit_reflect_db,
	[SVM_EXIT_AC]		= exit_reflect_ac,
	[SVM_EXIT_MC]		= exit_machine_check,
	[SVM_EXIT_INTR]		= exit_host_event,
	[SVM_EXIT_NMI]		= exit_host_event,
	[SVM_EXIT_SMI]		= exit_host_event,
	[SVM_EXIT_VINTR]	= exit_vintr,
	[SVM_EXIT_RDPMC]	= exit_gp,
	[SVM_EXIT_CPUID]	= exit_cpuid,
	[SVM_EXIT_IRET]		= exit_iret,
	[SVM_EXIT_INVD]		= exit_nop,
	[SVM_EXIT_HLT]		= exit_hlt,
	[SVM_EXIT_INVLPGA]	= exit_ud,
	[SVM_EXIT_IOIO]		= exit_ioio,
	[SVM_EXIT_MSR]		= exit_msr,
	[SVM_EXIT_TASK_SWITCH]	= exit_task_switch,
	[SVM_EXIT_SHUTDOWN]	= exit_shutdown,
	[SVM_EXIT_VMRUN]	= exit_ud,
	[SVM_EXIT_VMMCALL]	= exit_vmmcall,
	[SVM_EXIT_VMLOAD]	= exit_ud,
	[SVM_EXIT_VMSAVE]	= exit_ud,
	[SVM_EXIT_STGI]		= exit_ud,
	[SVM_EXIT_CLGI]		= exit_ud,
	[SVM_EXIT_SKINIT]	= exit_ud,
	[SVM_EXIT_WBINVD]	= exit_nop,
	[SVM_EXIT_MONITOR]	= exit_ud,
	[SVM_EXIT_MWAIT]	= exit_ud,
	[SVM_EXIT_MWAIT_COND]	= exit_ud,
	[SVM_EXIT_XSETBV]	= exit_xsetbv,
	[SVM_EXIT_RDPRU]	= exit_ud,
	[SVM_EXIT_NPF]		= exit_npf,
};

static int svm_handle_exit(struct svm_vcpu *svm)
{
	struct svm_vmcb_control *c = &svm->vmcb->control;
	struct vhv_vcpu *vcpu = &svm->vcpu;
	u64 code = c->exit_code;

	vcpu->next_rip_valid = svm_has_nrips && code != SVM_EXIT_NPF;
	/* nRIP is taken as the CPU wrote it, but never past 4 GiB outside 64-bit mode. */
	vcpu->next_rip = vhv_next_rip(vcpu->regs.rip, c->next_rip,
				      (svm->vmcb->save.efer & VHV_EFER_LMA) &&
				      (svm->vmcb->save.cs.attrib & BIT(9)));
	vcpu->exit_insn_len = 0;
	if (code == SVM_EXIT_INVALID) {
		u32 check = check_entry_state(svm);

		return vhv_exit_fail_entry(vcpu, code, check == VHV_ENTRY_STATE_OK ?
				  VHV_ENTRY_CHECK_HARDWARE : check);
	}
	if (code <= SVM_EXIT_MAX && exit_handlers[code])
		return exit_handlers[code](svm);
	return unhandled(svm);
}
