// SPDX-License-Identifier: GPL-2.0
/*
 * bench-exits: the cost of a VM exit round trip on /dev/vhv or /dev/kvm,
 * with the same real-mode guest loops and the same userspace loop on both:
 *   cpuid  CPUID, handled in the kernel
 *   pio    OUT to a port, to userspace and back
 *   mmio   a store to unbacked memory, to userspace and back
 * Prints "NAME BACKEND NS_PER_ROUND_TRIP" (minimum over the repetitions).
 * Under QEMU -icount shift=0 a nanosecond in L1 is one L1 instruction.
 *
 * usage: bench-exits vhv|kvm [ITERATIONS [REPETITIONS]]
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "uapi/vhv.h"

#define RAM_SIZE	0x10000
#define CODE_GPA	0x1000

asm(".pushsection .rodata\n"
    "bench_cpuid: .code16\n"
    "1:	xor %eax, %eax\n"
    "	cpuid\n"
    "	dec %edi\n"
    "	jnz 1b\n"
    "	hlt\n"
    "bench_pio:\n"
    "1:	out %al, $0x80\n"
    "	dec %edi\n"
    "	jnz 1b\n"
    "	hlt\n"
    "bench_mmio:\n"
    "	mov $0x2000, %ax\n"		/* DS base 0x20000: no memory there */
    "	mov %ax, %ds\n"
    "1:	mov %al, 0x0\n"
    "	dec %edi\n"
    "	jnz 1b\n"
    "	hlt\n"
    "bench_end:\n"
    "	.code64\n"
    ".popsection\n");
extern const uint8_t bench_cpuid[], bench_pio[], bench_mmio[], bench_end[];

struct guest {
	bool kvm;
	int vcpu;
	void *run;
	uint8_t *ram;
};

static void die(const char *what)
{
	fprintf(stderr, "bench-exits: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void setup_vhv(struct guest *g)
{
	int sys = open("/dev/vhv", O_RDWR | O_CLOEXEC), vm;
	struct vhv_memory_slot slot = { .size = RAM_SIZE };
	struct vhv_sregs s;

	if (sys < 0)
		die("open /dev/vhv");
	vm = ioctl(sys, VHV_CREATE_VM, 0);
	if (vm < 0)
		die("VHV_CREATE_VM");
	slot.userspace_addr = (uintptr_t)g->ram;
	if (ioctl(vm, VHV_SET_MEMORY_SLOT, &slot))
		die("VHV_SET_MEMORY_SLOT");
	g->vcpu = ioctl(vm, VHV_CREATE_VCPU, 0);
	if (g->vcpu < 0)
		die("VHV_CREATE_VCPU");
	g->run = mmap(NULL, ioctl(sys, VHV_GET_VCPU_MMAP_SIZE, 0),
		      PROT_READ | PROT_WRITE, MAP_SHARED, g->vcpu, 0);
	if (g->run == MAP_FAILED || ioctl(g->vcpu, VHV_GET_SREGS, &s))
		die("vhv vCPU setup");
	s.cs.base = 0;
	s.cs.selector = 0;
	if (ioctl(g->vcpu, VHV_SET_SREGS, &s))
		die("VHV_SET_SREGS");
}

static void setup_kvm(struct guest *g)
{
	int sys = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;
	struct kvm_userspace_memory_region slot = { .memory_size = RAM_SIZE };
	struct kvm_sregs s;

	if (sys < 0)
		die("open /dev/kvm");
	vm = ioctl(sys, KVM_CREATE_VM, 0);
	if (vm < 0)
		die("KVM_CREATE_VM");
	slot.userspace_addr = (uintptr_t)g->ram;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot))
		die("KVM_SET_USER_MEMORY_REGION");
	g->vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (g->vcpu < 0)
		die("KVM_CREATE_VCPU");
	g->run = mmap(NULL, ioctl(sys, KVM_GET_VCPU_MMAP_SIZE, 0),
		      PROT_READ | PROT_WRITE, MAP_SHARED, g->vcpu, 0);
	if (g->run == MAP_FAILED || ioctl(g->vcpu, KVM_GET_SREGS, &s))
		die("kvm vCPU setup");
	s.cs.base = 0;
	s.cs.selector = 0;
	if (ioctl(g->vcpu, KVM_SET_SREGS, &s))
		die("KVM_SET_SREGS");
}

static void start(struct guest *g, const uint8_t *code, uint64_t iterations)
{
	memcpy(g->ram + CODE_GPA, code, bench_end - code);
	if (g->kvm) {
		struct kvm_regs r = { .rip = CODE_GPA, .rdi = iterations, .rflags = 2 };

		if (ioctl(g->vcpu, KVM_SET_REGS, &r))
			die("KVM_SET_REGS");
	} else {
		struct vhv_regs r = { .rip = CODE_GPA, .rdi = iterations, .rflags = 2 };

		if (ioctl(g->vcpu, VHV_SET_REGS, &r))
			die("VHV_SET_REGS");
	}
}

/* Runs to HLT, passing every I/O and MMIO exit straight back. */
static void run_to_hlt(struct guest *g)
{
	for (;;) {
		if (g->kvm) {
			struct kvm_run *run = g->run;

			if (ioctl(g->vcpu, KVM_RUN, 0))
				die("KVM_RUN");
			if (run->exit_reason == KVM_EXIT_HLT)
				return;
			if (run->exit_reason != KVM_EXIT_IO && run->exit_reason != KVM_EXIT_MMIO)
				break;
		} else {
			struct vhv_run *run = g->run;

			if (ioctl(g->vcpu, VHV_RUN, 0))
				die("VHV_RUN");
			if (run->exit_reason == VHV_EXIT_HLT)
				return;
			if (run->exit_reason != VHV_EXIT_IO && run->exit_reason != VHV_EXIT_MMIO)
				break;
		}
	}
	fprintf(stderr, "bench-exits: unexpected exit\n");
	exit(1);
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ull + t.tv_nsec;
}

int main(int argc, char **argv)
{
	static const struct { const char *name; const uint8_t *code; } loops[] = {
		{ "exit-cpuid", bench_cpuid },
		{ "exit-pio", bench_pio },
		{ "exit-mmio", bench_mmio },
	};
	struct guest g = { 0 };
	uint64_t iterations = argc > 2 ? strtoull(argv[2], NULL, 0) : 20000;
	int reps = argc > 3 ? atoi(argv[3]) : 5, i, r;

	if (argc < 2 || (strcmp(argv[1], "vhv") && strcmp(argv[1], "kvm"))) {
		fprintf(stderr, "usage: bench-exits vhv|kvm [ITERATIONS [REPETITIONS]]\n");
		return 2;
	}
	g.kvm = !strcmp(argv[1], "kvm");
	g.ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g.ram == MAP_FAILED)
		die("mmap");
	if (g.kvm)
		setup_kvm(&g);
	else
		setup_vhv(&g);
	for (i = 0; i < 3; i++) {
		uint64_t best = ~0ull;

		/* A short warm-up run faults the pages in. */
		start(&g, loops[i].code, 100);
		run_to_hlt(&g);
		for (r = 0; r < reps; r++) {
			uint64_t t0, t1;

			start(&g, loops[i].code, iterations);
			t0 = now_ns();
			run_to_hlt(&g);
			t1 = now_ns();
			if (t1 - t0 < best)
				best = t1 - t0;
		}
		printf("%s %s %llu\n", loops[i].name, argv[1],
		       (unsigned long long)(best / iterations));
	}
	return 0;
}
