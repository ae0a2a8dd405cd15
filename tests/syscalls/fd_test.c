/* fd_test: dup, dup2, dup3 and fcntl on the fd table and open-file flags. */
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

static int is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

TEST(dup_lowest_free)
{
	int a = CHECK_OK(open("/etc/passwd", O_RDONLY));
	int b = CHECK_OK(open("/etc/passwd", O_RDONLY));
	int c = CHECK_OK(open("/etc/passwd", O_RDONLY));

	CHECK_EQ(b, a + 1);
	CHECK_EQ(c, b + 1);
	CHECK_OK(close(b));
	CHECK_OK(close(a));
	CHECK_EQ(dup(c), a);
	CHECK_EQ(dup(c), b);
	/* open also takes the lowest free number. */
	CHECK_OK(close(a));
	CHECK_EQ(open("/etc/passwd", O_RDONLY), a);
	close(a);
	close(b);
	close(c);
}

TEST(dup_shares_offset)
{
	struct stat s1, s2;
	int a = CHECK_OK(open("/etc/passwd", O_RDONLY));
	int b = CHECK_OK(dup(a));

	CHECK_OK(fstat(a, &s1));
	CHECK_OK(fstat(b, &s2));
	CHECK_EQ(s1.st_ino, s2.st_ino);
	CHECK_EQ(lseek(a, 7, SEEK_SET), 7);
	CHECK_EQ(lseek(b, 0, SEEK_CUR), 7);
	/* Closing one leaves the other usable. */
	CHECK_OK(close(a));
	CHECK_EQ(lseek(b, 0, SEEK_CUR), 7);
	close(b);
}

TEST(dup2_dup3)
{
	struct stat s1, s2;
	int a = CHECK_OK(open("/etc/passwd", O_RDONLY));
	int other = CHECK_OK(open("/dev/null", O_RDONLY));
	struct rlimit rl;

	CHECK_EQ(dup2(a, a), a);
	CHECK_ERRNO(dup3(a, a, 0), EINVAL);
	/* dup2 onto an open fd replaces it silently. */
	CHECK_EQ(dup2(a, other), other);
	CHECK_OK(fstat(other, &s1));
	CHECK_OK(fstat(a, &s2));
	CHECK_EQ(s1.st_ino, s2.st_ino);
	CHECK_EQ(s1.st_dev, s2.st_dev);
	/* Onto a free high number. */
	CHECK_EQ(dup2(a, 200), 200);
	CHECK(is_open(200));
	CHECK_EQ(fcntl(200, F_GETFD), 0);
	CHECK_OK(close(200));
	CHECK_EQ(dup3(a, 201, O_CLOEXEC), 201);
	CHECK_EQ(fcntl(201, F_GETFD), FD_CLOEXEC);
	CHECK_OK(close(201));
	CHECK_ERRNO(dup3(a, 202, 1), EINVAL);
	CHECK(!is_open(202));
	/* dup2 with a bad old fd, even onto itself. */
	CHECK_ERRNO(dup2(0x7fff0000, 203), EBADF);
	CHECK_ERRNO(dup2(203, 203), EBADF);
	CHECK_ERRNO(dup2(a, -1), EBADF);
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK_ERRNO(dup2(a, (int)rl.rlim_cur), EBADF);
	CHECK_ERRNO(dup(-1), EBADF);
	close(a);
	close(other);
}

TEST(fcntl_fd_flags)
{
	int a = CHECK_OK(open("/etc/passwd", O_RDONLY));
	int c = CHECK_OK(open("/etc/passwd", O_RDONLY | O_CLOEXEC));

	CHECK_EQ(fcntl(a, F_GETFD), 0);
	CHECK_EQ(fcntl(c, F_GETFD), FD_CLOEXEC);
	CHECK_OK(fcntl(a, F_SETFD, FD_CLOEXEC));
	CHECK_EQ(fcntl(a, F_GETFD), FD_CLOEXEC);
	/* dup never copies close-on-exec. */
	int d = CHECK_OK(dup(a));
	CHECK_EQ(fcntl(d, F_GETFD), 0);
	CHECK_OK(fcntl(a, F_SETFD, 0));
	CHECK_EQ(fcntl(a, F_GETFD), 0);
	/* The flag is per descriptor, not per open file. */
	CHECK_OK(fcntl(d, F_SETFD, FD_CLOEXEC));
	CHECK_EQ(fcntl(a, F_GETFD), 0);
	close(a);
	close(c);
	close(d);
}

