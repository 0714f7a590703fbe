// SPDX-License-Identifier: GPL-2.0
/*
 * Second-level paging (NPT/EPT) built on demand from memory slots.  A guest
 * fault inside a slot maps the page the VMM's own page tables map there;
 * nothing is pinned: an MMU notifier drops second-level entries before the
 * VMM's mapping changes (munmap, mprotect, COW after fork, migration,
 * THP split, KSM, swap), and a sequence count makes faults that raced
 * with such a change retry.  Vendors only say how an entry is encoded.
 */
#include <linux/hugetlb.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mmu_notifier.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "vhv.h"

#define LEVELS		4
#define HUGE_PAGES	512ull	/* 4 KiB pages in a 2 MiB entry */

static const struct vhv_pte_format *fmt(void)
{
	return vhv_ops->pte_format;
}

static bool present(u64 e)
{
	return e & fmt()->present;
}

static bool is_huge(u64 e, int level)
{
	return level == 2 && (e & fmt()->huge);
}

static u64 *table_of(u64 e)
{
	return __va(e & fmt()->addr_mask);
}

static unsigned int index_of(u64 gfn, int level)
{
	return (gfn >> (9 * (level - 1))) & 511;
}

/* ---- table pages -------------------------------------------------------------- */

static int cache_topup(struct vhv_mmu_cache *c)
{
	while (c->nr < VHV_MMU_CACHE_PAGES) {
		void *page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);

		if (!page)
			return -ENOMEM;
		c->pages[c->nr++] = page;
		atomic_long_inc(&vhv_stats.pages);
	}
	return 0;
}

static u64 *cache_pop(struct vhv_mmu_cache *c)
{
	return c->nr ? c->pages[--c->nr] : NULL;
}

void vhv_mmu_cache_free(struct vhv_mmu_cache *c)
{
	while (c->nr) {
		free_page((unsigned long)c->pages[--c->nr]);
		atomic_long_dec(&vhv_stats.pages);
	}
}

static void free_tables(u64 *table, int level)
{
	unsigned int i;

	for (i = 0; level > 1 && i < 512; i++) {
		if (present(table[i]) && !is_huge(table[i], level))
			free_tables(table_of(table[i]), level - 1);
		if (level > 2)
			cond_resched();	/* a large VM's teardown */
	}
	free_page((unsigned long)table);
	atomic_long_dec(&vhv_stats.pages);
}

phys_addr_t vhv_mmu_root_pa(struct vhv_vm *vm)
{
	return __pa(vm->mmu_root);
}

/* ---- zapping ------------------------------------------------------------------- */

/*
 * What is left to do once mmu_lock is dropped: flush TLBs, then free the
 * tables unlinked under the lock.  Until the flush a CPU may still walk an
 * unlinked table through its paging-structure caches, so the table pages
 * are freed only after it.
 */
struct zap {
	struct list_head tables;	/* struct page.lru of unlinked tables */
	bool flush;
};

#define ZAP_INIT(z)	{ .tables = LIST_HEAD_INIT((z).tables) }

static void retire_table(struct zap *z, u64 *table)
{
	list_add(&virt_to_page(table)->lru, &z->tables);
	z->flush = true;
}

static void zap_finish(struct vhv_vm *vm, struct zap *z)
{
	struct page *page, *next;

	if (z->flush)
		vhv_vm_flush_tlbs(vm);
	list_for_each_entry_safe(page, next, &z->tables, lru) {
		__free_page(page);
		atomic_long_dec(&vhv_stats.pages);
	}
	INIT_LIST_HEAD(&z->tables);
	z->flush = false;
}

/* The VMM may have written through a writable entry: tell the page. */
static void mark_dirty(u64 e)
{
	unsigned long pfn = (e & fmt()->addr_mask) >> PAGE_SHIFT;

	if ((e & fmt()->leaf_write) && pfn_valid(pfn) &&
	    !PageReserved(pfn_to_page(pfn)))
		SetPageDirty(pfn_to_page(pfn));
}

static bool table_empty(const u64 *table)
{
	unsigned int i;

	for (i = 0; i < 512; i++)
		if (present(table[i]))
			return false;
	return true;
}

/*
 * Zaps gfns [start, end) below table, which maps from gfn base.  A table
 * below that is left empty goes too, so that tables live only as long as
 * something is mapped through them (and 'pages' counts no dead ones).
 * Returns whether table itself is now empty.
 */
