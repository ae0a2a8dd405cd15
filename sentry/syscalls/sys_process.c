/* Process lifecycle syscalls: clone, clone3, fork, vfork, exit, exit_group,
 * wait4, waitid, and process groups and sessions. */
#include <linux/sched.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "sentry/kernel/fork.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

DEFINE_SYSCALL(clone, R_INT, A_HEX, A_PTR, A_PTR, A_PTR, A_PTR)
{
	/* x86-64 order: flags, newsp, parent_tid, child_tid, tls. */
	uint64_t flags = a[0];
	int exit_signal = (int)(flags & CSIGNAL);
	return task_clone(t, flags & ~(uint64_t)CSIGNAL, a[1], a[2], a[3], a[4],
			  (flags & CLONE_THREAD) ? 0 : exit_signal);
}

DEFINE_SYSCALL(fork, R_INT)
{
	return task_clone(t, 0, 0, 0, 0, 0, SIGCHLD);
}

DEFINE_SYSCALL(vfork, R_INT)
{
	return task_clone(t, CLONE_VM | CLONE_VFORK, 0, 0, 0, 0, SIGCHLD);
}

struct clone_args_v2 {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
	    set_tid, set_tid_size, cgroup;
};

#define CLONE_ARGS_SIZE_VER0 64

DEFINE_SYSCALL(clone3, R_INT, A_PTR, A_UINT)
{
	struct clone_args_v2 ca;
	size_t size = a[1];
	if (size < CLONE_ARGS_SIZE_VER0 || size > 4096)
		return -EINVAL;
	memset(&ca, 0, sizeof ca);
	if (mm_copy_in(t->mm, &ca, a[0], size < sizeof ca ? size : sizeof ca))
		return -EFAULT;
	/* A larger struct from a newer libc: its extra bytes must be zero. */
	for (size_t off = sizeof ca; off < size; off += 8) {
		uint64_t v = 0;
		size_t n = size - off < 8 ? size - off : 8;
		if (mm_copy_in(t->mm, &v, a[0] + off, n))
			return -EFAULT;
		if (v)
			return -E2BIG;
	}
	if (ca.set_tid || ca.set_tid_size || (ca.flags & CLONE_INTO_CGROUP))
		return -EINVAL; /* choosing pids and cgroups is not supported */
	if ((ca.flags & CSIGNAL) || ca.exit_signal > 64)
		return -EINVAL;
	if ((ca.stack == 0) != (ca.stack_size == 0))
		return -EINVAL;
	uint64_t sp = ca.stack ? ca.stack + ca.stack_size : 0;
	return task_clone(t, ca.flags, sp, ca.parent_tid, ca.child_tid, ca.tls,
			  (ca.flags & CLONE_THREAD) ? 0 : (int)ca.exit_signal);
}

DEFINE_SYSCALL(exit, R_NONE, A_INT)
{
	struct sighand *sh = t->tg->sighand;
	t->exit_code = ((int)a[0] & 0xff) << 8;
	pthread_mutex_lock(&sh->lock);
	t->exiting = true;
	pthread_mutex_unlock(&sh->lock);
	atomic_store(&t->work, true);
	return 0;
}

DEFINE_SYSCALL(exit_group, R_NONE, A_INT)
{
	task_exit_group(t, ((int)a[0] & 0xff) << 8);
	return 0;
}

/* ---- wait ---- */

struct wait_result {
	int pid;
	int status; /* wait4 format */
	int code;   /* CLD_* for waitid */
	int why;    /* si_status for waitid */
	uid_t uid;
	uint64_t utime_ns, stime_ns;
};

enum { W_PID, W_PGID, W_ALL };

static bool matches(struct thread_group *c, int type, int id, int options)
{
	if (type == W_PID && c->tgid != id)
		return false;
	if (type == W_PGID && c->pgid != id)
		return false;
	/* __WCLONE children report to their parent with a signal other than
	 * SIGCHLD; by default only the others are waited for. */
	bool clone_child = c->exit_signal != SIGCHLD;
	if (options & __WALL)
		return true;
	return clone_child == !!(options & __WCLONE);
}

/* One pass over the children (tasklist_lock held): 1 with *res filled,
 * 0 when a matching child exists but has nothing to report, -ECHILD. */
