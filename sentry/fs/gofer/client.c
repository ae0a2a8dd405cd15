/* Gofer client: request/response exchange over the SOCK_SEQPACKET socket,
 * fd reception, and decoding of the replies of gofer/proto.h. */
#include "sentry/fs/gofer/client.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "common/log.h"
#include "gofer/proto.h"

/* Sends req (its header filled here except type) and waits for the reply
 * into resp (size bytes); it must be at least min_len bytes.  Returns the
 * reply length, or -errno from the gofer or -EIO.  *fd receives a donated
 * fd (or -1). */
static long transact(struct gofer_client *c, void *req, size_t len, void *resp, size_t size,
		     size_t min_len, int *fd)
{
	struct gofer_hdr *h = req;
	struct gofer_rhdr *r = resp;
	union {
		struct cmsghdr c;
		char b[CMSG_SPACE(sizeof(int) * 4)];
	} ctl;
	long ret;

	if (fd)
		*fd = -1;
	pthread_mutex_lock(&c->lock);
	h->len = (uint32_t)len;
	h->tag = ++c->next_tag;
	h->pad = 0;
	if (c->sock < 0) {
		ret = -EIO;
		goto out;
	}
	ssize_t n;
	do
		n = send(c->sock, req, len, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len) {
		DEBUG("gofer: send: %s", n < 0 ? strerror(errno) : "short");
		ret = -EIO;
		goto out;
	}
	struct iovec iov = {.iov_base = resp, .iov_len = size};
	struct msghdr m = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
	do
		n = recvmsg(c->sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	/* Collect fds first so none leaks whatever happens next. */
	int got = -1;
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(&m); n > 0 && cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		size_t cnt = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < cnt; i++) {
			int f;
			memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof f);
			if (got < 0 && fd)
				got = f;
			else
				close(f);
		}
	}
	if (n < (ssize_t)sizeof *r || (m.msg_flags & MSG_TRUNC) || r->h.len != (uint32_t)n ||
	    r->h.tag != h->tag || r->h.type != (h->type | GOFER_RESP)) {
		DEBUG("gofer: bad reply to type %u (%zd bytes)", h->type, n);
		ret = -EIO;
	} else if (r->err) {
		ret = r->err > 0 && r->err < 4096 ? -r->err : -EIO;
	} else if ((size_t)n < min_len) {
		ret = -EIO;
	} else {
		ret = n;
	}
	if (ret < 0 && got >= 0) {
		close(got);
		got = -1;
	}
	if (fd)
		*fd = got;
out:
	pthread_mutex_unlock(&c->lock);
	return ret;
}

/* Variable-size replies can reach GOFER_MAX_MSG: kept off the stack. */
static void *resp_buf(void) { return malloc(GOFER_MAX_MSG); }

int gofer_client_init(struct gofer_client *c, int sock)
{
	pthread_mutex_init(&c->lock, NULL);
	c->sock = sock;
	c->next_tag = 0;
	struct gofer_version_req q = {
	    .h.type = GOFER_T_VERSION, .version = GOFER_VERSION, .max_msg = GOFER_MAX_MSG};
	struct gofer_version_resp r;
	void *buf = resp_buf();
	if (!buf)
		return -ENOMEM;
	long n = transact(c, &q, sizeof q, buf, GOFER_MAX_MSG, sizeof r, NULL);
	if (n >= 0) {
		memcpy(&r, buf, sizeof r);
		if (r.version != GOFER_VERSION)
			n = -EPROTONOSUPPORT;
	}
	free(buf);
	return n < 0 ? (int)n : 0;
}

void gofer_client_close(struct gofer_client *c)
{
	pthread_mutex_lock(&c->lock);
	if (c->sock >= 0)
		close(c->sock);
	c->sock = -1;
	pthread_mutex_unlock(&c->lock);
}

static void stat_from(struct stat *st, const struct gofer_stat *g)
{
	memset(st, 0, sizeof *st);
	st->st_dev = g->dev;
	st->st_ino = g->ino;
	st->st_nlink = g->nlink;
	st->st_rdev = g->rdev;
	st->st_mode = g->mode;
	st->st_uid = g->uid;
	st->st_gid = g->gid;
	st->st_blksize = g->blksize;
	st->st_size = g->size;
	st->st_blocks = g->blocks;
	st->st_atim.tv_sec = g->atime_sec;
	st->st_atim.tv_nsec = g->atime_nsec;
	st->st_mtim.tv_sec = g->mtime_sec;
	st->st_mtim.tv_nsec = g->mtime_nsec;
	st->st_ctim.tv_sec = g->ctime_sec;
	st->st_ctim.tv_nsec = g->ctime_nsec;
}

