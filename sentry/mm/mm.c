/* Address-space lifetime: creation, references, teardown and fork. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "common/log.h"
#include "sentry/mm/mm_internal.h"

struct mm *mm_new(void)
{
	struct mm *mm = calloc(1, sizeof *mm);
	if (!mm)
		return NULL;
	mm->pt = pt_new();
	if (!mm->pt) {
		free(mm);
		return NULL;
	}
	mm->as = pf->as_new();
	if (!mm->as) {
		pt_free(mm->pt);
		free(mm);
		return NULL;
	}
	pthread_mutex_init(&mm->lock, NULL);
	mm->refs = 1;
	/* Linux's layout: the stack at the top, mmap below a gap for it. */
	mm->stack_top = pf->max_addr;
	mm->mmap_base = PAGE_ROUND_DOWN(pf->max_addr - MM_STACK_GAP);
	return mm;
}

struct mm *mm_get(struct mm *mm)
{
	__atomic_add_fetch(&mm->refs, 1, __ATOMIC_RELAXED);
	return mm;
}

static void free_frame(uint64_t va, uint64_t *e, void *arg)
{
	if (*e & PTE_PRESENT)
		memfile_unref(PTE_FRAME(*e));
}

void mm_put(struct mm *mm)
{
	if (!mm || __atomic_sub_fetch(&mm->refs, 1, __ATOMIC_ACQ_REL))
		return;
	/* The platform address space goes first and with it every mapping
	 * of the frames freed below. */
	mm_writeback_range(mm, 0, pf->max_addr);
	pf->as_free(mm->as);
	pt_each(mm->pt, 0, pf->max_addr, free_frame, NULL);
	pt_free(mm->pt);
	while (mm->vmas) {
		struct vma *v = mm->vmas;
		mm->vmas = v->next;
		vma_free(v);
	}
	pthread_mutex_destroy(&mm->lock);
	free(mm);
}

struct fork_ctx {
	struct mm *child;
	int err;
};

static void share_frame(uint64_t va, uint64_t *e, void *arg)
{
	struct fork_ctx *c = arg;
	if (!(*e & PTE_PRESENT))
		return;
	uint64_t *d = pt_entry(c->child->pt, va, true);
	if (!d) {
		c->err = -ENOMEM;
		return;
	}
	memfile_ref(PTE_FRAME(*e));
	/* The child maps its pages when it first touches them. */
	*d = PTE_FRAME(*e) | PTE_PRESENT;
}

struct mm *mm_fork(struct mm *mm)
{
	struct mm *c = mm_new();
	if (!c)
		return NULL;
	pthread_mutex_lock(&mm->lock);
	c->brk_start = mm->brk_start;
	c->brk = mm->brk;
	c->mmap_base = mm->mmap_base;
	c->stack_top = mm->stack_top;
	c->arg_start = mm->arg_start;
	c->arg_end = mm->arg_end;
	c->env_start = mm->env_start;
	c->env_end = mm->env_end;
	c->auxv_start = mm->auxv_start;
	c->auxv_end = mm->auxv_end;
	struct vma **tail = &c->vmas;
	struct fork_ctx fc = {.child = c};
	for (struct vma *v = mm->vmas; v; v = v->next) {
		struct vma *n = vma_dup(v);
		if (!n) {
			fc.err = -ENOMEM;
			break;
		}
		*tail = n;
		tail = &n->next;
		c->vm_size += n->end - n->start;
		pt_each(mm->pt, v->start, v->end, share_frame, &fc);
		/* Private pages become read-only on this side too. */
		if (!(v->flags & VMA_SHARED) && (v->prot & PROT_WRITE))
			mm_remap_range(mm, v, v->start, v->end);
		if (fc.err)
			break;
	}
	pthread_mutex_unlock(&mm->lock);
	if (fc.err) {
		mm_put(c);
		return NULL;
	}
	return c;
}

int mm_addr_shared(struct mm *mm, uint64_t addr)
{
	pthread_mutex_lock(&mm->lock);
	struct vma *v = vma_lookup(mm, addr);
	int r = !v ? -EFAULT : (v->flags & VMA_SHARED) ? 1 : 0;
	pthread_mutex_unlock(&mm->lock);
	return r;
}
