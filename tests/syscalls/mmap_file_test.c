/* mmap_file_test: file mappings: read-only files of the root (in the sandbox: the gofer's page
 * cache) shared and private across processes, copy-on-write privacy, SIGBUS past the end,
 * MAP_SHARED write-back with msync, offsets and mremap of file mappings. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

#define PG 4096L

static const char *dir;

static const char *path(const char *name)
{
	static char b[128];
	snprintf(b, sizeof b, "%s/%s", dir, name);
	return b;
}

/* The whole file at p into a malloc'd buffer; its size in *len. */
static char *slurp(const char *p, size_t *len)
{
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return NULL;
	struct stat st;
	fstat(fd, &st);
	char *b = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, b + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	*len = got;
	return b;
}

/* A file of n pages, page i filled with byte 'a' + i. */
static int make_pages(const char *p, int n)
{
	int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char b[PG];
	for (int i = 0; i < n; i++) {
		memset(b, 'a' + i, sizeof b);
		if (write(fd, b, sizeof b) != (ssize_t)sizeof b)
			return -1;
	}
	return fd;
}

TEST(root_file_shared_and_private)
{
	/* A file of the read-only root: larger than one 64 KiB fault-around
	 * window, so several cache chunks are read. */
	const char *bin = "/bin/sh";
	size_t len;
	char *want = slurp(bin, &len);
	CHECK(want && len > 0);
	int fd = open(bin, O_RDONLY);
	CHECK(fd >= 0);
	char *sh = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	char *pr = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(sh != MAP_FAILED && pr != MAP_FAILED);
	CHECK(memcmp(sh, want, len) == 0);
	CHECK(memcmp(pr, want, len) == 0);
	/* A read-only file gives no writable shared mapping. */
	CHECK_ERRNO(mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED ? -1 : 0,
		    EACCES);
	pid_t pid = fork();
	if (pid == 0) {
		/* The child maps the same file itself: same bytes; its
		 * private write stays its own. */
		char *c = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		CCHECK(c != MAP_FAILED);
		CCHECK(memcmp(c, want, len) == 0);
		c[0] = 'X';
		c[len - 1] = 'Y';
		pr[1] = 'Z'; /* the inherited private mapping, copy-on-write */
		char *s2 = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		CCHECK(s2 != MAP_FAILED && memcmp(s2, want, len) == 0);
		_exit(0);
	}
	WAIT_EXIT(pid, 0);
	CHECK(memcmp(pr, want, len) == 0);
	CHECK(memcmp(sh, want, len) == 0);
	pr[0] ^= 0xff;
	CHECK(sh[0] == want[0]);
	size_t len2;
	char *again = slurp(bin, &len2);
	CHECK_EQ(len2, len);
	CHECK(memcmp(again, want, len) == 0);
	munmap(sh, len);
	munmap(pr, len);
	close(fd);
	free(want);
	free(again);
}

static sigjmp_buf bus_jmp;
static void on_bus(int sig) { siglongjmp(bus_jmp, sig); }

/* Whether reading *p raises SIGBUS. */
static int faults(volatile const char *p)
{
	struct sigaction sa = {.sa_handler = on_bus}, old;
	sigaction(SIGBUS, &sa, &old);
	int got = sigsetjmp(bus_jmp, 1);
	if (!got)
		(void)*p;
	sigaction(SIGBUS, &old, NULL);
	return got == SIGBUS;
}

static void check_eof(const char *p)
{
	int fd = open(p, O_RDONLY);
	CHECK(fd >= 0);
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK(st.st_size > 0 && st.st_size % PG);
	size_t in = (size_t)((st.st_size + PG - 1) & ~(PG - 1));
	char *m = mmap(NULL, in + 2 * PG, PROT_READ, MAP_PRIVATE, fd, 0);
	CHECK(m != MAP_FAILED);
	CHECK(!faults(m));
	/* The rest of the last page reads as zeros; the next pages SIGBUS. */
	for (size_t i = (size_t)st.st_size; i < in; i++)
		CHECK_EQ(m[i], 0);
	CHECK(faults(m + in));
	CHECK(faults(m + in + PG));
	munmap(m, in + 2 * PG);
	close(fd);
}

