/* Tests of tmpfs through its dentry and file ops, without a sandbox: data in
 * memory-file frames (holes, truncation, frames shared with mappings), the
 * size limit, link counts, lifetimes of unlinked files, and rename rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

#include "sentry/fs/tmpfs/internal.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

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
const struct platform platform_ptrace = {0}; /* platform.c names it; mm never maps here */
__attribute__((weak)) int mm_copy_out(struct mm *mm, uint64_t dst, const void *src, size_t n)
{
	return -EFAULT;
}

static struct cred cred = {.fsuid = 1000, .fsgid = 100};

static struct dentry *lookup(struct dentry *dir, const char *name)
{
	struct dentry *d = NULL;
	assert_int_equal(dir->ops->lookup(dir, name, &d), 0);
	return d;
}

static struct file *creat_file(struct dentry *root, const char *name)
{
	struct dentry *d;
	struct file *f;
	assert_int_equal(root->ops->create(root, name, 0644, &cred, &d), 0);
	assert_int_equal(d->ops->open(d, O_RDWR, &f), 0);
	dentry_put(d);
	return f;
}

static ssize_t fwrite_at(struct file *f, const void *buf, size_t len, int64_t off)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	return f->ops->write(f, &iov, 1, off);
}

static void test_data_and_frames(void **state)
{
	struct dentry *root = tmpfs_root_new(01777, 0);
	struct file *f = creat_file(root, "f");
	struct stat st;
	char buf[64];

	assert_int_equal(fwrite_at(f, "page one", 8, 0), 8);
	assert_int_equal(fwrite_at(f, "far", 3, 3 * PAGE_SIZE + 10), 3);
	assert_int_equal(f->ops->fstat(f, &st), 0);
	assert_int_equal(st.st_size, 3 * PAGE_SIZE + 13);
	assert_int_equal(st.st_blocks, 2 * (PAGE_SIZE / 512)); /* pages 1 and 2 are holes */
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 100);
	memset(buf, 'x', sizeof buf);
	assert_int_equal(file_pread(f, buf, 16, PAGE_SIZE + 5), 16);
	for (int i = 0; i < 16; i++)
		assert_int_equal(buf[i], 0);

	/* A mapping's frame is the file's own page: same bytes, one more ref. */
	int64_t fr = f->dentry->ops->frame(f->dentry, 0);
	assert_true(fr >= 0);
	assert_memory_equal(memfile_ptr((uint64_t)fr), "page one", 8);
	assert_int_equal(memfile_refcount((uint64_t)fr), 2);
	memcpy(memfile_ptr((uint64_t)fr), "PAGE", 4);
	assert_int_equal(file_pread(f, buf, 8, 0), 8);
	assert_memory_equal(buf, "PAGE one", 8);
	/* A hole gets its frame on demand; past the end is SIGBUS's -EIO. */
	int64_t hole = f->dentry->ops->frame(f->dentry, 1);
	assert_true(hole >= 0);
	memfile_unref((uint64_t)hole);
	assert_int_equal(f->dentry->ops->frame(f->dentry, 4), -EIO);

	/* Truncation drops the file's reference; the mapping keeps its own. */
	struct synth_setattr sa = {.mask = SA_SIZE, .size = 4};
	assert_int_equal(f->dentry->ops->setattr(f->dentry, &sa), 0);
	assert_int_equal(memfile_refcount((uint64_t)fr), 2); /* page 0 stays (size 4) */
	sa.size = 0;
	assert_int_equal(f->dentry->ops->setattr(f->dentry, &sa), 0);
	assert_int_equal(memfile_refcount((uint64_t)fr), 1);
	memfile_unref((uint64_t)fr);
	assert_int_equal(f->ops->fstat(f, &st), 0);
	assert_int_equal(st.st_blocks, 0);
	file_put(f);
	dentry_put(root);
}

static void test_size_limit(void **state)
{
	struct dentry *root = tmpfs_root_new(0755, 3);
	struct file *f = creat_file(root, "big");
	static char page[PAGE_SIZE * 4];
	struct statfs sf;

	memset(page, 7, sizeof page);
	/* Three pages fit, the fourth is a short write, then ENOSPC. */
	assert_int_equal(fwrite_at(f, page, sizeof page, 0), 3 * PAGE_SIZE);
	assert_int_equal(fwrite_at(f, page, 1, 3 * PAGE_SIZE), -ENOSPC);
	assert_int_equal(root->ops->statfs(root, &sf), 0);
	assert_int_equal(sf.f_type, TMPFS_MAGIC);
	assert_int_equal(sf.f_blocks, 3);
	assert_int_equal(sf.f_bfree, 0);
	/* Sparse growth is free; shrinking gives the pages back. */
	struct synth_setattr sa = {.mask = SA_SIZE, .size = 1 << 30};
	assert_int_equal(f->dentry->ops->setattr(f->dentry, &sa), 0);
	sa.size = PAGE_SIZE;
	assert_int_equal(f->dentry->ops->setattr(f->dentry, &sa), 0);
	assert_int_equal(root->ops->statfs(root, &sf), 0);
	assert_int_equal(sf.f_bfree, 2);
	file_put(f);
	dentry_put(root);
}

