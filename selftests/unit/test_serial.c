/* SPDX-License-Identifier: GPL-2.0 */
/* Unit tests for devices/serial.c: the 16550A register model, without a VM. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/console.h"
#include "devices/serial.h"
#include "selftests/unit/fake_vmm.h"

/* ---- helpers ------------------------------------------------------------ */

#define RBR 0
#define IER 1
#define IIR 2
#define FCR 2
#define LCR 3
#define MCR 4
#define LSR 5
#define MSR 6
#define SCR 7

static uint8_t in8(unsigned int off)
{
	struct fake_range *r = fake_io_single();
	uint8_t b = 0xff;

	r->ops->read(r->opaque, off, &b, 1);
	return b;
}

static void out8(unsigned int off, uint8_t v)
{
	struct fake_range *r = fake_io_single();

	r->ops->write(r->opaque, off, &v, 1);
}

/* The level of the latest vmm_irq_set, and its GSI. */
static int level(void)
{
	return fk.nr_irq ? fk.irq[fk.nr_irq - 1].level : 0;
}

static uint32_t last_gsi(void)
{
	return fk.nr_irq ? fk.irq[fk.nr_irq - 1].gsi : 0;
}

/* The one fd the UART may have in the loop, or -1; feeding it. */
static int loop_fd(void)
{
	assert_true(fk.nr_loop <= 1);
	return fk.nr_loop ? fk.loop[0].fd : -1;
}

static void loop_call(uint32_t events)
{
	assert_int_equal(fk.nr_loop, 1);
	fk.loop[0].handler(fk.loop[0].opaque, events);
}

static struct serial *make_line(const struct console_line *line)
{
	struct serial *s = NULL;

	fake_vmm_setup(0);
	assert_int_equal(serial_create(&fake_vm, SERIAL_COM1_PORT,
				       SERIAL_COM1_IRQ, line, &s), 0);
	assert_non_null(s);
	assert_int_equal(fake_io_single()->space, VMM_SPACE_PIO);
	assert_true(fk.r[0].base == 0x3f8 && fk.r[0].len == 8);
	assert_int_equal(fk.nr_dev, 1);
	assert_ptr_equal(fk.dev[0].opaque, s);
	return s;
}

static struct serial *make(int in_fd, int out_fd)
{
	return make_line(&(struct console_line){ .in_fd = in_fd,
						 .out_fd = out_fd });
}

static void destroy(void)
{
	fake_vmm_destroy_devices();
}

static void input(struct serial *s, const char *str, size_t len)
{
	serial_input(s, (const uint8_t *)str, len);
}

/* ---- tests -------------------------------------------------------------- */

static void test_divisor_latch(void **state)
{
	int p[2];
	char buf[8];

	(void)state;
	assert_int_equal(pipe2(p, O_NONBLOCK), 0);
	make(-1, p[1]);
	out8(LCR, 0x83);			/* DLAB, 8N1 */
	out8(RBR, 0x01);			/* 115200 baud */
	out8(IER, 0x00);
	assert_int_equal(in8(RBR), 0x01);
	assert_int_equal(in8(IER), 0x00);
	out8(IER, 0x12);
	assert_int_equal(in8(IER), 0x12);
	out8(LCR, 0x03);
	out8(IER, 0x05);			/* IER, not DLM */
	assert_int_equal(in8(IER), 0x05);
	out8(LCR, 0x83);
	assert_int_equal(in8(RBR), 0x01);
	assert_int_equal(in8(IER), 0x12);
	assert_int_equal(in8(LCR), 0x83);
	/* Nothing written to THR while DLAB was set. */
	assert_int_equal(read(p[0], buf, sizeof(buf)), -1);
	assert_int_equal(errno, EAGAIN);
	destroy();
	close(p[0]);
	close(p[1]);
}

