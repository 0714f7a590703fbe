/* SPDX-License-Identifier: GPL-2.0 */
/* The VT-x backend's internals, shared by vmx.c and run.c. */
#ifndef VHV_VMX_H
#define VHV_VMX_H

#include <linux/list.h>
#include <asm/asm.h>

#include "../vhv.h"
#include "caps.h"
#include "event.h"
#include "msr_switch.h"
#include "vmcs.h"

/*
 * MSRs a VM exit does not switch, held for the guest from the first entry
 * after a load to the put (vmx.c).  The guest reaches KERNEL_GS_BASE
 * without exits; the syscall ones exit, so vhv always knows them.
 */
enum vmx_lazy_msr {
	VMX_MSR_KERNEL_GS_BASE,
	VMX_MSR_STAR,
	VMX_MSR_LSTAR,
	VMX_MSR_CSTAR,
	VMX_MSR_SFMASK,
	VMX_NR_LAZY_MSRS
};

/* The host's view of what a VM exit leaves wrong, saved before entry. */
struct vmx_host_state {
	bool saved;		/* guest's KERNEL_GS_BASE in the CPU, these held */
	bool syscall_loaded;	/* and its STAR, LSTAR and SFMASK */
	u16 ds, es, fs, gs, ldt;
	u64 kernel_gs_base;
};

struct vmx_vcpu {
	struct vhv_vcpu vcpu;
	void *vmcs;			/* one page: the VMCS region */
	u64 vmcs_pa;
	/*
	 * The CPU whose VMCS cache holds this VMCS (VMPTRLD, not yet
	 * VMCLEAR), or -1; written by that CPU (IPI) or by the vCPU thread
	 * after that CPU let go.  On that CPU's list while >= 0.
	 */
	int vmcs_cpu;
	struct list_head loaded_link;
	bool launched;			/* VMLAUNCH done since the last VMCLEAR */
	u16 vpid;			/* 0: none (VPID off in this VMCS) */

	/* Control words as wanted for the next entry. */
	u32 proc;
	u32 entry;
	/*
	 * What the VMCS holds of the fields set before every entry, so that
	 * each is written only when it changes (a VMWRITE per field and
	 * entry otherwise); read from the VMCS where vhv cannot know it
	 * (vmx_vmcs_has_reload()).
	 */
	struct {
		bool intr_info;		/* VM-entry interruption info valid */
		u32 proc, interruptibility, preemption_timer;
		u64 rsp, rip, rflags;
	} vmcs_has;
	u64 host_cr3, host_cr4;
	u64 cr0_mask, cr4_mask;		/* guest/host masks */

	/* Guest state the VMCS does not hold, or holds differently. */
	u64 cr0, cr4;			/* the guest's view of the masked bits */
	u64 cr2;
	u8 cr8;				/* without an irqchip */
	u64 dr6;
	u64 debugctl;			/* kept, not applied: no LBR/BTF */
	/*
	 * The host's IA32_DEBUGCTL, which every VM exit clears (SDM vol. 3C
	 * 28.5.1): bus-lock detection, LBR, BTF.  Read at vcpu_load, put
	 * back after each exit.
	 */
	u64 host_debugctl;
	u64 lazy_msrs[VMX_NR_LAZY_MSRS];
	struct vmx_host_state host;
	/* The MSR-load lists (a page), and their length in the VMCS. */
	struct vmx_msr_switch *msr_switch;
	u32 msr_switch_nr;
	bool pdptrs_dirty;		/* PAE paging: load PDPTEs at entry */
	bool flush_vpid;		/* the guest's own TLB: INVVPID at entry */
	bool l1d_flush_due;		/* L1TF: L1D flushed at the next entry */

	/* Exceptions vhv's own emulation raised, delivered first. */
	bool exc_pending;
	u8 exc_vector;
	bool exc_has_error;
	u32 exc_error;
	/* An event the last exit interrupted (IDT vectoring), re-injected. */
	u32 reinject;
	u32 reinject_err;
	struct vmx_injection injected;	/* what the last entry injected */
	u32 reinject_later;		/* displaced by an exception the exit raised */
	u32 reinject_later_err;
	bool triple_fault;
	u64 exit_rip;			/* guest RIP at the last exit */
	u32 interruptibility;		/* as the last exit (or set_events) left it */
	bool force_if;			/* IF forced on for a re-injected interrupt */
	bool relaunched;		/* the launch state was corrected once */
	bool idt_valid;			/* the last exit cut an event's delivery short */

	/* The last exit. */
	u32 exit_reason;
	u64 exit_qual;
	u32 exit_intr_info;
};

/* Per-CPU state of the backend. */
struct vmx_cpu {
	void *vmxon_region;
	struct list_head loaded;	/* VMCSs active on this CPU */
	void *current_vmcs;		/* VMPTRLD'd last, or NULL */
};
DECLARE_PER_CPU(struct vmx_cpu, vmx_cpu);

