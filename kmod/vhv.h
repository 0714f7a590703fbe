/* SPDX-License-Identifier: GPL-2.0 */
/* vhv.ko internals shared by the generic core and the vendor backends. */
#ifndef VHV_KMOD_H
#define VHV_KMOD_H

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/wait.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>

#include "../uapi/vhv.h"
#include "ioeventfd_table.h"
#include "irq/irqfd.h"
#include "memslot_table.h"
#include "x86/emulate.h"
#include "x86/state_check.h"

#define VHV_MAX_VCPUS		64
#define VHV_MAX_VCPU_ID		256	/* xAPIC ids fit in 8 bits */
#define VHV_MAX_MEMSLOTS	512
#define VHV_MAX_GUEST_PHYS_BITS	48	/* four-level NPT/EPT */

/* String I/O data lives in the run area after struct vhv_run. */
#define VHV_RUN_DATA_OFFSET	512
#define VHV_RUN_DATA_SIZE	(PAGE_SIZE - VHV_RUN_DATA_OFFSET)

/* vcpu->mode: whether remote CPUs must kick the vCPU out of the guest. */
#define VHV_OUTSIDE_GUEST	0
#define VHV_IN_GUEST		1

/* vcpu->requests bits, acted on before each entry. */
#define VHV_REQ_TLB_FLUSH	0

struct vhv_vm;
struct vhv_irqchip;
struct vhv_vlapic;

/* Pages for new page-table levels, taken before mmu_lock is. */
#define VHV_MMU_CACHE_PAGES	4
struct vhv_mmu_cache {
	unsigned int nr;
	void *pages[VHV_MMU_CACHE_PAGES];
};

/* MSR state kept in software (the rest lives in the VMCB/VMCS). */
struct vhv_msr_state {
	u64 tsc_aux;
	u64 spec_ctrl;
	u64 misc_enable;
	u64 mtrr_def_type;
	u64 mtrr_fixed[11];
	u64 mtrr_var[16];	/* base/mask pairs of 8 ranges */
	u64 mcg_status;
};

/* Events userspace queued with VHV_INJECT_EVENT. */
struct vhv_pending_events {
	bool exception;
	u8 exception_vector;
	bool exception_has_error;
	u32 exception_error;
	bool nmi;
	bool extint;
	u8 extint_vector;
};

struct vhv_vcpu {
	struct vhv_vm *vm;	/* set at creation, constant */
	u32 id;			/* set at creation, constant */
	struct mutex mutex;	/* serialises this vCPU's ioctls */
	struct vhv_run *run;	/* one zeroed page, mmap'd by userspace */

	/* The rest is under mutex unless said otherwise. */
	struct vhv_regs regs;	/* vendors sync what the VMCB/VMCS holds */
	u64 apic_base;
	bool state_dirty;	/* userspace set sregs: check before entry */

	int cpu;		/* where loaded, -1 if not; read remotely */
	int mode;		/* VHV_*_GUEST; read remotely */
	unsigned long requests;	/* VHV_REQ_*; set remotely */
	struct preempt_notifier preempt;

	struct fpu_guest fpu;
	u64 xcr0;
	/* switch.c: what the world switch leaves to software. */
	u32 pkru;		/* the guest's, while the host's is loaded */
	u32 host_pkru;
	/*
	 * TSC_AUX in the CPU while the vCPU is loaded: the guest's from its
	 * first entry to the put (the kernel never reads it, see switch.c).
	 */
	u64 tsc_aux_in_cpu;
	bool debug_active;	/* the guest touched DRs: switch them */
	u64 db[4];

	struct vhv_cpuid_entry *cpuid;
	u32 cpuid_nent;
	/*
	 * The first entry of leaves 0-31 and 0x80000000-0x8000001f (the ones
	 * guests ask for), cpuid_nent for none: a CPUID exit finds them
	 * without a search.
	 */
	u16 cpuid_first[2][32];
	struct vhv_msr_state msr;
	struct vhv_pending_events events;

	/* Set by the vendor at each exit: the CPU reported the next RIP, or
	 * the bytes of the instruction that faulted (decode assists). */
	bool next_rip_valid;
	u64 next_rip;
	bool event_vectoring;	/* the exit cut an event's delivery short */
	u8 exit_insn_len;
	u8 exit_insn[VHV_INSN_MAX_LEN];

	/* What to finish on the next VHV_RUN after an exit to userspace. */
	int (*complete)(struct vhv_vcpu *vcpu);
	struct vhv_emul emul;
	/* The exit to userspace as the kernel made it: the run area's copy
	 * is userspace's to change, only its data is taken back. */
	struct vhv_mem_access mmio;
	bool msr_write;
	struct {
		u64 next_rip;
		u16 port;
		u8 size;
		u8 in;
		u8 string;
		u8 rep;
		u8 addr_size;
		u32 count;
		u64 gpa;	/* string I/O: guest memory side */
	} pio;

