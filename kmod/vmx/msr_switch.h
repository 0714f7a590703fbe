/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VM-entry and VM-exit MSR-load lists (SDM vol. 3C 25.7.2, 25.8.2):
 * MSRs the CPU loads with the guest's value at entry and with the host's
 * at exit.  vhv fills them before each entry with what host perf asks to
 * switch (perf_guest_get_msrs(): IA32_PERF_GLOBAL_CTRL without the
 * host-only counters, PEBS off), only where the two values differ, so
 * that with no perf event the lists stay empty and cost nothing.
 * Portable: also built into the unit tests.
 */
#ifndef VHV_VMX_MSR_SWITCH_H
#define VHV_VMX_MSR_SWITCH_H

#include "../portable.h"

/*
 * perf asks for at most 4 (GLOBAL_CTRL, PEBS_ENABLE, DS_AREA,
 * PEBS_DATA_CFG); a CPU takes at least 512 (IA32_VMX_MISC[27:25]).
 */
#define VMX_MSR_SWITCH_MAX	8

/* One entry of a list, as the CPU reads it: 16 bytes, 16-byte aligned. */
struct vmx_msr_entry {
	u32 index;
	u32 reserved;
	u64 value;
};

/* Both lists, in one page of their own (physically contiguous). */
struct vmx_msr_switch {
	struct vmx_msr_entry guest[VMX_MSR_SWITCH_MAX];	/* loaded at entry */
	struct vmx_msr_entry host[VMX_MSR_SWITCH_MAX];	/* loaded at exit */
	u32 nr;			/* entries used in each list */
};

static inline void vmx_msr_switch_reset(struct vmx_msr_switch *s)
{
	s->nr = 0;
}

/*
 * Adds an MSR to both lists, or updates its entry; nothing where the
 * values are equal (the MSR keeps its value across entry and exit).
 * -ENOSPC when the lists are full: the caller must not enter then.
 */
static inline int vmx_msr_switch_add(struct vmx_msr_switch *s, u32 index,
				     u64 guest, u64 host)
{
	u32 i;

	for (i = 0; i < s->nr; i++)
		if (s->guest[i].index == index)
			break;
	if (i == s->nr) {
		if (guest == host)
			return 0;
		if (s->nr == VMX_MSR_SWITCH_MAX)
			return -ENOSPC;
		s->nr++;
	}
	s->guest[i] = (struct vmx_msr_entry){ .index = index, .value = guest };
	s->host[i] = (struct vmx_msr_entry){ .index = index, .value = host };
	return 0;
}

#endif /* VHV_VMX_MSR_SWITCH_H */
