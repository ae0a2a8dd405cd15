/* Inode queries: the stat family, statx, access, readlink, statfs. */
#include <errno.h>
#include <linux/stat.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "sentry/fs/gofer/client.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"

/* The attributes of (dirfd, path) per the *at() flags.  AT_EMPTY_PATH on
 * a file without a dentry (stdio) asks the file itself. */
static long stat_at(struct task *t, int dirfd, uint64_t upath, int flags, struct stat *st)
{
	struct dentry *d;
	struct file *f = NULL;
	char path[PATH_MAX];
	long r;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if (!upath && (flags & AT_EMPTY_PATH)) {
		path[0] = '\0';
	} else {
		r = path_in(t, upath, path);
		if (r < 0)
			return r;
	}
	int wf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : WALK_FOLLOW;
	r = walk_at(t, dirfd, path, wf, flags & AT_EMPTY_PATH, &d, &f);
	if (r)
		return r;
	if (f) {
		/* Open files ask their filesystem: the host fd is freshest. */
		r = f->ops->fstat ? f->ops->fstat(f, st) : -EINVAL;
		file_put(f);
	} else {
		dentry_getattr(d, st);
	}
	dentry_put(d);
	return r;
}

static long stat_out(struct task *t, long r, const struct stat *st, uint64_t ubuf)
{
	if (r)
		return r;
	return mm_copy_out(t->mm, ubuf, st, sizeof *st) ? -EFAULT : 0;
}

DEFINE_SYSCALL(fstat, R_INT, A_FD, A_PTR)
{
	struct stat st;
	struct file *f = fget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	long r = f->ops->fstat ? f->ops->fstat(f, &st) : -EINVAL;
	file_put(f);
	return stat_out(t, r, &st, a[1]);
}

DEFINE_SYSCALL(stat, R_INT, A_STR, A_PTR)
{
	struct stat st;
	return stat_out(t, stat_at(t, AT_FDCWD, a[0], 0, &st), &st, a[1]);
}

DEFINE_SYSCALL(lstat, R_INT, A_STR, A_PTR)
{
	struct stat st;
	return stat_out(t, stat_at(t, AT_FDCWD, a[0], AT_SYMLINK_NOFOLLOW, &st), &st, a[1]);
}

DEFINE_SYSCALL(newfstatat, R_INT, A_DIRFD, A_STR, A_PTR, A_HEX)
{
	struct stat st;
	if ((int)a[3] & AT_STATX_SYNC_TYPE)
		return -EINVAL;
	return stat_out(t, stat_at(t, (int)a[0], a[1], (int)a[3], &st), &st, a[2]);
}

DEFINE_SYSCALL(statx, R_INT, A_DIRFD, A_STR, A_HEX, A_HEX, A_PTR)
{
	struct stat st;
	int flags = (int)a[2];
	unsigned mask = (unsigned)a[3];
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE)
		return -EINVAL;
	if (mask & STATX__RESERVED)
		return -EINVAL;
	long r = stat_at(t, (int)a[0], a[1], flags, &st);
	if (r)
		return r;
	struct statx sx;
	memset(&sx, 0, sizeof sx);
	/* Everything struct stat knows; no birth time, no mount id. */
	sx.stx_mask = STATX_BASIC_STATS;
	sx.stx_blksize = (uint32_t)st.st_blksize;
	sx.stx_nlink = (uint32_t)st.st_nlink;
	sx.stx_uid = st.st_uid;
	sx.stx_gid = st.st_gid;
	sx.stx_mode = (uint16_t)st.st_mode;
	sx.stx_ino = st.st_ino;
	sx.stx_size = (uint64_t)st.st_size;
	sx.stx_blocks = (uint64_t)st.st_blocks;
	sx.stx_atime.tv_sec = st.st_atim.tv_sec;
	sx.stx_atime.tv_nsec = (uint32_t)st.st_atim.tv_nsec;
	sx.stx_mtime.tv_sec = st.st_mtim.tv_sec;
	sx.stx_mtime.tv_nsec = (uint32_t)st.st_mtim.tv_nsec;
	sx.stx_ctime.tv_sec = st.st_ctim.tv_sec;
	sx.stx_ctime.tv_nsec = (uint32_t)st.st_ctim.tv_nsec;
	sx.stx_rdev_major = major(st.st_rdev);
	sx.stx_rdev_minor = minor(st.st_rdev);
	sx.stx_dev_major = major(st.st_dev);
	sx.stx_dev_minor = minor(st.st_dev);
	return mm_copy_out(t->mm, a[4], &sx, sizeof sx) ? -EFAULT : 0;
}

#define CAP_FULL_SET ((1ULL << 41) - 1)

static long do_access(struct task *t, int dirfd, uint64_t upath, int mode, int flags)
{
	struct dentry *d;
	struct file *f = NULL;
	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	/* Checked with the real ids unless AT_EACCESS; capabilities follow
	 * the real uid as Linux's access_override_creds has it. */
	struct cred saved = t->cred;
	if (!(flags & AT_EACCESS)) {
		t->cred.fsuid = t->cred.ruid;
		t->cred.fsgid = t->cred.rgid;
		t->cred.cap_effective = t->cred.ruid == 0 ? t->cred.cap_permitted : 0;
	}
	int wf = (flags & AT_SYMLINK_NOFOLLOW) ? 0 : WALK_FOLLOW;
	long r = walk_at_user(t, dirfd, upath, wf, flags & AT_EMPTY_PATH, &d, &f);
	if (!r && f) {
		file_put(f);
		if (!d)
			goto out; /* stdio: the host decided when it was opened */
	}
	if (!r) {
		struct stat st;
		dentry_getattr(d, &st);
		mode_t m = st.st_mode;
		/* Writable filesystems answer with the permission bits. */
		bool ro = !dentry_wops(d) || !dentry_wops(d)->setattr;
		if ((mode & W_OK) && ro && (S_ISREG(m) || S_ISDIR(m) || S_ISLNK(m)))
			r = -EROFS;
		else if (mode)
			r = vfs_permission(&t->cred, &st,
					   ((mode & R_OK) ? MAY_READ : 0) |
					       ((mode & W_OK) ? MAY_WRITE : 0) |
					       ((mode & X_OK) ? MAY_EXEC : 0));
		dentry_put(d);
	}
out:
	t->cred = saved;
	return r;
}

