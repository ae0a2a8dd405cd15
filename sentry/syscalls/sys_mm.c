/* Memory-mapping system calls: brk, mmap, munmap, mprotect, mremap, madvise,
 * msync, mincore (the logic lives in sentry/mm). */
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/dentry.h"
#include "sentry/vfs/vfs.h"

DEFINE_SYSCALL(brk, R_HEX, A_PTR) { return mm_brk(t->mm, a[0]); }

/* The file's path for /proc/PID/maps (best effort: unnamed if unknown). */
static void file_name(struct task *t, struct file *f, char *buf, size_t size)
{
	buf[0] = 0;
	if (!f->dentry || !t->fs)
		return;
	pthread_mutex_lock(&t->fs->lock);
	struct dentry *root = dentry_get(t->fs->root);
	pthread_mutex_unlock(&t->fs->lock);
	if (dentry_path(root, f->dentry, buf, size) < 0)
		buf[0] = 0;
	dentry_put(root);
}

static long mmap_file(struct task *t, const uint64_t *a, int flags)
{
	int prot = (int)a[2];
	struct file *f = fd_get(t->files, (int)a[4]);
	if (!f)
		return -EBADF;
	long r;
	int acc = f->flags & O_ACCMODE;
	int type = flags & MAP_TYPE;
	bool shared = type == MAP_SHARED || type == MAP_SHARED_VALIDATE;
	if (f->flags & O_PATH) {
		r = -EBADF;
		goto out;
	}
	/* Only regular files have pages to map here (no devices yet). */
	if (!f->dentry || !S_ISREG(f->dentry->st.st_mode)) {
		r = -ENODEV;
		goto out;
	}
	if (acc == O_WRONLY || (shared && (prot & PROT_WRITE) && acc != O_RDWR)) {
		r = -EACCES;
		goto out;
	}
	if (shared && acc != O_RDWR)
		flags |= MM_MAP_NOWRITE;
	char name[PATH_MAX];
	file_name(t, f, name, sizeof name);
	struct mm_backing b;
	file_backing(f, &b);
	r = mm_mmap_named(t->mm, a[0], a[1], prot, flags, &b, a[5], name[0] ? name : NULL);
	b.put(b.obj);
out:
	file_put(f);
	return r;
}

/* SUP_PARTIAL: MAP_SHARED write-back of gofer files writes every present
 * page (no dirty tracking); no MAP_HUGETLB, MAP_SYNC or MAP_UNINITIALIZED. */
DEFINE_SYSCALL_SUP(mmap, SUP_PARTIAL, R_HEX, A_PTR, A_UINT, A_HEX, A_HEX, A_FD, A_HEX)
{
	int flags = (int)a[3] & ~MM_MAP_NOWRITE;
	/* x86-64 checks the offset before looking at the fd. */
	if (a[5] & ~PAGE_MASK)
		return -EINVAL;
	if (flags & MAP_ANONYMOUS)
		return mm_mmap(t->mm, a[0], a[1], (int)a[2], flags, NULL, 0);
	return mmap_file(t, a, flags);
}

DEFINE_SYSCALL(munmap, R_INT, A_PTR, A_UINT) { return mm_munmap(t->mm, a[0], a[1]); }

DEFINE_SYSCALL(mprotect, R_INT, A_PTR, A_UINT, A_HEX)
{
	return mm_mprotect(t->mm, a[0], a[1], (int)a[2]);
}

/* SUP_PARTIAL: no MREMAP_DONTUNMAP, no old_len 0 duplication. */
DEFINE_SYSCALL_SUP(mremap, SUP_PARTIAL, R_HEX, A_PTR, A_UINT, A_UINT, A_HEX, A_PTR)
{
	return mm_mremap(t->mm, a[0], a[1], a[2], (int)a[3], a[4]);
}

DEFINE_SYSCALL(madvise, R_INT, A_PTR, A_UINT, A_INT)
{
	return mm_madvise(t->mm, a[0], a[1], (int)a[2]);
}

DEFINE_SYSCALL(msync, R_INT, A_PTR, A_UINT, A_HEX)
{
	return mm_msync(t->mm, a[0], a[1], (int)a[2]);
}

DEFINE_SYSCALL(mincore, R_INT, A_PTR, A_UINT, A_PTR) { return mm_mincore(t->mm, a[0], a[1], a[2]); }
