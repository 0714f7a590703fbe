// SPDX-License-Identifier: GPL-2.0
/*
 * The user-mode network behind a virtio-net card: libslirp run on the VM's
 * I/O thread, frames passed to and from the card over a socketpair.  The
 * guest's connections become the VMM's own host sockets: no privilege.
 *
 * What a guest can make it hold, and what bounds each (drops are counted,
 * and said on stderr at teardown):
 *  - Frames on their way to slirp wait in the socketpair: the card's end
 *    may have NET_USER_SOCKBUF bytes unread, then its sends fail with
 *    EAGAIN and it stops taking the guest's transmit ring until there is
 *    room (the guest waits; nothing is lost).
 *  - Frames from slirp wait in the socketpair the other way while the
 *    guest posts no receive buffers (the card reads the socket only into
 *    them): NET_USER_SOCKBUF bytes, then each further frame is dropped and
 *    counted (TCP resends; slirp's own advice for a full guest).
 *  - A frame slirp takes is at most 14 + NET_USER_MTU bytes: longer ones
 *    (a guest may raise its MTU to 64 KiB) are dropped before slirp
 *    copies them, so each of its packet buffers stays small.
 *  - IP fragments wait in slirp's reassembly queue for up to 30 s with no
 *    limit of its own: NET_USER_FRAG_BURST are let in, then
 *    NET_USER_FRAG_RATE a second; so at most BURST + 30 * RATE fragments
 *    (~1100, ~2 MiB) are ever held.  The rest are dropped and counted.
 *    TCP in fragments is dropped: it would reach slirp unchecked.
 *  - Out-of-order TCP segments wait in slirp's TCP reassembly queue, an
 *    mbuf of ~1.6 KiB each whatever their size, with no limit of their
 *    own for as long as the connection lives (~100 MiB a connection in
 *    1-byte segments): none gets there.  net_user_tcp.c follows where
 *    slirp is in each connection's stream, in a table of
 *    NET_USER_TCP_FLOWS fixed at start, and data or a FIN from the guest
 *    that starts after it is dropped and counted (nothing is lost between
 *    the guest and slirp: a well-behaved guest sends such a segment only
 *    after slirp dropped one itself, past its window, and TCP resends
 *    both).  So slirp holds a connection's data only in order, within its
 *    window.  A new connection that finds the table full waits for a
 *    place (its SYN or SYN-ACK is held back; slirp sends it again: the
 *    guest's SYN claims its pair first, in a spill of a sixteenth of the
 *    table if need be, else it is dropped and the guest sends it again);
 *    a connection gives its place only on proof that slirp has no use for
 *    it (a reset slirp took or sent; closed both ways, or never
 *    established, and silent for 15 to 90 s as slirp may still resend
 *    or probe; never for being quiet).
 *    A forward's client that comes from the source port of a connection
 *    still open on the same pair waits the same way: slirp would keep two
 *    connections under one address pair, which it mixes up.
 *  - Every connection or UDP flow the guest opens is a host socket with
 *    buffers of a fixed size (~280 KiB for TCP in libslirp 4.7): the
 *    sandbox lets the process open at most NET_USER_MAX_SOCKETS
 *    descriptors more (RLIMIT_NOFILE, sandbox_inet.c), and slirp refuses
 *    connections past that (ICMP unreachable); a forward's client waits
 *    in its listener's queue, not polled until a descriptor frees (slirp's
 *    accept() would fail each round).  UDP flows expire after slirp's
 *    timeout (10 s for DNS, 240 s else).
 *  - What slirp sends to a guest address it has no MAC for waits in its
 *    output queue for the guest's ARP answer (a connection's packets one
 *    after the other, 1 s each): slirp's request is answered here at once,
 *    with the MAC that address last sent from, so nothing waits.  That
 *    also keeps what net_user_tcp.c sees current.
 *
 * The guest sends only from 10.0.2.0/24 (or 0.0.0.0), the addresses whose
 * ARP is answered here.  It reaches the host's loopback only as 10.0.2.2,
 * and two TCP forwards to one guest port are refused: otherwise slirp could
 * keep two connections under one address pair, which it mixes up and
 * net_user_tcp.c could not tell apart.
 *
 * DNS: slirp answers 10.0.2.3 by reading /etc/resolv.conf whenever it
 * likes, which the sandbox forbids.  So it never sees 10.0.2.3 as a
 * destination: queries to 10.0.2.3:53 (UDP and TCP) are rewritten here to
 * go to the host's nameserver, read once at start, and the answers
 * rewritten back; anything else to 10.0.2.3 but ICMP is dropped.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <glib.h>
#include <libslirp.h>

#include "vmm/sandbox_inet.h"
#include "devices/net_user.h"
#include "devices/net_user_tcp.h"
#include "devices/virtio_net.h"

#define NET_USER_MTU		1500	/* slirp's MTU and MRU */
#define NET_USER_FRAME_MAX	(14 + NET_USER_MTU)
/* Bytes each end of the socketpair may have in flight (the kernel doubles it). */
#define NET_USER_SOCKBUF	(128 * 1024)
/* Frames taken from the card per wakeup, so one card cannot starve others. */
#define NET_USER_BATCH		64
#define NET_USER_FRAG_BURST	64
#define NET_USER_FRAG_RATE	32	/* per second */
/* DNS flows (guest source ports) whose answers are rewritten back. */
#define NET_USER_DNS_FLOWS	32
#define NET_USER_DNS_FRAGS	8
/* poll()/slirp rounds per wakeup while sockets keep turning ready. */
#define NET_USER_ROUNDS		4
/*
 * TCP flows followed: sixteen times the connections slirp may hold (one
 * socket each), since a closed one keeps its place for 15 s (more when
 * it did not end cleanly): some 150 short connections a second, less
 * where the table's 16-way sets fill unevenly.
 */
#define NET_USER_TCP_FLOWS	(16 * NET_USER_MAX_SOCKETS)
/* slirp's slow timer: TIMEOUT_SLOW (499 ms), and a millisecond of margin. */
#define NET_USER_TICK_MS	500
/* if_start() rounds that send what waited for ARP: a cap, never reached. */
#define NET_USER_ARP_ROUNDS	4096

#define ETH_HLEN		14
#define ETH_ALEN		6
#define ETH_P_IP		0x0800
#define ETH_P_ARP		0x0806
#define IP_PROTO_TCP		6
#define IP_PROTO_UDP		17
#define IP_MF			0x2000
#define IP_OFFMASK		0x1fff

struct net_user_timer {
	SlirpTimerCb cb;		/* slirp's timer_new() style, or NULL */
	SlirpTimerId id;		/* else timer_new_opaque()'s */
	void *cb_opaque;
	int64_t expire_ms;		/* -1: not armed */
	struct net_user_timer *next;
};

