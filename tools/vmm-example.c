// SPDX-License-Identifier: GPL-2.0
/*
 * The smallest useful libvmm program: boots a kernel with a console on
 * stdout and prints how the VM stopped.
 *   vmm-example vhv|kvm KERNEL [INITRD [CMDLINE]]
 */
#include <stdio.h>

#include "vmm/libvmm.h"

int main(int argc, char **argv)
{
	struct vmm_vm_config cfg = { .ram_size = 512 << 20, .nr_vcpus = 1 };
	struct vmm_exit_status st;
	struct vmm_error err;
	struct vmm_vm *vm;

	if (argc < 3 || vmm_backend_parse(argv[1], &cfg.backend)) {
		fprintf(stderr, "usage: vmm-example vhv|kvm KERNEL [INITRD [CMDLINE]]\n");
		return 1;
	}
	vm = vmm_vm_create(&cfg, &err);
	if (!vm) {
		fprintf(stderr, "vmm-example: %s\n", err.msg);
		return 1;
	}
	if (vmm_add_pc_devices(vm, &(struct vmm_pc_config){
				.console_in = -1, .console_out = 1 }) ||
	    vmm_load_kernel(vm, &(struct vmm_boot){ .kernel = argv[2],
			    .initrd = argc > 3 ? argv[3] : NULL,
			    .cmdline = argc > 4 ? argv[4] : "console=ttyS0" }) ||
	    vmm_vm_start(vm) || vmm_vm_wait(vm, &st)) {
		fprintf(stderr, "vmm-example: %s\n", vmm_vm_error(vm));
		vmm_vm_destroy(vm);
		return 1;
	}
	printf("\nvmm-example: guest stopped: %s (code %u)\n",
	       vmm_stop_reason_name(st.reason), st.code);
	vmm_vm_destroy(vm);
	return st.reason == VMM_STOP_POWEROFF ? 0 : 2;
}
