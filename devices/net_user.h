/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The user-mode network behind a virtio-net card (--net user): libslirp on
 * the VM's I/O thread, no privilege needed.
 */
#ifndef DEVICES_NET_USER_H
#define DEVICES_NET_USER_H

#include <stdint.h>

#include "vmm/device.h"

struct pci_bus;
struct net_user;

/* The network slirp emulates, host byte order (QEMU's defaults). */
#define NET_USER_NET		0x0a000200u	/* 10.0.2.0/24 */
#define NET_USER_MASK		0xffffff00u
#define NET_USER_HOST		0x0a000202u	/* gateway; the host's loopback */
#define NET_USER_DNS		0x0a000203u
#define NET_USER_GUEST		0x0a00020fu	/* the first address DHCP gives */

/* Host descriptors (sockets) one user network may hold at once. */
#define NET_USER_MAX_SOCKETS	256

/*
 * A TCP forward's connections in flight at once, over all forwards: each
 * holds four descriptors (the client, the VMM's Unix end, slirp's end and
 * the port slirp binds for it) and two splice buffers.  More clients wait
 * in the listeners' queues.
 */
#define NET_USER_FWD_MAX	32

/* A virtio-net card on its own user-mode network (cfg->user). */
int net_user_create(struct vmm_vm *vm, struct pci_bus *bus,
		    const struct vmm_net_config *cfg);

/* What was dropped, and why. */
struct net_user_stats {
	uint64_t to_guest_full;		/* the guest did not take them in time */
	uint64_t oversize;		/* frames from the guest over the MTU */
	uint64_t fragments;		/* IP fragments over the budget */
	/*
	 * Malformed, not IPv4/ARP, 10.0.2.3 but DNS, from outside 10.0.2.0/24,
	 * to 127.0.0.0/8, TCP in fragments or with data on a SYN, or on a
	 * pair the guest opens, anything but a SYN or RST before the guest
	 * was shown slirp's SYN-ACK.
	 */
	uint64_t filtered;
	uint64_t tcp_gaps;		/* TCP data or FIN after what slirp has in order */
	/* New connections' SYNs held, or the guest's dropped: table full. */
	uint64_t tcp_no_room;
	uint64_t tcp_pair_busy;		/* ... held: a live connection holds the pair */
	uint64_t tcp_syn_refused;	/* guest SYNs that would make a second one */
};

/* ---- the backend alone: net_user_create()'s parts, for tests ---------------- */

struct net_user_params {
	/* Where 10.0.2.3:53 goes (network order, host order); 0: resolv.conf's. */
	uint32_t dns_addr;
	uint16_t dns_port;
	/* The TCP flow table's size; 0: the default. */
	unsigned int tcp_flows;
};

/*
 * Makes the network with cfg's host forwards and a SOCK_SEQPACKET pair:
 * *card_fd is the card's end (Ethernet frames, no virtio header), for the
 * caller to own.  Registers the backend's fds in the VM's event loop and
 * what it needs in the sandbox.  0 or -errno with the VM's error set.
 */
int net_user_open(struct vmm_vm *vm, const struct vmm_net_config *cfg,
		  const struct net_user_params *params, int *card_fd,
		  struct net_user **out);
void net_user_close(struct net_user *nu);
void net_user_get_stats(const struct net_user *nu, struct net_user_stats *st);

/* "/etc/resolv.conf"'s first IPv4 nameserver (network order), else 127.0.0.1. */
uint32_t net_user_resolv_conf(const char *path);

#endif /* DEVICES_NET_USER_H */
