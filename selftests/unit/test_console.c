/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unit tests for devices/console.c, the host end of a console line, on
 * real descriptors: a socket pair, a pseudo-terminal whose slave is
 * opened and closed, a Unix socket in a temporary directory whose
 * clients come and go.  The I/O thread is played by hand, through a real
 * epoll set (fake_loop_epoll) where edge-triggering matters.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/console.h"
#include "selftests/unit/fake_vmm.h"

/* ---- the device that owns the console: takes input while it has room --- */

static struct owner {
	pthread_mutex_t lock;
	uint8_t in[16384];
	size_t len;		/* bytes taken */
	size_t cap;		/* bytes it takes in all before it is full */
} own = { .lock = PTHREAD_MUTEX_INITIALIZER };

static size_t owner_room(void *opaque)
{
	struct owner *o = opaque;

	return o->cap - o->len;
}

static void owner_input(void *opaque, const uint8_t *buf, size_t len)
{
	struct owner *o = opaque;

	assert_true(len <= o->cap - o->len);
	memcpy(o->in + o->len, buf, len);
	o->len += len;
}

static const struct console_ops owner_ops = {
	.room = owner_room,
	.input = owner_input,
};

static struct console *make(const struct console_line *line)
{
	struct console *c = NULL;

	fake_vmm_setup(0);
	own.len = 0;
	own.cap = sizeof(own.in);
	assert_int_equal(console_create(&fake_vm, "com-test", line, &own.lock,
					&owner_ops, &own, &c), 0);
	assert_non_null(c);
	return c;
}

/* Everything it registered leaves the loop with it. */
static void destroy(struct console *c)
{
	console_destroy(c);
	assert_int_equal(fk.nr_loop, 0);
}

static void put(struct console *c, const char *s)
{
	pthread_mutex_lock(&own.lock);
	while (*s)
		console_write(c, (uint8_t)*s++);
	pthread_mutex_unlock(&own.lock);
}

static void stats(struct console *c, struct console_stats *st)
{
	pthread_mutex_lock(&own.lock);
	console_flush_stats(c, st);
	pthread_mutex_unlock(&own.lock);
}

