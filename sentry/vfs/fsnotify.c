/* File-change notification: the mark table keyed by inode identity and
 * the reporting calls that turn a VFS change into events, in Linux's order. */
#include "sentry/vfs/fsnotify.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/inotify.h>

#include "sentry/vfs/dentry.h"

#define FSN_BUCKETS 256

static pthread_mutex_t fsn_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fsn_mark *fsn_hash[FSN_BUCKETS];
static int fsn_nmarks; /* atomic reads; written under fsn_lock */
static uint32_t fsn_cookie;

/* An inode's identity and type, as the marks see it. */
struct fsn_id {
	dev_t dev;
	ino_t ino;
	bool isdir;
	nlink_t nlink;
	bool valid;
};

static unsigned bucket(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)dev;
	return (unsigned)(h >> 56) % FSN_BUCKETS;
}

void fsnotify_lock(void) { pthread_mutex_lock(&fsn_lock); }

void fsnotify_unlock(void) { pthread_mutex_unlock(&fsn_lock); }

void fsnotify_mark_add(struct fsn_mark *m)
{
	unsigned b = bucket(m->dev, m->ino);
	m->hnext = fsn_hash[b];
	fsn_hash[b] = m;
	__atomic_add_fetch(&fsn_nmarks, 1, __ATOMIC_RELEASE);
}

void fsnotify_mark_del(struct fsn_mark *m)
{
	struct fsn_mark **pp = &fsn_hash[bucket(m->dev, m->ino)];
	while (*pp && *pp != m)
		pp = &(*pp)->hnext;
	if (!*pp)
		return;
	*pp = m->hnext;
	m->hnext = NULL;
	__atomic_sub_fetch(&fsn_nmarks, 1, __ATOMIC_RELEASE);
}

bool fsnotify_active(void) { return __atomic_load_n(&fsn_nmarks, __ATOMIC_ACQUIRE) != 0; }

static struct fsn_id id_of_stat(const struct stat *st)
{
	return (struct fsn_id){.dev = st->st_dev,
			       .ino = st->st_ino,
			       .isdir = S_ISDIR(st->st_mode),
			       .nlink = st->st_nlink,
			       .valid = true};
}

static struct fsn_id id_of(struct dentry *d)
{
	struct stat st;
	if (!d)
		return (struct fsn_id){0};
	dentry_getattr(d, &st);
	return id_of_stat(&st);
}

/* Delivers mask to the marks of id that want it.  fsn_lock held. */
static void send_locked(const struct fsn_id *id, uint32_t mask, uint32_t cookie, const char *name)
{
	if (!id->valid)
		return;
	struct fsn_mark **pp = &fsn_hash[bucket(id->dev, id->ino)];
	while (*pp) {
		struct fsn_mark *m = *pp;
		if (m->dev != id->dev || m->ino != id->ino || !(m->mask & mask & IN_ALL_EVENTS)) {
			pp = &m->hnext;
			continue;
		}
		if (m->event(m, mask, cookie, name)) {
			*pp = m->hnext;
			m->hnext = NULL;
			__atomic_sub_fetch(&fsn_nmarks, 1, __ATOMIC_RELEASE);
			m->gone(m);
			continue;
		}
		pp = &m->hnext;
	}
}

/* The inode of id is gone: IN_DELETE_SELF, then every mark on it ends
 * (each watcher queues IN_IGNORED).  fsn_lock held. */
static void self_gone_locked(const struct fsn_id *id)
{
	if (!id->valid)
		return;
	send_locked(id, IN_DELETE_SELF, 0, NULL);
	struct fsn_mark **pp = &fsn_hash[bucket(id->dev, id->ino)];
	while (*pp) {
		struct fsn_mark *m = *pp;
		if (m->dev != id->dev || m->ino != id->ino) {
			pp = &m->hnext;
			continue;
		}
		*pp = m->hnext;
		m->hnext = NULL;
		__atomic_sub_fetch(&fsn_nmarks, 1, __ATOMIC_RELEASE);
		m->gone(m);
	}
}

static uint32_t isdir_bit(const struct fsn_id *id) { return id->isdir ? IN_ISDIR : 0; }

