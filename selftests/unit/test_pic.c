// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for kmod/irq/pic.c: the cascaded 8259A pair and ELCR as Linux
 * and SeaBIOS program them, driven only through the guest's ports, the
 * sources' lines and INTA.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "kmod/irq/pic.h"

#define M_CMD	VHV_PIC_MASTER_CMD
#define M_DATA	VHV_PIC_MASTER_DATA
#define S_CMD	VHV_PIC_SLAVE_CMD
#define S_DATA	VHV_PIC_SLAVE_DATA
#define ELCR_M	VHV_PIC_ELCR_MASTER
#define ELCR_S	VHV_PIC_ELCR_SLAVE

/* OCW2 and OCW3 bytes, as guests write them. */
#define EOI		0x20
#define SPECIFIC_EOI	0x60
#define ROTATE_EOI	0xa0
#define AEOI_ROTATE_SET	0x80
#define AEOI_ROTATE_CLR	0x00
#define SET_PRIORITY	0xc0
#define ROTATE_SPEC_EOI	0xe0
#define READ_IRR	0x0a
#define READ_ISR	0x0b
#define POLL		0x0c
#define SMM_SET		0x68
#define SMM_RESET	0x48

static void out(struct vhv_pic *pic, u16 port, u8 val)
{
	vhv_pic_write(pic, port, val);
}

static u8 in(struct vhv_pic *pic, u16 port)
{
	return vhv_pic_read(pic, port);
}

static u16 cmd_port(unsigned int chip)
{
	return chip ? S_CMD : M_CMD;
}

/* Linux's i8259A_irq_real(): select ISR, read, select IRR again. */
static u8 isr(struct vhv_pic *pic, unsigned int chip)
{
	u8 v;

	out(pic, cmd_port(chip), READ_ISR);
	v = in(pic, cmd_port(chip));
	out(pic, cmd_port(chip), READ_IRR);
	return v;
}

static u8 irr(struct vhv_pic *pic, unsigned int chip)
{
	out(pic, cmd_port(chip), READ_IRR);
	return in(pic, cmd_port(chip));
}

/*
 * arch/x86/kernel/i8259.c init_8259A(): mask all, ICW1 0x11, ICW2
 * 0x20/0x28, ICW3 4/2, ICW4 1 (or 3 with auto_eoi), then the cached masks.
 * Here every line but the cascade starts masked, as Linux leaves them.
 */
static void linux_init(struct vhv_pic *pic, bool auto_eoi)
{
	vhv_pic_reset(pic);
	out(pic, M_DATA, 0xff);
	out(pic, S_DATA, 0xff);
	out(pic, M_CMD, 0x11);
	out(pic, M_DATA, 0x20);
	out(pic, M_DATA, 1 << 2);
	out(pic, M_DATA, auto_eoi ? 0x03 : 0x01);
	out(pic, S_CMD, 0x11);
	out(pic, S_DATA, 0x28);
	out(pic, S_DATA, 2);
	out(pic, S_DATA, 0x01);
	out(pic, M_DATA, 0xfb);
	out(pic, S_DATA, 0xff);
}

/* Clears the IMR bit of irq (Linux's enable_8259A_irq()). */
static void unmask(struct vhv_pic *pic, unsigned int irq)
{
	u16 port = irq & 8 ? S_DATA : M_DATA;

	out(pic, port, in(pic, port) & ~(1u << (irq & 7)));
}

static void mask(struct vhv_pic *pic, unsigned int irq)
{
	u16 port = irq & 8 ? S_DATA : M_DATA;

	out(pic, port, in(pic, port) | 1u << (irq & 7));
}

/* A short pulse on an edge line. */
static void pulse(struct vhv_pic *pic, unsigned int irq)
{
	vhv_pic_set_irq(pic, irq, true);
	vhv_pic_set_irq(pic, irq, false);
}

/* Linux's mask_and_ack_8259A() tail: specific EOIs, slave then IR2. */
static void linux_eoi(struct vhv_pic *pic, unsigned int irq)
{
	if (irq & 8) {
		out(pic, S_CMD, SPECIFIC_EOI + (irq & 7));
		out(pic, M_CMD, SPECIFIC_EOI + 2);
	} else {
		out(pic, M_CMD, SPECIFIC_EOI + irq);
	}
}

/* ---- reset and ports -------------------------------------------------- */

static void test_reset_values(void **state)
{
	struct vhv_pic pic;
	unsigned int i;

	(void)state;
	memset(&pic, 0x5a, sizeof(pic));
	vhv_pic_reset(&pic);
	for (i = 0; i < 2; i++) {
		const struct vhv_pic_chip *c = &pic.chip[i];

		assert_int_equal(c->irr, 0);
		assert_int_equal(c->isr, 0);
		assert_int_equal(c->imr, 0);
		assert_int_equal(c->lines, 0);
		assert_int_equal(c->elcr, 0);
		assert_int_equal(c->vector_base, 0);
		assert_int_equal(c->lowest_priority, 7);
		assert_int_equal(c->init_step, 0);
		assert_false(c->icw4_needed);
		assert_false(c->single);
		assert_false(c->auto_eoi);
		assert_false(c->rotate_on_aeoi);
		assert_false(c->special_fully_nested);
		assert_false(c->special_mask);
		assert_false(c->read_isr);
		assert_false(c->poll);
	}
	assert_int_equal(pic.chip[0].elcr_mask, 0xf8);
	assert_int_equal(pic.chip[1].elcr_mask, 0xde);
	/* The same through the guest's ports. */
	assert_int_equal(in(&pic, M_CMD), 0);		/* IRR selected */
	assert_int_equal(in(&pic, S_CMD), 0);
	assert_int_equal(in(&pic, M_DATA), 0);		/* IMR */
	assert_int_equal(in(&pic, S_DATA), 0);
	assert_int_equal(in(&pic, ELCR_M), 0);
	assert_int_equal(in(&pic, ELCR_S), 0);
	assert_int_equal(isr(&pic, 0), 0);
	assert_int_equal(isr(&pic, 1), 0);
	assert_false(vhv_pic_output(&pic));
}

static void test_reset_clears_a_busy_pic(void **state)
{
	struct vhv_pic pic, fresh;

	(void)state;
	vhv_pic_reset(&fresh);
	linux_init(&pic, false);
	out(&pic, ELCR_S, 0x08);
	unmask(&pic, 0);
	unmask(&pic, 11);
	vhv_pic_set_irq(&pic, 0, true);
	vhv_pic_set_irq(&pic, 11, true);
	vhv_pic_ack(&pic);
	out(&pic, M_CMD, SMM_SET);
	out(&pic, M_CMD, POLL);
	vhv_pic_reset(&pic);
	assert_memory_equal(&pic, &fresh, sizeof(pic));
}

