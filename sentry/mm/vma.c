/* VMAs: the sorted list of an address space's mappings, split and merged as
 * mmap, munmap and mprotect carve ranges. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/mm/mm_internal.h"

struct vma **vma_link_at(struct mm *mm, uint64_t addr)
{
	struct vma **p = &mm->vmas;
	while (*p && (*p)->end <= addr)
		p = &(*p)->next;
	return p;
}

struct vma *vma_find(struct mm *mm, uint64_t addr) { return *vma_link_at(mm, addr); }

struct vma *vma_lookup(struct mm *mm, uint64_t addr)
{
	struct vma *v = vma_find(mm, addr);
	return v && v->start <= addr ? v : NULL;
}

struct vma *vma_new(uint64_t start, uint64_t end, int prot, unsigned flags,
		    const struct mm_backing *file, uint64_t off, const char *name)
{
	struct vma *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	if (name && !(v->name = strdup(name))) {
		free(v);
		return NULL;
	}
	v->start = start;
	v->end = end;
	v->prot = prot;
	v->flags = flags;
	v->off = off;
	if (file) {
		v->file = *file;
		v->has_file = true;
		if (file->get)
			file->get(file->obj);
		if (file->writers && vma_shared_maywrite(flags))
			file->writers(file->obj, 1);
	}
	return v;
}

struct vma *vma_dup(const struct vma *v)
{
	struct vma *n = vma_new(v->start, v->end, v->prot, v->flags, v->has_file ? &v->file : NULL,
				v->off, v->name);
	return n;
}

void vma_free(struct vma *v)
{
	if (!v)
		return;
	if (v->has_file && v->file.writers && vma_shared_maywrite(v->flags))
		v->file.writers(v->file.obj, -1);
	if (v->has_file && v->file.put)
		v->file.put(v->file.obj);
	free(v->name);
	free(v);
}

void vma_insert(struct mm *mm, struct vma *v)
{
	struct vma **p = vma_link_at(mm, v->start);
	v->next = *p;
	*p = v;
	mm->vm_size += v->end - v->start;
}

int vma_split(struct vma *v, uint64_t addr)
{
	struct vma *hi = vma_dup(v);
	if (!hi)
		return -ENOMEM;
	hi->start = addr;
	if (hi->has_file)
		hi->off += addr - v->start;
	hi->next = v->next;
	v->end = addr;
	v->next = hi;
	return 0;
}

static bool same_name(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

/* True if b can be appended to a (a->end == b->start). */
static bool mergeable(const struct vma *a, const struct vma *b)
{
	if (a->end != b->start || a->prot != b->prot || a->flags != b->flags ||
	    a->has_file != b->has_file || !same_name(a->name, b->name))
		return false;
	if (!a->has_file)
		return true;
	return a->file.obj == b->file.obj && a->file.pread == b->file.pread &&
	       a->off + (a->end - a->start) == b->off;
}

struct vma *vma_merge(struct mm *mm, struct vma *v)
{
	struct vma **p = &mm->vmas, *prev = NULL;
	while (*p && *p != v) {
		prev = *p;
		p = &(*p)->next;
	}
	if (!*p)
		return v;
	struct vma *next = v->next;
	if (next && mergeable(v, next)) {
		v->end = next->end;
		v->next = next->next;
		vma_free(next);
	}
	if (prev && mergeable(prev, v)) {
		prev->end = v->end;
		prev->next = v->next;
		vma_free(v);
		return prev;
	}
	return v;
}

bool vma_covered(struct mm *mm, uint64_t start, uint64_t end)
{
	uint64_t at = start;
	for (struct vma *v = vma_find(mm, start); v && at < end; v = v->next) {
		if (v->start > at)
			return false;
		at = v->end;
	}
	return at >= end;
}

bool vma_free_range(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v = vma_find(mm, start);
	return !v || v->start >= end;
}

int vma_clip(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v = vma_lookup(mm, start);
	if (v && v->start < start && vma_split(v, start))
		return -ENOMEM;
	v = end ? vma_lookup(mm, end - 1) : NULL;
	if (v && v->end > end && vma_split(v, end))
		return -ENOMEM;
	return 0;
}
