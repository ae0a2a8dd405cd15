/* Gofer-backed open files: regular files read straight from the donated
 * host fd; directories listed through GETDENTS; FIFOs and devices in the
 * sentry (special.c). */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sentry/fs/gofer/client.h"
#include "sentry/fs/gofer/pagecache.h"
#include "sentry/fs/gofer/special.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/dentry.h"
#include "sentry/vfs/dirent.h"
#include "sentry/vfs/poll.h"

/* priv holds the host fd; bit 32 set means it is the dentry's shared
 * read-only fd, which the file borrows (its dentry reference keeps it). */
#define HOST_FD(f) ((int)(intptr_t)(f)->priv)
#define FD_BORROWED (1LL << 32)

/* ---- files with a donated host fd ---- */

static ssize_t fd_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	int fd = HOST_FD(f);
	ssize_t n;
	if (!S_ISREG(f->dentry->st.st_mode)) {
		n = off >= 0 ? preadv(fd, iov, iovcnt, off) : readv(fd, iov, iovcnt);
		return n < 0 ? -errno : n;
	}
	if (off >= 0) {
		n = preadv(fd, iov, iovcnt, off);
		return n < 0 ? -errno : n;
	}
	/* The position is the sentry's: the host fd is only ever read with
	 * an explicit offset, so dup'd files can share it. */
	pthread_mutex_lock(&f->lock);
	n = preadv(fd, iov, iovcnt, f->pos);
	if (n > 0)
		f->pos += n;
	pthread_mutex_unlock(&f->lock);
	return n < 0 ? -errno : n;
}

static ssize_t fd_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	int fd = HOST_FD(f);
	ssize_t n;
	if (!S_ISREG(f->dentry->st.st_mode) || off >= 0) {
		n = off >= 0 ? pwritev(fd, iov, iovcnt, off) : writev(fd, iov, iovcnt);
		if (n > 0 && S_ISREG(f->dentry->st.st_mode)) {
			gofer_pagecache_write(fd, (uint64_t)off, iov, iovcnt, (size_t)n);
			dentry_gofer_stale(f->dentry);
		}
		return n < 0 ? -errno : n;
	}
	pthread_mutex_lock(&f->lock);
	if (f->flags & O_APPEND) {
		struct stat st;
		if (fstat(fd, &st) == 0)
			f->pos = st.st_size;
	}
	n = pwritev(fd, iov, iovcnt, f->pos);
	if (n > 0) {
		/* Mappings of the file see the write (pagecache.h). */
		gofer_pagecache_write(fd, (uint64_t)f->pos, iov, iovcnt, (size_t)n);
		f->pos += n;
	}
	pthread_mutex_unlock(&f->lock);
	if (n > 0)
		dentry_gofer_stale(f->dentry); /* size and times */
	return n < 0 ? -errno : n;
}

static int64_t fd_lseek(struct file *f, int64_t off, int whence)
{
	int fd = HOST_FD(f);
	int64_t base;
	if (!S_ISREG(f->dentry->st.st_mode)) {
		off_t r = lseek(fd, off, whence);
		return r < 0 ? -errno : r;
	}
	pthread_mutex_lock(&f->lock);
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	case SEEK_END: {
		struct stat st;
		if (fstat(fd, &st)) {
			pthread_mutex_unlock(&f->lock);
			return -errno;
		}
		base = st.st_size;
		break;
	}
	case SEEK_DATA:
	case SEEK_HOLE: {
		off_t r = lseek(fd, off, whence);
		if (r < 0) {
			pthread_mutex_unlock(&f->lock);
			return -errno;
		}
		f->pos = r;
		pthread_mutex_unlock(&f->lock);
		return r;
	}
	default:
		pthread_mutex_unlock(&f->lock);
		return -EINVAL;
	}
	int64_t np;
	if (__builtin_add_overflow(base, off, &np) || np < 0) {
		pthread_mutex_unlock(&f->lock);
		return -EINVAL;
	}
	f->pos = np;
	pthread_mutex_unlock(&f->lock);
	return np;
}

static int fd_fstat(struct file *f, struct stat *st) { return fstat(HOST_FD(f), st) ? -errno : 0; }

static long fd_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	if (cmd == FIONREAD && S_ISREG(f->dentry->st.st_mode)) {
		struct stat st;
		if (fstat(HOST_FD(f), &st))
			return -errno;
		pthread_mutex_lock(&f->lock);
		int64_t left = st.st_size - f->pos;
		pthread_mutex_unlock(&f->lock);
		int v = left < 0 ? 0 : left > INT32_MAX ? INT32_MAX : (int)left;
		return mm_copy_out(t->mm, arg, &v, sizeof v);
	}
	return -ENOTTY;
}

static int fd_host_fd(struct file *f) { return HOST_FD(f); }

/* Regular files are always ready; devices (a tty, /dev/null) ask the host. */
static uint32_t fd_poll(struct file *f, struct poll_table *pt, uint32_t events)
{
	if (S_ISREG(f->dentry->st.st_mode))
		return DEFAULT_POLLMASK;
	poll_host(pt, HOST_FD(f), (short)events);
	return 0;
}

static void fd_release(struct file *f)
{
	if (!((intptr_t)f->priv & FD_BORROWED))
		close(HOST_FD(f));
}

static const struct file_ops fd_ops = {
    .read = fd_read,
    .write = fd_write,
    .lseek = fd_lseek,
    .fstat = fd_fstat,
    .ioctl = fd_ioctl,
    .host_fd = fd_host_fd,
    .poll = fd_poll,
    .release = fd_release,
};

/* ---- directories ---- */

