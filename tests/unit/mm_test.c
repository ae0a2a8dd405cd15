/* Tests of sentry/mm against a fake platform that records map/unmap calls:
 * demand paging, fault-around, copy-on-write, the mapping calls' errnos and
 * the memory file's allocator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "sentry/mm/mm.h"
#include "sentry/mm/mm_internal.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* platform.c names the real ptrace platform; it is not linked here. */
const struct platform platform_ptrace = {0};

/* ---- The fake platform ---- */

struct call {
	bool unmap;
	uint64_t va, len, off;
	int prot;
};
static struct call calls[4096];
static int ncalls;
static int fake_as_token;

static struct pf_as *fake_as_new(void) { return (struct pf_as *)&fake_as_token; }
static void fake_as_free(struct pf_as *as) {}
static int fake_map(struct pf_as *as, uint64_t va, uint64_t len, int prot, uint64_t off)
{
	assert_true(((va | len | off) & (PAGE_SIZE - 1)) == 0);
	assert_true(len > 0);
	if (ncalls < 4096)
		calls[ncalls++] = (struct call){false, va, len, off, prot};
	return 0;
}
static int fake_unmap(struct pf_as *as, uint64_t va, uint64_t len)
{
	if (ncalls < 4096)
		calls[ncalls++] = (struct call){true, va, len, 0, 0};
	return 0;
}

static const struct platform fake = {
    .name = "fake",
    .max_addr = 0x7ffffff00000UL,
    .as_new = fake_as_new,
    .as_free = fake_as_free,
    .map = fake_map,
    .unmap = fake_unmap,
};

#define PG PAGE_SIZE
#define BASE 0x10000000UL
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static int setup(void **state)
{
	pf = &fake;
	assert_int_equal(memfile_init(), 0);
	ncalls = 0;
	struct mm *mm = mm_new();
	assert_non_null(mm);
	*state = mm;
	return 0;
}

static int teardown(void **state)
{
	mm_put(*state);
	return 0;
}

static int nvmas(struct mm *mm)
{
	int n = 0;
	for (struct vma *v = mm->vmas; v; v = v->next)
		n++;
	return n;
}

static uint64_t frame_of(struct mm *mm, uint64_t va) { return PTE_FRAME(pt_get(mm->pt, va)); }

static void test_anon_roundtrip(void **state)
{
	struct mm *mm = *state;
	long a = mm_mmap(mm, 0, 8 * PG, RW, ANON, NULL, 0);
	assert_true(a > 0);
	assert_int_equal(a & (PG - 1), 0);
	/* Below the platform's pages and the stack gap. */
	assert_true((uint64_t)a + 8 * PG <= mm->mmap_base);
	char buf[8 * PG], back[8 * PG];
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (char)(i * 7);
	assert_int_equal(mm_copy_out(mm, a + 100, buf, sizeof buf - 100), 0);
	memset(back, 1, sizeof back);
	assert_int_equal(mm_copy_in(mm, back, a + 100, sizeof back - 100), 0);
	assert_memory_equal(back, buf, sizeof buf - 100);
	/* Fresh memory reads as zero. */
	char z[100];
	assert_int_equal(mm_copy_in(mm, z, a, sizeof z), 0);
	for (size_t i = 0; i < sizeof z; i++)
		assert_int_equal(z[i], 0);
	assert_int_equal(mm_zero_out(mm, a + 100, 50), 0);
	assert_int_equal(mm_copy_in(mm, z, a + 100, 50), 0);
	for (size_t i = 0; i < 50; i++)
		assert_int_equal(z[i], 0);
	/* Hints are honoured when free; the next mapping goes below. */
	long h = mm_mmap(mm, BASE, PG, PROT_READ, ANON, NULL, 0);
	assert_int_equal(h, BASE);
	long b = mm_mmap(mm, 0, PG, RW, ANON, NULL, 0);
	assert_true(b < a);
}

