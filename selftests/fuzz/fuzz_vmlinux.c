// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the decompressed-kernel loader (vmm/vmlinux.c).  The
 * kernel cache holds what a bzImage's payload decompressed to, so an image
 * anyone can build reaches vmlinux_parse(); parsed images are laid out
 * and relocated by a random KASLR offset and back, as boot.c does.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/vmlinux.h"

#define MAX_SPAN	(64u << 20)	/* larger layouts: parsed only */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vmlinux_info vi;
	uint64_t delta, rnd = 0;
	uint8_t *copy, *img;
	char why[128];
	unsigned int i;

	/* A copy, aligned as malloc aligns the cache's read buffer. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (vmlinux_parse(copy, size, &vi, why, sizeof(why)) ||
	    vi.span > MAX_SPAN)
		goto out;
	img = calloc(1, vi.span);
	if (!img)
		goto out;
	for (i = 0; i < vi.nr_segs; i++)
		memcpy(img + vi.seg[i].paddr - vi.base,
		       copy + vi.seg[i].offset, vi.seg[i].filesz);
	memcpy(&rnd, data, size < 8 ? size : 8);
	delta = vmlinux_virt_delta(&vi, 0x200000, rnd);
	if (!vmlinux_relocate(img, &vi, delta))
		vmlinux_relocate(img, &vi, -delta);
	free(img);
out:
	free(copy);
	return 0;
}
