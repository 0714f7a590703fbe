// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID: every vCPU answers from its own table, sorted by (function,
 * index).  The default table is the host's, minus what a guest must not
 * see (virtualization, monitoring, power and platform features vhv does not
 * emulate), computed once at module load.
 */
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <asm/processor.h>

#include "vhv.h"
#include "x86/arch_bits.h"

#define XFEATURES_GUEST	(VHV_BIT(0) | VHV_BIT(1) | VHV_BIT(2) | VHV_BIT(5) | \
			 VHV_BIT(6) | VHV_BIT(7))	/* x87 SSE AVX AVX-512 */

static struct vhv_cpuid_entry *default_table;
static u32 default_nent;
static u64 guest_xcr0_mask;

static int cmp_entry(const void *pa, const void *pb)
{
	const struct vhv_cpuid_entry *a = pa, *b = pb;

	if (a->function != b->function)
		return a->function < b->function ? -1 : 1;
	if (a->index != b->index)
		return a->index < b->index ? -1 : 1;
	return 0;
}

static const struct vhv_cpuid_entry *lookup(const struct vhv_cpuid_entry *t,
					    u32 n, u32 function, u32 index)
{
	u32 lo = 0, hi = n;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (t[mid].function < function)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < n && t[lo].function == function; lo++)
		if (!(t[lo].flags & VHV_CPUID_INDEXED) || t[lo].index == index)
			return &t[lo];
	return NULL;
}

static void index_table(struct vhv_vcpu *vcpu)
{
	u32 i, n = vcpu->cpuid_nent, fn;

	BUILD_BUG_ON(VHV_MAX_CPUID_ENTRIES > U16_MAX);
	for (i = 0; i < 32; i++)
		vcpu->cpuid_first[0][i] = vcpu->cpuid_first[1][i] = n;
	/* Backwards: each leaf keeps its first (the table is sorted). */
	for (i = n; i-- > 0;) {
		fn = vcpu->cpuid[i].function;
		if ((fn & ~0x80000000u) < 32)
			vcpu->cpuid_first[fn >> 31][fn & 31] = i;
	}
}

static const struct vhv_cpuid_entry *find(const struct vhv_vcpu *vcpu,
					  u32 function, u32 index)
{
	const struct vhv_cpuid_entry *t = vcpu->cpuid;
	u32 i, n = vcpu->cpuid_nent;

	if ((function & ~0x80000000u) >= 32)
		return lookup(t, n, function, index);
	for (i = vcpu->cpuid_first[function >> 31][function & 31];
	     i < n && t[i].function == function; i++)
		if (!(t[i].flags & VHV_CPUID_INDEXED) || t[i].index == index)
			return &t[i];
	return NULL;
}

/* ---- the default table ---------------------------------------------------- */

static bool indexed_leaf(u32 fn)
{
	switch (fn) {
	case 4: case 7: case 0xb: case 0xd: case 0x1f: case 0x8000001d:
		return true;
	default:
		return false;
	}
}

