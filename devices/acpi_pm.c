/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ACPI PM fixed hardware of the libvmm PC, in port space at pm_base:
 * PM1a status/enable, PM1a control (S5 -> power-off), a 32-bit PM timer
 * and the FADT reset register.  The FADT in firmware/acpi.c describes it.
 *
 * Not modelled: the timer overflow event (TMR_STS never sets; Linux does
 * not enable it), GPE blocks, and sleep states other than S5: SLP_EN with
 * any other SLP_TYP sets WAK_STS at once, so a guest polling for the wake
 * goes on as if it had slept for no time.  The DSDT offers only S0 and S5.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/acpi_pm.h"
#include "firmware/firmware.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "registers are assembled with host-order copies");

#define PM_TIMER_HZ		3579545ull
#define NSEC_PER_SEC		1000000000ull

/* PM1 status and enable: the same bit positions. */
#define PM1_TMR			(1u << 0)
#define PM1_BM			(1u << 4)	/* status only */
#define PM1_GBL			(1u << 5)
#define PM1_PWRBTN		(1u << 8)
#define PM1_SLPBTN		(1u << 9)
#define PM1_RTC			(1u << 10)
#define PM1_PCIEXP_WAKE		(1u << 14)	/* enable: a disable bit */
#define PM1_WAK			(1u << 15)	/* status only */
#define PM1_EN_MASK		(PM1_TMR | PM1_GBL | PM1_PWRBTN | \
				 PM1_SLPBTN | PM1_RTC | PM1_PCIEXP_WAKE)
/* The events that raise the SCI when status and enable are both set. */
#define PM1_SCI_EVENTS		(PM1_TMR | PM1_GBL | PM1_PWRBTN | \
				 PM1_SLPBTN | PM1_RTC)

/* PM1 control. */
#define PM1_SCI_EN		(1u << 0)	/* always 1: no SMI_CMD */
#define PM1_BM_RLD		(1u << 1)
#define PM1_SLP_TYP_SHIFT	10
#define PM1_SLP_TYP		(7u << PM1_SLP_TYP_SHIFT)
#define PM1_SLP_EN		(1u << 13)	/* write-only */
#define PM1_CNT_STORED		(PM1_BM_RLD | PM1_SLP_TYP)

struct acpi_pm {
	struct vmm_vm *vm;		/* set at creation, then read-only */
	uint32_t sci_gsi;
	uint64_t t0_ns;			/* CLOCK_MONOTONIC at PM timer 0 */

	pthread_mutex_t lock;		/* guards what follows */
	uint16_t sts;
	uint16_t en;
	uint16_t cnt;			/* PM1_CNT_STORED bits only */
	bool sci;			/* the level last given to the GSI */
};

static uint64_t acpi_pm_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + (uint64_t)ts.tv_nsec;
}

/* floor(elapsed * 3.579545 MHz), split so the product cannot overflow. */
static uint32_t acpi_pm_timer(const struct acpi_pm *pm)
{
	uint64_t d = acpi_pm_now_ns() - pm->t0_ns;

	return (uint32_t)(d / NSEC_PER_SEC * PM_TIMER_HZ +
			  d % NSEC_PER_SEC * PM_TIMER_HZ / NSEC_PER_SEC);
}

/* The SCI is level-triggered: it follows status & enable.  Lock held. */
static void acpi_pm_update_sci(struct acpi_pm *pm)
{
	bool level = pm->sts & pm->en & PM1_SCI_EVENTS;

	if (level == pm->sci)
		return;
	pm->sci = level;
	/* Without an in-kernel irqchip there is nothing to raise. */
	vmm_irq_set(pm->vm, pm->sci_gsi, level);
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, sizeof(v));
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static void acpi_pm_read(void *opaque, uint64_t offset, uint8_t *data,
			 uint32_t size)
{
	struct acpi_pm *pm = opaque;
	uint8_t regs[FW_PM_BLOCK_LEN] = { 0 };
	uint32_t tmr = acpi_pm_timer(pm);
	uint32_t i;

	pthread_mutex_lock(&pm->lock);
	put16(regs + FW_PM1_EVT_OFF, pm->sts);
	put16(regs + FW_PM1_EVT_OFF + 2, pm->en);
	put16(regs + FW_PM1_CNT_OFF, pm->cnt | PM1_SCI_EN);
	pthread_mutex_unlock(&pm->lock);
	memcpy(regs + FW_PM_TMR_OFF, &tmr, sizeof(tmr));

	/* The reset register and the gaps read 0; past the block, 0xff. */
	for (i = 0; i < size; i++)
		data[i] = offset < FW_PM_BLOCK_LEN &&
			  i < FW_PM_BLOCK_LEN - offset ? regs[offset + i]
						       : 0xff;
}

