// SPDX-License-Identifier: GPL-2.0
/*
 * The TCP flows between the guest and slirp, followed so that no segment
 * from the guest lands in slirp's reassembly queue: libslirp 4.7 keeps
 * each out-of-order segment there (an mbuf of ~1.6 KiB, however small the
 * segment) with no count limit for as long as the connection lives, and
 * it would take ~100 MiB a connection of 1-byte segments.
 *
 * A segment with data or FIN reaches slirp only when it starts at or
 * before the flow's `next`, a sequence number slirp is known to have
 * received in order: then slirp trims what it has and the rest is in
 * order.  The path from the guest loses no frame and does not reorder, so
 * a well-behaved guest sends nothing else but after a loss slirp caused
 * itself (zero window), which TCP resends.  `next` never passes slirp's
 * rcv_nxt (all of it rests on that):
 *  - It starts at the ack of slirp's SYN-ACK, or of any plain ACK slirp
 *    sends, and moves up to any later one: slirp acks its rcv_nxt.
 *  - A guest segment moves it over its data only where slirp surely takes
 *    it all in order, as tcp_input() decides: checksums right (checked
 *    here), not a fragment, ACK set with an ack slirp accepts (not past
 *    what it sent; in SYN_RECEIVED not before its SYN), no SYN or RST,
 *    data within the window slirp advertised (it never shrinks it), and
 *    no FIN taken before (slirp ignores data after one; a FIN itself is
 *    never counted).  Anything slirp might drop leaves `next` behind, and
 *    slirp's next ACK brings it up.
 *  - What slirp sends is seen when it makes it (net_user.c answers slirp's
 *    ARP at once, so nothing waits in its queue), and every new slirp
 *    connection starts with a SYN or SYN-ACK on the wire, which starts the
 *    flow over (the SYN-ACK, the flow the guest's SYN claimed); a flow
 *    starts over only where no other connection slirp keeps on its pair
 *    can take data (below), so nothing of another one moves it.
 *  - slirp keeps at most one connection per address pair that can take
 *    data: net_user.c refuses two forwards to one guest port and the
 *    guest's loopback destinations; here, the guest's SYN claims its pair
 *    before slirp sees it (FLOW_GUEST_SYN; only a pair no flow holds), a
 *    new connection's SYN (or a SYN-ACK but the claim's) on a pair whose
 *    flow is not surely gone (flow_gone()) is held back (two forward
 *    clients from one source port on two loopback addresses, or one
 *    reusing the port of a connection slirp still keeps, or is making for
 *    the guest), and the guest may answer only the SYN it was shown.  A
 *    held-back connection waits in SYN_SENT, where slirp drops anything
 *    but a SYN (which the guest may not send there); slirp may hand it the
 *    guest's segments (it finds its cached, then its newest connection of
 *    a pair first), so while one may live no guest segment counts as read
 *    (flow_shadowed()): only slirp's own ACKs move the flow on.  Which
 *    pairs those are is known apart from any flow's life: a flow that
 *    starts over keeps the record of the SYNs held on its pair, one whose
 *    connection ends leaves it in its place (FLOW_HELD), and one with
 *    nowhere to go (a SYN held for a full set, a gone flow's place
 *    taken) marks the pair in its set, for every flow made for the pair
 *    while those SYNs may live (for every new flow of the set past
 *    SET_KEYS pairs).
 *
 * A flow that is not followed gets no data through (its segments make an
 * empty probe that slirp answers, which starts following it).  The table
 * is fixed at start.  Flows come from what slirp sends, and from the
 * guest's SYNs, each of which has slirp connect (a host socket) or refuse
 * it: with an RST, which ends the claim, or silently (no route, the socket
 * budget), and the claim ends once no connect() of slirp's can be pending
 * (SLIRP_CONNECT_MS).  A full set delays a new connection: slirp's SYN is
 * not shown the guest (slirp sends it again); the guest's SYN claims a
 * place in the spill (a sixteenth of the table, kept for that), whence
 * slirp's SYN-ACK is shown once a place in the set frees, and while it
 * waits nothing from the guest but a SYN or an RST passes on the pair:
 * slirp, in SYN_RECEIVED, would take the ack of the SYN-ACK the guest was
 * not shown (its ISS is easy to guess) and be established, silently, with
 * no flow.  With the spill full too, the guest's SYN is dropped (it sends
 * it again).
 * A flow gives its place only on proof that slirp has no connection on its
 * pair: a reset slirp surely took or sent (on a shadowed pair, only its
 * RST with ACK, which no held connection sends), an RST that answers a
 * probe any connection there would ack (on a shadowed pair, as its
 * answers to the reset and the probe say: net_tcp_probe_end()), or a closed
 * connection, or one slirp surely never established, silent for longer
 * than slirp waits between its resends (flow_gone()); never for being
 * quiet: slirp keeps a quiet established connection for ever.  Where
 * more than one held connection may live, nothing the guest sends proves
 * it: a flow the guest reset then keeps its place until a reset or SYN
 * of the guest's on its pair once none may live (NET_TCP_SYN_PROBE).  Each
 * connection slirp keeps holds a host socket, so the guest's are bounded
 * by its socket budget (a sixteenth of the table); churn cannot push out a
 * flow in use.  A claim slirp refused silently costs no socket but keeps
 * its place for SLIRP_CONNECT_MS after the guest's last SYN or RST on its
 * pair, so a guest can fill its sets and the spill with claims: that
 * holds back its own new connections and forward clients (on a claimed
 * pair, or in a full set), never a flow in use.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/net_user_tcp.h"

#define TH_FIN		0x01
#define TH_SYN		0x02
#define TH_RST		0x04
#define TH_ACK		0x10
#define TH_URG		0x20

/*
 * FLOW_GUEST_SYN: a guest's SYN passed, on a pair no flow held; slirp may
 * be connecting for it, or wait in SYN_RECEIVED with its SYN-ACK held back
 * (a claim in the spill, net_tcp_table).  FLOW_HELD: the flow's own
 * connection is gone, but SYNs held back on its pair may live: only that
 * record (held_until, held_iss, FLOW_HELD_MANY) is left, for the pair's next
 * flow (flow_end()).
 */
