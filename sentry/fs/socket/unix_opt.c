/* Socket options (SOL_SOCKET): the ones Linux's unix sockets honour or
 * accept, on sentry buffers; inet sockets add theirs first (inet_opt.c). */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "sentry/fs/socket/unix_internal.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

#ifndef SO_PROTOCOL
#define SO_PROTOCOL 38
#endif
#ifndef SO_DOMAIN
#define SO_DOMAIN 39
#endif

static int timeo_get(const struct timespec *ts, void *val, socklen_t *len)
{
	struct timeval tv = {.tv_sec = ts->tv_sec, .tv_usec = ts->tv_nsec / 1000};
	if (*len > sizeof tv)
		*len = sizeof tv;
	memcpy(val, &tv, *len);
	return 0;
}

static int timeo_set(struct timespec *ts, const void *val, socklen_t len)
{
	struct timeval tv;
	if (len < sizeof tv)
		return -EINVAL;
	memcpy(&tv, val, sizeof tv);
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0) {
		/* Linux: a negative time means no wait at all... as zero, "none". */
		ts->tv_sec = ts->tv_nsec = 0;
		return 0;
	}
	ts->tv_sec = tv.tv_sec;
	ts->tv_nsec = tv.tv_usec * 1000;
	return 0;
}

int usock_getsockopt(struct task *t, struct file *f, int level, int name, void *val,
		     socklen_t *len)
{
	struct usock *s = USOCK_OF(f);
	int v = 0;
	(void)t;
	if ((int)*len < 0)
		return -EINVAL;
	if (s->family != AF_UNIX) {
		int r = isock_getsockopt(s, level, name, val, len);
		if (r <= 0)
			return r;
	} else if (level != SOL_SOCKET) {
		return -EOPNOTSUPP;
	}
	pthread_mutex_lock(&unix_lock);
	switch (name) {
	case SO_TYPE:
		v = s->type;
		break;
	case SO_DOMAIN:
		v = s->family;
		break;
	case SO_PROTOCOL:
		v = s->protocol;
		break;
	case SO_ERROR:
		v = s->err;
		s->err = 0;
		break;
	case SO_PASSCRED:
		v = s->passcred;
		break;
	case SO_SNDBUF:
		v = s->sndbuf;
		break;
	case SO_RCVBUF:
		v = s->rcvbuf;
		break;
	case SO_REUSEADDR:
		v = s->reuseaddr;
		break;
	case SO_KEEPALIVE:
		v = s->keepalive;
		break;
	case SO_ACCEPTCONN:
		v = s->state == US_LISTEN;
		break;
	case SO_PEERCRED: {
		struct ucred c = {.pid = 0, .uid = (uid_t)-1, .gid = (gid_t)-1};
		if (s->has_peercred && (s->state == US_CONN || s->state == US_LISTEN))
			c = s->peercred;
		pthread_mutex_unlock(&unix_lock);
		if (*len > sizeof c)
			*len = sizeof c;
		memcpy(val, &c, *len);
		return 0;
	}
	case SO_LINGER: {
		struct linger l = s->linger;
		pthread_mutex_unlock(&unix_lock);
		if (*len > sizeof l)
			*len = sizeof l;
		memcpy(val, &l, *len);
		return 0;
	}
	case SO_RCVTIMEO:
	case SO_SNDTIMEO: {
		struct timespec ts = name == SO_RCVTIMEO ? s->rcvtimeo : s->sndtimeo;
		pthread_mutex_unlock(&unix_lock);
		return timeo_get(&ts, val, len);
	}
	default:
		pthread_mutex_unlock(&unix_lock);
		return -ENOPROTOOPT;
	}
	pthread_mutex_unlock(&unix_lock);
	if (*len > sizeof v)
		*len = sizeof v;
	memcpy(val, &v, *len);
	return 0;
}

int usock_setsockopt(struct task *t, struct file *f, int level, int name, const void *val,
		     socklen_t len)
{
	struct usock *s = USOCK_OF(f);
	int v = 0, r = 0;
	if (s->family != AF_UNIX) {
		r = isock_setsockopt(t, s, level, name, val, len);
		if (r <= 0)
			return r;
		r = 0;
	}
	if (level != SOL_SOCKET)
		return -ENOPROTOOPT;
	switch (name) {
	case SO_RCVTIMEO:
	case SO_SNDTIMEO: {
		struct timespec ts;
		r = timeo_set(&ts, val, len);
		if (r)
			return r;
		pthread_mutex_lock(&unix_lock);
		if (name == SO_RCVTIMEO)
			s->rcvtimeo = ts;
		else
			s->sndtimeo = ts;
		pthread_mutex_unlock(&unix_lock);
		return 0;
	}
	case SO_LINGER:
		if (len < sizeof(struct linger))
			return -EINVAL;
		pthread_mutex_lock(&unix_lock);
		memcpy(&s->linger, val, sizeof s->linger);
		s->linger.l_onoff = !!s->linger.l_onoff;
		pthread_mutex_unlock(&unix_lock);
		return 0;
	}
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof v);
	pthread_mutex_lock(&unix_lock);
	switch (name) {
	case SO_PASSCRED:
		s->passcred = v;
		break;
	case SO_REUSEADDR:
		s->reuseaddr = v;
		break;
	case SO_KEEPALIVE:
		s->keepalive = v;
		break;
	case SO_SNDBUF:
	case SO_RCVBUF: {
		/* Linux doubles the request (bookkeeping overhead), within
		 * net.core.[wr]mem_max and a minimum. */
		unsigned u = (unsigned)v > USOCK_MAX_BUF ? USOCK_MAX_BUF : (unsigned)v;
		int min = name == SO_SNDBUF ? USOCK_MIN_SNDBUF : USOCK_MIN_RCVBUF;
		int b = (int)(u * 2) < min ? min : (int)(u * 2);
		if (name == SO_SNDBUF) {
			s->sndbuf = b;
			waitq_wake(&s->wq, POLLOUT);
		} else {
			s->rcvbuf = b;
		}
		break;
	}
	default:
		r = -ENOPROTOOPT;
	}
	pthread_mutex_unlock(&unix_lock);
	return r;
}
