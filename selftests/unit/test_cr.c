// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kmod/x86/cr.c: a MOV to CR0, CR3 or CR4 as the CPU checks
 * it (for CR3: PCID's no-flush bit 63, reserved bits from MAXPHYADDR up).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kmod/x86/cr.h"
#include "kmod/x86/arch_bits.h"

#define PHYS_BITS	46
#define LONG_MODE	(VHV_EFER_LME | VHV_EFER_LMA)
#define CR4_LONG	(VHV_CR4_PAE | VHV_CR4_PGE)
#define CR4_PCID	(CR4_LONG | VHV_CR4_PCIDE)
/* A page table root at 0x12345000 with PCID 0x7a. */
#define ROOT		0x12345000ull
#define PCID		0x7aull
#define BIT(n)		VHV_BIT(n)

static u64 cr3;
static bool noflush;

static int mov(u64 val, u64 cr4, u64 efer)
{
	cr3 = 0xdeadbeefull;
	noflush = true;
	return vhv_mov_to_cr3(val, cr4, efer, PHYS_BITS, &cr3, &noflush);
}

/* Linux's switch to a PCID whose entries are current: accepted, bit 63 not stored. */
static void test_pcid_noflush(void **state)
{
	(void)state;
	assert_int_equal(mov(ROOT | PCID | BIT(63), CR4_PCID, LONG_MODE), 0);
	assert_int_equal(cr3, ROOT | PCID);
	assert_true(noflush);
}

static void test_pcid_flush(void **state)
{
	(void)state;
	assert_int_equal(mov(ROOT | PCID, CR4_PCID, LONG_MODE), 0);
	assert_int_equal(cr3, ROOT | PCID);
	assert_false(noflush);
}

/* Without CR4.PCIDE bit 63 is reserved. */
static void test_bit63_without_pcide(void **state)
{
	(void)state;
	assert_int_equal(mov(ROOT | BIT(63), CR4_LONG, LONG_MODE), -EINVAL);
	assert_int_equal(cr3, 0xdeadbeefull);	/* untouched on #GP */
	assert_int_equal(mov(ROOT | 0x18, CR4_LONG, LONG_MODE), 0);	/* PWT PCD */
	assert_int_equal(cr3, ROOT | 0x18);
	assert_false(noflush);
}

/*
 * Bit 62 is reserved, with PCIDE or not, and bit 63 does not excuse it;
 * so is LAM's 61 (vhv offers no LAM).
 */
static void test_bits_62_61(void **state)
{
	(void)state;
	assert_int_equal(mov(ROOT | BIT(62), CR4_PCID, LONG_MODE), -EINVAL);
	assert_int_equal(mov(ROOT | BIT(63) | BIT(62), CR4_PCID, LONG_MODE), -EINVAL);
	assert_int_equal(mov(ROOT | BIT(61), CR4_PCID, LONG_MODE), -EINVAL);
	assert_int_equal(mov(ROOT | BIT(63) | BIT(61), CR4_PCID, LONG_MODE), -EINVAL);
	assert_int_equal(mov(ROOT | BIT(62), CR4_LONG, LONG_MODE), -EINVAL);
	assert_int_equal(mov(ROOT | BIT(61), CR4_LONG, LONG_MODE), -EINVAL);
}

/* Bits from MAXPHYADDR up are reserved; the one below is the root's. */
static void test_maxphyaddr(void **state)
{
	(void)state;
	assert_int_equal(mov(BIT(PHYS_BITS), CR4_PCID, LONG_MODE), -EINVAL);
	assert_int_equal(mov(BIT(PHYS_BITS) | BIT(63), CR4_PCID, LONG_MODE), -EINVAL);
	assert_int_equal(mov(BIT(PHYS_BITS + 5), CR4_LONG, LONG_MODE), -EINVAL);
	assert_int_equal(mov(BIT(PHYS_BITS - 1) | ROOT, CR4_LONG, LONG_MODE), 0);
	assert_int_equal(cr3, BIT(PHYS_BITS - 1) | ROOT);
	assert_int_equal(mov(BIT(PHYS_BITS - 1) | BIT(63), CR4_PCID, LONG_MODE), 0);
	assert_int_equal(cr3, BIT(PHYS_BITS - 1));
	assert_true(noflush);
}

/*
 * Outside long mode PCIDE cannot be set (the entry checks refuse it), and
 * the operand has 32 bits: any value goes, and always flushes.
 */
static void test_legacy_modes(void **state)
{
	(void)state;
	assert_int_equal(mov(0xfffff000, VHV_CR4_PAE, 0), 0);	/* PAE */
	assert_int_equal(cr3, 0xfffff000);
	assert_false(noflush);
	assert_int_equal(mov(0xffffffff, 0, 0), 0);		/* 32-bit paging */
	assert_int_equal(cr3, 0xffffffff);
	assert_false(noflush);
	/* Not a long-mode MOV, whatever CR4 says: bit 63 stays reserved. */
	assert_int_equal(mov(ROOT | BIT(63), CR4_PCID, 0), -EINVAL);
}

/* ---- MOV to CR0 --------------------------------------------------------- */

#define CR0_PROT	(VHV_CR0_PE | VHV_CR0_ET | VHV_CR0_NE)
#define CR0_PAGED	(CR0_PROT | VHV_CR0_PG | VHV_CR0_WP)

static void test_cr0_basic(void **state)
{
	(void)state;
	assert_true(vhv_mov_to_cr0_ok(CR0_PROT, CR0_PROT | VHV_CR0_TS, 0, 0, false));
	assert_true(vhv_mov_to_cr0_ok(CR0_PROT, CR0_PROT | VHV_CR0_CD | VHV_CR0_NW,
				      0, 0, false));
	/* Bits 63:32, PG without PE, NW without CD. */
	assert_false(vhv_mov_to_cr0_ok(CR0_PAGED, CR0_PAGED | BIT(32), CR4_LONG,
				       LONG_MODE, true));
	assert_false(vhv_mov_to_cr0_ok(0, VHV_CR0_PG, 0, 0, false));
	assert_false(vhv_mov_to_cr0_ok(CR0_PROT, CR0_PROT | VHV_CR0_NW, 0, 0, false));
}

/* Paging on with EFER.LME enters IA-32e mode, which needs CR4.PAE. */
static void test_cr0_enter_long_mode(void **state)
{
	(void)state;
	assert_true(vhv_mov_to_cr0_ok(CR0_PROT, CR0_PAGED, VHV_CR4_PAE,
				      VHV_EFER_LME, false));
	assert_false(vhv_mov_to_cr0_ok(CR0_PROT, CR0_PAGED, 0, VHV_EFER_LME, false));
	/* Without LME: 32-bit paging, no PAE needed. */
	assert_true(vhv_mov_to_cr0_ok(CR0_PROT, CR0_PAGED, 0, 0, false));
}

/*
 * Paging off: from compatibility mode only, and never with CR4.PCIDE set
 * (vhv took that, and VM entry then failed on PCIDE outside IA-32e mode).
 */
static void test_cr0_leave_long_mode(void **state)
{
	(void)state;
	assert_true(vhv_mov_to_cr0_ok(CR0_PAGED, CR0_PROT, CR4_LONG, LONG_MODE, false));
	assert_false(vhv_mov_to_cr0_ok(CR0_PAGED, CR0_PROT, CR4_LONG, LONG_MODE, true));
	assert_false(vhv_mov_to_cr0_ok(CR0_PAGED, CR0_PROT, CR4_PCID, LONG_MODE, false));
	/* PCIDE stays set while paging stays on. */
	assert_true(vhv_mov_to_cr0_ok(CR0_PAGED, CR0_PAGED | VHV_CR0_CD, CR4_PCID,
				      LONG_MODE, true));
	/* 32-bit paging off. */
	assert_true(vhv_mov_to_cr0_ok(CR0_PAGED, CR0_PROT, 0, 0, false));
}

/* ---- MOV to CR4 --------------------------------------------------------- */

#define CR4_VALID	(VHV_CR4_BASELINE | VHV_CR4_PCIDE | VHV_CR4_LA57 | \
			 VHV_CR4_OSXSAVE)

