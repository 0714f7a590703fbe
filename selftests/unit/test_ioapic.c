// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/irq/ioapic.c: registers, redirection entries, edge
 * and level delivery, remote IRR and EOI, and a hostile guest.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kmod/irq/ioapic.h"

/* Redirection entry bits, from the 82093AA datasheet. */
#define DM(m)		((u32)(m) << 8)
#define LOGICAL		(1u << 11)
#define DELIVS		(1u << 12)
#define POLARITY_LOW	(1u << 13)
#define REMOTE_IRR	(1u << 14)
#define LEVEL		(1u << 15)
#define MASKED		(1u << 16)
#define DEST(d)		((u32)(d) << 24)	/* in the high dword */

#define MAX_MSGS	64

struct fake_lapics {
	struct vhv_irq_msg msgs[MAX_MSGS];
	unsigned int n;		/* messages sent, even past MAX_MSGS */
	unsigned long total, total_level;
	struct vhv_ioapic *io;	/* to check the state seen from send */
};

/* Records the message; a level one must find its entry's remote IRR set. */
static void fake_send(void *ctx, const struct vhv_irq_msg *msg)
{
	struct fake_lapics *f = ctx;
	unsigned int pin;
	bool irr_set = false;

	if (msg->level) {
		for (pin = 0; pin < VHV_IOAPIC_PINS; pin++)
			if ((f->io->redir[pin] & 0xff) == msg->vector &&
			    (f->io->redir[pin] & REMOTE_IRR))
				irr_set = true;
		assert_true(irr_set);
		f->total_level++;
	}
	if (f->n < MAX_MSGS)
		f->msgs[f->n] = *msg;
	f->n++;
	f->total++;
}

struct t {
	struct vhv_ioapic io;
	struct fake_lapics f;
};

static void setup(struct t *t)
{
	memset(t, 0xa5, sizeof(*t));	/* init must not rely on zeroed memory */
	memset(&t->f, 0, sizeof(t->f));
	t->f.io = &t->io;
	vhv_ioapic_init(&t->io, fake_send, &t->f);
}

static u32 reg_read(struct t *t, u32 reg)
{
	vhv_ioapic_write(&t->io, VHV_IOAPIC_IOREGSEL, reg);
	return vhv_ioapic_read(&t->io, VHV_IOAPIC_IOWIN);
}

static void reg_write(struct t *t, u32 reg, u32 val)
{
	vhv_ioapic_write(&t->io, VHV_IOAPIC_IOREGSEL, reg);
	vhv_ioapic_write(&t->io, VHV_IOAPIC_IOWIN, val);
}

static u32 low(struct t *t, unsigned int pin)
{
	return reg_read(t, 0x10 + 2 * pin);
}

static u32 high(struct t *t, unsigned int pin)
{
	return reg_read(t, 0x11 + 2 * pin);
}

/* Linux's ioapic_write_entry(): high dword first, then low. */
static void program(struct t *t, unsigned int pin, u32 lo, u32 hi)
{
	reg_write(t, 0x11 + 2 * pin, hi);
	reg_write(t, 0x10 + 2 * pin, lo);
}

static void assert_msg(const struct t *t, unsigned int i, u32 dest, u8 vector,
		       u8 dm, bool logical, bool level)
{
	const struct vhv_irq_msg *m = &t->f.msgs[i];

	assert_true(i < t->f.n);
	assert_int_equal(m->dest, dest);
	assert_int_equal(m->vector, vector);
	assert_int_equal(m->delivery_mode, dm);
	assert_int_equal(m->dest_logical, logical);
	assert_int_equal(m->level, level);
}

/* Reset: every entry masked (0x00010000 / 0), id 0, nothing sent on asserts. */
static void test_reset_state(void **state)
{
	struct t t;
	unsigned int pin;

	(void)state;
	setup(&t);
	assert_int_equal(vhv_ioapic_read(&t.io, VHV_IOAPIC_IOREGSEL), 0);
	assert_int_equal(reg_read(&t, 0x00), 0);
	for (pin = 0; pin < VHV_IOAPIC_PINS; pin++) {
		assert_int_equal(low(&t, pin), MASKED);
		assert_int_equal(high(&t, pin), 0);
		assert_int_equal(vhv_ioapic_set_irq(&t.io, pin, true), 0);
	}
	assert_int_equal(t.f.n, 0);
}

/* IOAPICID (27:24 writable), IOAPICVER (0x170020), IOAPICARB (= id),
 * IOREGSEL read-back, unimplemented registers and offsets. */
