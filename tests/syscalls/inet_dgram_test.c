/* inet_dgram_test: UDP over loopback: bind, sendto/recvfrom with source
 * addresses, message boundaries, MSG_TRUNC/MSG_PEEK, connect filtering,
 * port unreachable on a connected socket, dual-stack delivery, poll. */
#include "testlib.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static struct sockaddr_in sin4(const char *ip, int port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

/* A UDP socket bound to ip with an ephemeral port; *port gets it. */
static int bound4(const char *ip, int *port)
{
	int s = CHECK_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_in a = sin4(ip, 0);
	CHECK_OK(bind(s, (struct sockaddr *)&a, sizeof a));
	socklen_t len = sizeof a;
	CHECK_OK(getsockname(s, (struct sockaddr *)&a, &len));
	*port = ntohs(a.sin_port);
	CHECK(*port >= 32768 && *port <= 60999);
	return s;
}

TEST(sendto_recvfrom)
{
	int port, r = bound4("127.0.0.1", &port);
	int s = CHECK_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_in to = sin4("127.0.0.1", port), from, me;
	CHECK_EQ(sendto(s, "one", 3, 0, (struct sockaddr *)&to, sizeof to), 3);
	CHECK_EQ(sendto(s, "second", 6, 0, (struct sockaddr *)&to, sizeof to), 6);
	CHECK_EQ(sendto(s, "", 0, 0, (struct sockaddr *)&to, sizeof to), 0);
	/* the sender got a port on the any address */
	socklen_t len = sizeof me;
	CHECK_OK(getsockname(s, (struct sockaddr *)&me, &len));
	CHECK_EQ(me.sin_addr.s_addr, htonl(INADDR_ANY));
	CHECK(ntohs(me.sin_port) >= 32768);
	int n = -1;
	CHECK_OK(ioctl(r, FIONREAD, &n));
	CHECK_EQ(n, 3);
	char buf[16] = {0};
	len = sizeof from;
	CHECK_EQ(recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &len), 3);
	CHECK_EQ(len, sizeof from);
	CHECK_EQ(from.sin_family, AF_INET);
	CHECK_EQ(ntohl(from.sin_addr.s_addr), INADDR_LOOPBACK);
	CHECK_EQ(from.sin_port, me.sin_port);
	CHECK_STREQ(buf, "one");
	/* boundaries: a short buffer truncates and the rest is gone */
	CHECK_EQ(recv(r, buf, 2, MSG_PEEK), 2);
	CHECK_EQ(recv(r, buf, 2, MSG_TRUNC), 6);
	struct iovec iov = {buf, 2};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	CHECK_EQ(recvmsg(r, &mh, MSG_DONTWAIT), 0); /* the empty datagram */
	CHECK_EQ(mh.msg_flags & MSG_TRUNC, 0);
	CHECK_ERRNO(recv(r, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(sendto(s, "abcdef", 6, 0, (struct sockaddr *)&to, sizeof to), 6);
	CHECK_EQ(recvmsg(r, &mh, 0), 2);
	CHECK(mh.msg_flags & MSG_TRUNC);
	/* errors */
	to.sin_port = 0;
	CHECK_ERRNO(sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof to), EINVAL);
	CHECK_ERRNO(sendto(s, "x", 1, 0, (struct sockaddr *)&to, 4), EINVAL);
	CHECK_ERRNO(send(s, "x", 1, 0), EDESTADDRREQ);
	static char big[70000];
	to.sin_port = htons(port);
	CHECK_ERRNO(sendto(s, big, sizeof big, 0, (struct sockaddr *)&to, sizeof to), EMSGSIZE);
	/* nobody on the port: an unconnected sender never hears of it */
	close(r);
	CHECK_EQ(sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof to), 1);
	CHECK_EQ(sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof to), 1);
	close(s);
}

