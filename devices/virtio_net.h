/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-net (virtio 1.2, 5.1): a network card whose frames go to a host
 * tap interface, or to any fd that keeps packet boundaries.
 */
#ifndef DEVICES_VIRTIO_NET_H
#define DEVICES_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/device.h"

struct pci_bus;

/*
 * Attaches to the existing tap interface cfg->tap (never creates one):
 * -ENODEV when no interface has that name, -EINVAL when it is not a tap,
 * -EBUSY when another process holds it.  The MAC is cfg->mac when
 * cfg->mac_set, else a random locally administered one.
 */
int virtio_net_create(struct vmm_vm *vm, struct pci_bus *bus,
		      const struct vmm_net_config *cfg);

/*
 * The same device on an open packet fd: a tap (opened with IFF_NO_PI, and
 * IFF_VNET_HDR when vnet_hdr is true), or a SOCK_SEQPACKET / SOCK_DGRAM
 * socket.  With vnet_hdr each packet on the fd starts with the 12-byte
 * struct virtio_net_hdr_v1 and checksum/TSO offloads are offered; without,
 * the device adds and strips the header and offers none.  mac NULL: a
 * random locally administered address.  name labels messages.  The fd is
 * made nonblocking; on success the device owns it and closes it at
 * teardown, on failure it stays the caller's.
 */
int virtio_net_create_fd(struct vmm_vm *vm, struct pci_bus *bus, int fd,
			 const uint8_t mac[6], bool vnet_hdr, const char *name);

#endif /* DEVICES_VIRTIO_NET_H */
