// SPDX-License-Identifier: GPL-2.0
/*
 * The ELF loaders (vmm/elf.c) on a VM without a hypervisor: synthetic
 * Multiboot and PVH kernels placed where GRUB and QEMU would place them,
 * below 1 MiB too; segments refused only where libvmm keeps its fixed
 * ranges, with the segment and the range named; libvmm's boot block
 * moving out of a kernel's way; the Multiboot command line starting with
 * the kernel's path; the a.out kludge; which kernels count as Linux
 * (vmm_kernel_check()).
 */
#include <elf.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/boot.h"
#include "vmm/internal.h"

#define LOW_RAM		(32ull << 20)
#define KERNEL		"/boot/test kernel.elf"
#define MB_MAGIC	0x1badb002u
#define SEG_DATA	0x1000		/* segment i's bytes at SEG_DATA + i * 0x1000 */
#define MAX_SEGS	4

/* ---- a VM without a hypervisor: guest RAM, vCPU state kept ---- */

static struct vmm_vm vm;
static struct vmm_vcpu vcpu;
static struct vhv_regs regs;
static struct vhv_sregs sregs;

static int get_sregs(struct vmm_vcpu *v, struct vhv_sregs *s)
{
	(void)v;
	memset(s, 0, sizeof(*s));
	return 0;
}

static int set_sregs(struct vmm_vcpu *v, const struct vhv_sregs *s)
{
	(void)v;
	sregs = *s;
	return 0;
}

static int set_regs(struct vmm_vcpu *v, const struct vhv_regs *r)
{
	(void)v;
	regs = *r;
	return 0;
}

static const struct vmm_backend_ops ops = {
	.name = "test",
	.get_sregs = get_sregs,
	.set_sregs = set_sregs,
	.set_regs = set_regs,
};

/* What vm.c and machine.c would provide. */
int vmm_set_error(struct vmm_vm *v, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->err, sizeof(v->err), fmt, ap);
	va_end(ap);
	return err;
}

int vmm_pc_write_firmware(struct vmm_vm *v, uint64_t *rsdp_gpa)
{
	(void)v;
	*rsdp_gpa = 0;
	return 0;
}

static int setup(void **state)
{
	(void)state;
	free(vm.ram);
	memset(&vm, 0, sizeof(vm));
	memset(&vcpu, 0, sizeof(vcpu));
	memset(&regs, 0, sizeof(regs));
	memset(&sregs, 0, sizeof(sregs));
	vm.ops = &ops;
	vm.caps.irqchip = false;	/* vhv.ko today: Linux is refused */
	vm.low_size = vm.ram_size = LOW_RAM;
	vm.ram = calloc(1, vm.ram_size);
	assert_non_null(vm.ram);
	vm.nr_vcpus = 1;
	vm.vcpus = &vcpu;
	vcpu.vm = &vm;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	free(vm.ram);
	vm.ram = NULL;
	return 0;
}

static uint8_t *ram(uint64_t gpa)
{
	assert_true(gpa < vm.low_size);
	return (uint8_t *)vm.ram + gpa;
}

static uint32_t get32(uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, ram(gpa), 4);
	return v;
}

/* ---- synthetic kernels ---- */

struct seg {
	uint32_t paddr, filesz, memsz;
};

enum kind { MULTIBOOT, PVH, PVH_LINUX };

static uint8_t img[SEG_DATA + MAX_SEGS * 0x1000];

/* Note at p: name, type, 4-byte desc; returns its size. */
static size_t note(uint8_t *p, const char *name, uint32_t type, uint32_t desc)
{
	uint32_t h[3] = { strlen(name) + 1, 4, type };
	size_t namesz = (h[0] + 3) & ~3u;

	memcpy(p, h, 12);
	memcpy(p + 12, name, h[0]);
	memcpy(p + 12 + namesz, &desc, 4);
	return 12 + namesz + 4;
}

/*
 * A 32-bit ELF: the segments (file bytes 0x11, 0x22, ...), a Multiboot
 * header at 0x200 or a PVH note (and Linux's build-salt note) at 0x300.
 */
static size_t make_elf(const struct seg *s, unsigned int n, uint32_t entry,
		       enum kind kind)
{
	Elf32_Ehdr *eh = (Elf32_Ehdr *)img;
	Elf32_Phdr *ph = (Elf32_Phdr *)(img + sizeof(*eh));
	size_t notes = 0;
	unsigned int i;

