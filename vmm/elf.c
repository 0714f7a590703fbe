// SPDX-License-Identifier: GPL-2.0
/*
 * ELF kernels: the PVH entry (an ELF note "Xen" type 18 holding a 32-bit
 * physical entry point; EBX = hvm_start_info) and Multiboot v1 (header in
 * the first 8 KiB; EAX = 0x2badb002, EBX = multiboot_info), the latter
 * also as any file whose header has the a.out kludge.  Both enter in flat
 * 32-bit protected mode with paging off.
 */
#include <elf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/boot.h"
#include "vmm/internal.h"

#define PVH_NOTE_TYPE		18	/* XEN_ELFNOTE_PHYS32_ENTRY */
#define XEN_GUEST_OS_NOTE	6	/* XEN_ELFNOTE_GUEST_OS: "linux", ... */
#define PVH_START_MAGIC		0x336ec578u
#define MB_HEADER_MAGIC		0x1badb002u
#define MB_BOOT_MAGIC		0x2badb002u
#define MB_AOUT_KLUDGE		(1u << 16)	/* header flag: address fields */
#define MB_SEARCH		8192

/*
 * Where things go in guest-physical memory.
 *
 * The kernel's PT_LOAD segments (or its one a.out-kludge image) go at
 * their p_paddr (load_addr), anywhere in the RAM the memory map
 * (memmap_entries()) calls usable: [0, EBDA), [1 MiB, end of low RAM) and
 * RAM from 4 GiB.  Below 1 MiB too: GRUB and QEMU load a
 * Multiboot kernel there.  A segment is refused, with an error naming it
 * and the range, only where it would touch what libvmm keeps at a fixed
 * place (`fixed` below: the legacy PC area, where the ACPI and MP tables
 * must stay because a Multiboot kernel finds them by scanning for them
 * there) or lies outside RAM.
 *
 * Everything else libvmm writes for the kernel is one block: the boot
 * GDT, hvm_start_info or multiboot_info and its module entry, the memory
 * map and the command line.  It cannot sit at a fixed address without
 * refusing kernels GRUB boots (a Multiboot kernel may occupy any usable
 * RAM), so it moves instead: it goes, once the segments are known, into
 * the lowest page-aligned gap of usable RAM below 4 GiB (from 4 KiB up:
 * page 0 stays the kernel's) that no segment touches.  For a kernel
 * linked at 1 MiB or above (Linux's PVH entry, the test kernels) that is
 * 0x1000, where it always was.  As under GRUB, a kernel finds it through
 * EBX and copies what it keeps before reusing the memory.
 *
 * The module (initrd) goes above the segments and the block, 1 MiB
 * aligned, at 16 MiB or more.
 */
#define EBDA_START		0x9fc00ull
#define LEGACY_END		0x100000ull
#define BLOCK_MIN		0x1000ull
#define BLOCK_GDT		0x000	/* the boot GDT: 40 bytes */
#define BLOCK_MEMMAP		0x040	/* up to 5 entries of 24 bytes */
#define BLOCK_INFO		0x100	/* hvm_start_info / multiboot_info */
#define BLOCK_MODULE		0x180	/* hvm_modlist_entry / mods entry */
#define BLOCK_CMDLINE		0x200
#define CMDLINE_MAX		0x10000ull	/* with the NUL */
#define MODULE_ADDR_MIN		0x1000000ull

static const struct {
	uint64_t start, end;
	const char *what;
} fixed[] = {
	{ EBDA_START, 0xa0000, "the EBDA, reserved in the memory map" },
	{ 0xa0000, 0xe0000, "the VGA and option ROM hole, not RAM in the memory map" },
	{ 0xe0000, LEGACY_END,
	  "the BIOS area where libvmm writes the ACPI and MP tables" },
};

struct seg_range {
	uint64_t start, end;		/* guest-physical, end exclusive */
};

