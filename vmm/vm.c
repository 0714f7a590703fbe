// SPDX-License-Identifier: GPL-2.0
/*
 * A VM's life: creation with its RAM and vCPUs, guest memory lookup, the
 * stop protocol (first reason wins), waiting and teardown.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm/internal.h"

unsigned int vmm_version(void)
{
	return LIBVMM_VERSION;
}

int vmm_backend_parse(const char *name, enum vmm_backend_kind *kind)
{
	if (!strcmp(name, "vhv"))
		*kind = VMM_BACKEND_VHV;
	else if (!strcmp(name, "kvm"))
		*kind = VMM_BACKEND_KVM;
	else
		return -EINVAL;
	return 0;
}

const char *vmm_backend_name(enum vmm_backend_kind kind)
{
	return kind == VMM_BACKEND_KVM ? "kvm" : "vhv";
}

const char *vmm_stop_reason_name(enum vmm_stop_reason reason)
{
	static const char *const names[] = {
		[VMM_STOP_NONE] = "running",
		[VMM_STOP_POWEROFF] = "poweroff",
		[VMM_STOP_RESET] = "reset",
		[VMM_STOP_CRASH] = "crash",
		[VMM_STOP_DEBUG_EXIT] = "debug-exit",
		[VMM_STOP_REQUESTED] = "stop requested",
		[VMM_STOP_ERROR] = "error",
	};

	if ((unsigned int)reason >= sizeof(names) / sizeof(names[0]))
		return "unknown";
	return names[reason];
}

static void error_fill(struct vmm_error *err, int e, const char *fmt,
		       va_list ap)
{
	if (!err)
		return;
	err->err = e;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
}

static int create_error(struct vmm_error *err, int e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int create_error(struct vmm_error *err, int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_fill(err, e, fmt, ap);
	va_end(ap);
	return e;
}

int vmm_set_error(struct vmm_vm *vm, int err, const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&vm->err_lock);
	if (!vm->err_fatal) {
		va_start(ap, fmt);
		vsnprintf(vm->err, sizeof(vm->err), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&vm->err_lock);
	return err;
}

const char *vmm_boot_note(const struct vmm_vm *vm)
{
	return vm->boot_note;
}

const char *vmm_vm_error(const struct vmm_vm *vm)
{
	return vm->err;
}

void vmm_vm_caps(const struct vmm_vm *vm, struct vmm_caps *caps)
{
	*caps = vm->caps;
}

uint64_t vmm_ram_size(const struct vmm_vm *vm)
{
	return vm->ram_size;
}

unsigned int vmm_nr_vcpus(const struct vmm_vm *vm)
{
	return vm->nr_vcpus;
}

void vmm_vm_request_stop(struct vmm_vm *vm, enum vmm_stop_reason reason,
			 uint32_t code)
{
	int none = VMM_STOP_NONE;
	uint64_t one = 1;
	ssize_t r;

	if (reason == VMM_STOP_NONE)
		return;
	if (!atomic_compare_exchange_strong(&vm->stop_reason, &none, reason))
		return;
	/* Read only by vmm_vm_wait(), after every thread is joined. */
	atomic_store(&vm->stop_code, code);
	/* Async-signal-safe from here: an eventfd write and signals. */
	r = write(vm->stop_efd, &one, sizeof(one));
	(void)r;
	vmm_vcpus_kick(vm);
}

/*
 * The first failure of a running VM is its message for good: a guest
 * still running until its vCPUs see the stop can make devices report
 * warnings (vmm_set_error), and a second failure is usually a consequence
 * of the first.
 */
void vmm_vm_fail(struct vmm_vm *vm, const char *fmt, ...)
{
	bool first;
	va_list ap;

	if (atomic_load(&vm->stop_reason) != VMM_STOP_NONE)
		return;
	pthread_mutex_lock(&vm->err_lock);
	first = !vm->err_fatal;
	if (first) {
		va_start(ap, fmt);
		vsnprintf(vm->err, sizeof(vm->err), fmt, ap);
		va_end(ap);
		vm->err_fatal = true;
	}
	pthread_mutex_unlock(&vm->err_lock);
	if (first)
		vmm_vm_request_stop(vm, VMM_STOP_ERROR, 0);
}

int vmm_device_add(struct vmm_vm *vm, const char *name,
		   void (*destroy)(void *opaque), void *opaque)
{
	struct vmm_device_entry *d = calloc(1, sizeof(*d));

	if (!d)
		return vmm_set_error(vm, -ENOMEM, "%s: out of memory", name);
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->destroy = destroy;
	d->opaque = opaque;
	d->next = vm->devices;
	vm->devices = d;
	return 0;
}

