/* ioctl_test: FIONREAD on regular files, terminal ioctls on non-terminals. */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include "testlib.h"

TEST(fionread_regular_file)
{
	struct stat st;
	int n = -1;
	int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));

	CHECK_OK(fstat(fd, &st));
	CHECK_OK(ioctl(fd, FIONREAD, &n));
	CHECK_EQ(n, st.st_size);
	CHECK_EQ(lseek(fd, 10, SEEK_SET), 10);
	CHECK_OK(ioctl(fd, FIONREAD, &n));
	CHECK_EQ(n, st.st_size - 10);
	char buf[7];
	CHECK_EQ(read(fd, buf, sizeof buf), sizeof buf);
	CHECK_OK(ioctl(fd, FIONREAD, &n));
	CHECK_EQ(n, st.st_size - 17);
	CHECK_EQ(lseek(fd, 0, SEEK_END), st.st_size);
	CHECK_OK(ioctl(fd, FIONREAD, &n));
	CHECK_EQ(n, 0);
	CHECK_ERRNO(syscall(SYS_ioctl, fd, FIONREAD, (void *)1), EFAULT);
	close(fd);
}

TEST(tty_ioctls_on_non_tty)
{
	struct termios t;
	struct winsize ws;
	int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
	int null = CHECK_OK(open("/dev/null", O_RDONLY));

	CHECK_ERRNO(ioctl(fd, TCGETS, &t), ENOTTY);
	CHECK_ERRNO(ioctl(fd, TIOCGWINSZ, &ws), ENOTTY);
	CHECK_ERRNO(ioctl(null, TCGETS, &t), ENOTTY);
	CHECK_ERRNO(ioctl(null, TIOCGWINSZ, &ws), ENOTTY);
	CHECK_EQ(isatty(fd), 0);
	CHECK_EQ(errno, ENOTTY);
	/* A directory is no terminal either. */
	int dir = CHECK_OK(open("/etc", O_RDONLY | O_DIRECTORY));
	CHECK_ERRNO(ioctl(dir, TCGETS, &t), ENOTTY);
	close(dir);
	close(null);
	close(fd);
}

TEST(ioctl_bad_fd)
{
	int n;

	CHECK_ERRNO(ioctl(-1, FIONREAD, &n), EBADF);
	CHECK_ERRNO(ioctl(0x7fff0000, TCGETS, &n), EBADF);
}

TEST(stdio_terminal_if_any)
{
	/* Only when the test runs on a terminal (by hand): the runner gives it
	 * files and pipes, where the checks above already apply. */
	for (int fd = 0; fd <= 2; fd++) {
		struct termios t;
		struct winsize ws;
		if (!isatty(fd))
			continue;
		CHECK_OK(ioctl(fd, TCGETS, &t));
		CHECK_OK(ioctl(fd, TIOCGWINSZ, &ws));
		CHECK_ERRNO(syscall(SYS_ioctl, fd, TCGETS, (void *)1), EFAULT);
	}
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, fionread_regular_file, tty_ioctls_on_non_tty, ioctl_bad_fd,
			 stdio_terminal_if_any);
}
