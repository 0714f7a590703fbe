// SPDX-License-Identifier: GPL-2.0
/*
 * kvm-probe: whether a /dev/kvm runs an ordinary guest, and what nested
 * virtualization it offers one, for the nested runner's choice of backend
 * (tools/lib/kvm-probe.sh decides; this only reports facts).
 *
 *   kvm-probe [DEVICE]      (default /dev/kvm)
 *
 * Runs a one-instruction real-mode guest (HLT) with a 5 s limit, then
 * prints one line of facts:
 *
 *   guest=ok svm=0|1 npt=0|1 vmx=0|1 ept=0|1 ug=0|1
 *
 * svm, npt and vmx are the CPUID bits KVM can give a guest (it offers SVM
 * or VMX only with its module's nested=1); ept and ug (unrestricted guest)
 * are the allowed-1 bits of the nested IA32_VMX_PROCBASED_CTLS2 that KVM
 * reports as a feature MSR.  Anything short of a HLT exit is an error: one
 * line on stderr saying which step failed and why, and exit status 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>

#define GUEST_MEM	0x10000
#define GUEST_RIP	0x1000
#define TSS_ADDR	0xfffbd000	/* 3 pages below the BIOS, as kvmtool puts it */
#define RUN_LIMIT_S	5
#define CPUID_ENTRIES	256
#define MSR_IA32_VMX_PROCBASED_CTLS2	0x48b
#define CTLS2_EPT			(1u << 1)
#define CTLS2_UNRESTRICTED_GUEST	(1u << 7)

static int fail(const char *what)
{
	fprintf(stderr, "kvm-probe: %s: %s\n", what, strerror(errno));
	return 1;
}

static void on_alarm(int sig)
{
	(void)sig;	/* only there to make KVM_RUN return EINTR */
}

static const char *exit_name(uint32_t reason)
{
	switch (reason) {
	case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY (the CPU refused the guest state)";
	case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
	case KVM_EXIT_SHUTDOWN: return "SHUTDOWN (a triple fault)";
	case KVM_EXIT_EXCEPTION: return "EXCEPTION";
	case KVM_EXIT_MMIO: return "MMIO";
	case KVM_EXIT_IO: return "IO";
	default: return "unexpected";
	}
}

/* A vCPU in real mode at GUEST_RIP, where guest memory holds one HLT. */
static int run_hlt_guest(int kvm, int vm)
{
	struct sigaction sa = { .sa_handler = on_alarm };	/* no SA_RESTART */
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	int vcpu, run_size, ret = 1;
	uint8_t *mem;

	mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap of guest memory");
	mem[GUEST_RIP] = 0xf4;	/* hlt */
	/*
	 * Intel without unrestricted guest runs real mode as vm86 and needs
	 * a TSS for it; elsewhere the call does nothing.
	 */
	if (ioctl(vm, KVM_SET_TSS_ADDR, TSS_ADDR)) {
		fail("KVM_SET_TSS_ADDR");
		goto err_mem;
	}
	region = (struct kvm_userspace_memory_region) {
		.memory_size = GUEST_MEM,
		.userspace_addr = (uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region)) {
		fail("KVM_SET_USER_MEMORY_REGION");
		goto err_mem;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		fail("KVM_CREATE_VCPU");
		goto err_mem;
	}
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (int)sizeof(*run)) {
		fail("KVM_GET_VCPU_MMAP_SIZE");
		goto err_vcpu;
	}
	run = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED) {
		fail("mmap of the vCPU's run area");
		goto err_vcpu;
	}
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs)) {
		fail("KVM_GET_SREGS");
		goto err_run;
	}
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	regs = (struct kvm_regs) { .rip = GUEST_RIP, .rflags = 2 };
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) || ioctl(vcpu, KVM_SET_REGS, &regs)) {
		fail("setting up real mode (KVM_SET_SREGS, KVM_SET_REGS)");
		goto err_run;
	}

	/* A KVM that never comes back must not hang the runner. */
	sigaction(SIGALRM, &sa, NULL);
	alarm(RUN_LIMIT_S);
	if (ioctl(vcpu, KVM_RUN, 0)) {
		if (errno == EINTR)
			fprintf(stderr, "kvm-probe: KVM_RUN: the guest's HLT did not exit within %d s\n",
				RUN_LIMIT_S);
		else
			fail("KVM_RUN");
	} else if (run->exit_reason != KVM_EXIT_HLT) {
		fprintf(stderr, "kvm-probe: KVM_RUN: exit %u, %s, where the guest's HLT was expected\n",
			run->exit_reason, exit_name(run->exit_reason));
	} else {
		ret = 0;
	}
	alarm(0);
