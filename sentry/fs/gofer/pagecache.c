/* The sandbox-wide page cache of gofer files (see pagecache.h). */
#include "sentry/fs/gofer/pagecache.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sentry/mm/mm.h"
#include "sentry/vfs/dentry.h"

/* Pages read per miss: the mm's fault-around window (64 KiB), so one
 * fault costs one host read. */
#define PC_CHUNK 16
/* The page index: a table of leaves of 512 slots (memory-file offset + 1). */
#define LEAF_SHIFT 9
#define LEAF (1UL << LEAF_SHIFT)
#define PC_BUCKETS 256
/* Caches no mapping uses any more are kept up to this many frames (64 MiB)
 * in all, least recently used dropped first. */
#define PC_IDLE_MAX_PAGES 16384

struct pc {
	dev_t dev;
	ino_t ino;
	/* The file as this cache knows it: a host file with another size or
	 * mtime at the next mmap has changed behind the sandbox's back. */
	off_t key_size;
	struct timespec key_mtim;
	int refs;    /* table_lock: backings (the VMAs) */
	bool hashed; /* table_lock: findable */
	uint64_t idle_pages; /* table_lock: what it counts for on the LRU */
	struct pc *hnext, *lru_prev, *lru_next;

	pthread_mutex_t lock; /* everything below */
	uint64_t size;	      /* faults at or past it get SIGBUS */
	int fd;		      /* our own dup of a host fd, for reads */
	int wfd;	      /* a writable dup for write-back, or -1 */
	uint64_t **leaves;
	size_t nleaves;
	uint64_t npages; /* frames held */
};

static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pc *buckets[PC_BUCKETS];
static struct pc *lru_head, *lru_tail; /* idle caches, most recent first */
static uint64_t idle_pages, ncaches;
static uint64_t total_pages; /* atomic */

static unsigned bucket_of(dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)dev;
	return (unsigned)(h >> 56) % PC_BUCKETS;
}

static uint64_t size_pages(uint64_t size) { return (size + PAGE_SIZE - 1) >> PAGE_SHIFT; }

/* pc->lock held.  The slot of page pgoff; with create the leaf is made. */
static uint64_t *slot_of(struct pc *pc, uint64_t pgoff, bool create)
{
	size_t li = (size_t)(pgoff >> LEAF_SHIFT);
	if (li >= pc->nleaves) {
		if (!create)
			return NULL;
		size_t n = pc->nleaves ? pc->nleaves : 4;
		while (n <= li)
			n *= 2;
		uint64_t **nl = realloc(pc->leaves, n * sizeof *nl);
		if (!nl)
			return NULL;
		memset(nl + pc->nleaves, 0, (n - pc->nleaves) * sizeof *nl);
		pc->leaves = nl;
		pc->nleaves = n;
	}
	if (!pc->leaves[li]) {
		if (!create || !(pc->leaves[li] = calloc(LEAF, sizeof(uint64_t))))
			return NULL;
	}
	return &pc->leaves[li][pgoff & (LEAF - 1)];
}

/* pc->lock held: drops the frames of pages >= from. */
static void drop_from(struct pc *pc, uint64_t from)
{
	for (size_t li = (size_t)(from >> LEAF_SHIFT); li < pc->nleaves; li++) {
		uint64_t *leaf = pc->leaves[li];
		if (!leaf)
			continue;
		for (size_t i = 0; i < LEAF; i++) {
			uint64_t pg = ((uint64_t)li << LEAF_SHIFT) + i;
			if (pg < from || !leaf[i])
				continue;
			memfile_unref(leaf[i] - 1);
			leaf[i] = 0;
			pc->npages--;
			__atomic_sub_fetch(&total_pages, 1, __ATOMIC_RELAXED);
		}
	}
}

static void pc_free(struct pc *pc)
{
	drop_from(pc, 0);
	for (size_t i = 0; i < pc->nleaves; i++)
		free(pc->leaves[i]);
	free(pc->leaves);
	close(pc->fd);
	if (pc->wfd >= 0)
		close(pc->wfd);
	pthread_mutex_destroy(&pc->lock);
	free(pc);
}

/* ---- the table (table_lock held) ---- */

static void unhash_locked(struct pc *pc)
{
	if (!pc->hashed)
		return;
	struct pc **p = &buckets[bucket_of(pc->dev, pc->ino)];
	while (*p != pc)
		p = &(*p)->hnext;
	*p = pc->hnext;
	pc->hashed = false;
}

