// SPDX-License-Identifier: GPL-2.0
/*
 * Work the kernel does on the guest's behalf at an exit: fetching and
 * completing instructions (RIP past them, and the single-step trap after
 * them), emulating MMIO accesses (with the portable decoder and emulator in
 * x86/), and port I/O, handing each device access to userspace through the
 * run area and finishing it on the next VHV_RUN.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/uaccess.h>

#include "vhv.h"
#include "irq/irqchip.h"
#include "x86/walk.h"

#define VEC_DB	1
#define VEC_UD	6
#define VEC_GP	13
#define VEC_PF	14

void vhv_inject_gp(struct vhv_vcpu *vcpu)
{
	vhv_ops->queue_exception(vcpu, VEC_GP, true, 0, 0);
}

void vhv_inject_ud(struct vhv_vcpu *vcpu)
{
	vhv_ops->queue_exception(vcpu, VEC_UD, false, 0, 0);
}

static int walk_read_gpa(void *ctx, u64 gpa, void *buf, unsigned int len)
{
	return vhv_read_guest(ctx, gpa, buf, len) ? -EFAULT : 0;
}

/*
 * Linear address to guest-physical for an emulated access.  Returns 0, or
 * 1 when the guest was given a fault (#PF/#GP) and the exit is done, or
 * the result of an internal-error exit (0) with *stop set.
 */
static int translate_opt(struct vhv_vcpu *vcpu, const struct vhv_cpu_state *st,
			 u64 linear, u32 access, u64 *gpa, bool *stop,
			 bool inject)
{
	struct vhv_walk_env env = {
		.cr0 = st->cr0, .cr3 = st->cr3, .cr4 = st->cr4,
		.efer = st->efer, .cpl = st->cpl,
		.phys_bits = vhv_limits.phys_bits,
		.read_gpa = walk_read_gpa, .ctx = vcpu->vm,
	};
	u32 pf_error;
	int r;

	*stop = false;
	if (st->cpl == 3)
		access |= VHV_PF_USER;
	r = vhv_walk(&env, linear, access, gpa, &pf_error);
	if (r && !inject) {
		*stop = true;
		return -EAGAIN;
	}
	switch (r) {
	case 0:
		return 0;
	case -EFAULT:
		vhv_ops->queue_exception(vcpu, VEC_PF, true, pf_error, linear);
		*stop = true;
		return 1;
	case -EINVAL:
		vhv_inject_gp(vcpu);
		*stop = true;
		return 1;
	default:
		*stop = true;
		return vhv_exit_internal(vcpu, VHV_INTERNAL_GUEST_MEMORY, 1, gpa);
	}
}

static int translate(struct vhv_vcpu *vcpu, const struct vhv_cpu_state *st,
		     u64 linear, u32 access, u64 *gpa, bool *stop)
{
	return translate_opt(vcpu, st, linear, access, gpa, stop, true);
}

/*
 * Up to VHV_INSN_MAX_LEN bytes at CS:RIP, stopping where the mapping or RAM
 * ends after the first page.  Returns 0, -EAGAIN when the guest was given a
 * fault on the first page, or -EIO after an internal-error exit.
 */
int vhv_fetch_insn(struct vhv_vcpu *vcpu, u8 *bytes, unsigned int *len)
{
	struct vhv_cpu_state st;
	u64 linear, gpa = 0;
	unsigned int got = 0, chunk;
	bool stop;
	int r;

	vhv_ops->get_cpu_state(vcpu, &st);
	linear = st.seg_base[VHV_SEG_CS] + vcpu->regs.rip;
	if (st.mode != VHV_MODE_64)
		linear &= 0xffffffffull;
	while (got < VHV_INSN_MAX_LEN) {
		/* Only the first page may fault: the instruction may end before
		 * the second. */
		r = translate_opt(vcpu, &st, linear + got, VHV_PF_FETCH, &gpa,
				  &stop, got == 0);
		if (stop) {
			if (got)
				break;
			return r == 1 ? -EAGAIN : -EIO;
		}
		chunk = min_t(unsigned int, VHV_INSN_MAX_LEN - got,
			      PAGE_SIZE - ((linear + got) & (PAGE_SIZE - 1)));
		if (vhv_read_guest(vcpu->vm, gpa, bytes + got, chunk))
			break;
		got += chunk;
	}
	if (!got) {
		vhv_exit_internal(vcpu, VHV_INTERNAL_GUEST_MEMORY, 1, &gpa);
		return -EIO;
	}
	*len = got;
	return 0;
}