enum flow_state {
	FLOW_FREE, FLOW_SYN_SENT, FLOW_OPEN, FLOW_GUEST_SYN, FLOW_HELD
};

#define FLOW_EST	0x01	/* slirp left SYN_RECEIVED: any old ack is fine */
#define FLOW_GUEST_FIN	0x02	/* slirp took the guest's FIN (its ack says so) */
#define FLOW_SLIRP_FIN	0x04
#define FLOW_SLIRP_DONE	0x08	/* the guest acked all slirp sent, its FIN too */
#define FLOW_GUEST_FIN_SENT 0x10	/* slirp may have the guest's FIN: no data after */
#define FLOW_MAYBE_EST	0x20	/* slirp may have left SYN_RECEIVED (flow_gone()) */
#define FLOW_HELD_MANY	0x40	/* more than one held SYN_SENT may live (held_iss) */

/*
 * libslirp 4.7's timers (tcp_timer.h), with margins: while a connection
 * has something unanswered (its SYN, SYN-ACK or FIN) slirp sends it again
 * at most TCPTV_REXMTMAX (12 s) apart, until it gives up; TIME_WAIT lasts
 * 2 * TCPTV_MSL (10 s) and takes no data.  So a flow in any of those
 * states that saw no segment either way for SLIRP_QUIET_MS has no
 * connection behind it.  One in FIN_WAIT_2 whose host side is gone is
 * closed after TCP_MAXIDLE (600 s, checked every 75 s) without a segment
 * from the guest, silently.
 */
#define SLIRP_QUIET_MS		(30 * 1000)
/*
 * Closed both ways with everything slirp sent acked, slirp is in
 * TIME_WAIT at most (10 s, started again by a segment from the guest).
 */
#define SLIRP_TIME_WAIT_MS	(15 * 1000)
/*
 * With data unacked and the guest's window shut, slirp probes the window
 * at most TCPTV_PERSMAX (60 s) apart, and never gives up: a connection
 * closed both ways whose FIN the guest did not ack may be doing that.
 */
#define SLIRP_PERSIST_MS	(90 * 1000)
#define SLIRP_FIN_WAIT_MS	(700 * 1000)
/*
 * A guest's SYN makes slirp connect() for at most TCPTV_KEEP_INIT (75 s,
 * the guest's SYNs again do not count while it does): then it sends its
 * SYN-ACK, or an RST, or gives up.
 */
#define SLIRP_CONNECT_MS	(90 * 1000)
/*
 * The most slirp's receive window reaches past its rcv_nxt: tcp_input()
 * takes rcv_wnd as the larger of what it advertised (65535 at most,
 * unscaled) and the room in so_rcv, TCP_RCVSPACE (128 KiB) rounded up to
 * whole segments (tcp_mss(): an MSS of 1460 at most).
 */
#define SLIRP_RCV_WND_MAX	(128 * 1024 + 1460)

struct net_tcp_key {
	uint32_t gaddr, raddr;		/* guest's, remote's (slirp's view), as on the wire */
	uint16_t gport, rport;
};

struct net_tcp_flow {
	struct net_tcp_key key;
	uint8_t state;			/* enum flow_state */
	uint8_t flags;			/* FLOW_* */
	uint32_t next;			/* at or before slirp's rcv_nxt */
	uint32_t iss;			/* slirp's initial sequence number */
	uint32_t snd_max;		/* at or before slirp's snd_max */
	uint32_t edge;			/* at or before slirp's window's right edge */
	uint32_t high;			/* at or after slirp's rcv_nxt: the most passed */
	int64_t used_ms;		/* a segment either way */
	int64_t born_ms;		/* made for its pair (set_shadows()) */
	int64_t held_until;		/* its pair's held SYNs may live till then */
	uint32_t held_iss;		/* that SYN's seq */
};

/*
 * SYNs held back on a set's pairs that no flow records: held_until, when
 * the last of them is surely gone; from_ms, when the first of those since
 * the set had none lost its record (set_stamp()); their pairs, or more
 * than SET_KEYS of them (nr_keys past it: any pair).
 */
#define SET_KEYS	4

struct net_tcp_set {
	int64_t held_until, from_ms;
	struct net_tcp_key keys[SET_KEYS];
	unsigned int nr_keys;
};

/* ---- bytes ------------------------------------------------------------------ */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, (uint16_t)v);
}

/* The one's complement sum of n bytes (n < 128 KiB) added to s. */
static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/* The pseudo-header's sum for len bytes of TCP from ip's addresses. */
static uint32_t pseudo_sum(const uint8_t *ip, unsigned int len)
{
	return sum16(ip + 12, 8, 6 + len);
}

/* Sequence numbers compare modulo 2^32. */
static bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* ---- the table ------------------------------------------------------------- */

int net_tcp_init(struct net_tcp_table *t, unsigned int nr_flows)
{
	unsigned int sets = 1;

	while (sets * NET_TCP_WAYS < nr_flows)
		sets *= 2;
	t->nr_spill = sets < 16 ? NET_TCP_WAYS : sets;
	t->flows = calloc(sets * NET_TCP_WAYS, sizeof(*t->flows));
	t->spill = calloc(t->nr_spill, sizeof(*t->spill));
	t->sets = calloc(sets, sizeof(*t->sets));
	if (!t->flows || !t->spill || !t->sets) {
		net_tcp_free(t);
		return -ENOMEM;
	}
	t->nr_sets = sets;
	return 0;
}

void net_tcp_free(struct net_tcp_table *t)
{
	free(t->flows);
	free(t->spill);
	free(t->sets);
	t->flows = t->spill = NULL;
	t->sets = NULL;
}

/*
 * Where a flow may be.  A guest that aims many flows at one set only
 * delays its own new connections: the set's flows in use stay.
 */
