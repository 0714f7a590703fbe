// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the bzImage loader (vmm/bzimage.c header checks, then
 * vmm/boot.c placement of kernel, initrd, command line and boot_params in
 * guest memory).  The input's length parity decides whether an initrd is
 * placed too.
 */
#include <stddef.h>
#include <stdint.h>

#include "selftests/fuzz/fuzz_vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The ELF magic goes to the other harness's loader. */
	if (size >= 4 && data[0] == 0x7f && data[1] == 'E' && data[2] == 'L' &&
	    data[3] == 'F')
		return -1;
	fuzz_load(data, size, size & 1);
	return 0;
}
