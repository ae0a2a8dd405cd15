/* File-change notification (inotify's backend): the VFS and the syscalls
 * report each change made through the sentry here, and watchers (inotify
 * instances, sentry/fs/anon/inotify.c) receive the events of the inodes
 * they marked.
 *
 * Marks are keyed by inode identity (st_dev, st_ino), never by dentry:
 * synthetic and overlay dentries are made afresh by every lookup, so two
 * walks to one file give two dentries but one identity.  A change made on
 * the host behind the gofer's back is not seen.
 *
 * Every reporting call is cheap while no mark exists (one atomic load), so
 * the read/write paths call them unconditionally.
 *
 * Locking: fsn_lock (fsnotify_lock) guards every mark and the watchers'
 * watch lists; mark callbacks run under it and may take their own queue
 * lock and wait-queue locks (leaves).  The reporting calls take it after
 * any VFS lock the caller holds, so nothing that holds fsn_lock may call
 * into the VFS or drop a file reference.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/types.h>

struct dentry;
struct file;

/* One watcher's interest in one inode. */
struct fsn_mark {
	dev_t dev;
	ino_t ino;
	uint32_t mask; /* IN_* events wanted, plus IN_ONESHOT/IN_EXCL_UNLINK */
	/* Delivers one event (under fsn_lock).  name is NULL for events on
	 * the marked inode itself, the child's name for directory events.
	 * Returns true when the mark must go now (IN_ONESHOT). */
	bool (*event)(struct fsn_mark *m, uint32_t mask, uint32_t cookie, const char *name);
	/* The mark was removed by fsnotify (its inode is gone, or a one-shot
	 * fired): the watcher queues IN_IGNORED and forgets it (under fsn_lock;
	 * the mark is already unhashed). */
	void (*gone)(struct fsn_mark *m);
	struct fsn_mark *hnext;
};

/* ---- watchers (inotify) ---- */

void fsnotify_lock(void);
void fsnotify_unlock(void);
/* Hashes m (dev, ino, callbacks set).  fsn_lock held. */
void fsnotify_mark_add(struct fsn_mark *m);
/* Unhashes m without calling gone.  fsn_lock held. */
void fsnotify_mark_del(struct fsn_mark *m);

/* ---- reporting changes (no lock held that fsn_lock may not nest in) ---- */

/* Whether any mark exists: callers may skip building events when not. */
bool fsnotify_active(void);

/* A name appeared in dir: IN_CREATE (IN_ISDIR when isdir). */
void fsnotify_create(struct dentry *dir, const char *name, bool isdir);
/* name (whose attributes before removal are victim) left dir: IN_DELETE
 * on dir; on the victim IN_ATTRIB while other links remain, else
 * IN_DELETE_SELF and the end of its marks. */
void fsnotify_delete(struct dentry *dir, const char *name, const struct stat *victim);
/* A rename: IN_MOVED_FROM on odir and IN_MOVED_TO on ndir sharing a fresh
 * cookie, IN_MOVE_SELF on the moved node; replaced (NULL: none) is the node
 * the new name held before, which loses that link.  exchange: both moved. */
void fsnotify_move(struct dentry *odir, const char *oname, struct dentry *ndir,
		   const char *nname, const struct stat *moved, const struct stat *replaced,
		   bool exchange);
/* A new hard link name in dir to the node with attributes st. */
void fsnotify_link(struct dentry *dir, const char *name, const struct stat *st);
/* Events on d itself and, with d's name, on its parent directory:
 * IN_ATTRIB (chmod, chown, utimes), IN_MODIFY (truncate). */
void fsnotify_dentry(struct dentry *d, uint32_t mask);
/* The same for an open file (no-op without a dentry): IN_OPEN after open,
 * IN_ACCESS after a read, IN_MODIFY after a write. */
void fsnotify_file(struct file *f, uint32_t mask);
/* The application opened f (open, openat, creat): IN_OPEN, and its close
 * will be reported. */
void fsnotify_open(struct file *f);
/* The last reference to f went: IN_CLOSE_WRITE or IN_CLOSE_NOWRITE if the
 * application opened it. */
void fsnotify_close(struct file *f);
