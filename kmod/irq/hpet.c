// SPDX-License-Identifier: GPL-2.0
/*
 * High Precision Event Timer (IA-PC HPET specification 1.0a) on the
 * caller's nanosecond clock.  Portable: no kernel headers.
 *
 * The main counter is never stepped: it is `counter` plus the ticks since
 * base_ns while it runs.  Matches are taken lazily, by vhv_hpet_update(),
 * over the counter values passed since the last update (`seen`): every
 * guest access updates first, and the caller's timer does when
 * vhv_hpet_next() says a line is about to change.
 */
#include "hpet.h"

#define NSEC_PER_S	1000000000ull
#define LOW32		0xffffffffull

#define CAPS		((u64)VHV_HPET_PERIOD_FS << 32 | VHV_HPET_ID)
#define CAP_REV		1
#define CAP_NUM_TIM_SHIFT	8
#define CAP_COUNT64	VHV_BIT(13)
#define CAP_LEGACY	VHV_BIT(15)
#define CAP_VENDOR	0x8086u		/* as PC chipsets report it; OSes do not key on it */

_Static_assert((CAPS & 0xffffffffull) == (CAP_REV | (VHV_HPET_TIMERS - 1) << CAP_NUM_TIM_SHIFT |
					   CAP_COUNT64 | CAP_LEGACY | CAP_VENDOR << 16),
	       "VHV_HPET_ID is this model's capabilities");
_Static_assert(1000000000000000ull / VHV_HPET_PERIOD_FS == VHV_HPET_HZ &&
	       1000000000000000ull % VHV_HPET_PERIOD_FS == 0,
	       "VHV_HPET_PERIOD_FS is this model's tick");
_Static_assert(VHV_HPET_TIMERS <= 32, "pulse and line masks are 32-bit");

#define TN_ROUTE_ALL	VHV_HPET_TN_ROUTE

/* Timers 0 and 1 are periodic-capable (legacy IRQ 0 and IRQ 8), timer 2 not. */
static bool periodic_capable(unsigned int n)
{
	return n < 2;
}

/* The read-only bits of Tn_CONF_CAP. */
static u64 tn_caps(unsigned int n)
{
	return (u64)VHV_HPET_ROUTE_CAP << 32 | VHV_HPET_TN_SIZE_CAP |
	       (periodic_capable(n) ? VHV_HPET_TN_PER_CAP : 0);
}

/* The bits of Tn_CONF_CAP a guest sets, the route field aside. */
static u64 tn_writable(unsigned int n)
{
	u64 w = VHV_HPET_TN_LEVEL | VHV_HPET_TN_ENABLE | VHV_HPET_TN_32BIT;

	if (periodic_capable(n))
		w |= VHV_HPET_TN_PERIODIC | VHV_HPET_TN_VAL_SET;
	return w;
}

static bool route_allowed(u32 route)
{
	return route < 32 && (VHV_HPET_ROUTE_CAP >> route) & 1;
}

/* Whole ticks in ns nanoseconds; split so that no product overflows. */
static u64 ns_to_ticks(u64 ns)
{
	return ns / NSEC_PER_S * VHV_HPET_HZ + ns % NSEC_PER_S * VHV_HPET_HZ / NSEC_PER_S;
}

/* The first nanosecond at which ns_to_ticks() reaches ticks. */
static u64 ticks_to_ns(u64 ticks)
{
	return ticks / VHV_HPET_HZ * NSEC_PER_S +
	       (ticks % VHV_HPET_HZ * NSEC_PER_S + VHV_HPET_HZ - 1) / VHV_HPET_HZ;
}

static bool running(const struct vhv_hpet *h)
{
	return h->config & VHV_HPET_CFG_ENABLE;
}

/* The comparison width of a timer: 32 bits in 32-bit mode. */
static u64 width_mask(const struct vhv_hpet_timer *t)
{
	return t->config & VHV_HPET_TN_32BIT ? LOW32 : ~0ull;
}

/*
 * Ticks after counter value `from` until the timer's next match: 1 .. 2^32
 * in 32-bit mode, 1 .. 2^64 - 1 else; 0 stands for 2^64 (never).
 */
static u64 ticks_to_match(const struct vhv_hpet_timer *t, u64 from)
{
	u64 m = width_mask(t), d = (t->cmp - from) & m;

	return d ? d : m + 1;
}

