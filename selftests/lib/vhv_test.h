/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The selftest library: TAP reporting and helpers around /dev/vhv in three
 * tiers, as KVM's selftests have them:
 *   __name()  raw: one ioctl, returns what ioctl(2) returned (errno set)
 *   _name()   retry: repeats while the call is interrupted (EINTR)
 *   name()    assert: bails out of the test program unless it succeeded
 */
#ifndef VHV_TEST_H
#define VHV_TEST_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "../../uapi/vhv.h"

/* ---- TAP ---------------------------------------------------------------- */

/* Reports one result; returns ok so that callers can chain. */
bool tap_result(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_skip(const char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the plan ("1..N") and returns the program's exit status. */
int tap_done(void);
/* Ends the program at once: "Bail out!" and a non-zero status. */
void tap_bail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

#define TEST_REQUIRE(cond, fmt, ...)					\
	do {								\
		if (!(cond))						\
			tap_bail(__FILE__, __LINE__, "%s: " fmt, #cond,	\
				 ##__VA_ARGS__);			\
	} while (0)

/*
 * Checks that a call failed with exactly `err`: records one TAP result
 * naming the call, the expected errno and what actually happened.
 */
#define TEST_ERRNO(call, err, fmt, ...)					\
	({								\
		long __ret = (long)(call);				\
		int __err = errno;					\
		test_errno_result(__ret, __err, (err), #err, fmt,	\
				  ##__VA_ARGS__);			\
	})
bool test_errno_result(long ret, int got, int want, const char *want_name,
		       const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Records a result for a call that must succeed (return >= 0). */
#define TEST_OK(call, fmt, ...)						\
	({								\
		long __ret = (long)(call);				\
		int __err = errno;					\
		test_ok_result(__ret, __err, fmt, ##__VA_ARGS__);	\
	})
bool test_ok_result(long ret, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- /dev/vhv ----------------------------------------------------------- */

struct vm {
	int sys_fd;
	int fd;
};

struct vcpu {
	struct vm *vm;
	int fd;
	uint32_t id;
	struct vhv_run *run;	/* mapped run area */
	size_t run_size;
};

int __vhv_ioctl(int fd, unsigned long cmd, unsigned long arg);
int _vhv_ioctl(int fd, unsigned long cmd, unsigned long arg);
#define vhv_ioctl(fd, cmd, arg) __vhv_ioctl_assert(fd, cmd, #cmd, (unsigned long)(arg), __FILE__, __LINE__)
int __vhv_ioctl_assert(int fd, unsigned long cmd, const char *name,
		       unsigned long arg, const char *file, int line);

/* Opens /dev/vhv; bails out if it cannot (vhv.ko must be loaded). */
int vhv_open(void);
long vhv_cap(int fd, unsigned long cap);

struct vm *vm_create(void);
void vm_free(struct vm *vm);

struct vcpu *vcpu_add(struct vm *vm, uint32_t id);
void vcpu_free(struct vcpu *vcpu);

int __vm_set_slot(struct vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		  uint64_t size, void *uaddr);
/* mmaps anonymous memory and registers it; returns its address. */
void *vm_add_anon_slot(struct vm *vm, uint32_t slot, uint64_t gpa,
		       uint64_t size, uint32_t flags);

/* vhv.ko's live-object counters: /sys/class/misc/vhv/<name>. */
long vhv_stat(const char *name);
/* /proc/meminfo field in KiB. */
long meminfo_kib(const char *field);

#endif /* VHV_TEST_H */
