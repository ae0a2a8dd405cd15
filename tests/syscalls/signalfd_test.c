/* signalfd: reading blocked signals sent with kill (signo, pid, code),
 * dequeuing, poll readiness, mask updates, nonblocking EAGAIN, errors. */
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>

#include "testlib.h"

static void block(int sig, sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, sig);
	sigprocmask(SIG_BLOCK, set, NULL);
}

TEST(read_kill)
{
	sigset_t set;
	block(SIGUSR1, &set);
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	struct signalfd_siginfo si;
	CHECK_ERRNO(read(fd, &si, sizeof si), EAGAIN);
	struct pollfd p = {.fd = fd, .events = POLLIN};
	CHECK_EQ(poll(&p, 1, 0), 0);
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN);
	CHECK_EQ(read(fd, &si, sizeof si), sizeof si);
	CHECK_EQ(si.ssi_signo, SIGUSR1);
	CHECK_EQ(si.ssi_pid, getpid());
	CHECK_EQ(si.ssi_uid, getuid());
	CHECK_EQ(si.ssi_code, SI_USER);
	/* Dequeued: nothing left. */
	sigset_t pend;
	sigpending(&pend);
	CHECK(!sigismember(&pend, SIGUSR1));
	CHECK_ERRNO(read(fd, &si, sizeof si), EAGAIN);
	CHECK_ERRNO(read(fd, &si, 8), EINVAL);
	close(fd);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

TEST(mask_and_epoll)
{
	sigset_t s1, s2;
	block(SIGUSR1, &s1);
	block(SIGUSR2, &s2);
	int fd = signalfd(-1, &s1, SFD_NONBLOCK);
	CHECK(fd >= 0);
	CHECK_OK(kill(getpid(), SIGUSR2));
	struct signalfd_siginfo si[2];
	CHECK_ERRNO(read(fd, si, sizeof si), EAGAIN);
	int ep = epoll_create1(0);
	struct epoll_event e = {.events = EPOLLIN, .data.u64 = 8};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e));
	CHECK_EQ(epoll_wait(ep, &e, 1, 0), 0);
	/* Change the mask of the existing signalfd. */
	CHECK_EQ(signalfd(fd, &s2, 0), fd);
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_EQ(epoll_wait(ep, &e, 1, 1000), 1);
	CHECK_EQ(e.data.u64, 8);
	CHECK_EQ(read(fd, si, sizeof si), sizeof si[0]);
	CHECK_EQ(si[0].ssi_signo, SIGUSR2);
	/* SIGUSR1 is still pending, for the process. */
	sigset_t pend;
	sigpending(&pend);
	CHECK(sigismember(&pend, SIGUSR1));
	CHECK_EQ(signalfd(fd, &s1, 0), fd);
	CHECK_EQ(read(fd, si, sizeof si), sizeof si[0]);
	CHECK_EQ(si[0].ssi_signo, SIGUSR1);
	close(ep);
	close(fd);
	sigprocmask(SIG_UNBLOCK, &s1, NULL);
	sigprocmask(SIG_UNBLOCK, &s2, NULL);
}

TEST(blocking_read_child_kill)
{
	sigset_t set;
	block(SIGUSR1, &set);
	int fd = signalfd(-1, &set, 0);
	CHECK(fd >= 0);
	pid_t parent = getpid();
	pid_t pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(30000);
		_exit(kill(parent, SIGUSR1) ? 1 : 0);
	}
	struct signalfd_siginfo si;
	CHECK_EQ(read(fd, &si, sizeof si), sizeof si);
	CHECK_EQ(si.ssi_signo, SIGUSR1);
	CHECK_EQ(si.ssi_pid, pid);
	WAIT_EXIT(pid, 0);
	close(fd);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

TEST(errors)
{
	sigset_t set;
	sigemptyset(&set);
	CHECK_ERRNO(signalfd(-1, &set, 0x1234), EINVAL);
	CHECK_ERRNO(syscall(SYS_signalfd4, -1, &set, 4, 0), EINVAL);
	CHECK_ERRNO(signalfd(0, &set, 0), EINVAL);
	CHECK_ERRNO(signalfd(999, &set, 0), EBADF);
}

/* A child's exit makes SIGCHLD pending: an epoll_wait and a poll on a
 * signalfd for it wake at once (the long timeouts are never reached). */
TEST(sigchld_wakes_epoll_and_poll)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	CHECK_OK(sigprocmask(SIG_BLOCK, &set, &old));
	int sfd = CHECK_OK(signalfd(-1, &set, SFD_NONBLOCK));
	int ep = CHECK_OK(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev));
	for (int round = 0; round < 2; round++) {
		int go;
		pid_t pid = CHECK_OK(tl_fork_held(&go));
		if (pid == 0)
			_exit(3 + round);
		CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 0);
		/* Release the child only now: we are about to sleep. */
		CHECK_EQ(write(go, "g", 1), 1);
		close(go);
		if (round == 0) {
			CHECK_EQ(epoll_wait(ep, &ev, 1, 20000), 1);
			CHECK_EQ(ev.data.u64, 42);
			CHECK_EQ(ev.events, EPOLLIN);
		} else {
			struct pollfd pfd = {.fd = sfd, .events = POLLIN};
			CHECK_EQ(poll(&pfd, 1, 20000), 1);
			CHECK_EQ(pfd.revents, POLLIN);
		}
		struct signalfd_siginfo si;
		CHECK_EQ(read(sfd, &si, sizeof si), (ssize_t)sizeof si);
		CHECK_EQ(si.ssi_signo, SIGCHLD);
		CHECK_EQ(si.ssi_pid, pid);
		CHECK_EQ(si.ssi_code, CLD_EXITED);
		CHECK_EQ(si.ssi_status, 3 + round);
		WAIT_EXIT(pid, 3 + round);
	}
	close(ep);
	close(sfd);
	CHECK_OK(sigprocmask(SIG_SETMASK, &old, NULL));
}

int main(int argc, char **argv)
{
	RUN_TESTS(argc, argv, read_kill, mask_and_epoll, blocking_read_child_kill, errors,
		  sigchld_wakes_epoll_and_poll);
}
