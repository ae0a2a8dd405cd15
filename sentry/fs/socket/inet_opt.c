/* Options of the loopback inet sockets: the SOL_SOCKET ones unix sockets
 * lack, IPPROTO_TCP, IPPROTO_IP and IPPROTO_IPV6.  Loopback has no
 * congestion, routing or retransmission, so most are stored and reported
 * only, as the table says. */
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>

#include "sentry/fs/socket/unix_internal.h"

#define BOOL 1  /* stored as 0/1 */
#define DFLT 2  /* -1 sets the default */

struct iopt {
	int level, name, def, min, max, kind;
	int proto; /* 0: any; IPPROTO_TCP/UDP: that protocol only */
};

/* A slot per row: usock.iopt[row]. */
static const struct iopt opts[ISOCK_NOPTS] = {
    {SOL_SOCKET, SO_REUSEPORT, 0, INT_MIN, INT_MAX, BOOL, 0},
    {SOL_SOCKET, SO_BROADCAST, 0, INT_MIN, INT_MAX, BOOL, 0},
    {SOL_SOCKET, SO_DONTROUTE, 0, INT_MIN, INT_MAX, BOOL, 0},
    {SOL_SOCKET, SO_OOBINLINE, 0, INT_MIN, INT_MAX, BOOL, 0},
    {SOL_SOCKET, SO_PRIORITY, 0, 0, INT_MAX, 0, 0},
    {SOL_SOCKET, SO_RCVLOWAT, 1, INT_MIN, INT_MAX, 0, 0},
    {IPPROTO_TCP, TCP_NODELAY, 0, INT_MIN, INT_MAX, BOOL, IPPROTO_TCP},
    {IPPROTO_TCP, TCP_MAXSEG, 536, 88, 32767, 0, IPPROTO_TCP},
    {IPPROTO_TCP, TCP_CORK, 0, INT_MIN, INT_MAX, BOOL, IPPROTO_TCP},
    {IPPROTO_TCP, TCP_KEEPIDLE, 7200, 1, 32767, 0, IPPROTO_TCP},
    {IPPROTO_TCP, TCP_KEEPINTVL, 75, 1, 32767, 0, IPPROTO_TCP},
    {IPPROTO_TCP, TCP_KEEPCNT, 9, 1, 127, 0, IPPROTO_TCP},
    {IPPROTO_TCP, TCP_SYNCNT, 6, 1, 127, 0, IPPROTO_TCP},
    {IPPROTO_TCP, TCP_LINGER2, 60, INT_MIN, INT_MAX, 0, IPPROTO_TCP},
    {IPPROTO_TCP, TCP_QUICKACK, 1, INT_MIN, INT_MAX, BOOL, IPPROTO_TCP},
    {IPPROTO_TCP, TCP_USER_TIMEOUT, 0, 0, INT_MAX, 0, IPPROTO_TCP},
    {IPPROTO_TCP, TCP_NOTSENT_LOWAT, -1, INT_MIN, INT_MAX, 0, IPPROTO_TCP},
    {IPPROTO_IP, IP_TOS, 0, INT_MIN, INT_MAX, 0, 0},
    {IPPROTO_IP, IP_TTL, 64, 1, 255, DFLT, 0},
    {IPPROTO_IP, IP_RECVERR, 0, INT_MIN, INT_MAX, BOOL, 0},
    {IPPROTO_IP, IP_MTU_DISCOVER, 1, 0, 5, 0, 0},
    {IPPROTO_IPV6, IPV6_UNICAST_HOPS, 64, 0, 255, DFLT, 0},
    {IPPROTO_IPV6, IPV6_TCLASS, 0, 0, 255, DFLT, 0},
    {IPPROTO_IPV6, IPV6_RECVERR, 0, INT_MIN, INT_MAX, BOOL, 0},
};

void isock_opt_init(struct usock *s)
{
	for (int i = 0; i < ISOCK_NOPTS; i++)
		s->iopt[i] = opts[i].def;
}

/* The row of (level, name) for s: -2 for a SOL_SOCKET option the common
 * code handles; a level s's protocol or family lacks is EOPNOTSUPP to
 * getsockopt and ENOPROTOOPT to setsockopt (as Linux), an unknown option
 * ENOPROTOOPT. */
static int row(const struct usock *s, int level, int name, bool get)
{
	bool known = level == SOL_SOCKET || level == IPPROTO_IP ||
		     (level == IPPROTO_IPV6 && s->family == AF_INET6) ||
		     ((level == IPPROTO_TCP || level == IPPROTO_UDP) && level == s->protocol);
	if (!known)
		return get ? -EOPNOTSUPP : -ENOPROTOOPT;
	for (int i = 0; i < ISOCK_NOPTS; i++)
		if (opts[i].level == level && opts[i].name == name)
			return i;
	return level == SOL_SOCKET ? -2 : -ENOPROTOOPT;
}

int isock_opt_locked(const struct usock *s, int level, int name)
{
	int i = row(s, level, name, true);
	return i < 0 ? -1 : s->iopt[i];
}

/* 1: a SOL_SOCKET option for the common code; else 0 or -errno. */
int isock_getsockopt(struct usock *s, int level, int name, void *val, socklen_t *len)
{
	int v;
	if (level == IPPROTO_IPV6 && name == IPV6_V6ONLY && s->family == AF_INET6) {
		pthread_mutex_lock(&unix_lock);
		v = s->v6only;
		pthread_mutex_unlock(&unix_lock);
	} else {
		int i = row(s, level, name, true);
		if (i == -2)
			return 1;
		if (i < 0)
			return i;
		pthread_mutex_lock(&unix_lock);
		v = s->iopt[i];
		pthread_mutex_unlock(&unix_lock);
	}
	if (*len > sizeof v)
		*len = sizeof v;
	memcpy(val, &v, *len);
	return 0;
}

/* 1: a SOL_SOCKET option for the common code; else 0 or -errno. */
int isock_setsockopt(struct task *t, struct usock *s, int level, int name, const void *val,
		     socklen_t len)
{
	int v, r = 0;
	(void)t;
	int i = row(s, level, name, false);
	bool v6only = level == IPPROTO_IPV6 && name == IPV6_V6ONLY && s->family == AF_INET6;
	if (i == -2 && !v6only)
		return 1;
	if (i < 0 && !v6only)
		return i;
	if (len < sizeof(int)) {
		/* IP options take a byte too, as Linux. */
		if (level != IPPROTO_IP || len < 1)
			return -EINVAL;
		v = *(const unsigned char *)val;
	} else {
		memcpy(&v, val, sizeof v);
	}
	pthread_mutex_lock(&unix_lock);
	if (v6only) {
		if (s->bound)
			r = -EINVAL;
		else
			s->v6only = v != 0;
		goto out;
	}
	const struct iopt *o = &opts[i];
	if (o->kind == BOOL) {
		v = v != 0;
	} else if (o->kind == DFLT && v == -1) {
		v = o->def;
	} else if (level == SOL_SOCKET && name == SO_RCVLOWAT) {
		v = v < 0 ? INT_MAX : v ? v : 1;
	} else if (level == IPPROTO_IP && name == IP_TOS) {
		/* TCP keeps the ECN bits to itself. */
		v &= s->protocol == IPPROTO_TCP ? 0xfc : 0xff;
	} else if (v < o->min || v > o->max) {
		r = -EINVAL;
		goto out;
	}
	s->iopt[i] = v;
out:
	pthread_mutex_unlock(&unix_lock);
	return r;
}
