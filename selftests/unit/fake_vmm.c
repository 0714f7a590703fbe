/* SPDX-License-Identifier: GPL-2.0 */
/* The device unit tests' fake of vmm/device.h: see fake_vmm.h. */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include <cmocka.h>

#include "selftests/unit/fake_vmm.h"

struct vmm_vm {
	int unused;
};

struct vmm_vm fake_vm;
struct fake_vmm fk;

/* The loop's calls may come from two threads (a test's own I/O thread). */
static pthread_mutex_t loop_lock = PTHREAD_MUTEX_INITIALIZER;
/* The loop's fds in a real epoll set too, for fake_loop_epoll(). */
static int fake_epfd = -1;

void fake_vmm_setup(uint64_t ram_size)
{
	free(fk.ram);
	memset(&fk, 0, sizeof(fk));
	if (fake_epfd >= 0)
		close(fake_epfd);
	fake_epfd = epoll_create1(EPOLL_CLOEXEC);
	assert_true(fake_epfd >= 0);
	if (!ram_size)
		return;
	fk.ram = calloc(1, ram_size);
	assert_non_null(fk.ram);
	fk.ram_size = ram_size;
}

void fake_vmm_destroy_devices(void)
{
	while (fk.nr_dev) {
		fk.nr_dev--;
		fk.dev[fk.nr_dev].destroy(fk.dev[fk.nr_dev].opaque);
	}
}

void fake_vmm_teardown(void)
{
	fake_vmm_destroy_devices();
	free(fk.ram);
	fk.ram = NULL;
	assert_int_equal(fk.nr_ranges, 0);
	assert_int_equal(fk.nr_loop, 0);
}

void *gpa(uint64_t addr)
{
	assert_non_null(fk.ram);
	assert_true(addr < fk.ram_size);
	return fk.ram + addr;
}

/* ---- vmm/device.h ------------------------------------------------------- */

int vmm_io_register(struct vmm_vm *vm, enum vmm_space space, uint64_t base,
		    uint64_t len, const struct vmm_io_ops *ops, void *opaque,
		    const char *name)
{
	unsigned int i;

	assert_ptr_equal(vm, &fake_vm);
	assert_non_null(name);
	assert_non_null(ops);
	if (fk.io_ret)
		return fk.io_ret;
	/* No end of the space: the tests check that devices check theirs. */
	if (!len || base + len < base)
		return -EINVAL;
	if (space == VMM_SPACE_MMIO && base < fk.ram_size)
		return -EINVAL;
	for (i = 0; i < fk.nr_ranges; i++)
		if (fk.r[i].space == space &&
		    base < fk.r[i].base + fk.r[i].len &&
		    fk.r[i].base < base + len)
			return -EEXIST;
	assert_true(fk.nr_ranges < FAKE_MAX_RANGES);
	fk.r[fk.nr_ranges++] = (struct fake_range){ space, base, len, ops,
						    opaque, name };
	fk.io_registered++;
	return 0;
}

int vmm_io_unregister(struct vmm_vm *vm, enum vmm_space space, uint64_t base)
{
	unsigned int i;

	assert_ptr_equal(vm, &fake_vm);
	for (i = 0; i < fk.nr_ranges; i++) {
		if (fk.r[i].space == space && fk.r[i].base == base) {
			fk.r[i] = fk.r[--fk.nr_ranges];
			fk.io_unregistered++;
			return 0;
		}
	}
	fail_msg("vmm_io_unregister: nothing registered at 0x%llx",
		 (unsigned long long)base);
	return -ENOENT;
}

int vmm_irq_set(struct vmm_vm *vm, uint32_t gsi, int level)
{
	assert_ptr_equal(vm, &fake_vm);
	assert_true(gsi < FAKE_NR_GSIS);
	assert_true(fk.nr_irq < FAKE_MAX_IRQS);
	fk.irq[fk.nr_irq++] = (struct fake_irq){ gsi, level };
	fk.gsi_level[gsi] = level;
	return 0;
}

int vmm_msi_send(struct vmm_vm *vm, uint64_t addr, uint32_t data)
{
	assert_ptr_equal(vm, &fake_vm);
	assert_true(fk.nr_msi < FAKE_MAX_MSIS);
	fk.msi[fk.nr_msi++] = (struct fake_msi){ addr, data };
	return 0;
}

void *vmm_guest_ptr(struct vmm_vm *vm, uint64_t gpa, uint64_t len)
{
	assert_ptr_equal(vm, &fake_vm);
	if (fk.guest_ptr_hook)
		fk.guest_ptr_hook(gpa, len);
	if (!len)
		len = 1;
	if (!fk.ram || gpa >= fk.ram_size || len > fk.ram_size - gpa)
		return NULL;
	return fk.ram + gpa;
}

uint64_t vmm_ram_size(const struct vmm_vm *vm)
{
	assert_ptr_equal(vm, &fake_vm);
	return fk.ram_size;
}

