// SPDX-License-Identifier: GPL-2.0
/* The loader fuzzers' VM (see fuzz_vm.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "selftests/fuzz/fuzz_vm.h"

#define LOW_RAM		(32ull << 20)
#define HIGH_RAM	(2ull << 20)

static int get_sregs(struct vmm_vcpu *vcpu, struct vhv_sregs *sregs)
{
	(void)vcpu;
	memset(sregs, 0, sizeof(*sregs));
	return 0;
}

static int set_sregs(struct vmm_vcpu *vcpu, const struct vhv_sregs *sregs)
{
	(void)vcpu;
	(void)sregs;
	return 0;
}

static int set_regs(struct vmm_vcpu *vcpu, const struct vhv_regs *regs)
{
	(void)vcpu;
	(void)regs;
	return 0;
}

static const struct vmm_backend_ops fuzz_ops = {
	.name = "fuzz",
	.get_sregs = get_sregs,
	.set_sregs = set_sregs,
	.set_regs = set_regs,
};

static struct vmm_vm vm;
static struct vmm_vcpu vcpu;
static char initrd_path[64];

struct vmm_vm *fuzz_vm(void)
{
	int fd;

	if (vm.ram)
		return &vm;
	vm.ops = &fuzz_ops;
	vm.caps.irqchip = true;
	vm.low_size = LOW_RAM;
	vm.high_size = HIGH_RAM;
	vm.ram_size = LOW_RAM + HIGH_RAM;
	vm.ram = calloc(1, vm.ram_size);
	vm.nr_vcpus = 1;
	vm.vcpus = &vcpu;
	vcpu.vm = &vm;
	snprintf(initrd_path, sizeof(initrd_path), "/tmp/vhv-fuzz-initrd-XXXXXX");
	fd = mkstemp(initrd_path);
	if (!vm.ram || fd < 0 || ftruncate(fd, 64 << 10)) {
		perror("fuzz_vm");
		abort();
	}
	close(fd);
	return &vm;
}

int fuzz_load(const uint8_t *img, size_t len, int with_initrd)
{
	struct vmm_vm *v = fuzz_vm();
	struct vmm_boot boot = {
		.kernel = "fuzz",
		.initrd = with_initrd ? initrd_path : NULL,
		.cmdline = "console=ttyS0",
	};

	vcpu.bsp_ready = false;
	return vmm_load_kernel_image(v, &boot, img, len);
}

/* What libvmm's vm.c and machine.c provide; the fuzzers link neither. */
int vmm_set_error(struct vmm_vm *v, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->err, sizeof(v->err), fmt, ap);
	va_end(ap);
	return err;
}

int vmm_pc_write_firmware(struct vmm_vm *v, uint64_t *rsdp_gpa)
{
	(void)v;
	*rsdp_gpa = 0;
	return 0;
}
