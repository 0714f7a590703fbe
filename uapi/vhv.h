/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * vhv ABI v1: the only contract between vhv.ko and userspace.
 *
 * Three kinds of file descriptor, in the shape KVM proved:
 *   system fd   open("/dev/vhv")          API version, capabilities, create VM
 *   VM fd       VHV_CREATE_VM             memory slots, create vCPU
 *   vCPU fd     VHV_CREATE_VCPU           run, registers, mmap'd run area
 *
 * Rules for everything below: fixed-width __u8..__u64 only, pointers as __u64,
 * natural alignment with explicit padding, every pad/reserved field must be
 * zero on input (else -EINVAL), sizes and offsets pinned by static asserts.
 * The ABI grows only by new ioctls, new capability numbers, new exit reasons
 * and new flag bits; an existing struct never changes.
 *
 * Errors common to every ioctl on every fd:
 *   ENOTTY  the command is not one this fd understands (a VM ioctl on a vCPU
 *           fd, a size that does not match the struct, an unknown number)
 *   EFAULT  the argument pointer cannot be read or written
 *   EIO     the VM or vCPU fd is used from a process other than the one that
 *           created the VM (after fork the child may only close it)
 *   ENOMEM  the kernel could not allocate memory
 */
#ifndef _UAPI_VHV_H
#define _UAPI_VHV_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define VHV_API_VERSION		1
#define VHVIO			0xE7	/* ioctl type byte */

#ifdef __cplusplus
#define VHV_ABI_ASSERT(cond)	static_assert(cond, #cond)
#else
#define VHV_ABI_ASSERT(cond)	_Static_assert(cond, #cond)
#endif
#define VHV_ABI_OFFSET(type, member, off) \
	VHV_ABI_ASSERT(__builtin_offsetof(type, member) == (off))

/* ------------------------------------------------------------------------
 * System ioctls, on the fd of /dev/vhv
 * ------------------------------------------------------------------------ */

/*
 * VHV_GET_API_VERSION: no argument (must be 0, else EINVAL).
 * Returns VHV_API_VERSION.
 */
#define VHV_GET_API_VERSION	_IO(VHVIO, 0x00)

/*
 * VHV_CHECK_CAP: argument is a VHV_CAP_* number, passed by value.
 * Returns the capability's value; 0 means "not supported" (also for numbers
 * this module does not know, so newer userspace can probe older modules).
 * Also valid on a VM fd, with the same answers.
 */
#define VHV_CHECK_CAP		_IO(VHVIO, 0x01)

/*
 * VHV_CREATE_VM: argument is the machine type, which must be 0.
 * Returns a new VM fd (O_CLOEXEC).
 *   EINVAL  non-zero machine type
 *   EBUSY   another hypervisor (kvm_amd, kvm_intel, ...) holds the CPU's
 *           virtualization extensions, or the host is rebooting; dmesg names
 *           the CPU and, where it can tell, the other hypervisor
 *   ENODEV  the CPU lacks what vhv needs (dmesg says what), checked at load
 *   EMFILE  the process has no free file descriptor
 */
#define VHV_CREATE_VM		_IO(VHVIO, 0x02)

/*
 * VHV_GET_VCPU_MMAP_SIZE: no argument (must be 0, else EINVAL).
 * Returns the size in bytes of the run area a vCPU fd maps at offset 0.
 */
#define VHV_GET_VCPU_MMAP_SIZE	_IO(VHVIO, 0x03)

/* Capabilities for VHV_CHECK_CAP. */
#define VHV_CAP_NR_VCPUS	1	/* vCPUs per VM */
#define VHV_CAP_MAX_VCPU_ID	2	/* vCPU ids are 0 .. value-1 */
#define VHV_CAP_NR_MEMSLOTS	3	/* slot ids are 0 .. value-1 */
#define VHV_CAP_READONLY_MEM	4	/* VHV_MEM_READONLY is accepted */
#define VHV_CAP_VENDOR		5	/* VHV_VENDOR_* of this host */
#define VHV_CAP_RUN		6	/* VHV_RUN executes guest code */
#define VHV_CAP_GUEST_PHYS_BITS	7	/* slots must end below 1 << value */
/*
 * In-kernel interrupt controllers and timers (a LAPIC per vCPU, IOAPIC,
 * PIC, PIT, HPET) with VHV_CREATE_IRQCHIP, VHV_IRQ_LINE, VHV_SIGNAL_MSI and
 * VHV_GET/SET_MP_STATE: the set a stock Linux needs to boot here (with
 * the paravirtual clock, VHV_CAP_PVCLOCK).  VMMs take 1 to mean "Linux
 * boots on vhv".  Reads 1 where guests run (VHV_CAP_RUN).
 */
#define VHV_CAP_IRQCHIP		8
/* run->hypercall.cpl holds the caller's privilege level (VMMs refuse
 * hypercalls from guest user mode with it). */
#define VHV_CAP_HYPERCALL_CPL	9
/*
 * The guest's TSC frequency in kHz (the host's: guests see its TSC plus
 * one offset per VM), 0 if unknown.  Every vCPU's TSC starts near 0 when
 * the VM is created and they stay in step.
 */
#define VHV_CAP_TSC_KHZ		10
/*
 * Guests find KVM's paravirtual clock ABI ("kvmclock": CPUID leaves
 * 0x40000100/0x40000101 with KVM's signature and the CLOCKSOURCE2 feature,
 * MSRs 0x4b564d00 wall clock and 0x4b564d01 system time) beside vhv's own
 * leaf at 0x40000000, in the default CPUID of VHV_GET_CPUID; the kernel
 * answers the two MSRs.  One clock per VM (VHV_GET/SET_CLOCK carry it
 * across a save and restore); each vCPU's page maps its own TSC onto it,
 * so a guest TSC write does not move the time; restoring the system-time
 * MSR rewrites the guest's page.  The
 * STABLE_BIT feature is offered when the host TSC runs at a constant
 * rate, and the pages' stable flag is set while every vCPU also keeps the
 * TSC it started with.  INIT and RESET clear both MSRs.  Removing the
 * leaves with VHV_SET_CPUID hides the clock from the guest; the MSRs stay
 * (a guest that writes them anyway gets its page written).
 */
#define VHV_CAP_PVCLOCK		15
/*
 * VHV_GET/SET_IRQCHIP, VHV_GET/SET_LAPIC and VHV_GET/SET_VCPU_EVENTS save
 * and restore every piece of in-kernel interrupt and timer state, and
 * VHV_RUN with run->immediate_exit finishes an exit userspace answered.
 */
#define VHV_CAP_IRQCHIP_STATE	13
/* VHV_IRQFD works (with VHV_CREATE_IRQCHIP). */
#define VHV_CAP_IRQFD		11
/* VHV_IOEVENTFD works. */
#define VHV_CAP_IOEVENTFD	12
/*
 * VHV_CREATE_IRQCHIP includes the HPET at VHV_HPET_ADDR (see there): 1
 * where the irqchip can be created (guests run, VHV_CAP_RUN), else 0.
 */
#define VHV_CAP_HPET		14

#define VHV_VENDOR_SVM		1	/* AMD-V with nested paging */
#define VHV_VENDOR_VMX		2	/* VT-x with EPT and unrestricted guest */

/* ------------------------------------------------------------------------
 * VM ioctls, on a VM fd
 * ------------------------------------------------------------------------ */

/*
 * VHV_SET_MEMORY_SLOT: create or replace memory slot `slot`, mapping
 * guest-physical [guest_phys_addr, guest_phys_addr + size) onto the calling
 * process's virtual memory [userspace_addr, userspace_addr + size).
 *
 * The guest sees the process's memory, not a copy: later changes to the
 * mapping (munmap, mprotect, fork, madvise) are followed.  Setting a slot id
 * that already exists replaces it atomically: a vCPU sees either the old or
 * the new slot, never neither.  Replacing may change every field.
 *
 *   EINVAL  slot >= VHV_CAP_NR_MEMSLOTS; unknown flag; reserved not zero;
 *           guest_phys_addr, size or userspace_addr not 4 KiB aligned;
 *           size 0 (use VHV_DELETE_MEMORY_SLOT); guest range wraps or ends
 *           above 1 << VHV_CAP_GUEST_PHYS_BITS; user range wraps or is not
 *           a user address
 *   EEXIST  the guest range overlaps another slot
 *   EFAULT  part of the user range is not mapped in the process
 *   EACCES  part of the user range is not readable, or not writable while
 *           the slot is not VHV_MEM_READONLY
 *   EOPNOTSUPP  part of the user range is an I/O or PFN mapping
 */
