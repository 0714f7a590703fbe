/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * libvmm: an embeddable virtual machine monitor on /dev/vhv (or /dev/kvm).
 * This is the whole public API for running a VM; devices/ and custom device
 * models use <vmm/device.h> as well.  Every function that can fail returns
 * a negative errno (or NULL) and leaves a message that names the cause in
 * the vmm_error passed in, or in vmm_vm_error() once a VM exists.  Nothing
 * here calls exit() or abort(), and there is no global state: any number of
 * VMs can live in one process.
 *
 *	struct vmm_error err;
 *	struct vmm_vm_config cfg = { .backend = VMM_BACKEND_VHV,
 *				     .ram_size = 512 << 20, .nr_vcpus = 2 };
 *	struct vmm_vm *vm = vmm_vm_create(&cfg, &err);
 *	vmm_add_pc_devices(vm, &(struct vmm_pc_config){ .console_out = 1 });
 *	vmm_load_kernel(vm, &(struct vmm_boot){ .kernel = "bzImage" });
 *	vmm_vm_start(vm);
 *	vmm_vm_wait(vm, &status);
 *	vmm_vm_destroy(vm);
 */
#ifndef LIBVMM_H
#define LIBVMM_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LIBVMM_VERSION_MAJOR	0
#define LIBVMM_VERSION_MINOR	7
#define LIBVMM_VERSION_PATCH	0
#define LIBVMM_VERSION \
	((LIBVMM_VERSION_MAJOR << 16) | (LIBVMM_VERSION_MINOR << 8) | \
	 LIBVMM_VERSION_PATCH)

/* The version of the library actually linked (compare with LIBVMM_VERSION). */
unsigned int vmm_version(void);

struct vmm_vm;

#define VMM_ERROR_MAX	256
struct vmm_error {
	int err;			/* negative errno */
	char msg[VMM_ERROR_MAX];	/* what failed, naming the thing */
};

enum vmm_backend_kind {
	VMM_BACKEND_VHV,		/* /dev/vhv (vhv.ko) */
	VMM_BACKEND_KVM,		/* /dev/kvm, in-kernel irqchip and PIT */
};

/* Parse "vhv"/"kvm"; -EINVAL for anything else. */
int vmm_backend_parse(const char *name, enum vmm_backend_kind *kind);
const char *vmm_backend_name(enum vmm_backend_kind kind);

/*
 * The backend that can run a kernel, for an embedder without a preference
 * (vhv-run without --backend).  The rule: vhv when /dev/vhv can run that
 * kernel, else KVM when /dev/kvm can.  /dev/vhv can when vhv.ko runs
 * guests on this host (VHV_CAP_RUN) and, for Linux, which needs
 * interrupt controllers and timers, has them in the kernel
 * (VHV_CAP_IRQCHIP); a kernel that is not Linux (a Multiboot or PVH test
 * kernel) runs on vhv without them.  Linux is a bzImage, or an ELF that
 * carries Linux's notes (a vmlinux).  /dev/kvm can when it opens and
 * has the in-kernel irqchip and PIT.  kernel: the path vmm_load_kernel()
 * will get (NULL: assume Linux).
 *
 * Returns 0 with *choice filled: the backend, and why in words
 * ("/dev/vhv: runs guests, in-kernel irqchip", "/dev/vhv: no such
 * device", "vhv.ko has no in-kernel irqchip, which Linux needs").
 * Errors, in err: the kernel's own, as vmm_load_kernel() would report
 * them (unreadable, not a kernel libvmm boots); -ENODEV when neither
 * device can run it, naming each device tried, why not, and what to do.
 * Opens and closes the devices, creates no VM: the VM created afterwards
 * may still fail (vhv.ko busy while another hypervisor holds the CPU).
 */
struct vmm_backend_choice {
	enum vmm_backend_kind backend;
	char why[VMM_ERROR_MAX];
};
int vmm_backend_pick(const char *kernel, struct vmm_backend_choice *choice,
		     struct vmm_error *err);

#define VMM_MAX_VCPUS		64
#define VMM_MIN_RAM		(16ull << 20)

