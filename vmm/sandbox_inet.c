// SPDX-License-Identifier: GPL-2.0
/*
 * The sandbox's rules for a user-mode network (--net user): libslirp makes
 * a host socket for each connection or UDP flow the guest opens, and
 * accepts the connections of its port forwards, all while the guest runs,
 * so what it calls on sockets cannot be tied to descriptors known before,
 * but for accept(): the forwards' listeners are.
 * Only a VM with such a network gets these (vmm_vm_sandbox_allow_inet());
 * everything else stays as tight as sandbox.c makes it.
 *
 * The list is what libslirp 4.7 calls (strace of test_net_user, which
 * also runs it under this filter): socket() only of the kinds it makes,
 * setsockopt() only for the options it sets (not SO_ATTACH_FILTER and its
 * kind, which would hand the kernel a program), FIONREAD the one ioctl (it
 * sizes a UDP datagram with it).  bind() and listen() stay forbidden: the
 * forwards listen before the sandbox closes.  No file is opened: DNS does
 * not read resolv.conf (devices/net_user.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "vmm/sandbox_inet.h"

static const int inet_syscalls[] = {
	/* connections out (accept: on the forwards' sockets only, below) */
	SCMP_SYS(connect), SCMP_SYS(shutdown),
	/* data; MSG_ERRQUEUE for ICMP errors of UDP flows */
	SCMP_SYS(sendto), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
	/* what it asks of its sockets */
	SCMP_SYS(getsockname), SCMP_SYS(getpeername), SCMP_SYS(getsockopt),
	/* its timers, on a timerfd made before */
	SCMP_SYS(timerfd_settime),
};

/* Same as sandbox.c's: what the kernel reads as 32 bits. */
#define ARG32(n, v)	SCMP_CMP((n), SCMP_CMP_MASKED_EQ, 0xffffffffu, \
				 (uint32_t)(v))

int vmm_for_each_fd(int (*fn)(int fd, void *arg), void *arg)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *d;
	int fd, r = 0;

	if (!dir)
		return -errno;
	while (!r && (d = readdir(dir))) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		fd = (int)strtol(d->d_name, NULL, 10);
		if (fd != dirfd(dir))
			r = fn(fd, arg);
	}
	closedir(dir);
	return r;
}

/*
 * accept() on the port forwards' listening sockets, and on nothing else:
 * they listen before the sandbox closes and listen() stays forbidden, so
 * the IPv4 listeners open now are all there will be.  Not on a console's
 * Unix socket, whose rule (sandbox.c) asks for accept4 with its flags.
 */
static int allow_accept_on(int fd, void *ctx)
{
	int on, domain;
	socklen_t len = sizeof(on);

	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) || !on)
		return 0;
	len = sizeof(domain);
	if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) || domain != AF_INET)
		return 0;
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(accept), 1, ARG32(0, fd));
}

int vmm_sandbox_inet_rules(scmp_filter_ctx ctx)
{
	/* TCP, UDP and unprivileged ping; never raw, packet, netlink, unix. */
	static const struct { int type, protocol; } kinds[] = {
		{ SOCK_STREAM, 0 }, { SOCK_DGRAM, 0 }, { SOCK_DGRAM, IPPROTO_ICMP },
	};
	/* Each option libslirp 4.7 sets on a socket (grep setsockopt). */
	static const struct { int level, name; } opts[] = {
		{ SOL_SOCKET, SO_REUSEADDR }, { SOL_SOCKET, SO_OOBINLINE },
		{ IPPROTO_TCP, TCP_NODELAY },
		{ IPPROTO_IP, IP_TTL }, { IPPROTO_IP, IP_RECVERR },
	};
	unsigned int i;
	int r = 0;

	for (i = 0; !r && i < sizeof(inet_syscalls) / sizeof(inet_syscalls[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, inet_syscalls[i], 0);
	if (!r)
		r = vmm_for_each_fd(allow_accept_on, ctx);
	for (i = 0; !r && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3,
				     ARG32(0, AF_INET),
				     SCMP_CMP(1, SCMP_CMP_MASKED_EQ,
					      ~(uint32_t)(SOCK_CLOEXEC | SOCK_NONBLOCK),
					      (uint32_t)kinds[i].type),
				     ARG32(2, kinds[i].protocol));
	for (i = 0; !r && i < sizeof(opts) / sizeof(opts[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 2,
				     ARG32(1, opts[i].level), ARG32(2, opts[i].name));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     ARG32(1, FIONREAD));
	/*
	 * Where the host refuses ping sockets (net.ipv4.ping_group_range),
	 * slirp tries a raw one for a guest's ping: that fails (EPERM) as for
	 * an unprivileged user, even as root, rather than kill the VMM.
	 */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 3,
				     ARG32(0, AF_INET),
				     SCMP_CMP(1, SCMP_CMP_MASKED_EQ,
					      ~(uint32_t)(SOCK_CLOEXEC | SOCK_NONBLOCK),
					      (uint32_t)SOCK_RAW),
				     ARG32(2, IPPROTO_ICMP));
	return r;
}

/*
 * Each descriptor slirp opens holds a socket's buffers.  A new descriptor
 * takes the lowest free number, and none at or past RLIMIT_NOFILE: the
 * limit goes where exactly max_sockets numbers below it are free, so no
 * more than that many can be opened (those open above it stay usable).
 * Past them socket() and accept() fail with EMFILE and slirp refuses the
 * connection or drops the datagram.
 */
struct fd_map {
	unsigned long top;
	uint8_t *open;		/* NULL: the first pass, finding top */
};

static int note_fd(int fd, void *arg)
{
	struct fd_map *m = arg;

	if (!m->open && (unsigned long)fd > m->top)
		m->top = fd;
	else if (m->open && (unsigned long)fd <= m->top)
		m->open[fd] = 1;
	return 0;
}

int vmm_sandbox_limit_fds(unsigned int max_sockets)
{
	unsigned long free_below, limit;
	struct fd_map m = { 0, NULL };
	struct rlimit rl;
	int r;

	r = vmm_for_each_fd(note_fd, &m);
	if (r)
		return r;
	m.open = calloc(m.top + 1, 1);
	if (!m.open)
		return -ENOMEM;
	r = vmm_for_each_fd(note_fd, &m);
	if (r) {
		free(m.open);
		return r;
	}
	for (limit = 0, free_below = 0; free_below < max_sockets; limit++)
		if (limit > m.top || !m.open[limit])
			free_below++;
	free(m.open);
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > limit) {
		rl.rlim_cur = limit;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			return -errno;
	}
	return 0;
}
