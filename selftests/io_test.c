// SPDX-License-Identifier: GPL-2.0
/*
 * Device access from the guest: port I/O in every size with string and REP
 * forms, MMIO through every instruction form the decoder supports (values
 * checked on both sides), the CPUID table, and MSR exits and filtering.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/vhv_test.h"
#include "lib/guest.h"

#define MMIO_GPA	0xfe000000ull
#define MMIO_VA		0xfe000000ull
#define MMIO_SIZE	4096

/* ---- a device for the tests: MMIO registers and ports ----------------------- */

struct device {
	uint8_t regs[MMIO_SIZE];
	unsigned int mmio_reads, mmio_writes;
	uint8_t out_log[16384];
	unsigned int out_bytes, pio_exits;
	uint32_t in_seed;
};

/* Port reads return bytes counting up from in_seed. */
static void handle_io(struct device *d, struct vhv_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned int n = run->io.size * run->io.count, i;

	d->pio_exits++;
	if (run->io.direction == VHV_IO_OUT) {
		TEST_REQUIRE(d->out_bytes + n <= sizeof(d->out_log), "out log full");
		memcpy(d->out_log + d->out_bytes, data, n);
		d->out_bytes += n;
	} else {
		for (i = 0; i < n; i++)
			data[i] = d->in_seed++;
	}
}

static void handle_mmio(struct device *d, struct vhv_run *run)
{
	uint64_t off = run->mmio.phys_addr - MMIO_GPA;

	TEST_REQUIRE(off + run->mmio.len <= MMIO_SIZE, "MMIO outside the device: %#llx",
		     (unsigned long long)run->mmio.phys_addr);
	if (run->mmio.is_write) {
		memcpy(d->regs + off, run->mmio.data, run->mmio.len);
		d->mmio_writes++;
	} else {
		memcpy(run->mmio.data, d->regs + off, run->mmio.len);
		d->mmio_reads++;
	}
}

/* Runs the guest, serving the device, until DONE. */
static bool run_with_device(struct vcpu *vcpu, struct device *d)
{
	struct ucall *uc;

	for (;;) {
		vcpu_run(vcpu);
		if (vcpu->run->exit_reason == VHV_EXIT_MMIO) {
			handle_mmio(d, vcpu->run);
			continue;
		}
		uc = vcpu_ucall(vcpu);
		if (uc && uc->cmd == UCALL_FAIL)
			tap_bail(__FILE__, __LINE__, "guest assertion at line %llu: %#llx != %#llx",
				 (unsigned long long)uc->args[0], (unsigned long long)uc->args[1],
				 (unsigned long long)uc->args[2]);
		if (uc && uc->cmd == UCALL_DONE)
			return true;
		if (uc)
			continue;
		if (vcpu->run->exit_reason == VHV_EXIT_IO) {
			handle_io(d, vcpu->run);
			continue;
		}
		tap_diag("unexpected exit %s (suberror %u, data %#llx %#llx %#llx %#llx)",
			 exit_reason_name(vcpu->run->exit_reason), vcpu->run->internal.suberror,
			 (unsigned long long)vcpu->run->internal.data[0],
			 (unsigned long long)vcpu->run->internal.data[1],
			 (unsigned long long)vcpu->run->internal.data[2],
			 (unsigned long long)vcpu->run->internal.data[3]);
		return false;
	}
}

static struct vcpu *long_mode_guest(struct vm **vmp, void (*fn)(void *), void *arg)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu = vcpu_add(vm, 0);

	vm_map_self(vm);
	vm_map_gpa(vm, MMIO_VA, MMIO_GPA, MMIO_SIZE);
	vcpu_setup_long_mode(vcpu, fn, arg);
	*vmp = vm;
	return vcpu;
}

static void done_with(struct vm *vm, struct vcpu *vcpu)
{
	vcpu_free(vcpu);
	vm_free(vm);
}

/* ---- port I/O ------------------------------------------------------------------- */

static uint8_t pio_buf[8192];