struct net_user_dns_flow {
	uint8_t proto;			/* 0: unused */
	uint16_t port;			/* the guest's source port, network order */
};

/* Everything below runs on the I/O thread, after set-up: no lock. */
struct net_user {
	struct vmm_vm *vm;
	Slirp *slirp;
	int fd;				/* our end of the card's socketpair */
	int epfd;			/* slirp's sockets, edge-triggered */
	int tfd;			/* a timerfd: slirp's next timeout */
	int64_t armed_ms;		/* what tfd is set to; -1: nothing */
	/*
	 * slirp's TCP timers count ticks of its slow timer, which runs in a
	 * poll at least 499 ms after its last run, not time: the flow
	 * tracker's clock counts the same ticks (never more of them), so
	 * that a guest that paces its frames to make them rare cannot make
	 * slirp's waits outlast the tracker's.
	 */
	int64_t tick_ms;		/* when the last tick was counted */
	int64_t ticks;
	unsigned int in_loop;		/* how many of fd, epfd, tfd are */
	bool notified;			/* slirp said more may be done */

	/* slirp_pollfds_fill()'s list for one poll(). */
	struct pollfd *pfd;
	unsigned int nr_pfd, max_pfd;
	/* Which fds epfd watches, indexed by fd. */
	uint8_t *watched;
	unsigned int max_watched;
	/*
	 * The forwards' TCP listeners (all there will be: listen() is
	 * forbidden once the sandbox closes), polled only while a
	 * descriptor is free: fd_free says so for this fill(), -1 unknown.
	 */
	int listen_fds[VMM_NET_MAX_HOSTFWD];
	unsigned int nr_listen;
	int fd_free;

	struct net_user_timer *timers;

	/* 10.0.2.3:53 is this address and port on the host (network order). */
	uint32_t dns_addr;
	uint16_t dns_port;
	struct net_user_dns_flow dns_flows[NET_USER_DNS_FLOWS];
	unsigned int dns_next;
	uint16_t dns_frag_ids[NET_USER_DNS_FRAGS];
	bool dns_frag_used[NET_USER_DNS_FRAGS];
	unsigned int dns_frag_next;

	/* Fragments slirp may still take, in thousandths. */
	int64_t frag_milli;
	int64_t frag_ms;		/* when frag_milli was last topped up */

	/* What slirp has in order of each TCP flow (net_user_tcp.c). */
	struct net_tcp_table tcp;

	/*
	 * slirp's ARP requests for guest addresses, answered on the guest's
	 * behalf: the MAC each address of 10.0.2.0/24 last sent from (else
	 * the guest's latest), the addresses asked for, frames slirp sent.
	 */
	uint8_t mac[256][ETH_ALEN];
	uint32_t mac_known[256 / 32];
	uint8_t last_mac[ETH_ALEN];
	bool last_mac_known;
	uint32_t arp_wanted[256 / 32];
	bool arp_pending;
	unsigned int sent;

	struct net_user_stats stats;
	uint8_t in[NET_USER_FRAME_MAX + 1];	/* +1: a longer frame shows */
	uint8_t out[NET_USER_FRAME_MAX];
};

/* ---- bytes in frames -------------------------------------------------------- */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = (uint8_t)v;
}

/* RFC 1624: the checksum at sum after a 16-bit word changed from old to new. */
static void csum_update16(uint8_t *sum, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t)~get16(sum) + (uint16_t)~old + new;

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	put16(sum, (uint16_t)~s);
}

/* Replaces the 16-bit field at p, keeping the checksums at sums[] right. */
static void rewrite16(uint8_t *p, uint16_t v, uint8_t *sum1, uint8_t *sum2)
{
	uint16_t old = get16(p);

	if (sum1)
		csum_update16(sum1, old, v);
	if (sum2)
		csum_update16(sum2, old, v);
	put16(p, v);
}

/* The same for a 32-bit address (network order in memory). */
static void rewrite_addr(uint8_t *p, uint32_t addr_be, uint8_t *sum1,
			 uint8_t *sum2)
{
	uint8_t a[4];

	memcpy(a, &addr_be, 4);
	rewrite16(p, get16(a), sum1, sum2);
	rewrite16(p + 2, get16(a + 2), sum1, sum2);
}

/*
 * Where the L4 checksum of an unfragmented (or first-fragment) TCP/UDP
 * packet lies, or NULL when there is none to keep (UDP's 0: none sent).
 */
static uint8_t *l4_csum(uint8_t *l4, uint8_t proto)
{
	if (proto == IP_PROTO_TCP)
		return l4 + 16;
	return get16(l4 + 6) ? l4 + 6 : NULL;
}

