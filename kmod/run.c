// SPDX-License-Identifier: GPL-2.0
/*
 * The run loop every vendor shares: load the vCPU on its CPU (and follow it
 * when the scheduler moves it), switch FPU state, finish what the last exit
 * to userspace asked for, and enter the guest until an exit needs
 * userspace, a signal arrives, or an error stops it.
 */
#include <linux/ktime.h>
#include <linux/moduleparam.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/stat.h>
#include <asm/fpu/api.h>
#include <asm/mce.h>

#include "vhv.h"
#include "haltpoll.h"
#include "irq/irqchip.h"

/*
 * The longest a halted vCPU polls for its wakeup before it sleeps; each
 * vCPU adapts its own window below it (haltpoll.c).  Read at each halt,
 * so a change applies at once.
 */
static unsigned int halt_poll_ns = VHV_HALTPOLL_MAX_NS_DEFAULT;
module_param(halt_poll_ns, uint, 0644);
MODULE_PARM_DESC(halt_poll_ns,
		 "Longest a halted vCPU polls before it sleeps, in ns (0: never polls; default 200000)");

static struct preempt_ops vhv_preempt_ops;

static struct vhv_vcpu *preempt_to_vcpu(struct preempt_notifier *pn)
{
	return container_of(pn, struct vhv_vcpu, preempt);
}

static void vhv_sched_in(struct preempt_notifier *pn, int cpu)
{
	struct vhv_vcpu *vcpu = preempt_to_vcpu(pn);

	WRITE_ONCE(vcpu->cpu, cpu);
	vhv_switch_load(vcpu, cpu);
	vhv_ops->vcpu_load(vcpu, cpu);
}

static void vhv_sched_out(struct preempt_notifier *pn, struct task_struct *next)
{
	struct vhv_vcpu *vcpu = preempt_to_vcpu(pn);

	vhv_ops->vcpu_put(vcpu);
	vhv_switch_put(vcpu);
	WRITE_ONCE(vcpu->cpu, -1);
}

int vhv_preempt_notifiers_init(void)
{
	vhv_preempt_ops.sched_in = vhv_sched_in;
	vhv_preempt_ops.sched_out = vhv_sched_out;
	preempt_notifier_inc();
	return 0;
}

void vhv_preempt_notifiers_exit(void)
{
	preempt_notifier_dec();
}

static void vcpu_load(struct vhv_vcpu *vcpu)
{
	int cpu = get_cpu();

	preempt_notifier_init(&vcpu->preempt, &vhv_preempt_ops);
	preempt_notifier_register(&vcpu->preempt);
	WRITE_ONCE(vcpu->cpu, cpu);
	vhv_switch_load(vcpu, cpu);
	vhv_ops->vcpu_load(vcpu, cpu);
	put_cpu();
	/* From here a context switch saves the guest's FPU state, not ours. */
	fpu_swap_kvm_fpstate(&vcpu->fpu, true);
}

static void vcpu_put(struct vhv_vcpu *vcpu)
{
	fpu_swap_kvm_fpstate(&vcpu->fpu, false);
	preempt_disable();
	vhv_ops->vcpu_put(vcpu);
	vhv_switch_put(vcpu);
	preempt_notifier_unregister(&vcpu->preempt);
	WRITE_ONCE(vcpu->cpu, -1);
	preempt_enable();
}

bool vhv_vcpu_has_requests(struct vhv_vcpu *vcpu)
{
	return READ_ONCE(vcpu->requests) != 0;
}

int vhv_exit_internal(struct vhv_vcpu *vcpu, u32 suberror, unsigned int n,
		      const u64 *data)
{
	struct vhv_run *run = vcpu->run;
	unsigned int i;

	/* The run area is userspace's to write at any time: never read a
	 * bound back from it. */
	n = min_t(unsigned int, n, ARRAY_SIZE(run->internal.data));
	run->exit_reason = VHV_EXIT_INTERNAL_ERROR;
	run->internal.suberror = suberror;
	run->internal.ndata = n;
	for (i = 0; i < n; i++)
		run->internal.data[i] = data[i];
	return 0;
}

int vhv_exit_hlt(struct vhv_vcpu *vcpu)
{
	vhv_count(vcpu, VHV_STAT_HLT);
	/*
	 * With TF set, the skip queued HLT's single-step trap, and the trap
	 * ends the halt as it begins: a debug exception resumes a halted CPU
	 * (SDM, HLT), VM entry in the HLT activity state with TF set insists
	 * the single step be pending (SDM vol. 3C, checks on guest
	 * non-register state), and the handler returns past the HLT, not to
	 * it.  KVM's vCPU halts and wakes at once for the queued #DB.  So the
	 * vCPU does not halt at all: no sleep in the kernel, no
	 * VHV_EXIT_HLT; the #DB goes in at the next entry.
	 */
	if (vhv_single_stepping(vcpu))
		return 1;
	if (vcpu->apic)
		return vhv_vcpu_halt(vcpu);
	vcpu->run->exit_reason = VHV_EXIT_HLT;
	return 0;
}

