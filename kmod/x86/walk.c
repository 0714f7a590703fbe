// SPDX-License-Identifier: GPL-2.0
/*
 * Guest page-table walks for 32-bit, PAE, 4-level and 5-level paging
 * (Intel SDM vol. 3 ch. 4, AMD APM vol. 2 ch. 5).  Accessed/dirty bits are
 * not set: only emulation reads through this walk, never the guest's MMU.
 */
#include "walk.h"
#include "arch_bits.h"

#define PTE_P		VHV_BIT(0)
#define PTE_RW		VHV_BIT(1)
#define PTE_US		VHV_BIT(2)
#define PTE_PS		VHV_BIT(7)
#define PTE_NX		VHV_BIT(63)

/* A PAE PDPTE: R/W, U/S and bits 8:5 are reserved, and so is XD. */
#define PDPTE_PAE_RSVD	(VHV_BIT(1) | VHV_BIT(2) | 0x1e0ull | PTE_NX)

/*
 * A 64-bit entry that maps a page (PS at level 2 or 3; at level 4 and 5
 * PS is reserved): the address bits below the page size, PAT at bit 12
 * aside, are reserved.
 */
static u64 large_rsvd(unsigned int level)
{
	return level == 3 ? 0x3fffe000ull : 0x1fe000ull;	/* 29:13, 20:13 */
}

/*
 * A 32-bit PDE that maps 4 MiB: bits 20:13 hold address bits 39:32 up to
 * the physical width M (at most 40), the rest of them up to bit 21 are
 * reserved (SDM vol. 3A table 4-4).
 */
static u64 pse_rsvd(const struct vhv_walk_env *env)
{
	unsigned int m = env->phys_bits < 40 ? env->phys_bits : 40;

	return (VHV_BIT(22) - 1) & ~(VHV_BIT(m - 19) - 1);	/* 21:(M-19) */
}

struct walk {
	const struct vhv_walk_env *env;
	u32 access;
	bool writable, user, nx;
	u64 rsvd;	/* bits that must be zero in 64-bit entries */
};

static void accumulate(struct walk *w, u64 e)
{
	w->writable &= !!(e & PTE_RW);
	w->user &= !!(e & PTE_US);
	w->nx |= !!(e & PTE_NX) && (w->env->efer & VHV_EFER_NXE);
}

static int fault(struct walk *w, bool present, bool rsvd, u32 *pf_error)
{
	*pf_error = (w->access & (VHV_PF_WRITE | VHV_PF_USER | VHV_PF_FETCH)) |
		    (present ? VHV_PF_PRESENT : 0) | (rsvd ? VHV_PF_RSVD : 0);
	if (!(w->env->efer & VHV_EFER_NXE))
		*pf_error &= ~VHV_PF_FETCH;
	return -EFAULT;
}

/* A present entry without reserved bits: 0, -EIO (not RAM) or -EFAULT. */
static int load_entry(struct walk *w, u64 gpa, unsigned int size, u64 rsvd,
		      u64 *e, u64 *where, u32 *pf_error)
{
	*e = 0;
	if (w->env->read_gpa(w->env->ctx, gpa, e, size)) {
		*where = gpa;
		return -EIO;
	}
	if (!(*e & PTE_P))
		return fault(w, false, false, pf_error);
	if (*e & rsvd)
		return fault(w, true, true, pf_error);
	return 0;
}

static int check_rights(struct walk *w, u32 *pf_error)
{
	const struct vhv_walk_env *env = w->env;
	bool user_access = w->access & VHV_PF_USER;

	if (user_access && !w->user)
		return fault(w, true, false, pf_error);
	if ((w->access & VHV_PF_WRITE) && !w->writable &&
	    (user_access || (env->cr0 & VHV_CR0_WP)))
		return fault(w, true, false, pf_error);
	if ((w->access & VHV_PF_FETCH) &&
	    (w->nx || (!user_access && w->user && (env->cr4 & VHV_CR4_SMEP))))
		return fault(w, true, false, pf_error);
	return 0;
}

