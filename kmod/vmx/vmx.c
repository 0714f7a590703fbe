// SPDX-License-Identifier: GPL-2.0
/*
 * VT-x backend: CPU checks (capabilities from the IA32_VMX_* MSRs, caps.c),
 * per-CPU VMXON/VMXOFF, each vCPU's VMCS (its lifetime across CPUs, the
 * controls and host state set up once, the guest state reached through
 * sregs and MSRs), the MSR and I/O bitmaps, EPT entries and VPIDs.
 */
#include <linux/bitmap.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/smp.h>
#include <linux/spinlock.h>
#include <asm/cpufeature.h>
#include <asm/desc.h>
#include <asm/mmu_context.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/perf_event.h>
#include <asm/segment.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>

#include "vmx.h"
#include "../x86/arch_bits.h"
#include "../x86/decode.h"

#define DEFAULT_PAT		0x0007040600070406ull
#define VMX_AR_UNUSABLE		BIT(16)
#define VMX_NR_VPIDS		65536

DEFINE_PER_CPU(struct vmx_cpu, vmx_cpu);
struct vmx_caps vmx_caps;
static struct page *msr_bitmap, *io_bitmaps;
static DECLARE_BITMAP(vpid_used, VMX_NR_VPIDS);
static DEFINE_SPINLOCK(vpid_lock);

/*
 * EPT entries (SDM vol. 3C 29.3.2): read, write and execute in bits 0-2
 * (any of them: present); leaves write-back (memory type 6 in bits 5:3)
 * with the guest's PAT ignored (bit 6): all guest memory is the host's
 * own write-back RAM, and a guest's UC or WC alias of it would break
 * coherency with the host's mapping on CPUs without self-snoop (KVM does
 * the same without non-coherent DMA); bit 7 a 2 MiB leaf, only where the
 * CPU has them (hardware_setup).
 */
#define EPT_R		BIT_ULL(0)
#define EPT_W		BIT_ULL(1)
#define EPT_X		BIT_ULL(2)
#define EPT_WB		(6ull << 3)
#define EPT_IPAT	BIT_ULL(6)
#define EPT_LARGE	BIT_ULL(7)

static struct vhv_pte_format vmx_ept_format = {
	.present = EPT_R | EPT_W | EPT_X,
	.table = EPT_R | EPT_W | EPT_X,
	.leaf_read = EPT_R | EPT_X | EPT_WB | EPT_IPAT,
	.leaf_write = EPT_W,
	.huge = 0,
	.addr_mask = 0x000ffffffffff000ull,
};

/* The MSRs switched at load/put, in enum vmx_lazy_msr order. */
static const u32 lazy_msr_index[VMX_NR_LAZY_MSRS] = {
	MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SYSCALL_MASK,
};

/*
 * The host's syscall MSRs, read on each CPU as VMX goes on there: the
 * kernel sets them once per CPU (syscall_init()) and never again, as KVM's
 * user-return MSRs assume too.
 */
static DEFINE_PER_CPU(u64 [VMX_NR_LAZY_MSRS], host_syscall_msrs);

/* The ones a CPU with VT-x uses: SYSCALL exists only in 64-bit mode there. */
static bool syscall_msr_used(int i)
{
	return i == VMX_MSR_STAR || i == VMX_MSR_LSTAR || i == VMX_MSR_SFMASK;
}

/* ---- capabilities ---------------------------------------------------------- */

static bool vmx_feature_control_ok(void)
{
	u64 fc;

	if (rdmsrl_safe(MSR_IA32_FEAT_CTL, &fc))
		return false;
	return (fc & FEAT_CTL_LOCKED) &&
	       (fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX);
}

static void read_vmx_msrs(struct vmx_msrs *m)
{
	rdmsrl(MSR_IA32_VMX_BASIC, m->basic);
	rdmsrl(MSR_IA32_VMX_PINBASED_CTLS, m->pinbased);
	rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS, m->procbased);
	rdmsrl(MSR_IA32_VMX_EXIT_CTLS, m->exit);
	rdmsrl(MSR_IA32_VMX_ENTRY_CTLS, m->entry);
	rdmsrl(MSR_IA32_VMX_MISC, m->misc);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, m->cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, m->cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, m->cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, m->cr4_fixed1);
	m->procbased2 = 0;
	if ((m->procbased >> 32) & VMX_PROC_SECONDARY_CONTROLS)
		rdmsrl(MSR_IA32_VMX_PROCBASED_CTLS2, m->procbased2);
	m->ept_vpid_cap = 0;
	if ((m->procbased2 >> 32) & (VMX_PROC2_ENABLE_EPT | VMX_PROC2_ENABLE_VPID))
		rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, m->ept_vpid_cap);
	if (m->basic & VMX_BASIC_HAS_TRUE_CTLS) {
		rdmsrl(MSR_IA32_VMX_TRUE_PINBASED_CTLS, m->true_pinbased);
		rdmsrl(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, m->true_procbased);
		rdmsrl(MSR_IA32_VMX_TRUE_EXIT_CTLS, m->true_exit);
		rdmsrl(MSR_IA32_VMX_TRUE_ENTRY_CTLS, m->true_entry);
	}
}

static int vmx_check_cpu(void)
{
	struct vmx_refusal why;
	struct vmx_msrs m;

	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_err("vhv: this CPU does not report VMX (or the firmware disabled it)\n");
		return -ENODEV;
	}
	if (!vmx_feature_control_ok()) {
		pr_err("vhv: VMX is not enabled in IA32_FEATURE_CONTROL (locked off by the firmware)\n");
		return -ENODEV;
	}
