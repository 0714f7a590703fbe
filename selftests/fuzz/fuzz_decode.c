// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: vhv.ko's instruction decoder and MMIO emulator
 * (kmod/x86/decode.c, emulate.c), which run in the host kernel on bytes a
 * guest wrote.  Every decoder gets each prefix of the instruction in a
 * buffer of exactly that size, so a read past what it was given is an
 * ASan report, and must agree with itself: a prefix shorter than the
 * instruction is -ENODATA, a longer one decodes the same.  A decoded
 * instruction then runs through the emulator with registers and read
 * values from the input.
 *
 * Input: byte 0 picks the mode (16, 32 or 64-bit), bytes 1..15 are the
 * instruction, then 16 registers, RFLAGS and the values reads return.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmod/x86/decode.h"
#include "kmod/x86/emulate.h"
#include "selftests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The first n bytes of insn in a heap buffer of exactly n bytes. */
static u8 *exact(const u8 *insn, unsigned int n)
{
	u8 *b = malloc(n ? n : 1);

	CHECK(b);
	memcpy(b, insn, n);
	return b;
}

static bool is_size(unsigned int s)
{
	return s == 1 || s == 2 || s == 4 || s == 8;
}

static void check_insn(const struct vhv_insn *i, unsigned int mode)
{
	CHECK(i->len >= 1 && i->len <= VHV_INSN_MAX_LEN);
	CHECK(i->op >= VHV_OP_MOV_LOAD && i->op <= VHV_OP_MOVS);
	CHECK(is_size(i->size));
	CHECK(i->addr_size == 2 || i->addr_size == 4 || i->addr_size == 8);
	CHECK(mode == VHV_MODE_64 || i->addr_size != 8);
	CHECK(mode != VHV_MODE_64 || i->addr_size != 2);
	CHECK(i->reg < 16 || i->reg == VHV_REG_NONE);
	CHECK(i->seg <= VHV_SEG_GS);
	CHECK(!i->high8 || (i->size == 1 && !i->rex && i->reg < 4));
	if (i->op == VHV_OP_MOVZX || i->op == VHV_OP_MOVSX)
		CHECK(is_size(i->dst_size) && i->dst_size >= i->size);
	if (i->op == VHV_OP_ALU_MEM_REG || i->op == VHV_OP_ALU_MEM_IMM)
		CHECK(i->sub <= VHV_ALU_TEST);
	if (i->op == VHV_OP_ALU_REG_MEM)
		CHECK(i->sub <= VHV_ALU_CMP);
	if (i->op == VHV_OP_BT_REG || i->op == VHV_OP_BT_IMM)
		CHECK(i->sub <= VHV_BTC && i->size >= 2);
	if (i->op == VHV_OP_MOV_STORE_IMM || i->op == VHV_OP_ALU_MEM_IMM)
		CHECK(i->size == 8 || !(i->imm >> (8 * i->size)));
}

/* Decodes every prefix of insn; returns the full decode's result. */
static int decode_all(const u8 *insn, unsigned int mode, struct vhv_insn *out)
{
	struct vhv_insn full, part;
	unsigned int n;
	int r, rn;
	u8 *b;

	b = exact(insn, VHV_INSN_MAX_LEN);
	memset(&full, 0, sizeof(full));
	r = vhv_decode_mmio(b, VHV_INSN_MAX_LEN, mode, &full);
	free(b);
	CHECK(r == 0 || r == -EINVAL);
	if (!r)
		check_insn(&full, mode);
	for (n = 0; n < VHV_INSN_MAX_LEN; n++) {
		b = exact(insn, n);
		memset(&part, 0, sizeof(part));
		rn = vhv_decode_mmio(b, n, mode, &part);
		free(b);
		if (!r && n < full.len) {
			CHECK(rn == -ENODATA);
		} else if (!r) {
			CHECK(rn == 0 && !memcmp(&part, &full, sizeof(full)));
		} else {
			/* What 15 bytes refuse, fewer never accept. */
			CHECK(rn == -EINVAL || rn == -ENODATA);
		}
	}
	*out = full;
	return r;
}