	struct vhv_mmu_cache mmu_cache;
	u64 stats[VHV_STAT_MAX];

	/* With an irqchip (NULL without; set at creation, constant). */
	struct vhv_vlapic *apic;
	u32 mp_state;		/* VHV_MP_STATE_*, under mutex */
	wait_queue_head_t wq;	/* HLT and wait-for-SIPI sleep here */
	u32 halt_poll_ns;	/* haltpoll.h's window, under mutex */
	unsigned long apic_events;	/* VHV_APIC_EV_*, set by anyone */
	u8 sipi_vector;		/* written before VHV_APIC_EV_SIPI is set */

	/* TSC and paravirtual clock (pvclock.c), under mutex. */
	u64 tsc_offset;		/* guest TSC - host TSC; vendors load it */
	u64 pvclock_msr;	/* system-time MSR: page GPA | enable */
	u64 wall_clock_msr;
	u32 pvclock_version;
	bool pvclock_stable;	/* the flag the page holds */
	u32 pvclock_gen;	/* vm->clock_gen the page was written for */
};

struct vhv_vm {
	/* One reference for the VM fd, one per vCPU fd; the last put frees. */
	refcount_t users;
	struct mm_struct *mm;	/* the creator's mm (mmgrab), constant */
	struct mutex lock;	/* vcpus[], nr_vcpus, memslot and filter updates */
	struct srcu_struct srcu;	/* readers of memslots and msr_filter */
	struct vhv_memslots __rcu *memslots;
	struct vhv_msr_filter __rcu *msr_filter;
	struct vhv_vcpu *vcpus[VHV_MAX_VCPUS];	/* under lock; only grows */
	u32 nr_vcpus;		/* written under lock, read with acquire */
	u64 tsc_offset;		/* every vCPU's TSC starts in step (constant) */
	u32 pvclock_mul;	/* guest TSC to ns, pvclock.c (constant) */
	s8 pvclock_shift;
	bool tsc_unsynced;	/* a vCPU left tsc_offset: set once, never cleared */
	u64 clock_offset_ns;	/* VHV_SET_CLOCK, under lock */
	u32 clock_gen;		/* bumped after each clock_offset_ns change */
	struct vhv_irqchip *irqchip;	/* set once, before any vCPU */
	struct vhv_irqfds irqfds;	/* irq/irqfd.c */
	/* ioeventfd.c: [0] MMIO, [1] PIO; updated under lock, read under RCU. */
	struct vhv_ioevt_table __rcu *ioevts[2];
	u32 nr_ioevts;		/* in both tables, under lock */

	/* Second-level page tables (NPT/EPT), under mmu_lock. */
	spinlock_t mmu_lock;
	u64 *mmu_root;		/* top-level table, allocated with the VM */
	unsigned long mmu_invalidate_seq;	/* bumped when an invalidation ends */
	long mmu_invalidate_in_progress;
	struct mmu_notifier mmu_notifier;
	spinlock_t flush_lock;	/* guards flush_cpus */
	cpumask_var_t flush_cpus;
};

/* Architectural state generic code needs from the VMCB/VMCS. */
struct vhv_cpu_state {
	u64 cr0, cr3, cr4, efer;
	u8 cpl;
	u8 mode;		/* VHV_MODE_16/32/64 of the code segment */
	u64 seg_base[6];	/* VHV_SEG_* */
};

/*
 * How a vendor encodes second-level page-table entries (NPT: x86 page
 * tables; EPT: its own bits), so that mmu.c stays generic.
 */
struct vhv_pte_format {
	u64 present;		/* any of these bits: the entry is present */
	u64 table;		/* a non-leaf entry: these bits | table address */
	u64 leaf_read;		/* a readable, executable leaf */
	u64 leaf_write;		/* added for a writable leaf */
	u64 huge;		/* a 2 MiB leaf at level 2 */
	u64 addr_mask;		/* the physical address bits */
};

struct vhv_vendor_ops {
	const char *name;	/* "svm" or "vmx" */
	u32 vendor;		/* VHV_VENDOR_* */
	size_t vcpu_size;	/* the vendor vCPU embeds struct vhv_vcpu */
	const struct vhv_pte_format *pte_format;	/* with vcpu_run */
#define VHV_VENDOR_OP(ret, name, args) ret (*name) args;
#include "vendor_ops.h"
};

extern const struct vhv_vendor_ops *vhv_ops;
extern struct vhv_cpu_limits vhv_limits;
/* XCR0 as the host kernel set it: the state its FPU code saves. */
extern u64 vhv_host_xcr0;
extern const struct vhv_vendor_ops svm_vendor_ops;
extern const struct vhv_vendor_ops vmx_vendor_ops;
/* Their vcpu_run, called directly on every entry (no retpoline). */
int svm_vcpu_run(struct vhv_vcpu *vcpu);
int vmx_vcpu_run(struct vhv_vcpu *vcpu);

