/* overlay_test: the root filesystem is writable (in the sandbox: a memory layer over the
 * read-only host tree): files and directories made in /etc and /usr/local, listings that
 * show exactly the names made and not those removed, appends, truncation, modes, links,
 * renames and stable inode numbers.  Natively it writes the real tree: only names of its
 * own (with the pid), all removed at the end. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "testlib.h"

static char base[64]; /* /etc/overlay_test.PID */

/* base + name through fmt, in one of four rotating buffers. */
static const char *p(const char *fmt, const char *name)
{
	static char buf[4][PATH_MAX];
	static int i;
	char *b = buf[i++ % 4];
	snprintf(b, PATH_MAX, fmt, base, name);
	return b;
}

static void put(const char *path, const char *s, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, s, strlen(s)), (ssize_t)strlen(s));
	CHECK_OK(close(fd));
}

static void get(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	ssize_t n = read(fd, buf, size - 1);
	CHECK(n >= 0);
	buf[n] = '\0';
	CHECK_OK(close(fd));
}

/* The names in dir (without . and ..), sorted, joined with spaces. */
static void names(const char *dir, char *out, size_t size)
{
	struct dirent **list;
	int n = scandir(dir, &list, NULL, alphasort);
	CHECK(n >= 0);
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (strcmp(list[i]->d_name, ".") && strcmp(list[i]->d_name, "..")) {
			if (out[0])
				strncat(out, " ", size - strlen(out) - 1);
			strncat(out, list[i]->d_name, size - strlen(out) - 1);
		}
		free(list[i]);
	}
	free(list);
}

/* How many times name appears in dir's listing. */
static int count_in(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;
	CHECK(d != NULL);
	while ((e = readdir(d)))
		n += !strcmp(e->d_name, name);
	closedir(d);
	return n;
}

TEST(new_file_in_etc)
{
	char buf[64];
	struct stat st;
	const char *f = p("%s.file%s", "");
	put(f, "data\n", O_EXCL);
	get(f, buf, sizeof buf);
	CHECK_STREQ(buf, "data\n");
	CHECK_OK(stat(f, &st));
	CHECK_EQ(st.st_size, 5);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 0777, 0644 & ~022);
	CHECK_EQ(count_in("/etc", strrchr(f, '/') + 1), 1);
	CHECK_OK(unlink(f));
	CHECK_ERRNO(stat(f, &st), ENOENT);
	CHECK_EQ(count_in("/etc", strrchr(f, '/') + 1), 0);
	/* The lower tree is still read as before. */
	get("/etc/passwd", buf, sizeof buf);
	CHECK(!strncmp(buf, "root:", 5));
}

TEST(listing_after_changes)
{
	char buf[256];
	CHECK_OK(mkdir(base, 0755));
	put(p("%s/%s", "a"), "a", 0);
	put(p("%s/%s", "b"), "b", 0);
	CHECK_OK(mkdir(p("%s/%s", "d"), 0700));
	CHECK_OK(symlink("b", p("%s/%s", "l")));
	names(base, buf, sizeof buf);
	CHECK_STREQ(buf, "a b d l");
	CHECK_OK(unlink(p("%s/%s", "a")));
	CHECK_ERRNO(rmdir(base), ENOTEMPTY);
	names(base, buf, sizeof buf);
	CHECK_STREQ(buf, "b d l");
	/* A name removed and made again as another type. */
	CHECK_OK(mkdir(p("%s/%s", "a"), 0755));
	names(p("%s/%s", "a"), buf, sizeof buf);
	CHECK_STREQ(buf, "");
	CHECK_OK(rmdir(p("%s/%s", "a")));
	CHECK_OK(rmdir(p("%s/%s", "d")));
	CHECK_EQ(readlink(p("%s/%s", "l"), buf, sizeof buf), 1);
	CHECK_OK(unlink(p("%s/%s", "l")));
	CHECK_OK(unlink(p("%s/%s", "b")));
	names(base, buf, sizeof buf);
	CHECK_STREQ(buf, "");
	CHECK_OK(rmdir(base));
	CHECK_ERRNO(access(base, F_OK), ENOENT);
}

