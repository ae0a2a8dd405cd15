/* File syscalls: open, openat, creat, close, close_range and the read/write
 * family, plus the *at() path helpers the other file families share. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "common/log.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/fsnotify.h"

/* ---- path helpers ---- */

long path_in(struct task *t, uint64_t upath, char buf[PATH_MAX])
{
	return mm_strncpy_in(t->mm, buf, upath, PATH_MAX);
}

int dirfd_start(struct task *t, int dirfd, struct dentry **out)
{
	if (dirfd == AT_FDCWD) {
		pthread_mutex_lock(&t->fs->lock);
		*out = dentry_get(t->fs->cwd);
		pthread_mutex_unlock(&t->fs->lock);
		return 0;
	}
	struct file *f = fget(t, dirfd);
	if (!f)
		return -EBADF;
	int r = -ENOTDIR;
	if (f->dentry && S_ISDIR(f->dentry->st.st_mode)) {
		*out = dentry_get(f->dentry);
		r = 0;
	}
	file_put(f);
	return r;
}

int walk_at(struct task *t, int dirfd, const char *path, int walk_flags, bool empty_ok,
	    struct dentry **out, struct file **fout)
{
	struct dentry *start = NULL;
	int r;
	if (!*path) {
		if (!empty_ok)
			return -ENOENT;
		if (dirfd == AT_FDCWD)
			return dirfd_start(t, dirfd, out);
		struct file *f = fget(t, dirfd);
		if (!f)
			return -EBADF;
		*out = f->dentry ? dentry_get(f->dentry) : NULL;
		if (fout)
			*fout = f;
		else
			file_put(f);
		if (!*out && !fout)
			return -ENOENT;
		return 0;
	}
	if (path[0] != '/') {
		r = dirfd_start(t, dirfd, &start);
		if (r)
			return r;
	}
	r = vfs_walk(t, start, path, walk_flags, out);
	dentry_put(start);
	if (!r && fout)
		*fout = NULL;
	return r;
}

int walk_at_user(struct task *t, int dirfd, uint64_t upath, int walk_flags, bool empty_ok,
		 struct dentry **out, struct file **fout)
{
	char path[PATH_MAX];
	long l = path_in(t, upath, path);
	if (l < 0)
		return (int)l;
	return walk_at(t, dirfd, path, walk_flags, empty_ok, out, fout);
}

int walk_parent_at(struct task *t, int dirfd, uint64_t upath, struct dentry **parent,
		   char last[256])
{
	char path[PATH_MAX];
	struct dentry *start = NULL;
	long l = path_in(t, upath, path);
	if (l < 0)
		return (int)l;
	if (!l)
		return -ENOENT;
	if (path[0] != '/') {
		int r = dirfd_start(t, dirfd, &start);
		if (r)
			return r;
	}
	int r = vfs_walk_parent(t, start, path, parent, last);
	dentry_put(start);
	return r;
}

/* ---- open and close ---- */

/* open(O_CREAT) of a name that does not exist: made by the parent's
 * filesystem (EROFS on the read-only root), mode less the umask.  0 with
 * the new file's dentry in *out. */
static int open_create(struct task *t, int dirfd, const char *path, mode_t mode, int rflags,
		       struct dentry **out)
{
	struct dentry *parent, *start = NULL;
	char last[256];
	bool scoped = rflags & (WALK_BENEATH | WALK_IN_ROOT);
	int r = path[0] == '/' && !scoped ? 0 : dirfd_start(t, dirfd, &start);
	if (!r)
		r = vfs_walk_parent_flags(t, start, path, rflags, &parent, last);
	dentry_put(start);
	if (r)
		return r;
	if (path[strlen(path) - 1] == '/' || !*last || !strcmp(last, ".") || !strcmp(last, ".."))
		r = -EISDIR;
	else if (!dentry_wops(parent) || !dentry_wops(parent)->create)
		r = -EROFS;
	else if (!(r = vfs_may_create(&t->cred, parent))) {
		pthread_mutex_lock(&t->fs->lock);
		mode_t umask = t->fs->umask;
		pthread_mutex_unlock(&t->fs->lock);
		r = dentry_wops(parent)->create(parent, last, mode & 07777 & ~umask, &t->cred, out);
		if (!r)
			fsnotify_create(parent, last, false);
	}
	dentry_put(parent);
	return r;
}

