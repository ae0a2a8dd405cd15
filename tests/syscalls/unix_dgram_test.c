/* unix_dgram_test: AF_UNIX datagram sockets: boundaries, MSG_TRUNC, sendto
 * a bound path or abstract name, connect, source addresses, sendmmsg and
 * recvmmsg, EPERM/ECONNREFUSED cases. */
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "testlib.h"

static const char *dir;

TEST(pair_boundaries_and_trunc)
{
	int sv[2];
	char buf[64];
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_EQ(send(sv[0], "first", 5, 0), 5);
	CHECK_EQ(send(sv[0], "second!", 7, 0), 7);
	CHECK_EQ(send(sv[0], "", 0, 0), 0);
	int n = 0;
	CHECK_OK(ioctl(sv[1], FIONREAD, &n));
	CHECK_EQ(n, 5); /* the next datagram */
	CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 5);
	struct iovec iov = {buf, 3};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
	CHECK_EQ(recvmsg(sv[1], &m, MSG_PEEK), 3);
	CHECK(m.msg_flags & MSG_TRUNC);
	CHECK_EQ(recv(sv[1], buf, 3, MSG_TRUNC), 7); /* the real length */
	CHECK(!memcmp(buf, "sec", 3));
	CHECK_EQ(recv(sv[1], buf, sizeof buf, 0), 0); /* the empty datagram */
	CHECK_ERRNO(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT), EAGAIN);
	close(sv[0]);
	close(sv[1]);
}

TEST(bound_path_sendto)
{
	struct sockaddr_un a, b, from;
	socklen_t al = tl_unix_path(dir, &a, "a"), bl = tl_unix_path(dir, &b, "b");
	int x = socket(AF_UNIX, SOCK_DGRAM, 0), y = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_OK(bind(x, (struct sockaddr *)&a, al));
	CHECK_ERRNO(sendto(y, "hi", 2, 0, (struct sockaddr *)&b, bl), ENOENT);
	CHECK_EQ(sendto(y, "hi", 2, 0, (struct sockaddr *)&a, al), 2);
	CHECK_ERRNO(send(y, "hi", 2, 0), ENOTCONN);
	char buf[16];
	socklen_t fl = sizeof from;
	CHECK_EQ(recvfrom(x, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 2);
	CHECK_EQ(fl, 0); /* an unnamed sender */
	CHECK_OK(bind(y, (struct sockaddr *)&b, bl));
	CHECK_EQ(sendto(y, "yo", 2, 0, (struct sockaddr *)&a, al), 2);
	fl = sizeof from;
	CHECK_EQ(recvfrom(x, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl), 2);
	CHECK_EQ(fl, bl);
	CHECK_STREQ(from.sun_path, b.sun_path);
	/* connect: send() goes there; a third socket may not send to x once
	 * x is connected to y. */
	CHECK_OK(connect(x, (struct sockaddr *)&b, bl));
	CHECK_EQ(send(x, "to-b", 4, 0), 4);
	CHECK_EQ(recv(y, buf, sizeof buf, 0), 4);
	int z = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_ERRNO(sendto(z, "no", 2, 0, (struct sockaddr *)&a, al), EPERM);
	struct sockaddr_un peer;
	socklen_t pl = sizeof peer;
	CHECK_OK(getpeername(x, (struct sockaddr *)&peer, &pl));
	CHECK_STREQ(peer.sun_path, b.sun_path);
	/* The receiver goes: its name refuses. */
	close(y);
	CHECK_ERRNO(send(x, "gone", 4, 0), ECONNREFUSED);
	CHECK_ERRNO(sendto(z, "no", 2, 0, (struct sockaddr *)&b, bl), ECONNREFUSED);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_ERRNO(connect(s, (struct sockaddr *)&a, al), EPROTOTYPE);
	close(s);
	close(z);
	close(x);
	unlink(a.sun_path);
	unlink(b.sun_path);
}

TEST(mmsg)
{
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	char d[3][4] = {"aa", "bbb", "c"};
	struct iovec iov[3];
	struct mmsghdr mm[3];
	memset(mm, 0, sizeof mm);
	for (int i = 0; i < 3; i++) {
		iov[i].iov_base = d[i];
		iov[i].iov_len = strlen(d[i]);
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK_EQ(sendmmsg(sv[0], mm, 3, 0), 3);
	CHECK_EQ(mm[1].msg_len, 3);
	char r[3][8];
	struct iovec riov[3];
	struct mmsghdr rm[3];
	memset(rm, 0, sizeof rm);
	for (int i = 0; i < 3; i++) {
		riov[i].iov_base = r[i];
		riov[i].iov_len = sizeof r[i];
		rm[i].msg_hdr.msg_iov = &riov[i];
		rm[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK_EQ(recvmmsg(sv[1], rm, 3, MSG_DONTWAIT, NULL), 3);
	CHECK_EQ(rm[0].msg_len, 2);
	CHECK_EQ(rm[1].msg_len, 3);
	CHECK_EQ(rm[2].msg_len, 1);
	CHECK(!memcmp(r[1], "bbb", 3));
	CHECK_ERRNO(recvmmsg(sv[1], rm, 3, MSG_DONTWAIT, NULL), EAGAIN);
	close(sv[0]);
	close(sv[1]);
}

TEST(dgram_errors)
{
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	CHECK_ERRNO(listen(d, 1), EOPNOTSUPP);
	CHECK_ERRNO(accept(d, NULL, NULL), EOPNOTSUPP);
	struct sockaddr_un a = {.sun_family = AF_INET};
	CHECK_ERRNO(bind(d, (struct sockaddr *)&a, sizeof a), EINVAL);
	CHECK_ERRNO(bind(d, (struct sockaddr *)&a, 1), EINVAL);
	int sv[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	int big = 1 << 20;
	char *buf = malloc(big);
	CHECK_ERRNO(send(sv[0], buf, big, 0), EMSGSIZE);
	free(buf);
	CHECK_OK(shutdown(sv[0], SHUT_WR));
	CHECK_ERRNO(send(sv[0], "x", 1, 0), EPIPE);
	close(sv[0]);
	close(sv[1]);
	close(d);
}

int main(int argc, char **argv)
{
	if (!(dir = tl_tmpdir()))
		return 1;
	return RUN_TESTS(argc, argv, pair_boundaries_and_trunc, bound_path_sendto, mmsg,
			 dgram_errors);
}