static int node_op(struct gofer_client *c, void *req, size_t len, uint64_t *node, struct stat *st)
{
	struct gofer_node_resp r;
	long n = transact(c, req, len, &r, sizeof r, sizeof r, NULL);
	if (n < 0)
		return (int)n;
	if (node)
		*node = r.node;
	if (st)
		stat_from(st, &r.st);
	return 0;
}

int gofer_attach(struct gofer_client *c, uint64_t *node, struct stat *st)
{
	struct gofer_hdr q = {.type = GOFER_T_ATTACH};
	return node_op(c, &q, sizeof q, node, st);
}

int gofer_walk(struct gofer_client *c, uint64_t dir, const char *name, uint64_t *node,
	       struct stat *st)
{
	struct {
		struct gofer_walk_req q;
		char name[GOFER_NAME_MAX];
	} m;
	size_t l = strlen(name);
	if (l > GOFER_NAME_MAX)
		return -ENAMETOOLONG;
	memset(&m.q, 0, sizeof m.q);
	m.q.h.type = GOFER_T_WALK;
	m.q.dir = dir;
	m.q.namelen = (uint32_t)l;
	memcpy(m.name, name, l);
	return node_op(c, &m, sizeof m.q + l, node, st);
}

int gofer_stat(struct gofer_client *c, uint64_t node, struct stat *st)
{
	struct gofer_node_req q = {.h.type = GOFER_T_STAT, .node = node};
	return node_op(c, &q, sizeof q, NULL, st);
}

int gofer_open(struct gofer_client *c, uint64_t node, int flags)
{
	struct gofer_open_req q = {.h.type = GOFER_T_OPEN, .node = node, .flags = (uint32_t)flags};
	struct gofer_rhdr r;
	int fd;
	long n = transact(c, &q, sizeof q, &r, sizeof r, sizeof r, &fd);
	if (n < 0)
		return (int)n;
	return fd >= 0 ? fd : -EIO;
}

ssize_t gofer_readlink(struct gofer_client *c, uint64_t node, char *buf, size_t size)
{
	struct gofer_node_req q = {.h.type = GOFER_T_READLINK, .node = node};
	struct gofer_readlink_resp *r = resp_buf();
	if (!r)
		return -ENOMEM;
	long n = transact(c, &q, sizeof q, r, GOFER_MAX_MSG, sizeof *r, NULL);
	if (n >= 0) {
		if (r->len != n - sizeof *r || r->len >= size) {
			n = -EIO;
		} else {
			memcpy(buf, r + 1, r->len);
			buf[r->len] = '\0';
			n = r->len;
		}
	}
	free(r);
	return n;
}

int gofer_clunk(struct gofer_client *c, uint64_t node)
{
	struct gofer_node_req q = {.h.type = GOFER_T_CLUNK, .node = node};
	struct gofer_rhdr r;
	long n = transact(c, &q, sizeof q, &r, sizeof r, sizeof r, NULL);
	return n < 0 ? (int)n : 0;
}

int gofer_getdents(struct gofer_client *c, uint64_t dir, uint64_t cookie, struct gofer_dent *ents,
		   int max, bool *eof)
{
	struct gofer_getdents_req q = {.h.type = GOFER_T_GETDENTS, .dir = dir, .cookie = cookie};
	struct gofer_getdents_resp *r = resp_buf();
	if (!r)
		return -ENOMEM;
	q.max_bytes = GOFER_MAX_MSG - sizeof *r;
	q.max_count = (uint32_t)max;
	long n = transact(c, &q, sizeof q, r, GOFER_MAX_MSG, sizeof *r, NULL);
	if (n < 0)
		goto out;
	/* The gofer is less trusted than the sentry: check every record. */
	size_t off = sizeof *r;
	int cnt = 0;
	for (uint32_t i = 0; i < r->count; i++) {
		struct gofer_dirent d;
		if (cnt == max || off + sizeof d > (size_t)n) {
			n = -EIO;
			goto out;
		}
		memcpy(&d, (char *)r + off, sizeof d);
		if (d.namelen == 0 || d.namelen > GOFER_NAME_MAX ||
		    off + GOFER_DIRENT_SIZE(d.namelen) > (size_t)n) {
			n = -EIO;
			goto out;
		}
		struct gofer_dent *e = &ents[cnt++];
		e->ino = d.ino;
		e->next = d.next;
		e->type = d.type;
		memcpy(e->name, (char *)r + off + sizeof d, d.namelen);
		e->name[d.namelen] = '\0';
		if (memchr(e->name, '\0', d.namelen) || memchr(e->name, '/', d.namelen)) {
			n = -EIO;
			goto out;
		}
		off += GOFER_DIRENT_SIZE(d.namelen);
	}
	*eof = r->eof != 0;
	n = cnt;
out:
	free(r);
	return (int)n;
}