static void lru_remove_locked(struct pc *pc)
{
	if (pc->lru_prev)
		pc->lru_prev->lru_next = pc->lru_next;
	else
		lru_head = pc->lru_next;
	if (pc->lru_next)
		pc->lru_next->lru_prev = pc->lru_prev;
	else
		lru_tail = pc->lru_prev;
	pc->lru_prev = pc->lru_next = NULL;
	idle_pages -= pc->idle_pages;
	pc->idle_pages = 0;
}

/* Unlinks what must go from an idle cache list into *dead (freed by the
 * caller outside the lock). */
static void trim_locked(struct pc **dead)
{
	while (lru_tail && idle_pages > PC_IDLE_MAX_PAGES) {
		struct pc *pc = lru_tail;
		lru_remove_locked(pc);
		unhash_locked(pc);
		ncaches--;
		pc->hnext = *dead;
		*dead = pc;
	}
}

static void free_dead(struct pc *dead)
{
	while (dead) {
		struct pc *n = dead->hnext;
		pc_free(dead);
		dead = n;
	}
}

static void pc_ref(struct pc *pc)
{
	pthread_mutex_lock(&table_lock);
	if (pc->refs++ == 0 && pc->hashed)
		lru_remove_locked(pc);
	pthread_mutex_unlock(&table_lock);
}

static void pc_unref(struct pc *pc)
{
	struct pc *dead = NULL;
	pthread_mutex_lock(&table_lock);
	if (--pc->refs == 0) {
		if (!pc->hashed) {
			/* Replaced by a newer cache of a changed file. */
			ncaches--;
			dead = pc;
		} else {
			/* npages cannot change while idle (nothing faults or
			 * writes without a reference); pc->lock would invert
			 * the lock order. */
			pc->idle_pages = __atomic_load_n(&pc->npages, __ATOMIC_RELAXED);
			pc->lru_next = lru_head;
			if (lru_head)
				lru_head->lru_prev = pc;
			lru_head = pc;
			if (!lru_tail)
				lru_tail = pc;
			idle_pages += pc->idle_pages;
			if (!pc->idle_pages) {
				/* Nothing worth keeping. */
				lru_remove_locked(pc);
				unhash_locked(pc);
				ncaches--;
				dead = pc;
			}
			trim_locked(&dead);
		}
	}
	pthread_mutex_unlock(&table_lock);
	free_dead(dead);
}

/* A new reference to the hashed cache of (dev, ino), or NULL. */
static struct pc *find_ref(dev_t dev, ino_t ino)
{
	pthread_mutex_lock(&table_lock);
	struct pc *pc = buckets[bucket_of(dev, ino)];
	while (pc && (pc->dev != dev || pc->ino != ino))
		pc = pc->hnext;
	if (pc && pc->refs++ == 0)
		lru_remove_locked(pc);
	pthread_mutex_unlock(&table_lock);
	return pc;
}

static bool same_version(const struct pc *pc, const struct stat *st)
{
	return pc->key_size == st->st_size && pc->key_mtim.tv_sec == st->st_mtim.tv_sec &&
	       pc->key_mtim.tv_nsec == st->st_mtim.tv_nsec;
}

/* The cache of the file open as host_fd (st: its fstat), a new reference:
 * found, or made (replacing a stale one). */
static struct pc *lookup_or_create(int host_fd, const struct stat *st)
{
	struct pc *dead = NULL, *pc;
	pthread_mutex_lock(&table_lock);
	struct pc **p = &buckets[bucket_of(st->st_dev, st->st_ino)];
	for (pc = *p; pc; pc = pc->hnext)
		if (pc->dev == st->st_dev && pc->ino == st->st_ino)
			break;
	if (pc && same_version(pc, st)) {
		if (pc->refs++ == 0)
			lru_remove_locked(pc);
		pthread_mutex_unlock(&table_lock);
		return pc;
	}
	if (pc) {
		/* The host file changed: new mappings get a new cache; the
		 * old one lives on for its mappings (or goes now). */
		unhash_locked(pc);
		if (!pc->refs) {
			lru_remove_locked(pc);
			ncaches--;
			dead = pc;
		}
	}
	pc = calloc(1, sizeof *pc);
	int fd = pc ? fcntl(host_fd, F_DUPFD_CLOEXEC, 0) : -1;
	if (fd < 0) {
		free(pc);
		pthread_mutex_unlock(&table_lock);
		free_dead(dead);
		return NULL;
	}
	pc->dev = st->st_dev;
	pc->ino = st->st_ino;
	pc->key_size = st->st_size;
	pc->key_mtim = st->st_mtim;
	pc->size = (uint64_t)st->st_size;
	pc->fd = fd;
	pc->wfd = -1;
	pc->refs = 1;
	pthread_mutex_init(&pc->lock, NULL);
	pc->hnext = *p;
	*p = pc;
	pc->hashed = true;
	ncaches++;
	pthread_mutex_unlock(&table_lock);
	free_dead(dead);
	return pc;
}

