/* Overlay namespace and attribute changes (create, mkdir, link, unlink,
 * rename, setattr...), done in the upper layer after copying up what they
 * touch, with whiteouts for removed lower names; opens; the ops table. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/statfs.h>

#include "sentry/fs/overlay/internal.h"
#include "sentry/fs/tmpfs/tmpfs.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

static int make_whiteout(struct dentry *pu, const char *name)
{
	return pu->ops->mknod(pu, name, S_IFCHR, 0, &ovl_root_cred);
}

/* Readies dir for a new name: dir copied up (*pu its upper twin), and a
 * whiteout of name removed (*wh tells, to put it back if the create
 * fails). */
static int prepare_name(struct dentry *dir, const char *name, struct dentry **pu, bool *wh)
{
	struct dentry *u;
	*wh = false;
	int r = ovl_copy_up(dir, true);
	if (r)
		return r;
	*pu = OVL_E(dir)->upper;
	if ((*pu)->ops->lookup(*pu, name, &u))
		return 0;
	if (ovl_is_whiteout(u)) {
		r = (*pu)->ops->unlink(*pu, name);
		*wh = !r;
	} else {
		r = -EEXIST;
	}
	dentry_put(u);
	return r;
}

static int ovl_create(struct dentry *dir, const char *name, mode_t mode, const struct cred *c,
		      struct dentry **out)
{
	struct dentry *pu, *u;
	bool wh;
	pthread_mutex_lock(&ovl_lock);
	int r = prepare_name(dir, name, &pu, &wh);
	if (!r) {
		r = pu->ops->create(pu, name, mode, c, &u);
		if (r && wh)
			make_whiteout(pu, name);
	}
	if (!r && !(*out = ovl_dentry_new(dir, name, u, NULL)))
		r = -ENOMEM;
	pthread_mutex_unlock(&ovl_lock);
	return r;
}

/* mkdir, mknod and symlink: made in the upper layer over any whiteout. */
enum make_kind { MK_DIR, MK_NOD, MK_LNK };

static int make(struct dentry *dir, const char *name, enum make_kind k, mode_t mode, dev_t rdev,
		const char *target, const struct cred *c)
{
	struct dentry *pu, *u;
	bool wh;
	pthread_mutex_lock(&ovl_lock);
	int r = prepare_name(dir, name, &pu, &wh);
	if (r)
		goto out;
	if (k == MK_DIR)
		r = pu->ops->mkdir(pu, name, mode, c);
	else if (k == MK_NOD)
		r = pu->ops->mknod(pu, name, mode, rdev, c);
	else
		r = pu->ops->symlink(pu, name, target, c);
	if (r) {
		if (wh)
			make_whiteout(pu, name);
		goto out;
	}
	/* A new directory never shows a lower one's entries: opaque always
	 * (cheap here: no xattr), so it may later move anywhere. */
	if (k == MK_DIR && !pu->ops->lookup(pu, name, &u)) {
		tmpfs_set_opaque(u);
		dentry_put(u);
	}
	ovl_gen++;
out:
	pthread_mutex_unlock(&ovl_lock);
	return r;
}

static int ovl_mkdir(struct dentry *dir, const char *name, mode_t mode, const struct cred *c)
{
	return make(dir, name, MK_DIR, mode, 0, NULL, c);
}

static int ovl_mknod(struct dentry *dir, const char *name, mode_t mode, dev_t rdev,
		     const struct cred *c)
{
	/* 0:0 is how the upper layer spells a whiteout. */
	if ((S_ISCHR(mode) || S_ISBLK(mode)) && rdev == 0)
		return -EPERM;
	return make(dir, name, MK_NOD, mode, rdev, NULL, c);
}

static int ovl_symlink(struct dentry *dir, const char *name, const char *target,
		       const struct cred *c)
{
	return make(dir, name, MK_LNK, 0777, 0, target, c);
}

/* A hard link to a lower file links its copy-up.  old may also be an
 * upper-layer dentry itself: the file of an open descriptor (linkat with
 * AT_EMPTY_PATH or through /proc/self/fd, e.g. an O_TMPFILE file); a
 * lower file's descriptor cannot be copied up from there (EXDEV). */
static int ovl_link(struct dentry *old, struct dentry *dir, const char *name)
{
	struct dentry *pu;
	bool wh;
	bool layer = old->ops != &ovl_dentry_ops;
	if (layer && old->ops != ovl_upper_root->ops)
		return -EXDEV;
	pthread_mutex_lock(&ovl_lock);
	int r = layer ? 0 : ovl_copy_up(old, true);
	if (!r)
		r = prepare_name(dir, name, &pu, &wh);
	if (!r) {
		r = pu->ops->link(layer ? old : OVL_E(old)->upper, pu, name);
		if (r && wh)
			make_whiteout(pu, name);
	}
	pthread_mutex_unlock(&ovl_lock);
	return r;
}

static int found_one(void *arg, const char *name, uint64_t ino, unsigned char type) { return 1; }

/* Whether the merged directory with layers u and l has no visible entry:
 * 0, -ENOTEMPTY or -errno. */
