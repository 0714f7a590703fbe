// SPDX-License-Identifier: GPL-2.0
/* Unit tests for kmod/x86/walk.c: guest page walks in every paging mode. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kmod/x86/walk.h"
#include "kmod/x86/arch_bits.h"

#define MEM_SIZE (1u << 20)	/* guest RAM: 1 MiB at guest-physical 0 */
static u8 ram[MEM_SIZE];

static int read_gpa(void *ctx, u64 gpa, void *buf, unsigned int len)
{
	(void)ctx;
	if (gpa + len > MEM_SIZE)
		return -EFAULT;
	memcpy(buf, ram + gpa, len);
	return 0;
}

static void put64(u64 gpa, u64 v) { memcpy(ram + gpa, &v, 8); }
static void put32(u64 gpa, u32 v) { memcpy(ram + gpa, &v, 4); }

#define P 1ull
#define RW 2ull
#define US 4ull
#define PS 0x80ull
#define NX (1ull << 63)

static struct vhv_walk_env env(u64 cr0, u64 cr3, u64 cr4, u64 efer)
{
	return (struct vhv_walk_env) {
		.cr0 = cr0, .cr3 = cr3, .cr4 = cr4, .efer = efer,
		.phys_bits = 40, .read_gpa = read_gpa,
	};
}

static void test_no_paging(void **state)
{
	struct vhv_walk_env e = env(VHV_CR0_PE, 0, 0, 0);
	u64 gpa;
	u32 err;

	(void)state;
	assert_int_equal(vhv_walk(&e, 0x12345678, VHV_PF_WRITE, &gpa, &err), 0);
	assert_true(gpa == 0x12345678);
}

/* 4-level: 0x7f0000201234 -> 4 KiB page at 0x9000; 0x40000000 -> 2 MiB. */
static void build_long_mode(void)
{
	memset(ram, 0, sizeof(ram));
	put64(0x1000 + 0xfe * 8, 0x2000 | P | RW | US);		/* PML4[0xfe] */
	put64(0x2000 + 0 * 8, 0x3000 | P | RW | US);		/* PDPT[0] */
	put64(0x3000 + 1 * 8, 0x4000 | P | RW | US);		/* PD[1] */
	put64(0x4000 + 1 * 8, 0x9000 | P | US);			/* PT[1]: read-only */
	put64(0x4000 + 2 * 8, 0xa000 | P | RW);			/* PT[2]: supervisor */
	put64(0x4000 + 3 * 8, 0xb000 | P | RW | US | NX);	/* PT[3]: no-exec */
	put64(0x1000 + 0 * 8, 0x5000 | P | RW);			/* PML4[0] */
	put64(0x5000 + 1 * 8, 0x6000 | P | RW);			/* PDPT[1] */
	put64(0x6000 + 0 * 8, 0x200000 | P | RW | PS);		/* PD[0]: 2 MiB */
	put64(0x6000 + 1 * 8, 0x0ff0000000ull | P | RW | PS);	/* PS beyond RAM */
	put64(0x6000 + 2 * 8, (1ull << 45) | P | RW | PS);	/* reserved bits */
}

