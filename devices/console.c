// SPDX-License-Identifier: GPL-2.0
/*
 * The host end of a console line: a device's output goes out through a
 * bounded buffer the I/O thread drains, never blocking a vCPU; its input
 * is read on the I/O thread only while the device has room for it.  The
 * line is a pair of descriptors, a pty master whose slave is opened and
 * closed at will, or a listening socket whose one client comes and goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/console.h"

/* Clients accepted in one go before the listener waits for its next turn. */
#define CONSOLE_ACCEPT_BATCH	16

/* What a second client of a console socket reads before it is closed. */
#define CONSOLE_BUSY_MSG "console busy: another client is attached\r\n"

struct console {
	struct vmm_vm *vm;
	char name[24];
	pthread_mutex_t *lock;		/* the owner's: guards all below */
	const struct console_ops *ops;
	void *opaque;
	enum vmm_console_kind kind;

	/* Input. */
	int in_fd;			/* -1: none (now) */
	bool in_owned;			/* a socket client: ours to close */
	bool in_polled;			/* in_fd is in the loop */
	bool in_paused;			/* taken out until the owner has room */
	bool in_closed;			/* FDS: EOF or an error, for good */

	/* Output, and what the reader has not taken yet (a ring). */
	int out_fd;			/* non-blocking unless a file; -1: none */
	int out_owned;			/* out_fd is ours to close, or -1 */
	int out_saved_fl;		/* flags to restore on out_fd, or -1 */
	uint8_t *out_buf;		/* CONSOLE_OUT_SIZE bytes */
	size_t out_head, out_count;
	bool out_polled;		/* out_fd in the loop for EPOLLOUT */
	bool out_dead;			/* FDS: the reader is gone for good */
	uint64_t out_limit;		/* 0: none */
	uint64_t out_written, out_dropped, out_unattached;
	bool out_limited;

	/* A pty or a socket: whether anyone is on the other end. */
	bool attached;
	int listen_fd;			/* SOCKET: -1 otherwise */
	bool listening;			/* listen_fd is in the loop */
	int reserve[2];			/* SOCKET: the next client's descriptors */
	bool accept_failing;		/* said so on stderr; quiet until one works */
	uint64_t attaches, refused;
};

static void out_poll(struct console *c, bool on);

/* A line on stderr, if it takes it now: a console never waits for it. */
static void __attribute__((format(printf, 2, 3)))
say(struct console *c, const char *fmt, ...)
{
	struct pollfd pfd = { .fd = STDERR_FILENO, .events = POLLOUT };
	char msg[200];
	va_list ap;
	int len, n;
	ssize_t r;

	len = snprintf(msg, sizeof(msg), "libvmm: %s: ", c->name);
	va_start(ap, fmt);
	n = vsnprintf(msg + len, sizeof(msg) - len - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	len += n < (int)(sizeof(msg) - len - 1) ? n : (int)(sizeof(msg) - len - 2);
	msg[len++] = '\n';
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT)) {
		r = write(STDERR_FILENO, msg, len);
		(void)r;
	}
}

/* ---- readers that come and go: a pty's slave, a socket's client -------- */

/* What was buffered for a reader that left is for nobody now. */
static void out_discard(struct console *c)
{
	c->out_unattached += c->out_count;
	c->out_count = 0;
	c->out_head = 0;
	out_poll(c, false);
}

/*
 * Whether a pty's slave is open: Linux reports POLLHUP on the master while
 * it is not (and wakes nobody when it opens, so this is asked).
 */
static bool pty_slave_open(const struct console *c)
{
	struct pollfd p = { .fd = c->out_fd, .events = POLLOUT };

	return poll(&p, 1, 0) >= 0 && !(p.revents & (POLLHUP | POLLNVAL));
}

static void pty_attach(struct console *c)
{
	if (!c->attached)
		c->attaches++;
	c->attached = true;
}

static void pty_detach(struct console *c)
{
	c->attached = false;
	out_discard(c);
}