/* Not under loop_lock: only from the test's thread, or with it held. */
static int loop_index(int fd)
{
	unsigned int i;

	for (i = 0; i < fk.nr_loop; i++)
		if (fk.loop[i].fd == fd)
			return i;
	return -1;
}

int vmm_loop_add(struct vmm_vm *vm, int fd, uint32_t events,
		 vmm_fd_handler handler, void *opaque)
{
	bool twice, full;

	assert_ptr_equal(vm, &fake_vm);
	assert_non_null(handler);
	pthread_mutex_lock(&loop_lock);
	twice = loop_index(fd) >= 0;
	full = fk.nr_loop == FAKE_MAX_LOOP;
	if (!twice && !full) {
		struct epoll_event ev = { .events = events, .data.fd = fd };

		fk.loop[fk.nr_loop++] = (struct fake_loop){ fd, events, handler,
							    opaque };
		fk.loop_adds++;
		fk.loop_events |= events;
		/* Best effort: a file epoll refuses still "registers" here. */
		epoll_ctl(fake_epfd, EPOLL_CTL_ADD, fd, &ev);
	}
	pthread_mutex_unlock(&loop_lock);
	if (twice)
		fail_msg("vmm_loop_add: fd %d is already in the loop", fd);
	assert_false(full);
	return 0;
}

int vmm_loop_del(struct vmm_vm *vm, int fd)
{
	int i;

	assert_ptr_equal(vm, &fake_vm);
	pthread_mutex_lock(&loop_lock);
	i = loop_index(fd);
	if (i >= 0) {
		fk.loop[i] = fk.loop[--fk.nr_loop];
		fk.loop_dels++;
		epoll_ctl(fake_epfd, EPOLL_CTL_DEL, fd, NULL);
	}
	pthread_mutex_unlock(&loop_lock);
	if (i < 0)
		fail_msg("vmm_loop_del: fd %d is not in the loop", fd);
	return 0;
}

int vmm_device_add(struct vmm_vm *vm, const char *name,
		   void (*destroy)(void *opaque), void *opaque)
{
	assert_ptr_equal(vm, &fake_vm);
	assert_non_null(name);
	assert_non_null(destroy);
	if (fk.dev_ret)
		return fk.dev_ret;
	assert_true(fk.nr_dev < FAKE_MAX_DEVICES);
	fk.dev[fk.nr_dev++] = (struct fake_dev){ name, destroy, opaque };
	return 0;
}

void vmm_vm_request_stop(struct vmm_vm *vm, enum vmm_stop_reason reason,
			 uint32_t code)
{
	assert_ptr_equal(vm, &fake_vm);
	assert_true(fk.nr_stops < FAKE_MAX_STOPS);
	if (!fk.nr_stops) {
		fk.stop = reason;
		fk.stop_code = code;
	}
	fk.stops[fk.nr_stops++] = (struct fake_stop){ reason, code };
}

int vmm_vm_sandbox_allow_ioctl(struct vmm_vm *vm, int fd,
			       unsigned long request)
{
	(void)vm;
	assert_true(fk.nr_sandbox < FAKE_MAX_SANDBOX);
	fk.sandbox[fk.nr_sandbox].fd = fd;
	fk.sandbox[fk.nr_sandbox].socket = false;
	fk.sandbox[fk.nr_sandbox++].ioctl = request;
	return 0;
}

int vmm_vm_sandbox_allow_socket(struct vmm_vm *vm, int fd)
{
	(void)vm;
	assert_true(fk.nr_sandbox < FAKE_MAX_SANDBOX);
	fk.sandbox[fk.nr_sandbox].fd = fd;
	fk.sandbox[fk.nr_sandbox].socket = true;
	fk.sandbox[fk.nr_sandbox++].ioctl = 0;
	return 0;
}

int vmm_vm_sandbox_allow_inet(struct vmm_vm *vm, unsigned int max_sockets)
{
	(void)vm;
	fk.sandbox_inet += max_sockets;
	return 0;
}

int vmm_vm_sandbox_allow_accept(struct vmm_vm *vm, int fd)
{
	(void)vm;
	assert_true(fk.nr_sandbox < FAKE_MAX_SANDBOX);
	fk.sandbox[fk.nr_sandbox].fd = fd;
	fk.sandbox[fk.nr_sandbox].accept = true;
	fk.sandbox[fk.nr_sandbox++].ioctl = 0;
	return 0;
}

int vmm_vm_sandbox_allow_accept_plain(struct vmm_vm *vm, int fd)
{
	(void)vm;
	assert_true(fk.nr_sandbox < FAKE_MAX_SANDBOX);
	fk.sandbox[fk.nr_sandbox].fd = fd;
	fk.sandbox[fk.nr_sandbox].accept_plain = true;
	fk.sandbox[fk.nr_sandbox++].ioctl = 0;
	return 0;
}

