/* POSIX message queues: named queues of prioritised messages, opened as
 * file descriptors that poll and epoll understand. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/ipc/ipc.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/poll.h"
#include "sentry/vfs/vfs.h"

/* Linux's /proc/sys/fs/mqueue defaults, and the hard caps that
 * CAP_SYS_RESOURCE may go up to. */
#define MQ_MAXMSG_DEF 10
#define MQ_MSGSIZE_DEF 8192
#define MQ_MAXMSG_HARD 65536
#define MQ_MSGSIZE_HARD (16 << 20)
#define MQ_PRIO_MAX_K 32768
#define CAP_DAC_OVERRIDE 1
#define CAP_FOWNER 3
#define CAP_SYS_RESOURCE 24

struct mq_msg {
	struct mq_msg *next;
	unsigned prio;
	size_t len;
	char data[];
};

struct mq {
	struct mq *next; /* the name table (linked) */
	char name[NAME_MAX + 1];
	uid_t uid;
	gid_t gid;
	mode_t mode;
	long maxmsg, msgsize, curmsgs;
	struct mq_msg *msgs; /* highest priority first, FIFO within one */
	bool linked;
	int refs; /* open files */
	int receivers; /* tasks asleep in receive (notification is skipped) */
	pid_t notify_tgid; /* 0: none */
	struct sigevent notify;
	struct waitq wq;
};

static pthread_mutex_t mq_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mq *mq_table;

static const struct file_ops mq_ops;

static void mq_free(struct mq *q)
{
	while (q->msgs) {
		struct mq_msg *m = q->msgs;
		q->msgs = m->next;
		free(m);
	}
	free(q);
}

static struct mq *mq_find(const char *name)
{
	for (struct mq *q = mq_table; q; q = q->next)
		if (!strcmp(q->name, name))
			return q;
	return NULL;
}

static void mq_unlink_locked(struct mq *q)
{
	for (struct mq **p = &mq_table; *p; p = &(*p)->next)
		if (*p == q) {
			*p = q->next;
			break;
		}
	q->linked = false;
}

/* Permission bits of q for c (fs ids, as for a file): 0 or -EACCES. */
static int mq_perm(const struct cred *c, const struct mq *q, int want)
{
	unsigned m = q->mode;
	if (c->fsuid == q->uid)
		m >>= 6;
	else if (cred_in_group(c, q->gid))
		m >>= 3;
	if ((want & ~m & 7) && !cred_capable(c, CAP_DAC_OVERRIDE))
		return -EACCES;
	return 0;
}

/* The queue's name from the application: glibc passes it without the
 * leading slash. */
static long name_in(struct task *t, uint64_t uname, char name[NAME_MAX + 1])
{
	long l = mm_strncpy_in(t->mm, name, uname, NAME_MAX + 1);
	if (l < 0)
		return l;
	if (!l)
		return -ENOENT;
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EACCES;
	return 0;
}