#ifdef X86_FEATURE_FRED
	/*
	 * After an NMI exit vhv unblocks NMIs with an IRET to itself; with
	 * FRED, NMI blocking ends at an ERETS from a FRED frame instead
	 * (KVM enters the kernel's FRED code for it, which modules cannot).
	 */
	if (cpu_feature_enabled(X86_FEATURE_FRED)) {
		pr_err("vhv: VT-x refused: this kernel runs with FRED, whose NMI handling vhv does not do yet (boot with fred=off)\n");
		return -ENODEV;
	}
#endif
	read_vmx_msrs(&m);
	if (vmx_caps_compute(&m, &vmx_caps, &why)) {
		pr_err("vhv: VT-x refused: %s: %s\n", why.feature, why.reason);
		return -ENODEV;
	}
	return 0;
}

/* ---- load/unload, enabling ------------------------------------------------ */

static void *alloc_vmx_region(int node, gfp_t gfp)
{
	struct page *page = alloc_pages_node(node, gfp | __GFP_ZERO, 0);
	u32 *region;

	if (!page)
		return NULL;
	region = page_address(page);
	region[0] = vmx_caps.revision;
	return region;
}

static void vmx_hardware_unsetup(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu, cpu);

		free_page((unsigned long)vc->vmxon_region);
		vc->vmxon_region = NULL;
	}
	if (msr_bitmap)
		__free_page(msr_bitmap);
	if (io_bitmaps)
		__free_pages(io_bitmaps, 1);
	msr_bitmap = io_bitmaps = NULL;
	vmx_run_unsetup();
}

/* The MSR bitmap: read bits, then write bits, of MSRs 0-0x1fff and c0000000-c0001fff. */
static void msr_passthrough(u8 *bitmap, u32 msr)
{
	u32 base;

	if (msr < 0x2000)
		base = 0;
	else if (msr - 0xc0000000 < 0x2000)
		base = 0x400, msr -= 0xc0000000;
	else
		return;
	bitmap[base + msr / 8] &= ~BIT(msr % 8);		/* reads */
	bitmap[base + 0x800 + msr / 8] &= ~BIT(msr % 8);	/* writes */
}

/*
 * What the guest reaches without exits: the VMCS switches the segment
 * bases and SYSENTER MSRs, vmx_save_host_state() KERNEL_GS_BASE, which
 * SWAPGS changes.  The syscall MSRs exit (a guest sets them once): vhv
 * then knows their values without reading them back at each put, and
 * loads them only for a guest that can use them, as KVM does.  SPEC_CTRL
 * exits: vmx_vmenter() loads its value.
 */
static const u32 passthrough_msrs[] = {
	MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_IA32_SYSENTER_CS,
	MSR_IA32_SYSENTER_ESP, MSR_IA32_SYSENTER_EIP,
};

static int alloc_bitmaps(void)
{
	unsigned int i;

	msr_bitmap = alloc_page(GFP_KERNEL);
	io_bitmaps = alloc_pages(GFP_KERNEL, 1);
	if (!msr_bitmap || !io_bitmaps)
		return -ENOMEM;
	/* Every port and every MSR exits, but for the few above. */
	memset(page_address(io_bitmaps), 0xff, 2 * PAGE_SIZE);
	memset(page_address(msr_bitmap), 0xff, PAGE_SIZE);
	for (i = 0; i < ARRAY_SIZE(passthrough_msrs); i++)
		msr_passthrough(page_address(msr_bitmap), passthrough_msrs[i]);
	return 0;
}

static int vmx_hardware_setup(struct vhv_cpu_limits *lim)
{
	int cpu, r;

	r = vmx_check_cpu();
	if (r)
		return r;
	r = alloc_bitmaps();
	if (r)
		goto err;
	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu, cpu);

		INIT_LIST_HEAD(&vc->loaded);
		vc->current_vmcs = NULL;
		vc->vmxon_region = alloc_vmx_region(cpu_to_node(cpu), GFP_KERNEL);
		if (!vc->vmxon_region) {
			r = -ENOMEM;
			goto err;
		}
	}
	if (vmx_caps.ept_2m)
		vmx_ept_format.huge = EPT_LARGE;
	/* VPID 0 is the host's. */
	set_bit(0, vpid_used);
	r = vmx_run_setup();
	if (r)
		goto err;
	/* A guest cannot use VMX: nested VMX is not offered. */
	lim->cr4_valid &= ~VHV_CR4_VMXE;
	/* Nor a bit VMX operation forces to 0 (IA32_VMX_CR4_FIXED1). */
	lim->cr4_valid &= vmx_caps.cr4.may1;
	/* PKU is hidden from guests, as on SVM (PKRU is switched anyway). */
	lim->cr4_valid &= ~VHV_CR4_PKE;
	return 0;
err:
	vmx_hardware_unsetup();
	return r;
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
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	int i, r;

	if (cr4_read_shadow() & X86_CR4_VMXE)
		return -EBUSY;
	if (!vmx_feature_control_ok())
		return -EOPNOTSUPP;
	/*
	 * VMXON clears RTIT_CTL.TraceEn where Intel PT cannot trace in VMX
	 * operation: the PT driver stops writing it from here on.
	 */
	intel_pt_handle_vmx(1);
	for (i = 0; i < VMX_NR_LAZY_MSRS; i++)
		if (syscall_msr_used(i))
			rdmsrl(lazy_msr_index[i], this_cpu_ptr(host_syscall_msrs)[i]);
	cr4_set_bits(X86_CR4_VMXE);
	r = vmx_vmxon(__pa(vc->vmxon_region));
	if (r) {
		cr4_clear_bits(X86_CR4_VMXE);
		intel_pt_handle_vmx(0);
	}
	vc->current_vmcs = NULL;
	return r;
}

/* ---- VMCS lifetime ------------------------------------------------------- */

/*
 * On the CPU whose cache holds the VMCS, IRQs off: write it back to
 * memory (VMCLEAR, which also makes the next entry a VMLAUNCH) and forget
 * it there.
 */
