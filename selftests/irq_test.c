// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel interrupt controllers and timers, each driven by a guest
 * program the way Linux drives them: the LAPIC timer (one-shot, periodic,
 * TSC deadline) against the host clock, HLT sleeping in the kernel until
 * an interrupt or a signal, self-IPIs and TPR, x2APIC MSRs and their #GP
 * cases, the IOAPIC (edge, level with remote IRR and EOI), the PIC through
 * ExtINT, the PIT on IRQ 0 and channel 2 as TSC calibration gates it, MSIs,
 * INIT/SIPI start-up of a second vCPU and IPIs between vCPUs; the new
 * ioctls' errors; a guest that storms its own APIC and timers.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "lib/vhv_test.h"
#include "lib/guest.h"

#define APIC		0xfee00000ull
#define IOAPIC		0xfec00000ull
#define APIC_ID		0x20
#define APIC_TPR	0x80
#define APIC_EOI	0xb0
#define APIC_SVR	0xf0
#define APIC_ICR	0x300
#define APIC_ICR2	0x310
#define APIC_LVTT	0x320
#define APIC_LINT0	0x350
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0
#define LVT_MASKED	(1u << 16)
#define LVT_PERIODIC	(1u << 17)
#define LVT_DEADLINE	(2u << 17)

static volatile uint32_t *apic_reg(uint32_t off)
{
	return (volatile uint32_t *)(uintptr_t)(APIC + off);
}

static void apic_write(uint32_t off, uint32_t v)
{
	*apic_reg(off) = v;
}

static uint32_t apic_read(uint32_t off)
{
	return *apic_reg(off);
}

static void ioapic_write(uint32_t reg, uint32_t v)
{
	*(volatile uint32_t *)(uintptr_t)IOAPIC = reg;
	*(volatile uint32_t *)(uintptr_t)(IOAPIC + 0x10) = v;
}

static uint64_t count_of(unsigned int v)
{
	return guest_exceptions.count[v];
}

/* Sleeps in HLT until vector v has been taken n times in all. */
static void wait_for(unsigned int v, uint64_t n)
{
	while (count_of(v) < n)
		asm volatile("sti; hlt; cli" ::: "memory");
	asm volatile("sti");
}

static uint64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static struct vhv_vcpu_stats stats(struct vcpu *vcpu)
{
	struct vhv_vcpu_stats st;

	vhv_ioctl(vcpu->fd, VHV_GET_VCPU_STATS, &st);
	return st;
}

/* A VM with the irqchip and vCPU 0 in long mode running fn. */
static struct vcpu *irq_guest(struct vm **vmp, void (*fn)(void *), void *arg)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu;

	TEST_REQUIRE(ioctl(vm->fd, VHV_CREATE_IRQCHIP, 0) == 0, "VHV_CREATE_IRQCHIP");
	vcpu = vcpu_add(vm, 0);
	vm_map_self(vm);
	vm_map_gpa(vm, APIC, APIC, 4096);
	vm_map_gpa(vm, IOAPIC, IOAPIC, 4096);
	vcpu_setup_long_mode(vcpu, fn, arg);
	vcpu_setup_idt(vcpu);
	memset((void *)&guest_exceptions, 0, sizeof(guest_exceptions));
	*vmp = vm;
	return vcpu;
}

static void done(struct vm *vm, struct vcpu *vcpu)
{
	vcpu_free(vcpu);
	vm_free(vm);
}

static int irq_line(struct vm *vm, uint32_t gsi, uint32_t level)
{
	struct vhv_irq_level l = { .gsi = gsi, .level = level };

	return ioctl(vm->fd, VHV_IRQ_LINE, &l);
}

/* ---- the ioctls' arguments ----------------------------------------------- */

