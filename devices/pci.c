/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI bus 0: the type-1 configuration mechanism, per-device config space
 * with write masks, BAR decoding onto the MMIO bus, INTx and MSI-X.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/pci.h"

#define PCI_CONFIG_PORT		0xcf8
#define PCI_CONFIG_PORTS	8
#define PCI_ADDR_ENABLE		0x80000000u
#define PCI_ADDR_EXT_REG	0x0f000000u	/* AMD extended register bits */
#define PCI_ADDR_MASK		0x8ffffffcu	/* bits that read back */
#define PCI_RCR_OFFSET		1		/* 0xCF9: reset control */
#define PCI_RCR_RESET		0x04

/*
 * The host bridge is Intel's 82441FX (440FX PMC), 8086:1237, as QEMU's pc
 * machine and crosvm present it: well known to every guest, and not
 * QEMU's own 1b36:0008 (Red Hat's vendor ID, not ours to use).  Linux
 * binds no driver to it: intel-agp lists the ID but, with no Intel IGD
 * in the machine, gives up (-ENODEV, silently without an AGP capability);
 * its two quirks only flag old capture cards' PCI-to-PCI transfers
 * (Natoma) and look for a PIIX3 there is none of (passive release).
 * Cloud Hypervisor and Firecracker present 8086:0d57 instead, a virtual
 * host bridge of their own in Intel's ID space that no table knows.
 */
#define PCI_HOST_VENDOR		0x8086
#define PCI_HOST_DEVICE		0x1237
#define PCI_CLASS_HOST_BRIDGE	0x060000

struct pci_bus {
	struct vmm_vm *vm;
	pthread_mutex_t lock;		/* below, all devices' cfg and BARs */
	uint32_t addr;			/* CONFIG_ADDRESS */
	uint8_t rcr;
	struct pci_device *slot[PCI_NR_SLOTS];
	uint64_t mmio_next;		/* where the next BAR goes */
	struct pci_device host;

	pthread_mutex_t intx_lock;	/* INTx state of every device */
	unsigned int intx_users[4];	/* devices asserting each line */
};

static bool ranges_overlap(unsigned int a, unsigned int alen, unsigned int b,
			   unsigned int blen)
{
	return a < b + blen && b < a + alen;
}

/* ---- INTx ---------------------------------------------------------------- */

static uint32_t pci_intx_index(const struct pci_device *dev)
{
	return (dev->slot + dev->cfg[PCI_CFG_INT_PIN] - 1) % 4;
}

/* Called with the bus's intx lock held. */
static void pci_intx_update(struct pci_device *dev)
{
	struct pci_bus *bus = dev->bus;
	bool want = dev->intx_level && !dev->intx_blocked &&
		    dev->cfg[PCI_CFG_INT_PIN];
	uint32_t idx;

	if (want == dev->intx_asserted)
		return;
	dev->intx_asserted = want;
	idx = pci_intx_index(dev);
	if (want) {
		if (bus->intx_users[idx]++ == 0)
			vmm_irq_set(bus->vm, PCI_INTX_GSI_BASE + idx, 1);
	} else {
		if (--bus->intx_users[idx] == 0)
			vmm_irq_set(bus->vm, PCI_INTX_GSI_BASE + idx, 0);
	}
}

void pci_intx_set(struct pci_device *dev, bool level)
{
	struct pci_bus *bus = dev->bus;

	if (!bus) {
		dev->intx_level = level;
		return;
	}
	pthread_mutex_lock(&bus->intx_lock);
	dev->intx_level = level;
	pci_intx_update(dev);
	pthread_mutex_unlock(&bus->intx_lock);
}

/* Bus lock held: the command register or MSI-X enable changed. */
static void pci_intx_recompute(struct pci_device *dev)
{
	struct pci_bus *bus = dev->bus;
	bool blocked = pci_cfg_get16(dev, PCI_CFG_COMMAND) & PCI_CMD_INTX_DISABLE;

	if (dev->msix.nr &&
	    (pci_cfg_get16(dev, dev->msix.cap + PCI_MSIX_CTRL) &
	     PCI_MSIX_CTRL_ENABLE))
		blocked = true;
	pthread_mutex_lock(&bus->intx_lock);
	dev->intx_blocked = blocked;
	pci_intx_update(dev);
	pthread_mutex_unlock(&bus->intx_lock);
}