static void in_poll(struct console *c, bool on);
static void listen_poll(struct console *c, bool on);
static void listen_rearm(struct console *c);

/*
 * A client needs two descriptors (input, and its own for output), and a
 * guest on the user network may hold every other one the process may
 * open (sandbox_inet.c leaves its sockets all that is free): two are kept
 * aside while no client needs them, copies of the listener never polled,
 * and handed over when accepting finds none free.  Takes what it can.
 */
static void reserve_take(struct console *c)
{
	for (int i = 0; i < 2; i++)
		if (c->reserve[i] < 0)
			c->reserve[i] = fcntl(c->listen_fd, F_DUPFD_CLOEXEC, 0);
}

/* Whether there was anything to hand over. */
static bool reserve_give(struct console *c)
{
	bool any = false;

	for (int i = 0; i < 2; i++) {
		if (c->reserve[i] >= 0) {
			close(c->reserve[i]);
			c->reserve[i] = -1;
			any = true;
		}
	}
	return any;
}

/* The client left, or broke: its descriptors go, the socket waits again. */
static void client_detach(struct console *c)
{
	if (!c->attached)
		return;
	in_poll(c, false);
	out_discard(c);
	close(c->in_fd);
	close(c->out_owned);
	c->in_fd = c->out_fd = c->out_owned = -1;
	c->in_owned = false;
	c->in_paused = false;
	c->attached = false;
	/* Its descriptors, kept for the next one before anything else takes them. */
	if (c->listen_fd >= 0) {
		reserve_take(c);
		/* Whoever waits behind it (accepting had failed) comes in now. */
		listen_rearm(c);
	}
}

/*
 * A hangup on the line: a pty's slave closed, a client left (EOF, an
 * error); the FDS input ends for good.
 */
static void in_hangup(struct console *c)
{
	switch (c->kind) {
	case VMM_CONSOLE_PTY:
		/* Edge-triggered: the master stays in the loop for the next. */
		pty_detach(c);
		break;
	case VMM_CONSOLE_SOCKET:
		client_detach(c);
		break;
	default:
		/* EOF or a dead fd: a level-triggered loop would spin on it. */
		in_poll(c, false);
		c->in_closed = true;
		break;
	}
}

/* ---- input: read on the I/O thread while the owner has room ------------- */

static void in_event(void *opaque, uint32_t events);

static void in_poll(struct console *c, bool on)
{
	uint32_t events = EPOLLIN;

	if (on == c->in_polled || c->in_fd < 0)
		return;
	if (!on) {
		vmm_loop_del(c->vm, c->in_fd);
		c->in_polled = false;
		return;
	}
	/* A master without a slave is ready (POLLHUP) until one opens. */
	if (c->kind == VMM_CONSOLE_PTY)
		events |= EPOLLET;
	if (!vmm_loop_add(c->vm, c->in_fd, events, in_event, c))
		c->in_polled = true;
}

/* The owner is full: no reading until console_input_resume(). */
static void in_pause(struct console *c)
{
	in_poll(c, false);
	c->in_paused = true;
}

void console_input_resume(struct console *c)
{
	if (!c->in_paused || c->in_closed)
		return;
	/* Edge-triggered too: adding the fd reports what is ready already. */
	in_poll(c, true);
	/* Where the loop cannot take it back, the next resume tries again. */
	c->in_paused = !c->in_polled;
}