struct elf_image {
	const uint8_t *img;
	size_t len;
	bool is64;
	uint64_t entry;
	uint64_t phoff;
	unsigned int phnum, phentsize;
	uint64_t end;			/* highest loaded byte + 1 */
	struct seg_range *segs;		/* the loaded segments, by start */
	unsigned int nr_segs;
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

/* Checks the ELF and program headers; on failure msg says why. */
static int elf_parse(const char *path, struct elf_image *e, char *msg,
		     size_t msg_len)
{
	const Elf64_Ehdr *h64 = (const void *)e->img;
	const Elf32_Ehdr *h32 = (const void *)e->img;

	if (e->len < sizeof(Elf32_Ehdr) || e->img[EI_DATA] != ELFDATA2LSB) {
		snprintf(msg, msg_len, "kernel %s: not a little-endian ELF file",
			 path);
		return -ENOEXEC;
	}
	e->is64 = e->img[EI_CLASS] == ELFCLASS64;
	if (e->is64) {
		if (e->len < sizeof(*h64) || h64->e_machine != EM_X86_64) {
			snprintf(msg, msg_len, "kernel %s: not an x86-64 ELF",
				 path);
			return -ENOEXEC;
		}
		e->entry = h64->e_entry;
		e->phoff = h64->e_phoff;
		e->phnum = h64->e_phnum;
		e->phentsize = h64->e_phentsize;
		if (e->phentsize < sizeof(Elf64_Phdr))
			goto bad_ph;
	} else {
		if (e->img[EI_CLASS] != ELFCLASS32 || h32->e_machine != EM_386) {
			snprintf(msg, msg_len, "kernel %s: not an x86 ELF", path);
			return -ENOEXEC;
		}
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
	snprintf(msg, msg_len,
		 "kernel %s: program headers missing or outside the file", path);
	return -ENOEXEC;
}

/*
 * Calls fn on each note of the PT_NOTE segments until it returns true;
 * returns whether one did.  name and desc lie within the file.
 */
typedef bool (*note_fn)(void *ctx, const uint8_t *name, uint32_t namesz,
			uint32_t type, const uint8_t *desc, uint32_t descsz);

static bool elf_notes(const struct elf_image *e, note_fn fn, void *ctx)
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
			const uint8_t *name = e->img + off + 12;

			memcpy(n, e->img + off, sizeof(n));	/* any alignment */
			namesz = (n[0] + 3ull) & ~3ull;
			descsz = (n[1] + 3ull) & ~3ull;
			if (namesz + descsz > end - off - 12)
				break;
			if (fn(ctx, name, n[0], n[2], name + namesz, n[1]))
				return true;
			off += 12 + namesz + descsz;
		}
	}
	return false;
}

static bool note_is(const uint8_t *name, uint32_t namesz, const char *want)
{
	return namesz == strlen(want) + 1 && !memcmp(name, want, namesz);
}

static bool pvh_note(void *ctx, const uint8_t *name, uint32_t namesz,
		     uint32_t type, const uint8_t *desc, uint32_t descsz)
{
	uint64_t *entry = ctx;

	if (type != PVH_NOTE_TYPE || !note_is(name, namesz, "Xen") || descsz < 4)
		return false;
	*entry = 0;
	memcpy(entry, desc, descsz >= 8 ? 8 : 4);
	return true;
}

/* The PVH entry address, or 0 when the kernel has no PVH note. */
static uint64_t pvh_entry(const struct elf_image *e)
{
	uint64_t entry = 0;

	elf_notes(e, pvh_note, &entry);
	return entry;
}

/*
 * Linux: a vmlinux carries notes owned by "Linux" (the build salt, since
 * 4.18) and, built with Xen support, XEN_ELFNOTE_GUEST_OS "linux".
 */
static bool linux_note(void *ctx, const uint8_t *name, uint32_t namesz,
		       uint32_t type, const uint8_t *desc, uint32_t descsz)
{
	(void)ctx;
	return note_is(name, namesz, "Linux") ||
	       (note_is(name, namesz, "Xen") && type == XEN_GUEST_OS_NOTE &&
		descsz >= 5 && !memcmp(desc, "linux", 5));
}

int vmm_elf_check(const char *path, const uint8_t *img, size_t len,
		  bool *is_linux, char *msg, size_t msg_len)
{
	struct elf_image e = { .img = img, .len = len };
	int r;

	r = elf_parse(path, &e, msg, msg_len);
	if (r)
		return r;
	*is_linux = elf_notes(&e, linux_note, NULL);
	return 0;
}

/*
 * Checks one loadable segment (p: offset, paddr, filesz, memsz) against
 * the file, RAM and the fixed ranges, copies it in and records it in
 * e->segs; name says which in messages ("segment 2").
 */
