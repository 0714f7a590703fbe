// SPDX-License-Identifier: GPL-2.0
/* The entry states loaders hand a kernel: long mode and flat 32-bit mode. */
#include <errno.h>
#include <string.h>

#include "vmm/boot.h"
#include "vmm/internal.h"

#define BOOT_GDT	0x1000ull
#define BOOT_PML4	0x9000ull
#define BOOT_PDPT	0xa000ull
#define BOOT_PD		0xb000ull	/* 4 pages: 4 GiB of 2 MiB pages */

#define PTE_P		(1ull << 0)
#define PTE_RW		(1ull << 1)
#define PTE_PS		(1ull << 7)

#define CR0_PE		(1ull << 0)
#define CR0_ET		(1ull << 4)
#define CR0_PG		(1ull << 31)
#define CR4_PAE		(1ull << 5)
#define EFER_LME	(1ull << 8)
#define EFER_LMA	(1ull << 10)

/* GDT: null, null, code64 (0x10), data (0x18), code32 (0x20), TSS-less. */
static const uint64_t boot_gdt[] = {
	0,
	0,
	0x00af9b000000ffffull,	/* 0x10: 64-bit code, DPL 0 */
	0x00cf93000000ffffull,	/* 0x18: flat data, 4 GiB */
	0x00cf9b000000ffffull,	/* 0x20: flat 32-bit code, 4 GiB */
};

static struct vhv_segment flat_segment(uint16_t sel, uint8_t type, bool code64)
{
	struct vhv_segment s = {
		.base = 0,
		.limit = 0xffffffff,
		.selector = sel,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = code64 ? 0 : 1,
		.s = 1,
		.l = code64,
		.g = 1,
	};
	return s;
}

static int write_gdt(struct vmm_vm *vm, uint64_t addr)
{
	void *gdt = vmm_guest_ptr(vm, addr, sizeof(boot_gdt));

	if (!gdt)
		return vmm_set_error(vm, -ENOSPC, "boot GDT: not in RAM");
	memcpy(gdt, boot_gdt, sizeof(boot_gdt));
	return 0;
}

static int set_state(struct vmm_vcpu *vcpu, struct vhv_sregs *sregs,
		     struct vhv_regs *regs)
{
	struct vmm_vm *vm = vcpu->vm;
	int r;

	r = vm->ops->set_sregs(vcpu, sregs);
	if (!r)
		r = vm->ops->set_regs(vcpu, regs);
	if (!r)
		vcpu->bsp_ready = true;
	return r;
}

int vmm_x86_enter_long_mode(struct vmm_vcpu *vcpu, uint64_t rip, uint64_t rsi)
{
	struct vmm_vm *vm = vcpu->vm;
	struct vhv_sregs sregs;
	struct vhv_regs regs;
	uint64_t *pml4, *pdpt, *pd;
	unsigned int i;
	int r;

	pml4 = vmm_guest_ptr(vm, BOOT_PML4, 0x1000);
	pdpt = vmm_guest_ptr(vm, BOOT_PDPT, 0x1000);
	pd = vmm_guest_ptr(vm, BOOT_PD, 4 * 0x1000);
	if (!pml4 || !pdpt || !pd)
		return vmm_set_error(vm, -ENOSPC, "boot page tables: not in RAM");
	memset(pml4, 0, 0x1000);
	memset(pdpt, 0, 0x1000);
	pml4[0] = BOOT_PDPT | PTE_P | PTE_RW;
	for (i = 0; i < 4; i++)
		pdpt[i] = (BOOT_PD + i * 0x1000) | PTE_P | PTE_RW;
	for (i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_P | PTE_RW | PTE_PS;
	r = write_gdt(vm, BOOT_GDT);
	if (r)
		return r;

	r = vm->ops->get_sregs(vcpu, &sregs);
	if (r)
		return r;
	sregs.cs = flat_segment(0x10, 0xb, true);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss =
		flat_segment(0x18, 0x3, false);
	sregs.gdt.base = BOOT_GDT;
	sregs.gdt.limit = sizeof(boot_gdt) - 1;
	sregs.cr0 = CR0_PE | CR0_ET | CR0_PG;
	sregs.cr3 = BOOT_PML4;
	sregs.cr4 = CR4_PAE;
	sregs.efer = EFER_LME | EFER_LMA;

	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rsi = rsi;
	regs.rflags = 0x2;
	return set_state(vcpu, &sregs, &regs);
}

int vmm_x86_enter_protected_mode(struct vmm_vcpu *vcpu, uint64_t gdt,
				 uint64_t rip, uint32_t eax, uint32_t ebx)
{
	struct vmm_vm *vm = vcpu->vm;
	struct vhv_sregs sregs;
	struct vhv_regs regs;
	int r;

	r = write_gdt(vm, gdt);
	if (r)
		return r;
	r = vm->ops->get_sregs(vcpu, &sregs);
	if (r)
		return r;
	sregs.cs = flat_segment(0x20, 0xb, false);
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss =
		flat_segment(0x18, 0x3, false);
	sregs.gdt.base = gdt;
	sregs.gdt.limit = sizeof(boot_gdt) - 1;
	sregs.cr0 = CR0_PE | CR0_ET;
	sregs.cr3 = 0;
	sregs.cr4 = 0;
	sregs.efer = 0;

	memset(&regs, 0, sizeof(regs));
	regs.rip = rip;
	regs.rax = eax;
	regs.rbx = ebx;
	regs.rflags = 0x2;
	return set_state(vcpu, &sregs, &regs);
}
