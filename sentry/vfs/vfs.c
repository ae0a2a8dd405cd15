/* VFS entry points: the gofer attach, fs contexts, permission checks,
 * chdir and the loader's open-for-exec. */
#include "sentry/vfs/dentry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sentry/fs/gofer/client.h"
#include "sentry/kernel/task.h"

struct gofer_client vfs_gofer = {.lock = PTHREAD_MUTEX_INITIALIZER, .sock = -1};

int vfs_init(int gofer_sock)
{
	int r = gofer_client_init(&vfs_gofer, gofer_sock);
	if (r) {
		log_warn("gofer: version: %s", strerror(-r));
		return r;
	}
	r = vfs_root_init();
	if (r)
		log_warn("gofer: attach: %s", strerror(-r));
	return r;
}

struct fs_ctx *fs_ctx_new_root(void)
{
	struct fs_ctx *fs = calloc(1, sizeof *fs);
	if (!fs)
		return NULL;
	pthread_mutex_init(&fs->lock, NULL);
	fs->refs = 1;
	fs->root = vfs_root();
	fs->cwd = vfs_root();
	fs->umask = 022;
	if (!fs->root) {
		free(fs);
		return NULL;
	}
	return fs;
}

struct fs_ctx *fs_ctx_get(struct fs_ctx *fs)
{
	__atomic_add_fetch(&fs->refs, 1, __ATOMIC_RELAXED);
	return fs;
}

void fs_ctx_put(struct fs_ctx *fs)
{
	if (!fs || __atomic_sub_fetch(&fs->refs, 1, __ATOMIC_ACQ_REL))
		return;
	dentry_put(fs->root);
	dentry_put(fs->cwd);
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}

#define CAP_DAC_OVERRIDE 1
#define CAP_DAC_READ_SEARCH 2

static bool in_group(const struct cred *c, gid_t gid)
{
	if (c->fsgid == gid)
		return true;
	for (int i = 0; i < c->ngroups && i < 32; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

int vfs_permission(const struct cred *c, const struct stat *st, int mask)
{
	mode_t m = st->st_mode;
	bool dir = S_ISDIR(m);
	mask &= MAY_READ | MAY_WRITE | MAY_EXEC;

	unsigned bits;
	if (c->fsuid == st->st_uid)
		bits = (m >> 6) & 7;
	else if (in_group(c, st->st_gid))
		bits = (m >> 3) & 7;
	else
		bits = m & 7;
	if ((bits & (unsigned)mask) == (unsigned)mask)
		return 0;

	/* Capabilities as Linux applies them: override everything but exec of
	 * a file nobody may execute. */
	if (c->cap_effective & (1ULL << CAP_DAC_OVERRIDE)) {
		if (!(mask & MAY_EXEC) || dir || (m & 0111))
			return 0;
	}
	if (c->cap_effective & (1ULL << CAP_DAC_READ_SEARCH)) {
		if (!(mask & MAY_WRITE) && (mask == MAY_READ || dir))
			return 0;
	}
	return -EACCES;
}

int vfs_chdir(struct task *t, const char *path)
{
	struct dentry *d, *start;
	pthread_mutex_lock(&t->fs->lock);
	start = dentry_get(t->fs->cwd);
	pthread_mutex_unlock(&t->fs->lock);
	int r = vfs_walk(t, start, path, WALK_FOLLOW | WALK_DIR, &d);
	dentry_put(start);
	if (r)
		return r;
	r = vfs_permission(&t->cred, &d->st, MAY_EXEC);
	if (r) {
		dentry_put(d);
		return r;
	}
	pthread_mutex_lock(&t->fs->lock);
	struct dentry *old = t->fs->cwd;
	t->fs->cwd = d;
	pthread_mutex_unlock(&t->fs->lock);
	dentry_put(old);
	return 0;
}

int vfs_open_exec(struct task *t, const char *path, struct file **out)
{
	struct dentry *d, *start;
	pthread_mutex_lock(&t->fs->lock);
	start = dentry_get(t->fs->cwd);
	pthread_mutex_unlock(&t->fs->lock);
	int r = vfs_walk(t, start, path, WALK_FOLLOW, &d);
	dentry_put(start);
	if (r)
		return r;
	if (!S_ISREG(d->st.st_mode))
		r = -EACCES;
	else
		r = vfs_permission(&t->cred, &d->st, MAY_EXEC);
	if (!r)
		r = vfs_open_dentry(t, d, O_RDONLY, out);
	dentry_put(d);
	return r;
}
