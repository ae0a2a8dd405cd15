/* splice, tee, sendfile, copy_file_range: data moved between files through
 * a bounded sentry buffer, over the files' ordinary read/write ops (so
 * pipes, sockets and terminals block as they do for read/write). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "sentry/fs/pipe/pipe.h"
#include "sentry/kernel/signal.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/fsnotify.h"

#ifndef SPLICE_F_MOVE
#define SPLICE_F_MOVE 1
#define SPLICE_F_NONBLOCK 2
#define SPLICE_F_MORE 4
#define SPLICE_F_GIFT 8
#endif
#define SPLICE_F_ALL (SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT)

/* One step's buffer: a pipe's default capacity. */
#define CHUNK 65536

static void put2(struct file *a, struct file *b)
{
	file_put(a);
	file_put(b);
}

/* Positional I/O needs a seekable file (Linux's FMODE_PREAD/PWRITE). */
static bool seekable(struct file *f) { return f->ops->lseek && !file_is_pipe(f); }

/* Reads an application loff_t: 0, -EFAULT or -EINVAL (negative). */
static long off_in(struct task *t, uint64_t uaddr, int64_t *off)
{
	if (mm_copy_in(t->mm, off, uaddr, sizeof *off))
		return -EFAULT;
	return *off < 0 ? -EINVAL : 0;
}

static ssize_t file_rd(struct file *f, void *buf, size_t len, int64_t off)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	if (!f->ops->read)
		return -EINVAL;
	ssize_t r = f->ops->read(f, &iov, 1, off);
	if (r > 0)
		fsnotify_file(f, IN_ACCESS);
	return r;
}

static ssize_t file_wr(struct file *f, const void *buf, size_t len, int64_t off)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	if (!f->ops->write)
		return -EINVAL;
	ssize_t r = f->ops->write(f, &iov, 1, off);
	if (r > 0)
		fsnotify_file(f, IN_MODIFY);
	return r;
}

static ssize_t pipe_rd(struct file *f, void *buf, size_t len, bool nonblock, bool peek)
{
	struct iovec iov = {.iov_base = buf, .iov_len = len};
	return pipe_splice_read(f, &iov, 1, nonblock, peek);
}

static ssize_t pipe_wr(struct file *f, const void *buf, size_t len, bool nonblock)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	return pipe_splice_write(f, &iov, 1, nonblock);
}

/* Bytes read from a file whose position moved but that could not be
 * written on go back, so they are not lost. */
static void unread(struct file *f, int64_t off, ssize_t n)
{
	if (n > 0 && off < 0 && seekable(f))
		f->ops->lseek(f, -n, SEEK_CUR);
}

static size_t min3(size_t a, size_t b, size_t c)
{
	size_t m = a < b ? a : b;
	return m < c ? m : c;
}

/* ---- splice ---- */

static long splice_pipe_pipe(struct file *in, struct file *out, size_t len, bool nb, char *buf)
{
	if (pipe_same(in, out))
		return -EINVAL;
	/* Data first (0 at end of file), then room, as Linux does. */
	ssize_t r = pipe_rd(in, buf, 1, nb, true);
	if (r <= 0)
		return r;
	long room = pipe_wait_room(out, nb);
	if (room < 0)
		return room;
	r = pipe_rd(in, buf, min3(len, (size_t)room, CHUNK), nb, false);
	if (r <= 0)
		return r;
	return pipe_wr(out, buf, (size_t)r, nb);
}

static long splice_file_pipe(struct file *in, int64_t *off, struct file *out, size_t len,
			     bool nb, char *buf)
{
	long room = pipe_wait_room(out, nb);
	if (room < 0)
		return room;
	int64_t pos = off ? *off : -1;
	ssize_t r = file_rd(in, buf, min3(len, (size_t)room, CHUNK), pos);
	if (r <= 0)
		return r;
	ssize_t w = pipe_wr(out, buf, (size_t)r, nb);
	unread(in, pos, r - (w > 0 ? w : 0));
	if (w > 0 && off)
		*off += w;
	return w;
}

static long splice_pipe_file(struct file *in, struct file *out, int64_t *off, size_t len,
			     bool nb, char *buf)
{
	ssize_t r = pipe_rd(in, buf, len < CHUNK ? len : CHUNK, nb, false);
	if (r <= 0)
		return r;
	ssize_t w = file_wr(out, buf, (size_t)r, off ? *off : -1);
	if (w > 0 && off)
		*off += w;
	return w;
}

