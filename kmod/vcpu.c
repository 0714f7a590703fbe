// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU objects: creation, the vCPU fd (ioctls, mmap of the run area), the
 * architectural reset state, and register access.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <asm/fpu/api.h>

#include "vhv.h"
#include "irq/irqchip.h"
#include "irq/state.h"
#include "x86/arch_bits.h"

#define APIC_DEFAULT_BASE	0xfee00000ull

/* The state the x86 architecture defines after RESET (APM 14.1.3). */
static void reset_sregs(struct vhv_sregs *s, bool bsp)
{
	const struct vhv_segment data = {
		.limit = 0xffff, .type = 3, .present = 1, .s = 1,
	};

	memset(s, 0, sizeof(*s));
	s->cs = data;
	s->cs.type = 0xb;
	s->cs.selector = 0xf000;
	s->cs.base = 0xffff0000;
	s->ds = s->es = s->fs = s->gs = s->ss = data;
	s->ldt = (struct vhv_segment) { .limit = 0xffff, .type = 2, .present = 1 };
	s->tr = (struct vhv_segment) { .limit = 0xffff, .type = 0xb, .present = 1 };
	s->gdt.limit = 0xffff;
	s->idt.limit = 0xffff;
	s->cr0 = VHV_CR0_ET | VHV_CR0_NW | VHV_CR0_CD;
	s->apic_base = APIC_DEFAULT_BASE | VHV_APIC_BASE_EN | (bsp ? VHV_APIC_BASE_BSP : 0);
}

/* Back to the architectural RESET state (creation, triple fault). */
void vhv_vcpu_reset(struct vhv_vcpu *vcpu)
{
	struct vhv_sregs s;

	memset(&vcpu->regs, 0, sizeof(vcpu->regs));
	vcpu->regs.rip = 0xfff0;
	vcpu->regs.rflags = VHV_RFLAGS_FIXED1;
	reset_sregs(&s, vcpu->id == 0);
	vcpu->apic_base = s.apic_base;
	vhv_ops->set_sregs(vcpu, &s);
	vcpu->xcr0 = 1;		/* x87 only */
	memset(vcpu->db, 0, sizeof(vcpu->db));	/* DR0-3; the vendor: DR6/DR7 */
	memset(&vcpu->events, 0, sizeof(vcpu->events));
	vhv_pvclock_reset(vcpu);
	vcpu->complete = NULL;
	vcpu->state_dirty = false;
	if (vhv_ops->vcpu_run)
		vhv_ops->clear_events(vcpu);
}

static int vhv_vcpu_run_ioctl(struct vhv_vcpu *vcpu, unsigned long arg)
{
	struct vhv_run *run = vcpu->run;
	u64 pad = 0;

	/* Two loads, not a call to memchr_inv() at every run. */
	BUILD_BUG_ON(sizeof(run->pad_in) > sizeof(pad));
	memcpy(&pad, run->pad_in, sizeof(run->pad_in));
	if (arg || pad)
		return -EINVAL;
	return vhv_vcpu_run(vcpu);
}

/* Vectors whose exceptions push an error code. */
bool vhv_exception_has_error_code(u8 vector)
{
	return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 ||
	       vector == 21 || vector == 29 || vector == 30;
}

