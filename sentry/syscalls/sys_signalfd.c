/* signalfd and signalfd4: create a signalfd or change an existing one's
 * mask. */
#include <errno.h>
#include <sys/signalfd.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"

static long do_signalfd(struct task *t, int fd, uint64_t umask, uint64_t size, int flags)
{
	uint64_t mask;
	if (flags & ~(SFD_NONBLOCK | SFD_CLOEXEC))
		return -EINVAL;
	if (size != sizeof mask)
		return -EINVAL;
	if (mm_copy_in(t->mm, &mask, umask, sizeof mask))
		return -EFAULT;
	if (fd != -1) {
		struct file *f = fget(t, fd);
		if (!f)
			return -EBADF;
		long r = 0;
		if (file_is_signalfd(f))
			signalfd_set_mask(f, mask);
		else
			r = -EINVAL;
		file_put(f);
		return r ? r : fd;
	}
	struct file *f = signalfd_new(mask, flags);
	if (!f)
		return -ENOMEM;
	int nfd = fd_install(t->files, f, flags & SFD_CLOEXEC, 0, nofile_limit(t));
	file_put(f);
	return nfd;
}

DEFINE_SYSCALL(signalfd, R_INT, A_FD, A_PTR, A_UINT)
{
	return do_signalfd(t, (int)a[0], a[1], a[2], 0);
}

DEFINE_SYSCALL(signalfd4, R_INT, A_FD, A_PTR, A_UINT, A_HEX)
{
	return do_signalfd(t, (int)a[0], a[1], a[2], (int)a[3]);
}
