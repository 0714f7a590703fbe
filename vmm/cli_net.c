// SPDX-License-Identifier: GPL-2.0
/*
 * vhv-run's --net: a card on a tap or on the user-mode network, its host
 * forwards parsed and their ports tried before any device is opened.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "vmm/cli.h"

/* The user-mode network (devices/net_user.h): 10.0.2.0/24. */
#define USER_NET	0x0a000200u
#define USER_MASK	0xffffff00u
#define USER_GATEWAY	0x0a000202u
#define USER_DNS	0x0a000203u
/* Longer --net arguments are refused (16 forwards fit). */
#define NET_ARG_MAX	1024

#define ERR(...) (snprintf(err, err_len, __VA_ARGS__), -EINVAL)

/* "1".."65535", nothing else. */
static bool parse_port(const char *s, uint16_t *port)
{
	unsigned long v;
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || v < 1 || v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

/*
 * [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT, QEMU's form; an
 * empty protocol is tcp.  The host address defaults to 127.0.0.1: a
 * forward is for this machine unless an address says otherwise (QEMU's
 * default, every interface, would offer the guest's port to the network).
 */
static int parse_hostfwd(char *spec, const char *arg, struct vmm_net_hostfwd *h,
			 char *name, char *err, size_t err_len)
{
	char *hostpart, *guestpart, *colon, *dash;
	struct in_addr a;
	uint32_t g;

	memset(h, 0, sizeof(*h));
	colon = strchr(spec, ':');
	dash = strchr(spec, '-');
	if (!colon || !dash || dash < colon)
		return ERR("--net %s: hostfwd=%s: expected [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT (tcp::8022-:22)",
			   arg, spec);
	*dash = 0;
	guestpart = dash + 1;
	/* The host side's name, as messages about it show it. */
	snprintf(name, CLI_HOSTFWD_NAME, "%s", spec);
	*colon = 0;
	if (!*spec || !strcmp(spec, "tcp"))
		h->udp = false;
	else if (!strcmp(spec, "udp"))
		h->udp = true;
	else
		return ERR("--net %s: protocol \"%s\" must be tcp or udp", arg, spec);
	if (!*spec)
		snprintf(name, CLI_HOSTFWD_NAME, "tcp:%s", colon + 1);
	hostpart = colon + 1;
	colon = strrchr(hostpart, ':');
	if (!colon)
		return ERR("--net %s: expected HOSTADDR:HOSTPORT before the - (:8022 or 127.0.0.1:8022)",
			   arg);
	*colon = 0;
	if (!*hostpart) {
		h->host_addr = htonl(INADDR_LOOPBACK);
	} else if (inet_pton(AF_INET, hostpart, &a) == 1) {
		h->host_addr = a.s_addr;
	} else {
		return ERR("--net %s: HOSTADDR \"%s\" must be an IPv4 address (127.0.0.1, 0.0.0.0 for every interface)",
			   arg, hostpart);
	}
	if (!parse_port(colon + 1, &h->host_port))
		return ERR("--net %s: HOSTPORT must be a port number 1-65535", arg);

	colon = strrchr(guestpart, ':');
	if (!colon)
		return ERR("--net %s: expected [GUESTADDR]:GUESTPORT after the - (:22)",
			   arg);
	*colon = 0;
	if (*guestpart) {
		if (inet_pton(AF_INET, guestpart, &a) != 1)
			return ERR("--net %s: GUESTADDR \"%s\" must be an IPv4 address in 10.0.2.0/24",
				   arg, guestpart);
		g = ntohl(a.s_addr);
		if ((g & USER_MASK) != USER_NET || g == USER_NET ||
		    g == (USER_NET | ~USER_MASK) || g == USER_GATEWAY ||
		    g == USER_DNS)
			return ERR("--net %s: GUESTADDR %s is not a guest's address (10.0.2.4-10.0.2.254; DHCP gives 10.0.2.15)",
				   arg, guestpart);
		h->guest_addr = a.s_addr;
	}
	if (!parse_port(colon + 1, &h->guest_port))
		return ERR("--net %s: GUESTPORT must be a port number 1-65535", arg);
	return 0;
}

/* The same host port forwarded twice, on this card or an earlier one. */
static const char *hostfwd_dup(const struct cli_opts *o,
			       const struct vmm_net_hostfwd *h)
{
	const struct vmm_net_config *n;
	unsigned int i, j;

	for (i = 0; i <= o->nr_nets; i++) {
		n = &o->nets[i];
		for (j = 0; j < n->nr_hostfwd; j++)
			if (n->hostfwd[j].udp == h->udp &&
			    n->hostfwd[j].host_port == h->host_port &&
			    (n->hostfwd[j].host_addr == h->host_addr ||
			     !n->hostfwd[j].host_addr || !h->host_addr))
				return o->hostfwd_name[i][j];
	}
	return NULL;
}

int cli_parse_net(char *arg, struct cli_opts *o, char *err, size_t err_len)
{
	struct vmm_net_config *n;
	struct vmm_net_hostfwd h;
	char copy[NET_ARG_MAX], name[CLI_HOSTFWD_NAME];
	char *tok, *save = NULL;
	const char *dup;
	bool first = true;
	int r;

	if (o->nr_nets == CLI_MAX_NETS)
		return ERR("--net: at most %d cards", CLI_MAX_NETS);
	if (strlen(arg) >= sizeof(copy))
		return ERR("--net: argument longer than %d characters", NET_ARG_MAX - 1);
	/* Messages quote the argument as given; strtok_r cuts up arg. */
	snprintf(copy, sizeof(copy), "%s", arg);
	n = &o->nets[o->nr_nets];
	memset(n, 0, sizeof(*n));
	for (tok = strtok_r(arg, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save), first = false) {
		if (first && !strcmp(tok, "user")) {
			n->user = true;
		} else if (!strncmp(tok, "tap=", 4)) {
			if (!tok[4] || strlen(tok + 4) >= 16)
				return ERR("--net: tap name \"%s\" must be 1 to 15 characters",
					   tok + 4);
			n->tap = tok + 4;
		} else if (!strncmp(tok, "mac=", 4)) {
			if (cli_parse_mac(tok + 4, n->mac))
				return ERR("--net: mac \"%s\" is not a unicast address like 52:54:00:12:34:56",
					   tok + 4);
			n->mac_set = true;
		} else if (!strncmp(tok, "hostfwd=", 8)) {
			if (!n->user)
				return ERR("--net %s: hostfwd= is for the user-mode network (--net user,hostfwd=...)",
					   copy);
			if (n->nr_hostfwd == VMM_NET_MAX_HOSTFWD)
				return ERR("--net %s: at most %d hostfwd= per card",
					   copy, VMM_NET_MAX_HOSTFWD);
			r = parse_hostfwd(tok + 8, copy, &h, name, err, err_len);
			if (r)
				return r;
			dup = hostfwd_dup(o, &h);
			if (dup)
				return ERR("--net %s: hostfwd %s: host port %u is forwarded already (hostfwd %s)",
					   copy, name, h.host_port, dup);
			snprintf(o->hostfwd_name[o->nr_nets][n->nr_hostfwd],
				 CLI_HOSTFWD_NAME, "%s", name);
			n->hostfwd[n->nr_hostfwd++] = h;
		} else if (!strcmp(tok, "user")) {
			return ERR("--net %s: user comes first (--net user,...)", copy);
		} else {
			return ERR("--net: unknown option \"%s\" (tap=NAME, user, hostfwd=, mac=M)",
				   tok);
		}
	}
	if (n->user && n->tap)
		return ERR("--net %s: a card is on a tap or on the user network, not both (give each its own --net)",
			   copy);
	if (!n->user && !n->tap)
		return ERR("--net: tap=NAME is required, or user for the user-mode network");
	o->nr_nets++;
	return 0;
}

int cli_check_nets(const struct cli_opts *o, char *err, size_t err_len)
{
	const struct vmm_net_hostfwd *h;
	struct sockaddr_in sa;
	unsigned int i, j;
	int fd, one = 1, e;

	for (i = 0; i < o->nr_nets; i++) {
		for (j = 0; j < o->nets[i].nr_hostfwd; j++) {
			h = &o->nets[i].hostfwd[j];
			fd = socket(AF_INET, (h->udp ? SOCK_DGRAM : SOCK_STREAM) |
					     SOCK_CLOEXEC, 0);
			if (fd < 0)
				return ERR("--net user: hostfwd %s: %s",
					   o->hostfwd_name[i][j], strerror(errno));
			/*
			 * As slirp binds it, for TCP: a port in TIME_WAIT is
			 * free.  Not for UDP, where a socket that set it too
			 * would share the port (devices/net_user.c).
			 */
			if (!h->udp)
				setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			sa = (struct sockaddr_in){ .sin_family = AF_INET,
						   .sin_port = htons(h->host_port),
						   .sin_addr.s_addr = h->host_addr };
			e = bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ? errno : 0;
			close(fd);
			if (e)
				return ERR("--net user: hostfwd %s: %s",
					   o->hostfwd_name[i][j], strerror(e));
		}
	}
	return 0;
}