/* ---- the backing ---- */

static ssize_t pc_pread(void *obj, void *buf, size_t len, uint64_t off)
{
	struct pc *pc = obj;
	ssize_t n = pread(pc->fd, buf, len, (off_t)off);
	return n < 0 ? -errno : n;
}

static void pc_get(void *obj) { pc_ref(obj); }

static void pc_put(void *obj) { pc_unref(obj); }

/* pc->lock held: reads the missing pages of [from, to) into new frames. */
static int fill_locked(struct pc *pc, uint64_t from, uint64_t to)
{
	uint64_t *slots[PC_CHUNK];
	size_t missing = 0;
	for (uint64_t pg = from; pg < to; pg++) {
		uint64_t *s = slot_of(pc, pg, true);
		if (!s)
			return -ENOMEM;
		slots[pg - from] = s;
		missing += !*s;
	}
	int64_t frames = memfile_alloc(missing);
	if (frames < 0)
		return -ENOMEM;
	/* Runs of missing pages are contiguous in the allocation: one read
	 * per run. */
	uint64_t next = (uint64_t)frames;
	for (uint64_t pg = from; pg < to;) {
		if (*slots[pg - from]) {
			pg++;
			continue;
		}
		uint64_t end = pg;
		while (end < to && !*slots[end - from])
			end++;
		size_t len = (size_t)(end - pg) << PAGE_SHIFT, got = 0;
		char *dst = memfile_ptr(next);
		while (got < len) {
			ssize_t r = pread(pc->fd, dst + got, len - got, (off_t)((pg << PAGE_SHIFT) + got));
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				/* Frames already given keep their pages;
				 * the rest go back. */
				for (uint64_t f = next; f < (uint64_t)frames + (missing << PAGE_SHIFT);
				     f += PAGE_SIZE)
					memfile_unref(f);
				return -EIO;
			}
			if (r == 0)
				break; /* shrunk on the host: zeros */
			got += (size_t)r;
		}
		for (uint64_t q = pg; q < end; q++) {
			*slots[q - from] = next + 1;
			next += PAGE_SIZE;
		}
		pc->npages += end - pg;
		__atomic_add_fetch(&total_pages, end - pg, __ATOMIC_RELAXED);
		pg = end;
	}
	return 0;
}

static int64_t pc_frame(void *obj, uint64_t pgoff)
{
	struct pc *pc = obj;
	pthread_mutex_lock(&pc->lock);
	int64_t r;
	uint64_t last = size_pages(pc->size);
	if (pgoff >= last) {
		r = -EIO;
		goto out;
	}
	uint64_t *s = slot_of(pc, pgoff, true);
	if (!s) {
		r = -ENOMEM;
		goto out;
	}
	if (!*s) {
		uint64_t from = pgoff & ~(uint64_t)(PC_CHUNK - 1), to = from + PC_CHUNK;
		if (to > last)
			to = last;
		r = fill_locked(pc, from, to);
		/* Fragmented memory file: the faulting page alone. */
		if (r == -ENOMEM)
			r = fill_locked(pc, pgoff, pgoff + 1);
		if (r)
			goto out;
	}
	memfile_ref(*s - 1);
	r = (int64_t)(*s - 1);
out:
	pthread_mutex_unlock(&pc->lock);
	return r;
}

static void pc_writeback(void *obj, uint64_t pgoff, uint64_t frame)
{
	struct pc *pc = obj;
	pthread_mutex_lock(&pc->lock);
	uint64_t off = pgoff << PAGE_SHIFT;
	if (pc->wfd >= 0 && off < pc->size) {
		size_t len = pc->size - off < PAGE_SIZE ? (size_t)(pc->size - off) : PAGE_SIZE;
		/* A private frame (a mapping whose cache was replaced) is
		 * written too: it holds what the application wrote. */
		ssize_t w = pwrite(pc->wfd, memfile_ptr(frame), len, (off_t)off);
		(void)w; /* nowhere to report a failure, as Linux's write-back */
	}
	pthread_mutex_unlock(&pc->lock);
}

