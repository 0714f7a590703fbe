/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The virtio core (virtio 1.2): what a device model sees of its transport,
 * and split virtqueues with every guest-written field checked in one place.
 *
 * Writing a device (virtio-rng is the smallest example, virtio-blk one
 * that completes on the I/O thread):
 *
 *   1. Embed a struct virtio_device in the device's state and describe the
 *      device in a static struct virtio_device_ops: id, config space size
 *      and accessors, queue_notify, reset.  virtio_device_init() takes the
 *      offered features (VERSION_1 is added), the number of queues and
 *      their maximum size; then virtio_pci_create() puts it on the bus.
 *      The device never sees the transport.
 *
 *   2. Guest kicks of queue q arrive as ops->queue_notify(vdev, q) on the
 *      vCPU thread that wrote the doorbell.  To run a queue on the VM's
 *      I/O thread instead (network receive and transmit, anything that may
 *      block), call virtio_queue_set_iothread(vdev, q, fn) before
 *      virtio_pci_create(): kicks of q then wake fn(vdev, q) there through
 *      an eventfd, which the transport offers the backend as a doorbell
 *      (KVM's ioeventfd: the guest's kick then never leaves the kernel).
 *      Each queue is independent, so multi-queue devices just do this per
 *      queue.
 *
 *   3. Processing, from any thread:
 *
 *	struct iovec iov[MAX];
 *	struct virtq_chain c = { .iov = iov, .max_iov = MAX };
 *	while ((r = virtq_pop(vq, &c)) > 0) {
 *		... c.iov[0 .. c.nr_readable) the driver's data,
 *		    then c.nr_writable buffers the device fills ...
 *		virtq_push(vq, c.head, bytes_written);
 *	}
 *	virtio_notify_queue(vdev, q);
 *
 *      virtq_pop() returns 1 with a chain, 0 when there is nothing to do
 *      (empty, not enabled, before DRIVER_OK, or stopped after a malformed
 *      chain), -E2BIG for a well-formed chain with more buffers than
 *      max_iov (c.head is valid: push it back with length 0), and another
 *      negative errno for a malformed chain.  Every chain popped must be
 *      pushed once (or dropped by a reset).  A malformed chain (a head
 *      already in flight: popped and not yet pushed, an index out
 *      of the table, a loop or chain longer than the queue, a readable
 *      buffer after a writable one, a buffer not entirely in RAM, a bad
 *      indirect table, an available index that jumps by more than the
 *      queue size) sets DEVICE_NEEDS_RESET, sends a configuration
 *      interrupt, records a message on the VM once and stops that queue
 *      until the driver resets the device: the guest can only hurt itself.
 *      virtq_fail() lets a device do the same for its own protocol rules.
 *      vmm_vm_fail() is for the host side failing (an io_uring that stops
 *      working), never for what a guest wrote.
 *
 *      Buffers are host pointers from vmm_guest_ptr(), checked when popped
 *      and valid for the VM's lifetime.  virtio_notify_queue() applies
 *      EVENT_IDX / NO_INTERRUPT suppression and raises MSI-X or INTx.
 *      virtq_disable_notify()/virtq_enable_notify() bracket polling loops.
 *
 *   4. ops->reset runs when the driver writes status 0 (vCPU thread): the
 *      queues are already stopped (pops return 0, pushes are dropped); the
 *      device must finish or drop what it holds before returning.  At VM
 *      teardown: virtio_pci_destroy(), then virtio_device_cleanup().
 *
 * Locks, in order: vdev->lock (the transport's: status, features, queue
 * setup) -> the device's own lock -> vq->lock (ring state; taken inside the
 * virtq_* calls).  The transport's interrupt path takes only locks of its
 * own, so devices may notify with their lock held.
 */
#ifndef DEVICES_VIRTIO_H
#define DEVICES_VIRTIO_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "vmm/device.h"

struct pci_bus;

#define VIRTIO_ID_NET			1
#define VIRTIO_ID_BLOCK			2
#define VIRTIO_ID_RNG			4