struct vmm_vm_config {
	enum vmm_backend_kind backend;
	uint64_t ram_size;	/* bytes, multiple of 2 MiB, >= VMM_MIN_RAM */
	unsigned int nr_vcpus;	/* 1 .. VMM_MAX_VCPUS */
};

/*
 * Creates a VM with its RAM (anonymous memory of the calling process)
 * laid out as a PC: below 3 GiB, then from 4 GiB for what does not fit
 * under the 32-bit PCI/MMIO hole.  Returns NULL with err filled.
 */
struct vmm_vm *vmm_vm_create(const struct vmm_vm_config *cfg,
			     struct vmm_error *err);

/* Stops the VM if it runs, joins its threads, frees everything. */
void vmm_vm_destroy(struct vmm_vm *vm);

/*
 * The message of the last failure in this VM ("" if none); once the VM
 * stopped with VMM_STOP_ERROR, the message of the failure that stopped it.
 */
const char *vmm_vm_error(const struct vmm_vm *vm);

/* What the backend offers (filled at creation). */
struct vmm_caps {
	bool irqchip;		/* in-kernel LAPIC/IOAPIC/PIC/PIT */
	bool msi;		/* MSI delivery (needs irqchip) */
};
void vmm_vm_caps(const struct vmm_vm *vm, struct vmm_caps *caps);

/*
 * What COM1's line is (vmm_pc_config.console_kind).  Output never blocks
 * a vCPU or the VM's stop: what a reader does not take at once is
 * buffered (64 KiB), then dropped and counted.  libvmm never closes the
 * descriptors it is given.
 *
 * VMM_CONSOLE_FDS: console_in and console_out (-1: none); in console_in,
 * Ctrl-A x stops the VM (VMM_STOP_REQUESTED) and Ctrl-A Ctrl-A sends one
 * Ctrl-A, as on QEMU's stdio.
 *
 * VMM_CONSOLE_PTY: console_fd is the master of a pseudo-terminal (made
 * non-blocking; set it raw), the line both ways.  Whoever opens the slave
 * gets the output and types the input, as often as they like; while
 * nobody has it open (Linux then reports POLLHUP on the master), output
 * is discarded, neither buffered nor counted.  Open and close the slave
 * once before (as QEMU's -serial pty does) so that this holds from the
 * start; Linux otherwise keeps what the master writes for the first
 * opener.  No escape.
 *
 * VMM_CONSOLE_SOCKET: console_fd is a listening stream socket (made
 * non-blocking): one client at a time is the line.  Another that
 * connects meanwhile gets one line saying the console is busy and is
 * closed.  A client leaves by closing (or on any error); while none is
 * attached output is discarded, neither buffered nor counted.  The
 * sandbox lets the I/O thread accept on console_fd, and only there.
 * libvmm's threads block SIGPIPE; the embedder's, writing out the rest at
 * vmm_console_stats() or vmm_vm_destroy(), may get it from a client that
 * left: ignore it (vhv-run does).  No escape.
 */
enum vmm_console_kind {
	VMM_CONSOLE_FDS,
	VMM_CONSOLE_PTY,
	VMM_CONSOLE_SOCKET,
};

/*
 * The standard PC devices: COM1 (8250 UART, IRQ 4), i8042 (reset line),
 * CMOS RTC, ACPI power management (power-off), the PCI host bridge; ACPI
 * and MP tables are written at vmm_load_kernel().
 * console_kind: COM1's line, as above (0: VMM_CONSOLE_FDS).
 * console_max: bytes the line may take in all (0: no limit), then
 * output is dropped (said once on stderr); for a file a guest could
 * otherwise grow until the disk is full.
 * debug_exit_port: 0 for none (the default: a guest must not choose how
 * its VMM exits), else the port of a debug-exit device (0x501, 0xf4, ...):
 * a write of v there stops the VM with VMM_STOP_DEBUG_EXIT and code v.
 */
struct vmm_pc_config {
	int console_in;
	int console_out;
	uint64_t console_max;
	uint16_t debug_exit_port;
	enum vmm_console_kind console_kind;
	int console_fd;		/* VMM_CONSOLE_PTY and VMM_CONSOLE_SOCKET */
};
int vmm_add_pc_devices(struct vmm_vm *vm, const struct vmm_pc_config *cfg);

