// SPDX-License-Identifier: GPL-2.0
/*
 * abi_fuzz: random /dev/vhv use, as a hostile user and a hostile guest
 * would make it.  Worker threads share a pool of descriptors (/dev/vhv,
 * VMs, vCPUs with their run areas, eventfds) and, seeded and reproducible
 * from the seed printed first, call every ioctl on descriptors of every
 * kind with arguments that are valid, nearly valid, random or bad
 * pointers; they put slots over anonymous, read-only, file-backed and
 * unmapped memory, remap that memory under live slots, close in any order,
 * fork (a child's calls into its parent's VMs are refused, and the last
 * close may be the child's), and run vCPUs over random code in real, flat
 * protected and long mode (then perturbed at random), answering each exit
 * with random data, while other threads change the VM under them.  Afterwards every descriptor is closed and the module's
 * live-object counters must come back to where they were, and the kernel
 * log must hold no warning, oops or sanitizer report from the run.
 *
 * Usage: abi_fuzz [SECONDS [SEED [THREADS]]]; defaults 30 s, a seed from
 * the clock, 4 threads.  Each thread draws its choices from the seed, but
 * what it draws next depends on what the kernel answered and when a timer
 * cut a run short, so a rerun with the same seed repeats a run only in
 * part: the seed narrows a search down, it does not replay it.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/kcov.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/vhv_test.h"

#define POOL		48
#define REGION_SIZE	(2u << 20)
#define NR_REGIONS	5
#define MAX_THREADS	16

enum kind { K_FREE, K_SYS, K_VM, K_VCPU, K_EVENTFD };

struct obj {
	enum kind kind;
	int fd;
	int users;		/* threads using it now */
	bool doomed;		/* closed once users drops to 0 */
	struct vhv_run *run;	/* K_VCPU: the run area, or NULL */
	size_t run_size;
};

static struct obj pool[POOL];
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;

/*
 * Guest memory: 0 anonymous (the code the vCPUs run; never unmapped),
 * 1 anonymous and remapped at random, 2 read-only, 3 a shared memfd,
 * 4 a private file mapping.
 */
static uint8_t *region[NR_REGIONS];
static pthread_mutex_t region_lock = PTHREAD_MUTEX_INITIALIZER;
static int memfd = -1;

static atomic_ulong calls, runs, exits_seen, forks;

/* Where the workers' time goes, per kind of step (reported at the end). */
enum step { S_OPEN, S_VM, S_VCPU, S_EVENTFD, S_CLOSE, S_REMAP, S_FORK, S_RUN, S_IOCTL, NR_STEPS };
static const char *const step_name[NR_STEPS] = {
	"open", "vm", "vcpu", "eventfd", "close", "remap", "fork", "run", "ioctl",
};
static atomic_ulong step_ns[NR_STEPS], step_count[NR_STEPS];
/* Steps ABI_FUZZ_SKIP (names, comma-separated) leaves out: single ioctls instead. */
static unsigned int skip_steps;
static char skip_list[128];	/* as parsed, for the repeat line */

static uint64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ull + t.tv_nsec;
}
static atomic_bool stop;
static long run_area_size;

struct rng {
	uint64_t s;
};

static uint64_t next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint64_t below(struct rng *r, uint64_t n)
{
	return n ? next(r) % n : 0;
}

static bool chance(struct rng *r, unsigned int percent)
{
	return below(r, 100) < percent;
}

/* Values at the edges of what the ABI checks. */
static uint64_t interesting(struct rng *r)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 4, 7, 8, 15, 16, 23, 24, 31, 32, 63, 64, 255, 256,
		0x1000, 0xfff, 0x7fff, 0xffff, 0x10000, 0x7fffffff, 0x80000000,
		0xffffffff, 0x100000000ull, 0xfee00000, 0xfec00000, 0xfed00000,
		0x7fffffffffffffffull, 0x8000000000000000ull, ~0ull, ~0ull - 0xfff,
	};

	return chance(r, 70) ? v[below(r, sizeof(v) / sizeof(v[0]))] : next(r);
}

/* ---- coverage ------------------------------------------------------------- */

/*
 * Where the kernel has KCOV (the debug L1 kernel instruments vhv.ko, and
 * only vhv.ko), each worker records the kernel PCs its calls reach and
 * the distinct ones are counted: how much of vhv.ko the run reached, and
 * whether that still grew at its end.  Elsewhere nothing is counted.
 */
#define COVER_WORDS	(1u << 16)	/* per worker, PCs a step may record */
#define PC_SET_BITS	17
#define PC_SET		(1u << PC_SET_BITS)	/* distinct PCs held, at most half full */

static uint64_t *pc_set;
static uint64_t vhv_base, vhv_end;	/* vhv.ko's core, from /proc/modules */
static unsigned int pc_count;
static pthread_mutex_t pc_lock = PTHREAD_MUTEX_INITIALIZER;
static const char *kcov_missing = "not tried";

