/* Tests of synthetic filesystems in the sentry VFS: a mount over a gofer
 * directory, walks into and out of it, magic and text links, generated
 * files, listings, and that uncached dentries are freed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gofer/server.h"
#include "sentry/fs/gofer/client.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/dentry.h"

/* Other modules' symbols the linked objects name (never called here). */
__attribute__((weak)) int sandbox_enter_tree(const char *path) { return -ENOSYS; }
__attribute__((weak)) struct pipe *pipe_new(void) { return NULL; }
__attribute__((weak)) struct pipe *pipe_get(struct pipe *p) { return p; }
__attribute__((weak)) void pipe_put(struct pipe *p) {}
__attribute__((weak)) int pipe_open_fifo(struct task *t, struct pipe *p, int flags,
					 struct file **out)
{
	return -ENOSYS;
}
__attribute__((weak)) struct task *task_current(void) { return NULL; }
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
static struct task task;
static int made, released;

/* ---- a tiny synthetic filesystem ----
 * /            dir: hello (file), sub/ (dir: x), link -> /dir, magic (-> /hello.txt) */

static const struct dentry_ops dir_ops, sub_ops, file_ops, link_ops, magic_ops;

static struct dentry *mk(struct dentry *parent, const char *name, const struct dentry_ops *ops,
			 mode_t mode, ino_t ino)
{
	struct stat st = {.st_mode = mode, .st_ino = ino};
	made++;
	return synth_dentry_new(parent, name, ops, &st, NULL);
}

static int root_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	if (!strcmp(name, "hello"))
		*out = mk(dir, name, &file_ops, S_IFREG | 0444, 10);
	else if (!strcmp(name, "sub"))
		*out = mk(dir, name, &sub_ops, S_IFDIR | 0555, 11);
	else if (!strcmp(name, "link"))
		*out = mk(dir, name, &link_ops, S_IFLNK | 0777, 12);
	else if (!strcmp(name, "magic"))
		*out = mk(dir, name, &magic_ops, S_IFLNK | 0777, 13);
	else
		return -ENOENT;
	return *out ? 0 : -ENOMEM;
}

static int root_readdir(struct dentry *dir, struct synth_dirbuf *db)
{
	static const char *names[] = {"hello", "sub", "link", "magic"};
	for (int i = 0; i < 4; i++) {
		int r = synth_dir_add(db, names[i], 10 + (uint64_t)i, DT_UNKNOWN);
		if (r)
			return r;
	}
	return 0;
}

static int sub_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	if (strcmp(name, "x"))
		return -ENOENT;
	*out = mk(dir, name, &file_ops, S_IFREG | 0444, 20);
	return 0;
}

static int file_open(struct dentry *d, int flags, struct file **out)
{
	if ((flags & O_ACCMODE) != O_RDONLY)
		return -EACCES;
	struct sbuf b = {0};
	sbuf_printf(&b, "content of %s: %d\n", d->name, 42);
	return sbuf_to_file(&b, d, flags, out);
}

static long link_readlink(struct dentry *d, char *buf, size_t size)
{
	snprintf(buf, size, "/dir");
	return 4;
}

static int magic_follow(struct dentry *d, struct dentry **out)
{
	return vfs_walk(&task, NULL, "/hello.txt", 0, out);
}

static long magic_readlink(struct dentry *d, char *buf, size_t size)
{
	snprintf(buf, size, "anon_inode:[magic]");
	return (long)strlen(buf);
}

static void release(struct dentry *d) { released++; }

static const struct dentry_ops dir_ops = {
    .lookup = root_lookup, .readdir = root_readdir, .release = release};
static const struct dentry_ops sub_ops = {.lookup = sub_lookup, .release = release};
static const struct dentry_ops file_ops = {.open = file_open, .release = release};
static const struct dentry_ops link_ops = {.readlink = link_readlink, .release = release};
static const struct dentry_ops magic_ops = {
    .readlink = magic_readlink, .follow = magic_follow, .release = release};

/* ---- set-up ---- */

static void put(const char *rel, const char *content)
{
	char p[256];
	snprintf(p, sizeof p, "%s/%s", tree, rel);
	if (!content) {
		assert_int_equal(mkdir(p, 0755), 0);
		return;
	}
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, content, strlen(content)), (ssize_t)strlen(content));
	close(fd);
}

