// SPDX-License-Identifier: GPL-2.0
/*
 * AMD-V backend: CPU checks, per-CPU enabling (EFER.SVME, host save area),
 * the permission maps, and the VMCB that holds each vCPU's state (control
 * area set up once, save area reached through sregs and MSRs).
 */
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <asm/cpufeature.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/tsc.h>

#include "svm.h"
#include "../x86/arch_bits.h"

#define SVM_VM_CR_SVMDIS	BIT_ULL(4)
#define SVM_VM_CR_LOCK		BIT_ULL(3)
#define IOPM_ORDER		2	/* 12 KiB used */
#define MSRPM_ORDER		1	/* 8 KiB */
#define DEFAULT_PAT		0x0007040600070406ull

DEFINE_PER_CPU(struct svm_cpu, svm_cpu);
u32 svm_max_asid;
bool svm_has_nrips, svm_has_flushbyasid, svm_has_decode_assists;
static struct page *iopm_pages, *msrpm_pages;

/* NPT entries are x86 page-table entries; every guest access is "user". */
static const struct vhv_pte_format svm_npt_format = {
	.present = _PAGE_PRESENT,
	.table = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER,
	.leaf_read = _PAGE_PRESENT | _PAGE_USER,
	.leaf_write = _PAGE_RW,
	.huge = _PAGE_PSE,
	.addr_mask = 0x000ffffffffff000ull,
};

static int svm_check_cpu(void)
{
	u32 eax, ebx, ecx, edx;
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
	cpuid(0x8000000a, &eax, &ebx, &ecx, &edx);
	svm_max_asid = ebx - 1;
	svm_has_nrips = edx & BIT(3);
	svm_has_flushbyasid = edx & BIT(6);
	svm_has_decode_assists = edx & BIT(7);
	if (svm_max_asid < 1) {
		pr_err("vhv: SVM reports no usable ASID\n");
		return -ENODEV;
	}
	return 0;
}

/* ---- permission maps ----------------------------------------------------- */

/* MSRPM: two bits (read, write) per MSR in three 8K-MSR ranges. */
static void msrpm_passthrough(u8 *msrpm, u32 msr)
{
	u32 base, bit;

	if (msr < 0x2000)
		base = 0;
	else if (msr - 0xc0000000 < 0x2000)
		base = 0x800 * 8, msr -= 0xc0000000;
	else if (msr - 0xc0010000 < 0x2000)
		base = 0x1000 * 8, msr -= 0xc0010000;
	else
		return;
	bit = base + msr * 2;
	msrpm[bit / 8] &= ~(3u << (bit % 8));
}

/* What VMLOAD/VMSAVE switch, the guest may access without exits. */
static const u32 passthrough_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR,
	MSR_CSTAR, MSR_SYSCALL_MASK, MSR_IA32_SYSENTER_CS,
	MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

static int alloc_permission_maps(void)
{
	unsigned int i;

	iopm_pages = alloc_pages(GFP_KERNEL, IOPM_ORDER);
	msrpm_pages = alloc_pages(GFP_KERNEL, MSRPM_ORDER);
	if (!iopm_pages || !msrpm_pages)
		return -ENOMEM;
	/* Every port and every MSR exits, but for the few above. */
	memset(page_address(iopm_pages), 0xff, PAGE_SIZE << IOPM_ORDER);
	memset(page_address(msrpm_pages), 0xff, PAGE_SIZE << MSRPM_ORDER);
	for (i = 0; i < ARRAY_SIZE(passthrough_msrs); i++)
		msrpm_passthrough(page_address(msrpm_pages), passthrough_msrs[i]);
	return 0;
}

/* ---- load/unload, enabling ------------------------------------------------ */

static void svm_hardware_unsetup(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sd = per_cpu_ptr(&svm_cpu, cpu);

		if (sd->hsave)
			__free_page(sd->hsave);
		if (sd->host_area)
			__free_page(sd->host_area);
		sd->hsave = sd->host_area = NULL;
	}
	if (iopm_pages)
		__free_pages(iopm_pages, IOPM_ORDER);
	if (msrpm_pages)
		__free_pages(msrpm_pages, MSRPM_ORDER);
	iopm_pages = msrpm_pages = NULL;
}

