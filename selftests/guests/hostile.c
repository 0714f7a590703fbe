/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hostile.elf: a 32-bit Multiboot test kernel that plays a malicious virtio
 * driver against libvmm's virtio-pci devices and checks each one recovers.
 *
 * Run:   vhv-run --kernel build/selftests/guests/hostile.elf --disk IMG
 *                --rng [--net tap=NAME] [--mem 512M]
 * IMG:   a raw image of at least 2 sectors (1 MiB is plenty); sector s
 *        (512 bytes) starts with the 7 ASCII bytes "VHVSECT" followed by s
 *        as a 32-bit little-endian number (bytes 7-10); the rest is not
 *        read.  Step 8 tries writes that must fail; IMG may be ",ro".
 *        python3 -c 'import struct,sys; sys.stdout.buffer.write(b"".join(
 *          b"VHVSECT"+struct.pack("<I",s)+bytes(501) for s in range(2048)))'
 * Output: "hostile: <dev> <step> <what>: <what the device did>" on COM1.
 * Exit:  the debug-exit code (vhv-run exits 64 + code): 0 when every attack
 *        was contained, every recovery and the final I/O worked; else the
 *        first failing step: 1-11 on virtio-blk (12: its bring-up before
 *        any attack), 17-28 the same on virtio-rng, 33-44 on virtio-net;
 *        48 no virtio-blk found, 49 not booted by a Multiboot loader.  A
 *        VMM that dies instead exits 1 or by a signal.
 *
 * Each step starts from a reset, VERSION_1 (+ INDIRECT_DESC) negotiation,
 * queue setup and DRIVER_OK (queue 0; net: the transmit queue 1), and is
 * followed by a reset and one legitimate request that must complete (blk:
 * read sector 0, rng: 64 bytes, net: one broadcast frame).  A malformed
 * chain must give DEVICE_NEEDS_RESET, no used entry, no byte written, and a
 * queue that ignores later requests until reset:
 *   1 chain loops / readable after writable   2 head or next >= queue size
 *   3 buffer at 0xfffff000, at 2^46, wrapping past 2^64
 *   4 buffer from 256 bytes below the end of RAM, 512 long
 *   5 length 0xffffffff                       6 avail->idx jumps by 0x8000
 *   7 indirect: length 17, 0xfffffff0, nested, outside RAM, with NEXT, loop
 *   8 blk only: reads at the capacity and across it, writes at sector
 *     2^64-1 and 2^55 (the byte offset wraps to 0) must end IOERR; an
 *     unknown type UNSUPP; data into missing RAM or the device's own BAR,
 *     and a request without a status byte, NEEDS_RESET
 *   9 rings outside RAM, across its end, misaligned or in the BAR: NEEDS_RESET
 *     at queue_enable, which reads 0; DRIVER_OK then a kick does nothing
 *  10 common config: missing queues read size 0 and take no writes; queue
 *     sizes 3, 2*max, 0 fail at queue_enable; MSI-X vectors past the table
 *     read NO_VECTOR; FEATURES_OK refused without VERSION_1 or with an
 *     unoffered bit; no DRIVER_OK before FEATURES_OK; the driver cannot set
 *     NEEDS_RESET; queue fields and features fixed once live; stray writes
 *  11 final legitimate I/O (blk: sectors 0-1 through an indirect table and
 *     the last sector, each carrying its pattern).
 * Every wait is bounded by the ACPI PM timer (libvmm puts it at 0x608) and
 * by an iteration count, so a device that never answers cannot hang us.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#define COM1		0x3f8
#define DEBUG_EXIT	0x501
#define PM_TIMER	0x608
#define PM_TICKS_MS	3580

/* Rings and buffers: above the kernel, inside the 16 MiB RAM minimum. */
#define WORK		0x00800000u
#define DESC		(WORK + 0x0000)
#define AVAIL		(WORK + 0x1000)
#define USED		(WORK + 0x2000)
#define IND		(WORK + 0x3000)
#define IND2		(WORK + 0x3800)
#define LIND		(WORK + 0x3c00)	/* the legitimate indirect table */
#define HDR		(WORK + 0x4000)
#define LHDR		(WORK + 0x4080)
#define STAT		(WORK + 0x4100)
#define LSTAT		(WORK + 0x4180)
#define DATA		(WORK + 0x5000)	/* attack buffers, canary 0x5a */
#define LDATA		(WORK + 0x6000)	/* legitimate buffers */
#define PKT		(WORK + 0x7000)
#define LEGIT		8		/* first descriptor of the legitimate chain */
#define QSIZE		16

#define M8(a)		(*(volatile uint8_t *)(uintptr_t)(a))
#define M16(a)		(*(volatile uint16_t *)(uintptr_t)(a))
#define M32(a)		(*(volatile uint32_t *)(uintptr_t)(a))
#define BIT(b)		(1ull << (b))

#define ID_NET		1
#define ID_BLK		2
#define ID_RNG		4
#define S_ACK		0x01
#define S_DRIVER	0x02
#define S_DRIVER_OK	0x04
#define S_FEATURES_OK	0x08
#define S_NEEDS_RESET	0x40
#define S_LIVE		(S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK)
#define F_INDIRECT	28
#define F_VERSION_1	32
#define D_NEXT		1
#define D_WRITE		2
#define D_INDIRECT	4
#define NO_VECTOR	0xffff

