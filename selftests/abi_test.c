// SPDX-License-Identifier: GPL-2.0
/*
 * ABI tests: every ioctl with good and bad arguments, each failure checked
 * for its exact errno as uapi/vhv.h documents it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/vhv_test.h"

#define PAGE		4096ull
#define MIB		(1ull << 20)

static long nr_slots, nr_vcpus, max_vcpu_id, phys_bits, can_run;

static void test_system_fd(int sys)
{
	long vendor;

	tap_result(ioctl(sys, VHV_GET_API_VERSION, 0) == VHV_API_VERSION,
		   "VHV_GET_API_VERSION returns %d", VHV_API_VERSION);
	TEST_ERRNO(ioctl(sys, VHV_GET_API_VERSION, 1), EINVAL,
		   "VHV_GET_API_VERSION with a non-zero argument");
	tap_result(ioctl(sys, VHV_GET_VCPU_MMAP_SIZE, 0) >= (long)sizeof(struct vhv_run),
		   "VHV_GET_VCPU_MMAP_SIZE covers struct vhv_run");
	TEST_ERRNO(ioctl(sys, VHV_GET_VCPU_MMAP_SIZE, 7), EINVAL,
		   "VHV_GET_VCPU_MMAP_SIZE with a non-zero argument");

	nr_vcpus = vhv_cap(sys, VHV_CAP_NR_VCPUS);
	max_vcpu_id = vhv_cap(sys, VHV_CAP_MAX_VCPU_ID);
	nr_slots = vhv_cap(sys, VHV_CAP_NR_MEMSLOTS);
	phys_bits = vhv_cap(sys, VHV_CAP_GUEST_PHYS_BITS);
	can_run = vhv_cap(sys, VHV_CAP_RUN);
	vendor = vhv_cap(sys, VHV_CAP_VENDOR);
	tap_result(nr_vcpus >= 1 && max_vcpu_id >= nr_vcpus,
		   "capabilities: %ld vCPUs, ids below %ld", nr_vcpus, max_vcpu_id);
	tap_result(nr_slots >= 32, "capabilities: %ld memory slots", nr_slots);
	tap_result(phys_bits >= 32 && phys_bits <= 52,
		   "capabilities: %ld guest-physical address bits", phys_bits);
	tap_result(vhv_cap(sys, VHV_CAP_READONLY_MEM) == 1,
		   "capabilities: read-only memory slots");
	tap_result(vendor == VHV_VENDOR_SVM || vendor == VHV_VENDOR_VMX,
		   "capabilities: vendor %s",
		   vendor == VHV_VENDOR_SVM ? "SVM" : "VMX");
	tap_result(can_run == 0 || can_run == 1, "capabilities: run = %ld", can_run);
	/* The HPET is part of the irqchip, which exists where guests run. */
	tap_result(vhv_cap(sys, VHV_CAP_HPET) == can_run,
		   "capabilities: HPET = %ld (as run)", vhv_cap(sys, VHV_CAP_HPET));
	tap_result(ioctl(sys, VHV_CHECK_CAP, 0x7fffffff) == 0,
		   "an unknown capability reads as 0");

	TEST_ERRNO(ioctl(sys, VHV_CREATE_VM, 1), EINVAL,
		   "VHV_CREATE_VM with machine type 1");
	TEST_ERRNO(ioctl(sys, VHV_CREATE_VCPU, 0), ENOTTY,
		   "a VM ioctl on the system fd");
	TEST_ERRNO(ioctl(sys, VHV_RUN, 0), ENOTTY, "a vCPU ioctl on the system fd");
	TEST_ERRNO(ioctl(sys, _IO(VHVIO, 0x7f), 0), ENOTTY,
		   "an unknown ioctl on the system fd");
}

static void test_wrong_fd_types(struct vm *vm, struct vcpu *vcpu)
{
	struct vhv_regs regs;

	TEST_ERRNO(ioctl(vm->fd, VHV_CREATE_VM, 0), ENOTTY,
		   "VHV_CREATE_VM on a VM fd");
	TEST_ERRNO(ioctl(vm->fd, VHV_GET_API_VERSION, 0), ENOTTY,
		   "VHV_GET_API_VERSION on a VM fd");
	tap_result(ioctl(vm->fd, VHV_CHECK_CAP, VHV_CAP_NR_VCPUS) == nr_vcpus,
		   "VHV_CHECK_CAP on a VM fd answers as on the system fd");
	TEST_ERRNO(ioctl(vm->fd, VHV_RUN, 0), ENOTTY, "VHV_RUN on a VM fd");
	TEST_ERRNO(ioctl(vm->fd, VHV_GET_REGS, &regs), ENOTTY,
		   "VHV_GET_REGS on a VM fd");
	TEST_ERRNO(ioctl(vcpu->fd, VHV_CREATE_VCPU, 5), ENOTTY,
		   "VHV_CREATE_VCPU on a vCPU fd");
	TEST_ERRNO(ioctl(vcpu->fd, VHV_CREATE_VM, 0), ENOTTY,
		   "VHV_CREATE_VM on a vCPU fd");
	TEST_ERRNO(ioctl(vcpu->fd, VHV_DELETE_MEMORY_SLOT, 0), ENOTTY,
		   "VHV_DELETE_MEMORY_SLOT on a vCPU fd");
	/* The size is part of the command number: a wrong size is unknown. */
	TEST_ERRNO(ioctl(vm->fd, _IOW(VHVIO, 0x10, char[56]), &regs), ENOTTY,
		   "VHV_SET_MEMORY_SLOT with a 56-byte argument");
	TEST_ERRNO(ioctl(vcpu->fd, _IOR(VHVIO, 0x21, char[128]), &regs), ENOTTY,
		   "VHV_GET_REGS with a 128-byte argument");
	TEST_ERRNO(ioctl(vcpu->fd, _IOW(VHVIO, 0x24, char[392]), &regs), ENOTTY,
		   "VHV_SET_SREGS with a 392-byte argument");
	TEST_ERRNO(ioctl(vm->fd, VHV_SET_MEMORY_SLOT, NULL), EFAULT,
		   "VHV_SET_MEMORY_SLOT with a NULL argument");
	TEST_ERRNO(ioctl(vcpu->fd, VHV_GET_REGS, NULL), EFAULT,
		   "VHV_GET_REGS into NULL");
	TEST_ERRNO(ioctl(vcpu->fd, VHV_SET_SREGS, (void *)16), EFAULT,
		   "VHV_SET_SREGS from an unmapped address");
}

static int set_slot(struct vm *vm, struct vhv_memory_slot m)
{
	return ioctl(vm->fd, VHV_SET_MEMORY_SLOT, &m);
}

