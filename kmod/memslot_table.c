// SPDX-License-Identifier: GPL-2.0
/*
 * Memory slot tables: the checks VHV_SET_MEMORY_SLOT applies to its argument
 * and the sorted copy-on-update tables vCPUs read without locks.
 */
#include "memslot_table.h"

_Static_assert(!(VHV_MEMSLOT_INVALID & VHV_MEM_VALID_FLAGS),
	       "the internal slot flag must not be one userspace may pass");

static bool aligned(u64 v)
{
	return !(v & (VHV_PAGE_SIZE - 1));
}

int vhv_slot_check_args(const struct vhv_memory_slot *m,
			const struct vhv_slot_limits *lim)
{
	u64 gpa_end, uaddr_end;
	unsigned int i;

	if (m->slot >= lim->nr_slots || (m->flags & ~VHV_MEM_VALID_FLAGS))
		return -EINVAL;
	for (i = 0; i < sizeof(m->reserved) / sizeof(m->reserved[0]); i++)
		if (m->reserved[i])
			return -EINVAL;
	if (!m->size || !aligned(m->size) || !aligned(m->guest_phys_addr) ||
	    !aligned(m->userspace_addr))
		return -EINVAL;
	gpa_end = m->guest_phys_addr + m->size;
	if (gpa_end < m->guest_phys_addr || gpa_end > (1ull << lim->phys_bits))
		return -EINVAL;
	uaddr_end = m->userspace_addr + m->size;
	if (uaddr_end < m->userspace_addr || uaddr_end > lim->user_end ||
	    !m->userspace_addr)
		return -EINVAL;
	return 0;
}

int vhv_slots_find_id(const struct vhv_memslots *t, u32 id)
{
	u32 i;

	for (i = 0; i < t->nr; i++)
		if (t->slot[i].id == id)
			return i;
	return -1;
}

bool vhv_slots_overlap(const struct vhv_memslots *t, u64 gfn, u64 npages,
		       u32 except_id)
{
	u32 i;

	for (i = 0; i < t->nr; i++) {
		const struct vhv_memslot *s = &t->slot[i];

		if (s->id == except_id)
			continue;
		if (gfn < s->base_gfn + s->npages && s->base_gfn < gfn + npages)
			return true;
	}
	return false;
}

/*
 * dst = src without entry remove_idx (-1 for none) and with *add inserted
 * (NULL for none), kept sorted by base_gfn.  dst must have room for
 * src->nr + 1 entries.
 */
void vhv_slots_build(struct vhv_memslots *dst, const struct vhv_memslots *src,
		     const struct vhv_memslot *add, int remove_idx)
{
	bool added = !add;
	u32 i, n = 0;

	for (i = 0; i < src->nr; i++) {
		if ((int)i == remove_idx)
			continue;
		if (!added && add->base_gfn < src->slot[i].base_gfn) {
			dst->slot[n++] = *add;
			added = true;
		}
		dst->slot[n++] = src->slot[i];
	}
	if (!added)
		dst->slot[n++] = *add;
	dst->nr = n;
	dst->pad = 0;
	dst->generation = src->generation + 1;
}

/* dst = src with entry idx marked VHV_MEMSLOT_INVALID; room for src->nr. */
void vhv_slots_invalidate(struct vhv_memslots *dst,
			  const struct vhv_memslots *src, u32 idx)
{
	u32 i;

	for (i = 0; i < src->nr; i++)
		dst->slot[i] = src->slot[i];
	dst->slot[idx].flags |= VHV_MEMSLOT_INVALID;
	dst->nr = src->nr;
	dst->pad = 0;
	dst->generation = src->generation + 1;
}