static uint64_t *kcov_start(void)
{
	uint64_t *cover;
	int fd;

	if (!pc_set)
		return NULL;
	fd = open("/sys/kernel/debug/kcov", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (ioctl(fd, KCOV_INIT_TRACE, (unsigned long)COVER_WORDS)) {
		close(fd);
		return NULL;
	}
	cover = mmap(NULL, COVER_WORDS * 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (cover == MAP_FAILED || ioctl(fd, KCOV_ENABLE, KCOV_TRACE_PC)) {
		close(fd);
		return NULL;
	}
	/* The mapping keeps the trace alive; the fd goes with the thread. */
	__atomic_store_n(&cover[0], 0, __ATOMIC_RELAXED);
	return cover;
}

/* Takes the PCs the last step recorded into the set. */
static void kcov_collect(uint64_t *cover)
{
	uint64_t n = __atomic_load_n(&cover[0], __ATOMIC_RELAXED), i, h;

	if (n > COVER_WORDS - 1)
		n = COVER_WORDS - 1;
	pthread_mutex_lock(&pc_lock);
	for (i = 1; i <= n && pc_count < PC_SET / 2; i++) {
		uint64_t pc = cover[i];

		if (pc < vhv_base || pc >= vhv_end)
			continue;	/* another instrumented part of the kernel */
		for (h = (pc * 0x9e3779b97f4a7c15ull) >> (64 - PC_SET_BITS); ; h = (h + 1) & (PC_SET - 1)) {
			if (pc_set[h] == pc)
				break;
			if (!pc_set[h]) {
				pc_set[h] = pc;
				pc_count++;
				break;
			}
		}
	}
	pthread_mutex_unlock(&pc_lock);
	__atomic_store_n(&cover[0], 0, __ATOMIC_RELAXED);
}

static unsigned int kcov_pcs(void)
{
	unsigned int n;

	pthread_mutex_lock(&pc_lock);
	n = pc_count;
	pthread_mutex_unlock(&pc_lock);
	return n;
}

/* Whether KCOV is there to use: debugfs mounted, or mounted here. */
static void kcov_probe(void)
{
	int fd = open("/sys/kernel/debug/kcov", O_RDWR | O_CLOEXEC);
	struct statfs sfs;

	if (fd < 0 && errno == ENOENT && !statfs("/sys/kernel/debug", &sfs) &&
	    sfs.f_type != 0x64626720 /* DEBUGFS_MAGIC: there, so no KCOV */ &&
	    !mount("debugfs", "/sys/kernel/debug", "debugfs", 0, NULL))
		fd = open("/sys/kernel/debug/kcov", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		kcov_missing = errno == ENOENT ? "the kernel has no KCOV" : strerror(errno);
		return;
	}
	close(fd);
	{
		FILE *f = fopen("/proc/modules", "r");
		char line[256];
		unsigned long long size, base;

		/* The size covers init sections too: long freed, never hit. */
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "vhv %llu %*s %*s %*s %llx", &size, &base) == 2) {
				vhv_base = base;
				vhv_end = base + size;
			}
		if (f)
			fclose(f);
		if (!vhv_base) {
			kcov_missing = "vhv.ko's address is not in /proc/modules";
			return;
		}
		/*
		 * KCOV records PCs less the kernel's KASLR offset: _text less
		 * where it is linked (__START_KERNEL, with the default
		 * CONFIG_PHYSICAL_START of 16 MiB).
		 */
		f = fopen("/proc/kallsyms", "r");
		while (f && fgets(line, sizeof(line), f)) {
			unsigned long long text;
			char sym[64];

			if (sscanf(line, "%llx %*s %63s", &text, sym) == 2 && !strcmp(sym, "_text")) {
				vhv_base -= text - 0xffffffff81000000ull;
				vhv_end -= text - 0xffffffff81000000ull;
				break;
			}
		}
		if (f)
			fclose(f);
	}
	pc_set = calloc(PC_SET, sizeof(*pc_set));
	if (!pc_set)
		kcov_missing = "no memory for the PC set";
}

/* ---- the pool ------------------------------------------------------------ */

static int pool_add(enum kind k, int fd, struct vhv_run *run, size_t run_size)
{
	unsigned int i;

	pthread_mutex_lock(&pool_lock);
	for (i = 0; i < POOL; i++) {
		if (pool[i].kind == K_FREE) {
			pool[i] = (struct obj){ .kind = k, .fd = fd, .run = run,
						.run_size = run_size };
			pthread_mutex_unlock(&pool_lock);
			return i;
		}
	}
	pthread_mutex_unlock(&pool_lock);
	if (run)
		munmap(run, run_size);
	close(fd);
	return -1;
}

static void really_close(struct obj *o)
{
	if (o->run)
		munmap(o->run, o->run_size);
	close(o->fd);
	if (o->kind != K_EVENTFD)
		calls++;	/* the last close releases vhv's object */
	*o = (struct obj){ .kind = K_FREE };
}

/* A random object of kind k (or any kind for K_FREE), held until put. */
static struct obj *pool_get(struct rng *r, enum kind k)
{
	unsigned int start = below(r, POOL), i;
	struct obj *o;

	pthread_mutex_lock(&pool_lock);
	for (i = 0; i < POOL; i++) {
		o = &pool[(start + i) % POOL];
		if (o->kind != K_FREE && !o->doomed && (k == K_FREE || o->kind == k)) {
			o->users++;
			pthread_mutex_unlock(&pool_lock);
			return o;
		}
	}
	pthread_mutex_unlock(&pool_lock);
	return NULL;
}

static void pool_put(struct obj *o)
{
	pthread_mutex_lock(&pool_lock);
	if (!--o->users && o->doomed)
		really_close(o);
	pthread_mutex_unlock(&pool_lock);
}

