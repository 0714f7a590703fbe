// SPDX-License-Identifier: GPL-2.0
/* bzImage header checks: synthetic images for each check, and the distro's. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/bzimage.h"

#define SETUP_SECTS	3
#define KERNEL_BYTES	0x4000

static void put(uint8_t *p, uint32_t v, int n)
{
	while (n--) {
		*p++ = v;
		v >>= 8;
	}
}

/* A minimal image a 2.15 loader would accept. */
static uint8_t *make_image(size_t *len)
{
	size_t setup = (SETUP_SECTS + 1) * 512;
	uint8_t *img = calloc(1, setup + KERNEL_BYTES);

	*len = setup + KERNEL_BYTES;
	img[HDR_SETUP_SECTS] = SETUP_SECTS;
	put(img + HDR_SYSSIZE, KERNEL_BYTES / 16, 4);
	put(img + HDR_BOOT_FLAG, 0xaa55, 2);
	img[HDR_JUMP] = 0xeb;
	img[HDR_JUMP + 1] = 0x6a;	/* header ends at 0x26c */
	memcpy(img + HDR_MAGIC, "HdrS", 4);
	put(img + HDR_VERSION, 0x020f, 2);
	img[HDR_LOADFLAGS] = LOADFLAG_LOADED_HIGH;
	put(img + HDR_INITRD_ADDR_MAX, 0x7fffffff, 4);
	put(img + HDR_KERNEL_ALIGNMENT, 0x200000, 4);
	img[HDR_RELOCATABLE] = 1;
	put(img + HDR_XLOADFLAGS, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G, 2);
	put(img + HDR_CMDLINE_SIZE, 2047, 4);
	put(img + HDR_PREF_ADDRESS, 0x1000000, 4);
	put(img + HDR_INIT_SIZE, 0x100000, 4);
	return img;
}

static int parse(const uint8_t *img, size_t len, struct bzimage_info *bz,
		 char *why)
{
	return bzimage_parse(img, len, bz, why, 128);
}

static void test_good(void **state)
{
	struct bzimage_info bz;
	char why[128];
	size_t len;
	uint8_t *img = make_image(&len);

	(void)state;
	assert_int_equal(parse(img, len, &bz, why), 0);
	assert_int_equal(bz.version, 0x020f);
	assert_int_equal(bz.setup_size, (SETUP_SECTS + 1) * 512);
	assert_int_equal(bz.kernel_size, KERNEL_BYTES);
	assert_int_equal(bz.header_end, 0x26c);
	assert_int_equal(bz.pref_address, 0x1000000);
	assert_int_equal(bz.init_size, 0x100000);
	assert_int_equal(bz.cmdline_size, 2047);
	assert_true(bz.relocatable);
	free(img);
}

static void expect(uint8_t *img, size_t len, int err, const char *words)
{
	struct bzimage_info bz;
	char why[128] = "";

	assert_int_equal(parse(img, len, &bz, why), err);
	if (!strstr(why, words))
		fail_msg("message \"%s\" lacks \"%s\"", why, words);
}

static void test_bad(void **state)
{
	size_t len;
	uint8_t *img;

	(void)state;
	img = make_image(&len);
	expect(img, 0x200, -EINVAL, "too short");
	img[HDR_BOOT_FLAG] = 0;
	expect(img, len, -EINVAL, "0xaa55");
	free(img);

	img = make_image(&len);
	img[HDR_MAGIC] = 'X';
	expect(img, len, -EINVAL, "HdrS");
	free(img);

	img = make_image(&len);
	put(img + HDR_VERSION, 0x020a, 2);
	expect(img, len, -ENOEXEC, "2.10 is too old");
	free(img);

	img = make_image(&len);
	put(img + HDR_XLOADFLAGS, 0, 2);
	expect(img, len, -ENOEXEC, "XLF_KERNEL_64");
	free(img);

	img = make_image(&len);
	img[HDR_LOADFLAGS] = 0;
	expect(img, len, -ENOEXEC, "zImage");
	free(img);

	img = make_image(&len);
	expect(img, (SETUP_SECTS + 1) * 512, -EFBIG, "inside the setup");
	expect(img, len - 16, -EFBIG, "syssize");
	free(img);

	img = make_image(&len);
	img[HDR_JUMP + 1] = 0x10;	/* header would end before init_size */
	expect(img, len, -ENODATA, "setup header length");
	free(img);

	img = make_image(&len);
	put(img + HDR_INIT_SIZE, 0x100, 4);
	expect(img, len, -ENODATA, "init_size");
	free(img);

	img = make_image(&len);
	put(img + HDR_KERNEL_ALIGNMENT, 0x300000, 4);
	expect(img, len, -ENODATA, "power of two");
	free(img);
}

/* Every installed distro kernel parses; each truncated copy does not. */
static void test_distro_kernels(void **state)
{
	struct dirent *de;
	int seen = 0;
	DIR *d = opendir("/boot");

	(void)state;
	if (!d)
		fail_msg("/boot: cannot read it");
	while ((de = readdir(d))) {
		struct bzimage_info bz;
		char path[512], why[128];
		uint8_t *img;
		long len;
		FILE *f;

		if (strncmp(de->d_name, "vmlinuz-", 8))
			continue;
		snprintf(path, sizeof(path), "/boot/%s", de->d_name);
		f = fopen(path, "rb");
		if (!f)
			continue;
		fseek(f, 0, SEEK_END);
		len = ftell(f);
		rewind(f);
		img = malloc(len);
		assert_int_equal(fread(img, 1, len, f), (size_t)len);
		fclose(f);
		assert_int_equal(parse(img, len, &bz, why), 0);
		assert_true(bz.version >= 0x020c);
		assert_true(bz.xloadflags & XLF_KERNEL_64);
		assert_true(bz.init_size > bz.kernel_size);
		assert_int_equal(parse(img, len / 2, &bz, why), -EFBIG);
		free(img);
		seen++;
	}
	closedir(d);
	if (!seen)
		fail_msg("no /boot/vmlinuz-* to check (tools/deps installs them)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_distro_kernels),
	};

	return cmocka_run_group_tests_name("bzimage", tests, NULL, NULL);
}
