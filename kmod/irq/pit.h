/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 8254 PIT (ports 0x40-0x43) and the PC's port 0x61 (channel 2 gate,
 * speaker data, channel 2 output), modes 0-5, binary counting (BCD
 * refused as on most emulations), latch and read-back commands, as Linux
 * drives them: channel 0 for the timer interrupt (IRQ 0), channel 2 for
 * TSC calibration.  Counters run on the caller's clock (nanoseconds,
 * passed in), so the model holds no timer of its own: the module arms an
 * hrtimer from vhv_pit_irq0_timer().  Portable (no kernel headers).
 */
#ifndef VHV_IRQ_PIT_H
#define VHV_IRQ_PIT_H

#include "../portable.h"

#define VHV_PIT_HZ		1193182ull
#define VHV_PIT_PORT_COUNTER0	0x40
#define VHV_PIT_PORT_MODE	0x43
#define VHV_PIT_PORT_61		0x61

struct vhv_pit_channel {
	u32 reload;		/* the count loaded: 1..65536 (0 written = 65536) */
	u64 load_ns;		/* when counting started from reload */
	u8 mode;		/* 0..5 */
	u8 access;		/* 1 LSB, 2 MSB, 3 LSB then MSB */
	bool gate;		/* channels 0 and 1: always high; 2: port 0x61 bit 0 */
	bool armed;		/* a count was loaded since the mode was set */
	bool write_msb_next;	/* access 3: LSB written, MSB awaited */
	u8 write_lsb;
	bool read_msb_next;	/* access 3: LSB read, MSB next */
	bool count_latched;
	u16 latched_count;
	bool latched_msb_next;
	bool status_latched;
	u8 latched_status;
	bool null_count;	/* status bit 6: count written, not yet loaded */
};

struct vhv_pit {
	struct vhv_pit_channel ch[3];
	bool speaker_data;	/* port 0x61 bit 1, read back as written */
};

void vhv_pit_reset(struct vhv_pit *pit, u64 now_ns);

/* Whether port is 0x40-0x43 or 0x61. */
bool vhv_pit_port(u16 port);

/*
 * Guest port accesses (one byte).  vhv_pit_write returns true when
 * channel 0's interrupt timing changed: the caller re-arms its timer.
 */
bool vhv_pit_write(struct vhv_pit *pit, u16 port, u8 val, u64 now_ns);
u8 vhv_pit_read(struct vhv_pit *pit, u16 port, u64 now_ns);

/*
 * Channel 0's rising edges on IRQ 0 from now on: false if there are none
 * (no count loaded, or a one-shot mode whose edge has passed); else the
 * first at *first_ns (absolute, >= the count's start) and then every
 * *period_ns (0 for modes 0, 1, 4, 5: a single edge).
 */
bool vhv_pit_irq0_timer(const struct vhv_pit *pit, u64 now_ns, u64 *first_ns,
			u64 *period_ns);

#endif /* VHV_IRQ_PIT_H */
