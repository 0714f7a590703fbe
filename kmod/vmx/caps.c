// SPDX-License-Identifier: GPL-2.0
/*
 * From the IA32_VMX_* capability MSRs to the controls vhv runs guests
 * with, or to the name of the feature this CPU lacks.  Every control
 * capability MSR reports in its low half the bits that must be 1
 * (allowed-0 settings) and in its high half the bits that may be 1
 * (allowed-1 settings); TRUE_* MSRs, when IA32_VMX_BASIC bit 55 says they
 * exist, report the same with fewer bits forced to 1 (SDM vol. 3D A.2).
 */
#include "caps.h"
#include "vmcs.h"
#include "../x86/arch_bits.h"

#define VMCS_REGION_MAX		4096

enum ctl_use {
	REQUIRED,	/* in every VMCS; refused without it */
	WANTED,		/* in every VMCS when the CPU allows it */
	PER_ENTRY,	/* set and cleared per entry; must be allowed both ways */
};

struct ctl_want {
	u32 bit;
	enum ctl_use use;
	const char *name;
};

/*
 * Pin-based: external interrupts and NMIs belong to the host and exit;
 * virtual NMIs let the CPU track the guest's NMI blocking, which
 * NMI-window exiting needs.  The preemption timer bounds a guest's run
 * without a host timer interrupt where the CPU has one.
 */
static const struct ctl_want pin_wants[] = {
	{ VMX_PIN_EXT_INTR_EXITING, REQUIRED, "external-interrupt exiting" },
	{ VMX_PIN_NMI_EXITING, REQUIRED, "NMI exiting" },
	{ VMX_PIN_VIRTUAL_NMIS, REQUIRED, "virtual NMIs" },
	{ VMX_PIN_PREEMPTION_TIMER, WANTED, "VMX-preemption timer" },
};

/*
 * Primary processor-based: the exits the SVM backend intercepts too (HLT,
 * MWAIT, MONITOR, RDPMC, port I/O and MSRs through bitmaps).  CR8 loads and
 * stores exit because without a TPR shadow they would reach the physical
 * TPR: a guest raising it would hold off the host's own interrupts, and
 * with them external-interrupt exiting.  The window exits and MOV-DR
 * exiting are switched per entry, as svm/run.c switches VINTR, IRET and
 * DR intercepts.
 */
static const struct ctl_want proc_wants[] = {
	{ VMX_PROC_TSC_OFFSETTING, REQUIRED, "TSC offsetting" },
	{ VMX_PROC_HLT_EXITING, REQUIRED, "HLT exiting" },
	{ VMX_PROC_MWAIT_EXITING, REQUIRED, "MWAIT exiting" },
	{ VMX_PROC_RDPMC_EXITING, REQUIRED, "RDPMC exiting" },
	{ VMX_PROC_CR8_LOAD_EXITING, REQUIRED, "CR8-load exiting" },
	{ VMX_PROC_CR8_STORE_EXITING, REQUIRED, "CR8-store exiting" },
	{ VMX_PROC_IO_BITMAPS, REQUIRED, "I/O bitmaps" },
	{ VMX_PROC_MSR_BITMAPS, REQUIRED, "MSR bitmaps" },
	{ VMX_PROC_MONITOR_EXITING, REQUIRED, "MONITOR exiting" },
	{ VMX_PROC_SECONDARY_CONTROLS, REQUIRED,
	  "secondary processor-based controls" },
	{ VMX_PROC_INTR_WINDOW_EXITING, PER_ENTRY, "interrupt-window exiting" },
	{ VMX_PROC_NMI_WINDOW_EXITING, PER_ENTRY, "NMI-window exiting" },
	{ VMX_PROC_MOV_DR_EXITING, PER_ENTRY, "MOV-DR exiting" },
};

/*
 * Secondary: EPT and unrestricted guest are the design (guests start in
 * real mode, memory is mapped by EPT).  RDTSCP and INVPCID would #UD in
 * the guest without their enables while CPUID, taken from the host,
 * reports them; VPID saves TLB flushes; WBINVD exiting keeps a guest from
 * flushing the host's caches; ENCLS exiting keeps a guest from running
 * SGX instructions on a host whose firmware enabled SGX (SGX is hidden
 * from it, and nothing else stops ENCLS); notify VM exiting takes the CPU back from a
 * guest that holds it with no instruction boundary (a microarchitectural
 * loop no interrupt can break), where the CPU has it.  XSAVES stays off: kmod/cpuid.c hides it.
 */
