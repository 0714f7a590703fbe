// SPDX-License-Identifier: GPL-2.0
/*
 * VT-x execution: entering the guest (host state, TLB tags, event
 * injection, what VM entry does not switch) and handling each exit,
 * through a table indexed by basic exit reason whose handlers return 1
 * (re-enter), 0 (exit to userspace with the run area filled) or a
 * negative errno.  The event logic mirrors svm/run.c's.
 */
#include <linux/kvm_host.h>
#include <linux/sched/signal.h>
#include <linux/sched/smt.h>
#include <asm/apic.h>
#include <asm/cpu.h>
#include <asm/debugreg.h>
#include <asm/fpu/api.h>
#include <asm/hardirq.h>
#include <asm/mmu_context.h>
#include <asm/msr.h>
#include <asm/nospec-branch.h>
#include <asm/perf_event.h>
#include <asm/special_insns.h>
#include <asm/sync_core.h>
#include <asm/tsc.h>
/* smp_send_reschedule() traces through it on newer kernels. */
#include <trace/events/ipi.h>

#include "vmx.h"
#include "names.h"
#include "../irq/irqchip.h"
#include "../x86/arch_bits.h"
#include "../x86/cr.h"
#include "../x86/dr6.h"

#define VEC_DB		1
#define VEC_NMI		2
#define VEC_DF		8
#define VEC_PF		14
#define VEC_AC		17
#define VEC_MC		18

/* fail_entry.hardware_reason of a VMLAUNCH/VMRESUME that failed: | its error. */
#define VMX_HW_REASON_VMFAIL	BIT_ULL(63)

/*
 * A 2 ms backstop on every entry (the VMX-preemption timer, where the CPU
 * has it).  A workaround: Bochs at times does not turn a host interrupt
 * that became pending while the guest runs with IF clear into an
 * external-interrupt exit, and a guest spinning there would then hold the
 * CPU until something else exits it.  Cost: at most one extra exit per
 * 2 ms of uninterrupted guest time.
 */
#define VMX_BACKSTOP_US		2000
static u32 backstop_ticks;
/*
 * L1TF: flush L1D before entry where the CPU has the bug and entry does
 * not flush by itself (ARCH_CAP_SKIP_VMENTRY_L1DFLUSH, which hypervisors
 * give their L1).  With the IA32_FLUSH_CMD MSR: one write.  Without it
 * (old microcode; Bochs' Broadwell): the software sequence the SDM's L1TF
 * guidance gives, reading a buffer twice the size of L1D so that every
 * line of L1D is replaced by one of the buffer.
 *
 * When: KVM's default policy ("cond"), before an entry that follows
 * anything that may have brought another's data into L1D: the vCPU's
 * thread coming onto the CPU (a VHV_RUN call, a reschedule: userspace and
 * other tasks ran), an exit whose handling is not known to touch only
 * this VM's own state (l1d_safe_exit()), or an interrupt or softirq
 * handled on this CPU since the last entry, which the kernel's interrupt
 * entry records per CPU for this purpose (irq_stat, present where the
 * kernel is built with KVM_INTEL; without it, every entry flushes).
 */
enum { L1D_FLUSH_NONE, L1D_FLUSH_MSR, L1D_FLUSH_SW };
static int l1d_flush;
#define L1D_FLUSH_SW_ORDER	4		/* 64 KiB */
#define L1D_FLUSH_SW_SIZE	(PAGE_SIZE << L1D_FLUSH_SW_ORDER)
/* #CP delivered with an error code by VM entry (entry_error_vector()). */
static bool cp_error_code;
static struct page *l1d_flush_pages;
static void *l1d_flush_buf;

/*
 * Each page touched first, so that no TLB miss (a page walk, itself
 * reading memory through L1D) comes in the middle of the fill; then each
 * 64-byte line read.
 */
static noinstr void l1d_flush_sw(void)
{
	unsigned long off;
	u32 tmp;

	asm volatile("xor %k[off], %k[off]\n"
		     "1: movzbl (%[buf], %[off]), %[tmp]\n"
		     "add %[page], %k[off]\n"
		     "cmp %[size], %k[off]\n"
		     "jne 1b\n"
		     "xor %%eax, %%eax\n"
		     "cpuid\n"		/* serializing: the TLB fill done first */
		     "xor %k[off], %k[off]\n"
		     "2: movzbl (%[buf], %[off]), %[tmp]\n"
		     "add $64, %k[off]\n"
		     "cmp %[size], %k[off]\n"
		     "jne 2b\n"
		     "lfence\n"
		     : [off] "=&r" (off), [tmp] "=&r" (tmp)
		     : [buf] "r" (l1d_flush_buf), [page] "i" (PAGE_SIZE),
		       [size] "i" (L1D_FLUSH_SW_SIZE)
		     : "memory", "cc", "rax", "rbx", "rcx", "rdx");
}

/*
 * Flush before every entry, not only where due: the host's l1tf=full and
 * l1tf=full,force ask hypervisors for that (KVM: vmentry_l1d_flush=always);
 * so does a kernel without the per-CPU interrupt record (no KVM_INTEL),
 * whose l1tf_mitigation is not exported either.  Set once, at load.
 */
static bool l1d_flush_always;

/*
 * l1tf=off on the host's command line: no flush at all, as KVM's default
 * (vmentry_l1d_flush=auto) decides too; the administrator chose to run
 * without the L1TF mitigation.
 */
static bool l1d_flush_off_wanted(void)
{
#if IS_ENABLED(CONFIG_KVM_INTEL)
	return l1tf_mitigation == L1TF_MITIGATION_OFF;
#else
	return false;
#endif
}

static bool l1d_flush_always_wanted(void)
{
#if IS_ENABLED(CONFIG_KVM_INTEL)
	return l1tf_mitigation == L1TF_MITIGATION_FULL ||
	       l1tf_mitigation == L1TF_MITIGATION_FULL_FORCE;
#else
	return true;
#endif
}

int vmx_run_setup(void)
{
	u64 ticks = (u64)tsc_khz * VMX_BACKSTOP_US / 1000;
	u64 arch = 0;
	int i;

	/* CET: CPUID 7.0 ECX[7] shadow stacks, EDX[20] IBT. */
	cp_error_code = vmx_caps.any_error_code || (cpuid_ecx(7) & BIT(7)) ||
			(cpuid_edx(7) & BIT(20));
	/* No TSC rate known: as long a backstop as the timer holds. */
	ticks >>= vmx_caps.preemption_timer_shift;
	backstop_ticks = ticks ? min_t(u64, ticks, U32_MAX) : U32_MAX;
	if (boot_cpu_has(X86_FEATURE_ARCH_CAPABILITIES))
		rdmsrl_safe(MSR_IA32_ARCH_CAPABILITIES, &arch);
	l1d_flush_always = l1d_flush_always_wanted();
	l1d_flush = L1D_FLUSH_NONE;
	if (!boot_cpu_has_bug(X86_BUG_L1TF) || (arch & ARCH_CAP_SKIP_VMENTRY_L1DFLUSH))
		return 0;
	if (l1d_flush_off_wanted()) {
		pr_info("vhv: L1TF: l1tf=off, L1D is not flushed before VM entry\n");
		return 0;
	}
	if (boot_cpu_has(X86_FEATURE_FLUSH_L1D)) {
		l1d_flush = L1D_FLUSH_MSR;
		return 0;
	}
	l1d_flush_pages = alloc_pages(GFP_KERNEL, L1D_FLUSH_SW_ORDER);
	if (!l1d_flush_pages)
		return -ENOMEM;
	l1d_flush_buf = page_address(l1d_flush_pages);
	/*
	 * A different byte in each page: a hypervisor below that merges
	 * identical pages (zeroed ones first) would leave a buffer of fewer
	 * lines than L1D, which the flush would then not fill.
	 */
	for (i = 0; i < (1 << L1D_FLUSH_SW_ORDER); i++)
		memset(l1d_flush_buf + i * PAGE_SIZE, i + 1, PAGE_SIZE);
	l1d_flush = L1D_FLUSH_SW;
	pr_info("vhv: L1TF: no IA32_FLUSH_CMD here, L1D is flushed by software before VM entry where it may hold another's data\n");
	return 0;
}

/*
 * At each vCPU's creation, once: with SMT on, no flush at entry keeps a
 * guest from the L1D its sibling thread fills (KVM warns at VM creation
 * too, unless l1tf=flush,nowarn or off).
 */
void vmx_warn_l1tf_smt(void)
{
	bool warn = l1d_flush != L1D_FLUSH_NONE && sched_smt_active();

#if IS_ENABLED(CONFIG_KVM_INTEL)
	warn &= l1tf_mitigation != L1TF_MITIGATION_OFF &&
		l1tf_mitigation != L1TF_MITIGATION_FLUSH_NOWARN;
#endif
	if (warn)
		pr_warn_once("vhv: L1TF CPU bug present and SMT on: a guest can read the L1D its sibling thread fills, which no flush at entry prevents (turn SMT off: nosmt)\n");
}

void vmx_run_unsetup(void)
{
	if (l1d_flush_pages)
		__free_pages(l1d_flush_pages, L1D_FLUSH_SW_ORDER);
	l1d_flush_pages = NULL;
	l1d_flush_buf = NULL;
	l1d_flush = L1D_FLUSH_NONE;
}

/* ---- loading on a CPU ------------------------------------------------------- */

void vmx_vcpu_load(struct vhv_vcpu *vcpu, int cpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx_load_vmcs(vmx, cpu);
	/* Userspace or another task ran on this CPU since the guest did. */
	vmx->l1d_flush_due = true;
}

/*
 * Exits whose handling reads and writes only this VM's state (KVM flushes
 * after none of these either): no L1D flush before the next entry.  An
 * interrupt handled meanwhile (EXT_INTR, the LAPIC timer's hrtimer) is
 * caught by the per-CPU record; a HLT that sleeps, by the reload.
 */