static void guest_pio(void *arg)
{
	uint64_t n, i;
	uint8_t *p;

	(void)arg;
	guest_outb(0x70, 0xa1);
	guest_outw(0x1234, 0xb2c3);
	guest_outl(0xcf8, 0x80001234);
	GUEST_ASSERT_EQ(guest_inb(0x71), 0x10);			/* seed 0x10 */
	GUEST_ASSERT_EQ(guest_inw(0x4000), 0x1211);
	GUEST_ASSERT_EQ(guest_inl(0xcfc), 0x16151413);
	/* REP OUTSB of 6000 bytes: several exits, each within a page. */
	for (i = 0; i < 6000; i++)
		pio_buf[i] = i * 7;
	n = 6000;
	p = pio_buf;
	asm volatile("rep outsb" : "+S" (p), "+c" (n) : "d" (0x3f8) : "memory");
	GUEST_ASSERT_EQ(n, 0);
	GUEST_ASSERT_EQ(p, pio_buf + 6000);
	/* REP OUTSD of 100 dwords */
	n = 100;
	p = pio_buf;
	asm volatile("rep outsl" : "+S" (p), "+c" (n) : "d" (0x3f8) : "memory");
	/* REP INSW into the buffer: 1000 words from the device. */
	n = 1000;
	p = pio_buf;
	asm volatile("rep insw" : "+D" (p), "+c" (n) : "d" (0x60) : "memory");
	GUEST_ASSERT_EQ(n, 0);
	for (i = 0; i < 2000; i++)
		GUEST_ASSERT_EQ(pio_buf[i], (uint8_t)(0x17 + i));
	/* Backwards (DF=1): OUTSB from the end, one element at a time. */
	n = 3;
	p = pio_buf + 2;
	asm volatile("std; rep outsb; cld" : "+S" (p), "+c" (n) : "d" (0x3f8) : "memory");
	GUEST_ASSERT_EQ(p, (uintptr_t)pio_buf - 1);
	/* A single INSB, no REP. */
	p = pio_buf + 4096;
	asm volatile("insb" : "+D" (p) : "d" (0x61) : "memory");
	GUEST_ASSERT_EQ(pio_buf[4096], (uint8_t)(0x17 + 2000));
	GUEST_DONE();
}

static void test_pio(void)
{
	struct device *d = calloc(1, sizeof(*d));
	struct vm *vm;
	struct vcpu *vcpu = long_mode_guest(&vm, guest_pio, NULL);
	bool ok, outs_ok = true;
	unsigned int i;

	d->in_seed = 0x10;
	ok = run_with_device(vcpu, d);
	tap_result(ok, "port I/O guest ran to completion (%u I/O exits)", d->pio_exits);
	tap_result(d->out_log[0] == 0xa1 && d->out_log[1] == 0xc3 && d->out_log[2] == 0xb2 &&
		   !memcmp(d->out_log + 3, "\x34\x12\x00\x80", 4),
		   "OUT in 1, 2 and 4 bytes: the host saw the right bytes");
	for (i = 0; i < 6000; i++)
		outs_ok &= d->out_log[7 + i] == (uint8_t)(i * 7);
	tap_result(outs_ok && d->out_bytes == 7 + 6000 + 400 + 3,
		   "REP OUTSB (6000 bytes) and REP OUTSD (100 dwords) arrive whole (%u bytes)",
		   d->out_bytes);
	tap_result(d->pio_exits < 6 + 100, "string I/O moves many elements per exit (%u exits)",
		   d->pio_exits);
	tap_result(!memcmp(d->out_log + 6407, (uint8_t[]){ 0x19, 0x18, 0x17 }, 3),
		   "OUTSB with DF=1 goes backwards");
	tap_result(ok, "IN in 1, 2 and 4 bytes, REP INSW and INSB deliver the device's data");
	done_with(vm, vcpu);
	free(d);
}

/* ---- MMIO: every decoder form ------------------------------------------------------ */

#define M8(off)		(*(volatile uint8_t *)(MMIO_VA + (off)))
#define M32(off)	(*(volatile uint32_t *)(MMIO_VA + (off)))
#define M64(off)	(*(volatile uint64_t *)(MMIO_VA + (off)))

