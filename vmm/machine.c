// SPDX-License-Identifier: GPL-2.0
/*
 * The PC machine libvmm builds: legacy devices at their classic ports, the
 * PCI host bridge with virtio devices, and ACPI/MP tables describing them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/acpi_pm.h"
#include "devices/console.h"
#include "devices/debug_exit.h"
#include "devices/i8042.h"
#include "devices/net_user.h"
#include "devices/pci.h"
#include "devices/rtc.h"
#include "devices/serial.h"
#include "devices/virtio.h"
#include "devices/virtio_net.h"
#include "firmware/firmware.h"
#include "vmm/internal.h"

#define COM1_PORT		0x3f8
#define COM1_IRQ		4
#define PM_BASE			0x600
#define SCI_IRQ			9
#define FW_BASE			0xe0000ull
#define FW_SIZE			0x20000ull

struct vmm_pc {
	struct pci_bus *pci;
	struct serial *com1;
	struct debug_exit *debug_exit;
};

static int pc_need(struct vmm_vm *vm, const char *what)
{
	if (!vm->pc)
		return vmm_set_error(vm, -EINVAL,
				     "%s: call vmm_add_pc_devices() first", what);
	if (vm->started)
		return vmm_set_error(vm, -EBUSY, "%s: the VM is already running",
				     what);
	return 0;
}

int vmm_add_pc_devices(struct vmm_vm *vm, const struct vmm_pc_config *cfg)
{
	struct vmm_pc *pc;
	int r;

	if (vm->pc)
		return vmm_set_error(vm, -EEXIST, "PC devices: already added");
	if (vm->started)
		return vmm_set_error(vm, -EBUSY, "PC devices: the VM is already running");
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return vmm_set_error(vm, -ENOMEM, "PC devices: out of memory");
	vm->pc = pc;
	r = serial_create(vm, COM1_PORT, COM1_IRQ, &(struct console_line){
				.kind = cfg->console_kind,
				.in_fd = cfg->console_in,
				.out_fd = cfg->console_out,
				.fd = cfg->console_fd }, &pc->com1);
	if (!r)
		serial_set_output_limit(pc->com1, cfg->console_max);
	if (!r)
		r = i8042_create(vm, NULL);
	if (!r)
		r = rtc_create(vm, NULL);
	/* Only on request: a guest that can write it picks the exit status. */
	if (!r && cfg->debug_exit_port)
		r = debug_exit_create(vm, cfg->debug_exit_port, &pc->debug_exit);
	if (!r)
		r = acpi_pm_create(vm, PM_BASE, SCI_IRQ, NULL);
	if (!r)
		r = pci_bus_create(vm, &pc->pci);
	/* Devices already added are torn down with the VM. */
	return r;
}

int vmm_console_stats(struct vmm_vm *vm, struct vmm_console_stats *st)
{
	struct serial_stats ss;

	if (!vm->pc || !vm->pc->com1)
		return vmm_set_error(vm, -EINVAL,
				     "console: call vmm_add_pc_devices() first");
	serial_flush_stats(vm->pc->com1, &ss);
	st->written = ss.written;
	st->dropped = ss.dropped + ss.buffered;
	st->limited = ss.limited;
	return 0;
}

int vmm_add_disk(struct vmm_vm *vm, const struct vmm_disk_config *cfg)
{
	int r = pc_need(vm, "disk");

	return r ? r : virtio_blk_create(vm, vm->pc->pci, cfg);
}

int vmm_add_net(struct vmm_vm *vm, const struct vmm_net_config *cfg)
{
	int r = pc_need(vm, "net");

	if (r)
		return r;
	return cfg->user ? net_user_create(vm, vm->pc->pci, cfg) :
			   virtio_net_create(vm, vm->pc->pci, cfg);
}

int vmm_add_rng(struct vmm_vm *vm)
{
	int r = pc_need(vm, "rng");

	return r ? r : virtio_rng_create(vm, vm->pc->pci);
}

int vmm_pc_write_firmware(struct vmm_vm *vm, uint64_t *rsdp_gpa)
{
	struct fw_pc_info info = {
		.nr_vcpus = vm->nr_vcpus,
		.pm_base = PM_BASE,
		.sci_irq = SCI_IRQ,
	};
	struct fw_tables tables = { 0 };
	void *buf = vmm_guest_ptr(vm, FW_BASE, FW_SIZE);
	int r;

	if (vm->hpet) {
		info.hpet_id = VHV_HPET_ID;
		info.hpet_addr = VHV_HPET_ADDR;
		info.hpet_min_tick = VHV_HPET_MIN_TICK;
	}

	r = fw_build_tables(buf, FW_BASE, FW_SIZE, &info, &tables);
	if (r)
		return vmm_set_error(vm, r, "firmware tables: %s",
				     tables.error ? tables.error : strerror(-r));
	*rsdp_gpa = tables.rsdp_gpa;
	return 0;
}

void vmm_pc_destroy(struct vmm_vm *vm)
{
	free(vm->pc);
	vm->pc = NULL;
}
