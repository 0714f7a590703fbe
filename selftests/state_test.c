// SPDX-License-Identifier: GPL-2.0
/*
 * Save and restore of interrupt state: a guest with a periodic LAPIC
 * timer, IOAPIC pins (edge, masked, a level interrupt in service), the PIC
 * initialised as Linux does and the PIT running on IRQ 0 is saved with
 * VHV_GET_IRQCHIP/LAPIC/VCPU_EVENTS, restored into a new VM over the same
 * memory, and goes on: its timer at the same period, its in-service level
 * interrupt EOIs (and the IOAPIC resends it while the line stays high),
 * the PIT keeps interrupting.  Get -> set -> get gives the state back;
 * the pending events, a TSC-deadline timer and INIT/SIPI cross a restore.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "lib/vhv_test.h"
#include "lib/guest.h"

#define APIC		0xfee00000ull
#define IOAPIC		0xfec00000ull
#define APIC_EOI	0xb0
#define APIC_SVR	0xf0
#define APIC_ISR	0x100
#define APIC_TMR	0x180
#define APIC_ICR	0x300
#define APIC_LVTT	0x320
#define APIC_TMICT	0x380
#define APIC_TMCCT	0x390
#define APIC_TDCR	0x3e0
#define LVT_PERIODIC	(1u << 17)
#define LVT_DEADLINE	(2u << 17)
#define MSR_TSC		0x10
#define MSR_DEADLINE	0x6e0

#define V_TIMER		0x40	/* LAPIC periodic timer */
#define V_PIT		0x20	/* IRQ 0 through the PIC */
#define V_EDGE		0x60	/* IOAPIC pin 5, edge */
#define V_MASKED	0x61	/* IOAPIC pin 6, level, masked */
#define V_LEVEL		0x32	/* IOAPIC pin 7, level: below the timer's class */
#define TIMER_NS	1000000u
#define PIT_COUNT	2386u	/* 2 ms */

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

static bool vec_bit(uint32_t base, unsigned int v)
{
	return apic_read(base + 16 * (v / 32)) & (1u << (v % 32));
}

static uint64_t host_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* ---- the guest ------------------------------------------------------------- */

/* What the guest has acknowledged so far (guest-visible: in the bss). */
static struct {
	uint64_t timer, edge, pit;
} seen;

/*
 * The IDT handlers only count: the guest EOIs each new interrupt once it
 * is back with interrupts off.  A vector cannot be in service twice, so one
 * EOI per new count; the LAPIC's EOI ends the highest in service, and the
 * level interrupt V_LEVEL sits below every vector acknowledged here.
 */
static void ack_new(void)
{
	if (count_of(V_TIMER) != seen.timer) {
		seen.timer = count_of(V_TIMER);
		apic_write(APIC_EOI, 0);
	}
	if (count_of(V_EDGE) != seen.edge) {
		seen.edge = count_of(V_EDGE);
		apic_write(APIC_EOI, 0);
	}
	if (count_of(V_PIT) != seen.pit) {
		seen.pit = count_of(V_PIT);
		guest_outb(0x20, 0x20);
	}
}

/* Sleeps, acknowledging what comes, until vector v was taken n times. */
static void wait_for(unsigned int v, uint64_t n)
{
	while (count_of(v) < n) {
		guest_halt();
		ack_new();
	}
}

static void pic_init(uint8_t master_mask)
{
	guest_outb(0x20, 0x11);
	guest_outb(0x21, V_PIT);
	guest_outb(0x21, 0x04);
	guest_outb(0x21, 0x01);
	guest_outb(0xa0, 0x11);
	guest_outb(0xa1, 0x28);
	guest_outb(0xa1, 0x02);
	guest_outb(0xa1, 0x01);
	guest_outb(0xa1, 0xff);
	guest_outb(0x21, master_mask);
}

