// SPDX-License-Identifier: GPL-2.0
/*
 * bench-irq: the cost of interrupts through the in-kernel irqchip on
 * /dev/vhv (VHV_CREATE_IRQCHIP) or /dev/kvm (KVM_CREATE_IRQCHIP), with the
 * same 32-bit protected-mode guest code and the same userspace on both.
 * The guest uses the local APIC as Linux does when it is offered x2APIC:
 * through the x2APIC MSRs (one row also through the xAPIC page).
 *
 *   timer-deadline  arm the TSC-deadline timer with a deadline already
 *                   past, wait for its interrupt; the handler EOIs
 *   timer-oneshot   the same with a one-shot timer, initial count 1
 *   self-ipi        a self-IPI (SELF_IPI MSR) taken by a handler that EOIs
 *   self-ipi-xapic  the same through the xAPIC page: ICR with the self
 *                   shorthand, EOI register
 *   eoi             one EOI write alone, with an interrupt in service
 *   ipi             a round trip between two vCPUs: vCPU 0 sends a fixed
 *                   IPI to vCPU 1 and waits in HLT; vCPU 1, waiting in HLT
 *                   too, answers from its handler with a fixed IPI back
 *   ioeventfd       one OUT to a doorbell port that is an ioeventfd
 *                   (VHV_IOEVENTFD, KVM_IOEVENTFD; no datamatch): the vCPU
 *                   goes on without leaving its run call
 *   irqfd           a round trip between a host thread and the guest: the
 *                   thread signals an irqfd (VHV_IRQFD, KVM_IRQFD) on IOAPIC
 *                   pin 20, edge, and waits in read() on a second eventfd;
 *                   the guest, waiting in HLT, counts the interrupt in its
 *                   handler, EOIs, and answers by an OUT to a doorbell port
 *                   that is an ioeventfd on that second eventfd
 *
 * Every row is per event (one interrupt handled, or one EOI, or one round
 * trip), the minimum over the repetitions.  Under QEMU -icount shift=0 a
 * nanosecond in L1 is one L1 instruction.  Prints
 * "NAME BACKEND NS_PER_EVENT UNIT".
 *
 * eoi: the guest takes 14 self-IPIs of rising priority without EOI (one per
 * priority class, each nesting in the last), so 14 vectors are in service;
 * it then exits to userspace (OUT), writes EOI 14 times and exits again.
 * The time between the two exits, less that of the same two exits with
 * the EOIs moved after the second, is 14 EOIs.
 *
 * usage: bench-irq vhv|kvm [ITERATIONS [REPETITIONS [ROW...]]]
 * (ROWs: only those; default every row)
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "uapi/vhv.h"

/* Guest-physical layout (RAM from 0, flat 32-bit segments, no paging). */
#define RAM_SIZE	0x10000
#define IDT_GPA		0x0000		/* 256 interrupt gates */
#define GDT_GPA		0x0800		/* null, code 0x08, data 0x10 */
#define CODE_GPA	0x1000
#define COUNT_GPA	0x7000		/* interrupts taken (vCPU 0's handlers) */
#define AP_COUNT_GPA	0x7004		/* IPIs taken by vCPU 1 */
#define STACK0_GPA	0x9000
#define STACK1_GPA	0xa000

/* Exits to userspace: OUT to these ports (no device behind them). */
#define PORT_DONE	0xe0
#define PORT_MARK_A	0xe1
#define PORT_MARK_B	0xe2
/* Doorbells: ioeventfds, no exit. */
#define PORT_BELL	0xe4		/* the ioeventfd row */
#define PORT_ACK	0xe5		/* the irqfd row's answer */
#define PORT_FAULT	0xef

#define VEC		0x40		/* timer, self-IPI, the IPI back to vCPU 0 */
#define VEC_PING	0x41		/* the IPI to vCPU 1 */
#define VEC_IRQFD	0x42		/* the irqfd row's IOAPIC pin */

/*
 * The irqfd row's GSI: an IOAPIC pin above the PIC's 16 lines, so it
 * reaches the LAPIC by the IOAPIC alone on both hypervisors.
 */
#define IRQFD_GSI	20
#define IOAPIC_SEL	0xfec00000u
#define IOAPIC_WIN	0xfec00010u

#define MSR_APIC_BASE	0x1b
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_X2APIC_EOI	0x80b
#define MSR_X2APIC_ICR	0x830
#define MSR_X2APIC_TMICT 0x838
#define MSR_X2APIC_SELF	0x83f
#define XAPIC_ICR	0xfee00300u
#define LVT_DEADLINE	(2u << 17)
#define ICR_SELF	(1u << 18)

#define NEST		14		/* priority classes 2..15 */

#define STR_(x)		#x
#define STR(x)		STR_(x)

/*
 * The guest: entry points and handlers.  Copied to CODE_GPA; only relative
 * jumps and absolute data addresses, so it runs wherever it lands.
 */
