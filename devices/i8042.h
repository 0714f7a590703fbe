/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC keyboard controller (8042) at ports 0x60/0x64 with nothing plugged
 * into either port: enough for an OS to probe it and to reset the machine.
 */
#ifndef DEVICES_I8042_H
#define DEVICES_I8042_H

#include "vmm/device.h"

#define I8042_DATA_PORT		0x60
#define I8042_CMD_PORT		0x64
#define I8042_KBD_IRQ		1
#define I8042_AUX_IRQ		12

struct i8042;

/*
 * Claims ports 0x60 and 0x64 (not 0x61: the PIT's).  A reset pulse
 * (command 0xfe, or an output port write with bit 0 clear) stops the VM
 * with VMM_STOP_RESET.  *out (may be NULL) gets the device.
 */
int i8042_create(struct vmm_vm *vm, struct i8042 **out);

#endif /* DEVICES_I8042_H */