static void test_fault_around(void **state)
{
	struct mm *mm = *state;
	assert_int_equal(mm_mmap(mm, BASE, 40 * PG, RW, ANON | MAP_FIXED, NULL, 0), BASE);
	ncalls = 0;
	int code = 0;
	assert_int_equal(mm_fault(mm, BASE + 5 * PG + 123, PF_ACCESS_READ, &code), 0);
	/* One map call: the 64 KiB window, contiguous frames, the VMA's prot. */
	assert_int_equal(ncalls, 1);
	assert_false(calls[0].unmap);
	assert_int_equal(calls[0].va, BASE);
	assert_int_equal(calls[0].len, 16 * PG);
	assert_int_equal(calls[0].prot, RW);
	assert_int_equal(frame_of(mm, BASE + 15 * PG), frame_of(mm, BASE) + 15 * PG);
	/* Already mapped: no new call. */
	ncalls = 0;
	assert_int_equal(mm_fault(mm, BASE + 7 * PG, PF_ACCESS_WRITE, &code), 0);
	assert_int_equal(ncalls, 0);
	/* A protection fault of unknown kind on a page mapped writable is
	 * stale (another thread's copy-on-write) or a fetch: retry, no call. */
	code = SEGV_ACCERR;
	assert_int_equal(mm_fault(mm, BASE + 7 * PG, 0, &code), -EAGAIN);
	assert_int_equal(code, SEGV_ACCERR);
	assert_int_equal(ncalls, 0);
	/* The last window is clipped to the VMA. */
	assert_int_equal(mm_fault(mm, BASE + 39 * PG, 0, &code), 0);
	assert_int_equal(ncalls, 1);
	assert_int_equal(calls[0].va, BASE + 32 * PG);
	assert_int_equal(calls[0].len, 8 * PG);
	/* A read-only VMA maps read-only. */
	long r = mm_mmap(mm, 0, 4 * PG, PROT_READ | PROT_EXEC, ANON, NULL, 0);
	ncalls = 0;
	assert_int_equal(mm_fault(mm, r, PF_ACCESS_EXEC, &code), 0);
	assert_int_equal(ncalls, 1);
	assert_int_equal(calls[0].prot, PROT_READ | PROT_EXEC);
	code = 0;
	assert_int_equal(mm_fault(mm, r, PF_ACCESS_WRITE, &code), -EFAULT);
	assert_int_equal(code, SEGV_ACCERR);
	/* access 0 + ACCERR on a page mapped with the VMA's prot: genuine. */
	code = SEGV_ACCERR;
	assert_int_equal(mm_fault(mm, r, 0, &code), -EFAULT);
	assert_int_equal(code, SEGV_ACCERR);
}

static void test_prot_none_and_holes(void **state)
{
	struct mm *mm = *state;
	long a = mm_mmap(mm, 0, 2 * PG, PROT_NONE, ANON, NULL, 0);
	int code = 0;
	ncalls = 0;
	assert_int_equal(mm_fault(mm, a, PF_ACCESS_READ, &code), -EFAULT);
	assert_int_equal(code, SEGV_ACCERR);
	assert_int_equal(mm_fault(mm, a, 0, &code), -EFAULT);
	assert_int_equal(code, SEGV_ACCERR);
	assert_int_equal(ncalls, 0);
	char c;
	assert_int_equal(mm_copy_in(mm, &c, a, 1), -EFAULT);
	code = 0;
	assert_int_equal(mm_fault(mm, BASE, PF_ACCESS_READ, &code), -EFAULT);
	assert_int_equal(code, SEGV_MAPERR);
	assert_int_equal(mm_fault(mm, fake.max_addr, PF_ACCESS_READ, &code), -EFAULT);
	assert_int_equal(code, SEGV_MAPERR);
	assert_int_equal(mm_copy_in(mm, &c, BASE, 1), -EFAULT);
	assert_int_equal(mm_copy_out(mm, BASE, &c, 1), -EFAULT);
	assert_int_equal(mm_copy_in(mm, &c, UINT64_MAX, 2), -EFAULT);
	/* Read-only memory refuses copy_out. */
	long r = mm_mmap(mm, 0, PG, PROT_READ, ANON, NULL, 0);
	assert_int_equal(mm_copy_in(mm, &c, r, 1), 0);
	assert_int_equal(mm_copy_out(mm, r, &c, 1), -EFAULT);
}

static void test_munmap_split(void **state)
{
	struct mm *mm = *state;
	assert_int_equal(mm_mmap(mm, BASE, 3 * PG, RW, ANON | MAP_FIXED, NULL, 0), BASE);
	assert_int_equal(mm_copy_out(mm, BASE, "abc", 3), 0);
	assert_int_equal(mm_copy_out(mm, BASE + 2 * PG, "xyz", 3), 0);
	uint64_t used = memfile_used();
	assert_int_equal(nvmas(mm), 1);
	ncalls = 0;
	assert_int_equal(mm_munmap(mm, BASE + PG, PG), 0);
	assert_int_equal(nvmas(mm), 2);
	assert_int_equal(mm->vm_size, 2 * PG);
	assert_int_equal(ncalls, 1);
	assert_true(calls[0].unmap);
	assert_int_equal(calls[0].va, BASE + PG);
	assert_int_equal(calls[0].len, PG);
	assert_int_equal(memfile_used(), used - PG);
	char b[4] = {0};
	assert_int_equal(mm_copy_in(mm, b, BASE + PG, 1), -EFAULT);
	assert_int_equal(mm_copy_in(mm, b, BASE + 2 * PG, 3), 0);
	assert_string_equal(b, "xyz");
	assert_int_equal(mm_copy_in(mm, b, BASE, 3), 0);
	assert_string_equal(b, "abc");
	assert_int_equal(mm_munmap(mm, BASE + 1, PG), -EINVAL);
	assert_int_equal(mm_munmap(mm, BASE, 0), -EINVAL);
	assert_int_equal(mm_munmap(mm, fake.max_addr - PG, 2 * PG), -EINVAL);
	/* Unmapping a hole is fine. */
	assert_int_equal(mm_munmap(mm, BASE, 16 * PG), 0);
	assert_int_equal(nvmas(mm), 0);
	assert_int_equal(memfile_used(), used - 3 * PG);
}