int vmm_set_error(struct vmm_vm *vm, int err, const char *fmt, ...)
{
	va_list ap;

	assert_ptr_equal(vm, &fake_vm);
	va_start(ap, fmt);
	vsnprintf(fk.msg, sizeof(fk.msg), fmt, ap);
	va_end(ap);
	fk.err = err;
	fk.nr_errors++;
	return err;
}

void vmm_vm_fail(struct vmm_vm *vm, const char *fmt, ...)
{
	va_list ap;

	assert_ptr_equal(vm, &fake_vm);
	va_start(ap, fmt);
	vsnprintf(fk.msg, sizeof(fk.msg), fmt, ap);
	va_end(ap);
	fk.nr_fails++;
}

/* ---- the bus as the guest sees it ---------------------------------------- */

struct fake_range *fake_io_find(enum vmm_space space, uint64_t addr)
{
	unsigned int i;

	for (i = 0; i < fk.nr_ranges; i++)
		if (fk.r[i].space == space && addr >= fk.r[i].base &&
		    addr < fk.r[i].base + fk.r[i].len)
			return &fk.r[i];
	return NULL;
}

struct fake_range *fake_io_single(void)
{
	assert_int_equal(fk.nr_ranges, 1);
	return &fk.r[0];
}

uint64_t io_read(enum vmm_space space, uint64_t addr, uint32_t size)
{
	struct fake_range *r = fake_io_find(space, addr);
	uint64_t v = 0;

	if (!r)
		return ~0ull >> (64 - 8 * size);
	r->ops->read(r->opaque, addr - r->base, (uint8_t *)&v, size);
	return v;
}

void io_write(enum vmm_space space, uint64_t addr, uint64_t v, uint32_t size)
{
	struct fake_range *r = fake_io_find(space, addr);

	if (r)
		r->ops->write(r->opaque, addr - r->base, (uint8_t *)&v, size);
}

uint64_t mmio_read(uint64_t addr, uint32_t size)
{
	return io_read(VMM_SPACE_MMIO, addr, size);
}

void mmio_write(uint64_t addr, uint64_t v, uint32_t size)
{
	io_write(VMM_SPACE_MMIO, addr, v, size);
}

static void cfg_select(unsigned int slot, unsigned int off)
{
	io_write(VMM_SPACE_PIO, 0xcf8, 0x80000000u | slot << 11 | (off & 0xfc),
		 4);
}

uint32_t cfg_read(unsigned int slot, unsigned int off, uint32_t size)
{
	cfg_select(slot, off);
	return io_read(VMM_SPACE_PIO, 0xcfc + (off & 3), size);
}

void cfg_write(unsigned int slot, unsigned int off, uint32_t v, uint32_t size)
{
	cfg_select(slot, off);
	io_write(VMM_SPACE_PIO, 0xcfc + (off & 3), v, size);
}

/* ---- the I/O thread, run by hand ---------------------------------------- */

struct fake_loop *fake_loop_find(int fd)
{
	int i = loop_index(fd);

	return i < 0 ? NULL : &fk.loop[i];
}

bool fake_loop_entry(unsigned int i, struct fake_loop *copy)
{
	bool there;

	pthread_mutex_lock(&loop_lock);
	there = i < fk.nr_loop;
	if (there)
		*copy = fk.loop[i];
	pthread_mutex_unlock(&loop_lock);
	return there;
}

int fake_loop_poll(int timeout_ms)
{
	struct pollfd p[FAKE_MAX_LOOP];
	unsigned int i, n = fk.nr_loop;
	int r;

	for (i = 0; i < n; i++)
		p[i] = (struct pollfd){ .fd = fk.loop[i].fd,
					.events = fk.loop[i].events };
	r = poll(p, n, timeout_ms);
	/* A handler may add or delete fds: look each one up again. */
	for (i = 0; r > 0 && i < n; i++) {
		struct fake_loop *e = fake_loop_find(p[i].fd);

		if (p[i].revents && e)
			e->handler(e->opaque, p[i].revents);
	}
	return r;
}

unsigned int fake_loop_run(void)
{
	unsigned int rounds;

	for (rounds = 0; rounds < 200; rounds++)
		if (fake_loop_poll(0) <= 0)
			return rounds;
	fail_msg("the event loop never settles: a busy loop");
	return rounds;
}

int fake_loop_epoll(int timeout_ms)
{
	struct epoll_event evs[FAKE_MAX_LOOP];
	int n, i;

	n = epoll_wait(fake_epfd, evs, FAKE_MAX_LOOP, timeout_ms);
	/* A handler may add or delete fds: look each one up again. */
	for (i = 0; i < n; i++) {
		struct fake_loop *e = fake_loop_find(evs[i].data.fd);

		if (e)
			e->handler(e->opaque, evs[i].events);
	}
	return n;
}

unsigned int fake_loop_epoll_run(void)
{
	unsigned int rounds;

	for (rounds = 0; rounds < 200; rounds++)
		if (fake_loop_epoll(0) <= 0)
			return rounds;
	fail_msg("the event loop never settles: a busy loop");
	return rounds;
}
