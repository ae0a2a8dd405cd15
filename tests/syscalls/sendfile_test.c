/* sendfile_test: sendfile with and without an offset pointer, to files and
 * pipes, and copy_file_range between files and within one, with their
 * errors. */
#include <fcntl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "testlib.h"

static int make_file(const char *name, const char *content)
{
	int fd = CHECK_OK(open(name, O_CREAT | O_RDWR | O_TRUNC, 0644));
	CHECK_EQ(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	return fd;
}

static void check_content(int fd, const char *want)
{
	char buf[256] = {0};
	CHECK_EQ(pread(fd, buf, sizeof buf - 1, 0), (ssize_t)strlen(want));
	CHECK_STREQ(buf, want);
}

/* glibc may lack a wrapper on old systems: the raw call. */
static ssize_t cfr(int in, loff_t *oin, int out, loff_t *oout, size_t len, unsigned flags)
{
	return syscall(SYS_copy_file_range, in, oin, out, oout, len, flags);
}

TEST(sendfile_offsets)
{
	CHECK(tl_enter_tmpdir());
	int in = make_file("in", "0123456789");
	int out = make_file("out", "");
	/* With an offset: the input position stays where it was. */
	CHECK_OK(lseek(in, 1, SEEK_SET));
	off_t off = 6;
	CHECK_EQ(sendfile(out, in, &off, 3), 3);
	CHECK_EQ(off, 9);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 1);
	/* Without: from the position, which moves; past the end: short. */
	CHECK_EQ(sendfile(out, in, NULL, 100), 9);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 10);
	CHECK_EQ(sendfile(out, in, NULL, 100), 0);
	CHECK_EQ(lseek(out, 0, SEEK_CUR), 12);
	check_content(out, "678123456789");
	/* To a pipe. */
	int p[2];
	CHECK_OK(pipe(p));
	off = 0;
	CHECK_EQ(sendfile(p[1], in, &off, 4), 4);
	char buf[8] = {0};
	CHECK_EQ(read(p[0], buf, sizeof buf), 4);
	CHECK_STREQ(buf, "0123");
	/* A large file in one call. */
	int big = CHECK_OK(open("big", O_CREAT | O_RDWR, 0644));
	static char data[300000];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (char)(i * 7);
	CHECK_EQ(write(big, data, sizeof data), (ssize_t)sizeof data);
	int copy = CHECK_OK(open("copy", O_CREAT | O_RDWR, 0644));
	off = 0;
	ssize_t total = 0, n;
	while ((n = sendfile(copy, big, &off, sizeof data)) > 0)
		total += n;
	CHECK_EQ(n, 0);
	CHECK_EQ(total, (ssize_t)sizeof data);
	static char back[300000];
	CHECK_EQ(pread(copy, back, sizeof back, 0), (ssize_t)sizeof back);
	CHECK(memcmp(back, data, sizeof data) == 0);
	close(big);
	close(copy);
	close(p[0]);
	close(p[1]);
	close(in);
	close(out);
	CHECK_OK(tl_leave_tmpdir());
}

TEST(sendfile_errors)
{
	CHECK(tl_enter_tmpdir());
	int in = make_file("in", "abc");
	int p[2];
	CHECK_OK(pipe(p));
	off_t off = 0;
	CHECK_ERRNO(sendfile(p[1], 99, NULL, 3), EBADF);
	CHECK_ERRNO(sendfile(99, in, NULL, 3), EBADF);
	int ro = CHECK_OK(open("in", O_RDONLY));
	CHECK_ERRNO(sendfile(ro, in, NULL, 3), EBADF);
	int wo = CHECK_OK(open("in", O_WRONLY));
	CHECK_ERRNO(sendfile(p[1], wo, NULL, 3), EBADF);
	/* An offset needs a seekable input. */
	CHECK_EQ(write(p[1], "xyz", 3), 3);
	int out = make_file("out", "");
	CHECK_ERRNO(sendfile(out, p[0], &off, 3), ESPIPE);
	off = -1;
	CHECK_ERRNO(sendfile(out, in, &off, 3), EINVAL);
	close(out);
	close(wo);
	close(ro);
	close(in);
	close(p[0]);
	close(p[1]);
	CHECK_OK(tl_leave_tmpdir());
}

