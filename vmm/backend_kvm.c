// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/kvm backend: KVM with its in-kernel irqchip and PIT, so that
 * libvmm can be checked against a known-good hypervisor.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/internal.h"
#include "vmm/x86_cpuid.h"

/* KVM's register structs have vhv's layout: copy them whole. */
_Static_assert(sizeof(struct kvm_regs) == sizeof(struct vhv_regs), "regs");
_Static_assert(sizeof(struct kvm_segment) == sizeof(struct vhv_segment),
	       "segment");
_Static_assert(offsetof(struct kvm_segment, unusable) ==
	       offsetof(struct vhv_segment, unusable), "segment layout");
_Static_assert(offsetof(struct kvm_dtable, limit) ==
	       offsetof(struct vhv_dtable, limit), "dtable");

/* Where KVM may put the real-mode TSS and identity map (Intel only). */
#define KVM_TSS_ADDR		0xfffbd000ull
#define KVM_IDENTITY_MAP_ADDR	0xfffbc000ull

/* What kvm_vm_create() needs of /dev/kvm, without making a VM. */
void vmm_kvm_probe(struct vmm_backend_probe *p)
{
	int fd, v;

	memset(p, 0, sizeof(*p));
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		p->err = -errno;
		snprintf(p->why, sizeof(p->why), "/dev/kvm: %s",
			 errno == ENOENT ? "no such device" : strerror(errno));
		vmm_backend_open_advice(VMM_BACKEND_KVM, "/dev/kvm", p->err,
					p->hint, sizeof(p->hint));
		return;
	}
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		p->err = -ENOTSUP;
		snprintf(p->why, sizeof(p->why), "/dev/kvm: API version %d, need %d",
			 v, KVM_API_VERSION);
	} else if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0 ||
		   ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_PIT2) <= 0 ||
		   ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
		p->err = -ENOTSUP;
		snprintf(p->why, sizeof(p->why),
			 "/dev/kvm lacks the in-kernel irqchip, PIT or immediate_exit");
	} else {
		p->irqchip = true;
	}
	close(fd);
}

static int kvm_vm_create(struct vmm_vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	uint64_t ident = KVM_IDENTITY_MAP_ADDR;
	int v;

	vm->sys_fd = vmm_backend_open_device(vm, VMM_BACKEND_KVM, "/dev/kvm");
	if (vm->sys_fd < 0)
		return vm->sys_fd;
	v = ioctl(vm->sys_fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION)
		return vmm_set_error(vm, -ENOTSUP,
				     "/dev/kvm: API version %d, need %d", v,
				     KVM_API_VERSION);
	if (ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0 ||
	    ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_PIT2) <= 0 ||
	    ioctl(vm->sys_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		return vmm_set_error(vm, -ENOTSUP,
				     "/dev/kvm lacks the in-kernel irqchip, PIT or immediate_exit");
	vm->vm_fd = ioctl(vm->sys_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return vmm_set_error(vm, -errno, "KVM_CREATE_VM: %s",
				     strerror(errno));
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0 ||
	    ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &ident) < 0)
		return vmm_set_error(vm, -errno, "KVM TSS/identity map: %s",
				     strerror(errno));
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return vmm_set_error(vm, -errno, "KVM_CREATE_IRQCHIP: %s",
				     strerror(errno));
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return vmm_set_error(vm, -errno, "KVM_CREATE_PIT2: %s",
				     strerror(errno));
	vm->caps.irqchip = true;
	vm->caps.msi = ioctl(vm->sys_fd, KVM_CHECK_EXTENSION,
			     KVM_CAP_SIGNAL_MSI) > 0;
	return 0;
}

static int kvm_vcpu_create(struct vmm_vcpu *vcpu)
{
	return vmm_backend_vcpu_open(vcpu, KVM_GET_VCPU_MMAP_SIZE, KVM_CREATE_VCPU,
				     sizeof(struct kvm_run), "KVM");
}

static int kvm_set_memory(struct vmm_vm *vm, uint32_t slot, uint64_t gpa,
			  uint64_t size, void *hva)
{
	struct kvm_userspace_memory_region m = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &m) < 0)
		return vmm_set_error(vm, -errno,
				     "KVM_SET_USER_MEMORY_REGION slot %u: %s",
				     slot, strerror(errno));
	return 0;
}

