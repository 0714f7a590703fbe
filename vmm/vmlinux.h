/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel inside a bzImage, once decompressed: an x86-64 ELF (vmlinux,
 * stripped) followed by the relocation tables the kernel's own decompressor
 * applies for KASLR.  libvmm boots it directly when the kernel cache
 * (kcache.h) holds it, doing the decompressor's placement work itself.
 * Pure functions on buffers: unit-tested with the distro kernels.
 */
#ifndef VMM_VMLINUX_H
#define VMM_VMLINUX_H

#include <stddef.h>
#include <stdint.h>

#define VMLINUX_MAX_SEGS	8
#define VMLINUX_START_KERNEL_MAP 0xffffffff80000000ull
/* With relocations (CONFIG_RANDOMIZE_BASE) the kernel image area is 1 GiB. */
#define VMLINUX_KASLR_AREA	(1ull << 30)

struct vmlinux_seg {
	uint64_t offset, paddr, filesz, memsz;
};

struct vmlinux_info {
	uint64_t base;			/* lowest PT_LOAD paddr: LOAD_PHYSICAL_ADDR */
	uint64_t span;			/* bytes from base to the end of the image */
	uint64_t entry;			/* startup_64, as an offset from base */
	struct vmlinux_seg seg[VMLINUX_MAX_SEGS];
	unsigned int nr_segs;
	/*
	 * Relocation tables, each a run of 32-bit sign-extended kernel
	 * addresses: 32-bit (add), inverse 32-bit (subtract; older
	 * kernels) and 64-bit (add).  nr_tables is 0 when the image has
	 * none (then the kernel text stays at its link address).
	 */
	const uint32_t *rel32, *rel32inv, *rel64;
	size_t nr_rel32, nr_rel32inv, nr_rel64;
	unsigned int nr_tables;
};

/*
 * Checks a decompressed kernel of len bytes: ELF64 x86-64, PT_LOAD
 * segments inside the file, physically contiguous from a 2 MiB aligned
 * base, and a relocation area of a known layout whose every entry lands
 * inside the image.  Returns 0, or -ENOEXEC/-EINVAL with `why` naming the
 * check.  The info points into buf.
 */
int vmlinux_parse(const uint8_t *buf, size_t len, struct vmlinux_info *vi,
		  char *why, size_t why_len);

/*
 * Applies the relocation tables to an image already copied to `image`
 * (span bytes, laid out from base), moving the kernel's virtual addresses
 * up by delta (a multiple of 2 MiB).  -ERANGE if an entry would touch
 * memory outside the image (vmlinux_parse already refuses such images).
 */
int vmlinux_relocate(uint8_t *image, const struct vmlinux_info *vi,
		     uint64_t delta);

/*
 * The decompressor's choice of a virtual offset: one of the `align`-sized
 * slots that keep the image inside the 1 GiB kernel image area, picked by
 * rnd.  0 when there is no room or no relocation table.
 */
uint64_t vmlinux_virt_delta(const struct vmlinux_info *vi, uint64_t align,
			    uint64_t rnd);

#endif /* VMM_VMLINUX_H */
