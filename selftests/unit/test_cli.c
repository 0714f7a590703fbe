// SPDX-License-Identifier: GPL-2.0
/* vhv-run's argument parsing: defaults, every option, every error message. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "vmm/cli.h"

int vmm_backend_parse(const char *name, enum vmm_backend_kind *kind)
{
	if (!strcmp(name, "vhv"))
		*kind = VMM_BACKEND_VHV;
	else if (!strcmp(name, "kvm"))
		*kind = VMM_BACKEND_KVM;
	else
		return -EINVAL;
	return 0;
}

static struct cli_opts o;
static char err[256];

/* Parses a NULL-terminated list of arguments after "vhv-run". */
static int run(const char *first, ...)
{
	static char store[32][128];
	char *argv[34];
	const char *a;
	va_list ap;
	int argc = 0;

	argv[argc++] = "vhv-run";
	va_start(ap, first);
	for (a = first; a; a = va_arg(ap, const char *)) {
		snprintf(store[argc], sizeof(store[argc]), "%s", a);
		argv[argc] = store[argc];
		argc++;
	}
	va_end(ap);
	argv[argc] = NULL;
	err[0] = 0;
	return cli_parse(argc, argv, &o, err, sizeof(err));
}

static void expect_error(const char *words, int r)
{
	assert_int_equal(r, -EINVAL);
	if (!strstr(err, words))
		fail_msg("error \"%s\" lacks \"%s\"", err, words);
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(run("--kernel", "bz", NULL), CLI_RUN);
	assert_string_equal(o.kernel, "bz");
	assert_int_equal(o.mem, 512ull << 20);
	assert_int_equal(o.cpus, 1);
	/* No --backend: vhv-run asks vmm_backend_pick(). */
	assert_false(o.backend_set);
	assert_int_equal(o.console, CLI_CONSOLE_STDIO);
	assert_string_equal(o.cmdline, "console=ttyS0");
	assert_int_equal(o.nr_disks, 0);
	assert_int_equal(o.nr_nets, 0);
	assert_null(o.kernel_cache);
	assert_false(o.no_kernel_cache);
	assert_false(o.verbose);
	/* No debug-exit device unless asked: the guest must not pick the status. */
	assert_int_equal(o.debug_exit_port, 0);
}

/* The debug-exit device is opt-in, at the port the user names. */
static void test_debug_exit(void **state)
{
	(void)state;
	assert_int_equal(run("--kernel", "k", "--debug-exit", "0x501", NULL),
			 CLI_RUN);
	assert_int_equal(o.debug_exit_port, 0x501);
	assert_int_equal(run("--kernel", "k", "--debug-exit", "0xf4", NULL),
			 CLI_RUN);
	assert_int_equal(o.debug_exit_port, 0xf4);
	assert_int_equal(run("--kernel", "k", "--debug-exit", "1281", NULL),
			 CLI_RUN);
	assert_int_equal(o.debug_exit_port, 0x501);
	expect_error("--debug-exit 0: must be an I/O port",
		     run("--kernel", "k", "--debug-exit", "0", NULL));
	expect_error("--debug-exit 0xfffd: must be an I/O port",
		     run("--kernel", "k", "--debug-exit", "0xfffd", NULL));
	expect_error("--debug-exit 0x10000",
		     run("--kernel", "k", "--debug-exit", "0x10000", NULL));
	expect_error("--debug-exit -1", run("--kernel", "k", "--debug-exit", "-1", NULL));
	expect_error("--debug-exit 5x", run("--kernel", "k", "--debug-exit", "5x", NULL));
	expect_error("--debug-exit: needs an argument",
		     run("--kernel", "k", "--debug-exit", NULL));
	assert_non_null(strstr(cli_usage, "--debug-exit PORT"));
	assert_null(strstr(cli_usage, "0x501."));
}

static void test_all_options(void **state)
{
	(void)state;
	assert_int_equal(run("--kernel", "k", "--initrd", "i", "--cmdline",
			     "quiet", "--mem", "2G", "--cpus", "2", "--disk",
			     "a.img", "--disk", "b.img,ro", "--net",
			     "tap=tap0,mac=52:54:00:12:34:56", "--net", "tap=t1",
			     "--rng", "--console", "file=/tmp/c", "--backend",
			     "kvm", "--kernel-cache", "/var/kc", "--verbose",
			     NULL), CLI_RUN);
	assert_string_equal(o.kernel_cache, "/var/kc");
	assert_false(o.no_kernel_cache);
	assert_true(o.verbose);
	assert_string_equal(o.initrd, "i");
	/* Disks, but an initrd: it finds the root, so no root=. */
	assert_string_equal(o.cmdline, "console=ttyS0 quiet");
	assert_int_equal(o.mem, 2ull << 30);
	assert_int_equal(o.cpus, 2);
	assert_int_equal(o.nr_disks, 2);
	assert_string_equal(o.disks[0].path, "a.img");
	assert_false(o.disks[0].read_only);
	assert_string_equal(o.disks[1].path, "b.img");
	assert_true(o.disks[1].read_only);
	assert_int_equal(o.nr_nets, 2);
	assert_string_equal(o.nets[0].tap, "tap0");
	assert_true(o.nets[0].mac_set);
	assert_int_equal(o.nets[0].mac[5], 0x56);
	assert_false(o.nets[1].mac_set);
	assert_true(o.rng);
	assert_int_equal(o.console, CLI_CONSOLE_FILE);
	assert_string_equal(o.console_path, "/tmp/c");
	assert_int_equal(o.backend, VMM_BACKEND_KVM);
	assert_true(o.backend_set);
	assert_int_equal(run("--kernel", "k", "--kernel-cache", "none", NULL),
			 CLI_RUN);
	assert_null(o.kernel_cache);
	assert_true(o.no_kernel_cache);
	assert_int_equal(run("--help", NULL), CLI_HELP);
	assert_int_equal(run("--version", NULL), CLI_VERSION);
}

