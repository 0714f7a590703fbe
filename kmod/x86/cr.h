/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The checks the CPU makes on a MOV to a control register, for the
 * backends that emulate one (portable).
 */
#ifndef VHV_X86_CR_H
#define VHV_X86_CR_H

#include "../portable.h"

/*
 * Whether the CPU takes a MOV to CR0 of cr0 over old, with the guest's CR4
 * and EFER, mode64 when it runs in 64-bit mode (CS.L in IA-32e mode); the
 * caller cuts cr0 to 32 bits outside 64-bit mode.  false: #GP.
 */
bool vhv_mov_to_cr0_ok(u64 old, u64 cr0, u64 cr4, u64 efer, bool mode64);

/*
 * The same for a MOV to CR4 of cr4 over old, with the guest's CR3 and EFER
 * and cr4_valid, the bits vhv lets a guest set.
 */
bool vhv_mov_to_cr4_ok(u64 old, u64 cr4, u64 cr3, u64 efer, u64 cr4_valid);

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
