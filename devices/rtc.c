/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The MC146818 RTC and its CMOS RAM.  Time is never stored in registers
 * while the clock runs: it is the host's CLOCK_REALTIME plus a whole number
 * of seconds the guest set, rendered in the guest's chosen format on every
 * read, so the guest clock ticks on the host's second boundaries.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/rtc.h"

#define CMOS_SIZE	128
#define CMOS_INDEX_MASK	0x7f	/* bit 7 of the index write is the NMI mask */

/* Clock and control registers. */
#define REG_SEC		0x00
#define REG_MIN		0x02
#define REG_HOUR	0x04
#define REG_WDAY	0x06
#define REG_MDAY	0x07
#define REG_MON		0x08
#define REG_YEAR	0x09
#define REG_A		0x0a
#define REG_B		0x0b
#define REG_C		0x0c
#define REG_D		0x0d

#define A_UIP		0x80
#define A_BOOT		0x26	/* 32.768 kHz time base, 1024 Hz rate */
#define B_SET		0x80
#define B_BINARY	0x04
#define B_24H		0x02
#define B_BOOT		B_24H
#define D_VRT		0x80	/* the battery is fine */
#define HOUR_PM		0x80	/* in 12-hour mode */

/*
 * UIP rises 244 us before each update (datasheet, 32.768 kHz base): a
 * reader that saw it clear has that long to read consistent registers.
 */
#define UIP_NS		244000

/* Memory sizes, the layout a PC BIOS leaves for boot loaders. */
#define CMOS_BASE_MEM	0x15	/* 0x15/0x16: KiB below 1 MiB */
#define CMOS_EXT_MEM	0x17	/* 0x17/0x18: KiB above 1 MiB (capped) */
#define CMOS_CKSUM	0x2e	/* 0x2e/0x2f: sum of 0x10-0x2d, high first */
#define CMOS_EXT_MEM2	0x30	/* 0x30/0x31: copy of 0x17/0x18 */
#define CMOS_MEM_16M	0x34	/* 0x34/0x35: 64 KiB units above 16 MiB */
#define CMOS_MEM_4G	0x5b	/* 0x5b-0x5d: 64 KiB units above 4 GiB */

struct rtc {
	struct vmm_vm *vm;

	pthread_mutex_t lock;	/* guards everything below */
	uint8_t index;
	/*
	 * Plain CMOS RAM, registers A and B and the alarms.  The clock
	 * bytes only hold the guest's values while B.SET freezes the clock.
	 */
	uint8_t cmos[CMOS_SIZE];
	int64_t offset;		/* guest clock - host clock, seconds */
};

static bool is_clock_reg(unsigned int reg)
{
	switch (reg) {
	case REG_SEC:
	case REG_MIN:
	case REG_HOUR:
	case REG_WDAY:
	case REG_MDAY:
	case REG_MON:
	case REG_YEAR:
	case RTC_CMOS_CENTURY:
		return true;
	default:
		return false;
	}
}

static bool frozen(const struct rtc *r)
{
	return r->cmos[REG_B] & B_SET;
}

static uint8_t to_reg(const struct rtc *r, unsigned int v)
{
	if (r->cmos[REG_B] & B_BINARY)
		return v;
	return (v / 10) << 4 | v % 10;
}

/* Any byte decodes to something: bad BCD digits are only large numbers. */
static int from_reg(const struct rtc *r, uint8_t v)
{
	if (r->cmos[REG_B] & B_BINARY)
		return v;
	return (v >> 4) * 10 + (v & 0x0f);
}

static int clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static struct timespec host_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts;
}

