/* Socket objects: unix creation and names (paths and the abstract
 * namespace); listen/connect/accept, shutdown, release and the socket
 * file's ops, shared with the loopback inet sockets (inet.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <linux/sockios.h>

#include "sentry/fs/socket/unix_internal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/dentry.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/poll.h"

/* sockfs's device as Linux reports it (an anonymous device). */
#define SOCKFS_DEV makedev(0, 8)

pthread_mutex_t unix_lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t next_ino = 1;
static unsigned autobind_order;
/* Every bound socket (both namespaces), under unix_lock. */
static struct usock *bound_list;

static const struct file_ops usock_ops;

bool file_is_usock(const struct file *f) { return f->ops == &usock_ops; }

int usock_family(const struct file *f) { return USOCK_OF(f)->family; }

struct usock *usock_get(struct usock *s)
{
	__atomic_add_fetch(&s->refs, 1, __ATOMIC_RELAXED);
	return s;
}

void usock_put(struct usock *s)
{
	if (__atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL))
		return;
	free(s);
}

void usock_cred(struct task *t, struct ucred *c, bool effective)
{
	c->pid = t ? t->tg->tgid : 0;
	c->uid = t ? (effective ? t->cred.euid : t->cred.ruid) : (uid_t)-1;
	c->gid = t ? (effective ? t->cred.egid : t->cred.rgid) : (gid_t)-1;
}

int usock_wait(struct usock *s, struct task *t, uint32_t ev, const struct timespec *deadline)
{
	struct waitq_entry e;
	waitq_add(&s->wq, &e, &t->waiter, ev | POLLERR | POLLHUP);
	pthread_mutex_unlock(&unix_lock);
	int r = waiter_sleep(&t->waiter, CLOCK_MONOTONIC, deadline);
	waitq_del(&s->wq, &e);
	pthread_mutex_lock(&unix_lock);
	return r;
}

struct timespec *usock_deadline(const struct timespec *timeo, struct timespec *dl)
{
	if (!timeo->tv_sec && !timeo->tv_nsec)
		return NULL;
	deadline_after(CLOCK_MONOTONIC, timeo, dl);
	return dl;
}

int usock_wait_errno(int r, const struct timespec *dl)
{
	if (r == -ETIMEDOUT)
		return -EAGAIN;
	/* A wait with a timeout is not restarted (Linux's sock_intr_errno). */
	return dl ? -EINTR : -ERESTARTSYS;
}

struct usock *usock_new(struct task *t, int type)
{
	struct usock *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->refs = 1;
	s->family = AF_UNIX;
	s->type = type;
	s->ino = __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED) + 10000;
	if (t) {
		s->uid = t->cred.euid;
		s->gid = t->cred.egid;
	}
	waitq_init(&s->wq);
	s->rq_tail = &s->rq;
	s->aq_tail = &s->aq;
	s->sndbuf = s->rcvbuf = USOCK_DEF_BUF;
	return s;
}

struct file *usock_file(struct usock *s, int flags)
{
	return file_new(&usock_ops, O_RDWR | (flags & SOCK_NONBLOCK ? O_NONBLOCK : 0), NULL, s);
}