/* Device status (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	0x01
#define VIRTIO_STATUS_DRIVER		0x02
#define VIRTIO_STATUS_DRIVER_OK		0x04
#define VIRTIO_STATUS_FEATURES_OK	0x08
#define VIRTIO_STATUS_NEEDS_RESET	0x40
#define VIRTIO_STATUS_FAILED		0x80

/* Transport-independent feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC		28
#define VIRTIO_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32

#define VIRTIO_BIT(b)			(1ull << (b))

/* Split virtqueue layout (2.7). */
#define VIRTQ_DESC_F_NEXT		1
#define VIRTQ_DESC_F_WRITE		2
#define VIRTQ_DESC_F_INDIRECT		4
#define VIRTQ_AVAIL_F_NO_INTERRUPT	1
#define VIRTQ_USED_F_NO_NOTIFY		1
#define VIRTQ_MAX_SIZE			32768

struct virtq_desc {
	uint64_t addr;		/* 0x0 */
	uint32_t len;		/* 0x8 */
	uint16_t flags;		/* 0xc */
	uint16_t next;		/* 0xe */
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc is 16 bytes");

/* The queue index the transport passes for a configuration interrupt. */
#define VIRTIO_IRQ_CONFIG		(~0u)

struct virtio_device;

struct virtio_device_ops {
	const char *name;		/* "virtio-blk": messages, I/O ranges */
	uint16_t device_id;		/* VIRTIO_ID_* */
	uint32_t config_size;		/* bytes of device config space */
	/* offset + size <= config_size is checked by the core. */
	void (*config_read)(struct virtio_device *vdev, uint32_t offset,
			    void *data, uint32_t size);
	void (*config_write)(struct virtio_device *vdev, uint32_t offset,
			     const void *data, uint32_t size);
	/* A guest kick of queue q, on the vCPU thread; q < nr_queues. */
	void (*queue_notify)(struct virtio_device *vdev, unsigned int q);
	/* The driver reset the device: drop or finish all buffers. */
	void (*reset)(struct virtio_device *vdev);
	/* Optional: refuse a feature combination at FEATURES_OK. */
	bool (*features_ok)(struct virtio_device *vdev, uint64_t features);
	/* Optional: the driver set DRIVER_OK (queues are live). */
	void (*driver_ok)(struct virtio_device *vdev);
};

/* What a transport provides to the core. */
struct virtio_transport_ops {
	/*
	 * Interrupts the driver for queue q, or for a configuration change
	 * (q == VIRTIO_IRQ_CONFIG).  Any thread, any device lock held.
	 */
	void (*notify)(struct virtio_device *vdev, unsigned int q);
};

struct virtqueue {
	struct virtio_device *vdev;
	unsigned int index;
	uint16_t max_size;		/* the device's; set before the VM runs */
	pthread_mutex_t lock;		/* everything below */

	/* Programmed by the driver through the transport while !ready. */
	uint16_t size;
	uint64_t desc_gpa, avail_gpa, used_gpa;

	/* Ring state. */
	bool ready;			/* enabled, rings mapped */
	bool broken;			/* a malformed chain stopped it */
	bool notify_off;		/* virtq_disable_notify() */
	uint8_t *desc, *avail, *used;	/* host pointers, checked at enable */
	uint16_t last_avail;		/* next available entry to pop */
	uint16_t used_idx;		/* next used entry to fill */
	uint16_t signalled_used;	/* used_idx at the last interrupt check */
	bool signalled_valid;
	bool unsignalled;		/* pushed since the last check */
	/*
	 * Heads popped and not yet pushed, one bit each (max_size bits):
	 * the driver may not make a head available again before it is used
	 * (2.7.13), so at most a queue's worth of chains is ever in flight.
	 */
	uint64_t *in_flight;

	/* virtio_queue_set_iothread(). */
	int kick_fd;
	void (*kick_fn)(struct virtio_device *vdev, unsigned int q);
};

struct virtio_device {
	struct vmm_vm *vm;
	const struct virtio_device_ops *ops;
	uint64_t features;		/* offered */
	unsigned int nr_queues;
	struct virtqueue *vqs;

	const struct virtio_transport_ops *transport;
	void *transport_priv;

