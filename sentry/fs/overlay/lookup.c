/* Overlay lookups: finding a name's upper and lower twins, the attributes
 * the pair shows, symlinks, and the root overlay's set-up. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fs/overlay/internal.h"
#include "sentry/fs/overlay/overlay.h"
#include "sentry/fs/tmpfs/tmpfs.h"

pthread_mutex_t ovl_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
unsigned ovl_gen;

bool ovl_is_whiteout(const struct dentry *u)
{
	return S_ISCHR(u->st.st_mode) && u->st.st_rdev == 0;
}

/* Whether upper twin u hides the lower one (a non-directory, or an opaque
 * directory). */
static bool hides_lower(struct dentry *u) { return !S_ISDIR(u->st.st_mode) || tmpfs_is_opaque(u); }

struct dentry *ovl_upper(struct dentry *d)
{
	struct ovl_entry *e = OVL_E(d);
	if (e->upper || e->gen == ovl_gen || !d->parent)
		return e->upper;
	e->gen = ovl_gen;
	struct dentry *pu = ovl_upper(d->parent), *u;
	if (!pu || pu->ops->lookup(pu, d->name, &u))
		return NULL;
	if (ovl_is_whiteout(u)) {
		/* Removed since this dentry was made: it keeps what it saw. */
		dentry_put(u);
		return NULL;
	}
	e->upper = u;
	if (e->lower && hides_lower(u)) {
		dentry_put(e->lower);
		e->lower = NULL;
	}
	return u;
}

static int has_entry(void *arg, const char *name, const struct stat *st) { return 1; }

void ovl_attrs(struct dentry *u, struct dentry *l, struct stat *st)
{
	if (!u || !l) {
		dentry_getattr(u ? u : l, st);
		return;
	}
	/* A merged directory: the lower one's size and link count as long as
	 * nothing was added or removed above it (a fresh copy-up, like the
	 * root), then 1 for "unknown" as Linux's overlayfs (no find leaf
	 * optimisation); the changeable attributes are the upper's. */
	struct stat us;
	dentry_getattr(l, st);
	dentry_getattr(u, &us);
	st->st_mode = us.st_mode;
	st->st_uid = us.st_uid;
	st->st_gid = us.st_gid;
	st->st_atim = us.st_atim;
	st->st_mtim = us.st_mtim;
	if (tmpfs_for_each(u, has_entry, NULL)) {
		st->st_nlink = 1;
		st->st_ctim = us.st_ctim;
	}
}

struct dentry *ovl_dentry_new(struct dentry *dir, const char *name, struct dentry *u,
			      struct dentry *l)
{
	if (u && l && hides_lower(u)) {
		dentry_put(l);
		l = NULL;
	}
	struct ovl_entry *e = calloc(1, sizeof *e);
	struct stat st;
	if (!e) {
		dentry_put(u);
		dentry_put(l);
		return NULL;
	}
	e->upper = u;
	e->lower = l;
	e->gen = ovl_gen;
	ovl_attrs(u, l, &st);
	struct dentry *d = synth_dentry_new(dir, name, &ovl_dentry_ops, &st, e);
	if (!d) {
		dentry_put(u);
		dentry_put(l);
		free(e);
		return NULL;
	}
	struct vfs_mount *m = l ? __atomic_load_n(&l->mounted, __ATOMIC_ACQUIRE) : NULL;
	if (m) {
		/* A filesystem mounted on the lower directory covers this one;
		 * its root hangs under an overlay dentry so that ".." from it
		 * comes back into the overlay. */
		d->mounted = m;
		struct dentry *mp = m->root->parent;
		if (dir && (!mp || mp->ops != &ovl_dentry_ops))
			dentry_set_parent(m->root, dir);
	}
	return d;
}

/* Whether the lower directory under dir has name (hidden or not by the
 * upper layer): removing name then needs a whiteout. */
