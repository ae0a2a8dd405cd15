/* tmpfs internals: the superblock, inodes, directory entries and the page
 * index of regular files, shared by the files of sentry/fs/tmpfs.
 *
 * Locking: one lock per filesystem (sb->lock) guards every inode, entry and
 * page index of it.  Taken with no VFS lock held, or with mm->lock held
 * (page faults ask for frames); it nests outside dcache_lock (dentries are
 * made under it) and the memory-file lock, and never takes mm->lock.  An
 * open file's f->lock comes before it.
 *
 * Lifetime: an inode is referenced by each directory entry naming it and
 * by each dentry (fsdata) of it; open files hold a dentry.  So an unlinked
 * file lives until its last dentry, hence its last open file, goes.
 */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "sentry/vfs/dentry.h"

struct pipe;

/* Frames of a regular file by page index: a radix tree, 512-way, four
 * levels (pages below 2^36, files below 256 TiB). */
#define TMPFS_MAX_SIZE (1ULL << 48)
struct tmpfs_pages {
	void *root;
};

struct tmpfs_sb {
	pthread_mutex_t lock;
	uint64_t max_pages, pages; /* data frames held by files */
	uint64_t max_inodes, inodes;
	uint64_t next_ino;
	dev_t dev; /* st_dev of every node when unmounted (the overlay's upper) */
};

/* What each entry adds to a directory's st_size ("." and ".." make the
 * empty size), as Linux's BOGO_DIRENT_SIZE. */
#define TMPFS_DIRENT_SIZE 20

struct tmpfs_dirent {
	char *name;
	struct tmpfs_inode *ino;
	struct tmpfs_dirent *next; /* in creation order (readdir's order) */
};

struct tmpfs_inode {
	struct tmpfs_sb *sb;
	int refs;	/* entries naming it + dentries of it */
	/* st_dev: 0 when mounted (each dentry has its mount's); the sb's dev
	 * or a copied-up file's own when serving as an overlay's upper. */
	struct stat st;
	/* S_IFDIR: entries, and the directory holding this one (NULL for the
	 * root and once removed; not a reference: a directory with
	 * subdirectories cannot be removed). */
	struct tmpfs_dirent *ents;
	struct tmpfs_inode *parent;
	char *target;		  /* S_IFLNK */
	struct tmpfs_pages pages; /* S_IFREG */
	struct pipe *pipe;	  /* S_IFIFO */
	bool opaque;		  /* S_IFDIR: an overlay upper dir hiding the lower one */
	/* S_IFREG: F_SEAL_* (memfd.c); every file but a sealable memfd has
	 * F_SEAL_SEAL, as Linux's shmem. */
	unsigned seals;
	/* S_IFREG: MAP_SHARED mappings that may write (F_SEAL_WRITE: EBUSY). */
	unsigned long map_writers;
	/* O_TMPFILE without O_EXCL: may get its first name by linkat. */
	bool linkable;
	struct tmpfs_xattr *xattrs; /* xattr.c */
};

/* One extended attribute of an inode. */
struct tmpfs_xattr {
	char *name;
	void *value;
	size_t size;
	struct tmpfs_xattr *next; /* in the order set (listxattr's order) */
};

extern const struct dentry_ops tmpfs_dentry_ops;

/* ---- pages.c (sb->lock held) ---- */
/* The slot of page pgoff (memory-file offset + 1; 0: a hole); with create
 * allocates the index nodes (NULL when out of memory), else NULL when no
 * node covers pgoff. */
uint64_t *tmpfs_page_slot(struct tmpfs_pages *p, uint64_t pgoff, bool create);
/* Drops the frames of pages >= from (all with from 0, which also frees the
 * index); returns how many frames went. */
uint64_t tmpfs_pages_truncate(struct tmpfs_pages *p, uint64_t from);

/* ---- inode.c ---- */
struct tmpfs_sb *tmpfs_sb_new(uint64_t max_pages);
/* A new inode with one reference (sb->lock held): -ENOSPC past the inode
 * limit, -ENOMEM. */
