/* poll_test: poll, ppoll, select, pselect6 over pipes and host-backed
 * files: readiness, timeouts, hang-ups, bad fds, signal masks. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

static void close2(int p[2])
{
	close(p[0]);
	close(p[1]);
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

TEST(poll_ready_and_not)
{
	int p[2];
	CHECK_OK(pipe(p));
	struct pollfd f[2] = {{p[0], POLLIN, 0}, {p[1], POLLOUT, 0}};
	/* Empty pipe: only the write end is ready. */
	CHECK_EQ(poll(f, 2, 0), 1);
	CHECK_EQ(f[0].revents, 0);
	CHECK_EQ(f[1].revents, POLLOUT);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(poll(f, 2, 0), 2);
	CHECK_EQ(f[0].revents, POLLIN);
	CHECK_EQ(f[1].revents, POLLOUT);
	/* Asking for nothing still reports nothing but errors. */
	f[0].events = 0;
	CHECK_EQ(poll(f, 1, 0), 0);
	CHECK_EQ(f[0].revents, 0);
	/* POLLRDNORM as well as POLLIN. */
	f[0].events = POLLRDNORM;
	CHECK_EQ(poll(f, 1, 0), 1);
	CHECK_EQ(f[0].revents, POLLRDNORM);
	close2(p);
}

TEST(poll_timeout_elapses)
{
	int p[2];
	CHECK_OK(pipe(p));
	struct pollfd f = {p[0], POLLIN, 0};
	long t0 = now_us();
	CHECK_EQ(poll(&f, 1, 50), 0);
	CHECK(now_us() - t0 >= 50000);
	CHECK_EQ(f.revents, 0);
	/* No fds at all: a plain sleep. */
	t0 = now_us();
	CHECK_EQ(poll(NULL, 0, 20), 0);
	CHECK(now_us() - t0 >= 20000);
	close2(p);
}

TEST(poll_hup_after_writer_close)
{
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "ab", 2), 2);
	close(p[1]);
	struct pollfd f = {p[0], POLLIN, 0};
	CHECK_EQ(poll(&f, 1, -1), 1);
	CHECK_EQ(f.revents, POLLIN | POLLHUP);
	char buf[4];
	CHECK_EQ(read(p[0], buf, sizeof buf), 2);
	CHECK_EQ(poll(&f, 1, -1), 1);
	CHECK_EQ(f.revents, POLLHUP);
	/* POLLHUP is reported even when not asked for. */
	f.events = 0;
	CHECK_EQ(poll(&f, 1, 0), 1);
	CHECK_EQ(f.revents, POLLHUP);
	close(p[0]);
}

TEST(poll_err_after_reader_close)
{
	int p[2];
	CHECK_OK(pipe(p));
	close(p[0]);
	struct pollfd f = {p[1], POLLOUT, 0};
	CHECK_EQ(poll(&f, 1, -1), 1);
	CHECK(f.revents & POLLERR);
	CHECK(f.revents & POLLOUT);
	close(p[1]);
}

TEST(poll_nval)
{
	int p[2];
	CHECK_OK(pipe(p));
	int bad = p[1] + 10;
	close(bad);
	struct pollfd f[3] = {{bad, POLLIN, 0}, {-1, POLLIN, 0x55}, {p[1], POLLOUT, 0}};
	CHECK_EQ(poll(f, 3, -1), 2);
	CHECK_EQ(f[0].revents, POLLNVAL);
	/* A negative fd is skipped and its revents cleared. */
	CHECK_EQ(f[1].revents, 0);
	CHECK_EQ(f[2].revents, POLLOUT);
	close2(p);
}

TEST(poll_errors)
{
	struct rlimit rl;
	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK_ERRNO(syscall(SYS_poll, (void *)8, 1, 0), EFAULT);
	if (rl.rlim_cur < (1u << 20)) {
		static struct pollfd many[(1 << 20) + 1];
		CHECK_ERRNO(poll(many, rl.rlim_cur + 1, 0), EINVAL);
	}
	struct timespec ts = {0, 1000000000L};
	struct pollfd f = {0, 0, 0};
	CHECK_ERRNO(ppoll(&f, 1, &ts, NULL), EINVAL);
	sigset_t m;
	sigemptyset(&m);
	ts.tv_nsec = 0;
	CHECK_ERRNO(syscall(SYS_ppoll, &f, 1, &ts, &m, 4), EINVAL);
}

