/* The socket object (unix and loopback inet alike), its message queue and
 * the bound-name registries, shared by the files of sentry/fs/socket. */
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

/* TCP's and UDP's defaults (net.ipv4.tcp_wmem/tcp_rmem, udp: the core's). */
#define ISOCK_TCP_SNDBUF 16384
#define ISOCK_TCP_RCVBUF 131072

enum usock_state { US_UNCONN, US_LISTEN, US_CONN };

/* An inet endpoint; IPv4 addresses are held IPv4-mapped (::ffff:a.b.c.d)
 * so that dual-stack matching compares one form. */
struct inet_ep {
	uint8_t addr[16];
	uint16_t port; /* host order */
};

/* Stored inet options (inet_opt.c's table gives each its slot). */
#define ISOCK_NOPTS 24

struct usock;

/* One message (or, on a stream, one write's chunk) in a receive queue. */
struct umsg {
	struct umsg *next;
	struct usock *sender; /* a reference: its wmem counts len */
	size_t len, off;      /* bytes; off: consumed (streams) */
	size_t charge;        /* of len, counted in the sender's wmem */
	struct file **files;  /* SCM_RIGHTS in flight (references) */
	int nfiles;
	struct ucred cred;
	struct sockaddr_un from;
	socklen_t fromlen;
	char data[];
};

struct usock {
	int refs; /* atomic: the file, a peer's pointer, an accept queue, messages sent */
	int family; /* AF_UNIX, AF_INET, AF_INET6 */
	int protocol; /* SO_PROTOCOL: 0 (unix), IPPROTO_TCP, IPPROTO_UDP */
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

	/* AF_INET/AF_INET6 (unix_lock): bound is set once local.port is */
	struct inet_ep local, remote;
	bool user_addr, user_port; /* chosen by bind, kept by a UDP disconnect */
	bool v6only, hashed;
	struct usock *inext; /* the inet registry's chain */
	int iopt[ISOCK_NOPTS];
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

/* Shared between the unix and inet halves. */
struct usock *usock_new(struct task *t, int type);
struct file *usock_file(struct usock *s, int flags);
/* The bytes s may have in flight before a stream send waits (unix_lock). */
size_t usock_sndlimit_locked(const struct usock *s);
/* The stream handshake once the listener l is found (a reference, put
 * here): waits for backlog room, queues the server's end on l.  inet
 * fills the names of both ends through isock_connected_locked. */
int usock_connect_stream(struct task *t, struct file *f, struct usock *l);
/* Closes the listener's accept queue (unix_lock held): its connections
 * are reset; messages to free are chained on *dead. */
void usock_refuse_pending_locked(struct usock *s, struct umsg **dead);
/* Drops s's connection or listen queue with a reset (unix_lock held): a
 * TCP disconnect.  s becomes a fresh unconnected socket. */
void usock_abort_locked(struct usock *s, struct umsg **dead);
/* Queues message u from s on r (unix_lock held). */
void usock_enqueue_locked(struct usock *s, struct usock *r, struct umsg *u);
/* A message of len bytes copied from the iovecs; charge: count it in the
 * sender's wmem.  NULL when out of memory. */
struct umsg *umsg_from_iov(struct task *t, struct usock *s, const struct iovec *iov, int cnt,
			   size_t len, bool charge);

/* ---- inet (inet.c, inet_opt.c, inet_if.c) ---- */
int isock_bind(struct task *t, struct file *f, const struct sockaddr *sa, socklen_t len);
int isock_connect(struct task *t, struct file *f, const struct sockaddr *sa, socklen_t len);
int isock_listen_locked(struct usock *s);
/* Sets the names of a new connection (unix_lock held): s the client, l the
 * listener, n the server's end. */
void isock_connected_locked(struct usock *s, struct usock *l, struct usock *n);
/* An endpoint as the application sees it on s: sockaddr_in or _in6. */
socklen_t isock_render(const struct usock *s, const struct inet_ep *ep, void *out);
int isock_name(struct file *f, bool peer, void *out, socklen_t *len);
/* Leaves the registry (unix_lock held). */
void isock_unhash_locked(struct usock *s);
int isock_shutdown(struct file *f, int how);
/* UDP send: 0..len or -errno. */
long isock_send_dgram(struct task *t, struct file *f, struct usock_msg *m, int flags);
int isock_getsockopt(struct usock *s, int level, int name, void *val, socklen_t *len);
int isock_setsockopt(struct task *t, struct usock *s, int level, int name, const void *val,
		     socklen_t len);
void isock_opt_init(struct usock *s);
/* A stored option's value (unix_lock held), or -1 when it is not one. */
int isock_opt_locked(const struct usock *s, int level, int name);
/* The SIOCGIF* ioctls on any socket (-ENOTTY for other commands). */
long sock_if_ioctl(struct usock *s, struct task *t, unsigned cmd, uint64_t arg);
