/* AF_INET and AF_INET6 sockets over the sandbox's only interface, loopback:
 * addresses, ports and the registry of bound sockets, bind/connect/listen,
 * names, shutdown and UDP delivery.  Streams are the unix stream machinery. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>

#include "sentry/fs/socket/unix_internal.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

#define CAP_NET_BIND_SERVICE 10
#define CAP_NET_RAW 13
/* net.ipv4.ip_local_port_range */
#define EPH_LO 32768
#define EPH_HI 60999
#define UDP4_MAX 65507 /* 65535 - IP and UDP headers */
#define UDP6_MAX 65527

/* Every inet socket holding a port, under unix_lock. */
static struct usock *inet_list;
static unsigned eph_next;

static const uint8_t mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool a_v4(const uint8_t *a) { return !memcmp(a, mapped_prefix, 12); }

static bool a_v4any(const uint8_t *a) { return a_v4(a) && !a[12] && !a[13] && !a[14] && !a[15]; }

static bool a_v6any(const uint8_t *a)
{
	static const uint8_t zero[16];
	return !memcmp(a, zero, 16);
}

static bool a_any(const uint8_t *a) { return a_v4any(a) || a_v6any(a); }

static bool a_v6loop(const uint8_t *a)
{
	static const uint8_t loop[16] = {[15] = 1};
	return !memcmp(a, loop, 16);
}

static void a_set_v4(uint8_t *a, const void *in_addr)
{
	memcpy(a, mapped_prefix, 12);
	memcpy(a + 12, in_addr, 4);
}

/* The address a socket of family fam holds when not bound to one. */
static void a_set_any(uint8_t *a, int fam)
{
	memset(a, 0, 16);
	if (fam == AF_INET)
		memcpy(a, mapped_prefix, 12);
}

/* The source address of a packet to d (loopback routes use 127.0.0.1). */
static void a_source(uint8_t *a, const uint8_t *d)
{
	static const uint8_t lo4[4] = {127, 0, 0, 1};
	if (a_v4(d)) {
		a_set_v4(a, lo4);
	} else {
		memset(a, 0, 16);
		a[15] = 1;
	}
}

/* Loopback is the only route: any address means this host, 127/8 and
 * ::1 are local, everything else is unreachable. */
static int a_route(const struct usock *s, uint8_t *d)
{
	if (a_v4(d)) {
		if (s->family == AF_INET6 && s->v6only)
			return -ENETUNREACH;
		if (a_v4any(d))
			a_source(d, d);
		return d[12] == 127 ? 0 : -ENETUNREACH;
	}
	if (a_v6any(d))
		a_source(d, d);
	return a_v6loop(d) ? 0 : -ENETUNREACH;
}

socklen_t isock_render(const struct usock *s, const struct inet_ep *ep, void *out)
{
	if (s->family == AF_INET) {
		struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(ep->port)};
		memcpy(&sin.sin_addr, ep->addr + 12, 4);
		memcpy(out, &sin, sizeof sin);
		return sizeof sin;
	}
	struct sockaddr_in6 sin6 = {.sin6_family = AF_INET6, .sin6_port = htons(ep->port)};
	memcpy(&sin6.sin6_addr, ep->addr, 16);
	memcpy(out, &sin6, sizeof sin6);
	return sizeof sin6;
}

/* ---- parsing the application's addresses ---- */

/* AF_INET: at least a sockaddr_in; mode 'b' (bind) also takes AF_UNSPEC
 * with INADDR_ANY, 's' (sendto) any AF_UNSPEC, as Linux. */
static int parse4(const struct sockaddr *sa, socklen_t len, char mode, struct inet_ep *ep)
{
	struct sockaddr_in sin;
	if (len < sizeof sin)
		return -EINVAL;
	memcpy(&sin, sa, sizeof sin);
	if (sin.sin_family != AF_INET &&
	    !(sin.sin_family == AF_UNSPEC &&
	      (mode == 's' || (mode == 'b' && sin.sin_addr.s_addr == htonl(INADDR_ANY)))))
		return -EAFNOSUPPORT;
	a_set_v4(ep->addr, &sin.sin_addr);
	ep->port = ntohs(sin.sin_port);
	return 0;
}