/* A child writes later: the parent's blocking poll is woken. */
TEST(poll_woken_by_writer)
{
	int p[2];
	CHECK_OK(pipe(p));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		usleep(30000);
		_exit(write(p[1], "w", 1) == 1 ? 0 : 1);
	}
	struct pollfd f = {p[0], POLLIN, 0};
	CHECK_EQ(poll(&f, 1, -1), 1);
	CHECK_EQ(f.revents, POLLIN);
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close2(p);
}

/* /dev/null is readable and writable at once; mixed with a pipe that is
 * not ready, poll sleeps on both and wakes for the pipe. */
TEST(poll_devnull_and_pipe)
{
	int null = CHECK_OK(open("/dev/null", O_RDWR));
	struct pollfd f = {null, POLLIN | POLLOUT, 0};
	CHECK_EQ(poll(&f, 1, -1), 1);
	CHECK_EQ(f.revents, POLLIN | POLLOUT);
	int p[2];
	CHECK_OK(pipe(p));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		usleep(30000);
		_exit(write(p[1], "w", 1) == 1 ? 0 : 1);
	}
	/* POLLPRI never comes on /dev/null: only the pipe can end this. */
	struct pollfd g[2] = {{null, POLLPRI, 0}, {p[0], POLLIN, 0}};
	CHECK_EQ(poll(g, 2, -1), 1);
	CHECK_EQ(g[0].revents, 0);
	CHECK_EQ(g[1].revents, POLLIN);
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* And a timeout with only a host fd that never becomes ready. */
	long t0 = now_ms();
	CHECK_EQ(poll(g, 1, 30), 0);
	CHECK(now_ms() - t0 >= 30);
	close2(p);
	close(null);
}

TEST(ppoll_basic)
{
	int p[2];
	CHECK_OK(pipe(p));
	struct pollfd f = {p[0], POLLIN, 0};
	struct timespec ts = {0, 0};
	CHECK_EQ(ppoll(&f, 1, &ts, NULL), 0);
	ts.tv_nsec = 50000000;
	long t0 = now_us();
	CHECK_EQ(ppoll(&f, 1, &ts, NULL), 0);
	CHECK(now_us() - t0 >= 50000);
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK_EQ(ppoll(&f, 1, NULL, NULL), 1);
	CHECK_EQ(f.revents, POLLIN);
	close2(p);
}

static volatile sig_atomic_t usr1s;
static void on_usr1(int sig) { usr1s++; }

static bool usr1_blocked(void)
{
	sigset_t cur;
	sigprocmask(SIG_BLOCK, NULL, &cur);
	return sigismember(&cur, SIGUSR1);
}

/* SIGUSR1 is blocked and pending; ppoll's mask unblocks it, so the wait
 * ends with EINTR after the handler ran, and the old mask is back. */
TEST(ppoll_sigmask_unblocks)
{
	int p[2];
	sigset_t block, during;
	struct sigaction sa = {.sa_handler = on_usr1}, old;
	CHECK_OK(pipe(p));
	CHECK_OK(sigaction(SIGUSR1, &sa, &old));
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	CHECK_OK(sigprocmask(SIG_BLOCK, &block, NULL));
	usr1s = 0;
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_EQ(usr1s, 0);
	sigemptyset(&during);
	struct pollfd f = {p[0], POLLIN, 0};
	CHECK_ERRNO(ppoll(&f, 1, NULL, &during), EINTR);
	CHECK_EQ(usr1s, 1);
	CHECK(usr1_blocked());
	/* The same through pselect. */
	CHECK_OK(kill(getpid(), SIGUSR1));
	fd_set rd;
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	CHECK_ERRNO(pselect(p[0] + 1, &rd, NULL, NULL, NULL, &during), EINTR);
	CHECK_EQ(usr1s, 2);
	CHECK(usr1_blocked());
	/* A mask that keeps it blocked: the timeout ends the wait. */
	struct timespec ts = {0, 10000000};
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_EQ(ppoll(&f, 1, &ts, &block), 0);
	CHECK_EQ(usr1s, 2);
	CHECK_OK(sigprocmask(SIG_UNBLOCK, &block, NULL));
	CHECK_EQ(usr1s, 3);
	CHECK_OK(sigaction(SIGUSR1, &old, NULL));
	close2(p);
}

