/* SPDX-License-Identifier: GPL-2.0 */
/* CPUID topology for a VM of n vCPUs, applied on top of any backend's table. */
#ifndef VMM_X86_CPUID_H
#define VMM_X86_CPUID_H

#include <stdint.h>

void vmm_cpuid_topology(uint32_t function, uint32_t index, uint32_t *eax,
			uint32_t *ebx, uint32_t *ecx, uint32_t *edx,
			unsigned int apic_id, unsigned int nr_vcpus);

#endif
