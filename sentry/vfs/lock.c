/* Advisory file locks (flock, POSIX and OFD record locks) keyed by file
 * identity, with range split/merge, conflict tests, wake-ups of blocked
 * requests and POSIX deadlock detection (see lock.h). */
#include "sentry/vfs/lock.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/file.h>

#include "sentry/vfs/dentry.h"

/* A record lock (POSIX or OFD) held on [start, end]. */
struct lrec {
	void *owner;
	bool ofd;
	int type; /* F_RDLCK or F_WRLCK */
	int pid;
	int64_t start, end;
	struct lrec *next;
};

/* A flock lock. */
struct lflock {
	struct file *owner;
	int type; /* LOCK_SH or LOCK_EX */
	struct lflock *next;
};

/* Every lock and blocked request on one file. */
struct lock_inode {
	uint64_t dev, ino;
	struct lrec *recs;
	struct lflock *flocks;
	struct lock_sleeper sleepers; /* circular list sentinel */
	struct lock_inode *next;      /* hash chain */
};

#define LOCK_HASH 64
static pthread_mutex_t locks_mutex = PTHREAD_MUTEX_INITIALIZER;
static struct lock_inode *lock_hash[LOCK_HASH];
/* Counts that let close and release skip the look-up when nothing is
 * locked anywhere (read without the mutex: a stale zero only means a lock
 * taken concurrently with the close, which Linux does not order either). */
static int nr_posix, nr_filelocks;

struct lock_key {
	uint64_t dev, ino;
};

/* f's identity as fstat reports it; files without one lock on their own. */
static struct lock_key file_key(struct file *f)
{
	struct stat st;
	if (f->dentry) {
		dentry_getattr(f->dentry, &st);
	} else if (!f->ops || !f->ops->fstat || f->ops->fstat(f, &st)) {
		st.st_dev = (dev_t)-1;
		st.st_ino = (ino_t)(uintptr_t)f;
	}
	return (struct lock_key){st.st_dev, st.st_ino};
}

static struct lock_inode **bucket(struct lock_key k)
{
	return &lock_hash[(k.ino ^ (k.dev * 31)) % LOCK_HASH];
}

/* The record of k (locks_mutex held); create makes it.  NULL: none, or
 * out of memory with create. */
static struct lock_inode *inode_find(struct lock_key k, bool create)
{
	struct lock_inode **b = bucket(k), *li;
	for (li = *b; li; li = li->next)
		if (li->dev == k.dev && li->ino == k.ino)
			return li;
	if (!create || !(li = calloc(1, sizeof *li)))
		return NULL;
	li->dev = k.dev;
	li->ino = k.ino;
	li->sleepers.next = li->sleepers.prev = &li->sleepers;
	li->next = *b;
	*b = li;
	return li;
}

/* Frees li once nothing refers to it (locks_mutex held). */
static void inode_maybe_free(struct lock_inode *li)
{
	if (li->recs || li->flocks || li->sleepers.next != &li->sleepers)
		return;
	struct lock_inode **p = bucket((struct lock_key){li->dev, li->ino});
	while (*p != li)
		p = &(*p)->next;
	*p = li->next;
	free(li);
}

static void sleeper_del(struct lock_sleeper *s)
{
	s->prev->next = s->next;
	s->next->prev = s->prev;
	s->ino = NULL;
	s->blocker = NULL;
}

static void sleeper_add(struct lock_inode *li, struct lock_sleeper *s)
{
	s->ino = li;
	s->next = &li->sleepers;
	s->prev = li->sleepers.prev;
	s->prev->next = s;
	li->sleepers.prev = s;
}

/* Something on li was unlocked: every blocked request tries again. */
static void wake_all(struct lock_inode *li)
{
	while (li->sleepers.next != &li->sleepers) {
		struct lock_sleeper *s = li->sleepers.next;
		sleeper_del(s);
		s->wake(s);
	}
}

void lock_sleeper_cancel(struct lock_sleeper *s)
{
	pthread_mutex_lock(&locks_mutex);
	struct lock_inode *li = s->ino;
	if (li) {
		sleeper_del(s);
		inode_maybe_free(li);
	}
	pthread_mutex_unlock(&locks_mutex);
}

/* ---- record locks ---- */

static bool overlaps(const struct lrec *l, int64_t start, int64_t end)
{
	return l->start <= end && start <= l->end;
}

/* Whether l and [start, end] overlap or touch. */
static bool touches(const struct lrec *l, int64_t start, int64_t end)
{
	if (l->end != LOCK_OFFSET_MAX && l->end + 1 < start)
		return false;
	if (end != LOCK_OFFSET_MAX && end + 1 < l->start)
		return false;
	return true;
}

