// SPDX-License-Identifier: GPL-2.0
/*
 * The default backend's rule (vmm_backend_pick() in libvmm.h), on what
 * the probes found: pure, so that every case is unit-tested with made-up
 * probe results (selftests/unit/test_backend_pick.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm/internal.h"

static void choose(struct vmm_backend_choice *c, enum vmm_backend_kind kind,
		   const char *why)
{
	c->backend = kind;
	snprintf(c->why, sizeof(c->why), "%s", why);
}

int vmm_backend_decide(const struct vmm_backend_probe *vhv,
		       const struct vmm_backend_probe *kvm, bool is_linux,
		       struct vmm_backend_choice *c, struct vmm_error *err)
{
	/* Why vhv cannot run this kernel, if it cannot. */
	const char *vhv_no = vhv->err ? vhv->why :
			     is_linux && !vhv->irqchip ?
			     "vhv.ko has no in-kernel irqchip, which Linux needs" :
			     NULL;

	if (!vhv_no) {
		choose(c, VMM_BACKEND_VHV, vhv->irqchip ?
		       "/dev/vhv: runs guests, in-kernel irqchip" :
		       "/dev/vhv: runs guests; no in-kernel irqchip, which a kernel that is not Linux does not need");
		return 0;
	}
	if (!kvm->err) {
		choose(c, VMM_BACKEND_KVM, vhv_no);
		return 0;
	}
	if (err) {
		err->err = -ENODEV;
		snprintf(err->msg, sizeof(err->msg),
			 "no hypervisor can run this kernel: %s; %s (load vhv.ko or kvm_amd/kvm_intel, and check that you may open the device)",
			 vhv_no, kvm->why);
	}
	return -ENODEV;
}
