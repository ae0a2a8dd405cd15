/* File lock syscalls: flock(2) and the record-lock commands of fcntl(2)
 * (F_SETLK, F_SETLKW, F_GETLK and their F_OFD_ forms), sleeping on the
 * task's waiter while sentry/vfs/lock.c says a lock is taken. */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>

#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/lock.h"

static void lock_wake(struct lock_sleeper *s) { waiter_wake(s->arg); }

/* Sleeps until s is woken: 0, or -ERESTARTSYS (s dequeued) when a signal
 * comes first, so SA_RESTART restarts the call as Linux does. */
static long lock_wait(struct task *t, struct lock_sleeper *s)
{
	if (waiter_sleep(&t->waiter, CLOCK_MONOTONIC, NULL) == -EINTR) {
		lock_sleeper_cancel(s);
		return -ERESTARTSYS;
	}
	return 0;
}

DEFINE_SYSCALL(flock, R_INT, A_FD, A_HEX)
{
	int op = (int)a[1], cmd = op & ~LOCK_NB;
	struct lock_sleeper s = {.wake = lock_wake, .arg = &t->waiter};
	struct file *f = fget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	long r;
	if (file_is_path(f))
		r = -EBADF;
	else if (cmd != LOCK_SH && cmd != LOCK_EX && cmd != LOCK_UN)
		r = -EINVAL;
	else
		while ((r = lock_flock(f, cmd, (op & LOCK_NB) ? NULL : &s)) == LOCK_SLEEP &&
		       !(r = lock_wait(t, &s)))
			;
	file_put(f);
	return r;
}

/* The byte range fl names in f, as [*start, *end]: -EINVAL for a bad
 * whence or a start before 0, -EOVERFLOW past the largest offset. */
static long lock_range(struct file *f, const struct flock *fl, int64_t *start, int64_t *end)
{
	int64_t base;
	switch (fl->l_whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		pthread_mutex_lock(&f->lock);
		base = f->pos;
		pthread_mutex_unlock(&f->lock);
		break;
	case SEEK_END: {
		struct stat st = {0};
		if (f->dentry)
			dentry_getattr(f->dentry, &st);
		else if (f->ops->fstat)
			f->ops->fstat(f, &st);
		base = st.st_size;
		break;
	}
	default:
		return -EINVAL;
	}
	int64_t s;
	if (__builtin_add_overflow(base, (int64_t)fl->l_start, &s))
		return -EOVERFLOW;
	if (s < 0)
		return -EINVAL;
	int64_t len = fl->l_len;
	if (len > 0) {
		if (__builtin_add_overflow(s, len - 1, end))
			return -EOVERFLOW;
	} else if (len < 0) {
		*end = s - 1;
		s += len;
		if (s < 0)
			return -EINVAL;
	} else {
		*end = LOCK_OFFSET_MAX;
	}
	*start = s;
	return 0;
}

long fcntl_lock(struct task *t, struct file *f, int cmd, uint64_t arg)
{
	struct flock fl;
	int64_t start, end;
	bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	void *owner = ofd ? (void *)f : (void *)t->files;
	if (mm_copy_in(t->mm, &fl, arg, sizeof fl))
		return -EFAULT;
	if (ofd && fl.l_pid != 0)
		return -EINVAL;
	long r = lock_range(f, &fl, &start, &end);
	if (r)
		return r;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		int otype, opid;
		int64_t os, oe;
		if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK)
			return -EINVAL;
		if (lock_record_get(f, owner, fl.l_type, start, end, &otype, &os, &oe, &opid)) {
			fl.l_type = (short)otype;
			fl.l_whence = SEEK_SET;
			fl.l_start = os;
			fl.l_len = oe == LOCK_OFFSET_MAX ? 0 : oe - os + 1;
			fl.l_pid = opid;
		} else {
			fl.l_type = F_UNLCK;
		}
		return mm_copy_out(t->mm, arg, &fl, sizeof fl) ? -EFAULT : 0;
	}
	int acc = f->flags & O_ACCMODE;
	if (fl.l_type == F_RDLCK && acc == O_WRONLY)
		return -EBADF;
	if (fl.l_type == F_WRLCK && acc == O_RDONLY)
		return -EBADF;
	if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && fl.l_type != F_UNLCK)
		return -EINVAL;
	bool wait = cmd == F_SETLKW || cmd == F_OFD_SETLKW;
	struct lock_sleeper s = {.wake = lock_wake, .arg = &t->waiter};
	while ((r = lock_record_set(f, owner, ofd, t->tg->tgid, fl.l_type, start, end,
				    wait ? &s : NULL)) == LOCK_SLEEP &&
	       !(r = lock_wait(t, &s)))
		;
	return r;
}