/* ---- completing instructions ------------------------------------------------ */

/*
 * Whether the guest runs with RFLAGS.TF set: the CPU then takes a
 * single-step trap after each instruction, and after each iteration of a
 * REP string instruction.  vhv has no guest-debug ABI; one that steps the
 * guest for userspace (KVM_GUESTDBG_SINGLESTEP) would take precedence here,
 * with an exit instead of the guest's #DB, as in KVM's
 * kvm_vcpu_do_singlestep().
 */
/*
 * The trap as the CPU takes it at the instruction boundary vhv brought the
 * guest to: DR6 with BS (and what the vendor held pending for this
 * boundary), then a #DB, which goes in at the next entry ahead of any
 * interrupt, with RIP at the boundary as the return address.
 */
static void single_step_trap(struct vhv_vcpu *vcpu)
{
	vhv_ops->single_step(vcpu);
	vhv_ops->queue_exception(vcpu, VEC_DB, false, 0, 0);
}

/*
 * Every instruction vhv completes for the guest (skipped after an exit,
 * finished by the emulator, port I/O done here or by userspace) ends here,
 * and only one that completed: one that faulted queued its exception
 * instead, and RIP stays on it.  TF is read after the work: no instruction
 * vhv completes writes it (the emulator changes only arithmetic flags).
 */
void vhv_complete_insn(struct vhv_vcpu *vcpu, u64 next_rip)
{
	vcpu->regs.rip = next_rip;
	if (vhv_single_stepping(vcpu))
		single_step_trap(vcpu);
}

/*
 * One iteration of a REP string instruction done, more to go: RIP stays on
 * it, and the guest runs it again for the next.  A CPU single-stepping
 * traps after each iteration, RIP on the instruction and rCX counted down
 * (Bochs and QEMU model it so; on this project's AMD EPYC host a user-mode
 * "rep stosb" with RCX 5 and TF set traps 5 times, 4 of them on the
 * instruction), so vhv does too.
 */
void vhv_complete_iteration(struct vhv_vcpu *vcpu)
{
	if (vhv_single_stepping(vcpu))
		single_step_trap(vcpu);
}

/*
 * Moves RIP past the instruction that caused the exit, for CPUs that do not
 * report the next RIP.  Returns 1, or what the exit must return instead
 * (1 when the fetch faulted into the guest, 0 after an internal error).
 */
static noinline int skip_by_decoding(struct vhv_vcpu *vcpu)
{
	struct vhv_cpu_state st;
	unsigned int n;
	u8 bytes[VHV_INSN_MAX_LEN];
	u64 data[5] = { 0 };
	u64 next;
	int r, len;

	r = vhv_fetch_insn(vcpu, bytes, &n);
	if (r == -EAGAIN)
		return 1;	/* the guest takes the fault instead */
	if (r)
		return 0;
	vhv_ops->get_cpu_state(vcpu, &st);
	len = vhv_insn_length(bytes, n, st.mode);
	if (len > 0) {
		next = vcpu->regs.rip + len;
		if (st.mode != VHV_MODE_64)
			next &= 0xffffffffull;
		vhv_complete_insn(vcpu, next);
		return 1;
	}
	data[0] = 0;
	data[1] = vcpu->regs.rip;
	data[2] = n;
	memcpy(&data[3], bytes, min_t(unsigned int, n, 16));
	return vhv_exit_internal(vcpu, VHV_INTERNAL_EMULATION, 5, data);
}