static void clear_on_this_cpu(struct vmx_vcpu *vmx)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);

	vmx_vmclear(vmx->vmcs_pa);
	if (vc->current_vmcs == vmx->vmcs)
		vc->current_vmcs = NULL;
	list_del(&vmx->loaded_link);
	/* Off the list before another CPU may take the VMCS. */
	smp_wmb();
	WRITE_ONCE(vmx->vmcs_cpu, -1);
	vmx->launched = false;
}

static void clear_ipi(void *arg)
{
	struct vmx_vcpu *vmx = arg;

	/* That CPU may have let go of it already (disable_cpu). */
	if (READ_ONCE(vmx->vmcs_cpu) == raw_smp_processor_id())
		clear_on_this_cpu(vmx);
}

/* IRQs on.  An offline CPU cleared its VMCSs as it went (disable_cpu). */
static void vmx_clear_vmcs(struct vmx_vcpu *vmx)
{
	int cpu = READ_ONCE(vmx->vmcs_cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, clear_ipi, vmx, 1);
}

/* Disabling (hotplug, suspend, reboot, last VM): no VMCS stays cached. */
static void vmx_disable_cpu(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	struct vmx_vcpu *vmx, *next;

	list_for_each_entry_safe(vmx, next, &vc->loaded, loaded_link)
		clear_on_this_cpu(vmx);
	vc->current_vmcs = NULL;
	vmx_vmxoff();
	intel_pt_handle_vmx(0);
}

/* The TSS base from its descriptor in the GDT (16 bytes in long mode). */
static unsigned long tss_base(unsigned long gdt)
{
	const struct ldttss_desc *d = (void *)(gdt + GDT_ENTRY_TSS * 8);

	return d->base0 | ((unsigned long)d->base1 << 16) |
	       ((unsigned long)d->base2 << 24) | ((unsigned long)d->base3 << 32);
}

/* Host fields that differ from CPU to CPU. */
static void write_percpu_host_state(void)
{
	struct desc_ptr gdt;
	u64 v;

	native_store_gdt(&gdt);
	vmcs_writenat(VMCS_HOST_GDTR_BASE, gdt.address);
	vmcs_writenat(VMCS_HOST_TR_BASE, tss_base(gdt.address));
	rdmsrl(MSR_GS_BASE, v);		/* the kernel's per-CPU base */
	vmcs_writenat(VMCS_HOST_GS_BASE, v);
	rdmsrl(MSR_IA32_SYSENTER_ESP, v);
	vmcs_writenat(VMCS_HOST_SYSENTER_ESP, v);
}

/*
 * Preemption off, IRQs on: makes the VMCS current on cpu (this CPU).
 * Moving CPUs takes it away from the old one first (an IPI there); the
 * guest's tagged TLB entries on the new one may be stale: flushed at entry.
 */
void vmx_load_vmcs(struct vmx_vcpu *vmx, int cpu)
{
	struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu, cpu);
	bool moved = READ_ONCE(vmx->vmcs_cpu) != cpu;
	unsigned long flags;

	if (moved) {
		vmx_clear_vmcs(vmx);
		/* Pairs with clear_on_this_cpu(): off that list first. */
		smp_rmb();
		/* Also before the first use: VMCLEAR sets the launch state. */
		vmx_vmclear(vmx->vmcs_pa);
		vmx->launched = false;
		local_irq_save(flags);
		list_add(&vmx->loaded_link, &vc->loaded);
		WRITE_ONCE(vmx->vmcs_cpu, cpu);
		local_irq_restore(flags);
	}
	if (vc->current_vmcs != vmx->vmcs) {
		vmx_vmptrld(vmx->vmcs_pa);
		vc->current_vmcs = vmx->vmcs;
	}
	if (moved) {
		write_percpu_host_state();
		vmx->flush_vpid = true;
		set_bit(VHV_REQ_TLB_FLUSH, &vmx->vcpu.requests);
	}
}

/* ---- host state a VM exit does not restore ---------------------------------- */

/*
 * IRQs off, before the first entry after the vCPU was loaded.  A VM exit
 * loads null DS/ES (and FS/GS unless their selectors fit a host field),
 * a null LDT, the TR and GDT limits 0x67 and 0xffff; it does not touch
 * KERNEL_GS_BASE or the syscall MSRs, which hold the guest's from here
 * (the syscall ones from vmx_load_syscall_msrs()) to
 * vmx_load_host_state(), as KVM's lazy "user return" MSRs do.
 */
void vmx_save_host_state(struct vmx_vcpu *vmx)
{
	struct vmx_host_state *h = &vmx->host;
	u64 fs_base;

	if (h->saved)
		return;
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	store_ldt(h->ldt);
	rdmsrl(MSR_FS_BASE, fs_base);
	/* A selector with RPL or TI set cannot be a host field: null, and reloaded. */
	vmcs_write16(VMCS_HOST_FS_SELECTOR, h->fs & 7 ? 0 : h->fs);
	vmcs_write16(VMCS_HOST_GS_SELECTOR, h->gs & 7 ? 0 : h->gs);
	vmcs_writenat(VMCS_HOST_FS_BASE, fs_base);
	rdmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	/* The guest's value: vmx_set_msr() checked it, but never a splat. */
	if (h->kernel_gs_base != vmx->lazy_msrs[VMX_MSR_KERNEL_GS_BASE] &&
	    wrmsrl_safe(MSR_KERNEL_GS_BASE, vmx->lazy_msrs[VMX_MSR_KERNEL_GS_BASE])) {
		/* Neither the copy nor the CPU keeps the host's for the guest. */
		vmx->lazy_msrs[VMX_MSR_KERNEL_GS_BASE] = 0;
		wrmsrl(MSR_KERNEL_GS_BASE, 0);
	}
	h->saved = true;
}

