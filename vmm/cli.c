// SPDX-License-Identifier: GPL-2.0
/* vhv-run's arguments: parsing and checking, each error naming its option. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vmm/cli.h"

const char cli_usage[] =
"usage: vhv-run --kernel PATH [options]\n"
"\n"
"Boots a kernel (bzImage, PVH ELF or Multiboot ELF) in a virtual machine.\n"
"\n"
"  -k, --kernel PATH    the kernel to boot\n"
"  -i, --initrd PATH    an initial ramdisk\n"
"  -p, --cmdline ARGS   added to the default kernel command line:\n"
"                       console=ttyS0, and root=/dev/vda when a --disk is\n"
"                       given and no --initrd; a parameter given again here\n"
"                       wins (Linux takes the last; console= adds one)\n"
"  --cmdline-replace ARGS  the whole kernel command line instead, nothing\n"
"                       added; not with --cmdline\n"
"  -m, --mem SIZE       guest RAM (default 512M); see SIZE below\n"
"  -c, --cpus N         vCPUs, 1 to 64 (default 1)\n"
"  -d, --disk PATH[,ro] a virtio-blk disk on a raw image (repeatable)\n"
"  --net tap=NAME[,mac=M]  a virtio-net card on an existing tap (repeatable)\n"
"  --net user[,hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...[,mac=M]\n"
"                       a card on a user-mode network, no root needed: DHCP\n"
"                       gives the guest 10.0.2.15/24, gateway 10.0.2.2 (which\n"
"                       is also the host's 127.0.0.1), DNS 10.0.2.3; its\n"
"                       connections out are the host's; each hostfwd makes\n"
"                       HOSTADDR:HOSTPORT (default 127.0.0.1) on the host\n"
"                       reach GUESTPORT in the guest (repeatable; tap and user\n"
"                       cards mix)\n"
"  --rng                a virtio-rng device\n"
"  --debug-exit PORT    a debug-exit device at I/O port PORT (0x501, 0xf4, ...)\n"
"                       for test kernels: a guest write of v there stops the\n"
"                       VM; without it no guest can choose the exit status\n"
"  --console stdio|file=PATH[,max=SIZE]|pty[,wait]|socket=PATH[,wait]|none\n"
"                       where COM1 goes (default stdio); a file stops growing\n"
"                       at max (default 64M); pty: a pseudo-terminal, its path\n"
"                       said on stderr; socket=PATH: a Unix socket to attach\n"
"                       to (one client at a time), removed at exit; with wait\n"
"                       the guest starts once a client is on.  Output a reader\n"
"                       does not take is buffered (64 KiB), then dropped: the\n"
"                       count is reported at exit; with no reader on a pty or\n"
"                       the socket it is discarded\n"
"  --backend vhv|kvm    the hypervisor: /dev/vhv or /dev/kvm; by default vhv\n"
"                       when it can run the kernel (Linux needs vhv.ko's\n"
"                       in-kernel irqchip), else kvm; --verbose says which\n"
"  --kernel-cache DIR|none  where decompressed bzImage kernels are kept\n"
"                       (default $XDG_CACHE_HOME/vhv/kernels, else\n"
"                       ~/.cache/vhv/kernels): later boots of the same bzImage\n"
"                       skip the guest's decompression; a DIR that is not\n"
"                       yours alone (other owner, group/world-writable, a\n"
"                       symbolic link on its path) is refused, said on stderr\n"
"  -v, --verbose        say which backend runs the guest and why, the kernel\n"
"                       command line, and how the kernel was booted (on stderr)\n"
"  -h, --help           this text\n"
"  -V, --version        the version and the git commit it was built from\n"
"\n"
"SIZE is a whole number and a unit: K, M, G or T, 1024-based, any case,\n"
"also written KiB or KB (512M = 512MiB = 512mb), or B for bytes; a number\n"
"without a unit is refused.\n"
"\n"
"On a terminal the console is raw: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A\n"
"(a line on stderr says so as the guest starts; none when stdin is no terminal).\n"
"That escape is stdio's only: on a pty or the socket every byte is the guest's;\n"
"leave as the program attached lets you, stop the VM with a signal (Ctrl-C).\n"
"The files named are checked before any hypervisor device is opened; when\n"
"none is usable the error says which were tried and what to do.\n"
"Exit status: 0 guest powered off; 1 vhv-run error; 2 guest reset/reboot;\n"
"3 guest crashed (triple fault); 4 stopped by a signal or Ctrl-A x;\n"
"64+v (v < 64) guest wrote v to the --debug-exit port.\n";

/* The escape is the UART's (devices/serial.c), as QEMU's -serial stdio. */
const char cli_banner[] =
"vhv-run: the console is this terminal: Ctrl-A x quits, Ctrl-A Ctrl-A sends Ctrl-A\n";

