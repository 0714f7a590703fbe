/* SPDX-License-Identifier: GPL-2.0 */
/*
 * x86 instruction decoding for what vhv must emulate: memory-operand forms
 * compilers emit for device access, and the lengths of instructions that
 * exit.  Portable: built into vhv.ko, the unit tests and the fuzzer.
 */
#ifndef VHV_X86_DECODE_H
#define VHV_X86_DECODE_H

#include "../portable.h"

#define VHV_INSN_MAX_LEN	15

/* Code segment modes: default operand and address size. */
#define VHV_MODE_16		2
#define VHV_MODE_32		4
#define VHV_MODE_64		8

/* Segment registers, in the ModRM sreg encoding order. */
#define VHV_SEG_ES		0
#define VHV_SEG_CS		1
#define VHV_SEG_SS		2
#define VHV_SEG_DS		3
#define VHV_SEG_FS		4
#define VHV_SEG_GS		5

/* GPR numbers. */
#define VHV_REG_RAX	0
#define VHV_REG_RCX	1
#define VHV_REG_RDX	2
#define VHV_REG_RBX	3
#define VHV_REG_RSP	4
#define VHV_REG_RBP	5
#define VHV_REG_RSI	6
#define VHV_REG_RDI	7
#define VHV_REG_NONE	0xff

enum vhv_insn_op {
	VHV_OP_MOV_LOAD = 1,	/* reg <- mem */
	VHV_OP_MOV_STORE,	/* mem <- reg */
	VHV_OP_MOV_STORE_IMM,	/* mem <- imm */
	VHV_OP_MOVZX,		/* reg <- zero-extended mem */
	VHV_OP_MOVSX,		/* reg <- sign-extended mem */
	VHV_OP_ALU_MEM_REG,	/* mem <- mem alu reg (flags only for CMP/TEST) */
	VHV_OP_ALU_REG_MEM,	/* reg <- reg alu mem (flags only for CMP) */
	VHV_OP_ALU_MEM_IMM,	/* mem <- mem alu imm (flags only for CMP/TEST) */
	VHV_OP_BT_REG,		/* BT/BTS/BTR/BTC mem, reg */
	VHV_OP_BT_IMM,		/* BT/BTS/BTR/BTC mem, imm8 */
	VHV_OP_XCHG,		/* mem <-> reg */
	VHV_OP_STOS,		/* [rDI] <- rAX, rDI +/-= size */
	VHV_OP_MOVS,		/* [rDI] <- [rSI], both move */
};

/* ALU operations: 0..7 as the group-1 /digit encodes them. */
enum vhv_alu {
	VHV_ALU_ADD, VHV_ALU_OR, VHV_ALU_ADC, VHV_ALU_SBB,
	VHV_ALU_AND, VHV_ALU_SUB, VHV_ALU_XOR, VHV_ALU_CMP,
	VHV_ALU_TEST,
};

/* Bit-test variants, as 0F BA /4../7 order them. */
enum vhv_bt {
	VHV_BT, VHV_BTS, VHV_BTR, VHV_BTC,
};

struct vhv_insn {
	u8 len;			/* bytes, prefixes included */
	u8 op;			/* enum vhv_insn_op */
	u8 sub;			/* enum vhv_alu or enum vhv_bt */
	u8 size;		/* bytes of the memory access */
	u8 dst_size;		/* register destination size (MOVZX/MOVSX) */
	u8 addr_size;		/* 2, 4 or 8 */
	u8 reg;			/* register operand, 0..15 */
	u8 high8;		/* reg names AH/CH/DH/BH */
	u8 seg;			/* segment of the memory operand (VHV_SEG_*) */
	u8 rep;			/* REP/REPE/REPNE prefix present */
	u8 lock;
	u8 rex;
	u64 imm;		/* immediate, extended to size as the CPU does */
};

/*
 * Decodes one memory-accessing instruction that vhv emulates for MMIO.
 * Returns 0, -EINVAL for forms it does not emulate (or invalid encodings),
 * or -ENODATA when the n bytes given end inside the instruction.
 */
int vhv_decode_mmio(const u8 *bytes, unsigned int n, unsigned int mode,
		    struct vhv_insn *insn);

/*
 * Length of an instruction that caused an intercept, for CPUs that do not
 * report the next RIP.  Knows the instructions vhv intercepts (CPUID, HLT,
 * RDMSR, WRMSR, IN/OUT/INS/OUTS, VMMCALL and the other SVM instructions,
 * XSETBV, INVD, WBINVD, RDPMC, MOV DR, MONITOR/MWAIT, RDTSC(P), PAUSE,
 * INT3/INTn/ICEBP, IRET, UD2).  Returns the length or -EINVAL/-ENODATA.
 */
int vhv_insn_length(const u8 *bytes, unsigned int n, unsigned int mode);

/*
 * MOV to CRn (0F 22 /r, REX.R for CR8-15, LOCK for CR8 on AMD): the
 * control register and the source GPR.  Returns the length, or
 * -EINVAL/-ENODATA.
 */
int vhv_decode_mov_to_cr(const u8 *bytes, unsigned int n, unsigned int mode,
			 u8 *cr, u8 *gpr);

/*
 * For INS/OUTS: the address size and the segment of the memory operand
 * (OUTS: DS unless overridden; INS: always ES), from the prefixes.  For
 * CPUs that leave them out of the exit information.  0 or -EINVAL/-ENODATA.
 */
int vhv_decode_string_io(const u8 *bytes, unsigned int n, unsigned int mode,
			 u8 *addr_size, u8 *seg);

#endif /* VHV_X86_DECODE_H */