static void guest_machine(void *arg)
{
	uint64_t t, p, l;
	uint8_t lo, hi;

	(void)arg;
	asm volatile("cli");
	apic_write(APIC_SVR, 0x1ff);
	ioapic_write(0x10 + 2 * 5 + 1, 0);
	ioapic_write(0x10 + 2 * 5, V_EDGE);			/* edge, unmasked */
	ioapic_write(0x10 + 2 * 6 + 1, 0);
	ioapic_write(0x10 + 2 * 6, V_MASKED | 1u << 15 | 1u << 16);	/* level, masked */
	ioapic_write(0x10 + 2 * 7 + 1, 0);
	ioapic_write(0x10 + 2 * 7, V_LEVEL | 1u << 15);		/* level, unmasked */
	pic_init(0xfe);						/* IRQ 0 only */
	guest_outb(0x43, 0x34);					/* channel 0, mode 2 */
	guest_outb(0x40, PIT_COUNT & 0xff);
	guest_outb(0x40, PIT_COUNT >> 8);
	apic_write(APIC_TDCR, 0xb);				/* divide by 1 */
	apic_write(APIC_LVTT, V_TIMER | LVT_PERIODIC);
	apic_write(APIC_TMICT, TIMER_NS);
	wait_for(V_TIMER, 3);
	wait_for(V_PIT, 3);
	GUEST_SYNC(1);			/* the host raises GSI 7 and keeps it */
	wait_for(V_LEVEL, 1);
	GUEST_SYNC(2);			/* saved (and restored) here, V_LEVEL in service */

	GUEST_SYNC(vec_bit(APIC_ISR, V_LEVEL) | vec_bit(APIC_TMR, V_LEVEL) << 1);
	/* The line is still high: the EOI brings it back (remote IRR). */
	apic_write(APIC_EOI, 0);
	wait_for(V_LEVEL, 2);
	GUEST_SYNC(3);			/* the host lowers GSI 7 */
	apic_write(APIC_EOI, 0);

	t = count_of(V_TIMER);
	p = count_of(V_PIT);
	l = count_of(V_LEVEL);
	GUEST_SYNC(4);			/* the host notes the time */
	wait_for(V_TIMER, t + 20);
	GUEST_SYNC((count_of(V_PIT) - p) << 32 | (count_of(V_LEVEL) - l));

	/* The host pulses GSI 5 (edge) and raises GSI 6 (masked). */
	wait_for(V_EDGE, 1);
	for (int i = 0; i < 2000; i++)
		asm volatile("pause");
	GUEST_SYNC(count_of(V_EDGE) << 32 | count_of(V_MASKED));

	/* The counters read as counters still. */
	guest_outb(0x43, 0x00);		/* latch channel 0 */
	lo = guest_inb(0x40);
	hi = guest_inb(0x40);
	GUEST_SYNC((uint64_t)apic_read(APIC_TMCCT) << 16 | hi << 8 | lo);
	apic_write(APIC_LVTT, 1u << 16);
	GUEST_DONE();
}

/* ---- host: whole-VM save and restore ----------------------------------------- */

struct saved {
	struct vhv_regs regs;
	struct vhv_sregs sregs;
	struct vhv_msr_entry tsc;
	struct vhv_lapic_state lapic;
	struct vhv_vcpu_events events;
	struct vhv_mp_state mp;
	struct vhv_irqchip_state chip[4];
};

static void msr_io(struct vcpu *vcpu, unsigned long cmd, struct vhv_msr_entry *e)
{
	struct vhv_msrs m = { .nmsrs = 1, .entries = (uintptr_t)e };

	TEST_REQUIRE(_vhv_ioctl(vcpu->fd, cmd, (unsigned long)&m) == 1, "MSR %#x", e->index);
}

static void save_chips(struct vm *vm, struct vhv_irqchip_state chip[4])
{
	for (uint32_t i = 0; i < 4; i++) {
		memset(&chip[i], 0, sizeof(chip[i]));
		chip[i].chip = i;
		vhv_ioctl(vm->fd, VHV_GET_IRQCHIP, &chip[i]);
	}
}

static void restore_chips(struct vm *vm, const struct vhv_irqchip_state chip[4])
{
	for (uint32_t i = 0; i < 4; i++)
		vhv_ioctl(vm->fd, VHV_SET_IRQCHIP, &chip[i]);
}

static void save(struct vcpu *vcpu, struct saved *s)
{
	s->regs = vcpu_regs(vcpu);
	s->sregs = vcpu_sregs(vcpu);
	s->tsc = (struct vhv_msr_entry) { .index = MSR_TSC };
	msr_io(vcpu, VHV_GET_MSRS, &s->tsc);
	vhv_ioctl(vcpu->fd, VHV_GET_LAPIC, &s->lapic);
	vhv_ioctl(vcpu->fd, VHV_GET_VCPU_EVENTS, &s->events);
	vhv_ioctl(vcpu->fd, VHV_GET_MP_STATE, &s->mp);
	save_chips(vcpu->vm, s->chip);
}

