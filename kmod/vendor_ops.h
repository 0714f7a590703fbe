/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The vendor boundary, as an X-macro list.  Include with VHV_VENDOR_OP and
 * VHV_VENDOR_OP_OPTIONAL defined; each entry is (return type, name, args).
 * Mandatory ops are checked non-NULL when the module loads.
 */
#ifndef VHV_VENDOR_OP_OPTIONAL
#define VHV_VENDOR_OP_OPTIONAL VHV_VENDOR_OP
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

/* Guest execution: absent until the vendor's execution core exists. */
VHV_VENDOR_OP_OPTIONAL(int, vcpu_run, (struct vhv_vcpu *vcpu))

#undef VHV_VENDOR_OP
#undef VHV_VENDOR_OP_OPTIONAL
