// SPDX-License-Identifier: GPL-2.0
/* A decompressed x86-64 kernel: layout and KASLR relocation (see vmlinux.h). */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "vmm/internal.h"
#include "vmm/vmlinux.h"

#define ALIGN_2M	0x200000ull

static uint64_t sext(uint32_t v)
{
	return (uint64_t)(int64_t)(int32_t)v;
}

/* Offset in the image of the location a table entry names. */
static bool entry_offset(const struct vmlinux_info *vi, uint32_t v,
			 unsigned int size, uint64_t *off)
{
	uint64_t o = sext(v) - VMLINUX_START_KERNEL_MAP - vi->base;

	if (o > vi->span || size > vi->span - o)
		return false;
	*off = o;
	return true;
}

static bool table_ok(const struct vmlinux_info *vi, const uint32_t *t,
		     size_t n, unsigned int size)
{
	uint64_t off;
	size_t i;

	for (i = 0; i < n; i++)
		if (!entry_offset(vi, t[i], size, &off))
			return false;
	return true;
}

/*
 * The area after the ELF is, in memory order, [0][64-bit...][0]
 * ([inverse 32-bit...][0]) [32-bit...]: each table is read backwards from
 * the end of the image up to its zero terminator.  Two terminators: the
 * layout since inverse 32-bit relocations were dropped; three: before.
 */
static int parse_relocs(const uint8_t *area, size_t len,
			struct vmlinux_info *vi, char *why, size_t why_len)
{
	const uint32_t *w = (const void *)area;
	size_t n = len / 4, zero[4], nz = 0, i;

	if (!len)
		return 0;
	if (len % 4 || ((uintptr_t)area & 3))
		return vmm_fail(why, why_len, -EINVAL,
				"relocation area is not a whole number of aligned 32-bit words");
	for (i = 0; i < n; i++) {
		if (w[i])
			continue;
		if (nz == 4)
			return vmm_fail(why, why_len, -EINVAL,
					"relocation area has more than three tables");
		zero[nz++] = i;
	}
	if (nz < 2 || zero[0] != 0)
		return vmm_fail(why, why_len, -EINVAL,
				"relocation area does not start with a table terminator");
	if (nz == 4)
		return vmm_fail(why, why_len, -EINVAL,
				"relocation area has more than three tables");
	vi->nr_tables = nz;
	vi->rel64 = w + 1;
	vi->nr_rel64 = zero[1] - 1;
	if (nz == 3) {
		vi->rel32inv = w + zero[1] + 1;
		vi->nr_rel32inv = zero[2] - zero[1] - 1;
	}
	vi->rel32 = w + zero[nz - 1] + 1;
	vi->nr_rel32 = n - zero[nz - 1] - 1;
	if (!table_ok(vi, vi->rel64, vi->nr_rel64, 8) ||
	    !table_ok(vi, vi->rel32inv, vi->nr_rel32inv, 4) ||
	    !table_ok(vi, vi->rel32, vi->nr_rel32, 4))
		return vmm_fail(why, why_len, -EINVAL,
				"a relocation points outside the kernel image");
	return 0;
}