/*
 * --cmdline adds to the defaults (console on COM1; root=/dev/vda with a
 * disk and no initrd), as kvmtool's -p; --cmdline-replace is the line.
 */
static void test_cmdline(void **state)
{
	static char big[CLI_CMDLINE_MAX];
	char *argv[6] = { "vhv-run", "-k", "k", "--cmdline", big, NULL };

	(void)state;
	assert_int_equal(run("-k", "k", NULL), CLI_RUN);
	assert_string_equal(o.cmdline, "console=ttyS0");
	assert_int_equal(run("-k", "k", "--cmdline", "quiet panic=-1", NULL), CLI_RUN);
	assert_string_equal(o.cmdline, "console=ttyS0 quiet panic=-1");
	assert_int_equal(run("-k", "k", "-p", "", NULL), CLI_RUN);
	assert_string_equal(o.cmdline, "console=ttyS0");
	/* A disk and no initrd: the disk is the root. */
	assert_int_equal(run("-k", "k", "-d", "a.img", NULL), CLI_RUN);
	assert_string_equal(o.cmdline, "console=ttyS0 root=/dev/vda");
	assert_int_equal(run("-k", "k", "-d", "a.img,ro", "-d", "b.img",
			     "-p", "root=/dev/vdb rw", NULL), CLI_RUN);
	assert_string_equal(o.cmdline, "console=ttyS0 root=/dev/vda root=/dev/vdb rw");
	/* An initrd finds its own root, whatever the disks. */
	assert_int_equal(run("-k", "k", "-d", "a.img", "-i", "rd", NULL), CLI_RUN);
	assert_string_equal(o.cmdline, "console=ttyS0");
	assert_int_equal(run("-k", "k", "-i", "rd", "-p", "quiet", "-d", "a.img",
			     NULL), CLI_RUN);
	assert_string_equal(o.cmdline, "console=ttyS0 quiet");
	/* --cmdline-replace: exactly what was given, even nothing. */
	assert_int_equal(run("-k", "k", "-d", "a.img", "--cmdline-replace",
			     "hello multiboot", NULL), CLI_RUN);
	assert_string_equal(o.cmdline, "hello multiboot");
	assert_int_equal(run("-k", "k", "--cmdline-replace", "", NULL), CLI_RUN);
	assert_string_equal(o.cmdline, "");
	expect_error("--cmdline and --cmdline-replace: give one",
		     run("-k", "k", "--cmdline", "a", "--cmdline-replace", "b", NULL));
	expect_error("--cmdline and --cmdline-replace: give one",
		     run("-k", "k", "--cmdline-replace", "b", "-p", "a", NULL));
	expect_error("--cmdline: given twice",
		     run("-k", "k", "--cmdline", "a", "-p", "b", NULL));
	expect_error("--cmdline-replace: given twice",
		     run("-k", "k", "--cmdline-replace", "a", "--cmdline-replace",
			 "b", NULL));
	expect_error("--cmdline-replace: needs an argument",
		     run("-k", "k", "--cmdline-replace", NULL));
	/* The whole line must fit what a loader takes. */
	memset(big, 'x', sizeof(big) - 1 - strlen("console=ttyS0 "));
	assert_int_equal(cli_parse(5, argv, &o, err, sizeof(err)), CLI_RUN);
	assert_int_equal(strlen(o.cmdline), CLI_CMDLINE_MAX - 1);
	big[strlen(big)] = 'x';
	assert_int_equal(cli_parse(5, argv, &o, err, sizeof(err)), -EINVAL);
	if (!strstr(err, "--cmdline: the command line would be 65536 bytes, more than the 65535"))
		fail_msg("error \"%s\"", err);
	assert_non_null(strstr(cli_usage, "--cmdline-replace ARGS"));
}