static int kvm_setup_cpuid(struct vmm_vcpu *vcpu)
{
	struct vmm_vm *vm = vcpu->vm;
	struct kvm_cpuid2 *c;
	int nent = 256, r;

	for (;;) {
		c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
		if (!c)
			return vmm_set_error(vm, -ENOMEM, "CPUID: out of memory");
		c->nent = nent;
		if (ioctl(vm->sys_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			break;
		r = -errno;
		free(c);
		if (r != -E2BIG || nent >= 4096)
			return vmm_set_error(vm, r, "KVM_GET_SUPPORTED_CPUID: %s",
					     strerror(-r));
		nent *= 2;
	}
	for (r = 0; r < (int)c->nent; r++) {
		struct kvm_cpuid_entry2 *e = &c->entries[r];

		vmm_cpuid_topology(e->function, e->index, &e->eax, &e->ebx,
				   &e->ecx, &e->edx, vcpu->id, vm->nr_vcpus);
	}
	r = ioctl(vcpu->fd, KVM_SET_CPUID2, c);
	free(c);
	if (r < 0)
		return vmm_set_error(vm, -errno, "KVM_SET_CPUID2: %s",
				     strerror(errno));
	return 0;
}

static int kvm_vcpu_run(struct vmm_vcpu *vcpu, struct vmm_exit *exit)
{
	struct vmm_vm *vm = vcpu->vm;
	struct kvm_run *run = vcpu->run;

	if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			exit->kind = VMM_EXIT_INTR;
			return 0;
		}
		return vmm_set_error(vm, -errno, "KVM_RUN: %s", strerror(errno));
	}
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		if (!vmm_exit_io(vcpu, exit, run->io.port, run->io.size,
				 run->io.direction == KVM_EXIT_IO_OUT,
				 run->io.count, run->io.data_offset))
			goto bad;
		return 0;
	case KVM_EXIT_MMIO:
		exit->kind = VMM_EXIT_MMIO;
		exit->mmio.gpa = run->mmio.phys_addr;
		exit->mmio.data = run->mmio.data;
		exit->mmio.len = run->mmio.len;
		exit->mmio.write = run->mmio.is_write;
		if (run->mmio.len > sizeof(run->mmio.data))
			goto bad;
		return 0;
	case KVM_EXIT_HLT:
		exit->kind = VMM_EXIT_HLT;
		return 0;
	case KVM_EXIT_SHUTDOWN:
		exit->kind = VMM_EXIT_SHUTDOWN;
		return 0;
	case KVM_EXIT_INTR:
		exit->kind = VMM_EXIT_INTR;
		return 0;
	case KVM_EXIT_SYSTEM_EVENT:
		switch (run->system_event.type) {
		case KVM_SYSTEM_EVENT_SHUTDOWN:
			exit->kind = VMM_EXIT_POWEROFF;
			return 0;
		case KVM_SYSTEM_EVENT_RESET:
			exit->kind = VMM_EXIT_RESET;
			return 0;
		case KVM_SYSTEM_EVENT_CRASH:
			exit->kind = VMM_EXIT_SHUTDOWN;
			return 0;
		}
		break;
	case KVM_EXIT_FAIL_ENTRY:
		vmm_set_error(vm, 0, "KVM could not enter the guest: hardware reason 0x%llx",
			      (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		exit->kind = VMM_EXIT_FAIL;
		return 0;
	case KVM_EXIT_INTERNAL_ERROR:
		vmm_set_error(vm, 0, "KVM internal error, suberror %u",
			      run->internal.suberror);
		exit->kind = VMM_EXIT_FAIL;
		return 0;
	}
bad:
	vmm_set_error(vm, 0, "unexpected KVM exit %u", run->exit_reason);
	exit->kind = VMM_EXIT_FAIL;
	return 0;
}

static void kvm_vcpu_kick(struct vmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (run)
		__atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
}

static int kvm_get_regs(struct vmm_vcpu *vcpu, struct vhv_regs *regs)
{
	if (ioctl(vcpu->fd, KVM_GET_REGS, regs) < 0)
		return vmm_set_error(vcpu->vm, -errno, "KVM_GET_REGS: %s",
				     strerror(errno));
	return 0;
}

static int kvm_set_regs(struct vmm_vcpu *vcpu, const struct vhv_regs *regs)
{
	if (ioctl(vcpu->fd, KVM_SET_REGS, regs) < 0)
		return vmm_set_error(vcpu->vm, -errno, "KVM_SET_REGS: %s",
				     strerror(errno));
	return 0;
}

static int kvm_get_sregs(struct vmm_vcpu *vcpu, struct vhv_sregs *s)
{
	struct kvm_sregs k;

	if (ioctl(vcpu->fd, KVM_GET_SREGS, &k) < 0)
		return vmm_set_error(vcpu->vm, -errno, "KVM_GET_SREGS: %s",
				     strerror(errno));
	memset(s, 0, sizeof(*s));
	memcpy(&s->cs, &k.cs, sizeof(s->cs));
	memcpy(&s->ds, &k.ds, sizeof(s->ds));
	memcpy(&s->es, &k.es, sizeof(s->es));
	memcpy(&s->fs, &k.fs, sizeof(s->fs));
	memcpy(&s->gs, &k.gs, sizeof(s->gs));
	memcpy(&s->ss, &k.ss, sizeof(s->ss));
	memcpy(&s->tr, &k.tr, sizeof(s->tr));
	memcpy(&s->ldt, &k.ldt, sizeof(s->ldt));
	s->gdt.base = k.gdt.base;
	s->gdt.limit = k.gdt.limit;
	s->idt.base = k.idt.base;
	s->idt.limit = k.idt.limit;
	s->cr0 = k.cr0;
	s->cr2 = k.cr2;
	s->cr3 = k.cr3;
	s->cr4 = k.cr4;
	s->cr8 = k.cr8;
	s->efer = k.efer;
	s->apic_base = k.apic_base;
	return 0;
}

static int kvm_set_sregs(struct vmm_vcpu *vcpu, const struct vhv_sregs *s)
{
	struct kvm_sregs k;

	/* Keeps KVM's pending-interrupt bitmap as it is. */
	if (ioctl(vcpu->fd, KVM_GET_SREGS, &k) < 0)
		return vmm_set_error(vcpu->vm, -errno, "KVM_GET_SREGS: %s",
				     strerror(errno));
	memcpy(&k.cs, &s->cs, sizeof(k.cs));
	memcpy(&k.ds, &s->ds, sizeof(k.ds));
	memcpy(&k.es, &s->es, sizeof(k.es));
	memcpy(&k.fs, &s->fs, sizeof(k.fs));
	memcpy(&k.gs, &s->gs, sizeof(k.gs));
	memcpy(&k.ss, &s->ss, sizeof(k.ss));
	memcpy(&k.tr, &s->tr, sizeof(k.tr));
	memcpy(&k.ldt, &s->ldt, sizeof(k.ldt));
	k.gdt.base = s->gdt.base;
	k.gdt.limit = s->gdt.limit;
	k.idt.base = s->idt.base;
	k.idt.limit = s->idt.limit;
	k.cr0 = s->cr0;
	k.cr2 = s->cr2;
	k.cr3 = s->cr3;
	k.cr4 = s->cr4;
	k.cr8 = s->cr8;
	k.efer = s->efer;
	k.apic_base = s->apic_base;
	if (ioctl(vcpu->fd, KVM_SET_SREGS, &k) < 0)
		return vmm_set_error(vcpu->vm, -errno, "KVM_SET_SREGS: %s",
				     strerror(errno));
	return 0;
}

static int kvm_irq_set(struct vmm_vm *vm, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = !!level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq) < 0)
		return -errno;
	return 0;
}

