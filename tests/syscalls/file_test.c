/* file_test: open/openat flags and errors, read/pread/readv/writev, lseek, close. */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "testlib.h"

#define OS_RELEASE "/etc/os-release"

/* Reads the whole of fd from its current offset in chunks of step bytes. */
static ssize_t read_all(int fd, char *buf, size_t cap, size_t step)
{
	size_t got = 0;

	for (;;) {
		size_t want = cap - got < step ? cap - got : step;
		ssize_t r = read(fd, buf + got, want);
		if (r < 0)
			return -1;
		if (r == 0 || want == 0)
			return (ssize_t)got;
		got += (size_t)r;
	}
}

TEST(open_errors)
{
	int dir = CHECK_OK(open("/etc", O_RDONLY | O_DIRECTORY));

	CHECK_ERRNO(open("/etc/passwd", O_RDONLY | O_DIRECTORY), ENOTDIR);
	CHECK_ERRNO(open(OS_RELEASE, O_RDONLY | O_NOFOLLOW), ELOOP);
	CHECK_ERRNO(open("/nonexistent-cvisor/x", O_RDONLY), ENOENT);
	CHECK_ERRNO(open("/etc/nonexistent-cvisor", O_RDONLY), ENOENT);
	CHECK_ERRNO(open("/etc/passwd/x", O_RDONLY), ENOTDIR);
	CHECK_ERRNO(open("", O_RDONLY), ENOENT);
	CHECK_ERRNO(open((const char *)1, O_RDONLY), EFAULT);
	/* A relative path needs a valid directory fd; an absolute one ignores it. */
	CHECK_ERRNO(openat(-5, "passwd", O_RDONLY), EBADF);
	int fd = CHECK_OK(openat(-5, "/etc/passwd", O_RDONLY));
	CHECK_ERRNO(openat(fd, "x", O_RDONLY), ENOTDIR);
	close(fd);
	fd = CHECK_OK(openat(dir, "passwd", O_RDONLY));
	close(fd);
	/* O_NOFOLLOW only concerns the last component. */
	fd = CHECK_OK(open("/etc/os-release", O_RDONLY));
	close(fd);
	close(dir);
}

TEST(open_symlink_follows)
{
	struct stat a, b;
	int fd = CHECK_OK(open(OS_RELEASE, O_RDONLY));

	CHECK_OK(fstat(fd, &a));
	CHECK(S_ISREG(a.st_mode));
	CHECK_OK(stat("/usr/lib/os-release", &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_dev, b.st_dev);
	close(fd);
}

TEST(read_contents_agree)
{
	static char a[65536], b[65536], c[256];
	struct stat st;
	int fa = CHECK_OK(open(OS_RELEASE, O_RDONLY));
	int fb = CHECK_OK(openat(AT_FDCWD, "/usr/lib/os-release", O_RDONLY | O_CLOEXEC));
	ssize_t na = read_all(fa, a, sizeof a, sizeof a);
	ssize_t nb = read_all(fb, b, sizeof b, 7);

	CHECK_OK(fstat(fa, &st));
	CHECK(na > 0);
	CHECK_EQ(na, st.st_size);
	CHECK_EQ(nb, na);
	CHECK(memcmp(a, b, (size_t)na) == 0);
	CHECK(memmem(a, (size_t)na, "ID=", 3) != NULL);
	/* At EOF further reads return 0. */
	CHECK_EQ(read(fa, c, sizeof c), 0);

	/* pread at assorted offsets sees the same bytes and leaves the offset alone. */
	CHECK_EQ(lseek(fb, 3, SEEK_SET), 3);
	for (off_t off = 0; off < na; off += 13) {
		size_t want = sizeof c;
		ssize_t r = pread(fb, c, want, off);
		size_t expect = (size_t)(na - off) < want ? (size_t)(na - off) : want;
		CHECK_EQ(r, expect);
		CHECK(memcmp(c, a + off, expect) == 0);
	}
	CHECK_EQ(pread(fb, c, sizeof c, na), 0);
	CHECK_EQ(pread(fb, c, sizeof c, na + 1000), 0);
	CHECK_EQ(lseek(fb, 0, SEEK_CUR), 3);
	CHECK_ERRNO(pread(fb, c, sizeof c, -1), EINVAL);
	CHECK_EQ(read(fb, c, 4), 4);
	CHECK(memcmp(c, a + 3, 4) == 0);
	close(fa);
	close(fb);
}

TEST(lseek_whence)
{
	struct stat st;
	char c;
	int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));

	CHECK_OK(fstat(fd, &st));
	CHECK(st.st_size > 10);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0);
	CHECK_EQ(lseek(fd, 5, SEEK_SET), 5);
	CHECK_EQ(lseek(fd, 3, SEEK_CUR), 8);
	CHECK_EQ(lseek(fd, -2, SEEK_CUR), 6);
	CHECK_EQ(lseek(fd, 0, SEEK_END), st.st_size);
	CHECK_EQ(lseek(fd, -1, SEEK_END), st.st_size - 1);
	CHECK_EQ(read(fd, &c, 1), 1);
	CHECK_EQ(c, '\n');
	CHECK_ERRNO(lseek(fd, -1, SEEK_SET), EINVAL);
	CHECK_ERRNO(lseek(fd, -st.st_size - 1, SEEK_CUR), EINVAL);
	CHECK_ERRNO(lseek(fd, -st.st_size - 1, SEEK_END), EINVAL);
	CHECK_ERRNO(lseek(fd, 0, 12345), EINVAL);
	/* A failed seek leaves the offset where it was. */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), st.st_size);
	/* Seeking past the end is allowed; reading there gives EOF. */
	CHECK_EQ(lseek(fd, st.st_size + 4096, SEEK_SET), st.st_size + 4096);
	CHECK_EQ(read(fd, &c, 1), 0);
	close(fd);
}

