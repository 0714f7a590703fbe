/* SPDX-License-Identifier: GPL-2.0 */
/*
 * virtio-blk (virtio 1.2, 5.2) on a raw image file: requests are parsed on
 * the vCPU thread that kicks the queue and submitted to io_uring; their
 * completions are read on the VM's I/O thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "devices/virtio.h"

#define VIRTIO_BLK_F_SEG_MAX		2
#define VIRTIO_BLK_F_RO			5
#define VIRTIO_BLK_F_BLK_SIZE		6
#define VIRTIO_BLK_F_FLUSH		9
#define VIRTIO_BLK_F_DISCARD		13
#define VIRTIO_BLK_F_WRITE_ZEROES	14

#define VIRTIO_BLK_T_IN			0
#define VIRTIO_BLK_T_OUT		1
#define VIRTIO_BLK_T_FLUSH		4
#define VIRTIO_BLK_T_GET_ID		8
#define VIRTIO_BLK_T_DISCARD		11
#define VIRTIO_BLK_T_WRITE_ZEROES	13

#define VIRTIO_BLK_S_OK			0
#define VIRTIO_BLK_S_IOERR		1
#define VIRTIO_BLK_S_UNSUPP		2

#define VIRTIO_BLK_WZ_FLAG_UNMAP	1

/* Config space (5.2.4), the fields offered. */
#define BLK_CFG_CAPACITY		0x00
#define BLK_CFG_SEG_MAX			0x0c
#define BLK_CFG_BLK_SIZE		0x14
#define BLK_CFG_MAX_DISCARD_SECTORS	0x24
#define BLK_CFG_MAX_DISCARD_SEG		0x28
#define BLK_CFG_DISCARD_ALIGN		0x2c
#define BLK_CFG_MAX_WZ_SECTORS		0x30
#define BLK_CFG_MAX_WZ_SEG		0x34
#define BLK_CFG_SIZE			0x3c

#define BLK_SECTOR			512
#define BLK_HDR_SIZE			16	/* type, reserved, sector */
#define BLK_RANGE_SIZE			16	/* sector, num_sectors, flags */
#define BLK_ID_BYTES			20
#define BLK_QUEUE_SIZE			256
#define BLK_SEG_MAX			254	/* data buffers per request (queue size - 2) */
#define BLK_MAX_IOV			(BLK_SEG_MAX + 2)
#define BLK_MAX_RANGE_SECTORS		(1u << 22)	/* 2 GiB */
#define BLK_RING_FILE			0	/* the image, registered */
/*
 * How long a reset or the VM's teardown waits for requests in flight
 * (and, at teardown, the final flush) before it gives up on storage that
 * does not answer.
 */
#define BLK_DRAIN_TIMEOUT_MS		3000

struct virtio_blk;

struct blk_req {
	struct blk_req *next;		/* free list */
	struct blk_req *all_next;	/* every request allocated */
	struct virtq_chain chain;
	struct iovec iov[BLK_MAX_IOV];
	uint8_t *status;		/* last byte of the chain */
	uint32_t type;
	unsigned int data_iov, nr_data;	/* the data buffers in iov[] */
	uint64_t data_len;
	uint64_t offset, len;		/* discard / write zeroes, bytes */
	int falloc_mode;
};

struct virtio_blk {
	struct virtio_device vdev;
	pthread_mutex_t lock;		/* everything below */
	int fd;
	bool read_only;
	bool zero_range_unsupported;	/* the file system said so once */
	bool failed;			/* io_uring broke: the VM is stopping */
	uint64_t capacity;		/* sectors */
	char serial[BLK_ID_BYTES];
	struct io_uring ring;
	int efd;			/* completions, on the I/O thread */
	unsigned int inflight;		/* SQEs submitted or queued */
	unsigned int held;		/* requests popped and not yet pushed */
	unsigned int queued;		/* SQEs not yet submitted */
	int sync_res;			/* the teardown's flush */
	struct blk_req *free_reqs;
	struct blk_req *all_reqs;	/* freed at the end, even abandoned ones */

