/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Intel MP 1.4 table of the libvmm PC: what a kernel booted with
 * acpi=off uses to find the CPUs, the IOAPIC and the interrupt routing.
 */
#include <errno.h>
#include <string.h>

#include "firmware/firmware.h"
#include "vmm/device.h"

#define MP_SPEC_REV		4	/* 1.4 */
#define MP_LAPIC_VERSION	0x14
#define MP_IOAPIC_VERSION	0x11
#define MP_BUS_PCI		0	/* bus IDs */
#define MP_BUS_ISA		1

struct mp_floating {
	char signature[4];		/*  0: "_MP_" */
	uint32_t config_addr;		/*  4 */
	uint8_t length;			/*  8: in 16-byte units */
	uint8_t spec_rev;		/*  9 */
	uint8_t checksum;		/* 10 */
	uint8_t feature1;		/* 11: 0 = a config table follows */
	uint8_t feature2;		/* 12: bit 7 IMCR; 0 = virtual wire */
	uint8_t feature3[3];		/* 13 */
} __attribute__((packed));
_Static_assert(sizeof(struct mp_floating) == 16, "MP floating pointer");

struct mp_config {
	char signature[4];		/*  0: "PCMP" */
	uint16_t length;		/*  4: header and base entries */
	uint8_t spec_rev;		/*  6 */
	uint8_t checksum;		/*  7 */
	char oem_id[8];			/*  8 */
	char product_id[12];		/* 16 */
	uint32_t oem_table;		/* 28 */
	uint16_t oem_table_size;	/* 32 */
	uint16_t entry_count;		/* 34 */
	uint32_t lapic_addr;		/* 36 */
	uint16_t ext_length;		/* 40 */
	uint8_t ext_checksum;		/* 42 */
	uint8_t reserved;		/* 43 */
} __attribute__((packed));
_Static_assert(sizeof(struct mp_config) == 44, "MP config header");

enum mp_entry_type {
	MP_PROCESSOR = 0,
	MP_BUS = 1,
	MP_IOAPIC = 2,
	MP_IO_INTERRUPT = 3,
	MP_LOCAL_INTERRUPT = 4,
};

struct mp_processor {
	uint8_t type;			/*  0 */
	uint8_t apic_id;		/*  1 */
	uint8_t apic_version;		/*  2 */
	uint8_t flags;			/*  3: bit 0 enabled, bit 1 BSP */
	uint32_t signature;		/*  4: CPUID 1 EAX */
	uint32_t features;		/*  8: CPUID 1 EDX */
	uint32_t reserved[2];		/* 12 */
} __attribute__((packed));
_Static_assert(sizeof(struct mp_processor) == 20, "MP processor");

struct mp_bus {
	uint8_t type;			/* 0 */
	uint8_t bus_id;			/* 1 */
	char bus_type[6];		/* 2: space-padded */
} __attribute__((packed));
_Static_assert(sizeof(struct mp_bus) == 8, "MP bus");

struct mp_ioapic {
	uint8_t type;			/* 0 */
	uint8_t id;			/* 1 */
	uint8_t version;		/* 2 */
	uint8_t flags;			/* 3: bit 0 enabled */
	uint32_t address;		/* 4 */
} __attribute__((packed));
_Static_assert(sizeof(struct mp_ioapic) == 8, "MP IOAPIC");

/* I/O and local interrupt assignments share one layout. */
struct mp_interrupt {
	uint8_t type;			/* 0 */
	uint8_t int_type;		/* 1: MP_INT_* */
	uint16_t flags;			/* 2: polarity 0-1, trigger 2-3 */
	uint8_t src_bus;		/* 4 */
	uint8_t src_irq;		/* 5: PCI: device << 2 | pin */
	uint8_t dst_apic;		/* 6: 0xff = every local APIC */
	uint8_t dst_pin;		/* 7: INTIN# or LINTIN# */
} __attribute__((packed));
_Static_assert(sizeof(struct mp_interrupt) == 8, "MP interrupt");

#define MP_INT_INT		0
#define MP_INT_NMI		1
#define MP_INT_EXTINT		3
#define MP_FLAGS_CONFORM	0x0
#define MP_FLAGS_HIGH_LEVEL	(0x1 | 0x3 << 2)
#define MP_FLAGS_LOW_LEVEL	(0x3 | 0x3 << 2)

#define MP_PCI_SLOTS	(FW_PCI_LAST_SLOT - FW_PCI_FIRST_SLOT + 1)
/* ISA IRQs 0..15 but 2, the cascade. */
#define MP_ISA_IRQS	15
#define MP_NR_ENTRIES(n) \
	((n) + 2 + 1 + MP_ISA_IRQS + 4 * MP_PCI_SLOTS + 2)
#define MP_CONFIG_LEN(n) \
	(sizeof(struct mp_config) + (n) * sizeof(struct mp_processor) + \
	 2 * sizeof(struct mp_bus) + sizeof(struct mp_ioapic) + \
	 (MP_NR_ENTRIES(n) - (n) - 3) * sizeof(struct mp_interrupt))

/* Appends one entry at *p. */
static void mp_put(uint8_t **p, const void *entry, size_t len)
{
	memcpy(*p, entry, len);
	*p += len;
}

