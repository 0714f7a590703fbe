// SPDX-License-Identifier: GPL-2.0
/*
 * The out-of-line half of the VMCS accessors in vmcs.h: the report of a
 * VMREAD or VMWRITE that failed, kept off the accessors' inline path.
 */
#include <linux/bug.h>
#include <linux/printk.h>

#include "vmcs.h"
#include "names.h"
#include "../vhv.h"

/*
 * vhv touches only fields this CPU has, with a current VMCS loaded, so a
 * failure is vhv's bug (or VMX was turned off for a reboot): warn once with a stack trace.  The VM-instruction
 * error says why when there is a current VMCS to hold it.
 */
void vmx_vmcs_failed(bool write, u32 field)
{
	const char *insn = write ? "VMWRITE" : "VMREAD";
	u64 error;

	/* The reboot path turned VMX off under a running vCPU: expected. */
	if (vhv_hw_rebooting())
		return;
	if (vmcs_try_read(VMCS_VM_INSTRUCTION_ERROR, &error))
		WARN_ONCE(1, "vhv: %s of VMCS field %#x failed: %s (%llu)\n",
			  insn, field, vmx_insn_error_name((u32)error), error);
	else
		WARN_ONCE(1, "vhv: %s of VMCS field %#x failed: no current VMCS, or VMX is off\n",
			  insn, field);
}
