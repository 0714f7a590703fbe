// SPDX-License-Identifier: GPL-2.0
/*
 * The default backend's rule (vmm_backend_decide(), vmm/backend_pick.c)
 * on made-up probe results: every combination of what /dev/vhv and
 * /dev/kvm offer, for Linux and for a kernel that is not Linux.
 */
#include <errno.h>
#include <grp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "vmm/internal.h"

/* What the probes find. */
static const struct vmm_backend_probe
	vhv_irqchip = { .err = 0, .irqchip = true },
	vhv_plain = { .err = 0, .irqchip = false },
	vhv_absent = { .err = -ENOENT, .why = "/dev/vhv: no such device",
		       .hint = "load vhv.ko: modprobe vhv, or insmod vhv.ko" },
	vhv_denied = { .err = -EACCES, .why = "/dev/vhv: Permission denied",
		       .hint = "join group vhv (usermod -aG vhv $USER; log in again)" },
	vhv_no_run = { .err = -ENOTSUP,
		       .why = "vhv.ko cannot run guests on this host (VHV_CAP_RUN is 0)" },
	vhv_held = { .err = -EBUSY,
		     .why = "/dev/vhv: another hypervisor holds the CPU" },
	kvm_ok = { .err = 0, .irqchip = true },
	kvm_absent = { .err = -ENOENT, .why = "/dev/kvm: no such device",
		       .hint = "load KVM: modprobe kvm_amd or kvm_intel" },
	kvm_denied = { .err = -EACCES, .why = "/dev/kvm: Permission denied",
		       .hint = "join group kvm (usermod -aG kvm $USER; log in again)" };

static void expect(const struct vmm_backend_probe *vhv,
		   const struct vmm_backend_probe *kvm, bool is_linux,
		   enum vmm_backend_kind want, const char *why)
{
	struct vmm_backend_choice c;
	struct vmm_error err = { 0 };

	memset(&c, 0xff, sizeof(c));
	assert_int_equal(vmm_backend_decide(vhv, kvm, is_linux, &c, &err), 0);
	assert_int_equal(c.backend, want);
	assert_string_equal(c.why, why);
	assert_int_equal(err.err, 0);
}

static void expect_none(const struct vmm_backend_probe *vhv,
			const struct vmm_backend_probe *kvm, bool is_linux,
			const char *msg)
{
	struct vmm_backend_choice c;
	struct vmm_error err = { 0 };

	assert_int_equal(vmm_backend_decide(vhv, kvm, is_linux, &c, &err), -ENODEV);
	assert_int_equal(err.err, -ENODEV);
	assert_string_equal(err.msg, msg);
	/* The caller may pass no vmm_error. */
	assert_int_equal(vmm_backend_decide(vhv, kvm, is_linux, &c, NULL), -ENODEV);
}

/* vhv.ko with its irqchip runs everything: it wins whatever KVM offers. */
static void test_vhv_with_irqchip(void **state)
{
	(void)state;
	expect(&vhv_irqchip, &kvm_ok, true, VMM_BACKEND_VHV,
	       "/dev/vhv: runs guests, in-kernel irqchip");
	expect(&vhv_irqchip, &kvm_absent, true, VMM_BACKEND_VHV,
	       "/dev/vhv: runs guests, in-kernel irqchip");
	expect(&vhv_irqchip, &kvm_ok, false, VMM_BACKEND_VHV,
	       "/dev/vhv: runs guests, in-kernel irqchip");
}

/* Without it: Linux goes to KVM, a test kernel stays on vhv. */
static void test_vhv_without_irqchip(void **state)
{
	(void)state;
	expect(&vhv_plain, &kvm_ok, true, VMM_BACKEND_KVM,
	       "vhv.ko has no in-kernel irqchip, which Linux needs");
	expect(&vhv_plain, &kvm_ok, false, VMM_BACKEND_VHV,
	       "/dev/vhv: runs guests; no in-kernel irqchip, which a kernel that is not Linux does not need");
	expect(&vhv_plain, &kvm_absent, false, VMM_BACKEND_VHV,
	       "/dev/vhv: runs guests; no in-kernel irqchip, which a kernel that is not Linux does not need");
	expect_none(&vhv_plain, &kvm_absent, true,
		    "no hypervisor can run this kernel: vhv.ko has no in-kernel irqchip, which Linux needs; /dev/kvm: no such device (load KVM: modprobe kvm_amd or kvm_intel)");
	expect_none(&vhv_plain, &kvm_denied, true,
		    "no hypervisor can run this kernel: vhv.ko has no in-kernel irqchip, which Linux needs; /dev/kvm: Permission denied (join group kvm (usermod -aG kvm $USER; log in again))");
}

