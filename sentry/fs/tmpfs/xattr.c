/* Extended attributes of tmpfs nodes, kept in memory with the inode (the
 * syscall layer checked names and permissions). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "sentry/fs/tmpfs/internal.h"

static struct tmpfs_xattr **xfind(struct tmpfs_inode *ino, const char *name)
{
	struct tmpfs_xattr **p = &ino->xattrs;
	while (*p && strcmp((*p)->name, name))
		p = &(*p)->next;
	return p;
}

long tmpfs_getxattr(struct dentry *d, const char *name, void *buf, size_t size)
{
	struct tmpfs_inode *ino = TMPFS_I(d);
	long r;
	pthread_mutex_lock(&ino->sb->lock);
	struct tmpfs_xattr *x = *xfind(ino, name);
	if (!x)
		r = -ENODATA;
	else if (size && size < x->size)
		r = -ERANGE;
	else {
		if (size)
			memcpy(buf, x->value, x->size);
		r = (long)x->size;
	}
	pthread_mutex_unlock(&ino->sb->lock);
	return r;
}

int tmpfs_setxattr(struct dentry *d, const char *name, const void *val, size_t size, int flags)
{
	struct tmpfs_inode *ino = TMPFS_I(d);
	void *v = malloc(size ? size : 1);
	if (!v)
		return -ENOMEM;
	if (size) /* val may be NULL for an empty value */
		memcpy(v, val, size);
	int r = 0;
	pthread_mutex_lock(&ino->sb->lock);
	struct tmpfs_xattr **p = xfind(ino, name), *x = *p;
	if (x && (flags & XATTR_CREATE)) {
		r = -EEXIST;
	} else if (!x && (flags & XATTR_REPLACE)) {
		r = -ENODATA;
	} else if (x) {
		free(x->value);
		x->value = v;
		x->size = size;
		v = NULL;
	} else if (!(x = calloc(1, sizeof *x)) || !(x->name = strdup(name))) {
		free(x);
		r = -ENOMEM;
	} else {
		x->value = v;
		x->size = size;
		v = NULL;
		*p = x;
	}
	if (!r)
		tmpfs_now(&ino->st.st_ctim);
	pthread_mutex_unlock(&ino->sb->lock);
	free(v);
	return r;
}

long tmpfs_listxattr(struct dentry *d, char *buf, size_t size)
{
	struct tmpfs_inode *ino = TMPFS_I(d);
	size_t len = 0;
	pthread_mutex_lock(&ino->sb->lock);
	for (struct tmpfs_xattr *x = ino->xattrs; x; x = x->next)
		len += strlen(x->name) + 1;
	long r = (long)len;
	if (size && size < len) {
		r = -ERANGE;
	} else if (size) {
		char *o = buf;
		for (struct tmpfs_xattr *x = ino->xattrs; x; x = x->next) {
			size_t l = strlen(x->name) + 1;
			memcpy(o, x->name, l);
			o += l;
		}
	}
	pthread_mutex_unlock(&ino->sb->lock);
	return r;
}

int tmpfs_removexattr(struct dentry *d, const char *name)
{
	struct tmpfs_inode *ino = TMPFS_I(d);
	int r = -ENODATA;
	pthread_mutex_lock(&ino->sb->lock);
	struct tmpfs_xattr **p = xfind(ino, name), *x = *p;
	if (x) {
		*p = x->next;
		free(x->name);
		free(x->value);
		free(x);
		tmpfs_now(&ino->st.st_ctim);
		r = 0;
	}
	pthread_mutex_unlock(&ino->sb->lock);
	return r;
}

void tmpfs_xattrs_free(struct tmpfs_inode *ino)
{
	while (ino->xattrs) {
		struct tmpfs_xattr *x = ino->xattrs;
		ino->xattrs = x->next;
		free(x->name);
		free(x->value);
		free(x);
	}
}
