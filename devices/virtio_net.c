/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net (virtio 1.2, 5.1) on a tap or another packet fd: both queues
 * run on the VM's I/O thread, which also polls the fd while the guest has
 * receive buffers.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/virtio.h"
#include "devices/virtio_net.h"

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM		0
#define VIRTIO_NET_F_GUEST_CSUM		1
#define VIRTIO_NET_F_MAC		5
#define VIRTIO_NET_F_GUEST_TSO4		7
#define VIRTIO_NET_F_GUEST_TSO6		8
#define VIRTIO_NET_F_GUEST_ECN		9
#define VIRTIO_NET_F_HOST_TSO4		11
#define VIRTIO_NET_F_HOST_TSO6		12
#define VIRTIO_NET_F_HOST_ECN		13
#define VIRTIO_NET_F_MRG_RXBUF		15
#define VIRTIO_NET_F_STATUS		16

/* Config space (5.1.4): mac[6], status; no multiqueue, no MTU. */
#define NET_CFG_MAC			0
#define NET_CFG_STATUS			6
#define NET_CFG_SIZE			8
#define VIRTIO_NET_S_LINK_UP		1

/* struct virtio_net_hdr_v1 (5.1.6), little-endian. */
#define NET_HDR_FLAGS			0
#define NET_HDR_GSO_TYPE		1
#define NET_HDR_NUM_BUFFERS		10
#define NET_HDR_LEN			12
#define VIRTIO_NET_HDR_F_NEEDS_CSUM	1
#define VIRTIO_NET_HDR_GSO_NONE		0
#define VIRTIO_NET_HDR_GSO_TCPV4	1
#define VIRTIO_NET_HDR_GSO_TCPV6	4
#define VIRTIO_NET_HDR_GSO_ECN		0x80

#define NET_QUEUE_RX			0
#define NET_QUEUE_TX			1
#define NET_QUEUE_SIZE			256
/* A chain has at most this many buffers unless it mixes in an indirect table. */
#define NET_MAX_IOV			NET_QUEUE_SIZE
/* 64 KiB of L3 (a TSO packet) plus the Ethernet header, two VLAN tags. */
#define NET_MAX_FRAME			65562
#define NET_MIN_FRAME			14
#define NET_BUF_SIZE			(NET_HDR_LEN + NET_MAX_FRAME)
/* Packets per I/O-thread wakeup, so one busy device cannot starve others. */
#define NET_BATCH			256

/* A packet read from the backend on its way into receive chains. */
struct net_rx {
	uint8_t *buf;			/* header + frame */
	size_t len, off;		/* bytes in buf, bytes delivered; 0: none */
	/* Chains popped for it and not yet pushed (one may wait for a packet). */
	unsigned int nr;
	uint16_t head[NET_QUEUE_SIZE];
	uint32_t used[NET_QUEUE_SIZE];
	/* The last popped chain's writable buffers and how far they are filled. */
	struct iovec iov[NET_MAX_IOV];
	unsigned int niov;
	size_t cur_len, cur_off;
	/* Where num_buffers lies in the first chain: written last. */
	uint8_t *num_buffers[2];
};

struct virtio_net {
	struct virtio_device vdev;
	char name[32];
	uint8_t mac[6];
	int fd;
	bool vnet_hdr;			/* the fd carries the header */
	bool is_socket;			/* sendmsg, so no SIGPIPE */
	bool is_tap;			/* offloads are set with TUNSETOFFLOAD */

	pthread_mutex_t lock;		/* everything below */
	bool running;			/* DRIVER_OK until a reset */
	bool rx_starved;		/* no receive buffers: fd not read */
	bool tx_more;			/* a batch ended with chains left */
	bool tx_blocked;		/* the fd said EAGAIN */
	bool tx_held;			/* tx_chain waits for the fd */
	bool dead;			/* the backend is gone: link down */
	uint32_t poll_events;		/* what the fd is registered for */
	struct net_rx rx;
	/* The transmit chain being sent: tx_iov[tx_first - 1] is tx_hdr. */
	struct virtq_chain tx_chain;
	struct iovec tx_iov[NET_MAX_IOV + 1];
	unsigned int tx_first, tx_n;
	uint8_t tx_hdr[NET_HDR_LEN];
	/* Dropped by the device; for debugging. */
	uint64_t rx_dropped, tx_dropped;
};

