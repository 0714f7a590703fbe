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
SVM_VMCB_ASSERT(struct svm_vmcb, save.g_pat, 0x668);
SVM_VMCB_ASSERT(struct svm_vmcb, save.last_excp_to, 0x690);
static_assert(sizeof(struct svm_vmcb) <= 4096);

#endif /* VHV_SVM_VMCB_H */