/* The GSI timer n drives, or -1 for none. */
static int gsi_of(const struct vhv_hpet *h, unsigned int n)
{
	u32 route;

	if (vhv_hpet_legacy(h) && n < 2)
		return n ? 8 : 0;
	route = (h->timer[n].config & TN_ROUTE_ALL) >> VHV_HPET_TN_ROUTE_SHIFT;
	return route_allowed(route) ? (int)route : -1;
}

/* Timer n matched at counter value `match`; the counter is now at c. */
static void fire(struct vhv_hpet *h, unsigned int n, u64 match, u64 c)
{
	struct vhv_hpet_timer *t = &h->timer[n];
	u64 m = width_mask(t), p = t->period & m;
	int gsi;

	/* The accumulator: the first match after c, one interrupt for all. */
	if ((t->config & VHV_HPET_TN_PERIODIC) && p)
		t->cmp = (match + ((c - match) / p + 1) * p) & m;
	if (t->config & VHV_HPET_TN_LEVEL) {
		h->isr |= VHV_BIT(n);
		return;
	}
	gsi = gsi_of(h, n);
	if ((t->config & VHV_HPET_TN_ENABLE) && gsi >= 0)
		h->pulses |= 1u << gsi;
}

void vhv_hpet_reset(struct vhv_hpet *h)
{
	unsigned int n;

	*h = (struct vhv_hpet){ 0 };
	for (n = 0; n < VHV_HPET_TIMERS; n++)
		h->timer[n].cmp = ~0ull;
}

u64 vhv_hpet_counter(const struct vhv_hpet *h, u64 now_ns)
{
	if (!running(h) || now_ns <= h->base_ns)
		return h->counter;
	return h->counter + ns_to_ticks(now_ns - h->base_ns);
}

void vhv_hpet_update(struct vhv_hpet *h, u64 now_ns)
{
	u64 c, elapsed, d;
	unsigned int n;

	if (!running(h))
		return;
	c = vhv_hpet_counter(h, now_ns);
	elapsed = c - h->seen;
	if (!elapsed)
		return;
	for (n = 0; n < VHV_HPET_TIMERS; n++) {
		d = ticks_to_match(&h->timer[n], h->seen);
		if (d && d <= elapsed)
			fire(h, n, h->seen + d, c);
	}
	h->seen = c;
}

bool vhv_hpet_legacy(const struct vhv_hpet *h)
{
	u64 both = VHV_HPET_CFG_ENABLE | VHV_HPET_CFG_LEGACY;

	return (h->config & both) == both;
}

u32 vhv_hpet_lines(const struct vhv_hpet *h)
{
	u64 on = VHV_HPET_TN_LEVEL | VHV_HPET_TN_ENABLE;
	unsigned int n;
	u32 lines = 0;
	int gsi;

	if (!running(h))
		return 0;
	for (n = 0; n < VHV_HPET_TIMERS; n++) {
		if ((h->timer[n].config & on) != on || !(h->isr & VHV_BIT(n)))
			continue;
		gsi = gsi_of(h, n);
		if (gsi >= 0)
			lines |= 1u << gsi;
	}
	return lines;
}

u32 vhv_hpet_take_pulses(struct vhv_hpet *h)
{
	u32 p = h->pulses;

	h->pulses = 0;
	return p;
}

bool vhv_hpet_next(const struct vhv_hpet *h, u64 now_ns, u64 min_period_ns,
		   u64 *when_ns)
{
	u64 since_base = h->seen - h->counter, d, off, at, p;
	bool any = false;
	unsigned int n;

	if (!running(h))
		return false;
	for (n = 0; n < VHV_HPET_TIMERS; n++) {
		const struct vhv_hpet_timer *t = &h->timer[n];

		/* A match that changes no line waits for the next access. */
		if (!(t->config & VHV_HPET_TN_ENABLE) || gsi_of(h, n) < 0 ||
		    ((t->config & VHV_HPET_TN_LEVEL) && (h->isr & VHV_BIT(n))))
			continue;
		d = ticks_to_match(t, h->seen);
		off = since_base + d;
		if (!d || off < d || off >= VHV_HPET_FAR_TICKS)
			continue;
		at = h->base_ns + ticks_to_ns(off);
		p = t->period & width_mask(t);
		if ((t->config & VHV_HPET_TN_PERIODIC) && p && p < VHV_HPET_HZ &&
		    ticks_to_ns(p) < min_period_ns && at < now_ns + min_period_ns)
			at = now_ns + min_period_ns;
		if (!any || at < *when_ns)
			*when_ns = at;
		any = true;
	}
	return any;
}

