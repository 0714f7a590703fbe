// SPDX-License-Identifier: GPL-2.0
/*
 * Module unload: refused while anything can still reach vhv.ko (an open
 * /dev/vhv, a VM, a vCPU, a mapped run area), clean once nothing can, and
 * the module loads again afterwards.  Needs VHV_MODULE, the path of vhv.ko.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/vhv_test.h"

static int try_unload(void)
{
	return syscall(SYS_delete_module, "vhv", O_NONBLOCK);
}

static int load(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -1;
	r = syscall(SYS_finit_module, fd, "", 0);
	close(fd);
	return r;
}

int main(void)
{
	const char *path = getenv("VHV_MODULE");
	struct vm *vm;
	struct vcpu *vcpu;
	struct vhv_run *run;
	size_t run_size;
	int sys;

	TEST_REQUIRE(path && *path, "VHV_MODULE must name vhv.ko");
	sys = vhv_open();
	TEST_ERRNO(try_unload(), EWOULDBLOCK, "unload while /dev/vhv is open");
	vm = vm_create();
	close(sys);
	TEST_ERRNO(try_unload(), EWOULDBLOCK, "unload while a VM fd is open");
	vcpu = vcpu_add(vm, 0);
	run = vcpu->run;
	run_size = vcpu->run_size;
	vm_free(vm);
	TEST_ERRNO(try_unload(), EWOULDBLOCK, "unload while a vCPU fd is open");
	close(vcpu->fd);
	free(vcpu);
	TEST_ERRNO(try_unload(), EWOULDBLOCK, "unload while a run area is mapped");
	tap_result(access("/dev/vhv", F_OK) == 0, "/dev/vhv is still there");
	munmap(run, run_size);

	TEST_OK(try_unload(), "unload once nothing refers to vhv.ko");
	tap_result(access("/sys/module/vhv", F_OK) != 0, "vhv.ko is gone");
	tap_result(access("/dev/vhv", F_OK) != 0, "/dev/vhv is gone");
	TEST_OK(load(path), "load vhv.ko again from %s", path);
	vm = vm_create();
	tap_result(vhv_stat("vms") == 1, "a VM works after the reload");
	vm_free(vm);
	return tap_done();
}