static void test_ioctl_errors(void)
{
	struct vm *vm = vm_create();
	struct vcpu *vcpu;
	struct vhv_irq_level l = { .gsi = 24 };
	struct vhv_msi msi = { .address = 0xfee00000, .data = 0x40 };
	struct vhv_mp_state mp = { 0 };

	TEST_ERRNO(irq_line(vm, 1, 1), ENXIO, "VHV_IRQ_LINE before VHV_CREATE_IRQCHIP");
	TEST_ERRNO(ioctl(vm->fd, VHV_SIGNAL_MSI, &msi), ENXIO,
		   "VHV_SIGNAL_MSI before VHV_CREATE_IRQCHIP");
	TEST_ERRNO(ioctl(vm->fd, VHV_CREATE_IRQCHIP, 1), EINVAL, "VHV_CREATE_IRQCHIP(1)");
	vcpu = vcpu_add(vm, 0);
	TEST_ERRNO(ioctl(vcpu->fd, VHV_GET_MP_STATE, &mp), ENXIO, "VHV_GET_MP_STATE without irqchip");
	TEST_ERRNO(ioctl(vm->fd, VHV_CREATE_IRQCHIP, 0), EBUSY,
		   "VHV_CREATE_IRQCHIP after a vCPU exists");
	vcpu_free(vcpu);
	vm_free(vm);

	vm = vm_create();
	TEST_OK(ioctl(vm->fd, VHV_CREATE_IRQCHIP, 0), "VHV_CREATE_IRQCHIP");
	TEST_ERRNO(ioctl(vm->fd, VHV_CREATE_IRQCHIP, 0), EEXIST, "VHV_CREATE_IRQCHIP twice");
	TEST_ERRNO(ioctl(vm->fd, VHV_IRQ_LINE, &l), EINVAL, "VHV_IRQ_LINE gsi 24");
	l = (struct vhv_irq_level) { .gsi = 1, .level = 2 };
	TEST_ERRNO(ioctl(vm->fd, VHV_IRQ_LINE, &l), EINVAL, "VHV_IRQ_LINE level 2");
	TEST_OK(irq_line(vm, 23, 1), "VHV_IRQ_LINE gsi 23 with nothing listening");
	msi.address = 0xfed00000;
	TEST_ERRNO(ioctl(vm->fd, VHV_SIGNAL_MSI, &msi), EINVAL, "VHV_SIGNAL_MSI outside 0xfeeXXXXX");
	msi.address = 0xfee00000;
	msi.flags = 1;
	TEST_ERRNO(ioctl(vm->fd, VHV_SIGNAL_MSI, &msi), EINVAL, "VHV_SIGNAL_MSI with flags");
	msi.flags = 0;
	TEST_OK(ioctl(vm->fd, VHV_SIGNAL_MSI, &msi), "VHV_SIGNAL_MSI to nobody");
	vcpu = vcpu_add(vm, 0);
	TEST_OK(ioctl(vcpu->fd, VHV_GET_MP_STATE, &mp), "VHV_GET_MP_STATE");
	tap_result(mp.state == VHV_MP_STATE_RUNNABLE, "vCPU 0 starts runnable");
	mp.state = 3;
	TEST_ERRNO(ioctl(vcpu->fd, VHV_SET_MP_STATE, &mp), EINVAL, "VHV_SET_MP_STATE 3");
	mp = (struct vhv_mp_state) { .pad = 1 };
	TEST_ERRNO(ioctl(vcpu->fd, VHV_SET_MP_STATE, &mp), EINVAL, "VHV_SET_MP_STATE pad");
	vcpu_free(vcpu);
	vm_free(vm);
}

/* ---- LAPIC timer ------------------------------------------------------------- */

struct timer_args {
	uint32_t lvt, count;
	uint64_t periods;
};

static void guest_timer(void *arg)
{
	struct timer_args *t = arg;
	uint32_t c1, c2;

	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_TDCR, 0xb);		/* divide by 1 */
	apic_write(APIC_LVTT, t->lvt);
	GUEST_SYNC(0);				/* the host notes the time */
	apic_write(APIC_TMICT, t->count);
	c1 = apic_read(APIC_TMCCT);
	c2 = apic_read(APIC_TMCCT);
	GUEST_ASSERT(c1 > 0 && c1 <= t->count && c2 <= c1);
	for (uint64_t i = 1; i <= t->periods; i++) {
		wait_for(0x40, i);
		apic_write(APIC_EOI, 0);
	}
	apic_write(APIC_LVTT, LVT_MASKED);
	GUEST_SYNC(count_of(0x40));
	GUEST_DONE();
}

