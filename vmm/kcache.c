// SPDX-License-Identifier: GPL-2.0
/* The kernel cache (see kcache.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <lzma.h>
#include <openssl/evp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "vmm/internal.h"
#include "vmm/kcache.h"
#include "vmm/vmlinux.h"

/*
 * Version 3: SHA-256 keys, CRC-32 contents.  The key names the kernel, so
 * it is a cryptographic hash of the bzImage; the contents' check is
 * against damage only (the directory is the user's own, entries are
 * written whole, synced and renamed), and a CRC-32 finds every burst of
 * up to 32 bits and all but 2^-32 of the rest at a tenth of SHA-256's
 * cost: on a CPU without SHA extensions, SHA-256 over the 66 MB of the
 * distro kernel took more than the guest's whole boot.
 */
static const char kcache_magic[8] = "VHVKC\0\0\3";

struct kcache_hdr {
	char magic[8];
	struct kcache_key key;
	uint64_t data_len;
	uint32_t data_crc32;	/* of the data_len bytes after the header */
	uint8_t pad[KCACHE_HDR_SIZE - 8 - sizeof(struct kcache_key) - 8 - 4];
};
_Static_assert(sizeof(struct kcache_hdr) == KCACHE_HDR_SIZE, "header size");

/* OpenSSL's SHA-256; an image of len 0 hashes too. */
static void sha256(const uint8_t *buf, size_t len, uint8_t out[32])
{
	unsigned int n = 32;

	if (!EVP_Digest(len ? buf : (const uint8_t *)"", len, out, &n,
			EVP_sha256(), NULL) || n != 32)
		abort();	/* only out of memory inside libcrypto */
}

/* zlib's CRC-32 (the gzip one), over any length. */
static uint32_t content_crc(const uint8_t *buf, size_t len)
{
	return (uint32_t)crc32_z(crc32_z(0, Z_NULL, 0), buf, len);
}

void kcache_key(const uint8_t *img, size_t len, struct kcache_key *key)
{
	memset(key, 0, sizeof(*key));
	sha256(img, len, key->sha256);
	key->len = len;
}

void kcache_name(const struct kcache_key *key, char name[KCACHE_NAME_MAX])
{
	unsigned int i;

	for (i = 0; i < 32; i++)
		snprintf(name + 2 * i, 3, "%02x", key->sha256[i]);
	memcpy(name + 64, ".vmlinux", 9);
}

static int unxz(const uint8_t *in, size_t len, uint8_t *out, size_t out_len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;

	/* The header names the dictionary size: bounded, not believed. */
	if (lzma_stream_decoder(&s, KCACHE_XZ_MEMLIMIT, 0) != LZMA_OK)
		return -ENOMEM;
	s.next_in = in;
	s.avail_in = len;
	s.next_out = out;
	s.avail_out = out_len;
	r = lzma_code(&s, LZMA_FINISH);
	lzma_end(&s);
	if (r == LZMA_MEMLIMIT_ERROR || r == LZMA_MEM_ERROR)
		return -ENOMEM;
	return r == LZMA_STREAM_END && s.avail_out == 0 ? 0 : -EINVAL;
}

static int unzstd(const uint8_t *in, size_t len, uint8_t *out, size_t out_len)
{
	size_t frame = ZSTD_findFrameCompressedSize(in, len), n;

	if (ZSTD_isError(frame))
		return -EINVAL;
	n = ZSTD_decompress(out, out_len, in, frame);
	return !ZSTD_isError(n) && n == out_len ? 0 : -EINVAL;
}

static int ungzip(const uint8_t *in, size_t len, uint8_t *out, size_t out_len)
{
	z_stream z;
	int r;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	z.next_in = (uint8_t *)in;
	z.avail_in = len > UINT32_MAX ? UINT32_MAX : len;
	z.next_out = out;
	z.avail_out = out_len;
	r = inflate(&z, Z_FINISH);
	inflateEnd(&z);
	return r == Z_STREAM_END && z.avail_out == 0 ? 0 : -EINVAL;
}