static void test_slot_arguments(struct vm *vm, char *mem)
{
	const struct vhv_memory_slot good = {
		.slot = 0, .guest_phys_addr = 0, .size = 4 * PAGE,
		.userspace_addr = (uintptr_t)mem,
	};
	struct vhv_memory_slot m;
	uint64_t top = 1ull << phys_bits;
	int i;

	m = good;
	m.slot = nr_slots;
	TEST_ERRNO(set_slot(vm, m), EINVAL, "slot id %ld (one past the last)", nr_slots);
	m = good;
	m.flags = 1u << 1;
	TEST_ERRNO(set_slot(vm, m), EINVAL, "unknown slot flag bit 1");
	for (i = 0; i < 4; i++) {
		m = good;
		m.reserved[i] = 1;
		TEST_ERRNO(set_slot(vm, m), EINVAL, "slot reserved[%d] set", i);
	}
	m = good;
	m.guest_phys_addr = 0x800;
	TEST_ERRNO(set_slot(vm, m), EINVAL, "unaligned guest address");
	m = good;
	m.size = PAGE + 1;
	TEST_ERRNO(set_slot(vm, m), EINVAL, "unaligned size");
	m = good;
	m.userspace_addr += 8;
	TEST_ERRNO(set_slot(vm, m), EINVAL, "unaligned user address");
	m = good;
	m.size = 0;
	TEST_ERRNO(set_slot(vm, m), EINVAL, "size 0");
	m = good;
	m.guest_phys_addr = -PAGE;
	TEST_ERRNO(set_slot(vm, m), EINVAL, "guest range wrapping past 2^64");
	m = good;
	m.guest_phys_addr = top - 2 * PAGE;
	TEST_ERRNO(set_slot(vm, m), EINVAL, "guest range ending above 2^%ld", phys_bits);
	m = good;
	m.size = 1ull << 62;
	TEST_ERRNO(set_slot(vm, m), EINVAL, "oversized slot (2^62 bytes)");
	m = good;
	m.userspace_addr = -2 * PAGE;
	TEST_ERRNO(set_slot(vm, m), EINVAL, "user range wrapping past 2^64");
	m = good;
	m.userspace_addr = 0xffff800000000000ull;
	TEST_ERRNO(set_slot(vm, m), EINVAL, "kernel address as user memory");
	m = good;
	m.userspace_addr = 0;
	TEST_ERRNO(set_slot(vm, m), EINVAL, "user address 0");
	m = good;
	m.guest_phys_addr = top - 4 * PAGE;
	TEST_OK(set_slot(vm, m), "slot ending exactly at 2^%ld", phys_bits);
	TEST_OK(ioctl(vm->fd, VHV_DELETE_MEMORY_SLOT, 0), "delete that slot");
}

static void test_slot_overlap_and_replace(struct vm *vm, char *mem)
{
	const struct vhv_memory_slot a = {
		.slot = 1, .guest_phys_addr = 16 * PAGE, .size = 8 * PAGE,
		.userspace_addr = (uintptr_t)mem,
	};
	struct vhv_memory_slot m;
	long before = vhv_stat("memslots");

	TEST_OK(set_slot(vm, a), "slot 1 at [16, 24) pages");
	m = a;
	m.slot = 2;
	TEST_ERRNO(set_slot(vm, m), EEXIST, "identical range under another id");
	m.guest_phys_addr = 12 * PAGE;
	TEST_ERRNO(set_slot(vm, m), EEXIST, "range overlapping the start");
	m.guest_phys_addr = 23 * PAGE;
	TEST_ERRNO(set_slot(vm, m), EEXIST, "range overlapping the end");
	m.guest_phys_addr = 10 * PAGE;
	m.size = 32 * PAGE;
	TEST_ERRNO(set_slot(vm, m), EEXIST, "range containing the slot");
	m.guest_phys_addr = 18 * PAGE;
	m.size = 2 * PAGE;
	TEST_ERRNO(set_slot(vm, m), EEXIST, "range inside the slot");
	m.guest_phys_addr = 24 * PAGE;
	m.size = 8 * PAGE;
	TEST_OK(set_slot(vm, m), "adjacent range [24, 32) as slot 2");
	tap_result(vhv_stat("memslots") == before + 2, "two more live slots");

	/* Replace: move slot 1 away; its old range is free afterwards. */
	m = a;
	m.guest_phys_addr = 64 * PAGE;
	TEST_OK(set_slot(vm, m), "replace slot 1, moving it to [64, 72)");
	m = a;
	m.slot = 3;
	TEST_OK(set_slot(vm, m), "slot 3 takes slot 1's old range");
	m = a;
	m.guest_phys_addr = 26 * PAGE;
	TEST_ERRNO(set_slot(vm, m), EEXIST, "replace slot 1 onto slot 2's range");
	m = a;
	m.slot = 4;
	m.guest_phys_addr = 64 * PAGE;
	TEST_ERRNO(set_slot(vm, m), EEXIST, "failed replace kept slot 1 in place");
	m = a;
	m.guest_phys_addr = 64 * PAGE;
	m.flags = VHV_MEM_READONLY;
	TEST_OK(set_slot(vm, m), "replace slot 1 in place, now read-only");
	tap_result(vhv_stat("memslots") == before + 3, "replacing kept the count");

	TEST_OK(ioctl(vm->fd, VHV_DELETE_MEMORY_SLOT, 1), "delete slot 1");
	TEST_ERRNO(ioctl(vm->fd, VHV_DELETE_MEMORY_SLOT, 1), ENOENT,
		   "delete slot 1 again");
	TEST_ERRNO(ioctl(vm->fd, VHV_DELETE_MEMORY_SLOT, nr_slots), EINVAL,
		   "delete slot id %ld", nr_slots);
	TEST_OK(ioctl(vm->fd, VHV_DELETE_MEMORY_SLOT, 2), "delete slot 2");
	TEST_OK(ioctl(vm->fd, VHV_DELETE_MEMORY_SLOT, 3), "delete slot 3");
	tap_result(vhv_stat("memslots") == before, "live slot count back");
}

