/* Directory and namespace syscalls: getdents, getcwd, chdir, fchdir,
 * umask, and the calls that would change the (read-only) root: mkdir,
 * unlink, rename, chmod... answered EROFS where Linux would. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"

/* Bounce buffer for one getdents call: a short batch is always allowed. */
#define DENTS_MAX 32768

static long do_getdents(struct task *t, int fd, uint64_t ubuf, uint64_t count, bool old)
{
	struct file *f = fget(t, fd);
	long r;
	if (!f)
		return -EBADF;
	if (file_is_path(f)) {
		r = -EBADF;
		goto out;
	}
	if (!f->ops->getdents) {
		r = -ENOTDIR;
		goto out;
	}
	size_t size = count > DENTS_MAX ? DENTS_MAX : (size_t)count;
	char *buf = malloc(size ? size : 1);
	if (!buf) {
		r = -ENOMEM;
		goto out;
	}
	r = f->ops->getdents(f, buf, size);
	if (r > 0 && old) {
		/* linux_dirent has the same record sizes as linux_dirent64:
		 * d_type moves from before the name to the record's last byte. */
		for (long off = 0; off < r;) {
			char *rec = buf + off;
			uint16_t reclen;
			memcpy(&reclen, rec + 16, 2);
			uint8_t type = (uint8_t)rec[18];
			size_t nl = strlen(rec + 19);
			memmove(rec + 18, rec + 19, nl + 1);
			memset(rec + 18 + nl + 1, 0, reclen - (18 + nl + 1));
			rec[reclen - 1] = (char)type;
			off += reclen;
		}
	}
	if (r > 0 && mm_copy_out(t->mm, ubuf, buf, (size_t)r))
		r = -EFAULT;
	free(buf);
out:
	file_put(f);
	return r;
}

DEFINE_SYSCALL(getdents64, R_INT, A_FD, A_PTR, A_UINT)
{
	return do_getdents(t, (int)a[0], a[1], (unsigned)a[2], false);
}

DEFINE_SYSCALL(getdents, R_INT, A_FD, A_PTR, A_UINT)
{
	return do_getdents(t, (int)a[0], a[1], (unsigned)a[2], true);
}

DEFINE_SYSCALL(getcwd, R_INT, A_PTR, A_UINT)
{
	char buf[PATH_MAX];
	pthread_mutex_lock(&t->fs->lock);
	struct dentry *root = dentry_get(t->fs->root), *cwd = dentry_get(t->fs->cwd);
	pthread_mutex_unlock(&t->fs->lock);
	long l = dentry_path(root, cwd, buf, sizeof buf);
	dentry_put(root);
	dentry_put(cwd);
	if (l < 0)
		return l;
	if ((uint64_t)l + 1 > a[1])
		return -ERANGE;
	return mm_copy_out(t->mm, a[0], buf, (size_t)l + 1) ? -EFAULT : l + 1;
}

DEFINE_SYSCALL(chdir, R_INT, A_STR)
{
	char path[PATH_MAX];
	long l = path_in(t, a[0], path);
	if (l < 0)
		return l;
	return vfs_chdir(t, path);
}

DEFINE_SYSCALL(fchdir, R_INT, A_FD)
{
	struct file *f = fget(t, (int)a[0]);
	long r;
	if (!f)
		return -EBADF;
	if (!f->dentry || !S_ISDIR(f->dentry->st.st_mode)) {
		r = -ENOTDIR;
	} else if (!(r = vfs_permission(&t->cred, &f->dentry->st, MAY_EXEC))) {
		pthread_mutex_lock(&t->fs->lock);
		struct dentry *old = t->fs->cwd;
		t->fs->cwd = dentry_get(f->dentry);
		pthread_mutex_unlock(&t->fs->lock);
		dentry_put(old);
	}
	file_put(f);
	return r;
}

DEFINE_SYSCALL(umask, R_INT, A_OCT)
{
	pthread_mutex_lock(&t->fs->lock);
	mode_t old = t->fs->umask;
	t->fs->umask = (mode_t)a[0] & 0777;
	pthread_mutex_unlock(&t->fs->lock);
	return old;
}

/* ---- changes to the read-only root ---- */