/* After an incremental update a UDP checksum of 0 must be sent as 0xffff. */
static void udp_csum_fix(uint8_t *sum, uint8_t proto)
{
	if (sum && proto == IP_PROTO_UDP && !get16(sum))
		put16(sum, 0xffff);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- DNS: 10.0.2.3:53 is the host's nameserver ----------------------------- */

uint32_t net_user_resolv_conf(const char *path)
{
	char line[512], word[64];
	struct in_addr a;
	FILE *f = fopen(path, "re");

	if (f) {
		while (fgets(line, sizeof(line), f)) {
			if (sscanf(line, " nameserver %63s", word) == 1 &&
			    inet_pton(AF_INET, word, &a) == 1 && a.s_addr) {
				fclose(f);
				return a.s_addr;
			}
		}
		fclose(f);
	}
	/* What slirp does with no nameserver: a resolver on the host itself. */
	return htonl(INADDR_LOOPBACK);
}

static bool dns_flow_known(const struct net_user *nu, uint8_t proto,
			   uint16_t port)
{
	unsigned int i;

	for (i = 0; i < NET_USER_DNS_FLOWS; i++)
		if (nu->dns_flows[i].proto == proto &&
		    nu->dns_flows[i].port == port)
			return true;
	return false;
}

/*
 * A guest packet to 10.0.2.3: a query to port 53 is sent on to the host's
 * nameserver (true); anything else is not for slirp (false).
 */
static bool dns_query_nat(struct net_user *nu, uint8_t *ip, unsigned int hl,
			  unsigned int tot)
{
	uint8_t proto = ip[9], *l4 = ip + hl, *sum;
	uint16_t sport;

	if (!nu->dns_addr || (proto != IP_PROTO_TCP && proto != IP_PROTO_UDP) ||
	    tot < hl + (proto == IP_PROTO_TCP ? 20u : 8u) || get16(l4 + 2) != 53)
		return false;
	memcpy(&sport, l4, 2);
	if (!dns_flow_known(nu, proto, sport)) {
		nu->dns_flows[nu->dns_next] =
			(struct net_user_dns_flow){ proto, sport };
		nu->dns_next = (nu->dns_next + 1) % NET_USER_DNS_FLOWS;
	}
	sum = l4_csum(l4, proto);
	/* The pseudo-header holds the address: the L4 checksum changes too. */
	rewrite_addr(ip + 16, nu->dns_addr, ip + 10, sum);
	rewrite16(l4 + 2, ntohs(nu->dns_port), sum, NULL);
	udp_csum_fix(sum, proto);
	return true;
}

/* A frame slirp sends: an answer from the nameserver looks like 10.0.2.3's. */
static void dns_reply_nat(struct net_user *nu, uint8_t *f, size_t len)
{
	uint32_t dns_be = htonl(NET_USER_DNS);
	uint8_t *ip = f + ETH_HLEN, proto, *l4, *sum;
	unsigned int hl, i;
	uint16_t off, id, dport;

	if (len < ETH_HLEN + 20 || get16(f + 12) != ETH_P_IP)
		return;
	hl = (ip[0] & 15) * 4u;
	proto = ip[9];
	if (hl < 20 || len < ETH_HLEN + hl ||
	    memcmp(ip + 12, &nu->dns_addr, 4) ||
	    (proto != IP_PROTO_TCP && proto != IP_PROTO_UDP))
		return;
	off = get16(ip + 6);
	id = get16(ip + 4);
	if (off & IP_OFFMASK) {
		/* A later fragment of an answer: no ports, only the address. */
		for (i = 0; i < NET_USER_DNS_FRAGS; i++)
			if (nu->dns_frag_used[i] && nu->dns_frag_ids[i] == id)
				rewrite_addr(ip + 12, dns_be, ip + 10, NULL);
		return;
	}
	l4 = ip + hl;
	if (len < ETH_HLEN + hl + (proto == IP_PROTO_TCP ? 20u : 8u))
		return;
	memcpy(&dport, l4 + 2, 2);
	if (memcmp(l4, &nu->dns_port, 2) || !dns_flow_known(nu, proto, dport))
		return;
	sum = l4_csum(l4, proto);
	rewrite_addr(ip + 12, dns_be, ip + 10, sum);
	rewrite16(l4, 53, sum, NULL);
	udp_csum_fix(sum, proto);
	if (off & IP_MF) {
		nu->dns_frag_ids[nu->dns_frag_next] = id;
		nu->dns_frag_used[nu->dns_frag_next] = true;
		nu->dns_frag_next = (nu->dns_frag_next + 1) % NET_USER_DNS_FRAGS;
	}
}

/* ---- slirp's ARP for the guest ------------------------------------------------- */

/*
 * slirp keeps what it sends to an address it has no MAC for until the
 * guest answers its ARP request, and then sends a connection's packets one
 * per round: a guest that does not answer makes that queue grow, and what
 * comes out late tells of connections that may be gone (net_user_tcp.c
 * needs what it sees to be current).  So every request for an address of
 * 10.0.2.0/24 is answered here as soon as slirp's call returns, with the
 * MAC that address last sent from, and what waited goes out right then.
 */
static bool bit_test(const uint32_t *map, unsigned int i)
{
	return map[i / 32] >> (i % 32) & 1;
}

static void bit_set(uint32_t *map, unsigned int i)
{
	map[i / 32] |= 1u << (i % 32);
}

/* The guest sent from addr_be (network order) as mac. */
static void mac_learn(struct net_user *nu, uint32_t addr_be, const uint8_t *mac)
{
	uint32_t a = ntohl(addr_be);

	memcpy(nu->last_mac, mac, ETH_ALEN);
	nu->last_mac_known = true;
	if ((a & NET_USER_MASK) != NET_USER_NET)
		return;
	memcpy(nu->mac[a & 0xff], mac, ETH_ALEN);
	bit_set(nu->mac_known, a & 0xff);
}

/* A frame slirp sends: an ARP request is noted, for arp_answer(). */
static void arp_note(struct net_user *nu, const uint8_t *f, size_t len)
{
	uint32_t tip;

	if (len < ETH_HLEN + 28 || get16(f + ETH_HLEN + 6) != 1 /* request */)
		return;
	memcpy(&tip, f + ETH_HLEN + 24, 4);
	tip = ntohl(tip);
	if ((tip & NET_USER_MASK) != NET_USER_NET)
		return;
	bit_set(nu->arp_wanted, tip & 0xff);
	nu->arp_pending = true;
}

/* The guest's ARP reply for address i of the network, into f (42 bytes). */
static void arp_reply(struct net_user *nu, unsigned int i, uint8_t *f)
{
	static const uint8_t slirp_mac[ETH_ALEN] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
	const uint8_t *mac = bit_test(nu->mac_known, i) ? nu->mac[i] : nu->last_mac;
	uint32_t sip = htonl(NET_USER_NET | i), tip = htonl(NET_USER_HOST);
	uint8_t *a = f + ETH_HLEN;

	memcpy(f, slirp_mac, ETH_ALEN);
	memcpy(f + ETH_ALEN, mac, ETH_ALEN);
	put16(f + 12, ETH_P_ARP);
	put16(a, 1);			/* Ethernet */
	put16(a + 2, ETH_P_IP);
	a[4] = ETH_ALEN;
	a[5] = 4;
	put16(a + 6, 2);		/* reply */
	memcpy(a + 8, mac, ETH_ALEN);
	memcpy(a + 14, &sip, 4);
	memcpy(a + 18, slirp_mac, ETH_ALEN);
	memcpy(a + 24, &tip, 4);
}

static void arp_answer(struct net_user *nu);

/* ---- frames from the guest ---------------------------------------------------- */

static int cb_get_revents(int idx, void *opaque);

/* The flow tracker's clock: slirp's slow-timer ticks, in ms. */
static int64_t slirp_ms(const struct net_user *nu)
{
	return nu->ticks * NET_USER_TICK_MS;
}

/*
 * slirp_pollfds_poll(), counting a tick where slirp surely runs its slow
 * timer: a little later than its own rule, on a clock read before its.
 */
static void poll_slirp(struct net_user *nu, int err)
{
	int64_t t = now_ms();

	if (t - nu->tick_ms >= NET_USER_TICK_MS) {
		nu->ticks++;
		nu->tick_ms = t;
	}
	slirp_pollfds_poll(nu->slirp, err, cb_get_revents, nu);
}

/* Whether one more IP fragment may go into slirp's reassembly queue. */
static bool frag_admit(struct net_user *nu)
{
	int64_t now = now_ms();

	nu->frag_milli += (now - nu->frag_ms) * NET_USER_FRAG_RATE;
	nu->frag_ms = now;
	if (nu->frag_milli > NET_USER_FRAG_BURST * 1000)
		nu->frag_milli = NET_USER_FRAG_BURST * 1000;
	if (nu->frag_milli < 1000)
		return false;
	nu->frag_milli -= 1000;
	return true;
}

enum input_verdict {
	INPUT_PASS, INPUT_FILTERED, INPUT_FRAG_OVER, INPUT_TCP_GAP, INPUT_TCP_PROBE,
	INPUT_PASS_PROBE, INPUT_SYN_REFUSED, INPUT_SYN_PROBE, INPUT_TCP_NO_ROOM,
};

/* An IPv4 frame from the guest: whether slirp may have it. */
static enum input_verdict input_ipv4(struct net_user *nu, uint8_t *f,
				     size_t len)
{
	uint8_t *ip = f + ETH_HLEN;
	size_t iplen = len - ETH_HLEN;
	unsigned int hl, tot;
	uint32_t src, dst;
	bool frag;

	if (iplen < 20 || (ip[0] >> 4) != 4)
		return INPUT_FILTERED;
	hl = (ip[0] & 15) * 4u;
	tot = get16(ip + 2);
	if (hl < 20 || tot < hl || tot > iplen)
		return INPUT_FILTERED;
	memcpy(&src, ip + 12, 4);
	memcpy(&dst, ip + 16, 4);
	/*
	 * From the guest's network only (slirp would ask ARP for the replies
	 * to anywhere else, and nothing here answers it); to the host's
	 * loopback only as 10.0.2.2 (through 127.0.0.2 and the like, two
	 * connections slirp forwards from the host could have one address
	 * pair, which slirp mixes up and net_user_tcp.c could not tell apart).
	 */
	if ((src && (ntohl(src) & NET_USER_MASK) != NET_USER_NET) ||
	    ntohl(dst) >> 24 == 127)
		return INPUT_FILTERED;
	mac_learn(nu, src, f + ETH_ALEN);
	frag = get16(ip + 6) & (IP_MF | IP_OFFMASK);
	/* slirp would read resolv.conf for 10.0.2.3 (see the top); ping is its own. */
	if (dst == htonl(NET_USER_DNS) && ip[9] != 1 /* ICMP */ &&
	    (frag || !dns_query_nat(nu, ip, hl, tot)))
		return INPUT_FILTERED;
	if (ip[9] == IP_PROTO_TCP) {
		if (!frag)
			net_tcp_strip_urgent(ip, hl, tot);
		switch (net_tcp_from_guest(&nu->tcp, ip, hl, tot, frag, slirp_ms(nu))) {
		case NET_TCP_PASS:
			return INPUT_PASS;
		case NET_TCP_GAP:
			return INPUT_TCP_GAP;
		case NET_TCP_UNKNOWN:
			return INPUT_TCP_PROBE;
		case NET_TCP_PASS_PROBE:
			return INPUT_PASS_PROBE;
		case NET_TCP_SYN_REFUSED:
			return INPUT_SYN_REFUSED;
		case NET_TCP_SYN_PROBE:
			return INPUT_SYN_PROBE;
		case NET_TCP_NO_ROOM:
			return INPUT_TCP_NO_ROOM;
		default:
			return INPUT_FILTERED;
		}
	}
	if (frag && !frag_admit(nu))
		return INPUT_FRAG_OVER;
	return INPUT_PASS;
}

static void input_frame(struct net_user *nu, size_t len)
{
	uint8_t *f = nu->in, probe[ETH_HLEN + 40];
	bool pass = true;	/* the frame to slirp; then probe's n bytes */
	uint32_t sip;
	size_t n;

	if (len > NET_USER_FRAME_MAX) {
		nu->stats.oversize++;
		return;
	}
	if (len < ETH_HLEN) {
		nu->stats.filtered++;
		return;
	}
	n = 0;
	switch (get16(f + 12)) {
	case ETH_P_ARP:
		if (len >= ETH_HLEN + 28) {
			memcpy(&sip, f + ETH_HLEN + 14, 4);
			mac_learn(nu, sip, f + ETH_HLEN + 8);
		}
		break;
	case ETH_P_IP:
		switch (input_ipv4(nu, f, len)) {
		case INPUT_PASS:
			break;
		case INPUT_SYN_PROBE:
			/* Not the SYN: the probe, whose ACK the guest answers. */
			nu->stats.tcp_syn_refused++;
			pass = false;
			/* fall through */
		case INPUT_PASS_PROBE:
			/* A reset slirp may or may not take: then ask it. */
			n = net_tcp_probe_at(probe, f, f + ETH_HLEN,
					     (f[ETH_HLEN] & 15) * 4u,
					     nu->tcp.probe_seq, nu->tcp.probe_ack);
			break;
		case INPUT_SYN_REFUSED:
			nu->stats.tcp_syn_refused++;
			return;
		case INPUT_TCP_NO_ROOM:
			nu->stats.tcp_no_room++;
			return;
		case INPUT_FRAG_OVER:
			nu->stats.fragments++;
			return;
		case INPUT_TCP_GAP:
			nu->stats.tcp_gaps++;
			return;
		case INPUT_TCP_PROBE:
			/* Not the data: an empty ACK slirp answers with where it is. */
			nu->stats.tcp_gaps++;
			pass = false;
			n = net_tcp_probe(probe, f, f + ETH_HLEN, (f[ETH_HLEN] & 15) * 4u);
			break;
		default:
			nu->stats.filtered++;
			return;
		}
		break;
	default:
		/* IPv6 is off; slirp ignores the rest. */
		nu->stats.filtered++;
		return;
	}
	if (pass)
		slirp_input(nu->slirp, f, (int)len);
	/* What slirp answered the frame, then what it answered the probe. */
	if (n) {
		arp_answer(nu);
		net_tcp_probe_next(&nu->tcp);
		slirp_input(nu->slirp, probe, (int)n);
		arp_answer(nu);
		net_tcp_probe_end(&nu->tcp);
	} else if (pass) {
		arp_answer(nu);
	}
}

/* ---- slirp's callbacks -------------------------------------------------------- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	struct net_user *nu = opaque;
	const void *frame = buf;
	ssize_t r;

	nu->sent++;
	if (len > sizeof(nu->out)) {
		nu->stats.to_guest_full++;	/* cannot be: slirp's MTU is ours */
		return (ssize_t)len;
	}
	/*
	 * Nor this: slirp makes whole Ethernet frames.  But an empty datagram
	 * would read as the end of the link on the card's side.
	 */
	if (len < ETH_HLEN)
		return (ssize_t)len;
	if (len >= ETH_HLEN && get16((const uint8_t *)buf + 12) == ETH_P_ARP)
		arp_note(nu, buf, len);
	/* Seen before the DNS rewrite: slirp's own addresses. */
	if (len >= ETH_HLEN && get16((const uint8_t *)buf + 12) == ETH_P_IP) {
		switch (net_tcp_from_slirp(&nu->tcp, (const uint8_t *)buf + ETH_HLEN,
					   len - ETH_HLEN, slirp_ms(nu))) {
		case NET_TCP_SHOW:
			break;
		case NET_TCP_HOLD_FULL:
			nu->stats.tcp_no_room++;
			return (ssize_t)len;
		case NET_TCP_HOLD_BUSY:
			nu->stats.tcp_pair_busy++;
			return (ssize_t)len;
		}
	}
	/* A copy only of what may be an answer from the nameserver. */
	if (nu->dns_addr && len >= ETH_HLEN + 20 &&
	    get16((const uint8_t *)buf + 12) == ETH_P_IP &&
	    !memcmp((const uint8_t *)buf + ETH_HLEN + 12, &nu->dns_addr, 4)) {
		memcpy(nu->out, buf, len);
		dns_reply_nat(nu, nu->out, len);
		frame = nu->out;
	}
	do {
		r = send(nu->fd, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (r < 0 && errno == EINTR);
	/* Dropped when the guest does not keep up: see the top. */
	if (r < 0)
		nu->stats.to_guest_full++;
	/* Never less than len: slirp would complain through glib. */
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	struct net_user *nu = opaque;

	(void)msg;
	nu->stats.filtered++;
}

static int64_t cb_clock_get_ns(void *opaque)
{
	struct timespec ts;

	(void)opaque;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static struct net_user_timer *timer_add(struct net_user *nu)
{
	struct net_user_timer *t = calloc(1, sizeof(*t));

	if (!t)
		g_error("user network: out of memory for a timer");
	t->expire_ms = -1;
	t->next = nu->timers;
	nu->timers = t;
	return t;
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	struct net_user_timer *t = timer_add(opaque);

	t->cb = cb;
	t->cb_opaque = cb_opaque;
	return t;
}

static void *cb_timer_new_opaque(SlirpTimerId id, void *cb_opaque,
				 void *opaque)
{
	struct net_user_timer *t = timer_add(opaque);

	t->id = id;
	t->cb_opaque = cb_opaque;
	return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
	struct net_user *nu = opaque;
	struct net_user_timer **p;

	for (p = &nu->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct net_user_timer *t = timer;

	(void)opaque;
	t->expire_ms = expire_ms;
}

/* epfd wakes the I/O thread for any change on a socket slirp uses. */
static void watch_fd(struct net_user *nu, int fd)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLPRI | EPOLLRDHUP | EPOLLET,
		.data.fd = fd,
	};
	unsigned int n;
	uint8_t *w;

	if (fd < 0)
		return;
	if ((unsigned int)fd >= nu->max_watched) {
		n = (unsigned int)fd * 2 + 64;
		w = realloc(nu->watched, n);
		if (!w)
			return;	/* polled each round all the same */
		memset(w + nu->max_watched, 0, n - nu->max_watched);
		nu->watched = w;
		nu->max_watched = n;
	}
	if (nu->watched[fd])
		return;
	if (!epoll_ctl(nu->epfd, EPOLL_CTL_ADD, fd, &ev) || errno == EEXIST)
		nu->watched[fd] = 1;
}

static void cb_register_poll_fd(int fd, void *opaque)
{
	watch_fd(opaque, fd);
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
	struct net_user *nu = opaque;

	if (fd < 0 || (unsigned int)fd >= nu->max_watched || !nu->watched[fd])
		return;
	/* Fails when slirp closed it first: the kernel dropped it then. */
	epoll_ctl(nu->epfd, EPOLL_CTL_DEL, fd, NULL);
	nu->watched[fd] = 0;
}

static void cb_notify(void *opaque)
{
	struct net_user *nu = opaque;

	nu->notified = true;
}

static const SlirpCb net_user_cb = {
	.send_packet = cb_send_packet,
	.guest_error = cb_guest_error,
	.clock_get_ns = cb_clock_get_ns,
	.timer_new = cb_timer_new,
	.timer_free = cb_timer_free,
	.timer_mod = cb_timer_mod,
	.register_poll_fd = cb_register_poll_fd,
	.unregister_poll_fd = cb_unregister_poll_fd,
	.notify = cb_notify,
	.timer_new_opaque = cb_timer_new_opaque,
};

/*
 * Whether the process may open one more descriptor, asked once a fill():
 * a dup of one of ours, closed at once.
 */
static bool fd_free(struct net_user *nu)
{
	int fd;

	if (nu->fd_free < 0) {
		fd = fcntl(nu->tfd, F_DUPFD_CLOEXEC, 0);
		nu->fd_free = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	return nu->fd_free;
}

static bool is_listener(const struct net_user *nu, int fd)
{
	unsigned int i;

	for (i = 0; i < nu->nr_listen; i++)
		if (nu->listen_fds[i] == fd)
			return true;
	return false;
}

static int cb_add_poll(int fd, int events, void *opaque)
{
	struct net_user *nu = opaque;
	struct pollfd *p;
	short ev = 0;

	/*
	 * With no descriptor free (the guest's connections at the socket
	 * budget), slirp's accept() of a forward's client fails with EMFILE
	 * and leaves it queued: the listener stays ready and each step would
	 * end busy, a wakeup a millisecond for as long as the client waits.
	 * Not polled then; asked again at each fill(), so at the step after
	 * a descriptor frees (at most slirp's timeout, a second, later),
	 * when the listener's pending client is polled again.
	 */
	if (is_listener(nu, fd) && !fd_free(nu))
		return -1;
	if (nu->nr_pfd == nu->max_pfd) {
		p = realloc(nu->pfd, (nu->max_pfd * 2 + 16) * sizeof(*p));
		if (!p)
			return -1;	/* not polled this round */
		nu->pfd = p;
		nu->max_pfd = nu->max_pfd * 2 + 16;
	}
	watch_fd(nu, fd);
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	nu->pfd[nu->nr_pfd] = (struct pollfd){ .fd = fd, .events = ev };
	return (int)nu->nr_pfd++;
}

/*
 * What poll() said of slirp's socket idx.  slirp_pollfds_poll() reads a
 * TCP socket on ERR or HUP (soread()) whether or not it asked to read,
 * and libslirp 4.7's soread() asserts that so_snd has room: it asks to
 * read only while so_snd is less than half full, and a connection that
 * asked only to write (so_snd fuller, the guest's data waiting for the
 * host) would abort the VMM on a host reset.  So ERR and HUP are said
 * only of a socket that asked to read; one that asked only to write hears
 * POLLOUT instead, and its error meets it there: sowrite()'s send() fails
 * and slirp closes its side towards the guest (the rest of the host's
 * end is read once the guest's acks make room), and a connecting
 * socket's send() of nothing fails the connect, which slirp answers the
 * guest's SYN with a reset (soread() on ERR dropped it silently, the
 * guest's SYN resent into the same refusal).  Every socket slirp polls
 * asks for one of the two: a listener, a UDP or ICMP socket always to
 * read, a connecting one to write.  A connected one that asks for neither
 * (so_snd half full, nothing for the host) is not polled at all, as
 * before: its error waits for the guest, whose ack makes it ask to read
 * again (soread() then meets it) or whose data makes it ask to write; a
 * guest that does neither has the connection dropped by slirp's
 * retransmit timer, or keeps it with a shut window, one socket of its
 * budget.
 */
static int cb_get_revents(int idx, void *opaque)
{
	struct net_user *nu = opaque;
	short re, ev;
	int r = 0;

	if (idx < 0 || (unsigned int)idx >= nu->nr_pfd)
		return 0;
	re = nu->pfd[idx].revents;
	ev = nu->pfd[idx].events;
	if (re & POLLIN)
		r |= SLIRP_POLL_IN;
	if (re & POLLOUT)
		r |= SLIRP_POLL_OUT;
	if (re & POLLPRI)
		r |= SLIRP_POLL_PRI;
	if (!(ev & POLLIN)) {
		if ((re & (POLLERR | POLLNVAL | POLLHUP)) && (ev & POLLOUT))
			r |= SLIRP_POLL_OUT;
		return r;
	}
	if (re & (POLLERR | POLLNVAL))
		r |= SLIRP_POLL_ERR;
	if (re & POLLHUP)
		r |= SLIRP_POLL_HUP;
	return r;
}

/* ---- the I/O thread --------------------------------------------------------- */

/*
 * After each call into slirp: the guest's answers to the ARP requests it
 * made, then if_start() rounds (slirp_pollfds_poll() with no sockets)
 * until nothing more comes out (a connection's queue gives one packet a
 * round).  Waits while the guest has sent no frame: no MAC to answer with.
 */
static void arp_answer(struct net_user *nu)
{
	uint8_t f[ETH_HLEN + 28];
	unsigned int i, rounds = 0;

	while (nu->arp_pending && nu->last_mac_known &&
	       rounds < NET_USER_ARP_ROUNDS) {
		nu->arp_pending = false;
		for (i = 0; i < 256; i++) {
			if (!bit_test(nu->arp_wanted, i))
				continue;
			arp_reply(nu, i, f);
			slirp_input(nu->slirp, f, sizeof(f));
		}
		memset(nu->arp_wanted, 0, sizeof(nu->arp_wanted));
		do {
			nu->sent = 0;
			poll_slirp(nu, 1);
		} while (nu->sent && ++rounds < NET_USER_ARP_ROUNDS);
	}
}

static void run_timers(struct net_user *nu)
{
	struct net_user_timer *t;
	int64_t now = now_ms();
	bool again = true;

	/* A callback may free or re-arm timers: restart after each. */
	while (again) {
		again = false;
		for (t = nu->timers; t; t = t->next) {
			if (t->expire_ms < 0 || t->expire_ms > now)
				continue;
			t->expire_ms = -1;
			if (t->cb)
				t->cb(t->cb_opaque);
			else
				slirp_handle_timer(nu->slirp, t->id, t->cb_opaque);
			again = true;
			break;
		}
	}
}

/* Sets tfd for slirp's next timeout (ms from now) or its earliest timer. */
static void arm(struct net_user *nu, uint32_t timeout)
{
	struct itimerspec its = { 0 };
	struct net_user_timer *t;
	int64_t when = now_ms() + timeout;

	/*
	 * slirp asks again 499 ms after each poll while its TCP has timers
	 * (1000 ms when it has none): a guest's frames just less apart would
	 * make its slow timer run every other one.  A poll a tick after the
	 * last keeps it on time.
	 */
	if (timeout < NET_USER_TICK_MS && when > nu->tick_ms + NET_USER_TICK_MS)
		when = nu->tick_ms + NET_USER_TICK_MS;
	for (t = nu->timers; t; t = t->next)
		if (t->expire_ms >= 0 && t->expire_ms < when)
			when = t->expire_ms;
	if (when == nu->armed_ms)
		return;
	its.it_value.tv_sec = when / 1000;
	its.it_value.tv_nsec = (when % 1000) * 1000000;
	if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
		its.it_value.tv_nsec = 1;	/* 0 would disarm it */
	if (!timerfd_settime(nu->tfd, TFD_TIMER_ABSTIME, &its, NULL))
		nu->armed_ms = when;
}

static uint32_t fill(struct net_user *nu)
{
	uint32_t timeout = UINT32_MAX;

	nu->nr_pfd = 0;
	nu->fd_free = -1;
	slirp_pollfds_fill(nu->slirp, &timeout, cb_add_poll, nu);
	return timeout;
}

/*
 * Lets slirp do what its sockets and timers allow: rounds of poll() while
 * sockets keep turning ready (slirp's state changes what it waits for, and
 * the edge-triggered epfd only says what changed), then sets the timer.
 */
static void step(struct net_user *nu)
{
	struct epoll_event evs[32];
	uint32_t timeout;
	unsigned int round;
	int n;

	/* epfd's events only woke us: poll() below says what is ready. */
	while (epoll_wait(nu->epfd, evs, 32, 0) == 32)
		;
	timeout = fill(nu);
	for (round = 0; round <= NET_USER_ROUNDS; round++) {
		n = poll(nu->pfd, nu->nr_pfd, 0);
		if (round && n == 0 && !nu->notified)
			break;
		/*
		 * Still busy after its rounds: the rest in a millisecond,
		 * through the timer, since the edge-triggered set will not say
		 * again what is ready already (a burst of datagrams waited for
		 * slirp's own timeout, half a second for every few).  Not at
		 * once: a socket that stays ready without slirp making progress
		 * costs a step a millisecond, not a spinning thread.
		 */
		if (round == NET_USER_ROUNDS) {
			timeout = 1;
			break;
		}
		nu->notified = false;
		poll_slirp(nu, n < 0);
		run_timers(nu);
		arp_answer(nu);
		timeout = fill(nu);
	}
	arm(nu, timeout);
}

/* Frames from the card. */
static void on_card(void *opaque, uint32_t events)
{
	struct net_user *nu = opaque;
	unsigned int i;
	ssize_t n;

	(void)events;
	for (i = 0; i < NET_USER_BATCH; i++) {
		n = recv(nu->fd, nu->in, sizeof(nu->in),
			 MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		input_frame(nu, (size_t)n);
	}
	step(nu);
}

static void on_sockets(void *opaque, uint32_t events)
{
	(void)events;
	step(opaque);
}

static void on_timer(void *opaque, uint32_t events)
{
	struct net_user *nu = opaque;
	uint64_t ticks;

	(void)events;
	if (read(nu->tfd, &ticks, sizeof(ticks)) == sizeof(ticks))
		nu->armed_ms = -1;
	step(nu);
}

/* ---- set-up ------------------------------------------------------------------ */

/*
 * slirp reports through glib's log; its default writer probes stderr with
 * calls the sandbox forbids.  A line on stderr, by write() alone.
 */
static void glib_log(const gchar *domain, GLogLevelFlags level,
		     const gchar *msg, gpointer data)
{
	char line[256];
	int n;

	(void)level;
	(void)data;
	n = snprintf(line, sizeof(line), "libvmm: user network: %s: %s\n",
		     domain ? domain : "glib", msg);
	if (n > 0 && write(STDERR_FILENO, line,
			   (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1))
		return;
}

/* glib's handlers are the process's: slirp's domain gets this one once. */
static pthread_once_t glib_log_once = PTHREAD_ONCE_INIT;

static void glib_log_setup(void)
{
	g_log_set_handler("Slirp", G_LOG_LEVEL_MASK | G_LOG_FLAG_FATAL |
			  G_LOG_FLAG_RECURSION, glib_log, NULL);
}

/*
 * slirp binds a UDP forward with SO_REUSEADDR, and Linux then lets any
 * socket that sets it too (any user's) bind the same address and port
 * and take the datagrams meant for the guest.  The forward's socket, found
 * among the process's by its address, loses the option once bound: no
 * one may bind there after it (cli_net.c's check refuses a port someone
 * holds before).  TCP forwards are not shared that way.
 */
struct udp_forward {
	uint32_t addr;
	uint16_t port;
};

static int unshare_if_forward(int fd, void *arg)
{
	const struct udp_forward *f = arg;
	struct sockaddr_in sa;
	socklen_t len = sizeof(int);
	int type, zero = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) || type != SOCK_DGRAM)
		return 0;
	len = sizeof(sa);
	if (getsockname(fd, (struct sockaddr *)&sa, &len) || sa.sin_family != AF_INET ||
	    sa.sin_port != htons(f->port) || sa.sin_addr.s_addr != f->addr)
		return 0;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &zero, sizeof(zero));
	return 0;
}

static void udp_forward_exclusive(uint32_t addr, uint16_t port)
{
	struct udp_forward f = { addr, port };

	vmm_for_each_fd(unshare_if_forward, &f);
}

/* slirp's own default for a forward's guest address. */
static uint32_t hostfwd_guest(const struct vmm_net_hostfwd *h)
{
	return h->guest_addr ? h->guest_addr : htonl(NET_USER_GUEST);
}

/*
 * An earlier TCP forward to the same guest address and port, or NULL.
 * slirp names a forwarded connection by the host client's port alone (as
 * from 10.0.2.2 for any loopback client): two forwards to one guest port
 * could have two connections of one address pair, which slirp mixes up
 * and net_user_tcp.c could not tell apart.
 */
static const struct vmm_net_hostfwd *
hostfwd_guest_dup(const struct vmm_net_config *cfg, unsigned int i)
{
	const struct vmm_net_hostfwd *h = &cfg->hostfwd[i];
	unsigned int j;

	for (j = 0; j < i && !h->udp; j++)
		if (!cfg->hostfwd[j].udp &&
		    hostfwd_guest(&cfg->hostfwd[j]) == hostfwd_guest(h) &&
		    cfg->hostfwd[j].guest_port == h->guest_port)
			return &cfg->hostfwd[j];
	return NULL;
}

static int add_hostfwds(struct net_user *nu, const struct vmm_net_config *cfg)
{
	const struct vmm_net_hostfwd *h, *dup;
	struct in_addr host, guest;
	char addr[INET_ADDRSTRLEN], gaddr[INET_ADDRSTRLEN];
	unsigned int i;

	for (i = 0; i < cfg->nr_hostfwd; i++) {
		h = &cfg->hostfwd[i];
		dup = hostfwd_guest_dup(cfg, i);
		if (!dup)
			continue;
		host.s_addr = h->host_addr;
		guest.s_addr = hostfwd_guest(h);
		inet_ntop(AF_INET, &host, addr, sizeof(addr));
		inet_ntop(AF_INET, &guest, gaddr, sizeof(gaddr));
		return vmm_set_error(nu->vm, -EINVAL,
				     "user network: hostfwd tcp:%s:%u: guest port %s:%u is forwarded already (from host port %u)",
				     h->host_addr ? addr : "", h->host_port,
				     gaddr, h->guest_port, dup->host_port);
	}
	for (i = 0; i < cfg->nr_hostfwd; i++) {
		h = &cfg->hostfwd[i];
		host.s_addr = h->host_addr;
		guest.s_addr = h->guest_addr;
		errno = 0;
		if (!slirp_add_hostfwd(nu->slirp, h->udp, host, h->host_port,
				       guest, h->guest_port)) {
			if (h->udp)
				udp_forward_exclusive(h->host_addr, h->host_port);
			continue;
		}
		inet_ntop(AF_INET, &host, addr, sizeof(addr));
		return vmm_set_error(nu->vm, errno ? -errno : -EINVAL,
				     "user network: hostfwd %s:%s:%u: %s",
				     h->udp ? "udp" : "tcp",
				     h->host_addr ? addr : "", h->host_port,
				     errno ? strerror(errno) : "refused");
	}
	return 0;
}

/* The forwards' TCP listeners, among the sockets slirp polls at start. */
static void note_listeners(struct net_user *nu)
{
	unsigned int i;
	socklen_t len;
	int on;

	fill(nu);
	for (i = 0; i < nu->nr_pfd && nu->nr_listen < VMM_NET_MAX_HOSTFWD; i++) {
		len = sizeof(on);
		if (!getsockopt(nu->pfd[i].fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) && on)
			nu->listen_fds[nu->nr_listen++] = nu->pfd[i].fd;
	}
}

static int open_fds(struct net_user *nu, int *card_fd)
{
	int sv[2], size = NET_USER_SOCKBUF, i;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK,
		       0, sv))
		return vmm_set_error(nu->vm, -errno, "user network: socketpair: %s",
				     strerror(errno));
	for (i = 0; i < 2; i++)
		setsockopt(sv[i], SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
	nu->fd = sv[0];
	*card_fd = sv[1];
	nu->epfd = epoll_create1(EPOLL_CLOEXEC);
	nu->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (nu->epfd < 0 || nu->tfd < 0) {
		close(sv[1]);
		*card_fd = -1;
		return vmm_set_error(nu->vm, -errno, "user network: %s: %s",
				     nu->epfd < 0 ? "epoll_create1" : "timerfd_create",
				     strerror(errno));
	}
	return 0;
}

