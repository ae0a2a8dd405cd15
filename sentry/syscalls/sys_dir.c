/* Directory and namespace syscalls: getdents, getcwd, chdir, fchdir,
 * umask, and the calls that change the tree (mkdir, unlink, rename, chmod,
 * truncate, utimensat...): done by the filesystem of the directory or
 * file when it is writable (tmpfs), answered EROFS where Linux would on
 * the read-only root. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <utime.h>
#include <sys/time.h>

#include "sentry/kernel/cred.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/fsnotify.h"

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
	if (r >= 0)
		fsnotify_file(f, IN_ACCESS);
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

/* ---- changes to the tree ---- */

#define CAP_CHOWN 0
#define CAP_FOWNER 3
#define CAP_FSETID 4
#define CAP_MKNOD 27

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#define RENAME_WHITEOUT 4
#endif

static bool is_dots(const char *last)
{
	return !*last || !strcmp(last, ".") || !strcmp(last, "..");
}

static mode_t umask_of(struct task *t)
{
	pthread_mutex_lock(&t->fs->lock);
	mode_t m = t->fs->umask;
	pthread_mutex_unlock(&t->fs->lock);
	return m;
}

/* The first steps of creating the last component of (dirfd, upath), in
 * Linux's order: the parent's walk, EEXIST for "", "." and "..", EACCES
 * without search permission, EEXIST if the name exists.  0 with the parent
 * (a new reference) and last. */
static long create_lookup(struct task *t, int dirfd, uint64_t upath, struct dentry **parent,
			  char last[256])
{
	struct dentry *d;
	struct stat st;
	long r = walk_parent_at(t, dirfd, upath, parent, last);
	if (r)
		return r;
	dentry_getattr(*parent, &st);
	if (is_dots(last)) {
		r = -EEXIST;
	} else if (vfs_permission(&t->cred, &st, MAY_EXEC)) {
		r = -EACCES;
	} else if (dentry_lookup(*parent, last, &d) == 0) {
		dentry_put(d);
		r = -EEXIST;
	}
	if (r)
		dentry_put(*parent);
	return r;
}

/* The rest of a create's checks once the filesystem op is known: EROFS
 * without it, then write permission.  Drops parent on failure. */
static long create_check(struct task *t, struct dentry *parent, bool supported)
{
	long r = supported ? vfs_may_create(&t->cred, parent) : -EROFS;
	if (r)
		dentry_put(parent);
	return r;
}

static long do_mkdir(struct task *t, int dirfd, uint64_t upath, mode_t mode)
{
	struct dentry *parent;
	char last[256];
	long r = create_lookup(t, dirfd, upath, &parent, last);
	if (r || (r = create_check(t, parent, dentry_wops(parent) && dentry_wops(parent)->mkdir)))
		return r;
	r = dentry_wops(parent)->mkdir(parent, last, mode & 01777 & ~umask_of(t), &t->cred);
	if (!r)
		fsnotify_create(parent, last, true);
	dentry_put(parent);
	return r;
}

DEFINE_SYSCALL(mkdir, R_INT, A_STR, A_OCT) { return do_mkdir(t, AT_FDCWD, a[0], (mode_t)a[1]); }

DEFINE_SYSCALL(mkdirat, R_INT, A_DIRFD, A_STR, A_OCT)
{
	return do_mkdir(t, (int)a[0], a[1], (mode_t)a[2]);
}

static long do_mknod(struct task *t, int dirfd, uint64_t upath, mode_t mode, dev_t dev)
{
	struct dentry *parent, *d;
	char last[256];
	mode_t type = mode & S_IFMT;
	/* Linux checks the type before the path. */
	if (!type)
		type = S_IFREG;
	if (type == S_IFDIR)
		return -EPERM;
	if (type != S_IFREG && type != S_IFIFO && type != S_IFSOCK && type != S_IFCHR &&
	    type != S_IFBLK)
		return -EINVAL;
	long r = create_lookup(t, dirfd, upath, &parent, last);
	if (r)
		return r;
	bool reg = type == S_IFREG;
	if ((r = create_check(t, parent,
			      dentry_wops(parent) && (reg ? !!dentry_wops(parent)->create : !!dentry_wops(parent)->mknod))))
		return r;
	if ((type == S_IFCHR || type == S_IFBLK) && !cred_capable(&t->cred, CAP_MKNOD)) {
		dentry_put(parent);
		return -EPERM;
	}
	mode_t perm = mode & 07777 & ~umask_of(t);
	if (reg) {
		r = dentry_wops(parent)->create(parent, last, perm, &t->cred, &d);
		if (!r)
			dentry_put(d);
	} else {
		r = dentry_wops(parent)->mknod(parent, last, type | perm, dev, &t->cred);
	}
	if (!r)
		fsnotify_create(parent, last, false);
	dentry_put(parent);
	return r;
}