static void test_register_round_trip(void **state)
{
	unsigned int v;

	(void)state;
	make(-1, -1);
	for (v = 0; v < 256; v++) {
		out8(SCR, v);
		assert_int_equal(in8(SCR), v);
		out8(LCR, v);
		assert_int_equal(in8(LCR), v);
	}
	out8(LCR, 0x03);
	out8(IER, 0xff);		/* bits 4-7 do not exist on a 16550A */
	assert_int_equal(in8(IER), 0x0f);
	out8(MCR, 0xff);
	assert_int_equal(in8(MCR), 0x1f);
	out8(MCR, 0);
	/* LSR and MSR writes are ignored. */
	out8(LSR, 0x00);
	assert_int_equal(in8(LSR), 0x60);
	destroy();
}

/* What Linux's 8250 autoconfig does to find and classify the port. */
static void test_linux_probe(void **state)
{
	(void)state;
	make(-1, -1);
	out8(IER, 0);
	assert_int_equal(in8(IER) & 0x0f, 0);
	out8(IER, 0x0f);
	assert_int_equal(in8(IER) & 0x0f, 0x0f);
	out8(IER, 0);
	/* Loopback check: RTS|OUT2 show as CTS|DCD. */
	out8(MCR, 0x10 | 0x0a);
	assert_int_equal(in8(MSR) & 0xf0, 0x90);
	out8(MCR, 0x10 | 0x05);		/* DTR|OUT1 -> DSR|RI */
	assert_int_equal(in8(MSR) & 0xf0, 0x60);
	out8(MCR, 0);
	assert_int_equal(in8(MSR), 0xb0 | 0x0d);	/* DCTS, TERI, DDCD */
	assert_int_equal(in8(MSR), 0xb0);
	/* FIFO: IIR bits 7:6 = 3 means 16550A; no 64-byte bit 5. */
	assert_int_equal(in8(IIR), 0x01);
	out8(FCR, 0x01);
	assert_int_equal(in8(IIR) >> 6, 3);
	out8(FCR, 0x01 | 0x20);
	assert_int_equal(in8(IIR) & 0x20, 0);
	/* No EFR: with LCR 0xbf offset 2 is still IIR, not 0. */
	out8(LCR, 0xbf);
	assert_int_not_equal(in8(2), 0);
	out8(LCR, 0x03);
	/* Loopback TX comes back on RX and not out of the port. */
	out8(MCR, 0x10 | 0x08);
	out8(IER, 0x01);
	out8(RBR, 0x5a);
	assert_int_equal(in8(LSR), 0x61);
	assert_int_equal(in8(RBR), 0x5a);
	assert_int_equal(in8(LSR), 0x60);
	assert_int_equal(fk.nr_irq, 0);	/* OUT2 gate is off in loopback */
	destroy();
}

static void test_thr_output(void **state)
{
	const char *msg = "hello, 16550\n";
	char buf[64];
	size_t i;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	make(-1, p[1]);
	out8(LCR, 0x03);
	for (i = 0; msg[i]; i++) {
		assert_true(in8(LSR) & 0x20);
		out8(RBR, msg[i]);
	}
	assert_int_equal(read(p[0], buf, sizeof(buf)), strlen(msg));
	assert_memory_equal(buf, msg, strlen(msg));
	destroy();
	/* A closed reader: the bytes are dropped, nothing breaks. */
	close(p[0]);
	make(-1, p[1]);
	out8(RBR, 'x');
	assert_int_equal(in8(LSR), 0x60);
	destroy();
	close(p[1]);
	/* No output fd at all. */
	make(-1, -1);
	out8(RBR, 'y');
	destroy();
}

/* ---- output to a reader that stalls --------------------------------------- */

#define STALL_BYTES	(4 * CONSOLE_OUT_SIZE)

static uint8_t stall_byte(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 8));
}

/* The vCPU: the guest prints STALL_BYTES bytes through THR. */
static void *stall_writer(void *arg)
{
	size_t i;

	(void)arg;
	for (i = 0; i < STALL_BYTES; i++)
		out8(RBR, stall_byte(i));
	return NULL;
}

/*
 * A reader of the console that stops reading (a stalled terminal, a pipe
 * nobody drains): the vCPU goes on, output waits in a bounded buffer,
 * what does not fit is dropped and counted, and the device goes away
 * without waiting for the reader.
 */