/* In the order uapi/vhv.h asks: sregs, regs and the TSC before the rest. */
static void restore(struct vcpu *vcpu, const struct saved *s)
{
	struct vhv_msr_entry tsc = s->tsc;

	vcpu_set_sregs(vcpu, &s->sregs);
	vcpu_set_regs(vcpu, &s->regs);
	msr_io(vcpu, VHV_SET_MSRS, &tsc);
	vhv_ioctl(vcpu->fd, VHV_SET_LAPIC, &s->lapic);
	vhv_ioctl(vcpu->fd, VHV_SET_VCPU_EVENTS, &s->events);
	vhv_ioctl(vcpu->fd, VHV_SET_MP_STATE, &s->mp);
	restore_chips(vcpu->vm, s->chip);
}

/* Saves the VM, throws it away, restores it into a new one: its vCPU 0. */
static struct vcpu *migrate(struct vcpu *vcpu, struct saved *s)
{
	struct vm *vm = vcpu->vm;

	save(vcpu, s);
	vcpu_free(vcpu);
	vm_recreate(vm);
	vhv_ioctl(vm->fd, VHV_CREATE_IRQCHIP, 0);
	vcpu = vcpu_add(vm, 0);
	restore(vcpu, s);
	return vcpu;
}

static struct vcpu *machine(struct vm **vmp, void (*fn)(void *), void *arg)
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
	memset(&seen, 0, sizeof(seen));
	*vmp = vm;
	return vcpu;
}

static int irq_line(struct vm *vm, uint32_t gsi, uint32_t level)
{
	struct vhv_irq_level l = { .gsi = gsi, .level = level };

	return ioctl(vm->fd, VHV_IRQ_LINE, &l);
}

/* ---- get -> set -> get ------------------------------------------------------- */

/*
 * The state must come back as it was, but for what time moves meanwhile:
 * the timers' relative times, the current count, and what a timer that
 * fired in between latched (the LAPIC timer's IRR bit, the PIC's IRR 0).
 */
static bool lapic_same(struct vhv_lapic_state a, struct vhv_lapic_state b)
{
	bool timer_ok = a.flags == b.flags && a.timer_period_ns == b.timer_period_ns &&
			b.timer_remaining_ns <= a.timer_period_ns &&
			b.timer_elapsed_ns <= 2 * a.timer_period_ns;
	uint32_t irr_timer = 0x200 + 16 * (V_TIMER / 32);

	memset(&a.regs[APIC_TMCCT], 0, 4);
	memset(&b.regs[APIC_TMCCT], 0, 4);
	a.regs[irr_timer + (V_TIMER % 32) / 8] &= ~(1u << (V_TIMER % 8));
	b.regs[irr_timer + (V_TIMER % 32) / 8] &= ~(1u << (V_TIMER % 8));
	a.timer_remaining_ns = b.timer_remaining_ns = 0;
	a.timer_elapsed_ns = b.timer_elapsed_ns = 0;
	return timer_ok && !memcmp(&a, &b, sizeof(a));
}

static bool pit_same(struct vhv_pit_state a, struct vhv_pit_state b)
{
	for (int i = 0; i < 3; i++) {
		a.ch[i].load_elapsed_ns = b.ch[i].load_elapsed_ns = 0;
		a.ch[i].pending_ns = b.ch[i].pending_ns = 0;
	}
	return !memcmp(&a, &b, sizeof(a));
}

static void check_roundtrip(struct vcpu *vcpu)
{
	static struct saved a, b;

	save(vcpu, &a);
	restore(vcpu, &a);
	save(vcpu, &b);
	a.chip[VHV_IRQCHIP_PIC_MASTER].pic.irr &= ~1;
	b.chip[VHV_IRQCHIP_PIC_MASTER].pic.irr &= ~1;
	tap_result(!memcmp(&a.chip[0], &b.chip[0], sizeof(a.chip[0])) &&
		   !memcmp(&a.chip[1], &b.chip[1], sizeof(a.chip[1])),
		   "round trip: both PICs come back");
	tap_result(!memcmp(&a.chip[2], &b.chip[2], sizeof(a.chip[2])),
		   "round trip: the IOAPIC comes back (pin 7 asserted, remote IRR %d)",
		   !!(b.chip[2].ioapic.redir[7] & (1u << 14)));
	tap_result(pit_same(a.chip[3].pit, b.chip[3].pit),
		   "round trip: the PIT comes back (channel 0 mode %u, count %u)",
		   b.chip[3].pit.ch[0].mode, b.chip[3].pit.ch[0].count);
	tap_result(lapic_same(a.lapic, b.lapic),
		   "round trip: the LAPIC comes back (timer armed, period %llu ns)",
		   (unsigned long long)b.lapic.timer_period_ns);
	tap_result(!memcmp(&a.events, &b.events, sizeof(a.events)) &&
		   a.mp.state == b.mp.state,
		   "round trip: events and MP state come back");
}

