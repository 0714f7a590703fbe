// SPDX-License-Identifier: GPL-2.0
/* The selftest library: TAP output and /dev/vhv helpers (see vhv_test.h). */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "guest.h"
#include "vhv_test.h"

static int tap_count;
static int tap_failed;

static void tap_vline(const char *prefix, const char *fmt, va_list ap,
		      const char *suffix)
{
	printf("%s %d - ", prefix, ++tap_count);
	vprintf(fmt, ap);
	printf("%s\n", suffix ? suffix : "");
	fflush(stdout);
}

bool tap_result(bool ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(ok ? "ok" : "not ok", fmt, ap, NULL);
	va_end(ap);
	if (!ok)
		tap_failed++;
	return ok;
}

void tap_skip(const char *reason, const char *fmt, ...)
{
	char suffix[256];
	va_list ap;

	snprintf(suffix, sizeof(suffix), " # SKIP %s", reason);
	va_start(ap, fmt);
	tap_vline("ok", fmt, ap, suffix);
	va_end(ap);
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

int tap_done(void)
{
	printf("1..%d\n", tap_count);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

void tap_bail(const char *file, int line, const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	printf("not ok %d - %s:%d: ", ++tap_count, file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (errno %d: %s)\nBail out!\n", err, strerror(err));
	fflush(stdout);
	exit(1);
}

static void describe(char *buf, size_t len, const char *fmt, va_list ap)
{
	vsnprintf(buf, len, fmt, ap);
}

bool test_errno_result(long ret, int got, int want, const char *want_name,
		       const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	describe(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ret == -1 && got == want)
		return tap_result(true, "%s: %s", what, want_name);
	if (ret == -1)
		return tap_result(false, "%s: expected %s, got errno %d (%s)",
				  what, want_name, got, strerror(got));
	return tap_result(false, "%s: expected %s, got success (%ld)", what,
			  want_name, ret);
}

bool test_ok_result(long ret, int err, const char *fmt, ...)
{
	char what[256];
	va_list ap;

	va_start(ap, fmt);
	describe(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (ret >= 0)
		return tap_result(true, "%s", what);
	return tap_result(false, "%s: failed with errno %d (%s)", what, err,
			  strerror(err));
}

int __vhv_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	return ioctl(fd, cmd, arg);
}

int _vhv_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	int r;

	do {
		r = __vhv_ioctl(fd, cmd, arg);
	} while (r == -1 && errno == EINTR);
	return r;
}

int __vhv_ioctl_assert(int fd, unsigned long cmd, const char *name,
		       unsigned long arg, const char *file, int line)
{
	int r = _vhv_ioctl(fd, cmd, arg);

	if (r < 0)
		tap_bail(file, line, "%s failed", name);
	return r;
}

int vhv_open(void)
{
	int fd = open("/dev/vhv", O_RDWR | O_CLOEXEC);

	TEST_REQUIRE(fd >= 0, "cannot open /dev/vhv: is vhv.ko loaded?");
	return fd;
}

bool vhv_can_run(const char *what)
{
	int fd = vhv_open();
	bool can = vhv_ioctl(fd, VHV_CHECK_CAP, VHV_CAP_RUN) > 0;

	close(fd);
	if (!can)
		tap_skip("VHV_CAP_RUN is 0: this backend cannot execute guests yet",
			 "%s", what);
	return can;
}

long vhv_cap(int fd, unsigned long cap)
{
	return vhv_ioctl(fd, VHV_CHECK_CAP, cap);
}

struct vm *vm_create(void)
{
	struct vm *vm = calloc(1, sizeof(*vm));

	TEST_REQUIRE(vm, "out of memory");
	pthread_mutex_init(&vm->slots_lock, NULL);
	vm->sys_fd = vhv_open();
	vm->fd = vhv_ioctl(vm->sys_fd, VHV_CREATE_VM, 0);
	guest_vendor_intel = vhv_cap(vm->sys_fd, VHV_CAP_VENDOR) == VHV_VENDOR_VMX;
	return vm;
}

void vm_free(struct vm *vm)
{
	close(vm->fd);
	close(vm->sys_fd);
	free(vm->slots);
	pthread_mutex_destroy(&vm->slots_lock);
	free(vm);
}

void vm_recreate(struct vm *vm)
{
	uint32_t i;

	close(vm->fd);
	vm->fd = vhv_ioctl(vm->sys_fd, VHV_CREATE_VM, 0);
	pthread_mutex_lock(&vm->slots_lock);
	for (i = 0; i < vm->nr_slots; i++)
		vhv_ioctl(vm->fd, VHV_SET_MEMORY_SLOT, &vm->slots[i]);
	pthread_mutex_unlock(&vm->slots_lock);
}

/* Remembers a slot that was set, replacing an earlier one of its id. */
static void log_slot(struct vm *vm, const struct vhv_memory_slot *m)
{
	uint32_t i;

	pthread_mutex_lock(&vm->slots_lock);
	for (i = 0; i < vm->nr_slots && vm->slots[i].slot != m->slot; i++)
		;
	if (i == vm->nr_slots) {
		vm->slots = realloc(vm->slots, (i + 1) * sizeof(*m));
		TEST_REQUIRE(vm->slots, "out of memory");
		vm->nr_slots++;
	}
	vm->slots[i] = *m;
	pthread_mutex_unlock(&vm->slots_lock);
}

struct vcpu *vcpu_add(struct vm *vm, uint32_t id)
{
	struct vcpu *vcpu = calloc(1, sizeof(*vcpu));

	TEST_REQUIRE(vcpu, "out of memory");
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = vhv_ioctl(vm->fd, VHV_CREATE_VCPU, id);
	vcpu->run_size = vhv_ioctl(vm->sys_fd, VHV_GET_VCPU_MMAP_SIZE, 0);
	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	TEST_REQUIRE(vcpu->run != MAP_FAILED, "mmap of vCPU %u's run area", id);
	return vcpu;
}

void vcpu_free(struct vcpu *vcpu)
{
	munmap(vcpu->run, vcpu->run_size);
	close(vcpu->fd);
	free(vcpu);
}

int __vm_set_slot(struct vm *vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		  uint64_t size, void *uaddr)
{
	struct vhv_memory_slot m = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.size = size,
		.userspace_addr = (uintptr_t)uaddr,
	};

	int r = __vhv_ioctl(vm->fd, VHV_SET_MEMORY_SLOT, (unsigned long)&m);

	if (!r)
		log_slot(vm, &m);
	return r;
}

void *vm_add_anon_slot(struct vm *vm, uint32_t slot, uint64_t gpa,
		       uint64_t size, uint32_t flags)
{
	void *mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	TEST_REQUIRE(mem != MAP_FAILED, "mmap of %#llx bytes",
		     (unsigned long long)size);
	TEST_REQUIRE(__vm_set_slot(vm, slot, flags, gpa, size, mem) == 0,
		     "slot %u at %#llx", slot, (unsigned long long)gpa);
	return mem;
}

static long read_long(const char *path, const char *key)
{
	char line[256];
	long value = -1;
	size_t klen = key ? strlen(key) : 0;
	FILE *f = fopen(path, "r");

	TEST_REQUIRE(f, "cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		if (key && (strncmp(line, key, klen) || line[klen] != ':'))
			continue;
		value = strtol(line + (key ? klen + 1 : 0), NULL, 10);
		break;
	}
	fclose(f);
	TEST_REQUIRE(value >= 0, "no value for %s in %s", key ? key : "-", path);
	return value;
}

uint64_t emulator_added(struct vcpu *vcpu, const volatile uint64_t *count)
{
	struct vhv_vcpu_stats st;
	uint64_t seen = count[2], gave;
	unsigned int v;

	for (v = 32; v < 256; v++)
		seen += count[v];
	vhv_ioctl(vcpu->fd, VHV_GET_VCPU_STATS, &st);
	gave = st.count[VHV_STAT_INTERRUPTS];
	if (seen < gave) {
		char took[300] = "";
		size_t len = 0;

		for (v = 0; v < 256; v++)
			if (count[v] && len < sizeof(took) - 24)
				len += snprintf(took + len, sizeof(took) - len, " %#x:%llu", v,
						(unsigned long long)count[v]);
		tap_result(false, "vCPU %u: its handlers took %llu interrupts and NMIs, vhv delivered %llu (vectors taken:%s)",
			   vcpu->id, (unsigned long long)seen, (unsigned long long)gave, took);
		return 0;
	}
	if (seen > gave)
		tap_diag("vCPU %u: %llu deliveries beyond the %llu vhv made: QEMU TCG's second delivery of an injected interrupt (README, Benchmarks)",
			 vcpu->id, (unsigned long long)(seen - gave), (unsigned long long)gave);
	return seen - gave;
}

long vhv_stat(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/class/misc/vhv/%s", name);
	return read_long(path, NULL);
}

long meminfo_kib(const char *field)
{
	return read_long("/proc/meminfo", field);
}
