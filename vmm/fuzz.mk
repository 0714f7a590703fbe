# SPDX-License-Identifier: GPL-2.0
# libFuzzer harnesses (selftests/fuzz/): the kernel loaders, where every
# size and address in a kernel image is hostile, and the module's decoder,
# emulator, page walker and interrupt controllers, which run in the host
# kernel on what a guest wrote.
# `make fuzz` builds them; `make fuzz-run` replays the corpus in the tree
# and fuzzes each harness for FUZZ_SECONDS (default 20), as `make check`
# does.
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=gnu11 $(WARNINGS) -g -O1 -D_GNU_SOURCE -I. \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_HARNESSES := fuzz_bzimage fuzz_elf fuzz_vmlinux fuzz_decode fuzz_walk fuzz_irqchip
FUZZ_LOADER := selftests/fuzz/fuzz_vm.c selftests/fuzz/fuzz_vm.h vmm/boot.c \
	vmm/elf.c vmm/bzimage.c vmm/x86_boot.c vmm/util.c vmm/kcache.c vmm/vmlinux.c

# What each harness links besides its own file: the loaders' VM, or the
# module's portable code (kmod/x86/) that a guest drives in the host kernel.
FUZZ_SRCS_fuzz_bzimage := $(FUZZ_LOADER)
FUZZ_SRCS_fuzz_elf := $(FUZZ_LOADER)
FUZZ_SRCS_fuzz_vmlinux := $(FUZZ_LOADER)
FUZZ_SRCS_fuzz_decode := kmod/x86/decode.c kmod/x86/decode.h kmod/x86/emulate.c \
	kmod/x86/emulate.h
FUZZ_SRCS_fuzz_walk := kmod/x86/walk.c kmod/x86/walk.h kmod/x86/arch_bits.h
FUZZ_SRCS_fuzz_irqchip := $(foreach m,hpet ioapic lapic pic pit,kmod/irq/$(m).c kmod/irq/$(m).h) \
	kmod/irq/msg.h

.PHONY: fuzz fuzz-run
fuzz: $(addprefix $(B)/fuzz/,$(FUZZ_HARNESSES))

.SECONDEXPANSION:
$(B)/fuzz/%: selftests/fuzz/%.c $$(FUZZ_SRCS_%) vmm/fuzz.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(VMM_LDLIBS)

fuzz-run: fuzz
	@selftests/fuzz/run $(B) $(FUZZ_HARNESSES)