static int check_type(int type, int protocol, int *real)
{
	if (type == SOCK_RAW)
		type = SOCK_DGRAM; /* as Linux: BSD had it, nothing uses it */
	if (type != SOCK_STREAM && type != SOCK_DGRAM && type != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	if (protocol && protocol != PF_UNIX)
		return -EPROTONOSUPPORT;
	*real = type;
	return 0;
}

int usock_create(struct task *t, int type, int protocol, int flags, struct file **out)
{
	int r = check_type(type, protocol, &type);
	if (r)
		return r;
	struct usock *s = usock_new(t, type);
	if (!s)
		return -ENOMEM;
	if (!(*out = usock_file(s, flags))) {
		usock_put(s);
		return -ENOMEM;
	}
	return 0;
}

int usock_pair(struct task *t, int type, int protocol, int flags, struct file **a,
	       struct file **b)
{
	int r = check_type(type, protocol, &type);
	if (r)
		return r;
	r = usock_create(t, type, protocol, flags, a);
	if (r)
		return r;
	r = usock_create(t, type, protocol, flags, b);
	if (r) {
		file_put(*a);
		return r;
	}
	struct usock *x = USOCK_OF(*a), *y = USOCK_OF(*b);
	x->peer = usock_get(y);
	y->peer = usock_get(x);
	x->state = y->state = US_CONN;
	usock_cred(t, &x->peercred, true);
	y->peercred = x->peercred;
	x->has_peercred = y->has_peercred = true;
	return 0;
}

/* ---- names ---- */

int usock_addr_check(const struct sockaddr_un *addr, socklen_t len)
{
	if (len < sizeof(sa_family_t) || len > sizeof(struct sockaddr_un) ||
	    addr->sun_family != AF_UNIX)
		return -EINVAL;
	return 0;
}

/* Abstract names are per socket type, as Linux hashes them. */
static bool abstract_taken(const char *name, socklen_t len, int type)
{
	for (struct usock *b = bound_list; b; b = b->bnext)
		if (!b->path_bound && b->type == type && b->addrlen == len && !memcmp(b->addr.sun_path, name, len - 2))
			return true;
	return false;
}

static void registry_add(struct usock *s)
{
	s->bnext = bound_list;
	bound_list = s;
}

static void registry_del(struct usock *s)
{
	for (struct usock **p = &bound_list; *p; p = &(*p)->bnext)
		if (*p == s) {
			*p = s->bnext;
			return;
		}
}

int usock_autobind_locked(struct usock *s)
{
	char name[8];
	for (unsigned tries = 0; tries < 0x100000; tries++) {
		name[0] = 0;
		snprintf(name + 1, sizeof name - 1, "%05x", autobind_order++ & 0xfffff);
		if (!abstract_taken(name, 8, s->type))
			break;
	}
	memset(&s->addr, 0, sizeof s->addr);
	s->addr.sun_family = AF_UNIX;
	memcpy(s->addr.sun_path, name, 6);
	s->addrlen = 8;
	s->bound = true;
	registry_add(s);
	return 0;
}

static mode_t task_umask(struct task *t)
{
	pthread_mutex_lock(&t->fs->lock);
	mode_t m = t->fs->umask;
	pthread_mutex_unlock(&t->fs->lock);
	return m;
}

/* Makes the socket inode at path: 0 with its identity, or -errno. */
static int bind_path(struct task *t, const char *path, dev_t *dev, ino_t *ino)
{
	struct dentry *parent, *d;
	char last[256];
	struct stat st;
	int r = vfs_walk_parent(t, NULL, path, &parent, last);
	if (r)
		return r;
	if (!last[0] || !strcmp(last, ".") || !strcmp(last, "..")) {
		dentry_put(parent);
		return -EADDRINUSE;
	}
	const struct dentry_ops *ops = dentry_wops(parent);
	if (!ops || !ops->mknod)
		r = -EROFS;
	else
		r = vfs_may_create(&t->cred, parent);
	if (!r)
		r = ops->mknod(parent, last, S_IFSOCK | (0777 & ~task_umask(t)), 0, &t->cred);
	if (r == -EEXIST)
		r = -EADDRINUSE;
	if (!r) {
		fsnotify_create(parent, last, false);
		r = dentry_lookup(parent, last, &d);
		if (!r) {
			dentry_getattr(d, &st);
			*dev = st.st_dev;
			*ino = st.st_ino;
			dentry_put(d);
		}
	}
	dentry_put(parent);
	return r;
}

/* Whether the path an address names exists (Linux makes the node before
 * it looks at the socket's name). */
static bool path_taken(struct task *t, const struct sockaddr_un *addr, socklen_t len)
{
	char path[sizeof addr->sun_path + 1];
	size_t plen = len - sizeof(sa_family_t);
	memcpy(path, addr->sun_path, plen);
	path[plen] = 0;
	struct dentry *d;
	if (vfs_walk(t, NULL, path, 0, &d))
		return false;
	dentry_put(d);
	return true;
}

int usock_bind(struct task *t, struct file *f, const struct sockaddr_un *addr, socklen_t len)
{
	struct usock *s = USOCK_OF(f);
	if (s->family != AF_UNIX)
		return isock_bind(t, f, (const struct sockaddr *)addr, len);
	int r = usock_addr_check(addr, len);
	if (r)
		return r;
	pthread_mutex_lock(&unix_lock);
	if (len == sizeof(sa_family_t) && s->bound) {
		pthread_mutex_unlock(&unix_lock);
		return 0; /* as Linux: autobind keeps the name it has */
	}
	if (s->bound || s->binding) {
		pthread_mutex_unlock(&unix_lock);
		if (len > sizeof(sa_family_t) && addr->sun_path[0])
			return path_taken(t, addr, len) ? -EADDRINUSE : -EINVAL;
		return -EINVAL;
	}
	if (len == sizeof(sa_family_t)) {
		r = usock_autobind_locked(s);
		pthread_mutex_unlock(&unix_lock);
		return r;
	}
	if (!addr->sun_path[0]) {
		if (abstract_taken(addr->sun_path, len, s->type)) {
			r = -EADDRINUSE;
		} else {
			memset(&s->addr, 0, sizeof s->addr);
			memcpy(&s->addr, addr, len);
			s->addrlen = len;
			s->bound = true;
			registry_add(s);
		}
		pthread_mutex_unlock(&unix_lock);
		return r;
	}
	s->binding = true;
	pthread_mutex_unlock(&unix_lock);

	char path[sizeof addr->sun_path + 1];
	size_t plen = len - sizeof(sa_family_t);
	memcpy(path, addr->sun_path, plen);
	path[plen] = 0;
	dev_t dev = 0;
	ino_t ino = 0;
	r = bind_path(t, path, &dev, &ino);

	pthread_mutex_lock(&unix_lock);
	s->binding = false;
	if (!r) {
		memset(&s->addr, 0, sizeof s->addr);
		s->addr.sun_family = AF_UNIX;
		strcpy(s->addr.sun_path, path);
		s->addrlen = (socklen_t)(sizeof(sa_family_t) + strlen(path) + 1);
		s->bound = s->path_bound = true;
		s->bdev = dev;
		s->bino = ino;
		registry_add(s);
	}
	pthread_mutex_unlock(&unix_lock);
	return r;
}

int usock_find(struct task *t, const struct sockaddr_un *addr, socklen_t len, int type,
	       struct usock **out)
{
	int r = usock_addr_check(addr, len);
	if (r)
		return r;
	if (len == sizeof(sa_family_t))
		return -EINVAL;
	if (!addr->sun_path[0]) {
		r = -ECONNREFUSED;
		pthread_mutex_lock(&unix_lock);
		for (struct usock *b = bound_list; b; b = b->bnext)
			if (!b->path_bound && b->type == type && b->addrlen == len &&
			    !memcmp(b->addr.sun_path, addr->sun_path, len - 2)) {
				*out = usock_get(b);
				r = 0;
				break;
			}
		pthread_mutex_unlock(&unix_lock);
		return r;
	}
	char path[sizeof addr->sun_path + 1];
	size_t plen = len - sizeof(sa_family_t);
	memcpy(path, addr->sun_path, plen);
	path[plen] = 0;
	struct dentry *d;
	struct stat st;
	r = vfs_walk(t, NULL, path, WALK_FOLLOW, &d);
	if (r)
		return r;
	dentry_getattr(d, &st);
	dentry_put(d);
	if (!S_ISSOCK(st.st_mode))
		return -ECONNREFUSED;
	if (vfs_permission(&t->cred, &st, MAY_WRITE))
		return -EACCES;
	/* Only inodes a sentry socket bound are connectable: a host socket
	 * reached through the gofer has no sentry socket behind it. */
	r = -ECONNREFUSED;
	pthread_mutex_lock(&unix_lock);
	for (struct usock *b = bound_list; b; b = b->bnext)
		if (b->path_bound && b->bdev == st.st_dev && b->bino == st.st_ino) {
			*out = usock_get(b);
			r = 0;
			break;
		}
	pthread_mutex_unlock(&unix_lock);
	return r;
}

/* ---- connections ---- */

int usock_listen(struct task *t, struct file *f, int backlog)
{
	struct usock *s = USOCK_OF(f);
	int r = 0;
	if (s->type == SOCK_DGRAM)
		return -EOPNOTSUPP;
	if (backlog < 0 || backlog > 4096)
		backlog = 4096; /* net.core.somaxconn */
	pthread_mutex_lock(&unix_lock);
	if (s->state == US_CONN || (s->family == AF_UNIX && !s->bound)) {
		r = -EINVAL;
	} else if (s->family != AF_UNIX && (r = isock_listen_locked(s))) {
		/* no port, or another listener has it */
	} else {
		if (s->state != US_LISTEN && s->family == AF_UNIX) {
			usock_cred(t, &s->peercred, true);
			s->has_peercred = true;
		}
		s->state = US_LISTEN;
		s->backlog = backlog;
		waitq_wake(&s->wq, POLLOUT); /* connects waiting for room */
	}
	pthread_mutex_unlock(&unix_lock);
	return r;
}

static int connect_dgram(struct usock *s, struct usock *o)
{
	int r = 0;
	pthread_mutex_lock(&unix_lock);
	if (o->type != s->type)
		r = -EPROTOTYPE;
	else if (o->closed)
		r = -ECONNREFUSED;
	else if (o->peer && o->peer != s && o != s)
		r = -EPERM;
	if (!r) {
		struct usock *old = s->peer;
		s->peer = usock_get(o);
		s->state = US_CONN;
		if (old)
			usock_put(old);
		if (s->passcred && !s->bound)
			usock_autobind_locked(s);
	}
	pthread_mutex_unlock(&unix_lock);
	usock_put(o);
	return r;
}

/* AF_UNSPEC on a datagram socket: forget the peer. */
static int disconnect_dgram(struct usock *s)
{
	pthread_mutex_lock(&unix_lock);
	struct usock *old = s->peer;
	s->peer = NULL;
	s->state = US_UNCONN;
	pthread_mutex_unlock(&unix_lock);
	if (old)
		usock_put(old);
	return 0;
}

int usock_connect(struct task *t, struct file *f, const struct sockaddr_un *addr, socklen_t len)
{
	struct usock *s = USOCK_OF(f), *l;
	if (s->family != AF_UNIX)
		return isock_connect(t, f, (const struct sockaddr *)addr, len);
	if (s->type == SOCK_DGRAM && len >= sizeof(sa_family_t) && addr->sun_family == AF_UNSPEC)
		return disconnect_dgram(s);
	int r = usock_find(t, addr, len, s->type, &l);
	if (r)
		return r;
	if (s->type == SOCK_DGRAM)
		return connect_dgram(s, l);
	return usock_connect_stream(t, f, l);
}

int usock_connect_stream(struct task *t, struct file *f, struct usock *l)
{
	struct usock *s = USOCK_OF(f);
	struct timespec dlbuf, *dl;
	bool inet = s->family != AF_UNIX;
	int r = 0;
	struct usock *n = usock_new(t, s->type);
	if (!n) {
		usock_put(l);
		return -ENOMEM;
	}
	pthread_mutex_lock(&unix_lock);
	dl = usock_deadline(&s->sndtimeo, &dlbuf);
	for (;;) {
		if (s->state == US_CONN) {
			r = -EISCONN;
			break;
		}
		if (s->state == US_LISTEN) {
			r = inet ? -EISCONN : -EINVAL;
			break;
		}
		if (l->type != s->type) {
			r = -EPROTOTYPE;
			break;
		}
		if (l->closed || l->state != US_LISTEN) {
			r = -ECONNREFUSED;
			break;
		}
		if (l->aq_len <= l->backlog)
			break;
		/* TCP has no EAGAIN here: the handshake would complete later,
		 * so a nonblocking connect is admitted over the backlog. */
		if (f->flags & O_NONBLOCK) {
			if (!inet)
				r = -EAGAIN;
			break;
		}
		int w = usock_wait(l, task_current(), POLLOUT, dl);
		if (w) {
			r = usock_wait_errno(w, dl);
			break;
		}
	}
	if (!r) {
		/* The server's end: named as the listener, crediting the
		 * connecting task; it waits in the accept queue. */
		n->state = US_CONN;
		n->addr = l->addr;
		n->addrlen = l->addrlen;
		n->bound = l->bound;
		n->passcred = l->passcred;
		n->sndbuf = l->sndbuf;
		n->rcvbuf = l->rcvbuf;
		n->peer = usock_get(s);
		s->peer = usock_get(n);
		s->state = US_CONN;
		if (inet) {
			isock_connected_locked(s, l, n);
		} else {
			usock_cred(t, &n->peercred, true);
			n->has_peercred = true;
			s->peercred = l->peercred;
			s->has_peercred = true;
			if (s->passcred && !s->bound)
				usock_autobind_locked(s);
		}
		*l->aq_tail = n; /* the queue takes n's first reference */
		l->aq_tail = &n->anext;
		l->aq_len++;
		n = NULL;
		waitq_wake(&l->wq, POLLIN | POLLRDNORM);
		waitq_wake(&s->wq, POLLOUT | POLLWRNORM);
	}
	pthread_mutex_unlock(&unix_lock);
	if (n)
		usock_put(n);
	usock_put(l);
	return r;
}

/* Closes s (unix_lock held): its name goes, its peer sees the hang-up, its
 * pending connections are refused.  Messages to free are chained on *dead. */
static void close_locked(struct usock *s, struct umsg **dead);

int usock_accept(struct task *t, struct file *f, int flags, struct file **out,
		 struct sockaddr_un *peer, socklen_t *peerlen)
{
	struct usock *s = USOCK_OF(f), *n = NULL;
	struct timespec dlbuf, *dl;
	int r = 0;
	if (s->type == SOCK_DGRAM)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&unix_lock);
	dl = usock_deadline(&s->rcvtimeo, &dlbuf);
	for (;;) {
		if (s->state != US_LISTEN) {
			r = -EINVAL;
			break;
		}
		if (s->aq) {
			n = s->aq;
			s->aq = n->anext;
			if (!s->aq)
				s->aq_tail = &s->aq;
			n->anext = NULL;
			s->aq_len--;
			waitq_wake(&s->wq, POLLOUT); /* room for a waiting connect */
			break;
		}
		if (f->flags & O_NONBLOCK) {
			r = -EAGAIN;
			break;
		}
		int w = usock_wait(s, t, POLLIN, dl);
		if (w) {
			r = usock_wait_errno(w, dl);
			break;
		}
	}
	if (n && s->family != AF_UNIX) {
		*peerlen = isock_render(n, &n->remote, peer);
	} else if (n) {
		memset(peer, 0, sizeof *peer);
		peer->sun_family = AF_UNIX;
		*peerlen = sizeof(sa_family_t);
		if (n->peer && n->peer->bound) {
			*peer = n->peer->addr;
			*peerlen = n->peer->addrlen;
		}
	}
	pthread_mutex_unlock(&unix_lock);
	if (r)
		return r;
	n->uid = s->uid;
	n->gid = s->gid;
	if (!(*out = usock_file(n, flags))) {
		struct umsg *dead = NULL;
		pthread_mutex_lock(&unix_lock);
		close_locked(n, &dead);
		pthread_mutex_unlock(&unix_lock);
		umsg_free_chain(dead);
		usock_put(n);
		return -ENOMEM;
	}
	return 0;
}

