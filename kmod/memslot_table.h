/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VM's memory slot table: argument checks and copy-on-update tables kept
 * sorted by guest frame.  Portable: also built into the unit tests.
 */
#ifndef VHV_MEMSLOT_TABLE_H
#define VHV_MEMSLOT_TABLE_H

#include "portable.h"
#include "../uapi/vhv.h"

#define VHV_PAGE_SHIFT	12
#define VHV_PAGE_SIZE	(1ull << VHV_PAGE_SHIFT)

/*
 * In vhv_memslot.flags, never from userspace: the slot is being deleted or
 * replaced.  The MMU maps nothing of it, but still zaps its host range.
 */
#define VHV_MEMSLOT_INVALID	(1u << 31)

struct vhv_memslot {
	u64 base_gfn;
	u64 npages;
	u64 userspace_addr;
	u32 id;
	u32 flags;
};

/* Immutable once published; readers hold the VM's SRCU read lock. */
struct vhv_memslots {
	u64 generation;
	u32 nr;
	u32 pad;
	struct vhv_memslot slot[];
};

struct vhv_slot_limits {
	u32 nr_slots;		/* slot ids are 0 .. nr_slots - 1 */
	u8 phys_bits;		/* guest ranges end at or below 1 << phys_bits */
	u64 user_end;		/* first address above user space */
};

int vhv_slot_check_args(const struct vhv_memory_slot *m,
			const struct vhv_slot_limits *lim);
int vhv_slots_find_id(const struct vhv_memslots *t, u32 id);
bool vhv_slots_overlap(const struct vhv_memslots *t, u64 gfn, u64 npages,
		       u32 except_id);
void vhv_slots_build(struct vhv_memslots *dst, const struct vhv_memslots *src,
		     const struct vhv_memslot *add, int remove_idx);
void vhv_slots_invalidate(struct vhv_memslots *dst,
			  const struct vhv_memslots *src, u32 idx);

/* Bytes for a table of n slots. */
static inline u64 vhv_slots_size(u32 n)
{
	return sizeof(struct vhv_memslots) + (u64)n * sizeof(struct vhv_memslot);
}

#endif /* VHV_MEMSLOT_TABLE_H */
