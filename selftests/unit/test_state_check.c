// SPDX-License-Identifier: GPL-2.0
/* Unit tests for kmod/x86/state_check.c: register state validation. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kmod/x86/state_check.h"
#include "kmod/x86/arch_bits.h"

static const struct vhv_cpu_limits lim = {
	.cr4_valid = VHV_CR4_BASELINE | VHV_CR4_OSXSAVE | VHV_CR4_PCIDE,
	.efer_valid = VHV_EFER_SCE | VHV_EFER_LME | VHV_EFER_LMA | VHV_EFER_NXE,
	.phys_bits = 40,
};

static struct vhv_segment seg(uint8_t type, uint8_t l, uint8_t db)
{
	return (struct vhv_segment) {
		.limit = 0xffffffff, .type = type, .present = 1, .s = 1,
		.l = l, .db = db, .g = 1,
	};
}

static struct vhv_sregs real_mode(void)
{
	struct vhv_sregs s = { 0 };

	s.cs = seg(0xb, 0, 0);
	s.cs.limit = 0xffff;
	s.ds = s.es = s.fs = s.gs = s.ss = seg(3, 0, 0);
	s.tr = (struct vhv_segment) { .limit = 0xffff, .type = 0xb, .present = 1 };
	s.ldt = (struct vhv_segment) { .limit = 0xffff, .type = 2, .present = 1 };
	s.cr0 = VHV_CR0_ET | VHV_CR0_NW | VHV_CR0_CD;
	s.apic_base = 0xfee00000ull | VHV_APIC_BASE_EN | VHV_APIC_BASE_BSP;
	return s;
}

static struct vhv_sregs long_mode(void)
{
	struct vhv_sregs s = real_mode();

	s.cs = seg(0xb, 1, 0);
	s.cr0 = VHV_CR0_PE | VHV_CR0_PG | VHV_CR0_ET | VHV_CR0_NE;
	s.cr4 = VHV_CR4_PAE | VHV_CR4_PCIDE;
	s.efer = VHV_EFER_LME | VHV_EFER_LMA | VHV_EFER_NXE;
	s.cr3 = 0x12345000;
	return s;
}

static void test_valid_states(void **state)
{
	struct vhv_sregs s = real_mode();

	(void)state;
	assert_int_equal(vhv_check_sregs(&s, &lim), 0);
	s = long_mode();
	assert_int_equal(vhv_check_sregs(&s, &lim), 0);
	s.cs = seg(0xb, 0, 1);		/* compatibility mode */
	assert_int_equal(vhv_check_sregs(&s, &lim), 0);
	s = real_mode();
	s.cr0 = VHV_CR0_PE;		/* 32-bit protected, no paging */
	s.efer = VHV_EFER_LME;		/* LME alone: not active until PG */
	assert_int_equal(vhv_check_sregs(&s, &lim), 0);
	s.apic_base = 0;		/* APIC disabled */
	assert_int_equal(vhv_check_sregs(&s, &lim), 0);
}

static void test_invalid_states(void **state)
{
	struct vhv_sregs s;

	(void)state;
#define BAD(base, mutation)						\
	do {								\
		s = base();						\
		mutation;						\
		assert_int_equal(vhv_check_sregs(&s, &lim), -EINVAL);	\
	} while (0)
	BAD(long_mode, s.reserved[3] = 1);
	BAD(long_mode, s.fs.pad = 1);
	BAD(long_mode, s.tr.type = 16);
	BAD(long_mode, s.cs.dpl = 4);
	BAD(long_mode, s.gs.g = 2);
	BAD(long_mode, s.ldt.unusable = 7);
	BAD(long_mode, s.idt.pad[2] = 1);
	BAD(long_mode, s.cr0 |= 1ull << 40);
	BAD(long_mode, s.cr0 |= 1ull << 7);
	BAD(long_mode, s.cr4 |= VHV_CR4_SMEP);	/* not offered by lim */
	BAD(long_mode, s.efer |= 1ull << 12);
	BAD(long_mode, s.cr8 = 16);
	BAD(long_mode, s.cr3 = 1ull << 40);
	BAD(real_mode, s.apic_base |= 1);
	BAD(real_mode, s.apic_base |= 1ull << 40);
	BAD(real_mode, s.apic_base = VHV_APIC_BASE_EXTD);
#undef BAD
}

static u32 entry(const struct vhv_sregs *s)
{
	return vhv_check_entry_state(s->cr0, s->cr4, s->efer, s->cs.l, s->cs.db);
}

static void test_entry_state(void **state)
{
	struct vhv_sregs s;

	(void)state;
	s = real_mode();
	assert_int_equal(entry(&s), VHV_ENTRY_STATE_OK);
	s = long_mode();
	assert_int_equal(entry(&s), VHV_ENTRY_STATE_OK);
#define CHECK(base, mutation, code)					\
	do {								\
		s = base();						\
		mutation;						\
		assert_int_equal(vhv_check_sregs(&s, &lim), 0);		\
		assert_int_equal(entry(&s), code);			\
	} while (0)
	CHECK(real_mode, s.cr0 = VHV_CR0_NW, VHV_ENTRY_CHECK_CR0_NW_WITHOUT_CD);
	CHECK(long_mode, s.cr0 &= ~VHV_CR0_PE, VHV_ENTRY_CHECK_CR0_PG_WITHOUT_PE);
	CHECK(long_mode, s.efer &= ~VHV_EFER_LMA, VHV_ENTRY_CHECK_EFER_LMA);
	CHECK(real_mode, s.efer = VHV_EFER_LMA, VHV_ENTRY_CHECK_EFER_LMA);
	CHECK(long_mode, s.cr4 &= ~VHV_CR4_PAE, VHV_ENTRY_CHECK_LONG_MODE_WITHOUT_PAE);
	CHECK(long_mode, s.cs.db = 1, VHV_ENTRY_CHECK_LONG_MODE_CS_L_AND_D);
	CHECK(real_mode, s.cr4 = VHV_CR4_PCIDE, VHV_ENTRY_CHECK_PCIDE_OUTSIDE_LONG_MODE);
#undef CHECK
}

