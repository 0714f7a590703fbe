# SPDX-License-Identifier: GPL-2.0
#
#   make            build userspace and vhv.ko (for KDIR, see below)
#   make check      install what is missing, build, run every test
#   make run        install what is missing, build, run vhv in the nested runner
#   make modules-all   build vhv.ko for every installed kernel header set
#   make install       vhv-run, libvmm, man pages, completion, udev rule
#                      (PREFIX, DESTDIR; make uninstall removes them)
#   make dkms-install  vhv.ko's source to /usr/src, built by DKMS for every
#                      kernel (as root; make dkms-uninstall)
#   dpkg-buildpackage -us -uc -b   the Debian packages (debian/)
#
# KDIR defaults to the running kernel's build tree when it exists, else the
# newest installed linux-headers; vhv.ko lands in build/kmod/<release>/.

B := build
KVERS := $(shell tools/kernels)
KVER ?= $(shell tools/kernels --default)
KDIR ?= /lib/modules/$(KVER)/build
KREL := $(shell cat $(KDIR)/include/config/kernel.release 2>/dev/null || echo $(KVER))

# The project's one version, defined here only: vhv-run --version, modinfo
# vhv and the packages say it.  The commit is tools/version's (git's, from
# this tree only, or the VERSION file of an exported copy); packaging may
# pass VHV_COMMIT=... itself.
VHV_VERSION := 0.1.0
VHV_COMMIT ?= $(shell tools/version --commit 2>/dev/null || echo unknown)

CC ?= cc
CXX ?= c++
CFLAGS ?= -O2 -g
WARNINGS := -Wall -Wextra -Wmissing-prototypes -Wstrict-prototypes -Werror
ALL_CFLAGS := -std=gnu11 $(WARNINGS) $(CFLAGS) -D_GNU_SOURCE -I. -MMD -MP
# Unit tests run the module's portable code under the sanitizers.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all

KMOD_SRCS := Kbuild $(shell find kmod uapi -name '*.[chS]')

SELFTESTS := abi_test lifecycle_test run_test io_test mm_test events_test hostile_test irq_test \
	abi_fuzz \
	hpet_test clock_test state_test eventfd_test coexist_test unload_test
SELFTEST_LIB := $(B)/selftests/lib/vhv_test.o $(B)/selftests/lib/guest_vm.o
UNIT_TESTS := test_state_check test_memslot_table test_decode test_emulate test_walk \
	test_ioapic test_pic test_pit test_lapic test_ioeventfd_table test_hpet \
	test_vmx_caps test_vmcs test_haltpoll test_vmx_event test_cr test_dr6
# The fake of vmm/device.h that every device unit test links.
FAKE_VMM := selftests/unit/fake_vmm.c selftests/unit/fake_vmm.h

