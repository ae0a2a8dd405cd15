/* System V message queues: typed messages, selective receive, byte limits
 * with blocking senders. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/stat.h>

#include "sentry/ipc/internal.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

/* Linux's defaults (include/uapi/linux/msg.h). */
#define MSGMAX_K 8192
#define MSGMNB_K 16384
#define MSGMNI_K 32000
#define CAP_SYS_RESOURCE 24

struct msg {
	struct msg *next;
	long type;
	size_t len;
	char text[];
};

struct msg_queue {
	struct ipc_obj perm;
	struct msg *head, **tail;
	unsigned long cbytes, qnum, qbytes;
	time_t stime, rtime;
	pid_t lspid, lrpid;
	bool removed;
	int sleepers;
	struct waitq wq;
};

static pthread_mutex_t msg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ipc_ids msg_ids = {.limit = MSGMNI_K};
static unsigned long msg_total_bytes, msg_total_count; /* MSG_INFO */

static void queue_free(struct msg_queue *q)
{
	while (q->head) {
		struct msg *m = q->head;
		q->head = m->next;
		free(m);
	}
	free(q);
}

static struct ipc_obj *msg_create(const struct cred *c, key_t key, int flg, void *arg, long *err)
{
	struct msg_queue *q = calloc(1, sizeof *q);
	if (!q) {
		*err = -ENOMEM;
		return NULL;
	}
	int r = ipc_add(&msg_ids, &q->perm, c, key, flg);
	if (r) {
		free(q);
		*err = r;
		return NULL;
	}
	q->tail = &q->head;
	q->qbytes = MSGMNB_K;
	waitq_init(&q->wq);
	return &q->perm;
}

static int msg_check(struct ipc_obj *o, void *arg) { return 0; }

long ipc_msgget(struct task *t, const uint64_t *a)
{
	return ipc_get(&msg_ids, &msg_lock, &t->cred, (key_t)a[0], (int)a[1], msg_create, msg_check,
		       NULL);
}

/* Sleeps on q (msg_lock held, dropped meanwhile).  0 to retry, or the
 * errno: EIDRM (q freed if last), or the restart code. */
static long queue_sleep(struct msg_queue *q, struct task *t)
{
	struct waitq_entry e;
	q->sleepers++;
	waitq_add(&q->wq, &e, &t->waiter, ~0u);
	pthread_mutex_unlock(&msg_lock);
	int w = waiter_sleep(&t->waiter, CLOCK_MONOTONIC, NULL);
	waitq_del(&q->wq, &e);
	pthread_mutex_lock(&msg_lock);
	q->sleepers--;
	if (q->removed) {
		if (!q->sleepers)
			queue_free(q);
		return -EIDRM;
	}
	return w == -EINTR ? -ERESTARTNOHAND : 0;
}

long ipc_msgsnd(struct task *t, const uint64_t *a)
{
	int id = (int)a[0], flg = (int)a[3];
	long sz = (long)a[2];
	long type;
	if (sz < 0 || sz > MSGMAX_K)
		return -EINVAL;
	if (mm_copy_in(t->mm, &type, a[1], sizeof type))
		return -EFAULT;
	if (type < 1)
		return -EINVAL;
	struct msg *m = malloc(sizeof *m + (size_t)sz);
	if (!m)
		return -ENOMEM;
	m->next = NULL;
	m->type = type;
	m->len = (size_t)sz;
	if (mm_copy_in(t->mm, m->text, a[1] + sizeof type, (size_t)sz)) {
		free(m);
		return -EFAULT;
	}
	long r;
	pthread_mutex_lock(&msg_lock);
	for (;;) {
		struct msg_queue *q = (struct msg_queue *)ipc_find_id(&msg_ids, id);
		if (!q) {
			r = -EINVAL;
			break;
		}
		if ((r = ipc_perm(&t->cred, &q->perm, S_IWUSR)))
			break;
		/* Linux counts a message against qbytes also by number, so
		 * that empty messages cannot grow a queue without bound. */
		if (m->len + q->cbytes <= q->qbytes && q->qnum + 1 <= q->qbytes) {
			*q->tail = m;
			q->tail = &m->next;
			q->cbytes += m->len;
			q->qnum++;
			q->lspid = t->tg->tgid;
			q->stime = ipc_now();
			msg_total_bytes += m->len;
			msg_total_count++;
			m = NULL;
			waitq_wake(&q->wq, ~0u);
			r = 0;
			break;
		}
		if (flg & IPC_NOWAIT) {
			r = -EAGAIN;
			break;
		}
		if ((r = queue_sleep(q, t)))
			break;
	}
	pthread_mutex_unlock(&msg_lock);
	free(m);
	return r;
}

