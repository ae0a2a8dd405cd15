/* What every anonymous-inode file shares: fstat and iovec helpers. */
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "sentry/fs/anon/anon_internal.h"

/* The anon_inodefs device and inode as Linux shows them: one shared
 * inode, mode 0600 without a file type. */
#define ANON_DEV makedev(0, 15)
#define ANON_INO 1

int anon_fstat(struct file *f, struct stat *st)
{
	(void)f;
	memset(st, 0, sizeof *st);
	st->st_dev = ANON_DEV;
	st->st_ino = ANON_INO;
	st->st_mode = S_IRUSR | S_IWUSR;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

int anon_wait(struct waitq *q, pthread_mutex_t *lock, struct task *t, uint32_t events,
	      clockid_t clock, const struct timespec *deadline)
{
	struct waitq_entry e;
	waitq_add(q, &e, &t->waiter, events);
	pthread_mutex_unlock(lock);
	int r = waiter_sleep(&t->waiter, clock, deadline);
	waitq_del(q, &e);
	pthread_mutex_lock(lock);
	return r;
}