static void guest_mmio(void *arg)
{
	volatile uint8_t *m = (volatile uint8_t *)MMIO_VA;
	uint8_t *ram = arg;
	uint64_t v, n;
	uint8_t flag;
	void *p, *q;

	/* MOV stores, every width, register and immediate */
	asm volatile("movb %1, (%0)" : : "r" (m), "q" ((uint8_t)0x11) : "memory");
	asm volatile("movw %1, 2(%0)" : : "r" (m), "r" ((uint16_t)0x2233) : "memory");
	asm volatile("movl %1, 4(%0)" : : "r" (m), "r" (0x44556677u) : "memory");
	asm volatile("movq %1, 8(%0)" : : "r" (m), "r" (0x8899aabbccddeeffull) : "memory");
	asm volatile("movb $0x12, 16(%0)" : : "r" (m) : "memory");
	asm volatile("movw $0x3456, 18(%0)" : : "r" (m) : "memory");
	asm volatile("movl $0x789abcde, 20(%0)" : : "r" (m) : "memory");
	asm volatile("movq $-2, 24(%0)" : : "r" (m) : "memory");
	/* MOV loads, every width, into low and high byte registers and r8+ */
	asm volatile("movb (%1), %b0" : "=q" (v) : "r" (m) : "memory");
	GUEST_ASSERT_EQ(v & 0xff, 0x11);
	asm volatile("xor %%eax, %%eax; movb 2(%1), %%ah; mov %%rax, %0"
		     : "=r" (v) : "r" (m) : "rax", "memory");
	GUEST_ASSERT_EQ(v, 0x3300);
	asm volatile("movw 2(%1), %w0" : "=r" (v) : "r" (m) : "memory");
	GUEST_ASSERT_EQ(v & 0xffff, 0x2233);
	asm volatile("mov $-1, %0; movl 4(%1), %k0" : "=&r" (v) : "r" (m) : "memory");
	GUEST_ASSERT_EQ(v, 0x44556677);		/* 32-bit loads zero-extend */
	asm volatile("movq 8(%1), %%r11; mov %%r11, %0" : "=r" (v) : "r" (m) : "r11", "memory");
	GUEST_ASSERT_EQ(v, 0x8899aabbccddeeffull);
	GUEST_ASSERT_EQ(M8(16), 0x12);
	GUEST_ASSERT_EQ(M32(20), 0x789abcde);
	GUEST_ASSERT_EQ(M64(24), 0xfffffffffffffffeull);
	/* moffs forms (A0-A3): absolute 64-bit addresses */
	asm volatile("movabs 0xfe000004, %%eax; mov %%rax, %0" : "=r" (v) : : "rax", "memory");
	GUEST_ASSERT_EQ(v, 0x44556677);
	asm volatile("mov $0x5a, %%al; movabs %%al, 0xfe000030" : : : "rax", "memory");
	GUEST_ASSERT_EQ(M8(0x30), 0x5a);
	/* MOVZX, MOVSX, MOVSXD */
	M8(0x40) = 0x80;
	M32(0x44) = 0x80000001;
	asm volatile("movzbl 0x40(%1), %k0" : "=r" (v) : "r" (m) : "memory");
	GUEST_ASSERT_EQ(v, 0x80);
	asm volatile("movsbq 0x40(%1), %0" : "=r" (v) : "r" (m) : "memory");
	GUEST_ASSERT_EQ(v, 0xffffffffffffff80ull);
	asm volatile("movzwl 0x44(%1), %k0" : "=r" (v) : "r" (m) : "memory");
	GUEST_ASSERT_EQ(v, 1);
	asm volatile("movswq 0x46(%1), %0" : "=r" (v) : "r" (m) : "memory");
	GUEST_ASSERT_EQ(v, 0xffffffffffff8000ull);
	asm volatile("movslq 0x44(%1), %0" : "=r" (v) : "r" (m) : "memory");
	GUEST_ASSERT_EQ(v, 0xffffffff80000001ull);
	/* ALU with a memory destination, and CMP/TEST setting flags */
	M32(0x50) = 0xf0f0;
	asm volatile("orl $0x0f, 0x50(%0)" : : "r" (m) : "memory");
	GUEST_ASSERT_EQ(M32(0x50), 0xf0ff);
	asm volatile("andl %1, 0x50(%0)" : : "r" (m), "r" (0xff00u) : "memory");
	GUEST_ASSERT_EQ(M32(0x50), 0xf000);
	asm volatile("xorw $0x1111, 0x50(%0)" : : "r" (m) : "memory");
	GUEST_ASSERT_EQ(M32(0x50), 0xe111);
	asm volatile("addl %1, 0x50(%0)" : : "r" (m), "r" (0x1000u) : "memory");
	GUEST_ASSERT_EQ(M32(0x50), 0xf111);
	asm volatile("subq $0x111, 0x50(%0)" : : "r" (m) : "memory");
	GUEST_ASSERT_EQ(M32(0x50), 0xf000);
	asm volatile("lock addl $1, 0x50(%0)" : : "r" (m) : "memory");
	GUEST_ASSERT_EQ(M32(0x50), 0xf001);
	asm volatile("cmpl $0xf001, 0x50(%1); sete %0" : "=q" (flag) : "r" (m) : "memory");
	GUEST_ASSERT_EQ(flag, 1);
	asm volatile("cmpb $0x02, 0x50(%1); setb %0" : "=q" (flag) : "r" (m) : "memory");
	GUEST_ASSERT_EQ(flag, 1);			/* 0x01 < 0x02: CF */
	asm volatile("testl $0x8000, 0x50(%1); setnz %0" : "=q" (flag) : "r" (m) : "memory");
	GUEST_ASSERT_EQ(flag, 1);
	/* ALU with a register destination */
	v = 0x10;
	asm volatile("addl 0x50(%1), %k0" : "+r" (v) : "r" (m) : "memory");
	GUEST_ASSERT_EQ(v, 0xf011);
	asm volatile("subq 0x50(%2), %0; sets %1" : "+r" (v), "=q" (flag) : "r" (m) : "memory");
	GUEST_ASSERT_EQ(v, 0x10);
	GUEST_ASSERT_EQ(flag, 0);
	/* BT, BTS, BTR, BTC */
	M32(0x60) = 0x8;
	asm volatile("btl $3, 0x60(%1); setc %0" : "=q" (flag) : "r" (m) : "memory");
	GUEST_ASSERT_EQ(flag, 1);
	asm volatile("btsl $5, 0x60(%0)" : : "r" (m) : "memory");
	asm volatile("btrl %1, 0x60(%0)" : : "r" (m), "r" (3) : "memory");
	asm volatile("lock btcl $31, 0x60(%0)" : : "r" (m) : "memory");
	GUEST_ASSERT_EQ(M32(0x60), 0x80000020);
	/* XCHG */
	v = 0x1234;
	asm volatile("xchgq %0, 0x68(%1)" : "+r" (v) : "r" (m) : "memory");
	GUEST_ASSERT_EQ(v, 0);
	GUEST_ASSERT_EQ(M64(0x68), 0x1234);
	/* Segment override (FS base set through the MSR), address-size override */
	guest_wrmsr(0xc0000100, MMIO_VA + 0x100);
	asm volatile("movl $0xfeedface, %%fs:8" : : : "memory");
	GUEST_ASSERT_EQ(M32(0x108), 0xfeedface);
	asm volatile("movl (%k1), %k0" : "=r" (v) : "r" (MMIO_VA + 0x108) : "memory");
	GUEST_ASSERT_EQ(v, 0xfeedface);
	/* STOS: REP STOSB and STOSQ, one exit per element */
	n = 16;
	p = (void *)(MMIO_VA + 0x200);
	asm volatile("rep stosb" : "+D" (p), "+c" (n) : "a" (0x77) : "memory");
	GUEST_ASSERT_EQ(M64(0x208), 0x7777777777777777ull);
	n = 2;
	asm volatile("rep stosq" : "+D" (p), "+c" (n) : "a" (0x0102030405060708ull) : "memory");
	GUEST_ASSERT_EQ(M64(0x218), 0x0102030405060708ull);
	/* MOVS: RAM to MMIO and MMIO to RAM */
	for (n = 0; n < 32; n++)
		ram[n] = 0xc0 + n;
	n = 32;
	p = (void *)(MMIO_VA + 0x300);
	q = ram;
	asm volatile("rep movsb" : "+D" (p), "+S" (q), "+c" (n) : : "memory");
	GUEST_ASSERT_EQ(M8(0x31f), 0xdf);
	n = 4;
	p = ram + 64;
	q = (void *)(MMIO_VA + 0x300);
	asm volatile("rep movsq" : "+D" (p), "+S" (q), "+c" (n) : : "memory");
	GUEST_ASSERT_EQ(ram[64 + 31], 0xdf);
	GUEST_DONE();
}

