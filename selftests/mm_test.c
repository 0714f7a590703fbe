// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory is the VMM's memory: changes to its mapping while the guest
 * runs (MADV_DONTNEED, munmap, mremap-by-MAP_FIXED, mprotect, fork/COW,
 * THP) show in the guest at once and never hurt the host.  Also several
 * vCPUs of one VM on their own threads, and 64 VMs at once.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/vhv_test.h"
#include "lib/guest.h"

#define PAGE	4096ull

/* ---- one guest watching a page while the host changes its mapping ------------ */

struct watch {
	struct vcpu *vcpu;
	volatile uint64_t *page;	/* [0] value, [1] heartbeat */
	_Atomic uint64_t seen;
	_Atomic int error;		/* errno of a failed VHV_RUN */
	_Atomic bool stop, paused;
	pthread_t thread;
};

static void guest_watch(void *arg)
{
	volatile uint64_t *page = arg;
	uint64_t last = ~0ull, v;

	for (;;) {
		v = page[0];
		if (v != last) {
			last = v;
			GUEST_SYNC(v);
		}
		page[1]++;	/* a write on every round: exercises COW */
	}
}

static void *watch_thread(void *arg)
{
	struct watch *w = arg;
	struct ucall *uc;

	while (!w->stop) {
		if (w->paused) {
			usleep(1000);
			continue;
		}
		if (_vcpu_run(w->vcpu)) {
			w->error = errno;
			w->paused = true;
			continue;
		}
		uc = vcpu_ucall(w->vcpu);
		if (uc && uc->cmd == UCALL_SYNC)
			w->seen = uc->args[0];
	}
	return NULL;
}

/* Waits up to 10 s for cond; false on timeout. */
#define WAIT_FOR(cond)							\
	({								\
		int i_;							\
		for (i_ = 0; i_ < 10000 && !(cond); i_++)		\
			usleep(1000);					\
		(bool)(cond);						\
	})

static void kick(struct watch *w)
{
	/* Any exit will do: the next run re-reads the page. */
	pthread_kill(w->thread, SIGUSR1);
}

static void on_signal(int sig)
{
	(void)sig;
}

