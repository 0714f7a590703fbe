/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ACPI fixed-hardware power management of the libvmm PC: PM1 event and
 * control registers (S5 power-off), the PM timer, the reset register and
 * the fixed-feature power button.  The layout is firmware/firmware.h's.
 */
#ifndef DEVICES_ACPI_PM_H
#define DEVICES_ACPI_PM_H

#include <stdint.h>

#include "vmm/device.h"

struct acpi_pm;

/*
 * Claims ports [pm_base, pm_base + FW_PM_BLOCK_LEN) and raises the SCI on
 * sci_gsi (level, active high).  The VM owns the device: it is freed at
 * vmm_vm_destroy().  *out (may be NULL) is for acpi_pm_power_button().
 */
int acpi_pm_create(struct vmm_vm *vm, uint16_t pm_base, uint32_t sci_gsi,
		   struct acpi_pm **out);

/*
 * Presses the power button: sets PWRBTN_STS and asserts the SCI if the
 * guest enabled PWRBTN_EN; the SCI drops when the guest clears the status.
 * An ACPI guest then shuts down cleanly; a press before its ACPI code runs
 * is lost (ACPICA clears every status bit at start-up).  Any thread but a
 * signal handler.
 */
void acpi_pm_power_button(struct acpi_pm *pm);

#endif /* DEVICES_ACPI_PM_H */
