/* System V semaphore sets: atomic semop with blocking, timeouts and
 * SEM_UNDO adjustments applied when a process exits. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/stat.h>

#include "sentry/ipc/internal.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

/* Linux's defaults (include/uapi/linux/sem.h). */
#define SEMMSL_K 32000
#define SEMMNI_K 32000
#define SEMMNS_K (SEMMNI_K * SEMMSL_K)
#define SEMOPM_K 500
#define SEMVMX_K 32767
#define SEMAEM_K SEMVMX_K

struct sem {
	unsigned short val;
	pid_t pid;
	int ncnt, zcnt; /* tasks sleeping for an increase / for zero */
};

struct sem_set {
	struct ipc_obj perm;
	int nsems;
	struct sem *sems;
	time_t otime;
	bool removed;
	int sleepers; /* tasks holding s while asleep (free when removed) */
	struct waitq wq;
};

/* A process's SEM_UNDO adjustments for one set (not inherited by fork). */
struct sem_undo {
	struct sem_undo *next;
	const struct thread_group *owner;
	int semid;
	short adj[];
};

static pthread_mutex_t sem_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ipc_ids sem_ids = {.limit = SEMMNI_K};
static struct sem_undo *undo_list;
static long sem_total; /* semaphores in all sets (SEM_INFO) */

static void undo_drop_set(int semid)
{
	for (struct sem_undo **p = &undo_list; *p;) {
		struct sem_undo *u = *p;
		if (u->semid == semid) {
			*p = u->next;
			free(u);
		} else {
			p = &u->next;
		}
	}
}

static struct sem_undo *undo_find(const struct thread_group *tg, int semid)
{
	for (struct sem_undo *u = undo_list; u; u = u->next)
		if (u->owner == tg && u->semid == semid)
			return u;
	return NULL;
}

static void set_free(struct sem_set *s)
{
	free(s->sems);
	free(s);
}

/* ---- semget ---- */

static struct ipc_obj *sem_create(const struct cred *c, key_t key, int flg, void *arg, long *err)
{
	int nsems = *(int *)arg;
	if (nsems <= 0 || nsems > SEMMSL_K) {
		*err = -EINVAL;
		return NULL;
	}
	if (sem_total + nsems > SEMMNS_K) {
		*err = -ENOSPC;
		return NULL;
	}
	struct sem_set *s = calloc(1, sizeof *s);
	if (!s || !(s->sems = calloc((size_t)nsems, sizeof *s->sems))) {
		free(s);
		*err = -ENOMEM;
		return NULL;
	}
	int r = ipc_add(&sem_ids, &s->perm, c, key, flg);
	if (r) {
		set_free(s);
		*err = r;
		return NULL;
	}
	s->nsems = nsems;
	waitq_init(&s->wq);
	sem_total += nsems;
	return &s->perm;
}

static int sem_check(struct ipc_obj *o, void *arg)
{
	return *(int *)arg > ((struct sem_set *)o)->nsems ? -EINVAL : 0;
}

long ipc_semget(struct task *t, const uint64_t *a)
{
	int nsems = (int)a[1];
	if (nsems < 0 || nsems > SEMMSL_K)
		return -EINVAL;
	return ipc_get(&sem_ids, &sem_lock, &t->cred, (key_t)a[0], (int)a[2], sem_create, sem_check,
		       &nsems);
}

/* ---- semop ---- */

/* Tries sops atomically.  0: applied; 1: would block on sops[*blk];
 * -ERANGE.  Nothing changes unless it returns 0. */