static void test_id_version_arbitration(void **state)
{
	struct t t;
	u32 reg;

	(void)state;
	setup(&t);
	assert_int_equal(reg_read(&t, 0x01), 0x00170020);
	reg_write(&t, 0x00, 0xffffffff);
	assert_int_equal(reg_read(&t, 0x00), 0x0f000000);
	assert_int_equal(reg_read(&t, 0x02), 0x0f000000);
	reg_write(&t, 0x00, 0x02000000);
	assert_int_equal(reg_read(&t, 0x00), 0x02000000);
	assert_int_equal(reg_read(&t, 0x02), 0x02000000);

	/* IOAPICVER and IOAPICARB are read-only */
	reg_write(&t, 0x01, 0xffffffff);
	reg_write(&t, 0x02, 0);
	assert_int_equal(reg_read(&t, 0x01), 0x00170020);
	assert_int_equal(reg_read(&t, 0x02), 0x02000000);

	/* IOREGSEL keeps bits 7:0 */
	vhv_ioapic_write(&t.io, VHV_IOAPIC_IOREGSEL, 0xdeadbe11);
	assert_int_equal(vhv_ioapic_read(&t.io, VHV_IOAPIC_IOREGSEL), 0x11);

	/* unimplemented registers read 0 and ignore writes */
	for (reg = 0x03; reg < 0x10; reg++) {
		reg_write(&t, reg, 0xffffffff);
		assert_int_equal(reg_read(&t, reg), 0);
	}
	for (reg = 0x40; reg < 0x100; reg++) {
		reg_write(&t, reg, 0xffffffff);
		assert_int_equal(reg_read(&t, reg), 0);
	}
	/* the EOI register is write-only; other offsets read 0 */
	assert_int_equal(vhv_ioapic_read(&t.io, VHV_IOAPIC_EOI), 0);
	assert_int_equal(vhv_ioapic_read(&t.io, 0x04), 0);
	assert_int_equal(vhv_ioapic_read(&t.io, 0x20), 0);
	vhv_ioapic_write(&t.io, 0x20, 0x12);	/* ignored */
	assert_int_equal(vhv_ioapic_read(&t.io, VHV_IOAPIC_IOREGSEL), 0xff);
	assert_int_equal(t.f.n, 0);
}

/* Entries read back their writable bits; delivery status (12), remote IRR
 * (14) and reserved bits read 0 whatever is written. */
static void test_entry_readback(void **state)
{
	struct t t;
	unsigned int pin;

	(void)state;
	setup(&t);
	for (pin = 0; pin < VHV_IOAPIC_PINS; pin++) {
		program(&t, pin, 0xffffffff, 0xffffffff);
		assert_int_equal(low(&t, pin), 0x0001afff);
		assert_int_equal(high(&t, pin), 0xff000000);
		program(&t, pin, DELIVS | REMOTE_IRR | MASKED | 0x31,
			0x00ffffff | DEST(0x12));
		assert_int_equal(low(&t, pin), MASKED | 0x31);
		assert_int_equal(high(&t, pin), DEST(0x12));
	}
	/* each entry is its own */
	assert_int_equal(low(&t, 0), MASKED | 0x31);
	program(&t, 5, MASKED | 0x45, DEST(5));
	assert_int_equal(low(&t, 4), MASKED | 0x31);
	assert_int_equal(low(&t, 5), MASKED | 0x45);
	assert_int_equal(low(&t, 6), MASKED | 0x31);
	assert_int_equal(t.f.n, 0);
}

/* Remote IRR is read-only: a guest can neither set nor clear it by writing. */
static void test_remote_irr_read_only(void **state)
{
	struct t t;

	(void)state;
	setup(&t);
	program(&t, 3, LEVEL | REMOTE_IRR | 0x40, 0);
	assert_int_equal(low(&t, 3), LEVEL | 0x40);
	vhv_ioapic_set_irq(&t.io, 3, true);
	assert_int_equal(t.f.n, 1);
	assert_int_equal(low(&t, 3), LEVEL | REMOTE_IRR | 0x40);
	reg_write(&t, 0x16, LEVEL | 0x40);	/* bit 14 written as 0 */
	assert_int_equal(low(&t, 3), LEVEL | REMOTE_IRR | 0x40);
	assert_int_equal(t.f.n, 1);
}

/*
 * Linux's pattern (arch/x86/kernel/apic/io_apic.c): entries written high
 * dword then low, masked and unmasked through bit 16 by rewriting the low
 * dword from its cache, masked with ioapic_mask_entry() (low first), EOI
 * through register 0x40 on version 0x20.
 */
static void test_linux_programming(void **state)
{
	struct t t;
	u32 lo = MASKED | LEVEL | POLARITY_LOW | DM(VHV_DM_FIXED) | 0x31;

	(void)state;
	setup(&t);
	/* setup_ioapic_irq(): routed, masked, line already asserted */
	program(&t, 9, lo, DEST(3));
	vhv_ioapic_set_irq(&t.io, 9, true);
	assert_int_equal(t.f.n, 0);
	assert_int_equal(low(&t, 9), lo);
	assert_int_equal(high(&t, 9), DEST(3));

	/* unmask_ioapic_irq(): rewrite the cached low dword, bit 16 clear */
	lo &= ~MASKED;
	reg_write(&t, 0x10 + 2 * 9, lo);
	assert_int_equal(t.f.n, 1);
	assert_msg(&t, 0, 3, 0x31, VHV_DM_FIXED, false, true);
	assert_int_equal(low(&t, 9), lo | REMOTE_IRR);

	/* mask while in service: remote IRR survives; EOI clears it without
	 * sending (masked); unmask sends the still-asserted line */
	reg_write(&t, 0x10 + 2 * 9, lo | MASKED);
	assert_int_equal(low(&t, 9), lo | MASKED | REMOTE_IRR);
	vhv_ioapic_write(&t.io, VHV_IOAPIC_EOI, 0x31);
	assert_int_equal(low(&t, 9), lo | MASKED);
	assert_int_equal(t.f.n, 1);
	reg_write(&t, 0x10 + 2 * 9, lo);
	assert_int_equal(t.f.n, 2);

	/* retarget (set_affinity): high then low; the next message goes to
	 * the new destination */
	program(&t, 9, lo, DEST(7));
	vhv_ioapic_eoi(&t.io, 0x31);
	assert_int_equal(t.f.n, 3);
	assert_msg(&t, 2, 7, 0x31, VHV_DM_FIXED, false, true);

	/* ioapic_mask_entry(): low (masked) first, then high 0 */
	reg_write(&t, 0x10 + 2 * 9, MASKED);
	reg_write(&t, 0x11 + 2 * 9, 0);
	assert_int_equal(low(&t, 9), MASKED);	/* edge: remote IRR cleared */
	assert_int_equal(high(&t, 9), 0);
	vhv_ioapic_eoi(&t.io, 0x31);
	assert_int_equal(t.f.n, 3);
}

