/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net unit tests: the test is the driver, through the real PCI bus,
 * virtio-pci transport and virtqueues, with a SOCK_SEQPACKET socketpair as
 * the backend, a fake event loop polled by hand and a malloc'd guest RAM.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "devices/pci.h"
#include "devices/virtio.h"
#include "devices/virtio_net.h"
#include "selftests/unit/fake_vmm.h"

/* Guest RAM: exactly this much, so ASan sees any overrun. */
#define RAM_SIZE	(32ull << 20)

/* ---- the driver ------------------------------------------------------------ */

#define BAR_SIZE		0x4000
#define COMMON_DFSELECT		0x00
#define COMMON_DF		0x04
#define COMMON_GFSELECT		0x08
#define COMMON_GF		0x0c
#define COMMON_STATUS		0x14
#define COMMON_Q_SELECT		0x16
#define COMMON_Q_SIZE		0x18
#define COMMON_Q_ENABLE		0x1c
#define COMMON_Q_DESC		0x20
#define COMMON_Q_DRIVER		0x28
#define COMMON_Q_DEVICE		0x30
#define ISR			0x1000
#define DEVCFG			0x2000
#define NOTIFY			0x3000

#define F_CSUM			0
#define F_GUEST_CSUM		1
#define F_MAC			5
#define F_GUEST_TSO4		7
#define F_GUEST_TSO6		8
#define F_HOST_TSO4		11
#define F_HOST_TSO6		12
#define F_MRG_RXBUF		15
#define F_STATUS		16
#define BIT(b)			(1ull << (b))
#define F_BASIC			(BIT(VIRTIO_F_VERSION_1) | BIT(F_MAC) | BIT(F_STATUS))

#define QSIZE			256
#define HDR			12
#define RX_BUFS			0x100000ull	/* 64 KiB apart */
#define TX_BUFS			0x1100000ull
#define ETH_TYPE		0x88b5		/* IEEE local experimental */

struct drv_vq {
	uint64_t desc, avail, used;
	uint16_t next_desc, avail_idx, last_used;
};

struct drv {
	uint64_t bar;
	uint64_t features;
	struct drv_vq q[2];
};

static uint64_t bar_read(struct drv *d, uint64_t off, uint32_t size)
{
	struct fake_range *r = fake_io_find(VMM_SPACE_MMIO, d->bar + off);
	uint64_t v = 0;

	assert_non_null(r);
	r->ops->read(r->opaque, d->bar + off - r->base, (uint8_t *)&v, size);
	return v;
}

static void bar_write(struct drv *d, uint64_t off, uint64_t v, uint32_t size)
{
	struct fake_range *r = fake_io_find(VMM_SPACE_MMIO, d->bar + off);

	assert_non_null(r);
	r->ops->write(r->opaque, d->bar + off - r->base, (uint8_t *)&v, size);
}

static uint64_t find_bar0(void)
{
	unsigned int i;

	for (i = 0; i < fk.nr_ranges; i++)
		if (fk.r[i].space == VMM_SPACE_MMIO && fk.r[i].len == BAR_SIZE &&
		    !strcmp(fk.r[i].name, "virtio-net"))
			return fk.r[i].base;
	fail_msg("no virtio-net BAR 0 on the MMIO bus");
	return 0;
}

static uint64_t device_features(struct drv *d)
{
	uint64_t f;

	bar_write(d, COMMON_DFSELECT, 0, 4);
	f = bar_read(d, COMMON_DF, 4);
	bar_write(d, COMMON_DFSELECT, 1, 4);
	return f | bar_read(d, COMMON_DF, 4) << 32;
}

static uint8_t status(struct drv *d)
{
	return bar_read(d, COMMON_STATUS, 1);
}

static void reset_device(struct drv *d)
{
	bar_write(d, COMMON_STATUS, 0, 1);
	assert_int_equal(status(d), 0);
}

/* Resets and brings the device up with the features of want it offers. */
static void drv_init(struct drv *d, uint64_t want)
{
	unsigned int q;
	uint8_t s;

	if (!d->bar)
		d->bar = find_bar0();
	reset_device(d);
	bar_write(d, COMMON_STATUS, VIRTIO_STATUS_ACKNOWLEDGE, 1);
	s = VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER;
	bar_write(d, COMMON_STATUS, s, 1);
	d->features = device_features(d) & want;
	bar_write(d, COMMON_GFSELECT, 0, 4);
	bar_write(d, COMMON_GF, (uint32_t)d->features, 4);
	bar_write(d, COMMON_GFSELECT, 1, 4);
	bar_write(d, COMMON_GF, d->features >> 32, 4);
	s |= VIRTIO_STATUS_FEATURES_OK;
	bar_write(d, COMMON_STATUS, s, 1);
	assert_true(status(d) & VIRTIO_STATUS_FEATURES_OK);

	for (q = 0; q < 2; q++) {
		struct drv_vq *vq = &d->q[q];
		uint64_t base = 0x10000 + 0x10000 * q;

		*vq = (struct drv_vq){ .desc = base, .avail = base + 0x1000,
				      .used = base + 0x2000 };
		memset(fk.ram + base, 0, 0x3000);
		bar_write(d, COMMON_Q_SELECT, q, 2);
		assert_int_equal(bar_read(d, COMMON_Q_SIZE, 2), QSIZE);
		bar_write(d, COMMON_Q_DESC, vq->desc, 4);
		bar_write(d, COMMON_Q_DESC + 4, 0, 4);
		bar_write(d, COMMON_Q_DRIVER, vq->avail, 4);
		bar_write(d, COMMON_Q_DRIVER + 4, 0, 4);
		bar_write(d, COMMON_Q_DEVICE, vq->used, 4);
		bar_write(d, COMMON_Q_DEVICE + 4, 0, 4);
		bar_write(d, COMMON_Q_ENABLE, 1, 2);
	}
	bar_write(d, COMMON_STATUS, s | VIRTIO_STATUS_DRIVER_OK, 1);
	assert_true(status(d) & VIRTIO_STATUS_DRIVER_OK);
	fake_loop_run();
}