static bool l1d_safe_exit(struct vmx_vcpu *vmx, u32 basic)
{
	switch (basic) {
	case VMX_EXIT_REASON_EXT_INTR:
	case VMX_EXIT_REASON_INTR_WINDOW:
	case VMX_EXIT_REASON_NMI_WINDOW:
	case VMX_EXIT_REASON_PREEMPTION_TIMER:
	case VMX_EXIT_REASON_CPUID:
	case VMX_EXIT_REASON_HLT:
	case VMX_EXIT_REASON_INVD:
	case VMX_EXIT_REASON_RDPMC:
	case VMX_EXIT_REASON_CR_ACCESS:
	case VMX_EXIT_REASON_DR_ACCESS:
	case VMX_EXIT_REASON_RDMSR:
	case VMX_EXIT_REASON_WRMSR:
	case VMX_EXIT_REASON_PAUSE:
	case VMX_EXIT_REASON_WBINVD:
	case VMX_EXIT_REASON_XSETBV:
		return true;
	case VMX_EXIT_REASON_IO:
		return !(vmx->exit_qual & BIT(4));	/* string I/O: emulated */
	default:
		return false;
	}
}

/* IRQs off, right before entry: whether L1D must be flushed now. */
static bool l1d_flush_due(struct vmx_vcpu *vmx)
{
	bool due = vmx->l1d_flush_due || l1d_flush_always;

	vmx->l1d_flush_due = false;
#if IS_ENABLED(CONFIG_KVM_INTEL)
	due |= kvm_get_cpu_l1tf_flush_l1d();
	kvm_clear_cpu_l1tf_flush_l1d();
#endif
	return due;
}

void vmx_vcpu_put(struct vhv_vcpu *vcpu)
{
	vmx_load_host_state(to_vmx(vcpu));
}

/* ---- events -------------------------------------------------------------------- */

static u32 intr_info(u8 vector, u32 type, bool has_error)
{
	return vector | type << VMX_INTR_INFO_TYPE_SHIFT |
	       (has_error ? VMX_INTR_INFO_ERROR_CODE : 0) | VMX_INTR_INFO_VALID;
}

/*
 * The STI/MOV SS shadow the CPU reported at the last exit, while it still
 * holds: once RIP moved past that instruction (skipped, emulated or set by
 * userspace) the shadow is over, whatever the field still says.
 */
static bool in_shadow(struct vmx_vcpu *vmx)
{
	return (vmx->interruptibility &
		(VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS)) &&
	       vmx->vcpu.regs.rip == vmx->exit_rip;
}

static bool nmi_blocked(struct vmx_vcpu *vmx)
{
	return vmx->interruptibility & VMX_INTERRUPTIBILITY_NMI;
}

static void request_windows(struct vmx_vcpu *vmx, bool irq, bool nmi)
{
	vmx->proc &= ~(VMX_PROC_INTR_WINDOW_EXITING | VMX_PROC_NMI_WINDOW_EXITING);
	if (irq)
		vmx->proc |= VMX_PROC_INTR_WINDOW_EXITING;
	if (nmi)
		vmx->proc |= VMX_PROC_NMI_WINDOW_EXITING;
}

bool vmx_event_in_flight(struct vhv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	return vmx->reinject || vmx->reinject_later || vmx->exc_pending ||
	       vmx->triple_fault;
}

void vmx_clear_events(struct vhv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->reinject = 0;
	vmx->reinject_later = 0;
	vmx->triple_fault = false;
	vmx->exc_pending = false;
	vmx->interruptibility = 0;
	vmx->injected.info = 0;
	request_windows(vmx, false, false);
	/*
	 * RESET and INIT: DR6/DR7 architectural, MOV DR exiting again (the
	 * old guest's breakpoints must not stay armed in the firmware), no
	 * single step pending.
	 */
	vmx->dr6 = 0xffff0ff0;
	vmx->proc |= VMX_PROC_MOV_DR_EXITING;
	vcpu->debug_active = false;
	vmx_vmcs_get(vmx);
	vmcs_writenat(VMCS_GUEST_DR7, 0x400);
	vmcs_writenat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmx_vmcs_put(vmx);
}

bool vmx_interrupt_allowed(struct vhv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	return (vcpu->regs.rflags & VHV_RFLAGS_IF) && !in_shadow(vmx) &&
	       !vmx->reinject && !vmx->reinject_later && !vmx->exc_pending;
}

static bool contributory(u8 vector)
{
	return vector == 0 || (vector >= 10 && vector <= 13);
}

/* As svm/run.c's combine_exceptions(): the SDM's table of double faults. */
static void combine_exceptions(struct vmx_vcpu *vmx, u8 *vector,
			       bool *has_error, u32 *error)
{
	u32 old = vmx->reinject;
	u8 ov = old & VMX_INTR_INFO_VECTOR;

	if (!(old & VMX_INTR_INFO_VALID) ||
	    vmx_event_type(old) != VMX_INTR_TYPE_HW_EXCEPTION)
		return;
	vmx->reinject = 0;
	if (ov == VEC_DF) {
		vmx->triple_fault = true;
		return;
	}
	if ((contributory(ov) && contributory(*vector)) ||
	    (ov == VEC_PF && (*vector == VEC_PF || contributory(*vector)))) {
		*vector = VEC_DF;
		*has_error = true;
		*error = 0;
	}
}

void vmx_queue_exception(struct vhv_vcpu *vcpu, u8 vector, bool has_error,
			 u32 error, u64 cr2)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	combine_exceptions(vmx, &vector, &has_error, &error);
	vmx->exc_pending = true;
	vmx->exc_vector = vector;
	vmx->exc_has_error = has_error;
	vmx->exc_error = error;
	vhv_count(vcpu, VHV_STAT_EXCEPTION);
	if (vector == VEC_PF)
		vmx->cr2 = cr2;
}

/*
 * DR6 is not in the VMCS: vmx->dr6 is the guest's (loaded before entry
 * once the guest uses debug registers, read back after the exit).  A trap
 * the CPU held over a MOV SS or STI shadow sits in the pending debug
 * exceptions field (BS, or a data breakpoint of the instruction that made
 * the shadow): it is taken at this same boundary, in this one #DB, so it
 * moves into DR6 and leaves the field, for entry not to act on it a second
 * time.  With the shadow over, entry's BS-equals-TF check
 * (sync_pending_bs()) has nothing to hold either.
 */
void vmx_single_step(struct vhv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u64 pend = vmcs_readnat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS);

	vmx->dr6 = vhv_dr6_after_db(vmx->dr6, pend | VHV_DR6_BS, true);
	if (pend)
		vmcs_writenat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmx->interruptibility &= ~(VMX_INTERRUPTIBILITY_STI |
				   VMX_INTERRUPTIBILITY_MOV_SS);
}

/*
 * The vectors VM entry delivers with an error code (SDM vol. 3C 27.2.1.3).
 * #CP only where the CPU has CET or IA32_VMX_BASIC[56]: before that,
 * entry fails on it (VMfail), and #CP goes in without one, as #VC and #SX
 * always do.
 */
static bool entry_error_vector(u8 vector)
{
	if (vector == 21)
		return cp_error_code;
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17;
}

/*
 * Writes the event for this entry, adjusted to what VM entry accepts:
 * an error code only in protected mode and for the vectors that have one;
 * an external interrupt or NMI goes in before any STI/MOV SS shadow
 * matters (entry refuses the shadow with them), an NMI with no NMI
 * blocking; an external interrupt only with IF set (an interrupt whose
 * delivery an exit cut short, IF since cleared by userspace): as INTn
 * with length 0 where the CPU allows that, else with IF forced on.  What
 * went in, and at which RIP, stays in vmx->injected for the exit after
 * (event.c tells it from the guest's own INTn by both).
 */
static __always_inline void write_no_event(struct vmx_vcpu *vmx)
{
	vmx->injected = (struct vmx_injection){ .rip = vmx->vcpu.regs.rip };
	/* The exit cleared the field's valid bit: no write needed then. */
	if (vmx->vmcs_has.intr_info) {
		vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
		vmx->vmcs_has.intr_info = false;
	}
}

static void write_event(struct vmx_vcpu *vmx, u32 info, u32 err)
{
	u32 type = vmx_event_type(info);

	if (!(info & VMX_INTR_INFO_VALID)) {
		write_no_event(vmx);
		return;
	}
	vmx->injected = (struct vmx_injection){ .rip = vmx->vcpu.regs.rip };
	if (type != VMX_INTR_TYPE_HW_EXCEPTION ||
	    !entry_error_vector(info & VMX_INTR_INFO_VECTOR) ||
	    !(vmx_guest_cr0(vmx) & VHV_CR0_PE)) {
		info &= ~VMX_INTR_INFO_ERROR_CODE;
	} else if ((info & VMX_INTR_INFO_VECTOR) != 21 &&
		   !(info & VMX_INTR_INFO_ERROR_CODE)) {
		/*
		 * KVM's rule: a protected-mode exception that has an error
		 * code is delivered with one (0 if userspace gave none).
		 * Without IA32_VMX_BASIC[56] entry refuses it otherwise.
		 * #CP is left as given: pre-CET CPUs refuse the bit on it.
		 */
		info |= VMX_INTR_INFO_ERROR_CODE;
		err = 0;
	}
	if (type == VMX_INTR_TYPE_EXT_INTR || type == VMX_INTR_TYPE_NMI)
		vmx->interruptibility &= ~(VMX_INTERRUPTIBILITY_STI |
					   VMX_INTERRUPTIBILITY_MOV_SS);
	if (type == VMX_INTR_TYPE_NMI)
		vmx->interruptibility &= ~VMX_INTERRUPTIBILITY_NMI;
	if (type == VMX_INTR_TYPE_EXT_INTR &&
	    !(vmx->vcpu.regs.rflags & VHV_RFLAGS_IF)) {
		if (vmx_caps.zero_len_inject) {
			info = (info & ~VMX_INTR_INFO_TYPE) |
			       VMX_INTR_TYPE_SW_INTR << VMX_INTR_INFO_TYPE_SHIFT;
			vmx->injected.intn_for_extint = true;
		} else {
			vmx->force_if = true;
		}
	}
	vmx->injected.info = info;
	vmcs_write32(VMCS_ENTRY_INTR_INFO, info);
	vmx->vmcs_has.intr_info = true;
	/*
	 * Entry refuses bits 31:16 (KVM: "Drop the upper bits to avoid
	 * VM-Fail"); the ABI takes any u32, as SVM does.
	 */
	if (info & VMX_INTR_INFO_ERROR_CODE)
		vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR_CODE, (u16)err);
	if (vmx_event_type(info) >= VMX_INTR_TYPE_SW_INTR)
		vmcs_write32(VMCS_ENTRY_INSTRUCTION_LEN, 0);
}

