/* The dentry cache: gofer nodes by (parent, name), with negative entries
 * and an LRU of unreferenced dentries that gives nodes back to the gofer. */
#include "sentry/vfs/dentry.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "sentry/fs/gofer/client.h"
#include "sentry/kernel/task.h"

#define HASH_BUCKETS 4096
/* Unreferenced dentries kept before the oldest are dropped; each positive
 * one holds an fd in the gofer. */
#define LRU_MAX 4096

static pthread_mutex_t dcache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dentry *buckets[HASH_BUCKETS];
static struct dentry lru = {.lru_prev = &lru, .lru_next = &lru};
static unsigned lru_count;
static struct dentry *root_dentry;

static unsigned hash(const struct dentry *parent, const char *name)
{
	uint64_t h = (uintptr_t)parent * 0x9e3779b97f4a7c15ULL;
	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 0x100000001b3ULL;
	return (unsigned)(h ^ (h >> 32)) % HASH_BUCKETS;
}

static void lru_del(struct dentry *d)
{
	d->lru_prev->lru_next = d->lru_next;
	d->lru_next->lru_prev = d->lru_prev;
	d->lru_prev = d->lru_next = NULL;
	lru_count--;
}

static void lru_add(struct dentry *d)
{
	d->lru_prev = lru.lru_prev;
	d->lru_next = &lru;
	lru.lru_prev->lru_next = d;
	lru.lru_prev = d;
	lru_count++;
}

static void hash_del(struct dentry *d)
{
	struct dentry **p = &buckets[hash(d->parent, d->name)];
	for (; *p; p = &(*p)->hnext) {
		if (*p == d) {
			*p = d->hnext;
			return;
		}
	}
}

static void get_locked(struct dentry *d)
{
	if (d->refs++ == 0 && d->lru_next)
		lru_del(d);
}

static void put_locked(struct dentry *d, struct dentry **dead);

/* Frees gofer dentry v (unreferenced, off the LRU) and gives its node
 * back; returns its parent, whose reference the caller drops. */
static struct dentry *gofer_free_locked(struct dentry *v)
{
	if (!v->unhashed)
		hash_del(v);
	if (v->node)
		gofer_clunk(&vfs_gofer, v->node);
	struct dentry *parent = v->parent;
	if (v->rofd1)
		close(v->rofd1 - 1);
	if (v->cfd1)
		close(v->cfd1 - 1);
	free(v->name);
	free(v->link);
	free(v);
	return parent;
}

/* Drops a reference; an unreferenced gofer dentry joins the LRU (or is
 * freed at once when no lookup can find it any more), and the LRU's oldest
 * are freed while it is over its size.  An unreferenced synthetic dentry
 * is not cached: it goes on *dead (through hnext) for free_dead() once
 * dcache_lock is dropped, and its parent loses the reference it held.
 * Called with dcache_lock. */
static void put_locked(struct dentry *d, struct dentry **dead)
{
	while (d && --d->refs == 0) {
		if (d == root_dentry)
			return;
		if (d->ops) {
			struct dentry *parent = d->parent;
			d->hnext = *dead;
			*dead = d;
			d = parent;
			continue;
		}
		if (d->unhashed) {
			d = gofer_free_locked(d);
			continue;
		}
		lru_add(d);
		break;
	}
	while (lru_count > LRU_MAX) {
		struct dentry *v = lru.lru_next;
		lru_del(v);
		/* The parent may now join the LRU itself. */
		put_locked(gofer_free_locked(v), dead);
	}
}

/* Makes d unreachable by lookups (removed, or replaced by another node);
 * holders keep it until their last reference.  dcache_lock held. */
static void unhash_locked(struct dentry *d, struct dentry **dead)
{
	if (d->unhashed)
		return;
	hash_del(d);
	d->unhashed = true;
	if (d->refs == 0) {
		lru_del(d);
		put_locked(gofer_free_locked(d), dead);
	}
}

/* Bumped when a link count changes under another name (link, unlink,
 * rename over a file): dentries of files with several links ask again. */
static unsigned links_gen;

static struct dentry *find_locked(struct dentry *dir, const char *name)
{
	for (struct dentry *d = buckets[hash(dir, name)]; d; d = d->hnext)
		if (d->parent == dir && !strcmp(d->name, name))
			return d;
	return NULL;
}

static void hash_add(struct dentry *d)
{
	unsigned h = hash(d->parent, d->name);
	d->hnext = buckets[h];
	buckets[h] = d;
	d->unhashed = false;
}

