// SPDX-License-Identifier: GPL-2.0
/*
 * MOV to control registers as the CPU checks them (Intel SDM vol. 2B
 * "MOV - Move to/from Control Registers", vol. 3A 4.10.4.1).
 */
#include "cr.h"
#include "arch_bits.h"

bool vhv_mov_to_cr0_ok(u64 old, u64 cr0, u64 cr4, u64 efer, bool mode64)
{
	bool pg_on = !(old & VHV_CR0_PG) && (cr0 & VHV_CR0_PG);
	bool pg_off = (old & VHV_CR0_PG) && !(cr0 & VHV_CR0_PG);

	if ((cr0 >> 32) || ((cr0 & VHV_CR0_PG) && !(cr0 & VHV_CR0_PE)) ||
	    ((cr0 & VHV_CR0_NW) && !(cr0 & VHV_CR0_CD)))
		return false;
	/* Paging on with EFER.LME set is IA-32e mode, which needs PAE. */
	if (pg_on && (efer & VHV_EFER_LME) && !(cr4 & VHV_CR4_PAE))
		return false;
	/*
	 * Paging off: only compatibility mode leaves long mode, and never
	 * with PCIDs in use (nor may VM entry leave PCIDE set outside it).
	 */
	return !(pg_off && (mode64 || (cr4 & VHV_CR4_PCIDE)));
}

bool vhv_mov_to_cr4_ok(u64 old, u64 cr4, u64 cr3, u64 efer, u64 cr4_valid)
{
	bool lma = efer & VHV_EFER_LMA;

	if (cr4 & ~cr4_valid)
		return false;
	if (lma && !(cr4 & VHV_CR4_PAE))
		return false;
	/* PCIDs only in IA-32e mode, from PCID 0. */
	if ((cr4 & VHV_CR4_PCIDE) && !(old & VHV_CR4_PCIDE) &&
	    (!lma || (cr3 & 0xfff)))
		return false;
	/* The paging depth cannot change under IA-32e code. */
	return !(lma && ((old ^ cr4) & VHV_CR4_LA57));
}

/*
 * With CR4.PCIDE (set only in IA-32e mode), bit 63 of the operand is no
 * part of CR3: it asks the MOV to keep the TLB entries of the new PCID,
 * and Linux sets it on each switch to a PCID whose entries are current.
 * Without PCIDE it is reserved like bits 62:MAXPHYADDR, LAM's 62 and 61
 * among them: vhv offers no LAM (cpuid.c hides it, CR4.LAM is refused).
 * Outside long mode the operand has 32 bits, below the MAXPHYADDR of any
 * 64-bit CPU; VM entry refuses a CR3 past MAXPHYADDR in any mode.
 */
int vhv_mov_to_cr3(u64 val, u64 cr4, u64 efer, u8 phys_bits, u64 *cr3,
		   bool *noflush)
{
	bool keep = (efer & VHV_EFER_LMA) && (cr4 & VHV_CR4_PCIDE) &&
		    (val & VHV_CR3_PCID_NOFLUSH);

	if (keep)
		val &= ~VHV_CR3_PCID_NOFLUSH;
	if (phys_bits < 64 && (val >> phys_bits))
		return -EINVAL;
	*cr3 = val;
	*noflush = keep;
	return 0;
}
