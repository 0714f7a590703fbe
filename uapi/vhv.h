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
 * System registers.  VHV_SET_SREGS checks them as the CPU would on entry:
 * EINVAL for bits reserved in CR0/CR4/EFER/APIC base on this host, CR0.PG
 * without CR0.PE, CR0.NW without CR0.CD, EFER.LMA different from
 * (EFER.LME && CR0.PG), long mode without CR4.PAE, CS.L with CS.DB in long
 * mode, CR3 bits above the physical address width, CR8 > 15, a segment field
 * out of its range, or a non-zero pad/reserved field.
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
 *   EINTR   a signal is pending, or run->immediate_exit was set on entry
 *   EOPNOTSUPP  this host's vendor backend cannot execute guests yet
 *           (VHV_CHECK_CAP(VHV_CAP_RUN) returns 0)
 *   EINVAL  a reserved field of the run area's input part is not zero
 */
#define VHV_RUN			_IO(VHVIO, 0x20)

/* VHV_GET_REGS / VHV_SET_REGS.  SET: EINVAL for reserved RFLAGS bits
 * (bit 1 is always set by the kernel, as the CPU requires). */
#define VHV_GET_REGS		_IOR(VHVIO, 0x21, struct vhv_regs)
#define VHV_SET_REGS		_IOW(VHVIO, 0x22, struct vhv_regs)

/* VHV_GET_SREGS / VHV_SET_SREGS: see struct vhv_sregs for EINVAL. */
#define VHV_GET_SREGS		_IOR(VHVIO, 0x23, struct vhv_sregs)
#define VHV_SET_SREGS		_IOW(VHVIO, 0x24, struct vhv_sregs)

/* Exit reasons in vhv_run.exit_reason. */
#define VHV_EXIT_NONE		0	/* the vCPU has not run yet */

/*
 * The run area: mmap(NULL, VHV_GET_VCPU_MMAP_SIZE, PROT_READ | PROT_WRITE,
 * MAP_SHARED, vcpu_fd, 0).  Fields marked "in" are written by userspace
 * before VHV_RUN; "out" fields are written by the kernel when VHV_RUN
 * returns.
 */
struct vhv_run {
	/* in */
	__u8  immediate_exit;	/* non-zero: VHV_RUN returns EINTR at once */
	__u8  pad_in[7];	/* must be zero */
	/* out */
	__u32 exit_reason;	/* VHV_EXIT_* */
	__u32 pad_out;
	__u64 reserved[6];
	/* out: per-exit data, selected by exit_reason */
	union {
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

VHV_ABI_ASSERT(sizeof(struct vhv_run) == 320);
VHV_ABI_OFFSET(struct vhv_run, exit_reason, 8);
VHV_ABI_OFFSET(struct vhv_run, reserved, 16);
VHV_ABI_OFFSET(struct vhv_run, exit_data, 64);

#endif /* _UAPI_VHV_H */