int tmpfs_inode_new(struct tmpfs_sb *sb, mode_t mode, uid_t uid, gid_t gid,
		    struct tmpfs_inode **out);
/* Drops a reference (sb->lock held); the last one frees the inode. */
void tmpfs_inode_put_locked(struct tmpfs_inode *ino);
/* A dentry named name under parent for ino (sb->lock held): takes its own
 * reference on ino.  NULL when out of memory. */
struct dentry *tmpfs_dentry_new(struct dentry *parent, const char *name, struct tmpfs_inode *ino);
/* Gives the empty page slot of ino a zeroed frame, counted against the
 * size limit (sb->lock held): 0 or -ENOSPC. */
int tmpfs_page_fill_locked(struct tmpfs_inode *ino, uint64_t *slot);
/* Sets size (sb->lock held): frees the frames past it. */
void tmpfs_set_size_locked(struct tmpfs_inode *ino, uint64_t size);
void tmpfs_now(struct timespec *ts);
/* A root dentry for a new filesystem (not mounted: tmpfs_mount and the
 * unit tests graft it). */
struct dentry *tmpfs_root_new(mode_t mode, uint64_t max_pages);

int tmpfs_getattr(struct dentry *d, struct stat *st);
int tmpfs_setattr(struct dentry *d, const struct synth_setattr *sa);
int tmpfs_statfs(struct dentry *d, struct statfs *sf);
int64_t tmpfs_frame(struct dentry *d, uint64_t pgoff);
void tmpfs_release(struct dentry *d);

/* ---- dir.c ---- */
int tmpfs_lookup(struct dentry *dir, const char *name, struct dentry **out);
int tmpfs_readdir(struct dentry *dir, struct synth_dirbuf *db);
long tmpfs_readlink(struct dentry *d, char *buf, size_t size);
int tmpfs_create(struct dentry *dir, const char *name, mode_t mode, const struct cred *c,
		 struct dentry **out);
int tmpfs_mkdir(struct dentry *dir, const char *name, mode_t mode, const struct cred *c);
int tmpfs_mknod(struct dentry *dir, const char *name, mode_t mode, dev_t rdev,
		const struct cred *c);
int tmpfs_symlink(struct dentry *dir, const char *name, const char *target, const struct cred *c);
int tmpfs_link(struct dentry *old, struct dentry *dir, const char *name);
int tmpfs_unlink(struct dentry *dir, const char *name);
int tmpfs_rmdir(struct dentry *dir, const char *name);
int tmpfs_rename(struct dentry *odir, const char *oname, struct dentry *ndir, const char *nname,
		 unsigned flags);

/* ---- memfd.c (sb->lock held) ---- */
/* Whether a write of len bytes at off, or a change of size to size, is
 * allowed by ino's seals: 0 or -EPERM. */
int tmpfs_seal_check_write_locked(const struct tmpfs_inode *ino, uint64_t off, uint64_t len);
int tmpfs_seal_check_size_locked(const struct tmpfs_inode *ino, uint64_t size);
/* dentry_ops.map_writers (synth.h). */
int tmpfs_map_writers(struct dentry *d, int delta);

/* ---- xattr.c ---- */
long tmpfs_getxattr(struct dentry *d, const char *name, void *buf, size_t size);
int tmpfs_setxattr(struct dentry *d, const char *name, const void *val, size_t size, int flags);
long tmpfs_listxattr(struct dentry *d, char *buf, size_t size);
int tmpfs_removexattr(struct dentry *d, const char *name);
/* Frees ino's attributes (sb->lock held, ino going). */
void tmpfs_xattrs_free(struct tmpfs_inode *ino);
/* ---- tmpfile.c ---- */
int tmpfs_tmpfile(struct dentry *dir, mode_t mode, const struct cred *c, bool linkable,
		  struct dentry **out);

/* ---- file.c ---- */
int tmpfs_open(struct dentry *d, int flags, struct file **out);

static inline struct tmpfs_inode *TMPFS_I(const struct dentry *d) { return d->fsdata; }
