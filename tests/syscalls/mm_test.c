/* mm_test: mmap, munmap, mprotect, mremap, brk, madvise, msync, mincore. */
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define PG 4096ul

/* The sandbox cannot deliver signals yet, so a bad access must never be
 * made by the program itself: the kernel touches the memory instead, by
 * reading a file into it (fails with EFAULT when it cannot write there). */
static long kernel_write_into(void *p, size_t n)
{
	int fd = open("/etc/passwd", O_RDONLY);
	long r;

	if (fd < 0)
		return -2;
	r = syscall(SYS_read, fd, p, n);
	close(fd);
	return r;
}

/* Makes the kernel read 16 bytes at p: an absolute sleep until a time that
 * is either long past (zeroes) or invalid (EINVAL), so it never blocks.
 * Returns 0 if the bytes could be read, -1 with errno EFAULT if not.
 * (Writing p to /dev/null would not do: Linux never reads the buffer.) */
static long kernel_read_from(const void *p)
{
	long r = syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, TIMER_ABSTIME, p, NULL);

	if (r == 0 || errno == EINVAL)
		return 0;
	return -1;
}

static void *map_anon(size_t len, int prot)
{
	return mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

TEST(anon_write_read)
{
	unsigned char *p = map_anon(8 * PG, PROT_READ | PROT_WRITE);

	CHECK(p != MAP_FAILED);
	CHECK_EQ((uintptr_t)p % PG, 0);
	/* Fresh anonymous memory is zero. */
	for (size_t i = 0; i < 8 * PG; i++)
		CHECK_EQ(p[i], 0);
	for (size_t i = 0; i < 8 * PG; i++)
		p[i] = (unsigned char)(i * 7);
	for (size_t i = 0; i < 8 * PG; i++)
		CHECK_EQ(p[i], (unsigned char)(i * 7));
	CHECK_OK(munmap(p, 8 * PG));
	/* A length that is not page aligned is rounded up. */
	p = map_anon(100, PROT_READ | PROT_WRITE);
	CHECK(p != MAP_FAILED);
	p[PG - 1] = 1;
	CHECK_OK(munmap(p, 100));
}

TEST(map_fixed_replaces)
{
	unsigned char *p = map_anon(3 * PG, PROT_READ | PROT_WRITE);

	CHECK(p != MAP_FAILED);
	memset(p, 'A', 3 * PG);
	void *q = mmap(p + PG, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		       -1, 0);
	CHECK(q == p + PG);
	CHECK_EQ(p[0], 'A');
	CHECK_EQ(p[PG - 1], 'A');
	CHECK_EQ(p[PG], 0);
	CHECK_EQ(p[2 * PG - 1], 0);
	CHECK_EQ(p[2 * PG], 'A');
	CHECK_ERRNO(mmap(p + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
			 -1, 0),
		    EEXIST);
	/* The failed call changed nothing. */
	CHECK_EQ(p[PG], 0);
	p[PG] = 'B';
	CHECK_OK(munmap(p + PG, PG));
	q = mmap(p + PG, PG, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK(q == p + PG);
	CHECK_EQ(p[PG], 0);
	CHECK_OK(munmap(p, 3 * PG));
}

TEST(munmap_then_unmapped)
{
	unsigned char vec[4];
	unsigned char *p = map_anon(4 * PG, PROT_READ | PROT_WRITE);

	CHECK(p != MAP_FAILED);
	p[0] = 1;
	CHECK_OK(mincore(p, 4 * PG, vec));
	CHECK_EQ(vec[0] & 1, 1);
	CHECK_EQ(kernel_write_into(p + PG, 16), 16);
	/* Punch a hole in the middle. */
	CHECK_OK(munmap(p + PG, PG));
	CHECK_ERRNO(mincore(p, 4 * PG, vec), ENOMEM);
	CHECK_ERRNO(mincore(p + PG, PG, vec), ENOMEM);
	CHECK_OK(mincore(p, PG, vec));
	CHECK_OK(mincore(p + 2 * PG, 2 * PG, vec));
	CHECK_EQ(kernel_write_into(p + PG, 16), -1);
	CHECK_EQ(errno, EFAULT);
	CHECK_EQ(kernel_read_from(p + PG), -1);
	CHECK_EQ(errno, EFAULT);
	/* Unmapping an unmapped range is not an error. */
	CHECK_OK(munmap(p + PG, PG));
	CHECK_EQ(p[0], 1);
	CHECK_OK(munmap(p, 4 * PG));
	CHECK_ERRNO(mincore(p, PG, vec), ENOMEM);
	CHECK_EQ(kernel_write_into(p, 16), -1);
	CHECK_EQ(errno, EFAULT);
}

TEST(mprotect_read_only)
{
	unsigned char *p = map_anon(2 * PG, PROT_READ | PROT_WRITE);

	CHECK(p != MAP_FAILED);
	memset(p, 'x', 2 * PG);
	CHECK_OK(mprotect(p, PG, PROT_READ));
	CHECK_EQ(p[0], 'x');
	CHECK_EQ(kernel_write_into(p, 16), -1);
	CHECK_EQ(errno, EFAULT);
	/* Reading from it is fine; the second page is still writable. */
	CHECK_EQ(kernel_read_from(p), 0);
	CHECK_EQ(kernel_write_into(p + PG, 16), 16);
	CHECK_OK(mprotect(p, PG, PROT_NONE));
	CHECK_EQ(kernel_read_from(p), -1);
	CHECK_EQ(errno, EFAULT);
	CHECK_OK(mprotect(p, PG, PROT_READ | PROT_WRITE));
	CHECK_EQ(p[0], 'x');
	CHECK_EQ(kernel_write_into(p, 16), 16);
	CHECK_ERRNO(mprotect(p + 1, PG, PROT_READ), EINVAL);
	CHECK_ERRNO(mprotect(p, PG, 0x1000), EINVAL);
	CHECK_OK(munmap(p, 2 * PG));
	CHECK_ERRNO(mprotect(p, PG, PROT_READ), ENOMEM);
}

TEST(mremap_grow_move)
{
	unsigned char *p = map_anon(2 * PG, PROT_READ | PROT_WRITE);

	CHECK(p != MAP_FAILED);
	for (size_t i = 0; i < 2 * PG; i++)
		p[i] = (unsigned char)(i ^ 0x5a);
	/* Block growing in place so the mapping has to move. */
	void *block = mmap(p + 2 * PG, PG, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	CHECK_ERRNO(mremap(p, 2 * PG, 64 * PG, 0), ENOMEM);
	unsigned char *q = mremap(p, 2 * PG, 64 * PG, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED);
	for (size_t i = 0; i < 2 * PG; i++)
		CHECK_EQ(q[i], (unsigned char)(i ^ 0x5a));
	/* The grown part is fresh zeroed memory and usable. */
	for (size_t i = 2 * PG; i < 64 * PG; i += PG)
		CHECK_EQ(q[i], 0);
	q[64 * PG - 1] = 9;
	if (q != p) {
		unsigned char vec;
		CHECK_ERRNO(mincore(p, PG, &vec), ENOMEM);
	}
	/* Shrinking in place keeps the start. */
	CHECK(mremap(q, 64 * PG, PG, 0) == q);
	CHECK_EQ(q[1], (unsigned char)(1 ^ 0x5a));
	CHECK_ERRNO(mremap(q + 1, PG, 2 * PG, MREMAP_MAYMOVE), EINVAL);
	CHECK_ERRNO(mremap(q, PG, 0, MREMAP_MAYMOVE), EINVAL);
	CHECK_ERRNO(mremap(q, PG, 2 * PG, 0x80), EINVAL);
	CHECK_OK(munmap(q, PG));
	if (block != MAP_FAILED)
		munmap(block, PG);
}

TEST(brk_grows)
{
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0);
	uintptr_t want = cur + 1024 * 1024;

	CHECK(cur != 0);
	CHECK_EQ(syscall(SYS_brk, 0), cur);
	CHECK_EQ(syscall(SYS_brk, want), want);
	CHECK_EQ(syscall(SYS_brk, 0), want);
	unsigned char *p = (unsigned char *)cur;
	for (size_t i = 0; i < want - cur; i += PG / 2)
		p[i] = (unsigned char)i;
	for (size_t i = 0; i < want - cur; i += PG / 2)
		CHECK_EQ(p[i], (unsigned char)i);
	/* Below the start of the heap nothing changes. */
	CHECK_EQ(syscall(SYS_brk, 4096), want);
	/* Shrinking gives the memory back (glibc's malloc keeps its own cache of
	 * the break, so it must end exactly where it started). */
	CHECK_EQ(syscall(SYS_brk, cur), cur);
	CHECK_EQ(syscall(SYS_brk, 0), cur);
	uintptr_t page = (cur + PG - 1) & ~(PG - 1);
	if (page + PG <= want) {
		unsigned char vec;
		CHECK_ERRNO(mincore((void *)(page + PG), PG, &vec), ENOMEM);
	}
}

TEST(madvise_dontneed_zeroes)
{
	unsigned char *p = map_anon(4 * PG, PROT_READ | PROT_WRITE);

	CHECK(p != MAP_FAILED);
	memset(p, 0xee, 4 * PG);
	CHECK_OK(madvise(p + PG, 2 * PG, MADV_DONTNEED));
	CHECK_EQ(p[0], 0xee);
	CHECK_EQ(p[PG], 0);
	CHECK_EQ(p[3 * PG - 1], 0);
	CHECK_EQ(p[3 * PG], 0xee);
	CHECK_OK(madvise(p, 4 * PG, MADV_WILLNEED));
	CHECK_OK(madvise(p, 4 * PG, MADV_NORMAL));
	CHECK_ERRNO(madvise(p + 1, PG, MADV_DONTNEED), EINVAL);
	CHECK_ERRNO(madvise(p, PG, 12345), EINVAL);
	CHECK_OK(munmap(p, 4 * PG));
	CHECK_ERRNO(madvise(p, PG, MADV_DONTNEED), ENOMEM);
}

TEST(file_private_mapping)
{
	static char want[65536];
	struct stat st;
	int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));

	CHECK_OK(fstat(fd, &st));
	CHECK(st.st_size > 0 && st.st_size < (off_t)sizeof want);
	CHECK_EQ(pread(fd, want, sizeof want, 0), st.st_size);
	size_t len = ((size_t)st.st_size + PG - 1) & ~(PG - 1);
	unsigned char *p = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED);
	CHECK(memcmp(p, want, (size_t)st.st_size) == 0);
	/* The tail of the last page past EOF reads as zeroes. */
	for (size_t i = (size_t)st.st_size; i < len; i++)
		CHECK_EQ(p[i], 0);
	/* The kernel can read the mapping too. */
	CHECK_EQ(kernel_read_from(p), 0);
	CHECK_OK(munmap(p, len));

	/* A writable private mapping of a read-only fd is copy-on-write:
	 * the file does not change. */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(p != MAP_FAILED);
	p[0] ^= 0xff;
	CHECK_EQ(p[0], (unsigned char)(want[0] ^ 0xff));
	char c;
	CHECK_EQ(pread(fd, &c, 1, 0), 1);
	CHECK_EQ(c, want[0]);
	CHECK_OK(msync(p, len, MS_SYNC));
	CHECK_ERRNO(msync(p + 1, len, MS_SYNC), EINVAL);
	CHECK_ERRNO(msync(p, len, MS_SYNC | MS_ASYNC), EINVAL);
	CHECK_OK(munmap(p, len));
	CHECK_ERRNO(msync(p, len, MS_SYNC), ENOMEM);

	/* A shared writable mapping needs a writable fd. */
	CHECK_ERRNO(mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EACCES);
	CHECK_ERRNO(mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 1), EINVAL);
	close(fd);
	CHECK_ERRNO(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0), EBADF);

	/* A mapping at an offset sees the bytes at that offset. */
	fd = CHECK_OK(open("/usr/bin/sh", O_RDONLY));
	CHECK_OK(fstat(fd, &st));
	CHECK(st.st_size > (off_t)(2 * PG));
	p = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, PG);
	CHECK(p != MAP_FAILED);
	CHECK_EQ(pread(fd, want, PG, PG), PG);
	CHECK(memcmp(p, want, PG) == 0);
	CHECK_OK(munmap(p, PG));
	close(fd);
}