/* Edge pins: one message per rising edge while unmasked; an edge while
 * masked is lost (not sent at unmask). */
static void test_edge_delivery_and_masking(void **state)
{
	struct t t;

	(void)state;
	setup(&t);
	program(&t, 2, DM(VHV_DM_FIXED) | 0x30, DEST(1));
	vhv_ioapic_set_irq(&t.io, 2, true);
	assert_int_equal(t.f.n, 1);
	assert_msg(&t, 0, 1, 0x30, VHV_DM_FIXED, false, false);
	assert_int_equal(low(&t, 2), 0x30);	/* no remote IRR on edge */

	vhv_ioapic_set_irq(&t.io, 2, true);	/* still high: no edge */
	vhv_ioapic_set_irq(&t.io, 2, false);
	assert_int_equal(t.f.n, 1);
	vhv_ioapic_set_irq(&t.io, 2, true);
	vhv_ioapic_set_irq(&t.io, 2, false);
	assert_int_equal(t.f.n, 2);

	/* EOI does nothing for edge pins */
	vhv_ioapic_eoi(&t.io, 0x30);
	vhv_ioapic_write(&t.io, VHV_IOAPIC_EOI, 0x30);
	assert_int_equal(t.f.n, 2);

	/* an edge while masked is lost, also across the unmask */
	reg_write(&t, 0x14, MASKED | 0x30);
	vhv_ioapic_set_irq(&t.io, 2, true);
	assert_int_equal(t.f.n, 2);
	reg_write(&t, 0x14, 0x30);
	assert_int_equal(t.f.n, 2);
	vhv_ioapic_set_irq(&t.io, 2, false);
	vhv_ioapic_set_irq(&t.io, 2, true);
	assert_int_equal(t.f.n, 3);

	/* other pins are untouched */
	vhv_ioapic_set_irq(&t.io, 1, true);
	assert_int_equal(t.f.n, 3);
}

/* Level pins: send when asserted, unmasked and remote IRR clear; remote
 * IRR set on delivery holds further messages back until an EOI. */
static void test_level_remote_irr(void **state)
{
	struct t t;

	(void)state;
	setup(&t);
	program(&t, 10, LEVEL | DM(VHV_DM_LOWEST) | LOGICAL | 0x41, DEST(0x0f));
	assert_int_equal(t.f.n, 0);		/* not asserted */
	vhv_ioapic_set_irq(&t.io, 10, true);
	assert_int_equal(t.f.n, 1);
	assert_msg(&t, 0, 0x0f, 0x41, VHV_DM_LOWEST, true, true);
	assert_true(low(&t, 10) & REMOTE_IRR);

	vhv_ioapic_set_irq(&t.io, 10, true);
	vhv_ioapic_set_irq(&t.io, 10, false);
	vhv_ioapic_set_irq(&t.io, 10, true);
	assert_int_equal(t.f.n, 1);
	assert_true(low(&t, 10) & REMOTE_IRR);
}

/* vhv_ioapic_eoi() clears remote IRR of every level pin with the vector
 * and resends those still asserted, not the deasserted ones. */
static void test_eoi_resends_asserted(void **state)
{
	struct t t;

	(void)state;
	setup(&t);
	program(&t, 16, LEVEL | 0x50, DEST(1));
	program(&t, 17, LEVEL | 0x50, DEST(2));
	program(&t, 18, LEVEL | 0x51, DEST(3));
	vhv_ioapic_set_irq(&t.io, 16, true);
	vhv_ioapic_set_irq(&t.io, 17, true);
	vhv_ioapic_set_irq(&t.io, 18, true);
	assert_int_equal(t.f.n, 3);

	/* the device behind pin 17 was serviced: line down */
	vhv_ioapic_set_irq(&t.io, 17, false);
	vhv_ioapic_eoi(&t.io, 0x50);
	assert_int_equal(t.f.n, 4);
	assert_msg(&t, 3, 1, 0x50, VHV_DM_FIXED, false, true);
	assert_true(low(&t, 16) & REMOTE_IRR);
	assert_false(low(&t, 17) & REMOTE_IRR);
	assert_true(low(&t, 18) & REMOTE_IRR);	/* another vector */

	/* the line comes back: remote IRR is clear, so it sends */
	vhv_ioapic_set_irq(&t.io, 17, true);
	assert_int_equal(t.f.n, 5);
	assert_msg(&t, 4, 2, 0x50, VHV_DM_FIXED, false, true);

	/* an EOI of an unrelated vector changes nothing */
	vhv_ioapic_eoi(&t.io, 0x99);
	assert_int_equal(t.f.n, 5);
	assert_true(low(&t, 16) & REMOTE_IRR);
}

