/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side helpers for selftest guest code written as C functions.  The
 * test binary is mapped into the guest at its own virtual addresses, so a
 * guest function may use the test's globals and stack buffers, but must not
 * call into libc (it is not mapped) or read FS-relative data.
 *
 * Reporting to the host is a "ucall": a port write to UCALL_PORT with RDI
 * pointing at a struct ucall on the guest's stack.
 */
#ifndef VHV_TEST_GUEST_H
#define VHV_TEST_GUEST_H

#include <stdint.h>

#define UCALL_PORT	0x5ca1

enum {
	UCALL_NONE,
	UCALL_DONE,	/* the guest finished */
	UCALL_SYNC,	/* args[0]: a value for the host; the guest continues */
	UCALL_FAIL,	/* a GUEST_ASSERT failed: args[0] line, args[1..2] values */
};

struct ucall {
	uint64_t cmd;
	uint64_t args[3];
};

static inline void ucall(uint64_t cmd, uint64_t a0, uint64_t a1, uint64_t a2)
{
	struct ucall uc = { cmd, { a0, a1, a2 } };

	asm volatile("outb %%al, %%dx"
		     : : "a" (0), "d" (UCALL_PORT), "D" (&uc) : "memory");
}

#define GUEST_DONE()		ucall(UCALL_DONE, 0, 0, 0)
#define GUEST_SYNC(v)		ucall(UCALL_SYNC, (uint64_t)(v), 0, 0)
#define GUEST_ASSERT_EQ(a, b)						\
	do {								\
		uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);	\
		if (a_ != b_)						\
			ucall(UCALL_FAIL, __LINE__, a_, b_);		\
	} while (0)
#define GUEST_ASSERT(c)		GUEST_ASSERT_EQ(!!(c), 1)

/*
 * The host's CPU vendor, set by vm_create() for guest code to read: a
 * guest reaches the hypervisor with VMMCALL on AMD and VMCALL on Intel
 * (the other one is #UD).
 */
extern volatile int guest_vendor_intel;

static inline int guest_cpu_is_intel(void)
{
	return guest_vendor_intel;
}

/* A hypercall: RAX the number, RBX..RDI five arguments; RAX the result. */
static inline uint64_t guest_vmcall(uint64_t nr, uint64_t a0, uint64_t a1,
				    uint64_t a2, uint64_t a3, uint64_t a4)
{
	uint64_t ret;

	if (guest_cpu_is_intel())
		asm volatile("vmcall" : "=a" (ret)
			     : "a" (nr), "b" (a0), "c" (a1), "d" (a2), "S" (a3), "D" (a4)
			     : "memory");
	else
		asm volatile("vmmcall" : "=a" (ret)
			     : "a" (nr), "b" (a0), "c" (a1), "d" (a2), "S" (a3), "D" (a4)
			     : "memory");
	return ret;
}

/* Filled by the IDT handlers of vcpu_setup_idt(). */
struct guest_exceptions {
	uint64_t count[256];
	uint64_t last_vector;
	uint64_t last_error;
	uint64_t skip;		/* bytes to add to the faulting RIP */
	uint64_t halt_skipped;	/* events taken at guest_halt()'s HLT, stepped past */
};
extern volatile struct guest_exceptions guest_exceptions;

/*
 * "sti; hlt; cli": waits for an interrupt with interrupts off before and
 * after, as the tests' guests do.  On hardware the STI shadow holds the
 * interrupt until the HLT has begun, and its handler returns past it.
 * QEMU 7.2's TCG model of SVM drops the shadow at VMRUN (README, the
 * nested runner): after an exit between STI and HLT, the interrupt can
 * come before the HLT, whose handler then returns to it, and the guest
 * halts with it unacknowledged.  The IDT handlers of vcpu_setup_idt()
 * return past this HLT (counted in halt_skipped), which changes nothing
 * where the shadow holds.
 */
void guest_halt(void);

static inline void guest_outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a" (v), "Nd" (port));
}

static inline void guest_outw(uint16_t port, uint16_t v)
{
	asm volatile("outw %0, %1" : : "a" (v), "Nd" (port));
}

static inline void guest_outl(uint16_t port, uint32_t v)
{
	asm volatile("outl %0, %1" : : "a" (v), "Nd" (port));
}

static inline uint8_t guest_inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a" (v) : "Nd" (port));
	return v;
}

static inline uint16_t guest_inw(uint16_t port)
{
	uint16_t v;

	asm volatile("inw %1, %0" : "=a" (v) : "Nd" (port));
	return v;
}

static inline uint32_t guest_inl(uint16_t port)
{
	uint32_t v;

	asm volatile("inl %1, %0" : "=a" (v) : "Nd" (port));
	return v;
}

static inline void guest_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	asm volatile("cpuid"
		     : "=a" (r[0]), "=b" (r[1]), "=c" (r[2]), "=d" (r[3])
		     : "a" (leaf), "c" (sub));
}

static inline uint64_t guest_rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	asm volatile("rdmsr" : "=a" (lo), "=d" (hi) : "c" (msr));
	return (uint64_t)hi << 32 | lo;
}

static inline void guest_wrmsr(uint32_t msr, uint64_t v)
{
	asm volatile("wrmsr" : : "c" (msr), "a" ((uint32_t)v), "d" (v >> 32));
}

#endif /* VHV_TEST_GUEST_H */
