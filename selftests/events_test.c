// SPDX-License-Identifier: GPL-2.0
/*
 * Event injection: exceptions (with and without error codes), external
 * interrupts when the guest can take them and through the interrupt
 * window when it cannot yet, NMIs, and the argument checks; and the
 * single-step #DB a guest running with TF set takes after each
 * instruction vhv completes for it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lib/vhv_test.h"
#include "lib/guest.h"

static void guest_events(void *arg)
{
	(void)arg;
	/* 1: exceptions land in the handlers; report what they saw. */
	GUEST_SYNC(0);
	GUEST_SYNC(guest_exceptions.count[6] << 32 | guest_exceptions.last_vector);
	GUEST_SYNC(guest_exceptions.count[13] << 32 | guest_exceptions.last_error);
	/* 2: interrupts enabled, then an external interrupt arrives. */
	asm volatile("sti");
	GUEST_SYNC(1);
	GUEST_SYNC(guest_exceptions.count[0x40]);
	/* 3: interrupts off until some time later. */
	asm volatile("cli");
	GUEST_SYNC(2);
	asm volatile("nop; nop; sti; nop");
	while (!guest_exceptions.count[0x41])
		asm volatile("pause");
	GUEST_SYNC(guest_exceptions.count[0x41]);
	/* 4: an NMI. */
	GUEST_SYNC(3);
	GUEST_SYNC(guest_exceptions.count[2]);
	GUEST_DONE();
}

static void test_injection(void)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_add(vm, 0);
	struct vhv_run *run = vcpu->run;
	struct ucall uc;

	vm_map_self(vm);
	vcpu_setup_long_mode(vcpu, guest_events, NULL);
	vcpu_setup_idt(vcpu);
	vcpu_run_to_ucall(vcpu, &uc);

	TEST_OK(__vcpu_inject(vcpu, VHV_EVENT_EXCEPTION, 6, false, 0), "queue #UD");
	TEST_ERRNO(__vcpu_inject(vcpu, VHV_EVENT_EXCEPTION, 13, true, 0), EBUSY,
		   "a second exception while one is queued");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == (1ull << 32 | 6), "the guest's #UD handler ran once");
	TEST_OK(__vcpu_inject(vcpu, VHV_EVENT_EXCEPTION, 13, true, 0x18), "queue #GP(0x18)");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == (1ull << 32 | 0x18), "#GP delivered with its error code");

	vcpu_run_to_ucall(vcpu, &uc);	/* SYNC(1): IF is set */
	tap_result(run->if_flag && run->ready_for_interrupt_injection,
		   "with IF set the run area says interrupts can be injected");
	TEST_OK(__vcpu_inject(vcpu, VHV_EVENT_EXTINT, 0x40, false, 0), "queue external interrupt 0x40");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 1, "the guest took interrupt 0x40");

	vcpu_run_to_ucall(vcpu, &uc);	/* SYNC(2): IF clear */
	tap_result(!run->if_flag && !run->ready_for_interrupt_injection,
		   "with IF clear injection is not ready");
	TEST_ERRNO(__vcpu_inject(vcpu, VHV_EVENT_EXTINT, 0x41, false, 0), EBUSY,
		   "an external interrupt while the guest cannot take it");
	run->request_interrupt_window = 1;
	vcpu_run(vcpu);
	tap_result(run->exit_reason == VHV_EXIT_IRQ_WINDOW_OPEN && run->ready_for_interrupt_injection,
		   "the interrupt window opens when the guest sets IF (%s)",
		   exit_reason_name(run->exit_reason));
	run->request_interrupt_window = 0;
	TEST_OK(__vcpu_inject(vcpu, VHV_EVENT_EXTINT, 0x41, false, 0), "queue interrupt 0x41");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 1, "the guest took interrupt 0x41");

	vcpu_run_to_ucall(vcpu, &uc);	/* SYNC(3) */
	TEST_OK(__vcpu_inject(vcpu, VHV_EVENT_NMI, 0, false, 0), "queue an NMI");
	TEST_ERRNO(__vcpu_inject(vcpu, VHV_EVENT_NMI, 0, false, 0), EBUSY, "a second NMI");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 1, "the guest's NMI handler ran");
	tap_result(vcpu_run_to_ucall(vcpu, NULL) == UCALL_DONE, "the guest finished");
	vcpu_free(vcpu);
	vm_free(vm);
}

