/* Dentries, path walk and permission checks: the VFS API the file syscalls
 * (sentry/syscalls/sys_*.c) and filesystems (sentry/fs/) build on.
 *
 * Every dentry lives in one cache guarded by one lock (dcache_lock, taken
 * after fs->lock and before any file->lock; the gofer connection lock nests
 * inside it).  A child holds a reference on its parent; unreferenced
 * dentries stay cached until the cache is full.  A gofer tree served
 * writable (--overlay=none, rw bind mounts) changes only through the
 * sandbox: each mutation updates the cache (dentry_gofer_*), so it always
 * shows what the sandbox did; changes made by the host meanwhile are not
 * noticed.
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
	struct stat st;			    /* as walked, then as mutated (under dcache_lock) */
	char *link;			    /* symlink target, read on first use */
	/* A read-only host fd of this regular file, plus one (0: none yet).
	 * Every read-only open shares it: reads are positional (the offset
	 * lives in the sentry's file), so no gofer round trip per open. */
	int rofd1;
	/* The fd CREATE donated (plus one), taken by the first open. */
	int cfd1;
	bool stale;    /* st must be asked again (written, linked...) */
	bool unhashed; /* removed or replaced: no lookup finds it any more */
	unsigned links_gen; /* dentry.c's links_gen when st was taken */
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
/* openat2's RESOLVE_* restrictions (the walk starts at the dirfd, start,
 * even for an absolute path when scoped). */
#define WALK_NO_XDEV 4        /* EXDEV on leaving start's mount */
#define WALK_NO_MAGICLINKS 8  /* ELOOP on a /proc magic link */
#define WALK_NO_SYMLINKS 16   /* ELOOP on any symlink followed */
#define WALK_BENEATH 32       /* EXDEV on leaving start ("/", "..", links) */
#define WALK_IN_ROOT 64       /* start is the root: "/" and ".." stay in it */

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
/* The same with WALK_NO_* / WALK_BENEATH / WALK_IN_ROOT flags (openat2). */
int vfs_walk_parent_flags(struct task *t, struct dentry *start, const char *path, int flags,
			  struct dentry **parent, char last[256]);

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

/* ---- writable gofer trees ---- */

/* The mutating ops of gofer dentries (sentry/fs/gofer/ops.c). */
extern const struct dentry_ops gofer_dentry_ops;
/* The ops the mutating syscalls use on d: d->ops for synthetic dentries;
 * for a gofer dentry, gofer_dentry_ops when its tree is writable (the root
 * tree with --overlay=none, a read-write bind mount), else NULL (EROFS). */
const struct dentry_ops *dentry_wops(struct dentry *d);
/* Makes the gofer root tree writable (overlay "none"), unless the gofer
 * serves it read-only.  Before the first fs context. */
void vfs_gofer_set_writable(bool writable);
/* Cache updates after a gofer mutation succeeded (dcache_lock taken
 * inside).  add: name under dir is now node (st); *out, if not NULL, gets
 * a reference to its dentry.  0 or -ENOMEM. */
int dentry_gofer_add(struct dentry *dir, const char *name, uint64_t node, const struct stat *st,
		     struct dentry **out);
/* name under dir is gone: its dentry (if cached) is forgotten. */
void dentry_gofer_drop(struct dentry *dir, const char *name);
/* rename(2) happened: the dentry of oname moves (with its subtree) to
 * nname, replacing what was there; with exchange both move. */
void dentry_gofer_move(struct dentry *odir, const char *oname, struct dentry *ndir,
		       const char *nname, bool exchange);
/* d's attributes are st now / must be asked again on next use. */
void dentry_gofer_update(struct dentry *d, const struct stat *st);
void dentry_gofer_stale(struct dentry *d);
/* A gofer root dentry for a bind mount: the export's root node with its
 * attributes, named as the mount point (name, parent), in mount m. */
struct dentry *dentry_gofer_root(struct dentry *parent, const char *name, uint64_t node,
				 const struct stat *st, struct vfs_mount *m);

/* The absolute path of d as seen from root, into buf: its length (without
 * NUL) or -ENAMETOOLONG.  A dentry outside root yields its path from the
 * tree's top, as Linux's getcwd does for unreachable cwds... without the
 * "(unreachable)" prefix. */
long dentry_path(struct dentry *root, struct dentry *d, char *buf, size_t size);

/* Maximum symlinks followed in one walk (Linux's MAXSYMLINKS). */
#define VFS_MAXSYMLINKS 40