static struct lrec *first_conflict(struct lock_inode *li, void *owner, int type, int64_t start,
				   int64_t end)
{
	for (struct lrec *l = li->recs; l; l = l->next)
		if (l->owner != owner && overlaps(l, start, end) &&
		    (l->type == F_WRLCK || type == F_WRLCK))
			return l;
	return NULL;
}

/* The POSIX owner that blocked owner waits for, or NULL. */
static void *waiting_for(void *owner)
{
	for (int i = 0; i < LOCK_HASH; i++)
		for (struct lock_inode *li = lock_hash[i]; li; li = li->next)
			for (struct lock_sleeper *s = li->sleepers.next; s != &li->sleepers;
			     s = s->next)
				if (s->owner == owner && s->blocker)
					return s->blocker;
	return NULL;
}

/* Whether owner waiting for blocker closes a cycle (Linux follows at
 * most 10 links too). */
static bool deadlock(void *owner, void *blocker)
{
	for (int i = 0; i < 10 && blocker; i++) {
		if (blocker == owner)
			return true;
		blocker = waiting_for(blocker);
	}
	return false;
}

/* Applies owner's new lock (type may be F_UNLCK) to li (no conflict left):
 * its other locks are merged (same type) or cut back (other types).
 * spare is a free record for a split and nl the new lock (NULL for
 * F_UNLCK); the ones used are set to NULL. */
static bool apply(struct lock_inode *li, void *owner, bool ofd, int type, int64_t start,
		  int64_t end, struct lrec **spare, struct lrec **nl)
{
	int64_t ns = start, ne = end;
	bool changed = false;
	for (struct lrec **p = &li->recs; *p;) {
		struct lrec *l = *p;
		if (l->owner != owner || l->ofd != ofd) {
			p = &l->next;
			continue;
		}
		if (type == l->type) {
			if (!touches(l, start, end)) {
				p = &l->next;
				continue;
			}
			ns = l->start < ns ? l->start : ns;
			ne = l->end > ne ? l->end : ne;
		} else {
			if (!overlaps(l, start, end)) {
				p = &l->next;
				continue;
			}
			changed = true;
			if (l->start < start && l->end > end) {
				struct lrec *r = *spare;
				*spare = NULL;
				*r = *l;
				r->start = end + 1;
				l->end = start - 1;
				l->next = r;
				p = &r->next;
				continue;
			}
			if (l->start < start) {
				l->end = start - 1;
				p = &l->next;
				continue;
			}
			if (l->end > end) {
				l->start = end + 1;
				p = &l->next;
				continue;
			}
		}
		*p = l->next;
		free(l);
		if (!ofd)
			nr_posix--;
		else
			nr_filelocks--;
	}
	if (*nl) {
		struct lrec *n = *nl;
		*nl = NULL;
		n->start = ns;
		n->end = ne;
		/* Sorted by start, so F_GETLK reports the lowest conflict. */
		struct lrec **p = &li->recs;
		while (*p && (*p)->start < ns)
			p = &(*p)->next;
		n->next = *p;
		*p = n;
		if (!ofd)
			nr_posix++;
		else
			nr_filelocks++;
	}
	return changed;
}

int lock_record_set(struct file *f, void *owner, bool ofd, int pid, int type, int64_t start,
		    int64_t end, struct lock_sleeper *s)
{
	struct lock_key k = file_key(f);
	/* Allocated up front: a split needs one more record than it had. */
	struct lrec *spare = malloc(sizeof *spare);
	struct lrec *nl = type == F_UNLCK ? NULL : malloc(sizeof *nl);
	if (!spare || (type != F_UNLCK && !nl)) {
		free(spare);
		free(nl);
		return -ENOLCK;
	}
	if (nl)
		*nl = (struct lrec){.owner = owner, .ofd = ofd, .type = type, .pid = pid};
	int r = 0;
	pthread_mutex_lock(&locks_mutex);
	if (s && s->ino)
		sleeper_del(s);
	struct lock_inode *li = inode_find(k, type != F_UNLCK);
	if (!li) {
		r = type == F_UNLCK ? 0 : -ENOLCK;
		goto out;
	}
	if (type != F_UNLCK) {
		struct lrec *c = first_conflict(li, owner, type, start, end);
		if (c) {
			void *blocker = c->ofd ? NULL : c->owner;
			if (!s)
				r = -EAGAIN;
			else if (!ofd && blocker && deadlock(owner, blocker))
				r = -EDEADLK;
			else {
				s->owner = ofd ? NULL : owner;
				sleeper_add(li, s);
				s->blocker = ofd ? NULL : blocker;
				r = LOCK_SLEEP;
			}
			goto maybe_free;
		}
	}
	/* A downgrade or an unlock may let others in; so may a shrink. */
	apply(li, owner, ofd, type, start, end, &spare, &nl);
	wake_all(li);
maybe_free:
	inode_maybe_free(li);
out:
	pthread_mutex_unlock(&locks_mutex);
	free(spare);
	free(nl);
	return r;
}