int gofer_pagecache_backing(struct file *f, struct mm_backing *out)
{
	if (!f->dentry || f->dentry->ops || !S_ISREG(f->dentry->st.st_mode) || !f->ops->host_fd)
		return -EINVAL;
	int fd = f->ops->host_fd(f);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || !S_ISREG(st.st_mode))
		return -EINVAL;
	struct pc *pc = lookup_or_create(fd, &st);
	if (!pc)
		return -ENOMEM;
	if ((f->flags & O_ACCMODE) == O_RDWR) {
		pthread_mutex_lock(&pc->lock);
		if (pc->wfd < 0)
			pc->wfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
		pthread_mutex_unlock(&pc->lock);
	}
	*out = (struct mm_backing){
	    .pread = pc_pread,
	    .get = pc_get,
	    .put = pc_put,
	    .obj = pc,
	    .frame = pc_frame,
	    .writeback = pc_writeback,
	};
	return 0;
}

/* ---- coherence with the write path ---- */

/* Copies len bytes starting skip bytes into iov to dst. */
static void iov_copy(const struct iovec *iov, int iovcnt, size_t skip, char *dst, size_t len)
{
	for (int i = 0; i < iovcnt && len; i++) {
		if (skip >= iov[i].iov_len) {
			skip -= iov[i].iov_len;
			continue;
		}
		size_t n = iov[i].iov_len - skip;
		if (n > len)
			n = len;
		memcpy(dst, (const char *)iov[i].iov_base + skip, n);
		dst += n;
		len -= n;
		skip = 0;
	}
}

/* pc->lock held: the cache now describes the file as st says. */
static void set_version_locked(struct pc *pc, const struct stat *st)
{
	uint64_t old = pc->size;
	pc->size = (uint64_t)st->st_size;
	if (pc->size < old) {
		drop_from(pc, size_pages(pc->size));
		/* The tail of the last page reads as zeros, as after Linux's
		 * truncate. */
		uint64_t in = pc->size & (PAGE_SIZE - 1);
		uint64_t *s = in ? slot_of(pc, pc->size >> PAGE_SHIFT, false) : NULL;
		if (s && *s)
			memset((char *)memfile_ptr(*s - 1) + in, 0, PAGE_SIZE - in);
	}
	pthread_mutex_lock(&table_lock);
	pc->key_size = st->st_size;
	pc->key_mtim = st->st_mtim;
	pthread_mutex_unlock(&table_lock);
}

void gofer_pagecache_write(int host_fd, uint64_t off, const struct iovec *iov, int iovcnt,
			   size_t n)
{
	struct stat st;
	if (fstat(host_fd, &st))
		return;
	struct pc *pc = find_ref(st.st_dev, st.st_ino);
	if (!pc)
		return;
	pthread_mutex_lock(&pc->lock);
	for (uint64_t pos = off; pos < off + n;) {
		uint64_t pg = pos >> PAGE_SHIFT, in = pos & (PAGE_SIZE - 1);
		size_t len = PAGE_SIZE - in;
		if (len > off + n - pos)
			len = (size_t)(off + n - pos);
		uint64_t *s = slot_of(pc, pg, false);
		if (s && *s)
			iov_copy(iov, iovcnt, (size_t)(pos - off), (char *)memfile_ptr(*s - 1) + in, len);
		pos += len;
	}
	set_version_locked(pc, &st);
	pthread_mutex_unlock(&pc->lock);
	pc_unref(pc);
}

void gofer_pagecache_resize(dev_t dev, ino_t ino, uint64_t size)
{
	struct pc *pc = find_ref(dev, ino);
	if (!pc)
		return;
	/* The new mtime is unknown here: the size alone is recorded, so the
	 * next mmap, seeing another mtime, starts a fresh cache. */
	struct stat st = {.st_size = (off_t)size};
	pthread_mutex_lock(&pc->lock);
	st.st_mtim = pc->key_mtim;
	set_version_locked(pc, &st);
	pthread_mutex_unlock(&pc->lock);
	pc_unref(pc);
}

void gofer_pagecache_stats(uint64_t *caches, uint64_t *pages)
{
	pthread_mutex_lock(&table_lock);
	*caches = ncaches;
	pthread_mutex_unlock(&table_lock);
	*pages = __atomic_load_n(&total_pages, __ATOMIC_RELAXED);
}
