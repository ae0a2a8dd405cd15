/* /proc/PID/maps text for an address space. */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "sentry/mm/mm_internal.h"

/* Linux pads the name to this column (25 + 6 * sizeof(void *) - 1). */
#define MAPS_NAME_COL 72

size_t mm_format_maps(struct mm *mm, char *buf, size_t size)
{
	size_t used = 0;
	char line[4096 + 128];
	pthread_mutex_lock(&mm->lock);
	for (struct vma *v = mm->vmas; v; v = v->next) {
		const char *name = v->name;
		if (!name && mm->stack_top && v->start < mm->stack_top && mm->stack_top <= v->end)
			name = "[stack]";
		int n = snprintf(line, sizeof line, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu ",
				 (unsigned long)v->start, (unsigned long)v->end,
				 v->prot & PROT_READ ? 'r' : '-', v->prot & PROT_WRITE ? 'w' : '-',
				 v->prot & PROT_EXEC ? 'x' : '-', v->flags & VMA_SHARED ? 's' : 'p',
				 (unsigned long)v->off, 0, 0, 0UL);
		if (n < 0)
			break;
		if (name) {
			int pad = MAPS_NAME_COL - n;
			n += snprintf(line + n, sizeof line - (size_t)n, "%*s %s",
				      pad > 0 ? pad : 0, "", name);
			if ((size_t)n >= sizeof line - 1)
				n = sizeof line - 2;
		}
		line[n++] = '\n';
		if (used + (size_t)n > size)
			break;
		memcpy(buf + used, line, (size_t)n);
		used += (size_t)n;
	}
	pthread_mutex_unlock(&mm->lock);
	return used;
}