/* What fd has to read now (it is non-blocking), as a string. */
static const char *take(int fd)
{
	static char buf[4096];
	size_t n = 0;
	ssize_t r;

	while (n < sizeof(buf) - 1 &&
	       (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += r;
	buf[n] = 0;
	return buf;
}

static void nonblock(int fd)
{
	assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
}

/*
 * Runs the I/O thread until the owner has taken want bytes: what a pty's
 * slave writes reaches the master a little later (a kernel worker).
 */
static void wait_input(size_t want)
{
	int i;

	for (i = 0; i < 200 && own.len < want; i++)
		fake_loop_epoll(10);
	assert_int_equal(own.len, want);
}

/* The guest prints n bytes; it must never wait for a reader. */
static void flood(struct console *c, size_t n)
{
	struct timespec t0, t1;
	size_t i;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&own.lock);
	for (i = 0; i < n; i++)
		console_write(c, 'a' + i % 26);
	pthread_mutex_unlock(&own.lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true(t1.tv_sec - t0.tv_sec < 5);
}

/* ---- a pair of descriptors ---------------------------------------------- */

/*
 * A socket pair as both descriptors (an embedder's): output arrives, input
 * reaches the owner, and out_fd's flags are as they were after destroy.
 */
static void test_fds_socketpair(void **state)
{
	struct console_stats st;
	struct console *c;
	int sv[2], fl;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	fl = fcntl(sv[0], F_GETFL);
	c = make(&(struct console_line){ .kind = VMM_CONSOLE_FDS,
					 .in_fd = sv[0], .out_fd = sv[0] });
	put(c, "hello");
	nonblock(sv[1]);
	assert_string_equal(take(sv[1]), "hello");
	assert_int_equal(write(sv[1], "typed", 5), 5);
	fake_loop_epoll_run();
	assert_int_equal(own.len, 5);
	assert_memory_equal(own.in, "typed", 5);
	stats(c, &st);
	assert_int_equal(st.written, 5);
	assert_int_equal(st.dropped + st.unattached + st.attaches, 0);
	assert_true(st.attached == false);
	/* The peer goes: input ends for good, output is dropped, counted. */
	close(sv[1]);
	fake_loop_epoll_run();
	assert_null(fake_loop_find(sv[0]));
	put(c, "gone");
	stats(c, &st);
	assert_int_equal(st.dropped, 4);
	destroy(c);
	assert_int_equal(fcntl(sv[0], F_GETFL), fl);
	close(sv[0]);
}

/* ---- a pseudo-terminal ------------------------------------------------ */

/*
 * A master as vhv-run makes it: raw, and its slave opened and closed once,
 * so that nobody is attached from the start.
 */
static int pty_master(char *path, size_t len)
{
	struct termios t;
	int m, s;

	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	assert_int_equal(ptsname_r(m, path, len), 0);
	s = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(s >= 0);
	assert_int_equal(tcgetattr(s, &t), 0);
	cfmakeraw(&t);
	assert_int_equal(tcsetattr(s, TCSANOW, &t), 0);
	close(s);
	return m;
}

static int pty_open_slave(const char *path)
{
	int s = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

	assert_true(s >= 0);
	return s;
}

/* Reads from the slave until want has arrived (it may come in pieces). */
static void slave_expect(int s, const char *want)
{
	char got[4096];
	size_t n = 0, len = strlen(want);
	struct pollfd p = { .fd = s, .events = POLLIN };
	ssize_t r;
	int i;

	for (i = 0; i < 100 && n < len; i++) {
		poll(&p, 1, 10);
		r = read(s, got + n, sizeof(got) - 1 - n);
		if (r > 0)
			n += r;
	}
	got[n] = 0;
	assert_string_equal(got, want);
}

/*
 * Nobody on the slave: output is discarded, not kept for later and not
 * waited for; whoever opens the slave gets what comes after, and types
 * into the owner; closing it is a hangup that neither ends the console
 * nor makes the I/O thread spin (POLLHUP lasts while no slave is open);
 * and all of it again, as often as a user comes and goes.
 */
static void test_pty_attach_detach(void **state)
{
	struct console_stats st;
	struct console *c;
	char path[64], word[16];
	int m, s, round;

	(void)state;
	m = pty_master(path, sizeof(path));
	c = make(&(struct console_line){ .kind = VMM_CONSOLE_PTY, .fd = m });
	assert_int_equal(fk.nr_loop, 1);	/* the master, for input */
	assert_true(fk.loop[0].events & EPOLLET);
	stats(c, &st);
	assert_false(st.attached);
	put(c, "nobody hears this");
	fake_loop_epoll_run();
	assert_int_equal(fake_loop_epoll(20), 0);	/* no hangup storm */
	stats(c, &st);
	assert_int_equal(st.unattached, 17);
	assert_int_equal(st.written + st.buffered + st.dropped, 0);

	for (round = 0; round < 3; round++) {
		s = pty_open_slave(path);
		snprintf(word, sizeof(word), "hello %d", round);
		put(c, word);
		slave_expect(s, word);		/* nothing from before */
		stats(c, &st);
		assert_true(st.attached);
		assert_int_equal(st.attaches, round + 1);
		assert_int_equal(write(s, "ab", 2), 2);
		wait_input(2 * (round + 1));
		assert_memory_equal(own.in + 2 * round, "ab", 2);
		/* The user leaves: one wakeup, then quiet. */
		close(s);
		fake_loop_epoll_run();
		assert_int_equal(fake_loop_epoll(20), 0);
		stats(c, &st);
		assert_false(st.attached);
		assert_non_null(fake_loop_find(m));	/* still listening */
		put(c, "lost");
		stats(c, &st);
		assert_int_equal(st.unattached, 17 + 4 * (round + 1));
	}
	stats(c, &st);
	assert_int_equal(st.dropped, 0);
	destroy(c);
	close(m);
}

/*
 * A user who opened the slave but reads nothing: the guest never waits,
 * output waits in the bounded buffer, the rest is dropped and counted;
 * when the user then leaves, the I/O thread (polling to drain) sees the
 * hangup once and discards what was kept for them.
 */
static void test_pty_stalled_reader(void **state)
{
	struct console_stats st;
	struct console *c;
	char path[64];
	int m, s;

	(void)state;
	m = pty_master(path, sizeof(path));
	c = make(&(struct console_line){ .kind = VMM_CONSOLE_PTY, .fd = m });
	s = pty_open_slave(path);
	flood(c, 4 * CONSOLE_OUT_SIZE);
	stats(c, &st);
	assert_true(st.attached);
	assert_int_equal(st.buffered, CONSOLE_OUT_SIZE);
	assert_true(st.written > 0 && st.dropped > 0);
	assert_int_equal(st.written + st.buffered + st.dropped,
			 4 * CONSOLE_OUT_SIZE);
	assert_int_equal(fk.nr_loop, 2);	/* the master, its writer */
	close(s);
	fake_loop_epoll_run();
	assert_int_equal(fake_loop_epoll(20), 0);
	stats(c, &st);
	assert_false(st.attached);
	assert_int_equal(st.buffered, 0);
	assert_int_equal(st.unattached, CONSOLE_OUT_SIZE);
	assert_int_equal(fk.nr_loop, 1);
	destroy(c);
	close(m);
}

/*
 * Input the owner cannot take yet waits in the pty: the master leaves the
 * loop, comes back on resume, and (edge-triggered) is read at once.
 */
static void test_pty_input_paused(void **state)
{
	struct console *c;
	char path[64], data[300];
	int m, s, i;

	(void)state;
	for (i = 0; i < (int)sizeof(data); i++)
		data[i] = ' ' + i % 90;
	m = pty_master(path, sizeof(path));
	c = make(&(struct console_line){ .kind = VMM_CONSOLE_PTY, .fd = m });
	s = pty_open_slave(path);
	own.cap = 100;
	assert_int_equal(write(s, data, sizeof(data)), sizeof(data));
	wait_input(100);
	assert_null(fake_loop_find(m));		/* full: paused */
	while (own.cap < sizeof(data)) {
		own.cap += 100;
		pthread_mutex_lock(&own.lock);
		console_input_resume(c);
		pthread_mutex_unlock(&own.lock);
		assert_non_null(fake_loop_find(m));
		wait_input(own.cap < sizeof(data) ? own.cap : sizeof(data));
	}
	assert_int_equal(own.len, sizeof(data));
	assert_memory_equal(own.in, data, sizeof(data));
	close(s);
	destroy(c);
	close(m);
}

/*
 * The user leaves while input is paused (the guest reads nothing: its
 * master is out of the loop and hears no hangup): the guest's next output
 * finds out and is discarded, not left in the pty for the next opener.
 */
static void test_pty_paused_leave(void **state)
{
	struct console_stats st;
	struct console *c;
	char path[64], data[300], got[64];
	int m, s;
	ssize_t r;

	(void)state;
	memset(data, 'x', sizeof(data));
	m = pty_master(path, sizeof(path));
	c = make(&(struct console_line){ .kind = VMM_CONSOLE_PTY, .fd = m });
	s = pty_open_slave(path);
	own.cap = 100;
	assert_int_equal(write(s, data, sizeof(data)), sizeof(data));
	wait_input(100);
	assert_null(fake_loop_find(m));		/* full: paused */
	close(s);
	put(c, "AFTER-THE-USER-LEFT");
	stats(c, &st);
	assert_false(st.attached);
	assert_int_equal(st.written, 0);
	/* The next user finds nothing from before they came. */
	s = pty_open_slave(path);
	nonblock(s);
	r = read(s, got, sizeof(got));
	assert_true(r <= 0 || !memmem(got, (size_t)r, "AFTER", 5));
	close(s);
	destroy(c);
	close(m);
}

/* ---- a listening Unix socket, one client at a time --------------------- */

static char sock_dir[48], sock_path[96];

static int listener(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sock_dir, sizeof(sock_dir), "/tmp/vhv-console-XXXXXX");
	assert_non_null(mkdtemp(sock_dir));
	snprintf(sock_path, sizeof(sock_path), "%s/console.sock", sock_dir);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void listener_close(int fd)
{
	close(fd);
	unlink(sock_path);
	rmdir(sock_dir);
}

/* Connects; the I/O thread has not taken it yet. */
static int client_connect(void)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	snprintf(a.sun_path, sizeof(a.sun_path), "%s", sock_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	nonblock(fd);
	return fd;
}

static int client(void)
{
	int fd = client_connect();

	/* The I/O thread takes it. */
	fake_loop_epoll_run();
	return fd;
}

/*
 * Nobody connected: output is discarded.  A client gets what follows and
 * types into the owner; a second one is told the console is busy and
 * closed, the first unharmed; the client leaves, a new one comes, again.
 */
static void test_socket_clients(void **state)
{
	struct console_stats st;
	struct console *c;
	char word[16];
	int l, a, b, round;

	(void)state;
	l = listener();
	c = make(&(struct console_line){ .kind = VMM_CONSOLE_SOCKET, .fd = l });
	/* The sandbox lets accept4 happen on this descriptor only. */
	assert_int_equal(fk.nr_sandbox, 1);
	assert_int_equal(fk.sandbox[0].fd, l);
	assert_true(fk.sandbox[0].accept);
	put(c, "before");
	stats(c, &st);
	assert_int_equal(st.unattached, 6);
	assert_false(st.attached);

	for (round = 0; round < 3; round++) {
		a = client();
		stats(c, &st);
		assert_true(st.attached);
		assert_int_equal(st.attaches, round + 1);
		snprintf(word, sizeof(word), "hi %d", round);
		put(c, word);
		assert_string_equal(take(a), word);
		assert_int_equal(write(a, "in", 2), 2);
		fake_loop_epoll_run();
		assert_int_equal(own.len, 2 * (round + 1));

		b = client();
		stats(c, &st);
		assert_int_equal(st.refused, round + 1);
		assert_string_equal(take(b),
				    "console busy: another client is attached\r\n");
		assert_int_equal(read(b, word, 1), 0);	/* closed */
		close(b);
		put(c, "still");
		assert_string_equal(take(a), "still");

		close(a);
		fake_loop_epoll_run();
		stats(c, &st);
		assert_false(st.attached);
		put(c, "nobody");
		stats(c, &st);
		assert_int_equal(st.unattached, 6 + 6 * (round + 1));
	}
	destroy(c);
	listener_close(l);
}

/*
 * A client that reads nothing: the guest never waits, the buffer is
 * bounded; when it goes, what was kept for it goes too, whether the
 * guest's next byte or the I/O thread notices first.
 */
static void test_socket_stalled_client(void **state)
{
	struct console_stats st;
	struct console *c;
	int l, a;

	(void)state;
	l = listener();
	c = make(&(struct console_line){ .kind = VMM_CONSOLE_SOCKET, .fd = l });
	a = client();
	flood(c, 16 * CONSOLE_OUT_SIZE);
	stats(c, &st);
	assert_int_equal(st.buffered, CONSOLE_OUT_SIZE);
	assert_true(st.written > 0 && st.dropped > 0);
	assert_int_equal(st.written + st.buffered + st.dropped,
			 16 * CONSOLE_OUT_SIZE);
	close(a);
	fake_loop_epoll_run();
	assert_int_equal(fake_loop_epoll(20), 0);
	stats(c, &st);
	assert_false(st.attached);
	assert_int_equal(st.buffered, 0);
	assert_int_equal(st.unattached, CONSOLE_OUT_SIZE);
	assert_int_equal(fk.nr_loop, 1);	/* the listener alone */
	/* The next client starts clean. */
	a = client();
	put(c, "fresh");
	assert_string_equal(take(a), "fresh");
	/* Gone without the I/O thread noticing: the guest's write finds out. */
	close(a);
	put(c, "xy");
	stats(c, &st);
	assert_false(st.attached);
	destroy(c);
	listener_close(l);
}

/*
 * A user who leaves and comes straight back: the I/O thread takes the new
 * connection before it has read the old one's EOF, and must not call the
 * console busy with a client that is gone.
 */
static void test_socket_quick_return(void **state)
{
	struct console_stats st;
	struct console *c;
	struct fake_loop *e;
	int l, a, b;

	(void)state;
	l = listener();
	c = make(&(struct console_line){ .kind = VMM_CONSOLE_SOCKET, .fd = l });
	a = client();
	close(a);
	b = client_connect();
	e = fake_loop_find(l);
	assert_non_null(e);
	e->handler(e->opaque, EPOLLIN);		/* the listener first */
	stats(c, &st);
	assert_true(st.attached);
	assert_int_equal(st.attaches, 2);
	assert_int_equal(st.refused, 0);
	fake_loop_epoll_run();
	put(c, "back");
	assert_string_equal(take(b), "back");
	close(b);
	destroy(c);
	listener_close(l);
}

/*
 * accept4 as the console calls it, failing the next fail_accepts times
 * with ENOMEM (memory-cgroup pressure), the kernel's own otherwise.
 */
static int fail_accepts;

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	if (fail_accepts > 0) {
		fail_accepts--;
		errno = ENOMEM;
		return -1;
	}
	return syscall(SYS_accept4, fd, addr, len, flags);
}

/*
 * Accepting fails once with nobody attached: the console keeps listening
 * (before, it left the loop for good), the client waits in the queue, and
 * the next to connect brings both in: the first attached, the second
 * told the console is busy.
 */
static void test_socket_transient_accept_error(void **state)
{
	struct console_stats st;
	struct console *c;
	int l, a, b;

	(void)state;
	l = listener();
	c = make(&(struct console_line){ .kind = VMM_CONSOLE_SOCKET, .fd = l });
	fail_accepts = 1;
	a = client();
	stats(c, &st);
	assert_false(st.attached);
	assert_non_null(fake_loop_find(l));	/* still listening */
	b = client();
	stats(c, &st);
	assert_true(st.attached);
	assert_int_equal(st.attaches, 1);
	assert_int_equal(st.refused, 1);
	put(c, "late");
	assert_string_equal(take(a), "late");
	close(a);
	close(b);
	fake_loop_epoll_run();
	destroy(c);
	listener_close(l);
}

/*
 * A same-user flood of clients: each listener event takes at most a batch
 * (the vCPUs wait on the lock meanwhile), and the rest come in the next.
 */
static void test_socket_accept_batch(void **state)
{
	struct console_stats st;
	struct console *c;
	struct fake_loop *e;
	int l, fds[40], i;

	(void)state;
	l = listener();
	assert_int_equal(listen(l, 64), 0);
	c = make(&(struct console_line){ .kind = VMM_CONSOLE_SOCKET, .fd = l });
	for (i = 0; i < 40; i++)
		fds[i] = client_connect();
	e = fake_loop_find(l);
	assert_non_null(e);
	e->handler(e->opaque, EPOLLIN);
	stats(c, &st);
	assert_int_equal(st.attaches + st.refused, 16);
	fake_loop_epoll_run();
	stats(c, &st);
	assert_int_equal(st.attaches + st.refused, 40);
	for (i = 0; i < 40; i++)
		close(fds[i]);
	fake_loop_epoll_run();
	destroy(c);
	listener_close(l);
}

/*
 * Every descriptor the process may open is taken (a guest's sockets on the
 * user network, say): the client still gets in, through the two the
 * console kept; a second one waits while the first is on, and gets in
 * once it leaves.  Before, the console stopped listening for good.
 */
static void test_socket_out_of_descriptors(void **state)
{
	struct console_stats st;
	struct console *c;
	struct rlimit old, tight;
	int l, a, b, hog[64], nhog = 0;

	(void)state;
	l = listener();
	c = make(&(struct console_line){ .kind = VMM_CONSOLE_SOCKET, .fd = l });
	a = client_connect();
	b = client_connect();
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	tight = old;
	tight.rlim_cur = b + 24;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &tight), 0);
	while (nhog < 64 && (hog[nhog] = dup(l)) >= 0)
		nhog++;
	assert_int_equal(errno, EMFILE);
	assert_true(nhog < 64);

	fake_loop_epoll_run();
	stats(c, &st);
	assert_true(st.attached);
	assert_int_equal(st.attaches, 1);
	put(c, "in");
	assert_string_equal(take(a), "in");

	/* The second waits: nothing to accept it with, nobody refused. */
	stats(c, &st);
	assert_int_equal(st.attaches, 1);
	assert_int_equal(st.refused, 0);
	close(a);
	fake_loop_epoll_run();
	fake_loop_epoll_run();
	stats(c, &st);
	assert_true(st.attached);
	assert_int_equal(st.attaches, 2);
	put(c, "next");
	assert_string_equal(take(b), "next");

	close(b);
	fake_loop_epoll_run();
	while (nhog)
		close(hog[--nhog]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	destroy(c);
	listener_close(l);
}