/* The decoding out of line: its locals would be cleared at every exit. */
int vhv_skip_insn_slow(struct vhv_vcpu *vcpu)
{
	if (vcpu->next_rip_valid) {
		vhv_complete_insn(vcpu, vcpu->next_rip);
		return 1;
	}
	return skip_by_decoding(vcpu);
}

/* ---- guest memory through the memory slots -------------------------------- */

static int guest_access(struct vhv_vm *vm, u64 gpa, void *buf, unsigned int len,
			bool write)
{
	int idx = srcu_read_lock(&vm->srcu), r = 0;

	while (len) {
		const struct vhv_memslot *slot = vhv_find_slot(vm, gpa >> PAGE_SHIFT);
		unsigned int chunk = min_t(unsigned int, len,
					   PAGE_SIZE - (gpa & (PAGE_SIZE - 1)));
		void __user *hva;

		if (!slot || (write && (slot->flags & VHV_MEM_READONLY))) {
			r = -ENOENT;
			break;
		}
		hva = (void __user *)(unsigned long)(slot->userspace_addr +
			(gpa - (slot->base_gfn << PAGE_SHIFT)));
		if (write ? copy_to_user(hva, buf, chunk) :
			    copy_from_user(buf, hva, chunk)) {
			r = -EFAULT;
			break;
		}
		buf += chunk;
		gpa += chunk;
		len -= chunk;
	}
	srcu_read_unlock(&vm->srcu, idx);
	return r;
}

int vhv_read_guest(struct vhv_vm *vm, u64 gpa, void *buf, unsigned int len)
{
	return guest_access(vm, gpa, buf, len, false);
}

int vhv_write_guest(struct vhv_vm *vm, u64 gpa, const void *buf,
		    unsigned int len)
{
	return guest_access(vm, gpa, (void *)buf, len, true);
}

/* ---- MMIO ------------------------------------------------------------------ */

static int complete_mmio(struct vhv_vcpu *vcpu);

static void finish_insn(struct vhv_vcpu *vcpu, int result, const struct vhv_cpu_state *st)
{
	u64 next;

	if (result == VHV_EMUL_REPEAT) {
		vhv_complete_iteration(vcpu);	/* the guest runs it again */
		return;
	}
	next = vcpu->regs.rip + vcpu->emul.insn.len;
	if (st->mode != VHV_MODE_64)
		next &= 0xffffffffull;
	vhv_complete_insn(vcpu, next);
}

/*
 * Runs the emulator until it needs userspace (returns 0 with the MMIO exit
 * in the run area) or the instruction (or one REP iteration) is done (1).
 * Accesses that land in RAM are done here.
 */
static int emulate_until_mmio(struct vhv_vcpu *vcpu, struct vhv_mem_access *acc)
{
	struct vhv_run *run = vcpu->run;
	struct vhv_cpu_state st;
	int r;

	for (;;) {
		r = vhv_emul_step(&vcpu->emul, &vcpu->regs, acc);
		if (r < 0)
			return -EIO;
		if (r != VHV_EMUL_ACCESS) {
			vhv_ops->get_cpu_state(vcpu, &st);
			finish_insn(vcpu, r, &st);
			return 1;
		}
		if (acc->write ? !vhv_write_guest(vcpu->vm, acc->gpa, &acc->data, acc->size) :
				 !vhv_read_guest(vcpu->vm, acc->gpa, &acc->data, acc->size))
			continue;	/* RAM: done in place */
		if (vcpu->apic && vhv_irq_mmio(vcpu, acc))
			continue;	/* an in-kernel APIC */
		if (acc->write && vhv_ioeventfd_write(vcpu, false, acc->gpa, acc->size,
						      acc->data))
			continue;	/* a doorbell, rung in the kernel */
		run->exit_reason = VHV_EXIT_MMIO;
		run->mmio.phys_addr = acc->gpa;
		run->mmio.len = acc->size;
		run->mmio.is_write = acc->write;
		memset(run->mmio.pad, 0, sizeof(run->mmio.pad));
		memset(run->mmio.data, 0, sizeof(run->mmio.data));
		if (acc->write)
			memcpy(run->mmio.data, &acc->data, acc->size);
		vcpu->mmio = *acc;
		vcpu->complete = complete_mmio;
		vhv_count(vcpu, VHV_STAT_MMIO);
		return 0;
	}
}

