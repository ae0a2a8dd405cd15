/* The tmpfs dentry ops table, tmpfs_mount, and the unmounted instance an
 * overlay uses as its upper layer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sentry/fs/tmpfs/internal.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/mm/mm.h"

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
    .map_writers = tmpfs_map_writers,
    .tmpfile = tmpfs_tmpfile,
    .getxattr = tmpfs_getxattr,
    .setxattr = tmpfs_setxattr,
    .listxattr = tmpfs_listxattr,
    .removexattr = tmpfs_removexattr,
};

int tmpfs_mount(const char *path, mode_t mode) { return tmpfs_mount_opts(path, mode, 0); }

int tmpfs_mount_opts(const char *path, mode_t mode, uint64_t max_bytes)
{
	uint64_t max_pages = max_bytes / PAGE_SIZE + (max_bytes % PAGE_SIZE != 0);
	/* The root inode is made here and handed to vfs_mount, whose root
	 * dentry keeps it for good. */
	struct dentry *proto = tmpfs_root_new(mode, max_pages);
	if (!proto)
		return -ENOMEM;
	struct tmpfs_inode *root = TMPFS_I(proto);
	/* /proc/mounts shows the limit as Linux does (in KiB); the string
	 * lives as long as the mount, i.e. for good. */
	char *opts = NULL;
	if (asprintf(&opts, "rw,nosuid,nodev,size=%lluk,mode=%o",
		     (unsigned long long)(root->sb->max_pages * (PAGE_SIZE / 1024)),
		     (unsigned)(mode & 07777)) < 0) {
		dentry_put(proto);
		return -ENOMEM;
	}
	int r = vfs_mount(path, "tmpfs", "tmpfs", opts, TMPFS_MAGIC, &tmpfs_dentry_ops, &root->st,
			  root);
	if (r) {
		free(opts);
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

struct dentry *tmpfs_new_unmounted(mode_t mode, dev_t dev)
{
	struct dentry *d = tmpfs_root_new(mode, 0);
	if (!d)
		return NULL;
	struct tmpfs_inode *root = TMPFS_I(d);
	root->sb->dev = dev;
	root->st.st_dev = dev;
	d->st.st_dev = dev;
	return d;
}

void tmpfs_set_identity(struct dentry *d, dev_t dev, ino_t ino)
{
	struct tmpfs_inode *ino_ = TMPFS_I(d);
	pthread_mutex_lock(&ino_->sb->lock);
	ino_->st.st_dev = dev;
	ino_->st.st_ino = ino;
	pthread_mutex_unlock(&ino_->sb->lock);
	d->st.st_dev = dev;
	d->st.st_ino = ino;
}

bool tmpfs_is_opaque(struct dentry *d)
{
	struct tmpfs_inode *ino = TMPFS_I(d);
	pthread_mutex_lock(&ino->sb->lock);
	bool r = ino->opaque;
	pthread_mutex_unlock(&ino->sb->lock);
	return r;
}

void tmpfs_set_opaque(struct dentry *d)
{
	struct tmpfs_inode *ino = TMPFS_I(d);
	pthread_mutex_lock(&ino->sb->lock);
	ino->opaque = true;
	pthread_mutex_unlock(&ino->sb->lock);
}

int tmpfs_for_each(struct dentry *d, int (*fn)(void *arg, const char *name, const struct stat *st),
		   void *arg)
{
	struct tmpfs_inode *di = TMPFS_I(d);
	int r = 0;
	pthread_mutex_lock(&di->sb->lock);
	for (struct tmpfs_dirent *e = di->ents; e && !r; e = e->next)
		r = fn(arg, e->name, &e->ino->st);
	pthread_mutex_unlock(&di->sb->lock);
	return r;
}