/* ---- the machine, saved and restored ----------------------------------------- */

static void run_machine(bool move)
{
	const char *how = move ? "restored VM" : "round trip";
	static struct saved s;
	struct vm *vm;
	struct vcpu *vcpu = machine(&vm, guest_machine, NULL);
	struct ucall uc;
	uint64_t t0, ns;

	vcpu_run_to_ucall(vcpu, NULL);
	irq_line(vm, 7, 1);
	vcpu_run_to_ucall(vcpu, &uc);
	TEST_REQUIRE(uc.args[0] == 2, "the guest took the level interrupt");

	if (move) {
		vcpu = migrate(vcpu, &s);
		tap_result(s.lapic.flags & VHV_LAPIC_TIMER_ARMED &&
			   s.lapic.timer_period_ns == TIMER_NS,
			   "saved: the LAPIC timer is periodic at %llu ns",
			   (unsigned long long)s.lapic.timer_period_ns);
		tap_result(s.chip[VHV_IRQCHIP_PIT].pit.ch[0].mode == 2 &&
			   s.chip[VHV_IRQCHIP_PIT].pit.ch[0].count == PIT_COUNT &&
			   s.chip[VHV_IRQCHIP_PIT].pit.ch[0].load_elapsed_ns < 2000000,
			   "saved: PIT channel 0 in mode 2 from %u, %llu ns into its period",
			   s.chip[VHV_IRQCHIP_PIT].pit.ch[0].count,
			   (unsigned long long)s.chip[VHV_IRQCHIP_PIT].pit.ch[0].load_elapsed_ns);
		tap_result(s.chip[VHV_IRQCHIP_PIC_MASTER].pic.vector_base == V_PIT &&
			   s.chip[VHV_IRQCHIP_PIC_MASTER].pic.imr == 0xfe &&
			   s.chip[VHV_IRQCHIP_PIC_SLAVE].pic.vector_base == 0x28,
			   "saved: the PICs as the guest initialised them");
	} else {
		check_roundtrip(vcpu);
	}

	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 3, "%s: the level interrupt is in service, TMR set (%#llx)",
		   how, (unsigned long long)uc.args[0]);
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 3 && count_of(V_LEVEL) == 2,
		   "%s: its EOI reaches the IOAPIC, which sends the still-high line again", how);
	irq_line(vm, 7, 0);
	vcpu_run_to_ucall(vcpu, NULL);
	t0 = host_ns();
	vcpu_run_to_ucall(vcpu, &uc);
	ns = host_ns() - t0;
	/*
	 * 20 ticks: one may wait in IRR already, the other 19 come a period
	 * apart from an arbitrary phase, so at least 18 periods; late by
	 * scheduling only (generous: TCG is slow).
	 */
	tap_result(ns >= 18 * TIMER_NS && ns < 20 * TIMER_NS + 2000000000ull,
		   "%s: the LAPIC timer ticks on at its period (20 ticks in %llu us)",
		   how, (unsigned long long)(ns / 1000));
	tap_result((uc.args[0] >> 32) >= 5 && (uc.args[0] >> 32) <= ns / 2000000 + 2,
		   "%s: the PIT interrupts on (%llu IRQ 0 in %llu us)", how,
		   (unsigned long long)(uc.args[0] >> 32), (unsigned long long)(ns / 1000));
	tap_result((uint32_t)uc.args[0] == 0,
		   "%s: the level interrupt stopped once its line dropped", how);
	irq_line(vm, 5, 1);
	irq_line(vm, 5, 0);
	irq_line(vm, 6, 1);
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == (1ull << 32),
		   "%s: IOAPIC edge pin 5 delivers, masked pin 6 does not (%#llx)", how,
		   (unsigned long long)uc.args[0]);
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result((uc.args[0] & 0xffff) >= 1 && (uc.args[0] & 0xffff) <= PIT_COUNT &&
		   (uc.args[0] >> 16) >= 1 && (uc.args[0] >> 16) <= TIMER_NS,
		   "%s: PIT count %llu and LAPIC current count %llu in range", how,
		   (unsigned long long)(uc.args[0] & 0xffff),
		   (unsigned long long)(uc.args[0] >> 16));
	tap_result(vcpu_run_to_ucall(vcpu, NULL) == UCALL_DONE, "%s: guest done", how);
	if (guest_exceptions.halt_skipped)
		tap_diag("%s: %llu interrupts came between STI and HLT (the emulator dropped the shadow)",
			 how, (unsigned long long)guest_exceptions.halt_skipped);
	vcpu_free(vcpu);
	vm_free(vm);
}

