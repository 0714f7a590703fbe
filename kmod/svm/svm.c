// SPDX-License-Identifier: GPL-2.0
/*
 * AMD-V backend: CPU checks, per-CPU enabling (EFER.SVME, host save area),
 * and the VMCB that holds each vCPU's state.
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/msr-index.h>

#include "../vhv.h"
#include "../x86/arch_bits.h"
#include "vmcb.h"

#define SVM_VM_CR_SVMDIS	BIT_ULL(4)
#define SVM_EFER_SVME		BIT_ULL(12)
#define SVM_INT_CTL_V_TPR	0xfu

struct svm_vcpu {
	struct vhv_vcpu vcpu;
	struct svm_vmcb *vmcb;	/* one page, allocated at creation */
};

static DEFINE_PER_CPU(struct page *, svm_hsave_page);

static struct svm_vcpu *to_svm(struct vhv_vcpu *vcpu)
{
	return container_of(vcpu, struct svm_vcpu, vcpu);
}

static int svm_check_cpu(void)
{
	u64 vm_cr;

	if (!boot_cpu_has(X86_FEATURE_SVM)) {
		pr_err("vhv: this AMD CPU does not report SVM\n");
		return -ENODEV;
	}
	if (!boot_cpu_has(X86_FEATURE_NPT)) {
		pr_err("vhv: SVM without nested paging is not supported\n");
		return -ENODEV;
	}
	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & SVM_VM_CR_SVMDIS) {
		pr_err("vhv: SVM is disabled by the firmware (VM_CR.SVMDIS)\n");
		return -ENODEV;
	}
	return 0;
}

static void svm_hardware_unsetup(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct page *page = per_cpu(svm_hsave_page, cpu);

		if (page)
			__free_page(page);
		per_cpu(svm_hsave_page, cpu) = NULL;
	}
}

static int svm_hardware_setup(struct vhv_cpu_limits *lim)
{
	int cpu, r;

	r = svm_check_cpu();
	if (r)
		return r;
	for_each_possible_cpu(cpu) {
		struct page *page = alloc_pages_node(cpu_to_node(cpu),
						     GFP_KERNEL | __GFP_ZERO, 0);

		if (!page) {
			svm_hardware_unsetup();
			return -ENOMEM;
		}
		per_cpu(svm_hsave_page, cpu) = page;
	}
	return 0;
}

static int svm_enable_cpu(void)
{
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & SVM_EFER_SVME)
		return -EBUSY;
	wrmsrl(MSR_EFER, efer | SVM_EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(__this_cpu_read(svm_hsave_page)));
	return 0;
}

static void svm_disable_cpu(void)
{
	u64 efer;

	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~SVM_EFER_SVME);
}

static u16 seg_attrib(const struct vhv_segment *s)
{
	return (s->type & 0xf) | s->s << 4 | (s->dpl & 3) << 5 |
	       (s->unusable ? 0 : s->present) << 7 | s->avl << 8 | s->l << 9 |
	       s->db << 10 | s->g << 11;
}

static void seg_to_vmcb(struct svm_vmcb_seg *v, const struct vhv_segment *s)
{
	v->selector = s->selector;
	v->attrib = seg_attrib(s);
	v->limit = s->limit;
	v->base = s->base;
}

static void seg_from_vmcb(struct vhv_segment *s, const struct svm_vmcb_seg *v)
{
	*s = (struct vhv_segment) {
		.base = v->base,
		.limit = v->limit,
		.selector = v->selector,
		.type = v->attrib & 0xf,
		.s = (v->attrib >> 4) & 1,
		.dpl = (v->attrib >> 5) & 3,
		.present = (v->attrib >> 7) & 1,
		.avl = (v->attrib >> 8) & 1,
		.l = (v->attrib >> 9) & 1,
		.db = (v->attrib >> 10) & 1,
		.g = (v->attrib >> 11) & 1,
	};
	/* SVM has no "unusable" bit: a not-present segment is unusable. */
	s->unusable = !s->present;
}