/* ---- MSI-X --------------------------------------------------------------- */

static uint32_t le32_at(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static bool msix_masked(const struct pci_msix *m, unsigned int vec)
{
	return m->table[vec * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_CTRL] & 1;
}

/* msix lock held; delivering under it keeps pending bits consistent. */
static int msix_send(struct pci_device *dev, unsigned int vec)
{
	const uint8_t *e = &dev->msix.table[vec * PCI_MSIX_ENTRY_SIZE];
	uint64_t addr = le32_at(e) | (uint64_t)le32_at(e + 4) << 32;

	return vmm_msi_send(pci_bus_vm(dev->bus), addr, le32_at(e + 8));
}

static void msix_deliver_pending(struct pci_device *dev, unsigned int first,
				 unsigned int last)
{
	struct pci_msix *m = &dev->msix;
	unsigned int v;

	if (!m->enabled || m->fmask || !dev->bus)
		return;
	for (v = first; v <= last && v < m->nr; v++) {
		uint64_t bit = 1ull << (v % 64);

		if (!(m->pba[v / 64] & bit) || msix_masked(m, v))
			continue;
		m->pba[v / 64] &= ~bit;
		msix_send(dev, v);
	}
}

int pci_msix_notify(struct pci_device *dev, unsigned int vector)
{
	struct pci_msix *m = &dev->msix;
	int ret = 0;

	pthread_mutex_lock(&m->lock);
	if (vector >= m->nr)
		ret = -EINVAL;
	else if (!m->enabled || !dev->bus)
		ret = -ENODEV;
	else if (m->fmask || msix_masked(m, vector))
		m->pba[vector / 64] |= 1ull << (vector % 64);
	else
		ret = msix_send(dev, vector);
	pthread_mutex_unlock(&m->lock);
	return ret;
}

bool pci_msix_enabled(struct pci_device *dev)
{
	bool on;

	if (!dev->msix.nr)
		return false;
	pthread_mutex_lock(&dev->msix.lock);
	on = dev->msix.enabled;
	pthread_mutex_unlock(&dev->msix.lock);
	return on;
}

unsigned int pci_msix_vectors(const struct pci_device *dev)
{
	return dev->msix.nr;
}

static void msix_mmio_read(void *opaque, uint64_t offset, uint8_t *data,
			   uint32_t size)
{
	struct pci_device *dev = opaque;
	struct pci_msix *m = &dev->msix;
	uint64_t table_end = m->table_off + (uint64_t)m->nr * PCI_MSIX_ENTRY_SIZE;
	uint64_t pba_end = m->pba_off + (m->nr + 63) / 64 * 8;
	uint32_t i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < size; i++) {
		uint64_t o = offset + i;

		data[i] = 0;
		if (o >= m->table_off && o < table_end) {
			data[i] = m->table[o - m->table_off];
		} else if (o >= m->pba_off && o < pba_end) {
			o -= m->pba_off;
			data[i] = m->pba[o / 8] >> (8 * (o % 8));
		}
	}
	pthread_mutex_unlock(&m->lock);
}

static void msix_mmio_write(void *opaque, uint64_t offset, const uint8_t *data,
			    uint32_t size)
{
	struct pci_device *dev = opaque;
	struct pci_msix *m = &dev->msix;
	uint64_t table_end = m->table_off + (uint64_t)m->nr * PCI_MSIX_ENTRY_SIZE;
	unsigned int first = ~0u, last = 0;
	uint32_t i;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < size; i++) {
		uint64_t o = offset + i;
		unsigned int field;

		/* The PBA and everything else is read-only. */
		if (o < m->table_off || o >= table_end)
			continue;
		o -= m->table_off;
		field = o % PCI_MSIX_ENTRY_SIZE;
		if (field < PCI_MSIX_ENTRY_CTRL)
			m->table[o] = data[i];
		else if (field == PCI_MSIX_ENTRY_CTRL)
			m->table[o] = data[i] & 1;	/* only the mask bit */
		else
			continue;
		if (first == ~0u)
			first = o / PCI_MSIX_ENTRY_SIZE;
		last = o / PCI_MSIX_ENTRY_SIZE;
	}
	if (first != ~0u)
		msix_deliver_pending(dev, first, last);
	pthread_mutex_unlock(&m->lock);
}