static void test_mapping_changes(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct vm *vm = vm_create();
	struct watch w = { .vcpu = vcpu_add(vm, 0) };
	uint64_t hb;
	int status;
	pid_t pid;

	sigaction(SIGUSR1, &sa, NULL);
	w.page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_REQUIRE(w.page != MAP_FAILED, "mmap");
	w.page[0] = 1;
	vm_map_self(vm);
	vm_map_host(vm, (void *)w.page, PAGE, false);
	vcpu_setup_long_mode(w.vcpu, guest_watch, (void *)w.page);
	pthread_create(&w.thread, NULL, watch_thread, &w);
	tap_result(WAIT_FOR(w.seen == 1), "the running guest sees the page's first value");

	w.page[0] = 2;
	tap_result(WAIT_FOR(w.seen == 2), "a host store is seen by the running guest");

	madvise((void *)w.page, PAGE, MADV_DONTNEED);
	tap_result(WAIT_FOR(w.seen == 0), "MADV_DONTNEED: the guest sees the page zeroed");

	/* Replace the mapping under the guest with new memory. */
	TEST_REQUIRE(mmap((void *)w.page, PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == w.page, "remap");
	w.page[0] = 0x77;
	tap_result(WAIT_FOR(w.seen == 0x77),
		   "munmap+mmap at the same address: the guest sees the new page");

	/* fork: the parent's later writes (host and guest) break COW. */
	w.page[0] = 0x80;
	WAIT_FOR(w.seen == 0x80);
	pid = fork();
	TEST_REQUIRE(pid >= 0, "fork");
	if (pid == 0) {
		uint64_t v0 = w.page[0], hb0 = w.page[1];

		usleep(300 * 1000);
		/* The child's copy is frozen at fork time. */
		_exit(w.page[0] == v0 && w.page[1] == hb0 ? 0 : 1);
	}
	w.page[0] = 0x88;
	tap_result(WAIT_FOR(w.seen == 0x88),
		   "after fork the parent's new value reaches the guest (COW broken)");
	hb = w.page[1];
	tap_result(WAIT_FOR(w.page[1] != hb), "the guest keeps writing into the parent's copy");
	waitpid(pid, &status, 0);
	tap_result(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "the child's copy never saw the guest's writes");

	/* Read-only: the guest's write fails the run with EFAULT, then resumes. */
	mprotect((void *)w.page, PAGE, PROT_READ);
	kick(&w);
	tap_result(WAIT_FOR(w.error == EFAULT),
		   "mprotect(PROT_READ): the guest's write makes VHV_RUN fail with EFAULT");
	mprotect((void *)w.page, PAGE, PROT_READ | PROT_WRITE);
	hb = w.page[1];
	w.error = 0;
	w.paused = false;
	tap_result(WAIT_FOR(w.page[1] != hb), "after PROT_READ|PROT_WRITE the guest runs on");

	/* Gone for good: EFAULT, and the host is fine. */
	munmap((void *)w.page, PAGE);
	kick(&w);
	tap_result(WAIT_FOR(w.error == EFAULT),
		   "munmap without a new mapping: VHV_RUN fails with EFAULT");
	w.stop = true;
	pthread_join(w.thread, NULL);
	vcpu_free(w.vcpu);
	vm_free(vm);
}

/* ---- transparent huge pages ------------------------------------------------------- */

static void guest_touch(void *arg)
{
	volatile uint8_t *p = arg;
	uint64_t sum = 0, i;

	for (i = 0; i < (2u << 20); i += PAGE)
		sum += p[i];
	GUEST_SYNC(sum);
	for (i = 0; i < (2u << 20); i += PAGE)
		sum += p[i];
	GUEST_SYNC(sum);
	GUEST_DONE();
}

static bool region_is_thp(void *addr)
{
	char line[256];
	unsigned long lo = 0, hi = 0, kb;
	bool in = false, thp = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
		else if (in && sscanf(line, "AnonHugePages: %lu kB", &kb) == 1)
			thp = kb >= 2048;
	}
	if (f)
		fclose(f);
	return thp;
}

static void test_huge_pages(void)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_add(vm, 0);
	uint8_t *raw = mmap(NULL, 4u << 20, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *p = (uint8_t *)(((uintptr_t)raw + (2u << 20) - 1) & ~((2ull << 20) - 1));
	struct vhv_vcpu_stats before, after;
	struct ucall uc;
	uint64_t i;

	madvise(p, 2u << 20, MADV_HUGEPAGE);
	for (i = 0; i < (2u << 20); i += PAGE)
		p[i] = 1;
	if (!region_is_thp(p)) {
		tap_skip("the kernel gave no transparent huge page here (THP disabled?)",
			 "2 MiB nested mappings for a THP-backed range");
		vcpu_free(vcpu);
		vm_free(vm);
		munmap(raw, 4u << 20);
		return;
	}
	vm_map_self(vm);
	vm_map_host(vm, p, 2u << 20, false);
	vcpu_setup_long_mode(vcpu, guest_touch, p);
	vhv_ioctl(vcpu->fd, VHV_GET_VCPU_STATS, &before);
	vcpu_run_to_ucall(vcpu, &uc);
	vhv_ioctl(vcpu->fd, VHV_GET_VCPU_STATS, &after);
	tap_result(uc.args[0] == 512 &&
		   after.count[VHV_STAT_NPF] - before.count[VHV_STAT_NPF] < 16,
		   "a THP-backed 2 MiB range takes %llu nested faults for 512 pages (2 MiB entry)",
		   (unsigned long long)(after.count[VHV_STAT_NPF] - before.count[VHV_STAT_NPF]));
	/* Punch a hole: the huge page splits, the guest sees the zeros. */
	madvise(p + (1u << 20), PAGE, MADV_DONTNEED);
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 512 + 511, "after MADV_DONTNEED of one 4 KiB page the guest "
		   "sees exactly that page zeroed (sum %llu)", (unsigned long long)uc.args[0]);
	vcpu_free(vcpu);
	vm_free(vm);
	munmap(raw, 4u << 20);
}