/* Common configuration (virtio 1.2, 4.1.4.3). */
#define CC_DFSELECT	0x00
#define CC_DF		0x04
#define CC_GFSELECT	0x08
#define CC_GF		0x0c
#define CC_MSIX_CONFIG	0x10
#define CC_NUM_QUEUES	0x12
#define CC_STATUS	0x14
#define CC_Q_SELECT	0x16
#define CC_Q_SIZE	0x18
#define CC_Q_MSIX	0x1a
#define CC_Q_ENABLE	0x1c
#define CC_Q_NOTIFY_OFF	0x1e
#define CC_Q_DESC	0x20
#define CC_Q_DRIVER	0x28
#define CC_Q_DEVICE	0x30

#define T_IN		0
#define T_OUT		1
#define BLK_OK		0
#define BLK_IOERR	1
#define BLK_UNSUPP	2
#define EXPECT_RESET	0xff

struct vdev {
	const char *name;
	unsigned int slot, kind, fail_base;
	uint32_t common, notify, isr, devcfg, msix_tbl;
	uint32_t notify_mult, notify_len, devcfg_len;
	uint64_t offered, capacity;
	uint16_t nq, q, qmax, qsize, notify_off, msix_n, avail_idx;
	uint64_t rd_sector;		/* what the legitimate blk read expects */
	unsigned int rd_nsec;
};

static uint32_t ram_end;		/* end of RAM below 4 GiB */
static unsigned int first_fail;

void hostile_main(uint32_t magic, uint32_t info);

/* ---- ports, console, time ---------------------------------------------------- */

static inline void outb(uint16_t p, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(p));
}

static inline void outl(uint16_t p, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(p));
}

static inline uint8_t inb(uint16_t p)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p));
	return v;
}

static inline uint32_t inl(uint16_t p)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p));
	return v;
}

/* Orders ring stores against the device's view (no SSE for mfence). */
static inline void mb(void)
{
	__asm__ volatile("lock; addl $0, (%%esp)" : : : "memory");
}

static void putch(char c)
{
	unsigned int n = 0;

	while (!(inb(COM1 + 5) & 0x20) && ++n < 100000)
		;
	outb(COM1, c);
}

/* printf for %s, %u and %x (32-bit) and %q (64-bit hex). */
static void say(const char *fmt, ...)
{
	char b[12];
	va_list ap;
	uint64_t q;
	uint32_t u;
	int i, s;

	va_start(ap, fmt);
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			putch(*fmt);
			continue;
		}
		switch (*++fmt) {
		case 's':
			for (const char *p = va_arg(ap, const char *); *p; p++)
				putch(*p);
			break;
		case 'u':
			u = va_arg(ap, uint32_t);
			i = 0;
			do
				b[i++] = '0' + u % 10;
			while (u /= 10);
			while (i)
				putch(b[--i]);
			break;
		case 'x':
		case 'q':
			q = *fmt == 'x' ? va_arg(ap, uint32_t) : va_arg(ap, uint64_t);
			putch('0');
			putch('x');
			for (s = 60; s > 0 && !(q >> s); s -= 4)
				;
			for (; s >= 0; s -= 4)
				putch("0123456789abcdef"[(q >> s) & 15]);
			break;
		default:
			putch(*fmt);
		}
	}
	va_end(ap);
}

static __attribute__((noreturn)) void finish(unsigned int code)
{
	outb(DEBUG_EXIT, code);
	for (;;)
		__asm__ volatile("cli; hlt");
}

struct timer {
	uint32_t t0, ticks, iters, cap;
};

static void timer_start(struct timer *t, unsigned int ms)
{
	t->t0 = inl(PM_TIMER);
	t->ticks = ms * PM_TICKS_MS;
	t->iters = 0;
	/* A stopped PM timer still ends the wait: bound the polls too. */
	t->cap = ms * 10000;
}

static bool timer_expired(struct timer *t)
{
	/* 24 bits are enough for 2 s and work for both timer widths. */
	return ((inl(PM_TIMER) - t->t0) & 0xffffff) > t->ticks ||
	       ++t->iters > t->cap;
}

static void fill(uint32_t a, uint8_t v, uint32_t n)
{
	while (n--)
		M8(a++) = v;
}

static bool filled(uint32_t a, uint8_t v, uint32_t n)
{
	while (n--)
		if (M8(a++) != v)
			return false;
	return true;
}

/* ---- PCI and the virtio-pci transport ----------------------------------------- */

static uint32_t pci_rd(unsigned int slot, unsigned int off)
{
	outl(0xcf8, 0x80000000u | slot << 11 | (off & 0xfc));
	return inl(0xcfc);
}

/* A memory BAR below 4 GiB (paging is off), or 0. */
static uint32_t bar_addr(unsigned int slot, unsigned int bar)
{
	uint32_t lo;

	if (bar > 5)
		return 0;
	lo = pci_rd(slot, 0x10 + 4 * bar);
	if ((lo & 1) || ((lo & 6) == 4 && (bar == 5 || pci_rd(slot, 0x14 + 4 * bar))))
		return 0;
	return lo & ~0xfu;
}

static uint8_t status(const struct vdev *d) { return M8(d->common + CC_STATUS); }
static void set_status(const struct vdev *d, uint8_t s) { M8(d->common + CC_STATUS) = s; }
static uint16_t used_idx(void) { return M16(USED + 2); }