static int merged_empty(struct dentry *u, struct dentry *l)
{
	int r = ovl_iterate(u, l, found_one, NULL);
	return r == 1 ? -ENOTEMPTY : r;
}

static int remove_name(struct dentry *dir, const char *name, bool isdir)
{
	struct dentry *u, *l;
	struct stat st;
	pthread_mutex_lock(&ovl_lock);
	int r = ovl_layers(dir, name, &u, &l, NULL);
	if (r)
		goto unlock;
	bool lower_has = ovl_lower_has(dir, name);
	ovl_attrs(u, l, &st);
	if (isdir && !S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	else if (!isdir && S_ISDIR(st.st_mode))
		r = -EISDIR;
	else if (isdir && !(r = merged_empty(u, u && !S_ISDIR(u->st.st_mode) ? NULL : l)) && u)
		r = ovl_clear_whiteouts(u);
	if (!r && lower_has)
		r = ovl_copy_up(dir, true);
	struct dentry *pu = OVL_E(dir)->upper;
	if (!r && u)
		r = isdir ? pu->ops->rmdir(pu, name) : pu->ops->unlink(pu, name);
	if (!r && lower_has)
		r = make_whiteout(pu, name);
	dentry_put(u);
	dentry_put(l);
unlock:
	pthread_mutex_unlock(&ovl_lock);
	return r;
}

static int ovl_unlink(struct dentry *dir, const char *name)
{
	return remove_name(dir, name, false);
}

static int ovl_rmdir(struct dentry *dir, const char *name) { return remove_name(dir, name, true); }

/* The upper twin of name under dir, copying a lower non-directory up: a
 * new reference in *u. */
static int upper_child(struct dentry *dir, const char *name, struct dentry **u)
{
	struct dentry *d;
	int r = ovl_lookup(dir, name, &d);
	if (r)
		return r;
	r = ovl_copy_up(d, true);
	if (!r)
		*u = dentry_get(OVL_E(d)->upper);
	dentry_put(d);
	return r;
}

/* A directory can move only if it lives in the upper layer alone: Linux's
 * overlayfs without redirect_dir says EXDEV for the rest, and mv copies. */
static bool movable(struct dentry *u, struct dentry *l, const struct stat *st)
{
	return !S_ISDIR(st->st_mode) || (u && !l);
}

static int ovl_rename(struct dentry *odir, const char *oname, struct dentry *ndir,
		      const char *nname, unsigned flags)
{
	struct dentry *ou = NULL, *ol = NULL, *nu = NULL, *nl = NULL;
	struct stat ost, nst;
	bool xchg = flags & RENAME_EXCHANGE, nwh;
	pthread_mutex_lock(&ovl_lock);
	int r = ovl_layers(odir, oname, &ou, &ol, NULL);
	if (r)
		goto unlock;
	bool ol_has = ovl_lower_has(odir, oname);
	ovl_attrs(ou, ol, &ost);
	r = ovl_layers(ndir, nname, &nu, &nl, &nwh);
	bool nexists = !r;
	if (r && (r != -ENOENT || xchg))
		goto out;
	r = 0;
	if (nexists)
		ovl_attrs(nu, nl, &nst);
	if (!movable(ou, ol, &ost) || (xchg && !movable(nu, nl, &nst))) {
		r = -EXDEV;
		goto out;
	}
	if (nexists && (flags & RENAME_NOREPLACE)) {
		r = -EEXIST;
		goto out;
	}
	/* Both names for one node: nothing to do (POSIX). */
	if (ou && nu && ou->fsdata == nu->fsdata)
		goto out;
	if (nexists && !xchg && S_ISDIR(nst.st_mode) && S_ISDIR(ost.st_mode)) {
		if ((r = merged_empty(nu, nl)) || (nu && (r = ovl_clear_whiteouts(nu))))
			goto out;
	}
	if ((r = ovl_copy_up(odir, true)) || (r = ovl_copy_up(ndir, true)))
		goto out;
	if (!ou && (r = upper_child(odir, oname, &ou)))
		goto out;
	if (xchg && !nu && (r = upper_child(ndir, nname, &nu)))
		goto out;
	struct dentry *po = OVL_E(odir)->upper, *pn = OVL_E(ndir)->upper;
	if (nwh && (r = pn->ops->unlink(pn, nname)))
		goto out;
	r = po->ops->rename(po, oname, pn, nname, flags & (RENAME_NOREPLACE | RENAME_EXCHANGE));
	if (r) {
		if (nwh)
			make_whiteout(pn, nname);
		goto out;
	}
	/* The old name must not show the lower node again. */
	if (!xchg && ol_has)
		r = make_whiteout(po, oname);
	ovl_gen++;
out:
	dentry_put(ou);
	dentry_put(ol);
	dentry_put(nu);
	dentry_put(nl);
unlock:
	pthread_mutex_unlock(&ovl_lock);
	return r;
}

static int ovl_setattr(struct dentry *d, const struct synth_setattr *sa)
{
	pthread_mutex_lock(&ovl_lock);
	/* Truncating to zero needs none of the old data. */
	bool data = !((sa->mask & SA_SIZE) && sa->size == 0);
	int r = ovl_copy_up(d, data);
	if (!r) {
		struct dentry *u = OVL_E(d)->upper;
		r = u->ops->setattr(u, sa);
	}
	pthread_mutex_unlock(&ovl_lock);
	return r;
}

/* Directories list the merged view; files open in their layer, a lower
 * regular file being copied up first when opened for writing.  Read-only
 * opens of lower files go straight to the gofer's fd. */
static int ovl_open(struct dentry *d, int flags, struct file **out)
{
	struct ovl_entry *e = OVL_E(d);
	struct stat st;
	int r = 0;
	pthread_mutex_lock(&ovl_lock);
	struct dentry *u = ovl_upper(d), *l = e->lower;
	ovl_attrs(u, l, &st);
	if (S_ISDIR(st.st_mode)) {
		pthread_mutex_unlock(&ovl_lock);
		return synth_dir_open(d, flags, out);
	}
	bool write = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
	if (!u && write && S_ISREG(st.st_mode)) {
		r = ovl_copy_up(d, !(flags & O_TRUNC));
		u = e->upper;
	}
	/* A device keeps being the host's (the upper layer is nodev). */
	if (u && l && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)))
		u = NULL;
	struct dentry *t = r ? NULL : dentry_get(u ? u : l);
	pthread_mutex_unlock(&ovl_lock);
	if (r)
		return r;
	/* Outside the lock: opening a FIFO sleeps until its other end. */
	r = u ? t->ops->open(t, flags, out) : gofer_file_open(t, flags, out);
	dentry_put(t);
	return r;
}

