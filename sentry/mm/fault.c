/* Demand paging: resolving faults with 64 KiB fault-around, copy-on-write
 * breaks, and the batched platform map/unmap calls behind them. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "common/log.h"
#include "sentry/mm/mm_internal.h"

/* Each platform map costs ~15-20 us on ptrace: populate and map a window
 * of neighbours with one call. */
#define FA_PAGES 16
#define FA_SIZE (FA_PAGES * PAGE_SIZE)

bool mm_access_ok(const struct vma *v, int access)
{
	int prot = v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
	if (!prot)
		return false;
	if ((access & PF_ACCESS_WRITE) && !(prot & PROT_WRITE))
		return false;
	if ((access & PF_ACCESS_EXEC) && !(prot & PROT_EXEC))
		return false;
	/* x86 reads anything that is present. */
	return true;
}

int mm_effective_prot(const struct vma *v, uint64_t e)
{
	int prot = v->prot & (PROT_READ | PROT_WRITE | PROT_EXEC);
	if ((prot & PROT_WRITE) && !(v->flags & VMA_SHARED) && memfile_refcount(PTE_FRAME(e)) > 1)
		prot &= ~PROT_WRITE;
	return prot;
}

/* Accumulates contiguous platform maps (prot > 0) or unmaps (prot 0) so
 * that a run of pages costs one call. */
struct batch {
	struct mm *mm;
	uint64_t va, len, off;
	int prot;
	int err;
};

static void batch_flush(struct batch *b)
{
	if (!b->len)
		return;
	int e = b->prot ? pf->map(b->mm->as, b->va, b->len, b->prot, b->off)
			: pf->unmap(b->mm->as, b->va, b->len);
	if (e) {
		log_warn("mm: platform %s of 0x%lx+0x%lx failed: %d", b->prot ? "map" : "unmap",
			 (unsigned long)b->va, (unsigned long)b->len, e);
		if (!b->err)
			b->err = e;
	}
	b->len = 0;
}

static void batch_add(struct batch *b, uint64_t va, uint64_t off, int prot)
{
	if (b->len && b->va + b->len == va && b->prot == prot &&
	    (!prot || b->off + b->len == off)) {
		b->len += PAGE_SIZE;
		return;
	}
	batch_flush(b);
	b->va = va;
	b->off = off;
	b->prot = prot;
	b->len = PAGE_SIZE;
}

static uint64_t mapped_entry(uint64_t e, int prot)
{
	e &= ~(PTE_MAPPED | PTE_PROT_MASK);
	if (prot)
		e |= PTE_MAPPED | ((uint64_t)prot << PTE_PROT_SHIFT);
	return e;
}

/* Reads the file bytes of pages [va, va+len) of v into the frames at off;
 * bytes past the end of the file stay zero. */