/* The EOI register (0x40) behaves like vhv_ioapic_eoi(); bits 31:8 of the
 * written value are ignored. */
static void test_eoi_register(void **state)
{
	struct t t;

	(void)state;
	setup(&t);
	program(&t, 20, LEVEL | 0x60, DEST(0));
	vhv_ioapic_set_irq(&t.io, 20, true);
	assert_int_equal(t.f.n, 1);
	vhv_ioapic_write(&t.io, VHV_IOAPIC_EOI, 0xffffff60);
	assert_int_equal(t.f.n, 2);
	assert_true(low(&t, 20) & REMOTE_IRR);

	vhv_ioapic_set_irq(&t.io, 20, false);
	vhv_ioapic_write(&t.io, VHV_IOAPIC_EOI, 0x60);
	assert_int_equal(t.f.n, 2);
	assert_false(low(&t, 20) & REMOTE_IRR);
	/* IOREGSEL is untouched by EOI writes */
	vhv_ioapic_write(&t.io, VHV_IOAPIC_IOREGSEL, 0x29);
	vhv_ioapic_write(&t.io, VHV_IOAPIC_EOI, 0x60);
	assert_int_equal(vhv_ioapic_read(&t.io, VHV_IOAPIC_IOREGSEL), 0x29);
}

/* The EOI notifier (irqfd resampling): told of each pin an EOI clears. */
struct eoi_log {
	struct fake_lapics f;	/* first: it is the send callback's ctx too */
	u32 pins;		/* pins notified */
	u32 release;		/* pins whose source lets go at the EOI */
	unsigned int calls;
};

static bool fake_eoi(void *ctx, unsigned int pin)
{
	struct eoi_log *l = ctx;

	assert_true(pin < VHV_IOAPIC_PINS);
	/* Called after remote IRR is cleared, before the pin is re-checked. */
	assert_false(l->f.io->redir[pin] & REMOTE_IRR);
	l->pins |= 1u << pin;
	l->calls++;
	return l->release & (1u << pin);
}

static void test_eoi_notify(void **state)
{
	struct vhv_ioapic io;
	struct eoi_log l;

	(void)state;
	memset(&l, 0, sizeof(l));
	l.f.io = &io;
	vhv_ioapic_init(&io, fake_send, &l);
	assert_null(io.eoi_notify);
	io.eoi_notify = fake_eoi;
	vhv_ioapic_write(&io, VHV_IOAPIC_IOREGSEL, 0x11 + 2 * 9);
	vhv_ioapic_write(&io, VHV_IOAPIC_IOWIN, 0);
	vhv_ioapic_write(&io, VHV_IOAPIC_IOREGSEL, 0x10 + 2 * 9);
	vhv_ioapic_write(&io, VHV_IOAPIC_IOWIN, LEVEL | 0x70);
	vhv_ioapic_write(&io, VHV_IOAPIC_IOREGSEL, 0x11 + 2 * 10);
	vhv_ioapic_write(&io, VHV_IOAPIC_IOWIN, 0);
	vhv_ioapic_write(&io, VHV_IOAPIC_IOREGSEL, 0x10 + 2 * 10);
	vhv_ioapic_write(&io, VHV_IOAPIC_IOWIN, LEVEL | 0x70);
	vhv_ioapic_set_irq(&io, 9, true);
	vhv_ioapic_set_irq(&io, 10, true);
	assert_int_equal(l.f.n, 2);

	/* Pin 9's source lets go at the EOI: not sent again; pin 10 is. */
	l.release = 1u << 9;
	vhv_ioapic_eoi(&io, 0x70);
	assert_int_equal(l.pins, (1u << 9) | (1u << 10));
	assert_int_equal(l.calls, 2);
	assert_int_equal(l.f.n, 3);
	assert_int_equal(l.f.msgs[2].vector, 0x70);
	assert_false(io.asserted & (1u << 9));
	assert_true(io.asserted & (1u << 10));

	/* Raised again, pin 9 sends at once (remote IRR was cleared). */
	vhv_ioapic_set_irq(&io, 9, true);
	assert_int_equal(l.f.n, 4);

	/* No pin with remote IRR for the vector: no notification. */
	l.calls = 0;
	vhv_ioapic_eoi(&io, 0x71);
	assert_int_equal(l.calls, 0);
	/* The EOI register notifies too; vectors below 16 never do. */
	l.release = ~0u;
	vhv_ioapic_write(&io, VHV_IOAPIC_EOI, 0x70);
	assert_int_equal(l.calls, 2);
	assert_int_equal(io.asserted & ((1u << 9) | (1u << 10)), 0);
	vhv_ioapic_eoi(&io, 0x0f);
	assert_int_equal(l.calls, 2);
}