static unsigned int set_index(const struct net_tcp_table *t,
			      const struct net_tcp_key *k)
{
	uint64_t h = ((uint64_t)k->gaddr << 32 | k->raddr) *
		     0x9e3779b97f4a7c15ull;

	h ^= ((uint64_t)k->gport << 16 | k->rport) * 0xc2b2ae3d27d4eb4full;
	h ^= h >> 29;
	return (unsigned int)((h >> 32) & (t->nr_sets - 1));
}

static struct net_tcp_flow *flow_set(const struct net_tcp_table *t,
				     const struct net_tcp_key *k)
{
	return t->flows + set_index(t, k) * NET_TCP_WAYS;
}

static bool key_equal(const struct net_tcp_key *a, const struct net_tcp_key *b)
{
	return a->gaddr == b->gaddr && a->raddr == b->raddr &&
	       a->gport == b->gport && a->rport == b->rport;
}

/* A pair has one flow at most: in its set, or a claim in the spill. */
static struct net_tcp_flow *flow_find(const struct net_tcp_table *t,
				      const struct net_tcp_key *k)
{
	struct net_tcp_flow *set = flow_set(t, k);
	unsigned int i;

	for (i = 0; i < NET_TCP_WAYS; i++)
		if (set[i].state != FLOW_FREE && key_equal(&set[i].key, k))
			return &set[i];
	for (i = 0; i < t->nr_spill; i++)
		if (t->spill[i].state != FLOW_FREE && key_equal(&t->spill[i].key, k))
			return &t->spill[i];
	return NULL;
}

static bool flow_spilled(const struct net_tcp_table *t,
			 const struct net_tcp_flow *f)
{
	return f >= t->spill && f < t->spill + t->nr_spill;
}

static bool flow_closed(const struct net_tcp_flow *f)
{
	return (f->flags & (FLOW_GUEST_FIN | FLOW_SLIRP_FIN)) ==
	       (FLOW_GUEST_FIN | FLOW_SLIRP_FIN);
}

/*
 * Whether slirp surely has no connection on the flow's pair: then the
 * flow may be forgotten, and a new connection may start on its pair.
 * Only on proof, from segments slirp surely read: a connection closed
 * both ways that saw no segment for SLIRP_TIME_WAIT_MS once the guest
 * acked all slirp sent, else for SLIRP_PERSIST_MS (slirp may still
 * resend its FIN or probe a shut window); one not yet established, silent
 * for SLIRP_QUIET_MS (it would have sent its SYN or SYN-ACK again); one
 * slirp closed its side of that the guest left silent for 700 s
 * (FIN_WAIT_2's timer).  An established connection is never forgotten
 * for being quiet: slirp keeps it for ever (no keepalive), and a new one
 * on its pair (a forward's client reusing the port) would be a second
 * connection under one address pair, which slirp mixes up.  It ends on a
 * reset the guest sent and slirp surely took, or slirp's own, or slirp's
 * RST to the probe after a reset it may have taken (net_tcp_probe_end()).
 *
 * Nor is one slirp may have established (FLOW_MAYBE_EST): in
 * SYN_RECEIVED it takes any ack of its SYN on a segment anywhere in its
 * window, or before it, and leaves it silently, where the tracker is
 * sure of the ack only at or before next.  If slirp did not, it resends
 * its SYN-ACK (the flow is not quiet) until it gives up, and tcp_drop()
 * then sends an RST with ACK (SYN_RECEIVED has had a SYN: tcp_outflags
 * of CLOSED), which ends the flow: TCPT_KEEP after TCPTV_KEEP_INIT (75 s;
 * each segment from the guest sets it to TCPTV_KEEP_IDLE, 2 h), or the
 * retransmit timer's last try (about 10 min: t_maxseg halved below 32).
 */
static bool flow_gone(const struct net_tcp_flow *f, int64_t now)
{
	int64_t quiet = now - f->used_ms;

	if (f->state == FLOW_FREE || f->state == FLOW_HELD)
		return true;
	if (f->state == FLOW_GUEST_SYN)
		return quiet >= SLIRP_CONNECT_MS;
	if (flow_closed(f))
		return quiet >= (f->flags & FLOW_SLIRP_DONE ? SLIRP_TIME_WAIT_MS :
						       SLIRP_PERSIST_MS);
	if (f->state == FLOW_SYN_SENT || !(f->flags & (FLOW_EST | FLOW_MAYBE_EST)))
		return quiet >= SLIRP_QUIET_MS;
	return (f->flags & FLOW_SLIRP_FIN) && quiet >= SLIRP_FIN_WAIT_MS;
}

/*
 * Whether a connection whose SYN was held back may live, held_until being
 * SLIRP_QUIET_MS after the last such SYN: slirp sends it again at most
 * 12 s apart while it lives, and each is held (and recorded) again, or
 * shown.
 */
static bool held_recent(int64_t held_until, int64_t now)
{
	return now < held_until;
}

/*
 * Whether SYNs the flow's set has no record of may have been held back on
 * the flow's pair: only on a flow made for its pair since the first of
 * them lost its record.  A SYN held for a full set found no flow on its
 * pair, and a record is lost where its flow goes: every flow older than
 * that is on another pair.
 */
static bool set_shadows(const struct net_tcp_table *t,
			const struct net_tcp_flow *f, int64_t now)
{
	const struct net_tcp_set *s = &t->sets[set_index(t, &f->key)];
	unsigned int i;

	if (!held_recent(s->held_until, now) || f->born_ms < s->from_ms)
		return false;
	if (s->nr_keys > SET_KEYS)
		return true;
	for (i = 0; i < s->nr_keys; i++)
		if (key_equal(&s->keys[i], &f->key))
			return true;
	return false;
}

/*
 * Whether a held-back connection may live on the flow's pair, by its
 * record or its set's.  slirp may hand that one the guest's segments and
 * answer them with an RST, and take the guest's RST there: while it may
 * live, no RST on the pair says anything of the flow (but slirp's with
 * ACK, which it never sends).
 */