static void test_slot_backing(struct vm *vm)
{
	struct vhv_memory_slot m = { .slot = 5, .guest_phys_addr = 256 * PAGE,
				     .size = 4 * PAGE };
	char *p;
	int fd;

	p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_REQUIRE(p != MAP_FAILED, "mmap");
	m.userspace_addr = (uintptr_t)p;
	munmap(p + PAGE, PAGE);
	TEST_ERRNO(set_slot(vm, m), EFAULT, "user range with an unmapped hole");
	munmap(p, 4 * PAGE);
	TEST_ERRNO(set_slot(vm, m), EFAULT, "user range entirely unmapped");

	p = mmap(NULL, 4 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_REQUIRE(p != MAP_FAILED, "mmap");
	m.userspace_addr = (uintptr_t)p;
	TEST_ERRNO(set_slot(vm, m), EACCES, "writable slot over read-only memory");
	m.flags = VHV_MEM_READONLY;
	TEST_OK(set_slot(vm, m), "read-only slot over read-only memory");
	TEST_OK(ioctl(vm->fd, VHV_DELETE_MEMORY_SLOT, 5), "delete it");
	mprotect(p, 4 * PAGE, PROT_NONE);
	TEST_ERRNO(set_slot(vm, m), EACCES, "read-only slot over PROT_NONE memory");
	munmap(p, 4 * PAGE);
	m.flags = 0;

	fd = open("/dev/mem", O_RDONLY | O_CLOEXEC);
	p = fd < 0 ? MAP_FAILED : mmap(NULL, PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		tap_skip("/dev/mem cannot be mapped here",
			 "slot over an I/O (PFN) mapping");
	} else {
		m.size = PAGE;
		m.flags = VHV_MEM_READONLY;
		m.userspace_addr = (uintptr_t)p;
		TEST_ERRNO(set_slot(vm, m), EOPNOTSUPP, "slot over an I/O (PFN) mapping");
		munmap(p, PAGE);
	}
	if (fd >= 0)
		close(fd);
}

static void test_slot_limit(void)
{
	struct vm *vm = vm_create();
	char *mem = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	long before = vhv_stat("memslots");
	int i, failed = 0;

	TEST_REQUIRE(mem != MAP_FAILED, "mmap");
	for (i = 0; i < nr_slots; i++) {
		struct vhv_memory_slot m = {
			.slot = i, .guest_phys_addr = i * 2 * PAGE,
			.size = PAGE, .userspace_addr = (uintptr_t)mem,
		};

		failed += set_slot(vm, m) != 0;
	}
	tap_result(!failed && vhv_stat("memslots") == before + nr_slots,
		   "all %ld slot ids usable at once, one page each (%d failed)",
		   nr_slots, failed);
	vm_free(vm);
	tap_result(vhv_stat("memslots") == before, "closing the VM frees its slots");
	munmap(mem, PAGE);
}

static void test_vcpu_creation(void)
{
	struct vm *vm = vm_create();
	int fds[512], n = 0, i, fd;

	TEST_REQUIRE(nr_vcpus <= 512, "test sized for at most 512 vCPUs");
	TEST_ERRNO(ioctl(vm->fd, VHV_CREATE_VCPU, max_vcpu_id), EINVAL,
		   "vCPU id %ld (one past the last)", max_vcpu_id);
	TEST_ERRNO(ioctl(vm->fd, VHV_CREATE_VCPU, -1UL), EINVAL, "vCPU id ~0");
	fds[n++] = ioctl(vm->fd, VHV_CREATE_VCPU, 3);
	TEST_ERRNO(ioctl(vm->fd, VHV_CREATE_VCPU, 3), EEXIST, "duplicate vCPU id 3");
	for (i = 0; n < nr_vcpus; i++) {
		if (i == 3)
			continue;
		fd = ioctl(vm->fd, VHV_CREATE_VCPU, max_vcpu_id - 1 - i);
		if (fd < 0)
			break;
		fds[n++] = fd;
	}
	tap_result(n == nr_vcpus, "%ld vCPUs in one VM (got %d)", nr_vcpus, n);
	TEST_ERRNO(ioctl(vm->fd, VHV_CREATE_VCPU, 100), ENOSPC,
		   "vCPU number %ld + 1", nr_vcpus);
	/* Closing a vCPU fd does not free its id or its place. */
	close(fds[0]);
	TEST_ERRNO(ioctl(vm->fd, VHV_CREATE_VCPU, 3), EEXIST,
		   "the id of a closed vCPU stays taken");
	for (i = 1; i < n; i++)
		close(fds[i]);
	vm_free(vm);
}

static void test_run_area(struct vm *vm, struct vcpu *vcpu)
{
	size_t size = ioctl(vm->sys_fd, VHV_GET_VCPU_MMAP_SIZE, 0);
	void *p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, size);
	tap_result(p == MAP_FAILED && errno == EINVAL,
		   "mmap of the run area at a non-zero offset: EINVAL");
	p = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	tap_result(p == MAP_FAILED && errno == EINVAL,
		   "mmap larger than the run area: EINVAL");
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, vm->fd, 0);
	tap_result(p == MAP_FAILED && errno == ENODEV, "mmap of a VM fd: ENODEV");
	tap_result(vcpu->run->exit_reason == VHV_EXIT_NONE,
		   "a new vCPU's exit reason is VHV_EXIT_NONE");

	TEST_ERRNO(ioctl(vcpu->fd, VHV_RUN, 1), EINVAL, "VHV_RUN with an argument");
	vcpu->run->pad_in[3] = 1;
	TEST_ERRNO(ioctl(vcpu->fd, VHV_RUN, 0), EINVAL, "VHV_RUN with pad_in set");
	vcpu->run->pad_in[3] = 0;
	vcpu->run->immediate_exit = 1;
	TEST_ERRNO(ioctl(vcpu->fd, VHV_RUN, 0), EINTR, "VHV_RUN with immediate_exit");
	vcpu->run->immediate_exit = 0;
	if (!can_run)
		TEST_ERRNO(ioctl(vcpu->fd, VHV_RUN, 0), EOPNOTSUPP,
			   "VHV_RUN without an execution core (VHV_CAP_RUN = 0)");
}

static void test_regs(struct vcpu *vcpu)
{
	struct vhv_regs r, back;
	uint64_t *w = (uint64_t *)&r;
	unsigned int i;

	TEST_OK(ioctl(vcpu->fd, VHV_GET_REGS, &r), "VHV_GET_REGS");
	tap_result(r.rip == 0xfff0 && r.rflags == 2 && r.rax == 0,
		   "reset state: RIP 0xfff0, RFLAGS 0x2");
	for (i = 0; i < sizeof(r) / 8; i++)
		w[i] = 0x1111111111111111ull * (i + 1);
	r.rflags = 0x246 & ~2ull;	/* bit 1 is set by the kernel */
	TEST_OK(ioctl(vcpu->fd, VHV_SET_REGS, &r), "VHV_SET_REGS");
	TEST_OK(ioctl(vcpu->fd, VHV_GET_REGS, &back), "VHV_GET_REGS again");
	r.rflags |= 2;
	tap_result(!memcmp(&r, &back, sizeof(r)), "registers read back as set");
	r.rflags = 0x2 | (1ull << 3);
	TEST_ERRNO(ioctl(vcpu->fd, VHV_SET_REGS, &r), EINVAL, "RFLAGS bit 3 (reserved)");
	r.rflags = 0x2 | (1ull << 22);
	TEST_ERRNO(ioctl(vcpu->fd, VHV_SET_REGS, &r), EINVAL, "RFLAGS bit 22 (reserved)");
}

/*
 * Values the CPU itself refuses are refused by VHV_SET_MSRS on both
 * vendors: WRMSR #GPs on FMASK bits 63:32 (VT-x loads it on the host with
 * WRMSR), and a non-canonical SYSENTER_ESP/EIP fails a VT-x entry.
 */
static void test_msr_values(struct vcpu *vcpu)
{
	static const struct { uint32_t index; uint64_t bad, good; const char *name; } t[] = {
		{ 0xc0000084, 1ull << 32, 0x47700, "IA32_FMASK bit 32" },
		{ 0x175, 0x0000800000000000ull, 0xffff800000001000ull,
		  "SYSENTER_ESP non-canonical" },
		{ 0x176, 0x8000000000000000ull, 0xffffffff81000000ull,
		  "SYSENTER_EIP non-canonical" },
		{ 0xc0000082, 0x0001000000000000ull, 0xffffffff81000000ull,
		  "LSTAR non-canonical" },
		{ 0xc0000083, 0x00ff000000000000ull, 0x1000, "CSTAR non-canonical" },
		{ 0xc0000102, 0x1234000000000000ull, 0, "KERNEL_GS_BASE non-canonical" },
	};
	struct vhv_msr_entry e;
	struct vhv_msrs m = { .nmsrs = 1, .entries = (uintptr_t)&e };
	unsigned int i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		e = (struct vhv_msr_entry) { .index = t[i].index, .data = t[i].good };
		tap_result(ioctl(vcpu->fd, VHV_SET_MSRS, &m) == 1,
			   "VHV_SET_MSRS %#x = %#llx", t[i].index,
			   (unsigned long long)t[i].good);
		e = (struct vhv_msr_entry) { .index = t[i].index, .data = t[i].bad };
		tap_result(ioctl(vcpu->fd, VHV_SET_MSRS, &m) == 0,
			   "VHV_SET_MSRS refuses %s", t[i].name);
		e = (struct vhv_msr_entry) { .index = t[i].index };
		tap_result(ioctl(vcpu->fd, VHV_GET_MSRS, &m) == 1 && e.data == t[i].good,
			   "%s left the old value (%#llx)", t[i].name,
			   (unsigned long long)e.data);
	}
}