/* Unmasking an asserted level pin with remote IRR clear sends once. */
static void test_unmask_asserted_level(void **state)
{
	struct t t;

	(void)state;
	setup(&t);
	program(&t, 11, MASKED | LEVEL | 0x70, DEST(4));
	vhv_ioapic_set_irq(&t.io, 11, true);
	assert_int_equal(t.f.n, 0);
	assert_false(low(&t, 11) & REMOTE_IRR);
	reg_write(&t, 0x10 + 2 * 11, LEVEL | 0x70);
	assert_int_equal(t.f.n, 1);
	assert_msg(&t, 0, 4, 0x70, VHV_DM_FIXED, false, true);
	/* rewriting the same entry does not send again */
	reg_write(&t, 0x10 + 2 * 11, LEVEL | 0x70);
	assert_int_equal(t.f.n, 1);

	/* unmasking a deasserted level pin sends nothing */
	program(&t, 12, MASKED | LEVEL | 0x71, 0);
	reg_write(&t, 0x10 + 2 * 12, LEVEL | 0x71);
	assert_int_equal(t.f.n, 1);
}

/* Writing trigger mode edge clears remote IRR; back to level with the line
 * still asserted redelivers (the pre-0x20 EOI trick in Linux's
 * eoi_ioapic_pin()). */
static void test_trigger_change_clears_remote_irr(void **state)
{
	struct t t;

	(void)state;
	setup(&t);
	program(&t, 7, LEVEL | 0x80, DEST(0));
	vhv_ioapic_set_irq(&t.io, 7, true);
	assert_int_equal(t.f.n, 1);
	assert_true(low(&t, 7) & REMOTE_IRR);

	reg_write(&t, 0x10 + 2 * 7, MASKED | 0x80);	/* masked, edge */
	assert_int_equal(low(&t, 7), MASKED | 0x80);
	assert_int_equal(t.f.n, 1);
	reg_write(&t, 0x10 + 2 * 7, LEVEL | 0x80);
	assert_int_equal(t.f.n, 2);
	assert_msg(&t, 1, 0, 0x80, VHV_DM_FIXED, false, true);

	/* unmasked switch to edge while asserted: no edge, nothing sent */
	reg_write(&t, 0x10 + 2 * 7, 0x80);
	assert_int_equal(low(&t, 7), 0x80);
	assert_int_equal(t.f.n, 2);
}

/* vhv_ioapic_entry_msg(): every field, ExtINT, NMI, SMI, INIT, logical
 * destination; level only for fixed and lowest priority. */
static void test_entry_decode(void **state)
{
	struct vhv_irq_msg m;

	(void)state;
	vhv_ioapic_entry_msg(0xab00000000000000ull | LEVEL | LOGICAL |
			     DM(VHV_DM_FIXED) | 0x35, &m);
	assert_int_equal(m.dest, 0xab);
	assert_int_equal(m.vector, 0x35);
	assert_int_equal(m.delivery_mode, VHV_DM_FIXED);
	assert_true(m.dest_logical);
	assert_true(m.level);
	assert_true(m.dest8);		/* 8 bits of destination: 0xff is everyone */

	vhv_ioapic_entry_msg(DM(VHV_DM_EXTINT), &m);	/* Linux's virtual wire */
	assert_int_equal(m.delivery_mode, VHV_DM_EXTINT);
	assert_int_equal(m.dest, 0);
	assert_false(m.dest_logical);
	assert_false(m.level);

	vhv_ioapic_entry_msg(0x0100000000000000ull | LEVEL | DM(VHV_DM_NMI), &m);
	assert_int_equal(m.delivery_mode, VHV_DM_NMI);
	assert_int_equal(m.dest, 1);
	assert_false(m.level);			/* NMI is edge */

	vhv_ioapic_entry_msg(LEVEL | DM(VHV_DM_EXTINT), &m);
	assert_false(m.level);
	vhv_ioapic_entry_msg(LEVEL | DM(VHV_DM_INIT), &m);
	assert_int_equal(m.delivery_mode, VHV_DM_INIT);
	assert_false(m.level);
	vhv_ioapic_entry_msg(LEVEL | DM(VHV_DM_SMI), &m);
	assert_int_equal(m.delivery_mode, VHV_DM_SMI);
	assert_false(m.level);
	vhv_ioapic_entry_msg(LEVEL | LOGICAL | DM(VHV_DM_LOWEST) | 0xff, &m);
	assert_int_equal(m.delivery_mode, VHV_DM_LOWEST);
	assert_int_equal(m.vector, 0xff);
	assert_true(m.level);
	/* polarity, mask, remote IRR and reserved bits do not leak */
	vhv_ioapic_entry_msg(0x00ffffff00000000ull | MASKED | REMOTE_IRR |
			     DELIVS | POLARITY_LOW | 0xfffe0000, &m);
	assert_int_equal(m.dest, 0);
	assert_int_equal(m.vector, 0);
	assert_int_equal(m.delivery_mode, 0);
	assert_false(m.dest_logical);
}

/* NMI and ExtINT pins programmed level behave as edge: one message per
 * rising edge, no remote IRR, nothing on EOI. */
