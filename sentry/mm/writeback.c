/* Write-back of MAP_SHARED file mappings: present pages handed to the
 * file's backing on msync and before the pages go. */
#include "sentry/mm/mm_internal.h"

struct wb_ctx {
	struct vma *v;
};

static void wb_one(uint64_t va, uint64_t *e, void *arg)
{
	struct wb_ctx *c = arg;
	if (!(*e & PTE_PRESENT))
		return;
	struct vma *v = c->v;
	v->file.writeback(v->file.obj, (v->off + (va - v->start)) >> PAGE_SHIFT, PTE_FRAME(*e));
}

void mm_writeback_range(struct mm *mm, uint64_t start, uint64_t end)
{
	for (struct vma *v = vma_find(mm, start); v && v->start < end; v = v->next) {
		if (!v->has_file || !v->file.writeback || !vma_shared_maywrite(v->flags))
			continue;
		struct wb_ctx c = {.v = v};
		pt_each(mm->pt, v->start > start ? v->start : start, v->end < end ? v->end : end,
			wb_one, &c);
	}
}
