// SPDX-License-Identifier: GPL-2.0
/*
 * Guest MSRs: the architectural set emulated in the kernel (those the VMCB
 * or VMCS holds are the vendor's), the VM's filter that sends chosen
 * accesses to userspace, VHV_GET/SET_MSRS for save/restore, and XSETBV.
 */
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/mtrr.h>
#include <asm/processor.h>
#include <asm/tsc.h>

#include "vhv.h"
#include "irq/irqchip.h"

#define MSR_MTRRCAP_VALUE	(VHV_BIT(10) | VHV_BIT(8) | 8)	/* WC, fixed, 8 var */

bool vhv_pat_valid(u64 pat)
{
	unsigned int i;

	for (i = 0; i < 8; i++) {
		u8 type = (pat >> (8 * i)) & 0xff;

		if (type > 7 || type == 2 || type == 3)
			return false;
	}
	return true;
}

static int fixed_mtrr_index(u32 index)
{
	switch (index) {
	case MSR_MTRRfix64K_00000: return 0;
	case MSR_MTRRfix16K_80000: return 1;
	case MSR_MTRRfix16K_A0000: return 2;
	default:
		if (index >= MSR_MTRRfix4K_C0000 && index <= MSR_MTRRfix4K_F8000)
			return vhv_index_nospec(3 + index - MSR_MTRRfix4K_C0000, 11);
		return -1;
	}
}

/*
 * The SPEC_CTRL bits this CPU implements, as KVM's kvm_spec_ctrl_valid_bits():
 * svm_vmrun() loads the value with no fault handler, so a bit the CPU
 * lacks (SSBD where it lives in LS_CFG) must never get this far.
 */
static u64 spec_ctrl_valid_bits(void)
{
	u64 bits = 0;

	if (boot_cpu_has(X86_FEATURE_SPEC_CTRL) || boot_cpu_has(X86_FEATURE_AMD_IBRS))
		bits |= SPEC_CTRL_IBRS;
	if (boot_cpu_has(X86_FEATURE_INTEL_STIBP) || boot_cpu_has(X86_FEATURE_AMD_STIBP))
		bits |= SPEC_CTRL_STIBP;
	if (boot_cpu_has(X86_FEATURE_SPEC_CTRL_SSBD) || boot_cpu_has(X86_FEATURE_AMD_SSBD))
		bits |= SPEC_CTRL_SSBD;
	return boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL) ? bits : 0;
}

/* The generic MSRs: 0, -ENOENT for unknown ones, -EINVAL for bad values. */
static int get_generic(struct vhv_vcpu *vcpu, u32 index, u64 *data)
{
	struct vhv_msr_state *m = &vcpu->msr;
	int i;

	switch (index) {
	case MSR_IA32_APICBASE:
		*data = vcpu->apic_base;
		return 0;
	case MSR_TSC_AUX:
		*data = m->tsc_aux;
		return 0;
	case MSR_IA32_SPEC_CTRL:
		*data = m->spec_ctrl;
		return 0;
	case MSR_IA32_MISC_ENABLE:
		*data = m->misc_enable;
		return 0;
	case MSR_MTRRcap:
		*data = MSR_MTRRCAP_VALUE;
		return 0;
	case MSR_MTRRdefType:
		*data = m->mtrr_def_type;
		return 0;
	case MSR_IA32_MCG_CAP:		/* no banks */
	case MSR_IA32_XSS:		/* no supervisor states */
	case MSR_AMD64_PATCH_LEVEL:
	case MSR_K7_HWCR:
	case MSR_AMD64_NB_CFG:		/* Linux sets its ECS bit on AMD */
	case MSR_AMD64_SYSCFG:		/* no memory encryption, no TOM2 */
		*data = 0;
		return 0;
	case MSR_IA32_MCG_STATUS:
		*data = m->mcg_status;
		return 0;
	}
	if (index >= MTRRphysBase_MSR(0) && index <= MTRRphysMask_MSR(7)) {
		*data = m->mtrr_var[vhv_index_nospec(index - MTRRphysBase_MSR(0),
						     ARRAY_SIZE(m->mtrr_var))];
		return 0;
	}
	i = fixed_mtrr_index(index);
	if (i >= 0) {
		*data = m->mtrr_fixed[i];
		return 0;
	}
	return -ENOENT;
}

