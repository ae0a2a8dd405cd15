/* Socket syscalls: AF_UNIX sockets and loopback-only AF_INET/AF_INET6
 * sockets live in the sentry (sentry/fs/socket); other families get
 * EAFNOSUPPORT. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include "sentry/fs/socket/socket.h"
#include "sentry/kernel/cred.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"

#define SOCK_MAX_CONTROL 65536 /* well above net.core.optmem_max */
#define NPROTO 46

/* The socket at fd (a new reference): -EBADF or -ENOTSOCK. */
static long sock_get(struct task *t, int fd, struct file **out)
{
	struct file *f = fget(t, fd);
	if (!f)
		return -EBADF;
	if (!file_is_usock(f)) {
		file_put(f);
		return -ENOTSOCK;
	}
	*out = f;
	return 0;
}

static long install(struct task *t, struct file *f, bool cloexec)
{
	long fd = fd_install(t->files, f, cloexec, 0, nofile_limit(t));
	file_put(f);
	return fd;
}

DEFINE_SYSCALL(socket, R_INT, A_INT, A_INT, A_INT)
{
	int family = (int)a[0], type = (int)a[1], proto = (int)a[2];
	int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (type < 0 || type >= 11)
		return -EINVAL;
	if (family < 0 || family >= NPROTO)
		return -EAFNOSUPPORT;
	struct file *f;
	long r;
	if (family == AF_INET || family == AF_INET6)
		r = isock_create(t, family, type, proto, flags, &f);
	else if (family == AF_UNIX)
		r = usock_create(t, type, proto, flags, &f);
	else
		return -EAFNOSUPPORT; /* no netlink, packet... (docs/sockets.md) */
	if (r)
		return r;
	return install(t, f, flags & SOCK_CLOEXEC);
}

DEFINE_SYSCALL(socketpair, R_INT, A_INT, A_INT, A_INT, A_PTR)
{
	int family = (int)a[0], type = (int)a[1], proto = (int)a[2];
	int flags = type & (SOCK_NONBLOCK | SOCK_CLOEXEC);
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (type < 0 || type >= 11)
		return -EINVAL;
	if (family == AF_INET || family == AF_INET6) {
		/* TCP and UDP have no socketpair, once the socket is made. */
		struct file *f;
		long r = isock_create(t, family, type, proto, flags, &f);
		if (r)
			return r;
		file_put(f);
		return -EOPNOTSUPP;
	}
	if (family != AF_UNIX)
		return -EAFNOSUPPORT;
	struct file *x, *y;
	long r = usock_pair(t, type, proto, flags, &x, &y);
	if (r)
		return r;
	bool cloexec = flags & SOCK_CLOEXEC;
	int fds[2];
	fds[0] = fd_install(t->files, x, cloexec, 0, nofile_limit(t));
	fds[1] = fds[0] < 0 ? -1 : fd_install(t->files, y, cloexec, 0, nofile_limit(t));
	file_put(x);
	file_put(y);
	if (fds[1] < 0) {
		if (fds[0] >= 0)
			fd_close(t->files, fds[0]);
		return fds[0] < 0 ? fds[0] : fds[1];
	}
	if (mm_copy_out(t->mm, a[3], fds, sizeof fds)) {
		fd_close(t->files, fds[0]);
		fd_close(t->files, fds[1]);
		return -EFAULT;
	}
	return 0;
}

/* Copies a socket address in: 0 or -EINVAL/-EFAULT.  The family's code
 * checks the length further (a unix name fits a sockaddr_un). */
static long addr_in(struct task *t, uint64_t uaddr, uint64_t len, struct sockaddr_storage *out)
{
	if ((int)len < 0 || len > sizeof(struct sockaddr_storage))
		return -EINVAL;
	memset(out, 0, sizeof *out);
	if (len && mm_copy_in(t->mm, out, uaddr, len))
		return -EFAULT;
	return 0;
}

/* Copies an address out as getsockname does: truncated to the caller's
 * length, which then receives the real one. */