static void write64(uint32_t reg, uint64_t v)
{
	M32(reg) = v;
	M32(reg + 4) = v >> 32;
}

/* Writes 0 and waits for 0 to read back (4.1.4.3.2). */
static bool vreset(struct vdev *d)
{
	struct timer t;

	set_status(d, 0);
	timer_start(&t, 1000);
	while (status(d))
		if (timer_expired(&t))
			return false;
	return true;
}

static void drv_features(struct vdev *d, uint64_t f)
{
	M32(d->common + CC_GFSELECT) = 0;
	M32(d->common + CC_GF) = f;
	M32(d->common + CC_GFSELECT) = 1;
	M32(d->common + CC_GF) = f >> 32;
}

static uint64_t good_features(const struct vdev *d)
{
	return BIT(F_VERSION_1) | (d->offered & BIT(F_INDIRECT));
}

/* Reset, ACKNOWLEDGE, DRIVER, our features: true if FEATURES_OK sticks. */
static bool negotiate(struct vdev *d)
{
	if (!vreset(d))
		return false;
	set_status(d, S_ACK);
	set_status(d, S_ACK | S_DRIVER);
	drv_features(d, good_features(d));
	set_status(d, S_ACK | S_DRIVER | S_FEATURES_OK);
	return status(d) & S_FEATURES_OK;
}

static void rings_clear(struct vdev *d)
{
	fill(DESC, 0, USED + 0x1000 - DESC);
	d->avail_idx = 0;
}

/* Programs queue q and enables it: true if queue_enable reads back 1. */
static bool queue_setup(struct vdev *d, uint64_t desc, uint64_t avail,
			uint64_t used, uint16_t size)
{
	uint32_t cc = d->common;

	M16(cc + CC_Q_SELECT) = d->q;
	M16(cc + CC_Q_SIZE) = size;
	write64(cc + CC_Q_DESC, desc);
	write64(cc + CC_Q_DRIVER, avail);
	write64(cc + CC_Q_DEVICE, used);
	M16(cc + CC_Q_ENABLE) = 1;
	return M16(cc + CC_Q_ENABLE) == 1;
}

/* The legitimate bring-up every step starts from. */
static bool setup(struct vdev *d)
{
	if (!negotiate(d))
		return false;
	rings_clear(d);
	if (!queue_setup(d, DESC, AVAIL, USED, d->qsize))
		return false;
	set_status(d, S_LIVE);
	return status(d) == S_LIVE;
}

static void put_desc(uint32_t table, unsigned int i, uint64_t addr,
		     uint32_t len, uint16_t flags, uint16_t next)
{
	uint32_t p = table + 16 * i;

	write64(p, addr);
	M32(p + 8) = len;
	M16(p + 12) = flags;
	M16(p + 14) = next;
}

static void kick(struct vdev *d)
{
	M16(d->notify + d->notify_off * d->notify_mult) = d->q;
}

static void publish(struct vdev *d, uint16_t head)
{
	M16(AVAIL + 4 + 2 * (d->avail_idx & (d->qsize - 1))) = head;
	mb();
	M16(AVAIL + 2) = ++d->avail_idx;
	mb();
	kick(d);
}

/* Polls until used->idx is want or (stop_on_reset) NEEDS_RESET shows. */
static uint8_t wait_used(struct vdev *d, uint16_t want, unsigned int ms,
			 bool stop_on_reset)
{
	struct timer t;
	uint8_t st;

	timer_start(&t, ms);
	for (;;) {
		st = status(d);
		if (used_idx() == want || (stop_on_reset && (st & S_NEEDS_RESET)) ||
		    timer_expired(&t))
			return st;
		__asm__ volatile("pause");
	}
}

/* ---- the legitimate requests --------------------------------------------------- */

static void blk_hdr(uint32_t h, uint32_t type, uint64_t sector)
{
	M32(h) = type;
	M32(h + 4) = 0;
	write64(h + 8, sector);
}

/* A read of nsec sectors into LDATA, direct or through an indirect table. */
static void blk_post(struct vdev *d, uint64_t sector, unsigned int nsec,
		     bool indirect)
{
	uint32_t t = indirect ? LIND : DESC;
	unsigned int b = indirect ? 0 : LEGIT;

	blk_hdr(LHDR, T_IN, sector);
	fill(LDATA, 0, 512 * nsec);
	M8(LSTAT) = 0xff;
	put_desc(t, b, LHDR, 16, D_NEXT, b + 1);
	put_desc(t, b + 1, LDATA, 512 * nsec, D_WRITE | D_NEXT, b + 2);
	put_desc(t, b + 2, LSTAT, 1, D_WRITE, 0);
	if (indirect)
		put_desc(DESC, LEGIT, LIND, 48, D_INDIRECT, 0);
	d->rd_sector = sector;
	d->rd_nsec = nsec;
	publish(d, LEGIT);
}