static const struct vmm_io_ops msix_mmio_ops = {
	.read = msix_mmio_read,
	.write = msix_mmio_write,
};

/* Bus lock held: the guest wrote the message control word. */
static void msix_ctrl_update(struct pci_device *dev)
{
	struct pci_msix *m = &dev->msix;
	uint16_t ctrl = pci_cfg_get16(dev, m->cap + PCI_MSIX_CTRL);

	pthread_mutex_lock(&m->lock);
	m->enabled = ctrl & PCI_MSIX_CTRL_ENABLE;
	m->fmask = ctrl & PCI_MSIX_CTRL_MASK;
	msix_deliver_pending(dev, 0, m->nr - 1);
	pthread_mutex_unlock(&m->lock);
}

int pci_msix_init(struct pci_device *dev, unsigned int bar, unsigned int nr)
{
	struct pci_msix *m = &dev->msix;
	uint64_t half = 2048;
	uint8_t cap[PCI_MSIX_CAP_LEN] = { PCI_CAP_ID_MSIX };
	unsigned int v;
	int off, ret;

	if (!nr || nr > PCI_MSIX_MAX_VECTORS || m->nr)
		return -EINVAL;
	/* Table in the lower half of the BAR, PBA in the upper. */
	while (half < (uint64_t)nr * PCI_MSIX_ENTRY_SIZE)
		half *= 2;
	ret = pci_device_set_bar(dev, bar, 2 * half, false, false,
				 &msix_mmio_ops, dev);
	if (ret)
		return ret;
	m->table = calloc(nr, PCI_MSIX_ENTRY_SIZE);
	m->pba = calloc((nr + 63) / 64, sizeof(*m->pba));
	if (!m->table || !m->pba) {
		ret = -ENOMEM;
		goto err_free;
	}
	for (v = 0; v < nr; v++)
		m->table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_CTRL] = 1;
	m->table_off = 0;
	m->pba_off = half;
	m->bar = bar;

	cap[PCI_MSIX_CTRL] = (nr - 1) & 0xff;
	cap[PCI_MSIX_CTRL + 1] = (nr - 1) >> 8;
	cap[PCI_MSIX_TABLE] = bar;
	cap[PCI_MSIX_PBA] = bar | (half & 0xff);
	cap[PCI_MSIX_PBA + 1] = half >> 8;
	cap[PCI_MSIX_PBA + 2] = half >> 16;
	cap[PCI_MSIX_PBA + 3] = half >> 24;
	off = pci_add_capability(dev, cap, sizeof(cap));
	if (off < 0) {
		ret = off;
		goto err_free;
	}
	m->cap = off;
	dev->wmask[off + PCI_MSIX_CTRL + 1] =
		(PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASK) >> 8;
	m->nr = nr;
	return 0;

err_free:
	free(m->table);
	free(m->pba);
	m->table = NULL;
	m->pba = NULL;
	memset(&dev->bar[bar], 0, sizeof(dev->bar[bar]));
	pci_cfg_set32(dev, PCI_CFG_BAR0 + 4 * bar, 0);
	memset(&dev->wmask[PCI_CFG_BAR0 + 4 * bar], 0, 4);
	return ret;
}

/* ---- devices ------------------------------------------------------------- */

void pci_device_init(struct pci_device *dev, const char *name,
		     uint16_t vendor, uint16_t device, uint32_t class_code)
{
	memset(dev, 0, sizeof(*dev));
	pthread_mutex_init(&dev->msix.lock, NULL);
	dev->name = name;
	pci_cfg_set16(dev, PCI_CFG_VENDOR_ID, vendor);
	pci_cfg_set16(dev, PCI_CFG_DEVICE_ID, device);
	pci_cfg_set8(dev, PCI_CFG_CLASS_PROG, class_code & 0xff);
	pci_cfg_set16(dev, PCI_CFG_CLASS_PROG + 1, class_code >> 8);
	pci_cfg_set16(dev, PCI_CFG_SUBSYS_VENDOR, vendor);
	pci_cfg_set16(dev, PCI_CFG_SUBSYS_ID, device);
	pci_cfg_set8(dev, PCI_CFG_INT_PIN, 1);
	/* No I/O BARs, so the I/O enable bit stays 0. */
	dev->wmask[PCI_CFG_COMMAND] = (PCI_CMD_MEMORY | PCI_CMD_MASTER |
				       PCI_CMD_PARITY) & 0xff;
	dev->wmask[PCI_CFG_COMMAND + 1] = (PCI_CMD_SERR |
					   PCI_CMD_INTX_DISABLE) >> 8;
	dev->wmask[PCI_CFG_CACHE_LINE] = 0xff;
	dev->wmask[PCI_CFG_INT_LINE] = 0xff;
	dev->next_cap = PCI_CFG_CAP_START;
}