DEFINE_SYSCALL(mknod, R_INT, A_STR, A_OCT, A_HEX)
{
	return do_mknod(t, AT_FDCWD, a[0], (mode_t)a[1], (dev_t)a[2]);
}

DEFINE_SYSCALL(mknodat, R_INT, A_DIRFD, A_STR, A_OCT, A_HEX)
{
	return do_mknod(t, (int)a[0], a[1], (mode_t)a[2], (dev_t)a[3]);
}

static long do_symlink(struct task *t, uint64_t utarget, int dirfd, uint64_t upath)
{
	struct dentry *parent;
	char last[256], target[PATH_MAX];
	long l = path_in(t, utarget, target);
	if (l < 0)
		return l;
	long r = create_lookup(t, dirfd, upath, &parent, last);
	if (r || (r = create_check(t, parent, dentry_wops(parent) && dentry_wops(parent)->symlink)))
		return r;
	r = l ? dentry_wops(parent)->symlink(parent, last, target, &t->cred) : -ENOENT;
	if (!r)
		fsnotify_create(parent, last, false);
	dentry_put(parent);
	return r;
}

DEFINE_SYSCALL(symlink, R_INT, A_STR, A_STR) { return do_symlink(t, a[0], AT_FDCWD, a[1]); }

DEFINE_SYSCALL(symlinkat, R_INT, A_STR, A_DIRFD, A_STR)
{
	return do_symlink(t, a[0], (int)a[1], a[2]);
}

static long do_link(struct task *t, int olddir, uint64_t oldp, int newdir, uint64_t newp,
		    int flags)
{
	struct dentry *old, *parent;
	struct file *f = NULL;
	char last[256];
	long r = walk_at_user(t, olddir, oldp, (flags & AT_SYMLINK_FOLLOW) ? WALK_FOLLOW : 0,
			      flags & AT_EMPTY_PATH, &old, &f);
	if (r)
		return r;
	if (f)
		file_put(f);
	if (!old)
		return -ENOENT;
	r = create_lookup(t, newdir, newp, &parent, last);
	if (r) {
		dentry_put(old);
		return r;
	}
	if (old->mnt != parent->mnt)
		r = -EXDEV;
	else if (!dentry_wops(parent) || !dentry_wops(parent)->link)
		r = -EROFS;
	else if (!(r = vfs_may_create(&t->cred, parent)))
		r = S_ISDIR(old->st.st_mode) ? -EPERM : dentry_wops(parent)->link(old, parent, last);
	if (!r && fsnotify_active()) {
		struct stat st;
		dentry_getattr(old, &st);
		fsnotify_link(parent, last, &st);
	}
	dentry_put(parent);
	dentry_put(old);
	return r;
}

DEFINE_SYSCALL(link, R_INT, A_STR, A_STR) { return do_link(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0); }

DEFINE_SYSCALL(linkat, R_INT, A_DIRFD, A_STR, A_DIRFD, A_STR, A_HEX)
{
	int flags = (int)a[4];
	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return do_link(t, (int)a[0], a[1], (int)a[2], a[3], flags);
}

/* unlink and rmdir: Linux's errors for the special names, EROFS on the
 * read-only root, then the lookup and may_delete. */
static long do_remove(struct task *t, int dirfd, uint64_t upath, bool isdir)
{
	struct dentry *parent, *victim;
	char last[256];
	struct stat st;
	long r = walk_parent_at(t, dirfd, upath, &parent, last);
	if (r)
		return r;
	if (!*last)
		r = isdir ? -EBUSY : -EISDIR;
	else if (!strcmp(last, "."))
		r = isdir ? -EINVAL : -EISDIR;
	else if (!strcmp(last, ".."))
		r = isdir ? -ENOTEMPTY : -EISDIR;
	else if (!dentry_wops(parent) || !(isdir ? dentry_wops(parent)->rmdir : dentry_wops(parent)->unlink))
		r = -EROFS;
	if (r)
		goto out;
	dentry_getattr(parent, &st);
	if ((r = vfs_permission(&t->cred, &st, MAY_EXEC)))
		goto out;
	if ((r = dentry_lookup(parent, last, &victim)))
		goto out;
	r = vfs_may_delete(&t->cred, parent, victim, isdir);
	dentry_getattr(victim, &st);
	dentry_put(victim);
	if (!r)
		r = isdir ? dentry_wops(parent)->rmdir(parent, last) : dentry_wops(parent)->unlink(parent, last);
	if (!r)
		fsnotify_delete(parent, last, &st);
out:
	dentry_put(parent);
	return r;
}

