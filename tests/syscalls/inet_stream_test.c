/* inet_stream_test: TCP over loopback: listen/connect/accept, names and
 * ephemeral ports, refusal, EOF and EPIPE, dual-stack listeners, address
 * reuse, nonblocking connect, poll, FIONREAD, MSG_PEEK/WAITALL, options. */
#include "testlib.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static struct sockaddr_in sin4(const char *ip, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static struct sockaddr_in6 sin6(const char *ip, int port)
{
	struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	inet_pton(AF_INET6, ip, &a.sin6_addr);
	return a;
}

/* A listener on 127.0.0.1 with an ephemeral port; *port gets it. */
static int listener4(int *port)
{
	int l = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in a = sin4("127.0.0.1", 0);
	CHECK_OK(bind(l, (struct sockaddr *)&a, sizeof a));
	CHECK_OK(listen(l, 8));
	socklen_t len = sizeof a;
	CHECK_OK(getsockname(l, (struct sockaddr *)&a, &len));
	*port = ntohs(a.sin_port);
	return l;
}

static int connect4(const char *ip, int port)
{
	int c = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in a = sin4(ip, port);
	CHECK_OK(connect(c, (struct sockaddr *)&a, sizeof a));
	return c;
}

TEST(connect_accept_names)
{
	int port, l = listener4(&port);
	CHECK(port >= 32768 && port <= 60999);
	int c = connect4("127.0.0.1", port);
	struct sockaddr_in cn, pn, an;
	socklen_t len = sizeof cn;
	CHECK_OK(getsockname(c, (struct sockaddr *)&cn, &len));
	CHECK_EQ(len, sizeof cn);
	CHECK_EQ(cn.sin_family, AF_INET);
	CHECK_EQ(ntohl(cn.sin_addr.s_addr), INADDR_LOOPBACK);
	CHECK(ntohs(cn.sin_port) >= 32768 && ntohs(cn.sin_port) <= 60999);
	len = sizeof pn;
	CHECK_OK(getpeername(c, (struct sockaddr *)&pn, &len));
	CHECK_EQ(ntohs(pn.sin_port), port);
	len = sizeof an;
	int a = CHECK_OK(accept(l, (struct sockaddr *)&an, &len));
	CHECK_EQ(len, sizeof an);
	CHECK_EQ(an.sin_port, cn.sin_port);
	CHECK_EQ(an.sin_addr.s_addr, cn.sin_addr.s_addr);
	len = sizeof an;
	CHECK_OK(getsockname(a, (struct sockaddr *)&an, &len));
	CHECK_EQ(ntohs(an.sin_port), port);
	CHECK_EQ(write(c, "hello", 5), 5);
	char buf[16] = {0};
	CHECK_EQ(read(a, buf, sizeof buf), 5);
	CHECK_STREQ(buf, "hello");
	CHECK_EQ(send(a, "back", 4, 0), 4);
	CHECK_EQ(recv(c, buf, sizeof buf, 0), 4);
	CHECK(!memcmp(buf, "back", 4));
	int v;
	len = sizeof v;
	CHECK_OK(getsockopt(a, SOL_SOCKET, SO_PROTOCOL, &v, &len));
	CHECK_EQ(v, IPPROTO_TCP);
	CHECK_OK(getsockopt(a, SOL_SOCKET, SO_DOMAIN, &v, &len));
	CHECK_EQ(v, AF_INET);
	CHECK_OK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &len));
	CHECK_EQ(v, 1);
	close(a);
	close(c);
	close(l);
}

TEST(refused_and_unreachable)
{
	int port, l = listener4(&port);
	close(l); /* the port is free again */
	int c = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in a = sin4("127.0.0.1", port);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, sizeof a), ECONNREFUSED);
	/* bound but not listening refuses too */
	int b = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
	CHECK_OK(bind(b, (struct sockaddr *)&a, sizeof a));
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, sizeof a), ECONNREFUSED);
	int e;
	socklen_t len = sizeof e;
	CHECK_OK(getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &len));
	CHECK_EQ(e, 0);
	close(b);
	close(c);
	c = CHECK_OK(socket(AF_INET6, SOCK_STREAM, 0));
	struct sockaddr_in6 a6 = sin6("::1", port);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a6, sizeof a6), ECONNREFUSED);
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a, sizeof a), EINVAL); /* too short for in6 */
	CHECK_ERRNO(connect(c, (struct sockaddr *)&a6, 8), EINVAL);
	close(c);
}

