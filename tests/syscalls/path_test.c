/* path_test: path walks under concurrent renames, symlink loops and the
 * 40-link limit, and ".." and absolute symlinks that can never leave the
 * root. */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/stat.h>

#include "testlib.h"

static const char *dir;

/* dir/name into buf (PATH_MAX bytes; tl_tmpdir names are short). */
static void at(char *buf, const char *name)
{
	if (snprintf(buf, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX)
		abort();
}

/* ---- renames racing with lookups ---- */

static atomic_int stop;
static char path_a[PATH_MAX], path_b[PATH_MAX];

/* Moves the file between two directories as fast as it can. */
static void *mover(void *arg)
{
	(void)arg;
	long n = 0;
	while (!atomic_load(&stop)) {
		if (rename(path_a, path_b) == 0 && rename(path_b, path_a) == 0)
			n++;
		else
			return (void *)-1L;
	}
	return (void *)n;
}

TEST(rename_race_across_dirs)
{
	char d1[PATH_MAX - 8], d2[PATH_MAX - 8];
	CHECK((dir = tl_tmpdir()) != NULL);
	snprintf(d1, sizeof d1, "%s/one", dir);
	snprintf(d2, sizeof d2, "%s/two", dir);
	CHECK_OK(mkdir(d1, 0755));
	CHECK_OK(mkdir(d2, 0755));
	snprintf(path_a, sizeof path_a, "%s/f", d1);
	snprintf(path_b, sizeof path_b, "%s/f", d2);
	int fd = CHECK_OK(open(path_a, O_CREAT | O_WRONLY, 0644));
	CHECK_EQ(write(fd, "payload", 7), 7);
	close(fd);
	struct stat st0;
	CHECK_OK(stat(path_a, &st0));

	atomic_store(&stop, 0);
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, mover, NULL), 0);
	/* Every lookup sees the one file under one of its two names, never a
	 * different inode, never an error other than "not here right now". */
	int seen_a = 0, seen_b = 0, bad = 0;
	for (int i = 0; i < 20000 && !bad; i++) {
		const char *p = (i & 1) ? path_b : path_a;
		int f = open(p, O_RDONLY);
		if (f < 0) {
			bad |= errno != ENOENT;
			continue;
		}
		struct stat st;
		char buf[8] = {0};
		bad |= fstat(f, &st) != 0 || st.st_ino != st0.st_ino;
		bad |= read(f, buf, sizeof buf) != 7 || memcmp(buf, "payload", 7) != 0;
		close(f);
		(i & 1) ? seen_b++ : seen_a++;
	}
	atomic_store(&stop, 1);
	void *moves;
	pthread_join(th, &moves);
	CHECK((long)moves >= 0);
	CHECK_EQ(bad, 0);
	CHECK(seen_a + seen_b > 0);
	/* Afterwards exactly one name exists, in the first directory. */
	CHECK_OK(access(path_a, F_OK));
	CHECK_ERRNO(access(path_b, F_OK), ENOENT);
	tl_rmtree(dir);
}

/* ---- symlink loops and the 40-link limit ---- */

TEST(symlink_loops_and_limit)
{
	char p[PATH_MAX], q[PATH_MAX];
	CHECK((dir = tl_tmpdir()) != NULL);
	/* a -> b -> a */
	at(p, "a");
	at(q, "b");
	CHECK_OK(symlink("b", p));
	CHECK_OK(symlink("a", q));
	CHECK_ERRNO(open(p, O_RDONLY), ELOOP);
	CHECK_ERRNO(stat(p, &(struct stat){0}), ELOOP);
	/* A chain of 40 links resolves; 41 is one too many (MAXSYMLINKS). */
	at(p, "target");
	int fd = CHECK_OK(open(p, O_CREAT | O_WRONLY, 0644));
	close(fd);
	for (int i = 1; i <= 41; i++) {
		char name[16], prev[16];
		snprintf(name, sizeof name, "l%d", i);
		if (i == 1)
			snprintf(prev, sizeof prev, "target");
		else
			snprintf(prev, sizeof prev, "l%d", i - 1);
		at(p, name);
		CHECK_OK(symlink(prev, p));
	}
	at(p, "l40");
	fd = CHECK_OK(open(p, O_RDONLY));
	close(fd);
	at(p, "l41");
	CHECK_ERRNO(open(p, O_RDONLY), ELOOP);
	/* O_NOFOLLOW on the last component: ELOOP, as Linux reports it. */
	at(p, "l1");
	CHECK_ERRNO(open(p, O_RDONLY | O_NOFOLLOW), ELOOP);
	tl_rmtree(dir);
}

/* ---- nothing leaves the root ---- */

TEST(dotdot_and_symlinks_stay_inside_root)
{
	char p[PATH_MAX], rel[PATH_MAX] = "";
	struct stat want, got;
	CHECK((dir = tl_tmpdir()) != NULL);
	CHECK_OK(stat("/etc/passwd", &want));
	/* Far more ".." than the directory is deep: they stop at "/". */
	for (int i = 0; i < 30; i++)
		strcat(rel, "../");
	strcat(rel, "etc/passwd");
	at(p, "up");
	CHECK_OK(symlink(rel, p));
	CHECK_OK(stat(p, &got));
	CHECK_EQ(got.st_ino, want.st_ino);
	CHECK_EQ(got.st_dev, want.st_dev);
	/* The same through a plain path, and from the root itself. */
	at(p, rel);
	CHECK_OK(stat(p, &got));
	CHECK_EQ(got.st_ino, want.st_ino);
	CHECK_OK(stat("/../../../etc/passwd", &got));
	CHECK_EQ(got.st_ino, want.st_ino);
	/* An absolute symlink is resolved from the caller's root. */
	at(p, "abs");
	CHECK_OK(symlink("/etc/passwd", p));
	CHECK_OK(stat(p, &got));
	CHECK_EQ(got.st_ino, want.st_ino);
	/* getcwd after climbing far above the root still says "/". */
	char cwd[PATH_MAX];
	int here = CHECK_OK(open(".", O_RDONLY | O_DIRECTORY));
	CHECK_OK(chdir(dir));
	CHECK_OK(chdir("../../../../../../../../../../.."));
	CHECK(getcwd(cwd, sizeof cwd) != NULL);
	CHECK_STREQ(cwd, "/");
	CHECK_OK(fchdir(here));
	close(here);
	tl_rmtree(dir);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, rename_race_across_dirs, symlink_loops_and_limit,
			 dotdot_and_symlinks_stay_inside_root);
}
