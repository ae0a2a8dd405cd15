/* The sandbox's pid namespace: the table of tasks by tid, pid allocation,
 * task references, and the init process. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "sentry/kernel/task.h"

#define PID_MAX 4194304 /* /proc/sys/kernel/pid_max on 64-bit */
#define NBUCKETS 1024

pthread_mutex_t tasklist_lock = PTHREAD_MUTEX_INITIALIZER;
struct thread_group *all_tgs; /* tasklist_lock */

static struct task *table[NBUCKETS];
static int last_pid;

struct task *task_lookup_locked(int tid)
{
	if (tid <= 0)
		return NULL;
	for (struct task *t = table[tid % NBUCKETS]; t; t = t->hash_next)
		if (t->tid == tid)
			return t;
	return NULL;
}

struct thread_group *tg_lookup_locked(int tgid)
{
	struct task *t = task_lookup_locked(tgid);
	return t && t->tg->tgid == tgid && !t->tg->reaped ? t->tg : NULL;
}

struct task *task_lookup(int tid)
{
	pthread_mutex_lock(&tasklist_lock);
	struct task *t = task_lookup_locked(tid);
	if (t)
		t->refs++;
	pthread_mutex_unlock(&tasklist_lock);
	return t;
}

/* Frees what a task owns outside the task tree.  The sentry thread that ran
 * it released mm, files, fs and ctx when it exited. */
static void task_free(struct task *t)
{
	waiter_destroy(&t->waiter);
	free(t->arch.fpu);
	for (struct sigqueue *q = t->pending.head, *n; q; q = n) {
		n = q->next;
		free(q);
	}
	free(t);
}

void task_put_locked(struct task *t)
{
	if (--t->refs == 0)
		task_free(t);
}

void task_put(struct task *t)
{
	if (!t)
		return;
	pthread_mutex_lock(&tasklist_lock);
	task_put_locked(t);
	pthread_mutex_unlock(&tasklist_lock);
}

/* The next free pid, skipping live ones and wrapping like Linux (past
 * pid_max back to 300, leaving the low numbers to early daemons). */
int pid_alloc_locked(void)
{
	for (int tries = 0; tries < PID_MAX; tries++) {
		int pid = last_pid + 1;
		if (pid >= PID_MAX)
			pid = last_pid >= 300 ? 300 : 1;
		last_pid = pid;
		if (!task_lookup_locked(pid))
			return pid;
	}
	return -EAGAIN;
}

void pid_insert_locked(struct task *t)
{
	struct task **b = &table[t->tid % NBUCKETS];
	t->hash_next = *b;
	*b = t;
	t->in_table = true;
}

void pid_remove_locked(struct task *t)
{
	if (!t->in_table)
		return;
	for (struct task **p = &table[t->tid % NBUCKETS]; *p; p = &(*p)->hash_next)
		if (*p == t) {
			*p = t->hash_next;
			break;
		}
	t->in_table = false;
}

/* A task with nothing attached yet; refs 1 for the tree. */
struct task *task_alloc(void)
{
	struct task *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	t->arch.fpu = pf_fpu_alloc();
	if (!t->arch.fpu) {
		free(t);
		return NULL;
	}
	waiter_init(&t->waiter);
	t->pending.tail = &t->pending.head;
	t->refs = 1;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	t->start_ns = (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
	return t;
}

struct thread_group *tg_alloc(void)
{
	struct thread_group *tg = calloc(1, sizeof *tg);
	if (!tg)
		return NULL;
	pthread_mutex_init(&tg->lock, NULL);
	waitq_init(&tg->child_waitq);
	tg->shared_pending.tail = &tg->shared_pending.head;
	tg->exit_signal = SIGCHLD;
	tg->refs = 1;
	return tg;
}

struct sighand *sighand_alloc(void)
{
	struct sighand *sh = calloc(1, sizeof *sh);
	if (!sh)
		return NULL;
	pthread_mutex_init(&sh->lock, NULL);
	sh->refs = 1;
	return sh;
}

struct task *task_new_init(void)
{
	struct task *t = task_alloc();
	struct thread_group *tg = tg_alloc();
	if (!t || !tg || !(tg->sighand = sighand_alloc()))
		die_msg("init task: out of memory");
	for (int r = 0; r < RLIM_NLIMITS && r < 16; r++) {
		struct rlimit rl;
		if (getrlimit(r, &rl) == 0) {
			tg->rlimits[r].cur = rl.rlim_cur;
			tg->rlimits[r].max = rl.rlim_max;
		}
	}
	pthread_mutex_lock(&tasklist_lock);
	t->tid = pid_alloc_locked();
	tg->tgid = tg->pgid = tg->sid = t->tid;
	tg->leader = t;
	tg->threads = t;
	tg->nr_threads = 1;
	tg->all_next = all_tgs;
	all_tgs = tg;
	t->tg = tg;
	pid_insert_locked(t);
	pthread_mutex_unlock(&tasklist_lock);

	/* Root inside the sandbox with every capability, as runsc's default;
	 * the supplementary groups the caller had, as runsc do keeps them. */
	t->cred.cap_effective = t->cred.cap_permitted = t->cred.cap_bounding = (1ULL << 41) - 1;
	int ng = getgroups(sizeof t->cred.groups / sizeof t->cred.groups[0], t->cred.groups);
	t->cred.ngroups = ng > 0 ? ng : 0;
	return t;
}
