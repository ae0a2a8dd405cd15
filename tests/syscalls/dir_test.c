/* dir_test: getdents64 and readdir listings, getcwd, chdir and fchdir. */
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

#define MAX_NAMES 4096

struct listing {
	int n;
	char *names[MAX_NAMES];
	unsigned char types[MAX_NAMES];
	uint64_t inos[MAX_NAMES];
};

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void listing_free(struct listing *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->names[i]);
	l->n = 0;
}

/* Lists fd from its current offset with raw getdents64 calls of bufsize bytes. */
static void list_getdents(int fd, size_t bufsize, struct listing *l)
{
	static char buf[65536] __attribute__((aligned(8)));

	l->n = 0;
	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, bufsize);
		CHECK(n >= 0);
		if (n == 0)
			return;
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (struct linux_dirent64 *)(buf + off);
			CHECK(d->d_reclen > 0 && off + d->d_reclen <= n);
			CHECK(d->d_reclen % 8 == 0);
			CHECK(l->n < MAX_NAMES);
			CHECK(strlen(d->d_name) < d->d_reclen);
			l->names[l->n] = strdup(d->d_name);
			l->types[l->n] = d->d_type;
			l->inos[l->n] = d->d_ino;
			l->n++;
			off += d->d_reclen;
		}
	}
}

static int find(const struct listing *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->names[i], name) == 0)
			return i;
	return -1;
}

static struct listing big, small, viadir;

TEST(getdents_etc)
{
	struct stat st;
	int fd = CHECK_OK(open("/etc", O_RDONLY | O_DIRECTORY));
	int i;

	list_getdents(fd, 65536, &big);
	CHECK(big.n >= 3);
	CHECK(find(&big, ".") >= 0);
	CHECK(find(&big, "..") >= 0);
	i = find(&big, "passwd");
	CHECK(i >= 0);
	CHECK(big.types[i] == DT_REG || big.types[i] == DT_UNKNOWN);
	CHECK_OK(stat("/etc/passwd", &st));
	CHECK_EQ(big.inos[i], st.st_ino);
	i = find(&big, "os-release");
	CHECK(i >= 0);
	CHECK(big.types[i] == DT_LNK || big.types[i] == DT_UNKNOWN);
	i = find(&big, ".");
	CHECK(big.types[i] == DT_DIR || big.types[i] == DT_UNKNOWN);
	/* Each name appears once. */
	qsort(big.names, (size_t)big.n, sizeof big.names[0], cmp_str);
	for (i = 1; i < big.n; i++)
		CHECK(strcmp(big.names[i - 1], big.names[i]) != 0);

	/* Rewinding restarts the listing; a small buffer resumes where the
	 * previous call stopped and yields the same names. */
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	list_getdents(fd, 64, &small);
	CHECK_EQ(small.n, big.n);
	qsort(small.names, (size_t)small.n, sizeof small.names[0], cmp_str);
	for (i = 0; i < big.n; i++)
		CHECK_STREQ(small.names[i], big.names[i]);
	/* At the end, further calls return 0. */
	CHECK_EQ(syscall(SYS_getdents64, fd, (char[256]){0}, 256), 0);
	listing_free(&small);
	close(fd);
}

TEST(readdir_matches)
{
	DIR *d = opendir("/etc");
	struct dirent *e;
	int i;

	CHECK(d != NULL);
	viadir.n = 0;
	while ((e = readdir(d)) != NULL) {
		CHECK(viadir.n < MAX_NAMES);
		viadir.names[viadir.n++] = strdup(e->d_name);
	}
	closedir(d);
	if (big.n == 0) {
		int fd = CHECK_OK(open("/etc", O_RDONLY | O_DIRECTORY));
		list_getdents(fd, 65536, &big);
		qsort(big.names, (size_t)big.n, sizeof big.names[0], cmp_str);
		close(fd);
	}
	CHECK_EQ(viadir.n, big.n);
	qsort(viadir.names, (size_t)viadir.n, sizeof viadir.names[0], cmp_str);
	for (i = 0; i < big.n; i++)
		CHECK_STREQ(viadir.names[i], big.names[i]);
	listing_free(&viadir);
}