static void legit_post(struct vdev *d)
{
	if (d->kind == ID_BLK) {
		blk_post(d, 0, 1, false);
		return;
	}
	if (d->kind == ID_RNG) {
		fill(LDATA, 0xaa, 64);
		put_desc(DESC, LEGIT, LDATA, 64, D_WRITE, 0);
	} else {
		/* virtio_net_hdr_v1 (12 zero bytes), then a 60-byte broadcast
		 * frame of the local experimental ethertype 0x88b5. */
		fill(PKT, 0, 72);
		fill(PKT + 12, 0xff, 6);
		M8(PKT + 18) = 0x02;
		M8(PKT + 23) = 0x01;
		M8(PKT + 24) = 0x88;
		M8(PKT + 25) = 0xb5;
		put_desc(DESC, LEGIT, PKT, 72, 0, 0);
	}
	publish(d, LEGIT);
}

static bool sector_ok(uint32_t buf, uint64_t s)
{
	static const char tag[] = "VHVSECT";

	for (unsigned int i = 0; i < 7; i++)
		if (M8(buf + i) != (uint8_t)tag[i])
			return false;
	return M32(buf + 7) == (uint32_t)s;
}

/* Waits for the want-th completion of a legitimate request and checks it. */
static const char *legit_check(struct vdev *d, uint16_t want)
{
	uint8_t st = wait_used(d, want, 2000, true);
	uint32_t elem = USED + 4 + 8 * ((want - 1) & (d->qsize - 1));
	uint32_t len = M32(elem + 4);

	if (used_idx() != want)
		return st & S_NEEDS_RESET ? "NEEDS_RESET on a legitimate request" :
		       "a legitimate request did not complete in 2 s";
	if (M32(elem) != LEGIT)
		return "wrong head in the used ring";
	if (d->kind == ID_BLK) {
		if (M8(LSTAT) != BLK_OK || len != 512 * d->rd_nsec + 1)
			return "legitimate read did not return OK";
		for (unsigned int i = 0; i < d->rd_nsec; i++)
			if (!sector_ok(LDATA + 512 * i, d->rd_sector + i))
				return "sector read back without its VHVSECT pattern";
	} else if (d->kind == ID_RNG) {
		if (!len || len > 64 || filled(LDATA, 0xaa, len))
			return "no random bytes in a 64-byte buffer";
	}
	return 0;
}

/* Reset, bring-up and one ordinary request: the device works again. */
static const char *recover(struct vdev *d)
{
	if (!setup(d))
		return "legitimate bring-up after reset failed";
	legit_post(d);
	return legit_check(d, 1);
}

/* Prints the step's verdict, recovers, and remembers the first failure. */
static void verdict(struct vdev *d, const char *tag, const char *what,
		    const char *bad, const char *good)
{
	const char *rec = bad ? 0 : recover(d);
	unsigned int step = 0;

	for (const char *p = tag; *p >= '0' && *p <= '9'; p++)
		step = step * 10 + *p - '0';
	if (!bad && !rec) {
		say("hostile: %s %s %s: %s; recovered\n", d->name, tag, what, good);
		return;
	}
	if (bad)
		say("hostile: %s %s %s: FAIL: %s (status %x, used idx %u)\n",
		    d->name, tag, what, bad, status(d), used_idx());
	else
		say("hostile: %s %s %s: %s; FAIL: recovery: %s\n", d->name, tag,
		    what, good, rec);
	if (!first_fail)
		first_fail = d->fail_base + (step ? step : 12);
}

/*
 * After a malformed submission: NEEDS_RESET, at most max_used entries of
 * length 0 in the used ring, the canaries intact, and the queue now deaf.
 */
static const char *expect_broken(struct vdev *d, uint16_t max_used)
{
	uint8_t st = wait_used(d, max_used + 1, 1000, true);
	uint16_t u = used_idx();

	if (!(st & S_NEEDS_RESET))
		return u ? "the request was completed" : "no NEEDS_RESET within 1 s";
	if (u > max_used || (u && M32(USED + 8)))
		return "the used ring was written";
	if (!filled(DATA, 0x5a, 512) || !filled(ram_end - 256, 0x5a, 256))
		return "the device wrote into a buffer";
	legit_post(d);
	wait_used(d, u + 1, 50, false);
	if (used_idx() != u)
		return "the queue still served requests after NEEDS_RESET";
	return 0;
}

/* ---- steps 1-7: malformed chains ------------------------------------------------ */

enum { A_NONE, A_DATA, A_IND, A_IND2, A_HOLE, A_HIGH, A_WRAP, A_END };
#define HEAD_Q		0xfffe	/* head or next: the queue size */
#define HEAD_JUMP	0xffff	/* no entry: avail->idx jumps by 0x8000 */
#define W		(D_WRITE | D_NEXT)

struct attack {
	const char *tag, *what;
	uint16_t head;
	struct { uint8_t ind, idx, addr; uint32_t len; uint16_t flags, next; } e[3];
};