static void length_all(const u8 *insn, unsigned int mode)
{
	unsigned int n;
	int r, rn;
	u8 *b;

	b = exact(insn, VHV_INSN_MAX_LEN);
	r = vhv_insn_length(b, VHV_INSN_MAX_LEN, mode);
	free(b);
	CHECK(r == -EINVAL || (r >= 1 && r <= VHV_INSN_MAX_LEN));
	for (n = 0; n < VHV_INSN_MAX_LEN; n++) {
		b = exact(insn, n);
		rn = vhv_insn_length(b, n, mode);
		free(b);
		if (r > 0)
			CHECK(rn == ((int)n < r ? -ENODATA : r));
		else
			CHECK(rn == -EINVAL || rn == -ENODATA);
	}
}

static void mov_to_cr_all(const u8 *insn, unsigned int mode)
{
	u8 cr = 0xff, gpr = 0xff, crn, gprn;
	unsigned int n;
	int r, rn;
	u8 *b;

	b = exact(insn, VHV_INSN_MAX_LEN);
	r = vhv_decode_mov_to_cr(b, VHV_INSN_MAX_LEN, mode, &cr, &gpr);
	free(b);
	CHECK(r == -EINVAL || (r >= 3 && r <= VHV_INSN_MAX_LEN));
	if (r > 0)
		CHECK(cr < 16 && gpr < 16);
	for (n = 0; n < VHV_INSN_MAX_LEN; n++) {
		b = exact(insn, n);
		crn = gprn = 0xff;
		rn = vhv_decode_mov_to_cr(b, n, mode, &crn, &gprn);
		free(b);
		if (r > 0 && (int)n < r)
			CHECK(rn == -ENODATA);
		else if (r > 0)
			CHECK(rn == r && crn == cr && gprn == gpr);
		else
			CHECK(rn == -EINVAL || rn == -ENODATA);
	}
}

static void string_io_all(const u8 *insn, unsigned int mode)
{
	u8 as = 0, seg = 0xff;
	unsigned int n;
	int r;
	u8 *b;

	for (n = 0; n <= VHV_INSN_MAX_LEN; n++) {
		b = exact(insn, n);
		r = vhv_decode_string_io(b, n, mode, &as, &seg);
		free(b);
		CHECK(r == 0 || r == -EINVAL || r == -ENODATA);
		if (!r)
			CHECK((as == 2 || as == 4 || as == 8) && seg <= VHV_SEG_GS);
	}
}

/* Runs a decoded instruction as kmod/emulate.c does, REP iterations bounded. */
static void emulate(const struct vhv_insn *insn, struct input *in)
{
	struct vhv_emul e = { .insn = *insn };
	struct vhv_mem_access acc = { 0 };
	struct vhv_regs regs;
	u64 mask = insn->size == 8 ? ~0ull : (1ull << (8 * insn->size)) - 1;
	unsigned int steps;
	int r;

	take(in, &regs, sizeof(regs));
	e.gpa = take64(in);
	e.src_gpa = take64(in);
	for (steps = 0; steps < 64; steps++) {
		r = vhv_emul_step(&e, &regs, &acc);
		if (r == VHV_EMUL_DONE)
			return;
		if (r == VHV_EMUL_REPEAT) {
			CHECK(insn->rep);
			e.stage = 0;
			continue;
		}
		CHECK(r == VHV_EMUL_ACCESS);
		CHECK(acc.size == insn->size);
		CHECK(acc.gpa == e.gpa || acc.gpa == e.src_gpa);
		if (acc.write)
			CHECK(!(acc.data & ~mask));
		else
			acc.data = take64(in);	/* what the device returned */
	}
	CHECK(insn->rep);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned int modes[] = { VHV_MODE_16, VHV_MODE_32, VHV_MODE_64 };
	struct input in = { data, size };
	struct vhv_insn insn;
	unsigned int mode;
	u8 bytes[VHV_INSN_MAX_LEN], m;

	take(&in, &m, 1);
	mode = modes[m % 3];
	take(&in, bytes, sizeof(bytes));
	length_all(bytes, mode);
	mov_to_cr_all(bytes, mode);
	string_io_all(bytes, mode);
	if (!decode_all(bytes, mode, &insn))
		emulate(&insn, &in);
	return 0;
}
