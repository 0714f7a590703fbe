// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory is the VMM's memory: changes to its mapping while the guest
 * runs (MADV_DONTNEED, munmap, mremap-by-MAP_FIXED, mprotect, fork/COW,
 * THP, slot replacement racing munmap) show in the guest at once and never
 * hurt the host; second-level tables are freed with the slots.  Also
 * several vCPUs of one VM on their own threads, and 64 VMs at once.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
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

/* Waits up to ms milliseconds for cond; false on timeout. */
#define WAIT_MS(cond, ms)						\
	({								\
		int i_;							\
		for (i_ = 0; i_ < (ms) && !(cond); i_++)		\
			usleep(1000);					\
		(bool)(cond);						\
	})
#define WAIT_FOR(cond)	WAIT_MS(cond, 10000)

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

/* ---- page-table levels: freed when zapped, replaced by 2 MiB entries -------------- */

#define MB2		(2ull << 20)
#define TBL_GPA		0xc0000000ull	/* alone in its 1 GiB: own level-2 and -1 tables */
#define PROBE_GPA	0x30000000ull	/* pages for the guest to touch for the first time */
#define TBL_SLOT	12
#define PROBE_SLOT	13

static volatile int tbl_touch;		/* host: the guest sums the TBL slot */

/*
 * Each round sums the first byte of every page of the TBL slot (when asked)
 * and then reads a probe page it has not read before.  That last fault
 * finds its tables in place and leaves the vCPU's cache of table pages
 * full, so that 'pages' read at the SYNC differs only by table pages.
 */
static void guest_tables(void *arg)
{
	volatile uint8_t *mem = (volatile uint8_t *)TBL_GPA;
	volatile uint8_t *probe = (volatile uint8_t *)PROBE_GPA;
	uint64_t n, i, sum;

	(void)arg;
	for (n = 0;; n++) {
		sum = 0;
		for (i = 0; tbl_touch && i < MB2; i += PAGE)
			sum += mem[i];
		(void)probe[(n % 512) * PAGE];
		GUEST_SYNC(sum);
	}
}