/*
 * One event per entry, most urgent first, as svm/run.c's inject_events().
 * An NMI that cannot go in waits for the NMI window (after the event
 * going in now, or after the handler's IRET); only an interrupt shadow
 * makes it wait for the next exit instead (the NMI window may not wait
 * for STI's).  Returns true when the guest must exit right after this
 * entry: the caller then sends this CPU an interrupt.
 */
static bool inject_events(struct vmx_vcpu *vmx)
{
	struct vhv_vcpu *vcpu = &vmx->vcpu;
	struct vhv_pending_events *ev = &vcpu->events;
	bool want_irq = vcpu->run->request_interrupt_window, want_nmi = false;
	bool kick = false, take = false;
	struct vhv_irq_entry irq;
	u32 info = 0, err = 0;

	/*
	 * Nothing to deliver and no window wanted (no request in the in-kernel
	 * controllers, no event queued or displaced): the common entry.
	 */
	if (!want_irq && !vmx->reinject && !vmx->exc_pending &&
	    !vmx->reinject_later && !ev->exception && !ev->nmi && !ev->extint &&
	    vhv_irq_idle(vcpu)) {
		request_windows(vmx, false, false);
		write_no_event(vmx);
		return false;
	}
	if (vmx->reinject && !vmx->exc_pending) {
		info = vmx->reinject;
		err = vmx->reinject_err;
		vmx->reinject = 0;
	} else if (vmx->exc_pending) {
		info = intr_info(vmx->exc_vector, VMX_INTR_TYPE_HW_EXCEPTION,
				 vmx->exc_has_error);
		err = vmx->exc_error;
		vmx->exc_pending = false;
		/* The interrupt or NMI the exit cut short goes in after it. */
		if (vmx->reinject) {
			vmx->reinject_later = vmx->reinject;
			vmx->reinject_later_err = vmx->reinject_err;
			vmx->reinject = 0;
		}
	} else if (ev->exception) {
		info = intr_info(ev->exception_vector, VMX_INTR_TYPE_HW_EXCEPTION,
				 ev->exception_has_error);
		err = ev->exception_error;
		ev->exception = false;
	} else if (ev->nmi && !nmi_blocked(vmx) && !in_shadow(vmx)) {
		info = intr_info(VEC_NMI, VMX_INTR_TYPE_NMI, false);
		ev->nmi = false;
	} else if (ev->extint && vmx_interrupt_allowed(vcpu)) {
		info = intr_info(ev->extint_vector, VMX_INTR_TYPE_EXT_INTR, false);
		ev->extint = false;
	} else if (vcpu->apic && vmx_interrupt_allowed(vcpu)) {
		take = true;
	}
	vhv_irq_entry(vcpu, take, &irq);
	if (irq.vector >= 0)
		info = intr_info(irq.vector, VMX_INTR_TYPE_EXT_INTR, false);
	/* What could not go in now waits for its window, not for any exit. */
	if (ev->extint || irq.pending)
		want_irq = true;
	if (ev->nmi) {
		if (in_shadow(vmx))
			kick = true;
		else
			want_nmi = true;
	}
	/* What an exception displaced goes in right after its delivery. */
	if (vmx->reinject_later)
		kick = true;
	request_windows(vmx, want_irq, want_nmi);
	write_event(vmx, info, err);
	return kick;
}

/*
 * What the last exit interrupted must be delivered again
 * (vmx_idt_reinject()), or what an exception displaced goes in now.
 */
static void save_interrupted_event(struct vmx_vcpu *vmx, u32 idt)
{
	struct vmx_idt_vectoring v = {
		.info = idt,
		.rip = vmx->vcpu.regs.rip,
	};
	u32 info = 0;

	/* Neither an event cut short nor one injected: nothing to tell. */
	if (!((idt | vmx->injected.info) & VMX_INTR_INFO_VALID))
		goto none;
	/* The length tells vhv's INTn from the guest's (event.c). */
	if ((idt & VMX_INTR_INFO_VALID) &&
	    vmx_event_type(idt) >= VMX_INTR_TYPE_SW_INTR)
		v.insn_len = vmcs_read32(VMCS_EXIT_INSTRUCTION_LEN);
	if (vmx_injected_interrupt_delivered(&vmx->injected, &v))
		vhv_count(&vmx->vcpu, VHV_STAT_INTERRUPTS);

	info = vmx_idt_reinject(&vmx->injected, &v);
none:
	if (info) {
		vmx->reinject = info;
		vmx->reinject_err = info & VMX_INTR_INFO_ERROR_CODE ?
				    vmcs_read32(VMCS_IDT_VECTORING_ERROR_CODE) : 0;
		/* An NMI whose delivery did not complete blocks nothing yet. */
		if (vmx_event_type(info) == VMX_INTR_TYPE_NMI)
			vmx->interruptibility &= ~VMX_INTERRUPTIBILITY_NMI;
	} else if (vmx->reinject_later) {
		vmx->reinject = vmx->reinject_later;
		vmx->reinject_err = vmx->reinject_later_err;
		vmx->reinject_later = 0;
	}
	vmx->injected.info = 0;
}

/* ---- save/restore of events ------------------------------------------------- */

static void event_from_info(u32 info, u32 err, struct vhv_event_state *e)
{
	u8 vector = info & VMX_INTR_INFO_VECTOR;

	if (!(info & VMX_INTR_INFO_VALID))
		return;
	switch (vmx_event_type(info)) {
	case VMX_INTR_TYPE_EXT_INTR:
		*e = (struct vhv_event_state) {
			.valid = 1, .type = VHV_EVENT_EXTINT, .vector = vector,
		};
		break;
	case VMX_INTR_TYPE_NMI:
		*e = (struct vhv_event_state) { .valid = 1, .type = VHV_EVENT_NMI };
		break;
	case VMX_INTR_TYPE_HW_EXCEPTION:
		*e = (struct vhv_event_state) {
			.valid = 1, .type = VHV_EVENT_EXCEPTION, .vector = vector,
			.has_error_code = !!(info & VMX_INTR_INFO_ERROR_CODE),
			.error_code = info & VMX_INTR_INFO_ERROR_CODE ? err : 0,
		};
		break;
	}
	/* Software interrupts are never kept: their INTn runs again. */
}

static u32 info_from_event(const struct vhv_event_state *e, u32 *err)
{
	*err = e->error_code;
	if (!e->valid)
		return 0;
	switch (e->type) {
	case VHV_EVENT_EXTINT:
		return intr_info(e->vector, VMX_INTR_TYPE_EXT_INTR, false);
	case VHV_EVENT_NMI:
		return intr_info(VEC_NMI, VMX_INTR_TYPE_NMI, false);
	default:
		return intr_info(e->vector, VMX_INTR_TYPE_HW_EXCEPTION,
				 e->has_error_code);
	}
}

void vmx_get_events(struct vhv_vcpu *vcpu, struct vhv_vcpu_events *ev)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	event_from_info(vmx->reinject, vmx->reinject_err, &ev->injected);
	event_from_info(vmx->reinject_later, vmx->reinject_later_err, &ev->displaced);
	if (vmx->exc_pending)
		ev->raised = (struct vhv_event_state) {
			.valid = 1, .type = VHV_EVENT_EXCEPTION, .vector = vmx->exc_vector,
			.has_error_code = vmx->exc_has_error,
			.error_code = vmx->exc_has_error ? vmx->exc_error : 0,
		};
	/* Virtual-NMI blocking: an NMI handler runs until its IRET. */
	ev->nmi_masked = nmi_blocked(vmx);
	ev->interrupt_shadow = in_shadow(vmx);
	ev->triple_fault = vmx->triple_fault;
}

void vmx_set_events(struct vhv_vcpu *vcpu, const struct vhv_vcpu_events *ev)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);

	vmx->reinject = info_from_event(&ev->injected, &vmx->reinject_err);
	vmx->reinject_later = info_from_event(&ev->displaced, &vmx->reinject_later_err);
	vmx->exc_pending = ev->raised.valid;
	vmx->exc_vector = ev->raised.vector;
	vmx->exc_has_error = ev->raised.has_error_code;
	vmx->exc_error = ev->raised.error_code;
	vmx->triple_fault = ev->triple_fault;
	vmx->injected.info = 0;
	vmx->interruptibility = ev->nmi_masked ? VMX_INTERRUPTIBILITY_NMI : 0;
	/*
	 * The shadow holds while RIP stays where it is now; entry takes an
	 * STI shadow only with IF set, a MOV SS one either way.
	 */
	if (ev->interrupt_shadow)
		vmx->interruptibility |= vcpu->regs.rflags & VHV_RFLAGS_IF ?
					 VMX_INTERRUPTIBILITY_STI :
					 VMX_INTERRUPTIBILITY_MOV_SS;
	vmx->exit_rip = vcpu->regs.rip;
}

