/* epoll: level vs edge-triggered, one-shot re-arm, MOD/DEL, error codes,
 * timeouts, mixed sets, nested epoll, stdio and epoll_pwait/pwait2. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>

#include "testlib.h"

static int add(int ep, int fd, uint32_t ev, uint64_t data)
{
	struct epoll_event e = {.events = ev, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

TEST(level_triggered)
{
	int p[2];
	CHECK_OK(pipe(p));
	int ep = epoll_create1(0);
	CHECK(ep >= 0);
	CHECK_EQ(add(ep, p[0], EPOLLIN, 7), 0);
	struct epoll_event ev[4];
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0);
	CHECK_EQ(write(p[1], "ab", 2), 2);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1);
		CHECK_EQ(ev[0].events, EPOLLIN);
		CHECK_EQ(ev[0].data.u64, 7);
	}
	char buf[4];
	CHECK_EQ(read(p[0], buf, 4), 2);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0);
	close(p[1]);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1);
	CHECK_EQ(ev[0].events, EPOLLHUP);
	close(p[0]);
	close(ep);
}

TEST(edge_triggered)
{
	int p[2];
	CHECK_OK(pipe(p));
	int ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	CHECK_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLET, 1), 0);
	struct epoll_event ev[4];
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0);
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(write(p[1], "x", 1), 1);
		CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1);
		CHECK_EQ(ev[0].events, EPOLLIN);
		/* Still readable, but no new event until the next write. */
		CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0);
	}
	close(p[0]);
	close(p[1]);
	close(ep);
}

TEST(oneshot)
{
	int p[2];
	CHECK_OK(pipe(p));
	int ep = epoll_create(1);
	CHECK(ep >= 0);
	CHECK_EQ(add(ep, p[0], EPOLLIN | EPOLLONESHOT, 3), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	struct epoll_event ev[2];
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 1);
	CHECK_EQ(ev[0].data.u64, 3);
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 0);
	struct epoll_event m = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 4};
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &m), 0);
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 1);
	CHECK_EQ(ev[0].data.u64, 4);
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 0);
	close(p[0]);
	close(p[1]);
	close(ep);
}

TEST(mod_del_errors)
{
	int p[2];
	CHECK_OK(pipe(p));
	int ep = epoll_create1(0);
	CHECK(ep >= 0);
	struct epoll_event e = {.events = EPOLLIN};
	CHECK_ERRNO(epoll_create(0), EINVAL);
	CHECK_ERRNO(epoll_create1(1), EINVAL);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_MOD, p[0], &e), ENOENT);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], &e), ENOENT);
	CHECK_EQ(add(ep, p[0], EPOLLIN, 0), 0);
	CHECK_ERRNO(add(ep, p[0], EPOLLIN, 0), EEXIST);
	CHECK_ERRNO(add(ep, 999, EPOLLIN, 0), EBADF);
	CHECK_ERRNO(add(999, p[0], EPOLLIN, 0), EBADF);
	CHECK_ERRNO(add(p[0], p[1], EPOLLIN, 0), EINVAL);
	CHECK_ERRNO(add(ep, ep, EPOLLIN, 0), EINVAL);
	CHECK_ERRNO(epoll_ctl(ep, 99, p[0], &e), EINVAL);
	CHECK_ERRNO(epoll_wait(ep, &e, 0, 0), EINVAL);
	CHECK_ERRNO(epoll_wait(p[0], &e, 1, 0), EINVAL);
	CHECK_ERRNO(epoll_wait(999, &e, 1, 0), EBADF);
	/* EPOLLEXCLUSIVE is accepted on ADD, refused on MOD. */
	CHECK_EQ(add(ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE, 9), 0);
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &e), EINVAL);
	CHECK_EQ(epoll_wait(ep, &e, 1, 0), 1);
	CHECK_EQ(e.data.u64, 9);
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(epoll_wait(ep, &e, 1, 0), 1);
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), 0);
	CHECK_EQ(epoll_wait(ep, &e, 1, 0), 0);
	/* Loops: an epoll cannot (indirectly) watch itself. */
	int ep2 = epoll_create1(0);
	CHECK_EQ(add(ep2, ep, EPOLLIN, 0), 0);
	CHECK_ERRNO(add(ep, ep2, EPOLLIN, 0), ELOOP);
	close(ep2);
	close(p[0]);
	close(p[1]);
	close(ep);
}