static int complete_hypercall(struct vhv_vcpu *vcpu)
{
	vcpu->regs.rax = vcpu->run->hypercall.ret;
	return 1;
}

int vhv_exit_hypercall(struct vhv_vcpu *vcpu, u8 cpl)
{
	struct vhv_run *run = vcpu->run;

	vhv_count(vcpu, VHV_STAT_HYPERCALL);
	run->exit_reason = VHV_EXIT_HYPERCALL;
	run->hypercall.nr = vcpu->regs.rax;
	run->hypercall.args[0] = vcpu->regs.rbx;
	run->hypercall.args[1] = vcpu->regs.rcx;
	run->hypercall.args[2] = vcpu->regs.rdx;
	run->hypercall.args[3] = vcpu->regs.rsi;
	run->hypercall.args[4] = vcpu->regs.rdi;
	run->hypercall.ret = 0;
	/* From user mode too: the VMM decides whether to honour it. */
	run->hypercall.cpl = cpl;
	memset(run->hypercall.pad, 0, sizeof(run->hypercall.pad));
	vcpu->complete = complete_hypercall;
	return 0;
}

int vhv_exit_shutdown(struct vhv_vcpu *vcpu)
{
	/* After a triple fault the VMCB's or VMCS's state is undefined. */
	vhv_vcpu_reset(vcpu);
	if (vcpu->apic)
		vhv_vlapic_reset(vcpu, false);
	vcpu->run->exit_reason = VHV_EXIT_SHUTDOWN;
	return 0;
}

int vhv_exit_fail_entry(struct vhv_vcpu *vcpu, u64 hw_reason, u32 check)
{
	struct vhv_run *run = vcpu->run;

	run->exit_reason = VHV_EXIT_FAIL_ENTRY;
	run->fail_entry.hardware_reason = hw_reason;
	run->fail_entry.check = check;
	run->fail_entry.cpu = raw_smp_processor_id();
	return 0;
}

/*
 * The CPU does not call the host's #MC handler for a machine check that
 * exited the guest (APM 15.12, SDM 27.1), so call it, as KVM's
 * kvm_machine_check() does: on the CPU that took it, before IRQs are
 * enabled, from a fake user-mode frame, so that a recoverable error kills
 * the VMM, not the host.
 */
void vhv_handle_mce(void)
{
	struct pt_regs regs = {
		.cs = 3,
		.flags = X86_EFLAGS_IF,
	};

	if (boot_cpu_has(X86_FEATURE_MCE))
		do_machine_check(&regs);
}

/*
 * What userspace sees of the vCPU after every VHV_RUN (CR8 as
 * VHV_GET_SREGS gives it, without reading all the rest).
 */
static void fill_run_state(struct vhv_vcpu *vcpu)
{
	struct vhv_run *run = vcpu->run;

	run->if_flag = !!(vcpu->regs.rflags & VHV_RFLAGS_IF);
	run->ready_for_interrupt_injection = !vcpu->events.extint &&
					     vhv_ops->interrupt_allowed(vcpu);
	run->cr8 = vcpu->apic ? vhv_irq_get_cr8(vcpu) : vhv_ops->get_cr8(vcpu);
}

int vhv_vcpu_halt(struct vhv_vcpu *vcpu)
{
	vcpu->mp_state = VHV_MP_STATE_HALTED;
	return 1;
}

/*
 * Spins until the vCPU has something to do or the clock reaches deadline:
 * a wakeup that comes soon then costs neither a sleep nor a scheduler
 * wakeup.  Stops early for anything else that wants this thread or this
 * CPU: a signal, the scheduler asking for the CPU, another task runnable
 * here.  Preemptible throughout, as the rest of the run loop: a
 * preemption puts and reloads the vCPU through the preempt notifiers, and
 * vhv_irq_wakeup() reads only vhv's own copies of the vCPU's state, never
 * the VMCS or VMCB.
 */
static bool halt_poll(struct vhv_vcpu *vcpu, u64 deadline)
{
	do {
		if (vhv_irq_wakeup(vcpu))
			return true;
		if (signal_pending(current) || need_resched() ||
		    !single_task_running())
			return false;
		cpu_relax();
	} while (ktime_get_ns() < deadline);
	return false;
}