static void test_mprotect_split(void **state)
{
	struct mm *mm = *state;
	assert_int_equal(mm_mmap(mm, BASE, 4 * PG, RW, ANON | MAP_FIXED, NULL, 0), BASE);
	assert_int_equal(mm_copy_out(mm, BASE + PG, "hi", 3), 0);
	ncalls = 0;
	assert_int_equal(mm_mprotect(mm, BASE + PG, 2 * PG, PROT_READ), 0);
	assert_int_equal(nvmas(mm), 3);
	/* Present pages are re-mapped read-only with the same frames. */
	assert_int_equal(ncalls, 1);
	assert_false(calls[0].unmap);
	assert_int_equal(calls[0].va, BASE + PG);
	assert_int_equal(calls[0].len, 2 * PG);
	assert_int_equal(calls[0].prot, PROT_READ);
	assert_int_equal(calls[0].off, frame_of(mm, BASE + PG));
	char b[3];
	assert_int_equal(mm_copy_out(mm, BASE + PG, "x", 1), -EFAULT);
	assert_int_equal(mm_copy_in(mm, b, BASE + PG, 3), 0);
	assert_string_equal(b, "hi");
	int code = 0;
	assert_int_equal(mm_fault(mm, BASE + 2 * PG, PF_ACCESS_WRITE, &code), -EFAULT);
	assert_int_equal(code, SEGV_ACCERR);
	/* PROT_NONE unmaps; back to RW merges into one VMA again. */
	ncalls = 0;
	assert_int_equal(mm_mprotect(mm, BASE + PG, 2 * PG, PROT_NONE), 0);
	assert_int_equal(ncalls, 1);
	assert_true(calls[0].unmap);
	assert_int_equal(mm_copy_in(mm, b, BASE + PG, 1), -EFAULT);
	assert_int_equal(mm_mprotect(mm, BASE + PG, 2 * PG, RW), 0);
	assert_int_equal(nvmas(mm), 1);
	assert_int_equal(mm_copy_in(mm, b, BASE + PG, 3), 0);
	assert_string_equal(b, "hi");
	/* errnos */
	assert_int_equal(mm_mprotect(mm, BASE + 1, PG, PROT_READ), -EINVAL);
	assert_int_equal(mm_mprotect(mm, BASE, PG, 0x1000), -EINVAL);
	assert_int_equal(mm_mprotect(mm, BASE, 8 * PG, PROT_READ), -ENOMEM);
	assert_int_equal(mm_mprotect(mm, BASE, 0, PROT_READ), 0);
}