static void test_roundtrip(void)
{
	run_machine(false);
}

static void test_migrate(void)
{
	run_machine(true);
}

/* ---- a TSC-deadline timer --------------------------------------------------- */

static void guest_deadline(void *arg)
{
	uint64_t delta = (uintptr_t)arg;
	uint32_t lo, hi;

	asm volatile("cli");
	apic_write(APIC_SVR, 0x1ff);
	apic_write(APIC_LVTT, 0x41 | LVT_DEADLINE);
	asm volatile("rdtsc" : "=a" (lo), "=d" (hi));
	guest_wrmsr(MSR_DEADLINE, ((uint64_t)hi << 32 | lo) + delta);
	GUEST_SYNC(0);			/* saved and restored here */
	while (!count_of(0x41))
		guest_halt();
	apic_write(APIC_EOI, 0);
	GUEST_SYNC(guest_rdmsr(MSR_DEADLINE));
	GUEST_DONE();
}

static void test_deadline(void)
{
	static struct saved s;
	struct vm *vm;
	/* About 100 ms at any plausible TSC rate above 1 GHz: well after the restore. */
	struct vcpu *vcpu = machine(&vm, guest_deadline, (void *)(uintptr_t)300000000);
	struct ucall uc;

	vcpu_run_to_ucall(vcpu, NULL);
	vcpu = migrate(vcpu, &s);
	tap_result(s.lapic.tsc_deadline && !(s.lapic.flags & VHV_LAPIC_TIMER_ARMED),
		   "TSC deadline: saved as the MSR value (%#llx), not as a relative timer",
		   (unsigned long long)s.lapic.tsc_deadline);
	{
		struct vhv_lapic_state l;

		vhv_ioctl(vcpu->fd, VHV_GET_LAPIC, &l);
		tap_result(l.tsc_deadline == s.lapic.tsc_deadline,
			   "TSC deadline: the restored vCPU has it armed still");
	}
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == 0 && count_of(0x41) == 1,
		   "TSC deadline: it fires once in the restored VM and the MSR reads 0");
	vcpu_free(vcpu);
	vm_free(vm);
}

/* ---- pending events ---------------------------------------------------------- */

static void guest_events(void *arg)
{
	(void)arg;
	asm volatile("cli");
	GUEST_SYNC(0);			/* events queued, saved, restored */
	GUEST_SYNC(count_of(2) << 8 | count_of(6));
	GUEST_DONE();
}

