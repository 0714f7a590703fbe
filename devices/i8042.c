/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The 8042 keyboard controller with no keyboard and no mouse attached.  The
 * controller itself is complete enough for Linux's i8042 driver to probe it
 * without waiting on time-outs: commands answer at once (IBF is never set),
 * bytes sent to a device that is not there come back as 0xfe with the
 * time-out status bit, as on a real controller with an empty port.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "devices/i8042.h"

/* Status register (read at 0x64). */
#define STR_OBF		0x01	/* output buffer full */
#define STR_IBF		0x02	/* input buffer full: never, writes act at once */
#define STR_SYS		0x04	/* system flag, a copy of CTR_SYS */
#define STR_CMD		0x08	/* the last write went to 0x64 */
#define STR_UNLOCKED	0x10	/* keyboard not inhibited */
#define STR_AUXDATA	0x20	/* the output byte comes from the aux port */
#define STR_TIMEOUT	0x40	/* the device did not answer */

/* Controller command byte (CTR, internal RAM byte 0). */
#define CTR_KBDINT	0x01
#define CTR_AUXINT	0x02
#define CTR_SYS		0x04
#define CTR_KBDDIS	0x10
#define CTR_AUXDIS	0x20
#define CTR_XLATE	0x40
/* What a BIOS leaves: keyboard interrupt on, aux off, translation on. */
#define CTR_BOOT	(CTR_KBDINT | CTR_SYS | CTR_AUXDIS | CTR_XLATE)

/* Output port (commands 0xd0/0xd1). */
#define OUTP_RESET	0x01	/* 0 holds the CPU in reset */
#define OUTP_A20	0x02
#define OUTP_BOOT	(OUTP_RESET | OUTP_A20)

/* Controller commands (written to 0x64). */
#define CMD_READ_RAM	0x20	/* 0x20-0x3f: read RAM byte cmd & 0x1f */
#define CMD_WRITE_RAM	0x60	/* 0x60-0x7f: write it; a data byte follows */
#define CMD_AUX_DISABLE	0xa7
#define CMD_AUX_ENABLE	0xa8
#define CMD_AUX_TEST	0xa9
#define CMD_SELF_TEST	0xaa
#define CMD_KBD_TEST	0xab
#define CMD_KBD_DISABLE	0xad
#define CMD_KBD_ENABLE	0xae
#define CMD_READ_OUTP	0xd0
#define CMD_WRITE_OUTP	0xd1
#define CMD_KBD_LOOP	0xd2	/* next data byte appears as keyboard input */
#define CMD_AUX_LOOP	0xd3	/* next data byte appears as aux input */
#define CMD_AUX_SEND	0xd4	/* next data byte goes to the aux device */
#define CMD_PULSE	0xf0	/* 0xf0-0xff: pulse output bits clear in 3:0 */

#define SELF_TEST_OK	0x55
#define NO_DEVICE	0xfe	/* with STR_TIMEOUT: nothing answered */

#define I8042_RAM_SIZE	32
#define I8042_QUEUE	8

struct i8042_byte {
	uint8_t data;
	uint8_t status;		/* STR_AUXDATA, STR_TIMEOUT */
};

struct i8042 {
	struct vmm_vm *vm;

	pthread_mutex_t lock;	/* guards everything below */
	uint8_t ram[I8042_RAM_SIZE];	/* ram[0] is the CTR */
	uint8_t outp;
	uint8_t wait_cmd;	/* command waiting for its data byte, 0: none */
	bool last_was_cmd;
	uint8_t last_data;	/* what 0x60 reads when the buffer is empty */
	/*
	 * Replies not yet read.  A real 8042 has one output byte; the queue
	 * only keeps replies a guest asks for back to back from overwriting
	 * each other.  A guest that never reads loses the newest.
	 */
	struct i8042_byte q[I8042_QUEUE];
	unsigned int q_head, q_count;
};

