/* Socket data transfer: send and receive of stream chunks, datagrams and
 * seqpackets, with SCM_RIGHTS files, credentials, peeking, truncation,
 * shutdown and buffer limits; TCP streams and UDP receives use it too. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fs/socket/unix_internal.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/iov.h"
#include "sentry/vfs/vfs.h"

#define CHUNK_MAX (64 * 1024)

/* A position in a list of sentry iovecs. */
/* A new message of len bytes from c, carrying m's files and credentials
 * when files is set.  NULL when out of memory. */
static struct umsg *umsg_new(struct task *t, struct usock *s, struct iov_cur *c, size_t len,
			     const struct usock_msg *m, bool files)
{
	struct umsg *u = calloc(1, sizeof *u + len);
	if (!u)
		return NULL;
	if (files && m->nfiles) {
		u->files = malloc(m->nfiles * sizeof *u->files);
		if (!u->files) {
			free(u);
			return NULL;
		}
		for (int i = 0; i < m->nfiles; i++)
			u->files[i] = file_get(m->files[i]);
		u->nfiles = m->nfiles;
	}
	u->len = iov_cur_move(c, u->data, len, 0);
	u->charge = u->len;
	if (m->has_cred)
		u->cred = m->cred;
	else
		usock_cred(t, &u->cred, false);
	u->sender = usock_get(s);
	return u;
}

struct umsg *umsg_from_iov(struct task *t, struct usock *s, const struct iovec *iov, int cnt,
			   size_t len, bool charge)
{
	struct iov_cur c = {.iov = iov, .cnt = cnt};
	struct usock_msg none = {0};
	struct umsg *u = umsg_new(t, s, &c, len, &none, false);
	if (u && !charge)
		u->charge = 0;
	return u;
}

void usock_enqueue_locked(struct usock *s, struct usock *r, struct umsg *u)
{
	if (s->family != AF_UNIX) {
		/* UDP's source was set by the caller; TCP reports none. */
	} else if (s->bound) {
		u->from = s->addr;
		u->fromlen = s->addrlen;
	} else {
		u->fromlen = 0; /* an unnamed sender: no address, as Linux */
	}
	*r->rq_tail = u;
	r->rq_tail = &u->next;
	r->rq_bytes += u->len;
	s->wmem += u->charge;
	waitq_wake(&r->wq, POLLIN | POLLRDNORM);
}

static long send_stream(struct task *t, struct file *f, struct usock *s, struct usock_msg *m,
			int flags, bool *sigpipe)
{
	struct iov_cur c = {.iov = m->iov, .cnt = m->iovcnt};
	size_t total = iov_total(m->iov, m->iovcnt), done = 0;
	bool nonblock = (flags & MSG_DONTWAIT) || (f->flags & O_NONBLOCK);
	bool packet = s->type == SOCK_SEQPACKET;
	bool inet = s->family != AF_UNIX;
	struct timespec dlbuf, *dl;
	long r = 0;

	if (inet)
		m->addr = NULL; /* TCP ignores a destination */
	if (m->addr && s->type == SOCK_STREAM)
		return s->state == US_CONN ? -EISCONN : -EOPNOTSUPP;
	if (packet && total > (size_t)s->sndbuf - 32)
		return -EMSGSIZE;
	pthread_mutex_lock(&unix_lock);
	dl = usock_deadline(&s->sndtimeo, &dlbuf);
	for (;;) {
		if (inet && s->err && !done) {
			r = -s->err; /* a reset: reported once, then EPIPE */
			s->err = 0;
			break;
		}
		if (s->state != US_CONN && !inet) {
			r = -ENOTCONN;
			break;
		}
		struct usock *p = s->state == US_CONN ? s->peer : NULL;
		/* A TCP peer's own SHUT_RD does not stop our data. */
		if ((s->shut & SHUT_SND) || !p || (!inet && (p->shut & SHUT_RCV)) || p->closed) {
			r = -EPIPE;
			*sigpipe = !(flags & MSG_NOSIGNAL);
			break;
		}
		/* A stream sends nothing for an empty write (files included, as
		 * Linux); a seqpacket sends an empty message. */
		if (done == total && (!packet || done))
			break;
		size_t lim = usock_sndlimit_locked(s);
		size_t room = s->wmem < lim ? lim - s->wmem : 0;
		size_t want = total - done;
		if (packet ? (s->wmem && want > room) : !room) {
			if (nonblock) {
				r = -EAGAIN;
				break;
			}
			int w = usock_wait(s, t, POLLOUT, dl);
			if (w) {
				r = usock_wait_errno(w, dl);
				break;
			}
			continue;
		}
		size_t n = packet ? want : (want < room ? want : room);
		if (n > CHUNK_MAX && !packet)
			n = CHUNK_MAX;
		/* Allocation without the lock held would be nicer; chunks are
		 * bounded by the send buffer. */
		struct umsg *u = umsg_new(t, s, &c, n, m, done == 0);
		if (!u) {
			r = -ENOMEM;
			break;
		}
		usock_enqueue_locked(s, p, u);
		done += u->len;
		if (!total)
			break;
	}
	pthread_mutex_unlock(&unix_lock);
	if (done && r != -ENOTCONN)
		return (long)done; /* a partial transfer counts (and still signals) */
	return r;
}