static void pool_close(struct obj *o)
{
	pthread_mutex_lock(&pool_lock);
	o->doomed = true;
	if (!--o->users)
		really_close(o);
	pthread_mutex_unlock(&pool_lock);
}

/* ---- arguments ------------------------------------------------------------ */

/*
 * A page the kernel cannot read or write (PROT_NONE, kept mapped so that
 * nothing else of this process lands there later).
 */
static void *unmapped;

/* A pointer the kernel must refuse to follow, or NULL. */
static void *bad_pointer(struct rng *r)
{
	switch (below(r, 4)) {
	case 0: return NULL;
	case 1: return unmapped;
	case 2: return (void *)0xffffffff81000000ull;	/* the kernel's */
	default: return region[2] + below(r, REGION_SIZE);	/* read-only */
	}
}

/* Fills buf as a caller might: zeros, a template perturbed, or noise. */
static void fill(struct rng *r, void *buf, size_t len)
{
	uint8_t *b = buf;
	size_t i, n;

	switch (below(r, 4)) {
	case 0:	/* a few fields set, the rest zero */
		memset(b, 0, len);
		for (n = below(r, 4); n--; ) {
			uint64_t v = interesting(r);

			i = below(r, len / 8 ? len / 8 : 1) * 8;
			memcpy(b + i, &v, len - i < 8 ? len - i : 8);
		}
		break;
	case 1:	/* flipped bits in what is there (a GET's answer) */
		for (n = 1 + below(r, 4); n-- && len; )
			b[below(r, len)] ^= 1u << below(r, 8);
		break;
	default:	/* noise, 8 bytes a draw: TCG makes L1's cycles dear */
		for (i = 0; i < len; i += 8) {
			uint64_t v = next(r);

			memcpy(b + i, &v, len - i < 8 ? len - i : 8);
		}
		break;
	}
}

static unsigned long all_ioctls[] = {
	VHV_GET_API_VERSION, VHV_CHECK_CAP, VHV_CREATE_VM, VHV_GET_VCPU_MMAP_SIZE,
	VHV_SET_MEMORY_SLOT, VHV_DELETE_MEMORY_SLOT, VHV_CREATE_VCPU, VHV_RUN,
	VHV_GET_REGS, VHV_SET_REGS, VHV_GET_SREGS, VHV_SET_SREGS, VHV_SET_CPUID,
	VHV_GET_CPUID, VHV_GET_MSRS, VHV_SET_MSRS, VHV_INJECT_EVENT,
	VHV_GET_VCPU_STATS, VHV_GET_MP_STATE, VHV_SET_MP_STATE, VHV_GET_LAPIC,
	VHV_SET_LAPIC, VHV_GET_VCPU_EVENTS, VHV_SET_VCPU_EVENTS, VHV_SET_MSR_FILTER,
	VHV_CREATE_IRQCHIP, VHV_IRQ_LINE, VHV_SIGNAL_MSI, VHV_GET_IRQCHIP,
	VHV_SET_IRQCHIP, VHV_GET_CLOCK, VHV_SET_CLOCK, VHV_IRQFD, VHV_IOEVENTFD,
};
#define NR_IOCTLS (sizeof(all_ioctls) / sizeof(all_ioctls[0]))

/* An eventfd's number from the pool (or any number). */
static uint32_t some_eventfd(struct rng *r)
{
	struct obj *o = pool_get(r, K_EVENTFD);
	uint32_t fd;

	if (!o)
		return interesting(r);
	fd = o->fd;	/* may be closed and reused by the time it is used */
	pool_put(o);
	return fd;
}

static void memory_slot(struct rng *r, struct vhv_memory_slot *s)
{
	unsigned int reg = below(r, NR_REGIONS);
	uint64_t off = below(r, REGION_SIZE / 4096) * 4096;

	*s = (struct vhv_memory_slot){
		.slot = chance(r, 90) ? below(r, 8) : interesting(r),
		.flags = chance(r, 80) ? below(r, 2) : interesting(r),
		.guest_phys_addr = chance(r, 80) ? below(r, 64) << 21 : interesting(r),
		.size = chance(r, 80) ? (1 + below(r, (REGION_SIZE - off) / 4096)) * 4096 :
			interesting(r),
		.userspace_addr = chance(r, 90) ? (uint64_t)(uintptr_t)(region[reg] + off) :
				  (uint64_t)(uintptr_t)bad_pointer(r),
	};
	if (chance(r, 5))
		s->reserved[below(r, 4)] = next(r);
}

/*
 * An emulator's defect kept out, not vhv's: QEMU's TCG model of SVM (7.2,
 * the nested runner's) leaves L1 in a guest's CR0 at the #VMEXIT of a
 * guest with EFER.LME set and CR0.PG and CR4.PAE clear (legacy mode with
 * long mode enabled: a state real CPUs run, and vhv accepts rightly).
 * Restoring the host's CR0 (PG set) while the guest's LME is still loaded
 * takes its "enter long mode" path, which gives up without a PAE; L1's
 * CPU is then left in real mode with GIF clear, taking no interrupt or
 * NMI, and L1 stalls.  The distro's kvm_amd, run in the same L1, wedges
 * it the same way (README, the nested runner).  So under QEMU's TCG only
 * (VHV_NESTED_BACKEND, which the runner sets), this program never gives
 * a vCPU such a state: LME goes.  The guest's own code could still get
 * there (a WRMSR to EFER with ECX exactly 0xc0000080, a MOV to CR4), at
 * odds far too small to matter here.
 */
