/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 16550A UART, as described by its datasheet and wired as on PCs: the
 * interrupt reaches the IRQ line only while MCR.OUT2 is set.
 *
 * The transmitter is infinitely fast: a byte written to THR leaves at once,
 * so THR and the shift register are always empty (LSR.THRE and TEMT set)
 * and the THR-empty interrupt comes back right after each write.  The
 * receiver's character time-out is taken as already elapsed: with FIFOs on,
 * data below the trigger level is reported as a time-out interrupt at once.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/console.h"
#include "devices/serial.h"

#define UART_NR_REGS	8
#define UART_FIFO_SIZE	16

/* Register offsets (DLAB = LCR bit 7 selects the divisor latch at 0/1). */
#define UART_RBR	0	/* read; THR on write */
#define UART_IER	1
#define UART_IIR	2	/* read; FCR on write */
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7

#define IER_RDI		0x01	/* received data available */
#define IER_THRI	0x02	/* THR empty */
#define IER_RLSI	0x04	/* receiver line status */
#define IER_MSI		0x08	/* modem status */
#define IER_MASK	0x0f	/* bits 4-7 read as 0 on a 16550A */

#define IIR_NO_INT	0x01
#define IIR_MSI		0x00
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_RLSI	0x06
#define IIR_CTI		0x0c	/* character time-out */
#define IIR_FIFO_ON	0xc0

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define FCR_CLEAR_TX	0x04
#define FCR_TRIGGER	0xc0

#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define MCR_MASK	0x1f

#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

#define MSR_DCTS	0x01
#define MSR_DDSR	0x02
#define MSR_TERI	0x04
#define MSR_DDCD	0x08
#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

#define CTRL_A		0x01

struct serial {
	struct vmm_vm *vm;
	uint16_t port;
	uint32_t irq;
	char name[24];
	struct console *con;	/* the line: the host's end */

	pthread_mutex_t lock;	/* guards everything below */
	uint8_t ier, lcr, mcr, scr, fcr, dll, dlm;
	uint8_t lsr_err;	/* OE until LSR is read */
	uint8_t msr_delta;	/* MSR bits 0-3 until MSR is read */
	uint8_t last_rx;	/* what RBR shows once the FIFO is empty */
	bool thr_ipending;	/* THR-empty interrupt not yet acknowledged */
	int irq_level;		/* what the IRQ line was last set to */

	uint8_t rx[UART_FIFO_SIZE];
	unsigned int rx_head, rx_count;

	/* Host bytes the RX FIFO could not take yet (a ring). */
	uint8_t pending[SERIAL_PENDING_SIZE];
	size_t pend_head, pend_count;
	bool escape;		/* Ctrl-A x stops the VM (a FDS line) */
	bool esc;		/* the last host byte was a lone Ctrl-A */
};

static bool fifo_on(const struct serial *s)
{
	return s->fcr & FCR_ENABLE;
}

static unsigned int rx_capacity(const struct serial *s)
{
	return fifo_on(s) ? UART_FIFO_SIZE : 1;
}

static unsigned int rx_trigger(const struct serial *s)
{
	static const unsigned int level[4] = { 1, 4, 8, 14 };

	return fifo_on(s) ? level[(s->fcr & FCR_TRIGGER) >> 6] : 1;
}

