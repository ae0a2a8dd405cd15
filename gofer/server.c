/* The gofer server: a table of O_PATH node fds and one handler per
 * gofer/proto.h request, written to survive any bytes a peer sends. */
#include "gofer/server.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/log.h"
#include "gofer/server_internal.h"

#define ROOT_PARENT GOFER_NO_NODE
#define DEFAULT_MAX_NODES (1u << 20)
#define HOST_DENTS 32768
/* O_TMPFILE without the O_DIRECTORY bit glibc folds into it. */
#define TMPFILE_BIT 020000000

int gofer_server_init(struct gofer_server *s, int root_fd)
{
	memset(s, 0, sizeof *s);
	s->max_nodes = DEFAULT_MAX_NODES;
	gofer_server_add_export(s, root_fd, true);
	return 0;
}

int gofer_server_add_export(struct gofer_server *s, int fd, bool ro)
{
	if (s->nexports == GOFER_MAX_EXPORTS) {
		close(fd);
		return -ENFILE;
	}
	s->exports[s->nexports] = (struct gofer_export){.fd = fd, .ro = ro};
	return (int)s->nexports++;
}

int gofer_server_add_file_export(struct gofer_server *s, int fd, char *name, bool ro)
{
	int idx = gofer_server_add_export(s, fd, ro);
	if (idx < 0)
		free(name);
	else
		s->exports[idx].file = name;
	return idx;
}

static void node_release(struct gofer_node *n)
{
	if (n->fd >= 0)
		close(n->fd);
	if (n->dir_fd >= 0)
		close(n->dir_fd);
	free(n->name);
	n->fd = n->dir_fd = -1;
	n->name = NULL;
	n->gen++;
}

void gofer_server_destroy(struct gofer_server *s)
{
	for (uint32_t i = 0; i < s->cap; i++)
		if (s->nodes[i].fd >= 0)
			node_release(&s->nodes[i]);
	free(s->nodes);
	for (uint32_t i = 0; i < s->nexports; i++)
		if (s->exports[i].fd >= 0) {
			close(s->exports[i].fd);
			free(s->exports[i].file);
		}
	memset(s, 0, sizeof *s);
}

uint64_t gofer_node_id(struct gofer_server *s, uint32_t slot)
{
	return ((uint64_t)s->nodes[slot].gen << 32) | (slot + 1);
}

/* The slot an id names, or NULL for anything stale or out of range. */
struct gofer_node *gofer_node_lookup(struct gofer_server *s, uint64_t id, uint32_t *slot_out)
{
	uint32_t low = (uint32_t)id;
	if (low == 0 || low > s->cap)
		return NULL;
	struct gofer_node *n = &s->nodes[low - 1];
	if (n->fd < 0 || n->gen != (uint32_t)(id >> 32))
		return NULL;
	if (slot_out)
		*slot_out = low - 1;
	return n;
}

/* Takes ownership of fd and name; returns the slot or -errno. */
int64_t gofer_node_add(struct gofer_server *s, int fd, uint64_t parent, char *name,
		       const struct stat *st, uint32_t export_idx)
{
	uint32_t i;
	for (i = s->hint; i < s->cap; i++)
		if (s->nodes[i].fd < 0)
			break;
	if (i == s->cap) {
		if (s->cap >= s->max_nodes) {
			close(fd);
			free(name);
			return -ENFILE;
		}
		uint32_t ncap = s->cap ? s->cap * 2 : 64;
		if (ncap > s->max_nodes)
			ncap = s->max_nodes;
		struct gofer_node *nn = realloc(s->nodes, ncap * sizeof *nn);
		if (!nn) {
			close(fd);
			free(name);
			return -ENOMEM;
		}
		for (uint32_t j = s->cap; j < ncap; j++)
			nn[j] = (struct gofer_node){.fd = -1, .dir_fd = -1, .gen = 1};
		s->nodes = nn;
		s->cap = ncap;
	}
	s->hint = i + 1;
	struct gofer_node *n = &s->nodes[i];
	n->fd = fd;
	n->dir_fd = -1;
	n->parent = parent;
	n->name = name;
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	n->mode = st->st_mode;
	n->export_idx = export_idx;
	n->root = false;
	return i;
}

