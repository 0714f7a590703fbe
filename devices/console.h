/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host end of a console line (devices/console.c): where a device's
 * output bytes go and where its input comes from.  Output never blocks
 * the writer, input is read only as fast as the device takes it, and both
 * are bounded.
 */
#ifndef DEVICES_CONSOLE_H
#define DEVICES_CONSOLE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/device.h"

struct console;

/* What the line is: the fields of struct vmm_pc_config (libvmm.h). */
struct console_line {
	enum vmm_console_kind kind;
	int in_fd;		/* FDS: -1 for no input */
	int out_fd;		/* FDS: -1 for none (nothing counted) */
	int fd;			/* PTY: the master; SOCKET: the listener */
};

/* How the console hands input to the device that owns it. */
struct console_ops {
	/* How many host bytes the device takes now without losing one. */
	size_t (*room)(void *opaque);
	/* Host bytes for the device, at most room() of them. */
	void (*input)(void *opaque, const uint8_t *buf, size_t len);
};

/*
 * A console named name (for messages) on line, for a device whose lock is
 * *lock: every call below but console_create() and console_destroy() is
 * made with it held, and the console's event handlers take it before
 * reading, writing or calling ops.  Input is read on the VM's I/O thread;
 * a device that stops taking it (room() 0) calls console_input_resume()
 * once it has room again.
 *
 * Output never blocks the thread that writes nor the VM's stop: unless
 * out_fd is a regular file or a block device, the console writes through
 * its own non-blocking descriptor of the same file (or sets O_NONBLOCK on
 * out_fd, restored at destroy, where it cannot get one).  What the reader
 * does not take at once waits in a buffer of CONSOLE_OUT_SIZE bytes that
 * the I/O thread drains; past that, bytes are dropped and counted.
 *
 * A pty or a socket has a reader only at times (vmm_console_kind in
 * libvmm.h): while it has none, output is discarded (counted apart, in
 * unattached) and what was buffered for a reader that left goes too;
 * readers come and go without the owner knowing.  A pty's master is
 * watched edge-triggered, so that its hangup (POLLHUP for as long as no
 * slave is open) wakes the I/O thread once, not for ever.
 *
 * libvmm never closes the descriptors of line (the console closes the
 * clients it accepted).
 */
#define CONSOLE_OUT_SIZE	65536
int console_create(struct vmm_vm *vm, const char *name,
		   const struct console_line *line, pthread_mutex_t *lock,
		   const struct console_ops *ops, void *opaque,
		   struct console **out);
/* After every thread has stopped; NULL is fine. */
void console_destroy(struct console *c);

/* Guest output; never blocks.  Any thread, lock held. */
void console_write(struct console *c, uint8_t b);
/* The device has room for input again.  Cheap when input is not paused. */
void console_input_resume(struct console *c);

/*
 * At most max bytes (0: no limit) go to out_fd; the rest is dropped and
 * counted, and the first byte dropped so says once on stderr.
 */
void console_set_output_limit(struct console *c, uint64_t max);

struct console_stats {
	uint64_t written;	/* bytes the reader took */
	uint64_t dropped;	/* bytes lost: buffer full, limit, dead fd */
	uint64_t buffered;	/* still waiting for the reader */
	uint64_t unattached;	/* discarded: no reader on a pty or socket */
	uint64_t attaches;	/* socket clients taken; pty readers seen */
	uint64_t refused;	/* socket clients turned away: one was on */
	bool attached;		/* a pty's slave is open, a client on */
	bool limited;		/* the output limit was reached */
};
/* Writes out what is buffered as far as that goes without blocking. */
void console_flush_stats(struct console *c, struct console_stats *st);

#endif /* DEVICES_CONSOLE_H */