asm(".pushsection .rodata\n"
    "	.code32\n"
    "guest_code:\n"
    /*
     * x2APIC mode, APIC software-enabled (spurious vector 0xff), LVT timer
     * = ESI, timer divide by 1.
     */
    "guest_x2apic_init:\n"
    "	mov $" STR(MSR_APIC_BASE) ", %ecx\n"
    "	rdmsr\n"
    "	or $0xc00, %eax\n"
    "	wrmsr\n"
    "	mov $0x80f, %ecx\n"
    "	mov $0x1ff, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	mov $0x832, %ecx\n"
    "	mov %esi, %eax\n"
    "	wrmsr\n"
    "	mov $0x83e, %ecx\n"
    "	mov $0xb, %eax\n"
    "	wrmsr\n"
    "	out %al, $" STR(PORT_DONE) "\n"
    /* xAPIC: the page at its reset address, software-enabled. */
    "guest_xapic_init:\n"
    "	movl $0x1ff, 0xfee000f0\n"
    "	out %al, $" STR(PORT_DONE) "\n"
    /*
     * EDI times: WRMSR ECX <- EBP, then wait (spinning, interrupts on) for
     * the interrupt it causes to reach its handler.
     */
    "guest_msr_loop:\n"
    "1:	mov " STR(COUNT_GPA) ", %ebx\n"
    "	mov %ebp, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "2:	cmp " STR(COUNT_GPA) ", %ebx\n"
    "	je 2b\n"
    "	dec %edi\n"
    "	jnz 1b\n"
    "	out %al, $" STR(PORT_DONE) "\n"
    /* The same with a store of EBP to [ESI] (xAPIC registers). */
    "guest_mmio_loop:\n"
    "1:	mov " STR(COUNT_GPA) ", %ebx\n"
    "	mov %ebp, (%esi)\n"
    "2:	cmp " STR(COUNT_GPA) ", %ebx\n"
    "	je 2b\n"
    "	dec %edi\n"
    "	jnz 1b\n"
    "	out %al, $" STR(PORT_DONE) "\n"
    /*
     * EDI times: NEST self-IPIs of rising priority (vectors 0x20, 0x30, ..
     * 0xf0; the handler does not EOI, so each nests), then MARK_A, MARK_B
     * with the NEST EOIs between them (ESI != 0) or after them (ESI == 0).
     */
    "guest_eoi_nest:\n"
    "1:	mov $0x20, %ebp\n"
    "	mov $" STR(MSR_X2APIC_SELF) ", %ecx\n"
    "2:	mov " STR(COUNT_GPA) ", %ebx\n"
    "	mov %ebp, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "3:	cmp " STR(COUNT_GPA) ", %ebx\n"
    "	je 3b\n"
    "	add $0x10, %ebp\n"
    "	cmp $0x100, %ebp\n"
    "	jne 2b\n"
    "	out %al, $" STR(PORT_MARK_A) "\n"
    "	test %esi, %esi\n"
    "	jz 4f\n"
    "	call 5f\n"
    "	out %al, $" STR(PORT_MARK_B) "\n"
    "	jmp 6f\n"
    "4:	out %al, $" STR(PORT_MARK_B) "\n"
    "	call 5f\n"
    "6:	dec %edi\n"
    "	jnz 1b\n"
    "	out %al, $" STR(PORT_DONE) "\n"
    "5:	mov $" STR(NEST) ", %ebx\n"
    "	mov $" STR(MSR_X2APIC_EOI) ", %ecx\n"
    "	xor %eax, %eax\n"
    "	xor %edx, %edx\n"
    "7:	wrmsr\n"
    "	dec %ebx\n"
    "	jnz 7b\n"
    "	ret\n"
    /*
     * vCPU 0 of the ipi row, EDI times: a fixed IPI VEC_PING to APIC ID 1,
     * then HLT until the answer has reached the handler (STI's shadow
     * keeps it from slipping in between the check and the HLT).
     */
    "guest_ipi_ping:\n"
    "1:	mov " STR(COUNT_GPA) ", %ebx\n"
    "	mov $" STR(MSR_X2APIC_ICR) ", %ecx\n"
    "	mov $" STR(VEC_PING) ", %eax\n"
    "	mov $1, %edx\n"
    "	wrmsr\n"
    "2:	cli\n"
    "	cmp " STR(COUNT_GPA) ", %ebx\n"
    "	jne 3f\n"
    "	sti\n"
    "	hlt\n"
    "	jmp 2b\n"
    "3:	sti\n"
    "	dec %edi\n"
    "	jnz 1b\n"
    "	out %al, $" STR(PORT_DONE) "\n"
    /* ioeventfd row: EDI OUTs to the doorbell port. */
    "guest_doorbell_loop:\n"
    "1:	out %al, $" STR(PORT_BELL) "\n"
    "	dec %edi\n"
    "	jnz 1b\n"
    "	out %al, $" STR(PORT_DONE) "\n"
    /*
     * IOAPIC pin ESI: destination APIC ID 0 (high dword) first, then the
     * low dword EBP (vector, edge, fixed, unmasked).
     */
    "guest_ioapic_route:\n"
    "	lea 0x11(,%esi,2), %eax\n"
    "	mov %eax, " STR(IOAPIC_SEL) "\n"
    "	movl $0, " STR(IOAPIC_WIN) "\n"
    "	dec %eax\n"
    "	mov %eax, " STR(IOAPIC_SEL) "\n"
    "	mov %ebp, " STR(IOAPIC_WIN) "\n"
    "	out %al, $" STR(PORT_DONE) "\n"
    /*
     * irqfd row: HLT until the handlers have counted EDI interrupts (the
     * STI shadow again covers the check and the HLT).
     */
    "guest_wait_count:\n"
    "1:	cli\n"
    "	cmp " STR(COUNT_GPA) ", %edi\n"
    "	je 2f\n"
    "	sti\n"
    "	hlt\n"
    "	jmp 1b\n"
    "2:	sti\n"
    "	out %al, $" STR(PORT_DONE) "\n"
    /* vCPU 1 of the ipi row: halts forever, answering in its handler. */
    "guest_ap_idle:\n"
    "1:	hlt\n"
    "	jmp 1b\n"
    /* Handlers. */
    "handler_x2apic_eoi:\n"
    "	push %eax\n"
    "	push %ecx\n"
    "	push %edx\n"
    "	incl " STR(COUNT_GPA) "\n"
    "	mov $" STR(MSR_X2APIC_EOI) ", %ecx\n"
    "	xor %eax, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	pop %edx\n"
    "	pop %ecx\n"
    "	pop %eax\n"
    "	iret\n"
    "handler_xapic_eoi:\n"
    "	incl " STR(COUNT_GPA) "\n"
    "	movl $0, 0xfee000b0\n"
    "	iret\n"
    "handler_count:\n"
    "	incl " STR(COUNT_GPA) "\n"
    "	iret\n"
    "handler_pong:\n"
    "	push %eax\n"
    "	push %ecx\n"
    "	push %edx\n"
    "	incl " STR(AP_COUNT_GPA) "\n"
    "	mov $" STR(MSR_X2APIC_ICR) ", %ecx\n"
    "	mov $" STR(VEC) ", %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	mov $" STR(MSR_X2APIC_EOI) ", %ecx\n"
    "	xor %eax, %eax\n"
    "	wrmsr\n"
    "	pop %edx\n"
    "	pop %ecx\n"
    "	pop %eax\n"
    "	iret\n"
    /* irqfd row: count, EOI, answer by the ACK doorbell. */
    "handler_ack:\n"
    "	push %eax\n"
    "	push %ecx\n"
    "	push %edx\n"
    "	incl " STR(COUNT_GPA) "\n"
    "	mov $" STR(MSR_X2APIC_EOI) ", %ecx\n"
    "	xor %eax, %eax\n"
    "	xor %edx, %edx\n"
    "	wrmsr\n"
    "	out %al, $" STR(PORT_ACK) "\n"
    "	pop %edx\n"
    "	pop %ecx\n"
    "	pop %eax\n"
    "	iret\n"
    "handler_spurious:\n"
    "	iret\n"
    "handler_fault:\n"
    "	out %al, $" STR(PORT_FAULT) "\n"
    "	hlt\n"
    "guest_end:\n"
    "	.code64\n"
    ".popsection\n");