static void test_nmi_extint_pins_edge(void **state)
{
	struct t t;

	(void)state;
	setup(&t);
	program(&t, 0, DM(VHV_DM_EXTINT), DEST(0));
	program(&t, 1, LEVEL | DM(VHV_DM_NMI) | 0x22, DEST(0xff));
	vhv_ioapic_set_irq(&t.io, 0, true);
	assert_int_equal(t.f.n, 1);
	assert_msg(&t, 0, 0, 0, VHV_DM_EXTINT, false, false);
	vhv_ioapic_set_irq(&t.io, 1, true);
	assert_int_equal(t.f.n, 2);
	assert_msg(&t, 1, 0xff, 0x22, VHV_DM_NMI, false, false);
	assert_false(low(&t, 1) & REMOTE_IRR);
	vhv_ioapic_eoi(&t.io, 0x22);
	vhv_ioapic_set_irq(&t.io, 1, true);
	reg_write(&t, 0x12, LEVEL | DM(VHV_DM_NMI) | 0x22);
	assert_int_equal(t.f.n, 2);
	vhv_ioapic_set_irq(&t.io, 1, false);
	vhv_ioapic_set_irq(&t.io, 1, true);
	assert_int_equal(t.f.n, 3);
}

/* State written into the struct directly (a restore by the glue) may hold
 * any bits: reads still show no reserved or delivery-status bits, and
 * delivery stays bounded. */
static void test_restored_garbage_state(void **state)
{
	struct t t;
	unsigned int pin;

	(void)state;
	setup(&t);
	memset(t.io.redir, 0xff, sizeof(t.io.redir));
	t.io.redir[3] &= ~(u64)MASKED;
	t.io.id = ~0u;
	t.io.ioregsel = ~0u;
	t.io.asserted = ~0u;
	assert_int_equal(vhv_ioapic_read(&t.io, VHV_IOAPIC_IOREGSEL), 0xff);
	assert_int_equal(vhv_ioapic_read(&t.io, VHV_IOAPIC_IOWIN), 0);
	assert_int_equal(reg_read(&t, 0x00), 0x0f000000);
	assert_int_equal(reg_read(&t, 0x02), 0x0f000000);
	for (pin = 0; pin < VHV_IOAPIC_PINS; pin++) {
		assert_int_equal(low(&t, pin), pin == 3 ? 0x0000efff : 0x0001efff);
		assert_int_equal(high(&t, pin), 0xff000000);
	}
	assert_int_equal(t.f.n, 0);
	/* pin 3: ExtINT, level bit ignored; a rising edge sends once */
	vhv_ioapic_set_irq(&t.io, 3, false);
	vhv_ioapic_set_irq(&t.io, 3, true);
	assert_int_equal(t.f.n, 1);
	assert_msg(&t, 0, 0xff, 0xff, VHV_DM_EXTINT, true, false);
	vhv_ioapic_write(&t.io, VHV_IOAPIC_EOI, 0xff);
	vhv_ioapic_eoi(&t.io, 0xff);
	assert_int_equal(t.f.n, 1);
}

/* Pins >= 24 are refused with -EINVAL and change nothing. */
static void test_pin_out_of_range(void **state)
{
	struct t t;
	unsigned int pin;

	(void)state;
	setup(&t);
	for (pin = 0; pin < VHV_IOAPIC_PINS; pin++)
		program(&t, pin, 0x30, DEST(0));
	assert_int_equal(vhv_ioapic_set_irq(&t.io, 24, true), -EINVAL);
	assert_int_equal(vhv_ioapic_set_irq(&t.io, 32, true), -EINVAL);
	assert_int_equal(vhv_ioapic_set_irq(&t.io, 64, true), -EINVAL);
	assert_int_equal(vhv_ioapic_set_irq(&t.io, ~0u, true), -EINVAL);
	assert_int_equal(t.f.n, 0);
	assert_int_equal(t.io.asserted, 0);
	assert_int_equal(vhv_ioapic_set_irq(&t.io, 23, true), 0);
	assert_int_equal(t.f.n, 1);
}

/* Storm guards: a level pin with an illegal vector (< 16) sends once and
 * stays quiet on LAPIC EOIs (only the guest's EOI register releases it, one
 * message per write); reserved delivery modes 3 and 6 never send. */
static void test_storm_guards(void **state)
{
	struct t t;
	unsigned int i;

	(void)state;
	setup(&t);
	program(&t, 4, LEVEL | 0x05, DEST(0));
	vhv_ioapic_set_irq(&t.io, 4, true);
	assert_int_equal(t.f.n, 1);
	for (i = 0; i < 1000; i++)
		vhv_ioapic_eoi(&t.io, 0x05);
	assert_int_equal(t.f.n, 1);
	assert_true(low(&t, 4) & REMOTE_IRR);
	vhv_ioapic_write(&t.io, VHV_IOAPIC_EOI, 0x05);
	assert_int_equal(t.f.n, 2);

	/* reserved delivery modes, edge and level, asserted and unmasked */
	program(&t, 5, LEVEL | DM(3) | 0x40, DEST(0));
	program(&t, 6, LEVEL | DM(6) | 0x40, DEST(0));
	program(&t, 7, DM(3) | 0x41, DEST(0));
	program(&t, 8, DM(6) | 0x41, DEST(0));
	for (i = 5; i <= 8; i++) {
		vhv_ioapic_set_irq(&t.io, i, true);
		vhv_ioapic_set_irq(&t.io, i, false);
		vhv_ioapic_set_irq(&t.io, i, true);
		assert_false(low(&t, i) & REMOTE_IRR);
	}
	vhv_ioapic_eoi(&t.io, 0x40);
	vhv_ioapic_write(&t.io, VHV_IOAPIC_EOI, 0x40);
	assert_int_equal(t.f.n, 2);
	/* still readable as written */
	assert_int_equal(low(&t, 6), LEVEL | DM(6) | 0x40);
}