	pthread_mutex_t lock;		/* the transport's; see the top */
	uint8_t status;			/* __atomic: NEEDS_RESET from any thread */
	uint64_t driver_features;	/* __atomic; final after FEATURES_OK */
	uint32_t config_generation;	/* __atomic */
	bool error_logged;		/* __atomic */
	uint64_t *in_flight_bits;	/* every queue's in_flight, one block */
};

/*
 * A popped descriptor chain.  The caller provides iov/max_iov; the core
 * fills the rest when virtq_pop() returns 1: device-readable buffers first,
 * then device-writable.  Zero-length buffers are skipped.
 */
struct virtq_chain {
	struct iovec *iov;
	unsigned int max_iov;
	uint16_t head;			/* for virtq_push() */
	unsigned int nr_readable, nr_writable;
	uint64_t readable_len, writable_len;
};

/* ---- for device models ---------------------------------------------------- */

int virtio_device_init(struct virtio_device *vdev, struct vmm_vm *vm,
		       const struct virtio_device_ops *ops, uint64_t features,
		       unsigned int nr_queues, uint16_t queue_max);
/* Frees the queues and closes kick eventfds; after the transport is gone. */
void virtio_device_cleanup(struct virtio_device *vdev);

/* Kicks of queue q run fn(vdev, q) on the I/O thread instead of queue_notify. */
int virtio_queue_set_iothread(struct virtio_device *vdev, unsigned int q,
			      void (*fn)(struct virtio_device *vdev,
					 unsigned int q));

/* A feature the driver accepted (meaningful once FEATURES_OK is set). */
bool virtio_has_feature(const struct virtio_device *vdev, unsigned int bit);
uint8_t virtio_get_status(const struct virtio_device *vdev);

int virtq_pop(struct virtqueue *vq, struct virtq_chain *chain);
/* Returns the chain with len bytes written to its writable buffers. */
void virtq_push(struct virtqueue *vq, uint16_t head, uint32_t len);
/* Interrupts the driver for queue q if it wants one for what was pushed. */
void virtio_notify_queue(struct virtio_device *vdev, unsigned int q);
/* Asks the driver not to kick / to kick again; true if buffers arrived. */
void virtq_disable_notify(struct virtqueue *vq);
bool virtq_enable_notify(struct virtqueue *vq);
/* The device's config space changed: new generation, config interrupt. */
void virtio_config_changed(struct virtio_device *vdev);
/* Marks the queue broken and the device NEEDS_RESET (see above). */
void virtq_fail(struct virtqueue *vq, const char *why);

/* Copy between a flat buffer and bytes off.. of an iovec array. */
size_t virtio_iov_to_buf(const struct iovec *iov, unsigned int n, size_t off,
			 void *buf, size_t len);
size_t virtio_iov_from_buf(const struct iovec *iov, unsigned int n, size_t off,
			   const void *buf, size_t len);
/* Drops the first skip bytes of iov[first..n) in place; returns the new first. */
unsigned int virtio_iov_skip(struct iovec *iov, unsigned int first,
			     unsigned int n, size_t skip);

/* ---- for transports (vdev->lock held) -------------------------------------- */

void virtio_set_status(struct virtio_device *vdev, uint8_t status);
uint32_t virtio_device_features_word(const struct virtio_device *vdev,
				     unsigned int word);
void virtio_set_driver_features_word(struct virtio_device *vdev,
				     unsigned int word, uint32_t val);
/* Validates and maps the rings; a bad setup marks the device NEEDS_RESET. */
int virtq_enable(struct virtqueue *vq);
/* Bounds-checked config access; out of range reads 0, writes are dropped. */
void virtio_config_read(struct virtio_device *vdev, uint32_t offset,
			void *data, uint32_t size);
void virtio_config_write(struct virtio_device *vdev, uint32_t offset,
			 const void *data, uint32_t size);
/* A guest kick of queue q (no lock needed). */
void virtio_kick(struct virtio_device *vdev, unsigned int q);

/* ---- the PCI transport (virtio_pci.c) ---------------------------------------- */

/*
 * Puts vdev on bus as a modern virtio-pci function: BAR 0 (64-bit) holds
 * the common, ISR, device and notify regions, BAR 2 the MSI-X table with
 * nr_queues + 1 vectors.  The device's lifetime stays with its model: call
 * virtio_pci_destroy() from its destroy function.
 */
int virtio_pci_create(struct vmm_vm *vm, struct pci_bus *bus,
		      struct virtio_device *vdev);
void virtio_pci_destroy(struct virtio_device *vdev);

/* ---- devices ----------------------------------------------------------------- */

struct vmm_disk_config;

int virtio_rng_create(struct vmm_vm *vm, struct pci_bus *bus);
int virtio_blk_create(struct vmm_vm *vm, struct pci_bus *bus,
		      const struct vmm_disk_config *cfg);

struct io_uring;

/*
 * virtio-blk's ring on the image fd, completions signalled on efd: what
 * virtio_blk_create() uses (on its own for the tests that attack it).
 */
int virtio_blk_ring_init(struct io_uring *ring, int fd, int efd);

#endif /* DEVICES_VIRTIO_H */