static void fill_stat(struct gofer_stat *g, const struct stat *st)
{
	*g = (struct gofer_stat){
	    .dev = st->st_dev,
	    .ino = st->st_ino,
	    .nlink = st->st_nlink,
	    .rdev = st->st_rdev,
	    .mode = st->st_mode,
	    .uid = st->st_uid,
	    .gid = st->st_gid,
	    .blksize = (uint32_t)st->st_blksize,
	    .size = st->st_size,
	    .blocks = st->st_blocks,
	    .atime_sec = st->st_atim.tv_sec,
	    .atime_nsec = st->st_atim.tv_nsec,
	    .mtime_sec = st->st_mtim.tv_sec,
	    .mtime_nsec = st->st_mtim.tv_nsec,
	    .ctime_sec = st->st_ctim.tv_sec,
	    .ctime_nsec = st->st_ctim.tv_nsec,
	};
}

/* ---- handlers: each returns the response length or -errno ---- */

long gofer_reply_node(struct gofer_server *s, uint32_t slot, const struct stat *st, void *resp)
{
	struct gofer_node_resp *r = resp;
	r->node = gofer_node_id(s, slot);
	fill_stat(&r->st, st);
	return sizeof *r;
}

static long do_version(struct gofer_server *s, const void *req, size_t len, void *resp)
{
	const struct gofer_version_req *q = req;
	struct gofer_version_resp *r = resp;
	if (len != sizeof *q)
		return -EINVAL;
	if (q->version < 1)
		return -EPROTONOSUPPORT;
	r->version = q->version < GOFER_VERSION ? q->version : GOFER_VERSION;
	r->max_msg = GOFER_MAX_MSG;
	return sizeof *r;
}

static long do_attach(struct gofer_server *s, const void *req, size_t len, void *resp)
{
	const struct gofer_attach_req *q = req;
	struct gofer_attach_resp *r = resp;
	struct stat st;
	uint32_t idx = 0;
	if (len == sizeof *q)
		idx = q->export_idx;
	else if (len != sizeof(struct gofer_hdr))
		return -EINVAL;
	if (idx >= s->nexports)
		return -ENOENT;
	const struct gofer_export *x = &s->exports[idx];
	int fd = x->file ? openat(x->fd, x->file, O_PATH | O_NOFOLLOW | O_CLOEXEC)
			 : openat(x->fd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		int e = errno;
		close(fd);
		return -e;
	}
	int64_t slot = gofer_node_add(s, fd, ROOT_PARENT, NULL, &st, idx);
	if (slot < 0)
		return slot;
	s->nodes[slot].root = true;
	long n = gofer_reply_node(s, (uint32_t)slot, &st, resp);
	if (len != sizeof *q)
		return n; /* the bare form gets the bare reply */
	r->flags = s->exports[idx].ro ? GOFER_ATTACH_RDONLY : 0;
	return sizeof *r;
}

bool gofer_node_ro(struct gofer_server *s, const struct gofer_node *n)
{
	return n->export_idx >= s->nexports || s->exports[n->export_idx].ro;
}

