/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest page-table walker: linear to guest-physical, as the guest's MMU
 * would translate, for instruction fetch and emulated accesses.  Portable.
 */
#ifndef VHV_X86_WALK_H
#define VHV_X86_WALK_H

#include "../portable.h"

/* Access kinds, the same bits as the #PF error code. */
#define VHV_PF_PRESENT	VHV_BIT(0)
#define VHV_PF_WRITE	VHV_BIT(1)
#define VHV_PF_USER	VHV_BIT(2)
#define VHV_PF_RSVD	VHV_BIT(3)
#define VHV_PF_FETCH	VHV_BIT(4)

struct vhv_walk_env {
	u64 cr0, cr3, cr4, efer;
	u8 cpl;
	u8 phys_bits;
	/* Reads guest-physical memory; 0, or -EFAULT where there is no RAM. */
	int (*read_gpa)(void *ctx, u64 gpa, void *buf, unsigned int len);
	void *ctx;
};

/*
 * Translates `linear` for an access of kind `access` (VHV_PF_WRITE,
 * VHV_PF_FETCH, and VHV_PF_USER for CPL-3 accesses).  Returns:
 *   0        *gpa is the guest-physical address
 *   -EFAULT  the guest takes #PF with *pf_error (CR2 = linear)
 *   -EINVAL  non-canonical address: the guest takes #GP(0)
 *   -EIO     a page-table entry lies outside guest RAM (*gpa says where)
 */
int vhv_walk(const struct vhv_walk_env *env, u64 linear, u32 access, u64 *gpa,
	     u32 *pf_error);

#endif /* VHV_X86_WALK_H */