TEST(mmap_invalid)
{
	unsigned char *p = map_anon(PG, PROT_READ | PROT_WRITE);

	CHECK(p != MAP_FAILED);
	CHECK_ERRNO(map_anon(0, PROT_READ), EINVAL);
	CHECK_ERRNO(mmap(p + 1, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0),
		    EINVAL);
	/* Exactly one of PRIVATE and SHARED. */
	CHECK_ERRNO(mmap(NULL, PG, PROT_READ, MAP_ANONYMOUS, -1, 0), EINVAL);
	CHECK_ERRNO(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, -1, 0), EBADF);
	CHECK_ERRNO(munmap(p + 1, PG), EINVAL);
	CHECK_ERRNO(munmap(p, 0), EINVAL);
	CHECK_ERRNO(mmap(NULL, (size_t)-PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
		    ENOMEM);
	CHECK_OK(munmap(p, PG));
}

TEST(touch_64mib)
{
	const size_t len = 64ul << 20;
	unsigned char *p = map_anon(len, PROT_READ | PROT_WRITE);
	uint64_t sum = 0, expect = 0;

	CHECK(p != MAP_FAILED);
	for (size_t i = 0; i < len; i += PG) {
		p[i] = (unsigned char)(i / PG);
		p[i + PG - 1] = 1;
		expect += (unsigned char)(i / PG) + 1;
	}
	for (size_t i = 0; i < len; i += PG)
		sum += p[i] + p[i + PG - 1];
	CHECK_EQ(sum, expect);
	CHECK_OK(munmap(p, len));
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, anon_write_read, map_fixed_replaces, munmap_then_unmapped,
			 mprotect_read_only, mremap_grow_move, brk_grows, madvise_dontneed_zeroes,
			 file_private_mapping, mmap_invalid, touch_64mib);
}
