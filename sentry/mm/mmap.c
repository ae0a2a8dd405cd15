/* The mapping system calls' logic: mmap, munmap, mprotect, mremap, madvise,
 * msync, brk and mincore on an address space. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "sentry/mm/mm_internal.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif
#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

/* Flags MAP_SHARED_VALIDATE knows (Linux's LEGACY_MAP_MASK plus its own). */
#define MAP_KNOWN                                                                                  \
	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE |   \
	 MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE |           \
	 MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB | MAP_32BIT | MAP_FIXED_NOREPLACE |                \
	 (0x3fU << 26) /* MAP_HUGE_SHIFT sizes */)

static uint64_t top(void) { return pf->max_addr; }

void mm_unmap_locked(struct mm *mm, uint64_t start, uint64_t end)
{
	if (vma_clip(mm, start, end)) {
		/* Out of memory for a split: drop the pages anyway so the
		 * caller's view (nothing mapped there) holds for the data. */
		mm_writeback_range(mm, start, end);
		mm_zap_pages(mm, start, end);
		return;
	}
	mm_writeback_range(mm, start, end);
	mm_zap_pages(mm, start, end);
	struct vma **p = vma_link_at(mm, start);
	while (*p && (*p)->start < end) {
		struct vma *v = *p;
		*p = v->next;
		mm->vm_size -= v->end - v->start;
		vma_free(v);
	}
}

/* Top-down search for a free range of len in [lo, hi) (Linux's default
 * layout), bottom-up as a fallback above hi. */
static uint64_t find_area(struct mm *mm, uint64_t len, uint64_t lo, uint64_t hi)
{
	uint64_t best = 0, gap_start = MM_MIN_ADDR;
	bool found = false;
	for (struct vma *v = mm->vmas;; v = v->next) {
		uint64_t gap_end = v ? v->start : top();
		/* Keep the guard gap below a stack. */
		if (v && (v->flags & VMA_GROWSDOWN))
			gap_end = gap_end > MM_STACK_GUARD ? gap_end - MM_STACK_GUARD : 0;
		uint64_t s = gap_start > lo ? gap_start : lo;
		uint64_t e = gap_end < hi ? gap_end : hi;
		if (e > s && e - s >= len) {
			best = e - len;
			found = true;
		}
		if (!v)
			break;
		gap_start = v->end;
	}
	if (found)
		return best;
	return 0;
}

static uint64_t get_area(struct mm *mm, uint64_t len, uint64_t hint, int flags)
{
	if (hint) {
		hint = PAGE_ROUND_UP(hint);
		if (hint >= MM_MIN_ADDR && hint <= top() - len &&
		    vma_free_range(mm, hint, hint + len))
			return hint;
	}
	if (flags & MAP_32BIT)
		return find_area(mm, len, 0x40000000UL, 0x80000000UL);
	uint64_t a = find_area(mm, len, MM_MIN_ADDR, mm->mmap_base);
	if (!a)
		a = find_area(mm, len, mm->mmap_base, top());
	return a;
}

