/* Writing files through the sandbox: create, write, stat freshness,
 * truncate, rename (and renameat2 flags), links, symlinks, rmdir, times,
 * fallocate, fsync and user xattrs, in a fresh directory under /tmp (the
 * overlay's tmpfs by default, the host through the gofer with
 * --overlay=none or a volume). */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>

#include "testlib.h"

static const char *dir;

static void path(char *buf, const char *name) { snprintf(buf, 128, "%s/%s", dir, name); }

static void put(const char *name, const char *text)
{
	char p[128];
	path(p, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CCHECK(fd >= 0);
	CCHECK(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	close(fd);
}

static void get(const char *name, char *buf, size_t size)
{
	char p[128];
	path(p, name);
	int fd = open(p, O_RDONLY);
	CCHECK(fd >= 0);
	ssize_t n = read(fd, buf, size - 1);
	CCHECK(n >= 0);
	buf[n] = '\0';
	close(fd);
}

TEST(create_write_stat)
{
	char p[128], buf[64];
	struct stat st;
	path(p, "f");
	int fd = open(p, O_RDWR | O_CREAT | O_EXCL, 0640);
	CHECK(fd >= 0);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(st.st_mode & 07777, 0640 & ~022 & 07777);
	CHECK_EQ(write(fd, "hello", 5), 5);
	/* Both fstat and stat see the write at once. */
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 5);
	CHECK_OK(stat(p, &st));
	CHECK_EQ(st.st_size, 5);
	CHECK_ERRNO(open(p, O_RDWR | O_CREAT | O_EXCL, 0640), EEXIST);
	close(fd);
	get("f", buf, sizeof buf);
	CHECK_STREQ(buf, "hello");
	/* O_APPEND and O_TRUNC. */
	fd = open(p, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "!", 1), 1);
	close(fd);
	get("f", buf, sizeof buf);
	CHECK_STREQ(buf, "hello!");
	fd = open(p, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 0);
	close(fd);
	CHECK_OK(stat(p, &st));
	CHECK_EQ(st.st_size, 0);
	CHECK_OK(unlink(p));
	CHECK_ERRNO(stat(p, &st), ENOENT);
}

TEST(truncate_and_times)
{
	char p[128];
	struct stat st;
	put("t", "0123456789");
	path(p, "t");
	CHECK_OK(truncate(p, 4));
	CHECK_OK(stat(p, &st));
	CHECK_EQ(st.st_size, 4);
	int fd = open(p, O_RDWR);
	CHECK(fd >= 0);
	CHECK_OK(ftruncate(fd, 8192));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 8192);
	struct timespec ts[2] = {{.tv_sec = 1000000000, .tv_nsec = 5}, {.tv_nsec = UTIME_OMIT}};
	CHECK_OK(utimensat(AT_FDCWD, p, ts, 0));
	CHECK_OK(stat(p, &st));
	CHECK_EQ(st.st_atim.tv_sec, 1000000000);
	CHECK_EQ(st.st_atim.tv_nsec, 5);
	struct timespec m[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = 1234567890}};
	CHECK_OK(futimens(fd, m));
	CHECK_OK(stat(p, &st));
	CHECK_EQ(st.st_mtim.tv_sec, 1234567890);
	CHECK_EQ(st.st_atim.tv_sec, 1000000000);
	CHECK_OK(fchmod(fd, 0600));
	CHECK_OK(stat(p, &st));
	CHECK_EQ(st.st_mode & 07777, 0600);
	CHECK_OK(fsync(fd));
	CHECK_OK(fdatasync(fd));
	close(fd);
	CHECK_OK(unlink(p));
}

TEST(fallocate_space)
{
	char p[128];
	struct stat st;
	put("fa", "");
	path(p, "fa");
	int fd = open(p, O_RDWR);
	CHECK(fd >= 0);
	int r = fallocate(fd, 0, 0, 65536);
	/* tmpfs (the default overlay) may not support it: only then. */
	if (r == 0) {
		CHECK_OK(fstat(fd, &st));
		CHECK_EQ(st.st_size, 65536);
		CHECK_OK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 65536, 4096));
		CHECK_OK(fstat(fd, &st));
		CHECK_EQ(st.st_size, 65536);
	} else {
		CHECK_EQ(errno, EOPNOTSUPP);
	}
	CHECK_ERRNO(fallocate(fd, 0, -1, 10), EINVAL);
	CHECK_ERRNO(fallocate(fd, 0, 0, 0), EINVAL);
	close(fd);
	fd = open(p, O_RDONLY);
	CHECK_ERRNO(fallocate(fd, 0, 0, 10), EBADF);
	close(fd);
	CHECK_OK(unlink(p));
}

