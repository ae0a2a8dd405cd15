/* POSIX message queues: mq_open/send/receive/notify/getsetattr/unlink. */
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>

#include "testlib.h"

static char qname[64];

static const char *name(const char *tag)
{
	snprintf(qname, sizeof qname, "/cvt-%s-%d-%ld", tag, (int)getpid(), (long)random());
	return qname;
}

TEST(mq_priorities_and_attrs)
{
	const char *n = name("prio");
	struct mq_attr at = {.mq_maxmsg = 4, .mq_msgsize = 16}, got;
	mqd_t q = CHECK_OK(mq_open(n, O_CREAT | O_EXCL | O_RDWR, 0600, &at));
	CHECK_ERRNO(mq_open(n, O_CREAT | O_EXCL | O_RDWR, 0600, &at), EEXIST);
	CHECK_OK(mq_getattr(q, &got));
	CHECK_EQ(got.mq_maxmsg, 4);
	CHECK_EQ(got.mq_msgsize, 16);
	CHECK_EQ(got.mq_curmsgs, 0);
	CHECK_EQ(got.mq_flags, 0);
	CHECK_OK(mq_send(q, "low1", 5, 1));
	CHECK_OK(mq_send(q, "high", 5, 9));
	CHECK_OK(mq_send(q, "low2", 5, 1));
	CHECK_OK(mq_send(q, "mid", 4, 5));
	CHECK_OK(mq_getattr(q, &got));
	CHECK_EQ(got.mq_curmsgs, 4);
	char buf[16];
	unsigned prio;
	CHECK_ERRNO(mq_receive(q, buf, 15, &prio), EMSGSIZE);
	CHECK_ERRNO(mq_send(q, "0123456789abcdefg", 17, 0), EMSGSIZE);
	CHECK_ERRNO(mq_send(q, "x", 1, 32768), EINVAL);
	CHECK_EQ(mq_receive(q, buf, 16, &prio), 5);
	CHECK_STREQ(buf, "high");
	CHECK_EQ(prio, 9);
	CHECK_EQ(mq_receive(q, buf, 16, &prio), 4);
	CHECK_STREQ(buf, "mid");
	CHECK_EQ(mq_receive(q, buf, 16, &prio), 5);
	CHECK_STREQ(buf, "low1");
	CHECK_EQ(mq_receive(q, buf, 16, NULL), 5);
	CHECK_STREQ(buf, "low2");
	/* O_NONBLOCK through mq_setattr. */
	struct mq_attr nb = {.mq_flags = O_NONBLOCK}, old;
	CHECK_OK(mq_setattr(q, &nb, &old));
	CHECK_EQ(old.mq_flags, 0);
	CHECK_ERRNO(mq_receive(q, buf, 16, NULL), EAGAIN);
	CHECK_OK(mq_getattr(q, &got));
	CHECK_EQ(got.mq_flags, O_NONBLOCK);
	for (int i = 0; i < 4; i++)
		CHECK_OK(mq_send(q, "f", 1, 0));
	CHECK_ERRNO(mq_send(q, "f", 1, 0), EAGAIN);
	/* A write-only descriptor cannot receive; the queue persists
	 * across closes until unlinked. */
	mqd_t w = CHECK_OK(mq_open(n, O_WRONLY));
	CHECK_ERRNO(mq_receive(w, buf, 16, NULL), EBADF);
	CHECK_OK(mq_close(w));
	CHECK_OK(mq_close(q));
	q = CHECK_OK(mq_open(n, O_RDONLY));
	CHECK_OK(mq_getattr(q, &got));
	CHECK_EQ(got.mq_curmsgs, 4);
	CHECK_ERRNO(mq_send(q, "f", 1, 0), EBADF);
	CHECK_OK(mq_unlink(n));
	CHECK_ERRNO(mq_unlink(n), ENOENT);
	CHECK_ERRNO(mq_open(n, O_RDONLY), ENOENT);
	/* Still usable through the open descriptor. */
	CHECK_EQ(mq_receive(q, buf, 16, NULL), 1);
	CHECK_OK(mq_close(q));
	CHECK_ERRNO(mq_getattr(0 + 1000, &got), EBADF);
	struct mq_attr bad = {.mq_maxmsg = 0, .mq_msgsize = 16};
	CHECK_ERRNO(mq_open(n, O_CREAT | O_RDWR, 0600, &bad), EINVAL);
	/* Defaults: 10 messages of 8192 bytes. */
	q = CHECK_OK(mq_open(n, O_CREAT | O_RDWR, 0600, NULL));
	CHECK_OK(mq_getattr(q, &got));
	CHECK_EQ(got.mq_maxmsg, 10);
	CHECK_EQ(got.mq_msgsize, 8192);
	CHECK_OK(mq_close(q));
	CHECK_OK(mq_unlink(n));
}