static void test_ports(void **state)
{
	static const u16 ours[] = { 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 };
	static const u16 not_ours[] = { 0x1f, 0x22, 0x40, 0x9f, 0xa2, 0x4cf, 0x4d2,
					0x120, 0x4a0, 0xa0a0 };
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(ours) / sizeof(ours[0]); i++)
		assert_true(vhv_pic_port(ours[i]));
	for (i = 0; i < sizeof(not_ours) / sizeof(not_ours[0]); i++)
		assert_false(vhv_pic_port(not_ours[i]));
}

/* ---- initialisation --------------------------------------------------- */

static void test_linux_init_irq0_edge_ack_eoi(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	assert_int_equal(pic.chip[0].vector_base, 0x20);
	assert_int_equal(pic.chip[1].vector_base, 0x28);
	assert_int_equal(in(&pic, M_DATA), 0xfb);
	assert_int_equal(in(&pic, S_DATA), 0xff);
	assert_false(vhv_pic_output(&pic));

	unmask(&pic, 0);
	assert_true(vhv_pic_set_irq(&pic, 0, true));
	assert_true(vhv_pic_output(&pic));
	assert_int_equal(irr(&pic, 0), 0x01);
	assert_int_equal(vhv_pic_ack(&pic), 0x20);
	assert_int_equal(isr(&pic, 0), 0x01);
	assert_int_equal(irr(&pic, 0), 0x00);	/* the edge was consumed */
	assert_false(vhv_pic_output(&pic));

	/* Held high, an edge line asks nothing more after its EOI. */
	linux_eoi(&pic, 0);
	assert_int_equal(isr(&pic, 0), 0);
	assert_false(vhv_pic_output(&pic));
	/* The next tick is a new rising edge. */
	assert_false(vhv_pic_set_irq(&pic, 0, false));
	assert_true(vhv_pic_set_irq(&pic, 0, true));
	assert_int_equal(vhv_pic_ack(&pic), 0x20);
}

/* Linux's mask_and_ack then unmask, with a tick arriving meanwhile. */
static void test_linux_mask_ack_pattern(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	unmask(&pic, 0);
	pulse(&pic, 0);
	assert_int_equal(vhv_pic_ack(&pic), 0x20);
	mask(&pic, 0);
	(void)in(&pic, M_DATA);		/* Linux's dummy read */
	linux_eoi(&pic, 0);
	pulse(&pic, 0);			/* latched while masked */
	assert_false(vhv_pic_output(&pic));
	assert_int_equal(irr(&pic, 0), 0x01);
	unmask(&pic, 0);
	assert_true(vhv_pic_output(&pic));
	assert_int_equal(vhv_pic_ack(&pic), 0x20);
}

/* probe_8259A(): the IMR reads back what was written. */
static void test_linux_probe_reads_imr(void **state)
{
	struct vhv_pic pic;

	(void)state;
	vhv_pic_reset(&pic);
	out(&pic, S_DATA, 0xff);
	out(&pic, M_DATA, 0xa5);
	assert_int_equal(in(&pic, M_DATA), 0xa5);
	assert_int_equal(in(&pic, S_DATA), 0xff);
	linux_init(&pic, false);
	out(&pic, M_DATA, 0x5a);
	assert_int_equal(in(&pic, M_DATA), 0x5a);
}

static void test_init_steps(void **state)
{
	struct vhv_pic pic;

	(void)state;
	vhv_pic_reset(&pic);
	out(&pic, M_DATA, 0x12);
	out(&pic, M_CMD, 0x11);
	assert_int_equal(pic.chip[0].init_step, 2);
	assert_int_equal(in(&pic, M_DATA), 0);	/* ICW1 clears the IMR */
	out(&pic, M_DATA, 0x27);		/* ICW2: low 3 bits are the IRQ's */
	assert_int_equal(pic.chip[0].init_step, 3);
	out(&pic, M_DATA, 0x04);
	assert_int_equal(pic.chip[0].init_step, 4);
	out(&pic, M_DATA, 0x01);
	assert_int_equal(pic.chip[0].init_step, 0);
	assert_int_equal(pic.chip[0].vector_base, 0x20);
	assert_int_equal(in(&pic, M_DATA), 0);	/* ICW4 is no mask write */
	out(&pic, M_DATA, 0xf0);
	assert_int_equal(in(&pic, M_DATA), 0xf0);
	/* The slave's init left the master alone. */
	assert_int_equal(pic.chip[1].init_step, 0);
}

/* A second ICW1 in the middle of initialisation starts over. */
static void test_icw1_restarts_init(void **state)
{
	struct vhv_pic pic;

	(void)state;
	vhv_pic_reset(&pic);
	out(&pic, M_CMD, 0x11);
	out(&pic, M_DATA, 0x08);
	out(&pic, M_CMD, 0x11);
	assert_int_equal(pic.chip[0].init_step, 2);
	out(&pic, M_DATA, 0x20);
	out(&pic, M_DATA, 0x04);
	out(&pic, M_DATA, 0x01);
	assert_int_equal(pic.chip[0].init_step, 0);
	assert_int_equal(pic.chip[0].vector_base, 0x20);
}

/* Without IC4 the init ends after ICW3 (or ICW2 when single). */
static void test_init_without_icw4(void **state)
{
	struct vhv_pic pic;

	(void)state;
	vhv_pic_reset(&pic);
	out(&pic, M_CMD, 0x11);			/* first with AEOI and SFNM */
	out(&pic, M_DATA, 0x08);
	out(&pic, M_DATA, 0x04);
	out(&pic, M_DATA, 0x13);
	assert_true(pic.chip[0].auto_eoi);
	assert_true(pic.chip[0].special_fully_nested);
	out(&pic, M_CMD, 0x10);			/* cascade, no ICW4 */
	out(&pic, M_DATA, 0x40);
	out(&pic, M_DATA, 0x04);
	assert_int_equal(pic.chip[0].init_step, 0);
	out(&pic, M_DATA, 0x10);		/* OCW1 already */
	assert_int_equal(in(&pic, M_DATA), 0x10);
	assert_false(pic.chip[0].auto_eoi);
	assert_false(pic.chip[0].special_fully_nested);
	/* µPM is 0 then; the CPU still gets a vector. */
	assert_true(vhv_pic_set_irq(&pic, 0, true));
	assert_int_equal(vhv_pic_ack(&pic), 0x40);
	assert_int_equal(isr(&pic, 0), 0x01);	/* not AEOI */

	out(&pic, S_CMD, 0x12);			/* single, no ICW4: ICW2 only */
	out(&pic, S_DATA, 0x70);
	assert_int_equal(pic.chip[1].init_step, 0);
	assert_true(pic.chip[1].single);
	out(&pic, S_DATA, 0xee);
	assert_int_equal(in(&pic, S_DATA), 0xee);

	out(&pic, S_CMD, 0x13);			/* single with ICW4: no ICW3 */
	out(&pic, S_DATA, 0x70);
	assert_int_equal(pic.chip[1].init_step, 4);
	out(&pic, S_DATA, 0x03);
	assert_int_equal(pic.chip[1].init_step, 0);
	assert_true(pic.chip[1].auto_eoi);
}