static void test_long_mode(void **state)
{
	struct vhv_walk_env e = env(VHV_CR0_PE | VHV_CR0_PG | VHV_CR0_WP, 0x1000,
				    VHV_CR4_PAE, VHV_EFER_LME | VHV_EFER_LMA | VHV_EFER_NXE);
	u64 base = 0x7f0000200000ull, gpa;
	u32 err;

	(void)state;
	build_long_mode();
	assert_int_equal(vhv_walk(&e, base + 0x1234, 0, &gpa, &err), 0);
	assert_true(gpa == 0x9234);
	assert_int_equal(vhv_walk(&e, 0x40123456, VHV_PF_WRITE, &gpa, &err), 0);
	assert_true(gpa == 0x323456);
	/* read-only page: supervisor write faults under CR0.WP, not without */
	assert_int_equal(vhv_walk(&e, base + 0x1000, VHV_PF_WRITE, &gpa, &err), -EFAULT);
	assert_int_equal(err, VHV_PF_PRESENT | VHV_PF_WRITE);
	e.cr0 &= ~VHV_CR0_WP;
	assert_int_equal(vhv_walk(&e, base + 0x1000, VHV_PF_WRITE, &gpa, &err), 0);
	/* user access to a supervisor page */
	assert_int_equal(vhv_walk(&e, base + 0x2000, VHV_PF_USER, &gpa, &err), -EFAULT);
	assert_int_equal(err, VHV_PF_PRESENT | VHV_PF_USER);
	/* fetch from an NX page */
	assert_int_equal(vhv_walk(&e, base + 0x3000, VHV_PF_FETCH, &gpa, &err), -EFAULT);
	assert_int_equal(err, VHV_PF_PRESENT | VHV_PF_FETCH);
	/* not present */
	assert_int_equal(vhv_walk(&e, base + 0x4000, 0, &gpa, &err), -EFAULT);
	assert_int_equal(err, 0);
	/* reserved bits in a 2 MiB entry */
	assert_int_equal(vhv_walk(&e, 0x40400000, 0, &gpa, &err), -EFAULT);
	assert_int_equal(err, VHV_PF_PRESENT | VHV_PF_RSVD);
	/* non-canonical */
	assert_int_equal(vhv_walk(&e, 0x0000800000000000ull, 0, &gpa, &err), -EINVAL);
	/* page tables outside RAM */
	e.cr3 = 0x200000;
	assert_int_equal(vhv_walk(&e, 0, 0, &gpa, &err), -EIO);
	assert_true(gpa == 0x200000);
}

static void test_pae(void **state)
{
	struct vhv_walk_env e = env(VHV_CR0_PE | VHV_CR0_PG, 0x1020, VHV_CR4_PAE, 0);
	u64 gpa;
	u32 err;

	(void)state;
	memset(ram, 0, sizeof(ram));
	put64(0x1020 + 3 * 8, 0x2000 | P);		/* PDPTE[3] */
	put64(0x2000 + 0x1ff * 8, 0x3000 | P | RW);	/* PD[511] */
	put64(0x3000 + 0x1ff * 8, 0x7000 | P | RW);	/* PT[511] */
	put64(0x2000 + 0 * 8, 0x400000 | P | RW | PS);	/* 2 MiB at 0xc0000000 */
	assert_int_equal(vhv_walk(&e, 0xfffff123, VHV_PF_WRITE, &gpa, &err), 0);
	assert_true(gpa == 0x7123);
	assert_int_equal(vhv_walk(&e, 0xc0001000, 0, &gpa, &err), 0);
	assert_true(gpa == 0x401000);
	/* NX set without EFER.NXE is a reserved bit */
	put64(0x3000 + 0x1ff * 8, 0x7000 | P | RW | NX);
	assert_int_equal(vhv_walk(&e, 0xfffff123, 0, &gpa, &err), -EFAULT);
	assert_int_equal(err, VHV_PF_PRESENT | VHV_PF_RSVD);
}

static void test_legacy_32bit(void **state)
{
	struct vhv_walk_env e = env(VHV_CR0_PE | VHV_CR0_PG, 0x1000, VHV_CR4_PSE, 0);
	u64 gpa;
	u32 err;

	(void)state;
	memset(ram, 0, sizeof(ram));
	put32(0x1000 + 0x300 * 4, 0x2000 | P | RW | US);	/* PDE[0x300] */
	put32(0x2000 + 0x005 * 4, 0x8000 | P | US);		/* PTE[5] */
	put32(0x1000 + 0x001 * 4, 0x00400000 | (3u << 13) | P | RW | PS); /* 4 MiB, PSE-36 */
	assert_int_equal(vhv_walk(&e, 0xc0005abc, VHV_PF_USER, &gpa, &err), 0);
	assert_true(gpa == 0x8abc);
	assert_int_equal(vhv_walk(&e, 0xc0005abc, VHV_PF_USER | VHV_PF_WRITE, &gpa, &err),
			 -EFAULT);
	assert_int_equal(vhv_walk(&e, 0x00412345, 0, &gpa, &err), 0);
	assert_true(gpa == 0x300412345ull);
	e.cr4 = 0;	/* without PSE the PS bit is ignored: 0x400000 is a table */
	assert_int_equal(vhv_walk(&e, 0x00412345, 0, &gpa, &err), -EIO);
}

/*
 * Reserved bits the CPU's own walk faults on (what fuzz_walk found first:
 * a 4 MiB page translated past the physical address width).
 */
