// SPDX-License-Identifier: GPL-2.0
/*
 * The PC's cascaded 8259A pair and its ELCR, after the Intel 8259A
 * datasheet.  Portable: no kernel headers, also built into the unit tests.
 */
#include "pic.h"

#define MASTER		0
#define SLAVE		1
#define CASCADE_IRQ	2		/* the master input the slave drives */
#define CASCADE_BIT	(1u << CASCADE_IRQ)
#define SPURIOUS_IRQ	7		/* what an INTA without a request gets */

/* ELCR bits that exist: IRQ 0, 1, 2, 8 and 13 are always edge (PIIX). */
#define ELCR_MASK_MASTER	0xf8
#define ELCR_MASK_SLAVE		0xde

/* Command-port bytes: ICW1 has D4 set, OCW3 D3 (D4 clear), OCW2 neither. */
#define ICW1_IC4	0x01
#define ICW1_SNGL	0x02
#define ICW1_SEL	0x10
#define ICW4_AEOI	0x02
#define ICW4_SFNM	0x10
#define OCW3_SEL	0x08
#define OCW3_RIS	0x01
#define OCW3_RR		0x02
#define OCW3_POLL	0x04
#define OCW3_SMM	0x20
#define OCW3_ESMM	0x40
#define POLL_INT	0x80		/* poll word: a request was found */

/* OCW2 R/SL/EOI (bits 7:5); L (bits 2:0) names the level for the SL forms. */
#define OCW2_OP(v)		((v) >> 5)
#define OCW2_LEVEL(v)		((v) & 7)
#define OCW2_AEOI_ROTATE_CLEAR	0
#define OCW2_EOI		1
#define OCW2_NOP		2
#define OCW2_SPECIFIC_EOI	3
#define OCW2_AEOI_ROTATE_SET	4
#define OCW2_ROTATE_EOI		5
#define OCW2_SET_PRIORITY	6
#define OCW2_ROTATE_SPECIFIC_EOI 7

/* 0 is the highest priority, 7 the lowest (rotation moves the origin). */
static unsigned int priority(const struct vhv_pic_chip *c, unsigned int irq)
{
	return (irq - c->lowest_priority - 1) & 7;
}

/* The highest-priority IRQ among bits, or -1 when bits is empty. */
static int highest(const struct vhv_pic_chip *c, u8 bits)
{
	unsigned int i, irq;

	if (!bits)
		return -1;	/* the common case, on every vCPU entry */
	for (i = 0; i < 8; i++) {
		irq = (c->lowest_priority + 1 + i) & 7;
		if (bits & (1u << irq))
			return irq;
	}
	return -1;
}

/*
 * In special mask mode a masked level in service no longer holds off
 * anything: the handler masked itself to let lower levels in.
 */
static u8 blocking_isr(const struct vhv_pic_chip *c)
{
	return c->special_mask ? c->isr & ~c->imr : c->isr;
}

/*
 * The IRQ this chip would raise INT for, or -1: the highest unmasked
 * request, if above every level in service.  cascade is the input a
 * slave drives: in special fully nested mode a further request there may
 * interrupt the slave's lower one already in service.
 */
static int chip_next(const struct vhv_pic_chip *c, u8 cascade)
{
	int req = highest(c, c->irr & ~c->imr), srv;

	if (req < 0)
		return -1;
	srv = highest(c, blocking_isr(c));
	if (srv < 0)
		return req;
	if (priority(c, req) < priority(c, srv))
		return req;
	if (req == srv && c->special_fully_nested && (cascade & (1u << req)))
		return req;
	return -1;
}

/* Only the master has an input wired to a slave. */
static u8 cascade_in(unsigned int chip)
{
	return chip == MASTER ? CASCADE_BIT : 0;
}

static int next_irq(const struct vhv_pic *pic, unsigned int chip)
{
	return chip_next(&pic->chip[chip], cascade_in(chip));
}

/* The master's IR2 follows the slave's INT, like a level input. */
static void update_cascade(struct vhv_pic *pic)
{
	struct vhv_pic_chip *m = &pic->chip[MASTER];
	u8 slave_int = next_irq(pic, SLAVE) >= 0 ? CASCADE_BIT : 0;

	m->lines = (m->lines & ~CASCADE_BIT) | slave_int;
	m->irr = (m->irr & ~CASCADE_BIT) | slave_int;
}

