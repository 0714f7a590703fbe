/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMCB (AMD APM vol. 2, appendix B): a 4 KiB page, control area at
 * 0x000, state save area at 0x400.  Offsets are pinned by static asserts.
 */
#ifndef VHV_SVM_VMCB_H
#define VHV_SVM_VMCB_H

#include <linux/types.h>
#include <linux/build_bug.h>
#include <linux/stddef.h>

struct svm_vmcb_control {
	u32 intercept_cr;		/* 0x000: reads 15:0, writes 31:16 */
	u32 intercept_dr;		/* 0x004 */
	u32 intercept_exceptions;	/* 0x008 */
	u32 intercept_misc1;		/* 0x00c */
	u32 intercept_misc2;		/* 0x010 */
	u32 intercept_misc3;		/* 0x014 */
	u8  reserved_018[0x03c - 0x018];
	u16 pause_filter_thresh;	/* 0x03c */
	u16 pause_filter_count;		/* 0x03e */
	u64 iopm_base_pa;		/* 0x040 */
	u64 msrpm_base_pa;		/* 0x048 */
	u64 tsc_offset;			/* 0x050 */
	u32 asid;			/* 0x058 */
	u8  tlb_control;		/* 0x05c */
	u8  reserved_05d[3];
	u32 int_ctl;			/* 0x060: V_TPR 3:0, V_IRQ 8, ... */
	u32 int_vector;			/* 0x064 */
	u64 int_state;			/* 0x068: bit 0 interrupt shadow */
	u64 exit_code;			/* 0x070 */
	u64 exit_info_1;		/* 0x078 */
	u64 exit_info_2;		/* 0x080 */
	u32 exit_int_info;		/* 0x088 */
	u32 exit_int_info_err;		/* 0x08c */
	u64 nested_ctl;			/* 0x090: bit 0 NP_ENABLE */
	u64 avic_vapic_bar;		/* 0x098 */
	u64 ghcb_gpa;			/* 0x0a0 */
	u32 event_inj;			/* 0x0a8 */
	u32 event_inj_err;		/* 0x0ac */
	u64 nested_cr3;			/* 0x0b0 */
	u64 virt_ext;			/* 0x0b8 */
	u32 clean;			/* 0x0c0 */
	u32 reserved_0c4;
	u64 next_rip;			/* 0x0c8 */
	u8  insn_len;			/* 0x0d0 */
	u8  insn_bytes[15];		/* 0x0d1 */
	u8  reserved_0e0[0x400 - 0x0e0];
} __packed;

/* A segment as the VMCB stores it; attrib packs the descriptor's flags. */
struct svm_vmcb_seg {
	u16 selector;
	u16 attrib;	/* type 3:0, S 4, DPL 6:5, P 7, AVL 8, L 9, D/B 10, G 11 */
	u32 limit;
	u64 base;
} __packed;