static void test_cr4_basic(void **state)
{
	(void)state;
	assert_true(vhv_mov_to_cr4_ok(CR4_LONG, CR4_LONG | VHV_CR4_OSXSAVE, ROOT,
				      LONG_MODE, CR4_VALID));
	/* A bit vhv does not offer; PAE off in IA-32e mode. */
	assert_false(vhv_mov_to_cr4_ok(CR4_LONG, CR4_LONG | VHV_CR4_SMEP, ROOT,
				       LONG_MODE, CR4_VALID));
	assert_false(vhv_mov_to_cr4_ok(CR4_LONG, VHV_CR4_PGE, ROOT, LONG_MODE,
				       CR4_VALID));
	assert_true(vhv_mov_to_cr4_ok(VHV_CR4_PAE, 0, ROOT, 0, CR4_VALID));
}

/* PCIDE turned on: in IA-32e mode, with PCID 0 current. */
static void test_cr4_pcide(void **state)
{
	(void)state;
	assert_true(vhv_mov_to_cr4_ok(CR4_LONG, CR4_PCID, ROOT, LONG_MODE, CR4_VALID));
	assert_false(vhv_mov_to_cr4_ok(CR4_LONG, CR4_PCID, ROOT | 1, LONG_MODE,
				       CR4_VALID));
	assert_false(vhv_mov_to_cr4_ok(VHV_CR4_PAE, VHV_CR4_PAE | VHV_CR4_PCIDE,
				       ROOT, 0, CR4_VALID));
	/* Already on: any PCID; off: always. */
	assert_true(vhv_mov_to_cr4_ok(CR4_PCID, CR4_PCID | VHV_CR4_OSXSAVE,
				      ROOT | PCID, LONG_MODE, CR4_VALID));
	assert_true(vhv_mov_to_cr4_ok(CR4_PCID, CR4_LONG, ROOT | PCID, LONG_MODE,
				      CR4_VALID));
}

