/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A 16550A UART (the PC's COM ports): 8 registers of port I/O, 16-byte
 * FIFOs, a level interrupt gated by MCR.OUT2, a host fd pair as the line.
 */
#ifndef DEVICES_SERIAL_H
#define DEVICES_SERIAL_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/device.h"

#define SERIAL_COM1_PORT	0x3f8
#define SERIAL_COM1_IRQ		4

struct serial;

/*
 * A UART at [port, port + 8) on interrupt line irq.  Bytes the guest sends
 * go to out_fd (-1: dropped); bytes read from in_fd (-1: none) arrive on
 * the line, after the escape handling of serial_input().  *out (may be
 * NULL) gets the device, which lives until vmm_vm_destroy().
 */
int serial_create(struct vmm_vm *vm, uint16_t port, uint32_t irq, int in_fd,
		  int out_fd, struct serial **out);

/*
 * Puts host bytes on the line.  Ctrl-A x asks the VM to stop
 * (VMM_STOP_REQUESTED), Ctrl-A Ctrl-A sends one Ctrl-A, Ctrl-A and any other
 * byte sends both; a sequence may be split across calls.  What the RX FIFO
 * cannot take waits in a buffer of SERIAL_PENDING_SIZE bytes; past that the
 * receiver overruns (LSR.OE) as real hardware would.  Any thread.
 */
#define SERIAL_PENDING_SIZE	4096
void serial_input(struct serial *s, const uint8_t *buf, size_t len);

#endif /* DEVICES_SERIAL_H */
