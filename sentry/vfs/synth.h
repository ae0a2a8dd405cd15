/* Synthetic filesystems (proc, tmpfs; devfs, sysfs later): a mount table
 * that grafts a filesystem's root over a directory of the gofer tree,
 * dentries whose behaviour comes from an ops table instead of the gofer, and
 * two ready-made kinds of open file (generated text, directory listings).
 *
 * A synthetic dentry is a struct dentry with ops set.  It is not cached:
 * every walk asks the filesystem again (lookup), and the dentry is freed
 * (ops->release) when its last reference goes.  Its st is filled by the
 * filesystem when it is made and is what stat(2) reports, unless the
 * filesystem has a getattr op (writable ones: attributes change later).
 *
 * A mount's root dentry takes the mount point's name and parent, so ".."
 * from it leaves the filesystem and dentry_path() gives "/proc/..." paths.
 *
 * Locking: ops are called with no VFS lock held (they may take tasklist_lock
 * and the task locks, which come before dcache_lock).  The mount list is
 * append-only and never freed; mounts are made at start-up.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

struct cred;
struct dentry;
struct file;
struct statfs;
struct synth_setattr;

struct vfs_mount {
	int id;                    /* mountinfo's mount id (the gofer root is 1) */
	struct dentry *mountpoint; /* pinned dentry of the tree below */
	struct dentry *root;
	const char *fstype, *source, *options; /* for /proc/PID/mounts */
	unsigned long magic;       /* statfs f_type */
	bool readonly;             /* writes get EROFS (a read-only bind mount) */
	struct vfs_mount *next;
};

/* Every synthetic mount, oldest first (append-only, never freed). */
struct vfs_mount *vfs_mount_list(void);

/* A file type as readdir reports it: the DT_* values are S_IFMT >> 12
 * (DT_UNKNOWN for a mode without a type), as Linux's IFTODT. */
static inline unsigned char synth_dtype(mode_t m)
{
	return (unsigned char)((m & S_IFMT) >> 12);
}

/* Collects directory entries for readdir (synth_dir_add). */
struct synth_dirbuf;
/* Adds an entry: type is a DT_* value.  0 or -ENOMEM. */
int synth_dir_add(struct synth_dirbuf *db, const char *name, uint64_t ino, unsigned char type);

struct dentry_ops {
	/* Looks name (one component, never "." or "..") up under dir: 0 with
	 * a new dentry from synth_dentry_new in *out, or -ENOENT/-errno. */
	int (*lookup)(struct dentry *dir, const char *name, struct dentry **out);
	/* Lists dir into db (without "." and "..", which the VFS adds).
	 * Called once per open: the listing is a snapshot. */
	int (*readdir)(struct dentry *dir, struct synth_dirbuf *db);
	/* Opens d with open(2) flags (the syscall layer checked permissions
	 * against st).  NULL: directories open as a readdir listing, other
	 * files refuse with ENXIO. */
	int (*open)(struct dentry *d, int flags, struct file **out);
	/* The text of symlink d into buf: its length or -errno. */
	long (*readlink)(struct dentry *d, char *buf, size_t size);
	/* "Magic" links (/proc/PID/fd/N, cwd, root): the object the link
	 * designates, without a path walk.  0 with a new reference in *out,
	 * -errno, or SYNTH_FOLLOW_TEXT to resolve readlink's text as an
	 * ordinary symlink.  NULL: always the text. */
	int (*follow)(struct dentry *d, struct dentry **out);
	/* Frees fsdata when the dentry goes (no VFS lock held). */
	void (*release)(struct dentry *d);

	/* ---- Writable filesystems (tmpfs).  All optional: a NULL op makes
	 * the call fail with EROFS.  The syscall layer has walked to the
	 * parent dir, checked that name is a real component (not "", ".",
	 * ".."), that both sides of a rename/link are in the same mount, and
	 * every permission (search and write on dir, the sticky bit, owner
	 * checks of setattr).  The filesystem checks what needs its own lock:
	 * EEXIST, ENOENT, ENOTEMPTY, ENOTDIR/EISDIR, loops, ENOSPC. ---- */

	/* Fresh attributes of d (d->st is a snapshot taken at lookup).  NULL:
	 * d->st is always current. */
	int (*getattr)(struct dentry *d, struct stat *st);
	/* New nodes belong to c's fsuid/fsgid (or dir's gid when dir is
	 * set-group-id); mode holds the permission bits, umask applied. */
	/* A regular file: 0 with its dentry in *out (a new reference). */
	int (*create)(struct dentry *dir, const char *name, mode_t mode, const struct cred *c,
		      struct dentry **out);
	int (*mkdir)(struct dentry *dir, const char *name, mode_t mode, const struct cred *c);
	/* mode's type is S_IFIFO, S_IFSOCK, S_IFCHR or S_IFBLK. */
	int (*mknod)(struct dentry *dir, const char *name, mode_t mode, dev_t rdev,
		     const struct cred *c);
	int (*symlink)(struct dentry *dir, const char *name, const char *target,
		       const struct cred *c);
	/* A new name for the non-directory old under dir. */
	int (*link)(struct dentry *old, struct dentry *dir, const char *name);
	/* Removes a non-directory (unlink) or an empty directory (rmdir). */
	int (*unlink)(struct dentry *dir, const char *name);
	int (*rmdir)(struct dentry *dir, const char *name);
	/* flags: 0, RENAME_NOREPLACE or RENAME_EXCHANGE (both dirs in the
	 * same mount). */
	int (*rename)(struct dentry *odir, const char *oname, struct dentry *ndir,
		      const char *nname, unsigned flags);
	/* Applies the changes sa->mask names (SA_*); ctime becomes now. */
	int (*setattr)(struct dentry *d, const struct synth_setattr *sa);
	/* statfs(2) of the filesystem d is in.  NULL: magic only. */
	int (*statfs)(struct dentry *d, struct statfs *sf);
	/* mm_backing.frame for a mapping of regular file d (mm.h). */
	int64_t (*frame)(struct dentry *d, uint64_t pgoff);
	/* mm_backing.writers for a mapping of regular file d (mm.h): memfd
	 * seals count writable shared mappings.  NULL: not counted. */
	int (*map_writers)(struct dentry *d, int delta);