static int setup(void **state)
{
	strcpy(tree, "/tmp/synthfs_test.XXXXXX");
	if (!mkdtemp(tree))
		return -1;
	chmod(tree, 0755);
	put("hello.txt", "hello\n");
	put("dir", NULL);
	put("dir/f", "f\n");
	put("proc", NULL);
	put("sys", NULL);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return -1;
	server_pid = fork();
	if (server_pid == 0) {
		close(sv[0]);
		int root = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);
		_exit(gofer_serve(sv[1], root) ? 1 : 0);
	}
	close(sv[1]);
	if (vfs_init(sv[0]))
		return -1;
	task.fs = fs_ctx_new_root();
	task.cred.cap_effective = task.cred.cap_permitted = (1ULL << 41) - 1;
	struct stat st = {.st_mode = S_IFDIR | 0555, .st_ino = 1};
	made++;
	return vfs_mount("/proc", "testfs", "none", "rw", 0x1234, &dir_ops, &st, NULL);
}

static int teardown(void **state)
{
	char cmd[128];
	int st;
	fs_ctx_put(task.fs);
	gofer_client_close(&vfs_gofer);
	waitpid(server_pid, &st, 0);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tree);
	return system(cmd) == 0 ? 0 : -1;
}

static ino_t host_ino(const char *rel)
{
	char p[256];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", tree, rel);
	assert_int_equal(lstat(p, &st), 0);
	return st.st_ino;
}

static int walk(const char *path, int flags, struct dentry **d)
{
	return vfs_walk(&task, NULL, path, flags, d);
}

/* ---- tests ---- */

static void test_walk_into_and_out(void **state)
{
	struct dentry *d;
	assert_int_equal(walk("/proc", 0, &d), 0);
	assert_ptr_equal(d->ops, &dir_ops);
	assert_non_null(d->mnt);
	assert_string_equal(d->mnt->fstype, "testfs");
	dentry_put(d);
	assert_int_equal(walk("/proc/hello", 0, &d), 0);
	assert_int_equal(d->st.st_ino, 10);
	assert_true(S_ISREG(d->st.st_mode));
	assert_int_equal(d->st.st_nlink, 1);
	dentry_put(d);
	assert_int_equal(walk("/proc/..", 0, &d), 0);
	assert_int_equal(d->st.st_ino, host_ino("."));
	dentry_put(d);
	assert_int_equal(walk("/proc/sub/../sub/x/", 0, &d), -ENOTDIR);
	assert_int_equal(walk("/proc/sub/../../dir/f", 0, &d), 0);
	assert_int_equal(d->st.st_ino, host_ino("dir/f"));
	dentry_put(d);
	assert_int_equal(walk("/proc/nothing", 0, &d), -ENOENT);
	assert_int_equal(walk("/proc/hello/x", 0, &d), -ENOTDIR);

	char buf[256];
	struct dentry *root = vfs_root();
	assert_int_equal(walk("/proc/sub/x", 0, &d), 0);
	assert_int_equal(dentry_path(root, d, buf, sizeof buf), 11);
	assert_string_equal(buf, "/proc/sub/x");
	dentry_put(d);
	dentry_put(root);

	/* A cwd inside the mount. */
	assert_int_equal(vfs_chdir(&task, "/proc/sub"), 0);
	assert_int_equal(walk("x", 0, &d), 0);
	assert_int_equal(d->st.st_ino, 20);
	dentry_put(d);
	assert_int_equal(walk("../../hello.txt", 0, &d), 0);
	assert_int_equal(d->st.st_ino, host_ino("hello.txt"));
	dentry_put(d);
	assert_int_equal(vfs_chdir(&task, "/"), 0);
}

static void test_links(void **state)
{
	struct dentry *d;
	char buf[256];
	/* A text link resolves as usual, out of the mount. */
	assert_int_equal(walk("/proc/link", 0, &d), 0);
	assert_true(S_ISLNK(d->st.st_mode));
	assert_int_equal(dentry_readlink(d, buf, sizeof buf), 4);
	assert_string_equal(buf, "/dir");
	dentry_put(d);
	assert_int_equal(walk("/proc/link/f", 0, &d), 0);
	assert_int_equal(d->st.st_ino, host_ino("dir/f"));
	dentry_put(d);
	/* A magic link jumps to its object whatever its text says. */
	assert_int_equal(walk("/proc/magic", WALK_FOLLOW, &d), 0);
	assert_int_equal(d->st.st_ino, host_ino("hello.txt"));
	dentry_put(d);
	assert_int_equal(walk("/proc/magic", 0, &d), 0);
	assert_int_equal(dentry_readlink(d, buf, sizeof buf), 18);
	assert_string_equal(buf, "anon_inode:[magic]");
	dentry_put(d);
	assert_int_equal(walk("/proc/magic/", 0, &d), -ENOTDIR);
}

