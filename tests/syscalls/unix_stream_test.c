/* unix_stream_test: AF_UNIX stream and seqpacket sockets: socketpair, bind
 * to paths and abstract names, listen/connect/accept, shutdown, SIGPIPE,
 * options, poll/epoll readiness and errno cases. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <linux/sockios.h>

#include "testlib.h"

static const char *dir;

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "cvt-%s-%d", name, (int)getpid());
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
}

TEST(socket_errors)
{
	CHECK_ERRNO(socket(AF_UNIX, 4 /* SOCK_RDM */, 0), ESOCKTNOSUPPORT);
	CHECK_ERRNO(socket(AF_UNIX, 11, 0), EINVAL);
	CHECK_ERRNO(socket(AF_UNIX, SOCK_STREAM, 5), EPROTONOSUPPORT);
	CHECK_ERRNO(socket(1000, SOCK_STREAM, 0), EAFNOSUPPORT);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CHECK(fd >= 0);
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISSOCK(st.st_mode));
	char link[64], want[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, want, sizeof want - 1);
	CHECK(n > 0);
	want[n] = 0;
	char expect[64];
	snprintf(expect, sizeof expect, "socket:[%lu]", (unsigned long)st.st_ino);
	CHECK_STREQ(want, expect);
	char c;
	CHECK_ERRNO(recv(fd, &c, 1, 0), EINVAL);
	CHECK_ERRNO(send(fd, "x", 1, MSG_NOSIGNAL), ENOTCONN);
	CHECK_ERRNO(listen(fd, 1), EINVAL); /* unbound */
	CHECK_ERRNO(accept(fd, NULL, NULL), EINVAL);
	struct sockaddr_un a;
	socklen_t len = sizeof a;
	CHECK_ERRNO(getpeername(fd, (struct sockaddr *)&a, &len), ENOTCONN);
	CHECK_ERRNO(bind(0 + 1000, (struct sockaddr *)&a, sizeof a), EBADF);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_ERRNO(bind(p[0], (struct sockaddr *)&a, sizeof a), ENOTSOCK);
	close(p[0]);
	close(p[1]);
	close(fd);
}