extern const uint8_t guest_code[], guest_x2apic_init[], guest_xapic_init[],
	guest_msr_loop[], guest_mmio_loop[], guest_eoi_nest[], guest_ipi_ping[],
	guest_ap_idle[], guest_doorbell_loop[], guest_ioapic_route[],
	guest_wait_count[], handler_x2apic_eoi[], handler_xapic_eoi[],
	handler_count[], handler_pong[], handler_ack[], handler_spurious[],
	handler_fault[], guest_end[];

/* Where a label of the guest code is in the guest. */
static uint32_t gva(const uint8_t *label)
{
	return CODE_GPA + (uint32_t)(label - guest_code);
}

struct vm {
	bool kvm;
	int sys, fd;
	int vcpu[2];
	void *run[2];
	size_t run_size;
	uint8_t *ram;
};

static void die(const char *what)
{
	fprintf(stderr, "bench-irq: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void fail(const char *what)
{
	fprintf(stderr, "bench-irq: %s\n", what);
	exit(1);
}

static void set_gate(struct vm *vm, unsigned int vector, const uint8_t *handler)
{
	uint32_t off = gva(handler), gate[2];

	/* 32-bit interrupt gate, present, DPL 0, code selector 0x08. */
	gate[0] = (off & 0xffff) | 0x08u << 16;
	gate[1] = (off & 0xffff0000u) | 0x8e00u;
	memcpy(vm->ram + IDT_GPA + 8 * vector, gate, sizeof(gate));
}

static void setup_memory(struct vm *vm)
{
	static const uint64_t gdt[3] = {
		0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull,
	};
	unsigned int v;

	memcpy(vm->ram + GDT_GPA, gdt, sizeof(gdt));
	memcpy(vm->ram + CODE_GPA, guest_code, guest_end - guest_code);
	for (v = 0; v < 32; v++)
		set_gate(vm, v, handler_fault);
	for (v = 32; v < 256; v++)
		set_gate(vm, v, handler_spurious);
	set_gate(vm, VEC, handler_x2apic_eoi);
	set_gate(vm, VEC_PING, handler_pong);
	set_gate(vm, VEC_IRQFD, handler_ack);
}

/* Flat 32-bit protected mode, the same on both (the structs agree). */
#define FLAT(seg, sel, typ) do {					\
	(seg).base = 0;							\
	(seg).limit = 0xffffffff;					\
	(seg).selector = (sel);						\
	(seg).type = (typ);						\
	(seg).present = 1;						\
	(seg).dpl = 0;							\
	(seg).db = 1;							\
	(seg).s = 1;							\
	(seg).l = 0;							\
	(seg).g = 1;							\
	(seg).avl = 0;							\
	(seg).unusable = 0;						\
} while (0)

#define PROTECTED_MODE(s) do {						\
	FLAT((s).cs, 0x08, 0xb);					\
	FLAT((s).ds, 0x10, 0x3);					\
	FLAT((s).es, 0x10, 0x3);					\
	FLAT((s).fs, 0x10, 0x3);					\
	FLAT((s).gs, 0x10, 0x3);					\
	FLAT((s).ss, 0x10, 0x3);					\
	(s).gdt.base = GDT_GPA;						\
	(s).gdt.limit = 3 * 8 - 1;					\
	(s).idt.base = IDT_GPA;						\
	(s).idt.limit = 256 * 8 - 1;					\
	(s).cr0 = 0x11;		/* PE, ET */				\
} while (0)

