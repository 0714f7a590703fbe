// SPDX-License-Identifier: GPL-2.0
/*
 * Instruction decoder for MMIO emulation and exit-instruction lengths
 * (Intel SDM vol. 2 ch. 2, AMD APM vol. 3 ch. 1).  Portable: no kernel
 * headers, so the same code runs in the unit tests and the fuzzer.
 */
#include "decode.h"

struct cursor {
	const u8 *b;
	unsigned int n, pos;
	bool short_input;
};

/*
 * The next byte, or 0 past the end: past what the caller gave (short_input:
 * -ENODATA, whatever follows), or else past 15 bytes (pos >
 * VHV_INSN_MAX_LEN: -EINVAL, whatever more bytes the caller could give).
 * Callers check in that order: a decode that ran out of bytes read zeros
 * in their place, which say nothing of the real instruction's length.
 */
static u8 next(struct cursor *c)
{
	if (c->pos >= VHV_INSN_MAX_LEN) {
		c->pos++;
		return 0;
	}
	if (c->pos >= c->n) {
		c->short_input = true;
		c->pos++;
		return 0;
	}
	return c->b[c->pos++];
}

static u64 next_le(struct cursor *c, unsigned int bytes)
{
	u64 v = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++)
		v |= (u64)next(c) << (8 * i);
	return v;
}

static s64 sign_extend(u64 v, unsigned int bytes)
{
	unsigned int shift = 64 - 8 * bytes;

	return (s64)(v << shift) >> shift;
}

static u64 truncate(u64 v, unsigned int bytes)
{
	return bytes >= 8 ? v : v & ((1ull << (8 * bytes)) - 1);
}

struct prefixes {
	u8 opsize, addrsize, lock, rep, seg, rex;
};

static void parse_prefixes(struct cursor *c, unsigned int mode,
			   struct prefixes *p)
{
	*p = (struct prefixes) { .seg = 0xff };
	for (;;) {
		u8 b = next(c);

		switch (b) {
		case 0x66: p->opsize = 1; break;
		case 0x67: p->addrsize = 1; break;
		case 0xf0: p->lock = 1; break;
		case 0xf2: case 0xf3: p->rep = b; break;
		case 0x26: p->seg = VHV_SEG_ES; break;
		case 0x2e: p->seg = VHV_SEG_CS; break;
		case 0x36: p->seg = VHV_SEG_SS; break;
		case 0x3e: p->seg = VHV_SEG_DS; break;
		case 0x64: p->seg = VHV_SEG_FS; break;
		case 0x65: p->seg = VHV_SEG_GS; break;
		default:
			if (mode == VHV_MODE_64 && (b & 0xf0) == 0x40) {
				/* REX counts only right before the opcode. */
				u8 peek = c->pos < c->n && c->pos < VHV_INSN_MAX_LEN ?
					  c->b[c->pos] : 0;

				if ((peek & 0xf0) != 0x40 && !(peek == 0x66 ||
				    peek == 0x67 || peek == 0xf0 || peek == 0xf2 ||
				    peek == 0xf3 || peek == 0x26 || peek == 0x2e ||
				    peek == 0x36 || peek == 0x3e || peek == 0x64 ||
				    peek == 0x65)) {
					p->rex = b;
					return;
				}
				continue;	/* a REX followed by a prefix is ignored */
			}
			c->pos--;	/* not a prefix: the opcode */
			return;
		}
		p->rex = 0;
	}
}

static unsigned int operand_size(unsigned int mode, const struct prefixes *p)
{
	if (mode == VHV_MODE_64 && (p->rex & 8))
		return 8;
	if (mode == VHV_MODE_16)
		return p->opsize ? 4 : 2;
	return p->opsize ? 2 : 4;
}

static unsigned int address_size(unsigned int mode, const struct prefixes *p)
{
	switch (mode) {
	case VHV_MODE_64: return p->addrsize ? 4 : 8;
	case VHV_MODE_32: return p->addrsize ? 2 : 4;
	default: return p->addrsize ? 4 : 2;
	}
}

/*
 * Parses ModRM (and SIB, displacement) for a memory operand.  Only the
 * operand's default segment matters to vhv: the address itself comes from
 * the nested page fault.  Returns false for a register operand (mod == 3).
 */