/* O_TMPFILE without the O_DIRECTORY bit glibc folds into it. */
#define TMPFILE_BIT 020000000

/* The walk of an open: openat2's RESOLVE_BENEATH and RESOLVE_IN_ROOT
 * start at dirfd even for an absolute path. */
static int open_walk(struct task *t, int dirfd, const char *path, int wf, struct dentry **out)
{
	struct dentry *start;
	if (!(wf & (WALK_BENEATH | WALK_IN_ROOT)))
		return walk_at(t, dirfd, path, wf, false, out, NULL);
	if (!*path)
		return -ENOENT;
	int r = dirfd_start(t, dirfd, &start);
	if (r)
		return r;
	r = vfs_walk(t, start, path, wf, out);
	dentry_put(start);
	return r;
}

/* O_TMPFILE in directory *d: replaces *d by the new unnamed file's
 * dentry.  EROFS on a read-only tree, EOPNOTSUPP where the filesystem
 * has no unnamed files (the gofer tree, /proc). */
static int open_tmpfile(struct task *t, struct dentry **d, int flags, mode_t mode)
{
	const struct dentry_ops *ops = dentry_wops(*d);
	struct dentry *td;
	if (!S_ISDIR((*d)->st.st_mode))
		return -ENOTDIR;
	if (!ops)
		return -EROFS;
	if (!ops->tmpfile)
		return -EOPNOTSUPP;
	int r = vfs_may_create(&t->cred, *d);
	if (r)
		return r;
	pthread_mutex_lock(&t->fs->lock);
	mode_t umask = t->fs->umask;
	pthread_mutex_unlock(&t->fs->lock);
	r = ops->tmpfile(*d, mode & 07777 & ~umask, &t->cred, !(flags & O_EXCL), &td);
	if (r)
		return r;
	dentry_put(*d);
	*d = td;
	return 0;
}

static long do_open(struct task *t, int dirfd, uint64_t upath, int flags, mode_t mode, int rflags)
{
	char path[PATH_MAX];
	struct dentry *d;
	struct file *f;
	long r = path_in(t, upath, path);
	if (r < 0)
		return r;
	int acc = flags & O_ACCMODE;
	if (flags & O_PATH)
		flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	if ((flags & TMPFILE_BIT) && ((flags & O_TMPFILE) != O_TMPFILE || acc == O_RDONLY))
		return -EINVAL;
	/* O_CREAT|O_EXCL never follows the last symlink. */
	bool follow = !(flags & O_NOFOLLOW) && (flags & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL);
	int wf = (follow ? WALK_FOLLOW : 0) | ((flags & O_DIRECTORY) ? WALK_DIR : 0);

	wf |= rflags;
	r = open_walk(t, dirfd, path, wf, &d);
	bool created = false;
	if ((flags & O_CREAT) && !(flags & TMPFILE_BIT)) {
		if (r == -ENOENT) {
			r = open_create(t, dirfd, path, mode, rflags, &d);
			/* Another task made it first: open theirs. */
			if (r == -EEXIST && !(flags & O_EXCL))
				r = open_walk(t, dirfd, path, wf, &d);
			else if (!r)
				created = true;
			if (r)
				return r;
		} else if (r == 0 && (flags & O_EXCL)) {
			dentry_put(d);
			return -EEXIST;
		}
	}
	if (r)
		return r;
	if (flags & TMPFILE_BIT) {
		if ((r = open_tmpfile(t, &d, flags, mode)))
			goto out;
		/* The creator may write what it made, whatever the mode. */
		created = true;
		flags &= ~(TMPFILE_BIT | O_DIRECTORY | O_CREAT | O_EXCL);
	}
	if (!(flags & O_PATH)) {
		struct stat st;
		dentry_getattr(d, &st);
		if (S_ISLNK(st.st_mode)) {
			r = -ELOOP;
			goto out;
		}
		int may = 0;
		if (acc == O_RDONLY || acc == O_RDWR)
			may |= MAY_READ;
		if (acc == O_WRONLY || acc == O_RDWR || (flags & O_TRUNC))
			may |= MAY_WRITE;
		if (S_ISDIR(st.st_mode) && (may & MAY_WRITE)) {
			r = -EISDIR;
			goto out;
		}
		if (acc == O_ACCMODE) {
			r = -EINVAL;
			goto out;
		}
		/* The creator may open what it made, whatever the mode says. */
		r = created ? 0 : vfs_permission(&t->cred, &st, may);
		if (r)
			goto out;
		/* The root is read-only: writing a file or directory of it is
		 * refused before asking the gofer (devices may be written).
		 * Synthetic filesystems decide in their open. */
		if ((may & MAY_WRITE) && S_ISREG(d->st.st_mode) && !d->ops && !dentry_wops(d)) {
			r = -EROFS;
			goto out;
		}
	}
	r = vfs_open_dentry(t, d, flags, &f);
	if (r)
		goto out;
	if ((flags & O_TRUNC) && !created && S_ISREG(d->st.st_mode))
		fsnotify_file(f, IN_MODIFY);
	fsnotify_open(f);
	r = fd_install(t->files, f, flags & O_CLOEXEC, 0, nofile_limit(t));
	file_put(f);
out:
	dentry_put(d);
	return r;
}