DEFINE_SYSCALL(unlink, R_INT, A_STR) { return do_remove(t, AT_FDCWD, a[0], false); }

DEFINE_SYSCALL(unlinkat, R_INT, A_DIRFD, A_STR, A_HEX)
{
	if ((int)a[2] & ~AT_REMOVEDIR)
		return -EINVAL;
	return do_remove(t, (int)a[0], a[1], (int)a[2] & AT_REMOVEDIR);
}

DEFINE_SYSCALL(rmdir, R_INT, A_STR) { return do_remove(t, AT_FDCWD, a[0], true); }

/* Whether two dentries name one node (walks make a dentry per lookup on
 * synthetic filesystems). */
static bool same_node(struct dentry *a, struct dentry *b)
{
	struct stat sa, sb;
	if (a == b)
		return true;
	dentry_getattr(a, &sa);
	dentry_getattr(b, &sb);
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static long do_rename(struct task *t, int olddir, uint64_t oldp, int newdir, uint64_t newp,
		      unsigned flags)
{
	struct dentry *op, *np, *old = NULL, *new = NULL;
	char olast[256], nlast[256];
	struct stat st, nst;
	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & RENAME_EXCHANGE) && (flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)))
		return -EINVAL;
	long r = walk_parent_at(t, olddir, oldp, &op, olast);
	if (r)
		return r;
	r = walk_parent_at(t, newdir, newp, &np, nlast);
	if (r) {
		dentry_put(op);
		return r;
	}
	bool xchg = flags & RENAME_EXCHANGE;
	if (is_dots(olast) || is_dots(nlast))
		r = -EBUSY;
	else if (op->mnt != np->mnt)
		r = -EXDEV;
	else if (!dentry_wops(op) || !dentry_wops(op)->rename)
		r = -EROFS;
	else if (flags & RENAME_WHITEOUT)
		r = -EINVAL; /* overlay whiteouts: not on this tmpfs */
	if (r)
		goto out;
	dentry_getattr(op, &st);
	if ((r = vfs_permission(&t->cred, &st, MAY_EXEC)))
		goto out;
	dentry_getattr(np, &st);
	if ((r = vfs_permission(&t->cred, &st, MAY_EXEC)))
		goto out;
	if ((r = dentry_lookup(op, olast, &old)))
		goto out;
	r = dentry_lookup(np, nlast, &new);
	if (r && r != -ENOENT)
		goto out;
	if (r && xchg)
		goto out;
	r = 0;
	if (new && (flags & RENAME_NOREPLACE)) {
		r = -EEXIST;
		goto out;
	}
	dentry_getattr(old, &st);
	bool odir = S_ISDIR(st.st_mode);
	if ((r = vfs_may_delete(&t->cred, op, old, odir)))
		goto out;
	if (new) {
		dentry_getattr(new, &nst);
		r = vfs_may_delete(&t->cred, np, new, xchg ? S_ISDIR(nst.st_mode) : odir);
	} else {
		r = vfs_may_create(&t->cred, np);
	}
	if (r)
		goto out;
	/* A directory changing parent rewrites its "..": write access to it. */
	if (odir && !same_node(op, np))
		r = vfs_permission(&t->cred, &st, MAY_WRITE);
	if (!r)
		r = dentry_wops(op)->rename(op, olast, np, nlast, flags);
	if (!r)
		fsnotify_move(op, olast, np, nlast, &st, new ? &nst : NULL, xchg);
out:
	dentry_put(old);
	dentry_put(new);
	dentry_put(op);
	dentry_put(np);
	return r;
}

DEFINE_SYSCALL(rename, R_INT, A_STR, A_STR)
{
	return do_rename(t, AT_FDCWD, a[0], AT_FDCWD, a[1], 0);
}

