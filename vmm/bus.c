// SPDX-License-Identifier: GPL-2.0
/*
 * The I/O bus: port and MMIO ranges kept sorted by base, overlap refused at
 * registration, binary search on every access.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/internal.h"

int vmm_bus_init(struct vmm_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
	return pthread_rwlock_init(&bus->lock, NULL) ? -ENOMEM : 0;
}

void vmm_bus_destroy(struct vmm_bus *bus)
{
	free(bus->ranges);
	bus->ranges = NULL;
	bus->nr = bus->cap = 0;
	pthread_rwlock_destroy(&bus->lock);
}

/* Index of the first range whose end is above addr. */
static size_t bus_lower_bound(const struct vmm_bus *bus, uint64_t addr)
{
	size_t lo = 0, hi = bus->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct vmm_io_range *r = &bus->ranges[mid];

		if (r->base + r->len <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int vmm_bus_add(struct vmm_bus *bus, uint64_t base, uint64_t len,
		const struct vmm_io_ops *ops, void *opaque, const char *name,
		char *conflict, size_t conflict_len)
{
	struct vmm_io_range *r;
	size_t i;
	int ret = 0;

	pthread_rwlock_wrlock(&bus->lock);
	i = bus_lower_bound(bus, base);
	if (i < bus->nr && bus->ranges[i].base < base + len) {
		snprintf(conflict, conflict_len, "%s", bus->ranges[i].name);
		ret = -EEXIST;
		goto out;
	}
	if (bus->nr == bus->cap) {
		size_t cap = bus->cap ? bus->cap * 2 : 16;

		r = realloc(bus->ranges, cap * sizeof(*r));
		if (!r) {
			ret = -ENOMEM;
			goto out;
		}
		bus->ranges = r;
		bus->cap = cap;
	}
	memmove(&bus->ranges[i + 1], &bus->ranges[i],
		(bus->nr - i) * sizeof(*bus->ranges));
	r = &bus->ranges[i];
	r->base = base;
	r->len = len;
	r->ops = ops;
	r->opaque = opaque;
	snprintf(r->name, sizeof(r->name), "%s", name ? name : "?");
	bus->nr++;
out:
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

int vmm_bus_del(struct vmm_bus *bus, uint64_t base, struct vmm_io_range *gone)
{
	size_t i;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	i = bus_lower_bound(bus, base);
	if (i < bus->nr && bus->ranges[i].base == base) {
		if (gone)
			*gone = bus->ranges[i];
		memmove(&bus->ranges[i], &bus->ranges[i + 1],
			(bus->nr - i - 1) * sizeof(*bus->ranges));
		bus->nr--;
		ret = 0;
	}
	pthread_rwlock_unlock(&bus->lock);
	return ret;
}

bool vmm_bus_access(struct vmm_bus *bus, uint64_t addr, uint8_t *data,
		    uint32_t size, bool write)
{
	const struct vmm_io_range *r;
	struct vmm_io_range hit;
	size_t i;

	pthread_rwlock_rdlock(&bus->lock);
	i = bus_lower_bound(bus, addr);
	if (i >= bus->nr || bus->ranges[i].base > addr ||
	    addr + size > bus->ranges[i].base + bus->ranges[i].len) {
		pthread_rwlock_unlock(&bus->lock);
		return false;
	}
	r = &bus->ranges[i];
	hit = *r;
	pthread_rwlock_unlock(&bus->lock);

	/*
	 * The handler runs without the bus lock so that it may move its own
	 * ranges (a PCI BAR write); the device outlives the VM's threads.
	 */
	if (write) {
		if (hit.ops->write)
			hit.ops->write(hit.opaque, addr - hit.base, data, size);
	} else {
		memset(data, 0xff, size);
		if (hit.ops->read)
			hit.ops->read(hit.opaque, addr - hit.base, data, size);
	}
	return true;
}

/*
 * Hands a range's doorbells to the backend (assign) or takes them back.
 * Best effort: a doorbell the backend cannot take still works through the
 * range's write handler, only slower.
 */
static void io_doorbells(struct vmm_vm *vm, enum vmm_space space,
			 uint64_t base, uint64_t len,
			 const struct vmm_io_ops *ops, void *opaque, bool assign)
{
	struct vmm_doorbell db[VMM_MAX_DOORBELLS];
	unsigned int i, n;

	if (!ops->doorbells || !vm->ops || !vm->ops->ioeventfd)
		return;
	n = ops->doorbells(opaque, db, VMM_MAX_DOORBELLS);
	for (i = 0; i < n && i < VMM_MAX_DOORBELLS; i++) {
		if (db[i].offset >= len || db[i].size > len - db[i].offset)
			continue;
		vm->ops->ioeventfd(vm, space, base + db[i].offset, db[i].size,
				   db[i].fd, assign);
	}
}

int vmm_io_register(struct vmm_vm *vm, enum vmm_space space, uint64_t base,
		    uint64_t len, const struct vmm_io_ops *ops, void *opaque,
		    const char *name)
{
	const char *sp = space == VMM_SPACE_PIO ? "port" : "MMIO";
	uint64_t end, limit = space == VMM_SPACE_PIO ? 0x10000 : 1ull << 52;
	char other[32] = "";
	int r;

	if (!len || __builtin_add_overflow(base, len, &end) || end > limit)
		return vmm_set_error(vm, -EINVAL,
				     "%s: %s range 0x%llx+0x%llx is empty or past the end of the space",
				     name, sp, (unsigned long long)base,
				     (unsigned long long)len);
	if (space == VMM_SPACE_MMIO &&
	    (base < vm->low_size ||
	     (end > VMM_HIGH_RAM_START &&
	      base < VMM_HIGH_RAM_START + vm->high_size)))
		return vmm_set_error(vm, -EINVAL,
				     "%s: MMIO range 0x%llx+0x%llx overlaps guest RAM",
				     name, (unsigned long long)base,
				     (unsigned long long)len);
	r = vmm_bus_add(space == VMM_SPACE_PIO ? &vm->pio : &vm->mmio, base,
			len, ops, opaque, name, other, sizeof(other));
	if (r == -EEXIST)
		return vmm_set_error(vm, r,
				     "%s: %s range 0x%llx+0x%llx overlaps %s",
				     name, sp, (unsigned long long)base,
				     (unsigned long long)len, other);
	if (r)
		return vmm_set_error(vm, r, "%s: out of memory", name);
	io_doorbells(vm, space, base, len, ops, opaque, true);
	return 0;
}

int vmm_io_unregister(struct vmm_vm *vm, enum vmm_space space, uint64_t base)
{
	struct vmm_io_range gone;
	int r;

	r = vmm_bus_del(space == VMM_SPACE_PIO ? &vm->pio : &vm->mmio, base,
			&gone);
	if (!r)
		io_doorbells(vm, space, gone.base, gone.len, gone.ops,
			     gone.opaque, false);
	return r;
}