static void test_stalled_reader(void **state)
{
	struct serial_stats st;
	struct timespec until;
	pthread_t t;
	struct serial *s;
	uint8_t *got;
	size_t n = 0, i;
	ssize_t r;
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	s = make(-1, p[1]);
	out8(LCR, 0x03);
	assert_int_equal(pthread_create(&t, NULL, stall_writer, NULL), 0);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	if (pthread_timedjoin_np(t, NULL, &until)) {
		/* Unblock the writer (EPIPE) so that the test can end. */
		close(p[0]);
		pthread_join(t, NULL);
		fail_msg("the vCPU blocked on a console nobody reads");
	}
	serial_flush_stats(s, &st);
	print_message("written %llu, buffered %llu, dropped %llu\n",
		      (unsigned long long)st.written,
		      (unsigned long long)st.buffered,
		      (unsigned long long)st.dropped);
	assert_int_equal(st.written + st.buffered + st.dropped, STALL_BYTES);
	assert_int_equal(st.buffered, CONSOLE_OUT_SIZE);
	assert_true(st.dropped > 0);
	assert_false(st.limited);
	/* The I/O thread has the console fd in its loop, waiting to write. */
	assert_int_equal(fk.nr_loop, 1);
	assert_int_equal(fk.loop[0].events, EPOLLOUT);

	/* The reader comes back: what was kept arrives in order, no gap. */
	got = malloc(STALL_BYTES);
	assert_non_null(got);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	for (i = 0; i < 1000 && n < st.written + st.buffered; i++) {
		r = read(p[0], got + n, STALL_BYTES - n);
		if (r > 0)
			n += r;
		fake_loop_poll(10);
	}
	assert_int_equal(n, st.written + st.buffered);
	for (i = 0; i < n; i++)
		if (got[i] != stall_byte(i))
			fail_msg("byte %zu is 0x%02x, not 0x%02x", i, got[i],
				 stall_byte(i));
	assert_int_equal(fk.nr_loop, 0);	/* drained: out of the loop */
	free(got);

	/* Stalled again at teardown: the device does not wait for it. */
	for (i = 0; i < 2 * CONSOLE_OUT_SIZE; i++)
		out8(RBR, 'z');
	destroy();
	close(p[0]);
	close(p[1]);
}

/* A regular file (--console file=) gets at most its limit, then drops. */
static void test_output_limit(void **state)
{
	char path[] = "/tmp/vhv-serial-XXXXXX", buf[64];
	struct serial_stats st;
	struct serial *s;
	int fd, i;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	s = make(-1, fd);
	serial_set_output_limit(s, 1000);
	for (i = 0; i < 5000; i++)
		out8(RBR, 'a' + i % 26);
	serial_flush_stats(s, &st);
	assert_int_equal(st.written, 1000);
	assert_int_equal(st.dropped, 4000);
	assert_int_equal(st.buffered, 0);
	assert_true(st.limited);
	assert_int_equal(lseek(fd, 0, SEEK_END), 1000);
	assert_int_equal(pread(fd, buf, 3, 997), 3);
	assert_memory_equal(buf, "jkl", 3);	/* bytes 997..999 */
	assert_int_equal(fk.nr_loop, 0);
	destroy();
	close(fd);
	unlink(path);
}

static void test_rx_irq(void **state)
{
	struct serial *s;

	(void)state;
	s = make(-1, -1);
	out8(MCR, 0x08);			/* OUT2 */
	out8(IER, 0x01);
	assert_int_equal(fk.nr_irq, 0);
	assert_int_equal(in8(IIR), 0x01);
	input(s, "ab", 2);
	assert_int_equal(fk.nr_irq, 1);
	assert_int_equal(level(), 1);
	assert_int_equal(last_gsi(), 4);
	assert_int_equal(in8(IIR), 0x04);
	assert_int_equal(in8(LSR), 0x61);
	assert_int_equal(in8(RBR), 'a');
	assert_int_equal(fk.nr_irq, 1);	/* still pending, no new call */
	assert_int_equal(in8(RBR), 'b');
	assert_int_equal(fk.nr_irq, 2);
	assert_int_equal(level(), 0);
	assert_int_equal(in8(IIR), 0x01);
	assert_int_equal(in8(LSR), 0x60);
	/* RBR once empty shows the last byte again and changes nothing. */
	assert_int_equal(in8(RBR), 'b');
	assert_int_equal(fk.nr_irq, 2);
	/* Disabling the source drops the line. */
	input(s, "c", 1);
	assert_int_equal(level(), 1);
	out8(IER, 0);
	assert_int_equal(level(), 0);
	assert_int_equal(fk.nr_irq, 4);
	destroy();
}

