/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The VMX world switch.  Called with IRQs off; the VMCS holds everything
 * but the GPRs other than RSP (in struct vhv_regs) and SPEC_CTRL.
 *
 * Speculation hygiene follows the host kernel's own __vmx_vcpu_run
 * (arch/x86/kvm/vmx/vmenter.S), with its macros, whose alternatives the
 * host patched for this CPU's bugs and its chosen mitigations.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>
#include <asm/unwind_hints.h>

#include "../compat.h"

/* Offsets in struct vhv_regs (uapi/vhv.h; the static asserts pin them). */
#define R_RAX	0
#define R_RBX	8
#define R_RCX	16
#define R_RDX	24
#define R_RSI	32
#define R_RDI	40
#define R_RBP	56
#define R_R8	64
#define R_R9	72
#define R_R10	80
#define R_R11	88
#define R_R12	96
#define R_R13	104
#define R_R14	112
#define R_R15	120

/* Stack slots below the callee-saved registers; HOST_RSP points at S_REGS. */
#define S_REGS		0
#define S_LAUNCHED	8
#define S_SPEC		16
#define S_SIZE		24

#define VMCS_HOST_RSP	0x6c14	/* vmcs.h */

/*
 * SPEC_CTRL is switched here, not in C, because between the guest's value
 * and the entry, and between the exit and the host's value, the CPU
 * speculates under the other side's settings: no RET or indirect branch
 * may run there.  The MSR bitmap intercepts SPEC_CTRL, so the guest's
 * value at the exit is still the one loaded: no RDMSR to save it.  Both
 * need the host's GS (per-CPU data); clobber RAX, RCX, RDX.
 */
.macro GUEST_SPEC_CTRL
	ALTERNATIVE "jmp 801f", "", X86_FEATURE_MSR_SPEC_CTRL
	mov	S_SPEC(%rsp), %rax
	cmp	PER_CPU_VAR(x86_spec_ctrl_current), %rax
	je	801f
	mov	%rax, %rdx
	shr	$32, %rdx
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	wrmsr
	/* VM entry serializes: no LFENCE needed before it. */
801:
.endm

/*
 * With IBRS as the kernel's Spectre v2 mitigation the host value is
 * written back whatever the guest's was (an exit does not restore the
 * IBRS protection the write gives); then LFENCE, so that no later branch
 * runs ahead of it, as KVM's vmx_spec_ctrl_restore_host() does.
 */
.macro HOST_SPEC_CTRL
	ALTERNATIVE "jmp 901f", "", X86_FEATURE_MSR_SPEC_CTRL
	mov	PER_CPU_VAR(x86_spec_ctrl_current), %rax
	ALTERNATIVE "", "jmp 902f", X86_FEATURE_KERNEL_IBRS
	cmp	S_SPEC(%rsp), %rax
	je	900f
902:	mov	%rax, %rdx
	shr	$32, %rdx
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	wrmsr
900:	lfence
901:
.endm

.text

/*
 * int vmx_vmenter(struct vhv_regs *regs, u64 launched, u64 guest_spec_ctrl)
 *
 * VMRESUME if launched, else VMLAUNCH.  Returns 0 after a VM exit (which
 * lands at vmx_vmexit, the VMCS's HOST_RIP, with RSP as written to
 * HOST_RSP here), 1 when the instruction failed (VMfail, or a fault
 * because VMX was turned off under the vCPU by the reboot path).
 */
SYM_FUNC_START(vmx_vmenter)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rdx
	push	%rsi
	push	%rdi

	/* Clobbers RAX, RCX, RDX.  No RET or indirect branch after it. */
	GUEST_SPEC_CTRL

	mov	$VMCS_HOST_RSP, %eax
