// SPDX-License-Identifier: GPL-2.0
/* The /dev/vhv backend: vhv.ko, the product. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/internal.h"
#include "vmm/x86_cpuid.h"

/* What vhv_vm_create() needs of /dev/vhv: a VM made and dropped. */
void vmm_vhv_probe(struct vmm_backend_probe *p)
{
	int fd, v;

	memset(p, 0, sizeof(*p));
	fd = open("/dev/vhv", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		p->err = -errno;
		snprintf(p->why, sizeof(p->why), "/dev/vhv: %s",
			 errno == ENOENT ? "no such device" : strerror(errno));
		vmm_backend_open_advice(VMM_BACKEND_VHV, "/dev/vhv", p->err,
					p->hint, sizeof(p->hint));
		return;
	}
	v = ioctl(fd, VHV_GET_API_VERSION, 0);
	if (v != VHV_API_VERSION) {
		p->err = -ENOTSUP;
		snprintf(p->why, sizeof(p->why), "/dev/vhv: API version %d, need %d",
			 v, VHV_API_VERSION);
		snprintf(p->hint, sizeof(p->hint),
			 "load the vhv.ko built with this libvmm");
	} else if (ioctl(fd, VHV_CHECK_CAP, VHV_CAP_RUN) != 1) {
		p->err = -ENOTSUP;
		snprintf(p->why, sizeof(p->why),
			 "vhv.ko cannot run guests on this host (VHV_CAP_RUN is 0)");
	} else {
		/*
		 * The capabilities say what vhv.ko can do, not whether the
		 * CPU is free: another hypervisor may hold it (KVM from 6.12
		 * on enables the hardware when its module loads).  Making a
		 * VM is the only way to know.
		 */
		int vm = ioctl(fd, VHV_CREATE_VM, 0);

		if (vm < 0) {
			p->err = -errno;
			if (errno == EBUSY) {
				snprintf(p->why, sizeof(p->why),
					 "/dev/vhv: another hypervisor holds the CPU");
				snprintf(p->hint, sizeof(p->hint),
					 "unload kvm_amd/kvm_intel, or load kvm with enable_virt_at_load=0");
			} else
				snprintf(p->why, sizeof(p->why),
					 "/dev/vhv: VHV_CREATE_VM: %s",
					 strerror(errno));
		} else {
			close(vm);
			p->irqchip = ioctl(fd, VHV_CHECK_CAP, VHV_CAP_IRQCHIP) == 1;
		}
	}
	close(fd);
}

static int vhv_vm_create(struct vmm_vm *vm)
{
	int v;

	vm->sys_fd = vmm_backend_open_device(vm, VMM_BACKEND_VHV, "/dev/vhv");
	if (vm->sys_fd < 0)
		return vm->sys_fd;
	v = ioctl(vm->sys_fd, VHV_GET_API_VERSION, 0);
	if (v != VHV_API_VERSION)
		return vmm_set_error(vm, -ENOTSUP,
				     "/dev/vhv: API version %d, need %d (load the vhv.ko built with this libvmm)",
				     v, VHV_API_VERSION);
	if (ioctl(vm->sys_fd, VHV_CHECK_CAP, VHV_CAP_RUN) != 1)
		return vmm_set_error(vm, -ENOTSUP,
				     "vhv.ko cannot execute guests on this host yet (VHV_CAP_RUN is 0)");
	if ((unsigned int)ioctl(vm->sys_fd, VHV_CHECK_CAP, VHV_CAP_NR_VCPUS) <
	    vm->nr_vcpus)
		return vmm_set_error(vm, -EINVAL,
				     "vhv.ko supports fewer than %u vCPUs",
				     vm->nr_vcpus);
	vm->vm_fd = ioctl(vm->sys_fd, VHV_CREATE_VM, 0);
	if (vm->vm_fd < 0)
		return vmm_set_error(vm, -errno, "VHV_CREATE_VM: %s%s",
				     strerror(errno),
				     errno == EBUSY ? " (another hypervisor holds the CPU, see dmesg: unload kvm_amd/kvm_intel, or load kvm with enable_virt_at_load=0)" : "");
	/* Doorbells in the kernel need no irqchip: asked for on their own. */
	vm->backend_ioeventfd = ioctl(vm->sys_fd, VHV_CHECK_CAP, VHV_CAP_IOEVENTFD) > 0;
	vm->caps.irqchip = ioctl(vm->sys_fd, VHV_CHECK_CAP, VHV_CAP_IRQCHIP) > 0;
	vm->caps.msi = vm->caps.irqchip;
	if (vm->caps.irqchip && ioctl(vm->vm_fd, VHV_CREATE_IRQCHIP, 0) < 0)
		return vmm_set_error(vm, -errno, "VHV_CREATE_IRQCHIP: %s",
				     strerror(errno));
	/* The HPET comes with the irqchip where the module has one. */
	vm->hpet = vm->caps.irqchip &&
		   ioctl(vm->sys_fd, VHV_CHECK_CAP, VHV_CAP_HPET) > 0;
	return 0;
}

