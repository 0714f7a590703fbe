// SPDX-License-Identifier: GPL-2.0
/*
 * Guests and users that attack the host through vhv's event and exit code,
 * one per defect the hardening review found: each failed before its fix.
 * XCR0 left on the host, exceptions that loop in delivery, WBINVD, MMIO
 * during event delivery, interrupt shadows, events that wait behind
 * others, software interrupts re-delivered, hypercalls from user mode,
 * and run-area fields changed by userspace while the kernel uses them.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/vhv_test.h"
#include "lib/guest.h"

#define MMIO_GPA	0xd0000000ull	/* no slot: MMIO */
#define MMIO_VA		0xd0000000ull
#define RFLAGS_IF	(1ull << 9)
#define RFLAGS_TF	(1ull << 8)
#define CR4_OSXSAVE	(1ull << 18)

static struct vhv_vcpu_stats stats(struct vcpu *vcpu)
{
	struct vhv_vcpu_stats st;

	vhv_ioctl(vcpu->fd, VHV_GET_VCPU_STATS, &st);
	return st;
}

/* A long-mode guest running fn with an IDT that counts vectors. */
static struct vcpu *guest(struct vm **vmp, void (*fn)(void *), void *arg)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_add(vm, 0);

	vm_map_self(vm);
	vcpu_setup_long_mode(vcpu, fn, arg);
	vcpu_setup_idt(vcpu);
	memset((void *)&guest_exceptions, 0, sizeof(guest_exceptions));
	*vmp = vm;
	return vcpu;
}

static void done(struct vm *vm, struct vcpu *vcpu)
{
	vcpu_free(vcpu);
	vm_free(vm);
}

static bool host_has_xsave(void)
{
	uint32_t a, b, c, d;

	asm("cpuid" : "=a" (a), "=b" (b), "=c" (c), "=d" (d) : "a" (1), "c" (0));
	return c & (1u << 27);	/* OSXSAVE: the host kernel enabled XSAVE */
}

static uint64_t host_xgetbv(void)
{
	uint32_t lo, hi;

	asm volatile("xgetbv" : "=a" (lo), "=d" (hi) : "c" (0));
	return (uint64_t)hi << 32 | lo;
}

/* ---- XCR0 goes back to the host whatever the guest did to CR4 ----------- */

static void guest_xcr0(void *arg)
{
	uint64_t cr4;

	(void)arg;
	asm volatile("mov %%cr4, %0" : "=r" (cr4));
	asm volatile("mov %0, %%cr4" : : "r" (cr4 | CR4_OSXSAVE));
	/* x87 only: a value no host runs with. */
	asm volatile("xsetbv" : : "a" (1), "d" (0), "c" (0));
	GUEST_SYNC(1);
	/* Now hide from the exit path that XCR0 was the guest's. */
	asm volatile("mov %0, %%cr4" : : "r" (cr4 & ~CR4_OSXSAVE));
	GUEST_SYNC(2);
	GUEST_DONE();
}