static void test_timer(uint32_t mode, uint32_t count, uint64_t periods, const char *what)
{
	/* Guest-visible: the test binary's data is mapped, its stack is not. */
	static struct timer_args t;
	struct vm *vm;
	struct vcpu *vcpu;

	t = (struct timer_args) { .lvt = 0x40 | mode, .count = count, .periods = periods };
	vcpu = irq_guest(&vm, guest_timer, &t);
	struct vhv_vcpu_stats b, a;
	struct ucall uc;
	uint64_t t0, ns, want = (uint64_t)count * periods;

	vcpu_run_to_ucall(vcpu, NULL);
	b = stats(vcpu);
	t0 = host_ns();
	vcpu_run_to_ucall(vcpu, &uc);
	ns = host_ns() - t0;
	a = stats(vcpu);
	tap_result(uc.args[0] == periods, "%s: %llu interrupts", what,
		   (unsigned long long)uc.args[0]);
	/* Never early; late by scheduling only (generous: TCG is slow). */
	tap_result(ns >= want && ns < want + 2000000000ull,
		   "%s: %llu periods of %u ns took %llu ns on the host clock", what,
		   (unsigned long long)periods, count, (unsigned long long)ns);
	tap_result(a.count[VHV_STAT_HLT] > b.count[VHV_STAT_HLT] &&
		   a.count[VHV_STAT_IO] - b.count[VHV_STAT_IO] == 1,
		   "%s: the guest slept in HLT without leaving the kernel (%llu HLTs)", what,
		   (unsigned long long)(a.count[VHV_STAT_HLT] - b.count[VHV_STAT_HLT]));
	tap_result(vcpu_run_to_ucall(vcpu, NULL) == UCALL_DONE, "%s: guest done", what);
	done(vm, vcpu);
}

static void guest_deadline(void *arg)
{
	uint64_t delta = (uintptr_t)arg, tsc;
	uint32_t lo, hi;

	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVTT, 0x41 | LVT_DEADLINE);
	asm volatile("rdtsc" : "=a" (lo), "=d" (hi));
	tsc = (uint64_t)hi << 32 | lo;
	guest_wrmsr(0x6e0, tsc + delta);
	wait_for(0x41, 1);
	apic_write(APIC_EOI, 0);
	GUEST_SYNC(guest_rdmsr(0x6e0));	/* 0 once it fired */
	/* A deadline in the past fires at once. */
	guest_wrmsr(0x6e0, 1);
	wait_for(0x41, 2);
	apic_write(APIC_EOI, 0);
	/*
	 * With interrupts on, before the next instruction: the WRMSR's exit
	 * raised it, not a host timer interrupting the guest some time later.
	 */
	guest_wrmsr(0x6e0, 1);
	asm volatile("" ::: "memory");
	GUEST_SYNC(count_of(0x41) << 1 | (guest_rdmsr(0x6e0) == 0));
	apic_write(APIC_EOI, 0);
	GUEST_DONE();
}

static void test_tsc_deadline(void)
{
	struct vm *vm;
	struct vcpu *vcpu = irq_guest(&vm, guest_deadline, (void *)(uintptr_t)1000000);
	struct ucall uc;

	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 0, "TSC deadline: the interrupt came and the MSR reads 0");
	tap_result(vcpu_run_to_ucall(vcpu, &uc) == UCALL_SYNC,
		   "TSC deadline: a deadline in the past fires at once");
	tap_result(uc.args[0] == (3 << 1 | 1),
		   "TSC deadline in the past: taken before the next instruction, MSR 0 (%#llx)",
		   (unsigned long long)uc.args[0]);
	tap_result(vcpu_run_to_ucall(vcpu, NULL) == UCALL_DONE, "TSC deadline: guest done");
	done(vm, vcpu);
}

/* A deadline too far to represent never fires (and never spins the host). */
static void guest_far_deadline(void *arg)
{
	(void)arg;
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVTT, 0x42 | LVT_DEADLINE);
	asm volatile("sti");
	guest_wrmsr(0x6e0, ~0ull);
	for (int i = 0; i < 10000; i++)
		asm volatile("pause");
	GUEST_SYNC(count_of(0x42) << 32 | (guest_rdmsr(0x6e0) == ~0ull));
	GUEST_DONE();
}

static void test_far_deadline(void)
{
	struct vm *vm;
	struct vcpu *vcpu = irq_guest(&vm, guest_far_deadline, NULL);
	struct ucall uc;

	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 1, "TSC deadline ~0: no interrupt, the MSR keeps the value");
	done(vm, vcpu);
}

/* SET_SREGS's CR8 is the LAPIC's TPR the guest then reads. */
static void guest_read_cr8(void *arg)
{
	uint64_t cr8;

	(void)arg;
	asm volatile("mov %%cr8, %0" : "=r" (cr8));
	GUEST_SYNC(cr8 << 8 | apic_read(APIC_TPR));
	GUEST_DONE();
}