int usock_shutdown(struct file *f, int how)
{
	struct usock *s = USOCK_OF(f);
	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	if (s->family != AF_UNIX)
		return isock_shutdown(f, how);
	int mode = how + 1; /* SHUT_RD -> SHUT_RCV, SHUT_WR -> SHUT_SND */
	pthread_mutex_lock(&unix_lock);
	s->shut |= mode;
	waitq_wake(&s->wq, ~0u);
	struct usock *p = s->peer;
	if (p && s->type != SOCK_DGRAM) {
		int pm = 0;
		if (mode & SHUT_RCV)
			pm |= SHUT_SND;
		if (mode & SHUT_SND)
			pm |= SHUT_RCV;
		p->shut |= pm;
		waitq_wake(&p->wq, ~0u);
	}
	pthread_mutex_unlock(&unix_lock);
	return 0;
}

int usock_name(struct file *f, bool peer, struct sockaddr_un *out, socklen_t *len)
{
	struct usock *s = USOCK_OF(f);
	int r = 0;
	if (s->family != AF_UNIX)
		return isock_name(f, peer, out, len);
	memset(out, 0, sizeof *out);
	out->sun_family = AF_UNIX;
	*len = sizeof(sa_family_t);
	pthread_mutex_lock(&unix_lock);
	struct usock *o = s;
	if (peer) {
		o = s->state == US_CONN ? s->peer : NULL;
		if (!o)
			r = -ENOTCONN;
	}
	if (o && o->bound) {
		*out = o->addr;
		*len = o->addrlen;
	}
	pthread_mutex_unlock(&unix_lock);
	return r;
}

