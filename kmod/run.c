// SPDX-License-Identifier: GPL-2.0
/*
 * The run loop every vendor shares: load the vCPU on its CPU (and follow it
 * when the scheduler moves it), switch FPU state, finish what the last exit
 * to userspace asked for, and enter the guest until an exit needs
 * userspace, a signal arrives, or an error stops it.
 */
#include <linux/preempt.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <asm/fpu/api.h>

#include "vhv.h"
#include "irq/irqchip.h"

static struct preempt_ops vhv_preempt_ops;

static struct vhv_vcpu *preempt_to_vcpu(struct preempt_notifier *pn)
{
	return container_of(pn, struct vhv_vcpu, preempt);
}

static void vhv_sched_in(struct preempt_notifier *pn, int cpu)
{
	struct vhv_vcpu *vcpu = preempt_to_vcpu(pn);

	WRITE_ONCE(vcpu->cpu, cpu);
	vhv_ops->vcpu_load(vcpu, cpu);
}

static void vhv_sched_out(struct preempt_notifier *pn, struct task_struct *next)
{
	struct vhv_vcpu *vcpu = preempt_to_vcpu(pn);

	vhv_ops->vcpu_put(vcpu);
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

/* What userspace sees of the vCPU after every VHV_RUN. */
static void fill_run_state(struct vhv_vcpu *vcpu)
{
	struct vhv_run *run = vcpu->run;
	struct vhv_sregs s;

	run->if_flag = !!(vcpu->regs.rflags & VHV_RFLAGS_IF);
	run->ready_for_interrupt_injection = !vcpu->events.extint &&
					     vhv_ops->interrupt_allowed(vcpu);
	vhv_vcpu_get_sregs(vcpu, &s);
	run->cr8 = s.cr8;
}

int vhv_vcpu_halt(struct vhv_vcpu *vcpu)
{
	vcpu->mp_state = VHV_MP_STATE_HALTED;
	return 1;
}

/*
 * A halted vCPU, or one waiting for SIPI, sleeps until it has something
 * to do; the scheduler has the CPU meanwhile.  1 to go on, -EINTR for a
 * signal (the run returns to userspace; HLT stays in effect).
 */
static int vcpu_block(struct vhv_vcpu *vcpu)
{
	if (wait_event_interruptible(vcpu->wq, vhv_irq_wakeup(vcpu))) {
		vcpu->run->exit_reason = VHV_EXIT_INTR;
		vhv_count(vcpu, VHV_STAT_SIGNAL);
		return -EINTR;
	}
	if (vcpu->mp_state == VHV_MP_STATE_HALTED)
		vcpu->mp_state = VHV_MP_STATE_RUNNABLE;
	return 1;
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
		vhv_pvclock_check(vcpu);
		r = vhv_ops->vcpu_run(vcpu);
	}
	fill_run_state(vcpu);
	vcpu_put(vcpu);
	return r < 0 ? r : 0;
}