/*
 * IRQs off, after vmx_save_host_state(), for a guest with EFER.SCE (the
 * only one SYSCALL can reach; run.c checks at each entry): the guest's
 * STAR, LSTAR and SFMASK into the CPU until the put.
 */
void vmx_load_syscall_msrs(struct vmx_vcpu *vmx)
{
	const u64 *host = this_cpu_ptr(host_syscall_msrs);
	int i;

	for (i = 0; i < VMX_NR_LAZY_MSRS; i++) {
		if (!syscall_msr_used(i) || vmx->lazy_msrs[i] == host[i])
			continue;
		/* vmx_set_msr() tried the value on the CPU; never a splat. */
		if (wrmsrl_safe(lazy_msr_index[i], vmx->lazy_msrs[i])) {
			/* Not the host's: its LSTAR would give KASLR away. */
			vmx->lazy_msrs[i] = 0;
			wrmsrl(lazy_msr_index[i], 0);
		}
	}
	vmx->host.syscall_loaded = true;
}

/* Preemption off (vcpu_put, the scheduler's sched-out). */
void vmx_load_host_state(struct vmx_vcpu *vmx)
{
	struct vmx_host_state *h = &vmx->host;
	const u64 *host = this_cpu_ptr(host_syscall_msrs);
	int i;

	if (!h->saved)
		return;
	/* First: loading GS below overwrites KERNEL_GS_BASE. */
	rdmsrl(MSR_KERNEL_GS_BASE, vmx->lazy_msrs[VMX_MSR_KERNEL_GS_BASE]);
	if (h->ldt || (h->gs & 7)) {
		asm volatile("lldt %0" : : "rm" (h->ldt));
		load_gs_index(h->gs);
	}
	if (h->fs & 7)
		loadsegment(fs, h->fs);
	if (h->ds | h->es) {
		loadsegment(ds, h->ds);
		loadsegment(es, h->es);
	}
	invalidate_tss_limit();
	/* Always: load_gs_index() may have changed it. */
	wrmsrl(MSR_KERNEL_GS_BASE, h->kernel_gs_base);
	if (h->syscall_loaded) {
		for (i = 0; i < VMX_NR_LAZY_MSRS; i++)
			if (syscall_msr_used(i) && vmx->lazy_msrs[i] != host[i])
				wrmsrl(lazy_msr_index[i], host[i]);
		h->syscall_loaded = false;
	}
	load_fixmap_gdt(raw_smp_processor_id());
	h->saved = false;
}

/* ---- control registers --------------------------------------------------- */

/* The guest's view: its own bits from the CPU, the masked ones from the shadow. */
/*
 * The guest's CR0 as it reads it; the CPU runs it with the bits VMX fixes
 * forced and caching on: CD and NW are the guest's to read back only (a
 * guest starts with both set, and memory uncached would make it crawl;
 * KVM clears them too).
 */
void vmx_write_cr0(struct vmx_vcpu *vmx, u64 cr0)
{
	vmx->cr0 = cr0;
	vmcs_writenat(VMCS_CR0_READ_SHADOW, cr0);
	vmcs_writenat(VMCS_GUEST_CR0, vmx_cr_fixup(&vmx_caps.guest_cr0, cr0) &
		      ~(VHV_CR0_CD | VHV_CR0_NW));
}

void vmx_write_cr4(struct vmx_vcpu *vmx, u64 cr4)
{
	vmx->cr4 = cr4;
	vmcs_writenat(VMCS_CR4_READ_SHADOW, cr4);
	/*
	 * CR4.MCE stays the host's whatever the guest's: a machine check
	 * with it clear shuts the core down, and Intel broadcasts them to
	 * every core (the guest sees its own value in the shadow).
	 */
	vmcs_writenat(VMCS_GUEST_CR4, vmx_cr_fixup(&vmx_caps.cr4, cr4) |
		      (cr4_read_shadow() & X86_CR4_MCE));
}

u64 vmx_eptp_of(struct vhv_vm *vm)
{
	/*
	 * Without the accessed/dirty flags: vhv never reads them, and with
	 * them every walk of the guest's page tables counts as a write.
	 */
	return vmx_eptp(&vmx_caps, vhv_mmu_root_pa(vm)) & ~VMX_EPTP_AD;
}

/* ---- segments and system registers ---------------------------------------- */

#define VMX_SEG_LDTR	6
#define VMX_SEG_TR	7

struct seg_fields {
	u32 selector, base, limit, ar;
};

#define SEG(s) { VMCS_GUEST_##s##_SELECTOR, VMCS_GUEST_##s##_BASE,	\
		 VMCS_GUEST_##s##_LIMIT, VMCS_GUEST_##s##_AR }
static const struct seg_fields seg_fields[8] = {
	[VHV_SEG_ES] = SEG(ES), [VHV_SEG_CS] = SEG(CS), [VHV_SEG_SS] = SEG(SS),
	[VHV_SEG_DS] = SEG(DS), [VHV_SEG_FS] = SEG(FS), [VHV_SEG_GS] = SEG(GS),
	[VMX_SEG_LDTR] = SEG(LDTR), [VMX_SEG_TR] = SEG(TR),
};
#undef SEG

/*
 * Access rights as VM entry checks them (SDM vol. 3C 27.3.1.2), from a
 * segment SVM would take as it is: an unusable segment keeps its other
 * attributes as set, not present (entry checks none of them but SS's DPL,
 * the CPL, and VHV_GET_SREGS reads back what VHV_SET_SREGS wrote, as on
 * SVM); a usable code or data segment is accessed (the CPU sets the bit
 * at any load; KVM fixes it up too); a TSS is busy, as TR must be; G is
 * what the limit allows.
 */