static void test_bad_events(void)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_add(vm, 0);
	struct vhv_event e = { .type = VHV_EVENT_EXCEPTION, .vector = 6 };

	TEST_ERRNO(__vcpu_inject(vcpu, 7, 0, false, 0), EINVAL, "unknown event type");
	TEST_ERRNO(__vcpu_inject(vcpu, VHV_EVENT_EXCEPTION, 2, false, 0), EINVAL, "vector 2 as an exception");
	TEST_ERRNO(__vcpu_inject(vcpu, VHV_EVENT_EXCEPTION, 32, false, 0), EINVAL, "exception vector 32");
	TEST_ERRNO(__vcpu_inject(vcpu, VHV_EVENT_EXCEPTION, 6, true, 0), EINVAL, "#UD with an error code");
	TEST_ERRNO(__vcpu_inject(vcpu, VHV_EVENT_EXCEPTION, 14, false, 0), EINVAL, "#PF without its error code");
	TEST_ERRNO(__vcpu_inject(vcpu, VHV_EVENT_EXCEPTION, 6, false, 5), EINVAL,
		   "an error code value without has_error_code");
	TEST_ERRNO(__vcpu_inject(vcpu, VHV_EVENT_EXTINT, 16, false, 0), EINVAL, "external interrupt vector 16");
	TEST_ERRNO(__vcpu_inject(vcpu, VHV_EVENT_NMI, 2, false, 0), EINVAL, "NMI with a vector");
	e.pad = 1;
	TEST_ERRNO(ioctl(vcpu->fd, VHV_INJECT_EVENT, &e), EINVAL, "non-zero pad");
	e.pad = 0;
	e.reserved = 1;
	TEST_ERRNO(ioctl(vcpu->fd, VHV_INJECT_EVENT, &e), EINVAL, "non-zero reserved");
	vcpu_free(vcpu);
	vm_free(vm);
}

/* ---- the single-step trap after instructions vhv completes --------------- */

#define SS_PORT		0xe9		/* no device: OUT goes to userspace */
#define SS_MMIO		0xd0000000ull	/* VA = GPA, no slot: MMIO */
#define SS_MAX		32

/* What the guest's #DB handler saw, one entry per #DB. */
struct ss_log {
	uint64_t n;
	uint64_t rip[SS_MAX];	/* the saved RIP: where the guest goes on */
	uint64_t dr6[SS_MAX];
	uint64_t rcx[SS_MAX];
};
volatile struct ss_log ss_log;
_Static_assert(offsetof(struct ss_log, rip) == 8 &&
	       offsetof(struct ss_log, dr6) == 8 + 8 * SS_MAX &&
	       offsetof(struct ss_log, rcx) == 8 + 16 * SS_MAX, "ss_db_handler's offsets");
static const char ss_out[3] = { 'v', 'h', 'v' };

/*
 * The #DB handler (an interrupt gate: TF off inside) logs the saved RIP,
 * DR6 and RCX, then clears DR6 as the SDM asks of handlers, so that each
 * #DB shows only its own conditions.
 *
 * ss_insns(mmio, buf) sets TF (no trap after that POPF), then runs, each
 * right after the other so that each #DB is the previous instruction's:
 * REP OUTSB of 3 bytes (to userspace, a trap after each iteration, RIP on
 * the instruction until the last), RDMSR of IA32_MISC_ENABLE (answered in
 * the kernel), CPUID, OUT (to userspace), a load from MMIO (the emulator,
 * then userspace), HLT (which must not halt: its trap ends it); then
 * clears TF.  The native instructions between (a MOV, and those clearing
 * TF) trap too, at addresses none of those checked.
 */
void ss_insns(volatile void *mmio, const void *buf);
extern const char ss_db_handler[], ss_rep_outs[], ss_after_rep_outs[],
	ss_after_rdmsr[], ss_after_cpuid[], ss_after_out[], ss_after_mmio[],
	ss_after_hlt[];
asm(".pushsection .text\n"
    "ss_db_handler:\n"
    "	push %rax\n"
    "	push %rbx\n"
    "	push %rdx\n"
    "	lea ss_log(%rip), %rbx\n"
    "	mov (%rbx), %rdx\n"
    "	cmp $32, %rdx\n"
    "	jae 1f\n"
    "	mov 24(%rsp), %rax\n"
    "	mov %rax, 8(%rbx, %rdx, 8)\n"
    "	mov %dr6, %rax\n"
    "	mov %rax, 264(%rbx, %rdx, 8)\n"
    "	mov %rcx, 520(%rbx, %rdx, 8)\n"
    "1:	incq (%rbx)\n"
    "	mov $0xffff0ff0, %eax\n"
    "	mov %rax, %dr6\n"
    "	pop %rdx\n"
    "	pop %rbx\n"
    "	pop %rax\n"
    "	iretq\n"
    "ss_insns:\n"
    "	push %rbx\n"
    "	mov %rdi, %r8\n"
    "	mov $3, %ecx\n"
    "	mov $0xe9, %edx\n"
    "	pushfq\n"
    "	orq $0x100, (%rsp)\n"
    "	popfq\n"
    "ss_rep_outs:\n"
    "	rep outsb\n"
    "ss_after_rep_outs:\n"
    "	mov $0x1a0, %ecx\n"
    "	rdmsr\n"
    "ss_after_rdmsr:\n"
    "	cpuid\n"
    "ss_after_cpuid:\n"
    "	outb %al, $0xe9\n"
    "ss_after_out:\n"
    "	movl (%r8), %eax\n"
    "ss_after_mmio:\n"
    "	hlt\n"
    "ss_after_hlt:\n"
    "	pushfq\n"
    "	andq $-0x101, (%rsp)\n"
    "	popfq\n"
    "	pop %rbx\n"
    "	ret\n"
    ".popsection\n");

