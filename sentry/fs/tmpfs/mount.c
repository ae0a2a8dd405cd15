/* The tmpfs dentry ops table and tmpfs_mount. */
#include <errno.h>
#include <stdlib.h>

#include "sentry/fs/tmpfs/internal.h"
#include "sentry/fs/tmpfs/tmpfs.h"

const struct dentry_ops tmpfs_dentry_ops = {
    .lookup = tmpfs_lookup,
    .readdir = tmpfs_readdir,
    .open = tmpfs_open,
    .readlink = tmpfs_readlink,
    .release = tmpfs_release,
    .getattr = tmpfs_getattr,
    .create = tmpfs_create,
    .mkdir = tmpfs_mkdir,
    .mknod = tmpfs_mknod,
    .symlink = tmpfs_symlink,
    .link = tmpfs_link,
    .unlink = tmpfs_unlink,
    .rmdir = tmpfs_rmdir,
    .rename = tmpfs_rename,
    .setattr = tmpfs_setattr,
    .statfs = tmpfs_statfs,
    .frame = tmpfs_frame,
};

int tmpfs_mount(const char *path, mode_t mode)
{
	/* The root inode is made here and handed to vfs_mount, whose root
	 * dentry keeps it for good. */
	struct dentry *proto = tmpfs_root_new(mode, 0);
	if (!proto)
		return -ENOMEM;
	struct tmpfs_inode *root = TMPFS_I(proto);
	int r = vfs_mount(path, "tmpfs", "tmpfs", "rw,nosuid,nodev", TMPFS_MAGIC, &tmpfs_dentry_ops,
			  &root->st, root);
	if (r) {
		dentry_put(proto); /* frees the inode */
		return r;
	}
	/* The mount's root dentry now names the inode too. */
	pthread_mutex_lock(&root->sb->lock);
	root->refs++;
	pthread_mutex_unlock(&root->sb->lock);
	dentry_put(proto);
	return 0;
}