/* The message msgrcv(type, flg) takes, and the link pointing at it. */
static struct msg **find_msg(struct msg_queue *q, long type, int flg)
{
	struct msg **best = NULL;
	for (struct msg **p = &q->head; *p; p = &(*p)->next) {
		long mt = (*p)->type;
		if (type == 0)
			return p;
		if (type > 0) {
			if ((flg & MSG_EXCEPT) ? mt != type : mt == type)
				return p;
		} else if (mt <= -type && (!best || mt < (*best)->type)) {
			best = p;
		}
	}
	return best;
}

long ipc_msgrcv(struct task *t, const uint64_t *a)
{
	int id = (int)a[0], flg = (int)a[4];
	long sz = (long)a[2], type = (long)a[3];
	if (sz < 0)
		return -EINVAL;
	if ((flg & MSG_COPY) && (!(flg & IPC_NOWAIT) || (flg & MSG_EXCEPT)))
		return -EINVAL;
	struct msg *m = NULL;
	long r;
	pthread_mutex_lock(&msg_lock);
	for (;;) {
		struct msg_queue *q = (struct msg_queue *)ipc_find_id(&msg_ids, id);
		if (!q) {
			r = -EINVAL;
			break;
		}
		if ((r = ipc_perm(&t->cred, &q->perm, S_IRUSR)))
			break;
		if (flg & MSG_COPY) {
			/* type is the position; the message stays queued. */
			struct msg *x = q->head;
			for (long i = 0; x && i < type; i++)
				x = x->next;
			r = -ENOMSG;
			if (x && type >= 0) {
				r = 0;
				if (x->len > (size_t)sz && !(flg & MSG_NOERROR))
					r = -E2BIG;
				else if ((m = malloc(sizeof *m + x->len)))
					memcpy(m, x, sizeof *m + x->len);
				else
					r = -ENOMEM;
			}
			break;
		}
		struct msg **p = find_msg(q, type, flg);
		if (p) {
			if ((*p)->len > (size_t)sz && !(flg & MSG_NOERROR)) {
				r = -E2BIG;
				break;
			}
			m = *p;
			*p = m->next;
			if (!*p)
				q->tail = p;
			q->cbytes -= m->len;
			q->qnum--;
			q->lrpid = t->tg->tgid;
			q->rtime = ipc_now();
			msg_total_bytes -= m->len;
			msg_total_count--;
			waitq_wake(&q->wq, ~0u);
			r = 0;
			break;
		}
		if (flg & IPC_NOWAIT) {
			r = -ENOMSG;
			break;
		}
		if ((r = queue_sleep(q, t)))
			break;
	}
	pthread_mutex_unlock(&msg_lock);
	if (!m)
		return r;
	/* Linux too has already dequeued a message it then fails to copy. */
	size_t n = m->len < (size_t)sz ? m->len : (size_t)sz;
	if (mm_copy_out(t->mm, a[1], &m->type, sizeof m->type) ||
	    mm_copy_out(t->mm, a[1] + sizeof m->type, m->text, n))
		r = -EFAULT;
	else
		r = (long)n;
	free(m);
	return r;
}