#define EFER_LME	(1ull << 8)
#define CR0_PG		(1ull << 31)
#define CR4_PAE		(1ull << 5)

static bool under_qemu_tcg;

static void keep_out_qemu_lme(struct vhv_sregs *s)
{
	if (under_qemu_tcg && (s->efer & EFER_LME) && !(s->cr0 & CR0_PG) &&
	    !(s->cr4 & CR4_PAE))
		s->efer &= ~EFER_LME;
}

/* One ioctl on obj with an argument of the kind its number asks for. */
static void random_ioctl(struct rng *r, struct obj *o)
{
	unsigned long cmd = chance(r, 97) ? all_ioctls[below(r, NR_IOCTLS)] :
			    _IOC(below(r, 4), VHVIO, below(r, 256), below(r, 1024));
	uint8_t buf[4096] __attribute__((aligned(8)));
	struct vhv_cpuid_entry ents[260];
	size_t size = _IOC_SIZE(cmd);
	unsigned long arg;

	if (size > sizeof(buf))
		size = sizeof(buf);
	/* The kernel reads at most size bytes (or follows pointers set below). */
	memset(buf, 0, size < 64 ? 64 : size);
	if (_IOC_DIR(cmd) & _IOC_WRITE) {
		/* What a GET of the same object says, then perturbed. */
		if (cmd == VHV_SET_IRQCHIP || chance(r, 50)) {
			unsigned long get = cmd == VHV_SET_SREGS ? VHV_GET_SREGS :
					    cmd == VHV_SET_REGS ? VHV_GET_REGS :
					    cmd == VHV_SET_LAPIC ? VHV_GET_LAPIC :
					    cmd == VHV_SET_VCPU_EVENTS ? VHV_GET_VCPU_EVENTS :
					    cmd == VHV_SET_IRQCHIP ? VHV_GET_IRQCHIP :
					    cmd == VHV_SET_CLOCK ? VHV_GET_CLOCK :
					    cmd == VHV_SET_MP_STATE ? VHV_GET_MP_STATE : 0;

			if (cmd == VHV_SET_IRQCHIP)
				((struct vhv_irqchip_state *)buf)->chip = below(r, 6);
			if (get) {
				ioctl(o->fd, get, buf);
				calls += o->kind != K_EVENTFD;
			}
		}
		fill(r, buf, size);
	}
	switch (cmd) {
	case VHV_SET_MEMORY_SLOT:
		if (chance(r, 80))
			memory_slot(r, (void *)buf);
		break;
	case VHV_SET_SREGS:
		keep_out_qemu_lme((void *)buf);
		break;
	case VHV_SET_CPUID:
	case VHV_GET_CPUID:
	case VHV_GET_MSRS:
	case VHV_SET_MSRS:
		/* Both carry a count and a pointer to the entries. */
		fill(r, ents, sizeof(ents));
		((struct vhv_cpuid *)buf)->nent = chance(r, 80) ? below(r, 20) : interesting(r);
		((struct vhv_cpuid *)buf)->entries = chance(r, 90) ?
			(uint64_t)(uintptr_t)ents : (uint64_t)(uintptr_t)bad_pointer(r);
		if (cmd == VHV_GET_MSRS || cmd == VHV_SET_MSRS) {
			struct vhv_msr_entry *m = (void *)ents;
			static const uint32_t idx[] = {
				0x10, 0x1b, 0x3a, 0x48, 0x6e0, 0x174, 0x175, 0x176, 0x277,
				0x2ff, 0x200, 0x20f, 0x250, 0x8b, 0xc0000080, 0xc0000081,
				0xc0000082, 0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103,
				0x4b564d01, 0x830, 0x808, 0x80b, 0x838, 0x1a0, 0x179, 0x17a,
			};
			unsigned int i;

			for (i = 0; i < 20; i++) {
				m[i].index = chance(r, 85) ? idx[below(r, sizeof(idx) / 4)] : next(r);
				if (chance(r, 90))
					m[i].reserved = 0;
				/*
				 * See keep_out_qemu_lme(): the vCPU's CR0 is not
				 * known here (a GET first would race with other
				 * threads' SET_SREGS), so no EFER write sets LME.
				 */
				if (under_qemu_tcg && m[i].index == 0xc0000080)
					m[i].data &= ~EFER_LME;
			}
		}
		break;
	case VHV_IRQFD:
		((struct vhv_irqfd *)buf)->fd = some_eventfd(r);
		((struct vhv_irqfd *)buf)->resamplefd = some_eventfd(r);
		if (chance(r, 70))
			((struct vhv_irqfd *)buf)->gsi = below(r, 26);
		break;
	case VHV_IOEVENTFD:
		((struct vhv_ioeventfd *)buf)->fd = some_eventfd(r);
		if (chance(r, 70))
			((struct vhv_ioeventfd *)buf)->len = 1u << below(r, 4);
		break;
	}
	if (_IOC_DIR(cmd) == _IOC_NONE)
		arg = chance(r, 60) ? below(r, 8) : interesting(r);
	else if (chance(r, 5))
		arg = (unsigned long)bad_pointer(r);
	else
		arg = (unsigned long)buf;
	if (cmd == VHV_RUN)
		return;		/* runs go through run_vcpu() */
	if (cmd == VHV_CREATE_VM || cmd == VHV_CREATE_VCPU) {
		int fd = ioctl(o->fd, cmd, arg);

		if (fd >= 0) {
			if (cmd == VHV_CREATE_VM)
				pool_add(K_VM, fd, NULL, 0);
			else
				close(fd);	/* vCPUs with run areas come from add_vcpu() */
		}
	} else {
		ioctl(o->fd, cmd, arg);
	}
	calls += o->kind != K_EVENTFD;	/* an eventfd's ioctl is not vhv's */
}

