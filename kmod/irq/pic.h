/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The PC's two cascaded 8259A PICs (master at 0x20/0x21, slave at
 * 0xa0/0xa1 on the master's IRQ 2) and their ELCR edge/level registers
 * (0x4d0/0x4d1), as Linux, firmware and test kernels program them: ICW1-4,
 * OCW1-3, specific and non-specific EOI, automatic EOI, special mask mode,
 * poll mode, rotation.  Portable (no kernel headers): the module calls it
 * under its own lock and built into userspace unit tests.
 */
#ifndef VHV_IRQ_PIC_H
#define VHV_IRQ_PIC_H

#include "../portable.h"
#include "../../uapi/vhv.h"

#define VHV_PIC_MASTER_CMD	0x20
#define VHV_PIC_MASTER_DATA	0x21
#define VHV_PIC_SLAVE_CMD	0xa0
#define VHV_PIC_SLAVE_DATA	0xa1
#define VHV_PIC_ELCR_MASTER	0x4d0
#define VHV_PIC_ELCR_SLAVE	0x4d1

struct vhv_pic_chip {
	u8 irr;			/* requests latched */
	u8 imr;			/* OCW1 mask */
	u8 isr;			/* in service */
	u8 lines;		/* the input lines' current levels */
	u8 elcr;		/* 1: level-triggered */
	u8 elcr_mask;		/* ELCR bits that exist on this chip */
	u8 vector_base;		/* ICW2, top 5 bits */
	u8 lowest_priority;	/* the IRQ with the lowest priority (rotation) */
	u8 init_step;		/* 0: initialised; 2..4: expecting ICW2..4 */
	bool icw4_needed;
	bool single;		/* ICW1 SNGL: no cascade */
	bool auto_eoi;		/* ICW4 AEOI */
	bool rotate_on_aeoi;	/* OCW2 rotate in AEOI mode */
	bool special_fully_nested;
	bool special_mask;	/* OCW3 SMM */
	bool read_isr;		/* OCW3 RR/RIS: reads of the command port give ISR */
	bool poll;		/* OCW3 P: the chip's next read is a poll */
};

struct vhv_pic {
	struct vhv_pic_chip chip[2];	/* master, slave */
};

/*
 * Power-on state, as after a PC reset: no request, nothing in service,
 * nothing masked (IMR 0), vector base 0, IR7 lowest priority, every line
 * low and edge-triggered (ELCR 0).  Each chip takes ICW1 at any time.
 */
void vhv_pic_reset(struct vhv_pic *pic);

/* Whether port is one of the six the PICs answer. */
static inline bool vhv_pic_port(u16 port)
{
	switch (port) {
	case VHV_PIC_MASTER_CMD:
	case VHV_PIC_MASTER_DATA:
	case VHV_PIC_SLAVE_CMD:
	case VHV_PIC_SLAVE_DATA:
	case VHV_PIC_ELCR_MASTER:
	case VHV_PIC_ELCR_SLAVE:
		return true;
	}
	return false;
}
/* Guest port accesses (one byte). */
void vhv_pic_write(struct vhv_pic *pic, u16 port, u8 val);
u8 vhv_pic_read(struct vhv_pic *pic, u16 port);

/*
 * A source drives line irq (0-15) to level.  Edge-triggered lines latch a
 * request on the rising edge; level-triggered ones (ELCR) request while
 * high.  Returns whether the PIC's INTR output changed.  IRQ 2 is the
 * cascade input, driven by the slave only: setting it (or irq >= 16) is
 * ignored.
 */
bool vhv_pic_set_irq(struct vhv_pic *pic, unsigned int irq, bool level);

/* The master's INTR output: an unmasked request above what is in service. */
bool vhv_pic_output(const struct vhv_pic *pic);

/*
 * The CPU's interrupt acknowledge (INTA): the vector to deliver, with the
 * request moved to in-service (or ended at once in AEOI mode).  Without a
 * request left (it was masked or dropped meanwhile) the spurious IRQ 7 of
 * the chip that answered, as on hardware.
 */
u8 vhv_pic_ack(struct vhv_pic *pic);

/*
 * Save/restore of one chip (0 master, 1 slave) for VHV_GET/SET_IRQCHIP.
 * Restore checks everything first (-EINVAL, nothing changed) and then
 * recomputes the cascade: the caller looks at the output afterwards.
 */
void vhv_pic_save(const struct vhv_pic *pic, unsigned int chip, struct vhv_pic_state *s);
int vhv_pic_restore(struct vhv_pic *pic, unsigned int chip, const struct vhv_pic_state *s);

#endif /* VHV_IRQ_PIC_H */
