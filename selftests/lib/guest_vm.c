// SPDX-License-Identifier: GPL-2.0
/*
 * Host side of running selftest guests: guest RAM, guest page tables that
 * map host memory at its own virtual addresses, entering real, protected
 * and long mode through VHV_SET_SREGS, and reading the guest's ucalls.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "vhv_test.h"
#include "guest.h"

#define PAGE		4096ull
#define PT_POOL_SIZE	(2ull << 20)
#define FIRST_HELPER_SLOT 100	/* tests use lower ids themselves */
#define PTE_P		1ull
#define PTE_RW		2ull
#define PTE_U		4ull
#define PTE_ADDR	0x000ffffffffff000ull

int __vcpu_run(struct vcpu *vcpu)
{
	return ioctl(vcpu->fd, VHV_RUN, 0);
}

/*
 * The run watchdog: a VHV_RUN that has not come back for RUN_LIMIT_S is a
 * guest waiting for good (an interrupt that never comes, a lost wakeup),
 * or an L1 CPU the emulator wedged with the vCPU's thread on it.  A thread
 * looks at the runs in progress once a second and interrupts such a run
 * with WATCHDOG_SIG; _vcpu_run then prints the vCPU's state and L1's
 * timer interrupts per CPU (a CPU that takes none for a second while a
 * thread waits on it is the emulator's), and runs on: the runner's time
 * limit still decides, and a wedged L1 is still retried (nested-retry),
 * but the log says where the test waited.
 */
#ifndef RUN_LIMIT_S
#define RUN_LIMIT_S	180
#endif
#define RUN_SLOTS	64
#define WATCHDOG_SIG	(SIGRTMIN + 3)

static struct run_slot {
	pthread_t thread;
	uint64_t start_ns;		/* 0: free */
	volatile int expired;
} run_slots[RUN_SLOTS];
static pthread_mutex_t run_slots_lock = PTHREAD_MUTEX_INITIALIZER;

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void watchdog_signal(int sig)
{
	(void)sig;
}

static void *watchdog(void *arg)
{
	(void)arg;
	for (;;) {
		uint64_t now;

		sleep(1);
		pthread_mutex_lock(&run_slots_lock);
		now = mono_ns();	/* after every start_ns it compares with */
		for (int i = 0; i < RUN_SLOTS; i++) {
			struct run_slot *s = &run_slots[i];

			if (s->start_ns && now > s->start_ns &&
			    now - s->start_ns > RUN_LIMIT_S * 1000000000ull) {
				s->expired = 1;
				pthread_kill(s->thread, WATCHDOG_SIG);
			}
		}
		pthread_mutex_unlock(&run_slots_lock);
	}
	return NULL;
}

static void watchdog_start(void)
{
	struct sigaction sa = { .sa_handler = watchdog_signal };
	pthread_t t;

	sigemptyset(&sa.sa_mask);
	sigaction(WATCHDOG_SIG, &sa, NULL);	/* no SA_RESTART: VHV_RUN returns */
	if (!pthread_create(&t, NULL, watchdog, NULL))
		pthread_detach(t);
}

static struct run_slot *run_slot_take(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	struct run_slot *slot = NULL;

	pthread_once(&once, watchdog_start);
	pthread_mutex_lock(&run_slots_lock);
	for (int i = 0; i < RUN_SLOTS && !slot; i++) {
		if (!run_slots[i].start_ns) {
			slot = &run_slots[i];
			slot->thread = pthread_self();
			slot->expired = 0;
			slot->start_ns = mono_ns();
		}
	}
	pthread_mutex_unlock(&run_slots_lock);
	return slot;	/* NULL: more runs at once than slots, not watched */
}

static void run_slot_put(struct run_slot *slot)
{
	if (!slot)
		return;
	pthread_mutex_lock(&run_slots_lock);
	slot->start_ns = 0;
	pthread_mutex_unlock(&run_slots_lock);
}

/* L1's "LOC:" line of /proc/interrupts: local timer interrupts per CPU. */
static int l1_ticks(unsigned long long *t, int max)
{
	char line[4096];
	FILE *f = fopen("/proc/interrupts", "r");
	int n = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = line, *end;

		while (*p == ' ')
			p++;
		if (strncmp(p, "LOC:", 4))
			continue;
		for (p += 4; n < max; p = end) {
			t[n] = strtoull(p, &end, 10);
			if (end == p)
				break;
			n++;
		}
		break;
	}
	fclose(f);
	return n;
}

