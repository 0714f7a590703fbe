// SPDX-License-Identifier: GPL-2.0
/*
 * vhv.ko entry: picks the vendor backend, registers /dev/vhv and answers the
 * system ioctls (API version, capabilities, VM creation).
 */
#include <linux/device.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <asm/cpufeature.h>
#include <asm/fpu/xcr.h>
#include <asm/processor.h>

#include "vhv.h"
#include "x86/arch_bits.h"

const struct vhv_vendor_ops *vhv_ops;
struct vhv_cpu_limits vhv_limits;
u64 vhv_host_xcr0;
struct vhv_stats vhv_stats;

static long vhv_dev_ioctl(struct file *filp, unsigned int cmd,
			  unsigned long arg)
{
	switch (cmd) {
	case VHV_GET_API_VERSION:
		return arg ? -EINVAL : VHV_API_VERSION;
	case VHV_CHECK_CAP:
		return vhv_check_cap(arg);
	case VHV_CREATE_VM:
		return vhv_vm_create(arg);
	case VHV_GET_VCPU_MMAP_SIZE:
		return arg ? -EINVAL : PAGE_SIZE;
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vhv_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = vhv_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

/* /sys/class/misc/vhv/{vms,vcpus,memslots,pages}: live objects. */
#define VHV_STAT_ATTR(field, read)					\
static ssize_t field##_show(struct device *dev,				\
			    struct device_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%ld\n", (long)read(&vhv_stats.field));	\
}									\
static DEVICE_ATTR_RO(field)

VHV_STAT_ATTR(vms, atomic_read);
VHV_STAT_ATTR(vcpus, atomic_read);
VHV_STAT_ATTR(memslots, atomic_read);
VHV_STAT_ATTR(pages, atomic_long_read);

static struct attribute *vhv_stat_attrs[] = {
	&dev_attr_vms.attr,
	&dev_attr_vcpus.attr,
	&dev_attr_memslots.attr,
	&dev_attr_pages.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vhv_stat);

static struct miscdevice vhv_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "vhv",
	.fops = &vhv_dev_fops,
	.groups = vhv_stat_groups,
	.mode = 0600,
};

static const struct vhv_vendor_ops *pick_vendor(void)
{
	switch (boot_cpu_data.x86_vendor) {
	case X86_VENDOR_AMD:
	case X86_VENDOR_HYGON:
		return &svm_vendor_ops;
	case X86_VENDOR_INTEL:
	case X86_VENDOR_CENTAUR:
	case X86_VENDOR_ZHAOXIN:
		return &vmx_vendor_ops;
	default:
		return NULL;
	}
}

static int check_vendor_ops(const struct vhv_vendor_ops *ops)
{
	bool exec = ops->vcpu_run != NULL;

#define VHV_VENDOR_OP(ret, op, args)					\
	if (!ops->op) {							\
		pr_err("vhv: %s backend lacks mandatory op " #op "\n",	\
		       ops->name);					\
		return -EINVAL;						\
	}
#define VHV_VENDOR_OP_OPTIONAL(ret, op, args)
#define VHV_VENDOR_OP_EXEC(ret, op, args)				\
	if (!ops->op != !exec) {					\
		pr_err("vhv: %s backend: op " #op " must come with vcpu_run\n", \
		       ops->name);					\
		return -EINVAL;						\
	}
#include "vendor_ops.h"
	return 0;
}

/* Generic limits; the vendor narrows them in hardware_setup. */
static void init_limits(struct vhv_cpu_limits *lim)
{
	lim->cr4_valid = VHV_CR4_BASELINE;
	if (boot_cpu_has(X86_FEATURE_UMIP))
		lim->cr4_valid |= VHV_CR4_UMIP;
	if (boot_cpu_has(X86_FEATURE_LA57))
		lim->cr4_valid |= VHV_CR4_LA57;
	if (boot_cpu_has(X86_FEATURE_FSGSBASE))
		lim->cr4_valid |= VHV_CR4_FSGSBASE;
	if (boot_cpu_has(X86_FEATURE_PCID))
		lim->cr4_valid |= VHV_CR4_PCIDE;
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		lim->cr4_valid |= VHV_CR4_OSXSAVE;
	if (boot_cpu_has(X86_FEATURE_SMEP))
		lim->cr4_valid |= VHV_CR4_SMEP;
	if (boot_cpu_has(X86_FEATURE_SMAP))
		lim->cr4_valid |= VHV_CR4_SMAP;
	if (boot_cpu_has(X86_FEATURE_PKU))
		lim->cr4_valid |= VHV_CR4_PKE;
	lim->efer_valid = VHV_EFER_SCE | VHV_EFER_LME | VHV_EFER_LMA;
	if (boot_cpu_has(X86_FEATURE_NX))
		lim->efer_valid |= VHV_EFER_NXE;
	lim->phys_bits = min_t(u8, boot_cpu_data.x86_phys_bits,
			       VHV_MAX_GUEST_PHYS_BITS);
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		vhv_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
}

static int __init vhv_init(void)
{
	const struct vhv_vendor_ops *ops = pick_vendor();
	int r;

	if (!ops) {
		pr_err("vhv: CPU vendor %u has no vhv backend\n",
		       boot_cpu_data.x86_vendor);
		return -ENODEV;
	}
	r = check_vendor_ops(ops);
	if (r)
		return r;
	init_limits(&vhv_limits);
	r = ops->hardware_setup(&vhv_limits);
	if (r)
		return r;
	vhv_ops = ops;
	r = vhv_cpuid_setup();
	if (r)
		goto err_unsetup;
	vhv_preempt_notifiers_init();
	r = vhv_hw_init();
	if (r)
		goto err_cpuid;
	/* Last: once /dev/vhv exists, everything it reaches must be ready. */
	r = misc_register(&vhv_dev);
	if (r)
		goto err_hw;
	pr_info("vhv: ready on %s (ABI v%d)\n", ops->name, VHV_API_VERSION);
	return 0;

err_hw:
	vhv_hw_exit();
err_cpuid:
	vhv_preempt_notifiers_exit();
	vhv_cpuid_cleanup();
err_unsetup:
	ops->hardware_unsetup();
	return r;
}

static void __exit vhv_exit(void)
{
	misc_deregister(&vhv_dev);
	vhv_hw_exit();
	vhv_preempt_notifiers_exit();
	vhv_cpuid_cleanup();
	vhv_ops->hardware_unsetup();
}

module_init(vhv_init);
module_exit(vhv_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("vhv: a hypervisor for Linux on AMD-V and VT-x");
MODULE_VERSION(VHV_MODULE_VERSION);
