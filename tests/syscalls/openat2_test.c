/* openat2_test: struct open_how checks and every RESOLVE_* flag, with a
 * symlink pointing outside the directory that RESOLVE_IN_ROOT keeps in. */
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "testlib.h"

static const char *dir;
static int dfd;

static long o2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
	struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};
	return syscall(SYS_openat2, dirfd, path, &how, sizeof how);
}

static void put(const char *name, const char *text)
{
	int fd = CHECK_OK(openat(dfd, name, O_CREAT | O_WRONLY | O_TRUNC, 0644));
	CHECK_EQ(write(fd, text, strlen(text)), (long)strlen(text));
	close(fd);
}

/* The text of the file open at fd. */
static const char *slurp(int fd)
{
	static char buf[64];
	memset(buf, 0, sizeof buf);
	if (read(fd, buf, sizeof buf - 1) < 0)
		strcpy(buf, "?");
	close(fd);
	return buf;
}

static void setup(void)
{
	CHECK((dir = tl_tmpdir()) != NULL);
	dfd = CHECK_OK(open(dir, O_DIRECTORY | O_RDONLY));
	put("f", "inside");
	CHECK_OK(mkdirat(dfd, "sub", 0755));
	put("sub/g", "deeper");
	CHECK_OK(symlinkat("f", dfd, "rel"));
	CHECK_OK(symlinkat("/f", dfd, "abs"));
	CHECK_OK(symlinkat("../../../../../../f", dfd, "up"));
	CHECK_OK(symlinkat("/etc/passwd", dfd, "passwd"));
}

static void teardown(void)
{
	close(dfd);
	tl_rmtree(dir);
}

TEST(open_how_checks)
{
	setup();
	struct {
		struct open_how how;
		uint64_t extra;
	} big = {{.flags = O_RDONLY}, 0};
	int fd = CHECK_OK(syscall(SYS_openat2, dfd, "f", &big, sizeof big));
	CHECK_STREQ(slurp(fd), "inside");
	big.extra = 1;
	CHECK_ERRNO(syscall(SYS_openat2, dfd, "f", &big, sizeof big), E2BIG);
	CHECK_ERRNO(syscall(SYS_openat2, dfd, "f", &big.how, 8), EINVAL);
	CHECK_ERRNO(syscall(SYS_openat2, dfd, "f", &big.how, 0), EINVAL);
	static char page[8192];
	CHECK_ERRNO(syscall(SYS_openat2, dfd, "f", page, sizeof page), E2BIG);
	CHECK_ERRNO(syscall(SYS_openat2, dfd, "f", (void *)8, sizeof big.how), EFAULT);
	CHECK_ERRNO(o2(dfd, "f", 1ULL << 40, 0, 0), EINVAL);
	CHECK_ERRNO(o2(dfd, "f", O_RDONLY, 0, 0x40), EINVAL);
	CHECK_ERRNO(o2(dfd, "f", O_RDONLY, 0644, 0), EINVAL);
	CHECK_ERRNO(o2(dfd, "new", O_CREAT | O_WRONLY, 010000, 0), EINVAL);
	CHECK_ERRNO(o2(dfd, "f", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL);
	CHECK_ERRNO(o2(dfd, "f", O_PATH | O_RDWR, 0, 0), EINVAL);
	CHECK_ERRNO(o2(dfd, ".", O_TMPFILE | O_RDONLY, 0600, 0), EINVAL);
	fd = CHECK_OK(o2(dfd, "new", O_CREAT | O_WRONLY, 0600, RESOLVE_BENEATH));
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mode & 0777, 0600);
	close(fd);
	teardown();
}