static int complete_mmio(struct vhv_vcpu *vcpu)
{
	struct vhv_mem_access acc = vcpu->mmio;

	if (!acc.write) {
		acc.data = 0;
		memcpy(&acc.data, vcpu->run->mmio.data, acc.size);
	}
	return emulate_until_mmio(vcpu, &acc);
}

/* The second operand of MOVS, wherever it points. */
static int string_operands(struct vhv_vcpu *vcpu, const struct vhv_cpu_state *st,
			   u64 fault_gpa, bool *stop)
{
	struct vhv_emul *e = &vcpu->emul;
	u64 mask = e->insn.addr_size == 8 ? ~0ull : (1ull << (8 * e->insn.addr_size)) - 1;
	u64 src = st->seg_base[e->insn.seg] + (vcpu->regs.rsi & mask);
	u64 dst = st->seg_base[VHV_SEG_ES] + (vcpu->regs.rdi & mask);
	int r;

	if (st->mode != VHV_MODE_64) {
		src &= 0xffffffffull;
		dst &= 0xffffffffull;
	}
	e->gpa = fault_gpa;
	if (e->insn.op != VHV_OP_MOVS)
		return 0;
	r = translate(vcpu, st, src, 0, &e->src_gpa, stop);
	if (*stop)
		return r;
	return translate(vcpu, st, dst, VHV_PF_WRITE, &e->gpa, stop);
}

int vhv_handle_mmio(struct vhv_vcpu *vcpu, u64 gpa, const u8 *insn,
		    unsigned int insn_len)
{
	struct vhv_mem_access acc = { 0 };
	struct vhv_cpu_state st;
	u8 bytes[VHV_INSN_MAX_LEN];
	unsigned int n = insn_len;
	bool stop;
	int r;

	if (insn_len) {
		memcpy(bytes, insn, min_t(unsigned int, insn_len, sizeof(bytes)));
	} else {
		r = vhv_fetch_insn(vcpu, bytes, &n);
		if (r)
			return r == -EAGAIN ? 1 : 0;
	}
	vhv_ops->get_cpu_state(vcpu, &st);
	memset(&vcpu->emul, 0, sizeof(vcpu->emul));
	if (vhv_decode_mmio(bytes, n, st.mode, &vcpu->emul.insn)) {
		u64 data[5] = { gpa, vcpu->regs.rip, n };

		memcpy(&data[3], bytes, min_t(unsigned int, n, 16));
		return vhv_exit_internal(vcpu, VHV_INTERNAL_EMULATION, 5, data);
	}
	r = string_operands(vcpu, &st, gpa, &stop);
	if (stop)
		return r;
	r = emulate_until_mmio(vcpu, &acc);
	if (r < 0) {
		u64 data[3] = { gpa, vcpu->regs.rip, n };

		return vhv_exit_internal(vcpu, VHV_INTERNAL_EMULATION, 3, data);
	}
	return r;
}

/* ---- port I/O --------------------------------------------------------------- */

static void *pio_data(struct vhv_vcpu *vcpu)
{
	return (u8 *)vcpu->run + VHV_RUN_DATA_OFFSET;
}