static long send_dgram(struct task *t, struct file *f, struct usock *s, struct usock_msg *m,
		       int flags)
{
	struct iov_cur c = {.iov = m->iov, .cnt = m->iovcnt};
	size_t total = iov_total(m->iov, m->iovcnt);
	bool nonblock = (flags & MSG_DONTWAIT) || (f->flags & O_NONBLOCK);
	struct timespec dlbuf, *dl;
	struct usock *to = NULL;
	long r = 0;

	if (m->addr) {
		r = usock_find(t, m->addr, m->addrlen, s->type, &to);
		if (r)
			return r;
	}
	if (total > (size_t)s->sndbuf - 32) {
		if (to)
			usock_put(to);
		return -EMSGSIZE;
	}
	struct umsg *u = umsg_new(t, s, &c, total, m, true);
	if (!u) {
		if (to)
			usock_put(to);
		return -ENOMEM;
	}
	pthread_mutex_lock(&unix_lock);
	dl = usock_deadline(&s->sndtimeo, &dlbuf);
	if (!to && s->peer)
		to = usock_get(s->peer);
	for (;;) {
		if (!to) {
			r = -ENOTCONN;
			break;
		}
		if (s->shut & SHUT_SND) {
			r = -EPIPE;
			break;
		}
		if (to->type != s->type) {
			r = -EPROTOTYPE;
			break;
		}
		if (to->closed) {
			r = -ECONNREFUSED;
			break;
		}
		if (to->peer && to->peer != s && to != s) {
			r = -EPERM;
			break;
		}
		if (to->shut & SHUT_RCV) {
			r = -EPIPE;
			break;
		}
		if (s->passcred && !s->bound)
			usock_autobind_locked(s);
		bool full = (s->wmem && s->wmem + total > (size_t)s->sndbuf) ||
			    (to->rq && to->rq_bytes + total > (size_t)to->rcvbuf);
		if (!full) {
			usock_enqueue_locked(s, to, u);
			u = NULL;
			r = (long)total;
			break;
		}
		if (nonblock) {
			r = -EAGAIN;
			break;
		}
		/* Room comes from this socket's own messages being read, or
		 * from the receiver's queue draining. */
		struct waitq_entry e;
		waitq_add(&to->wq, &e, &t->waiter, POLLOUT);
		int w = usock_wait(s, t, POLLOUT, dl);
		waitq_del(&to->wq, &e);
		if (w) {
			r = usock_wait_errno(w, dl);
			break;
		}
	}
	pthread_mutex_unlock(&unix_lock);
	if (to)
		usock_put(to);
	if (u) {
		u->next = NULL;
		umsg_free_chain(u);
	}
	return r;
}

long usock_sendmsg(struct task *t, struct file *f, struct usock_msg *m, int flags)
{
	struct usock *s = USOCK_OF(f);
	bool sigpipe = false;
	long r;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->family != AF_UNIX && s->type == SOCK_DGRAM)
		return isock_send_dgram(t, f, m, flags);
	if (m->addr && s->family == AF_UNIX) {
		int e = usock_addr_check(m->addr, m->addrlen);
		if (e)
			return e;
	}
	if (s->type == SOCK_DGRAM) {
		r = send_dgram(t, f, s, m, flags);
	} else {
		if (s->type == SOCK_SEQPACKET)
			m->addr = NULL; /* as Linux: the name is ignored */
		r = send_stream(t, f, s, m, flags, &sigpipe);
	}
	if (sigpipe && t)
		sig_send_task(t, SIGPIPE, NULL);
	return r;
}

/* Unlinks the head message of s (unix_lock held): the sender gets its
 * buffer space back.  The caller frees it (files already taken). */