struct seg {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

/* Makes a chain available (no kick); returns its head. */
static uint16_t add_chain(struct drv *d, unsigned int q, const struct seg *s,
			  unsigned int n)
{
	struct drv_vq *vq = &d->q[q];
	uint16_t head = vq->next_desc % QSIZE, *avail;
	unsigned int i;

	for (i = 0; i < n; i++) {
		uint16_t idx = (vq->next_desc + i) % QSIZE;
		struct virtq_desc desc = {
			.addr = s[i].gpa,
			.len = s[i].len,
			.flags = (s[i].write ? VIRTQ_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0),
			.next = (idx + 1) % QSIZE,
		};

		memcpy(fk.ram + vq->desc + 16 * idx, &desc, sizeof(desc));
	}
	vq->next_desc += n;
	avail = (uint16_t *)(fk.ram + vq->avail);
	avail[2 + vq->avail_idx % QSIZE] = head;
	vq->avail_idx++;
	__atomic_store_n(&avail[1], vq->avail_idx, __ATOMIC_RELEASE);
	return head;
}

static void kick(struct drv *d, unsigned int q)
{
	bar_write(d, NOTIFY + 4 * q, q, 2);
}

static bool used_next(struct drv *d, unsigned int q, uint32_t *id,
		      uint32_t *len)
{
	struct drv_vq *vq = &d->q[q];
	uint16_t idx = __atomic_load_n((uint16_t *)(fk.ram + vq->used) + 1,
				       __ATOMIC_ACQUIRE);
	uint32_t *elem;

	if (idx == vq->last_used)
		return false;
	elem = (uint32_t *)(fk.ram + vq->used + 4 +
			    8 * (vq->last_used % QSIZE));
	*id = elem[0];
	*len = elem[1];
	vq->last_used++;
	return true;
}

static bool intx_asserted(void)
{
	unsigned int g;

	for (g = PCI_INTX_GSI_BASE; g < PCI_INTX_GSI_BASE + 4; g++)
		if (fk.gsi_level[g])
			return true;
	return false;
}

/* ---- packets and the environment ---------------------------------------------- */

static void make_frame(uint8_t *p, size_t len, unsigned int seed)
{
	static const uint8_t hdr[14] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56,
					 0x02, 0x00, 0x00, 0x00, 0x00, 0x01,
					 ETH_TYPE >> 8, ETH_TYPE & 0xff };
	size_t i;

	memcpy(p, hdr, sizeof(hdr));
	for (i = sizeof(hdr); i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7);
}

struct env {
	struct pci_bus *bus;
	int dev_fd, peer;
	struct drv d;
	char tap[IFNAMSIZ];		/* a persistent tap this test made */
};

static int tun_delete(const char *name, short type);

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	fake_vmm_setup(RAM_SIZE);
	assert_non_null(e);
	assert_int_equal(pci_bus_create(&fake_vm, &e->bus), 0);
	e->dev_fd = e->peer = -1;
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	/* Everything the device registered is gone, its fd closed. */
	fake_vmm_teardown();
	if (e->dev_fd >= 0)
		assert_int_equal(fcntl(e->dev_fd, F_GETFD), -1);
	if (e->peer >= 0)
		close(e->peer);
	/* A failed test must not leave interfaces behind. */
	if (e->tap[0])
		tun_delete(e->tap, IFF_TAP);
	free(e);
	return 0;
}

/* A device on one end of a SOCK_SEQPACKET pair; the test holds the other. */
static void env_net(struct env *e, bool vnet_hdr, const uint8_t *mac)
{
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				    sv), 0);
	assert_int_equal(virtio_net_create_fd(&fake_vm, e->bus, sv[0], mac,
					      vnet_hdr, "test"), 0);
	e->dev_fd = sv[0];
	e->peer = sv[1];
	assert_int_equal(fcntl(e->peer, F_SETFL, O_NONBLOCK), 0);
}

static bool backend_polled(struct env *e, uint32_t events)
{
	struct fake_loop *l = fake_loop_find(e->dev_fd);

	return l && (l->events & events) == events;
}

/* Posts one single-buffer receive chain of len bytes at slot i. */
static uint16_t post_rx(struct env *e, unsigned int i, uint32_t len)
{
	struct seg s = { RX_BUFS + 0x10000ull * i, len, true };

	memset(fk.ram + s.gpa, 0xaa, len);
	return add_chain(&e->d, 0, &s, 1);
}

static ssize_t peer_recv(struct env *e, uint8_t *buf, size_t len)
{
	return recv(e->peer, buf, len, MSG_DONTWAIT);
}

/* ---- config space ------------------------------------------------------------- */

