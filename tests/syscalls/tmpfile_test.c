/* tmpfile_test: O_TMPFILE unnamed files, naming them with linkat (by
 * AT_EMPTY_PATH and through /proc/self/fd), O_EXCL, and the errors. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "testlib.h"

static const char *dir;

static void setup(void)
{
	CHECK((dir = tl_tmpdir()) != NULL);
}

/* Removes dir; returns how many names it held. */
static int teardown(void)
{
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	tl_rmtree(dir);
	return n;
}

static void path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

TEST(tmpfile_then_link)
{
	char p[128], buf[16] = {0};
	struct stat st;
	setup();
	int fd = CHECK_OK(open(dir, O_TMPFILE | O_RDWR, 0640));
	CHECK_EQ(write(fd, "hello", 5), 5);
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_nlink, 0);
	CHECK_EQ(st.st_size, 5);
	CHECK_EQ(st.st_mode & 07777, 0640 & ~umask(022));
	umask(022);
	/* Nothing in the directory yet. */
	DIR *d = opendir(dir);
	CHECK(d != NULL);
	int names = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		names += e->d_name[0] != '.';
	closedir(d);
	CHECK_EQ(names, 0);
	path_of(p, sizeof p, "named");
	CHECK_OK(linkat(fd, "", AT_FDCWD, p, AT_EMPTY_PATH));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_nlink, 1);
	int fd2 = CHECK_OK(open(p, O_RDONLY));
	CHECK_EQ(read(fd2, buf, sizeof buf), 5);
	CHECK_STREQ(buf, "hello");
	struct stat st2;
	CHECK_OK(fstat(fd2, &st2));
	CHECK_EQ(st2.st_ino, st.st_ino);
	close(fd2);
	/* Now an ordinary file: another name is fine. */
	path_of(p, sizeof p, "again");
	CHECK_OK(linkat(fd, "", AT_FDCWD, p, AT_EMPTY_PATH));
	close(fd);
	CHECK_EQ(teardown(), 2);
}

TEST(tmpfile_link_through_proc)
{
	char p[128], fdp[64];
	struct stat st;
	setup();
	int fd = CHECK_OK(open(dir, O_TMPFILE | O_WRONLY, 0600));
	CHECK_EQ(write(fd, "abc", 3), 3);
	snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", fd);
	path_of(p, sizeof p, "viaproc");
	CHECK_OK(linkat(AT_FDCWD, fdp, AT_FDCWD, p, AT_SYMLINK_FOLLOW));
	CHECK_OK(stat(p, &st));
	CHECK_EQ(st.st_size, 3);
	CHECK_EQ(st.st_nlink, 1);
	/* The name exists now: EEXIST. */
	CHECK_ERRNO(linkat(fd, "", AT_FDCWD, p, AT_EMPTY_PATH), EEXIST);
	close(fd);
	CHECK_EQ(teardown(), 1);
}

TEST(tmpfile_excl_not_linkable)
{
	char p[128], fdp[64];
	setup();
	int fd = CHECK_OK(open(dir, O_TMPFILE | O_RDWR | O_EXCL, 0600));
	CHECK_EQ(write(fd, "x", 1), 1);
	path_of(p, sizeof p, "never");
	CHECK_ERRNO(linkat(fd, "", AT_FDCWD, p, AT_EMPTY_PATH), ENOENT);
	snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", fd);
	CHECK_ERRNO(linkat(AT_FDCWD, fdp, AT_FDCWD, p, AT_SYMLINK_FOLLOW), ENOENT);
	CHECK_ERRNO(access(p, F_OK), ENOENT);
	close(fd);
	CHECK_EQ(teardown(), 0);
}

TEST(tmpfile_relinked_after_unlink_fails)
{
	char p[128];
	setup();
	int fd = CHECK_OK(open(dir, O_TMPFILE | O_RDWR, 0600));
	path_of(p, sizeof p, "once");
	CHECK_OK(linkat(fd, "", AT_FDCWD, p, AT_EMPTY_PATH));
	CHECK_OK(unlink(p));
	/* Linkable once only: an unlinked file stays unlinked. */
	CHECK_ERRNO(linkat(fd, "", AT_FDCWD, p, AT_EMPTY_PATH), ENOENT);
	close(fd);
	CHECK_EQ(teardown(), 0);
}

TEST(tmpfile_errors)
{
	char p[128];
	setup();
	CHECK_ERRNO(open(dir, O_TMPFILE | O_RDONLY, 0600), EINVAL);
	path_of(p, sizeof p, "missing");
	CHECK_ERRNO(open(p, O_TMPFILE | O_RDWR, 0600), ENOENT);
	path_of(p, sizeof p, "file");
	int fd = CHECK_OK(open(p, O_CREAT | O_WRONLY, 0600));
	close(fd);
	CHECK_ERRNO(open(p, O_TMPFILE | O_RDWR, 0600), ENOTDIR);
	CHECK_ERRNO(open("/proc", O_TMPFILE | O_RDWR, 0600), EOPNOTSUPP);
	/* Write permission on the directory is needed (not for root). */
	if (geteuid() != 0) {
		CHECK_OK(chmod(dir, 0500));
		CHECK_ERRNO(open(dir, O_TMPFILE | O_RDWR, 0600), EACCES);
		CHECK_OK(chmod(dir, 0700));
	}
	CHECK_EQ(teardown(), 1);
}

int main(int argc, char **argv)
{
	umask(022);
	return RUN_TESTS(argc, argv, tmpfile_then_link, tmpfile_link_through_proc,
			 tmpfile_excl_not_linkable, tmpfile_relinked_after_unlink_fails,
			 tmpfile_errors);
}
