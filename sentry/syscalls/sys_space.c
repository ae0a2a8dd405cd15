/* fallocate(2): space of gofer files, on the donated host fd. */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>

#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"

#define FALLOC_KNOWN                                                                               \
	(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE |                   \
	 FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE)

DEFINE_SYSCALL_SUP(fallocate, SUP_PARTIAL, R_INT, A_FD, A_HEX, A_INT, A_INT)
{
	int mode = (int)a[1];
	int64_t off = (int64_t)a[2], len = (int64_t)a[3];
	struct file *f = fget(t, (int)a[0]);
	long r;
	if (!f)
		return -EBADF;
	/* Linux's order: arguments, then the file's mode, then its type. */
	if (mode & ~FALLOC_KNOWN)
		r = -EOPNOTSUPP;
	else if (off < 0 || len <= 0)
		r = -EINVAL;
	else if (off > INT64_MAX - len)
		r = -EFBIG;
	else if (file_is_path(f) || (f->flags & O_ACCMODE) == O_RDONLY)
		r = -EBADF;
	else if (!f->dentry)
		r = -ESPIPE;
	else if (S_ISDIR(f->dentry->st.st_mode))
		r = -EISDIR;
	else if (!S_ISREG(f->dentry->st.st_mode))
		r = -ENODEV;
	else if (f->dentry->ops || !f->ops->host_fd || f->ops->host_fd(f) < 0)
		r = -EOPNOTSUPP; /* tmpfs and the overlay's upper layer: not yet */
	else if (fallocate(f->ops->host_fd(f), mode, off, len))
		r = -errno;
	else {
		r = 0;
		dentry_gofer_stale(f->dentry);
	}
	file_put(f);
	return r;
}