DEFINE_SYSCALL(access, R_INT, A_STR, A_OCT) { return do_access(t, AT_FDCWD, a[0], (int)a[1], 0); }

DEFINE_SYSCALL(faccessat, R_INT, A_DIRFD, A_STR, A_OCT)
{
	return do_access(t, (int)a[0], a[1], (int)a[2], 0);
}

DEFINE_SYSCALL(faccessat2, R_INT, A_DIRFD, A_STR, A_OCT, A_HEX)
{
	return do_access(t, (int)a[0], a[1], (int)a[2], (int)a[3]);
}

static long do_readlink(struct task *t, int dirfd, uint64_t upath, uint64_t ubuf, int64_t size)
{
	struct dentry *d;
	struct file *f = NULL;
	char target[GOFER_LINK_SIZE];
	if (size <= 0)
		return -EINVAL;
	/* An empty path reads the link an O_PATH|O_NOFOLLOW dirfd names. */
	long r = walk_at_user(t, dirfd, upath, 0, true, &d, &f);
	if (r)
		return r;
	if (f)
		file_put(f);
	if (!d)
		return -ENOENT;
	/* An empty path names the dirfd itself, which must be a symlink;
	 * with AT_FDCWD there is nothing to name (ENOENT, as Linux). */
	char first;
	bool empty = !mm_copy_in(t->mm, &first, upath, 1) && !first;
	if ((f || empty) && !S_ISLNK(d->st.st_mode)) {
		dentry_put(d);
		return -ENOENT;
	}
	r = dentry_readlink(d, target, sizeof target);
	dentry_put(d);
	if (r < 0)
		return r;
	if (r > size)
		r = size;
	return mm_copy_out(t->mm, ubuf, target, (size_t)r) ? -EFAULT : r;
}

DEFINE_SYSCALL(readlink, R_INT, A_STR, A_BUFOUT, A_UINT)
{
	return do_readlink(t, AT_FDCWD, a[0], a[1], (int)a[2]);
}

DEFINE_SYSCALL(readlinkat, R_INT, A_DIRFD, A_STR, A_BUFOUT, A_UINT)
{
	return do_readlink(t, (int)a[0], a[1], a[2], (int)a[3]);
}

/* statfs of a gofer node: the host filesystem it lives on (marked
 * read-only unless the sandbox may write there); files the host cannot
 * describe get a fixed answer.  Synthetic filesystems answer with their
 * magic. */
static long statfs_dentry(struct dentry *d, struct statfs *sf)
{
	memset(sf, 0, sizeof *sf);
	if (d->ops && d->ops->statfs)
		return d->ops->statfs(d, sf);
	if (d->ops && d->mnt) {
		/* A synthetic filesystem: its magic, nothing to count. */
		sf->f_type = (typeof(sf->f_type))d->mnt->magic;
		sf->f_bsize = sf->f_frsize = 4096;
		sf->f_namelen = 255;
		return 0;
	}
	if (!d->ops && d->node && !gofer_statfs(&vfs_gofer, d->node, sf)) {
		if (!dentry_wops(d))
			sf->f_flags |= ST_RDONLY;
		return 0;
	}
	sf->f_type = 0x01021994; /* TMPFS_MAGIC */
	sf->f_bsize = sf->f_frsize = 4096;
	sf->f_namelen = 255;
	sf->f_flags = ST_RDONLY;
	return 0;
}

DEFINE_SYSCALL(statfs, R_INT, A_STR, A_PTR)
{
	struct dentry *d;
	struct statfs sf;
	long r = walk_at_user(t, AT_FDCWD, a[0], WALK_FOLLOW, false, &d, NULL);
	if (r)
		return r;
	r = statfs_dentry(d, &sf);
	dentry_put(d);
	if (r)
		return r;
	return mm_copy_out(t->mm, a[1], &sf, sizeof sf) ? -EFAULT : 0;
}

DEFINE_SYSCALL(fstatfs, R_INT, A_FD, A_PTR)
{
	struct statfs sf;
	long r;
	struct file *f = fget(t, (int)a[0]);
	if (!f)
		return -EBADF;
	if (f->ops->host_fd && f->ops->host_fd(f) >= 0)
		r = fstatfs(f->ops->host_fd(f), &sf) ? -errno : 0;
	else if (f->dentry)
		r = statfs_dentry(f->dentry, &sf);
	else
		r = -ENOSYS;
	if (!r && f->dentry && !f->dentry->ops && !dentry_wops(f->dentry)) {
		/* A read-only gofer file: writable only as the overlay's lower
		 * layer. */
		struct dentry *root = vfs_root(), *groot = vfs_gofer_root();
		if (root == groot || f->dentry->mnt)
			sf.f_flags |= ST_RDONLY;
		dentry_put(root);
		dentry_put(groot);
	}
	file_put(f);
	if (r)
		return r;
	return mm_copy_out(t->mm, a[1], &sf, sizeof sf) ? -EFAULT : 0;
}
