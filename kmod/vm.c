// SPDX-License-Identifier: GPL-2.0
/*
 * VM objects: creation from /dev/vhv, the VM fd and its ioctls, and the
 * reference counting that frees a VM after its fd and all its vCPU fds close.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/msr.h>

#include "vhv.h"
#include "irq/irqchip.h"

long vhv_check_cap(unsigned long cap)
{
	switch (cap) {
	case VHV_CAP_NR_VCPUS:
		return VHV_MAX_VCPUS;
	case VHV_CAP_MAX_VCPU_ID:
		return VHV_MAX_VCPU_ID;
	case VHV_CAP_NR_MEMSLOTS:
		return VHV_MAX_MEMSLOTS;
	case VHV_CAP_READONLY_MEM:
		return 1;
	case VHV_CAP_VENDOR:
		return vhv_ops->vendor;
	case VHV_CAP_RUN:
		return vhv_ops->vcpu_run != NULL;
	case VHV_CAP_GUEST_PHYS_BITS:
		return vhv_limits.phys_bits;
	case VHV_CAP_HYPERCALL_CPL:
		return vhv_ops->vcpu_run != NULL;
	case VHV_CAP_IRQFD:
	case VHV_CAP_IOEVENTFD:
		return vhv_ops->vcpu_run != NULL;
	case VHV_CAP_IRQCHIP:
		/*
		 * Not yet: VMMs read 1 as "Linux boots here", and the HPET
		 * and state save/restore are still to come.
		 * The ioctls work; the selftests use them directly.
		 */
		return 0;
	default:
		return 0;
	}
}

static void ack_flush(void *unused)
{
	/* The IPI itself forced the target out of the guest. */
}

/*
 * Every vCPU of the VM flushes its second-level TLB entries before it next
 * runs guest code; those in the guest now are kicked out and waited for.
 */
void vhv_vm_flush_tlbs(struct vhv_vm *vm)
{
	u32 i, n = smp_load_acquire(&vm->nr_vcpus);

	/*
	 * IRQs stay on: a CPU spinning here must still answer the IPI of
	 * another CPU that holds the lock and waits for it.
	 */
	spin_lock(&vm->flush_lock);
	cpumask_clear(vm->flush_cpus);
	for (i = 0; i < n; i++) {
		struct vhv_vcpu *vcpu = vm->vcpus[i];
		int cpu;

		set_bit(VHV_REQ_TLB_FLUSH, &vcpu->requests);
		/* Pairs with the vCPU setting mode, then reading requests. */
		smp_mb__after_atomic();
		cpu = READ_ONCE(vcpu->cpu);
		if (READ_ONCE(vcpu->mode) == VHV_IN_GUEST && cpu >= 0)
			cpumask_set_cpu(cpu, vm->flush_cpus);
	}
	/* Not this CPU: smp_call_function_many() skips the caller. */
	smp_call_function_many(vm->flush_cpus, ack_flush, NULL, true);
	spin_unlock(&vm->flush_lock);
}

static void vhv_vm_destroy(struct vhv_vm *vm)
{
	u32 i;

	vhv_mmu_destroy(vm);
	/* irqfds inject into the irqchip: gone before it goes. */
	vhv_irqfds_destroy(vm);
	vhv_ioeventfd_free(vm);
	/* Its timer delivers to the vCPUs: stopped before they go. */
	vhv_irqchip_destroy(vm);
	for (i = 0; i < vm->nr_vcpus; i++)
		vhv_vcpu_destroy(vm->vcpus[i]);
	vhv_memslots_free(vm);
	vhv_msr_filter_free(vm);
	free_cpumask_var(vm->flush_cpus);
	cleanup_srcu_struct(&vm->srcu);
	mmdrop(vm->mm);
	kfree(vm);
	atomic_dec(&vhv_stats.vms);
	vhv_hw_put();
}

void vhv_vm_put(struct vhv_vm *vm)
{
	if (refcount_dec_and_test(&vm->users))
		vhv_vm_destroy(vm);
}

