/* The KVM guest's ring-0 trampoline: enters ring 3 with iretq, and turns
 * `syscall` and every exception into one `out` that exits to the sentry. */
#include "platform/kvm/x86.h"

	/* Bytes copied to the private slot and run at KBASE + PRIV_TRAMP;
	 * position-independent, never executed in the sentry. */
	.section .rodata.cvisor_kvm_tramp, "a"
	.balign 4096
	.globl kvm_tramp_start
kvm_tramp_start:

/* Entry with a new CR3 and new fs/gs bases: rsp points at the full frame
 * (cr3, fs_base, gs_base, rax, rcx, rdx, then an iret frame) that the
 * sentry wrote; the other registers already hold the application's. */
	.globl kvm_tramp_entry_full
kvm_tramp_entry_full:
	pop	%rax
	mov	%rax, %cr3
	mov	$MSR_FS_BASE, %ecx
	pop	%rax
	mov	%rax, %rdx
	shr	$32, %rdx
	wrmsr
	mov	$MSR_GS_BASE, %ecx
	pop	%rax
	mov	%rax, %rdx
	shr	$32, %rdx
	wrmsr
	pop	%rax
	pop	%rcx
	pop	%rdx
/* Entry with nothing to change: rsp points at the iret frame. */
	.globl kvm_tramp_entry_fast
kvm_tramp_entry_fast:
	iretq
	.globl kvm_tramp_entry_end
kvm_tramp_entry_end:

/* Applies the op list the sentry wrote at KBASE + PRIV_OPS: rsi = first
 * op, rcx = count; an op is {destination, value}, or {page | 1, 0} to zero
 * a page, or {page | 2, 0} to zero its first half (the user half of a
 * root).  Page tables are written from inside the guest so that KVM's
 * shadow paging sees every change (KVM write-protects the tables it
 * shadows; a write from the sentry's side would go unnoticed). */
	.balign 16
	.globl kvm_tramp_apply
kvm_tramp_apply:
1:	test	%rcx, %rcx
	jz	3f
	mov	(%rsi), %rdi
	mov	8(%rsi), %rax
	test	$3, %dil
	jnz	2f
	mov	%rax, (%rdi)
	jmp	4f
2:	mov	%rcx, %rdx
	mov	$256, %ecx
	test	$1, %dil
	jz	5f
	mov	$512, %ecx
5:	and	$-4, %rdi
	xor	%eax, %eax
	rep stosq
	mov	%rdx, %rcx
4:	add	$16, %rsi
	dec	%rcx
	jmp	1b
3:	out	%al, $PORT_APPLIED
	ud2

/* One 16-byte stub per vector, on IST1.  The sentry reads the frame (and
 * CR2 for #PF) from the vCPU page. */
	.balign 16
	.globl kvm_tramp_vectors
kvm_tramp_vectors:
	.set	vec, 0
	.rept	X86_NVEC
	.balign 16
	.if vec == X86_PF
	push	%rax
	mov	%cr2, %rax
	push	%rax
	mov	8(%rsp), %rax
	.endif
	out	%al, $(PORT_VEC + vec)
	ud2
	.set	vec, vec + 1
	.endr
	.balign 16
	.globl kvm_tramp_vectors_end
kvm_tramp_vectors_end:

/* The LSTAR page, the only one of the platform's pages the application can
 * execute.  rcx = return rip, r11 = rflags, rsp is still the application's:
 * nothing here may touch memory.  On a VMX/SVM host `syscall` arrives in
 * ring 0 and the `out` exits at once; the PVM host here (all of the guest
 * in hardware ring 3) delivers it to LSTAR still in ring 3, where the `out`
 * raises #GP at this address, which the sentry reads as the system call. */
	.balign 4096
	.globl kvm_tramp_syscall
kvm_tramp_syscall:
	out	%al, $PORT_SYSCALL
	ud2
	.balign 16
	.globl kvm_tramp_end
kvm_tramp_end:

	.section .note.GNU-stack,"",@progbits