static bool flow_shadowed(const struct net_tcp_table *t,
			  const struct net_tcp_flow *f, int64_t now)
{
	return held_recent(f->held_until, now) || set_shadows(t, f, now);
}

/*
 * Whether more than one held connection may live on a shadowed flow's
 * pair: its record says so, or its set's (which counts its SYNs as many).
 */
static bool flow_held_many(const struct net_tcp_table *t,
			   const struct net_tcp_flow *f, int64_t now)
{
	return set_shadows(t, f, now) ||
	       (held_recent(f->held_until, now) && (f->flags & FLOW_HELD_MANY));
}

/* SYNs held back on pair k that may live till until, which no flow records. */
static void set_stamp(struct net_tcp_table *t, const struct net_tcp_key *k,
		      int64_t until, int64_t now)
{
	struct net_tcp_set *s = &t->sets[set_index(t, k)];
	unsigned int i;

	if (!held_recent(s->held_until, now)) {
		s->from_ms = now;
		s->nr_keys = 0;
	}
	if (until > s->held_until)
		s->held_until = until;
	for (i = 0; i < s->nr_keys && i < SET_KEYS; i++)
		if (key_equal(&s->keys[i], k))
			return;
	if (s->nr_keys < SET_KEYS)
		s->keys[s->nr_keys] = *k;
	if (s->nr_keys <= SET_KEYS)
		s->nr_keys++;
}

/*
 * slirp has no connection of f's own any more: f's place is free, but
 * the record of the SYNs held back on its pair stays while they may live,
 * in f (FLOW_HELD, gone: flow_gone()) for the pair's next flow, or in the
 * set for a claim in the spill (no place for a flow).
 */
static void flow_end(struct net_tcp_table *t, struct net_tcp_flow *f,
		     int64_t now)
{
	struct net_tcp_flow g;

	if (!held_recent(f->held_until, now)) {
		f->state = FLOW_FREE;
		return;
	}
	if (flow_spilled(t, f)) {
		set_stamp(t, &f->key, f->held_until, now);
		f->state = FLOW_FREE;
		return;
	}
	g = (struct net_tcp_flow){ .key = f->key, .state = FLOW_HELD,
				   .flags = f->flags & FLOW_HELD_MANY,
				   .used_ms = f->used_ms, .born_ms = f->born_ms,
				   .held_until = f->held_until, .held_iss = f->held_iss };
	*f = g;
}

/*
 * A gone flow's place taken for another flow: a record of SYNs held back
 * on its pair that may live goes to the set.
 */
static void flow_forget(struct net_tcp_table *t, const struct net_tcp_flow *f,
			int64_t now)
{
	if (f->state != FLOW_FREE && held_recent(f->held_until, now))
		set_stamp(t, &f->key, f->held_until, now);
}

/*
 * A place for a new flow: a free one, else the longest unused of those
 * gone (above) that keep no record of held SYNs, else of those that do
 * (flow_forget()), else none.
 */
static struct net_tcp_flow *flow_make(struct net_tcp_table *t,
				      const struct net_tcp_key *k, int64_t now)
{
	struct net_tcp_flow *set = flow_set(t, k), *f = NULL;
	unsigned int i;
	bool rec, f_rec = false;

	for (i = 0; i < NET_TCP_WAYS; i++) {
		if (set[i].state == FLOW_FREE) {
			f = &set[i];
			break;
		}
		if (!flow_gone(&set[i], now))
			continue;
		rec = held_recent(set[i].held_until, now);
		if (!f || (f_rec && !rec) ||
		    (f_rec == rec && set[i].used_ms < f->used_ms)) {
			f = &set[i];
			f_rec = rec;
		}
	}
	if (f) {
		flow_forget(t, f, now);
		*f = (struct net_tcp_flow){ .key = *k, .used_ms = now,
					    .born_ms = now };
	}
	/* Not the flow net_tcp_probe_end() would end any more. */
	if (f && f == t->asked)
		t->asking = 0;
	return f;
}

/*
 * The pair of a guest's SYN that no flow holds (one gone may be there,
 * whose place is then free), claimed before slirp sees the SYN: a place
 * in its set, else in the spill; NULL if neither has one.  A connection
 * held back on the pair (not shown the guest, in SYN_SENT) may take the
 * SYN (a simultaneous open, which then answers with its SYN-ACK): the
 * claim keeps what the gone flow knew of it.  A claim whose SYN slirp
 * refused silently holds no socket, and stays for SLIRP_CONNECT_MS after
 * the guest's last SYN or RST on its pair: the guest can fill its sets
 * and the spill with them, which holds back its own new connections and
 * forward clients, on a claimed pair (NET_TCP_HOLD_BUSY) or a full set
 * (NET_TCP_HOLD_FULL).
 */
static struct net_tcp_flow *flow_claim(struct net_tcp_table *t,
				       const struct net_tcp_key *k, int64_t now)
{
	struct net_tcp_flow *f = flow_find(t, k), held = { 0 };
	unsigned int i;

	if (f) {
		held = *f;
		f->state = FLOW_FREE;
	}
	f = flow_make(t, k, now);
	for (i = 0; !f && i < t->nr_spill; i++)
		if (flow_gone(&t->spill[i], now))
			f = &t->spill[i];
	if (!f)
		return NULL;
	flow_forget(t, f, now);
	*f = (struct net_tcp_flow){ .key = *k, .state = FLOW_GUEST_SYN,
				    .used_ms = now, .born_ms = now };
	if (held.state != FLOW_FREE && held_recent(held.held_until, now)) {
		f->flags = held.flags & FLOW_HELD_MANY;
		f->held_until = held.held_until;
		f->held_iss = held.held_iss;
	}
	return f;
}

/*
 * A claimed pair's flow, in its set: a claim in the spill moves there if
 * a place is free (else NULL: slirp's segment is held back, and sent
 * again).
 */
static struct net_tcp_flow *flow_settle(struct net_tcp_table *t,
					struct net_tcp_flow *f, int64_t now)
{
	struct net_tcp_flow *g;

