// SPDX-License-Identifier: GPL-2.0
/*
 * The default backend's rule (vmm_backend_decide(), vmm/backend_pick.c)
 * on made-up probe results: every combination of what /dev/vhv and
 * /dev/kvm offer, for Linux and for a kernel that is not Linux.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vmm/internal.h"

/* What the probes find. */
static const struct vmm_backend_probe
	vhv_irqchip = { .err = 0, .irqchip = true },
	vhv_plain = { .err = 0, .irqchip = false },
	vhv_absent = { .err = -ENOENT, .why = "/dev/vhv: no such device" },
	vhv_no_run = { .err = -ENOTSUP,
		       .why = "vhv.ko cannot run guests on this host (VHV_CAP_RUN is 0)" },
	vhv_held = { .err = -EBUSY,
		     .why = "/dev/vhv: another hypervisor holds the CPU" },
	kvm_ok = { .err = 0, .irqchip = true },
	kvm_absent = { .err = -ENOENT, .why = "/dev/kvm: no such device" },
	kvm_denied = { .err = -EACCES, .why = "/dev/kvm: Permission denied" };

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
		    "no hypervisor can run this kernel: vhv.ko has no in-kernel irqchip, which Linux needs; /dev/kvm: no such device (load vhv.ko or kvm_amd/kvm_intel, and check that you may open the device)");
	expect_none(&vhv_plain, &kvm_denied, true,
		    "no hypervisor can run this kernel: vhv.ko has no in-kernel irqchip, which Linux needs; /dev/kvm: Permission denied (load vhv.ko or kvm_amd/kvm_intel, and check that you may open the device)");
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
	expect_none(&vhv_absent, &kvm_absent, false,
		    "no hypervisor can run this kernel: /dev/vhv: no such device; /dev/kvm: no such device (load vhv.ko or kvm_amd/kvm_intel, and check that you may open the device)");
	expect_none(&vhv_no_run, &kvm_denied, true,
		    "no hypervisor can run this kernel: vhv.ko cannot run guests on this host (VHV_CAP_RUN is 0); /dev/kvm: Permission denied (load vhv.ko or kvm_amd/kvm_intel, and check that you may open the device)");
}

/* The longest reasons still fit the message, the advice included. */
static void test_long_reasons_fit(void **state)
{
	struct vmm_backend_probe vhv = { .err = -ENOTSUP }, kvm = { .err = -ENOTSUP };
	struct vmm_backend_choice c;
	struct vmm_error err;

	(void)state;
	memset(vhv.why, 'v', sizeof(vhv.why) - 1);
	memset(kvm.why, 'k', sizeof(kvm.why) - 1);
	assert_int_equal(vmm_backend_decide(&vhv, &kvm, true, &c, &err), -ENODEV);
	assert_non_null(strstr(err.msg, "check that you may open the device)"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vhv_with_irqchip),
		cmocka_unit_test(test_vhv_without_irqchip),
		cmocka_unit_test(test_vhv_unusable),
		cmocka_unit_test(test_long_reasons_fit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