/* What became of the guest's console output. */
struct vmm_console_stats {
	uint64_t written;	/* bytes the line's reader took */
	uint64_t dropped;	/* bytes lost: reader too slow or gone, limit */
	bool limited;		/* console_max was reached */
};
/*
 * Writes out what the console still buffers, as far as that goes without
 * blocking, then fills *st.  Meant for after vmm_vm_wait(); -EINVAL
 * without vmm_add_pc_devices().
 */
int vmm_console_stats(struct vmm_vm *vm, struct vmm_console_stats *st);

/* A virtio-blk disk on a raw image file. */
struct vmm_disk_config {
	const char *path;
	bool read_only;
	const char *serial;	/* NULL: derived from the path */
};
int vmm_add_disk(struct vmm_vm *vm, const struct vmm_disk_config *cfg);

/*
 * A port forward into a user-mode network: connections (TCP) or datagrams
 * (UDP) to host_addr:host_port on the host reach the guest's guest_port.
 * Addresses are in network byte order, ports in host order.
 */
struct vmm_net_hostfwd {
	bool udp;
	uint32_t host_addr;	/* 0: INADDR_ANY, every interface */
	uint16_t host_port;	/* 1-65535 */
	uint16_t guest_port;	/* 1-65535 */
	uint32_t guest_addr;	/* 0: the address DHCP gives, 10.0.2.15 */
};
#define VMM_NET_MAX_HOSTFWD	16

/*
 * A virtio-net card, on an existing tap interface, or (user) on a
 * user-mode network that needs no privilege: libslirp on the VM's I/O
 * thread, 10.0.2.0/24 with the gateway and host at 10.0.2.2, DNS at
 * 10.0.2.3 (forwarded to the host's first IPv4 nameserver in
 * /etc/resolv.conf, read once here), DHCP giving 10.0.2.15; connections
 * out go through the host's own sockets, 10.0.2.2 reaches the host's
 * loopback; IPv4 only.  What the guest can make it hold is bounded (see
 * devices/net_user.c).  Its host forwards are bound here, before the VM
 * starts: a port in use is an error then.
 */
struct vmm_net_config {
	const char *tap;	/* interface name, or NULL with user */
	uint8_t mac[6];
	bool mac_set;		/* false: a locally administered random MAC */
	bool user;		/* the user-mode network instead of a tap */
	struct vmm_net_hostfwd hostfwd[VMM_NET_MAX_HOSTFWD];
	unsigned int nr_hostfwd;
};
int vmm_add_net(struct vmm_vm *vm, const struct vmm_net_config *cfg);

/* A virtio-rng device fed by the host's getrandom(). */
int vmm_add_rng(struct vmm_vm *vm);

/*
 * Loads a kernel and sets the boot vCPU up to enter it.  The format is
 * detected: a bzImage (boot protocol >= 2.12 with the 64-bit entry), an
 * ELF with a Xen PVH entry note, or a Multiboot v1 kernel (ELF, or any
 * file with the a.out kludge).  ELF and a.out-kludge images may go
 * anywhere in usable RAM, below 1 MiB too; only the legacy PC area
 * (0x9fc00-0xfffff: EBDA, VGA/ROM hole, ACPI and MP tables) is refused,
 * by name.  libvmm's own boot data for them goes in the lowest free gap.
 * A Multiboot command line is the kernel path, a space, then cmdline
 * (as GRUB and QEMU pass it); PVH and bzImage kernels get cmdline alone.
 */
struct vmm_boot {
	const char *kernel;	/* path */
	const char *initrd;	/* path or NULL */
	const char *cmdline;	/* NULL: "" */
	/*
	 * A directory for decompressed bzImage kernels, or NULL for none.
	 * The first boot of a bzImage decompresses in the guest as always,
	 * while a detached idle-priority process stores the decompressed
	 * kernel there; later boots of the same image (same bytes) load it
	 * directly, with libvmm placing it at random physical and virtual
	 * offsets as the kernel's decompressor would (KASLR).  On a miss
	 * vmm_load_kernel() forks: call it before starting other threads
	 * (as vmm_vm_start() does for the VM's own).  A directory that is
	 * not the user's own (another owner, group/world-writable, a
	 * symbolic link on its path) is not used: a line on stderr says
	 * why, and the guest decompresses.
	 */
	const char *kernel_cache;
};
int vmm_load_kernel(struct vmm_vm *vm, const struct vmm_boot *boot);