static int svm_hardware_setup(struct vhv_cpu_limits *lim)
{
	int cpu, r;

	r = svm_check_cpu();
	if (r)
		return r;
	r = alloc_permission_maps();
	if (r)
		goto err;
	for_each_possible_cpu(cpu) {
		struct svm_cpu *sd = per_cpu_ptr(&svm_cpu, cpu);
		int node = cpu_to_node(cpu);

		sd->hsave = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO, 0);
		sd->host_area = alloc_pages_node(node, GFP_KERNEL | __GFP_ZERO, 0);
		if (!sd->hsave || !sd->host_area) {
			r = -ENOMEM;
			goto err;
		}
		sd->asid_generation = 1;
		sd->next_asid = 1;
	}
	/* PKU is hidden from guests (a guest that sets CR4.PKE anyway keeps
	 * its own PKRU: run.c switches it). */
	lim->cr4_valid &= ~VHV_CR4_PKE;
	return 0;
err:
	svm_hardware_unsetup();
	return r;
}

static int svm_enable_cpu(void)
{
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpu);
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & SVM_EFER_SVME)
		return -EBUSY;
	wrmsrl(MSR_EFER, efer | SVM_EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(sd->hsave));
	/* ASIDs this CPU used before are stale: start a new generation. */
	sd->asid_generation++;
	sd->next_asid = svm_max_asid + 1;
	sd->last_vmcb = NULL;
	return 0;
}

static void svm_disable_cpu(void)
{
	u64 efer;

	wrmsrl(MSR_VM_HSAVE_PA, 0);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~SVM_EFER_SVME);
}

/* ---- segments and system registers ---------------------------------------- */

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
	s->cr8 = to_svm(vcpu)->vmcb->control.int_ctl & SVM_V_TPR_MASK;
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
	/* In real mode CPL is 0; otherwise it is SS.DPL (APM 15.5.1). */
	save->cpl = (s->cr0 & VHV_CR0_PE) ? s->ss.dpl : 0;
	save->cr0 = s->cr0;
	save->cr2 = s->cr2;
	save->cr3 = s->cr3;
	save->cr4 = s->cr4;
	vmcb->control.int_ctl = (vmcb->control.int_ctl & ~SVM_V_TPR_MASK) |
				(s->cr8 & SVM_V_TPR_MASK);
	/* VMRUN requires EFER.SVME in the guest image; the guest never sees it. */
	save->efer = s->efer | SVM_EFER_SVME;
	vmcb->control.clean = 0;
}

static void svm_get_cpu_state(struct vhv_vcpu *vcpu, struct vhv_cpu_state *st)
{
	struct svm_vmcb_save *save = &to_svm(vcpu)->vmcb->save;
	bool cs_l = save->cs.attrib & BIT(9), cs_db = save->cs.attrib & BIT(10);

	st->cr0 = save->cr0;
	st->cr3 = save->cr3;
	st->cr4 = save->cr4;
	st->efer = save->efer & ~SVM_EFER_SVME;
	st->cpl = save->cpl;
	if ((st->efer & VHV_EFER_LMA) && cs_l)
		st->mode = VHV_MODE_64;
	else
		st->mode = (st->cr0 & VHV_CR0_PE) && cs_db ? VHV_MODE_32 : VHV_MODE_16;
	/* In 64-bit mode only FS and GS have bases. */
	st->seg_base[VHV_SEG_ES] = st->mode == VHV_MODE_64 ? 0 : save->es.base;
	st->seg_base[VHV_SEG_CS] = st->mode == VHV_MODE_64 ? 0 : save->cs.base;
	st->seg_base[VHV_SEG_SS] = st->mode == VHV_MODE_64 ? 0 : save->ss.base;
	st->seg_base[VHV_SEG_DS] = st->mode == VHV_MODE_64 ? 0 : save->ds.base;
	st->seg_base[VHV_SEG_FS] = save->fs.base;
	st->seg_base[VHV_SEG_GS] = save->gs.base;
}

/* ---- MSRs the VMCB holds ---------------------------------------------------- */