static u32 seg_ar(const struct vhv_segment *s, int seg)
{
	u32 type = s->type, g = s->g;

	if (s->unusable || !s->present)
		return VMX_AR_UNUSABLE | type | s->s << 4 | (s->dpl & 3) << 5 |
		       s->avl << 12 | s->l << 13 | s->db << 14 | g << 15;
	if (seg < VMX_SEG_LDTR && s->s)
		type |= 1;
	if (seg == VMX_SEG_TR && (type == 1 || type == 9))
		type |= 2;
	if (s->limit > 0xfffff)
		g = 1;
	else if ((s->limit & 0xfff) != 0xfff)
		g = 0;
	return type | s->s << 4 | (s->dpl & 3) << 5 | BIT(7) | s->avl << 12 |
	       s->l << 13 | s->db << 14 | g << 15;
}

static void seg_to_vmcs(const struct vhv_segment *s, int seg)
{
	const struct seg_fields *f = &seg_fields[seg];

	vmcs_write16(f->selector, s->selector);
	vmcs_writenat(f->base, s->base);
	vmcs_write32(f->limit, s->limit);
	vmcs_write32(f->ar, seg_ar(s, seg));
}

static void seg_from_vmcs(struct vhv_segment *s, int seg)
{
	const struct seg_fields *f = &seg_fields[seg];
	u32 ar = vmcs_read32(f->ar);

	*s = (struct vhv_segment) {
		.base = vmcs_readnat(f->base),
		.limit = vmcs_read32(f->limit),
		.selector = vmcs_read16(f->selector),
		.type = ar & 0xf,
		.s = (ar >> 4) & 1,
		.dpl = (ar >> 5) & 3,
		.avl = (ar >> 12) & 1,
		.l = (ar >> 13) & 1,
		.db = (ar >> 14) & 1,
		.g = (ar >> 15) & 1,
		.unusable = (ar >> 16) & 1,
	};
	/* A usable segment is present; an unusable one reads as absent. */
	s->present = !s->unusable;
}

static void vmx_get_sregs(struct vhv_vcpu *vcpu, struct vhv_sregs *s)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx_vmcs_get(vmx);
	seg_from_vmcs(&s->cs, VHV_SEG_CS);
	seg_from_vmcs(&s->ds, VHV_SEG_DS);
	seg_from_vmcs(&s->es, VHV_SEG_ES);
	seg_from_vmcs(&s->fs, VHV_SEG_FS);
	seg_from_vmcs(&s->gs, VHV_SEG_GS);
	seg_from_vmcs(&s->ss, VHV_SEG_SS);
	seg_from_vmcs(&s->tr, VMX_SEG_TR);
	seg_from_vmcs(&s->ldt, VMX_SEG_LDTR);
	s->gdt.base = vmcs_readnat(VMCS_GUEST_GDTR_BASE);
	s->gdt.limit = vmcs_read32(VMCS_GUEST_GDTR_LIMIT);
	s->idt.base = vmcs_readnat(VMCS_GUEST_IDTR_BASE);
	s->idt.limit = vmcs_read32(VMCS_GUEST_IDTR_LIMIT);
	s->cr0 = vmx_guest_cr0(vmx);
	s->cr2 = vmx->cr2;
	s->cr3 = vmcs_readnat(VMCS_GUEST_CR3);
	s->cr4 = vmx_guest_cr4(vmx);
	s->cr8 = vmx->cr8;
	s->efer = vmcs_read64(VMCS_GUEST_IA32_EFER);
	vmx_vmcs_put(vmx);
}

static void vmx_set_sregs(struct vhv_vcpu *vcpu, const struct vhv_sregs *s)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx_vmcs_get(vmx);
	seg_to_vmcs(&s->cs, VHV_SEG_CS);
	seg_to_vmcs(&s->ds, VHV_SEG_DS);
	seg_to_vmcs(&s->es, VHV_SEG_ES);
	seg_to_vmcs(&s->fs, VHV_SEG_FS);
	seg_to_vmcs(&s->gs, VHV_SEG_GS);
	seg_to_vmcs(&s->ss, VHV_SEG_SS);
	seg_to_vmcs(&s->tr, VMX_SEG_TR);
	seg_to_vmcs(&s->ldt, VMX_SEG_LDTR);
	vmcs_writenat(VMCS_GUEST_GDTR_BASE, s->gdt.base);
	vmcs_write32(VMCS_GUEST_GDTR_LIMIT, s->gdt.limit);
	vmcs_writenat(VMCS_GUEST_IDTR_BASE, s->idt.base);
	vmcs_write32(VMCS_GUEST_IDTR_LIMIT, s->idt.limit);
	vmx_write_cr0(vmx, s->cr0);
	vmx->cr2 = s->cr2;
	vmcs_writenat(VMCS_GUEST_CR3, s->cr3);
	vmx_write_cr4(vmx, s->cr4);
	vmx->cr8 = s->cr8;
	vmcs_write64(VMCS_GUEST_IA32_EFER, s->efer);
	/* Never left otherwise (vhv uses no HLT or wait-for-SIPI state),
	 * but a triple fault's exit may report shutdown: reset is active. */
	vmcs_write32(VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_ACTIVE);
	/* Not carried by save/restore: none pending in the new state (RESET too). */
	vmcs_writenat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmx_vmcs_put(vmx);
	/* Userspace's new state: the PDPTEs come from memory at the next entry. */
	vmx->pdptrs_dirty = true;
	/* A new address space: nothing the guest cached of the old one holds. */
	vmx->flush_vpid = true;
}