static void test_regs(void **state)
{
	struct vhv_regs r = { .rflags = 0x200 };

	(void)state;
	assert_int_equal(vhv_check_regs(&r), 0);
	assert_int_equal(r.rflags, 0x202);	/* bit 1 forced on */
	r.rflags = 0x2 | (1ull << 5);
	assert_int_equal(vhv_check_regs(&r), -EINVAL);
	r.rflags = 0x2 | (1ull << 15);
	assert_int_equal(vhv_check_regs(&r), -EINVAL);
	r.rflags = 0x2 | (1ull << 63);
	assert_int_equal(vhv_check_regs(&r), -EINVAL);
	r.rflags = 0x3f7fd5;		/* every defined bit */
	assert_int_equal(vhv_check_regs(&r), 0);
}

/*
 * A host booted with nopcid, nofsgsbase, no5lvl, nosmep, nosmap or
 * clearcpuid: the raw leaves still show the feature, the guest may not
 * set its CR4 bit, so the guest must not be told it has it.
 */
static void test_cpuid_follows_cr4(void **state)
{
	struct vhv_cpu_limits none = { .cr4_valid = VHV_CR4_BASELINE };
	struct vhv_cpu_limits all = {
		.cr4_valid = VHV_CR4_BASELINE | VHV_CR4_PCIDE | VHV_CR4_OSXSAVE |
			     VHV_CR4_FSGSBASE | VHV_CR4_SMEP | VHV_CR4_SMAP |
			     VHV_CR4_UMIP | VHV_CR4_LA57,
	};
	struct vhv_cpuid_entry l1 = { .function = 1, .ebx = ~0u, .ecx = ~0u, .edx = ~0u };
	struct vhv_cpuid_entry l7 = { .function = 7, .ebx = ~0u, .ecx = ~0u, .edx = ~0u };
	struct vhv_cpuid_entry l7_1 = { .function = 7, .index = 1, .ebx = ~0u, .ecx = ~0u };
	struct vhv_cpuid_entry a, b, c;

	(void)state;
	a = l1;
	b = l7;
	c = l7_1;
	vhv_cpuid_hide_cr4_features(&a, &all);
	vhv_cpuid_hide_cr4_features(&b, &all);
	assert_memory_equal(&a, &l1, sizeof(a));
	assert_memory_equal(&b, &l7, sizeof(b));

	vhv_cpuid_hide_cr4_features(&a, &none);
	vhv_cpuid_hide_cr4_features(&b, &none);
	vhv_cpuid_hide_cr4_features(&c, &none);
	assert_int_equal(a.ecx, ~((1u << 17) | (1u << 26)));	/* PCID, XSAVE */
	assert_int_equal(a.ebx, ~0u);
	assert_int_equal(a.edx, ~0u);
	/* FSGSBASE, SMEP, SMAP; UMIP, LA57 */
	assert_int_equal(b.ebx, ~(1u | (1u << 7) | (1u << 20)));
	assert_int_equal(b.ecx, ~((1u << 2) | (1u << 16)));
	assert_int_equal(b.edx, ~0u);
	assert_memory_equal(&c, &l7_1, sizeof(c));	/* another subleaf */

	/* One missing: only its bit goes. */
	b = l7;
	all.cr4_valid &= ~VHV_CR4_LA57;
	vhv_cpuid_hide_cr4_features(&b, &all);
	assert_int_equal(b.ecx, ~(1u << 16));
	assert_int_equal(b.ebx, ~0u);
}

/* 48-bit canonical, or 57-bit where a guest may turn on 5-level paging. */
static void test_addr_canonical(void **state)
{
	struct vhv_cpu_limits l4 = { .cr4_valid = VHV_CR4_BASELINE };
	struct vhv_cpu_limits l5 = { .cr4_valid = VHV_CR4_BASELINE | VHV_CR4_LA57 };

	(void)state;
	assert_true(vhv_addr_canonical(0, &l4));
	assert_true(vhv_addr_canonical(0x00007fffffffffffull, &l4));
	assert_true(vhv_addr_canonical(0xffff800000000000ull, &l4));
	assert_false(vhv_addr_canonical(0x0000800000000000ull, &l4));
	/* A 5-level guest's direct map: refused on 4 levels, taken on 5. */
	assert_false(vhv_addr_canonical(0xff11000000000000ull, &l4));
	assert_true(vhv_addr_canonical(0xff11000000000000ull, &l5));
	assert_true(vhv_addr_canonical(0x00ffffffffffffffull, &l5));
	assert_false(vhv_addr_canonical(0x0100000000000000ull, &l5));
	assert_false(vhv_addr_canonical(0x1234000000000000ull, &l5));
	assert_false(vhv_addr_canonical(0xfe00000000000000ull, &l5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_states),
		cmocka_unit_test(test_invalid_states),
		cmocka_unit_test(test_entry_state),
		cmocka_unit_test(test_regs),
		cmocka_unit_test(test_cpuid_follows_cr4),
		cmocka_unit_test(test_addr_canonical),
	};

	return cmocka_run_group_tests_name("state_check", tests, NULL, NULL);
}
