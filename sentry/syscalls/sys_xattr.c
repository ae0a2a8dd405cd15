/* Extended attributes: "user." names of gofer files, served by the gofer
 * (docs/gofer.md); user., trusted. and security. names of synthetic
 * filesystems that store them (tmpfs, the overlay: dentry_ops.getxattr
 * and friends), with Linux's namespace and permission rules. */
#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "gofer/proto.h"
#include "sentry/fs/gofer/client.h"
#include "sentry/kernel/cred.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"

/* Linux's limits: XATTR_NAME_MAX, XATTR_SIZE_MAX, XATTR_LIST_MAX. */
#define NAME_MAX_X 255
#define SIZE_MAX_X 65536

enum xop { XGET, XSET, XLIST, XREMOVE };

/* The dentry a path or fd call works on: a new reference, or -errno. */
static long target(struct task *t, int fd, uint64_t upath, bool follow, struct dentry **out)
{
	if (fd < 0) {
		struct dentry *d;
		long r = walk_at_user(t, AT_FDCWD, upath, follow ? WALK_FOLLOW : 0, false, &d, NULL);
		if (!r)
			*out = d;
		return r;
	}
	struct file *f = fget(t, fd);
	if (!f)
		return -EBADF;
	long r = file_is_path(f) ? -EBADF : 0;
	*out = r || !f->dentry ? NULL : dentry_get(f->dentry);
	file_put(f);
	return r;
}

static long name_in(struct task *t, uint64_t uname, char name[NAME_MAX_X + 1])
{
	long l = mm_strncpy_in(t->mm, name, uname, NAME_MAX_X + 1);
	if (l == -ENAMETOOLONG || l == 0)
		return -ERANGE;
	return l < 0 ? l : 0;
}

static bool prefixed(const char *name, const char *prefix)
{
	return !strncmp(name, prefix, strlen(prefix));
}

/* Linux's xattr_permission for name on a node with attributes st: trusted.
 * needs CAP_SYS_ADMIN, user. only on regular files and directories (and
 * the sticky bit's owner rule), then read or write permission. */
static long xattr_permission(struct task *t, const char *name, const struct stat *st, bool write)
{
	if (prefixed(name, "security."))
		return 0;
	if (prefixed(name, "trusted.")) {
		if (!cred_capable(&t->cred, CAP_SYS_ADMIN))
			return write ? -EPERM : -ENODATA;
	} else if (prefixed(name, "user.")) {
		if (!S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode))
			return write ? -EPERM : -ENODATA;
		if (S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX) && write &&
		    !vfs_owner_or_capable(&t->cred, st))
			return -EPERM;
	}
	return vfs_permission(&t->cred, st, write ? MAY_WRITE : MAY_READ);
}

/* Keeps the names of list[0..len) the caller may see (trusted. ones need
 * CAP_SYS_ADMIN): the new length. */
static size_t filter_list(struct task *t, char *list, size_t len)
{
	if (cred_capable(&t->cred, CAP_SYS_ADMIN))
		return len;
	size_t out = 0;
	for (size_t off = 0; off < len;) {
		size_t l = strnlen(list + off, len - off) + 1;
		if (!prefixed(list + off, "trusted.")) {
			memmove(list + out, list + off, l);
			out += l;
		}
		off += l;
	}
	return out;
}

/* A synthetic filesystem's attributes (d->ops). */
static long synth_xattr(struct task *t, enum xop op, struct dentry *d, const char *name,
			uint64_t uval, size_t size, int flags)
{
	const struct dentry_ops *ops = d->ops;
	struct stat st;
	void *buf = NULL;
	long r;
	if (op != XLIST && !prefixed(name, "user.") && !prefixed(name, "trusted.") &&
	    !prefixed(name, "security."))
		return -EOPNOTSUPP;
	dentry_getattr(d, &st);
	if (op != XLIST && (r = xattr_permission(t, name, &st, op == XSET || op == XREMOVE)))
		return r;
	if (op == XSET || op == XREMOVE) {
		if (!(op == XSET ? (void *)ops->setxattr : (void *)ops->removexattr))
			return -EOPNOTSUPP;
		if (d->mnt && d->mnt->readonly)
			return -EROFS;
	}
	/* list reads the whole list to filter it: ask for the most. */
	size_t bsize = op == XLIST ? SIZE_MAX_X : size;
	if (bsize && !(buf = malloc(bsize)))
		return -ENOMEM;
	switch (op) {
	case XGET:
		r = ops->getxattr ? ops->getxattr(d, name, buf, size) : -ENODATA;
		break;
	case XLIST:
		r = ops->listxattr ? ops->listxattr(d, buf, bsize) : 0;
		if (r > 0)
			r = (long)filter_list(t, buf, (size_t)r);
		if (r > 0 && size && (size_t)r > size)
			r = -ERANGE;
		break;
	case XSET:
		if (size && mm_copy_in(t->mm, buf, uval, size))
			r = -EFAULT;
		else
			r = ops->setxattr(d, name, buf, size, flags);
		break;
	case XREMOVE:
		r = ops->removexattr(d, name);
		break;
	}
	if ((op == XGET || op == XLIST) && r > 0 && size &&
	    mm_copy_out(t->mm, uval, buf, (size_t)r))
		r = -EFAULT;
	free(buf);
	return r;
}

