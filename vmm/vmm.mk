# SPDX-License-Identifier: GPL-2.0
# libvmm core unit tests (no hypervisor needed).
# The kernel cache's SHA-256 comes from OpenSSL's libcrypto.
VMM_LDLIBS += -lcrypto
UNIT_TESTS += test_bzimage test_cli test_bus test_kcache
$(B)/unit/test_kcache: selftests/unit/test_kcache.c vmm/kcache.c vmm/vmlinux.c vmm/bzimage.c vmm/util.c
$(B)/unit/test_kcache: UNIT_LDLIBS += -llzma -lzstd -lz -lcrypto
$(B)/unit/test_bzimage: selftests/unit/test_bzimage.c vmm/bzimage.c vmm/util.c
$(B)/unit/test_cli: selftests/unit/test_cli.c vmm/cli.c vmm/cli_net.c
$(B)/unit/test_bus: selftests/unit/test_bus.c vmm/bus.c
UNIT_TESTS += test_elf test_backend_pick
$(B)/unit/test_elf: selftests/unit/test_elf.c vmm/elf.c vmm/boot.c vmm/x86_boot.c vmm/util.c \
	vmm/bzimage.c vmm/kcache.c vmm/vmlinux.c
$(B)/unit/test_elf: UNIT_LDLIBS += -llzma -lzstd -lz -lcrypto
$(B)/unit/test_backend_pick: selftests/unit/test_backend_pick.c vmm/backend_pick.c
UNIT_TESTS += test_vm_error test_run_console
$(B)/unit/test_run_console: selftests/unit/test_run_console.c vmm/run_console.c
$(B)/unit/test_run_console: UNIT_LDLIBS += -pthread
$(B)/unit/test_vm_error: selftests/unit/test_vm_error.c vmm/vm.c vmm/bus.c
$(B)/unit/test_vm_error: UNIT_LDLIBS += -pthread

# Test kernels for the ELF loaders (32-bit, no libc).  -N makes one flat
# RWX segment on purpose (the loaders place it as is), so ld is told not
# to warn about it.
GUEST_LD_FLAGS := -m elf_i386 -nostdlib -static -N --no-warn-rwx-segments \
	-T selftests/guests/guest.ld
GUEST_LD := ld $(GUEST_LD_FLAGS)
GUESTS := $(B)/selftests/guests/multiboot.elf $(B)/selftests/guests/pvh.elf \
	$(B)/selftests/guests/multiboot-f4.elf $(B)/selftests/guests/multiboot-low.elf \
	$(B)/selftests/guests/multiboot-aout.bin $(B)/selftests/guests/multiboot-key.elf
$(B)/selftests/guests/multiboot.elf: selftests/guests/bootinfo.S selftests/guests/guest.ld
	@mkdir -p $(@D)
	$(CC) -m32 -c -o $@.o $<
	$(GUEST_LD) -o $@ $@.o
# The same, reporting through a debug-exit device at 0xf4 (vhv-run --debug-exit 0xf4).
$(B)/selftests/guests/multiboot-f4.elf: selftests/guests/bootinfo.S selftests/guests/guest.ld
	@mkdir -p $(@D)
	$(CC) -m32 -DDEBUG_EXIT=0xf4 -c -o $@.o $<
	$(GUEST_LD) -o $@ $@.o
# The same, waiting for keys on COM1 before it stops (the console tests:
# a pty's or a socket's reader attaches, leaves, comes back and types).
$(B)/selftests/guests/multiboot-key.elf: selftests/guests/bootinfo.S selftests/guests/guest.ld
	@mkdir -p $(@D)
	$(CC) -m32 -DWAIT_KEY -c -o $@.o $<
	$(GUEST_LD) -o $@ $@.o
# The same, linked at 64 KiB: below 1 MiB, where GRUB and QEMU load it too
# (the symbol must be defined before the script reads it).
$(B)/selftests/guests/multiboot-low.elf: selftests/guests/bootinfo.S selftests/guests/guest.ld
	@mkdir -p $(@D)
	$(CC) -m32 -c -o $@.o $<
	ld --defsym LOAD_ADDR=0x10000 $(GUEST_LD_FLAGS) -o $@ $@.o
# A flat binary at 128 KiB that only the Multiboot a.out kludge places.
$(B)/selftests/guests/multiboot-aout.bin: selftests/guests/bootinfo.S selftests/guests/guest.ld
	@mkdir -p $(@D)
	$(CC) -m32 -DAOUT -c -o $@.o $<
	ld --defsym LOAD_ADDR=0x20000 $(GUEST_LD_FLAGS) -o $@.elf $@.o
	objcopy -O binary $@.elf $@
$(B)/selftests/guests/pvh.elf: selftests/guests/bootinfo.S selftests/guests/guest.ld
	@mkdir -p $(@D)
	$(CC) -m32 -DPVH -c -o $@.o $<
	$(GUEST_LD) -o $@ $@.o

# pkg-config: build/pkgconfig/libvmm.pc describes the build tree (what the
# example uses); `make install PREFIX=...` (in the Makefile) installs
# headers, library and a .pc for that prefix.
LIBVMM_VERSION := $(shell awk '/define LIBVMM_VERSION_(MAJOR|MINOR|PATCH)/ { v = v sep $$3; sep = "." } END { print v }' vmm/libvmm.h)
PREFIX ?= /usr/local

$(B)/pkgconfig/libvmm.pc: vmm/libvmm.pc.in vmm/libvmm.h
	@mkdir -p $(@D) $(B)/include/vmm $(B)/include/uapi $(B)/lib
	cp vmm/libvmm.h vmm/device.h $(B)/include/vmm/
	cp uapi/vhv.h $(B)/include/uapi/
	ln -sf ../libvmm.a $(B)/lib/libvmm.a
	sed -e 's|@PREFIX@|$(CURDIR)/$(B)|' -e 's|@INCLUDEDIR@|$${prefix}/include|' \
		-e 's|@LIBDIR@|$${prefix}/lib|' -e 's|@VERSION@|$(LIBVMM_VERSION)|' $< >$@

# The API example, built only through pkg-config as an outside user would.
$(B)/tools/vmm-example: tools/vmm-example.c $(B)/libvmm.a $(B)/pkgconfig/libvmm.pc
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARNINGS) $(CFLAGS) -o $@ $< \
		$$(PKG_CONFIG_PATH=$(B)/pkgconfig pkg-config --cflags --libs --static libvmm)

# The sandbox selftest links libvmm like any embedder.
GUESTS += $(B)/selftests/sandbox_test
$(B)/selftests/sandbox_test: $(B)/selftests/sandbox_test.o $(B)/libvmm.a
	$(CC) $(CFLAGS) -o $@ $^ $(VMM_LDLIBS)

# A static guest tool for the I/O benchmark (tools/bench-io).
GUESTS += $(B)/selftests/guests/randread
$(B)/selftests/guests/randread: selftests/guests/randread.c
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARNINGS) -O2 -static -D_GNU_SOURCE -o $@ $<