/*
 * Save/restore works on every backend, with or without an execution core
 * (the VT-x backend once oopsed here on a missing vendor op).
 */
static void test_msrs_everywhere(struct vcpu *vcpu)
{
	struct vhv_msr_entry e[2] = {
		{ .index = 0xc0000103, .data = 0x55 },	/* TSC_AUX */
		{ .index = 0x1b },			/* APIC_BASE */
	};
	struct vhv_msrs m = { .nmsrs = 1, .entries = (uintptr_t)e };

	tap_result(ioctl(vcpu->fd, VHV_SET_MSRS, &m) == 1, "VHV_SET_MSRS TSC_AUX");
	e[0].data = 0;
	m.nmsrs = 2;
	tap_result(ioctl(vcpu->fd, VHV_GET_MSRS, &m) == 2 && e[0].data == 0x55 &&
		   (e[1].data & ~0xfffull) == 0xfee00000ull,
		   "VHV_GET_MSRS reads them back (TSC_AUX %#llx, APIC_BASE %#llx)",
		   (unsigned long long)e[0].data, (unsigned long long)e[1].data);
	e[0] = (struct vhv_msr_entry) { .index = 0xc0000080 };	/* EFER */
	m.nmsrs = 1;
	tap_result(ioctl(vcpu->fd, VHV_GET_MSRS, &m) == 1, "VHV_GET_MSRS EFER (%#llx)",
		   (unsigned long long)e[0].data);
	e[0].data |= 1ull << 12;	/* SVME: never the guest's */
	tap_result(ioctl(vcpu->fd, VHV_SET_MSRS, &m) == 0, "VHV_SET_MSRS refuses EFER.SVME");
	test_msr_values(vcpu);
}

static struct vhv_segment flat(uint8_t type, bool code64)
{
	return (struct vhv_segment) {
		.base = 0, .limit = 0xffffffff, .selector = code64 ? 8 : 16,
		.type = type, .present = 1, .s = 1, .l = code64, .db = !code64,
		.g = 1,
	};
}

static struct vhv_sregs long_mode_sregs(void)
{
	struct vhv_sregs s = { 0 };

	s.cs = flat(0xb, true);
	s.ds = s.es = s.fs = s.gs = s.ss = flat(0x3, false);
	s.tr = (struct vhv_segment) { .limit = 0x67, .type = 0xb, .present = 1 };
	s.ldt = (struct vhv_segment) { .type = 2, .unusable = 1 };
	s.gdt = (struct vhv_dtable) { .base = 0x1000, .limit = 0x17 };
	s.idt = (struct vhv_dtable) { .base = 0x2000, .limit = 0xfff };
	s.cr0 = 0x80050033;	/* PG WP NE ET MP PE */
	s.cr3 = 0x3000;
	s.cr4 = 0x20;		/* PAE */
	s.efer = 0x500;		/* LME LMA */
	s.apic_base = 0xfee00900;
	return s;
}

/*
 * Mutates a valid long-mode state in one invalid field; NULL past the end.
 * (Invalid combinations of valid fields are refused at entry instead:
 * run_test checks those.)
 */
static const char *bad_sregs(unsigned int i, struct vhv_sregs *s)
{
	switch (i) {
	case 0: s->reserved[0] = 1; return "reserved[0] set";
	case 1: s->reserved[7] = 1; return "reserved[7] set";
	case 2: s->ds.pad = 1; return "segment pad set";
	case 3: s->ds.type = 16; return "segment type 16";
	case 4: s->ss.dpl = 4; return "segment dpl 4";
	case 5: s->es.present = 2; return "segment present = 2";
	case 6: s->gdt.pad[1] = 1; return "GDT pad set";
	case 7: s->cr0 |= 1ull << 32; return "CR0 bit 32";
	case 8: s->cr0 |= 1ull << 6; return "CR0 bit 6 (reserved)";
	case 9: s->cr4 |= 1ull << 13; return "CR4.VMXE";
	case 10: s->cr4 |= 1ull << 63; return "CR4 bit 63";
	case 11: s->efer |= 1ull << 12; return "EFER.SVME";
	case 12: s->efer |= 1ull << 1; return "EFER bit 1 (reserved)";
	case 13: s->cr8 = 16; return "CR8 = 16";
	case 14: s->cr3 = 1ull << 62; return "CR3 above the physical address width";
	case 15: s->apic_base |= 1ull << 9; return "APIC base bit 9 (reserved)";
	case 16: s->apic_base = 0xfee00400; return "x2APIC enabled with the APIC disabled";
	case 17: s->cs.unusable = 2; return "segment unusable = 2";
	default: return NULL;
	}
}

static void test_sregs_rejects(struct vcpu *vcpu)
{
	struct vhv_sregs s, before, after;
	const char *what;
	unsigned int i;

	TEST_OK(ioctl(vcpu->fd, VHV_GET_SREGS, &before), "VHV_GET_SREGS");
	for (i = 0; s = long_mode_sregs(), (what = bad_sregs(i, &s)); i++)
		TEST_ERRNO(ioctl(vcpu->fd, VHV_SET_SREGS, &s), EINVAL,
			   "VHV_SET_SREGS with %s", what);
	TEST_OK(ioctl(vcpu->fd, VHV_GET_SREGS, &after), "VHV_GET_SREGS");
	tap_result(!memcmp(&before, &after, sizeof(before)),
		   "rejected VHV_SET_SREGS calls changed nothing");
}

/* Names each field of two sregs that differ, as TAP comments. */
static void sregs_diff(const struct vhv_sregs *a, const struct vhv_sregs *b)
{
	static const char *const seg[] = { "cs", "ds", "es", "fs", "gs", "ss", "tr", "ldt" };
	const struct vhv_segment *sa = &a->cs, *sb = &b->cs;
	unsigned int i;

	for (i = 0; i < 8; i++)
		if (memcmp(&sa[i], &sb[i], sizeof(sa[i])))
			printf("# %s: set base %#llx limit %#x sel %#x type %u p %u dpl %u db %u s %u l %u g %u avl %u unusable %u; "
			       "read base %#llx limit %#x sel %#x type %u p %u dpl %u db %u s %u l %u g %u avl %u unusable %u\n",
			       seg[i], (unsigned long long)sa[i].base, sa[i].limit, sa[i].selector,
			       sa[i].type, sa[i].present, sa[i].dpl, sa[i].db, sa[i].s, sa[i].l,
			       sa[i].g, sa[i].avl, sa[i].unusable,
			       (unsigned long long)sb[i].base, sb[i].limit, sb[i].selector,
			       sb[i].type, sb[i].present, sb[i].dpl, sb[i].db, sb[i].s, sb[i].l,
			       sb[i].g, sb[i].avl, sb[i].unusable);
#define SREGS_DIFF(f)								\
	if (a->f != b->f)							\
		printf("# " #f ": set %#llx read %#llx\n",			\
		       (unsigned long long)a->f, (unsigned long long)b->f)
	SREGS_DIFF(gdt.base); SREGS_DIFF(gdt.limit);
	SREGS_DIFF(idt.base); SREGS_DIFF(idt.limit);
	SREGS_DIFF(cr0); SREGS_DIFF(cr2); SREGS_DIFF(cr3); SREGS_DIFF(cr4);
	SREGS_DIFF(cr8); SREGS_DIFF(efer); SREGS_DIFF(apic_base);
#undef SREGS_DIFF
}

