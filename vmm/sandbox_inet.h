/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the sandbox lets a user-mode network (devices/net_user.c) do once
 * the guest runs: vmm_vm_sandbox_allow_inet()'s part of the filter.
 */
#ifndef VMM_SANDBOX_INET_H
#define VMM_SANDBOX_INET_H

#include <seccomp.h>

/* Adds the rules to ctx: 0 or a negative errno (libseccomp's). */
int vmm_sandbox_inet_rules(scmp_filter_ctx ctx);

/*
 * Lowers the soft RLIMIT_NOFILE (never raises it) so that at most
 * max_sockets more descriptors can be opened: 0 or -errno.
 */
int vmm_sandbox_limit_fds(unsigned int max_sockets);

/*
 * Calls fn(fd, arg) for each descriptor the process has open (not the one
 * reading /proc/self/fd), until fn returns non-zero: that, 0 after all,
 * or -errno when the list cannot be read.
 */
int vmm_for_each_fd(int (*fn)(int fd, void *arg), void *arg);

#endif /* VMM_SANDBOX_INET_H */