DEFINE_SYSCALL(renameat, R_INT, A_DIRFD, A_STR, A_DIRFD, A_STR)
{
	return do_rename(t, (int)a[0], a[1], (int)a[2], a[3], 0);
}

DEFINE_SYSCALL(renameat2, R_INT, A_DIRFD, A_STR, A_DIRFD, A_STR, A_HEX)
{
	if (a[4] >> 32)
		return -EINVAL;
	return do_rename(t, (int)a[0], a[1], (int)a[2], a[3], (unsigned)a[4]);
}

/* ---- attribute changes ---- */

/* Applies sa to d through its filesystem: EROFS when it has no setattr. */
static long setattr(struct dentry *d, const struct synth_setattr *sa)
{
	if (!d || !dentry_wops(d) || !dentry_wops(d)->setattr)
		return -EROFS;
	long r = dentry_wops(d)->setattr(d, sa);
	if (!r && fsnotify_active()) {
		/* Linux's fsnotify_change: which event each change makes. */
		uint32_t ev = 0, times = sa->mask & (SA_ATIME | SA_MTIME);
		if (sa->mask & (SA_MODE | SA_UID | SA_GID))
			ev |= IN_ATTRIB;
		if (sa->mask & SA_SIZE)
			ev |= IN_MODIFY;
		if (times == (SA_ATIME | SA_MTIME))
			ev |= IN_ATTRIB;
		else if (times == SA_ATIME)
			ev |= IN_ACCESS;
		else if (times == SA_MTIME)
			ev |= IN_MODIFY;
		fsnotify_dentry(d, ev);
	}
	return r;
}

/* Resolves (dirfd, upath) for an attribute change: a dentry (a new
 * reference), or -errno (EROFS for a file with no dentry: stdio). */
static long attr_target(struct task *t, int dirfd, uint64_t upath, bool follow, bool empty_ok,
			struct dentry **out)
{
	struct file *f = NULL;
	long r = walk_at_user(t, dirfd, upath, follow ? WALK_FOLLOW : 0, empty_ok, out, &f);
	if (r)
		return r;
	if (f)
		file_put(f);
	return *out ? 0 : -EROFS;
}

/* The dentry of fd for f*() calls: EBADF for O_PATH files, EROFS for
 * files without one (stdio, pipes). */
static long fd_target(struct task *t, int fd, struct dentry **out)
{
	struct file *f = fget(t, fd);
	if (!f)
		return -EBADF;
	long r = file_is_path(f) ? -EBADF : f->dentry ? 0 : -EROFS;
	if (!r)
		*out = dentry_get(f->dentry);
	file_put(f);
	return r;
}

static long chmod_dentry(struct task *t, struct dentry *d, mode_t mode)
{
	struct stat st;
	long r = -EROFS;
	if (dentry_wops(d) && dentry_wops(d)->setattr) {
		dentry_getattr(d, &st);
		if (!vfs_owner_or_capable(&t->cred, &st)) {
			r = -EPERM;
		} else {
			struct synth_setattr sa = {.mask = SA_MODE, .mode = mode & 07777};
			/* Set-group-id needs the group, or CAP_FSETID. */
			if (!S_ISDIR(st.st_mode) && !cred_in_group(&t->cred, st.st_gid) &&
			    !cred_capable(&t->cred, CAP_FSETID))
				sa.mode &= ~S_ISGID;
			r = setattr(d, &sa);
		}
	}
	dentry_put(d);
	return r;
}

static long do_chmod(struct task *t, int dirfd, uint64_t upath, mode_t mode, bool follow,
		     bool empty_ok)
{
	struct dentry *d;
	long r = attr_target(t, dirfd, upath, follow, empty_ok, &d);
	return r ? r : chmod_dentry(t, d, mode);
}

DEFINE_SYSCALL(chmod, R_INT, A_STR, A_OCT)
{
	return do_chmod(t, AT_FDCWD, a[0], (mode_t)a[1], true, false);
}

DEFINE_SYSCALL(fchmodat, R_INT, A_DIRFD, A_STR, A_OCT)
{
	return do_chmod(t, (int)a[0], a[1], (mode_t)a[2], true, false);
}

DEFINE_SYSCALL(fchmod, R_INT, A_FD, A_OCT)
{
	struct dentry *d;
	long r = fd_target(t, (int)a[0], &d);
	return r ? r : chmod_dentry(t, d, (mode_t)a[1]);
}