/* The interrupt of the byte now at the head of the output buffer. */
static void kbc_irq(struct i8042 *k)
{
	uint8_t ctr = k->ram[0];
	uint32_t gsi;

	if (!k->q_count)
		return;
	if (k->q[k->q_head].status & STR_AUXDATA) {
		if (!(ctr & CTR_AUXINT))
			return;
		gsi = I8042_AUX_IRQ;
	} else {
		if (!(ctr & CTR_KBDINT))
			return;
		gsi = I8042_KBD_IRQ;
	}
	/* ISA interrupts are edges. */
	vmm_irq_set(k->vm, gsi, 1);
	vmm_irq_set(k->vm, gsi, 0);
}

static void kbc_queue(struct i8042 *k, uint8_t data, uint8_t status)
{
	if (k->q_count == I8042_QUEUE)
		return;
	k->q[(k->q_head + k->q_count) % I8042_QUEUE] =
		(struct i8042_byte){ .data = data, .status = status };
	k->q_count++;
	if (k->q_count == 1)
		kbc_irq(k);
}

static void ctr_write(struct i8042 *k, uint8_t v)
{
	uint8_t enabled = v & ~k->ram[0] & (CTR_KBDINT | CTR_AUXINT);

	k->ram[0] = v;
	/* A byte already waiting interrupts once its source is enabled. */
	if (enabled)
		kbc_irq(k);
}

static void kbc_reset(struct i8042 *k)
{
	vmm_vm_request_stop(k->vm, VMM_STOP_RESET, 0);
}

static void kbc_command(struct i8042 *k, uint8_t cmd)
{
	k->wait_cmd = 0;
	if (cmd >= CMD_READ_RAM && cmd < CMD_READ_RAM + I8042_RAM_SIZE) {
		kbc_queue(k, k->ram[cmd & (I8042_RAM_SIZE - 1)], 0);
		return;
	}
	if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + I8042_RAM_SIZE) {
		k->wait_cmd = cmd;
		return;
	}
	if (cmd >= CMD_PULSE) {
		if (!(cmd & OUTP_RESET))
			kbc_reset(k);
		return;
	}
	switch (cmd) {
	case CMD_AUX_DISABLE:
		k->ram[0] |= CTR_AUXDIS;
		break;
	case CMD_AUX_ENABLE:
		k->ram[0] &= ~CTR_AUXDIS;
		break;
	case CMD_KBD_DISABLE:
		k->ram[0] |= CTR_KBDDIS;
		break;
	case CMD_KBD_ENABLE:
		k->ram[0] &= ~CTR_KBDDIS;
		break;
	case CMD_AUX_TEST:
	case CMD_KBD_TEST:
		kbc_queue(k, 0x00, 0);	/* the interface lines are fine */
		break;
	case CMD_SELF_TEST:
		kbc_queue(k, SELF_TEST_OK, 0);
		break;
	case CMD_READ_OUTP:
		kbc_queue(k, k->outp, 0);
		break;
	case CMD_WRITE_OUTP:
	case CMD_KBD_LOOP:
	case CMD_AUX_LOOP:
	case CMD_AUX_SEND:
		k->wait_cmd = cmd;
		break;
	default:
		break;	/* unknown commands are ignored, as by most 8042s */
	}
}

static void kbc_data(struct i8042 *k, uint8_t v)
{
	uint8_t cmd = k->wait_cmd;

	k->wait_cmd = 0;
	if (cmd >= CMD_WRITE_RAM && cmd < CMD_WRITE_RAM + I8042_RAM_SIZE) {
		if (cmd == CMD_WRITE_RAM)
			ctr_write(k, v);
		else
			k->ram[cmd & (I8042_RAM_SIZE - 1)] = v;
		return;
	}
	switch (cmd) {
	case CMD_WRITE_OUTP:
		k->outp = v;
		if (!(v & OUTP_RESET))
			kbc_reset(k);
		break;
	case CMD_KBD_LOOP:
		kbc_queue(k, v, 0);
		break;
	case CMD_AUX_LOOP:
		kbc_queue(k, v, STR_AUXDATA);
		break;
	case CMD_AUX_SEND:
		kbc_queue(k, NO_DEVICE, STR_AUXDATA | STR_TIMEOUT);
		break;
	default:
		/* A byte for the keyboard, which is not there. */
		kbc_queue(k, NO_DEVICE, STR_TIMEOUT);
		break;
	}
}

