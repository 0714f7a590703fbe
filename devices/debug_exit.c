/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The debug-exit port (how test guests report a result and stop) and the
 * marker port beside it (how benchmark guests timestamp their progress).
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/debug_exit.h"

#define EXIT_REG	0	/* offsets in the registered range */
#define MARKER_REG	1
/*
 * The bus hands a device only accesses that fit its range, so a 4-byte
 * write to the exit port needs 4 ports; the two above the marker are idle.
 */
#define NR_PORTS	4

struct debug_exit {
	struct vmm_vm *vm;

	pthread_mutex_t lock;	/* guards the marker */
	bool has_marker;
	uint32_t marker;
	uint64_t marker_ns;
};

static void debug_exit_read(void *opaque, uint64_t offset, uint8_t *data,
			    uint32_t size)
{
	(void)opaque;
	(void)offset;
	memset(data, 0xff, size);
}

static void debug_exit_write(void *opaque, uint64_t offset,
			     const uint8_t *data, uint32_t size)
{
	struct debug_exit *d = opaque;
	struct timespec ts;
	uint32_t v = 0;
	uint32_t i;

	if (offset == MARKER_REG) {
		if (!size)
			return;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		pthread_mutex_lock(&d->lock);
		d->marker = data[0];
		d->marker_ns = (uint64_t)ts.tv_sec * 1000000000ull +
			       ts.tv_nsec;
		d->has_marker = true;
		pthread_mutex_unlock(&d->lock);
		return;
	}
	if (offset != EXIT_REG)
		return;
	/* Little-endian; an 8-byte (MMIO-style) access keeps its low half. */
	for (i = 0; i < size && i < sizeof(v); i++)
		v |= (uint32_t)data[i] << (8 * i);
	vmm_vm_request_stop(d->vm, VMM_STOP_DEBUG_EXIT, v);
}

static const struct vmm_io_ops debug_exit_ops = {
	.read = debug_exit_read,
	.write = debug_exit_write,
};

int debug_exit_last_marker(struct debug_exit *d, uint32_t *value,
			   uint64_t *ns)
{
	int r = -ENOENT;

	pthread_mutex_lock(&d->lock);
	if (d->has_marker) {
		if (value)
			*value = d->marker;
		if (ns)
			*ns = d->marker_ns;
		r = 0;
	}
	pthread_mutex_unlock(&d->lock);
	return r;
}

static void debug_exit_destroy(void *opaque)
{
	struct debug_exit *d = opaque;

	pthread_mutex_destroy(&d->lock);
	free(d);
}

int debug_exit_create(struct vmm_vm *vm, uint16_t port,
		      struct debug_exit **out)
{
	struct debug_exit *d;
	int r;

	if (port > 0x10000 - NR_PORTS)
		return vmm_set_error(vm, -EINVAL,
				     "debug-exit: port 0x%x: its 4 ports would run past 0xffff",
				     port);
	d = calloc(1, sizeof(*d));
	if (!d)
		return vmm_set_error(vm, -ENOMEM, "debug-exit: out of memory");
	d->vm = vm;
	r = -pthread_mutex_init(&d->lock, NULL);
	if (r) {
		vmm_set_error(vm, r, "debug-exit: mutex: %s", strerror(-r));
		goto err_free;
	}
	r = vmm_io_register(vm, VMM_SPACE_PIO, port, NR_PORTS, &debug_exit_ops,
			    d, "debug-exit");
	if (r)
		goto err_mutex;
	r = vmm_device_add(vm, "debug-exit", debug_exit_destroy, d);
	if (r)
		goto err_unregister;
	if (out)
		*out = d;
	return 0;

err_unregister:
	vmm_io_unregister(vm, VMM_SPACE_PIO, port);
err_mutex:
	pthread_mutex_destroy(&d->lock);
err_free:
	free(d);
	return r;
}
