// SPDX-License-Identifier: GPL-2.0
/*
 * 8254 programmable interval timer (Intel 8254 / 82C54 datasheets) and
 * port 0x61, on the caller's nanosecond clock.  Portable: no kernel headers.
 *
 * Simplifications, all invisible to Linux:
 * - a count starts at the nanosecond it is written (or its gate rises), not
 *   one tick later, so a mode 0 count of N raises OUT N ticks after the
 *   write: what pit_calibrate_tsc assumes;
 * - counting is binary even with the BCD bit set;
 * - mode 3 takes a new count at the end of the full period (the datasheet
 *   says half period): only the first edge after the change can differ, by
 *   at most half a period;
 * - a control word ends counting in every mode and clears pending latches
 *   ("all control logic is reset").
 */
#include "pit.h"

#define NSEC_PER_S	1000000000ull
#define AT_GATE_RISE	(~0ull)

enum { ACCESS_LATCH = 0, ACCESS_LSB = 1, ACCESS_MSB = 2, ACCESS_WORD = 3 };

/* Whole ticks in ns nanoseconds; split so that days of uptime cannot overflow. */
static u64 ns_to_ticks(u64 ns)
{
	return ns / NSEC_PER_S * VHV_PIT_HZ + ns % NSEC_PER_S * VHV_PIT_HZ / NSEC_PER_S;
}

/* The first nanosecond at which ns_to_ticks() reaches ticks. */
static u64 ticks_to_ns(u64 ticks)
{
	return ticks / VHV_PIT_HZ * NSEC_PER_S +
	       (ticks % VHV_PIT_HZ * NSEC_PER_S + VHV_PIT_HZ - 1) / VHV_PIT_HZ;
}

/* Ticks counted since CE was loaded: frozen while paused. */
static u64 elapsed(const struct vhv_pit_channel *ch, u64 now)
{
	u64 end = ch->paused ? ch->pause_ns : now;

	return end > ch->load_ns ? ns_to_ticks(end - ch->load_ns) : 0;
}

/* Moves a count waiting for the end of a period into CE once its time came. */
static void settle(struct vhv_pit_channel *ch, u64 now)
{
	if (ch->pending && ch->pending_ns != AT_GATE_RISE && now >= ch->pending_ns) {
		ch->reload = ch->cr;
		ch->load_ns = ch->pending_ns;
		ch->pending = false;
		ch->null_count = false;
	}
}

static u16 count_at(const struct vhv_pit_channel *ch, u64 now)
{
	u64 n = ch->reload, t, q;

	if (!ch->armed)
		return ch->idle_count;
	t = elapsed(ch, now);
	switch (ch->mode) {
	case 2:
		return (u16)(n - t % n);
	case 3:
		/* Down by two from the even count; half periods (n+1)/2 high, n/2 low. */
		q = t % n;
		if (q >= (n + 1) / 2)
			q -= (n + 1) / 2;
		return (u16)((n & ~1ull) - 2 * q);
	default:
		return (u16)(n - t);	/* modes 0, 1, 4, 5 wrap past 0 */
	}
}

static bool out_at(const struct vhv_pit_channel *ch, u64 now)
{
	u64 n = ch->reload, t;

	if (!ch->armed)
		return ch->mode != 0;
	t = elapsed(ch, now);
	switch (ch->mode) {
	case 0:
	case 1:
		return t >= n;
	case 2:
		return ch->paused || t % n != n - 1;
	case 3:
		return ch->paused || t % n < (n + 1) / 2;
	default:
		return t != n;		/* modes 4, 5: low for the tick at 0 */
	}
}

static void load_now(struct vhv_pit_channel *ch, u64 now)
{
	ch->reload = ch->cr;
	ch->load_ns = now;
	ch->armed = true;
	ch->pending = false;
	ch->null_count = false;
	ch->paused = false;
}