/* The common flags' short forms: kvmtool's -p for the command line. */
static void test_short_options(void **state)
{
	(void)state;
	assert_int_equal(run("-k", "bz", "-i", "rd", "-m", "2G", "-c", "4", "-d",
			     "a.img", "-d", "b.img,ro", "-p", "quiet", "-v", NULL),
			 CLI_RUN);
	assert_string_equal(o.kernel, "bz");
	assert_string_equal(o.initrd, "rd");
	assert_int_equal(o.mem, 2ull << 30);
	assert_int_equal(o.cpus, 4);
	assert_int_equal(o.nr_disks, 2);
	assert_string_equal(o.disks[0].path, "a.img");
	assert_true(o.disks[1].read_only);
	assert_string_equal(o.cmdline, "console=ttyS0 quiet");
	assert_true(o.verbose);
	/* Attached arguments and bundled flags, as getopt allows. */
	assert_int_equal(run("-kbz", "-m512M", "-c2", "-vp", "ro", NULL), CLI_RUN);
	assert_string_equal(o.kernel, "bz");
	assert_int_equal(o.mem, 512ull << 20);
	assert_int_equal(o.cpus, 2);
	assert_true(o.verbose);
	assert_string_equal(o.cmdline, "console=ttyS0 ro");
	assert_int_equal(run("-h", NULL), CLI_HELP);
	assert_int_equal(run("-V", NULL), CLI_VERSION);
	/* A bad value is named by the option's long name, whichever was typed. */
	expect_error("--mem 512: a size needs a unit (512M? 512G?)",
		     run("-k", "k", "-m", "512", NULL));
	expect_error("--cpus 0: must be a number from 1 to 64",
		     run("-k", "k", "-c", "0", NULL));
	/* getopt's own complaints name the flag as it was written. */
	expect_error("-k: needs an argument", run("-k", NULL));
	expect_error("-k: needs an argument", run("-vk", NULL));
	expect_error("-x: unknown option (see --help)", run("-k", "k", "-x", NULL));
	expect_error("-x: unknown option (see --help)", run("-k", "k", "-vx", NULL));
	/* Only the listed flags have short forms. */
	expect_error("-r: unknown option", run("-k", "k", "-r", NULL));
	expect_error("-n: unknown option", run("-k", "k", "-n", "tap=t", NULL));
	expect_error("-C: unknown option", run("-k", "k", "-C", "none", NULL));
	expect_error("-D: unknown option", run("-k", "k", "-D", "0x501", NULL));
	expect_error("-K: unknown option", run("-k", "k", "-K", "none", NULL));
	expect_error("-b: unknown option", run("-k", "k", "-b", "kvm", NULL));
	/* Every short form is in the usage, beside its long name. */
	assert_non_null(strstr(cli_usage, "-k, --kernel"));
	assert_non_null(strstr(cli_usage, "-i, --initrd"));
	assert_non_null(strstr(cli_usage, "-p, --cmdline"));
	assert_non_null(strstr(cli_usage, "-m, --mem"));
	assert_non_null(strstr(cli_usage, "-c, --cpus"));
	assert_non_null(strstr(cli_usage, "-d, --disk"));
	assert_non_null(strstr(cli_usage, "-v, --verbose"));
	assert_non_null(strstr(cli_usage, "-h, --help"));
	assert_non_null(strstr(cli_usage, "-V, --version"));
}

/* --console file=PATH has a size cap: 64 MiB unless max=SIZE says. */
static void test_console_file_max(void **state)
{
	(void)state;
	assert_int_equal(run("--kernel", "k", "--console", "file=/tmp/c", NULL),
			 CLI_RUN);
	assert_string_equal(o.console_path, "/tmp/c");
	assert_int_equal(o.console_max, 64ull << 20);
	assert_int_equal(run("--kernel", "k", "--console", "file=/tmp/c,max=1G",
			     NULL), CLI_RUN);
	assert_string_equal(o.console_path, "/tmp/c");
	assert_int_equal(o.console_max, 1ull << 30);
	assert_int_equal(run("--kernel", "k", "--console",
			     "file=/tmp/c,max=4096K", NULL), CLI_RUN);
	assert_int_equal(o.console_max, 4ull << 20);
	assert_int_equal(run("--kernel", "k", "--console",
			     "file=/tmp/c,max=2mib", NULL), CLI_RUN);
	assert_int_equal(o.console_max, 2ull << 20);
	expect_error("--console file=/tmp/c,max=lots: max: not a size",
		     run("--kernel", "k", "--console", "file=/tmp/c,max=lots",
			 NULL));
	expect_error("--console file=/tmp/c,max=64: max: a size needs a unit (64M? 64G?)",
		     run("--kernel", "k", "--console", "file=/tmp/c,max=64",
			 NULL));
	expect_error("--console file=/tmp/c,max=0M: max must be more than 0",
		     run("--kernel", "k", "--console", "file=/tmp/c,max=0M",
			 NULL));
	expect_error("--console file=/tmp/c,max=: max: empty",
		     run("--kernel", "k", "--console", "file=/tmp/c,max=",
			 NULL));
	expect_error("--console file=/tmp/c,size=1M: unknown option \"size=1M\" (only max=SIZE)",
		     run("--kernel", "k", "--console", "file=/tmp/c,size=1M",
			 NULL));
	expect_error("--console file=,max=1M: must be",
		     run("--kernel", "k", "--console", "file=,max=1M", NULL));
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("--kernel: required", run(NULL));
	expect_error("--mem 12Q: unknown unit \"Q\"",
		     run("--kernel", "k", "--mem", "12Q", NULL));
	expect_error("--mem -1: a size cannot be negative",
		     run("--kernel", "k", "--mem", "-1", NULL));
	/* A bare number once meant MiB: now it is refused, with a hint. */
	expect_error("--mem 512: a size needs a unit (512M? 512G?)",
		     run("--kernel", "k", "--mem", "512", NULL));
	expect_error("--mem 1.5G: fractions are not supported: give a whole number of a smaller unit (1536M)",
		     run("--kernel", "k", "--mem", "1.5G", NULL));
	expect_error("--mem : empty", run("--kernel", "k", "--mem", "", NULL));
	expect_error("--mem 3M: must be a multiple of 2 MiB",
		     run("--kernel", "k", "--mem", "3M", NULL));
	expect_error("--mem 8M", run("--kernel", "k", "--mem", "8M", NULL));
	expect_error("--mem 2T", run("--kernel", "k", "--mem", "2T", NULL));
	expect_error("--cpus 0", run("--kernel", "k", "--cpus", "0", NULL));
	expect_error("--cpus 65", run("--kernel", "k", "--cpus", "65", NULL));
	expect_error("--cpus 2x", run("--kernel", "k", "--cpus", "2x", NULL));
	expect_error("--disk a.img: unknown option \"rw\"",
		     run("--kernel", "k", "--disk", "a.img,rw", NULL));
	expect_error("--disk: empty path", run("--kernel", "k", "--disk", ",ro", NULL));
	expect_error("--net: tap=NAME is required",
		     run("--kernel", "k", "--net", "mac=52:54:00:00:00:01", NULL));
	expect_error("--net: mac \"01:00:00:00:00:01\"",
		     run("--kernel", "k", "--net", "tap=t,mac=01:00:00:00:00:01", NULL));
	expect_error("--net: mac \"52:54:00:00:00\"",
		     run("--kernel", "k", "--net", "tap=t,mac=52:54:00:00:00", NULL));
	expect_error("tap name \"abcdefghijklmnopq\"",
		     run("--kernel", "k", "--net", "tap=abcdefghijklmnopq", NULL));
	expect_error("--net: unknown option \"vhost=on\"",
		     run("--kernel", "k", "--net", "tap=t,vhost=on", NULL));
	expect_error("--console tty: must be stdio, file=PATH, pty, socket=PATH or none",
		     run("--kernel", "k", "--console", "tty", NULL));
	expect_error("--console file=: must be", run("--kernel", "k", "--console", "file=", NULL));
	expect_error("--backend xen: must be vhv or kvm",
		     run("--kernel", "k", "--backend", "xen", NULL));
	expect_error("--kernel-cache: empty path",
		     run("--kernel", "k", "--kernel-cache", "", NULL));
	expect_error("--frobnicate: unknown option", run("--frobnicate", NULL));
	expect_error("--kernel: needs an argument", run("--kernel", NULL));
	expect_error("stray: unexpected argument", run("--kernel", "k", "stray", NULL));
}