/* Live objects, for leak checks from userspace (sysfs). */
struct vhv_stats {
	atomic_t vms;
	atomic_t vcpus;
	atomic_t memslots;
	atomic_long_t pages;	/* pages the module allocated for VMs */
};
extern struct vhv_stats vhv_stats;

/*
 * The RIP after an instruction of len bytes at rip: outside 64-bit mode
 * EIP wraps at 4 GiB (as KVM's skip_emulated_instruction and emulator
 * do; 16-bit IP is not wrapped, as in KVM).  VT-x refuses an entry with
 * RIP bits 63:32 set outside 64-bit mode.
 */
static inline u64 vhv_next_rip(u64 rip, u64 next, bool mode64)
{
	if (!mode64 && (next >> 32) != (rip >> 32))
		next = (u32)next;
	return next;
}

static inline void vhv_count(struct vhv_vcpu *vcpu, unsigned int stat)
{
	vcpu->stats[stat]++;
}

/* hw.c: virtualization on every online CPU while any VM exists. */
int vhv_hw_get(void);
void vhv_hw_put(void);
int vhv_hw_init(void);
void vhv_hw_exit(void);
extern bool vhv_rebooting;

/* The host is rebooting: VMX/SVM may be off under the vCPUs (inline: every entry asks). */
static inline bool vhv_hw_rebooting(void)
{
	return READ_ONCE(vhv_rebooting);
}

/* vm.c */
int vhv_vm_create(unsigned long type);
void vhv_vm_put(struct vhv_vm *vm);
long vhv_check_cap(unsigned long cap);
void vhv_vm_flush_tlbs(struct vhv_vm *vm);

/* memslot.c */
int vhv_memslots_init(struct vhv_vm *vm);
void vhv_memslots_free(struct vhv_vm *vm);
int vhv_set_memory_slot(struct vhv_vm *vm, const struct vhv_memory_slot *m);
int vhv_delete_memory_slot(struct vhv_vm *vm, unsigned long id);
const struct vhv_memslot *vhv_find_slot(struct vhv_vm *vm, u64 gfn);
int vhv_read_guest(struct vhv_vm *vm, u64 gpa, void *buf, unsigned int len);
int vhv_write_guest(struct vhv_vm *vm, u64 gpa, const void *buf,
		    unsigned int len);

/* pvclock.c: the kvmclock ABI Linux guests read their time from. */
#define VHV_PVCLOCK_CPUID	0x40000100
bool vhv_pvclock_available(void);
void vhv_pvclock_cpuid(struct vhv_cpuid_entry *sig, struct vhv_cpuid_entry *feat);
void vhv_pvclock_vm_init(struct vhv_vm *vm);
void vhv_pvclock_tsc_changed(struct vhv_vcpu *vcpu);
void vhv_pvclock_check(struct vhv_vcpu *vcpu);
void vhv_pvclock_reset(struct vhv_vcpu *vcpu);
int vhv_get_clock(struct vhv_vm *vm, void __user *argp);
int vhv_set_clock(struct vhv_vm *vm, void __user *argp);
int vhv_pvclock_get_msr(struct vhv_vcpu *vcpu, u32 index, u64 *data);
int vhv_pvclock_set_msr(struct vhv_vcpu *vcpu, u32 index, u64 data, bool from_guest);

/* mmu.c: second-level paging from memory slots, following the mm. */
int vhv_mmu_init(struct vhv_vm *vm);
void vhv_mmu_destroy(struct vhv_vm *vm);
int vhv_mmu_page_fault(struct vhv_vcpu *vcpu, u64 gpa, bool write,
		       bool table_walk);
void vhv_mmu_zap_gfn_range(struct vhv_vm *vm, u64 gfn, u64 npages);
void vhv_mmu_cache_free(struct vhv_mmu_cache *cache);
phys_addr_t vhv_mmu_root_pa(struct vhv_vm *vm);

/* vcpu.c */
int vhv_vcpu_create(struct vhv_vm *vm, unsigned long id);
void vhv_vcpu_destroy(struct vhv_vcpu *vcpu);
void vhv_vcpu_reset(struct vhv_vcpu *vcpu);
void vhv_vcpu_get_sregs(struct vhv_vcpu *vcpu, struct vhv_sregs *s);
bool vhv_exception_has_error_code(u8 vector);

/* run.c: the run loop and the exits every vendor shares. */
int vhv_vcpu_run(struct vhv_vcpu *vcpu);
/* HLT with an irqchip: the vCPU sleeps in the kernel (returns 1). */
int vhv_vcpu_halt(struct vhv_vcpu *vcpu);
int vhv_preempt_notifiers_init(void);
void vhv_preempt_notifiers_exit(void);
bool vhv_vcpu_has_requests(struct vhv_vcpu *vcpu);
int vhv_exit_internal(struct vhv_vcpu *vcpu, u32 suberror, unsigned int n,
		      const u64 *data);
