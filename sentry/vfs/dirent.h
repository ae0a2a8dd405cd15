/* Writing getdents64 records: shared by every filesystem's getdents. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The layout of getdents64's records. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

/* Appends one record at buf + *out (size bytes in all); d_off is the
 * position after this entry.  Returns false, writing nothing, when it does
 * not fit. */
static inline bool dirent64_put(void *buf, size_t size, size_t *out, uint64_t ino, int64_t off,
				unsigned char type, const char *name)
{
	size_t nl = strlen(name);
	size_t rec = (offsetof(struct linux_dirent64, d_name) + nl + 1 + 7) & ~(size_t)7;
	if (*out + rec > size)
		return false;
	struct linux_dirent64 *d = (struct linux_dirent64 *)((char *)buf + *out);
	memset(d, 0, rec);
	d->d_ino = ino;
	d->d_off = off;
	d->d_reclen = (uint16_t)rec;
	d->d_type = type;
	memcpy(d->d_name, name, nl);
	*out += rec;
	return true;
}
