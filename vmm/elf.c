// SPDX-License-Identifier: GPL-2.0
/*
 * ELF kernels: the PVH entry (an ELF note "Xen" type 18 holding a 32-bit
 * physical entry point; EBX = hvm_start_info) and Multiboot v1 (header in
 * the first 8 KiB; EAX = 0x2badb002, EBX = multiboot_info).  Both enter in
 * flat 32-bit protected mode with paging off.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot.h"
#include "vmm/internal.h"

#define PVH_NOTE_TYPE		18	/* XEN_ELFNOTE_PHYS32_ENTRY */
#define PVH_START_MAGIC		0x336ec578u
#define MB_HEADER_MAGIC		0x1badb002u
#define MB_BOOT_MAGIC		0x2badb002u
#define MB_SEARCH		8192

/* Boot data for 32-bit entries, below 1 MiB, away from the page tables. */
#define INFO_ADDR		0x6000ull	/* hvm_start_info / multiboot_info */
#define MEMMAP_ADDR		0x6400ull
#define CMDLINE_ADDR		0x20000ull
#define MODULE_ADDR_MIN		0x1000000ull

struct elf_image {
	const uint8_t *img;
	size_t len;
	bool is64;
	uint64_t entry;
	uint64_t phoff;
	unsigned int phnum, phentsize;
	uint64_t end;			/* highest loaded byte + 1 */
};

struct phdr {
	uint32_t type;
	uint64_t offset, paddr, filesz, memsz;
};

static bool in_file(const struct elf_image *e, uint64_t off, uint64_t n)
{
	return off <= e->len && n <= e->len - off;
}

/* Copied out: e_phoff need not be aligned. */
static void get_phdr(const struct elf_image *e, unsigned int i, struct phdr *p)
{
	const uint8_t *h = e->img + e->phoff + (uint64_t)i * e->phentsize;

	if (e->is64) {
		Elf64_Phdr ph;

		memcpy(&ph, h, sizeof(ph));
		*p = (struct phdr){ ph.p_type, ph.p_offset, ph.p_paddr,
				    ph.p_filesz, ph.p_memsz };
	} else {
		Elf32_Phdr ph;

		memcpy(&ph, h, sizeof(ph));
		*p = (struct phdr){ ph.p_type, ph.p_offset, ph.p_paddr,
				    ph.p_filesz, ph.p_memsz };
	}
}

static int elf_parse(struct vmm_vm *vm, const char *path, struct elf_image *e)
{
	const Elf64_Ehdr *h64 = (const void *)e->img;
	const Elf32_Ehdr *h32 = (const void *)e->img;

	if (e->len < sizeof(Elf32_Ehdr) || e->img[EI_DATA] != ELFDATA2LSB)
		return vmm_set_error(vm, -ENOEXEC, "kernel %s: not a little-endian ELF file",
				     path);
	e->is64 = e->img[EI_CLASS] == ELFCLASS64;
	if (e->is64) {
		if (e->len < sizeof(*h64) || h64->e_machine != EM_X86_64)
			return vmm_set_error(vm, -ENOEXEC, "kernel %s: not an x86-64 ELF",
					     path);
		e->entry = h64->e_entry;
		e->phoff = h64->e_phoff;
		e->phnum = h64->e_phnum;
		e->phentsize = h64->e_phentsize;
		if (e->phentsize < sizeof(Elf64_Phdr))
			goto bad_ph;
	} else {
		if (e->img[EI_CLASS] != ELFCLASS32 || h32->e_machine != EM_386)
			return vmm_set_error(vm, -ENOEXEC, "kernel %s: not an x86 ELF",
					     path);
		e->entry = h32->e_entry;
		e->phoff = h32->e_phoff;
		e->phnum = h32->e_phnum;
		e->phentsize = h32->e_phentsize;
		if (e->phentsize < sizeof(Elf32_Phdr))
			goto bad_ph;
	}
	if (!e->phnum || !in_file(e, e->phoff, (uint64_t)e->phnum * e->phentsize))
		goto bad_ph;
	return 0;
bad_ph:
	return vmm_set_error(vm, -ENOEXEC,
			     "kernel %s: program headers missing or outside the file",
			     path);
}

