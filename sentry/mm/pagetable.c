/* The sentry page table: application page -> memory-file frame, a 4-level
 * radix tree with 9 bits per level like x86-64, so it maps onto KVM page
 * tables later. */
#include <stdlib.h>

#include "sentry/mm/mm_internal.h"

#define PT_BITS 9
#define PT_ENTRIES (1 << PT_BITS)
#define PT_LEVELS 4

struct pt_node {
	void *slot[PT_ENTRIES]; /* next level, or uint64_t entries at the leaf */
};

static unsigned idx(uint64_t va, int level)
{
	/* level 3 is the root (bits 39..47), level 0 the leaf (bits 12..20). */
	return (va >> (PAGE_SHIFT + PT_BITS * level)) & (PT_ENTRIES - 1);
}

void *pt_new(void) { return calloc(1, sizeof(struct pt_node)); }

static void free_node(struct pt_node *n, int level)
{
	if (level > 0)
		for (int i = 0; i < PT_ENTRIES; i++)
			if (n->slot[i])
				free_node(n->slot[i], level - 1);
	free(n);
}

void pt_free(void *pt)
{
	if (pt)
		free_node(pt, PT_LEVELS - 1);
}

uint64_t *pt_entry(void *pt, uint64_t va, bool create)
{
	struct pt_node *n = pt;
	for (int level = PT_LEVELS - 1; level > 0; level--) {
		void **s = &n->slot[idx(va, level)];
		if (!*s) {
			if (!create)
				return NULL;
			/* A leaf is 512 uint64_t entries: the same 4 KiB. */
			*s = calloc(1, sizeof(struct pt_node));
			if (!*s)
				return NULL;
		}
		n = *s;
	}
	return (uint64_t *)n + idx(va, 0);
}

static uint64_t span(int level) { return 1UL << (PAGE_SHIFT + PT_BITS * (level + 1)); }

static void each(struct pt_node *n, int level, uint64_t base, uint64_t start, uint64_t end,
		 pt_fn *fn, void *arg)
{
	uint64_t step = span(level - 1 < 0 ? 0 : level - 1);
	if (level == 0) {
		uint64_t *e = (uint64_t *)n;
		for (unsigned i = idx(start > base ? start : base, 0); i < PT_ENTRIES; i++) {
			uint64_t va = base + ((uint64_t)i << PAGE_SHIFT);
			if (va >= end)
				break;
			if (e[i])
				fn(va, &e[i], arg);
		}
		return;
	}
	for (unsigned i = 0; i < PT_ENTRIES; i++) {
		uint64_t lo = base + i * step;
		if (lo >= end)
			break;
		if (lo + step <= start || !n->slot[i])
			continue;
		each(n->slot[i], level - 1, lo, start, end, fn, arg);
	}
}

void pt_each(void *pt, uint64_t start, uint64_t end, pt_fn *fn, void *arg)
{
	if (start < end)
		each(pt, PT_LEVELS - 1, 0, start, end, fn, arg);
}