static uint64_t size_ok(const char *s)
{
	char why[128] = "";
	uint64_t b = 0xdead;

	if (cli_parse_size(s, &b, why, sizeof(why)))
		fail_msg("\"%s\" refused: %s", s, why);
	return b;
}

static void size_refused(const char *s, const char *words)
{
	char why[128] = "";
	uint64_t b = 0xdead;

	assert_int_equal(cli_parse_size(s, &b, why, sizeof(why)), -EINVAL);
	assert_int_equal(b, 0xdead);
	if (strcmp(why, words))
		fail_msg("\"%s\": why is \"%s\", want \"%s\"", s, why, words);
}

/* Every spelling people type, all 1024-based, any case. */
static void test_sizes(void **state)
{
	(void)state;
	assert_int_equal(size_ok("512M"), 512ull << 20);
	assert_int_equal(size_ok("512MiB"), 512ull << 20);
	assert_int_equal(size_ok("512mb"), 512ull << 20);
	assert_int_equal(size_ok("512MB"), 512ull << 20);
	assert_int_equal(size_ok("512m"), 512ull << 20);
	assert_int_equal(size_ok("512mib"), 512ull << 20);
	assert_int_equal(size_ok("512Mb"), 512ull << 20);
	assert_int_equal(size_ok("2G"), 2ull << 30);
	assert_int_equal(size_ok("2GiB"), 2ull << 30);
	assert_int_equal(size_ok("2gb"), 2ull << 30);
	assert_int_equal(size_ok("1T"), 1ull << 40);
	assert_int_equal(size_ok("1tib"), 1ull << 40);
	assert_int_equal(size_ok("64K"), 64ull << 10);
	assert_int_equal(size_ok("64k"), 64ull << 10);
	assert_int_equal(size_ok("64KiB"), 64ull << 10);
	assert_int_equal(size_ok("1048576K"), 1ull << 30);
	assert_int_equal(size_ok("4096B"), 4096);
	assert_int_equal(size_ok("4096b"), 4096);
	assert_int_equal(size_ok("0512M"), 512ull << 20);	/* decimal, not octal */
	assert_int_equal(size_ok("0M"), 0);
	/* The largest of each: 2^64 - 1 bytes, and whole 2^54 - 1 TiB. */
	assert_int_equal(size_ok("18446744073709551615B"), UINT64_MAX);
	assert_int_equal(size_ok("16777215T"), 16777215ull << 40);
}

static void test_sizes_refused(void **state)
{
	(void)state;
	size_refused("512", "a size needs a unit (512M? 512G?)");
	size_refused("0", "a size needs a unit (0M? 0G?)");
	size_refused("", "empty (a size is a number and a unit: 512M, 2G)");
	size_refused("-1G", "a size cannot be negative");
	size_refused("-512", "a size cannot be negative");
	size_refused("+512M", "not a size (a number and a unit: 512M, 2G)");
	size_refused(" 512M", "not a size (a number and a unit: 512M, 2G)");
	size_refused("G", "not a size (a number and a unit: 512M, 2G)");
	size_refused("lots", "not a size (a number and a unit: 512M, 2G)");
	size_refused("12Q", "unknown unit \"Q\" (K, M, G, T, or B for bytes)");
	size_refused("0x200M", "unknown unit \"x200M\" (K, M, G, T, or B for bytes)");
	size_refused("512 M", "unknown unit \" M\" (K, M, G, T, or B for bytes)");
	size_refused("512MX", "\"X\" after the unit \"M\"");
	size_refused("512MiBs", "\"s\" after the unit \"MiB\"");
	size_refused("512Mi", "\"i\" after the unit \"M\"");
	size_refused("512M ", "\" \" after the unit \"M\"");
	size_refused("512BB", "\"B\" after the unit \"B\"");
	size_refused("1.5G", "fractions are not supported: give a whole number of a smaller unit (1536M)");
	size_refused("0.5k", "fractions are not supported: give a whole number of a smaller unit (512B)");
	size_refused("1.3G", "fractions are not supported: give a whole number of a smaller unit");
	size_refused("1.5", "fractions are not supported: give a whole number of a smaller unit");
	/* 2^64 bytes, in each way of getting there. */
	size_refused("16777216T", "too large (2^64 bytes or more)");
	size_refused("18446744073709551616B", "too large (2^64 bytes or more)");
	size_refused("99999999999999999999999M", "too large (2^64 bytes or more)");
	size_refused("99999999999999T", "too large (2^64 bytes or more)");
	/* --help says the same. */
	assert_non_null(strstr(cli_usage, "SIZE is a whole number and a unit"));
	assert_null(strstr(cli_usage, "plain number"));
}

