/* The gofer's mutating requests: create, mkdir, mknod, symlink, link,
 * unlink, rename, setattr, statfs; each works on O_PATH node fds with the
 * *at calls and never follows a symlink. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gofer/server_internal.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#define RENAME_EXCHANGE 2
#endif

/* The directory node id names, checked for a mutation: -EBADF, -ENOTDIR,
 * -EROFS as errors, the node otherwise (slot in *slot). */
static struct gofer_node *mut_dir(struct gofer_server *s, uint64_t id, uint32_t *slot, int *err)
{
	struct gofer_node *d = gofer_node_lookup(s, id, slot);
	*err = !d ? -EBADF : !S_ISDIR(d->mode) ? -ENOTDIR : gofer_node_ro(s, d) ? -EROFS : 0;
	return *err ? NULL : d;
}

/* Copies a request's name (len bytes at p) into buf after checking it. */
static int take_name(char buf[GOFER_NAME_MAX + 1], const void *p, size_t len)
{
	int e = gofer_check_name(p, len);
	if (e)
		return e;
	memcpy(buf, p, len);
	buf[len] = '\0';
	return 0;
}

/* take_name for a request that is its fixed part (fixed bytes) and then
 * exactly the name, *namelen bytes long (pointed to, so that a short
 * request is refused before its field is read). */
static int take_req_name(char buf[GOFER_NAME_MAX + 1], const void *req, size_t fixed, size_t len,
			 const uint32_t *namelen)
{
	if (len < fixed || *namelen != len - fixed)
		return -EINVAL;
	return take_name(buf, (const char *)req + fixed, *namelen);
}

/* The node for name, just made in directory slot dslot: opened O_PATH
 * without following, chowned to uid/gid (the gofer keeps its own ids when
 * it cannot), its response written.  If made_dev/made_ino are set, the name
 * must still be that object (nobody swapped it in between). */
static long new_node(struct gofer_server *s, uint32_t dslot, const char *name, uint32_t uid,
		     uint32_t gid, const struct stat *made, void *resp)
{
	struct stat st;
	struct gofer_node *d = &s->nodes[dslot];
	int fd = openat(d->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (made && (fstat(fd, &st) || st.st_dev != made->st_dev || st.st_ino != made->st_ino)) {
		close(fd);
		return -ESTALE;
	}
	if (uid != (uint32_t)-1 || gid != (uint32_t)-1)
		fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
	return gofer_add_reply(s, fd, dslot, name, resp);
}

long gofer_do_create(struct gofer_server *s, const void *req, size_t len, void *resp, int *fd_out)
{
	const struct gofer_make_req *q = req;
	char name[GOFER_NAME_MAX + 1];
	uint32_t slot;
	int e;
	if ((e = take_req_name(name, q, sizeof *q, len, &q->namelen)))
		return e;
	struct gofer_node *d = mut_dir(s, q->dir, &slot, &e);
	if (!d)
		return e;
	int acc = (int)q->flags & O_ACCMODE;
	if (acc == O_ACCMODE || ((q->mode & S_IFMT) && !S_ISREG(q->mode)))
		return -EINVAL;
	int flags = acc | ((int)q->flags & (O_APPEND | O_NONBLOCK));
	/* Modes are taken as sent: the gofer runs with umask 0 (gofer_main). */
	int fd = openat(d->fd, name, O_CREAT | O_EXCL | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | flags,
			q->mode & 07777);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fchown(fd, q->uid, q->gid) == 0 && (q->mode & (S_ISUID | S_ISGID)))
		fchmod(fd, q->mode & 07777); /* chown cleared the set-id bits */
	if (fstat(fd, &st)) {
		e = errno;
		close(fd);
		return -e;
	}
	long r = new_node(s, slot, name, (uint32_t)-1, (uint32_t)-1, &st, resp);
	if (r < 0) {
		close(fd);
		return r;
	}
	*fd_out = fd;
	return r;
}