/* Exits every vendor handles alike (the instruction already skipped). */
int vhv_exit_hlt(struct vhv_vcpu *vcpu);
int vhv_exit_hypercall(struct vhv_vcpu *vcpu, u8 cpl);
int vhv_exit_shutdown(struct vhv_vcpu *vcpu);
int vhv_exit_fail_entry(struct vhv_vcpu *vcpu, u64 hw_reason, u32 check);
/* A machine check that exited the guest, given to the host (IRQs off). */
void vhv_handle_mce(void);

/* switch.c: state no world switch saves, and the IBPB between vCPUs. */
void vhv_switch_load(struct vhv_vcpu *vcpu, int cpu);
void vhv_switch_put(struct vhv_vcpu *vcpu);
void vhv_switch_forget(struct vhv_vcpu *vcpu);
void vhv_switch_to_guest(struct vhv_vcpu *vcpu, u64 guest_cr4);
void vhv_switch_to_host(struct vhv_vcpu *vcpu, u64 guest_cr4);

/* emulate.c: instruction fetch, MMIO and port I/O, guest memory access. */
int vhv_fetch_insn(struct vhv_vcpu *vcpu, u8 *bytes, unsigned int *len);
/*
 * RIP to next_rip past an instruction vhv completed for the guest, and the
 * single-step #DB the CPU takes after it when the guest runs with TF set;
 * every RIP move past a completed instruction goes through here.
 */
void vhv_complete_insn(struct vhv_vcpu *vcpu, u64 next_rip);
/* One iteration of a REP string instruction done, RIP still on it. */
void vhv_complete_iteration(struct vhv_vcpu *vcpu);
/* RFLAGS.TF: each instruction vhv completes ends in a single-step trap. */
static inline bool vhv_single_stepping(const struct vhv_vcpu *vcpu)
{
	return vcpu->regs.rflags & VHV_RFLAGS_TF;
}
/* vhv_complete_insn() past the exit's instruction: 1, or what the exit returns. */
int vhv_skip_insn_slow(struct vhv_vcpu *vcpu);

static inline int vhv_skip_insn(struct vhv_vcpu *vcpu)
{
	/* The common case inline: the CPU gave the next RIP, no trap due. */
	if (likely(vcpu->next_rip_valid && !vhv_single_stepping(vcpu))) {
		vcpu->regs.rip = vcpu->next_rip;
		return 1;
	}
	return vhv_skip_insn_slow(vcpu);
}
int vhv_handle_mmio(struct vhv_vcpu *vcpu, u64 gpa, const u8 *insn,
		    unsigned int insn_len);
int vhv_handle_pio(struct vhv_vcpu *vcpu, u16 port, u8 size, bool in,
		   bool string, bool rep, u8 addr_size, u8 seg, u64 next_rip);
void vhv_inject_gp(struct vhv_vcpu *vcpu);
void vhv_inject_ud(struct vhv_vcpu *vcpu);

/* ioeventfd.c: true when an ioeventfd took the guest's write. */
int vhv_ioeventfd(struct vhv_vm *vm, void __user *argp);
bool vhv_ioeventfd_write(struct vhv_vcpu *vcpu, bool pio, u64 addr, u32 len,
			 u64 val);
void vhv_ioeventfd_free(struct vhv_vm *vm);

/* cpuid.c */
int vhv_cpuid_init_vcpu(struct vhv_vcpu *vcpu);
void vhv_cpuid_free_vcpu(struct vhv_vcpu *vcpu);
int vhv_set_cpuid(struct vhv_vcpu *vcpu, void __user *argp);
int vhv_get_cpuid(struct vhv_vcpu *vcpu, void __user *argp);
int vhv_emulate_cpuid(struct vhv_vcpu *vcpu);
int vhv_cpuid_setup(void);
u64 vhv_guest_xcr0_mask(void);
void vhv_cpuid_cleanup(void);

/* msr.c */
int vhv_handle_msr(struct vhv_vcpu *vcpu, bool write);
int vhv_get_msrs(struct vhv_vcpu *vcpu, void __user *argp);
int vhv_set_msrs(struct vhv_vcpu *vcpu, void __user *argp);
int vhv_set_msr_filter(struct vhv_vm *vm, void __user *argp);
void vhv_msr_filter_free(struct vhv_vm *vm);
int vhv_handle_xsetbv(struct vhv_vcpu *vcpu, u32 index, u64 value);
bool vhv_pat_valid(u64 pat);	/* no reserved memory type (2, 3, 8-255) */

#endif /* VHV_KMOD_H */
