/* SPDX-License-Identifier: GPL-2.0 */
/* Unit tests for devices/rtc.c: clock formats, SET, CMOS memory sizes. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/rtc.h"
#include "selftests/unit/fake_vmm.h"

/* ---- helpers ------------------------------------------------------------ */

static void make(uint64_t ram)
{
	struct rtc *r = NULL;

	fake_vmm_setup(0);
	fk.ram_size = ram;		/* vmm_ram_size(), with no RAM behind it */
	assert_int_equal(rtc_create(&fake_vm, &r), 0);
	assert_non_null(r);
	assert_int_equal(fk.nr_dev, 1);
	assert_ptr_equal(fk.dev[0].opaque, r);
	assert_int_equal(fake_io_single()->space, VMM_SPACE_PIO);
	assert_true(fk.r[0].base == 0x70 && fk.r[0].len == 2);
}

static void destroy(void)
{
	fake_vmm_destroy_devices();
}

static uint8_t inb(unsigned int port)
{
	struct fake_range *r = fake_io_single();
	uint8_t b = 0;

	r->ops->read(r->opaque, port - 0x70, &b, 1);
	return b;
}

static void outb(unsigned int port, uint8_t v)
{
	struct fake_range *r = fake_io_single();

	r->ops->write(r->opaque, port - 0x70, &v, 1);
}

static uint8_t cmos(uint8_t idx)
{
	outb(0x70, idx);
	return inb(0x71);
}

static void cmos_set(uint8_t idx, uint8_t v)
{
	outb(0x70, idx);
	outb(0x71, v);
}

static int bcd(uint8_t v)
{
	assert_true((v & 0x0f) < 10 && (v >> 4) < 10);
	return (v >> 4) * 10 + (v & 0x0f);
}

struct clock {
	int sec, min, hour, wday, mday, mon, year;	/* year: full */
};

/* The clock as the guest sees it, decoded per status B. */
static struct clock read_clock(void)
{
	uint8_t b = cmos(0x0b);
	int (*dec)(uint8_t) = (b & 0x04) ? NULL : bcd;
	uint8_t raw[10], cent, h;
	struct clock c;
	int i;

	for (i = 0; i < 10; i++)
		raw[i] = cmos(i);
	cent = cmos(0x32);
#define D(x) (dec ? dec(x) : (x))
	c.sec = D(raw[0]);
	c.min = D(raw[2]);
	h = raw[4];
	if (b & 0x02) {
		c.hour = D(h);
	} else {
		c.hour = D(h & 0x7f);
		assert_true(c.hour >= 1 && c.hour <= 12);
		c.hour = (c.hour % 12) + ((h & 0x80) ? 12 : 0);
	}
	c.wday = D(raw[6]);
	c.mday = D(raw[7]);
	c.mon = D(raw[8]);
	c.year = D(cent) * 100 + D(raw[9]);
#undef D
	return c;
}

static time_t clock_time(const struct clock *c)
{
	struct tm tm = {
		.tm_sec = c->sec, .tm_min = c->min, .tm_hour = c->hour,
		.tm_mday = c->mday, .tm_mon = c->mon - 1,
		.tm_year = c->year - 1900,
	};

	return timegm(&tm);
}

/* time() may lag CLOCK_REALTIME by a tick: ask the clock the device uses. */
static time_t now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

/* Reads the clock within one host second and checks every field. */
static void check_host_clock(void)
{
	struct clock c;
	struct tm tm;
	time_t t0, t1;
	int tries = 0;

	do {
		assert_true(tries++ < 5);
		t0 = now();
		c = read_clock();
		t1 = now();
	} while (t0 != t1);
	gmtime_r(&t0, &tm);
	assert_int_equal(c.sec, tm.tm_sec);
	assert_int_equal(c.min, tm.tm_min);
	assert_int_equal(c.hour, tm.tm_hour);
	assert_int_equal(c.wday, tm.tm_wday + 1);
	assert_int_equal(c.mday, tm.tm_mday);
	assert_int_equal(c.mon, tm.tm_mon + 1);
	assert_int_equal(c.year, tm.tm_year + 1900);
}

/* ---- tests -------------------------------------------------------------- */

static void test_bcd_time(void **state)
{
	(void)state;
	make(512ull << 20);
	assert_int_equal(cmos(0x0b), 0x02);	/* BCD, 24 h */
	check_host_clock();
	destroy();
}