static int wait_scan(struct task *t, int type, int id, int options, struct wait_result *res)
{
	bool any = false;
	for (struct thread_group *c = t->tg->children; c; c = c->sibling) {
		if (!matches(c, type, id, options))
			continue;
		any = true;
		res->pid = c->tgid;
		res->uid = c->leader ? c->leader->cred.ruid : 0;
		res->utime_ns = c->utime_ns;
		res->stime_ns = c->stime_ns;
		if (c->zombie && (options & WEXITED)) {
			int st = c->exit_status;
			res->status = st;
			res->code = (st & 0x7f) ? CLD_KILLED : CLD_EXITED;
			res->why = (st & 0x7f) ? (st & 0x7f) : (st >> 8) & 0xff;
			if (!(options & WNOWAIT))
				tg_reap_locked(t->tg, c);
			return 1;
		}
		struct sighand *sh = c->sighand;
		if (!sh)
			continue;
		pthread_mutex_lock(&sh->lock);
		int found = 0;
		if ((options & WSTOPPED) && c->stopped && c->stop_report) {
			res->status = (c->stop_sig << 8) | 0x7f;
			res->code = CLD_STOPPED;
			res->why = c->stop_sig;
			if (!(options & WNOWAIT))
				c->stop_report = false;
			found = 1;
		} else if ((options & WCONTINUED) && c->cont_report) {
			res->status = 0xffff;
			res->code = CLD_CONTINUED;
			res->why = SIGCONT;
			if (!(options & WNOWAIT))
				c->cont_report = false;
			found = 1;
		}
		pthread_mutex_unlock(&sh->lock);
		if (found)
			return 1;
	}
	return any ? 0 : -ECHILD;
}

static long do_wait(struct task *t, int type, int id, int options, struct wait_result *res)
{
	struct waitq_entry e;
	for (;;) {
		pthread_mutex_lock(&tasklist_lock);
		int r = wait_scan(t, type, id, options, res);
		if (r != 0 || (options & WNOHANG)) {
			pthread_mutex_unlock(&tasklist_lock);
			return r;
		}
		/* Registered before the lock drops: a child's notification,
		 * sent under tasklist_lock, cannot be missed. */
		waitq_add(&t->tg->child_waitq, &e, &t->waiter, ~0u);
		pthread_mutex_unlock(&tasklist_lock);
		int s = waiter_sleep(&t->waiter, CLOCK_MONOTONIC, NULL);
		waitq_del(&t->tg->child_waitq, &e);
		if (s == -EINTR)
			return -ERESTARTSYS;
	}
}

static void to_rusage(const struct wait_result *w, struct rusage *ru)
{
	memset(ru, 0, sizeof *ru);
	ru->ru_utime.tv_sec = (time_t)(w->utime_ns / 1000000000ULL);
	ru->ru_utime.tv_usec = (suseconds_t)(w->utime_ns % 1000000000ULL / 1000);
	ru->ru_stime.tv_sec = (time_t)(w->stime_ns / 1000000000ULL);
	ru->ru_stime.tv_usec = (suseconds_t)(w->stime_ns % 1000000000ULL / 1000);
}

DEFINE_SYSCALL(wait4, R_INT, A_INT, A_PTR, A_HEX, A_PTR)
{
	int pid = (int)a[0], options = (int)a[2];
	struct wait_result w;
	int type, id;

	if (options & ~(WNOHANG | WUNTRACED | WCONTINUED | __WNOTHREAD | __WCLONE | __WALL))
		return -EINVAL;
	if (pid == INT32_MIN)
		return -ESRCH;
	if (pid > 0) {
		type = W_PID;
		id = pid;
	} else if (pid == 0) {
		type = W_PGID;
		pthread_mutex_lock(&tasklist_lock);
		id = t->tg->pgid;
		pthread_mutex_unlock(&tasklist_lock);
	} else if (pid == -1) {
		type = W_ALL;
		id = 0;
	} else {
		type = W_PGID;
		id = -pid;
	}
	long r = do_wait(t, type, id, options | WEXITED, &w);
	if (r <= 0)
		return r;
	if (a[1] && mm_copy_out(t->mm, a[1], &w.status, sizeof w.status))
		return -EFAULT;
	if (a[3]) {
		struct rusage ru;
		to_rusage(&w, &ru);
		if (mm_copy_out(t->mm, a[3], &ru, sizeof ru))
			return -EFAULT;
	}
	return w.pid;
}

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