/* A signal from another process interrupts a blocking poll (with a
 * handler installed, poll is never restarted: EINTR). */
TEST(poll_interrupted_by_signal)
{
	int p[2];
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = SA_RESTART}, old;
	CHECK_OK(pipe(p));
	CHECK_OK(sigaction(SIGUSR1, &sa, &old));
	usr1s = 0;
	pid_t parent = getpid();
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		/* Keep signalling until the parent stops polling (it writes). */
		for (int i = 0; i < 500; i++) {
			kill(parent, SIGUSR1);
			usleep(20000);
			struct pollfd q = {p[0], POLLIN, 0};
			if (poll(&q, 1, 0) == 1)
				_exit(0);
		}
		_exit(1);
	}
	struct pollfd f = {p[0], POLLIN, 0};
	int r = poll(&f, 1, -1);
	CHECK_EQ(r, -1);
	CHECK_EQ(errno, EINTR);
	CHECK(usr1s >= 1);
	CHECK_EQ(write(p[1], "done", 4), 4);
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_OK(sigaction(SIGUSR1, &old, NULL));
	close2(p);
}

TEST(select_basic)
{
	int p[2];
	fd_set rd, wr;
	CHECK_OK(pipe(p));
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(p[0], &rd);
	FD_SET(p[1], &wr);
	struct timeval tv = {0, 0};
	CHECK_EQ(select(p[1] + 1, &rd, &wr, NULL, &tv), 1);
	CHECK(!FD_ISSET(p[0], &rd));
	CHECK(FD_ISSET(p[1], &wr));
	CHECK_EQ(write(p[1], "x", 1), 1);
	FD_SET(p[0], &rd);
	FD_SET(p[1], &wr);
	CHECK_EQ(select(p[1] + 1, &rd, &wr, NULL, NULL), 2);
	CHECK(FD_ISSET(p[0], &rd));
	CHECK(FD_ISSET(p[1], &wr));
	/* Both read and write asked of one fd count twice. */
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(p[1], &rd);
	FD_SET(p[1], &wr);
	CHECK_EQ(select(p[1] + 1, &rd, &wr, NULL, NULL), 1);
	CHECK(!FD_ISSET(p[1], &rd));
	close2(p);
}

TEST(select_timeout_updates_timeval)
{
	int p[2];
	fd_set rd;
	CHECK_OK(pipe(p));
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	struct timeval tv = {0, 50000};
	long t0 = now_us();
	CHECK_EQ(select(p[0] + 1, &rd, NULL, NULL, &tv), 0);
	CHECK(now_us() - t0 >= 50000);
	CHECK(!FD_ISSET(p[0], &rd));
	CHECK_EQ(tv.tv_sec, 0);
	CHECK_EQ(tv.tv_usec, 0);
	/* Ready at once: the time left is (almost) all of it. */
	CHECK_EQ(write(p[1], "x", 1), 1);
	FD_SET(p[0], &rd);
	tv = (struct timeval){10, 0};
	CHECK_EQ(select(p[0] + 1, &rd, NULL, NULL, &tv), 1);
	CHECK(tv.tv_sec >= 9 && tv.tv_sec <= 10);
	tv = (struct timeval){0, -1};
	CHECK_ERRNO(select(0, NULL, NULL, NULL, &tv), EINVAL);
	close2(p);
}

