/* The ptrace stub's only code: one position-independent page, copied into a
 * sealed memfd and mapped at STUB_CODE_ADDR in every stub process. */
#include "platform/ptrace/ptrace_internal.h"

#define NR_mmap 9
#define NR_munmap 11
#define NR_close 3
#define NR_pause 34
#define NR_seccomp 317
#define SECCOMP_SET_MODE_FILTER 1
#define PROT_R 1
#define PROT_RX 5
#define MAP_SHARED_FIXED 0x11

	/* Never executed in the sentry: these are bytes for the memfd, and
	 * nothing here uses the stack, which the stub no longer has. */
	.section .rodata.cvisor_stub, "a"
	.balign 4096
	.globl stub_start
stub_start:

/* Entered by the forked child with the code page mapped at a kernel-chosen
 * address A: rdi = A, rsi = code memfd, rdx = op-page memfd.  Unmaps
 * everything but A (the sentry's copy, vdso, vvar, stack), maps the code and
 * op pages at their fixed addresses and continues there. */
	.globl stub_stage1
stub_stage1:
	mov	%rdi, %r12
	mov	%rsi, %r13
	mov	%rdx, %r14
	xor	%edi, %edi
	mov	%r12, %rsi
	mov	$NR_munmap, %eax
	syscall
	test	%rax, %rax
	jnz	stub_die
	lea	STUB_CODE_SIZE(%r12), %rdi
	movabs	$STUB_TOP, %rsi
	sub	%rdi, %rsi
	mov	$NR_munmap, %eax
	syscall
	test	%rax, %rax
	jnz	stub_die

	movabs	$STUB_CODE_ADDR, %rdi
	mov	$STUB_CODE_SIZE, %esi
	mov	$PROT_RX, %edx
	mov	$MAP_SHARED_FIXED, %r10d
	mov	%r13, %r8
	xor	%r9d, %r9d
	mov	$NR_mmap, %eax
	syscall
	cmp	%rdi, %rax
	jne	stub_die

	/* Read-only: the application shares this address space and must not
	 * be able to write the op list. */
	movabs	$STUB_OPS_ADDR, %rdi
	mov	$STUB_OPS_SIZE, %esi
	mov	$PROT_R, %edx
	mov	$MAP_SHARED_FIXED, %r10d
	mov	%r14, %r8
	xor	%r9d, %r9d
	mov	$NR_mmap, %eax
	syscall
	cmp	%rdi, %rax
	jne	stub_die

	mov	%r13, %rdi
	mov	$NR_close, %eax
	syscall
	mov	%r14, %rdi
	mov	$NR_close, %eax
	syscall

	lea	stub_stage2(%rip), %rax
	sub	%r12, %rax
	movabs	$STUB_CODE_ADDR, %rcx
	add	%rcx, %rax
	jmp	*%rax

/* Now at STUB_CODE_ADDR: drop the temporary copy, lock ourselves down, and
 * report ready to the tracer with a breakpoint. */
stub_stage2:
	mov	%r12, %rdi
	mov	$STUB_CODE_SIZE, %esi
	mov	$NR_munmap, %eax
	syscall
	test	%rax, %rax
	jnz	stub_die
	mov	$SECCOMP_SET_MODE_FILTER, %edi
	xor	%esi, %esi
	movabs	$(STUB_OPS_ADDR + OPS_FPROG), %rdx
	mov	$NR_seccomp, %eax
	syscall
	test	%rax, %rax
	jnz	stub_die
	int3
	.globl stub_ready
stub_ready:
stub_die:
	ud2

/* Applies the op list of the op page: mmap(va, len, prot, MAP_SHARED |
 * MAP_FIXED, memfd, off) or munmap(va, len) for each.  Ends at the int3
 * with rax = 0, or rax = -errno and r14 = index of the failed op. */
	.globl stub_ops
stub_ops:
	movabs	$STUB_OPS_ADDR, %rbx
	mov	OPS_N(%rbx), %r12
	lea	OPS_LIST(%rbx), %r13
	xor	%r14d, %r14d
1:	cmp	%r12, %r14
	jae	4f
	mov	0(%r13), %rdi
	mov	8(%r13), %rsi
	mov	16(%r13), %rdx
	cmp	$OP_UNMAP, %rdx
	je	2f
	mov	$MAP_SHARED_FIXED, %r10d
	mov	OPS_MEMFD(%rbx), %r8
	mov	24(%r13), %r9
	mov	$NR_mmap, %eax
	syscall
	cmp	%rdi, %rax
	jne	5f
	jmp	3f
2:	mov	$NR_munmap, %eax
	syscall
	test	%rax, %rax
	jnz	5f
3:	inc	%r14
	add	$OP_SIZE, %r13
	jmp	1b
4:	xor	%eax, %eax
5:	int3
	.globl stub_ops_done
stub_ops_done:
	ud2

/* One host syscall with the registers the tracer set. */
	.globl stub_syscall
stub_syscall:
	syscall
	int3
	.globl stub_syscall_done
stub_syscall_done:
	ud2

/* clone() of a new stub thread, injected into a stopped stub thread: the
 * caller stops at the int3 with the child's tid (or -errno) in rax; the
 * child starts after the syscall with rax = 0 and sleeps in stub_park until
 * its sentry thread seizes it.  Untraced, it must never reach the int3. */
	.globl stub_clone
stub_clone:
	syscall
	test	%rax, %rax
	jz	stub_park
	int3
	.globl stub_clone_done
stub_clone_done:
	ud2

/* Sleeps until PTRACE_INTERRUPT; every signal is blocked here. */
	.globl stub_park
stub_park:
	mov	$NR_pause, %eax
	syscall
	jmp	stub_park

	.globl stub_end
stub_end:
	/* Fails to assemble ("moving backwards") if the code outgrows its page. */
	.org	stub_start + STUB_CODE_SIZE

	.section .note.GNU-stack, "", @progbits
