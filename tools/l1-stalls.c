// SPDX-License-Identifier: GPL-2.0
/*
 * l1-stalls: when and for how long this machine stopped running its most
 * urgent thread.  A real-time thread wakes every 2 ms on CLOCK_MONOTONIC;
 * when SIGTERM or SIGINT arrives it prints each delay over 5 ms between a
 * wake-up's due time and the thread running, one line each: the seconds
 * from its own start to the end of the stall, and the stall in
 * milliseconds.  Nothing on the machine runs while that thread waits, a
 * guest's vCPUs included: in a nested runner (an L1 emulated by QEMU's
 * TCG) it measures the stretches in which L1 itself did not run, which a
 * guest then sees as interrupts arriving late.  (Code of L1's own that
 * kept this CPU with interrupts off would count too.)  Without real-time
 * priority it prints nothing and exits with 1: its figures would then
 * include L1's own scheduling.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define PERIOD_NS	2000000ll

static volatile sig_atomic_t done;

static void stop(int sig)
{
	(void)sig;
	done = 1;
}

static long long ns(const struct timespec *t)
{
	return t->tv_sec * 1000000000ll + t->tv_nsec;
}

#define MAX_STALLS	4096

int main(void)
{
	struct sched_param sp = { .sched_priority = 50 };
	static long long at[MAX_STALLS], len[MAX_STALLS];
	struct sigaction sa;
	struct timespec start, due, now;
	unsigned int n = 0, i;
	long long late;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (sched_setscheduler(0, SCHED_FIFO, &sp)) {
		fprintf(stderr, "l1-stalls: no real-time priority: %s\n", strerror(errno));
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &start);
	due = start;
	while (!done) {
		due.tv_nsec += PERIOD_NS;
		if (due.tv_nsec >= 1000000000l) {
			due.tv_nsec -= 1000000000l;
			due.tv_sec++;
		}
		if (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &due, NULL))
			continue;	/* a signal: look at done */
		clock_gettime(CLOCK_MONOTONIC, &now);
		late = ns(&now) - ns(&due);
		if (late > 5000000 && n < MAX_STALLS) {
			at[n] = ns(&now) - ns(&start);
			len[n++] = late;
		}
		if (late > PERIOD_NS)
			due = now;	/* no burst of catch-up wake-ups */
	}
	for (i = 0; i < n; i++)
		printf("%.3f %.1f\n", at[i] / 1e9, len[i] / 1e6);
	return 0;
}