long gofer_do_make(struct gofer_server *s, uint32_t type, const void *req, size_t len, void *resp)
{
	const struct gofer_make_req *q = req;
	char name[GOFER_NAME_MAX + 1];
	uint32_t slot;
	int e, r;
	if ((e = take_req_name(name, q, sizeof *q, len, &q->namelen)))
		return e;
	struct gofer_node *d = mut_dir(s, q->dir, &slot, &e);
	if (!d)
		return e;
	mode_t m = q->mode;
	if (type == GOFER_T_MKNOD) {
		if (S_ISCHR(m) || S_ISBLK(m))
			return -EPERM;
		if (!S_ISFIFO(m) && !S_ISSOCK(m))
			return -EINVAL;
	} else if ((m & S_IFMT) && !S_ISDIR(m)) {
		return -EINVAL;
	}
	if (type == GOFER_T_MKDIR)
		r = mkdirat(d->fd, name, m & 07777);
	else
		r = mknodat(d->fd, name, (m & S_IFMT) | (m & 07777), 0);
	if (r)
		return -errno;
	return new_node(s, slot, name, q->uid, q->gid, NULL, resp);
}

long gofer_do_symlink(struct gofer_server *s, const void *req, size_t len, void *resp)
{
	const struct gofer_symlink_req *q = req;
	char name[GOFER_NAME_MAX + 1], target[GOFER_LINK_MAX + 1];
	uint32_t slot;
	int e;
	if (len < sizeof *q || q->namelen > GOFER_NAME_MAX || q->targetlen > GOFER_LINK_MAX ||
	    (size_t)q->namelen + q->targetlen != len - sizeof *q)
		return -EINVAL;
	const char *p = (const char *)(q + 1);
	if ((e = take_name(name, p, q->namelen)))
		return e;
	if (q->targetlen == 0)
		return -ENOENT;
	if (memchr(p + q->namelen, '\0', q->targetlen))
		return -EINVAL;
	memcpy(target, p + q->namelen, q->targetlen);
	target[q->targetlen] = '\0';
	struct gofer_node *d = mut_dir(s, q->dir, &slot, &e);
	if (!d)
		return e;
	if (symlinkat(target, d->fd, name))
		return -errno;
	return new_node(s, slot, name, q->uid, q->gid, NULL, resp);
}

long gofer_do_link(struct gofer_server *s, const void *req, size_t len, void *resp)
{
	const struct gofer_link_req *q = req;
	char name[GOFER_NAME_MAX + 1];
	uint32_t slot;
	int e;
	if ((e = take_req_name(name, q, sizeof *q, len, &q->namelen)))
		return e;
	struct gofer_node *n = gofer_node_lookup(s, q->node, NULL);
	if (!n)
		return -EBADF;
	struct gofer_node *d = mut_dir(s, q->dir, &slot, &e);
	if (!d)
		return e;
	if (S_ISDIR(n->mode))
		return -EPERM;
	if (n->export_idx != d->export_idx)
		return -EXDEV;
	struct stat want = {.st_dev = n->dev, .st_ino = n->ino};
	/* Linking the node's own fd needs CAP_DAC_READ_SEARCH; without it,
	 * link its name and check what was linked. */
	if (linkat(n->fd, "", d->fd, name, AT_EMPTY_PATH)) {
		e = errno;
		if (e != ENOENT && e != EPERM)
			return -e;
		struct gofer_node *p = n->name ? gofer_node_lookup(s, n->parent, NULL) : NULL;
		if (!p)
			return -ESTALE;
		if (linkat(p->fd, n->name, d->fd, name, 0))
			return -errno;
	}
	long r = new_node(s, slot, name, (uint32_t)-1, (uint32_t)-1, &want, resp);
	if (r == -ESTALE)
		unlinkat(s->nodes[slot].fd, name, 0);
	return r;
}

