/* Tests of the root overlay through its dentry ops over a real gofer tree:
 * merged lookups and listings, copy-up on write (data, attributes and
 * identity kept, the host file untouched), whiteouts, opaque directories,
 * EXDEV for lower directories, and links to lower files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gofer/server.h"
#include "sentry/fs/gofer/client.h"
#include "sentry/fs/overlay/overlay.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/dentry.h"

/* Other modules' symbols the linked objects name (never called here). */
__attribute__((weak)) int sandbox_enter_tree(const char *path) { return -ENOSYS; }
__attribute__((weak)) struct pipe *pipe_new(void) { return NULL; }
__attribute__((weak)) void pipe_put(struct pipe *p) {}
__attribute__((weak)) int pipe_open_fifo(struct task *t, struct pipe *p, int flags,
					 struct file **out)
{
	return -ENOSYS;
}
__attribute__((weak)) struct task *task_current(void) { return NULL; }
__attribute__((weak)) struct pipe *pipe_get(struct pipe *p) { return p; }
__attribute__((weak)) int devfs_open_rdev(struct dentry *d, dev_t rdev, int flags, struct file **out)
{
	return -ENXIO;
}
__attribute__((weak)) int mm_copy_out(struct mm *mm, uint64_t dst, const void *src, size_t n)
{
	return -EFAULT;
}

static char tree[64];
static pid_t server_pid;
static struct dentry *root;
static struct cred cred = {.fsuid = 0, .fsgid = 0};

static void put(const char *rel, const char *content)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", tree, rel);
	if (!content) {
		assert_int_equal(mkdir(p, 0755), 0);
		return;
	}
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0640);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static char *host_read(const char *rel)
{
	static char buf[256];
	char p[256];
	snprintf(p, sizeof p, "%s/%s", tree, rel);
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return NULL;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

/* Walks a relative path of plain names from the overlay root. */
static int walk(const char *path, struct dentry **out)
{
	char buf[256], *save, *c;
	struct dentry *d = dentry_get(root);
	snprintf(buf, sizeof buf, "%s", path);
	for (c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		struct dentry *n;
		int r = dentry_lookup(d, c, &n);
		dentry_put(d);
		if (r)
			return r;
		d = vfs_cross_mount(n);
	}
	*out = d;
	return 0;
}

static struct dentry *must(const char *path)
{
	struct dentry *d = NULL;
	assert_int_equal(walk(path, &d), 0);
	return d;
}

/* The sorted names of a directory's listing (without . and ..). */
static char *list(const char *path)
{
	static char out[512];
	struct dentry *d = must(path);
	struct file *f;
	char buf[4096], *names[64];
	int n = 0;
	assert_int_equal(d->ops->open(d, O_RDONLY, &f), 0);
	ssize_t len = f->ops->getdents(f, buf, sizeof buf);
	assert_true(len >= 0);
	for (ssize_t off = 0; off < len;) {
		char *name = buf + off + 19;
		if (strcmp(name, ".") && strcmp(name, ".."))
			names[n++] = strdup(name);
		off += *(uint16_t *)(buf + off + 16);
	}
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (strcmp(names[i], names[j]) > 0) {
				char *t = names[i];
				names[i] = names[j];
				names[j] = t;
			}
	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		strcat(out, i ? " " : "");
		strcat(out, names[i]);
		free(names[i]);
	}
	file_put(f);
	dentry_put(d);
	return out;
}

static ssize_t fwrite_at(struct file *f, const char *s, int64_t off)
{
	struct iovec iov = {.iov_base = (void *)s, .iov_len = strlen(s)};
	return f->ops->write(f, &iov, 1, off);
}

static void test_merged_lookup_and_listing(void **state)
{
	struct dentry *etc = must("etc"), *d;
	struct stat st;
	assert_string_equal(list("etc"), "conf sub");
	assert_int_equal(etc->ops->create(etc, "new", 0644, &cred, &d), 0);
	dentry_put(d);
	assert_string_equal(list("etc"), "conf new sub");
	assert_string_equal(list(""), "etc usr");
	/* The new file is only in memory. */
	assert_null(host_read("etc/new"));
	assert_int_equal(walk("etc/missing", &d), -ENOENT);
	assert_int_equal(etc->ops->unlink(etc, "new"), 0);
	assert_string_equal(list("etc"), "conf sub");
	d = must("etc/conf");
	d->ops->getattr(d, &st);
	assert_int_equal(st.st_size, 6);
	dentry_put(d);
	dentry_put(etc);
}