static void test_xcr0_restored(void)
{
	struct vm *vm;
	struct vcpu *vcpu;
	uint64_t host, seen1, seen2;
	cpu_set_t one;

	if (!host_has_xsave()) {
		tap_skip("the L1 CPU has no XSAVE", "XCR0 restored after the guest clears CR4.OSXSAVE");
		return;
	}
	/* Stay on one CPU: a leaked XCR0 is that CPU's. */
	CPU_ZERO(&one);
	CPU_SET(sched_getcpu(), &one);
	sched_setaffinity(0, sizeof(one), &one);
	host = host_xgetbv();
	vcpu = guest(&vm, guest_xcr0, NULL);
	vcpu_run_to_ucall(vcpu, NULL);
	seen1 = host_xgetbv();
	vcpu_run_to_ucall(vcpu, NULL);
	seen2 = host_xgetbv();
	tap_result(seen1 == host, "host XCR0 back after an exit (%#llx, host %#llx)",
		   (unsigned long long)seen1, (unsigned long long)host);
	tap_result(seen2 == host,
		   "host XCR0 back after the guest cleared CR4.OSXSAVE (%#llx, host %#llx)",
		   (unsigned long long)seen2, (unsigned long long)host);
	tap_result(vcpu_run_to_ucall(vcpu, NULL) == UCALL_DONE, "the guest finished");
	done(vm, vcpu);
	CPU_ZERO(&one);
	for (int i = 0; i < CPU_SETSIZE; i++)
		CPU_SET(i, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

/* ---- CPUID 0xD follows the guest's XCR0 ---------------------------------- */

static void guest_xsave_size(void *arg)
{
	uint32_t r[4];
	uint64_t cr4;

	(void)arg;
	asm volatile("mov %%cr4, %0" : "=r" (cr4));
	asm volatile("mov %0, %%cr4" : : "r" (cr4 | CR4_OSXSAVE));
	guest_cpuid(0xd, 0, r);
	GUEST_SYNC(r[0]);			/* what XCR0 may hold */
	asm volatile("xsetbv" : : "a" (r[0]), "d" (0), "c" (0));
	guest_cpuid(0xd, 0, r);
	GUEST_SYNC((uint64_t)r[1] << 32 | r[2]);	/* EBX now, ECX max */
	GUEST_DONE();
}

static void test_xsave_size(void)
{
	struct vm *vm;
	struct vcpu *vcpu;
	uint32_t a, b, c, d;
	struct ucall uc;

	if (!host_has_xsave()) {
		tap_skip("the L1 CPU has no XSAVE", "CPUID 0xD sizes follow XCR0");
		return;
	}
	vcpu = guest(&vm, guest_xsave_size, NULL);
	vcpu_run_to_ucall(vcpu, &uc);
	asm("cpuid" : "=a" (a), "=b" (b), "=c" (c), "=d" (d) : "a" (0xd), "c" (0));
	tap_result((uc.args[0] & ~host_xgetbv()) == 0,
		   "CPUID 0xD.0 EAX (%#llx) offers no state the host's XCR0 (%#llx) lacks",
		   (unsigned long long)uc.args[0], (unsigned long long)host_xgetbv());
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] >> 32 == b || uc.args[0] == 0,
		   "after XSETBV, CPUID 0xD.0 EBX is the size for that XCR0 (%llu, host %u)",
		   (unsigned long long)(uc.args[0] >> 32), b);
	tap_result((uint32_t)uc.args[0] == (uc.args[0] >> 32),
		   "CPUID 0xD.0 ECX is the size for all the guest may enable (%llu)",
		   (unsigned long long)(uint32_t)uc.args[0]);
	done(vm, vcpu);
}

/* ---- #DB is intercepted and handed back, one delivery per exit ---------- */

static void guest_single_step(void *arg)
{
	(void)arg;
	GUEST_SYNC(0);
	asm volatile("pushfq; orq %0, (%%rsp); popfq\n\t"
		     "nop\n\t"
		     "pushfq; andq %1, (%%rsp); popfq\n\t"
		     : : "i" (RFLAGS_TF), "i" (~RFLAGS_TF) : "memory", "cc");
	GUEST_SYNC(guest_exceptions.count[1]);
	GUEST_DONE();
}

static void test_db_intercepted(void)
{
	struct vm *vm;
	struct vcpu *vcpu = guest(&vm, guest_single_step, NULL);
	struct vhv_vcpu_stats before, after;
	struct ucall uc;

	vcpu_run_to_ucall(vcpu, NULL);
	before = stats(vcpu);
	vcpu_run_to_ucall(vcpu, &uc);
	after = stats(vcpu);
	tap_result(uc.args[0] >= 1 &&
		   after.count[VHV_STAT_EXCEPTION] - before.count[VHV_STAT_EXCEPTION] == uc.args[0],
		   "single-step #DB: every one exits and reaches the guest's handler "
		   "(%llu delivered, %llu intercepted)", (unsigned long long)uc.args[0],
		   (unsigned long long)(after.count[VHV_STAT_EXCEPTION] -
					before.count[VHV_STAT_EXCEPTION]));
	tap_result(vcpu_run_to_ucall(vcpu, NULL) == UCALL_DONE, "the guest went on");
	done(vm, vcpu);
}

/* ---- WBINVD exits (and does not flush the host's caches) -------------------- */

#define WBINVD_LOOPS	200

static void guest_wbinvd(void *arg)
{
	(void)arg;
	GUEST_SYNC(0);
	for (int i = 0; i < WBINVD_LOOPS; i++)
		asm volatile("wbinvd" ::: "memory");
	GUEST_DONE();
}