/* 2 MiB of anonymous memory, 2 MiB aligned, each page's first byte = fill. */
static uint8_t *mem_2m(bool huge, uint8_t fill, void **raw)
{
	uint8_t *r = mmap(NULL, 2 * MB2, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *p = (uint8_t *)(((uintptr_t)r + MB2 - 1) & ~(MB2 - 1));
	uint64_t i;

	TEST_REQUIRE(r != MAP_FAILED, "mmap");
	madvise(p, MB2, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	for (i = 0; fill && i < MB2; i += PAGE)
		p[i] = fill;
	*raw = r;
	return p;
}

struct tbl_vm {
	struct vm *vm;
	struct vcpu *vcpu;
	void *probe_raw;
	long pages0;		/* 'pages' with no TBL slot, cache full */
};

static void tables_setup(struct tbl_vm *t)
{
	uint8_t *probe = mem_2m(false, 0, &t->probe_raw);
	struct ucall uc;

	t->vm = vm_create();
	t->vcpu = vcpu_add(t->vm, 0);
	vm_map_self(t->vm);
	vm_map_gpa(t->vm, PROBE_GPA, PROBE_GPA, MB2);
	vm_map_gpa(t->vm, TBL_GPA, TBL_GPA, MB2);
	TEST_REQUIRE(__vm_set_slot(t->vm, PROBE_SLOT, 0, PROBE_GPA, MB2, probe) == 0, "probe");
	tbl_touch = 0;
	vcpu_setup_long_mode(t->vcpu, guest_tables, NULL);
	vcpu_run_to_ucall(t->vcpu, &uc);	/* the probe's tables appear */
	vcpu_run_to_ucall(t->vcpu, &uc);	/* a fault that allocates none */
	t->pages0 = vhv_stat("pages");
}

static void tables_teardown(struct tbl_vm *t)
{
	vcpu_free(t->vcpu);
	vm_free(t->vm);
	munmap(t->probe_raw, 2 * MB2);
}

static void test_tables_freed(void)
{
	struct tbl_vm t;
	struct ucall uc;
	void *raw;
	uint8_t *mem;
	long p1, p2;

	tables_setup(&t);
	mem = mem_2m(false, 1, &raw);
	TEST_REQUIRE(__vm_set_slot(t.vm, TBL_SLOT, 0, TBL_GPA, MB2, mem) == 0, "tbl slot");
	tbl_touch = 1;
	vcpu_run_to_ucall(t.vcpu, &uc);
	p1 = vhv_stat("pages");
	tap_result(uc.args[0] == 512 && p1 == t.pages0 + 2,
		   "a 4 KiB-backed 2 MiB slot alone in its 1 GiB takes 2 table pages (%+ld, sum %llu)",
		   p1 - t.pages0, (unsigned long long)uc.args[0]);
	tbl_touch = 0;
	TEST_REQUIRE(ioctl(t.vm->fd, VHV_DELETE_MEMORY_SLOT, TBL_SLOT) == 0, "delete");
	p2 = vhv_stat("pages");
	tap_result(p2 == t.pages0, "deleting the slot frees its tables: 'pages' back to baseline (%+ld)",
		   p2 - t.pages0);
	vcpu_run_to_ucall(t.vcpu, &uc);
	tap_result(uc.args[0] == 0, "the guest runs on after the tables are gone");
	tables_teardown(&t);
	munmap(raw, 2 * MB2);
}

/* Why THP cannot be had for MADV_HUGEPAGE memory, or NULL. */
static const char *no_thp(void)
{
	char buf[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	if (!f)
		return "no /sys/kernel/mm/transparent_hugepage/enabled";
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	if (!strstr(buf, "[always]") && !strstr(buf, "[madvise]"))
		return "transparent_hugepage/enabled is [never]";
	return NULL;
}

struct watched_run {
	struct vcpu *vcpu;
	pthread_t thread;
	_Atomic bool done;
	struct ucall uc;
	int err;
};

static void *watched_run_thread(void *arg)
{
	struct watched_run *w = arg;
	struct ucall *uc;

	for (;;) {
		if (__vcpu_run(w->vcpu)) {
			w->err = errno;
			break;
		}
		uc = vcpu_ucall(w->vcpu);
		if (uc) {
			w->uc = *uc;
			break;
		}
		if (w->vcpu->run->exit_reason != VHV_EXIT_IO) {
			w->err = 1000 + w->vcpu->run->exit_reason;
			break;
		}
	}
	w->done = true;
	return NULL;
}

/* Runs to the next ucall, or stops the vCPU with a signal after 10 s. */
static bool run_watched(struct vcpu *vcpu, struct ucall *uc)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct watched_run w = { .vcpu = vcpu };

	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&w.thread, NULL, watched_run_thread, &w);
	if (!WAIT_FOR(w.done)) {
		vcpu->run->immediate_exit = 1;
		while (!w.done) {
			pthread_kill(w.thread, SIGUSR1);
			usleep(1000);
		}
	}
	pthread_join(w.thread, NULL);
	vcpu->run->immediate_exit = 0;
	*uc = w.uc;
	return !w.err && w.uc.cmd == UCALL_SYNC;
}

/*
 * A slot first mapped with 4 KiB entries, replaced by THP memory at the
 * same GPA: the fault wants a 2 MiB entry where a table of 4 KiB ones was.
 * (khugepaged collapsing the VMM's memory leads there too.)
 */
static void test_thp_replaces_small(void)
{
	struct vhv_vcpu_stats before, after;
	const char *why = no_thp();
	uint8_t *small, *big;
	void *raw_small, *raw_big;
	unsigned long long npf;
	struct tbl_vm t;
	struct ucall uc;
	bool ran;

	big = mem_2m(true, 2, &raw_big);
	if (!why && !region_is_thp(big))
		why = "AnonHugePages shows no huge page for MADV_HUGEPAGE memory";
	if (why) {
		tap_skip(why, "a 4 KiB-mapped slot replaced by THP memory");
		munmap(raw_big, 2 * MB2);
		return;
	}
	tables_setup(&t);
	small = mem_2m(false, 1, &raw_small);
	TEST_REQUIRE(__vm_set_slot(t.vm, TBL_SLOT, 0, TBL_GPA, MB2, small) == 0, "small slot");
	tbl_touch = 1;
	vcpu_run_to_ucall(t.vcpu, &uc);
	TEST_REQUIRE(uc.args[0] == 512, "the guest sums the 4 KiB-backed slot");
	TEST_REQUIRE(__vm_set_slot(t.vm, TBL_SLOT, 0, TBL_GPA, MB2, big) == 0, "THP slot");
	vhv_ioctl(t.vcpu->fd, VHV_GET_VCPU_STATS, &before);
	ran = run_watched(t.vcpu, &uc);
	vhv_ioctl(t.vcpu->fd, VHV_GET_VCPU_STATS, &after);
	npf = after.count[VHV_STAT_NPF] - before.count[VHV_STAT_NPF];
	tap_result(ran && uc.args[0] == 1024 && npf < 16,
		   "a 4 KiB-mapped slot replaced by THP memory at the same GPA: the guest goes on "
		   "(%s, sum %llu, %llu nested faults)", ran ? "ran" : "no progress in 10 s",
		   (unsigned long long)uc.args[0], npf);
	tbl_touch = 0;
	TEST_REQUIRE(ioctl(t.vm->fd, VHV_DELETE_MEMORY_SLOT, TBL_SLOT) == 0, "delete");
	tap_result(vhv_stat("pages") == t.pages0,
		   "deleting it frees its tables: 'pages' back to baseline (%+ld)",
		   vhv_stat("pages") - t.pages0);
	tables_teardown(&t);
	munmap(raw_small, 2 * MB2);
	munmap(raw_big, 2 * MB2);
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

/* ---- a slot replaced while the VMM unmaps its old memory -------------------------- */

/*
 * Every page of the raced slot starts with RACE_MAGIC << 32 | generation.
 * The host publishes in race.gone the newest generation it has unmapped;
 * from then on the guest must read neither that generation nor anything
 * that is no pattern at all (a freed page someone else reuses).
 */
#define RACE_GPA	0x40000000ull	/* guest VA and GPA of the raced slot */
#define RACE_PAGES	16
#define RACE_SIZE	(RACE_PAGES * PAGE)
#define RACE_MAGIC	0x5ace0000ull
#define RACE_SLOT	10
#define BLOCK_GPA	0x48000000ull	/* guest VA and GPA of the userfaultfd page */
#define BLOCK_SLOT	11

struct race {
	volatile uint64_t gone;		/* host: generations <= gone are unmapped */
	volatile uint64_t writes;	/* host: the guest writes too while set */
	volatile uint64_t rounds;	/* guest: passes over the slot */
};
static struct race race;		/* in the test's bss: the guest sees it */

static void guest_race_reader(void *arg)
{
	volatile uint64_t *p = (volatile uint64_t *)RACE_GPA;
	struct race *r = arg;
	uint64_t gone, v, i;

	for (;;) {
		gone = r->gone;		/* before the reads: x86 keeps loads in order */
		for (i = 0; i < RACE_PAGES; i++) {
			v = p[i * 512];
			if ((v >> 32) != RACE_MAGIC || (v & 0xffffffff) <= gone)
				ucall(UCALL_FAIL, __LINE__, v, gone);
			if (r->writes)
				p[i * 512 + 1] = v;
		}
		r->rounds++;
	}
}

static void guest_race_blocker(void *arg)
{
	(void)arg;
	(void)*(volatile uint8_t *)BLOCK_GPA;
	GUEST_DONE();
}

struct race_reader {
	struct vcpu *vcpu;
	pthread_t thread;
	_Atomic bool stop, failed;
	struct ucall uc;	/* the guest's FAIL */
	_Atomic int err;	/* what else stopped it: errno, or 1000 + exit */
};

static void *race_reader_thread(void *arg)
{
	struct race_reader *rd = arg;
	struct ucall *uc;

	while (!rd->stop) {
		if (__vcpu_run(rd->vcpu)) {
			/* EFAULT: the old memory went before the slot did. */
			if (errno == EFAULT)
				usleep(100);
			else if (errno != EINTR)
				rd->err = errno;
			if (rd->err)
				break;
			continue;
		}
		uc = vcpu_ucall(rd->vcpu);
		if (!uc) {
			rd->err = 1000 + rd->vcpu->run->exit_reason;
			break;
		}
		if (uc->cmd == UCALL_FAIL) {
			rd->uc = *uc;
			rd->failed = true;
			break;
		}
	}
	return NULL;
}

static void race_reader_stop(struct race_reader *rd)
{
	/* immediate_exit covers a signal that lands before the ioctl. */
	rd->stop = true;
	rd->vcpu->run->immediate_exit = 1;
	pthread_kill(rd->thread, SIGUSR1);
	pthread_join(rd->thread, NULL);
	rd->vcpu->run->immediate_exit = 0;
}

/* RACE_SIZE bytes of generation gen, at `at` (MAP_FIXED) or anywhere. */
static uint64_t *race_mem(uint64_t gen, void *at)
{
	uint64_t *m = mmap(at, RACE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | (at ? MAP_FIXED : 0), -1, 0);
	uint64_t i;

	TEST_REQUIRE(m != MAP_FAILED, "mmap");
	for (i = 0; i < RACE_PAGES; i++)
		m[i * 512] = RACE_MAGIC << 32 | gen;
	return m;
}

struct swap {
	struct vm *vm;
	void *mem;
	pthread_t thread;
	_Atomic pid_t tid;
	_Atomic int ret;	/* 0, or the errno of VHV_SET_MEMORY_SLOT */
};

static void *swap_thread(void *arg)
{
	struct swap *sw = arg;

	sw->tid = (pid_t)syscall(SYS_gettid);
	sw->ret = __vm_set_slot(sw->vm, RACE_SLOT, 0, RACE_GPA, RACE_SIZE, sw->mem) ? errno : 0;
	return NULL;
}

/* The scheduler state of one of our threads ('R', 'S', 'D', ...). */
static char thread_state(pid_t tid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : '?';
}

/* A userfaultfd watching page for missing-page faults, or -1. */
static int uffd_watch(void *page)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { (uintptr_t)page, PAGE },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int fd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -1;
	if (ioctl(fd, UFFDIO_API, &api) || ioctl(fd, UFFDIO_REGISTER, &reg)) {
		close(fd);
		return -1;
	}
	return fd;
}

static bool uffd_wait_fault(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	struct uffd_msg msg;

	return poll(&pfd, 1, 10000) == 1 && read(fd, &msg, sizeof(msg)) == sizeof(msg) &&
	       msg.event == UFFD_EVENT_PAGEFAULT;
}

static void uffd_zero(int fd, void *page)
{
	struct uffdio_zeropage z = { .range = { (uintptr_t)page, PAGE } };

	ioctl(fd, UFFDIO_ZEROPAGE, &z);
}

/*
 * Deterministic: vCPU 1 faults on a userfaultfd page the test does not
 * answer, so it holds the VM's SRCU read lock and the slot replacement
 * stays inside synchronize_srcu() (its thread in D state) for as long as
 * the test likes.  Meanwhile the old memory is unmapped and a third
 * pattern mapped at its address, while vCPU 0 reads the slot.  A kernel
 * whose MMU notifier cannot find the old slot during the replacement
 * leaves vCPU 0 mapping the freed pages.
 */
static void test_slot_replace_vs_munmap(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	long slots0 = vhv_stat("memslots"), pages0 = vhv_stat("pages");
	struct vm *vm = vm_create();
	struct race_reader rd = { .vcpu = vcpu_add(vm, 0) };
	struct runner blk = { .vcpu = vcpu_add(vm, 1) };
	uint64_t *old = race_mem(1, NULL), *new = race_mem(2, NULL), r0;
	void *bpage = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct swap sw = { .vm = vm, .mem = new };
	int uffd = uffd_watch(bpage);
	bool warm, held, waiting, progress;
	char state = '?';
	pthread_t bt;

	if (uffd < 0) {
		tap_skip("no userfaultfd here", "a slot replaced while its old memory is unmapped");
		goto out_vm;
	}
	sigaction(SIGUSR1, &sa, NULL);
	vm_map_self(vm);
	vm_map_gpa(vm, RACE_GPA, RACE_GPA, RACE_SIZE);
	vm_map_gpa(vm, BLOCK_GPA, BLOCK_GPA, PAGE);
	TEST_REQUIRE(__vm_set_slot(vm, RACE_SLOT, 0, RACE_GPA, RACE_SIZE, old) == 0, "race slot");
	TEST_REQUIRE(__vm_set_slot(vm, BLOCK_SLOT, 0, BLOCK_GPA, PAGE, bpage) == 0, "uffd slot");
	memset(&race, 0, sizeof(race));
	race.writes = 1;
	vcpu_setup_long_mode(rd.vcpu, guest_race_reader, &race);
	vcpu_setup_long_mode(blk.vcpu, guest_race_blocker, NULL);
	pthread_create(&rd.thread, NULL, race_reader_thread, &rd);
	/* The old pages are mapped writable; then reads only, so that a
	 * broken kernel is not made to write into freed memory. */
	warm = WAIT_FOR(race.rounds > 10 || rd.failed);
	race.writes = 0;
	r0 = race.rounds;
	warm &= WAIT_FOR(race.rounds > r0 + 2 || rd.failed) && !rd.failed;

	pthread_create(&bt, NULL, run_to_done, &blk);
	held = uffd_wait_fault(uffd);
	pthread_create(&sw.thread, NULL, swap_thread, &sw);
	waiting = WAIT_FOR(sw.tid && (state = thread_state(sw.tid)) == 'D');
	munmap(old, RACE_SIZE);
	race_mem(0, old);	/* likely on the pages just freed */
	race.gone = 1;
	r0 = race.rounds;
	WAIT_MS(rd.failed, 2000);
	uffd_zero(uffd, bpage);
	pthread_join(bt, NULL);
	pthread_join(sw.thread, NULL);
	progress = WAIT_FOR(rd.failed || race.rounds > r0 + 2) && !rd.failed;

	tap_result(warm && held && waiting, "setup: the guest reads the slot, vCPU 1 holds SRCU in a "
		   "userfaultfd fault, the slot replacement waits for it (state %c)", state);
	if (rd.failed)
		tap_diag("the guest read %#llx when generations <= %llu were gone",
			 (unsigned long long)rd.uc.args[1], (unsigned long long)rd.uc.args[2]);
	tap_result(!rd.failed, "a slot replaced while its old memory is unmapped: the guest "
		   "never reads the freed pages");
	tap_result(sw.ret == 0 && blk.ok && progress && !rd.err,
		   "... and then reads the new memory (set slot %d, vCPU 1 %s, vCPU 0 error %d)",
		   sw.ret, blk.ok ? "done" : "stuck", rd.err);
	race_reader_stop(&rd);
	close(uffd);
out_vm:
	vcpu_free(rd.vcpu);
	vcpu_free(blk.vcpu);
	vm_free(vm);
	tap_result(vhv_stat("memslots") == slots0 && vhv_stat("pages") == pages0,
		   "memslots and pages counters are back to baseline (%+ld, %+ld)",
		   vhv_stat("memslots") - slots0, vhv_stat("pages") - pages0);
	munmap(old, RACE_SIZE);
	munmap(new, RACE_SIZE);
	munmap(bpage, PAGE);
}

/*
 * The same race left to chance: replacements and munmaps at random
 * distances from each other, RACE_ROUNDS times (or 30 s).  Not a
 * deterministic reproducer like the test above; it exercises replacement
 * under a running guest and concurrent invalidations.
 */
#define RACE_ROUNDS	200

static void test_slot_replace_stress(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct vm *vm = vm_create();
	struct race_reader rd = { .vcpu = vcpu_add(vm, 0) };
	uint64_t *old = race_mem(1, NULL), *new, gen, r0;
	time_t end = time(NULL) + 30;
	int bad_set = 0, stuck = 0;

	sigaction(SIGUSR1, &sa, NULL);
	srand(1);
	vm_map_self(vm);
	vm_map_gpa(vm, RACE_GPA, RACE_GPA, RACE_SIZE);
	TEST_REQUIRE(__vm_set_slot(vm, RACE_SLOT, 0, RACE_GPA, RACE_SIZE, old) == 0, "race slot");
	memset(&race, 0, sizeof(race));
	vcpu_setup_long_mode(rd.vcpu, guest_race_reader, &race);
	pthread_create(&rd.thread, NULL, race_reader_thread, &rd);
	for (gen = 2; gen < RACE_ROUNDS + 2 && time(NULL) < end && !rd.failed && !rd.err; gen++) {
		struct swap sw = { .vm = vm, .mem = new = race_mem(gen, NULL) };

		race.writes = gen & 1;
		pthread_create(&sw.thread, NULL, swap_thread, &sw);
		usleep(rand() % 300);
		race.writes = 0;	/* a broken kernel would write freed pages */
		munmap(old, RACE_SIZE);
		race.gone = gen - 1;
		pthread_join(sw.thread, NULL);
		bad_set += sw.ret != 0;
		r0 = race.rounds;
		stuck += !WAIT_MS(race.rounds > r0 + 1 || rd.failed || rd.err, 2000);
		old = new;
	}
	tap_result(!rd.failed && !rd.err && !bad_set && !stuck,
		   "%llu slot replacements racing munmap of the old memory: the guest never reads "
		   "it (read %#llx after %llu; errors %d, failed sets %d, stalls %d)",
		   (unsigned long long)(gen - 2), (unsigned long long)rd.uc.args[1],
		   (unsigned long long)rd.uc.args[2], rd.err, bad_set, stuck);
	race_reader_stop(&rd);
	vcpu_free(rd.vcpu);
	vm_free(vm);
	munmap(old, RACE_SIZE);
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
	if (argc > 1 && !strcmp(argv[1], "slots")) {	/* the slot-change tests alone */
		test_tables_freed();
		test_thp_replaces_small();
		test_slot_replace_vs_munmap();
		return tap_done();
	}
	if (argc > 1 && !strcmp(argv[1], "vcpus")) {	/* one test, for stress runs */
		test_four_vcpus();
		return tap_done();
	}
	test_mapping_changes();
	test_slots_under_guest();
	test_huge_pages();
	test_tables_freed();
	test_thp_replaces_small();
	test_four_vcpus();
	test_slot_replace_vs_munmap();
	test_slot_replace_stress();
	test_64_vms();
	return tap_done();
}
