// SPDX-License-Identifier: GPL-2.0
/*
 * irqfd: an eventfd whose signal injects a GSI (edge, or level with a
 * resamplefd) or an MSI into the VM's in-kernel irqchip, from the
 * eventfd's wakeup callback, without the VMM's device thread in between.
 *
 * Life cycle.  An irqfd is on its VM's list (under irqfds.lock, a mutex)
 * and on its eventfd's wait queue.  Only the path that takes it off the
 * list may free it: VHV_IRQFD's deassign, the cleanup work (after the
 * eventfd was closed: EPOLLHUP), or VM teardown.  That path first removes
 * it from the eventfd's wait queue with eventfd_ctx_remove_wait_queue(),
 * which takes the wait-queue lock the wakeup callback runs under: once it
 * returns no callback runs or will run for this irqfd, so it may be freed.
 * The callback itself never frees or unlinks anything; on EPOLLHUP it
 * marks the irqfd and queues the cleanup work.  Teardown splices the whole
 * list away, removes every wait entry (no callback can queue work after
 * that), then cancels both works synchronously: nothing of the VM or of
 * this module runs afterwards, so the module can unload.
 *
 * Locks: the callback runs with the eventfd's wait-queue lock held and
 * IRQs off, and takes chip->lock and apic->lock inside it.  Nothing here
 * signals an eventfd under chip->lock or apic->lock (another VM's irqfd or
 * this one's could wait on it, taking those locks the other way round):
 * the IOAPIC's EOI notifier only records which GSIs to resample, and the
 * resample work signals the resamplefds from process context.
 */
#include <linux/bitops.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "../vhv.h"
#include "../compat.h"
#include "irqchip.h"
#include "irqfd.h"

struct irqfd {
	struct list_head link;		/* on irqfds.list, under irqfds.lock */
	struct vhv_vm *vm;
	struct eventfd_ctx *eventfd;
	struct eventfd_ctx *resamplefd;	/* VHV_IRQFD_RESAMPLE only */
	wait_queue_entry_t wait;	/* on the eventfd's wait queue */
	poll_table pt;
	bool queued;			/* wait is on the wait queue */
	bool hup;			/* the eventfd was closed */
	u32 flags;			/* VHV_IRQFD_RESAMPLE | VHV_IRQFD_MSI */
	u32 gsi;
	u64 msi_address;
	u32 msi_data;
};

static void inject(struct irqfd *f)
{
	if (f->flags & VHV_IRQFD_MSI)
		vhv_irq_send_msi(f->vm, f->msi_address, f->msi_data);
	else
		vhv_irq_set_gsi(f->vm, f->gsi, true,
				!(f->flags & VHV_IRQFD_RESAMPLE));
}

/* Called with the eventfd's wait-queue lock held, IRQs off. */
static int irqfd_wakeup(wait_queue_entry_t *wait, unsigned int mode, int sync,
			void *key)
{
	struct irqfd *f = container_of(wait, struct irqfd, wait);
	__poll_t events = key_to_poll(key);
	u64 cnt;

	if (events & EPOLLIN) {
		/* Signals are interrupts, not a count: consume them. */
		eventfd_ctx_do_read(f->eventfd, &cnt);
		inject(f);
	}
	if (events & EPOLLHUP) {
		WRITE_ONCE(f->hup, true);
		schedule_work(&f->vm->irqfds.cleanup_work);
	}
	return 0;
}

static void irqfd_queue_proc(struct file *file, wait_queue_head_t *wqh,
			     poll_table *pt)
{
	struct irqfd *f = container_of(pt, struct irqfd, pt);

	if (f->queued)
		return;		/* an eventfd has one wait queue */
	f->queued = true;
	add_wait_queue(wqh, &f->wait);
}

/* ---- the list, under irqfds.lock ------------------------------------------ */

static void recompute_resample(struct vhv_irqfds *fds)
{
	struct irqfd *f;
	u32 gsis = 0;

	list_for_each_entry(f, &fds->list, link)
		if (f->flags & VHV_IRQFD_RESAMPLE)
			gsis |= BIT(f->gsi);
	WRITE_ONCE(fds->resample_gsis, gsis);
}

static void unlink_irqfd(struct vhv_irqfds *fds, struct irqfd *f)
{
	list_del(&f->link);
	fds->nr--;
	if (f->flags & VHV_IRQFD_RESAMPLE)
		recompute_resample(fds);
}

/*
 * An irqfd off the list, now ours alone: off the wait queue (after which
 * no callback touches it), the line it held let go, freed.
 */
