/* Signal state: dispositions, the blocked mask, the alternate stack.
 * Delivery arrives with the processes milestone; until then the state is
 * recorded and reported back exactly as Linux would. */
#include <signal.h>
#include <string.h>

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1U << 31)
#endif

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define SIGBIT(s) (1ULL << ((s)-1))
#define UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

DEFINE_SYSCALL(rt_sigaction, R_INT, A_SIG, A_PTR, A_PTR, A_UINT)
{
	int sig = (int)a[0];
	struct k_sigaction act, old;

	if (a[3] != 8)
		return -EINVAL;
	if (sig < 1 || sig > 64)
		return -EINVAL;
	if (a[1] && (sig == SIGKILL || sig == SIGSTOP))
		return -EINVAL;
	if (a[1] && mm_copy_in(t->mm, &act, a[1], sizeof act))
		return -EFAULT;
	pthread_mutex_lock(&t->tg->lock);
	old = t->tg->sigactions[sig - 1];
	if (a[1]) {
		act.mask &= ~UNBLOCKABLE;
		t->tg->sigactions[sig - 1] = act;
	}
	pthread_mutex_unlock(&t->tg->lock);
	if (a[2] && mm_copy_out(t->mm, a[2], &old, sizeof old))
		return -EFAULT;
	return 0;
}

DEFINE_SYSCALL(rt_sigprocmask, R_INT, A_INT, A_PTR, A_PTR, A_UINT)
{
	int how = (int)a[0];
	uint64_t set, old = t->sigmask;

	if (a[3] != 8)
		return -EINVAL;
	if (a[1]) {
		if (mm_copy_in(t->mm, &set, a[1], sizeof set))
			return -EFAULT;
		switch (how) {
		case SIG_BLOCK:
			t->sigmask |= set;
			break;
		case SIG_UNBLOCK:
			t->sigmask &= ~set;
			break;
		case SIG_SETMASK:
			t->sigmask = set;
			break;
		default:
			return -EINVAL;
		}
		t->sigmask &= ~UNBLOCKABLE;
	}
	if (a[2] && mm_copy_out(t->mm, a[2], &old, sizeof old))
		return -EFAULT;
	return 0;
}

DEFINE_SYSCALL(rt_sigpending, R_INT, A_PTR, A_UINT)
{
	uint64_t pending = 0;
	if (a[1] > 8)
		return -EINVAL;
	if (mm_copy_out(t->mm, a[0], &pending, a[1]))
		return -EFAULT;
	return 0;
}

struct k_stack {
	uint64_t sp;
	int32_t flags;
	int32_t pad;
	uint64_t size;
};

#define MINSIGSTKSZ_LINUX 2048

static bool on_altstack(struct task *t)
{
	uint64_t sp = t->arch.regs.rsp;
	return t->altstack.size && sp > t->altstack.sp && sp - t->altstack.sp <= t->altstack.size;
}

DEFINE_SYSCALL(sigaltstack, R_INT, A_PTR, A_PTR)
{
	struct k_stack ss, old = {0};

	old.sp = t->altstack.sp;
	old.size = t->altstack.size;
	old.flags = on_altstack(t) ? SS_ONSTACK
				   : (t->altstack.size ? (int)t->altstack.flags : SS_DISABLE);
	if (a[0]) {
		if (mm_copy_in(t->mm, &ss, a[0], sizeof ss))
			return -EFAULT;
		if (on_altstack(t))
			return -EPERM;
		int mode = ss.flags & ~SS_AUTODISARM;
		if (mode != 0 && mode != SS_DISABLE && mode != SS_ONSTACK)
			return -EINVAL;
		if (mode == SS_DISABLE) {
			t->altstack.sp = 0;
			t->altstack.size = 0;
			t->altstack.flags = 0;
		} else {
			if (ss.size < MINSIGSTKSZ_LINUX)
				return -ENOMEM;
			t->altstack.sp = ss.sp;
			t->altstack.size = ss.size;
			t->altstack.flags = ss.flags & SS_AUTODISARM;
		}
	}
	if (a[1] && mm_copy_out(t->mm, a[1], &old, sizeof old))
		return -EFAULT;
	return 0;
}