static const struct attack attacks[] = {
	{ "1a", "chain loops 0 -> 1 -> 0", 0,
	  { { 0, 0, A_DATA, 64, W, 1 }, { 0, 1, A_DATA, 64, W, 0 } } },
	{ "1b", "readable after writable", 0,
	  { { 0, 0, A_DATA, 64, W, 1 }, { 0, 1, A_DATA, 64, 0, 0 } } },
	{ "2a", "head index = queue size", HEAD_Q, { { 0 } } },
	{ "2b", "next index = queue size", 0, { { 0, 0, A_DATA, 64, W, HEAD_Q } } },
	{ "3a", "buffer at 0xfffff000", 0, { { 0, 0, A_HOLE, 512, D_WRITE, 0 } } },
	{ "3b", "buffer at 2^46", 0, { { 0, 0, A_HIGH, 512, D_WRITE, 0 } } },
	{ "3c", "buffer wrapping past 2^64", 0, { { 0, 0, A_WRAP, 512, D_WRITE, 0 } } },
	{ "4", "buffer running past the end of RAM", 0,
	  { { 0, 0, A_END, 512, D_WRITE, 0 } } },
	{ "5", "length 0xffffffff", 0, { { 0, 0, A_DATA, 0xffffffff, D_WRITE, 0 } } },
	{ "6", "avail idx jumps by 0x8000", HEAD_JUMP, { { 0 } } },
	{ "7a", "indirect length 17", 0, { { 0, 0, A_IND, 17, D_INDIRECT, 0 } } },
	{ "7b", "indirect length 0xfffffff0", 0,
	  { { 0, 0, A_IND, 0xfffffff0, D_INDIRECT, 0 } } },
	{ "7c", "nested indirect", 0, { { 0, 0, A_IND, 32, D_INDIRECT, 0 },
	  { 1, 0, A_IND2, 16, D_INDIRECT, 0 }, { 1, 1, A_DATA, 64, D_WRITE, 0 } } },
	{ "7d", "indirect table at 0xfffff000", 0,
	  { { 0, 0, A_HOLE, 16, D_INDIRECT, 0 } } },
	{ "7e", "indirect with NEXT", 0, { { 0, 0, A_IND, 16, D_INDIRECT | D_NEXT, 1 },
	  { 1, 0, A_DATA, 64, D_WRITE, 0 } } },
	{ "7f", "loop inside an indirect table", 0, { { 0, 0, A_IND, 32, D_INDIRECT, 0 },
	  { 1, 0, A_DATA, 64, W, 1 }, { 1, 1, A_DATA, 64, W, 0 } } },
};

static uint64_t attack_addr(uint8_t a)
{
	switch (a) {
	case A_DATA: return DATA;
	case A_IND: return IND;
	case A_IND2: return IND2;
	case A_HOLE: return 0xfffff000u;
	case A_HIGH: return BIT(46);
	case A_WRAP: return 0xffffffffffffff00ull;
	default: return ram_end - 256;
	}
}

static void run_attack(struct vdev *d, const struct attack *a)
{
	const char *bad = "legitimate bring-up failed";

	if (setup(d)) {
		fill(DATA, 0x5a, 512);
		fill(ram_end - 256, 0x5a, 256);
		fill(IND, 0, 0x1000);
		for (unsigned int i = 0; i < 3 && a->e[i].addr; i++)
			put_desc(a->e[i].ind ? IND : DESC, a->e[i].idx,
				 attack_addr(a->e[i].addr), a->e[i].len,
				 a->e[i].flags,
				 a->e[i].next == HEAD_Q ? d->qsize : a->e[i].next);
		if (a->head == HEAD_JUMP) {
			M16(AVAIL + 2) = 0x8000;
			mb();
			kick(d);
		} else {
			publish(d, a->head == HEAD_Q ? d->qsize : a->head);
		}
		bad = expect_broken(d, 0);
	}
	verdict(d, a->tag, a->what, bad,
		"NEEDS_RESET, nothing used or written, queue then ignored");
}

/* ---- step 8: virtio-blk requests ------------------------------------------------ */

enum { SEC_ZERO, SEC_CAP, SEC_CAP_M1, SEC_MAX, SEC_WRAP };
enum { BUF_DATA, BUF_END, BUF_BAR };

static const struct blk_case {
	const char *tag, *what;
	uint32_t type;
	uint8_t sector, buf, expect;
	bool no_status;
	uint16_t len;
} blk_cases[] = {
	{ "8a", "read at sector = capacity", T_IN, SEC_CAP, BUF_DATA, BLK_IOERR, false, 512 },
	{ "8b", "2-sector read from capacity - 1", T_IN, SEC_CAP_M1, BUF_DATA, BLK_IOERR, false, 1024 },
	{ "8c", "read into the page past RAM", T_IN, SEC_ZERO, BUF_END, EXPECT_RESET, false, 512 },
	{ "8d", "read into the device's own BAR", T_IN, SEC_ZERO, BUF_BAR, EXPECT_RESET, false, 512 },
	{ "8e", "write at sector 2^64 - 1", T_OUT, SEC_MAX, BUF_DATA, BLK_IOERR, false, 512 },
	{ "8f", "write at sector 2^55 (wraps to 0)", T_OUT, SEC_WRAP, BUF_DATA, BLK_IOERR, false, 512 },
	{ "8g", "request type 0x7777", 0x7777, SEC_ZERO, BUF_DATA, BLK_UNSUPP, false, 0 },
	{ "8h", "request without a status byte", T_IN, SEC_ZERO, BUF_DATA, EXPECT_RESET, true, 0 },
};

/* Links descriptor *i to a new one after it. */
static void append(unsigned int *i, uint32_t addr, uint32_t len, uint16_t flags)
{
	M16(DESC + 16 * *i + 12) |= D_NEXT;
	M16(DESC + 16 * *i + 14) = *i + 1;
	put_desc(DESC, ++*i, addr, len, flags, 0);
}

