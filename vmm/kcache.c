// SPDX-License-Identifier: GPL-2.0
/* The kernel cache (see kcache.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <lzma.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

static const char kcache_magic[8] = "VHVKC\0\0\1";

struct kcache_hdr {
	char magic[8];
	struct kcache_key key;
	uint64_t data_len;
	uint8_t pad[KCACHE_HDR_SIZE - 8 - sizeof(struct kcache_key) - 8];
};
_Static_assert(sizeof(struct kcache_hdr) == KCACHE_HDR_SIZE, "header size");

static uint64_t rotl(uint64_t x, unsigned int r)
{
	return x << r | x >> (64 - r);
}

static uint64_t fmix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ull;
	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ (x >> 32);
}

/* Two independent multiply-rotate lanes over 64-bit words. */
void kcache_key(const uint8_t *img, size_t len, struct kcache_key *key)
{
	uint64_t a = 0x243f6a8885a308d3ull ^ len, b = 0x13198a2e03707344ull;
	uint64_t w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, img + i, 8);
		a = rotl((a ^ w) * 0x9e3779b97f4a7c15ull, 29);
		b = rotl((b + w) * 0xc2b2ae3d27d4eb4full, 31) ^ a;
	}
	w = 0;
	memcpy(&w, img + i, len - i);
	a = rotl((a ^ w ^ 0xff) * 0x9e3779b97f4a7c15ull, 29);
	b = rotl((b + w) * 0xc2b2ae3d27d4eb4full, 31) ^ a;
	key->h[0] = fmix(a ^ rotl(b, 17));
	key->h[1] = fmix(b + 3 * a);
	key->len = len;
}

void kcache_name(const struct kcache_key *key, char name[48])
{
	snprintf(name, 48, "%016llx%016llx.vmlinux",
		 (unsigned long long)key->h[0], (unsigned long long)key->h[1]);
}

static int unxz(const uint8_t *in, size_t len, uint8_t *out, size_t out_len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;

	if (lzma_stream_decoder(&s, UINT64_MAX, 0) != LZMA_OK)
		return -ENOMEM;
	s.next_in = in;
	s.avail_in = len;
	s.next_out = out;
	s.avail_out = out_len;
	r = lzma_code(&s, LZMA_FINISH);
	lzma_end(&s);
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
				r == -ENOMEM ? "out of memory" :
				"corrupt payload or wrong decompressed size");
	}
	*out_len = size;
	return 0;
}

static int entry_path(const char *dir, const struct kcache_key *key,
		      char *path, size_t path_len)
{
	char name[48];

	kcache_name(key, name);
	if ((size_t)snprintf(path, path_len, "%s/%s", dir, name) >= path_len)
		return -ENAMETOOLONG;
	return 0;
}

int kcache_read(const char *dir, const struct kcache_key *key,
		uint8_t **data, size_t *len)
{
	struct kcache_hdr h;
	char path[4096];
	struct stat st;
	uint8_t *buf;
	ssize_t n;
	int fd, r;

	r = entry_path(dir, key, path, sizeof(path));
	if (r)
		return r;
	/* Non-blocking: whatever sits at the path, open() returns. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = -EINVAL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)sizeof(h) ||
	    pread(fd, &h, sizeof(h), 0) != sizeof(h) ||
	    memcmp(h.magic, kcache_magic, sizeof(h.magic)) ||
	    memcmp(&h.key, key, sizeof(*key)) ||
	    h.data_len != (uint64_t)st.st_size - sizeof(h) ||
	    h.data_len > KCACHE_MAX_KERNEL)
		goto out;
	if (!h.data_len) {
		r = -EOPNOTSUPP;	/* known not to boot from the cache */
		goto out;
	}
	/* Read, not mapped: an I/O error is an error, never a SIGBUS. */
	buf = malloc(h.data_len);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	n = vmm_pread_full(fd, buf, h.data_len, sizeof(h));
	if (n != (ssize_t)h.data_len) {
		r = n < 0 ? n : -EINVAL;
		free(buf);
		goto out;
	}
	/* Newest use last to go: the pruning is by modification time. */
	futimens(fd, NULL);
	*data = buf;
	*len = h.data_len;
	r = 0;
out:
	close(fd);
	return r;
}

bool kcache_payload_supported(const uint8_t *payload, size_t len)
{
	return len >= 16 && payload_decoder(payload) != NULL;
}

