/* SPDX-License-Identifier: GPL-2.0 */
/*
 * PCI bus 0 behind a type-1 host bridge (ports 0xCF8-0xCFF): config space,
 * BAR placement and decoding, INTx swizzling and MSI-X for device models.
 *
 * A device model embeds a struct pci_device, describes it with
 * pci_device_init(), pci_device_set_bar(), pci_add_capability() and
 * pci_msix_init(), then calls pci_bus_add().  BARs are assigned inside
 * [VMM_PCI_MMIO_START, VMM_PCI_MMIO_END), memory decoding is enabled as
 * firmware would leave it, and each BAR's ops are registered on the MMIO
 * bus while the guest keeps it decoded; a BAR moved onto something else
 * stays unmapped.  The bus and its devices' config space are guarded by the
 * bus lock; the MSI-X state by a lock of its own, so BAR handlers never
 * need the bus lock.  Only memory BARs exist: modern virtio needs no I/O
 * BARs, and no I/O window is described to the guest.
 */
#ifndef DEVICES_PCI_H
#define DEVICES_PCI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "vmm/device.h"

/* Type 0 header offsets. */
#define PCI_CFG_VENDOR_ID	0x00
#define PCI_CFG_DEVICE_ID	0x02
#define PCI_CFG_COMMAND		0x04
#define PCI_CFG_STATUS		0x06
#define PCI_CFG_REVISION	0x08
#define PCI_CFG_CLASS_PROG	0x09	/* prog-if, subclass, class: 3 bytes */
#define PCI_CFG_CACHE_LINE	0x0c
#define PCI_CFG_HEADER_TYPE	0x0e
#define PCI_CFG_BAR0		0x10
#define PCI_CFG_SUBSYS_VENDOR	0x2c
#define PCI_CFG_SUBSYS_ID	0x2e
#define PCI_CFG_ROM		0x30
#define PCI_CFG_CAP_PTR		0x34
#define PCI_CFG_INT_LINE	0x3c
#define PCI_CFG_INT_PIN		0x3d
#define PCI_CFG_SIZE		256
#define PCI_CFG_CAP_START	0x40	/* capabilities live above the header */

#define PCI_CMD_IO		0x0001
#define PCI_CMD_MEMORY		0x0002
#define PCI_CMD_MASTER		0x0004
#define PCI_CMD_PARITY		0x0040
#define PCI_CMD_SERR		0x0100
#define PCI_CMD_INTX_DISABLE	0x0400

#define PCI_STATUS_INTERRUPT	0x0008
#define PCI_STATUS_CAP_LIST	0x0010

#define PCI_BAR_MEM_64		0x04	/* BAR low bits: type 64-bit */
#define PCI_BAR_PREFETCH	0x08

#define PCI_CAP_ID_MSIX		0x11
#define PCI_CAP_ID_VENDOR	0x09

/* MSI-X capability layout (offsets from the capability). */
#define PCI_MSIX_CTRL		2
#define PCI_MSIX_CTRL_ENABLE	0x8000
#define PCI_MSIX_CTRL_MASK	0x4000
#define PCI_MSIX_TABLE		4
#define PCI_MSIX_PBA		8
#define PCI_MSIX_CAP_LEN	12
#define PCI_MSIX_ENTRY_SIZE	16
#define PCI_MSIX_ENTRY_CTRL	12	/* vector control; bit 0 masks */
#define PCI_MSIX_MAX_VECTORS	2048

#define PCI_NR_BARS		6
#define PCI_NR_SLOTS		32
#define PCI_INTX_GSI_BASE	16	/* slot s pin p -> 16 + (s + p) % 4 */

struct pci_bus;

struct pci_bar {
	uint64_t size;			/* 0: unused; else a power of two */
	bool is64, prefetch;
	const struct vmm_io_ops *ops;
	void *opaque;
	/* Bus state (bus lock). */
	bool mapped;
	uint64_t mapped_at;
};

struct pci_msix {
	pthread_mutex_t lock;		/* everything below */
	unsigned int nr;		/* vectors; 0: no MSI-X */
	unsigned int bar;
	uint8_t cap;			/* config offset of the capability */
	uint64_t table_off, pba_off;
	uint8_t *table;			/* nr entries of 16 bytes, little-endian */
	uint64_t *pba;
	bool enabled, fmask;
};

