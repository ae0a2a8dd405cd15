/* File descriptor tables: fd numbers to open files, with FD_CLOEXEC.
 *
 * Lock order: files->lock is taken after mm->lock and before any file's lock.
 */
#pragma once
#include <pthread.h>
#include <stdbool.h>

struct file;

struct fd_entry {
	struct file *file;
	bool cloexec;
};

struct fdtable {
	pthread_mutex_t lock;
	int refs;
	int size;                /* entries allocated */
	struct fd_entry *fds;
};

struct fdtable *fdtable_new(void);
struct fdtable *fdtable_get(struct fdtable *t);
void fdtable_put(struct fdtable *t);
/* A copy sharing the same open files (fork without CLONE_FILES). */
struct fdtable *fdtable_dup(struct fdtable *t);

/* Installs f (taking a new reference) at the lowest free fd >= min, below
 * limit (RLIMIT_NOFILE).  Returns the fd or -EMFILE. */
int fd_install(struct fdtable *t, struct file *f, bool cloexec, int min, int limit);
/* Installs f at exactly fd, closing what was there (dup2).  Returns fd or -errno. */
int fd_install_at(struct fdtable *t, int fd, struct file *f, bool cloexec, int limit);
/* Returns a new reference to the file at fd, or NULL. */
struct file *fd_get(struct fdtable *t, int fd);
/* Closes fd: 0 or -EBADF. */
int fd_close(struct fdtable *t, int fd);
int fd_get_cloexec(struct fdtable *t, int fd);  /* 0/1 or -EBADF */
int fd_set_cloexec(struct fdtable *t, int fd, bool on);
/* Closes every FD_CLOEXEC descriptor (execve). */
void fd_close_on_exec(struct fdtable *t);
