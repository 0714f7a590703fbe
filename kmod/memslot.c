// SPDX-License-Identifier: GPL-2.0
/*
 * Memory slots: guest-physical ranges backed by the VMM's own virtual memory.
 * Updates copy the sorted table and publish it with SRCU, so vCPUs look slots
 * up without taking a lock and always see a whole table.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "vhv.h"

int vhv_memslots_init(struct vhv_vm *vm)
{
	struct vhv_memslots *t = kvzalloc(vhv_slots_size(0), GFP_KERNEL_ACCOUNT);

	if (!t)
		return -ENOMEM;
	RCU_INIT_POINTER(vm->memslots, t);
	return 0;
}

/* VM teardown: no reader is left. */
void vhv_memslots_free(struct vhv_vm *vm)
{
	struct vhv_memslots *t = rcu_dereference_protected(vm->memslots, true);

	atomic_sub(t->nr, &vhv_stats.memslots);
	kvfree(t);
}

/*
 * The whole user range must be ordinary memory the process may read (and
 * write, for a writable slot) right now.  Later changes are followed by the
 * MMU, so this only catches mistakes early, with a precise errno.
 */
static int check_user_range(struct mm_struct *mm, u64 start, u64 size,
			    bool writable)
{
	u64 end = start + size, addr = start;
	struct vm_area_struct *vma;
	int r = 0;

	mmap_read_lock(mm);
	while (addr < end) {
		vma = find_vma(mm, addr);
		if (!vma || vma->vm_start > addr) {
			r = -EFAULT;
			break;
		}
		if (vma->vm_flags & (VM_IO | VM_PFNMAP)) {
			r = -EOPNOTSUPP;
			break;
		}
		if (!(vma->vm_flags & VM_READ) ||
		    (writable && !(vma->vm_flags & VM_WRITE))) {
			r = -EACCES;
			break;
		}
		addr = vma->vm_end;
	}
	mmap_read_unlock(mm);
	return r;
}

static struct vhv_memslots *slots_locked(struct vhv_vm *vm)
{
	return rcu_dereference_protected(vm->memslots,
					 lockdep_is_held(&vm->lock));
}

/* Publish a new table and free the old one once no reader can see it. */
static void publish(struct vhv_vm *vm, struct vhv_memslots *new)
{
	struct vhv_memslots *old = slots_locked(vm);

	rcu_assign_pointer(vm->memslots, new);
	synchronize_srcu(&vm->srcu);
	atomic_add((int)new->nr - (int)old->nr, &vhv_stats.memslots);
	kvfree(old);
}

/*
 * The slot covering gfn, or NULL.  Caller holds vm->srcu (or vm->lock); the
 * result is valid until it drops it.  The slot may be VHV_MEMSLOT_INVALID:
 * its memory is still the VMM's to copy from or to, but not to map.
 */
const struct vhv_memslot *vhv_find_slot(struct vhv_vm *vm, u64 gfn)
{
	const struct vhv_memslots *t = srcu_dereference_check(vm->memslots,
			&vm->srcu, lockdep_is_held(&vm->lock));
	u32 lo = 0, hi = t->nr;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const struct vhv_memslot *s = &t->slot[mid];

		if (gfn < s->base_gfn)
			hi = mid;
		else if (gfn >= s->base_gfn + s->npages)
			lo = mid + 1;
		else
			return s;
	}
	return NULL;
}

/*
 * Takes slot idx of the published table out of the MMU's reach, with no
 * moment in which the guest maps a page of it that the host may have
 * freed.  The MMU notifier finds what a host change hits by looking hvas
 * up in the published table, so the old slot must stay there until none
 * of it is mapped (KVM's invalid-slot step):
 *  1. publish a copy with the slot marked invalid: faults on it retry and
 *     install nothing, while the notifier still zaps its host range;
 *  2. wait for SRCU: no fault still holds the valid slot, so nothing of it
 *     can be installed any more;
 *  3. zap its gfns and flush TLBs: nothing of it is mapped now.
 * A munmap before 3 finds the slot in whatever table it reads; after 3 it
 * has nothing to find.  The caller then publishes the table without it.
 */
static void invalidate_slot(struct vhv_vm *vm, struct vhv_memslots *inval,
			    u32 idx)
{
	struct vhv_memslots *old = slots_locked(vm);
	struct vhv_memslot gone = old->slot[idx];

	vhv_slots_invalidate(inval, old, idx);
	publish(vm, inval);
	vhv_mmu_zap_gfn_range(vm, gone.base_gfn, gone.npages);
}

static int update_slots(struct vhv_vm *vm, const struct vhv_memslot *add,
			u32 id, bool must_exist)
{
	struct vhv_memslots *old, *inval = NULL, *new;
	int idx, r = 0;

	mutex_lock(&vm->lock);
	old = slots_locked(vm);
	idx = vhv_slots_find_id(old, id);
	if (must_exist && idx < 0) {
		r = -ENOENT;
		goto out;
	}
	if (add && vhv_slots_overlap(old, add->base_gfn, add->npages, id)) {
		r = -EEXIST;
		goto out;
	}
	/* Both tables first: once the slot is invalid there is no going back. */
	new = kvmalloc(vhv_slots_size(old->nr + 1), GFP_KERNEL_ACCOUNT);
	if (idx >= 0)
		inval = kvmalloc(vhv_slots_size(old->nr), GFP_KERNEL_ACCOUNT);
	if (!new || (idx >= 0 && !inval)) {
		kvfree(new);
		kvfree(inval);
		r = -ENOMEM;
		goto out;
	}
	if (idx >= 0)
		invalidate_slot(vm, inval, idx);
	/* The invalid copy keeps old's order: idx still names the old slot. */
	vhv_slots_build(new, slots_locked(vm), add, idx);
	publish(vm, new);
out:
	mutex_unlock(&vm->lock);
	return r;
}

int vhv_set_memory_slot(struct vhv_vm *vm, const struct vhv_memory_slot *m)
{
	const struct vhv_slot_limits lim = {
		.nr_slots = VHV_MAX_MEMSLOTS,
		.phys_bits = vhv_limits.phys_bits,
		.user_end = TASK_SIZE,
	};
	struct vhv_memslot slot;
	int r;

	r = vhv_slot_check_args(m, &lim);
	if (r)
		return r;
	r = check_user_range(vm->mm, m->userspace_addr, m->size,
			     !(m->flags & VHV_MEM_READONLY));
	if (r)
		return r;
	slot = (struct vhv_memslot) {
		.base_gfn = m->guest_phys_addr >> VHV_PAGE_SHIFT,
		.npages = m->size >> VHV_PAGE_SHIFT,
		.userspace_addr = m->userspace_addr,
		.id = m->slot,
		.flags = m->flags,
	};
	return update_slots(vm, &slot, m->slot, false);
}

int vhv_delete_memory_slot(struct vhv_vm *vm, unsigned long id)
{
	if (id >= VHV_MAX_MEMSLOTS)
		return -EINVAL;
	return update_slots(vm, NULL, id, true);
}