struct vhv_memory_slot {
	__u32 slot;
	__u32 flags;		/* VHV_MEM_* */
	__u64 guest_phys_addr;
	__u64 size;		/* bytes */
	__u64 userspace_addr;
	__u64 reserved[4];
};
#define VHV_MEM_READONLY	(1u << 0)	/* guest writes exit as MMIO */
#define VHV_MEM_VALID_FLAGS	(VHV_MEM_READONLY)
#define VHV_SET_MEMORY_SLOT	_IOW(VHVIO, 0x10, struct vhv_memory_slot)

/*
 * VHV_DELETE_MEMORY_SLOT: argument is the slot id, by value.
 *   EINVAL  slot >= VHV_CAP_NR_MEMSLOTS
 *   ENOENT  no such slot
 */
#define VHV_DELETE_MEMORY_SLOT	_IO(VHVIO, 0x11)

/*
 * VHV_CREATE_VCPU: argument is the vCPU id (its initial APIC id), by value.
 * Returns a new vCPU fd (O_CLOEXEC).
 *   EINVAL  id >= VHV_CAP_MAX_VCPU_ID
 *   EEXIST  a vCPU with this id exists in the VM
 *   ENOSPC  the VM already has VHV_CAP_NR_VCPUS vCPUs
 */
#define VHV_CREATE_VCPU		_IO(VHVIO, 0x12)

/* ------------------------------------------------------------------------
 * vCPU ioctls, on a vCPU fd
 * ------------------------------------------------------------------------ */

/* General-purpose registers, RIP and RFLAGS. */
struct vhv_regs {
	__u64 rax, rbx, rcx, rdx;
	__u64 rsi, rdi, rsp, rbp;
	__u64 r8, r9, r10, r11;
	__u64 r12, r13, r14, r15;
	__u64 rip, rflags;
};

/*
 * A segment register as the CPU caches it.  Every field after `selector`
 * holds 0 or 1, except type (0..15) and dpl (0..3).
 */
struct vhv_segment {
	__u64 base;
	__u32 limit;		/* in bytes - 1, already scaled by g */
	__u16 selector;
	__u8  type;
	__u8  present;
	__u8  dpl;
	__u8  db;
	__u8  s;
	__u8  l;
	__u8  g;
	__u8  avl;
	__u8  unusable;
	__u8  pad;
};

struct vhv_dtable {
	__u64 base;
	__u16 limit;
	__u16 pad[3];
};

/*
 * System registers.  VHV_SET_SREGS checks each field on its own: EINVAL
 * for bits reserved in CR0/CR4/EFER/APIC base or not offered on this host,
 * CR3 bits above the physical address width, CR8 > 15, x2APIC mode with the
 * APIC disabled, a segment field out of its range, or a non-zero
 * pad/reserved field.  Combinations the CPU refuses at entry (CR0.PG
 * without CR0.PE, CR0.NW without CR0.CD, EFER.LMA unlike EFER.LME &&
 * CR0.PG, long mode without CR4.PAE, CS.L with CS.D in long mode,
 * CR4.PCIDE outside long mode) are accepted here and reported by VHV_RUN
 * as VHV_EXIT_FAIL_ENTRY naming the check.
 */
struct vhv_sregs {
	struct vhv_segment cs, ds, es, fs, gs, ss;
	struct vhv_segment tr, ldt;
	struct vhv_dtable gdt, idt;
	__u64 cr0, cr2, cr3, cr4, cr8;
	__u64 efer;
	__u64 apic_base;
	__u64 reserved[8];
};

/*
 * VHV_RUN: no argument (must be 0, else EINVAL).  Runs the vCPU until an
 * exit userspace must handle; returns 0 with the run area describing it.
 * Whatever the previous exit asked of userspace (I/O or MMIO read data, an
 * MSR value, a hypercall result) is taken from the run area first and the
 * guest instruction completes.
 *   EINTR   a signal is pending, or run->immediate_exit was set on entry
 *           (exit_reason VHV_EXIT_INTR); the vCPU can be run again.  What
 *           the previous exit asked of userspace is taken and its guest
 *           instruction completed first (where that needs userspace again,
 *           as the next element of a string MMIO access, VHV_RUN returns
 *           0 with that exit instead): a VMM stops a vCPU for a save with
 *           immediate_exit, and nothing is left half done
 *   EOPNOTSUPP  this host's vendor backend cannot execute guests yet
 *           (VHV_CHECK_CAP(VHV_CAP_RUN) returns 0)
 *   EINVAL  a pad field of the run area's input part is not zero
 *   EFAULT  guest memory could not be accessed through its slot's user
 *           mapping (it was unmapped, or made read-only under a guest
 *           write); fix the mapping and run again
 *   EIO     the host is rebooting: virtualization is off for good
 */
#define VHV_RUN			_IO(VHVIO, 0x20)

/* VHV_GET_REGS / VHV_SET_REGS.  SET: EINVAL for reserved RFLAGS bits
 * (bit 1 is always set by the kernel, as the CPU requires). */
#define VHV_GET_REGS		_IOR(VHVIO, 0x21, struct vhv_regs)
#define VHV_SET_REGS		_IOW(VHVIO, 0x22, struct vhv_regs)

/* VHV_GET_SREGS / VHV_SET_SREGS: see struct vhv_sregs for EINVAL. */
#define VHV_GET_SREGS		_IOR(VHVIO, 0x23, struct vhv_sregs)
#define VHV_SET_SREGS		_IOW(VHVIO, 0x24, struct vhv_sregs)

/*
 * CPUID: the vCPU answers CPUID from a table, initially the host's with
 * what a guest must not see removed (SVM/VMX, MONITOR, x2APIC, TSC
 * deadline, PKU, hypervisor-private leaves) and the hypervisor bit set, the
 * vCPU id as APIC id.  A leaf missing from the table reads as zeros.
 * CPUID.1:ECX.OSXSAVE and CPUID.7:ECX.OSPKE always follow the guest's CR4.
 *   VHV_SET_CPUID: replaces the table.  EINVAL for unknown flags, a
 *   non-zero pad, or two entries with the same function (and index, where
 *   VHV_CPUID_INDEXED); E2BIG for nent > VHV_MAX_CPUID_ENTRIES.
 *   VHV_GET_CPUID: copies the table out and sets nent to its size; E2BIG
 *   (nent still set) when the caller's nent is too small, EINVAL for a
 *   non-zero pad.
 */
struct vhv_cpuid_entry {
	__u32 function;
	__u32 index;		/* ECX input, where flags has VHV_CPUID_INDEXED */
	__u32 flags;
	__u32 eax, ebx, ecx, edx;
	__u32 pad;
};
#define VHV_CPUID_INDEXED	(1u << 0)
#define VHV_MAX_CPUID_ENTRIES	256

struct vhv_cpuid {
	__u32 nent;
	__u32 pad;
	__u64 entries;		/* pointer to nent struct vhv_cpuid_entry */
};
#define VHV_SET_CPUID		_IOW(VHVIO, 0x25, struct vhv_cpuid)
#define VHV_GET_CPUID		_IOWR(VHVIO, 0x26, struct vhv_cpuid)

/*
 * MSRs the kernel emulates (EFER, PAT, STAR/LSTAR/CSTAR/SFMASK,
 * FS/GS/KERNEL_GS base, SYSENTER_*, TSC, TSC_AUX, APIC_BASE, MTRRs,
 * MISC_ENABLE, SPEC_CTRL, XSS, MCG_*), for save/restore.  Both return the
 * number of entries processed, stopping at the first MSR vhv does not
 * emulate or a value the MSR does not accept.
 *   E2BIG   nmsrs > VHV_MAX_MSR_ENTRIES
 *   EINVAL  a non-zero pad or reserved field
 */
struct vhv_msr_entry {
	__u32 index;
	__u32 reserved;
	__u64 data;
};
#define VHV_MAX_MSR_ENTRIES	256

