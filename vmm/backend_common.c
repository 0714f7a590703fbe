// SPDX-License-Identifier: GPL-2.0
/*
 * What the vhv and KVM backends do alike: vCPU fds with a run area, I/O
 * exits, closing; and vmm_backend_pick(), which probes both.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/boot.h"
#include "vmm/internal.h"

int vmm_backend_vcpu_open(struct vmm_vcpu *vcpu, unsigned long mmap_size_ioctl,
			  unsigned long create_ioctl, size_t min_run_size,
			  const char *prefix)
{
	struct vmm_vm *vm = vcpu->vm;
	int size;

	size = ioctl(vm->sys_fd, mmap_size_ioctl, 0);
	if (size < (int)min_run_size)
		return vmm_set_error(vm, -EIO, "%s_GET_VCPU_MMAP_SIZE: %s",
				     prefix, strerror(errno));
	vcpu->fd = ioctl(vm->vm_fd, create_ioctl, vcpu->id);
	if (vcpu->fd < 0)
		return vmm_set_error(vm, -errno, "%s_CREATE_VCPU %u: %s",
				     prefix, vcpu->id, strerror(errno));
	vcpu->run = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			 vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		return vmm_set_error(vm, -errno, "mmap of vCPU %u: %s",
				     vcpu->id, strerror(errno));
	}
	vcpu->run_size = size;
	return 0;
}

void vmm_backend_vcpu_close(struct vmm_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	close(vcpu->fd);
	vcpu->fd = -1;
}

void vmm_backend_vm_close(struct vmm_vm *vm)
{
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->sys_fd >= 0)
		close(vm->sys_fd);
	vm->vm_fd = vm->sys_fd = -1;
}

bool vmm_exit_io(struct vmm_vcpu *vcpu, struct vmm_exit *exit, uint16_t port,
		 uint8_t size, bool write, uint32_t count, uint64_t data_offset)
{
	exit->kind = VMM_EXIT_IO;
	exit->io.port = port;
	exit->io.size = size;
	exit->io.write = write;
	exit->io.count = count;
	exit->io.data = (uint8_t *)vcpu->run + data_offset;
	return data_offset + (uint64_t)count * size <= vcpu->run_size;
}

int vmm_backend_pick(const char *kernel, struct vmm_backend_choice *choice,
		     struct vmm_error *err)
{
	struct vmm_backend_probe vhv, kvm;
	bool is_linux;
	uint8_t *img;
	size_t len;
	int r;

	if (err) {
		err->err = 0;
		err->msg[0] = 0;
	}
	memset(choice, 0, sizeof(*choice));
	/* The kernel's own problems first: they are what the user must fix. */
	if (!kernel) {
		is_linux = true;
	} else {
		char msg[VMM_ERROR_MAX];

		r = vmm_read_file_msg("kernel", kernel, &img, &len, msg,
				      sizeof(msg));
		if (!r) {
			r = vmm_kernel_check(kernel, img, len, &is_linux, msg,
					     sizeof(msg));
			free(img);
		}
		if (r) {
			if (err) {
				err->err = r;
				snprintf(err->msg, sizeof(err->msg), "%s", msg);
			}
			return r;
		}
	}
	vmm_vhv_probe(&vhv);
	vmm_kvm_probe(&kvm);
	return vmm_backend_decide(&vhv, &kvm, is_linux, choice, err);
}

int vmm_backend_open_device(struct vmm_vm *vm, enum vmm_backend_kind kind,
			    const char *path)
{
	char hint[96];
	int fd, e;

	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	e = -errno;
	vmm_backend_open_advice(kind, path, e, hint, sizeof(hint));
	return vmm_set_error(vm, e, "%s: %s%s%s%s", path, strerror(-e),
			     *hint ? " (" : "", hint, *hint ? ")" : "");
}
