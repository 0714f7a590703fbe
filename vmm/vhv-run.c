// SPDX-License-Identifier: GPL-2.0
/*
 * vhv-run: boots a kernel on libvmm with a serial console and virtio
 * devices.  Argument checking lives in cli.c; this file owns the terminal,
 * signals and the exit status.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/cli.h"
#include "vmm/device.h"
#include "vmm/run_console.h"
#include "version.h"	/* generated: build/version.h */

static struct termios saved_tio;
static int tio_saved;
/* --console socket=PATH: the listener, its path removed at exit. */
static struct run_console_socket console_sock = { -1, -1, -1 };

static void console_sock_close(void)
{
	run_console_unlisten(&console_sock);
}

static void restore_terminal(void)
{
	if (tio_saved)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
	tio_saved = 0;
}

/* Raw input so the guest gets every key; output processing kept. */
static void raw_terminal(void)
{
	struct termios t;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio))
		return;
	tio_saved = 1;
	atexit(restore_terminal);
	t = saved_tio;
	t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
		       ICRNL | IXON);
	t.c_lflag &= ~(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag |= CS8;
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	tcsetattr(STDIN_FILENO, TCSANOW, &t);
}

/*
 * A pty's or a socket's console: made before any device, so that a path
 * that cannot be is said as such, where there is no hypervisor too; where
 * gets its path.  The fd, or -1 after saying why.
 */
static int console_open(const struct cli_opts *o, char *where, size_t len)
{
	char why[256];
	int fd;

	if (o->console == CLI_CONSOLE_PTY) {
		fd = run_console_pty(where, len, why, sizeof(why));
		if (fd < 0)
			fprintf(stderr, "vhv-run: --console pty: %s\n", why);
		return fd;
	}
	if (run_console_listen(o->console_path, &console_sock, why,
			       sizeof(why))) {
		fprintf(stderr, "vhv-run: --console socket=%s: %s\n",
			o->console_path, why);
		return -1;
	}
	/* Also on every error return from here: the path goes with us. */
	atexit(console_sock_close);
	snprintf(where, len, "%s", o->console_path);
	return console_sock.fd;
}

/*
 * Before the guest starts: where the console is, how to attach (to a
 * person), and with ,wait the wait for a client.  0 to go on, 1 when a
 * signal came first, -1 after saying what failed.
 */
static int console_announce(const struct cli_opts *o, const char *where,
			    int fd, int sig_fd)
{
	char line[512];
	int r;

	fprintf(stderr, "vhv-run: console on %s\n", where);
	if (cli_want_banner(o, isatty(STDIN_FILENO), isatty(STDERR_FILENO))) {
		cli_attach_banner(o, where, line, sizeof(line));
		fputs(line, stderr);
	}
	if (!o->console_wait)
		return 0;
	fprintf(stderr, "vhv-run: waiting for a client on the console before starting the guest\n");
	r = run_console_wait(o->console == CLI_CONSOLE_PTY, fd, sig_fd);
	if (r < 0)
		fprintf(stderr, "vhv-run: waiting for a console client: %s\n",
			strerror(-r));
	return r < 0 ? -1 : r;
}

/*
 * On unless VHV_RUN_NO_SANDBOX is exactly 1; stderr says so whenever the
 * variable is set, so a sandbox that is off never goes unnoticed.
 */
static int sandbox(struct vmm_vm *vm, int console_in)
{
	const char *env = getenv("VHV_RUN_NO_SANDBOX");
	int r;

	if (cli_no_sandbox(env)) {
		fprintf(stderr, "vhv-run: VHV_RUN_NO_SANDBOX=1: running WITHOUT the seccomp sandbox\n");
		return 0;
	}
	if (env)
		fprintf(stderr, "vhv-run: VHV_RUN_NO_SANDBOX=%s ignored (only 1 turns the sandbox off)\n",
			env);
	r = vmm_vm_sandbox(vm);
	/*
	 * restore_terminal() runs after the guest, sandboxed: tcsetattr() is
	 * TCSETS, then a TCGETS with which glibc checks that a pty took the
	 * settings (without it, vhv-run died of SIGSYS on a terminal as the
	 * guest stopped, leaving the terminal raw).
	 */
	if (!r && console_in == STDIN_FILENO)
		r = vmm_vm_sandbox_allow_ioctl(vm, STDIN_FILENO, TCSETS);
	if (!r && console_in == STDIN_FILENO)
		r = vmm_vm_sandbox_allow_ioctl(vm, STDIN_FILENO, TCGETS);
	return r;
}

