/* stat_test: stat, fstat, lstat, newfstatat and statx agree; symlinks; errors. */
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "testlib.h"

static void check_same(const struct stat *a, const struct stat *b)
{
	CHECK_EQ(a->st_dev, b->st_dev);
	CHECK_EQ(a->st_ino, b->st_ino);
	CHECK_EQ(a->st_mode, b->st_mode);
	CHECK_EQ(a->st_nlink, b->st_nlink);
	CHECK_EQ(a->st_uid, b->st_uid);
	CHECK_EQ(a->st_gid, b->st_gid);
	CHECK_EQ(a->st_size, b->st_size);
	CHECK_EQ(a->st_blocks, b->st_blocks);
	CHECK_EQ(a->st_mtim.tv_sec, b->st_mtim.tv_sec);
	CHECK_EQ(a->st_mtim.tv_nsec, b->st_mtim.tv_nsec);
	CHECK_EQ(a->st_ctim.tv_sec, b->st_ctim.tv_sec);
}

static void check_statx_matches(const struct statx *x, const struct stat *s)
{
	unsigned need = STATX_TYPE | STATX_MODE | STATX_INO | STATX_SIZE | STATX_NLINK;

	CHECK_EQ(x->stx_mask & need, need);
	CHECK_EQ(x->stx_ino, s->st_ino);
	CHECK_EQ(x->stx_mode, s->st_mode);
	CHECK_EQ(x->stx_size, s->st_size);
	CHECK_EQ(x->stx_nlink, s->st_nlink);
	CHECK_EQ(x->stx_uid, s->st_uid);
	CHECK_EQ(x->stx_gid, s->st_gid);
	CHECK_EQ(makedev(x->stx_dev_major, x->stx_dev_minor), s->st_dev);
	CHECK_EQ(x->stx_mtime.tv_sec, s->st_mtim.tv_sec);
	CHECK_EQ(x->stx_mtime.tv_nsec, s->st_mtim.tv_nsec);
}

TEST(all_calls_agree)
{
	struct stat s, f, l, at, raw;
	struct statx x;
	int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));

	CHECK_OK(stat("/etc/passwd", &s));
	CHECK_OK(fstat(fd, &f));
	CHECK_OK(lstat("/etc/passwd", &l));
	CHECK_OK(fstatat(AT_FDCWD, "/etc/passwd", &at, 0));
	CHECK(S_ISREG(s.st_mode));
	CHECK(s.st_size > 0);
	CHECK(s.st_nlink >= 1);
	CHECK(s.st_blksize > 0);
	check_same(&s, &f);
	check_same(&s, &l);
	check_same(&s, &at);
	/* The raw stat and newfstatat syscalls, not whatever glibc picks. */
	CHECK_OK(syscall(SYS_stat, "/etc/passwd", &raw));
	check_same(&s, &raw);
	CHECK_OK(syscall(SYS_newfstatat, AT_FDCWD, "/etc/passwd", &raw, 0));
	check_same(&s, &raw);
	CHECK_OK(syscall(SYS_fstat, fd, &raw));
	check_same(&s, &raw);
	CHECK_OK(statx(AT_FDCWD, "/etc/passwd", 0, STATX_BASIC_STATS, &x));
	check_statx_matches(&x, &s);
	close(fd);
}

