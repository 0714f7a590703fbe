/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMCS as software sees it (Intel SDM vol. 3C ch. 25, vol. 3D
 * appendix B): field encodings, the bits of the control and event fields,
 * and accessors that refuse, at compile time, a field of one width read or
 * written with the accessor of another.
 *
 * An encoding carries its own width in bits 14:13 (0 = 16-bit, 1 = 64-bit,
 * 2 = 32-bit, 3 = natural width), its type in bits 11:10 (control, VM-exit
 * information, guest state, host state), an index in bits 9:1 and, in
 * bit 0, the access type (1 = the high half of a 64-bit field; vhv runs on
 * 64-bit hosts and uses full accesses only).  Bits 31:15 and 12 are
 * reserved.  Every field below is listed once, with the width and type of
 * the SDM table it comes from; static asserts check each encoding against
 * both, and selftests/unit/test_vmcs.c checks them again and proves that
 * a mismatched accessor does not compile (make unit builds its
 * VMCS_WIDTH_MISMATCH cases and expects each to fail).
 *
 * The names and the width logic are portable; VMREAD and VMWRITE are the
 * kernel's, and unit tests supply a fake VMCS behind the same two calls.
 */
#ifndef VHV_VMX_VMCS_H
#define VHV_VMX_VMCS_H

#include "../portable.h"

#define VMCS_WIDTH_16		0
#define VMCS_WIDTH_64		1
#define VMCS_WIDTH_32		2
#define VMCS_WIDTH_NAT		3

#define VMCS_TYPE_CTRL		0
#define VMCS_TYPE_EXIT		1	/* VM-exit information, read-only */
#define VMCS_TYPE_GUEST		2
#define VMCS_TYPE_HOST		3

#define VMCS_FIELD_HIGH		0x00000001u
#define VMCS_FIELD_WIDTH_MASK	0x00006000u
#define VMCS_FIELD_RESERVED	0xffff9000u

#define vmcs_field_width(f)	(((u32)(f) & VMCS_FIELD_WIDTH_MASK) >> 13)
#define vmcs_field_type(f)	(((u32)(f) >> 10) & 3)
/* f is a full access to a field of width w, with no reserved bit set. */
#define vmcs_field_is(f, w)						\
	(((u32)(f) & (VMCS_FIELD_RESERVED | VMCS_FIELD_WIDTH_MASK |	\
		      VMCS_FIELD_HIGH)) == (u32)(w) << 13)

/*
 * X(name, encoding, width, type): VMCS_<name>.  Grouped as the SDM's
 * tables are, by width and then type; within a group by index.
 */
