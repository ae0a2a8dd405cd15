/* Open tmpfs files: regular files read and written in their memory-file
 * frames (holes read as zeros), directories as listings, FIFOs as pipe
 * ends. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "sentry/fs/dev/dev.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/fs/tmpfs/internal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

/* Status flags F_GETFL reports (O_LARGEFILE is implied on 64-bit Linux). */
#define FILE_FLAGS (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECT | O_NOATIME | O_SYNC | O_DSYNC)

/* Copies between the iovecs and the file from off on (sb->lock held):
 * bytes moved, or -ENOSPC when not even one could be written. */
static ssize_t xfer_locked(struct tmpfs_inode *ino, const struct iovec *iov, int iovcnt,
			   uint64_t off, bool write)
{
	ssize_t done = 0;
	for (int i = 0; i < iovcnt; i++) {
		char *buf = iov[i].iov_base;
		size_t len = iov[i].iov_len;
		while (len) {
			if (!write && off >= (uint64_t)ino->st.st_size)
				return done;
			uint64_t pg = off / PAGE_SIZE, in = off % PAGE_SIZE;
			size_t n = PAGE_SIZE - in;
			if (n > len)
				n = len;
			if (!write && n > (uint64_t)ino->st.st_size - off)
				n = (size_t)((uint64_t)ino->st.st_size - off);
			uint64_t *s = tmpfs_page_slot(&ino->pages, pg, write);
			if (write) {
				if (!s || (!*s && tmpfs_page_fill_locked(ino, s)))
					return done ? done : -ENOSPC;
				memcpy((char *)memfile_ptr(*s - 1) + in, buf, n);
				if (off + n > (uint64_t)ino->st.st_size)
					ino->st.st_size = (off_t)(off + n);
			} else if (s && *s) {
				memcpy(buf, (char *)memfile_ptr(*s - 1) + in, n);
			} else {
				memset(buf, 0, n);
			}
			buf += n;
			len -= n;
			off += n;
			done += (ssize_t)n;
		}
	}
	return done;
}

static ssize_t rw(struct file *f, const struct iovec *iov, int iovcnt, int64_t off, bool write)
{
	struct tmpfs_inode *ino = TMPFS_I(f->dentry);
	bool own_pos = off < 0;
	if (own_pos)
		pthread_mutex_lock(&f->lock);
	pthread_mutex_lock(&ino->sb->lock);
	if (own_pos)
		off = f->pos;
	/* O_APPEND writes at the end, even pwrite (as Linux). */
	if (write && (f->flags & O_APPEND))
		off = ino->st.st_size;
	ssize_t r;
	size_t total = 0;
	for (int i = 0; write && i < iovcnt; i++)
		total += iov[i].iov_len;
	if (write && (uint64_t)off >= TMPFS_MAX_SIZE)
		r = -EFBIG;
	else if (write && (r = tmpfs_seal_check_write_locked(ino, (uint64_t)off, total)))
		; /* sealed memfd */
	else /* a write stops short at the size cap: the index ends there */
		r = xfer_locked(ino, iov, iovcnt, (uint64_t)off, write);
	if (r > 0) {
		struct timespec now;
		tmpfs_now(&now);
		if (write) {
			ino->st.st_mtim = ino->st.st_ctim = now;
			/* A write by anyone drops set-user-id (Linux's
			 * file_remove_privs, without the capability nuance). */
			ino->st.st_mode &= ~S_ISUID;
			if (ino->st.st_mode & S_IXGRP)
				ino->st.st_mode &= ~S_ISGID;
		} else if (!(f->flags & O_NOATIME)) {
			ino->st.st_atim = now;
		}
		if (own_pos)
			f->pos = off + r;
	}
	pthread_mutex_unlock(&ino->sb->lock);
	if (own_pos)
		pthread_mutex_unlock(&f->lock);
	return r;
}

static ssize_t reg_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	return rw(f, iov, iovcnt, off, false);
}

static ssize_t reg_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	return rw(f, iov, iovcnt, off, true);
}

static int64_t reg_lseek(struct file *f, int64_t off, int whence)
{
	struct tmpfs_inode *ino = TMPFS_I(f->dentry);
	int64_t base, np;
	pthread_mutex_lock(&f->lock);
	pthread_mutex_lock(&ino->sb->lock);
	int64_t size = ino->st.st_size;
	pthread_mutex_unlock(&ino->sb->lock);
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	case SEEK_END:
		base = size;
		break;
	case SEEK_DATA:
	case SEEK_HOLE:
		/* The whole file counts as data (holes are not reported). */
		if (off < 0 || off >= size) {
			pthread_mutex_unlock(&f->lock);
			return -ENXIO;
		}
		f->pos = whence == SEEK_DATA ? off : size;
		pthread_mutex_unlock(&f->lock);
		return f->pos;
	default:
		pthread_mutex_unlock(&f->lock);
		return -EINVAL;
	}
	if (__builtin_add_overflow(base, off, &np) || np < 0) {
		pthread_mutex_unlock(&f->lock);
		return -EINVAL;
	}
	f->pos = np;
	pthread_mutex_unlock(&f->lock);
	return np;
}

static int reg_fstat(struct file *f, struct stat *st) { return tmpfs_getattr(f->dentry, st); }

static const struct file_ops reg_ops = {
    .read = reg_read,
    .write = reg_write,
    .lseek = reg_lseek,
    .fstat = reg_fstat,
};

int tmpfs_open(struct dentry *d, int flags, struct file **out)
{
	struct tmpfs_inode *ino = TMPFS_I(d);
	struct tmpfs_sb *sb = ino->sb;
	mode_t m = d->st.st_mode;
	switch (m & S_IFMT) {
	case S_IFDIR:
		return synth_dir_open(d, flags, out);
	case S_IFLNK:
		return -ELOOP;
	case S_IFIFO: {
		int r = pipe_open_fifo(task_current(), ino->pipe, flags, out);
		if (!r)
			(*out)->dentry = dentry_get(d);
		return r;
	}
	case S_IFCHR:
		/* A mounted tmpfs (/dev/shm, config.json's) is nodev as
		 * Linux mounts them; as the overlay's upper layer a node is
		 * the sentry's device of that number (never a host's). */
		if (!sb->dev)
			return -EACCES;
		return devfs_open_rdev(d, ino->st.st_rdev, flags, out);
	case S_IFBLK:
		return sb->dev ? -ENXIO : -EACCES;
	case S_IFSOCK:
		return -ENXIO;
	}
	if (flags & O_TRUNC) {
		pthread_mutex_lock(&sb->lock);
		if (ino->st.st_size && tmpfs_seal_check_size_locked(ino, 0)) {
			pthread_mutex_unlock(&sb->lock);
			return -EPERM;
		}
		if (ino->st.st_size) {
			tmpfs_set_size_locked(ino, 0);
			tmpfs_now(&ino->st.st_mtim);
			ino->st.st_ctim = ino->st.st_mtim;
		}
		pthread_mutex_unlock(&sb->lock);
	}
	struct file *f = file_new(&reg_ops, (flags & FILE_FLAGS) | O_LARGEFILE, d, NULL);
	if (!f)
		return -ENOMEM;
	*out = f;
	return 0;
}