DEFINE_SYSCALL(open, R_INT, A_STR, A_HEX, A_OCT)
{
	return do_open(t, AT_FDCWD, a[0], (int)a[1], (mode_t)a[2], 0);
}

DEFINE_SYSCALL(openat, R_INT, A_DIRFD, A_STR, A_HEX, A_OCT)
{
	return do_open(t, (int)a[0], a[1], (int)a[2], (mode_t)a[3], 0);
}

DEFINE_SYSCALL(creat, R_INT, A_STR, A_OCT)
{
	return do_open(t, AT_FDCWD, a[0], O_CREAT | O_WRONLY | O_TRUNC, (mode_t)a[1], 0);
}

/* openat2(2): struct open_how, strict about unknown bits. */
struct open_how_k {
	uint64_t flags, mode, resolve;
};
#define OPEN_HOW_SIZE_VER0 24
#define RESOLVE_NO_XDEV_K 0x01
#define RESOLVE_NO_MAGICLINKS_K 0x02
#define RESOLVE_NO_SYMLINKS_K 0x04
#define RESOLVE_BENEATH_K 0x08
#define RESOLVE_IN_ROOT_K 0x10
#define RESOLVE_CACHED_K 0x20
/* Linux's VALID_OPEN_FLAGS (its O_LARGEFILE is 0100000 on x86-64). */
#define VALID_OPEN_FLAGS_K 037777703ULL
/* What O_PATH may be combined with (O_PATH_FLAGS). */
#define O_PATH_FLAGS_K (O_DIRECTORY | O_NOFOLLOW | O_PATH | O_CLOEXEC)

DEFINE_SYSCALL(openat2, R_INT, A_DIRFD, A_STR, A_PTR, A_UINT)
{
	struct open_how_k how;
	size_t size = a[3];
	if (size < OPEN_HOW_SIZE_VER0)
		return -EINVAL;
	if (size > 4096)
		return -E2BIG;
	if (mm_copy_in(t->mm, &how, a[2], sizeof how))
		return -EFAULT;
	/* A newer caller's extension must be all zero to be ignored. */
	for (size_t off = sizeof how; off < size;) {
		uint8_t buf[256];
		size_t n = size - off < sizeof buf ? size - off : sizeof buf;
		if (mm_copy_in(t->mm, buf, a[2] + off, n))
			return -EFAULT;
		for (size_t i = 0; i < n; i++)
			if (buf[i])
				return -E2BIG;
		off += n;
	}
	if (how.flags & ~VALID_OPEN_FLAGS_K)
		return -EINVAL;
	if (how.resolve & ~(uint64_t)0x3f)
		return -EINVAL;
	int flags = (int)how.flags;
	if ((flags & O_PATH) && (flags & ~O_PATH_FLAGS_K))
		return -EINVAL;
	if (how.mode & ~(uint64_t)07777)
		return -EINVAL;
	if (how.mode && !(flags & (O_CREAT | TMPFILE_BIT)))
		return -EINVAL;
	if ((how.resolve & RESOLVE_BENEATH_K) && (how.resolve & RESOLVE_IN_ROOT_K))
		return -EINVAL;
	/* Every lookup may need the gofer: never "cached only". */
	if (how.resolve & RESOLVE_CACHED_K)
		return -EAGAIN;
	int rflags = 0;
	if (how.resolve & RESOLVE_NO_XDEV_K)
		rflags |= WALK_NO_XDEV;
	if (how.resolve & RESOLVE_NO_MAGICLINKS_K)
		rflags |= WALK_NO_MAGICLINKS;
	if (how.resolve & RESOLVE_NO_SYMLINKS_K)
		rflags |= WALK_NO_SYMLINKS | WALK_NO_MAGICLINKS;
	if (how.resolve & RESOLVE_BENEATH_K)
		rflags |= WALK_BENEATH;
	if (how.resolve & RESOLVE_IN_ROOT_K)
		rflags |= WALK_IN_ROOT;
	return do_open(t, (int)a[0], a[1], flags, (mode_t)how.mode, rflags);
}