struct vhv_msrs {
	__u32 nmsrs;
	__u32 pad;
	__u64 entries;		/* pointer to nmsrs struct vhv_msr_entry */
};
#define VHV_GET_MSRS		_IOWR(VHVIO, 0x27, struct vhv_msrs)
#define VHV_SET_MSRS		_IOW(VHVIO, 0x28, struct vhv_msrs)

/*
 * VHV_INJECT_EVENT: queues an event for delivery at the next entry.
 *   VHV_EVENT_EXTINT  external interrupt `vector` (32..255); accepted only
 *                     while run->ready_for_interrupt_injection is set
 *   VHV_EVENT_NMI     NMI (vector and error code must be 0)
 *   VHV_EVENT_EXCEPTION  exception `vector` (0..31 but 2), with
 *                     error_code where has_error_code (only 8, 10-14, 17,
 *                     21, 29, 30 have one)
 *   EINVAL  unknown type, a vector or error code that type cannot have, or
 *           a non-zero pad/reserved field
 *   EBUSY   an event of that kind is already queued, or (EXTINT) the
 *           guest cannot take an interrupt now: request an interrupt
 *           window with run->request_interrupt_window
 */
struct vhv_event {
	__u8  type;
	__u8  vector;
	__u8  has_error_code;
	__u8  pad;
	__u32 error_code;
	__u64 reserved;
};
#define VHV_EVENT_EXTINT	0
#define VHV_EVENT_NMI		2
#define VHV_EVENT_EXCEPTION	3
#define VHV_INJECT_EVENT	_IOW(VHVIO, 0x29, struct vhv_event)

/*
 * VHV_GET_VCPU_STATS: counters of this vCPU's exits since it was created,
 * indexed by VHV_STAT_*.  Exits handled in the kernel count too.
 */
#define VHV_STAT_EXITS		0	/* every exit from the guest */
#define VHV_STAT_IO		1	/* port I/O (to userspace) */
#define VHV_STAT_MMIO		2	/* MMIO (to userspace) */
#define VHV_STAT_CPUID		3
#define VHV_STAT_MSR		4	/* RDMSR/WRMSR, in kernel or not */
#define VHV_STAT_HLT		5
#define VHV_STAT_NPF		6	/* nested page faults resolved in kernel */
#define VHV_STAT_HOST_IRQ	7	/* host interrupts, NMIs, SMIs */
#define VHV_STAT_HYPERCALL	8
#define VHV_STAT_EXCEPTION	9	/* intercepted guest exceptions */
#define VHV_STAT_IRQ_WINDOW	10
#define VHV_STAT_SIGNAL		11	/* returns to userspace for a signal */
#define VHV_STAT_XSETBV		12
#define VHV_STAT_OTHER		13
#define VHV_STAT_IBPB		14	/* IBPBs as the vCPU was loaded where another ran */
#define VHV_STAT_IOEVENTFD	15	/* writes an ioeventfd took in the kernel */
/*
 * Interrupts and NMIs vhv injected, each counted once at the first exit
 * that did not report its delivery back as cut short (one an exit cut
 * short counts when it goes in again; one whose delivery raised a guest
 * exception counts too).  A guest's handlers that ran more often than
 * this were given the surplus by something else (an emulated L1 CPU's
 * own faults: see the README).
 */
#define VHV_STAT_INTERRUPTS	16
/*
 * L1D flushes before VM entry (VT-x on a CPU with L1TF whose entry does
 * not flush): one after each return from userspace, reschedule, host
 * interrupt or exit not known to touch only this VM's state; none after
 * the rest (CPUID, MSRs, port I/O handled in the kernel, ...).
 */
#define VHV_STAT_L1D_FLUSH	17
/*
 * HLTs (with the irqchip) that ended while the vCPU polled for its wakeup,
 * without sleeping: the module parameter halt_poll_ns bounds how long it
 * polls, and 0 turns polling off.
 */
#define VHV_STAT_HALT_POLL_OK	18
#define VHV_STAT_MAX		32
struct vhv_vcpu_stats {
	__u64 count[VHV_STAT_MAX];
};
#define VHV_GET_VCPU_STATS	_IOR(VHVIO, 0x2a, struct vhv_vcpu_stats)

/*
 * VHV_GET_MP_STATE / VHV_SET_MP_STATE: whether the vCPU runs, sits in HLT
 * waiting for an interrupt, or waits for INIT/SIPI (with an irqchip only).
 *   EINVAL  unknown state, pad not zero
 *   ENXIO   the VM has no irqchip
 */
struct vhv_mp_state {
	__u32 state;		/* VHV_MP_STATE_* */
	__u32 pad;
};
#define VHV_MP_STATE_RUNNABLE	0
#define VHV_MP_STATE_HALTED	1
#define VHV_MP_STATE_WAIT_SIPI	2
#define VHV_GET_MP_STATE	_IOR(VHVIO, 0x2b, struct vhv_mp_state)
#define VHV_SET_MP_STATE	_IOW(VHVIO, 0x2c, struct vhv_mp_state)

/*
 * VHV_GET_LAPIC / VHV_SET_LAPIC: the vCPU's local APIC.  regs is the
 * xAPIC register page's first 1 KiB as the guest reads it: the 32-bit
 * register at offset o in regs[o..o+3] (little-endian), the other 12 bytes
 * of each 16-byte slot zero; in x2APIC mode ID holds the 32-bit x2APIC ID
 * and ICR2 (0x310) the ICR's high half.  PPR (0xa0) and the current count
 * (0x390) are computed at GET and VERSION (0x30) is fixed: SET ignores
 * those three.  The timer in one-shot and periodic modes: with
 * VHV_LAPIC_TIMER_ARMED its next expiry timer_remaining_ns from now, its
 * period (periodic), and timer_elapsed_ns since the count the current
 * count is computed from started; in TSC-deadline mode only tsc_deadline
 * (IA32_TSC_DEADLINE, in guest TSC units: restore the TSC with
 * VHV_SET_MSRS first).  SET re-arms the timer, recomputes PPR and makes
 * the vCPU look for interrupts.  Restore VHV_SET_SREGS (its CR8 writes
 * the TPR, its apic_base moves the APIC through its modes) before this.
 * Like every vCPU ioctl, these wait for a VHV_RUN in progress on the vCPU
 * to return (stop it with run->immediate_exit or a signal); other vCPUs
 * and devices may meanwhile send the LAPIC interrupts, which a GET sees
 * or not, as the guest would.
 *   EINVAL  reserved, pad or unknown flags not zero; apic_base with bits
 *           the CPU lacks or x2APIC without enable; a register with bits
 *           the guest cannot set (a write would clear them), a non-zero
 *           byte outside the registers, vectors 0-15 in IRR, ISR or TMR,
 *           DFR bits 27:0 not all set; x2APIC mode with an ID above 255 or
 *           an LDR other than the ID implies; ARMED in TSC-deadline mode,
 *           or remaining, period or elapsed without ARMED; remaining above
 *           2^39 ns (the longest count); a periodic timer whose period is
 *           below 100 us (VHV_LAPIC_MIN_PERIOD_NS, the floor vhv keeps) or
 *           above 2^39 ns; a one-shot timer with a period
 *   ENXIO   the VM has no irqchip
 */
struct vhv_lapic_state {
	__u8  regs[1024];
	__u64 apic_base;	/* IA32_APIC_BASE */
	__u64 tsc_deadline;	/* IA32_TSC_DEADLINE */
	__u64 timer_remaining_ns;
	__u64 timer_period_ns;
	__u64 timer_elapsed_ns;
	__u32 flags;		/* VHV_LAPIC_TIMER_* */
	__u32 esr_pending;	/* errors since ESR was last written (bits 7:5) */
	__u64 reserved[6];
};
#define VHV_LAPIC_TIMER_ARMED	(1u << 0)
#define VHV_LAPIC_MIN_PERIOD_NS	100000ull
#define VHV_GET_LAPIC		_IOR(VHVIO, 0x2d, struct vhv_lapic_state)
#define VHV_SET_LAPIC		_IOW(VHVIO, 0x2e, struct vhv_lapic_state)

