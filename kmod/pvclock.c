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
 * The clock is one per VM: nanoseconds of host TSC since the VM was
 * created, scaled with the host's tsc_khz (the scale the TSC-deadline
 * timer uses), plus an offset VHV_SET_CLOCK moves (a restored VM goes on
 * from the time it was saved at).  Each vCPU's page maps its own TSC onto
 * that clock, so a guest that moves its TSC keeps its time.  A page is
 * written when the guest enables it, when its vCPU's TSC moves, and before
 * the next entry after VHV_SET_CLOCK.  The "TSC stable" flag, which lets a
 * guest read any vCPU's page with its own TSC, is set while the host TSC
 * runs at a constant rate and every vCPU keeps the VM's TSC offset; a TSC
 * write that breaks that clears it on every page before the next entry.
 */
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/math64.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/pvclock-abi.h>
#include <asm/tsc.h>

#include "vhv.h"
#include "irq/irqchip.h"

/* The ABI's MSRs and CPUID bits (KVM's numbers, which guests use). */
#define PV_MSR_WALL_CLOCK	0x4b564d00
#define PV_MSR_SYSTEM_TIME	0x4b564d01
#define PV_FEATURE_CLOCKSOURCE2	VHV_BIT(3)
#define PV_FEATURE_STABLE	VHV_BIT(24)
#define PV_SYSTEM_TIME_ENABLE	VHV_BIT(0)

bool vhv_pvclock_available(void)
{
	return vhv_ops->vcpu_run && tsc_khz != 0;
}

/* Whether the host's TSC runs at one rate on every CPU. */
static bool tsc_stable(void)
{
	return boot_cpu_has(X86_FEATURE_CONSTANT_TSC) && !check_tsc_unstable();
}

/* ... and every vCPU of this VM reads the same TSC. */
static bool vm_clock_stable(struct vhv_vm *vm)
{
	return tsc_stable() && !READ_ONCE(vm->tsc_unsynced);
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

/* The VM's clock now. */
static u64 vm_clock_now(struct vhv_vm *vm)
{
	u64 delta = rdtsc() + vm->tsc_offset;

	if (vm->pvclock_shift >= 0)
		delta <<= vm->pvclock_shift;
	else
		delta >>= -vm->pvclock_shift;
	return mul_u64_u32_shr(delta, vm->pvclock_mul, 32) + READ_ONCE(vm->clock_offset_ns);
}

static void publish_system_time(struct vhv_vcpu *vcpu)
{
	struct vhv_vm *vm = vcpu->vm;
	u64 gpa = vcpu->pvclock_msr & ~PV_SYSTEM_TIME_ENABLE;
	bool stable = vm_clock_stable(vm);
	u32 gen = smp_load_acquire(&vm->clock_gen);	/* then the offset */
	struct pvclock_vcpu_time_info t = {
		/*
		 * This vCPU's TSC when the VM's clock read clock_offset_ns
		 * (the host TSC was -vm->tsc_offset).
		 */
		.tsc_timestamp = vcpu->tsc_offset - vm->tsc_offset,
		.system_time = READ_ONCE(vm->clock_offset_ns),
		.tsc_to_system_mul = vm->pvclock_mul,
		.tsc_shift = vm->pvclock_shift,
		.flags = stable ? PVCLOCK_TSC_STABLE_BIT : 0,
	};
	u32 version;

	if (!(vcpu->pvclock_msr & PV_SYSTEM_TIME_ENABLE))
		return;
	vcpu->pvclock_stable = stable;
	vcpu->pvclock_gen = gen;
	/*
	 * Other vCPUs may read this page meanwhile (a guest's vDSO reads
	 * vCPU 0's): an odd version while the body changes, as the ABI
	 * says, each step ordered before the next.  A page the guest put
	 * outside RAM is its own loss, as on hardware.
	 */
	version = ++vcpu->pvclock_version;	/* odd */
	if (vhv_write_guest(vm, gpa, &version, sizeof(version)))
		return;
	smp_wmb();
	t.version = version;
	vhv_write_guest(vm, gpa + sizeof(u32), (u8 *)&t + sizeof(u32),
			sizeof(t) - sizeof(u32));
	smp_wmb();
	version = ++vcpu->pvclock_version;	/* even */
	vhv_write_guest(vm, gpa, &version, sizeof(version));
}

static void kick_others(struct vhv_vm *vm, struct vhv_vcpu *self)
{
	u32 i, n = smp_load_acquire(&vm->nr_vcpus);

	for (i = 0; i < n; i++)
		if (vm->vcpus[i] != self)
			vhv_vcpu_kick(vm->vcpus[i]);
}

/*
 * Before each entry: VHV_SET_CLOCK moved the clock, or a TSC write on
 * another vCPU (or the host marking its TSC unstable) took the stable
 * flag away, since this page was written.
 */
void vhv_pvclock_check(struct vhv_vcpu *vcpu)
{
	struct vhv_vm *vm = vcpu->vm;

	if ((vcpu->pvclock_msr & PV_SYSTEM_TIME_ENABLE) &&
	    unlikely(vcpu->pvclock_gen != READ_ONCE(vm->clock_gen) ||
		     vcpu->pvclock_stable != vm_clock_stable(vm)))
		publish_system_time(vcpu);
}

/* The guest or the VMM moved this vCPU's TSC (MSR_IA32_TSC). */
void vhv_pvclock_tsc_changed(struct vhv_vcpu *vcpu)
{
	struct vhv_vm *vm = vcpu->vm;

	if (vcpu->tsc_offset != vm->tsc_offset && !READ_ONCE(vm->tsc_unsynced)) {
		/* For good: the vCPUs' TSCs may never agree again. */
		WRITE_ONCE(vm->tsc_unsynced, true);
		kick_others(vm, vcpu);
	}
	publish_system_time(vcpu);
}

/* INIT and RESET: the guest registers its pages again. */
void vhv_pvclock_reset(struct vhv_vcpu *vcpu)
{
	vcpu->pvclock_msr = 0;
	vcpu->wall_clock_msr = 0;
}

static void publish_wall_clock(struct vhv_vcpu *vcpu, u64 gpa)
{
	struct pvclock_wall_clock w = { .version = 2 };
	u64 boot = ktime_get_real_ns() - vm_clock_now(vcpu->vm);
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

/* ---- VHV_GET_CLOCK / VHV_SET_CLOCK ----------------------------------------- */

int vhv_get_clock(struct vhv_vm *vm, void __user *argp)
{
	struct vhv_clock c = { 0 };

	if (!vhv_pvclock_available())
		return -EOPNOTSUPP;
	c.clock_ns = vm_clock_now(vm);
	return copy_to_user(argp, &c, sizeof(c)) ? -EFAULT : 0;
}

int vhv_set_clock(struct vhv_vm *vm, void __user *argp)
{
	struct vhv_clock c;

	if (!vhv_pvclock_available())
		return -EOPNOTSUPP;
	if (copy_from_user(&c, argp, sizeof(c)))
		return -EFAULT;
	if (c.flags || c.pad || c.reserved[0] || c.reserved[1])
		return -EINVAL;
	mutex_lock(&vm->lock);
	/* Now reads c.clock_ns: the offset moves by the difference. */
	WRITE_ONCE(vm->clock_offset_ns,
		   vm->clock_offset_ns + (c.clock_ns - vm_clock_now(vm)));
	/* Pages are rewritten by their vCPUs before they enter again. */
	smp_store_release(&vm->clock_gen, vm->clock_gen + 1);
	mutex_unlock(&vm->lock);
	kick_others(vm, NULL);
	return 0;
}