/* ---- entry -------------------------------------------------------------------- */

/*
 * SDM 26.3.1.5: with STI or MOV SS blocking, the pending debug
 * exceptions' BS bit must equal RFLAGS.TF (activity is always active
 * here, and the guest's DEBUGCTL in the VMCS, so BTF, is always 0), or
 * entry fails.  The CPU sets BS at other exits but not at a #DB-intercept
 * exit (KVM sets it in handle_exception_nmi: a guest's popf with TF then
 * sti otherwise forces FAIL_ENTRY), and SET_VCPU_EVENTS' interrupt_shadow
 * or SET_REGS' TF make the same combination.  Fixed here, before every
 * entry, so all three are covered; the vmread only inside a shadow.
 */
/*
 * Whether the CPU saves the pending debug exceptions field clear at this
 * exit (SDM vol. 3C, "Saving Non-Register State"): it keeps a trap still
 * pending only at INIT, SMI, TPR-below-threshold, virtualized-EOI, APIC-
 * write, MTF and bus-lock exits, #MC exits, and any exit in a MOV SS
 * shadow.  Bochs 2.7 saves BS at every exit taken within an instruction
 * run with TF set (bochs-emu/Bochs#132, fixed after 2.7), so each entry
 * that re-runs that instruction (an EPT fault fixed, MMIO, MOV DR) took a
 * single-step #DB before it; clearing what the CPU would have saved clear
 * changes nothing on hardware.
 */
static bool pending_dbg_saved_clear(u32 basic, u32 intr_info)
{
	switch (basic) {
	case VMX_EXIT_REASON_INIT:
	case VMX_EXIT_REASON_IO_SMI:
	case VMX_EXIT_REASON_OTHER_SMI:
	case VMX_EXIT_REASON_TPR_BELOW:
	case VMX_EXIT_REASON_VIRTUALIZED_EOI:
	case VMX_EXIT_REASON_APIC_WRITE:
	case VMX_EXIT_REASON_MTF:
	case VMX_EXIT_REASON_BUS_LOCK:
	case VMX_EXIT_REASON_MCE_DURING_ENTRY:
		return false;
	case VMX_EXIT_REASON_EXCEPTION_NMI:
		return (intr_info & VMX_INTR_INFO_VECTOR) != VEC_MC;
	}
	return true;
}

static void sync_pending_bs(struct vmx_vcpu *vmx, u64 rflags)
{
	u64 pend, want;

	if (!(vmx->interruptibility & (VMX_INTERRUPTIBILITY_STI |
				       VMX_INTERRUPTIBILITY_MOV_SS)))
		return;
	pend = vmcs_readnat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS);
	want = rflags & VHV_RFLAGS_TF ? pend | VMX_PENDING_DBG_BS :
					pend & ~VMX_PENDING_DBG_BS;
	if (want != pend)
		vmcs_writenat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, want);
}

/*
 * The cache of fields set before every entry, from the VMCS itself (VMCS
 * current): after vhv set them up, and after an exit whose saving of
 * guest state vhv does not follow (an entry failure).
 */
void vmx_vmcs_has_reload(struct vmx_vcpu *vmx)
{
	vmx->vmcs_has.intr_info = vmcs_read32(VMCS_ENTRY_INTR_INFO) &
				  VMX_INTR_INFO_VALID;
	vmx->vmcs_has.interruptibility = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
	vmx->vmcs_has.proc = vmcs_read32(VMCS_PROC_CONTROLS);
	vmx->vmcs_has.rsp = vmcs_readnat(VMCS_GUEST_RSP);
	vmx->vmcs_has.rip = vmcs_readnat(VMCS_GUEST_RIP);
	vmx->vmcs_has.rflags = vmcs_readnat(VMCS_GUEST_RFLAGS);
	if (vmx_caps.preemption_timer)
		vmx->vmcs_has.preemption_timer = vmcs_read32(VMCS_PREEMPTION_TIMER);
}

/* A field set before every entry, written only when the VMCS holds another value. */
static __always_inline void vmcs_sync32(struct vmx_vcpu *vmx, u32 field,
					u32 *has, u32 want)
{
	if (unlikely(*has != want)) {
		vmcs_write32(field, want);
		*has = want;
	}
}

static __always_inline void vmcs_syncnat(struct vmx_vcpu *vmx, u32 field,
					 u64 *has, u64 want)
{
	if (unlikely(*has != want)) {
		vmcs_writenat(field, want);
		*has = want;
	}
}

/* The host's CR3 (its mm may have changed under the thread) and CR4. */
static void update_host_cr(struct vmx_vcpu *vmx)
{
	u64 cr3 = __get_current_cr3_fast(), cr4 = cr4_read_shadow();

	if (cr3 != vmx->host_cr3) {
		vmcs_writenat(VMCS_HOST_CR3, cr3);
		vmx->host_cr3 = cr3;
	}
	if (cr4 != vmx->host_cr4) {
		vmcs_writenat(VMCS_HOST_CR4, cr4);
		vmx->host_cr4 = cr4;
	}
}

/*
 * The MMU changed EPT entries (INVEPT drops every translation through
 * them, for all VPIDs), or the guest's own translations are stale: a new
 * CPU, or a paging change vhv made for it.
 */
static void prepare_tlb(struct vmx_vcpu *vmx)
{
	if (test_bit(VHV_REQ_TLB_FLUSH, &vmx->vcpu.requests) &&
	    test_and_clear_bit(VHV_REQ_TLB_FLUSH, &vmx->vcpu.requests)) {
		vmx_invept(vmx_eptp_of(vmx->vcpu.vm));
		vmx->flush_vpid = true;
	}
	if (vmx->flush_vpid) {
		vmx->flush_vpid = false;
		if (vmx->vpid)
			vmx_invvpid(vmx->vpid);
	}
}

/*
 * PAE paging outside long mode: VM entry loads the four PDPTEs from the
 * VMCS, not from memory.  When vhv changed CR0, CR3 or CR4 (userspace, or
 * an emulated MOV to CR), load them as the CPU would have.
 */
static int load_guest_pdptes(struct vmx_vcpu *vmx)
{
	u64 cr0 = vmx_guest_cr0(vmx), cr4 = vmx_guest_cr4(vmx);
	u64 efer = vmcs_read64(VMCS_GUEST_IA32_EFER);
	u64 gpa = vmcs_readnat(VMCS_GUEST_CR3) & 0xffffffe0ull;
	u64 pdpte[4];

	vmx->pdptrs_dirty = false;
	if (!(cr0 & VHV_CR0_PG) || !(cr4 & VHV_CR4_PAE) || (efer & VHV_EFER_LMA))
		return 1;
	/* A read of guest memory may fault into the host's reclaim. */
	vmx->l1d_flush_due = true;
	if (vhv_read_guest(vmx->vcpu.vm, gpa, pdpte, sizeof(pdpte)))
		return vhv_exit_internal(&vmx->vcpu, VHV_INTERNAL_GUEST_MEMORY, 1, &gpa);
	vmcs_write64(VMCS_GUEST_PDPTE0, pdpte[0]);
	vmcs_write64(VMCS_GUEST_PDPTE1, pdpte[1]);
	vmcs_write64(VMCS_GUEST_PDPTE2, pdpte[2]);
	vmcs_write64(VMCS_GUEST_PDPTE3, pdpte[3]);
	return 1;
}

static u32 check_entry_state(struct vmx_vcpu *vmx)
{
	u32 cs_ar;
	u32 check;

	vmx_vmcs_get(vmx);
	cs_ar = vmcs_read32(VMCS_GUEST_CS_AR);
	check = vhv_check_entry_state(vmx_guest_cr0(vmx), vmx_guest_cr4(vmx),
				      vmcs_read64(VMCS_GUEST_IA32_EFER),
				      cs_ar & BIT(13), cs_ar & BIT(14));
	vmx_vmcs_put(vmx);
	return check;
}

/*
 * Host perf's MSRs, switched by the CPU at entry and exit through the
 * MSR-load lists (IRQs off: perf changes them from IPIs and PMIs):
 * counters of host-only events stop in the guest, and PEBS, which writes
 * its records through linear addresses that would be the guest's, is off
 * there.  Without perf events the lists stay empty.  The guest has no PMU
 * of its own (CPUID leaf 0xa is hidden).
 */
static int switch_perf_msrs(struct vmx_vcpu *vmx)
{
	struct vmx_msr_switch *sw = vmx->msr_switch;
	struct perf_guest_switch_msr *msrs;
	int i, nr = 0;

	vmx_msr_switch_reset(sw);
	/* nr means nothing when it returns NULL (no PMU driver). */
	msrs = perf_guest_get_msrs(&nr, NULL);
	for (i = 0; msrs && i < nr; i++) {
		if (vmx_msr_switch_add(sw, msrs[i].msr, msrs[i].guest,
				       msrs[i].host)) {
			pr_warn_once("vhv: perf asks for more than %d MSRs switched at VM entry\n",
				     VMX_MSR_SWITCH_MAX);
			return -EIO;
		}
		/*
		 * PEBS needs time to write its last record once off: not
		 * given by the switch at entry, so off here already (KVM does
		 * the same).  The exit list turns it back on.
		 */
		if (msrs[i].msr == MSR_IA32_PEBS_ENABLE &&
		    msrs[i].guest != msrs[i].host)
			wrmsrl(MSR_IA32_PEBS_ENABLE, 0);
	}
	if (sw->nr != vmx->msr_switch_nr) {
		vmcs_write32(VMCS_ENTRY_MSR_LOAD_COUNT, sw->nr);
		vmcs_write32(VMCS_EXIT_MSR_LOAD_COUNT, sw->nr);
		vmx->msr_switch_nr = sw->nr;
	}
	return 0;
}