struct pci_device {
	const char *name;		/* names its I/O ranges; static */
	uint8_t cfg[PCI_CFG_SIZE];
	uint8_t wmask[PCI_CFG_SIZE];	/* bits the guest may write */
	uint8_t next_cap;		/* where the next capability goes */
	struct pci_bar bar[PCI_NR_BARS];
	struct pci_msix msix;

	/* Bus state: set by pci_bus_add. */
	struct pci_bus *bus;
	unsigned int slot;
	/* INTx (the bus's intx lock). */
	bool intx_level;		/* what the device drives */
	bool intx_blocked;		/* INTx disable set or MSI-X enabled */
	bool intx_asserted;		/* what reaches the line */
};

/*
 * Creates bus 0 with the host bridge at device 0 and claims ports
 * 0xCF8-0xCFF (0xCF9 is also the reset control register: writing bit 2
 * resets the machine).  The bus is freed at vmm_vm_destroy().
 */
int pci_bus_create(struct vmm_vm *vm, struct pci_bus **out);

/*
 * Puts dev in the next free slot (1..31), assigns its BARs and enables
 * memory decoding.  -ENOSPC when no slot or MMIO space is left.
 */
int pci_bus_add(struct pci_bus *bus, struct pci_device *dev);
/* Takes dev off its bus and unmaps its BARs; a no-op when not added. */
void pci_bus_remove(struct pci_device *dev);
struct vmm_vm *pci_bus_vm(const struct pci_bus *bus);

/*
 * Describes a device: ids, class (class << 16 | subclass << 8 | prog-if),
 * header type 0, INTA, subsystem ids equal to the ids.
 */
void pci_device_init(struct pci_device *dev, const char *name,
		     uint16_t vendor, uint16_t device, uint32_t class_code);
/* Frees what pci_msix_init allocated.  Call after pci_bus_remove. */
void pci_device_cleanup(struct pci_device *dev);

/*
 * A memory BAR of size bytes (a power of two, >= 16); is64 takes index and
 * index + 1.  Accesses reach ops with offsets from the BAR's start.
 */
int pci_device_set_bar(struct pci_device *dev, unsigned int index,
		       uint64_t size, bool is64, bool prefetch,
		       const struct vmm_io_ops *ops, void *opaque);

/*
 * Appends a capability (cap[0] = id; cap[1], the next pointer, is filled
 * in).  Returns its config offset, or -ENOSPC.  Read-only to the guest.
 */
int pci_add_capability(struct pci_device *dev, const void *cap, uint8_t len);

/*
 * MSI-X with nr vectors: table at offset 0 of a BAR of its own (index
 * bar, 32-bit), PBA in its upper half.  All vectors start masked.
 */
int pci_msix_init(struct pci_device *dev, unsigned int bar, unsigned int nr);
/*
 * Signals vector: sent with vmm_msi_send, or left pending while masked
 * (delivered on unmask).  -ENODEV when the guest has not enabled MSI-X,
 * -EINVAL for a vector out of the table.
 */
int pci_msix_notify(struct pci_device *dev, unsigned int vector);
bool pci_msix_enabled(struct pci_device *dev);
/* Number of vectors, 0 without MSI-X. */
unsigned int pci_msix_vectors(const struct pci_device *dev);

/*
 * Drives the device's INTx pin (level-triggered, shared lines wire-ORed);
 * the line stays deasserted while the command register's INTx disable bit
 * is set.
 */
void pci_intx_set(struct pci_device *dev, bool level);

/* Host-side setters for read-only config fields, before pci_bus_add. */
static inline void pci_cfg_set8(struct pci_device *dev, unsigned int off,
				uint8_t val)
{
	dev->cfg[off] = val;
}

static inline void pci_cfg_set16(struct pci_device *dev, unsigned int off,
				 uint16_t val)
{
	dev->cfg[off] = val & 0xff;
	dev->cfg[off + 1] = val >> 8;
}

static inline void pci_cfg_set32(struct pci_device *dev, unsigned int off,
				 uint32_t val)
{
	pci_cfg_set16(dev, off, val & 0xffff);
	pci_cfg_set16(dev, off + 2, val >> 16);
}

static inline uint16_t pci_cfg_get16(const struct pci_device *dev,
				     unsigned int off)
{
	return dev->cfg[off] | (uint16_t)dev->cfg[off + 1] << 8;
}

static inline uint32_t pci_cfg_get32(const struct pci_device *dev,
				     unsigned int off)
{
	return pci_cfg_get16(dev, off) | (uint32_t)pci_cfg_get16(dev, off + 2) << 16;
}

#endif /* DEVICES_PCI_H */