static void test_config(void **state)
{
	static const uint8_t mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
	struct env *e = *state;
	uint64_t f;
	unsigned int i;

	env_net(e, false, mac);
	/* The sandbox lets the socket send and receive. */
	assert_int_equal(fk.nr_sandbox, 1);
	assert_true(fk.sandbox[0].socket);
	assert_int_equal(fk.sandbox[0].fd, e->dev_fd);
	e->d.bar = find_bar0();
	f = device_features(&e->d);
	assert_true(f & BIT(VIRTIO_F_VERSION_1));
	assert_true(f & BIT(F_MAC));
	assert_true(f & BIT(F_STATUS));
	assert_true(f & BIT(F_MRG_RXBUF));
	/* No vnet header on the fd: no offloads to offer. */
	assert_false(f & (BIT(F_CSUM) | BIT(F_GUEST_CSUM) | BIT(F_HOST_TSO4) |
			  BIT(F_GUEST_TSO4)));
	for (i = 0; i < 6; i++)
		assert_int_equal(bar_read(&e->d, DEVCFG + i, 1), mac[i]);
	assert_int_equal(bar_read(&e->d, DEVCFG + 6, 2), 1);	/* LINK_UP */
	/* Past the end of config space reads 0; writes change nothing. */
	assert_int_equal(bar_read(&e->d, DEVCFG + 8, 2), 0);
	bar_write(&e->d, DEVCFG, 0x11, 1);
	assert_int_equal(bar_read(&e->d, DEVCFG, 1), mac[0]);
}

static void test_config_offloads_and_random_mac(void **state)
{
	struct env *e = *state;
	uint8_t mac[6];
	uint64_t f;
	unsigned int i;

	env_net(e, true, NULL);
	e->d.bar = find_bar0();
	f = device_features(&e->d);
	assert_true(f & BIT(F_CSUM));
	assert_true(f & BIT(F_GUEST_CSUM));
	assert_true(f & BIT(F_HOST_TSO4) && f & BIT(F_HOST_TSO6));
	assert_true(f & BIT(F_GUEST_TSO4) && f & BIT(F_GUEST_TSO6));
	for (i = 0; i < 6; i++)
		mac[i] = bar_read(&e->d, DEVCFG + i, 1);
	assert_int_equal(mac[0] & 3, 2);	/* unicast, locally administered */

	/* GUEST_TSO4 without GUEST_CSUM breaks 5.1.3.1: FEATURES_OK refused. */
	reset_device(&e->d);
	bar_write(&e->d, COMMON_STATUS, 3, 1);
	bar_write(&e->d, COMMON_GFSELECT, 0, 4);
	bar_write(&e->d, COMMON_GF, BIT(F_GUEST_TSO4), 4);
	bar_write(&e->d, COMMON_GFSELECT, 1, 4);
	bar_write(&e->d, COMMON_GF, 1, 4);
	bar_write(&e->d, COMMON_STATUS, 3 | VIRTIO_STATUS_FEATURES_OK, 1);
	assert_false(status(&e->d) & VIRTIO_STATUS_FEATURES_OK);
}

static void test_bad_mac_refused(void **state)
{
	static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0, 0, 1 };
	struct env *e = *state;
	int sv[2];

	(void)e;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
	assert_int_equal(virtio_net_create_fd(&fake_vm, e->bus, sv[0], mcast,
					      false, "test"), -EINVAL);
	assert_non_null(strstr(fk.msg, "01:00:5e:00:00:01"));
	/* The fd stays the caller's. */
	assert_int_not_equal(fcntl(sv[0], F_GETFD), -1);
	close(sv[0]);
	close(sv[1]);
}

/* ---- transmit ------------------------------------------------------------------- */

static void test_tx_strips_header(void **state)
{
	struct env *e = *state;
	uint8_t buf[4096], frame[1500];
	uint32_t id, len;
	uint16_t heads[5];
	unsigned int i;
	ssize_t n;

	env_net(e, false, NULL);
	drv_init(&e->d, F_BASIC);
	for (i = 0; i < 4; i++) {
		uint64_t gpa = TX_BUFS + 0x10000ull * i;
		size_t flen = 60 + 300 * i;
		struct seg s[2] = { { gpa, HDR, false },
				    { gpa + 0x100, flen, false } };

		/* No offload asked for; the other fields are the driver's junk. */
		memset(fk.ram + gpa, 0x5a, HDR);
		fk.ram[gpa] = fk.ram[gpa + 1] = 0;
		make_frame(fk.ram + gpa + 0x100, flen, i);
		heads[i] = add_chain(&e->d, 1, s, 2);
	}
	/* Header and frame run together, split at odd places. */
	{
		uint64_t gpa = TX_BUFS + 0x40000;
		struct seg s[3] = { { gpa, 5, false }, { gpa + 5, 100, false },
				    { gpa + 105, 900, false } };

		memset(fk.ram + gpa, 0, HDR);
		make_frame(fk.ram + gpa + HDR, 1005 - HDR, 4);
		heads[4] = add_chain(&e->d, 1, s, 3);
	}
	kick(&e->d, 1);
	fake_loop_run();

	for (i = 0; i < 5; i++) {
		size_t flen = i < 4 ? 60 + 300 * i : 1005 - HDR;

		n = peer_recv(e, buf, sizeof(buf));
		assert_int_equal(n, flen);
		make_frame(frame, flen, i);
		assert_memory_equal(buf, frame, flen);
		assert_true(used_next(&e->d, 1, &id, &len));
		assert_int_equal(id, heads[i]);
		assert_int_equal(len, 0);
	}
	assert_int_equal(peer_recv(e, buf, sizeof(buf)), -1);
	assert_false(used_next(&e->d, 1, &id, &len));
	assert_true(intx_asserted());
	/* ISR: a queue interrupt, acknowledged by the read. */
	assert_int_equal(bar_read(&e->d, ISR, 1), 1);
	assert_false(intx_asserted());
}

/*
 * The queues' notify addresses are doorbells: an eventfd each, which a
 * backend rings without calling the BAR's write handler.  Ringing one
 * before DRIVER_OK does nothing; after, it sends like a kick.
 */