	assert_true(n <= MAX_SEGS);
	memset(img, 0, sizeof(img));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_386;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(*eh);
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(*ph);
	eh->e_phnum = n + 1;
	for (i = 0; i < n; i++) {
		assert_true(s[i].filesz <= 0x1000);
		ph[i] = (Elf32_Phdr){ .p_type = PT_LOAD,
				      .p_offset = SEG_DATA + i * 0x1000,
				      .p_paddr = s[i].paddr, .p_vaddr = s[i].paddr,
				      .p_filesz = s[i].filesz,
				      .p_memsz = s[i].memsz };
		memset(img + SEG_DATA + i * 0x1000, 0x11 * (i + 1), s[i].filesz);
	}
	if (kind == MULTIBOOT) {
		uint32_t mb[3] = { MB_MAGIC, 2, -(MB_MAGIC + 2) };

		memcpy(img + 0x200, mb, sizeof(mb));
	} else {
		notes = note(img + 0x300, "Xen", 18, entry);
		if (kind == PVH_LINUX)
			notes += note(img + 0x300 + notes, "Linux", 0x100, 0);
	}
	ph[n] = (Elf32_Phdr){ .p_type = PT_NOTE, .p_offset = 0x300,
			      .p_filesz = notes };
	return sizeof(img);
}

static int load(size_t len, const char *cmdline, const char *initrd)
{
	struct vmm_boot boot = { .kernel = KERNEL, .cmdline = cmdline,
				 .initrd = initrd };

	vm.err[0] = 0;
	return vmm_load_kernel_image(&vm, &boot, img, len);
}

/* Whether [a, a + n) touches a segment. */
static bool hits(const struct seg *s, unsigned int nr, uint64_t a, uint64_t n)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (a < (uint64_t)s[i].paddr + s[i].memsz && a + n > s[i].paddr)
			return true;
	return false;
}

/* Segment contents as make_elf() wrote them, bss zeroed. */
static void check_segments(const struct seg *s, unsigned int n)
{
	unsigned int i;
	uint32_t j;

	for (i = 0; i < n; i++)
		for (j = 0; j < s[i].memsz; j++)
			if (*ram(s[i].paddr + j) != (j < s[i].filesz ? 0x11 * (i + 1) : 0))
				fail_msg("segment %u byte 0x%x at 0x%x is 0x%x", i, j,
					 s[i].paddr + j, *ram(s[i].paddr + j));
}

/*
 * After a Multiboot load: the entry state, and every structure libvmm
 * wrote (GDT, info, memory map, command line) outside the segments.
 */
static uint32_t check_multiboot(const struct seg *s, unsigned int n,
				uint32_t entry)
{
	uint32_t mbi = regs.rbx, flags, cmd, map;

	assert_int_equal(regs.rax, 0x2badb002);
	assert_int_equal(regs.rip, entry);
	assert_true(sregs.cr0 & 1);
	assert_false(hits(s, n, sregs.gdt.base, sregs.gdt.limit + 1));
	assert_false(hits(s, n, mbi, 0x58));
	flags = get32(mbi);
	assert_int_equal(flags & 0x45, 0x45);	/* mem, cmdline, mmap */
	cmd = get32(mbi + 16);
	assert_false(hits(s, n, cmd, strlen((char *)ram(cmd)) + 1));
	map = get32(mbi + 48);
	assert_false(hits(s, n, map, get32(mbi + 44)));
	check_segments(s, n);
	return mbi;
}

/* ---- tests ---- */

/* GRUB and QEMU load a Multiboot kernel below 1 MiB: so does libvmm. */
static void test_segment_below_1m_loads(void **state)
{
	const struct seg s[] = { { 0x10000, 0x800, 0x3000 } };

	(void)state;
	assert_int_equal(load(make_elf(s, 1, 0x10010, MULTIBOOT), "a b", NULL), 0);
	assert_string_equal(vm.err, "");
	check_multiboot(s, 1, 0x10010);
	assert_true(vcpu.bsp_ready);
}

