// SPDX-License-Identifier: GPL-2.0
/*
 * ioeventfd tables: the checks VHV_IOEVENTFD applies to its argument, the
 * overlap rule, and the sorted lookup a guest write goes through.
 */
#include "ioeventfd_table.h"

#define PIO_END		0x10000ull

static bool len_ok(u32 len, bool pio)
{
	return len == 1 || len == 2 || len == 4 || (len == 8 && !pio);
}

int vhv_ioevt_check_args(const struct vhv_ioeventfd *a, u8 phys_bits)
{
	bool pio = a->flags & VHV_IOEVENTFD_PIO;
	u64 end, limit = pio ? PIO_END : 1ull << phys_bits;
	unsigned int i;

	if ((a->flags & ~VHV_IOEVENTFD_VALID_FLAGS) || a->pad)
		return -EINVAL;
	for (i = 0; i < sizeof(a->reserved) / sizeof(a->reserved[0]); i++)
		if (a->reserved[i])
			return -EINVAL;
	if (!len_ok(a->len, pio))
		return -EINVAL;
	end = a->addr + a->len;
	if (end < a->addr || end > limit)
		return -EINVAL;
	if (!(a->flags & VHV_IOEVENTFD_DATAMATCH))
		return a->datamatch ? -EINVAL : 0;
	if (a->len < 8 && (a->datamatch >> (8 * a->len)))
		return -EINVAL;
	return 0;
}

void vhv_ioevt_from_args(struct vhv_ioevt *e, const struct vhv_ioeventfd *a,
			 void *eventfd)
{
	*e = (struct vhv_ioevt) {
		.addr = a->addr,
		.datamatch = a->datamatch,
		.len = a->len,
		.flags = a->flags & (VHV_IOEVENTFD_DATAMATCH | VHV_IOEVENTFD_PIO),
		.eventfd = eventfd,
	};
}

static bool may_share(const struct vhv_ioevt *a, const struct vhv_ioevt *b)
{
	return a->addr == b->addr && a->len == b->len &&
	       (a->flags & b->flags & VHV_IOEVENTFD_DATAMATCH) &&
	       a->datamatch != b->datamatch;
}

int vhv_ioevt_conflict(const struct vhv_ioevt_table *t, const struct vhv_ioevt *e)
{
	u32 i;

	for (i = 0; t && i < t->nr; i++) {
		const struct vhv_ioevt *o = &t->e[i];

		/* Ranges were checked not to wrap. */
		if (e->addr < o->addr + o->len && o->addr < e->addr + e->len &&
		    !may_share(e, o))
			return -EEXIST;
	}
	return 0;
}

int vhv_ioevt_find(const struct vhv_ioevt_table *t, const struct vhv_ioevt *e)
{
	u32 i;

	for (i = 0; t && i < t->nr; i++) {
		const struct vhv_ioevt *o = &t->e[i];

		if (o->addr == e->addr && o->len == e->len && o->flags == e->flags &&
		    o->datamatch == e->datamatch && o->eventfd == e->eventfd)
			return i;
	}
	return -ENOENT;
}

static bool before(const struct vhv_ioevt *a, const struct vhv_ioevt *b)
{
	return a->addr < b->addr || (a->addr == b->addr && a->datamatch < b->datamatch);
}

void vhv_ioevt_build(struct vhv_ioevt_table *dst, const struct vhv_ioevt_table *src,
		     const struct vhv_ioevt *add, int remove_idx)
{
	bool added = !add;
	u32 i, n = 0, nr = src ? src->nr : 0;

	for (i = 0; i < nr; i++) {
		if ((int)i == remove_idx)
			continue;
		if (!added && before(add, &src->e[i])) {
			dst->e[n++] = *add;
			added = true;
		}
		dst->e[n++] = src->e[i];
	}
	if (!added)
		dst->e[n++] = *add;
	dst->nr = n;
	dst->pad = 0;
}