static void in_event(void *opaque, uint32_t events)
{
	struct console *c = opaque;
	uint8_t buf[256];
	size_t room;
	ssize_t n;

	pthread_mutex_lock(c->lock);
	/* Not polled: an event from before a pause or a detach. */
	while (c->in_polled) {
		/* Only what the owner can take, so that no byte is lost. */
		room = c->ops->room(c->opaque);
		if (!room) {
			in_pause(c);
			break;
		}
		n = read(c->in_fd, buf, room < sizeof(buf) ? room : sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* A hangup that reading cannot tell yet: ask. */
			if (c->kind == VMM_CONSOLE_PTY && (events & EPOLLHUP) &&
			    !pty_slave_open(c))
				pty_detach(c);
			break;
		}
		if (n <= 0) {
			/* A pty master reads EIO while no slave is open. */
			in_hangup(c);
			break;
		}
		if (c->kind == VMM_CONSOLE_PTY)
			pty_attach(c);
		c->ops->input(c->opaque, buf, n);
		if (c->in_polled && !c->ops->room(c->opaque)) {
			in_pause(c);
			break;
		}
		/*
		 * One read per event unless edge-triggered (the pty), which
		 * must read until EAGAIN: a FDS in_fd may be blocking (a
		 * shell's stdin).
		 */
		if (c->kind != VMM_CONSOLE_PTY)
			break;
	}
	pthread_mutex_unlock(c->lock);
}

/* ---- a socket's clients, one at a time -------------------------------- */

static void refuse(struct console *c, int fd)
{
	ssize_t r = write(fd, CONSOLE_BUSY_MSG, sizeof(CONSOLE_BUSY_MSG) - 1);

	(void)r;
	close(fd);
	c->refused++;
}

/*
 * Whether the client on the line has left without the I/O thread having
 * read its EOF yet: a user who leaves and comes straight back finds the
 * console free, not busy with the ghost of their last visit.
 */
static bool client_gone(const struct console *c)
{
	struct pollfd p = { .fd = c->in_fd, .events = POLLRDHUP };

	return poll(&p, 1, 0) > 0 &&
	       (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL));
}

static void client_attach(struct console *c, int fd)
{
	/* Its own descriptor for output: the loop tells fds apart by number. */
	int out = fcntl(fd, F_DUPFD_CLOEXEC, 0);

	if (out < 0 && (errno == EMFILE || errno == ENFILE) && reserve_give(c))
		out = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (out < 0) {
		refuse(c, fd);
		return;
	}
	c->in_fd = fd;
	c->in_owned = true;
	c->out_fd = c->out_owned = out;
	c->attached = true;
	c->attaches++;
	in_poll(c, true);
	if (!c->in_polled)
		client_detach(c);
}

static void listen_event(void *opaque, uint32_t events);

/*
 * Edge-triggered: a client that cannot be accepted now (out of descriptors
 * or memory) stays queued without the loop spinning on it, and the next
 * to connect, or the client on now leaving, tries again; the listener
 * never leaves the loop for good.
 */
static void listen_poll(struct console *c, bool on)
{
	if (on == c->listening)
		return;
	if (!on) {
		vmm_loop_del(c->vm, c->listen_fd);
		c->listening = false;
	} else if (!vmm_loop_add(c->vm, c->listen_fd, EPOLLIN | EPOLLET, listen_event, c)) {
		c->listening = true;
	}
}

/* Added again, an edge-triggered descriptor reports what is pending. */
static void listen_rearm(struct console *c)
{
	listen_poll(c, false);
	listen_poll(c, true);
}