void fsnotify_create(struct dentry *dir, const char *name, bool isdir)
{
	if (!fsnotify_active())
		return;
	struct fsn_id d = id_of(dir);
	fsnotify_lock();
	send_locked(&d, IN_CREATE | (isdir ? IN_ISDIR : 0), 0, name);
	fsnotify_unlock();
}

void fsnotify_delete(struct dentry *dir, const char *name, const struct stat *victim)
{
	if (!fsnotify_active())
		return;
	struct fsn_id d = id_of(dir), v = id_of_stat(victim);
	fsnotify_lock();
	/* Unlink drops a link (IN_ATTRIB); the node goes with its last one.
	 * Linux defers IN_DELETE_SELF to the last close of an open file; here
	 * it comes at once (open files are not tracked per inode). */
	if (!v.isdir)
		send_locked(&v, IN_ATTRIB, 0, NULL);
	if (v.isdir || v.nlink <= 1)
		self_gone_locked(&v);
	send_locked(&d, IN_DELETE | isdir_bit(&v), 0, name);
	fsnotify_unlock();
}

void fsnotify_move(struct dentry *odir, const char *oname, struct dentry *ndir,
		   const char *nname, const struct stat *moved, const struct stat *replaced,
		   bool exchange)
{
	if (!fsnotify_active())
		return;
	struct fsn_id o = id_of(odir), n = id_of(ndir), m = id_of_stat(moved);
	struct fsn_id r = replaced ? id_of_stat(replaced) : (struct fsn_id){0};
	uint32_t cookie = __atomic_add_fetch(&fsn_cookie, 1, __ATOMIC_RELAXED);
	fsnotify_lock();
	send_locked(&o, IN_MOVED_FROM | isdir_bit(&m), cookie, oname);
	send_locked(&n, IN_MOVED_TO | isdir_bit(&m), cookie, nname);
	if (exchange) {
		send_locked(&m, IN_MOVE_SELF, 0, NULL);
		cookie = __atomic_add_fetch(&fsn_cookie, 1, __ATOMIC_RELAXED);
		send_locked(&n, IN_MOVED_FROM | isdir_bit(&r), cookie, nname);
		send_locked(&o, IN_MOVED_TO | isdir_bit(&r), cookie, oname);
		send_locked(&r, IN_MOVE_SELF, 0, NULL);
	} else {
		if (r.valid && !r.isdir)
			send_locked(&r, IN_ATTRIB, 0, NULL);
		send_locked(&m, IN_MOVE_SELF, 0, NULL);
		if (r.valid && (r.isdir || r.nlink <= 1))
			self_gone_locked(&r);
	}
	fsnotify_unlock();
}

void fsnotify_link(struct dentry *dir, const char *name, const struct stat *st)
{
	if (!fsnotify_active())
		return;
	struct fsn_id d = id_of(dir), v = id_of_stat(st);
	fsnotify_lock();
	send_locked(&v, IN_ATTRIB, 0, NULL);
	send_locked(&d, IN_CREATE, 0, name);
	fsnotify_unlock();
}

void fsnotify_dentry(struct dentry *d, uint32_t mask)
{
	if (!d || !fsnotify_active())
		return;
	struct fsn_id self = id_of(d), parent = id_of(d->parent);
	mask |= isdir_bit(&self);
	fsnotify_lock();
	/* A directory's watch reports its children's events with their
	 * names, before the child's own watch does. */
	if (d->parent && d->name)
		send_locked(&parent, mask, 0, d->name);
	send_locked(&self, mask, 0, NULL);
	fsnotify_unlock();
}

void fsnotify_file(struct file *f, uint32_t mask)
{
	if (!f->dentry || (f->flags & O_PATH) || !fsnotify_active())
		return;
	fsnotify_dentry(f->dentry, mask);
}

void fsnotify_open(struct file *f)
{
	f->notify = true;
	fsnotify_file(f, IN_OPEN);
}

void fsnotify_close(struct file *f)
{
	if (f->notify)
		fsnotify_file(f,
			      (f->flags & O_ACCMODE) == O_RDONLY ? IN_CLOSE_NOWRITE : IN_CLOSE_WRITE);
}
