/* Internals shared by the files of sentry/mm: VMAs, page-table entries and
 * the helpers that run with mm->lock held. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "sentry/mm/mm.h"

/* ---- VMAs (vma.c) ---- */

#define VMA_SHARED 1	 /* frames stay shared across fork (MAP_SHARED) */
#define VMA_GROWSDOWN 2	 /* a stack that grows on faults just below it */
#define VMA_NOMAYWRITE 4 /* shared mapping of a file not open for writing */

struct vma {
	uint64_t start, end;
	int prot;	/* PROT_* of the application */
	unsigned flags; /* VMA_* */
	bool has_file;	/* file holds a reference (backing->get) */
	struct mm_backing file;
	uint64_t off; /* file offset of start */
	char *name;   /* path or [heap]-like label, NULL for plain anon */
	struct vma *next;
};

/* The first VMA with end > addr (it may start above addr), or NULL. */
struct vma *vma_find(struct mm *mm, uint64_t addr);
/* The VMA containing addr, or NULL. */
struct vma *vma_lookup(struct mm *mm, uint64_t addr);
/* Link pointer that refers to the first VMA with end > addr. */
struct vma **vma_link_at(struct mm *mm, uint64_t addr);
struct vma *vma_new(uint64_t start, uint64_t end, int prot, unsigned flags,
		    const struct mm_backing *file, uint64_t off, const char *name);
struct vma *vma_dup(const struct vma *v);
void vma_free(struct vma *v);
/* Inserts v into the sorted list (the range must be free). */
void vma_insert(struct mm *mm, struct vma *v);
/* Splits v at addr (v->start < addr < v->end): v keeps the low part. */
int vma_split(struct vma *v, uint64_t addr);
/* Merges v with compatible neighbours; returns the VMA now covering v. */
struct vma *vma_merge(struct mm *mm, struct vma *v);
/* True if [start, end) is entirely covered by VMAs. */
bool vma_covered(struct mm *mm, uint64_t start, uint64_t end);
/* True if no VMA intersects [start, end). */
bool vma_free_range(struct mm *mm, uint64_t start, uint64_t end);
/* Splits VMAs so that start and end fall on VMA boundaries (ENOMEM). */
int vma_clip(struct mm *mm, uint64_t start, uint64_t end);

/* ---- Sentry page table (pagetable.c) ---- */

/* An entry is a memory-file offset plus flags in the low 12 bits. */
#define PTE_PRESENT 1UL	 /* holds a frame */
#define PTE_MAPPED 2UL	 /* the platform maps it with the prot below */
#define PTE_PROT_SHIFT 2 /* PF_PROT_* of the platform mapping */
#define PTE_PROT_MASK (7UL << PTE_PROT_SHIFT)
#define PTE_FRAME(e) ((e)&PAGE_MASK)
#define PTE_PROT(e) ((int)(((e)&PTE_PROT_MASK) >> PTE_PROT_SHIFT))

void *pt_new(void);
void pt_free(void *pt);
/* The entry for va; with create, allocates missing tables (NULL if out of
 * memory), otherwise NULL when no table covers va. */
uint64_t *pt_entry(void *pt, uint64_t va, bool create);
static inline uint64_t pt_get(void *pt, uint64_t va)
{
	uint64_t *e = pt_entry(pt, va, false);
	return e ? *e : 0;
}
/* Calls fn for every non-zero entry in [start, end), in address order. */
typedef void pt_fn(uint64_t va, uint64_t *e, void *arg);
void pt_each(void *pt, uint64_t start, uint64_t end, pt_fn *fn, void *arg);

/* ---- Memory file internals (memfile.c) ---- */

/* Drops one reference on each of n frames, punching freed runs in one go. */
void memfile_unref_many(const uint64_t *offs, size_t n);

/* ---- Paging (fault.c) ---- */

/* The application prot to give the platform for a present entry in v:
 * read-only while a private frame is shared (copy-on-write). */
int mm_effective_prot(const struct vma *v, uint64_t e);
/* Makes the page at va (inside v) present and mapped, writable in the
 * sentry's sense when write (copy-on-write broken).  Does not check prot. */
int mm_populate_page(struct mm *mm, struct vma *v, uint64_t va, bool write);
/* Re-issues platform mappings for present pages of [start, end) inside v
 * after a prot change or a frame-sharing change: maps them with their
 * effective prot, or unmaps them if that is PROT_NONE. */
int mm_remap_range(struct mm *mm, struct vma *v, uint64_t start, uint64_t end);
/* Maps the present but unmapped pages of [start, end) inside v. */
int mm_map_present(struct mm *mm, struct vma *v, uint64_t start, uint64_t end);
/* Offers the present pages of the written-back shared file mappings in
 * [start, end) to their files (mm_backing.writeback; writeback.c). */
void mm_writeback_range(struct mm *mm, uint64_t start, uint64_t end);
/* Whether v's VMA counts as a possibly-written shared file mapping. */
static inline bool vma_shared_maywrite(unsigned flags)
{
	return (flags & VMA_SHARED) && !(flags & VMA_NOMAYWRITE);
}
/* Frees the frames of [start, end) and unmaps them from the platform. */
void mm_zap_pages(struct mm *mm, uint64_t start, uint64_t end);
/* Access check of v against PF_ACCESS_* bits. */
bool mm_access_ok(const struct vma *v, int access);

/* ---- Locked variants (mmap.c, usercopy.c) ---- */

/* Removes the VMAs and pages of [start, end). */
void mm_unmap_locked(struct mm *mm, uint64_t start, uint64_t end);
int mm_copy_out_locked(struct mm *mm, uint64_t dst, const void *src, size_t n);

/* Lowest address the application may map (Linux's mmap_min_addr). */
#define MM_MIN_ADDR 0x10000UL
/* The gap between the top of the mmap area and the address-space top
 * (Linux's minimum for an 8 MiB stack rlimit). */
#define MM_STACK_GAP (128UL << 20)
/* Linux's stack_guard_gap: room kept below a growsdown VMA. */
#define MM_STACK_GUARD (256UL * PAGE_SIZE)