static void report_l1_ticks(void)
{
	unsigned long long a[64], b[64];
	char out[600] = "";
	size_t len = 0;
	int n = l1_ticks(a, 64);

	sleep(1);
	if (n != l1_ticks(b, 64) || !n)
		return;
	for (int i = 0; i < n && len < sizeof(out) - 24; i++)
		len += snprintf(out + len, sizeof(out) - len, " CPU%d %llu", i, b[i] - a[i]);
	tap_diag("L1 local timer interrupts in 1 s:%s", out);
}

/*
 * The rest of what could wake it: the PICs and the PIT channel 0 (when the
 * VM has them), and what the guest's IDT handlers counted (the guest may
 * have taken an interrupt it never acknowledged).
 */
static void report_chips(struct vcpu *vcpu)
{
	struct vhv_irqchip_state c[4];
	char seen[400] = "";
	size_t n = 0;

	memset(c, 0, sizeof(c));
	for (uint32_t i = 0; i < 4; i++) {
		c[i].chip = i;
		if (ioctl(vcpu->vm->fd, VHV_GET_IRQCHIP, &c[i]))
			return;
	}
	tap_diag("vCPU %u: PIC master IRR %#x ISR %#x IMR %#x lines %#x base %#x, slave IRR %#x ISR %#x IMR %#x; PIT ch0 mode %u count %u armed %u paused %u, %llu ns into its period",
		 vcpu->id, c[0].pic.irr, c[0].pic.isr, c[0].pic.imr, c[0].pic.lines,
		 c[0].pic.vector_base, c[1].pic.irr, c[1].pic.isr, c[1].pic.imr,
		 c[3].pit.ch[0].mode, c[3].pit.ch[0].count, c[3].pit.ch[0].armed,
		 c[3].pit.ch[0].paused, (unsigned long long)c[3].pit.ch[0].load_elapsed_ns);
	for (int v = 0; v < 256 && n < sizeof(seen) - 24; v++)
		if (guest_exceptions.count[v])
			n += snprintf(seen + n, sizeof(seen) - n, " %#x:%llu", v,
				      (unsigned long long)guest_exceptions.count[v]);
	tap_diag("guest IDT handlers ran (vector:times):%s; %llu taken at guest_halt()'s HLT",
		 n ? seen : " none", (unsigned long long)guest_exceptions.halt_skipped);
}

/* What a vCPU that never came back was waiting for. */
static void report_stuck(struct vcpu *vcpu)
{
	struct vhv_lapic_state l;
	struct vhv_mp_state mp = { 0 };
	struct vhv_vcpu_stats st = { 0 };
	struct vhv_regs r = { 0 };
	char irr[200] = "", isr[200] = "";
	size_t ni = 0, ns = 0;

	ioctl(vcpu->fd, VHV_GET_REGS, &r);
	if (ioctl(vcpu->fd, VHV_GET_MP_STATE, &mp))
		mp.state = ~0u;		/* no irqchip: no MP state */
	ioctl(vcpu->fd, VHV_GET_VCPU_STATS, &st);
	tap_diag("vCPU %u: still in VHV_RUN after %d s: rip %#llx rflags %#llx, MP state %u, %llu exits, %llu HLTs, %llu interrupts",
		 vcpu->id, RUN_LIMIT_S, (unsigned long long)r.rip, (unsigned long long)r.rflags, mp.state,
		 (unsigned long long)st.count[VHV_STAT_EXITS],
		 (unsigned long long)st.count[VHV_STAT_HLT],
		 (unsigned long long)st.count[VHV_STAT_INTERRUPTS]);
	if (ioctl(vcpu->fd, VHV_GET_LAPIC, &l)) {
		report_l1_ticks();	/* no in-kernel LAPIC */
		return;
	}
	for (int v = 0; v < 256; v++) {
		uint32_t irrw, isrw;

		memcpy(&irrw, &l.regs[0x200 + 16 * (v >> 5)], 4);
		memcpy(&isrw, &l.regs[0x100 + 16 * (v >> 5)], 4);
		if ((irrw >> (v & 31)) & 1 && ni < sizeof(irr) - 8)
			ni += snprintf(irr + ni, sizeof(irr) - ni, " %#x", v);
		if ((isrw >> (v & 31)) & 1 && ns < sizeof(isr) - 8)
			ns += snprintf(isr + ns, sizeof(isr) - ns, " %#x", v);
	}
	{
		uint32_t tpr, svr, lvtt, tmict, tmcct, lint0;

		memcpy(&tpr, &l.regs[0x80], 4);
		memcpy(&svr, &l.regs[0xf0], 4);
		memcpy(&lvtt, &l.regs[0x320], 4);
		memcpy(&lint0, &l.regs[0x350], 4);
		memcpy(&tmict, &l.regs[0x380], 4);
		memcpy(&tmcct, &l.regs[0x390], 4);
		tap_diag("vCPU %u: LAPIC base %#llx TPR %#x SVR %#x LVTT %#x LINT0 %#x TMICT %#x TMCCT %#x deadline %#llx, IRR:%s ISR:%s",
			 vcpu->id, (unsigned long long)l.apic_base, tpr, svr, lvtt, lint0,
			 tmict, tmcct, (unsigned long long)l.tsc_deadline,
			 ni ? irr : " none", ns ? isr : " none");
	}
	report_chips(vcpu);
	report_l1_ticks();
}