static void test_sregs_cr8(void)
{
	struct vm *vm;
	struct vcpu *vcpu = irq_guest(&vm, guest_read_cr8, NULL);
	struct vhv_sregs s = vcpu_sregs(vcpu);
	struct ucall uc;

	s.cr8 = 5;
	vcpu_set_sregs(vcpu, &s);
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == (5 << 8 | 0x50),
		   "VHV_SET_SREGS cr8 5: the guest reads CR8 5 and TPR 0x50 (%#llx)",
		   (unsigned long long)uc.args[0]);
	done(vm, vcpu);
}

/* ---- IPIs to self, TPR --------------------------------------------------------- */

static void guest_self_ipi(void *arg)
{
	(void)arg;
	apic_write(APIC_SVR, 0x1ff);
	asm volatile("cli");
	apic_write(APIC_ICR, 0x40000 | 0x50);	/* self, fixed, 0x50 */
	asm volatile("sti; nop; cli");
	GUEST_SYNC(count_of(0x50));
	apic_write(APIC_EOI, 0);
	/* TPR 0x60 holds back class 5 until it drops. */
	apic_write(APIC_TPR, 0x60);
	apic_write(APIC_ICR, 0x40000 | 0x55);
	asm volatile("sti; nop; nop; cli");
	GUEST_SYNC(count_of(0x55));
	apic_write(APIC_TPR, 0);
	asm volatile("sti; nop; cli");
	GUEST_SYNC(count_of(0x55));
	apic_write(APIC_EOI, 0);
	/* Through CR8 too. */
	asm volatile("mov %0, %%cr8" : : "r" (6ull));
	apic_write(APIC_ICR, 0x40000 | 0x56);
	asm volatile("sti; nop; nop; cli");
	GUEST_SYNC(count_of(0x56) << 8 | apic_read(APIC_TPR));
	asm volatile("mov %0, %%cr8" : : "r" (0ull));
	asm volatile("sti; nop; cli");
	GUEST_SYNC(count_of(0x56));
	apic_write(APIC_EOI, 0);
	GUEST_DONE();
}

static void test_self_ipi(void)
{
	struct vm *vm;
	struct vcpu *vcpu = irq_guest(&vm, guest_self_ipi, NULL);
	struct ucall uc;

	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 1, "a self-IPI is taken once interrupts are on");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 0, "TPR 0x60 holds back vector 0x55");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 1, "lowering TPR lets vector 0x55 in");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 0x60, "CR8 6 is TPR 0x60 and holds back vector 0x56 (%#llx)",
		   (unsigned long long)uc.args[0]);
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 1, "CR8 0 lets vector 0x56 in");
	tap_result(vcpu_run_to_ucall(vcpu, NULL) == UCALL_DONE, "self-IPI guest done");
	done(vm, vcpu);
}

/* ---- x2APIC ------------------------------------------------------------------- */

static void guest_x2apic(void *arg)
{
	uint64_t base = guest_rdmsr(0x1b);

	(void)arg;
	guest_wrmsr(0x1b, base | (1u << 10));
	GUEST_SYNC(guest_rdmsr(0x802));		/* ID: 0 */
	guest_wrmsr(0x80f, 0x1ff);		/* SVR */
	guest_exceptions.skip = 2;		/* rdmsr/wrmsr are 2 bytes */
	guest_wrmsr(0x80b, 1);			/* EOI takes only 0: #GP */
	(void)guest_rdmsr(0x80e);		/* no DFR in x2APIC: #GP */
	guest_wrmsr(0x802, 5);			/* ID is read-only: #GP */
	GUEST_SYNC(count_of(13));
	guest_exceptions.skip = 0;
	asm volatile("cli");
	guest_wrmsr(0x83f, 0x57);		/* SELF IPI */
	asm volatile("sti; nop; cli");
	guest_wrmsr(0x80b, 0);
	GUEST_SYNC(count_of(0x57));
	/* Straight back to xAPIC is refused; via disabled it is allowed. */
	guest_exceptions.skip = 2;
	guest_wrmsr(0x1b, base);
	GUEST_SYNC(count_of(13));
	GUEST_DONE();
}

static void test_x2apic(void)
{
	struct vm *vm;
	struct vcpu *vcpu = irq_guest(&vm, guest_x2apic, NULL);
	struct ucall uc;

	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 0, "x2APIC: the ID MSR reads the vCPU's id");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 3, "x2APIC: non-zero EOI, DFR read, ID write each #GP (%llu)",
		   (unsigned long long)uc.args[0]);
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 1, "x2APIC: a SELF IPI is delivered");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 4, "x2APIC -> xAPIC directly is #GP");
	done(vm, vcpu);
}

/* ---- IOAPIC ------------------------------------------------------------------------ */