/* ICW1 clears IMR, ISR, edge requests, SMM, the read select, rotation. */
static void test_icw1_resets_operation(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, ELCR_M, 0x20);		/* IRQ 5 level */
	out(&pic, M_DATA, 0x00);
	vhv_pic_set_irq(&pic, 3, true);
	vhv_pic_set_irq(&pic, 5, true);
	vhv_pic_set_irq(&pic, 4, true);
	assert_int_equal(vhv_pic_ack(&pic), 0x23);
	out(&pic, M_DATA, 0x10);		/* mask 4: it stays requested */
	out(&pic, M_CMD, SET_PRIORITY | 2);
	out(&pic, M_CMD, SMM_SET);
	out(&pic, M_CMD, READ_ISR);
	out(&pic, M_CMD, AEOI_ROTATE_SET);
	out(&pic, M_CMD, POLL);			/* a poll left pending */

	out(&pic, M_CMD, 0x11);
	out(&pic, M_DATA, 0x20);
	out(&pic, M_DATA, 0x04);
	out(&pic, M_DATA, 0x01);
	assert_int_equal(in(&pic, M_DATA), 0);
	assert_int_equal(in(&pic, M_CMD), 0x20);	/* IRR selected: level 5 only */
	assert_int_equal(isr(&pic, 0), 0);
	assert_int_equal(pic.chip[0].lowest_priority, 7);
	assert_false(pic.chip[0].special_mask);
	assert_false(pic.chip[0].rotate_on_aeoi);
	assert_int_equal(in(&pic, ELCR_M), 0x20);	/* the ELCR is no 8259 register */
	/* The edge lines held high need a new edge. */
	assert_int_equal(vhv_pic_ack(&pic), 0x25);
	out(&pic, M_CMD, EOI);
	vhv_pic_set_irq(&pic, 5, false);
	assert_false(vhv_pic_output(&pic));
}

/* pic_reset() in SeaBIOS's src/hw/pic.c: both chips interleaved. */
static void test_seabios_init_and_rtc(void **state)
{
	struct vhv_pic pic;

	(void)state;
	vhv_pic_reset(&pic);
	out(&pic, M_CMD, 0x11);
	out(&pic, S_CMD, 0x11);
	out(&pic, M_DATA, 0x08);
	out(&pic, S_DATA, 0x70);
	out(&pic, M_DATA, 0x04);
	out(&pic, S_DATA, 0x02);
	out(&pic, M_DATA, 0x01);
	out(&pic, S_DATA, 0x01);
	out(&pic, M_DATA, 0xfb);
	out(&pic, S_DATA, 0xff);
	assert_int_equal(in(&pic, M_DATA), 0xfb);
	assert_int_equal(in(&pic, S_DATA), 0xff);

	unmask(&pic, 8);
	unmask(&pic, 0);
	pulse(&pic, 8);
	assert_true(vhv_pic_output(&pic));
	assert_int_equal(vhv_pic_ack(&pic), 0x70);
	/* SeaBIOS's handler checks the ISR, then two non-specific EOIs. */
	assert_int_equal(isr(&pic, 1), 0x01);
	assert_int_equal(isr(&pic, 0), 0x04);
	out(&pic, S_CMD, EOI);
	out(&pic, M_CMD, EOI);
	assert_int_equal(isr(&pic, 1), 0);
	assert_int_equal(isr(&pic, 0), 0);
	pulse(&pic, 0);
	assert_int_equal(vhv_pic_ack(&pic), 0x08);
}

/* ---- priorities ------------------------------------------------------- */

static void test_lower_waits_for_eoi_of_higher(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, M_DATA, 0x00);
	pulse(&pic, 0);
	assert_int_equal(vhv_pic_ack(&pic), 0x20);
	assert_false(vhv_pic_set_irq(&pic, 1, true));	/* INTR stays low */
	assert_false(vhv_pic_output(&pic));
	assert_int_equal(irr(&pic, 0), 0x02);
	/* An INTA now finds nothing deliverable: spurious, ISR untouched. */
	assert_int_equal(vhv_pic_ack(&pic), 0x27);
	assert_int_equal(isr(&pic, 0), 0x01);
	out(&pic, M_CMD, EOI);
	assert_true(vhv_pic_output(&pic));
	assert_int_equal(vhv_pic_ack(&pic), 0x21);
}

static void test_higher_preempts_lower_in_service(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, M_DATA, 0x00);
	pulse(&pic, 3);
	assert_int_equal(vhv_pic_ack(&pic), 0x23);
	assert_true(vhv_pic_set_irq(&pic, 1, true));
	assert_int_equal(vhv_pic_ack(&pic), 0x21);
	assert_int_equal(isr(&pic, 0), 0x0a);
	/* A non-specific EOI ends the higher (the latest) first. */
	out(&pic, M_CMD, EOI);
	assert_int_equal(isr(&pic, 0), 0x08);
	out(&pic, M_CMD, EOI);
	assert_int_equal(isr(&pic, 0), 0x00);
	/* Same level again while in service: held off. */
	pulse(&pic, 3);
	assert_int_equal(vhv_pic_ack(&pic), 0x23);
	pulse(&pic, 3);
	assert_false(vhv_pic_output(&pic));
	out(&pic, M_CMD, EOI);
	assert_int_equal(vhv_pic_ack(&pic), 0x23);
}

/* The ends of the default order: 0 preempts 7, 7 waits behind 0 and 6. */
static void test_priority_ends(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, M_DATA, 0x00);
	pulse(&pic, 7);
	assert_int_equal(vhv_pic_ack(&pic), 0x27);
	assert_true(vhv_pic_set_irq(&pic, 0, true));
	assert_int_equal(vhv_pic_ack(&pic), 0x20);
	out(&pic, M_CMD, EOI);
	out(&pic, M_CMD, EOI);
	pulse(&pic, 6);
	assert_int_equal(vhv_pic_ack(&pic), 0x26);
	assert_false(vhv_pic_set_irq(&pic, 7, true));
	out(&pic, M_CMD, EOI);
	assert_int_equal(vhv_pic_ack(&pic), 0x27);
}

