// SPDX-License-Identifier: GPL-2.0
/*
 * VT-x backend: CPU checks (feature control, EPT, unrestricted guest),
 * per-CPU VMXON/VMXOFF, and each vCPU's VMCS region.  Guest execution on
 * VMX is not implemented yet: without a vcpu_run op VHV_RUN returns
 * EOPNOTSUPP and VHV_CAP_RUN reports 0.  Until then the register state
 * lives in the vCPU structure, to be written to the VMCS at first entry.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <asm/asm.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/tlbflush.h>

#include "../vhv.h"
#include "../x86/arch_bits.h"

/* IA32_VMX_* capability bits (Intel SDM vol. 3, appendix A). */
#define VMX_BASIC_REVISION(b)		((u32)(b) & 0x7fffffff)
#define VMX_BASIC_REGION_SIZE(b)	(((b) >> 32) & 0x1fff)
#define VMX_BASIC_32BIT_ADDR		BIT_ULL(48)
#define VMX_BASIC_MEMTYPE(b)		(((b) >> 50) & 0xf)
#define VMX_MEMTYPE_WB			6
#define VMX_PROC_SECONDARY		BIT_ULL(31 + 32)	/* allowed-1 half */
#define VMX_PROC2_EPT			BIT_ULL(1 + 32)
#define VMX_PROC2_UNRESTRICTED		BIT_ULL(7 + 32)
#define VMX_EPT_WALK_4			BIT_ULL(6)
#define VMX_EPT_MEMTYPE_WB		BIT_ULL(14)

struct vmx_vcpu {
	struct vhv_vcpu vcpu;
	void *vmcs;			/* one page: the VMCS region */
	struct vhv_sregs sregs;		/* until execution loads it */
};

static DEFINE_PER_CPU(void *, vmx_vmxon_region);
static u32 vmx_revision;

static struct vmx_vcpu *to_vmx(struct vhv_vcpu *vcpu)
{
	return container_of(vcpu, struct vmx_vcpu, vcpu);
}

static bool vmx_feature_control_ok(void)
{
	u64 fc;

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &fc))
		return false;
	return (fc & FEAT_CTL_LOCKED) &&
	       (fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX);
}

static int vmx_check_cpu(void)
{
	u64 basic, proc, proc2, ept;

	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_err("vhv: this CPU does not report VMX (or the firmware disabled it)\n");
		return -ENODEV;
	}
	if (!vmx_feature_control_ok()) {
		pr_err("vhv: VMX is not enabled in IA32_FEATURE_CONTROL (locked off by the firmware)\n");
		return -ENODEV;
	}
	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	if (VMX_BASIC_REGION_SIZE(basic) > PAGE_SIZE ||
	    (basic & VMX_BASIC_32BIT_ADDR) ||
	    VMX_BASIC_MEMTYPE(basic) != VMX_MEMTYPE_WB) {
		pr_err("vhv: unsupported IA32_VMX_BASIC %#llx\n", basic);
		return -ENODEV;
	}
	rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS, proc);
	proc2 = 0;
	if (proc & VMX_PROC_SECONDARY)
		rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS2, proc2);
	if (!(proc2 & VMX_PROC2_EPT) || !(proc2 & VMX_PROC2_UNRESTRICTED)) {
		pr_err("vhv: VMX needs EPT and unrestricted guest (secondary controls %#llx)\n",
		       proc2);
		return -ENODEV;
	}
	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, ept);
	if (!(ept & VMX_EPT_WALK_4) || !(ept & VMX_EPT_MEMTYPE_WB)) {
		pr_err("vhv: EPT lacks 4-level walks or write-back (%#llx)\n",
		       ept);
		return -ENODEV;
	}
	vmx_revision = VMX_BASIC_REVISION(basic);
	return 0;
}

static void vmx_hardware_unsetup(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		free_page((unsigned long)per_cpu(vmx_vmxon_region, cpu));
		per_cpu(vmx_vmxon_region, cpu) = NULL;
	}
}

static void *alloc_vmx_region(int node, gfp_t gfp)
{
	struct page *page = alloc_pages_node(node, gfp | __GFP_ZERO, 0);
	u32 *region;

	if (!page)
		return NULL;
	region = page_address(page);
	region[0] = vmx_revision;
	return region;
}

