// SPDX-License-Identifier: GPL-2.0
/*
 * vhv-run's pty and socket consoles: made before any device, and the
 * socket path removed by a helper, since the sandboxed VMM cannot unlink.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "vmm/run_console.h"

/* why gets what fmt says; returns -e. */
static int __attribute__((format(printf, 4, 5)))
fail(int e, char *why, size_t why_len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, why_len, fmt, ap);
	va_end(ap);
	return -e;
}

int run_console_pty(char *path, size_t len, char *why, size_t why_len)
{
	struct termios t;
	int m, s = -1, e;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (m < 0) {
		e = errno;
		return fail(e, why, why_len, "opening a pseudo-terminal: %s",
			    strerror(e));
	}
	if (grantpt(m) || unlockpt(m) || ptsname_r(m, path, len)) {
		e = errno;
		fail(e, why, why_len, "setting its slave up: %s", strerror(e));
		goto err;
	}
	/*
	 * Raw both ways: no echo of the guest's output back into its input,
	 * no CR/NL rewriting, no signals from its bytes.  Set on the slave,
	 * which keeps it for every later opener; closing it leaves the
	 * master hung up, the state that means "nobody attached".
	 */
	s = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s < 0 || tcgetattr(s, &t)) {
		e = errno;
		fail(e, why, why_len, "%s: %s", path, strerror(e));
		goto err;
	}
	cfmakeraw(&t);
	/*
	 * Its owner's alone (devpts gives the tty group write, for write(1)
	 * and wall(1): not into a guest's console).
	 */
	if (fchmod(s, 0600) || tcsetattr(s, TCSANOW, &t) ||
	    fcntl(m, F_SETFL, fcntl(m, F_GETFL) | O_NONBLOCK)) {
		e = errno;
		fail(e, why, why_len, "%s: raw mode: %s", path, strerror(e));
		goto err;
	}
	close(s);
	return m;

err:
	if (s >= 0)
		close(s);
	close(m);
	return -e;
}

/* Every descriptor but a and b, even where close_range() is missing. */
static void close_all_but(unsigned int a, unsigned int b)
{
	unsigned int lo = a < b ? a : b, hi = a < b ? b : a, fd, max = 65536;
	struct rlimit rl;

	if ((!lo || !close_range(0, lo - 1, 0)) &&
	    (hi == lo + 1 || !close_range(lo + 1, hi - 1, 0)) &&
	    !close_range(hi + 1, ~0u, 0))
		return;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < max)
		max = rl.rlim_cur;
	for (fd = 0; fd < max; fd++)
		if (fd != a && fd != b)
			close(fd);
}

/*
 * The helper: waits for vhv-run to close go (at exit, or by dying), then
 * removes path if it is still the socket bound, and exits,
 * closing done.  In a session of its own, so that a terminal's Ctrl-C or
 * hangup, meant for vhv-run, leaves it to its job.
 */
static void __attribute__((noreturn))
remover(const char *path, const struct stat *bound, int go, int done)
{
	struct stat st;
	char c;

	setsid();
	close_all_but(go, done);
	while (read(go, &c, 1) < 0 && errno == EINTR)
		;
	/*
	 * The same inode number is no proof: a file system may give a freed
	 * one to the next file (ext4 does, at once), say the socket another
	 * vhv-run bound there since; its change time, to the nanosecond, is.
	 */
	if (!lstat(path, &st) && S_ISSOCK(st.st_mode) && st.st_dev == bound->st_dev &&
	    st.st_ino == bound->st_ino && st.st_ctim.tv_sec == bound->st_ctim.tv_sec &&
	    st.st_ctim.tv_nsec == bound->st_ctim.tv_nsec)
		unlink(path);
	_exit(0);
}

/*
 * The helper, double-forked so that nothing is left for vhv-run to reap;
 * before any thread exists.  go and done are the parent's ends.
 */
static int start_remover(const char *path, int *go, int *done)
{
	int gp[2], dp[2], e;
	struct stat st;
	pid_t pid;

	if (lstat(path, &st))
		return -errno;
	if (pipe2(gp, O_CLOEXEC))
		return -errno;
	if (pipe2(dp, O_CLOEXEC)) {
		e = errno;
		goto err_gp;
	}
	pid = fork();
	if (pid < 0) {
		e = errno;
		goto err_dp;
	}
	if (pid == 0) {
		if (fork() != 0)
			_exit(0);
		remover(path, &st, gp[0], dp[1]);
	}
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(gp[0]);
	close(dp[1]);
	*go = gp[1];
	*done = dp[0];
	return 0;

err_dp:
	close(dp[0]);
	close(dp[1]);
err_gp:
	close(gp[0]);
	close(gp[1]);
	return -e;
}