static long addr_out(struct task *t, uint64_t uaddr, uint64_t ulen, const struct sockaddr_un *a,
		     socklen_t len)
{
	int have;
	if (!ulen)
		return 0;
	if (mm_copy_in(t->mm, &have, ulen, sizeof have))
		return -EFAULT;
	if (have < 0)
		return -EINVAL;
	size_t n = (size_t)have < len ? (size_t)have : len;
	if (n && mm_copy_out(t->mm, uaddr, a, n))
		return -EFAULT;
	int l = (int)len;
	return mm_copy_out(t->mm, ulen, &l, sizeof l) ? -EFAULT : 0;
}

/* bind and connect: op on the socket a[0] with the address (a[1], a[2]). */
static long with_addr(struct task *t, const uint64_t *a,
		      int (*op)(struct task *, struct file *, const struct sockaddr_un *, socklen_t))
{
	struct file *f;
	struct sockaddr_storage sa;
	long r = sock_get(t, (int)a[0], &f);
	if (r)
		return r;
	if (!(r = addr_in(t, a[1], a[2], &sa)))
		r = op(t, f, (struct sockaddr_un *)&sa, (socklen_t)a[2]);
	file_put(f);
	return r;
}

DEFINE_SYSCALL(bind, R_INT, A_FD, A_PTR, A_UINT) { return with_addr(t, a, usock_bind); }

DEFINE_SYSCALL(connect, R_INT, A_FD, A_PTR, A_UINT) { return with_addr(t, a, usock_connect); }

DEFINE_SYSCALL(listen, R_INT, A_FD, A_INT)
{
	struct file *f;
	long r = sock_get(t, (int)a[0], &f);
	if (r)
		return r;
	r = usock_listen(t, f, (int)a[1]);
	file_put(f);
	return r;
}

static long do_accept(struct task *t, const uint64_t *a, int flags)
{
	struct file *f, *n;
	struct sockaddr_un peer;
	socklen_t plen;
	if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
		return -EINVAL;
	long r = sock_get(t, (int)a[0], &f);
	if (r)
		return r;
	r = usock_accept(t, f, flags, &n, &peer, &plen);
	file_put(f);
	if (r)
		return r;
	if (a[1] && (r = addr_out(t, a[1], a[2], &peer, plen))) {
		file_put(n);
		return r;
	}
	return install(t, n, flags & SOCK_CLOEXEC);
}

DEFINE_SYSCALL(accept, R_INT, A_FD, A_PTR, A_PTR) { return do_accept(t, a, 0); }

DEFINE_SYSCALL(accept4, R_INT, A_FD, A_PTR, A_PTR, A_HEX) { return do_accept(t, a, (int)a[3]); }

static long do_name(struct task *t, const uint64_t *a, bool peer)
{
	struct file *f;
	struct sockaddr_un sa;
	socklen_t len;
	long r = sock_get(t, (int)a[0], &f);
	if (r)
		return r;
	r = usock_name(f, peer, &sa, &len);
	file_put(f);
	if (r)
		return r;
	return addr_out(t, a[1], a[2], &sa, len);
}

DEFINE_SYSCALL(getsockname, R_INT, A_FD, A_PTR, A_PTR) { return do_name(t, a, false); }

DEFINE_SYSCALL(getpeername, R_INT, A_FD, A_PTR, A_PTR) { return do_name(t, a, true); }

DEFINE_SYSCALL(shutdown, R_INT, A_FD, A_INT)
{
	struct file *f;
	long r = sock_get(t, (int)a[0], &f);
	if (r)
		return r;
	r = usock_shutdown(f, (int)a[1]);
	file_put(f);
	return r;
}

/* ---- messages ---- */

/* Parses the control messages of a send into m (files referenced).  TCP
 * and UDP take no SOL_SOCKET messages and ignore IP-level ones here. */
