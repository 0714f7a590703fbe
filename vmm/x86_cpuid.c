// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID topology: every vCPU is a core of one socket with APIC ID = vCPU
 * index, reported consistently in leaves 1, 0xB/0x1F and AMD's 0x80000008
 * and 0x8000001E, whatever the host's own topology is.
 */
#include "vmm/x86_cpuid.h"

#define CPUID_1_ECX_HYPERVISOR	(1u << 31)
#define CPUID_1_EDX_HTT		(1u << 28)

/* Bits needed to number n things (0 for n == 1). */
static unsigned int order_base_2(unsigned int n)
{
	unsigned int b = 0;

	while ((1u << b) < n)
		b++;
	return b;
}

void vmm_cpuid_topology(uint32_t function, uint32_t index, uint32_t *eax,
			uint32_t *ebx, uint32_t *ecx, uint32_t *edx,
			unsigned int apic_id, unsigned int nr_vcpus)
{
	unsigned int bits = order_base_2(nr_vcpus);

	switch (function) {
	case 1:
		*ebx = (*ebx & 0xffff) | ((nr_vcpus & 0xff) << 16) |
		       (apic_id << 24);
		*ecx |= CPUID_1_ECX_HYPERVISOR;
		if (nr_vcpus > 1)
			*edx |= CPUID_1_EDX_HTT;
		else
			*edx &= ~CPUID_1_EDX_HTT;
		break;
	case 0xb:
	case 0x1f:
		/* Level 0: SMT, one thread per core; level 1: cores. */
		if (index == 0) {
			*eax = 0;
			*ebx = 1;
			*ecx = (1u << 8) | index;
		} else if (index == 1) {
			*eax = bits;
			*ebx = nr_vcpus;
			*ecx = (2u << 8) | index;
		} else {
			*eax = *ebx = 0;
			*ecx = index;
		}
		*edx = apic_id;
		break;
	case 0x80000008:
		*ecx = (*ecx & ~0xf0ffu) | (bits << 12) | ((nr_vcpus - 1) & 0xff);
		break;
	case 0x8000001e:
		*eax = apic_id;
		*ebx = (*ebx & ~0xffu) | (apic_id & 0xff);	/* core id */
		*ecx &= ~0x7ffu;				/* node 0 */
		break;
	}
}