static void test_doorbells(void **state)
{
	struct env *e = *state;
	struct vmm_doorbell db[VMM_MAX_DOORBELLS];
	struct fake_range *r;
	uint8_t buf[256];
	uint64_t one = 1;
	uint32_t id, len;
	unsigned int n, i;
	int tx_fd = -1;

	env_net(e, false, NULL);
	e->d.bar = find_bar0();
	r = fake_io_find(VMM_SPACE_MMIO, e->d.bar);
	assert_non_null(r);
	assert_non_null(r->ops->doorbells);
	n = r->ops->doorbells(r->opaque, db, VMM_MAX_DOORBELLS);
	assert_int_equal(n, 2);
	for (i = 0; i < n; i++) {
		assert_int_equal(db[i].offset, NOTIFY + 4 * i);
		assert_int_equal(db[i].size, 2);
		assert_non_null(fake_loop_find(db[i].fd));
		if (i == 1)
			tx_fd = db[i].fd;
	}
	assert_int_not_equal(db[0].fd, db[1].fd);
	/* Before the driver is ready, a ring is read and dropped. */
	assert_int_equal(write(tx_fd, &one, 8), 8);
	fake_loop_run();

	drv_init(&e->d, F_BASIC);
	memset(fk.ram + TX_BUFS, 0, HDR);
	make_frame(fk.ram + TX_BUFS + HDR, 100, 3);
	add_chain(&e->d, 1, &(struct seg){ TX_BUFS, HDR + 100, false }, 1);
	fake_loop_run();
	assert_int_equal(peer_recv(e, buf, sizeof(buf)), -1);	/* no kick yet */
	assert_int_equal(write(tx_fd, &one, 8), 8);
	fake_loop_run();
	assert_int_equal(peer_recv(e, buf, sizeof(buf)), 100);
	assert_true(used_next(&e->d, 1, &id, &len));
}

static void test_tx_vnet_header(void **state)
{
	struct env *e = *state;
	uint8_t buf[4096], hdr[HDR] = { 1, 0, 0, 0, 0, 0, 34, 0, 16, 0, 7, 7 };
	uint32_t id, len;
	uint64_t gpa = TX_BUFS;
	struct seg s = { gpa, HDR + 200, false };
	ssize_t n;

	env_net(e, true, NULL);
	drv_init(&e->d, F_BASIC | BIT(F_CSUM));
	/* NEEDS_CSUM, csum_start 34, csum_offset 16: passed on as written. */
	memcpy(fk.ram + gpa, hdr, HDR);
	make_frame(fk.ram + gpa + HDR, 200, 9);
	add_chain(&e->d, 1, &s, 1);
	kick(&e->d, 1);
	fake_loop_run();
	n = peer_recv(e, buf, sizeof(buf));
	assert_int_equal(n, HDR + 200);
	hdr[10] = hdr[11] = 0;		/* num_buffers is not for the host */
	assert_memory_equal(buf, hdr, HDR);
	assert_memory_equal(buf + HDR, fk.ram + gpa + HDR, 200);
	assert_true(used_next(&e->d, 1, &id, &len));

	/* TSO the driver did not negotiate: dropped, the chain returned. */
	fk.ram[gpa + 1] = 1;		/* GSO_TCPV4 */
	add_chain(&e->d, 1, &s, 1);
	kick(&e->d, 1);
	fake_loop_run();
	assert_int_equal(peer_recv(e, buf, sizeof(buf)), -1);
	assert_true(used_next(&e->d, 1, &id, &len));
	assert_int_equal(status(&e->d) & VIRTIO_STATUS_NEEDS_RESET, 0);
}

/* The socket fills up: the device waits for EPOLLOUT and loses nothing. */
static void test_tx_backpressure(void **state)
{
	struct env *e = *state;
	uint8_t buf[2048], frame[1000];
	uint32_t id, len;
	unsigned int i, got = 0, rounds;
	int small = 1;
	ssize_t n;

	env_net(e, false, NULL);
	assert_int_equal(setsockopt(e->dev_fd, SOL_SOCKET, SO_SNDBUF, &small,
				    sizeof(small)), 0);
	drv_init(&e->d, F_BASIC);
	for (i = 0; i < 40; i++) {
		uint64_t gpa = TX_BUFS + 0x1000ull * i;
		struct seg s = { gpa, HDR + 1000, false };

		memset(fk.ram + gpa, 0, HDR);
		make_frame(fk.ram + gpa + HDR, 1000, i);
		add_chain(&e->d, 1, &s, 1);
	}
	kick(&e->d, 1);
	fake_loop_run();
	assert_true(fk.loop_events & EPOLLOUT);
	assert_true(backend_polled(e, EPOLLOUT));
	for (rounds = 0; got < 40 && rounds < 100; rounds++) {
		while ((n = peer_recv(e, buf, sizeof(buf))) > 0) {
			make_frame(frame, 1000, got);
			assert_int_equal(n, 1000);
			assert_memory_equal(buf, frame, 1000);
			got++;
		}
		fake_loop_run();
	}
	assert_int_equal(got, 40);
	for (i = 0; i < 40; i++)
		assert_true(used_next(&e->d, 1, &id, &len));
	assert_false(backend_polled(e, EPOLLOUT));
}

/* ---- receive ---------------------------------------------------------------------- */