TEST(readv_writev)
{
	static char whole[4096], p1[5], p2[1], p3[200];
	struct iovec iov[3] = {{p1, sizeof p1}, {p2, sizeof p2}, {p3, sizeof p3}};
	int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
	ssize_t n = CHECK_OK(pread(fd, whole, sizeof whole, 0));

	CHECK(n >= (ssize_t)(sizeof p1 + sizeof p2 + sizeof p3));
	CHECK_EQ(readv(fd, iov, 3), sizeof p1 + sizeof p2 + sizeof p3);
	CHECK(memcmp(p1, whole, sizeof p1) == 0);
	CHECK(memcmp(p2, whole + sizeof p1, sizeof p2) == 0);
	CHECK(memcmp(p3, whole + sizeof p1 + sizeof p2, sizeof p3) == 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), sizeof p1 + sizeof p2 + sizeof p3);
	/* Zero-length entries are skipped. */
	struct iovec z[2] = {{NULL, 0}, {p1, sizeof p1}};
	CHECK_EQ(preadv(fd, z, 2, 0), sizeof p1);
	CHECK(memcmp(p1, whole, sizeof p1) == 0);
	CHECK_ERRNO(syscall(SYS_readv, fd, iov, -1), EINVAL);
	CHECK_ERRNO(syscall(SYS_readv, fd, iov, IOV_MAX + 1), EINVAL);
	close(fd);

	int null = CHECK_OK(open("/dev/null", O_WRONLY));
	struct iovec w[3] = {{"abc", 3}, {"", 0}, {whole, 1000}};
	CHECK_EQ(writev(null, w, 3), 1003);
	CHECK_EQ(write(null, whole, 17), 17);
	CHECK_EQ(pwrite(null, whole, 9, 100), 9);
	CHECK_ERRNO(read(null, p1, 1), EBADF);
	close(null);
	null = CHECK_OK(open("/dev/null", O_RDONLY));
	CHECK_EQ(read(null, p1, sizeof p1), 0);
	CHECK_ERRNO(write(null, "x", 1), EBADF);
	close(null);
}

TEST(bad_fds)
{
	char c;
	int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));

	CHECK_OK(close(fd));
	CHECK_ERRNO(read(fd, &c, 1), EBADF);
	CHECK_ERRNO(write(fd, &c, 1), EBADF);
	CHECK_ERRNO(lseek(fd, 0, SEEK_SET), EBADF);
	CHECK_ERRNO(close(fd), EBADF);
	CHECK_ERRNO(read(-1, &c, 1), EBADF);
	CHECK_ERRNO(read(100000, &c, 1), EBADF);
	CHECK_ERRNO(close(-1), EBADF);
	/* A read-only fd cannot be written. */
	fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
	CHECK_ERRNO(write(fd, "x", 1), EBADF);
	close(fd);
}

TEST(read_bad_buffer)
{
	int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));

	CHECK_ERRNO(syscall(SYS_read, fd, (void *)1, 10), EFAULT);
	CHECK_ERRNO(syscall(SYS_pread64, fd, (void *)1, 10, 0), EFAULT);
	/* A kernel-half address is as bad as an unmapped one. */
	CHECK_ERRNO(syscall(SYS_read, fd, (void *)0xffff800000000000ul, 10), EFAULT);
	struct iovec iov = {(void *)1, 10};
	CHECK_ERRNO(readv(fd, &iov, 1), EFAULT);
	CHECK_ERRNO(syscall(SYS_readv, fd, (void *)1, 1), EFAULT);
	int null = CHECK_OK(open("/dev/null", O_WRONLY));
	CHECK_ERRNO(syscall(SYS_writev, null, (void *)1, 1), EFAULT);
	close(null);
	close(fd);
}

TEST(read_directory)
{
	char buf[16];
	int fd = CHECK_OK(open("/etc", O_RDONLY));

	CHECK_ERRNO(read(fd, buf, sizeof buf), EISDIR);
	CHECK_ERRNO(pread(fd, buf, sizeof buf, 0), EISDIR);
	close(fd);
}

TEST(huge_length_is_clamped)
{
	static char buf[65536];
	struct stat st;
	int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));

	CHECK_OK(fstat(fd, &st));
	CHECK(st.st_size < (off_t)sizeof buf);
	/* Linux clamps a count above MAX_RW_COUNT and returns what the file has;
	 * only the bytes actually transferred must be writable. */
	CHECK_EQ(syscall(SYS_read, fd, buf, 1ul << 31), st.st_size);
	CHECK_EQ(syscall(SYS_pread64, fd, buf, 1ul << 33, 0), st.st_size);
	/* A zero-length read of any pointer touches nothing. */
	CHECK_EQ(syscall(SYS_read, fd, (void *)1, 0), 0);
	close(fd);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, open_errors, open_symlink_follows, read_contents_agree,
			 lseek_whence, readv_writev, bad_fds, read_bad_buffer, read_directory,
			 huge_length_is_clamped);
}
