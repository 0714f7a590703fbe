// SPDX-License-Identifier: GPL-2.0
/*
 * qemu-lme-wedge [--lme]: runs a real-mode guest of three instructions
 * (mov al, 0x42; out 0x10, al; hlt) on /dev/kvm and prints its exit.
 * With --lme the guest's EFER has LME set (legacy mode with long mode
 * enabled, a state real CPUs run).  Under QEMU 7.2's TCG model of SVM,
 * the guest's #VMEXIT then leaves L1's CPU in the guest's CR0 (real mode,
 * GIF clear) and L1 stalls: the distro's kvm_amd does it as vhv does, so
 * the defect is the emulator's (README, the nested runner).  Run in L1:
 *   tools/vhv-nested --no-module --kernel 6.1 -- \
 *       sh -c 'modprobe kvm_amd && build/tools/qemu-lme-wedge --lme'
 * Without --lme it prints "exit io port 0x10"; with it, on a CPU without
 * the defect, the same.
 */
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define EFER_LME	(1ull << 8)

static int fail(const char *what)
{
	perror(what);
	return 1;
}

int main(int argc, char **argv)
{
	static const unsigned char code[] = { 0xb0, 0x42, 0xe6, 0x10, 0xf4 };
	int lme = argc > 1 && !strcmp(argv[1], "--lme");
	struct kvm_userspace_memory_region region = { .memory_size = 0x10000 };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
	struct kvm_run *run;
	unsigned char *mem;
	int kvm, vm, vcpu;
	long size;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail("/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	mem = mmap(NULL, region.memory_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap");
	memcpy(mem + regs.rip, code, sizeof(code));
	region.userspace_addr = (unsigned long)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		return fail("KVM_SET_USER_MEMORY_REGION");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	run = size > 0 ? mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0) : MAP_FAILED;
	if (run == MAP_FAILED)
		return fail("the run area");
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs))
		return fail("KVM_GET_SREGS");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (lme)
		sregs.efer |= EFER_LME;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) || ioctl(vcpu, KVM_SET_REGS, &regs))
		return fail("KVM_SET_SREGS/REGS");
	printf("guest: real mode, CR0 %#llx, CR4 %#llx, EFER %#llx\n",
	       (unsigned long long)sregs.cr0, (unsigned long long)sregs.cr4,
	       (unsigned long long)sregs.efer);
	fflush(stdout);
	if (ioctl(vcpu, KVM_RUN, 0))
		return fail("KVM_RUN");
	if (run->exit_reason == KVM_EXIT_IO)
		printf("exit io port %#x\n", run->io.port);
	else
		printf("exit reason %u\n", run->exit_reason);
	return run->exit_reason == KVM_EXIT_IO && run->io.port == 0x10 ? 0 : 1;
}
