// SPDX-License-Identifier: GPL-2.0
/*
 * Guest state that neither VMRUN nor a VMX entry switches, for every
 * vendor: PKRU, XCR0 and the debug address registers, loaded around each
 * entry; TSC_AUX, loaded from the first entry to the put; and the
 * branch-predictor barrier between two vCPUs on one CPU.
 */
#include <linux/hw_breakpoint.h>
#include <linux/percpu.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/pkru.h>

#include "vhv.h"
#include "x86/arch_bits.h"

static DEFINE_PER_CPU(u64, host_tsc_aux);
/* The vCPU loaded last on this CPU: an IBPB when another one comes. */
static DEFINE_PER_CPU(struct vhv_vcpu *, last_vcpu);

static bool has_tsc_aux(void)
{
	return boot_cpu_has(X86_FEATURE_RDTSCP) || boot_cpu_has(X86_FEATURE_RDPID);
}

/*
 * Preemption off, on cpu.  TSC_AUX is the host's here: a put gave back
 * what an entry changed.
 */
void vhv_switch_load(struct vhv_vcpu *vcpu, int cpu)
{
	if (has_tsc_aux()) {
		rdmsrl(MSR_TSC_AUX, *per_cpu_ptr(&host_tsc_aux, cpu));
		vcpu->tsc_aux_in_cpu = per_cpu(host_tsc_aux, cpu);
	}

	/*
	 * The branch predictions another vCPU (perhaps another VM's) left on
	 * this CPU must not steer this one: KVM's rule when it loads a vCPU.
	 * An IBPB on every VM exit (the SRSO mitigation) already covers it.
	 */
	if (per_cpu(last_vcpu, cpu) != vcpu) {
		per_cpu(last_vcpu, cpu) = vcpu;
		if (cpu_feature_enabled(X86_FEATURE_USE_IBPB) &&
		    !cpu_feature_enabled(X86_FEATURE_IBPB_ON_VMEXIT)) {
			indirect_branch_prediction_barrier();
			vhv_count(vcpu, VHV_STAT_IBPB);
		}
	}
}

/*
 * Preemption off (vcpu_put, the scheduler's sched-out): the host's
 * TSC_AUX back, for its user mode (RDTSCP, RDPID, the vDSO's getcpu).
 */
void vhv_switch_put(struct vhv_vcpu *vcpu)
{
	u64 host = __this_cpu_read(host_tsc_aux);

	if (has_tsc_aux() && vcpu->tsc_aux_in_cpu != host) {
		wrmsrl(MSR_TSC_AUX, host);
		vcpu->tsc_aux_in_cpu = host;
	}
}

/* Nor skip the IBPB for a new vCPU that reuses this one's memory. */
void vhv_switch_forget(struct vhv_vcpu *vcpu)
{
	int cpu;

	for_each_possible_cpu(cpu)
		cmpxchg(per_cpu_ptr(&last_vcpu, cpu), vcpu, NULL);
}

/*
 * IRQs off, right before entry.  PKRU: the guest may set CR4.PKE itself
 * (CR4 writes of that bit need not exit), so whatever it leaves in PKRU
 * is kept for it and the host's put back.  guest_cr4: the guest's own
 * view of CR4.
 */
void vhv_switch_to_guest(struct vhv_vcpu *vcpu, u64 guest_cr4)
{
	if (cpu_feature_enabled(X86_FEATURE_OSPKE)) {
		vcpu->host_pkru = read_pkru();
		if (vcpu->pkru != vcpu->host_pkru)
			write_pkru(vcpu->pkru);
	}

	if ((guest_cr4 & VHV_CR4_OSXSAVE) && vcpu->xcr0 != vhv_host_xcr0)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vcpu->xcr0);
	/*
	 * The guest's TSC_AUX stays in the CPU after the exit, until the
	 * put, as KVM's does (a user-return MSR): the kernel never reads it,
	 * and its paranoid entry finds the CPU number with LSL, not RDPID,
	 * for this reason (arch/x86/entry/calling.h).  Written again only
	 * when the guest or userspace changed it.
	 */
	if (vcpu->msr.tsc_aux != vcpu->tsc_aux_in_cpu && has_tsc_aux()) {
		wrmsrl(MSR_TSC_AUX, vcpu->msr.tsc_aux);
		vcpu->tsc_aux_in_cpu = vcpu->msr.tsc_aux;
	}
	if (vcpu->debug_active) {
		/* No host breakpoint may fire on a guest address meanwhile. */
		set_debugreg(0, 7);
		set_debugreg(vcpu->db[0], 0);
		set_debugreg(vcpu->db[1], 1);
		set_debugreg(vcpu->db[2], 2);
		set_debugreg(vcpu->db[3], 3);
	}
}

/* IRQs off, right after the exit. */
void vhv_switch_to_host(struct vhv_vcpu *vcpu, u64 guest_cr4)
{
	if (cpu_feature_enabled(X86_FEATURE_OSPKE)) {
		vcpu->pkru = read_pkru();
		if (vcpu->pkru != vcpu->host_pkru)
			write_pkru(vcpu->host_pkru);
	}

	/*
	 * What the CPU holds decides, not what the guest's CR4 says now (it
	 * may have cleared OSXSAVE).  A value other than the one loaded means
	 * the CPU let XSETBV through without its intercept (QEMU's TCG model
	 * of SVM does): the guest's view is kept true, the host's put back.
	 */
	if (boot_cpu_has(X86_FEATURE_XSAVE)) {
		u64 xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);

		if (guest_cr4 & VHV_CR4_OSXSAVE)
			vcpu->xcr0 = xcr0;
		if (xcr0 != vhv_host_xcr0)
			xsetbv(XCR_XFEATURE_ENABLED_MASK, vhv_host_xcr0);
	}
	if (vcpu->debug_active) {
		get_debugreg(vcpu->db[0], 0);
		get_debugreg(vcpu->db[1], 1);
		get_debugreg(vcpu->db[2], 2);
		get_debugreg(vcpu->db[3], 3);
		hw_breakpoint_restore();
	} else if (hw_breakpoint_active()) {
		/* The exit left DR7 cleared. */
		hw_breakpoint_restore();
	}
}