static void blk_attack(struct vdev *d, const struct blk_case *c)
{
	static const char *const names[] = { "OK", "IOERR", "UNSUPP" };
	uint64_t sectors[] = { 0, d->capacity, d->capacity - 1, ~0ull, BIT(55) };
	uint32_t buf = c->buf == BUF_END ? ram_end : c->buf == BUF_BAR ? d->common : DATA;
	const char *bad = "legitimate bring-up failed";
	unsigned int i = 0;
	uint8_t st;

	if (setup(d)) {
		fill(DATA, c->type == T_OUT ? 0xbd : 0x5a, 1024);
		fill(ram_end - 256, 0x5a, 256);
		blk_hdr(HDR, c->type, sectors[c->sector]);
		M8(STAT) = 0xff;
		put_desc(DESC, 0, HDR, 16, 0, 0);
		if (c->len)
			append(&i, buf, c->len, c->type == T_IN ? D_WRITE : 0);
		if (!c->no_status)
			append(&i, STAT, 1, D_WRITE);
		publish(d, 0);
		if (c->expect == EXPECT_RESET) {
			bad = expect_broken(d, c->no_status);
		} else {
			st = wait_used(d, 1, 2000, true);
			bad = 0;
			if (used_idx() != 1 || (st & S_NEEDS_RESET))
				bad = "the request did not complete normally";
			else if (M8(STAT) != c->expect || M32(USED + 8) != 1)
				bad = "wrong status byte or used length";
			else if (c->type == T_IN && !filled(DATA, 0x5a, c->len))
				bad = "data was read into the buffer";
		}
	}
	verdict(d, c->tag, c->what, bad, c->expect == EXPECT_RESET ?
		"NEEDS_RESET, no data, queue then ignored" : names[c->expect]);
}

/* ---- step 9: rings outside RAM -------------------------------------------------- */

static void ring_attack(struct vdev *d, unsigned int i)
{
	static const char *const what[] = {
		"descriptor table at 0xfffff000", "available ring at 2^40",
		"used ring across the end of RAM", "misaligned descriptor table",
		"used ring in the device's own BAR" };
	static const char tag[][3] = { "9a", "9b", "9c", "9d", "9e" };
	uint64_t desc = DESC, avail = AVAIL, used = USED;
	const char *bad = "negotiation failed";

	switch (i) {
	case 0: desc = 0xfffff000u; break;
	case 1: avail = BIT(40); break;
	case 2: used = ram_end - 8; break;
	case 3: desc = DESC + 8; break;
	default: used = d->common; break;
	}
	if (negotiate(d)) {
		rings_clear(d);
		fill(ram_end - 256, 0x5a, 256);
		bad = 0;
		if (queue_setup(d, desc, avail, used, d->qsize))
			bad = "queue_enable reads 1";
		else if (!(status(d) & S_NEEDS_RESET))
			bad = "no NEEDS_RESET at queue_enable";
	}
	if (!bad) {
		set_status(d, S_LIVE);
		legit_post(d);
		wait_used(d, 1, 50, false);
		if (used_idx())
			bad = "a request completed on the disabled queue";
		else if (!filled(ram_end - 256, 0x5a, 256))
			bad = "the device wrote at the end of RAM";
	}
	verdict(d, tag[i], what[i], bad,
		"NEEDS_RESET at queue_enable, queue stays off, kick ignored");
}

/* ---- step 10: common configuration ---------------------------------------------- */

static const char *cfg_select(struct vdev *d)
{
	uint16_t sel[] = { d->nq, 0x7fff, 0xffff };
	uint32_t cc = d->common;

	if (!negotiate(d))
		return "negotiation failed";
	for (unsigned int i = 0; i < 3; i++) {
		M16(cc + CC_Q_SELECT) = sel[i];
		if (M16(cc + CC_Q_SIZE))
			return "a missing queue reports a size";
		M16(cc + CC_Q_SIZE) = 4;
		write64(cc + CC_Q_DESC, 0xfffff000u);
		M16(cc + CC_Q_ENABLE) = 1;
		if (M16(cc + CC_Q_ENABLE))
			return "a missing queue enables";
	}
	M16(cc + CC_Q_SELECT) = d->q;
	if (M16(cc + CC_Q_SIZE) != d->qmax || M32(cc + CC_Q_DESC))
		return "writes to a missing queue reached a real one";
	return status(d) & S_NEEDS_RESET ? "NEEDS_RESET without cause" : 0;
}

static const char *cfg_size(struct vdev *d, uint16_t size)
{
	if (!negotiate(d))
		return "negotiation failed";
	rings_clear(d);
	if (queue_setup(d, DESC, AVAIL, USED, size))
		return "the queue enabled";
	return status(d) & S_NEEDS_RESET ? 0 : "no NEEDS_RESET at queue_enable";
}

static const char *cfg_msix(struct vdev *d)
{
	uint32_t cc = d->common;
	uint16_t n = d->msix_n;

	if (!negotiate(d))
		return "negotiation failed";
	M16(cc + CC_Q_SELECT) = d->q;
	M16(cc + CC_MSIX_CONFIG) = n;
	M16(cc + CC_Q_MSIX) = n;
	if (M16(cc + CC_MSIX_CONFIG) != NO_VECTOR || M16(cc + CC_Q_MSIX) != NO_VECTOR)
		return "a vector past the table was taken";
	M16(cc + CC_Q_MSIX) = 0x7ffe;
	if (M16(cc + CC_Q_MSIX) != NO_VECTOR)
		return "vector 0x7ffe was taken";
	M16(cc + CC_MSIX_CONFIG) = n - 1;
	M16(cc + CC_Q_MSIX) = 0;
	if (n && (M16(cc + CC_MSIX_CONFIG) != n - 1 || M16(cc + CC_Q_MSIX)))
		return "a vector inside the table was refused";
	return 0;
}

