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
#include <pthread.h>
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
	/* Guest memory layout, filled by the helpers below. */
	uint32_t next_slot;
	uint64_t next_gpa;	/* for vm_map_host() slots */
	uint8_t *pt_pool;	/* guest page tables, host view */
	uint64_t pt_gpa;	/* ... and guest-physical */
	uint64_t pt_used;
	/*
	 * Slots set through the library, for vm_recreate(); under slots_lock,
	 * as tests set slots from racing threads.
	 */
	pthread_mutex_t slots_lock;
	struct vhv_memory_slot *slots;
	uint32_t nr_slots;
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
/*
 * Whether this backend executes guests (VHV_CAP_RUN); if not, records one
 * skip naming `what` with the reason.
 */
bool vhv_can_run(const char *what);
long vhv_cap(int fd, unsigned long cap);

struct vm *vm_create(void);
void vm_free(struct vm *vm);
/*
 * Replaces the VM by a new, empty one (no irqchip, no vCPUs) with the same
 * memory slots over the same host memory, as a VMM restoring a saved VM
 * into a new one does; the old VM goes once its vCPU fds are closed.
 */
void vm_recreate(struct vm *vm);

struct vcpu *vcpu_add(struct vm *vm, uint32_t id);
void vcpu_free(struct vcpu *vcpu);

int __vm_set_slot(struct vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		  uint64_t size, void *uaddr);
/* mmaps anonymous memory and registers it; returns its address. */
void *vm_add_anon_slot(struct vm *vm, uint32_t slot, uint64_t gpa,
		       uint64_t size, uint32_t flags);

/* ---- running guests ------------------------------------------------------ */

#define GUEST_PT_GPA	0x10000000ull	/* page-table pool, 2 MiB */
#define GUEST_MAP_GPA	0x20000000ull	/* slots for vm_map_host() */

/* VHV_INJECT_EVENT, raw: what ioctl(2) returned (errno set). */
int __vcpu_inject(struct vcpu *vcpu, uint8_t type, uint8_t vector, bool has_err,
		  uint32_t err);

/* A program's tests by name: with names in argv only those run. */
struct named_test {
	const char *name;
	void (*fn)(void);
};
void run_named_tests(const struct named_test *t, unsigned int n, int argc,
		     char **argv);

/* vCPU runs: raw, retrying EINTR, asserting success. */
int __vcpu_run(struct vcpu *vcpu);
int _vcpu_run(struct vcpu *vcpu);
void vcpu_run(struct vcpu *vcpu);

struct vhv_regs vcpu_regs(struct vcpu *vcpu);
void vcpu_set_regs(struct vcpu *vcpu, const struct vhv_regs *r);
struct vhv_sregs vcpu_sregs(struct vcpu *vcpu);
void vcpu_set_sregs(struct vcpu *vcpu, const struct vhv_sregs *s);

/* Guest RAM: anonymous memory registered as the next slot at gpa. */
void *vm_add_ram(struct vm *vm, uint64_t gpa, uint64_t size);
/* Makes host memory [hva, hva+size) visible to the guest at VA = hva. */
void vm_map_host(struct vm *vm, void *hva, uint64_t size, bool readonly);
/* Maps this test program (code, data, bss) at its own addresses. */
void vm_map_self(struct vm *vm);
/* Lets guest user mode (CPL 3) reach everything mapped so far. */
void vm_set_user(struct vm *vm);
/* Maps guest VA [va, va+size) to guest-physical gpa (MMIO: no slot). */
void vm_map_gpa(struct vm *vm, uint64_t va, uint64_t gpa, uint64_t size);
/*
 * Gives a long-mode vCPU a GDT and an IDT whose 256 handlers count each
 * vector in guest_exceptions (see guest.h) and return, first adding
 * guest_exceptions.skip to the saved RIP (to step over a faulting insn).
 */
void vcpu_setup_idt(struct vcpu *vcpu);
/* Points one vector of that IDT at a handler of the test's own. */
void vcpu_set_idt_handler(struct vcpu *vcpu, uint8_t vector, const void *handler);

/* Guest modes, entered through VHV_SET_SREGS. */
void vcpu_setup_real_mode(struct vcpu *vcpu, uint16_t cs, uint16_t ip);
void vcpu_setup_protected_mode(struct vcpu *vcpu, uint32_t eip, uint32_t esp);
/* 64-bit mode running fn(arg) on its own 64 KiB stack; needs vm_map_self. */
void vcpu_setup_long_mode(struct vcpu *vcpu, void (*fn)(void *), void *arg);

/* The guest's ucall, if the last exit was one. */
struct ucall;
struct ucall *vcpu_ucall(struct vcpu *vcpu);
/* Runs until a ucall; FAIL and any other exit bail out.  Returns cmd. */
uint64_t vcpu_run_to_ucall(struct vcpu *vcpu, struct ucall *out);
const char *exit_reason_name(uint32_t reason);

/*
 * How many interrupt and NMI deliveries the guest's handlers counted
 * (count[2] and count[32..255], as guest_exceptions and the tests' own
 * tables keep them) beyond those vhv gave this vCPU since it was created
 * (VHV_STAT_INTERRUPTS).  Under QEMU 7.2 TCG the L1 CPU now and then
 * delivers an injected interrupt a second time by itself (the README's
 * Benchmarks section says how); a test that counts deliveries measures again
 * when this is not 0.  A guest that took fewer than vhv gave is a test
 * failure, reported here: the result is then 0.  A vhv bug that injects
 * one interrupt twice counts twice here too and still fails the test;
 * what this cannot tell from the emulator's is a handler run vhv did not
 * inject at all (the vector through a virtual-interrupt window, say).
 */
uint64_t emulator_added(struct vcpu *vcpu, const volatile uint64_t *count);
/*
 * A measurement the emulator spoiled is made again, up to EMULATOR_TRIES
 * times in all; spoiled every time, its counts are skipped with this reason.
 */
#define EMULATOR_TRIES		3
#define EMULATOR_SPOILED	"the emulated L1 CPU added interrupt deliveries of its own at each of 3 tries"

/* vhv.ko's live-object counters: /sys/class/misc/vhv/<name>. */
long vhv_stat(const char *name);
/* /proc/meminfo field in KiB. */
long meminfo_kib(const char *field);

#endif /* VHV_TEST_H */