static int vhv_vcpu_create(struct vmm_vcpu *vcpu)
{
	return vmm_backend_vcpu_open(vcpu, VHV_GET_VCPU_MMAP_SIZE, VHV_CREATE_VCPU,
				     sizeof(struct vhv_run), "VHV");
}

static int vhv_set_memory(struct vmm_vm *vm, uint32_t slot, uint64_t gpa,
			  uint64_t size, void *hva)
{
	struct vhv_memory_slot m = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.size = size,
		.userspace_addr = (uintptr_t)hva,
	};

	if (ioctl(vm->vm_fd, VHV_SET_MEMORY_SLOT, &m) < 0)
		return vmm_set_error(vm, -errno, "VHV_SET_MEMORY_SLOT %u: %s",
				     slot, strerror(errno));
	return 0;
}

static int vhv_setup_cpuid(struct vmm_vcpu *vcpu)
{
	struct vmm_vm *vm = vcpu->vm;
	struct vhv_cpuid_entry *e;
	struct vhv_cpuid c = { .nent = VHV_MAX_CPUID_ENTRIES };
	unsigned int i;
	int r = 0;

	e = calloc(VHV_MAX_CPUID_ENTRIES, sizeof(*e));
	if (!e)
		return vmm_set_error(vm, -ENOMEM, "CPUID: out of memory");
	c.entries = (uintptr_t)e;
	if (ioctl(vcpu->fd, VHV_GET_CPUID, &c) < 0) {
		r = vmm_set_error(vm, -errno, "VHV_GET_CPUID: %s",
				  strerror(errno));
		goto out;
	}
	for (i = 0; i < c.nent; i++)
		vmm_cpuid_topology(e[i].function, e[i].index, &e[i].eax,
				   &e[i].ebx, &e[i].ecx, &e[i].edx, vcpu->id,
				   vm->nr_vcpus);
	if (ioctl(vcpu->fd, VHV_SET_CPUID, &c) < 0)
		r = vmm_set_error(vm, -errno, "VHV_SET_CPUID: %s",
				  strerror(errno));
out:
	free(e);
	return r;
}

static int vhv_exit_fail(struct vmm_vm *vm, struct vmm_exit *exit,
			 const struct vhv_run *run)
{
	const struct vhv_exit_internal *in = &run->internal;

	switch (run->exit_reason) {
	case VHV_EXIT_FAIL_ENTRY:
		vmm_set_error(vm, 0, "vhv could not enter the guest: check %u, hardware reason 0x%llx",
			      run->fail_entry.check,
			      (unsigned long long)run->fail_entry.hardware_reason);
		break;
	case VHV_EXIT_INTERNAL_ERROR:
		if (in->suberror == VHV_INTERNAL_EMULATION && in->ndata >= 5)
			vmm_set_error(vm, 0, "vhv cannot emulate the MMIO access at 0x%llx by RIP 0x%llx (bytes %016llx%016llx)",
				      (unsigned long long)in->data[0],
				      (unsigned long long)in->data[1],
				      (unsigned long long)in->data[4],
				      (unsigned long long)in->data[3]);
		else
			vmm_set_error(vm, 0, "vhv internal error %u (data 0x%llx 0x%llx)",
				      in->suberror,
				      (unsigned long long)in->data[0],
				      (unsigned long long)in->data[1]);
		break;
	default:
		vmm_set_error(vm, 0, "unexpected vhv exit %u", run->exit_reason);
		break;
	}
	exit->kind = VMM_EXIT_FAIL;
	return 0;
}

static int vhv_vcpu_run(struct vmm_vcpu *vcpu, struct vmm_exit *exit)
{
	struct vmm_vm *vm = vcpu->vm;
	struct vhv_run *run = vcpu->run;

	if (ioctl(vcpu->fd, VHV_RUN, 0) < 0) {
		if (errno == EINTR || errno == EAGAIN) {
			exit->kind = VMM_EXIT_INTR;
			return 0;
		}
		return vmm_set_error(vm, -errno, "VHV_RUN: %s", strerror(errno));
	}
	switch (run->exit_reason) {
	case VHV_EXIT_IO:
		if (!vmm_exit_io(vcpu, exit, run->io.port, run->io.size,
				 run->io.direction == VHV_IO_OUT,
				 run->io.count, run->io.data_offset))
			return vhv_exit_fail(vm, exit, run);
		return 0;
	case VHV_EXIT_MMIO:
		exit->kind = VMM_EXIT_MMIO;
		exit->mmio.gpa = run->mmio.phys_addr;
		exit->mmio.data = run->mmio.data;
		exit->mmio.len = run->mmio.len;
		exit->mmio.write = run->mmio.is_write;
		if (run->mmio.len > sizeof(run->mmio.data))
			return vhv_exit_fail(vm, exit, run);
		return 0;
	case VHV_EXIT_HLT:
		exit->kind = VMM_EXIT_HLT;
		return 0;
	case VHV_EXIT_SHUTDOWN:
		exit->kind = VMM_EXIT_SHUTDOWN;
		return 0;
	case VHV_EXIT_INTR:
		exit->kind = VMM_EXIT_INTR;
		return 0;
	case VHV_EXIT_IRQ_WINDOW_OPEN:
		exit->kind = VMM_EXIT_NONE;
		return 0;
	case VHV_EXIT_HYPERCALL:
		/*
		 * None are defined: the guest kernel sees -ENOSYS.  One from
		 * guest user mode is refused as such (-EPERM), so that when
		 * hypercalls exist no guest process can make one.
		 */
		run->hypercall.ret = run->hypercall.cpl ? (uint64_t)-EPERM :
							  (uint64_t)-ENOSYS;
		exit->kind = VMM_EXIT_NONE;
		return 0;
	case VHV_EXIT_MSR:
		/* An MSR nobody emulates: #GP, as on hardware without it. */
		run->msr.error = 1;
		exit->kind = VMM_EXIT_NONE;
		return 0;
	}
	return vhv_exit_fail(vm, exit, run);
}

