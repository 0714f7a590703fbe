/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Executes a decoded memory-operand instruction against the guest's
 * registers, one memory access at a time, so that each MMIO access can go
 * to userspace and the instruction resume where it stopped.  Portable.
 */
#ifndef VHV_X86_EMULATE_H
#define VHV_X86_EMULATE_H

#include "../portable.h"
#include "../../uapi/vhv.h"
#include "decode.h"

#define VHV_RFLAGS_CF	VHV_BIT(0)
#define VHV_RFLAGS_PF	VHV_BIT(2)
#define VHV_RFLAGS_AF	VHV_BIT(4)
#define VHV_RFLAGS_ZF	VHV_BIT(6)
#define VHV_RFLAGS_SF	VHV_BIT(7)
#define VHV_RFLAGS_TF	VHV_BIT(8)
#define VHV_RFLAGS_IF	VHV_BIT(9)
#define VHV_RFLAGS_DF	VHV_BIT(10)
#define VHV_RFLAGS_OF	VHV_BIT(11)
#define VHV_RFLAGS_ARITH (VHV_RFLAGS_CF | VHV_RFLAGS_PF | VHV_RFLAGS_AF | \
			  VHV_RFLAGS_ZF | VHV_RFLAGS_SF | VHV_RFLAGS_OF)

/* One memory access the instruction needs. */
struct vhv_mem_access {
	u64 gpa;
	u64 data;	/* write: the value; read: filled by the caller */
	u8 size;
	u8 write;
};

struct vhv_emul {
	struct vhv_insn insn;
	u64 gpa;	/* the memory operand (MOVS: its destination) */
	u64 src_gpa;	/* MOVS: the source */
	u8 stage;
	u64 value;
};

enum vhv_emul_result {
	VHV_EMUL_ACCESS,	/* perform *acc, then step again */
	VHV_EMUL_DONE,		/* completed: RIP moves past the instruction */
	VHV_EMUL_REPEAT,	/* one REP iteration done, rCX > 0: RIP stays */
};

int vhv_emul_step(struct vhv_emul *e, struct vhv_regs *regs,
		  struct vhv_mem_access *acc);

/* Register access by x86 encoding number; size 1 with high8 for AH..BH. */
u64 vhv_reg_get(const struct vhv_regs *regs, unsigned int reg, bool high8,
		unsigned int size);
void vhv_reg_set(struct vhv_regs *regs, unsigned int reg, bool high8,
		 unsigned int size, u64 value);

/* op is enum vhv_alu; updates the arithmetic flags in *rflags. */
u64 vhv_alu(unsigned int op, unsigned int size, u64 dst, u64 src, u64 *rflags);

#endif /* VHV_X86_EMULATE_H */