typedef int decoder_fn(const uint8_t *, size_t, uint8_t *, size_t);

/* By magic number; len >= 16 checked by the callers. */
static decoder_fn *payload_decoder(const uint8_t *payload)
{
	static const uint8_t xz[6] = { 0xfd, '7', 'z', 'X', 'Z', 0 };
	static const uint8_t zst[4] = { 0x28, 0xb5, 0x2f, 0xfd };

	if (!memcmp(payload, xz, sizeof(xz)))
		return unxz;
	if (!memcmp(payload, zst, sizeof(zst)))
		return unzstd;
	if (payload[0] == 0x1f && payload[1] == 0x8b)
		return ungzip;
	return NULL;
}

int kcache_decompress(const uint8_t *payload, size_t len, uint8_t **out,
		      size_t *out_len, char *why, size_t why_len)
{
	decoder_fn *fn;
	uint32_t size;
	int r;

	if (len < 16)
		return vmm_fail(why, why_len, -EINVAL, "payload too short");
	fn = payload_decoder(payload);
	if (!fn)
		return vmm_fail(why, why_len, -EOPNOTSUPP,
				"payload compression is not gzip, xz or zstd");
	memcpy(&size, payload + len - 4, 4);
	if (!size || size > KCACHE_MAX_KERNEL)
		return vmm_fail(why, why_len, -EINVAL,
				"implausible decompressed size at the payload's end");
	*out = malloc(size);
	if (!*out)
		return vmm_fail(why, why_len, -ENOMEM, "out of memory");
	r = fn(payload, len, *out, size);
	if (r) {
		free(*out);
		*out = NULL;
		return vmm_fail(why, why_len, r,
				r == -ENOMEM ? "needs more memory than the kernel cache allows" :
				"corrupt payload or wrong decompressed size");
	}
	*out_len = size;
	return 0;
}

