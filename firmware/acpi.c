/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The ACPI tables of the libvmm PC (ACPI 6.0: RSDP, XSDT, RSDT, FADT, FACS,
 * MADT, the DSDT compiled from dsdt.asl, and the HPET table when the
 * backend has an HPET), and fw_build_tables().
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "firmware/firmware.h"
#include "vmm/device.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the tables are written with host-order stores");

/* The same IDs as dsdt.asl's DefinitionBlock. */
#define ACPI_OEM_ID		"VHV"
#define ACPI_OEM_TABLE_ID	"VHVPC"
#define ACPI_CREATOR_ID		"VHV "

struct acpi_rsdp {
	char signature[8];		/*  0: "RSD PTR " */
	uint8_t checksum;		/*  8: over bytes 0..19 */
	char oem_id[6];			/*  9 */
	uint8_t revision;		/* 15: 2 = ACPI 2.0+ */
	uint32_t rsdt_address;		/* 16 */
	uint32_t length;		/* 20: whole structure */
	uint64_t xsdt_address;		/* 24 */
	uint8_t ext_checksum;		/* 32: over all 36 bytes */
	uint8_t reserved[3];		/* 33 */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "RSDP");

struct acpi_header {
	char signature[4];		/*  0 */
	uint32_t length;		/*  4: with the header */
	uint8_t revision;		/*  8 */
	uint8_t checksum;		/*  9: whole table sums to 0 */
	char oem_id[6];			/* 10 */
	char oem_table_id[8];		/* 16 */
	uint32_t oem_revision;		/* 24 */
	char creator_id[4];		/* 28 */
	uint32_t creator_revision;	/* 32 */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_header) == 36, "table header");