/* What the guest may see of host leaf fn.index; false drops the leaf. */
static bool filter_leaf(struct vhv_cpuid_entry *e)
{
	switch (e->function) {
	case 1:
		e->ecx &= ~(VHV_BIT(2) | VHV_BIT(3) | VHV_BIT(4) | VHV_BIT(5) |
			    VHV_BIT(6) | VHV_BIT(7) | VHV_BIT(8) | VHV_BIT(14) |
			    VHV_BIT(15) | VHV_BIT(21) | VHV_BIT(24) | VHV_BIT(27));
		e->ecx |= VHV_BIT(31);				/* hypervisor */
		e->edx &= ~(VHV_BIT(21) | VHV_BIT(22) | VHV_BIT(28) |
			    VHV_BIT(29) | VHV_BIT(31));		/* DS ACPI HTT TM PBE */
		e->ebx = (e->ebx & 0xffff) | (1u << 16);	/* one logical CPU */
		return true;
	case 4:
		if (!(e->eax & 0x1f))
			return false;
		e->eax &= 0x3ff;	/* no sharing or core counts from the host */
		return true;
	case 7:
		if (e->index == 1) {
			/*
			 * Only what needs nothing of vhv: AVX-VNNI, AVX512_BF16
			 * and the fast REP MOVSB/STOSB/CMPSB forms.  Not LASS,
			 * FRED, LKGS, LAM (CR4 and CR3 bits and MSRs vhv
			 * refuses or lacks) nor anything new.
			 */
			e->eax &= VHV_BIT(4) | VHV_BIT(5) | VHV_BIT(10) | VHV_BIT(11) |
				  VHV_BIT(12);
			e->ebx = e->ecx = e->edx = 0;
			return true;
		}
		if (e->index == 2) {
			/*
			 * Only MCDT_NO: PSFD, IPRED/RRSBA/BHI_CTRL and DDPD_U are
			 * SPEC_CTRL bits, and vhv's SPEC_CTRL takes IBRS, STIBP
			 * and SSBD alone (a guest told otherwise would #GP on
			 * its every later write).
			 */
			e->edx &= VHV_BIT(5);
			e->eax = e->ebx = e->ecx = 0;
			return true;
		}
		if (e->index != 0)
			return false;
		e->ecx &= ~VHV_BIT(7);		/* CET shadow stacks: no CR4.CET here */
		e->edx &= ~VHV_BIT(20);		/* CET IBT */
		e->ebx &= ~(VHV_BIT(1) | VHV_BIT(2) | VHV_BIT(12) | VHV_BIT(14) |
			    VHV_BIT(15) | VHV_BIT(25));
				/* TSC_ADJUST (no MSR 0x3b here) SGX PQM MPX PQE PT */
		e->ecx &= ~(VHV_BIT(3) | VHV_BIT(4) | VHV_BIT(5) | VHV_BIT(29) |
			    VHV_BIT(30));	/* PKU OSPKE WAITPKG ENQCMD SGX_LC */
		/* TME, Key Locker, bus-lock #DB: MSRs or DEBUGCTL bits vhv lacks */
		e->ecx &= ~(VHV_BIT(13) | VHV_BIT(23) | VHV_BIT(24));
		e->ecx &= ~VHV_BIT(31);		/* PKS: no CR4.PKS here */
		e->edx &= ~(VHV_BIT(15) | VHV_BIT(18) | VHV_BIT(29) |
			    VHV_BIT(30));	/* HYBRID PCONFIG ARCH/CORE_CAPS */
		/*
		 * UINTR, SRBDS_CTRL, RTM_ALWAYS_ABORT, TSX_FORCE_ABORT,
		 * ARCH_LBR, L1D_FLUSH: each an MSR vhv does not have (a stock
		 * guest reads TSX_FORCE_ABORT unchecked where it is shown).
		 */
		e->edx &= ~(VHV_BIT(5) | VHV_BIT(9) | VHV_BIT(11) | VHV_BIT(13) |
			    VHV_BIT(19) | VHV_BIT(28));
		return true;
	case 0xd:
		if (e->index == 0) {
			e->eax &= guest_xcr0_mask;
			e->edx = 0;
		} else if (e->index == 1) {
			e->eax &= VHV_BIT(0) | VHV_BIT(1) | VHV_BIT(2);	/* no XSAVES */
			e->ecx = e->edx = 0;
		} else if (!(guest_xcr0_mask & VHV_BIT(e->index))) {
			return false;
		}
		return true;
	case 0x80000001:
		e->ecx &= ~(VHV_BIT(2) | VHV_BIT(9) | VHV_BIT(10) | VHV_BIT(12) |
			    VHV_BIT(13) | VHV_BIT(15) | VHV_BIT(22) | VHV_BIT(23) |
			    VHV_BIT(24) | VHV_BIT(26) | VHV_BIT(27) | VHV_BIT(28) |
			    VHV_BIT(29));
		return true;
	case 6:
		/* Only ARAT: the emulated LAPIC timer runs in any C-state. */
		e->eax = VHV_BIT(2);
		e->ebx = e->ecx = e->edx = 0;
		return true;
	case 0x80000007:
		e->eax = e->ebx = e->ecx = 0;
		e->edx &= VHV_BIT(8);		/* invariant TSC */
		return true;
	case 0x80000008:
		e->eax = (e->eax & 0xff00) | vhv_limits.phys_bits;
		e->ecx = 0;			/* one core */
		return true;
	case 0: case 2: case 0x80000000: case 0x80000002: case 0x80000003:
	case 0x80000004: case 0x80000005: case 0x80000006:
		return true;
	default:
		/* PMU, RDT, SGX, PT, topology, SVM, IBS, SEV...: not emulated. */
		return false;
	}
}

