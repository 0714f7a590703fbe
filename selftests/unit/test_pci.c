/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI bus unit tests: config space through ports 0xCF8/0xCFC of a fake I/O
 * bus, BAR sizing and moves, INTx wiring, MSI-X masking and pending bits.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "devices/pci.h"
#include "selftests/unit/fake_vmm.h"

/* What vmm_ram_size() says: MMIO below it is refused (no RAM is behind it). */
#define FAKE_RAM_END	0x10000000ull

static struct fake_range *find_opaque(const void *opaque)
{
	unsigned int i;

	for (i = 0; i < fk.nr_ranges; i++)
		if (fk.r[i].space == VMM_SPACE_MMIO && fk.r[i].opaque == opaque)
			return &fk.r[i];
	return NULL;
}

static uint32_t cfg_addr(unsigned int bus, unsigned int slot,
			 unsigned int fn, unsigned int off)
{
	return 0x80000000u | bus << 16 | slot << 11 | fn << 8 | (off & 0xfc);
}

/* ---- a device with a 64-bit BAR 0, a 32-bit BAR 2 and MSI-X in BAR 4 ----- */

struct test_dev {
	struct pci_device pci;
	uint8_t bar0[0x4000];
	uint8_t bar2[0x100];
};

static void bar_read(void *opaque, uint64_t off, uint8_t *data, uint32_t size)
{
	memcpy(data, (uint8_t *)opaque + off, size);
}

static void bar_write(void *opaque, uint64_t off, const uint8_t *data,
		      uint32_t size)
{
	memcpy((uint8_t *)opaque + off, data, size);
}

static const struct vmm_io_ops bar_ops = { .read = bar_read,
					   .write = bar_write };

static struct pci_bus *bus;
static struct test_dev devs[2];

static void test_dev_init(struct test_dev *d, const char *name, uint16_t id)
{
	pci_device_init(&d->pci, name, 0x1234, id, 0x018000);
	assert_int_equal(pci_device_set_bar(&d->pci, 0, sizeof(d->bar0), true,
					    false, &bar_ops, d->bar0), 0);
	assert_int_equal(pci_device_set_bar(&d->pci, 2, sizeof(d->bar2), false,
					    false, &bar_ops, d->bar2), 0);
	assert_int_equal(pci_msix_init(&d->pci, 4, 3), 0);
}