/* ---- slots: read-only, deleted, replaced ------------------------------------------ */

#define SLOT_VA		0x40000000ull	/* guest VA and GPA of the test slot */

static void guest_slot(void *arg)
{
	volatile uint64_t *p = (volatile uint64_t *)SLOT_VA;

	(void)arg;
	GUEST_SYNC(p[0]);
	p[1] = 0x5157;		/* a write: to RAM, or MMIO on a read-only slot */
	GUEST_SYNC(p[1]);
	GUEST_SYNC(p[0]);	/* after the host changed the slot */
	GUEST_SYNC(p[0]);
	GUEST_DONE();
}

static void test_slots_under_guest(void)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_add(vm, 0);
	uint64_t *a = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t *b = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vhv_run *run = vcpu->run;
	struct ucall uc;

	vm_map_self(vm);
	vm_map_gpa(vm, SLOT_VA, SLOT_VA, PAGE);
	vcpu_setup_long_mode(vcpu, guest_slot, NULL);
	b[0] = 0xbbbb;
	/* Read-only slot over read-only memory (the page reads as zeros). */
	TEST_REQUIRE(__vm_set_slot(vm, 1, VHV_MEM_READONLY, SLOT_VA, PAGE, a) == 0, "ro slot");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 0, "the guest reads a read-only slot");
	vcpu_run(vcpu);
	tap_result(run->exit_reason == VHV_EXIT_MMIO && run->mmio.is_write &&
		   run->mmio.phys_addr == SLOT_VA + 8 && run->mmio.len == 8 &&
		   *(uint64_t *)run->mmio.data == 0x5157,
		   "a guest write to a read-only slot exits as MMIO with the data");
	vcpu_run(vcpu);		/* the store is done: it reads back memory, 0 */
	tap_result(run->exit_reason == VHV_EXIT_IO && a[1] == 0,
		   "... and the slot's memory is unchanged");
	/* Replace the slot with other memory, then delete it. */
	TEST_REQUIRE(__vm_set_slot(vm, 1, 0, SLOT_VA, PAGE, b) == 0, "replace");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 0xbbbb, "after the slot is replaced the guest sees the new memory");
	TEST_REQUIRE(ioctl(vm->fd, VHV_DELETE_MEMORY_SLOT, 1) == 0, "delete");
	vcpu_run(vcpu);
	tap_result(run->exit_reason == VHV_EXIT_MMIO && !run->mmio.is_write &&
		   run->mmio.phys_addr == SLOT_VA,
		   "after the slot is deleted the same read exits as MMIO");
	memcpy(run->mmio.data, "\x42\0\0\0\0\0\0\0", 8);
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 0x42, "and completes with userspace's data");
	vcpu_free(vcpu);
	vm_free(vm);
	munmap(a, PAGE);
	munmap(b, PAGE);
}

/* ---- several vCPUs, several VMs -------------------------------------------------- */

#define ROUNDS	20000

static _Atomic uint64_t shared_counter;

static void guest_count(void *arg)
{
	volatile uint64_t *mine = arg;
	uint64_t i;

	for (i = 0; i < ROUNDS; i++) {
		(*mine)++;
		asm volatile("lock incq %0" : "+m" (shared_counter));
		if (i % 5000 == 0)
			guest_outb(0x80, 0);	/* an exit now and then */
	}
	GUEST_DONE();
}

struct runner {
	struct vcpu *vcpu;
	bool ok;
	int err;		/* errno of a failed VHV_RUN */
	uint32_t exit;		/* the exit that stopped it */
	struct ucall uc;	/* the ucall that stopped it */
	uint64_t rdi;
};

