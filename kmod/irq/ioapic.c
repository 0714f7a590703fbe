// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O APIC model (Intel 82093AA datasheet; ICH I/O APIC version 0x20
 * with its EOI register): register window, redirection table, pin levels
 * and remote IRR.  Portable: also built into the unit tests.
 */
#include "ioapic.h"

/* Registers behind IOWIN. */
#define REG_ID		0x00
#define REG_VER		0x01
#define REG_ARB		0x02
#define REG_REDIR	0x10	/* + 2 * pin: low dword; + 1: high dword */
#define REG_REDIR_END	(REG_REDIR + 2 * VHV_IOAPIC_PINS)

#define ID_MASK		0x0f000000u	/* IOAPICID and IOAPICARB bits 27:24 */
#define VER_VALUE	(VHV_IOAPIC_VERSION | (VHV_IOAPIC_PINS - 1) << 16)

/* Redirection entry. */
#define RTE_VECTOR	0xffull
#define RTE_DM_SHIFT	8
#define RTE_DM		(7ull << RTE_DM_SHIFT)
#define RTE_LOGICAL	VHV_BIT(11)
#define RTE_DELIVS	VHV_BIT(12)	/* read-only; delivery is instant: 0 */
#define RTE_POLARITY	VHV_BIT(13)
#define RTE_REMOTE_IRR	VHV_BIT(14)	/* read-only */
#define RTE_LEVEL	VHV_BIT(15)
#define RTE_MASKED	VHV_BIT(16)
#define RTE_DEST_SHIFT	56
#define RTE_DEST	(0xffull << RTE_DEST_SHIFT)
#define RTE_WRITABLE	(RTE_VECTOR | RTE_DM | RTE_LOGICAL | RTE_POLARITY | \
			 RTE_LEVEL | RTE_MASKED | RTE_DEST)
#define RTE_READABLE	(RTE_WRITABLE | RTE_REMOTE_IRR)

static unsigned int entry_dm(u64 e)
{
	return (e & RTE_DM) >> RTE_DM_SHIFT;
}

static bool entry_dm_reserved(u64 e)
{
	return entry_dm(e) == 3 || entry_dm(e) == 6;
}

/* Only fixed and lowest-priority interrupts are EOI'd by the LAPIC. */
static bool entry_is_level(u64 e)
{
	return (e & RTE_LEVEL) && entry_dm(e) <= VHV_DM_LOWEST;
}

void vhv_ioapic_entry_msg(u64 entry, struct vhv_irq_msg *msg)
{
	*msg = (struct vhv_irq_msg){
		.dest = (entry & RTE_DEST) >> RTE_DEST_SHIFT,
		.vector = entry & RTE_VECTOR,
		.delivery_mode = entry_dm(entry),
		.dest_logical = entry & RTE_LOGICAL,
		.level = entry_is_level(entry),
		.dest8 = true,
	};
}

static void send_entry(struct vhv_ioapic *io, unsigned int pin)
{
	struct vhv_irq_msg msg;

	if (entry_dm_reserved(io->redir[pin]))
		return;
	vhv_ioapic_entry_msg(io->redir[pin], &msg);
	if (msg.level)
		io->redir[pin] |= RTE_REMOTE_IRR;
	io->send(io->ctx, &msg);
}

/*
 * A level pin is due whenever it is asserted, unmasked and its remote IRR
 * clear.  Sending sets remote IRR, so calling this again is a no-op until
 * an EOI: the guard against storms.
 */
static void service_level(struct vhv_ioapic *io, unsigned int pin)
{
	u64 e = io->redir[pin];

	if (!entry_is_level(e) || (e & (RTE_MASKED | RTE_REMOTE_IRR)) ||
	    !(io->asserted & VHV_BIT(pin)))
		return;
	send_entry(io, pin);
}

void vhv_ioapic_init(struct vhv_ioapic *io, vhv_irq_send_fn *send, void *ctx)
{
	unsigned int pin;

	io->id = 0;
	io->ioregsel = 0;
	io->asserted = 0;
	for (pin = 0; pin < VHV_IOAPIC_PINS; pin++)
		io->redir[pin] = RTE_MASKED;
	io->send = send;
	io->eoi_notify = NULL;
	io->ctx = ctx;
}

int vhv_ioapic_set_irq(struct vhv_ioapic *io, unsigned int pin, bool asserted)
{
	bool rising;
	u64 e;

	if (pin >= VHV_IOAPIC_PINS)
		return -EINVAL;
	rising = asserted && !(io->asserted & VHV_BIT(pin));
	if (asserted)
		io->asserted |= VHV_BIT(pin);
	else
		io->asserted &= ~VHV_BIT(pin);

	e = io->redir[pin];
	if (entry_is_level(e))
		service_level(io, pin);
	else if (rising && !(e & RTE_MASKED))
		send_entry(io, pin);	/* a masked edge is lost */
	return 0;
}