static void test_mmio(void)
{
	struct device *d = calloc(1, sizeof(*d));
	uint8_t *ram = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vm *vm;
	struct vcpu *vcpu = long_mode_guest(&vm, guest_mmio, ram);
	struct vhv_vcpu_stats st;
	bool ok;

	vm_map_host(vm, ram, 4096, false);
	ok = run_with_device(vcpu, d);
	tap_result(ok, "every MMIO form (MOV, moffs, MOVZX/SX, ALU, BT*, XCHG, STOS, MOVS, "
		   "prefixes) gave the guest the right values");
	tap_result(!memcmp(d->regs, "\x11\x00\x33\x22\x77\x66\x55\x44", 8) &&
		   d->regs[8] == 0xff && d->regs[15] == 0x88 && d->regs[0x60] == 0x20,
		   "the device saw the guest's stores byte for byte");
	vhv_ioctl(vcpu->fd, VHV_GET_VCPU_STATS, &st);
	tap_result(st.count[VHV_STAT_MMIO] == d->mmio_reads + d->mmio_writes,
		   "MMIO exit counter matches the device (%u reads, %u writes)",
		   d->mmio_reads, d->mmio_writes);
	done_with(vm, vcpu);
	munmap(ram, 4096);
	free(d);
}

/* An instruction the decoder does not emulate stops the vCPU, naming it. */
static void guest_bad_mmio(void *arg)
{
	(void)arg;
	asm volatile("notl (%0)" : : "r" (MMIO_VA) : "memory");
	GUEST_DONE();
}