static void *run_to_done(void *arg)
{
	struct runner *r = arg;
	struct ucall *uc;

	for (;;) {
		if (_vcpu_run(r->vcpu)) {
			r->err = errno;
			return NULL;
		}
		r->exit = r->vcpu->run->exit_reason;
		uc = vcpu_ucall(r->vcpu);
		if (uc) {
			r->uc = *uc;
			r->rdi = (uintptr_t)uc;
			r->ok = uc->cmd == UCALL_DONE;
			return NULL;
		}
		if (r->exit != VHV_EXIT_IO)
			return NULL;
	}
}

static void test_four_vcpus(void)
{
	struct vm *vm = vm_create();
	uint64_t *counts = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct runner r[4];
	pthread_t t[4];
	int i, good = 0;

	vm_map_self(vm);
	vm_map_host(vm, counts, PAGE, false);
	shared_counter = 0;
	for (i = 0; i < 4; i++) {
		r[i] = (struct runner) { .vcpu = vcpu_add(vm, i) };
		vcpu_setup_long_mode(r[i].vcpu, guest_count, &counts[i * 8]);
	}
	for (i = 0; i < 4; i++)
		pthread_create(&t[i], NULL, run_to_done, &r[i]);
	for (i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		good += r[i].ok && counts[i * 8] == ROUNDS;
		if (!r[i].ok)
			tap_diag("vCPU %d stopped: errno %d, exit %s, ucall at %#llx: cmd %llu args %#llx %#llx",
				 i, r[i].err, exit_reason_name(r[i].exit),
				 (unsigned long long)r[i].rdi,
				 (unsigned long long)r[i].uc.cmd,
				 (unsigned long long)r[i].uc.args[0],
				 (unsigned long long)r[i].uc.args[1]);
	}
	tap_result(good == 4, "4 vCPUs of one VM ran to completion on their own threads (%d)", good);
	tap_result(shared_counter == 4 * ROUNDS,
		   "their locked increments of one counter add up (%llu)",
		   (unsigned long long)shared_counter);
	for (i = 0; i < 4; i++)
		vcpu_free(r[i].vcpu);
	vm_free(vm);
	munmap(counts, PAGE);
}

static void guest_hello(void *arg)
{
	GUEST_SYNC((uintptr_t)arg);
	GUEST_DONE();
}

static void test_64_vms(void)
{
	struct vm *vms[64];
	struct vcpu *vcpus[64];
	struct ucall uc;
	long base = vhv_stat("vms");
	int i, good = 0;

	for (i = 0; i < 64; i++) {
		vms[i] = vm_create();
		vcpus[i] = vcpu_add(vms[i], 0);
		vm_map_self(vms[i]);
		vcpu_setup_long_mode(vcpus[i], guest_hello, (void *)(uintptr_t)(1000 + i));
	}
	tap_result(vhv_stat("vms") == base + 64, "64 VMs exist at once");
	for (i = 0; i < 64; i++)
		good += vcpu_run_to_ucall(vcpus[i], &uc) == UCALL_SYNC && uc.args[0] == 1000u + i;
	for (i = 0; i < 64; i++)
		good += vcpu_run_to_ucall(vcpus[i], &uc) == UCALL_DONE;
	tap_result(good == 128, "each of the 64 runs its own guest (%d/128 checks)", good);
	for (i = 0; i < 64; i++) {
		vcpu_free(vcpus[i]);
		vm_free(vms[i]);
	}
	tap_result(vhv_stat("vms") == base, "and all 64 are gone after closing");
}

int main(int argc, char **argv)
{
	if (!vhv_can_run("guest memory tests"))
		return tap_done();
	if (argc > 1 && !strcmp(argv[1], "vcpus")) {	/* one test, for stress runs */
		test_four_vcpus();
		return tap_done();
	}
	test_mapping_changes();
	test_slots_under_guest();
	test_huge_pages();
	test_four_vcpus();
	test_64_vms();
	return tap_done();
}
