/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel loaders and the x86 entry states they set up. */
#ifndef VMM_BOOT_H
#define VMM_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/libvmm.h"

struct vmm_vcpu;

/* Reads a whole regular file (at most 512 MiB); message names `what`. */
int vmm_read_file(struct vmm_vm *vm, const char *what, const char *path,
		  uint8_t **buf, size_t *len);
/* The same without a VM: the message goes into msg. */
int vmm_read_file_msg(const char *what, const char *path, uint8_t **buf,
		      size_t *len, char *msg, size_t msg_len);

/*
 * What vmm_backend_pick() needs to know of a kernel image before a VM
 * exists: whether it is one the loaders take (else -errno, msg as
 * vmm_load_kernel() would say it) and whether it is Linux, which needs
 * interrupt controllers and timers in the hypervisor (a bzImage; an ELF
 * with Linux's notes).
 */
int vmm_kernel_check(const char *path, const uint8_t *img, size_t len,
		     bool *is_linux, char *msg, size_t msg_len);
int vmm_elf_check(const char *path, const uint8_t *img, size_t len,
		  bool *is_linux, char *msg, size_t msg_len);

/*
 * vmm_load_kernel() on an image already in memory (what the loader
 * fuzzers drive: selftests/fuzz/).  Every size and address in img is
 * hostile: arithmetic on them is overflow-checked.
 */
int vmm_load_kernel_image(struct vmm_vm *vm, const struct vmm_boot *boot,
			  const uint8_t *img, size_t len);

/*
 * ELF kernels (PVH entry note or Multiboot v1 header), and Multiboot
 * kernels in any format whose header has the a.out kludge.
 */
int vmm_load_elf(struct vmm_vm *vm, const struct vmm_boot *boot,
		 const uint8_t *img, size_t len);
/* Whether img has a Multiboot header with the a.out kludge (flag 16). */
bool vmm_multiboot_aout(const uint8_t *img, size_t len);

/*
 * 64-bit entry: identity-mapped 4 GiB with 2 MiB pages, flat 64-bit code
 * and data segments (selectors 0x10 and 0x18), RSI = rsi.
 */
int vmm_x86_enter_long_mode(struct vmm_vcpu *vcpu, uint64_t rip, uint64_t rsi);

/*
 * 32-bit flat protected mode, paging off (PVH and Multiboot entries), with
 * the boot GDT (40 bytes) written at gdt.
 */
int vmm_x86_enter_protected_mode(struct vmm_vcpu *vcpu, uint64_t gdt,
				 uint64_t rip, uint32_t eax, uint32_t ebx);

#endif
