/* xattr_test: extended attributes round trips (path, link and fd forms),
 * XATTR_CREATE/REPLACE, size probes and every errno: ERANGE, ENODATA,
 * E2BIG, EOPNOTSUPP, EPERM, EBADF, and trusted. without CAP_SYS_ADMIN. */
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

#include "testlib.h"

static const char *dir;
static char file[128], link_[128], fifo[128];

static void setup(void)
{
	CHECK((dir = tl_tmpdir()) != NULL);
	CHECK_OK(chmod(dir, 0755));
	snprintf(file, sizeof file, "%s/f", dir);
	snprintf(link_, sizeof link_, "%s/l", dir);
	snprintf(fifo, sizeof fifo, "%s/p", dir);
	int fd = CHECK_OK(open(file, O_CREAT | O_WRONLY, 0644));
	close(fd);
	CHECK_OK(symlink("f", link_));
	CHECK_OK(mkfifo(fifo, 0644));
}

static void teardown(void)
{
	tl_rmtree(dir);
}

/* Whether the NUL-separated list[0..len) holds name. */
static int has(const char *list, ssize_t len, const char *name)
{
	for (ssize_t off = 0; off < len; off += (ssize_t)strlen(list + off) + 1)
		if (!strcmp(list + off, name))
			return 1;
	return 0;
}

TEST(round_trip)
{
	char buf[64] = {0}, list[256];
	setup();
	CHECK_ERRNO(getxattr(file, "user.a", buf, sizeof buf), ENODATA);
	CHECK_OK(setxattr(file, "user.a", "one", 3, 0));
	CHECK_EQ(getxattr(file, "user.a", NULL, 0), 3);
	CHECK_EQ(getxattr(file, "user.a", buf, sizeof buf), 3);
	CHECK_STREQ(buf, "one");
	CHECK_ERRNO(setxattr(file, "user.a", "x", 1, XATTR_CREATE), EEXIST);
	CHECK_ERRNO(setxattr(file, "user.b", "x", 1, XATTR_REPLACE), ENODATA);
	CHECK_ERRNO(setxattr(file, "user.a", "x", 1, XATTR_CREATE | XATTR_REPLACE | 4), EINVAL);
	CHECK_OK(setxattr(file, "user.a", "three", 5, XATTR_REPLACE));
	memset(buf, 0, sizeof buf);
	CHECK_EQ(getxattr(file, "user.a", buf, sizeof buf), 5);
	CHECK_STREQ(buf, "three");
	CHECK_OK(setxattr(file, "user.empty", "", 0, XATTR_CREATE));
	CHECK_EQ(getxattr(file, "user.empty", buf, sizeof buf), 0);
	ssize_t n = listxattr(file, NULL, 0);
	CHECK(n >= (ssize_t)(sizeof "user.a" + sizeof "user.empty"));
	CHECK_EQ(listxattr(file, list, sizeof list), n);
	CHECK(has(list, n, "user.a"));
	CHECK(has(list, n, "user.empty"));
	/* Through the symlink (followed) and not (l*). */
	CHECK_EQ(getxattr(link_, "user.a", buf, sizeof buf), 5);
	CHECK_ERRNO(lgetxattr(link_, "user.a", buf, sizeof buf), ENODATA);
	CHECK_OK(removexattr(file, "user.a"));
	CHECK_ERRNO(getxattr(file, "user.a", buf, sizeof buf), ENODATA);
	CHECK_ERRNO(removexattr(file, "user.a"), ENODATA);
	n = listxattr(file, list, sizeof list);
	CHECK(n >= 0 && !has(list, n, "user.a") && has(list, n, "user.empty"));
	/* Directories take user. names too. */
	CHECK_OK(setxattr(dir, "user.d", "dd", 2, 0));
	CHECK_EQ(getxattr(dir, "user.d", buf, sizeof buf), 2);
	CHECK_OK(removexattr(dir, "user.d"));
	teardown();
}

TEST(fd_forms)
{
	char buf[16] = {0}, list[128];
	setup();
	int fd = CHECK_OK(open(file, O_RDONLY));
	CHECK_OK(fsetxattr(fd, "user.fd", "v", 1, 0));
	CHECK_EQ(fgetxattr(fd, "user.fd", buf, sizeof buf), 1);
	CHECK_STREQ(buf, "v");
	ssize_t n = CHECK_OK(flistxattr(fd, list, sizeof list));
	CHECK(has(list, n, "user.fd"));
	CHECK_EQ(getxattr(file, "user.fd", buf, sizeof buf), 1);
	CHECK_OK(fremovexattr(fd, "user.fd"));
	CHECK_ERRNO(fgetxattr(fd, "user.fd", buf, sizeof buf), ENODATA);
	int p = CHECK_OK(open(file, O_PATH));
	CHECK_ERRNO(fgetxattr(p, "user.fd", buf, sizeof buf), EBADF);
	CHECK_ERRNO(fsetxattr(p, "user.fd", "v", 1, 0), EBADF);
	CHECK_ERRNO(flistxattr(p, list, sizeof list), EBADF);
	CHECK_ERRNO(fgetxattr(-1, "user.fd", buf, sizeof buf), EBADF);
	close(p);
	close(fd);
	teardown();
}