static int vcpu_wait(struct vhv_vcpu *vcpu)
{
	return wait_event_interruptible(vcpu->wq, vhv_irq_wakeup(vcpu));
}

/*
 * HLT: poll for the vCPU's window, then sleep if polling did not see the
 * wakeup; the halt's whole length, polling and sleep, adapts the window
 * for the next one.  A signal ends a halt as a wakeup does (KVM's rule):
 * a long one then turns polling off, a short one may grow the window.
 * 0, or -ERESTARTSYS for a signal.
 */
static int vcpu_halt(struct vhv_vcpu *vcpu)
{
	u32 max = READ_ONCE(halt_poll_ns);
	u32 window = vhv_haltpoll_window(vcpu->halt_poll_ns, max);
	bool polled = false;
	u64 start;
	int r = 0;

	/* Polling off: not even the clock is read. */
	if (!max) {
		vcpu->halt_poll_ns = 0;
		return vcpu_wait(vcpu);
	}
	start = ktime_get_ns();
	if (window)
		polled = halt_poll(vcpu, start + window);
	if (polled)
		vhv_count(vcpu, VHV_STAT_HALT_POLL_OK);
	else
		r = vcpu_wait(vcpu);
	vcpu->halt_poll_ns = vhv_haltpoll_next(window, ktime_get_ns() - start, polled,
					       READ_ONCE(halt_poll_ns));
	return r;
}

/*
 * A halted vCPU, or one waiting for SIPI, sleeps until it has something
 * to do; the scheduler has the CPU meanwhile.  A halted one polls first,
 * as KVM's do: a vCPU waiting for SIPI may wait for ever, and its wait
 * says nothing of how soon the next HLT ends.  1 to go on, -EINTR for a
 * signal (the run returns to userspace; HLT stays in effect).
 */
static int vcpu_block(struct vhv_vcpu *vcpu)
{
	int r;

	if (vcpu->mp_state == VHV_MP_STATE_HALTED)
		r = vcpu_halt(vcpu);
	else
		r = vcpu_wait(vcpu);
	if (r) {
		vcpu->run->exit_reason = VHV_EXIT_INTR;
		vhv_count(vcpu, VHV_STAT_SIGNAL);
		return -EINTR;
	}
	if (vcpu->mp_state == VHV_MP_STATE_HALTED)
		vcpu->mp_state = VHV_MP_STATE_RUNNABLE;
	return 1;
}

/*
 * The vendor's entry, called directly: an indirect call goes through a
 * retpoline on most hosts, at every entry.
 */
static int vendor_vcpu_run(struct vhv_vcpu *vcpu)
{
	if (vhv_ops == &vmx_vendor_ops)
		return vmx_vcpu_run(vcpu);
	if (vhv_ops == &svm_vendor_ops)
		return svm_vcpu_run(vcpu);
	return vhv_ops->vcpu_run(vcpu);
}

int vhv_vcpu_run(struct vhv_vcpu *vcpu)
{
	struct vhv_run *run = vcpu->run;
	int (*complete)(struct vhv_vcpu *vcpu);
	bool stop;
	int r = 1;

	/*
	 * Stopped before entering, but an exit's answer is taken first: the
	 * instruction completes, and a save made now loses nothing.
	 */
	stop = READ_ONCE(run->immediate_exit) || signal_pending(current);
	if (stop && (!vcpu->complete || !vhv_ops->vcpu_run)) {
		run->exit_reason = VHV_EXIT_INTR;
		vhv_count(vcpu, VHV_STAT_SIGNAL);
		return -EINTR;
	}
	if (!vhv_ops->vcpu_run)
		return -EOPNOTSUPP;

	vcpu_load(vcpu);
	complete = vcpu->complete;
	vcpu->complete = NULL;
	if (complete)
		r = complete(vcpu);
	if (r > 0 && stop) {
		run->exit_reason = VHV_EXIT_INTR;
		vhv_count(vcpu, VHV_STAT_SIGNAL);
		r = -EINTR;
	}
	while (r > 0) {
		if (signal_pending(current)) {
			run->exit_reason = VHV_EXIT_INTR;
			vhv_count(vcpu, VHV_STAT_SIGNAL);
			r = -EINTR;
			break;
		}
		cond_resched();
		if (vcpu->apic) {
			vhv_irq_apic_events(vcpu);
			if (vcpu->mp_state != VHV_MP_STATE_RUNNABLE) {
				r = vcpu_block(vcpu);
				continue;
			}
		}
		if (vcpu->pvclock_msr)
			vhv_pvclock_check(vcpu);
		r = vendor_vcpu_run(vcpu);
	}
	fill_run_state(vcpu);
	vcpu_put(vcpu);
	return r < 0 ? r : 0;
}