DEFINE_SYSCALL(waitid, R_INT, A_INT, A_INT, A_PTR, A_HEX, A_PTR)
{
	int idtype = (int)a[0], id = (int)a[1], options = (int)a[3];
	struct wait_result w;
	int type;

	if (options & ~(WNOHANG | WNOWAIT | WEXITED | WSTOPPED | WCONTINUED | __WNOTHREAD |
			__WCLONE | __WALL))
		return -EINVAL;
	if (!(options & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	switch (idtype) {
	case P_ALL:
		type = W_ALL;
		break;
	case P_PID:
		if (id <= 0)
			return -EINVAL;
		type = W_PID;
		break;
	case P_PGID:
		if (id < 0)
			return -EINVAL;
		type = W_PGID;
		if (id == 0) {
			pthread_mutex_lock(&tasklist_lock);
			id = t->tg->pgid;
			pthread_mutex_unlock(&tasklist_lock);
		}
		break;
	default:
		return -EINVAL; /* P_PIDFD needs pidfds, not supported yet */
	}
	long r = do_wait(t, type, id, options, &w);
	if (r < 0)
		return r;
	if (a[2]) {
		siginfo_t si;
		memset(&si, 0, sizeof si);
		if (r > 0) {
			si.si_signo = SIGCHLD;
			si.si_code = w.code;
			si.si_pid = w.pid;
			si.si_uid = w.uid;
			si.si_status = w.why;
		}
		if (mm_copy_out(t->mm, a[2], &si, sizeof si))
			return -EFAULT;
	}
	if (a[4]) {
		struct rusage ru;
		to_rusage(&w, &ru);
		if (r == 0)
			memset(&ru, 0, sizeof ru);
		if (mm_copy_out(t->mm, a[4], &ru, sizeof ru))
			return -EFAULT;
	}
	return 0;
}

/* ---- process groups and sessions ---- */

static struct thread_group *tg_of(struct task *t, int pid)
{
	return pid == 0 ? t->tg : tg_lookup_locked(pid);
}

DEFINE_SYSCALL(getpgid, R_INT, A_INT)
{
	pthread_mutex_lock(&tasklist_lock);
	struct thread_group *tg = tg_of(t, (int)a[0]);
	int r = tg ? tg->pgid : -ESRCH;
	pthread_mutex_unlock(&tasklist_lock);
	return r;
}

DEFINE_SYSCALL(getpgrp, R_INT)
{
	pthread_mutex_lock(&tasklist_lock);
	int r = t->tg->pgid;
	pthread_mutex_unlock(&tasklist_lock);
	return r;
}

DEFINE_SYSCALL(getsid, R_INT, A_INT)
{
	pthread_mutex_lock(&tasklist_lock);
	struct thread_group *tg = tg_of(t, (int)a[0]);
	int r = tg ? tg->sid : -ESRCH;
	pthread_mutex_unlock(&tasklist_lock);
	return r;
}

static bool pgrp_exists_in_session(int pgid, int sid)
{
	for (struct thread_group *tg = all_tgs; tg; tg = tg->all_next)
		if (tg->pgid == pgid && tg->sid == sid && !tg->zombie)
			return true;
	return false;
}

DEFINE_SYSCALL(setpgid, R_INT, A_INT, A_INT)
{
	int pid = (int)a[0], pgid = (int)a[1], r = 0;
	if (pgid < 0)
		return -EINVAL;
	pthread_mutex_lock(&tasklist_lock);
	struct thread_group *me = t->tg;
	struct thread_group *tg = tg_of(t, pid);
	if (!tg || (tg != me && tg->parent != me)) {
		r = -ESRCH;
		goto out;
	}
	if (!pgid)
		pgid = tg->tgid;
	if (tg != me) {
		if (tg->sid != me->sid) {
			r = -EPERM;
			goto out;
		}
		if (tg->did_exec) {
			r = -EACCES;
			goto out;
		}
	}
	if (tg->sid == tg->tgid) {
		r = -EPERM; /* a session leader stays in its group */
		goto out;
	}
	if (pgid != tg->tgid && !pgrp_exists_in_session(pgid, me->sid)) {
		r = -EPERM;
		goto out;
	}
	tg->pgid = pgid;
out:
	pthread_mutex_unlock(&tasklist_lock);
	return r;
}

DEFINE_SYSCALL(setsid, R_INT)
{
	pthread_mutex_lock(&tasklist_lock);
	struct thread_group *me = t->tg;
	for (struct thread_group *tg = all_tgs; tg; tg = tg->all_next)
		if (tg->pgid == me->tgid && !tg->zombie) {
			pthread_mutex_unlock(&tasklist_lock);
			return -EPERM;
		}
	me->sid = me->pgid = me->tgid;
	me->has_tty = false; /* a new session has no controlling terminal */
	me->tty_fg_pgid = 0;
	pthread_mutex_unlock(&tasklist_lock);
	return me->tgid;
}
