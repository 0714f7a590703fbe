/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel cache: a bzImage's compressed payload, decompressed once and
 * kept in a directory, so that later boots of the same bzImage skip the
 * guest-side decompression (most of a stock kernel's boot: ~4.5 G of the
 * 6.3 G instructions of the distro 6.1 kernel booted to init).
 *
 * A miss never slows a boot down: the guest decompresses as always while
 * a detached, idle-priority process fills the cache for the next boot.
 * Entries are named by a 128-bit hash of the whole bzImage, written to a
 * temporary file, fsync'ed and renamed into place; the newest
 * KCACHE_MAX_ENTRIES are kept.  Formats: gzip, xz and zstd payloads (the
 * distro kernels' are xz and zstd); others always boot the normal way.
 */
#ifndef VMM_KCACHE_H
#define VMM_KCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KCACHE_MAX_ENTRIES	4
#define KCACHE_MAX_KERNEL	(1ull << 30)
#define KCACHE_HDR_SIZE		64

struct kcache_key {
	uint64_t h[2];
	uint64_t len;
};

/* Hashes an image (every byte and its length). */
void kcache_key(const uint8_t *img, size_t len, struct kcache_key *key);

/* "<32 hex digits>.vmlinux" */
void kcache_name(const struct kcache_key *key, char name[48]);

/*
 * Decompresses a bzImage payload (gzip, xz or zstd, as the kernel's build
 * writes it: the decompressed size in the last 4 bytes).  *out is
 * malloc'ed.  -EOPNOTSUPP for other formats, -EINVAL for corrupt data.
 */
int kcache_decompress(const uint8_t *payload, size_t len, uint8_t **out,
		      size_t *out_len, char *why, size_t why_len);

/*
 * Reads the entry for key: 0 with *data (malloc'ed: the decompressed
 * kernel) and *len; -ENOENT when there is none; -EINVAL when the file
 * there is not a complete entry for this key; -EOPNOTSUPP for a negative
 * entry (the kernel is known not to boot from the cache); other -errno
 * when the cache cannot be read.
 */
int kcache_read(const char *dir, const struct kcache_key *key,
		uint8_t **data, size_t *len);

/* Whether the payload's format is one kcache_decompress() handles. */
bool kcache_payload_supported(const uint8_t *payload, size_t len);

/*
 * Writes an entry (synchronously; used by the filler and the tests); len
 * 0 writes a negative entry.
 */
int kcache_store(const char *dir, const struct kcache_key *key,
		 const uint8_t *kernel, size_t len);

/*
 * Starts a detached process, at idle priority, that decompresses payload
 * and stores it under key (or a negative entry if the result is not a
 * kernel libvmm can boot directly); returns at once.  Call it while the process
 * has a single thread (before vmm_vm_start): the child closes every file
 * descriptor it inherits and leaves the caller's session.
 */
void kcache_fill_async(const char *dir, const struct kcache_key *key,
		       const uint8_t *payload, size_t len);

#endif /* VMM_KCACHE_H */