/* CPUID.1:ECX: x2APIC (21) and TSC deadline (24), as Linux would look. */
#define CPUID1_ECX_APIC_BITS	((1u << 21) | (1u << 24))

static void create_vhv(struct vm *vm, int nr)
{
	static struct vhv_cpuid_entry cpuid[VHV_MAX_CPUID_ENTRIES];
	struct vhv_memory_slot slot = { .size = RAM_SIZE };
	struct vhv_cpuid c = { .nent = VHV_MAX_CPUID_ENTRIES };
	struct vhv_sregs s;
	unsigned int i;
	int v;

	vm->sys = open("/dev/vhv", O_RDWR | O_CLOEXEC);
	if (vm->sys < 0)
		die("open /dev/vhv");
	vm->fd = ioctl(vm->sys, VHV_CREATE_VM, 0);
	if (vm->fd < 0)
		die("VHV_CREATE_VM");
	slot.userspace_addr = (uintptr_t)vm->ram;
	if (ioctl(vm->fd, VHV_SET_MEMORY_SLOT, &slot))
		die("VHV_SET_MEMORY_SLOT");
	/* VHV_CAP_IRQCHIP still reads 0 (not the whole set yet); it works. */
	if (ioctl(vm->fd, VHV_CREATE_IRQCHIP, 0))
		die("VHV_CREATE_IRQCHIP");
	for (v = 0; v < nr; v++) {
		vm->vcpu[v] = ioctl(vm->fd, VHV_CREATE_VCPU, v);
		if (vm->vcpu[v] < 0)
			die("VHV_CREATE_VCPU");
		vm->run_size = ioctl(vm->sys, VHV_GET_VCPU_MMAP_SIZE, 0);
		vm->run[v] = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
				  MAP_SHARED, vm->vcpu[v], 0);
		if (vm->run[v] == MAP_FAILED)
			die("mmap vCPU");
		c.nent = VHV_MAX_CPUID_ENTRIES;
		c.entries = (uintptr_t)cpuid;
		if (ioctl(vm->vcpu[v], VHV_GET_CPUID, &c))
			die("VHV_GET_CPUID");
		for (i = 0; i < c.nent; i++)
			if (cpuid[i].function == 1)
				cpuid[i].ecx |= CPUID1_ECX_APIC_BITS;
		if (ioctl(vm->vcpu[v], VHV_SET_CPUID, &c))
			die("VHV_SET_CPUID");
		if (ioctl(vm->vcpu[v], VHV_GET_SREGS, &s))
			die("VHV_GET_SREGS");
		PROTECTED_MODE(s);
		if (ioctl(vm->vcpu[v], VHV_SET_SREGS, &s))
			die("VHV_SET_SREGS");
	}
}