static bool parse_modrm_mem(struct cursor *c, unsigned int addr_size,
			    const struct prefixes *p, u8 *reg, u8 *seg)
{
	u8 modrm = next(c), mod = modrm >> 6, rm = modrm & 7;
	bool ss = false;

	*reg = ((modrm >> 3) & 7) | ((p->rex & 4) << 1);
	if (mod == 3)
		return false;
	if (addr_size == 2) {
		ss = rm == 2 || rm == 3 || (rm == 6 && mod != 0);
		if (mod == 1)
			next(c);
		else if (mod == 2 || (mod == 0 && rm == 6))
			next_le(c, 2);
	} else {
		if (rm == 4) {
			u8 sib = next(c), base = sib & 7;

			if (base == 5 && mod == 0)
				next_le(c, 4);
			else
				ss = base == 4 || base == 5;
		} else if (rm == 5 && mod == 0) {
			next_le(c, 4);		/* disp32 or RIP-relative */
		} else {
			ss = rm == 5;	/* [rBP + disp] (rm 4 is the SIB case) */
		}
		if (mod == 1)
			next(c);
		else if (mod == 2)
			next_le(c, 4);
	}
	*seg = p->seg != 0xff ? p->seg : ss ? VHV_SEG_SS : VHV_SEG_DS;
	return true;
}

/* Immediate of iz size: 2 bytes for 16-bit operands, else 4 sign-extended. */
static u64 imm_z(struct cursor *c, unsigned int size)
{
	unsigned int bytes = size == 2 ? 2 : 4;

	return truncate(sign_extend(next_le(c, bytes), bytes), size);
}

static u64 imm_b(struct cursor *c, unsigned int size)
{
	return truncate(sign_extend(next(c), 1), size);
}

static int decode_0f(struct cursor *c, unsigned int opsize,
		     const struct prefixes *p, struct vhv_insn *in)
{
	u8 op = next(c);

	switch (op) {
	case 0xb6: case 0xb7: case 0xbe: case 0xbf:
		in->op = op & 8 ? VHV_OP_MOVSX : VHV_OP_MOVZX;
		in->size = op & 1 ? 2 : 1;
		in->dst_size = opsize;
		break;
	case 0xa3: case 0xab: case 0xb3: case 0xbb:
		in->op = VHV_OP_BT_REG;
		in->sub = (op >> 3) & 3;	/* a3 BT, ab BTS, b3 BTR, bb BTC */
		in->size = opsize;
		break;
	case 0xba:
		in->op = VHV_OP_BT_IMM;
		in->size = opsize;
		break;
	default:
		return -EINVAL;
	}
	if (!parse_modrm_mem(c, in->addr_size, p, &in->reg, &in->seg))
		return -EINVAL;
	if (in->op == VHV_OP_BT_IMM) {
		u8 digit = in->reg & 7;	/* REX.R does not extend /digit */

		if (digit < 4)
			return -EINVAL;
		in->sub = digit - 4;
		in->reg = VHV_REG_NONE;
		in->imm = next(c);
	}
	return 0;
}

static int decode_group(struct cursor *c, u8 op, unsigned int size,
			const struct prefixes *p, struct vhv_insn *in)
{
	u8 digit;

	if (!parse_modrm_mem(c, in->addr_size, p, &digit, &in->seg))
		return -EINVAL;
	digit &= 7;
	in->reg = VHV_REG_NONE;
	in->size = size;
	switch (op) {
	case 0x80: case 0x81: case 0x83:
		in->op = VHV_OP_ALU_MEM_IMM;
		in->sub = digit;
		in->imm = op == 0x81 ? imm_z(c, size) : imm_b(c, size);
		return 0;
	case 0xc6: case 0xc7:
		if (digit != 0)
			return -EINVAL;
		in->op = VHV_OP_MOV_STORE_IMM;
		in->imm = op == 0xc7 ? imm_z(c, size) : next(c);
		return 0;
	case 0xf6: case 0xf7:
		if (digit > 1)		/* /0 and its alias /1: TEST */
			return -EINVAL;
		in->op = VHV_OP_ALU_MEM_IMM;
		in->sub = VHV_ALU_TEST;
		in->imm = op == 0xf7 ? imm_z(c, size) : next(c);
		return 0;
	}
	return -EINVAL;
}