static int parse6(const struct sockaddr *sa, socklen_t len, struct inet_ep *ep)
{
	struct sockaddr_in6 sin6;
	if (len < 24) /* SIN6_LEN_RFC2133: without sin6_scope_id */
		return -EINVAL;
	memset(&sin6, 0, sizeof sin6);
	memcpy(&sin6, sa, len < sizeof sin6 ? len : sizeof sin6);
	if (sin6.sin6_family != AF_INET6)
		return -EAFNOSUPPORT;
	memcpy(ep->addr, &sin6.sin6_addr, 16);
	ep->port = ntohs(sin6.sin6_port);
	return 0;
}

/* ---- the registry ---- */

/* Which IPv4 and IPv6 destinations an address bound by s takes: 0 none,
 * 1 any, 2 that one. */
static void a_parts(const struct usock *s, const uint8_t *a, int *v4, int *v6)
{
	if (a_v4(a)) {
		*v4 = a_v4any(a) ? 1 : 2;
		*v6 = 0;
	} else if (a_v6any(a)) {
		*v6 = 1;
		*v4 = s->v6only ? 0 : 1;
	} else {
		*v6 = 2;
		*v4 = 0;
	}
}

static bool overlap(const struct usock *s, const uint8_t *a, const struct usock *b)
{
	int s4, s6, b4, b6;
	a_parts(s, a, &s4, &s6);
	a_parts(b, b->local.addr, &b4, &b6);
	bool same = !memcmp(a, b->local.addr, 16);
	return (s4 && b4 && (s4 == 1 || b4 == 1 || same)) || (s6 && b6 && (s6 == 1 || b6 == 1 || same));
}

/* Whether b, bound, takes packets for d. */
static bool covers(const struct usock *b, const uint8_t *d)
{
	const uint8_t *a = b->local.addr;
	if (a_v4(a))
		return a_v4any(a) ? a_v4(d) : !memcmp(a, d, 16);
	if (a_v6any(a))
		return a_v4(d) ? !b->v6only : true;
	return !memcmp(a, d, 16);
}

static bool reuseport(const struct usock *s);

/* Whether s may not take (a, port): another socket of its protocol has
 * an overlapping address, and SO_REUSEADDR/SO_REUSEPORT do not allow it. */
static bool port_conflict(const struct usock *s, const uint8_t *a, uint16_t port)
{
	for (struct usock *b = inet_list; b; b = b->inext) {
		if (b == s || b->protocol != s->protocol || b->local.port != port || !overlap(s, a, b))
			continue;
		if (reuseport(s) && reuseport(b))
			continue;
		if (s->reuseaddr && b->reuseaddr && (s->type == SOCK_DGRAM || b->state != US_LISTEN))
			continue;
		return true;
	}
	return false;
}

static bool port_used(const struct usock *s, uint16_t port)
{
	for (struct usock *b = inet_list; b; b = b->inext)
		if (b->protocol == s->protocol && b->local.port == port)
			return true;
	return false;
}

/* A free ephemeral port, or -err. */
static int pick_port(const struct usock *s, int err)
{
	unsigned span = EPH_HI - EPH_LO + 1;
	for (unsigned i = 0; i < span; i++) {
		uint16_t p = (uint16_t)(EPH_LO + eph_next++ % span);
		if (!port_used(s, p))
			return p;
	}
	return -err;
}

static void hash_locked(struct usock *s)
{
	if (s->hashed)
		return;
	s->hashed = true;
	s->bound = true;
	s->inext = inet_list;
	inet_list = s;
}

void isock_unhash_locked(struct usock *s)
{
	if (!s->hashed)
		return;
	for (struct usock **p = &inet_list; *p; p = &(*p)->inext)
		if (*p == s) {
			*p = s->inext;
			break;
		}
	s->hashed = false;
	s->bound = false;
}

/* Gives an unbound s an ephemeral port on the any address. */
static int autobind_locked(struct usock *s, int err)
{
	if (s->bound)
		return 0;
	int p = pick_port(s, err);
	if (p < 0)
		return p;
	s->local.port = (uint16_t)p;
	hash_locked(s);
	return 0;
}

/* ---- creation, bind, listen, connect ---- */

