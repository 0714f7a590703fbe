// SPDX-License-Identifier: GPL-2.0
/*
 * vhv-probe: reports what /dev/vhv offers on this host and exercises the
 * ABI end to end: a VM with guest memory and vCPUs, their register state,
 * and one VHV_RUN, whose result says whether guests can execute yet.
 */
#include <errno.h>
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
	r = ioctl(vcpu[0], VHV_RUN, 0);
	if (r == 0)
		printf("VHV_RUN: returned with exit reason %u\n", run->exit_reason);
	else if (errno == EOPNOTSUPP)
		printf("VHV_RUN: not supported yet: this vhv.ko cannot execute guest code\n");
	else
		return fail("VHV_RUN");
	close(vcpu[0]);
	close(vcpu[1]);
	close(vm);
	return 0;
}

int main(void)
{
	static const char *const vendors[] = { "?", "AMD-V (SVM + NPT)", "VT-x (VMX + EPT)" };
	int sys = open("/dev/vhv", O_RDWR | O_CLOEXEC);
	long vendor;

	if (sys < 0)
		return fail("open /dev/vhv (is vhv.ko loaded?)");
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