/* Generic Address Structure. */
struct acpi_gas {
	uint8_t space_id;		/*  0 */
	uint8_t bit_width;		/*  1 */
	uint8_t bit_offset;		/*  2 */
	uint8_t access_size;		/*  3: 1 byte .. 4 qword */
	uint64_t address;		/*  4 */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS");

#define ACPI_SPACE_MEMORY	0
#define ACPI_SPACE_IO		1
#define ACPI_ACCESS_BYTE	1
#define ACPI_ACCESS_WORD	2
#define ACPI_ACCESS_DWORD	3

struct acpi_fadt {
	struct acpi_header h;		/*   0 */
	uint32_t firmware_ctrl;		/*  36: FACS */
	uint32_t dsdt;			/*  40 */
	uint8_t reserved0;		/*  44 */
	uint8_t pm_profile;		/*  45 */
	uint16_t sci_int;		/*  46 */
	uint32_t smi_cmd;		/*  48 */
	uint8_t acpi_enable;		/*  52 */
	uint8_t acpi_disable;		/*  53 */
	uint8_t s4bios_req;		/*  54 */
	uint8_t pstate_cnt;		/*  55 */
	uint32_t pm1a_evt_blk;		/*  56 */
	uint32_t pm1b_evt_blk;		/*  60 */
	uint32_t pm1a_cnt_blk;		/*  64 */
	uint32_t pm1b_cnt_blk;		/*  68 */
	uint32_t pm2_cnt_blk;		/*  72 */
	uint32_t pm_tmr_blk;		/*  76 */
	uint32_t gpe0_blk;		/*  80 */
	uint32_t gpe1_blk;		/*  84 */
	uint8_t pm1_evt_len;		/*  88 */
	uint8_t pm1_cnt_len;		/*  89 */
	uint8_t pm2_cnt_len;		/*  90 */
	uint8_t pm_tmr_len;		/*  91 */
	uint8_t gpe0_blk_len;		/*  92 */
	uint8_t gpe1_blk_len;		/*  93 */
	uint8_t gpe1_base;		/*  94 */
	uint8_t cst_cnt;		/*  95 */
	uint16_t p_lvl2_lat;		/*  96 */
	uint16_t p_lvl3_lat;		/*  98 */
	uint16_t flush_size;		/* 100 */
	uint16_t flush_stride;		/* 102 */
	uint8_t duty_offset;		/* 104 */
	uint8_t duty_width;		/* 105 */
	uint8_t day_alrm;		/* 106 */
	uint8_t mon_alrm;		/* 107 */
	uint8_t century;		/* 108 */
	uint16_t iapc_boot_arch;	/* 109 */
	uint8_t reserved1;		/* 111 */
	uint32_t flags;			/* 112 */
	struct acpi_gas reset_reg;	/* 116 */
	uint8_t reset_value;		/* 128 */
	uint16_t arm_boot_arch;		/* 129 */
	uint8_t minor_version;		/* 131 */
	uint64_t x_firmware_ctrl;	/* 132 */
	uint64_t x_dsdt;		/* 140 */
	struct acpi_gas x_pm1a_evt_blk;	/* 148 */
	struct acpi_gas x_pm1b_evt_blk;	/* 160 */
	struct acpi_gas x_pm1a_cnt_blk;	/* 172 */
	struct acpi_gas x_pm1b_cnt_blk;	/* 184 */
	struct acpi_gas x_pm2_cnt_blk;	/* 196 */
	struct acpi_gas x_pm_tmr_blk;	/* 208 */
	struct acpi_gas x_gpe0_blk;	/* 220 */
	struct acpi_gas x_gpe1_blk;	/* 232 */
	struct acpi_gas sleep_control;	/* 244 */
	struct acpi_gas sleep_status;	/* 256 */
	uint64_t hypervisor_id;		/* 268 */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT rev 6");
_Static_assert(offsetof(struct acpi_fadt, sci_int) == 46, "FADT");
_Static_assert(offsetof(struct acpi_fadt, pm_tmr_blk) == 76, "FADT");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT");
_Static_assert(offsetof(struct acpi_fadt, x_pm_tmr_blk) == 208, "FADT");
_Static_assert(offsetof(struct acpi_fadt, hypervisor_id) == 268, "FADT");

/* FADT flags. */
#define FADT_WBINVD		(1u << 0)
#define FADT_PROC_C1		(1u << 2)
#define FADT_SLP_BUTTON		(1u << 5)	/* no fixed sleep button */
#define FADT_FIX_RTC		(1u << 6)	/* no RTC_STS wake */
#define FADT_TMR_VAL_EXT	(1u << 8)	/* 32-bit PM timer */
#define FADT_RESET_REG_SUP	(1u << 10)
/* IAPC_BOOT_ARCH. */
#define FADT_LEGACY_DEVICES	(1u << 0)
#define FADT_8042		(1u << 1)
#define FADT_VGA_NOT_PRESENT	(1u << 2)

struct acpi_facs {
	char signature[4];		/*  0: "FACS" */
	uint32_t length;		/*  4: 64 */
	uint32_t hw_signature;		/*  8 */
	uint32_t waking_vector;		/* 12 */
	uint32_t global_lock;		/* 16 */
	uint32_t flags;			/* 20 */
	uint64_t x_waking_vector;	/* 24 */
	uint8_t version;		/* 32 */
	uint8_t reserved0[3];		/* 33 */
	uint32_t ospm_flags;		/* 36 */
	uint8_t reserved1[24];		/* 40 */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS");

struct acpi_madt {
	struct acpi_header h;		/*  0 */
	uint32_t lapic_addr;		/* 36 */
	uint32_t flags;			/* 40 */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT");

#define MADT_PCAT_COMPAT	(1u << 0)	/* 8259 pair present */

struct madt_lapic {
	uint8_t type;			/* 0: 0 */
	uint8_t length;			/* 1: 8 */
	uint8_t uid;			/* 2: ACPI processor UID */
	uint8_t apic_id;		/* 3 */
	uint32_t flags;			/* 4: bit 0 enabled */
} __attribute__((packed));
_Static_assert(sizeof(struct madt_lapic) == 8, "MADT LAPIC");

struct madt_ioapic {
	uint8_t type;			/* 0: 1 */
	uint8_t length;			/* 1: 12 */
	uint8_t id;			/* 2 */
	uint8_t reserved;		/* 3 */
	uint32_t address;		/* 4 */
	uint32_t gsi_base;		/* 8 */
} __attribute__((packed));
_Static_assert(sizeof(struct madt_ioapic) == 12, "MADT IOAPIC");

struct madt_iso {
	uint8_t type;			/* 0: 2 */
	uint8_t length;			/* 1: 10 */
	uint8_t bus;			/* 2: 0 = ISA */
	uint8_t source;			/* 3: ISA IRQ */
	uint32_t gsi;			/* 4 */
	uint16_t flags;			/* 8: MPS INTI flags */
} __attribute__((packed));
_Static_assert(sizeof(struct madt_iso) == 10, "MADT override");

struct madt_lapic_nmi {
	uint8_t type;			/* 0: 4 */
	uint8_t length;			/* 1: 6 */
	uint8_t uid;			/* 2: 0xff = all processors */
	uint16_t flags;			/* 3: MPS INTI flags */
	uint8_t lint;			/* 5 */
} __attribute__((packed));
_Static_assert(sizeof(struct madt_lapic_nmi) == 6, "MADT LAPIC NMI");

/* MPS INTI flags: polarity in bits 0-1, trigger mode in bits 2-3. */
#define INTI_ACTIVE_HIGH	0x1
#define INTI_EDGE		(0x1 << 2)
#define INTI_LEVEL		(0x3 << 2)

/* IA-PC HPET specification 1.0a, table 3. */
struct acpi_hpet {
	struct acpi_header h;		/*  0: "HPET", revision 1 */
	uint32_t block_id;		/* 36: capabilities register bits 31:0 */
	struct acpi_gas address;	/* 40: system memory */
	uint8_t number;			/* 52: HPET sequence number */
	uint16_t min_tick;		/* 53: minimum periodic clock tick */
	uint8_t page_protection;	/* 55: 0: no guarantee */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_hpet) == 56, "HPET");
_Static_assert(offsetof(struct acpi_hpet, address) == 40, "HPET");
_Static_assert(offsetof(struct acpi_hpet, min_tick) == 53, "HPET");

#define MADT_LEN(n) \
	(sizeof(struct acpi_madt) + (n) * sizeof(struct madt_lapic) + \
	 sizeof(struct madt_ioapic) + 2 * sizeof(struct madt_iso) + \
	 sizeof(struct madt_lapic_nmi))

/* The most tables an XSDT/RSDT lists; the FADT points at the DSDT and FACS. */
#define ACPI_MAX_LISTED		3

void *fw_alloc(struct fw_buf *b, size_t len, size_t align, uint64_t *gpa)
{
	uint64_t start = b->gpa + b->used;
	uint64_t aligned = (start + align - 1) & ~(uint64_t)(align - 1);
	uint64_t off = aligned - b->gpa;

	if (off > b->size || len > b->size - off)
		return NULL;
	b->used = off + len;
	*gpa = aligned;
	return b->base + off;
}

uint8_t fw_checksum(const void *p, size_t len)
{
	const uint8_t *bytes = p;
	uint8_t sum = 0;

	while (len--)
		sum += *bytes++;
	return (uint8_t)-sum;
}

/* Copies a name into a fixed, unterminated field, zero-padded (as iasl). */
static void acpi_name(char *field, size_t len, const char *name)
{
	strncpy(field, name, len);
}

static void acpi_header_fill(struct acpi_header *h, const char *sig,
			     uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	acpi_name(h->oem_id, sizeof(h->oem_id), ACPI_OEM_ID);
	acpi_name(h->oem_table_id, sizeof(h->oem_table_id), ACPI_OEM_TABLE_ID);
	h->oem_revision = 1;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = 1;
}

/* Seals a table whose body is written: its checksum must come last. */
static void acpi_header_seal(struct acpi_header *h)
{
	h->checksum = 0;
	h->checksum = fw_checksum(h, h->length);
}

static struct acpi_gas acpi_io_gas(uint16_t port, uint8_t bytes,
				   uint8_t access)
{
	return (struct acpi_gas) {
		.space_id = ACPI_SPACE_IO,
		.bit_width = bytes * 8,
		.access_size = access,
		.address = port,
	};
}

static void acpi_fill_fadt(struct acpi_fadt *f, const struct fw_pc_info *info,
			   uint64_t facs_gpa, uint64_t dsdt_gpa)
{
	uint16_t pm = info->pm_base;

	acpi_header_fill(&f->h, "FACP", sizeof(*f), 6);
	f->minor_version = 0;				/* ACPI 6.0 */
	f->firmware_ctrl = (uint32_t)facs_gpa;
	f->x_firmware_ctrl = facs_gpa;
	f->dsdt = (uint32_t)dsdt_gpa;
	f->x_dsdt = dsdt_gpa;
	f->sci_int = info->sci_irq;
	/* SMI_CMD 0: no SMM, the machine is in ACPI mode from reset. */
	f->smi_cmd = 0;

	f->pm1a_evt_blk = pm + FW_PM1_EVT_OFF;
	f->pm1a_cnt_blk = pm + FW_PM1_CNT_OFF;
	f->pm_tmr_blk = pm + FW_PM_TMR_OFF;
	f->pm1_evt_len = 4;
	f->pm1_cnt_len = 2;
	f->pm_tmr_len = 4;
	/* The X_ blocks repeat the same ports: ACPICA warns on mismatch. */
	f->x_pm1a_evt_blk = acpi_io_gas(pm + FW_PM1_EVT_OFF, 4,
					ACPI_ACCESS_WORD);
	f->x_pm1a_cnt_blk = acpi_io_gas(pm + FW_PM1_CNT_OFF, 2,
					ACPI_ACCESS_WORD);
	f->x_pm_tmr_blk = acpi_io_gas(pm + FW_PM_TMR_OFF, 4,
				      ACPI_ACCESS_DWORD);

	/* No C2/C3: latencies above 100/1000 us say so. */
	f->p_lvl2_lat = 101;
	f->p_lvl3_lat = 1001;
	/* CENTURY 0: the RTC model need not keep a century byte. */
	f->century = 0;
	/* No VGA in this machine; MSI works; the OS may drive ASPM. */
	f->iapc_boot_arch = FADT_LEGACY_DEVICES | FADT_8042 |
			    FADT_VGA_NOT_PRESENT;
	/*
	 * PWR_BUTTON clear: the power button is the fixed-feature one
	 * (PWRBTN_STS/EN in PM1, acpi_pm_power_button()).  No sleep button.
	 */
	f->flags = FADT_WBINVD | FADT_PROC_C1 | FADT_SLP_BUTTON |
		   FADT_FIX_RTC | FADT_TMR_VAL_EXT | FADT_RESET_REG_SUP;
	f->reset_reg = acpi_io_gas(pm + FW_PM_RESET_OFF, 1, ACPI_ACCESS_BYTE);
	f->reset_value = FW_PM_RESET_VALUE;
	acpi_header_seal(&f->h);
}

static void acpi_fill_hpet(struct acpi_hpet *t, const struct fw_pc_info *info)
{
	acpi_header_fill(&t->h, "HPET", sizeof(*t), 1);
	t->block_id = info->hpet_id;
	t->address = (struct acpi_gas) {
		.space_id = ACPI_SPACE_MEMORY,
		.bit_width = 64,
		.address = info->hpet_addr,
	};
	t->number = 0;
	t->min_tick = info->hpet_min_tick;
	/* The 1 KiB block is all the HPET decodes: no page guarantee. */
	t->page_protection = 0;
	acpi_header_seal(&t->h);
}

static void acpi_fill_madt(struct acpi_madt *m, const struct fw_pc_info *info)
{
	struct madt_ioapic io = {
		.type = 1, .length = sizeof(io), .id = fw_ioapic_id(info),
		.address = VMM_IOAPIC_ADDR, .gsi_base = 0,
	};
	/* The PIT's IRQ 0 arrives on pin 2, as on most PCs. */
	struct madt_iso timer = {
		.type = 2, .length = sizeof(timer), .bus = 0, .source = 0,
		.gsi = 2, .flags = INTI_ACTIVE_HIGH | INTI_EDGE,
	};
	/* Without it Linux would take the SCI as level, active low. */
	struct madt_iso sci = {
		.type = 2, .length = sizeof(sci), .bus = 0,
		.source = info->sci_irq, .gsi = info->sci_irq,
		.flags = INTI_ACTIVE_HIGH | INTI_LEVEL,
	};
	struct madt_lapic_nmi nmi = {
		.type = 4, .length = sizeof(nmi), .uid = 0xff,
		.flags = INTI_ACTIVE_HIGH | INTI_EDGE, .lint = 1,
	};
	uint8_t *p = (uint8_t *)(m + 1);
	unsigned int i;

	acpi_header_fill(&m->h, "APIC", MADT_LEN(info->nr_vcpus), 4);
	m->lapic_addr = VMM_LAPIC_ADDR;
	m->flags = MADT_PCAT_COMPAT;

	for (i = 0; i < info->nr_vcpus; i++) {
		struct madt_lapic l = {
			.type = 0, .length = sizeof(l),
			.uid = i, .apic_id = i, .flags = 1,
		};

		memcpy(p, &l, sizeof(l));
		p += sizeof(l);
	}
	memcpy(p, &io, sizeof(io));
	p += sizeof(io);
	memcpy(p, &timer, sizeof(timer));
	p += sizeof(timer);
	memcpy(p, &sci, sizeof(sci));
	p += sizeof(sci);
	memcpy(p, &nmi, sizeof(nmi));

	acpi_header_seal(&m->h);
}

/* Writes every ACPI table; the RSDP first so a scan from 0xE0000 meets it. */
static int acpi_build(struct fw_buf *b, const struct fw_pc_info *info,
		      uint64_t *rsdp_gpa, const char **error)
{
	uint64_t facs_gpa, dsdt_gpa, fadt_gpa, madt_gpa, xsdt_gpa, rsdt_gpa;
	uint64_t hpet_gpa = 0, listed[ACPI_MAX_LISTED];
	unsigned int nr_listed = info->hpet_id ? 3 : 2;
	struct acpi_header *xsdt, *rsdt;
	struct acpi_hpet *hpet = NULL;
	struct acpi_rsdp *rsdp;
	struct acpi_facs *facs;
	struct acpi_fadt *fadt;
	struct acpi_madt *madt;
	uint8_t *dsdt;
	unsigned int i;

	rsdp = fw_alloc(b, sizeof(*rsdp), 16, rsdp_gpa);
	facs = rsdp ? fw_alloc(b, sizeof(*facs), 64, &facs_gpa) : NULL;
	dsdt = facs ? fw_alloc(b, fw_dsdt_aml_len, 16, &dsdt_gpa) : NULL;
	fadt = dsdt ? fw_alloc(b, sizeof(*fadt), 16, &fadt_gpa) : NULL;
	madt = fadt ? fw_alloc(b, MADT_LEN(info->nr_vcpus), 16, &madt_gpa)
		    : NULL;
	if (madt && info->hpet_id)
		hpet = fw_alloc(b, sizeof(*hpet), 16, &hpet_gpa);
	xsdt = madt && (hpet || !info->hpet_id) ?
	       fw_alloc(b, sizeof(*xsdt) + 8 * nr_listed, 16, &xsdt_gpa) : NULL;
	rsdt = xsdt ? fw_alloc(b, sizeof(*rsdt) + 4 * nr_listed, 16,
			       &rsdt_gpa) : NULL;
	if (!rsdt) {
		*error = "the ACPI tables do not fit in the firmware buffer";
		return -ENOSPC;
	}

	memcpy(facs->signature, "FACS", 4);
	facs->length = sizeof(*facs);
	facs->version = 2;

	/* iasl checksummed it; it goes in unchanged. */
	memcpy(dsdt, fw_dsdt_aml, fw_dsdt_aml_len);

	acpi_fill_fadt(fadt, info, facs_gpa, dsdt_gpa);
	acpi_fill_madt(madt, info);
	if (hpet)
		acpi_fill_hpet(hpet, info);

	listed[0] = fadt_gpa;
	listed[1] = madt_gpa;
	listed[2] = hpet_gpa;
	acpi_header_fill(xsdt, "XSDT", sizeof(*xsdt) + 8 * nr_listed, 1);
	acpi_header_fill(rsdt, "RSDT", sizeof(*rsdt) + 4 * nr_listed, 1);
	for (i = 0; i < nr_listed; i++) {
		uint32_t low = (uint32_t)listed[i];

		memcpy((uint8_t *)(xsdt + 1) + 8 * i, &listed[i], 8);
		memcpy((uint8_t *)(rsdt + 1) + 4 * i, &low, 4);
	}
	acpi_header_seal(xsdt);
	acpi_header_seal(rsdt);

	memcpy(rsdp->signature, "RSD PTR ", 8);
	acpi_name(rsdp->oem_id, sizeof(rsdp->oem_id), ACPI_OEM_ID);
	rsdp->revision = 2;
	rsdp->rsdt_address = (uint32_t)rsdt_gpa;
	rsdp->length = sizeof(*rsdp);
	rsdp->xsdt_address = xsdt_gpa;
	rsdp->checksum = fw_checksum(rsdp, 20);
	rsdp->ext_checksum = fw_checksum(rsdp, sizeof(*rsdp));
	return 0;
}

static int fw_check_args(const void *buf, uint64_t buf_gpa, size_t size,
			 const struct fw_pc_info *info, const char **error)
{
	if (!buf || !info) {
		*error = "no buffer or no machine description";
		return -EINVAL;
	}
	if (info->nr_vcpus == 0 || info->nr_vcpus > FW_MAX_VCPUS) {
		*error = "nr_vcpus must be 1..64";
		return -EINVAL;
	}
	/* The RSDT, FADT and MP table hold 32-bit addresses. */
	if (buf_gpa >= 1ull << 32 || size > (1ull << 32) - buf_gpa) {
		*error = "the firmware buffer must lie below 4 GiB";
		return -EINVAL;
	}
	/* IRQ 0 is the timer (moved to GSI 2), IRQ 2 the PIC cascade. */
	if (info->sci_irq == 0 || info->sci_irq == 2 || info->sci_irq > 15) {
		*error = "the SCI must be ISA IRQ 1, 3..15";
		return -EINVAL;
	}
	if (info->pm_base == 0 ||
	    info->pm_base > 0x10000 - FW_PM_BLOCK_LEN) {
		*error = "the PM register block must lie in ports 1..0xffff";
		return -EINVAL;
	}
	/* An HPET needs an address; the 1 KiB block must not wrap. */
	if (info->hpet_id && (info->hpet_addr == 0 || info->hpet_addr & 0x3ff ||
			      info->hpet_addr > ~0ull - 0x400)) {
		*error = "the HPET needs a 1 KiB aligned, non-zero address";
		return -EINVAL;
	}
	return 0;
}

int fw_build_tables(void *buf, uint64_t buf_gpa, size_t size,
		    const struct fw_pc_info *info, struct fw_tables *out)
{
	struct fw_buf b = {
		.base = buf, .gpa = buf_gpa, .size = size, .used = 0,
	};
	int ret;

	if (!out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	ret = fw_check_args(buf, buf_gpa, size, info, &out->error);
	if (ret)
		return ret;

	/* Stale signatures from an earlier build must not be found. */
	memset(buf, 0, size);
	ret = acpi_build(&b, info, &out->rsdp_gpa, &out->error);
	if (!ret)
		ret = fw_mptable_build(&b, info, &out->mp_gpa, &out->error);
	if (ret) {
		out->rsdp_gpa = 0;
		out->mp_gpa = 0;
		return ret;
	}
	out->used = b.used;
	return 0;
}