static const struct ctl_want proc2_wants[] = {
	{ VMX_PROC2_ENABLE_EPT, REQUIRED, "EPT" },
	{ VMX_PROC2_UNRESTRICTED_GUEST, REQUIRED, "unrestricted guest" },
	{ VMX_PROC2_ENABLE_RDTSCP, WANTED, "RDTSCP" },
	{ VMX_PROC2_ENABLE_VPID, WANTED, "VPID" },
	{ VMX_PROC2_WBINVD_EXITING, WANTED, "WBINVD exiting" },
	{ VMX_PROC2_ENABLE_INVPCID, WANTED, "INVPCID" },
	{ VMX_PROC2_ENCLS_EXITING, WANTED, "ENCLS exiting" },
	{ VMX_PROC2_NOTIFY_VM_EXITING, WANTED, "notify VM exiting" },
};

/*
 * VM exit: a 64-bit host; the guest's debug controls, PAT and EFER saved
 * and the host's PAT and EFER loaded, so that none of them needs an MSR
 * list.  "Acknowledge interrupt on exit" stays 0: the interrupt that
 * caused the exit then stays pending in the local APIC and the host takes
 * it through its own IDT as soon as vhv enables interrupts after the exit,
 * as on SVM.  Acknowledging it would leave vhv to call the kernel's
 * handler for the vector itself, through entry code (IDT or FRED) that is
 * the kernel's own business and not exported alike to modules in every
 * kernel vhv builds for; it pays only with posted interrupts, which vhv
 * does not use.
 */
static const struct ctl_want exit_wants[] = {
	{ VMX_EXIT_CTL_SAVE_DEBUG, REQUIRED, "save debug controls on exit" },
	{ VMX_EXIT_CTL_HOST_64BIT, REQUIRED, "host address-space size" },
	{ VMX_EXIT_CTL_SAVE_PAT, REQUIRED, "save IA32_PAT on exit" },
	{ VMX_EXIT_CTL_LOAD_PAT, REQUIRED, "load IA32_PAT on exit" },
	{ VMX_EXIT_CTL_SAVE_EFER, REQUIRED, "save IA32_EFER on exit" },
	{ VMX_EXIT_CTL_LOAD_EFER, REQUIRED, "load IA32_EFER on exit" },
};

/*
 * VM entry: the guest's debug controls (DR7, IA32_DEBUGCTL), PAT and EFER
 * loaded.  IA-32e mode guest follows the guest's EFER.LMA, entry by entry.
 */
static const struct ctl_want entry_wants[] = {
	{ VMX_ENTRY_CTL_LOAD_DEBUG, REQUIRED, "load debug controls on entry" },
	{ VMX_ENTRY_CTL_LOAD_PAT, REQUIRED, "load IA32_PAT on entry" },
	{ VMX_ENTRY_CTL_LOAD_EFER, REQUIRED, "load IA32_EFER on entry" },
	{ VMX_ENTRY_CTL_IA32E_GUEST, PER_ENTRY, "IA-32e mode guest" },
};

struct ept_need {
	u64 bit;
	const char *name;
};

/* vhv builds 4-level write-back EPT tables and flushes them per VM. */
static const struct ept_need ept_needs[] = {
	{ VMX_EPT_CAP_WALK_4, "EPT 4-level page walk" },
	{ VMX_EPT_CAP_MEMTYPE_WB, "EPT write-back memory type" },
	{ VMX_EPT_CAP_INVEPT, "INVEPT" },
	{ VMX_EPT_CAP_INVEPT_SINGLE, "INVEPT single-context" },
};

static int refuse(struct vmx_refusal *why, const char *feature,
		  const char *reason)
{
	why->feature = feature;
	why->reason = reason;
	return -ENODEV;
}

/* One control word from its capability MSR and vhv's wants. */
static int adjust(const char *word, u64 msr, const struct ctl_want *wants,
		  unsigned int n, u32 *ctl, u32 *per_entry,
		  struct vmx_refusal *why)
{
	u32 must1 = (u32)msr, may1 = (u32)(msr >> 32);
	u32 val = must1, dyn = 0;
	unsigned int i;

