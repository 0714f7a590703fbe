# SPDX-License-Identifier: GPL-2.0
# hostile.elf: a 32-bit Multiboot test kernel that attacks the virtio devices
# as a malicious driver would (see the comment at the top of hostile.c).
# CR4 is 0 at entry, so no SSE (-mgeneral-regs-only); guest.ld keeps only
# .text/.rodata*/.bss, so no .text.* or .eh_frame sections either.
HOSTILE_CFLAGS := -std=gnu11 $(WARNINGS) -m32 -march=i686 -ffreestanding -fno-pic \
	-fno-pie -fno-stack-protector -nostdlib -O2 -mgeneral-regs-only -fno-builtin \
	-fno-asynchronous-unwind-tables -fno-unwind-tables -fno-reorder-functions \
	-fno-tree-loop-distribute-patterns -fcf-protection=none

GUESTS += $(B)/selftests/guests/hostile.elf
$(B)/selftests/guests/hostile.elf: selftests/guests/hostile_start.S \
		selftests/guests/hostile.c selftests/guests/guest.ld devices/hostile.mk
	@mkdir -p $(@D)
	$(CC) -m32 -c -o $@.start.o selftests/guests/hostile_start.S
	$(CC) $(HOSTILE_CFLAGS) -c -o $@.o selftests/guests/hostile.c
	$(GUEST_LD) -o $@ $@.start.o $@.o