static int mkdir_p(const char *dir)
{
	char p[4096];
	size_t i, n = strlen(dir);

	if (!n || n >= sizeof(p))
		return -ENAMETOOLONG;
	memcpy(p, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i])
			continue;
		p[i] = 0;
		if (mkdir(p, 0700) && errno != EEXIST)
			return -errno;
		p[i] = dir[i];
	}
	return 0;
}

/* A temporary file in dir, made before any long work to learn if dir is writable. */
static int tmp_open(const char *dir, char *tmp, size_t tmp_len)
{
	int fd, r;

	r = mkdir_p(dir);
	if (r)
		return r;
	if ((size_t)snprintf(tmp, tmp_len, "%s/.tmp-XXXXXX", dir) >= tmp_len)
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	return fd < 0 ? -errno : fd;
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
static void prune(const char *dir)
{
	struct { struct timespec t; char name[64]; } e[64];
	unsigned int n = 0, i;
	struct dirent *d;
	struct stat st;
	char path[4096];
	time_t now = time(NULL);
	DIR *dp;

	dp = opendir(dir);
	if (!dp)
		return;
	while ((d = readdir(dp))) {
		size_t l = strlen(d->d_name);
		bool entry = l == 40 && !strcmp(d->d_name + 32, ".vmlinux");
		bool stale = (l == 37 && !strcmp(d->d_name + 32, ".lock")) ||
			     !strncmp(d->d_name, ".tmp-", 5);

		if (!entry && !stale)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (lstat(path, &st) || !S_ISREG(st.st_mode))
			continue;
		if (stale) {
			if (now - st.st_mtim.tv_sec > KCACHE_STALE_SECONDS)
				unlink(path);
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
	for (i = KCACHE_MAX_ENTRIES; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, e[i].name);
		unlink(path);
	}
}

static int commit(int fd, const char *tmp, const char *dir,
		  const struct kcache_key *key, const uint8_t *kernel,
		  size_t len)
{
	struct kcache_hdr h = { .key = *key, .data_len = len };
	char path[4096];
	int r;

	memcpy(h.magic, kcache_magic, sizeof(h.magic));
	r = entry_path(dir, key, path, sizeof(path));
	if (!r)
		r = write_all(fd, &h, sizeof(h));
	if (!r)
		r = write_all(fd, kernel, len);
	if (!r && fsync(fd))
		r = -errno;
	if (!r && rename(tmp, path))
		r = -errno;
	if (r)
		unlink(tmp);
	else
		prune(dir);
	return r;
}

int kcache_store(const char *dir, const struct kcache_key *key,
		 const uint8_t *kernel, size_t len)
{
	char tmp[4096];
	int fd, r;

	fd = tmp_open(dir, tmp, sizeof(tmp));
	if (fd < 0)
		return fd;
	r = commit(fd, tmp, dir, key, kernel, len);
	close(fd);
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

/* Every inherited descriptor, even where close_range() is missing. */
static void close_all(void)
{
	struct rlimit rl;
	unsigned int fd, max = 65536;

	if (!close_range(0, ~0u, 0))
		return;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < max)
		max = rl.rlim_cur;
	for (fd = 0; fd < max; fd++)
		close(fd);
}

/* One filler per entry: the others see the lock held and leave. */
static bool lock_entry(const char *dir, const struct kcache_key *key)
{
	char path[4096], name[48];
	int fd;

	kcache_name(key, name);
	memcpy(name + 32, ".lock", 6);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return false;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	/* Held until the filler exits: the descriptor is never closed. */
	return fd >= 0 && !flock(fd, LOCK_EX | LOCK_NB);
}

static void __attribute__((noreturn))
fill(const char *dir, const struct kcache_key *key, const uint8_t *payload,
     size_t len)
{
	struct sched_param sp = { 0 };
	char tmp[4096], why[128];
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
	close_all();
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

	if (mkdir_p(dir) || !lock_entry(dir, key))
		_exit(1);
	fd = tmp_open(dir, tmp, sizeof(tmp));
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
	_exit(commit(fd, tmp, dir, key, kernel, kernel_len) ? 1 : 0);
}

void kcache_fill_async(const char *dir, const struct kcache_key *key,
		       const uint8_t *payload, size_t len)
{
	pid_t pid = fork();

	if (pid < 0)
		return;
	if (pid > 0) {
		/* The middle child exits at once: nothing left to reap later. */
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return;
	}
	if (fork() != 0)
		_exit(0);
	fill(dir, key, payload, len);
}