static int add_host_leaf(struct vhv_cpuid_entry *t, u32 *n, u32 fn, u32 idx)
{
	struct vhv_cpuid_entry e = {
		.function = fn, .index = idx,
		.flags = indexed_leaf(fn) ? VHV_CPUID_INDEXED : 0,
	};

	if (*n >= VHV_MAX_CPUID_ENTRIES)
		return -E2BIG;
	cpuid_count(fn, idx, &e.eax, &e.ebx, &e.ecx, &e.edx);
	if (!(e.flags & VHV_CPUID_INDEXED))
		e.index = 0;
	if (filter_leaf(&e)) {
		vhv_cpuid_hide_cr4_features(&e, &vhv_limits);
		t[(*n)++] = e;
	}
	return 0;
}

static int add_host_range(struct vhv_cpuid_entry *t, u32 *n, u32 first, u32 cap)
{
	u32 fn, idx, last = min(cpuid_eax(first), cap);
	int r = 0;

	for (fn = first; fn <= last && !r; fn++) {
		u32 subleaves = fn == 0xd ? 64 : indexed_leaf(fn) ? 8 : 1;

		for (idx = 0; idx < subleaves && !r; idx++)
			r = add_host_leaf(t, n, fn, idx);
	}
	return r;
}

/*
 * What a guest may put in XCR0: what the CPU has, vhv supports, and the
 * host enabled (the host's FPU code saves only that state between
 * tasks, so anything more would leak from one guest to the next).
 */
u64 vhv_guest_xcr0_mask(void)
{
	return guest_xcr0_mask;
}

int vhv_cpuid_setup(void)
{
	struct vhv_cpuid_entry *t;
	u32 n = 0, i;
	int r;

	guest_xcr0_mask = 0;
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		guest_xcr0_mask = XFEATURES_GUEST & vhv_host_xcr0 &
				  (((u64)cpuid_edx(0xd) << 32) | cpuid_eax(0xd));
	t = kcalloc(VHV_MAX_CPUID_ENTRIES, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	r = add_host_range(t, &n, 0, 0x1f);
	if (!r)
		r = add_host_range(t, &n, 0x80000000, 0x80000021);
	if (!r && n < VHV_MAX_CPUID_ENTRIES) {
		/* The hypervisor leaf: "vhvvhvvhvvhv". */
		t[n++] = (struct vhv_cpuid_entry) {
			.function = 0x40000000, .eax = 0x40000000,
			.ebx = 0x76687676, .ecx = 0x76766876, .edx = 0x76687676,
		};
	}
	/* The paravirtual clock's two leaves (pvclock.c). */
	if (!r && vhv_pvclock_available() && n + 2 <= VHV_MAX_CPUID_ENTRIES) {
		vhv_pvclock_cpuid(&t[n], &t[n + 1]);
		n += 2;
	}
	if (r) {
		kfree(t);
		return r;
	}
	/* Leaves 0 and 0x80000000 name the last leaf that exists. */
	for (i = 0; i < n; i++)
		if (t[i].function == 0 || t[i].function == 0x80000000)
			t[i].eax = min(t[i].eax, t[i].function ? 0x80000021u : 0x1fu);
	sort(t, n, sizeof(*t), cmp_entry, NULL);
	default_table = t;
	default_nent = n;
	return 0;
}

void vhv_cpuid_cleanup(void)
{
	kfree(default_table);
	default_table = NULL;
}

int vhv_cpuid_init_vcpu(struct vhv_vcpu *vcpu)
{
	struct vhv_cpuid_entry *e;

	vcpu->cpuid = kmemdup(default_table, default_nent * sizeof(*default_table),
			      GFP_KERNEL_ACCOUNT);
	if (!vcpu->cpuid)
		return -ENOMEM;
	vcpu->cpuid_nent = default_nent;
	index_table(vcpu);
	e = (struct vhv_cpuid_entry *)lookup(vcpu->cpuid, vcpu->cpuid_nent, 1, 0);
	if (e)
		e->ebx = (e->ebx & 0x00ffffff) | (vcpu->id << 24);	/* APIC id */
	/* The in-kernel LAPIC has x2APIC mode and the TSC-deadline timer. */
	if (e && READ_ONCE(vcpu->vm->irqchip))
		e->ecx |= VHV_BIT(21) | VHV_BIT(24);
	return 0;
}

void vhv_cpuid_free_vcpu(struct vhv_vcpu *vcpu)
{
	/* VHV_SET_CPUID's table may be vmalloc()ed (kvmalloc_array()). */
	kvfree(vcpu->cpuid);
	vcpu->cpuid = NULL;
}

/* ---- ioctls ------------------------------------------------------------------- */

static int check_table(struct vhv_cpuid_entry *t, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		if (t[i].pad || (t[i].flags & ~VHV_CPUID_INDEXED) ||
		    (!(t[i].flags & VHV_CPUID_INDEXED) && t[i].index))
			return -EINVAL;
	sort(t, n, sizeof(*t), cmp_entry, NULL);
	for (i = 1; i < n; i++)
		if (t[i].function == t[i - 1].function &&
		    (!(t[i].flags & VHV_CPUID_INDEXED) ||
		     !(t[i - 1].flags & VHV_CPUID_INDEXED) ||
		     t[i].index == t[i - 1].index))
			return -EINVAL;
	return 0;
}

int vhv_set_cpuid(struct vhv_vcpu *vcpu, void __user *argp)
{
	struct vhv_cpuid c;
	struct vhv_cpuid_entry *t;
	int r;

	if (copy_from_user(&c, argp, sizeof(c)))
		return -EFAULT;
	if (c.pad)
		return -EINVAL;
	if (c.nent > VHV_MAX_CPUID_ENTRIES)
		return -E2BIG;
	t = kvmalloc_array(c.nent ? c.nent : 1, sizeof(*t), GFP_KERNEL_ACCOUNT);
	if (!t)
		return -ENOMEM;
	if (copy_from_user(t, u64_to_user_ptr(c.entries), c.nent * sizeof(*t))) {
		kvfree(t);
		return -EFAULT;
	}
	r = check_table(t, c.nent);
	if (r) {
		kvfree(t);
		return r;
	}
	kvfree(vcpu->cpuid);
	vcpu->cpuid = t;
	vcpu->cpuid_nent = c.nent;
	index_table(vcpu);
	return 0;
}

int vhv_get_cpuid(struct vhv_vcpu *vcpu, void __user *argp)
{
	struct vhv_cpuid c;
	u32 want;

	if (copy_from_user(&c, argp, sizeof(c)))
		return -EFAULT;
	if (c.pad)
		return -EINVAL;
	want = c.nent;
	c.nent = vcpu->cpuid_nent;
	if (copy_to_user(argp, &c, sizeof(c)))
		return -EFAULT;
	if (want < vcpu->cpuid_nent)
		return -E2BIG;
	if (copy_to_user(u64_to_user_ptr(c.entries), vcpu->cpuid,
			 vcpu->cpuid_nent * sizeof(*vcpu->cpuid)))
		return -EFAULT;
	return 0;
}

/* ---- the CPUID exit -------------------------------------------------------------- */

/* XSAVE area size (standard format) for the components in xcr0. */
static u32 xsave_size(u64 xcr0)
{
	u32 size = 512 + 64, i, eax, ebx, ecx, edx;

	for (i = 2; i < 64; i++) {
		if (!(xcr0 & VHV_BIT(i)))
			continue;
		cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx);
		size = max(size, eax + ebx);
	}
	return size;
}