/* MSR bits 4-7: in loopback the modem outputs feed the inputs. */
static uint8_t msr_lines(const struct serial *s)
{
	uint8_t v = 0;

	if (!(s->mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	if (s->mcr & MCR_RTS)
		v |= MSR_CTS;
	if (s->mcr & MCR_DTR)
		v |= MSR_DSR;
	if (s->mcr & MCR_OUT1)
		v |= MSR_RI;
	if (s->mcr & MCR_OUT2)
		v |= MSR_DCD;
	return v;
}

/* The pending interrupt of highest priority (datasheet table 4). */
static uint8_t iir_source(const struct serial *s)
{
	if ((s->ier & IER_RLSI) && (s->lsr_err & LSR_OE))
		return IIR_RLSI;
	if ((s->ier & IER_RDI) && s->rx_count)
		return s->rx_count >= rx_trigger(s) ? IIR_RDI : IIR_CTI;
	if ((s->ier & IER_THRI) && s->thr_ipending)
		return IIR_THRI;
	if ((s->ier & IER_MSI) && s->msr_delta)
		return IIR_MSI;
	return IIR_NO_INT;
}

/*
 * The INTR pin reaches the IRQ line through a gate driven by the OUT2 pin;
 * loopback forces the pin inactive, so the line stays low then too.
 */
static void serial_update_irq(struct serial *s)
{
	int level = (s->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2 &&
		    iir_source(s) != IIR_NO_INT;

	if (level == s->irq_level)
		return;
	s->irq_level = level;
	vmm_irq_set(s->vm, s->irq, level);
}

static void rx_clear(struct serial *s)
{
	s->rx_head = 0;
	s->rx_count = 0;
}

/* A character completes in the receiver. */
static void rx_receive(struct serial *s, uint8_t b)
{
	if (s->rx_count >= rx_capacity(s)) {
		/*
		 * Overrun: a 16550A in FIFO mode keeps the FIFO and loses the
		 * new character; without FIFO the new one replaces RBR.
		 */
		s->lsr_err |= LSR_OE;
		if (!fifo_on(s))
			s->rx[s->rx_head] = b;
		return;
	}
	s->rx[(s->rx_head + s->rx_count) % UART_FIFO_SIZE] = b;
	s->rx_count++;
}

/* Moves waiting host bytes onto the line while the FIFO has room. */
static void rx_refill(struct serial *s)
{
	if (s->mcr & MCR_LOOP)
		return;		/* the serial input is disconnected */
	while (s->pend_count && s->rx_count < rx_capacity(s)) {
		rx_receive(s, s->pending[s->pend_head]);
		s->pend_head = (s->pend_head + 1) % SERIAL_PENDING_SIZE;
		s->pend_count--;
	}
	if (!s->pend_count)
		s->pend_head = 0;
	if (!s->pend_count)
		console_input_resume(s->con);
}

static void thr_write(struct serial *s, uint8_t b)
{
	/* Writing THR acknowledges THRE ... */
	s->thr_ipending = false;
	serial_update_irq(s);
	if (s->mcr & MCR_LOOP)
		rx_receive(s, b);
	else
		console_write(s->con, b);
	/* ... and the transmitter is empty again at once. */
	s->thr_ipending = true;
}

static uint8_t rbr_read(struct serial *s)
{
	if (s->rx_count) {
		s->last_rx = s->rx[s->rx_head];
		s->rx_head = (s->rx_head + 1) % UART_FIFO_SIZE;
		s->rx_count--;
		rx_refill(s);
	}
	return s->last_rx;
}

static void ier_write(struct serial *s, uint8_t v)
{
	v &= IER_MASK;
	/* Enabling THRI with the transmitter empty raises THRE at once. */
	if ((v & IER_THRI) && !(s->ier & IER_THRI))
		s->thr_ipending = true;
	s->ier = v;
}

static uint8_t iir_read(struct serial *s)
{
	uint8_t id = iir_source(s);

	if (id == IIR_THRI)
		s->thr_ipending = false;
	return id | (fifo_on(s) ? IIR_FIFO_ON : 0);
}

static void fcr_write(struct serial *s, uint8_t v)
{
	/* Toggling the FIFO enable resets both FIFOs. */
	if ((v ^ s->fcr) & FCR_ENABLE)
		rx_clear(s);
	/* The other bits are only programmed while bit 0 is written as 1. */
	if (!(v & FCR_ENABLE)) {
		s->fcr = 0;
		return;
	}
	if (v & FCR_CLEAR_RX)
		rx_clear(s);
	s->fcr = v & (FCR_ENABLE | FCR_TRIGGER);
	rx_refill(s);
}

static void mcr_write(struct serial *s, uint8_t v)
{
	uint8_t old = msr_lines(s), now, diff;

	s->mcr = v & MCR_MASK;
	now = msr_lines(s);
	diff = old ^ now;
	if (diff & MSR_CTS)
		s->msr_delta |= MSR_DCTS;
	if (diff & MSR_DSR)
		s->msr_delta |= MSR_DDSR;
	if ((old & MSR_RI) && !(now & MSR_RI))
		s->msr_delta |= MSR_TERI;	/* trailing edge only */
	if (diff & MSR_DCD)
		s->msr_delta |= MSR_DDCD;
	rx_refill(s);
}

static uint8_t lsr_read(struct serial *s)
{
	uint8_t v = LSR_THRE | LSR_TEMT | s->lsr_err;

	if (s->rx_count)
		v |= LSR_DR;
	s->lsr_err = 0;
	return v;
}

static uint8_t msr_read(struct serial *s)
{
	uint8_t v = msr_lines(s) | s->msr_delta;

	s->msr_delta = 0;
	return v;
}

static uint8_t reg_read(struct serial *s, unsigned int reg)
{
	bool dlab = s->lcr & LCR_DLAB;

	switch (reg) {
	case UART_RBR:
		return dlab ? s->dll : rbr_read(s);
	case UART_IER:
		return dlab ? s->dlm : s->ier;
	case UART_IIR:
		return iir_read(s);
	case UART_LCR:
		return s->lcr;
	case UART_MCR:
		return s->mcr;
	case UART_LSR:
		return lsr_read(s);
	case UART_MSR:
		return msr_read(s);
	default:
		return s->scr;
	}
}

static void reg_write(struct serial *s, unsigned int reg, uint8_t v)
{
	bool dlab = s->lcr & LCR_DLAB;

	switch (reg) {
	case UART_RBR:
		if (dlab)
			s->dll = v;
		else
			thr_write(s, v);
		break;
	case UART_IER:
		if (dlab)
			s->dlm = v;
		else
			ier_write(s, v);
		break;
	case UART_IIR:
		fcr_write(s, v);
		break;
	case UART_LCR:
		s->lcr = v;
		break;
	case UART_MCR:
		mcr_write(s, v);
		break;
	case UART_SCR:
		s->scr = v;
		break;
	default:
		break;	/* LSR and MSR: factory test, ignored */
	}
}

/* A wider access is taken as byte accesses to consecutive registers. */
static void serial_io_read(void *opaque, uint64_t offset, uint8_t *data,
			   uint32_t size)
{
	struct serial *s = opaque;
	uint32_t i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < size; i++)
		data[i] = offset + i < UART_NR_REGS ?
			  reg_read(s, offset + i) : 0xff;
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static void serial_io_write(void *opaque, uint64_t offset, const uint8_t *data,
			    uint32_t size)
{
	struct serial *s = opaque;
	uint32_t i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < size && offset + i < UART_NR_REGS; i++)
		reg_write(s, offset + i, data[i]);
	serial_update_irq(s);
	pthread_mutex_unlock(&s->lock);
}

static const struct vmm_io_ops serial_io_ops = {
	.read = serial_io_read,
	.write = serial_io_write,
};

/* One byte after escape handling: FIFO, else the pending ring, else lost. */
static void host_deliver(struct serial *s, uint8_t b)
{
	if (!s->pend_count && !(s->mcr & MCR_LOOP) &&
	    s->rx_count < rx_capacity(s)) {
		rx_receive(s, b);
		return;
	}
	if (s->pend_count == SERIAL_PENDING_SIZE) {
		s->lsr_err |= LSR_OE;
		return;
	}
	s->pending[(s->pend_head + s->pend_count) % SERIAL_PENDING_SIZE] = b;
	s->pend_count++;
}

static void serial_input_locked(struct serial *s, const uint8_t *buf,
				size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t b = buf[i];

		if (!s->escape) {
			host_deliver(s, b);
			continue;
		}
		if (!s->esc) {
			if (b == CTRL_A)
				s->esc = true;
			else
				host_deliver(s, b);
			continue;
		}
		s->esc = false;
		if (b == 'x') {
			/* The rest of the input is for a VM that is going. */
			vmm_vm_request_stop(s->vm, VMM_STOP_REQUESTED, 0);
			break;
		}
		host_deliver(s, CTRL_A);
		if (b != CTRL_A)
			host_deliver(s, b);
	}
	rx_refill(s);
	serial_update_irq(s);
}

void serial_input(struct serial *s, const uint8_t *buf, size_t len)
{
	pthread_mutex_lock(&s->lock);
	serial_input_locked(s, buf, len);
	pthread_mutex_unlock(&s->lock);
}

/* The console's side: room for host bytes, and the bytes. */
static size_t serial_room(void *opaque)
{
	struct serial *s = opaque;
	size_t free = SERIAL_PENDING_SIZE - s->pend_count;

	if (!s->escape)
		return free;
	/* One byte read may deliver two: a held Ctrl-A and itself. */
	return free > 1 ? free - 1 : 0;
}

static void serial_console_input(void *opaque, const uint8_t *buf, size_t len)
{
	serial_input_locked(opaque, buf, len);
}

static const struct console_ops serial_console_ops = {
	.room = serial_room,
	.input = serial_console_input,
};

void serial_set_output_limit(struct serial *s, uint64_t max)
{
	pthread_mutex_lock(&s->lock);
	console_set_output_limit(s->con, max);
	pthread_mutex_unlock(&s->lock);
}

void serial_flush_stats(struct serial *s, struct serial_stats *st)
{
	struct console_stats cs;

	pthread_mutex_lock(&s->lock);
	console_flush_stats(s->con, &cs);
	pthread_mutex_unlock(&s->lock);
	st->written = cs.written;
	st->dropped = cs.dropped;
	st->buffered = cs.buffered;
	st->limited = cs.limited;
}

static void serial_destroy(void *opaque)
{
	struct serial *s = opaque;

	console_destroy(s->con);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int serial_create(struct vmm_vm *vm, uint16_t port, uint32_t irq,
		  const struct console_line *line, struct serial **out)
{
	struct serial *s;
	int r;

	if (port > 0x10000 - UART_NR_REGS)
		return vmm_set_error(vm, -EINVAL,
				     "serial: port 0x%x: its 8 registers run past port 0xffff",
				     port);
	if (irq > 23)
		return vmm_set_error(vm, -EINVAL,
				     "serial at port 0x%x: IRQ %u is not an IOAPIC input (0..23)",
				     port, irq);
	s = calloc(1, sizeof(*s));
	if (!s)
		return vmm_set_error(vm, -ENOMEM,
				     "serial at port 0x%x: out of memory", port);
	s->vm = vm;
	s->port = port;
	s->irq = irq;
	s->dll = 12;		/* 9600 baud until the guest says otherwise */
	/* A pty's or a socket's user has their own way out. */
	s->escape = line->kind == VMM_CONSOLE_FDS;
	snprintf(s->name, sizeof(s->name), "serial@0x%x", port);
	r = -pthread_mutex_init(&s->lock, NULL);
	if (r) {
		vmm_set_error(vm, r, "%s: mutex: %s", s->name, strerror(-r));
		goto err_free;
	}
	r = console_create(vm, s->name, line, &s->lock, &serial_console_ops, s,
			   &s->con);
	if (r)
		goto err_mutex;
	r = vmm_io_register(vm, VMM_SPACE_PIO, port, UART_NR_REGS,
			    &serial_io_ops, s, s->name);
	if (r)
		goto err_console;
	r = vmm_device_add(vm, s->name, serial_destroy, s);
	if (r)
		goto err_unregister;
	if (out)
		*out = s;
	return 0;

err_unregister:
	vmm_io_unregister(vm, VMM_SPACE_PIO, port);
err_console:
	console_destroy(s->con);
err_mutex:
	pthread_mutex_destroy(&s->lock);
err_free:
	free(s);
	return r;
}
