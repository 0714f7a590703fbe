// SPDX-License-Identifier: GPL-2.0
/*
 * libvmm's seccomp sandbox, in L1 on /dev/vhv: a VM still runs under it,
 * and a device thread that tries something outside the allowlist (a
 * socket, executable memory, opening a file; an ioctl, a send or an
 * accept on a descriptor the sandbox was not told about, a blocking
 * accept, a signal to another process) takes the VMM down with SIGSYS,
 * after naming the forbidden call on stderr.  Each case runs in its own child process.  TAP output.
 *   sandbox_test MULTIBOOT_KERNEL
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uapi/vhv.h"
#include "vmm/device.h"

static const char *kernel;
static int tests, failures;
static bool one_cpu_fifo;	/* the next child runs FIFO on one CPU */

enum attempt {
	NOTHING, SOCKET, MPROTECT_EXEC, MMAP_EXEC, OPEN_FILE, IOCTL_OTHER_FD,
	TGKILL_SELF, TGKILL_OTHER, SENDTO_OTHER_FD, SENDMSG_OTHER_FD, STAT_PATH,
	ACCEPT_ALLOWED, ACCEPT_OTHER_FD, ACCEPT_BLOCKING,
};

struct ctx {
	struct vmm_vm *vm;
	int efd;
	int sock[2];		/* a socket pair no device uses */
	int listen[2];		/* listening: [0] a console's, [1] nobody's */
	pid_t parent;
	enum attempt what;
	pthread_mutex_t lock;
	pthread_cond_t done_cond;
	bool done;
};