static int ram_setup(struct vmm_vm *vm, struct vmm_error *err)
{
	int r;

	vm->ram = mmap(NULL, vm->ram_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (vm->ram == MAP_FAILED) {
		vm->ram = NULL;
		return create_error(err, -errno, "guest RAM: mmap of %llu MiB: %s",
				    (unsigned long long)(vm->ram_size >> 20),
				    strerror(errno));
	}
	/* THP keeps the nested page tables and the TLB small. */
	madvise(vm->ram, vm->ram_size, MADV_HUGEPAGE);
	/* Never dumped: guest memory is the guest's, not the VMM's. */
	madvise(vm->ram, vm->ram_size, MADV_DONTDUMP);
	/* Nor copied into a child (the kernel cache filler forks). */
	madvise(vm->ram, vm->ram_size, MADV_DONTFORK);

	vm->low_size = vm->ram_size < VMM_LOW_RAM_END ? vm->ram_size :
						       VMM_LOW_RAM_END;
	vm->high_size = vm->ram_size - vm->low_size;
	r = vm->ops->set_memory(vm, 0, 0, vm->low_size, vm->ram);
	if (!r && vm->high_size)
		r = vm->ops->set_memory(vm, 1, VMM_HIGH_RAM_START,
					vm->high_size,
					(uint8_t *)vm->ram + vm->low_size);
	if (r)
		return create_error(err, r, "%s", vm->err);
	return 0;
}

static int vcpus_create(struct vmm_vm *vm, struct vmm_error *err)
{
	unsigned int i;
	int r;

	vm->vcpus = calloc(vm->nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return create_error(err, -ENOMEM, "vCPUs: out of memory");
	for (i = 0; i < vm->nr_vcpus; i++) {
		struct vmm_vcpu *vcpu = &vm->vcpus[i];

		vcpu->vm = vm;
		vcpu->id = i;
		vcpu->fd = -1;
		r = vm->ops->vcpu_create(vcpu);
		if (!r)
			r = vm->ops->setup_cpuid(vcpu);
		if (r)
			return create_error(err, r, "%s", vm->err);
	}
	return 0;
}

struct vmm_vm *vmm_vm_create(const struct vmm_vm_config *cfg,
			     struct vmm_error *err)
{
	struct vmm_vm *vm;
	int r;

	if (err) {
		err->err = 0;
		err->msg[0] = 0;
	}
	if (cfg->backend != VMM_BACKEND_VHV && cfg->backend != VMM_BACKEND_KVM) {
		create_error(err, -EINVAL, "backend %d: unknown", cfg->backend);
		return NULL;
	}
	if (cfg->ram_size < VMM_MIN_RAM || cfg->ram_size % (2ull << 20) ||
	    cfg->ram_size > (1ull << 40)) {
		create_error(err, -EINVAL,
			     "memory size %llu: must be a multiple of 2 MiB from %llu MiB to 1 TiB",
			     (unsigned long long)cfg->ram_size,
			     (unsigned long long)(VMM_MIN_RAM >> 20));
		return NULL;
	}
	if (cfg->nr_vcpus < 1 || cfg->nr_vcpus > VMM_MAX_VCPUS) {
		create_error(err, -EINVAL, "vCPU count %u: must be 1 to %u",
			     cfg->nr_vcpus, VMM_MAX_VCPUS);
		return NULL;
	}
	r = vmm_kick_signal_setup();
	if (r) {
		create_error(err, r, "installing the vCPU kick signal handler: %s",
			     strerror(-r));
		return NULL;
	}

	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		create_error(err, -ENOMEM, "out of memory");
		return NULL;
	}
	vm->kind = cfg->backend;
	vm->ops = cfg->backend == VMM_BACKEND_KVM ? &vmm_backend_kvm :
						    &vmm_backend_vhv;
	vm->ram_size = cfg->ram_size;
	vm->nr_vcpus = cfg->nr_vcpus;
	vm->sys_fd = vm->vm_fd = vm->epfd = vm->stop_efd = -1;
	pthread_mutex_init(&vm->err_lock, NULL);
	pthread_mutex_init(&vm->loop_lock, NULL);
	pthread_mutex_init(&vm->gate_lock, NULL);
	pthread_cond_init(&vm->gate_cond, NULL);
	atomic_init(&vm->stop_reason, VMM_STOP_NONE);
	atomic_init(&vm->stop_code, 0);

	if (vmm_bus_init(&vm->pio) || vmm_bus_init(&vm->mmio)) {
		create_error(err, -ENOMEM, "I/O bus: out of memory");
		goto err_vm;
	}
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_efd < 0) {
		create_error(err, -errno, "eventfd: %s", strerror(errno));
		goto err_vm;
	}
	r = vm->ops->vm_create(vm);
	if (r) {
		create_error(err, r, "%s", vm->err);
		goto err_vm;
	}
	if (ram_setup(vm, err) || vcpus_create(vm, err))
		goto err_vm;
	r = vmm_loop_init(vm);
	if (r) {
		create_error(err, r, "%s", vm->err);
		goto err_vm;
	}
	return vm;

err_vm:
	vmm_vm_destroy(vm);
	return NULL;
}

int vmm_vm_sandbox(struct vmm_vm *vm)
{
	if (vm->started)
		return vmm_set_error(vm, -EBUSY, "sandbox: the VM is already running");
	vm->sandbox = true;
	return 0;
}