static void test_sregs(struct vm *vm, struct vcpu *bsp)
{
	struct vhv_sregs s, back;
	struct vcpu *ap = vcpu_add(vm, 1);

	TEST_OK(ioctl(bsp->fd, VHV_GET_SREGS, &s), "VHV_GET_SREGS");
	tap_result(s.cs.selector == 0xf000 && s.cs.base == 0xffff0000 &&
		   s.cs.limit == 0xffff && s.cr0 == 0x60000010 && s.efer == 0 &&
		   s.idt.limit == 0xffff,
		   "reset state: CS f000:ffff0000, CR0 0x60000010, EFER 0");
	tap_result(s.apic_base == 0xfee00900,
		   "vCPU 0 is the BSP: APIC base 0xfee00900 (got %#llx)",
		   (unsigned long long)s.apic_base);
	TEST_OK(ioctl(ap->fd, VHV_GET_SREGS, &s), "VHV_GET_SREGS on vCPU 1");
	tap_result(s.apic_base == 0xfee00800,
		   "vCPU 1 is an AP: APIC base 0xfee00800 (got %#llx)",
		   (unsigned long long)s.apic_base);
	vcpu_free(ap);

	s = long_mode_sregs();
	TEST_OK(ioctl(bsp->fd, VHV_SET_SREGS, &s), "VHV_SET_SREGS to 64-bit long mode");
	TEST_OK(ioctl(bsp->fd, VHV_GET_SREGS, &back), "VHV_GET_SREGS");
	tap_result(!memcmp(&s, &back, sizeof(s)), "long-mode state reads back as set");
	sregs_diff(&s, &back);
	test_sregs_rejects(bsp);
}

static void test_other_process(struct vm *vm, struct vcpu *vcpu)
{
	pid_t pid = fork();
	int status, fd;

	TEST_REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		struct vhv_regs r;
		int bad = 0;

		bad |= !(ioctl(vm->fd, VHV_CREATE_VCPU, 9) == -1 && errno == EIO);
		bad |= !(ioctl(vm->fd, VHV_DELETE_MEMORY_SLOT, 0) == -1 && errno == EIO) << 1;
		bad |= !(ioctl(vcpu->fd, VHV_GET_REGS, &r) == -1 && errno == EIO) << 2;
		bad |= !(ioctl(vcpu->fd, VHV_RUN, 0) == -1 && errno == EIO) << 3;
		bad |= !(ioctl(vm->sys_fd, VHV_GET_API_VERSION, 0) == VHV_API_VERSION) << 4;
		close(vm->fd);
		close(vcpu->fd);
		_exit(bad);
	}
	TEST_REQUIRE(waitpid(pid, &status, 0) == pid, "waitpid");
	tap_result(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "a forked child gets EIO from VM and vCPU ioctls (mask %#x), "
		   "the system fd still works", WEXITSTATUS(status));
	fd = ioctl(vm->fd, VHV_CREATE_VCPU, 9);
	TEST_OK(fd, "the parent's VM still works after the child closed its copies");
	close(fd);
}

/* ---- interrupt state: VHV_GET/SET_IRQCHIP, _LAPIC, _VCPU_EVENTS ---------------- */

/* Sets a copy of good with one change; expects EINVAL. */
#define BAD_SET(fd, cmd, good, change, what)				\
	do {								\
		__typeof__(good) b = (good);				\
		change;							\
		TEST_ERRNO(ioctl(fd, cmd, &b), EINVAL, "%s: %s", #cmd, what); \
	} while (0)

static void test_irq_state_without_irqchip(void)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_add(vm, 0);
	struct vhv_irqchip_state s = { .chip = VHV_IRQCHIP_PIT };
	struct vhv_lapic_state l;
	struct vhv_vcpu_events ev;

	tap_result(vhv_cap(vm->fd, VHV_CAP_IRQCHIP_STATE) == can_run,
		   "VHV_CAP_IRQCHIP_STATE is %ld where guests run", can_run);
	TEST_ERRNO(ioctl(vm->fd, VHV_GET_IRQCHIP, &s), ENXIO, "VHV_GET_IRQCHIP without irqchip");
	TEST_ERRNO(ioctl(vm->fd, VHV_SET_IRQCHIP, &s), ENXIO, "VHV_SET_IRQCHIP without irqchip");
	s.chip = 5;
	TEST_ERRNO(ioctl(vm->fd, VHV_GET_IRQCHIP, &s), EINVAL, "VHV_GET_IRQCHIP chip 5");
	s.chip = 0x80000000;
	TEST_ERRNO(ioctl(vm->fd, VHV_GET_IRQCHIP, &s), EINVAL, "VHV_GET_IRQCHIP chip 2^31");
	s = (struct vhv_irqchip_state) { .chip = VHV_IRQCHIP_PIC_MASTER, .pad = 1 };
	TEST_ERRNO(ioctl(vm->fd, VHV_GET_IRQCHIP, &s), EINVAL, "VHV_GET_IRQCHIP pad");
	TEST_ERRNO(ioctl(vm->fd, VHV_SET_IRQCHIP, &s), EINVAL, "VHV_SET_IRQCHIP pad");
	TEST_ERRNO(ioctl(vm->fd, VHV_GET_IRQCHIP, NULL), EFAULT, "VHV_GET_IRQCHIP NULL");
	TEST_ERRNO(ioctl(vcpu->fd, VHV_GET_IRQCHIP, &s), ENOTTY, "VHV_GET_IRQCHIP on a vCPU fd");
	memset(&l, 0, sizeof(l));
	TEST_ERRNO(ioctl(vcpu->fd, VHV_GET_LAPIC, &l), ENXIO, "VHV_GET_LAPIC without irqchip");
	TEST_ERRNO(ioctl(vcpu->fd, VHV_SET_LAPIC, &l), ENXIO, "VHV_SET_LAPIC without irqchip");
	TEST_ERRNO(ioctl(vm->fd, VHV_GET_LAPIC, &l), ENOTTY, "VHV_GET_LAPIC on a VM fd");
	memset(&ev, 0, sizeof(ev));
	if (!can_run) {
		TEST_ERRNO(ioctl(vcpu->fd, VHV_GET_VCPU_EVENTS, &ev), EOPNOTSUPP,
			   "VHV_GET_VCPU_EVENTS where guests cannot run");
		TEST_ERRNO(ioctl(vcpu->fd, VHV_SET_VCPU_EVENTS, &ev), EOPNOTSUPP,
			   "VHV_SET_VCPU_EVENTS where guests cannot run");
	} else {
		TEST_OK(ioctl(vcpu->fd, VHV_GET_VCPU_EVENTS, &ev), "VHV_GET_VCPU_EVENTS without irqchip");
		BAD_SET(vcpu->fd, VHV_SET_VCPU_EVENTS, ev, b.init_pending = 1, "INIT without irqchip");
		BAD_SET(vcpu->fd, VHV_SET_VCPU_EVENTS, ev, (b.sipi_pending = 1, b.sipi_vector = 8),
			"SIPI without irqchip");
	}
	vcpu_free(vcpu);
	vm_free(vm);
}

