/* memfd: unlinked files of an internal tmpfs instance, and the file seals
 * (F_ADD_SEALS, F_GET_SEALS) every tmpfs regular file carries. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>

#include "sentry/fs/tmpfs/internal.h"
#include "sentry/fs/tmpfs/tmpfs.h"

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif
#define ALL_SEALS                                                                                  \
	(F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)

int tmpfs_seal_check_write_locked(const struct tmpfs_inode *ino, uint64_t off, uint64_t len)
{
	if (!len)
		return 0;
	if (ino->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))
		return -EPERM;
	if ((ino->seals & F_SEAL_GROW) && off + len > (uint64_t)ino->st.st_size)
		return -EPERM;
	return 0;
}

int tmpfs_seal_check_size_locked(const struct tmpfs_inode *ino, uint64_t size)
{
	uint64_t cur = (uint64_t)ino->st.st_size;
	if (size < cur && (ino->seals & F_SEAL_SHRINK))
		return -EPERM;
	if (size > cur && (ino->seals & F_SEAL_GROW))
		return -EPERM;
	return 0;
}

int tmpfs_map_writers(struct dentry *d, int delta)
{
	struct tmpfs_inode *ino = TMPFS_I(d);
	int r = 0;
	pthread_mutex_lock(&ino->sb->lock);
	if (delta > 0)
		ino->map_writers++;
	else if (delta < 0)
		ino->map_writers--;
	else if (ino->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))
		r = -EPERM;
	pthread_mutex_unlock(&ino->sb->lock);
	return r;
}

/* The tmpfs file behind f, or NULL (not a tmpfs regular file). */
static struct tmpfs_inode *file_inode(struct file *f)
{
	if (!f->dentry || f->dentry->ops != &tmpfs_dentry_ops || !S_ISREG(f->dentry->st.st_mode))
		return NULL;
	return TMPFS_I(f->dentry);
}

long tmpfs_get_seals(struct file *f)
{
	struct tmpfs_inode *ino = file_inode(f);
	if (!ino)
		return -EINVAL;
	pthread_mutex_lock(&ino->sb->lock);
	long r = ino->seals;
	pthread_mutex_unlock(&ino->sb->lock);
	return r;
}

long tmpfs_add_seals(struct file *f, unsigned seals)
{
	struct tmpfs_inode *ino = file_inode(f);
	if (!ino)
		return -EINVAL;
	/* Linux's order: a writable descriptor first, then known bits. */
	if ((f->flags & O_ACCMODE) == O_RDONLY)
		return -EPERM;
	if (seals & ~(unsigned)ALL_SEALS)
		return -EINVAL;
	long r = 0;
	pthread_mutex_lock(&ino->sb->lock);
	if (ino->seals & F_SEAL_SEAL)
		r = -EPERM;
	else if ((seals & F_SEAL_WRITE) && !(ino->seals & F_SEAL_WRITE) && ino->map_writers)
		r = -EBUSY;
	else
		ino->seals |= seals;
	pthread_mutex_unlock(&ino->sb->lock);
	return r;
}

/* The internal instance memfds live in (Linux's shm_mnt): its root is the
 * parent of every memfd's dentry, so their paths read "/memfd:NAME". */
static struct dentry *memfd_root;
static pthread_once_t memfd_once = PTHREAD_ONCE_INIT;

static void memfd_init(void) { memfd_root = tmpfs_root_new(01777, 0); }

int tmpfs_memfd_create(const char *name, unsigned seals, mode_t mode, uid_t uid, gid_t gid,
		       struct file **out)
{
	pthread_once(&memfd_once, memfd_init);
	if (!memfd_root)
		return -ENOMEM;
	/* Never linked into a directory: /proc shows it as deleted, as
	 * Linux does. */
	char dname[300];
	snprintf(dname, sizeof dname, "memfd:%s (deleted)", name);
	struct tmpfs_sb *sb = TMPFS_I(memfd_root)->sb;
	struct tmpfs_inode *ino;
	pthread_mutex_lock(&sb->lock);
	int r = tmpfs_inode_new(sb, S_IFREG | (mode & 07777), uid, gid, &ino);
	if (r) {
		pthread_mutex_unlock(&sb->lock);
		return r;
	}
	ino->seals = seals;
	struct dentry *d = tmpfs_dentry_new(memfd_root, dname, ino);
	/* The dentry holds the inode now (or nothing does). */
	tmpfs_inode_put_locked(ino);
	pthread_mutex_unlock(&sb->lock);
	if (!d)
		return -ENOMEM;
	r = tmpfs_open(d, O_RDWR, out);
	dentry_put(d);
	return r;
}