void pci_device_cleanup(struct pci_device *dev)
{
	free(dev->msix.table);
	free(dev->msix.pba);
	dev->msix.table = NULL;
	dev->msix.pba = NULL;
	dev->msix.nr = 0;
	pthread_mutex_destroy(&dev->msix.lock);
}

int pci_device_set_bar(struct pci_device *dev, unsigned int index,
		       uint64_t size, bool is64, bool prefetch,
		       const struct vmm_io_ops *ops, void *opaque)
{
	unsigned int off = PCI_CFG_BAR0 + 4 * index;
	uint64_t mask = ~(size - 1);
	struct pci_bar *bar;

	if (index >= PCI_NR_BARS || (is64 && index + 1 >= PCI_NR_BARS) ||
	    size < 16 || (size & (size - 1)) || (!is64 && size > (1ull << 31)))
		return -EINVAL;
	if (dev->bar[index].size || (index && dev->bar[index - 1].is64) ||
	    (is64 && dev->bar[index + 1].size))
		return -EBUSY;
	bar = &dev->bar[index];
	bar->size = size;
	bar->is64 = is64;
	bar->prefetch = prefetch;
	bar->ops = ops;
	bar->opaque = opaque;
	pci_cfg_set32(dev, off, (is64 ? PCI_BAR_MEM_64 : 0) |
		      (prefetch ? PCI_BAR_PREFETCH : 0));
	/* Writing all-ones reads back ~(size - 1): the size probe. */
	dev->wmask[off] = mask & 0xf0;
	dev->wmask[off + 1] = mask >> 8;
	dev->wmask[off + 2] = mask >> 16;
	dev->wmask[off + 3] = mask >> 24;
	if (is64) {
		dev->wmask[off + 4] = mask >> 32;
		dev->wmask[off + 5] = mask >> 40;
		dev->wmask[off + 6] = mask >> 48;
		dev->wmask[off + 7] = mask >> 56;
	}
	return 0;
}

int pci_add_capability(struct pci_device *dev, const void *cap, uint8_t len)
{
	unsigned int off = (dev->next_cap + 3) & ~3u;
	unsigned int prev;

	if (len < 2 || off + len > PCI_CFG_SIZE)
		return -ENOSPC;
	memcpy(&dev->cfg[off], cap, len);
	dev->cfg[off + 1] = 0;
	if (!dev->cfg[PCI_CFG_CAP_PTR]) {
		dev->cfg[PCI_CFG_CAP_PTR] = off;
	} else {
		/* Our own list: ascending offsets, so this ends. */
		for (prev = dev->cfg[PCI_CFG_CAP_PTR]; dev->cfg[prev + 1];
		     prev = dev->cfg[prev + 1])
			;
		dev->cfg[prev + 1] = off;
	}
	dev->cfg[PCI_CFG_STATUS] |= PCI_STATUS_CAP_LIST;
	dev->next_cap = off + len;
	return off;
}

/* ---- BAR decoding -------------------------------------------------------- */

static uint64_t pci_bar_addr(const struct pci_device *dev, unsigned int i)
{
	uint64_t addr = pci_cfg_get32(dev, PCI_CFG_BAR0 + 4 * i) & ~0xfull;

	if (dev->bar[i].is64)
		addr |= (uint64_t)pci_cfg_get32(dev, PCI_CFG_BAR0 + 4 * i + 4) << 32;
	return addr;
}

