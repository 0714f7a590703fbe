/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unit tests for devices/acpi_pm.c, driven through its port handlers with
 * fakes of the device.h calls: S5 power-off, reset, the PM timer's rate,
 * write-1-to-clear status, the power button's level SCI, hostile accesses.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <time.h>
#include <cmocka.h>

#include "devices/acpi_pm.h"
#include "firmware/firmware.h"
#include "selftests/unit/fake_vmm.h"

#define PM_BASE		0x600
#define SCI_GSI		9

#define STS		(FW_PM1_EVT_OFF)
#define EN		(FW_PM1_EVT_OFF + 2)
#define CNT		(FW_PM1_CNT_OFF)
#define TMR		(FW_PM_TMR_OFF)
#define RESET		(FW_PM_RESET_OFF)

#define PWRBTN		(1u << 8)
#define WAK_STS		(1u << 15)
#define SCI_EN		(1u << 0)
#define SLP_EN		(1u << 13)
#define SLP_TYP(t)	((unsigned int)(t) << 10)

/* ---- helpers ----------------------------------------------------------- */

static uint64_t rd(uint64_t off, uint32_t size)
{
	uint8_t data[8];
	uint64_t v = 0;

	memset(data, 0xcc, sizeof(data));
	fk.r[0].ops->read(fk.r[0].opaque, off, data, size);
	memcpy(&v, data, size);
	return v;
}