/*
 * An event in vhv_vcpu_events: valid says whether there is one; then type
 * VHV_EVENT_EXTINT (vector 0..255), VHV_EVENT_NMI (vector 0) or
 * VHV_EVENT_EXCEPTION (vector 0..31 but 2, has_error_code as the vector
 * has one: 8, 10-14, 17, 21, 29, 30).  Unused fields are zero.
 */
struct vhv_event_state {
	__u8  valid;
	__u8  type;		/* VHV_EVENT_* */
	__u8  vector;
	__u8  has_error_code;
	__u32 error_code;
};

/*
 * VHV_GET_VCPU_EVENTS / VHV_SET_VCPU_EVENTS: the events of a vCPU that are
 * on their way into the guest, for save/restore.  Delivered in this order:
 *   injected   its delivery was cut short by an exit: delivered again
 *              (any type)
 *   raised     an exception vhv's own emulation raised (#GP, #UD, #PF
 *              with CR2 already set, ...); an EXTINT or NMI in injected
 *              then waits in displaced and goes in right after it
 *   displaced  an EXTINT or NMI put back behind an exception
 *   queued     an exception VHV_INJECT_EVENT queued
 * then a pending NMI (VHV_INJECT_EVENT, LINT1, NMI messages) once NMIs are
 * not masked, then the queued external interrupt (extint_*).  nmi_masked:
 * an NMI handler runs, NMIs wait for its IRET.  interrupt_shadow: the
 * guest's RIP is right after STI or MOV SS (restore VHV_SET_REGS first:
 * a later RIP change ends the shadow).  triple_fault: the next VHV_RUN
 * exits with VHV_EXIT_SHUTDOWN.  init_pending, sipi_pending/sipi_vector:
 * an INIT or a start-up IPI sent to the vCPU that it has not acted on
 * (with an irqchip).  Booleans are 0 or 1.
 *   EINVAL  reserved or pad not zero; an event slot that breaks the rules
 *           above, or whose type does not belong there (raised and queued
 *           take exceptions only, displaced EXTINT or NMI); raised with an
 *           exception in injected (vhv combines the two when it raises);
 *           displaced without an exception ahead of it (in raised, or in
 *           injected); a pending
 *           extint_vector below 32 (as VHV_INJECT_EVENT), extint_vector or
 *           sipi_vector without their pending flag; INIT or SIPI without
 *           an irqchip
 *   EBUSY   the last exit still waits for userspace's answer (I/O or MMIO
 *           data, an MSR, a hypercall's result): that is vCPU state no
 *           struct holds; VHV_RUN with run->immediate_exit set takes it
 *   EOPNOTSUPP  this backend cannot run guests (VHV_CAP_RUN is 0)
 */
struct vhv_vcpu_events {
	struct vhv_event_state injected;
	struct vhv_event_state raised;
	struct vhv_event_state displaced;
	struct vhv_event_state queued;
	__u8  nmi_pending;
	__u8  nmi_masked;
	__u8  extint_pending;
	__u8  extint_vector;
	__u8  interrupt_shadow;
	__u8  triple_fault;
	__u8  init_pending;
	__u8  sipi_pending;
	__u8  sipi_vector;
	__u8  pad[7];
	__u64 reserved[4];
};
#define VHV_GET_VCPU_EVENTS	_IOR(VHVIO, 0x2f, struct vhv_vcpu_events)
#define VHV_SET_VCPU_EVENTS	_IOW(VHVIO, 0x30, struct vhv_vcpu_events)

/*
 * VHV_SET_MSR_FILTER (VM fd): what happens to guest RDMSR/WRMSR.  An access
 * inside one of the ranges, in a direction its flags name, exits to
 * userspace (VHV_EXIT_MSR, reason VHV_MSR_EXIT_FILTER) even where the
 * kernel emulates the MSR.  Outside the ranges the kernel emulates what it
 * knows; any other MSR raises #GP in the guest, or exits to userspace
 * (reason VHV_MSR_EXIT_UNKNOWN) with VHV_MSR_UNKNOWN_EXIT.  The default is
 * no ranges and #GP.
 *   EINVAL  unknown flag, nranges > VHV_MAX_MSR_RANGES, a range with
 *           count 0, no direction, or wrapping past 2^32, non-zero pad
 */
struct vhv_msr_range {
	__u32 base;
	__u32 count;
	__u32 flags;		/* VHV_MSR_FILTER_READ | VHV_MSR_FILTER_WRITE */
	__u32 pad;
};
#define VHV_MSR_FILTER_READ	(1u << 0)
#define VHV_MSR_FILTER_WRITE	(1u << 1)
#define VHV_MAX_MSR_RANGES	16

struct vhv_msr_filter {
	__u32 flags;		/* VHV_MSR_UNKNOWN_EXIT */
	__u32 nranges;
	struct vhv_msr_range ranges[VHV_MAX_MSR_RANGES];
};
#define VHV_MSR_UNKNOWN_EXIT	(1u << 0)
#define VHV_SET_MSR_FILTER	_IOW(VHVIO, 0x13, struct vhv_msr_filter)

/*
 * VHV_CREATE_IRQCHIP (argument 0): gives the VM the PC's interrupt
 * controllers and timer in the kernel: a local APIC per vCPU (xAPIC page
 * at its IA32_APIC_BASE, x2APIC MSRs, the timer in all three modes,
 * IA32_TSC_DEADLINE), the I/O APIC at 0xfec00000 (24 pins), the dual 8259
 * PIC with ELCR (ports 0x20/0x21, 0xa0/0xa1, 0x4d0/0x4d1), the 8254 PIT
 * with port 0x61 (0x40-0x43, 0x61) and the HPET (VHV_CAP_HPET) below.
 * Their accesses no longer reach userspace; HLT waits in the kernel for an
 * interrupt; INIT and SIPI start vCPUs.  vCPU 0 starts runnable, every
 * other vCPU waits for INIT/SIPI (VHV_SET_MP_STATE changes that).
 *
 * The HPET (IA-PC HPET 1.0a) is the 1 KiB block at VHV_HPET_ADDR, its
 * main counter read from the host clock in the kernel: 64-bit counter at
 * 100 MHz, capabilities bits 31:0 VHV_HPET_ID (3 timers, legacy
 * replacement capable), timers 0 and 1 periodic-capable, timer 2
 * one-shot, all 64-bit with 32-bit mode, routes to IOAPIC pins 20-23 only
 * (userspace must leave GSIs 20-23 alone), no FSB delivery.  With legacy
 * replacement on (ENABLE_CNF and LEG_RT_CNF), timer 0 drives GSI 0 and
 * timer 1 GSI 8, and the PIT's output no longer reaches GSI 0.  Periodic
 * timers fire at most every 100 us (VHV_HPET_MIN_TICK ticks; a shorter
 * period still advances the comparator, catching up in one interrupt).
 * Accesses other than 4 bytes 4-aligned or 8 bytes 8-aligned read 0 and
 * are ignored when written.  A VMM describes it to the guest in an ACPI
 * HPET table only when VHV_CAP_HPET reads 1.
 *   EINVAL  argument not 0
 *   EEXIST  the VM already has them
 *   EBUSY   the VM already has vCPUs (create the irqchip first)
 *   EOPNOTSUPP  this backend cannot run guests (VHV_CAP_RUN is 0)
 *   ENOMEM
 */
#define VHV_CREATE_IRQCHIP	_IO(VHVIO, 0x14)

/*
 * VHV_IRQ_LINE: drives GSI `gsi` to `level` as a PC wires it: GSI 0-15 to
 * the PIC's IRQ 0-15 and the IOAPIC's pins (GSI 0 to pin 2, as the MADT's
 * override says), GSI 16-23 to the IOAPIC only.  Edge-triggered inputs
 * need a raise and a lower.
 *   EINVAL  gsi >= 24 or level > 1
 *   ENXIO   no VHV_CREATE_IRQCHIP yet
 */
struct vhv_irq_level {
	__u32 gsi;
	__u32 level;
};
#define VHV_IRQ_LINE		_IOW(VHVIO, 0x15, struct vhv_irq_level)

