// SPDX-License-Identifier: GPL-2.0
/*
 * The VMM's seccomp sandbox: once a VM's threads exist and before the
 * first guest instruction, every thread of the process is confined to the
 * system calls running a VM needs (an allowlist; anything else kills the
 * process).  Nothing may map memory executable any more, so guest memory
 * never becomes code in the VMM.  Files, taps and rings are all opened
 * before; the filter keeps them usable, and nothing new can be opened.
 * What reaches further than the descriptor it acts on is bound to the
 * descriptors known when the filter is built (ioctls, socket sends and
 * receives, accepting a console socket's clients) or to the VMM itself
 * (signals).  The one exception is asked for: a user-mode network makes
 * IPv4 sockets as the guest connects out (sandbox_inet.c).
 *
 * A forbidden call traps (SIGSYS) rather than killing silently: the
 * handler names the call on stderr, then the process dies of SIGSYS as
 * it would have.  A thread that blocks SIGSYS dies without the message.
 */
#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "vmm/internal.h"
#include "vmm/sandbox_inet.h"

static const int allowed_syscalls[] = {
	/* I/O on descriptors opened before the VM started */
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
	SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(preadv),
	SCMP_SYS(pwritev), SCMP_SYS(preadv2), SCMP_SYS(pwritev2),
	SCMP_SYS(lseek), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
	SCMP_SYS(fallocate), SCMP_SYS(close), SCMP_SYS(fstat),
	SCMP_SYS(fcntl), SCMP_SYS(dup),
	/* the event loop and io_uring (its rings are restricted too) */
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_pwait2),
	SCMP_SYS(epoll_ctl), SCMP_SYS(io_uring_enter), SCMP_SYS(ppoll),
	SCMP_SYS(poll),
	/* memory, never executable (see mprotect/mmap rules below) */
	SCMP_SYS(munmap), SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(mremap),
	/* threads, signals, time */
	SCMP_SYS(futex), SCMP_SYS(rt_sigreturn), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(sigaltstack), SCMP_SYS(gettid),
	SCMP_SYS(getpid), SCMP_SYS(sched_yield), SCMP_SYS(nanosleep),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(clock_gettime),
	SCMP_SYS(gettimeofday), SCMP_SYS(restart_syscall),
	SCMP_SYS(set_robust_list), SCMP_SYS(rseq),
	SCMP_SYS(getrandom), SCMP_SYS(exit), SCMP_SYS(exit_group),
};

/* What a socket a device was handed may do (virtio_net_create_fd). */
static const int socket_syscalls[] = {
	SCMP_SYS(sendmsg), SCMP_SYS(sendto), SCMP_SYS(recvmsg),
	SCMP_SYS(recvfrom),
};

/*
 * The kernel reads descriptors, pids and ioctl requests as 32-bit
 * values: compare what it will see, whatever the upper half holds.
 */
#define ARG32(n, v)	SCMP_CMP((n), SCMP_CMP_MASKED_EQ, 0xffffffffu, \
				 (uint32_t)(v))

static int allow_ioctl(scmp_filter_ctx ctx, int fd, unsigned long request)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 2,
				ARG32(0, fd), ARG32(1, request));
}

static int allow_socket(scmp_filter_ctx ctx, int fd)
{
	unsigned int i;
	int r = 0;

	for (i = 0; !r && i < sizeof(socket_syscalls) / sizeof(socket_syscalls[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, socket_syscalls[i], 1,
				     ARG32(0, fd));
	return r;
}

/*
 * A listening socket's clients (a console socket): non-blocking and
 * close-on-exec, the flags its device passes, so that no client can make
 * a thread block in accept or leak into a child.
 */
static int allow_accept(scmp_filter_ctx ctx, int fd)
{
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(accept4), 2,
				ARG32(0, fd),
				ARG32(3, SOCK_NONBLOCK | SOCK_CLOEXEC));
}

/* The backend's vCPU and VM fds, then what devices and the embedder said. */
static int sandbox_fd_rules(scmp_filter_ctx ctx, struct vmm_vm *vm)
{
	const struct vmm_sandbox_fd *sfd;
	const unsigned long *req;
	unsigned int i;
	int r = 0;

	for (i = 0; !r && i < vm->nr_vcpus; i++)
		if (vm->vcpus[i].fd >= 0)
			r = allow_ioctl(ctx, vm->vcpus[i].fd,
					vm->ops->vcpu_run_ioctl);
	for (req = vm->ops->vm_ioctls; !r && req && *req; req++)
		r = allow_ioctl(ctx, vm->vm_fd, *req);
	for (i = 0; !r && i < vm->nr_sandbox_fds; i++) {
		sfd = &vm->sandbox_fds[i];
		if (sfd->socket)
			r = allow_socket(ctx, sfd->fd);
		else if (sfd->accept)
			r = allow_accept(ctx, sfd->fd);
		else if (sfd->accept_plain)
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(accept), 1,
					     ARG32(0, sfd->fd));
		else
			r = allow_ioctl(ctx, sfd->fd, sfd->ioctl);
	}
	return r;
}