/* A complete count arrived in cr. */
static void count_written(struct vhv_pit_channel *ch, u64 now)
{
	u64 n, t;

	switch (ch->mode) {
	case 0:
	case 4:
		load_now(ch, now);
		if (!ch->gate) {
			ch->paused = true;
			ch->pause_ns = now;
		}
		break;
	case 2:
	case 3:
		if (!ch->armed) {
			load_now(ch, now);
			if (!ch->gate) {
				ch->paused = true;
				ch->pause_ns = now;
			}
			break;
		}
		/* The current period runs out first; a gate rise comes sooner. */
		ch->pending = true;
		ch->null_count = true;
		if (ch->paused) {
			ch->pending_ns = AT_GATE_RISE;
			break;
		}
		n = ch->reload;
		t = elapsed(ch, now);
		ch->pending_ns = ch->load_ns + ticks_to_ns((t / n + 1) * n);
		break;
	default:
		/* Modes 1, 5: the next trigger loads it. */
		ch->pending = true;
		ch->pending_ns = AT_GATE_RISE;
		ch->null_count = true;
		break;
	}
}

static void write_counter(struct vhv_pit_channel *ch, u8 val, u64 now)
{
	u32 count;

	switch (ch->access) {
	case ACCESS_LSB:
		count = val;
		break;
	case ACCESS_MSB:
		count = (u32)val << 8;
		break;
	default:
		if (!ch->write_msb_next) {
			ch->write_lsb = val;
			ch->write_msb_next = true;
			ch->null_count = true;
			/* Mode 0: the first byte stops the count. */
			if (ch->mode == 0 && ch->armed && !ch->paused) {
				ch->paused = true;
				ch->pause_ns = now;
			}
			return;
		}
		ch->write_msb_next = false;
		count = (u32)val << 8 | ch->write_lsb;
		break;
	}
	ch->cr = count ? count : 0x10000;
	count_written(ch, now);
}

static void latch_count(struct vhv_pit_channel *ch, u64 now)
{
	if (ch->count_latched)
		return;
	ch->latched_count = count_at(ch, now);
	ch->count_latched = true;
	ch->latched_msb_next = false;
}

static void latch_status(struct vhv_pit_channel *ch, u64 now)
{
	if (ch->status_latched)
		return;
	ch->latched_status = (out_at(ch, now) ? 0x80 : 0) | (ch->null_count ? 0x40 : 0) |
			     ch->access << 4 | ch->mode << 1 | (ch->bcd ? 1 : 0);
	ch->status_latched = true;
}

static void set_mode(struct vhv_pit_channel *ch, u8 val, u64 now)
{
	u8 mode = (val >> 1) & 7;

	ch->idle_count = count_at(ch, now);
	ch->mode = mode > 5 ? mode - 4 : mode;
	ch->access = (val >> 4) & 3;
	ch->bcd = val & 1;
	ch->armed = false;
	ch->paused = false;
	ch->pending = false;
	ch->null_count = true;
	ch->write_msb_next = false;
	ch->read_msb_next = false;
	ch->count_latched = false;
	ch->status_latched = false;
}

static void write_control(struct vhv_pit *pit, u8 val, u64 now)
{
	unsigned int i, sc = val >> 6;

	if (sc == 3) {
		/* Read-back: bit 5 clear latches counts, bit 4 clear statuses. */
		for (i = 0; i < 3; i++) {
			if (!(val & (2 << i)))
				continue;
			if (!(val & 0x20))
				latch_count(&pit->ch[i], now);
			if (!(val & 0x10))
				latch_status(&pit->ch[i], now);
		}
		return;
	}
	sc = vhv_index_nospec(sc, 3);
	if (((val >> 4) & 3) == ACCESS_LATCH)
		latch_count(&pit->ch[sc], now);
	else
		set_mode(&pit->ch[sc], val, now);
}