#define VMCS_FIELDS(X)							\
	/* 16-bit control (table B-1) */				\
	X(VPID,				0x0000, 16, CTRL)		\
	/* 16-bit guest state (table B-2) */				\
	X(GUEST_ES_SELECTOR,		0x0800, 16, GUEST)		\
	X(GUEST_CS_SELECTOR,		0x0802, 16, GUEST)		\
	X(GUEST_SS_SELECTOR,		0x0804, 16, GUEST)		\
	X(GUEST_DS_SELECTOR,		0x0806, 16, GUEST)		\
	X(GUEST_FS_SELECTOR,		0x0808, 16, GUEST)		\
	X(GUEST_GS_SELECTOR,		0x080a, 16, GUEST)		\
	X(GUEST_LDTR_SELECTOR,		0x080c, 16, GUEST)		\
	X(GUEST_TR_SELECTOR,		0x080e, 16, GUEST)		\
	/* 16-bit host state (table B-3) */				\
	X(HOST_ES_SELECTOR,		0x0c00, 16, HOST)		\
	X(HOST_CS_SELECTOR,		0x0c02, 16, HOST)		\
	X(HOST_SS_SELECTOR,		0x0c04, 16, HOST)		\
	X(HOST_DS_SELECTOR,		0x0c06, 16, HOST)		\
	X(HOST_FS_SELECTOR,		0x0c08, 16, HOST)		\
	X(HOST_GS_SELECTOR,		0x0c0a, 16, HOST)		\
	X(HOST_TR_SELECTOR,		0x0c0c, 16, HOST)		\
	/* 64-bit control (table B-4) */				\
	X(IO_BITMAP_A,			0x2000, 64, CTRL)		\
	X(IO_BITMAP_B,			0x2002, 64, CTRL)		\
	X(MSR_BITMAP,			0x2004, 64, CTRL)		\
	X(EXIT_MSR_STORE_ADDR,		0x2006, 64, CTRL)		\
	X(EXIT_MSR_LOAD_ADDR,		0x2008, 64, CTRL)		\
	X(ENTRY_MSR_LOAD_ADDR,		0x200a, 64, CTRL)		\
	X(TSC_OFFSET,			0x2010, 64, CTRL)		\
	X(VIRTUAL_APIC_ADDR,		0x2012, 64, CTRL)		\
	X(EPT_POINTER,			0x201a, 64, CTRL)		\
	X(ENCLS_EXITING_BITMAP,		0x202e, 64, CTRL)		\
	/* 64-bit VM-exit information (table B-5) */			\
	X(GUEST_PHYSICAL_ADDRESS,	0x2400, 64, EXIT)		\
	/* 64-bit guest state (table B-6) */				\
	X(VMCS_LINK_POINTER,		0x2800, 64, GUEST)		\
	X(GUEST_IA32_DEBUGCTL,		0x2802, 64, GUEST)		\
	X(GUEST_IA32_PAT,		0x2804, 64, GUEST)		\
	X(GUEST_IA32_EFER,		0x2806, 64, GUEST)		\
	X(GUEST_PDPTE0,			0x280a, 64, GUEST)		\
	X(GUEST_PDPTE1,			0x280c, 64, GUEST)		\
	X(GUEST_PDPTE2,			0x280e, 64, GUEST)		\
	X(GUEST_PDPTE3,			0x2810, 64, GUEST)		\
	/* 64-bit host state (table B-7) */				\
	X(HOST_IA32_PAT,		0x2c00, 64, HOST)		\
	X(HOST_IA32_EFER,		0x2c02, 64, HOST)		\
	/* 32-bit control (table B-8) */				\
	X(PIN_CONTROLS,			0x4000, 32, CTRL)		\
	X(PROC_CONTROLS,		0x4002, 32, CTRL)		\
	X(EXCEPTION_BITMAP,		0x4004, 32, CTRL)		\
	X(PF_ERROR_CODE_MASK,		0x4006, 32, CTRL)		\
	X(PF_ERROR_CODE_MATCH,		0x4008, 32, CTRL)		\
	X(CR3_TARGET_COUNT,		0x400a, 32, CTRL)		\
	X(EXIT_CONTROLS,		0x400c, 32, CTRL)		\
	X(EXIT_MSR_STORE_COUNT,		0x400e, 32, CTRL)		\
	X(EXIT_MSR_LOAD_COUNT,		0x4010, 32, CTRL)		\
	X(ENTRY_CONTROLS,		0x4012, 32, CTRL)		\
	X(ENTRY_MSR_LOAD_COUNT,		0x4014, 32, CTRL)		\
	X(ENTRY_INTR_INFO,		0x4016, 32, CTRL)		\
	X(ENTRY_EXCEPTION_ERROR_CODE,	0x4018, 32, CTRL)		\
	X(ENTRY_INSTRUCTION_LEN,	0x401a, 32, CTRL)		\
	X(TPR_THRESHOLD,		0x401c, 32, CTRL)		\
	X(PROC_CONTROLS2,		0x401e, 32, CTRL)		\
	X(NOTIFY_WINDOW,		0x4024, 32, CTRL)		\
	/* 32-bit VM-exit information (table B-9) */			\
	X(VM_INSTRUCTION_ERROR,		0x4400, 32, EXIT)		\
	X(EXIT_REASON,			0x4402, 32, EXIT)		\
	X(EXIT_INTR_INFO,		0x4404, 32, EXIT)		\
	X(EXIT_INTR_ERROR_CODE,		0x4406, 32, EXIT)		\
	X(IDT_VECTORING_INFO,		0x4408, 32, EXIT)		\
	X(IDT_VECTORING_ERROR_CODE,	0x440a, 32, EXIT)		\
	X(EXIT_INSTRUCTION_LEN,		0x440c, 32, EXIT)		\
	X(EXIT_INSTRUCTION_INFO,	0x440e, 32, EXIT)		\
	/* 32-bit guest state (table B-10) */				\
	X(GUEST_ES_LIMIT,		0x4800, 32, GUEST)		\
	X(GUEST_CS_LIMIT,		0x4802, 32, GUEST)		\
	X(GUEST_SS_LIMIT,		0x4804, 32, GUEST)		\
	X(GUEST_DS_LIMIT,		0x4806, 32, GUEST)		\
	X(GUEST_FS_LIMIT,		0x4808, 32, GUEST)		\
	X(GUEST_GS_LIMIT,		0x480a, 32, GUEST)		\
	X(GUEST_LDTR_LIMIT,		0x480c, 32, GUEST)		\
	X(GUEST_TR_LIMIT,		0x480e, 32, GUEST)		\
	X(GUEST_GDTR_LIMIT,		0x4810, 32, GUEST)		\
	X(GUEST_IDTR_LIMIT,		0x4812, 32, GUEST)		\
	X(GUEST_ES_AR,			0x4814, 32, GUEST)		\
	X(GUEST_CS_AR,			0x4816, 32, GUEST)		\
	X(GUEST_SS_AR,			0x4818, 32, GUEST)		\
	X(GUEST_DS_AR,			0x481a, 32, GUEST)		\
	X(GUEST_FS_AR,			0x481c, 32, GUEST)		\
	X(GUEST_GS_AR,			0x481e, 32, GUEST)		\
	X(GUEST_LDTR_AR,		0x4820, 32, GUEST)		\
	X(GUEST_TR_AR,			0x4822, 32, GUEST)		\
	X(GUEST_INTERRUPTIBILITY,	0x4824, 32, GUEST)		\
	X(GUEST_ACTIVITY_STATE,		0x4826, 32, GUEST)		\
	X(GUEST_SYSENTER_CS,		0x482a, 32, GUEST)		\
	X(PREEMPTION_TIMER,		0x482e, 32, GUEST)		\
	/* 32-bit host state (table B-11) */				\
	X(HOST_SYSENTER_CS,		0x4c00, 32, HOST)		\
	/* natural-width control (table B-12) */			\
	X(CR0_GUEST_HOST_MASK,		0x6000, NAT, CTRL)		\
	X(CR4_GUEST_HOST_MASK,		0x6002, NAT, CTRL)		\
	X(CR0_READ_SHADOW,		0x6004, NAT, CTRL)		\
	X(CR4_READ_SHADOW,		0x6006, NAT, CTRL)		\
	/* natural-width VM-exit information (table B-13) */		\
	X(EXIT_QUALIFICATION,		0x6400, NAT, EXIT)		\
	X(GUEST_LINEAR_ADDRESS,		0x640a, NAT, EXIT)		\
	/* natural-width guest state (table B-14) */			\
	X(GUEST_CR0,			0x6800, NAT, GUEST)		\
	X(GUEST_CR3,			0x6802, NAT, GUEST)		\
	X(GUEST_CR4,			0x6804, NAT, GUEST)		\
	X(GUEST_ES_BASE,		0x6806, NAT, GUEST)		\
	X(GUEST_CS_BASE,		0x6808, NAT, GUEST)		\
	X(GUEST_SS_BASE,		0x680a, NAT, GUEST)		\
	X(GUEST_DS_BASE,		0x680c, NAT, GUEST)		\
	X(GUEST_FS_BASE,		0x680e, NAT, GUEST)		\
	X(GUEST_GS_BASE,		0x6810, NAT, GUEST)		\
	X(GUEST_LDTR_BASE,		0x6812, NAT, GUEST)		\
	X(GUEST_TR_BASE,		0x6814, NAT, GUEST)		\
	X(GUEST_GDTR_BASE,		0x6816, NAT, GUEST)		\
	X(GUEST_IDTR_BASE,		0x6818, NAT, GUEST)		\
	X(GUEST_DR7,			0x681a, NAT, GUEST)		\
	X(GUEST_RSP,			0x681c, NAT, GUEST)		\
	X(GUEST_RIP,			0x681e, NAT, GUEST)		\
	X(GUEST_RFLAGS,			0x6820, NAT, GUEST)		\
	X(GUEST_PENDING_DBG_EXCEPTIONS,	0x6822, NAT, GUEST)		\
	X(GUEST_SYSENTER_ESP,		0x6824, NAT, GUEST)		\
	X(GUEST_SYSENTER_EIP,		0x6826, NAT, GUEST)		\
	/* natural-width host state (table B-15) */			\
	X(HOST_CR0,			0x6c00, NAT, HOST)		\
	X(HOST_CR3,			0x6c02, NAT, HOST)		\
	X(HOST_CR4,			0x6c04, NAT, HOST)		\
	X(HOST_FS_BASE,			0x6c06, NAT, HOST)		\
	X(HOST_GS_BASE,			0x6c08, NAT, HOST)		\
	X(HOST_TR_BASE,			0x6c0a, NAT, HOST)		\
	X(HOST_GDTR_BASE,		0x6c0c, NAT, HOST)		\
	X(HOST_IDTR_BASE,		0x6c0e, NAT, HOST)		\
	X(HOST_SYSENTER_ESP,		0x6c10, NAT, HOST)		\
	X(HOST_SYSENTER_EIP,		0x6c12, NAT, HOST)		\
	X(HOST_RSP,			0x6c14, NAT, HOST)		\
	X(HOST_RIP,			0x6c16, NAT, HOST)