/* LA57 cannot change in IA-32e mode (vhv took that when another bit exited). */
static void test_cr4_la57(void **state)
{
	(void)state;
	assert_false(vhv_mov_to_cr4_ok(CR4_LONG, CR4_LONG | VHV_CR4_LA57 |
				       VHV_CR4_OSXSAVE, ROOT, LONG_MODE, CR4_VALID));
	assert_false(vhv_mov_to_cr4_ok(CR4_LONG | VHV_CR4_LA57, CR4_LONG, ROOT,
				       LONG_MODE, CR4_VALID));
	assert_true(vhv_mov_to_cr4_ok(CR4_LONG | VHV_CR4_LA57,
				      CR4_LONG | VHV_CR4_LA57 | VHV_CR4_OSXSAVE,
				      ROOT, LONG_MODE, CR4_VALID));
	/* Outside it, set up before paging goes on: fine. */
	assert_true(vhv_mov_to_cr4_ok(VHV_CR4_PAE, VHV_CR4_PAE | VHV_CR4_LA57, 0,
				      VHV_EFER_LME, CR4_VALID));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcid_noflush),
		cmocka_unit_test(test_pcid_flush),
		cmocka_unit_test(test_bit63_without_pcide),
		cmocka_unit_test(test_bits_62_61),
		cmocka_unit_test(test_maxphyaddr),
		cmocka_unit_test(test_legacy_modes),
		cmocka_unit_test(test_cr0_basic),
		cmocka_unit_test(test_cr0_enter_long_mode),
		cmocka_unit_test(test_cr0_leave_long_mode),
		cmocka_unit_test(test_cr4_basic),
		cmocka_unit_test(test_cr4_pcide),
		cmocka_unit_test(test_cr4_la57),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