static int set_generic(struct vhv_vcpu *vcpu, u32 index, u64 data)
{
	struct vhv_msr_state *m = &vcpu->msr;
	u64 valid_apic = (~0ull << 12 & ~(~0ull << vhv_limits.phys_bits)) |
			 VHV_BIT(8) | VHV_BIT(10) | VHV_BIT(11);
	int i;

	switch (index) {
	case MSR_IA32_APICBASE:
		if ((data & ~valid_apic) ||
		    ((data & VHV_BIT(10)) && !(data & VHV_BIT(11))))
			return -EINVAL;
		vcpu->apic_base = data;
		return 0;
	case MSR_TSC_AUX:
		if (data >> 32)
			return -EINVAL;
		m->tsc_aux = data;
		return 0;
	case MSR_IA32_SPEC_CTRL:
		if (!boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL) ||
		    (data & ~spec_ctrl_valid_bits()))
			return -EINVAL;
		m->spec_ctrl = data;
		return 0;
	case MSR_IA32_PRED_CMD:
		if (data & ~PRED_CMD_IBPB)
			return -EINVAL;
		if (data && boot_cpu_has(X86_FEATURE_IBPB))
			wrmsrl(MSR_IA32_PRED_CMD, PRED_CMD_IBPB);
		return 0;
	case MSR_IA32_MISC_ENABLE:
		m->misc_enable = data;
		return 0;
	case MSR_MTRRdefType:
		if (data & ~0xcffull)
			return -EINVAL;
		m->mtrr_def_type = data;
		return 0;
	case MSR_IA32_XSS:
	case MSR_IA32_MCG_STATUS:
		if (data)
			return -EINVAL;
		m->mcg_status = 0;
		return 0;
	case MSR_K7_HWCR:
	case MSR_AMD64_PATCH_LEVEL:
	case MSR_AMD64_NB_CFG:
	case MSR_AMD64_SYSCFG:
		return 0;	/* writes ignored, as on real parts */
	}
	if (index >= MTRRphysBase_MSR(0) && index <= MTRRphysMask_MSR(7)) {
		m->mtrr_var[vhv_index_nospec(index - MTRRphysBase_MSR(0),
					     ARRAY_SIZE(m->mtrr_var))] = data;
		return 0;
	}
	i = fixed_mtrr_index(index);
	if (i >= 0) {
		m->mtrr_fixed[i] = data;
		return 0;
	}
	return -ENOENT;
}

/* The vendor's MSRs, then the irqchip's (APIC base, x2APIC, TSC deadline),
 * then the generic ones. */
static int get_msr(struct vhv_vcpu *vcpu, u32 index, u64 *data)
{
	int r = vhv_ops->get_msr(vcpu, index, data);

	if (r == -ENOENT)
		r = vhv_irq_get_msr(vcpu, index, data);
	if (r == -ENOENT)
		r = vhv_pvclock_get_msr(vcpu, index, data);
	return r == -ENOENT ? get_generic(vcpu, index, data) : r;
}

/*
 * Values the CPU refuses, on both vendors: bits 63:32 of IA32_FMASK are
 * reserved (WRMSR #GPs, and VT-x loads it from the host with WRMSR), and
 * a non-canonical SYSENTER_ESP/EIP fails VM entry on Intel (KVM refuses
 * them in __kvm_set_msr on every vendor).  The bases and syscall targets
 * must be canonical too (57 bits where the CPU has 5-level paging).
 */
static bool msr_value_valid(u32 index, u64 data)
{
	switch (index) {
	case MSR_SYSCALL_MASK:
		return !(data >> 32);
	case MSR_IA32_SYSENTER_ESP:
	case MSR_IA32_SYSENTER_EIP:
	case MSR_FS_BASE:
	case MSR_GS_BASE:
	case MSR_KERNEL_GS_BASE:
	case MSR_LSTAR:
	case MSR_CSTAR:
		return vhv_addr_canonical(data, &vhv_limits);
	default:
		return true;
	}
}