static struct virtio_net *to_net(struct virtio_device *vdev)
{
	return (struct virtio_net *)((char *)vdev -
				     offsetof(struct virtio_net, vdev));
}

static bool net_has(const struct virtio_net *net, unsigned int bit)
{
	return virtio_has_feature(&net->vdev, bit);
}

/* ---- config space and features ----------------------------------------------- */

static void net_config_read(struct virtio_device *vdev, uint32_t offset,
			    void *data, uint32_t size)
{
	struct virtio_net *net = to_net(vdev);
	uint8_t cfg[NET_CFG_SIZE];
	uint16_t status;

	pthread_mutex_lock(&net->lock);
	status = net->dead ? 0 : VIRTIO_NET_S_LINK_UP;
	pthread_mutex_unlock(&net->lock);
	memcpy(cfg + NET_CFG_MAC, net->mac, 6);
	cfg[NET_CFG_STATUS] = status;
	cfg[NET_CFG_STATUS + 1] = status >> 8;
	memcpy(data, cfg + offset, size);
}

/* 5.1.3.1: offloads depend on one another. */
static bool net_features_ok(struct virtio_device *vdev, uint64_t f)
{
	uint64_t guest_tso = VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) |
			     VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6);
	uint64_t host_tso = VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) |
			    VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6);

	(void)vdev;
	if ((f & (guest_tso | VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN))) &&
	    !(f & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM)))
		return false;
	if ((f & VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN)) && !(f & guest_tso))
		return false;
	if ((f & (host_tso | VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN))) &&
	    !(f & VIRTIO_BIT(VIRTIO_NET_F_CSUM)))
		return false;
	if ((f & VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN)) && !(f & host_tso))
		return false;
	return true;
}

/*
 * What the tap may hand us is what the driver accepted: partial checksums
 * and TSO packets only when it can take them.
 */
static void net_set_offload(struct virtio_net *net, bool negotiated)
{
	unsigned int off = 0;

	if (!net->is_tap || !net->vnet_hdr)
		return;
	if (negotiated && net_has(net, VIRTIO_NET_F_GUEST_CSUM)) {
		off |= TUN_F_CSUM;
		if (net_has(net, VIRTIO_NET_F_GUEST_TSO4))
			off |= TUN_F_TSO4;
		if (net_has(net, VIRTIO_NET_F_GUEST_TSO6))
			off |= TUN_F_TSO6;
		if (net_has(net, VIRTIO_NET_F_GUEST_ECN))
			off |= TUN_F_TSO_ECN;
	}
	/* On failure the tap keeps the offloads of attach time: none. */
	if (ioctl(net->fd, TUNSETOFFLOAD, off))
		vmm_set_error(net->vdev.vm, -errno,
			      "virtio-net %s: TUNSETOFFLOAD: %s", net->name,
			      strerror(errno));
}

/* ---- polling the fd ----------------------------------------------------------- */

static void net_fd_handler(void *opaque, uint32_t events);

/* net->lock held.  Registers the fd for what the queues wait on. */
static void net_update_poll(struct virtio_net *net)
{
	uint32_t want = 0;

	if (net->running && !net->dead) {
		if (!net->rx_starved)
			want |= EPOLLIN;
		if (net->tx_blocked || net->tx_more)
			want |= EPOLLOUT;
	}
	if (want == net->poll_events)
		return;
	if (net->poll_events)
		vmm_loop_del(net->vdev.vm, net->fd);
	net->poll_events = 0;
	if (!want)
		return;
	if (vmm_loop_add(net->vdev.vm, net->fd, want, net_fd_handler, net)) {
		vmm_vm_fail(net->vdev.vm, "virtio-net %s: cannot poll the backend",
			    net->name);
		return;
	}
	net->poll_events = want;
}

/* net->lock held.  The backend is gone: stop using it, tell the driver. */
static void net_backend_dead(struct virtio_net *net, const char *what, int err)
{
	if (net->dead)
		return;
	net->dead = true;
	vmm_set_error(net->vdev.vm, err ? -err : -EPIPE,
		      "virtio-net %s: %s: %s; link down",
		      net->name, what, err ? strerror(err) : "end of file");
	virtio_config_changed(&net->vdev);
}

/* ---- receive ---------------------------------------------------------------- */

