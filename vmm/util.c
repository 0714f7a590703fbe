// SPDX-License-Identifier: GPL-2.0
/*
 * Small helpers the loaders and the kernel cache share; kept apart from
 * the rest of libvmm so unit tests and the loader fuzzers link them alone
 * (the fuzzers check the loaders against the real guest-memory bounds).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "vmm/internal.h"

int vmm_fail(char *why, size_t why_len, int err, const char *msg)
{
	snprintf(why, why_len, "%s", msg);
	return err;
}

ssize_t vmm_pread_full(int fd, void *buf, size_t len, off_t off)
{
	uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, p + done, len - done, off + done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			break;		/* end of file */
		done += n;
	}
	return done;
}

void *vmm_guest_ptr(struct vmm_vm *vm, uint64_t gpa, uint64_t len)
{
	uint64_t end;

	if (!len)
		len = 1;
	if (__builtin_add_overflow(gpa, len, &end))
		return NULL;
	if (end <= vm->low_size)
		return (uint8_t *)vm->ram + gpa;
	if (gpa >= VMM_HIGH_RAM_START &&
	    end - VMM_HIGH_RAM_START <= vm->high_size)
		return (uint8_t *)vm->ram + vm->low_size +
		       (gpa - VMM_HIGH_RAM_START);
	return NULL;
}