/* The I/O thread: clients are waiting. */
static void listen_event(void *opaque, uint32_t events)
{
	struct console *c = opaque;
	bool gave = false;
	int fd, n = 0;

	(void)events;
	pthread_mutex_lock(c->lock);
	while (c->listening) {
		/* vCPUs wait for this lock: a flood of clients is taken in turns. */
		if (++n > CONSOLE_ACCEPT_BATCH) {
			listen_rearm(c);
			break;
		}
		fd = accept4(c->listen_fd, NULL, NULL,
			     SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			c->accept_failing = false;
			if (c->attached && client_gone(c))
				client_detach(c);
			if (c->attached)
				refuse(c, fd);
			else
				client_attach(c, fd);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			break;
		/* Out of descriptors: the ones kept for a client, once. */
		if ((errno == EMFILE || errno == ENFILE) && !gave && !c->attached &&
		    reserve_give(c)) {
			gave = true;
			continue;
		}
		/*
		 * Out of descriptors or memory: the client waits in the queue
		 * (edge-triggered: no spinning on it) until the next one
		 * connects or the one on now leaves.
		 */
		if (!c->accept_failing)
			say(c, "--console socket: accepting a client: %s; trying again when %s",
			    strerror(errno), c->attached ? "this one leaves" :
			    "another connects");
		c->accept_failing = true;
		break;
	}
	/* Kept again, as far as anything is free. */
	reserve_take(c);
	pthread_mutex_unlock(c->lock);
}

/* ---- output: never blocks, bounded, drained by the I/O thread ----------- */

static void out_event(void *opaque, uint32_t events);

/* The reader is gone: everything waiting is lost. */
static void out_kill(struct console *c)
{
	c->out_dead = true;
	c->out_dropped += c->out_count;
	c->out_count = 0;
	c->out_head = 0;
}

/* A write failed: a pty's slave or a socket's client went, or a FDS reader. */
static void out_hangup(struct console *c)
{
	switch (c->kind) {
	case VMM_CONSOLE_PTY:
		pty_detach(c);		/* EIO on older kernels */
		break;
	case VMM_CONSOLE_SOCKET:
		client_detach(c);	/* EPIPE, ECONNRESET */
		break;
	default:
		out_kill(c);		/* EPIPE, EIO, a full disk ... */
		break;
	}
}

/*
 * Writes from the ring until it is empty or the reader takes no more for
 * now (false).  Never blocks: out_fd is non-blocking unless it is a file,
 * and a file takes what it is given.
 */
static bool out_drain(struct console *c)
{
	size_t chunk;
	ssize_t n;

	while (c->out_count && !c->out_dead) {
		chunk = CONSOLE_OUT_SIZE - c->out_head;
		if (chunk > c->out_count)
			chunk = c->out_count;
		n = write(c->out_fd, c->out_buf + c->out_head, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n <= 0) {
			out_hangup(c);
			break;
		}
		c->out_written += n;
		c->out_head = (c->out_head + n) % CONSOLE_OUT_SIZE;
		c->out_count -= n;
	}
	c->out_head = 0;
	return true;
}

/* The I/O thread drains while the reader is slow. */
static void out_poll(struct console *c, bool on)
{
	if (on == c->out_polled)
		return;
	if (on) {
		/* Without the loop nothing would drain: give it up then. */
		if (!vmm_loop_add(c->vm, c->out_fd, EPOLLOUT, out_event, c))
			c->out_polled = true;
		else if (c->kind == VMM_CONSOLE_FDS)
			out_kill(c);
		else
			out_discard(c);
	} else {
		vmm_loop_del(c->vm, c->out_fd);
		c->out_polled = false;
	}
}

/* Whether output has somewhere to go now; a pty is asked while it had not. */
static bool out_reader(struct console *c)
{
	if (c->kind == VMM_CONSOLE_PTY) {
		/*
		 * Paused input has its master out of the loop, which then
		 * hears no hangup: ask, or the next user of the pty would
		 * read what the guest wrote after this one left.
		 */
		if (c->attached && c->in_paused && !pty_slave_open(c))
			pty_detach(c);
		else if (!c->attached && pty_slave_open(c))
			pty_attach(c);
	}
	return c->kind == VMM_CONSOLE_FDS || c->attached;
}

void console_write(struct console *c, uint8_t b)
{
	if (c->kind == VMM_CONSOLE_FDS && c->out_fd < 0)
		return;
	if (!out_reader(c)) {
		c->out_unattached++;
		return;
	}
	if (c->out_dead) {
		c->out_dropped++;
		return;
	}
	if (c->out_limit && c->out_written + c->out_count >= c->out_limit) {
		if (!c->out_limited) {
			c->out_limited = true;
			say(c, "guest output reached its limit of %llu bytes; the rest is dropped",
			    (unsigned long long)c->out_limit);
		}
		c->out_dropped++;
		return;
	}
	if (c->out_count == CONSOLE_OUT_SIZE) {
		c->out_dropped++;	/* the reader is that far behind */
		return;
	}
	c->out_buf[(c->out_head + c->out_count) % CONSOLE_OUT_SIZE] = b;
	c->out_count++;
	if (c->out_polled)
		return;		/* the I/O thread writes it in order */
	if (!out_drain(c) && c->out_fd >= 0)
		out_poll(c, true);
}

/* The I/O thread: the reader can take more, or hung up. */
static void out_event(void *opaque, uint32_t events)
{
	struct console *c = opaque;

	pthread_mutex_lock(c->lock);
	if (!c->out_polled)
		goto out;	/* an event from before a detach */
	/*
	 * A master whose slave closed takes writes on newer kernels (for the
	 * next opener) until full, and reports POLLHUP meanwhile: a drain
	 * would find it full, stay polled and be called again at once.
	 */
	if (c->kind == VMM_CONSOLE_PTY && (events & EPOLLHUP)) {
		pty_detach(c);
		goto out;
	}
	if (out_drain(c) || c->out_dead)
		out_poll(c, false);
out:
	pthread_mutex_unlock(c->lock);
}

void console_set_output_limit(struct console *c, uint64_t max)
{
	c->out_limit = max;
}

void console_flush_stats(struct console *c, struct console_stats *st)
{
	if (c->out_fd >= 0 && out_drain(c))
		out_poll(c, false);
	st->written = c->out_written;
	st->dropped = c->out_dropped;
	st->buffered = c->out_count;
	st->unattached = c->out_unattached;
	st->attaches = c->attaches;
	st->refused = c->refused;
	st->attached = c->attached;
	st->limited = c->out_limited;
}

/* ---- set-up ----------------------------------------------------------- */

/*
 * A descriptor for the guest's output that never blocks.  A file or block
 * device is written as given (O_NONBLOCK means nothing to them, and a
 * reopen would lose the offset).  Anything else (a terminal, a pipe, a
 * socket) gets a descriptor of its own, opened with O_NONBLOCK through
 * /proc, so that the flag does not leak to whoever shares the original
 * (a shell's terminal); failing that, the flag is set on out_fd and put
 * back at destroy.
 */
static int out_setup(struct console *c, int out_fd)
{
	char path[40];
	struct stat st;
	int fd, fl;

	c->out_fd = out_fd;
	if (out_fd < 0)
		return 0;
	if (fstat(out_fd, &st))
		return vmm_set_error(c->vm, -errno, "%s: output fd %d: %s",
				     c->name, out_fd, strerror(errno));
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))
		return 0;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", out_fd);
	fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		c->out_fd = c->out_owned = fd;
		return 0;
	}
	fl = fcntl(out_fd, F_GETFL);
	if (fl < 0)
		return vmm_set_error(c->vm, -errno, "%s: output fd %d: %s",
				     c->name, out_fd, strerror(errno));
	if (!(fl & O_NONBLOCK)) {
		if (fcntl(out_fd, F_SETFL, fl | O_NONBLOCK))
			return vmm_set_error(c->vm, -errno,
					     "%s: output fd %d: O_NONBLOCK: %s",
					     c->name, out_fd, strerror(errno));
		c->out_saved_fl = fl;
	}
	return 0;
}

