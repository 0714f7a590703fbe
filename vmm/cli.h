/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vhv-run's command line, parsed without side effects, and the files it
 * names checked before any device is opened (all unit-tested).
 */
#ifndef VMM_CLI_H
#define VMM_CLI_H

#include <stddef.h>

#include "vmm/libvmm.h"

#define CLI_MAX_DISKS	16
#define CLI_MAX_NETS	8
/* "udp:255.255.255.255:65535" and its NUL. */
#define CLI_HOSTFWD_NAME	32
/* --console file=PATH without max=SIZE: a guest cannot fill the disk. */
#define CLI_CONSOLE_MAX_DEFAULT	(64ull << 20)

enum cli_console {
	CLI_CONSOLE_STDIO,
	CLI_CONSOLE_FILE,
	CLI_CONSOLE_NONE,
	CLI_CONSOLE_PTY,
	CLI_CONSOLE_SOCKET,
};
/* The longest path a Unix socket's address holds (sun_path less its NUL). */
#define CLI_SOCKET_PATH_MAX	107

/* The longest command line any loader takes (Linux's own limit is lower). */
#define CLI_CMDLINE_MAX	65536
/* The defaults --cmdline adds to: the console on COM1... */
#define CLI_CMDLINE_CONSOLE	"console=ttyS0"
/* ...and the first disk as root when there is no initrd to find one. */
#define CLI_CMDLINE_ROOT	"root=/dev/vda"

struct cli_opts {
	const char *kernel, *initrd;
	const char *cmdline;		/* the final line: built or replaced */
	const char *cmdline_add;	/* --cmdline: after the defaults */
	const char *cmdline_replace;	/* --cmdline-replace: the whole line */
	uint64_t mem;
	unsigned int cpus;
	enum vmm_backend_kind backend;
	int backend_set;		/* --backend given; else vmm_backend_pick() */
	enum cli_console console;
	const char *console_path;	/* file=PATH, socket=PATH */
	uint64_t console_max;		/* bytes the console file may take */
	int console_wait;		/* pty,wait socket=PATH,wait */
	struct vmm_disk_config disks[CLI_MAX_DISKS];
	unsigned int nr_disks;
	struct vmm_net_config nets[CLI_MAX_NETS];
	unsigned int nr_nets;
	/* How each host forward was given ("tcp::8022"), for messages. */
	char hostfwd_name[CLI_MAX_NETS][VMM_NET_MAX_HOSTFWD][CLI_HOSTFWD_NAME];
	int rng;
	uint16_t debug_exit_port;	/* 0: no debug-exit device */
	const char *kernel_cache;	/* NULL: the default directory */
	int no_kernel_cache;
	int verbose;
	char cmdline_buf[CLI_CMDLINE_MAX];	/* where a built line lives */
};

#define CLI_RUN		0
#define CLI_HELP	1
#define CLI_VERSION	2

/*
 * Fills opts from argv (which must outlive opts).  Returns CLI_RUN,
 * CLI_HELP or CLI_VERSION, or -EINVAL with err naming the argument and
 * what is wrong with it.
 */
int cli_parse(int argc, char **argv, struct cli_opts *opts, char *err,
	      size_t err_len);

/*
 * "512M", "512MiB", "512mb", "2G", "64K", "4096B": bytes, or -EINVAL with
 * why saying what is wrong ("a size needs a unit (512M? 512G?)").
 */
int cli_parse_size(const char *s, uint64_t *bytes, char *why, size_t why_len);
int cli_parse_mac(const char *s, uint8_t mac[6]);

/*
 * One --net argument (cli_net.c): tap=NAME[,mac=M] or
 * user[,hostfwd=...]...[,mac=M], added to opts->nets.  0, or -EINVAL with
 * err naming the argument and what is wrong.  arg is cut up in place.
 */
int cli_parse_net(char *arg, struct cli_opts *opts, char *err, size_t err_len);

/*
 * Each host forward of a --net user can be bound as slirp will bind it:
 * 0, or -EINVAL with err saying which and why ("--net user: hostfwd
 * tcp::8022: Address already in use").  Before any device is opened.
 */
int cli_check_nets(const struct cli_opts *opts, char *err, size_t err_len);

/*
 * The files opts names (kernel, initrd, disks) open as libvmm will open
 * them (read-write for a disk without ,ro) and are of a type it takes:
 * 0, or -EINVAL with err naming the option, the path and what is wrong.
 * Before any device is opened, so that a missing kernel is reported as
 * such on a machine without a hypervisor.
 */
int cli_check_files(const struct cli_opts *opts, char *err, size_t err_len);

/*
 * What vhv-run adds to an error making a VM on backend kind that means
 * "no usable hypervisor here" (err: -errno): the other backend; else "".
 */
const char *cli_backend_hint(enum vmm_backend_kind kind, int err);

extern const char cli_usage[];

/* What vhv-run says on stderr before a guest runs on the terminal. */
extern const char cli_banner[];
/*
 * For a pty or a socket, what it says instead: one line on how to attach
 * to the console at where (the slave's path, the socket's), into buf.
 */
void cli_attach_banner(const struct cli_opts *opts, const char *where,
		       char *buf, size_t len);
/*
 * Whether to say either: a person is there to read it.  For stdio, stdin
 * is a terminal (a test that pipes stdin hears nothing); for a pty or a
 * socket, stderr is.
 */
bool cli_want_banner(const struct cli_opts *opts, bool stdin_tty,
		     bool stderr_tty);

/*
 * Whether VHV_RUN_NO_SANDBOX's value (NULL: unset) turns the sandbox off:
 * only "1" does.
 */
bool cli_no_sandbox(const char *env);

/* Process exit status for each way a VM can stop (see cli_usage). */
int cli_exit_status(const struct vmm_exit_status *st);

#endif