static void test_rx_mergeable(void **state)
{
	struct env *e = *state;
	uint8_t frame[4096];
	uint16_t heads[4];
	uint32_t id, len;
	unsigned int i;
	uint8_t *b0, *b1;

	env_net(e, false, NULL);
	drv_init(&e->d, F_BASIC | BIT(F_MRG_RXBUF));
	for (i = 0; i < 4; i++)
		heads[i] = post_rx(e, i, 1500);
	kick(&e->d, 0);
	fake_loop_run();
	assert_true(backend_polled(e, EPOLLIN));

	/* 12 + 2988 = 3000 bytes: exactly two 1500-byte buffers. */
	make_frame(frame, 2988, 1);
	assert_int_equal(send(e->peer, frame, 2988, 0), 2988);
	fake_loop_run();
	b0 = fk.ram + RX_BUFS;
	b1 = fk.ram + RX_BUFS + 0x10000;
	assert_true(used_next(&e->d, 0, &id, &len));
	assert_int_equal(id, heads[0]);
	assert_int_equal(len, 1500);
	assert_true(used_next(&e->d, 0, &id, &len));
	assert_int_equal(id, heads[1]);
	assert_int_equal(len, 1500);
	assert_false(used_next(&e->d, 0, &id, &len));
	/* flags, gso_type, ... zero; num_buffers 2. */
	for (i = 0; i < 10; i++)
		assert_int_equal(b0[i], 0);
	assert_int_equal(b0[10] | b0[11] << 8, 2);
	assert_memory_equal(b0 + HDR, frame, 1500 - HDR);
	assert_memory_equal(b1, frame + 1500 - HDR, 1500);
	assert_true(intx_asserted());

	/* A small one takes the next buffer alone. */
	make_frame(frame, 60, 2);
	assert_int_equal(send(e->peer, frame, 60, 0), 60);
	fake_loop_run();
	assert_true(used_next(&e->d, 0, &id, &len));
	assert_int_equal(id, heads[2]);
	assert_int_equal(len, HDR + 60);
	b0 = fk.ram + RX_BUFS + 0x20000;
	assert_int_equal(b0[10] | b0[11] << 8, 1);
	assert_memory_equal(b0 + HDR, frame, 60);
	/* Not one byte past what was used. */
	assert_int_equal(b0[HDR + 60], 0xaa);
}

static void test_rx_whole_packets(void **state)
{
	struct env *e = *state;
	uint8_t frame[8192];
	uint32_t id, len;
	uint16_t head;
	uint8_t *b;

	env_net(e, false, NULL);
	drv_init(&e->d, F_BASIC);
	/* One chain: the header in its own buffer, 4000 bytes of data. */
	{
		struct seg s[2] = { { RX_BUFS, HDR, true },
				    { RX_BUFS + 0x100, 4000, true } };

		memset(fk.ram + RX_BUFS, 0xaa, 0x100 + 4000);
		head = add_chain(&e->d, 0, s, 2);
	}
	kick(&e->d, 0);
	fake_loop_run();

	/* Too big for the chain: dropped, the chain kept for the next one. */
	make_frame(frame, 5000, 3);
	assert_int_equal(send(e->peer, frame, 5000, 0), 5000);
	make_frame(frame, 3000, 4);
	assert_int_equal(send(e->peer, frame, 3000, 0), 3000);
	fake_loop_run();
	assert_true(used_next(&e->d, 0, &id, &len));
	assert_int_equal(id, head);
	assert_int_equal(len, HDR + 3000);
	b = fk.ram + RX_BUFS;
	assert_int_equal(b[10] | b[11] << 8, 1);
	assert_memory_equal(fk.ram + RX_BUFS + 0x100, frame, 3000);
	assert_false(used_next(&e->d, 0, &id, &len));
	/* The device has no buffers left, so it stopped reading. */
	assert_false(backend_polled(e, EPOLLIN));
}

/* No buffers: the fd is left alone, nothing is lost, a kick resumes. */
static void test_rx_no_buffers(void **state)
{
	struct env *e = *state;
	uint8_t frame[4096];
	uint32_t id, len;
	unsigned int i, rounds;

	env_net(e, false, NULL);
	drv_init(&e->d, F_BASIC | BIT(F_MRG_RXBUF));
	assert_false(backend_polled(e, EPOLLIN));
	for (i = 0; i < 3; i++) {
		make_frame(frame, 100 + i, i);
		assert_int_equal(send(e->peer, frame, 100 + i, 0), 100 + i);
	}
	/* A 3000-byte packet will have to wait for a second buffer. */
	make_frame(frame, 2988, 3);
	assert_int_equal(send(e->peer, frame, 2988, 0), 2988);
	rounds = fake_loop_run();
	assert_true(rounds < 5);
	assert_false(backend_polled(e, EPOLLIN));

	post_rx(e, 0, 1500);
	kick(&e->d, 0);
	fake_loop_run();
	assert_true(used_next(&e->d, 0, &id, &len));
	assert_int_equal(len, HDR + 100);
	assert_false(used_next(&e->d, 0, &id, &len));
	assert_false(backend_polled(e, EPOLLIN));

	for (i = 1; i < 4; i++)
		post_rx(e, i, 1500);
	kick(&e->d, 0);
	fake_loop_run();
	for (i = 1; i < 3; i++) {
		assert_true(used_next(&e->d, 0, &id, &len));
		assert_int_equal(len, HDR + 100 + i);
		make_frame(frame, 100 + i, i);
		assert_memory_equal(fk.ram + RX_BUFS + 0x10000ull * i + HDR,
				    frame, 100 + i);
	}
	/* The big one got buffer 3 and waits, half delivered, for another. */
	assert_false(used_next(&e->d, 0, &id, &len));
	assert_false(backend_polled(e, EPOLLIN));
	post_rx(e, 4, 1500);
	kick(&e->d, 0);
	fake_loop_run();
	assert_true(used_next(&e->d, 0, &id, &len));
	assert_int_equal(len, 1500);
	assert_true(used_next(&e->d, 0, &id, &len));
	assert_int_equal(len, 1500);
	assert_int_equal(fk.ram[RX_BUFS + 0x30000 + 10], 2);
	make_frame(frame, 2988, 3);
	assert_memory_equal(fk.ram + RX_BUFS + 0x30000 + HDR, frame,
			    1500 - HDR);
	assert_memory_equal(fk.ram + RX_BUFS + 0x40000, frame + 1500 - HDR,
			    1500);

	/* Buffers left again: the fd is polled once more. */
	post_rx(e, 5, 1500);
	kick(&e->d, 0);
	fake_loop_run();
	assert_true(backend_polled(e, EPOLLIN));
}

