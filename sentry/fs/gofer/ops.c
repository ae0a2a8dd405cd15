/* Mutating ops of gofer dentries on a writable tree (--overlay=none, rw
 * bind mounts): each is one gofer request, then the dentry cache is told
 * what changed. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "gofer/proto.h"
#include "sentry/fs/gofer/client.h"
#include "sentry/fs/gofer/pagecache.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/dentry.h"

/* Owner of a new node: the creator's fs ids, or the directory's group
 * when it is set-group-id (the host applies the bit's inheritance). */
static void new_owner(struct dentry *dir, const struct cred *c, uid_t *uid, gid_t *gid)
{
	struct stat ds;
	dentry_getattr(dir, &ds);
	*uid = c->fsuid;
	*gid = (ds.st_mode & S_ISGID) ? ds.st_gid : c->fsgid;
}

static int g_create(struct dentry *dir, const char *name, mode_t mode, const struct cred *c,
		    struct dentry **out)
{
	uint64_t node;
	struct stat st;
	uid_t uid;
	gid_t gid;
	new_owner(dir, c, &uid, &gid);
	int fd = gofer_create(&vfs_gofer, dir->node, name, O_RDWR, S_IFREG | (mode & 07777), uid,
			      gid, &node, &st);
	if (fd < 0)
		return fd;
	dentry_gofer_stale(dir);
	int r = dentry_gofer_add(dir, name, node, &st, out);
	if (r) {
		close(fd);
		return r;
	}
	/* The open that follows takes it: no second round trip. */
	int none = 0;
	if (!__atomic_compare_exchange_n(&(*out)->cfd1, &none, fd + 1, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		close(fd);
	return 0;
}

/* The end of mkdir, mknod, symlink, link: the new name into the cache. */
static int added(struct dentry *dir, const char *name, int r, uint64_t node,
		 const struct stat *st)
{
	if (r)
		return r;
	dentry_gofer_stale(dir);
	return dentry_gofer_add(dir, name, node, st, NULL);
}

static int g_mkdir(struct dentry *dir, const char *name, mode_t mode, const struct cred *c)
{
	uint64_t node;
	struct stat st;
	uid_t uid;
	gid_t gid;
	new_owner(dir, c, &uid, &gid);
	int r = gofer_mkdir(&vfs_gofer, dir->node, name, S_IFDIR | (mode & 07777), uid, gid, &node,
			    &st);
	return added(dir, name, r, node, &st);
}

static int g_mknod(struct dentry *dir, const char *name, mode_t mode, dev_t rdev,
		   const struct cred *c)
{
	uint64_t node;
	struct stat st;
	uid_t uid;
	gid_t gid;
	/* Device nodes would reach the host's devices. */
	if (!S_ISFIFO(mode) && !S_ISSOCK(mode))
		return -EPERM;
	new_owner(dir, c, &uid, &gid);
	int r = gofer_mknod(&vfs_gofer, dir->node, name, mode, uid, gid, &node, &st);
	return added(dir, name, r, node, &st);
}

static int g_symlink(struct dentry *dir, const char *name, const char *target,
		     const struct cred *c)
{
	uint64_t node;
	struct stat st;
	uid_t uid;
	gid_t gid;
	new_owner(dir, c, &uid, &gid);
	int r = gofer_symlink(&vfs_gofer, dir->node, name, target, uid, gid, &node, &st);
	return added(dir, name, r, node, &st);
}

static int g_link(struct dentry *old, struct dentry *dir, const char *name)
{
	uint64_t node;
	struct stat st;
	if (old->ops || !old->node)
		return -EXDEV;
	int r = gofer_link(&vfs_gofer, old->node, dir->node, name, &node, &st);
	if (!r)
		dentry_gofer_stale(old); /* st_nlink */
	return added(dir, name, r, node, &st);
}

static int removed(struct dentry *dir, const char *name, int r)
{
	if (r)
		return r;
	dentry_gofer_stale(dir);
	dentry_gofer_drop(dir, name);
	return 0;
}

static int g_unlink(struct dentry *dir, const char *name)
{
	return removed(dir, name, gofer_unlink(&vfs_gofer, dir->node, name, 0));
}

static int g_rmdir(struct dentry *dir, const char *name)
{
	return removed(dir, name, gofer_unlink(&vfs_gofer, dir->node, name, AT_REMOVEDIR));
}

static int g_rename(struct dentry *odir, const char *oname, struct dentry *ndir,
		    const char *nname, unsigned flags)
{
	if (ndir->ops || !ndir->node)
		return -EXDEV;
	int r = gofer_rename(&vfs_gofer, odir->node, oname, ndir->node, nname, flags);
	if (r)
		return r;
	dentry_gofer_stale(odir);
	dentry_gofer_stale(ndir);
	dentry_gofer_move(odir, oname, ndir, nname, flags & RENAME_EXCHANGE);
	return 0;
}

static int g_setattr(struct dentry *d, const struct synth_setattr *sa)
{
	struct gofer_setattr_req q = {.node = d->node};
	struct stat st;
	if (sa->mask & SA_MODE) {
		q.mask |= GOFER_SA_MODE;
		q.mode = sa->mode & 07777;
	}
	if (sa->mask & SA_UID) {
		q.mask |= GOFER_SA_UID;
		q.uid = sa->uid;
	}
	if (sa->mask & SA_GID) {
		q.mask |= GOFER_SA_GID;
		q.gid = sa->gid;
	}
	if (sa->mask & SA_SIZE) {
		q.mask |= GOFER_SA_SIZE;
		q.size = sa->size;
	}
	if (sa->mask & SA_ATIME) {
		q.mask |= GOFER_SA_ATIME;
		q.atime_sec = sa->atime.tv_sec;
		q.atime_nsec = sa->atime.tv_nsec;
	}
	if (sa->mask & SA_MTIME) {
		q.mask |= GOFER_SA_MTIME;
		q.mtime_sec = sa->mtime.tv_sec;
		q.mtime_nsec = sa->mtime.tv_nsec;
	}
	int r = gofer_setattr(&vfs_gofer, &q, &st);
	if (!r)
		dentry_gofer_update(d, &st);
	/* Mappings of the file must not keep showing bytes past the new end. */
	if (!r && (sa->mask & SA_SIZE))
		gofer_pagecache_resize(st.st_dev, st.st_ino, (uint64_t)sa->size);
	return r;
}

static int g_statfs(struct dentry *d, struct statfs *sf)
{
	return gofer_statfs(&vfs_gofer, d->node, sf);
}

const struct dentry_ops gofer_dentry_ops = {
    .create = g_create,
    .mkdir = g_mkdir,
    .mknod = g_mknod,
    .symlink = g_symlink,
    .link = g_link,
    .unlink = g_unlink,
    .rmdir = g_rmdir,
    .rename = g_rename,
    .setattr = g_setattr,
    .statfs = g_statfs,
};
