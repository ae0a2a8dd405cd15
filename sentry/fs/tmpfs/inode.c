/* tmpfs inodes: allocation and lifetime, attributes (getattr/setattr),
 * sizes and the frames mappings share, statfs. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <time.h>

#include "sentry/fs/pipe/pipe.h"
#include "sentry/fs/tmpfs/internal.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/mm/mm.h"

void tmpfs_now(struct timespec *ts) { clock_gettime(CLOCK_REALTIME, ts); }

struct tmpfs_sb *tmpfs_sb_new(uint64_t max_pages)
{
	struct tmpfs_sb *sb = calloc(1, sizeof *sb);
	if (!sb)
		return NULL;
	pthread_mutex_init(&sb->lock, NULL);
	if (!max_pages) {
		/* Linux's default size: half of RAM. */
		struct sysinfo si;
		uint64_t ram = sysinfo(&si) ? (1ULL << 30) : (uint64_t)si.totalram * si.mem_unit;
		max_pages = ram / 2 / PAGE_SIZE;
	}
	sb->max_pages = max_pages;
	/* Linux's default nr_inodes: half the number of RAM pages (capped). */
	sb->max_inodes = max_pages < (1ULL << 20) ? max_pages : (1ULL << 20);
	if (sb->max_inodes < 1024)
		sb->max_inodes = 1024;
	sb->next_ino = 2; /* the root is 1 */
	return sb;
}

int tmpfs_inode_new(struct tmpfs_sb *sb, mode_t mode, uid_t uid, gid_t gid,
		    struct tmpfs_inode **out)
{
	if (sb->inodes >= sb->max_inodes)
		return -ENOSPC;
	struct tmpfs_inode *ino = calloc(1, sizeof *ino);
	if (!ino)
		return -ENOMEM;
	if (S_ISFIFO(mode) && !(ino->pipe = pipe_new())) {
		free(ino);
		return -ENOMEM;
	}
	ino->sb = sb;
	ino->refs = 1;
	ino->st.st_ino = sb->next_ino++;
	ino->st.st_dev = sb->dev;
	ino->st.st_mode = mode;
	ino->st.st_uid = uid;
	ino->st.st_gid = gid;
	ino->st.st_nlink = S_ISDIR(mode) ? 2 : 1;
	if (S_ISDIR(mode))
		ino->st.st_size = 2 * TMPFS_DIRENT_SIZE;
	ino->st.st_blksize = PAGE_SIZE;
	ino->seals = F_SEAL_SEAL;
	tmpfs_now(&ino->st.st_atim);
	ino->st.st_mtim = ino->st.st_ctim = ino->st.st_atim;
	sb->inodes++;
	*out = ino;
	return 0;
}

void tmpfs_inode_put_locked(struct tmpfs_inode *ino)
{
	if (--ino->refs)
		return;
	struct tmpfs_sb *sb = ino->sb;
	if (S_ISREG(ino->st.st_mode))
		sb->pages -= tmpfs_pages_truncate(&ino->pages, 0);
	/* A directory is freed only once empty: rmdir checks, and a directory
	 * entry holds a reference on what it names. */
	free(ino->target);
	tmpfs_xattrs_free(ino);
	if (ino->pipe)
		pipe_put(ino->pipe);
	sb->inodes--;
	free(ino);
}

struct dentry *tmpfs_dentry_new(struct dentry *parent, const char *name, struct tmpfs_inode *ino)
{
	struct dentry *d = synth_dentry_new(parent, name, &tmpfs_dentry_ops, &ino->st, ino);
	if (d)
		ino->refs++;
	return d;
}

void tmpfs_release(struct dentry *d)
{
	struct tmpfs_inode *ino = TMPFS_I(d);
	struct tmpfs_sb *sb = ino->sb;
	pthread_mutex_lock(&sb->lock);
	tmpfs_inode_put_locked(ino);
	pthread_mutex_unlock(&sb->lock);
}

struct dentry *tmpfs_root_new(mode_t mode, uint64_t max_pages)
{
	struct tmpfs_sb *sb = tmpfs_sb_new(max_pages);
	struct tmpfs_inode *root;
	if (!sb)
		return NULL;
	if (tmpfs_inode_new(sb, S_IFDIR | (mode & 07777), 0, 0, &root)) {
		free(sb);
		return NULL;
	}
	root->st.st_ino = 1;
	/* The root dentry takes the inode's only reference: a root is never
	 * named by an entry. */
	struct dentry *d = synth_dentry_new(NULL, "/", &tmpfs_dentry_ops, &root->st, root);
	if (!d) {
		free(root);
		free(sb);
	}
	return d;
}

