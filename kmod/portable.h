/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lets the module's pure-logic files (no kernel APIs) compile both into
 * vhv.ko and into userspace unit tests and fuzzers.
 */
#ifndef VHV_PORTABLE_H
#define VHV_PORTABLE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/errno.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <linux/types.h>
typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s8 s8;
typedef __s16 s16;
typedef __s32 s32;
typedef __s64 s64;
#endif

#define VHV_BIT(n)	(1ull << (n))

/*
 * Compile-time checks that work in expressions, in the kernel and in
 * userspace alike.  VHV_IS_CONSTEXPR(x) is 1 when x is an integer constant
 * expression (a null pointer constant then makes the conditional's type
 * int *, otherwise void *), 0 otherwise, and never evaluates x.
 * VHV_ASSERT_ZERO(cond, tag) is 0, or fails to compile when cond is a
 * non-zero constant, with "tag" in the compiler's message (a bit-field of
 * negative width).
 */
#define VHV_IS_CONSTEXPR(x) \
	(sizeof(int) == sizeof(*(8 ? ((void *)((long)(x) * 0l)) : (int *)8)))
#define VHV_ASSERT_ZERO(cond, tag) \
	(0 * (int)sizeof(struct { int tag : 1 - 2 * !!(cond); }))

/*
 * An index a guest chose, checked against n by a branch: clamped under
 * speculation too, so a mispredicted check cannot read or write past the
 * array (Spectre v1).  Only the kernel needs it.
 */
#ifdef __KERNEL__
#include <linux/nospec.h>
#define vhv_index_nospec(i, n)	array_index_nospec(i, n)
#else
#define vhv_index_nospec(i, n)	(i)
#endif

#endif /* VHV_PORTABLE_H */
