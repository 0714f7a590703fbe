// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: vhv.ko's guest page walker (kmod/x86/walk.c), which
 * runs in the host kernel over page tables a guest wrote.  The input gives
 * the control registers, the address and the access, then the guest's
 * first 16 KiB of RAM (the longest input make check's runs allow; the rest
 * of RAM zero up to 1 MiB, nothing above, so a walk can leave RAM).  Every read the walker makes must be one aligned
 * entry; every result must be one the caller knows, and a translation must
 * lie within the physical address width.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kmod/x86/arch_bits.h"
#include "kmod/x86/walk.h"
#include "selftests/fuzz/fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RAM_SIZE	(1u << 20)
#define IMAGE_SIZE	(16u << 10)

struct guest {
	const uint8_t *image;
	size_t image_len;
	unsigned int reads;
};

static int read_gpa(void *ctx, u64 gpa, void *buf, unsigned int len)
{
	struct guest *g = ctx;
	unsigned int i;

	CHECK(len == 4 || len == 8);
	CHECK(!(gpa & (len - 1)));
	CHECK(++g->reads <= 5);		/* at most one entry per level */
	if (gpa >= RAM_SIZE)
		return -EFAULT;
	for (i = 0; i < len; i++)
		((u8 *)buf)[i] = gpa + i < g->image_len ? g->image[gpa + i] : 0;
	return 0;
}

struct params {
	u64 cr0, cr3, cr4, efer, linear;
	u8 cpl, phys_bits, access;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct params p = { 0 };
	struct guest g = { 0 };
	struct vhv_walk_env env;
	u64 gpa = ~0ull;
	u32 access, err = ~0u;
	int r;

	memcpy(&p, data, size < sizeof(p) ? size : sizeof(p));
	if (size > sizeof(p)) {
		g.image = data + sizeof(p);
		g.image_len = size - sizeof(p);
		if (g.image_len > IMAGE_SIZE)
			g.image_len = IMAGE_SIZE;
	}
	/* A walk only runs in protected mode; EFER.LMA only with paging. */
	p.cr0 |= VHV_CR0_PE;
	if (!(p.cr0 & VHV_CR0_PG) || !(p.cr4 & VHV_CR4_PAE))
		p.efer &= ~VHV_EFER_LMA;
	env = (struct vhv_walk_env) {
		.cr0 = p.cr0, .cr3 = p.cr3, .cr4 = p.cr4, .efer = p.efer,
		.cpl = p.cpl & 3,
		.phys_bits = 32 + p.phys_bits % 21,	/* 32..52, as CPUID allows */
		.read_gpa = read_gpa, .ctx = &g,
	};
	access = p.access & (VHV_PF_WRITE | VHV_PF_FETCH);
	if (env.cpl == 3)
		access |= VHV_PF_USER;
	r = vhv_walk(&env, p.linear, access, &gpa, &err);
	switch (r) {
	case 0:
		CHECK(gpa < 1ull << env.phys_bits);
		if (!(env.cr0 & VHV_CR0_PG))
			CHECK(gpa == (p.linear & 0xffffffffull) && !g.reads);
		CHECK((gpa & 0xfff) == (p.linear & 0xfff));
		break;
	case -EFAULT:
		CHECK(!(err & ~(u32)(VHV_PF_PRESENT | VHV_PF_WRITE | VHV_PF_USER |
				     VHV_PF_RSVD | VHV_PF_FETCH)));
		CHECK((err & (VHV_PF_WRITE | VHV_PF_USER)) ==
		      (access & (VHV_PF_WRITE | VHV_PF_USER)));
		CHECK(!(err & VHV_PF_RSVD) || (err & VHV_PF_PRESENT));
		break;
	case -EINVAL:
		CHECK(env.efer & VHV_EFER_LMA);
		break;
	case -EIO:
		CHECK(gpa >= RAM_SIZE);
		break;
	default:
		CHECK(!"an unknown result");
	}
	return 0;
}