enum vmcs_field {
#define VMCS_FIELD_ENUM(name, enc, width, type)	VMCS_##name = (enc),
	VMCS_FIELDS(VMCS_FIELD_ENUM)
#undef VMCS_FIELD_ENUM
};

#define VMCS_FIELD_ASSERT(name, enc, width, type)			\
	_Static_assert(vmcs_field_is(enc, VMCS_WIDTH_##width) &&	\
		       vmcs_field_type(enc) == VMCS_TYPE_##type,	\
		       "VMCS_" #name ": encoding disagrees with its table");
VMCS_FIELDS(VMCS_FIELD_ASSERT)
#undef VMCS_FIELD_ASSERT

/* The VMCS link pointer when no shadow VMCS is used. */
#define VMCS_LINK_POINTER_NONE		(~0ull)

/*
 * 0, or a compile error naming vmcs_field_width_mismatch when f is a
 * constant that is not a full access of width w.  A field known only at
 * run time passes (__builtin_choose_expr then checks a stand-in).
 */
#define VMCS_CHECK_WIDTH(f, w)						\
	VHV_ASSERT_ZERO(!vmcs_field_is(__builtin_choose_expr(		\
				VHV_IS_CONSTEXPR(f), (f), (w) << 13), w),	\
			vmcs_field_width_mismatch)

#define vmcs_read16(f)	 ((u16)vmcs_read_raw((f) + VMCS_CHECK_WIDTH(f, VMCS_WIDTH_16)))
#define vmcs_read32(f)	 ((u32)vmcs_read_raw((f) + VMCS_CHECK_WIDTH(f, VMCS_WIDTH_32)))
#define vmcs_read64(f)	 vmcs_read_raw((f) + VMCS_CHECK_WIDTH(f, VMCS_WIDTH_64))
#define vmcs_readnat(f)	 vmcs_read_raw((f) + VMCS_CHECK_WIDTH(f, VMCS_WIDTH_NAT))
#define vmcs_write16(f, v) \
	vmcs_write_raw((f) + VMCS_CHECK_WIDTH(f, VMCS_WIDTH_16), (u16)(v))
#define vmcs_write32(f, v) \
	vmcs_write_raw((f) + VMCS_CHECK_WIDTH(f, VMCS_WIDTH_32), (u32)(v))
#define vmcs_write64(f, v) \
	vmcs_write_raw((f) + VMCS_CHECK_WIDTH(f, VMCS_WIDTH_64), (u64)(v))
#define vmcs_writenat(f, v) \
	vmcs_write_raw((f) + VMCS_CHECK_WIDTH(f, VMCS_WIDTH_NAT), (u64)(v))

#ifdef __KERNEL__
#include <linux/compiler.h>
#include <asm/asm.h>

/* Reports a failed VMREAD or VMWRITE: a vhv bug, never the guest's doing. */
void vmx_vmcs_failed(bool write, u32 field);

/*
 * VMfailInvalid (CF: no current VMCS) and VMfailValid (ZF: the field is
 * not supported, or read-only) leave the destination alone; a fault (#UD
 * once VMX is off, as after an emergency VMXOFF) is skipped by the
 * exception table.  All three leave "failed" as preset.
 */
static __always_inline bool vmcs_try_read(u32 field, u64 *value)
{
	u64 v = 0;
	bool failed = true;

	asm volatile("1: vmread %[field], %[v]\n\t"
		     "setna %[failed]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [v] "+r" (v), [failed] "+qm" (failed)
		     : [field] "r" ((u64)field)
		     : "cc");
	*value = v;
	return !failed;
}

static __always_inline bool vmcs_try_write(u32 field, u64 value)
{
	bool failed = true;

	asm volatile("1: vmwrite %[value], %[field]\n\t"
		     "setna %[failed]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [failed] "+qm" (failed)
		     : [field] "r" ((u64)field), [value] "rm" (value)
		     : "cc");
	return !failed;
}

/* Unchecked width: for fields known only at run time.  0 on failure. */
static __always_inline u64 vmcs_read_raw(u32 field)
{
	u64 value;

	if (unlikely(!vmcs_try_read(field, &value))) {
		vmx_vmcs_failed(false, field);
		return 0;
	}
	return value;
}

static __always_inline void vmcs_write_raw(u32 field, u64 value)
{
	if (unlikely(!vmcs_try_write(field, value)))
		vmx_vmcs_failed(true, field);
}
#else
/* Unit tests define these over a fake VMCS. */
u64 vmcs_read_raw(u32 field);
void vmcs_write_raw(u32 field, u64 value);
#endif

/* ---- control fields (SDM vol. 3C 25.6, 25.7, 25.8) ----------------------- */

#define VMX_BIT32(n)		(1u << (n))

/* Pin-based VM-execution controls */
#define VMX_PIN_EXT_INTR_EXITING	VMX_BIT32(0)
#define VMX_PIN_NMI_EXITING		VMX_BIT32(3)
#define VMX_PIN_VIRTUAL_NMIS		VMX_BIT32(5)
#define VMX_PIN_PREEMPTION_TIMER	VMX_BIT32(6)
#define VMX_PIN_POSTED_INTR		VMX_BIT32(7)

/* Primary processor-based VM-execution controls */
#define VMX_PROC_INTR_WINDOW_EXITING	VMX_BIT32(2)
#define VMX_PROC_TSC_OFFSETTING		VMX_BIT32(3)
#define VMX_PROC_HLT_EXITING		VMX_BIT32(7)
#define VMX_PROC_INVLPG_EXITING		VMX_BIT32(9)
#define VMX_PROC_MWAIT_EXITING		VMX_BIT32(10)
#define VMX_PROC_RDPMC_EXITING		VMX_BIT32(11)
#define VMX_PROC_RDTSC_EXITING		VMX_BIT32(12)
#define VMX_PROC_CR3_LOAD_EXITING	VMX_BIT32(15)
#define VMX_PROC_CR3_STORE_EXITING	VMX_BIT32(16)
#define VMX_PROC_CR8_LOAD_EXITING	VMX_BIT32(19)
#define VMX_PROC_CR8_STORE_EXITING	VMX_BIT32(20)
#define VMX_PROC_TPR_SHADOW		VMX_BIT32(21)
#define VMX_PROC_NMI_WINDOW_EXITING	VMX_BIT32(22)
#define VMX_PROC_MOV_DR_EXITING		VMX_BIT32(23)
#define VMX_PROC_UNCOND_IO_EXITING	VMX_BIT32(24)
#define VMX_PROC_IO_BITMAPS		VMX_BIT32(25)
#define VMX_PROC_MONITOR_TRAP_FLAG	VMX_BIT32(27)
#define VMX_PROC_MSR_BITMAPS		VMX_BIT32(28)
#define VMX_PROC_MONITOR_EXITING	VMX_BIT32(29)
#define VMX_PROC_PAUSE_EXITING		VMX_BIT32(30)
#define VMX_PROC_SECONDARY_CONTROLS	VMX_BIT32(31)

/* Secondary processor-based VM-execution controls */
#define VMX_PROC2_VIRT_APIC_ACCESSES	VMX_BIT32(0)
#define VMX_PROC2_ENABLE_EPT		VMX_BIT32(1)
#define VMX_PROC2_DESC_TABLE_EXITING	VMX_BIT32(2)
#define VMX_PROC2_ENABLE_RDTSCP		VMX_BIT32(3)
#define VMX_PROC2_VIRT_X2APIC		VMX_BIT32(4)
#define VMX_PROC2_ENABLE_VPID		VMX_BIT32(5)
#define VMX_PROC2_WBINVD_EXITING	VMX_BIT32(6)
#define VMX_PROC2_UNRESTRICTED_GUEST	VMX_BIT32(7)
#define VMX_PROC2_PAUSE_LOOP_EXITING	VMX_BIT32(10)
#define VMX_PROC2_ENABLE_INVPCID	VMX_BIT32(12)
#define VMX_PROC2_ENCLS_EXITING		VMX_BIT32(15)
#define VMX_PROC2_ENABLE_XSAVES		VMX_BIT32(20)
#define VMX_PROC2_NOTIFY_VM_EXITING	VMX_BIT32(31)

/* VM-exit controls */
#define VMX_EXIT_CTL_SAVE_DEBUG		VMX_BIT32(2)
#define VMX_EXIT_CTL_HOST_64BIT		VMX_BIT32(9)	/* host address-space size */
#define VMX_EXIT_CTL_LOAD_PERF_GLOBAL	VMX_BIT32(12)
#define VMX_EXIT_CTL_ACK_INTR		VMX_BIT32(15)
#define VMX_EXIT_CTL_SAVE_PAT		VMX_BIT32(18)
#define VMX_EXIT_CTL_LOAD_PAT		VMX_BIT32(19)
#define VMX_EXIT_CTL_SAVE_EFER		VMX_BIT32(20)
#define VMX_EXIT_CTL_LOAD_EFER		VMX_BIT32(21)
#define VMX_EXIT_CTL_SAVE_TIMER		VMX_BIT32(22)

/* VM-entry controls */
#define VMX_ENTRY_CTL_LOAD_DEBUG	VMX_BIT32(2)
#define VMX_ENTRY_CTL_IA32E_GUEST	VMX_BIT32(9)
#define VMX_ENTRY_CTL_SMM		VMX_BIT32(10)
#define VMX_ENTRY_CTL_DEACT_DUAL_MON	VMX_BIT32(11)
#define VMX_ENTRY_CTL_LOAD_PERF_GLOBAL	VMX_BIT32(13)
#define VMX_ENTRY_CTL_LOAD_PAT		VMX_BIT32(14)
#define VMX_ENTRY_CTL_LOAD_EFER		VMX_BIT32(15)

/*
 * Event fields: VM-entry interruption information, VM-exit interruption
 * information and IDT-vectoring information share this layout (25.8.3,
 * 25.9.2, 25.9.3).
 */
#define VMX_INTR_INFO_VECTOR		0x000000ffu
#define VMX_INTR_INFO_TYPE_SHIFT	8
#define VMX_INTR_INFO_TYPE		0x00000700u
#define VMX_INTR_INFO_ERROR_CODE	VMX_BIT32(11)
#define VMX_INTR_INFO_NMI_UNBLOCKED	VMX_BIT32(12)	/* exit info: by IRET */
#define VMX_INTR_INFO_VALID		VMX_BIT32(31)
#define VMX_INTR_TYPE_EXT_INTR		0
#define VMX_INTR_TYPE_NMI		2
#define VMX_INTR_TYPE_HW_EXCEPTION	3
#define VMX_INTR_TYPE_SW_INTR		4
#define VMX_INTR_TYPE_PRIV_SW_EXCEPTION	5	/* INT1 */
#define VMX_INTR_TYPE_SW_EXCEPTION	6	/* INT3, INTO */
#define VMX_INTR_TYPE_OTHER		7

/* Guest interruptibility state (25.4.2) */
#define VMX_INTERRUPTIBILITY_STI	VMX_BIT32(0)
#define VMX_INTERRUPTIBILITY_MOV_SS	VMX_BIT32(1)
#define VMX_INTERRUPTIBILITY_SMI	VMX_BIT32(2)
#define VMX_INTERRUPTIBILITY_NMI	VMX_BIT32(3)

/* Guest pending debug exceptions (25.4.2): BS, a pending single step */
#define VMX_PENDING_DBG_BS		(1ull << 14)

/* Guest activity state (25.4.2) */
#define VMX_ACTIVITY_ACTIVE		0
#define VMX_ACTIVITY_HLT		1
#define VMX_ACTIVITY_SHUTDOWN		2
#define VMX_ACTIVITY_WAIT_SIPI		3

#endif /* VHV_VMX_VMCS_H */