TEST(rename_flags)
{
	char a[128], b[128], buf[64];
	put("a", "A");
	put("b", "B");
	path(a, "a");
	path(b, "b");
	CHECK_ERRNO(renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_NOREPLACE), EEXIST);
	int r = renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE);
	if (r == 0) {
		get("a", buf, sizeof buf);
		CHECK_STREQ(buf, "B");
		get("b", buf, sizeof buf);
		CHECK_STREQ(buf, "A");
	} else {
		CHECK_EQ(errno, EINVAL); /* a filesystem without exchange */
	}
	CHECK_OK(rename(a, b));
	CHECK_ERRNO(access(a, F_OK), ENOENT);
	get("b", buf, sizeof buf);
	CHECK_STREQ(buf, r == 0 ? "B" : "A");
	CHECK_OK(unlink(b));
}

TEST(dirs_links_symlinks)
{
	char d[128], f[128], l[128], h[128], buf[128];
	struct stat st;
	path(d, "d");
	CHECK_OK(mkdir(d, 0750));
	CHECK_OK(stat(d, &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0750 & ~022);
	CHECK_ERRNO(mkdir(d, 0750), EEXIST);
	put("d/in", "inner");
	CHECK_ERRNO(rmdir(d), ENOTEMPTY);
	/* Renaming a directory moves what is under it. */
	char d2[128];
	path(d2, "d2");
	CHECK_OK(rename(d, d2));
	get("d2/in", buf, sizeof buf);
	CHECK_STREQ(buf, "inner");
	path(f, "d2/in");
	path(h, "hard");
	CHECK_OK(link(f, h));
	CHECK_OK(stat(f, &st));
	CHECK_EQ(st.st_nlink, 2);
	path(l, "sym");
	CHECK_OK(symlink("d2/in", l));
	ssize_t n = readlink(l, buf, sizeof buf);
	CHECK_EQ(n, 5);
	buf[n] = '\0';
	CHECK_STREQ(buf, "d2/in");
	get("sym", buf, sizeof buf);
	CHECK_STREQ(buf, "inner");
	CHECK_OK(lstat(l, &st));
	CHECK(S_ISLNK(st.st_mode));
	CHECK_OK(unlink(l));
	CHECK_OK(unlink(f));
	CHECK_OK(stat(h, &st));
	CHECK_EQ(st.st_nlink, 1);
	CHECK_OK(unlink(h));
	CHECK_OK(rmdir(d2));
	CHECK_ERRNO(stat(d2, &st), ENOENT);
	/* A FIFO; device nodes need CAP_MKNOD (and the gofer refuses them). */
	char fifo[128];
	path(fifo, "fifo");
	CHECK_OK(mkfifo(fifo, 0600));
	CHECK_OK(lstat(fifo, &st));
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_OK(unlink(fifo));
}

TEST(listing_follows_changes)
{
	char p[128];
	put("x1", "1");
	put("x2", "2");
	path(p, "x1");
	CHECK_OK(unlink(p));
	DIR *dp = opendir(dir);
	CHECK(dp != NULL);
	int seen = 0;
	struct dirent *e;
	while ((e = readdir(dp)))
		if (!strncmp(e->d_name, "x", 1)) {
			CHECK_STREQ(e->d_name, "x2");
			seen++;
		}
	closedir(dp);
	CHECK_EQ(seen, 1);
	path(p, "x2");
	CHECK_OK(unlink(p));
}

TEST(user_xattrs)
{
	char p[128], buf[64];
	put("xa", "data");
	path(p, "xa");
	if (setxattr(p, "user.k", "v1", 2, 0)) {
		/* tmpfs upper layers keep none: refused as Linux does without
		 * support. */
		CHECK_EQ(errno, EOPNOTSUPP);
		CHECK_ERRNO(getxattr(p, "user.k", buf, sizeof buf), ENODATA);
		CHECK_OK(unlink(p));
		return;
	}
	CHECK_EQ(getxattr(p, "user.k", buf, sizeof buf), 2);
	CHECK(!memcmp(buf, "v1", 2));
	CHECK_EQ(getxattr(p, "user.k", NULL, 0), 2);
	CHECK_ERRNO(getxattr(p, "user.k", buf, 1), ERANGE);
	CHECK_ERRNO(setxattr(p, "user.k", "v2", 2, XATTR_CREATE), EEXIST);
	CHECK_ERRNO(setxattr(p, "user.none", "v2", 2, XATTR_REPLACE), ENODATA);
	ssize_t n = listxattr(p, buf, sizeof buf);
	CHECK(n >= 7);
	CHECK(memmem(buf, (size_t)n, "user.k", 7) != NULL);
	CHECK_OK(removexattr(p, "user.k"));
	CHECK_ERRNO(getxattr(p, "user.k", buf, sizeof buf), ENODATA);
	CHECK_OK(unlink(p));
}

int main(int argc, char **argv)
{
	umask(022);
	if (!(dir = tl_tmpdir())) {
		perror("mkdtemp");
		return 1;
	}
	return RUN_TESTS(argc, argv, create_write_stat, truncate_and_times, fallocate_space,
			 rename_flags, dirs_links_symlinks, listing_follows_changes, user_xattrs);
}