	if (!flow_spilled(t, f))
		return f;
	g = flow_make(t, &f->key, now);
	if (!g) {
		f->used_ms = now;
		return NULL;
	}
	*g = *f;
	f->state = FLOW_FREE;
	return g;
}

/* ---- segments ------------------------------------------------------------- */

/*
 * What ip_input() and tcp_input() check before looking at a segment; the
 * caller checked hl >= 20 and hl <= tot <= the frame's length.
 */
static bool tcp_valid(const uint8_t *ip, unsigned int hl, unsigned int tot)
{
	const uint8_t *tcp = ip + hl;
	unsigned int len = tot - hl, off;

	if (len < 20 || !ip[8] /* TTL */ || fold(sum16(ip, hl, 0)) != 0xffff)
		return false;
	off = (tcp[12] >> 4) * 4u;
	if (off < 20 || off > len)
		return false;
	return fold(sum16(tcp, len, pseudo_sum(ip, len))) == 0xffff;
}

/*
 * Whether slirp takes the ACK of a segment from the guest (and so its
 * data, given the rest): tcp_input() drops one with no ACK or with an ack
 * past snd_max, and in SYN_RECEIVED one before its SYN (iss).
 */
static bool ack_taken(const struct net_tcp_flow *f, uint8_t flags, uint32_t ack)
{
	if (!(flags & TH_ACK) || seq_gt(ack, f->snd_max))
		return false;
	return (f->flags & FLOW_EST) || !seq_gt(f->iss, ack);
}

/*
 * What slirp does with a reset from the guest (tcp_input()): in SYN_SENT
 * it takes one with the ACK of its SYN; later, any whose seq is not after
 * rcv_nxt + rcv_wnd, up to half the sequence space back, or before it if
 * it carries len bytes of data (a segment that starts at or past that
 * point and ends past it is dropped whole, silently for a reset).  rcv_wnd
 * may be its whole buffer (128 KiB), more than it advertised (edge), or
 * just that: a reset between the two, or one with data at the edge, may
 * or may not be taken, and a probe then asks.
 */
enum reset { RESET_TAKEN, RESET_MAYBE, RESET_NOT };

static enum reset reset_taken(const struct net_tcp_flow *f, uint8_t flags,
			      uint32_t seq, uint32_t ack, unsigned int len)
{
	if (f->state == FLOW_SYN_SENT)
		return (flags & TH_ACK) && ack == f->iss + 1 ? RESET_TAKEN : RESET_NOT;
	/* Not after the edge (before it, with data), and less than a quarter
	 * of the space behind next (slirp's rcv_nxt is not that far ahead of
	 * it); else ask. */
	if ((len ? seq_gt(f->edge, seq) : !seq_gt(seq, f->edge)) &&
	    (seq_gt(seq, f->next) || f->next - seq <= 1u << 30))
		return RESET_TAKEN;
	return RESET_MAYBE;
}

/*
 * A probe about open flow f, whose answer net_tcp_probe_end() reads: an
 * empty ACK before rcv_nxt with the ack of all slirp sent, which every
 * connection slirp may keep on the pair but a held one (in SYN_SENT,
 * shadowed) acks (SYN_RECEIVED takes the ack of its SYN and leaves it),
 * and which finds none else and draws an RST.
 */
static void ask(struct net_tcp_table *t, struct net_tcp_flow *f, bool shadowed,
		int64_t now)
{
	t->asking = 1;
	t->asked = f;
	t->asked_ms = now;
	t->shadowed = shadowed;
	t->reset_answered = t->probe_reset = false;
	t->probe_seq = f->next - 1;
	t->probe_ack = f->snd_max;
}

void net_tcp_strip_urgent(uint8_t *ip, unsigned int hl, unsigned int tot)
{
	uint8_t *tcp = ip + hl;
	uint32_t sum;
	uint16_t old_w, new_w, old_urp;

	if (tot < hl + 20 || !(tcp[13] & TH_URG))
		return;
	old_w = get16(tcp + 12);
	old_urp = get16(tcp + 18);
	tcp[13] &= (uint8_t)~TH_URG;
	put16(tcp + 18, 0);
	new_w = get16(tcp + 12);
	/* RFC 1624: HC' = ~(~HC + ~m + m'), a wrong sum staying wrong. */
	sum = (uint16_t)~get16(tcp + 16);
	sum += (uint16_t)~old_w + new_w;
	sum += (uint16_t)~old_urp;
	put16(tcp + 16, (uint16_t)~fold(sum));
}