TEST(socketpair_stream)
{
	int sv[2];
	char buf[64];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(write(sv[0], "hello", 5), 5);
	CHECK_EQ(send(sv[0], " world", 6, 0), 6);
	int n = 0;
	CHECK_OK(ioctl(sv[1], FIONREAD, &n));
	CHECK_EQ(n, 11);
	CHECK_OK(ioctl(sv[0], SIOCOUTQ, &n));
	CHECK(n >= 11); /* Linux counts its buffer overhead too */
	CHECK_EQ(recv(sv[1], buf, sizeof buf, MSG_PEEK), 11);
	/* A stream coalesces writes. */
	CHECK_EQ(read(sv[1], buf, sizeof buf), 11);
	CHECK(!memcmp(buf, "hello world", 11));
	CHECK_ERRNO(recv(sv[1], buf, 1, MSG_DONTWAIT), EAGAIN);
	/* An empty write sends nothing (no false end of file). */
	CHECK_EQ(write(sv[0], "", 0), 0);
	CHECK_ERRNO(recv(sv[1], buf, 1, MSG_DONTWAIT), EAGAIN);
	CHECK_OK(ioctl(sv[0], SIOCOUTQ, &n));
	CHECK_EQ(n, 0);
	/* shutdown(SHUT_WR): the other side reads EOF, then our writes fail. */
	CHECK_EQ(write(sv[0], "ab", 2), 2);
	CHECK_OK(shutdown(sv[0], SHUT_WR));
	CHECK_EQ(read(sv[1], buf, sizeof buf), 2);
	CHECK_EQ(read(sv[1], buf, sizeof buf), 0);
	struct pollfd pf = {.fd = sv[1], .events = POLLIN | POLLRDHUP};
	CHECK_EQ(poll(&pf, 1, 0), 1);
	CHECK(pf.revents & POLLRDHUP);
	CHECK_ERRNO(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(write(sv[1], "back", 4), 4);
	CHECK_EQ(read(sv[0], buf, sizeof buf), 4);
	CHECK_ERRNO(shutdown(sv[0], 7), EINVAL);
	close(sv[0]);
	pf.events = POLLIN;
	CHECK_EQ(poll(&pf, 1, 0), 1);
	CHECK(pf.revents & POLLHUP);
	close(sv[1]);
}

static volatile sig_atomic_t got_pipe;
static void on_pipe(int s) { (void)s; got_pipe++; }

TEST(sigpipe)
{
	int sv[2];
	struct sigaction sa = {.sa_handler = on_pipe}, old;
	CHECK_OK(sigaction(SIGPIPE, &sa, &old));
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	close(sv[1]);
	got_pipe = 0;
	CHECK_ERRNO(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(got_pipe, 0);
	CHECK_ERRNO(write(sv[0], "x", 1), EPIPE);
	CHECK_EQ(got_pipe, 1);
	close(sv[0]);
	sigaction(SIGPIPE, &old, NULL);
}

TEST(seqpacket_boundaries)
{
	int sv[2];
	char buf[64];
	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	CHECK_EQ(write(sv[0], "one", 3), 3);
	CHECK_EQ(write(sv[0], "twotwo", 6), 6);
	CHECK_EQ(read(sv[1], buf, sizeof buf), 3);
	struct iovec iov = {buf, 3};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	CHECK_EQ(recvmsg(sv[1], &m, 0), 3);
	CHECK(m.msg_flags & MSG_TRUNC);
	CHECK(!memcmp(buf, "two", 3));
	close(sv[0]);
	CHECK_EQ(read(sv[1], buf, sizeof buf), 0);
	close(sv[1]);
}

static void server_client(struct sockaddr_un *a, socklen_t len, int type)
{
	int l = socket(AF_UNIX, type, 0);
	CHECK(l >= 0);
	CHECK_OK(bind(l, (struct sockaddr *)a, len));
	/* Linux makes a path's node first: an existing path is EADDRINUSE. */
	CHECK_ERRNO(bind(l, (struct sockaddr *)a, len), a->sun_path[0] ? EADDRINUSE : EINVAL);
	int other = socket(AF_UNIX, type, 0);
	CHECK_ERRNO(bind(other, (struct sockaddr *)a, len), EADDRINUSE);
	/* Bound but not listening. */
	CHECK_ERRNO(connect(other, (struct sockaddr *)a, len), ECONNREFUSED);
	close(other);
	CHECK_OK(listen(l, 5));
	int v = 0;
	socklen_t vl = sizeof v;
	CHECK_OK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl));
	CHECK_EQ(v, 1);
	struct sockaddr_un got;
	socklen_t gl = sizeof got;
	CHECK_OK(getsockname(l, (struct sockaddr *)&got, &gl));
	CHECK_EQ(gl, len);
	CHECK(!memcmp(&got, a, len));

	int c = socket(AF_UNIX, type, 0);
	CHECK_OK(connect(c, (struct sockaddr *)a, len));
	CHECK_ERRNO(connect(c, (struct sockaddr *)a, len), EISCONN);
	gl = sizeof got;
	CHECK_OK(getpeername(c, (struct sockaddr *)&got, &gl));
	CHECK_EQ(gl, len);
	CHECK(!memcmp(got.sun_path, a->sun_path, len - 2));
	/* Data may be sent before accept. */
	CHECK_EQ(write(c, "ping", 4), 4);
	gl = sizeof got;
	int s = accept4(l, (struct sockaddr *)&got, &gl, SOCK_CLOEXEC);
	CHECK(s >= 0);
	CHECK_EQ(gl, sizeof(sa_family_t)); /* the client is unnamed */
	CHECK_EQ(fcntl(s, F_GETFD), FD_CLOEXEC);
	char buf[16];
	CHECK_EQ(read(s, buf, sizeof buf), 4);
	CHECK(!memcmp(buf, "ping", 4));
	CHECK_EQ(write(s, "pong", 4), 4);
	CHECK_EQ(read(c, buf, sizeof buf), 4);

	struct ucred cr;
	vl = sizeof cr;
	CHECK_OK(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &vl));
	CHECK_EQ(vl, sizeof cr);
	CHECK_EQ(cr.pid, getpid());
	CHECK_EQ(cr.uid, geteuid());
	CHECK_EQ(cr.gid, getegid());
	vl = sizeof cr;
	CHECK_OK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &vl));
	CHECK_EQ(cr.pid, getpid());
	vl = sizeof v;
	CHECK_OK(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl));
	CHECK_EQ(v, type);
	CHECK_OK(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &vl));
	CHECK_EQ(v, AF_UNIX);
	CHECK_OK(getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &vl));
	CHECK_EQ(v, 0);
	CHECK_OK(getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &vl));
	CHECK_EQ(v, 0);
	close(c);
	CHECK_EQ(read(s, buf, sizeof buf), 0);
	close(s);
	close(l);
}

TEST(path_server)
{
	struct sockaddr_un a;
	socklen_t len = tl_unix_path(dir, &a, "srv");
	server_client(&a, len, SOCK_STREAM);
	struct stat st;
	CHECK_OK(stat(a.sun_path, &st));
	CHECK(S_ISSOCK(st.st_mode));
	/* The file stays; with nobody bound it refuses connections. */
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, len), ECONNREFUSED);
	CHECK_OK(unlink(a.sun_path));
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, len), ENOENT);
	/* A regular file is no socket. */
	int fd = open(a.sun_path, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0);
	close(fd);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, len), ECONNREFUSED);
	CHECK_OK(unlink(a.sun_path));
	close(c);
	len = tl_unix_path(dir, &a, "seq");
	server_client(&a, len, SOCK_SEQPACKET);
	unlink(a.sun_path);
}