static void test_mremap(void **state)
{
	struct mm *mm = *state;
	assert_int_equal(mm_mmap(mm, BASE, 2 * PG, RW, ANON | MAP_FIXED, NULL, 0), BASE);
	/* A neighbour blocks growing in place. */
	assert_int_equal(mm_mmap(mm, BASE + 2 * PG, PG, RW, ANON | MAP_FIXED, NULL, 0),
			 BASE + 2 * PG);
	assert_int_equal(mm_munmap(mm, BASE + 2 * PG, PG), 0);
	assert_int_equal(mm_mmap(mm, BASE + 2 * PG, PG, PROT_READ, ANON | MAP_FIXED, NULL, 0),
			 BASE + 2 * PG);
	char pat[2 * PG];
	for (size_t i = 0; i < sizeof pat; i++)
		pat[i] = (char)(i ^ (i >> 8));
	assert_int_equal(mm_copy_out(mm, BASE, pat, sizeof pat), 0);
	uint64_t used = memfile_used();
	uint64_t f0 = frame_of(mm, BASE);
	assert_int_equal(mm_mremap(mm, BASE, 2 * PG, 16 * PG, 0, 0), -ENOMEM);
	long n = mm_mremap(mm, BASE, 2 * PG, 16 * PG, MREMAP_MAYMOVE, 0);
	assert_true(n > 0);
	assert_true((uint64_t)n != BASE);
	/* The frames moved: nothing copied, nothing allocated. */
	assert_int_equal(memfile_used(), used);
	assert_int_equal(frame_of(mm, n), f0);
	char back[2 * PG];
	assert_int_equal(mm_copy_in(mm, back, n, sizeof back), 0);
	assert_memory_equal(back, pat, sizeof pat);
	assert_int_equal(mm_copy_in(mm, back, BASE, 1), -EFAULT);
	/* The grown tail is fresh zeroes. */
	assert_int_equal(mm_copy_in(mm, back, n + 10 * PG, 16), 0);
	for (int i = 0; i < 16; i++)
		assert_int_equal(back[i], 0);
	/* Shrink in place, then grow in place again. */
	assert_int_equal(mm_mremap(mm, n, 16 * PG, 4 * PG, 0, 0), n);
	assert_int_equal(mm_mremap(mm, n, 4 * PG, 6 * PG, 0, 0), n);
	/* Fixed destination. */
	long f = mm_mremap(mm, n, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, BASE + 64 * PG);
	assert_int_equal(f, BASE + 64 * PG);
	assert_int_equal(mm_copy_in(mm, back, f, sizeof back), 0);
	assert_memory_equal(back, pat, sizeof pat);
	/* errnos */
	assert_int_equal(mm_mremap(mm, f + 1, PG, 2 * PG, MREMAP_MAYMOVE, 0), -EINVAL);
	assert_int_equal(mm_mremap(mm, f, PG, 0, MREMAP_MAYMOVE, 0), -EINVAL);
	assert_int_equal(mm_mremap(mm, f, PG, 2 * PG, 0x80, 0), -EINVAL);
	assert_int_equal(mm_mremap(mm, f, PG, 2 * PG, MREMAP_FIXED, BASE), -EINVAL);
	assert_int_equal(mm_mremap(mm, BASE + 200 * PG, PG, 2 * PG, MREMAP_MAYMOVE, 0), -EFAULT);
	assert_int_equal(mm_mremap(mm, f, 4 * PG, 8 * PG, MREMAP_MAYMOVE, 0), -EFAULT);
}

static void test_mmap_errnos(void **state)
{
	struct mm *mm = *state;
	assert_int_equal(mm_mmap(mm, BASE, PG, RW, ANON | MAP_FIXED, NULL, 0), BASE);
	assert_int_equal(mm_mmap(mm, BASE, PG, RW, ANON | MAP_FIXED_NOREPLACE, NULL, 0), -EEXIST);
	assert_int_equal(mm_mmap(mm, BASE - PG, 2 * PG, RW, ANON | MAP_FIXED_NOREPLACE, NULL, 0),
			 -EEXIST);
	assert_int_equal(mm_mmap(mm, BASE + PG, PG, RW, ANON | MAP_FIXED_NOREPLACE, NULL, 0),
			 BASE + PG);
	assert_int_equal(mm_mmap(mm, 0, 0, RW, ANON, NULL, 0), -EINVAL);
	assert_int_equal(mm_mmap(mm, BASE + 1, PG, RW, ANON | MAP_FIXED, NULL, 0), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0, PG, RW, MAP_ANONYMOUS, NULL, 0), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0, PG, RW, MAP_ANONYMOUS | 0x4, NULL, 0), -EINVAL);
	assert_int_equal(
	    mm_mmap(mm, 0, PG, RW, MAP_ANONYMOUS | MAP_SHARED_VALIDATE | 0x800000, NULL, 0),
	    -EOPNOTSUPP);
	assert_int_equal(mm_mmap(mm, 0, (uint64_t)-PG, RW, ANON, NULL, 0), -ENOMEM);
	assert_int_equal(mm_mmap(mm, 0, 1UL << 50, RW, ANON, NULL, 0), -ENOMEM);
	assert_int_equal(mm_mmap(mm, fake.max_addr - PG, 2 * PG, RW, ANON | MAP_FIXED, NULL, 0),
			 -ENOMEM);
	assert_int_equal(mm_mmap(mm, fake.max_addr, PG, RW, ANON | MAP_FIXED, NULL, 0), -ENOMEM);
	/* A hint at or above max_addr is ignored, not honoured. */
	long h = mm_mmap(mm, fake.max_addr, PG, RW, ANON, NULL, 0);
	assert_true(h > 0 && (uint64_t)h < fake.max_addr);
	/* MAP_FIXED replaces and drops the old pages. */
	assert_int_equal(mm_copy_out(mm, BASE, "old", 3), 0);
	assert_int_equal(mm_mmap(mm, BASE, PG, RW, ANON | MAP_FIXED, NULL, 0), BASE);
	char b[3];
	assert_int_equal(mm_copy_in(mm, b, BASE, 3), 0);
	assert_int_equal(b[0], 0);
	/* MAP_POPULATE maps at once. */
	ncalls = 0;
	long p = mm_mmap(mm, 0, 4 * PG, RW, ANON | MAP_POPULATE, NULL, 0);
	assert_true(p > 0);
	assert_true(ncalls >= 1);
	assert_true(pt_get(mm->pt, p + 3 * PG) & PTE_MAPPED);
}