static int vmx_hardware_setup(struct vhv_cpu_limits *lim)
{
	int cpu, r;

	r = vmx_check_cpu();
	if (r)
		return r;
	for_each_possible_cpu(cpu) {
		void *region = alloc_vmx_region(cpu_to_node(cpu), GFP_KERNEL);

		if (!region) {
			vmx_hardware_unsetup();
			return -ENOMEM;
		}
		per_cpu(vmx_vmxon_region, cpu) = region;
	}
	/* A guest cannot use VMX: nested VMX is not offered. */
	lim->cr4_valid &= ~VHV_CR4_VMXE;
	return 0;
}

static int vmx_vmxon(u64 pa)
{
	asm goto("1: vmxon %[pa]\n\t"
		 "jbe %l[fail]\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 : : [pa] "m" (pa) : "cc", "memory" : fail, fault);
	return 0;
fail:
	return -EIO;
fault:
	return -EFAULT;
}

/* VMXOFF faults (#UD) if this CPU is not in VMX operation: ignore that. */
static void vmx_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
		 _ASM_EXTABLE(1b, %l[fault])
		 ::: "cc", "memory" : fault);
fault:
	cr4_clear_bits(X86_CR4_VMXE);
}

static int vmx_enable_cpu(void)
{
	int r;

	if (cr4_read_shadow() & X86_CR4_VMXE)
		return -EBUSY;
	if (!vmx_feature_control_ok())
		return -EOPNOTSUPP;
	cr4_set_bits(X86_CR4_VMXE);
	r = vmx_vmxon(__pa(__this_cpu_read(vmx_vmxon_region)));
	if (r)
		cr4_clear_bits(X86_CR4_VMXE);
	return r;
}

static void vmx_disable_cpu(void)
{
	vmx_vmxoff();
}

static int vmx_vcpu_create(struct vhv_vcpu *vcpu)
{
	void *vmcs = alloc_vmx_region(NUMA_NO_NODE, GFP_KERNEL_ACCOUNT);

	if (!vmcs)
		return -ENOMEM;
	to_vmx(vcpu)->vmcs = vmcs;
	atomic_long_inc(&vhv_stats.pages);
	return 0;
}

static void vmx_vcpu_free(struct vhv_vcpu *vcpu)
{
	free_page((unsigned long)to_vmx(vcpu)->vmcs);
	atomic_long_dec(&vhv_stats.pages);
}

static void vmx_get_sregs(struct vhv_vcpu *vcpu, struct vhv_sregs *s)
{
	*s = to_vmx(vcpu)->sregs;
}

static void vmx_set_sregs(struct vhv_vcpu *vcpu, const struct vhv_sregs *s)
{
	to_vmx(vcpu)->sregs = *s;
}

/* Until execution has a VMCS to keep them, EFER lives with the sregs. */
static int vmx_get_msr(struct vhv_vcpu *vcpu, u32 index, u64 *data)
{
	if (index != MSR_EFER)
		return -ENOENT;
	*data = to_vmx(vcpu)->sregs.efer;
	return 0;
}

static int vmx_set_msr(struct vhv_vcpu *vcpu, u32 index, u64 data,
		       bool from_guest)
{
	if (index != MSR_EFER)
		return -ENOENT;
	if (data & ~vhv_limits.efer_valid)
		return -EINVAL;
	to_vmx(vcpu)->sregs.efer = data;
	vcpu->state_dirty = true;
	return 0;
}

const struct vhv_vendor_ops vmx_vendor_ops = {
	.name = "vmx",
	.vendor = VHV_VENDOR_VMX,
	.vcpu_size = sizeof(struct vmx_vcpu),
	.hardware_setup = vmx_hardware_setup,
	.hardware_unsetup = vmx_hardware_unsetup,
	.enable_cpu = vmx_enable_cpu,
	.disable_cpu = vmx_disable_cpu,
	.vcpu_create = vmx_vcpu_create,
	.vcpu_free = vmx_vcpu_free,
	.get_sregs = vmx_get_sregs,
	.set_sregs = vmx_set_sregs,
	.get_msr = vmx_get_msr,
	.set_msr = vmx_set_msr,
};