static long chown_dentry(struct task *t, struct dentry *d, uid_t uid, gid_t gid)
{
	struct stat st;
	long r = -EROFS;
	if (dentry_wops(d) && dentry_wops(d)->setattr) {
		dentry_getattr(d, &st);
		bool can_chown = cred_capable(&t->cred, CAP_CHOWN);
		bool owner = t->cred.fsuid == st.st_uid;
		struct synth_setattr sa = {0};
		r = 0;
		if (uid != (uid_t)-1) {
			if (uid != st.st_uid && !can_chown)
				r = -EPERM;
			else if (uid == st.st_uid && !owner && !can_chown)
				r = -EPERM;
			sa.mask |= SA_UID;
			sa.uid = uid;
		}
		if (!r && gid != (gid_t)-1) {
			if (!can_chown && !(owner && (gid == st.st_gid || cred_in_group(&t->cred, gid))))
				r = -EPERM;
			sa.mask |= SA_GID;
			sa.gid = gid;
		}
		if (!r && !S_ISDIR(st.st_mode) && (sa.mask & (SA_UID | SA_GID))) {
			/* A new owner never inherits set-id bits (Linux's
			 * ATTR_KILL_SUID/SGID). */
			mode_t m = st.st_mode & 07777;
			mode_t nm = m & ~S_ISUID;
			if (m & S_IXGRP)
				nm &= ~S_ISGID;
			if (nm != m) {
				sa.mask |= SA_MODE;
				sa.mode = nm;
			}
		}
		if (!r)
			r = setattr(d, &sa);
	}
	dentry_put(d);
	return r;
}

static long do_chown(struct task *t, int dirfd, uint64_t upath, uid_t uid, gid_t gid, bool follow,
		     bool empty_ok)
{
	struct dentry *d;
	long r = attr_target(t, dirfd, upath, follow, empty_ok, &d);
	return r ? r : chown_dentry(t, d, uid, gid);
}

DEFINE_SYSCALL(chown, R_INT, A_STR, A_INT, A_INT)
{
	return do_chown(t, AT_FDCWD, a[0], (uid_t)a[1], (gid_t)a[2], true, false);
}

DEFINE_SYSCALL(lchown, R_INT, A_STR, A_INT, A_INT)
{
	return do_chown(t, AT_FDCWD, a[0], (uid_t)a[1], (gid_t)a[2], false, false);
}

DEFINE_SYSCALL(fchownat, R_INT, A_DIRFD, A_STR, A_INT, A_INT, A_HEX)
{
	int flags = (int)a[4];
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	return do_chown(t, (int)a[0], a[1], (uid_t)a[2], (gid_t)a[3],
			!(flags & AT_SYMLINK_NOFOLLOW), flags & AT_EMPTY_PATH);
}

DEFINE_SYSCALL(fchown, R_INT, A_FD, A_INT, A_INT)
{
	struct dentry *d;
	long r = fd_target(t, (int)a[0], &d);
	return r ? r : chown_dentry(t, d, (uid_t)a[1], (gid_t)a[2]);
}

DEFINE_SYSCALL(truncate, R_INT, A_STR, A_INT)
{
	struct dentry *d;
	struct stat st;
	if ((int64_t)a[1] < 0)
		return -EINVAL;
	long r = walk_at_user(t, AT_FDCWD, a[0], WALK_FOLLOW, false, &d, NULL);
	if (r)
		return r;
	dentry_getattr(d, &st);
	if (S_ISDIR(st.st_mode))
		r = -EISDIR;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if (!dentry_wops(d) || !dentry_wops(d)->setattr)
		r = -EROFS;
	else if (!(r = vfs_permission(&t->cred, &st, MAY_WRITE))) {
		struct synth_setattr sa = {.mask = SA_SIZE, .size = (int64_t)a[1]};
		r = setattr(d, &sa);
	}
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
	else {
		struct synth_setattr sa = {.mask = SA_SIZE, .size = (int64_t)a[1]};
		r = setattr(f->dentry, &sa);
	}
	file_put(f);
	return r;
}

/* ---- times ---- */

#ifndef UTIME_NOW
#define UTIME_NOW ((1l << 30) - 1l)
#define UTIME_OMIT ((1l << 30) - 2l)
#endif

/* Sets d's atime/mtime from ts (NULL: both now; UTIME_NOW/UTIME_OMIT per
 * field), with utimensat's permission rules.  Consumes d. */