static int kvm_msi_send(struct vmm_vm *vm, uint64_t addr, uint32_t data)
{
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};

	/* 0: the guest masked or blocked it; >0: delivered. */
	if (ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
		return -errno;
	return 0;
}

static int kvm_ioeventfd(struct vmm_vm *vm, enum vmm_space space,
			 uint64_t addr, uint32_t size, int fd, bool assign)
{
	struct kvm_ioeventfd e = {
		.addr = addr,
		.len = size,
		.fd = fd,
		.flags = (space == VMM_SPACE_PIO ? KVM_IOEVENTFD_FLAG_PIO : 0) |
			 (assign ? 0 : KVM_IOEVENTFD_FLAG_DEASSIGN),
	};

	if (ioctl(vm->vm_fd, KVM_IOEVENTFD, &e) < 0)
		return -errno;
	return 0;
}

const struct vmm_backend_ops vmm_backend_kvm = {
	.name = "kvm",
	.vm_create = kvm_vm_create,
	.vm_destroy = vmm_backend_vm_close,
	.set_memory = kvm_set_memory,
	.vcpu_create = kvm_vcpu_create,
	.vcpu_destroy = vmm_backend_vcpu_close,
	.vcpu_run = kvm_vcpu_run,
	.vcpu_kick = kvm_vcpu_kick,
	.get_regs = kvm_get_regs,
	.set_regs = kvm_set_regs,
	.get_sregs = kvm_get_sregs,
	.set_sregs = kvm_set_sregs,
	.setup_cpuid = kvm_setup_cpuid,
	.irq_set = kvm_irq_set,
	.msi_send = kvm_msi_send,
	.ioeventfd = kvm_ioeventfd,
	.vcpu_run_ioctl = KVM_RUN,
	/* Interrupts, and doorbells that follow a BAR the guest moves. */
	.vm_ioctls = (const unsigned long[]){ KVM_IRQ_LINE, KVM_SIGNAL_MSI,
					      KVM_IOEVENTFD, 0 },
};