struct sig_ctx {
	struct vmm_vm *vm;
	int fd;
};

static void on_signal(void *opaque, uint32_t events)
{
	struct sig_ctx *s = opaque;
	struct signalfd_siginfo si;

	(void)events;
	if (read(s->fd, &si, sizeof(si)) == sizeof(si))
		vmm_vm_request_stop(s->vm, VMM_STOP_REQUESTED, si.ssi_signo);
}

/* $XDG_CACHE_HOME/vhv/kernels, else ~/.cache/vhv/kernels, else none. */
static const char *kernel_cache_dir(const struct cli_opts *o, char *buf,
				    size_t len)
{
	const char *base = getenv("XDG_CACHE_HOME");
	int n;

	if (o->no_kernel_cache)
		return NULL;
	if (o->kernel_cache)
		return o->kernel_cache;
	if (base && *base == '/')
		n = snprintf(buf, len, "%s/vhv/kernels", base);
	else if ((base = getenv("HOME")) && *base == '/')
		n = snprintf(buf, len, "%s/.cache/vhv/kernels", base);
	else
		return NULL;
	return n > 0 && (size_t)n < len ? buf : NULL;
}

static int fail(const char *what, const char *msg)
{
	restore_terminal();
	fprintf(stderr, "vhv-run: %s%s%s\n", what, *msg ? ": " : "", msg);
	return 1;
}