static int load_segment(struct vmm_vm *vm, const char *path, const char *name,
			struct elf_image *e, const struct phdr *p)
{
	unsigned int j;
	uint8_t *dst;

	if (p->filesz > p->memsz || !in_file(e, p->offset, p->filesz))
		return vmm_set_error(vm, -ENOEXEC, "kernel %s: %s lies outside the file",
				     path, name);
	/* In RAM: then paddr + memsz cannot wrap. */
	dst = vmm_guest_ptr(vm, p->paddr, p->memsz);
	if (!dst)
		return vmm_set_error(vm, -ENOSPC,
				     "kernel %s: %s (0x%llx+0x%llx) is not in guest RAM (0-0x%llx%s)",
				     path, name, (unsigned long long)p->paddr,
				     (unsigned long long)p->memsz,
				     (unsigned long long)vm->low_size - 1,
				     vm->high_size ? " and from 4 GiB" : "");
	for (j = 0; j < sizeof(fixed) / sizeof(fixed[0]); j++)
		if (p->paddr < fixed[j].end && p->paddr + p->memsz > fixed[j].start)
			return vmm_set_error(vm, -ENOSPC,
					     "kernel %s: %s (0x%llx-0x%llx) overlaps 0x%llx-0x%llx, %s",
					     path, name, (unsigned long long)p->paddr,
					     (unsigned long long)(p->paddr + p->memsz - 1),
					     (unsigned long long)fixed[j].start,
					     (unsigned long long)fixed[j].end - 1,
					     fixed[j].what);
	memcpy(dst, e->img + p->offset, p->filesz);
	memset(dst + p->filesz, 0, p->memsz - p->filesz);
	e->segs[e->nr_segs++] = (struct seg_range){ p->paddr, p->paddr + p->memsz };
	if (p->paddr + p->memsz > e->end)
		e->end = p->paddr + p->memsz;
	return 0;
}

static int seg_cmp(const void *a, const void *b)
{
	const struct seg_range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The PT_LOAD segments; e->segs lists them, sorted, for what follows. */
static int elf_load_segments(struct vmm_vm *vm, const char *path,
			     struct elf_image *e)
{
	char name[32];
	struct phdr p;
	unsigned int i;
	int r;

	e->segs = calloc(e->phnum, sizeof(*e->segs));
	if (!e->segs)
		return vmm_set_error(vm, -ENOMEM, "kernel %s: out of memory", path);
	for (i = 0; i < e->phnum; i++) {
		get_phdr(e, i, &p);
		if (p.type != PT_LOAD || !p.memsz)
			continue;
		snprintf(name, sizeof(name), "segment %u", i);
		r = load_segment(vm, path, name, e, &p);
		if (r)
			return r;
	}
	if (!e->nr_segs)
		return vmm_set_error(vm, -ENOEXEC, "kernel %s: nothing to load",
				     path);
	qsort(e->segs, e->nr_segs, sizeof(*e->segs), seg_cmp);
	return 0;
}

/*
 * Multiboot's a.out kludge (header flag 16): the header's address fields
 * say where the image goes, whatever the file's format, and win over an
 * ELF's program headers (as in GRUB).  The file from the header's offset
 * minus (header_addr - load_addr) is loaded at load_addr up to
 * load_end_addr (0: the end of the file), zeroed up to bss_end_addr (0:
 * no bss); entry_addr is the entry.  One segment, checked as any other.
 */
static int aout_load(struct vmm_vm *vm, const char *path, struct elf_image *e,
		     long mb)
{
	uint32_t h[8], header_addr, load_addr, load_end, bss_end;
	struct phdr p = { .type = PT_LOAD };

	if (!in_file(e, mb, sizeof(h)))
		return vmm_set_error(vm, -ENOEXEC,
				     "kernel %s: Multiboot header with the a.out kludge is cut short",
				     path);
	memcpy(h, e->img + mb, sizeof(h));
	header_addr = h[3];
	load_addr = h[4];
	load_end = h[5];
	bss_end = h[6];
	if (load_addr > header_addr || header_addr - load_addr > (uint64_t)mb)
		return vmm_set_error(vm, -ENOEXEC,
				     "kernel %s: a.out kludge: load_addr 0x%x and header_addr 0x%x do not fit the header's offset 0x%lx in the file",
				     path, load_addr, header_addr, mb);
	p.offset = mb - (header_addr - load_addr);
	p.paddr = load_addr;
	if (load_end && load_end < load_addr)
		return vmm_set_error(vm, -ENOEXEC,
				     "kernel %s: a.out kludge: load_end_addr 0x%x is below load_addr 0x%x",
				     path, load_end, load_addr);
	p.filesz = load_end ? load_end - load_addr : e->len - p.offset;
	p.memsz = p.filesz;
	if (bss_end) {
		if ((uint64_t)bss_end < load_addr + p.filesz)
			return vmm_set_error(vm, -ENOEXEC,
					     "kernel %s: a.out kludge: bss_end_addr 0x%x is below the end of the loaded image 0x%llx",
					     path, bss_end,
					     (unsigned long long)(load_addr + p.filesz));
		p.memsz = bss_end - load_addr;
	}
	if (!p.memsz)
		return vmm_set_error(vm, -ENOEXEC, "kernel %s: nothing to load",
				     path);
	e->segs = calloc(1, sizeof(*e->segs));
	if (!e->segs)
		return vmm_set_error(vm, -ENOMEM, "kernel %s: out of memory", path);
	e->is64 = false;
	e->entry = h[7];
	return load_segment(vm, path, "the a.out kludge image", e, &p);
}

static bool in_segment(const struct elf_image *e, uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < e->nr_segs; i++)
		if (addr >= e->segs[i].start && addr < e->segs[i].end)
			return true;
	return false;
}