static void test_wbinvd_intercepted(void)
{
	struct vm *vm;
	struct vcpu *vcpu = guest(&vm, guest_wbinvd, NULL);
	struct vhv_vcpu_stats b, a;
	uint64_t own;

	vcpu_run_to_ucall(vcpu, NULL);
	b = stats(vcpu);
	tap_result(vcpu_run_to_ucall(vcpu, NULL) == UCALL_DONE, "the WBINVD loop finished");
	a = stats(vcpu);
	/* Exits of the guest's own making: not host interrupts, not the ucall. */
	own = (a.count[VHV_STAT_EXITS] - b.count[VHV_STAT_EXITS]) -
	      (a.count[VHV_STAT_HOST_IRQ] - b.count[VHV_STAT_HOST_IRQ]) -
	      (a.count[VHV_STAT_IO] - b.count[VHV_STAT_IO]);
	tap_result(own >= WBINVD_LOOPS, "each of %d WBINVDs exited (%llu exits)",
		   WBINVD_LOOPS, (unsigned long long)own);
	done(vm, vcpu);
}

/* ---- a fault in event delivery that lands in MMIO is not emulated -------- */

static void guest_idt_in_mmio(void *arg)
{
	volatile uint32_t *unmapped = arg;

	/* A #PF whose delivery reads the IDT from MMIO: the load below is
	 * decodable, but it is not what touched that address. */
	(void)*unmapped;
	GUEST_DONE();
}

static void test_mmio_during_delivery(void)
{
	struct vm *vm;
	struct vcpu *vcpu = guest(&vm, guest_idt_in_mmio, (void *)0x7ff000000000ull);
	struct vhv_run *run = vcpu->run;
	struct vhv_sregs s = vcpu_sregs(vcpu);

	vm_map_gpa(vm, MMIO_VA, MMIO_GPA, 4096);
	s.idt.base = MMIO_VA;
	vcpu_set_sregs(vcpu, &s);
	vcpu_run(vcpu);
	tap_result(run->exit_reason == VHV_EXIT_INTERNAL_ERROR &&
		   run->internal.suberror == VHV_INTERNAL_EVENT_DELIVERY &&
		   run->internal.data[0] == MMIO_GPA + 14 * 16,
		   "an IDT in MMIO stops the vCPU (%s, suberror %u, gpa %#llx), "
		   "no MMIO emulated for the faulting instruction",
		   exit_reason_name(run->exit_reason), run->internal.suberror,
		   (unsigned long long)run->internal.data[0]);
	done(vm, vcpu);
}

/* ---- the interrupt shadow ends with the instruction it covered ------------ */

static void guest_sti_hlt(void *arg)
{
	(void)arg;
	asm volatile("sti; hlt");
	GUEST_SYNC(guest_exceptions.count[0x40]);
	GUEST_DONE();
}

static void test_sti_hlt(void)
{
	struct vm *vm;
	struct vcpu *vcpu = guest(&vm, guest_sti_hlt, NULL);
	struct vhv_run *run = vcpu->run;
	struct ucall uc;

	vcpu_run(vcpu);
	tap_result(run->exit_reason == VHV_EXIT_HLT, "sti; hlt exits with HLT (%s)",
		   exit_reason_name(run->exit_reason));
	tap_result(run->if_flag && run->ready_for_interrupt_injection,
		   "after HLT the STI shadow is over: an interrupt can go in");
	TEST_OK(__vcpu_inject(vcpu, VHV_EVENT_EXTINT, 0x40, false, 0), "queue interrupt 0x40 at the HLT");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 1, "the interrupt arrived before the instruction after HLT");
	done(vm, vcpu);
}

/* ---- an event that waits behind another one gets its window --------------- */

static void guest_wait_behind(void *arg)
{
	uint64_t vector = (uintptr_t)arg;
	int i;

	asm volatile("sti");
	GUEST_SYNC(0);		/* a first #UD maps the handler's pages */
	GUEST_SYNC(1);
	/* A few hundred instructions, far less than a host tick. */
	for (i = 0; i < 100 && !guest_exceptions.count[vector]; i++)
		asm volatile("pause");
	GUEST_SYNC(guest_exceptions.count[6] << 32 | guest_exceptions.count[vector]);
	GUEST_DONE();
}