TEST(rewrite_keeps_identity)
{
	char buf[64];
	struct stat a, b;
	const char *f = p("%s.id%s", "");
	put(f, "abc", O_EXCL);
	CHECK_OK(stat(f, &a));
	put(f, "def", O_APPEND);
	get(f, buf, sizeof buf);
	CHECK_STREQ(buf, "abcdef");
	CHECK_OK(chmod(f, 0600));
	CHECK_OK(truncate(f, 2));
	CHECK_OK(stat(f, &b));
	CHECK_EQ(b.st_ino, a.st_ino);
	CHECK_EQ(b.st_dev, a.st_dev);
	CHECK_EQ(b.st_mode & 07777, 0600);
	CHECK_EQ(b.st_size, 2);
	int fd = open(f, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_OK(fstat(fd, &b));
	CHECK_EQ(b.st_ino, a.st_ino);
	CHECK_EQ(b.st_dev, a.st_dev);
	CHECK_OK(close(fd));
	put(f, "x", O_TRUNC);
	get(f, buf, sizeof buf);
	CHECK_STREQ(buf, "x");
	CHECK_OK(unlink(f));
}

TEST(links_and_renames)
{
	char buf[64];
	struct stat a, b;
	char f[PATH_MAX], g[PATH_MAX], h[PATH_MAX];
	strcpy(f, p("%s.ln%s", ""));
	strcpy(g, p("%s.ln%s", "2"));
	strcpy(h, p("%s.ln%s", "3"));
	put(f, "linked", O_EXCL);
	CHECK_OK(link(f, g));
	CHECK_OK(stat(f, &a));
	CHECK_OK(stat(g, &b));
	CHECK_EQ(a.st_nlink, 2);
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_OK(rename(g, h));
	CHECK_ERRNO(access(g, F_OK), ENOENT);
	get(h, buf, sizeof buf);
	CHECK_STREQ(buf, "linked");
	CHECK_OK(stat(h, &b));
	CHECK_EQ(b.st_ino, a.st_ino);
	/* Over an existing name; then a directory made here moves. */
	put(g, "other", O_EXCL);
	CHECK_OK(rename(g, h));
	get(h, buf, sizeof buf);
	CHECK_STREQ(buf, "other");
	CHECK_OK(unlink(h));
	CHECK_OK(stat(f, &a));
	CHECK_EQ(a.st_nlink, 1);
	CHECK_OK(unlink(f));
	CHECK_OK(mkdir(f, 0755));
	put(p("%s.ln/%s", "in"), "in", 0);
	CHECK_OK(rename(f, g));
	get(p("%s.ln2/%s", "in"), buf, sizeof buf);
	CHECK_STREQ(buf, "in");
	CHECK_ERRNO(access(f, F_OK), ENOENT);
	CHECK_OK(unlink(p("%s.ln2/%s", "in")));
	CHECK_OK(rmdir(g));
}

TEST(nested_dirs_under_usr_local)
{
	char d[PATH_MAX], buf[64];
	snprintf(d, sizeof d, "/usr/local/overlay_test.%d", (int)getpid());
	CHECK_OK(mkdir(d, 0755));
	strcat(d, "/a");
	CHECK_OK(mkdir(d, 0755));
	strcat(d, "/b");
	CHECK_OK(mkdir(d, 0755));
	CHECK_OK(chdir(d));
	put("f", "deep", O_EXCL);
	CHECK(getcwd(buf, sizeof buf) != NULL);
	CHECK_STREQ(buf, d);
	get("f", buf, sizeof buf);
	CHECK_STREQ(buf, "deep");
	CHECK_OK(unlink("f"));
	CHECK_OK(chdir("/"));
	CHECK_OK(rmdir(d));
	*strrchr(d, '/') = '\0';
	CHECK_OK(rmdir(d));
	*strrchr(d, '/') = '\0';
	CHECK_OK(rmdir(d));
	CHECK_ERRNO(access(d, F_OK), ENOENT);
	CHECK_OK(access("/etc", W_OK));
}

int main(int argc, char **argv)
{
	struct statvfs sv;
	umask(022);
	/* A sandbox started with --overlay=none has a read-only root. */
	if (statvfs("/etc", &sv) == 0 && (sv.f_flag & ST_RDONLY)) {
		printf("(root read-only here: nothing to test)\n");
		return 0;
	}
	snprintf(base, sizeof base, "/etc/overlay_test.%d", (int)getpid());
	return RUN_TESTS(argc, argv, new_file_in_etc, listing_after_changes, rewrite_keeps_identity,
			 links_and_renames, nested_dirs_under_usr_local);
}