/*
 * VHV_SIGNAL_MSI: delivers the message a device writes to address
 * (0xfeeXXXXX: destination bits 19:12, logical bit 2) with data (vector
 * 7:0, delivery mode 10:8, trigger 15) to the local APICs.  SMI (there is
 * no SMM), ExtINT and the reserved delivery modes are dropped, as a
 * chipset without them would.
 *   EINVAL  address outside 0xfee00000-0xfeefffff, flags or pad not zero
 *   ENXIO   no VHV_CREATE_IRQCHIP yet
 */
struct vhv_msi {
	__u64 address;
	__u32 data;
	__u32 flags;
	__u64 reserved;
};
#define VHV_SIGNAL_MSI		_IOW(VHVIO, 0x16, struct vhv_msi)

/*
 * VHV_GET_IRQCHIP / VHV_SET_IRQCHIP (VM fd): the state of one of the VM's
 * in-kernel interrupt controllers or timers, picked by `chip`, to save a
 * VM and restore it in another (with VHV_GET/SET_LAPIC and
 * VHV_GET/SET_VCPU_EVENTS for each vCPU).  Both may run while vCPUs run:
 * each reads or replaces the chip's state at one instant, under the lock
 * the guest's accesses take.  GET fills the member of the union `chip`
 * names and zeroes the rest; SET takes that member, and requires the rest
 * of the union to be zero (the ABI grows there).  After SET the chip acts
 * on its new state at once: the PIC raises its output, the IOAPIC sends
 * asserted level pins that are unmasked and have no remote IRR, the PIT
 * re-arms channel 0's interrupt.  Times are relative ("ns since", "ns
 * until"), read against the host's monotonic clock at the GET and taken
 * against it at the SET, so a restored VM goes on where the saved one was,
 * on any host.
 *   EINVAL  unknown chip, pad not zero; SET: a
 *           field out of its range, a state the chip cannot be in (each
 *           struct says), reserved or pad not zero, the union's tail not
 *           zero
 *   ENXIO   the VM has no VHV_CREATE_IRQCHIP
 */

/*
 * One 8259A of the pair.  Booleans are 0 or 1.  The master's IRQ 2 follows
 * the slave's output: bit 2 of its irr and lines is recomputed on SET.
 *   EINVAL  elcr with a bit the chip lacks (master: IRQ 0-2 are edge only,
 *           slave: IRQ 8 and 13), vector_base with bits 2:0 set,
 *           lowest_priority > 7, init_step not 0, 2, 3 or 4 (3 needs
 *           single 0, 4 needs icw4_needed 1)
 */
struct vhv_pic_state {
	__u8  irr;		/* requests latched */
	__u8  imr;		/* OCW1 mask */
	__u8  isr;		/* in service */
	__u8  lines;		/* the input lines' levels */
	__u8  elcr;		/* 1: level-triggered */
	__u8  vector_base;	/* ICW2, bits 7:3 */
	__u8  lowest_priority;	/* the IRQ with the lowest priority (rotation) */
	__u8  init_step;	/* 0 initialised; 2, 3, 4: ICW2..4 awaited */
	__u8  icw4_needed;	/* ICW1 IC4 */
	__u8  single;		/* ICW1 SNGL */
	__u8  auto_eoi;		/* ICW4 AEOI */
	__u8  rotate_on_aeoi;	/* OCW2 rotate in AEOI mode */
	__u8  special_fully_nested;	/* ICW4 SFNM */
	__u8  special_mask;	/* OCW3 special mask mode */
	__u8  read_isr;		/* OCW3: the command port reads ISR, else IRR */
	__u8  poll;		/* OCW3 poll: the next read is a poll */
	__u64 reserved[2];
};

/*
 * The I/O APIC.
 *   EINVAL  id outside bits 27:24, ioregsel > 0xff, asserted above pin 23,
 *           a redirection entry with bits the guest cannot set (bit 12,
 *           bits 55:17) or remote IRR (bit 14) without level (bit 15)
 */
struct vhv_ioapic_state {
	__u32 id;		/* IOAPICID, bits 27:24 in place */
	__u32 ioregsel;		/* bits 7:0 */
	__u32 asserted;		/* bit n: a source holds pin n asserted */
	__u32 pad;
	__u64 redir[24];	/* redirection entries as the guest reads them */
	__u64 reserved[4];
};

/*
 * One 8254 counter.  `count` is what the counting element (CE) runs from,
 * `count_register` the last count written (both 1..65536, 0 written means
 * 65536).  load_elapsed_ns is the counting time since CE was loaded
 * (frozen while paused); GET reduces it to the same phase within CE's
 * first period (modes 2, 3), or within the first wrap after its one edge
 * (modes 0, 1, 4, 5), so that it stays small and any host can restore it.
 * pending_ns: with pending set and pending_at_gate clear (modes 2, 3), the
 * ns until count_register goes to CE, at the end of the current period.
 * Booleans are 0 or 1.
 *   EINVAL  count or count_register 0 or above 65536, mode > 5, access not
 *           1..3, gate 0 on channel 0 or 1 (their gates are tied high),
 *           paused without armed, load_elapsed_ns without armed,
 *           pending_at_gate without pending, pending_ns with pending or
 *           pending_at_gate unlike that (or above 65536 ticks, 55 ms),
 *           write_msb_next outside access 3
 */
struct vhv_pit_channel_state {
	__u32 count;		/* CE's reload */
	__u32 count_register;
	__u64 load_elapsed_ns;
	__u64 pending_ns;
	__u8  mode;		/* 0..5 */
	__u8  access;		/* 1 LSB, 2 MSB, 3 LSB then MSB */
	__u8  bcd;		/* shown in the status byte; counting is binary */
	__u8  gate;
	__u8  armed;		/* CE was loaded since the mode was set */
	__u8  paused;		/* counting stopped (gate low, or mode 0's half-written count) */
	__u8  pending;		/* count_register waits to go to CE */
	__u8  pending_at_gate;	/* ... at the next rising gate */
	__u16 idle_count;	/* what reads give while not armed */
	__u16 latched_count;
	__u8  write_msb_next;	/* access 3: LSB written, MSB awaited */
	__u8  write_lsb;
	__u8  read_msb_next;	/* access 3: LSB read, MSB next */
	__u8  count_latched;
	__u8  latched_msb_next;
	__u8  status_latched;
	__u8  latched_status;
	__u8  null_count;	/* status bit 6 */
	__u32 pad;
	__u64 reserved[2];
};

/* The PIT and port 0x61 (channel 2's gate is ch[2].gate, bit 0). */
struct vhv_pit_state {
	struct vhv_pit_channel_state ch[3];
	__u8  speaker_data;	/* port 0x61 bit 1 */
	__u8  refresh;		/* port 0x61 bit 4, flips on every read */
	__u8  pad[6];
	__u64 reserved[3];
};

#define VHV_IRQCHIP_PIC_MASTER	0
#define VHV_IRQCHIP_PIC_SLAVE	1
#define VHV_IRQCHIP_IOAPIC	2
/* The in-kernel HPET (see VHV_CREATE_IRQCHIP). */
#define VHV_HPET_ADDR		0xfed00000ull
#define VHV_HPET_ID		0x8086a201u	/* capabilities bits 31:0 */
#define VHV_HPET_PERIOD_FS	10000000u	/* capabilities bits 63:32 */
#define VHV_HPET_TIMERS		3
#define VHV_HPET_MIN_TICK	10000		/* 100 us: the periodic floor */

/*
 * The HPET's state for irqchip save/restore (its chip in the irqchip state
 * ioctls).  Registers as the guest reads them; a restore refuses (EINVAL)
 * what this HPET cannot hold: other capabilities, reserved or read-only
 * bits changed, a route outside the route capability (0 aside), periodic
 * mode or a period on a timer without Tn_PER_INT_CAP, values above 32 bits
 * in 32-bit mode, a status bit of an edge-triggered timer, a non-zero
 * reserved field.  The counter runs on from `counter` at the restore when
 * ENABLE_CNF is set: the time between save and restore is not counted.
 */
struct vhv_hpet_timer_state {
	__u64 config;		/* Tn_CONF_CAP, capabilities included */
	__u64 comparator;	/* Tn_COMPARATOR */
	__u64 period;		/* periodic mode: what each match adds */
	__u64 reserved;
};

