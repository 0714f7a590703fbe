/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 architectural register bits (AMD APM vol. 2, Intel SDM vol. 3), under
 * vhv's own names so that portable code needs no kernel headers.
 */
#ifndef VHV_X86_ARCH_BITS_H
#define VHV_X86_ARCH_BITS_H

#include "../portable.h"

#define VHV_CR0_PE		VHV_BIT(0)
#define VHV_CR0_MP		VHV_BIT(1)
#define VHV_CR0_EM		VHV_BIT(2)
#define VHV_CR0_TS		VHV_BIT(3)
#define VHV_CR0_ET		VHV_BIT(4)
#define VHV_CR0_NE		VHV_BIT(5)
#define VHV_CR0_WP		VHV_BIT(16)
#define VHV_CR0_AM		VHV_BIT(18)
#define VHV_CR0_NW		VHV_BIT(29)
#define VHV_CR0_CD		VHV_BIT(30)
#define VHV_CR0_PG		VHV_BIT(31)
#define VHV_CR0_DEFINED	(VHV_CR0_PE | VHV_CR0_MP | VHV_CR0_EM | VHV_CR0_TS | VHV_CR0_ET | VHV_CR0_NE | \
			 VHV_CR0_WP | VHV_CR0_AM | VHV_CR0_NW | VHV_CR0_CD | VHV_CR0_PG)

#define VHV_CR4_VME		VHV_BIT(0)
#define VHV_CR4_PVI		VHV_BIT(1)
#define VHV_CR4_TSD		VHV_BIT(2)
#define VHV_CR4_DE		VHV_BIT(3)
#define VHV_CR4_PSE		VHV_BIT(4)
#define VHV_CR4_PAE		VHV_BIT(5)
#define VHV_CR4_MCE		VHV_BIT(6)
#define VHV_CR4_PGE		VHV_BIT(7)
#define VHV_CR4_PCE		VHV_BIT(8)
#define VHV_CR4_OSFXSR	VHV_BIT(9)
#define VHV_CR4_OSXMMEXCPT	VHV_BIT(10)
#define VHV_CR4_UMIP	VHV_BIT(11)
#define VHV_CR4_LA57	VHV_BIT(12)
#define VHV_CR4_VMXE	VHV_BIT(13)
#define VHV_CR4_FSGSBASE	VHV_BIT(16)
#define VHV_CR4_PCIDE	VHV_BIT(17)
#define VHV_CR4_OSXSAVE	VHV_BIT(18)
#define VHV_CR4_SMEP	VHV_BIT(20)
#define VHV_CR4_SMAP	VHV_BIT(21)
#define VHV_CR4_PKE		VHV_BIT(22)
/* Always offered: the architecture has had them since the Pentium. */
#define VHV_CR4_BASELINE	(VHV_CR4_VME | VHV_CR4_PVI | VHV_CR4_TSD | VHV_CR4_DE | VHV_CR4_PSE | \
			 VHV_CR4_PAE | VHV_CR4_MCE | VHV_CR4_PGE | VHV_CR4_PCE | VHV_CR4_OSFXSR | \
			 VHV_CR4_OSXMMEXCPT)

#define VHV_EFER_SCE	VHV_BIT(0)
#define VHV_EFER_LME	VHV_BIT(8)
#define VHV_EFER_LMA	VHV_BIT(10)
#define VHV_EFER_NXE	VHV_BIT(11)

#define VHV_RFLAGS_FIXED1	VHV_BIT(1)
/* Bits 3, 5, 15 and 22..63 are reserved and must be zero. */
#define VHV_RFLAGS_RESERVED	(VHV_BIT(3) | VHV_BIT(5) | VHV_BIT(15) | (~0ull << 22))

#define VHV_APIC_BASE_BSP	VHV_BIT(8)
#define VHV_APIC_BASE_EXTD	VHV_BIT(10)
#define VHV_APIC_BASE_EN	VHV_BIT(11)

#endif /* VHV_X86_ARCH_BITS_H */