err_run:
	munmap(run, run_size);
err_vcpu:
	close(vcpu);
err_mem:
	munmap(mem, GUEST_MEM);
	return ret;
}

static uint32_t cpuid_reg(const struct kvm_cpuid2 *c, uint32_t leaf, char reg)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != leaf || e->index != 0)
			continue;
		switch (reg) {
		case 'c': return e->ecx;
		case 'd': return e->edx;
		}
	}
	return 0;
}

/*
 * Nested VMX capabilities are feature MSRs on the system fd; KVM reads
 * none of them where it offers no nested VMX.  Sets the allowed-1 half.
 */
static void vmx_secondary_ctls(int kvm, uint32_t *allowed1)
{
	struct kvm_msrs *msrs;

	*allowed1 = 0;
	if (ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_GET_MSR_FEATURES) <= 0)
		return;
	msrs = calloc(1, sizeof(*msrs) + sizeof(msrs->entries[0]));
	if (!msrs)
		return;
	msrs->nmsrs = 1;
	msrs->entries[0].index = MSR_IA32_VMX_PROCBASED_CTLS2;
	if (ioctl(kvm, KVM_GET_MSRS, msrs) == 1)
		*allowed1 = msrs->entries[0].data >> 32;
	free(msrs);
}

/* What KVM would let a guest see of SVM and VMX: the nested offer. */
static int print_nested(int kvm)
{
	unsigned int svm, npt, vmx;
	struct kvm_cpuid2 *cpuid;
	uint32_t ctls2 = 0;

	cpuid = calloc(1, sizeof(*cpuid) + CPUID_ENTRIES * sizeof(cpuid->entries[0]));
	if (!cpuid)
		return fail("calloc");
	cpuid->nent = CPUID_ENTRIES;
	if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid)) {
		free(cpuid);
		return fail("KVM_GET_SUPPORTED_CPUID");
	}
	svm = !!(cpuid_reg(cpuid, 0x80000001, 'c') & (1u << 2));
	npt = !!(cpuid_reg(cpuid, 0x8000000a, 'd') & (1u << 0));
	vmx = !!(cpuid_reg(cpuid, 1, 'c') & (1u << 5));
	free(cpuid);
	if (vmx)
		vmx_secondary_ctls(kvm, &ctls2);
	printf("guest=ok svm=%u npt=%u vmx=%u ept=%u ug=%u\n", svm, npt, vmx,
	       !!(ctls2 & CTLS2_EPT), !!(ctls2 & CTLS2_UNRESTRICTED_GUEST));
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/dev/kvm";
	int kvm, vm, version, ret = 1;

	if (argc > 2) {
		fprintf(stderr, "usage: kvm-probe [DEVICE]\n");
		return 2;
	}
	kvm = open(path, O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		fprintf(stderr, "kvm-probe: open %s: %s\n", path, strerror(errno));
		return 1;
	}
	version = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION) {
		if (version < 0)
			fail("KVM_GET_API_VERSION");
		else
			fprintf(stderr, "kvm-probe: KVM_GET_API_VERSION: %d, not %d\n",
				version, KVM_API_VERSION);
		goto err_kvm;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0) {
		fail("KVM_CREATE_VM");
		goto err_kvm;
	}
	if (!run_hlt_guest(kvm, vm))
		ret = print_nested(kvm);
	close(vm);
err_kvm:
	close(kvm);
	return ret;
}
