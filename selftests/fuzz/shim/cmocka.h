/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the unit tests' fakes (selftests/unit/fake_vmm.c, virtio_drv.c) use
 * of cmocka, for harnesses that link them under libFuzzer: a failed check
 * aborts, which the fuzzer reports as a crash with its input.
 */
#ifndef SELFTESTS_FUZZ_SHIM_CMOCKA_H
#define SELFTESTS_FUZZ_SHIM_CMOCKA_H

#include <stdio.h>
#include <stdlib.h>

#define fail_msg(...)							\
	do {								\
		fprintf(stderr, "%s:%d: ", __FILE__, __LINE__);		\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	} while (0)
#define assert_true(c)		do { if (!(c)) fail_msg("%s", #c); } while (0)
#define assert_false(c)		assert_true(!(c))
#define assert_non_null(p)	assert_true((p) != NULL)
#define assert_int_equal(a, b)	assert_true((long long)(a) == (long long)(b))
#define assert_int_not_equal(a, b) assert_true((long long)(a) != (long long)(b))
#define assert_ptr_equal(a, b)	assert_true((const void *)(a) == (const void *)(b))

#endif /* SELFTESTS_FUZZ_SHIM_CMOCKA_H */
