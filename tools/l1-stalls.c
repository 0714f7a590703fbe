// SPDX-License-Identifier: GPL-2.0
/*
 * l1-stalls: how long this machine stopped running its most urgent thread.
 * A real-time thread wakes every 2 ms on CLOCK_MONOTONIC; the longest
 * delay between a wake-up's due time and the thread running is printed in
 * milliseconds when SIGTERM or SIGINT arrives.  Nothing on the machine can
 * run while that thread waits, a guest's vCPUs included: in a nested
 * runner (an L1 emulated by QEMU's TCG) it measures the stretches in which
 * L1 itself did not run, which a guest then sees as interrupts arriving
 * late.  The boot tests use it to tell those from a hypervisor's lateness.
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

int main(void)
{
	struct sched_param sp = { .sched_priority = 50 };
	struct sigaction sa;
	struct timespec due, now;
	long long late, worst = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (sched_setscheduler(0, SCHED_FIFO, &sp))
		fprintf(stderr, "l1-stalls: no real-time priority (%s): "
			"the figure includes this machine's own scheduling\n", strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &due);
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
		if (late > worst)
			worst = late;
		if (late > PERIOD_NS)
			due = now;	/* no burst of catch-up wake-ups */
	}
	printf("%.1f\n", worst / 1e6);
	return 0;
}