static void create_kvm(struct vm *vm, int nr)
{
	static struct {
		struct kvm_cpuid2 h;
		struct kvm_cpuid_entry2 e[256];
	} cpuid;
	struct kvm_userspace_memory_region slot = { .memory_size = RAM_SIZE };
	struct kvm_sregs s;
	unsigned int i;
	int v;

	vm->sys = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->sys < 0)
		die("open /dev/kvm");
	vm->fd = ioctl(vm->sys, KVM_CREATE_VM, 0);
	if (vm->fd < 0)
		die("KVM_CREATE_VM");
	slot.userspace_addr = (uintptr_t)vm->ram;
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &slot))
		die("KVM_SET_USER_MEMORY_REGION");
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0))
		die("KVM_CREATE_IRQCHIP");
	cpuid.h.nent = 256;
	if (ioctl(vm->sys, KVM_GET_SUPPORTED_CPUID, &cpuid))
		die("KVM_GET_SUPPORTED_CPUID");
	for (i = 0; i < cpuid.h.nent; i++)
		if (cpuid.e[i].function == 1)
			cpuid.e[i].ecx |= CPUID1_ECX_APIC_BITS;
	for (v = 0; v < nr; v++) {
		vm->vcpu[v] = ioctl(vm->fd, KVM_CREATE_VCPU, v);
		if (vm->vcpu[v] < 0)
			die("KVM_CREATE_VCPU");
		vm->run_size = ioctl(vm->sys, KVM_GET_VCPU_MMAP_SIZE, 0);
		vm->run[v] = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE,
				  MAP_SHARED, vm->vcpu[v], 0);
		if (vm->run[v] == MAP_FAILED)
			die("mmap vCPU");
		if (ioctl(vm->vcpu[v], KVM_SET_CPUID2, &cpuid))
			die("KVM_SET_CPUID2");
		if (ioctl(vm->vcpu[v], KVM_GET_SREGS, &s))
			die("KVM_GET_SREGS");
		PROTECTED_MODE(s);
		if (ioctl(vm->vcpu[v], KVM_SET_SREGS, &s))
			die("KVM_SET_SREGS");
	}
}

/* A VM with its irqchip and nr vCPUs in protected mode, code and IDT in. */
static void create_vm(struct vm *vm, bool kvm, int nr)
{
	memset(vm, 0, sizeof(*vm));
	vm->kvm = kvm;
	vm->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->ram == MAP_FAILED)
		die("mmap");
	setup_memory(vm);
	if (kvm)
		create_kvm(vm, nr);
	else
		create_vhv(vm, nr);
}

static void destroy_vm(struct vm *vm, int nr)
{
	int v;

	/* The run areas hold the vCPUs (and the VM) too. */
	for (v = 0; v < nr; v++) {
		munmap(vm->run[v], vm->run_size);
		close(vm->vcpu[v]);
	}
	close(vm->fd);
	close(vm->sys);
	munmap(vm->ram, RAM_SIZE);
}

/* Guest registers for an entry point: RIP, EDI, ESI, EBP, ECX; IF on. */
static void start(struct vm *vm, int v, const uint8_t *entry, uint32_t edi,
		  uint32_t esi, uint32_t ebp, uint32_t ecx)
{
	uint64_t rsp = v ? STACK1_GPA : STACK0_GPA;

	if (vm->kvm) {
		struct kvm_regs r = {
			.rip = gva(entry), .rdi = edi, .rsi = esi, .rbp = ebp,
			.rcx = ecx, .rsp = rsp, .rflags = 0x202,
		};

		if (ioctl(vm->vcpu[v], KVM_SET_REGS, &r))
			die("KVM_SET_REGS");
	} else {
		struct vhv_regs r = {
			.rip = gva(entry), .rdi = edi, .rsi = esi, .rbp = ebp,
			.rcx = ecx, .rsp = rsp, .rflags = 0x202,
		};

		if (ioctl(vm->vcpu[v], VHV_SET_REGS, &r))
			die("VHV_SET_REGS");
	}
}

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ull + t.tv_nsec;
}

static void report_fault(struct vm *vm, int v)
{
	uint32_t frame[3];
	uint64_t rsp;

	if (vm->kvm) {
		struct kvm_regs r;

		ioctl(vm->vcpu[v], KVM_GET_REGS, &r);
		rsp = r.rsp;
	} else {
		struct vhv_regs r;

		ioctl(vm->vcpu[v], VHV_GET_REGS, &r);
		rsp = r.rsp;
	}
	if (rsp <= RAM_SIZE - sizeof(frame)) {
		memcpy(frame, vm->ram + rsp, sizeof(frame));
		fprintf(stderr, "bench-irq: guest exception on vCPU %d, stack %#x %#x %#x\n",
			v, frame[0], frame[1], frame[2]);
	}
	fail("guest exception");
}

/*
 * Runs vCPU v until it writes to a port and returns the port; an exit of
 * any other kind is a failure.  -1 for a signal.
 */
static int run_to_port(struct vm *vm, int v)
{
	int port;

	if (vm->kvm) {
		struct kvm_run *run = vm->run[v];

		if (ioctl(vm->vcpu[v], KVM_RUN, 0))
			return errno == EINTR ? -1 : (die("KVM_RUN"), -1);
		if (run->exit_reason != KVM_EXIT_IO) {
			fprintf(stderr, "bench-irq: kvm exit %u\n", run->exit_reason);
			fail("unexpected exit");
		}
		port = run->io.port;
	} else {
		struct vhv_run *run = vm->run[v];

		if (ioctl(vm->vcpu[v], VHV_RUN, 0))
			return errno == EINTR ? -1 : (die("VHV_RUN"), -1);
		if (run->exit_reason != VHV_EXIT_IO) {
			fprintf(stderr, "bench-irq: vhv exit %u\n", run->exit_reason);
			fail("unexpected exit");
		}
		port = run->io.port;
	}
	if (port == PORT_FAULT)
		report_fault(vm, v);
	return port;
}

static void run_to_done(struct vm *vm, int v)
{
	if (run_to_port(vm, v) != PORT_DONE)
		fail("guest stopped at an unexpected port");
}

