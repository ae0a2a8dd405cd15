/* Copying a filesystem context for fork/clone without CLONE_FS. */
#include <stdlib.h>

#include "sentry/vfs/dentry.h"
#include "sentry/vfs/vfs.h"

struct fs_ctx *fs_ctx_dup(struct fs_ctx *fs)
{
	struct fs_ctx *n = calloc(1, sizeof *n);
	if (!n)
		return NULL;
	pthread_mutex_init(&n->lock, NULL);
	n->refs = 1;
	pthread_mutex_lock(&fs->lock);
	n->root = dentry_get(fs->root);
	n->cwd = dentry_get(fs->cwd);
	n->umask = fs->umask;
	pthread_mutex_unlock(&fs->lock);
	return n;
}
