/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MC146818 CMOS RTC at ports 0x70 (index) / 0x71 (data): the host's
 * UTC clock plus an offset the guest may set, and the 128 bytes of CMOS
 * with the memory sizes a PC BIOS leaves there.
 */
#ifndef DEVICES_RTC_H
#define DEVICES_RTC_H

#include "vmm/device.h"

#define RTC_INDEX_PORT		0x70
#define RTC_DATA_PORT		0x71
#define RTC_CMOS_CENTURY	0x32	/* for the FADT's century field */

struct rtc;

/*
 * The periodic, alarm and update-ended interrupts are not modelled: IRQ 8
 * never fires and status register C reads 0; the enable bits in B are kept
 * for the guest to read back.  *out (may be NULL) gets the device.
 */
int rtc_create(struct vmm_vm *vm, struct rtc **out);

#endif /* DEVICES_RTC_H */