/*
 * Something is at path: a socket nobody listens on may go; anything
 * else stays, and the reason is returned.
 */
static int clear_stale(const struct sockaddr_un *a, char *why,
		       size_t why_len)
{
	struct stat st;
	int fd, r, e;

	if (lstat(a->sun_path, &st)) {
		e = errno;
		return e == ENOENT ? 0 : fail(e, why, why_len, "%s", strerror(e));
	}
	if (!S_ISSOCK(st.st_mode))
		return fail(EEXIST, why, why_len, "exists and is not a socket");
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		return fail(e, why, why_len, "%s", strerror(e));
	}
	r = connect(fd, (const struct sockaddr *)a, sizeof(*a));
	e = errno;
	close(fd);
	/* EAGAIN: a listener whose backlog is full is a listener still. */
	if (!r || e == EAGAIN)
		return fail(EADDRINUSE, why, why_len,
			    "a program listens on it (another vhv-run?)");
	if (e != ECONNREFUSED)
		return fail(e, why, why_len, "%s", strerror(e));
	/* Refused: its listener is gone (a vhv-run that died). */
	if (unlink(a->sun_path) && errno != ENOENT) {
		e = errno;
		return fail(e, why, why_len, "removing the stale socket: %s",
			    strerror(e));
	}
	return 0;
}

int run_console_listen(const char *path, struct run_console_socket *s,
		       char *why, size_t why_len)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	mode_t mask;
	int fd, r, e;

	s->fd = s->cleanup_fd = s->done_fd = -1;
	if (!*path || strlen(path) >= sizeof(a.sun_path))
		return fail(ENAMETOOLONG, why, why_len,
			    "a Unix socket's path is 1 to %zu bytes",
			    sizeof(a.sun_path) - 1);
	memcpy(a.sun_path, path, strlen(path) + 1);
	r = clear_stale(&a, why, why_len);
	if (r)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		return fail(e, why, why_len, "%s", strerror(e));
	}
	/* The console is the guest's keyboard: its owner's alone (and root's). */
	mask = umask(0177);
	r = bind(fd, (struct sockaddr *)&a, sizeof(a));
	e = errno;
	umask(mask);
	if (r) {
		close(fd);
		return fail(e, why, why_len, "%s", strerror(e));
	}
	if (listen(fd, 4)) {
		e = errno;
		fail(e, why, why_len, "listen: %s", strerror(e));
		goto err_bound;
	}
	r = start_remover(path, &s->cleanup_fd, &s->done_fd);
	if (r) {
		e = -r;
		fail(e, why, why_len, "a helper to remove it at exit: %s",
		     strerror(e));
		goto err_bound;
	}
	s->fd = fd;
	return 0;

err_bound:
	unlink(path);
	close(fd);
	return -e;
}

void run_console_unlisten(struct run_console_socket *s)
{
	struct pollfd p = { .fd = s->done_fd, .events = POLLIN };

	if (s->fd < 0)
		return;
	close(s->fd);
	close(s->cleanup_fd);
	/* The helper's end closes as it exits, the path gone. */
	while (poll(&p, 1, RUN_CONSOLE_UNLINK_MS) < 0 && errno == EINTR)
		;
	close(s->done_fd);
	s->fd = s->cleanup_fd = s->done_fd = -1;
}

int run_console_wait(bool pty, int fd, int sig_fd)
{
	struct pollfd p[2] = { { .fd = sig_fd, .events = POLLIN },
			       { .fd = fd, .events = POLLIN } };
	struct pollfd m = { .fd = fd, .events = POLLOUT };
	int r;

	for (;;) {
		/* A master hangs up (POLLHUP) for as long as no slave is open. */
		if (pty && poll(&m, 1, 0) >= 0 && !(m.revents & POLLHUP))
			return 0;
		r = poll(p, pty ? 1 : 2, pty ? RUN_CONSOLE_POLL_MS : -1);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && (p[0].revents & POLLIN))
			return 1;
		if (r > 0 && !pty && (p[1].revents & POLLIN))
			return 0;
	}
}