/* The effective user's own, and nobody else's to write. */
static int dir_trusted(int dfd, const char *dir, char *why, size_t why_len)
{
	struct stat st;

	if (fstat(dfd, &st))
		return -errno;
	if (st.st_uid != geteuid()) {
		snprintf(why, why_len, "%s is owned by uid %u, not by uid %u",
			 dir, (unsigned int)st.st_uid, (unsigned int)geteuid());
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, why_len, "%s is writable by %s (mode %04o)", dir,
			 st.st_mode & S_IWOTH ? "others" : "its group",
			 (unsigned int)(st.st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

/*
 * One component at a time from / (or the working directory), never
 * following a symbolic link: no one can redirect the walk, and what is
 * checked at the end is what the descriptor names.
 */
int kcache_dir_open(const char *dir, char *why, size_t why_len)
{
	char buf[4096], *comp, *save = NULL;
	struct stat st;
	int dfd, fd, r;
	size_t n = strlen(dir);

	if (!n || n >= sizeof(buf)) {
		snprintf(why, why_len, "kernel cache path is empty or too long");
		return -ENAMETOOLONG;
	}
	memcpy(buf, dir, n + 1);
	dfd = open(dir[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		goto err_errno;
	for (comp = strtok_r(buf, "/", &save); comp;
	     comp = strtok_r(NULL, "/", &save)) {
		fd = openat(dfd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			if (mkdirat(dfd, comp, 0700) && errno != EEXIST)
				goto err_dfd;
			fd = openat(dfd, comp,
				    O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0 && (errno == ELOOP || errno == ENOTDIR) &&
		    !fstatat(dfd, comp, &st, AT_SYMLINK_NOFOLLOW) &&
		    S_ISLNK(st.st_mode)) {
			snprintf(why, why_len,
				 "%s: \"%s\" on its path is a symbolic link", dir, comp);
			close(dfd);
			return -ELOOP;
		}
		if (fd < 0)
			goto err_dfd;
		close(dfd);
		dfd = fd;
	}
	r = dir_trusted(dfd, dir, why, why_len);
	if (r) {
		close(dfd);
		return r;
	}
	return dfd;

err_dfd:
	r = -errno;
	close(dfd);
	snprintf(why, why_len, "%s: %s", dir, strerror(-r));
	return r;
err_errno:
	r = -errno;
	snprintf(why, why_len, "%s: %s", dir, strerror(-r));
	return r;
}

static int read_entry(int dfd, const struct kcache_key *key,
		      uint8_t **data, size_t *len)
{
	char name[KCACHE_NAME_MAX];
	struct kcache_hdr h;
	struct stat st;
	uint8_t *buf;
	ssize_t n;
	int fd, r;

	kcache_name(key, name);
	/* Non-blocking: whatever sits at the name, openat() returns. */
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0)
		return errno == ELOOP ? -EINVAL : -errno;
	r = -EINVAL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)sizeof(h) ||
	    pread(fd, &h, sizeof(h), 0) != sizeof(h) ||
	    memcmp(h.magic, kcache_magic, sizeof(h.magic)) ||
	    memcmp(&h.key, key, sizeof(*key)) ||
	    h.data_len != (uint64_t)st.st_size - sizeof(h) ||
	    h.data_len > KCACHE_MAX_KERNEL)
		goto out;
	/* Read, not mapped: an I/O error is an error, never a SIGBUS. */
	buf = malloc(h.data_len ? h.data_len : 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	n = vmm_pread_full(fd, buf, h.data_len, sizeof(h));
	if (n != (ssize_t)h.data_len) {
		r = n < 0 ? n : -EINVAL;
		goto out_buf;
	}
	/* The whole entry, not only its header, is what the filler wrote. */
	if (content_crc(buf, h.data_len) != h.data_crc32)
		goto out_buf;
	if (!h.data_len) {
		r = -EOPNOTSUPP;	/* known not to boot from the cache */
		goto out_buf;
	}
	/* Newest use last to go: the pruning is by modification time. */
	futimens(fd, NULL);
	*data = buf;
	*len = h.data_len;
	close(fd);
	return 0;

out_buf:
	free(buf);
out:
	close(fd);
	return r;
}

int kcache_read(const char *dir, const struct kcache_key *key,
		uint8_t **data, size_t *len)
{
	char why[256];
	int dfd, r;

	dfd = kcache_dir_open(dir, why, sizeof(why));
	if (dfd < 0)
		return dfd;
	r = read_entry(dfd, key, data, len);
	close(dfd);
	return r;
}

bool kcache_payload_supported(const uint8_t *payload, size_t len)
{
	return len >= 16 && payload_decoder(payload) != NULL;
}

/*
 * A new temporary file in the directory, made before any long work to
 * learn if it is writable; its random name goes to tmp.
 */
static int tmp_open(int dfd, char tmp[32])
{
	uint64_t rnd;
	int fd, tries;

	for (tries = 0; tries < 16; tries++) {
		if (getrandom(&rnd, sizeof(rnd), 0) != sizeof(rnd))
			return -EIO;
		snprintf(tmp, 32, ".tmp-%016llx", (unsigned long long)rnd);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
			    O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd < 0 ? -errno : fd;
	}
	return -EEXIST;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n ? -errno : -EIO;
		p += n;
		len -= n;
	}
	return 0;
}

static int by_mtime(const void *a, const void *b)
{
	const struct timespec *x = a, *y = b;

	if (x->tv_sec != y->tv_sec)
		return x->tv_sec < y->tv_sec ? 1 : -1;
	return x->tv_nsec < y->tv_nsec ? 1 : x->tv_nsec > y->tv_nsec ? -1 : 0;
}

/* Temporary and lock files this old belong to fillers that died. */
#define KCACHE_STALE_SECONDS	3600

/*
 * Keeps the KCACHE_MAX_ENTRIES most recently used entries (negative ones
 * included) and removes stale temporary and lock files.
 */
static void prune(int dfd)
{
	struct { struct timespec t; char name[KCACHE_NAME_MAX]; } e[64];
	unsigned int n = 0, i;
	struct dirent *d;
	struct stat st;
	time_t now = time(NULL);
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dp;

	dp = fd < 0 ? NULL : fdopendir(fd);
	if (!dp) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((d = readdir(dp))) {
		size_t l = strlen(d->d_name);
		bool entry = l == 72 && !strcmp(d->d_name + 64, ".vmlinux");
		bool stale = (l == 69 && !strcmp(d->d_name + 64, ".lock")) ||
			     !strncmp(d->d_name, ".tmp-", 5);

		if (!entry && !stale)
			continue;
		if (fstatat(dfd, d->d_name, &st, AT_SYMLINK_NOFOLLOW) ||
		    !S_ISREG(st.st_mode))
			continue;
		if (stale) {
			if (now - st.st_mtim.tv_sec > KCACHE_STALE_SECONDS)
				unlinkat(dfd, d->d_name, 0);
			continue;
		}
		if (n == 64)
			continue;
		e[n].t = st.st_mtim;
		memcpy(e[n].name, d->d_name, l + 1);
		n++;
	}
	closedir(dp);
	qsort(e, n, sizeof(e[0]), by_mtime);
	for (i = KCACHE_MAX_ENTRIES; i < n; i++)
		unlinkat(dfd, e[i].name, 0);
}

/* Written whole and synced under a temporary name, then renamed into place. */
static int commit(int dfd, int fd, const char *tmp,
		  const struct kcache_key *key, const uint8_t *kernel,
		  size_t len)
{
	struct kcache_hdr h = { .key = *key, .data_len = len };
	char name[KCACHE_NAME_MAX];
	int r;

	memcpy(h.magic, kcache_magic, sizeof(h.magic));
	h.data_crc32 = content_crc(kernel, len);
	kcache_name(key, name);
	r = write_all(fd, &h, sizeof(h));
	if (!r)
		r = write_all(fd, kernel, len);
	if (!r && fsync(fd))
		r = -errno;
	if (!r && renameat(dfd, tmp, dfd, name))
		r = -errno;
	if (r)
		unlinkat(dfd, tmp, 0);
	else
		prune(dfd);
	return r;
}

int kcache_store(const char *dir, const struct kcache_key *key,
		 const uint8_t *kernel, size_t len)
{
	char tmp[32], why[256];
	int dfd, fd, r;

	dfd = kcache_dir_open(dir, why, sizeof(why));
	if (dfd < 0)
		return dfd;
	fd = tmp_open(dfd, tmp);
	if (fd < 0) {
		close(dfd);
		return fd;
	}
	r = commit(dfd, fd, tmp, key, kernel, len);
	close(fd);
	close(dfd);
	return r;
}

/*
 * Unmaps every shared mapping the child inherited (vCPU run areas,
 * io_uring rings): each holds a reference on a VMM file, which would keep
 * the VM (and the hypervisor module) alive as long as the filler runs.
 */
static int drop_shared_mappings(void)
{
	unsigned long lo[256], hi[256], a, b;
	unsigned int n = 0, i;
	char line[4096 + 256], perms[8];
	FILE *f = fopen("/proc/self/maps", "re");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx %7s", &a, &b, perms) != 3 ||
		    perms[3] != 's')
			continue;
		if (n == 256) {
			fclose(f);
			return -E2BIG;
		}
		lo[n] = a;
		hi[n++] = b;
	}
	fclose(f);
	for (i = 0; i < n; i++)
		if (munmap((void *)lo[i], hi[i] - lo[i]))
			return -errno;
	return 0;
}

/* Every inherited descriptor but keep, even where close_range() is missing. */
static void close_all_but(unsigned int keep)
{
	struct rlimit rl;
	unsigned int fd, max = 65536;

	if ((!keep || !close_range(0, keep - 1, 0)) &&
	    !close_range(keep + 1, ~0u, 0))
		return;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < max)
		max = rl.rlim_cur;
	for (fd = 0; fd < max; fd++)
		if (fd != keep)
			close(fd);
}