TEST(copy_file_range_files)
{
	CHECK(tl_enter_tmpdir());
	int a = make_file("a", "abcdefghij");
	int b = make_file("b", "0123456789");
	/* Offsets: positions untouched. */
	loff_t oa = 2, ob = 5;
	CHECK_EQ(cfr(a, &oa, b, &ob, 3, 0), 3);
	CHECK_EQ(oa, 5);
	CHECK_EQ(ob, 8);
	CHECK_EQ(lseek(a, 0, SEEK_CUR), 10);
	check_content(b, "01234cde89");
	/* Positions: both move; a short copy at end of file. */
	CHECK_OK(lseek(a, 7, SEEK_SET));
	CHECK_OK(lseek(b, 10, SEEK_SET));
	CHECK_EQ(cfr(a, NULL, b, NULL, 100, 0), 3);
	CHECK_EQ(lseek(a, 0, SEEK_CUR), 10);
	CHECK_EQ(lseek(b, 0, SEEK_CUR), 13);
	check_content(b, "01234cde89hij");
	CHECK_EQ(cfr(a, NULL, b, NULL, 100, 0), 0);
	/* Within one file, ranges apart. */
	loff_t s = 0, d = 6;
	CHECK_EQ(cfr(a, &s, a, &d, 3, 0), 3);
	check_content(a, "abcdefabcj");
	/* Overlapping ranges of one file. */
	s = 0;
	d = 2;
	CHECK_ERRNO(cfr(a, &s, a, &d, 3, 0), EINVAL);
	close(a);
	close(b);
	CHECK_OK(tl_leave_tmpdir());
}

TEST(copy_file_range_errors)
{
	CHECK(tl_enter_tmpdir());
	int a = make_file("a", "abc");
	int b = make_file("b", "");
	loff_t o = 0;
	CHECK_ERRNO(cfr(a, NULL, b, NULL, 3, 1), EINVAL);
	CHECK_ERRNO(cfr(99, NULL, b, NULL, 3, 0), EBADF);
	CHECK_ERRNO(cfr(a, NULL, 99, NULL, 3, 0), EBADF);
	int ro = CHECK_OK(open("b", O_RDONLY));
	CHECK_ERRNO(cfr(a, &o, ro, NULL, 3, 0), EBADF);
	int wo = CHECK_OK(open("a", O_WRONLY));
	CHECK_ERRNO(cfr(wo, NULL, b, NULL, 3, 0), EBADF);
	int app = CHECK_OK(open("b", O_WRONLY | O_APPEND));
	CHECK_ERRNO(cfr(a, &o, app, NULL, 3, 0), EBADF);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_ERRNO(cfr(p[0], NULL, b, NULL, 3, 0), EINVAL);
	CHECK_ERRNO(cfr(a, &o, p[1], NULL, 3, 0), EINVAL);
	int d = CHECK_OK(open(".", O_RDONLY | O_DIRECTORY));
	CHECK_ERRNO(cfr(d, NULL, b, NULL, 3, 0), EISDIR);
	o = -1;
	CHECK_ERRNO(cfr(a, &o, b, NULL, 3, 0), EOVERFLOW);
	/* A zero length copies nothing. */
	o = 0;
	CHECK_EQ(cfr(a, &o, b, NULL, 0, 0), 0);
	close(d);
	close(p[0]);
	close(p[1]);
	close(app);
	close(wo);
	close(ro);
	close(a);
	close(b);
	CHECK_OK(tl_leave_tmpdir());
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, sendfile_offsets, sendfile_errors, copy_file_range_files,
			 copy_file_range_errors);
}