static void eoi_vector(struct vhv_ioapic *io, u8 vector)
{
	unsigned int pin;

	for (pin = 0; pin < VHV_IOAPIC_PINS; pin++) {
		u64 e = io->redir[pin];

		if ((e & RTE_VECTOR) != vector || !(e & RTE_REMOTE_IRR))
			continue;
		io->redir[pin] = e & ~RTE_REMOTE_IRR;
		if (io->eoi_notify && io->eoi_notify(io->ctx, pin))
			io->asserted &= ~VHV_BIT(pin);
		service_level(io, pin);
	}
}

void vhv_ioapic_eoi(struct vhv_ioapic *io, u8 vector)
{
	if (vector < 16)
		return;
	eoi_vector(io, vector);
}

static void write_redir_low(struct vhv_ioapic *io, unsigned int pin, u32 val)
{
	u64 e = io->redir[pin];

	e = (e & ~0xffffffffull) | (e & RTE_REMOTE_IRR) | (val & RTE_WRITABLE);
	/*
	 * Remote IRR means nothing for an edge entry; clearing it here is
	 * what lets pre-0x20 IOAPIC drivers EOI by flipping the trigger mode.
	 */
	if (!(e & RTE_LEVEL))
		e &= ~RTE_REMOTE_IRR;
	io->redir[pin] = e;
	service_level(io, pin);
}

static void write_reg(struct vhv_ioapic *io, u32 reg, u32 val)
{
	unsigned int pin;

	if (reg == REG_ID) {
		io->id = val & ID_MASK;
		return;
	}
	if (reg < REG_REDIR || reg >= REG_REDIR_END)
		return;		/* IOAPICVER, IOAPICARB, unimplemented */
	pin = vhv_index_nospec((reg - REG_REDIR) / 2, VHV_IOAPIC_PINS);
	if (reg & 1)
		io->redir[pin] = (io->redir[pin] & 0xffffffffull) |
				 (((u64)val << 32) & RTE_WRITABLE);
	else
		write_redir_low(io, pin, val);
}

static u32 read_reg(struct vhv_ioapic *io, u32 reg)
{
	u64 e;

	switch (reg) {
	case REG_ID:
	case REG_ARB:	/* the arbitration id is loaded from the id */
		return io->id & ID_MASK;
	case REG_VER:
		return VER_VALUE;
	}
	if (reg < REG_REDIR || reg >= REG_REDIR_END)
		return 0;
	e = io->redir[vhv_index_nospec((reg - REG_REDIR) / 2, VHV_IOAPIC_PINS)] & RTE_READABLE;
	return reg & 1 ? e >> 32 : (u32)e;
}

u32 vhv_ioapic_read(struct vhv_ioapic *io, u32 offset)
{
	switch (offset) {
	case VHV_IOAPIC_IOREGSEL:
		return io->ioregsel & 0xff;
	case VHV_IOAPIC_IOWIN:
		return read_reg(io, io->ioregsel & 0xff);
	}
	return 0;	/* the EOI register is write-only */
}

void vhv_ioapic_write(struct vhv_ioapic *io, u32 offset, u32 val)
{
	switch (offset) {
	case VHV_IOAPIC_IOREGSEL:
		io->ioregsel = val & 0xff;
		break;
	case VHV_IOAPIC_IOWIN:
		write_reg(io, io->ioregsel & 0xff, val);
		break;
	case VHV_IOAPIC_EOI:
		eoi_vector(io, val & 0xff);
		break;
	}
}

/* ---- save/restore ------------------------------------------------------------- */

void vhv_ioapic_save(const struct vhv_ioapic *io, struct vhv_ioapic_state *s)
{
	unsigned int pin;

	*s = (struct vhv_ioapic_state) {
		.id = io->id & ID_MASK,
		.ioregsel = io->ioregsel & 0xff,
		.asserted = io->asserted & (VHV_BIT(VHV_IOAPIC_PINS) - 1),
	};
	for (pin = 0; pin < VHV_IOAPIC_PINS; pin++)
		s->redir[pin] = io->redir[pin] & RTE_READABLE;
}

int vhv_ioapic_restore(struct vhv_ioapic *io, const struct vhv_ioapic_state *s)
{
	unsigned int pin, i;

	if ((s->id & ~ID_MASK) || s->ioregsel > 0xff ||
	    (s->asserted >> VHV_IOAPIC_PINS) || s->pad)
		return -EINVAL;
	for (i = 0; i < sizeof(s->reserved) / sizeof(s->reserved[0]); i++)
		if (s->reserved[i])
			return -EINVAL;
	for (pin = 0; pin < VHV_IOAPIC_PINS; pin++) {
		u64 e = s->redir[pin];

		/* Remote IRR is set only by a level entry's delivery. */
		if ((e & ~RTE_READABLE) || ((e & RTE_REMOTE_IRR) && !(e & RTE_LEVEL)))
			return -EINVAL;
	}
	io->id = s->id;
	io->ioregsel = s->ioregsel;
	io->asserted = s->asserted;
	for (pin = 0; pin < VHV_IOAPIC_PINS; pin++)
		io->redir[pin] = s->redir[pin];
	for (pin = 0; pin < VHV_IOAPIC_PINS; pin++)
		service_level(io, pin);
	return 0;
}