static void guest_ioapic(void *arg)
{
	(void)arg;
	apic_write(APIC_SVR, 0x1ff);
	ioapic_write(0x10 + 2 * 5 + 1, 0);		/* pin 5: to APIC 0 */
	ioapic_write(0x10 + 2 * 5, 0x60);		/* edge, fixed, unmasked */
	ioapic_write(0x10 + 2 * 6 + 1, 0);
	ioapic_write(0x10 + 2 * 6, 0x61 | 1u << 15);	/* level */
	asm volatile("sti");
	GUEST_SYNC(0);			/* host pulses pin 5 */
	wait_for(0x60, 1);
	apic_write(APIC_EOI, 0);
	GUEST_SYNC(count_of(0x60));	/* host raises pin 6 and keeps it */
	wait_for(0x61, 1);
	/* Remote IRR holds the line back until the EOI... */
	GUEST_SYNC(count_of(0x61));
	apic_write(APIC_EOI, 0);	/* ...which sends it again: still high */
	wait_for(0x61, 2);
	GUEST_SYNC(count_of(0x61));	/* host lowers pin 6 */
	apic_write(APIC_EOI, 0);
	for (int i = 0; i < 1000; i++)
		asm volatile("pause");
	GUEST_SYNC(count_of(0x61));
	GUEST_DONE();
}

static void test_ioapic(void)
{
	struct vm *vm;
	struct vcpu *vcpu = irq_guest(&vm, guest_ioapic, NULL);
	struct ucall uc;

	vcpu_run_to_ucall(vcpu, NULL);
	irq_line(vm, 5, 1);
	irq_line(vm, 5, 0);
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 1, "IOAPIC: an edge on GSI 5 is one interrupt");
	irq_line(vm, 6, 1);
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 1, "IOAPIC: a level on GSI 6 is delivered once before EOI");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 2, "IOAPIC: EOI with the line still high delivers it again");
	irq_line(vm, 6, 0);
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 2, "IOAPIC: EOI after the line dropped delivers nothing");
	tap_result(vcpu_run_to_ucall(vcpu, NULL) == UCALL_DONE, "IOAPIC guest done");
	done(vm, vcpu);
}

/* ---- PIC through ExtINT, the PIT, MSIs ------------------------------------------- */

static void pic_init(uint8_t master_mask)
{
	guest_outb(0x20, 0x11);
	guest_outb(0x21, 0x20);
	guest_outb(0x21, 0x04);
	guest_outb(0x21, 0x01);
	guest_outb(0xa0, 0x11);
	guest_outb(0xa1, 0x28);
	guest_outb(0xa1, 0x02);
	guest_outb(0xa1, 0x01);
	guest_outb(0xa1, 0xff);
	guest_outb(0x21, master_mask);
}

static void guest_pic(void *arg)
{
	(void)arg;
	pic_init(0xf7);			/* IRQ 3 only */
	asm volatile("sti");
	GUEST_SYNC(guest_inb(0x21));	/* host pulses GSI 3 */
	wait_for(0x23, 1);
	guest_outb(0x20, 0x20);		/* non-specific EOI */
	GUEST_SYNC(count_of(0x23));
	GUEST_DONE();
}

static void test_pic(void)
{
	struct vm *vm;
	struct vcpu *vcpu = irq_guest(&vm, guest_pic, NULL);
	struct vhv_vcpu_stats b, a;
	struct ucall uc;

	b = stats(vcpu);
	vcpu_run_to_ucall(vcpu, &uc);
	a = stats(vcpu);
	tap_result(uc.args[0] == 0xf7, "PIC: IMR reads back, and its ports stayed in the kernel");
	tap_result(a.count[VHV_STAT_IO] - b.count[VHV_STAT_IO] == 1,
		   "PIC: 11 port accesses, only the ucall reached userspace");
	irq_line(vm, 3, 1);
	irq_line(vm, 3, 0);
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 1, "PIC: GSI 3 arrives as vector 0x23 through LINT0 ExtINT");
	done(vm, vcpu);
}