static u64 addr_mask(u8 addr_size)
{
	return addr_size == 8 ? ~0ull : (1ull << (8 * addr_size)) - 1;
}

/* After a string iteration: move rSI/rDI, count rCX, finish or repeat. */
static void pio_string_advance(struct vhv_vcpu *vcpu, u8 addr_size, bool rep)
{
	u64 mask = addr_mask(addr_size);
	u64 bytes = (u64)vcpu->pio.count * vcpu->pio.size;
	u64 *index = vcpu->pio.in ? &vcpu->regs.rdi : &vcpu->regs.rsi;
	u64 moved = vcpu->regs.rflags & VHV_RFLAGS_DF ? -bytes : bytes;
	u64 count;

	*index = (*index & ~mask) | ((*index + moved) & mask);
	if (addr_size == 4)
		*index &= 0xffffffffull;
	if (!rep) {
		vhv_complete_insn(vcpu, vcpu->pio.next_rip);
		return;
	}
	count = (vcpu->regs.rcx - vcpu->pio.count) & mask;
	vcpu->regs.rcx = addr_size == 4 ? count : (vcpu->regs.rcx & ~mask) | count;
	if (count)
		vhv_complete_iteration(vcpu);
	else
		vhv_complete_insn(vcpu, vcpu->pio.next_rip);
}

static int complete_pio_in(struct vhv_vcpu *vcpu)
{
	u64 val = 0;

	memcpy(&val, pio_data(vcpu), vcpu->pio.size);
	vhv_reg_set(&vcpu->regs, VHV_REG_RAX, false, vcpu->pio.size, val);
	vhv_complete_insn(vcpu, vcpu->pio.next_rip);
	return 1;
}

static int complete_pio_ins(struct vhv_vcpu *vcpu)
{
	unsigned int bytes = vcpu->pio.count * vcpu->pio.size;

	if (vhv_write_guest(vcpu->vm, vcpu->pio.gpa, pio_data(vcpu), bytes)) {
		u64 gpa = vcpu->pio.gpa;

		return vhv_exit_internal(vcpu, VHV_INTERNAL_GUEST_MEMORY, 1, &gpa);
	}
	pio_string_advance(vcpu, vcpu->pio.addr_size, vcpu->pio.rep);
	return 1;
}

/*
 * String I/O moves as many elements per exit as fit the data area and stay
 * within one guest page; one element at a time when DF is set, or TF (the
 * guest then takes a single-step trap after each iteration).
 */
static u32 string_count(struct vhv_vcpu *vcpu, u64 linear, u8 size, bool rep,
			u8 addr_size)
{
	u64 want = rep ? vcpu->regs.rcx & addr_mask(addr_size) : 1;
	u64 fit = VHV_RUN_DATA_SIZE / size;
	u64 page_left = (PAGE_SIZE - (linear & (PAGE_SIZE - 1))) / size;

	if ((vcpu->regs.rflags & VHV_RFLAGS_DF) || vhv_single_stepping(vcpu))
		return 1;
	return max_t(u64, 1, min3(want, fit, page_left));
}

/*
 * INS/OUTS: the address size and segment (read from the instruction where
 * the CPU did not say), the guest address of the data and the count.
 * *stop with what the exit returns when it ends here.  Out of line: the
 * fetch buffer and CPU state would be cleared at every port exit.
 */
