/* Tests of sandbox_enter_tree/sandbox_enter_empty: each runs in a forked
 * child, and the host's mount table must be unchanged afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/sandbox.h"

static int mount_count(void)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	int n = 0, c;
	if (!f)
		return -1;
	while ((c = fgetc(f)) != EOF)
		n += c == '\n';
	fclose(f);
	return n;
}

/* Runs fn in a child; its exit code is the number of the first failed
 * check (0 = all passed). */
static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(fn());
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static int tree_child(void)
{
	if (sandbox_enter_tree("/"))
		return 1;
	int fd = open("/etc/passwd", O_RDONLY);
	if (fd < 0)
		return 2;
	char c;
	if (read(fd, &c, 1) != 1)
		return 3;
	close(fd);
	if (open("/etc/passwd", O_WRONLY) >= 0 || errno != EROFS)
		return 4;
	if (mkdir("/tmp/cvisor-sandbox-test", 0700) == 0 || errno != EROFS)
		return 5;
	struct stat st;
	/* Host kernel state must not be served. */
	if (stat("/proc/self", &st) == 0)
		return 6;
	if (stat("/sys/kernel", &st) == 0)
		return 7;
	if (stat("/sys/fs/cgroup/memory", &st) == 0)
		return 8;
	/* Device nodes stay (the gofer whitelists a few). */
	fd = open("/dev/null", O_RDONLY);
	if (fd < 0)
		return 9;
	close(fd);
	char cwd[64];
	if (!getcwd(cwd, sizeof cwd) || strcmp(cwd, "/"))
		return 10;
	return 0;
}

static int empty_child(void)
{
	if (sandbox_enter_empty())
		return 1;
	DIR *d = opendir("/");
	if (!d)
		return 2;
	struct dirent *e;
	int n = 0;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	if (n)
		return 3;
	if (mkdir("/x", 0700) == 0 || errno != EROFS)
		return 4;
	if (access("/etc/passwd", F_OK) == 0 || access("/proc/self", F_OK) == 0)
		return 5;
	return 0;
}

static int tree_sub_child(void)
{
	/* A subtree becomes the root: /passwd is the host's /etc/passwd. */
	if (sandbox_enter_tree("/etc"))
		return 1;
	if (access("/passwd", R_OK))
		return 2;
	if (access("/etc", F_OK) == 0)
		return 3;
	return 0;
}

static int missing_child(void)
{
	return sandbox_enter_tree("/nonexistent/cvisor") == -ENOENT ? 0 : 1;
}

static void test_enter_tree(void **s)
{
	int before = mount_count();
	assert_int_equal(in_child(tree_child), 0);
	assert_int_equal(mount_count(), before);
}

static void test_enter_tree_subdir(void **s)
{
	int before = mount_count();
	assert_int_equal(in_child(tree_sub_child), 0);
	assert_int_equal(mount_count(), before);
}

static void test_enter_tree_missing(void **s)
{
	int before = mount_count();
	assert_int_equal(in_child(missing_child), 0);
	assert_int_equal(mount_count(), before);
}

static void test_enter_empty(void **s)
{
	int before = mount_count();
	assert_int_equal(in_child(empty_child), 0);
	assert_int_equal(mount_count(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_enter_tree),
	    cmocka_unit_test(test_enter_tree_subdir),
	    cmocka_unit_test(test_enter_tree_missing),
	    cmocka_unit_test(test_enter_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