static int set_msr(struct vhv_vcpu *vcpu, u32 index, u64 data, bool from_guest)
{
	int r;

	if (index == MSR_IA32_CR_PAT && !vhv_pat_valid(data))
		return -EINVAL;
	if (!msr_value_valid(index, data))
		return -EINVAL;
	r = vhv_ops->set_msr(vcpu, index, data, from_guest);
	if (!r && index == MSR_IA32_TSC)
		vhv_pvclock_tsc_changed(vcpu);
	if (r == -ENOENT && index == MSR_IA32_APICBASE && vcpu->apic && !from_guest)
		r = vhv_irq_host_set_apic_base(vcpu, data);
	if (r == -ENOENT)
		r = vhv_irq_set_msr(vcpu, index, data);
	if (r == -ENOENT)
		r = vhv_pvclock_set_msr(vcpu, index, data, from_guest);
	return r == -ENOENT ? set_generic(vcpu, index, data) : r;
}

/* ---- the filter -------------------------------------------------------------- */

/* Whether the VM's filter wants this access in userspace; the flags too. */
static bool filtered(struct vhv_vm *vm, u32 index, bool write, u32 *flags)
{
	const struct vhv_msr_filter *f;
	bool hit = false;
	int idx = srcu_read_lock(&vm->srcu);
	u32 i;

	f = srcu_dereference(vm->msr_filter, &vm->srcu);
	*flags = f ? f->flags : 0;
	for (i = 0; f && i < f->nranges && !hit; i++) {
		const struct vhv_msr_range *r = &f->ranges[i];

		hit = index - r->base < r->count &&
		      (r->flags & (write ? VHV_MSR_FILTER_WRITE : VHV_MSR_FILTER_READ));
	}
	srcu_read_unlock(&vm->srcu, idx);
	return hit;
}

int vhv_set_msr_filter(struct vhv_vm *vm, void __user *argp)
{
	struct vhv_msr_filter *f, *old;
	u32 i;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	if (copy_from_user(f, argp, sizeof(*f))) {
		kfree(f);
		return -EFAULT;
	}
	if ((f->flags & ~VHV_MSR_UNKNOWN_EXIT) || f->nranges > VHV_MAX_MSR_RANGES)
		goto bad;
	for (i = 0; i < VHV_MAX_MSR_RANGES; i++) {
		const struct vhv_msr_range *r = &f->ranges[i];

		if (i >= f->nranges) {
			if (r->base || r->count || r->flags || r->pad)
				goto bad;
			continue;
		}
		if (!r->count || r->pad || !r->flags ||
		    (r->flags & ~(VHV_MSR_FILTER_READ | VHV_MSR_FILTER_WRITE)) ||
		    (u64)r->base + r->count > (1ull << 32))
			goto bad;
	}
	mutex_lock(&vm->lock);
	old = rcu_dereference_protected(vm->msr_filter, lockdep_is_held(&vm->lock));
	rcu_assign_pointer(vm->msr_filter, f);
	mutex_unlock(&vm->lock);
	synchronize_srcu(&vm->srcu);
	kfree(old);
	return 0;
bad:
	kfree(f);
	return -EINVAL;
}

void vhv_msr_filter_free(struct vhv_vm *vm)
{
	kfree(rcu_dereference_protected(vm->msr_filter, true));
}

/* ---- RDMSR / WRMSR exits -------------------------------------------------------- */

static int complete_msr(struct vhv_vcpu *vcpu)
{
	struct vhv_run *run = vcpu->run;

	if (run->msr.error) {
		vhv_inject_gp(vcpu);
		return 1;
	}
	if (!vcpu->msr_write) {
		vcpu->regs.rax = (u32)run->msr.data;
		vcpu->regs.rdx = run->msr.data >> 32;
	}
	return vhv_skip_insn(vcpu);
}