int _vcpu_run(struct vcpu *vcpu)
{
	struct run_slot *slot = run_slot_take();
	int r;

	for (;;) {
		r = __vcpu_run(vcpu);
		if (r != -1 || errno != EINTR)
			break;
		if (slot && slot->expired) {
			report_stuck(vcpu);
			pthread_mutex_lock(&run_slots_lock);
			slot->expired = 0;
			slot->start_ns = mono_ns();	/* again in RUN_LIMIT_S */
			pthread_mutex_unlock(&run_slots_lock);
		}
	}
	run_slot_put(slot);
	return r;
}

void vcpu_run(struct vcpu *vcpu)
{
	TEST_REQUIRE(_vcpu_run(vcpu) == 0, "VHV_RUN on vCPU %u", vcpu->id);
}

int __vcpu_inject(struct vcpu *vcpu, uint8_t type, uint8_t vector, bool has_err,
		  uint32_t err)
{
	struct vhv_event e = {
		.type = type, .vector = vector, .has_error_code = has_err,
		.error_code = err,
	};

	return ioctl(vcpu->fd, VHV_INJECT_EVENT, &e);
}

void run_named_tests(const struct named_test *t, unsigned int n, int argc,
		     char **argv)
{
	unsigned int i;
	int j;

	for (i = 0; i < n; i++) {
		bool want = argc < 2;

		for (j = 1; j < argc; j++)
			want |= !strcmp(argv[j], t[i].name);
		if (want)
			t[i].fn();
	}
}

struct vhv_regs vcpu_regs(struct vcpu *vcpu)
{
	struct vhv_regs r;

	vhv_ioctl(vcpu->fd, VHV_GET_REGS, &r);
	return r;
}

void vcpu_set_regs(struct vcpu *vcpu, const struct vhv_regs *r)
{
	vhv_ioctl(vcpu->fd, VHV_SET_REGS, r);
}

struct vhv_sregs vcpu_sregs(struct vcpu *vcpu)
{
	struct vhv_sregs s;

	vhv_ioctl(vcpu->fd, VHV_GET_SREGS, &s);
	return s;
}

void vcpu_set_sregs(struct vcpu *vcpu, const struct vhv_sregs *s)
{
	vhv_ioctl(vcpu->fd, VHV_SET_SREGS, s);
}

static uint32_t next_slot(struct vm *vm)
{
	if (vm->next_slot < FIRST_HELPER_SLOT)
		vm->next_slot = FIRST_HELPER_SLOT;
	return vm->next_slot++;
}

void *vm_add_ram(struct vm *vm, uint64_t gpa, uint64_t size)
{
	return vm_add_anon_slot(vm, next_slot(vm), gpa, size, 0);
}

/* ---- guest page tables ----------------------------------------------------- */

static uint64_t *pt_host(struct vm *vm, uint64_t gpa)
{
	return (uint64_t *)(vm->pt_pool + (gpa - vm->pt_gpa));
}

static uint64_t pt_alloc(struct vm *vm)
{
	uint64_t gpa;

	if (!vm->pt_pool) {
		vm->pt_gpa = GUEST_PT_GPA;
		vm->pt_pool = vm_add_ram(vm, vm->pt_gpa, PT_POOL_SIZE);
	}
	TEST_REQUIRE(vm->pt_used + PAGE <= PT_POOL_SIZE, "guest page-table pool full");
	gpa = vm->pt_gpa + vm->pt_used;
	vm->pt_used += PAGE;
	return gpa;
}

