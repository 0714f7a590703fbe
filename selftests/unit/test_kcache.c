// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel cache and the decompressed-kernel loader: every installed
 * distro bzImage decompresses, parses and relocates (and relocates back
 * to the same bytes); corrupt payloads, images and cache files are
 * refused; entries round-trip, are pruned, and the detached filler
 * produces the same entry as a synchronous decompression.  The cache
 * trusts nothing it did not write: keys are SHA-256, an entry's contents
 * are verified on read, a directory someone else could write (or reached
 * through a symbolic link) is refused, and a payload that asks for more
 * decompression memory than the bound is refused.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <lzma.h>
#include <cmocka.h>

#include "vmm/bzimage.h"
#include "vmm/kcache.h"
#include "vmm/vmlinux.h"

struct kernel {
	char path[512];
	uint8_t *img;
	size_t len;
	const uint8_t *payload;
	size_t payload_len;
	uint8_t *vmlinux;
	size_t vmlinux_len;
};

static struct kernel kernels[4];
static unsigned int nr_kernels;

static uint8_t *read_all(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = malloc(n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	fclose(f);
	*len = n;
	return buf;
}

/* Loads and decompresses every /boot/vmlinuz-* once, for all tests. */
static int setup_kernels(void **state)
{
	struct bzimage_info bz;
	struct dirent *de;
	char why[128];
	uint32_t off, plen;
	DIR *d = opendir("/boot");

	(void)state;
	if (!d)
		return -1;
	while ((de = readdir(d)) && nr_kernels < 4) {
		struct kernel *k = &kernels[nr_kernels];

		if (strncmp(de->d_name, "vmlinuz-", 8))
			continue;
		snprintf(k->path, sizeof(k->path), "/boot/%s", de->d_name);
		k->img = read_all(k->path, &k->len);
		if (bzimage_parse(k->img, k->len, &bz, why, sizeof(why)))
			return -1;
		memcpy(&off, k->img + HDR_PAYLOAD_OFFSET, 4);
		memcpy(&plen, k->img + HDR_PAYLOAD_LENGTH, 4);
		k->payload = k->img + bz.setup_size + off;
		k->payload_len = plen;
		if (kcache_decompress(k->payload, plen, &k->vmlinux,
				      &k->vmlinux_len, why, sizeof(why))) {
			fprintf(stderr, "%s: %s\n", k->path, why);
			return -1;
		}
		nr_kernels++;
	}
	closedir(d);
	return nr_kernels ? 0 : -1;
}

static int teardown_kernels(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < nr_kernels; i++) {
		free(kernels[i].img);
		free(kernels[i].vmlinux);
	}
	return 0;
}

static void test_key(void **state)
{
	uint8_t buf[100];
	struct kcache_key a, b, c;
	char name[80];

	(void)state;
	memset(buf, 0x5a, sizeof(buf));
	kcache_key(buf, sizeof(buf), &a);
	kcache_key(buf, sizeof(buf), &b);
	assert_memory_equal(&a, &b, sizeof(a));
	buf[97] ^= 1;			/* in the tail, past the last word */
	kcache_key(buf, sizeof(buf), &c);
	assert_memory_not_equal(&a, &c, sizeof(a));
	buf[97] ^= 1;
	buf[3] ^= 0x80;
	kcache_key(buf, sizeof(buf), &c);
	assert_memory_not_equal(&a, &c, sizeof(a));
	buf[3] ^= 0x80;
	kcache_key(buf, sizeof(buf) - 1, &c);
	assert_memory_not_equal(&a, &c, sizeof(a));
	kcache_name(&a, name);
	assert_int_equal(strlen(name), 72);
	assert_string_equal(name + 64, ".vmlinux");
}