bool ovl_lower_has(struct dentry *dir, const char *name)
{
	struct dentry *l, *dl = OVL_E(dir)->lower;
	if (!dl || dentry_lookup(dl, name, &l))
		return false;
	dentry_put(l);
	return true;
}

int ovl_layers(struct dentry *dir, const char *name, struct dentry **uo, struct dentry **lo,
	       bool *wh)
{
	struct dentry *pu = ovl_upper(dir), *dl = OVL_E(dir)->lower, *u = NULL, *l = NULL;
	int r;
	if (wh)
		*wh = false;
	if (pu) {
		r = pu->ops->lookup(pu, name, &u);
		if (r && r != -ENOENT)
			return r;
		if (!r && ovl_is_whiteout(u)) {
			dentry_put(u);
			if (wh)
				*wh = true;
			return -ENOENT;
		}
		if (r)
			u = NULL;
	}
	if (dl && (!u || !hides_lower(u))) {
		r = dentry_lookup(dl, name, &l);
		if (r && r != -ENOENT) {
			dentry_put(u);
			return r;
		}
		if (r)
			l = NULL;
		/* Only directories merge. */
		if (l && u && !S_ISDIR(l->st.st_mode)) {
			dentry_put(l);
			l = NULL;
		}
	}
	if (!u && !l)
		return -ENOENT;
	*uo = u;
	*lo = l;
	return 0;
}

int ovl_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	struct dentry *u, *l;
	pthread_mutex_lock(&ovl_lock);
	int r = ovl_layers(dir, name, &u, &l, NULL);
	if (!r && !(*out = ovl_dentry_new(dir, name, u, l)))
		r = -ENOMEM;
	pthread_mutex_unlock(&ovl_lock);
	return r;
}

int ovl_getattr(struct dentry *d, struct stat *st)
{
	pthread_mutex_lock(&ovl_lock);
	ovl_attrs(ovl_upper(d), OVL_E(d)->lower, st);
	pthread_mutex_unlock(&ovl_lock);
	return 0;
}

long ovl_readlink(struct dentry *d, char *buf, size_t size)
{
	pthread_mutex_lock(&ovl_lock);
	struct dentry *u = ovl_upper(d);
	struct dentry *t = dentry_get(u ? u : OVL_E(d)->lower);
	pthread_mutex_unlock(&ovl_lock);
	long r = dentry_readlink(t, buf, size);
	dentry_put(t);
	return r;
}

void ovl_release(struct dentry *d)
{
	struct ovl_entry *e = OVL_E(d);
	dentry_put(e->upper);
	dentry_put(e->lower);
	free(e);
}

struct dentry *ovl_upper_root;

int overlay_root_init(const char *mode)
{
	if (!strcmp(mode, "none")) {
		/* The gofer tree itself, written through (EROFS if the gofer
		 * serves it read-only). */
		vfs_gofer_set_writable(true);
		return 0;
	}
	if (strcmp(mode, "root:memory"))
		return -EINVAL;
	struct dentry *l = vfs_gofer_root();
	if (!l)
		return -ENOENT;
	struct dentry *u = tmpfs_new_unmounted(l->st.st_mode & 07777, OVL_DEV);
	if (!u) {
		dentry_put(l);
		return -ENOMEM;
	}
	/* The upper root is the lower root's copy-up. */
	struct synth_setattr sa = {.mask = SA_UID | SA_GID | SA_ATIME | SA_MTIME,
				   .uid = l->st.st_uid,
				   .gid = l->st.st_gid,
				   .atime = l->st.st_atim,
				   .mtime = l->st.st_mtim};
	u->ops->setattr(u, &sa);
	tmpfs_set_identity(u, l->st.st_dev, l->st.st_ino);
	ovl_upper_root = dentry_get(u);
	pthread_mutex_lock(&ovl_lock);
	struct dentry *root = ovl_dentry_new(NULL, "/", u, l);
	pthread_mutex_unlock(&ovl_lock);
	if (!root)
		return -ENOMEM;
	vfs_set_root(root); /* keeps our reference for good */
	return 0;
}