static void test_irqchip_state_errors(struct vm *vm)
{
	struct vhv_irqchip_state pic = { .chip = VHV_IRQCHIP_PIC_MASTER };
	struct vhv_irqchip_state slave = { .chip = VHV_IRQCHIP_PIC_SLAVE };
	struct vhv_irqchip_state io = { .chip = VHV_IRQCHIP_IOAPIC };
	struct vhv_irqchip_state pit = { .chip = VHV_IRQCHIP_PIT };
	struct vhv_irqchip_state hpet = { .chip = VHV_IRQCHIP_HPET };
	int fd = vm->fd;

	TEST_OK(ioctl(fd, VHV_GET_IRQCHIP, &pic), "VHV_GET_IRQCHIP PIC master");
	TEST_OK(ioctl(fd, VHV_GET_IRQCHIP, &slave), "VHV_GET_IRQCHIP PIC slave");
	TEST_OK(ioctl(fd, VHV_GET_IRQCHIP, &io), "VHV_GET_IRQCHIP IOAPIC");
	TEST_OK(ioctl(fd, VHV_GET_IRQCHIP, &pit), "VHV_GET_IRQCHIP PIT");
	TEST_OK(ioctl(fd, VHV_SET_IRQCHIP, &pic), "VHV_SET_IRQCHIP PIC master as read");
	TEST_OK(ioctl(fd, VHV_SET_IRQCHIP, &io), "VHV_SET_IRQCHIP IOAPIC as read");
	TEST_OK(ioctl(fd, VHV_SET_IRQCHIP, &pit), "VHV_SET_IRQCHIP PIT as read");
	TEST_OK(ioctl(fd, VHV_GET_IRQCHIP, &hpet), "VHV_GET_IRQCHIP HPET");
	tap_result(hpet.hpet.capabilities == ((uint64_t)VHV_HPET_PERIOD_FS << 32 | VHV_HPET_ID),
		   "the HPET's state reads its capabilities (%#llx)",
		   (unsigned long long)hpet.hpet.capabilities);
	TEST_OK(ioctl(fd, VHV_SET_IRQCHIP, &hpet), "VHV_SET_IRQCHIP HPET as read");
	BAD_SET(fd, VHV_SET_IRQCHIP, hpet, b.hpet.capabilities ^= 1, "HPET capabilities");
	BAD_SET(fd, VHV_SET_IRQCHIP, hpet, b.hpet.reserved[15] = 1, "HPET reserved");
	tap_result(pit.pit.ch[0].count == 65536 && pit.pit.ch[2].gate == 0 && pit.pit.ch[0].gate,
		   "the PIT's reset state: counts of 65536, channel 2 gated off");

	BAD_SET(fd, VHV_SET_IRQCHIP, pic, b.chip = 5, "chip 5");
	BAD_SET(fd, VHV_SET_IRQCHIP, pic, b.data[sizeof(b.pic)] = 1, "union tail past the PIC");
	BAD_SET(fd, VHV_SET_IRQCHIP, pic, b.data[511] = 1, "last union byte");
	BAD_SET(fd, VHV_SET_IRQCHIP, pic, b.pic.reserved[1] = 1, "PIC reserved");
	BAD_SET(fd, VHV_SET_IRQCHIP, pic, b.pic.lowest_priority = 8, "PIC lowest_priority 8");
	BAD_SET(fd, VHV_SET_IRQCHIP, pic, b.pic.vector_base = 0x21, "PIC vector_base 0x21");
	BAD_SET(fd, VHV_SET_IRQCHIP, pic, b.pic.init_step = 1, "PIC init_step 1");
	BAD_SET(fd, VHV_SET_IRQCHIP, pic, (b.pic.init_step = 4, b.pic.icw4_needed = 0),
		"PIC init_step 4 without ICW4");
	BAD_SET(fd, VHV_SET_IRQCHIP, pic, (b.pic.init_step = 3, b.pic.single = 1),
		"PIC init_step 3 in single mode");
	BAD_SET(fd, VHV_SET_IRQCHIP, pic, b.pic.elcr = 0x01, "master ELCR bit 0 (IRQ 0 is edge only)");
	BAD_SET(fd, VHV_SET_IRQCHIP, slave, b.pic.elcr = 0x01, "slave ELCR bit 0 (IRQ 8)");
	BAD_SET(fd, VHV_SET_IRQCHIP, pic, b.pic.auto_eoi = 2, "PIC boolean 2");

	BAD_SET(fd, VHV_SET_IRQCHIP, io, b.data[sizeof(b.ioapic)] = 1, "union tail past the IOAPIC");
	BAD_SET(fd, VHV_SET_IRQCHIP, io, b.ioapic.id = 0x10000000, "IOAPIC id bit 28");
	BAD_SET(fd, VHV_SET_IRQCHIP, io, b.ioapic.ioregsel = 0x100, "IOAPIC ioregsel 0x100");
	BAD_SET(fd, VHV_SET_IRQCHIP, io, b.ioapic.asserted = 1u << 24, "IOAPIC pin 24 asserted");
	BAD_SET(fd, VHV_SET_IRQCHIP, io, b.ioapic.pad = 1, "IOAPIC pad");
	BAD_SET(fd, VHV_SET_IRQCHIP, io, b.ioapic.reserved[3] = 1, "IOAPIC reserved");
	BAD_SET(fd, VHV_SET_IRQCHIP, io, b.ioapic.redir[0] |= 1u << 12, "IOAPIC delivery status");
	BAD_SET(fd, VHV_SET_IRQCHIP, io, b.ioapic.redir[23] |= 1ull << 40, "IOAPIC entry bit 40");
	BAD_SET(fd, VHV_SET_IRQCHIP, io, b.ioapic.redir[3] = 1u << 14, "IOAPIC remote IRR on an edge pin");

	BAD_SET(fd, VHV_SET_IRQCHIP, pit, b.pit.pad[5] = 1, "PIT pad");
	BAD_SET(fd, VHV_SET_IRQCHIP, pit, b.pit.reserved[2] = 1, "PIT reserved");
	BAD_SET(fd, VHV_SET_IRQCHIP, pit, b.pit.speaker_data = 2, "PIT speaker_data 2");
	BAD_SET(fd, VHV_SET_IRQCHIP, pit, b.pit.ch[1].pad = 1, "PIT channel pad");
	BAD_SET(fd, VHV_SET_IRQCHIP, pit, b.pit.ch[1].reserved[0] = 1, "PIT channel reserved");
	BAD_SET(fd, VHV_SET_IRQCHIP, pit, b.pit.ch[0].count = 0, "PIT count 0");
	BAD_SET(fd, VHV_SET_IRQCHIP, pit, b.pit.ch[0].count_register = 65537, "PIT count register 65537");
	BAD_SET(fd, VHV_SET_IRQCHIP, pit, b.pit.ch[2].mode = 6, "PIT mode 6");
	BAD_SET(fd, VHV_SET_IRQCHIP, pit, b.pit.ch[2].access = 0, "PIT access 0");
	BAD_SET(fd, VHV_SET_IRQCHIP, pit, b.pit.ch[1].gate = 0, "PIT channel 1 gate low");
	BAD_SET(fd, VHV_SET_IRQCHIP, pit, (b.pit.ch[0].armed = 0, b.pit.ch[0].paused = 1),
		"PIT paused, not armed");
	BAD_SET(fd, VHV_SET_IRQCHIP, pit, (b.pit.ch[0].armed = 0, b.pit.ch[0].load_elapsed_ns = 5),
		"PIT elapsed time, not armed");
	BAD_SET(fd, VHV_SET_IRQCHIP, pit, (b.pit.ch[0].pending = 0, b.pit.ch[0].pending_at_gate = 1),
		"PIT pending_at_gate without pending");
	BAD_SET(fd, VHV_SET_IRQCHIP, pit, (b.pit.ch[0].pending = 0, b.pit.ch[0].pending_ns = 5),
		"PIT pending_ns without pending");
	BAD_SET(fd, VHV_SET_IRQCHIP, pit, (b.pit.ch[0].armed = 1, b.pit.ch[0].mode = 2,
					   b.pit.ch[0].pending = 1, b.pit.ch[0].paused = 0,
					   b.pit.ch[0].pending_ns = 60000000), "PIT pending in 60 ms");
	BAD_SET(fd, VHV_SET_IRQCHIP, pit, (b.pit.ch[0].access = 1, b.pit.ch[0].write_msb_next = 1),
		"PIT MSB awaited in LSB-only access");
	BAD_SET(fd, VHV_SET_IRQCHIP, pit, b.pit.ch[0].null_count = 7, "PIT boolean 7");
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void test_lapic_state_errors(struct vcpu *vcpu)
{
	struct vhv_lapic_state l, x2;
	int fd = vcpu->fd;

	TEST_OK(ioctl(fd, VHV_GET_LAPIC, &l), "VHV_GET_LAPIC");
	TEST_OK(ioctl(fd, VHV_SET_LAPIC, &l), "VHV_SET_LAPIC as read");
	tap_result((l.apic_base & ~0xfffull) == 0xfee00000 && l.regs[0x23] == 0 &&
		   l.regs[0x30] == 0x14, "VHV_GET_LAPIC: base, ID 0, version 0x14");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.reserved[5] = 1, "reserved");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.flags = 2, "unknown flag");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.esr_pending = 1, "ESR bit 0");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.apic_base |= 1ull << 60, "base above the physical width");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.apic_base |= 1, "base bit 0");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.apic_base = (b.apic_base & ~(1ull << 11)) | 1 << 10,
		"x2APIC without enable");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.regs[0x24] = 1, "a byte beyond a register");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.regs[0x40] = 1, "a byte where no register is");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.regs[0x20] = 1, "xAPIC ID bit 0");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.regs[0x81] = 1, "TPR bit 8");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.regs[0xe0] = 0, "DFR bits 7:0 clear");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.regs[0xf1] = 4, "SVR bit 10");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.regs[0x200] = 1, "IRR vector 0");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.regs[0x101] = 0x80, "ISR vector 15");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.regs[0x302] = 0x10, "ICR bit 20");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.regs[0x322] = 0x08, "LVT timer bit 19");
	BAD_SET(fd, VHV_SET_LAPIC, l, b.regs[0x3e0] = 0x04, "TDCR bit 2");
	BAD_SET(fd, VHV_SET_LAPIC, l, (b.flags = 0, b.timer_remaining_ns = 1),
		"timer remaining without ARMED");
	BAD_SET(fd, VHV_SET_LAPIC, l, (b.flags = 1, b.timer_period_ns = 1000000),
		"a one-shot timer with a period");
	BAD_SET(fd, VHV_SET_LAPIC, l, (b.flags = 1, b.timer_remaining_ns = 1ull << 40),
		"timer remaining 2^40 ns");
	BAD_SET(fd, VHV_SET_LAPIC, l, (b.flags = 1, put32(&b.regs[0x320], 0x20040),
				       b.timer_period_ns = 1000), "periodic timer of 1 us");
	BAD_SET(fd, VHV_SET_LAPIC, l, (b.flags = 1, put32(&b.regs[0x320], 0x40040)),
		"ARMED in TSC-deadline mode");
	/* x2APIC: the ID's LDR, 8-bit ids. */
	x2 = l;
	x2.apic_base |= 1 << 10;
	put32(&x2.regs[0xd0], 1);		/* LDR of ID 0: cluster 0, bit 0 */
	put32(&x2.regs[0xe0], 0xffffffff);
	TEST_OK(ioctl(fd, VHV_SET_LAPIC, &x2), "VHV_SET_LAPIC in x2APIC mode");
	BAD_SET(fd, VHV_SET_LAPIC, x2, put32(&b.regs[0xd0], 2), "x2APIC LDR unlike its ID");
	BAD_SET(fd, VHV_SET_LAPIC, x2, (put32(&b.regs[0x20], 0x100), put32(&b.regs[0xd0], 0x100001)),
		"x2APIC ID 256");
	TEST_OK(ioctl(fd, VHV_SET_LAPIC, &l), "back to xAPIC mode");
}