static long control_in(struct task *t, const struct msghdr *h, struct usock_msg *m, bool inet)
{
	if (!h->msg_controllen)
		return 0;
	if (h->msg_controllen > SOCK_MAX_CONTROL)
		return -ENOBUFS;
	if (h->msg_controllen < sizeof(struct cmsghdr))
		return -EINVAL;
	char *buf = malloc(h->msg_controllen);
	if (!buf)
		return -ENOMEM;
	long r = 0;
	if (mm_copy_in(t->mm, buf, (uint64_t)(uintptr_t)h->msg_control, h->msg_controllen)) {
		free(buf);
		return -EFAULT;
	}
	struct msghdr k = {.msg_control = buf, .msg_controllen = h->msg_controllen};
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&k); c; c = CMSG_NXTHDR(&k, c)) {
		if (c->cmsg_len < sizeof *c || c->cmsg_len > h->msg_controllen ||
		    (char *)c + c->cmsg_len > buf + h->msg_controllen) {
			r = -EINVAL;
			break;
		}
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (inet) {
			r = -EINVAL;
			break;
		}
		size_t dlen = c->cmsg_len - CMSG_LEN(0);
		if (c->cmsg_type == SCM_RIGHTS) {
			int n = (int)(dlen / sizeof(int));
			if (!n || m->nfiles + n > USOCK_MAX_FDS) {
				r = -EINVAL;
				break;
			}
			int *fds = (int *)CMSG_DATA(c);
			for (int i = 0; i < n; i++) {
				int fd;
				memcpy(&fd, fds + i, sizeof fd);
				struct file *f = fget(t, fd);
				if (!f || file_is_path(f)) {
					if (f)
						file_put(f);
					r = -EBADF;
					break;
				}
				m->files[m->nfiles++] = f;
			}
			if (r)
				break;
		} else if (c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred u;
			if (dlen != sizeof u) {
				r = -EINVAL;
				break;
			}
			memcpy(&u, CMSG_DATA(c), sizeof u);
			const struct cred *cr = &t->cred;
			bool admin = cred_capable(cr, 21 /* CAP_SYS_ADMIN */);
			if ((u.pid != t->tg->tgid && !admin) ||
			    (u.uid != cr->ruid && u.uid != cr->euid && u.uid != cr->suid &&
			     !cred_capable(cr, 7 /* CAP_SETUID */)) ||
			    (u.gid != cr->rgid && u.gid != cr->egid && u.gid != cr->sgid &&
			     !cred_capable(cr, 6 /* CAP_SETGID */))) {
				r = -EPERM;
				break;
			}
			m->has_cred = true;
			m->cred = u;
		} else {
			r = -EINVAL;
			break;
		}
	}
	free(buf);
	return r;
}

static void put_files(struct usock_msg *m)
{
	for (int i = 0; i < m->nfiles; i++)
		file_put(m->files[i]);
	m->nfiles = 0;
}

/* h's iovec array into uiov: kiov when the caller has it in sentry
 * memory, else read from the application at h->msg_iov. */
static long msg_iov_in(struct task *t, const struct msghdr *h, const struct iovec *kiov,
		       struct iovec *uiov)
{
	if (!kiov)
		return iov_array_in(t, (uint64_t)(uintptr_t)h->msg_iov, h->msg_iovlen, uiov,
				    EMSGSIZE);
	memcpy(uiov, kiov, h->msg_iovlen * sizeof *uiov);
	return 0;
}

/* Points m at the application's buffers uiov, as host iovecs in iov. */
static long msg_bufs(struct task *t, struct usock_msg *m, const struct iovec *uiov, int cnt,
		     bool to_app, struct iovec *iov)
{
	int n = iov_from_app(t, uiov, cnt, to_app, iov);
	if (n < 0)
		return n;
	m->iov = iov;
	m->iovcnt = n;
	return 0;
}

/* One sendmsg of h (copied in); its iovec array as msg_iov_in takes it. */
static long send_one(struct task *t, struct file *f, struct msghdr *h, int flags,
		     const struct iovec *kiov)
{
	struct iovec uiov[UIO_MAXIOV], iov[RW_IOVS];
	struct sockaddr_storage sa;
	struct usock_msg *m = calloc(1, sizeof *m);
	long r;
	if (!m)
		return -ENOMEM;
	if ((r = msg_iov_in(t, h, kiov, uiov)))
		goto out;
	if (h->msg_name && h->msg_namelen) {
		if ((r = addr_in(t, (uint64_t)(uintptr_t)h->msg_name, h->msg_namelen, &sa)))
			goto out;
		m->addr = (struct sockaddr_un *)&sa;
		m->addrlen = h->msg_namelen;
	}
	if ((r = msg_bufs(t, m, uiov, (int)h->msg_iovlen, false, iov)))
		goto out;
	if ((r = control_in(t, h, m, usock_family(f) != AF_UNIX)))
		goto out;
	r = usock_sendmsg(t, f, m, flags);
out:
	put_files(m);
	free(m);
	return r;
}

