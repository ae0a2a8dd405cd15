/* Gofer-tree nodes that are never opened on the host: a FIFO is a sentry
 * pipe shared by every opener of the node (the gofer would block in its
 * open), and a character device is the sentry's own device of that number
 * (devfs), so a device node in an image or in a host directory can never
 * reach a host driver. */
#include "sentry/fs/gofer/special.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "sentry/fs/dev/dev.h"
#include "sentry/fs/pipe/pipe.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/dentry.h"

/* The pipe of each FIFO node opened so far, by the node's host identity:
 * dentries of one node come and go (and hard links name it twice), the
 * pipe must not.  Kept for the sandbox's life, as a tmpfs FIFO's pipe is
 * for its inode's. */
struct fifo {
	dev_t dev;
	ino_t ino;
	struct pipe *pipe;
	struct fifo *next;
};
static struct fifo *fifos;
static pthread_mutex_t fifo_lock = PTHREAD_MUTEX_INITIALIZER;

static struct pipe *fifo_pipe(const struct stat *st)
{
	struct pipe *p = NULL;
	pthread_mutex_lock(&fifo_lock);
	struct fifo *f = fifos;
	while (f && (f->dev != st->st_dev || f->ino != st->st_ino))
		f = f->next;
	if (!f && (f = calloc(1, sizeof *f))) {
		if ((f->pipe = pipe_new())) {
			f->dev = st->st_dev;
			f->ino = st->st_ino;
			f->next = fifos;
			fifos = f;
		} else {
			free(f);
			f = NULL;
		}
	}
	if (f)
		p = pipe_get(f->pipe);
	pthread_mutex_unlock(&fifo_lock);
	return p;
}

int gofer_special_open(struct dentry *d, int flags, struct file **out)
{
	switch (d->st.st_mode & S_IFMT) {
	case S_IFIFO: {
		struct pipe *p = fifo_pipe(&d->st);
		if (!p)
			return -ENOMEM;
		/* Sleeps until the other end opens: no lock held. */
		int r = pipe_open_fifo(task_current(), p, flags, out);
		pipe_put(p);
		if (!r)
			(*out)->dentry = dentry_get(d);
		return r;
	}
	case S_IFCHR:
		return devfs_open_rdev(d, d->st.st_rdev, flags, out);
	case S_IFBLK:
		return -ENXIO; /* no block devices in the sandbox */
	case S_IFSOCK:
		return -ENXIO; /* as Linux: a socket is connected, not opened */
	}
	return -EINVAL;
}