TEST(mq_blocking_and_timeouts)
{
	const char *n = name("blk");
	struct mq_attr at = {.mq_maxmsg = 1, .mq_msgsize = 8};
	mqd_t q = CHECK_OK(mq_open(n, O_CREAT | O_RDWR, 0600, &at));
	struct timespec ts, t0, t1;
	char buf[8];
	clock_gettime(CLOCK_REALTIME, &ts);
	t0 = ts;
	ts.tv_nsec += 20 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	CHECK_ERRNO(mq_timedreceive(q, buf, 8, NULL, &ts), ETIMEDOUT);
	clock_gettime(CLOCK_REALTIME, &t1);
	CHECK((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) >= 20000000L);
	struct timespec badts = {0, 2000000000L};
	CHECK_ERRNO(mq_timedreceive(q, buf, 8, NULL, &badts), EINVAL);
	CHECK_OK(mq_send(q, "one", 4, 0));
	CHECK_ERRNO(mq_timedsend(q, "two", 4, 0, &ts), ETIMEDOUT);
	/* A blocked sender proceeds once a receiver makes room. */
	pid_t c = CHECK_OK(fork());
	if (c == 0) {
		CCHECK(mq_send(q, "two", 4, 3) == 0);
		_exit(0);
	}
	usleep(20000);
	CHECK_EQ(mq_receive(q, buf, 8, NULL), 4);
	CHECK_STREQ(buf, "one");
	WAIT_EXIT(c, 0);
	unsigned prio;
	CHECK_EQ(mq_receive(q, buf, 8, &prio), 4);
	CHECK_STREQ(buf, "two");
	CHECK_EQ(prio, 3);
	/* A blocked receiver, and poll. */
	struct pollfd pfd = {.fd = q, .events = POLLIN | POLLOUT};
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK_EQ(pfd.revents, POLLOUT);
	c = CHECK_OK(fork());
	if (c == 0) {
		usleep(20000);
		CCHECK(mq_send(q, "three", 6, 0) == 0);
		_exit(0);
	}
	pfd.events = POLLIN;
	CHECK_EQ(poll(&pfd, 1, 5000), 1);
	CHECK_EQ(pfd.revents, POLLIN);
	CHECK_EQ(mq_receive(q, buf, 8, NULL), 6);
	CHECK_STREQ(buf, "three");
	WAIT_EXIT(c, 0);
	CHECK_OK(mq_close(q));
	CHECK_OK(mq_unlink(n));
}

static volatile sig_atomic_t got_sig, got_code, got_val;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	got_sig = sig;
	got_code = si->si_code;
	got_val = si->si_value.sival_int;
}

TEST(mq_notify_signal)
{
	const char *n = name("ntf");
	mqd_t q = CHECK_OK(mq_open(n, O_CREAT | O_RDWR, 0600, NULL));
	struct sigaction sa = {.sa_sigaction = on_usr1, .sa_flags = SA_SIGINFO | SA_RESTART};
	CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1};
	ev.sigev_value.sival_int = 77;
	CHECK_OK(mq_notify(q, &ev));
	CHECK_ERRNO(mq_notify(q, &ev), EBUSY);
	pid_t c = CHECK_OK(fork());
	if (c == 0) {
		CCHECK(mq_send(q, "hi", 3, 0) == 0);
		_exit(0);
	}
	WAIT_EXIT(c, 0);
	for (int i = 0; i < 5000 && !got_sig; i++)
		usleep(1000);
	CHECK_EQ(got_sig, SIGUSR1);
	CHECK_EQ(got_code, SI_MESGQ);
	CHECK_EQ(got_val, 77);
	/* One-shot: registering again is allowed now. */
	CHECK_OK(mq_notify(q, &ev));
	CHECK_OK(mq_notify(q, NULL));
	CHECK_OK(mq_notify(q, &ev));
	CHECK_OK(mq_notify(q, NULL));
	ev.sigev_signo = 65;
	CHECK_ERRNO(mq_notify(q, &ev), EINVAL);
	signal(SIGUSR1, SIG_DFL);
	CHECK_OK(mq_close(q));
	CHECK_OK(mq_unlink(n));
}

TEST(mq_names_and_perms)
{
	CHECK_ERRNO(mq_open("noslash", O_RDONLY), EINVAL); /* glibc's check */
	CHECK_ERRNO(mq_open("/a/b", O_CREAT | O_RDONLY, 0600, NULL), EACCES);
	char longname[300] = "/";
	memset(longname + 1, 'x', 290);
	CHECK_ERRNO(mq_open(longname, O_CREAT | O_RDONLY, 0600, NULL), ENAMETOOLONG);
	const char *n = name("perm");
	mqd_t q = CHECK_OK(mq_open(n, O_CREAT | O_RDWR, 0640, NULL));
	if (geteuid() == 0) {
		pid_t c = CHECK_OK(fork());
		if (c == 0) {
			CCHECK(setgroups(0, NULL) == 0);
			CCHECK(setresgid(65534, 65534, 65534) == 0);
			CCHECK(setresuid(65534, 65534, 65534) == 0);
			CCHECK(mq_open(n, O_RDONLY) == (mqd_t)-1 && errno == EACCES);
			CCHECK(mq_unlink(n) == -1 && errno == EACCES);
			_exit(0);
		}
		WAIT_EXIT(c, 0);
	}
	CHECK_OK(mq_close(q));
	CHECK_OK(mq_unlink(n));
}

int main(int argc, char **argv)
{
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	return RUN_TESTS(argc, argv, mq_priorities_and_attrs, mq_blocking_and_timeouts,
			 mq_notify_signal, mq_names_and_perms);
}