static uint32_t guest_u32(struct vm *vm, uint32_t gpa)
{
	uint32_t x;

	memcpy(&x, vm->ram + gpa, sizeof(x));
	return x;
}

static void zero_u32(struct vm *vm, uint32_t gpa)
{
	memset(vm->ram + gpa, 0, 4);
}

static void x2apic_init(struct vm *vm, int v, uint32_t lvt_timer)
{
	start(vm, v, guest_x2apic_init, 0, lvt_timer, 0, 0);
	run_to_done(vm, v);
}

/*
 * Every wait needs its interrupt: fewer is a failure.  More is reported and
 * tolerated (kvm_amd on Linux 6.12 was seen to deliver one TSC-deadline
 * interrupt too many in 5000), the time is still the time of the waits.
 */
static void check_count(struct vm *vm, uint32_t gpa, uint32_t want, const char *row)
{
	uint32_t got = guest_u32(vm, gpa);

	if (got == want)
		return;
	fprintf(stderr, "bench-irq: %s: %u interrupts counted, %u expected\n",
		row, got, want);
	if (got < want)
		exit(1);
}

struct opts {
	bool kvm;
	const char *backend;
	uint32_t iterations;
	int reps;
	char **rows;		/* NULL-terminated; none: every row */
};

static bool want(const struct opts *o, const char *row)
{
	char **r;

	if (!*o->rows)
		return true;
	for (r = o->rows; *r; r++)
		if (!strcmp(*r, row))
			return true;
	return false;
}

static void print_row(const struct opts *o, const char *name, uint64_t ns,
		      uint64_t events, const char *unit)
{
	printf("%s %s %llu %s\n", name, o->backend,
	       (unsigned long long)((ns + events / 2) / events), unit);
	fflush(stdout);
}

/*
 * A loop of guest_msr_loop / guest_mmio_loop: each pass writes `val` to
 * `where` (an MSR or an address) and waits for the interrupt it causes.
 */