/* Whether node n is named name in the directory (dev, ino). */
static bool named(struct gofer_server *s, struct gofer_node *n, const struct gofer_node *dir,
		  const char *name)
{
	if (!n->name || n->fd < 0 || strcmp(n->name, name))
		return false;
	struct gofer_node *p = gofer_node_lookup(s, n->parent, NULL);
	return p && p->dev == dir->dev && p->ino == dir->ino;
}

/* A node whose name is gone can no longer be reopened. */
static void detach(struct gofer_node *n)
{
	free(n->name);
	n->name = NULL;
	n->parent = GOFER_NO_NODE;
}

long gofer_do_unlink(struct gofer_server *s, const void *req, size_t len, void *resp)
{
	const struct gofer_unlink_req *q = req;
	char name[GOFER_NAME_MAX + 1];
	uint32_t slot;
	int e;
	if ((e = take_req_name(name, q, sizeof *q, len, &q->namelen)))
		return e;
	if (q->flags & ~(uint32_t)AT_REMOVEDIR)
		return -EINVAL;
	struct gofer_node *d = mut_dir(s, q->dir, &slot, &e);
	if (!d)
		return e;
	if (unlinkat(d->fd, name, (int)q->flags))
		return -errno;
	for (uint32_t i = 0; i < s->cap; i++)
		if (named(s, &s->nodes[i], d, name))
			detach(&s->nodes[i]);
	return sizeof(struct gofer_rhdr);
}

long gofer_do_rename(struct gofer_server *s, const void *req, size_t len, void *resp)
{
	const struct gofer_rename_req *q = req;
	char oname[GOFER_NAME_MAX + 1], nname[GOFER_NAME_MAX + 1];
	uint32_t os, ns;
	int e;
	if (len < sizeof *q || q->oldlen > GOFER_NAME_MAX || q->newlen > GOFER_NAME_MAX ||
	    (size_t)q->oldlen + q->newlen != len - sizeof *q)
		return -EINVAL;
	const char *p = (const char *)(q + 1);
	if ((e = take_name(oname, p, q->oldlen)) || (e = take_name(nname, p + q->oldlen, q->newlen)))
		return e;
	if (q->flags & ~(uint32_t)(RENAME_NOREPLACE | RENAME_EXCHANGE) ||
	    q->flags == (RENAME_NOREPLACE | RENAME_EXCHANGE))
		return -EINVAL;
	struct gofer_node *od = mut_dir(s, q->olddir, &os, &e);
	if (!od)
		return e;
	struct gofer_node *nd = mut_dir(s, q->newdir, &ns, &e);
	if (!nd)
		return e;
	if (od->export_idx != nd->export_idx)
		return -EXDEV;
	if (syscall(SYS_renameat2, od->fd, oname, nd->fd, nname, q->flags))
		return -errno;
	/* The nodes follow their names: the moved ones get the new name, the
	 * replaced ones none (or the old name, for an exchange). */
	struct gofer_node odc = *od, ndc = *nd;
	uint64_t oid = q->olddir, nid = q->newdir;
	bool xchg = q->flags & RENAME_EXCHANGE;
	for (uint32_t i = 0; i < s->cap; i++) {
		struct gofer_node *n = &s->nodes[i];
		bool a = named(s, n, &odc, oname), b = named(s, n, &ndc, nname);
		if (!a && !b)
			continue;
		if (b && !xchg) {
			detach(n);
			continue;
		}
		char *nn = strdup(a ? nname : oname);
		if (!nn) {
			detach(n);
			continue;
		}
		free(n->name);
		n->name = nn;
		n->parent = a ? nid : oid;
	}
	return sizeof(struct gofer_rhdr);
}

static bool bad_nsec(int64_t ns) { return ns != UTIME_NOW && ns != UTIME_OMIT && (ns < 0 || ns > 999999999); }