static int sandbox_rules(scmp_filter_ctx ctx, struct vmm_vm *vm)
{
	unsigned int i;
	int r;

	for (i = 0; i < sizeof(allowed_syscalls) / sizeof(allowed_syscalls[0]); i++) {
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed_syscalls[i], 0);
		if (r)
			return r;
	}
	r = sandbox_fd_rules(ctx, vm);
	if (!r && vm->sandbox_inet_sockets)
		r = vmm_sandbox_inet_rules(ctx);
	if (r)
		return r;
	/* Signals within the VMM (kicking vCPU threads, raise()), no further. */
	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
			     ARG32(0, getpid()));
	if (r)
		return r;
	/*
	 * A disk gives up its image lock at teardown (its ring's reference
	 * on the file outlives the close); unlocking is all flock may do.
	 */
	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(flock), 1,
			     SCMP_A1(SCMP_CMP_EQ, LOCK_UN));
	if (r)
		return r;
	/* Memory may be mapped and protected, never executable. */
	r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	return r;
}

/* Formats v in decimal at the end of buf[0..len), returns the start. */
static char *fmt_ulong(char *buf, size_t len, unsigned long v)
{
	char *p = buf + len;

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v && p > buf);
	return p;
}

static void put(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));

	(void)r;
}

/* Async-signal-safe: only write(), getpid(), gettid() and tgkill(). */
static void sandbox_violation(int sig, siginfo_t *si, void *uc)
{
	char nr[24], tid[24];

	(void)uc;
	nr[sizeof(nr) - 1] = tid[sizeof(tid) - 1] = 0;
	put("libvmm: sandbox: thread ");
	put(fmt_ulong(tid, sizeof(tid) - 1, (unsigned long)gettid()));
	put(" made forbidden system call ");
	put(fmt_ulong(nr, sizeof(nr) - 1, (unsigned long)si->si_syscall));
	put(" (scmp_sys_resolver names it); stopping the VMM\n");
	/* SA_RESETHAND restored the default action: die of the signal. */
	tgkill(getpid(), gettid(), sig);
}

static int sandbox_trap_handler(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sandbox_violation;
	sa.sa_flags = SA_SIGINFO | SA_RESETHAND | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) ? -errno : 0;
}

static int sandbox_allow(struct vmm_vm *vm, struct vmm_sandbox_fd sfd)
{
	struct vmm_sandbox_fd *fds;

	if (vm->started)
		return vmm_set_error(vm, -EBUSY,
				     "sandbox: the VM is already running");
	if (sfd.fd < 0)
		return vmm_set_error(vm, -EBADF, "sandbox: fd %d", sfd.fd);
	fds = realloc(vm->sandbox_fds, (vm->nr_sandbox_fds + 1) * sizeof(*fds));
	if (!fds)
		return vmm_set_error(vm, -ENOMEM, "sandbox: out of memory");
	fds[vm->nr_sandbox_fds++] = sfd;
	vm->sandbox_fds = fds;
	return 0;
}

int vmm_vm_sandbox_allow_ioctl(struct vmm_vm *vm, int fd,
			       unsigned long request)
{
	return sandbox_allow(vm, (struct vmm_sandbox_fd){ .fd = fd,
							  .ioctl = request });
}

int vmm_vm_sandbox_allow_socket(struct vmm_vm *vm, int fd)
{
	return sandbox_allow(vm, (struct vmm_sandbox_fd){ .fd = fd,
							  .socket = true });
}

int vmm_vm_sandbox_allow_inet(struct vmm_vm *vm, unsigned int max_sockets)
{
	if (vm->started)
		return vmm_set_error(vm, -EBUSY,
				     "sandbox: the VM is already running");
	if (!max_sockets)
		return vmm_set_error(vm, -EINVAL, "sandbox: no sockets to allow");
	vm->sandbox_inet_sockets += max_sockets;
	return 0;
}

int vmm_vm_sandbox_allow_accept(struct vmm_vm *vm, int fd)
{
	return sandbox_allow(vm, (struct vmm_sandbox_fd){ .fd = fd,
							  .accept = true });
}

int vmm_vm_sandbox_allow_accept_plain(struct vmm_vm *vm, int fd)
{
	return sandbox_allow(vm, (struct vmm_sandbox_fd){ .fd = fd,
							  .accept_plain = true });
}

/*
 * Everything the filter would forbid later, done while the VM's threads
 * do not exist yet.
 */
int vmm_sandbox_prepare(struct vmm_vm *vm)
{
	int r;

	/*
	 * glibc reads /etc/localtime on the first time conversion of any
	 * kind (gmtime_r too): do it now, while files may still be opened.
	 */
	tzset();
	r = sandbox_trap_handler();
	if (r)
		return vmm_set_error(vm, r, "sandbox: SIGSYS handler: %s",
				     strerror(-r));
	if (vm->sandbox_inet_sockets) {
		r = vmm_sandbox_limit_fds(vm->sandbox_inet_sockets);
		if (r)
			return vmm_set_error(vm, r, "sandbox: RLIMIT_NOFILE: %s",
					     strerror(-r));
	}
	return 0;
}

int vmm_sandbox_install(struct vmm_vm *vm)
{
	scmp_filter_ctx ctx;
	int r;

	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return vmm_set_error(vm, -ENOMEM, "sandbox: seccomp_init failed");
	/* All threads of the process at once, or none. */
	r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	if (!r)
		r = sandbox_rules(ctx, vm);
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (r)
		return vmm_set_error(vm, r, "sandbox: installing the seccomp filter: %s",
				     strerror(-r));
	return 0;
}