static void vmx_get_cpu_state(struct vhv_vcpu *vcpu, struct vhv_cpu_state *st)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 cs_ar;
	int i;

	vmx_vmcs_get(vmx);
	cs_ar = vmcs_read32(VMCS_GUEST_CS_AR);
	st->cr0 = vmx_guest_cr0(vmx);
	st->cr3 = vmcs_readnat(VMCS_GUEST_CR3);
	st->cr4 = vmx_guest_cr4(vmx);
	st->efer = vmcs_read64(VMCS_GUEST_IA32_EFER);
	/* SS.DPL is the CPL (SDM vol. 3C 25.4.1), 0 in real mode. */
	st->cpl = (vmcs_read32(VMCS_GUEST_SS_AR) >> 5) & 3;
	if ((st->efer & VHV_EFER_LMA) && (cs_ar & BIT(13)))
		st->mode = VHV_MODE_64;
	else
		st->mode = (st->cr0 & VHV_CR0_PE) && (cs_ar & BIT(14)) ?
			   VHV_MODE_32 : VHV_MODE_16;
	for (i = VHV_SEG_ES; i <= VHV_SEG_GS; i++)
		st->seg_base[i] = vmcs_readnat(seg_fields[i].base);
	vmx_vmcs_put(vmx);
	/* In 64-bit mode only FS and GS have bases. */
	if (st->mode == VHV_MODE_64)
		st->seg_base[VHV_SEG_ES] = st->seg_base[VHV_SEG_CS] =
			st->seg_base[VHV_SEG_SS] = st->seg_base[VHV_SEG_DS] = 0;
}

/* ---- MSRs the VMCS (or the vCPU) holds -------------------------------------- */

static int lazy_msr(u32 index)
{
	int i;

	for (i = 0; i < VMX_NR_LAZY_MSRS; i++)
		if (lazy_msr_index[i] == index)
			return i;
	return -1;
}

/* Natural-width and 64-bit fields of MSRs the VMCS switches. */
static int vmcs_msr_field(u32 index, u32 *field)
{
	switch (index) {
	case MSR_FS_BASE: *field = VMCS_GUEST_FS_BASE; return 0;
	case MSR_GS_BASE: *field = VMCS_GUEST_GS_BASE; return 0;
	case MSR_IA32_SYSENTER_ESP: *field = VMCS_GUEST_SYSENTER_ESP; return 0;
	case MSR_IA32_SYSENTER_EIP: *field = VMCS_GUEST_SYSENTER_EIP; return 0;
	case MSR_IA32_CR_PAT: *field = VMCS_GUEST_IA32_PAT; return 0;
	default: return -ENOENT;
	}
}

static int vmx_get_msr(struct vhv_vcpu *vcpu, u32 index, u64 *data)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int i = lazy_msr(index);
	u32 field;

	/*
	 * KERNEL_GS_BASE is in the CPU while the vCPU's thread holds it (from
	 * vmx_save_host_state() to the put that ends it); the syscall MSRs
	 * exit, so vhv's copy is theirs.
	 */
	if (i >= 0) {
		preempt_disable();
		if (i == VMX_MSR_KERNEL_GS_BASE && vmx->host.saved)
			rdmsrl(index, *data);
		else
			*data = vmx->lazy_msrs[i];
		preempt_enable();
		return 0;
	}
	if (!vmcs_msr_field(index, &field)) {
		vmx_vmcs_get(vmx);
		*data = vmcs_read_raw(field);
		vmx_vmcs_put(vmx);
		return 0;
	}
	switch (index) {
	case MSR_IA32_SYSENTER_CS:
		vmx_vmcs_get(vmx);
		*data = vmcs_read32(VMCS_GUEST_SYSENTER_CS);
		vmx_vmcs_put(vmx);
		return 0;
	case MSR_EFER:
		vmx_vmcs_get(vmx);
		*data = vmcs_read64(VMCS_GUEST_IA32_EFER);
		vmx_vmcs_put(vmx);
		return 0;
	case MSR_IA32_TSC:
		*data = rdtsc() + vcpu->tsc_offset;
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		*data = vmx->debugctl;
		return 0;
	case MSR_IA32_FEAT_CTL:	/* the guest sees VMX locked off */
		*data = FEAT_CTL_LOCKED;
		return 0;
	default:
		return -ENOENT;
	}
}

static int set_efer(struct vmx_vcpu *vmx, u64 data, bool from_guest)
{
	u64 old;

	if (data & ~vhv_limits.efer_valid)
		return -EINVAL;
	vmx_vmcs_get(vmx);
	old = vmcs_read64(VMCS_GUEST_IA32_EFER);
	if (from_guest) {
		/* LMA is the CPU's to set; LME cannot change under paging. */
		data = (data & ~VHV_EFER_LMA) | (old & VHV_EFER_LMA);
		if ((vmx_guest_cr0(vmx) & VHV_CR0_PG) &&
		    ((data ^ old) & VHV_EFER_LME)) {
			vmx_vmcs_put(vmx);
			return -EINVAL;
		}
	} else {
		vmx->vcpu.state_dirty = true;
	}
	vmcs_write64(VMCS_GUEST_IA32_EFER, data);
	vmx_vmcs_put(vmx);
	return 0;
}