static void test_fifo_trigger(void **state)
{
	struct serial *s;

	(void)state;
	s = make(-1, -1);
	out8(FCR, 0xc7);			/* FIFO on, clear, trigger 14 */
	out8(IER, 0x01);
	input(s, "12345", 5);
	assert_int_equal(in8(IIR), 0xcc);	/* time-out below trigger */
	input(s, "678901234", 9);
	assert_int_equal(in8(IIR), 0xc4);	/* at the trigger level */
	assert_int_equal(in8(RBR), '1');
	assert_int_equal(in8(IIR), 0xcc);
	out8(FCR, 0x43);			/* clear RX, trigger 4 */
	assert_int_equal(in8(LSR), 0x60);
	assert_int_equal(in8(IIR), 0xc1);
	input(s, "abcd", 4);
	assert_int_equal(in8(IIR), 0xc4);
	out8(FCR, 0x00);			/* FIFO off: reset, no 0xc0 */
	assert_int_equal(in8(IIR), 0x01);
	destroy();
}

static void test_iir_priorities(void **state)
{
	int i;

	(void)state;
	make(-1, -1);
	out8(FCR, 0x01);
	out8(MCR, 0x10 | 0x02);			/* loopback, RTS: DDSR, DDCD */
	for (i = 0; i < 17; i++)		/* one more than fits: OE */
		out8(RBR, i);
	out8(IER, 0x0f);			/* also raises THRE */
	assert_int_equal(in8(IIR), 0xc6);	/* line status first */
	assert_int_equal(in8(IIR), 0xc6);	/* IIR read does not clear it */
	assert_int_equal(in8(LSR) & 0x03, 0x03);
	assert_int_equal(in8(IIR), 0xc4);	/* then received data */
	for (i = 0; i < 16; i++)
		assert_int_equal(in8(RBR), i);
	assert_int_equal(in8(IIR), 0xc2);	/* then THR empty ... */
	assert_int_equal(in8(IIR), 0xc0);	/* ... cleared by that read */
	assert_int_equal(in8(MSR), 0x10 | 0x0a);
	assert_int_equal(in8(IIR), 0xc1);
	/* Writing THR in loopback: THRE again, and the byte is data. */
	out8(RBR, 0x42);
	assert_int_equal(in8(IIR), 0xc4);
	assert_int_equal(in8(RBR), 0x42);
	assert_int_equal(in8(IIR), 0xc2);
	assert_int_equal(fk.nr_irq, 0);	/* all of it gated by loopback */
	destroy();
}

/* Linux's startup checks that THRE re-asserts when IER enables it. */
static void test_thre_interrupt(void **state)
{
	int p[2];
	char c;

	(void)state;
	assert_int_equal(pipe(p), 0);
	make(-1, p[1]);
	out8(MCR, 0x08);
	out8(IER, 0x02);
	assert_int_equal(level(), 1);
	assert_int_equal(in8(IIR), 0x02);
	assert_int_equal(level(), 0);
	assert_int_equal(in8(IIR), 0x01);
	out8(IER, 0);
	out8(IER, 0x02);
	assert_int_equal(level(), 1);
	assert_int_equal(in8(IIR), 0x02);
	out8(IER, 0x02);			/* already on: no new THRE */
	assert_int_equal(in8(IIR), 0x01);
	/* A THR write clears THRE and it comes back: a fresh edge. */
	fk.nr_irq = 0;
	out8(RBR, 'z');
	assert_int_equal(fk.nr_irq, 1);
	assert_int_equal(level(), 1);
	out8(RBR, 'z');
	assert_int_equal(fk.nr_irq, 3);
	assert_int_equal(fk.irq[1].level, 0);
	assert_int_equal(fk.irq[2].level, 1);
	assert_int_equal(read(p[0], &c, 1), 1);
	assert_int_equal(c, 'z');
	destroy();
	close(p[0]);
	close(p[1]);
}