void net_user_close(struct net_user *nu)
{
	struct net_user_timer *t;

	if (!nu)
		return;
	if (nu->slirp)
		slirp_cleanup(nu->slirp);
	while ((t = nu->timers)) {
		nu->timers = t->next;
		free(t);
	}
	if (nu->in_loop > 2)
		vmm_loop_del(nu->vm, nu->tfd);
	if (nu->in_loop > 1)
		vmm_loop_del(nu->vm, nu->epfd);
	if (nu->in_loop > 0)
		vmm_loop_del(nu->vm, nu->fd);
	if (nu->fd >= 0)
		close(nu->fd);
	if (nu->epfd >= 0)
		close(nu->epfd);
	if (nu->tfd >= 0)
		close(nu->tfd);
	free(nu->pfd);
	free(nu->watched);
	net_tcp_free(&nu->tcp);
	free(nu);
}

int net_user_open(struct vmm_vm *vm, const struct vmm_net_config *cfg,
		  const struct net_user_params *params, int *card_fd,
		  struct net_user **out)
{
	SlirpConfig sc = {
		.version = 4,
		.in_enabled = true,
		.vnetwork.s_addr = htonl(NET_USER_NET),
		.vnetmask.s_addr = htonl(NET_USER_MASK),
		.vhost.s_addr = htonl(NET_USER_HOST),
		.vdhcp_start.s_addr = htonl(NET_USER_GUEST),
		.vnameserver.s_addr = htonl(NET_USER_DNS),
		.if_mtu = NET_USER_MTU,
		.if_mru = NET_USER_MTU,
		/*
		 * Off, as libslirp defaults: its FTP, IRC and other protocol
		 * rewriting parses guest data with code its own header calls
		 * unsafe.
		 */
		.enable_emu = false,
	};
	struct net_user *nu;
	int r;

