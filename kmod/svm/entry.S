/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SVM world switch.  Called with IRQs off and GIF clear, so nothing can
 * observe the guest's FS/GS/TR/syscall MSRs on this CPU in between.
 *
 * Speculation hygiene follows the host kernel's own __svm_vcpu_run
 * (arch/x86/kvm/svm/vmenter.S), with its macros, whose alternatives the
 * host patched for this CPU's bugs and its chosen mitigations.
 */
#include <linux/linkage.h>
#include <asm/asm.h>
#include <asm/msr-index.h>
#include <asm/nospec-branch.h>
#include <asm/percpu.h>

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

/* Stack slots below the callee-saved registers. */
#define S_VMCB	0
#define S_HOST	8
#define S_REGS	16
#define S_SPEC	24
#define S_SIZE	32

/*
 * SPEC_CTRL is switched here, not in C, because between the guest's value
 * and VMRUN, and between #VMEXIT and the host's value, the CPU speculates
 * under the other side's settings: no RET or indirect branch may run
 * there.  With V_SPEC_CTRL the CPU switches it itself (APM 15.34.5).
 * The MSR is written only when the values differ: WRMSR is slow.
 */
.macro GUEST_SPEC_CTRL
	ALTERNATIVE_2 "", "jmp 800f", X86_FEATURE_MSR_SPEC_CTRL, \
		      "", X86_FEATURE_V_SPEC_CTRL
801:
.endm
.macro GUEST_SPEC_CTRL_BODY
800:	mov	S_SPEC(%rsp), %rax
	cmp	PER_CPU_VAR(x86_spec_ctrl_current), %rax
	je	801b
	mov	%rax, %rdx
	shr	$32, %rdx
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	wrmsr
	jmp	801b
.endm

/*
 * The MSR bitmap intercepts SPEC_CTRL, so the guest's value at #VMEXIT is
 * still the one loaded above: no RDMSR to save it.  Needs the host's GS.
 */
.macro HOST_SPEC_CTRL
	ALTERNATIVE_2 "", "jmp 900f", X86_FEATURE_MSR_SPEC_CTRL, \
		      "", X86_FEATURE_V_SPEC_CTRL
901:
.endm
.macro HOST_SPEC_CTRL_BODY
900:	mov	PER_CPU_VAR(x86_spec_ctrl_current), %rax
	cmp	S_SPEC(%rsp), %rax
	je	901b
	mov	%rax, %rdx
	shr	$32, %rdx
	mov	$MSR_IA32_SPEC_CTRL, %ecx
	wrmsr
	jmp	901b
.endm

.text

/*
 * void svm_vmrun(u64 vmcb_pa, struct vhv_regs *regs, u64 host_area_pa,
 *		  u64 guest_spec_ctrl)
 *
 * Saves the host's VMSAVE state to host_area_pa, loads the guest's from the
 * VMCB, runs the guest, and puts everything back.  RAX, RSP, RIP and RFLAGS
 * travel in the VMCB; the other GPRs in *regs.
 */
SYM_FUNC_START(svm_vmrun)
	push	%rbp
	mov	%rsp, %rbp
	push	%r15
	push	%r14
	push	%r13
	push	%r12
	push	%rbx
	push	%rcx
	push	%rsi
	push	%rdx
	push	%rdi

	mov	%rdx, %rax
1:	vmsave	%rax
2:
	/* Clobbers RAX, RCX, RDX.  Last: GS must still be the host's. */
	GUEST_SPEC_CTRL

	mov	S_VMCB(%rsp), %rax
3:	vmload	%rax
4:
	mov	S_REGS(%rsp), %rsi
	mov	R_RCX(%rsi), %rcx
	mov	R_RDX(%rsi), %rdx
	mov	R_RBX(%rsi), %rbx
	mov	R_RBP(%rsi), %rbp
	mov	R_RDI(%rsi), %rdi
	mov	R_R8(%rsi),  %r8
	mov	R_R9(%rsi),  %r9
	mov	R_R10(%rsi), %r10
	mov	R_R11(%rsi), %r11
	mov	R_R12(%rsi), %r12
	mov	R_R13(%rsi), %r13
	mov	R_R14(%rsi), %r14
	mov	R_R15(%rsi), %r15
	mov	R_RSI(%rsi), %rsi

	/* Host data must not reach the guest through CPU buffers (TSA). */
	VM_CLEAR_CPU_BUFFERS

	/*
	 * With V_INTR_MASKING the host's IF at VMRUN decides whether host
	 * interrupts exit the guest: set it.  GIF is clear, so nothing is
	 * delivered here; the exit's interrupt waits for STGI.  Not right
	 * before VMRUN: the STI shadow would cover it and pass into the
	 * guest's interrupt state.
	 */
	sti
	mov	S_VMCB(%rsp), %rax
5:	vmrun	%rax
6:	cli
	mov	S_REGS(%rsp), %rax
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

	mov	S_VMCB(%rsp), %rax
7:	vmsave	%rax
8:	mov	S_HOST(%rsp), %rax
	/* Brings back the host's GS base, so per-CPU data can be read. */
9:	vmload	%rax
10:

	/* Before any RET: the guest's return predictions must not steer the host's. */
	FILL_RETURN_BUFFER %rax, RSB_CLEAR_LOOPS, X86_FEATURE_RSB_VMEXIT

	/* Clobbers RAX, RCX, RDX. */
	HOST_SPEC_CTRL

	/*
	 * Retbleed/SRSO: untrain RET (or IBPB) before the first RET and
	 * before IRQs are enabled, as interrupt returns to the kernel do not
	 * sanitize it.  Clobbers RAX, RCX, RDX.
	 */
	UNTRAIN_RET_VM

	/*
	 * Leave no guest value in any register, even those reloaded from the
	 * stack below: a cache miss there could let speculation use them.
	 */
	xor	%ecx, %ecx
	xor	%edx, %edx
	xor	%ebx, %ebx
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

	add	$S_SIZE, %rsp
	pop	%rbx
	pop	%r12
	pop	%r13
	pop	%r14
	pop	%r15
	pop	%rbp
	RET

	GUEST_SPEC_CTRL_BODY
	HOST_SPEC_CTRL_BODY

	/*
	 * A fault on an SVM instruction means SVM was turned off under a
	 * running vCPU (the reboot path does that): skip it and carry on.
	 */
	_ASM_EXTABLE(1b, 2b)
	_ASM_EXTABLE(3b, 4b)
	_ASM_EXTABLE(5b, 6b)
	_ASM_EXTABLE(7b, 8b)
	_ASM_EXTABLE(9b, 10b)
SYM_FUNC_END(svm_vmrun)