static void test_mmio_unsupported(void)
{
	struct vm *vm;
	struct vcpu *vcpu = long_mode_guest(&vm, guest_bad_mmio, NULL);
	struct vhv_exit_internal *in = &vcpu->run->internal;

	vcpu_run(vcpu);
	tap_result(vcpu->run->exit_reason == VHV_EXIT_INTERNAL_ERROR &&
		   in->suberror == VHV_INTERNAL_EMULATION && in->data[0] == MMIO_GPA &&
		   in->data[2] >= 2 && (in->data[3] & 0xff) == 0xf7 &&
		   ((in->data[3] >> 11) & 7) == 2,
		   "NOT on MMIO: internal error EMULATION with the GPA and the bytes (f7 /2)");
	done_with(vm, vcpu);
}

/* ---- CPUID ---------------------------------------------------------------------------- */

static void guest_cpuid_report(void *arg)
{
	uint32_t r[4];

	(void)arg;
	guest_cpuid(0, 0, r);
	GUEST_SYNC((uint64_t)r[0] | (uint64_t)r[1] << 32);
	guest_cpuid(7, 1, r);
	GUEST_SYNC((uint64_t)r[0] | (uint64_t)r[3] << 32);
	guest_cpuid(7, 0, r);
	GUEST_SYNC(r[0]);
	guest_cpuid(0x4000a000, 0, r);	/* absent: zeros */
	GUEST_SYNC((uint64_t)r[0] | r[1] | r[2] | r[3]);
	GUEST_DONE();
}

