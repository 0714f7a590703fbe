// SPDX-License-Identifier: GPL-2.0
/*
 * vmm_load_kernel(): reads a kernel (and initrd), detects its format, puts
 * it in guest memory with what it needs (boot_params, e820, command line,
 * firmware tables) and sets vCPU 0 up to enter it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/boot.h"
#include "vmm/bzimage.h"
#include "vmm/internal.h"
#include "vmm/kcache.h"
#include "vmm/vmlinux.h"

/* Guest-physical layout of what the loader writes below 1 MiB. */
#define BOOT_GDT		0x1000ull
#define BOOT_PARAMS		0x7000ull
#define BOOT_PML4		0x9000ull	/* then PDPT, then 4 PDs */
#define BOOT_CMDLINE		0x20000ull
#define BOOT_CMDLINE_MAX	0x10000ull
#define BOOT_EBDA		0x9fc00ull
#define BOOT_FW_START		0xe0000ull
#define BOOT_FW_SIZE		0x20000ull
#define BOOT_KERNEL_MIN		0x100000ull

#define MAX_IMAGE_SIZE		(512ull << 20)

int vmm_read_file_msg(const char *what, const char *path, uint8_t **buf,
		      size_t *len, char *msg, size_t msg_len)
{
	struct stat st;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		snprintf(msg, msg_len, "%s %s: %s", what, path, strerror(-r));
		return r;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(msg, msg_len, "%s %s: not a regular file", what, path);
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > MAX_IMAGE_SIZE) {
		close(fd);
		snprintf(msg, msg_len, "%s %s: larger than %llu MiB", what, path,
			 MAX_IMAGE_SIZE >> 20);
		return -EFBIG;
	}
	*len = st.st_size;
	*buf = malloc(*len ? *len : 1);
	if (!*buf) {
		close(fd);
		snprintf(msg, msg_len, "%s %s: out of memory", what, path);
		return -ENOMEM;
	}
	n = vmm_pread_full(fd, *buf, *len, 0);
	close(fd);
	if (n != (ssize_t)*len) {
		free(*buf);
		snprintf(msg, msg_len, "%s %s: read: %s", what, path,
			 n < 0 ? strerror(-n) : "short file");
		return n < 0 ? n : -EIO;
	}
	return 0;
}

