/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A tiny 32-bit test kernel for libvmm's ELF loaders, built twice: with a
 * Multiboot v1 header, and (-DPVH) with a PVH entry note; with -DAOUT the
 * Multiboot header has the a.out kludge, for a flat binary (objcopy -O
 * binary) that only the header's addresses place.  It checks the
 * boot magic and prints on COM1 (polled) what it was given:
 *   multiboot: kernel=<argv[0]> args=<argv[1..]> mem=<KiB>
 *   pvh: cmdline=<command line> mem=<KiB>
 * (a Multiboot command line starts with the kernel's path, as GRUB and
 * QEMU pass it; the arguments follow the first space), then stops the VM
 * through the debug-exit port with 42 (Multiboot) or 43 (PVH); 1 if the
 * entry state was wrong.  With -DWAIT_KEY it first reads COM1 (polled):
 * it prints "waiting for a key", echoes the first byte typed as
 * "key: <byte>", and stops at the second, so that a reader of its
 * console has everything before the VM goes.  Without a
 * debug-exit device there (vhv-run --debug-exit 0x501), the write does
 * nothing and the kernel resets the machine through the i8042.
 */
#define COM1		0x3f8
#ifndef DEBUG_EXIT
#define DEBUG_EXIT	0x501	/* -DDEBUG_EXIT=0xf4: the other test port */
#endif

	.code32
	.section .text
	.globl _start

#ifdef PVH
	.pushsection .note.pvh, "a"
	.balign 4
	.long 4			/* namesz */
	.long 4			/* descsz */
	.long 18		/* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long _start
	.popsection
#else
	.balign 4
mb_header:
	.long 0x1badb002
#ifdef AOUT
	/* wants memory info; a flat binary: the a.out kludge's addresses */
	.long 0x00010002
	.long -(0x1badb002 + 0x00010002)
	.long mb_header		/* header_addr */
	.long __load_start	/* load_addr: the file's first byte */
	.long __load_end	/* load_end_addr */
	.long __bss_end		/* bss_end_addr */
	.long _start		/* entry_addr */
#else
	.long 0x00000002	/* wants memory info */
	.long -(0x1badb002 + 0x00000002)
#endif
#endif

_start:
	cli
	mov $stack_top, %esp
#ifdef PVH
	cmpl $0x336ec578, (%ebx)
	jne bad
	mov $pvh_name, %esi
	call puts
	mov 24(%ebx), %esi	/* cmdline_paddr */
	call puts
	/* memory: the first memmap entry above 1 MiB, in KiB */
	mov 40(%ebx), %edi	/* memmap_paddr */
	mov 48(%ebx), %ecx	/* memmap_entries */
1:	cmpl $0x100000, (%edi)
	je 2f
	add $24, %edi
	loop 1b
	jmp bad
2:	mov 8(%edi), %eax
	shr $10, %eax
	mov $43, %edx
#else
	cmp $0x2badb002, %eax
	jne bad
	testl $(1 << 2), (%ebx)	/* cmdline present */
	jz bad
	testl $(1 << 0), (%ebx)	/* mem_lower/mem_upper present */
	jz bad
	mov $mb_name, %esi
	call puts
	mov 16(%ebx), %esi	/* argv[0]: up to the first space */
	call putword
	push %esi
	mov $args_label, %esi
	call puts
	pop %esi
	cmpb $' ', (%esi)	/* argv[1..]: after that space */
	jne 1f
	inc %esi
1:	call puts
	mov 8(%ebx), %eax	/* mem_upper, KiB above 1 MiB */
	mov $42, %edx
#endif
	push %edx
	push %eax
	mov $mem_label, %esi
	call puts
	pop %eax
	call putdec
	mov $'\n', %al
	call putc
#ifdef WAIT_KEY
	mov $key_wait, %esi
	call puts
	call getc
	push %eax
	mov $key_label, %esi
	call puts
	pop %eax
	call putc
	mov $'\n', %al
	call putc
	call getc
#endif
	pop %eax
	mov $DEBUG_EXIT, %dx
	out %al, %dx
	jmp reset

bad:
	mov $bad_msg, %esi
	call puts
	mov $1, %al
	mov $DEBUG_EXIT, %dx
	out %al, %dx
	jmp reset

/* No debug-exit device (vhv-run without --debug-exit): reset instead. */
reset:
	mov $0xfe, %al
	out %al, $0x64
	hlt

/* putc: %al to COM1 once the transmitter holding register is empty. */
putc:
	push %edx
	push %eax
1:	mov $(COM1 + 5), %dx
	in %dx, %al
	test $0x20, %al
	jz 1b
	pop %eax
	mov $COM1, %dx
	out %al, %dx
	pop %edx
	ret

#ifdef WAIT_KEY
/* getc: the next byte COM1 receives, in %al (polled: LSR.DR). */
getc:
	mov $(COM1 + 5), %dx
	in %dx, %al
	test $0x01, %al
	jz getc
	mov $COM1, %dx
	in %dx, %al
	ret
#endif

/* puts: the NUL-terminated string at %esi. */
puts:
	lodsb
	test %al, %al
	jz 1f
	call putc
	jmp puts
1:	ret

/* putword: from %esi up to a space or the NUL, %esi left on it. */
putword:
	lodsb
	test %al, %al
	jz 1f
	cmp $' ', %al
	je 1f
	call putc
	jmp putword
1:	dec %esi
	ret

/* putdec: %eax in decimal. */
putdec:
	mov $10, %ecx
	xor %edi, %edi
1:	xor %edx, %edx
	div %ecx
	push %edx
	inc %edi
	test %eax, %eax
	jnz 1b
2:	pop %eax
	add $'0', %al
	call putc
	dec %edi
	jnz 2b
	ret

	.section .rodata
mb_name:	.asciz "multiboot: kernel="
args_label:	.asciz " args="
pvh_name:	.asciz "pvh: cmdline="
mem_label:	.asciz " mem="
bad_msg:	.asciz "bootinfo: bad entry state\n"
#ifdef WAIT_KEY
key_wait:	.asciz "waiting for a key\n"
key_label:	.asciz "key: "
#endif

	.section .bss
	.balign 16
	.skip 4096
stack_top:
