# SPDX-License-Identifier: GPL-2.0
# libFuzzer harnesses for the kernel loaders (selftests/fuzz/): every size
# and address in a kernel image is hostile.  `make fuzz` builds them;
# `make fuzz-run` replays the corpus in the tree and fuzzes each harness
# for FUZZ_SECONDS (default 20), as `make check` does.
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=gnu11 $(WARNINGS) -g -O1 -D_GNU_SOURCE -I. \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_HARNESSES := fuzz_bzimage fuzz_elf fuzz_vmlinux
FUZZ_LOADER := selftests/fuzz/fuzz_vm.c selftests/fuzz/fuzz_vm.h vmm/boot.c \
	vmm/elf.c vmm/bzimage.c vmm/x86_boot.c vmm/util.c vmm/kcache.c vmm/vmlinux.c

.PHONY: fuzz fuzz-run
fuzz: $(addprefix $(B)/fuzz/,$(FUZZ_HARNESSES))

$(B)/fuzz/%: selftests/fuzz/%.c $(FUZZ_LOADER) vmm/fuzz.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(VMM_LDLIBS)

fuzz-run: fuzz
	@selftests/fuzz/run $(B) $(FUZZ_HARNESSES)