int isock_create(struct task *t, int family, int type, int protocol, int flags,
		 struct file **out)
{
	int proto;
	if (protocol < 0 || protocol >= 263) /* IPPROTO_MAX */
		return -EINVAL;
	switch (type) {
	case SOCK_STREAM:
		if (protocol && protocol != IPPROTO_TCP)
			return -EPROTONOSUPPORT;
		proto = IPPROTO_TCP;
		break;
	case SOCK_DGRAM:
		/* Ping sockets: outside net.ipv4.ping_group_range ("1 0"). */
		if (protocol == (family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6))
			return -EACCES;
		if (protocol && protocol != IPPROTO_UDP)
			return -EPROTONOSUPPORT;
		proto = IPPROTO_UDP;
		break;
	case SOCK_RAW:
		return cred_capable(&t->cred, CAP_NET_RAW) ? -ESOCKTNOSUPPORT : -EPERM;
	default:
		return -ESOCKTNOSUPPORT;
	}
	struct usock *s = usock_new(t, type);
	if (!s)
		return -ENOMEM;
	s->family = family;
	s->protocol = proto;
	a_set_any(s->local.addr, family);
	if (type == SOCK_STREAM) {
		s->sndbuf = ISOCK_TCP_SNDBUF;
		s->rcvbuf = ISOCK_TCP_RCVBUF;
	}
	isock_opt_init(s);
	if (!(*out = usock_file(s, flags))) {
		usock_put(s);
		return -ENOMEM;
	}
	return 0;
}

int isock_bind(struct task *t, struct file *f, const struct sockaddr *sa, socklen_t len)
{
	struct usock *s = USOCK_OF(f);
	struct inet_ep ep;
	int r = s->family == AF_INET ? parse4(sa, len, 'b', &ep) : parse6(sa, len, &ep);
	if (r)
		return r;
	if (a_v4(ep.addr)) {
		if (s->family == AF_INET6 && s->v6only)
			return -EINVAL;
		if (!a_v4any(ep.addr) && ep.addr[12] != 127)
			return -EADDRNOTAVAIL;
	} else if (!a_v6any(ep.addr) && !a_v6loop(ep.addr)) {
		return -EADDRNOTAVAIL;
	}
	if (ep.port && ep.port < 1024 && !cred_capable(&t->cred, CAP_NET_BIND_SERVICE))
		return -EACCES;
	pthread_mutex_lock(&unix_lock);
	bool user_port = ep.port != 0;
	if (s->bound || s->state != US_UNCONN) {
		r = -EINVAL;
	} else if (!ep.port) {
		r = pick_port(s, EADDRINUSE);
		if (r > 0) {
			ep.port = (uint16_t)r;
			r = 0;
		}
	} else if (port_conflict(s, ep.addr, ep.port)) {
		r = -EADDRINUSE;
	}
	if (!r) {
		s->local = ep;
		s->user_addr = !a_any(ep.addr);
		s->user_port = user_port;
		hash_locked(s);
	}
	pthread_mutex_unlock(&unix_lock);
	return r;
}

int isock_listen_locked(struct usock *s)
{
	if (s->state == US_LISTEN)
		return 0; /* a new backlog only */
	int r = autobind_locked(s, EADDRINUSE);
	if (r)
		return r;
	for (struct usock *b = inet_list; b; b = b->inext)
		if (b != s && b->protocol == s->protocol && b->state == US_LISTEN &&
		    b->local.port == s->local.port && overlap(s, s->local.addr, b) &&
		    !(reuseport(s) && reuseport(b)))
			return -EADDRINUSE;
	return 0;
}

/* The listener for a connection to d, a new reference, or NULL: an exact
 * address beats a wildcard. */
static struct usock *find_listener(const struct inet_ep *d)
{
	struct usock *best = NULL;
	for (struct usock *b = inet_list; b; b = b->inext) {
		if (b->protocol != IPPROTO_TCP || b->state != US_LISTEN || b->closed ||
		    b->local.port != d->port || !covers(b, d->addr))
			continue;
		if (!best || (a_any(best->local.addr) && !a_any(b->local.addr)))
			best = b;
	}
	return best ? usock_get(best) : NULL;
}

