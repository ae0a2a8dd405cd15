/* Memory management: the memory file, application address spaces (VMAs plus
 * a sentry-side page table of memory-file frames), demand paging, and checked
 * copies between the sentry and application memory.
 *
 * Every byte of application memory is a page ("frame") of the memory file, a
 * single memfd per sandbox that the sentry maps once.  Frames carry reference
 * counts so that copy-on-write after fork is a matter of sharing frames and
 * copying on a write fault.
 *
 * Lock order: mm->lock, then the memory-file allocator lock (a leaf);
 * platform calls are made with mm->lock held.  Every mm_* call below takes
 * mm->lock for its whole duration (VMAs, page table, platform map/unmap, and
 * mapping backings' pread, which may block on the gofer): callers must not
 * hold it, and mm->lock is taken after tg->lock and before files->lock.
 * The memory-file calls only take the allocator lock.
 */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "platform/platform.h"

/* ---- The memory file ---- */

/* Creates the memfd and the sentry's mapping of it.  Once per sentry. */
int memfile_init(void);
int memfile_fd(void);
/* Sentry pointer to memory-file offset off (valid for allocated frames). */
void *memfile_ptr(uint64_t off);
/* Allocates npages contiguous zeroed frames with refcount 1; returns the
 * offset or -ENOMEM. */
int64_t memfile_alloc(size_t npages);
void memfile_ref(uint64_t off);
/* Drops one reference; frees (and punches out of the file) at zero. */
void memfile_unref(uint64_t off);
unsigned memfile_refcount(uint64_t off);
/* Bytes of the memory file in use (for sysinfo, /proc/meminfo). */
uint64_t memfile_used(void);

/* ---- Backing for file mappings ---- */

/* What a file mapping reads its pages from.  mm never touches the host: it
 * calls pread, which the VFS implements on a gofer-donated fd. */
struct mm_backing {
	ssize_t (*pread)(void *obj, void *buf, size_t len, uint64_t off);
	void (*get)(void *obj);
	void (*put)(void *obj);
	void *obj;
	/* Files whose pages already live in the memory file (tmpfs) set
	 * frame instead of relying on pread: the memory-file offset of file
	 * page pgoff with a new reference for the caller (allocated on
	 * demand), or -EIO past the end of the file (SIGBUS), -ENOMEM.
	 * MAP_SHARED mappings then map the file's own frames, so every mapper
	 * and read()/write() see the same bytes; MAP_PRIVATE ones map them
	 * copy-on-write.  Called with mm->lock held.  NULL: copy via pread. */
	int64_t (*frame)(void *obj, uint64_t pgoff);
	/* Optional, with frame: MAP_SHARED mappings that may be written (the
	 * file is open for writing) hand page pgoff (its frame at memory-file
	 * offset frame) back to the file on msync and when the mapping goes
	 * (munmap, exit, exec).  No dirty tracking: every present page of
	 * such a mapping is offered.  Called with mm->lock held. */
	void (*writeback)(void *obj, uint64_t pgoff, uint64_t frame);
	/* Optional: counts the MAP_SHARED mappings that may be written, for
	 * memfd seals.  delta +1/-1 as such a VMA comes and goes (never
	 * fails); delta 0 asks whether a new one is allowed (0, or -EPERM:
	 * then a PROT_WRITE mmap fails with EPERM and a read-only one may
	 * never become writable).  Called with mm->lock held. */
	int (*writers)(void *obj, int delta);
};

/* ---- Address spaces ---- */

struct vma;
struct mm {
	pthread_mutex_t lock;
	int refs;
	struct pf_as *as;      /* the platform's view */
	struct vma *vmas;      /* sorted list (mm/vma.c) */
	void *pt;              /* sentry page table: page -> frame (mm/pagetable.c) */
	uint64_t brk_start, brk;
	uint64_t mmap_base;    /* top of the mmap area (grows down) */
	uint64_t stack_top;
	uint64_t vm_size;      /* bytes mapped, for RLIMIT_AS and /proc */
	/* Filled by the loader for /proc/self/auxv, cmdline, environ. */
	uint64_t arg_start, arg_end, env_start, env_end, auxv_start, auxv_end;
};

struct mm *mm_new(void);
struct mm *mm_get(struct mm *mm);
void mm_put(struct mm *mm);