int gofer_attach_export(struct gofer_client *c, uint32_t idx, uint64_t *node, struct stat *st,
			bool *ro)
{
	struct gofer_attach_req q = {.h.type = GOFER_T_ATTACH, .export_idx = idx};
	struct gofer_attach_resp r;
	long n = transact(c, &q, sizeof q, &r, sizeof r, sizeof r, NULL);
	if (n < 0)
		return (int)n;
	*node = r.node;
	stat_from(st, &r.st);
	*ro = r.flags & GOFER_ATTACH_RDONLY;
	return 0;
}

/* Sends a fixed part of flen bytes followed by up to two strings. */
static long send_named(struct gofer_client *c, const void *fixed, size_t flen, const char *a,
		       size_t al, const void *b, size_t bl, void *resp, size_t rsize, size_t min,
		       int *fd)
{
	size_t len = flen + al + bl;
	if (len > GOFER_MAX_MSG)
		return -ENAMETOOLONG;
	char *m = malloc(len);
	if (!m)
		return -ENOMEM;
	memcpy(m, fixed, flen);
	memcpy(m + flen, a, al);
	if (bl)
		memcpy(m + flen + al, b, bl);
	long n = transact(c, m, len, resp, rsize, min, fd);
	free(m);
	return n;
}

/* send_named for a request answered with a node: its id and attributes. */
static int send_named_node(struct gofer_client *c, const void *fixed, size_t flen, const char *a,
			   size_t al, const void *b, size_t bl, uint64_t *node, struct stat *st,
			   int *fd)
{
	struct gofer_node_resp r;
	long n = send_named(c, fixed, flen, a, al, b, bl, &r, sizeof r, sizeof r, fd);
	if (n < 0)
		return (int)n;
	*node = r.node;
	stat_from(st, &r.st);
	return 0;
}

static int make_op(struct gofer_client *c, uint32_t type, uint64_t dir, const char *name,
		   int flags, mode_t mode, uid_t uid, gid_t gid, uint64_t *node, struct stat *st,
		   int *fd)
{
	struct gofer_make_req q = {.h.type = type,
				   .dir = dir,
				   .flags = (uint32_t)flags,
				   .mode = mode,
				   .uid = uid,
				   .gid = gid};
	size_t l = strlen(name);
	if (l > GOFER_NAME_MAX)
		return -ENAMETOOLONG;
	q.namelen = (uint32_t)l;
	return send_named_node(c, &q, sizeof q, name, l, NULL, 0, node, st, fd);
}

int gofer_create(struct gofer_client *c, uint64_t dir, const char *name, int flags, mode_t mode,
		 uid_t uid, gid_t gid, uint64_t *node, struct stat *st)
{
	int fd;
	int r = make_op(c, GOFER_T_CREATE, dir, name, flags, mode, uid, gid, node, st, &fd);
	if (r)
		return r;
	if (fd < 0) {
		gofer_clunk(c, *node);
		return -EIO;
	}
	return fd;
}

int gofer_mkdir(struct gofer_client *c, uint64_t dir, const char *name, mode_t mode, uid_t uid,
		gid_t gid, uint64_t *node, struct stat *st)
{
	return make_op(c, GOFER_T_MKDIR, dir, name, 0, mode, uid, gid, node, st, NULL);
}

int gofer_mknod(struct gofer_client *c, uint64_t dir, const char *name, mode_t mode, uid_t uid,
		gid_t gid, uint64_t *node, struct stat *st)
{
	return make_op(c, GOFER_T_MKNOD, dir, name, 0, mode, uid, gid, node, st, NULL);
}

int gofer_symlink(struct gofer_client *c, uint64_t dir, const char *name, const char *target,
		  uid_t uid, gid_t gid, uint64_t *node, struct stat *st)
{
	struct gofer_symlink_req q = {.h.type = GOFER_T_SYMLINK, .dir = dir, .uid = uid, .gid = gid};
	size_t l = strlen(name), tl = strlen(target);
	if (l > GOFER_NAME_MAX || tl > GOFER_LINK_MAX)
		return -ENAMETOOLONG;
	q.namelen = (uint32_t)l;
	q.targetlen = (uint32_t)tl;
	return send_named_node(c, &q, sizeof q, name, l, target, tl, node, st, NULL);
}

