/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vendor boundary, as an X-macro list.  Include with VHV_VENDOR_OP
 * defined (and optionally VHV_VENDOR_OP_OPTIONAL, VHV_VENDOR_OP_EXEC); each
 * entry is (return type, name, args).  Mandatory ops are checked non-NULL
 * when the module loads; the EXEC group is mandatory for a backend that
 * provides vcpu_run, and absent together with it.
 *
 * The rule that makes every ioctl safe on every backend: generic code
 * calls an EXEC op only on a path that vcpu_run reached (an exit being
 * handled) or after checking vhv_ops->vcpu_run.  Any op an ioctl needs on
 * its own (save/restore of state) is mandatory.
 */
#ifndef VHV_VENDOR_OP_OPTIONAL
#define VHV_VENDOR_OP_OPTIONAL VHV_VENDOR_OP
#endif
#ifndef VHV_VENDOR_OP_EXEC
#define VHV_VENDOR_OP_EXEC VHV_VENDOR_OP_OPTIONAL
#endif

/* Module load/unload: check the CPU, allocate per-CPU areas. */
VHV_VENDOR_OP(int, hardware_setup, (struct vhv_cpu_limits *lim))
VHV_VENDOR_OP(void, hardware_unsetup, (void))

/*
 * Turn virtualization on or off on the calling CPU (IRQs disabled).
 * enable_cpu returns -EBUSY when another hypervisor already holds it.
 */
VHV_VENDOR_OP(int, enable_cpu, (void))
VHV_VENDOR_OP(void, disable_cpu, (void))

/* vCPU state that lives in the VMCB/VMCS. */
VHV_VENDOR_OP(int, vcpu_create, (struct vhv_vcpu *vcpu))
VHV_VENDOR_OP(void, vcpu_free, (struct vhv_vcpu *vcpu))
VHV_VENDOR_OP(void, get_sregs, (struct vhv_vcpu *vcpu, struct vhv_sregs *s))
VHV_VENDOR_OP(void, set_sregs, (struct vhv_vcpu *vcpu, const struct vhv_sregs *s))
/*
 * MSRs kept in the VMCB/VMCS: -ENOENT for others (generic code has them),
 * -EINVAL for bad values.  VHV_GET/SET_MSRS reach these without running.
 */
VHV_VENDOR_OP(int, get_msr, (struct vhv_vcpu *vcpu, u32 index, u64 *data))
VHV_VENDOR_OP(int, set_msr, (struct vhv_vcpu *vcpu, u32 index, u64 data,
			     bool from_guest))

/*
 * Guest execution.  vcpu_run enters the guest once and handles the exit:
 * 1 to re-enter, 0 to return to userspace with the run area filled, <0 an
 * error.  Absent until the vendor's execution core exists.
 */
VHV_VENDOR_OP_OPTIONAL(int, vcpu_run, (struct vhv_vcpu *vcpu))
/* The vCPU thread arrives on / leaves a CPU (preemption disabled). */
VHV_VENDOR_OP_EXEC(void, vcpu_load, (struct vhv_vcpu *vcpu, int cpu))
VHV_VENDOR_OP_EXEC(void, vcpu_put, (struct vhv_vcpu *vcpu))
VHV_VENDOR_OP_EXEC(void, get_cpu_state, (struct vhv_vcpu *vcpu, struct vhv_cpu_state *st))
/* CR8 without an irqchip (the run area's cr8, after every VHV_RUN). */
VHV_VENDOR_OP_EXEC(u8, get_cr8, (struct vhv_vcpu *vcpu))
/* Delivered at the next entry, before anything userspace queued. */
VHV_VENDOR_OP_EXEC(void, queue_exception, (struct vhv_vcpu *vcpu, u8 vector,
					   bool has_error, u32 error, u64 cr2))
/*
 * A single-step trap at the instruction boundary vhv just brought the guest
 * to (vhv_complete_insn()): BS into the guest's DR6 as its CPU would set
 * it, with any debug condition the CPU holds pending for this boundary,
 * and an STI/MOV SS shadow over (the trap is taken here).  The caller
 * queues the #DB.
 */
VHV_VENDOR_OP_EXEC(void, single_step, (struct vhv_vcpu *vcpu))
/* Whether an external interrupt can be injected now. */
VHV_VENDOR_OP_EXEC(bool, interrupt_allowed, (struct vhv_vcpu *vcpu))
/* Forget events in flight, reset DR6/DR7 and DR interception (RESET, INIT). */
VHV_VENDOR_OP_EXEC(void, clear_events, (struct vhv_vcpu *vcpu))
/*
 * An event the vendor holds for the next entry (one whose delivery an exit
 * cut short, an exception raised, a triple fault): a halted vCPU wakes for
 * it, as the CPU delivers an accepted event whatever IF says.
 */
VHV_VENDOR_OP_EXEC(bool, event_in_flight, (struct vhv_vcpu *vcpu))
/*
 * The events the vendor keeps (VHV_GET/SET_VCPU_EVENTS): injected,
 * raised, displaced, nmi_masked, interrupt_shadow, triple_fault.  get
 * fills those (the struct comes zeroed); set takes them, already checked.
 */
VHV_VENDOR_OP_EXEC(void, get_events, (struct vhv_vcpu *vcpu, struct vhv_vcpu_events *ev))
VHV_VENDOR_OP_EXEC(void, set_events, (struct vhv_vcpu *vcpu,
				      const struct vhv_vcpu_events *ev))

#undef VHV_VENDOR_OP
#undef VHV_VENDOR_OP_OPTIONAL
#undef VHV_VENDOR_OP_EXEC