/* ---- registers ---------------------------------------------------------------- */

static bool access_ok(u32 offset, u8 size)
{
	return offset < VHV_HPET_SIZE &&
	       ((size == 4 && !(offset & 3)) || (size == 8 && !(offset & 7)));
}

/* Timer n's register at byte off (0, 8, 16, 24) of its 32-byte block, or -1. */
static int timer_reg(u32 reg, unsigned int *n)
{
	if (reg < VHV_HPET_REG_TN_CONFIG(0) || reg >= VHV_HPET_REG_TN_CONFIG(VHV_HPET_TIMERS))
		return -1;
	*n = vhv_index_nospec((reg - VHV_HPET_REG_TN_CONFIG(0)) / 0x20, VHV_HPET_TIMERS);
	return (reg - VHV_HPET_REG_TN_CONFIG(0)) % 0x20;
}

static u64 reg_read(const struct vhv_hpet *h, u32 reg, u64 now_ns)
{
	unsigned int n;

	switch (reg) {
	case VHV_HPET_REG_CAP:
		return CAPS;
	case VHV_HPET_REG_CONFIG:
		return h->config;
	case VHV_HPET_REG_ISR:
		return h->isr;
	case VHV_HPET_REG_COUNTER:
		return vhv_hpet_counter(h, now_ns);
	}
	switch (timer_reg(reg, &n)) {
	case 0:
		return h->timer[n].config | tn_caps(n);
	case 8:
		return h->timer[n].cmp;
	default:
		return 0;	/* FSB route (no FSB), reserved */
	}
}

u64 vhv_hpet_read(struct vhv_hpet *h, u32 offset, u8 size, u64 now_ns)
{
	u64 v;

	if (!access_ok(offset, size))
		return 0;
	vhv_hpet_update(h, now_ns);
	v = reg_read(h, offset & ~7u, now_ns);
	return size == 8 ? v : (v >> (8 * (offset & 4))) & LOW32;
}

static void write_config(struct vhv_hpet *h, u64 v, u64 now_ns)
{
	v &= VHV_HPET_CFG_ENABLE | VHV_HPET_CFG_LEGACY;
	if ((v ^ h->config) & VHV_HPET_CFG_ENABLE) {
		/* Stops where it is; starts again from there. */
		h->counter = vhv_hpet_counter(h, now_ns);
		h->base_ns = now_ns;
		h->seen = h->counter;
	}
	h->config = v;
}

static void write_counter(struct vhv_hpet *h, u64 v, u64 now_ns)
{
	h->counter = v;
	h->base_ns = now_ns;
	h->seen = v;
}

static void write_tn_config(struct vhv_hpet *h, unsigned int n, u64 v)
{
	struct vhv_hpet_timer *t = &h->timer[n];
	u32 route = (v & TN_ROUTE_ALL) >> VHV_HPET_TN_ROUTE_SHIFT;

	/* A route the capability does not offer is not taken. */
	if (!route_allowed(route))
		v = (v & ~TN_ROUTE_ALL) | (t->config & TN_ROUTE_ALL);
	t->config = v & (tn_writable(n) | TN_ROUTE_ALL);
	if (!(t->config & VHV_HPET_TN_LEVEL))
		h->isr &= ~VHV_BIT(n);
	if (t->config & VHV_HPET_TN_32BIT) {
		t->cmp &= LOW32;
		t->period &= LOW32;
	}
}

/* val is already in place under mask (one dword or the whole register). */
static void write_cmp(struct vhv_hpet *h, unsigned int n, u64 val, u64 mask)
{
	struct vhv_hpet_timer *t = &h->timer[n];
	bool complete = mask >> 32;

	if (t->config & VHV_HPET_TN_32BIT) {
		mask &= LOW32;
		if (!mask)
			return;		/* the high dword of a 32-bit comparator */
		val &= mask;
		complete = true;
	}
	if (t->config & VHV_HPET_TN_PERIODIC) {
		t->period = (t->period & ~mask) | val;
		if (t->config & VHV_HPET_TN_VAL_SET)
			t->cmp = (t->cmp & ~mask) | val;
	} else {
		t->cmp = (t->cmp & ~mask) | val;
	}
	if (complete)
		t->config &= ~VHV_HPET_TN_VAL_SET;
}