/* Frees synthetic dentries put_locked collected: their filesystem's release
 * may drop files and dentries itself, so no lock is held here. */
static void free_dead(struct dentry *dead)
{
	while (dead) {
		struct dentry *next = dead->hnext;
		if (dead->ops->release)
			dead->ops->release(dead);
		free(dead->name);
		free(dead->link);
		free(dead);
		dead = next;
	}
}

int dentry_rofd(struct dentry *d)
{
	return __atomic_load_n(&d->rofd1, __ATOMIC_ACQUIRE) - 1;
}

int dentry_set_rofd(struct dentry *d, int fd)
{
	int none = 0;
	if (__atomic_compare_exchange_n(&d->rofd1, &none, fd + 1, false, __ATOMIC_ACQ_REL,
					__ATOMIC_ACQUIRE))
		return fd;
	close(fd);
	return none - 1;
}

struct dentry *dentry_get(struct dentry *d)
{
	pthread_mutex_lock(&dcache_lock);
	get_locked(d);
	pthread_mutex_unlock(&dcache_lock);
	return d;
}

void dentry_put(struct dentry *d)
{
	struct dentry *dead = NULL;
	if (!d)
		return;
	pthread_mutex_lock(&dcache_lock);
	put_locked(d, &dead);
	pthread_mutex_unlock(&dcache_lock);
	free_dead(dead);
}

void dentry_getattr(struct dentry *d, struct stat *st)
{
	if (d->ops) {
		if (!d->ops->getattr || d->ops->getattr(d, st))
			*st = d->st;
		return;
	}
	if (d->node && !S_ISDIR(d->st.st_mode) && d->st.st_nlink > 1 &&
	    d->links_gen != __atomic_load_n(&links_gen, __ATOMIC_ACQUIRE))
		__atomic_store_n(&d->stale, true, __ATOMIC_RELEASE);
	if (__atomic_load_n(&d->stale, __ATOMIC_ACQUIRE) && d->node) {
		struct stat fresh;
		if (!gofer_stat(&vfs_gofer, d->node, &fresh))
			dentry_gofer_update(d, &fresh);
	}
	pthread_mutex_lock(&dcache_lock);
	*st = d->st;
	pthread_mutex_unlock(&dcache_lock);
}

#define CAP_FOWNER 3

bool vfs_owner_or_capable(const struct cred *c, const struct stat *st)
{
	return c->fsuid == st->st_uid || (c->cap_effective & (1ULL << CAP_FOWNER));
}

int vfs_may_create(const struct cred *c, struct dentry *dir)
{
	struct stat st;
	dentry_getattr(dir, &st);
	return vfs_permission(c, &st, MAY_WRITE | MAY_EXEC);
}

int vfs_may_delete(const struct cred *c, struct dentry *dir, struct dentry *victim, bool isdir)
{
	struct stat ds, vs;
	dentry_getattr(dir, &ds);
	dentry_getattr(victim, &vs);
	int r = vfs_permission(c, &ds, MAY_WRITE | MAY_EXEC);
	if (r)
		return r;
	/* Sticky directories (/tmp, /dev/shm): only the owners may remove. */
	if ((ds.st_mode & S_ISVTX) && c->fsuid != ds.st_uid && !vfs_owner_or_capable(c, &vs))
		return -EPERM;
	if (isdir) {
		if (!S_ISDIR(vs.st_mode))
			return -ENOTDIR;
	} else if (S_ISDIR(vs.st_mode)) {
		return -EISDIR;
	}
	/* A mount point (a file under a single-file bind too) stays. */
	if (victim->mounted || (victim->mnt && victim->mnt->root == victim))
		return -EBUSY;
	return 0;
}

static struct dentry *top_root; /* the overlay's, when there is one */

struct dentry *vfs_root(void)
{
	struct dentry *r = __atomic_load_n(&top_root, __ATOMIC_ACQUIRE);
	if (!r)
		r = root_dentry;
	return r ? dentry_get(r) : NULL;
}

struct dentry *vfs_gofer_root(void) { return root_dentry ? dentry_get(root_dentry) : NULL; }

void vfs_set_root(struct dentry *d) { __atomic_store_n(&top_root, d, __ATOMIC_RELEASE); }

void dentry_set_parent(struct dentry *d, struct dentry *np)
{
	struct dentry *dead = NULL;
	pthread_mutex_lock(&dcache_lock);
	struct dentry *old = d->parent;
	get_locked(np);
	d->parent = np;
	if (old)
		put_locked(old, &dead);
	pthread_mutex_unlock(&dcache_lock);
	free_dead(dead);
}