int gofer_link(struct gofer_client *c, uint64_t node, uint64_t dir, const char *name,
	       uint64_t *newnode, struct stat *st)
{
	struct gofer_link_req q = {.h.type = GOFER_T_LINK, .node = node, .dir = dir};
	size_t l = strlen(name);
	if (l > GOFER_NAME_MAX)
		return -ENAMETOOLONG;
	q.namelen = (uint32_t)l;
	return send_named_node(c, &q, sizeof q, name, l, NULL, 0, newnode, st, NULL);
}

int gofer_unlink(struct gofer_client *c, uint64_t dir, const char *name, int flags)
{
	struct gofer_unlink_req q = {.h.type = GOFER_T_UNLINK, .dir = dir, .flags = (uint32_t)flags};
	struct gofer_rhdr r;
	size_t l = strlen(name);
	if (l > GOFER_NAME_MAX)
		return -ENAMETOOLONG;
	q.namelen = (uint32_t)l;
	long n = send_named(c, &q, sizeof q, name, l, NULL, 0, &r, sizeof r, sizeof r, NULL);
	return n < 0 ? (int)n : 0;
}

int gofer_rename(struct gofer_client *c, uint64_t odir, const char *oname, uint64_t ndir,
		 const char *nname, unsigned flags)
{
	struct gofer_rename_req q = {
	    .h.type = GOFER_T_RENAME, .olddir = odir, .newdir = ndir, .flags = flags};
	struct gofer_rhdr r;
	size_t ol = strlen(oname), nl = strlen(nname);
	if (ol > GOFER_NAME_MAX || nl > GOFER_NAME_MAX)
		return -ENAMETOOLONG;
	q.oldlen = (uint32_t)ol;
	q.newlen = (uint32_t)nl;
	long n = send_named(c, &q, sizeof q, oname, ol, nname, nl, &r, sizeof r, sizeof r, NULL);
	return n < 0 ? (int)n : 0;
}

int gofer_setattr(struct gofer_client *c, const struct gofer_setattr_req *q0, struct stat *st)
{
	struct gofer_setattr_req q = *q0;
	q.h.type = GOFER_T_SETATTR;
	return node_op(c, &q, sizeof q, NULL, st);
}

int gofer_statfs(struct gofer_client *c, uint64_t node, struct statfs *sf)
{
	struct gofer_node_req q = {.h.type = GOFER_T_STATFS, .node = node};
	struct gofer_statfs_resp r;
	long n = transact(c, &q, sizeof q, &r, sizeof r, sizeof r, NULL);
	if (n < 0)
		return (int)n;
	memset(sf, 0, sizeof *sf);
	sf->f_type = (typeof(sf->f_type))r.type;
	sf->f_bsize = (typeof(sf->f_bsize))r.bsize;
	sf->f_blocks = r.blocks;
	sf->f_bfree = r.bfree;
	sf->f_bavail = r.bavail;
	sf->f_files = r.files;
	sf->f_ffree = r.ffree;
	sf->f_namelen = (typeof(sf->f_namelen))r.namelen;
	sf->f_frsize = (typeof(sf->f_frsize))r.frsize;
	sf->f_flags = (typeof(sf->f_flags))r.flags;
	return 0;
}

long gofer_xattr(struct gofer_client *c, uint32_t type, uint64_t node, const char *name,
		 const void *value, size_t vlen, int flags, void *buf, size_t size)
{
	struct gofer_xattr_req q = {.h.type = type, .node = node, .flags = (uint32_t)flags};
	size_t l = name ? strlen(name) : 0;
	if (l > GOFER_XATTR_NAME_MAX)
		return -ERANGE;
	if (vlen > GOFER_XATTR_SIZE_MAX)
		return -E2BIG;
	q.namelen = (uint32_t)l;
	q.valuelen = (uint32_t)vlen;
	q.size = size > GOFER_XATTR_SIZE_MAX ? GOFER_XATTR_SIZE_MAX : (uint32_t)size;
	struct gofer_xattr_resp *r = resp_buf();
	if (!r)
		return -ENOMEM;
	long n = send_named(c, &q, sizeof q, name ? name : "", l, value, vlen, r, GOFER_MAX_MSG,
			    sizeof(struct gofer_rhdr), NULL);
	if (n >= 0) {
		if (type == GOFER_T_SETXATTR || type == GOFER_T_REMOVEXATTR) {
			n = 0;
		} else if ((size_t)n < sizeof *r || r->len > GOFER_XATTR_SIZE_MAX ||
			   (q.size && (r->len > q.size || (size_t)n != sizeof *r + r->len))) {
			n = -EIO;
		} else {
			if (q.size)
				memcpy(buf, r + 1, r->len);
			n = r->len;
		}
	}
	free(r);
	return n;
}