static void wr(uint64_t off, uint32_t size, uint64_t v)
{
	uint8_t data[8];

	memcpy(data, &v, sizeof(data));
	fk.r[0].ops->write(fk.r[0].opaque, off, data, size);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int setup(void **state)
{
	struct acpi_pm *pm = NULL;

	fake_vmm_setup(0);
	assert_int_equal(acpi_pm_create(&fake_vm, PM_BASE, SCI_GSI, &pm), 0);
	assert_non_null(pm);
	assert_int_equal(fk.io_registered, 1);
	assert_int_equal(fake_io_single()->space, VMM_SPACE_PIO);
	assert_int_equal(fk.r[0].base, PM_BASE);
	assert_int_equal(fk.r[0].len, FW_PM_BLOCK_LEN);
	assert_int_equal(fk.nr_dev, 1);
	assert_ptr_equal(fk.dev[0].opaque, pm);
	*state = pm;
	return 0;
}

static int teardown(void **state)
{
	unsigned int i;

	(void)state;
	/* Power-off and reset carry no code. */
	for (i = 0; i < fk.nr_stops; i++)
		assert_int_equal(fk.stops[i].code, 0);
	fake_vmm_destroy_devices();
	return 0;
}

/* The latest stop request (each one must ask). */
static enum vmm_stop_reason last_stop(void)
{
	assert_true(fk.nr_stops > 0);
	return fk.stops[fk.nr_stops - 1].reason;
}

/* ---- tests ------------------------------------------------------------- */

static void test_create_rejects(void **state)
{
	struct acpi_pm *pm = NULL;

	(void)state;
	fake_vmm_setup(0);
	assert_int_equal(acpi_pm_create(&fake_vm, 0, SCI_GSI, &pm), -EINVAL);
	assert_int_equal(acpi_pm_create(&fake_vm, 0xfff1, SCI_GSI, &pm),
			 -EINVAL);
	assert_int_equal(acpi_pm_create(&fake_vm, PM_BASE, 24, &pm), -EINVAL);
	assert_non_null(strstr(fk.msg, "acpi-pm"));
	assert_int_equal(fk.io_registered, 0);
	assert_null(pm);

	/* A taken range: the bus's error comes back, nothing leaks. */
	fk.io_ret = -EEXIST;
	assert_int_equal(acpi_pm_create(&fake_vm, PM_BASE, SCI_GSI, &pm),
			 -EEXIST);
	assert_int_equal(fk.nr_dev, 0);
	/* vmm_device_add failing: the range is given back. */
	fk.io_ret = 0;
	fk.dev_ret = -ENOMEM;
	assert_int_equal(acpi_pm_create(&fake_vm, PM_BASE, SCI_GSI, &pm),
			 -ENOMEM);
	assert_int_equal(fk.io_unregistered, 1);	/* the very range */
	assert_int_equal(fk.nr_ranges, 0);
	assert_null(pm);
}

static void test_s5_powers_off(void **state)
{
	(void)state;
	/* ACPICA writes SLP_TYP first, then SLP_TYP | SLP_EN. */
	wr(CNT, 2, SCI_EN | SLP_TYP(FW_SLP_TYP_S5));
	assert_int_equal(fk.nr_stops, 0);
	assert_int_equal(rd(CNT, 2), SCI_EN | SLP_TYP(FW_SLP_TYP_S5));
	wr(CNT, 2, SCI_EN | SLP_TYP(FW_SLP_TYP_S5) | SLP_EN);
	assert_int_equal(fk.nr_stops, 1);
	assert_int_equal(last_stop(), VMM_STOP_POWEROFF);
	/* SLP_EN is write-only. */
	assert_false(rd(CNT, 2) & SLP_EN);
}

/* SLP_TYP and SLP_EN both live in byte 1: a byte write there is enough. */
static void test_s5_byte_write(void **state)
{
	(void)state;
	wr(CNT + 1, 1, (SLP_TYP(FW_SLP_TYP_S5) | SLP_EN) >> 8);
	assert_int_equal(fk.nr_stops, 1);
	assert_int_equal(last_stop(), VMM_STOP_POWEROFF);
}

static void test_other_sleep_types_ignored(void **state)
{
	unsigned int typ;

	(void)state;
	for (typ = 0; typ < 8; typ++) {
		if (typ == FW_SLP_TYP_S5)
			continue;
		wr(CNT, 2, SLP_TYP(typ) | SLP_EN);
		assert_int_equal(fk.nr_stops, 0);
		/* "Woken" at once, so a polling guest goes on. */
		assert_true(rd(STS, 2) & WAK_STS);
		wr(STS, 2, WAK_STS);
		assert_false(rd(STS, 2) & WAK_STS);
	}
	/* S5's type without SLP_EN does nothing either. */
	wr(CNT, 2, SLP_TYP(FW_SLP_TYP_S5));
	assert_int_equal(fk.nr_stops, 0);
	assert_int_equal(fk.nr_irq, 0);
}

static void test_sci_en_reads_one(void **state)
{
	(void)state;
	assert_int_equal(rd(CNT, 2), SCI_EN);
	wr(CNT, 2, 0);
	assert_int_equal(rd(CNT, 2), SCI_EN);
	wr(CNT, 1, 0xfe);		/* BM_RLD kept, GBL_RLS dropped */
	assert_int_equal(rd(CNT, 2), SCI_EN | 2);
}

static void test_reset(void **state)
{
	(void)state;
	wr(RESET, 1, FW_PM_RESET_VALUE ^ 0xff);
	wr(RESET, 1, 0);
	wr(RESET, 1, FW_PM_RESET_VALUE + 1);
	assert_int_equal(fk.nr_stops, 0);
	assert_int_equal(rd(RESET, 1), 0);
	wr(RESET, 1, FW_PM_RESET_VALUE);
	assert_int_equal(fk.nr_stops, 1);
	assert_int_equal(last_stop(), VMM_STOP_RESET);
	/* A wider write whose low byte is the value counts too. */
	wr(RESET, 4, FW_PM_RESET_VALUE);
	assert_int_equal(fk.nr_stops, 2);
}

static void test_timer_monotonic(void **state)
{
	uint32_t first, prev, v = 0;
	unsigned int i;

	(void)state;
	first = prev = rd(TMR, 4);
	for (i = 0; i < 100000; i++) {
		v = rd(TMR, 4);
		assert_true((uint32_t)(v - prev) < 0x80000000u);
		prev = v;
	}
	/* It moved: 100k reads take far more than one tick (279 ns). */
	assert_int_not_equal(v, first);
}

/*
 * ~20 ms of sleep is ~71590 ticks.  Host timestamps bracket both reads,
 * so the count is checked tightly against the time that really passed,
 * and loosely (+-20%) against the nominal 20 ms.
 */
static void test_timer_rate(void **state)
{
	struct timespec ts = { .tv_nsec = 20 * 1000 * 1000 };
	uint64_t t_before, t_after_v1, t_before_v2, t_after;
	uint32_t v1, v2, ticks;
	double lo, hi;

	(void)state;
	t_before = now_ns();
	v1 = rd(TMR, 4);
	t_after_v1 = now_ns();
	nanosleep(&ts, NULL);
	t_before_v2 = now_ns();
	v2 = rd(TMR, 4);
	t_after = now_ns();
	ticks = v2 - v1;

	lo = (t_before_v2 - t_after_v1) * 3579545.0 / 1e9 - 1;
	hi = (t_after - t_before) * 3579545.0 / 1e9 + 1;
	assert_true(ticks >= lo && ticks <= hi);
	assert_true(ticks >= 71590 * 8 / 10);
	if (t_after - t_before < 24 * 1000 * 1000)
		assert_true(ticks <= 71590 * 12 / 10);
}

static void test_status_write_one_to_clear(void **state)
{
	struct acpi_pm *pm = *state;

	wr(CNT, 2, SLP_TYP(1) | SLP_EN);	/* sets WAK_STS */
	acpi_pm_power_button(pm);		/* sets PWRBTN_STS */
	assert_int_equal(rd(STS, 2), WAK_STS | PWRBTN);
	wr(STS, 2, 0);				/* writing 0 keeps */
	assert_int_equal(rd(STS, 2), WAK_STS | PWRBTN);
	wr(STS, 2, PWRBTN);			/* 1 clears only that bit */
	assert_int_equal(rd(STS, 2), WAK_STS);
	wr(STS + 1, 1, WAK_STS >> 8);		/* byte access */
	assert_int_equal(rd(STS, 2), 0);
	/* Status writes leave enable alone, and the other way round. */
	wr(EN, 2, PWRBTN);
	wr(STS, 2, 0xffff);
	assert_int_equal(rd(EN, 2), PWRBTN);
	/* Only defined enable bits stick. */
	wr(EN, 2, 0xffff);
	assert_int_equal(rd(EN, 2), 0x4721);
}

static void test_power_button_sci(void **state)
{
	struct acpi_pm *pm = *state;

	/* Not enabled: status only, no SCI. */
	acpi_pm_power_button(pm);
	assert_true(rd(STS, 2) & PWRBTN);
	assert_int_equal(fk.nr_irq, 0);
	/* Enabling with the status pending raises the level SCI. */
	wr(EN, 2, PWRBTN);
	assert_int_equal(fk.gsi_level[SCI_GSI], 1);
	assert_int_equal(fk.nr_irq, 1);
	/* A second press while pending changes nothing. */
	acpi_pm_power_button(pm);
	assert_int_equal(fk.nr_irq, 1);
	/* The guest clears the status: the SCI drops. */
	wr(STS, 2, PWRBTN);
	assert_int_equal(fk.gsi_level[SCI_GSI], 0);
	assert_int_equal(fk.nr_irq, 2);
	/* Pressed again with the enable set: straight up. */
	acpi_pm_power_button(pm);
	assert_int_equal(fk.gsi_level[SCI_GSI], 1);
	/* Disabling also drops it; the status stays for the guest. */
	wr(EN, 2, 0);
	assert_int_equal(fk.gsi_level[SCI_GSI], 0);
	assert_true(rd(STS, 2) & PWRBTN);
	assert_int_equal(fk.nr_stops, 0);
}

/* Every width at every offset, also across the end: no crash, no stop. */
static void test_hostile_accesses(void **state)
{
	static const uint32_t sizes[] = { 1, 2, 4, 8 };
	uint64_t off;
	unsigned int i;

	(void)state;
	for (off = 0; off < FW_PM_BLOCK_LEN + 8; off++) {
		for (i = 0; i < 4; i++) {
			uint64_t v = rd(off, sizes[i]);

			if (off >= FW_PM_BLOCK_LEN)
				assert_true(v == (sizes[i] == 8 ? ~0ull :
					    (1ull << 8 * sizes[i]) - 1));
			/* Never S5, never the reset value. */
			wr(off, sizes[i], 0);
		}
	}
	/* Bytes past the block read as 0xff. */
	assert_int_equal(rd(FW_PM_BLOCK_LEN - 1, 2) >> 8, 0xff);
	assert_int_equal(rd(~0ull - 1, 8), ~0ull);
	wr(~0ull - 1, 8, ~0ull);
	/* All ones over PM1: SLP_TYP 7 with SLP_EN, ignored, "woken". */
	wr(0, 8, ~0ull);
	assert_int_equal(fk.nr_stops, 0);
	assert_true(rd(STS, 2) & WAK_STS);
	/* Over timer and reset: 0xff is not the reset value. */
	wr(8, 8, ~0ull);
	assert_int_equal(fk.nr_stops, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_rejects),
		cmocka_unit_test_setup_teardown(test_s5_powers_off, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_s5_byte_write, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_other_sleep_types_ignored,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_sci_en_reads_one, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timer_monotonic, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_timer_rate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_status_write_one_to_clear,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_power_button_sci, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_hostile_accesses, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
