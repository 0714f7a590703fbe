// SPDX-License-Identifier: GPL-2.0
/*
 * Guest time: the paravirtual clock Linux reads (KVM's kvmclock ABI at
 * CPUID 0x40000100, MSRs 0x4b564d00/01) against the host's clocks, the
 * TSC frequency reported to userspace, and the clock across a guest TSC
 * write.  Each guest reads the clock the way Linux's pvclock code does.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "lib/vhv_test.h"
#include "lib/guest.h"

#define MSR_WALL_CLOCK		0x4b564d00
#define MSR_SYSTEM_TIME		0x4b564d01
#define MSR_TSC			0x10
#define PV_GPA			0x30000000ull	/* one page of guest RAM */
#define FEATURE_CLOCKSOURCE2	(1u << 3)

struct pvclock_time {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};

struct pvclock_wall {
	uint32_t version;
	uint32_t sec;
	uint32_t nsec;
};

struct clock_page {
	struct pvclock_time t;
	uint8_t fill[32];
	struct pvclock_wall w;
};

static uint64_t guest_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a" (lo), "=d" (hi));
	return (uint64_t)hi << 32 | lo;
}

/* Linux's reader: retry while the version is odd or moved. */
static uint64_t guest_clock(volatile struct pvclock_time *t)
{
	uint32_t v;
	uint64_t ns, delta;

	do {
		v = t->version;
		asm volatile("" ::: "memory");
		delta = guest_rdtsc() - t->tsc_timestamp;
		if (t->tsc_shift >= 0)
			delta <<= t->tsc_shift;
		else
			delta >>= -t->tsc_shift;
		ns = t->system_time +
		     (uint64_t)(((unsigned __int128)delta * t->tsc_to_system_mul) >> 32);
		asm volatile("" ::: "memory");
	} while ((v & 1) || v != t->version);
	return ns;
}

static uint64_t host_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static struct vcpu *clock_guest(struct vm **vmp, void (*fn)(void *))
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_add(vm, 0);

	vm_map_self(vm);
	memset(vm_add_ram(vm, PV_GPA, 4096), 0, 4096);
	vm_map_gpa(vm, PV_GPA, PV_GPA, 4096);
	vcpu_setup_long_mode(vcpu, fn, NULL);
	vcpu_setup_idt(vcpu);
	*vmp = vm;
	return vcpu;
}

static void done(struct vm *vm, struct vcpu *vcpu)
{
	vcpu_free(vcpu);
	vm_free(vm);
}

/* ---- discovery ----------------------------------------------------------- */

static void guest_cpuid_leaves(void *arg)
{
	uint32_t r[4];

	(void)arg;
	guest_cpuid(0x40000000, 0, r);
	GUEST_SYNC(r[1]);		/* vhv's own signature stays first */
	guest_cpuid(0x40000100, 0, r);
	ucall(UCALL_SYNC, r[0], r[1], (uint64_t)r[2] << 32 | r[3]);
	guest_cpuid(0x40000101, 0, r);
	GUEST_SYNC(r[0]);
	GUEST_DONE();
}

static void test_discovery(void)
{
	int sys = vhv_open();
	long khz = ioctl(sys, VHV_CHECK_CAP, VHV_CAP_TSC_KHZ);
	struct vm *vm;
	struct vcpu *vcpu = clock_guest(&vm, guest_cpuid_leaves);
	struct ucall uc;

	tap_result(khz > 0, "VHV_CAP_TSC_KHZ reports the TSC rate: %ld kHz", khz);
	tap_result(ioctl(sys, VHV_CHECK_CAP, VHV_CAP_PVCLOCK) == 1, "VHV_CAP_PVCLOCK reads 1");
	close(sys);
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 0x76687676, "CPUID 0x40000000 is still vhv's leaf");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 0x40000101 && uc.args[1] == 0x4b4d564b &&
		   uc.args[2] == (0x564b4d56ull << 32 | 0x4d),
		   "CPUID 0x40000100: KVM's signature, max leaf 0x40000101");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] & FEATURE_CLOCKSOURCE2,
		   "CPUID 0x40000101: the CLOCKSOURCE2 feature (eax %#llx)",
		   (unsigned long long)uc.args[0]);
	tap_result(vcpu_run_to_ucall(vcpu, NULL) == UCALL_DONE, "discovery: guest done");
	done(vm, vcpu);
}

/* ---- the system time against CLOCK_MONOTONIC --------------------------------- */

static void guest_system_time(void *arg)
{
	volatile struct clock_page *p = (void *)PV_GPA;

	(void)arg;
	guest_wrmsr(MSR_SYSTEM_TIME, PV_GPA | 1);
	GUEST_SYNC(guest_rdmsr(MSR_SYSTEM_TIME));
	for (;;)
		GUEST_SYNC(guest_clock(&p->t));
}

