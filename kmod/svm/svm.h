/* SPDX-License-Identifier: GPL-2.0 */
/* The AMD-V backend's internals, shared by svm.c and run.c. */
#ifndef VHV_SVM_H
#define VHV_SVM_H

#include "../vhv.h"
#include "vmcb.h"

#define SVM_EFER_SVME		BIT_ULL(12)

struct svm_vcpu {
	struct vhv_vcpu vcpu;
	struct svm_vmcb *vmcb;		/* one page, allocated at creation */
	u64 vmcb_pa;
	u32 asid_generation;		/* 0: needs a new ASID */
	int asid_cpu;			/* the CPU the ASID was taken on */
	int last_cpu;			/* where the VMCB last ran */

	/* Exceptions vhv's own emulation raised, delivered first. */
	bool exc_pending;
	u8 exc_vector;
	bool exc_has_error;
	u32 exc_error;
	/* An event the last exit interrupted (exit_int_info), re-injected. */
	u32 reinject;
	u32 reinject_err;
	u32 injected;			/* event_inj of the last entry */
	u32 reinject_later;		/* displaced by an exception the exit raised */
	u32 reinject_later_err;
	bool triple_fault;		/* a fault while delivering #DF */
	u64 exit_rip;			/* guest RIP at the last exit */

	bool nmi_masked;		/* an injected NMI awaits its IRET */
	bool awaiting_iret;		/* IRET intercepted; unmask when RIP moves */
	u64 nmi_iret_rip;

	u64 debugctl;
};

/* Per-CPU state of the backend. */
struct svm_cpu {
	struct page *hsave;		/* VM_HSAVE_PA: the CPU's own use */
	struct page *host_area;		/* VMSAVE/VMLOAD of the host */
	u32 asid_generation;
	u32 next_asid;
	struct svm_vmcb *last_vmcb;	/* for the clean bits */
};
DECLARE_PER_CPU(struct svm_cpu, svm_cpu);

extern u32 svm_max_asid;
extern bool svm_has_nrips, svm_has_flushbyasid, svm_has_decode_assists;

static inline struct svm_vcpu *to_svm(struct vhv_vcpu *vcpu)
{
	return container_of(vcpu, struct svm_vcpu, vcpu);
}

static inline void vmcb_mark_dirty(struct svm_vmcb *vmcb, u32 bits)
{
	vmcb->control.clean &= ~bits;
}

void svm_vmrun(u64 vmcb_pa, struct vhv_regs *regs, u64 host_area_pa,
	       u64 guest_spec_ctrl);

/* run.c */
int svm_vcpu_run(struct vhv_vcpu *vcpu);
void svm_vcpu_load(struct vhv_vcpu *vcpu, int cpu);
void svm_vcpu_put(struct vhv_vcpu *vcpu);
bool svm_interrupt_allowed(struct vhv_vcpu *vcpu);
void svm_clear_events(struct vhv_vcpu *vcpu);
bool svm_event_in_flight(struct vhv_vcpu *vcpu);
void svm_queue_exception(struct vhv_vcpu *vcpu, u8 vector, bool has_error,
			 u32 error, u64 cr2);
void svm_single_step(struct vhv_vcpu *vcpu);
void svm_get_events(struct vhv_vcpu *vcpu, struct vhv_vcpu_events *ev);
void svm_set_events(struct vhv_vcpu *vcpu, const struct vhv_vcpu_events *ev);

#endif /* VHV_SVM_H */