/* Runs on the VM's I/O thread, like any device's event handler. */
static void device_event(void *opaque, uint32_t events)
{
	struct ctx *c = opaque;
	struct stat st;
	uint64_t v;
	void *p;

	(void)events;
	if (read(c->efd, &v, sizeof(v)) != sizeof(v))
		return;
	switch (c->what) {
	case NOTHING:
		break;
	case SOCKET:
		socket(AF_INET, SOCK_STREAM, 0);
		break;
	case MPROTECT_EXEC:
		p = vmm_guest_ptr(c->vm, 0x100000, 4096);
		mprotect(p, 4096, PROT_READ | PROT_EXEC);
		break;
	case MMAP_EXEC:
		mmap(NULL, 4096, PROT_READ | PROT_EXEC,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		break;
	case OPEN_FILE:
		open("/etc/hostname", O_RDONLY);
		break;
	case IOCTL_OTHER_FD:
		/* A request the vCPUs may make, on a descriptor that is no vCPU. */
		ioctl(c->efd, VHV_RUN, 0);
		break;
	case TGKILL_SELF:
		syscall(SYS_tgkill, getpid(), gettid(), 0);
		break;
	case TGKILL_OTHER:
		syscall(SYS_tgkill, c->parent, c->parent, 0);
		break;
	case SENDTO_OTHER_FD:
		sendto(c->sock[0], "x", 1, MSG_DONTWAIT, NULL, 0);
		break;
	case SENDMSG_OTHER_FD: {
		struct iovec iov = { "x", 1 };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };

		sendmsg(c->sock[0], &msg, MSG_DONTWAIT);
		break;
	}
	case STAT_PATH:
		/* Whether a file exists is worth knowing to an attacker. */
		syscall(SYS_newfstatat, AT_FDCWD, "/etc/hostname", &st, 0);
		break;
	case ACCEPT_ALLOWED:
		/* As a console socket takes a client (none waits: EAGAIN). */
		accept4(c->listen[0], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		break;
	case ACCEPT_OTHER_FD:
		accept4(c->listen[1], NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		break;
	case ACCEPT_BLOCKING:
		/* A thread that could wait in accept for ever. */
		accept4(c->listen[0], NULL, NULL, SOCK_CLOEXEC);
		break;
	}
	/* Still alive: the attempt was allowed (or nothing was tried). */
	vmm_vm_request_stop(c->vm, VMM_STOP_REQUESTED, 7);
	pthread_mutex_lock(&c->lock);
	c->done = true;
	pthread_cond_broadcast(&c->done_cond);
	pthread_mutex_unlock(&c->lock);
}

/*
 * The guest's write to the debug-exit port, on its vCPU thread: hand the
 * attempt to the I/O thread and hold the guest until it is over, so the
 * device acts while the VM runs, whichever thread the host schedules.
 */
static void port_write(void *opaque, uint64_t off, const uint8_t *data,
		       uint32_t size)
{
	struct ctx *c = opaque;
	uint64_t one = 1;

	(void)off;
	(void)data;
	(void)size;
	if (write(c->efd, &one, sizeof(one)) != sizeof(one))
		return;
	pthread_mutex_lock(&c->lock);
	while (!c->done)
		pthread_cond_wait(&c->done_cond, &c->lock);
	pthread_mutex_unlock(&c->lock);
}

static const struct vmm_io_ops port_ops = { .write = port_write };

/* The child: a sandboxed VM; the guest would stop it with debug-exit 42. */
static int child(enum attempt what, bool poke)
{
	struct vmm_vm_config cfg = { VMM_BACKEND_VHV, 64 << 20, 1 };
	struct vmm_exit_status st;
	struct vmm_error err;
	struct ctx c = { .what = what };
	int r;

	/*
	 * FIFO on one CPU: a thread the VM creates runs only once the
	 * creating thread blocks, so a sandbox that closed before its
	 * threads had set themselves up would kill them in their set-up.
	 */
	if (one_cpu_fifo) {
		struct sched_param sp = { .sched_priority = 1 };
		cpu_set_t cpu0;

		CPU_ZERO(&cpu0);
		CPU_SET(0, &cpu0);
		if (sched_setaffinity(0, sizeof(cpu0), &cpu0) ||
		    sched_setscheduler(0, SCHED_FIFO, &sp)) {
			perror("one CPU, SCHED_FIFO");
			return 105;
		}
	}
	c.vm = vmm_vm_create(&cfg, &err);
	if (!c.vm) {
		fprintf(stderr, "vmm_vm_create: %s\n", err.msg);
		return 100;
	}
	c.efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c.parent = getppid();
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, c.sock)) {
		perror("socketpair");
		return 105;
	}
	/* Each on an abstract address of its own (a bind with no name). */
	for (r = 0; r < 2; r++) {
		struct sockaddr_un a = { .sun_family = AF_UNIX };

		c.listen[r] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
				     SOCK_CLOEXEC, 0);
		if (c.listen[r] < 0 ||
		    bind(c.listen[r], (struct sockaddr *)&a, sizeof(sa_family_t)) ||
		    listen(c.listen[r], 1)) {
			perror("listening socket");
			return 105;
		}
	}
	pthread_mutex_init(&c.lock, NULL);
	pthread_cond_init(&c.done_cond, NULL);
	/*
	 * Poking: the guest's debug-exit write (port 0x501) triggers the
	 * device on the I/O thread instead of stopping the VM; COM1 is
	 * absent (its status port floats high, so the guest's prints go
	 * nowhere).  Otherwise the full PC: the guest stops with 42.
	 */
	if (poke)
		r = vmm_io_register(c.vm, VMM_SPACE_PIO, 0x501, 4, &port_ops,
				    &c, "sandbox-test");
	else
		r = vmm_add_pc_devices(c.vm, &(struct vmm_pc_config){
					.console_in = -1, .console_out = -1,
					.debug_exit_port = 0x501 });
	if (r || vmm_load_kernel(c.vm, &(struct vmm_boot){ .kernel = kernel, .cmdline = "" }) ||
	    vmm_loop_add(c.vm, c.efd, EPOLLIN, device_event, &c) ||
	    vmm_vm_sandbox_allow_accept(c.vm, c.listen[0]) ||
	    vmm_vm_sandbox(c.vm)) {
		fprintf(stderr, "setup: %s\n", vmm_vm_error(c.vm));
		return 101;
	}
	if (vmm_vm_start(c.vm) || vmm_vm_wait(c.vm, &st)) {
		fprintf(stderr, "run: %s\n", vmm_vm_error(c.vm));
		return 103;
	}
	vmm_vm_destroy(c.vm);
	if (st.reason == VMM_STOP_DEBUG_EXIT)
		return st.code;			/* 42: the guest finished */
	if (st.reason == VMM_STOP_REQUESTED)
		return 50 + st.code;		/* 57: the device survived */
	return 104;
}

