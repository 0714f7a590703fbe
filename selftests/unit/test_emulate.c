// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/x86/emulate.c.  Arithmetic flags are checked against
 * this machine's own CPU executing the same instruction; MMIO instruction
 * emulation is driven through decode + step against a fake device.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "kmod/x86/decode.h"
#include "kmod/x86/emulate.h"

/* ---- flags against the host CPU ----------------------------------------- */

#define HW_ALU(name, type, mnemonic)					\
static u64 hw_##name(u64 a, u64 b, u64 flags_in, u64 *flags_out)	\
{									\
	type x = (type)a, y = (type)b;					\
	u64 f;								\
									\
	asm volatile("sub $128, %%rsp\n\t"				\
		     "push %[fin]\n\tpopf\n\t"			\
		     mnemonic " %[y], %[x]\n\t"			\
		     "pushf\n\tpop %[f]\n\t"			\
		     "add $128, %%rsp"					\
		     : [x] "+r" (x), [f] "=&r" (f)			\
		     : [y] "r" (y), [fin] "r" (flags_in) : "cc", "memory"); \
	*flags_out = f;							\
	return (u64)x;							\
}

#define HW_ALU_SIZES(op)						\
	HW_ALU(op##8, uint8_t, #op "b")					\
	HW_ALU(op##16, uint16_t, #op "w")				\
	HW_ALU(op##32, uint32_t, #op "l")				\
	HW_ALU(op##64, uint64_t, #op "q")

HW_ALU_SIZES(add)
HW_ALU_SIZES(or)
HW_ALU_SIZES(adc)
HW_ALU_SIZES(sbb)
HW_ALU_SIZES(and)
HW_ALU_SIZES(sub)
HW_ALU_SIZES(xor)
HW_ALU_SIZES(cmp)
HW_ALU_SIZES(test)

typedef u64 (*hw_fn)(u64, u64, u64, u64 *);

#define ROW(op) { hw_##op##8, hw_##op##16, hw_##op##32, hw_##op##64 }
static const hw_fn hw[9][4] = {
	ROW(add), ROW(or), ROW(adc), ROW(sbb), ROW(and), ROW(sub), ROW(xor),
	ROW(cmp), ROW(test),
};

static u64 rnd(void)
{
	return (u64)random() << 62 ^ (u64)random() << 31 ^ (u64)random();
}

/* Values near the edges, where carries and overflows happen. */
static u64 interesting(unsigned int i)
{
	static const u64 v[] = {
		0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
		0x80000000, 0xffffffff, 0x7fffffffffffffffull,
		0x8000000000000000ull, ~0ull, 0x0f, 0x10, 0xf0f0f0f0f0f0f0f0ull,
	};

	return i < sizeof(v) / sizeof(v[0]) ? v[i] : rnd();
}

static void test_alu_flags_match_cpu(void **state)
{
	unsigned int op, s, i, j, cf;

	(void)state;
	srandom(1);
	for (op = VHV_ALU_ADD; op <= VHV_ALU_TEST; op++) {
		bool logic = op == VHV_ALU_OR || op == VHV_ALU_AND ||
			     op == VHV_ALU_XOR || op == VHV_ALU_TEST;
		/* AF is undefined after logic operations. */
		u64 check = VHV_RFLAGS_ARITH & ~(logic ? VHV_RFLAGS_AF : 0);

		for (s = 0; s < 4; s++) {
			unsigned int size = 1u << s;

			for (i = 0; i < 40; i++) {
				for (j = 0; j < 40; j++) {
					for (cf = 0; cf < 2; cf++) {
						u64 a = interesting(i), b = interesting(j);
						u64 fin = 0x202 | cf, hwf, ours = fin;
						u64 hr = hw[op][s](a, b, fin, &hwf);
						u64 r = vhv_alu(op, size, a, b, &ours);
						u64 mask = size == 8 ? ~0ull : (1ull << (8 * size)) - 1;

						if (op != VHV_ALU_CMP && op != VHV_ALU_TEST &&
						    r != (hr & mask))
							fail_msg("op %u size %u %#llx,%#llx cf %u: result %#llx, cpu %#llx",
								 op, size, (unsigned long long)a,
								 (unsigned long long)b, cf,
								 (unsigned long long)r,
								 (unsigned long long)hr);
						if ((ours ^ hwf) & check)
							fail_msg("op %u size %u %#llx,%#llx cf %u: flags %#llx, cpu %#llx",
								 op, size, (unsigned long long)a,
								 (unsigned long long)b, cf,
								 (unsigned long long)ours,
								 (unsigned long long)hwf);
					}
				}
			}
		}
	}
}

/* ---- MMIO emulation through decode + step ------------------------------- */

struct fake_dev {
	u64 base;
	u8 mem[64];
	unsigned int reads, writes;
};

/* Decodes bytes and runs the instruction to completion against dev. */
static int run(const u8 *bytes, unsigned int n, unsigned int mode,
	       struct vhv_regs *regs, struct fake_dev *dev, u64 gpa, u64 src_gpa)
{
	struct vhv_emul e = { .gpa = gpa, .src_gpa = src_gpa };
	struct vhv_mem_access acc = { 0 };
	int r;

	assert_int_equal(vhv_decode_mmio(bytes, n, mode, &e.insn), 0);
	for (;;) {
		r = vhv_emul_step(&e, regs, &acc);
		if (r != VHV_EMUL_ACCESS)
			return r;
		assert_true(acc.gpa >= dev->base && acc.gpa + acc.size <= dev->base + 64);
		if (acc.write) {
			memcpy(&dev->mem[acc.gpa - dev->base], &acc.data, acc.size);
			dev->writes++;
		} else {
			acc.data = 0;
			memcpy(&acc.data, &dev->mem[acc.gpa - dev->base], acc.size);
			dev->reads++;
		}
	}
}

#define RUN(mode, regs, dev, gpa, ...)					\
	({								\
		static const u8 b_[] = { __VA_ARGS__ };			\
		run(b_, sizeof(b_), mode, regs, dev, gpa, 0);		\
	})

static u64 mem64(struct fake_dev *d, unsigned int off)
{
	u64 v;

	memcpy(&v, &d->mem[off], 8);
	return v;
}

static void test_mov_forms(void **state)
{
	struct fake_dev d = { .base = 0xfe000000 };
	struct vhv_regs r = { .rax = 0x1122334455667788ull, .rflags = 2 };

	(void)state;
	/* mov [rdi], eax: 4 bytes out */
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base, 0x89, 0x07), VHV_EMUL_DONE);
	assert_true(mem64(&d, 0) == 0x55667788);
	/* mov [rdi], ah */
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base + 8, 0x88, 0x27), VHV_EMUL_DONE);
	assert_int_equal(d.mem[8], 0x77);
	/* mov rbx, [rdi]: 8 bytes in */
	memset(d.mem + 16, 0xab, 8);
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base + 16, 0x48, 0x8b, 0x1f), VHV_EMUL_DONE);
	assert_true(r.rbx == 0xababababababababull);
	/* mov ebx, [rdi] zero-extends into rbx */
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base + 16, 0x8b, 0x1f), VHV_EMUL_DONE);
	assert_true(r.rbx == 0xababababull);
	/* mov bx, [rdi] keeps the upper bits */
	r.rbx = 0x1111111111111111ull;
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base + 16, 0x66, 0x8b, 0x1f), VHV_EMUL_DONE);
	assert_true(r.rbx == 0x111111111111ababull);
	/* mov r9b, [rdi] */
	r.r9 = ~0ull;
	d.mem[0] = 0x42;
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base, 0x44, 0x8a, 0x0f), VHV_EMUL_DONE);
	assert_true(r.r9 == 0xffffffffffffff42ull);
	/* movzx ecx, byte [rdi] / movsx rcx, word [rdi] / movsxd rcx, [rdi] */
	d.mem[0] = 0x80;
	d.mem[1] = 0xff;
	r.rcx = ~0ull;
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base, 0x0f, 0xb6, 0x0f), VHV_EMUL_DONE);
	assert_true(r.rcx == 0x80);
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base, 0x48, 0x0f, 0xbf, 0x0f), VHV_EMUL_DONE);
	assert_true(r.rcx == 0xffffffffffffff80ull);
	memcpy(d.mem, "\x00\x00\x00\x80", 4);
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base, 0x48, 0x63, 0x0f), VHV_EMUL_DONE);
	assert_true(r.rcx == 0xffffffff80000000ull);
	/* immediate stores */
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base + 32, 0x48, 0xc7, 0x07, 0xfe, 0xff, 0xff, 0xff),
			 VHV_EMUL_DONE);
	assert_true(mem64(&d, 32) == 0xfffffffffffffffeull);
	assert_int_equal(RUN(VHV_MODE_16, &r, &d, d.base + 40, 0xc7, 0x07, 0x34, 0x12), VHV_EMUL_DONE);
	assert_int_equal(d.mem[40] | d.mem[41] << 8, 0x1234);
}