DEFINE_SYSCALL(splice, R_INT, A_FD, A_PTR, A_FD, A_PTR, A_UINT, A_HEX)
{
	int fdin = (int)a[0], fdout = (int)a[2];
	uint64_t uoffin = a[1], uoffout = a[3];
	size_t len = a[4];
	unsigned flags = (unsigned)a[5];
	struct file *in, *out;
	int64_t off;
	long r;
	if (flags & ~SPLICE_F_ALL)
		return -EINVAL;
	if (!len)
		return 0;
	if ((r = file_for_io(t, fdin, false, &in)))
		return r;
	if ((r = file_for_io(t, fdout, true, &out))) {
		file_put(in);
		return r;
	}
	bool ip = file_is_pipe(in), op = file_is_pipe(out), nb = flags & SPLICE_F_NONBLOCK;
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	if (!ip && !op)
		r = -EINVAL;
	else if ((ip && uoffin) || (op && uoffout))
		r = -ESPIPE;
	else if (ip && !op && (out->flags & O_APPEND))
		r = -EINVAL;
	else if ((uoffin && !seekable(in)) || (uoffout && !seekable(out)))
		r = -ESPIPE;
	if (r)
		goto out;
	uint64_t uoff = uoffin ? uoffin : uoffout;
	if (uoff && (r = off_in(t, uoff, &off)))
		goto out;
	char *buf = malloc(CHUNK);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	if (ip && op)
		r = splice_pipe_pipe(in, out, len, nb, buf);
	else if (op)
		r = splice_file_pipe(in, uoff ? &off : NULL, out, len, nb, buf);
	else
		r = splice_pipe_file(in, out, uoff ? &off : NULL, len, nb, buf);
	free(buf);
	if (r > 0 && uoff && mm_copy_out(t->mm, uoff, &off, sizeof off))
		r = -EFAULT;
out:
	put2(in, out);
	return r == -EINTR ? -ERESTARTSYS : r;
}

/* ---- tee ---- */

DEFINE_SYSCALL(tee, R_INT, A_FD, A_FD, A_UINT, A_HEX)
{
	size_t len = a[2];
	unsigned flags = (unsigned)a[3];
	struct file *in, *out;
	long r;
	if (flags & ~SPLICE_F_ALL)
		return -EINVAL;
	if (!len)
		return 0;
	if ((r = file_for_io(t, (int)a[0], false, &in)))
		return r;
	if ((r = file_for_io(t, (int)a[1], true, &out))) {
		file_put(in);
		return r;
	}
	bool nb = flags & SPLICE_F_NONBLOCK;
	char *buf = NULL;
	if (!file_is_pipe(in) || !file_is_pipe(out) || pipe_same(in, out))
		r = -EINVAL;
	else if (!(buf = malloc(CHUNK)))
		r = -ENOMEM;
	else if ((r = pipe_rd(in, buf, len < CHUNK ? len : CHUNK, nb, true)) > 0) {
		/* The copy is taken first: only what fits in out goes. */
		long room = pipe_wait_room(out, nb);
		r = room < 0 ? room : pipe_wr(out, buf, min3((size_t)r, (size_t)room, CHUNK), nb);
	}
	free(buf);
	put2(in, out);
	return r;
}

/* ---- sendfile and copy_file_range ---- */

/* Copies up to len bytes from in (at *pin, or its position when pin is
 * NULL) to out (at *pout, or its position); stops early at end of file, a
 * short write or a pending signal.  The bytes copied, or -errno when none. */
static long copy_loop(struct task *t, struct file *in, int64_t *pin, struct file *out,
		      int64_t *pout, size_t len)
{
	char *buf = malloc(CHUNK);
	size_t done = 0;
	long err = 0;
	if (!buf)
		return -ENOMEM;
	bool op = file_is_pipe(out);
	while (done < len) {
		size_t n = len - done < CHUNK ? len - done : CHUNK;
		if (op) {
			/* Room first, so nothing read is lost to a full pipe. */
			long room = pipe_wait_room(out, false);
			if (room < 0) {
				err = room;
				break;
			}
			if ((size_t)room < n)
				n = (size_t)room;
		}
		int64_t ipos = pin ? *pin : -1;
		ssize_t r = file_rd(in, buf, n, ipos);
		if (r <= 0) {
			err = r;
			break;
		}
		ssize_t w = op ? pipe_wr(out, buf, (size_t)r, false)
			       : file_wr(out, buf, (size_t)r, pout ? *pout : -1);
		unread(in, ipos, r - (w > 0 ? w : 0));
		if (w <= 0) {
			err = w;
			break;
		}
		done += (size_t)w;
		if (pin)
			*pin += w;
		if (pout)
			*pout += w;
		if (w < r || (size_t)r < n || sig_pending(t))
			break;
	}
	free(buf);
	if (done)
		return (long)done;
	return err == -EINTR ? -ERESTARTSYS : err;
}