# libvmm: vmm/ (core, backends, loaders), devices/, firmware/.  Each area may
# add a fragment (vmm/*.mk, devices/*.mk, firmware/*.mk) that appends to
# UNIT_TESTS, LIBVMM_EXTRA_OBJS or VMM_LDLIBS and names its unit tests' sources.
LIBVMM_MAIN := vmm/vhv-run.c
LIBVMM_SRCS := $(filter-out $(LIBVMM_MAIN),$(wildcard vmm/*.c devices/*.c firmware/*.c))
LIBVMM_EXTRA_OBJS :=
# liburing statically: Debian's liburing 2.3 .so does not export
# io_uring_register_restrictions/io_uring_enable_rings (liburing issue #773,
# fixed in 2.4); the archive has them.
URING_LIBS := -l:liburing.a
VMM_LDLIBS := $(URING_LIBS) -lseccomp -llzma -lzstd -lz -pthread
-include $(wildcard vmm/*.mk devices/*.mk firmware/*.mk)
LIBVMM_OBJS := $(patsubst %.c,$(B)/%.o,$(LIBVMM_SRCS)) $(LIBVMM_EXTRA_OBJS)

.PHONY: all module modules-all userspace selftests unit unit-run check run install \
	bench bench-vmx deps clean FORCE
.DEFAULT_GOAL := all

all: userspace module

deps:
	@tools/deps

# ---- vhv.ko ---------------------------------------------------------------

module: $(B)/kmod/$(KREL)/vhv.ko

$(B)/kmod/$(KREL)/vhv.ko: $(KMOD_SRCS) tools/build-kmod
	+tools/build-kmod $(KDIR) $(@D)

define kmod_for
$(B)/kmod/$(1)/vhv.ko: $(KMOD_SRCS) tools/build-kmod
	+tools/build-kmod /lib/modules/$(1)/build $$(@D)
endef
$(foreach v,$(filter-out $(KREL),$(KVERS)),$(eval $(call kmod_for,$(v))))

modules-all: $(foreach v,$(KVERS),$(B)/kmod/$(v)/vhv.ko)

# ---- userspace -------------------------------------------------------------

userspace: selftests unit $(B)/uapi-cxx.o $(B)/tools/vhv-probe $(B)/tools/bench-exits $(B)/tools/bench-irq \
	$(B)/tools/l1-stalls $(B)/tools/kvm-probe $(B)/tools/qemu-lme-wedge \
	$(B)/libvmm.a $(if $(wildcard $(LIBVMM_MAIN)),$(B)/vhv-run $(B)/tools/vmm-example) $(GUESTS)

$(B)/libvmm.a: $(LIBVMM_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(B)/vhv-run: $(B)/vmm/vhv-run.o $(B)/libvmm.a
	$(CC) $(CFLAGS) -o $@ $^ $(VMM_LDLIBS)

# Looked at on every make, rewritten only when the version or commit
# changed: a new commit rebuilds vhv-run, an unchanged tree nothing.
$(B)/version.h: FORCE
	@mkdir -p $(@D)
	@printf '#define VHV_VERSION "%s"\n#define VHV_COMMIT "%s"\n' \
		'$(VHV_VERSION)' '$(VHV_COMMIT)' >$@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
$(B)/vmm/vhv-run.o: $(B)/version.h
$(B)/vmm/vhv-run.o: ALL_CFLAGS += -I$(B)

$(B)/%.o: %.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

selftests: $(addprefix $(B)/selftests/,$(SELFTESTS))

# Guest code is C in the test programs: it runs without the C runtime (no
# stack protector canary at %fs:0x28, no calls into libc).
$(B)/selftests/%.o: ALL_CFLAGS += -fno-stack-protector -fno-builtin
# Guests taking interrupts on their own stack while C code runs: no red zone
# for the interrupt frame to overwrite.
$(B)/selftests/irq_test.o: ALL_CFLAGS += -mno-red-zone

$(addprefix $(B)/selftests/,$(SELFTESTS)): $(B)/selftests/%: $(B)/selftests/%.o $(SELFTEST_LIB)
	$(CC) $(CFLAGS) -pthread -o $@ $^

$(B)/tools/vhv-probe: $(B)/tools/vhv-probe.o
	$(CC) $(CFLAGS) -o $@ $^

$(B)/tools/l1-stalls: $(B)/tools/l1-stalls.o
	$(CC) $(CFLAGS) -o $@ $^

# The nested runner's test guest on /dev/kvm (tools/lib/kvm-probe.sh).
$(B)/tools/kvm-probe: $(B)/tools/kvm-probe.o
	$(CC) $(CFLAGS) -o $@ $^

# The proof that QEMU's SVM model, not vhv, wedges L1 on a guest with
# EFER.LME and paging off (README, the nested runner).
$(B)/tools/qemu-lme-wedge: $(B)/tools/qemu-lme-wedge.o
	$(CC) $(CFLAGS) -o $@ $^

$(B)/tools/bench-exits: $(B)/tools/bench-exits.o
	$(CC) $(CFLAGS) -o $@ $^

$(B)/tools/bench-irq: $(B)/tools/bench-irq.o
	$(CC) $(CFLAGS) -pthread -o $@ $^

unit: $(addprefix $(B)/unit/,$(UNIT_TESTS)) $(B)/unit/vmcs_width_mismatch.ok

$(B)/unit/test_state_check: selftests/unit/test_state_check.c kmod/x86/state_check.c
$(B)/unit/test_memslot_table: selftests/unit/test_memslot_table.c kmod/memslot_table.c
$(B)/unit/test_decode: selftests/unit/test_decode.c kmod/x86/decode.c
$(B)/unit/test_emulate: selftests/unit/test_emulate.c kmod/x86/emulate.c kmod/x86/decode.c
$(B)/unit/test_walk: selftests/unit/test_walk.c kmod/x86/walk.c
$(B)/unit/test_cr: selftests/unit/test_cr.c kmod/x86/cr.c
$(B)/unit/test_ioapic: selftests/unit/test_ioapic.c kmod/irq/ioapic.c
$(B)/unit/test_pic: selftests/unit/test_pic.c kmod/irq/pic.c
$(B)/unit/test_pit: selftests/unit/test_pit.c kmod/irq/pit.c
$(B)/unit/test_lapic: selftests/unit/test_lapic.c kmod/irq/lapic.c
$(B)/unit/test_ioeventfd_table: selftests/unit/test_ioeventfd_table.c kmod/ioeventfd_table.c
$(B)/unit/test_hpet: selftests/unit/test_hpet.c kmod/irq/hpet.c
$(B)/unit/test_haltpoll: selftests/unit/test_haltpoll.c kmod/haltpoll.c
$(B)/unit/test_dr6: selftests/unit/test_dr6.c kmod/x86/dr6.h
$(B)/unit/test_vmx_caps: selftests/unit/test_vmx_caps.c kmod/vmx/caps.c kmod/vmx/names.c \
	kmod/vmx/msr_switch.h
$(B)/unit/test_vmcs: selftests/unit/test_vmcs.c
$(B)/unit/test_vmx_event: selftests/unit/test_vmx_event.c kmod/vmx/event.c

# A VMCS field read or written with the accessor of another width must not
# compile: test_vmcs.c holds one such access per VMCS_WIDTH_MISMATCH case,
# and each must fail on the width check (its error names the check).
VMCS_MISMATCH_CASES := 1 2 3 4 5 6 7 8 9 10
$(B)/unit/vmcs_width_mismatch.ok: selftests/unit/test_vmcs.c kmod/vmx/vmcs.h kmod/portable.h
	@mkdir -p $(@D)
	@for n in $(VMCS_MISMATCH_CASES); do \
		if $(CC) -std=gnu11 $(WARNINGS) -D_GNU_SOURCE -I. -fsyntax-only \
			-DVMCS_WIDTH_MISMATCH=$$n $< 2>$@.log; then \
			echo "$<: VMCS_WIDTH_MISMATCH=$$n compiled: a wrong-width VMCS access went unnoticed" >&2; \
			exit 1; \
		fi; \
		if ! grep -q vmcs_field_width_mismatch $@.log; then \
			cat $@.log >&2; \
			echo "$<: VMCS_WIDTH_MISMATCH=$$n failed, but not on the width check" >&2; \
			exit 1; \
		fi; \
	done
	@rm -f $@.log
	@touch $@
$(B)/unit/%:
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $(filter %.c,$^) -lcmocka $(UNIT_LDLIBS)

# The ABI header must also compile as C++ (static_assert path).
$(B)/uapi-cxx.o: uapi/vhv.h
	@mkdir -p $(@D)
	echo '#include "uapi/vhv.h"' | $(CXX) -std=c++11 -Wall -Wextra -Werror -I. -x c++ -c -o $@ -

unit-run: unit
	@for t in $(UNIT_TESTS); do CMOCKA_MESSAGE_OUTPUT=TAP $(B)/unit/$$t || exit 1; done

# ---- version -----------------------------------------------------------------

# tools/version reads VHV_VERSION (above) and adds the git commit
# (0.1.0+g1234abc), for modinfo vhv and the packages.
# Rewritten only when tools/version's answer changes, so that a new commit
# rebuilds what carries the version and nothing else.
$(B)/version: FORCE
	@mkdir -p $(@D)
	@tools/version >$@.tmp
	@if cmp -s $@.tmp $@; then rm $@.tmp; else mv $@.tmp $@; fi
$(sort $(B)/kmod/$(KREL)/vhv.ko $(foreach v,$(KVERS),$(B)/kmod/$(v)/vhv.ko)): $(B)/version

FORCE:
.PHONY: FORCE

# ---- DKMS ------------------------------------------------------------------

# vhv.ko's source to /usr/src/vhv-$(VHV_VERSION), registered with DKMS, built
# and installed for every kernel with headers; DKMS rebuilds it for each new
# kernel.  As root.  DKMS_FLAGS go to each dkms call (--dkmstree DIR
# --sourcetree DIR --installtree DIR --no-depmod: the tests' scratch trees).
DKMS_FLAGS ?=
dkms-install:
	tools/dkms-tree install $(DKMS_FLAGS)

dkms-uninstall:
	tools/dkms-tree uninstall $(DKMS_FLAGS)

.PHONY: dkms-install dkms-uninstall

# ---- install, uninstall (the non-Debian path) -------------------------------

# make install [DESTDIR=...] [PREFIX=/usr/local]: vhv-run, libvmm's headers,
# static library and .pc, the man pages, bash completion and the udev rule
# (udev reads PREFIX/lib/udev/rules.d for /usr and /usr/local).  Each file
# once, as DEST|SOURCE|MODE: install and uninstall read the same list.
BINDIR ?= $(PREFIX)/bin
INCLUDEDIR ?= $(PREFIX)/include
LIBDIR ?= $(PREFIX)/lib
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UDEVRULESDIR ?= $(PREFIX)/lib/udev/rules.d
INSTALL_PC := $(B)/install/libvmm.pc
INSTALL_LIST = \
	$(BINDIR)/vhv-run|$(B)/vhv-run|755 \
	$(INCLUDEDIR)/vmm/libvmm.h|vmm/libvmm.h|644 \
	$(INCLUDEDIR)/vmm/device.h|vmm/device.h|644 \
	$(INCLUDEDIR)/uapi/vhv.h|uapi/vhv.h|644 \
	$(LIBDIR)/libvmm.a|$(B)/libvmm.a|644 \
	$(LIBDIR)/pkgconfig/libvmm.pc|$(INSTALL_PC)|644 \
	$(MANDIR)/man1/vhv-run.1|man/vhv-run.1|644 \
	$(MANDIR)/man4/vhv.4|man/vhv.4|644 \
	$(BASHCOMPDIR)/vhv-run|tools/bash-completion/vhv-run|644 \
	$(UDEVRULESDIR)/99-vhv.rules|tools/udev/99-vhv.rules|644
install_field = $(word $(2),$(subst |, ,$(1)))
# Directories only vhv's files live in, removed by uninstall when empty.
INSTALL_OWN_DIRS = $(INCLUDEDIR)/vmm $(INCLUDEDIR)/uapi

# vhv-run links with LDFLAGS too (a distribution's hardening flags): CFLAGS
# is on its link line, and nothing else of this target's reads CFLAGS
# (ALL_CFLAGS took its value already).  "override": CFLAGS may come from
# the command line, as debian/rules passes it.
$(B)/vhv-run: override CFLAGS += $(LDFLAGS)

install: $(B)/vhv-run $(B)/libvmm.a
	@mkdir -p $(dir $(INSTALL_PC))
	sed -e 's|@PREFIX@|$(PREFIX)|' \
		-e 's|@INCLUDEDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(INCLUDEDIR))|' \
		-e 's|@LIBDIR@|$(patsubst $(PREFIX)/%,$${prefix}/%,$(LIBDIR))|' \
		-e 's|@VERSION@|$(LIBVMM_VERSION)|' vmm/libvmm.pc.in >$(INSTALL_PC)
	@set -e; $(foreach f,$(INSTALL_LIST),\
		echo "install $(call install_field,$(f),2) $(DESTDIR)$(call install_field,$(f),1)"; \
		install -D -m $(call install_field,$(f),3) $(call install_field,$(f),2) \
			$(DESTDIR)$(call install_field,$(f),1);)
	@echo "make install: the udev rule gives /dev/vhv to group vhv: groupadd --system vhv, then adduser USER vhv"

uninstall:
	rm -f $(foreach f,$(INSTALL_LIST),$(DESTDIR)$(call install_field,$(f),1))
	-rmdir --ignore-fail-on-non-empty $(addprefix $(DESTDIR),$(INSTALL_OWN_DIRS)) 2>/dev/null

.PHONY: uninstall

# ---- the two commands --------------------------------------------------------

check: deps
	@$(MAKE) --no-print-directory all modules-all
	@tools/check

run: deps
	@$(MAKE) --no-print-directory all modules-all
	@tools/run

# Benchmarks: vhv against the distro's KVM in one deterministic L1 boot.
bench: deps
	@$(MAKE) --no-print-directory all modules-all
	@tools/bench

# VT-x: the exit and interrupt rows, vhv against kvm_intel, in Bochs.
bench-vmx: deps
	@$(MAKE) --no-print-directory all modules-all
	@tools/bench-vmx

clean:
	rm -rf $(B)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