static uint64_t pml4_gpa(struct vm *vm)
{
	if (!vm->pt_pool)
		pt_alloc(vm);
	return vm->pt_gpa;
}

static void map_page(struct vm *vm, uint64_t va, uint64_t gpa)
{
	uint64_t table = pml4_gpa(vm);
	int level;

	for (level = 4; level > 1; level--) {
		uint64_t *e = &pt_host(vm, table)[(va >> (12 + 9 * (level - 1))) & 511];

		if (!(*e & PTE_P))
			*e = pt_alloc(vm) | PTE_P | PTE_RW;
		table = *e & PTE_ADDR;
	}
	pt_host(vm, table)[(va >> 12) & 511] = gpa | PTE_P | PTE_RW;
}

void vm_set_user(struct vm *vm)
{
	uint64_t *e = (uint64_t *)vm->pt_pool, i;

	for (i = 0; i < vm->pt_used / sizeof(*e); i++)
		if (e[i] & PTE_P)
			e[i] |= PTE_U;
}

void vm_map_gpa(struct vm *vm, uint64_t va, uint64_t gpa, uint64_t size)
{
	uint64_t off;

	for (off = 0; off < size; off += PAGE)
		map_page(vm, va + off, gpa + off);
}

void vm_map_host(struct vm *vm, void *hva, uint64_t size, bool readonly)
{
	uint64_t start = (uintptr_t)hva & ~(PAGE - 1);
	uint64_t end = ((uintptr_t)hva + size + PAGE - 1) & ~(PAGE - 1);
	uint64_t gpa, off;

	if (!vm->next_gpa)
		vm->next_gpa = GUEST_MAP_GPA;
	gpa = vm->next_gpa;
	TEST_REQUIRE(__vm_set_slot(vm, next_slot(vm), readonly ? VHV_MEM_READONLY : 0,
				   gpa, end - start, (void *)start) == 0,
		     "slot for host range %#llx-%#llx", (unsigned long long)start,
		     (unsigned long long)end);
	for (off = 0; off < end - start; off += PAGE)
		map_page(vm, start + off, gpa + off);
	/* Keep slots 2 MiB apart so that guest-physical layout stays simple. */
	vm->next_gpa = (gpa + (end - start) + (2ull << 20) - 1) & ~((2ull << 20) - 1);
}

/* The program's own mappings: its file's segments and the bss after them. */
void vm_map_self(struct vm *vm)
{
	char exe[PATH_MAX], line[PATH_MAX + 128];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	bool after_exe = false;
	FILE *f;

	TEST_REQUIRE(n > 0, "readlink /proc/self/exe");
	exe[n] = 0;
	f = fopen("/proc/self/maps", "r");
	TEST_REQUIRE(f, "open /proc/self/maps");
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		char perms[8], path[PATH_MAX] = "";

		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %4095s", &lo, &hi, perms, path) < 3)
			continue;
		if (!strcmp(path, exe)) {
			vm_map_host(vm, (void *)lo, hi - lo, perms[1] != 'w');
			after_exe = true;
		} else if (after_exe && !path[0] && perms[1] == 'w') {
			vm_map_host(vm, (void *)lo, hi - lo, false);	/* bss */
			after_exe = false;
		} else {
			after_exe = false;
		}
	}
	fclose(f);
}

/* ---- modes ----------------------------------------------------------------- */

static struct vhv_segment seg(uint16_t sel, uint8_t type, bool code64, bool db)
{
	return (struct vhv_segment) {
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .s = 1, .l = code64, .db = db, .g = 1,
	};
}

void vcpu_setup_real_mode(struct vcpu *vcpu, uint16_t cs, uint16_t ip)
{
	struct vhv_sregs s = vcpu_sregs(vcpu);
	struct vhv_regs r = { .rip = ip, .rflags = 2 };

	s.cs.selector = cs;
	s.cs.base = (uint64_t)cs << 4;
	s.ds.selector = s.es.selector = s.ss.selector = 0;
	s.ds.base = s.es.base = s.ss.base = 0;
	vcpu_set_sregs(vcpu, &s);
	vcpu_set_regs(vcpu, &r);
}