TEST(timeouts)
{
	int p[2];
	CHECK_OK(pipe(p));
	int ep = epoll_create1(0);
	CHECK_EQ(add(ep, p[0], EPOLLIN, 0), 0);
	struct epoll_event e;
	int64_t t0 = now_ms();
	CHECK_EQ(epoll_wait(ep, &e, 1, 0), 0);
	t0 = now_ms();
	CHECK_EQ(epoll_wait(ep, &e, 1, 50), 0);
	CHECK(now_ms() - t0 >= 49);
	struct timespec ts = {0, 20000000};
	t0 = now_ms();
	CHECK_EQ(syscall(SYS_epoll_pwait2, ep, &e, 1, &ts, NULL, 8), 0);
	CHECK(now_ms() - t0 >= 19);
	close(p[0]);
	close(p[1]);
	close(ep);
}

TEST(mixed_set)
{
	int p[2];
	CHECK_OK(pipe(p));
	int efd = eventfd(0, EFD_NONBLOCK);
	int ep = epoll_create1(0);
	CHECK_EQ(add(ep, p[0], EPOLLIN, 100), 0);
	CHECK_EQ(add(ep, efd, EPOLLIN, 200), 0);
	struct epoll_event ev[4];
	CHECK_EQ(eventfd_write(efd, 1), 0);
	CHECK_EQ(epoll_wait(ep, ev, 4, -1), 1);
	CHECK_EQ(ev[0].data.u64, 200);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(epoll_wait(ep, ev, 4, -1), 2);
	CHECK_EQ(ev[0].data.u64 + ev[1].data.u64, 300);
	/* maxevents 1 serves both in turn. */
	CHECK_EQ(epoll_wait(ep, ev, 1, 0), 1);
	uint64_t first = ev[0].data.u64;
	CHECK_EQ(epoll_wait(ep, ev, 1, 0), 1);
	CHECK(ev[0].data.u64 != first);
	close(p[0]);
	close(p[1]);
	close(efd);
	close(ep);
}

TEST(blocking_wakeup)
{
	int p[2];
	CHECK_OK(pipe(p));
	int ep = epoll_create1(0);
	CHECK_EQ(add(ep, p[0], EPOLLIN, 5), 0);
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(30000);
		_exit(write(p[1], "x", 1) == 1 ? 0 : 1);
	}
	struct epoll_event e;
	CHECK_EQ(epoll_wait(ep, &e, 1, 5000), 1);
	CHECK_EQ(e.data.u64, 5);
	WAIT_EXIT(pid, 0);
	close(p[0]);
	close(p[1]);
	close(ep);
}

TEST(nested)
{
	int p[2];
	CHECK_OK(pipe(p));
	int inner = epoll_create1(0), outer = epoll_create1(0);
	CHECK_EQ(add(inner, p[0], EPOLLIN, 1), 0);
	CHECK_EQ(add(outer, inner, EPOLLIN, 2), 0);
	struct epoll_event e;
	CHECK_EQ(epoll_wait(outer, &e, 1, 0), 0);
	struct pollfd pf = {.fd = inner, .events = POLLIN};
	CHECK_EQ(poll(&pf, 1, 0), 0);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(poll(&pf, 1, 0), 1);
	CHECK_EQ(pf.revents, POLLIN);
	CHECK_EQ(epoll_wait(outer, &e, 1, 1000), 1);
	CHECK_EQ(e.data.u64, 2);
	CHECK_EQ(e.events, EPOLLIN);
	CHECK_EQ(epoll_wait(inner, &e, 1, 0), 1);
	CHECK_EQ(e.data.u64, 1);
	close(p[0]);
	close(p[1]);
	close(inner);
	close(outer);
}