	/* ---- O_TMPFILE and extended attributes (optional). ---- */

	/* O_TMPFILE: an unnamed regular file (st_nlink 0) in directory dir,
	 * owned as create's; unless linkable (O_EXCL), a later link of it
	 * fails with ENOENT.  0 with its dentry in *out.  NULL: EOPNOTSUPP. */
	int (*tmpfile)(struct dentry *dir, mode_t mode, const struct cred *c, bool linkable,
		       struct dentry **out);
	/* Extended attributes; name is whole ("user.x") and the syscall
	 * layer checked its namespace and the caller's permissions.  get and
	 * list return the length and copy into buf when size allows: size 0
	 * only asks, a smaller size is -ERANGE.  get: -ENODATA when absent.
	 * set: flags XATTR_CREATE (-EEXIST) / XATTR_REPLACE (-ENODATA).
	 * list: the names, each NUL-terminated.  NULL ops: the filesystem
	 * stores none (set: EOPNOTSUPP; get: ENODATA; list: empty). */
	long (*getxattr)(struct dentry *d, const char *name, void *buf, size_t size);
	int (*setxattr)(struct dentry *d, const char *name, const void *val, size_t size,
			int flags);
	long (*listxattr)(struct dentry *d, char *buf, size_t size);
	int (*removexattr)(struct dentry *d, const char *name);
};

/* What setattr changes. */
#define SA_MODE 1  /* permission bits (07777) */
#define SA_UID 2
#define SA_GID 4
#define SA_SIZE 8  /* regular files: truncate or extend with zeros */
#define SA_ATIME 16
#define SA_MTIME 32
struct synth_setattr {
	unsigned mask;
	mode_t mode;
	uid_t uid;
	gid_t gid;
	int64_t size;
	struct timespec atime, mtime;
};

/* Fresh attributes of d: ops->getattr when it has one, else d->st. */
void dentry_getattr(struct dentry *d, struct stat *st);

#define SYNTH_FOLLOW_TEXT 1

/* A synthetic dentry named name under parent (which it references), in
 * parent's mount, with one reference.  st is copied; st_dev, st_nlink and
 * st_blksize get defaults when zero.  NULL when out of memory. */
struct dentry *synth_dentry_new(struct dentry *parent, const char *name,
				const struct dentry_ops *ops, const struct stat *st, void *fsdata);

/* Mounts a synthetic filesystem over the directory path (absolute, in the
 * gofer tree, no symlinks): its root dentry gets root_ops, root_st and
 * root_data.  fstype, source and options must live forever.  0 or -errno.
 * The path may lead into an earlier mount (/dev/shm on devfs) when that
 * filesystem returns the same dentry for the directory at every lookup
 * (it keeps a reference); otherwise EBUSY.  A root_st that is not a
 * directory mounts over a non-directory (a single-file bind). */
int vfs_mount(const char *path, const char *fstype, const char *source, const char *options,
	      unsigned long magic, const struct dentry_ops *root_ops, const struct stat *root_st,
	      void *root_data);

/* A read-only file whose content is buf[0..len) (malloc'd; the file takes
 * it): generated once at open, so successive reads are consistent.  fstat
 * reports d's st.  NULL when out of memory (buf is freed). */
struct file *synth_text_file(struct dentry *d, int flags, char *buf, size_t len);

/* One write(2) to a writable synthetic file (procfs comm, sysctls): buf
 * holds the first len bytes (at most SYNTH_WRITE_MAX, as Linux's handlers
 * look at one page) of a write of total bytes at offset off.  Runs on the
 * writer's sentry thread (task_current()).  Returns the bytes taken (total
 * to take them all) or -errno. */
#define SYNTH_WRITE_MAX 4096
typedef long (*synth_write_fn)(struct file *f, const char *buf, size_t len, size_t total,
			       int64_t off);
/* As synth_text_file, for a file whose writes go to write_fn (reads still
 * see the text generated at open). */
struct file *synth_text_file_rw(struct dentry *d, int flags, char *buf, size_t len,
				synth_write_fn write_fn);

/* A directory file listing d through d->ops->readdir.  0 or -errno. */
int synth_dir_open(struct dentry *d, int flags, struct file **out);

/* A growable text buffer for generating file contents. */
struct sbuf {
	char *buf;
	size_t len, cap;
	bool oom;
};
__attribute__((format(printf, 2, 3))) void sbuf_printf(struct sbuf *b, const char *fmt, ...);
void sbuf_add(struct sbuf *b, const void *data, size_t len);
/* Turns b into a text file for d (see synth_text_file); 0 or -ENOMEM. */
int sbuf_to_file(struct sbuf *b, struct dentry *d, int flags, struct file **out);
/* The same for a writable file (see synth_text_file_rw). */
int sbuf_to_file_rw(struct sbuf *b, struct dentry *d, int flags, synth_write_fn write_fn,
		    struct file **out);
