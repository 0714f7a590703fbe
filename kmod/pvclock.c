// SPDX-License-Identifier: GPL-2.0
/*
 * The paravirtual clock stock Linux guests already know: KVM's "kvmclock"
 * ABI (Linux's Documentation/virt/kvm/x86/msr.rst and cpuid.rst), offered
 * at CPUID 0x40000100 beside vhv's own leaf at 0x40000000, where Linux
 * looks for it.  With it an AMD guest reads its TSC frequency instead of
 * calibrating against the PIT (a few hundred exits that nested or loaded
 * hosts make too slow to trust), keeps its x2APIC, and gets a clock that
 * needs no exit to read.
 *
 * The clock is one linear function of the host TSC for the whole VM:
 * nanoseconds since the VM was created, scaled with the host's tsc_khz,
 * the same scale the TSC-deadline timer uses.  Nothing in it changes while
 * the VM runs, so each vCPU's page is written when the guest enables it
 * (or moves its TSC) and never again, and every vCPU reads the same time
 * from the same TSC: the "TSC stable" flag is true whenever the host's
 * TSC runs at a constant rate.
 */
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/timekeeping.h>
#include <asm/cpufeature.h>
#include <asm/pvclock-abi.h>
#include <asm/tsc.h>

#include "vhv.h"

/* The ABI's MSRs and CPUID bits (KVM's numbers, which guests use). */
#define PV_MSR_WALL_CLOCK	0x4b564d00
#define PV_MSR_SYSTEM_TIME	0x4b564d01
#define PV_FEATURE_CLOCKSOURCE2	VHV_BIT(3)
#define PV_FEATURE_STABLE	VHV_BIT(24)
#define PV_SYSTEM_TIME_ENABLE	VHV_BIT(0)

bool vhv_pvclock_available(void)
{
	return tsc_khz != 0;
}

/* Whether every vCPU reads one monotonic clock from its own TSC. */
static bool tsc_stable(void)
{
	return boot_cpu_has(X86_FEATURE_CONSTANT_TSC) && !check_tsc_unstable();
}

void vhv_pvclock_cpuid(struct vhv_cpuid_entry *sig, struct vhv_cpuid_entry *feat)
{
	/* "KVMKVMKVM\0\0\0": the signature names the ABI, not the hypervisor. */
	*sig = (struct vhv_cpuid_entry) {
		.function = VHV_PVCLOCK_CPUID, .eax = VHV_PVCLOCK_CPUID + 1,
		.ebx = 0x4b4d564b, .ecx = 0x564b4d56, .edx = 0x0000004d,
	};
	*feat = (struct vhv_cpuid_entry) {
		.function = VHV_PVCLOCK_CPUID + 1,
		.eax = PV_FEATURE_CLOCKSOURCE2 | (tsc_stable() ? PV_FEATURE_STABLE : 0),
	};
}

/*
 * ns = ((tsc << shift) * mul) >> 32 (a negative shift shifts right), with
 * mul as large as 32 bits allow: the guest's own conversion.
 */
void vhv_pvclock_vm_init(struct vhv_vm *vm)
{
	u64 khz = tsc_khz, mul;
	int shift = 0;

	if (!khz)
		return;
	/* 10^6 ns per ms over cycles per ms, in 32.32 fixed point. */
	mul = div64_u64(1000000ull << 32, khz);
	while (mul >= 1ull << 32) {
		shift++;
		mul = div64_u64(1000000ull << 32, khz << shift);
	}
	while (mul < 1ull << 31 && shift > -10) {
		shift--;
		mul = div64_u64((1000000ull << 32) << -shift, khz);
	}
	vm->pvclock_mul = mul;
	vm->pvclock_shift = shift;
}

/* The VM's clock now, in nanoseconds since it was created. */
static u64 pvclock_now(struct vhv_vm *vm)
{
	u64 delta = rdtsc() + vm->tsc_offset;

	if (vm->pvclock_shift >= 0)
		delta <<= vm->pvclock_shift;
	else
		delta >>= -vm->pvclock_shift;
	return mul_u64_u32_shr(delta, vm->pvclock_mul, 32);
}

static void publish_system_time(struct vhv_vcpu *vcpu)
{
	struct vhv_vm *vm = vcpu->vm;
	struct pvclock_vcpu_time_info t = {
		/*
		 * The guest TSC when the VM's clock read 0 (the host TSC
		 * was -vm->tsc_offset), from this vCPU's own offset.
		 */
		.tsc_timestamp = vcpu->tsc_offset - vm->tsc_offset,
		.system_time = 0,
		.tsc_to_system_mul = vm->pvclock_mul,
		.tsc_shift = vm->pvclock_shift,
		.flags = tsc_stable() ? PVCLOCK_TSC_STABLE_BIT : 0,
	};

	if (!(vcpu->pvclock_msr & PV_SYSTEM_TIME_ENABLE))
		return;
	/*
	 * Even versions mean "consistent".  The guest cannot be reading its
	 * own page now (it is in this exit), and no other vCPU reads it.
	 */
	vcpu->pvclock_version += 2;
	t.version = vcpu->pvclock_version;
	/* A page the guest put outside RAM is its own loss, as on hardware. */
	vhv_write_guest(vm, vcpu->pvclock_msr & ~PV_SYSTEM_TIME_ENABLE, &t, sizeof(t));
}

/* The guest moved this vCPU's TSC (MSR_IA32_TSC). */
void vhv_pvclock_tsc_changed(struct vhv_vcpu *vcpu)
{
	publish_system_time(vcpu);
}

static void publish_wall_clock(struct vhv_vcpu *vcpu, u64 gpa)
{
	struct pvclock_wall_clock w = { .version = 2 };
	u64 boot = ktime_get_real_ns() - pvclock_now(vcpu->vm);
	u32 rem;

	w.sec = div_u64_rem(boot, NSEC_PER_SEC, &rem);
	w.nsec = rem;
	vhv_write_guest(vcpu->vm, gpa, &w, sizeof(w));
}

/* -ENOENT: not one of ours. */
int vhv_pvclock_get_msr(struct vhv_vcpu *vcpu, u32 index, u64 *data)
{
	if (!vhv_pvclock_available())
		return -ENOENT;
	switch (index) {
	case PV_MSR_WALL_CLOCK:
		*data = vcpu->wall_clock_msr;
		return 0;
	case PV_MSR_SYSTEM_TIME:
		*data = vcpu->pvclock_msr;
		return 0;
	}
	return -ENOENT;
}

int vhv_pvclock_set_msr(struct vhv_vcpu *vcpu, u32 index, u64 data, bool from_guest)
{
	u64 max_gpa = 1ull << vhv_limits.phys_bits;

	if (!vhv_pvclock_available())
		return -ENOENT;
	switch (index) {
	case PV_MSR_WALL_CLOCK:
		if (data >= max_gpa)
			return -EINVAL;
		vcpu->wall_clock_msr = data;
		/* A write asks for the time; restoring the MSR does not. */
		if (from_guest)
			publish_wall_clock(vcpu, data);
		return 0;
	case PV_MSR_SYSTEM_TIME:
		if ((data & ~PV_SYSTEM_TIME_ENABLE) >= max_gpa)
			return -EINVAL;
		vcpu->pvclock_msr = data;
		publish_system_time(vcpu);
		return 0;
	}
	return -ENOENT;
}