/* Fixed order 0, 1, (8..15 on IR2), 3..7 with several pending at once. */
static void test_fixed_priority_order(void **state)
{
	static const u8 expect[] = { 0x20, 0x21, 0x28, 0x2f, 0x23, 0x27 };
	struct vhv_pic pic;
	unsigned int i;

	(void)state;
	linux_init(&pic, false);
	out(&pic, M_DATA, 0x00);
	out(&pic, S_DATA, 0x00);
	pulse(&pic, 7);
	pulse(&pic, 15);
	pulse(&pic, 3);
	pulse(&pic, 1);
	pulse(&pic, 8);
	pulse(&pic, 0);
	for (i = 0; i < sizeof(expect); i++) {
		u8 v = vhv_pic_ack(&pic);

		assert_int_equal(v, expect[i]);
		linux_eoi(&pic, v & 8 ? 8 | (v & 7) : v & 7);
	}
	assert_false(vhv_pic_output(&pic));
	assert_int_equal(isr(&pic, 0), 0);
	assert_int_equal(isr(&pic, 1), 0);
}

/* ---- cascade ---------------------------------------------------------- */

static void test_cascade_needs_both_eois(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	unmask(&pic, 10);
	unmask(&pic, 9);
	assert_true(vhv_pic_set_irq(&pic, 10, true));
	assert_int_equal(irr(&pic, 1), 0x04);
	assert_int_equal(irr(&pic, 0), 0x04);	/* the slave's INT on IR2 */
	assert_int_equal(vhv_pic_ack(&pic), 0x2a);
	assert_int_equal(isr(&pic, 0), 0x04);
	assert_int_equal(isr(&pic, 1), 0x04);
	assert_int_equal(irr(&pic, 0), 0x00);
	assert_false(vhv_pic_output(&pic));

	/* IRQ 9 beats 10 on the slave, but IR2 in service holds it off. */
	pulse(&pic, 9);
	assert_int_equal(irr(&pic, 0), 0x04);
	assert_false(vhv_pic_output(&pic));
	out(&pic, S_CMD, SPECIFIC_EOI + 2);
	assert_false(vhv_pic_output(&pic));
	out(&pic, M_CMD, SPECIFIC_EOI + 2);
	assert_true(vhv_pic_output(&pic));
	assert_int_equal(vhv_pic_ack(&pic), 0x29);
	linux_eoi(&pic, 9);
	assert_false(vhv_pic_output(&pic));
	assert_int_equal(isr(&pic, 0), 0);
	assert_int_equal(isr(&pic, 1), 0);
}

/* Master EOI first, slave's later: a slave request waits for its EOI. */
static void test_cascade_slave_isr_blocks_lower_slave(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, S_DATA, 0x00);
	pulse(&pic, 9);
	assert_int_equal(vhv_pic_ack(&pic), 0x29);
	out(&pic, M_CMD, EOI);
	pulse(&pic, 12);
	assert_false(vhv_pic_output(&pic));	/* 12 is below 9 in service */
	assert_int_equal(irr(&pic, 0), 0x00);
	out(&pic, S_CMD, EOI);
	assert_true(vhv_pic_output(&pic));
	assert_int_equal(vhv_pic_ack(&pic), 0x2c);
}

/* The master's IRQ 2 cannot be driven by a source; IRQ >= 16 is ignored. */
static void test_cascade_input_not_drivable(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, M_DATA, 0x00);
	assert_false(vhv_pic_set_irq(&pic, 2, true));
	assert_false(vhv_pic_set_irq(&pic, 16, true));
	assert_false(vhv_pic_set_irq(&pic, ~0u, true));
	assert_false(vhv_pic_output(&pic));
	assert_int_equal(irr(&pic, 0), 0);
	assert_int_equal(irr(&pic, 1), 0);
}

static void test_sfnm_lets_higher_slave_nest(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, M_CMD, 0x11);			/* master again, with SFNM */
	out(&pic, M_DATA, 0x20);
	out(&pic, M_DATA, 0x04);
	out(&pic, M_DATA, 0x11);
	assert_true(pic.chip[0].special_fully_nested);
	out(&pic, M_DATA, 0x00);
	out(&pic, S_DATA, 0x00);
	pulse(&pic, 12);
	assert_int_equal(vhv_pic_ack(&pic), 0x2c);
	/* A lower master line stays held off by IR2 in service... */
	pulse(&pic, 5);
	assert_false(vhv_pic_output(&pic));
	/* ...and so does a lower or equal slave line (the slave's own ISR). */
	pulse(&pic, 14);
	assert_false(vhv_pic_output(&pic));
	/* A higher slave line nests through IR2 though. */
	assert_true(vhv_pic_set_irq(&pic, 9, true));
	assert_int_equal(vhv_pic_ack(&pic), 0x29);
	assert_int_equal(isr(&pic, 1), 0x12);
	assert_int_equal(isr(&pic, 0), 0x04);
	/* Without SFNM the same is held off (see the cascade test). */
}

/* SFNM concerns the master's IR2 only: the slave's IRQ 10 stays nested. */
static void test_sfnm_only_on_master_cascade(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, S_CMD, 0x11);
	out(&pic, S_DATA, 0x28);
	out(&pic, S_DATA, 2);
	out(&pic, S_DATA, 0x11);
	out(&pic, S_DATA, 0x00);
	pulse(&pic, 10);
	assert_int_equal(vhv_pic_ack(&pic), 0x2a);
	out(&pic, M_CMD, EOI);
	pulse(&pic, 10);
	assert_false(vhv_pic_output(&pic));
	assert_int_equal(irr(&pic, 0), 0x00);
	out(&pic, S_CMD, EOI);
	assert_int_equal(vhv_pic_ack(&pic), 0x2a);
}

/* ---- masking ---------------------------------------------------------- */

static void test_masking(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	assert_false(vhv_pic_set_irq(&pic, 4, true));	/* masked: no INTR */
	assert_int_equal(irr(&pic, 0), 0x10);		/* but latched */
	unmask(&pic, 4);
	assert_true(vhv_pic_output(&pic));
	/* Masked between INTR and INTA: spurious, the request kept. */
	mask(&pic, 4);
	assert_false(vhv_pic_output(&pic));
	assert_int_equal(vhv_pic_ack(&pic), 0x27);
	assert_int_equal(isr(&pic, 0), 0);
	assert_int_equal(irr(&pic, 0), 0x10);
	unmask(&pic, 4);
	assert_int_equal(vhv_pic_ack(&pic), 0x24);
}