static void test_events_errors(struct vcpu *vcpu)
{
	struct vhv_vcpu_events ev;
	int fd = vcpu->fd;

	TEST_OK(ioctl(fd, VHV_GET_VCPU_EVENTS, &ev), "VHV_GET_VCPU_EVENTS");
	TEST_OK(ioctl(fd, VHV_SET_VCPU_EVENTS, &ev), "VHV_SET_VCPU_EVENTS as read");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, b.pad[6] = 1, "pad");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, b.reserved[0] = 1, "reserved");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, b.nmi_masked = 2, "boolean 2");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, b.injected.valid = 2, "valid 2");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, b.injected.vector = 5, "a vector in an empty slot");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, (b.injected.valid = 1, b.injected.type = 1),
		"event type 1");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, (b.injected.valid = 1, b.injected.type = 200),
		"event type 200");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, (b.injected.valid = 1,
					      b.injected.type = VHV_EVENT_NMI, b.injected.vector = 2),
		"NMI with a vector");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, (b.injected.valid = 1,
					      b.injected.type = VHV_EVENT_EXTINT,
					      b.injected.has_error_code = 1),
		"EXTINT with an error code");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, (b.injected.valid = 1,
					      b.injected.type = VHV_EVENT_EXCEPTION,
					      b.injected.vector = 32), "exception 32");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, (b.raised.valid = 1,
					      b.raised.type = VHV_EVENT_EXCEPTION, b.raised.vector = 2),
		"exception 2");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, (b.raised.valid = 1,
					      b.raised.type = VHV_EVENT_EXCEPTION, b.raised.vector = 6,
					      b.raised.has_error_code = 1), "#UD with an error code");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, (b.raised.valid = 1,
					      b.raised.type = VHV_EVENT_EXCEPTION, b.raised.vector = 6,
					      b.raised.error_code = 1), "an error code not flagged");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, (b.raised.valid = 1, b.raised.type = VHV_EVENT_NMI),
		"an NMI raised by emulation");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, (b.displaced.valid = 1,
					      b.displaced.type = VHV_EVENT_EXCEPTION,
					      b.displaced.vector = 6), "an exception displaced");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, (b.raised.valid = 1,
					      b.raised.type = VHV_EVENT_EXCEPTION, b.raised.vector = 6,
					      b.injected.valid = 1,
					      b.injected.type = VHV_EVENT_EXCEPTION,
					      b.injected.vector = 0), "raised beside an injected exception");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, (b.displaced.valid = 1,
					      b.displaced.type = VHV_EVENT_NMI,
					      b.injected.valid = 1,
					      b.injected.type = VHV_EVENT_EXTINT,
					      b.injected.vector = 40), "an NMI displaced beside an injected EXTINT");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, (b.displaced.valid = 1,
					      b.displaced.type = VHV_EVENT_EXTINT,
					      b.displaced.vector = 40), "an EXTINT displaced behind nothing");
	/* What a vCPU does get into is taken. */
	{
		struct vhv_vcpu_events g = ev;

		g.raised = (struct vhv_event_state){ .valid = 1, .type = VHV_EVENT_EXCEPTION, .vector = 6 };
		g.injected = (struct vhv_event_state){ .valid = 1, .type = VHV_EVENT_EXTINT, .vector = 40 };
		TEST_OK(ioctl(fd, VHV_SET_VCPU_EVENTS, &g), "VHV_SET_VCPU_EVENTS: raised #UD, EXTINT injected");
		g.injected = (struct vhv_event_state){ .valid = 1, .type = VHV_EVENT_EXCEPTION, .vector = 6 };
		g.raised = (struct vhv_event_state){ 0 };
		g.displaced = (struct vhv_event_state){ .valid = 1, .type = VHV_EVENT_EXTINT, .vector = 40 };
		TEST_OK(ioctl(fd, VHV_SET_VCPU_EVENTS, &g), "VHV_SET_VCPU_EVENTS: #UD injected, EXTINT displaced");
		g.injected = (struct vhv_event_state){ 0 };
		g.raised = (struct vhv_event_state){ .valid = 1, .type = VHV_EVENT_EXCEPTION, .vector = 6 };
		g.displaced = (struct vhv_event_state){ .valid = 1, .type = VHV_EVENT_NMI };
		g.nmi_masked = 1;
		TEST_OK(ioctl(fd, VHV_SET_VCPU_EVENTS, &g), "VHV_SET_VCPU_EVENTS: raised #UD, NMI displaced");
		TEST_OK(ioctl(fd, VHV_SET_VCPU_EVENTS, &ev), "VHV_SET_VCPU_EVENTS: back as read");
	}
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, (b.queued.valid = 1,
					      b.queued.type = VHV_EVENT_EXTINT, b.queued.vector = 40),
		"EXTINT in the exception queue");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, (b.queued.valid = 1,
					      b.queued.type = VHV_EVENT_EXCEPTION, b.queued.vector = 13),
		"queued #GP without its error code");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, (b.extint_pending = 1, b.extint_vector = 31),
		"pending EXTINT vector 31");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, b.extint_vector = 40, "EXTINT vector, not pending");
	BAD_SET(fd, VHV_SET_VCPU_EVENTS, ev, b.sipi_vector = 8, "SIPI vector, not pending");
}