static void test_alu_rmw(void **state)
{
	struct fake_dev d = { .base = 0x1000 };
	struct vhv_regs r = { .rax = 0x0f, .rflags = 2 };

	(void)state;
	/* or [rdi], eax: read, then write back */
	d.mem[0] = 0xf0;
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base, 0x09, 0x07), VHV_EMUL_DONE);
	assert_int_equal(d.mem[0], 0xff);
	assert_int_equal(d.reads, 1);
	assert_int_equal(d.writes, 1);
	/* and dword [rdi], -16 */
	memset(d.mem, 0xff, 4);
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base, 0x83, 0x27, 0xf0), VHV_EMUL_DONE);
	assert_true((mem64(&d, 0) & 0xffffffff) == 0xfffffff0);
	/* cmp byte [rdi], 5: flags only, no write */
	d.writes = 0;
	d.mem[0] = 5;
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base, 0x80, 0x3f, 0x05), VHV_EMUL_DONE);
	assert_true(r.rflags & VHV_RFLAGS_ZF);
	assert_int_equal(d.writes, 0);
	/* test [rdi], eax sets ZF when no bit is common */
	d.mem[0] = 0xf0;
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base, 0x85, 0x07), VHV_EMUL_DONE);
	assert_true(r.rflags & VHV_RFLAGS_ZF);
	/* sub eax, [rdi]: register destination */
	memcpy(d.mem, "\x10\x00\x00\x00", 4);
	r.rax = 0x0f;
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base, 0x2b, 0x07), VHV_EMUL_DONE);
	assert_true(r.rax == 0xffffffff && (r.rflags & VHV_RFLAGS_CF));
	/* adc [rdi], eax with CF set */
	memset(d.mem, 0, 8);
	r.rax = 1;
	r.rflags |= VHV_RFLAGS_CF;
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base, 0x11, 0x07), VHV_EMUL_DONE);
	assert_int_equal(d.mem[0], 2);
}