/*
 * The boot block's address (see the top of this file): the lowest
 * page-aligned gap of size bytes in usable RAM below 4 GiB that no
 * segment touches, or 0 if there is none.
 */
static uint64_t place_block(const struct vmm_vm *vm, const struct elf_image *e,
			    uint64_t size)
{
	const uint64_t usable[2][2] = { { BLOCK_MIN, EBDA_START },
					{ LEGACY_END, vm->low_size } };
	unsigned int r, i;

	for (r = 0; r < 2; r++) {
		uint64_t at = usable[r][0], hi = usable[r][1];

		/* Segments by start: each one in the way moves the gap past it. */
		for (i = 0; i < e->nr_segs && at + size <= hi; i++) {
			const struct seg_range *s = &e->segs[i];

			if (s->end <= at)
				continue;
			if (s->start >= at + size)
				break;
			at = (s->end + 0xfff) & ~0xfffull;
		}
		if (at + size <= hi)
			return at;
	}
	return 0;
}

/* e820-style map for both protocols: RAM, the legacy holes, RAM above 4G. */
static unsigned int memmap_entries(struct vmm_vm *vm, uint64_t (*m)[3])
{
	unsigned int n = 0;

	m[n][0] = 0; m[n][1] = EBDA_START; m[n++][2] = 1;
	m[n][0] = EBDA_START; m[n][1] = 0xa0000 - EBDA_START; m[n++][2] = 2;
	m[n][0] = 0xe0000; m[n][1] = LEGACY_END - 0xe0000; m[n++][2] = 2;
	m[n][0] = LEGACY_END; m[n][1] = vm->low_size - LEGACY_END; m[n++][2] = 1;
	if (vm->high_size) {
		m[n][0] = VMM_HIGH_RAM_START;
		m[n][1] = vm->high_size;
		m[n++][2] = 1;
	}
	return n;
}

/*
 * The command line as the kernel gets it.  A Multiboot kernel gets its
 * own path first, as GRUB and QEMU pass it ("/boot/kernel arg1 arg2"), so
 * that its arguments are argv[1..]; the path is the one given, unquoted,
 * as they pass it.  A PVH kernel (Linux's entry) gets the arguments
 * alone, as from QEMU and Firecracker.  *len counts the NUL.
 */
static int cmdline_len(struct vmm_vm *vm, const struct vmm_boot *boot,
		       bool with_path, size_t *len)
{
	const char *c = boot->cmdline ? boot->cmdline : "";

	*len = strlen(c) + 1;
	if (with_path)
		*len += strlen(boot->kernel) + (*c ? 1 : 0);
	if (*len > CMDLINE_MAX)
		return vmm_set_error(vm, -E2BIG, "command line: longer than 64 KiB%s",
				     with_path ? " with the kernel's path before it" : "");
	return 0;
}