DEFINE_SYSCALL(close, R_INT, A_FD) { return fd_close(t->files, (int)a[0]); }

#define CLOSE_RANGE_UNSHARE (1U << 1)
#define CLOSE_RANGE_CLOEXEC (1U << 2)

DEFINE_SYSCALL(close_range, R_INT, A_UINT, A_UINT, A_HEX)
{
	unsigned first = (unsigned)a[0], last = (unsigned)a[1], flags = (unsigned)a[2];
	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (first > last)
		return -EINVAL;
	/* The table is not shared before threads exist; UNSHARE is a no-op. */
	pthread_mutex_lock(&t->files->lock);
	int size = t->files->size;
	pthread_mutex_unlock(&t->files->lock);
	if (last >= (unsigned)size)
		last = size ? (unsigned)size - 1 : 0;
	for (unsigned fd = first; fd <= last && fd < (unsigned)size; fd++) {
		if (flags & CLOSE_RANGE_CLOEXEC)
			fd_set_cloexec(t->files, (int)fd, true);
		else
			fd_close(t->files, (int)fd);
	}
	return 0;
}

/* ---- read and write ---- */

int iov_from_app(struct task *t, const struct iovec *uiov, int ucnt, bool to_app,
		 struct iovec *iov)
{
	int n = 0;
	size_t total = 0;
	for (int i = 0; i < ucnt && n < RW_IOVS; i++) {
		size_t len = uiov[i].iov_len;
		if (total + len > MAX_RW_COUNT)
			len = MAX_RW_COUNT - total;
		if (!len)
			continue;
		size_t done = 0;
		int r = mm_iov(t->mm, (uint64_t)(uintptr_t)uiov[i].iov_base, len, to_app, iov + n,
			       RW_IOVS - n, &done);
		if (r < 0)
			return n ? n : r;
		size_t got = 0;
		for (int j = 0; j < r; j++)
			got += iov[n + j].iov_len;
		n += r;
		total += got;
		if (got < len || total >= MAX_RW_COUNT)
			break;
	}
	return n;
}

long file_for_io(struct task *t, int fd, bool write, struct file **out)
{
	struct file *f = fget(t, fd);
	if (!f)
		return -EBADF;
	int acc = f->flags & O_ACCMODE;
	if (file_is_path(f) || (write ? acc == O_RDONLY : acc == O_WRONLY)) {
		file_put(f);
		return -EBADF;
	}
	*out = f;
	return 0;
}

/* file_for_io, and the file must have the op (else -EINVAL). */
static long rw_file(struct task *t, int fd, bool write, struct file **out)
{
	struct file *f;
	long r = file_for_io(t, fd, write, &f);
	if (r)
		return r;
	if (write ? !f->ops->write : !f->ops->read) {
		file_put(f);
		return -EINVAL;
	}
	*out = f;
	return 0;
}