static void test_binary_time(void **state)
{
	(void)state;
	make(512ull << 20);
	cmos_set(0x0b, 0x06);
	assert_int_equal(cmos(0x0b), 0x06);
	check_host_clock();
	destroy();
}

/* Sets the clock through SET, in the current format. */
static void set_clock(uint8_t sec, uint8_t min, uint8_t hour, uint8_t mday,
		      uint8_t mon, uint8_t year, uint8_t cent)
{
	uint8_t b = cmos(0x0b);

	cmos_set(0x0b, b | 0x80);
	cmos_set(0x00, sec);
	cmos_set(0x02, min);
	cmos_set(0x04, hour);
	cmos_set(0x07, mday);
	cmos_set(0x08, mon);
	cmos_set(0x09, year);
	cmos_set(0x32, cent);
	cmos_set(0x0b, b);
}

static void test_12h(void **state)
{
	(void)state;
	make(512ull << 20);
	cmos_set(0x0b, 0x00);			/* BCD, 12 h */
	check_host_clock();
	set_clock(0x10, 0x30, 0x12, 0x15, 0x06, 0x24, 0x20);	/* 00:30 */
	assert_int_equal(cmos(0x04), 0x12);	/* 12 AM */
	set_clock(0x10, 0x30, 0x92, 0x15, 0x06, 0x24, 0x20);
	assert_int_equal(cmos(0x04), 0x92);	/* 12 PM */
	cmos_set(0x0b, 0x02);
	assert_int_equal(cmos(0x04), 0x12);	/* noon, 24 h */
	set_clock(0x10, 0x30, 0x13, 0x15, 0x06, 0x24, 0x20);
	cmos_set(0x0b, 0x00);
	assert_int_equal(cmos(0x04), 0x81);	/* 1 PM */
	cmos_set(0x0b, 0x04);			/* binary, 12 h */
	assert_int_equal(cmos(0x04), 0x81);
	set_clock(0, 30, 0x80 | 11, 15, 6, 24, 20);
	cmos_set(0x0b, 0x06);
	assert_int_equal(cmos(0x04), 23);
	destroy();
}

static void test_set_bit(void **state)
{
	struct clock c;
	time_t t;

	(void)state;
	make(512ull << 20);
	/* SET freezes: the bytes read back what was written, no UIP. */
	cmos_set(0x0b, 0x82);
	cmos_set(0x00, 0x59);
	usleep(1100 * 1000);
	assert_int_equal(cmos(0x00), 0x59);
	assert_int_equal(cmos(0x0a) & 0x80, 0);
	cmos_set(0x00, 0x06);
	cmos_set(0x02, 0x05);
	cmos_set(0x04, 0x04);
	cmos_set(0x06, 0x07);			/* a wrong weekday: derived */
	cmos_set(0x07, 0x03);
	cmos_set(0x08, 0x02);
	cmos_set(0x09, 0x01);
	cmos_set(0x32, 0x20);
	cmos_set(0x0b, 0x02);
	/* Running again from 2001-02-03 04:05:06, a Saturday. */
	c = read_clock();
	assert_true(c.sec == 6 || c.sec == 7);
	assert_int_equal(c.min, 5);
	assert_int_equal(c.hour, 4);
	assert_int_equal(c.mday, 3);
	assert_int_equal(c.mon, 2);
	assert_int_equal(c.year, 2001);
	assert_int_equal(c.wday, 7);
	/* The offset is kept against the host clock: it keeps ticking. */
	usleep(1100 * 1000);
	t = clock_time(&c);
	c = read_clock();
	assert_true(clock_time(&c) - t >= 1 && clock_time(&c) - t <= 2);
	/* A write to the running clock moves just that field. */
	cmos_set(0x09, 0x30);
	c = read_clock();
	assert_int_equal(c.year, 2030);
	assert_int_equal(c.mon, 2);
	assert_int_equal(c.hour, 4);
	/* The earliest date the registers can say. */
	set_clock(0, 0, 0, 1, 1, 0, 0);
	c = read_clock();
	assert_int_equal(c.year, 0);
	assert_int_equal(c.mon, 1);
	assert_int_equal(c.mday, 1);
	destroy();
}