	if (must1 & ~may1)
		return refuse(why, word,
			      "its capability MSR forces a bit to 1 that it does not allow");
	for (i = 0; i < n; i++) {
		const struct ctl_want *w = &wants[i];
		bool allowed = may1 & w->bit;

		switch (w->use) {
		case REQUIRED:
			if (!allowed)
				return refuse(why, w->name, "not supported");
			val |= w->bit;
			break;
		case WANTED:
			if (allowed)
				val |= w->bit;
			break;
		case PER_ENTRY:
			if (!allowed)
				return refuse(why, w->name, "not supported");
			if (must1 & w->bit)
				return refuse(why, w->name,
					      "forced to 1, and vhv must be able to clear it");
			dyn |= w->bit;
			break;
		}
	}
	*ctl = val;
	*per_entry = dyn;
	return 0;
}

static int check_basic(u64 basic, struct vmx_caps *c, struct vmx_refusal *why)
{
	u32 size = (basic >> VMX_BASIC_SIZE_SHIFT) & VMX_BASIC_SIZE_MASK;
	u32 memtype = (basic >> VMX_BASIC_MEMTYPE_SHIFT) & VMX_BASIC_MEMTYPE_MASK;

	if (!size || size > VMCS_REGION_MAX)
		return refuse(why, "VMCS region size",
			      "IA32_VMX_BASIC reports none or more than 4096 bytes");
	if (basic & VMX_BASIC_ADDR32)
		return refuse(why, "VMX structures above 4 GiB",
			      "IA32_VMX_BASIC bit 48 limits them to 32-bit physical addresses");
	if (memtype != VMX_MEMTYPE_WB)
		return refuse(why, "write-back VMCS memory type",
			      "IA32_VMX_BASIC names another memory type");
	c->revision = basic & VMX_BASIC_REVISION_MASK;
	c->vmcs_size = size;
	c->true_ctls = basic & VMX_BASIC_HAS_TRUE_CTLS;
	c->ins_outs_info = basic & VMX_BASIC_INS_OUTS_INFO;
	c->any_error_code = basic & VMX_BASIC_ANY_ERROR_CODE;
	return 0;
}

static int check_cr(u64 fixed0, u64 fixed1, const char *msrs,
		    struct vmx_cr_rule *rule, struct vmx_refusal *why)
{
	if (fixed0 & ~fixed1)
		return refuse(why, msrs, "a bit is fixed to both 0 and 1");
	*rule = vmx_cr_rule(fixed0, fixed1);
	return 0;
}

static int adjust_controls(const struct vmx_msrs *m, struct vmx_caps *c,
			   struct vmx_refusal *why)
{
	u64 pin = c->true_ctls ? m->true_pinbased : m->pinbased;
	u64 proc = c->true_ctls ? m->true_procbased : m->procbased;
	u64 exit = c->true_ctls ? m->true_exit : m->exit;
	u64 entry = c->true_ctls ? m->true_entry : m->entry;
	u32 none;
	int r;

	r = adjust("pin-based controls", pin, pin_wants,
		   sizeof(pin_wants) / sizeof(pin_wants[0]), &c->pin, &none, why);
	if (!r)
		r = adjust("primary processor-based controls", proc, proc_wants,
			   sizeof(proc_wants) / sizeof(proc_wants[0]),
			   &c->proc, &c->proc_per_entry, why);
	/* No TRUE MSR for these: nothing in them is forced to 1 by default. */
	if (!r)
		r = adjust("secondary processor-based controls", m->procbased2,
			   proc2_wants, sizeof(proc2_wants) / sizeof(proc2_wants[0]),
			   &c->proc2, &none, why);
	if (!r)
		r = adjust("VM-exit controls", exit, exit_wants,
			   sizeof(exit_wants) / sizeof(exit_wants[0]),
			   &c->exit, &none, why);
	if (!r)
		r = adjust("VM-entry controls", entry, entry_wants,
			   sizeof(entry_wants) / sizeof(entry_wants[0]),
			   &c->entry, &c->entry_per_entry, why);
	return r;
}

