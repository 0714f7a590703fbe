// SPDX-License-Identifier: GPL-2.0
/*
 * Turns the CPUs' virtualization extensions on while at least one VM exists
 * and off when the last one goes, following CPU hotplug, suspend/resume and
 * reboot/kexec.
 *
 * The kernel's emergency (crash) callback is deliberately left alone: it has
 * a single slot that kvm_amd/kvm_intel claim, and taking it would make KVM
 * and vhv WARN at each other.  A crash kexec with a live VM therefore leaves
 * the extensions on in the crashed kernel's CPUs.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/smp.h>

#include "compat.h"
#include "vhv.h"

/*
 * vhv_hw_users changes only with both cpus_read_lock() and vhv_hw_lock held,
 * so hotplug callbacks (which run under the hotplug write lock) read it
 * without taking vhv_hw_lock.
 */
static DEFINE_MUTEX(vhv_hw_lock);
static unsigned int vhv_hw_users;
bool vhv_rebooting;		/* written under vhv_hw_lock */
static enum cpuhp_state vhv_cpuhp_state;
static DEFINE_PER_CPU(bool, vhv_cpu_enabled);

struct enable_result {
	atomic_t failed;	/* 0 until the first failure is recorded */
	int cpu;
	int err;
};

static void enable_this_cpu(void *info)
{
	struct enable_result *res = info;
	int r;

	if (__this_cpu_read(vhv_cpu_enabled))
		return;
	r = vhv_ops->enable_cpu();
	if (!r) {
		__this_cpu_write(vhv_cpu_enabled, true);
		return;
	}
	if (atomic_cmpxchg(&res->failed, 0, 1) == 0) {
		res->cpu = smp_processor_id();
		res->err = r;
	}
}

static void disable_this_cpu(void *unused)
{
	if (!__this_cpu_read(vhv_cpu_enabled))
		return;
	vhv_ops->disable_cpu();
	__this_cpu_write(vhv_cpu_enabled, false);
}

/* Best effort at naming the hypervisor that holds the hardware. */
static const char *other_hypervisor(void)
{
	static const char *const known[] = {
		"kvm_amd", "kvm_intel", "vboxdrv", "vmmon", "vmx_vmm",
	};
	struct kset *modules = THIS_MODULE->mkobj.kobj.kset;
	unsigned int i;

	for (i = 0; modules && i < ARRAY_SIZE(known); i++) {
		struct kobject *kobj = kset_find_obj(modules, known[i]);

		if (kobj) {
			kobject_put(kobj);
			return known[i];
		}
	}
	return "not identified: no known hypervisor module is loaded";
}

static int enable_all(void)
{
	struct enable_result res = { .failed = ATOMIC_INIT(0) };

	on_each_cpu(enable_this_cpu, &res, 1);
	if (!atomic_read(&res.failed))
		return 0;

	on_each_cpu(disable_this_cpu, NULL, 1);
	/* Rate-limited: vhv-run's backend probe meets it on purpose. */
	if (res.err == -EBUSY)
		pr_warn_ratelimited("vhv: %s is already enabled on CPU %d by another hypervisor (%s); VM creation refused\n",
				    vhv_ops->vendor == VHV_VENDOR_SVM ? "AMD-V" : "VT-x",
				    res.cpu, other_hypervisor());
	else
		pr_err("vhv: enabling %s on CPU %d failed: %d\n",
		       vhv_ops->name, res.cpu, res.err);
	return res.err;
}

static void disable_all(void)
{
	on_each_cpu(disable_this_cpu, NULL, 1);
}

/* Once set, stays set: the host is going down; no guest runs again. */
int vhv_hw_get(void)
{
	int r = 0;

	cpus_read_lock();
	mutex_lock(&vhv_hw_lock);
	if (vhv_rebooting)
		r = -EBUSY;
	else if (vhv_hw_users == 0)
		r = enable_all();
	if (!r)
		vhv_hw_users++;
	mutex_unlock(&vhv_hw_lock);
	cpus_read_unlock();
	return r;
}

void vhv_hw_put(void)
{
	cpus_read_lock();
	mutex_lock(&vhv_hw_lock);
	if (!WARN_ON_ONCE(!vhv_hw_users) && --vhv_hw_users == 0 &&
	    !vhv_rebooting)
		disable_all();
	mutex_unlock(&vhv_hw_lock);
	cpus_read_unlock();
}

static int vhv_cpu_online(unsigned int cpu)
{
	struct enable_result res = { .failed = ATOMIC_INIT(0) };
	unsigned long flags;

	if (!vhv_hw_users)
		return 0;
	local_irq_save(flags);
	enable_this_cpu(&res);
	local_irq_restore(flags);
	if (atomic_read(&res.failed))
		pr_err("vhv: CPU %u coming online cannot enable %s (%d)\n",
		       cpu, vhv_ops->name, res.err);
	return res.err;
}

static int vhv_cpu_offline(unsigned int cpu)
{
	unsigned long flags;

	local_irq_save(flags);
	disable_this_cpu(NULL);
	local_irq_restore(flags);
	return 0;
}

/*
 * Reboot and kexec: turn virtualization off everywhere before the next
 * kernel or the firmware runs; VMs still open stay refused from now on.
 */
static int vhv_reboot_notify(struct notifier_block *nb, unsigned long code,
			     void *unused)
{
	mutex_lock(&vhv_hw_lock);
	WRITE_ONCE(vhv_rebooting, true);
	mutex_unlock(&vhv_hw_lock);
	on_each_cpu(disable_this_cpu, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block vhv_reboot_nb = {
	.notifier_call = vhv_reboot_notify,
	.priority = 0,
};

/* Suspend runs on the last online CPU with IRQs off; so does resume. */
static int vhv_suspend(VHV_SYSCORE_ARG)
{
	disable_this_cpu(NULL);
	return 0;
}

static void vhv_resume(VHV_SYSCORE_ARG)
{
	struct enable_result res = { .failed = ATOMIC_INIT(0) };

	if (vhv_hw_users)
		enable_this_cpu(&res);
	if (atomic_read(&res.failed))
		pr_err("vhv: re-enabling %s on resume failed (%d)\n",
		       vhv_ops->name, res.err);
}

VHV_SYSCORE(vhv_syscore, vhv_suspend, vhv_resume);

int vhv_hw_init(void)
{
	int r;

	r = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "vhv:online",
				      vhv_cpu_online, vhv_cpu_offline);
	if (r < 0)
		return r;
	vhv_cpuhp_state = r;
	r = register_reboot_notifier(&vhv_reboot_nb);
	if (r)
		goto err_cpuhp;
	vhv_register_syscore(vhv_syscore);
	return 0;

err_cpuhp:
	cpuhp_remove_state_nocalls(vhv_cpuhp_state);
	return r;
}

/* Only called once no VM exists (every VM fd holds a module reference). */
void vhv_hw_exit(void)
{
	vhv_unregister_syscore(vhv_syscore);
	unregister_reboot_notifier(&vhv_reboot_nb);
	cpuhp_remove_state_nocalls(vhv_cpuhp_state);
	WARN_ON_ONCE(vhv_hw_users);
}