static void vhv_vcpu_kick(struct vmm_vcpu *vcpu)
{
	struct vhv_run *run = vcpu->run;

	if (run)
		__atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
}

static int vhv_get_regs(struct vmm_vcpu *vcpu, struct vhv_regs *regs)
{
	if (ioctl(vcpu->fd, VHV_GET_REGS, regs) < 0)
		return vmm_set_error(vcpu->vm, -errno, "VHV_GET_REGS: %s",
				     strerror(errno));
	return 0;
}

static int vhv_set_regs(struct vmm_vcpu *vcpu, const struct vhv_regs *regs)
{
	if (ioctl(vcpu->fd, VHV_SET_REGS, regs) < 0)
		return vmm_set_error(vcpu->vm, -errno, "VHV_SET_REGS: %s",
				     strerror(errno));
	return 0;
}

static int vhv_get_sregs(struct vmm_vcpu *vcpu, struct vhv_sregs *sregs)
{
	if (ioctl(vcpu->fd, VHV_GET_SREGS, sregs) < 0)
		return vmm_set_error(vcpu->vm, -errno, "VHV_GET_SREGS: %s",
				     strerror(errno));
	return 0;
}

static int vhv_set_sregs(struct vmm_vcpu *vcpu, const struct vhv_sregs *sregs)
{
	if (ioctl(vcpu->fd, VHV_SET_SREGS, sregs) < 0)
		return vmm_set_error(vcpu->vm, -errno, "VHV_SET_SREGS: %s",
				     strerror(errno));
	return 0;
}

static int vhv_irq_set(struct vmm_vm *vm, uint32_t gsi, int level)
{
	struct vhv_irq_level l = { .gsi = gsi, .level = !!level };

	if (!vm->caps.irqchip)
		return -ENOTSUP;
	return ioctl(vm->vm_fd, VHV_IRQ_LINE, &l) < 0 ? -errno : 0;
}

static int vhv_msi_send(struct vmm_vm *vm, uint64_t addr, uint32_t data)
{
	struct vhv_msi msi = { .address = addr, .data = data };

	if (!vm->caps.irqchip)
		return -ENOTSUP;
	return ioctl(vm->vm_fd, VHV_SIGNAL_MSI, &msi) < 0 ? -errno : 0;
}

/*
 * A doorbell as a VHV_IOEVENTFD: the guest's kick signals the device's
 * eventfd in the kernel and the vCPU goes on.  -ENOTSUP on a module
 * without it: the bus then leaves the doorbell to the range's write
 * handler.
 */
static int vhv_ioeventfd(struct vmm_vm *vm, enum vmm_space space,
			 uint64_t addr, uint32_t size, int fd, bool assign)
{
	struct vhv_ioeventfd e = {
		.addr = addr,
		.len = size,
		.fd = fd,
		.flags = (space == VMM_SPACE_PIO ? VHV_IOEVENTFD_PIO : 0) |
			 (assign ? 0 : VHV_IOEVENTFD_DEASSIGN),
	};

	if (!vm->backend_ioeventfd)
		return -ENOTSUP;
	return ioctl(vm->vm_fd, VHV_IOEVENTFD, &e) < 0 ? -errno : 0;
}

const struct vmm_backend_ops vmm_backend_vhv = {
	.name = "vhv",
	.vm_create = vhv_vm_create,
	.vm_destroy = vmm_backend_vm_close,
	.set_memory = vhv_set_memory,
	.vcpu_create = vhv_vcpu_create,
	.vcpu_destroy = vmm_backend_vcpu_close,
	.vcpu_run = vhv_vcpu_run,
	.vcpu_kick = vhv_vcpu_kick,
	.get_regs = vhv_get_regs,
	.set_regs = vhv_set_regs,
	.get_sregs = vhv_get_sregs,
	.set_sregs = vhv_set_sregs,
	.setup_cpuid = vhv_setup_cpuid,
	.irq_set = vhv_irq_set,
	.msi_send = vhv_msi_send,
	.ioeventfd = vhv_ioeventfd,
	.vcpu_run_ioctl = VHV_RUN,
	/* Interrupts, and doorbells that follow a BAR the guest moves. */
	.vm_ioctls = (const unsigned long[]){ VHV_IRQ_LINE, VHV_SIGNAL_MSI,
					      VHV_IOEVENTFD, 0 },
};