/* The console closes the client it holds when it goes; the socket is not its. */
static void test_socket_destroy_with_client(void **state)
{
	struct console *c;
	char b;
	int l, a;

	(void)state;
	l = listener();
	c = make(&(struct console_line){ .kind = VMM_CONSOLE_SOCKET, .fd = l });
	a = client();
	destroy(c);
	assert_int_equal(fcntl(a, F_SETFL, 0), 0);	/* blocking: EOF now */
	assert_int_equal(read(a, &b, 1), 0);
	assert_true(fcntl(l, F_GETFD) >= 0);
	close(a);
	listener_close(l);
}

static void test_bad_kind(void **state)
{
	struct console *c = NULL;

	(void)state;
	fake_vmm_setup(0);
	assert_int_equal(console_create(&fake_vm, "com-test",
					&(struct console_line){ .kind = 7 },
					&own.lock, &owner_ops, &own, &c),
			 -EINVAL);
	assert_non_null(strstr(fk.msg, "unknown console kind 7"));
	assert_null(c);
	assert_int_equal(fk.nr_loop, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fds_socketpair),
		cmocka_unit_test(test_pty_attach_detach),
		cmocka_unit_test(test_pty_stalled_reader),
		cmocka_unit_test(test_pty_input_paused),
		cmocka_unit_test(test_pty_paused_leave),
		cmocka_unit_test(test_socket_clients),
		cmocka_unit_test(test_socket_stalled_client),
		cmocka_unit_test(test_socket_quick_return),
		cmocka_unit_test(test_socket_out_of_descriptors),
		cmocka_unit_test(test_socket_transient_accept_error),
		cmocka_unit_test(test_socket_accept_batch),
		cmocka_unit_test(test_socket_destroy_with_client),
		cmocka_unit_test(test_bad_kind),
	};

	/* A reader that left must not kill the test (libvmm's threads block it). */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("console", tests, NULL, NULL);
}