static void restore_perf_msrs(struct vmx_vcpu *vmx)
{
	u32 i;

	for (i = 0; i < vmx->msr_switch->nr; i++)
		wrmsrl(vmx->msr_switch->host[i].index, vmx->msr_switch->host[i].value);
}

/*
 * An NMI exit took the NMI from the host, and left NMIs blocked (SDM vol.
 * 3C 28.1, 27.2).  Unblock them with an IRET, then send this CPU the NMI
 * again, through the APIC (the self-IPI shorthand of x2APIC cannot carry
 * an NMI): the host's handler runs as if the guest had never been there.
 */
static void vmx_host_nmi(void)
{
	iret_to_self();
	apic->send_IPI_mask(cpumask_of(smp_processor_id()), NMI_VECTOR);
}

static int vmx_handle_exit(struct vmx_vcpu *vmx);

/* VMLAUNCH/VMRESUME did not enter: report the VM-instruction error. */
static int vmfail(struct vmx_vcpu *vmx)
{
	u64 error = 0;
	u32 check;

	vmcs_try_read(VMCS_VM_INSTRUCTION_ERROR, &error);
	if (vhv_hw_rebooting())
		return -EIO;
	/* The launch state is not what vhv thought (an entry failure left it). */
	if ((error == VMX_INSN_ERROR_VMLAUNCH_NOT_CLEAR ||
	     error == VMX_INSN_ERROR_VMRESUME_NOT_LAUNCHED) && !vmx->relaunched) {
		vmx->launched = !vmx->launched;
		vmx->relaunched = true;
		return 1;
	}
	pr_warn_ratelimited("vhv: VM entry failed: %s (VM-instruction error %llu)\n",
			    vmx_insn_error_name(error), error);
	check = check_entry_state(vmx);
	return vhv_exit_fail_entry(&vmx->vcpu, VMX_HW_REASON_VMFAIL | error,
				   check == VHV_ENTRY_STATE_OK ?
				   VHV_ENTRY_CHECK_HARDWARE : check);
}

int vmx_vcpu_run(struct vhv_vcpu *vcpu)
{
	struct vmx_vcpu *vmx = to_vmx(vcpu);
	u32 check, basic, idt = 0;
	u64 guest_cr4, rflags, efer;
	int cpu, failed, r;
	bool flush;

	if (vmx->triple_fault) {
		vmx->triple_fault = false;
		return vhv_exit_shutdown(vcpu);
	}
	if (vcpu->state_dirty) {
		check = check_entry_state(vmx);
		if (check != VHV_ENTRY_STATE_OK)
			return vhv_exit_fail_entry(vcpu, 0, check);
		vcpu->state_dirty = false;
	}
	if (vcpu->run->request_interrupt_window && !vcpu->events.extint &&
	    vmx_interrupt_allowed(vcpu)) {
		vcpu->run->exit_reason = VHV_EXIT_IRQ_WINDOW_OPEN;
		return 0;
	}
	/* Reads guest memory, which may sleep: before IRQs go off. */
	if (vmx->pdptrs_dirty) {
		r = load_guest_pdptes(vmx);
		if (r <= 0)
			return r;
	}

	local_irq_disable();
	/* Pairs with vhv_vm_flush_tlbs(): set mode, then read requests. */
	smp_store_mb(vcpu->mode, VHV_IN_GUEST);
	/* An NMI, INIT or SIPI sent before mode was set finds us here. */
	if (need_resched() || signal_pending(current) || vhv_hw_rebooting() ||
	    READ_ONCE(vcpu->apic_events)) {
		smp_store_release(&vcpu->mode, VHV_OUTSIDE_GUEST);
		local_irq_enable();
		return vhv_hw_rebooting() ? -EIO : 1;
	}
	r = switch_perf_msrs(vmx);
	if (r) {
		smp_store_release(&vcpu->mode, VHV_OUTSIDE_GUEST);
		local_irq_enable();
		return r;
	}
	/*
	 * Preemption saved the guest's FPU registers and left them to be
	 * reloaded on return to user mode: the guest is that user mode.
	 */
	fpregs_assert_state_consistent();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	cpu = smp_processor_id();
	if (!vmx->host.saved)
		vmx_save_host_state(vmx);
	update_host_cr(vmx);
	prepare_tlb(vmx);
	if (vcpu->regs.rip != vmx->exit_rip)
		vmx->interruptibility &= ~(VMX_INTERRUPTIBILITY_STI |
					   VMX_INTERRUPTIBILITY_MOV_SS);
	/*
	 * A pending interrupt on this CPU makes the guest exit as soon as the
	 * event now injected is delivered (or the shadow is over), with
	 * nothing else run in between.
	 */
	if (inject_events(vmx))
		smp_send_reschedule(cpu);
	rflags = vcpu->regs.rflags | (vmx->force_if ? VHV_RFLAGS_IF : 0);
	vmx->force_if = false;
	/* Entry refuses an STI shadow with IF clear: the same as MOV SS's. */
	if (!(rflags & VHV_RFLAGS_IF) &&
	    (vmx->interruptibility & VMX_INTERRUPTIBILITY_STI))
		vmx->interruptibility = (vmx->interruptibility &
					 ~VMX_INTERRUPTIBILITY_STI) |
					VMX_INTERRUPTIBILITY_MOV_SS;
	vmcs_sync32(vmx, VMCS_GUEST_INTERRUPTIBILITY,
		    &vmx->vmcs_has.interruptibility, vmx->interruptibility);
	sync_pending_bs(vmx, rflags);
	vmcs_syncnat(vmx, VMCS_GUEST_RSP, &vmx->vmcs_has.rsp, vcpu->regs.rsp);
	vmcs_syncnat(vmx, VMCS_GUEST_RIP, &vmx->vmcs_has.rip, vcpu->regs.rip);
	vmcs_syncnat(vmx, VMCS_GUEST_RFLAGS, &vmx->vmcs_has.rflags, rflags);
	vmcs_sync32(vmx, VMCS_PROC_CONTROLS, &vmx->vmcs_has.proc, vmx->proc);
	vmx->entry = vmx_caps.entry;
	efer = vmcs_read64(VMCS_GUEST_IA32_EFER);
	if (efer & VHV_EFER_LMA)
		vmx->entry |= VMX_ENTRY_CTL_IA32E_GUEST;
	/*
	 * Intel's SYSCALL needs SCE (and 64-bit mode): its MSRs only then.
	 * SCE alone decides, not LMA too as in KVM: the guest reaches long
	 * mode by a MOV to CR0 that does not exit, and a SYSCALL there must
	 * not find the host's LSTAR; SCE changes only by an exit.
	 */
	if ((efer & VHV_EFER_SCE) && !vmx->host.syscall_loaded)
		vmx_load_syscall_msrs(vmx);
	/*
	 * Written at every entry, not cached: every exit stores EFER.LMA in
	 * its IA-32e mode guest bit (IA32_VMX_MISC[5]), and the guest changes
	 * LMA without exits.
	 */
	vmcs_write32(VMCS_ENTRY_CONTROLS, vmx->entry);
	if (vmx_caps.preemption_timer)
		vmcs_sync32(vmx, VMCS_PREEMPTION_TIMER,
			    &vmx->vmcs_has.preemption_timer, backstop_ticks);
	guest_cr4 = vmx_guest_cr4(vmx);

	/*
	 * The host's DEBUGCTL to put back after the exit, read with IRQs
	 * off right before entry: perf may have changed it since the vCPU
	 * was loaded (KVM reads it there too).
	 */
	lockdep_assert_irqs_disabled();
	vmx->host_debugctl = get_debugctlmsr();
	flush = l1d_flush != L1D_FLUSH_NONE && l1d_flush_due(vmx);
	if (flush)
		vhv_count(vcpu, VHV_STAT_L1D_FLUSH);
	guest_timing_enter_irqoff();
	vhv_switch_to_guest(vcpu, guest_cr4);
	/* VM entry loads DR7, not DR6: the guest's while it uses DRs. */
	if (vcpu->debug_active)
		set_debugreg(vmx->dr6, 6);
	guest_state_enter_irqoff();
	if (flush && l1d_flush == L1D_FLUSH_MSR)
		native_wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
	else if (flush)
		l1d_flush_sw();
	/* Nor CR2: nothing between here and the entry may fault. */
	if (native_read_cr2() != vmx->cr2)
		native_write_cr2(vmx->cr2);
	failed = vmx_vmenter(&vcpu->regs, vmx->launched, vcpu->msr.spec_ctrl);
	vmx->cr2 = native_read_cr2();
	guest_state_exit_irqoff();
	/*
	 * The exit cleared it: the host's bus-lock detection among others.
	 * Instrumented (an MSR tracepoint): out of the guest-state window,
	 * IRQs still off, where KVM's vmx_vcpu_run does it.
	 */
	if (vmx->host_debugctl)
		update_debugctlmsr(vmx->host_debugctl);
	/*
	 * VMSCAPE: what the guest trained must not steer the VMM; the host
	 * IBPBs on this CPU's next return to user mode.
	 */
	if (cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER))
		this_cpu_write(x86_ibpb_exit_to_user, true);
	if (vcpu->debug_active)
		get_debugreg(vmx->dr6, 6);
	vhv_switch_to_host(vcpu, guest_cr4);

	if (unlikely(failed)) {
		/* A VMfail loads neither MSR list: the host's values back. */
		restore_perf_msrs(vmx);
		smp_store_release(&vcpu->mode, VHV_OUTSIDE_GUEST);
		guest_timing_exit_irqoff();
		local_irq_enable();
		vmx->injected.info = 0;
		return vmfail(vmx);
	}
	vmx->launched = true;
	vmx->relaunched = false;
	vmx->exit_reason = vmcs_read32(VMCS_EXIT_REASON);
	basic = VMX_EXIT_REASON_BASIC(vmx->exit_reason);
	vmx->exit_intr_info = 0;
	if (basic == VMX_EXIT_REASON_EXCEPTION_NMI) {
		vmx->exit_intr_info = vmcs_read32(VMCS_EXIT_INTR_INFO);
		/* The host's NMI and #MC, on the CPU that took them, IRQs off. */
		if (vmx_event_type(vmx->exit_intr_info) == VMX_INTR_TYPE_NMI)
			vmx_host_nmi();
		else if ((vmx->exit_intr_info & VMX_INTR_INFO_VECTOR) == VEC_MC)
			vhv_handle_mce();
	} else if (basic == VMX_EXIT_REASON_MCE_DURING_ENTRY) {
		vhv_handle_mce();
	}
	smp_store_release(&vcpu->mode, VHV_OUTSIDE_GUEST);

	vcpu->regs.rsp = vmcs_readnat(VMCS_GUEST_RSP);
	vcpu->regs.rip = vmcs_readnat(VMCS_GUEST_RIP);
	vcpu->regs.rflags = vmcs_readnat(VMCS_GUEST_RFLAGS);
	vmx->vmcs_has.rsp = vcpu->regs.rsp;
	vmx->vmcs_has.rip = vcpu->regs.rip;
	vmx->vmcs_has.rflags = vcpu->regs.rflags;
	vmx->exit_rip = vcpu->regs.rip;
	vmx->exit_qual = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
	if (!(vmx->exit_reason & VMX_EXIT_REASON_ENTRY_FAILED)) {
		/* Every VM exit clears the valid bit (SDM vol. 3C 25.8.3). */
		vmx->vmcs_has.intr_info = false;
		vmx->interruptibility = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
		vmx->vmcs_has.interruptibility = vmx->interruptibility;
		/* Only where a trap could be there: TF or breakpoints in use. */
		if (((vcpu->regs.rflags & VHV_RFLAGS_TF) || vcpu->debug_active) &&
		    !(vmx->interruptibility & VMX_INTERRUPTIBILITY_MOV_SS) &&
		    pending_dbg_saved_clear(basic, vmx->exit_intr_info) &&
		    vmcs_readnat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS))
			vmcs_writenat(VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
		idt = vmcs_read32(VMCS_IDT_VECTORING_INFO);
		save_interrupted_event(vmx, idt);
	} else {
		vmx->injected.info = 0;
		/* Whatever an entry failure left, as the VMCS holds it. */
		vmx_vmcs_has_reload(vmx);
	}
	vmx->idt_valid = idt & VMX_INTR_INFO_VALID;
	/*
	 * A fault in an IRET that unblocked NMIs (and no event being
	 * delivered): the IRET runs again, and NMIs stay blocked until it
	 * completes (SDM vol. 3C 28.2.3, KVM's vmx_recover_nmi_blocking()).
	 */
	if (!vmx->idt_valid &&
	    ((basic == VMX_EXIT_REASON_EXCEPTION_NMI &&
	      (vmx->exit_intr_info & VMX_INTR_INFO_NMI_UNBLOCKED) &&
	      (vmx->exit_intr_info & VMX_INTR_INFO_VECTOR) != VEC_DF) ||
	     (basic == VMX_EXIT_REASON_EPT_VIOLATION && (vmx->exit_qual & BIT(12)))))
		vmx->interruptibility |= VMX_INTERRUPTIBILITY_NMI;

	/* Host interrupts that made the exit are handled here. */
	local_irq_enable();
	vhv_count(vcpu, VHV_STAT_EXITS);
	local_irq_disable();
	guest_timing_exit_irqoff();
	local_irq_enable();

	return vmx_handle_exit(vmx);
}

