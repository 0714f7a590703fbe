/* SPDX-License-Identifier: GPL-2.0 */
/* Validation of userspace-supplied vCPU register state (portable). */
#ifndef VHV_X86_STATE_CHECK_H
#define VHV_X86_STATE_CHECK_H

#include "../portable.h"
#include "../../uapi/vhv.h"

/* What this host lets a guest set; filled once at module load. */
struct vhv_cpu_limits {
	u64 cr4_valid;
	u64 efer_valid;
	u8 phys_bits;
};

int vhv_check_regs(struct vhv_regs *regs);
int vhv_check_sregs(const struct vhv_sregs *s, const struct vhv_cpu_limits *lim);

#endif /* VHV_X86_STATE_CHECK_H */
