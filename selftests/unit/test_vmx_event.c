// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kmod/vmx/event.c: after an exit that cut a delivery short,
 * which event goes in again (and as what), and whether the interrupt or
 * NMI the entry injected was delivered; above all that the guest's own
 * INTn is not taken for the INTn vhv injected for an external interrupt
 * (it would then arrive twice).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kmod/vmx/event.h"

#define VALID		VMX_INTR_INFO_VALID
#define ERRCODE		VMX_INTR_INFO_ERROR_CODE
#define TYPE(t)		((u32)(t) << VMX_INTR_INFO_TYPE_SHIFT)
#define EXTINT(v)	(VALID | TYPE(VMX_INTR_TYPE_EXT_INTR) | (v))
#define INTN(v)		(VALID | TYPE(VMX_INTR_TYPE_SW_INTR) | (v))
#define NMI		(VALID | TYPE(VMX_INTR_TYPE_NMI) | 2)
#define HWEXC(v)	(VALID | TYPE(VMX_INTR_TYPE_HW_EXCEPTION) | (v))
#define SWEXC(v)	(VALID | TYPE(VMX_INTR_TYPE_SW_EXCEPTION) | (v))
#define INT1		(VALID | TYPE(VMX_INTR_TYPE_PRIV_SW_EXCEPTION) | 1)

/* Where the guest stood at the entry, and its handler's code elsewhere. */
#define ENTRY_RIP	0xffffffff81001234ull
#define HANDLER_RIP	0xffffffff81c00010ull

/* An external interrupt injected as INTn of length 0: IF was clear. */
static const struct vmx_injection intn_for_extint = {
	.info = INTN(0x30), .rip = ENTRY_RIP, .intn_for_extint = true,
};

static void expect(const struct vmx_injection *inj,
		   const struct vmx_idt_vectoring *idt,
		   bool injected, u32 reinject, bool delivered)
{
	assert_int_equal(vmx_idt_is_injected(inj, idt), injected);
	assert_int_equal(vmx_idt_reinject(inj, idt), reinject);
	assert_int_equal(vmx_injected_interrupt_delivered(inj, idt), delivered);
}

/*
 * The review's case: the injected INTn was delivered, then the handler's
 * own INT $0x30 (2 bytes) was cut short in the same entry.  The guest
 * runs its INT again; vhv must not inject the interrupt a second time.
 */
static void test_guest_int_after_injected_intn(void **state)
{
	struct vmx_idt_vectoring idt = {
		.info = INTN(0x30), .insn_len = 2, .rip = HANDLER_RIP,
	};

	(void)state;
	expect(&intn_for_extint, &idt, false, 0, true);
	/* With prefixes (a CS override, REX): longer, the same answer. */
	idt.insn_len = 4;
	expect(&intn_for_extint, &idt, false, 0, true);
}

/*
 * The same, with the guest's INT at the very RIP of the injection (the
 * handler returned there with IRET): only the length tells them apart.
 */
static void test_guest_int_at_injection_rip(void **state)
{
	struct vmx_idt_vectoring idt = {
		.info = INTN(0x30), .insn_len = 2, .rip = ENTRY_RIP,
	};

	(void)state;
	expect(&intn_for_extint, &idt, false, 0, true);
}

/*
 * A CPU model that reports length 0 for the guest's INT too (the field
 * left as entry wrote it): its INT elsewhere is still the guest's.
 */
static void test_guest_int_zero_length_elsewhere(void **state)
{
	struct vmx_idt_vectoring idt = {
		.info = INTN(0x30), .insn_len = 0, .rip = HANDLER_RIP,
	};

	(void)state;
	expect(&intn_for_extint, &idt, false, 0, true);
}

/*
 * The injected INTn itself cut short (its stack page not mapped yet):
 * it goes in again as what it stands for, an external interrupt, which
 * the next entry turns into INTn again if IF is still clear.
 */
static void test_injected_intn_cut_short(void **state)
{
	struct vmx_idt_vectoring idt = {
		.info = INTN(0x30), .insn_len = 0, .rip = ENTRY_RIP,
	};

	(void)state;
	expect(&intn_for_extint, &idt, true, EXTINT(0x30), false);
	/* Bit 12 is undefined in IDT-vectoring information: ignored. */
	idt.info |= VMX_INTR_INFO_NMI_UNBLOCKED;
	expect(&intn_for_extint, &idt, true, EXTINT(0x30), false);
}

