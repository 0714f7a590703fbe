/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A VM for the loader fuzzers: real guest memory and the real bounds
 * check (vmm/util.c), no hypervisor; vCPU state writes are dropped.
 */
#ifndef SELFTESTS_FUZZ_VM_H
#define SELFTESTS_FUZZ_VM_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/boot.h"
#include "vmm/internal.h"

/* The VM, made once: 32 MiB at 0 and 2 MiB at 4 GiB, an irqchip. */
struct vmm_vm *fuzz_vm(void);

/*
 * Loads img as vmm_load_kernel() would, with an initrd (a 64 KiB file)
 * when with_initrd.  Returns what the loader returned.
 */
int fuzz_load(const uint8_t *img, size_t len, int with_initrd);

#endif