static struct umsg *dequeue_head(struct usock *s)
{
	struct umsg *u = s->rq;
	s->rq = u->next;
	if (!s->rq)
		s->rq_tail = &s->rq;
	u->next = NULL;
	s->rq_bytes -= u->len - u->off;
	u->sender->wmem -= u->charge;
	waitq_wake(&u->sender->wq, POLLOUT | POLLWRNORM);
	waitq_wake(&s->wq, POLLOUT | POLLWRNORM); /* datagram senders waiting on the queue */
	return u;
}

/* Hands u's files to m: moved, or duplicated when peeking. */
static void take_files(struct umsg *u, struct usock_msg *m, bool peek)
{
	for (int i = 0; i < u->nfiles; i++)
		m->files[m->nfiles++] = peek ? file_get(u->files[i]) : u->files[i];
	if (!peek) {
		free(u->files);
		u->files = NULL;
		u->nfiles = 0;
	}
}

static void set_source(struct usock *s, struct umsg *u, struct usock_msg *m)
{
	if (m->addr) {
		*m->addr = u->from;
		m->addrlen = u->fromlen;
	}
	if (s->passcred) {
		m->has_cred = true;
		m->cred = u->cred;
	}
}

long usock_recvmsg(struct task *t, struct file *f, struct usock_msg *m, int flags)
{
	struct usock *s = USOCK_OF(f);
	struct iov_cur c = {.iov = m->iov, .cnt = m->iovcnt};
	size_t want = iov_total(m->iov, m->iovcnt), copied = 0;
	bool nonblock = (flags & MSG_DONTWAIT) || (f->flags & O_NONBLOCK);
	bool peek = flags & MSG_PEEK;
	bool stream = s->type == SOCK_STREAM;
	struct umsg *dead = NULL;
	struct timespec dlbuf, *dl;
	long r = 0;

	m->nfiles = 0;
	m->has_cred = false;
	m->msg_flags = 0;
	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&unix_lock);
	dl = usock_deadline(&s->rcvtimeo, &dlbuf);
	if (s->type != SOCK_DGRAM && s->state != US_CONN) {
		r = s->type == SOCK_SEQPACKET || s->family != AF_UNIX ? -ENOTCONN : -EINVAL;
		goto out;
	}
	for (;;) {
		if (s->err && !copied && !s->rq) {
			r = -s->err;
			s->err = 0;
			break;
		}
		if (s->rq && !stream) {
			struct umsg *u = s->rq;
			size_t n = iov_cur_move(&c, u->data, u->len < want ? u->len : want, 1);
			if (n < u->len)
				m->msg_flags |= MSG_TRUNC;
			if (s->type == SOCK_SEQPACKET)
				m->msg_flags |= MSG_EOR;
			set_source(s, u, m);
			take_files(u, m, peek);
			r = (flags & MSG_TRUNC) ? (long)u->len : (long)n;
			if (!peek)
				dead = dequeue_head(s);
			break;
		}
		if (s->rq) {
			/* A stream: coalesce messages, but never across files
			 * already taken or (with SO_PASSCRED) other senders. */
			size_t skip = 0;
			struct umsg *u = s->rq;
			bool first = true;
			struct ucred cred = u->cred;
			while (u && copied < want) {
				if (!first && (u->nfiles || (s->passcred && memcmp(&u->cred, &cred, sizeof cred))))
					break;
				if (first)
					set_source(s, u, m);
				first = false;
				size_t avail = u->len - u->off - skip;
				size_t n = iov_cur_move(&c, u->data + u->off + skip,
						    avail < want - copied ? avail : want - copied, 1);
				copied += n;
				bool had_files = u->nfiles;
				take_files(u, m, peek);
				if (peek) {
					skip = 0;
					u = u->next;
				} else {
					u->off += n;
					s->rq_bytes -= n;
					if (u->off == u->len) {
						struct umsg *d = dequeue_head(s);
						d->next = dead;
						dead = d;
					}
					u = s->rq;
				}
				if (had_files)
					break;
			}
			if (!(flags & MSG_WAITALL) || copied >= want || peek) {
				r = (long)copied;
				break;
			}
		}
		if (s->shut & SHUT_RCV) {
			r = (long)copied;
			break;
		}
		if (copied && !(flags & MSG_WAITALL)) {
			r = (long)copied;
			break;
		}
		if (!want && stream) {
			r = 0;
			break;
		}
		if (nonblock) {
			r = copied ? (long)copied : -EAGAIN;
			break;
		}
		int w = usock_wait(s, t, POLLIN, dl);
		if (w) {
			r = copied ? (long)copied : usock_wait_errno(w, dl);
			break;
		}
	}
out:
	pthread_mutex_unlock(&unix_lock);
	umsg_free_chain(dead);
	return r;
}