/* ---- objects ------------------------------------------------------------- */

static void add_vm(struct rng *r)
{
	struct obj *sys = pool_get(r, K_SYS);
	struct vhv_memory_slot s = {
		.slot = 0, .size = REGION_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)region[0],
	};
	int fd;

	if (!sys)
		return;
	fd = ioctl(sys->fd, VHV_CREATE_VM, 0);
	calls++;
	pool_put(sys);
	if (fd < 0)
		return;
	/* Most VMs get the code region at 0 and an irqchip, as VMMs do. */
	if (chance(r, 80)) {
		ioctl(fd, VHV_SET_MEMORY_SLOT, &s);
		calls++;
	}
	if (chance(r, 60)) {
		ioctl(fd, VHV_CREATE_IRQCHIP, 0);
		calls++;
	}
	pool_add(K_VM, fd, NULL, 0);
}

static void add_vcpu(struct rng *r)
{
	struct obj *vm = pool_get(r, K_VM);
	struct vhv_run *run;
	int fd;

	if (!vm)
		return;
	fd = ioctl(vm->fd, VHV_CREATE_VCPU, below(r, 6));
	calls++;
	pool_put(vm);
	if (fd < 0)
		return;
	run = mmap(NULL, run_area_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	calls++;
	pool_add(K_VCPU, fd, run == MAP_FAILED ? NULL : run, run_area_size);
}

/*
 * Region 1 changes under whatever slots point at it: fresh memory, no
 * access at all (as good as unmapped to the kernel), read-only, or its
 * pages dropped.  Always by MAP_FIXED over the same range, never munmap:
 * another thread's mmap could land in the hole and be replaced next.
 */
static void remap_region(struct rng *r)
{
	pthread_mutex_lock(&region_lock);
	switch (below(r, 4)) {
	case 0:
		mmap(region[1], REGION_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		break;
	case 1:
		mmap(region[1], REGION_SIZE, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		break;
	case 2:
		mprotect(region[1], REGION_SIZE, PROT_READ);
		break;
	default:
		madvise(region[1], REGION_SIZE, MADV_DONTNEED);
		break;
	}
	pthread_mutex_unlock(&region_lock);
}

/* ---- guest runs ------------------------------------------------------------ */

/*
 * Region 0 at guest-physical 0: page tables for long mode at 0x1000 (the
 * first 2 MiB identity-mapped), random code from CODE_START on.
 */
#define PT_PML4		0x1000
#define CODE_START	0x10000

static void build_page_tables(void)
{
	uint64_t e;

	e = (PT_PML4 + 0x1000) | 3;		/* PML4[0] -> PDPT, P|RW */
	memcpy(region[0] + PT_PML4, &e, 8);
	e = (PT_PML4 + 0x2000) | 3;		/* PDPT[0] -> PD */
	memcpy(region[0] + PT_PML4 + 0x1000, &e, 8);
	e = 0x83;				/* PD[0]: 2 MiB at 0, P|RW|PS */
	memcpy(region[0] + PT_PML4 + 0x2000, &e, 8);
}

/* Real mode, flat protected mode or long mode, sometimes then perturbed. */
static void set_mode(struct rng *r, int fd)
{
	struct vhv_sregs s;
	struct vhv_regs g;
	unsigned int mode = below(r, 5);

	calls++;
	if (ioctl(fd, VHV_GET_SREGS, &s))
		return;
	calls++;
	if (ioctl(fd, VHV_GET_REGS, &g))
		return;
	s.cs.selector = 0;
	s.cs.base = 0;
	s.cs.limit = 0xffff;
	if (mode >= 1) {	/* flat protected mode, paging off */
		s.cr0 |= 1;
		s.cs.type = 11;
		s.cs.s = 1;
		s.cs.present = 1;
		s.cs.db = 1;
		s.cs.g = 1;
		s.cs.limit = 0xffffffff;
		s.ds = s.es = s.ss = s.cs;
		s.ds.type = s.es.type = s.ss.type = 3;
	}
	if (mode == 2 || mode == 3) {	/* long mode over the tables above */
		build_page_tables();	/* guests write over them too */
		s.cr0 |= 0x80000001;
		s.cr3 = PT_PML4;
		s.cr4 |= 0x20;		/* PAE */
		s.efer |= 0x500;	/* LME, LMA */
		s.cs.l = 1;
		s.cs.db = 0;
	}
	if (mode >= 3)		/* and then whatever bits the input says */
		fill(r, &s, sizeof(s));
	keep_out_qemu_lme(&s);
	ioctl(fd, VHV_SET_SREGS, &s);
	memset(&g, 0, sizeof(g));
	g.rip = CODE_START + below(r, REGION_SIZE - CODE_START - 16);
	g.rsp = CODE_START + below(r, REGION_SIZE - CODE_START);
	g.rflags = 2 | (chance(r, 50) ? 0x200 : 0);
	ioctl(fd, VHV_SET_REGS, &g);
	calls += 2;
}

/* Random bytes where the vCPUs run (region 0 is never unmapped). */
static void scribble(struct rng *r)
{
	uint64_t off = CODE_START + below(r, REGION_SIZE - CODE_START - 256), i;

	for (i = 0; i < 256; i += 8) {
		uint64_t v = next(r);

		memcpy(region[0] + off + i, &v, 8);
	}
}

static void run_vcpu(struct rng *r, timer_t timer)
{
	struct obj *o = pool_get(r, K_VCPU);
	/*
	 * Periodic: a signal that lands before VHV_RUN is entered (this thread
	 * preempted in between) must not leave a halted vCPU's run to wait
	 * for an interrupt nobody sends.
	 */
	struct itimerspec its = {
		.it_value.tv_nsec = 300000 + below(r, 1000000),
		.it_interval.tv_nsec = 1000000,
	};
	unsigned int n;

	if (!o)
		return;
	if (chance(r, 60))
		set_mode(r, o->fd);
	scribble(r);
	for (n = 0; n < 8; n++) {
		if (o->run)
			o->run->immediate_exit = chance(r, 3);
		if (!n)		/* bounds a run that never exits */
			timer_settime(timer, 0, &its, NULL);
		calls++;
		if (ioctl(o->fd, VHV_RUN, 0))
			break;
		runs++;
		exits_seen++;
		if (!o->run)
			continue;
		/* Random answers to whatever the guest asked. */
		switch (o->run->exit_reason) {
		case VHV_EXIT_IO:
			if (o->run->io.direction == VHV_IO_IN &&
			    o->run->io.data_offset + (uint64_t)o->run->io.size * o->run->io.count <=
			    o->run_size)
				fill(r, (uint8_t *)o->run + o->run->io.data_offset,
				     (size_t)o->run->io.size * o->run->io.count);
			break;
		case VHV_EXIT_MMIO:
			fill(r, o->run->mmio.data, sizeof(o->run->mmio.data));
			break;
		}
		if (chance(r, 10))
			random_ioctl(r, o);	/* between exits, on the same vCPU */
	}
	its = (struct itimerspec){ 0 };
	timer_settime(timer, 0, &its, NULL);
	pool_put(o);
}

/* ---- workers ----------------------------------------------------------------- */

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * A forked child: other threads may have held the pool's lock at the fork,
 * so it takes none.  It calls ioctls on the descriptors it inherited (VMs
 * and vCPUs of another mm) with zeroed and random arguments, then exits.
 */
static void child(struct rng *r, const int *fds, unsigned int n)
{
	uint8_t buf[4096] __attribute__((aligned(8)));
	unsigned int i;
	unsigned long cmd;

	for (i = 0; i < 4 * n; i++) {
		cmd = all_ioctls[below(r, NR_IOCTLS)];
		memset(buf, 0, sizeof(buf));
		/* Not the calls whose argument holds a pointer the kernel follows. */
		if (chance(r, 50) && (_IOC_DIR(cmd) & _IOC_WRITE) &&
		    cmd != VHV_SET_CPUID && cmd != VHV_GET_CPUID &&
		    cmd != VHV_SET_MSRS && cmd != VHV_GET_MSRS)
			fill(r, buf, _IOC_SIZE(cmd) < sizeof(buf) ? _IOC_SIZE(cmd) : sizeof(buf));
		ioctl(fds[below(r, n)], cmd, _IOC_DIR(cmd) == _IOC_NONE ? below(r, 4) :
					      (unsigned long)buf);
	}
	_exit(0);
}

static void fork_child(struct rng *r)
{
	int fds[8], status;
	unsigned int n = 0, i;
	pid_t pid;

	pthread_mutex_lock(&pool_lock);
	for (i = 0; i < POOL && n < 8; i++)
		if (pool[i].kind == K_VM || pool[i].kind == K_VCPU)
			fds[n++] = pool[i].fd;
	/* The numbers stay ours until the fork: no close runs meanwhile. */
	pid = n ? fork() : -1;
	pthread_mutex_unlock(&pool_lock);
	if (pid == 0)
		child(r, fds, n);
	if (pid > 0) {
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
		forks++;
	}
}

static void *worker(void *p)
{
	struct rng r = { *(uint64_t *)p };
	struct sigevent sev = {
		.sigev_notify = SIGEV_THREAD_ID,
		.sigev_signo = SIGUSR1,
		._sigev_un._tid = syscall(SYS_gettid),
	};
	uint64_t *cover = kcov_start();
	timer_t timer;
	struct obj *o;
	int fd;

	if (timer_create(CLOCK_MONOTONIC, &sev, &timer))
		tap_bail(__FILE__, __LINE__, "timer_create: %s", strerror(errno));
	while (!stop) {
		uint64_t t0 = now_ns();
		unsigned int dice = below(&r, 100);
		enum step step;

		/*
		 * Most steps are single ioctls, the cheap calls; guest runs
		 * and new VMs, which cost the most, come often enough for
		 * hundreds a second.
		 */
		step = dice < 2 ? S_OPEN : dice < 4 ? S_VM : dice < 8 ? S_VCPU :
		       dice < 10 ? S_EVENTFD : dice < 18 ? S_CLOSE : dice < 20 ? S_REMAP :
		       dice < 21 ? S_FORK : dice < 26 ? S_RUN : S_IOCTL;
		if (skip_steps & (1u << step))
			step = S_IOCTL;
		switch (step) {
		case S_OPEN:
			fd = open("/dev/vhv", O_RDWR | O_CLOEXEC);
			if (fd >= 0) {
				calls++;	/* vhv's open ran */
				pool_add(K_SYS, fd, NULL, 0);
			}
			break;
		case S_VM:
			add_vm(&r);
			break;
		case S_VCPU:
			add_vcpu(&r);
			break;
		case S_EVENTFD:
			fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
			if (fd >= 0)
				pool_add(K_EVENTFD, fd, NULL, 0);
			break;
		case S_CLOSE:	/* anything, in any order */
			o = pool_get(&r, K_FREE);
			if (o)
				pool_close(o);
			break;
		case S_REMAP:
			remap_region(&r);
			break;
		case S_FORK:
			if (chance(&r, 15))
				fork_child(&r);
			break;
		case S_RUN:
			run_vcpu(&r, timer);
			break;
		default:
			o = pool_get(&r, K_FREE);
			if (o) {
				random_ioctl(&r, o);
				pool_put(o);
			}
			break;
		}
		step_ns[step] += now_ns() - t0;
		step_count[step]++;
		if (cover)
			kcov_collect(cover);
	}
	timer_delete(timer);
	return NULL;
}

/* ---- the kernel's log ---------------------------------------------------------- */

static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Reports each new log record that is a kernel bug report; returns how many. */
static unsigned int kmsg_reports(int fd)
{
	static const char *const bad[] = {
		"WARNING:", "BUG:", "Oops", "general protection", "KASAN", "UBSAN",
		"possible circular locking", "lockdep", "soft lockup", "hung task",
		"rcu_sched self-detected", "RCU stall", "detected stalls", "kernel NULL pointer",
		"list_add corruption", "list_del corruption",
	};
	char rec[2048];
	unsigned int n = 0, i;
	ssize_t len;

	while ((len = read(fd, rec, sizeof(rec) - 1)) != 0) {
		if (len < 0) {
			if (errno == EPIPE)
				continue;	/* overwritten records: go on */
			if (errno != EAGAIN) {
				tap_diag("reading /dev/kmsg: %s", strerror(errno));
				n++;
			}
			break;
		}
		rec[len] = 0;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			if (strstr(rec, bad[i])) {
				if (n++ < 20)
					tap_diag("kernel: %s", strchr(rec, ';') ? strchr(rec, ';') + 1 : rec);
				break;
			}
		}
	}
	return n;
}

/* ABI_FUZZ_SKIP=run,fork narrows a finding down to the steps it needs. */
static int parse_skip(const char *list)
{
	char buf[128], *name, *save;
	unsigned int i;

	if (!list || !*list)
		return 0;
	if (strlen(list) >= sizeof(buf)) {
		fprintf(stderr, "abi_fuzz: ABI_FUZZ_SKIP: longer than %zu characters\n",
			sizeof(buf) - 1);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", list);
	for (name = strtok_r(buf, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NR_STEPS && strcmp(name, step_name[i]); i++)
			;
		if (i == NR_STEPS || i == S_IOCTL) {
			fprintf(stderr, "abi_fuzz: ABI_FUZZ_SKIP: '%s' is not a step that can be left out "
				"(open, vm, vcpu, eventfd, close, remap, fork, run)\n", name);
			return -1;
		}
		skip_steps |= 1u << i;
	}
	skip_list[0] = 0;
	for (i = 0; i < NR_STEPS; i++)
		if (skip_steps & (1u << i))
			snprintf(skip_list + strlen(skip_list), sizeof(skip_list) - strlen(skip_list),
				 "%s%s", *skip_list ? "," : "", step_name[i]);
	/* Steps left out become single ioctls: calls/s is not the full mix's. */
	printf("# leaving out (ABI_FUZZ_SKIP): %s; single ioctls instead\n", skip_list);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int secs = argc > 1 ? atoi(argv[1]) : 30;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : (uint64_t)time(NULL);
	unsigned int nthreads = argc > 3 ? atoi(argv[3]) : 4, i;
	uint64_t seeds[MAX_THREADS];
	pthread_t th[MAX_THREADS];
	struct sigaction sa = { .sa_handler = on_alarm };
	long vms0, vcpus0, slots0, pages0, vms, vcpus, slots, pages;
	struct timespec t0, t1;
	double elapsed;
	unsigned long total_calls;
	int sys, kmsg, tries;
	unsigned int reports;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (nthreads < 1 || nthreads > MAX_THREADS)
		nthreads = 4;
	if (parse_skip(getenv("ABI_FUZZ_SKIP")))
		return 2;
	printf("# abi_fuzz: seed %#llx, %u s, %u threads (repeat: %s%s%sabi_fuzz %u %#llx %u)\n",
	       (unsigned long long)seed, secs, nthreads, *skip_list ? "ABI_FUZZ_SKIP=" : "",
	       skip_list, *skip_list ? " " : "", secs, (unsigned long long)seed, nthreads);
	if (!vhv_can_run("the ABI fuzzer"))
		return tap_done();
	under_qemu_tcg = getenv("VHV_NESTED_BACKEND") &&
			 !strcmp(getenv("VHV_NESTED_BACKEND"), "tcg");
	if (under_qemu_tcg)
		printf("# left out under QEMU's TCG: vCPU states with EFER.LME set and CR0.PG, "
		       "CR4.PAE clear, and LME in EFER writes through VHV_SET_MSRS (QEMU 7.2's "
		       "SVM model leaves L1 in the guest's CR0 at their exit, as kvm_amd in the "
		       "same L1 shows)\n");
	sigaction(SIGUSR1, &sa, NULL);	/* no SA_RESTART: VHV_RUN returns EINTR */
	kcov_probe();
	signal(SIGPIPE, SIG_IGN);

	sys = vhv_open();
	run_area_size = ioctl(sys, VHV_GET_VCPU_MMAP_SIZE, 0);
	TEST_REQUIRE(run_area_size > 0, "VHV_GET_VCPU_MMAP_SIZE");
	close(sys);
	for (i = 0; i < NR_REGIONS; i++) {
		int prot = i == 2 ? PROT_READ : PROT_READ | PROT_WRITE;
		int flags = i == 3 ? MAP_SHARED : MAP_PRIVATE;
		int fd = -1;

		if (i == 3) {
			memfd = memfd_create("abi_fuzz", MFD_CLOEXEC);
			TEST_REQUIRE(memfd >= 0 && !ftruncate(memfd, REGION_SIZE), "memfd");
			fd = memfd;
		} else if (i == 4) {
			char path[] = "/tmp/abi_fuzz.XXXXXX";

			fd = mkstemp(path);
			TEST_REQUIRE(fd >= 0 && !ftruncate(fd, REGION_SIZE), "scratch file");
			unlink(path);
		}
		region[i] = mmap(NULL, REGION_SIZE, prot,
				 flags | (fd < 0 ? MAP_ANONYMOUS : 0), fd, 0);
		TEST_REQUIRE(region[i] != MAP_FAILED, "mmap region %u", i);
	}

	build_page_tables();
	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	TEST_REQUIRE(unmapped != MAP_FAILED, "mmap");

	vms0 = vhv_stat("vms");
	vcpus0 = vhv_stat("vcpus");
	slots0 = vhv_stat("memslots");
	pages0 = vhv_stat("pages");
	kmsg = kmsg_open();
	TEST_REQUIRE(kmsg >= 0, "/dev/kmsg: %s (the kernel's reports are the point)", strerror(errno));
	sys = open("/dev/vhv", O_RDWR | O_CLOEXEC);
	pool_add(K_SYS, sys, NULL, 0);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nthreads; i++) {
		seeds[i] = seed + i * 0x1000193ull;
		pthread_create(&th[i], NULL, worker, &seeds[i]);
	}
	{
		/* Coverage by quarters of the run: still growing at the end? */
		unsigned int q, pcs[4];

		for (q = 0; q < 4; q++) {
			struct timespec quarter = { secs / 4, (secs % 4) * 250000000l };

			while (nanosleep(&quarter, &quarter) && errno == EINTR)
				;
			pcs[q] = kcov_pcs();
		}
		stop = true;
		if (pc_set)
			tap_diag("kcov: %u, %u, %u, %u distinct vhv.ko PCs reached from the workers' calls after each quarter of the run (not counted: its timers' and work items')",
				 pcs[0], pcs[1], pcs[2], pcs[3]);
		else
			tap_diag("kcov: no coverage counted (%s)", kcov_missing);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	elapsed = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	total_calls = calls;	/* not the closes below */

	for (i = 0; i < POOL; i++)
		if (pool[i].kind != K_FREE)
			really_close(&pool[i]);
	/* Releases may finish after close returns (an RCU grace period). */
	for (tries = 0; tries < 50; tries++) {
		vms = vhv_stat("vms");
		vcpus = vhv_stat("vcpus");
		slots = vhv_stat("memslots");
		pages = vhv_stat("pages");
		if (vms == vms0 && vcpus == vcpus0 && slots == slots0 && pages == pages0)
			break;
		usleep(100000);
	}
	tap_result(true, "%lu calls (%.0f/s), %lu guest runs, %lu forks in %.1f s, seed %#llx%s%s",
		   (unsigned long)total_calls, total_calls / elapsed, (unsigned long)runs,
		   (unsigned long)forks, elapsed, (unsigned long long)seed,
		   *skip_list ? ", leaving out " : "", skip_list);
	tap_result(vms == vms0 && vcpus == vcpus0 && slots == slots0 && pages == pages0,
		   "every object released: vms %ld, vcpus %ld, slots %ld, pages %ld (before: %ld %ld %ld %ld)",
		   vms, vcpus, slots, pages, vms0, vcpus0, slots0, pages0);
	{
		char line[512];
		uint64_t total = 0;
		int n = 0;

		for (i = 0; i < NR_STEPS; i++)
			total += step_ns[i];
		for (i = 0; i < NR_STEPS && total; i++)
			n += snprintf(line + n, sizeof(line) - n, "%s %s %.0f%% (%lu, %.0f us)",
				      i ? "," : "", step_name[i], 100.0 * step_ns[i] / total,
				      (unsigned long)step_count[i],
				      step_count[i] ? step_ns[i] / 1e3 / step_count[i] : 0.0);
		tap_diag("workers' time by step:%s", line);
	}
	reports = kmsg_reports(kmsg);
	tap_result(!reports, "no warning, oops or sanitizer report in the kernel log (%u)", reports);
	return tap_done();
}