void vhv_hpet_write(struct vhv_hpet *h, u32 offset, u8 size, u64 val, u64 now_ns)
{
	u32 reg = offset & ~7u;
	unsigned int n;
	u64 mask = ~0ull;

	if (!access_ok(offset, size))
		return;
	vhv_hpet_update(h, now_ns);
	if (size == 4) {
		mask = LOW32 << (8 * (offset & 4));
		val = (val & LOW32) << (8 * (offset & 4));
	}
	switch (reg) {
	case VHV_HPET_REG_CONFIG:
		write_config(h, (h->config & ~mask) | val, now_ns);
		return;
	case VHV_HPET_REG_ISR:
		h->isr &= ~val;		/* write 1 to clear */
		return;
	case VHV_HPET_REG_COUNTER:
		write_counter(h, (vhv_hpet_counter(h, now_ns) & ~mask) | val, now_ns);
		return;
	}
	switch (timer_reg(reg, &n)) {
	case 0:
		write_tn_config(h, n, ((h->timer[n].config | tn_caps(n)) & ~mask) | val);
		break;
	case 8:
		write_cmp(h, n, val, mask);
		break;
	}
}

/* ---- save/restore ---------------------------------------------------------------- */

void vhv_hpet_save(const struct vhv_hpet *h, u64 now_ns, struct vhv_hpet_state *s)
{
	unsigned int n;

	*s = (struct vhv_hpet_state){ 0 };
	s->capabilities = CAPS;
	s->config = h->config;
	s->isr = h->isr;
	s->counter = vhv_hpet_counter(h, now_ns);
	for (n = 0; n < VHV_HPET_TIMERS; n++) {
		s->timers[n].config = h->timer[n].config | tn_caps(n);
		s->timers[n].comparator = h->timer[n].cmp;
		s->timers[n].period = h->timer[n].period;
	}
}

static bool timer_state_ok(const struct vhv_hpet_timer_state *ts, unsigned int n, bool isr)
{
	u64 fixed = ts->config & ~(tn_writable(n) | TN_ROUTE_ALL);
	u32 route = (ts->config & TN_ROUTE_ALL) >> VHV_HPET_TN_ROUTE_SHIFT;

	if (ts->reserved || fixed != tn_caps(n))
		return false;
	if (route && !route_allowed(route))
		return false;
	if (!periodic_capable(n) && ts->period)
		return false;
	if ((ts->config & VHV_HPET_TN_32BIT) && ((ts->comparator | ts->period) >> 32))
		return false;
	return !isr || (ts->config & VHV_HPET_TN_LEVEL);
}

int vhv_hpet_restore(struct vhv_hpet *h, const struct vhv_hpet_state *s, u64 now_ns)
{
	unsigned int n;

	if (s->capabilities != CAPS ||
	    s->config & ~(VHV_HPET_CFG_ENABLE | VHV_HPET_CFG_LEGACY) ||
	    s->isr >> VHV_HPET_TIMERS)
		return -EINVAL;
	for (n = 0; n < sizeof(s->reserved) / sizeof(s->reserved[0]); n++)
		if (s->reserved[n])
			return -EINVAL;
	for (n = 0; n < VHV_HPET_TIMERS; n++)
		if (!timer_state_ok(&s->timers[n], n, s->isr & VHV_BIT(n)))
			return -EINVAL;

	h->config = s->config;
	h->isr = s->isr;
	h->counter = s->counter;
	h->base_ns = now_ns;
	h->seen = s->counter;
	h->pulses = 0;
	for (n = 0; n < VHV_HPET_TIMERS; n++) {
		h->timer[n].config = s->timers[n].config & (tn_writable(n) | TN_ROUTE_ALL);
		h->timer[n].cmp = s->timers[n].comparator;
		h->timer[n].period = s->timers[n].period;
	}
	return 0;
}