static long utimes_dentry(struct task *t, struct dentry *d, const struct timespec *ts)
{
	struct synth_setattr sa = {.mask = SA_ATIME | SA_MTIME};
	struct timespec now;
	struct stat st;
	long r = 0;
	clock_gettime(CLOCK_REALTIME, &now);
	bool all_now = !ts || (ts[0].tv_nsec == UTIME_NOW && ts[1].tv_nsec == UTIME_NOW);
	sa.atime = sa.mtime = now;
	if (ts) {
		for (int i = 0; i < 2; i++) {
			long ns = ts[i].tv_nsec;
			if (ns != UTIME_NOW && ns != UTIME_OMIT && (ns < 0 || ns >= 1000000000)) {
				r = -EINVAL;
				goto out;
			}
		}
		if (ts[0].tv_nsec == UTIME_OMIT)
			sa.mask &= ~SA_ATIME;
		else if (ts[0].tv_nsec != UTIME_NOW)
			sa.atime = ts[0];
		if (ts[1].tv_nsec == UTIME_OMIT)
			sa.mask &= ~SA_MTIME;
		else if (ts[1].tv_nsec != UTIME_NOW)
			sa.mtime = ts[1];
		if (!sa.mask)
			goto out;
	}
	if (!dentry_wops(d) || !dentry_wops(d)->setattr) {
		r = -EROFS;
		goto out;
	}
	dentry_getattr(d, &st);
	/* "Now" needs write access or ownership; other times ownership. */
	if (!vfs_owner_or_capable(&t->cred, &st)) {
		if (!all_now)
			r = -EPERM;
		else if (vfs_permission(&t->cred, &st, MAY_WRITE))
			r = -EACCES;
	}
	if (!r)
		r = setattr(d, &sa);
out:
	dentry_put(d);
	return r;
}

DEFINE_SYSCALL(utimensat, R_INT, A_DIRFD, A_STR, A_PTR, A_HEX)
{
	int flags = (int)a[3];
	struct timespec ts[2];
	struct dentry *d;
	long r;
	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (a[2] && mm_copy_in(t->mm, ts, a[2], sizeof ts))
		return -EFAULT;
	/* A NULL path is futimens() on dirfd. */
	if (!a[1]) {
		if ((int)a[0] == AT_FDCWD)
			return -EFAULT;
		r = fd_target(t, (int)a[0], &d);
	} else {
		r = attr_target(t, (int)a[0], a[1], !(flags & AT_SYMLINK_NOFOLLOW),
				flags & AT_EMPTY_PATH, &d);
	}
	return r ? r : utimes_dentry(t, d, a[2] ? ts : NULL);
}

/* utimes/futimesat: struct timeval pairs (NULL: now). */
static long do_utimes(struct task *t, int dirfd, uint64_t upath, uint64_t utv)
{
	struct timeval tv[2];
	struct timespec ts[2];
	struct dentry *d;
	if (utv) {
		if (mm_copy_in(t->mm, tv, utv, sizeof tv))
			return -EFAULT;
		for (int i = 0; i < 2; i++) {
			if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
				return -EINVAL;
			ts[i].tv_sec = tv[i].tv_sec;
			ts[i].tv_nsec = tv[i].tv_usec * 1000;
		}
	}
	long r = attr_target(t, dirfd, upath, true, false, &d);
	return r ? r : utimes_dentry(t, d, utv ? ts : NULL);
}

DEFINE_SYSCALL(utimes, R_INT, A_STR, A_PTR) { return do_utimes(t, AT_FDCWD, a[0], a[1]); }

DEFINE_SYSCALL(futimesat, R_INT, A_DIRFD, A_STR, A_PTR)
{
	return do_utimes(t, (int)a[0], a[1], a[2]);
}

DEFINE_SYSCALL(utime, R_INT, A_STR, A_PTR)
{
	struct utimbuf ub;
	struct timespec ts[2];
	struct dentry *d;
	if (a[1]) {
		if (mm_copy_in(t->mm, &ub, a[1], sizeof ub))
			return -EFAULT;
		ts[0] = (struct timespec){.tv_sec = ub.actime};
		ts[1] = (struct timespec){.tv_sec = ub.modtime};
	}
	long r = attr_target(t, AT_FDCWD, a[0], true, false, &d);
	return r ? r : utimes_dentry(t, d, a[1] ? ts : NULL);
}