TEST(sizes_and_names)
{
	static char big[65537], name[300];
	char buf[4], list[4];
	setup();
	CHECK_OK(setxattr(file, "user.long", "0123456789", 10, 0));
	CHECK_ERRNO(getxattr(file, "user.long", buf, sizeof buf), ERANGE);
	CHECK_ERRNO(listxattr(file, list, sizeof list), ERANGE);
	CHECK_ERRNO(setxattr(file, "user.big", big, sizeof big, 0), E2BIG);
	memset(name, 'n', sizeof name - 1);
	memcpy(name, "user.", 5);
	CHECK_ERRNO(setxattr(file, name, "v", 1, 0), ERANGE);
	CHECK_ERRNO(getxattr(file, name, buf, sizeof buf), ERANGE);
	CHECK_ERRNO(setxattr(file, "", "v", 1, 0), ERANGE);
	CHECK_ERRNO(getxattr(file, "", buf, sizeof buf), ERANGE);
	/* 255 bytes is the longest name. */
	name[255] = '\0';
	CHECK_OK(setxattr(file, name, "v", 1, 0));
	CHECK_EQ(getxattr(file, name, buf, sizeof buf), 1);
	CHECK_OK(removexattr(file, name));
	CHECK_ERRNO(setxattr(file, "bogus.name", "v", 1, 0), EOPNOTSUPP);
	CHECK_ERRNO(getxattr(file, "bogus.name", buf, sizeof buf), EOPNOTSUPP);
	CHECK_ERRNO(setxattr(file, "noprefix", "v", 1, 0), EOPNOTSUPP);
	CHECK_ERRNO(getxattr(file, "user.x", (void *)8, 0), ENODATA);
	CHECK_OK(setxattr(file, "user.x", "v", 1, 0));
	/* Raw calls: glibc's wrappers are annotated with buffer sizes. */
	CHECK_ERRNO(syscall(SYS_getxattr, file, "user.x", 8L, sizeof buf), EFAULT);
	CHECK_ERRNO(syscall(SYS_setxattr, file, "user.y", 8L, 1L, 0), EFAULT);
	CHECK_ERRNO(getxattr("/nonexistent/x", "user.x", buf, sizeof buf), ENOENT);
	teardown();
}

TEST(user_only_on_files_and_dirs)
{
	char buf[8];
	setup();
	CHECK_ERRNO(lsetxattr(link_, "user.x", "v", 1, 0), EPERM);
	CHECK_ERRNO(lgetxattr(link_, "user.x", buf, sizeof buf), ENODATA);
	CHECK_ERRNO(setxattr(fifo, "user.x", "v", 1, 0), EPERM);
	CHECK_ERRNO(getxattr(fifo, "user.x", buf, sizeof buf), ENODATA);
	/* trusted. names are fine there for root. */
	CHECK_OK(lsetxattr(link_, "trusted.t", "v", 1, 0));
	CHECK_EQ(lgetxattr(link_, "trusted.t", buf, sizeof buf), 1);
	teardown();
}

TEST(trusted_needs_cap_sys_admin)
{
	char buf[8], list[256];
	setup();
	CHECK_OK(setxattr(file, "trusted.t", "tv", 2, 0));
	CHECK_OK(setxattr(file, "user.u", "uv", 2, 0));
	CHECK_EQ(getxattr(file, "trusted.t", buf, sizeof buf), 2);
	ssize_t n = CHECK_OK(listxattr(file, list, sizeof list));
	CHECK(has(list, n, "trusted.t") && has(list, n, "user.u"));
	fflush(stdout);
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		CCHECK(setresgid(1000, 1000, 1000) == 0);
		CCHECK(setresuid(1000, 1000, 1000) == 0);
		CCHECK(getxattr(file, "trusted.t", buf, sizeof buf) == -1 && errno == ENODATA);
		CCHECK(setxattr(file, "trusted.t", "x", 1, 0) == -1 && errno == EPERM);
		CCHECK(removexattr(file, "trusted.t") == -1 && errno == EPERM);
		ssize_t m = listxattr(file, list, sizeof list);
		CCHECK(m > 0 && has(list, m, "user.u") && !has(list, m, "trusted.t"));
		/* Reading needs read permission, writing write permission. */
		CCHECK(getxattr(file, "user.u", buf, sizeof buf) == 2);
		CCHECK(setxattr(file, "user.u", "x", 1, 0) == -1 && errno == EACCES);
		CCHECK(removexattr(file, "user.u") == -1 && errno == EACCES);
		_exit(0);
	}
	WAIT_EXIT(pid, 0);
	CHECK_OK(chmod(file, 0600));
	pid = CHECK_OK(fork());
	if (pid == 0) {
		CCHECK(setresuid(1000, 1000, 1000) == 0);
		CCHECK(getxattr(file, "user.u", buf, sizeof buf) == -1 && errno == EACCES);
		_exit(0);
	}
	WAIT_EXIT(pid, 0);
	teardown();
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, round_trip, fd_forms, sizes_and_names,
			 user_only_on_files_and_dirs, trusted_needs_cap_sys_admin);
}
