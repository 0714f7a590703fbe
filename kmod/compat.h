/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels vhv builds against, found by probing the
 * headers (Kbuild sets VHV_HAVE_* flags), never by version numbers:
 * distributions backport interfaces.
 */
#ifndef VHV_COMPAT_H
#define VHV_COMPAT_H

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

#endif /* VHV_COMPAT_H */