static void expect_files(const char *words, int r)
{
	assert_int_equal(r, -EINVAL);
	if (strcmp(err, words))
		fail_msg("error \"%s\", want \"%s\"", err, words);
}

/*
 * The files named are checked before any device opens: each problem named
 * with its option, path and errno text.
 */
static void test_check_files(void **state)
{
	char dir[] = "/tmp/vhv-cli-XXXXXX", k[64], rd[64], img[64], fifo[64];
	char ro[80], want[160];
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(k, sizeof(k), "%s/bz", dir);
	snprintf(rd, sizeof(rd), "%s/rd", dir);
	snprintf(img, sizeof(img), "%s/a.img", dir);
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	f = fopen(k, "w");
	assert_non_null(f);
	fclose(f);
	assert_int_equal(link(k, rd), 0);
	assert_int_equal(link(k, img), 0);
	assert_int_equal(mkfifo(fifo, 0600), 0);

	assert_int_equal(run("-k", k, "-i", rd, "-d", img, "-d", "/dev/null,ro", NULL),
			 CLI_RUN);
	/* /dev/null is neither a file nor a block device. */
	snprintf(want, sizeof(want), "--disk /dev/null: not a regular file or block device");
	expect_files(want, cli_check_files(&o, err, sizeof(err)));
	assert_int_equal(run("-k", k, "-i", rd, "-d", img, NULL), CLI_RUN);
	assert_int_equal(cli_check_files(&o, err, sizeof(err)), 0);

	assert_int_equal(run("-k", "/nonexistent/bz", NULL), CLI_RUN);
	expect_files("--kernel /nonexistent/bz: No such file or directory",
		     cli_check_files(&o, err, sizeof(err)));
	assert_int_equal(run("-k", k, "-i", "/nonexistent/rd", NULL), CLI_RUN);
	expect_files("--initrd /nonexistent/rd: No such file or directory",
		     cli_check_files(&o, err, sizeof(err)));
	assert_int_equal(run("-k", k, "-d", img, "-d", "/nonexistent/b.img,ro", NULL),
			 CLI_RUN);
	expect_files("--disk /nonexistent/b.img: No such file or directory",
		     cli_check_files(&o, err, sizeof(err)));
	/* A directory opens read-only: it is refused for what it is. */
	assert_int_equal(run("-k", dir, NULL), CLI_RUN);
	snprintf(want, sizeof(want), "--kernel %s: is a directory", dir);
	expect_files(want, cli_check_files(&o, err, sizeof(err)));
	snprintf(ro, sizeof(ro), "%s,ro", dir);
	assert_int_equal(run("-k", k, "-d", ro, NULL), CLI_RUN);
	snprintf(want, sizeof(want), "--disk %s: is a directory", dir);
	expect_files(want, cli_check_files(&o, err, sizeof(err)));
	/* A FIFO is refused without waiting for a writer. */
	assert_int_equal(run("-k", k, "-i", fifo, NULL), CLI_RUN);
	snprintf(want, sizeof(want), "--initrd %s: not a regular file", fifo);
	expect_files(want, cli_check_files(&o, err, sizeof(err)));

	/*
	 * A disk without ,ro must open read-write.  A read-only sysfs file
	 * refuses that even to root; a 0444 file does for anyone else.
	 */
	if (!access("/sys/kernel/uevent_seqnum", R_OK)) {
		assert_int_equal(run("-k", k, "-d", "/sys/kernel/uevent_seqnum", NULL),
				 CLI_RUN);
		expect_files("--disk /sys/kernel/uevent_seqnum: Permission denied (a disk is opened read-write; /sys/kernel/uevent_seqnum,ro is read-only)",
			     cli_check_files(&o, err, sizeof(err)));
		assert_int_equal(run("-k", k, "-d", "/sys/kernel/uevent_seqnum,ro",
				     NULL), CLI_RUN);
		assert_int_equal(cli_check_files(&o, err, sizeof(err)), 0);
	}
	if (geteuid()) {
		assert_int_equal(chmod(k, 0), 0);
		assert_int_equal(run("-k", k, NULL), CLI_RUN);
		snprintf(want, sizeof(want), "--kernel %s: Permission denied", k);
		expect_files(want, cli_check_files(&o, err, sizeof(err)));
	}
	unlink(fifo);
	unlink(img);
	unlink(rd);
	unlink(k);
	rmdir(dir);
}

/* "No usable hypervisor" errors point at the other backend; others do not. */
static void test_backend_hint(void **state)
{
	(void)state;
	assert_string_equal(cli_backend_hint(VMM_BACKEND_VHV, -ENOENT), "; or --backend kvm");
	assert_string_equal(cli_backend_hint(VMM_BACKEND_VHV, -EACCES), "; or --backend kvm");
	assert_string_equal(cli_backend_hint(VMM_BACKEND_VHV, -EBUSY), "; or --backend kvm");
	assert_string_equal(cli_backend_hint(VMM_BACKEND_VHV, -ENOTSUP), "; or --backend kvm");
	assert_string_equal(cli_backend_hint(VMM_BACKEND_KVM, -ENODEV), "; or --backend vhv");
	assert_string_equal(cli_backend_hint(VMM_BACKEND_KVM, -EPERM), "; or --backend vhv");
	assert_string_equal(cli_backend_hint(VMM_BACKEND_VHV, -ENOMEM), "");
	assert_string_equal(cli_backend_hint(VMM_BACKEND_KVM, -EINVAL), "");
}

