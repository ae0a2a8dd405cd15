/* Scheduling attributes: sched_{get,set}{param,scheduler,affinity},
 * sched_get_priority_{max,min}, sched_rr_get_interval, sched_yield, getcpu,
 * getpriority, setpriority.
 *
 * The attributes are recorded per task and reported back; the sentry does
 * not apply them to its host threads (it places those itself, next to the
 * stub thread each one drives).
 */
#include <sched.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define CAP_SYS_NICE 23
#define RR_TIMESLICE_NS 100000000L /* Linux's sched_rr_timeslice_ms default */
#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif

/* The CPUs the sandbox reports: counted once at start-up, before the
 * sentry loses /sys and pins its threads (either would make a later count
 * wrong). */
static int ncpus = 1;

__attribute__((constructor)) static void count_cpus(void)
{
	int n = get_nprocs();
	ncpus = n < 1 ? 1 : n > 64 ? 64 : n;
}

static uint64_t online_mask(void)
{
	return ncpus == 64 ? ~0ULL : (1ULL << ncpus) - 1;
}

static bool has_nice_cap(struct task *t)
{
	return t->cred.cap_effective & (1ULL << CAP_SYS_NICE);
}

/* The task pid names (0: the caller), counted unless it is t itself. */
static struct task *get_task(struct task *t, int pid)
{
	if (pid == 0 || pid == t->tid)
		return t;
	return pid > 0 ? task_lookup(pid) : NULL;
}

static void put_task(struct task *t, struct task *o)
{
	if (o && o != t)
		task_put(o);
}

static uint64_t rlimit_cur(struct task *o, int res)
{
	return __atomic_load_n(&o->tg->rlimits[res].cur, __ATOMIC_RELAXED);
}

/* Linux's check_same_owner / set_one_prio test (tasklist_lock held). */
static bool same_owner(struct task *t, struct task *o)
{
	return t->cred.euid == o->cred.euid || t->cred.euid == o->cred.ruid;
}

/* Whether t may give o this nice value (tasklist_lock held). */
static bool can_nice(struct task *t, struct task *o, int nice)
{
	return (uint64_t)(20 - nice) <= rlimit_cur(o, RLIMIT_NICE) || has_nice_cap(t);
}

static bool valid_policy(int policy)
{
	return policy == SCHED_OTHER || policy == SCHED_FIFO || policy == SCHED_RR ||
	       policy == SCHED_BATCH || policy == SCHED_IDLE;
}

