// SPDX-License-Identifier: GPL-2.0
/*
 * The default backend's rule (vmm_backend_pick() in libvmm.h), on what
 * the probes found: pure, so that every case is unit-tested with made-up
 * probe results (selftests/unit/test_backend_pick.c); and what to tell a
 * user whose device does not open, which only looks at the device node.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "vmm/internal.h"

void vmm_backend_advice(enum vmm_backend_kind kind, int err, const char *group,
			char *buf, size_t len)
{
	bool vhv = kind == VMM_BACKEND_VHV;

	switch (-err) {
	case ENOENT:	/* no node: the module is not loaded */
	case ENODEV:	/* a node without its driver */
	case ENXIO:
		snprintf(buf, len, "%s", vhv ?
			 "load vhv.ko: modprobe vhv, or insmod vhv.ko" :
			 "load KVM: modprobe kvm_amd or kvm_intel");
		break;
	case EACCES:
	case EPERM:
		if (group)
			snprintf(buf, len, "join group %s (usermod -aG %s $USER; log in again)",
				 group, group);
		else
			snprintf(buf, len, "%s", vhv ?
				 "only root may open it: install tools/udev/99-vhv.rules, join group vhv" :
				 "only root may open it: a udev rule can let a group (often kvm)");
		break;
	default:
		*buf = 0;
	}
}

void vmm_backend_open_advice(enum vmm_backend_kind kind, const char *path,
			     int err, char *buf, size_t len)
{
	struct group gr, *found = NULL;
	const char *group = NULL;
	char names[1024], gid[16];
	struct stat st;

	/* A group may open the node only with both read and write. */
	if ((err == -EACCES || err == -EPERM) && !stat(path, &st) &&
	    st.st_gid && (st.st_mode & (S_IRGRP | S_IWGRP)) == (S_IRGRP | S_IWGRP)) {
		if (!getgrgid_r(st.st_gid, &gr, names, sizeof(names), &found) &&
		    found) {
			group = found->gr_name;
		} else {
			snprintf(gid, sizeof(gid), "%u", (unsigned int)st.st_gid);
			group = gid;
		}
	}
	vmm_backend_advice(kind, err, group, buf, len);
}

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
	/* Both devices tried: each with why not, and what to do about it. */
	if (err) {
		bool vhv_hint = vhv->err && *vhv->hint, kvm_hint = *kvm->hint;
		size_t max = sizeof(err->msg);

		err->err = -ENODEV;
		/* Real reasons fit; a cut one says so rather than mislead. */
		if (snprintf(err->msg, max,
			     "no hypervisor can run this kernel: %s%s%s%s; %s%s%s%s",
			     vhv_no, vhv_hint ? " (" : "", vhv_hint ? vhv->hint : "",
			     vhv_hint ? ")" : "", kvm->why, kvm_hint ? " (" : "",
			     kvm_hint ? kvm->hint : "", kvm_hint ? ")" : "") >= (int)max)
			memcpy(err->msg + max - 4, "...", 4);
	}
	return -ENODEV;
}
