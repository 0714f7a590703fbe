// SPDX-License-Identifier: GPL-2.0
/*
 * The sandbox's rules for a user-mode network (--net user): libslirp makes
 * a host socket for each connection or UDP flow the guest opens, and
 * accepts the connections of its port forwards, all while the guest runs,
 * so what it calls on sockets cannot be tied to descriptors known before,
 * but for accept(): the forwards' listeners are (net_user.c allows
 * accept4 on the VMM's own, accept on slirp's Unix ones, by descriptor).
 * The TCP forwards' splice also makes a Unix stream socket for each
 * client and connects it to slirp's; seccomp cannot tell which path a
 * connect() names, so a VMM taken over could reach other Unix sockets of
 * its user's as well.
 * Only a VM with such a network gets these (vmm_vm_sandbox_allow_inet());
 * everything else stays as tight as sandbox.c makes it.
 *
 * The list is what libslirp 4.7 calls (strace of test_net_user, which
 * also runs it under this filter): socket() only of the kinds it makes,
 * setsockopt() only at the levels it uses, FIONREAD the one ioctl (it
 * sizes a UDP datagram with it).  listen() stays forbidden: the forwards
 * listen before the sandbox closes; bind() only with an IPv4 address's
 * length (slirp's port for each forwarded connection).  No file is opened: DNS does
 * not read resolv.conf (devices/net_user.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "vmm/sandbox_inet.h"

static const int inet_syscalls[] = {
	/* connections out (accept: on the forwards' sockets only, net_user.c) */
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

int vmm_sandbox_inet_rules(scmp_filter_ctx ctx)
{
	/* TCP, UDP and unprivileged ping; never raw, packet, netlink, unix. */
	static const struct { int type, protocol; } kinds[] = {
		{ SOCK_STREAM, 0 }, { SOCK_DGRAM, 0 }, { SOCK_DGRAM, IPPROTO_ICMP },
	};
	/* SO_REUSEADDR, SO_OOBINLINE; TCP_NODELAY; IP_TTL, IP_TOS, IP_RECVERR */
	static const int levels[] = { SOL_SOCKET, IPPROTO_TCP, IPPROTO_IP };
	unsigned int i;
	int r = 0;

	for (i = 0; !r && i < sizeof(inet_syscalls) / sizeof(inet_syscalls[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, inet_syscalls[i], 0);
	/*
	 * The TCP forwards' splice (devices/net_user.c) connects to slirp's
	 * Unix socket for each client: a Unix stream socket of exactly its
	 * kind.  connect() cannot be tied to the path (seccomp does not read
	 * memory): this is the one way out beyond IPv4 (see the top).
	 */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3,
				     ARG32(0, AF_UNIX),
				     ARG32(1, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC),
				     ARG32(2, 0));
	/*
	 * slirp binds 127.0.0.1:0 for each forwarded connection (the port the
	 * guest sees; it g_error()s if it cannot): an IPv4 address's length
	 * only.  A Unix socket given that length names a path of at most 13
	 * bytes; the only unbound ones are the card's pair and the splice's
	 * connected ends, where a name only says who it is.
	 */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(bind), 1,
				     ARG32(2, sizeof(struct sockaddr_in)));
	for (i = 0; !r && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(socket), 3,
				     ARG32(0, AF_INET),
				     SCMP_CMP(1, SCMP_CMP_MASKED_EQ,
					      ~(uint32_t)(SOCK_CLOEXEC | SOCK_NONBLOCK),
					      (uint32_t)kinds[i].type),
				     ARG32(2, kinds[i].protocol));
	for (i = 0; !r && i < sizeof(levels) / sizeof(levels[0]); i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(setsockopt), 1,
				     ARG32(1, levels[i]));
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
int vmm_sandbox_limit_fds(unsigned int max_sockets)
{
	unsigned long fd, top = 0, free_below, limit;
	struct rlimit rl;
	struct dirent *d;
	uint8_t *open_fd;
	DIR *dir;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		fd = strtoul(d->d_name, NULL, 10);
		if (fd > top)
			top = fd;
	}
	open_fd = calloc(top + 1, 1);
	if (!open_fd) {
		closedir(dir);
		return -ENOMEM;
	}
	rewinddir(dir);
	while ((d = readdir(dir))) {
		if (d->d_name[0] < '0' || d->d_name[0] > '9')
			continue;
		fd = strtoul(d->d_name, NULL, 10);
		if (fd != (unsigned long)dirfd(dir))
			open_fd[fd] = 1;
	}
	closedir(dir);
	for (limit = 0, free_below = 0; free_below < max_sockets; limit++)
		if (limit > top || !open_fd[limit])
			free_below++;
	free(open_fd);
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > limit) {
		rl.rlim_cur = limit;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			return -errno;
	}
	return 0;
}
