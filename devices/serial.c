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
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

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
	int in_fd;
	int out_fd;		/* non-blocking unless a file; -1: none */
	int out_owned;		/* out_fd is ours to close, or -1 */
	int out_saved_fl;	/* flags to restore on out_fd, or -1 */
	bool out_is_file;	/* a regular file or block device */
	char name[24];

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
	bool esc;		/* the last host byte was a lone Ctrl-A */
	bool in_paused;		/* in_fd taken out of the loop until drained */
	bool in_closed;		/* in_fd hit EOF or an error */

	/* Guest output the reader has not taken yet (a ring). */
	uint8_t *out_buf;	/* SERIAL_OUT_SIZE bytes */
	size_t out_head, out_count;
	bool out_polled;	/* out_fd in the loop for EPOLLOUT */
	bool out_dead;		/* the reader is gone for good */
	uint64_t out_limit;	/* 0: none */
	uint64_t out_written, out_dropped;
	bool out_limited;
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

static void serial_in_event(void *opaque, uint32_t events);

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
	if (s->in_paused && !s->pend_count && !s->in_closed &&
	    !vmm_loop_add(s->vm, s->in_fd, EPOLLIN, serial_in_event, s))
		s->in_paused = false;
}

/* ---- output: never blocks, bounded, drained by the I/O thread ----------- */

static void serial_out_event(void *opaque, uint32_t events);

/* s->lock held.  The reader is gone: everything waiting is lost. */
static void out_kill(struct serial *s)
{
	s->out_dead = true;
	s->out_dropped += s->out_count;
	s->out_count = 0;
	s->out_head = 0;
}

/*
 * s->lock held.  Writes from the ring until it is empty or the reader
 * takes no more for now (false).  Never blocks: out_fd is non-blocking
 * unless it is a file, and a file takes what it is given.
 */
static bool out_drain(struct serial *s)
{
	size_t chunk;
	ssize_t n;

	while (s->out_count && !s->out_dead) {
		chunk = SERIAL_OUT_SIZE - s->out_head;
		if (chunk > s->out_count)
			chunk = s->out_count;
		n = write(s->out_fd, s->out_buf + s->out_head, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return false;
		if (n <= 0) {
			out_kill(s);	/* EPIPE, EIO, a full disk ... */
			break;
		}
		s->out_written += n;
		s->out_head = (s->out_head + n) % SERIAL_OUT_SIZE;
		s->out_count -= n;
	}
	s->out_head = 0;
	return true;
}

/* s->lock held.  The I/O thread drains while the reader is slow. */
static void out_poll(struct serial *s, bool on)
{
	if (on == s->out_polled)
		return;
	if (on) {
		/* Without the loop nothing would drain: give it up then. */
		if (vmm_loop_add(s->vm, s->out_fd, EPOLLOUT, serial_out_event, s))
			out_kill(s);
		else
			s->out_polled = true;
	} else {
		vmm_loop_del(s->vm, s->out_fd);
		s->out_polled = false;
	}
}

/* Says once, without waiting for stderr, that the limit dropped output. */
static void out_note_limit(struct serial *s)
{
	struct pollfd pfd = { .fd = STDERR_FILENO, .events = POLLOUT };
	char msg[160];
	int len;
	ssize_t r;

	len = snprintf(msg, sizeof(msg),
		       "libvmm: %s: guest output reached its limit of %llu bytes; the rest is dropped\n",
		       s->name, (unsigned long long)s->out_limit);
	if (len > 0 && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLOUT)) {
		r = write(STDERR_FILENO, msg, len);
		(void)r;
	}
}

/* s->lock held, on the vCPU that wrote THR. */
static void tx_emit(struct serial *s, uint8_t b)
{
	if (s->out_fd < 0)
		return;
	if (s->out_dead) {
		s->out_dropped++;
		return;
	}
	if (s->out_limit &&
	    s->out_written + s->out_count >= s->out_limit) {
		if (!s->out_limited) {
			s->out_limited = true;
			out_note_limit(s);
		}
		s->out_dropped++;
		return;
	}
	if (s->out_count == SERIAL_OUT_SIZE) {
		s->out_dropped++;	/* the reader is that far behind */
		return;
	}
	s->out_buf[(s->out_head + s->out_count) % SERIAL_OUT_SIZE] = b;
	s->out_count++;
	if (s->out_polled)
		return;		/* the I/O thread writes it in order */
	if (!out_drain(s))
		out_poll(s, true);
}

/* The I/O thread: the reader can take more. */
static void serial_out_event(void *opaque, uint32_t events)
{
	struct serial *s = opaque;

	(void)events;
	pthread_mutex_lock(&s->lock);
	if (out_drain(s) || s->out_dead)
		out_poll(s, false);
	pthread_mutex_unlock(&s->lock);
}

void serial_set_output_limit(struct serial *s, uint64_t max)
{
	pthread_mutex_lock(&s->lock);
	s->out_limit = max;
	pthread_mutex_unlock(&s->lock);
}

void serial_flush_stats(struct serial *s, struct serial_stats *st)
{
	pthread_mutex_lock(&s->lock);
	if (s->out_fd >= 0 && out_drain(s) && s->out_polled)
		out_poll(s, false);
	st->written = s->out_written;
	st->dropped = s->out_dropped;
	st->buffered = s->out_count;
	st->limited = s->out_limited;
	pthread_mutex_unlock(&s->lock);
}

