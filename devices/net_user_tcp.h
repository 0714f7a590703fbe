/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The TCP flows of a user network, followed so that no segment from the
 * guest lands in slirp's reassembly queue (devices/net_user_tcp.c).
 */
#ifndef DEVICES_NET_USER_TCP_H
#define DEVICES_NET_USER_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_TCP_WAYS		16	/* flows a hash value may be in */

struct net_tcp_flow;
struct net_tcp_set;

struct net_tcp_table {
	struct net_tcp_flow *flows;	/* nr_sets * NET_TCP_WAYS, fixed at init */
	unsigned int nr_sets;		/* a power of two */
	/*
	 * Per set, SYNs held back on its pairs that no flow records (one
	 * held for a full set, or a flow's record it could not keep).
	 */
	struct net_tcp_set *sets;
	/*
	 * Pairs a guest's SYN claimed that found no place in their set,
	 * until slirp's SYN-ACK finds one (nr_spill, fixed at init).
	 */
	struct net_tcp_flow *spill;
	unsigned int nr_spill;
	uint32_t probe_seq, probe_ack;	/* for the last NET_TCP_PASS_PROBE */
	/*
	 * The flow a probe asks about (net_tcp_probe_end()), while slirp
	 * answers the guest's segment (asking 1), then the probe (2); 0:
	 * none.  shadowed: a reset passed on a pair a held-back connection
	 * shares.  An RST for each says:
	 */
	struct net_tcp_flow *asked;
	int64_t asked_ms;		/* when */
	uint8_t asking;
	bool shadowed, reset_answered, probe_reset;
};

enum net_tcp_verdict {
	NET_TCP_PASS,		/* slirp may have it */
	NET_TCP_BAD,		/* malformed or never sent by a sane stack */
	NET_TCP_GAP,		/* data or FIN after what slirp has in order */
	NET_TCP_UNKNOWN,	/* data or FIN on a flow not followed (now) */
	NET_TCP_PASS_PROBE,	/* pass it, then a probe (net_tcp_probe_at()
				   with probe_seq, probe_ack): slirp may or may
				   not take this reset, its answer says */
	NET_TCP_SYN_REFUSED,	/* a SYN that would make a second connection */
	NET_TCP_SYN_PROBE,	/* the same on a live pair: not it, but the
				   probe, to which the guest's stack answers */
	NET_TCP_NO_ROOM,	/* a SYN whose pair finds no place (the guest
				   sends it again) */
};

/*
 * A table of at least nr_flows flows (rounded up), and a sixteenth of that
 * (at least NET_TCP_WAYS) for the claims of the guest's SYNs that find
 * their set full; 0 or -ENOMEM.
 */
int net_tcp_init(struct net_tcp_table *t, unsigned int nr_flows);
void net_tcp_free(struct net_tcp_table *t);

/*
 * A TCP/IPv4 packet from the guest, as slirp will see it: ip points at
 * the IP header of hl bytes, tot bytes in all (both checked against the
 * frame), frag whether it is an IP fragment.  Checks it as slirp does
 * and says whether slirp may have it.
 */
/*
 * Clears the urgent flag and pointer of a TCP segment from the guest (the
 * same tot, hl as below), keeping its checksum right (or wrong): libslirp
 * 4.7 trusts the urgent pointer past the data and sends the host peer
 * that many bytes of its buffer, or of the heap after it (~2 KiB a
 * segment).  The urgent byte arrives inline, as plain data.
 */
void net_tcp_strip_urgent(uint8_t *ip, unsigned int hl, unsigned int tot);

enum net_tcp_verdict net_tcp_from_guest(struct net_tcp_table *t,
					const uint8_t *ip, unsigned int hl,
					unsigned int tot, bool frag, int64_t now);

enum net_tcp_show {
	NET_TCP_SHOW,		/* the guest may see it */
	NET_TCP_HOLD_FULL,	/* a new connection, no place in the table */
	NET_TCP_HOLD_BUSY,	/* a new connection on a pair a live one holds */
};

/*
 * A frame slirp sends the guest (any kind; len from the IP header on):
 * learns from its TCP segments, and says whether the guest may see it.
 * A SYN or SYN-ACK held back is sent again by slirp, until its
 * connection gets a place or slirp gives up on it.
 */
enum net_tcp_show net_tcp_from_slirp(struct net_tcp_table *t,
				     const uint8_t *ip, size_t len, int64_t now);

/*
 * For a NET_TCP_UNKNOWN segment (ip, hl, tot as above; eth the 14 bytes
 * before ip): into out (14 + 40 bytes), an empty ACK one sequence number
 * before it, which slirp answers with an ACK saying where its stream is
 * (or an RST).  Returns its length, or 0 when the segment has no ACK.
 */
size_t net_tcp_probe(uint8_t *out, const uint8_t *eth, const uint8_t *ip,
		     unsigned int hl);

/* The same with the given seq and ack (segment ip's addresses and ports). */
size_t net_tcp_probe_at(uint8_t *out, const uint8_t *eth, const uint8_t *ip,
			unsigned int hl, uint32_t seq, uint32_t ack);

/*
 * After a NET_TCP_PASS_PROBE or NET_TCP_SYN_PROBE: net_tcp_probe_next()
 * once slirp took the segment (if passed) and sent all it answered (no
 * frame of it waits for ARP), then net_tcp_probe_end() the same once it
 * took the probe.
 */
void net_tcp_probe_next(struct net_tcp_table *t);
void net_tcp_probe_end(struct net_tcp_table *t);

#endif /* DEVICES_NET_USER_TCP_H */