static noinline int pio_string_start(struct vhv_vcpu *vcpu, u8 size, bool in,
				     bool rep, u8 addr_size, u8 seg, u64 next_rip,
				     bool *stop)
{
	struct vhv_cpu_state st;
	u64 linear;
	int r;

	*stop = true;
	if (!addr_size) {
		/* The CPU did not say (QEMU does not): read the prefixes. */
		u8 bytes[VHV_INSN_MAX_LEN];
		unsigned int n;

		r = vhv_fetch_insn(vcpu, bytes, &n);
		if (r)
			return r == -EAGAIN ? 1 : 0;
		vhv_ops->get_cpu_state(vcpu, &st);
		if (vhv_decode_string_io(bytes, n, st.mode, &addr_size, &seg)) {
			u64 data[5] = { 0, vcpu->regs.rip, n };

			memcpy(&data[3], bytes, min_t(unsigned int, n, 16));
			return vhv_exit_internal(vcpu, VHV_INTERNAL_EMULATION, 5, data);
		}
	}
	if (rep && !(vcpu->regs.rcx & addr_mask(addr_size))) {
		vhv_complete_insn(vcpu, next_rip);	/* REP with rCX = 0 */
		return 1;
	}
	vhv_ops->get_cpu_state(vcpu, &st);
	linear = in ? st.seg_base[VHV_SEG_ES] + (vcpu->regs.rdi & addr_mask(addr_size)) :
		      st.seg_base[seg] + (vcpu->regs.rsi & addr_mask(addr_size));
	if (st.mode != VHV_MODE_64)
		linear &= 0xffffffffull;
	vcpu->pio.count = string_count(vcpu, linear, size, rep, addr_size);
	r = translate(vcpu, &st, linear, in ? VHV_PF_WRITE : 0, &vcpu->pio.gpa, stop);
	if (*stop)
		return r;
	vcpu->pio.addr_size = addr_size;
	vcpu->pio.rep = rep;
	return 0;
}

int vhv_handle_pio(struct vhv_vcpu *vcpu, u16 port, u8 size, bool in,
		   bool string, bool rep, u8 addr_size, u8 seg, u64 next_rip)
{
	struct vhv_run *run = vcpu->run;
	u64 val = 0;
	bool stop;
	int r;

	vcpu->pio.port = port;
	vcpu->pio.size = size;
	vcpu->pio.in = in;
	vcpu->pio.string = string;
	vcpu->pio.next_rip = next_rip;
	vcpu->pio.count = 1;

	if (string) {
		r = pio_string_start(vcpu, size, in, rep, addr_size, seg, next_rip,
				     &stop);
		if (stop)
			return r;
	}

	if (!string) {
		u32 v;

		if (!in)
			val = vhv_reg_get(&vcpu->regs, VHV_REG_RAX, false, size);
		v = val;

		/* The PIC and the PIT answer in the kernel. */
		if (vcpu->apic && vhv_irq_pio(vcpu, port, size, in, &v)) {
			if (in)
				vhv_reg_set(&vcpu->regs, VHV_REG_RAX, false, size, v);
			vhv_complete_insn(vcpu, next_rip);
			return 1;
		}
		if (!in && vhv_ioeventfd_write(vcpu, true, port, size, val)) {
			vhv_complete_insn(vcpu, next_rip);
			return 1;	/* a doorbell, rung in the kernel */
		}
	}
	run->exit_reason = VHV_EXIT_IO;
	run->io.direction = in ? VHV_IO_IN : VHV_IO_OUT;
	run->io.size = size;
	run->io.port = port;
	run->io.count = vcpu->pio.count;
	run->io.data_offset = VHV_RUN_DATA_OFFSET;
	vhv_count(vcpu, VHV_STAT_IO);

	if (!string) {
		if (in) {
			vcpu->complete = complete_pio_in;
		} else {
			memcpy(pio_data(vcpu), &val, size);
			vhv_complete_insn(vcpu, next_rip);
		}
		return 0;
	}
	if (in) {
		vcpu->complete = complete_pio_ins;
		return 0;
	}
	if (vhv_read_guest(vcpu->vm, vcpu->pio.gpa, pio_data(vcpu),
			   vcpu->pio.count * size)) {
		u64 gpa = vcpu->pio.gpa;

		return vhv_exit_internal(vcpu, VHV_INTERNAL_GUEST_MEMORY, 1, &gpa);
	}
	pio_string_advance(vcpu, vcpu->pio.addr_size, rep);
	return 0;
}