void vmm_gate_wait(struct vmm_vm *vm)
{
	pthread_mutex_lock(&vm->gate_lock);
	vm->gate_arrived++;
	pthread_cond_broadcast(&vm->gate_cond);
	while (!vm->gate_open)
		pthread_cond_wait(&vm->gate_cond, &vm->gate_lock);
	pthread_mutex_unlock(&vm->gate_lock);
}

void vmm_io_primed(struct vmm_vm *vm)
{
	pthread_mutex_lock(&vm->gate_lock);
	vm->io_primed = true;
	pthread_cond_broadcast(&vm->gate_cond);
	pthread_mutex_unlock(&vm->gate_lock);
}

void vmm_io_primed_wait(struct vmm_vm *vm)
{
	if (!vm->io_started)
		return;
	pthread_mutex_lock(&vm->gate_lock);
	while (!vm->io_primed)
		pthread_cond_wait(&vm->gate_cond, &vm->gate_lock);
	pthread_mutex_unlock(&vm->gate_lock);
}

/* Waits until every started VM thread stands at the gate. */
static void gate_wait_arrivals(struct vmm_vm *vm)
{
	unsigned int i, threads = vm->io_started;

	for (i = 0; i < vm->nr_vcpus; i++)
		threads += vm->vcpus[i].thread_started;
	pthread_mutex_lock(&vm->gate_lock);
	while (vm->gate_arrived < threads)
		pthread_cond_wait(&vm->gate_cond, &vm->gate_lock);
	pthread_mutex_unlock(&vm->gate_lock);
}

static void gate_open(struct vmm_vm *vm)
{
	pthread_mutex_lock(&vm->gate_lock);
	vm->gate_open = true;
	pthread_cond_broadcast(&vm->gate_cond);
	pthread_mutex_unlock(&vm->gate_lock);
}

int vmm_vm_start(struct vmm_vm *vm)
{
	int r;

	if (vm->started)
		return vmm_set_error(vm, -EBUSY, "the VM was already started");
	if (!vm->vcpus[0].bsp_ready)
		return vmm_set_error(vm, -EINVAL,
				     "no kernel loaded: nothing for vCPU 0 to run");
	vm->started = true;
	/*
	 * Every thread exists and has set itself up (named itself, glibc's
	 * per-thread start-up) before the sandbox closes, so none needs a
	 * call the filter forbids; none runs the guest before it is in place.
	 */
	r = vm->sandbox ? vmm_sandbox_prepare(vm) : 0;
	if (!r)
		r = vmm_loop_start(vm);
	if (!r)
		r = vmm_vcpus_start(vm);
	if (!r && vm->sandbox) {
		gate_wait_arrivals(vm);
		r = vmm_sandbox_install(vm);
	}
	if (r)
		vmm_vm_request_stop(vm, VMM_STOP_ERROR, 0);
	gate_open(vm);
	return r;
}

static void vm_join(struct vmm_vm *vm)
{
	if (vm->waited)
		return;
	vm->waited = true;
	vmm_vcpus_join(vm);
	vmm_loop_join(vm);
}

int vmm_vm_wait(struct vmm_vm *vm, struct vmm_exit_status *status)
{
	if (!vm->started)
		return vmm_set_error(vm, -EINVAL, "the VM was not started");
	/* The I/O thread returns once a stop was requested. */
	vm_join(vm);
	if (status) {
		status->reason = atomic_load(&vm->stop_reason);
		status->code = atomic_load(&vm->stop_code);
	}
	return 0;
}

void vmm_vm_destroy(struct vmm_vm *vm)
{
	struct vmm_device_entry *d;
	unsigned int i;

	if (!vm)
		return;
	if (vm->started) {
		vmm_vm_request_stop(vm, VMM_STOP_REQUESTED, 0);
		vm_join(vm);
	}
	while ((d = vm->devices)) {
		vm->devices = d->next;
		if (d->destroy)
			d->destroy(d->opaque);
		free(d);
	}
	vmm_pc_destroy(vm);
	vmm_loop_destroy(vm);
	if (vm->vcpus) {
		for (i = 0; i < vm->nr_vcpus; i++)
			if (vm->vcpus[i].fd >= 0)
				vm->ops->vcpu_destroy(&vm->vcpus[i]);
		free(vm->vcpus);
	}
	vm->ops->vm_destroy(vm);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	vmm_bus_destroy(&vm->pio);
	vmm_bus_destroy(&vm->mmio);
	pthread_mutex_destroy(&vm->loop_lock);
	pthread_mutex_destroy(&vm->err_lock);
	pthread_mutex_destroy(&vm->gate_lock);
	pthread_cond_destroy(&vm->gate_cond);
	free(vm->sandbox_fds);
	free(vm);
}

int vmm_irq_set(struct vmm_vm *vm, uint32_t gsi, int level)
{
	if (gsi >= 24)
		return -EINVAL;
	return vm->ops->irq_set(vm, gsi, level);
}

int vmm_msi_send(struct vmm_vm *vm, uint64_t addr, uint32_t data)
{
	return vm->ops->msi_send(vm, addr, data);
}