/* The key is SHA-256 (FIPS 180-2's "abc" vector), not a home-made hash. */
static void test_key_is_sha256(void **state)
{
	struct kcache_key k;
	char name[80];

	(void)state;
	kcache_key((const uint8_t *)"abc", 3, &k);
	kcache_name(&k, name);
	assert_string_equal(name,
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad.vmlinux");
}

/* Lays the segments out as libvmm does in guest memory. */
static uint8_t *layout(const struct kernel *k, const struct vmlinux_info *vi)
{
	uint8_t *img = calloc(1, vi->span);
	unsigned int i;

	assert_non_null(img);
	for (i = 0; i < vi->nr_segs; i++)
		memcpy(img + vi->seg[i].paddr - vi->base,
		       k->vmlinux + vi->seg[i].offset, vi->seg[i].filesz);
	return img;
}

static void test_distro_layout_and_relocation(void **state)
{
	unsigned int i;

	(void)state;
	for (i = 0; i < nr_kernels; i++) {
		const struct kernel *k = &kernels[i];
		struct vmlinux_info vi;
		uint64_t delta, off, before, after;
		uint8_t *img, *orig;
		char why[128];

		assert_int_equal(vmlinux_parse(k->vmlinux, k->vmlinux_len, &vi,
					       why, sizeof(why)), 0);
		/* Distro x86-64 kernels: linked at 16 MiB, KASLR relocations. */
		assert_int_equal(vi.base, 0x1000000);
		assert_true(vi.entry < vi.span);
		assert_true(vi.nr_tables == 2 || vi.nr_tables == 3);
		assert_true(vi.nr_rel64 > 1000 && vi.nr_rel32 > 1000);

		/* Each slot is 2 MiB aligned and keeps the image in 1 GiB. */
		assert_int_equal(vmlinux_virt_delta(&vi, 0x200000, 0), 0);
		delta = vmlinux_virt_delta(&vi, 0x200000, ~0ull);
		assert_int_equal(delta % 0x200000, 0);
		assert_true(vi.base + delta + vi.span <= VMLINUX_KASLR_AREA);
		delta = vmlinux_virt_delta(&vi, 0x200000, 12345);
		assert_true(delta > 0);

		orig = layout(k, &vi);
		img = layout(k, &vi);
		off = (uint64_t)(int64_t)(int32_t)vi.rel64[0] -
		      VMLINUX_START_KERNEL_MAP - vi.base;
		memcpy(&before, img + off, 8);
		assert_int_equal(vmlinux_relocate(img, &vi, delta), 0);
		memcpy(&after, img + off, 8);
		assert_int_equal(after, before + delta);
		assert_memory_not_equal(img, orig, vi.span);
		/* Moving back by -delta restores every byte. */
		assert_int_equal(vmlinux_relocate(img, &vi, -delta), 0);
		assert_memory_equal(img, orig, vi.span);
		/* Unaligned offsets are refused. */
		assert_int_equal(vmlinux_relocate(img, &vi, 0x1000), -EINVAL);
		free(img);
		free(orig);
	}
}

static void test_bad_images(void **state)
{
	const struct kernel *k = &kernels[0];
	struct vmlinux_info vi;
	uint8_t *copy;
	char why[128];
	size_t rel_end;

	(void)state;
	assert_int_equal(vmlinux_parse(k->vmlinux, 16, &vi, why, sizeof(why)),
			 -ENOEXEC);
	copy = malloc(k->vmlinux_len);
	memcpy(copy, k->vmlinux, k->vmlinux_len);
	copy[4] = 1;			/* ELFCLASS32 */
	assert_int_equal(vmlinux_parse(copy, k->vmlinux_len, &vi, why,
				       sizeof(why)), -ENOEXEC);
	memcpy(copy, k->vmlinux, k->vmlinux_len);
	/* Truncated inside a segment. */
	assert_int_equal(vmlinux_parse(copy, k->vmlinux_len / 2, &vi, why,
				       sizeof(why)), -ENOEXEC);
	/* A 32-bit relocation (the last word) pointing outside the image. */
	rel_end = k->vmlinux_len - 4;
	memcpy(copy + rel_end, &(uint32_t){ 0x7ffff000 }, 4);
	assert_int_equal(vmlinux_parse(copy, k->vmlinux_len, &vi, why,
				       sizeof(why)), -EINVAL);
	assert_non_null(strstr(why, "outside"));
	/* The restored copy parses again. */
	memcpy(copy, k->vmlinux, k->vmlinux_len);
	assert_int_equal(vmlinux_parse(copy, k->vmlinux_len, &vi, why,
				       sizeof(why)), 0);
	free(copy);
}

static void test_bad_payloads(void **state)
{
	const struct kernel *k = &kernels[0];
	uint8_t *copy, *out = NULL;
	size_t out_len;
	char why[128];

	(void)state;
	copy = malloc(k->payload_len);
	memcpy(copy, k->payload, k->payload_len);
	copy[k->payload_len / 2] ^= 0xff;
	assert_int_equal(kcache_decompress(copy, k->payload_len, &out, &out_len,
					   why, sizeof(why)), -EINVAL);
	assert_null(out);
	/* Truncated: the size trailer is gone, the stream ends early. */
	assert_int_not_equal(kcache_decompress(k->payload, k->payload_len / 2,
					       &out, &out_len, why, sizeof(why)), 0);
	memcpy(copy, "BZh9", 4);	/* bzip2: not supported */
	assert_int_equal(kcache_decompress(copy, k->payload_len, &out, &out_len,
					   why, sizeof(why)), -EOPNOTSUPP);
	assert_int_equal(kcache_decompress(copy, 8, &out, &out_len, why,
					   sizeof(why)), -EINVAL);
	free(copy);
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/vhv-kcache-XXXXXX");

	assert_non_null(mkdtemp(d));
	return d;
}

static void rm_rf(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_store_map_prune(void **state)
{
	char *dir = tmpdir(), sub[512], path[600], name[KCACHE_NAME_MAX];
	uint8_t data[5000], *buf;
	struct kcache_key key[6], other;
	uint8_t *got;
	size_t len, flen;
	unsigned int i, present = 0;
	FILE *f;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/a/b", dir);	/* created on demand */
	for (i = 0; i < 6; i++) {
		memset(data, i, sizeof(data));
		kcache_key(data, sizeof(data), &key[i]);
		assert_int_equal(kcache_store(sub, &key[i], data, sizeof(data)), 0);
		usleep(10000);			/* distinct modification times */
	}
	for (i = 0; i < 6; i++) {
		int r = kcache_read(sub, &key[i], &got, &len);

		if (r == -ENOENT)
			continue;
		assert_int_equal(r, 0);
		assert_int_equal(len, sizeof(data));
		assert_int_equal(got[0], i);
		assert_int_equal(got[len - 1], i);
		free(got);
		present++;
		assert_true(i >= 6 - KCACHE_MAX_ENTRIES);	/* the newest kept */
	}
	assert_int_equal(present, KCACHE_MAX_ENTRIES);

	other = key[5];
	other.sha256[31] ^= 1;
	assert_int_equal(kcache_read(sub, &other, &got, &len), -ENOENT);
	/* A negative entry says so. */
	assert_int_equal(kcache_store(sub, &other, NULL, 0), 0);
	assert_int_equal(kcache_read(sub, &other, &got, &len), -EOPNOTSUPP);

	/* A truncated entry and a corrupted header are refused. */
	kcache_name(&key[5], name);
	snprintf(path, sizeof(path), "%s/%s", sub, name);
	buf = read_all(path, &flen);
	assert_int_equal(truncate(path, flen - 1), 0);
	assert_int_equal(kcache_read(sub, &key[5], &got, &len), -EINVAL);
	buf[9] ^= 1;			/* inside the key */
	f = fopen(path, "wb");
	assert_int_equal(fwrite(buf, 1, flen, f), flen);
	fclose(f);
	assert_int_equal(kcache_read(sub, &key[5], &got, &len), -EINVAL);
	free(buf);
	rm_rf(dir);
	free(dir);
}

/* Path of key's entry in dir. */
static void entry_file(const char *dir, const struct kcache_key *key,
		       char *path, size_t len)
{
	char name[80];

	kcache_name(key, name);
	assert_true((size_t)snprintf(path, len, "%s/%s", dir, name) < len);
}

/* A byte of the kernel changed on disk (not header) must not be booted. */
static void test_contents_verified(void **state)
{
	char *dir = tmpdir(), path[600];
	uint8_t data[5000], *got = NULL;
	struct kcache_key key;
	size_t len, flen;
	uint8_t *buf;
	FILE *f;

	(void)state;
	memset(data, 0x33, sizeof(data));
	kcache_key(data, sizeof(data), &key);
	assert_int_equal(kcache_store(dir, &key, data, sizeof(data)), 0);
	entry_file(dir, &key, path, sizeof(path));
	buf = read_all(path, &flen);
	buf[flen - 100] ^= 0x01;	/* inside the kernel, size unchanged */
	f = fopen(path, "wb");
	assert_int_equal(fwrite(buf, 1, flen, f), flen);
	fclose(f);
	assert_int_equal(kcache_read(dir, &key, &got, &len), -EINVAL);
	assert_null(got);
	free(buf);
	rm_rf(dir);
	free(dir);
}

/* Group- or world-writable: someone else could plant an entry. */
static void test_dir_writable_by_others(void **state)
{
	char *dir = tmpdir();
	uint8_t data[100] = { 1 }, *got;
	struct kcache_key key;
	size_t len;

	(void)state;
	kcache_key(data, sizeof(data), &key);
	assert_int_equal(kcache_store(dir, &key, data, sizeof(data)), 0);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(kcache_read(dir, &key, &got, &len), -EPERM);
	assert_int_equal(kcache_store(dir, &key, data, sizeof(data)), -EPERM);
	assert_int_equal(chmod(dir, 0770), 0);
	assert_int_equal(kcache_read(dir, &key, &got, &len), -EPERM);
	assert_int_equal(chmod(dir, 0700), 0);
	assert_int_equal(kcache_read(dir, &key, &got, &len), 0);
	free(got);
	rm_rf(dir);
	free(dir);
}

/* Owned by another user (who could swap its entries): refused. */
static void test_dir_owned_by_other(void **state)
{
	char *dir = tmpdir();
	uint8_t data[100] = { 2 }, *got;
	struct kcache_key key;
	size_t len;

	(void)state;
	if (geteuid() != 0) {
		rm_rf(dir);
		free(dir);
		skip();		/* only root can give a directory away */
	}
	kcache_key(data, sizeof(data), &key);
	assert_int_equal(kcache_store(dir, &key, data, sizeof(data)), 0);
	assert_int_equal(chown(dir, 65534, 65534), 0);
	assert_int_equal(kcache_read(dir, &key, &got, &len), -EPERM);
	assert_int_equal(kcache_store(dir, &key, data, sizeof(data)), -EPERM);
	rm_rf(dir);
	free(dir);
}

/* Symbolic links: for the directory, on its path, and for an entry. */
static void test_symlinks_refused(void **state)
{
	char *dir = tmpdir(), good[600], link[600], sub[700], path[800];
	char target[800];
	uint8_t data[100] = { 3 }, *got;
	struct kcache_key key;
	size_t len;

	(void)state;
	kcache_key(data, sizeof(data), &key);
	snprintf(good, sizeof(good), "%s/good", dir);
	assert_int_equal(kcache_store(good, &key, data, sizeof(data)), 0);
	snprintf(link, sizeof(link), "%s/link", dir);
	assert_int_equal(symlink(good, link), 0);
	assert_int_equal(kcache_read(link, &key, &got, &len), -ELOOP);
	assert_int_equal(kcache_store(link, &key, data, sizeof(data)), -ELOOP);
	/* A link earlier on the path. */
	assert_int_equal(mkdir(good, 0700) == 0 || errno == EEXIST, 1);
	snprintf(sub, sizeof(sub), "%s/good/sub", dir);
	assert_int_equal(kcache_store(sub, &key, data, sizeof(data)), 0);
	snprintf(sub, sizeof(sub), "%s/link/sub", dir);
	assert_int_equal(kcache_read(sub, &key, &got, &len), -ELOOP);
	/* An entry that is a link to a valid entry elsewhere. */
	snprintf(sub, sizeof(sub), "%s/other", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	entry_file(good, &key, target, sizeof(target));
	entry_file(sub, &key, path, sizeof(path));
	assert_int_equal(symlink(target, path), 0);
	assert_int_equal(kcache_read(sub, &key, &got, &len), -EINVAL);
	rm_rf(dir);
	free(dir);
}

/*
 * An xz payload whose header asks for a 4 GiB dictionary: the decoder
 * would allocate it all.  The filler's decompression memory is bounded.
 */
static void test_decompression_memory_bounded(void **state)
{
	uint8_t data[4096], xz[8192], *out = NULL, *bh, *props;
	size_t pos = 0, out_len, hdr;
	unsigned int i;
	uint32_t size = sizeof(data), crc;
	char why[128];

	(void)state;
	memset(data, 'k', sizeof(data));
	assert_int_equal(lzma_easy_buffer_encode(0, LZMA_CHECK_CRC32, NULL,
						 data, sizeof(data), xz, &pos,
						 sizeof(xz) - 4), LZMA_OK);
	/*
	 * The block header after the 12-byte stream header: size, flags,
	 * the sizes the flags announce (varints), then the one filter.
	 */
	bh = xz + 12;
	hdr = (bh[0] + 1) * 4;
	assert_int_equal(bh[1] & 3, 0);		/* one filter */
	props = bh + 2;
	for (i = 0; i < 2; i++)
		if (bh[1] & (0x40 << i))
			while (*props++ & 0x80)
				;
	assert_int_equal(props[0], 0x21);	/* LZMA2 */
	assert_int_equal(props[1], 1);		/* one property byte */
	props += 2;
	*props = 40;				/* dictionary 4 GiB - 1 */
	crc = lzma_crc32(bh, hdr - 4, 0);
	memcpy(bh + hdr - 4, &crc, 4);
	memcpy(xz + pos, &size, 4);		/* the kernel build's trailer */
	pos += 4;
	assert_int_equal(kcache_decompress(xz, pos, &out, &out_len, why,
					   sizeof(why)), -ENOMEM);
	assert_null(out);
	/* The same stream with a small dictionary decompresses. */
	*props = 0;
	crc = lzma_crc32(bh, hdr - 4, 0);
	memcpy(bh + hdr - 4, &crc, 4);
	assert_int_equal(kcache_decompress(xz, pos, &out, &out_len, why,
					   sizeof(why)), 0);
	assert_int_equal(out_len, sizeof(data));
	assert_memory_equal(out, data, sizeof(data));
	free(out);
}

/* The detached filler writes what a synchronous decompression gives. */
static void test_fill_async(void **state)
{
	const struct kernel *k = &kernels[0];
	char *dir = tmpdir();
	struct kcache_key key;
	uint8_t *got;
	size_t len;
	int i, r = -ENOENT;

	(void)state;
	kcache_key(k->img, k->len, &key);
	kcache_fill_async(dir, &key, k->payload, k->payload_len);
	for (i = 0; i < 1200 && r == -ENOENT; i++) {
		usleep(100000);
		r = kcache_read(dir, &key, &got, &len);
	}
	assert_int_equal(r, 0);
	assert_int_equal(len, k->vmlinux_len);
	assert_memory_equal(got, k->vmlinux, len);
	free(got);
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_key_is_sha256),
		cmocka_unit_test(test_distro_layout_and_relocation),
		cmocka_unit_test(test_bad_images),
		cmocka_unit_test(test_bad_payloads),
		cmocka_unit_test(test_store_map_prune),
		cmocka_unit_test(test_contents_verified),
		cmocka_unit_test(test_dir_writable_by_others),
		cmocka_unit_test(test_dir_owned_by_other),
		cmocka_unit_test(test_symlinks_refused),
		cmocka_unit_test(test_decompression_memory_bounded),
		cmocka_unit_test(test_fill_async),
	};

	return cmocka_run_group_tests(tests, setup_kernels, teardown_kernels);
}