/* The byte at off in iov[0..n), which the caller knows exists. */
static uint8_t *iov_byte(const struct iovec *iov, unsigned int n, size_t off)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (off < iov[i].iov_len)
			return (uint8_t *)iov[i].iov_base + off;
		off -= iov[i].iov_len;
	}
	return NULL;
}

/*
 * net->lock held.  Pops one receive chain for the packet in rx.  Returns 1,
 * 0 when the guest has none, or a negative errno when the queue broke.
 */
static int rx_pop(struct virtio_net *net)
{
	struct virtqueue *vq = &net->vdev.vqs[NET_QUEUE_RX];
	struct net_rx *rx = &net->rx;
	struct virtq_chain c = { .iov = rx->iov, .max_iov = NET_MAX_IOV };
	unsigned int i;
	int r;

	r = virtq_pop(vq, &c);
	if (r == 0 || (r < 0 && r != -E2BIG))
		return r;
	/* A chain too long for iov[] is still usable: its first buffers. */
	rx->niov = c.nr_writable < NET_MAX_IOV ? c.nr_writable : NET_MAX_IOV;
	rx->cur_len = 0;
	for (i = 0; i < rx->niov; i++)
		rx->cur_len += rx->iov[i].iov_len;
	rx->cur_off = 0;
	if (c.nr_readable || rx->cur_len < NET_HDR_LEN) {
		/* Nothing of this chain may be filled later. */
		rx->niov = 0;
		rx->cur_len = 0;
		virtq_push(vq, c.head, 0);
		virtq_fail(vq, c.nr_readable ?
			   "receive chain with a device-readable buffer" :
			   "receive buffer smaller than the header");
		return -EINVAL;
	}
	if (!rx->nr) {
		rx->num_buffers[0] = iov_byte(rx->iov, rx->niov,
					      NET_HDR_NUM_BUFFERS);
		rx->num_buffers[1] = iov_byte(rx->iov, rx->niov,
					      NET_HDR_NUM_BUFFERS + 1);
	}
	rx->head[rx->nr] = c.head;
	rx->used[rx->nr] = 0;
	rx->nr++;
	return 1;
}

/*
 * net->lock held.  Reads one packet into rx->buf.  Returns 1 with a
 * packet, 2 when one was dropped, 0 when the fd is empty, -1 when the
 * backend is gone.
 */
static int rx_read(struct virtio_net *net)
{
	struct net_rx *rx = &net->rx;
	size_t skip = net->vnet_hdr ? 0 : NET_HDR_LEN;
	ssize_t n;
	int hdr_flags, gso;

	do {
		/* MSG_TRUNC: a datagram socket says how long it really was. */
		if (net->is_socket)
			n = recv(net->fd, rx->buf + skip, NET_BUF_SIZE - skip,
				 MSG_TRUNC | MSG_DONTWAIT);
		else
			n = read(net->fd, rx->buf + skip, NET_BUF_SIZE - skip);
	} while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return 0;
	if (n <= 0) {
		net_backend_dead(net, "receive", n ? errno : 0);
		return -1;
	}
	if ((size_t)n > NET_BUF_SIZE - skip ||
	    (size_t)n + skip < NET_HDR_LEN + NET_MIN_FRAME) {
		net->rx_dropped++;
		return 2;
	}
	if (skip)
		memset(rx->buf, 0, NET_HDR_LEN);
	/*
	 * TUNSETOFFLOAD keeps partial checksums and TSO away from a driver
	 * that did not ask for them; the header is still checked against
	 * what it accepted.
	 */
	hdr_flags = rx->buf[NET_HDR_FLAGS];
	gso = rx->buf[NET_HDR_GSO_TYPE] & ~VIRTIO_NET_HDR_GSO_ECN;
	if (!net_has(net, VIRTIO_NET_F_GUEST_CSUM)) {
		if (hdr_flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
			net->rx_dropped++;
			return 2;
		}
		rx->buf[NET_HDR_FLAGS] = 0;
	}
	if ((gso == VIRTIO_NET_HDR_GSO_TCPV4 &&
	     !net_has(net, VIRTIO_NET_F_GUEST_TSO4)) ||
	    (gso == VIRTIO_NET_HDR_GSO_TCPV6 &&
	     !net_has(net, VIRTIO_NET_F_GUEST_TSO6)) ||
	    (gso != VIRTIO_NET_HDR_GSO_NONE && gso != VIRTIO_NET_HDR_GSO_TCPV4 &&
	     gso != VIRTIO_NET_HDR_GSO_TCPV6) ||
	    ((rx->buf[NET_HDR_GSO_TYPE] & VIRTIO_NET_HDR_GSO_ECN) &&
	     !net_has(net, VIRTIO_NET_F_GUEST_ECN))) {
		net->rx_dropped++;
		return 2;
	}
	rx->len = n + skip;
	rx->off = 0;
	return 1;
}