TEST(stdio_and_pwait)
{
	int ep = epoll_create1(0);
	int p[2];
	CHECK_OK(pipe(p));
	/* stdout is whatever the runner made it: a regular file is refused
	 * (EPERM) like every file without a poll method, a pipe or a tty is
	 * writable. */
	struct stat st;
	CHECK_OK(fstat(1, &st));
	int fd = S_ISREG(st.st_mode) ? p[1] : 1;
	if (S_ISREG(st.st_mode))
		CHECK_ERRNO(add(ep, 1, EPOLLOUT, 11), EPERM);
	CHECK_EQ(add(ep, fd, EPOLLOUT, 11), 0);
	struct epoll_event e;
	sigset_t m;
	sigemptyset(&m);
	CHECK_EQ(epoll_pwait(ep, &e, 1, 1000, &m), 1);
	CHECK_EQ(e.data.u64, 11);
	CHECK(e.events & EPOLLOUT);
	CHECK_ERRNO(syscall(SYS_epoll_pwait, ep, &e, 1, 0, &m, 4), EINVAL);
	/* A regular file cannot be watched. */
	int rf = open("/etc/passwd", O_RDONLY);
	CHECK(rf >= 0);
	CHECK_ERRNO(add(ep, rf, EPOLLIN, 0), EPERM);
	close(rf);
	close(p[0]);
	close(p[1]);
	close(ep);
}

/* An item lives as long as its file: a dup keeps it after the fd's close,
 * the last close ends it, and the fd number may then name a new item. */
TEST(close_drops_items)
{
	struct epoll_event ev[4];
	int ep = CHECK_OK(epoll_create1(0));
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_OK(add(ep, p[0], EPOLLIN, 1));
	int d = CHECK_OK(dup(p[0]));
	CHECK_OK(close(p[0]));
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1);
	CHECK_EQ(ev[0].data.u64, 1);
	/* The closed fd cannot name it any more. */
	CHECK_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL), EBADF);
	/* The number, reused for another file, is a new item. */
	int e = CHECK_OK(eventfd(1, 0));
	CHECK_EQ(e, p[0]);
	CHECK_OK(add(ep, e, EPOLLIN, 2));
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 2);
	CHECK_EQ(ev[0].data.u64 + ev[1].data.u64, 3);
	/* The last reference to the pipe's read end goes: so does its item
	 * (the pipe still holds a byte). */
	CHECK_OK(close(d));
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1);
	CHECK_EQ(ev[0].data.u64, 2);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, e, NULL));
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0);
	/* A child's copy keeps the file (and its item) alive until it exits. */
	int q[2];
	CHECK_OK(pipe(q));
	CHECK_OK(add(ep, q[0], EPOLLIN, 3));
	int go;
	pid_t pid = CHECK_OK(tl_fork_held(&go));
	if (pid == 0)
		_exit(0);
	CHECK_OK(close(q[0]));
	CHECK_EQ(write(q[1], "y", 1), 1);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1);
	CHECK_EQ(ev[0].data.u64, 3);
	CHECK_EQ(write(go, "g", 1), 1);
	WAIT_EXIT(pid, 0);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0);
	close(go);
	close(q[1]);
	close(e);
	close(p[1]);
	/* An epoll watched by another goes from it the same way. */
	int outer = CHECK_OK(epoll_create1(0));
	CHECK_OK(add(outer, ep, EPOLLIN, 4));
	int e2 = CHECK_OK(eventfd(1, 0));
	CHECK_OK(add(ep, e2, EPOLLIN, 5));
	CHECK_EQ(epoll_wait(outer, ev, 4, 0), 1);
	CHECK_OK(close(ep));
	CHECK_EQ(epoll_wait(outer, ev, 4, 0), 0);
	close(e2);
	close(outer);
}

int main(int argc, char **argv)
{
	RUN_TESTS(argc, argv, level_triggered, edge_triggered, oneshot, mod_del_errors, timeouts,
		  mixed_set, blocking_wakeup, nested, stdio_and_pwait, close_drops_items);
}