static void guest_single_step(void *mmio)
{
	ss_insns(mmio, ss_out);
	GUEST_DONE();
}

/* The #DBs logged at rip (with rcx, unless any_rcx). */
static unsigned int ss_traps_at(const char *rip, uint64_t rcx, bool any_rcx,
				uint64_t *dr6)
{
	unsigned int i, n = 0;

	for (i = 0; i < ss_log.n && i < SS_MAX; i++) {
		if (ss_log.rip[i] != (uintptr_t)rip || (!any_rcx && ss_log.rcx[i] != rcx))
			continue;
		*dr6 = ss_log.dr6[i];
		n++;
	}
	return n;
}

/*
 * Before this, vhv delivered no single-step trap after any instruction it
 * completed: each check below saw no #DB at its address (and a REP OUTSB
 * went out in one exit, the HLT exited to userspace).
 */
static void test_single_step_after_exits(void)
{
	static const struct {
		const char *what;
		const char *rip;	/* where the guest goes on */
		uint64_t rcx;
		bool any_rcx;
	} want[] = {
		{ "REP OUTSB, 1st of 3 iterations", ss_rep_outs, 2, false },
		{ "REP OUTSB, 2nd of 3 iterations", ss_rep_outs, 1, false },
		{ "REP OUTSB, last iteration", ss_after_rep_outs, 0, false },
		{ "RDMSR of a kernel-handled MSR", ss_after_rdmsr, 0, true },
		{ "CPUID", ss_after_cpuid, 0, true },
		{ "OUT handled by userspace", ss_after_out, 0, true },
		{ "MMIO load through the emulator", ss_after_mmio, 0, true },
		{ "HLT", ss_after_hlt, 0, true },
	};
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_add(vm, 0);
	struct vhv_run *run = vcpu->run;
	unsigned int io_exits = 0, out_bytes = 0, mmio_exits = 0, hlt_exits = 0, i;
	char out[8] = "";
	struct ucall *uc;
	uint64_t dr6 = 0;

	vm_map_self(vm);
	vm_map_gpa(vm, SS_MMIO, SS_MMIO, 4096);
	vcpu_setup_long_mode(vcpu, guest_single_step, (void *)SS_MMIO);
	vcpu_setup_idt(vcpu);
	vcpu_set_idt_handler(vcpu, 1, ss_db_handler);
	memset((void *)&ss_log, 0, sizeof(ss_log));
	for (;;) {
		vcpu_run(vcpu);
		if (run->exit_reason == VHV_EXIT_IO && run->io.port == SS_PORT &&
		    run->io.direction == VHV_IO_OUT) {
			for (i = 0; i < run->io.count && out_bytes < sizeof(out) - 1; i++)
				out[out_bytes++] = ((char *)run + run->io.data_offset)[i];
			io_exits++;
		} else if (run->exit_reason == VHV_EXIT_MMIO && run->mmio.phys_addr == SS_MMIO &&
			   !run->mmio.is_write) {
			memset(run->mmio.data, 0x5a, sizeof(run->mmio.data));
			mmio_exits++;
		} else if (run->exit_reason == VHV_EXIT_HLT) {
			hlt_exits++;
		} else {
			break;
		}
	}
	uc = vcpu_ucall(vcpu);
	if (!tap_result(uc && uc->cmd == UCALL_DONE, "single-step guest: ran to its end (%s)",
			exit_reason_name(run->exit_reason))) {
		vcpu_free(vcpu);
		vm_free(vm);
		return;
	}
	tap_result(out_bytes == 4 && !memcmp(out, "vhv", 3) && mmio_exits == 1,
		   "single-step guest: REP OUTSB and OUT gave userspace 4 bytes (%u, in %u exits), "
		   "the MMIO load %u exit", out_bytes, io_exits, mmio_exits);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		unsigned int n = ss_traps_at(want[i].rip, want[i].rcx, want[i].any_rcx, &dr6);

		tap_result(n == 1 && (dr6 & 0xe00f) == 0x4000,
			   "single-step #DB after %s: %u at the next RIP, DR6 %#llx (BS only)",
			   want[i].what, n, (unsigned long long)dr6);
	}
	tap_result(ss_traps_at(ss_rep_outs, 0, true, &dr6) == 2,
		   "no other #DB on the REP OUTSB (%u)", ss_traps_at(ss_rep_outs, 0, true, &dr6));
	tap_result(!hlt_exits, "HLT with TF set did not halt (%u HLT exits)", hlt_exits);
	vcpu_free(vcpu);
	vm_free(vm);
}

int main(void)
{
	if (!vhv_can_run("event injection tests"))
		return tap_done();
	test_injection();
	test_bad_events();
	test_single_step_after_exits();
	return tap_done();
}