/*
 * A kernel right where libvmm's boot block used to be fixed (GDT 0x1000,
 * info 0x6000, command line 0x20000): it loads whole, and the block moves
 * to the first page after it.
 */
static void test_block_moves_out_of_the_way(void **state)
{
	const struct seg s[] = { { 0x1000, 0x1000, 0x3f000 } };
	uint32_t mbi;

	(void)state;
	assert_int_equal(load(make_elf(s, 1, 0x1000, MULTIBOOT), "x", NULL), 0);
	mbi = check_multiboot(s, 1, 0x1000);
	assert_int_equal(sregs.gdt.base, 0x40000);
	assert_true(mbi >= 0x40000 && mbi < 0x41000);
}

/* A kernel at 1 MiB leaves the block at 0x1000, as before. */
static void test_block_low_for_a_kernel_at_1m(void **state)
{
	const struct seg s[] = { { 0x100000, 0x1000, 0x5000 } };

	(void)state;
	assert_int_equal(load(make_elf(s, 1, 0x100000, MULTIBOOT), "", NULL), 0);
	check_multiboot(s, 1, 0x100000);
	assert_int_equal(sregs.gdt.base, 0x1000);
}

/* Gaps between segments: the lowest one large enough, page-aligned. */
static void test_block_in_a_gap(void **state)
{
	const struct seg s[] = {
		{ 0x0, 0x100, 0x2100 },		/* to 0x2100: page 2 is not free */
		{ 0x3800, 0x100, 0x800 },	/* 0x3000-0x3800 too small a gap */
		{ 0x5000, 0x100, 0x90000 },
	};
	char cmd[0x900];

	(void)state;
	/* Block: 0x200 + command line; 0x4000-0x5000 fits it, 0x3000 does not. */
	memset(cmd, 'a', sizeof(cmd) - 1);
	cmd[sizeof(cmd) - 1] = 0;
	assert_int_equal(load(make_elf(s, 3, 0x5000, MULTIBOOT), cmd, NULL), 0);
	check_multiboot(s, 3, 0x5000);
	assert_int_equal(sregs.gdt.base, 0x4000);
}

/* Segments over all usable RAM below 4 GiB: no room for the block. */
static void test_no_room_for_the_block(void **state)
{
	const struct seg s[] = { { 0x1000, 0x10, 0x9fc00 - 0x1000 },
				 { 0x100000, 0x10, LOW_RAM - 0x100000 - 0x100 } };

	(void)state;
	assert_int_equal(load(make_elf(s, 2, 0x1000, MULTIBOOT), "", NULL), -ENOSPC);
	assert_string_equal(vm.err,
			    "kernel " KERNEL ": no room in RAM below 4 GiB, beside the kernel's segments, for the 534 bytes of boot information");
	assert_false(vcpu.bsp_ready);
}

/* Only libvmm's fixed ranges refuse a segment: named, with the range. */
static void test_fixed_ranges_refused(void **state)
{
	static const struct {
		struct seg s;
		const char *msg;
	} t[] = {
		{ { 0xf0000, 0x100, 0x1000 },
		  "segment 0 (0xf0000-0xf0fff) overlaps 0xe0000-0xfffff, the BIOS area where libvmm writes the ACPI and MP tables" },
		{ { 0xff000, 0x100, 0x2000 },
		  "segment 0 (0xff000-0x100fff) overlaps 0xe0000-0xfffff, the BIOS area where libvmm writes the ACPI and MP tables" },
		{ { 0x9f000, 0x100, 0xc01 },
		  "segment 0 (0x9f000-0x9fc00) overlaps 0x9fc00-0x9ffff, the EBDA, reserved in the memory map" },
		{ { 0xb8000, 0x100, 0x1000 },
		  "segment 0 (0xb8000-0xb8fff) overlaps 0xa0000-0xdffff, the VGA and option ROM hole, not RAM in the memory map" },
		{ { 0xdf000, 0x100, 0x2000 },
		  "segment 0 (0xdf000-0xe0fff) overlaps 0xa0000-0xdffff, the VGA and option ROM hole, not RAM in the memory map" },
		{ { LOW_RAM - 0x1000, 0x100, 0x2000 },
		  "segment 0 (0x1fff000+0x2000) is not in guest RAM (0-0x1ffffff)" },
	};
	char want[VMM_ERROR_MAX];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		setup(NULL);
		assert_int_equal(load(make_elf(&t[i].s, 1, t[i].s.paddr, MULTIBOOT),
				      "", NULL), -ENOSPC);
		snprintf(want, sizeof(want), "kernel %s: %s", KERNEL, t[i].msg);
		assert_string_equal(vm.err, want);
		assert_false(vcpu.bsp_ready);
	}
	/* Right up to the EBDA, and right from 1 MiB: both fine. */
	setup(NULL);
	{
		const struct seg s[] = { { 0x9e000, 0x100, 0x1c00 },
					 { 0x100000, 0x100, 0x1000 } };

		assert_int_equal(load(make_elf(s, 2, 0x9e000, MULTIBOOT), "", NULL), 0);
		check_multiboot(s, 2, 0x9e000);
	}
}

