/* The sandbox-wide page cache of gofer files: mappings of a host file share
 * one set of memory-file frames, read on first fault, 64 KiB at a time.
 *
 * One cache per host file identity (st_dev, st_ino), valid for the size and
 * mtime the file had when it was first mapped: a file changed on the host
 * meanwhile gets a new cache at its next mmap (mappings of the old one keep
 * it).  Writes through the sentry update the cache (gofer_pagecache_write).
 * A cache lives while a mapping uses it; unused ones stay on a bounded LRU
 * (PC_IDLE_MAX_PAGES) so a library mapped by consecutive execs is read once.
 *
 * Locking: a per-cache lock, then a global table lock (a leaf but for the
 * memory-file lock), taken with mm->lock held (faults) or with no lock held
 * (writes); neither is held across a call into mm or the VFS.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct file;
struct mm_backing;

/* Fills out with a backing that maps f (an open gofer regular file) from
 * its cache, with a reference the caller drops with out->put.  0, or
 * -errno when f cannot be cached (the caller copies through pread). */
int gofer_pagecache_backing(struct file *f, struct mm_backing *out);

/* For the gofer write path: n bytes of iov were just written at off
 * through host_fd (pwritev): the cached pages that hold them are updated
 * and the cache follows the file's new size and mtime, so read(), write()
 * and every mapping stay coherent. */
void gofer_pagecache_write(int host_fd, uint64_t off, const struct iovec *iov, int iovcnt,
			   size_t n);
/* The host file (dev, ino) was truncated or extended to size (ftruncate,
 * O_TRUNC through the gofer): cached pages past it are dropped, the tail of
 * the last page is zeroed, and new faults past it get SIGBUS (pages the
 * mappings already hold stay until unmapped: there is no reverse map). */
void gofer_pagecache_resize(dev_t dev, ino_t ino, uint64_t size);

/* Statistics for tests and /proc: caches alive and frames they hold. */
void gofer_pagecache_stats(uint64_t *caches, uint64_t *pages);