static void test_rx_vnet_header(void **state)
{
	struct env *e = *state;
	uint8_t pkt[HDR + 200], hdr[HDR] = { 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 9 };
	uint32_t id, len;

	env_net(e, true, NULL);
	drv_init(&e->d, F_BASIC | BIT(F_MRG_RXBUF) | BIT(F_GUEST_CSUM));
	post_rx(e, 0, 1500);
	post_rx(e, 1, 1500);
	kick(&e->d, 0);
	fake_loop_run();
	/* DATA_VALID from the host reaches a driver that took GUEST_CSUM. */
	memcpy(pkt, hdr, HDR);
	make_frame(pkt + HDR, 200, 5);
	assert_int_equal(send(e->peer, pkt, sizeof(pkt), 0), sizeof(pkt));
	/* A TSO packet the driver cannot take is dropped. */
	pkt[1] = 1;
	assert_int_equal(send(e->peer, pkt, sizeof(pkt), 0), sizeof(pkt));
	fake_loop_run();
	assert_true(used_next(&e->d, 0, &id, &len));
	assert_int_equal(len, sizeof(pkt));
	assert_int_equal(fk.ram[RX_BUFS], 2);
	assert_int_equal(fk.ram[RX_BUFS + 10], 1);
	assert_int_equal(fk.ram[RX_BUFS + 11], 0);
	assert_memory_equal(fk.ram + RX_BUFS + HDR, pkt + HDR, 200);
	assert_false(used_next(&e->d, 0, &id, &len));
}

/* ---- hostile drivers -------------------------------------------------------------- */