static int try_ops(struct sem_set *s, const struct sembuf *sops, int nsops, struct sem_undo *u,
		   pid_t pid, int *blk)
{
	int vals[SEMOPM_K];
	for (int i = 0; i < nsops; i++)
		vals[i] = -1;
	/* Work on a copy so that a later op that blocks undoes nothing. */
	for (int i = 0; i < nsops; i++) {
		const struct sembuf *op = &sops[i];
		int cur = s->sems[op->sem_num].val;
		for (int j = i - 1; j >= 0; j--)
			if (sops[j].sem_num == op->sem_num) {
				cur = vals[j];
				break;
			}
		if (op->sem_op == 0) {
			if (cur) {
				*blk = i;
				return 1;
			}
		} else if (cur + op->sem_op < 0) {
			*blk = i;
			return 1;
		} else if (cur + op->sem_op > SEMVMX_K) {
			return -ERANGE;
		}
		vals[i] = cur + op->sem_op;
		if (op->sem_op && (op->sem_flg & SEM_UNDO)) {
			int adj = u->adj[op->sem_num];
			for (int j = 0; j < i; j++)
				if (sops[j].sem_num == op->sem_num && (sops[j].sem_flg & SEM_UNDO))
					adj -= sops[j].sem_op;
			adj -= op->sem_op;
			if (adj < -SEMAEM_K - 1 || adj > SEMAEM_K)
				return -ERANGE;
		}
	}
	for (int i = 0; i < nsops; i++) {
		const struct sembuf *op = &sops[i];
		s->sems[op->sem_num].val = (unsigned short)vals[i];
		s->sems[op->sem_num].pid = pid;
		if (op->sem_op && (op->sem_flg & SEM_UNDO))
			u->adj[op->sem_num] -= op->sem_op;
	}
	s->otime = ipc_now();
	return 0;
}

long ipc_semtimedop(struct task *t, const uint64_t *a, bool timed)
{
	int id = (int)a[0];
	long nsops = (long)a[2];
	struct sembuf sops[SEMOPM_K];
	struct timespec deadline, *dl = NULL;
	if (nsops < 1 || id < 0)
		return -EINVAL;
	if (nsops > SEMOPM_K)
		return -E2BIG;
	if (mm_copy_in(t->mm, sops, a[1], sizeof sops[0] * (size_t)nsops))
		return -EFAULT;
	if (timed && a[3]) {
		struct timespec rel;
		if (mm_copy_in(t->mm, &rel, a[3], sizeof rel))
			return -EFAULT;
		if (rel.tv_sec < 0 || rel.tv_nsec < 0 || rel.tv_nsec >= 1000000000L)
			return -EINVAL;
		deadline_after(CLOCK_MONOTONIC, &rel, &deadline);
		dl = &deadline;
	}
	int max = 0;
	bool alter = false, undo = false;
	for (long i = 0; i < nsops; i++) {
		if (sops[i].sem_num > max)
			max = sops[i].sem_num;
		if (sops[i].sem_op)
			alter = true;
		if (sops[i].sem_flg & SEM_UNDO)
			undo = true;
	}

	long r;
	pid_t pid = t->tg->tgid;
	pthread_mutex_lock(&sem_lock);
	struct sem_set *s = (struct sem_set *)ipc_find_id(&sem_ids, id);
	if (!s) {
		r = -EINVAL;
		goto out;
	}
	if (max >= s->nsems) {
		r = -EFBIG;
		goto out;
	}
	if ((r = ipc_perm(&t->cred, &s->perm, alter ? S_IWUSR : S_IRUSR)))
		goto out;
	struct sem_undo *u = NULL;
	if (undo && !(u = undo_find(t->tg, id))) {
		u = calloc(1, sizeof *u + sizeof(short) * (size_t)s->nsems);
		if (!u) {
			r = -ENOMEM;
			goto out;
		}
		u->owner = t->tg;
		u->semid = id;
		u->next = undo_list;
		undo_list = u;
	}
	for (;;) {
		int blk;
		r = try_ops(s, sops, (int)nsops, u, pid, &blk);
		if (r == 0) {
			waitq_wake(&s->wq, ~0u);
			break;
		}
		if (r < 0)
			break;
		if (sops[blk].sem_flg & IPC_NOWAIT) {
			r = -EAGAIN;
			break;
		}
		struct sem *sem = &s->sems[sops[blk].sem_num];
		int *cnt = sops[blk].sem_op ? &sem->ncnt : &sem->zcnt;
		struct waitq_entry e;
		(*cnt)++;
		s->sleepers++;
		waitq_add(&s->wq, &e, &t->waiter, ~0u);
		pthread_mutex_unlock(&sem_lock);
		int w = waiter_sleep(&t->waiter, CLOCK_MONOTONIC, dl);
		waitq_del(&s->wq, &e);
		pthread_mutex_lock(&sem_lock);
		s->sleepers--;
		if (s->removed) {
			if (!s->sleepers)
				set_free(s);
			r = -EIDRM;
			break;
		}
		(*cnt)--;
		/* semop is never restarted (signal(7)), not even after a stop. */
		if (w == -EINTR) {
			r = -EINTR;
			break;
		}
		if (w == -ETIMEDOUT) {
			r = try_ops(s, sops, (int)nsops, u, pid, &blk);
			if (r == 0)
				waitq_wake(&s->wq, ~0u);
			else if (r > 0)
				r = -EAGAIN;
			break;
		}
	}
out:
	pthread_mutex_unlock(&sem_lock);
	return r;
}