static void test_reserved_bits(void **state)
{
	struct vhv_walk_env e = env(VHV_CR0_PE | VHV_CR0_PG, 0x1000, VHV_CR4_PSE, 0);
	const u32 rsvd = VHV_PF_PRESENT | VHV_PF_RSVD;
	u64 gpa;
	u32 err;

	(void)state;
	/* 32-bit, 4 MiB: address bits 39:32 up to M - 1, bits 21:(M-19) reserved */
	memset(ram, 0, sizeof(ram));
	put32(0x1000 + 1 * 4, 0x00400000 | (1u << 17) | P | PS);	/* bit 36 */
	put32(0x1000 + 2 * 4, 0x00800000 | (1u << 21) | P | PS);
	e.phys_bits = 36;
	assert_int_equal(vhv_walk(&e, 0x00400000, 0, &gpa, &err), -EFAULT);
	assert_int_equal(err, rsvd);
	e.phys_bits = 40;
	assert_int_equal(vhv_walk(&e, 0x00400000, 0, &gpa, &err), 0);
	assert_true(gpa == 0x1000400000ull);
	e.phys_bits = 48;	/* 32-bit paging stops at 40 bits: 21 stays reserved */
	assert_int_equal(vhv_walk(&e, 0x00800000, 0, &gpa, &err), -EFAULT);
	assert_int_equal(err, rsvd);

	/* PAE: a PDPTE's R/W, U/S and 8:5 are reserved */
	e = env(VHV_CR0_PE | VHV_CR0_PG, 0x1000, VHV_CR4_PAE, 0);
	memset(ram, 0, sizeof(ram));
	put64(0x1000, 0x2000 | P | RW);
	put64(0x2000, 0x200000 | P | RW | PS);
	assert_int_equal(vhv_walk(&e, 0x1234, 0, &gpa, &err), -EFAULT);
	assert_int_equal(err, rsvd);
	put64(0x1000, 0x2000 | P);
	assert_int_equal(vhv_walk(&e, 0x1234, 0, &gpa, &err), 0);
	/* ... bits 62:52 of any PAE entry (IA-32e leaves them to software) */
	put64(0x2000, 0x200000 | (1ull << 60) | P | RW | PS);
	assert_int_equal(vhv_walk(&e, 0x1234, 0, &gpa, &err), -EFAULT);
	assert_int_equal(err, rsvd);
	/* ... and a 2 MiB page's bits 20:13 */
	put64(0x2000, 0x200000 | (1ull << 13) | P | RW | PS);
	assert_int_equal(vhv_walk(&e, 0x1234, 0, &gpa, &err), -EFAULT);
	assert_int_equal(err, rsvd);

	/* 4-level: PS in a PML4E, a 1 GiB page's bits 29:13, PAT (12) allowed */
	e = env(VHV_CR0_PE | VHV_CR0_PG, 0x1000, VHV_CR4_PAE, VHV_EFER_LME | VHV_EFER_LMA);
	memset(ram, 0, sizeof(ram));
	put64(0x1000, 0x2000 | P | RW | PS);
	assert_int_equal(vhv_walk(&e, 0x1234, 0, &gpa, &err), -EFAULT);
	assert_int_equal(err, rsvd);
	put64(0x1000, 0x2000 | P | RW);
	put64(0x2000, 0x40000000 | (1ull << 20) | P | RW | PS);
	assert_int_equal(vhv_walk(&e, 0x1234, 0, &gpa, &err), -EFAULT);
	assert_int_equal(err, rsvd);
	put64(0x2000, 0x40000000 | (1ull << 12) | P | RW | PS);
	assert_int_equal(vhv_walk(&e, 0x1234, 0, &gpa, &err), 0);
	assert_true(gpa == 0x40001234);
	put64(0x2000, 0x40000000 | (1ull << 60) | P | RW | PS);	/* software's */
	assert_int_equal(vhv_walk(&e, 0x1234, 0, &gpa, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_paging),
		cmocka_unit_test(test_long_mode),
		cmocka_unit_test(test_pae),
		cmocka_unit_test(test_legacy_32bit),
		cmocka_unit_test(test_reserved_bits),
	};

	return cmocka_run_group_tests_name("walk", tests, NULL, NULL);
}
