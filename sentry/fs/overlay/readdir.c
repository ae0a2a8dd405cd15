/* Merged directory listings: the upper directory's names, then the lower
 * one's that no upper name or whiteout shadows. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fs/gofer/client.h"
#include "sentry/fs/overlay/internal.h"
#include "sentry/fs/tmpfs/tmpfs.h"

/* A set of names: open addressing over a power-of-two table. */
struct nameset {
	char **slot;
	size_t cap, n;
};

static size_t name_hash(const char *s)
{
	size_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static bool set_has(const struct nameset *s, const char *name)
{
	if (!s->cap)
		return false;
	for (size_t i = name_hash(name) & (s->cap - 1); s->slot[i]; i = (i + 1) & (s->cap - 1))
		if (!strcmp(s->slot[i], name))
			return true;
	return false;
}

static int set_add(struct nameset *s, const char *name)
{
	if (2 * (s->n + 1) > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		char **slot = calloc(cap, sizeof *slot);
		if (!slot)
			return -ENOMEM;
		for (size_t j = 0; j < s->cap; j++) {
			if (!s->slot[j])
				continue;
			size_t i = name_hash(s->slot[j]) & (cap - 1);
			while (slot[i])
				i = (i + 1) & (cap - 1);
			slot[i] = s->slot[j];
		}
		free(s->slot);
		s->slot = slot;
		s->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	size_t i = name_hash(name) & (s->cap - 1);
	while (s->slot[i])
		i = (i + 1) & (s->cap - 1);
	s->slot[i] = copy;
	s->n++;
	return 0;
}

static void set_free(struct nameset *s)
{
	for (size_t i = 0; i < s->cap; i++)
		free(s->slot[i]);
	free(s->slot);
}

struct iter {
	struct nameset seen;
	bool track; /* a lower layer follows: remember upper names */
	int (*fn)(void *arg, const char *name, uint64_t ino, unsigned char type);
	void *arg;
};

static int upper_entry(void *arg, const char *name, const struct stat *st)
{
	struct iter *it = arg;
	if (it->track) {
		int r = set_add(&it->seen, name);
		if (r)
			return r;
	}
	if (S_ISCHR(st->st_mode) && st->st_rdev == 0)
		return 0; /* a whiteout */
	return it->fn(it->arg, name, st->st_ino, synth_dtype(st->st_mode));
}

#define BATCH 64

int ovl_iterate(struct dentry *u, struct dentry *l,
		int (*fn)(void *arg, const char *name, uint64_t ino, unsigned char type), void *arg)
{
	struct iter it = {.track = l != NULL, .fn = fn, .arg = arg};
	int r = u ? tmpfs_for_each(u, upper_entry, &it) : 0;
	struct gofer_dent *ents = NULL;
	if (r || !l)
		goto out;
	ents = malloc(BATCH * sizeof *ents);
	if (!ents) {
		r = -ENOMEM;
		goto out;
	}
	uint64_t cookie = 0;
	for (bool eof = false; !eof && !r;) {
		int n = gofer_getdents(&vfs_gofer, l->node, cookie, ents, BATCH, &eof);
		if (n < 0) {
			r = n;
			break;
		}
		if (n == 0)
			break;
		for (int i = 0; i < n && !r; i++) {
			const char *name = ents[i].name;
			if (!strcmp(name, ".") || !strcmp(name, "..") || set_has(&it.seen, name))
				continue;
			r = fn(arg, name, ents[i].ino, ents[i].type);
		}
		cookie = ents[n - 1].next;
	}
out:
	free(ents);
	set_free(&it.seen);
	return r;
}

static int add_entry(void *arg, const char *name, uint64_t ino, unsigned char type)
{
	return synth_dir_add(arg, name, ino, type);
}

int ovl_readdir(struct dentry *dir, struct synth_dirbuf *db)
{
	pthread_mutex_lock(&ovl_lock);
	struct dentry *u = ovl_upper(dir);
	int r = ovl_iterate(u, OVL_E(dir)->lower, add_entry, db);
	pthread_mutex_unlock(&ovl_lock);
	return r;
}

struct names {
	char **v;
	size_t n, cap;
};

static int collect_whiteout(void *arg, const char *name, const struct stat *st)
{
	struct names *ns = arg;
	if (!S_ISCHR(st->st_mode) || st->st_rdev != 0)
		return 0;
	if (ns->n == ns->cap) {
		size_t cap = ns->cap ? 2 * ns->cap : 16;
		char **v = realloc(ns->v, cap * sizeof *v);
		if (!v)
			return -ENOMEM;
		ns->v = v;
		ns->cap = cap;
	}
	if (!(ns->v[ns->n] = strdup(name)))
		return -ENOMEM;
	ns->n++;
	return 0;
}

int ovl_clear_whiteouts(struct dentry *u)
{
	struct names ns = {0};
	int r = tmpfs_for_each(u, collect_whiteout, &ns);
	for (size_t i = 0; i < ns.n; i++) {
		if (!r)
			r = u->ops->unlink(u, ns.v[i]);
		free(ns.v[i]);
	}
	free(ns.v);
	return r;
}