/* Reads what the child wrote to its stderr, to the end. */
static void slurp(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
}

/* want_nr >= 0: the child dies of SIGSYS and names system call want_nr. */
static void check(const char *name, enum attempt what, bool poke,
		  int want_status, long want_nr)
{
	char out[4096], want[96];
	int status, fds[2];
	bool ok;
	pid_t pid;

	if (pipe(fds)) {
		perror("pipe");
		exit(1);
	}
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		dup2(fds[1], STDERR_FILENO);
		_exit(child(what, poke));
	}
	close(fds[1]);
	slurp(fds[0], out, sizeof(out));
	close(fds[0]);
	waitpid(pid, &status, 0);
	tests++;
	snprintf(want, sizeof(want), "made forbidden system call %ld ", want_nr);
	if (want_nr >= 0)
		ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS &&
		     strstr(out, want);
	else
		ok = WIFEXITED(status) && WEXITSTATUS(status) == want_status;
	if (ok) {
		printf("ok %d - %s\n", tests, name);
		return;
	}
	failures++;
	if (WIFSIGNALED(status))
		printf("not ok %d - %s (killed by signal %d)\n", tests, name,
		       WTERMSIG(status));
	else
		printf("not ok %d - %s (exit status %d)\n", tests, name,
		       WEXITSTATUS(status));
	if (want_nr >= 0)
		printf("# wanted \"%s\" on stderr; got: %s\n", want, out);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: sandbox_test MULTIBOOT_KERNEL\n");
		return 2;
	}
	kernel = argv[1];
	printf("# sandbox_test\n");
	check("a sandboxed VM runs its guest to the end", NOTHING, false, 42, -1);
	check("a sandboxed device thread keeps its allowed calls", NOTHING, true, 57, -1);
	one_cpu_fifo = true;
	check("VM threads finish their set-up before the sandbox closes", NOTHING,
	      false, 42, -1);
	one_cpu_fifo = false;
	check("socket() from a device thread kills the VMM, named", SOCKET, true, 0,
	      SYS_socket);
	check("making guest memory executable kills the VMM, named", MPROTECT_EXEC,
	      true, 0, SYS_mprotect);
	check("an executable mapping kills the VMM, named", MMAP_EXEC, true, 0,
	      SYS_mmap);
	check("opening a file from a device thread kills the VMM, named", OPEN_FILE,
	      true, 0, SYS_openat);
	check("a vCPU's ioctl on a descriptor that is no vCPU kills the VMM, named",
	      IOCTL_OTHER_FD, true, 0, SYS_ioctl);
	check("a signal to a thread of the VMM itself is allowed", TGKILL_SELF, true,
	      57, -1);
	check("a signal to another process kills the VMM, named", TGKILL_OTHER, true,
	      0, SYS_tgkill);
	check("sendto on a socket no device uses kills the VMM, named",
	      SENDTO_OTHER_FD, true, 0, SYS_sendto);
	check("sendmsg on a socket no device uses kills the VMM, named",
	      SENDMSG_OTHER_FD, true, 0, SYS_sendmsg);
	check("probing a path with stat kills the VMM, named", STAT_PATH, true, 0,
	      SYS_newfstatat);
	check("accept4 on a console's listening socket, non-blocking, is allowed",
	      ACCEPT_ALLOWED, true, 57, -1);
	check("accept4 on a socket no device listens on kills the VMM, named",
	      ACCEPT_OTHER_FD, true, 0, SYS_accept4);
	check("a blocking accept4 on a console's socket kills the VMM, named",
	      ACCEPT_BLOCKING, true, 0, SYS_accept4);
	return failures ? 1 : 0;
}
