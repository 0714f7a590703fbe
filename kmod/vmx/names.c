// SPDX-License-Identifier: GPL-2.0
/*
 * Names of VMX exit reasons and VM-instruction errors, from the lists in
 * names.h.  The lookups bound every index, architectural or not.
 */
#include "names.h"

static const char *const exit_reason_names[VMX_EXIT_REASON_COUNT] = {
#define NAME(n, name, str)	[n] = str,
	VMX_EXIT_REASONS(NAME)
#undef NAME
};

static const char *const insn_error_names[VMX_INSN_ERROR_COUNT] = {
#define NAME(n, name, str)	[n] = str,
	VMX_INSN_ERRORS(NAME)
#undef NAME
};

static const char *lookup(const char *const *names, u32 n, u32 i)
{
	if (i >= n)
		return NULL;
	return names[vhv_index_nospec(i, n)];
}

bool vmx_exit_reason_known(u32 basic)
{
	return lookup(exit_reason_names, VMX_EXIT_REASON_COUNT, basic) != NULL;
}

const char *vmx_exit_reason_name(u32 basic)
{
	const char *name = lookup(exit_reason_names, VMX_EXIT_REASON_COUNT, basic);

	return name ? name : "unknown";
}

const char *vmx_insn_error_name(u32 error)
{
	const char *name = lookup(insn_error_names, VMX_INSN_ERROR_COUNT, error);

	return name ? name : "unknown";
}
