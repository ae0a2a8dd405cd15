/* The unix socket object, its message queue and the bound-name registry,
 * shared by the files of sentry/fs/socket. */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <time.h>

#include "sentry/fs/socket/socket.h"
#include "sentry/kernel/wait.h"

#define SHUT_RCV 1
#define SHUT_SND 2
#define SHUT_BOTH 3

/* Linux's defaults (net.core.wmem_default, rmem_default, *_max). */
#define USOCK_DEF_BUF 212992
#define USOCK_MAX_BUF 212992
#define USOCK_MIN_SNDBUF 4608
#define USOCK_MIN_RCVBUF 2304

enum usock_state { US_UNCONN, US_LISTEN, US_CONN };

struct usock;

/* One message (or, on a stream, one write's chunk) in a receive queue. */
struct umsg {
	struct umsg *next;
	struct usock *sender; /* a reference: its wmem counts len */
	size_t len, off;      /* bytes; off: consumed (streams) */
	struct file **files;  /* SCM_RIGHTS in flight (references) */
	int nfiles;
	struct ucred cred;
	struct sockaddr_un from;
	socklen_t fromlen;
	char data[];
};

struct usock {
	int refs; /* atomic: the file, a peer's pointer, an accept queue, messages sent */
	int type;
	uint64_t ino;
	uid_t uid;
	gid_t gid;

	/* unix_lock */
	enum usock_state state;
	bool closed;	    /* released: no new messages, connects or names */
	struct usock *peer; /* a reference */
	struct waitq wq;    /* every state change is announced here */
	struct umsg *rq, **rq_tail;
	size_t rq_bytes;
	size_t wmem; /* bytes sent by this socket not yet read */
	int shut;
	int err; /* SO_ERROR */

	/* the name */
	bool bound, binding;
	struct sockaddr_un addr;
	socklen_t addrlen;
	bool path_bound; /* registered by (bdev, bino) */
	dev_t bdev;
	ino_t bino;
	struct usock *bnext; /* registry chain */

	/* listening */
	int backlog;
	struct usock *aq, **aq_tail, *anext; /* connections not accepted yet */
	int aq_len;

	/* options and credentials */
	bool passcred, reuseaddr, keepalive;
	struct linger linger;
	int sndbuf, rcvbuf;
	struct timespec rcvtimeo, sndtimeo;
	bool has_peercred;
	struct ucred peercred; /* a listener: its own, given to clients */
};

extern pthread_mutex_t unix_lock;

#define USOCK_OF(f) ((struct usock *)(f)->priv)

struct usock *usock_get(struct usock *s);
void usock_put(struct usock *s);
/* The caller's credentials as SO_PEERCRED (effective ids) or SCM_CREDENTIALS
 * (real ids) report them. */
void usock_cred(struct task *t, struct ucred *c, bool effective);
/* Sleeps t on s->wq (unix_lock held, dropped meanwhile) until an event
 * in ev, the deadline (NULL: none) or a signal: 0, -ETIMEDOUT or -EINTR. */
int usock_wait(struct usock *s, struct task *t, uint32_t ev, const struct timespec *deadline);
/* The deadline of a timeout (zero: none) into *dl; returns dl or NULL. */
struct timespec *usock_deadline(const struct timespec *timeo, struct timespec *dl);
/* The errno for an interrupted or timed-out wait (Linux's sock_intr_errno). */
int usock_wait_errno(int r, const struct timespec *dl);
/* Gives s an abstract name "\0xxxxx" (unix_lock held).  0 or -ENOMEM. */
int usock_autobind_locked(struct usock *s);
/* Finds the socket an address names (for connect and sendto): a new
 * reference or -errno (ENOENT, ECONNREFUSED, EACCES...).  Abstract names
 * are per type; a path names one socket of any type (the caller checks:
 * EPROTOTYPE).  No lock held. */
int usock_find(struct task *t, const struct sockaddr_un *addr, socklen_t len, int type,
	       struct usock **out);
/* Checks an address from the application: 0 or -EINVAL. */
int usock_addr_check(const struct sockaddr_un *addr, socklen_t len);
/* Frees a chain of messages: their files and sender references (no lock). */
void umsg_free_chain(struct umsg *m);