/* ---- exits --------------------------------------------------------------------- */

static int skip(struct vmx_vcpu *vmx)
{
	return vhv_skip_insn(&vmx->vcpu);
}

static u8 guest_cpl(void)
{
	return (vmcs_read32(VMCS_GUEST_SS_AR) >> 5) & 3;
}

static int unhandled(struct vmx_vcpu *vmx)
{
	u64 data[3] = { vmx->exit_reason, vmx->exit_qual, vmx->exit_intr_info };

	vhv_count(&vmx->vcpu, VHV_STAT_OTHER);
	return vhv_exit_internal(&vmx->vcpu, VHV_INTERNAL_UNHANDLED_EXIT, 3, data);
}

static int exit_host_event(struct vmx_vcpu *vmx)
{
	vhv_count(&vmx->vcpu, VHV_STAT_HOST_IRQ);
	return 1;
}

/* The guest is in 64-bit mode (IA-32e with CS.L); VMCS loaded. */
static bool guest_mode64(void)
{
	return (vmcs_read64(VMCS_GUEST_IA32_EFER) & VHV_EFER_LMA) &&
	       (vmcs_read32(VMCS_GUEST_CS_AR) & BIT(13));
}

/*
 * #DB and #AC are intercepted only so that a guest cannot make the CPU
 * deliver them to itself forever without an exit (CVE-2015-5307,
 * CVE-2015-8104); #MC belongs to the host (handled at the exit).  A #DB
 * exit leaves DR6 alone and reports its bits in the qualification: they
 * go into the guest's DR6 as the CPU would have put them, and the
 * exception back to the guest, one delivery per exit.
 */
static int exit_db(struct vmx_vcpu *vmx)
{
	/*
	 * ICEBP (INT1) is trap-like but its exit comes on the instruction
	 * itself (an instruction intercept tied to the #DB bit): skip it
	 * first, as KVM does, or the handler returns to INT1 forever.  The
	 * CPU reports the length for a privileged software exception.  A
	 * moved RIP ends any STI/MOV SS shadow at the entry.  Not through
	 * vhv_complete_insn(): ICEBP's own #DB goes before a single-step
	 * trap (KVM skips it the same way).
	 */
	if (vmx_event_type(vmx->exit_intr_info) == VMX_INTR_TYPE_PRIV_SW_EXCEPTION) {
		u64 rip = vmx->vcpu.regs.rip;

		vmx->vcpu.regs.rip = vhv_next_rip(rip,
			rip + vmcs_read32(VMCS_EXIT_INSTRUCTION_LEN), guest_mode64());
	}

	vmx->dr6 = vhv_dr6_after_db(vmx->dr6, vmx->exit_qual, true);
	vmx_queue_exception(&vmx->vcpu, VEC_DB, false, 0, 0);
	return 1;
}

/*
 * An alignment check the guest asked for (CPL 3, CR0.AM and EFLAGS.AC)
 * is its own; so is any #AC where the host does not detect split locks.
 * Otherwise the host's split-lock detection caught the guest: its policy
 * decides (warn and let it go on, or stop the task).
 */
static int exit_ac(struct vmx_vcpu *vmx)
{
	struct vhv_vcpu *vcpu = &vmx->vcpu;
	u32 err = vmcs_read32(VMCS_EXIT_INTR_ERROR_CODE);

	if (!boot_cpu_has(X86_FEATURE_SPLIT_LOCK_DETECT) ||
	    (guest_cpl() == 3 && (vmx_guest_cr0(vmx) & VHV_CR0_AM) &&
	     (vcpu->regs.rflags & VHV_BIT(18)))) {
		vmx_queue_exception(vcpu, VEC_AC, true, err, 0);
		return 1;
	}
	if (handle_guest_split_lock(vcpu->regs.rip))
		return 1;
	return unhandled(vmx);
}

static int exit_exception_nmi(struct vmx_vcpu *vmx)
{
	u32 info = vmx->exit_intr_info;

	if (vmx_event_type(info) == VMX_INTR_TYPE_NMI)
		return exit_host_event(vmx);
	switch (info & VMX_INTR_INFO_VECTOR) {
	case VEC_MC:
		return 1;	/* given to the host at the exit, on its CPU */
	case VEC_DB:
		return exit_db(vmx);
	case VEC_AC:
		return exit_ac(vmx);
	default:
		return unhandled(vmx);
	}
}

static int exit_triple_fault(struct vmx_vcpu *vmx)
{
	return vhv_exit_shutdown(&vmx->vcpu);
}

static int exit_intr_window(struct vmx_vcpu *vmx)
{
	vmx->proc &= ~VMX_PROC_INTR_WINDOW_EXITING;
	vhv_count(&vmx->vcpu, VHV_STAT_IRQ_WINDOW);
	if (!vmx->vcpu.run->request_interrupt_window)
		return 1;	/* a queued EXTINT goes in at the next entry */
	vmx->vcpu.run->exit_reason = VHV_EXIT_IRQ_WINDOW_OPEN;
	return 0;
}

static int exit_nmi_window(struct vmx_vcpu *vmx)
{
	vmx->proc &= ~VMX_PROC_NMI_WINDOW_EXITING;
	return 1;	/* the NMI goes in at the next entry */
}

static int exit_cpuid(struct vmx_vcpu *vmx)
{
	vhv_emulate_cpuid(&vmx->vcpu);
	return skip(vmx);
}

static int exit_hlt(struct vmx_vcpu *vmx)
{
	int r = skip(vmx);

	return r <= 0 ? r : vhv_exit_hlt(&vmx->vcpu);
}

/*
 * INVD: nothing the guest may drop.  WBINVD/WBNOINVD: no device writes to
 * guest memory behind the caches, so there is nothing to write back, and
 * a guest must not flush the host's caches in a loop.
 */
static int exit_nop(struct vmx_vcpu *vmx)
{
	return skip(vmx);
}

static int exit_ud(struct vmx_vcpu *vmx)
{
	vhv_inject_ud(&vmx->vcpu);
	return 1;
}

static int exit_gp(struct vmx_vcpu *vmx)
{
	vhv_inject_gp(&vmx->vcpu);
	return 1;
}

