// SPDX-License-Identifier: GPL-2.0
/* Unit tests of kmod/vmx/names.c: exit reason and VM-instruction error names. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kmod/vmx/names.h"

static void exit_reason_names(void **state)
{
	(void)state;
	assert_string_equal(vmx_exit_reason_name(0), "exception or NMI");
	assert_string_equal(vmx_exit_reason_name(VMX_EXIT_REASON_HLT), "HLT");
	assert_int_equal(VMX_EXIT_REASON_HLT, 12);
	assert_int_equal(VMX_EXIT_REASON_EPT_VIOLATION, 48);
	assert_int_equal(VMX_EXIT_REASON_PREEMPTION_TIMER, 52);
	assert_string_equal(vmx_exit_reason_name(48), "EPT violation");
	assert_string_equal(vmx_exit_reason_name(75), "instruction timeout");
	/* The last one, and one past it. */
	assert_int_equal(VMX_EXIT_REASON_COUNT, 80);
	assert_string_equal(vmx_exit_reason_name(79), "WRMSRLIST");
	assert_true(vmx_exit_reason_known(79));
	assert_string_equal(vmx_exit_reason_name(80), "unknown");
	assert_false(vmx_exit_reason_known(80));
	/* Gaps the SDM leaves unassigned. */
	assert_string_equal(vmx_exit_reason_name(35), "unknown");
	assert_string_equal(vmx_exit_reason_name(38), "unknown");
	assert_string_equal(vmx_exit_reason_name(42), "unknown");
	assert_string_equal(vmx_exit_reason_name(71), "unknown");
	assert_false(vmx_exit_reason_known(71));
	/* Hostile values, and a whole exit reason field. */
	assert_string_equal(vmx_exit_reason_name(0xffff), "unknown");
	assert_string_equal(vmx_exit_reason_name(0x10000), "unknown");
	assert_string_equal(vmx_exit_reason_name(UINT32_MAX), "unknown");
	assert_string_equal(vmx_exit_reason_name(0x80000021), "unknown");
	assert_string_equal(vmx_exit_reason_name(VMX_EXIT_REASON_BASIC(0x80000021u)),
			    "entry failure: invalid guest state");
}

/* Every listed reason answers with its own name and is known. */
static void exit_reason_list_matches(void **state)
{
	unsigned int listed = 0;

	(void)state;
#define CHECK(n, name, str)						\
	do {								\
		assert_int_equal(VMX_EXIT_REASON_##name, n);		\
		assert_string_equal(vmx_exit_reason_name(n), str);	\
		assert_true(vmx_exit_reason_known(n));			\
		listed++;						\
	} while (0);
	VMX_EXIT_REASONS(CHECK)
#undef CHECK
	/* 0..79 minus the unassigned 35, 38, 42 and 71. */
	assert_int_equal(listed, 76);
}

static void insn_error_names(void **state)
{
	(void)state;
	assert_string_equal(vmx_insn_error_name(0), "unknown");
	assert_string_equal(vmx_insn_error_name(1), "VMCALL executed in VMX root operation");
	assert_string_equal(vmx_insn_error_name(VMX_INSN_ERROR_ENTRY_BAD_CONTROLS),
			    "VM entry with invalid control field(s)");
	assert_int_equal(VMX_INSN_ERROR_ENTRY_BAD_CONTROLS, 7);
	assert_int_equal(VMX_INSN_ERROR_UNSUPPORTED_FIELD, 12);
	assert_string_equal(vmx_insn_error_name(14), "unknown");
	assert_string_equal(vmx_insn_error_name(21), "unknown");
	assert_string_equal(vmx_insn_error_name(27), "unknown");
	assert_string_equal(vmx_insn_error_name(28), "invalid operand to INVEPT/INVVPID");
	assert_int_equal(VMX_INSN_ERROR_COUNT, 29);
	assert_string_equal(vmx_insn_error_name(29), "unknown");
	assert_string_equal(vmx_insn_error_name(UINT32_MAX), "unknown");
#define CHECK(n, name, str)	assert_string_equal(vmx_insn_error_name(n), str);
	VMX_INSN_ERRORS(CHECK)
#undef CHECK
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(exit_reason_names),
		cmocka_unit_test(exit_reason_list_matches),
		cmocka_unit_test(insn_error_names),
	};

	return cmocka_run_group_tests_name("vmx_caps", tests, NULL, NULL);
}