static void set_gate(struct vhv_pit_channel *ch, bool gate, u64 now)
{
	if (gate == ch->gate)
		return;
	ch->gate = gate;
	if (!gate) {
		/* Modes 1 and 5 ignore a falling gate; 2 and 3 also drive OUT high. */
		if (ch->mode == 1 || ch->mode == 5 || !ch->armed || ch->paused)
			return;
		ch->paused = true;
		ch->pause_ns = now;
		if (ch->pending)
			ch->pending_ns = AT_GATE_RISE;
		return;
	}
	switch (ch->mode) {
	case 0:
	case 4:
		/* Resume where it stopped, unless a half-written count holds it. */
		if (ch->armed && ch->paused && !(ch->mode == 0 && ch->write_msb_next)) {
			ch->load_ns += now - ch->pause_ns;
			ch->paused = false;
		}
		break;
	default:
		/* A trigger: CE starts again from the latest count. */
		if (ch->armed || ch->pending)
			load_now(ch, now);
		break;
	}
}

void vhv_pit_reset(struct vhv_pit *pit, u64 now_ns)
{
	unsigned int i;

	*pit = (struct vhv_pit){ 0 };
	for (i = 0; i < 3; i++) {
		pit->ch[i].reload = 0x10000;
		pit->ch[i].cr = 0x10000;
		pit->ch[i].load_ns = now_ns;
		pit->ch[i].access = ACCESS_WORD;
		pit->ch[i].gate = i != 2;
		pit->ch[i].null_count = true;
	}
}

bool vhv_pit_irq0_timer(const struct vhv_pit *pit, u64 now_ns, u64 *first_ns,
			u64 *period_ns)
{
	struct vhv_pit_channel ch = pit->ch[0];
	u64 n, t, edge;

	settle(&ch, now_ns);
	if (!ch.armed || ch.paused)
		return false;
	n = ch.reload;
	t = elapsed(&ch, now_ns);
	switch (ch.mode) {
	case 2:
	case 3:
		/* Rising edges at every multiple of n: OUT was high at the load. */
		if (n < 2)
			return false;
		*first_ns = ch.load_ns + ticks_to_ns((t / n + 1) * n);
		/* A count written in this period applies from its end. */
		if (ch.pending)
			n = ch.cr;
		*period_ns = (n * NSEC_PER_S + VHV_PIT_HZ / 2) / VHV_PIT_HZ;
		return true;
	case 0:
	case 1:
		edge = n;
		break;
	default:
		edge = n + 1;	/* modes 4, 5: OUT back high a tick after 0 */
		break;
	}
	if (t >= edge)
		return false;
	*first_ns = ch.load_ns + ticks_to_ns(edge);
	*period_ns = 0;
	return true;
}

static bool irq0_same(const struct vhv_pit *pit, u64 now, bool had, u64 first,
		      u64 period)
{
	u64 f = 0, p = 0;
	bool has = vhv_pit_irq0_timer(pit, now, &f, &p);

	return has == had && (!has || (f == first && p == period));
}

bool vhv_pit_write(struct vhv_pit *pit, u16 port, u8 val, u64 now_ns)
{
	u64 first = 0, period = 0;
	bool had;
	unsigned int i;

	if (!vhv_pit_port(port))
		return false;
	had = vhv_pit_irq0_timer(pit, now_ns, &first, &period);
	for (i = 0; i < 3; i++)
		settle(&pit->ch[i], now_ns);

	if (port == VHV_PIT_PORT_61) {
		pit->speaker_data = val & 2;
		set_gate(&pit->ch[2], val & 1, now_ns);
	} else if (port == VHV_PIT_PORT_MODE) {
		write_control(pit, val, now_ns);
	} else {
		write_counter(&pit->ch[vhv_index_nospec(port - VHV_PIT_PORT_COUNTER0, 3)], val, now_ns);
	}
	return !irq0_same(pit, now_ns, had, first, period);
}