int vmlinux_parse(const uint8_t *buf, size_t len, struct vmlinux_info *vi,
		  char *why, size_t why_len)
{
	const Elf64_Ehdr *eh = (const void *)buf;
	uint64_t end_file, end_mem = 0, sh_end;
	unsigned int i;

	memset(vi, 0, sizeof(*vi));
	if (len < sizeof(*eh) || memcmp(buf, ELFMAG, SELFMAG) ||
	    buf[EI_CLASS] != ELFCLASS64 || buf[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64)
		return vmm_fail(why, why_len, -ENOEXEC,
				"not an x86-64 ELF kernel");
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum ||
	    eh->e_phoff > len ||
	    (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > len - eh->e_phoff)
		return vmm_fail(why, why_len, -ENOEXEC,
				"program headers lie outside the file");
	end_file = eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr);
	sh_end = eh->e_shoff + (uint64_t)eh->e_shnum * eh->e_shentsize;
	if (eh->e_shoff > len || sh_end > len)
		return vmm_fail(why, why_len, -ENOEXEC,
				"section headers lie outside the file");
	if (sh_end > end_file)
		end_file = sh_end;

	vi->base = UINT64_MAX;
	for (i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph;
		struct vmlinux_seg *s;

		memcpy(&ph, buf + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (vi->nr_segs == VMLINUX_MAX_SEGS)
			return vmm_fail(why, why_len, -ENOEXEC,
					"too many loadable segments");
		if (ph.p_offset > len || ph.p_filesz > len - ph.p_offset ||
		    ph.p_filesz > ph.p_memsz ||
		    ph.p_paddr > (1ull << 40) || ph.p_memsz > (1ull << 30))
			return vmm_fail(why, why_len, -ENOEXEC,
					"a loadable segment lies outside the file or memory");
		s = &vi->seg[vi->nr_segs++];
		*s = (struct vmlinux_seg){ ph.p_offset, ph.p_paddr, ph.p_filesz,
					   ph.p_memsz };
		if (ph.p_paddr < vi->base)
			vi->base = ph.p_paddr;
		if (ph.p_paddr + ph.p_memsz > end_mem)
			end_mem = ph.p_paddr + ph.p_memsz;
		if (ph.p_offset + ph.p_filesz > end_file)
			end_file = ph.p_offset + ph.p_filesz;
	}
	if (!vi->nr_segs)
		return vmm_fail(why, why_len, -ENOEXEC, "no loadable segment");
	if (vi->base & (ALIGN_2M - 1))
		return vmm_fail(why, why_len, -ENOEXEC,
				"the image does not start on a 2 MiB boundary");
	vi->span = end_mem - vi->base;
	if (vi->span > VMLINUX_KASLR_AREA)
		return vmm_fail(why, why_len, -ENOEXEC,
				"the image spans over 1 GiB");
	if (eh->e_entry < vi->base || eh->e_entry >= end_mem)
		return vmm_fail(why, why_len, -ENOEXEC,
				"the entry point is outside the image");
	vi->entry = eh->e_entry - vi->base;
	return parse_relocs(buf + end_file, len - end_file, vi, why, why_len);
}

int vmlinux_relocate(uint8_t *image, const struct vmlinux_info *vi,
		     uint64_t delta)
{
	uint64_t off, v64;
	uint32_t v32;
	size_t i;

	if (!delta)
		return 0;
	if (!vi->nr_tables || (delta & (ALIGN_2M - 1)))
		return -EINVAL;
	for (i = 0; i < vi->nr_rel32; i++) {
		if (!entry_offset(vi, vi->rel32[i], 4, &off))
			return -ERANGE;
		memcpy(&v32, image + off, 4);
		v32 += (uint32_t)delta;
		memcpy(image + off, &v32, 4);
	}
	for (i = 0; i < vi->nr_rel32inv; i++) {
		if (!entry_offset(vi, vi->rel32inv[i], 4, &off))
			return -ERANGE;
		memcpy(&v32, image + off, 4);
		v32 -= (uint32_t)delta;
		memcpy(image + off, &v32, 4);
	}
	for (i = 0; i < vi->nr_rel64; i++) {
		if (!entry_offset(vi, vi->rel64[i], 8, &off))
			return -ERANGE;
		memcpy(&v64, image + off, 8);
		v64 += delta;
		memcpy(image + off, &v64, 8);
	}
	return 0;
}

uint64_t vmlinux_virt_delta(const struct vmlinux_info *vi, uint64_t align,
			    uint64_t rnd)
{
	uint64_t room, slots;

	if (!vi->nr_tables || !align || (align & (ALIGN_2M - 1)) ||
	    vi->base + vi->span > VMLINUX_KASLR_AREA)
		return 0;
	room = VMLINUX_KASLR_AREA - vi->base - vi->span;
	slots = room / align + 1;
	return (rnd % slots) * align;
}
