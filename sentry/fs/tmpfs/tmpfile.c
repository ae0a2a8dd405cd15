/* O_TMPFILE in tmpfs: an unnamed regular file in a directory, which linkat
 * may name later unless it was made with O_EXCL. */
#include <errno.h>
#include <stdio.h>

#include "sentry/fs/tmpfs/internal.h"
#include "sentry/kernel/task.h"

int tmpfs_tmpfile(struct dentry *dir, mode_t mode, const struct cred *c, bool linkable,
		  struct dentry **out)
{
	struct tmpfs_inode *di = TMPFS_I(dir), *ino;
	struct tmpfs_sb *sb = di->sb;
	char name[32];
	int r;
	pthread_mutex_lock(&sb->lock);
	if (!di->st.st_nlink) {
		r = -ENOENT; /* the directory was removed */
		goto out;
	}
	gid_t gid = (di->st.st_mode & S_ISGID) ? di->st.st_gid : c->fsgid;
	r = tmpfs_inode_new(sb, S_IFREG | (mode & 07777), c->fsuid, gid, &ino);
	if (r)
		goto out;
	ino->st.st_nlink = 0;
	ino->linkable = linkable;
	/* Named as Linux shows it in /proc/PID/fd ("/tmp/#1234 (deleted)"). */
	snprintf(name, sizeof name, "#%llu", (unsigned long long)ino->st.st_ino);
	if (!(*out = tmpfs_dentry_new(dir, name, ino)))
		r = -ENOMEM;
	tmpfs_inode_put_locked(ino); /* the dentry holds it (or it goes) */
out:
	pthread_mutex_unlock(&sb->lock);
	return r;
}
