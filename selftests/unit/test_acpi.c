/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Unit tests for firmware/acpi.c: the tables read back the way a guest
 * kernel reads them (scan, checksums, offsets from the spec, not acpi.c's
 * structs), the DSDT agrees with acpi_pm and the PCI routing, bad input.
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

#define PM_BASE	0x600
#define SCI	9
#define HPET_ID		0x8086a201u
#define HPET_ADDR	0xfed00000ull
#define HPET_TICK	10000

struct region {
	uint8_t *buf;
	uint64_t gpa;
	size_t size;
};

static struct fw_pc_info pc(unsigned int n)
{
	return (struct fw_pc_info) {
		.nr_vcpus = n, .pm_base = PM_BASE, .sci_irq = SCI,
	};
}

/* The host pointer of [gpa, gpa + len), failing the test if outside. */
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

static uint64_t le64(const uint8_t *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static uint8_t sum(const uint8_t *p, size_t len)
{
	uint8_t s = 0;

	while (len--)
		s += *p++;
	return s;
}

/* As ACPICA: "RSD PTR " on a 16-byte boundary with a valid checksum. */
static uint64_t scan_rsdp(const struct region *r)
{
	uint64_t gpa;

	for (gpa = 0xe0000; gpa < 0x100000; gpa += 16) {
		const uint8_t *p;

		if (gpa < r->gpa || gpa + 36 > r->gpa + r->size)
			continue;
		p = at(r, gpa, 36);
		if (!memcmp(p, "RSD PTR ", 8) && sum(p, 20) == 0)
			return gpa;
	}
	return 0;
}

/* A table at gpa: its whole length in the buffer, the checksum right. */
static const uint8_t *table(const struct region *r, uint64_t gpa,
			    const char *sig)
{
	const uint8_t *h = at(r, gpa, 36);
	uint32_t len = le32(h + 4);

	assert_memory_equal(h, sig, 4);
	assert_true(len >= 36);
	h = at(r, gpa, len);
	assert_int_equal(sum(h, len), 0);
	return h;
}

/* ---- AML, just enough to read the packages the DSDT defines ---------- */

static size_t aml_pkglen(const uint8_t *p, size_t *len)
{
	unsigned int n = p[0] >> 6, i;

	if (!n) {
		*len = p[0] & 0x3f;
		return 1;
	}
	*len = p[0] & 0x0f;
	for (i = 0; i < n; i++)
		*len |= (size_t)p[1 + i] << (4 + 8 * i);
	return 1 + n;
}

static size_t aml_int(const uint8_t *p, uint64_t *v)
{
	switch (p[0]) {
	case 0x00: *v = 0; return 1;
	case 0x01: *v = 1; return 1;
	case 0xff: *v = ~0ull; return 1;
	case 0x0a: *v = p[1]; return 2;
	case 0x0b: *v = le16(p + 1); return 3;
	case 0x0c: *v = le32(p + 1); return 5;
	case 0x0e: *v = le64(p + 1); return 9;
	}
	fail_msg("AML: 0x%02x is not an integer", p[0]);
	return 0;
}

/*
 * Name(name, Package(){...}) in the AML: returns its first element, with
 * the element count and the end of the package.
 */
static const uint8_t *aml_find_package(const uint8_t *aml, size_t len,
				       const char *name, unsigned int *count,
				       const uint8_t **end)
{
	size_t i, plen, hdr;
	const uint8_t *p;

	for (i = 0; i + 7 <= len; i++) {
		if (aml[i] != 0x08 || memcmp(aml + i + 1, name, 4) ||
		    aml[i + 5] != 0x12)
			continue;
		p = aml + i + 6;
		hdr = aml_pkglen(p, &plen);

		assert_true(i + 6 + plen <= len);
		*end = p + plen;
		*count = p[hdr];
		return p + hdr + 1;
	}
	fail_msg("AML: no Name(%s, Package)", name);
	return NULL;
}

static void check_dsdt(const struct region *r, uint64_t gpa)
{
	const uint8_t *d = table(r, gpa, "DSDT");
	uint32_t len = le32(d + 4);
	const uint8_t *p, *end;
	unsigned int count, i, seen[32][4] = { { 0 } };
	uint64_t v;

	assert_int_equal(len, fw_dsdt_aml_len);
	assert_true(d[8] >= 2);		/* 64-bit integers */
	assert_non_null(memmem(d, len, "PCI0", 4));

	/* \_S5: SLP_TYP as devices/acpi_pm.c decodes it. */
	p = aml_find_package(d, len, "_S5_", &count, &end);
	assert_true(count >= 2);
	p += aml_int(p, &v);
	assert_int_equal(v, FW_SLP_TYP_S5);
	aml_int(p, &v);
	assert_int_equal(v, FW_SLP_TYP_S5);
	p = aml_find_package(d, len, "_S0_", &count, &end);
	aml_int(p, &v);
	assert_int_equal(v, 0);

	/* _PRT: every INTx of slots 1..31 once, at fw_pci_intx_gsi(). */
	p = aml_find_package(d, len, "_PRT", &count, &end);
	assert_int_equal(count, 31 * 4);
	for (i = 0; i < count; i++) {
		uint64_t addr, pin, src, gsi;
		size_t plen, hdr;
		const uint8_t *e;

		assert_int_equal(p[0], 0x12);
		hdr = aml_pkglen(p + 1, &plen);
		e = p + 1 + hdr;
		assert_int_equal(*e++, 4);
		e += aml_int(e, &addr);
		e += aml_int(e, &pin);
		e += aml_int(e, &src);
		e += aml_int(e, &gsi);
		assert_ptr_equal(e, p + 1 + plen);
		assert_int_equal(addr & 0xffff, 0xffff);
		assert_in_range(addr >> 16, 1, 31);
		assert_in_range(pin, 0, 3);
		assert_int_equal(src, 0);
		assert_int_equal(gsi, fw_pci_intx_gsi(addr >> 16, pin));
		seen[addr >> 16][pin]++;
		p = e;
	}
	assert_ptr_equal(p, end);
	for (i = 1; i < 32; i++)
		for (unsigned int pin = 0; pin < 4; pin++)
			assert_int_equal(seen[i][pin], 1);
}

static void check_gas_io(const uint8_t *g, unsigned int bits, uint64_t port)
{
	assert_int_equal(g[0], 1);		/* system I/O */
	assert_int_equal(g[1], bits);
	assert_int_equal(g[2], 0);
	assert_int_equal(le64(g + 4), port);
}

static void check_fadt(const struct region *r, const uint8_t *f)
{
	uint32_t flags = le32(f + 112);
	const uint8_t *facs;

	assert_int_equal(le32(f + 4), 276);
	assert_int_equal(f[8], 6);
	/* FACS: 64-byte aligned, both pointers agree. */
	assert_int_equal(le32(f + 36), le64(f + 132));
	assert_int_equal(le32(f + 36) % 64, 0);
	facs = at(r, le32(f + 36), 64);
	assert_memory_equal(facs, "FACS", 4);
	assert_int_equal(le32(facs + 4), 64);
	/* DSDT and X_DSDT: the same table. */
	assert_int_equal(le32(f + 40), le64(f + 140));
	check_dsdt(r, le64(f + 140));

	assert_int_equal(le16(f + 46), SCI);
	assert_int_equal(le32(f + 48), 0);		/* SMI_CMD */
	assert_int_equal(le32(f + 56), PM_BASE + FW_PM1_EVT_OFF);
	assert_int_equal(le32(f + 60), 0);		/* no PM1b */
	assert_int_equal(le32(f + 64), PM_BASE + FW_PM1_CNT_OFF);
	assert_int_equal(le32(f + 76), PM_BASE + FW_PM_TMR_OFF);
	assert_int_equal(le32(f + 80), 0);		/* no GPE0 */
	assert_int_equal(f[88], 4);
	assert_int_equal(f[89], 2);
	assert_int_equal(f[91], 4);
	assert_int_equal(f[92], 0);
	check_gas_io(f + 148, 32, PM_BASE + FW_PM1_EVT_OFF);
	check_gas_io(f + 172, 16, PM_BASE + FW_PM1_CNT_OFF);
	check_gas_io(f + 208, 32, PM_BASE + FW_PM_TMR_OFF);
	assert_int_equal(le64(f + 160), 0);		/* X_PM1b_EVT */

	/* IAPC_BOOT_ARCH: legacy devices and 8042, MSI and ASPM allowed. */
	assert_true(le16(f + 109) & 1);
	assert_true(le16(f + 109) & 2);
	assert_false(le16(f + 109) & (1 << 3));
	assert_false(le16(f + 109) & (1 << 4));
	assert_false(le16(f + 109) & (1 << 5));	/* the RTC is there */

	assert_true(flags & (1 << 0));		/* WBINVD */
	assert_false(flags & (1 << 4));		/* fixed power button */
	assert_true(flags & (1 << 8));		/* 32-bit PM timer */
	assert_true(flags & (1 << 10));		/* RESET_REG_SUP */
	assert_false(flags & (1 << 20));	/* not hardware-reduced */
	check_gas_io(f + 116, 8, PM_BASE + FW_PM_RESET_OFF);
	assert_int_equal(f[128], FW_PM_RESET_VALUE);
}

static void check_madt(const uint8_t *m, unsigned int n)
{
	uint32_t len = le32(m + 4), off;
	uint64_t ids = 0;
	unsigned int lapics = 0, ioapics = 0, nmis = 0;
	bool irq0 = false, sci = false;

	assert_int_equal(le32(m + 36), 0xfee00000);
	assert_true(le32(m + 40) & 1);		/* PCAT_COMPAT */
	for (off = 44; off < len; off += m[off + 1]) {
		const uint8_t *e = m + off;

		assert_true(e[1] >= 2 && off + e[1] <= len);
		switch (e[0]) {
		case 0:
			assert_int_equal(e[1], 8);
			assert_true(le32(e + 4) & 1);
			assert_true(e[3] < n);
			assert_false(ids & 1ull << e[3]);
			ids |= 1ull << e[3];
			lapics++;
			break;
		case 1:
			assert_int_equal(e[1], 12);
			assert_int_equal(e[2], n);	/* after the CPUs */
			assert_int_equal(le32(e + 4), 0xfec00000);
			assert_int_equal(le32(e + 8), 0);
			ioapics++;
			break;
		case 2:
			assert_int_equal(e[1], 10);
			assert_int_equal(e[2], 0);	/* ISA */
			if (e[3] == 0) {
				assert_int_equal(le32(e + 4), 2);
				/* edge or conforming, not active low */
				assert_int_not_equal(le16(e + 8) & 0xc, 0xc);
				assert_int_not_equal(le16(e + 8) & 3, 3);
				irq0 = true;
			} else {
				assert_int_equal(e[3], SCI);
				assert_int_equal(le32(e + 4), SCI);
				/* level, active high */
				assert_int_equal(le16(e + 8), 0xd);
				sci = true;
			}
			break;
		case 4:
			assert_int_equal(e[1], 6);
			assert_int_equal(e[2], 0xff);
			assert_int_equal(e[5], 1);	/* LINT1 */
			nmis++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", e[0]);
		}
	}
	assert_int_equal(off, len);
	assert_int_equal(lapics, n);
	assert_true(ids == (n == 64 ? ~0ull : (1ull << n) - 1));
	assert_int_equal(ioapics, 1);
	assert_int_equal(nmis, 1);
	assert_true(irq0 && sci);
}

static void check_tables_hpet(const struct region *r, const struct fw_tables *t,
			      unsigned int n, bool want_hpet);

/* The HPET table as Linux's acpi_parse_hpet() reads it (HPET spec 1.0a). */
static void check_hpet(const uint8_t *h)
{
	assert_int_equal(le32(h + 4), 56);
	assert_int_equal(h[8], 1);			/* revision */
	assert_int_equal(le32(h + 36), HPET_ID);	/* event timer block ID */
	assert_int_equal(h[40], 0);			/* GAS: system memory */
	assert_int_equal(h[41], 64);			/* bit width */
	assert_int_equal(h[42], 0);			/* bit offset */
	assert_int_equal(le64(h + 44), HPET_ADDR);
	assert_int_equal(h[52], 0);			/* HPET number */
	assert_int_equal(le16(h + 53), HPET_TICK);	/* minimum clock tick */
	assert_int_equal(h[55], 0);			/* page protection */
}

static void check_tables(const struct region *r, const struct fw_tables *t,
			 unsigned int n)
{
	check_tables_hpet(r, t, n, false);
}

static void check_tables_hpet(const struct region *r, const struct fw_tables *t,
			      unsigned int n, bool want_hpet)
{
	uint64_t rsdp_gpa = scan_rsdp(r), xsdt_gpa, rsdt_gpa;
	const uint8_t *rsdp, *xsdt, *rsdt, *fadt = NULL, *madt = NULL, *hpet = NULL;
	unsigned int i, entries;

	assert_int_not_equal(rsdp_gpa, 0);
	assert_int_equal(rsdp_gpa, t->rsdp_gpa);
	rsdp = at(r, rsdp_gpa, 36);
	assert_int_equal(rsdp[15], 2);
	assert_int_equal(le32(rsdp + 20), 36);
	assert_int_equal(sum(rsdp, 36), 0);

	xsdt_gpa = le64(rsdp + 24);
	rsdt_gpa = le32(rsdp + 16);
	xsdt = table(r, xsdt_gpa, "XSDT");
	rsdt = table(r, rsdt_gpa, "RSDT");
	entries = (le32(xsdt + 4) - 36) / 8;
	assert_int_equal(le32(xsdt + 4), 36 + 8 * entries);
	assert_int_equal(le32(rsdt + 4), 36 + 4 * entries);
	for (i = 0; i < entries; i++) {
		uint64_t gpa = le64(xsdt + 36 + 8 * i);
		const uint8_t *h = at(r, gpa, 36);

		assert_int_equal(le32(rsdt + 36 + 4 * i), gpa);
		if (!memcmp(h, "FACP", 4)) {
			assert_null(fadt);
			fadt = table(r, gpa, "FACP");
		} else if (!memcmp(h, "APIC", 4)) {
			assert_null(madt);
			madt = table(r, gpa, "APIC");
		} else if (!memcmp(h, "HPET", 4)) {
			assert_null(hpet);
			hpet = table(r, gpa, "HPET");
		} else {
			fail_msg("unexpected table %.4s in the XSDT", h);
		}
	}
	assert_non_null(fadt);
	assert_non_null(madt);
	check_fadt(r, fadt);
	check_madt(madt, n);
	if (want_hpet) {
		assert_non_null(hpet);
		check_hpet(hpet);
	} else {
		assert_null(hpet);		/* no HPET table for a backend without one */
	}
	assert_true(t->used > 0 && t->used <= r->size);
}

static void build_and_check(unsigned int n)
{
	struct region r = { calloc(1, FW_REGION_SIZE), FW_REGION_GPA,
			    FW_REGION_SIZE };
	struct fw_pc_info info = pc(n);
	struct fw_tables t;

	assert_non_null(r.buf);
	assert_int_equal(fw_build_tables(r.buf, r.gpa, r.size, &info, &t), 0);
	assert_null(t.error);
	check_tables(&r, &t, n);
	free(r.buf);
}

static void test_1_vcpu(void **state) { (void)state; build_and_check(1); }

static struct fw_pc_info pc_hpet(unsigned int n)
{
	struct fw_pc_info info = pc(n);

	info.hpet_id = HPET_ID;
	info.hpet_addr = HPET_ADDR;
	info.hpet_min_tick = HPET_TICK;
	return info;
}

/* With an HPET: the HPET table, listed in both XSDT and RSDT. */
static void test_hpet(void **state)
{
	struct region r = { calloc(1, FW_REGION_SIZE), FW_REGION_GPA,
			    FW_REGION_SIZE };
	struct fw_pc_info info = pc_hpet(2);
	struct fw_tables t;
	size_t size, first_ok = 0;

	(void)state;
	assert_non_null(r.buf);
	assert_int_equal(fw_build_tables(r.buf, r.gpa, r.size, &info, &t), 0);
	assert_null(t.error);
	check_tables_hpet(&r, &t, 2, true);
	free(r.buf);
	/* Too small, at every size: -ENOSPC, nothing written past the end. */
	info = pc_hpet(64);
	for (size = 0x800; size <= 0x4000; size += 8) {
		uint8_t *buf = malloc(size);
		int ret;

		assert_non_null(buf);
		ret = fw_build_tables(buf, 0x100000 - size, size, &info, &t);
		if (ret == 0) {
			struct region r2 = { buf, 0x100000 - size, size };

			if (!first_ok)
				first_ok = size;
			check_tables_hpet(&r2, &t, 64, true);
		} else {
			assert_int_equal(ret, -ENOSPC);
			assert_int_equal(first_ok, 0);
		}
		free(buf);
	}
	assert_true(first_ok > 0x800 && first_ok < 0x4000);
	/* Bad HPET addresses. */
	{
		static uint8_t buf[FW_REGION_SIZE];

		info = pc_hpet(1);
		info.hpet_addr = 0;
		assert_int_equal(fw_build_tables(buf, FW_REGION_GPA, sizeof(buf),
						 &info, &t), -EINVAL);
		assert_non_null(t.error);
		info.hpet_addr = HPET_ADDR + 0x10;
		assert_int_equal(fw_build_tables(buf, FW_REGION_GPA, sizeof(buf),
						 &info, &t), -EINVAL);
		info.hpet_addr = ~0ull & ~0x3ffull;
		assert_int_equal(fw_build_tables(buf, FW_REGION_GPA, sizeof(buf),
						 &info, &t), -EINVAL);
	}
}
static void test_2_vcpus(void **state) { (void)state; build_and_check(2); }
static void test_64_vcpus(void **state) { (void)state; build_and_check(64); }

/* The buffer is cleared first: no byte of earlier contents survives. */
static void test_build_over_garbage(void **state)
{
	struct region r = { malloc(FW_REGION_SIZE), FW_REGION_GPA,
			    FW_REGION_SIZE };
	struct fw_pc_info info = pc(3);
	struct fw_tables t;
	size_t i;

	(void)state;
	assert_non_null(r.buf);
	memset(r.buf, 0xa5, r.size);
	assert_int_equal(fw_build_tables(r.buf, r.gpa, r.size, &info, &t), 0);
	check_tables(&r, &t, 3);
	for (i = 0; i < r.size; i++)
		assert_int_not_equal(r.buf[i], 0xa5);
	free(r.buf);
}

/*
 * Every buffer too small for the tables gets -ENOSPC and is never written
 * past its end (ASan watches the exact-size allocation).  It ends at 1 MiB
 * so the F segment is always covered.
 */
static void test_enospc(void **state)
{
	struct fw_pc_info info = pc(64);
	size_t size, first_ok = 0;
	struct fw_tables t;

	(void)state;
	for (size = 0; size <= 0x4000; size += 8) {
		uint8_t *buf = malloc(size ? size : 1);
		int ret;

		assert_non_null(buf);
		ret = fw_build_tables(buf, 0x100000 - size, size, &info, &t);
		if (ret == 0) {
			struct region r = { buf, 0x100000 - size, size };

			if (!first_ok)
				first_ok = size;
			check_tables(&r, &t, 64);
		} else {
			assert_int_equal(ret, -ENOSPC);
			assert_non_null(t.error);
			assert_int_equal(t.rsdp_gpa, 0);
			/* Once it fits, every larger size fits. */
			assert_int_equal(first_ok, 0);
		}
		free(buf);
	}
	assert_true(first_ok > 0x800 && first_ok < 0x4000);
}

static void test_einval(void **state)
{
	static uint8_t buf[FW_REGION_SIZE];
	struct fw_pc_info info = pc(0);
	struct fw_tables t;

	(void)state;
	assert_int_equal(fw_build_tables(buf, FW_REGION_GPA, sizeof(buf),
					 &info, &t), -EINVAL);
	assert_non_null(t.error);
	info = pc(65);
	assert_int_equal(fw_build_tables(buf, FW_REGION_GPA, sizeof(buf),
					 &info, &t), -EINVAL);
	info = pc(1);
	info.sci_irq = 0;
	assert_int_equal(fw_build_tables(buf, FW_REGION_GPA, sizeof(buf),
					 &info, &t), -EINVAL);
	info.sci_irq = 2;
	assert_int_equal(fw_build_tables(buf, FW_REGION_GPA, sizeof(buf),
					 &info, &t), -EINVAL);
	info.sci_irq = 16;
	assert_int_equal(fw_build_tables(buf, FW_REGION_GPA, sizeof(buf),
					 &info, &t), -EINVAL);
	info = pc(1);
	info.pm_base = 0;
	assert_int_equal(fw_build_tables(buf, FW_REGION_GPA, sizeof(buf),
					 &info, &t), -EINVAL);
	info.pm_base = 0xfff8;
	assert_int_equal(fw_build_tables(buf, FW_REGION_GPA, sizeof(buf),
					 &info, &t), -EINVAL);
	info = pc(1);
	/* 32-bit pointers: the buffer must end below 4 GiB. */
	assert_int_equal(fw_build_tables(buf, 0xfffff000, sizeof(buf),
					 &info, &t), -EINVAL);
	assert_int_equal(fw_build_tables(buf, ~0ull - 16, sizeof(buf),
					 &info, &t), -EINVAL);
	/* No F segment in reach: nowhere for the MP floating pointer. */
	assert_int_equal(fw_build_tables(buf, 0x200000, sizeof(buf),
					 &info, &t), -EINVAL);
	assert_int_equal(t.mp_gpa, 0);
	assert_int_equal(fw_build_tables(NULL, FW_REGION_GPA, sizeof(buf),
					 &info, &t), -EINVAL);
	assert_int_equal(fw_build_tables(buf, FW_REGION_GPA, sizeof(buf),
					 NULL, &t), -EINVAL);
	assert_int_equal(fw_build_tables(buf, FW_REGION_GPA, sizeof(buf),
					 &info, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_1_vcpu),
		cmocka_unit_test(test_hpet),
		cmocka_unit_test(test_2_vcpus),
		cmocka_unit_test(test_64_vcpus),
		cmocka_unit_test(test_build_over_garbage),
		cmocka_unit_test(test_enospc),
		cmocka_unit_test(test_einval),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