/* ---- release ---- */

/* Takes s's whole receive queue (unix_lock held), releasing the senders'
 * buffer space; the messages are freed later without the lock. */
static struct umsg *purge_locked(struct usock *s)
{
	struct umsg *m = s->rq;
	for (struct umsg *i = m; i; i = i->next) {
		i->sender->wmem -= i->charge;
		waitq_wake(&i->sender->wq, POLLOUT | POLLWRNORM);
	}
	s->rq = NULL;
	s->rq_tail = &s->rq;
	s->rq_bytes = 0;
	return m;
}

static void chain_append(struct umsg **dead, struct umsg *m)
{
	while (*dead)
		dead = &(*dead)->next;
	*dead = m;
}

static void close_locked(struct usock *s, struct umsg **dead)
{
	s->closed = true;
	if (s->family != AF_UNIX)
		isock_unhash_locked(s);
	else if (s->bound)
		registry_del(s);
	struct usock *p = s->peer;
	if (p && s->type != SOCK_DGRAM) {
		/* Unread data (or a connection never accepted) resets the
		 * peer, as does TCP's SO_LINGER with a zero time.  TCP's
		 * orderly close is only a FIN: the peer reads EOF. */
		bool reset = s->rq || s->state != US_CONN || s->anext ||
			     (s->family != AF_UNIX && s->linger.l_onoff && !s->linger.l_linger);
		if (s->family == AF_UNIX || reset)
			p->shut = SHUT_BOTH;
		else
			p->shut |= SHUT_RCV;
		if (reset)
			p->err = ECONNRESET;
		waitq_wake(&p->wq, ~0u);
	}
	s->peer = NULL;
	if (p)
		usock_put(p);
	usock_refuse_pending_locked(s, dead);
	chain_append(dead, purge_locked(s));
	waitq_wake(&s->wq, ~0u);
}

