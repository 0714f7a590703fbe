/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels vhv builds against, found by probing the
 * headers (Kbuild sets VHV_HAVE_* flags), never by version numbers:
 * distributions backport interfaces.
 */
#ifndef VHV_COMPAT_H
#define VHV_COMPAT_H

#ifdef __ASSEMBLY__

#include <asm/nospec-branch.h>

/*
 * UNTRAIN_RET_VM (the SRSO series) untrains RET or does the IBPB the host
 * chose for VM exits.  Kernels without it run, in KVM, UNTRAIN_RET and
 * then an IBPB under X86_FEATURE_IBPB_ON_VMEXIT: the same, with one IBPB
 * when both features ask for it.
 */
#ifndef UNTRAIN_RET_VM
.macro VHV_UNTRAIN_RET_VM
#if defined(CONFIG_CPU_UNRET_ENTRY) || defined(CONFIG_CPU_IBPB_ENTRY) || \
	defined(CONFIG_CPU_SRSO)
	ANNOTATE_UNRET_END
	CALL_UNTRAIN_RET
	ALTERNATIVE_2 "", "call entry_ibpb", X86_FEATURE_ENTRY_IBPB, \
		      "call entry_ibpb", X86_FEATURE_IBPB_ON_VMEXIT
#endif
.endm
#define UNTRAIN_RET_VM	VHV_UNTRAIN_RET_VM
#endif

/*
 * CLEAR_BRANCH_HISTORY_VMEXIT (the BHI series) clears the branch history
 * after a VM exit where the host chose that mitigation.  A kernel without
 * it has no such mitigation to apply.
 */
#ifndef VHV_HAVE_CLEAR_BHB_VMEXIT
.macro CLEAR_BRANCH_HISTORY_VMEXIT
.endm
#endif

#else /* !__ASSEMBLY__ */

#include <linux/syscore_ops.h>

/* syscore callbacks took no argument until struct syscore arrived. */
#ifdef VHV_HAVE_STRUCT_SYSCORE
#define VHV_SYSCORE_ARG	void *data
#define VHV_SYSCORE(name, suspend_fn, resume_fn)			\
	static const struct syscore_ops name##_ops = {			\
		.suspend = suspend_fn, .resume = resume_fn,		\
	};								\
	static struct syscore name = { .ops = &name##_ops }
#define vhv_register_syscore(name)	register_syscore(&(name))
#define vhv_unregister_syscore(name)	unregister_syscore(&(name))
#else
#define VHV_SYSCORE_ARG	void
#define VHV_SYSCORE(name, suspend_fn, resume_fn)			\
	static struct syscore_ops name = {				\
		.suspend = suspend_fn, .resume = resume_fn,		\
	}
#define vhv_register_syscore(name)	register_syscore_ops(&(name))
#define vhv_unregister_syscore(name)	unregister_syscore_ops(&(name))
#endif

/* eventfd_signal() lost its count argument (always 1 for vhv) in 6.8. */
#ifdef VHV_HAVE_EVENTFD_SIGNAL_NO_COUNT
#define vhv_eventfd_signal(ctx)	eventfd_signal(ctx)
#else
#define vhv_eventfd_signal(ctx)	eventfd_signal(ctx, 1)
#endif

#endif /* __ASSEMBLY__ */

#endif /* VHV_COMPAT_H */
