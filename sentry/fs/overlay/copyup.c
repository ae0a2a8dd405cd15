/* Copy-up: before a lower node is changed, its twin is made in the upper
 * layer (parents first) with the lower node's type, data, mode, owner,
 * times and identity, and every later lookup finds that twin. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sentry/fs/gofer/client.h"
#include "sentry/fs/overlay/internal.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/task.h"

const struct cred ovl_root_cred;

#define CHUNK (1 << 20)

static bool all_zero(const char *buf, size_t n)
{
	return !n || (buf[0] == 0 && !memcmp(buf, buf + 1, n - 1));
}

/* Copies the first size bytes of lower file l into upper file u through a
 * host fd the gofer donates; zero chunks stay holes. */
static int copy_data(struct dentry *l, struct dentry *u, off_t size)
{
	int fd = gofer_open(&vfs_gofer, l->node, O_RDONLY);
	if (fd < 0)
		return fd;
	struct file *f;
	int r = u->ops->open(u, O_WRONLY, &f);
	if (r) {
		close(fd);
		return r;
	}
	char *buf = malloc(CHUNK);
	if (!buf)
		r = -ENOMEM;
	for (off_t off = 0; !r && off < size;) {
		ssize_t n = pread(fd, buf, CHUNK, off);
		if (n < 0) {
			r = -errno;
			break;
		}
		if (n == 0)
			break; /* shrank meanwhile: the size set afterwards rules */
		if (!all_zero(buf, (size_t)n)) {
			struct iovec iov = {.iov_base = buf, .iov_len = (size_t)n};
			ssize_t w = f->ops->write(f, &iov, 1, off);
			if (w != n)
				r = w < 0 ? (int)w : -ENOSPC;
		}
		off += n;
	}
	free(buf);
	file_put(f);
	close(fd);
	return r;
}

/* Makes the upper twin of lower node l (attributes st) as name under pu. */
static int make_twin(struct dentry *pu, const char *name, struct dentry *l, const struct stat *st,
		     struct dentry **u)
{
	int r;
	*u = NULL;
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		return pu->ops->create(pu, name, 0600, &ovl_root_cred, u);
	case S_IFDIR:
		r = pu->ops->mkdir(pu, name, 0700, &ovl_root_cred);
		break;
	case S_IFLNK: {
		char *target = malloc(GOFER_LINK_SIZE);
		long n = target ? dentry_readlink(l, target, GOFER_LINK_SIZE) : -ENOMEM;
		r = n < 0 ? (int)n : pu->ops->symlink(pu, name, target, &ovl_root_cred);
		free(target);
		break;
	}
	default:
		r = pu->ops->mknod(pu, name, st->st_mode & (S_IFMT | 07777), st->st_rdev,
				   &ovl_root_cred);
	}
	return r ? r : pu->ops->lookup(pu, name, u);
}

int ovl_copy_up(struct dentry *d, bool data)
{
	struct ovl_entry *e = OVL_E(d);
	if (ovl_upper(d))
		return 0;
	if (!d->parent || !e->lower)
		return -EIO; /* the root always has its upper twin */
	int r = ovl_copy_up(d->parent, true);
	if (r)
		return r;
	struct dentry *pu = OVL_E(d->parent)->upper, *l = e->lower, *u;
	struct stat st, pst;
	dentry_getattr(l, &st);
	dentry_getattr(pu, &pst);
	r = make_twin(pu, d->name, l, &st, &u);
	if (r)
		return r;
	/* Nothing changed in the merged parent as the application sees it:
	 * it keeps its times. */
	struct synth_setattr pa = {
	    .mask = SA_ATIME | SA_MTIME, .atime = pst.st_atim, .mtime = pst.st_mtim};
	pu->ops->setattr(pu, &pa);
	bool reg = S_ISREG(st.st_mode);
	if (reg && data)
		r = copy_data(l, u, st.st_size);
	if (!r) {
		struct synth_setattr sa = {.mask = SA_MODE | SA_UID | SA_GID | SA_ATIME | SA_MTIME,
					   .mode = st.st_mode & 07777,
					   .uid = st.st_uid,
					   .gid = st.st_gid,
					   .atime = st.st_atim,
					   .mtime = st.st_mtim};
		if (reg && data) {
			sa.mask |= SA_SIZE;
			sa.size = st.st_size;
		}
		r = u->ops->setattr(u, &sa);
	}
	if (r) {
		dentry_put(u);
		if (S_ISDIR(st.st_mode))
			pu->ops->rmdir(pu, d->name);
		else
			pu->ops->unlink(pu, d->name);
		return r;
	}
	tmpfs_set_identity(u, st.st_dev, st.st_ino);
	e->upper = u;
	ovl_gen++;
	return 0;
}