/* Creating name under (dirfd, path): EEXIST if it exists (Linux checks
 * that first), else EROFS; errors of the parent's walk as they come. */
static long erofs_create(struct task *t, int dirfd, uint64_t upath)
{
	struct dentry *parent, *d;
	char last[256];
	long r = walk_parent_at(t, dirfd, upath, &parent, last);
	if (r)
		return r;
	if (!*last || !strcmp(last, ".") || !strcmp(last, "..")) {
		r = -EEXIST;
	} else if (vfs_permission(&t->cred, &parent->st, MAY_EXEC)) {
		r = -EACCES;
	} else if (dentry_lookup(parent, last, &d) == 0) {
		dentry_put(d);
		r = -EEXIST;
	} else {
		r = -EROFS;
	}
	dentry_put(parent);
	return r;
}

/* Removing or renaming: EROFS once the parent is found (Linux asks for
 * write access to the mount before looking the name up). */
static long erofs_parent(struct task *t, int dirfd, uint64_t upath)
{
	struct dentry *parent;
	char last[256];
	long r = walk_parent_at(t, dirfd, upath, &parent, last);
	if (r)
		return r;
	dentry_put(parent);
	return -EROFS;
}

/* Changing an existing object: its walk's error, else EROFS. */
static long erofs_path(struct task *t, int dirfd, uint64_t upath, bool follow, bool empty_ok)
{
	struct dentry *d;
	struct file *f = NULL;
	long r = walk_at_user(t, dirfd, upath, follow ? WALK_FOLLOW : 0, empty_ok, &d, &f);
	if (r)
		return r;
	if (f)
		file_put(f);
	dentry_put(d);
	return -EROFS;
}

static long erofs_fd(struct task *t, int fd)
{
	struct file *f = fget(t, fd);
	if (!f)
		return -EBADF;
	bool path = file_is_path(f);
	file_put(f);
	return path ? -EBADF : -EROFS;
}

DEFINE_SYSCALL(mkdir, R_INT, A_STR, A_OCT) { return erofs_create(t, AT_FDCWD, a[0]); }

DEFINE_SYSCALL(mkdirat, R_INT, A_DIRFD, A_STR, A_OCT) { return erofs_create(t, (int)a[0], a[1]); }

DEFINE_SYSCALL(mknod, R_INT, A_STR, A_OCT, A_HEX) { return erofs_create(t, AT_FDCWD, a[0]); }

DEFINE_SYSCALL(mknodat, R_INT, A_DIRFD, A_STR, A_OCT, A_HEX)
{
	return erofs_create(t, (int)a[0], a[1]);
}

DEFINE_SYSCALL(symlink, R_INT, A_STR, A_STR) { return erofs_create(t, AT_FDCWD, a[1]); }

DEFINE_SYSCALL(symlinkat, R_INT, A_STR, A_DIRFD, A_STR) { return erofs_create(t, (int)a[1], a[2]); }

DEFINE_SYSCALL(link, R_INT, A_STR, A_STR)
{
	long r = erofs_path(t, AT_FDCWD, a[0], false, false);
	return r == -EROFS ? erofs_create(t, AT_FDCWD, a[1]) : r;
}

DEFINE_SYSCALL(linkat, R_INT, A_DIRFD, A_STR, A_DIRFD, A_STR, A_HEX)
{
	int flags = (int)a[4];
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	long r = erofs_path(t, (int)a[0], a[1], flags & AT_SYMLINK_FOLLOW, flags & AT_EMPTY_PATH);
	return r == -EROFS ? erofs_create(t, (int)a[2], a[3]) : r;
}

DEFINE_SYSCALL(unlink, R_INT, A_STR) { return erofs_parent(t, AT_FDCWD, a[0]); }

DEFINE_SYSCALL(unlinkat, R_INT, A_DIRFD, A_STR, A_HEX)
{
	if ((int)a[2] & ~AT_REMOVEDIR)
		return -EINVAL;
	return erofs_parent(t, (int)a[0], a[1]);
}

DEFINE_SYSCALL(rmdir, R_INT, A_STR) { return erofs_parent(t, AT_FDCWD, a[0]); }

static long do_rename(struct task *t, int olddir, uint64_t oldp, int newdir, uint64_t newp)
{
	long r = erofs_parent(t, olddir, oldp);
	if (r != -EROFS)
		return r;
	return erofs_parent(t, newdir, newp);
}