static const char *cfg_features(struct vdev *d)
{
	uint32_t cc = d->common;
	uint64_t good = good_features(d);
	int b = 63;

	while (b > 0 && (d->offered & BIT(b)))
		b--;
	if (!vreset(d))
		return "reset failed";
	set_status(d, S_ACK);
	set_status(d, S_ACK | S_DRIVER);
	M32(cc + CC_DFSELECT) = 0xffffffff;
	if (M32(cc + CC_DF))
		return "feature word 0xffffffff is not 0";
	drv_features(d, good & ~BIT(F_VERSION_1));
	set_status(d, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (status(d) & S_FEATURES_OK)
		return "FEATURES_OK without VERSION_1";
	drv_features(d, good | BIT(b));
	set_status(d, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (status(d) & S_FEATURES_OK)
		return "FEATURES_OK with a feature not offered";
	set_status(d, S_ACK | S_DRIVER | S_DRIVER_OK);
	if (status(d) & S_DRIVER_OK)
		return "DRIVER_OK before FEATURES_OK";
	drv_features(d, good);
	M32(cc + CC_GFSELECT) = 7;
	M32(cc + CC_GF) = 0xffffffff;
	set_status(d, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (!(status(d) & S_FEATURES_OK))
		return "good features refused after bad ones";
	set_status(d, S_ACK | S_DRIVER | S_FEATURES_OK | S_NEEDS_RESET);
	if (status(d) & S_NEEDS_RESET)
		return "the driver could set NEEDS_RESET";
	drv_features(d, 0);
	M32(cc + CC_GFSELECT) = 1;
	return M32(cc + CC_GF) != 1 ? "features changed after FEATURES_OK" : 0;
}

/* Writes a live device must ignore; then it must still serve requests. */
static const char *cfg_stray(struct vdev *d)
{
	uint32_t cc = d->common;

	if (!setup(d))
		return "legitimate bring-up failed";
	write64(cc + CC_Q_DESC, 0xfffff000u);
	M16(cc + CC_Q_SIZE) = 3;
	M16(cc + CC_Q_ENABLE) = 0;
	M16(cc + CC_NUM_QUEUES) = 0xffff;
	if (M32(cc + CC_Q_DESC) != DESC || M32(cc + CC_Q_DESC + 4) ||
	    M16(cc + CC_Q_SIZE) != d->qsize || M16(cc + CC_Q_ENABLE) != 1 ||
	    M16(cc + CC_NUM_QUEUES) != d->nq)
		return "queue fields changed while the queue was live";
	/* Past the notify region, the device config and the MSI-X table. */
	M32(d->notify + d->notify_len) = 0xffffffff;
	if (d->devcfg) {
		M32(d->devcfg) = 0xffffffff;
		M32(d->devcfg + d->devcfg_len) = 0xffffffff;
	}
	if (d->msix_tbl)
		M32(d->msix_tbl + 16 * d->msix_n) = 0xffffffff;
	if (d->isr)
		(void)M8(d->isr);
	if (d->kind == ID_BLK && M32(d->devcfg) != (uint32_t)d->capacity)
		return "the capacity changed";
	if (status(d) != S_LIVE)
		return "the status changed";
	legit_post(d);
	return legit_check(d, 1);
}

/* ---- one device ------------------------------------------------------------------ */

/* Walks the capability list for the virtio regions and MSI-X; NULL if usable. */
static const char *probe(struct vdev *d)
{
	unsigned int off, n;
	uint32_t cc;

	if (!(pci_rd(d->slot, 4) & BIT(16 + 4)))
		return "no capability list";
	off = pci_rd(d->slot, 0x34) & 0xfc;
	for (n = 0; off >= 0x40 && n < 48; n++) {
		uint32_t w0 = pci_rd(d->slot, off);
		uint32_t base, len;

		if ((w0 & 0xff) == 0x09) {
			base = bar_addr(d->slot, pci_rd(d->slot, off + 4) & 0xff);
			base = base ? base + pci_rd(d->slot, off + 8) : 0;
			len = pci_rd(d->slot, off + 12);
			switch (w0 >> 24) {
			case 1: d->common = base; break;
			case 2:
				d->notify = base;
				d->notify_len = len;
				d->notify_mult = pci_rd(d->slot, off + 16);
				break;
			case 3: d->isr = base; break;
			case 4: d->devcfg = base; d->devcfg_len = len; break;
			}
		} else if ((w0 & 0xff) == 0x11) {
			d->msix_n = ((w0 >> 16) & 0x7ff) + 1;
			base = pci_rd(d->slot, off + 4);
			d->msix_tbl = bar_addr(d->slot, base & 7);
			d->msix_tbl = d->msix_tbl ? d->msix_tbl + (base & ~7u) : 0;
		}
		off = (w0 >> 8) & 0xfc;
	}
	if (!d->common || !d->notify || (d->kind == ID_BLK && !d->devcfg))
		return "virtio regions missing or in a BAR above 4 GiB";
	if (!vreset(d))
		return "reset did not complete";
	cc = d->common;
	M32(cc + CC_DFSELECT) = 0;
	d->offered = M32(cc + CC_DF);
	M32(cc + CC_DFSELECT) = 1;
	d->offered |= (uint64_t)M32(cc + CC_DF) << 32;
	d->nq = M16(cc + CC_NUM_QUEUES);
	d->q = d->kind == ID_NET;
	M16(cc + CC_Q_SELECT) = d->q;
	d->qmax = M16(cc + CC_Q_SIZE);
	d->notify_off = M16(cc + CC_Q_NOTIFY_OFF);
	d->qsize = d->qmax < QSIZE ? d->qmax : QSIZE;
	if (d->kind == ID_BLK)
		d->capacity = M32(d->devcfg) | (uint64_t)M32(d->devcfg + 4) << 32;
	if (d->q >= d->nq || !d->qmax || (d->qmax & (d->qmax - 1)))
		return "queue missing or its size not a power of two";
	if (!(d->offered & BIT(F_VERSION_1)))
		return "VERSION_1 not offered";
	return d->kind == ID_BLK && d->capacity < 2 ? "disk under 2 sectors" : 0;
}

static void run_device(struct vdev *d)
{
	const char *bad = probe(d);
	unsigned int i;

	if (!bad)
		bad = recover(d);
	if (bad) {
		verdict(d, "0", "bring-up", bad, 0);
		return;
	}
	say("hostile: %s 0 bring-up: slot %u, %u queues of %u (using %u), features %q, MSI-X %u\n",
	    d->name, d->slot, d->nq, d->qmax, d->qsize, d->offered, d->msix_n);
	for (i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
		run_attack(d, &attacks[i]);
	if (d->kind == ID_BLK) {
		say("hostile: blk: capacity %q sectors\n", d->capacity);
		for (i = 0; i < sizeof(blk_cases) / sizeof(blk_cases[0]); i++)
			blk_attack(d, &blk_cases[i]);
	}
	for (i = 0; i < 5; i++)
		ring_attack(d, i);
	verdict(d, "10a", "missing queues selected", cfg_select(d),
		"size 0, writes ignored");
	verdict(d, "10b", "queue size 3", cfg_size(d, 3), "NEEDS_RESET, not enabled");
	verdict(d, "10c", "queue size 2 * max", cfg_size(d, 2 * d->qmax),
		"NEEDS_RESET, not enabled");
	verdict(d, "10d", "queue size 0", cfg_size(d, 0), "NEEDS_RESET, not enabled");
	verdict(d, "10e", "MSI-X vectors past the table", cfg_msix(d),
		"read back NO_VECTOR");
	verdict(d, "10f", "feature and status abuse", cfg_features(d),
		"refused, features fixed after FEATURES_OK");
	verdict(d, "10g", "stray writes to a live device", cfg_stray(d),
		"ignored, requests still served");
	bad = "legitimate bring-up failed";
	if (setup(d)) {
		if (d->kind == ID_BLK) {
			blk_post(d, 0, 2, d->offered & BIT(F_INDIRECT));
			bad = legit_check(d, 1);
			if (!bad) {
				blk_post(d, d->capacity - 1, 1, false);
				bad = legit_check(d, 2);
			}
		} else {
			legit_post(d);
			bad = legit_check(d, 1);
		}
	}
	verdict(d, "11", "final legitimate I/O", bad, d->kind == ID_BLK ?
		"sectors 0-1 (indirect) and the last read back their pattern" :
		"completed");
	vreset(d);
}

void hostile_main(uint32_t magic, uint32_t info)
{
	unsigned int slot, n, nblk = 0;
	uint32_t t0;

	say("hostile: start\n");
	if (magic != 0x2badb002u || !(M32(info) & 1)) {
		say("hostile: not entered by a Multiboot loader\n");
		finish(49);
	}
	ram_end = 0x100000 + M32(info + 8) * 1024;
	t0 = inl(PM_TIMER);
	for (n = 0; n < 100000 && inl(PM_TIMER) == t0; n++)
		;
	say("hostile: RAM below 4 GiB ends at %x; PM timer %s\n", ram_end,
	    inl(PM_TIMER) != t0 ? "running" : "stopped (waits bounded by polls)");
	for (slot = 1; slot < 32; slot++) {
		uint32_t id = pci_rd(slot, 0);
		struct vdev d = { .slot = slot };

		if ((id & 0xffff) != 0x1af4 || (id >> 16) < 0x1040)
			continue;
		d.kind = (id >> 16) - 0x1040;
		switch (d.kind) {
		case ID_BLK: d.name = "blk"; d.fail_base = 0; nblk++; break;
		case ID_RNG: d.name = "rng"; d.fail_base = 16; break;
		case ID_NET: d.name = "net"; d.fail_base = 32; break;
		default:
			say("hostile: slot %u: virtio device %u not attacked\n",
			    slot, d.kind);
			continue;
		}
		run_device(&d);
	}
	if (!nblk) {
		say("hostile: no virtio-blk found\n");
		if (!first_fail)
			first_fail = 48;
	}
	say("hostile: done: %s (code %u)\n", first_fail ? "FAILED" : "all attacks contained",
	    first_fail);
	finish(first_fail);
}