static void test_events(void)
{
	static struct saved s;
	struct vhv_vcpu_events ev, got;
	struct vm *vm;
	struct vcpu *vcpu = machine(&vm, guest_events, NULL);
	struct vhv_regs r;
	struct ucall uc;

	vcpu_run_to_ucall(vcpu, NULL);
	TEST_OK(__vcpu_inject(vcpu, VHV_EVENT_NMI, 0, false, 0), "queue an NMI");
	TEST_OK(__vcpu_inject(vcpu, VHV_EVENT_EXCEPTION, 6, false, 0), "queue #UD");
	vhv_ioctl(vcpu->fd, VHV_GET_VCPU_EVENTS, &ev);
	tap_result(ev.nmi_pending && ev.queued.valid && ev.queued.type == VHV_EVENT_EXCEPTION &&
		   ev.queued.vector == 6 && !ev.injected.valid && !ev.raised.valid &&
		   !ev.nmi_masked, "VHV_GET_VCPU_EVENTS shows the queued NMI and #UD");
	vcpu = migrate(vcpu, &s);
	vhv_ioctl(vcpu->fd, VHV_GET_VCPU_EVENTS, &got);
	tap_result(!memcmp(&ev, &got, sizeof(ev)), "the restored vCPU has the same events");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == (1 << 8 | 1),
		   "the restored guest takes the NMI and the #UD (%#llx)",
		   (unsigned long long)uc.args[0]);
	vhv_ioctl(vcpu->fd, VHV_GET_VCPU_EVENTS, &got);
	/* Its handler's IRET ran: NMIs are open again. */
	tap_result(!got.nmi_pending && !got.queued.valid && !got.nmi_masked,
		   "after the NMI handler: none pending, NMIs unmasked by its IRET");

	/* The STI shadow holds while RIP stays. */
	memset(&ev, 0, sizeof(ev));
	ev.interrupt_shadow = 1;
	ev.sipi_pending = 1;
	ev.sipi_vector = 0x9a;
	ev.init_pending = 1;
	vhv_ioctl(vcpu->fd, VHV_SET_VCPU_EVENTS, &ev);
	vhv_ioctl(vcpu->fd, VHV_GET_VCPU_EVENTS, &got);
	tap_result(!memcmp(&ev, &got, sizeof(ev)),
		   "interrupt shadow, INIT and SIPI 0x9a pending come back");
	r = vcpu_regs(vcpu);
	r.rip++;
	vcpu_set_regs(vcpu, &r);
	vhv_ioctl(vcpu->fd, VHV_GET_VCPU_EVENTS, &got);
	tap_result(!got.interrupt_shadow, "moving RIP ends the interrupt shadow");

	/* A triple fault waiting for the next run. */
	memset(&ev, 0, sizeof(ev));
	ev.triple_fault = 1;
	vhv_ioctl(vcpu->fd, VHV_SET_VCPU_EVENTS, &ev);
	vhv_ioctl(vcpu->fd, VHV_GET_VCPU_EVENTS, &got);
	tap_result(got.triple_fault, "a pending triple fault comes back");
	r.rax = _vcpu_run(vcpu);
	tap_result(r.rax == 0 && vcpu->run->exit_reason == VHV_EXIT_SHUTDOWN,
		   "and the next run exits with SHUTDOWN (%s)",
		   exit_reason_name(vcpu->run->exit_reason));
	vcpu_free(vcpu);
	vm_free(vm);
}

/*
 * An NMI or interrupt displaced behind an exception the exit raised goes
 * in after it, also when nothing was being delivered at that exit (the
 * exception raised delivering an earlier one, which it replaced): it was
 * lost that way once.
 */
static void guest_displaced(void *arg)
{
	(void)arg;
	asm volatile("cli");
	GUEST_SYNC(0);
	GUEST_SYNC(count_of(0x41) << 16 | count_of(2) << 8 | count_of(6));
	GUEST_SYNC(count_of(0x41) << 16 | count_of(2) << 8 | count_of(6));
	GUEST_DONE();
}

static void test_displaced(void)
{
	struct vhv_vcpu_events ev, got;
	struct vm *vm;
	struct vcpu *vcpu = machine(&vm, guest_displaced, NULL);
	struct ucall uc;

	vcpu_run_to_ucall(vcpu, NULL);
	memset(&ev, 0, sizeof(ev));
	ev.raised = (struct vhv_event_state){ .valid = 1, .type = VHV_EVENT_EXCEPTION, .vector = 6 };
	ev.displaced = (struct vhv_event_state){ .valid = 1, .type = VHV_EVENT_NMI };
	ev.nmi_masked = 1;	/* as an NMI on its way in has it */
	vhv_ioctl(vcpu->fd, VHV_SET_VCPU_EVENTS, &ev);
	vhv_ioctl(vcpu->fd, VHV_GET_VCPU_EVENTS, &got);
	tap_result(!memcmp(&ev, &got, sizeof(ev)), "a raised #UD with an NMI displaced comes back");
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == (1 << 8 | 1) && guest_exceptions.last_vector == 6,
		   "the guest takes the #UD, then the displaced NMI, whose handler runs first (%#llx, last %llu)",
		   (unsigned long long)uc.args[0], (unsigned long long)guest_exceptions.last_vector);

	ev.nmi_masked = 0;
	ev.displaced = (struct vhv_event_state){ .valid = 1, .type = VHV_EVENT_EXTINT, .vector = 0x41 };
	vhv_ioctl(vcpu->fd, VHV_SET_VCPU_EVENTS, &ev);
	vcpu_run_to_ucall(vcpu, &uc);
	tap_result(uc.args[0] == (1 << 16 | 1 << 8 | 2),
		   "the guest takes the #UD, then the displaced interrupt 0x41 (%#llx)",
		   (unsigned long long)uc.args[0]);
	vcpu_free(vcpu);
	vm_free(vm);
}