static bool zap_level(struct zap *z, u64 *table, int level, u64 start,
		      u64 end, u64 base)
{
	u64 span = 1ull << (9 * (level - 1));
	unsigned int i;

	for (i = 0; i < 512; i++) {
		u64 lo = base + i * span, e = table[i];

		if (lo >= end || lo + span <= start || !present(e))
			continue;
		if (level == 1 || is_huge(e, level)) {
			WRITE_ONCE(table[i], 0);
			mark_dirty(e);
			z->flush = true;
		} else if (zap_level(z, table_of(e), level - 1, start, end, lo)) {
			WRITE_ONCE(table[i], 0);
			retire_table(z, table_of(e));
		}
	}
	return table_empty(table);
}

/* Caller holds mmu_lock, and calls zap_finish() after dropping it. */
static void zap_range_locked(struct vhv_vm *vm, struct zap *z, u64 gfn,
			     u64 npages)
{
	zap_level(z, vm->mmu_root, LEVELS, gfn, gfn + npages, 0);
}

/* Nothing of gfns [gfn, gfn + npages) is mapped when this returns. */
void vhv_mmu_zap_gfn_range(struct vhv_vm *vm, u64 gfn, u64 npages)
{
	struct zap z = ZAP_INIT(z);

	if (!vm->mmu_root)	/* no execution core, no tables */
		return;
	spin_lock(&vm->mmu_lock);
	zap_range_locked(vm, &z, gfn, npages);
	spin_unlock(&vm->mmu_lock);
	zap_finish(vm, &z);
}

/* ---- the MMU notifier -------------------------------------------------------- */

static struct vhv_vm *mn_to_vm(struct mmu_notifier *mn)
{
	return container_of(mn, struct vhv_vm, mmu_notifier);
}

/*
 * Zaps what any slot maps of host range [start, end), invalid slots
 * included: a slot being deleted or replaced stays in the table, marked
 * invalid, until nothing of it is mapped (see update_slots()).
 */
static void zap_hva_range(struct vhv_vm *vm, struct zap *z,
			  unsigned long start, unsigned long end)
{
	const struct vhv_memslots *t;
	int idx;
	u32 i;

	idx = srcu_read_lock(&vm->srcu);
	t = srcu_dereference(vm->memslots, &vm->srcu);
	for (i = 0; i < t->nr; i++) {
		const struct vhv_memslot *s = &t->slot[i];
		u64 s_start = s->userspace_addr;
		u64 s_end = s_start + (s->npages << PAGE_SHIFT);
		u64 lo = max_t(u64, start, s_start), hi = min_t(u64, end, s_end);

		if (lo >= hi)
			continue;
		zap_range_locked(vm, z,
			s->base_gfn + ((lo - s_start) >> PAGE_SHIFT),
			(ALIGN(hi, PAGE_SIZE) - (lo & PAGE_MASK)) >> PAGE_SHIFT);
	}
	srcu_read_unlock(&vm->srcu, idx);
}

static int vhv_mn_invalidate_start(struct mmu_notifier *mn,
				   const struct mmu_notifier_range *range)
{
	struct vhv_vm *vm = mn_to_vm(mn);
	struct zap z = ZAP_INIT(z);

	spin_lock(&vm->mmu_lock);
	vm->mmu_invalidate_in_progress++;
	zap_hva_range(vm, &z, range->start, range->end);
	spin_unlock(&vm->mmu_lock);
	/* The page may be freed once this returns: no CPU may still use it. */
	zap_finish(vm, &z);
	return 0;
}

static void vhv_mn_invalidate_end(struct mmu_notifier *mn,
				  const struct mmu_notifier_range *range)
{
	struct vhv_vm *vm = mn_to_vm(mn);

	spin_lock(&vm->mmu_lock);
	vm->mmu_invalidate_seq++;
	vm->mmu_invalidate_in_progress--;
	spin_unlock(&vm->mmu_lock);
}

/* The address space is going away: nothing of it may stay mapped. */
static void vhv_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct vhv_vm *vm = mn_to_vm(mn);
	struct zap z = ZAP_INIT(z);

	spin_lock(&vm->mmu_lock);
	zap_range_locked(vm, &z, 0, 1ull << (9 * LEVELS));
	vm->mmu_invalidate_seq++;
	spin_unlock(&vm->mmu_lock);
	zap_finish(vm, &z);
}

static const struct mmu_notifier_ops vhv_mmu_notifier_ops = {
	.invalidate_range_start = vhv_mn_invalidate_start,
	.invalidate_range_end = vhv_mn_invalidate_end,
	.release = vhv_mn_release,
};

