// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kmod/vmx/caps.c (what vhv asks of VT-x, from the capability
 * MSRs), kmod/vmx/names.c (exit reason and VM-instruction error names) and
 * kmod/vmx/msr_switch.h (the MSR-load lists host perf's MSRs go through).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kmod/vmx/caps.h"
#include "kmod/vmx/msr_switch.h"
#include "kmod/vmx/names.h"
#include "kmod/vmx/vmcs.h"
#include "kmod/x86/arch_bits.h"

/*
 * A real CPU: the IA32_VMX_* MSRs of a Coffee Lake (CPUID family 6 model
 * 158 stepping 10, signature 0x906ea; 6 cores, 12 threads) in an MSI GS65
 * Stealth 9SE laptop, as VirtualBox 6.1.16 printed them into the VBox.log
 * posted to the VirtualBox forum thread "Vbox 6.1 Black Screen on Startup
 * Ubuntu 20.04" (forums.virtualbox.org, 2021-01-14).  The same BASIC,
 * PINBASED and PROCBASED values appear in the VBox.log of GitHub issue
 * myspaghetti/macos-virtualbox#357.  VirtualBox does not print
 * IA32_VMX_PROCBASED_CTLS2's low half; it is 0 on every CPU (no secondary
 * control is forced to 1).
 */
static const struct vmx_msrs coffee_lake = {
	.basic		= 0x00da040000000004ull,
	.pinbased	= 0x0000007f00000016ull,
	.procbased	= 0xfff9fffe0401e172ull,
	.exit		= 0x01ffffff00036dffull,
	.entry		= 0x0003ffff000011ffull,
	.misc		= 0x000000007004c1e7ull,
	.cr0_fixed0	= 0x0000000080000021ull,
	.cr0_fixed1	= 0x00000000ffffffffull,
	.cr4_fixed0	= 0x0000000000002000ull,
	.cr4_fixed1	= 0x00000000003727ffull,
	.procbased2	= 0x005fbcff00000000ull,
	.ept_vpid_cap	= 0x00000f0106734141ull,
	.true_pinbased	= 0x0000007f00000016ull,
	.true_procbased	= 0xfff9fffe04006172ull,
	.true_exit	= 0x01ffffff00036dfbull,
	.true_entry	= 0x0003ffff000011fbull,
};

#define MAY1(bit)	((u64)(bit) << 32)

static struct vmx_msrs m;
static struct vmx_caps c;
static struct vmx_refusal why;

static int setup(void **state)
{
	(void)state;
	m = coffee_lake;
	memset(&c, 0xa5, sizeof(c));
	why = (struct vmx_refusal){ NULL, NULL };
	return 0;
}

static void refused(const char *feature, const char *reason_part)
{
	assert_int_equal(vmx_caps_compute(&m, &c, &why), -ENODEV);
	assert_non_null(why.feature);
	assert_non_null(why.reason);
	assert_string_equal(why.feature, feature);
	if (reason_part)
		assert_non_null(strstr(why.reason, reason_part));
}

static void computed(void)
{
	why = (struct vmx_refusal){ NULL, NULL };
	assert_int_equal(vmx_caps_compute(&m, &c, &why), 0);
	assert_null(why.feature);
}

static void coffee_lake_is_accepted(void **state)
{
	(void)state;
	computed();
	assert_int_equal(c.revision, 4);
	assert_int_equal(c.vmcs_size, 1024);
	assert_true(c.true_ctls);
	assert_true(c.ins_outs_info);

	/* Everything vhv asks for, plus the TRUE MSRs' default-1 bits. */
	assert_int_equal(c.pin, 0x7f);
	assert_int_equal(c.proc, 0xb6186dfa);
	assert_int_equal(c.proc2, VMX_PROC2_ENABLE_EPT | VMX_PROC2_UNRESTRICTED_GUEST |
			 VMX_PROC2_ENABLE_RDTSCP | VMX_PROC2_ENABLE_VPID |
			 VMX_PROC2_WBINVD_EXITING | VMX_PROC2_ENABLE_INVPCID |
			 VMX_PROC2_ENCLS_EXITING);
	assert_int_equal(c.exit, 0x3f6fff);
	assert_int_equal(c.entry, 0xd1ff);
	assert_int_equal(c.proc_per_entry, VMX_PROC_INTR_WINDOW_EXITING |
			 VMX_PROC_NMI_WINDOW_EXITING | VMX_PROC_MOV_DR_EXITING);
	assert_int_equal(c.entry_per_entry, VMX_ENTRY_CTL_IA32E_GUEST);

	/* The TRUE MSRs let CR3 accesses and the per-entry bits go. */
	assert_false(c.proc & (VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR3_STORE_EXITING));
	assert_false(c.proc & c.proc_per_entry);
	assert_false(c.entry & VMX_ENTRY_CTL_IA32E_GUEST);
	assert_false(c.exit & VMX_EXIT_CTL_ACK_INTR);
	assert_true(c.exit & VMX_EXIT_CTL_HOST_64BIT);
	assert_false(c.proc2 & VMX_PROC2_ENABLE_XSAVES);

	assert_true(c.vpid);
	assert_true(c.invvpid_all);
	assert_true(c.invept_all);
	assert_true(c.ept_ad);
	assert_true(c.ept_2m);
	assert_true(c.ept_1g);
	assert_true(c.preemption_timer);
	assert_int_equal(c.preemption_timer_shift, 7);
	assert_int_equal(c.msr_list_max, 512);
	assert_int_equal(vmx_eptp(&c, 0x1234000), 0x1234000 | 6 | 3 << 3 | 1 << 6);

	assert_int_equal(c.host_cr0.must1, VHV_CR0_PG | VHV_CR0_NE | VHV_CR0_PE);
	assert_int_equal(c.guest_cr0.must1, VHV_CR0_NE);
	assert_int_equal(c.guest_cr0.may1, 0xffffffff);
	assert_int_equal(c.cr4.must1, VHV_CR4_VMXE);
	assert_int_equal(c.cr4.may1, 0x3727ff);
}

/* Without basic bit 55 the plain MSRs rule, forced-on bits and all. */
static void plain_msrs_without_true_ctls(void **state)
{
	(void)state;
	m.basic &= ~VMX_BASIC_HAS_TRUE_CTLS;
	m.true_pinbased = m.true_procbased = m.true_exit = m.true_entry = 0;
	computed();
	assert_false(c.true_ctls);
	assert_int_equal(c.proc, 0xb619edfa);
	assert_true(c.proc & VMX_PROC_CR3_LOAD_EXITING);
	assert_true(c.proc & VMX_PROC_CR3_STORE_EXITING);
	assert_int_equal(c.pin, 0x7f);
	assert_int_equal(c.exit, 0x3f6fff);
	assert_int_equal(c.entry, 0xd1ff);
}

/* With bit 55 the TRUE MSRs rule even where the plain ones would allow. */
static void true_msrs_decide(void **state)
{
	(void)state;
	m.true_exit &= ~MAY1(VMX_EXIT_CTL_LOAD_EFER);
	refused("load IA32_EFER on exit", "not supported");

	m = coffee_lake;
	m.procbased = 0;	/* ignored: the TRUE MSR is there */
	computed();
	assert_int_equal(c.proc, 0xb6186dfa);
}

static void no_unrestricted_guest(void **state)
{
	(void)state;
	m.procbased2 &= ~MAY1(VMX_PROC2_UNRESTRICTED_GUEST);
	refused("unrestricted guest", "not supported");
}

static void no_ept(void **state)
{
	(void)state;
	m.procbased2 &= ~MAY1(VMX_PROC2_ENABLE_EPT);
	refused("EPT", "not supported");
}

/* The module reads IA32_VMX_PROCBASED_CTLS2 as 0 where it does not exist. */
static void no_secondary_controls(void **state)
{
	(void)state;
	m.true_procbased &= ~MAY1(VMX_PROC_SECONDARY_CONTROLS);
	m.procbased2 = 0;
	refused("secondary processor-based controls", "not supported");
}

/* Each required control, its allowed-1 bit cleared, is named. */
static void required_bit_not_allowed(void **state)
{
	static const struct {
		int word;	/* 0 pin, 1 proc, 2 proc2, 3 exit, 4 entry */
		u32 bit;
		const char *name;
	} cases[] = {
		{ 0, VMX_PIN_EXT_INTR_EXITING, "external-interrupt exiting" },
		{ 0, VMX_PIN_NMI_EXITING, "NMI exiting" },
		{ 0, VMX_PIN_VIRTUAL_NMIS, "virtual NMIs" },
		{ 1, VMX_PROC_HLT_EXITING, "HLT exiting" },
		{ 1, VMX_PROC_IO_BITMAPS, "I/O bitmaps" },
		{ 1, VMX_PROC_MSR_BITMAPS, "MSR bitmaps" },
		{ 1, VMX_PROC_CR8_LOAD_EXITING, "CR8-load exiting" },
		{ 1, VMX_PROC_INTR_WINDOW_EXITING, "interrupt-window exiting" },
		{ 1, VMX_PROC_NMI_WINDOW_EXITING, "NMI-window exiting" },
		{ 2, VMX_PROC2_ENABLE_EPT, "EPT" },
		{ 3, VMX_EXIT_CTL_HOST_64BIT, "host address-space size" },
		{ 3, VMX_EXIT_CTL_SAVE_PAT, "save IA32_PAT on exit" },
		{ 3, VMX_EXIT_CTL_LOAD_EFER, "load IA32_EFER on exit" },
		{ 4, VMX_ENTRY_CTL_LOAD_PAT, "load IA32_PAT on entry" },
		{ 4, VMX_ENTRY_CTL_LOAD_EFER, "load IA32_EFER on entry" },
		{ 4, VMX_ENTRY_CTL_IA32E_GUEST, "IA-32e mode guest" },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		u64 *msr[] = { &m.true_pinbased, &m.true_procbased, &m.procbased2,
			       &m.true_exit, &m.true_entry };

		m = coffee_lake;
		*msr[cases[i].word] &= ~MAY1(cases[i].bit);
		refused(cases[i].name, "not supported");
	}
}

/* A required bit forced to 0 while the CPU forces it to 1: nonsense MSR. */
static void inconsistent_control_msr(void **state)
{
	(void)state;
	m.true_exit |= VMX_EXIT_CTL_LOAD_PERF_GLOBAL;
	m.true_exit &= ~MAY1(VMX_EXIT_CTL_LOAD_PERF_GLOBAL);
	refused("VM-exit controls", "does not allow");
}

/* A bit vhv switches per entry must be clearable too. */
static void per_entry_bit_forced_on(void **state)
{
	(void)state;
	m.true_procbased |= VMX_PROC_NMI_WINDOW_EXITING;
	refused("NMI-window exiting", "forced to 1");

	m = coffee_lake;
	m.true_entry |= VMX_ENTRY_CTL_IA32E_GUEST;
	refused("IA-32e mode guest", "forced to 1");
}

static void optional_bits_absent(void **state)
{
	(void)state;
	m.procbased2 &= ~MAY1(VMX_PROC2_ENABLE_VPID | VMX_PROC2_ENABLE_INVPCID);
	m.true_pinbased &= ~MAY1(VMX_PIN_PREEMPTION_TIMER);
	m.ept_vpid_cap &= ~(VMX_EPT_CAP_AD | VMX_EPT_CAP_1G | VMX_EPT_CAP_INVEPT_ALL);
	computed();
	assert_false(c.vpid);
	assert_false(c.invvpid_all);
	assert_false(c.proc2 & (VMX_PROC2_ENABLE_VPID | VMX_PROC2_ENABLE_INVPCID));
	assert_true(c.proc2 & VMX_PROC2_ENABLE_RDTSCP);
	assert_false(c.preemption_timer);
	assert_int_equal(c.preemption_timer_shift, 0);
	assert_false(c.pin & VMX_PIN_PREEMPTION_TIMER);
	assert_false(c.ept_ad);
	assert_false(c.ept_1g);
	assert_true(c.ept_2m);
	assert_false(c.invept_all);
	assert_int_equal(vmx_eptp(&c, 0x5000), 0x5000 | 6 | 3 << 3);
}

/* ENCLS exiting where the CPU has it (SGX is hidden from guests). */
static void encls_exiting_where_offered(void **state)
{
	(void)state;
	computed();
	assert_true(c.proc2 & VMX_PROC2_ENCLS_EXITING);
	m.procbased2 &= ~MAY1(VMX_PROC2_ENCLS_EXITING);
	computed();
	assert_false(c.proc2 & VMX_PROC2_ENCLS_EXITING);
}

/* IA32_VMX_BASIC[56]: an error code on any exception at entry. */
static void any_error_code_from_basic(void **state)
{
	(void)state;
	computed();
	assert_false(c.any_error_code);		/* Coffee Lake: bit 56 clear */
	m.basic |= 1ull << 56;
	computed();
	assert_true(c.any_error_code);
}

/* Notify VM exiting (Sapphire Rapids on): on where the CPU allows it. */
static void notify_exiting_where_offered(void **state)
{
	(void)state;
	computed();
	assert_false(c.proc2 & VMX_PROC2_NOTIFY_VM_EXITING);
	m.procbased2 |= MAY1(VMX_PROC2_NOTIFY_VM_EXITING);
	computed();
	assert_true(c.proc2 & VMX_PROC2_NOTIFY_VM_EXITING);
}

#define PERF_GLOBAL_CTRL	0x38f
#define PEBS_ENABLE		0x3f1

/* The lists are what the CPU reads: 16-byte entries, 16-byte aligned. */
static void msr_switch_layout(void **state)
{
	(void)state;
	assert_int_equal(sizeof(struct vmx_msr_entry), 16);
	assert_int_equal(offsetof(struct vmx_msr_entry, value), 8);
	assert_int_equal(offsetof(struct vmx_msr_switch, guest), 0);
	assert_int_equal(offsetof(struct vmx_msr_switch, host) % 16, 0);
	assert_true(sizeof(struct vmx_msr_switch) <= 4096);
}

/* Only MSRs whose values differ are switched; a repeat updates its entry. */
static void msr_switch_fill(void **state)
{
	static struct vmx_msr_switch sw;

	(void)state;
	memset(&sw, 0xa5, sizeof(sw));
	vmx_msr_switch_reset(&sw);
	assert_int_equal(vmx_msr_switch_add(&sw, PERF_GLOBAL_CTRL, 0xf, 0xf), 0);
	assert_int_equal(sw.nr, 0);

	/* A host-only counter (bit 1) stops in the guest; PEBS off there. */
	assert_int_equal(vmx_msr_switch_add(&sw, PERF_GLOBAL_CTRL, 0xd, 0xf), 0);
	assert_int_equal(vmx_msr_switch_add(&sw, PEBS_ENABLE, 0, 1), 0);
	assert_int_equal(sw.nr, 2);
	assert_int_equal(sw.guest[0].index, PERF_GLOBAL_CTRL);
	assert_int_equal(sw.guest[0].reserved, 0);
	assert_int_equal(sw.guest[0].value, 0xd);
	assert_int_equal(sw.host[0].index, PERF_GLOBAL_CTRL);
	assert_int_equal(sw.host[0].reserved, 0);
	assert_int_equal(sw.host[0].value, 0xf);
	assert_int_equal(sw.guest[1].index, PEBS_ENABLE);
	assert_int_equal(sw.guest[1].value, 0);
	assert_int_equal(sw.host[1].value, 1);

	/* The same MSR again: its entry changes, no second one. */
	assert_int_equal(vmx_msr_switch_add(&sw, PERF_GLOBAL_CTRL, 0x5, 0x7), 0);
	assert_int_equal(sw.nr, 2);
	assert_int_equal(sw.guest[0].value, 0x5);
	assert_int_equal(sw.host[0].value, 0x7);

	/* The next entry starts from empty lists. */
	vmx_msr_switch_reset(&sw);
	assert_int_equal(sw.nr, 0);
}

/* A full list refuses the next MSR (the caller then does not enter). */
static void msr_switch_full(void **state)
{
	static struct vmx_msr_switch sw;
	u32 i;

	(void)state;
	vmx_msr_switch_reset(&sw);
	for (i = 0; i < VMX_MSR_SWITCH_MAX; i++)
		assert_int_equal(vmx_msr_switch_add(&sw, 0x100 + i, 0, 1), 0);
	assert_int_equal(vmx_msr_switch_add(&sw, 0x200, 0, 1), -ENOSPC);
	assert_int_equal(sw.nr, VMX_MSR_SWITCH_MAX);
	/* Equal values or an MSR already there still fit. */
	assert_int_equal(vmx_msr_switch_add(&sw, 0x200, 3, 3), 0);
	assert_int_equal(vmx_msr_switch_add(&sw, 0x100, 2, 3), 0);
	assert_int_equal(sw.guest[0].value, 2);
}

/* VPID without single-context INVVPID is dropped, or refused if forced. */
static void vpid_needs_invvpid(void **state)
{
	(void)state;
	m.ept_vpid_cap &= ~VMX_VPID_CAP_INVVPID_SINGLE;
	computed();
	assert_false(c.vpid);
	assert_false(c.proc2 & VMX_PROC2_ENABLE_VPID);

	m.procbased2 |= VMX_PROC2_ENABLE_VPID;
	refused("INVVPID single-context", "forced on");
}

static void ept_capabilities_required(void **state)
{
	static const struct {
		u64 bit;
		const char *name;
	} cases[] = {
		{ VMX_EPT_CAP_WALK_4, "EPT 4-level page walk" },
		{ VMX_EPT_CAP_MEMTYPE_WB, "EPT write-back memory type" },
		{ VMX_EPT_CAP_INVEPT, "INVEPT" },
		{ VMX_EPT_CAP_INVEPT_SINGLE, "INVEPT single-context" },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = coffee_lake;
		m.ept_vpid_cap &= ~cases[i].bit;
		refused(cases[i].name, "not supported");
	}
	m = coffee_lake;
	m.ept_vpid_cap = 0;
	refused("EPT 4-level page walk", NULL);
}

static void basic_msr_refusals(void **state)
{
	(void)state;
	m.basic |= VMX_BASIC_ADDR32;
	refused("VMX structures above 4 GiB", "bit 48");

	m = coffee_lake;
	m.basic &= ~(VMX_BASIC_MEMTYPE_MASK << VMX_BASIC_MEMTYPE_SHIFT);
	m.basic |= (u64)VMX_MEMTYPE_UC << VMX_BASIC_MEMTYPE_SHIFT;
	refused("write-back VMCS memory type", NULL);

	m = coffee_lake;
	m.basic &= ~(VMX_BASIC_SIZE_MASK << VMX_BASIC_SIZE_SHIFT);
	refused("VMCS region size", NULL);
	m.basic |= 0x1001ull << VMX_BASIC_SIZE_SHIFT;
	refused("VMCS region size", NULL);
	/* 4096 is the largest size: bit 44 set, 43:32 clear. */
	m.basic &= ~(VMX_BASIC_SIZE_MASK << VMX_BASIC_SIZE_SHIFT);
	m.basic |= 0x1000ull << VMX_BASIC_SIZE_SHIFT;
	computed();
	assert_int_equal(c.vmcs_size, 4096);
	assert_int_equal(c.revision, 4);

	/* Bit 31 is not part of the revision identifier. */
	m.basic |= 0x80000000ull;
	computed();
	assert_int_equal(c.revision, 4);
}

static void cr_fixed_bits(void **state)
{
	const u64 linux_cr0 = VHV_CR0_PG | VHV_CR0_AM | VHV_CR0_WP | VHV_CR0_NE |
			      VHV_CR0_ET | VHV_CR0_MP | VHV_CR0_PE;	/* 0x80050033 */
	const u64 linux_cr4 = 0x370678;	/* "Host CR4" in the same VBox.log */
	struct vmx_cr_rule r;

	(void)state;
	computed();
	assert_true(vmx_cr_allowed(&c.host_cr0, linux_cr0));
	assert_false(vmx_cr_allowed(&c.host_cr0, linux_cr0 & ~VHV_CR0_NE));
	assert_false(vmx_cr_allowed(&c.host_cr0, linux_cr0 | VHV_BIT(32)));

	/* Real mode, paging off: a guest's under unrestricted guest only. */
	assert_false(vmx_cr_allowed(&c.host_cr0, VHV_CR0_ET | VHV_CR0_NE));
	assert_true(vmx_cr_allowed(&c.guest_cr0, VHV_CR0_ET | VHV_CR0_NE));
	assert_false(vmx_cr_allowed(&c.guest_cr0, VHV_CR0_ET));
	assert_int_equal(vmx_cr_fixup(&c.guest_cr0, VHV_CR0_ET), VHV_CR0_ET | VHV_CR0_NE);
	assert_int_equal(vmx_cr_fixup(&c.host_cr0, 0), 0x80000021);

	assert_true(vmx_cr_allowed(&c.cr4, linux_cr4 | VHV_CR4_VMXE));
	assert_false(vmx_cr_allowed(&c.cr4, linux_cr4));
	/* PKE (bit 22) is not in this CPU's CR4_FIXED1. */
	assert_false(vmx_cr_allowed(&c.cr4, linux_cr4 | VHV_CR4_VMXE | VHV_CR4_PKE));
	assert_int_equal(vmx_cr_fixup(&c.cr4, VHV_CR4_PAE | VHV_CR4_PKE),
			 VHV_CR4_PAE | VHV_CR4_VMXE);

	/* Owned by the host in the guest/host masks: fixed either way. */
	assert_int_equal(vmx_cr_fixed_bits(&c.guest_cr0), 0xffffffff00000000ull | VHV_CR0_NE);
	assert_int_equal(vmx_cr_fixed_bits(&c.cr4), ~0x3727ffull | VHV_CR4_VMXE);

	r = vmx_cr_rule(0x1, 0x3);
	assert_true(vmx_cr_allowed(&r, 0x1));
	assert_true(vmx_cr_allowed(&r, 0x3));
	assert_false(vmx_cr_allowed(&r, 0x2));
	assert_false(vmx_cr_allowed(&r, 0x5));
	r = vmx_cr0_rule_unrestricted(vmx_cr_rule(0x80000021, 0xffffffff));
	assert_int_equal(r.must1, VHV_CR0_NE);

	/* A bit fixed to 1 and to 0 at once: refused, naming the MSRs. */
	m.cr4_fixed1 &= ~VHV_CR4_VMXE;
	refused("IA32_VMX_CR4_FIXED0/1", "both");
	m = coffee_lake;
	m.cr0_fixed1 = 0x7fffffff;
	refused("IA32_VMX_CR0_FIXED0/1", "both");
}

/* The first refusal is reported, and nothing is written to *caps. */
static void refusal_leaves_caps_alone(void **state)
{
	struct vmx_caps before;

	(void)state;
	m.procbased2 = 0;
	memcpy(&before, &c, sizeof(c));
	refused("EPT", NULL);
	assert_memory_equal(&before, &c, sizeof(c));
}

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
		cmocka_unit_test_setup(coffee_lake_is_accepted, setup),
		cmocka_unit_test_setup(plain_msrs_without_true_ctls, setup),
		cmocka_unit_test_setup(true_msrs_decide, setup),
		cmocka_unit_test_setup(no_unrestricted_guest, setup),
		cmocka_unit_test_setup(no_ept, setup),
		cmocka_unit_test_setup(no_secondary_controls, setup),
		cmocka_unit_test_setup(required_bit_not_allowed, setup),
		cmocka_unit_test_setup(inconsistent_control_msr, setup),
		cmocka_unit_test_setup(per_entry_bit_forced_on, setup),
		cmocka_unit_test_setup(optional_bits_absent, setup),
		cmocka_unit_test_setup(notify_exiting_where_offered, setup),
		cmocka_unit_test_setup(encls_exiting_where_offered, setup),
		cmocka_unit_test_setup(any_error_code_from_basic, setup),
		cmocka_unit_test(msr_switch_layout),
		cmocka_unit_test(msr_switch_fill),
		cmocka_unit_test(msr_switch_full),
		cmocka_unit_test_setup(vpid_needs_invvpid, setup),
		cmocka_unit_test_setup(ept_capabilities_required, setup),
		cmocka_unit_test_setup(basic_msr_refusals, setup),
		cmocka_unit_test_setup(cr_fixed_bits, setup),
		cmocka_unit_test_setup(refusal_leaves_caps_alone, setup),
		cmocka_unit_test(exit_reason_names),
		cmocka_unit_test(exit_reason_list_matches),
		cmocka_unit_test(insn_error_names),
	};

	return cmocka_run_group_tests_name("vmx_caps", tests, NULL, NULL);
}