static int exit_vmcall(struct vmx_vcpu *vmx)
{
	int r = skip(vmx);

	return r <= 0 ? r : vhv_exit_hypercall(&vmx->vcpu, guest_cpl());
}

/* ---- control registers ---------------------------------------------------------- */

#define CR0_PAGING_BITS	(VHV_CR0_PG | VHV_CR0_PE | VHV_CR0_WP | VHV_CR0_CD | VHV_CR0_NW)
#define CR4_PAGING_BITS	(VHV_CR4_PSE | VHV_CR4_PAE | VHV_CR4_PGE | VHV_CR4_PCIDE | \
			 VHV_CR4_SMEP | VHV_CR4_SMAP | VHV_CR4_PKE | VHV_CR4_LA57)

/* The bits whose change makes a MOV to CR0/CR4 reload the PDPTEs (SDM 4.4.1). */
#define CR0_PDPTE_BITS	(VHV_CR0_PG | VHV_CR0_CD | VHV_CR0_NW)
#define CR4_PDPTE_BITS	(VHV_CR4_PAE | VHV_CR4_PGE | VHV_CR4_PSE | VHV_CR4_SMEP)
/* Reserved in a present PDPTE below MAXPHYADDR: bits 2:1 and 8:5. */
#define PDPTE_RSVD	0x1e6ull

static bool pae_paging(u64 cr0, u64 cr4, u64 efer)
{
	return (cr0 & VHV_CR0_PG) && (cr4 & VHV_CR4_PAE) && !(efer & VHV_EFER_LMA);
}

/*
 * A guest MOV to CR0, CR3 or CR4 under PAE paging loads the PDPTEs from
 * memory as the CPU does, and, as the CPU does, refuses the MOV with #GP
 * (-EINVAL) when a present one has a reserved bit set, or when the table
 * is not in guest memory (a read there returns all ones).  The caller
 * commits the write, then pdptes_store().
 */
static int pdptes_read(struct vmx_vcpu *vmx, u64 cr3, u64 pdpte[4])
{
	u64 rsvd = PDPTE_RSVD | (~0ull << vhv_limits.phys_bits);
	int i;

	vmx->l1d_flush_due = true;	/* guest memory read: see load_guest_pdptes() */
	if (vhv_read_guest(vmx->vcpu.vm, cr3 & 0xffffffe0ull, pdpte, 4 * sizeof(u64)))
		return -EINVAL;
	for (i = 0; i < 4; i++)
		if ((pdpte[i] & 1) && (pdpte[i] & rsvd))
			return -EINVAL;
	return 0;
}

static void pdptes_store(struct vmx_vcpu *vmx, const u64 pdpte[4])
{
	vmcs_write64(VMCS_GUEST_PDPTE0, pdpte[0]);
	vmcs_write64(VMCS_GUEST_PDPTE1, pdpte[1]);
	vmcs_write64(VMCS_GUEST_PDPTE2, pdpte[2]);
	vmcs_write64(VMCS_GUEST_PDPTE3, pdpte[3]);
	vmx->pdptrs_dirty = false;
}

/*
 * A MOV to CR0 that changed a bit vhv owns (CR0 writes otherwise do not
 * exit): the checks the CPU makes, EFER.LMA as paging starts or stops
 * with EFER.LME set, and the guest's TLB when paging changed.  -EINVAL:
 * #GP.
 */
static int set_cr0(struct vmx_vcpu *vmx, u64 cr0)
{
	u64 old = vmx_guest_cr0(vmx), efer = vmcs_read64(VMCS_GUEST_IA32_EFER);
	u64 cr4 = vmx_guest_cr4(vmx), pdpte[4];
	bool load;

	if (!vhv_mov_to_cr0_ok(old, cr0, cr4, efer, guest_mode64()))
		return -EINVAL;
	/* Paging enabled with LME set is IA-32e: no PDPTEs then. */
	load = pae_paging(cr0, cr4, efer) && !(efer & VHV_EFER_LME) &&
	       ((old ^ cr0) & CR0_PDPTE_BITS);
	if (load && pdptes_read(vmx, vmcs_readnat(VMCS_GUEST_CR3), pdpte))
		return -EINVAL;
	if (!(old & VHV_CR0_PG) && (cr0 & VHV_CR0_PG) && (efer & VHV_EFER_LME))
		vmcs_write64(VMCS_GUEST_IA32_EFER, efer | VHV_EFER_LMA);
	else if ((old & VHV_CR0_PG) && !(cr0 & VHV_CR0_PG) &&
		 (efer & VHV_EFER_LMA))
		vmcs_write64(VMCS_GUEST_IA32_EFER, efer & ~VHV_EFER_LMA);
	vmx_write_cr0(vmx, cr0);
	if (load)
		pdptes_store(vmx, pdpte);
	if ((old ^ cr0) & CR0_PAGING_BITS)
		vmx->flush_vpid = true;
	return 0;
}

static int set_cr4(struct vmx_vcpu *vmx, u64 cr4)
{
	u64 old = vmx_guest_cr4(vmx), efer = vmcs_read64(VMCS_GUEST_IA32_EFER);
	u64 cr3 = vmcs_readnat(VMCS_GUEST_CR3), pdpte[4];
	bool load;

	if (!vhv_mov_to_cr4_ok(old, cr4, cr3, efer, vhv_limits.cr4_valid))
		return -EINVAL;
	load = pae_paging(vmx_guest_cr0(vmx), cr4, efer) &&
	       ((old ^ cr4) & CR4_PDPTE_BITS);
	if (load && pdptes_read(vmx, cr3, pdpte))
		return -EINVAL;
	vmx_write_cr4(vmx, cr4);
	if (load)
		pdptes_store(vmx, pdpte);
	if ((old ^ cr4) & CR4_PAGING_BITS)
		vmx->flush_vpid = true;
	return 0;
}

/*
 * Only when the CPU forces CR3-load exiting on (no TRUE controls).  A MOV
 * that asks to keep the new PCID's TLB entries (bit 63 with CR4.PCIDE)
 * keeps them: the CPU would not flush, and vhv has no reason of its own
 * to (EPT translations do not depend on CR3).  Flushing anyway would be
 * correct but would drop every PCID's entries at each of a PCID guest's
 * context switches, on the emulating L0s that take this path, where a
 * refill is dearest.  Any other MOV to CR3 flushes the VPID: more than
 * the new PCID's entries, which is allowed.
 */
static int set_cr3(struct vmx_vcpu *vmx, u64 val)
{
	u64 cr4 = vmx_guest_cr4(vmx), efer = vmcs_read64(VMCS_GUEST_IA32_EFER);
	u64 cr3, pdpte[4];
	bool load = pae_paging(vmx_guest_cr0(vmx), cr4, efer), noflush;

	if (vhv_mov_to_cr3(val, cr4, efer, vhv_limits.phys_bits, &cr3, &noflush))
		return -EINVAL;
	if (load && pdptes_read(vmx, cr3, pdpte))
		return -EINVAL;
	vmcs_writenat(VMCS_GUEST_CR3, cr3);
	if (load)
		pdptes_store(vmx, pdpte);
	if (!noflush)
		vmx->flush_vpid = true;
	return 0;
}

static int set_cr8(struct vmx_vcpu *vmx, u64 cr8)
{
	if (cr8 & ~0xfull)
		return -EINVAL;
	if (vmx->vcpu.apic)
		vhv_irq_set_cr8(&vmx->vcpu, cr8);
	else
		vmx->cr8 = cr8;
	return 0;
}

/*
 * CR accesses that exit: MOV to CR0/CR4 changing a bit vhv owns, CR8 both
 * ways (no TPR shadow: the guest's TPR is the in-kernel LAPIC's), CR3
 * where the CPU insists, CLTS and LMSW where they touch an owned bit.
 */
static int exit_cr(struct vmx_vcpu *vmx)
{
	struct vhv_vcpu *vcpu = &vmx->vcpu;
	u64 q = vmx->exit_qual, val;
	unsigned int cr = q & 15, gpr = (q >> 8) & 15;
	int r = -EINVAL;

	/* 64-bit operands in 64-bit mode only; 32 bits in compatibility mode. */
	switch ((q >> 4) & 3) {
	case 0:		/* MOV to CR */
		val = vhv_reg_get(&vcpu->regs, gpr, false, 8);
		if (!guest_mode64())
			val = (u32)val;
		if (cr == 0)
			r = set_cr0(vmx, val);
		else if (cr == 3)
			r = set_cr3(vmx, val);
		else if (cr == 4)
			r = set_cr4(vmx, val);
		else if (cr == 8)
			r = set_cr8(vmx, val);
		break;
	case 1:		/* MOV from CR */
		if (cr == 3)
			val = vmcs_readnat(VMCS_GUEST_CR3);
		else if (cr == 8)
			val = vcpu->apic ? vhv_irq_get_cr8(vcpu) : vmx->cr8;
		else
			return unhandled(vmx);
		vhv_reg_set(&vcpu->regs, gpr, false, guest_mode64() ? 8 : 4, val);
		r = 0;
		break;
	case 2:		/* CLTS */
		r = set_cr0(vmx, vmx_guest_cr0(vmx) & ~VHV_CR0_TS);
		break;
	case 3:		/* LMSW: sets PE but never clears it */
		r = set_cr0(vmx, (vmx_guest_cr0(vmx) & ~0xeull) | ((q >> 16) & 0xf));
		break;
	}
	if (r) {
		vhv_inject_gp(vcpu);
		return 1;
	}
	return skip(vmx);
}

/* The guest touched a debug register: give it its own from now on. */
static int exit_dr(struct vmx_vcpu *vmx)
{
	vmx->proc &= ~VMX_PROC_MOV_DR_EXITING;
	vmx->vcpu.debug_active = true;
	return 1;	/* the instruction runs again, natively */
}