static uint8_t kbc_status(const struct i8042 *k)
{
	uint8_t v = STR_UNLOCKED;

	if (k->q_count)
		v |= STR_OBF | k->q[k->q_head].status;
	if (k->ram[0] & CTR_SYS)
		v |= STR_SYS;
	if (k->last_was_cmd)
		v |= STR_CMD;
	return v;
}

static uint8_t kbc_read_data(struct i8042 *k)
{
	if (k->q_count) {
		k->last_data = k->q[k->q_head].data;
		k->q_head = (k->q_head + 1) % I8042_QUEUE;
		k->q_count--;
		kbc_irq(k);
	}
	return k->last_data;
}

/* Each port is one byte: a wider access reads 0xff above it. */
static void i8042_data_read(void *opaque, uint64_t offset, uint8_t *data,
			    uint32_t size)
{
	struct i8042 *k = opaque;

	memset(data, 0xff, size);
	if (offset)
		return;
	pthread_mutex_lock(&k->lock);
	data[0] = kbc_read_data(k);
	pthread_mutex_unlock(&k->lock);
}

static void i8042_data_write(void *opaque, uint64_t offset,
			     const uint8_t *data, uint32_t size)
{
	struct i8042 *k = opaque;

	if (offset || !size)
		return;
	pthread_mutex_lock(&k->lock);
	k->last_was_cmd = false;
	kbc_data(k, data[0]);
	pthread_mutex_unlock(&k->lock);
}

static void i8042_cmd_read(void *opaque, uint64_t offset, uint8_t *data,
			   uint32_t size)
{
	struct i8042 *k = opaque;

	memset(data, 0xff, size);
	if (offset)
		return;
	pthread_mutex_lock(&k->lock);
	data[0] = kbc_status(k);
	pthread_mutex_unlock(&k->lock);
}

static void i8042_cmd_write(void *opaque, uint64_t offset, const uint8_t *data,
			    uint32_t size)
{
	struct i8042 *k = opaque;

	if (offset || !size)
		return;
	pthread_mutex_lock(&k->lock);
	k->last_was_cmd = true;
	kbc_command(k, data[0]);
	pthread_mutex_unlock(&k->lock);
}

static const struct vmm_io_ops i8042_data_ops = {
	.read = i8042_data_read,
	.write = i8042_data_write,
};

static const struct vmm_io_ops i8042_cmd_ops = {
	.read = i8042_cmd_read,
	.write = i8042_cmd_write,
};

static void i8042_destroy(void *opaque)
{
	struct i8042 *k = opaque;

	pthread_mutex_destroy(&k->lock);
	free(k);
}

int i8042_create(struct vmm_vm *vm, struct i8042 **out)
{
	struct i8042 *k = calloc(1, sizeof(*k));
	int r;

	if (!k)
		return vmm_set_error(vm, -ENOMEM, "i8042: out of memory");
	k->vm = vm;
	k->ram[0] = CTR_BOOT;
	k->outp = OUTP_BOOT;
	r = -pthread_mutex_init(&k->lock, NULL);
	if (r) {
		vmm_set_error(vm, r, "i8042: mutex: %s", strerror(-r));
		goto err_free;
	}
	r = vmm_io_register(vm, VMM_SPACE_PIO, I8042_DATA_PORT, 1,
			    &i8042_data_ops, k, "i8042 data");
	if (r)
		goto err_mutex;
	r = vmm_io_register(vm, VMM_SPACE_PIO, I8042_CMD_PORT, 1,
			    &i8042_cmd_ops, k, "i8042 command");
	if (r)
		goto err_data;
	r = vmm_device_add(vm, "i8042", i8042_destroy, k);
	if (r)
		goto err_cmd;
	if (out)
		*out = k;
	return 0;

err_cmd:
	vmm_io_unregister(vm, VMM_SPACE_PIO, I8042_CMD_PORT);
err_data:
	vmm_io_unregister(vm, VMM_SPACE_PIO, I8042_DATA_PORT);
err_mutex:
	pthread_mutex_destroy(&k->lock);
err_free:
	free(k);
	return r;
}
