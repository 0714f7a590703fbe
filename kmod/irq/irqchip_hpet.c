// SPDX-License-Identifier: GPL-2.0
/*
 * The HPET's kernel side: the guest's MMIO to it under the irqchip lock
 * (main counter reads never leave the kernel), the GSIs it drives, and one
 * hrtimer for the nearest match that changes a line.
 */
#include <linux/bitops.h>
#include <linux/build_bug.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>

#include "../vhv.h"
#include "irqchip.h"

/* A match further out than this (about 146 years of uptime) never fires. */
#define HPET_DEADLINE_MAX_NS	(KTIME_MAX / 2)

/* The callback never re-arms closer than this: a model slip cannot spin it. */
#define HPET_REARM_MIN_NS	1000ull

static u64 now_ns(void)
{
	return ktime_get_ns();
}

/* Brings the GSIs in line with the model; caller holds chip->lock. */
static void hpet_drive(struct vhv_irqchip *chip)
{
	u32 lines = vhv_hpet_lines(&chip->hpet);
	u32 pulses = vhv_hpet_take_pulses(&chip->hpet) & ~lines;
	u32 changed = lines ^ chip->hpet_lines;
	unsigned int gsi;

	chip->hpet_lines = lines;
	while (changed) {
		gsi = __ffs(changed);
		changed &= changed - 1;
		vhv_irqchip_set_gsi(chip, gsi, lines & BIT(gsi));
	}
	while (pulses) {
		gsi = __ffs(pulses);
		pulses &= pulses - 1;
		vhv_irqchip_set_gsi(chip, gsi, true);
		vhv_irqchip_set_gsi(chip, gsi, false);
	}
}

static bool hpet_next(struct vhv_irqchip *chip, u64 now, u64 *when)
{
	/* Periodic timers share the LAPIC timer's floor (VHV_HPET_MIN_TICK). */
	BUILD_BUG_ON((u64)VHV_HPET_MIN_TICK * VHV_HPET_PERIOD_FS / 1000000 !=
		     VHV_LAPIC_MIN_PERIOD_NS);
	return vhv_hpet_next(&chip->hpet, now, VHV_LAPIC_MIN_PERIOD_NS, when) &&
	       *when < HPET_DEADLINE_MAX_NS;
}

/* After a change of the timers' programming; caller holds chip->lock. */
static void hpet_arm(struct vhv_irqchip *chip, u64 now)
{
	u64 when;

	if (hpet_next(chip, now, &when))
		hrtimer_start(&chip->hpet_timer, ns_to_ktime(when), HRTIMER_MODE_ABS);
	else
		hrtimer_try_to_cancel(&chip->hpet_timer);
}

static enum hrtimer_restart hpet_timer_fn(struct hrtimer *t)
{
	struct vhv_irqchip *chip = container_of(t, struct vhv_irqchip, hpet_timer);
	enum hrtimer_restart ret = HRTIMER_NORESTART;
	unsigned long flags;
	u64 now, when;

	spin_lock_irqsave(&chip->lock, flags);
	now = now_ns();
	vhv_hpet_update(&chip->hpet, now);
	hpet_drive(chip);
	/* Re-armed by a guest write while this ran: that timing stands. */
	if (!hrtimer_is_queued(t) && hpet_next(chip, now, &when)) {
		hrtimer_set_expires(t, ns_to_ktime(max(when, now + HPET_REARM_MIN_NS)));
		ret = HRTIMER_RESTART;
	}
	spin_unlock_irqrestore(&chip->lock, flags);
	return ret;
}

bool vhv_irqchip_hpet_mmio(struct vhv_irqchip *chip, struct vhv_mem_access *acc)
{
	unsigned long flags;
	u64 now, val = 0;
	u32 off;

	if (acc->gpa - VHV_HPET_BASE >= VHV_HPET_SIZE)
		return false;
	off = acc->gpa - VHV_HPET_BASE;
	spin_lock_irqsave(&chip->lock, flags);
	now = now_ns();
	if (acc->write) {
		vhv_hpet_write(&chip->hpet, off, acc->size, acc->data, now);
		hpet_arm(chip, now);
	} else {
		/* Matches the hrtimer has not taken yet are taken here. */
		val = vhv_hpet_read(&chip->hpet, off, acc->size, now);
	}
	hpet_drive(chip);
	spin_unlock_irqrestore(&chip->lock, flags);
	if (!acc->write)
		acc->data = val;
	return true;
}

void vhv_irqchip_hpet_save(struct vhv_irqchip *chip, struct vhv_hpet_state *s)
{
	unsigned long flags;
	u64 now;

	spin_lock_irqsave(&chip->lock, flags);
	now = now_ns();
	vhv_hpet_update(&chip->hpet, now);
	hpet_drive(chip);
	vhv_hpet_save(&chip->hpet, now, s);
	spin_unlock_irqrestore(&chip->lock, flags);
}

int vhv_irqchip_hpet_restore(struct vhv_irqchip *chip, const struct vhv_hpet_state *s)
{
	unsigned long flags;
	u64 now;
	int r;

	spin_lock_irqsave(&chip->lock, flags);
	now = now_ns();
	r = vhv_hpet_restore(&chip->hpet, s, now);
	if (!r) {
		hpet_drive(chip);
		hpet_arm(chip, now);
	}
	spin_unlock_irqrestore(&chip->lock, flags);
	return r;
}

void vhv_irqchip_hpet_init(struct vhv_irqchip *chip)
{
	vhv_hpet_reset(&chip->hpet);
	chip->hpet_lines = 0;
	hrtimer_init(&chip->hpet_timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	chip->hpet_timer.function = hpet_timer_fn;
}

void vhv_irqchip_hpet_destroy(struct vhv_irqchip *chip)
{
	hrtimer_cancel(&chip->hpet_timer);
}
