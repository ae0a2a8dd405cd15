/* splice_test: splice between files and pipes (offsets, ESPIPE, EINVAL,
 * EBADF, SPLICE_F_NONBLOCK, end of file), pipe to pipe, and tee. */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include "testlib.h"

static int make_file(const char *name, const char *content)
{
	int fd = CHECK_OK(open(name, O_CREAT | O_RDWR | O_TRUNC, 0644));
	CHECK_EQ(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	return fd;
}

TEST(file_pipe_file_offsets)
{
	CHECK(tl_enter_tmpdir());
	int in = make_file("in", "0123456789abcdef");
	int out = make_file("out", "................");
	int p[2];
	CHECK_OK(pipe(p));
	/* With an offset pointer: the file position stays, the offset moves. */
	CHECK_OK(lseek(in, 2, SEEK_SET));
	loff_t off = 10;
	CHECK_EQ(splice(in, &off, p[1], NULL, 4, 0), 4);
	CHECK_EQ(off, 14);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 2);
	/* Without: the position moves. */
	CHECK_EQ(splice(in, NULL, p[1], NULL, 3, 0), 3);
	CHECK_EQ(lseek(in, 0, SEEK_CUR), 5);
	/* The pipe holds "abcd234". */
	loff_t ooff = 4;
	CHECK_EQ(splice(p[0], NULL, out, &ooff, 5, 0), 5);
	CHECK_EQ(ooff, 9);
	CHECK_EQ(lseek(out, 0, SEEK_CUR), 16);
	CHECK_OK(lseek(out, 0, SEEK_SET));
	CHECK_EQ(splice(p[0], NULL, out, NULL, 100, 0), 2);
	CHECK_EQ(lseek(out, 0, SEEK_CUR), 2);
	char buf[32] = {0};
	CHECK_EQ(pread(out, buf, sizeof buf - 1, 0), 16);
	CHECK_STREQ(buf, "34..abcd2.......");
	/* At end of file: 0. */
	off = 16;
	CHECK_EQ(splice(in, &off, p[1], NULL, 10, 0), 0);
	close(p[0]);
	close(p[1]);
	close(in);
	close(out);
	CHECK_OK(tl_leave_tmpdir());
}

TEST(errors)
{
	CHECK(tl_enter_tmpdir());
	int a = make_file("a", "hello");
	int b = make_file("b", "");
	int p[2], q[2];
	CHECK_OK(pipe(p));
	CHECK_OK(pipe(q));
	loff_t off = 0;
	/* No pipe on either side. */
	CHECK_ERRNO(splice(a, NULL, b, NULL, 5, 0), EINVAL);
	/* Offsets on a pipe. */
	CHECK_ERRNO(splice(a, NULL, p[1], &off, 5, 0), ESPIPE);
	CHECK_ERRNO(splice(p[0], &off, b, NULL, 5, 0), ESPIPE);
	/* Wrong ends or modes. */
	CHECK_ERRNO(splice(a, NULL, p[0], NULL, 5, 0), EBADF);
	CHECK_ERRNO(splice(p[1], NULL, b, NULL, 5, 0), EBADF);
	CHECK_ERRNO(splice(99, NULL, p[1], NULL, 5, 0), EBADF);
	int ro = CHECK_OK(open("b", O_RDONLY));
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_ERRNO(splice(p[0], NULL, ro, NULL, 5, 0), EBADF);
	/* Unknown flags. */
	CHECK_ERRNO(splice(a, NULL, p[1], NULL, 5, 0x100), EINVAL);
	/* One pipe to itself. */
	CHECK_ERRNO(splice(p[0], NULL, p[1], NULL, 5, 0), EINVAL);
	/* Appending files cannot be spliced to. */
	int app = CHECK_OK(open("b", O_WRONLY | O_APPEND));
	CHECK_ERRNO(splice(p[0], NULL, app, NULL, 5, 0), EINVAL);
	/* Negative offset. */
	off = -1;
	CHECK_ERRNO(splice(a, &off, q[1], NULL, 5, 0), EINVAL);
	/* tee needs two different pipes. */
	CHECK_ERRNO(tee(a, p[1], 5, 0), EINVAL);
	CHECK_ERRNO(tee(p[0], p[1], 5, 0), EINVAL);
	close(app);
	close(ro);
	close(a);
	close(b);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	CHECK_OK(tl_leave_tmpdir());
}