enum net_tcp_verdict net_tcp_from_guest(struct net_tcp_table *t,
					const uint8_t *ip, unsigned int hl,
					unsigned int tot, bool frag, int64_t now)
{
	const uint8_t *tcp = ip + hl;
	struct net_tcp_key k;
	struct net_tcp_flow *f;
	unsigned int len;
	uint32_t seq, ack, end;
	uint8_t flags;
	bool sure, maybe;

	t->asking = 0;
	/* slirp would reassemble a fragmented segment out of sight. */
	if (frag || !tcp_valid(ip, hl, tot))
		return NET_TCP_BAD;
	len = tot - hl - (tcp[12] >> 4) * 4u;
	flags = tcp[13];
	seq = get32(tcp + 4);
	ack = get32(tcp + 8);
	memcpy(&k.gaddr, ip + 12, 4);
	memcpy(&k.raddr, ip + 16, 4);
	memcpy(&k.gport, tcp, 2);
	memcpy(&k.rport, tcp + 2, 2);
	f = flow_find(t, &k);
	if (f && flow_gone(f, now))
		f = NULL;

	/*
	 * A reset ends the flow only where slirp surely takes it; else slirp
	 * may keep the connection, and the flow stays to say so.
	 */
	if (flags & TH_RST) {
		if (!f)
			return NET_TCP_PASS;
		/* slirp counts an RST it ignores as a segment (t_idle). */
		f->used_ms = now;
		/*
		 * slirp's connection for the guest's SYN ignores it while it
		 * connects, else may take it silently (a reset never makes a
		 * connection): the claim ends on slirp's RST with ACK, or
		 * with its silence (flow_gone()).
		 */
		if (f->state == FLOW_GUEST_SYN)
			return NET_TCP_PASS;
		if (flow_shadowed(t, f, now)) {
			if (flow_held_many(t, f, now) || !(flags & TH_ACK))
				return NET_TCP_PASS;
			ask(t, f, true, now);
			return NET_TCP_PASS_PROBE;
		}
		switch (reset_taken(f, flags, seq, ack, len)) {
		case RESET_TAKEN:
			flow_end(t, f, now);
			return NET_TCP_PASS;
		case RESET_MAYBE:
			ask(t, f, false, now);
			return NET_TCP_PASS_PROBE;
		default:
			return NET_TCP_PASS;
		}
	}
	if (flags & TH_SYN) {
		/* Data on a SYN would wait in the queue for the handshake. */
		if (len || (flags & TH_FIN))
			return NET_TCP_BAD;
		/*
		 * A SYN-ACK answers the SYN of slirp's the guest was shown;
		 * a SYN opens a pair no live connection holds.  Anything else
		 * would start a second connection under one pair in slirp
		 * (simultaneous open, or the SYN of one held back).
		 */
		if (flags & TH_ACK)
			return f && f->state == FLOW_SYN_SENT && ack == f->iss + 1 ?
			       NET_TCP_PASS : NET_TCP_SYN_REFUSED;
		/*
		 * The guest's SYN claims its pair before slirp sees it, so
		 * that slirp's SYN-ACK finds its flow: no other connection
		 * starts on the pair meanwhile (it is held back), and one
		 * whose SYN-ACK must wait for a place stays in the spill,
		 * where the guest cannot ack it unseen.
		 */
		if (!f)
			return flow_claim(t, &k, now) ? NET_TCP_PASS : NET_TCP_NO_ROOM;
		/*
		 * Its SYN again (slirp drops it while it connects or in
		 * SYN_RECEIVED), or one that opens the pair again where slirp
		 * has no connection; but not while a held-back connection may
		 * take it (a simultaneous open with a second one).
		 */
		if (f->state == FLOW_GUEST_SYN) {
			if (flow_shadowed(t, f, now))
				return NET_TCP_SYN_REFUSED;
			f->used_ms = now;
			return NET_TCP_PASS;
		}
		/*
		 * A guest that lost its connection (a reboot, say) opens the
		 * pair again: slirp's ACK to a probe makes it reset the old
		 * one (RFC 793's half-open recovery, as slirp's own answer to
		 * the SYN would), and its SYN sent again then goes through.
		 * The same where slirp may have left SYN_RECEIVED: the probe
		 * acks its SYN, so it leaves it then if not before, and acks.
		 */
		if (f->state == FLOW_OPEN && (f->flags & (FLOW_EST | FLOW_MAYBE_EST)) &&
		    !flow_shadowed(t, f, now)) {
			ask(t, f, false, now);
			return NET_TCP_SYN_PROBE;
		}
		return NET_TCP_SYN_REFUSED;
	}
	/*
	 * Nothing but a SYN or an RST before the guest was shown slirp's
	 * SYN-ACK: no stack sends it, and an ACK would establish a
	 * connection whose SYN-ACK is held back (in SYN_RECEIVED slirp takes
	 * the ack of its SYN, which the guest can guess) silently.
	 */
	if (f && f->state == FLOW_GUEST_SYN)
		return NET_TCP_BAD;
	/*
	 * Where slirp surely reads the segment's ACK: not after next (so not
	 * past its window), nor so far behind it that it would look ahead,
	 * with an ack it takes, and no held-back connection on the pair
	 * (slirp may hand it the segment).  Only then does its ACK say
	 * anything: a segment the tracker drops, slirp's window drops or
	 * another connection reads says nothing.
	 */
	sure = f && f->state == FLOW_OPEN && !flow_shadowed(t, f, now) &&
	       !seq_gt(seq, f->next) && f->next - seq <= 1u << 30 &&
	       ack_taken(f, flags, ack);
	/*
	 * Where slirp may take it (FLOW_MAYBE_EST, flow_gone()): an ack of
	 * its SYN, not past what it sent, on a segment not past its window
	 * however far that reaches; from either connection of a shadowed
	 * pair.  Marked only on a segment that reaches slirp.
	 */
	maybe = f && f->state == FLOW_OPEN && (flags & TH_ACK) &&
		!seq_gt(f->iss, ack) && !seq_gt(ack, f->snd_max) &&
		!seq_gt(seq, f->high + SLIRP_RCV_WND_MAX);
	if (f)
		f->used_ms = now;
	if (sure) {
		/* An ack slirp takes ends SYN_RECEIVED (or was after it). */
		f->flags |= FLOW_EST;
		/* All slirp sent, its FIN too: nothing left to resend. */
		if ((f->flags & FLOW_SLIRP_FIN) && ack == f->snd_max)
			f->flags |= FLOW_SLIRP_DONE;
	}
	/* Nothing else can be queued: slirp queues only data and FINs. */
	if (!len && !(flags & TH_FIN)) {
		if (maybe)
			f->flags |= FLOW_MAYBE_EST;
		return NET_TCP_PASS;
	}
	if (!f)
		return NET_TCP_UNKNOWN;
	/*
	 * Before slirp's ACK of the guest's SYN-ACK nothing is in order; nor
	 * after next, nor so far behind it that slirp would read it as ahead
	 * (half the space away it is neither before nor after next).
	 */
	if (f->state != FLOW_OPEN || seq_gt(seq, f->next) ||
	    f->next - seq > 1u << 30)
		return NET_TCP_GAP;
	if (maybe)
		f->flags |= FLOW_MAYBE_EST;

	/* Passed: slirp's rcv_nxt goes no further than what passes. */
	end = seq + len;
	if (seq_gt(end, f->high))
		f->high = end;
	/* Old data, keepalives and window probes pass too; new data moves next. */
	if (!(f->flags & FLOW_GUEST_FIN_SENT) && sure) {
		/*
		 * slirp ignores data after a FIN it took, and may have taken
		 * this one (one past its window, or before its rcv_nxt, at
		 * most high, it trims; one may also go as a duplicate ACK):
		 * next moves no more.  Whether it took it, its ACK says.
		 */
		if (seq_gt(end, f->edge))
			end = f->edge;
		else if ((flags & TH_FIN) && !seq_gt(f->high, end))
			f->flags |= FLOW_GUEST_FIN_SENT;
		if (seq_gt(end, f->next))
			f->next = end;
	}
	return NET_TCP_PASS;
}