struct vhv_hpet_state {
	__u64 capabilities;	/* GCAP_ID: must read as this HPET's */
	__u64 config;		/* GEN_CONF */
	__u64 isr;		/* GINTR_STA */
	__u64 counter;		/* MAIN_CNT at the save */
	struct vhv_hpet_timer_state timers[VHV_HPET_TIMERS];
	__u64 reserved[16];
};

#define VHV_IRQCHIP_PIT		3
#define VHV_IRQCHIP_HPET	4

struct vhv_irqchip_state {
	__u32 chip;		/* VHV_IRQCHIP_* */
	__u32 pad;
	union {
		struct vhv_pic_state pic;
		struct vhv_ioapic_state ioapic;
		struct vhv_pit_state pit;
		struct vhv_hpet_state hpet;
		__u8 data[512];
	};
};
#define VHV_GET_IRQCHIP		_IOWR(VHVIO, 0x19, struct vhv_irqchip_state)
#define VHV_SET_IRQCHIP		_IOW(VHVIO, 0x1a, struct vhv_irqchip_state)

/*
 * VHV_GET_CLOCK / VHV_SET_CLOCK (VM fd, VHV_CAP_PVCLOCK): the VM's
 * paravirtual clock in nanoseconds (what every vCPU's kvmclock page reads
 * now).  Saving a VM reads it; restoring sets it in the new VM, which goes
 * on from there (each vCPU's page is rewritten before it enters again).
 *   EINVAL  flags, pad or reserved not zero (SET)
 *   EOPNOTSUPP  no paravirtual clock here (VHV_CAP_PVCLOCK reads 0)
 *   EFAULT
 */
struct vhv_clock {
	__u64 clock_ns;
	__u32 flags;
	__u32 pad;
	__u64 reserved[2];
};
#define VHV_GET_CLOCK		_IOR(VHVIO, 0x1b, struct vhv_clock)
#define VHV_SET_CLOCK		_IOW(VHVIO, 0x1c, struct vhv_clock)

/*
 * VHV_IRQFD: ties an eventfd to an interrupt of the in-kernel irqchip.
 * Each time the eventfd is signalled (its count written), the kernel
 * injects, without a return to the VMM's device code:
 *   - gsi, edge (no flag): the GSI goes high then low, as VHV_IRQ_LINE
 *     would drive it twice;
 *   - gsi, level (VHV_IRQFD_RESAMPLE): the GSI goes high and stays high.
 *     When the guest EOIs the interrupt at the IOAPIC (a LAPIC EOI of the
 *     level-triggered vector, or the IOAPIC's EOI register) the kernel
 *     lowers the GSI and signals resamplefd; a device still asserting its
 *     line then signals fd again, which raises the GSI again.  A GSI routed
 *     to the PIC only (its IOAPIC pin masked) is never resampled.  The last
 *     resample irqfd of a GSI lowers it when it goes.
 *   - VHV_IRQFD_MSI: the message (msi_address, msi_data) fixed here, with
 *     VHV_SIGNAL_MSI's decoding and drops.
 * Signals of the eventfd before the assignment inject once at assignment.
 * An irqfd goes with VHV_IRQFD_DEASSIGN (only fd is read then, every other
 * field must be 0), when the eventfd is closed, or with the VM.  At most
 * VHV_MAX_IRQFDS per VM; an eventfd serves one irqfd per VM.
 *   EINVAL  unknown flag; DEASSIGN with any other flag or field non-zero;
 *           MSI with RESAMPLE; gsi >= 24; MSI with msi_address outside
 *           0xfee00000-0xfeefffff or gsi non-zero; msi_* non-zero without
 *           MSI; resamplefd non-zero without RESAMPLE; resamplefd the same
 *           eventfd as fd; pad or reserved non-zero; fd or resamplefd an
 *           open file that is not an eventfd
 *   EBADF   fd or resamplefd is not an open file descriptor
 *   ENXIO   no VHV_CREATE_IRQCHIP yet (assign only)
 *   EEXIST  the eventfd is already an irqfd of this VM
 *   ENOSPC  the VM has VHV_MAX_IRQFDS irqfds
 *   ENOENT  DEASSIGN: the eventfd is no irqfd of this VM
 */
struct vhv_irqfd {
	__u32 fd;		/* an eventfd */
	__u32 flags;		/* VHV_IRQFD_* */
	__u32 gsi;		/* 0-23, without VHV_IRQFD_MSI */
	__u32 resamplefd;	/* an eventfd, with VHV_IRQFD_RESAMPLE */
	__u64 msi_address;	/* with VHV_IRQFD_MSI */
	__u32 msi_data;		/* with VHV_IRQFD_MSI */
	__u32 pad;
	__u64 reserved[2];
};
#define VHV_IRQFD_DEASSIGN	(1u << 0)
#define VHV_IRQFD_RESAMPLE	(1u << 1)
#define VHV_IRQFD_MSI		(1u << 2)
#define VHV_IRQFD_VALID_FLAGS	(VHV_IRQFD_DEASSIGN | VHV_IRQFD_RESAMPLE | \
				 VHV_IRQFD_MSI)
#define VHV_MAX_IRQFDS		1024
#define VHV_IRQFD		_IOW(VHVIO, 0x17, struct vhv_irqfd)

/*
 * VHV_IOEVENTFD: a guest write of exactly len bytes at addr (a port with
 * VHV_IOEVENTFD_PIO, else a guest-physical address), with the value
 * datamatch where VHV_IOEVENTFD_DATAMATCH is set, signals the eventfd fd
 * in the kernel: the instruction completes and the vCPU goes on without
 * an exit to userspace (VHV_STAT_IOEVENTFD counts these writes, and
 * VHV_STAT_IO / VHV_STAT_MMIO do not).  Any other access to the range (a
 * read, another length, another value, OUTS/INS string I/O) exits to
 * userspace as before.  Guest accesses never reach an ioeventfd where
 * something else answers first: RAM of a memory slot (a write inside a
 * slot is a write to memory), and the ports and MMIO of the in-kernel
 * irqchip.  Registrations in one space may not overlap, except those at
 * the same addr and len that all have DATAMATCH, each with its own value
 * (one doorbell register, one eventfd per value).  VHV_IOEVENTFD_DEASSIGN
 * removes the registration with the same space, addr, len, fd, DATAMATCH
 * flag and datamatch.  At most VHV_MAX_IOEVENTFDS per VM (both spaces).
 *   EINVAL  unknown flag; len not 1, 2, 4 or 8 (PIO: 1, 2 or 4); PIO past
 *           port 0xffff; MMIO range wrapping or ending above
 *           1 << VHV_CAP_GUEST_PHYS_BITS; datamatch wider than len bytes,
 *           or non-zero without DATAMATCH; pad or reserved non-zero; fd
 *           an open file that is not an eventfd
 *   EBADF   fd is not an open file descriptor
 *   EEXIST  the range overlaps a registration (see above)
 *   ENOSPC  the VM has VHV_MAX_IOEVENTFDS registrations
 *   ENOENT  DEASSIGN: no such registration
 */
struct vhv_ioeventfd {
	__u64 addr;
	__u64 datamatch;	/* with VHV_IOEVENTFD_DATAMATCH */
	__u32 len;		/* 1, 2, 4 or 8 bytes */
	__u32 fd;		/* an eventfd */
	__u32 flags;		/* VHV_IOEVENTFD_* */
	__u32 pad;
	__u64 reserved[2];
};
#define VHV_IOEVENTFD_DATAMATCH	(1u << 0)
#define VHV_IOEVENTFD_PIO	(1u << 1)
#define VHV_IOEVENTFD_DEASSIGN	(1u << 2)
#define VHV_IOEVENTFD_VALID_FLAGS (VHV_IOEVENTFD_DATAMATCH | \
				   VHV_IOEVENTFD_PIO | VHV_IOEVENTFD_DEASSIGN)
#define VHV_MAX_IOEVENTFDS	1024
#define VHV_IOEVENTFD		_IOW(VHVIO, 0x18, struct vhv_ioeventfd)

/* ------------------------------------------------------------------------
 * The run area and exits
 * ------------------------------------------------------------------------ */

