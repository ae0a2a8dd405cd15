/* The memory file: one memfd holding every frame of application memory, its
 * sentry mapping and a frame allocator with reference counts. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "sentry/mm/mm_internal.h"

/* Reserved once so that sentry pointers into the file never move. */
#define MEMFILE_MAX (64UL << 30)
#define MEMFILE_FRAMES (MEMFILE_MAX >> PAGE_SHIFT)
/* ftruncate is cheap, but each call is a syscall: grow in large steps. */
#define MEMFILE_GROW (64UL << 20)

struct extent {
	uint64_t start, n; /* in frames */
};

static struct {
	pthread_mutex_t lock;
	int fd;
	char *base;
	uint32_t *refs;	     /* per frame, lazily backed by the host */
	uint64_t size;	     /* file size in bytes */
	uint64_t top;	     /* frames at or above top were never handed out */
	uint64_t used;	     /* frames with refs > 0 */
	struct extent *free; /* sorted free runs below top */
	size_t nfree, capfree;
} mf = {.lock = PTHREAD_MUTEX_INITIALIZER, .fd = -1};

int memfile_init(void)
{
	if (mf.fd >= 0)
		return 0;
	int fd = memfd_create("cvisor-memory", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	void *base =
	    mmap(NULL, MEMFILE_MAX, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, fd, 0);
	if (base == MAP_FAILED) {
		int e = errno;
		close(fd);
		return -e;
	}
	void *refs = mmap(NULL, MEMFILE_FRAMES * sizeof(uint32_t), PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (refs == MAP_FAILED) {
		int e = errno;
		munmap(base, MEMFILE_MAX);
		close(fd);
		return -e;
	}
	mf.fd = fd;
	mf.base = base;
	mf.refs = refs;
	return 0;
}

int memfile_fd(void) { return mf.fd; }

void *memfile_ptr(uint64_t off) { return mf.base + off; }

static int grow(uint64_t frames)
{
	uint64_t need = frames << PAGE_SHIFT;
	if (need <= mf.size)
		return 0;
	if (need > MEMFILE_MAX)
		return -ENOMEM;
	uint64_t size = (need + MEMFILE_GROW - 1) & ~(MEMFILE_GROW - 1);
	if (size > MEMFILE_MAX)
		size = MEMFILE_MAX;
	if (ftruncate(mf.fd, (off_t)size))
		return -ENOMEM;
	/* KVM makes the new bytes guest memory (a slot per size class). */
	if (pf && pf->mem_grow && pf->mem_grow(size)) {
		if (ftruncate(mf.fd, (off_t)mf.size))
			log_warn("memfile: cannot shrink back to %lu bytes", (unsigned long)mf.size);
		return -ENOMEM;
	}
	mf.size = size;
	return 0;
}

int64_t memfile_alloc(size_t npages)
{
	if (!npages || npages > MEMFILE_FRAMES)
		return -ENOMEM;
	pthread_mutex_lock(&mf.lock);
	uint64_t start = UINT64_MAX;
	/* First fit keeps low frames busy and lets top shrink back. */
	for (size_t i = 0; i < mf.nfree; i++) {
		struct extent *x = &mf.free[i];
		if (x->n < npages)
			continue;
		start = x->start;
		x->start += npages;
		x->n -= npages;
		if (!x->n) {
			memmove(x, x + 1, (mf.nfree - i - 1) * sizeof *x);
			mf.nfree--;
		}
		break;
	}
	if (start == UINT64_MAX) {
		if (mf.top + npages > MEMFILE_FRAMES || grow(mf.top + npages)) {
			pthread_mutex_unlock(&mf.lock);
			return -ENOMEM;
		}
		start = mf.top;
		mf.top += npages;
	}
	for (size_t i = 0; i < npages; i++)
		mf.refs[start + i] = 1;
	mf.used += npages;
	pthread_mutex_unlock(&mf.lock);
	return (int64_t)(start << PAGE_SHIFT);
}

void memfile_ref(uint64_t off)
{
	pthread_mutex_lock(&mf.lock);
	mf.refs[off >> PAGE_SHIFT]++;
	pthread_mutex_unlock(&mf.lock);
}

unsigned memfile_refcount(uint64_t off)
{
	pthread_mutex_lock(&mf.lock);
	unsigned r = mf.refs[off >> PAGE_SHIFT];
	pthread_mutex_unlock(&mf.lock);
	return r;
}

uint64_t memfile_used(void)
{
	pthread_mutex_lock(&mf.lock);
	uint64_t u = mf.used << PAGE_SHIFT;
	pthread_mutex_unlock(&mf.lock);
	return u;
}

/* Returns frames [start, start+n) to the free runs; the caller punched them. */
static void free_run(uint64_t start, uint64_t n)
{
	mf.used -= n;
	/* Binary search for the first run after start. */
	size_t lo = 0, hi = mf.nfree;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (mf.free[mid].start < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	struct extent *prev = lo ? &mf.free[lo - 1] : NULL;
	struct extent *next = lo < mf.nfree ? &mf.free[lo] : NULL;
	if (prev && prev->start + prev->n == start) {
		prev->n += n;
		if (next && prev->start + prev->n == next->start) {
			prev->n += next->n;
			memmove(next, next + 1, (mf.nfree - lo - 1) * sizeof *next);
			mf.nfree--;
		}
	} else if (next && start + n == next->start) {
		next->start = start;
		next->n += n;
	} else {
		if (mf.nfree == mf.capfree) {
			size_t cap = mf.capfree ? mf.capfree * 2 : 256;
			struct extent *x = realloc(mf.free, cap * sizeof *x);
			if (!x) {
				/* Leaking a run beats failing a free. */
				log_warn("memory file: cannot track %lu free frames",
					 (unsigned long)n);
				return;
			}
			mf.free = x;
			mf.capfree = cap;
		}
		memmove(&mf.free[lo + 1], &mf.free[lo], (mf.nfree - lo) * sizeof *mf.free);
		mf.free[lo] = (struct extent){start, n};
		mf.nfree++;
	}
	/* A run touching top gives its frames back to the bump region. */
	struct extent *last = mf.nfree ? &mf.free[mf.nfree - 1] : NULL;
	if (last && last->start + last->n == mf.top) {
		mf.top = last->start;
		mf.nfree--;
	}
}

static void release_run(uint64_t start, uint64_t n)
{
	/* Punching gives the memory back to the host and makes the frames
	 * read as zero when they are handed out again. */
	if (fallocate(mf.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		      (off_t)(start << PAGE_SHIFT), (off_t)(n << PAGE_SHIFT)))
		memset(mf.base + (start << PAGE_SHIFT), 0, n << PAGE_SHIFT);
	free_run(start, n);
}

void memfile_unref_many(const uint64_t *offs, size_t n)
{
	uint64_t run = 0, len = 0;
	pthread_mutex_lock(&mf.lock);
	for (size_t i = 0; i < n; i++) {
		uint64_t f = offs[i] >> PAGE_SHIFT;
		if (!mf.refs[f]) {
			log_warn("memory file: frame 0x%lx freed twice", (unsigned long)offs[i]);
			continue;
		}
		if (--mf.refs[f])
			continue;
		if (len && run + len == f) {
			len++;
			continue;
		}
		if (len)
			release_run(run, len);
		run = f;
		len = 1;
	}
	if (len)
		release_run(run, len);
	pthread_mutex_unlock(&mf.lock);
}

void memfile_unref(uint64_t off) { memfile_unref_many(&off, 1); }
