/* eventfd and eventfd2: a new eventfd counter installed as a descriptor. */
#include <errno.h>
#include <sys/eventfd.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"

static long do_eventfd(struct task *t, unsigned initval, int flags)
{
	if (flags & ~(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC))
		return -EINVAL;
	struct file *f = eventfd_new(initval, flags);
	if (!f)
		return -ENOMEM;
	int fd = fd_install(t->files, f, flags & EFD_CLOEXEC, 0, nofile_limit(t));
	file_put(f);
	return fd;
}

DEFINE_SYSCALL(eventfd, R_INT, A_UINT) { return do_eventfd(t, (unsigned)a[0], 0); }

DEFINE_SYSCALL(eventfd2, R_INT, A_UINT, A_HEX) { return do_eventfd(t, (unsigned)a[0], (int)a[1]); }