static int fill_from_file(struct vma *v, uint64_t va, uint64_t len, uint64_t off)
{
	char *dst = memfile_ptr(off);
	uint64_t foff = v->off + (va - v->start);
	size_t got = 0;
	while (got < len) {
		ssize_t r = v->file.pread(v->file.obj, dst + got, len - got, foff + got);
		if (r == -EINTR)
			continue;
		if (r < 0)
			return -EIO;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	return 0;
}

/* fill_window for a file whose pages are memory-file frames already
 * (mm_backing.frame): the untouched pages of the window take references on
 * the file's own frames.  Only the faulting page's failure counts: the
 * neighbours may lie past the end of the file. */
static int fill_window_frames(struct mm *mm, struct vma *v, uint64_t va, uint64_t ws, uint64_t we)
{
	struct batch b = {.mm = mm};
	for (uint64_t p = ws; p < we; p += PAGE_SIZE) {
		uint64_t *e = pt_entry(mm->pt, p, true);
		if (!e)
			return -ENOMEM;
		if (!(*e & PTE_PRESENT)) {
			int64_t f = v->file.frame(v->file.obj, (v->off + (p - v->start)) >> PAGE_SHIFT);
			if (f < 0) {
				if (p == va)
					return f == -ENOMEM ? -ENOMEM : -EIO;
				continue;
			}
			*e = (uint64_t)f | PTE_PRESENT;
		}
		if (!(*e & PTE_MAPPED)) {
			int prot = mm_effective_prot(v, *e);
			if (prot) {
				batch_add(&b, p, PTE_FRAME(*e), prot);
				*e = mapped_entry(*e, prot);
			}
		}
	}
	batch_flush(&b);
	if (b.err) {
		for (uint64_t p = ws; p < we; p += PAGE_SIZE) {
			uint64_t *e = pt_entry(mm->pt, p, false);
			if (e)
				*e &= ~(PTE_MAPPED | PTE_PROT_MASK);
		}
		return -ENOMEM;
	}
	return 0;
}

/* Gives frames to the untouched pages of the fault-around window of va
 * (one contiguous allocation) and maps every unmapped page of it. */
static int fill_window(struct mm *mm, struct vma *v, uint64_t va)
{
	uint64_t ws = va & ~(FA_SIZE - 1), we = ws + FA_SIZE;
	if (ws < v->start)
		ws = v->start;
	if (we > v->end)
		we = v->end;
	if (v->has_file && v->file.frame)
		return fill_window_frames(mm, v, va, ws, we);
	uint64_t *ents[FA_PAGES];
	size_t n = (we - ws) >> PAGE_SHIFT, missing = 0;
	for (size_t i = 0; i < n; i++) {
		ents[i] = pt_entry(mm->pt, ws + (i << PAGE_SHIFT), true);
		if (!ents[i])
			return -ENOMEM;
		if (!(*ents[i] & PTE_PRESENT))
			missing++;
	}
	int64_t frames = memfile_alloc(missing);
	if (frames < 0) {
		/* Fragmented or nearly full: the faulting page alone. */
		ents[0] = ents[(va - ws) >> PAGE_SHIFT];
		ws = va;
		n = 1;
		missing = 1;
		frames = memfile_alloc(1);
		if (frames < 0)
			return -ENOMEM;
	}

	/* Give frames in address order so runs stay contiguous. */
	uint64_t next = (uint64_t)frames;
	uint64_t fresh[FA_PAGES];
	bool isfresh[FA_PAGES];
	for (size_t i = 0; i < n; i++) {
		isfresh[i] = !(*ents[i] & PTE_PRESENT);
		if (!isfresh[i])
			continue;
		fresh[i] = next;
		next += PAGE_SIZE;
	}
	if (v->has_file) {
		for (size_t i = 0; i < n;) {
			if (!isfresh[i]) {
				i++;
				continue;
			}
			size_t j = i + 1;
			while (j < n && isfresh[j])
				j++;
			if (fill_from_file(v, ws + (i << PAGE_SHIFT), (j - i) << PAGE_SHIFT,
					   fresh[i])) {
				for (size_t k = 0; k < n; k++)
					if (isfresh[k])
						memfile_unref(fresh[k]);
				return -EIO;
			}
			i = j;
		}
	}

	struct batch b = {.mm = mm};
	for (size_t i = 0; i < n; i++) {
		uint64_t e = *ents[i];
		if (isfresh[i])
			e = fresh[i] | PTE_PRESENT;
		if (!(e & PTE_MAPPED)) {
			int prot = mm_effective_prot(v, e);
			if (prot) {
				batch_add(&b, ws + (i << PAGE_SHIFT), PTE_FRAME(e), prot);
				e = mapped_entry(e, prot);
			}
		}
		*ents[i] = e;
	}
	batch_flush(&b);
	if (b.err) {
		/* Nothing is mapped for sure: let the next access retry. */
		for (size_t i = 0; i < n; i++)
			*ents[i] &= ~(PTE_MAPPED | PTE_PROT_MASK);
		return -ENOMEM;
	}
	return 0;
}

int mm_populate_page(struct mm *mm, struct vma *v, uint64_t va, bool write)
{
	va &= PAGE_MASK;
	uint64_t *e = pt_entry(mm->pt, va, true);
	if (!e)
		return -ENOMEM;
	if (!(*e & PTE_PRESENT)) {
		int r = fill_window(mm, v, va);
		if (r)
			return r;
	}
	if (write && !(v->flags & VMA_SHARED) && memfile_refcount(PTE_FRAME(*e)) > 1) {
		/* Copy-on-write: this side gets its own copy; the other
		 * sharers keep the old frame (read-only until they write). */
		int64_t f = memfile_alloc(1);
		if (f < 0)
			return -ENOMEM;
		memcpy(memfile_ptr((uint64_t)f), memfile_ptr(PTE_FRAME(*e)), PAGE_SIZE);
		memfile_unref(PTE_FRAME(*e));
		*e = (uint64_t)f | PTE_PRESENT;
	}
	int prot = mm_effective_prot(v, *e);
	if ((*e & PTE_MAPPED) && PTE_PROT(*e) == prot)
		return 0;
	if (!prot)
		return 0;
	int r = pf->map(mm->as, va, PAGE_SIZE, prot, PTE_FRAME(*e));
	if (r) {
		*e = mapped_entry(*e, 0);
		return -ENOMEM;
	}
	*e = mapped_entry(*e, prot);
	return 0;
}

static void unmark_one(uint64_t va, uint64_t *e, void *arg) { *e = mapped_entry(*e, 0); }

struct remap_ctx {
	struct vma *v;
	struct batch b;
};

static void remap_one(uint64_t va, uint64_t *e, void *arg)
{
	struct remap_ctx *c = arg;
	if (!(*e & PTE_MAPPED))
		return;
	int prot = mm_effective_prot(c->v, *e);
	if (prot == PTE_PROT(*e))
		return;
	batch_add(&c->b, va, PTE_FRAME(*e), prot);
	*e = mapped_entry(*e, prot);
}

int mm_remap_range(struct mm *mm, struct vma *v, uint64_t start, uint64_t end)
{
	struct remap_ctx c = {.v = v, .b = {.mm = mm}};
	pt_each(mm->pt, start, end, remap_one, &c);
	batch_flush(&c.b);
	return c.b.err;
}

static void map_one(uint64_t va, uint64_t *e, void *arg)
{
	struct remap_ctx *c = arg;
	if ((*e & (PTE_PRESENT | PTE_MAPPED)) != PTE_PRESENT)
		return;
	int prot = mm_effective_prot(c->v, *e);
	if (!prot)
		return;
	batch_add(&c->b, va, PTE_FRAME(*e), prot);
	*e = mapped_entry(*e, prot);
}

int mm_map_present(struct mm *mm, struct vma *v, uint64_t start, uint64_t end)
{
	struct remap_ctx c = {.v = v, .b = {.mm = mm}};
	pt_each(mm->pt, start, end, map_one, &c);
	batch_flush(&c.b);
	if (c.b.err)
		pt_each(mm->pt, start, end, unmark_one, NULL);
	return c.b.err;
}

#define ZAP_BATCH 256

struct zap_ctx {
	uint64_t frames[ZAP_BATCH];
	size_t n;
	uint64_t lo, hi; /* platform-mapped span */
};

static void span_one(uint64_t va, uint64_t *e, void *arg)
{
	struct zap_ctx *c = arg;
	if (!(*e & PTE_MAPPED))
		return;
	if (c->lo == c->hi)
		c->lo = va;
	c->hi = va + PAGE_SIZE;
}

static void zap_one(uint64_t va, uint64_t *e, void *arg)
{
	struct zap_ctx *c = arg;
	if (*e & PTE_PRESENT) {
		c->frames[c->n++] = PTE_FRAME(*e);
		if (c->n == ZAP_BATCH) {
			memfile_unref_many(c->frames, c->n);
			c->n = 0;
		}
	}
	*e = 0;
}

void mm_zap_pages(struct mm *mm, uint64_t start, uint64_t end)
{
	struct zap_ctx c = {.n = 0, .lo = 0, .hi = 0};
	/* The platform lets go of the frames before they can be reused. */
	pt_each(mm->pt, start, end, span_one, &c);
	if (c.hi > c.lo && pf->unmap(mm->as, c.lo, c.hi - c.lo))
		log_warn("mm: platform unmap of 0x%lx+0x%lx failed", (unsigned long)c.lo,
			 (unsigned long)(c.hi - c.lo));
	pt_each(mm->pt, start, end, zap_one, &c);
	if (c.n)
		memfile_unref_many(c.frames, c.n);
}

/* A fault just below a growsdown VMA extends it (keeping Linux's guard gap
 * to the mapping beneath). */
static struct vma *grow_stack(struct mm *mm, uint64_t addr)
{
	struct vma *prev = NULL, *v = mm->vmas;
	while (v && v->end <= addr) {
		prev = v;
		v = v->next;
	}
	if (!v || !(v->flags & VMA_GROWSDOWN) || v->start <= addr)
		return NULL;
	uint64_t start = addr & PAGE_MASK;
	if (start < MM_MIN_ADDR || (prev && prev->end + MM_STACK_GUARD > start))
		return NULL;
	mm->vm_size += v->start - start;
	v->start = start;
	return v;
}

static int fault_locked(struct mm *mm, uint64_t addr, int access, int *si_code)
{
	if (addr >= pf->max_addr) {
		*si_code = SEGV_MAPERR;
		return -EFAULT;
	}
	struct vma *v = vma_lookup(mm, addr);
	if (!v)
		v = grow_stack(mm, addr);
	if (!v) {
		*si_code = SEGV_MAPERR;
		return -EFAULT;
	}
	uint64_t e = pt_get(mm->pt, addr & PAGE_MASK);
	bool write = access & PF_ACCESS_WRITE;
	if (!access && (e & PTE_MAPPED) && *si_code == SEGV_ACCERR) {
		/* The platform cannot tell the access kind: a protection fault
		 * on a page mapped read-only only for copy-on-write is a write. */
		if ((PTE_PROT(e) & PROT_WRITE) || !(v->prot & PROT_WRITE)) {
			*si_code = SEGV_ACCERR;
			/* Writable already: another thread's copy-on-write may
			 * have upgraded it after this fault was taken (ptrace
			 * reports faults late), or it is an instruction fetch
			 * from a data page.  The caller retries once. */
			return (PTE_PROT(e) & PROT_WRITE) ? -EAGAIN : -EFAULT;
		}
		write = true;
	}
	if (!mm_access_ok(v, access | (write ? PF_ACCESS_WRITE : 0))) {
		*si_code = SEGV_ACCERR;
		return -EFAULT;
	}
	return mm_populate_page(mm, v, addr, write);
}

int mm_fault(struct mm *mm, uint64_t addr, int access, int *si_code)
{
	pthread_mutex_lock(&mm->lock);
	int r = fault_locked(mm, addr, access, si_code);
	pthread_mutex_unlock(&mm->lock);
	if (r && r != -EFAULT && r != -EAGAIN)
		DEBUG("mm: fault at 0x%lx: %d", (unsigned long)addr, r);
	return r;
}
