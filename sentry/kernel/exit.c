/* Leaving: thread exit, process exit (zombie, reparenting, notifying the
 * parent), reaping, and the end of the sandbox when init exits. */
#include <linux/futex.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "sentry/ipc/ipc.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/fork.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/kernel/timers.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"

/* Linux's robust-list walk limit (ROBUST_LIST_LIMIT). */
#define ROBUST_MAX 2048

struct robust_head {
	uint64_t next;
	int64_t futex_offset;
	uint64_t pending;
};

/* A lock word the dying thread owns: mark it OWNER_DIED and wake a waiter
 * so the next locker sees EOWNERDEAD. */
static void robust_release(struct task *t, uint64_t uaddr)
{
	uint32_t v;
	if (mm_copy_in(t->mm, &v, uaddr, 4) || (v & FUTEX_TID_MASK) != (uint32_t)t->tid)
		return;
	uint32_t nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
	if (mm_copy_out(t->mm, uaddr, &nv, 4))
		return;
	if (v & FUTEX_WAITERS)
		futex_wake_private(t, uaddr, 1);
}

static void robust_list_exit(struct task *t)
{
	struct robust_head h;
	if (!t->robust_list || mm_copy_in(t->mm, &h, t->robust_list, sizeof h))
		return;
	uint64_t e = h.next;
	for (int i = 0; i < ROBUST_MAX && e && e != t->robust_list; i++) {
		uint64_t next;
		if (mm_copy_in(t->mm, &next, e & ~1ULL, 8))
			break;
		if ((e & ~1ULL) != h.pending)
			robust_release(t, (e & ~1ULL) + (uint64_t)h.futex_offset);
		e = next;
	}
	if (h.pending)
		robust_release(t, (h.pending & ~1ULL) + (uint64_t)h.futex_offset);
}

/* The thread-side cleanup the application can observe. */
static void exit_user_state(struct task *t)
{
	if (!t->mm)
		return;
	robust_list_exit(t);
	if (t->clear_child_tid) {
		uint32_t zero = 0;
		if (!mm_copy_out(t->mm, t->clear_child_tid, &zero, 4))
			futex_wake_private(t, t->clear_child_tid, 1);
	}
}

/* The ancestor that adopts orphans: the nearest live subreaper, else init. */
static struct thread_group *find_reaper(struct thread_group *tg)
{
	for (struct thread_group *p = tg->parent; p; p = p->parent)
		if (p->subreaper && !p->zombie && !p->group_exit)
			return p;
	struct thread_group *init = tg_lookup_locked(1);
	return init && init != tg && !init->zombie ? init : NULL;
}

static void unlink_child(struct thread_group *parent, struct thread_group *child)
{
	for (struct thread_group **pp = &parent->children; *pp; pp = &(*pp)->sibling)
		if (*pp == child) {
			*pp = child->sibling;
			break;
		}
	child->sibling = NULL;
}

static void reparent_children_locked(struct thread_group *tg)
{
	struct thread_group *reaper = find_reaper(tg);
	while (tg->children) {
		struct thread_group *c = tg->children;
		tg->children = c->sibling;
		c->sibling = NULL;
		c->parent = reaper;
		if (!reaper) {
			/* No one can wait for it: nothing to keep. */
			if (c->zombie)
				tg_reap_locked(NULL, c);
			continue;
		}
		c->sibling = reaper->children;
		reaper->children = c;
		if (c->zombie)
			sig_notify_parent_locked(c, (c->exit_status & 0x7f) ? CLD_KILLED : CLD_EXITED,
						 (c->exit_status & 0x7f) ?: (c->exit_status >> 8) & 0xff);
	}
}

void sighand_put(struct sighand *sh)
{
	if (--sh->refs == 0) {
		pthread_mutex_destroy(&sh->lock);
		free(sh);
	}
}

static void free_pending(struct sigpending *p)
{
	for (struct sigqueue *q = p->head, *n; q; q = n) {
		n = q->next;
		free(q);
	}
	p->head = NULL;
	p->tail = &p->head;
	p->set = 0;
}

void tg_reap_locked(struct thread_group *parent, struct thread_group *child)
{
	if (parent) {
		unlink_child(parent, child);
		pthread_mutex_lock(&parent->lock);
		parent->cutime_ns += child->utime_ns + child->cutime_ns;
		parent->cstime_ns += child->stime_ns + child->cstime_ns;
		if (child->maxrss_kb > parent->cmaxrss_kb)
			parent->cmaxrss_kb = child->maxrss_kb;
		pthread_mutex_unlock(&parent->lock);
	}
	child->reaped = true;
	for (struct thread_group **pp = &all_tgs; *pp; pp = &(*pp)->all_next)
		if (*pp == child) {
			*pp = child->all_next;
			break;
		}
	struct task *leader = child->leader;
	pid_remove_locked(leader);
	child->leader = NULL;
	child->threads = NULL;
	free_pending(&child->shared_pending);
	sighand_put(child->sighand);
	child->sighand = NULL;
	task_put_locked(leader);
	if (--child->refs == 0)
		free(child);
}

static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t init_cond = PTHREAD_COND_INITIALIZER;
static bool init_done;
static int init_status;

void sandbox_wait_init_exit(int *status)
{
	pthread_mutex_lock(&init_lock);
	while (!init_done)
		pthread_cond_wait(&init_cond, &init_lock);
	*status = init_status;
	pthread_mutex_unlock(&init_lock);
}