/* Reading starts with the VM; a file or /dev/null gives no input at all. */
static int in_setup(struct console *c, int in_fd)
{
	int r;

	c->in_fd = in_fd;
	if (in_fd < 0)
		return 0;
	r = vmm_loop_add(c->vm, in_fd, EPOLLIN, in_event, c);
	if (r == -EPERM) {
		c->in_fd = -1;
		return 0;
	}
	if (r)
		return r;
	c->in_polled = true;
	return 0;
}

static int set_nonblock(struct console *c, int fd, const char *what)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return vmm_set_error(c->vm, -errno, "%s: %s fd %d: %s", c->name,
				     what, fd, strerror(errno));
	return 0;
}

/*
 * The master, both ways: read edge-triggered (in_poll), written through a
 * descriptor of its own (the loop tells fds apart by number).
 */
static int pty_setup(struct console *c, int master)
{
	int r = set_nonblock(c, master, "pty master");

	if (r)
		return r;
	c->out_owned = fcntl(master, F_DUPFD_CLOEXEC, 0);
	if (c->out_owned < 0)
		return vmm_set_error(c->vm, -errno, "%s: pty master fd %d: %s",
				     c->name, master, strerror(errno));
	c->out_fd = c->out_owned;
	c->in_fd = master;
	if (pty_slave_open(c))
		pty_attach(c);
	in_poll(c, true);
	if (!c->in_polled)
		return vmm_set_error(c->vm, -ENOMEM, "%s: pty master fd %d: not in the event loop",
				     c->name, master);
	return 0;
}

