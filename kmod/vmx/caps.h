/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What vhv asks of VT-x and what this CPU offers: from the IA32_VMX_*
 * capability MSRs (Intel SDM vol. 3D appendix A) to the control words of
 * every VMCS, the VMCS region's revision and size, EPT and VPID features,
 * and the CR0/CR4 bits VMX operation fixes; or a refusal naming the
 * missing feature.  Portable: the module reads the MSRs, unit tests feed
 * recorded ones.
 */
#ifndef VHV_VMX_CAPS_H
#define VHV_VMX_CAPS_H

#include "../portable.h"

/* IA32_VMX_BASIC (0x480) */
#define VMX_BASIC_REVISION_MASK		0x7fffffffull
#define VMX_BASIC_SIZE_SHIFT		32
#define VMX_BASIC_SIZE_MASK		0x1fffull		/* bits 44:32 */
#define VMX_BASIC_ADDR32		VHV_BIT(48)
#define VMX_BASIC_MEMTYPE_SHIFT		50
#define VMX_BASIC_MEMTYPE_MASK		0xfull			/* bits 53:50 */
#define VMX_BASIC_INS_OUTS_INFO		VHV_BIT(54)
#define VMX_BASIC_HAS_TRUE_CTLS		VHV_BIT(55)
#define VMX_BASIC_ANY_ERROR_CODE	VHV_BIT(56)	/* entry: any vector */
#define VMX_MEMTYPE_UC			0
#define VMX_MEMTYPE_WB			6

/* IA32_VMX_MISC (0x485) */
#define VMX_MISC_TIMER_SHIFT_MASK	0x1full			/* bits 4:0 */
#define VMX_MISC_MSR_LIST_SHIFT		25			/* bits 27:25 */
#define VMX_MISC_ZERO_LEN_INJECT	VHV_BIT(30)	/* software events of length 0 */

/* IA32_VMX_EPT_VPID_CAP (0x48c) */
#define VMX_EPT_CAP_EXEC_ONLY		VHV_BIT(0)
#define VMX_EPT_CAP_WALK_4		VHV_BIT(6)
#define VMX_EPT_CAP_MEMTYPE_UC		VHV_BIT(8)
#define VMX_EPT_CAP_MEMTYPE_WB		VHV_BIT(14)
#define VMX_EPT_CAP_2M			VHV_BIT(16)
#define VMX_EPT_CAP_1G			VHV_BIT(17)
#define VMX_EPT_CAP_INVEPT		VHV_BIT(20)
#define VMX_EPT_CAP_AD			VHV_BIT(21)
#define VMX_EPT_CAP_INVEPT_SINGLE	VHV_BIT(25)
#define VMX_EPT_CAP_INVEPT_ALL		VHV_BIT(26)
#define VMX_VPID_CAP_INVVPID		VHV_BIT(32)
#define VMX_VPID_CAP_INVVPID_ADDR	VHV_BIT(40)
#define VMX_VPID_CAP_INVVPID_SINGLE	VHV_BIT(41)
#define VMX_VPID_CAP_INVVPID_ALL	VHV_BIT(42)

/* The EPT pointer (SDM vol. 3C 25.6.11) */
#define VMX_EPTP_MEMTYPE_WB		6ull
#define VMX_EPTP_WALK_4			(3ull << 3)	/* walk length - 1 */
#define VMX_EPTP_AD			VHV_BIT(6)

/*
 * The MSRs as read.  The module reads procbased2 only when the primary
 * controls may activate secondary ones (else 0), ept_vpid_cap only when
 * the secondary controls may enable EPT or VPID (else 0), and the true_*
 * ones only when basic bit 55 is set (else they are ignored).
 */