static void msq_fill(const struct msg_queue *q, struct msqid_ds *ds)
{
	memset(ds, 0, sizeof *ds);
	ipc_fill_perm(&q->perm, &ds->msg_perm);
	ds->msg_stime = q->stime;
	ds->msg_rtime = q->rtime;
	ds->msg_ctime = q->perm.ctime;
	ds->__msg_cbytes = q->cbytes;
	ds->msg_qnum = q->qnum;
	ds->msg_qbytes = q->qbytes;
	ds->msg_lspid = q->lspid;
	ds->msg_lrpid = q->lrpid;
}

long ipc_msgctl(struct task *t, const uint64_t *a)
{
	int id = (int)a[0], cmd = IPC_CMD(a[1]);
	uint64_t ubuf = a[2];
	struct msqid_ds ds;
	long r = 0;

	switch (cmd) {
	case IPC_INFO:
	case MSG_INFO: {
		struct msginfo mi = {
		    .msgpool = MSGMNI_K * MSGMNB_K / 1024,
		    .msgmap = MSGMNB_K,
		    .msgmax = MSGMAX_K,
		    .msgmnb = MSGMNB_K,
		    .msgmni = MSGMNI_K,
		    .msgssz = 16,
		    .msgtql = MSGMNB_K,
		    .msgseg = 0xffff,
		};
		pthread_mutex_lock(&msg_lock);
		if (cmd == MSG_INFO) {
			mi.msgpool = msg_ids.in_use;
			mi.msgmap = (int)msg_total_count;
			mi.msgtql = (int)msg_total_bytes;
		}
		r = msg_ids.max_used ? msg_ids.max_used - 1 : 0;
		pthread_mutex_unlock(&msg_lock);
		return mm_copy_out(t->mm, ubuf, &mi, sizeof mi) ?: r;
	}
	case IPC_SET:
		if (mm_copy_in(t->mm, &ds, ubuf, sizeof ds))
			return -EFAULT;
		break;
	case IPC_STAT:
	case MSG_STAT:
	case MSG_STAT_ANY:
	case IPC_RMID:
		break;
	default:
		return -EINVAL;
	}

	pthread_mutex_lock(&msg_lock);
	struct msg_queue *q;
	if (cmd == MSG_STAT || cmd == MSG_STAT_ANY)
		q = id >= 0 && id < IPC_SLOTS_MAX ? (struct msg_queue *)msg_ids.slot[id] : NULL;
	else
		q = (struct msg_queue *)ipc_find_id(&msg_ids, id);
	if (!q) {
		r = -EINVAL;
		goto out;
	}
	switch (cmd) {
	case IPC_STAT:
	case MSG_STAT:
	case MSG_STAT_ANY:
		if (cmd != MSG_STAT_ANY && (r = ipc_perm(&t->cred, &q->perm, S_IRUSR)))
			break;
		msq_fill(q, &ds);
		r = cmd == IPC_STAT ? 0 : q->perm.id;
		break;
	case IPC_SET:
		if ((r = ipc_owner(&t->cred, &q->perm)))
			break;
		if (ds.msg_qbytes > MSGMNB_K && !cred_capable(&t->cred, CAP_SYS_RESOURCE)) {
			r = -EPERM;
			break;
		}
		ipc_set_perm(&q->perm, &ds.msg_perm);
		q->qbytes = ds.msg_qbytes;
		waitq_wake(&q->wq, ~0u); /* senders may fit now */
		break;
	case IPC_RMID:
		if ((r = ipc_owner(&t->cred, &q->perm)))
			break;
		ipc_remove(&msg_ids, &q->perm);
		msg_total_bytes -= q->cbytes;
		msg_total_count -= q->qnum;
		q->removed = true;
		waitq_wake(&q->wq, ~0u);
		if (!q->sleepers)
			queue_free(q);
		break;
	}
out:
	pthread_mutex_unlock(&msg_lock);
	if (r >= 0 && (cmd == IPC_STAT || cmd == MSG_STAT || cmd == MSG_STAT_ANY) &&
	    mm_copy_out(t->mm, ubuf, &ds, sizeof ds))
		return -EFAULT;
	return r;
}