void cli_attach_banner(const struct cli_opts *o, const char *where,
		       char *buf, size_t len)
{
	const char *then = o->console_wait ?
			   "; the guest starts when a client is on" : "";

	if (o->console == CLI_CONSOLE_PTY)
		snprintf(buf, len,
			 "vhv-run: attach with screen %s (or minicom, or cat); Ctrl-C here stops the VM%s\n",
			 where, then);
	else
		snprintf(buf, len,
			 "vhv-run: attach with socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:%s (Ctrl-] leaves); Ctrl-C here stops the VM%s\n",
			 where, then);
}

bool cli_want_banner(const struct cli_opts *o, bool stdin_tty, bool stderr_tty)
{
	switch (o->console) {
	case CLI_CONSOLE_STDIO:
		return stdin_tty;
	case CLI_CONSOLE_PTY:
	case CLI_CONSOLE_SOCKET:
		return stderr_tty;
	default:
		return false;
	}
}

bool cli_no_sandbox(const char *env)
{
	/* Exactly "1": a "0" or an empty value must not disarm it. */
	return env && !strcmp(env, "1");
}

int cli_exit_status(const struct vmm_exit_status *st)
{
	switch (st->reason) {
	case VMM_STOP_POWEROFF:
		return 0;
	case VMM_STOP_RESET:
		return 2;
	case VMM_STOP_CRASH:
		return 3;
	case VMM_STOP_REQUESTED:
		return 4;
	case VMM_STOP_DEBUG_EXIT:
		return 64 + (st->code & 63);
	default:
		return 1;
	}
}

/* K, M, G, T: binary units, any case; 0 for anything else. */
static unsigned int unit_shift(char c)
{
	switch (c) {
	case 'k': case 'K':
		return 10;
	case 'm': case 'M':
		return 20;
	case 'g': case 'G':
		return 30;
	case 't': case 'T':
		return 40;
	default:
		return 0;
	}
}

/*
 * For "1.5G": the same size as a whole number of a smaller unit ("1536M"),
 * if there is one; else "".  whole and frac/10^digits are the number.
 */
static void fraction_hint(uint64_t whole, uint64_t frac, unsigned int digits,
			  unsigned int shift, char *buf, size_t len)
{
	static const char units[] = "BKMGT";
	uint64_t den = 1;

	*buf = 0;
	while (digits--)
		den *= 10;
	while (shift >= 10) {
		shift -= 10;
		if (whole > UINT64_MAX >> 10)
			return;
		whole <<= 10;
		frac <<= 10;
		whole += frac / den;
		frac %= den;
		if (!frac) {
			snprintf(buf, len, " (%llu%c)", (unsigned long long)whole,
				 units[shift / 10]);
			return;
		}
	}
}

#define WHY(...) (snprintf(why, why_len, __VA_ARGS__), -EINVAL)

/*
 * Digits, then a unit: K, M, G or T, 1024-based, any case, spelt K, KiB
 * or KB (512M, 512MiB, 512mb are one size), or B for bytes.  A bare
 * number is refused: 512 means MiB to one tool and bytes to another, and
 * a guest given 512 bytes or 512 GiB by mistake is worse than an error.
 */