static void pci_bar_unmap(struct pci_bus *bus, struct pci_bar *bar)
{
	if (!bar->mapped)
		return;
	vmm_io_unregister(bus->vm, VMM_SPACE_MMIO, bar->mapped_at);
	bar->mapped = false;
}

/* Where the guest wants BAR i decoded: 0 for nowhere. */
static uint64_t pci_bar_target(const struct pci_device *dev, unsigned int i)
{
	uint64_t addr = pci_bar_addr(dev, i);

	if (!(pci_cfg_get16(dev, PCI_CFG_COMMAND) & PCI_CMD_MEMORY))
		return 0;
	if (addr + dev->bar[i].size < addr)
		return 0;
	return addr;
}

/*
 * Bus lock held.  Brings the MMIO bus in line with what the guest
 * programmed; a range that cannot be registered (overlap, RAM, out of the
 * address space) stays unmapped and is retried on the next change.
 */
static int pci_bar_sync(struct pci_bus *bus, struct pci_device *dev,
			unsigned int i)
{
	struct pci_bar *bar = &dev->bar[i];
	uint64_t addr = pci_bar_target(dev, i);
	int ret;

	if (bar->mapped && bar->mapped_at != addr)
		pci_bar_unmap(bus, bar);
	if (!addr || bar->mapped)
		return 0;
	ret = vmm_io_register(bus->vm, VMM_SPACE_MMIO, addr, bar->size,
			      bar->ops, bar->opaque, dev->name);
	if (ret)
		return ret;
	bar->mapped = true;
	bar->mapped_at = addr;
	return 0;
}

/* Unmaps everything that moved first, so BARs that swap places both map. */
static void pci_bars_sync_all(struct pci_bus *bus)
{
	unsigned int s, i, pass;

	for (pass = 0; pass < 2; pass++) {
		for (s = 0; s < PCI_NR_SLOTS; s++) {
			struct pci_device *dev = bus->slot[s];

			for (i = 0; dev && i < PCI_NR_BARS; i++) {
				struct pci_bar *bar = &dev->bar[i];

				if (!bar->size)
					continue;
				if (pass == 0 && bar->mapped &&
				    bar->mapped_at != pci_bar_target(dev, i))
					pci_bar_unmap(bus, bar);
				else if (pass == 1)
					pci_bar_sync(bus, dev, i);
			}
		}
	}
}

/* ---- config space -------------------------------------------------------- */

/* Bus lock held. */
static void pci_cfg_read(struct pci_device *dev, unsigned int off,
			 uint8_t *data, unsigned int len)
{
	struct pci_bus *bus = dev->bus;

	memcpy(data, &dev->cfg[off], len);
	if (ranges_overlap(off, len, PCI_CFG_STATUS, 1)) {
		pthread_mutex_lock(&bus->intx_lock);
		if (dev->intx_level)
			data[PCI_CFG_STATUS - off] |= PCI_STATUS_INTERRUPT;
		pthread_mutex_unlock(&bus->intx_lock);
	}
}

/* Bus lock held. */
static void pci_cfg_write(struct pci_device *dev, unsigned int off,
			  const uint8_t *data, unsigned int len)
{
	struct pci_bus *bus = dev->bus;
	uint16_t old_cmd = pci_cfg_get16(dev, PCI_CFG_COMMAND);
	bool remap = false;
	uint16_t cmd;
	unsigned int i;

	for (i = 0; i < len; i++)
		dev->cfg[off + i] = (dev->cfg[off + i] & ~dev->wmask[off + i]) |
				    (data[i] & dev->wmask[off + i]);

	cmd = pci_cfg_get16(dev, PCI_CFG_COMMAND);
	if ((cmd ^ old_cmd) & PCI_CMD_MEMORY)
		remap = true;
	if (ranges_overlap(off, len, PCI_CFG_BAR0, 4 * PCI_NR_BARS))
		remap = true;
	if (dev->msix.nr &&
	    ranges_overlap(off, len, dev->msix.cap + PCI_MSIX_CTRL, 2))
		msix_ctrl_update(dev);
	if (ranges_overlap(off, len, PCI_CFG_COMMAND, 2) ||
	    (dev->msix.nr &&
	     ranges_overlap(off, len, dev->msix.cap + PCI_MSIX_CTRL, 2)))
		pci_intx_recompute(dev);
	if (remap)
		pci_bars_sync_all(bus);
}

