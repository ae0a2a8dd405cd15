/* The sentry's virtual filesystem: dentries, path walk, open files.
 *
 * Files of the container come only from the gofer (sentry/fs/gofer); the
 * host stdio passed to the sandbox is wrapped as host files (sentry/fs/host).
 * Symlinks are resolved here, never in the gofer.
 *
 * Lock order: fs->lock, then dentry locks (parent before child), then
 * file->lock; the gofer client's connection lock is a leaf.
 */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>

struct task;
struct file;
struct dentry;
struct mm_backing;
struct poll_table;

struct file_ops {
	/* off >= 0: positional (pread), f->pos untouched.  off == -1: use and
	 * advance f->pos.  iov points into sentry memory (often the memory file). */
	ssize_t (*read)(struct file *f, const struct iovec *iov, int iovcnt, int64_t off);
	ssize_t (*write)(struct file *f, const struct iovec *iov, int iovcnt, int64_t off);
	int64_t (*lseek)(struct file *f, int64_t off, int whence);
	int (*fstat)(struct file *f, struct stat *st);
	/* Fills buf with linux_dirent64 records from f->pos on; returns bytes. */
	ssize_t (*getdents)(struct file *f, void *buf, size_t size);
	long (*ioctl)(struct file *f, struct task *t, unsigned cmd, uint64_t arg);
	/* Host fd to poll on for readiness, or -1 (sentry-internal files). */
	int (*host_fd)(struct file *f);
	/* Readiness (POLL* bits) now; with pt, also registers the caller for
	 * the next change (sentry/vfs/poll.h).  NULL: always ready. */
	uint32_t (*poll)(struct file *f, struct poll_table *pt, uint32_t events);
	void (*release)(struct file *f);
	/* What /proc/PID/fd/N shows for a file without a dentry, as Linux
	 * writes it ("anon_inode:[eventfd]").  NULL: derived from fstat
	 * ("pipe:[ino]", "socket:[ino]"). */
	const char *proc_name;
};

struct file {
	int refs;                 /* atomic */
	const struct file_ops *ops;
	pthread_mutex_t lock;     /* pos */
	int flags;                /* O_ACCMODE | O_APPEND | O_NONBLOCK ... (F_GETFL) */
	int64_t pos;
	struct dentry *dentry;    /* NULL for anonymous files */
	void *priv;
	/* epoll items watching this file, under sentry/fs/anon/epoll.c's lock:
	 * they go when the file's last reference does (file_epoll_release). */
	void *epitems;
	/* Opened by the application (fsnotify_open): inotify reports its
	 * close; the sentry's own opens (copy-up, exec) report nothing. */
	bool notify;
};

/* The per-task filesystem context: root, cwd, umask (CLONE_FS shares it). */
struct fs_ctx {
	pthread_mutex_t lock;
	int refs;
	struct dentry *root;
	struct dentry *cwd;
	mode_t umask;
};

/* Connects to the gofer on sock and mounts its tree as "/".  Once. */
int vfs_init(int gofer_sock);
struct fs_ctx *fs_ctx_new_root(void);
struct fs_ctx *fs_ctx_get(struct fs_ctx *fs);
void fs_ctx_put(struct fs_ctx *fs);
/* A private copy (fork/clone without CLONE_FS). */
struct fs_ctx *fs_ctx_dup(struct fs_ctx *fs);

struct file *file_get(struct file *f);
/* The last put sends inotify's close event, drops the file's epoll items
 * (file_epoll_release), then calls ops->release. */
void file_put(struct file *f);
/* Set by epoll once it is used: removes f's items from their epolls. */
extern void (*file_epoll_release)(struct file *f);
/* Convenience for sentry buffers (the loader). */
ssize_t file_pread(struct file *f, void *buf, size_t len, int64_t off);
/* A mapping backing that reads f's bytes (takes a reference on f). */
void file_backing(struct file *f, struct mm_backing *out);

/* Wraps a host fd passed into the sandbox (stdio).  Takes ownership. */
struct file *hostfile_new(int host_fd);

/* Opens path (relative to t's cwd) for execution: follows symlinks, needs a
 * regular file with execute permission.  0 or -ENOENT/-EACCES/-ENOTDIR/-ELOOP. */
int vfs_open_exec(struct task *t, const char *path, struct file **out);

/* Sets t's cwd to path (sentry string): 0 or -ENOENT/-ENOTDIR/-EACCES. */
int vfs_chdir(struct task *t, const char *path);