static void test_exit_status(void **state)
{
	struct vmm_exit_status st = { VMM_STOP_POWEROFF, 0 };

	(void)state;
	assert_int_equal(cli_exit_status(&st), 0);
	st.reason = VMM_STOP_ERROR;
	assert_int_equal(cli_exit_status(&st), 1);
	st.reason = VMM_STOP_RESET;
	assert_int_equal(cli_exit_status(&st), 2);
	st.reason = VMM_STOP_CRASH;
	assert_int_equal(cli_exit_status(&st), 3);
	st.reason = VMM_STOP_REQUESTED;
	assert_int_equal(cli_exit_status(&st), 4);
	st.reason = VMM_STOP_DEBUG_EXIT;
	st.code = 5;
	assert_int_equal(cli_exit_status(&st), 69);
	st.code = 64 + 7;
	assert_int_equal(cli_exit_status(&st), 71);
}

/* --net user: the user-mode network, its host forwards, mixed with taps. */
static void test_net_user(void **state)
{
	const struct vmm_net_hostfwd *h;

	(void)state;
	assert_int_equal(run("-k", "k", "--net", "user", NULL), CLI_RUN);
	assert_int_equal(o.nr_nets, 1);
	assert_true(o.nets[0].user);
	assert_null(o.nets[0].tap);
	assert_int_equal(o.nets[0].nr_hostfwd, 0);

	assert_int_equal(run("-k", "k", "--net", "tap=t0", "--net",
			     "user,hostfwd=tcp::8022-:22,hostfwd=udp:0.0.0.0:5353-10.0.2.15:53,hostfwd=::8080-10.0.2.20:80,mac=52:54:00:12:34:57",
			     NULL), CLI_RUN);
	assert_int_equal(o.nr_nets, 2);
	assert_false(o.nets[0].user);
	assert_string_equal(o.nets[0].tap, "t0");
	assert_true(o.nets[1].user);
	assert_true(o.nets[1].mac_set);
	assert_int_equal(o.nets[1].mac[5], 0x57);
	assert_int_equal(o.nets[1].nr_hostfwd, 3);
	h = &o.nets[1].hostfwd[0];
	/* No host address: this machine's loopback, not every interface. */
	assert_false(h->udp);
	assert_int_equal(h->host_addr, htonl(0x7f000001));
	assert_int_equal(h->host_port, 8022);
	assert_int_equal(h->guest_addr, 0);
	assert_int_equal(h->guest_port, 22);
	assert_string_equal(o.hostfwd_name[1][0], "tcp::8022");
	h = &o.nets[1].hostfwd[1];
	assert_true(h->udp);
	assert_int_equal(h->host_addr, 0);
	assert_int_equal(h->host_port, 5353);
	assert_int_equal(h->guest_addr, htonl(0x0a00020f));
	assert_int_equal(h->guest_port, 53);
	assert_string_equal(o.hostfwd_name[1][1], "udp:0.0.0.0:5353");
	/* An empty protocol is tcp. */
	h = &o.nets[1].hostfwd[2];
	assert_false(h->udp);
	assert_int_equal(h->guest_addr, htonl(0x0a000214));
	assert_string_equal(o.hostfwd_name[1][2], "tcp::8080");

	/* Two user cards are two networks; their forwards must differ. */
	assert_int_equal(run("-k", "k", "--net", "user,hostfwd=tcp::2222-:22",
			     "--net", "user,hostfwd=tcp::2223-:22", NULL), CLI_RUN);
	assert_int_equal(o.nr_nets, 2);
}