TEST(resolve_beneath)
{
	setup();
	int fd = CHECK_OK(o2(dfd, "sub/../f", O_RDONLY, 0, RESOLVE_BENEATH));
	CHECK_STREQ(slurp(fd), "inside");
	fd = CHECK_OK(o2(dfd, "rel", O_RDONLY, 0, RESOLVE_BENEATH));
	CHECK_STREQ(slurp(fd), "inside");
	int sfd = CHECK_OK(o2(dfd, "sub", O_RDONLY | O_DIRECTORY, 0, RESOLVE_BENEATH));
	CHECK_ERRNO(o2(sfd, "../f", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	fd = CHECK_OK(o2(sfd, "g", O_RDONLY, 0, RESOLVE_BENEATH));
	CHECK_STREQ(slurp(fd), "deeper");
	close(sfd);
	CHECK_ERRNO(o2(dfd, "..", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	CHECK_ERRNO(o2(dfd, "/etc/passwd", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	CHECK_ERRNO(o2(dfd, "abs", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	CHECK_ERRNO(o2(dfd, "up", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	CHECK_ERRNO(o2(dfd, "passwd", O_RDONLY, 0, RESOLVE_BENEATH), EXDEV);
	CHECK_ERRNO(o2(dfd, "../new", O_CREAT | O_WRONLY, 0600, RESOLVE_BENEATH), EXDEV);
	teardown();
}

TEST(resolve_in_root)
{
	setup();
	/* Without it, "/f" is looked for at the real root. */
	CHECK_ERRNO(o2(dfd, "abs", O_RDONLY, 0, 0), ENOENT);
	int fd = CHECK_OK(o2(dfd, "abs", O_RDONLY, 0, RESOLVE_IN_ROOT));
	CHECK_STREQ(slurp(fd), "inside");
	fd = CHECK_OK(o2(dfd, "up", O_RDONLY, 0, RESOLVE_IN_ROOT));
	CHECK_STREQ(slurp(fd), "inside");
	fd = CHECK_OK(o2(dfd, "/sub/g", O_RDONLY, 0, RESOLVE_IN_ROOT));
	CHECK_STREQ(slurp(fd), "deeper");
	fd = CHECK_OK(o2(dfd, "../../f", O_RDONLY, 0, RESOLVE_IN_ROOT));
	CHECK_STREQ(slurp(fd), "inside");
	/* /etc/passwd is not under the directory. */
	CHECK_ERRNO(o2(dfd, "passwd", O_RDONLY, 0, RESOLVE_IN_ROOT), ENOENT);
	CHECK_ERRNO(o2(dfd, "/etc/passwd", O_RDONLY, 0, RESOLVE_IN_ROOT), ENOENT);
	fd = CHECK_OK(o2(dfd, "/new", O_CREAT | O_WRONLY, 0600, RESOLVE_IN_ROOT));
	close(fd);
	CHECK_OK(faccessat(dfd, "new", F_OK, 0));
	teardown();
}

TEST(resolve_no_symlinks)
{
	setup();
	CHECK_ERRNO(o2(dfd, "rel", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
	CHECK_ERRNO(o2(dfd, "passwd", O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
	int fd = CHECK_OK(o2(dfd, "f", O_RDONLY, 0, RESOLVE_NO_SYMLINKS));
	CHECK_STREQ(slurp(fd), "inside");
	/* The link itself, not followed, is fine. */
	fd = CHECK_OK(o2(dfd, "rel", O_PATH | O_NOFOLLOW, 0, RESOLVE_NO_SYMLINKS));
	struct stat st;
	CHECK_OK(fstatat(fd, "", &st, AT_EMPTY_PATH));
	CHECK(S_ISLNK(st.st_mode));
	close(fd);
	teardown();
}

TEST(resolve_no_magiclinks)
{
	char p[64];
	setup();
	int fd = CHECK_OK(openat(dfd, "f", O_RDONLY));
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	int fd2 = CHECK_OK(o2(AT_FDCWD, p, O_RDONLY, 0, 0));
	CHECK_STREQ(slurp(fd2), "inside");
	CHECK_ERRNO(o2(AT_FDCWD, p, O_RDONLY, 0, RESOLVE_NO_MAGICLINKS), ELOOP);
	CHECK_ERRNO(o2(AT_FDCWD, p, O_RDONLY, 0, RESOLVE_NO_SYMLINKS), ELOOP);
	/* /proc/self is an ordinary symlink. */
	fd2 = CHECK_OK(o2(AT_FDCWD, "/proc/self/status", O_RDONLY, 0, RESOLVE_NO_MAGICLINKS));
	close(fd2);
	/* Ordinary links still work. */
	fd2 = CHECK_OK(o2(dfd, "rel", O_RDONLY, 0, RESOLVE_NO_MAGICLINKS));
	CHECK_STREQ(slurp(fd2), "inside");
	close(fd);
	teardown();
}

TEST(resolve_no_xdev)
{
	setup();
	int fd = CHECK_OK(o2(dfd, "sub/g", O_RDONLY, 0, RESOLVE_NO_XDEV));
	CHECK_STREQ(slurp(fd), "deeper");
	CHECK_ERRNO(o2(AT_FDCWD, "/proc/self/status", O_RDONLY, 0, RESOLVE_NO_XDEV), EXDEV);
	int pfd = CHECK_OK(open("/proc", O_DIRECTORY | O_RDONLY));
	CHECK_ERRNO(o2(pfd, "..", O_RDONLY, 0, RESOLVE_NO_XDEV), EXDEV);
	fd = CHECK_OK(o2(pfd, "self/status", O_RDONLY, 0, RESOLVE_NO_XDEV));
	close(fd);
	close(pfd);
	teardown();
}

TEST(resolve_cached)
{
	setup();
	long r = o2(dfd, "f", O_RDONLY, 0, RESOLVE_CACHED);
	if (r >= 0)
		CHECK_STREQ(slurp((int)r), "inside");
	else
		CHECK_EQ(errno, EAGAIN);
	teardown();
}

int main(int argc, char **argv)
{
	umask(022);
	return RUN_TESTS(argc, argv, open_how_checks, resolve_beneath, resolve_in_root,
			 resolve_no_symlinks, resolve_no_magiclinks, resolve_no_xdev,
			 resolve_cached);
}