static void expect_needs_reset(struct env *e)
{
	uint8_t buf[128];

	assert_true(status(&e->d) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(peer_recv(e, buf, sizeof(buf)), -1);
	assert_int_equal(fk.nr_fails, 0);
}

static void test_tx_hostile(void **state)
{
	struct env *e = *state;
	uint32_t id, len;

	env_net(e, false, NULL);

	/* A writable buffer in a transmit chain. */
	drv_init(&e->d, F_BASIC);
	{
		struct seg s[2] = { { TX_BUFS, 100, false },
				    { TX_BUFS + 0x1000, 100, true } };

		memset(fk.ram + TX_BUFS + 0x1000, 0xaa, 100);
		add_chain(&e->d, 1, s, 2);
	}
	kick(&e->d, 1);
	fake_loop_run();
	expect_needs_reset(e);
	assert_non_null(strstr(fk.msg, "malformed transmit chain"));
	assert_true(used_next(&e->d, 1, &id, &len));
	assert_int_equal(len, 0);
	assert_int_equal(fk.ram[TX_BUFS + 0x1000], 0xaa);

	/* A buffer running past the end of RAM. */
	drv_init(&e->d, F_BASIC);
	{
		struct seg s = { RAM_SIZE - 50, 100, false };

		add_chain(&e->d, 1, &s, 1);
	}
	kick(&e->d, 1);
	fake_loop_run();
	expect_needs_reset(e);

	/* An address that wraps around 2^64. */
	drv_init(&e->d, F_BASIC);
	{
		struct seg s = { ~0ull - 10, 100, false };

		add_chain(&e->d, 1, &s, 1);
	}
	kick(&e->d, 1);
	fake_loop_run();
	expect_needs_reset(e);

	/* More than 64 KiB and a header. */
	drv_init(&e->d, F_BASIC);
	{
		struct seg s[2] = { { TX_BUFS, 40000, false },
				    { TX_BUFS + 40000, 40000, false } };

		add_chain(&e->d, 1, s, 2);
	}
	kick(&e->d, 1);
	fake_loop_run();
	expect_needs_reset(e);
	assert_true(used_next(&e->d, 1, &id, &len));

	/* Shorter than the header. */
	drv_init(&e->d, F_BASIC);
	{
		struct seg s = { TX_BUFS, 8, false };

		add_chain(&e->d, 1, &s, 1);
	}
	kick(&e->d, 1);
	fake_loop_run();
	expect_needs_reset(e);

	/* After a reset, the device works again. */
	drv_init(&e->d, F_BASIC);
	{
		struct seg s = { TX_BUFS, HDR + 64, false };
		uint8_t buf[128];

		memset(fk.ram + TX_BUFS, 0, HDR);
		make_frame(fk.ram + TX_BUFS + HDR, 64, 1);
		add_chain(&e->d, 1, &s, 1);
		kick(&e->d, 1);
		fake_loop_run();
		assert_int_equal(peer_recv(e, buf, sizeof(buf)), 64);
		assert_false(status(&e->d) & VIRTIO_STATUS_NEEDS_RESET);
	}
}

static void test_rx_hostile(void **state)
{
	struct env *e = *state;
	uint8_t frame[100];

	env_net(e, false, NULL);

	/* A device-readable buffer offered for receiving. */
	drv_init(&e->d, F_BASIC | BIT(F_MRG_RXBUF));
	{
		struct seg s = { RX_BUFS, 1500, false };

		memset(fk.ram + RX_BUFS, 0xaa, 1500);
		add_chain(&e->d, 0, &s, 1);
	}
	make_frame(frame, sizeof(frame), 1);
	assert_int_equal(send(e->peer, frame, sizeof(frame), 0), sizeof(frame));
	kick(&e->d, 0);
	fake_loop_run();
	assert_true(status(&e->d) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(fk.ram[RX_BUFS], 0xaa);
	assert_false(backend_polled(e, EPOLLIN));

	/* A receive buffer too small for the header. */
	drv_init(&e->d, F_BASIC | BIT(F_MRG_RXBUF));
	post_rx(e, 0, 8);
	kick(&e->d, 0);
	fake_loop_run();
	assert_true(status(&e->d) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(fk.ram[RX_BUFS], 0xaa);

	/* A receive buffer outside RAM. */
	drv_init(&e->d, F_BASIC | BIT(F_MRG_RXBUF));
	{
		struct seg s = { RAM_SIZE - 100, 1500, true };

		add_chain(&e->d, 0, &s, 1);
	}
	kick(&e->d, 0);
	fake_loop_run();
	assert_true(status(&e->d) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(fk.nr_fails, 0);

	/* The packet waited in the socket all along. */
	drv_init(&e->d, F_BASIC | BIT(F_MRG_RXBUF));
	post_rx(e, 0, 1500);
	kick(&e->d, 0);
	fake_loop_run();
	assert_memory_equal(fk.ram + RX_BUFS + HDR, frame, sizeof(frame));
}

/* ---- reset ----------------------------------------------------------------------- */

static void test_reset_stops_everything(void **state)
{
	struct env *e = *state;
	uint8_t frame[4096], buf[64];
	uint32_t id, len;

	env_net(e, false, NULL);
	drv_init(&e->d, F_BASIC | BIT(F_MRG_RXBUF));
	post_rx(e, 0, 1500);
	kick(&e->d, 0);
	fake_loop_run();
	/* Half a packet delivered, waiting for a second buffer. */
	make_frame(frame, 2988, 1);
	assert_int_equal(send(e->peer, frame, 2988, 0), 2988);
	fake_loop_run();
	assert_false(used_next(&e->d, 0, &id, &len));

	reset_device(&e->d);
	assert_false(backend_polled(e, EPOLLIN));
	assert_false(backend_polled(e, EPOLLOUT));
	/* Nothing moves while the device is reset. */
	make_frame(frame, 80, 2);
	assert_int_equal(send(e->peer, frame, 80, 0), 80);
	memset(fk.ram + TX_BUFS, 0, HDR + 64);
	{
		struct seg s = { TX_BUFS, HDR + 64, false };

		add_chain(&e->d, 1, &s, 1);
	}
	kick(&e->d, 1);
	kick(&e->d, 0);
	assert_true(fake_loop_run() < 3);
	assert_int_equal(peer_recv(e, buf, sizeof(buf)), -1);
	assert_int_equal(((uint16_t *)(fk.ram + e->d.q[0].used))[1], 0);
	assert_int_equal(((uint16_t *)(fk.ram + e->d.q[1].used))[1], 0);

	/* A new driver gets the next packet whole, not the stale half. */
	drv_init(&e->d, F_BASIC | BIT(F_MRG_RXBUF));
	post_rx(e, 0, 1500);
	kick(&e->d, 0);
	fake_loop_run();
	assert_true(used_next(&e->d, 0, &id, &len));
	assert_int_equal(len, HDR + 80);
	assert_int_equal(fk.ram[RX_BUFS + 10], 1);
	assert_memory_equal(fk.ram + RX_BUFS + HDR, frame, 80);
}

/* ---- taps ------------------------------------------------------------------------- */

static void test_tap_missing(void **state)
{
	struct env *e = *state;
	struct vmm_net_config cfg = { .tap = "vhvnosuch0" };

	assert_int_equal(virtio_net_create(&fake_vm, e->bus, &cfg), -ENODEV);
	assert_non_null(strstr(fk.msg, "vhvnosuch0"));
	/* An interface that is not a tap. */
	cfg.tap = "lo";
	assert_int_equal(virtio_net_create(&fake_vm, e->bus, &cfg), -EINVAL);
	assert_non_null(strstr(fk.msg, "lo"));
	assert_non_null(strstr(fk.msg, "not a tap"));
	cfg.tap = "a-name-longer-than-ifnamsiz";
	assert_int_equal(virtio_net_create(&fake_vm, e->bus, &cfg), -EINVAL);
	assert_int_equal(virtio_net_create(&fake_vm, e->bus, NULL), -EINVAL);
	assert_int_equal(fk.nr_dev, 1);	/* only the bus */
}

/* Creates a persistent tap or tun; returns an fd attached to it, or -errno. */
static int tun_create(char name[IFNAMSIZ], short type)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, IFNAMSIZ, "vhvut%%d");
	ifr.ifr_flags = type | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETPERSIST, 1)) {
		err = -errno;
		close(fd);
		return err;
	}
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	return fd;
}

/* Attaches to a persistent tap or tun and makes it go with the fd. */
static int tun_delete(const char *name, short type)
{
	struct ifreq ifr = { 0 };
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	ifr.ifr_flags = type | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETPERSIST, 0))
		ret = -errno;
	close(fd);
	return ret;
}

static void tap_up(const char *name)
{
	struct ifreq ifr = { 0 };
	char path[96];
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), fd;

	/* No IPv6 chatter (router solicitations) in the guest's buffers. */
	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6",
		 name);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1", 1) != 1)
			print_message("# could not disable IPv6 on %s\n", name);
		close(fd);
	}
	assert_true(s >= 0);
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", name);
	assert_int_equal(ioctl(s, SIOCGIFFLAGS, &ifr), 0);
	ifr.ifr_flags |= IFF_UP;
	assert_int_equal(ioctl(s, SIOCSIFFLAGS, &ifr), 0);
	close(s);
}