TEST(select_hup_err)
{
	int p[2], q[2];
	fd_set rd, wr;
	CHECK_OK(pipe(p));
	CHECK_OK(pipe(q));
	close(p[1]); /* p[0] hangs up: readable */
	close(q[0]); /* q[1] has no reader: writable (error) */
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(p[0], &rd);
	FD_SET(q[1], &wr);
	int n = p[0] > q[1] ? p[0] : q[1];
	CHECK_EQ(select(n + 1, &rd, &wr, NULL, NULL), 2);
	CHECK(FD_ISSET(p[0], &rd));
	CHECK(FD_ISSET(q[1], &wr));
	close(p[0]);
	close(q[1]);
}

TEST(select_ebadf)
{
	int p[2];
	fd_set rd;
	CHECK_OK(pipe(p));
	int bad = p[1] + 5;
	close(bad);
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	FD_SET(bad, &rd);
	CHECK_ERRNO(select(bad + 1, &rd, NULL, NULL, NULL), EBADF);
	CHECK_ERRNO(select(-1, NULL, NULL, NULL, NULL), EINVAL);
	CHECK_ERRNO(syscall(SYS_select, p[0] + 1, (void *)8, NULL, NULL, NULL), EFAULT);
	close2(p);
}

/* Descriptors past the first 64-bit word of the sets. */
TEST(select_high_fds)
{
	int p[2];
	fd_set rd, wr;
	CHECK_OK(pipe(p));
	CHECK_OK(dup2(p[0], 100));
	CHECK_OK(dup2(p[1], 130));
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(100, &rd);
	FD_SET(130, &wr);
	struct timeval tv = {0, 0};
	CHECK_EQ(select(131, &rd, &wr, NULL, &tv), 1);
	CHECK(!FD_ISSET(100, &rd));
	CHECK(FD_ISSET(130, &wr));
	CHECK_EQ(write(130, "hi", 2), 2);
	FD_SET(100, &rd);
	CHECK_EQ(select(131, &rd, &wr, NULL, NULL), 2);
	CHECK(FD_ISSET(100, &rd));
	CHECK(FD_ISSET(130, &wr));
	/* nfds cuts the sets: fd 130 is not looked at. */
	FD_ZERO(&rd);
	FD_ZERO(&wr);
	FD_SET(130, &wr);
	tv = (struct timeval){0, 0};
	CHECK_EQ(select(101, &rd, &wr, NULL, &tv), 0);
	close(100);
	close(130);
	close2(p);
}

TEST(pselect_timeout)
{
	int p[2];
	fd_set rd;
	CHECK_OK(pipe(p));
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	struct timespec ts = {0, 50000000};
	long t0 = now_us();
	CHECK_EQ(pselect(p[0] + 1, &rd, NULL, NULL, &ts, NULL), 0);
	CHECK(now_us() - t0 >= 50000);
	CHECK(!FD_ISSET(p[0], &rd));
	CHECK_EQ(write(p[1], "x", 1), 1);
	FD_SET(p[0], &rd);
	ts = (struct timespec){0, 0};
	CHECK_EQ(pselect(p[0] + 1, &rd, NULL, NULL, &ts, NULL), 1);
	CHECK(FD_ISSET(p[0], &rd));
	/* The raw call: 6th argument {mask pointer, size}. */
	sigset_t m;
	sigemptyset(&m);
	struct {
		void *ss;
		size_t len;
	} arg = {&m, 4};
	ts = (struct timespec){0, 0};
	CHECK_ERRNO(syscall(SYS_pselect6, p[0] + 1, &rd, NULL, NULL, &ts, &arg), EINVAL);
	arg.len = 8;
	FD_SET(p[0], &rd);
	CHECK_EQ(syscall(SYS_pselect6, p[0] + 1, &rd, NULL, NULL, &ts, &arg), 1);
	CHECK_ERRNO(syscall(SYS_pselect6, p[0] + 1, &rd, NULL, NULL, &ts, (void *)8), EFAULT);
	close2(p);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, poll_ready_and_not, poll_timeout_elapses,
			 poll_hup_after_writer_close, poll_err_after_reader_close, poll_nval,
			 poll_errors, poll_woken_by_writer, poll_devnull_and_pipe, ppoll_basic,
			 ppoll_sigmask_unblocks, poll_interrupted_by_signal, select_basic,
			 select_timeout_updates_timeval, select_hup_err, select_ebadf,
			 select_high_fds, pselect_timeout);
}