/* GRUB's and QEMU's convention: the path, then the arguments. */
static void test_multiboot_cmdline_starts_with_the_path(void **state)
{
	const struct seg s[] = { { 0x100000, 0x100, 0x1000 } };
	uint32_t mbi;

	(void)state;
	make_elf(s, 1, 0x100000, MULTIBOOT);
	assert_int_equal(load(sizeof(img), "hello multiboot", NULL), 0);
	mbi = check_multiboot(s, 1, 0x100000);
	assert_string_equal((char *)ram(get32(mbi + 16)),
			    KERNEL " hello multiboot");
	/* No arguments: the path alone (argc 1), no trailing space. */
	assert_int_equal(load(sizeof(img), "", NULL), 0);
	mbi = check_multiboot(s, 1, 0x100000);
	assert_string_equal((char *)ram(get32(mbi + 16)), KERNEL);
	assert_int_equal(load(sizeof(img), NULL, NULL), 0);
	mbi = check_multiboot(s, 1, 0x100000);
	assert_string_equal((char *)ram(get32(mbi + 16)), KERNEL);
}

/* The 64 KiB limit counts the path. */
static void test_multiboot_cmdline_limit(void **state)
{
	const struct seg s[] = { { 0x100000, 0x100, 0x1000 } };
	size_t max = 0x10000 - strlen(KERNEL " ") - 1;
	char *cmd = malloc(max + 2);
	uint32_t mbi;

	(void)state;
	assert_non_null(cmd);
	memset(cmd, 'c', max + 1);
	cmd[max + 1] = 0;
	make_elf(s, 1, 0x100000, MULTIBOOT);
	assert_int_equal(load(sizeof(img), cmd, NULL), -E2BIG);
	assert_string_equal(vm.err,
			    "command line: longer than 64 KiB with the kernel's path before it");
	cmd[max] = 0;
	assert_int_equal(load(sizeof(img), cmd, NULL), 0);
	mbi = check_multiboot(s, 1, 0x100000);
	assert_int_equal(strlen((char *)ram(get32(mbi + 16))), 0xffff);
	free(cmd);
}

/* PVH (Linux's entry) gets the arguments alone, as from QEMU. */
static void test_pvh_cmdline_is_the_arguments(void **state)
{
	const struct seg s[] = { { 0x100000, 0x100, 0x1000 } };
	uint32_t si;
	uint64_t cmd;

	(void)state;
	assert_int_equal(load(make_elf(s, 1, 0x100000, PVH), "hello pvh", NULL), 0);
	si = regs.rbx;
	assert_int_equal(get32(si), 0x336ec578);
	assert_int_equal(regs.rip, 0x100000);
	memcpy(&cmd, ram(si + 24), 8);
	assert_string_equal((char *)ram(cmd), "hello pvh");
	assert_false(hits(s, 1, si, 56));
	check_segments(s, 1);
}

/* The initrd goes above the kernel and the block. */
static void test_module_above_everything(void **state)
{
	const struct seg s[] = { { 0x1000, 0x100, 0x2000 },
				 { 0x1100000, 0x100, 0x1000 } };
	char path[] = "/tmp/vhv-test-elf-XXXXXX";
	uint32_t mbi, *mod;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "module!", 7), 7);
	close(fd);
	assert_int_equal(load(make_elf(s, 2, 0x1000, MULTIBOOT), "m", path), 0);
	unlink(path);
	mbi = check_multiboot(s, 2, 0x1000);
	assert_int_equal(get32(mbi) & 8, 8);
	mod = (uint32_t *)ram(get32(mbi + 24));
	assert_int_equal(mod[0], 0x1200000);
	assert_int_equal(mod[1], 0x1200007);
	assert_memory_equal(ram(mod[0]), "module!", 7);
}

