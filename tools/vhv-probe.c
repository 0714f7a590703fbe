// SPDX-License-Identifier: GPL-2.0
/*
 * vhv-probe: reports what /dev/vhv offers on this host and exercises the
 * ABI end to end: a VM with guest memory and vCPUs, their register state,
 * and a small real-mode guest that prints through port I/O, stores to and
 * loads from MMIO, executes CPUID and halts.
 */
#include <errno.h>
#include <stdint.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "uapi/vhv.h"

#define GUEST_MEM	(64ull << 20)

static int fail(const char *what)
{
	fprintf(stderr, "vhv-probe: %s: %s\n", what, strerror(errno));
	return 1;
}

/*
 * The guest: print a string through port 0x3f8, a byte per OUT, then store
 * to and load from an MMIO address, execute CPUID and halt.
 */
asm(".pushsection .rodata\n"
    "probe_guest: .code16\n"
    "	mov $0x1000 + (msg - probe_guest), %si\n"
    "1:	lodsb\n"
    "	test %al, %al\n"
    "	jz 2f\n"
    "	mov $0x3f8, %dx\n"
    "	out %al, %dx\n"
    "	jmp 1b\n"
    "2:	movw $0x1234, 0xf000\n"	/* MMIO: nothing is at 0xf000 */
    "	mov 0xf000, %di\n"
    "	xor %eax, %eax\n"
    "	cpuid\n"
    "	hlt\n"
    "msg:	.asciz \"Hello from a guest running on vhv.\\n\"\n"
    "probe_guest_end:\n"
    "	.code64\n"
    ".popsection\n");
extern const char probe_guest[], probe_guest_end[];

static int run_guest(int vcpu, struct vhv_run *run)
{
	struct vhv_regs regs;
	struct vhv_sregs sregs;
	unsigned int exits = 0;
	uint16_t mmio = 0;

	if (ioctl(vcpu, VHV_GET_SREGS, &sregs))
		return fail("VHV_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	regs = (struct vhv_regs) { .rip = 0x1000, .rflags = 2 };
	if (ioctl(vcpu, VHV_SET_SREGS, &sregs) || ioctl(vcpu, VHV_SET_REGS, &regs))
		return fail("setting up real mode");
	printf("guest output: ");
	for (;;) {
		if (ioctl(vcpu, VHV_RUN, 0)) {
			if (errno == EOPNOTSUPP) {
				printf("(none)\nVHV_RUN: this vhv.ko cannot execute guest code "
				       "on this CPU yet\n");
				return 0;
			}
			return fail("VHV_RUN");
		}
		exits++;
		if (run->exit_reason == VHV_EXIT_IO && run->io.port == 0x3f8) {
			putchar(((char *)run)[run->io.data_offset]);
		} else if (run->exit_reason == VHV_EXIT_MMIO) {
			if (run->mmio.is_write)
				memcpy(&mmio, run->mmio.data, 2);
			else
				memcpy(run->mmio.data, &mmio, 2);
		} else if (run->exit_reason == VHV_EXIT_HLT) {
			break;
		} else {
			fprintf(stderr, "vhv-probe: unexpected exit %u\n", run->exit_reason);
			return 1;
		}
	}
	if (ioctl(vcpu, VHV_GET_REGS, &regs))
		return fail("VHV_GET_REGS");
	printf("guest halted after %u exits to userspace; its MMIO store came back "
	       "as %#llx, CPUID(0) said %.4s%.4s%.4s\n", exits,
	       (unsigned long long)regs.rdi & 0xffff, (char *)&regs.rbx,
	       (char *)&regs.rdx, (char *)&regs.rcx);
	return 0;
}

static int probe_vm(int sys)
{
	struct vhv_memory_slot slot = { .slot = 0, .size = GUEST_MEM };
	struct vhv_sregs sregs;
	struct vhv_run *run;
	int vm, vcpu[2], i, r;
	void *mem;

	vm = ioctl(sys, VHV_CREATE_VM, 0);
	if (vm < 0)
		return fail("VHV_CREATE_VM");
	mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap guest memory");
	slot.userspace_addr = (unsigned long)mem;
	if (ioctl(vm, VHV_SET_MEMORY_SLOT, &slot))
		return fail("VHV_SET_MEMORY_SLOT");
	printf("VM created: %llu MiB of guest memory at guest-physical 0\n",
	       GUEST_MEM >> 20);
	for (i = 0; i < 2; i++) {
		vcpu[i] = ioctl(vm, VHV_CREATE_VCPU, i);
		if (vcpu[i] < 0)
			return fail("VHV_CREATE_VCPU");
		if (ioctl(vcpu[i], VHV_GET_SREGS, &sregs))
			return fail("VHV_GET_SREGS");
		printf("vCPU %d: CS %04x:%08llx CR0 %#llx APIC base %#llx\n", i,
		       sregs.cs.selector, (unsigned long long)sregs.cs.base,
		       (unsigned long long)sregs.cr0,
		       (unsigned long long)sregs.apic_base);
	}
	run = mmap(NULL, ioctl(sys, VHV_GET_VCPU_MMAP_SIZE, 0),
		   PROT_READ | PROT_WRITE, MAP_SHARED, vcpu[0], 0);
	if (run == MAP_FAILED)
		return fail("mmap run area");
	/* Guest RAM ends at 64 MiB, so 0xf000 must be inside: use a hole. */
	memcpy((char *)mem + 0x1000, probe_guest, probe_guest_end - probe_guest);
	slot.size = 0xf000;
	if (ioctl(vm, VHV_SET_MEMORY_SLOT, &slot))
		return fail("VHV_SET_MEMORY_SLOT");
	r = run_guest(vcpu[0], run);
	close(vcpu[0]);
	close(vcpu[1]);
	close(vm);
	return r;
}

int main(int argc, char **argv)
{
	static const char *const vendors[] = { "?", "AMD-V (SVM + NPT)", "VT-x (VMX + EPT)" };
	int sys = open("/dev/vhv", O_RDWR | O_CLOEXEC);
	long vendor;

	if (sys < 0)
		return fail("open /dev/vhv (is vhv.ko loaded?)");
	/* --cap N: prints capability N and exits 0 only if it is non-zero. */
	if (argc == 3 && !strcmp(argv[1], "--cap")) {
		int v = ioctl(sys, VHV_CHECK_CAP, atoi(argv[2]));

		printf("%d\n", v);
		return v > 0 ? 0 : 1;
	}
	vendor = ioctl(sys, VHV_CHECK_CAP, VHV_CAP_VENDOR);
	printf("vhv ABI version %d on %s\n", ioctl(sys, VHV_GET_API_VERSION, 0),
	       vendors[vendor >= 1 && vendor <= 2 ? vendor : 0]);
	printf("limits: %d vCPUs per VM, %d memory slots, %d-bit guest-physical addresses\n",
	       ioctl(sys, VHV_CHECK_CAP, VHV_CAP_NR_VCPUS),
	       ioctl(sys, VHV_CHECK_CAP, VHV_CAP_NR_MEMSLOTS),
	       ioctl(sys, VHV_CHECK_CAP, VHV_CAP_GUEST_PHYS_BITS));
	printf("guest execution (VHV_CAP_RUN): %s\n",
	       ioctl(sys, VHV_CHECK_CAP, VHV_CAP_RUN) ? "yes" : "not yet");
	return probe_vm(sys);
}