/* Exit reasons in vhv_run.exit_reason. */
#define VHV_EXIT_NONE		0	/* the vCPU has not run yet */
#define VHV_EXIT_IO		1	/* port I/O: run->io */
#define VHV_EXIT_MMIO		2	/* guest access outside memory: run->mmio */
#define VHV_EXIT_HLT		3	/* HLT (without an irqchip: with one, HLT waits in the kernel) */
#define VHV_EXIT_SHUTDOWN	4	/* triple fault: reset the vCPU's state */
#define VHV_EXIT_FAIL_ENTRY	5	/* invalid guest state: run->fail_entry */
#define VHV_EXIT_INTERNAL_ERROR	6	/* vhv cannot go on: run->internal */
#define VHV_EXIT_HYPERCALL	7	/* VMMCALL/VMCALL: run->hypercall */
#define VHV_EXIT_MSR		8	/* RDMSR/WRMSR for userspace: run->msr */
#define VHV_EXIT_IRQ_WINDOW_OPEN 9	/* the guest can take an interrupt */
#define VHV_EXIT_INTR		10	/* VHV_RUN returned EINTR */

/*
 * VHV_EXIT_IO: `count` elements of `size` bytes, at run area + data_offset.
 * OUT: the guest's data.  IN: userspace writes the data there before the
 * next VHV_RUN.  count > 1 only for string I/O (INS/OUTS).
 */
struct vhv_exit_io {
	__u8  direction;	/* VHV_IO_IN or VHV_IO_OUT */
	__u8  size;		/* 1, 2 or 4 */
	__u16 port;
	__u32 count;
	__u64 data_offset;
};
#define VHV_IO_IN		0
#define VHV_IO_OUT		1

/* VHV_EXIT_MMIO: a write carries data[0..len); a read wants it filled. */
struct vhv_exit_mmio {
	__u64 phys_addr;
	__u8  data[8];
	__u32 len;		/* 1, 2, 4 or 8 */
	__u8  is_write;
	__u8  pad[3];
};

/*
 * VHV_EXIT_FAIL_ENTRY: the CPU would not (or did not) enter the guest with
 * its current state.  check names what is wrong (VHV_ENTRY_CHECK_*);
 * hardware_reason is the CPU's exit code when the CPU itself refused.  On
 * VT-x: the exit reason (bit 31 set) in bits 31:0 and the exit
 * qualification above them; or, when VMLAUNCH/VMRESUME itself failed,
 * bit 63 set and the VM-instruction error number in the low bits.
 */
struct vhv_exit_fail_entry {
	__u64 hardware_reason;
	__u32 check;
	__u32 cpu;
};
#define VHV_ENTRY_CHECK_HARDWARE		0  /* the CPU refused; cause unknown */
#define VHV_ENTRY_CHECK_CR0_NW_WITHOUT_CD	1
#define VHV_ENTRY_CHECK_CR0_PG_WITHOUT_PE	2
#define VHV_ENTRY_CHECK_EFER_LMA		3  /* LMA != (LME && CR0.PG) */
#define VHV_ENTRY_CHECK_LONG_MODE_WITHOUT_PAE	4
#define VHV_ENTRY_CHECK_LONG_MODE_CS_L_AND_D	5
#define VHV_ENTRY_CHECK_PCIDE_OUTSIDE_LONG_MODE	6

/*
 * VHV_EXIT_INTERNAL_ERROR: the vCPU stopped in a state vhv cannot handle;
 * data[0..ndata) depends on the suberror.
 *   EMULATION: an access to MMIO by an instruction vhv does not emulate:
 *     data[0] guest-physical address, data[1] guest RIP, data[2] number
 *     of instruction bytes, data[3..4] the bytes (little-endian)
 *   UNHANDLED_EXIT: data[0] the CPU's exit code, data[1..2] its info
 *   GUEST_MEMORY: vhv had to read guest memory (an instruction, a page
 *     table) that is not RAM: data[0] guest-physical address
 *   EVENT_DELIVERY: while delivering an interrupt or exception the CPU
 *     touched guest-physical memory that is not RAM (an IDT, stack or
 *     TSS in MMIO), which cannot be emulated: data[0] that address
 */
struct vhv_exit_internal {
	__u32 suberror;
	__u32 ndata;
	__u64 data[16];
};
#define VHV_INTERNAL_EMULATION		1
#define VHV_INTERNAL_UNHANDLED_EXIT	2
#define VHV_INTERNAL_GUEST_MEMORY	3
#define VHV_INTERNAL_EVENT_DELIVERY	4

/*
 * VHV_EXIT_HYPERCALL: the guest executed VMMCALL (AMD) / VMCALL (Intel),
 * at any privilege level: `cpl` says which (with VHV_CAP_HYPERCALL_CPL;
 * the field grew into the union's free space, no earlier offset moved).
 * Userspace puts the result in `ret`; it lands in guest RAX on resume.
 */
struct vhv_exit_hypercall {
	__u64 nr;		/* guest RAX */
	__u64 args[5];		/* guest RBX, RCX, RDX, RSI, RDI */
	__u64 ret;
	__u8  cpl;		/* 0 kernel .. 3 user mode */
	__u8  pad[7];
};

/*
 * VHV_EXIT_MSR: RDMSR or WRMSR that the MSR filter sends to userspace.
 * Read: userspace fills data.  Either: a non-zero error injects #GP
 * instead of completing the instruction.
 */
struct vhv_exit_msr {
	__u32 index;
	__u8  is_write;
	__u8  error;
	__u16 pad;
	__u64 data;
	__u32 reason;		/* VHV_MSR_EXIT_* */
	__u32 pad2;
};
#define VHV_MSR_EXIT_UNKNOWN	1	/* vhv does not emulate this MSR */
#define VHV_MSR_EXIT_FILTER	2	/* a filter range asked for it */

/*
 * The run area: mmap(NULL, VHV_GET_VCPU_MMAP_SIZE, PROT_READ | PROT_WRITE,
 * MAP_SHARED, vcpu_fd, 0).  Fields marked "in" are written by userspace
 * before VHV_RUN; "out" fields are written by the kernel when VHV_RUN
 * returns.  String I/O data lives after the struct, at io.data_offset.
 */
struct vhv_run {
	/* in */
	__u8  immediate_exit;	/* non-zero: VHV_RUN returns EINTR at once */
	__u8  request_interrupt_window;	/* exit when interrupts can be taken */
	__u8  pad_in[6];	/* must be zero */
	/* out */
	__u32 exit_reason;	/* VHV_EXIT_* */
	__u8  if_flag;		/* guest RFLAGS.IF */
	__u8  ready_for_interrupt_injection;	/* VHV_EVENT_EXTINT accepted */
	__u8  pad_out[2];
	__u64 cr8;
	__u64 reserved[5];
	/* out: per-exit data, selected by exit_reason */
	union {
		struct vhv_exit_io io;
		struct vhv_exit_mmio mmio;
		struct vhv_exit_fail_entry fail_entry;
		struct vhv_exit_internal internal;
		struct vhv_exit_hypercall hypercall;
		struct vhv_exit_msr msr;
		__u8 exit_data[256];
	};
};

VHV_ABI_ASSERT(sizeof(struct vhv_memory_slot) == 64);
VHV_ABI_OFFSET(struct vhv_memory_slot, flags, 4);
VHV_ABI_OFFSET(struct vhv_memory_slot, guest_phys_addr, 8);
VHV_ABI_OFFSET(struct vhv_memory_slot, size, 16);
VHV_ABI_OFFSET(struct vhv_memory_slot, userspace_addr, 24);
VHV_ABI_OFFSET(struct vhv_memory_slot, reserved, 32);

VHV_ABI_ASSERT(sizeof(struct vhv_regs) == 144);
VHV_ABI_OFFSET(struct vhv_regs, rsp, 48);
VHV_ABI_OFFSET(struct vhv_regs, r8, 64);
VHV_ABI_OFFSET(struct vhv_regs, rip, 128);
VHV_ABI_OFFSET(struct vhv_regs, rflags, 136);

VHV_ABI_ASSERT(sizeof(struct vhv_segment) == 24);
VHV_ABI_OFFSET(struct vhv_segment, limit, 8);
VHV_ABI_OFFSET(struct vhv_segment, selector, 12);
VHV_ABI_OFFSET(struct vhv_segment, type, 14);
VHV_ABI_OFFSET(struct vhv_segment, unusable, 22);
VHV_ABI_OFFSET(struct vhv_segment, pad, 23);

