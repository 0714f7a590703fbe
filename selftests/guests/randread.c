// SPDX-License-Identifier: GPL-2.0
/*
 * randread DEVICE COUNT: COUNT 4 KiB O_DIRECT reads at pseudo-random
 * aligned offsets of DEVICE (for tools/bench-io, inside the guest).
 * randread --now: CLOCK_MONOTONIC in nanoseconds (busybox date has no %N).
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	uint64_t size, x = 88172645463325252ull;
	long i, count;
	void *buf;
	int fd;

	if (argc == 2 && !strcmp(argv[1], "--now")) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		printf("%llu\n", (unsigned long long)ts.tv_sec * 1000000000ull +
				 ts.tv_nsec);
		return 0;
	}
	if (argc != 3)
		return 2;
	count = atol(argv[2]);
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) || size < 4096 ||
	    posix_memalign(&buf, 4096, 4096)) {
		perror(argv[1]);
		return 1;
	}
	for (i = 0; i < count; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		if (pread(fd, buf, 4096, (x % (size / 4096)) * 4096) != 4096) {
			perror("pread");
			return 1;
		}
	}
	return 0;
}