/* The device CONFIG_ADDRESS selects, or NULL: reads as all-ones. */
static struct pci_device *pci_target(struct pci_bus *bus)
{
	uint32_t addr = bus->addr;

	if (!(addr & PCI_ADDR_ENABLE) || (addr & PCI_ADDR_EXT_REG))
		return NULL;
	if ((addr >> 16) & 0xff)	/* bus number: only bus 0 */
		return NULL;
	if ((addr >> 8) & 7)		/* function: single-function devices */
		return NULL;
	return bus->slot[(addr >> 11) & 0x1f];
}

/*
 * Port offsets 0-3 are CONFIG_ADDRESS (only dword accesses reach it;
 * 0xCF9 alone is the reset control register), 4-7 the data window onto
 * the selected dword.  Bytes that fall outside a decoded register read as
 * all-ones and drop writes, as on the chipsets Linux probes.
 */
static void pci_port_read(void *opaque, uint64_t offset, uint8_t *data,
			  uint32_t size)
{
	struct pci_bus *bus = opaque;
	uint64_t start = offset < 4 ? 4 : offset;
	uint64_t end = offset + size > 8 ? 8 : offset + size;
	struct pci_device *dev;

	memset(data, 0xff, size);
	pthread_mutex_lock(&bus->lock);
	if (offset == 0 && size == 4) {
		memcpy(data, &bus->addr, 4);
	} else if (offset == PCI_RCR_OFFSET && size == 1) {
		data[0] = bus->rcr;
	} else if (start < end) {
		dev = pci_target(bus);
		if (dev)
			pci_cfg_read(dev, (bus->addr & 0xfc) + start - 4,
				     data + (start - offset), end - start);
	}
	pthread_mutex_unlock(&bus->lock);
}

static void pci_port_write(void *opaque, uint64_t offset, const uint8_t *data,
			   uint32_t size)
{
	struct pci_bus *bus = opaque;
	uint64_t start = offset < 4 ? 4 : offset;
	uint64_t end = offset + size > 8 ? 8 : offset + size;
	struct pci_device *dev;
	bool reset = false;
	uint32_t val;

	pthread_mutex_lock(&bus->lock);
	if (offset == 0 && size == 4) {
		memcpy(&val, data, 4);
		bus->addr = val & PCI_ADDR_MASK;
	} else if (offset == PCI_RCR_OFFSET && size == 1) {
		bus->rcr = data[0] & ~PCI_RCR_RESET;
		reset = data[0] & PCI_RCR_RESET;
	} else if (start < end) {
		dev = pci_target(bus);
		if (dev)
			pci_cfg_write(dev, (bus->addr & 0xfc) + start - 4,
				      data + (start - offset), end - start);
	}
	pthread_mutex_unlock(&bus->lock);
	if (reset)
		vmm_vm_request_stop(bus->vm, VMM_STOP_RESET, 0);
}

static const struct vmm_io_ops pci_port_ops = {
	.read = pci_port_read,
	.write = pci_port_write,
};

/* ---- the bus ------------------------------------------------------------- */

struct vmm_vm *pci_bus_vm(const struct pci_bus *bus)
{
	return bus->vm;
}

