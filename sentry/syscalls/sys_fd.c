/* Descriptor syscalls: dup, dup2, dup3, fcntl, ioctl, lseek, fsync,
 * fdatasync, syncfs. */
#include <errno.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sentry/fs/pipe/pipe.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"

DEFINE_SYSCALL(dup, R_INT, A_FD)
{
	struct file *f = fget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	long r = fd_install(t->files, f, false, 0, nofile_limit(t));
	file_put(f);
	return r;
}

static long do_dup3(struct task *t, int oldfd, int newfd, int flags)
{
	struct file *f = fget(t, oldfd);
	if (!f)
		return -EBADF;
	long r = fd_install_at(t->files, newfd, f, flags & O_CLOEXEC, nofile_limit(t));
	file_put(f);
	return r;
}

DEFINE_SYSCALL(dup2, R_INT, A_FD, A_FD)
{
	int oldfd = (int)a[0], newfd = (int)a[1];
	if (oldfd == newfd) {
		struct file *f = fget(t, oldfd);
		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return do_dup3(t, oldfd, newfd, 0);
}

DEFINE_SYSCALL(dup3, R_INT, A_FD, A_FD, A_HEX)
{
	int flags = (int)a[2];
	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if ((int)a[0] == (int)a[1])
		return -EINVAL;
	return do_dup3(t, (int)a[0], (int)a[1], flags);
}

/* Status flags F_SETFL may change (as Linux's SETFL_MASK). */
#define SETFL_MASK (O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME)

DEFINE_SYSCALL_SUP(fcntl, SUP_PARTIAL, R_INT, A_FD, A_INT, A_HEX)
{
	int fd = (int)a[0], cmd = (int)a[1];
	struct file *f = fget(t, fd);
	long r;
	if (!f)
		return -EBADF;
	/* An O_PATH descriptor only answers the descriptor-level commands. */
	if (file_is_path(f) && cmd != F_DUPFD && cmd != F_DUPFD_CLOEXEC && cmd != F_GETFD &&
	    cmd != F_SETFD && cmd != F_GETFL) {
		file_put(f);
		return -EBADF;
	}
	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC: {
		long min = (long)(int)a[2];
		if (min < 0 || min >= nofile_limit(t))
			r = -EINVAL;
		else
			r = fd_install(t->files, f, cmd == F_DUPFD_CLOEXEC, (int)min,
				       nofile_limit(t));
		break;
	}
	case F_GETFD:
		r = fd_get_cloexec(t->files, fd);
		if (r > 0)
			r = FD_CLOEXEC;
		break;
	case F_SETFD:
		r = fd_set_cloexec(t->files, fd, a[2] & FD_CLOEXEC);
		break;
	case F_GETFL:
		r = f->flags;
		break;
	case F_SETFL:
		pthread_mutex_lock(&f->lock);
		f->flags = (f->flags & ~SETFL_MASK) | ((int)a[2] & SETFL_MASK);
		pthread_mutex_unlock(&f->lock);
		r = 0;
		break;
	case F_SETLK:
	case F_SETLKW:
	case F_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
	case F_OFD_GETLK:
		r = fcntl_lock(t, f, cmd, a[2]);
		break;
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
		r = pipe_fcntl(f, t, cmd, a[2]);
		break;
	case F_ADD_SEALS: /* memfd and tmpfs files (sentry/fs/tmpfs/memfd.c) */
		r = tmpfs_add_seals(f, (unsigned)a[2]);
		break;
	case F_GET_SEALS:
		r = tmpfs_get_seals(f);
		break;
	default:
		r = -EINVAL;
	}
	file_put(f);
	return r;
}

DEFINE_SYSCALL_SUP(ioctl, SUP_PARTIAL, R_INT, A_FD, A_HEX, A_HEX)
{
	int fd = (int)a[0];
	unsigned cmd = (unsigned)a[1];
	struct file *f = fget(t, fd);
	long r;
	if (!f)
		return -EBADF;
	if (file_is_path(f)) {
		file_put(f);
		return -EBADF;
	}
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		r = fd_set_cloexec(t->files, fd, cmd == FIOCLEX);
		break;
	case FIONBIO: {
		int on;
		if (mm_copy_in(t->mm, &on, a[2], sizeof on)) {
			r = -EFAULT;
			break;
		}
		pthread_mutex_lock(&f->lock);
		f->flags = on ? f->flags | O_NONBLOCK : f->flags & ~O_NONBLOCK;
		pthread_mutex_unlock(&f->lock);
		r = 0;
		break;
	}
	default:
		r = f->ops->ioctl ? f->ops->ioctl(f, t, cmd, a[2]) : -ENOTTY;
	}
	file_put(f);
	return r;
}

DEFINE_SYSCALL(lseek, R_INT, A_FD, A_INT, A_INT)
{
	unsigned whence = (unsigned)a[2];
	struct file *f = fget(t, (int)a[0]);
	long r;
	if (!f)
		return -EBADF;
	if (file_is_path(f))
		r = -EBADF;
	else if (whence > SEEK_HOLE)
		r = -EINVAL;
	else if (!f->ops->lseek)
		r = -ESPIPE;
	else
		r = f->ops->lseek(f, (int64_t)a[1], (int)whence);
	file_put(f);
	return r;
}

/* Gofer files flush their donated host fd (a no-op for read-only ones);
 * host files (stdio) flush on the host, which gives EINVAL for ttys and
 * pipes as Linux does. */
static long do_fsync(struct task *t, int fd, bool data)
{
	struct file *f = fget(t, fd);
	long r = 0;
	if (!f)
		return -EBADF;
	if (file_is_path(f))
		r = -EBADF;
	else if (f->ops->host_fd && f->ops->host_fd(f) >= 0)
		r = (data ? fdatasync(f->ops->host_fd(f)) : fsync(f->ops->host_fd(f))) ? -errno : 0;
	file_put(f);
	return r;
}

DEFINE_SYSCALL(fsync, R_INT, A_FD) { return do_fsync(t, (int)a[0], false); }

DEFINE_SYSCALL(fdatasync, R_INT, A_FD) { return do_fsync(t, (int)a[0], true); }

DEFINE_SYSCALL(syncfs, R_INT, A_FD)
{
	struct file *f = fget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

DEFINE_SYSCALL(sync, R_INT) { return 0; }