void tmpfs_set_size_locked(struct tmpfs_inode *ino, uint64_t size)
{
	if (size < (uint64_t)ino->st.st_size) {
		uint64_t from = (size + PAGE_SIZE - 1) / PAGE_SIZE;
		uint64_t n = tmpfs_pages_truncate(&ino->pages, from);
		ino->sb->pages -= n;
		ino->st.st_blocks -= (blkcnt_t)(n * (PAGE_SIZE / 512));
		/* The tail of a partial last page must read zero if the file
		 * grows again. */
		if (size % PAGE_SIZE) {
			uint64_t *s = tmpfs_page_slot(&ino->pages, size / PAGE_SIZE, false);
			if (s && *s)
				memset((char *)memfile_ptr(*s - 1) + size % PAGE_SIZE, 0,
				       PAGE_SIZE - size % PAGE_SIZE);
		}
	}
	ino->st.st_size = (off_t)size;
}

int tmpfs_getattr(struct dentry *d, struct stat *st)
{
	struct tmpfs_inode *ino = TMPFS_I(d);
	pthread_mutex_lock(&ino->sb->lock);
	*st = ino->st;
	pthread_mutex_unlock(&ino->sb->lock);
	if (!st->st_dev)
		st->st_dev = d->st.st_dev;
	return 0;
}

int tmpfs_setattr(struct dentry *d, const struct synth_setattr *sa)
{
	struct tmpfs_inode *ino = TMPFS_I(d);
	struct tmpfs_sb *sb = ino->sb;
	int r = 0;
	pthread_mutex_lock(&sb->lock);
	if (sa->mask & SA_SIZE) {
		if (S_ISDIR(ino->st.st_mode))
			r = -EISDIR;
		else if (!S_ISREG(ino->st.st_mode))
			r = -EINVAL;
		else if (sa->size < 0)
			r = -EINVAL;
		else if ((uint64_t)sa->size > TMPFS_MAX_SIZE)
			r = -EFBIG;
		if (!r)
			r = tmpfs_seal_check_size_locked(ino, (uint64_t)sa->size);
		if (r)
			goto out;
		/* Linux changes the times only when the size changes. */
		if (sa->size != ino->st.st_size) {
			tmpfs_set_size_locked(ino, (uint64_t)sa->size);
			tmpfs_now(&ino->st.st_mtim);
		}
	}
	if (sa->mask & SA_MODE)
		ino->st.st_mode = (ino->st.st_mode & S_IFMT) | (sa->mode & 07777);
	if (sa->mask & SA_UID)
		ino->st.st_uid = sa->uid;
	if (sa->mask & SA_GID)
		ino->st.st_gid = sa->gid;
	if (sa->mask & SA_ATIME)
		ino->st.st_atim = sa->atime;
	if (sa->mask & SA_MTIME)
		ino->st.st_mtim = sa->mtime;
	tmpfs_now(&ino->st.st_ctim);
out:
	pthread_mutex_unlock(&sb->lock);
	return r;
}

int tmpfs_statfs(struct dentry *d, struct statfs *sf)
{
	struct tmpfs_sb *sb = TMPFS_I(d)->sb;
	memset(sf, 0, sizeof *sf);
	pthread_mutex_lock(&sb->lock);
	sf->f_type = TMPFS_MAGIC;
	sf->f_bsize = sf->f_frsize = PAGE_SIZE;
	sf->f_blocks = sb->max_pages;
	sf->f_bfree = sf->f_bavail = sb->max_pages - sb->pages;
	sf->f_files = sb->max_inodes;
	sf->f_ffree = sb->max_inodes - sb->inodes;
	pthread_mutex_unlock(&sb->lock);
	sf->f_namelen = 255;
	sf->f_flags = ST_NOSUID | ST_NODEV;
	return 0;
}

int tmpfs_page_fill_locked(struct tmpfs_inode *ino, uint64_t *slot)
{
	struct tmpfs_sb *sb = ino->sb;
	if (sb->pages >= sb->max_pages)
		return -ENOSPC;
	int64_t f = memfile_alloc(1);
	if (f < 0)
		return -ENOSPC;
	*slot = (uint64_t)f + 1;
	sb->pages++;
	ino->st.st_blocks += PAGE_SIZE / 512;
	return 0;
}

int64_t tmpfs_frame(struct dentry *d, uint64_t pgoff)
{
	struct tmpfs_inode *ino = TMPFS_I(d);
	struct tmpfs_sb *sb = ino->sb;
	int64_t r;
	pthread_mutex_lock(&sb->lock);
	/* Past the end of the file is SIGBUS, as Linux. */
	if (!S_ISREG(ino->st.st_mode) ||
	    pgoff >= ((uint64_t)ino->st.st_size + PAGE_SIZE - 1) / PAGE_SIZE) {
		r = -EIO;
		goto out;
	}
	uint64_t *s = tmpfs_page_slot(&ino->pages, pgoff, true);
	if (!s) {
		r = -ENOMEM;
		goto out;
	}
	if (!*s && tmpfs_page_fill_locked(ino, s)) {
		r = -ENOMEM;
		goto out;
	}
	r = (int64_t)(*s - 1);
	memfile_ref((uint64_t)r);
out:
	pthread_mutex_unlock(&sb->lock);
	return r;
}