static long vcpu_inject_event(struct vhv_vcpu *vcpu, void __user *argp)
{
	struct vhv_pending_events *ev = &vcpu->events;
	struct vhv_event e;

	if (copy_from_user(&e, argp, sizeof(e)))
		return -EFAULT;
	if (e.pad || e.reserved || e.has_error_code > 1 ||
	    (!e.has_error_code && e.error_code))
		return -EINVAL;
	switch (e.type) {
	case VHV_EVENT_EXTINT:
		if (e.vector < 32 || e.has_error_code)
			return -EINVAL;
		if (!vhv_ops->vcpu_run || ev->extint ||
		    !vhv_ops->interrupt_allowed(vcpu))
			return -EBUSY;
		ev->extint = true;
		ev->extint_vector = e.vector;
		return 0;
	case VHV_EVENT_NMI:
		if (e.vector || e.has_error_code)
			return -EINVAL;
		if (ev->nmi)
			return -EBUSY;
		ev->nmi = true;
		return 0;
	case VHV_EVENT_EXCEPTION:
		if (e.vector > 31 || e.vector == 2 ||
		    e.has_error_code != vhv_exception_has_error_code(e.vector))
			return -EINVAL;
		if (ev->exception)
			return -EBUSY;
		ev->exception = true;
		ev->exception_vector = e.vector;
		ev->exception_has_error = e.has_error_code;
		ev->exception_error = e.error_code;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * The vendor's sregs with what vhv keeps itself: the APIC base and, with
 * an irqchip, cr8 as the LAPIC's TPR (the vendor's copy follows it only
 * at the next entry).
 */
void vhv_vcpu_get_sregs(struct vhv_vcpu *vcpu, struct vhv_sregs *s)
{
	vhv_ops->get_sregs(vcpu, s);
	s->apic_base = vcpu->apic_base;
	if (vcpu->apic)
		s->cr8 = vhv_irq_get_cr8(vcpu);
}

static long vcpu_get_sregs(struct vhv_vcpu *vcpu, void __user *argp)
{
	struct vhv_sregs s = {};

	vhv_vcpu_get_sregs(vcpu, &s);
	return copy_to_user(argp, &s, sizeof(s)) ? -EFAULT : 0;
}

static long vcpu_set_sregs(struct vhv_vcpu *vcpu, void __user *argp)
{
	struct vhv_sregs s;
	int r;

	if (copy_from_user(&s, argp, sizeof(s)))
		return -EFAULT;
	r = vhv_check_sregs(&s, &vhv_limits);
	if (r)
		return r;
	if (vcpu->apic) {
		r = vhv_irq_host_set_apic_base(vcpu, s.apic_base);
		if (r)
			return r;
	}
	vhv_ops->set_sregs(vcpu, &s);
	vcpu->apic_base = s.apic_base;
	if (vcpu->apic)		/* with an irqchip the LAPIC's TPR is CR8 */
		vhv_irq_set_cr8(vcpu, s.cr8);
	vcpu->state_dirty = true;	/* checked as a whole before entry */
	return 0;
}

static long vcpu_set_regs(struct vhv_vcpu *vcpu, void __user *argp)
{
	struct vhv_regs regs;
	int r;

	if (copy_from_user(&regs, argp, sizeof(regs)))
		return -EFAULT;
	r = vhv_check_regs(&regs);
	if (!r)
		vcpu->regs = regs;
	return r;
}

static long vcpu_mp_state(struct vhv_vcpu *vcpu, void __user *argp, bool set)
{
	struct vhv_mp_state m = { .state = vcpu->mp_state };

	if (!set)
		return vcpu->apic ? (copy_to_user(argp, &m, sizeof(m)) ? -EFAULT : 0) :
				    -ENXIO;
	if (copy_from_user(&m, argp, sizeof(m)))
		return -EFAULT;
	if (m.pad || m.state > VHV_MP_STATE_WAIT_SIPI)
		return -EINVAL;
	if (!vcpu->apic)
		return -ENXIO;
	vcpu->mp_state = m.state;
	return 0;
}

static long vhv_vcpu_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	struct vhv_vcpu *vcpu = filp->private_data;
	void __user *argp = (void __user *)arg;
	long r;

	if (vcpu->vm->mm != current->mm)
		return -EIO;
	if (mutex_lock_killable(&vcpu->mutex))
		return -EINTR;
	switch (cmd) {
	case VHV_RUN:
		r = vhv_vcpu_run_ioctl(vcpu, arg);
		break;
	case VHV_GET_REGS:
		r = copy_to_user(argp, &vcpu->regs, sizeof(vcpu->regs)) ?
		    -EFAULT : 0;
		break;
	case VHV_SET_REGS:
		r = vcpu_set_regs(vcpu, argp);
		break;
	case VHV_GET_SREGS:
		r = vcpu_get_sregs(vcpu, argp);
		break;
	case VHV_SET_SREGS:
		r = vcpu_set_sregs(vcpu, argp);
		break;
	case VHV_SET_CPUID:
		r = vhv_set_cpuid(vcpu, argp);
		break;
	case VHV_GET_CPUID:
		r = vhv_get_cpuid(vcpu, argp);
		break;
	case VHV_GET_MSRS:
		r = vhv_get_msrs(vcpu, argp);
		break;
	case VHV_SET_MSRS:
		r = vhv_set_msrs(vcpu, argp);
		break;
	case VHV_INJECT_EVENT:
		r = vcpu_inject_event(vcpu, argp);
		break;
	case VHV_GET_VCPU_STATS:
		r = copy_to_user(argp, vcpu->stats, sizeof(vcpu->stats)) ?
		    -EFAULT : 0;
		break;
	case VHV_GET_MP_STATE:
	case VHV_SET_MP_STATE:
		r = vcpu_mp_state(vcpu, argp, cmd == VHV_SET_MP_STATE);
		break;
	case VHV_GET_LAPIC:
		r = vhv_get_lapic(vcpu, argp);
		break;
	case VHV_SET_LAPIC:
		r = vhv_set_lapic(vcpu, argp);
		break;
	case VHV_GET_VCPU_EVENTS:
		r = vhv_get_vcpu_events(vcpu, argp);
		break;
	case VHV_SET_VCPU_EVENTS:
		r = vhv_set_vcpu_events(vcpu, argp);
		break;
	default:
		r = -ENOTTY;
	}
	mutex_unlock(&vcpu->mutex);
	return r;
}

static vm_fault_t vhv_run_fault(struct vm_fault *vmf)
{
	struct vhv_vcpu *vcpu = vmf->vma->vm_file->private_data;
	struct page *page;

	if (vmf->pgoff != 0)
		return VM_FAULT_SIGBUS;
	page = virt_to_page(vcpu->run);
	get_page(page);
	vmf->page = page;
	return 0;
}

