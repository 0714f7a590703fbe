// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO instruction emulation: a small state machine over the decoded
 * instruction (stage 0: start, 1: read done, 2: write done), and the x86
 * arithmetic-flag rules it needs.  Portable.
 */
#include "emulate.h"

static u64 *gpr(struct vhv_regs *regs, unsigned int reg)
{
	/* struct vhv_regs keeps ABI order; x86 numbers rAX rCX rDX rBX ... */
	static const unsigned char slot[16] = {
		0, 2, 3, 1, 6, 7, 4, 5, 8, 9, 10, 11, 12, 13, 14, 15,
	};

	return &((u64 *)regs)[slot[reg & 15]];
}

static u64 mask_of(unsigned int size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static u64 sign_extend(u64 v, unsigned int size)
{
	unsigned int shift = 64 - 8 * size;

	return (u64)((s64)(v << shift) >> shift);
}

u64 vhv_reg_get(const struct vhv_regs *regs, unsigned int reg, bool high8,
		unsigned int size)
{
	u64 v = *gpr((struct vhv_regs *)regs, reg);

	return high8 ? (v >> 8) & 0xff : v & mask_of(size);
}

void vhv_reg_set(struct vhv_regs *regs, unsigned int reg, bool high8,
		 unsigned int size, u64 value)
{
	u64 *r = gpr(regs, reg);

	if (high8)
		*r = (*r & ~0xff00ull) | ((value & 0xff) << 8);
	else if (size == 4)		/* 32-bit writes zero the upper half */
		*r = value & 0xffffffffull;
	else
		*r = (*r & ~mask_of(size)) | (value & mask_of(size));
}

static bool parity_even(u64 v)
{
	u8 b = v & 0xff;

	b ^= b >> 4;
	b ^= b >> 2;
	b ^= b >> 1;
	return !(b & 1);
}

u64 vhv_alu(unsigned int op, unsigned int size, u64 dst, u64 src, u64 *rflags)
{
	u64 mask = mask_of(size), sign = 1ull << (8 * size - 1);
	u64 cf_in = *rflags & VHV_RFLAGS_CF ? 1 : 0;
	u64 r, flags = 0;
	bool carry = false, overflow = false, arith = true;

	dst &= mask;
	src &= mask;
	switch (op) {
	case VHV_ALU_ADC:
	case VHV_ALU_ADD:
		if (op == VHV_ALU_ADD)
			cf_in = 0;
		r = (dst + src + cf_in) & mask;
		carry = r < dst || (cf_in && r == dst);
		overflow = (dst ^ r) & (src ^ r) & sign;
		break;
	case VHV_ALU_SBB:
	case VHV_ALU_SUB:
	case VHV_ALU_CMP:
		if (op != VHV_ALU_SBB)
			cf_in = 0;
		r = (dst - src - cf_in) & mask;
		carry = dst < src || (cf_in && dst == src);
		overflow = (dst ^ src) & (dst ^ r) & sign;
		break;
	case VHV_ALU_OR:
		r = dst | src;
		arith = false;
		break;
	case VHV_ALU_XOR:
		r = dst ^ src;
		arith = false;
		break;
	default:	/* AND, TEST */
		r = dst & src;
		arith = false;
		break;
	}
	if (carry)
		flags |= VHV_RFLAGS_CF;
	if (overflow)
		flags |= VHV_RFLAGS_OF;
	if (arith && ((dst ^ src ^ r) & 0x10))
		flags |= VHV_RFLAGS_AF;
	if (!r)
		flags |= VHV_RFLAGS_ZF;
	if (r & sign)
		flags |= VHV_RFLAGS_SF;
	if (parity_even(r))
		flags |= VHV_RFLAGS_PF;
	*rflags = (*rflags & ~VHV_RFLAGS_ARITH) | flags;
	return r;
}

static bool alu_writes_back(unsigned int op)
{
	return op != VHV_ALU_CMP && op != VHV_ALU_TEST;
}

static int access(struct vhv_emul *e, struct vhv_mem_access *acc, u64 gpa,
		  bool write, u64 data)
{
	*acc = (struct vhv_mem_access) {
		.gpa = gpa, .size = e->insn.size, .write = write,
		.data = data & mask_of(e->insn.size),
	};
	e->stage = write ? 2 : 1;
	return VHV_EMUL_ACCESS;
}

static int start(struct vhv_emul *e, struct vhv_regs *regs,
		 struct vhv_mem_access *acc)
{
	const struct vhv_insn *in = &e->insn;

	switch (in->op) {
	case VHV_OP_MOV_STORE:
	case VHV_OP_STOS:
		return access(e, acc, e->gpa, true,
			      vhv_reg_get(regs, in->reg, in->high8, in->size));
	case VHV_OP_MOV_STORE_IMM:
		return access(e, acc, e->gpa, true, in->imm);
	case VHV_OP_MOVS:
		return access(e, acc, e->src_gpa, false, 0);
	default:
		return access(e, acc, e->gpa, false, 0);
	}
}

static u64 bt_apply(unsigned int sub, u64 v, unsigned int bit, u64 *rflags)
{
	u64 m = 1ull << bit;

	*rflags = (*rflags & ~VHV_RFLAGS_CF) | (v & m ? VHV_RFLAGS_CF : 0);
	switch (sub) {
	case VHV_BTS: return v | m;
	case VHV_BTR: return v & ~m;
	case VHV_BTC: return v ^ m;
	default: return v;
	}
}

/* The read completed with value v. */
static int after_read(struct vhv_emul *e, struct vhv_regs *regs, u64 v,
		      struct vhv_mem_access *acc)
{
	const struct vhv_insn *in = &e->insn;
	u64 r, other;
	unsigned int bit;

	e->value = v;
	switch (in->op) {
	case VHV_OP_MOV_LOAD:
		vhv_reg_set(regs, in->reg, in->high8, in->size, v);
		return VHV_EMUL_DONE;
	case VHV_OP_MOVZX:
		vhv_reg_set(regs, in->reg, false, in->dst_size, v);
		return VHV_EMUL_DONE;
	case VHV_OP_MOVSX:
		vhv_reg_set(regs, in->reg, false, in->dst_size,
			    sign_extend(v, in->size));
		return VHV_EMUL_DONE;
	case VHV_OP_ALU_MEM_REG:
	case VHV_OP_ALU_MEM_IMM:
		other = in->op == VHV_OP_ALU_MEM_IMM ? in->imm :
			vhv_reg_get(regs, in->reg, in->high8, in->size);
		r = vhv_alu(in->sub, in->size, v, other, &regs->rflags);
		if (!alu_writes_back(in->sub))
			return VHV_EMUL_DONE;
		return access(e, acc, e->gpa, true, r);
	case VHV_OP_ALU_REG_MEM:
		other = vhv_reg_get(regs, in->reg, in->high8, in->size);
		r = vhv_alu(in->sub, in->size, other, v, &regs->rflags);
		if (alu_writes_back(in->sub))
			vhv_reg_set(regs, in->reg, in->high8, in->size, r);
		return VHV_EMUL_DONE;
	case VHV_OP_BT_REG:
	case VHV_OP_BT_IMM:
		other = in->op == VHV_OP_BT_IMM ? in->imm :
			vhv_reg_get(regs, in->reg, false, in->size);
		bit = other & (8 * in->size - 1);
		r = bt_apply(in->sub, v, bit, &regs->rflags);
		if (in->sub == VHV_BT)
			return VHV_EMUL_DONE;
		return access(e, acc, e->gpa, true, r);
	case VHV_OP_XCHG:
		return access(e, acc, e->gpa, true,
			      vhv_reg_get(regs, in->reg, in->high8, in->size));
	case VHV_OP_MOVS:
		return access(e, acc, e->gpa, true, v);
	default:
		return -EINVAL;
	}
}

/* String instructions: move the index registers, count one iteration. */
static int string_iteration_done(struct vhv_emul *e, struct vhv_regs *regs)
{
	const struct vhv_insn *in = &e->insn;
	u64 step = regs->rflags & VHV_RFLAGS_DF ? -(u64)in->size : in->size;
	u64 count;

	vhv_reg_set(regs, VHV_REG_RDI, false, in->addr_size,
		    vhv_reg_get(regs, VHV_REG_RDI, false, in->addr_size) + step);
	if (in->op == VHV_OP_MOVS)
		vhv_reg_set(regs, VHV_REG_RSI, false, in->addr_size,
			    vhv_reg_get(regs, VHV_REG_RSI, false, in->addr_size) + step);
	if (!in->rep)
		return VHV_EMUL_DONE;
	count = vhv_reg_get(regs, VHV_REG_RCX, false, in->addr_size) - 1;
	vhv_reg_set(regs, VHV_REG_RCX, false, in->addr_size, count);
	return count & mask_of(in->addr_size) ? VHV_EMUL_REPEAT : VHV_EMUL_DONE;
}

int vhv_emul_step(struct vhv_emul *e, struct vhv_regs *regs,
		  struct vhv_mem_access *acc)
{
	switch (e->stage) {
	case 0:
		return start(e, regs, acc);
	case 1:
		return after_read(e, regs, acc->data & mask_of(e->insn.size), acc);
	case 2:
		if (e->insn.op == VHV_OP_STOS || e->insn.op == VHV_OP_MOVS)
			return string_iteration_done(e, regs);
		if (e->insn.op == VHV_OP_XCHG)
			vhv_reg_set(regs, e->insn.reg, e->insn.high8,
				    e->insn.size, e->value);
		return VHV_EMUL_DONE;
	default:
		return -EINVAL;
	}
}
