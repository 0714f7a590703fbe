// SPDX-License-Identifier: GPL-2.0
/*
 * The host end of a console line: a device's output goes out through a
 * bounded buffer the I/O thread drains, never blocking a vCPU; its input
 * is read on the I/O thread only while the device has room for it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/console.h"

struct console {
	struct vmm_vm *vm;
	char name[24];
	pthread_mutex_t *lock;		/* the owner's: guards all below */
	const struct console_ops *ops;
	void *opaque;

	/* Input. */
	int in_fd;			/* -1: none */
	bool in_polled;			/* in_fd is in the loop */
	bool in_paused;			/* taken out until the owner has room */
	bool in_closed;			/* EOF or an error: for good */

	/* Output, and what the reader has not taken yet (a ring). */
	int out_fd;			/* non-blocking unless a file; -1: none */
	int out_owned;			/* out_fd is ours to close, or -1 */
	int out_saved_fl;		/* flags to restore on out_fd, or -1 */
	uint8_t *out_buf;		/* CONSOLE_OUT_SIZE bytes */
	size_t out_head, out_count;
	bool out_polled;		/* out_fd in the loop for EPOLLOUT */
	bool out_dead;			/* the reader is gone for good */
	uint64_t out_limit;		/* 0: none */
	uint64_t out_written, out_dropped;
	bool out_limited;
};

/* ---- input: read on the I/O thread while the owner has room ------------- */

static void in_event(void *opaque, uint32_t events);

static void in_poll(struct console *c, bool on)
{
	if (on == c->in_polled || c->in_fd < 0)
		return;
	if (on) {
		if (!vmm_loop_add(c->vm, c->in_fd, EPOLLIN, in_event, c))
			c->in_polled = true;
	} else {
		vmm_loop_del(c->vm, c->in_fd);
		c->in_polled = false;
	}
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

	(void)events;
	pthread_mutex_lock(c->lock);
	if (!c->in_polled)
		goto out;	/* an event from before a pause */
	/* Only what the owner can take, so that no byte is lost. */
	room = c->ops->room(c->opaque);
	if (!room) {
		in_pause(c);
		goto out;
	}
	/* One read per event: in_fd may be blocking (a shell's stdin). */
	n = read(c->in_fd, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN ||
		      errno == EWOULDBLOCK))
		goto out;
	if (n <= 0) {
		/* EOF or a dead fd: a level-triggered loop would spin on it. */
		in_poll(c, false);
		c->in_closed = true;
		goto out;
	}
	c->ops->input(c->opaque, buf, n);
	if (c->in_polled && !c->ops->room(c->opaque))
		in_pause(c);
out:
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
			out_kill(c);	/* EPIPE, EIO, a full disk ... */
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
		if (vmm_loop_add(c->vm, c->out_fd, EPOLLOUT, out_event, c))
			out_kill(c);
		else
			c->out_polled = true;
	} else {
		vmm_loop_del(c->vm, c->out_fd);
		c->out_polled = false;
	}
}

/* Says once, without waiting for stderr, that the limit dropped output. */
static void out_note_limit(struct console *c)
{
	struct pollfd pfd = { .fd = STDERR_FILENO, .events = POLLOUT };
	char msg[160];
	int len;
	ssize_t r;

	len = snprintf(msg, sizeof(msg),
		       "libvmm: %s: guest output reached its limit of %llu bytes; the rest is dropped\n",
		       c->name, (unsigned long long)c->out_limit);
	if (len > 0 && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT)) {
		r = write(STDERR_FILENO, msg, len);
		(void)r;
	}
}

void console_write(struct console *c, uint8_t b)
{
	if (c->out_fd < 0)
		return;
	if (c->out_dead) {
		c->out_dropped++;
		return;
	}
	if (c->out_limit && c->out_written + c->out_count >= c->out_limit) {
		if (!c->out_limited) {
			c->out_limited = true;
			out_note_limit(c);
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
	if (!out_drain(c))
		out_poll(c, true);
}

/* The I/O thread: the reader can take more. */
static void out_event(void *opaque, uint32_t events)
{
	struct console *c = opaque;

	(void)events;
	pthread_mutex_lock(c->lock);
	if (c->out_polled && (out_drain(c) || c->out_dead))
		out_poll(c, false);
	pthread_mutex_unlock(c->lock);
}

void console_set_output_limit(struct console *c, uint64_t max)
{
	c->out_limit = max;
}

void console_flush_stats(struct console *c, struct console_stats *st)
{
	if (c->out_fd >= 0 && out_drain(c) && c->out_polled)
		out_poll(c, false);
	st->written = c->out_written;
	st->dropped = c->out_dropped;
	st->buffered = c->out_count;
	st->limited = c->out_limited;
}

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
	c->out_buf = malloc(CONSOLE_OUT_SIZE);
	if (!c->out_buf)
		return vmm_set_error(c->vm, -ENOMEM, "%s: out of memory", c->name);
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
	int r;

	if (!c)
		return vmm_set_error(vm, -ENOMEM, "%s: out of memory", name);
	c->vm = vm;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->lock = lock;
	c->ops = ops;
	c->opaque = opaque;
	c->in_fd = -1;
	c->out_fd = -1;
	c->out_owned = -1;
	c->out_saved_fl = -1;
	r = out_setup(c, line->out_fd);
	if (!r)
		r = in_setup(c, line->in_fd);
	if (r) {
		console_destroy(c);
		return r;
	}
	*out = c;
	return 0;
}