/* The injected INTn delivered, and the exit cut nothing short. */
static void test_injected_intn_delivered(void **state)
{
	struct vmx_idt_vectoring idt = { .info = 0, .rip = HANDLER_RIP };

	(void)state;
	expect(&intn_for_extint, &idt, false, 0, true);
	/* The guest's INT of another vector cut short: delivered too. */
	idt = (struct vmx_idt_vectoring){
		.info = INTN(0x80), .insn_len = 2, .rip = HANDLER_RIP,
	};
	expect(&intn_for_extint, &idt, false, 0, true);
	/* So is a hardware event the handler ran into. */
	idt = (struct vmx_idt_vectoring){
		.info = HWEXC(14) | ERRCODE, .rip = HANDLER_RIP,
	};
	expect(&intn_for_extint, &idt, false, HWEXC(14) | ERRCODE, true);
}

/* Nothing injected: the guest's software events run again by themselves. */
static void test_guest_software_events(void **state)
{
	const struct vmx_injection none = { .rip = ENTRY_RIP };
	struct vmx_idt_vectoring idt = {
		.info = INTN(0x80), .insn_len = 2, .rip = ENTRY_RIP,
	};

	(void)state;
	expect(&none, &idt, false, 0, false);
	idt.info = SWEXC(3);		/* INT3 */
	idt.insn_len = 1;
	expect(&none, &idt, false, 0, false);
	idt.info = SWEXC(4);		/* INTO */
	expect(&none, &idt, false, 0, false);
	idt.info = INT1;		/* ICEBP */
	expect(&none, &idt, false, 0, false);
	/* A stale flag without an injection counts nothing. */
	expect(&(struct vmx_injection){ .rip = ENTRY_RIP, .intn_for_extint = true },
	       &idt, false, 0, false);
}

/* An external interrupt injected with IF set: as it always was. */
static void test_injected_extint(void **state)
{
	const struct vmx_injection inj = { .info = EXTINT(0x41), .rip = ENTRY_RIP };
	struct vmx_idt_vectoring idt = { .info = EXTINT(0x41), .rip = ENTRY_RIP };

	(void)state;
	/* Cut short: in again, not counted; the length is not looked at. */
	expect(&inj, &idt, true, EXTINT(0x41), false);
	idt.insn_len = 7;
	expect(&inj, &idt, true, EXTINT(0x41), false);
	/* Delivered. */
	idt = (struct vmx_idt_vectoring){ .rip = HANDLER_RIP };
	expect(&inj, &idt, false, 0, true);
	/* The handler's own INT of the same vector: its, not vhv's. */
	idt = (struct vmx_idt_vectoring){
		.info = INTN(0x41), .insn_len = 2, .rip = HANDLER_RIP,
	};
	expect(&inj, &idt, false, 0, true);
}

static void test_injected_nmi(void **state)
{
	const struct vmx_injection inj = { .info = NMI, .rip = ENTRY_RIP };
	struct vmx_idt_vectoring idt = { .info = NMI, .rip = ENTRY_RIP };

	(void)state;
	expect(&inj, &idt, true, NMI, false);
	idt = (struct vmx_idt_vectoring){ .rip = HANDLER_RIP };
	expect(&inj, &idt, false, 0, true);
}

/*
 * A hardware exception goes in again whether it is the injected one or
 * the guest's own (a #PF its handler took): error-code bit kept, matched
 * without it; an injected exception is no interrupt to count.
 */
static void test_hardware_exception(void **state)
{
	const struct vmx_injection inj = {
		.info = HWEXC(14) | ERRCODE, .rip = ENTRY_RIP,
	};
	struct vmx_idt_vectoring idt = { .info = HWEXC(14) | ERRCODE, .rip = ENTRY_RIP };

	(void)state;
	expect(&inj, &idt, true, HWEXC(14) | ERRCODE, false);
	idt.rip = HANDLER_RIP;
	expect(&inj, &idt, true, HWEXC(14) | ERRCODE, false);
	idt.info = HWEXC(13) | ERRCODE;
	expect(&inj, &idt, false, HWEXC(13) | ERRCODE, false);
	/* Reserved bits 30:13 never go back into an entry field. */
	idt.info = HWEXC(6) | (1u << 20);
	expect(&inj, &idt, false, HWEXC(6), false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_guest_int_after_injected_intn),
		cmocka_unit_test(test_guest_int_at_injection_rip),
		cmocka_unit_test(test_guest_int_zero_length_elsewhere),
		cmocka_unit_test(test_injected_intn_cut_short),
		cmocka_unit_test(test_injected_intn_delivered),
		cmocka_unit_test(test_guest_software_events),
		cmocka_unit_test(test_injected_extint),
		cmocka_unit_test(test_injected_nmi),
		cmocka_unit_test(test_hardware_exception),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