int cli_parse_size(const char *s, uint64_t *bytes, char *why, size_t why_len)
{
	const char *p = s, *unit;
	uint64_t v = 0, frac = 0;
	unsigned int shift, digits = 0;
	char hint[32];

	if (!*s)
		return WHY("empty (a size is a number and a unit: 512M, 2G)");
	if (*s == '-')
		return WHY("a size cannot be negative");
	if (*s < '0' || *s > '9')
		return WHY("not a size (a number and a unit: 512M, 2G)");
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (*p - '0')) / 10)
			return WHY("too large (2^64 bytes or more)");
		v = v * 10 + (*p - '0');
	}
	if (*p == '.') {
		/* Only to say what the whole number would be. */
		for (p++; *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
			frac = frac * 10 + (*p - '0');
		shift = unit_shift(*p);
		fraction_hint(v, frac, digits, shift, hint, sizeof(hint));
		return WHY("fractions are not supported: give a whole number of a smaller unit%s",
			   shift ? hint : "");
	}
	if (!*p)
		return WHY("a size needs a unit (%sM? %sG?)", s, s);
	unit = p;
	shift = unit_shift(*p);
	if (shift) {
		p++;
		if ((p[0] == 'i' || p[0] == 'I') && (p[1] == 'b' || p[1] == 'B'))
			p += 2;
		else if (*p == 'b' || *p == 'B')
			p++;
	} else if (*p == 'b' || *p == 'B') {
		p++;
	} else {
		return WHY("unknown unit \"%s\" (K, M, G, T, or B for bytes)", unit);
	}
	if (*p)
		return WHY("\"%s\" after the unit \"%.*s\"", p, (int)(p - unit), unit);
	if (v > UINT64_MAX >> shift)
		return WHY("too large (2^64 bytes or more)");
	*bytes = v << shift;
	return 0;
}

#undef WHY

int cli_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned int b[6];
	char tail;
	int i;

	if (strlen(s) != 17 ||
	    sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3],
		   &b[4], &b[5], &tail) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (s[i * 3] == ' ' || s[i * 3] == '+' || s[i * 3] == '-')
			return -EINVAL;
		mac[i] = b[i];
	}
	if (mac[0] & 1)		/* multicast: no NIC may have it */
		return -EINVAL;
	return 0;
}

#define ERR(...) (snprintf(err, err_len, __VA_ARGS__), -EINVAL)

static int parse_disk(char *arg, struct cli_opts *o, char *err, size_t err_len)
{
	struct vmm_disk_config *d;
	char *comma = strchr(arg, ',');

	if (o->nr_disks == CLI_MAX_DISKS)
		return ERR("--disk: at most %d disks", CLI_MAX_DISKS);
	d = &o->disks[o->nr_disks];
	memset(d, 0, sizeof(*d));
	if (comma) {
		*comma = 0;
		if (strcmp(comma + 1, "ro"))
			return ERR("--disk %s: unknown option \"%s\" (only \"ro\")",
				   arg, comma + 1);
		d->read_only = true;
	}
	if (!*arg)
		return ERR("--disk: empty path");
	d->path = arg;
	o->nr_disks++;
	return 0;
}

/* file=PATH[,max=SIZE]: the path ends at the first comma, as for --disk. */
static int parse_console_file(char *arg, struct cli_opts *o, char *err,
			      size_t err_len)
{
	char *comma = strchr(arg, ','), why[128];

	o->console = CLI_CONSOLE_FILE;
	o->console_path = arg + 5;
	o->console_max = CLI_CONSOLE_MAX_DEFAULT;
	if (!comma)
		return 0;
	if (strncmp(comma + 1, "max=", 4))
		return ERR("--console %s: unknown option \"%s\" (only max=SIZE)",
			   arg, comma + 1);
	if (cli_parse_size(comma + 5, &o->console_max, why, sizeof(why)))
		return ERR("--console %s: max: %s", arg, why);
	if (!o->console_max)
		return ERR("--console %s: max must be more than 0 (none drops everything: use --console none)",
			   arg);
	*comma = 0;
	return 0;
}