/* A copy of mm for fork: the same VMAs; private frames shared copy-on-write
 * (both sides read-only until one writes), MAP_SHARED frames shared
 * writable.  NULL if out of memory. */
struct mm *mm_fork(struct mm *mm);

/* mmap flags understood by mm_mmap (values of MAP_*).  file == NULL or
 * MAP_ANONYMOUS: anonymous memory.  Returns the address or -errno.  The
 * mapping takes its own references with file->get (dropped with
 * file->put), so the caller keeps and releases its own.
 * MAP_SHARED file mappings write back only through file->writeback; without
 * it they act as memory initialised from the file, shared across fork. */
long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
	     const struct mm_backing *file, uint64_t off);
/* As mm_mmap, naming the mapping for /proc/PID/maps (a path, "[vdso]"). */
long mm_mmap_named(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
		   const struct mm_backing *file, uint64_t off, const char *name);
/* Extra mm_mmap flag (not a MAP_ value): the file is not open for writing,
 * so a MAP_SHARED mapping can never get PROT_WRITE (EACCES, also later in
 * mprotect). */
#define MM_MAP_NOWRITE 0x40000000
long mm_munmap(struct mm *mm, uint64_t addr, uint64_t len);
long mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot);
long mm_mremap(struct mm *mm, uint64_t old, uint64_t old_len, uint64_t new_len, int flags,
	       uint64_t new_addr);
long mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice);
long mm_msync(struct mm *mm, uint64_t addr, uint64_t len, int flags);
long mm_brk(struct mm *mm, uint64_t addr);
long mm_mincore(struct mm *mm, uint64_t addr, uint64_t len, uint64_t vec);

/* Whether addr lies in a MAP_SHARED mapping: 1, 0 (private), -EFAULT. */
int mm_addr_shared(struct mm *mm, uint64_t addr);

/* Resolves an application fault.  0: mapped, retry the instruction.
 * -EFAULT: no mapping or access not allowed (deliver SIGSEGV with
 * *si_code = SEGV_MAPERR or SEGV_ACCERR).  -EIO/-ENOMEM: SIGBUS.
 * -EAGAIN (access 0 only): a protection fault on a page that is writable
 * now, either stale (another thread's copy-on-write won the race) or an
 * instruction fetch; run the thread again, and if the same fault comes
 * straight back, it is SIGSEGV with *si_code. */
int mm_fault(struct mm *mm, uint64_t addr, int access, int *si_code);

/* Checked copies.  0 or -EFAULT; partial copies write nothing useful. */
int mm_copy_in(struct mm *mm, void *dst, uint64_t src, size_t n);
int mm_copy_out(struct mm *mm, uint64_t dst, const void *src, size_t n);
int mm_zero_out(struct mm *mm, uint64_t dst, size_t n);
/* Copies a NUL-terminated string of at most max bytes (including NUL).
 * Returns its length, -EFAULT, or -ENAMETOOLONG when no NUL within max. */
long mm_strncpy_in(struct mm *mm, char *dst, uint64_t src, size_t max);

/* Translates application range [addr, addr+len) into sentry iovecs over the
 * memory file, populating pages as needed (write: the range must be writable
 * and COW pages are broken).  Returns the number of iovecs filled, or
 * -EFAULT.  If the range needs more than max iovecs, it stops and *done says
 * how many bytes the iovecs cover.  Lets read()/write() move data between a
 * host fd and application memory with one readv/writev. */
int mm_iov(struct mm *mm, uint64_t addr, size_t len, bool write, struct iovec *iov, int max,
	   size_t *done);

/* mm_iov's iovecs stay valid while the range stays mapped; another thread's
 * munmap could free the frames under a transfer (threads: next milestone).
 * A fault after the first page ends the translation early (a short count),
 * as Linux does for a partially valid buffer. */

/* The loader's stack and brk setup.  brk_start is rounded up to a page;
 * set mm->stack_top (the [stack] VMA is the one holding stack_top - 1). */
void mm_set_brk_start(struct mm *mm, uint64_t start);

/* Writes /proc/PID/maps text into buf; returns bytes. */
size_t mm_format_maps(struct mm *mm, char *buf, size_t size);
