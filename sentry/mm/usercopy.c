/* Checked copies between sentry buffers and application memory, through
 * the sentry's own mapping of the memory file. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "sentry/mm/mm_internal.h"

/* Populates the page of va for the copy, checking the VMA's prot. */
static char *page_slow(struct mm *mm, uint64_t va, bool write)
{
	if (va >= pf->max_addr)
		return NULL;
	struct vma *v = vma_lookup(mm, va);
	if (!v || !mm_access_ok(v, write ? PF_ACCESS_WRITE : PF_ACCESS_READ))
		return NULL;
	if (mm_populate_page(mm, v, va, write))
		return NULL;
	uint64_t e = pt_get(mm->pt, va & PAGE_MASK);
	if (!(e & PTE_PRESENT))
		return NULL;
	return (char *)memfile_ptr(PTE_FRAME(e)) + (va & ~PAGE_MASK);
}

/* The sentry address of application byte va, or NULL (-EFAULT).  A page
 * the platform maps with the needed access is usable as is: its platform
 * prot already reflects the VMA's (and copy-on-write). */
static inline char *page_ptr(struct mm *mm, uint64_t va, bool write)
{
	uint64_t e = pt_get(mm->pt, va & PAGE_MASK);
	if ((e & PTE_MAPPED) && (!write || (PTE_PROT(e) & PROT_WRITE)))
		return (char *)memfile_ptr(PTE_FRAME(e)) + (va & ~PAGE_MASK);
	return page_slow(mm, va, write);
}

static size_t chunk(uint64_t va, size_t left)
{
	size_t room = PAGE_SIZE - (va & ~PAGE_MASK);
	return left < room ? left : room;
}

static bool range_ok(uint64_t va, size_t n) { return va + n >= va; }

static int copy_in_locked(struct mm *mm, void *dst, uint64_t src, size_t n)
{
	if (!range_ok(src, n))
		return -EFAULT;
	while (n) {
		size_t c = chunk(src, n);
		char *p = page_ptr(mm, src, false);
		if (!p)
			return -EFAULT;
		memcpy(dst, p, c);
		dst = (char *)dst + c;
		src += c;
		n -= c;
	}
	return 0;
}

int mm_copy_out_locked(struct mm *mm, uint64_t dst, const void *src, size_t n)
{
	if (!range_ok(dst, n))
		return -EFAULT;
	while (n) {
		size_t c = chunk(dst, n);
		char *p = page_ptr(mm, dst, true);
		if (!p)
			return -EFAULT;
		if (src) {
			memcpy(p, src, c);
			src = (const char *)src + c;
		} else {
			memset(p, 0, c);
		}
		dst += c;
		n -= c;
	}
	return 0;
}

int mm_copy_in(struct mm *mm, void *dst, uint64_t src, size_t n)
{
	pthread_mutex_lock(&mm->lock);
	int r = copy_in_locked(mm, dst, src, n);
	pthread_mutex_unlock(&mm->lock);
	return r;
}

int mm_copy_out(struct mm *mm, uint64_t dst, const void *src, size_t n)
{
	if (n && !src)
		return -EFAULT;
	pthread_mutex_lock(&mm->lock);
	int r = mm_copy_out_locked(mm, dst, src, n);
	pthread_mutex_unlock(&mm->lock);
	return r;
}

int mm_zero_out(struct mm *mm, uint64_t dst, size_t n)
{
	pthread_mutex_lock(&mm->lock);
	int r = mm_copy_out_locked(mm, dst, NULL, n);
	pthread_mutex_unlock(&mm->lock);
	return r;
}

long mm_strncpy_in(struct mm *mm, char *dst, uint64_t src, size_t max)
{
	long r = -ENAMETOOLONG;
	size_t done = 0;
	pthread_mutex_lock(&mm->lock);
	while (done < max) {
		uint64_t va = src + done;
		if (va < src) {
			r = -EFAULT;
			break;
		}
		size_t c = chunk(va, max - done);
		const char *p = page_ptr(mm, va, false);
		if (!p) {
			r = -EFAULT;
			break;
		}
		const char *nul = memchr(p, 0, c);
		if (nul) {
			size_t k = (size_t)(nul - p);
			memcpy(dst + done, p, k + 1);
			r = (long)(done + k);
			break;
		}
		memcpy(dst + done, p, c);
		done += c;
	}
	pthread_mutex_unlock(&mm->lock);
	return r;
}

int mm_iov(struct mm *mm, uint64_t addr, size_t len, bool write, struct iovec *iov, int max,
	   size_t *done)
{
	int n = 0;
	size_t covered = 0;
	if (max <= 0 || !range_ok(addr, len)) {
		*done = 0;
		return max <= 0 ? 0 : -EFAULT;
	}
	pthread_mutex_lock(&mm->lock);
	while (covered < len) {
		uint64_t va = addr + covered;
		size_t c = chunk(va, len - covered);
		char *p = page_ptr(mm, va, write);
		if (!p)
			break;
		if (n && (char *)iov[n - 1].iov_base + iov[n - 1].iov_len == p) {
			iov[n - 1].iov_len += c;
		} else {
			if (n == max)
				break;
			iov[n].iov_base = p;
			iov[n].iov_len = c;
			n++;
		}
		covered += c;
	}
	pthread_mutex_unlock(&mm->lock);
	*done = covered;
	/* A fault after some bytes is a short transfer, as in Linux. */
	return n ? n : (len ? -EFAULT : 0);
}
