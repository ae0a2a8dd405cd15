/* inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch. */
#include <errno.h>
#include <sys/inotify.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"

/* Every bit inotify_add_watch knows (Linux's ALL_INOTIFY_BITS). */
#define INOTIFY_BITS                                                                               \
	(IN_ALL_EVENTS | IN_UNMOUNT | IN_Q_OVERFLOW | IN_IGNORED | IN_ONLYDIR | IN_DONT_FOLLOW |   \
	 IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ISDIR | IN_ONESHOT)

static long do_init(struct task *t, int flags)
{
	if (flags & ~(IN_NONBLOCK | IN_CLOEXEC))
		return -EINVAL;
	struct file *f = inotify_new(flags & IN_NONBLOCK);
	if (!f)
		return -ENOMEM;
	int fd = fd_install(t->files, f, flags & IN_CLOEXEC, 0, nofile_limit(t));
	file_put(f);
	return fd;
}

DEFINE_SYSCALL(inotify_init, R_INT) { return do_init(t, 0); }

DEFINE_SYSCALL(inotify_init1, R_INT, A_HEX) { return do_init(t, (int)a[0]); }

/* The inotify file at fd (a reference), or -EBADF / -EINVAL. */
static long in_get(struct task *t, int fd, struct file **out)
{
	struct file *f = fget(t, fd);
	if (!f)
		return -EBADF;
	if (!file_is_inotify(f)) {
		file_put(f);
		return -EINVAL;
	}
	*out = f;
	return 0;
}

DEFINE_SYSCALL(inotify_add_watch, R_INT, A_FD, A_STR, A_HEX)
{
	uint32_t mask = (uint32_t)a[2];
	struct file *f;
	struct dentry *d;
	struct stat st;
	if ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE))
		return -EINVAL;
	if ((mask & ~INOTIFY_BITS) || !(mask & INOTIFY_BITS))
		return -EINVAL;
	long r = in_get(t, (int)a[0], &f);
	if (r)
		return r;
	int wf = ((mask & IN_DONT_FOLLOW) ? 0 : WALK_FOLLOW) | ((mask & IN_ONLYDIR) ? WALK_DIR : 0);
	r = walk_at_user(t, AT_FDCWD, a[1], wf, false, &d, NULL);
	if (!r) {
		dentry_getattr(d, &st);
		dentry_put(d);
		/* A watch reveals changes: it needs read permission. */
		r = vfs_permission(&t->cred, &st, MAY_READ);
		if (!r)
			r = inotify_watch_add(f, &st, mask);
	}
	file_put(f);
	return r;
}

DEFINE_SYSCALL(inotify_rm_watch, R_INT, A_FD, A_INT)
{
	struct file *f;
	long r = in_get(t, (int)a[0], &f);
	if (r)
		return r;
	r = inotify_watch_rm(f, (int)a[1]);
	file_put(f);
	return r;
}
