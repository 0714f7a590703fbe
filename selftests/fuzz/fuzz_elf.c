// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the ELF loaders (vmm/elf.c: program headers, PVH note,
 * Multiboot header, segments and the module in guest memory).  Inputs that
 * do not start with the ELF magic get it, so every run reaches elf.c.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "selftests/fuzz/fuzz_vm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *img;

	if (size < 4 || memcmp(data, "\177ELF", 4)) {
		img = malloc(size + 4);
		if (!img)
			return 0;
		memcpy(img, "\177ELF", 4);
		memcpy(img + 4, data, size);
		fuzz_load(img, size + 4, size & 1);
		free(img);
		return 0;
	}
	fuzz_load(data, size, size & 1);
	return 0;
}