static void release_irqfd(struct irqfd *f, bool lower)
{
	struct vhv_irqfds *fds = &f->vm->irqfds;
	u64 cnt;

	if (f->queued)
		eventfd_ctx_remove_wait_queue(f->eventfd, &f->wait, &cnt);
	if (lower && (f->flags & VHV_IRQFD_RESAMPLE)) {
		/*
		 * Under the list's lock: a resample irqfd assigned on this GSI
		 * meanwhile has its bit in resample_gsis, and its level stays.
		 */
		mutex_lock(&fds->lock);
		if (!(fds->resample_gsis & BIT(f->gsi)))
			vhv_irq_set_gsi(f->vm, f->gsi, false, false);
		mutex_unlock(&fds->lock);
	}
	if (f->resamplefd)
		eventfd_ctx_put(f->resamplefd);
	eventfd_ctx_put(f->eventfd);
	kfree(f);
}

static void cleanup_work_fn(struct work_struct *work)
{
	struct vhv_irqfds *fds = container_of(work, struct vhv_irqfds, cleanup_work);
	struct irqfd *f, *n;
	LIST_HEAD(dead);

	mutex_lock(&fds->lock);
	list_for_each_entry_safe(f, n, &fds->list, link) {
		if (!READ_ONCE(f->hup))
			continue;
		unlink_irqfd(fds, f);
		list_add(&f->link, &dead);
	}
	mutex_unlock(&fds->lock);
	list_for_each_entry_safe(f, n, &dead, link)
		release_irqfd(f, true);
}

static void resample_work_fn(struct work_struct *work)
{
	struct vhv_irqfds *fds = container_of(work, struct vhv_irqfds, resample_work);
	unsigned long pending = xchg(&fds->resample_pending, 0);
	struct irqfd *f;

	mutex_lock(&fds->lock);
	list_for_each_entry(f, &fds->list, link)
		if (f->resamplefd && (pending & BIT(f->gsi)))
			vhv_eventfd_signal(f->resamplefd);
	mutex_unlock(&fds->lock);
}

/* The GSIs that drive IOAPIC pin `pin` (GSI 0 drives pin 2, see set_gsi). */
static u32 pin_gsis(unsigned int pin)
{
	if (pin == 2)
		return BIT(0) | BIT(2);
	return pin ? BIT(pin) : 0;
}

/* Under chip->lock, IRQs off: record, lower, and let the work signal. */
bool vhv_irqfd_ioapic_eoi(void *ctx, unsigned int pin)
{
	struct vhv_irqchip *chip = ctx;
	struct vhv_irqfds *fds = &chip->vm->irqfds;
	u32 gsis = READ_ONCE(fds->resample_gsis) & pin_gsis(pin);
	unsigned int gsi;

	if (!gsis)
		return false;
	for (gsi = 0; gsi < VHV_IOAPIC_PINS; gsi++) {
		if (!(gsis & BIT(gsi)))
			continue;
		/* GSIs 0-15 reach the PIC too: let go of its input as well. */
		if (gsi < 16)
			vhv_pic_set_irq(&chip->pic, gsi, false);
		set_bit(gsi, &fds->resample_pending);
	}
	if (gsis & 0xffff)
		vhv_irqchip_pic_sync(chip);
	schedule_work(&fds->resample_work);
	return true;	/* the IOAPIC lowers the pin itself */
}

/* ---- VHV_IRQFD ----------------------------------------------------------- */

static int check_args(const struct vhv_irqfd *a)
{
	if ((a->flags & ~VHV_IRQFD_VALID_FLAGS) || a->pad || a->reserved[0] ||
	    a->reserved[1])
		return -EINVAL;
	if (a->flags & VHV_IRQFD_DEASSIGN)
		return a->flags != VHV_IRQFD_DEASSIGN || a->gsi || a->resamplefd ||
		       a->msi_address || a->msi_data ? -EINVAL : 0;
	if (!(a->flags & VHV_IRQFD_RESAMPLE) && a->resamplefd)
		return -EINVAL;
	if (a->flags & VHV_IRQFD_MSI)
		return (a->flags & VHV_IRQFD_RESAMPLE) || a->gsi ||
		       !vhv_irq_msi_address_ok(a->msi_address) ? -EINVAL : 0;
	return a->gsi >= VHV_IOAPIC_PINS || a->msi_address || a->msi_data ?
	       -EINVAL : 0;
}

