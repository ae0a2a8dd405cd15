/* devfs_test: /dev: null, zero, full, random, urandom semantics, device
 * numbers and modes, the fd links, /dev/pts and /dev/shm, /dev/tty without
 * a controlling terminal. */
#include "testlib.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

static void check_chr(const char *path, unsigned maj, unsigned min)
{
	struct stat st;
	CHECK_OK(stat(path, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), maj);
	CHECK_EQ(minor(st.st_rdev), min);
}

TEST(device_numbers)
{
	check_chr("/dev/null", 1, 3);
	check_chr("/dev/zero", 1, 5);
	check_chr("/dev/full", 1, 7);
	check_chr("/dev/random", 1, 8);
	check_chr("/dev/urandom", 1, 9);
	check_chr("/dev/tty", 5, 0);
	check_chr("/dev/ptmx", 5, 2);
	struct stat st;
	const char *rw[] = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom",
			    "/dev/tty"};
	for (size_t i = 0; i < sizeof rw / sizeof rw[0]; i++) {
		CHECK_OK(stat(rw[i], &st));
		CHECK_EQ(st.st_mode & 07777, 0666);
		CHECK_EQ(st.st_uid, 0);
	}
	/* An open file says the same as the node. */
	int fd = CHECK_OK(open("/dev/null", O_RDONLY));
	struct stat fst;
	CHECK_OK(fstat(fd, &fst));
	CHECK_OK(stat("/dev/null", &st));
	CHECK_EQ(fst.st_rdev, st.st_rdev);
	CHECK_EQ(fst.st_ino, st.st_ino);
	close(fd);
}

TEST(null_device)
{
	int fd = CHECK_OK(open("/dev/null", O_RDWR));
	char buf[16] = "unchanged";
	CHECK_EQ(read(fd, buf, sizeof buf), 0);
	CHECK_STREQ(buf, "unchanged");
	CHECK_EQ(write(fd, "data", 4), 4);
	CHECK_EQ(lseek(fd, 100, SEEK_SET), 0);
	close(fd);
}

TEST(zero_device)
{
	int fd = CHECK_OK(open("/dev/zero", O_RDWR));
	char buf[8192];
	memset(buf, 'x', sizeof buf);
	CHECK_EQ(read(fd, buf, sizeof buf), sizeof buf);
	for (size_t i = 0; i < sizeof buf; i++)
		CHECK_EQ(buf[i], 0);
	CHECK_EQ(write(fd, "data", 4), 4);
	close(fd);
}

TEST(full_device)
{
	int fd = CHECK_OK(open("/dev/full", O_RDWR));
	char buf[64];
	memset(buf, 'x', sizeof buf);
	CHECK_ERRNO(write(fd, "data", 4), ENOSPC);
	CHECK_EQ(read(fd, buf, sizeof buf), sizeof buf);
	CHECK_EQ(buf[0], 0);
	CHECK_EQ(buf[63], 0);
	close(fd);
}

TEST(random_devices)
{
	const char *names[] = {"/dev/urandom", "/dev/random"};
	for (int k = 0; k < 2; k++) {
		int fd = CHECK_OK(open(names[k], O_RDONLY));
		unsigned char a[64], b[64];
		CHECK_EQ(read(fd, a, sizeof a), sizeof a);
		CHECK_EQ(read(fd, b, sizeof b), sizeof b);
		CHECK(memcmp(a, b, sizeof a) != 0);
		int nonzero = 0;
		for (size_t i = 0; i < sizeof a; i++)
			nonzero += a[i] != 0;
		CHECK(nonzero > 32);
		close(fd);
	}
	int fd = CHECK_OK(open("/dev/urandom", O_WRONLY));
	CHECK_EQ(write(fd, "entropy", 7), 7);
	close(fd);
}

TEST(links)
{
	char buf[64];
	ssize_t n = CHECK_OK(readlink("/dev/fd", buf, sizeof buf - 1));
	buf[n] = '\0';
	CHECK_STREQ(buf, "/proc/self/fd");
	n = CHECK_OK(readlink("/dev/stdin", buf, sizeof buf - 1));
	buf[n] = '\0';
	CHECK_STREQ(buf, "/proc/self/fd/0");
	n = CHECK_OK(readlink("/dev/stderr", buf, sizeof buf - 1));
	buf[n] = '\0';
	CHECK_STREQ(buf, "/proc/self/fd/2");
	/* Through the link: fd 2 of this process. */
	struct stat a, b;
	CHECK_OK(stat("/dev/stderr", &a));
	CHECK_OK(fstat(2, &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_dev, b.st_dev);
}

TEST(pts_and_shm)
{
	struct stat st;
	CHECK_OK(stat("/dev/pts", &st));
	CHECK(S_ISDIR(st.st_mode));
	struct statfs sf;
	CHECK_OK(statfs("/dev/pts", &sf));
	CHECK_EQ(sf.f_type, 0x1cd1); /* DEVPTS_SUPER_MAGIC */
	check_chr("/dev/pts/ptmx", 5, 2);
	CHECK_OK(stat("/dev/shm", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 01777);
	CHECK_OK(statfs("/dev/shm", &sf));
	CHECK_EQ(sf.f_type, 0x01021994); /* TMPFS_MAGIC */
	/* /dev/shm is writable (POSIX shared memory lives there). */
	char path[64];
	snprintf(path, sizeof path, "/dev/shm/cvt-devfs-%d", (int)getpid());
	int fd = CHECK_OK(open(path, O_CREAT | O_RDWR | O_EXCL, 0600));
	CHECK_EQ(write(fd, "x", 1), 1);
	close(fd);
	CHECK_OK(unlink(path));
	/* ".." of /dev/pts is /dev. */
	struct stat dev, up;
	CHECK_OK(stat("/dev", &dev));
	CHECK_OK(stat("/dev/pts/..", &up));
	CHECK_EQ(dev.st_ino, up.st_ino);
	CHECK_EQ(dev.st_dev, up.st_dev);
}

TEST(tty_without_ctty)
{
	pid_t pid = fork();
	if (pid == 0) {
		CCHECK(setsid() == getpid());
		CCHECK(open("/dev/tty", O_RDWR) == -1 && errno == ENXIO);
		_exit(0);
	}
	WAIT_EXIT(pid, 0);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, device_numbers, null_device, zero_device, full_device,
			 random_devices, links, pts_and_shm, tty_without_ctty);
}
