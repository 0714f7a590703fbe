/* SPDX-License-Identifier: GPL-2.0 */
/* Save and restore of interrupt controllers, timers and pending events. */
#ifndef VHV_IRQ_STATE_H
#define VHV_IRQ_STATE_H

struct vhv_vm;
struct vhv_vcpu;

/* VM ioctls. */
int vhv_get_irqchip(struct vhv_vm *vm, void __user *argp);
int vhv_set_irqchip(struct vhv_vm *vm, void __user *argp);
/* vCPU ioctls, under the vCPU's mutex. */
int vhv_get_lapic(struct vhv_vcpu *vcpu, void __user *argp);
int vhv_set_lapic(struct vhv_vcpu *vcpu, void __user *argp);
int vhv_get_vcpu_events(struct vhv_vcpu *vcpu, void __user *argp);
int vhv_set_vcpu_events(struct vhv_vcpu *vcpu, void __user *argp);

#endif /* VHV_IRQ_STATE_H */