TEST(sigbus_past_eof)
{
	check_eof("/etc/passwd");
	int fd = open(path("short"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK_EQ(write(fd, "hello", 5), 5);
	close(fd);
	check_eof(path("short"));
}

TEST(shared_write_msync)
{
	int fd = make_pages(path("shared"), 3);
	CHECK(fd >= 0);
	char *a = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *b = mmap(NULL, 3 * PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(a != MAP_FAILED && b != MAP_FAILED);
	memcpy(a + PG + 10, "written", 7);
	CHECK(memcmp(b + PG + 10, "written", 7) == 0);
	CHECK_OK(msync(a, 3 * PG, MS_SYNC));
	char buf[8] = {0};
	CHECK_EQ(pread(fd, buf, 7, PG + 10), 7);
	CHECK_STREQ(buf, "written");
	/* A child sees the same shared pages and its writes come back. */
	pid_t pid = fork();
	if (pid == 0) {
		CCHECK(memcmp(a + PG + 10, "written", 7) == 0);
		memcpy(a + 2 * PG, "child", 5);
		CCHECK(msync(a + 2 * PG, PG, MS_ASYNC) == 0);
		_exit(0);
	}
	WAIT_EXIT(pid, 0);
	CHECK(memcmp(b + 2 * PG, "child", 5) == 0);
	memcpy(a, "unmapped", 8);
	CHECK_OK(munmap(a, 3 * PG));
	CHECK_EQ(pread(fd, buf, 8, 0), 8);
	CHECK(memcmp(buf, "unmapped", 8) == 0);
	CHECK_EQ(pread(fd, buf, 5, 2 * PG), 5);
	CHECK(memcmp(buf, "child", 5) == 0);
	munmap(b, 3 * PG);
	close(fd);
}

TEST(private_write_is_private)
{
	int fd = make_pages(path("private"), 2);
	CHECK(fd >= 0);
	char *s = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, 0);
	char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(s != MAP_FAILED && p != MAP_FAILED);
	p[5] = 'Q';
	CHECK_EQ(s[5], 'a');
	char c;
	CHECK_EQ(pread(fd, &c, 1, 5), 1);
	CHECK_EQ(c, 'a');
	/* A later write() to the file shows through the untouched private
	 * page (still shared) but not the copied one. */
	CHECK_EQ(pwrite(fd, "W", 1, PG + 1), 1);
	CHECK_EQ(s[PG + 1], 'W');
	CHECK_EQ(p[5], 'Q');
	munmap(s, 2 * PG);
	munmap(p, 2 * PG);
	close(fd);
}

TEST(offset_mapping)
{
	int fd = make_pages(path("offset"), 4);
	CHECK(fd >= 0);
	char *m = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE, fd, 2 * PG);
	CHECK(m != MAP_FAILED);
	CHECK_EQ(m[0], 'c');
	CHECK_EQ(m[PG + 7], 'd');
	munmap(m, 2 * PG);
	CHECK_ERRNO(mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 100) == MAP_FAILED ? -1 : 0, EINVAL);
	close(fd);
	/* The same on a root file: the page at 64 KiB + 4 KiB. */
	size_t len;
	char *want = slurp("/bin/sh", &len);
	CHECK(len > 17 * PG);
	fd = open("/bin/sh", O_RDONLY);
	m = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 17 * PG);
	CHECK(m != MAP_FAILED);
	CHECK(memcmp(m, want + 17 * PG, PG) == 0);
	munmap(m, PG);
	close(fd);
	free(want);
}

TEST(mremap_file_mapping)
{
	int fd = make_pages(path("remap"), 4);
	CHECK(fd >= 0);
	char *m = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, PG);
	CHECK(m != MAP_FAILED);
	CHECK_EQ(m[0], 'b');
	char *n = mremap(m, PG, 3 * PG, MREMAP_MAYMOVE);
	CHECK(n != MAP_FAILED);
	CHECK_EQ(n[0], 'b');
	CHECK_EQ(n[PG], 'c');
	CHECK_EQ(n[2 * PG + 9], 'd');
	n = mremap(n, 3 * PG, PG, 0);
	CHECK(n != MAP_FAILED);
	CHECK_EQ(n[0], 'b');
	munmap(n, PG);
	close(fd);
}

int main(int argc, char **argv)
{
	if (!(dir = tl_tmpdir())) {
		perror("mkdtemp");
		return 1;
	}
	return RUN_TESTS(argc, argv, root_file_shared_and_private, sigbus_past_eof,
			 shared_write_msync, private_write_is_private, offset_mapping,
			 mremap_file_mapping);
}
