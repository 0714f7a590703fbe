/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VM's ioeventfd registrations for one address space (ports or MMIO):
 * argument checks, the overlap rule, and copy-on-update tables sorted by
 * address that vCPUs search without locks.  Portable: also built into the
 * unit tests.
 */
#ifndef VHV_IOEVENTFD_TABLE_H
#define VHV_IOEVENTFD_TABLE_H

#include "portable.h"
#include "../uapi/vhv.h"

struct vhv_ioevt {
	u64 addr;
	u64 datamatch;
	u32 len;
	u32 flags;		/* VHV_IOEVENTFD_DATAMATCH | VHV_IOEVENTFD_PIO */
	void *eventfd;		/* opaque here: the module's eventfd context */
};

/* Immutable once published; readers hold rcu_read_lock(). */
struct vhv_ioevt_table {
	u32 nr;
	u32 pad;
	struct vhv_ioevt e[];	/* sorted by addr, then datamatch */
};

/* VHV_IOEVENTFD's checks of its argument: 0 or -EINVAL. */
int vhv_ioevt_check_args(const struct vhv_ioeventfd *a, u8 phys_bits);

/* The registration an argument describes (flags without DEASSIGN). */
void vhv_ioevt_from_args(struct vhv_ioevt *e, const struct vhv_ioeventfd *a,
			 void *eventfd);

/*
 * 0 if e may join t (same space), -EEXIST where it overlaps an entry:
 * only registrations of the same addr and len, all with DATAMATCH and each
 * with its own value, may share bytes.  t may be NULL (empty).
 */
int vhv_ioevt_conflict(const struct vhv_ioevt_table *t, const struct vhv_ioevt *e);

/* Index of the entry equal to e in every field, or -ENOENT. */
int vhv_ioevt_find(const struct vhv_ioevt_table *t, const struct vhv_ioevt *e);

/*
 * dst = src (NULL: empty) without entry remove_idx (-1 for none) and with
 * *add inserted in order (NULL for none).  dst has room for the result.
 */
void vhv_ioevt_build(struct vhv_ioevt_table *dst, const struct vhv_ioevt_table *src,
		     const struct vhv_ioevt *add, int remove_idx);

/* The first entry not before (addr, datamatch). */
static inline u32 vhv_ioevt_lower_bound(const struct vhv_ioevt_table *t, u64 addr,
					u64 datamatch)
{
	u32 lo = 0, hi = t->nr;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;
		const struct vhv_ioevt *e = &t->e[mid];

		if (e->addr < addr || (e->addr == addr && e->datamatch < datamatch))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/*
 * The entry a guest write of len bytes of val at addr signals, or NULL.
 * Entries sharing an address all have DATAMATCH, sorted by value; an entry
 * without it is alone at its address (its datamatch is 0).  Two binary
 * searches, whatever the number of entries.
 */
static inline const struct vhv_ioevt *
vhv_ioevt_match(const struct vhv_ioevt_table *t, u64 addr, u32 len, u64 val)
{
	const struct vhv_ioevt *e;
	u32 i;

	if (!t)
		return NULL;
	if (len < 8)
		val &= (1ull << (8 * len)) - 1;
	i = vhv_ioevt_lower_bound(t, addr, 0);
	if (i == t->nr || t->e[i].addr != addr)
		return NULL;
	e = &t->e[i];
	if (!(e->flags & VHV_IOEVENTFD_DATAMATCH))
		return e->len == len ? e : NULL;
	i = vhv_ioevt_lower_bound(t, addr, val);
	if (i == t->nr)
		return NULL;
	e = &t->e[i];
	return e->addr == addr && e->datamatch == val && e->len == len ? e : NULL;
}

/* Bytes for a table of n entries. */
static inline u64 vhv_ioevt_table_size(u32 n)
{
	return sizeof(struct vhv_ioevt_table) + (u64)n * sizeof(struct vhv_ioevt);
}

#endif /* VHV_IOEVENTFD_TABLE_H */