/* The last thread of tg has exited (tasklist_lock held). */
static void process_exit_locked(struct thread_group *tg)
{
	pthread_mutex_lock(&tg->sighand->lock);
	int status = tg->group_exit ? tg->exit_status : tg->leader->exit_code;
	tg->exit_status = status;
	tg->group_exit = true;
	tg->stopped = false;
	pthread_mutex_unlock(&tg->sighand->lock);
	timers_exit(tg);

	reparent_children_locked(tg);
	if (tg->tgid == 1) {
		/* init is gone: like a pid namespace, the sandbox ends.  The
		 * sentry's exit takes every other task and stub with it. */
		pthread_mutex_lock(&init_lock);
		init_done = true;
		init_status = status;
		pthread_cond_broadcast(&init_cond);
		pthread_mutex_unlock(&init_lock);
		tg->zombie = true;
		return;
	}
	struct thread_group *p = tg->parent;
	bool autoreap = false;
	if (p && tg->exit_signal == SIGCHLD) {
		struct k_sigaction *a = &p->sighand->action[SIGCHLD - 1];
		autoreap = a->handler == (uint64_t)SIG_IGN || (a->flags & SA_NOCLDWAIT);
	}
	tg->zombie = true;
	if (!p || autoreap) {
		if (p)
			waitq_wake(&p->child_waitq, ~0u);
		tg_reap_locked(p, tg);
		return;
	}
	int sig = status & 0x7f;
	sig_notify_parent_locked(tg, sig ? CLD_KILLED : CLD_EXITED, sig ?: (status >> 8) & 0xff);
}

void task_exit_thread(struct task *t)
{
	struct thread_group *tg = t->tg;
	int pdeath[64], npdeath = 0;
	struct task *pdeath_t[64];

	exit_user_state(t);
	if (t->vfork_done)
		vfork_complete(t);
	if (t->ctx) {
		pf->ctx_free(t->ctx);
		t->ctx = NULL;
	}
	/* /proc readers take references to these under tasklist_lock: detach
	 * them there, release them outside it. */
	pthread_mutex_lock(&tasklist_lock);
	struct mm *mm = t->mm;
	struct fdtable *files = t->files;
	struct fs_ctx *fs = t->fs;
	t->mm = NULL;
	t->files = NULL;
	t->fs = NULL;
	pthread_mutex_unlock(&tasklist_lock);
	mm_put(mm);
	fdtable_put(files);
	fs_ctx_put(fs);

	pthread_mutex_lock(&tasklist_lock);
	pthread_mutex_lock(&tg->sighand->lock);
	t->exiting = true;
	if (tg->stopped && !t->stop_participated && --tg->stop_count <= 0) {
		tg->stop_report = true;
		sig_notify_parent_locked(tg, CLD_STOPPED, tg->stop_sig);
	}
	free_pending(&t->pending);
	pthread_mutex_unlock(&tg->sighand->lock);
	/* A process nobody waits for (a parent ignoring SIGCHLD, or an exec'd
	 * process with no parent) is reaped inside process_exit_locked: that
	 * frees the leader, maybe t itself, and drops the group's reference.
	 * Decide what t is first, and keep tg until we are done with it. */
	bool leader = t == tg->leader;
	tg->refs++;
	tg->nr_threads--;
	if (tg->nr_threads == 0) {
		/* Children with a parent-death signal hear of it first. */
		for (struct thread_group *c = tg->children; c; c = c->sibling)
			for (struct task *x = c->threads; x && npdeath < 64; x = x->tg_next)
				if (x->pdeath_signal && !x->exiting) {
					x->refs++;
					pdeath_t[npdeath] = x;
					pdeath[npdeath++] = x->pdeath_signal;
				}
		/* SEM_UNDO before the parent can see the exit (Linux's
		 * exit_sem comes before exit_notify). */
		ipc_sem_exit(tg);
		process_exit_locked(tg);
	}
	if (!leader) {
		for (struct task **pp = &tg->threads; *pp; pp = &(*pp)->tg_next)
			if (*pp == t) {
				*pp = t->tg_next;
				break;
			}
		pid_remove_locked(t);
		task_put_locked(t);
	}
	if (--tg->refs == 0)
		free(tg);
	pthread_mutex_unlock(&tasklist_lock);
	for (int i = 0; i < npdeath; i++) {
		sig_send_task(pdeath_t[i], pdeath[i], NULL);
		task_put(pdeath_t[i]);
	}
}

int task_de_thread(struct task *t)
{
	struct thread_group *tg = t->tg;
	pthread_mutex_lock(&tasklist_lock);
	pthread_mutex_lock(&tg->sighand->lock);
	if (tg->group_exit) {
		pthread_mutex_unlock(&tg->sighand->lock);
		pthread_mutex_unlock(&tasklist_lock);
		return -EINTR;
	}
	for (struct task *x = tg->threads; x; x = x->tg_next)
		if (x != t && !x->exiting) {
			x->exiting = true;
			task_kick(x);
		}
	pthread_mutex_unlock(&tg->sighand->lock);
	/* Wait for the others to finish leaving (they may be deep in a
	 * sentry call; the kick ends any sleep). */
	while (tg->nr_threads > 1) {
		pthread_mutex_unlock(&tasklist_lock);
		struct timespec ts = {0, 200000};
		nanosleep(&ts, NULL);
		pthread_mutex_lock(&tasklist_lock);
	}
	struct task *old = tg->leader;
	if (old != t) {
		/* The exec'ing thread becomes the leader and takes its pid. */
		pid_remove_locked(old);
		pid_remove_locked(t);
		for (struct task **pp = &tg->threads; *pp; pp = &(*pp)->tg_next)
			if (*pp == old) {
				*pp = old->tg_next;
				break;
			}
		old->tid = t->tid;
		t->tid = tg->tgid;
		tg->leader = t;
		pid_insert_locked(t);
		task_put_locked(old);
	}
	pthread_mutex_unlock(&tasklist_lock);
	return 0;
}