/* No usable /dev/vhv: KVM for everything, the reason is vhv's. */
static void test_vhv_unusable(void **state)
{
	(void)state;
	expect(&vhv_absent, &kvm_ok, true, VMM_BACKEND_KVM, "/dev/vhv: no such device");
	expect(&vhv_absent, &kvm_ok, false, VMM_BACKEND_KVM, "/dev/vhv: no such device");
	expect(&vhv_no_run, &kvm_ok, false, VMM_BACKEND_KVM,
	       "vhv.ko cannot run guests on this host (VHV_CAP_RUN is 0)");
	/* KVM that enabled the hardware at load (6.12 on) holds the CPU. */
	expect(&vhv_held, &kvm_ok, true, VMM_BACKEND_KVM,
	       "/dev/vhv: another hypervisor holds the CPU");
	expect(&vhv_held, &kvm_ok, false, VMM_BACKEND_KVM,
	       "/dev/vhv: another hypervisor holds the CPU");
	/* Both tried: each device named, with what to do about it. */
	expect_none(&vhv_absent, &kvm_absent, false,
		    "no hypervisor can run this kernel: /dev/vhv: no such device (load vhv.ko: modprobe vhv, or insmod vhv.ko); /dev/kvm: no such device (load KVM: modprobe kvm_amd or kvm_intel)");
	expect_none(&vhv_no_run, &kvm_denied, true,
		    "no hypervisor can run this kernel: vhv.ko cannot run guests on this host (VHV_CAP_RUN is 0); /dev/kvm: Permission denied (join group kvm (usermod -aG kvm $USER; log in again))");
	expect_none(&vhv_denied, &kvm_absent, true,
		    "no hypervisor can run this kernel: /dev/vhv: Permission denied (join group vhv (usermod -aG vhv $USER; log in again)); /dev/kvm: no such device (load KVM: modprobe kvm_amd or kvm_intel)");
}

/* The advice for each way a device fails to open. */
static void test_advice(void **state)
{
	char buf[96];

	(void)state;
	vmm_backend_advice(VMM_BACKEND_VHV, -ENOENT, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "load vhv.ko: modprobe vhv, or insmod vhv.ko");
	vmm_backend_advice(VMM_BACKEND_VHV, -ENXIO, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "load vhv.ko: modprobe vhv, or insmod vhv.ko");
	vmm_backend_advice(VMM_BACKEND_KVM, -ENODEV, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "load KVM: modprobe kvm_amd or kvm_intel");
	vmm_backend_advice(VMM_BACKEND_VHV, -EACCES, "vhv", buf, sizeof(buf));
	assert_string_equal(buf, "join group vhv (usermod -aG vhv $USER; log in again)");
	vmm_backend_advice(VMM_BACKEND_KVM, -EPERM, "kvm", buf, sizeof(buf));
	assert_string_equal(buf, "join group kvm (usermod -aG kvm $USER; log in again)");
	vmm_backend_advice(VMM_BACKEND_VHV, -EACCES, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "only root may open it: install tools/udev/99-vhv.rules, join group vhv");
	vmm_backend_advice(VMM_BACKEND_KVM, -EACCES, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "only root may open it: a udev rule can let a group (often kvm)");
	/* Nothing a user can act on: no advice rather than a wrong one. */
	memset(buf, 'x', sizeof(buf));
	vmm_backend_advice(VMM_BACKEND_VHV, -EIO, NULL, buf, sizeof(buf));
	assert_string_equal(buf, "");
}

/*
 * The group comes from the node: its owner group when that group may
 * read and write it, else only root may.  A file stands in for the node.
 */