static void test_bt_xchg(void **state)
{
	struct fake_dev d = { .base = 0x2000 };
	struct vhv_regs r = { .rax = 35, .rflags = 2 };

	(void)state;
	/* bt dword [rdi], eax: bit 35 mod 32 = 3 */
	d.mem[0] = 0x08;
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base, 0x0f, 0xa3, 0x07), VHV_EMUL_DONE);
	assert_true(r.rflags & VHV_RFLAGS_CF);
	/* bts dword [rdi], 5 */
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base, 0x0f, 0xba, 0x2f, 0x05), VHV_EMUL_DONE);
	assert_int_equal(d.mem[0], 0x28);
	assert_false(r.rflags & VHV_RFLAGS_CF);
	/* btr [rdi], 3 */
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base, 0x0f, 0xba, 0x37, 0x03), VHV_EMUL_DONE);
	assert_int_equal(d.mem[0], 0x20);
	assert_true(r.rflags & VHV_RFLAGS_CF);
	/* xchg [rdi], ecx */
	memcpy(d.mem, "\x44\x33\x22\x11", 4);
	r.rcx = 0xaabbccddeeff0011ull;
	assert_int_equal(RUN(VHV_MODE_64, &r, &d, d.base, 0x87, 0x0f), VHV_EMUL_DONE);
	assert_true(r.rcx == 0x11223344);
	assert_true((mem64(&d, 0) & 0xffffffff) == 0xeeff0011);
}

static void test_string_ops(void **state)
{
	struct fake_dev d = { .base = 0x3000 };
	struct vhv_regs r = { .rax = 0x5a, .rdi = 0x100, .rcx = 3, .rflags = 2 };
	int i;

	(void)state;
	/* rep stosb: one iteration per step, RIP stays until rCX reaches 0 */
	for (i = 0; i < 3; i++) {
		int res = RUN(VHV_MODE_64, &r, &d, d.base + i, 0xf3, 0xaa);

		assert_int_equal(res, i < 2 ? VHV_EMUL_REPEAT : VHV_EMUL_DONE);
	}
	assert_true(r.rcx == 0 && r.rdi == 0x103);
	assert_memory_equal(d.mem, "\x5a\x5a\x5a", 3);
	/* std; stosw in 16-bit code: DI wraps within 16 bits, moving down */
	r.rflags |= VHV_RFLAGS_DF;
	r.rdi = 0xffff0000;
	assert_int_equal(RUN(VHV_MODE_16, &r, &d, d.base + 8, 0xab), VHV_EMUL_DONE);
	assert_true(r.rdi == 0xfffffffe);
	r.rflags &= ~VHV_RFLAGS_DF;
	/* movsd from one GPA to another */
	{
		static const u8 movsd[] = { 0xa5 };

		memcpy(d.mem + 32, "\x01\x02\x03\x04", 4);
		r.rsi = 0x500;
		r.rdi = 0x600;
		assert_int_equal(run(movsd, 1, VHV_MODE_64, &r, &d, d.base + 48, d.base + 32),
				 VHV_EMUL_DONE);
		assert_memory_equal(d.mem + 48, "\x01\x02\x03\x04", 4);
		assert_true(r.rsi == 0x504 && r.rdi == 0x604);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_alu_flags_match_cpu),
		cmocka_unit_test(test_mov_forms),
		cmocka_unit_test(test_alu_rmw),
		cmocka_unit_test(test_bt_xchg),
		cmocka_unit_test(test_string_ops),
	};

	return cmocka_run_group_tests_name("emulate", tests, NULL, NULL);
}