enum net_tcp_show net_tcp_from_slirp(struct net_tcp_table *t,
				     const uint8_t *ip, size_t len, int64_t now)
{
	const uint8_t *tcp;
	struct net_tcp_key k;
	struct net_tcp_flow *f, held;
	unsigned int hl, tot, off;
	uint32_t seq, ack, end, edge;
	uint8_t flags;

	if (len < 20 || ip[0] >> 4 != 4 || ip[9] != 6 /* TCP */ ||
	    get16(ip + 6) & 0x3fff /* MF, offset: no whole header */)
		return NET_TCP_SHOW;
	hl = (ip[0] & 15) * 4u;
	tot = get16(ip + 2);
	if (hl < 20 || tot > len || tot < hl + 20)
		return NET_TCP_SHOW;
	tcp = ip + hl;
	off = (tcp[12] >> 4) * 4u;
	if (off < 20 || off > tot - hl)
		return NET_TCP_SHOW;
	flags = tcp[13];
	seq = get32(tcp + 4);
	ack = get32(tcp + 8);
	edge = ack + get16(tcp + 14);	/* slirp never scales its window */
	end = seq + (tot - hl - off) + !!(flags & TH_SYN) + !!(flags & TH_FIN);
	memcpy(&k.gaddr, ip + 16, 4);
	memcpy(&k.raddr, ip + 12, 4);
	memcpy(&k.gport, tcp + 2, 2);
	memcpy(&k.rport, tcp, 2);
	f = flow_find(t, &k);
	/* A spilled claim gone is no place for a flow (flow_make() is). */
	if (f && flow_spilled(t, f) && flow_gone(f, now)) {
		flow_end(t, f, now);
		f = NULL;
	}

	/*
	 * slirp's RST with ACK comes from tcp_drop() or answers a segment
	 * without ACK that found no connection (or an in-window SYN, which
	 * drops it): the connection is gone.  One without ACK answers a
	 * segment with ACK that found no connection, or one that
	 * SYN_SENT or SYN_RECEIVED refused, where the connection stays: it
	 * says the connection is gone only where it was established, and no
	 * held-back connection, in SYN_SENT, may have sent it.  Those never
	 * send one with ACK: tcp_drop() is silent before a SYN came, and
	 * SYN_SENT drops a segment without ACK but a SYN (the guest's passes
	 * only as a claim's, whose SYN-ACK settles it).  A flow that ends
	 * keeps the record of its pair's held SYNs (flow_end()).
	 */
	if (flags & TH_RST) {
		if (f && f == t->asked && t->asking == 1)
			t->reset_answered = true;
		if (f && f == t->asked && t->asking == 2)
			t->probe_reset = true;
		if (f && ((flags & TH_ACK) ||
			  (f->state == FLOW_OPEN && (f->flags & FLOW_EST) &&
			   !flow_shadowed(t, f, now))))
			flow_end(t, f, now);
		return NET_TCP_SHOW;
	}
	if (flags & TH_SYN) {
		/* The same SYN again, or a new connection on a pair in use. */
		if (f && !flow_gone(f, now)) {
			/*
			 * The SYN-ACK of the connection the guest's SYN
			 * opened (or of one held back that took the SYN): it
			 * waits for a place in the set if its claim is in the
			 * spill.  What was held back on the pair stays known.
			 */
			if (f->state == FLOW_GUEST_SYN && (flags & TH_ACK)) {
				f = flow_settle(t, f, now);
				if (!f)
					return NET_TCP_HOLD_FULL;
				f->state = FLOW_OPEN;
				f->flags &= FLOW_HELD_MANY;
				f->iss = seq;
				f->snd_max = end;
				f->next = f->high = ack;
				f->edge = edge;
				f->used_ms = now;
				return NET_TCP_SHOW;
			}
			/* A resend only before the handshake: slirp's ISS repeats. */
			if (seq != f->iss || (f->state != FLOW_SYN_SENT && !(flags & TH_ACK)) ||
			    (f->state == FLOW_SYN_SENT && (flags & TH_ACK))) {
				/*
				 * One held connection in SYN_SENT, which
				 * resends this SYN with this ISS, is what
				 * net_tcp_probe_end() can reason about.
				 */
				if (!held_recent(f->held_until, now))
					f->flags &= (uint8_t)~FLOW_HELD_MANY;
				else if (seq != f->held_iss)
					f->flags |= FLOW_HELD_MANY;
				if (flags & TH_ACK)
					f->flags |= FLOW_HELD_MANY;
				f->held_iss = seq;
				f->held_until = now + SLIRP_QUIET_MS;
				return NET_TCP_HOLD_BUSY;
			}
			f->used_ms = now;
			return NET_TCP_SHOW;
		}
		if (!f)
			f = flow_make(t, &k, now);
		if (!f) {
			set_stamp(t, &k, now + SLIRP_QUIET_MS, now);
			return NET_TCP_HOLD_FULL;
		}
		/*
		 * The pair's flow starts over (gone, or FLOW_HELD): SYNs held
		 * on it that may live stay known, but for this one's if it
		 * was the only one.
		 */
		held = *f;
		*f = (struct net_tcp_flow){ .key = k, .iss = seq, .snd_max = end,
					    .used_ms = now, .born_ms = now };
		if (held.state != FLOW_FREE && held_recent(held.held_until, now) &&
		    ((held.flags & FLOW_HELD_MANY) || held.held_iss != seq)) {
			f->flags = held.flags & FLOW_HELD_MANY;
			f->held_until = held.held_until;
			f->held_iss = held.held_iss;
		}
		if (flags & TH_ACK) {
			f->state = FLOW_OPEN;
			f->next = f->high = ack;
			f->edge = edge;
		} else {
			f->state = FLOW_SYN_SENT;
		}
		return NET_TCP_SHOW;
	}
	if (!(flags & TH_ACK))
		return NET_TCP_SHOW;
	/*
	 * A plain ACK: slirp is ESTABLISHED or later (tcp_outflags).  None
	 * comes before its SYN-ACK (slirp reads the host's socket only once
	 * established); but if one did, a claim in the spill would not
	 * become a flow there.
	 */
	if (f && f->state == FLOW_GUEST_SYN) {
		f = flow_settle(t, f, now);
		if (!f)
			return NET_TCP_HOLD_FULL;
		f->snd_max = end;
	}
	if (!f) {
		f = flow_make(t, &k, now);
		if (!f)
			return NET_TCP_SHOW;
		f->snd_max = end;
	}
	if (f->state == FLOW_HELD)
		f->snd_max = end;
	/* Past all the guest's data that passed: only its FIN explains it. */
	if (f->state == FLOW_OPEN && seq_gt(ack, f->high))
		f->flags |= FLOW_GUEST_FIN | FLOW_GUEST_FIN_SENT;
	if (f->state != FLOW_OPEN) {
		f->state = FLOW_OPEN;
		f->next = f->high = ack;
		f->edge = edge;
	}
	if (seq_gt(ack, f->next))
		f->next = ack;
	if (seq_gt(ack, f->high))
		f->high = ack;
	if (seq_gt(edge, f->edge))
		f->edge = edge;
	if (seq_gt(end, f->snd_max))
		f->snd_max = end;
	f->flags |= FLOW_EST;
	if (flags & TH_FIN)
		f->flags |= FLOW_SLIRP_FIN;
	f->used_ms = now;
	return NET_TCP_SHOW;
}