long ipc_mq_open(struct task *t, const uint64_t *a)
{
	char name[NAME_MAX + 1];
	int oflag = (int)a[1];
	mode_t mode = (mode_t)a[2];
	long r = name_in(t, a[0], name);
	if (r)
		return r;
	int acc = oflag & O_ACCMODE;
	if (acc == O_ACCMODE)
		return -EINVAL;
	struct mq_attr attr = {.mq_maxmsg = MQ_MAXMSG_DEF, .mq_msgsize = MQ_MSGSIZE_DEF};
	if ((oflag & O_CREAT) && a[3]) {
		if (mm_copy_in(t->mm, &attr, a[3], sizeof attr))
			return -EFAULT;
		if (attr.mq_maxmsg <= 0 || attr.mq_msgsize <= 0)
			return -EINVAL;
		if (attr.mq_maxmsg > MQ_MAXMSG_HARD || attr.mq_msgsize > MQ_MSGSIZE_HARD)
			return -EINVAL;
		if ((attr.mq_maxmsg > MQ_MAXMSG_DEF || attr.mq_msgsize > MQ_MSGSIZE_DEF) &&
		    !cred_capable(&t->cred, CAP_SYS_RESOURCE))
			return -EINVAL;
	}
	pthread_mutex_lock(&t->fs->lock);
	mode_t umask = t->fs->umask;
	pthread_mutex_unlock(&t->fs->lock);

	pthread_mutex_lock(&mq_lock);
	struct mq *q = mq_find(name);
	if (q) {
		if ((oflag & O_CREAT) && (oflag & O_EXCL))
			r = -EEXIST;
		else
			r = mq_perm(&t->cred, q,
				    acc == O_RDONLY ? 4 : acc == O_WRONLY ? 2 : 6);
	} else if (!(oflag & O_CREAT)) {
		r = -ENOENT;
	} else if (!(q = calloc(1, sizeof *q))) {
		r = -ENOMEM;
	} else {
		strcpy(q->name, name);
		q->uid = t->cred.fsuid;
		q->gid = t->cred.fsgid;
		q->mode = mode & ~umask & 0777;
		q->maxmsg = attr.mq_maxmsg;
		q->msgsize = attr.mq_msgsize;
		q->linked = true;
		waitq_init(&q->wq);
		q->next = mq_table;
		mq_table = q;
	}
	if (!r)
		q->refs++;
	pthread_mutex_unlock(&mq_lock);
	if (r)
		return r;
	struct file *f = file_new(&mq_ops, oflag & (O_ACCMODE | O_NONBLOCK), NULL, q);
	if (!f) {
		pthread_mutex_lock(&mq_lock);
		if (!--q->refs && !q->linked)
			mq_free(q);
		pthread_mutex_unlock(&mq_lock);
		return -ENOMEM;
	}
	int fd = fd_install(t->files, f, oflag & O_CLOEXEC, 0, nofile_limit(t));
	file_put(f);
	return fd;
}

long ipc_mq_unlink(struct task *t, const uint64_t *a)
{
	char name[NAME_MAX + 1];
	long r = name_in(t, a[0], name);
	if (r)
		return r;
	pthread_mutex_lock(&mq_lock);
	struct mq *q = mq_find(name);
	if (!q) {
		r = -ENOENT;
	} else if (t->cred.fsuid != q->uid && !cred_capable(&t->cred, CAP_FOWNER)) {
		r = -EACCES; /* /dev/mqueue is sticky */
	} else {
		mq_unlink_locked(q);
		if (!q->refs)
			mq_free(q);
	}
	pthread_mutex_unlock(&mq_lock);
	return r;
}

/* The queue behind fd, a new file reference in *fp: -EBADF if fd is not
 * a queue or lacks the access (want: O_RDONLY or O_WRONLY). */
static struct mq *mq_fget(struct task *t, int fd, int want, struct file **fp)
{
	struct file *f = fget(t, fd);
	if (!f)
		return NULL;
	int acc = f->flags & O_ACCMODE;
	if (f->ops != &mq_ops || (want == O_RDONLY && acc == O_WRONLY) ||
	    (want == O_WRONLY && acc == O_RDONLY)) {
		file_put(f);
		return NULL;
	}
	*fp = f;
	return f->priv;
}

static int abs_timeout_in(struct task *t, uint64_t u, struct timespec *ts)
{
	if (mm_copy_in(t->mm, ts, u, sizeof *ts))
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= 1000000000L)
		return -EINVAL;
	return 0;
}

/* Sends the registered notification (called unlocked): tgid, ev. */
static void mq_fire(pid_t tgid, const struct sigevent *ev, struct task *sender)
{
	if (ev->sigev_notify != SIGEV_SIGNAL || !ev->sigev_signo)
		return;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = ev->sigev_signo;
	si.si_code = SI_MESGQ;
	si.si_value = ev->sigev_value;
	si.si_pid = sender->tg->tgid;
	si.si_uid = sender->cred.ruid;
	pthread_mutex_lock(&tasklist_lock);
	struct thread_group *tg = tg_lookup_locked(tgid);
	if (tg)
		tg->refs++;
	pthread_mutex_unlock(&tasklist_lock);
	if (!tg)
		return;
	sig_send_tg(tg, ev->sigev_signo, &si);
	pthread_mutex_lock(&tasklist_lock);
	if (--tg->refs == 0)
		free(tg);
	pthread_mutex_unlock(&tasklist_lock);
}