static void test_fork_cow(void **state)
{
	struct mm *mm = *state;
	assert_int_equal(mm_mmap(mm, BASE, 2 * PG, RW, ANON | MAP_FIXED, NULL, 0), BASE);
	long sh = mm_mmap(mm, 0, PG, RW, MAP_SHARED | MAP_ANONYMOUS, NULL, 0);
	assert_true(sh > 0);
	assert_int_equal(mm_copy_out(mm, BASE, "A", 2), 0);
	assert_int_equal(mm_copy_out(mm, sh, "S", 2), 0);
	uint64_t f = frame_of(mm, BASE);
	assert_int_equal(memfile_refcount(f), 1);
	ncalls = 0;
	struct mm *c = mm_fork(mm);
	assert_non_null(c);
	assert_int_equal(memfile_refcount(f), 2);
	assert_int_equal(frame_of(c, BASE), f);
	assert_int_equal(c->vm_size, mm->vm_size);
	/* The parent's private pages were made read-only; shared ones not. */
	bool ro = false;
	for (int i = 0; i < ncalls; i++) {
		assert_false(calls[i].va == (uint64_t)sh);
		if (!calls[i].unmap && calls[i].va == BASE && calls[i].prot == PROT_READ)
			ro = true;
	}
	assert_true(ro);
	/* The child's first touch maps it read-only too. */
	ncalls = 0;
	int code = 0;
	assert_int_equal(mm_fault(c, BASE, PF_ACCESS_READ, &code), 0);
	assert_int_equal(calls[0].prot, PROT_READ);
	/* The child writes: its own copy; the parent still sees "A". */
	assert_int_equal(mm_copy_out(c, BASE, "B", 2), 0);
	char b[2];
	assert_int_equal(mm_copy_in(mm, b, BASE, 2), 0);
	assert_string_equal(b, "A");
	assert_int_equal(mm_copy_in(c, b, BASE, 2), 0);
	assert_string_equal(b, "B");
	assert_int_not_equal(frame_of(c, BASE), f);
	assert_int_equal(memfile_refcount(f), 1);
	assert_int_equal(memfile_refcount(frame_of(c, BASE)), 1);
	/* The parent's write fault with an unknown access kind (ptrace): the
	 * frame is its own again, so it is only re-mapped writable. */
	ncalls = 0;
	code = SEGV_ACCERR;
	assert_int_equal(mm_fault(mm, BASE, 0, &code), 0);
	assert_int_equal(ncalls, 1);
	assert_int_equal(calls[0].prot, RW);
	assert_int_equal(frame_of(mm, BASE), f);
	/* Shared anonymous memory is shared. */
	assert_int_equal(mm_copy_out(c, sh, "T", 2), 0);
	assert_int_equal(mm_copy_in(mm, b, sh, 2), 0);
	assert_string_equal(b, "T");
	/* Second page: untouched by the child, COW broken by a parent fault. */
	assert_int_equal(mm_copy_out(mm, BASE + PG, "P", 2), 0);
	assert_int_equal(mm_copy_in(c, b, BASE + PG, 1), 0);
	assert_int_equal(b[0], 0);
	mm_put(c);
	assert_int_equal(memfile_refcount(f), 1);
	assert_int_equal(memfile_refcount(frame_of(mm, sh)), 1);
}

/* A fake file: 5000 bytes of a pattern. */
#define FILE_SIZE 5000
static int file_refs, file_reads;
static ssize_t fake_pread(void *obj, void *buf, size_t len, uint64_t off)
{
	file_reads++;
	if (off >= FILE_SIZE)
		return 0;
	if (len > FILE_SIZE - off)
		len = FILE_SIZE - off;
	for (size_t i = 0; i < len; i++)
		((char *)buf)[i] = (char)('a' + (off + i) % 26);
	return (ssize_t)len;
}
static void fake_get(void *obj) { file_refs++; }
static void fake_put(void *obj) { file_refs--; }