void net_tcp_probe_next(struct net_tcp_table *t)
{
	if (t->asking == 1)
		t->asking = 2;
}

/*
 * Where no held-back connection shares the flow's pair, an RST that
 * answers the probe (ask()) says slirp has no connection there, whatever
 * its flags (one without ACK ends only an established flow otherwise):
 * the flow ends.  So does one whose reset slirp may or may not have taken
 * (RESET_MAYBE), or whose pair the guest opens again (NET_TCP_SYN_PROBE),
 * as soon as slirp says it has no connection there.
 *
 * A reset the guest sent while one held-back connection N, in SYN_SENT,
 * shares the flow's pair with its connection A: slirp hands it to the one
 * it cached, else to the newest (N), and the probe after it likewise.
 *  - To A, which takes it or ignores it without a word (an RST is never
 *    answered past SYN_SENT); then the probe goes to A if it lives (the
 *    cache), which acks it, else to N or to no connection, which both
 *    answer it with an RST.
 *  - To N: an RST answers it (dropwithreset answers a reset too), unless
 *    its ack is N's SYN's, which drops N without a word; then the probe
 *    goes to A, which acks it (or ignores it in SYN_SENT).
 *  - To A in SYN_SENT (its SYN shown, not answered): an RST answers a
 *    wrong ack; A's SYN's drops A without a word, and the probe goes to N.
 * So a reset that drew no answer and a probe that drew an RST say that A
 * is gone: the flow ends, keeping the record of N, which may live
 * (flow_end()).  Only a reset with ACK is asked about: N
 * ignores one without ACK without a word, as A would.  With two held
 * connections (flow_held_many(): FLOW_HELD_MANY, or the set's record) a
 * reset with one's ack would drop it without a word and the other would
 * answer the probe while A lives: then nothing is asked, and the flow
 * stays until slirp's RST with ACK, or a reset the guest sends once no
 * held connection may live.
 */
void net_tcp_probe_end(struct net_tcp_table *t)
{
	if (t->asking == 2 && t->probe_reset && t->asked->state != FLOW_FREE &&
	    t->asked->state != FLOW_HELD && !(t->shadowed && t->reset_answered))
		flow_end(t, t->asked, t->asked_ms);
	t->asking = 0;
}

size_t net_tcp_probe(uint8_t *out, const uint8_t *eth, const uint8_t *ip,
		     unsigned int hl)
{
	const uint8_t *tcp = ip + hl;

	/* tcp_input() drops a segment without ACK before it would answer. */
	if (!(tcp[13] & TH_ACK))
		return 0;
	/* Before rcv_nxt when the segment was not after it: slirp acks it. */
	return net_tcp_probe_at(out, eth, ip, hl, get32(tcp + 4) - 1,
				get32(tcp + 8));
}

size_t net_tcp_probe_at(uint8_t *out, const uint8_t *eth, const uint8_t *ip,
			unsigned int hl, uint32_t seq, uint32_t ack)
{
	const uint8_t *tcp = ip + hl;
	uint8_t *oip = out + 14, *ot = oip + 20;

	memcpy(out, eth, 14);
	memset(oip, 0, 40);
	oip[0] = 0x45;
	put16(oip + 2, 40);
	memcpy(oip + 4, ip + 4, 2);		/* ID */
	put16(oip + 6, 0x4000);			/* DF */
	oip[8] = 64;
	oip[9] = 6;
	memcpy(oip + 12, ip + 12, 8);		/* addresses */
	put16(oip + 10, (uint16_t)~fold(sum16(oip, 20, 0)));
	memcpy(ot, tcp, 4);			/* ports */
	put32(ot + 4, seq);
	put32(ot + 8, ack);
	ot[12] = 5 << 4;
	ot[13] = TH_ACK;
	memcpy(ot + 14, tcp + 14, 2);		/* window */
	put16(ot + 16, (uint16_t)~fold(sum16(ot, 20, pseudo_sum(oip, 20))));
	return 14 + 40;
}
