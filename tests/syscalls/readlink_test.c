/* readlink_test: readlink/readlinkat results and errors; access/faccessat/faccessat2. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

#define TARGET "../usr/lib/os-release"

TEST(readlink_value)
{
	char buf[256];

	memset(buf, 'X', sizeof buf);
	CHECK_EQ(readlink("/etc/os-release", buf, sizeof buf), strlen(TARGET));
	/* No terminating NUL is written. */
	CHECK_EQ(buf[strlen(TARGET)], 'X');
	buf[strlen(TARGET)] = '\0';
	CHECK_STREQ(buf, TARGET);

	int dir = CHECK_OK(open("/etc", O_RDONLY | O_DIRECTORY));
	memset(buf, 0, sizeof buf);
	CHECK_EQ(readlinkat(dir, "os-release", buf, sizeof buf), strlen(TARGET));
	CHECK_STREQ(buf, TARGET);
	close(dir);
	memset(buf, 0, sizeof buf);
	CHECK_EQ(syscall(SYS_readlink, "/etc/os-release", buf, sizeof buf), strlen(TARGET));
	CHECK_STREQ(buf, TARGET);

	/* Symlinks in the middle of the path are followed; the last is read. */
	struct stat l;
	CHECK_OK(lstat("/bin", &l));
	if (S_ISLNK(l.st_mode)) {
		memset(buf, 0, sizeof buf);
		CHECK_EQ(readlink("/bin", buf, sizeof buf), l.st_size);
		CHECK_STREQ(buf, "usr/bin");
		CHECK_OK(chdir("/"));
		memset(buf, 0, sizeof buf);
		CHECK_EQ(readlink("bin", buf, sizeof buf), l.st_size);
	}
}

TEST(readlink_truncates)
{
	char buf[64];

	memset(buf, 'X', sizeof buf);
	CHECK_EQ(readlink("/etc/os-release", buf, 5), 5);
	CHECK(memcmp(buf, "../us", 5) == 0);
	CHECK_EQ(buf[5], 'X');
	CHECK_EQ(readlink("/etc/os-release", buf, 1), 1);
	CHECK_EQ(buf[0], '.');
	CHECK_EQ(buf[1], '.');
}

TEST(readlink_errors)
{
	char buf[64];

	CHECK_ERRNO(readlink("/etc/passwd", buf, sizeof buf), EINVAL);
	CHECK_ERRNO(readlink("/etc", buf, sizeof buf), EINVAL);
	CHECK_ERRNO(readlink("/nonexistent-cvisor", buf, sizeof buf), ENOENT);
	CHECK_ERRNO(readlink("/etc/passwd/x", buf, sizeof buf), ENOTDIR);
	CHECK_ERRNO(readlink("", buf, sizeof buf), ENOENT);
	CHECK_ERRNO(syscall(SYS_readlink, "/etc/os-release", buf, 0), EINVAL);
	CHECK_ERRNO(syscall(SYS_readlink, "/etc/os-release", buf, -1), EINVAL);
	CHECK_ERRNO(syscall(SYS_readlink, "/etc/os-release", (void *)1, sizeof buf), EFAULT);
	CHECK_ERRNO(syscall(SYS_readlink, (void *)1, buf, sizeof buf), EFAULT);
	CHECK_ERRNO(readlinkat(0x7fff0000, "os-release", buf, sizeof buf), EBADF);
}

TEST(access_modes)
{
	/* The application is root, which has read access to everything and
	 * execute access where any execute bit is set. */
	CHECK_OK(access("/etc/passwd", R_OK));
	CHECK_OK(access("/etc/passwd", F_OK));
	CHECK_ERRNO(access("/etc/passwd", X_OK), EACCES);
	CHECK_OK(access("/bin/sh", X_OK));
	CHECK_OK(access("/bin/sh", R_OK | X_OK));
	CHECK_OK(access("/bin/sh", F_OK));
	CHECK_OK(access("/usr/bin", X_OK));
	CHECK_OK(access("/etc/os-release", R_OK));
	CHECK_ERRNO(access("/nonexistent-cvisor", F_OK), ENOENT);
	CHECK_ERRNO(access("/etc/passwd/x", F_OK), ENOTDIR);
	CHECK_ERRNO(access("/etc/passwd", 8), EINVAL);
	CHECK_ERRNO(syscall(SYS_access, (void *)1, F_OK), EFAULT);
}

TEST(faccessat_variants)
{
	int dir = CHECK_OK(open("/etc", O_RDONLY | O_DIRECTORY));

	CHECK_OK(faccessat(dir, "passwd", R_OK, 0));
	CHECK_ERRNO(faccessat(dir, "passwd", X_OK, 0), EACCES);
	CHECK_ERRNO(faccessat(dir, "nonexistent-cvisor", F_OK, 0), ENOENT);
	CHECK_OK(syscall(SYS_faccessat, dir, "passwd", R_OK));
	CHECK_OK(syscall(SYS_faccessat, AT_FDCWD, "/bin/sh", X_OK));
	CHECK_ERRNO(syscall(SYS_faccessat, 0x7fff0000, "passwd", R_OK), EBADF);
	/* faccessat2 takes flags: NOFOLLOW checks the link itself. */
	CHECK_OK(syscall(SYS_faccessat2, dir, "os-release", F_OK, AT_SYMLINK_NOFOLLOW));
	CHECK_OK(syscall(SYS_faccessat2, AT_FDCWD, "/etc/os-release", R_OK, AT_EACCESS));
	CHECK_OK(syscall(SYS_faccessat2, AT_FDCWD, "/etc/os-release", R_OK, 0));
	CHECK_ERRNO(syscall(SYS_faccessat2, AT_FDCWD, "/etc/passwd", R_OK, 0x1), EINVAL);
	int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
	CHECK_OK(syscall(SYS_faccessat2, fd, "", R_OK, AT_EMPTY_PATH));
	CHECK_ERRNO(syscall(SYS_faccessat2, fd, "", R_OK, 0), ENOENT);
	close(fd);
	close(dir);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, readlink_value, readlink_truncates, readlink_errors,
			 access_modes, faccessat_variants);
}
