/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 8254 PIT (ports 0x40-0x43) and the PC's port 0x61 (channel 2 gate,
 * speaker data, channel 2 output), modes 0-5, latch and read-back
 * commands, as Linux drives them: channel 0 for the timer interrupt
 * (IRQ 0), channel 2 for TSC calibration.  The BCD bit is kept and shown
 * in the status byte but counting is always binary (0 loads 65536).
 * Counters run on the caller's clock (nanoseconds, passed in), so the
 * model holds no timer of its own: the module arms an hrtimer from
 * vhv_pit_irq0_timer().  Portable (no kernel headers).
 */
#ifndef VHV_IRQ_PIT_H
#define VHV_IRQ_PIT_H

#include "../portable.h"
#include "../../uapi/vhv.h"

#define VHV_PIT_HZ		1193182ull
#define VHV_PIT_PORT_COUNTER0	0x40
#define VHV_PIT_PORT_MODE	0x43
#define VHV_PIT_PORT_61		0x61

/*
 * The count goes down by one per tick from reload at load_ns (mode 3: by
 * two per half period); values are derived from the clock when read, never
 * stepped.  Counts and times below are those of the counting element (CE);
 * cr is the count register the guest writes.
 */
struct vhv_pit_channel {
	u32 reload;		/* the count CE runs from: 1..65536 (0 written = 65536) */
	u32 cr;			/* the last count written: 1..65536 */
	u64 load_ns;		/* when CE was loaded with reload */
	u64 pause_ns;		/* paused: when counting stopped */
	u64 pending_ns;		/* pending: when cr goes to CE (U64_MAX: at the next gate rise) */
	u8 mode;		/* 0..5 (control word modes 6, 7 are 2, 3) */
	u8 access;		/* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool bcd;		/* status bit 0 only: counting stays binary */
	bool gate;		/* channels 0 and 1: always high; 2: port 0x61 bit 0 */
	bool armed;		/* CE was loaded since the mode was set: it counts */
	bool paused;		/* modes 0, 4: gate low or half-written count (mode 0);
				 * modes 2, 3: gate low */
	bool pending;		/* cr waits for the end of the period (modes 2, 3)
				 * or for a gate rise (modes 1, 5, or 2, 3 gated off) */
	u16 idle_count;		/* what reads give while !armed */
	bool write_msb_next;	/* access 3: LSB written, MSB awaited */
	u8 write_lsb;
	bool read_msb_next;	/* access 3: LSB read, MSB next */
	bool count_latched;
	u16 latched_count;
	bool latched_msb_next;
	bool status_latched;
	u8 latched_status;
	bool null_count;	/* status bit 6: count written, not yet in CE */
};

struct vhv_pit {
	struct vhv_pit_channel ch[3];
	bool speaker_data;	/* port 0x61 bit 1, read back as written */
	bool refresh;		/* port 0x61 bit 4: flips on every read */
};

/* Power-on state: no count loaded, mode 0, LSB then MSB, channel 2 gated off. */
void vhv_pit_reset(struct vhv_pit *pit, u64 now_ns);

/* Whether port is 0x40-0x43 or 0x61. */
static inline bool vhv_pit_port(u16 port)
{
	return (port >= VHV_PIT_PORT_COUNTER0 && port <= VHV_PIT_PORT_MODE) ||
	       port == VHV_PIT_PORT_61;
}

/*
 * Guest port accesses (one byte).  vhv_pit_write returns true when
 * channel 0's interrupt timing (what vhv_pit_irq0_timer returns) changed:
 * the caller re-arms its timer.  now_ns must not go backwards.
 */
bool vhv_pit_write(struct vhv_pit *pit, u16 port, u8 val, u64 now_ns);
u8 vhv_pit_read(struct vhv_pit *pit, u16 port, u64 now_ns);

/*
 * Channel 0's rising edges on IRQ 0 after now: false if there are none
 * (no count loaded, a one-shot mode whose edge has passed, counts of 1 in
 * modes 2 and 3); else the first at *first_ns (absolute, exact: the
 * counter shows the edge from that nanosecond on, and it is > now_ns) and
 * then every *period_ns (0 for modes 0, 1, 4, 5: a single edge).  The
 * period is rounded to the nanosecond, so a caller that asks again after
 * each edge does not drift; a count of 2 means a period of 1.7 us, so the
 * caller bounds how fast it lets a guest make it fire.
 */
bool vhv_pit_irq0_timer(const struct vhv_pit *pit, u64 now_ns, u64 *first_ns,
			u64 *period_ns);

/*
 * Save/restore for VHV_GET/SET_IRQCHIP, with times relative to now_ns (see
 * struct vhv_pit_channel_state).  Restore checks everything first
 * (-EINVAL, nothing changed); the caller re-arms its timer afterwards.
 */
void vhv_pit_save(const struct vhv_pit *pit, u64 now_ns, struct vhv_pit_state *s);
int vhv_pit_restore(struct vhv_pit *pit, const struct vhv_pit_state *s, u64 now_ns);

#endif /* VHV_IRQ_PIT_H */