/*
 * The bits that follow the guest's CR4 and XCR0 (leaves 1, 7 and 0xd).
 * Out of line: the whole sregs it reads would otherwise be cleared on the
 * stack (the kernel's stack auto-initialization) at every CPUID exit.
 */
static noinline void cpuid_dynamic(struct vhv_vcpu *vcpu, u32 fn, u32 idx,
				   bool found)
{
	struct vhv_sregs s;

	vhv_ops->get_sregs(vcpu, &s);
	if (fn == 1 && (s.cr4 & VHV_CR4_OSXSAVE))
		vcpu->regs.rcx |= VHV_BIT(27);
	if (fn == 7 && idx == 0 && (s.cr4 & VHV_CR4_PKE))
		vcpu->regs.rcx |= VHV_BIT(4);
	if (fn == 0xd && found)
		vcpu->regs.rbx = xsave_size(vcpu->xcr0);
}

int vhv_emulate_cpuid(struct vhv_vcpu *vcpu)
{
	u32 fn = vcpu->regs.rax, idx = vcpu->regs.rcx;
	const struct vhv_cpuid_entry *e = find(vcpu, fn, idx);

	vhv_count(vcpu, VHV_STAT_CPUID);
	/* Straight into the registers: no locals whose address is taken. */
	vcpu->regs.rax = e ? e->eax : 0;
	vcpu->regs.rbx = e ? e->ebx : 0;
	vcpu->regs.rcx = e ? e->ecx : 0;
	vcpu->regs.rdx = e ? e->edx : 0;
	if (fn == 1 || (fn == 0xd && idx <= 1) || fn == 7)
		cpuid_dynamic(vcpu, fn, idx, e);
	return 1;
}
