// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of kmod/vmx/vmcs.h: every field's encoding against the SDM
 * table it is listed under, and the width-checked accessors over a fake
 * VMCS.  Built with -DVMCS_WIDTH_MISMATCH=N (N = 1..VMCS_MISMATCH_CASES)
 * it must not compile: make unit builds each case and fails if one does.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>

#include "kmod/vmx/vmcs.h"

/* ---- a fake VMCS behind vmcs_read_raw() and vmcs_write_raw() ------------- */

static u64 fake_vmcs[0x8000];
static u32 last_field;

u64 vmcs_read_raw(u32 field)
{
	last_field = field;
	return fake_vmcs[field & 0x7fff];
}

void vmcs_write_raw(u32 field, u64 value)
{
	last_field = field;
	fake_vmcs[field & 0x7fff] = value;
}

static int setup(void **state)
{
	(void)state;
	memset(fake_vmcs, 0, sizeof(fake_vmcs));
	last_field = ~0u;
	return 0;
}

/* ---- what must not compile ------------------------------------------------ */

#ifdef VMCS_WIDTH_MISMATCH
void vmcs_width_mismatch(void);
void vmcs_width_mismatch(void)
{
#if VMCS_WIDTH_MISMATCH == 1
	(void)vmcs_read16(VMCS_GUEST_RIP);
#elif VMCS_WIDTH_MISMATCH == 2
	(void)vmcs_read32(VMCS_TSC_OFFSET);
#elif VMCS_WIDTH_MISMATCH == 3
	(void)vmcs_read64(VMCS_EXIT_REASON);
#elif VMCS_WIDTH_MISMATCH == 4
	(void)vmcs_readnat(VMCS_GUEST_CS_SELECTOR);
#elif VMCS_WIDTH_MISMATCH == 5
	vmcs_write16(VMCS_PIN_CONTROLS, 0);
#elif VMCS_WIDTH_MISMATCH == 6
	vmcs_write32(VMCS_GUEST_CR0, 0);
#elif VMCS_WIDTH_MISMATCH == 7
	vmcs_write64(VMCS_VPID, 0);
#elif VMCS_WIDTH_MISMATCH == 8
	vmcs_writenat(VMCS_EPT_POINTER, 0);
#elif VMCS_WIDTH_MISMATCH == 9
	/* The high half of a 64-bit field: vhv uses full accesses only. */
	(void)vmcs_read32(VMCS_TSC_OFFSET + 1);
#elif VMCS_WIDTH_MISMATCH == 10
	/* A reserved bit (12) in an otherwise 64-bit encoding. */
	(void)vmcs_read64(0x3000);
#else
#error "no such VMCS_WIDTH_MISMATCH case"
#endif
}
#endif

/* ---- tests ------------------------------------------------------------------ */

struct field {
	const char *name;
	u32 enc;
	u32 width;
	u32 type;
};