static void test_file_mapping(void **state)
{
	struct mm *mm = *state;
	struct mm_backing b = {.pread = fake_pread, .get = fake_get, .put = fake_put, .obj = &file_refs};
	file_refs = 0;
	file_reads = 0;
	long a = mm_mmap_named(mm, 0, 3 * PG, PROT_READ, MAP_PRIVATE, &b, 0, "/etc/fake");
	assert_true(a > 0);
	assert_int_equal(file_refs, 1);
	assert_int_equal(file_reads, 0); /* lazily */
	char buf[3 * PG];
	assert_int_equal(mm_copy_in(mm, buf, a, sizeof buf), 0);
	for (size_t i = 0; i < FILE_SIZE; i++)
		assert_int_equal(buf[i], 'a' + i % 26);
	for (size_t i = FILE_SIZE; i < sizeof buf; i++)
		assert_int_equal(buf[i], 0);
	/* An offset mapping, written privately (COW from the file's view). */
	long w = mm_mmap(mm, 0, PG, RW, MAP_PRIVATE, &b, PG);
	assert_int_equal(file_refs, 2);
	assert_int_equal(mm_copy_in(mm, buf, w, 4), 0);
	assert_int_equal(buf[0], 'a' + PG % 26);
	assert_int_equal(mm_copy_out(mm, w, "ZZ", 2), 0);
	assert_int_equal(mm_copy_in(mm, buf, w, 3), 0);
	assert_memory_equal(buf, "ZZ", 2);
	assert_int_equal(buf[2], 'a' + (PG + 2) % 26);
	/* DONTNEED re-reads the file. */
	assert_int_equal(mm_madvise(mm, w, PG, MADV_DONTNEED), 0);
	assert_int_equal(mm_copy_in(mm, buf, w, 2), 0);
	assert_int_equal(buf[0], 'a' + PG % 26);
	/* Splitting takes a reference per piece; unmapping drops them. */
	assert_int_equal(mm_munmap(mm, a + PG, PG), 0);
	assert_int_equal(file_refs, 3);
	assert_int_equal(mm_copy_in(mm, buf, a + 2 * PG, 1), 0);
	assert_int_equal(buf[0], 0);
	assert_int_equal(mm_munmap(mm, a, 3 * PG), 0);
	assert_int_equal(mm_munmap(mm, w, PG), 0);
	assert_int_equal(file_refs, 0);
	/* Shared mappings of files not open for writing. */
	assert_int_equal(mm_mmap(mm, 0, PG, RW, MAP_SHARED | MM_MAP_NOWRITE, &b, 0), -EACCES);
	long s = mm_mmap(mm, 0, PG, PROT_READ, MAP_SHARED | MM_MAP_NOWRITE, &b, 0);
	assert_true(s > 0);
	assert_int_equal(mm_mprotect(mm, s, PG, RW), -EACCES);
	assert_int_equal(mm_mmap(mm, 0, PG, PROT_READ, MAP_PRIVATE, &b, 1), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0, 2 * PG, PROT_READ, MAP_PRIVATE, &b, -PG), -EOVERFLOW);
}

static void test_brk(void **state)
{
	struct mm *mm = *state;
	mm_set_brk_start(mm, 0x555555559123UL);
	uint64_t s = 0x55555555a000UL;
	assert_int_equal(mm_brk(mm, 0), s);
	assert_int_equal(mm_brk(mm, s + 10000), s + 10000);
	assert_int_equal(mm_copy_out(mm, s + 9000, "heap", 5), 0);
	assert_int_equal(mm_brk(mm, s + 20000), s + 20000);
	assert_int_equal(nvmas(mm), 1);
	assert_string_equal(mm->vmas->name, "[heap]");
	assert_int_equal(mm->vmas->end, s + 5 * PG);
	char b[5];
	assert_int_equal(mm_copy_in(mm, b, s + 9000, 5), 0);
	assert_string_equal(b, "heap");
	/* Shrinking unmaps; below the start fails with the current break. */
	assert_int_equal(mm_brk(mm, s + 100), s + 100);
	assert_int_equal(mm_copy_in(mm, b, s + 9000, 1), -EFAULT);
	assert_int_equal(mm_brk(mm, s - PG), s + 100);
	/* Growing into another mapping fails. */
	assert_int_equal(mm_mmap(mm, s + 4 * PG, PG, RW, ANON | MAP_FIXED, NULL, 0), s + 4 * PG);
	assert_int_equal(mm_brk(mm, s + 8 * PG), s + 100);
	assert_int_equal(mm_brk(mm, s + 3 * PG), s + 3 * PG);
	/* Grown pages read as zero again. */
	assert_int_equal(mm_copy_in(mm, b, s + 9000, 1), 0);
	assert_int_equal(b[0], 0);
	assert_int_equal(mm_brk(mm, s), s);
}