static u64 *vmcb_msr(struct svm_vmcb_save *save, u32 index)
{
	switch (index) {
	case MSR_STAR: return &save->star;
	case MSR_LSTAR: return &save->lstar;
	case MSR_CSTAR: return &save->cstar;
	case MSR_SYSCALL_MASK: return &save->sfmask;
	case MSR_KERNEL_GS_BASE: return &save->kernel_gs_base;
	case MSR_FS_BASE: return &save->fs.base;
	case MSR_GS_BASE: return &save->gs.base;
	case MSR_IA32_SYSENTER_CS: return &save->sysenter_cs;
	case MSR_IA32_SYSENTER_ESP: return &save->sysenter_esp;
	case MSR_IA32_SYSENTER_EIP: return &save->sysenter_eip;
	case MSR_IA32_CR_PAT: return &save->g_pat;
	default: return NULL;
	}
}

static int svm_get_msr(struct vhv_vcpu *vcpu, u32 index, u64 *data)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u64 *field = vmcb_msr(&svm->vmcb->save, index);

	if (field) {
		*data = *field;
		return 0;
	}
	switch (index) {
	case MSR_EFER:
		*data = svm->vmcb->save.efer & ~SVM_EFER_SVME;
		return 0;
	case MSR_IA32_TSC:
		*data = rdtsc() + svm->vmcb->control.tsc_offset;
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		*data = svm->debugctl;
		return 0;
	case MSR_VM_CR:		/* the guest sees SVM locked off */
		*data = SVM_VM_CR_SVMDIS | SVM_VM_CR_LOCK;
		return 0;
	default:
		return -ENOENT;
	}
}

static int set_efer(struct svm_vcpu *svm, u64 data, bool from_guest)
{
	struct svm_vmcb_save *save = &svm->vmcb->save;
	u64 old = save->efer & ~SVM_EFER_SVME;

	if (data & ~vhv_limits.efer_valid)
		return -EINVAL;
	if (from_guest) {
		/* LMA is the CPU's to set; LME cannot change under paging. */
		data = (data & ~VHV_EFER_LMA) | (old & VHV_EFER_LMA);
		if ((save->cr0 & VHV_CR0_PG) &&
		    ((data ^ old) & VHV_EFER_LME))
			return -EINVAL;
	} else {
		svm->vcpu.state_dirty = true;
	}
	save->efer = data | SVM_EFER_SVME;
	vmcb_mark_dirty(svm->vmcb, SVM_CLEAN_CR);
	return 0;
}

static int svm_set_msr(struct vhv_vcpu *vcpu, u32 index, u64 data,
		       bool from_guest)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	u64 *field = vmcb_msr(&svm->vmcb->save, index);

	if (field) {
		if ((index == MSR_FS_BASE || index == MSR_GS_BASE ||
		     index == MSR_KERNEL_GS_BASE || index == MSR_LSTAR ||
		     index == MSR_CSTAR) && !vhv_addr_canonical(data, &vhv_limits))
			return -EINVAL;
		*field = data;
		if (index == MSR_IA32_CR_PAT)
			vmcb_mark_dirty(svm->vmcb, SVM_CLEAN_NPT);
		return 0;
	}
	switch (index) {
	case MSR_EFER:
		return set_efer(svm, data, from_guest);
	case MSR_IA32_TSC:
		svm->vcpu.tsc_offset = data - rdtsc();
		svm->vmcb->control.tsc_offset = svm->vcpu.tsc_offset;
		vmcb_mark_dirty(svm->vmcb, SVM_CLEAN_INTERCEPTS);
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		svm->debugctl = data;	/* kept, not applied: no LBR/BTF */
		return 0;
	case MSR_VM_CR:
		return from_guest ? -EINVAL : 0;
	default:
		return -ENOENT;
	}
}

/* ---- vCPUs -------------------------------------------------------------------- */