/* Frames through a real tap: out via AF_PACKET capture, in via AF_PACKET send. */
static void tap_traffic(struct env *e, const char *name)
{
	unsigned int ifindex = if_nametoindex(name), i;
	struct sockaddr_ll sll = {
		.sll_family = AF_PACKET,
		.sll_protocol = htons(ETH_TYPE),
		.sll_ifindex = ifindex,
	};
	uint8_t frame[600], buf[2048];
	struct pollfd p;
	uint32_t id, len;
	bool found = false;
	int ps;

	ps = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_TYPE));
	if (ps < 0) {
		print_message("# no AF_PACKET socket (%s): tap traffic not checked\n",
			      strerror(errno));
		return;
	}
	assert_int_equal(bind(ps, (struct sockaddr *)&sll, sizeof(sll)), 0);

	/* Guest to host. */
	memset(fk.ram + TX_BUFS, 0, HDR);
	make_frame(fk.ram + TX_BUFS + HDR, 600, 7);
	{
		struct seg s = { TX_BUFS, HDR + 600, false };

		add_chain(&e->d, 1, &s, 1);
	}
	kick(&e->d, 1);
	fake_loop_run();
	p = (struct pollfd){ ps, POLLIN, 0 };
	assert_int_equal(poll(&p, 1, 2000), 1);
	assert_int_equal(recv(ps, buf, sizeof(buf), 0), 600);
	assert_memory_equal(buf, fk.ram + TX_BUFS + HDR, 600);

	/* Host to guest: whatever else the host sends, ours arrives. */
	for (i = 0; i < 8; i++)
		post_rx(e, i, 1500);
	kick(&e->d, 0);
	fake_loop_run();
	make_frame(frame, sizeof(frame), 8);
	assert_int_equal(sendto(ps, frame, sizeof(frame), 0,
				(struct sockaddr *)&sll, sizeof(sll)),
			 sizeof(frame));
	for (i = 0; i < 200 && !found; i++) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		fake_loop_run();
		while (!found && used_next(&e->d, 0, &id, &len)) {
			uint8_t *b = fk.ram + RX_BUFS + 0x10000ull * id;

			found = len == HDR + sizeof(frame) &&
				!memcmp(b + HDR, frame, sizeof(frame));
		}
		nanosleep(&ts, NULL);
	}
	assert_true(found);
	close(ps);
}

static void test_real_tap(void **state)
{
	struct env *e = *state;
	struct vmm_net_config cfg = { .mac = { 0x52, 0x54, 0, 1, 2, 3 },
				      .mac_set = true };
	char tap[IFNAMSIZ], tun[IFNAMSIZ];
	int fd;

	fd = tun_create(tap, IFF_TAP);
	if (fd < 0) {
		print_message("# cannot create a tap here (%s): skipped\n",
			      strerror(-fd));
		skip();
	}
	memcpy(e->tap, tap, IFNAMSIZ);
	cfg.tap = tap;
	/* Held by someone else: refused, naming it. */
	assert_int_equal(virtio_net_create(&fake_vm, e->bus, &cfg), -EBUSY);
	assert_non_null(strstr(fk.msg, tap));
	close(fd);

	/* A tun is not a tap. */
	fd = tun_create(tun, IFF_TUN);
	if (fd >= 0) {
		close(fd);
		cfg.tap = tun;
		assert_int_equal(virtio_net_create(&fake_vm, e->bus, &cfg),
				 -EINVAL);
		assert_non_null(strstr(fk.msg, tun));
		assert_int_equal(tun_delete(tun, IFF_TUN), 0);
		assert_int_equal(if_nametoindex(tun), 0);
		cfg.tap = tap;
	}

	assert_int_equal(virtio_net_create(&fake_vm, e->bus, &cfg), 0);
	/* The sandbox lets the tap take TUNSETOFFLOAD, and only that. */
	assert_int_equal(fk.nr_sandbox, 1);
	assert_false(fk.sandbox[0].socket);
	assert_int_equal(fk.sandbox[0].ioctl, TUNSETOFFLOAD);
	/* TUNSETOFFLOAD at DRIVER_OK with everything: no error recorded. */
	fk.nr_errors = 0;
	drv_init(&e->d, F_BASIC | BIT(F_MRG_RXBUF) | BIT(F_CSUM) |
		 BIT(F_GUEST_CSUM) | BIT(F_HOST_TSO4) | BIT(F_HOST_TSO6) |
		 BIT(F_GUEST_TSO4) | BIT(F_GUEST_TSO6));
	assert_true(e->d.features & BIT(F_GUEST_TSO4));
	assert_int_equal(fk.nr_errors, 0);
	assert_int_equal(bar_read(&e->d, DEVCFG + 5, 1), 3);
	tap_up(tap);
	tap_traffic(e, tap);
	reset_device(&e->d);
	assert_int_equal(fk.nr_errors, 0);

	/* Detach (the device closes its fd), then delete the tap. */
	fk.nr_dev--;
	fk.dev[fk.nr_dev].destroy(fk.dev[fk.nr_dev].opaque);
	assert_int_equal(tun_delete(tap, IFF_TAP), 0);
	assert_int_equal(if_nametoindex(tap), 0);
	e->tap[0] = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_offloads_and_random_mac,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_mac_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_strips_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_doorbells, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_vnet_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_backpressure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_mergeable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_whole_packets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_no_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_vnet_header, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tx_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rx_hostile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_stops_everything, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tap_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_real_tap, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