/* Writes the control messages of a receive: credentials, then as many
 * received files as fit (installed; the rest are closed: MSG_CTRUNC). */
static long control_out(struct task *t, struct msghdr *h, struct usock_msg *m, int flags)
{
	size_t cap = h->msg_controllen, used = 0;
	uint64_t ubuf = (uint64_t)(uintptr_t)h->msg_control;
	long r = 0;
	if (m->has_cred) {
		if (cap < CMSG_LEN(sizeof m->cred)) {
			h->msg_flags |= MSG_CTRUNC;
		} else {
			char b[CMSG_SPACE(sizeof m->cred)];
			memset(b, 0, sizeof b);
			struct cmsghdr *c = (struct cmsghdr *)b;
			c->cmsg_len = CMSG_LEN(sizeof m->cred);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_CREDENTIALS;
			memcpy(CMSG_DATA(c), &m->cred, sizeof m->cred);
			size_t n = cap < sizeof b ? CMSG_LEN(sizeof m->cred) : sizeof b;
			if (mm_copy_out(t->mm, ubuf, b, n))
				r = -EFAULT;
			used += n;
		}
	}
	if (m->nfiles && !r) {
		size_t room = cap - used;
		int fit = room < CMSG_LEN(sizeof(int)) ? 0 : (int)((room - CMSG_LEN(0)) / sizeof(int));
		if (fit > m->nfiles)
			fit = m->nfiles;
		int fds[USOCK_MAX_FDS];
		int got = 0;
		for (; got < fit; got++) {
			long fd = fd_install(t->files, m->files[got], flags & MSG_CMSG_CLOEXEC, 0,
					     nofile_limit(t));
			if (fd < 0)
				break;
			fds[got] = (int)fd;
		}
		if (got < m->nfiles)
			h->msg_flags |= MSG_CTRUNC;
		if (got) {
			char b[CMSG_SPACE(sizeof(int) * USOCK_MAX_FDS)];
			memset(b, 0, sizeof b);
			struct cmsghdr *c = (struct cmsghdr *)b;
			c->cmsg_len = CMSG_LEN(sizeof(int) * got);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			memcpy(CMSG_DATA(c), fds, sizeof(int) * got);
			size_t n = CMSG_SPACE(sizeof(int) * got);
			if (n > room)
				n = c->cmsg_len;
			if (mm_copy_out(t->mm, ubuf + used, b, n))
				r = -EFAULT;
			used += n;
		}
	}
	put_files(m);
	h->msg_controllen = used;
	return r;
}

/* One recvmsg into h (copied in; its lengths and flags updated); its
 * iovec array as for send_one. */
static long recv_one(struct task *t, struct file *f, struct msghdr *h, int flags,
		     const struct iovec *kiov)
{
	struct iovec uiov[UIO_MAXIOV], iov[RW_IOVS];
	struct sockaddr_un sa;
	struct usock_msg *m = calloc(1, sizeof *m);
	long r;
	if (!m)
		return -ENOMEM;
	if ((r = msg_iov_in(t, h, kiov, uiov)) ||
	    (r = msg_bufs(t, m, uiov, (int)h->msg_iovlen, true, iov)))
		goto out;
	memset(&sa, 0, sizeof sa);
	m->addr = &sa;
	r = usock_recvmsg(t, f, m, flags);
	if (r < 0)
		goto out;
	h->msg_flags = m->msg_flags;
	if (h->msg_name) {
		/* A stream socket reports no source. */
		socklen_t len = m->addrlen;
		size_t k = h->msg_namelen < len ? h->msg_namelen : len;
		if (k && mm_copy_out(t->mm, (uint64_t)(uintptr_t)h->msg_name, &sa, k)) {
			r = -EFAULT;
			goto out;
		}
		h->msg_namelen = len;
	} else {
		h->msg_namelen = 0;
	}
	long c = control_out(t, h, m, flags);
	if (c)
		r = c;
out:
	put_files(m);
	free(m);
	return r;
}