/* net->lock held.  Hands the packet's chains to the driver. */
static void rx_complete(struct virtio_net *net)
{
	struct virtqueue *vq = &net->vdev.vqs[NET_QUEUE_RX];
	struct net_rx *rx = &net->rx;
	unsigned int i;

	*rx->num_buffers[0] = rx->nr;
	*rx->num_buffers[1] = rx->nr >> 8;
	for (i = 0; i < rx->nr; i++)
		virtq_push(vq, rx->head[i], rx->used[i]);
	rx->nr = 0;
	rx->len = 0;
}

/*
 * net->lock held, a packet and a chain in rx.  Returns 1 when the packet
 * went to the driver, 2 when it was dropped, 0 when more receive buffers
 * are needed, or a negative errno when the queue broke.
 */
static int rx_fill(struct virtio_net *net)
{
	struct net_rx *rx = &net->rx;
	size_t n;
	int r;

	if (!net_has(net, VIRTIO_NET_F_MRG_RXBUF) && rx->len > rx->cur_len) {
		/* 5.1.6.3.1: the driver promised whole-packet buffers. */
		rx->len = 0;
		net->rx_dropped++;
		return 2;
	}
	while (rx->off < rx->len) {
		if (rx->cur_off == rx->cur_len) {
			/*
			 * Only mergeable buffers get here.  A packet wanting
			 * more chains than the ring holds arrives truncated.
			 */
			if (rx->nr == NET_QUEUE_SIZE)
				break;
			r = rx_pop(net);
			if (r <= 0)
				return r;
		}
		n = rx->cur_len - rx->cur_off;
		if (n > rx->len - rx->off)
			n = rx->len - rx->off;
		virtio_iov_from_buf(rx->iov, rx->niov, rx->cur_off,
				    rx->buf + rx->off, n);
		rx->cur_off += n;
		rx->off += n;
		rx->used[rx->nr - 1] += n;
	}
	rx_complete(net);
	return 1;
}

/*
 * net->lock held.  No receive buffers: ask the driver to kick and stop
 * reading the fd.  Returns true if buffers arrived meanwhile.
 */
static bool rx_starve(struct virtio_net *net)
{
	struct virtqueue *vq = &net->vdev.vqs[NET_QUEUE_RX];

	if (virtq_enable_notify(vq)) {
		virtq_disable_notify(vq);
		return true;
	}
	net->rx_starved = true;
	return false;
}

/* net->lock held.  Moves packets from the fd into receive buffers. */
static void rx_process(struct virtio_net *net)
{
	struct net_rx *rx = &net->rx;
	unsigned int reads = 0, retries = 0, done = 0;
	int r;

	while (net->running && !net->dead && !net->rx_starved &&
	       reads < NET_BATCH) {
		if (!rx->nr) {
			r = rx_pop(net);
			if (r < 0 || (r == 0 && (++retries > NET_BATCH ||
						 !rx_starve(net)))) {
				net->rx_starved = true;
				break;
			}
			if (r == 0)
				continue;
		}
		if (!rx->len) {
			r = rx_read(net);
			if (r <= 0)
				break;
			reads++;
			if (r == 2)
				continue;
		}
		r = rx_fill(net);
		if (r == 1)
			done++;
		else if (r < 0 || (r == 0 && (++retries > NET_BATCH ||
					      !rx_starve(net))))
			net->rx_starved = true;
	}
	if (done)
		virtio_notify_queue(&net->vdev, NET_QUEUE_RX);
	net_update_poll(net);
}

/* A guest kick of the receive queue (I/O thread): buffers to fill. */
static void net_rx_kick(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_net *net = to_net(vdev);

	pthread_mutex_lock(&net->lock);
	if (net->running) {
		/* While the fd is polled, kicks are not needed. */
		virtq_disable_notify(&vdev->vqs[q]);
		net->rx_starved = false;
		rx_process(net);
	}
	pthread_mutex_unlock(&net->lock);
}

