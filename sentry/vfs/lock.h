/* Advisory file locks: flock(2) locks, POSIX record locks (fcntl F_SETLK)
 * and open-file-description record locks (F_OFD_SETLK), as Linux keeps them.
 *
 * Locks are keyed by the identity of the file they lock (st_dev, st_ino as
 * fstat reports it: an overlay file keeps its identity across copy-up), so
 * every open of one file sees the same locks, on every file type.
 *
 * Owners: a flock or OFD lock belongs to its open file description (struct
 * file) and goes with its last reference (lock_file_release, from
 * file_put).  A POSIX lock belongs to the fd table of the process that
 * took it (Linux's current->files) and all of that owner's locks on a file
 * go when it closes any descriptor of that file (lock_posix_close, from
 * every close path of sentry/kernel/fdtable.c).  flock locks and record
 * locks never conflict with each other; POSIX and OFD locks do.
 *
 * Sleeping is the caller's business (this module links without the task
 * code): a blocking request passes a lock_sleeper whose wake callback the
 * unlocking side calls; see lock_record_set.
 *
 * Locking: one leaf-ish mutex (locks_mutex) taken with no VFS lock held;
 * it nests outside waiter.lock (the wake callbacks take it).
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct file;

/* The end of a lock that runs to the end of the file (and past it). */
#define LOCK_OFFSET_MAX INT64_MAX

/* Returned by a blocking request that must sleep and ask again. */
#define LOCK_SLEEP 1

/* A blocked request: wake is called (under locks_mutex) when a lock on its
 * file goes away; the rest is this module's. */
struct lock_sleeper {
	void (*wake)(struct lock_sleeper *s);
	void *arg;			 /* for wake */
	struct lock_sleeper *next, *prev; /* on the file's queue */
	struct lock_inode *ino;		 /* NULL when not queued */
	void *owner;			 /* a blocked POSIX owner, for deadlock checks */
	void *blocker;			 /* the POSIX owner it waits for, or NULL */
};

/* Record locks: type F_RDLCK, F_WRLCK or F_UNLCK on [start, end] (end
 * LOCK_OFFSET_MAX: to EOF).  owner is the fd table (POSIX) or the file
 * (ofd); pid is what F_GETLK reports for a POSIX lock.  s NULL: never
 * sleeps (-EAGAIN on conflict).  With s: 0, -EDEADLK (POSIX only), or
 * LOCK_SLEEP with s queued: the caller sleeps until s->wake is called (or
 * gives up: lock_sleeper_cancel) and calls again with the same s.
 * -ENOLCK when out of memory. */
int lock_record_set(struct file *f, void *owner, bool ofd, int pid, int type, int64_t start,
		    int64_t end, struct lock_sleeper *s);
/* F_GETLK: the first lock another owner holds that conflicts with type on
 * [start, end]: 1 with its type, range and pid (-1 for OFD locks) in the
 * out parameters, or 0 when none. */
int lock_record_get(struct file *f, void *owner, int type, int64_t start, int64_t end,
		    int *otype, int64_t *ostart, int64_t *oend, int *opid);

/* flock: LOCK_SH, LOCK_EX or LOCK_UN for file f.  A conversion drops the
 * old lock first (not atomic, as Linux).  Same s protocol as above
 * (without EDEADLK); s NULL: -EWOULDBLOCK on conflict. */
int lock_flock(struct file *f, int op, struct lock_sleeper *s);

/* Takes s off its queue if it is on one. */
void lock_sleeper_cancel(struct lock_sleeper *s);

/* owner closed a descriptor of f: every POSIX lock owner holds on f's
 * file goes.  Cheap when no POSIX lock exists. */
void lock_posix_close(void *owner, struct file *f);
/* f's last reference is going: its flock and OFD locks go. */
void lock_file_release(struct file *f);