struct svm_vmcb_save {
	struct svm_vmcb_seg es;		/* 0x400 */
	struct svm_vmcb_seg cs;		/* 0x410 */
	struct svm_vmcb_seg ss;		/* 0x420 */
	struct svm_vmcb_seg ds;		/* 0x430 */
	struct svm_vmcb_seg fs;		/* 0x440 */
	struct svm_vmcb_seg gs;		/* 0x450 */
	struct svm_vmcb_seg gdtr;		/* 0x460 */
	struct svm_vmcb_seg ldtr;		/* 0x470 */
	struct svm_vmcb_seg idtr;		/* 0x480 */
	struct svm_vmcb_seg tr;		/* 0x490 */
	u8  reserved_4a0[0x4cb - 0x4a0];
	u8  cpl;			/* 0x4cb */
	u32 reserved_4cc;
	u64 efer;			/* 0x4d0 */
	u8  reserved_4d8[0x548 - 0x4d8];
	u64 cr4;			/* 0x548 */
	u64 cr3;			/* 0x550 */
	u64 cr0;			/* 0x558 */
	u64 dr7;			/* 0x560 */
	u64 dr6;			/* 0x568 */
	u64 rflags;			/* 0x570 */
	u64 rip;			/* 0x578 */
	u8  reserved_580[0x5d8 - 0x580];
	u64 rsp;			/* 0x5d8 */
	u64 s_cet;			/* 0x5e0 */
	u64 ssp;			/* 0x5e8 */
	u64 isst_addr;			/* 0x5f0 */
	u64 rax;			/* 0x5f8 */
	u64 star;			/* 0x600 */
	u64 lstar;			/* 0x608 */
	u64 cstar;			/* 0x610 */
	u64 sfmask;			/* 0x618 */
	u64 kernel_gs_base;		/* 0x620 */
	u64 sysenter_cs;		/* 0x628 */
	u64 sysenter_esp;		/* 0x630 */
	u64 sysenter_eip;		/* 0x638 */
	u64 cr2;			/* 0x640 */
	u8  reserved_648[0x668 - 0x648];
	u64 g_pat;			/* 0x668 */
	u64 dbgctl;			/* 0x670 */
	u64 br_from;			/* 0x678 */
	u64 br_to;			/* 0x680 */
	u64 last_excp_from;		/* 0x688 */
	u64 last_excp_to;		/* 0x690 */
	u8  reserved_698[0x6e0 - 0x698];
	u64 spec_ctrl;			/* 0x6e0: the guest's, with V_SPEC_CTRL */
} __packed;

struct svm_vmcb {
	struct svm_vmcb_control control;
	struct svm_vmcb_save save;
} __packed;

#define SVM_VMCB_ASSERT(type, member, off) \
	static_assert(offsetof(type, member) == (off))

SVM_VMCB_ASSERT(struct svm_vmcb_control, pause_filter_thresh, 0x03c);
SVM_VMCB_ASSERT(struct svm_vmcb_control, iopm_base_pa, 0x040);
SVM_VMCB_ASSERT(struct svm_vmcb_control, asid, 0x058);
SVM_VMCB_ASSERT(struct svm_vmcb_control, tlb_control, 0x05c);
SVM_VMCB_ASSERT(struct svm_vmcb_control, int_ctl, 0x060);
SVM_VMCB_ASSERT(struct svm_vmcb_control, exit_code, 0x070);
SVM_VMCB_ASSERT(struct svm_vmcb_control, exit_int_info, 0x088);
SVM_VMCB_ASSERT(struct svm_vmcb_control, nested_ctl, 0x090);
SVM_VMCB_ASSERT(struct svm_vmcb_control, event_inj, 0x0a8);
SVM_VMCB_ASSERT(struct svm_vmcb_control, nested_cr3, 0x0b0);
SVM_VMCB_ASSERT(struct svm_vmcb_control, clean, 0x0c0);
SVM_VMCB_ASSERT(struct svm_vmcb_control, next_rip, 0x0c8);
SVM_VMCB_ASSERT(struct svm_vmcb_control, insn_len, 0x0d0);
static_assert(sizeof(struct svm_vmcb_control) == 0x400);
static_assert(sizeof(struct svm_vmcb_seg) == 16);
SVM_VMCB_ASSERT(struct svm_vmcb, save.cs, 0x410);
SVM_VMCB_ASSERT(struct svm_vmcb, save.tr, 0x490);
SVM_VMCB_ASSERT(struct svm_vmcb, save.cpl, 0x4cb);
SVM_VMCB_ASSERT(struct svm_vmcb, save.efer, 0x4d0);
SVM_VMCB_ASSERT(struct svm_vmcb, save.cr4, 0x548);
SVM_VMCB_ASSERT(struct svm_vmcb, save.rflags, 0x570);
SVM_VMCB_ASSERT(struct svm_vmcb, save.rip, 0x578);
SVM_VMCB_ASSERT(struct svm_vmcb, save.rsp, 0x5d8);
SVM_VMCB_ASSERT(struct svm_vmcb, save.rax, 0x5f8);
SVM_VMCB_ASSERT(struct svm_vmcb, save.star, 0x600);
SVM_VMCB_ASSERT(struct svm_vmcb, save.cr2, 0x640);
SVM_VMCB_ASSERT(struct svm_vmcb, save.spec_ctrl, 0x6e0);
SVM_VMCB_ASSERT(struct svm_vmcb, save.g_pat, 0x668);
SVM_VMCB_ASSERT(struct svm_vmcb, save.last_excp_to, 0x690);
static_assert(sizeof(struct svm_vmcb) <= 4096);