void ipc_sem_exit(struct thread_group *tg)
{
	pthread_mutex_lock(&sem_lock);
	for (struct sem_undo **p = &undo_list; *p;) {
		struct sem_undo *u = *p;
		if (u->owner != tg) {
			p = &u->next;
			continue;
		}
		*p = u->next;
		struct sem_set *s = (struct sem_set *)ipc_find_id(&sem_ids, u->semid);
		if (s) {
			bool changed = false;
			for (int i = 0; i < s->nsems; i++) {
				if (!u->adj[i])
					continue;
				/* Linux clamps rather than blocking or failing. */
				int v = s->sems[i].val + u->adj[i];
				if (v < 0)
					v = 0;
				if (v > SEMVMX_K)
					v = SEMVMX_K;
				s->sems[i].val = (unsigned short)v;
				s->sems[i].pid = tg->tgid;
				changed = true;
			}
			if (changed)
				waitq_wake(&s->wq, ~0u);
		}
		free(u);
	}
	pthread_mutex_unlock(&sem_lock);
}

/* ---- semctl ---- */

static void sem_fill(const struct sem_set *s, struct semid_ds *ds)
{
	memset(ds, 0, sizeof *ds);
	ipc_fill_perm(&s->perm, &ds->sem_perm);
	ds->sem_otime = s->otime;
	ds->sem_ctime = s->perm.ctime;
	ds->sem_nsems = (unsigned long)s->nsems;
}

/* SETVAL and SETALL reset every process's adjustment of what they set. */
static void undo_clear(int semid, int semnum)
{
	for (struct sem_undo *u = undo_list; u; u = u->next)
		if (u->semid == semid)
			u->adj[semnum] = 0;
}

static void sem_rmid(struct sem_set *s)
{
	ipc_remove(&sem_ids, &s->perm);
	undo_drop_set(s->perm.id);
	sem_total -= s->nsems;
	s->removed = true;
	waitq_wake(&s->wq, ~0u);
	if (!s->sleepers)
		set_free(s);
}