static void test_index(void **state)
{
	uint8_t w[2];

	(void)state;
	make(512ull << 20);
	outb(0x70, 0x80 | 0x40);		/* NMI mask bit set */
	outb(0x71, 0x5a);
	assert_int_equal(cmos(0x40), 0x5a);
	assert_int_equal(cmos(0xc0), 0x5a);
	assert_int_equal(inb(0x70), 0xff);	/* the index port is write-only */
	/* A 16-bit write: index to 0x70, data to 0x71. */
	w[0] = 0x41;
	w[1] = 0xa5;
	fk.r[0].ops->write(fk.r[0].opaque, 0, w, 2);
	assert_int_equal(cmos(0x41), 0xa5);
	memset(w, 0, sizeof(w));
	outb(0x70, 0x41);
	fk.r[0].ops->read(fk.r[0].opaque, 0, w, 2);
	assert_int_equal(w[0], 0xff);
	assert_int_equal(w[1], 0xa5);
	destroy();
}

static void test_status_regs(void **state)
{
	unsigned int i;

	(void)state;
	make(512ull << 20);
	assert_int_equal(cmos(0x0a) & 0x7f, 0x26);
	cmos_set(0x0a, 0xff);
	assert_int_equal(cmos(0x0a) & 0x7f, 0x7f);
	assert_int_equal(cmos(0x0c), 0x00);
	cmos_set(0x0c, 0xff);
	assert_int_equal(cmos(0x0c), 0x00);
	assert_int_equal(cmos(0x0d), 0x80);
	cmos_set(0x0d, 0x00);
	assert_int_equal(cmos(0x0d), 0x80);
	cmos_set(0x0b, 0x72);			/* interrupt enables kept */
	assert_int_equal(cmos(0x0b), 0x72);
	/* UIP, when seen, is seen only near a second boundary. */
	for (i = 0; i < 100000; i++) {
		struct timespec ts;

		if (!(cmos(0x0a) & 0x80))
			continue;
		clock_gettime(CLOCK_REALTIME, &ts);
		assert_true(ts.tv_nsec >= 999000000 || ts.tv_nsec < 1000000);
	}
	destroy();
}

static uint16_t cmos16(uint8_t idx)
{
	return cmos(idx) | cmos(idx + 1) << 8;
}

static uint32_t cmos24(uint8_t idx)
{
	return cmos(idx) | cmos(idx + 1) << 8 | (uint32_t)cmos(idx + 2) << 16;
}

static void check_memory(uint64_t ram, uint16_t ext, uint16_t ext16,
			 uint32_t high)
{
	unsigned int i, sum = 0;

	make(ram);
	assert_int_equal(cmos16(0x15), 640);
	assert_int_equal(cmos16(0x17), ext);
	assert_int_equal(cmos16(0x30), ext);
	assert_int_equal(cmos16(0x34), ext16);
	assert_int_equal(cmos24(0x5b), high);
	for (i = 0x10; i < 0x2e; i++)
		sum += cmos(i);
	assert_int_equal(cmos(0x2e) << 8 | cmos(0x2f), sum);
	destroy();
}

static void test_memory_sizes(void **state)
{
	(void)state;
	check_memory(16ull << 20, 15 * 1024, 0, 0);
	check_memory(32ull << 20, 31 * 1024, 16 * 16, 0);
	check_memory(512ull << 20, 0xffff, (512 - 16) * 16, 0);
	check_memory(3ull << 30, 0xffff, (3072 - 16) * 16, 0);
	check_memory(4ull << 30, 0xffff, (3072 - 16) * 16, 1 << 14);
	check_memory(5ull << 30, 0xffff, (3072 - 16) * 16, 2 << 14);
	check_memory(2ull << 40, 0xffff, (3072 - 16) * 16, 0xffffff);
}

/* Garbage in every byte: nothing breaks, the clock stays readable. */
static void test_hostile(void **state)
{
	unsigned int i;
	struct clock c;

	(void)state;
	make(512ull << 20);
	cmos_set(0x0b, 0x82);
	for (i = 0; i < 0x0a; i++)
		cmos_set(i, 0xff);
	cmos_set(0x32, 0xff);
	cmos_set(0x0b, 0x02);
	c = read_clock();
	assert_true(c.year >= 0 && c.year <= 9999);
	for (i = 0; i < 256; i++) {
		cmos_set(i, i);
		cmos(i);
	}
	cmos_set(0x0b, 0x02);
	c = read_clock();
	assert_true(c.year >= 0 && c.year <= 9999);
	destroy();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bcd_time),
		cmocka_unit_test(test_binary_time),
		cmocka_unit_test(test_12h),
		cmocka_unit_test(test_set_bit),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_status_regs),
		cmocka_unit_test(test_memory_sizes),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
