// SPDX-License-Identifier: GPL-2.0
/*
 * vhv-run's pty and socket consoles (vmm/run_console.c), without a VM: the
 * pty is raw and starts with nobody attached; the socket refuses what is
 * not a stale socket, replaces what is, and its path goes at exit, even
 * when vhv-run dies; waiting for a first client, or a signal.
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
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/run_console.h"

static char dir[48], path[96], why[256];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/vhv-runcons-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/console.sock", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	return rmdir(dir);
}

static bool exists(const char *p)
{
	struct stat st;

	return !lstat(p, &st);
}

static int connect_to(const char *p)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", p);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -errno;
	}
	return fd;
}

/* The helper removes the path a little after the parent lets go. */
static bool gone_within(const char *p, int ms)
{
	int i;

	for (i = 0; i < ms / 10 && exists(p); i++)
		usleep(10000);
	return !exists(p);
}

/* ---- the pty ---------------------------------------------------------- */

static void test_pty(void **state)
{
	char name[64];
	struct termios t;
	struct pollfd p;
	int m, s;

	(void)state;
	m = run_console_pty(name, sizeof(name), why, sizeof(why));
	assert_true(m >= 0);
	assert_int_equal(strncmp(name, "/dev/pts/", 9), 0);
	assert_true(fcntl(m, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(m, F_GETFD) & FD_CLOEXEC);
	/* Nobody attached: the master hangs up until a slave opens. */
	p = (struct pollfd){ .fd = m, .events = POLLOUT };
	assert_int_equal(poll(&p, 1, 0), 1);
	assert_true(p.revents & POLLHUP);
	s = open(name, O_RDWR | O_NOCTTY);
	assert_true(s >= 0);
	p.revents = 0;
	poll(&p, 1, 0);
	assert_false(p.revents & POLLHUP);
	/* Raw for every opener: no echo, no line editing, no CR/NL rewrite. */
	/* The owner's alone: no write(1) or wall(1) into the guest's console. */
	{
		struct stat st;

		assert_int_equal(fstat(s, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
	}
	assert_int_equal(tcgetattr(s, &t), 0);
	assert_false(t.c_lflag & (ECHO | ICANON | ISIG));
	assert_false(t.c_iflag & (ICRNL | IXON));
	assert_false(t.c_oflag & OPOST);
	/* Both ways, bytes as they are. */
	assert_int_equal(write(m, "a\nb\r", 4), 4);
	{
		char buf[8] = { 0 };
		size_t n = 0;
		int i;

		for (i = 0; i < 100 && n < 4; i++) {
			ssize_t r = read(s, buf + n, sizeof(buf) - n);

			if (r > 0)
				n += r;
		}
		assert_memory_equal(buf, "a\nb\r", 4);
	}
	close(s);
	close(m);
}

/* ---- the socket ------------------------------------------------------- */

/* A fresh path: a listener, mode 0600, removed at unlisten. */
static void test_listen_and_unlisten(void **state)
{
	struct run_console_socket s;
	struct stat st;
	int c;

	(void)state;
	assert_int_equal(run_console_listen(path, &s, why, sizeof(why)), 0);
	assert_true(s.fd >= 0);
	assert_true(fcntl(s.fd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(s.fd, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	assert_int_equal(st.st_mode & 0777, 0600);
	c = connect_to(path);
	assert_true(c >= 0);
	close(c);
	run_console_unlisten(&s);
	assert_int_equal(s.fd, -1);
	/* unlisten waits for the helper: the path is gone when it returns. */
	assert_false(exists(path));
	run_console_unlisten(&s);		/* twice is harmless */
}

/* vhv-run killed: its descriptors close, the helper still removes the path. */
static void test_removed_when_vhv_run_dies(void **state)
{
	struct run_console_socket s;
	int st, ready[2];
	pid_t pid;
	char c;

	(void)state;
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		if (run_console_listen(path, &s, why, sizeof(why)))
			_exit(1);
		/* Listening, its helper started: now it may die. */
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(2);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	assert_true(exists(path));
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(gone_within(path, 3000));
}

/*
 * Not ours to remove: a file at the path, or a socket someone listens on.
 * A socket nobody listens on is a dead vhv-run's: replaced.  The helper
 * removes only the socket it was made for.
 */
static void test_what_is_at_the_path(void **state)
{
	struct run_console_socket s, s2;
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd;

	(void)state;
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(run_console_listen(path, &s, why, sizeof(why)), -EEXIST);
	assert_string_equal(why, "exists and is not a socket");
	assert_true(exists(path));
	unlink(path);

	assert_int_equal(run_console_listen(path, &s, why, sizeof(why)), 0);
	assert_int_equal(run_console_listen(path, &s2, why, sizeof(why)),
			 -EADDRINUSE);
	assert_string_equal(why, "a program listens on it (another vhv-run?)");
	run_console_unlisten(&s);

	/* A stale socket: bound, never listened on (or its listener died). */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	assert_int_equal(run_console_listen(path, &s, why, sizeof(why)), 0);
	fd = connect_to(path);
	assert_true(fd >= 0);
	close(fd);
	/* Someone put another file there meanwhile: the helper leaves it. */
	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	close(fd);
	run_console_unlisten(&s);
	assert_true(exists(path));
	unlink(path);
}

/*
 * Another vhv-run's socket took the path meanwhile, perhaps with the inode
 * number the first one's had (ext4 hands a freed one out at once): the
 * first one's helper leaves it.
 */
static void test_helper_spares_a_newer_socket(void **state)
{
	struct run_console_socket s, b;
	struct pollfd p;
	struct stat st;

	(void)state;
	assert_int_equal(run_console_listen(path, &s, why, sizeof(why)), 0);
	/*
	 * The first dies, its helper not done yet: only its listener is gone
	 * (once the helper, forked with a copy, has closed that too).
	 */
	close(s.fd);
	for (int i = 0; i < 300; i++) {
		int c = connect_to(path);

		if (c < 0)
			break;
		close(c);
		usleep(10000);
	}
	/* The next replaces the stale socket, and gets its own. */
	assert_int_equal(run_console_listen(path, &b, why, sizeof(why)), 0);
	/* The first one's helper runs at last. */
	close(s.cleanup_fd);
	p = (struct pollfd){ .fd = s.done_fd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 3000), 1);
	close(s.done_fd);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	run_console_unlisten(&b);
	assert_false(exists(path));
}

static void test_listen_errors(void **state)
{
	struct run_console_socket s;
	char missing[128], longp[160];

	(void)state;
	snprintf(missing, sizeof(missing), "%s/no/such/dir/c.sock", dir);
	assert_int_equal(run_console_listen(missing, &s, why, sizeof(why)),
			 -ENOENT);
	assert_string_equal(why, "No such file or directory");
	assert_int_equal(s.fd, -1);
	memset(longp, 'x', sizeof(longp) - 1);
	longp[0] = '/';
	longp[sizeof(longp) - 1] = 0;
	assert_int_equal(run_console_listen(longp, &s, why, sizeof(why)),
			 -ENAMETOOLONG);
	assert_string_equal(why, "a Unix socket's path is 1 to 107 bytes");
}

/* ---- waiting for the first client -------------------------------------- */

struct later {
	const char *path;
	bool pty;
	int ms;
	int fd;			/* what it opened */
};

static void *attach_later(void *arg)
{
	struct later *l = arg;

	usleep(l->ms * 1000);
	l->fd = l->pty ? open(l->path, O_RDWR | O_NOCTTY) : connect_to(l->path);
	return NULL;
}

static void test_wait_for_pty_slave(void **state)
{
	struct later l = { .pty = true, .ms = 150 };
	struct timespec t0, t1;
	char name[64];
	pthread_t t;
	int m;

	(void)state;
	m = run_console_pty(name, sizeof(name), why, sizeof(why));
	assert_true(m >= 0);
	l.path = name;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(pthread_create(&t, NULL, attach_later, &l), 0);
	assert_int_equal(run_console_wait(true, m, -1), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(t, NULL);
	assert_true(l.fd >= 0);
	/* It did wait for the slave: not before, not much after. */
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 +
		    (t1.tv_nsec - t0.tv_nsec) / 1000000 >= 140);
	close(l.fd);
	close(m);
}

static void test_wait_for_socket_client(void **state)
{
	struct run_console_socket s;
	struct later l = { .path = path, .ms = 100 };
	pthread_t t;

	(void)state;
	assert_int_equal(run_console_listen(path, &s, why, sizeof(why)), 0);
	assert_int_equal(pthread_create(&t, NULL, attach_later, &l), 0);
	assert_int_equal(run_console_wait(false, s.fd, -1), 0);
	pthread_join(t, NULL);
	assert_true(l.fd >= 0);
	close(l.fd);
	run_console_unlisten(&s);
}

/* A signal (here a pipe standing in for the signalfd) ends the wait. */
static void test_wait_signal(void **state)
{
	struct run_console_socket s;
	char name[64];
	int sig[2], m;

	(void)state;
	assert_int_equal(pipe(sig), 0);
	assert_int_equal(write(sig[1], "s", 1), 1);
	assert_int_equal(run_console_listen(path, &s, why, sizeof(why)), 0);
	assert_int_equal(run_console_wait(false, s.fd, sig[0]), 1);
	run_console_unlisten(&s);
	m = run_console_pty(name, sizeof(name), why, sizeof(why));
	assert_true(m >= 0);
	assert_int_equal(run_console_wait(true, m, sig[0]), 1);
	close(m);
	close(sig[0]);
	close(sig[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pty),
		cmocka_unit_test_setup_teardown(test_listen_and_unlisten, setup, teardown),
		cmocka_unit_test_setup_teardown(test_removed_when_vhv_run_dies, setup, teardown),
		cmocka_unit_test_setup_teardown(test_what_is_at_the_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_helper_spares_a_newer_socket, setup, teardown),
		cmocka_unit_test_setup_teardown(test_listen_errors, setup, teardown),
		cmocka_unit_test(test_wait_for_pty_slave),
		cmocka_unit_test_setup_teardown(test_wait_for_socket_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wait_signal, setup, teardown),
	};

	return cmocka_run_group_tests_name("run_console", tests, NULL, NULL);
}