/*
 * What the filler may add to the address space it inherited: the output,
 * the xz decoder, and room for the libraries' own buffers.  A payload
 * that asks for more fails to allocate instead of growing the VMM's
 * host footprint.
 */
#define KCACHE_FILL_SLACK	(64ull << 20)

static void bound_memory(void)
{
	unsigned long long pages = 0;
	struct rlimit rl;
	FILE *f = fopen("/proc/self/statm", "re");

	if (!f || fscanf(f, "%llu", &pages) != 1)
		_exit(1);
	fclose(f);
	rl.rlim_cur = rl.rlim_max = pages * (unsigned long long)getpagesize() +
		KCACHE_MAX_KERNEL + KCACHE_XZ_MEMLIMIT + KCACHE_FILL_SLACK;
	if (setrlimit(RLIMIT_AS, &rl))
		_exit(1);
}

/* One filler per entry: the others see the lock held and leave. */
static bool lock_entry(int dfd, const struct kcache_key *key)
{
	char name[KCACHE_NAME_MAX];
	int fd;

	kcache_name(key, name);
	memcpy(name + 64, ".lock", 6);
	fd = openat(dfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	/* Held until the filler exits: the descriptor is never closed. */
	return fd >= 0 && !flock(fd, LOCK_EX | LOCK_NB);
}

static void __attribute__((noreturn))
fill(int dfd, const struct kcache_key *key, const uint8_t *payload,
     size_t len)
{
	struct sched_param sp = { 0 };
	char tmp[32], why[128];
	struct vmlinux_info vi;
	uint8_t *kernel;
	size_t kernel_len;
	sigset_t none;
	int fd, r;

	/* Nothing of the VMM's: no terminal, fds, shared memory or signal mask. */
	if (drop_shared_mappings())
		_exit(1);
	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	/* The directory stays above 0-2, which /dev/null takes. */
	fd = fcntl(dfd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0)
		_exit(1);
	dfd = fd;
	close_all_but(dfd);
	fd = open("/dev/null", O_RDWR);
	if (fd == 0) {
		dup2(0, 1);
		dup2(0, 2);
	}
	/* Idle, and the first to go when memory runs out. */
	setpriority(PRIO_PROCESS, 0, 19);
	sched_setscheduler(0, SCHED_IDLE, &sp);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		if (write(fd, "1000", 4) != 4)
			_exit(1);
		close(fd);
	}
	bound_memory();

	if (!lock_entry(dfd, key))
		_exit(1);
	fd = tmp_open(dfd, tmp);
	if (fd < 0)
		_exit(1);
	r = kcache_decompress(payload, len, &kernel, &kernel_len, why,
			      sizeof(why));
	/*
	 * A kernel libvmm cannot boot directly gets an empty (negative)
	 * entry, so that its next boots do not try again.
	 */
	if (!r && vmlinux_parse(kernel, kernel_len, &vi, why, sizeof(why)))
		kernel_len = 0;
	if (r)
		kernel_len = 0;
	_exit(commit(dfd, fd, tmp, key, kernel, kernel_len) ? 1 : 0);
}

void kcache_fill_async(const char *dir, const struct kcache_key *key,
		       const uint8_t *payload, size_t len)
{
	char why[256];
	int dfd = kcache_dir_open(dir, why, sizeof(why));
	pid_t pid;

	if (dfd < 0)
		return;
	pid = fork();
	if (pid != 0) {
		close(dfd);
		/* The middle child exits at once: nothing left to reap later. */
		while (pid > 0 && waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return;
	}
	if (fork() != 0)
		_exit(0);
	fill(dfd, key, payload, len);
}
