/* File descriptor tables: a growable array of (file, cloexec) under one
 * mutex; fds are always the lowest free number. */
#include "sentry/kernel/fdtable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/vfs/lock.h"
#include "sentry/vfs/vfs.h"

struct fdtable *fdtable_new(void)
{
	struct fdtable *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	pthread_mutex_init(&t->lock, NULL);
	t->refs = 1;
	return t;
}

struct fdtable *fdtable_get(struct fdtable *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	return t;
}

void fdtable_put(struct fdtable *t)
{
	if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (int i = 0; i < t->size; i++)
		if (t->fds[i].file) {
			lock_posix_close(t, t->fds[i].file);
			file_put(t->fds[i].file);
		}
	free(t->fds);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

/* Makes room for fd; called with the lock held. */
static int grow(struct fdtable *t, int fd)
{
	if (fd < t->size)
		return 0;
	int n = t->size ? t->size : 64;
	while (n <= fd)
		n *= 2;
	struct fd_entry *e = realloc(t->fds, (size_t)n * sizeof *e);
	if (!e)
		return -ENOMEM;
	memset(e + t->size, 0, (size_t)(n - t->size) * sizeof *e);
	t->fds = e;
	t->size = n;
	return 0;
}

struct fdtable *fdtable_dup(struct fdtable *t)
{
	struct fdtable *n = fdtable_new();
	if (!n)
		return NULL;
	pthread_mutex_lock(&t->lock);
	if (t->size && grow(n, t->size - 1)) {
		pthread_mutex_unlock(&t->lock);
		fdtable_put(n);
		return NULL;
	}
	for (int i = 0; i < t->size; i++) {
		n->fds[i] = t->fds[i];
		if (n->fds[i].file)
			file_get(n->fds[i].file);
	}
	pthread_mutex_unlock(&t->lock);
	return n;
}

int fd_install(struct fdtable *t, struct file *f, bool cloexec, int min, int limit)
{
	int fd, r;
	if (min < 0)
		return -EINVAL;
	pthread_mutex_lock(&t->lock);
	for (fd = min; fd < t->size && t->fds[fd].file; fd++)
		;
	if (fd >= limit) {
		r = -EMFILE;
	} else if ((r = grow(t, fd)) == 0) {
		t->fds[fd].file = file_get(f);
		t->fds[fd].cloexec = cloexec;
		r = fd;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

int fd_install_at(struct fdtable *t, int fd, struct file *f, bool cloexec, int limit)
{
	struct file *old = NULL;
	int r;
	if (fd < 0 || fd >= limit)
		return -EBADF;
	pthread_mutex_lock(&t->lock);
	r = grow(t, fd);
	if (r == 0) {
		old = t->fds[fd].file;
		t->fds[fd].file = file_get(f);
		t->fds[fd].cloexec = cloexec;
		r = fd;
	}
	pthread_mutex_unlock(&t->lock);
	/* Released outside the lock: a release may block (host close). */
	if (old) {
		/* Closing any fd of a file drops the process's POSIX locks on it. */
		lock_posix_close(t, old);
		file_put(old);
	}
	return r;
}

struct file *fd_get(struct fdtable *t, int fd)
{
	struct file *f = NULL;
	if (fd < 0)
		return NULL;
	pthread_mutex_lock(&t->lock);
	if (fd < t->size && t->fds[fd].file)
		f = file_get(t->fds[fd].file);
	pthread_mutex_unlock(&t->lock);
	return f;
}

int fd_close(struct fdtable *t, int fd)
{
	struct file *f = NULL;
	if (fd < 0)
		return -EBADF;
	pthread_mutex_lock(&t->lock);
	if (fd < t->size) {
		f = t->fds[fd].file;
		t->fds[fd].file = NULL;
		t->fds[fd].cloexec = false;
	}
	pthread_mutex_unlock(&t->lock);
	if (!f)
		return -EBADF;
	lock_posix_close(t, f);
	file_put(f);
	return 0;
}

int fd_get_cloexec(struct fdtable *t, int fd)
{
	int r = -EBADF;
	if (fd < 0)
		return r;
	pthread_mutex_lock(&t->lock);
	if (fd < t->size && t->fds[fd].file)
		r = t->fds[fd].cloexec;
	pthread_mutex_unlock(&t->lock);
	return r;
}

int fd_set_cloexec(struct fdtable *t, int fd, bool on)
{
	int r = -EBADF;
	if (fd < 0)
		return r;
	pthread_mutex_lock(&t->lock);
	if (fd < t->size && t->fds[fd].file) {
		t->fds[fd].cloexec = on;
		r = 0;
	}
	pthread_mutex_unlock(&t->lock);
	return r;
}

void fd_close_on_exec(struct fdtable *t)
{
	for (;;) {
		struct file *f = NULL;
		pthread_mutex_lock(&t->lock);
		for (int i = 0; i < t->size; i++) {
			if (t->fds[i].file && t->fds[i].cloexec) {
				f = t->fds[i].file;
				t->fds[i].file = NULL;
				t->fds[i].cloexec = false;
				break;
			}
		}
		pthread_mutex_unlock(&t->lock);
		if (!f)
			return;
		lock_posix_close(t, f);
		file_put(f);
	}
}