int main(int argc, char **argv)
{
	struct vmm_vm_config cfg;
	struct vmm_exit_status st;
	struct vmm_console_stats cons = { 0 };
	struct vmm_error err;
	struct cli_opts o;
	struct sig_ctx sig = { .fd = -1 };
	struct vmm_vm *vm;
	char msg[8192], cache[4096], where[4096];
	sigset_t set;
	int in = -1, out = -1, cfd = -1, r, status;
	unsigned int i;

	r = cli_parse(argc, argv, &o, msg, sizeof(msg));
	if (r == CLI_HELP) {
		fputs(cli_usage, stdout);
		return 0;
	}
	if (r == CLI_VERSION) {
		printf("vhv-run %s (git %s)\n", VHV_VERSION, VHV_COMMIT);
		return 0;
	}
	/* The user's files first: their problems are not the hypervisor's. */
	if (r < 0 || cli_check_files(&o, msg, sizeof(msg)) ||
	    cli_check_nets(&o, msg, sizeof(msg))) {
		fprintf(stderr, "vhv-run: %s\n", msg);
		return 1;
	}

	switch (o.console) {
	case CLI_CONSOLE_STDIO:
		in = STDIN_FILENO;
		out = STDOUT_FILENO;
		break;
	case CLI_CONSOLE_FILE:
		out = open(o.console_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			   0644);
		if (out < 0) {
			snprintf(msg, sizeof(msg), "%s", strerror(errno));
			fprintf(stderr, "vhv-run: --console file=%s: %s\n",
				o.console_path, msg);
			return 1;
		}
		break;
	case CLI_CONSOLE_PTY:
	case CLI_CONSOLE_SOCKET:
		cfd = console_open(&o, where, sizeof(where));
		if (cfd < 0)
			return 1;
		break;
	case CLI_CONSOLE_NONE:
		break;
	}

	/* A console reader that went away must not kill the VMM. */
	signal(SIGPIPE, SIG_IGN);

	/* Signals are taken by the VM's event loop, never by a handler. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);

	if (!o.backend_set) {
		struct vmm_backend_choice pick;

		if (vmm_backend_pick(o.kernel, &pick, &err))
			return fail(err.msg, "");
		o.backend = pick.backend;
		if (o.verbose)
			fprintf(stderr, "vhv-run: backend: %s (%s)\n",
				vmm_backend_name(o.backend), pick.why);
	} else if (o.verbose) {
		fprintf(stderr, "vhv-run: backend: %s (--backend %s)\n",
			vmm_backend_name(o.backend), vmm_backend_name(o.backend));
	}
	if (o.verbose)
		fprintf(stderr, "vhv-run: command line: %s%s\n", o.cmdline,
			o.cmdline_replace ? " (--cmdline-replace)" : "");
	cfg = (struct vmm_vm_config){ .backend = o.backend, .ram_size = o.mem,
				      .nr_vcpus = o.cpus };
	vm = vmm_vm_create(&cfg, &err);
	if (!vm) {
		fprintf(stderr, "vhv-run: %s: %s%s\n", vmm_backend_name(o.backend),
			err.msg, cli_backend_hint(o.backend, err.err));
		return 1;
	}
	r = vmm_add_pc_devices(vm, &(struct vmm_pc_config){
					.console_in = in, .console_out = out,
					.console_max = o.console == CLI_CONSOLE_FILE ?
						       o.console_max : 0,
					.console_kind = o.console == CLI_CONSOLE_PTY ?
							VMM_CONSOLE_PTY :
							o.console == CLI_CONSOLE_SOCKET ?
							VMM_CONSOLE_SOCKET :
							VMM_CONSOLE_FDS,
					.console_fd = cfd,
					.debug_exit_port = o.debug_exit_port });
	for (i = 0; !r && i < o.nr_disks; i++)
		r = vmm_add_disk(vm, &o.disks[i]);
	for (i = 0; !r && i < o.nr_nets; i++)
		r = vmm_add_net(vm, &o.nets[i]);
	if (!r && o.rng)
		r = vmm_add_rng(vm);
	if (!r)
		r = sandbox(vm, in);
	if (!r)
		r = vmm_load_kernel(vm, &(struct vmm_boot){
					.kernel = o.kernel, .initrd = o.initrd,
					.cmdline = o.cmdline,
					.kernel_cache = kernel_cache_dir(&o, cache,
									 sizeof(cache)) });
	if (!r && o.verbose && *vmm_boot_note(vm))
		fprintf(stderr, "vhv-run: %s\n", vmm_boot_note(vm));
	if (!r) {
		sig.vm = vm;
		sig.fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
		if (sig.fd < 0)
			r = vmm_set_error(vm, -errno, "signalfd: %s",
					  strerror(errno));
		else
			r = vmm_loop_add(vm, sig.fd, EPOLLIN, on_signal, &sig);
	}
	if (r) {
		snprintf(msg, sizeof(msg), "%s", vmm_vm_error(vm));
		vmm_vm_destroy(vm);
		return fail(msg, "");
	}

	if (in == STDIN_FILENO) {
		if (cli_want_banner(&o, isatty(STDIN_FILENO),
				    isatty(STDERR_FILENO)))
			fputs(cli_banner, stderr);
		raw_terminal();
	}
	r = cfd >= 0 ? console_announce(&o, where, cfd, sig.fd) : 0;
	if (r) {
		vmm_vm_destroy(vm);
		close(sig.fd);
		if (r < 0)
			return 1;
		fprintf(stderr, "vhv-run: guest stopped: %s (before it started)\n",
			vmm_stop_reason_name(VMM_STOP_REQUESTED));
		return cli_exit_status(&(struct vmm_exit_status){
					.reason = VMM_STOP_REQUESTED });
	}
	r = vmm_vm_start(vm);
	if (!r)
		r = vmm_vm_wait(vm, &st);
	restore_terminal();
	if (r) {
		snprintf(msg, sizeof(msg), "%s", vmm_vm_error(vm));
		vmm_vm_destroy(vm);
		return fail(msg, "");
	}
	status = cli_exit_status(&st);
	vmm_console_stats(vm, &cons);
	snprintf(msg, sizeof(msg), "%s", vmm_vm_error(vm));
	/*
	 * Devices flush their backends (disks fsync, within a bound) as they
	 * are destroyed: before anything goes to a stderr that might block.
	 */
	vmm_vm_destroy(vm);
	if (st.reason == VMM_STOP_ERROR)
		fprintf(stderr, "vhv-run: %s\n", msg);
	else if (st.reason != VMM_STOP_POWEROFF &&
		 st.reason != VMM_STOP_DEBUG_EXIT)
		fprintf(stderr, "vhv-run: guest stopped: %s\n",
			vmm_stop_reason_name(st.reason));
	if (cons.dropped)
		fprintf(stderr,
			"vhv-run: console: %llu bytes of guest output dropped (%s)\n",
			(unsigned long long)cons.dropped,
			cons.limited ? "--console file reached its max" :
				       "the reader did not keep up");
	if (sig.fd >= 0)
		close(sig.fd);
	if (out >= 0 && o.console == CLI_CONSOLE_FILE)
		close(out);
	if (o.console == CLI_CONSOLE_PTY)
		close(cfd);
	return status;
}
