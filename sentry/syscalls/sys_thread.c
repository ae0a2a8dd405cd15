/* Thread-level state the C runtime sets up at start and tears down at exit:
 * arch_prctl, set_tid_address, robust lists, exit, exit_group. */
#include <asm/prctl.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

DEFINE_SYSCALL(arch_prctl, R_INT, A_HEX, A_HEX)
{
	uint64_t addr = a[1];
	switch ((int)a[0]) {
	case ARCH_SET_FS:
	case ARCH_SET_GS:
		/* A base outside the user half would fault on the next switch. */
		if (addr >= pf->max_addr)
			return -EPERM;
		if ((int)a[0] == ARCH_SET_FS)
			t->arch.regs.fs_base = addr;
		else
			t->arch.regs.gs_base = addr;
		return 0;
	case ARCH_GET_FS:
		return mm_copy_out(t->mm, addr, &t->arch.regs.fs_base, 8) ? -EFAULT : 0;
	case ARCH_GET_GS:
		return mm_copy_out(t->mm, addr, &t->arch.regs.gs_base, 8) ? -EFAULT : 0;
	case ARCH_GET_CPUID:
		return 1;
	case ARCH_SET_CPUID:
		return -ENODEV; /* CPUID faulting is not offered */
	}
	return -EINVAL;
}

DEFINE_SYSCALL(set_tid_address, R_INT, A_PTR)
{
	t->clear_child_tid = a[0];
	return t->tid;
}

DEFINE_SYSCALL(set_robust_list, R_INT, A_PTR, A_UINT)
{
	/* sizeof(struct robust_list_head) on x86-64 */
	if (a[1] != 24)
		return -EINVAL;
	t->robust_list = a[0];
	t->robust_len = a[1];
	return 0;
}

DEFINE_SYSCALL(get_robust_list, R_INT, A_INT, A_PTR, A_PTR)
{
	uint64_t len = 24;
	if (a[0] != 0 && (int)a[0] != t->tid)
		return -ESRCH;
	if (mm_copy_out(t->mm, a[1], &t->robust_list, 8) || mm_copy_out(t->mm, a[2], &len, 8))
		return -EFAULT;
	return 0;
}