/* connect(AF_UNSPEC): UDP forgets its peer (and a name connect chose);
 * TCP drops its connection or listen queue with a reset. */
static int disconnect(struct usock *s)
{
	struct umsg *dead = NULL;
	pthread_mutex_lock(&unix_lock);
	if (s->type == SOCK_STREAM) {
		if (s->state != US_UNCONN)
			usock_abort_locked(s, &dead);
	} else {
		s->state = US_UNCONN;
		memset(&s->remote, 0, sizeof s->remote);
	}
	if (!s->user_addr)
		a_set_any(s->local.addr, s->family);
	if (!s->user_port) {
		isock_unhash_locked(s);
		s->local.port = 0;
	}
	pthread_mutex_unlock(&unix_lock);
	umsg_free_chain(dead);
	return 0;
}

int isock_connect(struct task *t, struct file *f, const struct sockaddr *sa, socklen_t len)
{
	struct usock *s = USOCK_OF(f);
	struct inet_ep d;
	int r;
	(void)t;
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	if (sa->sa_family == AF_UNSPEC)
		return disconnect(s);
	if (s->family == AF_INET)
		r = parse4(sa, len, 'c', &d);
	else if (s->type == SOCK_DGRAM && sa->sa_family == AF_INET)
		r = s->v6only ? -EAFNOSUPPORT : parse4(sa, len, 'c', &d);
	else
		r = parse6(sa, len, &d);
	if (r)
		return r;
	if ((r = a_route(s, d.addr)))
		return r;

	pthread_mutex_lock(&unix_lock);
	if (s->type == SOCK_DGRAM) {
		r = autobind_locked(s, EAGAIN);
		if (!r) {
			if (!s->user_addr)
				a_source(s->local.addr, d.addr);
			s->remote = d;
			s->state = US_CONN;
			s->err = 0;
		}
		pthread_mutex_unlock(&unix_lock);
		return r;
	}
	struct usock *l = NULL;
	if (s->state != US_UNCONN)
		r = -EISCONN;
	else if (!(l = find_listener(&d)))
		r = -ECONNREFUSED;
	else if (!(r = autobind_locked(s, EADDRNOTAVAIL)))
		s->remote = d;
	pthread_mutex_unlock(&unix_lock);
	if (r) {
		if (l)
			usock_put(l);
		return r;
	}
	return usock_connect_stream(t, f, l);
}

void isock_connected_locked(struct usock *s, struct usock *l, struct usock *n)
{
	if (!s->user_addr)
		a_source(s->local.addr, s->remote.addr);
	n->family = l->family;
	n->protocol = l->protocol;
	n->local = s->remote;
	n->remote = s->local;
	n->v6only = l->v6only;
	n->reuseaddr = l->reuseaddr;
	n->keepalive = l->keepalive;
	n->linger = l->linger;
	memcpy(n->iopt, l->iopt, sizeof n->iopt);
	n->user_addr = n->user_port = true;
	/* The server's end holds the port too, as an established socket. */
	n->bound = false;
	hash_locked(n);
}

int isock_name(struct file *f, bool peer, void *out, socklen_t *len)
{
	struct usock *s = USOCK_OF(f);
	int r = 0;
	pthread_mutex_lock(&unix_lock);
	if (!peer)
		*len = isock_render(s, &s->local, out);
	else if (s->state != US_CONN)
		r = -ENOTCONN;
	else
		*len = isock_render(s, &s->remote, out);
	pthread_mutex_unlock(&unix_lock);
	return r;
}

int isock_shutdown(struct file *f, int how)
{
	struct usock *s = USOCK_OF(f);
	int mode = how + 1, r = 0;
	struct umsg *dead = NULL;
	pthread_mutex_lock(&unix_lock);
	if (s->state == US_LISTEN) {
		/* Stops listening: accept waiters wake to EINVAL. */
		if (mode & SHUT_RCV)
			usock_abort_locked(s, &dead);
	} else {
		s->shut |= mode;
		if (s->state != US_CONN)
			r = -ENOTCONN;
		else if (s->type == SOCK_STREAM && s->peer && (mode & SHUT_SND)) {
			s->peer->shut |= SHUT_RCV; /* the FIN */
			waitq_wake(&s->peer->wq, ~0u);
		}
		waitq_wake(&s->wq, ~0u);
	}
	pthread_mutex_unlock(&unix_lock);
	umsg_free_chain(dead);
	return r;
}