long ipc_semctl(struct task *t, const uint64_t *a)
{
	int id = (int)a[0], semnum = (int)a[1], cmd = IPC_CMD(a[2]);
	uint64_t arg = a[3];
	struct semid_ds ds;
	unsigned short *vals = NULL;
	long r = 0;

	switch (cmd) {
	case IPC_INFO:
	case SEM_INFO: {
		struct seminfo si = {
		    .semmap = SEMMNS_K,
		    .semmni = SEMMNI_K,
		    .semmns = SEMMNS_K,
		    .semmnu = SEMMNS_K,
		    .semmsl = SEMMSL_K,
		    .semopm = SEMOPM_K,
		    .semume = SEMOPM_K,
		    .semusz = 20,
		    .semvmx = SEMVMX_K,
		    .semaem = SEMAEM_K,
		};
		pthread_mutex_lock(&sem_lock);
		if (cmd == SEM_INFO) {
			si.semusz = sem_ids.in_use;
			si.semaem = (int)sem_total;
		}
		r = sem_ids.max_used ? sem_ids.max_used - 1 : 0;
		pthread_mutex_unlock(&sem_lock);
		return mm_copy_out(t->mm, arg, &si, sizeof si) ?: r;
	}
	case IPC_SET:
		if (mm_copy_in(t->mm, &ds, arg, sizeof ds))
			return -EFAULT;
		break;
	case IPC_STAT:
	case SEM_STAT:
	case SEM_STAT_ANY:
	case IPC_RMID:
	case GETVAL:
	case GETPID:
	case GETNCNT:
	case GETZCNT:
	case SETVAL:
	case GETALL:
	case SETALL:
		break;
	default:
		return -EINVAL;
	}

	int nsems = 0;
	if (cmd == SETALL || cmd == GETALL) {
		/* The set's size is needed before the copy, which may not
		 * happen under sem_lock (mm_* calls take mm->lock). */
		pthread_mutex_lock(&sem_lock);
		struct sem_set *s = (struct sem_set *)ipc_find_id(&sem_ids, id);
		nsems = s ? s->nsems : 0;
		pthread_mutex_unlock(&sem_lock);
		if (!s)
			return -EINVAL;
		if (!(vals = calloc((size_t)nsems, sizeof *vals)))
			return -ENOMEM;
		if (cmd == SETALL) {
			if (mm_copy_in(t->mm, vals, arg, sizeof *vals * (size_t)nsems)) {
				free(vals);
				return -EFAULT;
			}
			for (int i = 0; i < nsems; i++)
				if (vals[i] > SEMVMX_K) {
					free(vals);
					return -ERANGE;
				}
		}
	}

	pthread_mutex_lock(&sem_lock);
	struct sem_set *s;
	if (cmd == SEM_STAT || cmd == SEM_STAT_ANY)
		s = id >= 0 && id < IPC_SLOTS_MAX ? (struct sem_set *)sem_ids.slot[id] : NULL;
	else
		s = (struct sem_set *)ipc_find_id(&sem_ids, id);
	if (!s || ((cmd == SETALL || cmd == GETALL) && s->nsems != nsems)) {
		r = -EINVAL; /* gone, or replaced by a set of another size */
		goto out;
	}
	bool one = cmd == GETVAL || cmd == GETPID || cmd == GETNCNT || cmd == GETZCNT ||
		   cmd == SETVAL;
	if (one && (semnum < 0 || semnum >= s->nsems)) {
		r = -EINVAL;
		goto out;
	}
	switch (cmd) {
	case IPC_STAT:
	case SEM_STAT:
	case SEM_STAT_ANY:
		if (cmd != SEM_STAT_ANY && (r = ipc_perm(&t->cred, &s->perm, S_IRUSR)))
			break;
		sem_fill(s, &ds);
		r = cmd == IPC_STAT ? 0 : s->perm.id;
		break;
	case IPC_SET:
		if ((r = ipc_owner(&t->cred, &s->perm)))
			break;
		ipc_set_perm(&s->perm, &ds.sem_perm);
		break;
	case IPC_RMID:
		if ((r = ipc_owner(&t->cred, &s->perm)))
			break;
		sem_rmid(s);
		break;
	case GETVAL:
	case GETPID:
	case GETNCNT:
	case GETZCNT:
		if ((r = ipc_perm(&t->cred, &s->perm, S_IRUSR)))
			break;
		struct sem *m = &s->sems[semnum];
		r = cmd == GETVAL ? m->val : cmd == GETPID ? m->pid : cmd == GETNCNT ? m->ncnt
										 : m->zcnt;
		break;
	case GETALL:
		if ((r = ipc_perm(&t->cred, &s->perm, S_IRUSR)))
			break;
		for (int i = 0; i < nsems; i++)
			vals[i] = s->sems[i].val;
		break;
	case SETVAL: {
		int v = (int)arg; /* union semun passes val in the low word */
		if ((r = ipc_perm(&t->cred, &s->perm, S_IWUSR)))
			break;
		if (v < 0 || v > SEMVMX_K) {
			r = -ERANGE;
			break;
		}
		s->sems[semnum].val = (unsigned short)v;
		s->sems[semnum].pid = t->tg->tgid;
		undo_clear(id, semnum);
		s->perm.ctime = ipc_now();
		waitq_wake(&s->wq, ~0u);
		break;
	}
	case SETALL:
		if ((r = ipc_perm(&t->cred, &s->perm, S_IWUSR)))
			break;
		for (int i = 0; i < nsems; i++) {
			s->sems[i].val = vals[i];
			s->sems[i].pid = t->tg->tgid;
			undo_clear(id, i);
		}
		s->perm.ctime = ipc_now();
		waitq_wake(&s->wq, ~0u);
		break;
	}
out:
	pthread_mutex_unlock(&sem_lock);
	if (r >= 0 && (cmd == IPC_STAT || cmd == SEM_STAT || cmd == SEM_STAT_ANY) &&
	    mm_copy_out(t->mm, arg, &ds, sizeof ds))
		r = -EFAULT;
	if (r >= 0 && cmd == GETALL && mm_copy_out(t->mm, arg, vals, sizeof *vals * (size_t)nsems))
		r = -EFAULT;
	free(vals);
	return r;
}