static void guest_pit(void *arg)
{
	uint64_t loops = 0;
	uint8_t lo, hi;

	(void)arg;
	pic_init(0xfe);			/* IRQ 0 only */
	asm volatile("sti");
	/* Linux's periodic clockevent: mode 2, 1 ms (LATCH for HZ=1000). */
	guest_outb(0x43, 0x34);
	guest_outb(0x40, 1193 & 0xff);
	guest_outb(0x40, 1193 >> 8);
	GUEST_SYNC(0);
	for (uint64_t i = 1; i <= 10; i++) {
		wait_for(0x20, i);
		guest_outb(0x20, 0x20);
	}
	guest_outb(0x43, 0x30);		/* shut down as Linux does */
	guest_outb(0x40, 0);
	guest_outb(0x40, 0);
	GUEST_SYNC(count_of(0x20));
	/* Channel 2 gated through port 0x61, as TSC calibration drives it. */
	guest_outb(0x61, (guest_inb(0x61) & ~0x02) | 0x01);
	guest_outb(0x43, 0xb0);		/* channel 2, mode 0, LSB/MSB */
	GUEST_SYNC(0);			/* the host notes the time */
	guest_outb(0x42, 0xff);
	guest_outb(0x42, 0x2f);		/* 0x2fff ticks: ~10.3 ms */
	guest_outb(0x43, 0x80);		/* latch channel 2 */
	lo = guest_inb(0x42);
	hi = guest_inb(0x42);
	while (!(guest_inb(0x61) & 0x20))
		loops++;
	GUEST_SYNC((uint64_t)hi << 56 | (uint64_t)lo << 48 | loops);
	GUEST_DONE();
}

static void test_pit(void)
{
	struct vm *vm;
	struct vcpu *vcpu = irq_guest(&vm, guest_pit, NULL);
	struct ucall uc;
	uint64_t t0, ns;

	vcpu_run_to_ucall(vcpu, NULL);
	t0 = host_ns();
	vcpu_run_to_ucall(vcpu, &uc);
	ns = host_ns() - t0;
	tap_result(uc.args[0] >= 10, "PIT: 10 IRQ 0 interrupts through the PIC (%llu)",
		   (unsigned long long)uc.args[0]);
	tap_result(ns >= 9000000, "PIT: 10 periods of 1 ms took %llu ns", (unsigned long long)ns);
	vcpu_run_to_ucall(vcpu, NULL);
	t0 = host_ns();
	vcpu_run_to_ucall(vcpu, &uc);
	ns = host_ns() - t0;
	tap_result(uc.args[0] >> 48 && uc.args[0] >> 48 <= 0x2fff,
		   "PIT: channel 2 counts down from its reload (latched %#llx)",
		   (unsigned long long)(uc.args[0] >> 48));
	/* 0x2fff ticks of 1193182 Hz are 10.298 ms: never sooner. */
	tap_result(ns >= 10298000, "PIT: channel 2's OUT rose after 10.3 ms (%llu ns, %llu polls)",
		   (unsigned long long)ns, (unsigned long long)(uc.args[0] & 0xffffffffffffull));
	done(vm, vcpu);
}

static void guest_msi(void *arg)
{
	(void)arg;
	apic_write(APIC_SVR, 0x1ff);
	asm volatile("sti");
	GUEST_SYNC(0);
	wait_for(0x70, 1);
	apic_write(APIC_EOI, 0);
	GUEST_SYNC(count_of(0x70));
	GUEST_DONE();
}

static void test_msi(void)
{
	struct vm *vm;
	struct vcpu *vcpu = irq_guest(&vm, guest_msi, NULL);
	struct vhv_msi msi = { .address = 0xfee00000, .data = 0x70 };
	struct ucall uc;

	vcpu_run_to_ucall(vcpu, NULL);
	TEST_OK(ioctl(vm->fd, VHV_SIGNAL_MSI, &msi), "VHV_SIGNAL_MSI vector 0x70 to APIC 0");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 1, "the MSI reached the guest");
	done(vm, vcpu);
}

/* ---- HLT and signals ---------------------------------------------------------------- */

static void guest_hlt_forever(void *arg)
{
	(void)arg;
	asm volatile("cli; hlt");
	GUEST_DONE();
}

static void on_sigusr1(int sig)
{
	(void)sig;
}

struct kicker {
	pthread_t target;
	useconds_t delay;
};

static void *kick_later(void *arg)
{
	struct kicker *k = arg;

	usleep(k->delay);
	pthread_kill(k->target, SIGUSR1);
	return NULL;
}

