/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one fake of vmm/device.h that every device unit test links
 * (selftests/unit/fake_vmm.c): an I/O bus that keeps what was registered,
 * logs of interrupts, MSIs and stop requests, an event loop the test runs
 * by hand, the device list, the last error message and, when asked for, a
 * malloc'd guest RAM.
 *
 * Devices get &fake_vm; every fake checks it.  The state is in `fk`: tests
 * read it, and set the hooks at its top after fake_vmm_setup().  Misuse a
 * real VM would only answer with an error (adding an fd twice, deleting or
 * unregistering what is not there) fails the test instead: no device here
 * does it on purpose.
 */
#ifndef SELFTESTS_UNIT_FAKE_VMM_H
#define SELFTESTS_UNIT_FAKE_VMM_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/device.h"

#define FAKE_MAX_RANGES		64
#define FAKE_MAX_LOOP		16
#define FAKE_MAX_DEVICES	8
#define FAKE_MAX_IRQS		1024
#define FAKE_MAX_MSIS		256
#define FAKE_MAX_STOPS		64
#define FAKE_MAX_SANDBOX	16
#define FAKE_NR_GSIS		24

struct fake_range {
	enum vmm_space space;
	uint64_t base, len;
	const struct vmm_io_ops *ops;
	void *opaque;
	const char *name;
};

struct fake_loop {
	int fd;
	uint32_t events;
	vmm_fd_handler handler;
	void *opaque;
};

struct fake_irq {
	uint32_t gsi;
	int level;
};

struct fake_msi {
	uint64_t addr;
	uint32_t data;
};

struct fake_stop {
	enum vmm_stop_reason reason;
	uint32_t code;
};

struct fake_dev {
	const char *name;
	void (*destroy)(void *opaque);
	void *opaque;
};

struct fake_vmm {
	/* Hooks. */
	uint64_t ram_size;	/* vmm_ram_size(); MMIO below it is refused */
	int io_ret;		/* nonzero: vmm_io_register() fails with it */
	int dev_ret;		/* nonzero: vmm_device_add() fails with it */
	/*
	 * Called by vmm_guest_ptr() before it answers: a test plays a guest
	 * that writes its rings while the device walks them.
	 */
	void (*guest_ptr_hook)(uint64_t gpa, uint64_t len);

	uint8_t *ram;		/* guest RAM, ram_size bytes, or NULL */

	/* vmm_io_register / vmm_io_unregister */
	struct fake_range r[FAKE_MAX_RANGES];
	unsigned int nr_ranges;
	unsigned int io_registered, io_unregistered;	/* successful calls */

	/* vmm_irq_set: every call in order, and each GSI's level now */
	struct fake_irq irq[FAKE_MAX_IRQS];
	unsigned int nr_irq;
	int gsi_level[FAKE_NR_GSIS];

	/* vmm_msi_send */
	struct fake_msi msi[FAKE_MAX_MSIS];
	unsigned int nr_msi;

	/* vmm_loop_add / vmm_loop_del: the fds in the loop now */
	struct fake_loop loop[FAKE_MAX_LOOP];
	unsigned int nr_loop;
	unsigned int loop_adds, loop_dels;
	uint32_t loop_events;	/* every event bit ever asked for */

	/* vmm_device_add, in order of addition */
	struct fake_dev dev[FAKE_MAX_DEVICES];
	unsigned int nr_dev;

	/* vmm_vm_request_stop: the first request (a VM keeps it), and all */
	enum vmm_stop_reason stop;
	uint32_t stop_code;
	struct fake_stop stops[FAKE_MAX_STOPS];
	unsigned int nr_stops;

	/* vmm_vm_sandbox_allow_ioctl / _socket / _accept / _accept_plain, in order */
	struct { int fd; bool socket, accept, accept_plain; unsigned long ioctl; } sandbox[FAKE_MAX_SANDBOX];
	unsigned int nr_sandbox;
	unsigned int sandbox_inet;	/* vmm_vm_sandbox_allow_inet's sockets */

	/* vmm_set_error / vmm_vm_fail: the latest message */
	char msg[512];
	int err;		/* vmm_set_error's err */
	unsigned int nr_errors, nr_fails;
};

extern struct vmm_vm fake_vm;
extern struct fake_vmm fk;

/*
 * Forgets everything (freeing any guest RAM) and, for ram_size > 0,
 * allocates exactly that much zeroed guest RAM, so ASan sees any overrun.
 */
void fake_vmm_setup(uint64_t ram_size);
/*
 * vmm_vm_destroy's part: destroys the devices in the reverse order of
 * addition.  (A device may leave its ranges and fds to the VM's teardown.)
 */
void fake_vmm_destroy_devices(void);
/*
 * fake_vmm_destroy_devices() where the devices must clean up after
 * themselves: also checks they left no range and no fd behind, then frees
 * the RAM.
 */
void fake_vmm_teardown(void);

/* Guest RAM from the test's side: the host address of gpa (must be RAM). */
void *gpa(uint64_t addr);

/* ---- the bus as the guest sees it ---------------------------------------- */

struct fake_range *fake_io_find(enum vmm_space space, uint64_t addr);
/* The only range registered (fails unless there is exactly one). */
struct fake_range *fake_io_single(void);
/* Accesses at an address; an unclaimed one reads all-ones, drops writes. */
uint64_t io_read(enum vmm_space space, uint64_t addr, uint32_t size);
void io_write(enum vmm_space space, uint64_t addr, uint64_t v, uint32_t size);
uint64_t mmio_read(uint64_t addr, uint32_t size);
void mmio_write(uint64_t addr, uint64_t v, uint32_t size);
/* PCI config space of bus 0, function 0 through ports 0xcf8/0xcfc. */
uint32_t cfg_read(unsigned int slot, unsigned int off, uint32_t size);
void cfg_write(unsigned int slot, unsigned int off, uint32_t v, uint32_t size);

/* ---- the I/O thread, run by hand ---------------------------------------- */

/* The entry for fd in the loop, or NULL.  Only from the test's thread. */
struct fake_loop *fake_loop_find(int fd);
/* Copies entry i under the loop's lock (for a test's own I/O thread). */
bool fake_loop_entry(unsigned int i, struct fake_loop *copy);
/*
 * One round: polls every fd for its events (waiting up to timeout_ms) and
 * calls the handlers of those ready.  Returns poll()'s result.
 */
int fake_loop_poll(int timeout_ms);
/*
 * Level-triggered rounds until nothing is ready; returns how many it took.
 * A device that leaves a ready fd registered without consuming it would
 * spin, so that fails the test.
 */
unsigned int fake_loop_run(void);
/*
 * The same through a real epoll set that mirrors the loop, as the VM's
 * I/O thread runs it: edge-triggered fds (EPOLLET) wake it once per
 * change.  One round (epoll_wait's result), and rounds until none.
 */
int fake_loop_epoll(int timeout_ms);
unsigned int fake_loop_epoll_run(void);

#endif /* SELFTESTS_UNIT_FAKE_VMM_H */