static long do_sendto(struct task *t, const uint64_t *a)
{
	struct file *f;
	long r = sock_get(t, (int)a[0], &f);
	if (r)
		return r;
	size_t len = a[2] > MAX_RW_COUNT ? MAX_RW_COUNT : a[2];
	struct iovec u = {.iov_base = (void *)(uintptr_t)a[1], .iov_len = len};
	struct msghdr h = {.msg_iov = &u, .msg_iovlen = 1,
			   .msg_name = (void *)(uintptr_t)a[4], .msg_namelen = (socklen_t)a[5]};
	r = send_one(t, f, &h, (int)a[3], &u);
	file_put(f);
	return r;
}

DEFINE_SYSCALL(sendto, R_INT, A_FD, A_BUFIN, A_UINT, A_HEX, A_PTR, A_UINT)
{
	return do_sendto(t, a);
}

DEFINE_SYSCALL(recvfrom, R_INT, A_FD, A_BUFOUT, A_UINT, A_HEX, A_PTR, A_PTR)
{
	struct file *f;
	long r = sock_get(t, (int)a[0], &f);
	if (r)
		return r;
	size_t len = a[2] > MAX_RW_COUNT ? MAX_RW_COUNT : a[2];
	struct iovec u = {.iov_base = (void *)(uintptr_t)a[1], .iov_len = len};
	/* The address length is value-result: a msghdr's namelen. */
	bool want_addr = a[4] && a[5];
	int have = 0;
	if (want_addr && mm_copy_in(t->mm, &have, a[5], sizeof have)) {
		file_put(f);
		return -EFAULT;
	}
	if (have < 0) {
		file_put(f);
		return -EINVAL;
	}
	struct msghdr h = {.msg_iov = &u, .msg_iovlen = 1,
			   .msg_name = want_addr ? (void *)(uintptr_t)a[4] : NULL,
			   .msg_namelen = (socklen_t)have};
	r = recv_one(t, f, &h, (int)a[3], &u);
	if (r >= 0 && want_addr) {
		int l = (int)h.msg_namelen;
		if (mm_copy_out(t->mm, a[5], &l, sizeof l))
			r = -EFAULT;
	}
	file_put(f);
	return r;
}

DEFINE_SYSCALL(sendmsg, R_INT, A_FD, A_PTR, A_HEX)
{
	struct file *f;
	struct msghdr h;
	long r = sock_get(t, (int)a[0], &f);
	if (r)
		return r;
	if (mm_copy_in(t->mm, &h, a[1], sizeof h))
		r = -EFAULT;
	else
		r = send_one(t, f, &h, (int)a[2], NULL);
	file_put(f);
	return r;
}

/* Copies the updated lengths and flags of h back to the application. */
static long msghdr_out(struct task *t, uint64_t uhdr, const struct msghdr *h)
{
	if (mm_copy_out(t->mm, uhdr + offsetof(struct msghdr, msg_namelen), &h->msg_namelen,
			sizeof h->msg_namelen) ||
	    mm_copy_out(t->mm, uhdr + offsetof(struct msghdr, msg_controllen), &h->msg_controllen,
			sizeof h->msg_controllen) ||
	    mm_copy_out(t->mm, uhdr + offsetof(struct msghdr, msg_flags), &h->msg_flags,
			sizeof h->msg_flags))
		return -EFAULT;
	return 0;
}

DEFINE_SYSCALL(recvmsg, R_INT, A_FD, A_PTR, A_HEX)
{
	struct file *f;
	struct msghdr h;
	long r = sock_get(t, (int)a[0], &f);
	if (r)
		return r;
	if (mm_copy_in(t->mm, &h, a[1], sizeof h)) {
		file_put(f);
		return -EFAULT;
	}
	r = recv_one(t, f, &h, (int)a[2], NULL);
	if (r >= 0) {
		long e = msghdr_out(t, a[1], &h);
		if (e)
			r = e;
	}
	file_put(f);
	return r;
}