/* ---- a vCPU waiting for SIPI ---------------------------------------------------- */

#define AP_CODE_GPA	0x8000ull
#define AP_PORT		0x5cb0

static void guest_idle(void *arg)
{
	(void)arg;
	GUEST_DONE();
}

/* A SIPI sent before the save starts the AP in the restored VM. */
static void test_sipi(void)
{
	static struct saved s;
	struct vhv_vcpu_events ev = { .sipi_pending = 1, .sipi_vector = AP_CODE_GPA >> 12 };
	struct vhv_mp_state mp;
	struct vm *vm;
	struct vcpu *bsp = machine(&vm, guest_idle, NULL), *ap;
	/* mov $0x4321, %ax; mov $AP_PORT, %dx; out %ax, %dx; hlt */
	static const uint8_t code[] = { 0xb8, 0x21, 0x43, 0xba, AP_PORT & 0xff,
					AP_PORT >> 8, 0xef, 0xf4 };
	uint8_t *low = vm_add_ram(vm, 0, 1 << 20);

	memcpy(low + AP_CODE_GPA, code, sizeof(code));
	ap = vcpu_add(vm, 1);
	vhv_ioctl(ap->fd, VHV_SET_VCPU_EVENTS, &ev);
	vcpu_free(bsp);
	/* The AP's state, saved by hand: it is vCPU 1 in the new VM too. */
	s.regs = vcpu_regs(ap);
	s.sregs = vcpu_sregs(ap);
	vhv_ioctl(ap->fd, VHV_GET_LAPIC, &s.lapic);
	vhv_ioctl(ap->fd, VHV_GET_VCPU_EVENTS, &s.events);
	vhv_ioctl(ap->fd, VHV_GET_MP_STATE, &s.mp);
	vcpu_free(ap);
	vm_recreate(vm);
	vhv_ioctl(vm->fd, VHV_CREATE_IRQCHIP, 0);
	ap = vcpu_add(vm, 1);
	vcpu_set_sregs(ap, &s.sregs);
	vcpu_set_regs(ap, &s.regs);
	vhv_ioctl(ap->fd, VHV_SET_LAPIC, &s.lapic);
	vhv_ioctl(ap->fd, VHV_SET_VCPU_EVENTS, &s.events);
	vhv_ioctl(ap->fd, VHV_SET_MP_STATE, &s.mp);
	vhv_ioctl(ap->fd, VHV_GET_MP_STATE, &mp);
	tap_result(s.events.sipi_pending && s.events.sipi_vector == AP_CODE_GPA >> 12 &&
		   mp.state == VHV_MP_STATE_WAIT_SIPI,
		   "an AP waiting for SIPI with one pending is saved and restored so");
	TEST_REQUIRE(_vcpu_run(ap) == 0, "VHV_RUN of the restored AP");
	tap_result(ap->run->exit_reason == VHV_EXIT_IO &&
		   ap->run->io.port == AP_PORT && vcpu_regs(ap).rax == 0x4321,
		   "the restored AP starts at the SIPI's page (exit %s)",
		   exit_reason_name(ap->run->exit_reason));
	vcpu_free(ap);
	vm_free(vm);
}

/* ---- what the host reads and writes between runs ----------------------------- */

static int msr_set(struct vcpu *vcpu, uint32_t index, uint64_t data)
{
	struct vhv_msr_entry e = { .index = index, .data = data };
	struct vhv_msrs m = { .nmsrs = 1, .entries = (uintptr_t)&e };

	return _vhv_ioctl(vcpu->fd, VHV_SET_MSRS, (unsigned long)&m);
}

static uint64_t msr_get(struct vcpu *vcpu, uint32_t index)
{
	struct vhv_msr_entry e = { .index = index };

	msr_io(vcpu, VHV_GET_MSRS, &e);
	return e.data;
}

/*
 * The LAPIC is the one copy of the TPR, APIC base and TSC deadline: the
 * host's reads agree with it, and a refused write changes nothing.  Each
 * case was wrong once (cr8 from the VMCB's stale V_TPR; the base stepped
 * through "disabled", clearing the APIC, before its refusal, and never
 * reached VHV_GET_SREGS; the deadline read back after leaving its mode).
 */