/* The root tree is writable: overlay "none" asked, the gofer agreed. */
static bool root_rw, root_served_ro;

void vfs_gofer_set_writable(bool writable) { root_rw = writable && !root_served_ro; }

const struct dentry_ops *dentry_wops(struct dentry *d)
{
	if (d->ops)
		return d->ops;
	bool rw = d->mnt ? !d->mnt->readonly : root_rw;
	return rw && !d->negative ? &gofer_dentry_ops : NULL;
}

int vfs_root_init(void)
{
	uint64_t node;
	struct stat st;
	int r = gofer_attach_export(&vfs_gofer, 0, &node, &st, &root_served_ro);
	if (r)
		return r;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	struct dentry *d = calloc(1, sizeof *d);
	if (!d || !(d->name = strdup("/")))
		return -ENOMEM;
	d->refs = 1; /* the tree's own, never dropped */
	d->node = node;
	d->st = st;
	root_dentry = d;
	return 0;
}

int dentry_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	unsigned h = hash(dir, name);
	struct dentry *d, *dead = NULL;
	int r = 0;

	if (dir->ops)
		return dir->ops->lookup ? dir->ops->lookup(dir, name, out) : -ENOENT;
	pthread_mutex_lock(&dcache_lock);
	for (d = buckets[h]; d; d = d->hnext)
		if (d->parent == dir && !strcmp(d->name, name))
			break;
	if (!d) {
		/* Walked with the lock held: the connection serialises requests
		 * anyway, and no other thread can insert the same name. */
		uint64_t node = 0;
		struct stat st;
		r = gofer_walk(&vfs_gofer, dir->node, name, &node, &st);
		if (r && r != -ENOENT)
			goto out;
		d = calloc(1, sizeof *d);
		if (!d || !(d->name = strdup(name))) {
			free(d);
			if (node)
				gofer_clunk(&vfs_gofer, node);
			r = -ENOMEM;
			goto out;
		}
		d->parent = dir;
		d->mnt = dir->mnt; /* a bind mount's, or NULL for the root tree */
		get_locked(dir);
		if (r == -ENOENT) {
			d->negative = true;
		} else {
			d->node = node;
			d->st = st;
		}
		d->hnext = buckets[h];
		buckets[h] = d;
		d->refs = 1;
	} else {
		get_locked(d);
	}
	if (d->negative) {
		put_locked(d, &dead);
		r = -ENOENT;
	} else {
		*out = d;
		r = 0;
	}
out:
	pthread_mutex_unlock(&dcache_lock);
	free_dead(dead);
	return r;
}

long dentry_readlink(struct dentry *d, char *buf, size_t size)
{
	long r;
	if (!S_ISLNK(d->st.st_mode))
		return -EINVAL;
	if (d->ops)
		return d->ops->readlink ? d->ops->readlink(d, buf, size) : -EINVAL;
	pthread_mutex_lock(&dcache_lock);
	if (!d->link) {
		char *tmp = malloc(GOFER_LINK_SIZE);
		if (!tmp) {
			r = -ENOMEM;
			goto out;
		}
		r = gofer_readlink(&vfs_gofer, d->node, tmp, GOFER_LINK_SIZE);
		if (r < 0) {
			free(tmp);
			goto out;
		}
		d->link = tmp;
	}
	r = (long)strlen(d->link);
	if ((size_t)r >= size) {
		r = -ENAMETOOLONG;
		goto out;
	}
	memcpy(buf, d->link, (size_t)r + 1);
out:
	pthread_mutex_unlock(&dcache_lock);
	return r;
}

long dentry_path(struct dentry *root, struct dentry *d, char *buf, size_t size)
{
	size_t pos = size;
	long r;
	if (size < 2)
		return -ENAMETOOLONG;
	pthread_mutex_lock(&dcache_lock);
	buf[--pos] = '\0';
	for (; d && d != root && d->parent; d = d->parent) {
		size_t l = strlen(d->name);
		if (pos < l + 1) {
			r = -ENAMETOOLONG;
			goto out;
		}
		pos -= l;
		memcpy(buf + pos, d->name, l);
		buf[--pos] = '/';
	}
	if (pos == size - 1)
		buf[--pos] = '/';
	r = (long)(size - 1 - pos);
	memmove(buf, buf + pos, (size_t)r + 1);
out:
	pthread_mutex_unlock(&dcache_lock);
	return r;
}