TEST(getdents_errors)
{
	char buf[256];
	int dir = CHECK_OK(open("/etc", O_RDONLY | O_DIRECTORY));
	int file = CHECK_OK(open("/etc/passwd", O_RDONLY));

	/* Too small for a single entry. */
	CHECK_ERRNO(syscall(SYS_getdents64, dir, buf, 1), EINVAL);
	CHECK_ERRNO(syscall(SYS_getdents64, file, buf, sizeof buf), ENOTDIR);
	CHECK_ERRNO(syscall(SYS_getdents64, 0x7fff0000, buf, sizeof buf), EBADF);
	CHECK_ERRNO(syscall(SYS_getdents64, dir, (void *)1, sizeof buf), EFAULT);
	close(file);
	close(dir);
}

TEST(cwd_chdir)
{
	char buf[4096];
	struct stat l;

	CHECK_OK(chdir("/usr"));
	CHECK(getcwd(buf, sizeof buf) != NULL);
	CHECK_STREQ(buf, "/usr");
	/* The raw call returns the length including the NUL. */
	CHECK_EQ(syscall(SYS_getcwd, buf, sizeof buf), strlen("/usr") + 1);
	CHECK_OK(chdir("lib"));
	CHECK_STREQ(getcwd(buf, sizeof buf), "/usr/lib");
	CHECK_OK(chdir(".."));
	CHECK_STREQ(getcwd(buf, sizeof buf), "/usr");
	CHECK_OK(chdir("./bin/../share/."));
	CHECK_STREQ(getcwd(buf, sizeof buf), "/usr/share");
	/* Relative paths now resolve from the new directory. */
	CHECK_OK(access("../lib/os-release", R_OK));
	CHECK_OK(chdir("/"));
	CHECK_STREQ(getcwd(buf, sizeof buf), "/");
	CHECK_OK(chdir(".."));
	CHECK_STREQ(getcwd(buf, sizeof buf), "/");

	/* getcwd reports the resolved path, not the symlink walked through. */
	CHECK_OK(lstat("/bin", &l));
	if (S_ISLNK(l.st_mode)) {
		CHECK_OK(chdir("/bin"));
		CHECK_STREQ(getcwd(buf, sizeof buf), "/usr/bin");
	}
	CHECK_OK(chdir("/"));
}

TEST(fchdir_works)
{
	char buf[4096];
	int fd = CHECK_OK(open("/etc", O_RDONLY | O_DIRECTORY));
	int file = CHECK_OK(open("/etc/passwd", O_RDONLY));

	CHECK_OK(chdir("/usr"));
	CHECK_OK(fchdir(fd));
	CHECK_STREQ(getcwd(buf, sizeof buf), "/etc");
	CHECK_OK(access("passwd", F_OK));
	CHECK_ERRNO(fchdir(file), ENOTDIR);
	CHECK_ERRNO(fchdir(0x7fff0000), EBADF);
	CHECK_STREQ(getcwd(buf, sizeof buf), "/etc");
	CHECK_OK(chdir("/"));
	close(file);
	close(fd);
}

TEST(chdir_errors)
{
	char buf[4096];

	CHECK_OK(chdir("/usr"));
	CHECK_ERRNO(chdir("/etc/passwd"), ENOTDIR);
	CHECK_ERRNO(chdir("/nonexistent-cvisor"), ENOENT);
	CHECK_ERRNO(chdir(""), ENOENT);
	CHECK_ERRNO(syscall(SYS_chdir, (void *)1), EFAULT);
	/* Failures leave the directory unchanged. */
	CHECK_STREQ(getcwd(buf, sizeof buf), "/usr");
	CHECK_ERRNO(syscall(SYS_getcwd, buf, 1), ERANGE);
	CHECK_ERRNO(syscall(SYS_getcwd, buf, 4), ERANGE);
	CHECK_EQ(syscall(SYS_getcwd, buf, 5), 5);
	CHECK_ERRNO(syscall(SYS_getcwd, (void *)1, sizeof buf), EFAULT);
	CHECK_OK(chdir("/"));
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, getdents_etc, readdir_matches, getdents_errors, cwd_chdir,
			 fchdir_works, chdir_errors);
}