DEFINE_SYSCALL(rename, R_INT, A_STR, A_STR) { return do_rename(t, AT_FDCWD, a[0], AT_FDCWD, a[1]); }

DEFINE_SYSCALL(renameat, R_INT, A_DIRFD, A_STR, A_DIRFD, A_STR)
{
	return do_rename(t, (int)a[0], a[1], (int)a[2], a[3]);
}

DEFINE_SYSCALL(renameat2, R_INT, A_DIRFD, A_STR, A_DIRFD, A_STR, A_HEX)
{
	if (a[4] & ~7ULL) /* RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT */
		return -EINVAL;
	return do_rename(t, (int)a[0], a[1], (int)a[2], a[3]);
}

DEFINE_SYSCALL(chmod, R_INT, A_STR, A_OCT) { return erofs_path(t, AT_FDCWD, a[0], true, false); }

DEFINE_SYSCALL(fchmodat, R_INT, A_DIRFD, A_STR, A_OCT)
{
	return erofs_path(t, (int)a[0], a[1], true, false);
}

DEFINE_SYSCALL(fchmod, R_INT, A_FD, A_OCT) { return erofs_fd(t, (int)a[0]); }

DEFINE_SYSCALL(chown, R_INT, A_STR, A_INT, A_INT)
{
	return erofs_path(t, AT_FDCWD, a[0], true, false);
}

DEFINE_SYSCALL(lchown, R_INT, A_STR, A_INT, A_INT)
{
	return erofs_path(t, AT_FDCWD, a[0], false, false);
}

DEFINE_SYSCALL(fchownat, R_INT, A_DIRFD, A_STR, A_INT, A_INT, A_HEX)
{
	int flags = (int)a[4];
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return erofs_path(t, (int)a[0], a[1], !(flags & AT_SYMLINK_NOFOLLOW),
			  flags & AT_EMPTY_PATH);
}

DEFINE_SYSCALL(fchown, R_INT, A_FD, A_INT, A_INT) { return erofs_fd(t, (int)a[0]); }

DEFINE_SYSCALL(truncate, R_INT, A_STR, A_INT)
{
	struct dentry *d;
	if ((int64_t)a[1] < 0)
		return -EINVAL;
	long r = walk_at_user(t, AT_FDCWD, a[0], WALK_FOLLOW, false, &d, NULL);
	if (r)
		return r;
	r = S_ISDIR(d->st.st_mode) ? -EISDIR : !S_ISREG(d->st.st_mode) ? -EINVAL : -EROFS;
	dentry_put(d);
	return r;
}

DEFINE_SYSCALL(ftruncate, R_INT, A_FD, A_INT)
{
	struct file *f = fget(t, (int)a[0]);
	long r;
	if (!f)
		return -EBADF;
	if (file_is_path(f))
		r = -EBADF;
	else if ((int64_t)a[1] < 0 || (f->flags & O_ACCMODE) == O_RDONLY)
		r = -EINVAL;
	else if (!f->dentry || !S_ISREG(f->dentry->st.st_mode))
		r = -EINVAL;
	else
		r = -EROFS;
	file_put(f);
	return r;
}

DEFINE_SYSCALL(utimensat, R_INT, A_DIRFD, A_STR, A_PTR, A_HEX)
{
	int flags = (int)a[3];
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	/* A NULL path is futimens() on dirfd. */
	if (!a[1])
		return (int)a[0] == AT_FDCWD ? -EFAULT : erofs_fd(t, (int)a[0]);
	return erofs_path(t, (int)a[0], a[1], !(flags & AT_SYMLINK_NOFOLLOW),
			  flags & AT_EMPTY_PATH);
}

DEFINE_SYSCALL(utimes, R_INT, A_STR, A_PTR) { return erofs_path(t, AT_FDCWD, a[0], true, false); }

DEFINE_SYSCALL(utime, R_INT, A_STR, A_PTR) { return erofs_path(t, AT_FDCWD, a[0], true, false); }

DEFINE_SYSCALL(futimesat, R_INT, A_DIRFD, A_STR, A_PTR)
{
	return erofs_path(t, (int)a[0], a[1], true, false);
}
