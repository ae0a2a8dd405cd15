/* The mount table of synthetic filesystems and their uncached dentries. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/vfs/dentry.h"

static pthread_mutex_t mount_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vfs_mount *mounts; /* appended under mount_lock, read freely */

struct vfs_mount *vfs_mount_list(void) { return __atomic_load_n(&mounts, __ATOMIC_ACQUIRE); }

/* Synthetic filesystems share one device number per mount, as each Linux
 * superblock has its own (0:N, anonymous block devices). */
#define SYNTH_DEV_BASE 0x40

struct dentry *synth_dentry_new(struct dentry *parent, const char *name,
				const struct dentry_ops *ops, const struct stat *st, void *fsdata)
{
	struct dentry *d = calloc(1, sizeof *d);
	if (!d || !(d->name = strdup(name))) {
		free(d);
		return NULL;
	}
	d->refs = 1;
	d->ops = ops;
	d->fsdata = fsdata;
	d->st = *st;
	if (!d->st.st_nlink)
		d->st.st_nlink = S_ISDIR(st->st_mode) ? 2 : 1;
	if (!d->st.st_blksize)
		d->st.st_blksize = 4096;
	if (parent) {
		d->parent = dentry_get(parent);
		d->mnt = parent->mnt;
		if (d->mnt && !d->st.st_dev)
			d->st.st_dev = (dev_t)(SYNTH_DEV_BASE + d->mnt->id);
	}
	return d;
}

struct dentry *vfs_cross_mount(struct dentry *d)
{
	/* One level: nothing mounts over a mount's root yet. */
	struct vfs_mount *m = __atomic_load_n(&d->mounted, __ATOMIC_ACQUIRE);
	if (!m)
		return d;
	struct dentry *r = dentry_get(m->root);
	dentry_put(d);
	return r;
}

int vfs_mount(const char *path, const char *fstype, const char *source, const char *options,
	      unsigned long magic, const struct dentry_ops *root_ops, const struct stat *root_st,
	      void *root_data)
{
	struct dentry *cur = vfs_gofer_root();
	char name[256];
	int r;

	if (!cur)
		return -ENOENT;
	if (path[0] != '/') {
		dentry_put(cur);
		return -EINVAL;
	}
	/* Component by component in the gofer tree: the mount point is a
	 * real directory, never reached through a link or another mount. */
	for (const char *p = path;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, "/");
		if (len >= sizeof name || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.')) {
			dentry_put(cur);
			return -EINVAL;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		struct dentry *next;
		r = dentry_lookup(cur, name, &next);
		if (r) {
			dentry_put(cur);
			return r;
		}
		/* Inside another mount (/dev/pts, /dev/shm on devfs): only a
		 * directory its filesystem keeps (the same dentry at every
		 * lookup) can hold a mount. */
		bool kept = true;
		if (next->ops) {
			struct dentry *again = NULL;
			kept = !dentry_lookup(cur, name, &again) && again == next;
			dentry_put(again);
		}
		dentry_put(cur);
		cur = next;
		p += strspn(p, "/");
		if (cur->mounted && *p) {
			cur = vfs_cross_mount(cur);
			continue;
		}
		if (!kept || cur->mounted) {
			dentry_put(cur);
			return -EBUSY;
		}
	}
	/* A directory over a directory, a file over a non-directory (a
	 * single-file bind), as Linux pairs them. */
	if (S_ISDIR(cur->st.st_mode) != S_ISDIR(root_st->st_mode) || !cur->parent) {
		dentry_put(cur);
		return S_ISDIR(cur->st.st_mode) ? -EISDIR : -ENOTDIR;
	}

	struct vfs_mount *m = calloc(1, sizeof *m);
	struct dentry *root = m ? synth_dentry_new(cur->parent, cur->name, root_ops, root_st,
						   root_data)
				: NULL;
	if (!root) {
		free(m);
		dentry_put(cur);
		return -ENOMEM;
	}
	m->mountpoint = cur; /* keeps the reference: pinned for good */
	m->root = root;      /* and the root's own reference, never dropped */
	m->fstype = fstype;
	m->source = source;
	m->options = options;
	m->magic = magic;
	root->mnt = m;

	pthread_mutex_lock(&mount_lock);
	struct vfs_mount **pp = &mounts;
	int id = 2;
	for (; *pp; pp = &(*pp)->next)
		id++;
	m->id = id;
	if (!root->st.st_dev)
		root->st.st_dev = (dev_t)(SYNTH_DEV_BASE + id);
	__atomic_store_n(pp, m, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&mount_lock);
	__atomic_store_n(&cur->mounted, m, __ATOMIC_RELEASE);
	return 0;
}
