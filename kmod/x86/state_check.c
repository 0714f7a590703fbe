// SPDX-License-Identifier: GPL-2.0
/*
 * Checks of register state handed in by VHV_SET_REGS / VHV_SET_SREGS, done
 * once at the ioctl boundary so that vendor code can load it into a VMCB or
 * VMCS without re-checking.  Portable: also built into the unit tests.
 */
#include "state_check.h"
#include "arch_bits.h"

int vhv_check_regs(struct vhv_regs *regs)
{
	if (regs->rflags & VHV_RFLAGS_RESERVED)
		return -EINVAL;
	regs->rflags |= VHV_RFLAGS_FIXED1;
	return 0;
}

static bool segment_ok(const struct vhv_segment *seg)
{
	return seg->type <= 15 && seg->dpl <= 3 && seg->present <= 1 &&
	       seg->db <= 1 && seg->s <= 1 && seg->l <= 1 && seg->g <= 1 &&
	       seg->avl <= 1 && seg->unusable <= 1 && seg->pad == 0;
}

static bool dtable_ok(const struct vhv_dtable *dt)
{
	return !dt->pad[0] && !dt->pad[1] && !dt->pad[2];
}

static bool reserved_clear(const struct vhv_sregs *s)
{
	unsigned int i;

	for (i = 0; i < sizeof(s->reserved) / sizeof(s->reserved[0]); i++)
		if (s->reserved[i])
			return false;
	return true;
}

static bool layout_ok(const struct vhv_sregs *s)
{
	return segment_ok(&s->cs) && segment_ok(&s->ds) &&
	       segment_ok(&s->es) && segment_ok(&s->fs) &&
	       segment_ok(&s->gs) && segment_ok(&s->ss) &&
	       segment_ok(&s->tr) && segment_ok(&s->ldt) &&
	       dtable_ok(&s->gdt) && dtable_ok(&s->idt) && reserved_clear(s);
}

static bool control_regs_ok(const struct vhv_sregs *s,
			    const struct vhv_cpu_limits *lim)
{
	u64 phys_mask = ~0ull << lim->phys_bits;

	if (s->cr0 & ~VHV_CR0_DEFINED)
		return false;
	if (s->cr4 & ~lim->cr4_valid)
		return false;
	if (s->efer & ~lim->efer_valid)
		return false;
	if (s->cr8 > 15)
		return false;
	return !(s->cr3 & phys_mask);
}

bool vhv_apic_base_ok(u64 apic_base, const struct vhv_cpu_limits *lim)
{
	u64 valid = VHV_APIC_BASE_BSP | VHV_APIC_BASE_EXTD | VHV_APIC_BASE_EN |
		    ((~0ull << 12) & ~(~0ull << lim->phys_bits));

	if (apic_base & ~valid)
		return false;
	/* x2APIC mode without the APIC enabled: WRMSR itself would #GP. */
	return !((apic_base & VHV_APIC_BASE_EXTD) && !(apic_base & VHV_APIC_BASE_EN));
}

int vhv_check_sregs(const struct vhv_sregs *s, const struct vhv_cpu_limits *lim)
{
	if (!layout_ok(s) || !control_regs_ok(s, lim) ||
	    !vhv_apic_base_ok(s->apic_base, lim))
		return -EINVAL;
	return 0;
}

u32 vhv_check_entry_state(u64 cr0, u64 cr4, u64 efer, bool cs_l, bool cs_db)
{
	bool lma = efer & VHV_EFER_LMA;

	if ((cr0 & VHV_CR0_NW) && !(cr0 & VHV_CR0_CD))
		return VHV_ENTRY_CHECK_CR0_NW_WITHOUT_CD;
	if ((cr0 & VHV_CR0_PG) && !(cr0 & VHV_CR0_PE))
		return VHV_ENTRY_CHECK_CR0_PG_WITHOUT_PE;
	/* EFER.LMA is an output of the CPU: it must match LME && PG. */
	if (lma != ((efer & VHV_EFER_LME) && (cr0 & VHV_CR0_PG)))
		return VHV_ENTRY_CHECK_EFER_LMA;
	if (lma && !(cr4 & VHV_CR4_PAE))
		return VHV_ENTRY_CHECK_LONG_MODE_WITHOUT_PAE;
	if (lma && cs_l && cs_db)
		return VHV_ENTRY_CHECK_LONG_MODE_CS_L_AND_D;
	if (!lma && (cr4 & VHV_CR4_PCIDE))
		return VHV_ENTRY_CHECK_PCIDE_OUTSIDE_LONG_MODE;
	return VHV_ENTRY_STATE_OK;
}

void vhv_cpuid_hide_cr4_features(struct vhv_cpuid_entry *e,
				 const struct vhv_cpu_limits *lim)
{
	static const struct {
		u32 function, index;
		u8 reg;			/* 1 ebx, 2 ecx */
		u8 bit;
		u64 cr4;
	} pairs[] = {
		{ 1, 0, 2, 17, VHV_CR4_PCIDE },
		{ 1, 0, 2, 26, VHV_CR4_OSXSAVE },	/* XSAVE */
		{ 7, 0, 1, 0, VHV_CR4_FSGSBASE },
		{ 7, 0, 1, 7, VHV_CR4_SMEP },
		{ 7, 0, 1, 20, VHV_CR4_SMAP },
		{ 7, 0, 2, 2, VHV_CR4_UMIP },
		{ 7, 0, 2, 16, VHV_CR4_LA57 },
	};
	unsigned int i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		if (e->function != pairs[i].function || e->index != pairs[i].index ||
		    (lim->cr4_valid & pairs[i].cr4))
			continue;
		if (pairs[i].reg == 1)
			e->ebx &= ~(1u << pairs[i].bit);
		else
			e->ecx &= ~(1u << pairs[i].bit);
	}
}

bool vhv_addr_canonical(u64 v, const struct vhv_cpu_limits *lim)
{
	unsigned int shift = lim->cr4_valid & VHV_CR4_LA57 ? 64 - 57 : 64 - 48;

	return (u64)((s64)(v << shift) >> shift) == v;
}