int vhv_mmu_init(struct vhv_vm *vm)
{
	int r;

	spin_lock_init(&vm->mmu_lock);
	vm->mmu_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vm->mmu_root)
		return -ENOMEM;
	atomic_long_inc(&vhv_stats.pages);
	vm->mmu_notifier.ops = &vhv_mmu_notifier_ops;
	r = mmu_notifier_register(&vm->mmu_notifier, vm->mm);
	if (r) {
		free_tables(vm->mmu_root, LEVELS);
		vm->mmu_root = NULL;
	}
	return r;
}

void vhv_mmu_destroy(struct vhv_vm *vm)
{
	if (!vm->mmu_root)
		return;
	mmu_notifier_unregister(&vm->mmu_notifier, vm->mm);
	free_tables(vm->mmu_root, LEVELS);
	vm->mmu_root = NULL;
}

/* ---- faults -------------------------------------------------------------------- */

/*
 * How the VMM maps hva: a 2 MiB-or-larger leaf gives the 2 MiB-aligned pfn
 * and whether it is writable.  Lockless, like GUP-fast: IRQs off keep the
 * tables from being freed; the invalidate sequence validates the answer.
 */
static bool host_huge_mapping(struct mm_struct *mm, unsigned long hva,
			      unsigned long *pfn, bool *writable)
{
	unsigned long flags;
	bool huge = false;
	pgd_t *pgd;
	p4d_t *p4d, p4de;
	pud_t *pud, pude;
	pmd_t *pmd, pmde;

	local_irq_save(flags);
	pgd = pgd_offset(mm, hva);
	if (pgd_none(READ_ONCE(*pgd)))
		goto out;
	p4d = p4d_offset(pgd, hva);
	p4de = READ_ONCE(*p4d);
	if (p4d_none(p4de) || !p4d_present(p4de))
		goto out;
	pud = pud_offset(p4d, hva);
	pude = READ_ONCE(*pud);
	if (pud_none(pude) || !pud_present(pude))
		goto out;
	if (pud_leaf(pude)) {
		*pfn = pud_pfn(pude) + (((hva & ~PUD_MASK) >> PAGE_SHIFT) & ~(HUGE_PAGES - 1));
		*writable = pud_write(pude);
		huge = true;
		goto out;
	}
	pmd = pmd_offset(pud, hva);
	pmde = READ_ONCE(*pmd);
	if (pmd_present(pmde) && pmd_leaf(pmde)) {
		*pfn = pmd_pfn(pmde);
		*writable = pmd_write(pmde);
		huge = true;
	}
out:
	local_irq_restore(flags);
	return huge;
}

struct fault {
	u64 gfn;
	unsigned long hva;
	bool write;		/* the guest wrote */
	bool readonly;		/* the slot is read-only */
	bool huge_ok;		/* the slot covers the whole 2 MiB frame */
	unsigned long pfn;
	bool writable;		/* map the page writable */
	bool huge;
	struct page *page;	/* reference held while installing */
};

/* The page, from the VMM's page tables, faulting it in if needed. */
static int resolve_page(struct vhv_vm *vm, struct fault *f)
{
	unsigned long hpfn;
	bool hwrite;
	long n;

	f->page = NULL;
	f->huge = false;
	/* Already writable in the host: map it writable, sparing a fault. */
	if (!f->readonly && get_user_pages_fast_only(f->hva, 1, FOLL_WRITE, &f->page) == 1) {
		f->writable = true;
	} else {
		n = get_user_pages_unlocked(f->hva, 1, &f->page,
					    f->write && !f->readonly ? FOLL_WRITE : 0);
		if (n != 1)
			return n < 0 ? (int)n : -EFAULT;
		/* Without FOLL_WRITE this may be a COW or zero page: read-only. */
		f->writable = f->write && !f->readonly;
	}
	f->pfn = page_to_pfn(f->page);
	if (f->huge_ok && host_huge_mapping(vm->mm, f->hva, &hpfn, &hwrite) &&
	    (hwrite || !f->writable)) {
		f->huge = true;
		f->pfn = hpfn;
		f->writable = hwrite && !f->readonly;
	}
	return 0;
}

/*
 * Installs the mapping.  What it replaced (a 2 MiB leaf split into a
 * table, a table of 4 KiB leaves merged into a 2 MiB leaf) is left in z.
 */