static void mp_put_interrupt(uint8_t **p, uint8_t type, uint8_t int_type,
			     uint16_t flags, uint8_t bus, uint8_t irq,
			     uint8_t apic, uint8_t pin)
{
	struct mp_interrupt e = {
		.type = type, .int_type = int_type, .flags = flags,
		.src_bus = bus, .src_irq = irq, .dst_apic = apic,
		.dst_pin = pin,
	};

	mp_put(p, &e, sizeof(e));
}

/* Entries in the order the spec asks: by type. */
static void mp_fill_entries(uint8_t *p, const struct fw_pc_info *info)
{
	struct mp_bus pci = { .type = MP_BUS, .bus_id = MP_BUS_PCI };
	struct mp_bus isa = { .type = MP_BUS, .bus_id = MP_BUS_ISA };
	struct mp_ioapic ioapic = {
		.type = MP_IOAPIC, .id = fw_ioapic_id(info),
		.version = MP_IOAPIC_VERSION, .flags = 1,
		.address = VMM_IOAPIC_ADDR,
	};
	uint8_t apic = fw_ioapic_id(info);
	unsigned int i, slot, pin;

	for (i = 0; i < info->nr_vcpus; i++) {
		struct mp_processor cpu = {
			.type = MP_PROCESSOR, .apic_id = i,
			.apic_version = MP_LAPIC_VERSION,
			.flags = 1 | (i == 0 ? 2 : 0),
			/* Family 6; FPU and on-chip APIC. */
			.signature = 0x600, .features = 0x201,
		};

		mp_put(&p, &cpu, sizeof(cpu));
	}
	memcpy(pci.bus_type, "PCI   ", 6);
	memcpy(isa.bus_type, "ISA   ", 6);
	mp_put(&p, &pci, sizeof(pci));
	mp_put(&p, &isa, sizeof(isa));
	mp_put(&p, &ioapic, sizeof(ioapic));

	for (i = 0; i < 16; i++) {
		if (i == 2)
			continue;
		mp_put_interrupt(&p, MP_IO_INTERRUPT, MP_INT_INT,
				 i == info->sci_irq ? MP_FLAGS_HIGH_LEVEL
						    : MP_FLAGS_CONFORM,
				 MP_BUS_ISA, i, apic, i == 0 ? 2 : i);
	}
	for (slot = FW_PCI_FIRST_SLOT; slot <= FW_PCI_LAST_SLOT; slot++)
		for (pin = 0; pin < 4; pin++)
			mp_put_interrupt(&p, MP_IO_INTERRUPT, MP_INT_INT,
					 MP_FLAGS_LOW_LEVEL, MP_BUS_PCI,
					 slot << 2 | pin, apic,
					 fw_pci_intx_gsi(slot, pin));

	mp_put_interrupt(&p, MP_LOCAL_INTERRUPT, MP_INT_EXTINT,
			 MP_FLAGS_CONFORM, MP_BUS_ISA, 0, 0xff, 0);
	mp_put_interrupt(&p, MP_LOCAL_INTERRUPT, MP_INT_NMI,
			 MP_FLAGS_CONFORM, MP_BUS_ISA, 0, 0xff, 1);
}

int fw_mptable_build(struct fw_buf *b, const struct fw_pc_info *info,
		     uint64_t *mp_gpa, const char **error)
{
	size_t len = MP_CONFIG_LEN(info->nr_vcpus);
	uint64_t config_gpa, end, fp_gpa;
	struct mp_floating *fp;
	struct mp_config *mpc;

	end = b->gpa + b->size;
	if (end > FW_FSEG_END)
		end = FW_FSEG_END;
	if (b->gpa >= FW_FSEG_END || end <= FW_FSEG_START) {
		*error = "the firmware buffer does not reach 0xF0000-0xFFFFF, "
			 "where the MP floating pointer must go";
		return -EINVAL;
	}

	mpc = fw_alloc(b, len, 16, &config_gpa);
	/* The last 16-byte slot of the F segment that lies in the buffer. */
	fp_gpa = (end - sizeof(*fp)) & ~(uint64_t)15;
	if (!mpc || fp_gpa < FW_FSEG_START || fp_gpa < b->gpa + b->used) {
		*error = "the MP table does not fit in the firmware buffer";
		return -ENOSPC;
	}

	memcpy(mpc->signature, "PCMP", 4);
	mpc->length = len;
	mpc->spec_rev = MP_SPEC_REV;
	memcpy(mpc->oem_id, "VHV     ", 8);
	memcpy(mpc->product_id, "VHVPC       ", 12);
	mpc->entry_count = MP_NR_ENTRIES(info->nr_vcpus);
	mpc->lapic_addr = VMM_LAPIC_ADDR;
	mp_fill_entries((uint8_t *)(mpc + 1), info);
	mpc->checksum = fw_checksum(mpc, len);

	fp = (struct mp_floating *)(b->base + (fp_gpa - b->gpa));
	memcpy(fp->signature, "_MP_", 4);
	fp->config_addr = (uint32_t)config_gpa;
	fp->length = 1;
	fp->spec_rev = MP_SPEC_REV;
	fp->checksum = fw_checksum(fp, sizeof(*fp));
	b->used = fp_gpa + sizeof(*fp) - b->gpa;
	*mp_gpa = fp_gpa;
	return 0;
}