	/* In blk_open_list while the image is open (blk_open_lock). */
	struct virtio_blk *open_next;
	bool listed;
	struct vmm_vm *open_vm;
	dev_t id_dev;			/* st_rdev for a block device, */
	ino_t id_ino;			/* else st_dev and st_ino */
	char path[128];			/* for messages, maybe cut short */
};

/*
 * Every image open in this process, whatever its VM: the image lock
 * (flock) cannot tell a second VMM from the same file given twice here,
 * which deserves its own message.
 */
static pthread_mutex_t blk_open_lock = PTHREAD_MUTEX_INITIALIZER;
static struct virtio_blk *blk_open_list;

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get64(const uint8_t *p)
{
	return get32(p) | (uint64_t)get32(p + 4) << 32;
}

static struct virtio_blk *to_blk(struct virtio_device *vdev)
{
	return (struct virtio_blk *)((char *)vdev -
				     offsetof(struct virtio_blk, vdev));
}

/* ---- config space -------------------------------------------------------- */

static void blk_config_read(struct virtio_device *vdev, uint32_t offset,
			    void *data, uint32_t size)
{
	struct virtio_blk *blk = to_blk(vdev);
	uint8_t cfg[BLK_CFG_SIZE] = { 0 };

	put32(cfg + BLK_CFG_CAPACITY, blk->capacity);
	put32(cfg + BLK_CFG_CAPACITY + 4, blk->capacity >> 32);
	put32(cfg + BLK_CFG_SEG_MAX, BLK_SEG_MAX);
	put32(cfg + BLK_CFG_BLK_SIZE, BLK_SECTOR);
	put32(cfg + BLK_CFG_MAX_DISCARD_SECTORS, BLK_MAX_RANGE_SECTORS);
	put32(cfg + BLK_CFG_MAX_DISCARD_SEG, 1);
	put32(cfg + BLK_CFG_DISCARD_ALIGN, 1);
	put32(cfg + BLK_CFG_MAX_WZ_SECTORS, BLK_MAX_RANGE_SECTORS);
	put32(cfg + BLK_CFG_MAX_WZ_SEG, 1);
	memcpy(data, cfg + offset, size);
}

/* ---- requests ------------------------------------------------------------- */

static struct blk_req *blk_req_get(struct virtio_blk *blk)
{
	struct blk_req *req = blk->free_reqs;

	if (req) {
		blk->free_reqs = req->next;
		return req;
	}
	req = malloc(sizeof(*req));
	if (req) {
		req->all_next = blk->all_reqs;
		blk->all_reqs = req;
	}
	return req;
}

static void blk_req_put(struct virtio_blk *blk, struct blk_req *req)
{
	req->next = blk->free_reqs;
	blk->free_reqs = req;
}

/* Hands the chain back with its status byte (no byte for status < 0). */
static void blk_finish(struct virtio_blk *blk, struct blk_req *req,
		       int status, uint32_t used)
{
	if (status >= 0)
		*req->status = status;
	virtq_push(&blk->vdev.vqs[0], req->chain.head, used);
	blk->held--;
	blk_req_put(blk, req);
}

/* A byte range [sector, + bytes) inside the image? */
static bool blk_in_range(const struct virtio_blk *blk, uint64_t sector,
			 uint64_t bytes)
{
	return sector <= blk->capacity &&
	       bytes / BLK_SECTOR <= blk->capacity - sector;
}

static struct io_uring_sqe *blk_sqe(struct virtio_blk *blk,
				    struct blk_req *req)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&blk->ring);

	if (!sqe && io_uring_submit(&blk->ring) >= 0) {
		blk->queued = 0;
		sqe = io_uring_get_sqe(&blk->ring);
	}
	if (sqe) {
		io_uring_sqe_set_data(sqe, req);
		blk->queued++;
		blk->inflight++;
	}
	return sqe;
}

static int blk_submit_falloc(struct virtio_blk *blk, struct blk_req *req)
{
	struct io_uring_sqe *sqe = blk_sqe(blk, req);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_fallocate(sqe, BLK_RING_FILE, req->falloc_mode,
				req->offset, req->len);
	io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
	return 0;
}

