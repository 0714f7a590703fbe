/* SPDX-License-Identifier: GPL-2.0 */
/* Validation of userspace-supplied vCPU register state (portable). */
#ifndef VHV_X86_STATE_CHECK_H
#define VHV_X86_STATE_CHECK_H

#include "../portable.h"
#include "../../uapi/vhv.h"

/* What this host lets a guest set; filled once at module load. */
struct vhv_cpu_limits {
	u64 cr4_valid;
	u64 efer_valid;
	u8 phys_bits;
};

int vhv_check_regs(struct vhv_regs *regs);
/* Each field on its own, as VHV_SET_SREGS promises: 0 or -EINVAL. */
int vhv_check_sregs(const struct vhv_sregs *s, const struct vhv_cpu_limits *lim);
/* A value IA32_APIC_BASE can hold: no reserved bit, no x2APIC without enable. */
bool vhv_apic_base_ok(u64 apic_base, const struct vhv_cpu_limits *lim);

/*
 * Hides the CPUID features whose CR4 bit lim does not let a guest set
 * (PCID, FSGSBASE, SMEP, SMAP, UMIP, LA57, XSAVE): the host kernel clears
 * them for its own boot options (nopcid, no5lvl, ...) while the raw leaf
 * still shows them, and a guest told it has a feature sets its CR4 bit.
 */
void vhv_cpuid_hide_cr4_features(struct vhv_cpuid_entry *e,
				 const struct vhv_cpu_limits *lim);

/*
 * Canonical for the MSRs that hold addresses (bases, syscall targets):
 * against the linear-address width a guest can have, 57 bits where it may
 * use 5-level paging, else 48.
 */
bool vhv_addr_canonical(u64 v, const struct vhv_cpu_limits *lim);

/*
 * The combinations the CPU checks at entry: VHV_ENTRY_STATE_OK, or the
 * VHV_ENTRY_CHECK_* that fails first.
 */
#define VHV_ENTRY_STATE_OK	0xffffffffu
u32 vhv_check_entry_state(u64 cr0, u64 cr4, u64 efer, bool cs_l, bool cs_db);

#endif /* VHV_X86_STATE_CHECK_H */