static void test_hlt_signal(void)
{
	struct vm *vm;
	struct vcpu *vcpu = irq_guest(&vm, guest_hlt_forever, NULL);
	struct kicker k = { .target = pthread_self(), .delay = 200000 };
	struct vhv_mp_state mp;
	struct sigaction sa = { .sa_handler = on_sigusr1 };
	pthread_t t;
	int r, err;

	sigaction(SIGUSR1, &sa, NULL);
	pthread_create(&t, NULL, kick_later, &k);
	r = __vcpu_run(vcpu);
	err = errno;
	pthread_join(t, NULL);
	tap_result(r == -1 && err == EINTR && vcpu->run->exit_reason == VHV_EXIT_INTR,
		   "cli; hlt sleeps in the kernel until a signal: EINTR");
	vhv_ioctl(vcpu->fd, VHV_GET_MP_STATE, &mp);
	tap_result(mp.state == VHV_MP_STATE_HALTED, "the vCPU is still halted");
	/* An NMI wakes it even with interrupts off. */
	{
		struct vhv_event e = { .type = VHV_EVENT_NMI };

		TEST_OK(ioctl(vcpu->fd, VHV_INJECT_EVENT, &e), "queue an NMI");
	}
	tap_result(vcpu_run_to_ucall(vcpu, NULL) == UCALL_DONE && count_of(2) == 1,
		   "an NMI wakes the halted vCPU and runs its handler");
	done(vm, vcpu);
}

/* ---- two vCPUs: INIT/SIPI, IPIs ------------------------------------------------------- */

#define AP_CODE_GPA	0x8000ull	/* SIPI vector 8 */
#define AP_PORT		0x5cb0

struct ap_run {
	struct vcpu *vcpu;
	int r;
	struct vhv_run run;
	struct vhv_regs regs;
};

static void *run_ap(void *arg)
{
	struct ap_run *a = arg;

	a->r = _vcpu_run(a->vcpu);
	a->run = *a->vcpu->run;
	a->regs = vcpu_regs(a->vcpu);
	return NULL;
}

static void guest_bsp_sipi(void *arg)
{
	(void)arg;
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_ICR2, 1u << 24);
	apic_write(APIC_ICR, 0x4500);			/* INIT, assert */
	apic_write(APIC_ICR2, 1u << 24);
	apic_write(APIC_ICR, 0x4600 | (AP_CODE_GPA >> 12));	/* SIPI */
	GUEST_DONE();
}

static void test_init_sipi(void)
{
	struct vm *vm;
	struct vcpu *bsp = irq_guest(&vm, guest_bsp_sipi, NULL), *ap;
	struct ap_run a;
	struct vhv_mp_state mp;
	pthread_t t;
	uint8_t *low;
	/* mov $0x1234, %ax; mov $AP_PORT, %dx; out %ax, %dx; hlt */
	static const uint8_t code[] = { 0xb8, 0x34, 0x12, 0xba, AP_PORT & 0xff,
					AP_PORT >> 8, 0xef, 0xf4 };

	low = vm_add_ram(vm, 0, 1 << 20);
	memcpy(low + AP_CODE_GPA, code, sizeof(code));
	ap = vcpu_add(vm, 1);
	vhv_ioctl(ap->fd, VHV_GET_MP_STATE, &mp);
	tap_result(mp.state == VHV_MP_STATE_WAIT_SIPI, "vCPU 1 waits for INIT/SIPI");
	a = (struct ap_run) { .vcpu = ap };
	pthread_create(&t, NULL, run_ap, &a);
	usleep(100000);		/* it sleeps in VHV_RUN meanwhile */
	tap_result(vcpu_run_to_ucall(bsp, NULL) == UCALL_DONE, "the BSP sent INIT and SIPI");
	pthread_join(t, NULL);
	tap_result(a.r == 0 && a.run.exit_reason == VHV_EXIT_IO && a.run.io.port == AP_PORT &&
		   a.regs.rax == 0x1234,
		   "vCPU 1 started in real mode at the SIPI vector's page (exit %s, port %#x)",
		   exit_reason_name(a.run.exit_reason), a.run.io.port);
	vcpu_free(ap);
	done(vm, bsp);
}

static void guest_ipi_target(void *arg)
{
	(void)arg;
	apic_write(APIC_SVR, 0x1ff);
	asm volatile("sti");
	GUEST_SYNC(0);
	wait_for(0x78, 1);
	apic_write(APIC_EOI, 0);
	GUEST_DONE();
}

static void guest_ipi_source(void *arg)
{
	(void)arg;
	apic_write(APIC_SVR, 0x1ff);
	GUEST_SYNC(0);
	apic_write(APIC_ICR2, 1u << 24);
	apic_write(APIC_ICR, 0x78);		/* fixed, physical, to APIC 1 */
	GUEST_DONE();
}