/*
 * A descriptor for the guest's output that never blocks.  A file or block
 * device is written as given (O_NONBLOCK means nothing to them, and a
 * reopen would lose the offset).  Anything else (a terminal, a pipe, a
 * socket) gets a descriptor of its own, opened with O_NONBLOCK through
 * /proc, so that the flag does not leak to whoever shares the original
 * (a shell's terminal); failing that, the flag is set on out_fd and put
 * back at destroy.
 */
static int out_setup(struct serial *s, int out_fd)
{
	char path[40];
	struct stat st;
	int fd, fl;

	s->out_fd = out_fd;
	s->out_owned = -1;
	s->out_saved_fl = -1;
	if (out_fd < 0)
		return 0;
	s->out_buf = malloc(SERIAL_OUT_SIZE);
	if (!s->out_buf)
		return vmm_set_error(s->vm, -ENOMEM, "%s: out of memory", s->name);
	if (fstat(out_fd, &st))
		return vmm_set_error(s->vm, -errno, "%s: output fd %d: %s",
				     s->name, out_fd, strerror(errno));
	if (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode)) {
		s->out_is_file = true;
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", out_fd);
	fd = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd >= 0) {
		s->out_fd = s->out_owned = fd;
		return 0;
	}
	fl = fcntl(out_fd, F_GETFL);
	if (fl < 0)
		return vmm_set_error(s->vm, -errno, "%s: output fd %d: %s",
				     s->name, out_fd, strerror(errno));
	if (!(fl & O_NONBLOCK)) {
		if (fcntl(out_fd, F_SETFL, fl | O_NONBLOCK))
			return vmm_set_error(s->vm, -errno,
					     "%s: output fd %d: O_NONBLOCK: %s",
					     s->name, out_fd, strerror(errno));
		s->out_saved_fl = fl;
	}
	return 0;
}

static void out_teardown(struct serial *s)
{
	if (s->out_fd >= 0) {
		/* A last try, never waiting for the reader. */
		out_drain(s);
		s->out_dropped += s->out_count;
		if (s->out_polled)
			vmm_loop_del(s->vm, s->out_fd);
	}
	if (s->out_saved_fl >= 0)
		fcntl(s->out_fd, F_SETFL, s->out_saved_fl);
	if (s->out_owned >= 0)
		close(s->out_owned);
	free(s->out_buf);
}

static void thr_write(struct serial *s, uint8_t b)
{
	/* Writing THR acknowledges THRE ... */
	s->thr_ipending = false;
	serial_update_irq(s);
	if (s->mcr & MCR_LOOP)
		rx_receive(s, b);
	else
		tx_emit(s, b);
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

static void input_stop(struct serial *s, bool closed)
{
	if (!s->in_paused && !s->in_closed)
		vmm_loop_del(s->vm, s->in_fd);
	if (closed)
		s->in_closed = true;
	else
		s->in_paused = true;
}

static void serial_in_event(void *opaque, uint32_t events)
{
	struct serial *s = opaque;
	uint8_t buf[256];
	size_t room;
	ssize_t n;

	(void)events;
	pthread_mutex_lock(&s->lock);
	if (s->in_paused || s->in_closed)
		goto out;
	/*
	 * Read only what the pending ring can take, so that no byte is lost:
	 * one byte read may deliver two (a held Ctrl-A and itself).
	 */
	room = SERIAL_PENDING_SIZE - s->pend_count;
	if (room < 2) {
		input_stop(s, false);
		goto out;
	}
	if (room - 1 < sizeof(buf))
		n = read(s->in_fd, buf, room - 1);
	else
		n = read(s->in_fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN ||
		      errno == EWOULDBLOCK))
		goto out;
	if (n <= 0) {
		/* EOF or a dead fd: a level-triggered loop would spin on it. */
		input_stop(s, true);
		goto out;
	}
	serial_input_locked(s, buf, n);
	if (SERIAL_PENDING_SIZE - s->pend_count < 2)
		input_stop(s, false);
out:
	pthread_mutex_unlock(&s->lock);
}

static void serial_destroy(void *opaque)
{
	struct serial *s = opaque;

	out_teardown(s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

int serial_create(struct vmm_vm *vm, uint16_t port, uint32_t irq, int in_fd,
		  int out_fd, struct serial **out)
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
	s->in_fd = in_fd;
	s->dll = 12;		/* 9600 baud until the guest says otherwise */
	s->in_closed = in_fd < 0;
	snprintf(s->name, sizeof(s->name), "serial@0x%x", port);
	r = out_setup(s, out_fd);
	if (r)
		goto err_out;
	r = -pthread_mutex_init(&s->lock, NULL);
	if (r) {
		vmm_set_error(vm, r, "%s: mutex: %s", s->name, strerror(-r));
		goto err_out;
	}
	r = vmm_io_register(vm, VMM_SPACE_PIO, port, UART_NR_REGS,
			    &serial_io_ops, s, s->name);
	if (r)
		goto err_mutex;
	if (in_fd >= 0) {
		r = vmm_loop_add(vm, in_fd, EPOLLIN, serial_in_event, s);
		if (r == -EPERM) {
			/* A regular file or /dev/null: never any input. */
			s->in_fd = -1;
			s->in_closed = true;
			in_fd = -1;
			r = 0;
		}
		if (r)
			goto err_unregister;
	}
	r = vmm_device_add(vm, s->name, serial_destroy, s);
	if (r)
		goto err_loop;
	if (out)
		*out = s;
	return 0;

err_loop:
	if (in_fd >= 0)
		vmm_loop_del(vm, in_fd);
err_unregister:
	vmm_io_unregister(vm, VMM_SPACE_PIO, port);
err_mutex:
	pthread_mutex_destroy(&s->lock);
err_out:
	out_teardown(s);
	free(s);
	return r;
}