static void test_unlinked_file_lives(void **state)
{
	struct dentry *root = tmpfs_root_new(01777, 0);
	struct tmpfs_sb *sb = TMPFS_I(root)->sb;
	uint64_t inodes = sb->inodes;
	struct file *f = creat_file(root, "u");
	char buf[8];
	assert_int_equal(fwrite_at(f, "data", 4, 0), 4);
	assert_int_equal(sb->inodes, inodes + 1);
	assert_int_equal(root->ops->unlink(root, "u"), 0);
	struct dentry *d;
	assert_int_equal(root->ops->lookup(root, "u", &d), -ENOENT);
	assert_int_equal(file_pread(f, buf, 4, 0), 4);
	assert_memory_equal(buf, "data", 4);
	struct stat st;
	assert_int_equal(f->ops->fstat(f, &st), 0);
	assert_int_equal(st.st_nlink, 0);
	/* A link to an unlinked file is refused (no O_TMPFILE linkat yet). */
	assert_int_equal(root->ops->link(f->dentry, root, "again"), -ENOENT);
	assert_int_equal(sb->inodes, inodes + 1);
	file_put(f); /* the last reference: the inode goes */
	assert_int_equal(sb->inodes, inodes);
	assert_int_equal(sb->pages, 0);
	dentry_put(root);
}

static void test_namespace(void **state)
{
	struct dentry *root = tmpfs_root_new(0755, 0);
	struct stat st;
	assert_int_equal(root->ops->mkdir(root, "a", 0755, &cred), 0);
	assert_int_equal(root->ops->mkdir(root, "a", 0755, &cred), -EEXIST);
	struct dentry *a = lookup(root, "a");
	assert_int_equal(a->ops->mkdir(a, "b", 0700, &cred), 0);
	struct dentry *b = lookup(a, "b");
	assert_int_equal(root->ops->getattr(root, &st), 0);
	assert_int_equal(st.st_nlink, 3);
	/* No directory into itself or below itself. */
	assert_int_equal(root->ops->rename(root, "a", b, "x", 0), -EINVAL);
	assert_int_equal(root->ops->rename(root, "a", a, "x", 0), -EINVAL);
	assert_int_equal(root->ops->rmdir(root, "a"), -ENOTEMPTY);
	/* Moving b up changes both parents' link counts. */
	assert_int_equal(root->ops->rename(a, "b", root, "b", 0), 0);
	assert_int_equal(a->ops->getattr(a, &st), 0);
	assert_int_equal(st.st_nlink, 2);
	assert_int_equal(root->ops->getattr(root, &st), 0);
	assert_int_equal(st.st_nlink, 4);
	/* Exchange and no-replace. */
	assert_int_equal(root->ops->symlink(root, "l", "target", &cred), 0);
	assert_int_equal(root->ops->rename(root, "l", root, "b", RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(root->ops->rename(root, "l", root, "b", RENAME_EXCHANGE), 0);
	struct dentry *l = lookup(root, "b");
	char buf[16];
	assert_int_equal(l->ops->readlink(l, buf, sizeof buf), 6);
	assert_string_equal(buf, "target");
	dentry_put(l);
	assert_int_equal(root->ops->rename(root, "l", a, "b2", 0), 0);
	assert_int_equal(root->ops->rmdir(root, "a"), -ENOTEMPTY);
	assert_int_equal(a->ops->rmdir(a, "b2"), 0);
	assert_int_equal(root->ops->rmdir(root, "a"), 0);
	/* A removed directory takes no new entries. */
	assert_int_equal(a->ops->mkdir(a, "c", 0755, &cred), -ENOENT);
	assert_int_equal(root->ops->unlink(root, "b"), 0);
	assert_int_equal(root->ops->getattr(root, &st), 0);
	assert_int_equal(st.st_nlink, 2);
	dentry_put(b);
	dentry_put(a);
	dentry_put(root);
}

/* A tmpfs instance lives as long as the sandbox and has no teardown yet, so
 * what the tests leave in their instances is not a leak in the sentry; the
 * frames themselves are checked through memfile_used().  (A destroy path
 * for instances, and leak checking here, is open work.) */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:tmpfs_sb_new\nleak:tmpfs_inode_new\nleak:add_entry\nleak:tmpfs_page_slot\n"
	       "leak:tmpfs_dentry_new\n";
}

int main(void)
{
	if (memfile_init()) {
		fprintf(stderr, "memfile_init failed\n");
		return 1;
	}
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_data_and_frames),
	    cmocka_unit_test(test_size_limit),
	    cmocka_unit_test(test_unlinked_file_lives),
	    cmocka_unit_test(test_namespace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