static void test_overrun(void **state)
{
	static uint8_t big[SERIAL_PENDING_SIZE + 16 + 5];
	struct serial *s;
	size_t i;

	(void)state;
	/* Loopback into a full FIFO: the FIFO keeps its 16, the rest is lost. */
	s = make(-1, -1);
	out8(FCR, 0x01);
	out8(MCR, 0x10);
	for (i = 0; i < 20; i++)
		out8(RBR, 0x30 + i);
	assert_int_equal(in8(LSR), 0x63);
	assert_int_equal(in8(LSR), 0x61);	/* OE cleared by the read */
	for (i = 0; i < 16; i++)
		assert_int_equal(in8(RBR), 0x30 + i);
	assert_int_equal(in8(LSR), 0x60);
	/* Without FIFO a new byte replaces the unread one. */
	out8(FCR, 0x00);
	out8(RBR, 'a');
	out8(RBR, 'b');
	assert_int_equal(in8(LSR), 0x63);
	assert_int_equal(in8(RBR), 'b');
	assert_int_equal(in8(LSR), 0x60);
	out8(MCR, 0);
	out8(FCR, 0x01);

	/* Host input waits in the pending ring: nothing lost, no OE. */
	for (i = 0; i < 100; i++)
		big[i] = 0x20 + i % 90;
	serial_input(s, big, 100);
	for (i = 0; i < 100; i++) {
		assert_true(in8(LSR) & 0x01);
		assert_int_equal(in8(RBR), 0x20 + i % 90);
	}
	assert_int_equal(in8(LSR), 0x60);

	/* Past FIFO + ring the receiver overruns; the first bytes survive. */
	for (i = 0; i < sizeof(big); i++)
		big[i] = 0x20 + i % 90;
	serial_input(s, big, sizeof(big));
	assert_int_equal(in8(LSR), 0x63);
	for (i = 0; i < SERIAL_PENDING_SIZE + 16; i++)
		assert_int_equal(in8(RBR), 0x20 + i % 90);
	assert_int_equal(in8(LSR), 0x60);
	destroy();
}

static void test_out2_gating(void **state)
{
	struct serial *s;

	(void)state;
	s = make(-1, -1);
	out8(IER, 0x01);
	input(s, "q", 1);
	assert_int_equal(in8(IIR), 0x04);
	assert_int_equal(fk.nr_irq, 0);	/* OUT2 clear: line stays low */
	out8(MCR, 0x08);
	assert_int_equal(fk.nr_irq, 1);
	assert_int_equal(level(), 1);
	out8(MCR, 0x0b);			/* DTR|RTS|OUT2: no change */
	assert_int_equal(fk.nr_irq, 1);
	out8(MCR, 0x03);
	assert_int_equal(level(), 0);
	out8(MCR, 0x18);			/* OUT2 but loopback */
	assert_int_equal(level(), 0);
	assert_int_equal(fk.nr_irq, 2);
	out8(MCR, 0x08);
	assert_int_equal(level(), 1);
	assert_int_equal(in8(RBR), 'q');
	assert_int_equal(level(), 0);
	assert_int_equal(fk.nr_irq, 4);
	destroy();
}

static void drain(char *buf, size_t max, size_t *n)
{
	*n = 0;
	while ((in8(LSR) & 0x01) && *n < max)
		buf[(*n)++] = in8(RBR);
}