static void test_cascade_masking(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, S_DATA, 0x00);
	mask(&pic, 2);				/* IR2 masks the whole slave */
	pulse(&pic, 13);
	assert_false(vhv_pic_output(&pic));
	assert_int_equal(irr(&pic, 0), 0x04);
	unmask(&pic, 2);
	assert_true(vhv_pic_output(&pic));
	mask(&pic, 13);				/* a slave mask alone */
	assert_false(vhv_pic_output(&pic));
	assert_int_equal(irr(&pic, 0), 0x00);
	assert_int_equal(irr(&pic, 1), 0x20);
	unmask(&pic, 13);
	assert_int_equal(vhv_pic_ack(&pic), 0x2d);
}

/* ---- level lines (ELCR) ----------------------------------------------- */

static void test_level_line_rerequests_until_dropped(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, ELCR_S, 0x08);		/* IRQ 11 level */
	unmask(&pic, 11);
	assert_true(vhv_pic_set_irq(&pic, 11, true));
	assert_int_equal(vhv_pic_ack(&pic), 0x2b);
	assert_int_equal(irr(&pic, 1), 0x08);	/* still requesting */
	assert_false(vhv_pic_output(&pic));
	linux_eoi(&pic, 11);
	assert_true(vhv_pic_output(&pic));	/* held high: again */
	assert_int_equal(vhv_pic_ack(&pic), 0x2b);
	linux_eoi(&pic, 11);
	assert_true(vhv_pic_set_irq(&pic, 11, false));	/* withdrawn */
	assert_false(vhv_pic_output(&pic));
	assert_int_equal(irr(&pic, 1), 0);
	assert_int_equal(irr(&pic, 0), 0);
}

/* A level request dropped before INTA leaves the master's default IR7. */
static void test_level_line_dropped_before_ack_is_spurious(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, ELCR_S, 0x08);
	out(&pic, ELCR_M, 0x20);
	unmask(&pic, 11);
	unmask(&pic, 5);
	vhv_pic_set_irq(&pic, 11, true);
	assert_true(vhv_pic_set_irq(&pic, 11, false));
	assert_int_equal(vhv_pic_ack(&pic), 0x27);
	assert_int_equal(isr(&pic, 0), 0);
	assert_int_equal(isr(&pic, 1), 0);
	vhv_pic_set_irq(&pic, 5, true);
	vhv_pic_set_irq(&pic, 5, false);
	assert_int_equal(vhv_pic_ack(&pic), 0x27);
	assert_int_equal(isr(&pic, 0), 0);
}

/* handle_level_irq() on the PIC: mask and ack, the device quiets, unmask. */
static void test_level_line_linux_mask_ack(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, ELCR_M, 0x20);
	unmask(&pic, 5);
	vhv_pic_set_irq(&pic, 5, true);
	assert_int_equal(vhv_pic_ack(&pic), 0x25);
	mask(&pic, 5);
	linux_eoi(&pic, 5);
	assert_false(vhv_pic_output(&pic));
	vhv_pic_set_irq(&pic, 5, false);
	unmask(&pic, 5);
	assert_false(vhv_pic_output(&pic));
	/* The device asserts again: a new request. */
	assert_true(vhv_pic_set_irq(&pic, 5, true));
	assert_int_equal(vhv_pic_ack(&pic), 0x25);
}

/* An edge line keeps its latched request when the line falls. */
static void test_edge_latch_survives_drop(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	unmask(&pic, 4);
	assert_true(vhv_pic_set_irq(&pic, 4, true));
	assert_false(vhv_pic_set_irq(&pic, 4, true));	/* no new edge */
	assert_false(vhv_pic_set_irq(&pic, 4, false));
	assert_true(vhv_pic_output(&pic));
	assert_int_equal(vhv_pic_ack(&pic), 0x24);
	out(&pic, M_CMD, EOI);
	assert_false(vhv_pic_output(&pic));	/* one edge, one interrupt */
	/* A source repeating "high" on a line already high is no edge. */
	vhv_pic_set_irq(&pic, 4, true);
	assert_int_equal(vhv_pic_ack(&pic), 0x24);
	out(&pic, M_CMD, EOI);
	assert_false(vhv_pic_set_irq(&pic, 4, true));
	assert_false(vhv_pic_output(&pic));
	assert_int_equal(irr(&pic, 0), 0);
}

static void test_elcr_masks(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, ELCR_M, 0xff);
	out(&pic, ELCR_S, 0xff);
	assert_int_equal(in(&pic, ELCR_M), 0xf8);
	assert_int_equal(in(&pic, ELCR_S), 0xde);
	out(&pic, ELCR_M, 0x00);
	out(&pic, ELCR_S, 0x21);
	assert_int_equal(in(&pic, ELCR_M), 0x00);
	assert_int_equal(in(&pic, ELCR_S), 0x00);
	/* IRQ 0 stays edge whatever was written: held high, no re-request. */
	out(&pic, ELCR_M, 0xff);
	out(&pic, ELCR_S, 0xff);
	out(&pic, M_DATA, 0x00);
	out(&pic, S_DATA, 0x00);
	vhv_pic_set_irq(&pic, 0, true);
	assert_int_equal(vhv_pic_ack(&pic), 0x20);
	out(&pic, M_CMD, EOI);
	assert_false(vhv_pic_output(&pic));
	/* Nor IRQ 8 and 13 on the slave. */
	vhv_pic_set_irq(&pic, 8, true);
	assert_int_equal(vhv_pic_ack(&pic), 0x28);
	linux_eoi(&pic, 8);
	vhv_pic_set_irq(&pic, 13, true);
	assert_int_equal(vhv_pic_ack(&pic), 0x2d);
	linux_eoi(&pic, 13);
	assert_false(vhv_pic_output(&pic));
	/* IRQ 9 is level: held high it comes back. */
	vhv_pic_set_irq(&pic, 9, true);
	assert_int_equal(vhv_pic_ack(&pic), 0x29);
	linux_eoi(&pic, 9);
	assert_true(vhv_pic_output(&pic));
}

/* Turning a high line level makes it request; turning it edge keeps a latch. */
static void test_elcr_change_with_line_high(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, M_DATA, 0x00);
	vhv_pic_set_irq(&pic, 6, true);
	assert_int_equal(vhv_pic_ack(&pic), 0x26);
	out(&pic, M_CMD, EOI);
	assert_false(vhv_pic_output(&pic));
	out(&pic, ELCR_M, 0x40);
	assert_true(vhv_pic_output(&pic));
	out(&pic, ELCR_M, 0x00);
	assert_true(vhv_pic_output(&pic));
	assert_int_equal(vhv_pic_ack(&pic), 0x26);
	out(&pic, M_CMD, EOI);
	assert_false(vhv_pic_output(&pic));
}