static void put_cmdline(char *dst, const struct vmm_boot *boot, bool with_path)
{
	const char *c = boot->cmdline ? boot->cmdline : "";

	if (with_path)
		dst += sprintf(dst, "%s%s", boot->kernel, *c ? " " : "");
	strcpy(dst, c);
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

static void put_u32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put_u64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* hvm_start_info, version 1 (offsets 0..55), and its one module entry. */
static void pvh_info(uint8_t *b, uint64_t block, unsigned int nr_map,
		     uint64_t mod_addr, uint64_t mod_size, uint64_t rsdp)
{
	uint8_t *si = b + BLOCK_INFO, *mod = b + BLOCK_MODULE;

	put_u32(si + 0, PVH_START_MAGIC);
	put_u32(si + 4, 1);
	put_u32(si + 12, mod_size ? 1 : 0);
	put_u64(si + 16, block + BLOCK_MODULE);	/* modlist */
	put_u64(si + 24, block + BLOCK_CMDLINE);
	put_u64(si + 32, rsdp);
	put_u64(si + 40, block + BLOCK_MEMMAP);
	put_u32(si + 48, nr_map);
	/* hvm_modlist_entry: paddr, size, cmdline_paddr, reserved */
	put_u64(mod + 0, mod_addr);
	put_u64(mod + 8, mod_size);
}

/* multiboot_info: memory sizes, command line, module, memory map. */
static void multiboot_info(struct vmm_vm *vm, uint8_t *b, uint64_t block,
			   unsigned int nr_map, uint64_t mod_addr,
			   uint64_t mod_size)
{
	uint8_t *mbi = b + BLOCK_INFO, *mod = b + BLOCK_MODULE;
	uint32_t flags = 1 << 0 | 1 << 2 | 1 << 6;	/* mem, cmdline, mmap */

	put_u32(mbi + 4, EBDA_START >> 10);		/* mem_lower, KiB */
	put_u32(mbi + 8, (vm->low_size - LEGACY_END) >> 10);
	put_u32(mbi + 16, block + BLOCK_CMDLINE);
	if (mod_size) {
		flags |= 1 << 3;
		put_u32(mbi + 20, 1);
		put_u32(mbi + 24, block + BLOCK_MODULE);
		put_u32(mod + 0, mod_addr);
		put_u32(mod + 4, mod_addr + mod_size);
	}
	put_u32(mbi + 44, nr_map * 24);
	put_u32(mbi + 48, block + BLOCK_MEMMAP);
	put_u32(mbi, flags);
}

/* The Multiboot header's offset, or -1. */
static long multiboot_header(const uint8_t *img, size_t len)
{
	size_t off, lim = len < MB_SEARCH ? len : MB_SEARCH;

	for (off = 0; off + 12 <= lim; off += 4) {
		uint32_t h[3];

		memcpy(h, img + off, sizeof(h));
		if (h[0] == MB_HEADER_MAGIC && h[0] + h[1] + h[2] == 0)
			return off;
	}
	return -1;
}

/*
 * After the segments: the boot block, the module, the firmware tables,
 * the protocol's boot information, and vCPU 0's entry state.
 */
static int elf_boot(struct vmm_vm *vm, const struct vmm_boot *boot,
		    struct elf_image *e, uint64_t pvh)
{
	bool mb = !pvh;
	uint64_t map[5][3], block, end, mod_addr, mod_size, rsdp = 0;
	unsigned int i, n;
	size_t cmdlen;
	uint8_t *b;
	int r;

	r = cmdline_len(vm, boot, mb, &cmdlen);
	if (r)
		return r;
	block = place_block(vm, e, BLOCK_CMDLINE + cmdlen);
	b = block ? vmm_guest_ptr(vm, block, BLOCK_CMDLINE + cmdlen) : NULL;
	if (!b)
		return vmm_set_error(vm, -ENOSPC,
				     "kernel %s: no room in RAM below 4 GiB, beside the kernel's segments, for the %llu bytes of boot information",
				     boot->kernel,
				     (unsigned long long)(BLOCK_CMDLINE + cmdlen));
	end = block + BLOCK_CMDLINE + cmdlen;
	r = put_module(vm, boot, e->end > end ? e->end : end, mb, &mod_addr,
		       &mod_size);
	if (!r && vm->pc)
		r = vmm_pc_write_firmware(vm, &rsdp);
	if (r)
		return r;

	memset(b, 0, BLOCK_CMDLINE);
	put_cmdline((char *)b + BLOCK_CMDLINE, boot, mb);
	n = memmap_entries(vm, map);
	for (i = 0; i < n; i++) {
		uint8_t *m = b + BLOCK_MEMMAP + i * 24;

		/* Multiboot: size (20), base, length, type; PVH: base, ... */
		if (mb) {
			put_u32(m, 20);
			m += 4;
		}
		put_u64(m, map[i][0]);
		put_u64(m + 8, map[i][1]);
		put_u32(m + 16, map[i][2]);
	}
	if (mb)
		multiboot_info(vm, b, block, n, mod_addr, mod_size);
	else
		pvh_info(b, block, n, mod_addr, mod_size, rsdp);
	return vmm_x86_enter_protected_mode(&vm->vcpus[0], block + BLOCK_GDT,
					    mb ? e->entry : pvh,
					    mb ? MB_BOOT_MAGIC : 0,
					    block + BLOCK_INFO);
}

static int load_elf(struct vmm_vm *vm, const struct vmm_boot *boot,
		    struct elf_image *e)
{
	bool is_elf = e->len >= SELFMAG && !memcmp(e->img, ELFMAG, SELFMAG);
	char msg[VMM_ERROR_MAX];
	uint64_t entry = 0;
	uint32_t hdr[3];
	long mb;
	int r;

	mb = multiboot_header(e->img, e->len);
	if (mb >= 0)
		memcpy(hdr, e->img + mb, sizeof(hdr));
	if (is_elf) {
		r = elf_parse(boot->kernel, e, msg, sizeof(msg));
		if (r)
			return vmm_set_error(vm, r, "%s", msg);
		entry = pvh_entry(e);
		if (!entry && mb < 0)
			return vmm_set_error(vm, -ENOEXEC,
					     "kernel %s: ELF without a PVH entry note or a Multiboot header",
					     boot->kernel);
		if (!vm->caps.irqchip && elf_notes(e, linux_note, NULL))
			return vmm_set_error(vm, -ENOTSUP,
					     "kernel %s: Linux needs interrupt controllers and timers, which the %s backend does not provide yet",
					     boot->kernel, vm->ops->name);
	} else if (mb < 0 || !(hdr[1] & MB_AOUT_KLUDGE)) {
		return vmm_set_error(vm, -ENOEXEC,
				     "kernel %s: neither ELF nor a Multiboot kernel with the a.out kludge",
				     boot->kernel);
	}
	if (!entry) {
		/*
		 * Video modes (bit 2) and the other required features (bits
		 * 3-15) are not offered; of the optional ones (16-31) the
		 * a.out kludge is, and the rest may be ignored.
		 */
		if (hdr[1] & 0xfffc)
			return vmm_set_error(vm, -ENOTSUP,
					     "kernel %s: Multiboot header asks for features 0x%x that libvmm does not provide",
					     boot->kernel, hdr[1] & 0xfffc);
		r = hdr[1] & MB_AOUT_KLUDGE ? aout_load(vm, boot->kernel, e, mb) :
					      elf_load_segments(vm, boot->kernel, e);
		if (r)
			return r;
		if (e->is64 || !in_segment(e, e->entry))
			return vmm_set_error(vm, -ENOEXEC,
					     "kernel %s: Multiboot kernels must be 32-bit with the entry 0x%llx inside what is loaded",
					     boot->kernel, (unsigned long long)e->entry);
		return elf_boot(vm, boot, e, 0);
	}
	r = elf_load_segments(vm, boot->kernel, e);
	if (r)
		return r;
	if (entry >= 1ull << 32)
		return vmm_set_error(vm, -ENOEXEC,
				     "kernel %s: PVH entry 0x%llx is not a 32-bit address",
				     boot->kernel, (unsigned long long)entry);
	return elf_boot(vm, boot, e, entry);
}

bool vmm_multiboot_aout(const uint8_t *img, size_t len)
{
	long mb = multiboot_header(img, len);
	uint32_t flags;

	if (mb < 0)
		return false;
	memcpy(&flags, img + mb + 4, 4);
	return flags & MB_AOUT_KLUDGE;
}

int vmm_load_elf(struct vmm_vm *vm, const struct vmm_boot *boot,
		 const uint8_t *img, size_t len)
{
	struct elf_image e = { .img = img, .len = len };
	int r;

	r = load_elf(vm, boot, &e);
	free(e.segs);
	return r;
}
