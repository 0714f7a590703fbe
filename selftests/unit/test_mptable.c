/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unit tests for firmware/mptable.c: the MP 1.4 table read back as Linux
 * does with acpi=off (scan of the F segment, checksums, entry walk).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <cmocka.h>

#include "firmware/firmware.h"

#define SCI	9

struct region {
	uint8_t *buf;
	uint64_t gpa;
	size_t size;
};

static const uint8_t *at(const struct region *r, uint64_t gpa, size_t len)
{
	assert_true(gpa >= r->gpa);
	assert_true(len <= r->size && gpa - r->gpa <= r->size - len);
	return r->buf + (gpa - r->gpa);
}

static uint16_t le16(const uint8_t *p)
{
	return p[0] | p[1] << 8;
}

static uint32_t le32(const uint8_t *p)
{
	return le16(p) | (uint32_t)le16(p + 2) << 16;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* As Linux's smp_scan_config() over 0xF0000-0xFFFFF; counts the hits. */
static uint64_t scan_mpf(const struct region *r, unsigned int *hits)
{
	uint64_t gpa, found = 0;

	*hits = 0;
	for (gpa = 0xf0000; gpa < 0x100000; gpa += 16) {
		const uint8_t *p;

		if (gpa < r->gpa || gpa + 16 > r->gpa + r->size)
			continue;
		p = at(r, gpa, 16);
		if (memcmp(p, "_MP_", 4) || p[8] != 1 || sum(p, 16) ||
		    (p[9] != 1 && p[9] != 4))
			continue;
		if (!found)
			found = gpa;
		(*hits)++;
	}
	return found;
}

struct mp_counts {
	unsigned int cpus, buses, ioapics, ioints, lints;
};

static void check_mptable(const struct region *r, uint64_t mpf_gpa,
			  unsigned int n, struct mp_counts *c)
{
	const uint8_t *mpf = at(r, mpf_gpa, 16), *mpc, *e;
	unsigned int isa_seen[16] = { 0 }, pci_seen[32][4] = { { 0 } };
	unsigned int i, count, prev_type = 0, bsps = 0;
	uint64_t cpu_ids = 0;
	uint8_t ioapic_id = 0xff;
	uint16_t len;

	memset(c, 0, sizeof(*c));
	assert_int_equal(mpf[11], 0);		/* a config table follows */
	mpc = at(r, le32(mpf + 4), 44);
	assert_memory_equal(mpc, "PCMP", 4);
	len = le16(mpc + 4);
	assert_int_equal(mpc[6], 4);
	mpc = at(r, le32(mpf + 4), len);
	assert_int_equal(sum(mpc, len), 0);
	assert_int_equal(le32(mpc + 36), 0xfee00000);
	assert_int_equal(le16(mpc + 40), 0);	/* no extended entries */
	count = le16(mpc + 34);

	e = mpc + 44;
	for (i = 0; i < count; i++) {
		unsigned int elen = e[0] == 0 ? 20 : 8;

		assert_true(e + elen <= mpc + len);
		assert_true(e[0] >= prev_type);	/* sorted by type */
		prev_type = e[0];
		switch (e[0]) {
		case 0:
			assert_true(e[3] & 1);
			assert_true(e[1] < n);
			assert_false(cpu_ids & 1ull << e[1]);
			cpu_ids |= 1ull << e[1];
			if (e[3] & 2) {
				assert_int_equal(e[1], 0);
				bsps++;
			}
			c->cpus++;
			break;
		case 1:
			if (e[1] == 0)
				assert_memory_equal(e + 2, "PCI   ", 6);
			else if (e[1] == 1)
				assert_memory_equal(e + 2, "ISA   ", 6);
			else
				fail_msg("bus id %u", e[1]);
			c->buses++;
			break;
		case 2:
			assert_true(e[3] & 1);
			assert_int_equal(le32(e + 4), 0xfec00000);
			assert_int_equal(e[1], n);	/* not a CPU's ID */
			ioapic_id = e[1];
			c->ioapics++;
			break;
		case 3:
			assert_int_equal(e[1], 0);	/* INT */
			assert_int_equal(e[6], ioapic_id);
			assert_true(e[7] < 24);
			if (e[4] == 1) {		/* ISA */
				assert_true(e[5] < 16);
				assert_int_not_equal(e[5], 2);
				isa_seen[e[5]]++;
				assert_int_equal(e[7], e[5] == 0 ? 2 : e[5]);
				if (e[5] == SCI)	/* level, high */
					assert_int_equal(le16(e + 2), 0xd);
				else			/* edge, high */
					assert_int_equal(le16(e + 2) & 0xf, 0);
			} else {			/* PCI */
				unsigned int slot = e[5] >> 2, pin = e[5] & 3;

				assert_int_equal(e[4], 0);
				assert_in_range(slot, 1, 31);
				assert_int_equal(e[7],
						 fw_pci_intx_gsi(slot, pin));
				assert_int_equal(le16(e + 2), 0xf);
				pci_seen[slot][pin]++;
			}
			c->ioints++;
			break;
		case 4:
			assert_int_equal(e[6], 0xff);
			if (e[1] == 3)
				assert_int_equal(e[7], 0);	/* ExtINT */
			else if (e[1] == 1)
				assert_int_equal(e[7], 1);	/* NMI */
			else
				fail_msg("local interrupt type %u", e[1]);
			c->lints++;
			break;
		default:
			fail_msg("MP entry type %u", e[0]);
		}
		e += elen;
	}
	assert_ptr_equal(e, mpc + len);
	assert_int_equal(bsps, 1);
	assert_true(cpu_ids == (n == 64 ? ~0ull : (1ull << n) - 1));
	for (i = 0; i < 16; i++)
		assert_int_equal(isa_seen[i], i == 2 ? 0 : 1);
	for (i = 1; i < 32; i++)
		for (unsigned int pin = 0; pin < 4; pin++)
			assert_int_equal(pci_seen[i][pin], 1);
}

static void build_and_check(unsigned int n)
{
	struct region r = { calloc(1, FW_REGION_SIZE), FW_REGION_GPA,
			    FW_REGION_SIZE };
	struct fw_pc_info info = { .nr_vcpus = n, .pm_base = 0x600,
				   .sci_irq = SCI };
	struct fw_tables t;
	struct mp_counts c;
	unsigned int hits;

	assert_non_null(r.buf);
	assert_int_equal(fw_build_tables(r.buf, r.gpa, r.size, &info, &t), 0);
	assert_int_equal(scan_mpf(&r, &hits), t.mp_gpa);
	assert_int_equal(hits, 1);
	assert_int_equal(t.mp_gpa % 16, 0);
	check_mptable(&r, t.mp_gpa, n, &c);
	assert_int_equal(c.cpus, n);
	assert_int_equal(c.buses, 2);
	assert_int_equal(c.ioapics, 1);
	assert_int_equal(c.ioints, 15 + 31 * 4);
	assert_int_equal(c.lints, 2);
	free(r.buf);
}

static void test_1_vcpu(void **state) { (void)state; build_and_check(1); }
static void test_2_vcpus(void **state) { (void)state; build_and_check(2); }
static void test_64_vcpus(void **state) { (void)state; build_and_check(64); }

/* A stale, valid floating pointer low in the F segment is wiped. */
static void test_stale_pointer_wiped(void **state)
{
	struct region r = { calloc(1, FW_REGION_SIZE), FW_REGION_GPA,
			    FW_REGION_SIZE };
	struct fw_pc_info info = { .nr_vcpus = 2, .pm_base = 0x600,
				   .sci_irq = SCI };
	uint8_t *stale = r.buf + (0xf0000 - FW_REGION_GPA);
	struct fw_tables t;
	unsigned int hits;

	(void)state;
	assert_non_null(r.buf);
	memcpy(stale, "_MP_", 4);
	stale[8] = 1;
	stale[9] = 4;
	stale[10] = -sum(stale, 16);
	assert_int_equal(scan_mpf(&r, &hits), 0xf0000);
	assert_int_equal(fw_build_tables(r.buf, r.gpa, r.size, &info, &t), 0);
	assert_int_equal(scan_mpf(&r, &hits), t.mp_gpa);
	assert_int_equal(hits, 1);
	free(r.buf);
}

static void test_no_room(void **state)
{
	struct fw_pc_info info = { .nr_vcpus = 64, .pm_base = 0x600,
				   .sci_irq = SCI };
	uint8_t *buf = malloc(FW_REGION_SIZE);
	struct fw_tables t;

	(void)state;
	assert_non_null(buf);
	/* Reaches 8 bytes into the F segment: no 16-byte slot there. */
	assert_int_equal(fw_build_tables(buf, 0xe0008, 0x10000, &info, &t),
			 -ENOSPC);
	assert_int_equal(t.mp_gpa, 0);
	/* ACPI fits in 4 KiB below 1 MiB; ACPI + MP for 64 CPUs do not. */
	assert_int_equal(fw_build_tables(buf, 0xff000, 0x1000, &info, &t),
			 -ENOSPC);
	/* Entirely below or above the F segment. */
	assert_int_equal(fw_build_tables(buf, 0xd0000, 0x10000, &info, &t),
			 -EINVAL);
	assert_int_equal(fw_build_tables(buf, 0x100000, 0x10000, &info, &t),
			 -EINVAL);
	free(buf);
}

/* A buffer past 1 MiB: the pointer still lands in the F segment. */
static void test_pointer_below_1m(void **state)
{
	struct region r = { calloc(1, 0x40000), 0xe0000, 0x40000 };
	struct fw_pc_info info = { .nr_vcpus = 4, .pm_base = 0x600,
				   .sci_irq = SCI };
	struct fw_tables t;
	struct mp_counts c;
	unsigned int hits;

	(void)state;
	assert_non_null(r.buf);
	assert_int_equal(fw_build_tables(r.buf, r.gpa, r.size, &info, &t), 0);
	assert_int_equal(t.mp_gpa, 0xffff0);
	assert_int_equal(scan_mpf(&r, &hits), 0xffff0);
	check_mptable(&r, t.mp_gpa, 4, &c);
	free(r.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_1_vcpu),
		cmocka_unit_test(test_2_vcpus),
		cmocka_unit_test(test_64_vcpus),
		cmocka_unit_test(test_stale_pointer_wiped),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_pointer_below_1m),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