TEST(relative_to_dirfd)
{
	struct stat a, b;
	int dir = CHECK_OK(open("/etc", O_RDONLY | O_DIRECTORY));

	CHECK_OK(fstatat(dir, "passwd", &a, 0));
	CHECK_OK(stat("/etc/passwd", &b));
	check_same(&a, &b);
	CHECK_OK(fstatat(dir, "../etc/./passwd", &a, 0));
	check_same(&a, &b);
	CHECK_OK(fstatat(dir, ".", &a, 0));
	CHECK(S_ISDIR(a.st_mode));
	CHECK_OK(fstat(dir, &b));
	check_same(&a, &b);
	/* ".." of the root is the root. */
	CHECK_OK(stat("/..", &a));
	CHECK_OK(stat("/", &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	close(dir);
}

TEST(symlinks)
{
	struct stat l, s, target;
	struct statx x;

	CHECK_OK(lstat("/etc/os-release", &l));
	CHECK(S_ISLNK(l.st_mode));
	CHECK_EQ(l.st_size, strlen("../usr/lib/os-release"));
	CHECK_OK(stat("/etc/os-release", &s));
	CHECK(S_ISREG(s.st_mode));
	CHECK_OK(stat("/usr/lib/os-release", &target));
	check_same(&s, &target);
	CHECK(l.st_ino != s.st_ino);
	CHECK_OK(fstatat(AT_FDCWD, "/etc/os-release", &s, AT_SYMLINK_NOFOLLOW));
	check_same(&s, &l);
	CHECK_OK(statx(AT_FDCWD, "/etc/os-release", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &x));
	CHECK(S_ISLNK(x.stx_mode));
	CHECK_EQ(x.stx_ino, l.st_ino);
	CHECK_OK(statx(AT_FDCWD, "/etc/os-release", 0, STATX_BASIC_STATS, &x));
	CHECK(S_ISREG(x.stx_mode));
	CHECK_EQ(x.stx_ino, target.st_ino);

	/* A symlink in the middle of a path is always followed. */
	CHECK_OK(stat("/bin", &s));
	CHECK(S_ISDIR(s.st_mode));
	CHECK_OK(lstat("/bin", &l));
	if (S_ISLNK(l.st_mode)) {
		CHECK_OK(stat("/usr/bin", &target));
		CHECK_EQ(s.st_ino, target.st_ino);
		CHECK_OK(lstat("/bin/sh", &l));
		CHECK_OK(lstat("/usr/bin/sh", &target));
		check_same(&l, &target);
	}
}

TEST(empty_path)
{
	struct stat a, b;
	struct statx x;
	int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));

	CHECK_OK(fstat(fd, &b));
	CHECK_OK(fstatat(fd, "", &a, AT_EMPTY_PATH));
	check_same(&a, &b);
	CHECK_OK(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &x));
	check_statx_matches(&x, &b);
	CHECK_ERRNO(fstatat(fd, "", &a, 0), ENOENT);
	CHECK_ERRNO(stat("", &a), ENOENT);
	CHECK_ERRNO(syscall(SYS_newfstatat, -1, "", &a, AT_EMPTY_PATH), EBADF);
	close(fd);
}

TEST(errors)
{
	struct stat st;
	struct statx x;
	char longname[NAME_MAX + 10];
	static char longpath[PATH_MAX + 100];

	CHECK_ERRNO(stat("/nonexistent-cvisor", &st), ENOENT);
	CHECK_ERRNO(lstat("/nonexistent-cvisor/x", &st), ENOENT);
	CHECK_ERRNO(stat("/etc/passwd/x", &st), ENOTDIR);
	CHECK_ERRNO(stat("/etc/passwd/", &st), ENOTDIR);
	CHECK_ERRNO(statx(AT_FDCWD, "/etc/passwd/x", 0, STATX_BASIC_STATS, &x), ENOTDIR);

	memset(longname, 'a', sizeof longname - 1);
	longname[0] = '/';
	longname[sizeof longname - 1] = '\0';
	CHECK_ERRNO(stat(longname, &st), ENAMETOOLONG);
	for (size_t i = 0; i + 2 < sizeof longpath; i += 2)
		memcpy(longpath + i, "/.", 2);
	longpath[sizeof longpath - 1] = '\0';
	CHECK_ERRNO(stat(longpath, &st), ENAMETOOLONG);

	CHECK_ERRNO(syscall(SYS_stat, (void *)1, &st), EFAULT);
	CHECK_ERRNO(syscall(SYS_stat, "/etc/passwd", (void *)1), EFAULT);
	CHECK_ERRNO(syscall(SYS_fstat, 0x7fff0000, &st), EBADF);
	CHECK_ERRNO(syscall(SYS_newfstatat, AT_FDCWD, "/etc/passwd", &st, 0x12345678), EINVAL);
	CHECK_ERRNO(statx(AT_FDCWD, "/etc/passwd", 0, 0x80000000u, &x), EINVAL);
	CHECK_ERRNO(statx(AT_FDCWD, "/etc/passwd", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC,
			  STATX_BASIC_STATS, &x),
		    EINVAL);
	/* A file in place of a directory in the middle of a relative walk. */
	int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
	CHECK_ERRNO(fstatat(fd, "x", &st, 0), ENOTDIR);
	close(fd);
}

TEST(special_files)
{
	struct stat st;

	CHECK_OK(stat("/dev/null", &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 1);
	CHECK_EQ(minor(st.st_rdev), 3);
	CHECK_OK(stat("/", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_OK(stat("/usr/bin", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK(st.st_nlink >= 2);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, all_calls_agree, relative_to_dirfd, symlinks, empty_path,
			 errors, special_files);
}