/* ",wait" after pty or socket=PATH: the only option either takes. */
static int parse_console_wait(const char *arg, const char *opts,
			      struct cli_opts *o, char *err, size_t err_len)
{
	if (!opts)
		return 0;
	if (strcmp(opts, "wait"))
		return ERR("--console %s: unknown option \"%s\" (only wait)", arg,
			   opts);
	o->console_wait = 1;
	return 0;
}

/* pty[,wait] */
static int parse_console_pty(const char *arg, struct cli_opts *o, char *err,
			     size_t err_len)
{
	o->console = CLI_CONSOLE_PTY;
	return parse_console_wait(arg, arg[3] ? arg + 4 : NULL, o, err, err_len);
}

/* socket=PATH[,wait]: the path ends at the first comma, as for file=. */
static int parse_console_socket(char *arg, struct cli_opts *o, char *err,
				size_t err_len)
{
	char *path = arg + 7, *comma = strchr(path, ',');
	size_t n = comma ? (size_t)(comma - path) : strlen(path);
	int r;

	if (!n)
		return ERR("--console %s: empty path", arg);
	if (n > CLI_SOCKET_PATH_MAX)
		return ERR("--console %.*s: the path is %zu bytes, more than the %d a Unix socket takes",
			   (int)(7 + n), arg, n, CLI_SOCKET_PATH_MAX);
	r = parse_console_wait(arg, comma ? comma + 1 : NULL, o, err, err_len);
	if (r)
		return r;
	o->console = CLI_CONSOLE_SOCKET;
	o->console_path = path;
	if (comma)
		*comma = 0;
	return 0;
}

/*
 * The kernel command line: --cmdline-replace as given, else the defaults
 * (the console on COM1; root=/dev/vda when a disk is given and no initrd
 * would find the root itself) then --cmdline's arguments, as kvmtool's -p
 * adds to its defaults: Linux takes the last of a repeated parameter, so
 * --cmdline root=/dev/vdb still wins.
 */
static int build_cmdline(struct cli_opts *o, char *err, size_t err_len)
{
	int n;

	if (o->cmdline_add && o->cmdline_replace)
		return ERR("--cmdline and --cmdline-replace: give one (--cmdline adds to the default line, --cmdline-replace is the whole line)");
	if (o->cmdline_replace) {
		o->cmdline = o->cmdline_replace;
		return 0;
	}
	n = snprintf(o->cmdline_buf, sizeof(o->cmdline_buf), "%s%s%s%s",
		     CLI_CMDLINE_CONSOLE,
		     o->nr_disks && !o->initrd ? " " CLI_CMDLINE_ROOT : "",
		     o->cmdline_add && *o->cmdline_add ? " " : "",
		     o->cmdline_add ? o->cmdline_add : "");
	if (n < 0 || (size_t)n >= sizeof(o->cmdline_buf))
		return ERR("--cmdline: the command line would be %d bytes, more than the %d a kernel can take",
			   n, CLI_CMDLINE_MAX - 1);
	o->cmdline = o->cmdline_buf;
	return 0;
}

/* Options with no short form: codes no short option can collide with. */
enum {
	OPT_NET = 256,
	OPT_RNG,
	OPT_DEBUG_EXIT,
	OPT_CONSOLE,
	OPT_BACKEND,
	OPT_KERNEL_CACHE,
	OPT_CMDLINE_REPLACE,
};

/* The short forms: kvmtool's -p for the command line, -c for CPUs. */
static const char shortopts[] = ":k:i:p:m:c:d:vhV";

