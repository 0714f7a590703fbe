// SPDX-License-Identifier: GPL-2.0
/*
 * Event injection: exceptions (with and without error codes), external
 * interrupts when the guest can take them and through the interrupt
 * window when it cannot yet, NMIs, and the argument checks.
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

int main(void)
{
	if (!vhv_can_run("event injection tests"))
		return tap_done();
	test_injection();
	test_bad_events();
	return tap_done();
}
