// SPDX-License-Identifier: GPL-2.0
/*
 * The libvmm PC's DSDT, compiled at build time by iasl: the PCI host bridge
 * with its INTx routing, the legacy ISA devices and the sleep states.  It
 * is static on purpose: the CPUs are listed only in the MADT, the PM
 * register block only in the FADT.
 */
DefinitionBlock ("", "DSDT", 2, "VHV", "VHVPC", 1)
{
	Scope (\_SB)
	{
		/*
		 * Conventional PCI host bridge (PNP0A03, not PNP0A08): the only
		 * config mechanism is type 1 at 0xCF8, there is no ECAM/MCFG.
		 */
		Device (PCI0)
		{
			Name (_HID, EisaId ("PNP0A03"))
			Name (_UID, Zero)
			Name (_SEG, Zero)
			Name (_BBN, Zero)
			Name (_CRS, ResourceTemplate ()
			{
				WordBusNumber (ResourceProducer, MinFixed, MaxFixed,
					PosDecode, 0x0000, 0x0000, 0x00FF, 0x0000,
					0x0100)
				/* The config ports themselves, consumed here. */
				IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08)
				WordIO (ResourceProducer, MinFixed, MaxFixed,
					PosDecode, EntireRange, 0x0000, 0x0000,
					0x0CF7, 0x0000, 0x0CF8)
				WordIO (ResourceProducer, MinFixed, MaxFixed,
					PosDecode, EntireRange, 0x0000, 0x0D00,
					0xFFFF, 0x0000, 0xF300)
				/* 32-bit BARs: VMM_PCI_MMIO_START..END. */
				DWordMemory (ResourceProducer, PosDecode,
					MinFixed, MaxFixed, NonCacheable, ReadWrite,
					0x00000000, 0xC0000000, 0xFEBFFFFF,
					0x00000000, 0x3EC00000)
			})

			/*
			 * INTA..INTD of slot s -> GSI 16 + ((s + pin) % 4),
			 * level, active low (the default for a GSI given
			 * directly, Source = Zero).  firmware.h's
			 * fw_pci_intx_gsi() and the MP table say the same;
			 * test_acpi compares them.
			 */
			Name (_PRT, Package ()
			{
			Package () { 0x0001FFFF, 0, Zero, 17 },
			Package () { 0x0001FFFF, 1, Zero, 18 },
			Package () { 0x0001FFFF, 2, Zero, 19 },
			Package () { 0x0001FFFF, 3, Zero, 16 },
			Package () { 0x0002FFFF, 0, Zero, 18 },
			Package () { 0x0002FFFF, 1, Zero, 19 },
			Package () { 0x0002FFFF, 2, Zero, 16 },
			Package () { 0x0002FFFF, 3, Zero, 17 },
			Package () { 0x0003FFFF, 0, Zero, 19 },
			Package () { 0x0003FFFF, 1, Zero, 16 },
			Package () { 0x0003FFFF, 2, Zero, 17 },
			Package () { 0x0003FFFF, 3, Zero, 18 },
			Package () { 0x0004FFFF, 0, Zero, 16 },
			Package () { 0x0004FFFF, 1, Zero, 17 },
			Package () { 0x0004FFFF, 2, Zero, 18 },
			Package () { 0x0004FFFF, 3, Zero, 19 },
			Package () { 0x0005FFFF, 0, Zero, 17 },
			Package () { 0x0005FFFF, 1, Zero, 18 },
			Package () { 0x0005FFFF, 2, Zero, 19 },
			Package () { 0x0005FFFF, 3, Zero, 16 },
			Package () { 0x0006FFFF, 0, Zero, 18 },
			Package () { 0x0006FFFF, 1, Zero, 19 },
			Package () { 0x0006FFFF, 2, Zero, 16 },
			Package () { 0x0006FFFF, 3, Zero, 17 },
			Package () { 0x0007FFFF, 0, Zero, 19 },
			Package () { 0x0007FFFF, 1, Zero, 16 },
			Package () { 0x0007FFFF, 2, Zero, 17 },
			Package () { 0x0007FFFF, 3, Zero, 18 },
			Package () { 0x0008FFFF, 0, Zero, 16 },
			Package () { 0x0008FFFF, 1, Zero, 17 },
			Package () { 0x0008FFFF, 2, Zero, 18 },
			Package () { 0x0008FFFF, 3, Zero, 19 },
			Package () { 0x0009FFFF, 0, Zero, 17 },
			Package () { 0x0009FFFF, 1, Zero, 18 },
			Package () { 0x0009FFFF, 2, Zero, 19 },
			Package () { 0x0009FFFF, 3, Zero, 16 },
			Package () { 0x000AFFFF, 0, Zero, 18 },
			Package () { 0x000AFFFF, 1, Zero, 19 },
			Package () { 0x000AFFFF, 2, Zero, 16 },
			Package () { 0x000AFFFF, 3, Zero, 17 },
			Package () { 0x000BFFFF, 0, Zero, 19 },
			Package () { 0x000BFFFF, 1, Zero, 16 },
			Package () { 0x000BFFFF, 2, Zero, 17 },
			Package () { 0x000BFFFF, 3, Zero, 18 },
			Package () { 0x000CFFFF, 0, Zero, 16 },
			Package () { 0x000CFFFF, 1, Zero, 17 },
			Package () { 0x000CFFFF, 2, Zero, 18 },
			Package () { 0x000CFFFF, 3, Zero, 19 },
			Package () { 0x000DFFFF, 0, Zero, 17 },
			Package () { 0x000DFFFF, 1, Zero, 18 },
			Package () { 0x000DFFFF, 2, Zero, 19 },
			Package () { 0x000DFFFF, 3, Zero, 16 },
			Package () { 0x000EFFFF, 0, Zero, 18 },
			Package () { 0x000EFFFF, 1, Zero, 19 },
			Package () { 0x000EFFFF, 2, Zero, 16 },
			Package () { 0x000EFFFF, 3, Zero, 17 },
			Package () { 0x000FFFFF, 0, Zero, 19 },
			Package () { 0x000FFFFF, 1, Zero, 16 },
			Package () { 0x000FFFFF, 2, Zero, 17 },
			Package () { 0x000FFFFF, 3, Zero, 18 },
			Package () { 0x0010FFFF, 0, Zero, 16 },
			Package () { 0x0010FFFF, 1, Zero, 17 },
			Package () { 0x0010FFFF, 2, Zero, 18 },
			Package () { 0x0010FFFF, 3, Zero, 19 },
			Package () { 0x0011FFFF, 0, Zero, 17 },
			Package () { 0x0011FFFF, 1, Zero, 18 },
			Package () { 0x0011FFFF, 2, Zero, 19 },
			Package () { 0x0011FFFF, 3, Zero, 16 },
			Package () { 0x0012FFFF, 0, Zero, 18 },
			Package () { 0x0012FFFF, 1, Zero, 19 },
			Package () { 0x0012FFFF, 2, Zero, 16 },
			Package () { 0x0012FFFF, 3, Zero, 17 },
			Package () { 0x0013FFFF, 0, Zero, 19 },
			Package () { 0x0013FFFF, 1, Zero, 16 },
			Package () { 0x0013FFFF, 2, Zero, 17 },
			Package () { 0x0013FFFF, 3, Zero, 18 },
			Package () { 0x0014FFFF, 0, Zero, 16 },
			Package () { 0x0014FFFF, 1, Zero, 17 },
			Package () { 0x0014FFFF, 2, Zero, 18 },
			Package () { 0x0014FFFF, 3, Zero, 19 },
			Package () { 0x0015FFFF, 0, Zero, 17 },
			Package () { 0x0015FFFF, 1, Zero, 18 },
			Package () { 0x0015FFFF, 2, Zero, 19 },
			Package () { 0x0015FFFF, 3, Zero, 16 },
			Package () { 0x0016FFFF, 0, Zero, 18 },
			Package () { 0x0016FFFF, 1, Zero, 19 },
			Package () { 0x0016FFFF, 2, Zero, 16 },
			Package () { 0x0016FFFF, 3, Zero, 17 },
			Package () { 0x0017FFFF, 0, Zero, 19 },
			Package () { 0x0017FFFF, 1, Zero, 16 },
			Package () { 0x0017FFFF, 2, Zero, 17 },
			Package () { 0x0017FFFF, 3, Zero, 18 },
			Package () { 0x0018FFFF, 0, Zero, 16 },
			Package () { 0x0018FFFF, 1, Zero, 17 },
			Package () { 0x0018FFFF, 2, Zero, 18 },
			Package () { 0x0018FFFF, 3, Zero, 19 },
			Package () { 0x0019FFFF, 0, Zero, 17 },
			Package () { 0x0019FFFF, 1, Zero, 18 },
			Package () { 0x0019FFFF, 2, Zero, 19 },
			Package () { 0x0019FFFF, 3, Zero, 16 },
			Package () { 0x001AFFFF, 0, Zero, 18 },
			Package () { 0x001AFFFF, 1, Zero, 19 },
			Package () { 0x001AFFFF, 2, Zero, 16 },
			Package () { 0x001AFFFF, 3, Zero, 17 },
			Package () { 0x001BFFFF, 0, Zero, 19 },
			Package () { 0x001BFFFF, 1, Zero, 16 },
			Package () { 0x001BFFFF, 2, Zero, 17 },
			Package () { 0x001BFFFF, 3, Zero, 18 },
			Package () { 0x001CFFFF, 0, Zero, 16 },
			Package () { 0x001CFFFF, 1, Zero, 17 },
			Package () { 0x001CFFFF, 2, Zero, 18 },
			Package () { 0x001CFFFF, 3, Zero, 19 },
			Package () { 0x001DFFFF, 0, Zero, 17 },
			Package () { 0x001DFFFF, 1, Zero, 18 },
			Package () { 0x001DFFFF, 2, Zero, 19 },
			Package () { 0x001DFFFF, 3, Zero, 16 },
			Package () { 0x001EFFFF, 0, Zero, 18 },
			Package () { 0x001EFFFF, 1, Zero, 19 },
			Package () { 0x001EFFFF, 2, Zero, 16 },
			Package () { 0x001EFFFF, 3, Zero, 17 },
			Package () { 0x001FFFFF, 0, Zero, 19 },
			Package () { 0x001FFFFF, 1, Zero, 16 },
			Package () { 0x001FFFFF, 2, Zero, 17 },
			Package () { 0x001FFFFF, 3, Zero, 18 }
			})

			/* The legacy devices, decoded below the host bridge. */
			Device (PIC)
			{
				Name (_HID, EisaId ("PNP0000"))
				Name (_CRS, ResourceTemplate ()
				{
					IO (Decode16, 0x0020, 0x0020, 0x01, 0x02)
					IO (Decode16, 0x00A0, 0x00A0, 0x01, 0x02)
					IRQNoFlags () {2}
				})
			}

			Device (TMR)
			{
				Name (_HID, EisaId ("PNP0100"))
				Name (_CRS, ResourceTemplate ()
				{
					IO (Decode16, 0x0040, 0x0040, 0x01, 0x04)
					IRQNoFlags () {0}
				})
			}

			Device (RTC)
			{
				Name (_HID, EisaId ("PNP0B00"))
				Name (_CRS, ResourceTemplate ()
				{
					IO (Decode16, 0x0070, 0x0070, 0x01, 0x02)
					IRQNoFlags () {8}
				})
			}

			Device (KBD)
			{
				Name (_HID, EisaId ("PNP0303"))
				Name (_CRS, ResourceTemplate ()
				{
					IO (Decode16, 0x0060, 0x0060, 0x01, 0x01)
					IO (Decode16, 0x0064, 0x0064, 0x01, 0x01)
					IRQNoFlags () {1}
				})
			}

			/*
			 * Without it Linux's i8042 PNP probe declares the AUX
			 * port absent and never asks the controller.
			 */
			Device (MOU)
			{
				Name (_HID, EisaId ("PNP0F13"))
				Name (_CRS, ResourceTemplate ()
				{
					IRQNoFlags () {12}
				})
			}

			Device (COM1)
			{
				Name (_HID, EisaId ("PNP0501"))
				Name (_UID, One)
				Name (_CRS, ResourceTemplate ()
				{
					IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
					IRQNoFlags () {4}
				})
			}
		}
	}

	/*
	 * {PM1a SLP_TYP, PM1b SLP_TYP, reserved, reserved}.  S5's value must
	 * be ACPI_PM_SLP_TYP_S5 in devices/acpi_pm.h (test_acpi checks);
	 * there is no S1-S4, so an OS offers only power-off.
	 */
	Name (\_S0, Package () { Zero, Zero, Zero, Zero })
	Name (\_S5, Package () { 0x05, 0x05, Zero, Zero })
}