static void test_madvise_msync_mincore(void **state)
{
	struct mm *mm = *state;
	assert_int_equal(mm_mmap(mm, BASE, 4 * PG, RW, ANON | MAP_FIXED, NULL, 0), BASE);
	assert_int_equal(mm_copy_out(mm, BASE + PG, "data", 5), 0);
	uint64_t used = memfile_used();
	assert_int_equal(mm_madvise(mm, BASE, 4 * PG, MADV_DONTNEED), 0);
	assert_true(memfile_used() < used);
	char b[5];
	assert_int_equal(mm_copy_in(mm, b, BASE + PG, 5), 0);
	assert_int_equal(b[0], 0);
	assert_int_equal(mm_madvise(mm, BASE, PG, MADV_WILLNEED), 0);
	assert_int_equal(mm_madvise(mm, BASE, PG, MADV_HUGEPAGE), 0);
	assert_int_equal(mm_madvise(mm, BASE + 1, PG, MADV_DONTNEED), -EINVAL);
	assert_int_equal(mm_madvise(mm, BASE, PG, 12345), -EINVAL);
	assert_int_equal(mm_madvise(mm, BASE, 8 * PG, MADV_DONTNEED), -ENOMEM);
	assert_int_equal(mm_msync(mm, BASE, PG, MS_SYNC), 0);
	assert_int_equal(mm_msync(mm, BASE + 1, PG, MS_SYNC), -EINVAL);
	assert_int_equal(mm_msync(mm, BASE, PG, MS_SYNC | MS_ASYNC), -EINVAL);
	assert_int_equal(mm_msync(mm, BASE, 8 * PG, MS_SYNC), -ENOMEM);
	/* mincore: page 1 (and its fault-around window) is present. */
	assert_int_equal(mm_madvise(mm, BASE, 4 * PG, MADV_DONTNEED), 0);
	long v = mm_mmap(mm, 0, PG, RW, ANON, NULL, 0);
	assert_int_equal(mm_mincore(mm, BASE, 4 * PG, v), 0);
	unsigned char vec[4];
	assert_int_equal(mm_copy_in(mm, vec, v, 4), 0);
	assert_int_equal(vec[0] | vec[1] | vec[2] | vec[3], 0);
	assert_int_equal(mm_copy_out(mm, BASE + 2 * PG, "x", 1), 0);
	assert_int_equal(mm_mincore(mm, BASE, 4 * PG, v), 0);
	assert_int_equal(mm_copy_in(mm, vec, v, 4), 0);
	assert_int_equal(vec[2], 1);
	assert_int_equal(mm_mincore(mm, BASE, 8 * PG, v), -ENOMEM);
	assert_int_equal(mm_mincore(mm, BASE + 1, PG, v), -EINVAL);
	assert_int_equal(mm_mincore(mm, BASE, PG, BASE + 100 * PG), -EFAULT);
}

static void test_strncpy_iov(void **state)
{
	struct mm *mm = *state;
	assert_int_equal(mm_mmap(mm, BASE, 2 * PG, RW, ANON | MAP_FIXED, NULL, 0), BASE);
	/* A string crossing a page boundary. */
	assert_int_equal(mm_copy_out(mm, BASE + PG - 3, "hello", 6), 0);
	char s[16];
	assert_int_equal(mm_strncpy_in(mm, s, BASE + PG - 3, sizeof s), 5);
	assert_string_equal(s, "hello");
	assert_int_equal(mm_strncpy_in(mm, s, BASE + PG - 3, 5), -ENAMETOOLONG);
	assert_int_equal(mm_strncpy_in(mm, s, BASE + PG - 3, 6), 5);
	assert_int_equal(mm_strncpy_in(mm, s, BASE + 300 * PG, 6), -EFAULT);
	/* No NUL before the end of the mapping. */
	char ones[PG];
	memset(ones, 'x', sizeof ones);
	assert_int_equal(mm_copy_out(mm, BASE + PG, ones, PG), 0);
	char big[3 * PG];
	assert_int_equal(mm_strncpy_in(mm, big, BASE + PG, sizeof big), -EFAULT);

	/* Contiguous frames merge into one iovec. */
	struct iovec iov[4];
	size_t done = 0;
	assert_int_equal(mm_iov(mm, BASE + 10, 2 * PG - 10, true, iov, 4, &done), 1);
	assert_int_equal(done, 2 * PG - 10);
	assert_int_equal(iov[0].iov_len, 2 * PG - 10);
	/* A range running into a hole is short. */
	assert_int_equal(mm_iov(mm, BASE + PG, 2 * PG, false, iov, 4, &done), 1);
	assert_int_equal(done, PG);
	assert_int_equal(mm_iov(mm, BASE + 2 * PG, PG, false, iov, 4, &done), -EFAULT);
	/* Non-contiguous frames need more iovecs; max stops early. */
	assert_int_equal(mm_mmap(mm, BASE + 64 * PG, PG, RW, ANON | MAP_FIXED, NULL, 0),
			 BASE + 64 * PG);
	assert_int_equal(
	    mm_mmap(mm, BASE + 65 * PG, PG, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, NULL, 0),
	    BASE + 65 * PG);
	assert_int_equal(mm_copy_out(mm, BASE + 65 * PG, "s", 1), 0);
	assert_int_equal(mm_copy_out(mm, BASE + 64 * PG, "p", 1), 0);
	assert_int_not_equal(frame_of(mm, BASE + 65 * PG), frame_of(mm, BASE + 64 * PG) + PG);
	assert_int_equal(mm_iov(mm, BASE + 64 * PG, 2 * PG, false, iov, 1, &done), 1);
	assert_int_equal(done, PG);
	/* Writing through iov into read-only memory fails. */
	assert_int_equal(mm_mprotect(mm, BASE, PG, PROT_READ), 0);
	assert_int_equal(mm_iov(mm, BASE, PG, true, iov, 4, &done), -EFAULT);
	assert_int_equal(mm_iov(mm, BASE, PG, false, iov, 4, &done), 1);
}