/* intercept_cr: reads in 15:0, writes in 31:16 */
#define SVM_INTERCEPT_CR8_WRITE		BIT(16 + 8)
/* WRITE_CRn exit_info_1 with decode assists */
#define SVM_CR_VALID			BIT_ULL(63)

/* intercept_misc1 (APM table B-1, vector 3) */
#define SVM_INTERCEPT_INTR		BIT(0)
#define SVM_INTERCEPT_NMI		BIT(1)
#define SVM_INTERCEPT_SMI		BIT(2)
#define SVM_INTERCEPT_VINTR		BIT(4)
#define SVM_INTERCEPT_RDPMC		BIT(15)
#define SVM_INTERCEPT_CPUID		BIT(18)
#define SVM_INTERCEPT_IRET		BIT(20)
#define SVM_INTERCEPT_INVD		BIT(22)
#define SVM_INTERCEPT_HLT		BIT(24)
#define SVM_INTERCEPT_INVLPGA		BIT(26)
#define SVM_INTERCEPT_IOIO		BIT(27)
#define SVM_INTERCEPT_MSR		BIT(28)
#define SVM_INTERCEPT_TASK_SWITCH	BIT(29)
#define SVM_INTERCEPT_SHUTDOWN		BIT(31)
/* intercept_misc2 (vector 4) */
#define SVM_INTERCEPT_VMRUN		BIT(0)
#define SVM_INTERCEPT_VMMCALL		BIT(1)
#define SVM_INTERCEPT_VMLOAD		BIT(2)
#define SVM_INTERCEPT_VMSAVE		BIT(3)
#define SVM_INTERCEPT_STGI		BIT(4)
#define SVM_INTERCEPT_CLGI		BIT(5)
#define SVM_INTERCEPT_SKINIT		BIT(6)
#define SVM_INTERCEPT_MONITOR		BIT(10)
#define SVM_INTERCEPT_MWAIT		BIT(11)
#define SVM_INTERCEPT_MWAIT_COND	BIT(12)
#define SVM_INTERCEPT_XSETBV		BIT(13)
#define SVM_INTERCEPT_WBINVD		BIT(9)
#define SVM_INTERCEPT_RDPRU		BIT(14)

/* Exit codes (APM appendix C) */
#define SVM_EXIT_WRITE_CR8		0x018
#define SVM_EXIT_READ_DR0		0x020
#define SVM_EXIT_WRITE_DR7		0x03f
#define SVM_EXIT_EXCP_BASE		0x040
#define SVM_EXIT_DB			(SVM_EXIT_EXCP_BASE + 1)
#define SVM_EXIT_AC			(SVM_EXIT_EXCP_BASE + 17)
#define SVM_EXIT_MC			(SVM_EXIT_EXCP_BASE + 18)
#define SVM_EXIT_INTR			0x060
#define SVM_EXIT_NMI			0x061
#define SVM_EXIT_SMI			0x062
#define SVM_EXIT_VINTR			0x064
#define SVM_EXIT_RDPMC			0x06f
#define SVM_EXIT_CPUID			0x072
#define SVM_EXIT_IRET			0x074
#define SVM_EXIT_INVD			0x076
#define SVM_EXIT_HLT			0x078
#define SVM_EXIT_INVLPGA		0x07a
#define SVM_EXIT_IOIO			0x07b
#define SVM_EXIT_MSR			0x07c
#define SVM_EXIT_TASK_SWITCH		0x07d
#define SVM_EXIT_SHUTDOWN		0x07f
#define SVM_EXIT_VMRUN			0x080
#define SVM_EXIT_VMMCALL		0x081
#define SVM_EXIT_VMLOAD			0x082
#define SVM_EXIT_VMSAVE			0x083
#define SVM_EXIT_STGI			0x084
#define SVM_EXIT_CLGI			0x085
#define SVM_EXIT_SKINIT			0x086
#define SVM_EXIT_WBINVD			0x089
#define SVM_EXIT_MONITOR		0x08a
#define SVM_EXIT_MWAIT			0x08b
#define SVM_EXIT_MWAIT_COND		0x08c
#define SVM_EXIT_XSETBV			0x08d
#define SVM_EXIT_RDPRU			0x08e
#define SVM_EXIT_NPF			0x400
#define SVM_EXIT_MAX			SVM_EXIT_NPF
#define SVM_EXIT_INVALID		(~0ull)

