/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A 16550A UART (the PC's COM ports): 8 registers of port I/O, 16-byte
 * FIFOs, a level interrupt gated by MCR.OUT2, a console as the line.
 */
#ifndef DEVICES_SERIAL_H
#define DEVICES_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/device.h"

#define SERIAL_COM1_PORT	0x3f8
#define SERIAL_COM1_IRQ		4

struct serial;
struct console_line;

/*
 * A UART at [port, port + 8) on interrupt line irq, whose line is the
 * console on line (devices/console.h: output never blocks, input is read
 * as the receiver has room, both bounded).  Bytes read from the line's
 * input arrive after the escape handling of serial_input().  *out (may be
 * NULL) gets the device, which lives until vmm_vm_destroy().
 */
int serial_create(struct vmm_vm *vm, uint16_t port, uint32_t irq,
		  const struct console_line *line, struct serial **out);

/*
 * Puts host bytes on the line.  On a VMM_CONSOLE_FDS line Ctrl-A x asks the
 * VM to stop (VMM_STOP_REQUESTED), Ctrl-A Ctrl-A sends one Ctrl-A, Ctrl-A
 * and any other byte sends both; a sequence may be split across calls (a
 * pty or a socket takes every byte as it is).  What the RX FIFO
 * cannot take waits in a buffer of SERIAL_PENDING_SIZE bytes; past that the
 * receiver overruns (LSR.OE) as real hardware would.  Any thread.
 */
#define SERIAL_PENDING_SIZE	4096
void serial_input(struct serial *s, const uint8_t *buf, size_t len);

/* The console's output limit (console_set_output_limit()). */
void serial_set_output_limit(struct serial *s, uint64_t max);

struct serial_stats {
	uint64_t written;	/* bytes the line's output took */
	uint64_t dropped;	/* bytes lost: buffer full, limit, dead fd */
	uint64_t buffered;	/* still waiting for the reader */
	bool limited;		/* the output limit was reached */
};
/*
 * Writes out what is buffered as far as that goes without blocking, then
 * fills *st.  Any thread.
 */
void serial_flush_stats(struct serial *s, struct serial_stats *st);

#endif /* DEVICES_SERIAL_H */