static void test_net_user_errors(void **state)
{
	(void)state;
	expect_error("--net user,hostfwd=tcp::x-:22: HOSTPORT must be a port number 1-65535",
		     run("-k", "k", "--net", "user,hostfwd=tcp::x-:22", NULL));
	expect_error("--net user,hostfwd=tcp::0-:22: HOSTPORT must be a port number 1-65535",
		     run("-k", "k", "--net", "user,hostfwd=tcp::0-:22", NULL));
	expect_error("HOSTPORT must be a port number 1-65535",
		     run("-k", "k", "--net", "user,hostfwd=tcp::65536-:22", NULL));
	expect_error("HOSTPORT must be a port number 1-65535",
		     run("-k", "k", "--net", "user,hostfwd=tcp::-1-:22", NULL));
	expect_error("--net user,hostfwd=tcp::8022-:: GUESTPORT must be a port number 1-65535",
		     run("-k", "k", "--net", "user,hostfwd=tcp::8022-:", NULL));
	expect_error("GUESTPORT must be a port number 1-65535",
		     run("-k", "k", "--net", "user,hostfwd=tcp::8022-:22x", NULL));
	expect_error("protocol \"sctp\" must be tcp or udp",
		     run("-k", "k", "--net", "user,hostfwd=sctp::1-:2", NULL));
	expect_error("HOSTADDR \"localhost\" must be an IPv4 address",
		     run("-k", "k", "--net", "user,hostfwd=tcp:localhost:8022-:22", NULL));
	expect_error("GUESTADDR 10.0.3.5 is not a guest's address",
		     run("-k", "k", "--net", "user,hostfwd=tcp::8022-10.0.3.5:22", NULL));
	expect_error("GUESTADDR 10.0.2.2 is not a guest's address",
		     run("-k", "k", "--net", "user,hostfwd=tcp::8022-10.0.2.2:22", NULL));
	expect_error("GUESTADDR \"guest\" must be an IPv4 address",
		     run("-k", "k", "--net", "user,hostfwd=tcp::8022-guest:22", NULL));
	expect_error("expected [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT",
		     run("-k", "k", "--net", "user,hostfwd=tcp::8022", NULL));
	expect_error("expected [tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT",
		     run("-k", "k", "--net", "user,hostfwd=8022-22", NULL));
	expect_error("expected [GUESTADDR]:GUESTPORT after the -",
		     run("-k", "k", "--net", "user,hostfwd=tcp::8022-22", NULL));
	expect_error("hostfwd= is for the user-mode network",
		     run("-k", "k", "--net", "tap=t0,hostfwd=tcp::8022-:22", NULL));
	expect_error("on a tap or on the user network, not both",
		     run("-k", "k", "--net", "user,tap=t0", NULL));
	expect_error("--net tap=t0,user: user comes first",
		     run("-k", "k", "--net", "tap=t0,user", NULL));
	expect_error("hostfwd tcp::8022: host port 8022 is forwarded already (hostfwd tcp::8022)",
		     run("-k", "k", "--net", "user,hostfwd=tcp::8022-:22",
			 "--net", "user,hostfwd=tcp::8022-:23", NULL));
	expect_error("is forwarded already",
		     run("-k", "k", "--net", "user,hostfwd=tcp:0.0.0.0:8022-:22,hostfwd=tcp::8022-:23",
			 NULL));
	/* tcp and udp ports are apart. */
	assert_int_equal(run("-k", "k", "--net",
			     "user,hostfwd=tcp::8022-:22,hostfwd=udp::8022-:22", NULL),
			 CLI_RUN);
	expect_error("--net: unknown option \"hostfw=tcp::1-:2\"",
		     run("-k", "k", "--net", "user,hostfw=tcp::1-:2", NULL));
}

