/* The character devices of /dev: null, zero, full, random, urandom, and
 * tty and console, which open a terminal that already exists. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sentry/fs/dev/dev.h"
#include "sentry/fs/dev/internal.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/iov.h"
#include "sentry/vfs/vfs.h"

static int host_tty_fd = -1;

void devfs_host_tty_init(void)
{
	if (isatty(0))
		host_tty_fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
}

static ssize_t null_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	return 0;
}

static ssize_t sink_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	return (ssize_t)iov_total(iov, iovcnt);
}

static ssize_t full_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	return iov_total(iov, iovcnt) ? -ENOSPC : 0;
}

static ssize_t zero_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	for (int i = 0; i < iovcnt; i++)
		memset(iov[i].iov_base, 0, iov[i].iov_len);
	return (ssize_t)iov_total(iov, iovcnt);
}

static ssize_t random_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	ssize_t done = 0;
	for (int i = 0; i < iovcnt; i++) {
		size_t got = 0;
		while (got < iov[i].iov_len) {
			ssize_t n = getrandom((char *)iov[i].iov_base + got, iov[i].iov_len - got, 0);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return done ? done : -errno;
			}
			got += (size_t)n;
		}
		done += (ssize_t)got;
	}
	return done;
}

/* The devices have no position: Linux's null and zero lseek to 0. */
static int64_t dev_lseek(struct file *f, int64_t off, int whence) { return 0; }

static int dev_fstat(struct file *f, struct stat *st)
{
	dentry_getattr(f->dentry, st);
	return 0;
}

static const struct file_ops null_ops = {
    .read = null_read, .write = sink_write, .lseek = dev_lseek, .fstat = dev_fstat};
static const struct file_ops zero_ops = {
    .read = zero_read, .write = sink_write, .lseek = dev_lseek, .fstat = dev_fstat};
static const struct file_ops full_ops = {
    .read = zero_read, .write = full_write, .lseek = dev_lseek, .fstat = dev_fstat};
static const struct file_ops random_ops = {
    .read = random_read, .write = sink_write, .lseek = dev_lseek, .fstat = dev_fstat};

static int open_ops(struct dentry *d, int flags, const struct file_ops *ops, struct file **out)
{
	struct file *f = file_new(ops, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY), d, NULL);
	if (!f)
		return -ENOMEM;
	*out = f;
	return 0;
}

static int open_null(struct dentry *d, int flags, struct file **out)
{
	return open_ops(d, flags, &null_ops, out);
}
static int open_zero(struct dentry *d, int flags, struct file **out)
{
	return open_ops(d, flags, &zero_ops, out);
}
static int open_full(struct dentry *d, int flags, struct file **out)
{
	return open_ops(d, flags, &full_ops, out);
}
static int open_random(struct dentry *d, int flags, struct file **out)
{
	return open_ops(d, flags, &random_ops, out);
}

/* A new host file on the host terminal, with the opener's O_NONBLOCK
 * (kept in the sentry: the host fd's own flags are shared outside). */
static int open_host_tty(int flags, struct file **out)
{
	if (host_tty_fd < 0)
		return -ENXIO;
	int h = fcntl(host_tty_fd, F_DUPFD_CLOEXEC, 3);
	if (h < 0)
		return -errno;
	struct file *f = hostfile_new(h);
	if (!f) {
		close(h);
		return -ENOMEM;
	}
	f->flags = (f->flags & ~O_NONBLOCK) | (flags & O_NONBLOCK);
	*out = f;
	return 0;
}

/* /dev/tty: the caller's controlling terminal (ENXIO without one). */
static int open_tty(struct dentry *d, int flags, struct file **out)
{
	struct task *t = task_current();
	bool host = false;
	struct tty_ctl *c = t ? tty_current(t, &host) : NULL;
	if (c)
		return pty_open_ctty(c, d, flags, out);
	return host ? open_host_tty(flags, out) : -ENXIO;
}

/* /dev/console: the host terminal the sandbox was started on, if any. */
static int open_console(struct dentry *d, int flags, struct file **out)
{
	return open_host_tty(flags, out);
}

const struct devnode devfs_nodes[] = {
    {"null", 1, 3, S_IFCHR | 0666, NULL, open_null},
    {"zero", 1, 5, S_IFCHR | 0666, NULL, open_zero},
    {"full", 1, 7, S_IFCHR | 0666, NULL, open_full},
    {"random", 1, 8, S_IFCHR | 0666, NULL, open_random},
    {"urandom", 1, 9, S_IFCHR | 0666, NULL, open_random},
    {"tty", 5, 0, S_IFCHR | 0666, NULL, open_tty},
    {"console", 5, 1, S_IFCHR | 0600, NULL, open_console},
    {"ptmx", 5, 2, S_IFCHR | 0666, NULL, pty_open_master},
    {"fd", 0, 0, S_IFLNK | 0777, "/proc/self/fd", NULL},
    {"stdin", 0, 0, S_IFLNK | 0777, "/proc/self/fd/0", NULL},
    {"stdout", 0, 0, S_IFLNK | 0777, "/proc/self/fd/1", NULL},
    {"stderr", 0, 0, S_IFLNK | 0777, "/proc/self/fd/2", NULL},
    {"pts", 0, 0, S_IFDIR | 0755, NULL, NULL},
    {"shm", 0, 0, S_IFDIR | 01777, NULL, NULL},
    {NULL, 0, 0, 0, NULL, NULL},
};

const struct devnode *devfs_node_by_rdev(dev_t rdev)
{
	for (const struct devnode *n = devfs_nodes; n->name; n++)
		if (S_ISCHR(n->mode) && makedev(n->major, n->minor) == rdev)
			return n;
	return NULL;
}

int devfs_open_rdev(struct dentry *d, dev_t rdev, int flags, struct file **out)
{
	const struct devnode *n = devfs_node_by_rdev(rdev);
	return n && n->open ? n->open(d, flags, out) : -ENXIO;
}
