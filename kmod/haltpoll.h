/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Halt polling's adaptive window: how long a halted vCPU spins for its
 * wakeup before it sleeps, grown and shrunk from how long its halts last.
 * Portable: also built into the unit tests.
 */
#ifndef VHV_HALTPOLL_H
#define VHV_HALTPOLL_H

#include "portable.h"

/*
 * The first nonzero window: long enough to catch a wakeup that follows a
 * vCPU's HLT by an exit or two, short enough that a halt which outlasts
 * it wastes little (KVM's halt_poll_ns_grow_start).
 */
#define VHV_HALTPOLL_GROW_START_NS	10000u

/* The module's default maximum window, KVM's halt_poll_ns default. */
#define VHV_HALTPOLL_MAX_NS_DEFAULT	200000u

/*
 * The window to poll for as a halt starts: the vCPU's, cut to max, the
 * module parameter's value now (it may have been lowered, or set to 0,
 * since the window grew).
 */
static inline u32 vhv_haltpoll_window(u32 window, u32 max)
{
	return window < max ? window : max;
}

/*
 * The vCPU's next window after a halt that lasted halt_ns in all, polling
 * and sleep: window is the one it polled for (0: it did not poll), polled
 * true when polling saw the wakeup (the window is then kept whatever the
 * clock says), max the module parameter read after the halt.
 */
u32 vhv_haltpoll_next(u32 window, u64 halt_ns, bool polled, u32 max);

#endif /* VHV_HALTPOLL_H */