static struct vhv_cpuid_entry *find_leaf(struct vhv_cpuid_entry *e, unsigned int n,
					 uint32_t fn)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (e[i].function == fn)
			return &e[i];
	return NULL;
}

/* Whether VHV_SET_SREGS takes CR4 with bit set (put back as it was). */
static bool cr4_bit_settable(struct vcpu *vcpu, uint64_t bit)
{
	struct vhv_sregs s = vcpu_sregs(vcpu), t = s;
	bool ok;

	t.cr4 |= bit;
	ok = !ioctl(vcpu->fd, VHV_SET_SREGS, &t);
	vcpu_set_sregs(vcpu, &s);
	return ok;
}

static struct vhv_cpuid_entry *find_subleaf(struct vhv_cpuid_entry *e, unsigned int n,
					     uint32_t fn, uint32_t idx)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (e[i].function == fn && e[i].index == idx)
			return &e[i];
	return NULL;
}

static void test_cpuid(void)
{
	struct vhv_cpuid_entry table[VHV_MAX_CPUID_ENTRIES + 1];
	struct vhv_cpuid c = { .nent = 1, .entries = (uintptr_t)table };
	struct vm *vm;
	struct vcpu *vcpu = long_mode_guest(&vm, guest_cpuid_report, NULL);
	struct vhv_cpuid_entry *e;
	struct ucall uc;

	TEST_ERRNO(ioctl(vcpu->fd, VHV_GET_CPUID, &c), E2BIG,
		   "VHV_GET_CPUID with room for one entry");
	tap_result(c.nent > 10, "... and nent says the default table has %u entries", c.nent);
	TEST_OK(ioctl(vcpu->fd, VHV_GET_CPUID, &c), "VHV_GET_CPUID");
	e = find_leaf(table, c.nent, 1);
	tap_result(e && (e->ecx & (1u << 31)) && !(e->ecx & (1u << 5)) &&
		   (e->ebx >> 24) == 0,
		   "default leaf 1: hypervisor bit set, VMX clear, APIC id 0");
	e = find_leaf(table, c.nent, 0x80000001);
	tap_result(!e || !(e->ecx & (1u << 2)), "default leaf 0x80000001: SVM clear");
	tap_result(!find_leaf(table, c.nent, 0x8000000a), "no SVM feature leaf");
	/*
	 * vhv has no IA32_TSC_ADJUST (MSR 0x3b): a Linux guest shown the
	 * feature reads it at boot and logs an unchecked MSR access (seen
	 * on VT-x, whose Bochs CPU has it).
	 */
	e = find_subleaf(table, c.nent, 7, 0);
	tap_result(!e || !(e->ebx & (1u << 1)), "default leaf 7: TSC_ADJUST clear");
	/* Nor CET, which vhv's CR4 refuses. */
	tap_result(!e || (!(e->ecx & (1u << 7)) && !(e->edx & (1u << 20))),
		   "default leaf 7: CET shadow stacks and IBT clear");
	/* Nor features whose MSRs vhv lacks (a guest reads some unchecked). */
	tap_result(!e || (!(e->ecx & ((1u << 13) | (1u << 23) | (1u << 24))) &&
			  !(e->edx & ((1u << 5) | (1u << 9) | (1u << 11) | (1u << 13) |
				      (1u << 19) | (1u << 28)))),
		   "default leaf 7: TME, KL, BUS_LOCK_DETECT, UINTR, SRBDS_CTRL, TSX_FORCE_ABORT, ARCH_LBR, L1D_FLUSH clear (ecx %#x edx %#x)",
		   e ? e->ecx : 0, e ? e->edx : 0);
	/*
	 * Each feature shown whose CR4 bit the guest may not set (a host
	 * booted with nopcid, no5lvl, ...): none.
	 */
	{
		const struct vhv_cpuid_entry *l1 = find_leaf(table, c.nent, 1);
		bool bad = false;

		bad |= l1 && (l1->ecx & (1u << 17)) && !cr4_bit_settable(vcpu, 1ull << 17);
		bad |= e && (e->ebx & 1u) && !cr4_bit_settable(vcpu, 1ull << 16);
		bad |= e && (e->ebx & (1u << 7)) && !cr4_bit_settable(vcpu, 1ull << 20);
		bad |= e && (e->ebx & (1u << 20)) && !cr4_bit_settable(vcpu, 1ull << 21);
		bad |= e && (e->ecx & (1u << 2)) && !cr4_bit_settable(vcpu, 1ull << 11);
		bad |= e && (e->ecx & (1u << 16)) && !cr4_bit_settable(vcpu, 1ull << 12);
		tap_result(!bad, "default leaves 1 and 7: no feature shown whose CR4 bit is refused");
	}
	/* Nor LASS, FRED, LKGS or LAM: CR4/CR3 bits and MSRs vhv lacks. */
	e = find_subleaf(table, c.nent, 7, 1);
	tap_result(!e || !(e->eax & ((1u << 6) | (1u << 17) | (1u << 18) | (1u << 26))),
		   "default leaf 7.1: LASS, FRED, LKGS and LAM clear (eax %#x)", e ? e->eax : 0);
	/* Nor SPEC_CTRL bits vhv's SPEC_CTRL refuses (BHI_DIS_S...). */
	e = find_subleaf(table, c.nent, 7, 2);
	tap_result(!e || !(e->edx & 0x1f),
		   "default leaf 7.2: PSFD, IPRED/RRSBA/BHI_CTRL, DDPD_U clear (edx %#x)",
		   e ? e->edx : 0);

	/* A table of our own. */
	memset(table, 0, sizeof(table));
	table[0] = (struct vhv_cpuid_entry) { .function = 0, .eax = 0x1234, .ebx = 0xabcd };
	table[1] = (struct vhv_cpuid_entry) { .function = 7, .index = 1,
		.flags = VHV_CPUID_INDEXED, .eax = 0x71, .edx = 0x72 };
	table[2] = (struct vhv_cpuid_entry) { .function = 7, .index = 0,
		.flags = VHV_CPUID_INDEXED, .eax = 0x70 };
	c.nent = 3;
	TEST_OK(ioctl(vcpu->fd, VHV_SET_CPUID, &c), "VHV_SET_CPUID with three entries");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 0xabcd00001234ull, "the guest sees leaf 0 from the table");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 0x7200000071ull, "indexed leaf 7.1 answered by its index");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 0x70, "indexed leaf 7.0");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 0, "a leaf missing from the table reads as zeros");

	table[2].index = 1;
	TEST_ERRNO(ioctl(vcpu->fd, VHV_SET_CPUID, &c), EINVAL, "two entries for leaf 7.1");
	table[2].index = 0;
	table[0].flags = 2;
	TEST_ERRNO(ioctl(vcpu->fd, VHV_SET_CPUID, &c), EINVAL, "unknown entry flag");
	table[0].flags = 0;
	table[0].index = 5;
	TEST_ERRNO(ioctl(vcpu->fd, VHV_SET_CPUID, &c), EINVAL, "index on a non-indexed leaf");
	table[0].index = 0;
	c.nent = VHV_MAX_CPUID_ENTRIES + 1;
	TEST_ERRNO(ioctl(vcpu->fd, VHV_SET_CPUID, &c), E2BIG, "%u entries", c.nent);
	done_with(vm, vcpu);
}