void vcpu_setup_protected_mode(struct vcpu *vcpu, uint32_t eip, uint32_t esp)
{
	struct vhv_sregs s = vcpu_sregs(vcpu);
	struct vhv_regs r = { .rip = eip, .rsp = esp, .rflags = 2 };

	s.cs = seg(8, 0xb, false, true);
	s.ds = s.es = s.fs = s.gs = s.ss = seg(16, 0x3, false, true);
	s.tr = (struct vhv_segment) { .limit = 0x67, .type = 0xb, .present = 1 };
	s.cr0 = 0x11;		/* PE ET */
	s.cr4 = 0;
	s.efer = 0;
	vcpu_set_sregs(vcpu, &s);
	vcpu_set_regs(vcpu, &r);
}

void vcpu_setup_long_mode(struct vcpu *vcpu, void (*fn)(void *), void *arg)
{
	struct vm *vm = vcpu->vm;
	struct vhv_sregs s = vcpu_sregs(vcpu);
	size_t stack_size = 64 << 10;
	uint8_t *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct vhv_regs r = {
		.rip = (uintptr_t)fn, .rdi = (uintptr_t)arg, .rflags = 2,
		/* As if called: RSP = 8 mod 16, a zero return address. */
		.rsp = (uintptr_t)stack + stack_size - 8,
	};

	TEST_REQUIRE(stack != MAP_FAILED, "guest stack");
	vm_map_host(vm, stack, stack_size, false);
	s.cs = seg(8, 0xb, true, false);
	s.ds = s.es = s.fs = s.gs = s.ss = seg(16, 0x3, false, true);
	s.tr = (struct vhv_segment) { .limit = 0x67, .type = 0xb, .present = 1 };
	s.ldt = (struct vhv_segment) { .type = 2, .unusable = 1 };
	s.cr0 = 0x80050033;	/* PG WP NE ET MP PE */
	s.cr3 = pml4_gpa(vm);
	s.cr4 = 0x620;		/* OSXMMEXCPT OSFXSR PAE */
	s.efer = 0x500;		/* LMA LME */
	vcpu_set_sregs(vcpu, &s);
	vcpu_set_regs(vcpu, &r);
}

/* ---- descriptor tables ------------------------------------------------------ */

volatile struct guest_exceptions guest_exceptions;
volatile int guest_vendor_intel;

/*
 * 256 stubs, 16 bytes apart: those of vectors without an error code push a
 * zero in its place, then each pushes its vector and joins the common path.
 */
asm(".pushsection .text\n"
    ".balign 16\n"
    "guest_idt_stubs:\n"
    "vector = 0\n"
    ".rept 256\n"
    "	.balign 16\n"
    "	.if vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 || vector == 29 || vector == 30\n"
    "	.else\n"
    "	pushq $0\n"
    "	.endif\n"
    "	pushq $vector\n"
    "	jmp guest_idt_common\n"
    "	vector = vector + 1\n"
    ".endr\n"
    "guest_idt_common:\n"
    "	push %rax\n"
    "	push %rbx\n"
    "	mov 16(%rsp), %rax\n"			/* vector */
    "	lea guest_exceptions(%rip), %rbx\n"
    "	incq (%rbx, %rax, 8)\n"
    "	mov %rax, 2048(%rbx)\n"			/* last_vector */
    "	mov 24(%rsp), %rax\n"			/* error code */
    "	mov %rax, 2056(%rbx)\n"			/* last_error */
    "	mov 2064(%rbx), %rax\n"			/* skip */
    "	add %rax, 32(%rsp)\n"			/* saved RIP */
    "	lea guest_halt_insn(%rip), %rax\n"
    "	cmp %rax, 32(%rsp)\n"
    "	jne 1f\n"
    "	incq 32(%rsp)\n"			/* past guest_halt()'s HLT */
    "	incq 2072(%rbx)\n"			/* halt_skipped */
    "1:\n"
    "	pop %rbx\n"
    "	pop %rax\n"
    "	add $16, %rsp\n"
    "	iretq\n"
    /* guest.h: sti; hlt; cli, its HLT known to the handlers above */
    ".globl guest_halt\n"
    "guest_halt:\n"
    "	sti\n"
    "guest_halt_insn:\n"
    "	hlt\n"
    "	cli\n"
    "	ret\n"
    ".popsection\n");
extern const uint8_t guest_idt_stubs[];