static u8 read_counter(struct vhv_pit_channel *ch, u64 now)
{
	u16 count;
	bool msb;

	if (ch->status_latched) {
		ch->status_latched = false;
		return ch->latched_status;
	}
	if (ch->count_latched) {
		count = ch->latched_count;
		if (ch->access == ACCESS_WORD) {
			msb = ch->latched_msb_next;
			ch->latched_msb_next = !msb;
			ch->count_latched = !msb;
		} else {
			msb = ch->access == ACCESS_MSB;
			ch->count_latched = false;
		}
	} else {
		count = count_at(ch, now);
		if (ch->access == ACCESS_WORD) {
			msb = ch->read_msb_next;
			ch->read_msb_next = !msb;
		} else {
			msb = ch->access == ACCESS_MSB;
		}
	}
	return msb ? count >> 8 : count & 0xff;
}

u8 vhv_pit_read(struct vhv_pit *pit, u16 port, u64 now_ns)
{
	struct vhv_pit_channel *ch2 = &pit->ch[2];

	if (port >= VHV_PIT_PORT_COUNTER0 && port < VHV_PIT_PORT_MODE) {
		struct vhv_pit_channel *ch = &pit->ch[vhv_index_nospec(port - VHV_PIT_PORT_COUNTER0, 3)];

		settle(ch, now_ns);
		return read_counter(ch, now_ns);
	}
	if (port != VHV_PIT_PORT_61)
		return 0xff;	/* the control word register cannot be read */
	settle(ch2, now_ns);
	pit->refresh = !pit->refresh;
	return (ch2->gate ? 1 : 0) | (pit->speaker_data ? 2 : 0) |
	       (pit->refresh ? 0x10 : 0) | (out_at(ch2, now_ns) ? 0x20 : 0);
}

/* ---- save/restore ------------------------------------------------------------- */

/* The longest a count runs: 65536 ticks. */
#define MAX_COUNT	0x10000ull

/*
 * ns of counting since CE was loaded, reduced to the same phase in the
 * first period (modes 2, 3: what counts is the tick within the period),
 * or to the first wrap after the one edge (modes 0, 1, 4, 5: after it the
 * count wraps every 65536 ticks and OUT no longer changes).  The time
 * into the current tick is kept, to the nanosecond the tick lengths allow.
 */
static u64 reduce_elapsed(const struct vhv_pit_channel *ch, u64 ns)
{
	u64 t = ns_to_ticks(ns), into = ns - ticks_to_ns(t), n = ch->reload;
	u64 edge, k, len;

	switch (ch->mode) {
	case 2:
	case 3:
		k = t % n;
		break;
	default:
		edge = ch->mode <= 1 ? n : n + 1;
		if (t < edge + MAX_COUNT)
			return ns;
		k = edge + (t - edge) % MAX_COUNT;
		break;
	}
	len = ticks_to_ns(k + 1) - ticks_to_ns(k);
	return ticks_to_ns(k) + (into < len ? into : len - 1);
}

void vhv_pit_save(const struct vhv_pit *pit, u64 now_ns, struct vhv_pit_state *s)
{
	unsigned int i;

	*s = (struct vhv_pit_state) {
		.speaker_data = pit->speaker_data,
		.refresh = pit->refresh,
	};
	for (i = 0; i < 3; i++) {
		struct vhv_pit_channel ch = pit->ch[i];
		struct vhv_pit_channel_state *c = &s->ch[i];
		u64 end;

		settle(&ch, now_ns);
		*c = (struct vhv_pit_channel_state) {
			.count = ch.reload, .count_register = ch.cr,
			.mode = ch.mode, .access = ch.access, .bcd = ch.bcd,
			.gate = ch.gate, .armed = ch.armed, .paused = ch.paused,
			.pending = ch.pending,
			.pending_at_gate = ch.pending && ch.pending_ns == AT_GATE_RISE,
			.idle_count = ch.idle_count, .latched_count = ch.latched_count,
			.write_msb_next = ch.write_msb_next, .write_lsb = ch.write_lsb,
			.read_msb_next = ch.read_msb_next,
			.count_latched = ch.count_latched,
			.latched_msb_next = ch.latched_msb_next,
			.status_latched = ch.status_latched,
			.latched_status = ch.latched_status,
			.null_count = ch.null_count,
		};
		if (ch.armed) {
			end = ch.paused ? ch.pause_ns : now_ns;
			c->load_elapsed_ns = reduce_elapsed(&ch, end > ch.load_ns ?
							    end - ch.load_ns : 0);
		}
		/* settle() moved any count whose time had come. */
		if (c->pending && !c->pending_at_gate)
			c->pending_ns = ch.pending_ns > now_ns ? ch.pending_ns - now_ns : 0;
	}
}