static void test_escape(void **state)
{
	struct serial *s;
	char buf[32];
	size_t n;

	(void)state;
	s = make(-1, -1);
	out8(FCR, 0x01);
	input(s, "a\x01\x01" "b\x01" "c", 6);
	drain(buf, sizeof(buf), &n);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "a\x01" "b\x01" "c", 5);
	assert_int_equal(fk.stop, VMM_STOP_NONE);
	input(s, "\x01", 1);			/* held across calls */
	drain(buf, sizeof(buf), &n);
	assert_int_equal(n, 0);
	input(s, "\x01", 1);
	drain(buf, sizeof(buf), &n);
	assert_int_equal(n, 1);
	assert_int_equal(buf[0], 0x01);
	input(s, "\x01", 1);
	input(s, "X", 1);			/* only lower-case x stops */
	drain(buf, sizeof(buf), &n);
	assert_int_equal(n, 2);
	assert_memory_equal(buf, "\x01X", 2);
	assert_int_equal(fk.stop, VMM_STOP_NONE);
	input(s, "k\x01", 2);
	input(s, "xzz", 3);
	assert_int_equal(fk.stop, VMM_STOP_REQUESTED);
	assert_int_equal(fk.stop_code, 0);
	drain(buf, sizeof(buf), &n);
	assert_int_equal(n, 1);
	assert_int_equal(buf[0], 'k');
	destroy();
}

/*
 * Ctrl-A x is stdio's way out: on a pty (or a socket) every byte is the
 * guest's, and the user there has their own way out.
 */
static void test_no_escape_on_pty(void **state)
{
	struct serial *s;
	char buf[32];
	size_t n;
	int m;

	(void)state;
	m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	assert_true(m >= 0);
	s = make_line(&(struct console_line){ .kind = VMM_CONSOLE_PTY, .fd = m });
	out8(FCR, 0x01);
	input(s, "a\x01x\x01\x01", 5);
	drain(buf, sizeof(buf), &n);
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "a\x01x\x01\x01", 5);
	assert_int_equal(fk.stop, VMM_STOP_NONE);
	destroy();
	close(m);
}

/* The in_fd path: read only what fits, pause, resume, nothing lost. */
static void test_fd_input(void **state)
{
	static uint8_t data[SERIAL_PENDING_SIZE * 2 + 300];
	size_t i, got = 0;
	int p[2], calls = 0;

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = 0x20 + (i * 7) % 90;
	data[100] = 0x01;			/* Ctrl-A Ctrl-A: one byte */
	data[101] = 0x01;
	assert_int_equal(pipe(p), 0);
	make(p[0], -1);
	assert_int_equal(loop_fd(), p[0]);
	assert_non_null(fk.loop[0].handler);
	out8(FCR, 0x01);
	assert_int_equal(write(p[1], data, sizeof(data)), sizeof(data));
	close(p[1]);
	while (loop_fd() >= 0) {
		loop_call(EPOLLIN);
		assert_true(++calls < 100);
	}
	assert_int_equal(fk.loop_dels, 1);	/* paused: the ring is full */
	for (i = 0; i < sizeof(data); i++) {
		if (i == 101)
			continue;
		while (!(in8(LSR) & 0x01)) {
			/* Drained: the fd is back in the loop; feed more. */
			assert_int_equal(loop_fd(), p[0]);
			loop_call(EPOLLIN);
		}
		assert_int_equal(in8(RBR), data[i]);
		got++;
	}
	assert_int_equal(got, sizeof(data) - 1);
	assert_int_equal(in8(LSR), 0x60);	/* no OE anywhere */
	assert_true(fk.loop_adds >= 2);
	/* EOF: the fd leaves the loop for good. */
	assert_int_equal(loop_fd(), p[0]);
	loop_call(EPOLLIN | EPOLLHUP);
	assert_int_equal(loop_fd(), -1);
	i = fk.loop_adds;
	serial_input(fk.dev[0].opaque, (const uint8_t *)"e", 1);
	assert_int_equal(in8(RBR), 'e');
	assert_int_equal(fk.loop_adds, i);
	destroy();
	close(p[0]);
}

/*
 * The I/O thread feeds the UART from a pipe while this thread, the vCPU,
 * drains it: the pause/resume hand-over between them loses nothing.
 */
struct io_thread_ctx {
	atomic_int done;
};

static void *io_thread(void *arg)
{
	struct io_thread_ctx *ctx = arg;
	struct pollfd pfd = { .events = POLLIN };
	struct fake_loop e;

	while (!atomic_load(&ctx->done)) {
		if (!fake_loop_entry(0, &e)) {
			usleep(50);
			continue;
		}
		pfd.fd = e.fd;
		if (poll(&pfd, 1, 10) > 0)
			e.handler(e.opaque, EPOLLIN);
	}
	return NULL;
}