long gofer_do_setattr(struct gofer_server *s, const void *req, size_t len, void *resp)
{
	const struct gofer_setattr_req *q = req;
	uint32_t slot;
	struct stat st;
	if (len != sizeof *q)
		return -EINVAL;
	struct gofer_node *n = gofer_node_lookup(s, q->node, &slot);
	if (!n)
		return -EBADF;
	if (gofer_node_ro(s, n))
		return -EROFS;
	if (q->mask & ~(uint32_t)63)
		return -EINVAL;
	if ((q->mask & GOFER_SA_ATIME && bad_nsec(q->atime_nsec)) ||
	    (q->mask & GOFER_SA_MTIME && bad_nsec(q->mtime_nsec)))
		return -EINVAL;
	if (q->mask & GOFER_SA_SIZE) {
		if (S_ISDIR(n->mode))
			return -EISDIR;
		if (!S_ISREG(n->mode) || q->size < 0)
			return -EINVAL;
		int fd = gofer_node_reopen(s, n, O_WRONLY | O_NONBLOCK);
		if (fd < 0)
			return fd;
		int r = ftruncate(fd, q->size);
		int e = errno;
		close(fd);
		if (r)
			return -e;
	}
	if (q->mask & (GOFER_SA_UID | GOFER_SA_GID)) {
		uid_t u = q->mask & GOFER_SA_UID ? q->uid : (uid_t)-1;
		gid_t g = q->mask & GOFER_SA_GID ? q->gid : (gid_t)-1;
		if (fchownat(n->fd, "", u, g, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
			return -errno;
	}
	if (q->mask & GOFER_SA_MODE) {
		if (S_ISLNK(n->mode))
			return -EOPNOTSUPP;
		/* O_PATH fds take no fchmod: through an fd of the node itself
		 * (what cannot be opened, a socket, keeps its mode). */
		if (!S_ISREG(n->mode) && !S_ISDIR(n->mode) && !S_ISFIFO(n->mode))
			return -EOPNOTSUPP;
		int fd = gofer_node_reopen(s, n, O_RDONLY | O_NONBLOCK);
		if (fd < 0)
			return fd;
		int r = fchmod(fd, q->mode & 07777);
		int e = errno;
		close(fd);
		if (r)
			return -e;
	}
	if (q->mask & (GOFER_SA_ATIME | GOFER_SA_MTIME)) {
		struct timespec ts[2] = {
		    {.tv_sec = q->atime_sec, .tv_nsec = q->atime_nsec},
		    {.tv_sec = q->mtime_sec, .tv_nsec = q->mtime_nsec},
		};
		if (!(q->mask & GOFER_SA_ATIME))
			ts[0] = (struct timespec){.tv_nsec = UTIME_OMIT};
		if (!(q->mask & GOFER_SA_MTIME))
			ts[1] = (struct timespec){.tv_nsec = UTIME_OMIT};
		if (utimensat(n->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
			return -errno;
	}
	if (fstat(n->fd, &st))
		return -errno;
	return gofer_reply_node(s, slot, &st, resp);
}

long gofer_do_statfs(struct gofer_server *s, const void *req, size_t len, void *resp)
{
	const struct gofer_node_req *q = req;
	struct gofer_statfs_resp *r = resp;
	struct statfs sf;
	if (len != sizeof *q)
		return -EINVAL;
	struct gofer_node *n = gofer_node_lookup(s, q->node, NULL);
	if (!n)
		return -EBADF;
	if (fstatfs(n->fd, &sf))
		return -errno;
	r->type = (uint64_t)sf.f_type;
	r->bsize = (uint64_t)sf.f_bsize;
	r->blocks = sf.f_blocks;
	r->bfree = sf.f_bfree;
	r->bavail = sf.f_bavail;
	r->files = sf.f_files;
	r->ffree = sf.f_ffree;
	r->namelen = (uint64_t)sf.f_namelen;
	r->frsize = (uint64_t)sf.f_frsize;
	r->flags = (uint64_t)sf.f_flags | (gofer_node_ro(s, n) ? ST_RDONLY : 0);
	return sizeof *r;
}