/*
 * An IN exit waits for userspace's data: the events refuse until VHV_RUN
 * with immediate_exit takes it (and returns EINTR without entering).
 */
static void test_events_busy(void)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_add(vm, 0);
	/* in $0x80, %al; hlt */
	static const uint8_t code[] = { 0xe4, 0x80, 0xf4 };
	uint8_t *low = vm_add_ram(vm, 0, 1 << 20);
	struct vhv_vcpu_events ev = { 0 };
	struct vhv_regs r;

	memcpy(low + 0x1000, code, sizeof(code));
	vcpu_setup_real_mode(vcpu, 0, 0x1000);
	vcpu_run(vcpu);
	TEST_REQUIRE(vcpu->run->exit_reason == VHV_EXIT_IO, "IN exit");
	TEST_ERRNO(ioctl(vcpu->fd, VHV_GET_VCPU_EVENTS, &ev), EBUSY,
		   "VHV_GET_VCPU_EVENTS while an IN waits for its data");
	TEST_ERRNO(ioctl(vcpu->fd, VHV_SET_VCPU_EVENTS, &ev), EBUSY,
		   "VHV_SET_VCPU_EVENTS while an IN waits for its data");
	((uint8_t *)vcpu->run)[vcpu->run->io.data_offset] = 0x5a;
	vcpu->run->immediate_exit = 1;
	TEST_ERRNO(__vcpu_run(vcpu), EINTR, "VHV_RUN with immediate_exit after the IN");
	vcpu->run->immediate_exit = 0;
	r = vcpu_regs(vcpu);
	tap_result((r.rax & 0xff) == 0x5a && r.rip == 0x1002,
		   "immediate_exit completed the IN first (al %#llx, ip %#llx)",
		   (unsigned long long)(r.rax & 0xff), (unsigned long long)r.rip);
	TEST_OK(ioctl(vcpu->fd, VHV_GET_VCPU_EVENTS, &ev), "VHV_GET_VCPU_EVENTS after that");
	vcpu_free(vcpu);
	vm_free(vm);
}

static void test_irq_state(void)
{
	struct vm *vm;
	struct vcpu *vcpu;

	test_irq_state_without_irqchip();
	if (!can_run)
		return;
	vm = vm_create();
	TEST_REQUIRE(ioctl(vm->fd, VHV_CREATE_IRQCHIP, 0) == 0, "VHV_CREATE_IRQCHIP");
	vcpu = vcpu_add(vm, 0);
	test_irqchip_state_errors(vm);
	test_lapic_state_errors(vcpu);
	test_events_errors(vcpu);
	vcpu_free(vcpu);
	vm_free(vm);
	test_events_busy();
}

int main(void)
{
	int sys = vhv_open();
	struct vm *vm;
	struct vcpu *vcpu;
	char *mem;

	test_system_fd(sys);
	vm = vm_create();
	vcpu = vcpu_add(vm, 0);
	mem = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_REQUIRE(mem != MAP_FAILED, "mmap");

	test_wrong_fd_types(vm, vcpu);
	test_slot_arguments(vm, mem);
	test_slot_overlap_and_replace(vm, mem);
	test_slot_backing(vm);
	test_slot_limit();
	test_vcpu_creation();
	test_run_area(vm, vcpu);
	test_regs(vcpu);
	test_msrs_everywhere(vcpu);
	test_sregs(vm, vcpu);
	test_other_process(vm, vcpu);
	test_irq_state();

	vcpu_free(vcpu);
	vm_free(vm);
	close(sys);
	return tap_done();
}