/* ---- transmit --------------------------------------------------------------- */

/* Offloads in a transmit header must be ones the driver negotiated. */
static bool tx_header_ok(struct virtio_net *net, uint8_t *hdr)
{
	uint8_t gso = hdr[NET_HDR_GSO_TYPE] & ~VIRTIO_NET_HDR_GSO_ECN;

	hdr[NET_HDR_FLAGS] &= VIRTIO_NET_HDR_F_NEEDS_CSUM;
	if (hdr[NET_HDR_FLAGS] && !net_has(net, VIRTIO_NET_F_CSUM))
		return false;
	if ((hdr[NET_HDR_GSO_TYPE] & VIRTIO_NET_HDR_GSO_ECN) &&
	    !net_has(net, VIRTIO_NET_F_HOST_ECN))
		return false;
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE:
		return !(hdr[NET_HDR_GSO_TYPE] & VIRTIO_NET_HDR_GSO_ECN);
	case VIRTIO_NET_HDR_GSO_TCPV4:
		return net_has(net, VIRTIO_NET_F_HOST_TSO4);
	case VIRTIO_NET_HDR_GSO_TCPV6:
		return net_has(net, VIRTIO_NET_F_HOST_TSO6);
	default:
		return false;
	}
}

/*
 * net->lock held.  Checks the popped chain in tx_chain and points
 * tx_first/tx_n at what goes to the fd.  Returns 1 to send, 0 to drop,
 * -EINVAL for a malformed chain.
 */
static int tx_prepare(struct virtio_net *net)
{
	struct virtq_chain *c = &net->tx_chain;
	unsigned int end = 1 + c->nr_readable;

	if (c->nr_writable || c->readable_len < NET_HDR_LEN ||
	    c->readable_len > NET_HDR_LEN + NET_MAX_FRAME)
		return -EINVAL;
	if (c->readable_len < NET_HDR_LEN + NET_MIN_FRAME) {
		net->tx_dropped++;
		return 0;
	}
	/* A copy: the guest may rewrite its header while we look at it. */
	virtio_iov_to_buf(c->iov, c->nr_readable, 0, net->tx_hdr, NET_HDR_LEN);
	if (!tx_header_ok(net, net->tx_hdr)) {
		net->tx_dropped++;
		return 0;
	}
	net->tx_first = virtio_iov_skip(net->tx_iov, 1, end, NET_HDR_LEN);
	net->tx_n = end - net->tx_first;
	if (net->vnet_hdr) {
		/* The slot before the frame is free: the header lived there. */
		memset(net->tx_hdr + NET_HDR_NUM_BUFFERS, 0, 2);
		net->tx_first--;
		net->tx_n++;
		net->tx_iov[net->tx_first] = (struct iovec){ net->tx_hdr,
							     NET_HDR_LEN };
	}
	return 1;
}

/*
 * net->lock held.  Sends the prepared chain.  Returns 0 when it is done
 * with (sent or dropped), -EAGAIN when the fd is full.
 */