static void test_system_time(void)
{
	struct vm *vm;
	struct vcpu *vcpu = clock_guest(&vm, guest_system_time);
	struct ucall uc;
	uint64_t g0, g1, h0, h1, prev = 0, hd, gd, off;
	bool monotonic = true;
	int i;

	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == (PV_GPA | 1), "the system-time MSR reads back %#llx",
		   (unsigned long long)uc.args[0]);
	/* A guest read between two host reads, twice, 1 s apart. */
	h0 = host_ns(CLOCK_MONOTONIC);
	vcpu_run_to_ucall(vcpu, &uc);
	g0 = uc.args[0];
	for (i = 0; i < 1000; i++) {
		vcpu_run_to_ucall(vcpu, &uc);
		monotonic &= uc.args[0] > prev;
		prev = uc.args[0];
	}
	tap_result(monotonic, "1000 reads of the clock only go forward");
	usleep(1000000);
	vcpu_run_to_ucall(vcpu, &uc);
	h1 = host_ns(CLOCK_MONOTONIC);
	g1 = uc.args[0];
	hd = h1 - h0;
	gd = g1 - g0;
	/* 1% of drift at most (the exits around the reads take microseconds). */
	off = gd > hd ? gd - hd : hd - gd;
	tap_result(off * 100 <= hd,
		   "over %llu ns of host time the guest clock moved %llu ns (within 1%%)",
		   (unsigned long long)hd, (unsigned long long)gd);
	done(vm, vcpu);
}

/* ---- the wall clock against CLOCK_REALTIME ----------------------------------- */

static void guest_wall_clock(void *arg)
{
	volatile struct clock_page *p = (void *)PV_GPA;
	uint64_t ns;

	(void)arg;
	guest_wrmsr(MSR_SYSTEM_TIME, PV_GPA | 1);
	guest_wrmsr(MSR_WALL_CLOCK, PV_GPA + offsetof(struct clock_page, w));
	GUEST_ASSERT(!(p->w.version & 1));
	/* Now = boot time + system time, as Linux reads it. */
	ns = (uint64_t)p->w.sec * 1000000000ull + p->w.nsec + guest_clock(&p->t);
	GUEST_SYNC(ns);
	GUEST_DONE();
}

static void test_wall_clock(void)
{
	struct vm *vm;
	struct vcpu *vcpu = clock_guest(&vm, guest_wall_clock);
	struct ucall uc;
	uint64_t before = host_ns(CLOCK_REALTIME), after;

	vcpu_run_to_ucall(vcpu, &uc);
	after = host_ns(CLOCK_REALTIME);
	tap_result(uc.args[0] >= before - 1000000 && uc.args[0] <= after + 1000000,
		   "the guest's wall clock %llu ns is the host's (%llu..%llu, 1 ms slack)",
		   (unsigned long long)uc.args[0], (unsigned long long)before,
		   (unsigned long long)after);
	tap_result(vcpu_run_to_ucall(vcpu, NULL) == UCALL_DONE, "wall clock: guest done");
	done(vm, vcpu);
}

/* ---- a guest that moves its TSC keeps its clock ------------------------------ */

static void guest_tsc_write(void *arg)
{
	volatile struct clock_page *p = (void *)PV_GPA;
	uint64_t before, after;

	(void)arg;
	guest_wrmsr(MSR_SYSTEM_TIME, PV_GPA | 1);
	before = guest_clock(&p->t);
	guest_wrmsr(MSR_TSC, guest_rdtsc() + (1ull << 40));	/* far ahead */
	after = guest_clock(&p->t);
	ucall(UCALL_SYNC, before, after, 0);
	guest_wrmsr(MSR_TSC, 1000);				/* back near 0 */
	before = after;
	after = guest_clock(&p->t);
	ucall(UCALL_SYNC, before, after, 0);
	GUEST_DONE();
}

static void test_tsc_write(void)
{
	struct vm *vm;
	struct vcpu *vcpu = clock_guest(&vm, guest_tsc_write);
	struct ucall uc;
	int i;

	for (i = 0; i < 2; i++) {
		vcpu_run_to_ucall(vcpu, &uc);
		/* Forward, and by less than the 100 ms a slow host may take. */
		tap_result(uc.args[1] >= uc.args[0] && uc.args[1] - uc.args[0] < 100000000,
			   "the clock goes on across a guest TSC write %s (%llu -> %llu ns)",
			   i ? "backwards" : "forwards", (unsigned long long)uc.args[0],
			   (unsigned long long)uc.args[1]);
	}
	tap_result(vcpu_run_to_ucall(vcpu, NULL) == UCALL_DONE, "TSC write: guest done");
	done(vm, vcpu);
}