TEST(nonblock_and_eof)
{
	CHECK(tl_enter_tmpdir());
	int f = make_file("f", "");
	int p[2];
	CHECK_OK(pipe(p));
	/* An empty pipe with a writer: EAGAIN under SPLICE_F_NONBLOCK. */
	CHECK_ERRNO(splice(p[0], NULL, f, NULL, 10, SPLICE_F_NONBLOCK), EAGAIN);
	/* A full pipe: the same for writing into it. */
	CHECK_OK(fcntl(p[1], F_SETFL, O_NONBLOCK));
	static char big[1 << 16];
	while (write(p[1], big, sizeof big) > 0)
		;
	CHECK_EQ(errno, EAGAIN);
	CHECK_OK(fcntl(p[1], F_SETFL, 0));
	int g = make_file("g", "data");
	loff_t off = 0;
	CHECK_ERRNO(splice(g, &off, p[1], NULL, 4, SPLICE_F_NONBLOCK), EAGAIN);
	CHECK_EQ(off, 0);
	close(p[1]);
	/* Drain, then end of file: 0. */
	ssize_t n, total = 0;
	while ((n = splice(p[0], NULL, f, NULL, 1 << 20, 0)) > 0)
		total += n;
	CHECK_EQ(n, 0);
	struct stat st;
	CHECK_OK(fstat(f, &st));
	CHECK_EQ(st.st_size, total);
	CHECK(total >= 4096);
	close(p[0]);
	close(f);
	close(g);
	CHECK_OK(tl_leave_tmpdir());
}

TEST(blocking_reader)
{
	CHECK(tl_enter_tmpdir());
	int f = make_file("f", "");
	int p[2];
	CHECK_OK(pipe(p));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		close(p[0]);
		/* The parent is (or will be) blocked in splice. */
		CCHECK(write(p[1], "late data", 9) == 9);
		_exit(0);
	}
	close(p[1]);
	CHECK_EQ(splice(p[0], NULL, f, NULL, 100, 0), 9);
	WAIT_EXIT(pid, 0);
	char buf[16] = {0};
	CHECK_EQ(pread(f, buf, sizeof buf, 0), 9);
	CHECK_STREQ(buf, "late data");
	close(p[0]);
	close(f);
	CHECK_OK(tl_leave_tmpdir());
}

TEST(pipe_to_pipe_and_tee)
{
	int p[2], q[2], r[2];
	CHECK_OK(pipe(p));
	CHECK_OK(pipe(q));
	CHECK_OK(pipe(r));
	CHECK_EQ(write(p[1], "abcdefgh", 8), 8);
	/* tee copies without consuming. */
	CHECK_EQ(tee(p[0], q[1], 5, 0), 5);
	CHECK_EQ(tee(p[0], r[1], 100, 0), 8);
	char buf[16] = {0};
	CHECK_EQ(read(q[0], buf, sizeof buf), 5);
	CHECK_STREQ(buf, "abcde");
	memset(buf, 0, sizeof buf);
	CHECK_EQ(read(r[0], buf, sizeof buf), 8);
	CHECK_STREQ(buf, "abcdefgh");
	/* splice between pipes consumes. */
	CHECK_EQ(splice(p[0], NULL, q[1], NULL, 3, 0), 3);
	memset(buf, 0, sizeof buf);
	CHECK_EQ(read(p[0], buf, sizeof buf), 5);
	CHECK_STREQ(buf, "defgh");
	memset(buf, 0, sizeof buf);
	CHECK_EQ(read(q[0], buf, sizeof buf), 3);
	CHECK_STREQ(buf, "abc");
	/* Empty input: EAGAIN non-blocking, 0 once the writer is gone. */
	CHECK_ERRNO(tee(p[0], q[1], 5, SPLICE_F_NONBLOCK), EAGAIN);
	CHECK_ERRNO(splice(p[0], NULL, q[1], NULL, 5, SPLICE_F_NONBLOCK), EAGAIN);
	close(p[1]);
	CHECK_EQ(tee(p[0], q[1], 5, 0), 0);
	CHECK_EQ(splice(p[0], NULL, q[1], NULL, 5, 0), 0);
	/* A reader-less output: EPIPE (SIGPIPE ignored). */
	int s[2];
	CHECK_OK(pipe(s));
	CHECK_EQ(write(s[1], "z", 1), 1);
	signal(SIGPIPE, SIG_IGN);
	close(r[0]);
	CHECK_ERRNO(tee(s[0], r[1], 1, 0), EPIPE);
	CHECK_ERRNO(splice(s[0], NULL, r[1], NULL, 1, 0), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(s[0]);
	close(s[1]);
	close(p[0]);
	close(q[0]);
	close(q[1]);
	close(r[1]);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, file_pipe_file_offsets, errors, nonblock_and_eof,
			 blocking_reader, pipe_to_pipe_and_tee);
}