struct vmx_msrs {
	u64 basic;		/* IA32_VMX_BASIC		0x480 */
	u64 pinbased;		/* IA32_VMX_PINBASED_CTLS	0x481 */
	u64 procbased;		/* IA32_VMX_PROCBASED_CTLS	0x482 */
	u64 exit;		/* IA32_VMX_EXIT_CTLS		0x483 */
	u64 entry;		/* IA32_VMX_ENTRY_CTLS		0x484 */
	u64 misc;		/* IA32_VMX_MISC		0x485 */
	u64 cr0_fixed0;		/* IA32_VMX_CR0_FIXED0		0x486 */
	u64 cr0_fixed1;		/* IA32_VMX_CR0_FIXED1		0x487 */
	u64 cr4_fixed0;		/* IA32_VMX_CR4_FIXED0		0x488 */
	u64 cr4_fixed1;		/* IA32_VMX_CR4_FIXED1		0x489 */
	u64 procbased2;		/* IA32_VMX_PROCBASED_CTLS2	0x48b */
	u64 ept_vpid_cap;	/* IA32_VMX_EPT_VPID_CAP	0x48c */
	u64 true_pinbased;	/* IA32_VMX_TRUE_PINBASED_CTLS	0x48d */
	u64 true_procbased;	/* IA32_VMX_TRUE_PROCBASED_CTLS	0x48e */
	u64 true_exit;		/* IA32_VMX_TRUE_EXIT_CTLS	0x48f */
	u64 true_entry;		/* IA32_VMX_TRUE_ENTRY_CTLS	0x490 */
};

/* A control register's bits in VMX operation: must be 1, may be 1. */
struct vmx_cr_rule {
	u64 must1;
	u64 may1;
};

struct vmx_caps {
	u32 revision;		/* VMCS revision identifier */
	u32 vmcs_size;		/* bytes of the VMXON region and of a VMCS */
	bool true_ctls;		/* the TRUE_* MSRs decided the controls */
	bool ins_outs_info;	/* INS/OUTS exits fill instruction information */
	bool any_error_code;	/* BASIC[56]: entry takes an error code on any exception */
	/*
	 * Each VMCS starts with these: what vhv requires, what it wants and
	 * the CPU offers, and what the CPU will not let be 0.
	 */
	u32 pin;
	u32 proc;
	u32 proc2;
	u32 exit;
	u32 entry;
	/* Set and cleared per entry as needed, 0 in the words above. */
	u32 proc_per_entry;	/* interrupt/NMI window, MOV-DR exiting */
	u32 entry_per_entry;	/* IA-32e mode guest */
	/* Optional features found (each also reflected in the words above) */
	bool vpid;		/* with single-context INVVPID */
	bool invvpid_all;
	bool invept_all;
	bool ept_ad;		/* accessed and dirty flags */
	bool ept_2m;
	bool ept_1g;
	bool preemption_timer;
	u8 preemption_timer_shift;	/* one tick per 2^shift TSC ticks */
	u32 msr_list_max;	/* recommended most entries of an MSR list */
	bool zero_len_inject;	/* VM entry injects INTn with instruction length 0 */
	/* CR0 of the host and CR0 of a guest (unrestricted: PE, PG free) */
	struct vmx_cr_rule host_cr0;
	struct vmx_cr_rule guest_cr0;
	struct vmx_cr_rule cr4;	/* host and guest alike */
};

/* Why the CPU is refused: "<feature>: <reason>" reads as a sentence. */
struct vmx_refusal {
	const char *feature;
	const char *reason;
};

/* 0 with *caps filled, or -ENODEV with *why filled. */
int vmx_caps_compute(const struct vmx_msrs *m, struct vmx_caps *caps,
		     struct vmx_refusal *why);

/* The EPT pointer for a root table at root_pa (4 KiB aligned). */
u64 vmx_eptp(const struct vmx_caps *caps, u64 root_pa);

/* From IA32_VMX_CRn_FIXED0/1: bit X set in FIXED0 = 1, clear in FIXED1 = 0. */
struct vmx_cr_rule vmx_cr_rule(u64 fixed0, u64 fixed1);
/* The rule for a guest's CR0 under unrestricted guest: PE and PG freed. */
struct vmx_cr_rule vmx_cr0_rule_unrestricted(struct vmx_cr_rule host);
bool vmx_cr_allowed(const struct vmx_cr_rule *r, u64 value);
/* value with the fixed bits forced: what the hardware register must hold. */
u64 vmx_cr_fixup(const struct vmx_cr_rule *r, u64 value);
/*
 * The bits a guest cannot own (fixed either way): the CR0/CR4 guest/host
 * mask must include them, so the guest reads its own value of them from
 * the read shadow and its writes that differ exit.
 */
u64 vmx_cr_fixed_bits(const struct vmx_cr_rule *r);

#endif /* VHV_VMX_CAPS_H */
