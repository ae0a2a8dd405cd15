/* Pipes and the core of FIFOs: a ring of page-sized slots in sentry memory
 * shared by read and write ends, with blocking ends on the task's waiter.
 *
 * Model (as Linux): the capacity is a power-of-two number of slots of one
 * page each.  Ordinary writes merge into the last slot; a packet-mode write
 * (O_DIRECT on the writing file) takes its own slot per PIPE_BUF bytes and a
 * read returns at most one packet.  Writes of at most PIPE_BUF bytes are
 * atomic.  A pipe is readable when it holds bytes and writable when a slot
 * is free.
 *
 * Locking: pipe->lock, then its waitq's lock (wait.h); no lock is held
 * across a sleep, and SIGPIPE is sent after pipe->lock is dropped.  The
 * pipe lock sits with the other file locks in task.h's order.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct task;
struct file;
struct pipe;

#define PIPE_PAGE 4096
#define PIPE_DEF_SIZE 65536   /* 16 slots */
#define PIPE_MAX_SIZE 1048576 /* /proc/sys/fs/pipe-max-size */

#ifndef F_SETPIPE_SZ
#define F_SETPIPE_SZ 1031
#define F_GETPIPE_SZ 1032
#endif

/* A pipe with no ends open (a FIFO's, held by its inode): one reference. */
struct pipe *pipe_new(void);
struct pipe *pipe_get(struct pipe *p);
void pipe_put(struct pipe *p);

/* pipe2(): a read end and a write end of a new pipe.  flags: O_NONBLOCK and
 * O_DIRECT (packet mode), already checked.  0 or -ENOMEM. */
int pipe_create(struct task *t, int flags, struct file **rd, struct file **wr);

/* Opens an end of the FIFO pipe p with open(2) flags: O_RDONLY waits for a
 * writer, O_WRONLY for a reader (interruptible: -ERESTARTSYS), unless
 * O_NONBLOCK: then a reader opens at once and a writer with no reader gets
 * -ENXIO.  O_RDWR never waits.  0 with a new file in *out (holding its own
 * reference on p), or -errno.  The file has no dentry: the filesystem
 * that owns the FIFO sets f->dentry and answers fstat itself. */
int pipe_open_fifo(struct task *t, struct pipe *p, int flags, struct file **out);

/* Whether f is an end of a pipe or FIFO. */
bool file_is_pipe(const struct file *f);

/* For splice and tee (sentry/syscalls/sys_splice.c), on a pipe end f:
 * read(2)/write(2) of sentry iovecs that also fail with -EAGAIN instead of
 * blocking when nonblock (SPLICE_F_NONBLOCK).  peek copies the bytes
 * without consuming them (tee). */
ssize_t pipe_splice_read(struct file *f, const struct iovec *iov, int iovcnt, bool nonblock,
			 bool peek);
ssize_t pipe_splice_write(struct file *f, const struct iovec *iov, int iovcnt, bool nonblock);
/* Whether pipe ends a and b belong to one pipe. */
bool pipe_same(const struct file *a, const struct file *b);
/* Waits (unless nonblock) until the pipe has a free slot: the free bytes,
 * or -EAGAIN, -EPIPE (no reader; SIGPIPE sent), -ERESTARTSYS. */
long pipe_wait_room(struct file *f, bool nonblock);

/* fcntl F_GETPIPE_SZ / F_SETPIPE_SZ: the capacity in bytes, or -EBADF (not
 * a pipe), -EINVAL, -EPERM (above PIPE_MAX_SIZE without CAP_SYS_RESOURCE),
 * -EBUSY (the content does not fit the new size), -ENOMEM. */
long pipe_fcntl(struct file *f, struct task *t, int cmd, uint64_t arg);
