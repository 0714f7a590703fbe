// SPDX-License-Identifier: GPL-2.0
/*
 * MOV to control registers as the CPU checks them (Intel SDM vol. 2B
 * "MOV - Move to/from Control Registers", vol. 3A 4.10.4.1).
 */
#include "cr.h"
#include "arch_bits.h"

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