/* How the user wrote the option getopt_long() complains about. */
static const char *opt_name(char **argv, char *buf, size_t len)
{
	const char *arg = argv[optind - 1];

	if (!strncmp(arg, "--", 2) || !optopt)
		return arg;
	/* "-vk" without an argument: name the -k, not the bundle. */
	snprintf(buf, len, "-%c", optopt);
	return buf;
}

int cli_parse(int argc, char **argv, struct cli_opts *o, char *err,
	      size_t err_len)
{
	static const struct option longopts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'p' },
		{ "cmdline-replace", required_argument, NULL, OPT_CMDLINE_REPLACE },
		{ "mem", required_argument, NULL, 'm' },
		{ "cpus", required_argument, NULL, 'c' },
		{ "disk", required_argument, NULL, 'd' },
		{ "net", required_argument, NULL, OPT_NET },
		{ "rng", no_argument, NULL, OPT_RNG },
		{ "debug-exit", required_argument, NULL, OPT_DEBUG_EXIT },
		{ "console", required_argument, NULL, OPT_CONSOLE },
		{ "backend", required_argument, NULL, OPT_BACKEND },
		{ "kernel-cache", required_argument, NULL, OPT_KERNEL_CACHE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	char *end, why[128], name[4];
	int c, r;

	memset(o, 0, sizeof(*o));
	o->mem = 512ull << 20;
	o->cpus = 1;
	o->backend = VMM_BACKEND_VHV;
	o->console = CLI_CONSOLE_STDIO;
	o->console_max = CLI_CONSOLE_MAX_DEFAULT;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'k':
			o->kernel = optarg;
			break;
		case 'i':
			o->initrd = optarg;
			break;
		case 'p':
			if (o->cmdline_add)
				return ERR("--cmdline: given twice (one --cmdline takes all the arguments: --cmdline 'a b')");
			o->cmdline_add = optarg;
			break;
		case OPT_CMDLINE_REPLACE:
			if (o->cmdline_replace)
				return ERR("--cmdline-replace: given twice (one takes the whole line: --cmdline-replace 'a b')");
			o->cmdline_replace = optarg;
			break;
		case 'm':
			if (cli_parse_size(optarg, &o->mem, why, sizeof(why)))
				return ERR("--mem %s: %s", optarg, why);
			if (o->mem < VMM_MIN_RAM || o->mem % (2ull << 20) ||
			    o->mem > (1ull << 40))
				return ERR("--mem %s: must be a multiple of 2 MiB from 16M to 1T",
					   optarg);
			break;
		case 'c':
			errno = 0;
			v = strtoul(optarg, &end, 10);
			if (errno || *end || end == optarg || *optarg == '-' ||
			    v < 1 || v > VMM_MAX_VCPUS)
				return ERR("--cpus %s: must be a number from 1 to %d",
					   optarg, VMM_MAX_VCPUS);
			o->cpus = v;
			break;
		case 'd':
			r = parse_disk(optarg, o, err, err_len);
			if (r)
				return r;
			break;
		case OPT_NET:
			r = cli_parse_net(optarg, o, err, err_len);
			if (r)
				return r;
			break;
		case OPT_RNG:
			o->rng = 1;
			break;
		case OPT_DEBUG_EXIT:
			/* The device claims 4 ports: the exit, a marker, two idle. */
			errno = 0;
			v = strtoul(optarg, &end, 0);
			if (errno || *end || end == optarg || *optarg == '-' ||
			    v < 1 || v > 0xfffc)
				return ERR("--debug-exit %s: must be an I/O port from 0x1 to 0xfffc",
					   optarg);
			o->debug_exit_port = v;
			break;
		case OPT_CONSOLE:
			o->console_wait = 0;	/* the last --console wins whole */
			if (!strcmp(optarg, "stdio")) {
				o->console = CLI_CONSOLE_STDIO;
			} else if (!strcmp(optarg, "none")) {
				o->console = CLI_CONSOLE_NONE;
			} else if (!strncmp(optarg, "file=", 5) && optarg[5] &&
				   optarg[5] != ',') {
				r = parse_console_file(optarg, o, err, err_len);
				if (r)
					return r;
			} else if (!strcmp(optarg, "pty") ||
				   !strncmp(optarg, "pty,", 4)) {
				r = parse_console_pty(optarg, o, err, err_len);
				if (r)
					return r;
			} else if (!strncmp(optarg, "socket=", 7)) {
				r = parse_console_socket(optarg, o, err, err_len);
				if (r)
					return r;
			} else {
				return ERR("--console %s: must be stdio, file=PATH, pty, socket=PATH or none",
					   optarg);
			}
			break;
		case OPT_BACKEND:
			if (vmm_backend_parse(optarg, &o->backend))
				return ERR("--backend %s: must be vhv or kvm", optarg);
			o->backend_set = 1;
			break;
		case OPT_KERNEL_CACHE:
			if (!*optarg)
				return ERR("--kernel-cache: empty path (use none to disable)");
			o->no_kernel_cache = !strcmp(optarg, "none");
			o->kernel_cache = o->no_kernel_cache ? NULL : optarg;
			break;
		case 'v':
			o->verbose = 1;
			break;
		case 'h':
			return CLI_HELP;
		case 'V':
			return CLI_VERSION;
		case ':':
			return ERR("%s: needs an argument",
				   opt_name(argv, name, sizeof(name)));
		default:
			return ERR("%s: unknown option (see --help)",
				   opt_name(argv, name, sizeof(name)));
		}
	}
	if (optind < argc)
		return ERR("%s: unexpected argument (options start with - or --)",
			   argv[optind]);
	if (!o->kernel)
		return ERR("--kernel: required (the kernel to boot)");
	r = build_cmdline(o, err, err_len);
	if (r)
		return r;
	return CLI_RUN;
}

