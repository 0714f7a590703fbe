// SPDX-License-Identifier: GPL-2.0
/*
 * ioeventfd: guest writes to a port or MMIO address that signal an eventfd
 * in the kernel, the vCPU going on without an exit to userspace (virtio
 * doorbells).  One table per space, copied on update under vm->lock and
 * read by vCPUs under the VM's SRCU, as KVM's I/O bus is: an update waits
 * for an expedited grace period of that SRCU alone, which is quick (a VMM
 * registers its queues' eventfds one by one) and, unlike an expedited
 * RCU grace period, interrupts no other CPU, so a /dev/vhv user looping
 * on VHV_IOEVENTFD cannot storm the host with IPIs.  SRCU's full barrier
 * on a doorbell exit is small beside the exit.
 */
#include <linux/eventfd.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "vhv.h"
#include "compat.h"

static struct vhv_ioevt_table __rcu **table_of(struct vhv_vm *vm, bool pio)
{
	return &vm->ioevts[pio];
}

static struct vhv_ioevt_table *table_locked(struct vhv_vm *vm, bool pio)
{
	return srcu_dereference_check(*table_of(vm, pio), &vm->srcu,
				      lockdep_is_held(&vm->lock));
}

/*
 * The new table with e added (remove_idx < 0) or entry remove_idx taken
 * out, published; NULL table pointers stand for empty ones.  Caller holds
 * vm->lock; returns the old table for the caller to free after readers.
 */
static int publish(struct vhv_vm *vm, bool pio, const struct vhv_ioevt *e,
		   int remove_idx, struct vhv_ioevt_table **old)
{
	struct vhv_ioevt_table *t = table_locked(vm, pio), *n = NULL;
	u32 nr = (t ? t->nr : 0) + (e ? 1 : 0) - (remove_idx >= 0 ? 1 : 0);

	if (nr) {
		n = kvmalloc(vhv_ioevt_table_size(nr), GFP_KERNEL_ACCOUNT);
		if (!n)
			return -ENOMEM;
		vhv_ioevt_build(n, t, e, remove_idx);
	}
	rcu_assign_pointer(*table_of(vm, pio), n);
	*old = t;
	return 0;
}

static int assign(struct vhv_vm *vm, const struct vhv_ioevt *e,
		  struct vhv_ioevt_table **old)
{
	bool pio = e->flags & VHV_IOEVENTFD_PIO;
	int r;

	r = vhv_ioevt_conflict(table_locked(vm, pio), e);
	if (r)
		return r;
	if (vm->nr_ioevts >= VHV_MAX_IOEVENTFDS)
		return -ENOSPC;
	r = publish(vm, pio, e, -1, old);
	if (!r)
		vm->nr_ioevts++;
	return r;
}

static int deassign(struct vhv_vm *vm, const struct vhv_ioevt *e,
		    struct vhv_ioevt_table **old)
{
	bool pio = e->flags & VHV_IOEVENTFD_PIO;
	int idx, r;

	idx = vhv_ioevt_find(table_locked(vm, pio), e);
	if (idx < 0)
		return idx;
	r = publish(vm, pio, NULL, idx, old);
	if (!r)
		vm->nr_ioevts--;
	return r;
}

int vhv_ioeventfd(struct vhv_vm *vm, void __user *argp)
{
	struct vhv_ioevt_table *old = NULL;
	struct vhv_ioeventfd a;
	struct eventfd_ctx *ctx;
	struct vhv_ioevt e;
	bool remove;
	int r;

	if (copy_from_user(&a, argp, sizeof(a)))
		return -EFAULT;
	r = vhv_ioevt_check_args(&a, vhv_limits.phys_bits);
	if (r)
		return r;
	ctx = eventfd_ctx_fdget(a.fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	vhv_ioevt_from_args(&e, &a, ctx);
	remove = a.flags & VHV_IOEVENTFD_DEASSIGN;

	mutex_lock(&vm->lock);
	r = remove ? deassign(vm, &e, &old) : assign(vm, &e, &old);
	mutex_unlock(&vm->lock);
	if (r) {
		eventfd_ctx_put(ctx);
		return r;
	}
	/* No vCPU still looks at the old table, or signals what it held. */
	if (old)
		synchronize_srcu_expedited(&vm->srcu);
	kvfree(old);
	/* Assign: the table keeps our reference.  Deassign: the table's
	 * reference (the same context) and ours go. */
	if (remove) {
		eventfd_ctx_put(ctx);
		eventfd_ctx_put(ctx);
	}
	return 0;
}

bool vhv_ioeventfd_write(struct vhv_vcpu *vcpu, bool pio, u64 addr, u32 len,
			 u64 val)
{
	struct vhv_vm *vm = vcpu->vm;
	const struct vhv_ioevt *e;
	int idx;

	if (!rcu_access_pointer(*table_of(vm, pio)))
		return false;
	idx = srcu_read_lock(&vm->srcu);
	e = vhv_ioevt_match(srcu_dereference(*table_of(vm, pio), &vm->srcu), addr, len, val);
	if (e)
		vhv_eventfd_signal(e->eventfd);
	srcu_read_unlock(&vm->srcu, idx);
	if (!e)
		return false;
	vhv_count(vcpu, VHV_STAT_IOEVENTFD);
	return true;
}

/* VM teardown: no vCPU runs any more. */
void vhv_ioeventfd_free(struct vhv_vm *vm)
{
	unsigned int s;
	u32 i;

	for (s = 0; s < ARRAY_SIZE(vm->ioevts); s++) {
		struct vhv_ioevt_table *t = rcu_dereference_protected(vm->ioevts[s], 1);

		for (i = 0; t && i < t->nr; i++)
			eventfd_ctx_put(t->e[i].eventfd);
		kvfree(t);
		RCU_INIT_POINTER(vm->ioevts[s], NULL);
	}
	vm->nr_ioevts = 0;
}