static void test_host_view(void)
{
	struct vhv_lapic_state l, before, after;
	struct vhv_sregs sr;
	struct vm *vm;
	struct vcpu *vcpu = machine(&vm, guest_events, NULL);
	uint64_t base = APIC | 1u << 11 | 1u << 8;	/* enabled, BSP */

	vhv_ioctl(vcpu->fd, VHV_GET_LAPIC, &l);
	l.regs[0x80] = 0x50;				/* TPR */
	l.regs[0xf0] = 0xff;				/* SVR: enabled */
	l.regs[0xf1] = 0x01;
	l.regs[0x350 + 1] = 0x07;			/* LVT0: ExtINT, unmasked */
	l.regs[0x350 + 2] = 0x00;
	l.regs[0x200 + 16 * (0x65 / 32) + (0x65 % 32) / 8] |= 1u << (0x65 % 8);	/* IRR */
	vhv_ioctl(vcpu->fd, VHV_SET_LAPIC, &l);
	vhv_ioctl(vcpu->fd, VHV_GET_SREGS, &sr);
	tap_result(sr.cr8 == 5, "VHV_GET_SREGS: cr8 is the LAPIC's TPR >> 4 (%llu)",
		   (unsigned long long)sr.cr8);

	/* The TPR, LVT0 and IRR vector 0x65 above must survive a refusal. */
	vhv_ioctl(vcpu->fd, VHV_GET_LAPIC, &before);
	tap_result(msr_set(vcpu, 0x1b, APIC | 1u << 10 | 1u << 8) == 0,
		   "IA32_APIC_BASE with x2APIC but not enabled: refused by VHV_SET_MSRS");
	vhv_ioctl(vcpu->fd, VHV_GET_LAPIC, &after);
	tap_result(!memcmp(before.regs, after.regs, sizeof(before.regs)) &&
		   after.apic_base == base,
		   "... and the LAPIC is as it was (IRR, LVTs, base %#llx)",
		   (unsigned long long)after.apic_base);
	tap_result(msr_set(vcpu, 0x1b, base | 1u << 10) == 1 &&
		   (vhv_ioctl(vcpu->fd, VHV_GET_SREGS, &sr), sr.apic_base == (base | 1u << 10)),
		   "IA32_APIC_BASE to x2APIC through VHV_SET_MSRS: VHV_GET_SREGS says so (%#llx)",
		   (unsigned long long)sr.apic_base);

	/* x2APIC now: LVTT is MSR 0x832, TMICT 0x838. */
	TEST_REQUIRE(msr_set(vcpu, 0x832, 0x41 | LVT_DEADLINE) == 1, "LVTT: deadline mode");
	TEST_REQUIRE(msr_set(vcpu, MSR_DEADLINE, 1ull << 62) == 1, "IA32_TSC_DEADLINE");
	TEST_REQUIRE(msr_set(vcpu, 0x838, 1000) == 1, "TMICT in deadline mode");
	vhv_ioctl(vcpu->fd, VHV_GET_LAPIC, &l);
	/* (That the model's deadline stays armed, test_lapic checks.) */
	tap_result(msr_get(vcpu, MSR_DEADLINE) == 1ull << 62 && l.tsc_deadline == 1ull << 62 &&
		   !*(uint32_t *)&l.regs[APIC_TMICT],
		   "a TMICT write in deadline mode is ignored: TMICT stays 0, the deadline stays");
	TEST_REQUIRE(msr_set(vcpu, 0x832, 0x41) == 1, "LVTT: one-shot mode");
	tap_result(msr_get(vcpu, MSR_DEADLINE) == 0,
		   "IA32_TSC_DEADLINE reads 0 outside deadline mode");
	TEST_REQUIRE(msr_set(vcpu, 0x832, 0x41 | LVT_DEADLINE) == 1, "LVTT: deadline mode again");
	tap_result(msr_get(vcpu, MSR_DEADLINE) == 0,
		   "... and 0 back in it: leaving the mode disarmed the deadline");
	vcpu_free(vcpu);
	vm_free(vm);
}

static const struct named_test tests[] = {
	{ "roundtrip", test_roundtrip },
	{ "migrate", test_migrate },
	{ "deadline", test_deadline },
	{ "events", test_events },
	{ "displaced", test_displaced },
	{ "sipi", test_sipi },
	{ "host-view", test_host_view },
};

/* Usage: state_test [NAME...]: the named tests only (default all). */
int main(int argc, char **argv)
{
	if (vhv_can_run("interrupt state save/restore"))
		run_named_tests(tests, sizeof(tests) / sizeof(tests[0]), argc, argv);
	return tap_done();
}