static void test_memfile(void **state)
{
	struct mm *mm = *state;
	struct stat st0, st1, st2;
	uint64_t used = memfile_used();
	assert_int_equal(fstat(memfile_fd(), &st0), 0);
	long a = mm_mmap(mm, 0, 256 * PG, RW, ANON, NULL, 0);
	char buf[PG];
	memset(buf, 0x5a, sizeof buf);
	for (int i = 0; i < 256; i++)
		assert_int_equal(mm_copy_out(mm, a + i * PG, buf, PG), 0);
	assert_int_equal(memfile_used(), used + 256 * PG);
	assert_int_equal(fstat(memfile_fd(), &st1), 0);
	assert_true(st1.st_blocks >= st0.st_blocks + (blkcnt_t)(256 * PG / 512));
	assert_int_equal(mm_munmap(mm, a, 256 * PG), 0);
	assert_int_equal(memfile_used(), used);
	/* Freed frames were punched out of the file. */
	assert_int_equal(fstat(memfile_fd(), &st2), 0);
	assert_true(st2.st_blocks <= st0.st_blocks);
	/* and are reused, zeroed. */
	int64_t f = memfile_alloc(4);
	assert_true(f >= 0);
	for (int i = 0; i < 4 * (int)PG; i++)
		assert_int_equal(((char *)memfile_ptr(f))[i], 0);
	memfile_ref(f);
	assert_int_equal(memfile_refcount(f), 2);
	memfile_unref(f);
	for (int i = 0; i < 4; i++)
		memfile_unref(f + i * PG);
	assert_int_equal(memfile_used(), used);
	int64_t g = memfile_alloc(2);
	assert_true(g >= 0);
	assert_true(g <= f + 2 * (int64_t)PG);
	memfile_unref(g);
	memfile_unref(g + PG);
}

static void test_maps(void **state)
{
	struct mm *mm = *state;
	struct mm_backing b = {.pread = fake_pread, .get = fake_get, .put = fake_put, .obj = &file_refs};
	mm_set_brk_start(mm, 0x555555560000UL);
	assert_int_equal(mm_mmap_named(mm, 0x555555554000UL, 2 * PG, PROT_READ | PROT_EXEC,
				       MAP_PRIVATE | MAP_FIXED, &b, 0x1000, "/usr/bin/cat"),
			 0x555555554000UL);
	assert_int_equal(mm_brk(mm, 0x555555561000UL), 0x555555561000UL);
	mm->stack_top = 0x7ffffe000000UL;
	assert_int_equal(mm_mmap(mm, 0x7ffffdfff000UL - 31 * PG, 32 * PG, RW,
				 ANON | MAP_FIXED | MAP_GROWSDOWN, NULL, 0),
			 0x7ffffdfff000UL - 31 * PG);
	assert_int_equal(
	    mm_mmap(mm, 0x7f0000000000UL, PG, RW, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, NULL, 0),
	    0x7f0000000000UL);
	char buf[1024];
	size_t n = mm_format_maps(mm, buf, sizeof buf);
	buf[n] = 0;
	const char *want =
	    "555555554000-555555556000 r-xp 00001000 00:00 0                          "
	    "/usr/bin/cat\n"
	    "555555560000-555555561000 rw-p 00000000 00:00 0                          [heap]\n"
	    "7f0000000000-7f0000001000 rw-s 00000000 00:00 0 \n"
	    "7ffffdfe0000-7ffffe000000 rw-p 00000000 00:00 0                          [stack]\n";
	assert_string_equal(buf, want);
	/* A short buffer gets whole lines only. */
	n = mm_format_maps(mm, buf, 100);
	assert_int_equal(n, strchr(want, '\n') - want + 1);
	/* The stack grows down on a fault just below it. */
	int code = 0;
	assert_int_equal(mm_fault(mm, 0x7ffffdfe0000UL - 8, PF_ACCESS_WRITE, &code), 0);
	assert_int_equal(mm_munmap(mm, 0x555555554000UL, 2 * PG), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_anon_roundtrip, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fault_around, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_prot_none_and_holes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_munmap_split, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mprotect_split, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mremap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_mmap_errnos, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fork_cow, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_mapping, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_brk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_madvise_msync_mincore, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_strncpy_iov, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_memfile, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_maps, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