static void test_concurrent_input(void **state)
{
	static uint8_t data[60000];
	struct io_thread_ctx ctx = { 0 };
	size_t i, got = 0, spins = 0;
	pthread_t t;
	int p[2];

	(void)state;
	for (i = 0; i < sizeof(data); i++)
		data[i] = 0x02 + (i * 13) % 250;	/* no Ctrl-A */
	assert_int_equal(pipe(p), 0);
	make(p[0], -1);
	out8(FCR, 0x01);
	assert_int_equal(pthread_create(&t, NULL, io_thread, &ctx), 0);
	assert_int_equal(write(p[1], data, sizeof(data)), sizeof(data));
	while (got < sizeof(data) && spins < 100000000) {
		if (!(in8(LSR) & 0x01)) {
			spins++;
			continue;
		}
		if (in8(RBR) != data[got])
			break;
		got++;
	}
	atomic_store(&ctx.done, 1);
	pthread_join(t, NULL);
	assert_int_equal(got, sizeof(data));
	assert_int_equal(in8(LSR), 0x60);
	assert_true(fk.loop_dels >= 1);	/* it did pause on the way */
	destroy();
	close(p[0]);
	close(p[1]);
}

static void test_hostile(void **state)
{
	static const struct console_line no_line = { .in_fd = -1, .out_fd = -1 };
	struct serial *s;
	struct fake_range *r;
	uint8_t d[8];

	(void)state;
	fake_vmm_setup(0);
	assert_int_equal(serial_create(&fake_vm, 0xfffc, 4, &no_line, &s),
			 -EINVAL);
	assert_non_null(strstr(fk.msg, "0xfffc"));
	assert_int_equal(serial_create(&fake_vm, 0x3f8, 99, &no_line, &s),
			 -EINVAL);
	assert_non_null(strstr(fk.msg, "99"));
	assert_int_equal(fk.nr_ranges, 0);
	assert_int_equal(fk.nr_dev, 0);
	/* out may be NULL; wide and unaligned accesses stay in range. */
	fake_vmm_setup(0);
	assert_int_equal(serial_create(&fake_vm, 0x2f8, 3, &no_line, NULL), 0);
	r = fake_io_single();
	assert_int_equal(r->space, VMM_SPACE_PIO);
	out8(SCR, 0xa5);
	memset(d, 0, sizeof(d));
	r->ops->read(r->opaque, 6, d, 4);
	assert_int_equal(d[0], 0xb0);
	assert_int_equal(d[1], 0xa5);
	assert_int_equal(d[2], 0xff);
	assert_int_equal(d[3], 0xff);
	r->ops->read(r->opaque, 200, d, 8);
	assert_int_equal(d[7], 0xff);
	memset(d, 0x77, sizeof(d));
	r->ops->write(r->opaque, 3, d, 8);	/* LCR..SCR, then nothing */
	assert_int_equal(in8(LCR), 0x77);
	assert_int_equal(in8(SCR), 0x77);
	r->ops->write(r->opaque, 1000, d, 4);
	destroy();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_divisor_latch),
		cmocka_unit_test(test_register_round_trip),
		cmocka_unit_test(test_linux_probe),
		cmocka_unit_test(test_thr_output),
		cmocka_unit_test(test_stalled_reader),
		cmocka_unit_test(test_output_limit),
		cmocka_unit_test(test_rx_irq),
		cmocka_unit_test(test_fifo_trigger),
		cmocka_unit_test(test_iir_priorities),
		cmocka_unit_test(test_thre_interrupt),
		cmocka_unit_test(test_overrun),
		cmocka_unit_test(test_out2_gating),
		cmocka_unit_test(test_escape),
		cmocka_unit_test(test_no_escape_on_pty),
		cmocka_unit_test(test_fd_input),
		cmocka_unit_test(test_concurrent_input),
		cmocka_unit_test(test_hostile),
	};

	signal(SIGPIPE, SIG_IGN);	/* the closed-reader case */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
