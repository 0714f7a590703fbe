/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The kernel cache: a bzImage's compressed payload, decompressed once and
 * kept in a directory, so that later boots of the same bzImage skip the
 * guest-side decompression (most of a stock kernel's boot: ~4.5 G of the
 * 6.3 G instructions of the distro 6.1 kernel booted to init).
 *
 * A miss never slows a boot down: the guest decompresses as always while
 * a detached, idle-priority process fills the cache for the next boot.
 * Entries are named by the SHA-256 of the whole bzImage, hold the CRC-32
 * of their contents (checked on every read), are written to a temporary
 * file, fsync'ed and renamed into place; the newest KCACHE_MAX_ENTRIES
 * are kept.  Formats: gzip, xz and zstd payloads (the distro kernels' are
 * xz and zstd); others always boot the normal way.
 *
 * The directory is trusted only if it is the user's own: owned by the
 * effective user, writable by no group or other, reached without a
 * symbolic link anywhere on its path (missing components are made 0700).
 * Everything in it is opened relative to its descriptor, without
 * following symbolic links.
 */
#ifndef VMM_KCACHE_H
#define VMM_KCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KCACHE_MAX_ENTRIES	4
/* A decompressed distro kernel is ~60 MiB: the filler's memory bounds. */
#define KCACHE_MAX_KERNEL	(256ull << 20)
#define KCACHE_XZ_MEMLIMIT	(64ull << 20)	/* the kernel's xz: 32 MiB dict */
#define KCACHE_HDR_SIZE		128
#define KCACHE_NAME_MAX		80

struct kcache_key {
	uint8_t sha256[32];
	uint64_t len;
};

/* SHA-256 of an image (and its length). */
void kcache_key(const uint8_t *img, size_t len, struct kcache_key *key);

/* "<64 hex digits>.vmlinux" */
void kcache_name(const struct kcache_key *key, char name[KCACHE_NAME_MAX]);

/*
 * Opens the cache directory (making what is missing of it, 0700) if it is
 * the user's own, as above: a descriptor, or -ELOOP (a symbolic link on
 * the path), -EPERM (owned by someone else, or group/world-writable) or
 * another -errno, with why saying which.
 */
int kcache_dir_open(const char *dir, char *why, size_t why_len);

/*
 * Decompresses a bzImage payload (gzip, xz or zstd, as the kernel's build
 * writes it: the decompressed size in the last 4 bytes).  *out is
 * malloc'ed.  -EOPNOTSUPP for other formats, -EINVAL for corrupt data,
 * -ENOMEM when it would need more than KCACHE_MAX_KERNEL of output or
 * KCACHE_XZ_MEMLIMIT of xz decoder.
 */
int kcache_decompress(const uint8_t *payload, size_t len, uint8_t **out,
		      size_t *out_len, char *why, size_t why_len);

/*
 * Reads the entry for key: 0 with *data (malloc'ed: the decompressed
 * kernel, its CRC-32 verified) and *len; -ENOENT when there is none;
 * -EINVAL when the file there is not a complete, intact entry for this
 * key (or is a symbolic link); -EOPNOTSUPP for a negative entry (the
 * kernel is known not to boot from the cache); kcache_dir_open()'s errors
 * for a directory not to be trusted; other -errno when the cache cannot
 * be read.
 */
int kcache_read(const char *dir, const struct kcache_key *key,
		uint8_t **data, size_t *len);

/* Whether the payload's format is one kcache_decompress() handles. */
bool kcache_payload_supported(const uint8_t *payload, size_t len);

/*
 * Writes an entry (synchronously; used by the filler and the tests); len
 * 0 writes a negative entry.  The directory's errors as kcache_dir_open().
 */
int kcache_store(const char *dir, const struct kcache_key *key,
		 const uint8_t *kernel, size_t len);

/*
 * Starts a detached process, at idle priority, that decompresses payload
 * and stores it under key (or a negative entry if the result is not a
 * kernel libvmm can boot directly); returns at once, doing nothing if the
 * directory is not to be trusted.  Call it while the process has a single
 * thread (before vmm_vm_start): the child closes every file descriptor it
 * inherits but the directory's, leaves the caller's session, and bounds
 * its address space (RLIMIT_AS) to what decompression needs.
 */
void kcache_fill_async(const char *dir, const struct kcache_key *key,
		       const uint8_t *payload, size_t len);

#endif /* VMM_KCACHE_H */