static int elf_load_segments(struct vmm_vm *vm, const char *path,
			     struct elf_image *e)
{
	struct phdr p;
	unsigned int i;
	uint8_t *dst;

	for (i = 0; i < e->phnum; i++) {
		get_phdr(e, i, &p);
		if (p.type != PT_LOAD || !p.memsz)
			continue;
		if (p.filesz > p.memsz || !in_file(e, p.offset, p.filesz))
			return vmm_set_error(vm, -ENOEXEC,
					     "kernel %s: segment %u lies outside the file",
					     path, i);
		dst = vmm_guest_ptr(vm, p.paddr, p.memsz);
		if (!dst || p.paddr < 0x100000)
			return vmm_set_error(vm, -ENOSPC,
					     "kernel %s: segment %u (0x%llx+0x%llx) is not in guest RAM above 1 MiB",
					     path, i, (unsigned long long)p.paddr,
					     (unsigned long long)p.memsz);
		memcpy(dst, e->img + p.offset, p.filesz);
		memset(dst + p.filesz, 0, p.memsz - p.filesz);
		if (p.paddr + p.memsz > e->end)
			e->end = p.paddr + p.memsz;
	}
	if (!e->end)
		return vmm_set_error(vm, -ENOEXEC, "kernel %s: nothing to load",
				     path);
	return 0;
}

/* The PVH entry address, or 0 when the kernel has no PVH note. */
static uint64_t pvh_entry(const struct elf_image *e)
{
	struct phdr p;
	unsigned int i;

	for (i = 0; i < e->phnum; i++) {
		uint64_t off, end;

		get_phdr(e, i, &p);
		if (p.type != PT_NOTE || !in_file(e, p.offset, p.filesz))
			continue;
		off = p.offset;
		end = p.offset + p.filesz;
		while (end - off >= 12) {
			uint32_t n[3];
			uint64_t namesz, descsz;
			const uint8_t *name = e->img + off + 12, *desc;

			memcpy(n, e->img + off, sizeof(n));	/* any alignment */
			namesz = (n[0] + 3ull) & ~3ull;
			descsz = (n[1] + 3ull) & ~3ull;
			desc = name + namesz;
			if (namesz + descsz > end - off - 12)
				break;
			if (n[2] == PVH_NOTE_TYPE && n[0] == 4 &&
			    !memcmp(name, "Xen", 4) && n[1] >= 4) {
				uint64_t v = 0;

				memcpy(&v, desc, n[1] >= 8 ? 8 : 4);
				return v;
			}
			off += 12 + namesz + descsz;
		}
	}
	return 0;
}

/* e820-style map for both protocols: RAM, the legacy holes, RAM above 4G. */
static unsigned int memmap_entries(struct vmm_vm *vm, uint64_t (*m)[3])
{
	unsigned int n = 0;

	m[n][0] = 0; m[n][1] = 0x9fc00; m[n++][2] = 1;
	m[n][0] = 0x9fc00; m[n][1] = 0x400; m[n++][2] = 2;
	m[n][0] = 0xe0000; m[n][1] = 0x20000; m[n++][2] = 2;
	m[n][0] = 0x100000; m[n][1] = vm->low_size - 0x100000; m[n++][2] = 1;
	if (vm->high_size) {
		m[n][0] = VMM_HIGH_RAM_START;
		m[n][1] = vm->high_size;
		m[n++][2] = 1;
	}
	return n;
}

static int put_cmdline(struct vmm_vm *vm, const struct vmm_boot *boot)
{
	const char *c = boot->cmdline ? boot->cmdline : "";
	size_t n = strlen(c) + 1;

	if (n > 0x10000)
		return vmm_set_error(vm, -E2BIG, "command line: longer than 64 KiB");
	memcpy(vmm_guest_ptr(vm, CMDLINE_ADDR, n), c, n);
	return 0;
}