/* Renders the running clock into the clock bytes, in the current format. */
static void clock_snapshot(struct rtc *r, time_t host_sec)
{
	time_t t = host_sec + r->offset;
	struct tm tm;
	int hour;

	if (!gmtime_r(&t, &tm))
		memset(&tm, 0, sizeof(tm));
	r->cmos[REG_SEC] = to_reg(r, tm.tm_sec % 60);	/* no leap second */
	r->cmos[REG_MIN] = to_reg(r, tm.tm_min);
	hour = tm.tm_hour;
	if (r->cmos[REG_B] & B_24H)
		r->cmos[REG_HOUR] = to_reg(r, hour);
	else
		r->cmos[REG_HOUR] = to_reg(r, hour % 12 ? hour % 12 : 12) |
				    (hour >= 12 ? HOUR_PM : 0);
	r->cmos[REG_WDAY] = to_reg(r, tm.tm_wday + 1);
	r->cmos[REG_MDAY] = to_reg(r, tm.tm_mday);
	r->cmos[REG_MON] = to_reg(r, tm.tm_mon + 1);
	r->cmos[REG_YEAR] = to_reg(r, (tm.tm_year + 1900) % 100);
	r->cmos[RTC_CMOS_CENTURY] = to_reg(r, (tm.tm_year + 1900) / 100 % 100);
}

/*
 * The guest's clock bytes become the offset.  They are guest-written, so
 * each field is clamped to its range first; the day of the week is
 * derived, not trusted.
 */
static void clock_from_regs(struct rtc *r, time_t host_sec)
{
	uint8_t raw = r->cmos[REG_HOUR];
	struct tm tm = { 0 };
	int hour;

	if (r->cmos[REG_B] & B_24H) {
		hour = from_reg(r, raw);
	} else {
		hour = from_reg(r, raw & ~HOUR_PM);
		if (hour == 12)
			hour = 0;
		if (raw & HOUR_PM)
			hour += 12;
	}
	tm.tm_sec = clamp(from_reg(r, r->cmos[REG_SEC]), 0, 59);
	tm.tm_min = clamp(from_reg(r, r->cmos[REG_MIN]), 0, 59);
	tm.tm_hour = clamp(hour, 0, 23);
	tm.tm_mday = clamp(from_reg(r, r->cmos[REG_MDAY]), 1, 31);
	tm.tm_mon = clamp(from_reg(r, r->cmos[REG_MON]), 1, 12) - 1;
	tm.tm_year = clamp(from_reg(r, r->cmos[RTC_CMOS_CENTURY]), 0, 99) * 100 +
		     clamp(from_reg(r, r->cmos[REG_YEAR]), 0, 99) - 1900;
	r->offset = (int64_t)timegm(&tm) - host_sec;
}

static uint8_t cmos_read(struct rtc *r, unsigned int reg)
{
	struct timespec now;

	if (is_clock_reg(reg)) {
		if (!frozen(r))
			clock_snapshot(r, host_now().tv_sec);
		return r->cmos[reg];
	}
	switch (reg) {
	case REG_A:
		now = host_now();
		if (!frozen(r) && now.tv_nsec >= 1000000000 - UIP_NS)
			return r->cmos[REG_A] | A_UIP;
		return r->cmos[REG_A];
	case REG_C:
		return 0;	/* no interrupt flags: none are modelled */
	case REG_D:
		return D_VRT;
	default:
		return r->cmos[reg];
	}
}

static void reg_b_write(struct rtc *r, uint8_t v)
{
	bool was_frozen = frozen(r);
	time_t host_sec = host_now().tv_sec;

	r->cmos[REG_B] = v;
	if (!was_frozen && (v & B_SET))
		clock_snapshot(r, host_sec);	/* in the new format */
	else if (was_frozen && !(v & B_SET))
		clock_from_regs(r, host_sec);
}

static void cmos_write(struct rtc *r, unsigned int reg, uint8_t v)
{
	time_t host_sec;

	if (is_clock_reg(reg)) {
		if (frozen(r)) {
			r->cmos[reg] = v;
			return;
		}
		/* A write to the running clock moves it from now on. */
		host_sec = host_now().tv_sec;
		clock_snapshot(r, host_sec);
		r->cmos[reg] = v;
		clock_from_regs(r, host_sec);
		return;
	}
	switch (reg) {
	case REG_A:
		r->cmos[REG_A] = v & ~A_UIP;
		break;
	case REG_B:
		reg_b_write(r, v);
		break;
	case REG_C:
	case REG_D:
		break;		/* read-only */
	default:
		r->cmos[reg] = v;
		break;
	}
}

