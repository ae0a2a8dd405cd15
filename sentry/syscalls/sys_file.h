/* Helpers shared by the file syscall families (sys_file.c, sys_fd.c,
 * sys_stat.c, sys_dir.c): fd lookup, path copy-in and *at() resolution. */
#pragma once
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/uio.h>

#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/dentry.h"

/* Linux's cap on one read/write: INT_MAX rounded down to a page. */
#define MAX_RW_COUNT 0x7ffff000L
/* Host iovecs one transfer builds at most: more makes it short. */
#define RW_IOVS 256
#ifndef UIO_MAXIOV
#define UIO_MAXIOV 1024
#endif

static inline int nofile_limit(struct task *t)
{
	uint64_t l = t->tg->rlimits[RLIMIT_NOFILE].cur;
	return l > (1 << 20) ? (1 << 20) : (int)l;
}

/* The open file at fd (a new reference) or NULL. */
static inline struct file *fget(struct task *t, int fd) { return fd_get(t->files, fd); }

static inline bool file_is_path(const struct file *f) { return f->flags & O_PATH; }

/* Copies a path from the application: its length, or -EFAULT/-ENAMETOOLONG. */
long path_in(struct task *t, uint64_t upath, char buf[PATH_MAX]);

/* Resolves (dirfd, path) as the *at() calls do: walk_flags are WALK_*;
 * empty_ok allows "" to name dirfd itself (AT_EMPTY_PATH), and then *fout
 * (if not NULL) receives dirfd's file, which may have no dentry (stdio).
 * On success *out holds a dentry reference (NULL only for such a file). */
int walk_at(struct task *t, int dirfd, const char *path, int walk_flags, bool empty_ok,
	    struct dentry **out, struct file **fout);
/* The same with the path in application memory. */
int walk_at_user(struct task *t, int dirfd, uint64_t upath, int walk_flags, bool empty_ok,
		 struct dentry **out, struct file **fout);
/* Resolves the parent of (dirfd, path) for calls that create or remove
 * names; last gets the final component. */
int walk_parent_at(struct task *t, int dirfd, uint64_t upath, struct dentry **parent,
		   char last[256]);
/* The starting directory of a relative *at() path: a new reference, or
 * -EBADF/-ENOTDIR. */
int dirfd_start(struct task *t, int dirfd, struct dentry **out);
/* fcntl's record-lock commands (F_SETLK, F_SETLKW, F_GETLK and the F_OFD_
 * ones) on f, with arg the application's struct flock (sys_lock.c). */
long fcntl_lock(struct task *t, struct file *f, int cmd, uint64_t arg);
/* fd opened for reading (write false) or writing: a new reference, or
 * -EBADF (also for O_PATH files). */
long file_for_io(struct task *t, int fd, bool write, struct file **out);
/* Copies the application's array of cnt iovecs into uiov and checks the
 * lengths; more than UIO_MAXIOV gets -too_many (readv says EINVAL,
 * sendmsg EMSGSIZE). */
long iov_array_in(struct task *t, uint64_t uaddr, uint64_t cnt, struct iovec *uiov, int too_many);
/* Translates application buffers (uiov/ucnt, in sentry memory) into at
 * most RW_IOVS host iovecs over the memory file (to_app: they will be
 * written), capped at MAX_RW_COUNT bytes; their number, or -EFAULT when
 * not even the first byte is mapped.  Stops early (a short transfer). */
int iov_from_app(struct task *t, const struct iovec *uiov, int ucnt, bool to_app,
		 struct iovec *iov);
