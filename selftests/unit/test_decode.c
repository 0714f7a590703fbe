// SPDX-License-Identifier: GPL-2.0
/* Unit tests for kmod/x86/decode.c: MMIO forms and exit-instruction lengths. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kmod/x86/decode.h"

struct vec {
	const char *bytes;	/* hex, spaces ignored */
	unsigned int mode;
	int len;		/* expected length, or -errno */
	u8 op, sub, size, dst_size, addr_size, reg, high8, seg, rep;
	u64 imm;
};

static unsigned int hex(const char *s, u8 *out)
{
	unsigned int n = 0;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s == ' ')
			continue;
		v = *s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10;
		if (hi < 0) {
			hi = v;
		} else {
			out[n++] = hi << 4 | v;
			hi = -1;
		}
	}
	return n;
}

#define M64 VHV_MODE_64
#define M32 VHV_MODE_32
#define M16 VHV_MODE_16
#define DS VHV_SEG_DS
#define SS VHV_SEG_SS

static const struct vec vectors[] = {
	/* MOV loads and stores, every width */
	{ "8b 07", M64, 2, VHV_OP_MOV_LOAD, 0, 4, 4, 8, 0, 0, DS, 0, 0 },
	{ "48 8b 07", M64, 3, VHV_OP_MOV_LOAD, 0, 8, 8, 8, 0, 0, DS, 0, 0 },
	{ "66 8b 07", M64, 3, VHV_OP_MOV_LOAD, 0, 2, 2, 8, 0, 0, DS, 0, 0 },
	{ "8a 07", M64, 2, VHV_OP_MOV_LOAD, 0, 1, 1, 8, 0, 0, DS, 0, 0 },
	{ "8a 27", M64, 2, VHV_OP_MOV_LOAD, 0, 1, 1, 8, 0, 1, DS, 0, 0 },	/* ah */
	{ "40 8a 27", M64, 3, VHV_OP_MOV_LOAD, 0, 1, 1, 8, 4, 0, DS, 0, 0 },	/* spl */
	{ "44 8a 07", M64, 3, VHV_OP_MOV_LOAD, 0, 1, 1, 8, 8, 0, DS, 0, 0 },	/* r8b */
	{ "4c 89 3f", M64, 3, VHV_OP_MOV_STORE, 0, 8, 8, 8, 15, 0, DS, 0, 0 },	/* r15 */
	{ "89 07", M64, 2, VHV_OP_MOV_STORE, 0, 4, 4, 8, 0, 0, DS, 0, 0 },
	{ "66 89 0f", M64, 3, VHV_OP_MOV_STORE, 0, 2, 2, 8, 1, 0, DS, 0, 0 },
	{ "88 3f", M64, 2, VHV_OP_MOV_STORE, 0, 1, 1, 8, 3, 1, DS, 0, 0 },	/* bh */
	/* addressing forms */
	{ "8a 04 25 78 56 34 12", M64, 7, VHV_OP_MOV_LOAD, 0, 1, 1, 8, 0, 0, DS, 0, 0 },
	{ "8b 05 00 10 00 00", M64, 6, VHV_OP_MOV_LOAD, 0, 4, 4, 8, 0, 0, DS, 0, 0 },
	{ "8b 44 24 08", M64, 4, VHV_OP_MOV_LOAD, 0, 4, 4, 8, 0, 0, SS, 0, 0 },
	{ "8b 45 f8", M64, 3, VHV_OP_MOV_LOAD, 0, 4, 4, 8, 0, 0, SS, 0, 0 },
	{ "8b 84 8b 00 01 00 00", M64, 7, VHV_OP_MOV_LOAD, 0, 4, 4, 8, 0, 0, DS, 0, 0 },
	{ "42 8b 04 a8", M64, 4, VHV_OP_MOV_LOAD, 0, 4, 4, 8, 0, 0, DS, 0, 0 },
	{ "41 8b 45 00", M64, 4, VHV_OP_MOV_LOAD, 0, 4, 4, 8, 0, 0, SS, 0, 0 },	/* [r13]: SS by encoding */
	{ "64 8b 03", M64, 3, VHV_OP_MOV_LOAD, 0, 4, 4, 8, 0, 0, VHV_SEG_FS, 0, 0 },
	{ "65 48 8b 03", M64, 4, VHV_OP_MOV_LOAD, 0, 8, 8, 8, 0, 0, VHV_SEG_GS, 0, 0 },
	{ "67 8b 03", M64, 3, VHV_OP_MOV_LOAD, 0, 4, 4, 4, 0, 0, DS, 0, 0 },
	{ "36 8b 03", M64, 3, VHV_OP_MOV_LOAD, 0, 4, 4, 8, 0, 0, SS, 0, 0 },
	{ "3e 8b 44 24 08", M64, 5, VHV_OP_MOV_LOAD, 0, 4, 4, 8, 0, 0, DS, 0, 0 },
	/* a REX followed by a legacy prefix is ignored */
	{ "48 66 8b 07", M64, 4, VHV_OP_MOV_LOAD, 0, 2, 2, 8, 0, 0, DS, 0, 0 },
	/* moffs */
	{ "a1 88 77 66 55 44 33 22 11", M64, 9, VHV_OP_MOV_LOAD, 0, 4, 4, 8, 0, 0, DS, 0, 0 },
	{ "67 a1 44 33 22 11", M64, 6, VHV_OP_MOV_LOAD, 0, 4, 4, 4, 0, 0, DS, 0, 0 },
	{ "48 a3 88 77 66 55 44 33 22 11", M64, 10, VHV_OP_MOV_STORE, 0, 8, 8, 8, 0, 0, DS, 0, 0 },
	{ "a2 00 f0 00 fe", M32, 5, VHV_OP_MOV_STORE, 0, 1, 1, 4, 0, 0, DS, 0, 0 },
	{ "26 a0 34 12", M16, 4, VHV_OP_MOV_LOAD, 0, 1, 1, 2, 0, 0, VHV_SEG_ES, 0, 0 },
	/* immediate stores */
	{ "c7 07 78 56 34 12", M64, 6, VHV_OP_MOV_STORE_IMM, 0, 4, 4, 8, 0xff, 0, DS, 0, 0x12345678 },
	{ "48 c7 07 ff ff ff ff", M64, 7, VHV_OP_MOV_STORE_IMM, 0, 8, 8, 8, 0xff, 0, DS, 0, ~0ull },
	{ "66 c7 07 34 12", M64, 5, VHV_OP_MOV_STORE_IMM, 0, 2, 2, 8, 0xff, 0, DS, 0, 0x1234 },
	{ "c6 47 10 ab", M64, 4, VHV_OP_MOV_STORE_IMM, 0, 1, 1, 8, 0xff, 0, DS, 0, 0xab },
	/* MOVZX / MOVSX / MOVSXD */
	{ "0f b6 07", M64, 3, VHV_OP_MOVZX, 0, 1, 4, 8, 0, 0, DS, 0, 0 },
	{ "48 0f b7 07", M64, 4, VHV_OP_MOVZX, 0, 2, 8, 8, 0, 0, DS, 0, 0 },
	{ "66 0f b6 07", M64, 4, VHV_OP_MOVZX, 0, 1, 2, 8, 0, 0, DS, 0, 0 },
	{ "0f be 3f", M64, 3, VHV_OP_MOVSX, 0, 1, 4, 8, 7, 0, DS, 0, 0 },
	{ "4c 0f bf 07", M64, 4, VHV_OP_MOVSX, 0, 2, 8, 8, 8, 0, DS, 0, 0 },
	{ "48 63 07", M64, 3, VHV_OP_MOVSX, 0, 4, 8, 8, 0, 0, DS, 0, 0 },
	{ "63 07", M64, 2, VHV_OP_MOV_LOAD, 0, 4, 4, 8, 0, 0, DS, 0, 0 },
	/* string ops */
	{ "aa", M64, 1, VHV_OP_STOS, 0, 1, 1, 8, 0, 0, VHV_SEG_ES, 0, 0 },
	{ "f3 48 ab", M64, 3, VHV_OP_STOS, 0, 8, 8, 8, 0, 0, VHV_SEG_ES, 1, 0 },
	{ "f3 a5", M32, 2, VHV_OP_MOVS, 0, 4, 4, 4, 0xff, 0, DS, 1, 0 },
	{ "f3 66 a5", M16, 3, VHV_OP_MOVS, 0, 4, 4, 2, 0xff, 0, DS, 1, 0 },
	{ "64 a4", M64, 2, VHV_OP_MOVS, 0, 1, 1, 8, 0xff, 0, VHV_SEG_FS, 0, 0 },
	/* ALU with memory operands */
	{ "01 07", M64, 2, VHV_OP_ALU_MEM_REG, VHV_ALU_ADD, 4, 4, 8, 0, 0, DS, 0, 0 },
	{ "03 07", M64, 2, VHV_OP_ALU_REG_MEM, VHV_ALU_ADD, 4, 4, 8, 0, 0, DS, 0, 0 },
	{ "f0 09 07", M64, 3, VHV_OP_ALU_MEM_REG, VHV_ALU_OR, 4, 4, 8, 0, 0, DS, 0, 0 },
	{ "22 07", M64, 2, VHV_OP_ALU_REG_MEM, VHV_ALU_AND, 1, 1, 8, 0, 0, DS, 0, 0 },
	{ "48 29 07", M64, 3, VHV_OP_ALU_MEM_REG, VHV_ALU_SUB, 8, 8, 8, 0, 0, DS, 0, 0 },
	{ "30 27", M64, 2, VHV_OP_ALU_MEM_REG, VHV_ALU_XOR, 1, 1, 8, 0, 1, DS, 0, 0 },
	{ "3b 07", M64, 2, VHV_OP_ALU_REG_MEM, VHV_ALU_CMP, 4, 4, 8, 0, 0, DS, 0, 0 },
	{ "11 07", M64, 2, VHV_OP_ALU_MEM_REG, VHV_ALU_ADC, 4, 4, 8, 0, 0, DS, 0, 0 },
	{ "83 27 f0", M64, 3, VHV_OP_ALU_MEM_IMM, VHV_ALU_AND, 4, 4, 8, 0xff, 0, DS, 0, 0xfffffff0 },
	{ "48 83 0f 01", M64, 4, VHV_OP_ALU_MEM_IMM, VHV_ALU_OR, 8, 8, 8, 0xff, 0, DS, 0, 1 },
	{ "48 81 37 00 00 00 80", M64, 7, VHV_OP_ALU_MEM_IMM, VHV_ALU_XOR, 8, 8, 8, 0xff, 0, DS, 0, 0xffffffff80000000ull },
	{ "66 81 07 34 12", M64, 5, VHV_OP_ALU_MEM_IMM, VHV_ALU_ADD, 2, 2, 8, 0xff, 0, DS, 0, 0x1234 },
	{ "80 3f 05", M64, 3, VHV_OP_ALU_MEM_IMM, VHV_ALU_CMP, 1, 1, 8, 0xff, 0, DS, 0, 5 },
	{ "f6 07 01", M64, 3, VHV_OP_ALU_MEM_IMM, VHV_ALU_TEST, 1, 1, 8, 0xff, 0, DS, 0, 1 },
	{ "f7 07 00 00 00 80", M64, 6, VHV_OP_ALU_MEM_IMM, VHV_ALU_TEST, 4, 4, 8, 0xff, 0, DS, 0, 0x80000000 },
	{ "85 07", M64, 2, VHV_OP_ALU_MEM_REG, VHV_ALU_TEST, 4, 4, 8, 0, 0, DS, 0, 0 },
	/* BT family, XCHG */
	{ "0f a3 07", M64, 3, VHV_OP_BT_REG, VHV_BT, 4, 4, 8, 0, 0, DS, 0, 0 },
	{ "f0 48 0f ab 07", M64, 5, VHV_OP_BT_REG, VHV_BTS, 8, 8, 8, 0, 0, DS, 0, 0 },
	{ "0f b3 07", M64, 3, VHV_OP_BT_REG, VHV_BTR, 4, 4, 8, 0, 0, DS, 0, 0 },
	{ "0f ba 27 05", M64, 4, VHV_OP_BT_IMM, VHV_BT, 4, 4, 8, 0xff, 0, DS, 0, 5 },
	{ "0f ba 3f 1f", M64, 4, VHV_OP_BT_IMM, VHV_BTC, 4, 4, 8, 0xff, 0, DS, 0, 31 },
	{ "87 07", M64, 2, VHV_OP_XCHG, 0, 4, 4, 8, 0, 0, DS, 0, 0 },
	{ "86 27", M64, 2, VHV_OP_XCHG, 0, 1, 1, 8, 0, 1, DS, 0, 0 },
	/* 16- and 32-bit code */
	{ "8b 07", M16, 2, VHV_OP_MOV_LOAD, 0, 2, 2, 2, 0, 0, DS, 0, 0 },
	{ "8b 46 02", M16, 3, VHV_OP_MOV_LOAD, 0, 2, 2, 2, 0, 0, SS, 0, 0 },
	{ "8b 06 34 12", M16, 4, VHV_OP_MOV_LOAD, 0, 2, 2, 2, 0, 0, DS, 0, 0 },
	{ "66 8b 07", M16, 3, VHV_OP_MOV_LOAD, 0, 4, 4, 2, 0, 0, DS, 0, 0 },
	{ "67 8b 07", M16, 3, VHV_OP_MOV_LOAD, 0, 2, 2, 4, 0, 0, DS, 0, 0 },
	{ "8b 07", M32, 2, VHV_OP_MOV_LOAD, 0, 4, 4, 4, 0, 0, DS, 0, 0 },
	{ "8b 05 00 00 00 fe", M32, 6, VHV_OP_MOV_LOAD, 0, 4, 4, 4, 0, 0, DS, 0, 0 },
	/* refused */
	{ "8b c0", M64, -EINVAL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },		/* register operand */
	{ "0f 0b", M64, -EINVAL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },		/* UD2 */
	{ "f7 1f", M64, -EINVAL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },		/* NEG */
	{ "c7 4f 00 00 00 00 00", M64, -EINVAL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },	/* C7 /1 */
	{ "0f ba 07 01", M64, -EINVAL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },	/* 0F BA /0 */
	{ "63 07", M32, -EINVAL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },		/* ARPL */
	{ "8b", M64, -ENODATA, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "8b 84 8b 00 01", M64, -ENODATA, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "c7 07 78 56", M64, -ENODATA, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
	{ "66 66 66 66 66 66 66 66 66 66 66 66 66 66 8b 07", M64, -EINVAL, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
};

#define EXPECT(cond)							\
	do {								\
		if (!(cond))						\
			fail_msg("%s (mode %u): %s", v->bytes, v->mode, #cond); \
	} while (0)

static void test_vectors(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vec *v = &vectors[i];
		struct vhv_insn in;
		u8 b[32];
		unsigned int n = hex(v->bytes, b);
		int r = vhv_decode_mmio(b, n, v->mode, &in);

		if (v->len < 0) {
			EXPECT(r == v->len);
			continue;
		}
		EXPECT(r == 0);
		EXPECT(in.len == v->len);
		EXPECT(in.op == v->op);
		EXPECT(in.size == v->size);
		EXPECT(in.dst_size == v->dst_size);
		EXPECT(in.addr_size == v->addr_size);
		EXPECT(v->reg == 0xff || in.reg == v->reg);
		EXPECT(in.high8 == v->high8);
		EXPECT(in.seg == v->seg);
		EXPECT(in.rep == v->rep);
		EXPECT(v->op < VHV_OP_ALU_MEM_REG || v->op > VHV_OP_BT_IMM ||
		       in.sub == v->sub);
		EXPECT(in.imm == v->imm);
	}
}

/* Trailing bytes after an instruction never change its decoding. */
static void test_trailing_bytes(void **state)
{
	u8 b[32];
	struct vhv_insn in;
	unsigned int n = hex("8b 44 24 08 ff ff ff ff", b);

	(void)state;
	assert_int_equal(vhv_decode_mmio(b, n, M64, &in), 0);
	assert_int_equal(in.len, 4);
}

static void test_lengths(void **state)
{
	static const struct { const char *bytes; unsigned int mode; int len; } v[] = {
		{ "0f a2", M64, 2 }, { "66 0f a2", M64, 3 }, { "f4", M16, 1 },
		{ "e6 80", M16, 2 }, { "66 e7 70", M16, 3 }, { "ec", M64, 1 },
		{ "f3 6e", M64, 2 }, { "f3 48 6d", M64, 3 }, { "0f 01 d9", M64, 3 },
		{ "0f 01 d1", M32, 3 }, { "0f 32", M64, 2 }, { "0f 30", M64, 2 },
		{ "0f 21 c0", M64, 3 }, { "0f 23 f8", M64, 3 }, { "0f 09", M64, 2 },
		{ "cd 80", M32, 2 }, { "f3 90", M64, 2 }, { "0f 01 f9", M64, 3 },
		{ "2e 0f a2", M64, 3 },
		{ "0f 01 38", M64, -EINVAL },	/* INVLPG [rax]: memory form */
		{ "8b 07", M64, -EINVAL }, { "0f", M64, -ENODATA }, { "e6", M64, -ENODATA },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		u8 b[32];
		unsigned int n = hex(v[i].bytes, b);

		if (vhv_insn_length(b, n, v[i].mode) != v[i].len)
			fail_msg("%s: length %d, expected %d", v[i].bytes,
				 vhv_insn_length(b, n, v[i].mode), v[i].len);
	}
}

static void test_string_io(void **state)
{
	u8 b[8], asz, seg;

	(void)state;
	assert_int_equal(vhv_decode_string_io(b, hex("f3 6e", b), M64, &asz, &seg), 0);
	assert_int_equal(asz, 8);
	assert_int_equal(seg, VHV_SEG_DS);
	assert_int_equal(vhv_decode_string_io(b, hex("67 f3 64 6f", b), M64, &asz, &seg), 0);
	assert_int_equal(asz, 4);
	assert_int_equal(seg, VHV_SEG_FS);
	assert_int_equal(vhv_decode_string_io(b, hex("26 6c", b), M16, &asz, &seg), 0);
	assert_int_equal(asz, 2);
	assert_int_equal(seg, VHV_SEG_ES);	/* INS ignores overrides */
	assert_int_equal(vhv_decode_string_io(b, hex("67 6d", b), M16, &asz, &seg), 0);
	assert_int_equal(asz, 4);
	assert_int_equal(vhv_decode_string_io(b, hex("ee", b), M64, &asz, &seg), -EINVAL);
	assert_int_equal(vhv_decode_string_io(b, hex("f3", b), M64, &asz, &seg), -ENODATA);
}

static void test_mov_to_cr(void **state)
{
	static const u8 cr8_rax[] = { 0x44, 0x0f, 0x22, 0xc0 };
	static const u8 cr8_r9[] = { 0x45, 0x0f, 0x22, 0xc1 };
	static const u8 lock_cr8_edx[] = { 0xf0, 0x0f, 0x22, 0xc2 };
	static const u8 cr3_rbx[] = { 0x0f, 0x22, 0xdb };
	static const u8 mov_load[] = { 0x8b, 0x03 };
	u8 cr, gpr;

	(void)state;
	assert_int_equal(vhv_decode_mov_to_cr(cr8_rax, 4, VHV_MODE_64, &cr, &gpr), 4);
	assert_int_equal(cr, 8);
	assert_int_equal(gpr, 0);
	assert_int_equal(vhv_decode_mov_to_cr(cr8_r9, 4, VHV_MODE_64, &cr, &gpr), 4);
	assert_int_equal(cr, 8);
	assert_int_equal(gpr, 9);
	assert_int_equal(vhv_decode_mov_to_cr(lock_cr8_edx, 4, VHV_MODE_32, &cr, &gpr), 4);
	assert_int_equal(cr, 8);
	assert_int_equal(gpr, 2);
	assert_int_equal(vhv_decode_mov_to_cr(cr3_rbx, 3, VHV_MODE_64, &cr, &gpr), 3);
	assert_int_equal(cr, 3);
	assert_int_equal(gpr, 3);
	assert_int_equal(vhv_decode_mov_to_cr(cr8_rax, 3, VHV_MODE_64, &cr, &gpr), -ENODATA);
	assert_int_equal(vhv_decode_mov_to_cr(mov_load, 2, VHV_MODE_64, &cr, &gpr), -EINVAL);
}

/*
 * The 15-byte limit is -EINVAL, running out of the caller's bytes is
 * -ENODATA, and the second wins: zeros read in place of missing bytes say
 * nothing of the real instruction's length.  What the fuzzer found first
 * (fuzz_decode): 15 prefixes made MOV-to-CR and INS/OUTS ask for more
 * bytes, and 14 of a 15-byte MOVS were refused as too long.
 */
static void test_length_limit(void **state)
{
	u8 b[32], cr, gpr, asz, seg;
	struct vhv_insn in;
	unsigned int n;

	(void)state;
	n = hex("36 36 36 36 36 36 36 36 36 36 36 36 36 36 36 0f 22 c0", b);
	assert_int_equal(vhv_decode_mov_to_cr(b, 15, M64, &cr, &gpr), -EINVAL);
	assert_int_equal(vhv_decode_mov_to_cr(b, n, M64, &cr, &gpr), -EINVAL);
	assert_int_equal(vhv_decode_mov_to_cr(b, 14, M64, &cr, &gpr), -ENODATA);
	assert_int_equal(vhv_decode_string_io(b, 15, M64, &asz, &seg), -EINVAL);
	assert_int_equal(vhv_decode_string_io(b, 14, M64, &asz, &seg), -ENODATA);
	assert_int_equal(vhv_insn_length(b, 15, M64), -EINVAL);
	assert_int_equal(vhv_decode_mmio(b, 15, M64, &in), -EINVAL);
	/* 14 prefixes and MOVS: 15 bytes, valid; any fewer is -ENODATA. */
	n = hex("47 41 41 42 42 42 42 42 47 41 48 2e 47 41 a5", b);
	assert_int_equal(n, 15);
	assert_int_equal(vhv_decode_mmio(b, 15, M64, &in), 0);
	assert_int_equal(in.len, 15);
	assert_int_equal(in.op, VHV_OP_MOVS);
	assert_int_equal(vhv_decode_mmio(b, 14, M64, &in), -ENODATA);
	/* A REX-less 16-byte form: the 16th byte is never read. */
	n = hex("2e 2e 2e 2e 2e 2e 2e 2e 2e 2e 2e 2e 2e 8b 07", b);
	assert_int_equal(vhv_decode_mmio(b, n, M64, &in), 0);
	n = hex("2e 2e 2e 2e 2e 2e 2e 2e 2e 2e 2e 2e 2e 2e 8b 07", b);
	assert_int_equal(vhv_decode_mmio(b, n, M64, &in), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_string_io),
		cmocka_unit_test(test_mov_to_cr),
		cmocka_unit_test(test_trailing_bytes),
		cmocka_unit_test(test_lengths),
		cmocka_unit_test(test_length_limit),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