/*
 * One chip's part of INTA (or of a poll read): the chosen request goes in
 * service, or straight out again in AEOI mode.  Edge requests are consumed;
 * level ones stay while the line is high, held off by the in-service bit.
 * Returns the IRQ, or -1 when nothing may be delivered.
 */
static int ack_irq(struct vhv_pic *pic, unsigned int chip)
{
	struct vhv_pic_chip *c = &pic->chip[chip];
	int irq = next_irq(pic, chip);

	if (irq < 0)
		return -1;
	if (!(c->elcr & (1u << irq)))
		c->irr &= ~(1u << irq);
	if (!c->auto_eoi)
		c->isr |= 1u << irq;
	else if (c->rotate_on_aeoi)
		c->lowest_priority = irq;
	return irq;
}

static void chip_reset(struct vhv_pic_chip *c, u8 elcr_mask)
{
	*c = (struct vhv_pic_chip) {
		.elcr_mask = elcr_mask,
		.lowest_priority = 7,
	};
}

void vhv_pic_reset(struct vhv_pic *pic)
{
	chip_reset(&pic->chip[MASTER], ELCR_MASK_MASTER);
	chip_reset(&pic->chip[SLAVE], ELCR_MASK_SLAVE);
}

/*
 * ICW1 starts initialisation over.  The datasheet clears IMR, resets the
 * edge sense (an edge line must rise again to request), makes IR7 lowest,
 * selects IRR for reads and clears special mask mode and, without IC4, the
 * ICW4 modes.  In-service bits are dropped as well, so a guest that
 * reinitialises (kexec, a second boot stage) does not start with a level
 * stuck in service.  Lines held high on level inputs request at once.
 * LTIM is ignored: on a PC the ELCR decides edge or level.
 */
static void write_icw1(struct vhv_pic_chip *c, u8 val)
{
	c->init_step = 2;
	c->icw4_needed = val & ICW1_IC4;
	c->single = val & ICW1_SNGL;
	c->irr = c->lines & c->elcr;
	c->imr = 0;
	c->isr = 0;
	c->lowest_priority = 7;
	c->auto_eoi = false;
	c->rotate_on_aeoi = false;
	c->special_fully_nested = false;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
}

/*
 * ICW2-4 on the data port.  The cascade is wired (slave on IR2), so ICW3
 * is only awaited, not interpreted.  In ICW4 only AEOI and SFNM matter:
 * the CPU's INTA always takes a vector, so µPM (8086 vs 8080 mode), like
 * BUF and M/S, is accepted and ignored; an init without ICW4 (µPM 0)
 * therefore works as an 8086-mode one.
 */
static void write_icw(struct vhv_pic_chip *c, u8 val)
{
	switch (c->init_step) {
	case 2:
		c->vector_base = val & 0xf8;
		if (!c->single)
			c->init_step = 3;
		else
			c->init_step = c->icw4_needed ? 4 : 0;
		break;
	case 3:
		c->init_step = c->icw4_needed ? 4 : 0;
		break;
	case 4:
		c->auto_eoi = val & ICW4_AEOI;
		c->special_fully_nested = val & ICW4_SFNM;
		c->init_step = 0;
		break;
	}
}

/*
 * A non-specific EOI ends the highest level in service; in special mask
 * mode a masked level is not a candidate (datasheet), since its handler
 * still runs with lower levels let in.
 */
static void nonspecific_eoi(struct vhv_pic_chip *c, bool rotate)
{
	int irq = highest(c, blocking_isr(c));

	if (irq < 0)
		return;
	c->isr &= ~(1u << irq);
	if (rotate)
		c->lowest_priority = irq;
}