static bool pit_channel_valid(const struct vhv_pit_channel_state *c, unsigned int i)
{
	const u8 flags[] = {
		c->bcd, c->gate, c->armed, c->paused, c->pending, c->pending_at_gate,
		c->write_msb_next, c->read_msb_next, c->count_latched,
		c->latched_msb_next, c->status_latched, c->null_count,
	};
	unsigned int j;

	for (j = 0; j < sizeof(flags); j++)
		if (flags[j] > 1)
			return false;
	if (c->pad || c->reserved[0] || c->reserved[1])
		return false;
	if (!c->count || c->count > MAX_COUNT || !c->count_register ||
	    c->count_register > MAX_COUNT || c->mode > 5 || !c->access || c->access > 3)
		return false;
	if (i < 2 && !c->gate)
		return false;
	if ((c->paused || c->load_elapsed_ns) && !c->armed)
		return false;
	if (c->pending_at_gate && !c->pending)
		return false;
	/* A count waiting for its period's end: modes 2, 3, counting. */
	if (c->pending && !c->pending_at_gate) {
		if (!c->armed || c->paused || (c->mode != 2 && c->mode != 3) ||
		    c->pending_ns > ticks_to_ns(MAX_COUNT))
			return false;
	} else if (c->pending_ns) {
		return false;
	}
	return !c->write_msb_next || c->access == ACCESS_WORD;
}

int vhv_pit_restore(struct vhv_pit *pit, const struct vhv_pit_state *s, u64 now_ns)
{
	unsigned int i;

	if (s->speaker_data > 1 || s->refresh > 1)
		return -EINVAL;
	for (i = 0; i < sizeof(s->pad); i++)
		if (s->pad[i])
			return -EINVAL;
	for (i = 0; i < 3; i++)
		if (s->reserved[i] || !pit_channel_valid(&s->ch[i], i))
			return -EINVAL;

	pit->speaker_data = s->speaker_data;
	pit->refresh = s->refresh;
	for (i = 0; i < 3; i++) {
		const struct vhv_pit_channel_state *c = &s->ch[i];
		struct vhv_pit_channel *ch = &pit->ch[i];
		u64 elapsed;

		*ch = (struct vhv_pit_channel) {
			.reload = c->count, .cr = c->count_register,
			.mode = c->mode, .access = c->access, .bcd = c->bcd,
			.gate = c->gate, .armed = c->armed, .paused = c->paused,
			.pending = c->pending,
			.idle_count = c->idle_count, .latched_count = c->latched_count,
			.write_msb_next = c->write_msb_next, .write_lsb = c->write_lsb,
			.read_msb_next = c->read_msb_next,
			.count_latched = c->count_latched,
			.latched_msb_next = c->latched_msb_next,
			.status_latched = c->status_latched,
			.latched_status = c->latched_status,
			.null_count = c->null_count,
		};
		/* Any value is accepted and reduced as GET does: it fits the clock. */
		elapsed = c->armed ? reduce_elapsed(ch, c->load_elapsed_ns) : 0;
		if (elapsed > now_ns)
			elapsed = now_ns;	/* a clock younger than 110 ms */
		ch->load_ns = now_ns - elapsed;
		ch->pause_ns = now_ns;
		if (c->pending)
			ch->pending_ns = c->pending_at_gate ? AT_GATE_RISE : now_ns + c->pending_ns;
	}
	return 0;
}