static void test_copy_up_on_write(void **state)
{
	struct dentry *d = must("etc/conf");
	struct stat before, after;
	struct file *f;
	char buf[32] = {0};
	d->ops->getattr(d, &before);
	assert_int_equal(d->ops->open(d, O_WRONLY | O_APPEND, &f), 0);
	assert_int_equal(fwrite_at(f, "more\n", -1), 5);
	file_put(f);
	dentry_put(d);

	d = must("etc/conf");
	d->ops->getattr(d, &after);
	assert_int_equal(after.st_size, 11);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_dev, before.st_dev);
	assert_int_equal(after.st_mode, before.st_mode);
	assert_int_equal(after.st_mtim.tv_sec >= before.st_mtim.tv_sec, 1);
	assert_int_equal(d->ops->open(d, O_RDONLY, &f), 0);
	assert_int_equal(file_pread(f, buf, sizeof buf - 1, 0), 11);
	assert_string_equal(buf, "hello\nmore\n");
	file_put(f);
	dentry_put(d);
	assert_string_equal(host_read("etc/conf"), "hello\n");
	/* The parent was copied up as a directory: still merged. */
	assert_string_equal(list("etc"), "conf sub");
}

static void test_whiteouts_and_opaque_dirs(void **state)
{
	struct dentry *etc = must("etc"), *sub = must("etc/sub"), *d;
	assert_int_equal(etc->ops->rmdir(etc, "sub"), -ENOTEMPTY);
	assert_int_equal(sub->ops->unlink(sub, "x"), 0);
	assert_string_equal(list("etc/sub"), "");
	assert_int_equal(walk("etc/sub/x", &d), -ENOENT);
	dentry_put(sub);
	assert_int_equal(etc->ops->rmdir(etc, "sub"), 0);
	assert_string_equal(list("etc"), "conf");
	assert_int_equal(walk("etc/sub", &d), -ENOENT);
	assert_string_equal(host_read("etc/sub/x"), "x");
	/* Made again, the directory is opaque: the lower x stays hidden. */
	assert_int_equal(etc->ops->mkdir(etc, "sub", 0755, &cred), 0);
	assert_string_equal(list("etc"), "conf sub");
	assert_string_equal(list("etc/sub"), "");
	assert_int_equal(walk("etc/sub/x", &d), -ENOENT);
	dentry_put(etc);
}

static void test_renames_and_links(void **state)
{
	struct dentry *usr = must("usr"), *etc = must("etc"), *d;
	struct stat a, b;
	/* A lower directory does not move (mv copies instead). */
	assert_int_equal(usr->ops->rename(usr, "lib", usr, "lib2", 0), -EXDEV);
	/* A lower file does, leaving a whiteout; the host keeps it. */
	assert_int_equal(etc->ops->rename(etc, "conf", etc, "conf2", 0), 0);
	assert_string_equal(list("etc"), "conf2 sub");
	assert_string_equal(host_read("etc/conf"), "hello\n");
	assert_int_equal(etc->ops->create(etc, "conf", 0600, &cred, &d), 0);
	dentry_put(d);
	assert_string_equal(list("etc"), "conf conf2 sub");
	d = must("etc/conf");
	d->ops->getattr(d, &a);
	assert_int_equal(a.st_size, 0);
	dentry_put(d);
	/* A hard link to a lower file links its copy-up. */
	d = must("usr/lib/libc");
	d->ops->getattr(d, &a);
	assert_int_equal(usr->ops->link(d, usr, "libc2"), 0);
	dentry_put(d);
	d = must("usr/libc2");
	d->ops->getattr(d, &b);
	dentry_put(d);
	assert_int_equal(b.st_nlink, 2);
	assert_int_equal(b.st_ino, a.st_ino);
	assert_string_equal(list("usr"), "lib libc2");
	assert_null(host_read("usr/libc2"));
	dentry_put(usr);
	dentry_put(etc);
}

static int setup(void **state)
{
	strcpy(tree, "/tmp/overlay_test.XXXXXX");
	if (!mkdtemp(tree) || memfile_init())
		return -1;
	chmod(tree, 0755);
	put("etc", NULL);
	put("etc/conf", "hello\n");
	put("etc/sub", NULL);
	put("etc/sub/x", "x");
	put("usr", NULL);
	put("usr/lib", NULL);
	put("usr/lib/libc", "c");
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	server_pid = fork();
	if (server_pid == 0) {
		close(sv[0]);
		int fd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
		_exit(gofer_serve(sv[1], fd) ? 1 : 0);
	}
	close(sv[1]);
	if (vfs_init(sv[0]) || overlay_root_init("root:memory"))
		return -1;
	root = vfs_root();
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];
	int st;
	dentry_put(root);
	gofer_client_close(&vfs_gofer);
	waitpid(server_pid, &st, 0);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tree);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_merged_lookup_and_listing),
	    cmocka_unit_test(test_copy_up_on_write),
	    cmocka_unit_test(test_whiteouts_and_opaque_dirs),
	    cmocka_unit_test(test_renames_and_links),
	};
	return cmocka_run_group_tests_name("overlay", tests, setup, teardown);
}
