/* unix_scm_test: ancillary data on AF_UNIX sockets: SCM_RIGHTS between
 * processes, MSG_CTRUNC, MSG_CMSG_CLOEXEC, files dropped with a discarded
 * message, SCM_CREDENTIALS with SO_PASSCRED. */
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "testlib.h"

static int send_fds(int s, const int *fds, int n, const char *data)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8)];
	memset(cbuf, 0, sizeof cbuf);
	struct iovec iov = {(void *)data, strlen(data)};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			   .msg_controllen = CMSG_SPACE(sizeof(int) * n)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	return (int)sendmsg(s, &m, 0);
}

/* Receives one message: its fds into fds (up to *n), flags into *flags. */
static int recv_fds(int s, int *fds, int *n, size_t clen, int rflags, int *flags)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 8)], data[64];
	struct iovec iov = {data, sizeof data};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			   .msg_controllen = clen};
	int r = (int)recvmsg(s, &m, rflags);
	if (r < 0)
		return r;
	*flags = m.msg_flags;
	int got = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds + got, CMSG_DATA(c), sizeof(int) * k);
			got += k;
		}
	*n = got;
	return r;
}

TEST(pipe_end_to_child)
{
	int sv[2], p[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		int fds[8], n, fl;
		CCHECK(recv_fds(sv[1], fds, &n, sizeof(char[CMSG_SPACE(sizeof(int) * 8)]), 0, &fl) == 3);
		CCHECK(n == 1);
		char buf[16];
		CCHECK(read(fds[0], buf, sizeof buf) == 6);
		CCHECK(!memcmp(buf, "parent", 6));
		_exit(0);
	}
	close(sv[1]);
	CHECK_OK(pipe(p));
	CHECK_EQ(send_fds(sv[0], &p[0], 1, "fd!"), 3);
	close(p[0]);
	CHECK_EQ(write(p[1], "parent", 6), 6);
	WAIT_EXIT(pid, 0);
	close(p[1]);
	close(sv[0]);
}

TEST(ctrunc_and_cloexec)
{
	int sv[2], p[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_OK(pipe(p));
	int two[2] = {p[0], p[1]};
	CHECK_EQ(send_fds(sv[0], two, 2, "x"), 1);
	int fds[8], n, fl;
	/* Room for one fd only: the other is closed, MSG_CTRUNC set. */
	CHECK_EQ(recv_fds(sv[1], fds, &n, CMSG_LEN(sizeof(int)), MSG_CMSG_CLOEXEC, &fl), 1);
	CHECK(fl & MSG_CTRUNC);
	CHECK_EQ(n, 1);
	CHECK_EQ(fcntl(fds[0], F_GETFD), FD_CLOEXEC);
	close(fds[0]);
	/* No control buffer at all. */
	CHECK_EQ(send_fds(sv[0], two, 1, "y"), 1);
	CHECK_EQ(recv_fds(sv[1], fds, &n, 0, 0, &fl), 1);
	CHECK(fl & MSG_CTRUNC);
	CHECK_EQ(n, 0);
	int bad = 999;
	CHECK_ERRNO(send_fds(sv[0], &bad, 1, "z"), EBADF);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

TEST(discarded_message_drops_files)
{
	int sv[2], p[2];
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(pipe(p));
	CHECK_EQ(send_fds(sv[0], &p[0], 1, "r"), 1);
	close(p[0]);
	/* The read end lives only in the message... */
	CHECK_EQ(write(p[1], "a", 1), 1);
	close(sv[1]);
	close(sv[0]);
	/* ...which is gone: no reader is left. */
	signal(SIGPIPE, SIG_IGN);
	CHECK_ERRNO(write(p[1], "a", 1), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
}

TEST(credentials)
{
	int sv[2], one = 1;
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one));
	CHECK_EQ(send(sv[0], "c", 1, 0), 1);
	char cbuf[CMSG_SPACE(sizeof(struct ucred))], data[4];
	struct iovec iov = {data, sizeof data};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			   .msg_controllen = sizeof cbuf};
	CHECK_EQ(recvmsg(sv[1], &m, 0), 1);
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	CHECK(c);
	CHECK_EQ(c->cmsg_type, SCM_CREDENTIALS);
	struct ucred u;
	memcpy(&u, CMSG_DATA(c), sizeof u);
	CHECK_EQ(u.pid, getpid());
	CHECK_EQ(u.uid, getuid());
	CHECK_EQ(u.gid, getgid());
	/* An explicit SCM_CREDENTIALS with our own ids. */
	struct msghdr s = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			   .msg_controllen = sizeof cbuf};
	c = CMSG_FIRSTHDR(&s);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof u);
	memcpy(CMSG_DATA(c), &u, sizeof u);
	CHECK_EQ(sendmsg(sv[0], &s, 0), (ssize_t)sizeof data);
	int v = 0;
	socklen_t vl = sizeof v;
	CHECK_OK(getsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &v, &vl));
	CHECK_EQ(v, 1);
	close(sv[0]);
	close(sv[1]);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, pipe_end_to_child, ctrunc_and_cloexec,
			 discarded_message_drops_files, credentials);
}