TEST(bind_rules)
{
	int port, l = listener4(&port);
	int s = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in a = sin4("127.0.0.1", port);
	CHECK_ERRNO(bind(s, (struct sockaddr *)&a, sizeof a), EADDRINUSE);
	a = sin4("0.0.0.0", port);
	CHECK_ERRNO(bind(s, (struct sockaddr *)&a, sizeof a), EADDRINUSE);
	int one = 1;
	/* SO_REUSEADDR does not share a port with a listener */
	CHECK_OK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	CHECK_OK(setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	CHECK_ERRNO(bind(s, (struct sockaddr *)&a, sizeof a), EADDRINUSE);
	a = sin4("192.0.2.1", 0);
	CHECK_ERRNO(bind(s, (struct sockaddr *)&a, sizeof a), EADDRNOTAVAIL);
	CHECK_ERRNO(bind(s, (struct sockaddr *)&a, sizeof a - 1), EINVAL);
	struct sockaddr_in6 a6 = sin6("::1", 0);
	CHECK_ERRNO(bind(s, (struct sockaddr *)&a6, sizeof a6), EAFNOSUPPORT);
	a = sin4("127.0.0.2", port); /* another loopback address is free */
	CHECK_OK(bind(s, (struct sockaddr *)&a, sizeof a));
	CHECK_ERRNO(bind(s, (struct sockaddr *)&a, sizeof a), EINVAL);
	close(s);
	close(l);
	/* a closed listener leaves the port free */
	s = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
	a = sin4("127.0.0.1", port);
	CHECK_OK(bind(s, (struct sockaddr *)&a, sizeof a));
	close(s);
}

TEST(dual_stack)
{
	int l = CHECK_OK(socket(AF_INET6, SOCK_STREAM, 0));
	int v = -1;
	socklen_t len = sizeof v;
	CHECK_OK(getsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len));
	CHECK_EQ(v, 0);
	struct sockaddr_in6 a6 = sin6("::", 0);
	CHECK_OK(bind(l, (struct sockaddr *)&a6, sizeof a6));
	CHECK_OK(listen(l, 4));
	len = sizeof a6;
	CHECK_OK(getsockname(l, (struct sockaddr *)&a6, &len));
	int port = ntohs(a6.sin6_port);
	/* IPv4 clients reach it and appear IPv4-mapped */
	int c4 = connect4("127.0.0.1", port);
	struct sockaddr_in6 pn;
	len = sizeof pn;
	int a = CHECK_OK(accept(l, (struct sockaddr *)&pn, &len));
	CHECK_EQ(len, sizeof pn);
	char ip[64];
	inet_ntop(AF_INET6, &pn.sin6_addr, ip, sizeof ip);
	CHECK_STREQ(ip, "::ffff:127.0.0.1");
	close(a);
	close(c4);
	/* and IPv6 ones */
	int c6 = CHECK_OK(socket(AF_INET6, SOCK_STREAM, 0));
	struct sockaddr_in6 d = sin6("::1", port);
	CHECK_OK(connect(c6, (struct sockaddr *)&d, sizeof d));
	len = sizeof pn;
	a = CHECK_OK(accept(l, (struct sockaddr *)&pn, &len));
	inet_ntop(AF_INET6, &pn.sin6_addr, ip, sizeof ip);
	CHECK_STREQ(ip, "::1");
	len = sizeof pn;
	CHECK_OK(getsockname(c6, (struct sockaddr *)&pn, &len));
	inet_ntop(AF_INET6, &pn.sin6_addr, ip, sizeof ip);
	CHECK_STREQ(ip, "::1");
	close(a);
	close(c6);
	/* an IPv4 bind of the same port collides with the dual-stack one */
	int s = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in a4 = sin4("127.0.0.1", port);
	CHECK_ERRNO(bind(s, (struct sockaddr *)&a4, sizeof a4), EADDRINUSE);
	close(s);
	close(l);
	/* v6only: IPv4 cannot reach it */
	l = CHECK_OK(socket(AF_INET6, SOCK_STREAM, 0));
	int one = 1;
	CHECK_OK(setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one));
	a6 = sin6("::", 0);
	CHECK_OK(bind(l, (struct sockaddr *)&a6, sizeof a6));
	CHECK_ERRNO(setsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), EINVAL);
	CHECK_OK(listen(l, 4));
	len = sizeof a6;
	CHECK_OK(getsockname(l, (struct sockaddr *)&a6, &len));
	s = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
	a4 = sin4("127.0.0.1", ntohs(a6.sin6_port));
	CHECK_ERRNO(connect(s, (struct sockaddr *)&a4, sizeof a4), ECONNREFUSED);
	close(s);
	close(l);
}