static long do_sendfile(struct task *t, int outfd, int infd, uint64_t uoff, size_t count)
{
	struct file *in, *out;
	int64_t off = 0;
	long r;
	if ((r = file_for_io(t, infd, false, &in)))
		return r;
	if ((r = file_for_io(t, outfd, true, &out))) {
		file_put(in);
		return r;
	}
	if (!in->ops->read || !out->ops->write)
		r = -EINVAL;
	else if (uoff && !seekable(in))
		r = -ESPIPE;
	else if (uoff)
		r = off_in(t, uoff, &off);
	if (!r && !file_is_pipe(out) && (out->flags & O_APPEND))
		r = -EINVAL;
	if (!r && count) {
		if (count > MAX_RW_COUNT)
			count = MAX_RW_COUNT;
		r = copy_loop(t, in, uoff ? &off : NULL, out, NULL, count);
	}
	if (r >= 0 && uoff && mm_copy_out(t->mm, uoff, &off, sizeof off))
		r = -EFAULT;
	put2(in, out);
	return r;
}

DEFINE_SYSCALL(sendfile, R_INT, A_FD, A_FD, A_PTR, A_UINT)
{
	return do_sendfile(t, (int)a[0], (int)a[1], a[2], a[3]);
}

/* The attributes of an open file (regular files answer fstat). */
static int file_stat(struct file *f, struct stat *st)
{
	if (!f->ops->fstat)
		return -EINVAL;
	return f->ops->fstat(f, st);
}

/* Copies between regular files in the sentry: allowed across filesystems
 * (gofer, tmpfs, overlay), as Linux allows between two mounts of one
 * filesystem type. */
DEFINE_SYSCALL(copy_file_range, R_INT, A_FD, A_PTR, A_FD, A_PTR, A_UINT, A_HEX)
{
	uint64_t uoffin = a[1], uoffout = a[3];
	size_t len = a[4];
	struct file *in, *out;
	struct stat sin, sout;
	int64_t oin = 0, oout = 0;
	long r;
	if (a[5])
		return -EINVAL;
	struct file *fi = fget(t, (int)a[0]), *fo = fget(t, (int)a[2]);
	if (!fi || !fo) {
		file_put(fi);
		file_put(fo);
		return -EBADF;
	}
	in = fi;
	out = fo;
	if ((uoffin && mm_copy_in(t->mm, &oin, uoffin, sizeof oin)) ||
	    (uoffout && mm_copy_in(t->mm, &oout, uoffout, sizeof oout))) {
		r = -EFAULT;
		goto out;
	}
	if (file_is_path(in) || file_is_path(out) || file_stat(in, &sin) || file_stat(out, &sout)) {
		r = -EBADF;
		goto out;
	}
	if (S_ISDIR(sin.st_mode) || S_ISDIR(sout.st_mode)) {
		r = -EISDIR;
		goto out;
	}
	if (!S_ISREG(sin.st_mode) || !S_ISREG(sout.st_mode)) {
		r = -EINVAL;
		goto out;
	}
	if ((in->flags & O_ACCMODE) == O_WRONLY || (out->flags & O_ACCMODE) == O_RDONLY ||
	    (out->flags & O_APPEND)) {
		r = -EBADF;
		goto out;
	}
	int64_t pin = uoffin ? oin : in->pos, pout = uoffout ? oout : out->pos;
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	if (pin < 0 || pout < 0 || (int64_t)len > INT64_MAX - pin ||
	    (int64_t)len > INT64_MAX - pout) {
		r = -EOVERFLOW;
		goto out;
	}
	/* Overlapping ranges of one file are refused, as Linux does. */
	if (sin.st_dev == sout.st_dev && sin.st_ino == sout.st_ino && pout < pin + (int64_t)len &&
	    pin < pout + (int64_t)len) {
		r = -EINVAL;
		goto out;
	}
	r = len ? copy_loop(t, in, uoffin ? &oin : NULL, out, uoffout ? &oout : NULL, len) : 0;
	if (r >= 0 && uoffin && mm_copy_out(t->mm, uoffin, &oin, sizeof oin))
		r = -EFAULT;
	if (r >= 0 && uoffout && mm_copy_out(t->mm, uoffout, &oout, sizeof oout))
		r = -EFAULT;
out:
	put2(in, out);
	return r;
}
