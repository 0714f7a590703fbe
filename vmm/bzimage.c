// SPDX-License-Identifier: GPL-2.0
/* bzImage header checks (Linux x86 boot protocol), with no VM needed. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/bzimage.h"
#include "vmm/internal.h"

static uint32_t le(const uint8_t *p, unsigned int n)
{
	uint32_t v = 0;

	while (n--)
		v = (v << 8) | p[n];
	return v;
}

int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *info,
		  char *why, size_t why_len)
{
	unsigned int sects;
	uint64_t syssize;

	memset(info, 0, sizeof(*info));
	if (len < HDR_INIT_SIZE + 4)
		return vmm_fail(why, why_len, -EINVAL,
				"too short to hold a boot protocol header");
	if (le(img + HDR_BOOT_FLAG, 2) != 0xaa55)
		return vmm_fail(why, why_len, -EINVAL,
				"no boot sector signature 0xaa55 at 0x1fe");
	if (memcmp(img + HDR_MAGIC, "HdrS", 4))
		return vmm_fail(why, why_len, -EINVAL,
				"no \"HdrS\" boot protocol magic at 0x202");
	info->version = le(img + HDR_VERSION, 2);
	if (info->version < BZIMAGE_MIN_VERSION) {
		snprintf(why, why_len,
			 "boot protocol %u.%02u is too old (need 2.12 or later)",
			 info->version >> 8, info->version & 0xff);
		return -ENOEXEC;
	}
	info->xloadflags = le(img + HDR_XLOADFLAGS, 2);
	if (!(info->xloadflags & XLF_KERNEL_64))
		return vmm_fail(why, why_len, -ENOEXEC,
				"no 64-bit entry point (XLF_KERNEL_64 clear): not an x86-64 kernel");
	if (!(img[HDR_LOADFLAGS] & LOADFLAG_LOADED_HIGH))
		return vmm_fail(why, why_len, -ENOEXEC,
				"a zImage (LOADED_HIGH clear) cannot be booted");

	sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	info->setup_size = (size_t)(sects + 1) * 512;
	info->header_end = 0x202 + img[HDR_JUMP + 1];
	if (info->header_end > info->setup_size ||
	    info->header_end < HDR_INIT_SIZE + 4)
		return vmm_fail(why, why_len, -ENODATA,
				"setup header length is inconsistent with setup_sects");
	if (info->setup_size >= len)
		return vmm_fail(why, why_len, -EFBIG,
				"truncated: the file ends inside the setup code");
	syssize = (uint64_t)le(img + HDR_SYSSIZE, 4) * 16;
	info->kernel_size = len - info->setup_size;
	if (!syssize || syssize > info->kernel_size)
		return vmm_fail(why, why_len, -EFBIG,
				"truncated: the kernel is shorter than the header's syssize");

	info->pref_address = (uint64_t)le(img + HDR_PREF_ADDRESS + 4, 4) << 32 |
			     le(img + HDR_PREF_ADDRESS, 4);
	info->init_size = le(img + HDR_INIT_SIZE, 4);
	info->kernel_alignment = le(img + HDR_KERNEL_ALIGNMENT, 4);
	info->relocatable = img[HDR_RELOCATABLE];
	info->initrd_addr_max = le(img + HDR_INITRD_ADDR_MAX, 4);
	info->cmdline_size = le(img + HDR_CMDLINE_SIZE, 4);
	if (info->init_size < info->kernel_size)
		return vmm_fail(why, why_len, -ENODATA,
				"init_size is smaller than the kernel itself");
	if (info->kernel_alignment & (info->kernel_alignment - 1))
		return vmm_fail(why, why_len, -ENODATA,
				"kernel_alignment is not a power of two");
	return 0;
}