TEST(abstract_server)
{
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, "srv");
	server_client(&a, len, SOCK_STREAM);
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	/* Unbound on close: nothing answers. */
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, len), ECONNREFUSED);
	/* A datagram socket on the name: wrong type. */
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_OK(bind(d, (struct sockaddr *)&a, len));
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, len), ECONNREFUSED);
	close(d);
	close(c);
}

TEST(autobind)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	CHECK_OK(bind(s, (struct sockaddr *)&a, sizeof(sa_family_t)));
	socklen_t len = sizeof a;
	CHECK_OK(getsockname(s, (struct sockaddr *)&a, &len));
	CHECK_EQ(len, offsetof(struct sockaddr_un, sun_path) + 6);
	CHECK_EQ(a.sun_path[0], 0);
	CHECK_OK(listen(s, 1));
	int c = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_OK(connect(c, (struct sockaddr *)&a, len));
	int x = accept(s, NULL, NULL);
	CHECK(x >= 0);
	close(x);
	close(c);
	close(s);
}

TEST(nonblocking_backlog_and_epoll)
{
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, "nb");
	int l = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK_OK(bind(l, (struct sockaddr *)&a, len));
	CHECK_OK(listen(l, 0));
	CHECK_ERRNO(accept(l, NULL, NULL), EAGAIN);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = l};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	/* Backlog 0 takes one pending connection; the next one waits. */
	int c1 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK_OK(connect(c1, (struct sockaddr *)&a, len));
	CHECK_EQ(epoll_wait(ep, &ev, 1, 1000), 1);
	CHECK_EQ(ev.events, EPOLLIN);
	int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	CHECK_ERRNO(connect(c2, (struct sockaddr *)&a, len), EAGAIN);
	int s = accept4(l, NULL, NULL, SOCK_NONBLOCK);
	CHECK(s >= 0);
	CHECK(fcntl(s, F_GETFL) & O_NONBLOCK);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0);
	CHECK_OK(connect(c2, (struct sockaddr *)&a, len));
	close(ep);
	close(c1);
	close(c2);
	close(s);
	close(l);
}

TEST(send_buffer_blocks)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	int v = 8192, got = 0;
	socklen_t vl = sizeof got;
	CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v));
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &got, &vl));
	CHECK_EQ(got, 16384);
	char buf[4096];
	memset(buf, 'z', sizeof buf);
	long total = 0;
	ssize_t n;
	while ((n = send(sv[0], buf, sizeof buf, MSG_DONTWAIT)) > 0)
		total += n;
	CHECK_EQ(errno, EAGAIN);
	CHECK(total >= 8192 && total <= 65536);
	struct pollfd pf = {.fd = sv[0], .events = POLLOUT};
	CHECK_EQ(poll(&pf, 1, 0), 0);
	/* A blocked writer finishes once a reader drains the socket. */
	pid_t pid = fork();
	if (pid == 0) {
		CCHECK(write(sv[0], buf, sizeof buf) == sizeof buf);
		_exit(0);
	}
	long left = total + (long)sizeof buf;
	while (left > 0) {
		n = read(sv[1], buf, sizeof buf);
		CHECK(n > 0);
		left -= n;
	}
	WAIT_EXIT(pid, 0);
	close(sv[0]);
	close(sv[1]);
}

TEST(rcvtimeo_and_options)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	struct timeval tv = {0, 20000};
	CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	struct timeval g;
	socklen_t gl = sizeof g;
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &g, &gl));
	CHECK_EQ(g.tv_usec, 20000);
	char c;
	CHECK_ERRNO(read(sv[0], &c, 1), EAGAIN);
	int one = 1, v;
	socklen_t vl = sizeof v;
	CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one));
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_KEEPALIVE, &v, &vl));
	CHECK_EQ(v, 1);
	struct linger lg = {1, 5};
	CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	CHECK_ERRNO(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &one, 2), EINVAL);
	CHECK_ERRNO(getsockopt(sv[0], SOL_SOCKET, 9999, &v, &vl), ENOPROTOOPT);
	close(sv[0]);
	close(sv[1]);
}

TEST(waitall_across_writes)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 4; i++) {
			usleep(5000);
			CCHECK(write(sv[1], "ab", 2) == 2);
		}
		_exit(0);
	}
	char buf[8];
	CHECK_EQ(recv(sv[0], buf, 8, MSG_WAITALL), 8);
	CHECK(!memcmp(buf, "abababab", 8));
	WAIT_EXIT(pid, 0);
	close(sv[0]);
	close(sv[1]);
}

int main(int argc, char **argv)
{
	if (!(dir = tl_tmpdir()))
		abort();
	return RUN_TESTS(argc, argv, socket_errors, socketpair_stream, sigpipe,
			 seqpacket_boundaries, path_server, abstract_server, autobind,
			 nonblocking_backlog_and_epoll, send_buffer_blocks, rcvtimeo_and_options,
			 waitall_across_writes);
}