static void test_wait_behind(uint8_t type, uint64_t vector, const char *what)
{
	struct vm *vm;
	struct vcpu *vcpu = guest(&vm, guest_wait_behind, (void *)(uintptr_t)vector);
	struct ucall uc;

	/*
	 * Nothing else may make the guest exit meanwhile: the #UD handler,
	 * the other handlers' page and the stack are mapped by a first #UD.
	 */
	vcpu_run_to_ucall(vcpu, NULL);
	TEST_REQUIRE(!__vcpu_inject(vcpu, VHV_EVENT_EXCEPTION, 6, false, 0), "queue #UD");
	vcpu_run_to_ucall(vcpu, NULL);
	TEST_OK(__vcpu_inject(vcpu, VHV_EVENT_EXCEPTION, 6, false, 0), "queue #UD");
	TEST_OK(__vcpu_inject(vcpu, type, type == VHV_EVENT_NMI ? 0 : vector, false, 0),
		"queue %s with it", what);
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == (2ull << 32 | 1),
		   "%s queued behind an exception arrives right after it (#UD %llu, %s %llu)",
		   what, (unsigned long long)(uc.args[0] >> 32) - 1, what,
		   (unsigned long long)(uint32_t)uc.args[0]);
	done(vm, vcpu);
}

/* ---- INTn cut short by a nested page fault runs once ----------------------- */

static void guest_int80(void *arg)
{
	(void)arg;
	GUEST_SYNC(0);
	asm volatile("int $0x80" ::: "memory");
	GUEST_SYNC(guest_exceptions.count[0x80]);
	GUEST_DONE();
}

static void test_soft_int_redelivered(void)
{
	struct vm *vm;
	struct vcpu *vcpu = guest(&vm, guest_int80, NULL);
	void *idt = (void *)(uintptr_t)(vcpu_sregs(vcpu).idt.base & ~4095ull);
	struct ucall uc;

	vcpu_run_to_ucall(vcpu, NULL);
	/* Take the IDT out of the nested page tables (the MMU notifier zaps
	 * it): delivering INT 0x80 then exits on a nested page fault. */
	TEST_REQUIRE(!mprotect(idt, 4096, PROT_READ), "mprotect IDT");
	TEST_REQUIRE(!mprotect(idt, 4096, PROT_READ | PROT_WRITE), "mprotect IDT back");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 1,
		   "INT 0x80 whose delivery faulted on the IDT runs its handler once (%llu)",
		   (unsigned long long)uc.args[0]);
	done(vm, vcpu);
}

/* ---- a hypercall from guest user mode says so ---------------------------- */

static void guest_user_vmmcall(void *arg)
{
	(void)arg;
	guest_vmcall(7, 0, 0, 0, 0, 0);
	for (;;)
		asm volatile("pause");
}

static void test_hypercall_cpl(void)
{
	struct vm *vm;
	struct vcpu *vcpu = guest(&vm, guest_user_vmmcall, NULL);
	struct vhv_run *run = vcpu->run;
	struct vhv_sregs s = vcpu_sregs(vcpu);

	tap_result(vhv_cap(vm->sys_fd, VHV_CAP_HYPERCALL_CPL) == 1,
		   "VHV_CAP_HYPERCALL_CPL is offered");
	vm_set_user(vm);
	s.cs.dpl = 3;
	s.cs.selector |= 3;
	s.ss.dpl = s.ds.dpl = s.es.dpl = s.fs.dpl = s.gs.dpl = 3;
	s.ss.selector |= 3;
	vcpu_set_sregs(vcpu, &s);
	vcpu_run(vcpu);
	tap_result(run->exit_reason == VHV_EXIT_HYPERCALL && run->hypercall.nr == 7 &&
		   run->hypercall.cpl == 3,
		   "VMMCALL/VMCALL from CPL 3 exits with cpl 3 (%s, cpl %u)",
		   exit_reason_name(run->exit_reason), run->hypercall.cpl);
	done(vm, vcpu);
}

/* ---- run-area fields userspace changes are not trusted ---------------------- */

static void guest_mmio_read(void *arg)
{
	volatile uint32_t *reg = arg;

	GUEST_SYNC(*reg);
	GUEST_DONE();
}