static bool rt_policy(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

/* sched_setscheduler and sched_setparam (policy -1: keep). */
static long do_setscheduler(struct task *t, int pid, int policy, uint64_t param)
{
	struct sched_param sp;
	long r = 0;

	if (!param || pid < 0)
		return -EINVAL;
	if (mm_copy_in(t->mm, &sp, param, sizeof sp))
		return -EFAULT;
	struct task *o = get_task(t, pid);
	if (!o)
		return -ESRCH;
	uint64_t rtprio = rlimit_cur(o, RLIMIT_RTPRIO);
	pthread_mutex_lock(&tasklist_lock);
	struct task_sched *s = &o->sched;
	bool reset = s->reset_on_fork;
	if (policy < 0) {
		policy = s->policy;
	} else {
		reset = policy & SCHED_RESET_ON_FORK;
		policy &= ~SCHED_RESET_ON_FORK;
	}
	int prio = sp.sched_priority;
	if (!valid_policy(policy) || prio < 0 || prio > 99 || rt_policy(policy) != (prio != 0)) {
		r = -EINVAL;
	} else if (!has_nice_cap(t)) {
		/* sched(7): without CAP_SYS_NICE only RLIMIT_RTPRIO allows
		 * real-time policies, leaving SCHED_IDLE needs RLIMIT_NICE, and
		 * SCHED_RESET_ON_FORK cannot be cleared. */
		if (rt_policy(policy) && ((policy != s->policy && !rtprio) ||
					  (prio > s->rt_priority && (uint64_t)prio > rtprio)))
			r = -EPERM;
		if (s->policy == SCHED_IDLE && policy != SCHED_IDLE && !can_nice(t, o, s->nice))
			r = -EPERM;
		if (!same_owner(t, o) || (s->reset_on_fork && !reset))
			r = -EPERM;
	}
	if (!r) {
		s->policy = policy;
		s->rt_priority = prio;
		s->reset_on_fork = reset;
	}
	pthread_mutex_unlock(&tasklist_lock);
	put_task(t, o);
	return r;
}

DEFINE_SYSCALL(sched_setscheduler, R_INT, A_INT, A_INT, A_PTR)
{
	int policy = (int)a[1];
	if (policy < 0)
		return -EINVAL;
	return do_setscheduler(t, (int)a[0], policy, a[2]);
}

DEFINE_SYSCALL(sched_setparam, R_INT, A_INT, A_PTR)
{
	return do_setscheduler(t, (int)a[0], -1, a[1]);
}

DEFINE_SYSCALL(sched_getscheduler, R_INT, A_INT)
{
	int pid = (int)a[0];
	if (pid < 0)
		return -EINVAL;
	struct task *o = get_task(t, pid);
	if (!o)
		return -ESRCH;
	pthread_mutex_lock(&tasklist_lock);
	long r = o->sched.policy | (o->sched.reset_on_fork ? SCHED_RESET_ON_FORK : 0);
	pthread_mutex_unlock(&tasklist_lock);
	put_task(t, o);
	return r;
}

DEFINE_SYSCALL(sched_getparam, R_INT, A_INT, A_PTR)
{
	int pid = (int)a[0];
	struct sched_param sp = {0};
	if (!a[1] || pid < 0)
		return -EINVAL;
	struct task *o = get_task(t, pid);
	if (!o)
		return -ESRCH;
	pthread_mutex_lock(&tasklist_lock);
	sp.sched_priority = o->sched.rt_priority;
	pthread_mutex_unlock(&tasklist_lock);
	put_task(t, o);
	if (mm_copy_out(t->mm, a[1], &sp, sizeof sp))
		return -EFAULT;
	return 0;
}

DEFINE_SYSCALL(sched_get_priority_max, R_INT, A_INT)
{
	int policy = (int)a[0];
	if (rt_policy(policy))
		return 99;
	return valid_policy(policy) || policy == 6 /* SCHED_DEADLINE */ ? 0 : -EINVAL;
}

DEFINE_SYSCALL(sched_get_priority_min, R_INT, A_INT)
{
	int policy = (int)a[0];
	if (rt_policy(policy))
		return 1;
	return valid_policy(policy) || policy == 6 /* SCHED_DEADLINE */ ? 0 : -EINVAL;
}

/* SCHED_RR's time slice; 0 for FIFO and for the fair policies (what Linux
 * reports for a task alone on its CPU). */
DEFINE_SYSCALL(sched_rr_get_interval, R_INT, A_INT, A_PTR)
{
	int pid = (int)a[0];
	struct timespec ts = {0, 0};
	if (pid < 0)
		return -EINVAL;
	struct task *o = get_task(t, pid);
	if (!o)
		return -ESRCH;
	pthread_mutex_lock(&tasklist_lock);
	if (o->sched.policy == SCHED_RR)
		ts.tv_nsec = RR_TIMESLICE_NS;
	pthread_mutex_unlock(&tasklist_lock);
	put_task(t, o);
	if (mm_copy_out(t->mm, a[1], &ts, sizeof ts))
		return -EFAULT;
	return 0;
}

static uint64_t task_mask(struct task *o)
{
	uint64_t m = o->sched.affinity ? o->sched.affinity : online_mask();
	return m & online_mask();
}

DEFINE_SYSCALL(sched_getaffinity, R_INT, A_INT, A_UINT, A_PTR)
{
	size_t len = a[1];
	uint64_t mask;
	/* The kernel's cpumask is one long here; len must hold every CPU id
	 * and be a multiple of the long size. */
	if (len * 8 < (size_t)ncpus || (len & (sizeof(long) - 1)))
		return -EINVAL;
	struct task *o = get_task(t, (int)a[0]);
	if (!o)
		return -ESRCH;
	pthread_mutex_lock(&tasklist_lock);
	mask = task_mask(o);
	pthread_mutex_unlock(&tasklist_lock);
	put_task(t, o);
	if (mm_copy_out(t->mm, a[2], &mask, sizeof mask))
		return -EFAULT;
	return sizeof mask;
}

DEFINE_SYSCALL(sched_setaffinity, R_INT, A_INT, A_UINT, A_PTR)
{
	uint64_t mask = 0;
	size_t len = a[1] < sizeof mask ? a[1] : sizeof mask;
	long r = 0;
	if (mm_copy_in(t->mm, &mask, a[2], len))
		return -EFAULT;
	struct task *o = get_task(t, (int)a[0]);
	if (!o)
		return -ESRCH;
	pthread_mutex_lock(&tasklist_lock);
	if (!has_nice_cap(t) && !same_owner(t, o))
		r = -EPERM;
	else if (!(mask & online_mask()))
		r = -EINVAL;
	else
		o->sched.affinity = mask & online_mask();
	pthread_mutex_unlock(&tasklist_lock);
	put_task(t, o);
	return r;
}

DEFINE_SYSCALL(sched_yield, R_INT)
{
	sched_yield();
	return 0;
}

/* The host CPU the sentry thread runs on, if the task's affinity allows
 * it; else the first CPU the task allows (where it would run on Linux). */
DEFINE_SYSCALL_SUP(getcpu, SUP_PARTIAL, R_INT, A_PTR, A_PTR, A_PTR)
{
	unsigned cpu = 0, node = 0;
	int c = sched_getcpu();
	pthread_mutex_lock(&tasklist_lock);
	uint64_t mask = task_mask(t);
	pthread_mutex_unlock(&tasklist_lock);
	if (c >= 0 && c < 64 && (mask & (1ULL << c)))
		cpu = (unsigned)c;
	else if (mask)
		cpu = (unsigned)__builtin_ctzll(mask);
	if (a[0] && mm_copy_out(t->mm, a[0], &cpu, sizeof cpu))
		return -EFAULT;
	if (a[1] && mm_copy_out(t->mm, a[1], &node, sizeof node))
		return -EFAULT;
	return 0;
}

/* ---- getpriority / setpriority ---- */

struct prio_op {
	struct task *caller;
	int which, who;
	bool set;
	int nice;     /* set: the new value; get: the lowest found */
	bool found;
	long err;     /* set: the last error, as Linux */
};

static void prio_one(struct prio_op *op, struct task *o)
{
	op->found = true;
	if (!op->set) {
		if (o->sched.nice < op->nice)
			op->nice = o->sched.nice;
		return;
	}
	if (!same_owner(op->caller, o) && !has_nice_cap(op->caller)) {
		op->err = -EPERM;
		return;
	}
	if (op->nice < o->sched.nice && !can_nice(op->caller, o, op->nice)) {
		op->err = -EACCES;
		return;
	}
	o->sched.nice = op->nice;
}

/* Every process of the sandbox: a walk of the process tree from init
 * (tasklist_lock held; orphans are reparented inside the tree). */
static void prio_walk(struct prio_op *op)
{
	struct thread_group *root = tg_lookup_locked(1), *g = root;
	while (g) {
		for (struct task *o = g->threads; o; o = o->tg_next) {
			if (o->exiting)
				continue;
			if ((op->which == PRIO_PGRP && g->pgid == op->who) ||
			    (op->which == PRIO_USER && o->cred.ruid == (uid_t)op->who))
				prio_one(op, o);
		}
		if (g->children) {
			g = g->children;
			continue;
		}
		while (g && g != root && !g->sibling)
			g = g->parent;
		g = g && g != root ? g->sibling : NULL;
	}
}

static long do_priority(struct task *t, int which, int who, bool set, int nice)
{
	struct prio_op op = {.caller = t, .which = which, .who = who, .set = set};

	op.nice = set ? (nice < -20 ? -20 : nice > 19 ? 19 : nice) : 20;
	if (which == PRIO_PROCESS) {
		struct task *o = get_task(t, who);
		if (!o)
			return -ESRCH;
		pthread_mutex_lock(&tasklist_lock);
		prio_one(&op, o);
		pthread_mutex_unlock(&tasklist_lock);
		put_task(t, o);
	} else if (which == PRIO_PGRP || which == PRIO_USER) {
		pthread_mutex_lock(&tasklist_lock);
		if (!who)
			op.who = which == PRIO_PGRP ? t->tg->pgid : (int)t->cred.ruid;
		prio_walk(&op);
		pthread_mutex_unlock(&tasklist_lock);
	} else {
		return -EINVAL;
	}
	if (!op.found)
		return -ESRCH;
	if (set)
		return op.err;
	return 20 - op.nice; /* the raw syscall's 1..40; glibc turns it back */
}

DEFINE_SYSCALL(getpriority, R_INT, A_INT, A_INT)
{
	return do_priority(t, (int)a[0], (int)a[1], false, 0);
}

DEFINE_SYSCALL(setpriority, R_INT, A_INT, A_INT, A_INT)
{
	return do_priority(t, (int)a[0], (int)a[1], true, (int)a[2]);
}
