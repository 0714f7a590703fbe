/* SPDX-License-Identifier: GPL-2.0 */
/*
 * DR6 as a debug exception leaves it (SDM vol. 3B 17.2.3, APM vol. 2
 * 13.1.1.3), for the #DBs vhv records itself.  Portable.
 */
#ifndef VHV_X86_DR6_H
#define VHV_X86_DR6_H

#include "../portable.h"

#define VHV_DR6_B0_3	0xfull		/* breakpoint conditions met */
#define VHV_DR6_BD	VHV_BIT(13)	/* DR access with DR7.GD set */
#define VHV_DR6_BS	VHV_BIT(14)	/* single step */
#define VHV_DR6_BT	VHV_BIT(15)	/* task switch */
#define VHV_DR6_RTM	VHV_BIT(16)	/* in an RTM region: active low */
/* DR6 with nothing recorded: the reserved bits that read 1, RTM idle. */
#define VHV_DR6_INIT	0xffff0ff0ull

/*
 * DR6 after a #DB for the conditions in bits, given as VT-x's pending
 * debug exceptions field and #DB exit qualification give them: B0-B3, BD,
 * BS, and RTM active high (other bits are not DR6's: bit 12 there is
 * "enabled breakpoint", reserved and 0 in DR6).  The status bits are
 * sticky: a #DB sets its own and leaves the others, which only software
 * clears.  B0-B3 are the exception: Intel's CPUs "may clear" them at any
 * #DB (SDM 17.2.3; KVM clears them for every #DB it delivers), AMD's never
 * do (APM 13.1.1.3): clear_b0_3 says which CPU this is.
 */
static inline u64 vhv_dr6_after_db(u64 dr6, u64 bits, bool clear_b0_3)
{
	bits &= VHV_DR6_B0_3 | VHV_DR6_BD | VHV_DR6_BS | VHV_DR6_RTM;
	if (clear_b0_3)
		dr6 &= ~VHV_DR6_B0_3;
	dr6 = (dr6 | VHV_DR6_INIT | bits) ^ (bits & VHV_DR6_RTM);
	return dr6 & 0xffffefffull;	/* bit 12 and bits 63:32 read 0 */
}

#endif /* VHV_X86_DR6_H */