int gofer_check_name(const char *name, size_t len)
{
	if (len == 0 || (len == 1 && name[0] == '.') ||
	    (len == 2 && name[0] == '.' && name[1] == '.'))
		return -EINVAL;
	if (memchr(name, '/', len) || memchr(name, '\0', len))
		return -EINVAL;
	if (len > GOFER_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

long gofer_add_reply(struct gofer_server *s, int fd, uint32_t dslot, const char *name, void *resp)
{
	struct stat st;
	if (fstat(fd, &st)) {
		int e = errno;
		close(fd);
		return -e;
	}
	char *copy = strdup(name);
	if (!copy) {
		close(fd);
		return -ENOMEM;
	}
	uint32_t exp = s->nodes[dslot].export_idx; /* before the table may move */
	int64_t ns = gofer_node_add(s, fd, gofer_node_id(s, dslot), copy, &st, exp);
	if (ns < 0)
		return ns;
	return gofer_reply_node(s, (uint32_t)ns, &st, resp);
}

static long do_walk(struct gofer_server *s, const void *req, size_t len, void *resp)
{
	const struct gofer_walk_req *q = req;
	uint32_t slot;
	char name[GOFER_NAME_MAX + 1];

	if (len < sizeof *q || q->namelen != len - sizeof *q)
		return -EINVAL;
	int e = gofer_check_name((const char *)(q + 1), q->namelen);
	if (e)
		return e;
	struct gofer_node *d = gofer_node_lookup(s, q->dir, &slot);
	if (!d)
		return -EBADF;
	if (!S_ISDIR(d->mode))
		return -ENOTDIR;
	memcpy(name, q + 1, q->namelen);
	name[q->namelen] = '\0';
	int fd = openat(d->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return gofer_add_reply(s, fd, slot, name, resp);
}

static long do_stat(struct gofer_server *s, const void *req, size_t len, void *resp)
{
	const struct gofer_node_req *q = req;
	uint32_t slot;
	struct stat st;
	if (len != sizeof *q)
		return -EINVAL;
	struct gofer_node *n = gofer_node_lookup(s, q->node, &slot);
	if (!n)
		return -EBADF;
	if (fstat(n->fd, &st))
		return -errno;
	return gofer_reply_node(s, slot, &st, resp);
}

/* Flags a reopen may carry; creation goes through CREATE, truncation only
 * on a writable export. */
#define OPEN_PASS                                                                                  \
	(O_ACCMODE | O_APPEND | O_NONBLOCK | O_DIRECTORY | O_NOATIME | O_DIRECT | O_DSYNC |        \
	 O_SYNC | O_LARGEFILE | O_TRUNC)

int gofer_node_reopen(struct gofer_server *s, struct gofer_node *n, int flags)
{
	struct stat st;
	int fd;
	flags |= O_NOFOLLOW | O_NOCTTY | O_CLOEXEC;
	if (n->root) {
		const struct gofer_export *x =
		    n->export_idx < s->nexports ? &s->exports[n->export_idx] : NULL;
		/* A file export's root is reached by its name in the directory
		 * the export holds (an O_PATH fd of a file cannot be reopened
		 * without /proc). */
		fd = x && x->file ? openat(x->fd, x->file, flags) : openat(n->fd, ".", flags);
	} else {
		/* A clunked parent, or a name removed or renamed over, leaves
		 * the node unopenable. */
		struct gofer_node *p = n->name ? gofer_node_lookup(s, n->parent, NULL) : NULL;
		if (!p)
			return -ESTALE;
		fd = openat(p->fd, n->name, flags);
	}
	if (fd < 0)
		return -errno;
	/* The name may have been replaced since the walk: only the same object
	 * may be handed out. */
	if (fstat(fd, &st) || st.st_dev != n->dev || st.st_ino != n->ino) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

static long do_open(struct gofer_server *s, const void *req, size_t len, void *resp, int *fd_out)
{
	const struct gofer_open_req *q = req;
	int flags = (int)q->flags;
	if (len != sizeof *q)
		return -EINVAL;
	struct gofer_node *n = gofer_node_lookup(s, q->node, NULL);
	if (!n)
		return -EBADF;
	int acc = flags & O_ACCMODE;
	if (acc == O_ACCMODE)
		return -EINVAL;
	bool ro = gofer_node_ro(s, n);
	if (flags & (O_CREAT | TMPFILE_BIT | O_EXCL))
		return ro ? -EROFS : -EINVAL;
	switch (n->mode & S_IFMT) {
	case S_IFREG:
		if ((acc != O_RDONLY || (flags & O_TRUNC)) && ro)
			return -EROFS;
		break;
	case S_IFDIR:
		if (acc != O_RDONLY || (flags & O_TRUNC))
			return -EISDIR;
		break;
	case S_IFLNK:
		return -ELOOP;
	case S_IFCHR:
	case S_IFBLK:
		/* A device is never opened on the host: the sentry serves the
		 * ones it knows itself (docs/gofer.md). */
		return -EPERM;
	case S_IFSOCK:
		return -ENXIO;
	default: /* FIFOs would block the gofer: the sentry makes them pipes */
		return -EACCES;
	}
	if ((flags & O_DIRECTORY) && !S_ISDIR(n->mode))
		return -ENOTDIR;
	if (!S_ISREG(n->mode))
		flags &= ~O_TRUNC;

	int fd = gofer_node_reopen(s, n, flags & OPEN_PASS);
	if (fd < 0)
		return fd;
	*fd_out = fd;
	return sizeof(struct gofer_rhdr);
}

static long do_readlink(struct gofer_server *s, const void *req, size_t len, void *resp)
{
	const struct gofer_node_req *q = req;
	struct gofer_readlink_resp *r = resp;
	if (len != sizeof *q)
		return -EINVAL;
	struct gofer_node *n = gofer_node_lookup(s, q->node, NULL);
	if (!n)
		return -EBADF;
	if (!S_ISLNK(n->mode))
		return -EINVAL;
	char *buf = (char *)(r + 1);
	ssize_t l = readlinkat(n->fd, "", buf, GOFER_LINK_MAX + 1);
	if (l < 0)
		return -errno;
	if (l > GOFER_LINK_MAX)
		return -ENAMETOOLONG;
	r->len = (uint32_t)l;
	return sizeof *r + l;
}

static long do_getdents(struct gofer_server *s, const void *req, size_t len, void *resp)
{
	const struct gofer_getdents_req *q = req;
	struct gofer_getdents_resp *r = resp;
	static char *hbuf;
	if (len != sizeof *q)
		return -EINVAL;
	struct gofer_node *n = gofer_node_lookup(s, q->dir, NULL);
	if (!n)
		return -EBADF;
	if (!S_ISDIR(n->mode))
		return -ENOTDIR;
	size_t room = GOFER_MAX_MSG - sizeof *r;
	if (q->max_bytes < room)
		room = q->max_bytes;
	if (room < GOFER_DIRENT_SIZE(1))
		return -EINVAL;
	/* Heap buffers have no declared type: they may be read as structs. */
	if (!hbuf && !(hbuf = malloc(HOST_DENTS)))
		return -ENOMEM;
	if (n->dir_fd < 0) {
		n->dir_fd = openat(n->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (n->dir_fd < 0)
			return -errno;
	}
	if (q->cookie > INT64_MAX)
		return -EINVAL;
	if (lseek(n->dir_fd, (off_t)q->cookie, SEEK_SET) < 0)
		return -errno;

	char *out = (char *)(r + 1);
	size_t used = 0;
	uint32_t count = 0;
	for (;;) {
		/* Entries read but not sent are read again next time: every
		 * request seeks to its cookie. */
		ssize_t got = getdents64(n->dir_fd, hbuf, HOST_DENTS);
		if (got < 0) {
			if (count)
				break;
			return -errno;
		}
		if (got == 0) {
			r->eof = 1;
			break;
		}
		for (ssize_t off = 0; off < got;) {
			struct dirent64 *d = (struct dirent64 *)(hbuf + off);
			size_t nl = strnlen(d->d_name, GOFER_NAME_MAX + 1);
			size_t rec = GOFER_DIRENT_SIZE(nl);
			if (used + rec > room || (q->max_count && count == q->max_count)) {
				if (!count)
					return -EINVAL;
				goto done;
			}
			struct gofer_dirent *g = (struct gofer_dirent *)(out + used);
			memset(g, 0, rec);
			g->ino = d->d_ino;
			g->next = (uint64_t)d->d_off;
			g->type = d->d_type;
			g->namelen = (uint16_t)nl;
			memcpy(g + 1, d->d_name, nl);
			used += rec;
			count++;
			off += d->d_reclen;
		}
	}
done:
	r->count = count;
	return sizeof *r + used;
}

static long do_clunk(struct gofer_server *s, const void *req, size_t len, void *resp)
{
	const struct gofer_node_req *q = req;
	uint32_t slot;
	if (len != sizeof *q)
		return -EINVAL;
	struct gofer_node *n = gofer_node_lookup(s, q->node, &slot);
	if (!n)
		return -EBADF;
	node_release(n);
	if (slot < s->hint)
		s->hint = slot;
	return sizeof(struct gofer_rhdr);
}

size_t gofer_handle_msg(struct gofer_server *s, const void *req, size_t len, void *resp,
			int *fd_out)
{
	struct gofer_rhdr *r = resp;
	struct gofer_hdr h = {0};
	long ret;

	*fd_out = -1;
	memset(r, 0, sizeof *r);
	if (len >= sizeof h)
		memcpy(&h, req, sizeof h);
	/* Handlers read the request as their struct: give them an aligned
	 * copy, on the heap so that it has no declared type. */
	static void *aligned;
	if (len < sizeof h || h.len != len || len > GOFER_MAX_MSG) {
		ret = -EINVAL;
		goto out;
	}
	if (!aligned && !(aligned = malloc(GOFER_MAX_MSG))) {
		ret = -ENOMEM;
		goto out;
	}
	memcpy(aligned, req, len);
	memset((char *)resp + sizeof *r, 0, sizeof(struct gofer_attach_resp) - sizeof *r);
	switch (h.type) {
	case GOFER_T_VERSION:
		ret = do_version(s, aligned, len, resp);
		break;
	case GOFER_T_ATTACH:
		ret = do_attach(s, aligned, len, resp);
		break;
	case GOFER_T_WALK:
		ret = do_walk(s, aligned, len, resp);
		break;
	case GOFER_T_STAT:
		ret = do_stat(s, aligned, len, resp);
		break;
	case GOFER_T_OPEN:
		ret = do_open(s, aligned, len, resp, fd_out);
		break;
	case GOFER_T_READLINK:
		ret = do_readlink(s, aligned, len, resp);
		break;
	case GOFER_T_GETDENTS:
		ret = do_getdents(s, aligned, len, resp);
		break;
	case GOFER_T_CLUNK:
		ret = do_clunk(s, aligned, len, resp);
		break;
	case GOFER_T_CREATE:
		ret = gofer_do_create(s, aligned, len, resp, fd_out);
		break;
	case GOFER_T_MKDIR:
	case GOFER_T_MKNOD:
		ret = gofer_do_make(s, h.type, aligned, len, resp);
		break;
	case GOFER_T_SYMLINK:
		ret = gofer_do_symlink(s, aligned, len, resp);
		break;
	case GOFER_T_LINK:
		ret = gofer_do_link(s, aligned, len, resp);
		break;
	case GOFER_T_UNLINK:
		ret = gofer_do_unlink(s, aligned, len, resp);
		break;
	case GOFER_T_RENAME:
		ret = gofer_do_rename(s, aligned, len, resp);
		break;
	case GOFER_T_SETATTR:
		ret = gofer_do_setattr(s, aligned, len, resp);
		break;
	case GOFER_T_STATFS:
		ret = gofer_do_statfs(s, aligned, len, resp);
		break;
	case GOFER_T_GETXATTR:
	case GOFER_T_SETXATTR:
	case GOFER_T_LISTXATTR:
	case GOFER_T_REMOVEXATTR:
		ret = gofer_do_xattr(s, h.type, aligned, len, resp);
		break;
	default:
		ret = -EOPNOTSUPP;
	}
out:
	if (ret < 0) {
		DEBUG("request type %u tag %u: %s", h.type, h.tag, strerrorname_np((int)-ret));
		r->err = (int32_t)-ret;
		ret = sizeof *r;
	}
	r->h.type = (h.type & ~GOFER_RESP) | GOFER_RESP;
	r->h.len = (uint32_t)ret;
	r->h.tag = h.tag;
	return (size_t)ret;
}

static int send_resp(int sock, const void *buf, size_t len, int fd)
{
	struct iovec iov = {.iov_base = (void *)buf, .iov_len = len};
	union {
		struct cmsghdr c;
		char b[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	if (fd >= 0) {
		memset(&ctl, 0, sizeof ctl);
		m.msg_control = ctl.b;
		m.msg_controllen = sizeof ctl.b;
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof fd);
	}
	for (;;) {
		ssize_t n = sendmsg(sock, &m, MSG_NOSIGNAL);
		if (n >= 0)
			return 0;
		if (errno != EINTR)
			return -errno;
	}
}

int gofer_serve(int sock, int root_fd)
{
	struct gofer_server s;
	gofer_server_init(&s, root_fd);
	return gofer_serve_server(sock, &s);
}

int gofer_serve_server(int sock, struct gofer_server *sp)
{
	struct gofer_server s = *sp;
	/* One byte more than the maximum tells an oversized packet. */
	size_t req_size = GOFER_MAX_MSG + 8;
	void *req = malloc(req_size), *resp = malloc(GOFER_MAX_MSG);
	int ret = 0;

	if (!req || !resp)
		die_msg("gofer: out of memory");
	for (;;) {
		/* No control buffer: fds a peer tries to pass are discarded. */
		struct iovec iov = {.iov_base = req, .iov_len = req_size};
		struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
		ssize_t n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		if (n == 0)
			break;
		size_t len = (size_t)n;
		if (m.msg_flags & MSG_TRUNC)
			len = req_size; /* larger than GOFER_MAX_MSG: refused */
		int fd;
		size_t rl = gofer_handle_msg(&s, req, len, resp, &fd);
		int e = send_resp(sock, resp, rl, fd);
		if (fd >= 0)
			close(fd);
		if (e) {
			ret = e;
			break;
		}
	}
	gofer_server_destroy(&s);
	free(req);
	free(resp);
	return ret;
}
