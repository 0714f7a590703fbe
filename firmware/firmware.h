/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest firmware tables of the libvmm PC (ACPI and the MP table), built
 * into a plain buffer that the caller then copies to, or maps at, guest RAM.
 */
#ifndef FIRMWARE_FIRMWARE_H
#define FIRMWARE_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

/* Where libvmm puts the tables: reserved RAM in e820, scanned by Linux. */
#define FW_REGION_GPA		0xe0000ull
#define FW_REGION_SIZE		0x20000ull
/* The BIOS F segment: the only place Linux scans for the MP pointer. */
#define FW_FSEG_START		0xf0000ull
#define FW_FSEG_END		0x100000ull

#define FW_MAX_VCPUS		64
#define FW_IOAPIC_PINS		24
/* PCI slots with INTx routing; slot 0 is the host bridge. */
#define FW_PCI_FIRST_SLOT	1
#define FW_PCI_LAST_SLOT	31

/* Offsets in the ACPI PM register block (port I/O at pm_base). */
#define FW_PM1_EVT_OFF		0x00	/* status (2 bytes), enable (2) */
#define FW_PM1_CNT_OFF		0x04	/* 2 bytes */
#define FW_PM_TMR_OFF		0x08	/* 4 bytes, 32-bit counter */
#define FW_PM_RESET_OFF		0x0c	/* 1 byte: FADT RESET_REG */
#define FW_PM_BLOCK_LEN		0x10
/* What the guest writes to RESET_REG to reset the machine. */
#define FW_PM_RESET_VALUE	0x01
/* SLP_TYP of S5 (soft off) in the DSDT's \_S5 package; S0 is 0. */
#define FW_SLP_TYP_S5		5

struct fw_pc_info {
	unsigned int nr_vcpus;	/* 1 .. FW_MAX_VCPUS; APIC IDs 0 .. n-1 */
	uint16_t pm_base;	/* port of the PM block, FW_PM_BLOCK_LEN long */
	uint8_t sci_irq;	/* ISA IRQ of the SCI (level, active high) */
	/*
	 * The HPET, described by an ACPI HPET table only when the backend
	 * has one (hpet_id != 0): its capabilities register bits 31:0 (the
	 * event timer block ID), its MMIO base and the minimum periodic tick.
	 */
	uint32_t hpet_id;
	uint64_t hpet_addr;
	uint16_t hpet_min_tick;
};

struct fw_tables {
	uint64_t rsdp_gpa;	/* for boot_params.acpi_rsdp_addr */
	uint64_t mp_gpa;	/* the MP floating pointer */
	size_t used;		/* bytes from the start of buf holding tables */
	const char *error;	/* on failure: what was wrong (static text) */
};

/*
 * Writes the ACPI tables (RSDP, XSDT, RSDT, FADT, FACS, MADT, DSDT, and
 * HPET when info->hpet_id is set) and the MP table into buf, which the guest sees at buf_gpa; the whole buffer
 * is cleared first.  The buffer must end below 4 GiB (32-bit pointers) and
 * reach into the F segment (the MP floating pointer goes into its last
 * 16 bytes that lie in buf).  -EINVAL for a bad info or buffer placement,
 * -ENOSPC when the tables do not fit; out->error says which.
 */
int fw_build_tables(void *buf, uint64_t buf_gpa, size_t size,
		    const struct fw_pc_info *info, struct fw_tables *out);

/* The IOAPIC's ID in the MADT and the MP table: the first after the CPUs. */
static inline uint8_t fw_ioapic_id(const struct fw_pc_info *info)
{
	return (uint8_t)info->nr_vcpus;
}

/*
 * The GSI of INTx (pin 0 = INTA .. 3 = INTD) of a device in slot 1..31 of
 * bus 0: level-triggered, active low.  The DSDT's _PRT and the MP table
 * route the same way; a PCI device model raises this GSI.
 */
static inline uint32_t fw_pci_intx_gsi(unsigned int slot, unsigned int pin)
{
	return 16 + (slot + pin) % 4;
}

/* ---- shared by acpi.c and mptable.c only -------------------------------- */

/* A bump allocator over the output buffer. */
struct fw_buf {
	uint8_t *base;
	uint64_t gpa;		/* guest address of base */
	size_t size;
	size_t used;
};

/*
 * len bytes whose guest address is a multiple of align (a power of two),
 * already zero; NULL when they do not fit.
 */
void *fw_alloc(struct fw_buf *b, size_t len, size_t align, uint64_t *gpa);
/* The byte that makes the sum of [p, p + len) plus itself zero. */
uint8_t fw_checksum(const void *p, size_t len);
/*
 * Writes the MP configuration table with the allocator and the floating
 * pointer in the F segment; -ENOSPC / -EINVAL with *error set.
 */
int fw_mptable_build(struct fw_buf *b, const struct fw_pc_info *info,
		     uint64_t *mp_gpa, const char **error);

/* The DSDT's AML, compiled from firmware/dsdt.asl by firmware/firmware.mk. */
extern const unsigned char fw_dsdt_aml[];
extern const size_t fw_dsdt_aml_len;

#endif /* FIRMWARE_FIRMWARE_H */
