// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/x86/dr6.h: DR6 after the #DBs vhv records itself
 * (the single-step trap after an instruction it completes, VT-x's #DB
 * exits): BS set, the other status bits left as they were (B0-B3 cleared
 * only where the CPU clears them), RTM active low, the reserved bits as
 * the CPU reads them.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "kmod/x86/dr6.h"

static void test_single_step_from_clean(void **state)
{
	(void)state;
	/* What a guest #DB handler finds after clearing DR6 as the SDM asks. */
	assert_int_equal(vhv_dr6_after_db(VHV_DR6_INIT, VHV_DR6_BS, true), 0xffff4ff0);
	assert_int_equal(vhv_dr6_after_db(VHV_DR6_INIT, VHV_DR6_BS, false), 0xffff4ff0);
	/* A DR6 of all zeroes (as written by a guest): the reserved bits read 1. */
	assert_int_equal(vhv_dr6_after_db(0, VHV_DR6_BS, true), 0xffff4ff0);
}

static void test_status_bits_sticky(void **state)
{
	(void)state;
	/* BD and BT of an earlier #DB the handler did not clear stay. */
	assert_int_equal(vhv_dr6_after_db(0xffffaff0, VHV_DR6_BS, true), 0xffffeff0);
	/* BS already set: set it stays. */
	assert_int_equal(vhv_dr6_after_db(0xffff4ff0, VHV_DR6_BS, false), 0xffff4ff0);
}

static void test_b0_3_per_vendor(void **state)
{
	(void)state;
	/* Intel may clear B0-B3 at any #DB (and KVM does); AMD never does. */
	assert_int_equal(vhv_dr6_after_db(0xffff0ff5, VHV_DR6_BS, true), 0xffff4ff0);
	assert_int_equal(vhv_dr6_after_db(0xffff0ff5, VHV_DR6_BS, false), 0xffff4ff5);
	/* A data breakpoint held pending over a MOV SS shadow comes along. */
	assert_int_equal(vhv_dr6_after_db(0xffff0ff5, VHV_DR6_BS | 2, true), 0xffff4ff2);
	assert_int_equal(vhv_dr6_after_db(0xffff0ff5, VHV_DR6_BS | 2, false), 0xffff4ff7);
}

static void test_rtm_active_low(void **state)
{
	(void)state;
	/* In an RTM region: bit 16 reads 0. */
	assert_int_equal(vhv_dr6_after_db(VHV_DR6_INIT, VHV_DR6_BS | VHV_DR6_RTM, true),
			 0xfffe4ff0);
	/* Not in one: 1 again, whatever the guest left there. */
	assert_int_equal(vhv_dr6_after_db(0xfffe0ff0, VHV_DR6_BS, true), 0xffff4ff0);
}

static void test_not_dr6_bits(void **state)
{
	(void)state;
	/* Pending-debug bit 12 ("enabled breakpoint") and bit 15 are not taken. */
	assert_int_equal(vhv_dr6_after_db(VHV_DR6_INIT, VHV_DR6_BS | VHV_BIT(12) | VHV_DR6_BT,
					  true), 0xffff4ff0);
	/* Nor the upper half or bit 12 of the old value, which DR6 cannot hold. */
	assert_int_equal(vhv_dr6_after_db(0xabcd0000ffff1ff0ull, VHV_DR6_BS, false), 0xffff4ff0);
	assert_int_equal(vhv_dr6_after_db(VHV_DR6_INIT, 0xffffffff00000000ull, true), VHV_DR6_INIT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_step_from_clean),
		cmocka_unit_test(test_status_bits_sticky),
		cmocka_unit_test(test_b0_3_per_vendor),
		cmocka_unit_test(test_rtm_active_low),
		cmocka_unit_test(test_not_dr6_bits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