static void test_ipi(void)
{
	struct vm *vm;
	struct vcpu *v0 = irq_guest(&vm, guest_ipi_source, NULL), *v1;
	struct vhv_mp_state mp = { .state = VHV_MP_STATE_RUNNABLE };
	struct ap_run a;
	pthread_t t;

	v1 = vcpu_add(vm, 1);
	vhv_ioctl(v1->fd, VHV_SET_MP_STATE, &mp);
	vcpu_setup_long_mode(v1, guest_ipi_target, NULL);
	{
		struct vhv_sregs s0 = vcpu_sregs(v0), s1 = vcpu_sregs(v1);

		s1.idt = s0.idt;
		s1.gdt = s0.gdt;
		vcpu_set_sregs(v1, &s1);
	}
	vcpu_run_to_ucall(v1, NULL);		/* target ready, IF set */
	vcpu_run_to_ucall(v0, NULL);
	a = (struct ap_run) { .vcpu = v1 };
	pthread_create(&t, NULL, run_ap, &a);	/* sleeps in HLT */
	usleep(100000);
	tap_result(vcpu_run_to_ucall(v0, NULL) == UCALL_DONE, "vCPU 0 sent a fixed IPI");
	pthread_join(t, NULL);
	tap_result(a.r == 0 && count_of(0x78) == 1,
		   "the IPI woke vCPU 1 from HLT and ran its handler");
	vcpu_free(v1);
	done(vm, v0);
}

/* ---- a guest that storms its own APIC ----------------------------------------------------- */

static void guest_storm(void *arg)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull;

	(void)arg;
	apic_write(APIC_SVR, 0x1ff);
	/* The shortest periodic timer and a 1-tick PIT: the host floors them. */
	apic_write(APIC_TDCR, 0xb);
	apic_write(APIC_LVTT, 0x40 | LVT_PERIODIC);
	apic_write(APIC_TMICT, 1);
	guest_outb(0x43, 0x34);
	guest_outb(0x40, 1);
	guest_outb(0x40, 0);
	pic_init(0xfe);
	asm volatile("sti");
	for (int i = 0; i < 20000; i++) {
		uint32_t off;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		off = (seed >> 33) & 0x3f0;
		/* Everything but the ICR's INIT/SIPI/NMI to self forever. */
		if (off != APIC_ICR)
			apic_write(off, seed >> 7);
		if (!(i % 64))
			apic_write(APIC_ICR, 0x40000 | 0x60);	/* self-IPI flood */
		apic_write(APIC_EOI, 0);
		guest_outb(0x20, 0x20);
	}
	asm volatile("cli");
	GUEST_DONE();
}

static void test_storm(void)
{
	struct vm *vm;
	struct vcpu *vcpu = irq_guest(&vm, guest_storm, NULL);
	uint64_t t0 = host_ns(), ns;
	int r;

	do {
		r = _vcpu_run(vcpu);
	} while (!r && !vcpu_ucall(vcpu) && host_ns() - t0 < 60000000000ull);
	ns = host_ns() - t0;
	tap_result(!r && vcpu_ucall(vcpu) && vcpu_ucall(vcpu)->cmd == UCALL_DONE,
		   "a guest storming its APIC, timers and PIC finishes (%llu ms)",
		   (unsigned long long)(ns / 1000000));
	done(vm, vcpu);
	tap_result(vhv_stat("vms") == 0 && vhv_stat("vcpus") == 0,
		   "and its VM tears down: no live VMs or vCPUs left");
}

static void test_oneshot(void)
{
	test_timer(0, 5000000, 1, "LAPIC one-shot 5 ms");
}

static void test_periodic(void)
{
	test_timer(LVT_PERIODIC, 1000000, 20, "LAPIC periodic 1 ms");
}

static const struct named_test tests[] = {
	{ "errors", test_ioctl_errors },
	{ "oneshot", test_oneshot },
	{ "periodic", test_periodic },
	{ "deadline", test_tsc_deadline },
	{ "far-deadline", test_far_deadline },
	{ "sregs-cr8", test_sregs_cr8 },
	{ "self-ipi", test_self_ipi },
	{ "x2apic", test_x2apic },
	{ "ioapic", test_ioapic },
	{ "pic", test_pic },
	{ "pit", test_pit },
	{ "msi", test_msi },
	{ "hlt-signal", test_hlt_signal },
	{ "init-sipi", test_init_sipi },
	{ "ipi", test_ipi },
	{ "storm", test_storm },
};

/* Usage: irq_test [NAME...]: the named tests only (default all). */
int main(int argc, char **argv)
{
	if (vhv_can_run("in-kernel interrupt controllers"))
		run_named_tests(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
	return tap_done();
}