/* ADD/OR/ADC/SBB/AND/SUB/XOR/CMP in their ModRM forms 00..03 + 8n. */
static int decode_alu(struct cursor *c, u8 op, unsigned int opsize,
		      const struct prefixes *p, struct vhv_insn *in)
{
	in->sub = op >> 3;
	in->size = op & 1 ? opsize : 1;
	in->op = op & 2 ? VHV_OP_ALU_REG_MEM : VHV_OP_ALU_MEM_REG;
	return parse_modrm_mem(c, in->addr_size, p, &in->reg, &in->seg) ?
	       0 : -EINVAL;
}

static int decode_one(struct cursor *c, unsigned int mode, struct vhv_insn *in)
{
	struct prefixes p;
	unsigned int opsize;
	u8 op;

	parse_prefixes(c, mode, &p);
	opsize = operand_size(mode, &p);
	in->addr_size = address_size(mode, &p);
	in->rex = p.rex;
	in->lock = p.lock;
	in->rep = !!p.rep;
	in->reg = VHV_REG_NONE;
	op = next(c);

	if (op == 0x0f)
		return decode_0f(c, opsize, &p, in);
	if (op < 0x40 && (op & 7) < 4)
		return decode_alu(c, op, opsize, &p, in);
	switch (op) {
	case 0x80: case 0x81: case 0x83:
		return decode_group(c, op, op == 0x80 ? 1 : opsize, &p, in);
	case 0xc6: case 0xc7: case 0xf6: case 0xf7:
		return decode_group(c, op, op & 1 ? opsize : 1, &p, in);
	case 0x84: case 0x85:
		in->op = VHV_OP_ALU_MEM_REG;
		in->sub = VHV_ALU_TEST;
		in->size = op & 1 ? opsize : 1;
		break;
	case 0x86: case 0x87:
		in->op = VHV_OP_XCHG;
		in->size = op & 1 ? opsize : 1;
		break;
	case 0x88: case 0x89: case 0x8a: case 0x8b:
		in->op = op & 2 ? VHV_OP_MOV_LOAD : VHV_OP_MOV_STORE;
		in->size = op & 1 ? opsize : 1;
		break;
	case 0x63:
		if (mode != VHV_MODE_64)
			return -EINVAL;		/* ARPL outside long mode */
		in->op = opsize == 8 ? VHV_OP_MOVSX : VHV_OP_MOV_LOAD;
		in->size = opsize == 8 ? 4 : opsize;
		in->dst_size = opsize;
		break;
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		in->op = op & 2 ? VHV_OP_MOV_STORE : VHV_OP_MOV_LOAD;
		in->size = op & 1 ? opsize : 1;
		in->reg = VHV_REG_RAX;
		in->seg = p.seg != 0xff ? p.seg : VHV_SEG_DS;
		next_le(c, in->addr_size);	/* moffs */
		return 0;
	case 0xaa: case 0xab:
		in->op = VHV_OP_STOS;
		in->size = op & 1 ? opsize : 1;
		in->reg = VHV_REG_RAX;
		in->seg = VHV_SEG_ES;	/* STOS cannot be overridden */
		return 0;
	case 0xa4: case 0xa5:
		in->op = VHV_OP_MOVS;
		in->size = op & 1 ? opsize : 1;
		in->seg = p.seg != 0xff ? p.seg : VHV_SEG_DS;	/* source */
		return 0;
	default:
		return -EINVAL;
	}
	return parse_modrm_mem(c, in->addr_size, &p, &in->reg, &in->seg) ?
	       0 : -EINVAL;
}

static void mark_high8(struct vhv_insn *in)
{
	bool byte_reg = in->size == 1 && in->op != VHV_OP_MOVZX &&
			in->op != VHV_OP_MOVSX;

	in->high8 = byte_reg && !in->rex && in->reg >= 4 && in->reg <= 7;
	if (in->high8)
		in->reg -= 4;
}

int vhv_decode_mmio(const u8 *bytes, unsigned int n, unsigned int mode,
		    struct vhv_insn *insn)
{
	struct cursor c = { .b = bytes, .n = n };
	int r;

