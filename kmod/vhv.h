/* SPDX-License-Identifier: GPL-2.0 */
/* vhv.ko internals shared by the generic core and the vendor backends. */
#ifndef VHV_KMOD_H
#define VHV_KMOD_H

#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/srcu.h>
#include <linux/atomic.h>

#include "../uapi/vhv.h"
#include "memslot_table.h"
#include "x86/state_check.h"

#define VHV_MAX_VCPUS		64
#define VHV_MAX_VCPU_ID		256	/* xAPIC ids fit in 8 bits */
#define VHV_MAX_MEMSLOTS	512
#define VHV_MAX_GUEST_PHYS_BITS	48	/* four-level NPT/EPT */

struct vhv_vm;

struct vhv_vcpu {
	struct vhv_vm *vm;	/* set at creation, constant */
	u32 id;			/* set at creation, constant */
	struct mutex mutex;	/* serialises this vCPU's ioctls */
	struct vhv_run *run;	/* one zeroed page, mmap'd by userspace */
	/* Under mutex: GPRs, RIP, RFLAGS (vendors sync what the VMCB/VMCS holds). */
	struct vhv_regs regs;
	u64 apic_base;		/* under mutex */
};

struct vhv_vm {
	/* One reference for the VM fd, one per vCPU fd; the last put frees. */
	refcount_t users;
	struct mm_struct *mm;	/* the creator's mm (mmgrab), constant */
	struct mutex lock;	/* vcpus[], nr_vcpus, memslot updates */
	struct srcu_struct srcu;	/* readers of memslots */
	struct vhv_memslots __rcu *memslots;
	struct vhv_vcpu *vcpus[VHV_MAX_VCPUS];	/* under lock; only grows */
	u32 nr_vcpus;
};

struct vhv_vendor_ops {
	const char *name;	/* "svm" or "vmx" */
	u32 vendor;		/* VHV_VENDOR_* */
	size_t vcpu_size;	/* the vendor vCPU embeds struct vhv_vcpu */
#define VHV_VENDOR_OP(ret, name, args) ret (*name) args;
#include "vendor_ops.h"
};

extern const struct vhv_vendor_ops *vhv_ops;
extern struct vhv_cpu_limits vhv_limits;
extern const struct vhv_vendor_ops svm_vendor_ops;
extern const struct vhv_vendor_ops vmx_vendor_ops;

/* Live objects, for leak checks from userspace (sysfs). */
struct vhv_stats {
	atomic_t vms;
	atomic_t vcpus;
	atomic_t memslots;
	atomic_long_t pages;	/* pages the module allocated for vCPUs */
};
extern struct vhv_stats vhv_stats;

/* hw.c: virtualization on every online CPU while any VM exists. */
int vhv_hw_get(void);
void vhv_hw_put(void);
int vhv_hw_init(void);
void vhv_hw_exit(void);

/* vm.c */
int vhv_vm_create(unsigned long type);
void vhv_vm_put(struct vhv_vm *vm);
long vhv_check_cap(unsigned long cap);

/* memslot.c */
int vhv_memslots_init(struct vhv_vm *vm);
void vhv_memslots_free(struct vhv_vm *vm);
int vhv_set_memory_slot(struct vhv_vm *vm, const struct vhv_memory_slot *m);
int vhv_delete_memory_slot(struct vhv_vm *vm, unsigned long id);

/* vcpu.c */
int vhv_vcpu_create(struct vhv_vm *vm, unsigned long id);
void vhv_vcpu_destroy(struct vhv_vcpu *vcpu);

#endif /* VHV_KMOD_H */