int pci_bus_add(struct pci_bus *bus, struct pci_device *dev)
{
	uint64_t next, base;
	unsigned int s, i;
	int ret;

	pthread_mutex_lock(&bus->lock);
	for (s = 1; s < PCI_NR_SLOTS && bus->slot[s]; s++)
		;
	if (s == PCI_NR_SLOTS) {
		ret = vmm_set_error(bus->vm, -ENOSPC,
				    "pci: no free slot for %s", dev->name);
		goto out_unlock;
	}
	/* Natural alignment, in the order of the BARs. */
	next = bus->mmio_next;
	for (i = 0; i < PCI_NR_BARS; i++) {
		struct pci_bar *bar = &dev->bar[i];
		unsigned int off = PCI_CFG_BAR0 + 4 * i;

		if (!bar->size)
			continue;
		base = (next + bar->size - 1) & ~(bar->size - 1);
		if (base < next || base + bar->size > VMM_PCI_MMIO_END) {
			ret = vmm_set_error(bus->vm, -ENOSPC,
					    "pci: no MMIO space for BAR %u of %s",
					    i, dev->name);
			goto out_unlock;
		}
		pci_cfg_set32(dev, off, (pci_cfg_get32(dev, off) & 0xf) |
			      (uint32_t)base);
		if (bar->is64)
			pci_cfg_set32(dev, off + 4, base >> 32);
		next = base + bar->size;
	}
	dev->bus = bus;
	dev->slot = s;
	if (dev->cfg[PCI_CFG_INT_PIN])
		dev->cfg[PCI_CFG_INT_LINE] = PCI_INTX_GSI_BASE +
					     pci_intx_index(dev);
	pci_cfg_set16(dev, PCI_CFG_COMMAND,
		      pci_cfg_get16(dev, PCI_CFG_COMMAND) | PCI_CMD_MEMORY);
	for (i = 0; i < PCI_NR_BARS; i++) {
		if (!dev->bar[i].size)
			continue;
		ret = pci_bar_sync(bus, dev, i);
		if (ret)
			goto err_unmap;
	}
	bus->slot[s] = dev;
	bus->mmio_next = next;
	pthread_mutex_unlock(&bus->lock);

	pthread_mutex_lock(&bus->intx_lock);
	pci_intx_update(dev);
	pthread_mutex_unlock(&bus->intx_lock);
	return 0;

err_unmap:
	for (i = 0; i < PCI_NR_BARS; i++)
		pci_bar_unmap(bus, &dev->bar[i]);
	dev->bus = NULL;
out_unlock:
	pthread_mutex_unlock(&bus->lock);
	return ret;
}

void pci_bus_remove(struct pci_device *dev)
{
	struct pci_bus *bus = dev->bus;
	unsigned int i;

	if (!bus)
		return;
	pthread_mutex_lock(&bus->lock);
	for (i = 0; i < PCI_NR_BARS; i++)
		pci_bar_unmap(bus, &dev->bar[i]);
	bus->slot[dev->slot] = NULL;
	pthread_mutex_lock(&bus->intx_lock);
	dev->intx_level = false;
	pci_intx_update(dev);
	pthread_mutex_unlock(&bus->intx_lock);
	pthread_mutex_lock(&dev->msix.lock);
	dev->bus = NULL;
	pthread_mutex_unlock(&dev->msix.lock);
	pthread_mutex_unlock(&bus->lock);
}

static void pci_bus_free(struct pci_bus *bus)
{
	pci_device_cleanup(&bus->host);
	pthread_mutex_destroy(&bus->intx_lock);
	pthread_mutex_destroy(&bus->lock);
	free(bus);
}

static void pci_bus_destroy(void *opaque)
{
	struct pci_bus *bus = opaque;

	vmm_io_unregister(bus->vm, VMM_SPACE_PIO, PCI_CONFIG_PORT);
	pci_bus_free(bus);
}

int pci_bus_create(struct vmm_vm *vm, struct pci_bus **out)
{
	struct pci_bus *bus;
	int ret;

	bus = calloc(1, sizeof(*bus));
	if (!bus)
		return vmm_set_error(vm, -ENOMEM, "pci: out of memory");
	bus->vm = vm;
	bus->mmio_next = VMM_PCI_MMIO_START;
	pthread_mutex_init(&bus->lock, NULL);
	pthread_mutex_init(&bus->intx_lock, NULL);

	pci_device_init(&bus->host, "pci-host", PCI_HOST_VENDOR,
			PCI_HOST_DEVICE, PCI_CLASS_HOST_BRIDGE);
	bus->host.cfg[PCI_CFG_INT_PIN] = 0;
	bus->host.bus = bus;
	bus->slot[0] = &bus->host;

	ret = vmm_io_register(vm, VMM_SPACE_PIO, PCI_CONFIG_PORT,
			      PCI_CONFIG_PORTS, &pci_port_ops, bus, "pci-config");
	if (ret)
		goto err_free;
	ret = vmm_device_add(vm, "pci", pci_bus_destroy, bus);
	if (ret)
		goto err_unregister;
	*out = bus;
	return 0;

err_unregister:
	vmm_io_unregister(vm, VMM_SPACE_PIO, PCI_CONFIG_PORT);
err_free:
	pci_bus_free(bus);
	return ret;
}
