/* Path walk: components, ".", "..", symlinks (resolved here, never in the
 * gofer), mount points of synthetic filesystems, and the errors Linux gives
 * for each. */
#include "sentry/vfs/dentry.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/task.h"

/* Room for a symlink target spliced in front of the rest of a path. */
#define WALK_BUF (2 * PATH_MAX + 2)

struct walk {
	struct task *t;
	struct dentry *root;
	struct dentry *scope;	 /* WALK_BENEATH / WALK_IN_ROOT: the start */
	struct vfs_mount *mnt;	 /* WALK_NO_XDEV: the start's mount */
	struct dentry *cur;
	int nlinks;
	char bufs[2][WALK_BUF];
	int which;
};

/* The path left after following a link: target, then "/" + rest unless
 * the link was the last component (rest NULL), in the other buffer.  NULL
 * if too long.  (rest may point into the current buffer.) */
static const char *splice(struct walk *w, const char *target, const char *rest)
{
	size_t tl = strlen(target), rl = rest ? strlen(rest) : 0;
	if (tl + 1 + rl + 1 > WALK_BUF)
		return NULL;
	char *b = w->bufs[w->which ^= 1];
	memcpy(b, target, tl);
	if (rest) {
		b[tl] = '/';
		memcpy(b + tl + 1, rest, rl + 1);
	} else {
		b[tl] = '\0';
	}
	return b;
}

static void set_cur(struct walk *w, struct dentry *d)
{
	struct dentry *old = w->cur;
	w->cur = d;
	dentry_put(old);
}

/* RESOLVE_NO_XDEV: every step must stay in the start's mount. */
static int check_xdev(struct walk *w, int flags)
{
	return (flags & WALK_NO_XDEV) && w->cur->mnt != w->mnt ? -EXDEV : 0;
}

/* Walks rest from w->cur.  If stop_last, the last component is not looked
 * up: it is copied to last (and w->cur is its directory). */