static void write_ocw2(struct vhv_pic_chip *c, u8 val)
{
	unsigned int level = OCW2_LEVEL(val);

	switch (OCW2_OP(val)) {
	case OCW2_AEOI_ROTATE_CLEAR:
		c->rotate_on_aeoi = false;
		break;
	case OCW2_AEOI_ROTATE_SET:
		c->rotate_on_aeoi = true;
		break;
	case OCW2_EOI:
		nonspecific_eoi(c, false);
		break;
	case OCW2_ROTATE_EOI:
		nonspecific_eoi(c, true);
		break;
	case OCW2_SPECIFIC_EOI:
		c->isr &= ~(1u << level);
		break;
	case OCW2_ROTATE_SPECIFIC_EOI:
		c->isr &= ~(1u << level);
		c->lowest_priority = level;
		break;
	case OCW2_SET_PRIORITY:
		c->lowest_priority = level;
		break;
	case OCW2_NOP:
		break;
	}
}

static void write_ocw3(struct vhv_pic_chip *c, u8 val)
{
	if (val & OCW3_ESMM)
		c->special_mask = val & OCW3_SMM;
	if (val & OCW3_RR)
		c->read_isr = val & OCW3_RIS;
	if (val & OCW3_POLL)
		c->poll = true;
}

static void write_command(struct vhv_pic_chip *c, u8 val)
{
	if (val & ICW1_SEL)
		write_icw1(c, val);
	else if (val & OCW3_SEL)
		write_ocw3(c, val);
	else
		write_ocw2(c, val);
}

/* Lines turned level request while high; lines turned edge keep a latch. */
static void write_elcr(struct vhv_pic_chip *c, u8 val)
{
	u8 turned_level = val & c->elcr_mask & ~c->elcr;

	c->elcr = val & c->elcr_mask;
	c->irr = (c->irr & ~turned_level) | (c->lines & turned_level);
}

void vhv_pic_write(struct vhv_pic *pic, u16 port, u8 val)
{
	struct vhv_pic_chip *c = &pic->chip[port & 0x80 ? SLAVE : MASTER];

	switch (port) {
	case VHV_PIC_MASTER_CMD:
	case VHV_PIC_SLAVE_CMD:
		write_command(c, val);
		break;
	case VHV_PIC_MASTER_DATA:
	case VHV_PIC_SLAVE_DATA:
		if (c->init_step)
			write_icw(c, val);
		else
			c->imr = val;	/* OCW1 */
		break;
	case VHV_PIC_ELCR_MASTER:
		write_elcr(&pic->chip[MASTER], val);
		break;
	case VHV_PIC_ELCR_SLAVE:
		write_elcr(&pic->chip[SLAVE], val);
		break;
	default:
		return;
	}
	update_cascade(pic);
}

/*
 * A poll read is the chip's INTA done by software: the poll word says
 * whether a level was taken (bit 7) and which (bits 2:0).  It concerns
 * this chip only: polling the master may take IR2, the slave is polled
 * next.
 */
static u8 read_poll(struct vhv_pic *pic, unsigned int chip)
{
	int irq;

	pic->chip[chip].poll = false;
	irq = ack_irq(pic, chip);
	update_cascade(pic);
	return irq < 0 ? 0 : POLL_INT | irq;
}

u8 vhv_pic_read(struct vhv_pic *pic, u16 port)
{
	unsigned int chip = port & 0x80 ? SLAVE : MASTER;
	struct vhv_pic_chip *c = &pic->chip[chip];

	switch (port) {
	case VHV_PIC_MASTER_CMD:
	case VHV_PIC_SLAVE_CMD:
		if (c->poll)
			return read_poll(pic, chip);
		return c->read_isr ? c->isr : c->irr;
	case VHV_PIC_MASTER_DATA:
	case VHV_PIC_SLAVE_DATA:
		/* The datasheet's poll takes the next read from either port. */
		if (c->poll)
			return read_poll(pic, chip);
		return c->imr;
	case VHV_PIC_ELCR_MASTER:
		return pic->chip[MASTER].elcr;
	case VHV_PIC_ELCR_SLAVE:
		return pic->chip[SLAVE].elcr;
	}
	return 0xff;
}

/* Edge inputs latch a rising edge; level inputs request while high. */
static void chip_set_line(struct vhv_pic_chip *c, unsigned int irq, bool level)
{
	u8 bit = 1u << irq;
	bool rising = level && !(c->lines & bit);

	if (level)
		c->lines |= bit;
	else
		c->lines &= ~bit;
	if (c->elcr & bit)
		c->irr = level ? c->irr | bit : c->irr & ~bit;
	else if (rising)
		c->irr |= bit;
}