static void bench_loop(const struct opts *o, const char *name, bool xapic,
		       uint32_t lvt_timer, uint32_t where, uint32_t val)
{
	const uint8_t *loop = xapic ? guest_mmio_loop : guest_msr_loop;
	uint64_t best = ~0ull;
	struct vm vm;
	int r;

	create_vm(&vm, o->kvm, 1);
	if (xapic) {
		set_gate(&vm, VEC, handler_xapic_eoi);
		start(&vm, 0, guest_xapic_init, 0, 0, 0, 0);
		run_to_done(&vm, 0);
	} else {
		x2apic_init(&vm, 0, lvt_timer);
	}
	/* Warm-up: faults the pages in, and checks the row works at all. */
	zero_u32(&vm, COUNT_GPA);
	start(&vm, 0, loop, 100, where, val, where);
	run_to_done(&vm, 0);
	check_count(&vm, COUNT_GPA, 100, name);
	for (r = 0; r < o->reps; r++) {
		uint64_t t0, t1;

		zero_u32(&vm, COUNT_GPA);
		start(&vm, 0, loop, o->iterations, where, val, where);
		t0 = now_ns();
		run_to_done(&vm, 0);
		t1 = now_ns();
		check_count(&vm, COUNT_GPA, o->iterations, name);
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	print_row(o, name, best, o->iterations, "L1-instructions/event");
	destroy_vm(&vm, 1);
}

/* The time between MARK_A and MARK_B, summed over a run of guest_eoi_nest. */
static uint64_t eoi_window(struct vm *vm, uint32_t iterations, bool inside)
{
	uint64_t sum = 0, ta = 0;
	int port;

	zero_u32(vm, COUNT_GPA);
	start(vm, 0, guest_eoi_nest, iterations, inside, 0, 0);
	for (;;) {
		port = run_to_port(vm, 0);
		if (port == PORT_DONE)
			break;
		if (port == PORT_MARK_A)
			ta = now_ns();
		else if (port == PORT_MARK_B)
			sum += now_ns() - ta;
		else
			fail("eoi: unexpected port");
	}
	check_count(vm, COUNT_GPA, iterations * NEST, "eoi");
	return sum;
}

static void bench_eoi(const struct opts *o)
{
	uint64_t with = ~0ull, without = ~0ull, t;
	uint32_t v, n = o->iterations / NEST;
	struct vm vm;
	int r;

	create_vm(&vm, o->kvm, 1);
	for (v = 0x20; v < 0x100; v += 0x10)
		set_gate(&vm, v, handler_count);
	x2apic_init(&vm, 0, 0x10000);	/* timer masked */
	eoi_window(&vm, 10, true);
	eoi_window(&vm, 10, false);
	for (r = 0; r < o->reps; r++) {
		t = eoi_window(&vm, n, true);
		if (t < with)
			with = t;
		t = eoi_window(&vm, n, false);
		if (t < without)
			without = t;
	}
	print_row(o, "eoi", with > without ? with - without : 0, (uint64_t)n * NEST,
		  "L1-instructions/event");
	destroy_vm(&vm, 1);
}

/* ---- ioeventfd, irqfd -------------------------------------------------- */

static int new_eventfd(int flags)
{
	int fd = eventfd(0, EFD_CLOEXEC | flags);

	if (fd < 0)
		die("eventfd");
	return fd;
}

/* A one-byte port write that signals efd in the kernel. */
static void add_ioeventfd(struct vm *vm, uint16_t port, int efd)
{
	if (vm->kvm) {
		struct kvm_ioeventfd io = {
			.addr = port, .len = 1, .fd = efd,
			.flags = KVM_IOEVENTFD_FLAG_PIO,
		};

		if (ioctl(vm->fd, KVM_IOEVENTFD, &io))
			die("KVM_IOEVENTFD");
	} else {
		struct vhv_ioeventfd io = {
			.addr = port, .len = 1, .fd = efd,
			.flags = VHV_IOEVENTFD_PIO,
		};

		if (ioctl(vm->fd, VHV_IOEVENTFD, &io))
			die("VHV_IOEVENTFD");
	}
}

/* An edge-triggered irqfd on a GSI (KVM's default routing: the IOAPIC pin). */
static void add_irqfd(struct vm *vm, uint32_t gsi, int efd)
{
	if (vm->kvm) {
		struct kvm_irqfd f = { .fd = efd, .gsi = gsi };

		if (ioctl(vm->fd, KVM_IRQFD, &f))
			die("KVM_IRQFD");
	} else {
		struct vhv_irqfd f = { .fd = efd, .gsi = gsi };

		if (ioctl(vm->fd, VHV_IRQFD, &f))
			die("VHV_IRQFD");
	}
}

/* The eventfd's count, taken (0 when nothing was signalled). */
static uint64_t take_count(int efd)
{
	uint64_t n;

	if (read(efd, &n, sizeof(n)) == sizeof(n))
		return n;
	if (errno != EAGAIN)
		die("read eventfd");
	return 0;
}

static void check_signals(uint64_t got, uint64_t want, const char *row)
{
	if (got == want)
		return;
	fprintf(stderr, "bench-irq: %s: eventfd counted %llu, %llu expected\n",
		row, (unsigned long long)got, (unsigned long long)want);
	exit(1);
}

static void bench_ioeventfd(const struct opts *o)
{
	uint64_t best = ~0ull;
	struct vm vm;
	int efd, r;

	create_vm(&vm, o->kvm, 1);
	efd = new_eventfd(EFD_NONBLOCK);
	add_ioeventfd(&vm, PORT_BELL, efd);
	start(&vm, 0, guest_doorbell_loop, 100, 0, 0, 0);
	run_to_done(&vm, 0);
	check_signals(take_count(efd), 100, "ioeventfd");
	for (r = 0; r < o->reps; r++) {
		uint64_t t0, t1;

		start(&vm, 0, guest_doorbell_loop, o->iterations, 0, 0, 0);
		t0 = now_ns();
		run_to_done(&vm, 0);
		t1 = now_ns();
		check_signals(take_count(efd), o->iterations, "ioeventfd");
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	print_row(o, "ioeventfd", best, o->iterations, "L1-instructions/event");
	close(efd);
	destroy_vm(&vm, 1);
}

struct pinger {
	int irqfd, ackfd;
	uint32_t n;
	uint64_t ns, acks;
};

/* n round trips: signal the irqfd, wait (blocking read) for the answer. */
static void *pinger_thread(void *arg)
{
	struct pinger *p = arg;
	uint64_t one = 1, got, t0;
	uint32_t i;

	p->acks = 0;
	t0 = now_ns();
	for (i = 0; i < p->n; i++) {
		if (write(p->irqfd, &one, sizeof(one)) != sizeof(one))
			die("write irqfd");
		if (read(p->ackfd, &got, sizeof(got)) != sizeof(got))
			die("read ack eventfd");
		p->acks += got;
	}
	p->ns = now_ns() - t0;
	return NULL;
}

/* n round trips with the guest in guest_wait_count; the pinger's time. */
static uint64_t irqfd_round(struct vm *vm, struct pinger *p, uint32_t n)
{
	pthread_t t;

	zero_u32(vm, COUNT_GPA);
	p->n = n;
	start(vm, 0, guest_wait_count, n, 0, 0, 0);
	if (pthread_create(&t, NULL, pinger_thread, p))
		fail("pthread_create");
	run_to_done(vm, 0);
	pthread_join(t, NULL);
	check_count(vm, COUNT_GPA, n, "irqfd");
	check_signals(p->acks, n, "irqfd");
	return p->ns;
}

static void bench_irqfd(const struct opts *o)
{
	uint32_t n = o->iterations / 2;
	struct pinger p = { 0 };
	uint64_t best = ~0ull, t;
	struct vm vm;
	int r;

	create_vm(&vm, o->kvm, 1);
	x2apic_init(&vm, 0, 0x10000);
	start(&vm, 0, guest_ioapic_route, 0, IRQFD_GSI, VEC_IRQFD, 0);
	run_to_done(&vm, 0);
	p.irqfd = new_eventfd(0);
	p.ackfd = new_eventfd(0);
	add_irqfd(&vm, IRQFD_GSI, p.irqfd);
	add_ioeventfd(&vm, PORT_ACK, p.ackfd);
	/* A lost interrupt would leave both sides waiting: end it then. */
	alarm(60);
	irqfd_round(&vm, &p, 100);
	for (r = 0; r < o->reps; r++) {
		t = irqfd_round(&vm, &p, n);
		if (t < best)
			best = t;
	}
	alarm(0);
	print_row(o, "irqfd", best, n, "L1-instructions/round-trip");
	close(p.irqfd);
	close(p.ackfd);
	destroy_vm(&vm, 1);
}

/* ---- ipi: two vCPUs ----------------------------------------------------- */

static atomic_int ap_ready;

static void *ap_thread(void *arg)
{
	struct vm *vm = arg;

	x2apic_init(vm, 1, 0x10000);
	start(vm, 1, guest_ap_idle, 0, 0, 0, 0);
	atomic_store(&ap_ready, 1);
	/* It halts for good: only the process's exit ends this. */
	for (;;)
		if (run_to_port(vm, 1) >= 0)
			fail("ipi: vCPU 1 left its loop");
	return NULL;
}

static void make_runnable(struct vm *vm, int v)
{
	if (vm->kvm) {
		struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

		if (ioctl(vm->vcpu[v], KVM_SET_MP_STATE, &mp))
			die("KVM_SET_MP_STATE");
	} else {
		struct vhv_mp_state mp = { .state = VHV_MP_STATE_RUNNABLE };

		if (ioctl(vm->vcpu[v], VHV_SET_MP_STATE, &mp))
			die("VHV_SET_MP_STATE");
	}
}

/* Last: vCPU 1's thread stays in its halt loop until the process exits. */
static void bench_ipi(const struct opts *o)
{
	uint32_t n = o->iterations / 2, done = 0;
	uint64_t best = ~0ull;
	static struct vm vm;
	pthread_t ap;
	int r;

	create_vm(&vm, o->kvm, 2);
	set_gate(&vm, VEC, handler_x2apic_eoi);
	x2apic_init(&vm, 0, 0x10000);
	make_runnable(&vm, 1);
	if (pthread_create(&ap, NULL, ap_thread, &vm))
		fail("pthread_create");
	while (!atomic_load(&ap_ready))
		usleep(1000);
	zero_u32(&vm, COUNT_GPA);
	start(&vm, 0, guest_ipi_ping, 100, 0, 0, 0);
	run_to_done(&vm, 0);
	done += 100;
	check_count(&vm, COUNT_GPA, done, "ipi");
	for (r = 0; r < o->reps; r++) {
		uint64_t t0, t1;

		zero_u32(&vm, COUNT_GPA);
		start(&vm, 0, guest_ipi_ping, n, 0, 0, 0);
		t0 = now_ns();
		run_to_done(&vm, 0);
		t1 = now_ns();
		done += n;
		check_count(&vm, COUNT_GPA, n, "ipi");
		check_count(&vm, AP_COUNT_GPA, done, "ipi (vCPU 1)");
		if (t1 - t0 < best)
			best = t1 - t0;
	}
	print_row(o, "ipi", best, n, "L1-instructions/round-trip");
}

int main(int argc, char **argv)
{
	struct opts o = { 0 };

	if (argc < 2 || (strcmp(argv[1], "vhv") && strcmp(argv[1], "kvm"))) {
		fprintf(stderr, "usage: bench-irq vhv|kvm [ITERATIONS [REPETITIONS [ROW...]]]\n");
		return 2;
	}
	o.backend = argv[1];
	o.kvm = !strcmp(argv[1], "kvm");
	o.iterations = argc > 2 ? strtoul(argv[2], NULL, 0) : 10000;
	o.reps = argc > 3 ? atoi(argv[3]) : 3;
	o.rows = argv + (argc > 4 ? 4 : argc);
	if (o.iterations < 2 * NEST || o.reps < 1) {
		fprintf(stderr, "bench-irq: ITERATIONS >= %d, REPETITIONS >= 1\n", 2 * NEST);
		return 2;
	}
	if (want(&o, "timer-deadline"))
		bench_loop(&o, "timer-deadline", false, LVT_DEADLINE | VEC, MSR_TSC_DEADLINE, 1);
	if (want(&o, "timer-oneshot"))
		bench_loop(&o, "timer-oneshot", false, VEC, MSR_X2APIC_TMICT, 1);
	if (want(&o, "self-ipi"))
		bench_loop(&o, "self-ipi", false, 0x10000, MSR_X2APIC_SELF, VEC);
	if (want(&o, "self-ipi-xapic"))
		bench_loop(&o, "self-ipi-xapic", true, 0, XAPIC_ICR, ICR_SELF | VEC);
	if (want(&o, "eoi"))
		bench_eoi(&o);
	if (want(&o, "ioeventfd"))
		bench_ioeventfd(&o);
	if (want(&o, "irqfd"))
		bench_irqfd(&o);
	if (want(&o, "ipi"))
		bench_ipi(&o);
	/* vCPU 1's thread is in the kernel, halted: exit ends it. */
	exit(0);
}