/* ---- MSRs ----------------------------------------------------------------------------- */

static void guest_msrs(void *arg)
{
	(void)arg;
	guest_exceptions.skip = 2;	/* RDMSR/WRMSR are two bytes */
	/* Kernel-emulated: PAT and TSC_AUX round-trip without exits. */
	guest_wrmsr(0x277, 0x0007040600070406ull);
	GUEST_ASSERT_EQ(guest_rdmsr(0x277), 0x0007040600070406ull);
	guest_wrmsr(0xc0000103, 7);
	GUEST_ASSERT_EQ(guest_rdmsr(0xc0000103), 7);
	/* Filtered: answered by userspace. */
	GUEST_ASSERT_EQ(guest_rdmsr(0x4b564d00), 0x1122334455667788ull);
	guest_wrmsr(0x4b564d01, 0xabcdef);
	/* Unknown MSR, default policy: #GP. */
	guest_rdmsr(0xdead);
	GUEST_ASSERT_EQ(guest_exceptions.count[13], 1);
	/* A bad PAT value: #GP. */
	guest_wrmsr(0x277, 0x0808080808080808ull);
	GUEST_ASSERT_EQ(guest_exceptions.count[13], 2);
	/* Userspace refuses this one: #GP. */
	guest_rdmsr(0x4b564d02);
	GUEST_ASSERT_EQ(guest_exceptions.count[13], 3);
	GUEST_DONE();
}