TEST(fcntl_dupfd)
{
	struct rlimit rl;
	int a = CHECK_OK(open("/etc/passwd", O_RDONLY));

	CHECK_EQ(fcntl(a, F_DUPFD, 100), 100);
	CHECK_EQ(fcntl(a, F_DUPFD, 100), 101);
	CHECK_EQ(fcntl(100, F_GETFD), 0);
	CHECK_EQ(fcntl(a, F_DUPFD_CLOEXEC, 100), 102);
	CHECK_EQ(fcntl(102, F_GETFD), FD_CLOEXEC);
	/* Below the minimum the lowest free is not used. */
	CHECK(fcntl(a, F_DUPFD, 0) < 100);
	close(100);
	close(101);
	close(102);
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK_ERRNO(fcntl(a, F_DUPFD, (int)rl.rlim_cur), EINVAL);
	CHECK_ERRNO(fcntl(a, F_DUPFD, -1), EINVAL);
	CHECK_ERRNO(fcntl(0x7fff0000, F_DUPFD, 0), EBADF);
	close(a);
}

TEST(fcntl_status_flags)
{
	int r = CHECK_OK(open("/etc/passwd", O_RDONLY));
	int w = CHECK_OK(open("/dev/null", O_WRONLY));
	int rw = CHECK_OK(open("/dev/null", O_RDWR | O_APPEND));

	CHECK_EQ(fcntl(r, F_GETFL) & O_ACCMODE, O_RDONLY);
	CHECK_EQ(fcntl(w, F_GETFL) & O_ACCMODE, O_WRONLY);
	CHECK_EQ(fcntl(rw, F_GETFL) & O_ACCMODE, O_RDWR);
	CHECK(fcntl(rw, F_GETFL) & O_APPEND);
	CHECK(!(fcntl(r, F_GETFL) & (O_APPEND | O_NONBLOCK)));
	/* O_CLOEXEC is an fd flag, never reported as a status flag. */
	int c = CHECK_OK(open("/etc/passwd", O_RDONLY | O_CLOEXEC));
	CHECK(!(fcntl(c, F_GETFL) & O_CLOEXEC));
	close(c);

	CHECK_OK(fcntl(r, F_SETFL, O_NONBLOCK));
	CHECK(fcntl(r, F_GETFL) & O_NONBLOCK);
	/* The access mode cannot be changed by F_SETFL. */
	CHECK_OK(fcntl(r, F_SETFL, O_RDWR));
	CHECK_EQ(fcntl(r, F_GETFL) & O_ACCMODE, O_RDONLY);
	CHECK(!(fcntl(r, F_GETFL) & O_NONBLOCK));
	/* Status flags belong to the open file, so dups see them. */
	int d = CHECK_OK(dup(r));
	CHECK_OK(fcntl(d, F_SETFL, O_NONBLOCK));
	CHECK(fcntl(r, F_GETFL) & O_NONBLOCK);
	close(d);

	CHECK_ERRNO(fcntl(0x7fff0000, F_GETFL), EBADF);
	CHECK_ERRNO(fcntl(-1, F_GETFD), EBADF);
	CHECK_ERRNO(fcntl(-1, F_SETFD, 0), EBADF);
	CHECK_ERRNO(syscall(SYS_fcntl, r, 0x7fffffff, 0), EINVAL);
	close(r);
	close(w);
	close(rw);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, dup_lowest_free, dup_shares_offset, dup2_dup3,
			 fcntl_fd_flags, fcntl_dupfd, fcntl_status_flags);
}