static void test_mmio_fields_untrusted(void)
{
	struct vm *vm;
	struct vcpu *vcpu = guest(&vm, guest_mmio_read, (void *)MMIO_VA);
	struct vhv_run *run = vcpu->run;
	struct ucall uc;

	vm_map_gpa(vm, MMIO_VA, MMIO_GPA, 4096);
	vcpu_run(vcpu);
	TEST_REQUIRE(run->exit_reason == VHV_EXIT_MMIO && !run->mmio.is_write,
		     "an MMIO read exit (%s)", exit_reason_name(run->exit_reason));
	memcpy(run->mmio.data, "\x44\x33\x22\x11\x55\x66\x77\x88", 8);
	/* Everything but the data is the kernel's business. */
	run->mmio.len = 0xffffffff;
	run->mmio.is_write = 1;
	run->mmio.phys_addr = 0x1234;
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 0x11223344,
		   "an MMIO read completes as the kernel issued it, whatever "
		   "userspace wrote to the other fields (%#llx)",
		   (unsigned long long)uc.args[0]);
	done(vm, vcpu);
}

struct ndata_race {
	struct vhv_run *run;
	_Atomic bool stop;
};

static void *scribble_ndata(void *arg)
{
	struct ndata_race *r = arg;

	while (!r->stop)
		*(volatile uint32_t *)&r->run->internal.ndata = 200;
	return NULL;
}

static void guest_bad_mmio(void *arg)
{
	/* An MMIO access vhv does not emulate: an internal error each run. */
	asm volatile("incl (%0)" : : "r" (arg) : "memory");
}

static bool memchr_inv_a5(const uint8_t *p, size_t n)
{
	while (n--)
		if (*p++ != 0xa5)
			return true;
	return false;
}

static void test_internal_ndata_race(void)
{
	struct vm *vm;
	struct vcpu *vcpu = guest(&vm, guest_bad_mmio, (void *)MMIO_VA);
	uint8_t *tail = (uint8_t *)vcpu->run + sizeof(struct vhv_run);
	size_t tail_len = 4096 - sizeof(struct vhv_run);
	struct ndata_race r = { .run = vcpu->run };
	int i, runs = 3000, bad = 0, internal = 0;
	pthread_t t;

	vm_map_gpa(vm, MMIO_VA, MMIO_GPA, 4096);
	memset(tail, 0xa5, tail_len);
	pthread_create(&t, NULL, scribble_ndata, &r);
	for (i = 0; i < runs; i++) {
		if (_vcpu_run(vcpu))
			break;
		internal += vcpu->run->exit_reason == VHV_EXIT_INTERNAL_ERROR;
		if (memchr_inv_a5(tail, tail_len))
			bad++;
	}
	r.stop = true;
	pthread_join(t, NULL);
	tap_result(internal == runs && !bad,
		   "internal-error exits with userspace rewriting ndata: the kernel "
		   "wrote nothing past the exit data (%d of %d runs overflowed)", bad, runs);
	done(vm, vcpu);
}

static void test_nmi_behind(void)
{
	test_wait_behind(VHV_EVENT_NMI, 2, "an NMI");
}

static void test_extint_behind(void)
{
	test_wait_behind(VHV_EVENT_EXTINT, 0x40, "interrupt 0x40");
}

static const struct named_test tests[] = {
	{ "xcr0", test_xcr0_restored },
	{ "xsave-size", test_xsave_size },
	{ "db", test_db_intercepted },
	{ "wbinvd", test_wbinvd_intercepted },
	{ "delivery-mmio", test_mmio_during_delivery },
	{ "sti-hlt", test_sti_hlt },
	{ "nmi-behind", test_nmi_behind },
	{ "extint-behind", test_extint_behind },
	{ "soft-int", test_soft_int_redelivered },
	{ "hypercall-cpl", test_hypercall_cpl },
	{ "mmio-fields", test_mmio_fields_untrusted },
	{ "ndata-race", test_internal_ndata_race },
};

/* Usage: hostile_test [NAME...]: the named tests only (default all). */
int main(int argc, char **argv)
{
	if (vhv_can_run("hostile guests"))
		run_named_tests(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
	return tap_done();
}