/* A forward's port is tried before any device opens: in use says so. */
static void test_net_check(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	char arg[64], want[96];
	int fd;

	(void)state;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(arg, sizeof(arg), "user,hostfwd=tcp::%u-:22", ntohs(sa.sin_port));
	assert_int_equal(run("-k", "k", "--net", arg, NULL), CLI_RUN);
	err[0] = 0;
	assert_int_equal(cli_check_nets(&o, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "--net user: hostfwd tcp::%u: Address already in use",
		 ntohs(sa.sin_port));
	assert_string_equal(err, want);
	close(fd);
	/* Free again (SO_REUSEADDR, as slirp binds). */
	assert_int_equal(cli_check_nets(&o, err, sizeof(err)), 0);
	assert_int_equal(run("-k", "k", "--net", "tap=t0", NULL), CLI_RUN);
	assert_int_equal(cli_check_nets(&o, err, sizeof(err)), 0);
}

/*
 * A UDP port someone holds with SO_REUSEADDR is in use to a forward too:
 * checked without the option, which would have let both bind (and the
 * guest's datagrams go to whichever bound last).
 */
static void test_net_check_udp_shared(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	char arg[64], want[96];
	int fd, one = 1;

	(void)state;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(arg, sizeof(arg), "user,hostfwd=udp::%u-:53", ntohs(sa.sin_port));
	assert_int_equal(run("-k", "k", "--net", arg, NULL), CLI_RUN);
	err[0] = 0;
	assert_int_equal(cli_check_nets(&o, err, sizeof(err)), -EINVAL);
	snprintf(want, sizeof(want), "--net user: hostfwd udp::%u: Address already in use",
		 ntohs(sa.sin_port));
	assert_string_equal(err, want);
	close(fd);
}

/*
 * The banner: with the console on a terminal's stdin; for a pty or a
 * socket, when stderr is a terminal (someone to tell how to attach).
 */
static void test_banner(void **state)
{
	char line[512];

	(void)state;
	assert_int_equal(run("-k", "k", NULL), CLI_RUN);
	assert_true(cli_want_banner(&o, true, false));
	assert_false(cli_want_banner(&o, false, true));
	assert_int_equal(run("-k", "k", "--console", "stdio", NULL), CLI_RUN);
	assert_true(cli_want_banner(&o, true, true));
	assert_int_equal(run("-k", "k", "--console", "none", NULL), CLI_RUN);
	assert_false(cli_want_banner(&o, true, true));
	assert_int_equal(run("-k", "k", "--console", "file=/tmp/c", NULL), CLI_RUN);
	assert_false(cli_want_banner(&o, true, true));
	assert_int_equal(run("-k", "k", "--console", "pty", NULL), CLI_RUN);
	assert_true(cli_want_banner(&o, false, true));
	assert_false(cli_want_banner(&o, true, false));
	cli_attach_banner(&o, "/dev/pts/7", line, sizeof(line));
	assert_string_equal(line, "vhv-run: attach with screen /dev/pts/7 (or minicom, or cat); Ctrl-C here stops the VM\n");
	assert_int_equal(run("-k", "k", "--console", "socket=/run/c.sock,wait", NULL),
			 CLI_RUN);
	assert_true(cli_want_banner(&o, false, true));
	cli_attach_banner(&o, o.console_path, line, sizeof(line));
	assert_string_equal(line, "vhv-run: attach with socat -,raw,echo=0,escape=0x1d UNIX-CONNECT:/run/c.sock (Ctrl-] leaves); Ctrl-C here stops the VM; the guest starts when a client is on\n");
	/* One line, saying how to quit and how to send the escape itself. */
	assert_non_null(strstr(cli_banner, "Ctrl-A x quits"));
	assert_non_null(strstr(cli_banner, "Ctrl-A Ctrl-A sends Ctrl-A"));
	assert_int_equal(strchr(cli_banner, '\n') - cli_banner, strlen(cli_banner) - 1);
	assert_non_null(strstr(cli_usage, "a line on stderr says so as the guest starts"));
	assert_non_null(strstr(cli_usage, "That escape is stdio's only"));
}

/* --console pty[,wait] and socket=PATH[,wait]; each error names the argument. */
static void test_console_pty_socket(void **state)
{
	char arg[128];

	(void)state;
	assert_int_equal(run("-k", "k", "--console", "pty", NULL), CLI_RUN);
	assert_int_equal(o.console, CLI_CONSOLE_PTY);
	assert_false(o.console_wait);
	assert_int_equal(run("-k", "k", "--console", "pty,wait", NULL), CLI_RUN);
	assert_int_equal(o.console, CLI_CONSOLE_PTY);
	assert_true(o.console_wait);
	assert_int_equal(run("-k", "k", "--console", "socket=/tmp/vm.sock", NULL),
			 CLI_RUN);
	assert_int_equal(o.console, CLI_CONSOLE_SOCKET);
	assert_string_equal(o.console_path, "/tmp/vm.sock");
	assert_false(o.console_wait);
	assert_int_equal(run("-k", "k", "--console", "socket=rel/vm.sock,wait", NULL),
			 CLI_RUN);
	assert_string_equal(o.console_path, "rel/vm.sock");
	assert_true(o.console_wait);
	/* The last --console wins, ,wait with it. */
	assert_int_equal(run("-k", "k", "--console", "pty,wait", "--console",
			     "socket=/s", NULL), CLI_RUN);
	assert_int_equal(o.console, CLI_CONSOLE_SOCKET);
	assert_false(o.console_wait);
	assert_int_equal(run("-k", "k", "--console", "socket=/s", "--console",
			     "stdio", NULL), CLI_RUN);
	assert_int_equal(o.console, CLI_CONSOLE_STDIO);
	/* A pty is named by the kernel, not by the user. */
	assert_int_equal(run("-k", "k", "--console", "pty", NULL), CLI_RUN);
	assert_null(o.console_path);

	expect_error("--console socket=: empty path",
		     run("-k", "k", "--console", "socket=", NULL));
	expect_error("--console socket=,wait: empty path",
		     run("-k", "k", "--console", "socket=,wait", NULL));
	expect_error("--console socket=/s,max=1M: unknown option \"max=1M\" (only wait)",
		     run("-k", "k", "--console", "socket=/s,max=1M", NULL));
	expect_error("--console socket=/s,wait,wait: unknown option \"wait,wait\" (only wait)",
		     run("-k", "k", "--console", "socket=/s,wait,wait", NULL));
	expect_error("--console pty,nowait: unknown option \"nowait\" (only wait)",
		     run("-k", "k", "--console", "pty,nowait", NULL));
	expect_error("--console pty,: unknown option \"\" (only wait)",
		     run("-k", "k", "--console", "pty,", NULL));
	expect_error("--console ptyx: must be stdio, file=PATH, pty, socket=PATH or none",
		     run("-k", "k", "--console", "ptyx", NULL));
	expect_error("--console socket: must be",
		     run("-k", "k", "--console", "socket", NULL));
	/* A Unix socket's path: 107 bytes at most. */
	memset(arg, 'p', sizeof(arg));
	memcpy(arg, "socket=/", 8);
	arg[7 + CLI_SOCKET_PATH_MAX] = 0;
	assert_int_equal(run("-k", "k", "--console", arg, NULL), CLI_RUN);
	assert_int_equal(strlen(o.console_path), CLI_SOCKET_PATH_MAX);
	arg[7 + CLI_SOCKET_PATH_MAX] = 'p';
	memcpy(arg + 7 + CLI_SOCKET_PATH_MAX + 1, ",wait", 6);
	expect_error("the path is 108 bytes, more than the 107 a Unix socket takes",
		     run("-k", "k", "--console", arg, NULL));
	if (strncmp(err, "--console socket=/ppp", 21) || strstr(err, ",wait"))
		fail_msg("error \"%s\" does not name the path alone", err);
	assert_non_null(strstr(cli_usage, "pty[,wait]|socket=PATH[,wait]"));
}

/*
 * The sandbox is off only when asked for explicitly: "0", "", "no" or
 * "false" would be read as "off" by no one.
 */
static void test_no_sandbox(void **state)
{
	(void)state;
	assert_false(cli_no_sandbox(NULL));
	assert_true(cli_no_sandbox("1"));
	assert_false(cli_no_sandbox("0"));
	assert_false(cli_no_sandbox(""));
	assert_false(cli_no_sandbox("no"));
	assert_false(cli_no_sandbox("false"));
	assert_false(cli_no_sandbox("11"));
	assert_false(cli_no_sandbox("1 "));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_all_options),
		cmocka_unit_test(test_short_options),
		cmocka_unit_test(test_cmdline),
		cmocka_unit_test(test_check_files),
		cmocka_unit_test(test_backend_hint),
		cmocka_unit_test(test_banner),
		cmocka_unit_test(test_console_pty_socket),
		cmocka_unit_test(test_console_file_max),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_sizes_refused),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_no_sandbox),
		cmocka_unit_test(test_debug_exit),
		cmocka_unit_test(test_net_user),
		cmocka_unit_test(test_net_user_errors),
		cmocka_unit_test(test_net_check),
		cmocka_unit_test(test_net_check_udp_shared),
	};

	return cmocka_run_group_tests_name("cli", tests, NULL, NULL);
}