/* xorshift64: a fixed sequence, so a failure reproduces. */
static u64 rnd(u64 *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void check_invariants(struct t *t)
{
	u32 sel = vhv_ioapic_read(&t->io, VHV_IOAPIC_IOREGSEL);
	unsigned int pin;

	assert_true(sel <= 0xff);
	assert_int_equal(reg_read(t, 0x00) & ~0x0f000000u, 0);
	assert_int_equal(reg_read(t, 0x01), 0x00170020);
	for (pin = 0; pin < VHV_IOAPIC_PINS; pin++) {
		u32 lo = low(t, pin), dm = (lo >> 8) & 7;
		bool level_dm = (lo & LEVEL) && dm <= VHV_DM_LOWEST;

		assert_int_equal(lo & (0xfffe0000u | DELIVS), 0);
		assert_int_equal(high(t, pin) & 0x00ffffff, 0);
		if (lo & REMOTE_IRR)
			assert_true(lo & LEVEL);
		/* no level pin left due and unsent */
		if (level_dm && !(lo & (MASKED | REMOTE_IRR)))
			assert_false(t->io.asserted & (1u << pin));
	}
	assert_int_equal(t->io.asserted >> VHV_IOAPIC_PINS, 0);
	vhv_ioapic_write(&t->io, VHV_IOAPIC_IOREGSEL, sel);
}

static void check_msgs(struct t *t, unsigned int max)
{
	unsigned int i;

	assert_true(t->f.n <= max);
	for (i = 0; i < t->f.n; i++) {
		const struct vhv_irq_msg *m = &t->f.msgs[i];

		assert_true(m->delivery_mode != 3 && m->delivery_mode != 6);
		assert_true(m->dest <= 0xff);
		if (m->level)
			assert_true(m->delivery_mode <= VHV_DM_LOWEST);
	}
}

/*
 * A hostile guest: random values at every register and offset, random
 * source lines and LAPIC EOIs, with a fixed seed.  Under ASan/UBSan
 * nothing may crash, every call sends at most one message per pin (one for
 * set_irq and entry writes), no reserved mode goes out, and the state
 * stays one the guest could legally read.
 */
static void test_hostile_guest(void **state)
{
	static const u32 offsets[] = { 0x00, 0x10, 0x40, 0x04, 0x14, 0x20, 0xfc,
				       0x41, 0x100, 0xffffffff };
	/* a few shared vectors, one illegal, so EOIs find their pins */
	static const u8 vectors[] = { 0x05, 0x20, 0x21, 0x22 };
	struct t t;
	u64 seed = 0x1b873593cc9e2d51ull;
	unsigned long eoi_resends = 0;
	unsigned int i;

	(void)state;
	setup(&t);
	for (i = 0; i < 300000; i++) {
		u64 r = rnd(&seed);
		unsigned int max = 1;
		u32 val = (u32)(r >> 32);

		if (r & 0x400)
			val = (val & ~0xffu) | vectors[(r >> 16) % 4];
		t.f.n = 0;	/* each call's messages alone */
		switch (r % 8) {
		case 0:	/* select mostly real registers */
			vhv_ioapic_write(&t.io, VHV_IOAPIC_IOREGSEL,
					 r & 0x100 ? val : (val % 0x40));
			break;
		case 1:
		case 2:	/* entries unmasked often enough to fire */
			if (r & 0x200)
				val &= ~MASKED;
			vhv_ioapic_write(&t.io, VHV_IOAPIC_IOWIN, val);
			break;
		case 3:
			vhv_ioapic_read(&t.io, offsets[(r >> 8) % 10]);
			vhv_ioapic_write(&t.io, offsets[(r >> 12) % 10], val);
			max = VHV_IOAPIC_PINS;
			break;
		case 4:
		case 5:
			assert_int_equal(vhv_ioapic_set_irq(&t.io, (r >> 8) % 26,
							    r & 0x800),
					 (r >> 8) % 26 < 24 ? 0 : -EINVAL);
			break;
		case 6:
			vhv_ioapic_eoi(&t.io, val);
			max = VHV_IOAPIC_PINS;
			eoi_resends += t.f.n;
			break;
		case 7:
			vhv_ioapic_write(&t.io, VHV_IOAPIC_EOI, val);
			max = VHV_IOAPIC_PINS;
			eoi_resends += t.f.n;
			break;
		}
		check_msgs(&t, max);
		if (i % 64 == 0)
			check_invariants(&t);
	}
	/* the loop did reach edge and level delivery and EOI resends */
	assert_true(t.f.total - t.f.total_level > 5000);
	assert_true(t.f.total_level > 5000);
	assert_true(eoi_resends > 1000);
}

/* ---- save/restore ------------------------------------------------------------- */

static void wr(struct vhv_ioapic *io, u32 reg, u32 val)
{
	vhv_ioapic_write(io, VHV_IOAPIC_IOREGSEL, reg);
	vhv_ioapic_write(io, VHV_IOAPIC_IOWIN, val);
}

/* A level interrupt in flight survives: no resend, until its EOI. */
static void test_save_restore(void **state)
{
	struct t a, b;
	struct vhv_ioapic_state s, s2;

	(void)state;
	setup(&a);
	setup(&b);
	wr(&a.io, 0x00, 0x05000000);
	wr(&a.io, 0x10 + 2 * 4, 0x41 | LEVEL);
	wr(&a.io, 0x10 + 2 * 4 + 1, DEST(3));
	wr(&a.io, 0x10 + 2 * 9, 0x52 | MASKED);
	vhv_ioapic_set_irq(&a.io, 4, true);
	vhv_ioapic_set_irq(&a.io, 9, true);
	assert_int_equal(a.f.n, 1);
	vhv_ioapic_write(&a.io, VHV_IOAPIC_IOREGSEL, 0x13);

	vhv_ioapic_save(&a.io, &s);
	assert_true(s.redir[4] & REMOTE_IRR);
	assert_int_equal(s.asserted, 1u << 4 | 1u << 9);
	assert_int_equal(s.id, 0x05000000);
	assert_int_equal(s.ioregsel, 0x13);
	assert_int_equal(vhv_ioapic_restore(&b.io, &s), 0);
	assert_int_equal(b.f.n, 0);		/* remote IRR: already sent */
	vhv_ioapic_save(&b.io, &s2);
	assert_memory_equal(&s, &s2, sizeof(s));
	/* The EOI sends the still-asserted line again, in both. */
	vhv_ioapic_eoi(&a.io, 0x41);
	vhv_ioapic_eoi(&b.io, 0x41);
	assert_int_equal(b.f.n, 1);
	assert_memory_equal(&b.f.msgs[0], &a.f.msgs[1], sizeof(b.f.msgs[0]));
	assert_int_equal(b.f.msgs[0].dest, 3);
	/* The masked pin 9 comes back masked and asserted: unmasking sends. */
	assert_int_equal(vhv_ioapic_read(&b.io, VHV_IOAPIC_IOWIN), 0);	/* 0x13 high */
	wr(&b.io, 0x10 + 2 * 9, 0x52 | LEVEL);
	assert_int_equal(b.f.n, 2);
}

/* A state with a level pin due (asserted, unmasked, no remote IRR) sends. */
static void test_restore_sends_due_level(void **state)
{
	struct t a;
	struct vhv_ioapic_state s;

	(void)state;
	setup(&a);
	vhv_ioapic_save(&a.io, &s);
	s.redir[7] = 0x66 | LEVEL;
	s.redir[8] = 0x67;			/* edge: an asserted line is no edge */
	s.asserted = 1u << 7 | 1u << 8;
	assert_int_equal(vhv_ioapic_restore(&a.io, &s), 0);
	assert_int_equal(a.f.n, 1);
	assert_int_equal(a.f.msgs[0].vector, 0x66);
	assert_true(a.io.redir[7] & REMOTE_IRR);
}

static void test_restore_rejects(void **state)
{
	struct t a;
	struct vhv_ioapic_state good, bad;
	struct vhv_ioapic before;
	unsigned int i;

	(void)state;
	setup(&a);
	vhv_ioapic_save(&a.io, &good);
	for (i = 0; i < 9; i++) {
		bad = good;
		switch (i) {
		case 0: bad.id = 0x00800000; break;
		case 1: bad.id = 0x10000000; break;
		case 2: bad.ioregsel = 0x100; break;
		case 3: bad.asserted = 1u << 24; break;
		case 4: bad.pad = 1; break;
		case 5: bad.reserved[2] = 1; break;
		case 6: bad.redir[5] |= DELIVS; break;
		case 7: bad.redir[23] |= 1ull << 17; break;
		case 8: bad.redir[0] = 0x30 | REMOTE_IRR; break;	/* edge */
		}
		before = a.io;
		assert_int_equal(vhv_ioapic_restore(&a.io, &bad), -EINVAL);
		assert_memory_equal(&a.io, &before, sizeof(before));
	}
	assert_int_equal(a.f.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_state),
		cmocka_unit_test(test_id_version_arbitration),
		cmocka_unit_test(test_entry_readback),
		cmocka_unit_test(test_remote_irr_read_only),
		cmocka_unit_test(test_linux_programming),
		cmocka_unit_test(test_edge_delivery_and_masking),
		cmocka_unit_test(test_level_remote_irr),
		cmocka_unit_test(test_eoi_resends_asserted),
		cmocka_unit_test(test_eoi_register),
		cmocka_unit_test(test_eoi_notify),
		cmocka_unit_test(test_unmask_asserted_level),
		cmocka_unit_test(test_trigger_change_clears_remote_irr),
		cmocka_unit_test(test_entry_decode),
		cmocka_unit_test(test_nmi_extint_pins_edge),
		cmocka_unit_test(test_restored_garbage_state),
		cmocka_unit_test(test_pin_out_of_range),
		cmocka_unit_test(test_storm_guards),
		cmocka_unit_test(test_hostile_guest),
		cmocka_unit_test(test_save_restore),
		cmocka_unit_test(test_restore_sends_due_level),
		cmocka_unit_test(test_restore_rejects),
	};

	return cmocka_run_group_tests_name("ioapic", tests, NULL, NULL);
}