/* ---- spurious IRQ 7 --------------------------------------------------- */

static void test_spurious_irq7(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	/* Nothing pending: the master's IR7 vector, no ISR bit... */
	assert_int_equal(vhv_pic_ack(&pic), 0x27);
	assert_int_equal(isr(&pic, 0), 0);
	assert_int_equal(isr(&pic, 1), 0);
	/* ...which is how Linux tells it from a real IRQ 7. */
	unmask(&pic, 7);
	pulse(&pic, 7);
	assert_int_equal(vhv_pic_ack(&pic), 0x27);
	assert_int_equal(isr(&pic, 0), 0x80);
	out(&pic, M_CMD, EOI);
	assert_int_equal(isr(&pic, 0), 0);
}

/* ---- automatic EOI ---------------------------------------------------- */

static void test_aeoi(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, true);
	assert_true(pic.chip[0].auto_eoi);
	out(&pic, S_CMD, 0x11);			/* Linux's slave with AEOI too */
	out(&pic, S_DATA, 0x28);
	out(&pic, S_DATA, 2);
	out(&pic, S_DATA, 0x03);
	out(&pic, M_DATA, 0x00);
	out(&pic, S_DATA, 0x00);
	pulse(&pic, 3);
	assert_int_equal(vhv_pic_ack(&pic), 0x23);
	assert_int_equal(isr(&pic, 0), 0);
	/* No EOI: a lower and the same level come straight through. */
	pulse(&pic, 5);
	assert_true(vhv_pic_output(&pic));
	assert_int_equal(vhv_pic_ack(&pic), 0x25);
	pulse(&pic, 3);
	assert_int_equal(vhv_pic_ack(&pic), 0x23);
	/* Through the cascade, neither chip keeps an ISR bit. */
	pulse(&pic, 12);
	pulse(&pic, 10);
	assert_int_equal(vhv_pic_ack(&pic), 0x2a);
	/* The slave's next request reaches INTR at once, no new edge needed. */
	assert_true(vhv_pic_output(&pic));
	assert_int_equal(isr(&pic, 0), 0);
	assert_int_equal(isr(&pic, 1), 0);
	assert_int_equal(vhv_pic_ack(&pic), 0x2c);
	assert_false(vhv_pic_output(&pic));
	assert_int_equal(pic.chip[0].lowest_priority, 7);	/* no rotation */
}

static void test_aeoi_rotation(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, true);
	out(&pic, M_DATA, 0x00);
	out(&pic, M_CMD, AEOI_ROTATE_SET);
	pulse(&pic, 1);
	assert_int_equal(vhv_pic_ack(&pic), 0x21);
	assert_int_equal(pic.chip[0].lowest_priority, 1);
	/* Now 2 is highest, 1 lowest: 3 goes before 0. */
	pulse(&pic, 0);
	pulse(&pic, 3);
	assert_int_equal(vhv_pic_ack(&pic), 0x23);
	assert_int_equal(vhv_pic_ack(&pic), 0x20);
	assert_int_equal(pic.chip[0].lowest_priority, 0);
	/* Cleared, the order stays where it was left. */
	out(&pic, M_CMD, AEOI_ROTATE_CLR);
	assert_false(pic.chip[0].rotate_on_aeoi);
	pulse(&pic, 6);
	assert_int_equal(vhv_pic_ack(&pic), 0x26);
	assert_int_equal(pic.chip[0].lowest_priority, 0);
}

/* ---- rotation --------------------------------------------------------- */

static void test_rotate_on_nonspecific_eoi(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, M_DATA, 0x00);
	pulse(&pic, 0);
	pulse(&pic, 1);
	pulse(&pic, 4);
	assert_int_equal(vhv_pic_ack(&pic), 0x20);
	out(&pic, M_CMD, ROTATE_EOI);		/* 0 becomes lowest */
	assert_int_equal(pic.chip[0].lowest_priority, 0);
	pulse(&pic, 0);
	assert_int_equal(vhv_pic_ack(&pic), 0x21);
	out(&pic, M_CMD, ROTATE_EOI);		/* 1 lowest: 2..7, 0, 1 */
	assert_int_equal(vhv_pic_ack(&pic), 0x24);
	out(&pic, M_CMD, ROTATE_EOI);
	assert_int_equal(vhv_pic_ack(&pic), 0x20);
	out(&pic, M_CMD, ROTATE_EOI);
	assert_int_equal(pic.chip[0].lowest_priority, 0);
	/* With nothing in service it changes nothing. */
	out(&pic, M_CMD, ROTATE_EOI);
	assert_int_equal(pic.chip[0].lowest_priority, 0);
}

static void test_set_priority_and_rotated_nesting(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, M_DATA, 0x00);
	out(&pic, M_CMD, SET_PRIORITY | 3);	/* 4 highest ... 3 lowest */
	assert_int_equal(pic.chip[0].lowest_priority, 3);
	assert_int_equal(isr(&pic, 0), 0);	/* it is no EOI and no INTA */
	pulse(&pic, 0);
	pulse(&pic, 5);
	assert_int_equal(vhv_pic_ack(&pic), 0x25);
	assert_false(vhv_pic_output(&pic));	/* 0 ranks below 5 now */
	pulse(&pic, 4);
	assert_int_equal(vhv_pic_ack(&pic), 0x24);	/* 4 preempts 5 */
	out(&pic, M_CMD, EOI);			/* ends 4, the highest */
	assert_int_equal(isr(&pic, 0), 0x20);
	out(&pic, M_CMD, EOI);
	assert_int_equal(vhv_pic_ack(&pic), 0x20);
}

static void test_rotate_on_specific_eoi(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, M_DATA, 0x00);
	pulse(&pic, 6);
	assert_int_equal(vhv_pic_ack(&pic), 0x26);
	out(&pic, M_CMD, ROTATE_SPEC_EOI | 6);
	assert_int_equal(isr(&pic, 0), 0);
	assert_int_equal(pic.chip[0].lowest_priority, 6);
	pulse(&pic, 6);
	pulse(&pic, 7);
	pulse(&pic, 5);
	assert_int_equal(vhv_pic_ack(&pic), 0x27);	/* 7 highest now */
	/* A specific EOI ends exactly the level named, without rotating. */
	out(&pic, M_CMD, SPECIFIC_EOI | 3);
	assert_int_equal(isr(&pic, 0), 0x80);
	out(&pic, M_CMD, SPECIFIC_EOI | 7);
	assert_int_equal(pic.chip[0].lowest_priority, 6);
	assert_int_equal(vhv_pic_ack(&pic), 0x25);
	out(&pic, M_CMD, 0x40);			/* OCW2 no-op */
	assert_int_equal(isr(&pic, 0), 0x20);
	assert_int_equal(pic.chip[0].lowest_priority, 6);
}

