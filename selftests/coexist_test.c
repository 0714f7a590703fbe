// SPDX-License-Identifier: GPL-2.0
/*
 * Coexistence with the distro's KVM: whichever hypervisor holds the CPU's
 * virtualization extensions, the other refuses cleanly (EBUSY, a dmesg line
 * naming the holder on vhv's side) and both work again once it lets go.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/vhv_test.h"

static const char *kvm_vendor_module;

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[256];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

static int kvm_create_vm(void)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, err;

	if (kvm < 0)
		return -1;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	err = errno;
	close(kvm);
	errno = err;
	return vm;
}

static int vhv_create_vm(int sys)
{
	return ioctl(sys, VHV_CREATE_VM, 0);
}

/* dmesg from now on: /dev/kmsg positioned at its end. */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	TEST_REQUIRE(fd >= 0, "open /dev/kmsg");
	lseek(fd, 0, SEEK_END);
	return fd;
}

static bool kmsg_has(int fd, const char *needle)
{
	char rec[1024];
	bool found = false;
	ssize_t n;

	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = 0;
		if (strstr(rec, needle))
			found = true;
	}
	return found;
}

static bool virt_at_load(void)
{
	FILE *f = fopen("/sys/module/kvm/parameters/enable_virt_at_load", "r");
	int c = f ? fgetc(f) : 'N';

	if (f)
		fclose(f);
	return c == 'Y';
}

static bool virt_at_load_exists(void)
{
	return access("/sys/module/kvm/parameters/enable_virt_at_load", F_OK) == 0;
}

static void unload_kvm(void)
{
	tap_result(sh("rmmod %s kvm", kvm_vendor_module) == 0,
		   "KVM unloads (rmmod %s kvm)", kvm_vendor_module);
}

/* KVM says EBUSY (6.1) or EIO (6.12, failing its CPU-online step). */
static void expect_kvm_refused(int kvm_vm, const char *why)
{
	int err = errno;

	tap_result(kvm_vm < 0 && (err == EBUSY || err == EIO),
		   "KVM_CREATE_VM refused while %s (%s)", why,
		   kvm_vm < 0 ? strerror(err) : "it succeeded");
	if (kvm_vm >= 0)
		close(kvm_vm);
}

/* vhv must refuse with EBUSY and say in dmesg who holds the hardware. */
static void expect_vhv_refused(int sys, const char *why)
{
	char needle[64];
	int kmsg = kmsg_open();

	TEST_ERRNO(vhv_create_vm(sys), EBUSY, "VHV_CREATE_VM while %s", why);
	snprintf(needle, sizeof(needle), "by another hypervisor (%s)",
		 kvm_vendor_module);
	tap_result(kmsg_has(kmsg, needle), "dmesg names %s as the holder",
		   kvm_vendor_module);
	close(kmsg);
}

/* KVM loaded first; it holds the hardware only while it has a VM (or,
 * with enable_virt_at_load, from load). */
static void test_kvm_first(int sys)
{
	int kvm_vm, vm;
	bool at_load;

	TEST_REQUIRE(sh("modprobe %s", kvm_vendor_module) == 0,
		     "modprobe %s (vhv.ko loaded, no vhv VM)", kvm_vendor_module);
	tap_result(true, "%s loads while vhv.ko is loaded", kvm_vendor_module);
	at_load = virt_at_load();
	if (at_load) {
		expect_vhv_refused(sys, "KVM enabled virtualization at load");
	} else {
		vm = vhv_create_vm(sys);
		TEST_OK(vm, "VHV_CREATE_VM with %s loaded but idle", kvm_vendor_module);
		close(vm);
	}
	kvm_vm = kvm_create_vm();
	TEST_OK(kvm_vm, "KVM_CREATE_VM works with vhv.ko loaded");
	expect_vhv_refused(sys, "a KVM VM exists");
	close(kvm_vm);
	unload_kvm();
	vm = vhv_create_vm(sys);
	TEST_OK(vm, "VHV_CREATE_VM after KVM unloaded");
	close(vm);
}

/* vhv holds the hardware; KVM must refuse and recover afterwards. */
static void test_vhv_first(int sys)
{
	int vm, kvm_vm, r;

	/* Keep KVM from taking the hardware at load, where it would. */
	TEST_REQUIRE(sh("modprobe kvm") == 0, "modprobe kvm");
	if (virt_at_load_exists())
		TEST_REQUIRE(sh("rmmod kvm && modprobe kvm enable_virt_at_load=0") == 0,
			     "reload kvm with enable_virt_at_load=0");
	r = sh("modprobe %s", kvm_vendor_module);
	TEST_REQUIRE(r == 0, "modprobe %s", kvm_vendor_module);
	vm = vhv_create_vm(sys);
	TEST_OK(vm, "VHV_CREATE_VM with KVM loaded and idle");
	kvm_vm = kvm_create_vm();
	expect_kvm_refused(kvm_vm, "a vhv VM holds the hardware");
	r = ioctl(vm, VHV_CREATE_VCPU, 0);
	TEST_OK(r, "the vhv VM is unaffected by KVM's attempt");
	close(r);
	close(vm);
	kvm_vm = kvm_create_vm();
	TEST_OK(kvm_vm, "KVM_CREATE_VM once the vhv VM is gone");
	close(kvm_vm);
	unload_kvm();
}

/* Loading KVM in its default mode while a vhv VM lives. */
static void test_kvm_load_while_vhv_runs(int sys)
{
	int vm = vhv_create_vm(sys), r;

	TEST_OK(vm, "VHV_CREATE_VM");
	r = sh("modprobe -q %s 2>/dev/null", kvm_vendor_module);
	if (r == 0) {
		tap_result(!virt_at_load(),
			   "%s loads while vhv holds the hardware (it enables lazily)",
			   kvm_vendor_module);
		expect_kvm_refused(kvm_create_vm(), "vhv holds the hardware");
	} else {
		tap_result(virt_at_load_exists(),
			   "%s refuses to load while vhv holds the hardware "
			   "(it enables virtualization at load)", kvm_vendor_module);
	}
	r = ioctl(vm, VHV_CREATE_VCPU, 1);
	TEST_OK(r, "the vhv VM is unaffected");
	close(r);
	close(vm);
	sh("rmmod %s kvm 2>/dev/null", kvm_vendor_module);
	tap_result(access("/sys/module/kvm", F_OK) != 0, "KVM is unloaded again");
}

int main(void)
{
	int sys = vhv_open();

	kvm_vendor_module = vhv_cap(sys, VHV_CAP_VENDOR) == VHV_VENDOR_SVM ?
			    "kvm_amd" : "kvm_intel";
	TEST_REQUIRE(access("/sys/module/kvm", F_OK) != 0,
		     "KVM must not be loaded when this test starts");
	test_kvm_first(sys);
	test_vhv_first(sys);
	test_kvm_load_while_vhv_runs(sys);
	close(sys);
	return tap_done();
}