DEFINE_SYSCALL(sendmmsg, R_INT, A_FD, A_PTR, A_UINT, A_HEX)
{
	struct file *f;
	unsigned vlen = (unsigned)a[2] > UIO_MAXIOV ? UIO_MAXIOV : (unsigned)a[2];
	long r = sock_get(t, (int)a[0], &f);
	if (r)
		return r;
	unsigned i;
	for (i = 0; i < vlen; i++) {
		struct mmsghdr mh;
		uint64_t u = a[1] + i * sizeof mh;
		if (mm_copy_in(t->mm, &mh, u, sizeof mh)) {
			r = -EFAULT;
			break;
		}
		r = send_one(t, f, &mh.msg_hdr, (int)a[3], NULL);
		if (r < 0)
			break;
		unsigned len = (unsigned)r;
		if (mm_copy_out(t->mm, u + offsetof(struct mmsghdr, msg_len), &len, sizeof len)) {
			r = -EFAULT;
			break;
		}
	}
	file_put(f);
	return i ? (long)i : r;
}

DEFINE_SYSCALL(recvmmsg, R_INT, A_FD, A_PTR, A_UINT, A_HEX, A_PTR)
{
	struct file *f;
	unsigned vlen = (unsigned)a[2] > UIO_MAXIOV ? UIO_MAXIOV : (unsigned)a[2];
	int flags = (int)a[3];
	struct timespec dl, now;
	bool timed = false;
	if (a[4]) {
		struct timespec ts;
		if (mm_copy_in(t->mm, &ts, a[4], sizeof ts))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		deadline_after(CLOCK_MONOTONIC, &ts, &dl);
		timed = true;
	}
	long r = sock_get(t, (int)a[0], &f);
	if (r)
		return r;
	unsigned i;
	for (i = 0; i < vlen; i++) {
		struct mmsghdr mh;
		uint64_t u = a[1] + i * sizeof mh;
		if (mm_copy_in(t->mm, &mh, u, sizeof mh)) {
			r = -EFAULT;
			break;
		}
		r = recv_one(t, f, &mh.msg_hdr, flags & ~MSG_WAITFORONE, NULL);
		if (r < 0)
			break;
		unsigned len = (unsigned)r;
		if (msghdr_out(t, u, &mh.msg_hdr) ||
		    mm_copy_out(t->mm, u + offsetof(struct mmsghdr, msg_len), &len, sizeof len)) {
			r = -EFAULT;
			break;
		}
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		if (timed) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec > dl.tv_sec ||
			    (now.tv_sec == dl.tv_sec && now.tv_nsec >= dl.tv_nsec)) {
				i++;
				break;
			}
		}
	}
	file_put(f);
	if (i)
		return (long)i;
	return r < 0 ? r : 0;
}

DEFINE_SYSCALL(getsockopt, R_INT, A_FD, A_INT, A_INT, A_PTR, A_PTR)
{
	struct file *f;
	int len;
	char val[64];
	long r = sock_get(t, (int)a[0], &f);
	if (r)
		return r;
	if (mm_copy_in(t->mm, &len, a[4], sizeof len)) {
		file_put(f);
		return -EFAULT;
	}
	if (len < 0) {
		file_put(f);
		return -EINVAL;
	}
	socklen_t l = len > (int)sizeof val ? sizeof val : (socklen_t)len;
	r = usock_getsockopt(t, f, (int)a[1], (int)a[2], val, &l);
	file_put(f);
	if (r)
		return r;
	len = (int)l;
	if ((l && mm_copy_out(t->mm, a[3], val, l)) || mm_copy_out(t->mm, a[4], &len, sizeof len))
		return -EFAULT;
	return 0;
}

DEFINE_SYSCALL(setsockopt, R_INT, A_FD, A_INT, A_INT, A_PTR, A_UINT)
{
	struct file *f;
	char val[64];
	long r = sock_get(t, (int)a[0], &f);
	if (r)
		return r;
	if ((int)a[4] < 0) {
		file_put(f);
		return -EINVAL;
	}
	size_t len = a[4] > sizeof val ? sizeof val : a[4];
	if (len && mm_copy_in(t->mm, val, a[3], len)) {
		file_put(f);
		return -EFAULT;
	}
	r = usock_setsockopt(t, f, (int)a[1], (int)a[2], val, (socklen_t)len);
	file_put(f);
	return r;
}
