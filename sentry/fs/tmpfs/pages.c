/* The page index of tmpfs regular files: a four-level radix tree of
 * memory-file frames, allocated as pages are written, so sparse files cost
 * nothing for their holes. */
#include <stdlib.h>

#include "sentry/fs/tmpfs/internal.h"
#include "sentry/mm/mm.h"

#define FANOUT_SHIFT 9
#define FANOUT (1U << FANOUT_SHIFT)
#define LEVELS 4

/* Interior nodes hold child pointers, leaves memory-file offset + 1. */
struct node {
	uint64_t slot[FANOUT];
};

static unsigned index_at(uint64_t pgoff, int level)
{
	return (unsigned)(pgoff >> (FANOUT_SHIFT * (LEVELS - 1 - level))) & (FANOUT - 1);
}

uint64_t *tmpfs_page_slot(struct tmpfs_pages *p, uint64_t pgoff, bool create)
{
	if (pgoff >> (FANOUT_SHIFT * LEVELS))
		return NULL;
	void **link = &p->root;
	for (int level = 0;; level++) {
		if (!*link) {
			if (!create || !(*link = calloc(1, sizeof(struct node))))
				return NULL;
		}
		struct node *n = *link;
		uint64_t *s = &n->slot[index_at(pgoff, level)];
		if (level == LEVELS - 1)
			return s;
		link = (void **)s;
	}
}

/* Frees the pages >= from under n (level), and n itself if it covers
 * nothing kept (base: first page n covers).  Returns frames dropped. */
static uint64_t trunc_node(struct node *n, int level, uint64_t base, uint64_t from, bool *freed)
{
	unsigned shift = FANOUT_SHIFT * (LEVELS - 1 - level);
	uint64_t dropped = 0;
	bool keep = false;
	for (unsigned i = 0; i < FANOUT; i++) {
		if (!n->slot[i])
			continue;
		uint64_t lo = base + ((uint64_t)i << shift);
		uint64_t hi = lo + (1ULL << shift); /* exclusive */
		if (hi <= from) {
			keep = true;
			continue;
		}
		if (level == LEVELS - 1) {
			memfile_unref(n->slot[i] - 1);
			n->slot[i] = 0;
			dropped++;
			continue;
		}
		bool child_freed;
		dropped += trunc_node((struct node *)(uintptr_t)n->slot[i], level + 1, lo, from,
				      &child_freed);
		if (child_freed)
			n->slot[i] = 0;
		else
			keep = true;
	}
	*freed = !keep;
	if (!keep)
		free(n);
	return dropped;
}

uint64_t tmpfs_pages_truncate(struct tmpfs_pages *p, uint64_t from)
{
	if (!p->root)
		return 0;
	bool freed;
	uint64_t n = trunc_node(p->root, 0, 0, from, &freed);
	if (freed)
		p->root = NULL;
	return n;
}