static int vhv_vm_release(struct inode *inode, struct file *filp)
{
	vhv_vm_put(filp->private_data);
	return 0;
}

static long vhv_vm_ioctl(struct file *filp, unsigned int cmd,
			 unsigned long arg)
{
	struct vhv_vm *vm = filp->private_data;
	struct vhv_memory_slot slot;

	/* Memory slots name the creator's address space; no other may act. */
	if (vm->mm != current->mm)
		return -EIO;

	switch (cmd) {
	case VHV_CHECK_CAP:
		return vhv_check_cap(arg);
	case VHV_SET_MEMORY_SLOT:
		if (copy_from_user(&slot, (void __user *)arg, sizeof(slot)))
			return -EFAULT;
		return vhv_set_memory_slot(vm, &slot);
	case VHV_DELETE_MEMORY_SLOT:
		return vhv_delete_memory_slot(vm, arg);
	case VHV_CREATE_VCPU:
		return vhv_vcpu_create(vm, arg);
	case VHV_SET_MSR_FILTER:
		return vhv_set_msr_filter(vm, (void __user *)arg);
	case VHV_CREATE_IRQCHIP:
		return arg ? -EINVAL : vhv_irqchip_create(vm);
	case VHV_IRQ_LINE:
		return vhv_irq_line(vm, (void __user *)arg);
	case VHV_SIGNAL_MSI:
		return vhv_signal_msi(vm, (void __user *)arg);
	case VHV_IRQFD:
		return vhv_irqfd(vm, (void __user *)arg);
	case VHV_IOEVENTFD:
		return vhv_ioeventfd(vm, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations vhv_vm_fops = {
	.owner = THIS_MODULE,
	.release = vhv_vm_release,
	.unlocked_ioctl = vhv_vm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct vhv_vm *vhv_vm_alloc(void)
{
	struct vhv_vm *vm;
	int r;

	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm)
		return ERR_PTR(-ENOMEM);
	r = -ENOMEM;
	refcount_set(&vm->users, 1);
	/* The guest's TSCs start near 0, together. */
	vm->tsc_offset = -rdtsc();
	mutex_init(&vm->lock);
	vhv_irqfds_init(vm);
	spin_lock_init(&vm->flush_lock);
	if (!zalloc_cpumask_var(&vm->flush_cpus, GFP_KERNEL_ACCOUNT))
		goto err_free;
	r = init_srcu_struct(&vm->srcu);
	if (r)
		goto err_cpumask;
	r = vhv_memslots_init(vm);
	if (r)
		goto err_srcu;
	mmgrab(current->mm);
	vm->mm = current->mm;
	if (vhv_ops->vcpu_run) {
		r = vhv_mmu_init(vm);
		if (r)
			goto err_mm;
	}
	return vm;

err_mm:
	mmdrop(vm->mm);
	vhv_memslots_free(vm);
err_srcu:
	cleanup_srcu_struct(&vm->srcu);
err_cpumask:
	free_cpumask_var(vm->flush_cpus);
err_free:
	kfree(vm);
	return ERR_PTR(r);
}

int vhv_vm_create(unsigned long type)
{
	struct vhv_vm *vm;
	struct file *file;
	int fd, r;

	if (type)
		return -EINVAL;
	r = vhv_hw_get();
	if (r)
		return r;
	vm = vhv_vm_alloc();
	if (IS_ERR(vm)) {
		vhv_hw_put();
		return PTR_ERR(vm);
	}
	atomic_inc(&vhv_stats.vms);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto err_vm;
	}
	file = anon_inode_getfile("vhv-vm", &vhv_vm_fops, vm, O_RDWR);
	if (IS_ERR(file)) {
		r = PTR_ERR(file);
		goto err_fd;
	}
	/* From here the file owns the VM's first reference. */
	fd_install(fd, file);
	return fd;

err_fd:
	put_unused_fd(fd);
err_vm:
	vhv_vm_destroy(vm);
	return r;
}