/* IRQ 2 is the cascade input, driven by the slave alone. */
bool vhv_pic_set_irq(struct vhv_pic *pic, unsigned int irq, bool level)
{
	bool before = vhv_pic_output(pic);

	if (irq >= 16 || irq == CASCADE_IRQ)
		return false;
	chip_set_line(&pic->chip[irq >> 3], irq & 7, level);
	update_cascade(pic);
	return vhv_pic_output(pic) != before;
}

bool vhv_pic_output(const struct vhv_pic *pic)
{
	return next_irq(pic, MASTER) >= 0;
}

/*
 * The master answers INTA; for IR2 it hands the cycle to the slave, which
 * supplies the vector.  A chip with nothing left to give (the request
 * dropped or was masked since INTR rose) answers with its IR7 vector and
 * sets no in-service bit, as the datasheet's default IR7.
 */
u8 vhv_pic_ack(struct vhv_pic *pic)
{
	struct vhv_pic_chip *m = &pic->chip[MASTER];
	struct vhv_pic_chip *s = &pic->chip[SLAVE];
	int irq = ack_irq(pic, MASTER);
	u8 vector;

	if (irq < 0) {
		vector = m->vector_base | SPURIOUS_IRQ;
	} else if (irq == CASCADE_IRQ) {
		irq = ack_irq(pic, SLAVE);
		vector = s->vector_base | (irq < 0 ? SPURIOUS_IRQ : irq);
	} else {
		vector = m->vector_base | irq;
	}
	update_cascade(pic);
	return vector;
}

/* ---- save/restore ------------------------------------------------------------- */

void vhv_pic_save(const struct vhv_pic *pic, unsigned int chip, struct vhv_pic_state *s)
{
	const struct vhv_pic_chip *c = &pic->chip[chip & 1];

	*s = (struct vhv_pic_state) {
		.irr = c->irr, .imr = c->imr, .isr = c->isr, .lines = c->lines,
		.elcr = c->elcr, .vector_base = c->vector_base,
		.lowest_priority = c->lowest_priority, .init_step = c->init_step,
		.icw4_needed = c->icw4_needed, .single = c->single,
		.auto_eoi = c->auto_eoi, .rotate_on_aeoi = c->rotate_on_aeoi,
		.special_fully_nested = c->special_fully_nested,
		.special_mask = c->special_mask, .read_isr = c->read_isr,
		.poll = c->poll,
	};
}

/* A state the chip can reach: ICW steps in their order, bits it has. */
static bool pic_state_valid(const struct vhv_pic_chip *c, const struct vhv_pic_state *s)
{
	const u8 flags[] = {
		s->icw4_needed, s->single, s->auto_eoi, s->rotate_on_aeoi,
		s->special_fully_nested, s->special_mask, s->read_isr, s->poll,
	};
	unsigned int i;

	for (i = 0; i < sizeof(flags); i++)
		if (flags[i] > 1)
			return false;
	if (s->reserved[0] || s->reserved[1])
		return false;
	if ((s->elcr & ~c->elcr_mask) || (s->vector_base & 7) || s->lowest_priority > 7)
		return false;
	switch (s->init_step) {
	case 0:
	case 2:
		return true;
	case 3:
		return !s->single;
	case 4:
		return s->icw4_needed;
	default:
		return false;
	}
}

int vhv_pic_restore(struct vhv_pic *pic, unsigned int chip, const struct vhv_pic_state *s)
{
	struct vhv_pic_chip *c = &pic->chip[chip & 1];

	if (!pic_state_valid(c, s))
		return -EINVAL;
	c->irr = s->irr;
	c->imr = s->imr;
	c->isr = s->isr;
	c->lines = s->lines;
	c->elcr = s->elcr;
	c->vector_base = s->vector_base;
	c->lowest_priority = s->lowest_priority;
	c->init_step = s->init_step;
	c->icw4_needed = s->icw4_needed;
	c->single = s->single;
	c->auto_eoi = s->auto_eoi;
	c->rotate_on_aeoi = s->rotate_on_aeoi;
	c->special_fully_nested = s->special_fully_nested;
	c->special_mask = s->special_mask;
	c->read_isr = s->read_isr;
	c->poll = s->poll;
	update_cascade(pic);
	return 0;
}
