/* pipe and pipe2: a new sentry pipe's two ends installed as descriptors. */
#include <errno.h>
#include <fcntl.h>

#include "sentry/fs/pipe/pipe.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"

static long do_pipe2(struct task *t, uint64_t ufds, int flags)
{
	struct file *rd, *wr;
	int fds[2];

	/* O_NOTIFICATION_PIPE (watch queues) is not offered: EINVAL as on a
	 * kernel built without it. */
	if (flags & ~(O_CLOEXEC | O_NONBLOCK | O_DIRECT))
		return -EINVAL;
	int r = pipe_create(t, flags, &rd, &wr);
	if (r)
		return r;
	bool cloexec = flags & O_CLOEXEC;
	fds[0] = fd_install(t->files, rd, cloexec, 0, nofile_limit(t));
	fds[1] = fds[0] < 0 ? -1 : fd_install(t->files, wr, cloexec, 0, nofile_limit(t));
	file_put(rd);
	file_put(wr);
	if (fds[1] < 0) {
		r = fds[0] < 0 ? fds[0] : fds[1];
		if (fds[0] >= 0)
			fd_close(t->files, fds[0]);
		return r;
	}
	if (mm_copy_out(t->mm, ufds, fds, sizeof fds)) {
		fd_close(t->files, fds[0]);
		fd_close(t->files, fds[1]);
		return -EFAULT;
	}
	return 0;
}

DEFINE_SYSCALL(pipe, R_INT, A_PTR) { return do_pipe2(t, a[0], 0); }

DEFINE_SYSCALL(pipe2, R_INT, A_PTR, A_HEX) { return do_pipe2(t, a[0], (int)a[1]); }