#define DIR_BATCH 64

struct dir_state {
	struct gofer_dent ents[DIR_BATCH];
	int n, idx;
	bool valid; /* ents[idx] starts at f->pos */
	bool eof;   /* nothing after ents[n - 1] */
};

static ssize_t dir_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	return -EISDIR;
}

static ssize_t dir_getdents(struct file *f, void *buf, size_t size)
{
	struct dir_state *ds = f->priv;
	size_t out = 0;
	ssize_t ret = 0;

	pthread_mutex_lock(&f->lock);
	for (;;) {
		if (!ds->valid || ds->idx == ds->n) {
			if (ds->valid && ds->eof)
				break;
			bool eof = false;
			int n = gofer_getdents(&vfs_gofer, f->dentry->node, (uint64_t)f->pos,
					       ds->ents, DIR_BATCH, &eof);
			if (n < 0) {
				ds->valid = false;
				ret = n;
				goto out;
			}
			ds->n = n;
			ds->idx = 0;
			ds->valid = true;
			ds->eof = eof || n == 0;
			if (n == 0)
				break;
		}
		struct gofer_dent *e = &ds->ents[ds->idx];
		if (!dirent64_put(buf, size, &out, e->ino, (int64_t)e->next, e->type, e->name)) {
			if (out)
				break;
			ret = -EINVAL; /* too small for even one record */
			goto out;
		}
		ds->idx++;
		f->pos = (int64_t)e->next;
	}
	ret = (ssize_t)out;
out:
	pthread_mutex_unlock(&f->lock);
	return ret;
}

static int64_t dir_lseek(struct file *f, int64_t off, int whence)
{
	struct dir_state *ds = f->priv;
	int64_t r;
	pthread_mutex_lock(&f->lock);
	if (whence == SEEK_SET && off >= 0) {
		f->pos = off;
		ds->valid = false;
		r = off;
	} else if (whence == SEEK_CUR && off == 0) {
		r = f->pos;
	} else if (whence == SEEK_CUR && off > 0 && f->pos + off >= 0) {
		/* Cookies are not byte offsets: moving relative to one is as
		 * good as seeking to the sum, which Linux also allows. */
		f->pos += off;
		ds->valid = false;
		r = f->pos;
	} else {
		r = -EINVAL;
	}
	pthread_mutex_unlock(&f->lock);
	return r;
}

static int dir_fstat(struct file *f, struct stat *st)
{
	dentry_getattr(f->dentry, st);
	return 0;
}

static void dir_release(struct file *f) { free(f->priv); }

static const struct file_ops dir_ops = {
    .read = dir_read,
    .lseek = dir_lseek,
    .fstat = dir_fstat,
    .getdents = dir_getdents,
    .release = dir_release,
};

/* Status flags an open file reports with F_GETFL (O_LARGEFILE is implied
 * on 64-bit Linux). */
#define FILE_FLAGS (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | O_SYNC | O_DSYNC)

int gofer_file_open(struct dentry *d, int flags, struct file **out)
{
	int acc = flags & O_ACCMODE;
	mode_t m = d->st.st_mode;
	int fflags = (flags & FILE_FLAGS) | O_LARGEFILE;
	struct file *f;

	if (S_ISLNK(m))
		return -ELOOP;
	if ((flags & O_DIRECTORY) && !S_ISDIR(m))
		return -ENOTDIR;
	if (S_ISDIR(m)) {
		/* O_TRUNC asks for write access, as Linux counts it. */
		if (acc != O_RDONLY || (flags & (O_TRUNC | O_CREAT)))
			return -EISDIR;
		struct dir_state *ds = calloc(1, sizeof *ds);
		if (!ds)
			return -ENOMEM;
		f = file_new(&dir_ops, fflags | (flags & O_DIRECTORY), d, ds);
		if (!f) {
			free(ds);
			return -ENOMEM;
		}
		*out = f;
		return 0;
	}
	if (gofer_is_special(m))
		return gofer_special_open(d, flags, out);
	/* O_TRUNC means nothing to a device (`> /dev/null`), as in Linux. */
	int pass = O_ACCMODE | O_APPEND | O_NONBLOCK | O_NOATIME | O_DIRECT;
	if (S_ISREG(m))
		pass |= O_TRUNC;
	bool shared = S_ISREG(m) && acc == O_RDONLY && !(flags & (O_TRUNC | O_DIRECT));
	int hfd = shared ? dentry_rofd(d) : -1;
	/* Just created: CREATE's fd serves this first open (opened O_RDWR,
	 * the sentry's file keeps the access mode; a truncation has nothing
	 * to do). */
	int cfd = -1;
	if (S_ISREG(m) && !(flags & O_DIRECT))
		cfd = __atomic_exchange_n(&d->cfd1, 0, __ATOMIC_ACQ_REL) - 1;
	if (cfd >= 0) {
		if (shared && hfd < 0)
			hfd = dentry_set_rofd(d, cfd);
		else if (!shared && hfd < 0)
			hfd = cfd;
		else
			close(cfd);
	}
	if (hfd < 0) {
		hfd = gofer_open(&vfs_gofer, d->node, flags & pass);
		if (hfd < 0)
			return hfd;
		if (shared)
			hfd = dentry_set_rofd(d, hfd);
		if (flags & O_TRUNC) {
			dentry_gofer_stale(d);
			gofer_pagecache_resize(d->st.st_dev, d->st.st_ino, 0);
		}
	}
	f = file_new(&fd_ops, fflags, d, (void *)((intptr_t)hfd | (shared ? FD_BORROWED : 0)));
	if (!f) {
		if (!shared)
			close(hfd);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}
