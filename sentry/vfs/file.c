/* Open files: references, sentry-buffer reads for the loader, mapping
 * backings, and opening a dentry (O_PATH, a synthetic filesystem's open,
 * or the gofer). */
#include "sentry/vfs/dentry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fs/gofer/pagecache.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/lock.h"

void (*file_epoll_release)(struct file *f);

struct file *file_new(const struct file_ops *ops, int flags, struct dentry *d, void *priv)
{
	struct file *f = calloc(1, sizeof *f);
	if (!f)
		return NULL;
	f->refs = 1;
	f->ops = ops;
	pthread_mutex_init(&f->lock, NULL);
	f->flags = flags;
	f->dentry = d ? dentry_get(d) : NULL;
	f->priv = priv;
	return f;
}

struct file *file_get(struct file *f)
{
	__atomic_add_fetch(&f->refs, 1, __ATOMIC_RELAXED);
	return f;
}

void file_put(struct file *f)
{
	if (!f || __atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL))
		return;
	fsnotify_close(f);
	if (__atomic_load_n(&f->epitems, __ATOMIC_ACQUIRE))
		file_epoll_release(f);
	/* flock and OFD locks belong to the open file description. */
	lock_file_release(f);
	if (f->ops && f->ops->release)
		f->ops->release(f);
	dentry_put(f->dentry);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

ssize_t file_pread(struct file *f, void *buf, size_t len, int64_t off)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	if (!f->ops->read)
		return -EINVAL;
	return f->ops->read(f, &iov, 1, off);
}

static ssize_t backing_pread(void *obj, void *buf, size_t len, uint64_t off)
{
	if (off > INT64_MAX)
		return -EINVAL;
	return file_pread(obj, buf, len, (int64_t)off);
}

static void backing_get(void *obj) { file_get(obj); }

static void backing_put(void *obj) { file_put(obj); }

static int64_t backing_frame(void *obj, uint64_t pgoff)
{
	struct file *f = obj;
	return f->dentry->ops->frame(f->dentry, pgoff);
}

/* Memory-backed files count their writable shared mappings (memfd seals). */
static int backing_writers(void *obj, int delta)
{
	struct file *f = obj;
	return f->dentry->ops->map_writers(f->dentry, delta);
}

void file_backing(struct file *f, struct mm_backing *out)
{
	/* Gofer files map the sandbox's page cache of the host file, so
	 * every process shares one copy of a library. */
	if (f->dentry && !f->dentry->ops && gofer_pagecache_backing(f, out) == 0)
		return;
	*out = (struct mm_backing){0};
	out->pread = backing_pread;
	out->get = backing_get;
	out->put = backing_put;
	out->obj = file_get(f);
	/* Memory-backed files map their own frames (shared mappings share). */
	out->frame = f->dentry && f->dentry->ops && f->dentry->ops->frame ? backing_frame : NULL;
	if (out->frame && f->dentry->ops->map_writers)
		out->writers = backing_writers;
}

/* O_PATH files only name their dentry: every I/O op is refused by the
 * syscall layer before reaching them. */
static int path_fstat(struct file *f, struct stat *st)
{
	*st = f->dentry->st;
	return 0;
}

static const struct file_ops path_ops = {
    .fstat = path_fstat,
};

int vfs_open_dentry(struct task *t, struct dentry *d, int flags, struct file **out)
{
	if (flags & O_PATH) {
		struct file *f =
		    file_new(&path_ops, flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW), d, NULL);
		if (!f)
			return -ENOMEM;
		*out = f;
		return 0;
	}
	if (d->ops) {
		if (d->ops->open)
			return d->ops->open(d, flags, out);
		if (S_ISDIR(d->st.st_mode))
			return synth_dir_open(d, flags, out);
		return -ENXIO;
	}
	return gofer_file_open(d, flags, out);
}