/* O_TMPFILE: an unnamed file of the upper layer, in dir's upper twin. */
static int ovl_tmpfile(struct dentry *dir, mode_t mode, const struct cred *c, bool linkable,
		       struct dentry **out)
{
	pthread_mutex_lock(&ovl_lock);
	int r = ovl_copy_up(dir, true);
	if (!r) {
		struct dentry *pu = OVL_E(dir)->upper;
		r = pu->ops->tmpfile(pu, mode, c, linkable, out);
	}
	pthread_mutex_unlock(&ovl_lock);
	return r;
}

/* Extended attributes live in the upper layer; setting one copies the
 * node up first.  Lower nodes show none: the hook for the gofer's xattr
 * messages (GOFER_T_GETXATTR/LISTXATTR) on them, and for copying them up,
 * is here. */
static long ovl_getxattr(struct dentry *d, const char *name, void *buf, size_t size)
{
	pthread_mutex_lock(&ovl_lock);
	struct dentry *u = ovl_upper(d);
	long r = u ? u->ops->getxattr(u, name, buf, size) : -ENODATA;
	pthread_mutex_unlock(&ovl_lock);
	return r;
}

static long ovl_listxattr(struct dentry *d, char *buf, size_t size)
{
	pthread_mutex_lock(&ovl_lock);
	struct dentry *u = ovl_upper(d);
	long r = u ? u->ops->listxattr(u, buf, size) : 0;
	pthread_mutex_unlock(&ovl_lock);
	return r;
}

static int ovl_setxattr(struct dentry *d, const char *name, const void *val, size_t size,
			int flags)
{
	pthread_mutex_lock(&ovl_lock);
	int r = ovl_copy_up(d, true);
	if (!r) {
		struct dentry *u = OVL_E(d)->upper;
		r = u->ops->setxattr(u, name, val, size, flags);
	}
	pthread_mutex_unlock(&ovl_lock);
	return r;
}

static int ovl_removexattr(struct dentry *d, const char *name)
{
	pthread_mutex_lock(&ovl_lock);
	struct dentry *u = ovl_upper(d);
	int r = u ? u->ops->removexattr(u, name) : -ENODATA;
	pthread_mutex_unlock(&ovl_lock);
	return r;
}

static int ovl_statfs(struct dentry *d, struct statfs *sf)
{
	int r = ovl_upper_root->ops->statfs(ovl_upper_root, sf);
	sf->f_type = OVL_MAGIC;
	return r;
}

const struct dentry_ops ovl_dentry_ops = {
    .lookup = ovl_lookup,
    .readdir = ovl_readdir,
    .open = ovl_open,
    .readlink = ovl_readlink,
    .release = ovl_release,
    .getattr = ovl_getattr,
    .create = ovl_create,
    .mkdir = ovl_mkdir,
    .mknod = ovl_mknod,
    .symlink = ovl_symlink,
    .link = ovl_link,
    .unlink = ovl_unlink,
    .rmdir = ovl_rmdir,
    .rename = ovl_rename,
    .setattr = ovl_setattr,
    .statfs = ovl_statfs,
    .tmpfile = ovl_tmpfile,
    .getxattr = ovl_getxattr,
    .setxattr = ovl_setxattr,
    .listxattr = ovl_listxattr,
    .removexattr = ovl_removexattr,
};
