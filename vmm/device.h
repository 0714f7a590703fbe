/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The interface between libvmm and device models (devices/ and any an
 * embedder writes): the I/O bus, interrupts, guest memory, the event loop,
 * stopping the VM.
 *
 * Threads: I/O handlers run on whichever vCPU thread made the access;
 * event-loop handlers run on the VM's I/O thread.  A device guards its own
 * state with its own lock.  Devices are registered before vmm_vm_start().
 */
#ifndef VMM_DEVICE_H
#define VMM_DEVICE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/libvmm.h"

/*
 * One handler signature for port I/O and MMIO.  offset is from the start
 * of the registered range; size is 1, 2, 4 or 8; data is little-endian.
 * A read handler must fill all `size` bytes.
 */
struct vmm_doorbell;

struct vmm_io_ops {
	void (*read)(void *opaque, uint64_t offset, uint8_t *data,
		     uint32_t size);
	void (*write)(void *opaque, uint64_t offset, const uint8_t *data,
		      uint32_t size);
	/* Optional: the range's doorbells (below) into out[0..max), a count. */
	unsigned int (*doorbells)(void *opaque, struct vmm_doorbell *out,
				  unsigned int max);
};

/*
 * A doorbell: a write whose only effect is to wake a device through an
 * eventfd (a virtio queue notification).  Where the backend can (KVM's
 * ioeventfd), a guest write of exactly `size` bytes at `offset` into the
 * range signals fd in the kernel, and the vCPU goes on without leaving
 * its run call; otherwise (or for another size) the write reaches
 * ops->write, which must then signal the same fd itself.  libvmm asks for
 * a range's doorbells when it is registered and moves them with it (a PCI
 * BAR the guest moves); the fds must stay open as long as the range.
 */
struct vmm_doorbell {
	uint64_t offset;
	uint32_t size;			/* 1, 2, 4 or 8 */
	int fd;				/* an eventfd */
};
#define VMM_MAX_DOORBELLS	16	/* per range */

enum vmm_space {
	VMM_SPACE_PIO,		/* ports 0 .. 0xffff */
	VMM_SPACE_MMIO,		/* guest-physical addresses outside RAM */
};

/*
 * Claims [base, base + len) in a space.  -EINVAL for len 0, a range past
 * the end of the space or overlapping RAM (MMIO); -EEXIST when it overlaps
 * a range already registered (the message names that device).
 */
int vmm_io_register(struct vmm_vm *vm, enum vmm_space space, uint64_t base,
		    uint64_t len, const struct vmm_io_ops *ops, void *opaque,
		    const char *name);
/* Releases the range starting at base; -ENOENT if none starts there. */
int vmm_io_unregister(struct vmm_vm *vm, enum vmm_space space, uint64_t base);

/*
 * Interrupts.  gsi: an IOAPIC input (0..23; ISA IRQs are identity-mapped
 * except IRQ 0 -> GSI 2).  level 1 asserts, 0 deasserts; an edge-triggered
 * source asserts then deasserts.  -ENOTSUP when the backend has no
 * in-kernel interrupt controller.
 */
int vmm_irq_set(struct vmm_vm *vm, uint32_t gsi, int level);
/* An MSI: the address/data pair the guest programmed. */
int vmm_msi_send(struct vmm_vm *vm, uint64_t addr, uint32_t data);

/*
 * Guest memory.  The one place guest-physical ranges are checked: returns
 * the host address of [gpa, gpa + len) only if the whole range is RAM,
 * else NULL.  len 0 is treated as 1.
 */
void *vmm_guest_ptr(struct vmm_vm *vm, uint64_t gpa, uint64_t len);
uint64_t vmm_ram_size(const struct vmm_vm *vm);
unsigned int vmm_nr_vcpus(const struct vmm_vm *vm);

/* The PC memory map libvmm uses. */
#define VMM_LOW_RAM_END		0xc0000000ull	/* RAM below it, then the hole */
#define VMM_HIGH_RAM_START	0x100000000ull
#define VMM_PCI_MMIO_START	0xc0000000ull	/* 32-bit BARs */
#define VMM_PCI_MMIO_END	0xfec00000ull
#define VMM_IOAPIC_ADDR		0xfec00000ull
#define VMM_LAPIC_ADDR		0xfee00000ull

/*
 * Event loop on the VM's I/O thread (epoll).  events: EPOLLIN/EPOLLOUT
 * bits; the handler gets the events that fired.  Adding before
 * vmm_vm_start() is fine; handlers start running then.
 */
typedef void (*vmm_fd_handler)(void *opaque, uint32_t events);
int vmm_loop_add(struct vmm_vm *vm, int fd, uint32_t events,
		 vmm_fd_handler handler, void *opaque);
int vmm_loop_del(struct vmm_vm *vm, int fd);

/*
 * A device's lifetime: destroy(opaque) runs at vmm_vm_destroy(), after
 * every thread has stopped, in the reverse order of addition.
 */
int vmm_device_add(struct vmm_vm *vm, const char *name,
		   void (*destroy)(void *opaque), void *opaque);

/*
 * Stops the VM with VMM_STOP_ERROR and a message (e.g. a device the guest
 * drove into an impossible state).  The first stop wins, and its message
 * stays what vmm_vm_error() says: later vmm_set_error() calls keep it.
 */
void vmm_vm_fail(struct vmm_vm *vm, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Records an error message on the VM (unless vmm_vm_fail() already did)
 * and returns err (negative errno).
 */
int vmm_set_error(struct vmm_vm *vm, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif /* VMM_DEVICE_H */