/* ---- special mask mode ------------------------------------------------ */

static void test_special_mask_mode(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, M_DATA, 0x00);
	pulse(&pic, 3);
	assert_int_equal(vhv_pic_ack(&pic), 0x23);
	pulse(&pic, 5);
	assert_false(vhv_pic_output(&pic));
	/* OCW3 SMM without ESMM changes nothing. */
	out(&pic, M_CMD, 0x28);
	assert_false(pic.chip[0].special_mask);
	/* The handler masks its own level and enters SMM: 5 gets in. */
	mask(&pic, 3);
	assert_false(vhv_pic_output(&pic));
	out(&pic, M_CMD, SMM_SET);
	assert_true(pic.chip[0].special_mask);
	assert_true(vhv_pic_output(&pic));
	assert_int_equal(vhv_pic_ack(&pic), 0x25);
	assert_int_equal(isr(&pic, 0), 0x28);
	/* Unmasked levels in service still hold lower ones off. */
	pulse(&pic, 6);
	assert_false(vhv_pic_output(&pic));
	/* A non-specific EOI skips the masked 3 and ends 5. */
	out(&pic, M_CMD, EOI);
	assert_int_equal(isr(&pic, 0), 0x08);
	assert_int_equal(vhv_pic_ack(&pic), 0x26);
	out(&pic, M_CMD, SPECIFIC_EOI | 6);
	/* Back to normal: 3 in service holds off 4 again. */
	out(&pic, M_CMD, SMM_RESET);
	assert_false(pic.chip[0].special_mask);
	unmask(&pic, 3);
	pulse(&pic, 4);
	assert_false(vhv_pic_output(&pic));
	out(&pic, M_CMD, EOI);
	assert_int_equal(isr(&pic, 0), 0);
	assert_int_equal(vhv_pic_ack(&pic), 0x24);
}

/* ---- poll mode -------------------------------------------------------- */

static void test_poll(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, M_DATA, 0x00);
	/* Nothing requested: I bit clear, no side effect. */
	out(&pic, M_CMD, POLL);
	assert_int_equal(in(&pic, M_CMD), 0x00);
	assert_false(pic.chip[0].poll);
	pulse(&pic, 5);
	pulse(&pic, 3);
	out(&pic, M_CMD, POLL);
	assert_int_equal(in(&pic, M_CMD), 0x83);	/* taken like an INTA */
	assert_int_equal(isr(&pic, 0), 0x08);
	assert_int_equal(in(&pic, M_CMD), 0x20);	/* one read only: IRR again */
	out(&pic, M_CMD, EOI);
	/* Poll takes the next read from the data port too. */
	out(&pic, M_CMD, POLL);
	assert_int_equal(in(&pic, M_DATA), 0x85);
	assert_int_equal(in(&pic, M_DATA), 0x00);	/* IMR again */
	out(&pic, M_CMD, EOI);
	assert_false(vhv_pic_output(&pic));
}

/* Polling the cascade: the master says IR2, the slave then says which. */
static void test_poll_cascade(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, S_DATA, 0x00);
	pulse(&pic, 14);
	out(&pic, M_CMD, POLL);
	assert_int_equal(in(&pic, M_CMD), 0x82);
	assert_int_equal(isr(&pic, 0), 0x04);
	assert_int_equal(isr(&pic, 1), 0x00);	/* the slave is polled apart */
	out(&pic, S_CMD, POLL);
	assert_int_equal(in(&pic, S_CMD), 0x86);
	assert_int_equal(in(&pic, M_CMD), 0x00);	/* the slave's INT fell */
	assert_int_equal(isr(&pic, 1), 0x40);
	out(&pic, S_CMD, EOI);
	out(&pic, M_CMD, EOI);
	assert_false(vhv_pic_output(&pic));
}

/* ---- OCW3 register reads ---------------------------------------------- */

static void test_read_irr_isr_select(void **state)
{
	struct vhv_pic pic;

	(void)state;
	linux_init(&pic, false);
	out(&pic, M_DATA, 0xf0);
	pulse(&pic, 1);
	pulse(&pic, 0);
	pulse(&pic, 6);				/* masked, still in IRR */
	assert_int_equal(in(&pic, M_CMD), 0x43);	/* IRR after init */
	assert_int_equal(vhv_pic_ack(&pic), 0x20);
	out(&pic, M_CMD, READ_ISR);
	assert_int_equal(in(&pic, M_CMD), 0x01);
	assert_int_equal(in(&pic, M_CMD), 0x01);	/* the select sticks */
	out(&pic, M_CMD, 0x08);			/* RR clear: select unchanged */
	assert_int_equal(in(&pic, M_CMD), 0x01);
	out(&pic, M_CMD, 0x09);			/* RIS without RR: unchanged */
	assert_int_equal(in(&pic, M_CMD), 0x01);
	assert_int_equal(in(&pic, M_DATA), 0xf0);	/* IMR on the data port */
	out(&pic, M_CMD, READ_IRR);
	assert_int_equal(in(&pic, M_CMD), 0x42);
	/* OCW3 selects are per chip. */
	out(&pic, S_CMD, READ_ISR);
	assert_int_equal(in(&pic, M_CMD), 0x42);
}

/* ---- save/restore ------------------------------------------------------------- */

static void save_both(const struct vhv_pic *pic, struct vhv_pic_state s[2])
{
	vhv_pic_save(pic, 0, &s[0]);
	vhv_pic_save(pic, 1, &s[1]);
}