TEST(eof_epipe_reset)
{
	int port, l = listener4(&port);
	int c = connect4("127.0.0.1", port);
	int a = CHECK_OK(accept(l, NULL, NULL));
	CHECK_OK(shutdown(c, SHUT_WR));
	char buf[8];
	CHECK_EQ(read(a, buf, sizeof buf), 0);
	/* half-closed: the other direction still works */
	CHECK_EQ(write(a, "x", 1), 1);
	CHECK_EQ(read(c, buf, 1), 1);
	CHECK_ERRNO(send(c, "y", 1, MSG_NOSIGNAL), EPIPE);
	close(a);
	CHECK_EQ(read(c, buf, sizeof buf), 0);
	close(c);
	/* writing to a closed peer ends in EPIPE, and SIGPIPE without MSG_NOSIGNAL */
	c = connect4("127.0.0.1", port);
	a = CHECK_OK(accept(l, NULL, NULL));
	close(a);
	long r = 0;
	for (int i = 0; i < 100 && r >= 0; i++)
		r = send(c, "z", 1, MSG_NOSIGNAL);
	CHECK_EQ(r, -1);
	CHECK(errno == EPIPE || errno == ECONNRESET);
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERRNO(write(c, "z", 1), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(c);
	/* closing with unread data resets the peer */
	c = connect4("127.0.0.1", port);
	a = CHECK_OK(accept(l, NULL, NULL));
	CHECK_EQ(write(c, "unread", 6), 6);
	close(a);
	CHECK_ERRNO(read(c, buf, sizeof buf), ECONNRESET);
	close(c);
	close(l);
}

TEST(nonblocking_and_poll)
{
	int port, l = listener4(&port);
	int fl = fcntl(l, F_GETFL);
	CHECK_OK(fcntl(l, F_SETFL, fl | O_NONBLOCK));
	CHECK_ERRNO(accept(l, NULL, NULL), EAGAIN);
	int c = CHECK_OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	struct sockaddr_in a4 = sin4("127.0.0.1", port);
	int r = connect(c, (struct sockaddr *)&a4, sizeof a4);
	CHECK(r == 0 || errno == EINPROGRESS);
	struct pollfd p = {.fd = c, .events = POLLOUT};
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK(p.revents & POLLOUT);
	int e = -1;
	socklen_t len = sizeof e;
	CHECK_OK(getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &len));
	CHECK_EQ(e, 0);
	struct pollfd pl = {.fd = l, .events = POLLIN};
	CHECK_EQ(poll(&pl, 1, 5000), 1);
	int a = CHECK_OK(accept4(l, NULL, NULL, SOCK_NONBLOCK));
	char buf[64];
	CHECK_ERRNO(recv(a, buf, sizeof buf, 0), EAGAIN);
	CHECK_ERRNO(recv(c, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(send(c, "0123456789", 10, 0), 10);
	struct pollfd pa = {.fd = a, .events = POLLIN | POLLRDHUP};
	CHECK_EQ(poll(&pa, 1, 5000), 1);
	CHECK_EQ(pa.revents, POLLIN);
	int n = -1;
	CHECK_OK(ioctl(a, FIONREAD, &n));
	CHECK_EQ(n, 10);
	CHECK_EQ(recv(a, buf, 4, MSG_PEEK), 4);
	CHECK(!memcmp(buf, "0123", 4));
	CHECK_EQ(recv(a, buf, sizeof buf, 0), 10);
	CHECK(!memcmp(buf, "0123456789", 10));
	close(c);
	CHECK_EQ(poll(&pa, 1, 5000), 1);
	CHECK(pa.revents & POLLIN);
	CHECK(pa.revents & POLLRDHUP);
	CHECK_EQ(recv(a, buf, sizeof buf, 0), 0);
	close(a);
	close(l);
	/* a fresh socket: POLLOUT|POLLHUP; recv: ENOTCONN; send: EPIPE */
	c = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
	p = (struct pollfd){.fd = c, .events = POLLIN | POLLOUT};
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLOUT | POLLHUP);
	CHECK_ERRNO(recv(c, buf, 1, 0), ENOTCONN);
	CHECK_ERRNO(send(c, buf, 1, MSG_NOSIGNAL), EPIPE);
	CHECK_ERRNO(getpeername(c, (struct sockaddr *)&a4, &len), ENOTCONN);
	close(c);
}

static void *slow_writer(void *arg)
{
	int fd = *(int *)arg;
	usleep(20000);
	write(fd, "abc", 3);
	usleep(20000);
	write(fd, "defgh", 5);
	return NULL;
}

TEST(waitall_and_bulk)
{
	int port, l = listener4(&port);
	int c = connect4("127.0.0.1", port);
	int a = CHECK_OK(accept(l, NULL, NULL));
	pthread_t th;
	pthread_create(&th, NULL, slow_writer, &c);
	char buf[16] = {0};
	CHECK_EQ(recv(a, buf, 8, MSG_WAITALL), 8);
	CHECK_STREQ(buf, "abcdefgh");
	pthread_join(th, NULL);
	/* 1 MiB through in both directions' buffers, in order */
	pid_t pid = fork();
	if (pid == 0) {
		static char out[1 << 20];
		for (size_t i = 0; i < sizeof out; i++)
			out[i] = (char)(i * 7);
		size_t done = 0;
		while (done < sizeof out) {
			ssize_t k = write(c, out + done, sizeof out - done);
			if (k <= 0)
				_exit(1);
			done += k;
		}
		_exit(0);
	}
	static char in[1 << 20];
	size_t got = 0;
	while (got < sizeof in) {
		ssize_t k = read(a, in + got, sizeof in - got);
		CHECK(k > 0);
		got += k;
	}
	for (size_t i = 0; i < sizeof in; i++)
		if (in[i] != (char)(i * 7))
			CHECK_EQ(i, -1);
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(st, 0);
	close(a);
	close(c);
	close(l);
}

TEST(backlog_and_listener_close)
{
	int port, l = listener4(&port);
	/* connections complete before accept; the listener's close resets them */
	int c1 = connect4("127.0.0.1", port);
	int c2 = connect4("127.0.0.1", port);
	CHECK_EQ(write(c1, "q", 1), 1);
	close(l);
	char b;
	CHECK_ERRNO(read(c2, &b, 1), ECONNRESET);
	CHECK_ERRNO(read(c1, &b, 1), ECONNRESET);
	close(c1);
	close(c2);
}

TEST(options)
{
	int s = CHECK_OK(socket(AF_INET, SOCK_STREAM, IPPROTO_TCP));
	int v = -1, one = 1;
	socklen_t len = sizeof v;
	CHECK_OK(getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len));
	CHECK_EQ(v, 0);
	CHECK_OK(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
	CHECK_OK(getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, &len));
	CHECK_EQ(v, 1);
	CHECK_OK(getsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len));
	CHECK_EQ(v, 7200);
	v = 0;
	CHECK_ERRNO(setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v), EINVAL);
	v = 30;
	CHECK_OK(setsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof v));
	CHECK_OK(getsockopt(s, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len));
	CHECK_EQ(v, 30);
	CHECK_OK(setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof one));
	CHECK_OK(getsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, &len));
	CHECK_EQ(v, 1);
	CHECK_OK(getsockopt(s, IPPROTO_IP, IP_TTL, &v, &len));
	CHECK_EQ(v, 64);
	CHECK_OK(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
	CHECK_EQ(v, SOCK_STREAM);
	CHECK_ERRNO(getsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len), EOPNOTSUPP);
	CHECK_ERRNO(setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one), ENOPROTOOPT);
	CHECK_ERRNO(setsockopt(s, IPPROTO_TCP, 9999, &one, sizeof one), ENOPROTOOPT);
	close(s);
	/* the accepted socket inherits TCP_NODELAY */
	int port, l = listener4(&port);
	CHECK_OK(setsockopt(l, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one));
	int c = connect4("127.0.0.1", port);
	int a = CHECK_OK(accept(l, NULL, NULL));
	CHECK_OK(getsockopt(a, IPPROTO_TCP, TCP_NODELAY, &v, &len));
	CHECK_EQ(v, 1);
	close(a);
	close(c);
	close(l);
}

