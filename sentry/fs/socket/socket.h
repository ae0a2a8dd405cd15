/* Sockets implemented in the sentry.  Unix domain sockets (AF_UNIX):
 * stream, datagram and seqpacket sockets, socketpair, filesystem and
 * abstract names, the listen/connect/accept handshake, messages with
 * SCM_RIGHTS files and SCM_CREDENTIALS, shutdown, socket options, and
 * socket files for read/write/poll/ioctl/fstat.  AF_INET and AF_INET6 over
 * the only interface, loopback: TCP and UDP (docs/sockets.md).  Every
 * usock_* call below takes a socket of any of these families; addresses
 * are the family's sockaddr (sockaddr_un is big enough for sockaddr_in6).
 *
 * The syscall layer (sentry/syscalls/sys_socket.c) copies addresses, iovecs
 * and control messages in and out; this module works on sentry memory and
 * open files only.
 *
 * Locking: one lock (unix_lock, a leaf below the VFS and file locks and
 * above waitq locks) guards every socket's state, queues and the bound-name
 * registry.  No lock is held across a sleep, a path walk or a file_put.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/un.h>

struct task;
struct file;

/* Linux's limit on files in one SCM_RIGHTS message. */
#define USOCK_MAX_FDS 253

/* One message going out or coming in. */
struct usock_msg {
	const struct iovec *iov; /* sentry iovecs (application memory) */
	int iovcnt;
	/* send: the destination (NULL: the peer); recv: the source. */
	struct sockaddr_un *addr;
	socklen_t addrlen;
	/* send: files to pass (the caller keeps its references); recv: the
	 * files received, new references the caller installs or puts. */
	struct file *files[USOCK_MAX_FDS];
	int nfiles;
	/* send: an explicit SCM_CREDENTIALS; recv: credentials to report
	 * (the receiver has SO_PASSCRED). */
	bool has_cred;
	struct ucred cred;
	int msg_flags; /* recv: MSG_TRUNC, MSG_EOR... */
};

/* Whether f is a sentry socket (any family), and its family. */
bool file_is_usock(const struct file *f);
int usock_family(const struct file *f);

/* socket(AF_UNIX, type, protocol): type already split from its SOCK_*
 * flags; flags holds SOCK_NONBLOCK.  0 or -ESOCKTNOSUPPORT/-EPROTONOSUPPORT
 * /-ENOMEM. */
int usock_create(struct task *t, int type, int protocol, int flags, struct file **out);
/* socket(AF_INET or AF_INET6, ...): -ESOCKTNOSUPPORT, -EPROTONOSUPPORT,
 * -EPERM (SOCK_RAW), -EACCES (ping sockets), -EINVAL or -ENOMEM. */
int isock_create(struct task *t, int family, int type, int protocol, int flags,
		 struct file **out);
/* socketpair(): two connected sockets. */
int usock_pair(struct task *t, int type, int protocol, int flags, struct file **a,
	       struct file **b);

/* bind, connect: addr is the application's sockaddr (len bytes). */
int usock_bind(struct task *t, struct file *f, const struct sockaddr_un *addr, socklen_t len);
int usock_connect(struct task *t, struct file *f, const struct sockaddr_un *addr, socklen_t len);
int usock_listen(struct task *t, struct file *f, int backlog);
/* accept4: flags SOCK_NONBLOCK (SOCK_CLOEXEC is the caller's).  *peer gets
 * the connecting socket's name. */
int usock_accept(struct task *t, struct file *f, int flags, struct file **out,
		 struct sockaddr_un *peer, socklen_t *peerlen);
/* The bytes sent or received, or -errno (-ERESTARTSYS when a signal
 * interrupts a wait without SO_*TIMEO; EPIPE sends SIGPIPE unless
 * MSG_NOSIGNAL). */
long usock_sendmsg(struct task *t, struct file *f, struct usock_msg *m, int flags);
long usock_recvmsg(struct task *t, struct file *f, struct usock_msg *m, int flags);
int usock_shutdown(struct file *f, int how);
/* getsockname (peer false) / getpeername. */
int usock_name(struct file *f, bool peer, struct sockaddr_un *out, socklen_t *len);
/* getsockopt/setsockopt on sentry buffers: *len in/out. */
int usock_getsockopt(struct task *t, struct file *f, int level, int name, void *val,
		     socklen_t *len);
int usock_setsockopt(struct task *t, struct file *f, int level, int name, const void *val,
		     socklen_t len);