/*
 * A file an option names opens as libvmm will open it, and is of a type
 * it takes.  O_NONBLOCK: a FIFO must not hang the check.
 */
static int check_file(const char *opt, const char *path, int flags,
		      bool block_ok, char *err, size_t err_len)
{
	struct stat st;
	int fd, e = 0;

	fd = open(path, flags | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		if ((e == EACCES || e == EROFS) && (flags & O_ACCMODE) == O_RDWR)
			return ERR("%s %s: %s (a disk is opened read-write; %s,ro is read-only)",
				   opt, path, strerror(e), path);
		return ERR("%s %s: %s", opt, path, strerror(e));
	}
	if (fstat(fd, &st))
		e = errno;
	close(fd);
	if (e)
		return ERR("%s %s: %s", opt, path, strerror(e));
	if (S_ISDIR(st.st_mode))
		return ERR("%s %s: is a directory", opt, path);
	if (!S_ISREG(st.st_mode) && !(block_ok && S_ISBLK(st.st_mode)))
		return ERR("%s %s: not a regular file%s", opt, path,
			   block_ok ? " or block device" : "");
	return 0;
}

int cli_check_files(const struct cli_opts *o, char *err, size_t err_len)
{
	unsigned int i;
	int r;

	r = check_file("--kernel", o->kernel, O_RDONLY, false, err, err_len);
	if (!r && o->initrd)
		r = check_file("--initrd", o->initrd, O_RDONLY, false, err, err_len);
	for (i = 0; !r && i < o->nr_disks; i++)
		r = check_file("--disk", o->disks[i].path,
			       o->disks[i].read_only ? O_RDONLY : O_RDWR, true,
			       err, err_len);
	return r;
}

const char *cli_backend_hint(enum vmm_backend_kind kind, int err)
{
	switch (-err) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
	case EACCES:
	case EPERM:
	case ENOTSUP:
	case EBUSY:
		return kind == VMM_BACKEND_VHV ? "; or --backend kvm" :
						 "; or --backend vhv";
	default:
		return "";
	}
}
