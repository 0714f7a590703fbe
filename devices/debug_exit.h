/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The debug-exit port: a guest write stops the VM with the value as exit
 * code; the port after it records timestamped markers for benchmarks.
 */
#ifndef DEVICES_DEBUG_EXIT_H
#define DEVICES_DEBUG_EXIT_H

#include <stdint.h>

#include "vmm/device.h"

#define DEBUG_EXIT_STD_PORT	0x501	/* what vhv's test guests use */

struct debug_exit;

/*
 * Claims ports port .. port + 3: a 1, 2 or 4-byte write of v to port stops
 * the VM with VMM_STOP_DEBUG_EXIT and code v; a byte written to port + 1 is
 * recorded as a marker; the other two ports ignore writes.  Reads return
 * 0xff.  *out (may be NULL) gets the device.
 */
int debug_exit_create(struct vmm_vm *vm, uint16_t port,
		      struct debug_exit **out);

/*
 * The last marker: its value and when it was written (CLOCK_MONOTONIC, ns).
 * -ENOENT if the guest wrote none yet.  value or ns may be NULL.  Any thread.
 */
int debug_exit_last_marker(struct debug_exit *d, uint32_t *value,
			   uint64_t *ns);

#endif /* DEVICES_DEBUG_EXIT_H */
