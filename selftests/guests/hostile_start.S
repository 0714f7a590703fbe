/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hostile.elf's entry: the Multiboot v1 header (first in .text, so within
 * the loader's 8 KiB search), a stack, then hostile_main(magic, info).
 */
	.code32
	.section .text
	.globl _start

	.balign 4
mb_header:
	.long 0x1badb002
	.long 0x00000002	/* wants mem_lower/mem_upper */
	.long -(0x1badb002 + 0x00000002)

_start:
	cli
	cld
	mov $stack_top, %esp
	sub $8, %esp		/* 16-byte aligned at the call, as gcc assumes */
	push %ebx
	push %eax
	call hostile_main
1:	hlt
	jmp 1b

	.section .bss
	.balign 16
	.skip 16384
stack_top:

	.section .note.GNU-stack, "", @progbits
