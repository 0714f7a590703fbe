/* SPDX-License-Identifier: GPL-2.0 */
/*
 * libvmm's private structures: the VM, its vCPUs, the I/O bus and the
 * backend ops table that hides whether /dev/vhv or /dev/kvm runs the guest.
 */
#ifndef VMM_INTERNAL_H
#define VMM_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <sys/types.h>

#include "uapi/vhv.h"
#include "vmm/device.h"

struct vmm_vcpu;

/* One registered range; the bus keeps them sorted by base. */
struct vmm_io_range {
	uint64_t base, len;
	const struct vmm_io_ops *ops;
	void *opaque;
	char name[32];
};

struct vmm_bus {
	pthread_rwlock_t lock;		/* readers: vCPU threads */
	struct vmm_io_range *ranges;
	size_t nr, cap;
};

int vmm_bus_init(struct vmm_bus *bus);
void vmm_bus_destroy(struct vmm_bus *bus);
int vmm_bus_add(struct vmm_bus *bus, uint64_t base, uint64_t len,
		const struct vmm_io_ops *ops, void *opaque, const char *name,
		char *conflict, size_t conflict_len);
/* Removes the range at base; its description into *gone if not NULL. */
int vmm_bus_del(struct vmm_bus *bus, uint64_t base, struct vmm_io_range *gone);
/* Dispatches an access; false if no device claims it. */
bool vmm_bus_access(struct vmm_bus *bus, uint64_t addr, uint8_t *data,
		    uint32_t size, bool write);

/* What a vCPU exit asks of libvmm, whatever the backend. */
enum vmm_exit_kind {
	VMM_EXIT_NONE,		/* nothing to do: run again */
	VMM_EXIT_IO,
	VMM_EXIT_MMIO,
	VMM_EXIT_HLT,
	VMM_EXIT_SHUTDOWN,	/* triple fault */
	VMM_EXIT_RESET,		/* the backend saw a reset request */
	VMM_EXIT_POWEROFF,
	VMM_EXIT_INTR,		/* a signal or a kick */
	VMM_EXIT_FAIL,		/* cannot go on: message in the VM */
};

struct vmm_exit {
	enum vmm_exit_kind kind;
	union {
		struct {
			uint16_t port;
			uint8_t size;
			bool write;
			uint32_t count;
			uint8_t *data;	/* in the run area */
		} io;
		struct {
			uint64_t gpa;
			uint8_t *data;	/* in the run area */
			uint32_t len;
			bool write;
		} mmio;
	};
};

/* The backend: one table per hypervisor device, picked at VM creation. */
struct vmm_backend_ops {
	const char *name;
	int (*vm_create)(struct vmm_vm *vm);
	void (*vm_destroy)(struct vmm_vm *vm);
	int (*set_memory)(struct vmm_vm *vm, uint32_t slot, uint64_t gpa,
			  uint64_t size, void *hva);
	int (*vcpu_create)(struct vmm_vcpu *vcpu);
	void (*vcpu_destroy)(struct vmm_vcpu *vcpu);
	int (*vcpu_run)(struct vmm_vcpu *vcpu, struct vmm_exit *exit);
	/* Makes the next or current run return promptly (with a signal). */
	void (*vcpu_kick)(struct vmm_vcpu *vcpu);
	int (*get_regs)(struct vmm_vcpu *vcpu, struct vhv_regs *regs);
	int (*set_regs)(struct vmm_vcpu *vcpu, const struct vhv_regs *regs);
	int (*get_sregs)(struct vmm_vcpu *vcpu, struct vhv_sregs *sregs);
	int (*set_sregs)(struct vmm_vcpu *vcpu, const struct vhv_sregs *sregs);
	/* The default CPUID with this vCPU's topology applied. */
	int (*setup_cpuid)(struct vmm_vcpu *vcpu);
	int (*irq_set)(struct vmm_vm *vm, uint32_t gsi, int level);
	int (*msi_send)(struct vmm_vm *vm, uint64_t addr, uint32_t data);
	/*
	 * Optional: makes a guest write of size bytes at addr signal fd in
	 * the kernel (assign) or stops it (!assign).
	 */
	int (*ioeventfd)(struct vmm_vm *vm, enum vmm_space space, uint64_t addr,
			 uint32_t size, int fd, bool assign);
	/*
	 * The ioctls the backend makes once the guest runs, all the sandbox
	 * lets it make: vcpu_run_ioctl on each vCPU fd, vm_ioctls (0-ended)
	 * on the VM fd.
	 */
	unsigned long vcpu_run_ioctl;
	const unsigned long *vm_ioctls;
};

/*
 * What a device offers, found without making a VM (vmm_backend_pick()):
 * err 0 when it can run guests, else -errno, why says why not
 * ("/dev/vhv: no such device") and hint what to do ("load vhv.ko: ..."
 * or "" when there is nothing to say).
 */
struct vmm_backend_probe {
	int err;
	bool irqchip;		/* in-kernel interrupt controllers and timers */
	char why[64];
	char hint[96];
};
void vmm_vhv_probe(struct vmm_backend_probe *p);
void vmm_kvm_probe(struct vmm_backend_probe *p);
/*
 * What to do about a hypervisor device that did not open with -errno err,
 * in buf ("" when the errno says nothing a user can act on).  group: the
 * group that may open the device (its owner group with read and write
 * permission), NULL when only root may.  Pure: unit-tested.
 */
void vmm_backend_advice(enum vmm_backend_kind kind, int err, const char *group,
			char *buf, size_t len);
/* The same for the device node at path, whose group it looks up (stat). */
void vmm_backend_open_advice(enum vmm_backend_kind kind, const char *path,
			     int err, char *buf, size_t len);
/*
 * backend_common.c: opens a backend's device node read-write; on failure
 * sets the VM's error ("PATH: strerror (what to do)") and returns -errno.
 */
int vmm_backend_open_device(struct vmm_vm *vm, enum vmm_backend_kind kind,
			    const char *path);
/*
 * backend_pick.c: vmm_backend_pick()'s rule on probe results, apart so
 * that it is unit-tested with made-up ones.  is_linux: the kernel needs
 * interrupt controllers.
 */
int vmm_backend_decide(const struct vmm_backend_probe *vhv,
		       const struct vmm_backend_probe *kvm, bool is_linux,
		       struct vmm_backend_choice *choice, struct vmm_error *err);

extern const struct vmm_backend_ops vmm_backend_vhv;
extern const struct vmm_backend_ops vmm_backend_kvm;

struct vmm_vcpu {
	struct vmm_vm *vm;
	unsigned int id;
	int fd;
	void *run;			/* the mmap'd run area */
	size_t run_size;
	pthread_t thread;
	bool thread_started;
	bool bsp_ready;			/* boot state written by a loader */
	atomic_int running;		/* inside the backend's run call */
	uint64_t exits;
};

/* A descriptor the sandbox lets do more than I/O (sandbox.c). */
struct vmm_sandbox_fd {
	int fd;
	bool socket;			/* send and receive on it */
	bool accept;			/* accept4 on it, non-blocking */
	bool accept_plain;		/* accept on it, no flags (libslirp's) */
	unsigned long ioctl;		/* else this ioctl request */
};

struct vmm_device_entry {
	char name[32];
	void (*destroy)(void *opaque);
	void *opaque;
	struct vmm_device_entry *next;
};

struct vmm_loop_entry {
	int fd;
	vmm_fd_handler handler;
	void *opaque;
	struct vmm_loop_entry *next;
};

struct vmm_vm {
	const struct vmm_backend_ops *ops;
	enum vmm_backend_kind kind;
	struct vmm_caps caps;
	/*
	 * The backend has an HPET at VHV_HPET_ADDR (vhv's in-kernel irqchip
	 * with VHV_CAP_HPET; KVM's irqchip has none): the ACPI tables then
	 * describe it.
	 */
	bool hpet;
	int sys_fd;			/* /dev/vhv or /dev/kvm */
	int vm_fd;
	void *backend;			/* backend-private */
	bool backend_ioeventfd;		/* vhv: VHV_CAP_IOEVENTFD reads 1 */

	void *ram;			/* one mapping for all RAM */
	uint64_t ram_size;
	uint64_t low_size;		/* RAM at 0 */
	uint64_t high_size;		/* RAM at 4 GiB */

	unsigned int nr_vcpus;
	struct vmm_vcpu *vcpus;

	struct vmm_bus pio, mmio;

	/* The event loop (I/O thread). */
	int epfd;
	int stop_efd;			/* written on stop: wakes the loop */
	pthread_mutex_t loop_lock;
	struct vmm_loop_entry *loop_entries;
	pthread_t io_thread;
	bool io_started;