static int vmx_set_msr(struct vhv_vcpu *vcpu, u32 index, u64 data,
		       bool from_guest)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	int i = lazy_msr(index);
	u32 field;

	if ((index == MSR_FS_BASE || index == MSR_GS_BASE ||
	     index == MSR_KERNEL_GS_BASE || index == MSR_LSTAR ||
	     index == MSR_CSTAR) && !vhv_addr_canonical(data, &vhv_limits))
		return -EINVAL;
	if (i >= 0) {
		bool loaded;
		int r = 0;
		u64 cur;

		preempt_disable();
		/* CSTAR is vhv's copy only: no Intel CPU uses it. */
		loaded = i == VMX_MSR_KERNEL_GS_BASE ? vmx->host.saved :
			 syscall_msr_used(i) && vmx->host.syscall_loaded;
		if (loaded) {
			r = wrmsrl_safe(index, data) ? -EINVAL : 0;
		} else if (syscall_msr_used(i)) {
			/*
			 * The CPU decides what it takes (SFMASK's reserved
			 * bits): tried now, where a #GP is an error for the
			 * caller, not at the next load.
			 */
			unsigned long flags;

			/* No interrupt may enter the host with the value in. */
			local_irq_save(flags);
			rdmsrl(index, cur);
			r = wrmsrl_safe(index, data) ? -EINVAL : 0;
			if (!r)
				wrmsrl(index, cur);
			local_irq_restore(flags);
		}
		if (!r)
			vmx->lazy_msrs[i] = data;
		preempt_enable();
		return r;
	}
	/*
	 * Entry fails on a PAT with a reserved type: checked here too, not
	 * only by msr.c's caller.
	 */
	if (index == MSR_IA32_CR_PAT && !vhv_pat_valid(data))
		return -EINVAL;
	if (!vmcs_msr_field(index, &field)) {
		vmx_vmcs_get(vmx);
		vmcs_write_raw(field, data);
		vmx_vmcs_put(vmx);
		return 0;
	}
	switch (index) {
	case MSR_IA32_SYSENTER_CS:
		vmx_vmcs_get(vmx);
		vmcs_write32(VMCS_GUEST_SYSENTER_CS, data);
		vmx_vmcs_put(vmx);
		return 0;
	case MSR_EFER:
		return set_efer(vmx, data, from_guest);
	case MSR_IA32_TSC:
		vcpu->tsc_offset = data - rdtsc();
		vmx_vmcs_get(vmx);
		vmcs_write64(VMCS_TSC_OFFSET, vcpu->tsc_offset);
		vmx_vmcs_put(vmx);
		return 0;
	case MSR_IA32_DEBUGCTLMSR:
		vmx->debugctl = data;
		return 0;
	case MSR_IA32_FEAT_CTL:
		return from_guest ? -EINVAL : 0;
	default:
		return -ENOENT;
	}
}

/* ---- vCPUs -------------------------------------------------------------------- */

static u16 alloc_vpid(void)
{
	unsigned long n;

	if (!vmx_caps.vpid)
		return 0;
	spin_lock(&vpid_lock);
	n = find_first_zero_bit(vpid_used, VMX_NR_VPIDS);
	if (n < VMX_NR_VPIDS)
		__set_bit(n, vpid_used);
	spin_unlock(&vpid_lock);
	/* None left: this vCPU runs untagged (entries and exits flush). */
	return n < VMX_NR_VPIDS ? n : 0;
}

static void free_vpid(u16 vpid)
{
	if (!vpid)
		return;
	spin_lock(&vpid_lock);
	__clear_bit(vpid, vpid_used);
	spin_unlock(&vpid_lock);
}