/* Discard and write zeroes: one range (max_*_seg is 1). */
static int blk_parse_range(struct virtio_blk *blk, struct blk_req *req)
{
	const struct virtq_chain *c = &req->chain;
	uint8_t range[BLK_RANGE_SIZE];
	uint64_t sector;
	uint32_t nr, flags;
	bool discard = req->type == VIRTIO_BLK_T_DISCARD;

	if (!virtio_has_feature(&blk->vdev, discard ? VIRTIO_BLK_F_DISCARD :
				VIRTIO_BLK_F_WRITE_ZEROES))
		return VIRTIO_BLK_S_UNSUPP;
	if (blk->read_only)
		return VIRTIO_BLK_S_IOERR;
	if (c->readable_len != BLK_HDR_SIZE + BLK_RANGE_SIZE)
		return VIRTIO_BLK_S_IOERR;
	virtio_iov_to_buf(c->iov, c->nr_readable, BLK_HDR_SIZE, range,
			  sizeof(range));
	sector = get64(range);
	nr = get32(range + 8);
	flags = get32(range + 12);
	/* 5.2.6.2: unmap is only defined for write zeroes. */
	if (flags & ~VIRTIO_BLK_WZ_FLAG_UNMAP || (discard && flags))
		return VIRTIO_BLK_S_UNSUPP;
	if (nr > BLK_MAX_RANGE_SECTORS ||
	    !blk_in_range(blk, sector, (uint64_t)nr * BLK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	if (!nr)
		return VIRTIO_BLK_S_OK;
	req->offset = sector * BLK_SECTOR;
	req->len = (uint64_t)nr * BLK_SECTOR;
	req->falloc_mode = FALLOC_FL_KEEP_SIZE |
		(discard || blk->zero_range_unsupported ?
		 FALLOC_FL_PUNCH_HOLE : FALLOC_FL_ZERO_RANGE);
	return blk_submit_falloc(blk, req) ? VIRTIO_BLK_S_IOERR : -1;
}

/*
 * Starts a popped request.  Returns a status when it is already complete
 * (*used set), or -1 when it went to io_uring.
 */
static int blk_start(struct virtio_blk *blk, struct blk_req *req,
		     uint32_t *used)
{
	struct virtq_chain *c = &req->chain;
	unsigned int n = c->nr_readable + c->nr_writable;
	struct io_uring_sqe *sqe;
	uint8_t hdr[BLK_HDR_SIZE];
	uint64_t sector;
	size_t id_len;

	*used = 1;
	req->type = ~0u;
	if (c->readable_len < BLK_HDR_SIZE)
		return VIRTIO_BLK_S_IOERR;
	virtio_iov_to_buf(c->iov, c->nr_readable, 0, hdr, sizeof(hdr));
	req->type = get32(hdr);
	sector = get64(hdr + 8);

	switch (req->type) {
	case VIRTIO_BLK_T_IN:
		/* Data: the writable buffers but the status byte. */
		req->data_len = c->writable_len - 1;
		req->data_iov = c->nr_readable;
		req->nr_data = n;
		c->iov[n - 1].iov_len--;
		if (!c->iov[n - 1].iov_len)
			req->nr_data--;
		req->nr_data -= req->data_iov;
		break;
	case VIRTIO_BLK_T_OUT:
		if (blk->read_only)
			return VIRTIO_BLK_S_IOERR;
		/* Data: the readable buffers after the header. */
		req->data_len = c->readable_len - BLK_HDR_SIZE;
		req->data_iov = virtio_iov_skip(c->iov, 0, c->nr_readable,
					 BLK_HDR_SIZE);
		req->nr_data = c->nr_readable - req->data_iov;
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (blk->read_only)
			return VIRTIO_BLK_S_OK;
		sqe = blk_sqe(blk, req);
		if (!sqe)
			return VIRTIO_BLK_S_IOERR;
		io_uring_prep_fsync(sqe, BLK_RING_FILE, IORING_FSYNC_DATASYNC);
		io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
		return -1;
	case VIRTIO_BLK_T_GET_ID:
		id_len = c->writable_len - 1 < BLK_ID_BYTES ?
			 c->writable_len - 1 : BLK_ID_BYTES;
		virtio_iov_from_buf(&c->iov[c->nr_readable], c->nr_writable, 0,
				    blk->serial, id_len);
		*used = id_len + 1;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return blk_parse_range(blk, req);
	default:
		return VIRTIO_BLK_S_UNSUPP;
	}

	/* Reads and writes. */
	if (req->data_len % BLK_SECTOR || !blk_in_range(blk, sector, req->data_len))
		return VIRTIO_BLK_S_IOERR;
	if (!req->data_len)
		return VIRTIO_BLK_S_OK;
	sqe = blk_sqe(blk, req);
	if (!sqe)
		return VIRTIO_BLK_S_IOERR;
	if (req->type == VIRTIO_BLK_T_IN)
		io_uring_prep_readv(sqe, BLK_RING_FILE, &c->iov[req->data_iov],
				    req->nr_data, sector * BLK_SECTOR);
	else
		io_uring_prep_writev(sqe, BLK_RING_FILE, &c->iov[req->data_iov],
				     req->nr_data, sector * BLK_SECTOR);
	io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
	return -1;
}

/* blk->lock held.  A host-side failure: the VM cannot go on. */
static void blk_flush_sqes(struct virtio_blk *blk)
{
	int r;

	if (!blk->queued || blk->failed)
		return;
	r = io_uring_submit(&blk->ring);
	if (r < 0) {
		blk->failed = true;
		vmm_vm_fail(blk->vdev.vm, "virtio-blk: io_uring_submit: %s",
			    strerror(-r));
		return;
	}
	blk->queued = 0;
}

/* blk->lock held.  Returns true if the guest has a used buffer to see. */
static bool blk_complete(struct virtio_blk *blk, struct io_uring_cqe *cqe)
{
	struct blk_req *req = io_uring_cqe_get_data(cqe);
	int res = cqe->res, status = VIRTIO_BLK_S_IOERR;
	uint32_t used = 1;

	io_uring_cqe_seen(&blk->ring, cqe);
	blk->inflight--;
	if (!req) {
		/* The teardown's own flush. */
		blk->sync_res = res;
		return false;
	}
	if (blk->failed) {
		/* Given up on (blk_drain): the guest no longer waits for it. */
		blk->held--;
		blk_req_put(blk, req);
		return false;
	}
	switch (req->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		/* A short transfer (the image shrank under us) is an error. */
		if (res >= 0 && (uint64_t)res == req->data_len) {
			status = VIRTIO_BLK_S_OK;
			if (req->type == VIRTIO_BLK_T_IN)
				used = req->data_len + 1;
		}
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (res == -EOPNOTSUPP &&
		    (req->falloc_mode & FALLOC_FL_ZERO_RANGE)) {
			/* Punching a hole reads back as zeroes too. */
			blk->zero_range_unsupported = true;
			req->falloc_mode = FALLOC_FL_KEEP_SIZE |
					   FALLOC_FL_PUNCH_HOLE;
			if (!blk_submit_falloc(blk, req))
				return false;
		}
		status = res ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		break;
	case VIRTIO_BLK_T_DISCARD:
		/* A hint: a file system that cannot punch holes ignores it. */
		status = res && res != -EOPNOTSUPP ? VIRTIO_BLK_S_IOERR :
						     VIRTIO_BLK_S_OK;
		break;
	default:
		status = res ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		break;
	}
	blk_finish(blk, req, status, used);
	return true;
}

/* blk->lock held. */
static bool blk_reap(struct virtio_blk *blk)
{
	struct io_uring_cqe *cqe;
	bool any = false;

	while (io_uring_peek_cqe(&blk->ring, &cqe) == 0)
		any |= blk_complete(blk, cqe);
	blk_flush_sqes(blk);
	return any;
}

static int64_t blk_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * blk->lock held.  Waits for every request in flight until deadline_ms
 * (CLOCK_MONOTONIC); returns how many are still in flight then.  Storage
 * that does not answer must not hang a vCPU (reset) or the VMM's exit.
 */
static unsigned int blk_drain(struct virtio_blk *blk, int64_t deadline_ms)
{
	struct __kernel_timespec ts;
	struct io_uring_cqe *cqe;
	int64_t left;
	int r;

	while (blk->inflight && !blk->failed) {
		blk_flush_sqes(blk);
		left = deadline_ms - blk_now_ms();
		if (left <= 0)
			break;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = left % 1000 * 1000000;
		r = io_uring_wait_cqe_timeout(&blk->ring, &cqe, &ts);
		if (r == -EINTR || r == -ETIME)
			continue;
		if (r < 0) {
			blk->failed = true;
			vmm_vm_fail(blk->vdev.vm, "virtio-blk: io_uring_wait_cqe: %s",
				    strerror(-r));
			break;
		}
		blk_complete(blk, cqe);
	}
	return blk->inflight;
}

static void blk_queue_notify(struct virtio_device *vdev, unsigned int q)
{
	struct virtio_blk *blk = to_blk(vdev);
	struct virtqueue *vq = &vdev->vqs[q];
	bool completed = false;
	struct blk_req *req;
	struct iovec *last;
	uint32_t used;
	int r, status;

	pthread_mutex_lock(&blk->lock);
	/*
	 * Requests the host serves at once (the page cache, a tmpfs image)
	 * complete in io_uring_submit: reap them here, so the guest sees them
	 * on its way back in, without waking the I/O thread and without an
	 * interrupt for each.  The eventfd is off meanwhile; what completes
	 * later signals it once it is back on.
	 */
	io_uring_cq_eventfd_toggle(&blk->ring, false);
	/*
	 * A driver never has more requests in flight than the queue has
	 * heads (the core refuses a head already in flight), so neither
	 * has the device, and no more requests than that are ever allocated.
	 */
	while (!blk->failed && blk->held < BLK_QUEUE_SIZE &&
	       (req = blk_req_get(blk))) {
		req->chain = (struct virtq_chain){ .iov = req->iov,
						   .max_iov = BLK_MAX_IOV };
		r = virtq_pop(vq, &req->chain);
		if (r == 0 || (r < 0 && r != -E2BIG)) {
			blk_req_put(blk, req);
			break;
		}
		blk->held++;
		completed = true;
		if (r == -E2BIG) {
			/* More buffers than seg_max allows: no status byte. */
			blk_finish(blk, req, -1, 0);
			continue;
		}
		if (!req->chain.writable_len) {
			/* Nowhere to say IOERR: a malformed request. */
			blk_finish(blk, req, -1, 0);
			virtq_fail(vq, "request without a status byte");
			break;
		}
		last = &req->iov[req->chain.nr_readable +
				 req->chain.nr_writable - 1];
		req->status = (uint8_t *)last->iov_base + last->iov_len - 1;
		status = blk_start(blk, req, &used);
		if (status >= 0)
			blk_finish(blk, req, status, used);
	}
	blk_flush_sqes(blk);
	completed |= blk_reap(blk);
	io_uring_cq_eventfd_toggle(&blk->ring, true);
	/* Whatever completed before the eventfd was back on. */
	completed |= blk_reap(blk);
	pthread_mutex_unlock(&blk->lock);
	if (completed)
		virtio_notify_queue(vdev, q);
}

/* The I/O thread: io_uring signalled completions on the eventfd. */
static void blk_io_handler(void *opaque, uint32_t events)
{
	struct virtio_blk *blk = opaque;
	uint64_t n;
	bool any;

	(void)events;
	if (read(blk->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&blk->lock);
	any = blk_reap(blk);
	pthread_mutex_unlock(&blk->lock);
	if (any)
		virtio_notify_queue(&blk->vdev, 0);
}

static void blk_reset(struct virtio_device *vdev)
{
	struct virtio_blk *blk = to_blk(vdev);
	unsigned int left;

	pthread_mutex_lock(&blk->lock);
	left = blk_drain(blk, blk_now_ms() + BLK_DRAIN_TIMEOUT_MS);
	if (left && !blk->failed) {
		/*
		 * The driver may not see these again after a reset, and what
		 * they would write later is no longer its: stop the VM.
		 */
		blk->failed = true;
		vmm_vm_fail(vdev->vm,
			    "disk %s: %u request%s still in flight %d s after a device reset: the storage does not answer",
			    blk->path, left, left == 1 ? "" : "s",
			    BLK_DRAIN_TIMEOUT_MS / 1000);
	}
	pthread_mutex_unlock(&blk->lock);
}

static const struct virtio_device_ops blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.config_size = BLK_CFG_SIZE,
	.config_read = blk_config_read,
	.queue_notify = blk_queue_notify,
	.reset = blk_reset,
};

/* ---- lifetime ------------------------------------------------------------- */

/* A stable id for a path: "vhv-" and 16 hex digits of its FNV-1a hash. */
static void blk_serial_from_path(char *out, const char *path)
{
	uint64_t h = 0xcbf29ce484222325ull;
	char buf[BLK_ID_BYTES + 1];

	for (; *path; path++)
		h = (h ^ (uint8_t)*path) * 0x100000001b3ull;
	snprintf(buf, sizeof(buf), "vhv-%016llx", (unsigned long long)h);
	memcpy(out, buf, BLK_ID_BYTES);
}

static void blk_unlist(struct virtio_blk *blk)
{
	struct virtio_blk **p;

	if (!blk->listed)
		return;
	pthread_mutex_lock(&blk_open_lock);
	for (p = &blk_open_list; *p; p = &(*p)->open_next) {
		if (*p == blk) {
			*p = blk->open_next;
			break;
		}
	}
	pthread_mutex_unlock(&blk_open_lock);
	blk->listed = false;
}

static void blk_free(struct virtio_blk *blk)
{
	struct blk_req *req;

	blk_unlist(blk);
	while ((req = blk->all_reqs)) {
		blk->all_reqs = req->all_next;
		free(req);
	}
	pthread_mutex_destroy(&blk->lock);
	free(blk);
}

/*
 * The ring holds the image as a registered file and lets go of it only
 * when its teardown, asynchronous in the kernel, has run: unlock now, so
 * the image is free to other users once the device is gone.
 */
static void blk_unlock(struct virtio_blk *blk)
{
	flock(blk->fd, LOCK_UN);
}

/*
 * blk->lock held, at teardown.  Waits for the requests in flight, then
 * flushes the image through the ring, all within one bound.  Says on
 * stderr (the VM's error message is read before teardown) what it gave
 * up on.
 */
static void blk_final_drain(struct virtio_blk *blk)
{
	int64_t deadline = blk_now_ms() + BLK_DRAIN_TIMEOUT_MS;
	struct io_uring_sqe *sqe;
	unsigned int left;
	bool synced = blk->read_only;

	left = blk_drain(blk, deadline);
	if (!left && !blk->failed && !blk->read_only) {
		sqe = io_uring_get_sqe(&blk->ring);
		if (sqe) {
			/* Fixed file 0, as the ring's restrictions require. */
			io_uring_prep_fsync(sqe, BLK_RING_FILE, 0);
			io_uring_sqe_set_flags(sqe, IOSQE_FIXED_FILE);
			io_uring_sqe_set_data(sqe, NULL);
			blk->queued++;
			blk->inflight++;
			blk->sync_res = 1;
			if (!blk_drain(blk, deadline))
				synced = blk->sync_res == 0;
		} else {
			blk->sync_res = -EBUSY;	/* no room in the ring */
		}
	}
	left = blk->inflight;
	if (left)
		fprintf(stderr,
			"libvmm: disk %s: %u request%s abandoned after %d s (the storage does not answer); the image was not synced\n",
			blk->path, left, left == 1 ? "" : "s",
			BLK_DRAIN_TIMEOUT_MS / 1000);
	else if (!synced && !blk->failed)
		fprintf(stderr, "libvmm: disk %s: final flush: %s\n", blk->path,
			strerror(-blk->sync_res));
}

static void blk_destroy(void *opaque)
{
	struct virtio_blk *blk = opaque;

	virtio_pci_destroy(&blk->vdev);
	pthread_mutex_lock(&blk->lock);
	blk_final_drain(blk);
	pthread_mutex_unlock(&blk->lock);
	vmm_loop_del(blk->vdev.vm, blk->efd);
	/*
	 * Requests abandoned on storage that does not answer may still write
	 * the image: the lock then stays until the kernel lets go of them
	 * (and of the registered file) rather than invite another writer.
	 */
	if (!blk->inflight)
		blk_unlock(blk);
	io_uring_queue_exit(&blk->ring);
	close(blk->efd);
	close(blk->fd);
	virtio_device_cleanup(&blk->vdev);
	blk_free(blk);
}

/*
 * blk_open_lock held.  The same file (same device and inode, whatever the
 * path) as an image already open, with either of them writable.
 */
static int blk_check_twice(struct vmm_vm *vm, const struct virtio_blk *blk,
			   const struct vmm_disk_config *cfg)
{
	const struct virtio_blk *o;

	for (o = blk_open_list; o; o = o->open_next) {
		if (o->id_dev != blk->id_dev || o->id_ino != blk->id_ino ||
		    (cfg->read_only && o->read_only))
			continue;
		return vmm_set_error(vm, -EBUSY,
				     "disk %s: same file as disk %s%s (device %u:%u, inode %llu); a writable image can be given only once",
				     cfg->path, o->path,
				     o->open_vm == vm ? "" :
				     " of another VM in this process",
				     major(blk->id_dev), minor(blk->id_dev),
				     (unsigned long long)blk->id_ino);
	}
	return 0;
}

static int blk_open(struct vmm_vm *vm, struct virtio_blk *blk,
		    const struct vmm_disk_config *cfg)
{
	struct stat st;
	off_t size;
	int ret;

	blk->fd = open(cfg->path, (cfg->read_only ? O_RDONLY : O_RDWR) |
		       O_CLOEXEC);
	if (blk->fd < 0)
		return vmm_set_error(vm, -errno, "disk %s: %s", cfg->path,
				     strerror(errno));
	if (fstat(blk->fd, &st)) {
		ret = vmm_set_error(vm, -errno, "disk %s: %s", cfg->path,
				    strerror(errno));
		goto err_close;
	}
	if (S_ISDIR(st.st_mode)) {
		ret = vmm_set_error(vm, -EISDIR, "disk %s: is a directory",
				    cfg->path);
		goto err_close;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		ret = vmm_set_error(vm, -EINVAL,
				    "disk %s: not a file or block device",
				    cfg->path);
		goto err_close;
	}
	size = lseek(blk->fd, 0, SEEK_END);
	if (size < 0) {
		ret = vmm_set_error(vm, -errno, "disk %s: %s", cfg->path,
				    strerror(errno));
		goto err_close;
	}
	if (size % BLK_SECTOR) {
		ret = vmm_set_error(vm, -EINVAL,
				    "disk %s: size %lld is not a multiple of 512",
				    cfg->path, (long long)size);
		goto err_close;
	}
	blk->id_dev = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
	blk->id_ino = S_ISBLK(st.st_mode) ? 0 : st.st_ino;
	snprintf(blk->path, sizeof(blk->path), "%s", cfg->path);
	pthread_mutex_lock(&blk_open_lock);
	ret = blk_check_twice(vm, blk, cfg);
	if (ret)
		goto err_unlock;
	/*
	 * Two VMMs writing one image corrupt it: a writer holds an exclusive
	 * lock, readers share one (released when the fd closes).
	 */
	if (flock(blk->fd, (cfg->read_only ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		ret = errno == EWOULDBLOCK ?
			vmm_set_error(vm, -EBUSY,
				      "disk %s: in use by another process (it holds a lock on it)",
				      cfg->path) :
			vmm_set_error(vm, -errno, "disk %s: lock: %s", cfg->path,
				      strerror(errno));
		goto err_unlock;
	}
	blk->capacity = size / BLK_SECTOR;
	blk->read_only = cfg->read_only;
	blk->open_vm = vm;
	blk->open_next = blk_open_list;
	blk_open_list = blk;
	blk->listed = true;
	pthread_mutex_unlock(&blk_open_lock);
	return 0;

err_unlock:
	pthread_mutex_unlock(&blk_open_lock);
err_close:
	close(blk->fd);
	return ret;
}

/* What the disk submits, each on registered file BLK_RING_FILE only. */
static const uint8_t blk_ring_ops[] = {
	IORING_OP_READV, IORING_OP_WRITEV, IORING_OP_FSYNC,
	IORING_OP_FALLOCATE,
};
#define BLK_RING_NR_OPS	(sizeof(blk_ring_ops) / sizeof(blk_ring_ops[0]))

/*
 * The image's ring, completions signalled on efd.  io_uring is a second
 * system call interface that seccomp never sees: a ring that took any
 * opcode on any descriptor would open files and sockets for a VMM the
 * sandbox confines.  So the ring is created disabled, given the image
 * as its only (registered) file and restricted to the disk's opcodes on
 * registered files, with no registration allowed once enabled; the
 * restrictions cannot be lifted.
 */
int virtio_blk_ring_init(struct io_uring *ring, int fd, int efd)
{
	struct io_uring_restriction res[BLK_RING_NR_OPS + 1];
	unsigned int i;
	int ret;

	memset(res, 0, sizeof(res));
	for (i = 0; i < BLK_RING_NR_OPS; i++) {
		res[i].opcode = IORING_RESTRICTION_SQE_OP;
		res[i].sqe_op = blk_ring_ops[i];
	}
	res[i].opcode = IORING_RESTRICTION_SQE_FLAGS_REQUIRED;
	res[i].sqe_flags = IOSQE_FIXED_FILE;

	ret = io_uring_queue_init(BLK_QUEUE_SIZE, ring, IORING_SETUP_R_DISABLED);
	if (ret)
		return ret;
	ret = io_uring_register_files(ring, &fd, 1);
	if (!ret)
		ret = io_uring_register_eventfd(ring, efd);
	if (!ret)
		ret = io_uring_register_restrictions(ring, res, BLK_RING_NR_OPS + 1);
	if (!ret)
		ret = io_uring_enable_rings(ring);
	if (ret)
		io_uring_queue_exit(ring);
	return ret;
}

int virtio_blk_create(struct vmm_vm *vm, struct pci_bus *bus,
		      const struct vmm_disk_config *cfg)
{
	struct virtio_blk *blk;
	uint64_t features;
	int ret;

	if (!cfg || !cfg->path)
		return vmm_set_error(vm, -EINVAL, "disk: no image path");
	blk = calloc(1, sizeof(*blk));
	if (!blk)
		return vmm_set_error(vm, -ENOMEM, "disk %s: out of memory",
				     cfg->path);
	pthread_mutex_init(&blk->lock, NULL);
	ret = blk_open(vm, blk, cfg);
	if (ret)
		goto err_free;
	if (cfg->serial)
		memcpy(blk->serial, cfg->serial,
		       strnlen(cfg->serial, BLK_ID_BYTES));
	else
		blk_serial_from_path(blk->serial, cfg->path);

	blk->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (blk->efd < 0) {
		ret = vmm_set_error(vm, -errno, "disk %s: eventfd: %s",
				    cfg->path, strerror(errno));
		goto err_close;
	}
	ret = virtio_blk_ring_init(&blk->ring, blk->fd, blk->efd);
	if (ret) {
		ret = vmm_set_error(vm, ret, "disk %s: io_uring: %s", cfg->path,
				    strerror(-ret));
		goto err_efd;
	}

	features = VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
		   VIRTIO_BIT(VIRTIO_F_EVENT_IDX) |
		   VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
		   VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
		   VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
	if (cfg->read_only)
		features |= VIRTIO_BIT(VIRTIO_BLK_F_RO);
	else
		features |= VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) |
			    VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
	ret = virtio_device_init(&blk->vdev, vm, &blk_ops, features, 1,
				 BLK_QUEUE_SIZE);
	if (ret)
		goto err_ring;
	ret = vmm_loop_add(vm, blk->efd, EPOLLIN, blk_io_handler, blk);
	if (ret)
		goto err_vdev;
	ret = virtio_pci_create(vm, bus, &blk->vdev);
	if (ret)
		goto err_loop;
	ret = vmm_device_add(vm, "virtio-blk", blk_destroy, blk);
	if (ret)
		goto err_pci;
	return 0;

err_pci:
	virtio_pci_destroy(&blk->vdev);
err_loop:
	vmm_loop_del(vm, blk->efd);
err_vdev:
	virtio_device_cleanup(&blk->vdev);
err_ring:
	io_uring_queue_exit(&blk->ring);
err_efd:
	close(blk->efd);
err_close:
	blk_unlock(blk);
	close(blk->fd);
err_free:
	blk_free(blk);
	return ret;
}