static void populate(struct mm *mm, uint64_t start, uint64_t end)
{
	for (uint64_t va = start; va < end; va += PAGE_SIZE) {
		struct vma *v = vma_lookup(mm, va);
		if (!v || !(v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
			continue;
		if (!(pt_get(mm->pt, va) & PTE_MAPPED) &&
		    mm_populate_page(mm, v, va, (v->prot & PROT_WRITE) && !(v->flags & VMA_SHARED)))
			return;
	}
}

static long mmap_locked(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
			const struct mm_backing *file, uint64_t off, const char *name)
{
	int type = flags & MAP_TYPE;
	unsigned vflags = 0;
	if (flags & MM_MAP_NOWRITE)
		vflags |= VMA_NOMAYWRITE;
	flags &= ~MM_MAP_NOWRITE;
	if (type == MAP_SHARED_VALIDATE) {
		if (flags & ~(MAP_KNOWN | MAP_SYNC))
			return -EOPNOTSUPP;
		if (flags & MAP_SYNC)
			return -EOPNOTSUPP; /* no DAX here */
		type = MAP_SHARED;
	}
	if (type != MAP_SHARED && type != MAP_PRIVATE)
		return -EINVAL;
	if (!len)
		return -EINVAL;
	if (off & ~PAGE_MASK)
		return -EINVAL;
	uint64_t rlen = PAGE_ROUND_UP(len);
	if (!rlen || rlen > top())
		return -ENOMEM;
	if (flags & MAP_ANONYMOUS)
		file = NULL;
	if (file && off + rlen < off)
		return -EOVERFLOW;
	if (type == MAP_SHARED)
		vflags |= VMA_SHARED;
	if (flags & MAP_GROWSDOWN)
		vflags |= VMA_GROWSDOWN;
	if ((vflags & VMA_NOMAYWRITE) && (prot & PROT_WRITE) && type == MAP_SHARED)
		return -EACCES;
	/* A sealed memfd: no new writable shared mapping, and a read-only one
	 * may not become writable (Linux clears VM_MAYWRITE). */
	if (file && file->writers && vma_shared_maywrite(vflags) && file->writers(file->obj, 0)) {
		if (prot & PROT_WRITE)
			return -EPERM;
		vflags |= VMA_NOMAYWRITE;
	}

	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	if (fixed) {
		if (addr & ~PAGE_MASK)
			return -EINVAL;
		if (addr > top() - rlen)
			return -ENOMEM;
		if (addr < MM_MIN_ADDR)
			return -EPERM;
		if (!(flags & MAP_FIXED) && !vma_free_range(mm, addr, addr + rlen))
			return -EEXIST;
	} else {
		addr = get_area(mm, rlen, addr, flags);
		if (!addr)
			return -ENOMEM;
	}

	struct vma *v = vma_new(addr, addr + rlen, prot & (PROT_READ | PROT_WRITE | PROT_EXEC),
				vflags, file, file ? off : 0, name);
	if (!v)
		return -ENOMEM;
	if (flags & MAP_FIXED)
		mm_unmap_locked(mm, addr, addr + rlen);
	vma_insert(mm, v);
	vma_merge(mm, v);
	if (flags & MAP_POPULATE)
		populate(mm, addr, addr + rlen);
	return (long)addr;
}

long mm_mmap_named(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
		   const struct mm_backing *file, uint64_t off, const char *name)
{
	pthread_mutex_lock(&mm->lock);
	long r = mmap_locked(mm, addr, len, prot, flags, file, off, name);
	pthread_mutex_unlock(&mm->lock);
	return r;
}

long mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
	     const struct mm_backing *file, uint64_t off)
{
	return mm_mmap_named(mm, addr, len, prot, flags, file, off, NULL);
}

long mm_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	if ((addr & ~PAGE_MASK) || !len)
		return -EINVAL;
	len = PAGE_ROUND_UP(len);
	if (!len || addr >= top() || len > top() - addr) {
		/* Linux: EINVAL past TASK_SIZE. */
		return -EINVAL;
	}
	pthread_mutex_lock(&mm->lock);
	mm_unmap_locked(mm, addr, addr + len);
	pthread_mutex_unlock(&mm->lock);
	return 0;
}

long mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot)
{
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if ((prot & PROT_GROWSDOWN) && (prot & PROT_GROWSUP))
		return -EINVAL;
	uint64_t end = addr + PAGE_ROUND_UP(len);
	if (end < addr)
		return -ENOMEM;
	if (end == addr)
		return 0;
	prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
	long r = 0;
	pthread_mutex_lock(&mm->lock);
	if (end > top() || !vma_covered(mm, addr, end)) {
		r = -ENOMEM;
		goto out;
	}
	for (struct vma *v = vma_find(mm, addr); v && v->start < end; v = v->next) {
		if ((v->flags & VMA_NOMAYWRITE) && (prot & PROT_WRITE)) {
			r = -EACCES;
			goto out;
		}
	}
	if (vma_clip(mm, addr, end)) {
		r = -ENOMEM;
		goto out;
	}
	for (struct vma *v = vma_find(mm, addr); v && v->start < end; v = v->next) {
		v->prot = prot;
		if (mm_remap_range(mm, v, v->start, v->end))
			r = -ENOMEM;
	}
	/* Merge the changed pieces back with their neighbours. */
	for (struct vma *v = vma_find(mm, addr ? addr - 1 : 0); v && v->start <= end;) {
		struct vma *m = vma_merge(mm, v);
		v = m->next;
	}
out:
	pthread_mutex_unlock(&mm->lock);
	return r;
}

struct move_ctx {
	struct mm *mm;
	uint64_t delta;
	uint64_t frames_moved;
	int err;
};

static void move_one(uint64_t va, uint64_t *e, void *arg)
{
	struct move_ctx *c = arg;
	if (!(*e & PTE_PRESENT)) {
		*e = 0;
		return;
	}
	uint64_t *d = pt_entry(c->mm->pt, va + c->delta, true);
	if (!d) {
		/* Without a table for it the page is lost, like a failed
		 * allocation in Linux's move_page_tables. */
		memfile_unref(PTE_FRAME(*e));
		c->err = -ENOMEM;
	} else {
		*d = PTE_FRAME(*e) | PTE_PRESENT; /* mapped again on first touch */
	}
	*e = 0;
}