static int exit_io(struct vmx_vcpu *vmx)
{
	u64 q = vmx->exit_qual;
	bool string = q & BIT(4);
	u8 addr_size = 0, seg = VHV_SEG_DS;

	/* Sizes 1, 2 and 4 only (0, 1, 3): string I/O divides by it. */
	if ((q & 7) == 2 || (q & 7) > 3)
		return unhandled(vmx);
	/*
	 * INS/OUTS: the address size and OUTS's segment, where the CPU says
	 * (else the decoder reads the prefixes: address size 0).
	 */
	if (string && vmx_caps.ins_outs_info) {
		u32 info = vmcs_read32(VMCS_EXIT_INSTRUCTION_INFO);

		/*
		 * A CPU never reports address size 3 or segment 6/7, but an
		 * emulating L0 might: size 3 would make addr_mask() shift by
		 * 128 and segment 6 or 7 index past seg_base[].
		 */
		if (((info >> 7) & 3) == 3 || ((info >> 15) & 7) > VHV_SEG_GS)
			return unhandled(vmx);
		addr_size = 2 << ((info >> 7) & 3);
		seg = (info >> 15) & 7;
	}
	return vhv_handle_pio(&vmx->vcpu, q >> 16, (q & 7) + 1, q & BIT(3),
			      string, q & BIT(5), addr_size, seg,
			      vmx->vcpu.next_rip);
}

static int exit_rdmsr(struct vmx_vcpu *vmx)
{
	return vhv_handle_msr(&vmx->vcpu, false);
}

static int exit_wrmsr(struct vmx_vcpu *vmx)
{
	return vhv_handle_msr(&vmx->vcpu, true);
}

static int exit_xsetbv(struct vmx_vcpu *vmx)
{
	struct vhv_regs *r = &vmx->vcpu.regs;

	return vhv_handle_xsetbv(&vmx->vcpu, r->rcx,
				 (r->rdx << 32) | (u32)r->rax);
}

static int exit_ept_violation(struct vmx_vcpu *vmx)
{
	struct vhv_vcpu *vcpu = &vmx->vcpu;
	u64 q = vmx->exit_qual;

	/* An access while delivering an event (to the IDT, the stack, a
	 * TSS) is no instruction's: it cannot be emulated as MMIO. */
	vcpu->event_vectoring = vmx->idt_valid;
	vcpu->exit_insn_len = 0;
	/* Bit 7: a linear address was translated; bit 8 clear: a walk of
	 * the guest's page tables, not the access itself. */
	return vhv_mmu_page_fault(vcpu, vmcs_read64(VMCS_GUEST_PHYSICAL_ADDRESS),
				  q & BIT(1), (q & BIT(7)) && !(q & BIT(8)));
}

/* vhv wrote an EPT entry the CPU refuses: a vhv bug, for userspace to see. */
static int exit_ept_misconfig(struct vmx_vcpu *vmx)
{
	u64 data[3] = { vmx->exit_reason,
			vmcs_read64(VMCS_GUEST_PHYSICAL_ADDRESS), 0 };

	return vhv_exit_internal(&vmx->vcpu, VHV_INTERNAL_UNHANDLED_EXIT, 3, data);
}

/*
 * Notify VM exit: the guest went longer than the notify window without
 * an instruction boundary, out of reach of interrupts.  The exit gave the
 * CPU back; the guest goes on.  Qualification bit 0: the exit came where
 * the VMCS may no longer be right, and the vCPU cannot go on; bit 12: an
 * IRET that unblocked NMIs did not complete.
 */
static int exit_notify(struct vmx_vcpu *vmx)
{
	u64 data[2] = { vmx->exit_reason, vmx->exit_qual };

	if (vmx->exit_qual & BIT(0))
		return vhv_exit_internal(&vmx->vcpu, VHV_INTERNAL_UNHANDLED_EXIT,
					 2, data);
	if ((vmx->exit_qual & BIT(12)) && !vmx->idt_valid)
		vmx->interruptibility |= VMX_INTERRUPTIBILITY_NMI;
	return 1;
}

static int exit_task_switch(struct vmx_vcpu *vmx)
{
	return unhandled(vmx);
}

typedef int (*vmx_exit_handler)(struct vmx_vcpu *vmx);

#define R(name)	[VMX_EXIT_REASON_##name]
static const vmx_exit_handler exit_handlers[VMX_EXIT_REASON_COUNT] = {
	R(EXCEPTION_NMI)	= exit_exception_nmi,
	R(EXT_INTR)		= exit_host_event,
	R(TRIPLE_FAULT)		= exit_triple_fault,
	/* INIT and SIPI are the host's (never sent while a guest runs). */
	R(INIT)			= exit_host_event,
	R(SIPI)			= exit_host_event,
	R(IO_SMI)		= exit_host_event,
	R(OTHER_SMI)		= exit_host_event,
	R(INTR_WINDOW)		= exit_intr_window,
	R(NMI_WINDOW)		= exit_nmi_window,
	R(TASK_SWITCH)		= exit_task_switch,
	R(CPUID)		= exit_cpuid,
	R(GETSEC)		= exit_ud,
	R(HLT)			= exit_hlt,
	R(INVD)			= exit_nop,
	R(RDPMC)		= exit_gp,
	R(RSM)			= exit_ud,
	R(VMCALL)		= exit_vmcall,
	R(VMCLEAR)		= exit_ud,
	R(VMLAUNCH)		= exit_ud,
	R(VMPTRLD)		= exit_ud,
	R(VMPTRST)		= exit_ud,
	R(VMREAD)		= exit_ud,
	R(VMRESUME)		= exit_ud,
	R(VMWRITE)		= exit_ud,
	R(VMXOFF)		= exit_ud,
	R(VMXON)		= exit_ud,
	R(CR_ACCESS)		= exit_cr,
	R(DR_ACCESS)		= exit_dr,
	R(IO)			= exit_io,
	R(RDMSR)		= exit_rdmsr,
	R(WRMSR)		= exit_wrmsr,
	R(MWAIT)		= exit_ud,
	R(MONITOR)		= exit_ud,
	R(PAUSE)		= exit_nop,
	R(EPT_VIOLATION)	= exit_ept_violation,
	R(EPT_MISCONFIG)	= exit_ept_misconfig,
	R(INVEPT)		= exit_ud,
	R(PREEMPTION_TIMER)	= exit_host_event,
	R(INVVPID)		= exit_ud,
	R(WBINVD)		= exit_nop,
	R(XSETBV)		= exit_xsetbv,
	R(VMFUNC)		= exit_ud,
	R(ENCLS)		= exit_ud,
	R(INSN_TIMEOUT)		= exit_notify,
};
#undef R

/* Exits caused by an instruction: the CPU reports its length. */
static bool has_insn_len(u32 basic)
{
	switch (basic) {
	case VMX_EXIT_REASON_CPUID ... VMX_EXIT_REASON_WRMSR:
	case VMX_EXIT_REASON_MWAIT:
	case VMX_EXIT_REASON_MONITOR:
	case VMX_EXIT_REASON_PAUSE:
	case VMX_EXIT_REASON_INVEPT:
	case VMX_EXIT_REASON_RDTSCP:
	case VMX_EXIT_REASON_INVVPID:
	case VMX_EXIT_REASON_WBINVD:
	case VMX_EXIT_REASON_XSETBV:
		return true;
	default:
		return false;
	}
}

static int vmx_handle_exit(struct vmx_vcpu *vmx)
{
	struct vhv_vcpu *vcpu = &vmx->vcpu;
	u32 basic = VMX_EXIT_REASON_BASIC(vmx->exit_reason);

	if (!l1d_safe_exit(vmx, basic))
		vmx->l1d_flush_due = true;
	vcpu->next_rip_valid = has_insn_len(basic);
	if (vcpu->next_rip_valid) {
		u64 rip = vcpu->regs.rip;
		u64 next = rip + vmcs_read32(VMCS_EXIT_INSTRUCTION_LEN);

		/* Read CS and EFER only when EIP may have carried past 4 GiB. */
		if ((next >> 32) != (rip >> 32))
			next = vhv_next_rip(rip, next, guest_mode64());
		vcpu->next_rip = next;
	}
	vcpu->exit_insn_len = 0;
	vcpu->event_vectoring = false;
	if (vmx->exit_reason & VMX_EXIT_REASON_ENTRY_FAILED) {
		u32 check = check_entry_state(vmx);

		/* The exit reason (bit 31 set), its qualification above it. */
		return vhv_exit_fail_entry(vcpu, vmx->exit_reason |
					   (vmx->exit_qual << 32),
					   check == VHV_ENTRY_STATE_OK ?
					   VHV_ENTRY_CHECK_HARDWARE : check);
	}
	/* The frequent ones called directly, not through a retpoline. */
	switch (basic) {
	case VMX_EXIT_REASON_CPUID:
		return exit_cpuid(vmx);
	case VMX_EXIT_REASON_IO:
		return exit_io(vmx);
	case VMX_EXIT_REASON_EPT_VIOLATION:
		return exit_ept_violation(vmx);
	case VMX_EXIT_REASON_RDMSR:
		return exit_rdmsr(vmx);
	case VMX_EXIT_REASON_WRMSR:
		return exit_wrmsr(vmx);
	case VMX_EXIT_REASON_HLT:
		return exit_hlt(vmx);
	case VMX_EXIT_REASON_EXT_INTR:
	case VMX_EXIT_REASON_PREEMPTION_TIMER:
		return exit_host_event(vmx);
	case VMX_EXIT_REASON_INTR_WINDOW:
		return exit_intr_window(vmx);
	}
	if (basic < VMX_EXIT_REASON_COUNT &&
	    exit_handlers[vhv_index_nospec(basic, VMX_EXIT_REASON_COUNT)])
		return exit_handlers[vhv_index_nospec(basic, VMX_EXIT_REASON_COUNT)](vmx);
	return unhandled(vmx);
}
