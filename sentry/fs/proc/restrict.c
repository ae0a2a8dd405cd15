/* OCI's readonlyPaths and maskedPaths inside procfs: its entries are made
 * afresh at each lookup, so they cannot hold the read-only bind or the
 * /dev/null bind a runtime would mount there; procfs checks the lists at
 * open and lookup instead. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fs/proc/internal.h"
#include "sentry/fs/proc/procfs.h"

/* Set before the first task runs, only read afterwards. */
struct plist {
	char **v;
	size_t n;
};
static struct plist ro_paths, masked_paths;

static int plist_add(struct plist *l, const char *path)
{
	if (strncmp(path, "/proc/", 6) || !path[6])
		return -EINVAL;
	char **v = realloc(l->v, (l->n + 1) * sizeof *v);
	if (!v)
		return -ENOMEM;
	l->v = v;
	if (!(v[l->n] = strdup(path)))
		return -ENOMEM;
	/* "/proc/sys/" and "/proc/sys" name the same thing. */
	size_t len = strlen(v[l->n]);
	while (len > 6 && v[l->n][len - 1] == '/')
		v[l->n][--len] = '\0';
	l->n++;
	return 0;
}

int procfs_set_readonly(const char *prefix) { return plist_add(&ro_paths, prefix); }
int procfs_mask(const char *path) { return plist_add(&masked_paths, path); }

/* d's path from /proc ("/proc/sys/kernel/hostname") into buf; false when
 * it does not fit. */
static bool proc_path(const struct dentry *d, char *buf, size_t size)
{
	size_t end = size - 1;
	buf[end] = '\0';
	for (; d && d->ops != &proc_root_ops; d = d->parent) {
		size_t l = strlen(d->name);
		if (l + 1 > end)
			return false;
		end -= l;
		memcpy(buf + end, d->name, l);
		buf[--end] = '/';
	}
	if (!d || end < 5)
		return false;
	end -= 5;
	memcpy(buf + end, "/proc", 5);
	memmove(buf, buf + end, size - end);
	return true;
}

/* Whether path is one of l's or below one. */
static bool plist_covers(const struct plist *l, const char *path)
{
	for (size_t i = 0; i < l->n; i++) {
		size_t pl = strlen(l->v[i]);
		if (!strncmp(path, l->v[i], pl) && (!path[pl] || path[pl] == '/'))
			return true;
	}
	return false;
}

static bool covered(const struct plist *l, const struct dentry *d)
{
	char path[512];
	if (!l->n)
		return false;
	/* A path too deep for the buffer is under no listed prefix we could
	 * match exactly: err on the side of the restriction. */
	return !proc_path(d, path, sizeof path) || plist_covers(l, path);
}

bool proc_is_readonly(const struct dentry *d) { return covered(&ro_paths, d); }
bool proc_is_masked(const struct dentry *d) { return covered(&masked_paths, d); }