	struct vmm_device_entry *devices;

	/* Stop state: the first reason wins (set with a CAS). */
	atomic_int stop_reason;
	atomic_uint stop_code;
	bool started;
	bool waited;
	bool sandbox;			/* vmm_vm_sandbox() was called */
	struct vmm_sandbox_fd *sandbox_fds;	/* vmm_vm_sandbox_allow_*() */
	unsigned int nr_sandbox_fds;
	unsigned int sandbox_inet_sockets;	/* vmm_vm_sandbox_allow_inet() */

	/*
	 * Threads wait here until the sandbox is in place; the sandbox waits
	 * until every thread has arrived (done its own set-up, whose system
	 * calls the filter need not allow).
	 */
	pthread_mutex_t gate_lock;
	pthread_cond_t gate_cond;
	unsigned int gate_arrived;
	bool gate_open;
	/*
	 * The I/O thread has taken what was pending at the start (a console
	 * client that connected while vhv-run waited for one): the vCPUs
	 * run the guest only then, so none of its output goes to nobody.
	 */
	bool io_primed;

	/* Firmware and machine. */
	struct vmm_pc *pc;		/* vmm_add_pc_devices() state */

	pthread_mutex_t err_lock;
	/*
	 * err holds the first fatal message once vmm_vm_fail() set it: what
	 * the VM stopped for outlives whatever devices report after.
	 */
	bool err_fatal;
	char err[VMM_ERROR_MAX];
	char boot_note[VMM_ERROR_MAX];	/* how vmm_load_kernel() booted */
};

/* vcpu.c */
int vmm_vcpus_start(struct vmm_vm *vm);
void vmm_vcpus_kick(struct vmm_vm *vm);
void vmm_vcpus_join(struct vmm_vm *vm);

/* loop.c */
int vmm_loop_init(struct vmm_vm *vm);
int vmm_loop_start(struct vmm_vm *vm);
void vmm_loop_join(struct vmm_vm *vm);
void vmm_loop_destroy(struct vmm_vm *vm);

/* The signal that kicks vCPU threads out of the backend's run call. */
#define VMM_KICK_SIGNAL		(SIGRTMIN + 3)
int vmm_kick_signal_setup(void);

/*
 * vm.c: the start gate every VM thread passes once its set-up is done and
 * before it touches the guest or its devices.
 */
void vmm_gate_wait(struct vmm_vm *vm);
/* loop.c marks its first pass done; vcpu.c waits for it (gate_lock). */
void vmm_io_primed(struct vmm_vm *vm);
void vmm_io_primed_wait(struct vmm_vm *vm);

/* sandbox.c: prepare before the VM's threads exist, install after. */
int vmm_sandbox_prepare(struct vmm_vm *vm);
int vmm_sandbox_install(struct vmm_vm *vm);

/* machine.c: firmware tables are written when a kernel is loaded. */
int vmm_pc_write_firmware(struct vmm_vm *vm, uint64_t *rsdp_gpa);
void vmm_pc_destroy(struct vmm_vm *vm);

/* backend_common.c: what the vhv and KVM backends do alike. */
int vmm_backend_vcpu_open(struct vmm_vcpu *vcpu, unsigned long mmap_size_ioctl,
			  unsigned long create_ioctl, size_t min_run_size,
			  const char *prefix);
void vmm_backend_vcpu_close(struct vmm_vcpu *vcpu);
void vmm_backend_vm_close(struct vmm_vm *vm);
/*
 * Fills a port I/O exit whose data sits at data_offset in the run area;
 * false if that data would run past the end of the run area.
 */
bool vmm_exit_io(struct vmm_vcpu *vcpu, struct vmm_exit *exit, uint16_t port,
		 uint8_t size, bool write, uint32_t count, uint64_t data_offset);

/*
 * util.c: how the kernel image parsers (bzimage.c, vmlinux.c, kcache.c)
 * fail: msg goes into the caller's why buffer and err is returned.
 */
int vmm_fail(char *why, size_t why_len, int err, const char *msg);

/*
 * util.c: reads len bytes at offset off, going on after short reads and
 * EINTR.  Returns the bytes read (fewer than len only at end of file) or
 * -errno.
 */
ssize_t vmm_pread_full(int fd, void *buf, size_t len, off_t off);

#endif /* VMM_INTERNAL_H */