void usock_abort_locked(struct usock *s, struct umsg **dead)
{
	struct usock *p = s->peer;
	if (p) {
		p->shut = SHUT_BOTH;
		p->err = ECONNRESET;
		waitq_wake(&p->wq, ~0u);
		s->peer = NULL;
		usock_put(p);
	}
	usock_refuse_pending_locked(s, dead);
	chain_append(dead, purge_locked(s));
	s->state = US_UNCONN;
	s->shut = 0;
	waitq_wake(&s->wq, ~0u);
}

void usock_refuse_pending_locked(struct usock *s, struct umsg **dead)
{
	while (s->aq) {
		struct usock *n = s->aq;
		s->aq = n->anext;
		n->anext = NULL;
		n->state = US_UNCONN; /* never accepted: the client gets a reset */
		close_locked(n, dead);
		usock_put(n);
	}
	s->aq_tail = &s->aq;
	s->aq_len = 0;
}

void umsg_free_chain(struct umsg *m)
{
	while (m) {
		struct umsg *next = m->next;
		for (int i = 0; i < m->nfiles; i++)
			file_put(m->files[i]);
		free(m->files);
		usock_put(m->sender);
		free(m);
		m = next;
	}
}

static void usock_release(struct file *f)
{
	struct usock *s = USOCK_OF(f);
	struct umsg *dead = NULL;
	pthread_mutex_lock(&unix_lock);
	close_locked(s, &dead);
	pthread_mutex_unlock(&unix_lock);
	umsg_free_chain(dead);
	usock_put(s);
}