/* ---- VHV_GET/SET_CLOCK: a restored VM goes on from its saved time --------- */

static void guest_clock_reads(void *arg)
{
	volatile struct clock_page *p = (void *)PV_GPA;

	(void)arg;
	guest_wrmsr(MSR_SYSTEM_TIME, PV_GPA | 1);
	for (;;)
		GUEST_SYNC(guest_clock(&p->t));
}

static void test_set_clock(void)
{
	struct vm *vm;
	struct vcpu *vcpu = clock_guest(&vm, guest_clock_reads);
	struct vhv_clock c = { 0 }, bad;
	struct ucall uc;
	uint64_t saved, ahead = 1000ull * 1000000000ull;	/* 1000 s */

	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(ioctl(vm->fd, VHV_GET_CLOCK, &c) == 0 && c.clock_ns >= uc.args[0],
		   "VHV_GET_CLOCK reads the guest's clock (%llu >= %llu ns)",
		   (unsigned long long)c.clock_ns, (unsigned long long)uc.args[0]);
	saved = c.clock_ns;
	c.clock_ns = saved + ahead;
	tap_result(ioctl(vm->fd, VHV_SET_CLOCK, &c) == 0, "VHV_SET_CLOCK 1000 s ahead");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] >= saved + ahead && uc.args[0] < saved + ahead + 1000000000ull,
		   "the running guest's clock moved with it (%llu ns)",
		   (unsigned long long)uc.args[0]);
	bad = (struct vhv_clock) { .flags = 1 };
	TEST_ERRNO(ioctl(vm->fd, VHV_SET_CLOCK, &bad), EINVAL, "VHV_SET_CLOCK flags");
	bad = (struct vhv_clock) { .pad = 1 };
	TEST_ERRNO(ioctl(vm->fd, VHV_SET_CLOCK, &bad), EINVAL, "VHV_SET_CLOCK pad");
	bad = (struct vhv_clock) { .reserved[1] = 1 };
	TEST_ERRNO(ioctl(vm->fd, VHV_SET_CLOCK, &bad), EINVAL, "VHV_SET_CLOCK reserved");
	done(vm, vcpu);

	/* A new VM given the saved time reads on from there. */
	vcpu = clock_guest(&vm, guest_clock_reads);
	c = (struct vhv_clock) { .clock_ns = saved + ahead };
	tap_result(ioctl(vm->fd, VHV_SET_CLOCK, &c) == 0, "VHV_SET_CLOCK in a fresh VM");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] >= saved + ahead && uc.args[0] < saved + ahead + 1000000000ull,
		   "the restored guest's clock goes on from the saved time (%llu ns)",
		   (unsigned long long)uc.args[0]);
	done(vm, vcpu);
}

/* ---- the MSRs from userspace (save/restore) ------------------------------- */

static int set_msr(struct vcpu *vcpu, uint32_t index, uint64_t data)
{
	struct vhv_msr_entry e = { .index = index, .data = data };
	struct vhv_msrs m = { .nmsrs = 1, .entries = (uintptr_t)&e };

	return ioctl(vcpu->fd, VHV_SET_MSRS, &m);
}

static void test_msrs(void)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_add(vm, 0);
	struct vhv_msr_entry e[2] = { { .index = MSR_SYSTEM_TIME }, { .index = MSR_WALL_CLOCK } };
	struct vhv_msrs m = { .nmsrs = 2, .entries = (uintptr_t)e };

	tap_result(set_msr(vcpu, MSR_SYSTEM_TIME, PV_GPA | 1) == 1 &&
		   set_msr(vcpu, MSR_WALL_CLOCK, PV_GPA + 64) == 1,
		   "VHV_SET_MSRS takes both clock MSRs (no RAM there: nothing written)");
	tap_result(ioctl(vcpu->fd, VHV_GET_MSRS, &m) == 2 && e[0].data == (PV_GPA | 1) &&
		   e[1].data == PV_GPA + 64, "VHV_GET_MSRS reads them back");
	tap_result(set_msr(vcpu, MSR_SYSTEM_TIME, 1ull << 62) == 0,
		   "a system-time page beyond the guest's physical address width is refused");
	vcpu_free(vcpu);
	vm_free(vm);
}

static const struct named_test tests[] = {
	{ "discovery", test_discovery },
	{ "system-time", test_system_time },
	{ "wall-clock", test_wall_clock },
	{ "tsc-write", test_tsc_write },
	{ "msrs", test_msrs },
	{ "set-clock", test_set_clock },
};

/* Usage: clock_test [NAME...]: the named tests only (default all). */
int main(int argc, char **argv)
{
	if (vhv_can_run("the paravirtual clock"))
		run_named_tests(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
	return tap_done();
}
