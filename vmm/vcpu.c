// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU threads: one per vCPU, each running its vCPU until the VM stops,
 * dispatching port I/O and MMIO exits to the bus.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/internal.h"

static void kick_handler(int sig)
{
	(void)sig;	/* its only job is to interrupt the run ioctl */
}

int vmm_kick_signal_setup(void)
{
	struct sigaction sa;

	/*
	 * Process-wide, but idempotent and the same for every VM: a no-op
	 * handler on a real-time signal libvmm reserves.
	 */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = kick_handler;
	sigemptyset(&sa.sa_mask);
	if (sigaction(VMM_KICK_SIGNAL, &sa, NULL))
		return -errno;
	return 0;
}

void vmm_vcpus_kick(struct vmm_vm *vm)
{
	unsigned int i;

	if (!vm->vcpus)
		return;
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vmm_vcpu *vcpu = &vm->vcpus[i];

		if (vcpu->fd < 0)
			continue;
		vm->ops->vcpu_kick(vcpu);
		if (vcpu->thread_started)
			pthread_kill(vcpu->thread, VMM_KICK_SIGNAL);
	}
}

static void io_exit(struct vmm_vcpu *vcpu, struct vmm_exit *exit)
{
	struct vmm_vm *vm = vcpu->vm;
	uint8_t *data = exit->io.data;
	uint32_t i;

	for (i = 0; i < exit->io.count; i++, data += exit->io.size) {
		if (vmm_bus_access(&vm->pio, exit->io.port, data, exit->io.size,
				   exit->io.write))
			continue;
		/* Nothing there: reads float high, writes vanish, as on a PC. */
		if (!exit->io.write)
			memset(data, 0xff, exit->io.size);
	}
}

static void mmio_exit(struct vmm_vcpu *vcpu, struct vmm_exit *exit)
{
	struct vmm_vm *vm = vcpu->vm;

	if (vmm_bus_access(&vm->mmio, exit->mmio.gpa, exit->mmio.data,
			   exit->mmio.len, exit->mmio.write))
		return;
	if (!exit->mmio.write)
		memset(exit->mmio.data, 0xff, exit->mmio.len);
}

/* The backend left its message in vm->err: prefix it with the vCPU. */
static void vcpu_fail(struct vmm_vcpu *vcpu)
{
	struct vmm_vm *vm = vcpu->vm;
	char msg[VMM_ERROR_MAX];

	pthread_mutex_lock(&vm->err_lock);
	memcpy(msg, vm->err, sizeof(msg));
	pthread_mutex_unlock(&vm->err_lock);
	vmm_vm_fail(vm, "vCPU %u: %s", vcpu->id, msg);
}

static void *vcpu_thread(void *arg)
{
	struct vmm_vcpu *vcpu = arg;
	struct vmm_vm *vm = vcpu->vm;
	struct vmm_exit exit;
	char name[16];
	sigset_t set;
	int r;

	snprintf(name, sizeof(name), "vcpu%u", vcpu->id);
	pthread_setname_np(pthread_self(), name);
	/* Only the kick signal may interrupt this thread. */
	sigfillset(&set);
	sigdelset(&set, VMM_KICK_SIGNAL);
	sigdelset(&set, SIGSEGV);
	sigdelset(&set, SIGBUS);
	sigdelset(&set, SIGSYS);	/* the sandbox names a forbidden call */
	pthread_sigmask(SIG_SETMASK, &set, NULL);
	vmm_gate_wait(vm);
	vmm_io_primed_wait(vm);

	while (atomic_load(&vm->stop_reason) == VMM_STOP_NONE) {
		memset(&exit, 0, sizeof(exit));
		r = vm->ops->vcpu_run(vcpu, &exit);
		if (r) {
			vcpu_fail(vcpu);
			break;
		}
		vcpu->exits++;
		switch (exit.kind) {
		case VMM_EXIT_NONE:
		case VMM_EXIT_INTR:
			break;
		case VMM_EXIT_IO:
			io_exit(vcpu, &exit);
			break;
		case VMM_EXIT_MMIO:
			mmio_exit(vcpu, &exit);
			break;
		case VMM_EXIT_HLT:
			/*
			 * Only a backend without an in-kernel interrupt
			 * controller exits on HLT; with nothing to wake the
			 * vCPU, a halted guest is done.
			 */
			vmm_vm_fail(vm, "vCPU %u halted with no interrupt controller to wake it",
				    vcpu->id);
			break;
		case VMM_EXIT_SHUTDOWN:
			vmm_vm_request_stop(vm, VMM_STOP_CRASH, 0);
			break;
		case VMM_EXIT_RESET:
			vmm_vm_request_stop(vm, VMM_STOP_RESET, 0);
			break;
		case VMM_EXIT_POWEROFF:
			vmm_vm_request_stop(vm, VMM_STOP_POWEROFF, 0);
			break;
		case VMM_EXIT_FAIL:
			vcpu_fail(vcpu);
			break;
		}
	}
	return NULL;
}

int vmm_vcpus_start(struct vmm_vm *vm)
{
	unsigned int i;
	int r;

	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vmm_vcpu *vcpu = &vm->vcpus[i];

		/*
		 * Without an in-kernel LAPIC nothing can send the INIT/SIPI
		 * that starts an AP: such vCPUs exist but never run.
		 */
		if (i > 0 && !vm->caps.irqchip)
			break;
		r = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
		if (r)
			return vmm_set_error(vm, -r, "starting vCPU %u: %s", i,
					     strerror(r));
		vcpu->thread_started = true;
	}
	return 0;
}

void vmm_vcpus_join(struct vmm_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vmm_vcpu *vcpu = &vm->vcpus[i];

		if (!vcpu->thread_started)
			continue;
		pthread_join(vcpu->thread, NULL);
		vcpu->thread_started = false;
	}
}