/* ---- file ops ---- */

static ssize_t usock_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	if (off >= 0)
		return -ESPIPE;
	struct usock_msg m = {.iov = iov, .iovcnt = iovcnt};
	long r = usock_recvmsg(task_current(), f, &m, 0);
	for (int i = 0; i < m.nfiles; i++)
		file_put(m.files[i]); /* read(2) has no room for them */
	return r;
}

static ssize_t usock_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	if (off >= 0)
		return -ESPIPE;
	struct usock_msg m = {.iov = iov, .iovcnt = iovcnt};
	return usock_sendmsg(task_current(), f, &m, 0);
}

size_t usock_sndlimit_locked(const struct usock *s)
{
	/* A TCP sender fills its own buffer and the receiver's window. */
	if (s->family != AF_UNIX && s->type == SOCK_STREAM && s->peer)
		return (size_t)s->sndbuf + (size_t)s->peer->rcvbuf;
	return (size_t)s->sndbuf;
}

static bool writable_locked(struct usock *s)
{
	if (s->state == US_LISTEN)
		return false;
	/* Linux's unix_writable: a quarter of the send buffer in flight. */
	return s->wmem * 4 <= usock_sndlimit_locked(s);
}

static uint32_t usock_poll(struct file *f, struct poll_table *pt, uint32_t events)
{
	struct usock *s = USOCK_OF(f);
	uint32_t mask = 0;
	pthread_mutex_lock(&unix_lock);
	poll_wait(pt, &s->wq, events);
	if (s->err)
		mask |= POLLERR;
	if (s->shut == SHUT_BOTH)
		mask |= POLLHUP;
	if (s->shut & SHUT_RCV)
		mask |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (s->rq || (s->state == US_LISTEN && s->aq))
		mask |= POLLIN | POLLRDNORM;
	if (s->type != SOCK_DGRAM && s->state == US_UNCONN)
		mask |= POLLHUP;
	if (writable_locked(s))
		mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
	pthread_mutex_unlock(&unix_lock);
	return mask;
}