/* ---- UDP ---- */

/* The socket that gets a datagram from src to d: a connected socket
 * whose peer is src, then an exact address, then a wildcard. */
static struct usock *find_udp(const struct inet_ep *d, const struct inet_ep *src)
{
	struct usock *best = NULL;
	int best_score = 0;
	for (struct usock *b = inet_list; b; b = b->inext) {
		if (b->protocol != IPPROTO_UDP || b->closed || b->local.port != d->port ||
		    !covers(b, d->addr))
			continue;
		int score = a_any(b->local.addr) ? 1 : 2;
		if (b->state == US_CONN) {
			if (b->remote.port != src->port || memcmp(b->remote.addr, src->addr, 16))
				continue;
			score += 4;
		}
		if (score > best_score) {
			best = b;
			best_score = score;
		}
	}
	return best;
}

long isock_send_dgram(struct task *t, struct file *f, struct usock_msg *m, int flags)
{
	struct usock *s = USOCK_OF(f);
	const struct sockaddr *sa = (const struct sockaddr *)m->addr;
	struct inet_ep d, src;
	bool have = false;
	size_t total = 0;
	long r = 0;
	(void)flags;
	for (int i = 0; i < m->iovcnt; i++)
		total += m->iov[i].iov_len;
	if (sa && m->addrlen) {
		if (s->family == AF_INET) {
			r = parse4(sa, m->addrlen, 's', &d);
			have = true;
		} else if (m->addrlen < sizeof(sa_family_t)) {
			r = -EINVAL;
		} else if (sa->sa_family == AF_INET) {
			r = parse4(sa, m->addrlen, 's', &d);
			have = true;
		} else if (sa->sa_family == AF_INET6) {
			r = parse6(sa, m->addrlen, &d);
			have = true;
		} else if (sa->sa_family != AF_UNSPEC) {
			r = -EINVAL;
		}
		if (r)
			return r;
		if (have && !d.port)
			return -EINVAL;
		if (have && (r = a_route(s, d.addr)))
			return r;
	}
	pthread_mutex_lock(&unix_lock);
	if (!have) {
		if (s->state != US_CONN) {
			r = -EDESTADDRREQ;
			goto out;
		}
		d = s->remote;
	}
	if (total > (a_v4(d.addr) ? UDP4_MAX : UDP6_MAX)) {
		r = -EMSGSIZE;
		goto out;
	}
	if (s->shut & SHUT_SND) {
		r = -EPIPE;
		goto out;
	}
	if (s->err) {
		r = -s->err;
		s->err = 0;
		goto out;
	}
	if ((r = autobind_locked(s, EAGAIN)))
		goto out;
	src.port = s->local.port;
	if (s->user_addr || s->state == US_CONN)
		memcpy(src.addr, s->local.addr, 16);
	else
		a_source(src.addr, d.addr);
	r = (long)total;
	struct usock *to = find_udp(&d, &src);
	if (!to) {
		/* The port unreachable error reaches a connected sender. */
		if (s->state == US_CONN && d.port == s->remote.port &&
		    !memcmp(d.addr, s->remote.addr, 16)) {
			s->err = ECONNREFUSED;
			waitq_wake(&s->wq, POLLERR);
		}
		goto out;
	}
	/* UDP drops what does not fit the receiver's buffer. */
	if ((to->rq && to->rq_bytes + total > (size_t)to->rcvbuf) || (to->shut & SHUT_RCV))
		goto out;
	struct umsg *u = umsg_from_iov(t, s, m->iov, m->iovcnt, total, false);
	if (!u) {
		r = -ENOMEM;
		goto out;
	}
	u->fromlen = isock_render(to, &src, &u->from);
	usock_enqueue_locked(s, to, u);
out:
	pthread_mutex_unlock(&unix_lock);
	return r;
}

static bool reuseport(const struct usock *s)
{
	return isock_opt_locked(s, SOL_SOCKET, SO_REUSEPORT) > 0;
}