static void test_open_advice_group(void **state)
{
	char path[] = "/tmp/vhv-advice-XXXXXX", buf[96], want[96];
	struct group *gr;
	gid_t gid;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	/* A group that exists with a name (not root), and one that does not. */
	gr = getgrnam("daemon") ? getgrnam("daemon") : getgrnam("nogroup");
	if (!gr) {
		unlink(path);
		skip();
	}
	gid = gr->gr_gid;
	snprintf(want, sizeof(want), "join group %s (usermod -aG %s $USER; log in again)",
		 gr->gr_name, gr->gr_name);
	if (chown(path, -1, gid)) {
		unlink(path);
		skip();		/* not root: cannot give the file away */
	}
	assert_int_equal(chmod(path, 0660), 0);
	vmm_backend_open_advice(VMM_BACKEND_VHV, path, -EACCES, buf, sizeof(buf));
	assert_string_equal(buf, want);
	/* Read but no write for the group: it cannot open it read-write. */
	assert_int_equal(chmod(path, 0640), 0);
	vmm_backend_open_advice(VMM_BACKEND_VHV, path, -EACCES, buf, sizeof(buf));
	assert_string_equal(buf, "only root may open it: install tools/udev/99-vhv.rules, join group vhv");
	/* Group root: nothing to join. */
	assert_int_equal(chmod(path, 0660), 0);
	assert_int_equal(chown(path, -1, 0), 0);
	vmm_backend_open_advice(VMM_BACKEND_KVM, path, -EACCES, buf, sizeof(buf));
	assert_string_equal(buf, "only root may open it: a udev rule can let a group (often kvm)");
	/* A group without a name: its number. */
	assert_int_equal(chown(path, -1, 54321), 0);
	if (!getgrgid(54321)) {
		vmm_backend_open_advice(VMM_BACKEND_VHV, path, -EPERM, buf, sizeof(buf));
		assert_string_equal(buf, "join group 54321 (usermod -aG 54321 $USER; log in again)");
	}
	/* Not a permission problem: the group is not looked at. */
	vmm_backend_open_advice(VMM_BACKEND_VHV, path, -ENOENT, buf, sizeof(buf));
	assert_string_equal(buf, "load vhv.ko: modprobe vhv, or insmod vhv.ko");
	unlink(path);
}

/*
 * The longest real reasons fit whole, advice included (a long group name
 * on both); longer made-up ones are cut, and the cut is shown.
 */
static void test_long_reasons_fit(void **state)
{
	struct vmm_backend_probe vhv = { .err = -EACCES }, kvm = { .err = -EACCES };
	struct vmm_backend_choice c;
	struct vmm_error err;

	(void)state;
	snprintf(vhv.why, sizeof(vhv.why), "/dev/vhv: Permission denied");
	snprintf(kvm.why, sizeof(kvm.why), "/dev/kvm: Permission denied");
	vmm_backend_advice(VMM_BACKEND_VHV, -EACCES, "hypervisors", vhv.hint,
			   sizeof(vhv.hint));
	vmm_backend_advice(VMM_BACKEND_KVM, -EACCES, "hypervisors", kvm.hint,
			   sizeof(kvm.hint));
	assert_int_equal(vmm_backend_decide(&vhv, &kvm, true, &c, &err), -ENODEV);
	assert_int_equal(strlen(err.msg),
			 strlen("no hypervisor can run this kernel: ") +
			 2 * strlen(" ()") + strlen("; ") +
			 strlen(vhv.why) + strlen(vhv.hint) + strlen(kvm.why) +
			 strlen(kvm.hint));
	assert_non_null(strstr(err.msg, "/dev/kvm: Permission denied (join group hypervisors (usermod -aG hypervisors $USER; log in again))"));
	memset(vhv.why, 'v', sizeof(vhv.why) - 1);
	memset(vhv.hint, 'V', sizeof(vhv.hint) - 1);
	memset(kvm.why, 'k', sizeof(kvm.why) - 1);
	memset(kvm.hint, 'K', sizeof(kvm.hint) - 1);
	assert_int_equal(vmm_backend_decide(&vhv, &kvm, true, &c, &err), -ENODEV);
	assert_int_equal(strlen(err.msg), sizeof(err.msg) - 1);
	assert_string_equal(err.msg + sizeof(err.msg) - 4, "...");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vhv_with_irqchip),
		cmocka_unit_test(test_vhv_without_irqchip),
		cmocka_unit_test(test_vhv_unusable),
		cmocka_unit_test(test_long_reasons_fit),
		cmocka_unit_test(test_advice),
		cmocka_unit_test(test_open_advice_group),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