static int socket_setup(struct console *c, int listen_fd)
{
	int r = set_nonblock(c, listen_fd, "listening socket");

	if (r)
		return r;
	c->listen_fd = listen_fd;
	reserve_take(c);
	if (c->reserve[0] < 0 || c->reserve[1] < 0)
		return vmm_set_error(c->vm, -errno, "%s: --console socket: no descriptors to keep for a client: %s",
				     c->name, strerror(errno));
	r = vmm_vm_sandbox_allow_accept(c->vm, listen_fd);
	if (r)
		return r;
	listen_poll(c, true);
	if (!c->listening)
		return vmm_set_error(c->vm, -ENOMEM, "%s: socket fd %d: not in the event loop",
				     c->name, listen_fd);
	return 0;
}

void console_destroy(struct console *c)
{
	if (!c)
		return;
	if (c->out_fd >= 0) {
		/* A last try, never waiting for the reader. */
		out_drain(c);
		c->out_dropped += c->out_count;
		c->out_count = 0;
	}
	out_poll(c, false);
	in_poll(c, false);
	if (c->listen_fd >= 0)
		listen_poll(c, false);
	reserve_give(c);
	if (c->in_owned)
		close(c->in_fd);
	if (c->out_saved_fl >= 0)
		fcntl(c->out_fd, F_SETFL, c->out_saved_fl);
	if (c->out_owned >= 0)
		close(c->out_owned);
	free(c->out_buf);
	free(c);
}

int console_create(struct vmm_vm *vm, const char *name,
		   const struct console_line *line, pthread_mutex_t *lock,
		   const struct console_ops *ops, void *opaque,
		   struct console **out)
{
	struct console *c = calloc(1, sizeof(*c));
	int r = 0;

	if (!c)
		return vmm_set_error(vm, -ENOMEM, "%s: out of memory", name);
	c->vm = vm;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->lock = lock;
	c->ops = ops;
	c->opaque = opaque;
	c->kind = line->kind;
	c->in_fd = c->out_fd = c->out_owned = c->out_saved_fl = -1;
	c->listen_fd = -1;
	c->reserve[0] = c->reserve[1] = -1;
	if (line->kind != VMM_CONSOLE_FDS || line->out_fd >= 0) {
		c->out_buf = malloc(CONSOLE_OUT_SIZE);
		if (!c->out_buf)
			r = vmm_set_error(vm, -ENOMEM, "%s: out of memory", name);
	}
	if (r)
		goto err;
	switch (line->kind) {
	case VMM_CONSOLE_FDS:
		r = out_setup(c, line->out_fd);
		if (!r)
			r = in_setup(c, line->in_fd);
		break;
	case VMM_CONSOLE_PTY:
		r = pty_setup(c, line->fd);
		break;
	case VMM_CONSOLE_SOCKET:
		r = socket_setup(c, line->fd);
		break;
	default:
		r = vmm_set_error(vm, -EINVAL, "%s: unknown console kind %d",
				  name, line->kind);
		break;
	}
	if (r)
		goto err;
	*out = c;
	return 0;

err:
	console_destroy(c);
	return r;
}