static int setup(void **state)
{
	(void)state;
	fake_vmm_setup(0);
	fk.ram_size = FAKE_RAM_END;
	assert_int_equal(pci_bus_create(&fake_vm, &bus), 0);
	test_dev_init(&devs[0], "dev0", 0x1001);
	test_dev_init(&devs[1], "dev1", 0x1002);
	assert_int_equal(pci_bus_add(bus, &devs[0].pci), 0);
	assert_int_equal(pci_bus_add(bus, &devs[1].pci), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pci_bus_remove(&devs[1].pci);
	pci_bus_remove(&devs[0].pci);
	pci_device_cleanup(&devs[1].pci);
	pci_device_cleanup(&devs[0].pci);
	fake_vmm_teardown();	/* checks every range was released */
	return 0;
}

/* ---- tests ------------------------------------------------------------- */

static void test_ids_and_class(void **state)
{
	(void)state;
	/* The host bridge: Intel's 440FX PMC, as QEMU's pc and crosvm show it. */
	assert_int_equal(cfg_read(0, 0, 4), 0x12378086);
	assert_int_equal(cfg_read(0, 8, 4) >> 8, 0x060000);
	assert_int_equal(cfg_read(0, 0xc, 4) >> 16 & 0xff, 0);	/* header */
	assert_int_equal(cfg_read(1, 0, 4), 0x10011234);
	assert_int_equal(cfg_read(2, 0, 2), 0x1234);
	assert_int_equal(cfg_read(2, 2, 2), 0x1002);
	assert_int_equal(cfg_read(1, 8, 4) >> 8, 0x018000);
	assert_int_equal(cfg_read(1, 0x2c, 4), 0x10011234);
	assert_int_equal(cfg_read(1, 0x3d, 1), 1);		/* INTA */
	assert_int_equal(cfg_read(1, 0x3c, 1), 16 + 1);		/* slot 1 */
	assert_int_equal(cfg_read(2, 0x3c, 1), 16 + 2);
	/* Capabilities list: status bit and a pointer to MSI-X. */
	assert_true(cfg_read(1, 6, 2) & PCI_STATUS_CAP_LIST);
	assert_int_equal(cfg_read(1, cfg_read(1, 0x34, 1), 1), PCI_CAP_ID_MSIX);
}

static void test_write_masks(void **state)
{
	(void)state;
	cfg_write(1, 0, 0xffffffff, 4);
	assert_int_equal(cfg_read(1, 0, 4), 0x10011234);
	cfg_write(1, 8, 0xffffffff, 4);
	assert_int_equal(cfg_read(1, 8, 4) >> 8, 0x018000);
	cfg_write(1, 0x3c, 0xffff, 2);
	assert_int_equal(cfg_read(1, 0x3c, 1), 0xff);	/* line: writable */
	assert_int_equal(cfg_read(1, 0x3d, 1), 1);	/* pin: read-only */
	/* Command: memory, master, parity, SERR, INTx disable only. */
	cfg_write(1, 4, 0xffff, 2);
	assert_int_equal(cfg_read(1, 4, 2), 0x0546);
	/* Status bits are not writable. */
	cfg_write(1, 6, 0xffff, 2);
	assert_int_equal(cfg_read(1, 6, 2), PCI_STATUS_CAP_LIST);
	/* No expansion ROM: reads 0 after all-ones. */
	cfg_write(1, 0x30, 0xffffffff, 4);
	assert_int_equal(cfg_read(1, 0x30, 4), 0);
	/* Unused BAR 5 stays 0. */
	cfg_write(1, 0x24, 0xffffffff, 4);
	assert_int_equal(cfg_read(1, 0x24, 4), 0);
	/* Capability bytes are read-only except MSI-X enable/mask. */
	cfg_write(1, 0x40, 0xffffffff, 4);
	assert_int_equal(cfg_read(1, 0x40, 4) & 0x3fffffff, 0x00020011);
}

static void test_bar_sizing_and_placement(void **state)
{
	uint32_t lo, hi, b2;

	(void)state;
	lo = cfg_read(1, 0x10, 4);
	hi = cfg_read(1, 0x14, 4);
	b2 = cfg_read(1, 0x18, 4);
	assert_int_equal(lo & 0xf, PCI_BAR_MEM_64);
	assert_int_equal(hi, 0);
	assert_true((lo & ~0xfu) >= VMM_PCI_MMIO_START);
	assert_int_equal(lo & 0x3ff0, 0);		/* natural alignment */
	assert_int_equal(b2 & 0xfff, 0);
	/* Registered where the BARs say, with memory decoding on. */
	assert_true(cfg_read(1, 4, 2) & PCI_CMD_MEMORY);
	assert_non_null(fake_io_find(VMM_SPACE_MMIO, lo & ~0xfu));
	assert_int_equal(fake_io_find(VMM_SPACE_MMIO, lo & ~0xfu)->len, 0x4000);

	/* Size probe with decoding off, as Linux does it. */
	cfg_write(1, 4, 0, 2);
	cfg_write(1, 0x10, 0xffffffff, 4);
	cfg_write(1, 0x14, 0xffffffff, 4);
	cfg_write(1, 0x18, 0xffffffff, 4);
	assert_int_equal(cfg_read(1, 0x10, 4), 0xffffc004);
	assert_int_equal(cfg_read(1, 0x14, 4), 0xffffffff);
	assert_int_equal(cfg_read(1, 0x18, 4), 0xffffff00);
	cfg_write(1, 0x10, lo, 4);
	cfg_write(1, 0x14, hi, 4);
	cfg_write(1, 0x18, b2, 4);
	cfg_write(1, 4, PCI_CMD_MEMORY, 2);
	assert_int_equal(cfg_read(1, 0x10, 4), lo);
	assert_non_null(fake_io_find(VMM_SPACE_MMIO, lo & ~0xfu));
}

static void test_bar_move(void **state)
{
	uint32_t lo = cfg_read(1, 0x10, 4) & ~0xfu;
	uint32_t other = cfg_read(2, 0x10, 4) & ~0xfu;
	uint32_t dest = 0xd0000000;

	(void)state;
	*(uint32_t *)devs[0].bar0 = 0xcafe;
	assert_int_equal(io_read(VMM_SPACE_MMIO, lo, 4), 0xcafe);
	/* Memory decoding off: the BARs leave the bus. */
	cfg_write(1, 4, 0, 2);
	assert_null(fake_io_find(VMM_SPACE_MMIO, lo));
	assert_null(find_opaque(devs[0].bar0));
	assert_null(find_opaque(devs[0].bar2));
	cfg_write(1, 0x10, dest, 4);
	assert_null(fake_io_find(VMM_SPACE_MMIO, dest));
	cfg_write(1, 4, PCI_CMD_MEMORY, 2);
	assert_non_null(fake_io_find(VMM_SPACE_MMIO, dest));
	assert_ptr_equal(fake_io_find(VMM_SPACE_MMIO, dest)->opaque,
			 devs[0].bar0);
	assert_null(fake_io_find(VMM_SPACE_MMIO, lo));
	assert_int_equal(io_read(VMM_SPACE_MMIO, dest + 0, 4), 0xcafe);

	/* Moved while decoding: re-registered at the new place. */
	cfg_write(1, 0x10, dest + 0x10000, 4);
	assert_null(fake_io_find(VMM_SPACE_MMIO, dest));
	assert_non_null(fake_io_find(VMM_SPACE_MMIO, dest + 0x10000));

	/* Onto the other device's BAR: refused quietly, stays unmapped. */
	cfg_write(1, 0x10, other, 4);
	assert_int_equal(cfg_read(1, 0x10, 4) & ~0xfu, other);
	assert_ptr_equal(fake_io_find(VMM_SPACE_MMIO, other)->opaque,
			 devs[1].bar0);
	assert_null(fake_io_find(VMM_SPACE_MMIO, dest + 0x10000));
	/* Onto RAM: refused as well. */
	cfg_write(1, 0x10, 0x1000000, 4);
	assert_null(fake_io_find(VMM_SPACE_MMIO, 0x1000000));
	/* Above 4 GiB through the upper dword. */
	cfg_write(1, 0x10, 0, 4);
	assert_null(find_opaque(devs[0].bar0));
	cfg_write(1, 0x14, 0x1, 4);
	assert_ptr_equal(fake_io_find(VMM_SPACE_MMIO, 0x100000000ull)->opaque,
			 devs[0].bar0);
	cfg_write(1, 0x10, 0x4000, 4);
	assert_null(fake_io_find(VMM_SPACE_MMIO, 0x100000000ull));
	assert_non_null(fake_io_find(VMM_SPACE_MMIO, 0x100004000ull));
	cfg_write(1, 0x14, 0, 4);
	/* The other device moves away: dev0's BAR can now follow. */
	cfg_write(1, 0x10, other, 4);
	assert_null(fake_io_find(VMM_SPACE_MMIO, 0x100004000ull));
	cfg_write(2, 0x10, dest, 4);
	assert_ptr_equal(fake_io_find(VMM_SPACE_MMIO, dest)->opaque,
			 devs[1].bar0);
	assert_ptr_equal(fake_io_find(VMM_SPACE_MMIO, other)->opaque,
			 devs[0].bar0);
}

static void test_absent_and_disabled(void **state)
{
	(void)state;
	assert_int_equal(cfg_read(7, 0, 4), 0xffffffff);
	assert_int_equal(cfg_read(31, 0, 2), 0xffff);
	/* Function 1 of a present device. */
	io_write(VMM_SPACE_PIO, 0xcf8, cfg_addr(0, 1, 1, 0), 4);
	assert_int_equal(io_read(VMM_SPACE_PIO, 0xcfc, 4), 0xffffffff);
	/* Bus 1. */
	io_write(VMM_SPACE_PIO, 0xcf8, cfg_addr(1, 1, 0, 0), 4);
	assert_int_equal(io_read(VMM_SPACE_PIO, 0xcfc, 4), 0xffffffff);
	/* Enable bit clear. */
	io_write(VMM_SPACE_PIO, 0xcf8, 1 << 11, 4);
	assert_int_equal(io_read(VMM_SPACE_PIO, 0xcfc, 4), 0xffffffff);
	io_write(VMM_SPACE_PIO, 0xcfc, 0, 4);
	assert_int_equal(cfg_read(1, 0, 4), 0x10011234);
	/* Writes to an absent slot are dropped without harm. */
	cfg_write(9, 0x10, 0, 4);
	/* CONFIG_ADDRESS reads back; byte accesses do not latch it. */
	io_write(VMM_SPACE_PIO, 0xcf8, 0x80000000, 4);
	assert_int_equal(io_read(VMM_SPACE_PIO, 0xcf8, 4), 0x80000000);
	io_write(VMM_SPACE_PIO, 0xcfb, 0x01, 1);
	io_write(VMM_SPACE_PIO, 0xcf8, 0x00, 1);
	assert_int_equal(io_read(VMM_SPACE_PIO, 0xcf8, 4), 0x80000000);
	assert_int_equal(io_read(VMM_SPACE_PIO, 0xcf8, 1), 0xff);
	/* Reserved low bits are not kept. */
	io_write(VMM_SPACE_PIO, 0xcf8, 0x80000803, 4);
	assert_int_equal(io_read(VMM_SPACE_PIO, 0xcf8, 4), 0x80000800);
}

static void test_misaligned(void **state)
{
	(void)state;
	/* Byte and word reads pick bytes of the selected dword. */
	assert_int_equal(cfg_read(1, 1, 1), 0x12);
	assert_int_equal(cfg_read(1, 3, 1), 0x10);
	io_write(VMM_SPACE_PIO, 0xcf8, cfg_addr(0, 1, 0, 0), 4);
	assert_int_equal(io_read(VMM_SPACE_PIO, 0xcfd, 2), 0x0112);
	/* A word at 0xCFE: the upper half of the dword. */
	assert_int_equal(io_read(VMM_SPACE_PIO, 0xcfe, 2), 0x1001);
	/* A dword straddling CONFIG_ADDRESS and the data port. */
	io_write(VMM_SPACE_PIO, 0xcf8, cfg_addr(0, 1, 0, 0x3c), 4);
	io_write(VMM_SPACE_PIO, 0xcfa, 0xaabbccdd, 4);
	assert_int_equal(cfg_read(1, 0x3c, 1), 0xbb);
	assert_int_equal(io_read(VMM_SPACE_PIO, 0xcfa, 4) & 0xffff, 0xffff);
}

static unsigned int msix_cap(unsigned int slot)
{
	unsigned int p = cfg_read(slot, 0x34, 1);

	while (p && cfg_read(slot, p, 1) != PCI_CAP_ID_MSIX)
		p = cfg_read(slot, p + 1, 1);
	assert_int_not_equal(p, 0);
	return p;
}

static void test_msix(void **state)
{
	unsigned int cap = msix_cap(1);
	uint32_t table = cfg_read(1, cap + 4, 4);
	uint32_t pba = cfg_read(1, cap + 8, 4);
	uint64_t base;

	(void)state;
	assert_int_equal(cfg_read(1, cap + 2, 2), 2);	/* 3 vectors */
	assert_int_equal(table & 7, 4);			/* BIR 4 */
	assert_int_equal(pba & 7, 4);
	base = cfg_read(1, 0x20, 4) & ~0xfu;
	assert_non_null(fake_io_find(VMM_SPACE_MMIO, base));

	/* Not enabled yet. */
	assert_int_equal(pci_msix_notify(&devs[0].pci, 0), -ENODEV);
	assert_false(pci_msix_enabled(&devs[0].pci));

	/* Program vector 1; vectors start masked. */
	base += table & ~7u;
	assert_int_equal(io_read(VMM_SPACE_MMIO, base + 16 + 12, 4), 1);
	io_write(VMM_SPACE_MMIO, base + 16, 0xfee01000, 4);
	io_write(VMM_SPACE_MMIO, base + 16 + 4, 0, 4);
	io_write(VMM_SPACE_MMIO, base + 16 + 8, 0x4041, 4);
	assert_int_equal(io_read(VMM_SPACE_MMIO, base + 16, 8), 0xfee01000);
	cfg_write(1, cap + 2, PCI_MSIX_CTRL_ENABLE, 2);
	assert_true(pci_msix_enabled(&devs[0].pci));
	assert_int_equal(pci_msix_notify(&devs[0].pci, 3), -EINVAL);

	/* Masked: pending bit, no message. */
	assert_int_equal(pci_msix_notify(&devs[0].pci, 1), 0);
	assert_int_equal(fk.nr_msi, 0);
	assert_int_equal(io_read(VMM_SPACE_MMIO, (base & ~0xfffull) +
				 (pba & ~7u), 8), 2);
	/* Unmask: delivered once, pending cleared.  Reserved bits stay 0. */
	io_write(VMM_SPACE_MMIO, base + 16 + 12, 0xfffffffe, 4);
	assert_int_equal(io_read(VMM_SPACE_MMIO, base + 16 + 12, 4), 0);
	assert_int_equal(fk.nr_msi, 1);
	assert_int_equal(fk.msi[0].addr, 0xfee01000);
	assert_int_equal(fk.msi[0].data, 0x4041);
	assert_int_equal(io_read(VMM_SPACE_MMIO, (base & ~0xfffull) +
				 (pba & ~7u), 8), 0);
	/* Unmasked: straight through. */
	assert_int_equal(pci_msix_notify(&devs[0].pci, 1), 0);
	assert_int_equal(fk.nr_msi, 2);

	/* Function mask holds it pending; clearing it delivers. */
	cfg_write(1, cap + 2, PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASK, 2);
	assert_int_equal(pci_msix_notify(&devs[0].pci, 1), 0);
	assert_int_equal(fk.nr_msi, 2);
	cfg_write(1, cap + 2, PCI_MSIX_CTRL_ENABLE, 2);
	assert_int_equal(fk.nr_msi, 3);
	/* The PBA is read-only; writes past the table are dropped. */
	io_write(VMM_SPACE_MMIO, (base & ~0xfffull) + (pba & ~7u), ~0ull, 8);
	assert_int_equal(io_read(VMM_SPACE_MMIO, (base & ~0xfffull) +
				 (pba & ~7u), 8), 0);
	io_write(VMM_SPACE_MMIO, base + 3 * 16, ~0ull, 8);
	assert_int_equal(io_read(VMM_SPACE_MMIO, base + 3 * 16, 8), 0);
	/* Disable: back to -ENODEV. */
	cfg_write(1, cap + 2, 0, 2);
	assert_int_equal(pci_msix_notify(&devs[0].pci, 1), -ENODEV);
}

static void test_intx(void **state)
{
	struct test_dev extra[3];
	unsigned int i;

	(void)state;
	/* Slot 1, INTA -> GSI 17; status shows the interrupt. */
	pci_intx_set(&devs[0].pci, true);
	assert_int_equal(fk.gsi_level[17], 1);
	assert_true(cfg_read(1, 6, 2) & PCI_STATUS_INTERRUPT);
	/* INTx disable drops the line but not the status bit. */
	cfg_write(1, 4, PCI_CMD_MEMORY | PCI_CMD_INTX_DISABLE, 2);
	assert_int_equal(fk.gsi_level[17], 0);
	assert_true(cfg_read(1, 6, 2) & PCI_STATUS_INTERRUPT);
	cfg_write(1, 4, PCI_CMD_MEMORY, 2);
	assert_int_equal(fk.gsi_level[17], 1);
	pci_intx_set(&devs[0].pci, false);
	assert_int_equal(fk.gsi_level[17], 0);
	assert_false(cfg_read(1, 6, 2) & PCI_STATUS_INTERRUPT);

	/* Slots 3, 4, 5: slot 5 shares GSI 17 with slot 1 (wired-OR). */
	for (i = 0; i < 3; i++) {
		test_dev_init(&extra[i], "extra", 0x2000 + i);
		assert_int_equal(pci_bus_add(bus, &extra[i].pci), 0);
	}
	assert_int_equal(extra[2].pci.slot, 5);
	pci_intx_set(&devs[0].pci, true);
	pci_intx_set(&extra[2].pci, true);
	pci_intx_set(&devs[0].pci, false);
	assert_int_equal(fk.gsi_level[17], 1);
	pci_intx_set(&extra[2].pci, false);
	assert_int_equal(fk.gsi_level[17], 0);
	pci_intx_set(&extra[0].pci, true);
	assert_int_equal(fk.gsi_level[16 + 3], 1);
	/* Enabling MSI-X takes the pin away. */
	cfg_write(3, msix_cap(3) + 2, PCI_MSIX_CTRL_ENABLE, 2);
	assert_int_equal(fk.gsi_level[16 + 3], 0);
	/* Removal deasserts. */
	cfg_write(3, msix_cap(3) + 2, 0, 2);
	assert_int_equal(fk.gsi_level[16 + 3], 1);
	for (i = 0; i < 3; i++) {
		pci_bus_remove(&extra[i].pci);
		pci_device_cleanup(&extra[i].pci);
	}
	assert_int_equal(fk.gsi_level[16 + 3], 0);
}

static void test_slots_full_and_bad_bars(void **state)
{
	static struct pci_device many[32];
	struct pci_device d;
	unsigned int i;

	(void)state;
	for (i = 0; i < 29; i++) {
		pci_device_init(&many[i], "many", 0x1234, i, 0);
		assert_int_equal(pci_bus_add(bus, &many[i]), 0);
	}
	pci_device_init(&many[29], "many", 0x1234, 99, 0);
	assert_int_equal(pci_bus_add(bus, &many[29]), -ENOSPC);
	for (i = 0; i < 29; i++)
		pci_bus_remove(&many[i]);

	pci_device_init(&d, "bad", 1, 2, 0);
	assert_int_equal(pci_device_set_bar(&d, 5, 4096, true, false, &bar_ops,
					    NULL), -EINVAL);
	assert_int_equal(pci_device_set_bar(&d, 0, 4095, false, false, &bar_ops,
					    NULL), -EINVAL);
	assert_int_equal(pci_device_set_bar(&d, 0, 4096, true, false, &bar_ops,
					    NULL), 0);
	assert_int_equal(pci_device_set_bar(&d, 1, 4096, false, false, &bar_ops,
					    NULL), -EBUSY);
	/* A BAR bigger than the window: no space. */
	assert_int_equal(pci_device_set_bar(&d, 2, 1ull << 31, false, false,
					    &bar_ops, NULL), 0);
	assert_int_equal(pci_device_set_bar(&d, 3, 1ull << 31, false, false,
					    &bar_ops, NULL), 0);
	assert_int_equal(pci_bus_add(bus, &d), -ENOSPC);
	assert_null(d.bus);
	pci_device_cleanup(&d);
}

static void test_reset_port(void **state)
{
	(void)state;
	io_write(VMM_SPACE_PIO, 0xcf9, 0x02, 1);
	assert_int_equal(fk.stop, VMM_STOP_NONE);
	assert_int_equal(io_read(VMM_SPACE_PIO, 0xcf9, 1), 0x02);
	io_write(VMM_SPACE_PIO, 0xcf9, 0x06, 1);
	assert_int_equal(fk.stop, VMM_STOP_RESET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ids_and_class, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_masks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_sizing_and_placement,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bar_move, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absent_and_disabled, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_misaligned, setup, teardown),
		cmocka_unit_test_setup_teardown(test_msix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_intx, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slots_full_and_bad_bars,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_port, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