static void svm_get_sregs(struct vhv_vcpu *vcpu, struct vhv_sregs *s)
{
	struct svm_vmcb_save *save = &to_svm(vcpu)->vmcb->save;

	seg_from_vmcb(&s->cs, &save->cs);
	seg_from_vmcb(&s->ds, &save->ds);
	seg_from_vmcb(&s->es, &save->es);
	seg_from_vmcb(&s->fs, &save->fs);
	seg_from_vmcb(&s->gs, &save->gs);
	seg_from_vmcb(&s->ss, &save->ss);
	seg_from_vmcb(&s->tr, &save->tr);
	seg_from_vmcb(&s->ldt, &save->ldtr);
	s->gdt.base = save->gdtr.base;
	s->gdt.limit = save->gdtr.limit;
	s->idt.base = save->idtr.base;
	s->idt.limit = save->idtr.limit;
	s->cr0 = save->cr0;
	s->cr2 = save->cr2;
	s->cr3 = save->cr3;
	s->cr4 = save->cr4;
	s->cr8 = to_svm(vcpu)->vmcb->control.int_ctl & SVM_INT_CTL_V_TPR;
	s->efer = save->efer & ~SVM_EFER_SVME;
}

static void svm_set_sregs(struct vhv_vcpu *vcpu, const struct vhv_sregs *s)
{
	struct svm_vmcb *vmcb = to_svm(vcpu)->vmcb;
	struct svm_vmcb_save *save = &vmcb->save;

	seg_to_vmcb(&save->cs, &s->cs);
	seg_to_vmcb(&save->ds, &s->ds);
	seg_to_vmcb(&save->es, &s->es);
	seg_to_vmcb(&save->fs, &s->fs);
	seg_to_vmcb(&save->gs, &s->gs);
	seg_to_vmcb(&save->ss, &s->ss);
	seg_to_vmcb(&save->tr, &s->tr);
	seg_to_vmcb(&save->ldtr, &s->ldt);
	save->gdtr.base = s->gdt.base;
	save->gdtr.limit = s->gdt.limit;
	save->idtr.base = s->idt.base;
	save->idtr.limit = s->idt.limit;
	save->cpl = s->cs.dpl;
	save->cr0 = s->cr0;
	save->cr2 = s->cr2;
	save->cr3 = s->cr3;
	save->cr4 = s->cr4;
	vmcb->control.int_ctl = (vmcb->control.int_ctl & ~SVM_INT_CTL_V_TPR) |
				(s->cr8 & SVM_INT_CTL_V_TPR);
	/* VMRUN requires EFER.SVME in the guest image; the guest never sees it. */
	save->efer = s->efer | SVM_EFER_SVME;
}

static int svm_vcpu_create(struct vhv_vcpu *vcpu)
{
	struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!page)
		return -ENOMEM;
	to_svm(vcpu)->vmcb = page_address(page);
	atomic_long_inc(&vhv_stats.pages);
	return 0;
}

static void svm_vcpu_free(struct vhv_vcpu *vcpu)
{
	free_page((unsigned long)to_svm(vcpu)->vmcb);
	atomic_long_dec(&vhv_stats.pages);
}

const struct vhv_vendor_ops svm_vendor_ops = {
	.name = "svm",
	.vendor = VHV_VENDOR_SVM,
	.vcpu_size = sizeof(struct svm_vcpu),
	.hardware_setup = svm_hardware_setup,
	.hardware_unsetup = svm_hardware_unsetup,
	.enable_cpu = svm_enable_cpu,
	.disable_cpu = svm_disable_cpu,
	.vcpu_create = svm_vcpu_create,
	.vcpu_free = svm_vcpu_free,
	.get_sregs = svm_get_sregs,
	.set_sregs = svm_set_sregs,
};