	*card_fd = -1;
	nu = calloc(1, sizeof(*nu));
	if (!nu)
		return vmm_set_error(vm, -ENOMEM, "user network: out of memory");
	nu->vm = vm;
	nu->fd = nu->epfd = nu->tfd = -1;
	nu->armed_ms = -1;
	nu->frag_milli = NET_USER_FRAG_BURST * 1000;
	nu->frag_ms = now_ms();
	if (params && params->dns_addr) {
		nu->dns_addr = params->dns_addr;
		nu->dns_port = htons(params->dns_port);
	} else {
		nu->dns_addr = net_user_resolv_conf("/etc/resolv.conf");
		nu->dns_port = htons(53);
	}
	/* A nameserver inside the guest's network is out of its reach. */
	if ((ntohl(nu->dns_addr) & NET_USER_MASK) == NET_USER_NET)
		nu->dns_addr = 0;

	r = net_tcp_init(&nu->tcp, params && params->tcp_flows ?
			 params->tcp_flows : NET_USER_TCP_FLOWS);
	if (r) {
		r = vmm_set_error(vm, r, "user network: out of memory");
		goto err_close;
	}
	r = open_fds(nu, card_fd);
	if (r)
		goto err_close;
	pthread_once(&glib_log_once, glib_log_setup);
	nu->slirp = slirp_new(&sc, &net_user_cb, nu);
	if (!nu->slirp) {
		r = vmm_set_error(vm, -EINVAL, "user network: slirp_new failed");
		goto err_card;
	}
	r = add_hostfwds(nu, cfg);
	if (r)
		goto err_card;
	note_listeners(nu);
	r = vmm_vm_sandbox_allow_socket(vm, nu->fd);
	if (!r)
		r = vmm_vm_sandbox_allow_inet(vm, NET_USER_MAX_SOCKETS);
	if (!r && !(r = vmm_loop_add(vm, nu->fd, EPOLLIN, on_card, nu)))
		nu->in_loop++;
	if (!r && !(r = vmm_loop_add(vm, nu->epfd, EPOLLIN, on_sockets, nu)))
		nu->in_loop++;
	if (!r && !(r = vmm_loop_add(vm, nu->tfd, EPOLLIN, on_timer, nu)))
		nu->in_loop++;
	if (r)
		goto err_card;
	/* Listening sockets of the forwards; a first timeout. */
	step(nu);
	*out = nu;
	return 0;

err_card:
	close(*card_fd);
	*card_fd = -1;
err_close:
	net_user_close(nu);
	return r;
}

