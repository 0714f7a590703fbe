// SPDX-License-Identifier: GPL-2.0
/*
 * The timed work of tools/bench-io (static: it runs in the guest's busybox
 * initramfs, and its server side in L1).  Every timed mode prints one line
 * "AMOUNT NANOSECONDS" on success (CLOCK_MONOTONIC around the transfer
 * alone) and exits 0; on any error or short transfer it says why on stderr
 * and exits 1.
 *   randread --now                     CLOCK_MONOTONIC in ns (busybox date
 *                                      has no %N)
 *   randread DEVICE COUNT              COUNT 4 KiB O_DIRECT reads at
 *                                      pseudo-random aligned offsets
 *   randread --seq DEVICE MIB          MIB 1 MiB O_DIRECT reads in order
 *   randread --recv ADDR PORT          connect, read to the end: bytes
 *   randread --send ADDR PORT BYTES    connect, write BYTES, shut the
 *                                      sending side and wait until the peer
 *                                      closes (so it read them all): bytes
 *   randread --serve PORT BYTES        (L1) accept one connection, write
 *                                      BYTES, shut the sending side, wait
 *                                      for the peer's close; prints BYTES
 *   randread --sink PORT               (L1) accept one connection, read to
 *                                      the end; prints the bytes read
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define NET_BUF (128 * 1024)
/* A transfer that moves nothing for this long (guest seconds) failed. */
#define NET_STALL_S 60

static char netbuf[NET_BUF];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int fail(const char *what)
{
	fprintf(stderr, "randread: %s: %s\n", what, strerror(errno));
	return 1;
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || end == s || *end ? -1 : 0;
}

static int open_disk(const char *path, uint64_t *size, void **buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_DIRECT);

	if (fd < 0 || ioctl(fd, BLKGETSIZE64, size) || posix_memalign(buf, 4096, len)) {
		fail(path);
		return -1;
	}
	return fd;
}

static int rand_reads(const char *path, uint64_t count)
{
	uint64_t size, x = 88172645463325252ull, i, t0;
	void *buf;
	int fd = open_disk(path, &size, &buf, 4096);

	if (fd < 0)
		return 1;
	if (size < 4096) {
		fprintf(stderr, "randread: %s: smaller than 4 KiB\n", path);
		return 1;
	}
	t0 = now_ns();
	for (i = 0; i < count; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (pread(fd, buf, 4096, (x % (size / 4096)) * 4096) != 4096)
			return fail("random read");
	}
	printf("%llu %llu\n", (unsigned long long)count,
	       (unsigned long long)(now_ns() - t0));
	return 0;
}

static int seq_reads(const char *path, uint64_t mib)
{
	uint64_t size, i, t0;
	void *buf;
	int fd = open_disk(path, &size, &buf, 1 << 20);

	if (fd < 0)
		return 1;
	if (size < mib << 20) {
		fprintf(stderr, "randread: %s: smaller than %llu MiB\n", path,
			(unsigned long long)mib);
		return 1;
	}
	t0 = now_ns();
	for (i = 0; i < mib; i++) {
		if (pread(fd, buf, 1 << 20, i << 20) != 1 << 20)
			return fail("sequential read");
	}
	printf("%llu %llu\n", (unsigned long long)(mib << 20),
	       (unsigned long long)(now_ns() - t0));
	return 0;
}

static void stall_limit(int fd)
{
	struct timeval tv = { .tv_sec = NET_STALL_S };

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* Connect to ADDR:PORT, retrying for a few seconds while nobody listens. */
static int dial(const char *addr, const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	uint64_t p;
	int fd, i;

	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1 || parse_u64(port, &p) ||
	    !p || p > 65535) {
		fprintf(stderr, "randread: bad address %s port %s\n", addr, port);
		return -1;
	}
	sa.sin_port = htons(p);
	for (i = 0; i < 50; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			break;
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
			stall_limit(fd);
			return fd;
		}
		close(fd);
		if (errno != ECONNREFUSED && errno != ENETUNREACH &&
		    errno != EHOSTUNREACH)
			break;
		usleep(100000);
	}
	fail("connect");
	return -1;
}

/* Accept one connection on PORT (any address). */
static int answer(const char *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int one = 1, lfd, fd;
	uint64_t p;

	if (parse_u64(port, &p) || !p || p > 65535) {
		fprintf(stderr, "randread: bad port %s\n", port);
		return -1;
	}
	sa.sin_port = htons(p);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1)) {
		fail("listen");
		return -1;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		fail("accept");
	close(lfd);
	return fd;
}

/* Read FD to its end; -1 on an error or a stall. */
static int64_t drain(int fd)
{
	int64_t total = 0;
	ssize_t n;

	while ((n = read(fd, netbuf, sizeof(netbuf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			fail("read");
			return -1;
		}
		total += n;
	}
	return total;
}

/* Write BYTES to FD, shut the sending side, and wait for the peer's close
 * (anything it sends back is an error). */
static int pour(int fd, uint64_t bytes)
{
	uint64_t left = bytes;
	ssize_t n;

	while (left) {
		n = write(fd, netbuf, left < sizeof(netbuf) ? left : sizeof(netbuf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return fail("write");
		}
		left -= n;
	}
	if (shutdown(fd, SHUT_WR))
		return fail("shutdown");
	if (drain(fd) != 0) {
		fprintf(stderr, "randread: the peer did not close cleanly\n");
		return 1;
	}
	return 0;
}

static int net(int argc, char **argv)
{
	const char *mode = argv[1];
	uint64_t bytes = 0, t0;
	int64_t got;
	int fd;

	if ((!strcmp(mode, "--send") && argc == 5 && !parse_u64(argv[4], &bytes)) ||
	    (!strcmp(mode, "--recv") && argc == 4))
		fd = dial(argv[2], argv[3]);
	else if ((!strcmp(mode, "--serve") && argc == 4 && !parse_u64(argv[3], &bytes)) ||
		 (!strcmp(mode, "--sink") && argc == 3))
		fd = answer(argv[2]);
	else
		return 2;
	if (fd < 0)
		return 1;
	t0 = now_ns();
	if (!strcmp(mode, "--send") || !strcmp(mode, "--serve")) {
		if (pour(fd, bytes))
			return 1;
		got = bytes;
	} else {
		got = drain(fd);
		if (got < 0)
			return 1;
	}
	printf("%lld %llu\n", (long long)got, (unsigned long long)(now_ns() - t0));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t n;

	if (argc == 2 && !strcmp(argv[1], "--now")) {
		printf("%llu\n", (unsigned long long)now_ns());
		return 0;
	}
	if (argc >= 2 && !strncmp(argv[1], "--", 2) && strcmp(argv[1], "--seq")) {
		int r = net(argc, argv);

		if (r != 2)
			return r;
	}
	if (argc == 4 && !strcmp(argv[1], "--seq") && !parse_u64(argv[3], &n))
		return seq_reads(argv[2], n);
	if (argc == 3 && !parse_u64(argv[2], &n))
		return rand_reads(argv[1], n);
	fprintf(stderr, "usage: randread --now | DEVICE COUNT | --seq DEVICE MIB |\n"
		"       --recv ADDR PORT | --send ADDR PORT BYTES | --serve PORT BYTES |\n"
		"       --sink PORT\n");
	return 2;
}