static int tx_send(struct virtio_net *net)
{
	struct msghdr msg = {
		.msg_iov = &net->tx_iov[net->tx_first],
		.msg_iovlen = net->tx_n,
	};
	ssize_t r;

	do {
		if (net->is_socket)
			r = sendmsg(net->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		else
			r = writev(net->fd, msg.msg_iov, msg.msg_iovlen);
	} while (r < 0 && errno == EINTR);
	if (r >= 0)
		return 0;
	switch (errno) {
	case EAGAIN:
#if EWOULDBLOCK != EAGAIN
	case EWOULDBLOCK:
#endif
		return -EAGAIN;
	case EPIPE:
	case ECONNRESET:
	case ENOTCONN:
	case EBADFD:
	case EBADF:
		net_backend_dead(net, "transmit", errno);
		break;
	default:
		/*
		 * EIO: the tap is down; EINVAL: a header the host refused;
		 * ENOBUFS: memory is short, and the fd would not tell when
		 * it is not.
		 */
		break;
	}
	net->tx_dropped++;
	return 0;
}

/* net->lock held.  Sends the guest's packets until the queue or the fd runs dry. */
static void tx_process(struct virtio_net *net)
{
	struct virtqueue *vq = &net->vdev.vqs[NET_QUEUE_TX];
	unsigned int n = 0;
	bool pushed = false;
	int r;

	if (!net->running)
		return;
	net->tx_more = false;
	net->tx_blocked = false;
	virtq_disable_notify(vq);
	while (n < NET_BATCH) {
		if (!net->tx_held) {
			net->tx_chain = (struct virtq_chain){
				.iov = &net->tx_iov[1], .max_iov = NET_MAX_IOV };
			r = virtq_pop(vq, &net->tx_chain);
			if (r == 0) {
				/* n++: a queue that stays non-empty ends the batch. */
				if (virtq_enable_notify(vq) && ++n < NET_BATCH) {
					virtq_disable_notify(vq);
					continue;
				}
				break;
			}
			if (r < 0 && r != -E2BIG)
				break;
			n++;
			if (r == -E2BIG) {
				/* Well-formed but more buffers than any packet needs. */
				net->tx_dropped++;
				goto push;
			}
			r = tx_prepare(net);
			if (r < 0) {
				virtq_push(vq, net->tx_chain.head, 0);
				virtq_fail(vq, "malformed transmit chain");
				pushed = true;
				break;
			}
			if (r == 0 || net->dead)
				goto push;
		}
		if (tx_send(net) == -EAGAIN) {
			net->tx_held = true;
			net->tx_blocked = true;
			break;
		}
push:
		net->tx_held = false;
		virtq_push(vq, net->tx_chain.head, 0);
		pushed = true;
	}
	if (n == NET_BATCH && !net->tx_blocked)
		net->tx_more = true;
	if (pushed)
		virtio_notify_queue(&net->vdev, NET_QUEUE_TX);
	net_update_poll(net);
}

static void net_tx_kick(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_net *net = to_net(vdev);

	(void)q;
	pthread_mutex_lock(&net->lock);
	tx_process(net);
	pthread_mutex_unlock(&net->lock);
}

/* The I/O thread: the fd has packets for the guest or room for its packets. */
static void net_fd_handler(void *opaque, uint32_t events)
{
	struct virtio_net *net = opaque;

	pthread_mutex_lock(&net->lock);
	/* A stale event after a reset or a pause finds nothing to do. */
	if ((net->poll_events & EPOLLOUT) &&
	    (events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		tx_process(net);
	if ((net->poll_events & EPOLLIN) &&
	    (events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		rx_process(net);
	pthread_mutex_unlock(&net->lock);
}

/* ---- status ------------------------------------------------------------------ */

static void net_driver_ok(struct virtio_device *vdev)
{
	struct virtio_net *net = to_net(vdev);

	pthread_mutex_lock(&net->lock);
	net_set_offload(net, true);
	net->running = true;
	/* The core kicks every queue next: that starts receiving. */
	net->rx_starved = true;
	pthread_mutex_unlock(&net->lock);
}

static void net_reset(struct virtio_device *vdev)
{
	struct virtio_net *net = to_net(vdev);

	pthread_mutex_lock(&net->lock);
	net->running = false;
	/* The rings are the driver's again: held chains are just forgotten. */
	net->rx.nr = 0;
	net->rx.len = 0;
	net->tx_held = false;
	net->tx_more = false;
	net->tx_blocked = false;
	net_update_poll(net);
	net_set_offload(net, false);
	pthread_mutex_unlock(&net->lock);
}

static const struct virtio_device_ops net_ops = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.config_size = NET_CFG_SIZE,
	.config_read = net_config_read,
	.reset = net_reset,
	.features_ok = net_features_ok,
	.driver_ok = net_driver_ok,
};

/* ---- lifetime ---------------------------------------------------------------- */

static void net_free(struct virtio_net *net)
{
	pthread_mutex_destroy(&net->lock);
	free(net->rx.buf);
	free(net);
}

static void net_destroy(void *opaque)
{
	struct virtio_net *net = opaque;

	virtio_pci_destroy(&net->vdev);
	if (net->poll_events)
		vmm_loop_del(net->vdev.vm, net->fd);
	close(net->fd);
	virtio_device_cleanup(&net->vdev);
	net_free(net);
}

static int net_random_mac(struct vmm_vm *vm, uint8_t mac[6], const char *name)
{
	ssize_t r;

	do {
		r = getrandom(mac, 6, 0);
	} while (r < 0 && errno == EINTR);
	if (r != 6)
		return vmm_set_error(vm, r < 0 ? -errno : -EIO,
				     "virtio-net %s: no random MAC: %s", name,
				     r < 0 ? strerror(errno) : "short read");
	/* Unicast, locally administered (IEEE 802 U/L and I/G bits). */
	mac[0] = (mac[0] & ~0x01) | 0x02;
	return 0;
}

/* A tap fd: offloads off until a driver asks, and the v1 header size. */
static int net_setup_tap(struct virtio_net *net, struct vmm_vm *vm)
{
	struct ifreq ifr = { 0 };
	int hdr_len = NET_HDR_LEN;

	if (ioctl(net->fd, TUNGETIFF, &ifr))
		return 0;	/* not a tap: a socket or the like */
	net->is_tap = true;
	if (!(ifr.ifr_flags & IFF_TAP) || !(ifr.ifr_flags & IFF_NO_PI))
		return vmm_set_error(vm, -EINVAL,
				     "virtio-net %s: not a tap opened with IFF_NO_PI",
				     net->name);
	if (!net->vnet_hdr)
		return 0;
	if (!(ifr.ifr_flags & IFF_VNET_HDR))
		return vmm_set_error(vm, -EINVAL,
				     "virtio-net %s: tap opened without IFF_VNET_HDR",
				     net->name);
	if (ioctl(net->fd, TUNSETVNETHDRSZ, &hdr_len) ||
	    ioctl(net->fd, TUNSETOFFLOAD, 0))
		return vmm_set_error(vm, -errno, "virtio-net %s: tap setup: %s",
				     net->name, strerror(errno));
	return 0;
}

/* What the fd does once the guest runs, all the sandbox will let it do. */
static int net_sandbox_allow(struct virtio_net *net, struct vmm_vm *vm)
{
	if (net->is_socket)
		return vmm_vm_sandbox_allow_socket(vm, net->fd);
	if (net->is_tap && net->vnet_hdr)
		return vmm_vm_sandbox_allow_ioctl(vm, net->fd, TUNSETOFFLOAD);
	return 0;
}

int virtio_net_create_fd(struct vmm_vm *vm, struct pci_bus *bus, int fd,
			 const uint8_t mac[6], bool vnet_hdr, const char *name)
{
	static const uint8_t zero_mac[6];
	struct virtio_net *net;
	uint64_t features;
	struct stat st;
	int flags = -1, ret;

	if (!name)
		name = "backend";
	if (mac && ((mac[0] & 1) || !memcmp(mac, zero_mac, 6)))
		return vmm_set_error(vm, -EINVAL,
				     "virtio-net %s: MAC %02x:%02x:%02x:%02x:%02x:%02x is not a unicast address",
				     name, mac[0], mac[1], mac[2], mac[3],
				     mac[4], mac[5]);
	if (fstat(fd, &st))
		return vmm_set_error(vm, -errno, "virtio-net %s: %s", name,
				     strerror(errno));
	net = calloc(1, sizeof(*net));
	if (!net)
		return vmm_set_error(vm, -ENOMEM, "virtio-net %s: out of memory",
				     name);
	pthread_mutex_init(&net->lock, NULL);
	snprintf(net->name, sizeof(net->name), "%s", name);
	net->fd = fd;
	net->vnet_hdr = vnet_hdr;
	net->is_socket = S_ISSOCK(st.st_mode);
	net->rx_starved = true;
	net->rx.buf = malloc(NET_BUF_SIZE);
	if (!net->rx.buf) {
		ret = vmm_set_error(vm, -ENOMEM, "virtio-net %s: out of memory",
				    name);
		goto err_free;
	}
	if (mac)
		memcpy(net->mac, mac, 6);
	else if ((ret = net_random_mac(vm, net->mac, name)))
		goto err_free;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK)) {
		ret = vmm_set_error(vm, -errno, "virtio-net %s: O_NONBLOCK: %s",
				    name, strerror(errno));
		goto err_free;
	}
	ret = net_setup_tap(net, vm);
	if (ret)
		goto err_free;

	features = VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		   VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
		   VIRTIO_BIT(VIRTIO_NET_F_MAC) |
		   VIRTIO_BIT(VIRTIO_NET_F_STATUS) |
		   VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
	if (vnet_hdr)
		features |= VIRTIO_BIT(VIRTIO_NET_F_CSUM) |
			    VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |
			    VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) |
			    VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) |
			    VIRTIO_BIT(VIRTIO_NET_F_HOST_ECN) |
			    VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) |
			    VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) |
			    VIRTIO_BIT(VIRTIO_NET_F_GUEST_ECN);
	ret = virtio_device_init(&net->vdev, vm, &net_ops, features, 2,
				 NET_QUEUE_SIZE);
	if (ret)
		goto err_free;
	ret = virtio_queue_set_iothread(&net->vdev, NET_QUEUE_RX, net_rx_kick);
	if (!ret)
		ret = virtio_queue_set_iothread(&net->vdev, NET_QUEUE_TX,
						net_tx_kick);
	if (ret)
		goto err_vdev;
	ret = virtio_pci_create(vm, bus, &net->vdev);
	if (ret)
		goto err_vdev;
	ret = net_sandbox_allow(net, vm);
	if (ret)
		goto err_pci;
	ret = vmm_device_add(vm, "virtio-net", net_destroy, net);
	if (ret)
		goto err_pci;
	return 0;