static const struct field fields[] = {
#define FIELD(name, enc, width, type) \
	{ #name, VMCS_##name, VMCS_WIDTH_##width, VMCS_TYPE_##type },
	VMCS_FIELDS(FIELD)
#undef FIELD
};
#define N_FIELDS	(sizeof(fields) / sizeof(fields[0]))

/* Each encoding says the width and type of the table it is listed in. */
static void every_field_has_its_width(void **state)
{
	unsigned int i, count[4] = { 0 };

	(void)state;
	for (i = 0; i < N_FIELDS; i++) {
		const struct field *f = &fields[i];

		if (vmcs_field_width(f->enc) != f->width ||
		    vmcs_field_type(f->enc) != f->type)
			fail_msg("VMCS_%s (%#x): width %u type %u, listed as %u %u",
				 f->name, f->enc, vmcs_field_width(f->enc),
				 vmcs_field_type(f->enc), f->width, f->type);
		assert_int_equal(f->enc & VMCS_FIELD_HIGH, 0);
		assert_int_equal(f->enc & VMCS_FIELD_RESERVED, 0);
		assert_true(vmcs_field_is(f->enc, f->width));
		count[f->width]++;
	}
	/* Every width class is used, and the list is what the header says. */
	assert_int_equal(count[VMCS_WIDTH_16], 16);
	assert_int_equal(count[VMCS_WIDTH_64], 21);
	assert_int_equal(count[VMCS_WIDTH_32], 48);
	assert_int_equal(count[VMCS_WIDTH_NAT], 38);
}

static void encodings_are_unique(void **state)
{
	unsigned int i, j;

	(void)state;
	for (i = 0; i < N_FIELDS; i++)
		for (j = i + 1; j < N_FIELDS; j++)
			if (fields[i].enc == fields[j].enc)
				fail_msg("VMCS_%s and VMCS_%s share %#x",
					 fields[i].name, fields[j].name, fields[i].enc);
}

/* A few encodings read off the SDM's tables, against typos in the list. */
static void known_encodings(void **state)
{
	(void)state;
	assert_int_equal(VMCS_VPID, 0x0000);
	assert_int_equal(VMCS_GUEST_TR_SELECTOR, 0x080e);
	assert_int_equal(VMCS_HOST_TR_SELECTOR, 0x0c0c);
	assert_int_equal(VMCS_MSR_BITMAP, 0x2004);
	assert_int_equal(VMCS_EPT_POINTER, 0x201a);
	assert_int_equal(VMCS_GUEST_PHYSICAL_ADDRESS, 0x2400);
	assert_int_equal(VMCS_GUEST_IA32_EFER, 0x2806);
	assert_int_equal(VMCS_HOST_IA32_EFER, 0x2c02);
	assert_int_equal(VMCS_PROC_CONTROLS2, 0x401e);
	assert_int_equal(VMCS_EXIT_REASON, 0x4402);
	assert_int_equal(VMCS_GUEST_INTERRUPTIBILITY, 0x4824);
	assert_int_equal(VMCS_PREEMPTION_TIMER, 0x482e);
	assert_int_equal(VMCS_EXIT_QUALIFICATION, 0x6400);
	assert_int_equal(VMCS_GUEST_RIP, 0x681e);
	assert_int_equal(VMCS_HOST_RIP, 0x6c16);
}

static void width_predicate(void **state)
{
	(void)state;
	assert_true(vmcs_field_is(VMCS_TSC_OFFSET, VMCS_WIDTH_64));
	assert_false(vmcs_field_is(VMCS_TSC_OFFSET | VMCS_FIELD_HIGH, VMCS_WIDTH_64));
	assert_false(vmcs_field_is(VMCS_TSC_OFFSET | VMCS_FIELD_HIGH, VMCS_WIDTH_32));
	assert_false(vmcs_field_is(VMCS_TSC_OFFSET, VMCS_WIDTH_NAT));
	assert_false(vmcs_field_is(VMCS_GUEST_RIP | 0x1000, VMCS_WIDTH_NAT));
	assert_false(vmcs_field_is(VMCS_GUEST_RIP | 0x8000, VMCS_WIDTH_NAT));
	assert_false(vmcs_field_is(0x80000000u | VMCS_VPID, VMCS_WIDTH_16));
	assert_int_equal(VMCS_CHECK_WIDTH(VMCS_GUEST_CR3, VMCS_WIDTH_NAT), 0);
}

/* The accessors pass the field through and cut values to its width. */
static void accessors_truncate_to_width(void **state)
{
	(void)state;
	vmcs_write16(VMCS_GUEST_CS_SELECTOR, 0x12345);
	assert_int_equal(last_field, VMCS_GUEST_CS_SELECTOR);
	assert_int_equal(fake_vmcs[VMCS_GUEST_CS_SELECTOR], 0x2345);

	vmcs_write32(VMCS_PIN_CONTROLS, 0x100000016ull);
	assert_int_equal(fake_vmcs[VMCS_PIN_CONTROLS], 0x16);

	vmcs_write64(VMCS_TSC_OFFSET, 0xfedcba9876543210ull);
	assert_int_equal(fake_vmcs[VMCS_TSC_OFFSET], 0xfedcba9876543210ull);
	vmcs_writenat(VMCS_GUEST_RIP, 0xffffffff81000000ull);
	assert_int_equal(fake_vmcs[VMCS_GUEST_RIP], 0xffffffff81000000ull);

	fake_vmcs[VMCS_GUEST_ES_SELECTOR] = 0xaaaabbbbccccddddull;
	assert_int_equal(vmcs_read16(VMCS_GUEST_ES_SELECTOR), 0xdddd);
	assert_int_equal(last_field, VMCS_GUEST_ES_SELECTOR);
	fake_vmcs[VMCS_EXIT_REASON] = 0x1111111180000021ull;
	assert_int_equal(vmcs_read32(VMCS_EXIT_REASON), 0x80000021);
	assert_int_equal(vmcs_read64(VMCS_TSC_OFFSET), 0xfedcba9876543210ull);
	assert_int_equal(vmcs_readnat(VMCS_GUEST_RIP), 0xffffffff81000000ull);
}

/* A field known only at run time compiles and is passed as it is. */
static void runtime_field_passes(void **state)
{
	volatile u32 field = VMCS_GUEST_RSP;

	(void)state;
	vmcs_writenat(field, 0x7000);
	assert_int_equal(fake_vmcs[VMCS_GUEST_RSP], 0x7000);
	assert_int_equal(vmcs_readnat(field), 0x7000);
	assert_int_equal(last_field, VMCS_GUEST_RSP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_field_has_its_width),
		cmocka_unit_test(encodings_are_unique),
		cmocka_unit_test(known_encodings),
		cmocka_unit_test(width_predicate),
		cmocka_unit_test_setup(accessors_truncate_to_width, setup),
		cmocka_unit_test_setup(runtime_field_passes, setup),
	};

	return cmocka_run_group_tests_name("vmcs", tests, NULL, NULL);
}