static const struct vm_operations_struct vhv_run_vm_ops = {
	.fault = vhv_run_fault,
};

static int vhv_vcpu_mmap(struct file *filp, struct vm_area_struct *vma)
{
	if (vma->vm_pgoff != 0 || vma->vm_end - vma->vm_start > PAGE_SIZE)
		return -EINVAL;
	vma->vm_ops = &vhv_run_vm_ops;
	return 0;
}

static int vhv_vcpu_release(struct inode *inode, struct file *filp)
{
	struct vhv_vcpu *vcpu = filp->private_data;

	vhv_vm_put(vcpu->vm);
	return 0;
}

static const struct file_operations vhv_vcpu_fops = {
	.owner = THIS_MODULE,
	.release = vhv_vcpu_release,
	.unlocked_ioctl = vhv_vcpu_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = vhv_vcpu_mmap,
	.llseek = noop_llseek,
};

static struct vhv_vcpu *vcpu_alloc(struct vhv_vm *vm, u32 id)
{
	struct vhv_vcpu *vcpu;
	int r = -ENOMEM;

	vcpu = kzalloc(vhv_ops->vcpu_size, GFP_KERNEL_ACCOUNT);
	if (!vcpu)
		return ERR_PTR(-ENOMEM);
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->tsc_offset = vm->tsc_offset;
	vcpu->cpu = -1;
	vcpu->mode = VHV_OUTSIDE_GUEST;
	mutex_init(&vcpu->mutex);
	init_waitqueue_head(&vcpu->wq);
	vcpu->run = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vcpu->run)
		goto err_free;
	if (!fpu_alloc_guest_fpstate(&vcpu->fpu))
		goto err_run;
	r = vhv_cpuid_init_vcpu(vcpu);
	if (r)
		goto err_fpu;
	r = vhv_ops->vcpu_create(vcpu);
	if (r)
		goto err_cpuid;
	vhv_vcpu_reset(vcpu);
	atomic_long_inc(&vhv_stats.pages);
	atomic_inc(&vhv_stats.vcpus);
	return vcpu;

err_cpuid:
	vhv_cpuid_free_vcpu(vcpu);
err_fpu:
	fpu_free_guest_fpstate(&vcpu->fpu);
err_run:
	free_page((unsigned long)vcpu->run);
err_free:
	kfree(vcpu);
	return ERR_PTR(r);
}

/* Called when the VM is freed: no fd, mapping or ioctl can reach it. */
void vhv_vcpu_destroy(struct vhv_vcpu *vcpu)
{
	vhv_vlapic_destroy(vcpu);
	vhv_ops->vcpu_free(vcpu);
	vhv_switch_forget(vcpu);
	vhv_mmu_cache_free(&vcpu->mmu_cache);
	vhv_cpuid_free_vcpu(vcpu);
	fpu_free_guest_fpstate(&vcpu->fpu);
	free_page((unsigned long)vcpu->run);
	atomic_long_dec(&vhv_stats.pages);
	atomic_dec(&vhv_stats.vcpus);
	kfree(vcpu);
}

static bool id_taken(struct vhv_vm *vm, u32 id)
{
	u32 i;

	for (i = 0; i < vm->nr_vcpus; i++)
		if (vm->vcpus[i]->id == id)
			return true;
	return false;
}

int vhv_vcpu_create(struct vhv_vm *vm, unsigned long id)
{
	struct vhv_vcpu *vcpu;
	struct file *file;
	int fd, r;

	if (id >= VHV_MAX_VCPU_ID)
		return -EINVAL;
	vcpu = vcpu_alloc(vm, id);
	if (IS_ERR(vcpu))
		return PTR_ERR(vcpu);

	mutex_lock(&vm->lock);
	if (id_taken(vm, id)) {
		r = -EEXIST;
		goto err_unlock;
	}
	if (vm->nr_vcpus >= VHV_MAX_VCPUS) {
		r = -ENOSPC;
		goto err_unlock;
	}
	/* Under the lock VHV_CREATE_IRQCHIP takes: all vCPUs or none. */
	r = vhv_vlapic_create(vcpu);
	if (r)
		goto err_unlock;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		r = fd;
		goto err_unlock;
	}
	file = anon_inode_getfile("vhv-vcpu", &vhv_vcpu_fops, vcpu, O_RDWR);
	if (IS_ERR(file)) {
		r = PTR_ERR(file);
		goto err_fd;
	}
	refcount_inc(&vm->users);
	vm->vcpus[vm->nr_vcpus] = vcpu;
	/* TLB shootdowns read vcpus[] without the lock. */
	smp_store_release(&vm->nr_vcpus, vm->nr_vcpus + 1);
	mutex_unlock(&vm->lock);
	fd_install(fd, file);
	return fd;

err_fd:
	put_unused_fd(fd);
err_unlock:
	mutex_unlock(&vm->lock);
	vhv_vcpu_destroy(vcpu);
	return r;
}