TEST(connected)
{
	int pa, a = bound4("127.0.0.1", &pa);
	int pb, b = bound4("127.0.0.1", &pb);
	int pc, c = bound4("127.0.0.1", &pc);
	struct sockaddr_in ta = sin4("127.0.0.1", pa), tb = sin4("127.0.0.1", pb);
	CHECK_OK(connect(a, (struct sockaddr *)&tb, sizeof tb));
	struct sockaddr_in pn;
	socklen_t len = sizeof pn;
	CHECK_OK(getpeername(a, (struct sockaddr *)&pn, &len));
	CHECK_EQ(ntohs(pn.sin_port), pb);
	/* a connected socket takes datagrams only from its peer */
	CHECK_EQ(sendto(c, "from c", 6, 0, (struct sockaddr *)&ta, sizeof ta), 6);
	CHECK_EQ(sendto(b, "from b", 6, 0, (struct sockaddr *)&ta, sizeof ta), 6);
	char buf[16] = {0};
	CHECK_EQ(recv(a, buf, sizeof buf, 0), 6);
	CHECK_STREQ(buf, "from b");
	CHECK_ERRNO(recv(a, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	CHECK_EQ(send(a, "to b", 4, 0), 4);
	CHECK_EQ(read(b, buf, sizeof buf), 4);
	/* AF_UNSPEC dissolves the association */
	struct sockaddr un = {.sa_family = AF_UNSPEC};
	CHECK_OK(connect(a, &un, sizeof un));
	CHECK_ERRNO(getpeername(a, (struct sockaddr *)&pn, &len), ENOTCONN);
	CHECK_ERRNO(send(a, "x", 1, 0), EDESTADDRREQ);
	/* the port unreachable answer reaches a connected sender */
	close(b);
	CHECK_OK(connect(a, (struct sockaddr *)&tb, sizeof tb));
	CHECK_EQ(send(a, "lost", 4, 0), 4);
	struct pollfd p = {.fd = a, .events = POLLIN};
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK(p.revents & POLLERR);
	CHECK_ERRNO(recv(a, buf, sizeof buf, MSG_DONTWAIT), ECONNREFUSED);
	CHECK_ERRNO(recv(a, buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	close(a);
	close(c);
}

TEST(dual_stack_and_any)
{
	int r = CHECK_OK(socket(AF_INET6, SOCK_DGRAM, 0));
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_addr = in6addr_any};
	CHECK_OK(bind(r, (struct sockaddr *)&a6, sizeof a6));
	socklen_t len = sizeof a6;
	CHECK_OK(getsockname(r, (struct sockaddr *)&a6, &len));
	int port = ntohs(a6.sin6_port);
	int s4 = CHECK_OK(socket(AF_INET, SOCK_DGRAM, 0));
	struct sockaddr_in to = sin4("127.0.0.1", port);
	CHECK_EQ(sendto(s4, "v4", 2, 0, (struct sockaddr *)&to, sizeof to), 2);
	struct sockaddr_in6 from;
	char buf[8], ip[64];
	len = sizeof from;
	CHECK_EQ(recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &len), 2);
	CHECK_EQ(len, sizeof from);
	inet_ntop(AF_INET6, &from.sin6_addr, ip, sizeof ip);
	CHECK_STREQ(ip, "::ffff:127.0.0.1");
	int s6 = CHECK_OK(socket(AF_INET6, SOCK_DGRAM, 0));
	struct sockaddr_in6 to6 = {.sin6_family = AF_INET6, .sin6_port = htons(port),
				   .sin6_addr = in6addr_loopback};
	CHECK_EQ(sendto(s6, "v6", 2, 0, (struct sockaddr *)&to6, sizeof to6), 2);
	len = sizeof from;
	CHECK_EQ(recvfrom(r, buf, sizeof buf, 0, (struct sockaddr *)&from, &len), 2);
	inet_ntop(AF_INET6, &from.sin6_addr, ip, sizeof ip);
	CHECK_STREQ(ip, "::1");
	/* a v4 socket on 0.0.0.0 takes any 127/8 address */
	int pa, a = bound4("0.0.0.0", &pa);
	to = sin4("127.0.0.5", pa);
	CHECK_EQ(sendto(s4, "five", 4, 0, (struct sockaddr *)&to, sizeof to), 4);
	CHECK_EQ(recv(a, buf, sizeof buf, 0), 4);
	/* SO_REUSEADDR on both shares a UDP port */
	int one = 1;
	int x = CHECK_OK(socket(AF_INET, SOCK_DGRAM, 0));
	int y = CHECK_OK(socket(AF_INET, SOCK_DGRAM, 0));
	CHECK_OK(setsockopt(x, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	struct sockaddr_in b = sin4("127.0.0.1", 0);
	CHECK_OK(bind(x, (struct sockaddr *)&b, sizeof b));
	len = sizeof b;
	CHECK_OK(getsockname(x, (struct sockaddr *)&b, &len));
	CHECK_ERRNO(bind(y, (struct sockaddr *)&b, sizeof b), EADDRINUSE);
	CHECK_OK(setsockopt(y, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one));
	CHECK_OK(bind(y, (struct sockaddr *)&b, sizeof b));
	/* connect picks the source address; getsockname shows it */
	int z = CHECK_OK(socket(AF_INET, SOCK_DGRAM, 0));
	CHECK_OK(connect(z, (struct sockaddr *)&to, sizeof to));
	struct sockaddr_in zn;
	len = sizeof zn;
	CHECK_OK(getsockname(z, (struct sockaddr *)&zn, &len));
	CHECK_EQ(ntohl(zn.sin_addr.s_addr), INADDR_LOOPBACK);
	CHECK(ntohs(zn.sin_port) >= 32768);
	/* shutdown of an unconnected UDP socket: ENOTCONN */
	CHECK_ERRNO(shutdown(x, SHUT_RDWR), ENOTCONN);
	CHECK_OK(shutdown(z, SHUT_WR));
	CHECK_ERRNO(send(z, "x", 1, 0), EPIPE);
	close(x);
	close(y);
	close(z);
	close(a);
	close(s4);
	close(s6);
	close(r);
}

TEST(poll_and_errors)
{
	int port, r = bound4("127.0.0.1", &port);
	struct pollfd p = {.fd = r, .events = POLLIN | POLLOUT};
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLOUT);
	int s = CHECK_OK(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP));
	struct sockaddr_in to = sin4("127.0.0.1", port);
	CHECK_EQ(sendto(s, "x", 1, 0, (struct sockaddr *)&to, sizeof to), 1);
	CHECK_EQ(poll(&p, 1, 1000), 1);
	CHECK_EQ(p.revents, POLLIN | POLLOUT);
	CHECK_ERRNO(listen(s, 1), EOPNOTSUPP);
	CHECK_ERRNO(accept(s, NULL, NULL), EOPNOTSUPP);
	int v;
	socklen_t len = sizeof v;
	CHECK_OK(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
	CHECK_EQ(v, SOCK_DGRAM);
	CHECK_OK(getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &len));
	CHECK_EQ(v, IPPROTO_UDP);
	CHECK_ERRNO(getsockopt(s, IPPROTO_TCP, 1, &v, &len), EOPNOTSUPP);
	close(s);
	close(r);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, sendto_recvfrom, connected, dual_stack_and_any, poll_and_errors);
}