static int walk_path(struct walk *w, const char *rest, int flags, bool stop_last, char *last)
{
	char name[NAME_MAX + 1];
	char target[GOFER_LINK_SIZE];
	int r0;

	if (!*rest)
		return -ENOENT;
	if (strlen(rest) >= PATH_MAX)
		return -ENAMETOOLONG;
	for (;;) {
		if (*rest == '/') {
			/* Absolute paths and link targets may not leave a
			 * RESOLVE_BENEATH walk. */
			if (flags & WALK_BENEATH)
				return -EXDEV;
			set_cur(w, dentry_get(w->root));
			if ((r0 = check_xdev(w, flags)))
				return r0;
			while (*rest == '/')
				rest++;
		}
		if (!*rest) {
			/* Only slashes left: the path names w->cur itself. */
			if (last)
				strcpy(last, "");
			break;
		}
		const char *end = strchrnul(rest, '/');
		size_t len = (size_t)(end - rest);
		const char *next = end;
		while (*next == '/')
			next++;
		bool is_last = !*next;
		bool trailing_slash = is_last && *end == '/';

		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, rest, len);
		name[len] = '\0';
		if (!S_ISDIR(w->cur->st.st_mode))
			return -ENOTDIR;
		if (is_last && stop_last) {
			strcpy(last, name);
			break;
		}
		int r;
		if (w->cur->ops && w->cur->ops->getattr) {
			/* A writable filesystem's modes change after lookup. */
			struct stat st;
			dentry_getattr(w->cur, &st);
			r = vfs_permission(&w->t->cred, &st, MAY_EXEC);
		} else {
			r = vfs_permission(&w->t->cred, &w->cur->st, MAY_EXEC);
		}
		if (r)
			return r;
		if (!strcmp(name, ".")) {
			rest = next;
			if (is_last)
				break;
			continue;
		}
		if (!strcmp(name, "..")) {
			if ((flags & WALK_BENEATH) && w->cur == w->scope)
				return -EXDEV;
			if (w->cur != w->root && w->cur->parent)
				set_cur(w, dentry_get(w->cur->parent));
			if ((r0 = check_xdev(w, flags)))
				return r0;
			rest = next;
			if (is_last)
				break;
			continue;
		}
		struct dentry *d;
		r = dentry_lookup(w->cur, name, &d);
		if (r)
			return r;
		d = vfs_cross_mount(d);
		if ((flags & WALK_NO_XDEV) && d->mnt != w->mnt) {
			dentry_put(d);
			return -EXDEV;
		}
		if (S_ISLNK(d->st.st_mode) &&
		    (!is_last || trailing_slash || (flags & WALK_FOLLOW))) {
			if (++w->nlinks > VFS_MAXSYMLINKS || (flags & WALK_NO_SYMLINKS)) {
				dentry_put(d);
				return -ELOOP;
			}
			if (d->ops && d->ops->follow) {
				/* Magic links jump anywhere: refused by the
				 * RESOLVE_* restrictions, as Linux does. */
				int bad = (flags & WALK_NO_MAGICLINKS) ? -ELOOP
					  : (flags & (WALK_BENEATH | WALK_IN_ROOT | WALK_NO_XDEV))
					      ? -EXDEV
					      : 0;
				if (bad) {
					struct dentry *probe;
					/* Only links that really designate an
					 * object (not readlink text) count. */
					r = d->ops->follow(d, &probe);
					if (r <= 0) {
						if (!r)
							dentry_put(probe);
						dentry_put(d);
						return r ? r : bad;
					}
				}
			}
			if (d->ops && d->ops->follow) {
				/* A magic link designates its object directly. */
				struct dentry *to;
				r = d->ops->follow(d, &to);
				if (r <= 0) {
					dentry_put(d);
					if (r)
						return r;
					set_cur(w, to);
					rest = next;
					if (is_last) {
						if (trailing_slash && !S_ISDIR(to->st.st_mode))
							return -ENOTDIR;
						break;
					}
					continue;
				}
			}
			long l = dentry_readlink(d, target, sizeof target);
			dentry_put(d);
			if (l < 0)
				return (int)l;
			if (l == 0)
				return -ENOENT;
			/* A trailing slash stays on the spliced path: the target
			 * must then be a directory too. */
			rest = splice(w, target, is_last && !trailing_slash ? NULL : next);
			if (!rest)
				return -ENAMETOOLONG;
			continue;
		}
		set_cur(w, d);
		rest = next;
		if (is_last) {
			if (trailing_slash && !S_ISDIR(d->st.st_mode))
				return -ENOTDIR;
			break;
		}
	}
	if ((flags & WALK_DIR) && !S_ISDIR(w->cur->st.st_mode))
		return -ENOTDIR;
	return 0;
}

static int walk_common(struct task *t, struct dentry *start, const char *path, int flags,
		       bool stop_last, char *last, struct dentry **out)
{
	struct walk *w = malloc(sizeof *w);
	if (!w)
		return -ENOMEM;
	w->t = t;
	w->nlinks = 0;
	w->which = 0;
	pthread_mutex_lock(&t->fs->lock);
	w->root = dentry_get((flags & WALK_IN_ROOT) && start ? start : t->fs->root);
	w->cur = dentry_get(start ? start : t->fs->cwd);
	pthread_mutex_unlock(&t->fs->lock);
	w->scope = w->cur;
	/* An absolute path starts in the root's mount, unless scoped. */
	w->mnt = path[0] == '/' && !(flags & (WALK_BENEATH | WALK_IN_ROOT)) ? w->root->mnt
									     : w->cur->mnt;
	int r = walk_path(w, path, flags, stop_last, last);
	if (r)
		dentry_put(w->cur);
	else
		*out = w->cur;
	dentry_put(w->root);
	free(w);
	return r;
}

int vfs_walk(struct task *t, struct dentry *start, const char *path, int flags, struct dentry **out)
{
	return walk_common(t, start, path, flags, false, NULL, out);
}

int vfs_walk_parent(struct task *t, struct dentry *start, const char *path, struct dentry **parent,
		    char last[256])
{
	return walk_common(t, start, path, 0, true, last, parent);
}

int vfs_walk_parent_flags(struct task *t, struct dentry *start, const char *path, int flags,
			  struct dentry **parent, char last[256])
{
	return walk_common(t, start, path, flags, true, last, parent);
}