	*insn = (struct vhv_insn) { .reg = VHV_REG_NONE };
	r = decode_one(&c, mode, insn);
	if (c.short_input)
		return -ENODATA;
	if (c.pos > VHV_INSN_MAX_LEN)
		return -EINVAL;
	if (r)
		return r;
	if (insn->op != VHV_OP_MOVZX && insn->op != VHV_OP_MOVSX)
		insn->dst_size = insn->size;
	if (insn->reg != VHV_REG_NONE)
		mark_high8(insn);
	insn->len = c.pos;
	return 0;
}

/* ---- lengths of intercepted instructions --------------------------------- */

static int length_0f(struct cursor *c)
{
	u8 op = next(c), modrm;

	switch (op) {
	case 0x01:	/* group 7: only register forms exit here */
		modrm = next(c);
		return modrm >= 0xc0 ? 0 : -EINVAL;
	case 0x08: case 0x09: case 0x0b:	/* INVD, WBINVD, UD2 */
	case 0x30: case 0x31: case 0x32: case 0x33:	/* WRMSR RDTSC RDMSR RDPMC */
	case 0xa2:				/* CPUID */
		return 0;
	case 0x21: case 0x23:	/* MOV from/to DR: ModRM, always a register */
		next(c);
		return 0;
	default:
		return -EINVAL;
	}
}

int vhv_insn_length(const u8 *bytes, unsigned int n, unsigned int mode)
{
	struct cursor c = { .b = bytes, .n = n };
	struct prefixes p;
	int r = 0;
	u8 op;

	parse_prefixes(&c, mode, &p);
	op = next(&c);
	switch (op) {
	case 0x0f:
		r = length_0f(&c);
		break;
	case 0xe4: case 0xe5: case 0xe6: case 0xe7:	/* IN/OUT imm8 */
	case 0xcd:					/* INT n */
		next(&c);
		break;
	case 0xec: case 0xed: case 0xee: case 0xef:	/* IN/OUT dx */
	case 0x6c: case 0x6d: case 0x6e: case 0x6f:	/* INS/OUTS */
	case 0xf4:					/* HLT */
	case 0x90:					/* PAUSE (F3 90) */
	case 0xcc: case 0xf1: case 0xcf:		/* INT3 ICEBP IRET */
		break;
	default:
		r = -EINVAL;
	}
	if (c.short_input)
		return -ENODATA;
	if (c.pos > VHV_INSN_MAX_LEN)
		return -EINVAL;
	return r ? r : (int)c.pos;
}

int vhv_decode_mov_to_cr(const u8 *bytes, unsigned int n, unsigned int mode,
			 u8 *cr, u8 *gpr)
{
	struct cursor c = { .b = bytes, .n = n };
	struct prefixes p;
	u8 modrm;

	parse_prefixes(&c, mode, &p);
	if (next(&c) != 0x0f || next(&c) != 0x22)
		return c.short_input ? -ENODATA : -EINVAL;
	modrm = next(&c);
	if (c.short_input)
		return -ENODATA;
	if (c.pos > VHV_INSN_MAX_LEN)
		return -EINVAL;
	/* The register form only (mod is ignored and read as 3 by the CPU). */
	*cr = ((modrm >> 3) & 7) | (p.rex & 4 ? 8 : 0);
	/* AMD: LOCK MOV CR0 is MOV CR8, for 32-bit code. */
	if (p.lock && *cr == 0)
		*cr = 8;
	*gpr = (modrm & 7) | (p.rex & 1 ? 8 : 0);
	return c.pos;
}

int vhv_decode_string_io(const u8 *bytes, unsigned int n, unsigned int mode,
			 u8 *addr_size, u8 *seg)
{
	struct cursor c = { .b = bytes, .n = n };
	struct prefixes p;
	u8 op;

	parse_prefixes(&c, mode, &p);
	op = next(&c);
	if (c.short_input)
		return -ENODATA;
	if (c.pos > VHV_INSN_MAX_LEN)
		return -EINVAL;
	if (op < 0x6c || op > 0x6f)
		return -EINVAL;
	*addr_size = address_size(mode, &p);
	*seg = op <= 0x6d ? VHV_SEG_ES : p.seg != 0xff ? p.seg : VHV_SEG_DS;
	return 0;
}