/* The entry must be inside a loaded segment. */
static void test_multiboot_entry_outside(void **state)
{
	const struct seg s[] = { { 0x10000, 0x100, 0x1000 } };

	(void)state;
	assert_int_equal(load(make_elf(s, 1, 0x11000, MULTIBOOT), "", NULL), -ENOEXEC);
	assert_string_equal(vm.err, "kernel " KERNEL ": Multiboot kernels must be 32-bit with the entry 0x11000 inside what is loaded");
}

/* Linux without the hypervisor's interrupt controllers: refused, named. */
static void test_linux_elf_needs_irqchip(void **state)
{
	const struct seg s[] = { { 0x1000000, 0x100, 0x1000 } };
	char msg[VMM_ERROR_MAX];
	bool is_linux = false;
	size_t len;

	(void)state;
	len = make_elf(s, 1, 0x1000000, PVH_LINUX);
	assert_int_equal(load(len, "", NULL), -ENOTSUP);
	assert_string_equal(vm.err, "kernel " KERNEL ": Linux needs interrupt controllers and timers, which the test backend does not provide yet");
	assert_int_equal(vmm_kernel_check(KERNEL, img, len, &is_linux, msg,
					  sizeof(msg)), 0);
	assert_true(is_linux);
	vm.caps.irqchip = true;
	assert_int_equal(load(len, "", NULL), 0);

	/* The test kernels are not Linux. */
	len = make_elf(s, 1, 0x1000000, PVH);
	assert_int_equal(vmm_kernel_check(KERNEL, img, len, &is_linux, msg,
					  sizeof(msg)), 0);
	assert_false(is_linux);
	len = make_elf(s, 1, 0x1000000, MULTIBOOT);
	assert_int_equal(vmm_kernel_check(KERNEL, img, len, &is_linux, msg,
					  sizeof(msg)), 0);
	assert_false(is_linux);
	/* Not ELF: a bzImage, checked as the loader would. */
	memset(img, 0, 1024);
	assert_int_equal(vmm_kernel_check(KERNEL, img, 1024, &is_linux, msg,
					  sizeof(msg)), -EINVAL);
	assert_string_equal(msg, "kernel " KERNEL ": no boot sector signature 0xaa55 at 0x1fe");
	assert_true(is_linux);
}

/*
 * A flat binary with the a.out kludge: the Multiboot header at file
 * offset 0x40 says it is at header_addr, the file from offset
 * 0x40 - (header_addr - load_addr) goes to load_addr.
 */
static size_t make_aout(uint32_t header_addr, uint32_t load_addr,
			uint32_t load_end, uint32_t bss_end, uint32_t entry)
{
	uint32_t mb[8] = { MB_MAGIC, 0x10002, -(MB_MAGIC + 0x10002), header_addr,
			   load_addr, load_end, bss_end, entry };
	size_t i;

	for (i = 0; i < 0x400; i++)
		img[i] = i & 0xff;
	memcpy(img + 0x40, mb, sizeof(mb));
	return 0x400;
}

static void test_aout_kludge_flat_binary(void **state)
{
	/* Loaded at 0x8000 (below 1 MiB) from file offset 0, bss to 0x9000. */
	const struct seg s[] = { { 0x8000, 0x400, 0x1000 } };
	char msg[VMM_ERROR_MAX];
	bool is_linux = true;
	size_t len = make_aout(0x8040, 0x8000, 0, 0x9000, 0x8060);
	uint32_t mbi, i;

	(void)state;
	assert_int_equal(vmm_kernel_check(KERNEL, img, len, &is_linux, msg,
					  sizeof(msg)), 0);
	assert_false(is_linux);
	assert_int_equal(load(len, "flat", NULL), 0);
	assert_string_equal(vm.err, "");
	assert_memory_equal(ram(0x8000), img, 0x400);
	for (i = 0x400; i < 0x1000; i++)
		assert_int_equal(*ram(0x8000 + i), 0);
	assert_int_equal(regs.rax, 0x2badb002);
	assert_int_equal(regs.rip, 0x8060);
	mbi = regs.rbx;
	assert_false(hits(s, 1, mbi, 0x58));
	assert_false(hits(s, 1, sregs.gdt.base, 40));
	assert_string_equal((char *)ram(get32(mbi + 16)), KERNEL " flat");
	/* The block took the first page, below the image. */
	assert_int_equal(sregs.gdt.base, 0x1000);

	/* load_end_addr: only that much of the file; the header later in it. */
	setup(NULL);
	len = make_aout(0x20040, 0x20000, 0x20100, 0, 0x20000);
	assert_int_equal(load(len, "", NULL), 0);
	assert_memory_equal(ram(0x20000), img, 0x100);
	assert_int_equal(*ram(0x20100), 0);
}