static long usock_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	struct usock *s = USOCK_OF(f);
	long n;
	switch (cmd) {
	case SIOCINQ: /* FIONREAD */
		pthread_mutex_lock(&unix_lock);
		if (s->state == US_LISTEN)
			n = -EINVAL;
		else if (s->type == SOCK_DGRAM)
			n = s->rq ? (long)s->rq->len : 0;
		else
			n = (long)s->rq_bytes;
		pthread_mutex_unlock(&unix_lock);
		break;
	case SIOCOUTQ:
		pthread_mutex_lock(&unix_lock);
		n = s->state == US_LISTEN ? -EINVAL : (long)s->wmem;
		pthread_mutex_unlock(&unix_lock);
		break;
	default:
		return sock_if_ioctl(s, t, cmd, arg);
	}
	if (n < 0)
		return n;
	int v = n > INT_MAX ? INT_MAX : (int)n;
	return mm_copy_out(t->mm, arg, &v, sizeof v) ? -EFAULT : 0;
}

static int usock_fstat(struct file *f, struct stat *st)
{
	struct usock *s = USOCK_OF(f);
	memset(st, 0, sizeof *st);
	st->st_dev = SOCKFS_DEV;
	st->st_ino = s->ino;
	st->st_mode = S_IFSOCK | 0777;
	st->st_nlink = 1;
	st->st_uid = s->uid;
	st->st_gid = s->gid;
	st->st_blksize = 4096;
	return 0;
}

static const struct file_ops usock_ops = {
    .read = usock_read,
    .write = usock_write,
    .fstat = usock_fstat,
    .ioctl = usock_ioctl,
    .poll = usock_poll,
    .release = usock_release,
};