static int exit_to_user(struct vhv_vcpu *vcpu, u32 index, bool write, u64 data,
			u32 reason)
{
	struct vhv_run *run = vcpu->run;

	run->exit_reason = VHV_EXIT_MSR;
	run->msr = (struct vhv_exit_msr) {
		.index = index, .is_write = write, .data = write ? data : 0,
		.reason = reason,
	};
	vcpu->msr_write = write;
	vcpu->complete = complete_msr;
	return 0;
}

/*
 * The guest executed RDMSR (write false) or WRMSR.  Returns 1 to re-enter
 * (RIP moved, or #GP injected) or 0 for an exit to userspace.
 */
int vhv_handle_msr(struct vhv_vcpu *vcpu, bool write)
{
	u32 index = vcpu->regs.rcx, flags;
	u64 data = (vcpu->regs.rdx << 32) | (u32)vcpu->regs.rax;
	int r;

	vhv_count(vcpu, VHV_STAT_MSR);
	if (filtered(vcpu->vm, index, write, &flags))
		return exit_to_user(vcpu, index, write, data, VHV_MSR_EXIT_FILTER);
	r = write ? set_msr(vcpu, index, data, true) : get_msr(vcpu, index, &data);
	if (r == -ENOENT && (flags & VHV_MSR_UNKNOWN_EXIT))
		return exit_to_user(vcpu, index, write, data, VHV_MSR_EXIT_UNKNOWN);
	if (r) {
		vhv_inject_gp(vcpu);
		return 1;
	}
	if (!write) {
		vcpu->regs.rax = (u32)data;
		vcpu->regs.rdx = data >> 32;
	}
	return vhv_skip_insn(vcpu);
}

/* ---- save/restore --------------------------------------------------------------- */

static int msrs_ioctl(struct vhv_vcpu *vcpu, void __user *argp, bool write)
{
	struct vhv_msrs h;
	struct vhv_msr_entry e;
	struct vhv_msr_entry __user *user;
	u32 i;

	if (copy_from_user(&h, argp, sizeof(h)))
		return -EFAULT;
	if (h.pad)
		return -EINVAL;
	if (h.nmsrs > VHV_MAX_MSR_ENTRIES)
		return -E2BIG;
	user = u64_to_user_ptr(h.entries);
	for (i = 0; i < h.nmsrs; i++) {
		if (copy_from_user(&e, &user[i], sizeof(e)))
			return -EFAULT;
		if (e.reserved)
			return -EINVAL;
		if (write) {
			if (set_msr(vcpu, e.index, e.data, false))
				break;
			continue;
		}
		if (get_msr(vcpu, e.index, &e.data))
			break;
		if (copy_to_user(&user[i].data, &e.data, sizeof(e.data)))
			return -EFAULT;
	}
	return i;
}

int vhv_get_msrs(struct vhv_vcpu *vcpu, void __user *argp)
{
	return msrs_ioctl(vcpu, argp, false);
}

int vhv_set_msrs(struct vhv_vcpu *vcpu, void __user *argp)
{
	return msrs_ioctl(vcpu, argp, true);
}

/* ---- XSETBV ---------------------------------------------------------------------- */

/* 1 with RIP moved, or 1 with #GP injected for a value the CPU refuses. */
int vhv_handle_xsetbv(struct vhv_vcpu *vcpu, u32 index, u64 value)
{
	u64 supported = vhv_guest_xcr0_mask();

	vhv_count(vcpu, VHV_STAT_XSETBV);
	if (index != 0 || !(value & 1) || (value & ~supported) ||
	    ((value & VHV_BIT(2)) && !(value & VHV_BIT(1))) ||
	    ((value & 0xe0) && (value & 0xe0) != 0xe0) ||
	    ((value & 0xe0) && !(value & VHV_BIT(2)))) {
		vhv_inject_gp(vcpu);
		return 1;
	}
	vcpu->xcr0 = value;
	return vhv_skip_insn(vcpu);
}