err_pci:
	virtio_pci_destroy(&net->vdev);
err_vdev:
	virtio_device_cleanup(&net->vdev);
err_free:
	if (flags >= 0)
		fcntl(fd, F_SETFL, flags);
	net_free(net);
	return ret;
}

/*
 * Refuses a name that is not an existing tap: TUNSETIFF would quietly
 * create one.  Returns the interface index.
 */
static int net_check_tap(struct vmm_vm *vm, const char *tap,
			 unsigned int *ifindex)
{
	char path[64], buf[32];
	unsigned long flags;
	ssize_t n;
	int fd;

	if (!*tap || strlen(tap) >= IFNAMSIZ)
		return vmm_set_error(vm, -EINVAL,
				     "tap \"%s\": not a valid interface name", tap);
	*ifindex = if_nametoindex(tap);
	if (!*ifindex)
		return vmm_set_error(vm, -ENODEV,
				     "tap %s: no such interface (create it first, e.g. ip tuntap add %s mode tap)",
				     tap, tap);
	/* The name exists, so it has no '/': safe in a path. */
	snprintf(path, sizeof(path), "/sys/class/net/%s", tap);
	if (access(path, F_OK))
		return 0;	/* no sysfs for this namespace: TUNSETIFF decides */
	snprintf(path, sizeof(path), "/sys/class/net/%s/tun_flags", tap);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vmm_set_error(vm, -EINVAL, "tap %s: not a tap interface",
				     tap);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	flags = strtoul(buf, NULL, 16);
	if (!(flags & IFF_TAP))
		return vmm_set_error(vm, -EINVAL,
				     "tap %s: a tun (layer 3) interface, not a tap",
				     tap);
	return 0;
}

