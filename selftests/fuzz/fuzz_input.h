/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the program-driven harnesses share: their input read front to back
 * (zeros once it runs out, so every input is a whole program), and CHECK,
 * which aborts on a broken invariant so that libFuzzer keeps the input.
 */
#ifndef SELFTESTS_FUZZ_FUZZ_INPUT_H
#define SELFTESTS_FUZZ_FUZZ_INPUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: %s\n",			\
				__FILE__, __LINE__, #cond);		\
			abort();					\
		}							\
	} while (0)

struct input {
	const uint8_t *p;
	size_t left;
};

static inline void take(struct input *in, void *buf, size_t n)
{
	size_t k = n < in->left ? n : in->left;

	memcpy(buf, in->p, k);
	memset((uint8_t *)buf + k, 0, n - k);
	in->p += k;
	in->left -= k;
}

#define FUZZ_TAKE(bits)							\
	static inline uint##bits##_t take##bits(struct input *in)	\
	{								\
		uint##bits##_t v;					\
									\
		take(in, &v, sizeof(v));				\
		return v;						\
	}
FUZZ_TAKE(8)
FUZZ_TAKE(16)
FUZZ_TAKE(32)
FUZZ_TAKE(64)
#undef FUZZ_TAKE

#endif /* SELFTESTS_FUZZ_FUZZ_INPUT_H */