1:	vmwrite	%rsp, %rax
	/* A failure here means no current VMCS: so will the entry fail. */

	mov	S_REGS(%rsp), %rax
	mov	R_RCX(%rax), %rcx
	mov	R_RDX(%rax), %rdx
	mov	R_RBX(%rax), %rbx
	mov	R_RBP(%rax), %rbp
	mov	R_RSI(%rax), %rsi
	mov	R_RDI(%rax), %rdi
	mov	R_R8(%rax),  %r8
	mov	R_R9(%rax),  %r9
	mov	R_R10(%rax), %r10
	mov	R_R11(%rax), %r11
	mov	R_R12(%rax), %r12
	mov	R_R13(%rax), %r13
	mov	R_R14(%rax), %r14
	mov	R_R15(%rax), %r15
	mov	R_RAX(%rax), %rax

	/* CF = launched: VERW below clobbers ZF only. */
	btq	$0, S_LAUNCHED(%rsp)

	/*
	 * Host data must not reach the guest through CPU buffers (MDS, TAA,
	 * MMIO stale data, RFDS).  Those mitigations set CLEAR_CPU_BUF; the
	 * kernel's own VM_CLEAR_CPU_BUFFERS keys on CLEAR_CPU_BUF_VM, which
	 * the Debian 6.1 and 6.12 kernels set only for AMD's TSA (KVM's VMX
	 * entry there uses CLEAR_CPU_BUFFERS): VERW where either is set.
	 */
	ALTERNATIVE_2 "jmp .Lskip_verw", "", X86_FEATURE_CLEAR_CPU_BUF, \
		      "", X86_FEATURE_CLEAR_CPU_BUF_VM
	verw x86_verw_sel(%rip)
.Lskip_verw:

	jnc	.Lvmlaunch
	UNWIND_HINT_SAVE
.Lvmresume:
	vmresume
	jmp	.Lvmfail
.Lvmlaunch:
	vmlaunch
	jmp	.Lvmfail

	_ASM_EXTABLE(.Lvmresume, .Lvmfail)
	_ASM_EXTABLE(.Lvmlaunch, .Lvmfail)
	_ASM_EXTABLE(1b, 2f)

SYM_INNER_LABEL_ALIGN(vmx_vmexit, SYM_L_GLOBAL)
	UNWIND_HINT_RESTORE
	ENDBR
	push	%rax
	mov	S_REGS + 8(%rsp), %rax
	popq	R_RAX(%rax)
	mov	%rcx, R_RCX(%rax)
	mov	%rdx, R_RDX(%rax)
	mov	%rbx, R_RBX(%rax)
	mov	%rbp, R_RBP(%rax)
	mov	%rsi, R_RSI(%rax)
	mov	%rdi, R_RDI(%rax)
	mov	%r8,  R_R8(%rax)
	mov	%r9,  R_R9(%rax)
	mov	%r10, R_R10(%rax)
	mov	%r11, R_R11(%rax)
	mov	%r12, R_R12(%rax)
	mov	%r13, R_R13(%rax)
	mov	%r14, R_R14(%rax)
	mov	%r15, R_R15(%rax)
	xor	%ebx, %ebx

.Lclear_regs:
	/*
	 * Leave no guest value in any register, even those reloaded from the
	 * stack below: a cache miss there could let speculation use them.
	 * RBX holds the return value.
	 */
	xor	%eax, %eax
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%ebp, %ebp
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r8d, %r8d
	xor	%r9d, %r9d
	xor	%r10d, %r10d
	xor	%r11d, %r11d
	xor	%r12d, %r12d
	xor	%r13d, %r13d
	xor	%r14d, %r14d
	xor	%r15d, %r15d

	/* Before any RET: the guest's return predictions must not steer the host's. */
	FILL_RETURN_BUFFER %rcx, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT, \
			   X86_FEATURE_RSB_VMEXIT_LITE

	/* Clobbers RAX, RCX, RDX. */
	HOST_SPEC_CTRL

	/* BHI: the guest's branch history must not steer the host's. */
	CLEAR_BRANCH_HISTORY_VMEXIT

	mov	%rbx, %rax
	add	$S_SIZE, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

.Lvmfail:
	mov	$1, %ebx
	jmp	.Lclear_regs

	/* The VMWRITE faulted (VMX off): the entry faults too, and fails. */
2:	jmp	.Lvmfail
SYM_FUNC_END(vmx_vmenter)