int virtio_net_create(struct vmm_vm *vm, struct pci_bus *bus,
		      const struct vmm_net_config *cfg)
{
	struct ifreq ifr = { 0 };
	unsigned int ifindex = 0;
	int fd, ret;

	if (!cfg || !cfg->tap)
		return vmm_set_error(vm, -EINVAL, "network: no tap interface named");
	ret = net_check_tap(vm, cfg->tap, &ifindex);
	if (ret)
		return ret;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return vmm_set_error(vm, -errno, "tap %s: /dev/net/tun: %s",
				     cfg->tap, strerror(errno));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", cfg->tap);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr)) {
		ret = -errno;
		if (ret == -EBUSY)
			vmm_set_error(vm, ret, "tap %s: in use by another process",
				      cfg->tap);
		else if (ret == -EPERM)
			vmm_set_error(vm, ret, "tap %s: permission denied (not its owner or group, no CAP_NET_ADMIN)",
				      cfg->tap);
		else if (ret == -EINVAL)
			vmm_set_error(vm, ret, "tap %s: not a single-queue tap",
				      cfg->tap);
		else
			vmm_set_error(vm, ret, "tap %s: TUNSETIFF: %s", cfg->tap,
				      strerror(-ret));
		goto err_close;
	}
	/* Deleted and re-created under us: this one is not what was named. */
	if (if_nametoindex(cfg->tap) != ifindex) {
		ret = vmm_set_error(vm, -ENODEV, "tap %s: disappeared while attaching",
				    cfg->tap);
		goto err_close;
	}
	ret = virtio_net_create_fd(vm, bus, fd, cfg->mac_set ? cfg->mac : NULL,
				   true, cfg->tap);
	if (ret)
		goto err_close;
	return 0;

err_close:
	close(fd);
	return ret;
}