/* 64-bit entries: PAE (3 levels), 4- and 5-level paging. */
static int walk64(struct walk *w, u64 linear, unsigned int levels, u64 *gpa,
		  u32 *pf_error)
{
	const struct vhv_walk_env *env = w->env;
	u64 addr_mask = ((1ull << env->phys_bits) - 1) & ~0xfffull;
	u64 table, e = 0;
	unsigned int level;
	int r;

	if (levels == 3) {	/* PAE: the PDPTE comes from a 32-byte table */
		r = load_entry(w, (env->cr3 & 0xffffffe0) + ((linear >> 30) & 3) * 8,
			       8, w->rsvd | PDPTE_PAE_RSVD, &e, gpa, pf_error);
		if (r)
			return r;
		table = e & addr_mask;
		level = 2;
	} else {
		table = env->cr3 & addr_mask;
		level = levels;
	}
	for (; level >= 1; level--) {
		unsigned int shift = 12 + 9 * (level - 1);

		r = load_entry(w, table + ((linear >> shift) & 511) * 8, 8,
			       w->rsvd, &e, gpa, pf_error);
		if (r)
			return r;
		if ((e & PTE_PS) && level > 1 && (level > 3 || (e & large_rsvd(level))))
			return fault(w, true, true, pf_error);
		accumulate(w, e);
		if (level == 1 || ((e & PTE_PS) && level <= 3)) {
			u64 page_mask = (1ull << shift) - 1;

			r = check_rights(w, pf_error);
			if (r)
				return r;
			*gpa = (e & addr_mask & ~page_mask) | (linear & page_mask);
			return 0;
		}
		table = e & addr_mask;
	}
	return fault(w, false, false, pf_error);
}

/* Legacy 32-bit paging, with 4 MiB pages under CR4.PSE (PSE-36 bits). */
static int walk32(struct walk *w, u64 linear, u64 *gpa, u32 *pf_error)
{
	const struct vhv_walk_env *env = w->env;
	u64 pde, pte;
	int r;

	r = load_entry(w, (env->cr3 & 0xfffff000) + ((linear >> 22) & 0x3ff) * 4,
		       4, 0, &pde, gpa, pf_error);
	if (r)
		return r;
	if ((pde & PTE_PS) && (env->cr4 & VHV_CR4_PSE) && (pde & pse_rsvd(env)))
		return fault(w, true, true, pf_error);
	accumulate(w, pde);
	if ((pde & PTE_PS) && (env->cr4 & VHV_CR4_PSE)) {
		r = check_rights(w, pf_error);
		if (r)
			return r;
		*gpa = (pde & 0xffc00000) | (((pde >> 13) & 0xff) << 32) |
		       (linear & 0x3fffff);
		return 0;
	}
	r = load_entry(w, (pde & 0xfffff000) + ((linear >> 12) & 0x3ff) * 4,
		       4, 0, &pte, gpa, pf_error);
	if (r)
		return r;
	accumulate(w, pte);
	r = check_rights(w, pf_error);
	if (r)
		return r;
	*gpa = (pte & 0xfffff000) | (linear & 0xfff);
	return 0;
}

int vhv_walk(const struct vhv_walk_env *env, u64 linear, u32 access, u64 *gpa,
	     u32 *pf_error)
{
	struct walk w = {
		.env = env, .access = access, .writable = true, .user = true,
	};

	*pf_error = 0;
	if (!(env->cr0 & VHV_CR0_PG)) {
		*gpa = linear & 0xffffffffull;
		return 0;
	}
	/* Bits above the physical width, and NX where EFER.NXE is off. */
	w.rsvd = (~0ull << env->phys_bits) & ~PTE_NX & ((1ull << 52) - 1);
	if (!(env->efer & VHV_EFER_NXE))
		w.rsvd |= PTE_NX;
	if (!(env->cr4 & VHV_CR4_PAE))
		return walk32(&w, linear, gpa, pf_error);
	/* PAE paging reserves bits 62:52 too (4-level leaves them to software). */
	if (!(env->efer & VHV_EFER_LMA)) {
		w.rsvd |= ~PTE_NX & ~((1ull << 52) - 1);
		return walk64(&w, linear & 0xffffffffull, 3, gpa, pf_error);
	}
	if (env->cr4 & VHV_CR4_LA57) {
		if ((u64)((s64)(linear << 7) >> 7) != linear)
			return -EINVAL;
		return walk64(&w, linear, 5, gpa, pf_error);
	}
	if ((u64)((s64)(linear << 16) >> 16) != linear)
		return -EINVAL;
	return walk64(&w, linear, 4, gpa, pf_error);
}