long ipc_mq_timedsend(struct task *t, const uint64_t *a)
{
	size_t len = a[2];
	unsigned prio = (unsigned)a[3];
	struct timespec ts, *dl = NULL;
	struct file *f;
	struct mq *q = mq_fget(t, (int)a[0], O_WRONLY, &f);
	if (!q)
		return -EBADF;
	long r = 0;
	struct mq_msg *m = NULL;
	if (prio >= MQ_PRIO_MAX_K)
		r = -EINVAL;
	else if (a[4] && !(r = abs_timeout_in(t, a[4], &ts)))
		dl = &ts;
	if (!r && len > (size_t)q->msgsize)
		r = -EMSGSIZE;
	if (!r && !(m = malloc(sizeof *m + len)))
		r = -ENOMEM;
	if (!r && mm_copy_in(t->mm, m->data, a[1], len))
		r = -EFAULT;
	if (r) {
		free(m);
		file_put(f);
		return r;
	}
	m->prio = prio;
	m->len = len;
	pid_t ntgid = 0;
	struct sigevent nev;
	pthread_mutex_lock(&mq_lock);
	for (;;) {
		if (q->curmsgs < q->maxmsg) {
			struct mq_msg **p = &q->msgs;
			while (*p && (*p)->prio >= prio)
				p = &(*p)->next;
			m->next = *p;
			*p = m;
			/* Notification: a message into an empty queue that no
			 * receiver is waiting for; it is then unregistered. */
			if (!q->curmsgs++ && q->notify_tgid && !q->receivers) {
				ntgid = q->notify_tgid;
				nev = q->notify;
				q->notify_tgid = 0;
			}
			waitq_wake(&q->wq, POLLIN | POLLRDNORM);
			m = NULL;
			r = 0;
			break;
		}
		if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		struct waitq_entry e;
		waitq_add(&q->wq, &e, &t->waiter, POLLOUT | POLLWRNORM);
		pthread_mutex_unlock(&mq_lock);
		int w = waiter_sleep(&t->waiter, CLOCK_REALTIME, dl);
		waitq_del(&q->wq, &e);
		pthread_mutex_lock(&mq_lock);
		if (w == -EINTR) {
			r = -ERESTARTSYS;
			break;
		}
		if (w == -ETIMEDOUT && q->curmsgs >= q->maxmsg) {
			r = -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&mq_lock);
	free(m);
	file_put(f);
	if (ntgid)
		mq_fire(ntgid, &nev, t);
	return r;
}

long ipc_mq_timedreceive(struct task *t, const uint64_t *a)
{
	size_t len = a[2];
	struct timespec ts, *dl = NULL;
	struct file *f;
	struct mq *q = mq_fget(t, (int)a[0], O_RDONLY, &f);
	if (!q)
		return -EBADF;
	long r = 0;
	if (a[4] && !(r = abs_timeout_in(t, a[4], &ts)))
		dl = &ts;
	if (!r && len < (size_t)q->msgsize)
		r = -EMSGSIZE;
	if (r) {
		file_put(f);
		return r;
	}
	struct mq_msg *m = NULL;
	pthread_mutex_lock(&mq_lock);
	for (;;) {
		if (q->msgs) {
			m = q->msgs;
			q->msgs = m->next;
			q->curmsgs--;
			waitq_wake(&q->wq, POLLOUT | POLLWRNORM);
			break;
		}
		if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		struct waitq_entry e;
		waitq_add(&q->wq, &e, &t->waiter, POLLIN | POLLRDNORM);
		q->receivers++;
		pthread_mutex_unlock(&mq_lock);
		int w = waiter_sleep(&t->waiter, CLOCK_REALTIME, dl);
		waitq_del(&q->wq, &e);
		pthread_mutex_lock(&mq_lock);
		q->receivers--;
		if (w == -EINTR) {
			r = -ERESTARTSYS;
			break;
		}
		if (w == -ETIMEDOUT && !q->msgs) {
			r = -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&mq_lock);
	file_put(f);
	if (!m)
		return r;
	/* Linux too has taken a message it then fails to copy out. */
	if (mm_copy_out(t->mm, a[1], m->data, m->len) ||
	    (a[3] && mm_copy_out(t->mm, a[3], &m->prio, sizeof m->prio)))
		r = -EFAULT;
	else
		r = (long)m->len;
	free(m);
	return r;
}

/* SUP_PARTIAL in the table: SIGEV_THREAD is refused (EINVAL); glibc's
 * SIGEV_THREAD needs a netlink socket, which it cannot open here anyway. */
long ipc_mq_notify(struct task *t, const uint64_t *a)
{
	struct sigevent ev;
	if (a[1]) {
		if (mm_copy_in(t->mm, &ev, a[1], sizeof ev))
			return -EFAULT;
		if (ev.sigev_notify != SIGEV_NONE && ev.sigev_notify != SIGEV_SIGNAL)
			return -EINVAL;
		if (ev.sigev_notify == SIGEV_SIGNAL &&
		    (ev.sigev_signo < 0 || ev.sigev_signo > 64))
			return -EINVAL;
	}
	struct file *f;
	struct mq *q = mq_fget(t, (int)a[0], -1, &f);
	if (!q)
		return -EBADF;
	long r = 0;
	pid_t me = t->tg->tgid;
	pthread_mutex_lock(&mq_lock);
	if (!a[1]) {
		if (q->notify_tgid == me)
			q->notify_tgid = 0;
	} else if (q->notify_tgid) {
		r = -EBUSY;
	} else {
		q->notify_tgid = me;
		q->notify = ev;
	}
	pthread_mutex_unlock(&mq_lock);
	file_put(f);
	return r;
}

long ipc_mq_getsetattr(struct task *t, const uint64_t *a)
{
	struct mq_attr nattr, old;
	if (a[1]) {
		if (mm_copy_in(t->mm, &nattr, a[1], sizeof nattr))
			return -EFAULT;
		if (nattr.mq_flags & ~(long)O_NONBLOCK)
			return -EINVAL;
	}
	struct file *f;
	struct mq *q = mq_fget(t, (int)a[0], -1, &f);
	if (!q)
		return -EBADF;
	memset(&old, 0, sizeof old);
	pthread_mutex_lock(&mq_lock);
	old.mq_maxmsg = q->maxmsg;
	old.mq_msgsize = q->msgsize;
	old.mq_curmsgs = q->curmsgs;
	pthread_mutex_unlock(&mq_lock);
	pthread_mutex_lock(&f->lock);
	old.mq_flags = f->flags & O_NONBLOCK;
	if (a[1])
		f->flags = (f->flags & ~O_NONBLOCK) | (int)(nattr.mq_flags & O_NONBLOCK);
	pthread_mutex_unlock(&f->lock);
	file_put(f);
	if (a[2] && mm_copy_out(t->mm, a[2], &old, sizeof old))
		return -EFAULT;
	return 0;
}

static uint32_t mq_poll(struct file *f, struct poll_table *pt, uint32_t events)
{
	struct mq *q = f->priv;
	uint32_t m = 0;
	pthread_mutex_lock(&mq_lock);
	poll_wait(pt, &q->wq, events);
	if (q->curmsgs)
		m |= POLLIN | POLLRDNORM;
	if (q->curmsgs < q->maxmsg)
		m |= POLLOUT | POLLWRNORM;
	pthread_mutex_unlock(&mq_lock);
	return m;
}

static void mq_release(struct file *f)
{
	struct mq *q = f->priv;
	struct task *t = task_current();
	pthread_mutex_lock(&mq_lock);
	/* Closing a descriptor drops the closer's registration (Linux does
	 * so on every close; here on the last close of this open). */
	if (t && q->notify_tgid == t->tg->tgid)
		q->notify_tgid = 0;
	if (!--q->refs && !q->linked)
		mq_free(q);
	pthread_mutex_unlock(&mq_lock);
}

static const struct file_ops mq_ops = {
    .fstat = anon_fstat,
    .poll = mq_poll,
    .release = mq_release,
    .proc_name = "/dev/mqueue",
};