/* IOIO exit_info_1 */
#define SVM_IOIO_TYPE_IN		BIT(0)
#define SVM_IOIO_STR			BIT(2)
#define SVM_IOIO_REP			BIT(3)
#define SVM_IOIO_SIZE_SHIFT		4	/* one-hot 1/2/4 in bits 4..6 */
#define SVM_IOIO_ASIZE_SHIFT		7	/* one-hot 16/32/64 in bits 7..9 */
#define SVM_IOIO_SEG_SHIFT		10
#define SVM_IOIO_PORT_SHIFT		16

/* NPF exit_info_1 */
#define SVM_NPF_PRESENT			BIT_ULL(0)
#define SVM_NPF_WRITE			BIT_ULL(1)
#define SVM_NPF_FETCH			BIT_ULL(4)
#define SVM_NPF_GUEST_PAGE		BIT_ULL(33)

/* int_ctl */
#define SVM_V_TPR_MASK			0xfu
#define SVM_V_IRQ			BIT(8)
#define SVM_V_INTR_PRIO_SHIFT		16
#define SVM_V_IGN_TPR			BIT(20)
#define SVM_V_INTR_MASKING		BIT(24)

/* event_inj and exit_int_info */
#define SVM_EVTINJ_VALID		BIT(31)
#define SVM_EVTINJ_VALID_ERR		BIT(11)
#define SVM_EVTINJ_TYPE_SHIFT		8
#define SVM_EVTINJ_TYPE_INTR		0
#define SVM_EVTINJ_TYPE_NMI		2
#define SVM_EVTINJ_TYPE_EXEPT		3
#define SVM_EVTINJ_TYPE_SOFT		4	/* INTn */
#define SVM_EVTINJ_TYPE_MASK		(7u << SVM_EVTINJ_TYPE_SHIFT)
#define SVM_EVTINJ_VECTOR_MASK		0xffu

/* int_state */
#define SVM_INTERRUPT_SHADOW		BIT_ULL(0)

#define SVM_NESTED_CTL_NP_ENABLE	BIT(0)
#define SVM_TLB_CONTROL_FLUSH_ALL	1
#define SVM_TLB_CONTROL_FLUSH_ASID	3

/* VMCB clean bits: state the CPU may keep cached between VMRUNs. */
#define SVM_CLEAN_INTERCEPTS		BIT(0)
#define SVM_CLEAN_IOPM			BIT(1)
#define SVM_CLEAN_ASID			BIT(2)
#define SVM_CLEAN_INTR			BIT(3)
#define SVM_CLEAN_NPT			BIT(4)
#define SVM_CLEAN_CR			BIT(5)
#define SVM_CLEAN_DR			BIT(6)
#define SVM_CLEAN_DT			BIT(7)
#define SVM_CLEAN_SEG			BIT(8)
#define SVM_CLEAN_CR2			BIT(9)
#define SVM_CLEAN_ALL			0x3ff

#endif /* VHV_SVM_VMCB_H */