static void install(struct vhv_vm *vm, struct vhv_mmu_cache *cache,
		    const struct fault *f, struct zap *z)
{
	const struct vhv_pte_format *pf = fmt();
	int target = f->huge ? 2 : 1, level;
	u64 gfn = f->huge ? f->gfn & ~(HUGE_PAGES - 1) : f->gfn;
	u64 *table = vm->mmu_root, e, *new, *slot;

	for (level = LEVELS; level > target; level--) {
		slot = &table[index_of(gfn, level)];
		e = *slot;
		if (!present(e) || is_huge(e, level)) {
			new = cache_pop(cache);
			if (is_huge(e, level)) {
				mark_dirty(e);
				z->flush = true;
			}
			WRITE_ONCE(*slot, __pa(new) | pf->table);
			e = *slot;
		}
		table = table_of(e);
	}
	slot = &table[index_of(gfn, target)];
	e = *slot;
	if (f->huge && present(e) && !is_huge(e, 2)) {
		/*
		 * 4 KiB entries of this frame are still there (the VMM's pages
		 * were collapsed into a huge page, say).  Keeping them would
		 * leave the faulting gfn unmapped for ever: drop them and
		 * their table for the one 2 MiB entry the host now has.
		 */
		zap_level(z, table_of(e), 1, gfn, gfn + HUGE_PAGES, gfn);
		retire_table(z, table_of(e));
	}
	WRITE_ONCE(*slot, ((u64)f->pfn << PAGE_SHIFT) | pf->leaf_read |
		   (f->writable ? pf->leaf_write : 0) | (f->huge ? pf->huge : 0));
}

/*
 * A guest access to gpa found no (or a read-only) second-level entry;
 * table_walk: the CPU was reading the guest's own page tables.  Returns 1
 * to re-enter, 0 for an exit to userspace (MMIO, internal error), -errno.
 */
int vhv_mmu_page_fault(struct vhv_vcpu *vcpu, u64 gpa, bool write,
		       bool table_walk)
{
	struct vhv_vm *vm = vcpu->vm;
	const struct vhv_memslot *slot;
	struct fault f = { .gfn = gpa >> PAGE_SHIFT, .write = write };
	struct zap z = ZAP_INIT(z);
	unsigned long seq;
	int idx, r;

	idx = srcu_read_lock(&vm->srcu);
	slot = vhv_find_slot(vm, f.gfn);
	if (slot && (slot->flags & VHV_MEMSLOT_INVALID)) {
		/*
		 * Being deleted or replaced: map nothing of it, and do not
		 * exit as MMIO either, since the guest must see the old or the
		 * new slot.  The update ends soon (it does not wait for the
		 * guest); re-entering faults again until it has.
		 */
		srcu_read_unlock(&vm->srcu, idx);
		return 1;
	}
	f.readonly = slot && (slot->flags & VHV_MEM_READONLY);
	if (!slot || (write && f.readonly)) {
		srcu_read_unlock(&vm->srcu, idx);
		/* Page tables in MMIO cannot be emulated: stop the vCPU. */
		if (table_walk)
			return vhv_exit_internal(vcpu, VHV_INTERNAL_GUEST_MEMORY, 1, &gpa);
		/* Nor can an IDT, stack or TSS the CPU touched delivering an
		 * event: the instruction at RIP did not make this access. */
		if (vcpu->event_vectoring)
			return vhv_exit_internal(vcpu, VHV_INTERNAL_EVENT_DELIVERY, 1, &gpa);
		return vhv_handle_mmio(vcpu, gpa, vcpu->exit_insn, vcpu->exit_insn_len);
	}
	f.hva = slot->userspace_addr + ((f.gfn - slot->base_gfn) << PAGE_SHIFT);
	/* Where the vendor's tables have 2 MiB leaves (EPT may not). */
	f.huge_ok = fmt()->huge &&
		    (f.gfn & ~(HUGE_PAGES - 1)) >= slot->base_gfn &&
		    (f.gfn | (HUGE_PAGES - 1)) < slot->base_gfn + slot->npages &&
		    ((f.hva >> PAGE_SHIFT) & (HUGE_PAGES - 1)) == (f.gfn & (HUGE_PAGES - 1));

	for (;;) {
		r = cache_topup(&vcpu->mmu_cache);
		if (r)
			break;
		seq = READ_ONCE(vm->mmu_invalidate_seq);
		smp_rmb();
		r = resolve_page(vm, &f);
		if (r)
			break;
		spin_lock(&vm->mmu_lock);
		if (vm->mmu_invalidate_in_progress ||
		    seq != vm->mmu_invalidate_seq) {
			/*
			 * The VMM's mapping changed under us: the guest
			 * faults again, after the run loop has looked at
			 * signals (a thread forever changing the mapping
			 * must not keep SIGKILL out).
			 */
			spin_unlock(&vm->mmu_lock);
			put_page(f.page);
			r = 1;
			break;
		}
		install(vm, &vcpu->mmu_cache, &f, &z);
		spin_unlock(&vm->mmu_lock);
		put_page(f.page);
		zap_finish(vm, &z);
		vhv_count(vcpu, VHV_STAT_NPF);
		r = 1;
		break;
	}
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}