int vmm_read_file(struct vmm_vm *vm, const char *what, const char *path,
		  uint8_t **buf, size_t *len)
{
	char msg[VMM_ERROR_MAX];
	int r;

	r = vmm_read_file_msg(what, path, buf, len, msg, sizeof(msg));
	if (r)
		return vmm_set_error(vm, r, "%s", msg);
	return 0;
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static int e820_add(uint8_t *bp, uint64_t addr, uint64_t size, uint32_t type)
{
	uint8_t n = bp[BP_E820_ENTRIES];
	uint8_t *e = bp + BP_E820_TABLE + n * 20;

	if (n >= E820_MAX_ENTRIES)
		return -ENOSPC;
	put64(e, addr);
	put64(e + 8, size);
	put32(e + 16, type);
	bp[BP_E820_ENTRIES] = n + 1;
	return 0;
}

/* The PC map: low RAM with the EBDA and firmware holes, then 4 GiB up. */
static void e820_fill(struct vmm_vm *vm, uint8_t *bp)
{
	e820_add(bp, 0, BOOT_EBDA, E820_RAM);
	e820_add(bp, BOOT_EBDA, 0xa0000 - BOOT_EBDA, E820_RESERVED);
	e820_add(bp, BOOT_FW_START, BOOT_FW_SIZE, E820_RESERVED);
	e820_add(bp, BOOT_KERNEL_MIN, vm->low_size - BOOT_KERNEL_MIN, E820_RAM);
	if (vm->high_size)
		e820_add(bp, VMM_HIGH_RAM_START, vm->high_size, E820_RAM);
}

static int place_initrd(struct vmm_vm *vm, uint8_t *bp,
			const struct bzimage_info *bz, uint64_t kernel_end,
			const char *path)
{
	uint64_t top, addr;
	uint8_t *buf;
	size_t len;
	int r;

	r = vmm_read_file(vm, "initrd", path, &buf, &len);
	if (r)
		return r;
	top = vm->low_size;
	if (top > (uint64_t)bz->initrd_addr_max + 1)
		top = (uint64_t)bz->initrd_addr_max + 1;
	if (len > top || ((top - len) & ~0xfffull) < kernel_end ||
	    !vmm_guest_ptr(vm, (top - len) & ~0xfffull, len)) {
		free(buf);
		return vmm_set_error(vm, -ENOSPC,
				     "initrd %s (%zu bytes) does not fit in guest memory above the kernel",
				     path, len);
	}
	addr = (top - len) & ~0xfffull;
	memcpy(vmm_guest_ptr(vm, addr, len), buf, len);
	free(buf);
	put32(bp + HDR_RAMDISK_IMAGE, (uint32_t)addr);
	put32(bp + HDR_RAMDISK_SIZE, (uint32_t)len);
	return 0;
}

/* A whole word of the command line, as the kernel's option parser sees it. */
static bool cmdline_has(const char *cmdline, const char *word, bool prefix)
{
	size_t n = strlen(word);
	const char *p = cmdline;

	while ((p = strstr(p, word))) {
		bool start = p == cmdline || isspace((unsigned char)p[-1]);
		char end = p[n];

		if (start && (prefix || isspace((unsigned char)end) || end == 0))
			return true;
		p += n;
	}
	return false;
}

/*
 * Boots the decompressed kernel from the cache, doing what the kernel's
 * own decompressor would have done: a random 2 MiB aligned physical
 * address in low RAM (the kernel relocates itself physically), a random
 * virtual offset applied through the relocation tables, KASLR_FLAG in
 * boot_params; "nokaslr" keeps both at the link-time addresses, and
 * "mem="/"memmap=" keep the physical address at 16 MiB.  Entry is the
 * kernel's startup_64 with the same long-mode state and boot_params.
 */
static int load_extracted(struct vmm_vm *vm, const struct vmm_boot *boot,
			  const struct bzimage_info *bz, uint8_t *bp,
			  const struct vmlinux_info *vi, const uint8_t *data)
{
	const char *cmdline = boot->cmdline ? boot->cmdline : "";
	uint64_t align = bz->kernel_alignment, lo, hi, phys, vdelta = 0;
	uint64_t rnd[2] = { 0, 0 }, initrd;
	/* As the decompressor: only a relocatable kernel with tables moves. */
	bool kaslr = !cmdline_has(cmdline, "nokaslr", false) &&
		     vi->nr_tables && bz->relocatable;
	uint8_t *image;
	unsigned int i;
	int r;

	if (align < 0x200000 || (align & (align - 1)))
		align = 0x200000;
	lo = (vi->base + align - 1) & ~(align - 1);
	initrd = 0;
	memcpy(&initrd, bp + HDR_RAMDISK_IMAGE, 4);
	hi = initrd ? initrd : vm->low_size;
	if (lo + vi->span > hi)
		return vmm_set_error(vm, -ENOSPC,
				     "kernel %s: needs %llu MiB of memory below the initrd",
				     boot->kernel,
				     (unsigned long long)(vi->span >> 20) + 1);
	if (kaslr && getrandom(rnd, sizeof(rnd), GRND_NONBLOCK) != sizeof(rnd))
		rnd[0] = rnd[1] = 0;
	phys = lo;
	if (kaslr && !cmdline_has(cmdline, "mem=", true) &&
	    !cmdline_has(cmdline, "memmap=", true))
		phys += (rnd[0] % ((hi - vi->span - lo) / align + 1)) * align;
	if (kaslr)
		vdelta = vmlinux_virt_delta(vi, align, rnd[1]);

	image = vmm_guest_ptr(vm, phys, vi->span);
	if (!image)
		return vmm_set_error(vm, -ENOSPC, "kernel %s: not in RAM",
				     boot->kernel);
	for (i = 0; i < vi->nr_segs; i++) {
		const struct vmlinux_seg *s = &vi->seg[i];
		uint8_t *dst = image + (s->paddr - vi->base);

		memcpy(dst, data + s->offset, s->filesz);
		memset(dst + s->filesz, 0, s->memsz - s->filesz);
	}
	r = vmlinux_relocate(image, vi, vdelta);
	if (r)
		return vmm_set_error(vm, r, "kernel %s: cached kernel: relocation failed",
				     boot->kernel);
	if (kaslr)
		bp[HDR_LOADFLAGS] |= LOADFLAG_KASLR;
	snprintf(vm->boot_note, sizeof(vm->boot_note),
		 "kernel %s: from the kernel cache, at 0x%llx, text +0x%llx%s",
		 boot->kernel, (unsigned long long)phys,
		 (unsigned long long)vdelta, kaslr ? "" : " (nokaslr)");
	return vmm_x86_enter_long_mode(&vm->vcpus[0], phys + vi->entry,
				       BOOT_PARAMS);
}

/*
 * Looks the bzImage up in the kernel cache and boots it from there
 * (returns 0), or returns -ENOENT to boot it the normal way, having
 * started a filler for next time where it can.
 */
static int try_cache(struct vmm_vm *vm, const struct vmm_boot *boot,
		     const struct bzimage_info *bz, uint8_t *bp,
		     const uint8_t *img, size_t len)
{
	const uint8_t *pm = img + bz->setup_size;
	const char *dir = boot->kernel_cache;
	struct kcache_key key;
	struct vmlinux_info vi;
	uint32_t off, plen;
	uint8_t *data;
	char why[128], dir_why[512];
	size_t dlen;
	int r;

	memcpy(&off, img + HDR_PAYLOAD_OFFSET, 4);
	memcpy(&plen, img + HDR_PAYLOAD_LENGTH, 4);
	if (off > bz->kernel_size || plen > bz->kernel_size - off ||
	    !kcache_payload_supported(pm + off, plen)) {
		snprintf(vm->boot_note, sizeof(vm->boot_note),
			 "kernel %s: decompressed by the guest (kernel cache: payload not gzip, xz or zstd)",
			 boot->kernel);
		return -ENOENT;
	}
	/*
	 * A directory someone else could write would let them choose the
	 * kernel: refused, loudly (a quiet fallback would hide the attack).
	 */
	r = kcache_dir_open(dir, dir_why, sizeof(dir_why));
	if (r < 0) {
		fprintf(stderr, "libvmm: kernel cache not used, booting without it: %s\n",
			dir_why);
		snprintf(vm->boot_note, sizeof(vm->boot_note),
			 "kernel %s: decompressed by the guest (kernel cache %s refused: %s)",
			 boot->kernel, dir, strerror(-r));
		return -ENOENT;
	}
	close(r);
	kcache_key(img, len, &key);
	r = kcache_read(dir, &key, &data, &dlen);
	if (!r) {
		r = vmlinux_parse(data, dlen, &vi, why, sizeof(why));
		if (!r && vi.base != bz->pref_address)
			r = -ENOEXEC;
		if (!r)
			r = load_extracted(vm, boot, bz, bp, &vi, data);
		free(data);
		if (r != -ENOEXEC && r != -EINVAL)
			return r;
	}
	switch (r) {
	case -ENOENT:
	case -ENOEXEC:
	case -EINVAL:
		/* Missing or unusable: boot the normal way, fill for next time. */
		kcache_fill_async(dir, &key, pm + off, plen);
		snprintf(vm->boot_note, sizeof(vm->boot_note),
			 "kernel %s: decompressed by the guest; %s the kernel cache in %s",
			 boot->kernel, r == -ENOENT ? "filling" : "refilling a bad entry of",
			 dir);
		break;
	case -EOPNOTSUPP:
		snprintf(vm->boot_note, sizeof(vm->boot_note),
			 "kernel %s: decompressed by the guest (the kernel cache in %s found it cannot be booted directly)",
			 boot->kernel, dir);
		break;
	default:
		snprintf(vm->boot_note, sizeof(vm->boot_note),
			 "kernel %s: decompressed by the guest (kernel cache %s: %s)",
			 boot->kernel, dir, strerror(-r));
		break;
	}
	return -ENOENT;
}

static int load_bzimage(struct vmm_vm *vm, const struct vmm_boot *boot,
			const uint8_t *img, size_t len)
{
	const char *cmdline = boot->cmdline ? boot->cmdline : "";
	struct bzimage_info bz;
	uint64_t load, end, align, rsdp = 0;
	size_t cmdlen = strlen(cmdline);
	uint8_t *bp;
	char why[128];
	int r;

	r = bzimage_parse(img, len, &bz, why, sizeof(why));
	if (r)
		return vmm_set_error(vm, r, "kernel %s: %s", boot->kernel, why);
	if (!vm->caps.irqchip)
		return vmm_set_error(vm, -ENOTSUP,
				     "kernel %s: Linux needs interrupt controllers and timers, which the %s backend does not provide yet",
				     boot->kernel, vm->ops->name);

	/*
	 * Where the kernel wants to run, else the lowest aligned address.
	 * pref_address is the file's: near 2^64, pref_address + init_size
	 * wraps.
	 */
	align = bz.kernel_alignment ? bz.kernel_alignment : 0x200000;
	load = bz.pref_address;
	if (load < BOOT_KERNEL_MIN ||
	    __builtin_add_overflow(load, bz.init_size, &end) ||
	    end > vm->low_size) {
		if (!bz.relocatable)
			return vmm_set_error(vm, -ENOSPC,
					     "kernel %s: not relocatable and needs %u bytes at 0x%llx",
					     boot->kernel, bz.init_size,
					     (unsigned long long)bz.pref_address);
		load = (BOOT_KERNEL_MIN + align - 1) & ~(align - 1);
	}
	if (__builtin_add_overflow(load, bz.init_size, &end) ||
	    end > vm->low_size || !vmm_guest_ptr(vm, load, bz.init_size))
		return vmm_set_error(vm, -ENOSPC,
				     "kernel %s: needs %u MiB of memory to decompress",
				     boot->kernel, bz.init_size >> 20);

	if (cmdlen > bz.cmdline_size || cmdlen >= BOOT_CMDLINE_MAX)
		return vmm_set_error(vm, -E2BIG,
				     "command line: %zu bytes, the kernel takes at most %u",
				     cmdlen, bz.cmdline_size);
	memcpy(vmm_guest_ptr(vm, BOOT_CMDLINE, cmdlen + 1), cmdline, cmdlen + 1);

	bp = vmm_guest_ptr(vm, BOOT_PARAMS, BP_SIZE);
	memset(bp, 0, BP_SIZE);
	memcpy(bp + BP_HDR, img + BP_HDR, bz.header_end - BP_HDR);
	bp[HDR_TYPE_OF_LOADER] = 0xff;
	bp[HDR_LOADFLAGS] |= LOADFLAG_CAN_USE_HEAP;
	bp[HDR_HEAP_END_PTR] = 0x00;
	bp[HDR_HEAP_END_PTR + 1] = 0xfe;
	put32(bp + HDR_CMD_LINE_PTR, BOOT_CMDLINE);
	e820_fill(vm, bp);

	if (boot->initrd) {
		r = place_initrd(vm, bp, &bz, end, boot->initrd);
		if (r)
			return r;
	}
	if (vm->pc) {
		r = vmm_pc_write_firmware(vm, &rsdp);
		if (r)
			return r;
		if (bz.version >= 0x020e)
			put64(bp + BP_ACPI_RSDP_ADDR, rsdp);
	}
	if (boot->kernel_cache) {
		r = try_cache(vm, boot, &bz, bp, img, len);
		if (r != -ENOENT)
			return r;
	} else {
		snprintf(vm->boot_note, sizeof(vm->boot_note),
			 "kernel %s: decompressed by the guest", boot->kernel);
	}
	memcpy(vmm_guest_ptr(vm, load, bz.kernel_size), img + bz.setup_size,
	       bz.kernel_size);
	return vmm_x86_enter_long_mode(&vm->vcpus[0], load + BZIMAGE_ENTRY64_OFFSET,
				       BOOT_PARAMS);
}

int vmm_load_kernel(struct vmm_vm *vm, const struct vmm_boot *boot)
{
	uint8_t *img;
	size_t len;
	int r;

	if (vm->started)
		return vmm_set_error(vm, -EBUSY, "kernel: the VM is already running");
	if (!boot->kernel)
		return vmm_set_error(vm, -EINVAL, "kernel: no path given");
	r = vmm_read_file(vm, "kernel", boot->kernel, &img, &len);
	if (r)
		return r;
	r = vmm_load_kernel_image(vm, boot, img, len);
	free(img);
	return r;
}

int vmm_load_kernel_image(struct vmm_vm *vm, const struct vmm_boot *boot,
			  const uint8_t *img, size_t len)
{
	if ((len >= 4 && !memcmp(img, "\177ELF", 4)) || vmm_multiboot_aout(img, len))
		return vmm_load_elf(vm, boot, img, len);
	return load_bzimage(vm, boot, img, len);
}

int vmm_kernel_check(const char *path, const uint8_t *img, size_t len,
		     bool *is_linux, char *msg, size_t msg_len)
{
	struct bzimage_info bz;
	char why[128];
	int r;

	if (len >= 4 && !memcmp(img, "\177ELF", 4))
		return vmm_elf_check(path, img, len, is_linux, msg, msg_len);
	*is_linux = false;
	if (vmm_multiboot_aout(img, len))
		return 0;
	r = bzimage_parse(img, len, &bz, why, sizeof(why));
	if (r)
		snprintf(msg, msg_len, "kernel %s: %s", path, why);
	*is_linux = true;
	return r;
}
