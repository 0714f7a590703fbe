/* SPDX-License-Identifier: GPL-2.0 */
/*
 * irqfd: eventfds that inject a GSI or an MSI into the in-kernel irqchip
 * when signalled (VHV_IRQFD), with resamplefds for level-triggered GSIs.
 */
#ifndef VHV_IRQ_IRQFD_H
#define VHV_IRQ_IRQFD_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct vhv_vm;

/* A VM's irqfds (embedded in struct vhv_vm). */
struct vhv_irqfds {
	struct mutex lock;		/* list, nr, resample_gsis updates */
	struct list_head list;		/* struct irqfd (irqfd.c) */
	unsigned int nr;
	u32 resample_gsis;		/* GSIs with a resample irqfd */
	unsigned long resample_pending;	/* GSIs EOI'd: signal their resamplefds */
	struct work_struct resample_work;
	struct work_struct cleanup_work;	/* frees irqfds whose eventfd closed */
};

void vhv_irqfds_init(struct vhv_vm *vm);
/* VM teardown: no ioctl and no vCPU can run; before the irqchip goes. */
void vhv_irqfds_destroy(struct vhv_vm *vm);
int vhv_irqfd(struct vhv_vm *vm, void __user *argp);
/* The IOAPIC's EOI notifier (vhv_irq_eoi_fn; ctx is the irqchip). */
bool vhv_irqfd_ioapic_eoi(void *ctx, unsigned int pin);

#endif /* VHV_IRQ_IRQFD_H */