void net_user_get_stats(const struct net_user *nu, struct net_user_stats *st)
{
	*st = nu->stats;
}

/* ---- the card ------------------------------------------------------------------ */

static void net_user_destroy(void *opaque)
{
	struct net_user *nu = opaque;
	const struct net_user_stats *s = &nu->stats;

	if (s->to_guest_full || s->oversize || s->fragments || s->tcp_gaps ||
	    s->tcp_no_room || s->tcp_pair_busy || s->tcp_syn_refused)
		fprintf(stderr,
			"libvmm: user network: dropped %llu frames the guest did not take in time, %llu over the MTU, %llu IP fragments over the budget, %llu TCP segments after a gap or on a connection not followed, %llu guest SYNs on an address pair in use; held back %llu SYNs (resends counted) of new connections for a full flow table and %llu for an address pair in use\n",
			(unsigned long long)s->to_guest_full,
			(unsigned long long)s->oversize,
			(unsigned long long)s->fragments,
			(unsigned long long)s->tcp_gaps,
			(unsigned long long)s->tcp_syn_refused,
			(unsigned long long)s->tcp_no_room,
			(unsigned long long)s->tcp_pair_busy);
	net_user_close(nu);
}

int net_user_create(struct vmm_vm *vm, struct pci_bus *bus,
		    const struct vmm_net_config *cfg)
{
	struct net_user *nu;
	int card_fd, r;

	r = net_user_open(vm, cfg, NULL, &card_fd, &nu);
	if (r)
		return r;
	/* No virtio header on the pair: slirp takes plain frames. */
	r = virtio_net_create_fd(vm, bus, card_fd, cfg->mac_set ? cfg->mac : NULL,
				 false, "user");
	if (r) {
		close(card_fd);
		net_user_close(nu);
		return r;
	}
	/* The card now owns card_fd; the backend goes at teardown. */
	r = vmm_device_add(vm, "net-user", net_user_destroy, nu);
	if (r)
		net_user_close(nu);
	return r;
}
