/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vhv-run's console beyond stdio and files (vmm/run_console.c): the
 * pseudo-terminal or the listening Unix socket, made before any device
 * is opened; waiting for a first client; the socket's removal at exit.
 */
#ifndef VMM_RUN_CONSOLE_H
#define VMM_RUN_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>

/*
 * --console pty: a pseudo-terminal's master, non-blocking and
 * close-on-exec, its slave raw (cfmakeraw, as QEMU's -serial pty) and
 * opened and closed once, so that nobody is attached until a user opens
 * it; the slave's path in path.  The fd, or -errno with why saying what
 * failed.
 */
int run_console_pty(char *path, size_t len, char *why, size_t why_len);

/*
 * --console socket=PATH: a Unix stream socket listening at path, mode
 * 0600 (its owner and root connect), non-blocking and close-on-exec.
 * Something at path that is not a socket is refused, so is a socket
 * someone listens on ("another vhv-run?"); a socket nobody listens on (a
 * vhv-run that died) is stale and replaced.  The sandboxed VMM cannot
 * remove a path, so a helper process (forked here, in a session of its
 * own, holding no other descriptor) removes it once vhv-run is gone, in
 * whatever way it goes, if it is still this socket (one killed between
 * bind and the fork leaves a stale socket, which the next replaces).
 * 0 or -errno, why saying what is wrong without the path.
 */
struct run_console_socket {
	int fd;			/* the listener; -1: none */
	int cleanup_fd;		/* its closing sets the helper going */
	int done_fd;		/* reads EOF once the helper is done */
};
int run_console_listen(const char *path, struct run_console_socket *s,
		       char *why, size_t why_len);

/*
 * Closes the listener and waits (at most RUN_CONSOLE_UNLINK_MS) for the
 * helper to remove the path: only close and poll, so it runs sandboxed.
 */
#define RUN_CONSOLE_UNLINK_MS	2000
void run_console_unlisten(struct run_console_socket *s);

/*
 * ,wait: until a client is there (pty: a slave is open, looked at every
 * RUN_CONSOLE_POLL_MS since Linux wakes nobody when one opens; socket: a
 * connection waits) or a signal arrives on sig_fd (-1: none).  0 with a
 * client, 1 on a signal, -errno on an error.
 */
#define RUN_CONSOLE_POLL_MS	50
int run_console_wait(bool pty, int fd, int sig_fd);

#endif