/* A busy pair restored into a fresh one answers the same from then on. */
static void test_save_restore(void **state)
{
	struct vhv_pic a, b;
	struct vhv_pic_state s[2], t[2];
	int i;

	(void)state;
	linux_init(&a, false);
	unmask(&a, 0);
	unmask(&a, 3);
	unmask(&a, 10);
	out(&a, ELCR_S, 0x04);			/* IRQ 10 level */
	vhv_pic_set_irq(&a, 10, true);
	vhv_pic_set_irq(&a, 0, true);
	vhv_pic_set_irq(&a, 0, false);
	assert_int_equal(vhv_pic_ack(&a), 0x20);	/* IRQ 0 in service */
	vhv_pic_set_irq(&a, 3, true);
	out(&a, M_CMD, READ_ISR);
	out(&a, S_CMD, SET_PRIORITY | 4);	/* rotated slave */

	save_both(&a, s);
	vhv_pic_reset(&b);
	assert_int_equal(vhv_pic_restore(&b, 0, &s[0]), 0);
	assert_int_equal(vhv_pic_restore(&b, 1, &s[1]), 0);
	save_both(&b, t);
	assert_memory_equal(s, t, sizeof(s));
	assert_int_equal(s[0].isr, 1);
	assert_int_equal(s[0].vector_base, 0x20);
	assert_int_equal(s[1].elcr, 0x04);
	assert_int_equal(s[1].lowest_priority, 4);
	/* The same future: reads, acknowledgements, EOIs. */
	assert_int_equal(in(&b, M_CMD), in(&a, M_CMD));
	for (i = 0; i < 4; i++) {
		assert_int_equal(vhv_pic_output(&b), vhv_pic_output(&a));
		assert_int_equal(vhv_pic_ack(&b), vhv_pic_ack(&a));
		out(&a, M_CMD, EOI);
		out(&b, M_CMD, EOI);
		out(&a, S_CMD, EOI);
		out(&b, S_CMD, EOI);
	}
	save_both(&a, s);
	save_both(&b, t);
	assert_memory_equal(s, t, sizeof(s));
}

/* The master's IR2 follows the restored slave, whatever the state said. */
static void test_restore_recomputes_cascade(void **state)
{
	struct vhv_pic a;
	struct vhv_pic_state m, s;

	(void)state;
	linux_init(&a, false);
	vhv_pic_save(&a, 0, &m);
	vhv_pic_save(&a, 1, &s);
	s.irr = 1u << 4;			/* IRQ 12 requested */
	s.imr = 0;
	m.irr = 0;
	assert_int_equal(vhv_pic_restore(&a, 0, &m), 0);
	assert_int_equal(vhv_pic_restore(&a, 1, &s), 0);
	assert_true(vhv_pic_output(&a));
	assert_int_equal(vhv_pic_ack(&a), 0x2c);
	m.irr = 1u << 2;			/* a cascade request the slave lacks */
	s.irr = 0;
	assert_int_equal(vhv_pic_restore(&a, 1, &s), 0);
	assert_int_equal(vhv_pic_restore(&a, 0, &m), 0);
	out(&a, S_CMD, EOI);
	out(&a, M_CMD, EOI);
	assert_false(vhv_pic_output(&a));
}

static void test_restore_rejects(void **state)
{
	struct vhv_pic a, before;
	struct vhv_pic_state good, bad;
	unsigned int i;

	(void)state;
	linux_init(&a, false);
	vhv_pic_save(&a, 0, &good);
	for (i = 0; i < 12; i++) {
		bad = good;
		switch (i) {
		case 0: bad.elcr = 0x01; break;		/* IRQ 0: edge only */
		case 1: bad.vector_base = 0x24; break;
		case 2: bad.lowest_priority = 8; break;
		case 3: bad.init_step = 1; break;
		case 4: bad.init_step = 5; break;
		case 5: bad.init_step = 3; bad.single = 1; break;
		case 6: bad.init_step = 4; bad.icw4_needed = 0; break;
		case 7: bad.poll = 2; break;
		case 8: bad.auto_eoi = 0xff; break;
		case 9: bad.reserved[0] = 1; break;
		case 10: bad.reserved[1] = 1ull << 63; break;
		case 11: bad.special_mask = 3; break;
		}
		before = a;
		assert_int_equal(vhv_pic_restore(&a, 0, &bad), -EINVAL);
		assert_memory_equal(&a, &before, sizeof(a));
	}
	vhv_pic_save(&a, 1, &bad);
	bad.elcr = 0x01;			/* IRQ 8: edge only */
	assert_int_equal(vhv_pic_restore(&a, 1, &bad), -EINVAL);
	bad.elcr = 0x20;			/* IRQ 13 */
	assert_int_equal(vhv_pic_restore(&a, 1, &bad), -EINVAL);
	bad.elcr = 0xde;
	assert_int_equal(vhv_pic_restore(&a, 1, &bad), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reset_values),
		cmocka_unit_test(test_reset_clears_a_busy_pic),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_linux_init_irq0_edge_ack_eoi),
		cmocka_unit_test(test_linux_mask_ack_pattern),
		cmocka_unit_test(test_linux_probe_reads_imr),
		cmocka_unit_test(test_init_steps),
		cmocka_unit_test(test_icw1_restarts_init),
		cmocka_unit_test(test_init_without_icw4),
		cmocka_unit_test(test_icw1_resets_operation),
		cmocka_unit_test(test_seabios_init_and_rtc),
		cmocka_unit_test(test_lower_waits_for_eoi_of_higher),
		cmocka_unit_test(test_higher_preempts_lower_in_service),
		cmocka_unit_test(test_priority_ends),
		cmocka_unit_test(test_fixed_priority_order),
		cmocka_unit_test(test_cascade_needs_both_eois),
		cmocka_unit_test(test_cascade_slave_isr_blocks_lower_slave),
		cmocka_unit_test(test_cascade_input_not_drivable),
		cmocka_unit_test(test_sfnm_lets_higher_slave_nest),
		cmocka_unit_test(test_sfnm_only_on_master_cascade),
		cmocka_unit_test(test_masking),
		cmocka_unit_test(test_cascade_masking),
		cmocka_unit_test(test_level_line_rerequests_until_dropped),
		cmocka_unit_test(test_level_line_dropped_before_ack_is_spurious),
		cmocka_unit_test(test_level_line_linux_mask_ack),
		cmocka_unit_test(test_edge_latch_survives_drop),
		cmocka_unit_test(test_elcr_masks),
		cmocka_unit_test(test_elcr_change_with_line_high),
		cmocka_unit_test(test_spurious_irq7),
		cmocka_unit_test(test_aeoi),
		cmocka_unit_test(test_aeoi_rotation),
		cmocka_unit_test(test_rotate_on_nonspecific_eoi),
		cmocka_unit_test(test_set_priority_and_rotated_nesting),
		cmocka_unit_test(test_rotate_on_specific_eoi),
		cmocka_unit_test(test_special_mask_mode),
		cmocka_unit_test(test_poll),
		cmocka_unit_test(test_poll_cascade),
		cmocka_unit_test(test_read_irr_isr_select),
		cmocka_unit_test(test_save_restore),
		cmocka_unit_test(test_restore_recomputes_cascade),
		cmocka_unit_test(test_restore_rejects),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