/* Moves the VMA piece [old, old+len) to [new, new+new_len): the frames
 * move, not the bytes. */
static long move_range(struct mm *mm, struct vma *v, uint64_t old, uint64_t len, uint64_t new,
		       uint64_t new_len)
{
	struct vma *n = vma_dup(v);
	if (!n)
		return -ENOMEM;
	n->start = new;
	n->end = new + new_len;
	if (n->has_file)
		n->off = v->off + (old - v->start);
	/* The platform gives up the old pages before they appear elsewhere. */
	pf->unmap(mm->as, old, len);
	struct move_ctx c = {.mm = mm, .delta = new - old};
	pt_each(mm->pt, old, old + len, move_one, &c);
	mm_unmap_locked(mm, old, old + len);
	vma_insert(mm, n);
	struct vma *m = vma_merge(mm, n);
	/* They were mapped before: map them back now rather than fault. */
	mm_map_present(mm, m, new, new + (len < new_len ? len : new_len));
	return c.err ? c.err : (long)new;
}

long mm_mremap(struct mm *mm, uint64_t old, uint64_t old_len, uint64_t new_len, int flags,
	       uint64_t new_addr)
{
	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	/* MREMAP_DONTUNMAP is not supported yet (documented in mm.h). */
	if (flags & MREMAP_DONTUNMAP)
		return -EINVAL;
	if (old & ~PAGE_MASK)
		return -EINVAL;
	old_len = PAGE_ROUND_UP(old_len);
	uint64_t nlen = PAGE_ROUND_UP(new_len);
	if (!new_len || !nlen)
		return -EINVAL;
	new_len = nlen;
	/* old_len 0 duplicates a shared mapping in Linux: not supported. */
	if (!old_len)
		return -EINVAL;
	if (old + old_len < old)
		return -EINVAL;

	long r;
	pthread_mutex_lock(&mm->lock);
	struct vma *v = vma_lookup(mm, old);
	if (!v || old + old_len > v->end) {
		r = -EFAULT;
		goto out;
	}
	if (flags & MREMAP_FIXED) {
		if (new_addr & ~PAGE_MASK || new_len > top() || new_addr > top() - new_len) {
			r = -EINVAL;
			goto out;
		}
		if (new_addr < old + old_len && old < new_addr + new_len) {
			r = -EINVAL;
			goto out;
		}
		if (new_addr < MM_MIN_ADDR) {
			r = -EPERM;
			goto out;
		}
		mm_unmap_locked(mm, new_addr, new_addr + new_len);
		v = vma_lookup(mm, old);
		if (old_len > new_len) {
			mm_unmap_locked(mm, old + new_len, old + old_len);
			old_len = new_len;
			v = vma_lookup(mm, old);
		}
		r = move_range(mm, v, old, old_len, new_addr, new_len);
		goto out;
	}
	if (new_len <= old_len) {
		if (new_len < old_len)
			mm_unmap_locked(mm, old + new_len, old + old_len);
		r = (long)old;
		goto out;
	}
	/* Grow in place when the VMA ends here and the room above is free. */
	if (old + old_len == v->end && old + new_len <= top() &&
	    vma_free_range(mm, v->end, old + new_len)) {
		mm->vm_size += old + new_len - v->end;
		v->end = old + new_len;
		vma_merge(mm, v);
		r = (long)old;
		goto out;
	}
	if (!(flags & MREMAP_MAYMOVE)) {
		r = -ENOMEM;
		goto out;
	}
	uint64_t to = get_area(mm, new_len, 0, 0);
	if (!to) {
		r = -ENOMEM;
		goto out;
	}
	r = move_range(mm, v, old, old_len, to, new_len);
out:
	pthread_mutex_unlock(&mm->lock);
	return r;
}

static bool known_advice(int advice)
{
	switch (advice) {
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_WILLNEED:
	case MADV_DONTNEED:
	case MADV_FREE:
	case MADV_REMOVE:
	case MADV_DONTFORK:
	case MADV_DOFORK:
	case MADV_MERGEABLE:
	case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
	case MADV_DONTDUMP:
	case MADV_DODUMP:
	case MADV_WIPEONFORK:
	case MADV_KEEPONFORK:
	case 20: /* MADV_COLD */
	case 21: /* MADV_PAGEOUT */
	case 22: /* MADV_POPULATE_READ */
	case 23: /* MADV_POPULATE_WRITE */
	case 24: /* MADV_DONTNEED_LOCKED */
	case 25: /* MADV_COLLAPSE */
		return true;
	}
	return false;
}

long mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice)
{
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	if (!known_advice(advice))
		return -EINVAL;
	uint64_t end = addr + PAGE_ROUND_UP(len);
	if (end < addr)
		return -EINVAL;
	if (end == addr)
		return 0;
	long r = 0;
	pthread_mutex_lock(&mm->lock);
	if (end > top() || !vma_covered(mm, addr, end))
		r = -ENOMEM; /* Linux still applies the advice to what is mapped */
	for (struct vma *v = vma_find(mm, addr); v && v->start < end; v = v->next) {
		uint64_t s = v->start > addr ? v->start : addr;
		uint64_t e = v->end < end ? v->end : end;
		switch (advice) {
		case MADV_FREE:
			if (v->has_file || (v->flags & VMA_SHARED)) {
				r = -EINVAL;
				goto out;
			}
			/* fall through */
		case MADV_DONTNEED:
		case 24:
			/* Shared memory keeps its contents: only private copies
			 * are dropped (anon reads zero, file pages re-read). */
			if (!(v->flags & VMA_SHARED))
				mm_zap_pages(mm, s, e);
			break;
		case 22:
		case 23:
			if (!mm_access_ok(v, advice == 23 ? PF_ACCESS_WRITE : PF_ACCESS_READ)) {
				r = advice == 23 && !(v->prot & PROT_WRITE) ? -EPERM : -ENOMEM;
				goto out;
			}
			populate(mm, s, e);
			break;
		default:
			break;
		}
	}
out:
	pthread_mutex_unlock(&mm->lock);
	return r;
}

long mm_msync(struct mm *mm, uint64_t addr, uint64_t len, int flags)
{
	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if ((addr & ~PAGE_MASK) || ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		return -EINVAL;
	uint64_t end = addr + PAGE_ROUND_UP(len);
	if (end < addr)
		return -ENOMEM;
	if (end == addr)
		return 0;
	pthread_mutex_lock(&mm->lock);
	/* MS_ASYNC writes back too: the cost is the same and it keeps read()
	 * coherent at once. */
	long r = end > top() || !vma_covered(mm, addr, end) ? -ENOMEM : 0;
	if (!r)
		mm_writeback_range(mm, addr, end);
	pthread_mutex_unlock(&mm->lock);
	return r;
}

void mm_set_brk_start(struct mm *mm, uint64_t start)
{
	pthread_mutex_lock(&mm->lock);
	mm->brk_start = mm->brk = PAGE_ROUND_UP(start);
	pthread_mutex_unlock(&mm->lock);
}

long mm_brk(struct mm *mm, uint64_t addr)
{
	pthread_mutex_lock(&mm->lock);
	long r = (long)mm->brk;
	if (!mm->brk_start || addr < mm->brk_start || addr >= top())
		goto out;
	uint64_t old_end = PAGE_ROUND_UP(mm->brk), new_end = PAGE_ROUND_UP(addr);
	if (new_end < old_end) {
		mm_unmap_locked(mm, new_end, old_end);
	} else if (new_end > old_end) {
		/* The heap may not run into another mapping (or a stack's
		 * guard gap). */
		struct vma *above = vma_find(mm, old_end);
		uint64_t limit = above ? above->start : top();
		if (above && (above->flags & VMA_GROWSDOWN))
			limit = limit > MM_STACK_GUARD ? limit - MM_STACK_GUARD : 0;
		if (new_end > limit)
			goto out;
		struct vma *v =
		    vma_new(old_end, new_end, PROT_READ | PROT_WRITE, 0, NULL, 0, "[heap]");
		if (!v)
			goto out;
		vma_insert(mm, v);
		vma_merge(mm, v);
	}
	mm->brk = addr;
	r = (long)addr;
out:
	pthread_mutex_unlock(&mm->lock);
	return r;
}

long mm_mincore(struct mm *mm, uint64_t addr, uint64_t len, uint64_t vec)
{
	if (addr & ~PAGE_MASK)
		return -EINVAL;
	uint64_t end = addr + PAGE_ROUND_UP(len);
	if (end < addr || end > top())
		return -ENOMEM;
	long r = 0;
	pthread_mutex_lock(&mm->lock);
	if (!vma_covered(mm, addr, end)) {
		r = -ENOMEM;
		goto out;
	}
	unsigned char buf[256];
	uint64_t va = addr, out_at = vec;
	while (va < end) {
		size_t n = 0;
		for (; n < sizeof buf && va < end; n++, va += PAGE_SIZE)
			buf[n] = (pt_get(mm->pt, va) & PTE_PRESENT) ? 1 : 0;
		if (mm_copy_out_locked(mm, out_at, buf, n)) {
			r = -EFAULT;
			goto out;
		}
		out_at += n;
	}
out:
	pthread_mutex_unlock(&mm->lock);
	return r;
}