TEST(socket_errors)
{
	CHECK_ERRNO(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
	CHECK_ERRNO(socket(AF_INET6, SOCK_DGRAM, IPPROTO_TCP), EPROTONOSUPPORT);
	CHECK_ERRNO(socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
	int sv[2];
	CHECK_ERRNO(socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP);
	/* the interface ioctls show loopback */
	int s = CHECK_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct ifreq r;
	memset(&r, 0, sizeof r);
	strcpy(r.ifr_name, "lo");
	CHECK_OK(ioctl(s, SIOCGIFFLAGS, &r));
	CHECK(r.ifr_flags & IFF_UP);
	CHECK(r.ifr_flags & IFF_LOOPBACK);
	CHECK_OK(ioctl(s, SIOCGIFADDR, &r));
	CHECK_EQ(ntohl(((struct sockaddr_in *)&r.ifr_addr)->sin_addr.s_addr), INADDR_LOOPBACK);
	CHECK_OK(ioctl(s, SIOCGIFINDEX, &r));
	CHECK_EQ(r.ifr_ifindex, if_nametoindex("lo"));
	strcpy(r.ifr_name, "nosuch0");
	CHECK_ERRNO(ioctl(s, SIOCGIFFLAGS, &r), ENODEV);
	close(s);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, connect_accept_names, refused_and_unreachable, bind_rules,
			 dual_stack, eof_epipe_reset, nonblocking_and_poll, waitall_and_bulk,
			 backlog_and_listener_close, options, socket_errors);
}