/* One line on how vmm_load_kernel() booted the kernel ("" before). */
const char *vmm_boot_note(const struct vmm_vm *vm);

/*
 * Confines the whole process with a seccomp allowlist at vmm_vm_start(),
 * after the VM's threads exist and before the guest's first instruction:
 * no new files, sockets or processes, no executable mappings, no path
 * lookups, signals only within the process, ioctls and socket sends only
 * on the descriptors allowed below; any other system call kills the
 * process.  For a process that only runs this VM (vhv-run does it).
 */
int vmm_vm_sandbox(struct vmm_vm *vm);

/*
 * What a descriptor may still do under the sandbox, said before
 * vmm_vm_start(): as Firecracker does, the filter names each descriptor
 * it lets take an ioctl or a send/receive, so a request is allowed only
 * on the descriptor that needs it (the backend's own are known).  An
 * embedder that, say, restores its terminal after the VM stopped allows
 * TCSETS on it; devices allow what they use.  0 or -errno (-EBUSY once
 * started).
 */
int vmm_vm_sandbox_allow_ioctl(struct vmm_vm *vm, int fd,
			       unsigned long request);
/* sendmsg/sendto/recvmsg/recvfrom on the socket fd. */
int vmm_vm_sandbox_allow_socket(struct vmm_vm *vm, int fd);
/*
 * For a user-mode network, which opens host sockets as the guest
 * connects out: IPv4 TCP, UDP and ping sockets may be made, connected,
 * accepted and used (sandbox_inet.c has the list), and at most
 * max_sockets more descriptors opened (the soft RLIMIT_NOFILE is lowered
 * so as the sandbox closes; calls add up to one budget for the process).
 * The budget is the process's, not the network's: every descriptor opened
 * after the sandbox closes takes from it, a console socket's client too
 * (two while one is attached, a third while another is told it is busy).
 * Nothing else changes.
 */
int vmm_vm_sandbox_allow_inet(struct vmm_vm *vm, unsigned int max_sockets);
/*
 * accept4 on the listening socket fd, with SOCK_NONBLOCK | SOCK_CLOEXEC
 * as its flags and nothing else (a console socket's clients).
 */
int vmm_vm_sandbox_allow_accept(struct vmm_vm *vm, int fd);
/*
 * accept() (no flags) on the listening socket fd: a library's own
 * listener that it accepts on that way (libslirp's, for a user-mode
 * network's forwards).
 */
int vmm_vm_sandbox_allow_accept_plain(struct vmm_vm *vm, int fd);

/* Starts one thread per vCPU and one for device I/O. */
int vmm_vm_start(struct vmm_vm *vm);

enum vmm_stop_reason {
	VMM_STOP_NONE,
	VMM_STOP_POWEROFF,	/* the guest powered off */
	VMM_STOP_RESET,		/* the guest asked for a reset/reboot */
	VMM_STOP_CRASH,		/* triple fault or guest-reported panic */
	VMM_STOP_DEBUG_EXIT,	/* a write to the debug-exit port; code = value */
	VMM_STOP_REQUESTED,	/* vmm_vm_request_stop() from the embedder */
	VMM_STOP_ERROR,		/* the VMM could not go on: vmm_vm_error() */
};

struct vmm_exit_status {
	enum vmm_stop_reason reason;
	uint32_t code;		/* DEBUG_EXIT: the value written */
};

/* Blocks until the VM has stopped and every thread it started is joined. */
int vmm_vm_wait(struct vmm_vm *vm, struct vmm_exit_status *status);

/*
 * Asks the VM to stop (the first reason given wins).  Async-signal-safe:
 * a SIGINT handler may call it.
 */
void vmm_vm_request_stop(struct vmm_vm *vm, enum vmm_stop_reason reason,
			 uint32_t code);

const char *vmm_stop_reason_name(enum vmm_stop_reason reason);

#ifdef __cplusplus
}
#endif
#endif /* LIBVMM_H */
