// SPDX-License-Identifier: GPL-2.0
/*
 * Halt polling's window, adapted as KVM adapts a vCPU's halt_poll_ns: it
 * grows while halts outlast it but not the largest window allowed, and
 * drops to 0 as soon as one lasts longer than any window could cover.
 */
#include "haltpoll.h"

u32 vhv_haltpoll_next(u32 window, u64 halt_ns, bool polled, u32 max)
{
	u64 grown;

	window = vhv_haltpoll_window(window, max);
	/* The window covered the halt: polling saw the wakeup, or would have. */
	if (polled || halt_ns <= window)
		return window;
	/*
	 * Longer than the largest window allowed: no window would have caught
	 * the wakeup, and polling for this vCPU's next halts would most
	 * likely burn their window for nothing.  Start again from 0 (KVM's
	 * default halt_poll_ns_shrink of 0); with max 0, polling stays off.
	 */
	if (halt_ns > max)
		return 0;
	/*
	 * Within max but past the window: a larger one would have caught it.
	 * From 0 to the start value, then doubled (KVM's halt_poll_ns_grow
	 * of 2), never past max.
	 */
	grown = (u64)window * 2;
	if (grown < VHV_HALTPOLL_GROW_START_NS)
		grown = VHV_HALTPOLL_GROW_START_NS;
	return grown < max ? (u32)grown : max;
}