static void init_vmcb(struct svm_vcpu *svm)
{
	struct svm_vmcb_control *c = &svm->vmcb->control;
	struct svm_vmcb_save *save = &svm->vmcb->save;

	c->intercept_dr = 0xffffffff;	/* until the guest uses DRs */
	/* #MC belongs to the host; #DB and #AC can loop in delivery. */
	c->intercept_exceptions = BIT(1) | BIT(17) | BIT(18);
	c->intercept_misc1 = SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI |
		SVM_INTERCEPT_SMI | SVM_INTERCEPT_RDPMC | SVM_INTERCEPT_CPUID |
		SVM_INTERCEPT_INVD | SVM_INTERCEPT_HLT | SVM_INTERCEPT_INVLPGA |
		SVM_INTERCEPT_IOIO | SVM_INTERCEPT_MSR |
		SVM_INTERCEPT_TASK_SWITCH | SVM_INTERCEPT_SHUTDOWN;
	c->intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL |
		SVM_INTERCEPT_VMLOAD | SVM_INTERCEPT_VMSAVE |
		SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI | SVM_INTERCEPT_SKINIT |
		SVM_INTERCEPT_MONITOR | SVM_INTERCEPT_MWAIT |
		SVM_INTERCEPT_MWAIT_COND | SVM_INTERCEPT_XSETBV |
		SVM_INTERCEPT_WBINVD |
		SVM_INTERCEPT_RDPRU;
	c->iopm_base_pa = page_to_phys(iopm_pages);
	c->msrpm_base_pa = page_to_phys(msrpm_pages);
	c->tsc_offset = svm->vcpu.tsc_offset;
	/* Host interrupts always exit; the guest's IF only masks virtual ones. */
	c->int_ctl = SVM_V_INTR_MASKING;
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = vhv_mmu_root_pa(svm->vcpu.vm);
	c->clean = 0;
	save->g_pat = DEFAULT_PAT;
	save->dr6 = 0xffff0ff0;
	save->dr7 = 0x400;
	svm->asid_generation = 0;
	svm->last_cpu = -1;
}

static int svm_vcpu_create(struct vhv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	struct page *page = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);

	if (!page)
		return -ENOMEM;
	svm->vmcb = page_address(page);
	svm->vmcb_pa = page_to_phys(page);
	atomic_long_inc(&vhv_stats.pages);
	init_vmcb(svm);
	return 0;
}

static void svm_vcpu_free(struct vhv_vcpu *vcpu)
{
	struct svm_vcpu *svm = to_svm(vcpu);
	int cpu;

	/* No CPU may believe it still has this VMCB's state cached. */
	for_each_possible_cpu(cpu)
		cmpxchg(&per_cpu_ptr(&svm_cpu, cpu)->last_vmcb, svm->vmcb, NULL);
	free_page((unsigned long)svm->vmcb);
	atomic_long_dec(&vhv_stats.pages);
}

static u8 svm_get_cr8(struct vhv_vcpu *vcpu)
{
	return to_svm(vcpu)->vmcb->control.int_ctl & SVM_V_TPR_MASK;
}

const struct vhv_vendor_ops svm_vendor_ops = {
	.name = "svm",
	.vendor = VHV_VENDOR_SVM,
	.vcpu_size = sizeof(struct svm_vcpu),
	.pte_format = &svm_npt_format,
	.hardware_setup = svm_hardware_setup,
	.hardware_unsetup = svm_hardware_unsetup,
	.enable_cpu = svm_enable_cpu,
	.disable_cpu = svm_disable_cpu,
	.vcpu_create = svm_vcpu_create,
	.vcpu_free = svm_vcpu_free,
	.get_sregs = svm_get_sregs,
	.set_sregs = svm_set_sregs,
	.vcpu_run = svm_vcpu_run,
	.vcpu_load = svm_vcpu_load,
	.vcpu_put = svm_vcpu_put,
	.get_cpu_state = svm_get_cpu_state,
	.get_cr8 = svm_get_cr8,
	.queue_exception = svm_queue_exception,
	.single_step = svm_single_step,
	.get_msr = svm_get_msr,
	.set_msr = svm_set_msr,
	.interrupt_allowed = svm_interrupt_allowed,
	.clear_events = svm_clear_events,
	.event_in_flight = svm_event_in_flight,
	.get_events = svm_get_events,
	.set_events = svm_set_events,
};
