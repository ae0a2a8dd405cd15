/* /proc/<pid>/smaps: each mapping of maps with its memory counts, taken
 * from the sentry's page table.  It reads the mm's VMAs and page table
 * directly (mm_internal.h) under mm->lock: mm has no per-VMA statistics
 * call yet. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sentry/fs/proc/internal.h"
#include "sentry/mm/mm_internal.h"

struct vma_stats {
	uint64_t start, end;
	int prot;
	unsigned flags;
	bool has_file;
	uint64_t rss, pss_x4096, shared, priv; /* bytes (pss scaled by 4096) */
};

static void count_page(uint64_t va, uint64_t *e, void *arg)
{
	struct vma_stats *vs = arg;
	if (!(*e & PTE_PRESENT))
		return;
	unsigned refs = memfile_refcount(PTE_FRAME(*e));
	if (!refs)
		refs = 1;
	vs->rss += 4096;
	vs->pss_x4096 += 4096ULL * 4096 / refs;
	if (refs > 1)
		vs->shared += 4096;
	else
		vs->priv += 4096;
}

/* Every VMA's counts, in address order; *count of them. */
static struct vma_stats *collect(struct mm *mm, size_t *count)
{
	size_t n = 0, cap = 64;
	struct vma_stats *vs = malloc(cap * sizeof *vs);
	if (!vs)
		return NULL;
	pthread_mutex_lock(&mm->lock);
	for (struct vma *v = mm->vmas; v; v = v->next) {
		if (n == cap) {
			struct vma_stats *m = realloc(vs, cap * 2 * sizeof *vs);
			if (!m)
				break;
			vs = m;
			cap *= 2;
		}
		struct vma_stats *s = &vs[n++];
		memset(s, 0, sizeof *s);
		s->start = v->start;
		s->end = v->end;
		s->prot = v->prot;
		s->flags = v->flags;
		s->has_file = v->has_file;
		pt_each(mm->pt, v->start, v->end, count_page, s);
	}
	pthread_mutex_unlock(&mm->lock);
	*count = n;
	return vs;
}

#define ROW(b, name, bytes) sbuf_printf(b, "%-16s%8lu kB\n", name, (unsigned long)((bytes) / 1024))

static void add_stats(struct sbuf *b, const struct vma_stats *s)
{
	/* Anonymous memory has been written (dirty); pages copied from a
	 * file are counted clean: the sentry does not track writes. */
	bool dirty = !s->has_file;
	ROW(b, "Size:", s->end - s->start);
	ROW(b, "KernelPageSize:", 4096);
	ROW(b, "MMUPageSize:", 4096);
	ROW(b, "Rss:", s->rss);
	ROW(b, "Pss:", s->pss_x4096 / 4096);
	ROW(b, "Pss_Dirty:", dirty ? s->pss_x4096 / 4096 : 0);
	ROW(b, "Shared_Clean:", dirty ? 0 : s->shared);
	ROW(b, "Shared_Dirty:", dirty ? s->shared : 0);
	ROW(b, "Private_Clean:", dirty ? 0 : s->priv);
	ROW(b, "Private_Dirty:", dirty ? s->priv : 0);
	ROW(b, "Referenced:", s->rss);
	ROW(b, "Anonymous:", s->has_file || (s->flags & VMA_SHARED) ? 0 : s->rss);
	const char *zero[] = {"KSM:",		 "LazyFree:",	    "AnonHugePages:",
			      "ShmemPmdMapped:", "FilePmdMapped:",  "Shared_Hugetlb:",
			      "Private_Hugetlb:", "Swap:",	    "SwapPss:",
			      "Locked:"};
	for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++)
		ROW(b, zero[i], 0);
	sbuf_printf(b, "THPeligible:    %8d\nVmFlags:", 0);
	bool shared = s->flags & VMA_SHARED;
	if (s->prot & PROT_READ)
		sbuf_printf(b, " rd");
	if (s->prot & PROT_WRITE)
		sbuf_printf(b, " wr");
	if (s->prot & PROT_EXEC)
		sbuf_printf(b, " ex");
	if (shared)
		sbuf_printf(b, " sh");
	sbuf_printf(b, " mr");
	if (!(s->flags & VMA_NOMAYWRITE))
		sbuf_printf(b, " mw");
	sbuf_printf(b, " me");
	if (shared)
		sbuf_printf(b, " ms");
	if (s->flags & VMA_GROWSDOWN)
		sbuf_printf(b, " gd");
	if (!shared && (s->prot & PROT_WRITE))
		sbuf_printf(b, " ac");
	sbuf_printf(b, " \n");
}

int proc_gen_smaps(struct proc_node *n, struct sbuf *b)
{
	struct sbuf maps = {0};
	int r = proc_gen_maps(n, &maps);
	if (r || maps.oom) {
		free(maps.buf);
		return r ? r : -ENOMEM;
	}
	struct proc_snap *s;
	r = proc_snap_take(n, SNAP_MM, &s);
	if (r) {
		free(maps.buf);
		return r;
	}
	size_t count = 0, i = 0;
	struct vma_stats *vs = s->mm ? collect(s->mm, &count) : NULL;
	proc_snap_put(s);
	/* Each maps line, then the counts of the VMA with the same range
	 * (zeros if it changed between the two looks). */
	for (char *line = maps.buf, *end; line && *line; line = end) {
		end = strchrnul(line, '\n');
		if (*end)
			end++;
		sbuf_add(b, line, (size_t)(end - line));
		unsigned long lo = 0, hi = 0;
		sscanf(line, "%lx-%lx", &lo, &hi);
		while (i < count && vs[i].end <= lo)
			i++;
		struct vma_stats zero = {.start = lo, .end = hi};
		add_stats(b, i < count && vs[i].start == lo && vs[i].end == hi ? &vs[i] : &zero);
	}
	free(vs);
	free(maps.buf);
	return 0;
}