static int irqfd_assign(struct vhv_vm *vm, const struct vhv_irqfd *a)
{
	struct vhv_irqfds *fds = &vm->irqfds;
	struct irqfd *f, *o;
	struct file *file;
	__poll_t events;
	int r;

	if (!smp_load_acquire(&vm->irqchip))
		return -ENXIO;
	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return -ENOMEM;
	f->vm = vm;
	f->flags = a->flags;
	f->gsi = a->gsi;
	f->msi_address = a->msi_address;
	f->msi_data = a->msi_data;
	init_waitqueue_func_entry(&f->wait, irqfd_wakeup);
	init_poll_funcptr(&f->pt, irqfd_queue_proc);

	file = fget(a->fd);
	r = -EBADF;
	if (!file)
		goto err_free;
	f->eventfd = eventfd_ctx_fileget(file);
	if (IS_ERR(f->eventfd)) {
		r = PTR_ERR(f->eventfd);
		goto err_fput;
	}
	if (a->flags & VHV_IRQFD_RESAMPLE) {
		f->resamplefd = eventfd_ctx_fdget(a->resamplefd);
		if (IS_ERR(f->resamplefd)) {
			r = PTR_ERR(f->resamplefd);
			f->resamplefd = NULL;
			goto err_eventfd;
		}
		r = -EINVAL;
		if (f->resamplefd == f->eventfd)
			goto err_eventfd;
	}

	mutex_lock(&fds->lock);
	r = -EEXIST;
	list_for_each_entry(o, &fds->list, link)
		if (o->eventfd == f->eventfd)
			goto err_unlock;
	r = -ENOSPC;
	if (fds->nr >= VHV_MAX_IRQFDS)
		goto err_unlock;
	list_add_tail(&f->link, &fds->list);
	fds->nr++;
	if (f->flags & VHV_IRQFD_RESAMPLE)
		WRITE_ONCE(fds->resample_gsis, fds->resample_gsis | BIT(f->gsi));
	/* From here the callback may run (and the eventfd may be closed). */
	events = vfs_poll(file, &f->pt);
	if (events & EPOLLIN)
		inject(f);	/* signalled before it was ours */
	mutex_unlock(&fds->lock);
	fput(file);
	return 0;

err_unlock:
	mutex_unlock(&fds->lock);
err_eventfd:
	if (f->resamplefd)
		eventfd_ctx_put(f->resamplefd);
	eventfd_ctx_put(f->eventfd);
err_fput:
	fput(file);
err_free:
	kfree(f);
	return r;
}

static int irqfd_deassign(struct vhv_vm *vm, const struct vhv_irqfd *a)
{
	struct vhv_irqfds *fds = &vm->irqfds;
	struct irqfd *f, *found = NULL;
	struct eventfd_ctx *ctx;

	ctx = eventfd_ctx_fdget(a->fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	mutex_lock(&fds->lock);
	list_for_each_entry(f, &fds->list, link) {
		if (f->eventfd == ctx) {
			unlink_irqfd(fds, f);
			found = f;
			break;
		}
	}
	mutex_unlock(&fds->lock);
	eventfd_ctx_put(ctx);
	if (!found)
		return -ENOENT;
	release_irqfd(found, true);
	return 0;
}

int vhv_irqfd(struct vhv_vm *vm, void __user *argp)
{
	struct vhv_irqfd a;
	int r;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	r = check_args(&a);
	if (r)
		return r;
	if (a.flags & VHV_IRQFD_DEASSIGN)
		return irqfd_deassign(vm, &a);
	return irqfd_assign(vm, &a);
}

/* ---- life cycle --------------------------------------------------------------- */

void vhv_irqfds_init(struct vhv_vm *vm)
{
	struct vhv_irqfds *fds = &vm->irqfds;

	mutex_init(&fds->lock);
	INIT_LIST_HEAD(&fds->list);
	INIT_WORK(&fds->resample_work, resample_work_fn);
	INIT_WORK(&fds->cleanup_work, cleanup_work_fn);
}

void vhv_irqfds_destroy(struct vhv_vm *vm)
{
	struct vhv_irqfds *fds = &vm->irqfds;
	struct irqfd *f, *n;
	LIST_HEAD(all);

	mutex_lock(&fds->lock);
	list_splice_init(&fds->list, &all);
	fds->nr = 0;
	WRITE_ONCE(fds->resample_gsis, 0);
	mutex_unlock(&fds->lock);
	/* Each off its wait queue first: then no callback queues work. */
	list_for_each_entry(f, &all, link) {
		u64 cnt;

		if (f->queued)
			eventfd_ctx_remove_wait_queue(f->eventfd, &f->wait, &cnt);
		f->queued = false;
	}
	cancel_work_sync(&fds->cleanup_work);
	cancel_work_sync(&fds->resample_work);
	list_for_each_entry_safe(f, n, &all, link)
		release_irqfd(f, false);
	mutex_destroy(&fds->lock);
}