static void acpi_pm_write(void *opaque, uint64_t offset, const uint8_t *data,
			  uint32_t size)
{
	struct acpi_pm *pm = opaque;
	uint8_t val[FW_PM_BLOCK_LEN] = { 0 }, mask[FW_PM_BLOCK_LEN] = { 0 };
	uint16_t sts_clear, en_mask, cnt_mask, cnt;
	bool sleep = false, reset;
	unsigned int slp_typ = 0;
	uint32_t i;

	/* Any width at any offset: collect which bytes this write hits. */
	for (i = 0; i < size; i++) {
		if (offset >= FW_PM_BLOCK_LEN || i >= FW_PM_BLOCK_LEN - offset)
			break;
		val[offset + i] = data[i];
		mask[offset + i] = 0xff;
	}
	sts_clear = get16(val + FW_PM1_EVT_OFF) & get16(mask + FW_PM1_EVT_OFF);
	en_mask = get16(mask + FW_PM1_EVT_OFF + 2);
	cnt_mask = get16(mask + FW_PM1_CNT_OFF);
	reset = mask[FW_PM_RESET_OFF] &&
		val[FW_PM_RESET_OFF] == FW_PM_RESET_VALUE;

	pthread_mutex_lock(&pm->lock);
	/* Status bits are write-1-to-clear. */
	pm->sts &= ~sts_clear;
	pm->en = (pm->en & ~en_mask) |
		 (get16(val + FW_PM1_EVT_OFF + 2) & en_mask & PM1_EN_MASK);
	if (cnt_mask) {
		cnt = (pm->cnt & ~cnt_mask) |
		      (get16(val + FW_PM1_CNT_OFF) & cnt_mask);
		pm->cnt = cnt & PM1_CNT_STORED;
		if (cnt & cnt_mask & PM1_SLP_EN) {
			sleep = true;
			slp_typ = (cnt & PM1_SLP_TYP) >> PM1_SLP_TYP_SHIFT;
		}
	}
	if (sleep && slp_typ != FW_SLP_TYP_S5)
		pm->sts |= PM1_WAK;
	acpi_pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);

	if (sleep && slp_typ == FW_SLP_TYP_S5)
		vmm_vm_request_stop(pm->vm, VMM_STOP_POWEROFF, 0);
	if (reset)
		vmm_vm_request_stop(pm->vm, VMM_STOP_RESET, 0);
}

static const struct vmm_io_ops acpi_pm_ops = {
	.read = acpi_pm_read,
	.write = acpi_pm_write,
};

void acpi_pm_power_button(struct acpi_pm *pm)
{
	pthread_mutex_lock(&pm->lock);
	pm->sts |= PM1_PWRBTN;
	acpi_pm_update_sci(pm);
	pthread_mutex_unlock(&pm->lock);
}

static void acpi_pm_destroy(void *opaque)
{
	struct acpi_pm *pm = opaque;

	pthread_mutex_destroy(&pm->lock);
	free(pm);
}

int acpi_pm_create(struct vmm_vm *vm, uint16_t pm_base, uint32_t sci_gsi,
		   struct acpi_pm **out)
{
	struct acpi_pm *pm;
	int ret;

	if (pm_base == 0 || pm_base > 0x10000 - FW_PM_BLOCK_LEN)
		return vmm_set_error(vm, -EINVAL,
				     "acpi-pm: ports 0x%x..+0x%x do not fit in 1..0xffff",
				     pm_base, FW_PM_BLOCK_LEN);
	if (sci_gsi >= FW_IOAPIC_PINS)
		return vmm_set_error(vm, -EINVAL,
				     "acpi-pm: SCI GSI %u is not an IOAPIC input (0..%u)",
				     sci_gsi, FW_IOAPIC_PINS - 1);

	pm = calloc(1, sizeof(*pm));
	if (!pm)
		return vmm_set_error(vm, -ENOMEM, "acpi-pm: out of memory");
	pm->vm = vm;
	pm->sci_gsi = sci_gsi;
	pm->t0_ns = acpi_pm_now_ns();
	ret = pthread_mutex_init(&pm->lock, NULL);
	if (ret) {
		ret = vmm_set_error(vm, -ret, "acpi-pm: mutex init failed");
		goto err_free;
	}

	ret = vmm_io_register(vm, VMM_SPACE_PIO, pm_base, FW_PM_BLOCK_LEN,
			      &acpi_pm_ops, pm, "acpi-pm");
	if (ret)
		goto err_mutex;
	ret = vmm_device_add(vm, "acpi-pm", acpi_pm_destroy, pm);
	if (ret)
		goto err_io;

	if (out)
		*out = pm;
	return 0;

err_io:
	vmm_io_unregister(vm, VMM_SPACE_PIO, pm_base);
err_mutex:
	pthread_mutex_destroy(&pm->lock);
err_free:
	free(pm);
	return ret;
}
