/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The checks the CPU makes on a MOV to a control register, for the
 * backends that emulate one (portable).
 */
#ifndef VHV_X86_CR_H
#define VHV_X86_CR_H

#include "../portable.h"

/* MOV to CR3 with CR4.PCIDE: keep the new PCID's TLB entries; not stored. */
#define VHV_CR3_PCID_NOFLUSH	VHV_BIT(63)

/*
 * A MOV to CR3 of val (cut to 32 bits by the caller outside 64-bit mode),
 * with the guest's CR4 and EFER and MAXPHYADDR phys_bits: 0 with *cr3 the
 * value CR3 takes and *noflush whether the MOV leaves the TLB alone, or
 * -EINVAL for the #GP the CPU raises.
 */
int vhv_mov_to_cr3(u64 val, u64 cr4, u64 efer, u8 phys_bits, u64 *cr3,
		   bool *noflush);

#endif /* VHV_X86_CR_H */