static long do_rw(struct task *t, int fd, const struct iovec *uiov, int ucnt, int64_t off,
		  bool write)
{
	struct file *f;
	struct iovec iov[RW_IOVS];
	long r = rw_file(t, fd, write, &f);
	if (r)
		return r;
	int n = iov_from_app(t, uiov, ucnt, !write, iov);
	if (n < 0) {
		/* A directory says EISDIR before the buffer is looked at. */
		if (!write && f->dentry && S_ISDIR(f->dentry->st.st_mode))
			n = -EISDIR;
		file_put(f);
		return n;
	}
	r = write ? f->ops->write(f, iov, n, off) : f->ops->read(f, iov, n, off);
	if (r > 0)
		fsnotify_file(f, write ? IN_MODIFY : IN_ACCESS);
	file_put(f);
	return r;
}

static long rw_single(struct task *t, const uint64_t *a, int64_t off, bool write)
{
	size_t len = a[2];
	if (len > MAX_RW_COUNT)
		len = MAX_RW_COUNT;
	struct iovec u = {.iov_base = (void *)(uintptr_t)a[1], .iov_len = len};
	return do_rw(t, (int)a[0], &u, 1, off, write);
}

DEFINE_SYSCALL(read, R_INT, A_FD, A_BUFOUT, A_UINT) { return rw_single(t, a, -1, false); }

DEFINE_SYSCALL(write, R_INT, A_FD, A_BUFIN, A_UINT) { return rw_single(t, a, -1, true); }

DEFINE_SYSCALL(pread64, R_INT, A_FD, A_BUFOUT, A_UINT, A_INT)
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return rw_single(t, a, (int64_t)a[3], false);
}

DEFINE_SYSCALL(pwrite64, R_INT, A_FD, A_BUFIN, A_UINT, A_INT)
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return rw_single(t, a, (int64_t)a[3], true);
}

long iov_array_in(struct task *t, uint64_t uaddr, uint64_t cnt, struct iovec *uiov, int too_many)
{
	if (cnt > UIO_MAXIOV)
		return -too_many;
	if (cnt && mm_copy_in(t->mm, uiov, uaddr, cnt * sizeof *uiov))
		return -EFAULT;
	for (uint64_t i = 0; i < cnt; i++)
		if ((ssize_t)uiov[i].iov_len < 0)
			return -EINVAL;
	return 0;
}

static long rw_vec(struct task *t, const uint64_t *a, int64_t off, bool write)
{
	struct iovec uiov[UIO_MAXIOV];
	struct file *f;
	/* EBADF comes before any look at the vector. */
	long r = rw_file(t, (int)a[0], write, &f);
	if (r)
		return r;
	file_put(f);
	r = iov_array_in(t, a[1], a[2], uiov, EINVAL);
	if (r)
		return r;
	return do_rw(t, (int)a[0], uiov, (int)a[2], off, write);
}

DEFINE_SYSCALL(readv, R_INT, A_FD, A_PTR, A_UINT) { return rw_vec(t, a, -1, false); }

DEFINE_SYSCALL(writev, R_INT, A_FD, A_PTR, A_UINT) { return rw_vec(t, a, -1, true); }

DEFINE_SYSCALL(preadv, R_INT, A_FD, A_PTR, A_UINT, A_INT)
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return rw_vec(t, a, (int64_t)a[3], false);
}

DEFINE_SYSCALL(pwritev, R_INT, A_FD, A_PTR, A_UINT, A_INT)
{
	if ((int64_t)a[3] < 0)
		return -EINVAL;
	return rw_vec(t, a, (int64_t)a[3], true);
}

/* preadv2/pwritev2: offset -1 means the file position; no RWF_* flag is
 * supported yet (RWF_HIPRI and friends are hints Linux may also refuse). */
DEFINE_SYSCALL_SUP(preadv2, SUP_PARTIAL, R_INT, A_FD, A_PTR, A_UINT, A_INT, A_INT, A_HEX)
{
	int64_t off = (int64_t)a[3];
	if (a[5])
		return -EOPNOTSUPP;
	if (off < -1)
		return -EINVAL;
	return rw_vec(t, a, off, false);
}

DEFINE_SYSCALL_SUP(pwritev2, SUP_PARTIAL, R_INT, A_FD, A_PTR, A_UINT, A_INT, A_INT, A_HEX)
{
	int64_t off = (int64_t)a[3];
	if (a[5])
		return -EOPNOTSUPP;
	if (off < -1)
		return -EINVAL;
	return rw_vec(t, a, off, true);
}
