/* Host files: the stdio fds passed into the sandbox, read and written
 * straight through, with the terminal ioctls a shell or ls needs. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/tty.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/poll.h"
#include "sentry/vfs/vfs.h"

/* priv holds the host fd; bit 32 set means it never blocks (a regular file
 * or block device), so reads and writes skip the interruptible wait. */
#define HOST_FD(f) ((int)(intptr_t)(f)->priv)
#define FD_NEVER_BLOCKS (1LL << 32)
/* The kernel's struct termios (not glibc's larger one): 4 flag words, the
 * line discipline and 19 control characters. */
#define KERNEL_TERMIOS_SIZE 36

/* Waits until the host fd is ready for events (or hung up), with the
 * task's waiter so a signal ends the wait: 0, -EAGAIN (O_NONBLOCK and not
 * ready) or -ERESTARTSYS.  The host fd itself stays blocking: its open file
 * description is shared with processes outside the sandbox. */
static int host_wait(struct file *f, short events)
{
	static const struct timespec zero;
	struct task *t = task_current();
	int fd = HOST_FD(f);

	if (((intptr_t)f->priv & FD_NEVER_BLOCKS) || !t)
		return 0;
	if (f->flags & O_NONBLOCK) {
		struct pollfd p = {.fd = fd, .events = events};
		return poll(&p, 1, 0) == 0 ? -EAGAIN : 0;
	}
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = events},
				      {.fd = waiter_host_fd(&t->waiter), .events = POLLIN}};
		int n = poll(p, p[1].fd >= 0 ? 2 : 1, -1);
		if (n < 0 && errno != EINTR)
			return 0; /* let the transfer report the error */
		if (n > 0 && p[0].revents)
			return 0;
		if (p[1].fd >= 0 && p[1].revents) {
			waiter_host_done(&t->waiter);
			/* A wake-up from elsewhere is consumed; a signal ends it. */
			if (waiter_sleep(&t->waiter, CLOCK_MONOTONIC, &zero) == -EINTR)
				return -ERESTARTSYS;
		}
	}
}

static ssize_t host_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	if (off < 0) {
		int r = host_wait(f, POLLIN);
		if (r)
			return r;
	}
	ssize_t n =
	    off >= 0 ? preadv(HOST_FD(f), iov, iovcnt, off) : readv(HOST_FD(f), iov, iovcnt);
	return n < 0 ? -errno : n;
}

static ssize_t host_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	if (off < 0) {
		int r = host_wait(f, POLLOUT);
		if (r)
			return r;
	}
	ssize_t n =
	    off >= 0 ? pwritev(HOST_FD(f), iov, iovcnt, off) : writev(HOST_FD(f), iov, iovcnt);
	if (n < 0 && errno == EPIPE && task_current())
		sig_send_task(task_current(), SIGPIPE, NULL);
	return n < 0 ? -errno : n;
}

/* Readiness comes from the host: the poller adds the fd to its host poll. */
static uint32_t host_poll(struct file *f, struct poll_table *pt, uint32_t events)
{
	if ((intptr_t)f->priv & FD_NEVER_BLOCKS)
		return DEFAULT_POLLMASK;
	poll_host(pt, HOST_FD(f), (short)events);
	return 0;
}

static int64_t host_lseek(struct file *f, int64_t off, int whence)
{
	off_t r = lseek(HOST_FD(f), off, whence);
	return r < 0 ? -errno : r;
}

static int host_fstat(struct file *f, struct stat *st)
{
	return fstat(HOST_FD(f), st) ? -errno : 0;
}

/* Runs ioctl cmd on the host fd with a size-byte argument copied in
 * (in) and/or out (out) of application memory. */
static long host_ioctl_arg(struct task *t, int fd, unsigned cmd, uint64_t arg, size_t size, bool in,
			   bool out)
{
	uint64_t buf[8] = {0};
	if (in && mm_copy_in(t->mm, buf, arg, size))
		return -EFAULT;
	if (ioctl(fd, cmd, buf) < 0)
		return -errno;
	if (out && mm_copy_out(t->mm, arg, buf, size))
		return -EFAULT;
	return 0;
}

static long host_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	int fd = HOST_FD(f);
	switch (cmd) {
	case TCGETS:
		return host_ioctl_arg(t, fd, cmd, arg, KERNEL_TERMIOS_SIZE, false, true);
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return host_ioctl_arg(t, fd, cmd, arg, KERNEL_TERMIOS_SIZE, true, false);
	case TIOCGWINSZ:
		return host_ioctl_arg(t, fd, cmd, arg, sizeof(struct winsize), false, true);
	case TIOCSWINSZ:
		return host_ioctl_arg(t, fd, cmd, arg, sizeof(struct winsize), true, false);
	case FIONREAD:
		return host_ioctl_arg(t, fd, cmd, arg, sizeof(int), false, true);
	case TIOCGPGRP:
	case TIOCSPGRP:
	case TIOCGSID:
	case TIOCSCTTY:
	case TIOCNOTTY: {
		/* Only a terminal answers; the groups themselves are the
		 * sandbox's, kept in the sentry. */
		struct termios tio;
		long r;
		if (tcgetattr(fd, &tio) < 0)
			return -ENOTTY;
		tty_jobctl_ioctl(t, cmd, arg, &r);
		return r;
	}
	}
	return -ENOTTY;
}

static int host_host_fd(struct file *f) { return HOST_FD(f); }

static void host_release(struct file *f) { close(HOST_FD(f)); }

static const struct file_ops host_ops = {
    .read = host_read,
    .write = host_write,
    .lseek = host_lseek,
    .fstat = host_fstat,
    .ioctl = host_ioctl,
    .host_fd = host_host_fd,
    .poll = host_poll,
    .release = host_release,
};

struct file *hostfile_new(int host_fd)
{
	int fl = fcntl(host_fd, F_GETFL);
	if (fl < 0)
		return NULL;
	struct file *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->refs = 1;
	f->ops = &host_ops;
	pthread_mutex_init(&f->lock, NULL);
	f->flags = fl & ~O_CLOEXEC;
	struct stat st;
	bool never_blocks = fstat(host_fd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode));
	f->priv = (void *)((intptr_t)host_fd | (never_blocks ? FD_NEVER_BLOCKS : 0));
	return f;
}