/* In an ELF the kludge's addresses win over the program headers (GRUB). */
static void test_aout_kludge_wins_in_an_elf(void **state)
{
	const struct seg s[] = { { 0x100000, 0x100, 0x1000 } };
	uint32_t mb[8] = { MB_MAGIC, 0x10002, -(MB_MAGIC + 0x10002), 0x30200,
			   0x30000, 0, 0x36000, 0x30000 };
	size_t len = make_elf(s, 1, 0x100000, MULTIBOOT);

	(void)state;
	memcpy(img + 0x200, mb, sizeof(mb));
	assert_int_equal(load(len, "", NULL), 0);
	assert_int_equal(regs.rip, 0x30000);
	assert_memory_equal(ram(0x30000), img, len);
	assert_int_equal(*ram(0x100000), 0);
}

/* Inconsistent address fields and a fixed range: named. */
static void test_aout_kludge_refused(void **state)
{
	static const struct {
		uint32_t h[5];
		const char *msg;
	} t[] = {
		{ { 0x8040, 0x8041, 0, 0, 0x8041 },
		  "a.out kludge: load_addr 0x8041 and header_addr 0x8040 do not fit the header's offset 0x40 in the file" },
		{ { 0x8080, 0x8000, 0, 0, 0x8000 },
		  "a.out kludge: load_addr 0x8000 and header_addr 0x8080 do not fit the header's offset 0x40 in the file" },
		{ { 0x8040, 0x8000, 0x7fff, 0, 0x8000 },
		  "a.out kludge: load_end_addr 0x7fff is below load_addr 0x8000" },
		{ { 0x8040, 0x8000, 0x8100, 0x80ff, 0x8000 },
		  "a.out kludge: bss_end_addr 0x80ff is below the end of the loaded image 0x8100" },
		{ { 0x8040, 0x8000, 0x8800, 0, 0x8000 },
		  "the a.out kludge image lies outside the file" },
		{ { 0xf0040, 0xf0000, 0, 0, 0xf0000 },
		  "the a.out kludge image (0xf0000-0xf03ff) overlaps 0xe0000-0xfffff, the BIOS area where libvmm writes the ACPI and MP tables" },
		{ { 0x8040, 0x8000, 0, 0, 0x9000 },
		  "Multiboot kernels must be 32-bit with the entry 0x9000 inside what is loaded" },
	};
	char want[VMM_ERROR_MAX];
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		size_t len = make_aout(t[i].h[0], t[i].h[1], t[i].h[2], t[i].h[3],
				       t[i].h[4]);

		setup(NULL);
		assert_true(load(len, "", NULL) < 0);
		snprintf(want, sizeof(want), "kernel %s: %s", KERNEL, t[i].msg);
		assert_string_equal(vm.err, want);
		assert_false(vcpu.bsp_ready);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_segment_below_1m_loads, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_moves_out_of_the_way, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_low_for_a_kernel_at_1m, setup, teardown),
		cmocka_unit_test_setup_teardown(test_block_in_a_gap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_room_for_the_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fixed_ranges_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiboot_cmdline_starts_with_the_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiboot_cmdline_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pvh_cmdline_is_the_arguments, setup, teardown),
		cmocka_unit_test_setup_teardown(test_module_above_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(test_multiboot_entry_outside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_linux_elf_needs_irqchip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aout_kludge_flat_binary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aout_kludge_wins_in_an_elf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_aout_kludge_refused, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