extern struct vmx_caps vmx_caps;

static inline struct vmx_vcpu *to_vmx(struct vhv_vcpu *vcpu)
{
	return container_of(vcpu, struct vmx_vcpu, vcpu);
}

/* VMX instructions; a fault (VMX turned off for a reboot) is skipped. */
static inline bool vmx_vmclear(u64 pa)
{
	bool failed = true;

	asm volatile("1: vmclear %[pa]\n\t"
		     "setna %[failed]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [failed] "+qm" (failed) : [pa] "m" (pa) : "cc", "memory");
	return !failed;
}

static inline bool vmx_vmptrld(u64 pa)
{
	bool failed = true;

	asm volatile("1: vmptrld %[pa]\n\t"
		     "setna %[failed]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : [failed] "+qm" (failed) : [pa] "m" (pa) : "cc", "memory");
	return !failed;
}

#define VMX_INV_SINGLE_CONTEXT	1

static inline void vmx_invept(u64 eptp)
{
	struct { u64 eptp, reserved; } desc = { eptp, 0 };

	asm volatile("1: invept %[desc], %[type]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : : [desc] "m" (desc), [type] "r" ((u64)VMX_INV_SINGLE_CONTEXT)
		     : "cc", "memory");
}

static inline void vmx_invvpid(u16 vpid)
{
	struct { u64 vpid, gla; } desc = { vpid, 0 };

	asm volatile("1: invvpid %[desc], %[type]\n"
		     "2:\n\t"
		     _ASM_EXTABLE(1b, 2b)
		     : : [desc] "m" (desc), [type] "r" ((u64)VMX_INV_SINGLE_CONTEXT)
		     : "cc", "memory");
}

/* vmenter.S: 0 after a VM exit, 1 when VMLAUNCH/VMRESUME failed. */
int vmx_vmenter(struct vhv_regs *regs, u64 launched, u64 guest_spec_ctrl);
void vmx_vmexit(void);		/* HOST_RIP: not a function to call */

/* vmx.c */
void vmx_load_vmcs(struct vmx_vcpu *vmx, int cpu);
/* The guest's view: its own bits from the CPU, the masked ones from the shadow. */
static inline u64 vmx_guest_cr0(struct vmx_vcpu *vmx)
{
	return (vmcs_readnat(VMCS_GUEST_CR0) & ~vmx->cr0_mask) |
	       (vmx->cr0 & vmx->cr0_mask);
}

static inline u64 vmx_guest_cr4(struct vmx_vcpu *vmx)
{
	return (vmcs_readnat(VMCS_GUEST_CR4) & ~vmx->cr4_mask) |
	       (vmx->cr4 & vmx->cr4_mask);
}
void vmx_write_cr0(struct vmx_vcpu *vmx, u64 cr0);
void vmx_write_cr4(struct vmx_vcpu *vmx, u64 cr4);
void vmx_save_host_state(struct vmx_vcpu *vmx);
void vmx_load_syscall_msrs(struct vmx_vcpu *vmx);
void vmx_vmcs_has_reload(struct vmx_vcpu *vmx);
void vmx_load_host_state(struct vmx_vcpu *vmx);
u64 vmx_eptp_of(struct vhv_vm *vm);

/*
 * The VMCS of vmx current on this CPU, for a vendor op that may come
 * from an ioctl (no run loop has loaded the vCPU) or from inside the run
 * loop (loaded already: then nothing to do).
 */
static inline void vmx_vmcs_get(struct vmx_vcpu *vmx)
{
	vmx_load_vmcs(vmx, get_cpu());
}

static inline void vmx_vmcs_put(struct vmx_vcpu *vmx)
{
	put_cpu();
}

/* run.c */
int vmx_run_setup(void);
void vmx_run_unsetup(void);
void vmx_warn_l1tf_smt(void);
int vmx_vcpu_run(struct vhv_vcpu *vcpu);
void vmx_vcpu_load(struct vhv_vcpu *vcpu, int cpu);
void vmx_vcpu_put(struct vhv_vcpu *vcpu);
bool vmx_interrupt_allowed(struct vhv_vcpu *vcpu);
void vmx_clear_events(struct vhv_vcpu *vcpu);
bool vmx_event_in_flight(struct vhv_vcpu *vcpu);
void vmx_queue_exception(struct vhv_vcpu *vcpu, u8 vector, bool has_error,
			 u32 error, u64 cr2);
void vmx_single_step(struct vhv_vcpu *vcpu);
void vmx_get_events(struct vhv_vcpu *vcpu, struct vhv_vcpu_events *ev);
void vmx_set_events(struct vhv_vcpu *vcpu, const struct vhv_vcpu_events *ev);

#endif /* VHV_VMX_H */