/* below_4g: Multiboot v1 has 32-bit module addresses. */
static int put_module(struct vmm_vm *vm, const struct vmm_boot *boot,
		      uint64_t kernel_end, bool below_4g, uint64_t *addr,
		      uint64_t *size)
{
	uint8_t *buf;
	size_t len;
	int r;

	*addr = *size = 0;
	if (!boot->initrd)
		return 0;
	r = vmm_read_file(vm, "initrd", boot->initrd, &buf, &len);
	if (r)
		return r;
	if (__builtin_add_overflow(kernel_end, 0xfffff, addr))
		*addr = 0;	/* no room: vmm_guest_ptr() below refuses it */
	else
		*addr &= ~0xfffffull;
	if (*addr < MODULE_ADDR_MIN)
		*addr = MODULE_ADDR_MIN;
	if (!vmm_guest_ptr(vm, *addr, len) ||
	    (below_4g && (*addr >= 1ull << 32 || len > (1ull << 32) - *addr))) {
		free(buf);
		return vmm_set_error(vm, -ENOSPC, "initrd %s: does not fit in guest RAM%s",
				     boot->initrd, below_4g ? " below 4 GiB" : "");
	}
	memcpy(vmm_guest_ptr(vm, *addr, len), buf, len);
	*size = len;
	free(buf);
	return 0;
}

static int boot_pvh(struct vmm_vm *vm, const struct vmm_boot *boot,
		    struct elf_image *e, uint64_t entry)
{
	uint8_t *si = vmm_guest_ptr(vm, INFO_ADDR, 0x400);
	uint64_t map[5][3], mod_addr, mod_size, rsdp = 0;
	unsigned int i, n;
	int r;

	r = put_cmdline(vm, boot);
	if (!r)
		r = put_module(vm, boot, e->end, false, &mod_addr, &mod_size);
	if (!r && vm->pc)
		r = vmm_pc_write_firmware(vm, &rsdp);
	if (r)
		return r;
	memset(si, 0, 0x400);
	n = memmap_entries(vm, map);
	/* hvm_start_info, version 1: offsets 0..55 */
	*(uint32_t *)(si + 0) = PVH_START_MAGIC;
	*(uint32_t *)(si + 4) = 1;
	*(uint32_t *)(si + 12) = mod_size ? 1 : 0;
	*(uint64_t *)(si + 16) = INFO_ADDR + 0x100;	/* modlist */
	*(uint64_t *)(si + 24) = CMDLINE_ADDR;
	*(uint64_t *)(si + 32) = rsdp;
	*(uint64_t *)(si + 40) = MEMMAP_ADDR;
	*(uint32_t *)(si + 48) = n;
	/* hvm_modlist_entry: paddr, size, cmdline_paddr, reserved */
	*(uint64_t *)(si + 0x100) = mod_addr;
	*(uint64_t *)(si + 0x108) = mod_size;
	for (i = 0; i < n; i++) {
		uint8_t *m = vmm_guest_ptr(vm, MEMMAP_ADDR + i * 24, 24);

		memset(m, 0, 24);
		memcpy(m, &map[i][0], 8);
		memcpy(m + 8, &map[i][1], 8);
		memcpy(m + 16, &map[i][2], 4);
	}
	return vmm_x86_enter_protected_mode(&vm->vcpus[0], entry, 0, INFO_ADDR);
}

/* The Multiboot header's offset, or -1. */
static long multiboot_header(const uint8_t *img, size_t len)
{
	size_t off, lim = len < MB_SEARCH ? len : MB_SEARCH;

	for (off = 0; off + 12 <= lim; off += 4) {
		const uint32_t *h = (const void *)(img + off);

		if (h[0] == MB_HEADER_MAGIC && h[0] + h[1] + h[2] == 0)
			return off;
	}
	return -1;
}