/* ---- cache updates for writable gofer trees ---- */

int dentry_gofer_add(struct dentry *dir, const char *name, uint64_t node, const struct stat *st,
		     struct dentry **out)
{
	struct dentry *dead = NULL;
	pthread_mutex_lock(&dcache_lock);
	struct dentry *d = find_locked(dir, name);
	if (d && !d->negative) {
		/* Someone else's node had the name: it is not ours any more. */
		unhash_locked(d, &dead);
		d = NULL;
	}
	if (d) {
		get_locked(d);
		d->negative = false;
	} else {
		d = calloc(1, sizeof *d);
		if (!d || !(d->name = strdup(name))) {
			free(d);
			pthread_mutex_unlock(&dcache_lock);
			free_dead(dead);
			gofer_clunk(&vfs_gofer, node);
			return -ENOMEM;
		}
		d->parent = dir;
		d->mnt = dir->mnt;
		get_locked(dir);
		d->refs = 1;
		hash_add(d);
	}
	d->node = node;
	d->st = *st;
	if (!S_ISDIR(st->st_mode) && st->st_nlink > 1)
		links_gen++;
	d->links_gen = links_gen;
	if (out)
		*out = d;
	else
		put_locked(d, &dead);
	pthread_mutex_unlock(&dcache_lock);
	free_dead(dead);
	return 0;
}

void dentry_gofer_drop(struct dentry *dir, const char *name)
{
	struct dentry *dead = NULL;
	pthread_mutex_lock(&dcache_lock);
	struct dentry *d = find_locked(dir, name);
	if (d && !d->negative && !S_ISDIR(d->st.st_mode) && d->st.st_nlink > 1)
		links_gen++;
	if (d)
		unhash_locked(d, &dead);
	pthread_mutex_unlock(&dcache_lock);
	free_dead(dead);
}

/* Gives d the name name under dir (d is off the hash). */
static void rename_locked(struct dentry *d, struct dentry *dir, const char *name,
			  struct dentry **dead)
{
	char *nn = strdup(name);
	if (!nn) {
		d->unhashed = true; /* found again by a fresh walk */
		return;
	}
	free(d->name);
	d->name = nn;
	if (d->parent != dir) {
		struct dentry *old = d->parent;
		get_locked(dir);
		d->parent = dir;
		put_locked(old, dead);
	}
	hash_add(d);
	d->stale = true; /* ctime */
}

void dentry_gofer_move(struct dentry *odir, const char *oname, struct dentry *ndir,
		       const char *nname, bool exchange)
{
	struct dentry *dead = NULL;
	pthread_mutex_lock(&dcache_lock);
	struct dentry *a = find_locked(odir, oname), *b = find_locked(ndir, nname);
	if (a == b)
		b = NULL;
	if (b && (!exchange || b->negative)) {
		if (!b->negative && b->st.st_nlink > 1)
			links_gen++;
		unhash_locked(b, &dead);
		b = NULL;
	}
	if (a && a->negative) {
		unhash_locked(a, &dead);
		a = NULL;
	}
	/* Pinned while they move: unhashing must not free them. */
	if (a) {
		get_locked(a);
		hash_del(a);
	}
	if (b) {
		get_locked(b);
		hash_del(b);
	}
	if (a) {
		rename_locked(a, ndir, nname, &dead);
		put_locked(a, &dead);
	}
	if (b) {
		rename_locked(b, odir, oname, &dead);
		put_locked(b, &dead);
	}
	pthread_mutex_unlock(&dcache_lock);
	free_dead(dead);
}

void dentry_gofer_update(struct dentry *d, const struct stat *st)
{
	pthread_mutex_lock(&dcache_lock);
	d->st = *st;
	d->links_gen = links_gen;
	__atomic_store_n(&d->stale, false, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&dcache_lock);
}

void dentry_gofer_stale(struct dentry *d) { __atomic_store_n(&d->stale, true, __ATOMIC_RELEASE); }

struct dentry *dentry_gofer_root(struct dentry *parent, const char *name, uint64_t node,
				 const struct stat *st, struct vfs_mount *m)
{
	struct dentry *d = calloc(1, sizeof *d);
	if (!d || !(d->name = strdup(name))) {
		free(d);
		return NULL;
	}
	d->refs = 1; /* the mount's, never dropped */
	d->node = node;
	d->st = *st;
	d->mnt = m;
	d->unhashed = true; /* found through the mount point, never by name */
	if (parent)
		d->parent = dentry_get(parent);
	return d;
}