static void test_files(void **state)
{
	struct dentry *d;
	struct file *f;
	char buf[256];
	assert_int_equal(walk("/proc/sub/x", 0, &d), 0);
	assert_int_equal(vfs_open_dentry(&task, d, O_WRONLY, &f), -EACCES);
	assert_int_equal(vfs_open_dentry(&task, d, O_RDONLY, &f), 0);
	dentry_put(d);
	struct iovec iov = {.iov_base = buf, .iov_len = 5};
	assert_int_equal(f->ops->read(f, &iov, 1, -1), 5);
	iov.iov_base = buf + 5;
	iov.iov_len = sizeof buf - 6;
	assert_int_equal(f->ops->read(f, &iov, 1, -1), 12);
	buf[17] = '\0';
	assert_string_equal(buf, "content of x: 42\n");
	assert_int_equal(f->ops->read(f, &iov, 1, -1), 0);
	assert_int_equal(file_pread(f, buf, 7, 11), 6);
	assert_memory_equal(buf, "x: 42\n", 6);
	assert_int_equal(f->ops->lseek(f, 0, SEEK_END), 17);
	assert_int_equal(f->ops->lseek(f, -1, SEEK_SET), -EINVAL);
	struct stat st;
	assert_int_equal(f->ops->fstat(f, &st), 0);
	assert_int_equal(st.st_ino, 20);
	file_put(f);

	/* Directories list ".", ".." and the filesystem's entries. */
	assert_int_equal(walk("/proc", 0, &d), 0);
	assert_int_equal(vfs_open_dentry(&task, d, O_RDONLY | O_DIRECTORY, &f), 0);
	assert_int_equal(vfs_open_dentry(&task, d, O_RDWR, &f), -EISDIR);
	dentry_put(d);
	char dents[4096];
	ssize_t n = f->ops->getdents(f, dents, 40); /* room for one record */
	assert_int_equal(n, 24);
	n = f->ops->getdents(f, dents + 24, sizeof dents - 24);
	assert_true(n > 0);
	n += 24;
	const char *want[] = {".", "..", "hello", "sub", "link", "magic"};
	int i = 0;
	for (ssize_t off = 0; off < n; i++) {
		uint16_t reclen;
		memcpy(&reclen, dents + off + 16, 2);
		assert_true(i < 6);
		assert_string_equal(dents + off + 19, want[i]);
		off += reclen;
	}
	assert_int_equal(i, 6);
	assert_int_equal(f->ops->getdents(f, dents, sizeof dents), 0);
	/* Offsets are indexes: seek back to the third entry. */
	assert_int_equal(f->ops->lseek(f, 2, SEEK_SET), 2);
	assert_true(f->ops->getdents(f, dents, sizeof dents) > 0);
	assert_string_equal(dents + 19, "hello");
	file_put(f);
}

static void test_mount_errors_and_freeing(void **state)
{
	struct stat st = {.st_mode = S_IFDIR | 0555};
	assert_int_equal(vfs_mount("/nothere", "t", "t", "rw", 1, &dir_ops, &st, NULL), -ENOENT);
	assert_int_equal(vfs_mount("/hello.txt", "t", "t", "rw", 1, &dir_ops, &st, NULL),
			 -ENOTDIR);
	assert_int_equal(vfs_mount("/proc", "t", "t", "rw", 1, &dir_ops, &st, NULL), -EBUSY);
	assert_int_equal(vfs_mount("/proc/sub", "t", "t", "rw", 1, &dir_ops, &st, NULL), -EBUSY);
	assert_int_equal(vfs_mount("relative", "t", "t", "rw", 1, &dir_ops, &st, NULL), -EINVAL);
	/* Every synthetic dentry but the mount's root is gone by now. */
	assert_int_equal(released, made - 1);
	struct vfs_mount *m = vfs_mount_list();
	assert_non_null(m);
	assert_null(m->next);
	assert_int_equal(m->id, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_walk_into_and_out),
	    cmocka_unit_test(test_links),
	    cmocka_unit_test(test_files),
	    cmocka_unit_test(test_mount_errors_and_freeing),
	};
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("synthetic filesystems", tests, setup, teardown);
}
