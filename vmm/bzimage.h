/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Linux x86 boot protocol: bzImage header parsing and the boot_params
 * ("zero page") fields libvmm fills.  Offsets are the protocol's.
 */
#ifndef VMM_BZIMAGE_H
#define VMM_BZIMAGE_H

#include <stddef.h>
#include <stdint.h>

/* Offsets in the image file and in boot_params (the header is copied). */
#define BP_ACPI_RSDP_ADDR	0x070	/* u64, protocol 2.14 */
#define BP_EXT_RAMDISK_IMAGE	0x0c0	/* u32 */
#define BP_EXT_RAMDISK_SIZE	0x0c4	/* u32 */
#define BP_EXT_CMD_LINE_PTR	0x0c8	/* u32 */
#define BP_E820_ENTRIES		0x1e8	/* u8 */
#define BP_HDR			0x1f1	/* start of the setup header */
#define HDR_SETUP_SECTS		0x1f1	/* u8 */
#define HDR_SYSSIZE		0x1f4	/* u32, in 16-byte units */
#define HDR_BOOT_FLAG		0x1fe	/* u16 0xaa55 */
#define HDR_JUMP		0x200	/* jump; byte 0x201 = header length - 0x202 */
#define HDR_MAGIC		0x202	/* "HdrS" */
#define HDR_VERSION		0x206	/* u16 */
#define HDR_TYPE_OF_LOADER	0x210	/* u8 */
#define HDR_LOADFLAGS		0x211	/* u8 */
#define HDR_RAMDISK_IMAGE	0x218	/* u32 */
#define HDR_RAMDISK_SIZE	0x21c	/* u32 */
#define HDR_HEAP_END_PTR	0x224	/* u16 */
#define HDR_CMD_LINE_PTR	0x228	/* u32 */
#define HDR_INITRD_ADDR_MAX	0x22c	/* u32 */
#define HDR_KERNEL_ALIGNMENT	0x230	/* u32 */
#define HDR_RELOCATABLE		0x234	/* u8 */
#define HDR_XLOADFLAGS		0x236	/* u16 */
#define HDR_CMDLINE_SIZE	0x238	/* u32 */
#define HDR_PAYLOAD_OFFSET	0x248	/* u32, from the protected-mode kernel */
#define HDR_PAYLOAD_LENGTH	0x24c	/* u32 */
#define HDR_PREF_ADDRESS	0x258	/* u64 */
#define HDR_INIT_SIZE		0x260	/* u32 */
#define BP_E820_TABLE		0x2d0	/* 128 entries of 20 bytes */
#define BP_SIZE			0x1000

#define E820_MAX_ENTRIES	128
#define E820_RAM		1
#define E820_RESERVED		2

#define LOADFLAG_LOADED_HIGH	0x01
#define LOADFLAG_KASLR		0x02	/* set by whoever randomized the kernel */
#define LOADFLAG_CAN_USE_HEAP	0x80
#define XLF_KERNEL_64		0x01
#define XLF_CAN_BE_LOADED_ABOVE_4G 0x02

/* The 64-bit entry point is this far into the protected-mode kernel. */
#define BZIMAGE_ENTRY64_OFFSET	0x200
#define BZIMAGE_MIN_VERSION	0x020c	/* 2.12: xloadflags */

struct bzimage_info {
	uint16_t version;
	size_t setup_size;		/* real-mode part, incl. boot sector */
	size_t kernel_size;		/* protected-mode part, as in the file */
	size_t header_end;		/* bytes of setup header to copy */
	uint64_t pref_address;
	uint32_t init_size;		/* memory the kernel needs at its address */
	uint32_t kernel_alignment;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;		/* max length without the NUL */
	uint16_t xloadflags;
	uint8_t relocatable;
};

/*
 * Checks a bzImage of len bytes.  On failure returns -EINVAL (not a
 * bzImage at all), -ENOEXEC (a bzImage libvmm cannot boot: too old, no
 * 64-bit entry) or -EFBIG/-ENODATA (truncated or inconsistent), with `why`
 * naming the check that failed.
 */
int bzimage_parse(const uint8_t *img, size_t len, struct bzimage_info *info,
		  char *why, size_t why_len);

#endif /* VMM_BZIMAGE_H */