/* The fields set once; the guest's state comes from the reset that follows. */
static void init_vmcs(struct vmx_vcpu *vmx)
{
	struct desc_ptr idt;
	u32 proc2 = vmx_caps.proc2;
	u64 v;

	if (!vmx->vpid)
		proc2 &= ~VMX_PROC2_ENABLE_VPID;
	vmx->proc = vmx_caps.proc | VMX_PROC_MOV_DR_EXITING;
	vmx->entry = vmx_caps.entry;
	vmcs_write32(VMCS_PIN_CONTROLS, vmx_caps.pin);
	vmcs_write32(VMCS_PROC_CONTROLS, vmx->proc);
	vmcs_write32(VMCS_PROC_CONTROLS2, proc2);
	vmcs_write32(VMCS_EXIT_CONTROLS, vmx_caps.exit);
	vmcs_write32(VMCS_ENTRY_CONTROLS, vmx->entry);
	/* #MC belongs to the host; #DB and #AC can loop in delivery. */
	vmcs_write32(VMCS_EXCEPTION_BITMAP, BIT(1) | BIT(17) | BIT(18));
	vmcs_write32(VMCS_PF_ERROR_CODE_MASK, 0);
	vmcs_write32(VMCS_PF_ERROR_CODE_MATCH, 0);
	vmcs_write32(VMCS_CR3_TARGET_COUNT, 0);
	vmcs_write32(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vmcs_write64(VMCS_ENTRY_MSR_LOAD_ADDR, __pa(vmx->msr_switch->guest));
	vmcs_write64(VMCS_EXIT_MSR_LOAD_ADDR, __pa(vmx->msr_switch->host));
	vmx->msr_switch_nr = 0;
	vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
	vmcs_write64(VMCS_IO_BITMAP_A, page_to_phys(io_bitmaps));
	vmcs_write64(VMCS_IO_BITMAP_B, page_to_phys(io_bitmaps) + PAGE_SIZE);
	vmcs_write64(VMCS_MSR_BITMAP, page_to_phys(msr_bitmap));
	vmcs_write64(VMCS_TSC_OFFSET, vmx->vcpu.tsc_offset);
	vmcs_write64(VMCS_EPT_POINTER, vmx_eptp_of(vmx->vcpu.vm));
	if (vmx->vpid)
		vmcs_write16(VMCS_VPID, vmx->vpid);
	/* SGX is hidden: every ENCLS leaf exits, for a #UD. */
	if (proc2 & VMX_PROC2_ENCLS_EXITING)
		vmcs_write64(VMCS_ENCLS_EXITING_BITMAP, ~0ull);
	/* The CPU's own threshold, nothing added (QEMU's default too). */
	if (proc2 & VMX_PROC2_NOTIFY_VM_EXITING)
		vmcs_write32(VMCS_NOTIFY_WINDOW, 0);
	vmcs_write64(VMCS_VMCS_LINK_POINTER, VMCS_LINK_POINTER_NONE);

	/*
	 * The guest owns the CR0/CR4 bits it may set to any value; writes
	 * that change the others exit, and it reads those from the shadows.
	 */
	vmx->cr0_mask = vmx_cr_fixed_bits(&vmx_caps.guest_cr0) |
			VHV_CR0_CD | VHV_CR0_NW;
	/*
	 * OSXSAVE too: set without an exit, the guest would run XGETBV and
	 * XSAVE with the host's XCR0 (switch.c loads the guest's only when
	 * the CR4 at entry has it) until its first XSETBV.
	 */
	vmx->cr4_mask = vmx_cr_fixed_bits(&vmx_caps.cr4) | ~vhv_limits.cr4_valid |
			X86_CR4_MCE | VHV_CR4_OSXSAVE;
	vmcs_writenat(VMCS_CR0_GUEST_HOST_MASK, vmx->cr0_mask);
	vmcs_writenat(VMCS_CR4_GUEST_HOST_MASK, vmx->cr4_mask);

	/* The host as every VM exit finds it (the per-CPU rest: vmx_load_vmcs). */
	vmcs_writenat(VMCS_HOST_CR0, read_cr0());
	vmx->host_cr3 = __get_current_cr3_fast();
	vmcs_writenat(VMCS_HOST_CR3, vmx->host_cr3);
	vmx->host_cr4 = cr4_read_shadow();
	vmcs_writenat(VMCS_HOST_CR4, vmx->host_cr4);
	vmcs_write16(VMCS_HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write16(VMCS_HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write16(VMCS_HOST_DS_SELECTOR, 0);
	vmcs_write16(VMCS_HOST_ES_SELECTOR, 0);
	vmcs_write16(VMCS_HOST_FS_SELECTOR, 0);
	vmcs_write16(VMCS_HOST_GS_SELECTOR, 0);
	vmcs_write16(VMCS_HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	store_idt(&idt);
	vmcs_writenat(VMCS_HOST_IDTR_BASE, idt.address);
	rdmsrl(MSR_IA32_SYSENTER_CS, v);
	vmcs_write32(VMCS_HOST_SYSENTER_CS, v);
	rdmsrl(MSR_IA32_SYSENTER_EIP, v);
	vmcs_writenat(VMCS_HOST_SYSENTER_EIP, v);
	rdmsrl(MSR_EFER, v);
	vmcs_write64(VMCS_HOST_IA32_EFER, v);
	rdmsrl(MSR_IA32_CR_PAT, v);
	vmcs_write64(VMCS_HOST_IA32_PAT, v);
	vmcs_writenat(VMCS_HOST_RIP, (unsigned long)vmx_vmexit);

	vmcs_write32(VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_ACTIVE);
	vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vmcs_writenat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_writenat(VMCS_GUEST_DR7, 0x400);
	vmcs_write64(VMCS_GUEST_IA32_DEBUGCTL, 0);
	vmcs_write64(VMCS_GUEST_IA32_PAT, DEFAULT_PAT);
	vmcs_write32(VMCS_GUEST_SYSENTER_CS, 0);
	vmcs_writenat(VMCS_GUEST_SYSENTER_ESP, 0);
	vmcs_writenat(VMCS_GUEST_SYSENTER_EIP, 0);
	vmx->dr6 = 0xffff0ff0;
	vmx_vmcs_has_reload(vmx);
}

static int vmx_vcpu_create(struct vhv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->vmcs = alloc_vmx_region(NUMA_NO_NODE, GFP_KERNEL_ACCOUNT);
	if (!vmx->vmcs)
		return -ENOMEM;
	vmx->vmcs_pa = __pa(vmx->vmcs);
	vmx->vmcs_cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_link);
	atomic_long_inc(&vhv_stats.pages);
	BUILD_BUG_ON(offsetof(struct vmx_msr_switch, host) % 16 ||
		     sizeof(struct vmx_msr_switch) > PAGE_SIZE);
	vmx->msr_switch = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vmx->msr_switch) {
		free_page((unsigned long)vmx->vmcs);
		atomic_long_dec(&vhv_stats.pages);
		return -ENOMEM;
	}
	atomic_long_inc(&vhv_stats.pages);
	vmx->vpid = alloc_vpid();
	vmx_warn_l1tf_smt();
	vmx_vmcs_get(vmx);
	init_vmcs(vmx);
	vmx_vmcs_put(vmx);
	return 0;
}

static void vmx_vcpu_free(struct vhv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	/* No CPU may keep it cached, nor write it back later, once freed. */
	vmx_clear_vmcs(vmx);
	free_vpid(vmx->vpid);
	free_page((unsigned long)vmx->vmcs);
	free_page((unsigned long)vmx->msr_switch);
	atomic_long_sub(2, &vhv_stats.pages);
}

static u8 vmx_get_cr8(struct vhv_vcpu *vcpu)
{
	return to_vmx(vcpu)->cr8;
}

const struct vhv_vendor_ops vmx_vendor_ops = {
	.name = "vmx",
	.vendor = VHV_VENDOR_VMX,
	.vcpu_size = sizeof(struct vmx_vcpu),
	.pte_format = &vmx_ept_format,
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
	.vcpu_run = vmx_vcpu_run,
	.vcpu_load = vmx_vcpu_load,
	.vcpu_put = vmx_vcpu_put,
	.get_cpu_state = vmx_get_cpu_state,
	.get_cr8 = vmx_get_cr8,
	.queue_exception = vmx_queue_exception,
	.single_step = vmx_single_step,
	.interrupt_allowed = vmx_interrupt_allowed,
	.clear_events = vmx_clear_events,
	.event_in_flight = vmx_event_in_flight,
	.get_events = vmx_get_events,
	.set_events = vmx_set_events,
};