VHV_ABI_ASSERT(sizeof(struct vhv_dtable) == 16);
VHV_ABI_OFFSET(struct vhv_dtable, limit, 8);

VHV_ABI_ASSERT(sizeof(struct vhv_sregs) == 344);
VHV_ABI_OFFSET(struct vhv_sregs, ss, 120);
VHV_ABI_OFFSET(struct vhv_sregs, tr, 144);
VHV_ABI_OFFSET(struct vhv_sregs, ldt, 168);
VHV_ABI_OFFSET(struct vhv_sregs, gdt, 192);
VHV_ABI_OFFSET(struct vhv_sregs, idt, 208);
VHV_ABI_OFFSET(struct vhv_sregs, cr0, 224);
VHV_ABI_OFFSET(struct vhv_sregs, efer, 264);
VHV_ABI_OFFSET(struct vhv_sregs, apic_base, 272);
VHV_ABI_OFFSET(struct vhv_sregs, reserved, 280);

VHV_ABI_ASSERT(sizeof(struct vhv_cpuid_entry) == 32);
VHV_ABI_OFFSET(struct vhv_cpuid_entry, eax, 12);
VHV_ABI_ASSERT(sizeof(struct vhv_cpuid) == 16);
VHV_ABI_ASSERT(sizeof(struct vhv_msr_entry) == 16);
VHV_ABI_ASSERT(sizeof(struct vhv_msrs) == 16);
VHV_ABI_ASSERT(sizeof(struct vhv_event) == 16);
VHV_ABI_OFFSET(struct vhv_event, error_code, 4);
VHV_ABI_ASSERT(sizeof(struct vhv_vcpu_stats) == 256);
VHV_ABI_ASSERT(sizeof(struct vhv_msr_range) == 16);
VHV_ABI_ASSERT(sizeof(struct vhv_msr_filter) == 8 + 16 * VHV_MAX_MSR_RANGES);

VHV_ABI_ASSERT(sizeof(struct vhv_irq_level) == 8);
VHV_ABI_ASSERT(sizeof(struct vhv_msi) == 24);
VHV_ABI_OFFSET(struct vhv_msi, data, 8);
VHV_ABI_ASSERT(sizeof(struct vhv_mp_state) == 8);
VHV_ABI_ASSERT(sizeof(struct vhv_irqfd) == 48);
VHV_ABI_OFFSET(struct vhv_irqfd, msi_address, 16);
VHV_ABI_OFFSET(struct vhv_irqfd, msi_data, 24);
VHV_ABI_OFFSET(struct vhv_irqfd, reserved, 32);
VHV_ABI_ASSERT(sizeof(struct vhv_ioeventfd) == 48);
VHV_ABI_OFFSET(struct vhv_ioeventfd, len, 16);
VHV_ABI_OFFSET(struct vhv_ioeventfd, fd, 20);
VHV_ABI_OFFSET(struct vhv_ioeventfd, flags, 24);
VHV_ABI_OFFSET(struct vhv_ioeventfd, reserved, 32);

VHV_ABI_ASSERT(sizeof(struct vhv_pic_state) == 32);
VHV_ABI_OFFSET(struct vhv_pic_state, icw4_needed, 8);
VHV_ABI_OFFSET(struct vhv_pic_state, reserved, 16);
VHV_ABI_ASSERT(sizeof(struct vhv_ioapic_state) == 240);
VHV_ABI_OFFSET(struct vhv_ioapic_state, redir, 16);
VHV_ABI_OFFSET(struct vhv_ioapic_state, reserved, 208);
VHV_ABI_ASSERT(sizeof(struct vhv_pit_channel_state) == 64);
VHV_ABI_OFFSET(struct vhv_pit_channel_state, load_elapsed_ns, 8);
VHV_ABI_OFFSET(struct vhv_pit_channel_state, pending_ns, 16);
VHV_ABI_OFFSET(struct vhv_pit_channel_state, mode, 24);
VHV_ABI_OFFSET(struct vhv_pit_channel_state, idle_count, 32);
VHV_ABI_OFFSET(struct vhv_pit_channel_state, write_msb_next, 36);
VHV_ABI_OFFSET(struct vhv_pit_channel_state, null_count, 43);
VHV_ABI_OFFSET(struct vhv_pit_channel_state, pad, 44);
VHV_ABI_OFFSET(struct vhv_pit_channel_state, reserved, 48);
VHV_ABI_ASSERT(sizeof(struct vhv_pit_state) == 224);
VHV_ABI_OFFSET(struct vhv_pit_state, speaker_data, 192);
VHV_ABI_OFFSET(struct vhv_pit_state, reserved, 200);
VHV_ABI_ASSERT(sizeof(struct vhv_irqchip_state) == 520);
VHV_ABI_ASSERT(sizeof(struct vhv_clock) == 32);
VHV_ABI_OFFSET(struct vhv_irqchip_state, pic, 8);
VHV_ABI_OFFSET(struct vhv_irqchip_state, data, 8);
VHV_ABI_ASSERT(sizeof(struct vhv_lapic_state) == 1120);
VHV_ABI_OFFSET(struct vhv_lapic_state, apic_base, 1024);
VHV_ABI_OFFSET(struct vhv_lapic_state, timer_elapsed_ns, 1056);
VHV_ABI_OFFSET(struct vhv_lapic_state, flags, 1064);
VHV_ABI_OFFSET(struct vhv_lapic_state, reserved, 1072);
VHV_ABI_ASSERT(sizeof(struct vhv_event_state) == 8);
VHV_ABI_OFFSET(struct vhv_event_state, error_code, 4);
VHV_ABI_ASSERT(sizeof(struct vhv_vcpu_events) == 80);
VHV_ABI_OFFSET(struct vhv_vcpu_events, queued, 24);
VHV_ABI_OFFSET(struct vhv_vcpu_events, nmi_pending, 32);
VHV_ABI_OFFSET(struct vhv_vcpu_events, sipi_vector, 40);
VHV_ABI_OFFSET(struct vhv_vcpu_events, pad, 41);
VHV_ABI_OFFSET(struct vhv_vcpu_events, reserved, 48);
VHV_ABI_ASSERT(sizeof(struct vhv_hpet_timer_state) == 32);
VHV_ABI_ASSERT(sizeof(struct vhv_hpet_state) == 256);
VHV_ABI_OFFSET(struct vhv_hpet_state, counter, 24);
VHV_ABI_OFFSET(struct vhv_hpet_state, timers, 32);
VHV_ABI_OFFSET(struct vhv_hpet_state, reserved, 128);

VHV_ABI_ASSERT(sizeof(struct vhv_exit_io) == 16);
VHV_ABI_OFFSET(struct vhv_exit_io, count, 4);
VHV_ABI_OFFSET(struct vhv_exit_io, data_offset, 8);
VHV_ABI_ASSERT(sizeof(struct vhv_exit_mmio) == 24);
VHV_ABI_OFFSET(struct vhv_exit_mmio, len, 16);
VHV_ABI_ASSERT(sizeof(struct vhv_exit_fail_entry) == 16);
VHV_ABI_ASSERT(sizeof(struct vhv_exit_internal) == 136);
VHV_ABI_ASSERT(sizeof(struct vhv_exit_hypercall) == 64);
VHV_ABI_OFFSET(struct vhv_exit_hypercall, ret, 48);
VHV_ABI_OFFSET(struct vhv_exit_hypercall, cpl, 56);
VHV_ABI_ASSERT(sizeof(struct vhv_exit_msr) == 24);
VHV_ABI_OFFSET(struct vhv_exit_msr, data, 8);

VHV_ABI_ASSERT(sizeof(struct vhv_run) == 320);
VHV_ABI_OFFSET(struct vhv_run, request_interrupt_window, 1);
VHV_ABI_OFFSET(struct vhv_run, exit_reason, 8);
VHV_ABI_OFFSET(struct vhv_run, if_flag, 12);
VHV_ABI_OFFSET(struct vhv_run, cr8, 16);
VHV_ABI_OFFSET(struct vhv_run, reserved, 24);
VHV_ABI_OFFSET(struct vhv_run, exit_data, 64);

#endif /* _UAPI_VHV_H */