static void test_msrs(void)
{
	struct vhv_msr_filter f = {
		.nranges = 1,
		.ranges[0] = { .base = 0x4b564d00, .count = 3,
			       .flags = VHV_MSR_FILTER_READ | VHV_MSR_FILTER_WRITE },
	};
	struct vm *vm;
	struct vcpu *vcpu = long_mode_guest(&vm, guest_msrs, NULL);
	struct vhv_exit_msr *x = &vcpu->run->msr;
	struct vhv_msr_entry e[2] = { { .index = 0x277 }, { .index = 0xc0000103 } };
	struct vhv_msrs m = { .nmsrs = 2, .entries = (uintptr_t)e };
	bool read_ok, write_ok, refuse_ok;

	vcpu_setup_idt(vcpu);
	TEST_OK(ioctl(vm->fd, VHV_SET_MSR_FILTER, &f), "VHV_SET_MSR_FILTER with one range");
	vcpu_run(vcpu);
	read_ok = vcpu->run->exit_reason == VHV_EXIT_MSR && !x->is_write &&
		  x->index == 0x4b564d00 && x->reason == VHV_MSR_EXIT_FILTER;
	x->data = 0x1122334455667788ull;
	vcpu_run(vcpu);
	write_ok = vcpu->run->exit_reason == VHV_EXIT_MSR && x->is_write &&
		   x->index == 0x4b564d01 && x->data == 0xabcdef;
	vcpu_run(vcpu);
	refuse_ok = vcpu->run->exit_reason == VHV_EXIT_MSR && x->index == 0x4b564d02;
	x->error = 1;
	tap_result(read_ok, "filtered RDMSR exits to userspace, which supplies the value");
	tap_result(write_ok, "filtered WRMSR exits with the guest's value");
	tap_result(refuse_ok && vcpu_run_to_ucall(vcpu, NULL) == UCALL_DONE,
		   "kernel MSRs, #GP for unknown/bad/refused MSRs all as the guest expected");
	TEST_OK(ioctl(vcpu->fd, VHV_GET_MSRS, &m), "VHV_GET_MSRS");
	tap_result(e[0].data == 0x0007040600070406ull && e[1].data == 7,
		   "VHV_GET_MSRS reads the guest's PAT and TSC_AUX");

	f.flags = 4;
	TEST_ERRNO(ioctl(vm->fd, VHV_SET_MSR_FILTER, &f), EINVAL, "unknown filter flag");
	f.flags = 0;
	f.ranges[0].count = 0;
	TEST_ERRNO(ioctl(vm->fd, VHV_SET_MSR_FILTER, &f), EINVAL, "empty filter range");
	f.ranges[0] = (struct vhv_msr_range) { .base = 0xffffff00, .count = 0x200, .flags = 1 };
	TEST_ERRNO(ioctl(vm->fd, VHV_SET_MSR_FILTER, &f), EINVAL, "range wrapping past 2^32");
	f.ranges[0].count = 1;
	f.nranges = VHV_MAX_MSR_RANGES + 1;
	TEST_ERRNO(ioctl(vm->fd, VHV_SET_MSR_FILTER, &f), EINVAL, "%u ranges", f.nranges);
	done_with(vm, vcpu);
}

int main(void)
{
	if (!vhv_can_run("device access tests"))
		return tap_done();
	test_pio();
	test_mmio();
	test_mmio_unsupported();
	test_cpuid();
	test_msrs();
	return tap_done();
}
