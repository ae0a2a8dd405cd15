/* The gofer's extended-attribute requests: "user." names on regular files
 * and directories only, through an fd of the node reopened without
 * following links (O_PATH fds cannot carry xattr calls). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "gofer/server_internal.h"

#define USER_PREFIX "user."

static bool user_name(const char *name, size_t len)
{
	return len > strlen(USER_PREFIX) && !strncmp(name, USER_PREFIX, strlen(USER_PREFIX));
}

/* Keeps the "user." names of list[0..len): the new length. */
static size_t filter_user(char *list, size_t len)
{
	size_t out = 0;
	for (size_t off = 0; off < len;) {
		size_t l = strnlen(list + off, len - off);
		if (user_name(list + off, l)) {
			memmove(list + out, list + off, l);
			list[out + l] = '\0';
			out += l + 1;
		}
		off += l + 1;
	}
	return out;
}

static long do_list(int fd, const struct gofer_xattr_req *q, struct gofer_xattr_resp *r)
{
	char *buf = malloc(GOFER_XATTR_SIZE_MAX + 1);
	if (!buf)
		return -ENOMEM;
	ssize_t l = fd < 0 ? 0 : flistxattr(fd, buf, GOFER_XATTR_SIZE_MAX);
	if (l < 0) {
		int e = errno;
		free(buf);
		return e == ERANGE ? -E2BIG : -e;
	}
	size_t n = filter_user(buf, (size_t)l);
	long ret;
	if (q->size && n > q->size) {
		ret = -ERANGE;
	} else {
		r->len = (uint32_t)n;
		if (q->size)
			memcpy(r + 1, buf, n);
		ret = (long)(sizeof *r + (q->size ? n : 0));
	}
	free(buf);
	return ret;
}

long gofer_do_xattr(struct gofer_server *s, uint32_t type, const void *req, size_t len, void *resp)
{
	const struct gofer_xattr_req *q = req;
	struct gofer_xattr_resp *r = resp;
	char name[GOFER_XATTR_NAME_MAX + 1];
	if (len < sizeof *q || q->namelen > GOFER_XATTR_NAME_MAX ||
	    q->valuelen > GOFER_XATTR_SIZE_MAX ||
	    (size_t)q->namelen + q->valuelen != len - sizeof *q)
		return -EINVAL;
	if (type != GOFER_T_SETXATTR && q->valuelen)
		return -EINVAL;
	const char *p = (const char *)(q + 1);
	if (type == GOFER_T_LISTXATTR ? q->namelen != 0 : q->namelen == 0)
		return -EINVAL;
	if (memchr(p, '\0', q->namelen))
		return -EINVAL;
	memcpy(name, p, q->namelen);
	name[q->namelen] = '\0';
	struct gofer_node *n = gofer_node_lookup(s, q->node, NULL);
	if (!n)
		return -EBADF;
	bool mutate = type == GOFER_T_SETXATTR || type == GOFER_T_REMOVEXATTR;
	if (mutate && gofer_node_ro(s, n))
		return -EROFS;
	if (type != GOFER_T_LISTXATTR && !user_name(name, q->namelen))
		return mutate ? -EOPNOTSUPP : -ENODATA;
	if (mutate && q->flags & ~(uint32_t)(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	/* Linux keeps user attributes off special files and links. */
	int fd = -1;
	if (S_ISREG(n->mode) || S_ISDIR(n->mode)) {
		fd = gofer_node_reopen(s, n, O_RDONLY | O_NONBLOCK);
		if (fd < 0)
			return fd;
	} else if (mutate) {
		return -EPERM;
	} else if (type == GOFER_T_GETXATTR) {
		return -ENODATA;
	}
	long ret;
	switch (type) {
	case GOFER_T_LISTXATTR:
		ret = do_list(fd, q, r);
		break;
	case GOFER_T_GETXATTR: {
		size_t room = q->size < GOFER_XATTR_SIZE_MAX ? q->size : GOFER_XATTR_SIZE_MAX;
		ssize_t l = fgetxattr(fd, name, q->size ? (void *)(r + 1) : NULL, room);
		if (l < 0) {
			ret = errno == ERANGE && q->size > room ? -E2BIG : -errno;
		} else {
			r->len = (uint32_t)l;
			ret = (long)(sizeof *r + (q->size ? (size_t)l : 0));
		}
		break;
	}
	case GOFER_T_SETXATTR:
		ret = fsetxattr(fd, name, p + q->namelen, q->valuelen, (int)q->flags) ? -errno
										     : (long)sizeof(struct gofer_rhdr);
		break;
	default:
		ret = fremovexattr(fd, name) ? -errno : (long)sizeof(struct gofer_rhdr);
	}
	close(fd);
	return ret;
}
