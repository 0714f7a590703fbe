/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvmm's VM error message (vmm/vm.c) on a stub backend: the message a
 * VM stopped with is the first fatal one, whatever devices report later.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/internal.h"

/* ---- stubs for what vm.c calls beyond the error paths tested ---- */

static int stub_ok_vm(struct vmm_vm *vm) { (void)vm; return 0; }
static void stub_void_vm(struct vmm_vm *vm) { (void)vm; }
static int stub_ok_vcpu(struct vmm_vcpu *vcpu) { (void)vcpu; return 0; }
static void stub_void_vcpu(struct vmm_vcpu *vcpu) { (void)vcpu; }
static int stub_set_memory(struct vmm_vm *vm, uint32_t slot, uint64_t gpa,
			   uint64_t size, void *hva)
{
	(void)vm; (void)slot; (void)gpa; (void)size; (void)hva;
	return 0;
}

const struct vmm_backend_ops vmm_backend_vhv = {
	.name = "stub",
	.vm_create = stub_ok_vm,
	.vm_destroy = stub_void_vm,
	.set_memory = stub_set_memory,
	.vcpu_create = stub_ok_vcpu,
	.vcpu_destroy = stub_void_vcpu,
	.setup_cpuid = stub_ok_vcpu,
};
const struct vmm_backend_ops vmm_backend_kvm;

int vmm_kick_signal_setup(void) { return 0; }
int vmm_loop_init(struct vmm_vm *vm) { (void)vm; return 0; }
int vmm_loop_start(struct vmm_vm *vm) { (void)vm; return 0; }
void vmm_loop_join(struct vmm_vm *vm) { (void)vm; }
void vmm_loop_destroy(struct vmm_vm *vm) { (void)vm; }
int vmm_vcpus_start(struct vmm_vm *vm) { (void)vm; return 0; }
void vmm_vcpus_kick(struct vmm_vm *vm) { (void)vm; }
void vmm_vcpus_join(struct vmm_vm *vm) { (void)vm; }
int vmm_sandbox_prepare(struct vmm_vm *vm) { (void)vm; return 0; }
int vmm_sandbox_install(struct vmm_vm *vm) { (void)vm; return 0; }
void vmm_pc_destroy(struct vmm_vm *vm) { (void)vm; }

static struct vmm_vm *vm_new(void)
{
	struct vmm_vm_config cfg = { .backend = VMM_BACKEND_VHV,
				     .ram_size = VMM_MIN_RAM, .nr_vcpus = 1 };
	struct vmm_error err;
	struct vmm_vm *vm = vmm_vm_create(&cfg, &err);

	assert_non_null(vm);
	return vm;
}

/* ---- tests ---- */

static void test_set_error_is_the_last(void **state)
{
	struct vmm_vm *vm = vm_new();

	(void)state;
	assert_string_equal(vmm_vm_error(vm), "");
	assert_int_equal(vmm_set_error(vm, -EINVAL, "disk %s: bad", "a"), -EINVAL);
	assert_string_equal(vmm_vm_error(vm), "disk a: bad");
	vmm_set_error(vm, -EIO, "net: worse");
	assert_string_equal(vmm_vm_error(vm), "net: worse");
	vmm_vm_destroy(vm);
}

/*
 * io_uring breaks (fatal), then the guest, still running until its vCPU
 * sees the stop, writes a malformed ring (a device warning): the VM
 * stopped because of the first, so that is what vmm_vm_error() says.
 */
static void test_first_fatal_message_kept(void **state)
{
	struct vmm_vm *vm = vm_new();
	struct vmm_exit_status st;

	(void)state;
	vmm_vm_fail(vm, "virtio-blk: io_uring_submit: %s", strerror(EIO));
	vmm_set_error(vm, -EINVAL,
		      "virtio-net: queue 1: buffer outside guest RAM; device needs reset");
	assert_string_equal(vmm_vm_error(vm),
			    "virtio-blk: io_uring_submit: Input/output error");
	/* A second fatal error does not replace the first either. */
	vmm_vm_fail(vm, "event loop: epoll_wait: %s", strerror(EBADF));
	assert_string_equal(vmm_vm_error(vm),
			    "virtio-blk: io_uring_submit: Input/output error");
	vm->started = true;
	assert_int_equal(vmm_vm_wait(vm, &st), 0);
	assert_int_equal(st.reason, VMM_STOP_ERROR);
	vmm_vm_destroy(vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_error_is_the_last),
		cmocka_unit_test(test_first_fatal_message_kept),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