static int check_ept_vpid(const struct vmx_msrs *m, struct vmx_caps *c,
			  struct vmx_refusal *why)
{
	u64 cap = m->ept_vpid_cap;
	unsigned int i;

	for (i = 0; i < sizeof(ept_needs) / sizeof(ept_needs[0]); i++)
		if (!(cap & ept_needs[i].bit))
			return refuse(why, ept_needs[i].name, "not supported");
	c->ept_ad = cap & VMX_EPT_CAP_AD;
	c->ept_2m = cap & VMX_EPT_CAP_2M;
	c->ept_1g = cap & VMX_EPT_CAP_1G;
	c->invept_all = cap & VMX_EPT_CAP_INVEPT_ALL;

	/* Tagged TLB entries are only safe with a way to flush one tag. */
	c->vpid = (c->proc2 & VMX_PROC2_ENABLE_VPID) &&
		  (cap & VMX_VPID_CAP_INVVPID) &&
		  (cap & VMX_VPID_CAP_INVVPID_SINGLE);
	if ((c->proc2 & VMX_PROC2_ENABLE_VPID) && !c->vpid) {
		if ((u32)m->procbased2 & VMX_PROC2_ENABLE_VPID)
			return refuse(why, "INVVPID single-context",
				      "not supported, and VPID is forced on");
		c->proc2 &= ~VMX_PROC2_ENABLE_VPID;
	}
	c->invvpid_all = c->vpid && (cap & VMX_VPID_CAP_INVVPID_ALL);
	return 0;
}

int vmx_caps_compute(const struct vmx_msrs *m, struct vmx_caps *caps,
		     struct vmx_refusal *why)
{
	struct vmx_caps c = { 0 };
	int r;

	r = check_basic(m->basic, &c, why);
	if (!r)
		r = check_cr(m->cr0_fixed0, m->cr0_fixed1,
			     "IA32_VMX_CR0_FIXED0/1", &c.host_cr0, why);
	if (!r)
		r = check_cr(m->cr4_fixed0, m->cr4_fixed1,
			     "IA32_VMX_CR4_FIXED0/1", &c.cr4, why);
	if (!r)
		r = adjust_controls(m, &c, why);
	if (!r)
		r = check_ept_vpid(m, &c, why);
	if (r)
		return r;

	c.guest_cr0 = vmx_cr0_rule_unrestricted(c.host_cr0);
	c.preemption_timer = c.pin & VMX_PIN_PREEMPTION_TIMER;
	if (c.preemption_timer)
		c.preemption_timer_shift = m->misc & VMX_MISC_TIMER_SHIFT_MASK;
	c.zero_len_inject = m->misc & VMX_MISC_ZERO_LEN_INJECT;
	c.msr_list_max = 512 * (((m->misc >> VMX_MISC_MSR_LIST_SHIFT) & 7) + 1);
	*caps = c;
	return 0;
}

u64 vmx_eptp(const struct vmx_caps *caps, u64 root_pa)
{
	u64 eptp = root_pa | VMX_EPTP_MEMTYPE_WB | VMX_EPTP_WALK_4;

	if (caps->ept_ad)
		eptp |= VMX_EPTP_AD;
	return eptp;
}

struct vmx_cr_rule vmx_cr_rule(u64 fixed0, u64 fixed1)
{
	return (struct vmx_cr_rule){ .must1 = fixed0, .may1 = fixed1 };
}

/*
 * Unrestricted guest exempts CR0.PE and CR0.PG from IA32_VMX_CR0_FIXED0
 * for the guest (SDM vol. 3C 24.8, 27.3.1.1).  Their combination is still
 * the architecture's (PG without PE cannot be entered).
 */
struct vmx_cr_rule vmx_cr0_rule_unrestricted(struct vmx_cr_rule host)
{
	host.must1 &= ~(VHV_CR0_PE | VHV_CR0_PG);
	return host;
}

bool vmx_cr_allowed(const struct vmx_cr_rule *r, u64 value)
{
	return (value & r->must1) == r->must1 && !(value & ~r->may1);
}

u64 vmx_cr_fixup(const struct vmx_cr_rule *r, u64 value)
{
	return (value | r->must1) & r->may1;
}

u64 vmx_cr_fixed_bits(const struct vmx_cr_rule *r)
{
	return r->must1 | ~r->may1;
}
