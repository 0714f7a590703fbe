# SPDX-License-Identifier: GPL-2.0
# libFuzzer harnesses (selftests/fuzz/): the kernel loaders, where every
# size and address in a kernel image is hostile, and the module's decoder,
# emulator, page walker and interrupt controllers, which run in the host
# kernel on what a guest wrote, and the PCI bus and virtio devices.
# `make fuzz-build` builds them; `make fuzz-run` replays the corpus in the
# tree and fuzzes each harness for FUZZ_SECONDS (default 20), as `make
# check` does; `make fuzz` (tools/fuzz) runs every fuzzer long.
FUZZ_CC ?= clang
FUZZ_CFLAGS := -std=gnu11 $(WARNINGS) -g -O1 -D_GNU_SOURCE -I. \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_HARNESSES := fuzz_bzimage fuzz_elf fuzz_vmlinux fuzz_decode fuzz_walk fuzz_irqchip \
	fuzz_virtio
FUZZ_LOADER := selftests/fuzz/fuzz_vm.c selftests/fuzz/fuzz_vm.h vmm/boot.c \
	vmm/elf.c vmm/bzimage.c vmm/x86_boot.c vmm/util.c vmm/kcache.c vmm/vmlinux.c

# What each harness links besides its own file: the loaders' VM, the
# module's portable code (kmod/x86/, kmod/irq/) that a guest drives in the
# host kernel, or the devices with the unit tests' fake VM.
FUZZ_SRCS_fuzz_bzimage := $(FUZZ_LOADER)
FUZZ_SRCS_fuzz_elf := $(FUZZ_LOADER)
FUZZ_SRCS_fuzz_vmlinux := $(FUZZ_LOADER)
FUZZ_SRCS_fuzz_decode := selftests/fuzz/fuzz_input.h kmod/x86/decode.c \
	kmod/x86/decode.h kmod/x86/emulate.c kmod/x86/emulate.h
FUZZ_SRCS_fuzz_walk := selftests/fuzz/fuzz_input.h kmod/x86/walk.c kmod/x86/walk.h \
	kmod/x86/arch_bits.h
FUZZ_SRCS_fuzz_irqchip := selftests/fuzz/fuzz_input.h kmod/irq/msg.h \
	$(foreach m,hpet ioapic lapic pic pit,kmod/irq/$(m).c kmod/irq/$(m).h)
FUZZ_SRCS_fuzz_virtio := selftests/fuzz/fuzz_input.h selftests/unit/fake_vmm.c \
	selftests/unit/fake_vmm.h selftests/unit/virtio_drv.c selftests/unit/virtio_drv.h \
	selftests/fuzz/shim/cmocka.h devices/pci.c devices/virtio_pci.c \
	devices/virtqueue.c devices/virtio_rng.c devices/virtio_blk.c devices/virtio_net.c
# The unit tests' fake VM and driver, with cmocka's checks made aborts.
$(B)/fuzz/fuzz_virtio: FUZZ_CFLAGS += -Iselftests/fuzz/shim

.PHONY: fuzz fuzz-build fuzz-run
fuzz-build: $(addprefix $(B)/fuzz/,$(FUZZ_HARNESSES))

.SECONDEXPANSION:
$(B)/fuzz/%: selftests/fuzz/%.c $$(FUZZ_SRCS_%) vmm/fuzz.mk
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(VMM_LDLIBS)

fuzz-run: fuzz-build
	@selftests/fuzz/run $(B) $(FUZZ_HARNESSES)

# Every fuzzer, as long as asked: the libFuzzer harnesses for FUZZ_SECONDS
# each (600), the ABI fuzzer in the nested runner for ABI_FUZZ_SECONDS
# (1800) on each kernel.
fuzz: deps
	@$(MAKE) --no-print-directory all modules-all fuzz-build
	@FUZZ_HARNESSES="$(FUZZ_HARNESSES)" tools/fuzz
