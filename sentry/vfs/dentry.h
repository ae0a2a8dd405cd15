/* Dentries, path walk and permission checks: the VFS API the file syscalls
 * (sentry/syscalls/sys_*.c) and filesystems (sentry/fs/) build on.
 *
 * Every dentry lives in one cache guarded by one lock (dcache_lock, taken
 * after fs->lock and before any file->lock; the gofer connection lock nests
 * inside it).  A child holds a reference on its parent; unreferenced
 * dentries stay cached (the tree is read-only) until the cache is full.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include "sentry/vfs/synth.h"
#include "sentry/vfs/vfs.h"

struct cred;
struct gofer_client;

struct dentry {
	int refs;	       /* under dcache_lock */
	struct dentry *parent; /* NULL only for the root */
	char *name;
	uint64_t node;			    /* gofer node id; 0 when negative */
	bool negative;			    /* the name does not exist */
	struct stat st;			    /* as walked (the tree is read-only) */
	char *link;			    /* symlink target, read on first use */
	/* A read-only host fd of this regular file, plus one (0: none yet).
	 * Every read-only open shares it: reads are positional (the offset
	 * lives in the sentry's file), so no gofer round trip per open. */
	int rofd1;
	struct dentry *hnext;		    /* hash chain */
	struct dentry *lru_prev, *lru_next; /* while refs == 0 */
	/* Synthetic filesystems (synth.h): ops is NULL for gofer nodes. */
	const struct dentry_ops *ops;
	void *fsdata;
	struct vfs_mount *mnt;     /* the mount this dentry is in (NULL: gofer tree) */
	struct vfs_mount *mounted; /* set on a mount point: what covers it */
};

/* The one gofer connection (vfs.c). */
extern struct gofer_client vfs_gofer;

struct dentry *dentry_get(struct dentry *d);
void dentry_put(struct dentry *d);
/* The root dentry the sandbox sees (a new reference): the overlay's root
 * once vfs_set_root installed it, else the gofer tree's. */
struct dentry *vfs_root(void);
/* The root dentry of the gofer tree itself (a new reference): mounts are
 * made on its directories, and it is the overlay's lower layer. */
struct dentry *vfs_gofer_root(void);
/* Makes d (a reference the VFS keeps for good) the root vfs_root returns,
 * before any fs context exists.  Once. */
void vfs_set_root(struct dentry *d);
/* Gives d the parent np (a new reference on it; the old parent's is
 * dropped): the overlay hangs mounted filesystems' roots under its own
 * dentries so that ".." and paths stay in the overlay. */
void dentry_set_parent(struct dentry *d, struct dentry *np);
/* Attaches to the gofer (already connected as vfs_gofer): the root dentry. */
int vfs_root_init(void);
/* Room for a symlink target and its NUL. */
#define GOFER_LINK_SIZE 4096
/* Looks name (one component, not "." or "..") up under dir: a new
 * reference to a positive dentry or -ENOENT/-errno.  Synthetic directories
 * ask their filesystem.  A mount point is returned as is: the walk crosses
 * into what is mounted on it (vfs_cross_mount). */
int dentry_lookup(struct dentry *dir, const char *name, struct dentry **out);
/* The symlink target of d into buf (PATH_MAX); its length or -errno. */
long dentry_readlink(struct dentry *d, char *buf, size_t size);
/* d itself, or the root of the filesystem mounted on it: consumes the
 * reference to d and returns a reference to the result. */
struct dentry *vfs_cross_mount(struct dentry *d);

/* Permission bits for vfs_permission (as MAY_* in Linux). */
#define MAY_EXEC 1
#define MAY_WRITE 2
#define MAY_READ 4
/* 0 or -EACCES: mode/uid/gid of st against cred (CAP_DAC_OVERRIDE and
 * CAP_DAC_READ_SEARCH honoured; exec of a non-directory needs an x bit). */
int vfs_permission(const struct cred *cred, const struct stat *st, int mask);

/* Linux's may_create: search and write permission on dir (fresh
 * attributes).  0 or -EACCES. */
int vfs_may_create(const struct cred *cred, struct dentry *dir);
/* Linux's may_delete for removing or renaming victim out of dir: write and
 * search on dir (EACCES), the sticky bit (EPERM unless the caller owns the
 * file or dir or has CAP_FOWNER), then the type: isdir wants a directory
 * (ENOTDIR; EBUSY for a mount root), otherwise a non-directory (EISDIR). */
int vfs_may_delete(const struct cred *cred, struct dentry *dir, struct dentry *victim, bool isdir);
/* Whether cred may act as the owner of st (fsuid matches, or CAP_FOWNER). */
bool vfs_owner_or_capable(const struct cred *cred, const struct stat *st);

/* Walk flags. */
#define WALK_FOLLOW 1 /* follow a trailing symlink */
#define WALK_DIR 2    /* the result must be a directory */

/* Resolves path from start (relative paths; NULL: t's cwd; absolute ones
 * start at t's root) with t's credentials.  "." and ".." are handled here and ".."
 * never leaves the root; symlinks are read and resolved here (ELOOP after
 * 40).  A trailing slash means WALK_DIR | WALK_FOLLOW.  0 with a new
 * reference in *out, or -ENOENT/-ENOTDIR/-EACCES/-ELOOP/-ENAMETOOLONG/-EIO. */
int vfs_walk(struct task *t, struct dentry *start, const char *path, int flags,
	     struct dentry **out);
/* Resolves all but the last component of path: *parent gets the directory
 * (a new reference) and last the final name ("" for "/", "." or ".."
 * kept as is).  Used by calls that would create or remove a name. */
int vfs_walk_parent(struct task *t, struct dentry *start, const char *path, struct dentry **parent,
		    char last[256]);

/* Opens d with open(2) flags (after the caller's checks): gofer files and
 * directories, O_PATH files.  0 with a new file in *out, or -errno. */
int vfs_open_dentry(struct task *t, struct dentry *d, int flags, struct file **out);

/* A new file with one reference (takes a reference on d if not NULL). */
struct file *file_new(const struct file_ops *ops, int flags, struct dentry *d, void *priv);

/* The shared read-only host fd of d, or -1 (see dentry.rofd1). */
int dentry_rofd(struct dentry *d);
/* Offers fd as d's shared read-only fd; returns the fd to use (fd itself,
 * or the one another thread installed first, after closing fd). */
int dentry_set_rofd(struct dentry *d, int fd);

/* Filesystems' open (sentry/fs/gofer). */
int gofer_file_open(struct dentry *d, int flags, struct file **out);

/* The absolute path of d as seen from root, into buf: its length (without
 * NUL) or -ENAMETOOLONG.  A dentry outside root yields its path from the
 * tree's top, as Linux's getcwd does for unreachable cwds... without the
 * "(unreachable)" prefix. */
long dentry_path(struct dentry *root, struct dentry *d, char *buf, size_t size);

/* Maximum symlinks followed in one walk (Linux's MAXSYMLINKS). */
#define VFS_MAXSYMLINKS 40