int lock_record_get(struct file *f, void *owner, int type, int64_t start, int64_t end,
		    int *otype, int64_t *ostart, int64_t *oend, int *opid)
{
	struct lock_key k = file_key(f);
	int r = 0;
	pthread_mutex_lock(&locks_mutex);
	struct lock_inode *li = inode_find(k, false);
	struct lrec *c = li ? first_conflict(li, owner, type, start, end) : NULL;
	if (c) {
		*otype = c->type;
		*ostart = c->start;
		*oend = c->end;
		*opid = c->ofd ? -1 : c->pid;
		r = 1;
	}
	pthread_mutex_unlock(&locks_mutex);
	return r;
}

/* ---- flock ---- */

int lock_flock(struct file *f, int op, struct lock_sleeper *s)
{
	struct lock_key k = file_key(f);
	int type = op & (LOCK_SH | LOCK_EX | LOCK_UN);
	struct lflock *nl = NULL;
	if (type != LOCK_UN && !(nl = malloc(sizeof *nl)))
		return -ENOLCK;
	int r = 0;
	pthread_mutex_lock(&locks_mutex);
	if (s && s->ino)
		sleeper_del(s);
	struct lock_inode *li = inode_find(k, type != LOCK_UN);
	if (!li) {
		r = type == LOCK_UN ? 0 : -ENOLCK;
		goto out;
	}
	struct lflock **p, *l;
	for (p = &li->flocks; *p && (*p)->owner != f; p = &(*p)->next)
		;
	if ((l = *p)) {
		if (l->type == type)
			goto maybe_free;
		/* A conversion gives the old lock up first, as Linux does. */
		*p = l->next;
		free(l);
		nr_filelocks--;
		wake_all(li);
	}
	if (type == LOCK_UN)
		goto maybe_free;
	for (l = li->flocks; l; l = l->next)
		if (l->type == LOCK_EX || type == LOCK_EX)
			break;
	if (l) {
		if (!s) {
			r = -EWOULDBLOCK;
		} else {
			s->owner = NULL;
			sleeper_add(li, s);
			r = LOCK_SLEEP;
		}
		goto maybe_free;
	}
	*nl = (struct lflock){.owner = f, .type = type, .next = li->flocks};
	li->flocks = nl;
	nl = NULL;
	nr_filelocks++;
maybe_free:
	inode_maybe_free(li);
out:
	pthread_mutex_unlock(&locks_mutex);
	free(nl);
	return r;
}

/* ---- owners going away ---- */

/* Drops the record locks matching (owner, ofd) and, with flocks, owner's
 * flock lock too. */
static void drop_owner(struct file *f, void *owner, bool ofd, bool flocks)
{
	struct lock_key k = file_key(f);
	pthread_mutex_lock(&locks_mutex);
	struct lock_inode *li = inode_find(k, false);
	if (!li)
		goto out;
	bool changed = false;
	for (struct lrec **p = &li->recs; *p;) {
		struct lrec *l = *p;
		if (l->owner == owner && l->ofd == ofd) {
			*p = l->next;
			free(l);
			if (ofd)
				nr_filelocks--;
			else
				nr_posix--;
			changed = true;
		} else {
			p = &l->next;
		}
	}
	for (struct lflock **p = flocks ? &li->flocks : NULL; p && *p;) {
		struct lflock *l = *p;
		if (l->owner == owner) {
			*p = l->next;
			free(l);
			nr_filelocks--;
			changed = true;
		} else {
			p = &l->next;
		}
	}
	if (changed)
		wake_all(li);
	inode_maybe_free(li);
out:
	pthread_mutex_unlock(&locks_mutex);
}

void lock_posix_close(void *owner, struct file *f)
{
	if (!__atomic_load_n(&nr_posix, __ATOMIC_RELAXED) || (f->flags & O_PATH))
		return;
	drop_owner(f, owner, false, false);
}

void lock_file_release(struct file *f)
{
	if (!__atomic_load_n(&nr_filelocks, __ATOMIC_RELAXED))
		return;
	drop_owner(f, f, true, true);
}