struct gate {
	uint16_t off0, sel;
	uint8_t ist, type_attr;
	uint16_t off1;
	uint32_t off2, zero;
};

void vcpu_setup_idt(struct vcpu *vcpu)
{
	static const uint64_t gdt_init[3] = {
		0,
		0x00af9b000000ffffull,	/* 0x08: 64-bit code, DPL 0 */
		0x00cf93000000ffffull,	/* 0x10: data */
	};
	struct vhv_sregs s = vcpu_sregs(vcpu);
	uint8_t *mem = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct gate *idt = (struct gate *)mem;
	uint64_t *gdt = (uint64_t *)(mem + PAGE);
	int v;

	_Static_assert(sizeof(struct gate) == 16, "IDT gate");
	_Static_assert(offsetof(struct guest_exceptions, last_vector) == 2048, "stub offsets");
	_Static_assert(offsetof(struct guest_exceptions, halt_skipped) == 2072, "stub offsets");
	TEST_REQUIRE(mem != MAP_FAILED, "IDT/GDT memory");
	memcpy(gdt, gdt_init, sizeof(gdt_init));
	for (v = 0; v < 256; v++) {
		uint64_t h = (uintptr_t)guest_idt_stubs + 16 * v;

		idt[v] = (struct gate) {
			.off0 = h, .sel = 8, .type_attr = 0x8e,	/* present, interrupt gate */
			.off1 = h >> 16, .off2 = h >> 32,
		};
	}
	vm_map_host(vcpu->vm, mem, 2 * PAGE, false);
	s.idt.base = (uintptr_t)idt;
	s.idt.limit = 256 * 16 - 1;
	s.gdt.base = (uintptr_t)gdt;
	s.gdt.limit = sizeof(gdt_init) - 1;
	vcpu_set_sregs(vcpu, &s);
}

void vcpu_set_idt_handler(struct vcpu *vcpu, uint8_t vector, const void *handler)
{
	struct vhv_sregs s = vcpu_sregs(vcpu);
	struct gate *idt = (struct gate *)(uintptr_t)s.idt.base;	/* VA = host's */
	uint64_t h = (uintptr_t)handler;

	TEST_REQUIRE(s.idt.limit == 256 * 16 - 1, "the IDT of vcpu_setup_idt()");
	idt[vector].off0 = h;
	idt[vector].off1 = h >> 16;
	idt[vector].off2 = h >> 32;
}

/* ---- ucalls ----------------------------------------------------------------- */

const char *exit_reason_name(uint32_t reason)
{
	static const char *const names[] = {
		"NONE", "IO", "MMIO", "HLT", "SHUTDOWN", "FAIL_ENTRY",
		"INTERNAL_ERROR", "HYPERCALL", "MSR", "IRQ_WINDOW_OPEN", "INTR",
	};

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "?";
}

struct ucall *vcpu_ucall(struct vcpu *vcpu)
{
	struct vhv_run *run = vcpu->run;

	if (run->exit_reason != VHV_EXIT_IO || run->io.port != UCALL_PORT ||
	    run->io.direction != VHV_IO_OUT)
		return NULL;
	return (struct ucall *)(uintptr_t)vcpu_regs(vcpu).rdi;
}

uint64_t vcpu_run_to_ucall(struct vcpu *vcpu, struct ucall *out)
{
	struct vhv_run *run = vcpu->run;
	struct ucall *uc;

	vcpu_run(vcpu);
	uc = vcpu_ucall(vcpu);
	if (!uc) {
		struct vhv_regs r = vcpu_regs(vcpu);

		tap_bail(__FILE__, __LINE__,
			 "vCPU %u: expected a ucall, got exit %s (rip %#llx, suberror %u, data %#llx %#llx %#llx)",
			 vcpu->id, exit_reason_name(run->exit_reason),
			 (unsigned long long)r.rip, run->internal.suberror,
			 (unsigned long long)run->internal.data[0],
			 (unsigned long long)run->internal.data[1],
			 (unsigned long long)run->internal.data[2]);
	}
	if (uc->cmd == UCALL_FAIL)
		tap_bail(__FILE__, __LINE__,
			 "guest assertion failed at line %llu: %#llx != %#llx",
			 (unsigned long long)uc->args[0],
			 (unsigned long long)uc->args[1],
			 (unsigned long long)uc->args[2]);
	if (out)
		*out = *uc;
	return uc->cmd;
}