/* offset 0 is the index port, 1 the data port; wider accesses span both. */
static void rtc_io_read(void *opaque, uint64_t offset, uint8_t *data,
			uint32_t size)
{
	struct rtc *r = opaque;
	uint32_t i;

	pthread_mutex_lock(&r->lock);
	for (i = 0; i < size; i++)
		data[i] = offset + i == 1 ? cmos_read(r, r->index) : 0xff;
	pthread_mutex_unlock(&r->lock);
}

static void rtc_io_write(void *opaque, uint64_t offset, const uint8_t *data,
			 uint32_t size)
{
	struct rtc *r = opaque;
	uint32_t i;

	pthread_mutex_lock(&r->lock);
	for (i = 0; i < size && offset + i < 2; i++) {
		if (offset + i == 0)
			r->index = data[i] & CMOS_INDEX_MASK;
		else
			cmos_write(r, r->index, data[i]);
	}
	pthread_mutex_unlock(&r->lock);
}

static const struct vmm_io_ops rtc_io_ops = {
	.read = rtc_io_read,
	.write = rtc_io_write,
};

static void put16(uint8_t *p, uint64_t v, uint64_t max)
{
	v = v > max ? max : v;
	p[0] = v;
	p[1] = v >> 8;
}

static void cmos_fill_memory(struct rtc *r, uint64_t ram)
{
	uint64_t low = ram < VMM_LOW_RAM_END ? ram : VMM_LOW_RAM_END;
	uint64_t high = ram - low;
	uint64_t ext = low > (1ull << 20) ? (low - (1ull << 20)) >> 10 : 0;
	uint64_t ext16 = low > (16ull << 20) ? (low - (16ull << 20)) >> 16 : 0;
	uint64_t high64k = high >> 16;
	unsigned int i, sum = 0;

	put16(&r->cmos[CMOS_BASE_MEM], 640, 0xffff);
	put16(&r->cmos[CMOS_EXT_MEM], ext, 0xffff);
	put16(&r->cmos[CMOS_EXT_MEM2], ext, 0xffff);
	put16(&r->cmos[CMOS_MEM_16M], ext16, 0xffff);
	if (high64k > 0xffffff)
		high64k = 0xffffff;
	r->cmos[CMOS_MEM_4G] = high64k;
	r->cmos[CMOS_MEM_4G + 1] = high64k >> 8;
	r->cmos[CMOS_MEM_4G + 2] = high64k >> 16;
	for (i = 0x10; i < CMOS_CKSUM; i++)
		sum += r->cmos[i];
	r->cmos[CMOS_CKSUM] = sum >> 8;
	r->cmos[CMOS_CKSUM + 1] = sum;
}

static void rtc_destroy(void *opaque)
{
	struct rtc *r = opaque;

	pthread_mutex_destroy(&r->lock);
	free(r);
}

int rtc_create(struct vmm_vm *vm, struct rtc **out)
{
	struct rtc *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return vmm_set_error(vm, -ENOMEM, "rtc: out of memory");
	r->vm = vm;
	r->cmos[REG_A] = A_BOOT;
	r->cmos[REG_B] = B_BOOT;
	cmos_fill_memory(r, vmm_ram_size(vm));
	err = -pthread_mutex_init(&r->lock, NULL);
	if (err) {
		vmm_set_error(vm, err, "rtc: mutex: %s", strerror(-err));
		goto err_free;
	}
	err = vmm_io_register(vm, VMM_SPACE_PIO, RTC_INDEX_PORT, 2, &rtc_io_ops,
			      r, "rtc");
	if (err)
		goto err_mutex;
	err = vmm_device_add(vm, "rtc", rtc_destroy, r);
	if (err)
		goto err_unregister;
	if (out)
		*out = r;
	return 0;

err_unregister:
	vmm_io_unregister(vm, VMM_SPACE_PIO, RTC_INDEX_PORT);
err_mutex:
	pthread_mutex_destroy(&r->lock);
err_free:
	free(r);
	return err;
}