static long do_xattr(struct task *t, enum xop op, int fd, uint64_t upath, bool follow,
		     uint64_t uname, uint64_t uval, uint64_t size, int flags)
{
	char name[NAME_MAX_X + 1];
	struct dentry *d = NULL;
	void *buf = NULL;
	long r;
	if (op != XLIST && (r = name_in(t, uname, name)))
		return r;
	if (op == XSET && (flags & ~(XATTR_CREATE | XATTR_REPLACE)))
		return -EINVAL;
	if (op == XSET && size > SIZE_MAX_X)
		return -E2BIG;
	if ((r = target(t, fd, upath, follow, &d)))
		return r;
	if (size > SIZE_MAX_X)
		size = SIZE_MAX_X;
	bool gofer = d && !d->ops && d->node;
	if (d && d->ops) {
		r = synth_xattr(t, op, d, name, uval, size, flags);
		goto out;
	}
	if (!gofer) {
		/* Nothing stored anywhere else. */
		r = op == XLIST ? 0 : op == XGET ? -ENODATA : -EOPNOTSUPP;
		goto out;
	}
	struct stat st;
	dentry_getattr(d, &st);
	if (op == XSET || op == XREMOVE) {
		if (!dentry_wops(d)) {
			r = -EROFS;
			goto out;
		}
		if (!strncmp(name, "user.", 5) && (r = vfs_permission(&t->cred, &st, MAY_WRITE)))
			goto out;
	} else if (op == XGET && !strncmp(name, "user.", 5) &&
		   (r = vfs_permission(&t->cred, &st, MAY_READ))) {
		goto out;
	}
	if (size && !(buf = malloc(size))) {
		r = -ENOMEM;
		goto out;
	}
	if (op == XSET && size && mm_copy_in(t->mm, buf, uval, size)) {
		r = -EFAULT;
		goto out;
	}
	static const uint32_t types[] = {GOFER_T_GETXATTR, GOFER_T_SETXATTR, GOFER_T_LISTXATTR,
					 GOFER_T_REMOVEXATTR};
	if (op == XSET)
		r = gofer_xattr(&vfs_gofer, types[op], d->node, name, buf, size, flags, NULL, 0);
	else
		r = gofer_xattr(&vfs_gofer, types[op], d->node, op == XLIST ? NULL : name, NULL, 0,
				0, buf, size);
	if (op == XSET || op == XREMOVE) {
		if (!r)
			dentry_gofer_stale(d); /* ctime */
	} else if (r > 0 && size && mm_copy_out(t->mm, uval, buf, (size_t)r)) {
		r = -EFAULT;
	}
out:
	free(buf);
	dentry_put(d);
	return r;
}

DEFINE_SYSCALL_SUP(getxattr, SUP_PARTIAL, R_INT, A_STR, A_STR, A_PTR, A_UINT)
{
	return do_xattr(t, XGET, -1, a[0], true, a[1], a[2], a[3], 0);
}

DEFINE_SYSCALL_SUP(lgetxattr, SUP_PARTIAL, R_INT, A_STR, A_STR, A_PTR, A_UINT)
{
	return do_xattr(t, XGET, -1, a[0], false, a[1], a[2], a[3], 0);
}

DEFINE_SYSCALL_SUP(fgetxattr, SUP_PARTIAL, R_INT, A_FD, A_STR, A_PTR, A_UINT)
{
	/* fd < 0 would name the path form below. */
	if ((int)a[0] < 0)
		return -EBADF;
	return do_xattr(t, XGET, (int)a[0], 0, false, a[1], a[2], a[3], 0);
}

DEFINE_SYSCALL_SUP(listxattr, SUP_PARTIAL, R_INT, A_STR, A_PTR, A_UINT)
{
	return do_xattr(t, XLIST, -1, a[0], true, 0, a[1], a[2], 0);
}

DEFINE_SYSCALL_SUP(llistxattr, SUP_PARTIAL, R_INT, A_STR, A_PTR, A_UINT)
{
	return do_xattr(t, XLIST, -1, a[0], false, 0, a[1], a[2], 0);
}

DEFINE_SYSCALL_SUP(flistxattr, SUP_PARTIAL, R_INT, A_FD, A_PTR, A_UINT)
{
	/* fd < 0 would name the path form below. */
	if ((int)a[0] < 0)
		return -EBADF;
	return do_xattr(t, XLIST, (int)a[0], 0, false, 0, a[1], a[2], 0);
}

DEFINE_SYSCALL_SUP(setxattr, SUP_PARTIAL, R_INT, A_STR, A_STR, A_PTR, A_UINT, A_HEX)
{
	return do_xattr(t, XSET, -1, a[0], true, a[1], a[2], a[3], (int)a[4]);
}

DEFINE_SYSCALL_SUP(lsetxattr, SUP_PARTIAL, R_INT, A_STR, A_STR, A_PTR, A_UINT, A_HEX)
{
	return do_xattr(t, XSET, -1, a[0], false, a[1], a[2], a[3], (int)a[4]);
}

DEFINE_SYSCALL_SUP(fsetxattr, SUP_PARTIAL, R_INT, A_FD, A_STR, A_PTR, A_UINT, A_HEX)
{
	/* fd < 0 would name the path form below. */
	if ((int)a[0] < 0)
		return -EBADF;
	return do_xattr(t, XSET, (int)a[0], 0, false, a[1], a[2], a[3], (int)a[4]);
}

DEFINE_SYSCALL_SUP(removexattr, SUP_PARTIAL, R_INT, A_STR, A_STR)
{
	return do_xattr(t, XREMOVE, -1, a[0], true, a[1], 0, 0, 0);
}

DEFINE_SYSCALL_SUP(lremovexattr, SUP_PARTIAL, R_INT, A_STR, A_STR)
{
	return do_xattr(t, XREMOVE, -1, a[0], false, a[1], 0, 0, 0);
}

DEFINE_SYSCALL_SUP(fremovexattr, SUP_PARTIAL, R_INT, A_FD, A_STR)
{
	/* fd < 0 would name the path form below. */
	if ((int)a[0] < 0)
		return -EBADF;
	return do_xattr(t, XREMOVE, (int)a[0], 0, false, a[1], 0, 0, 0);
}