static int boot_multiboot(struct vmm_vm *vm, const struct vmm_boot *boot,
			  struct elf_image *e, const uint32_t *hdr)
{
	uint8_t *mbi = vmm_guest_ptr(vm, INFO_ADDR, 0x100);
	uint64_t map[5][3], mod_addr, mod_size, rsdp;
	unsigned int i, n;
	uint32_t flags = 0;
	int r;

	/* Bit 16 (a.out kludge) and video modes (bit 2) are not offered. */
	if (hdr[1] & 0xfffc)
		return vmm_set_error(vm, -ENOTSUP,
				     "kernel %s: Multiboot header asks for features 0x%x that libvmm does not provide",
				     boot->kernel, hdr[1] & 0xfffc);
	r = put_cmdline(vm, boot);
	if (!r)
		r = put_module(vm, boot, e->end, true, &mod_addr, &mod_size);
	if (!r && vm->pc)
		r = vmm_pc_write_firmware(vm, &rsdp);
	if (r)
		return r;
	memset(mbi, 0, 0x100);
	n = memmap_entries(vm, map);
	flags = 1 << 0 | 1 << 2 | 1 << 6;		/* mem, cmdline, mmap */
	*(uint32_t *)(mbi + 4) = 639;			/* mem_lower, KiB */
	*(uint32_t *)(mbi + 8) = (vm->low_size - 0x100000) >> 10;
	*(uint32_t *)(mbi + 16) = CMDLINE_ADDR;
	if (mod_size) {
		uint32_t *mod = (uint32_t *)(mbi + 0x80);

		flags |= 1 << 3;
		*(uint32_t *)(mbi + 20) = 1;
		*(uint32_t *)(mbi + 24) = INFO_ADDR + 0x80;
		mod[0] = mod_addr;
		mod[1] = mod_addr + mod_size;
		mod[2] = 0;
	}
	*(uint32_t *)(mbi + 44) = n * 24;
	*(uint32_t *)(mbi + 48) = MEMMAP_ADDR;
	*(uint32_t *)mbi = flags;
	for (i = 0; i < n; i++) {
		uint8_t *m = vmm_guest_ptr(vm, MEMMAP_ADDR + i * 24, 24);
		uint32_t size = 20;

		memcpy(m, &size, 4);
		memcpy(m + 4, &map[i][0], 8);
		memcpy(m + 12, &map[i][1], 8);
		memcpy(m + 20, &map[i][2], 4);
	}
	return vmm_x86_enter_protected_mode(&vm->vcpus[0], e->entry,
					    MB_BOOT_MAGIC, INFO_ADDR);
}

int vmm_load_elf(struct vmm_vm *vm, const struct vmm_boot *boot,
		 const uint8_t *img, size_t len)
{
	struct elf_image e = { .img = img, .len = len };
	uint64_t entry;
	long mb;
	int r;

	r = elf_parse(vm, boot->kernel, &e);
	if (r)
		return r;
	entry = pvh_entry(&e);
	mb = multiboot_header(img, len);
	if (!entry && mb < 0)
		return vmm_set_error(vm, -ENOEXEC,
				     "kernel %s: ELF without a PVH entry note or a Multiboot header",
				     boot->kernel);
	r = elf_load_segments(vm, boot->kernel, &e);
	if (r)
		return r;
	if (entry >= 1ull << 32)
		return vmm_set_error(vm, -ENOEXEC,
				     "kernel %s: PVH entry 0x%llx is not a 32-bit address",
				     boot->kernel, (unsigned long long)entry);
	if (entry)
		return boot_pvh(vm, boot, &e, entry);
	if (!e.is64 && e.entry < e.end && e.entry >= 0x100000)
		return boot_multiboot(vm, boot, &e,
				      (const uint32_t *)(img + mb));
	return vmm_set_error(vm, -ENOEXEC,
			     "kernel %s: Multiboot kernels must be 32-bit ELF with the entry inside the image",
			     boot->kernel);
}
