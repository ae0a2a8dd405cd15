/* signal_state_test: rt_sigaction and rt_sigprocmask state, without delivering signals. */
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "testlib.h"

/* The kernel's struct sigaction for x86-64 (not glibc's). */
struct k_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

#define BIT(sig) (1ull << ((sig)-1))

static void handler(int sig)
{
	(void)sig;
}

static void restorer(void)
{
}

TEST(sigaction_round_trip)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sa.sa_flags = SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaddset(&sa.sa_mask, SIGTERM);
	CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
	CHECK_OK(sigaction(SIGUSR1, NULL, &old));
	CHECK(old.sa_handler == handler);
	CHECK_EQ(old.sa_flags & (SA_RESTART | SA_NODEFER | SA_SIGINFO), SA_RESTART | SA_NODEFER);
	CHECK(sigismember(&old.sa_mask, SIGUSR2));
	CHECK(sigismember(&old.sa_mask, SIGTERM));
	CHECK(!sigismember(&old.sa_mask, SIGINT));

	/* Setting returns the previous action. */
	sa.sa_handler = SIG_IGN;
	sa.sa_flags = 0;
	sigemptyset(&sa.sa_mask);
	CHECK_OK(sigaction(SIGUSR1, &sa, &old));
	CHECK(old.sa_handler == handler);
	CHECK_OK(sigaction(SIGUSR1, NULL, &old));
	CHECK(old.sa_handler == SIG_IGN);
	sa.sa_handler = SIG_DFL;
	CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
	CHECK_OK(sigaction(SIGUSR1, NULL, &old));
	CHECK(old.sa_handler == SIG_DFL);
	/* Real-time signals have dispositions too. */
	CHECK_OK(sigaction(SIGRTMAX, NULL, &old));
	CHECK(old.sa_handler == SIG_DFL);
}

TEST(raw_sigaction)
{
	struct k_sigaction act = {0}, old;

	act.handler = (void *)handler;
	act.flags = SA_SIGINFO | SA_ONSTACK | 0x04000000 /* SA_RESTORER */;
	act.restorer = (void *)restorer;
	act.mask = BIT(SIGUSR1) | BIT(SIGKILL) | BIT(SIGSTOP) | BIT(40);
	CHECK_OK(syscall(SYS_rt_sigaction, SIGUSR2, &act, NULL, 8));
	memset(&old, 0, sizeof old);
	CHECK_OK(syscall(SYS_rt_sigaction, SIGUSR2, NULL, &old, 8));
	CHECK(old.handler == (void *)handler);
	CHECK_EQ(old.flags, act.flags);
	CHECK(old.restorer == (void *)restorer);
	/* SIGKILL and SIGSTOP can never be blocked, not even during a handler. */
	CHECK_EQ(old.mask, BIT(SIGUSR1) | BIT(40));
	act.handler = SIG_DFL;
	act.mask = 0;
	CHECK_OK(syscall(SYS_rt_sigaction, SIGUSR2, &act, &old, 8));
	CHECK(old.handler == (void *)handler);
	CHECK_ERRNO(syscall(SYS_rt_sigaction, SIGUSR2, NULL, &old, 4), EINVAL);
	CHECK_ERRNO(syscall(SYS_rt_sigaction, SIGUSR2, NULL, &old, 16), EINVAL);
	CHECK_ERRNO(syscall(SYS_rt_sigaction, SIGUSR2, (void *)1, NULL, 8), EFAULT);
	CHECK_ERRNO(syscall(SYS_rt_sigaction, SIGUSR2, NULL, (void *)1, 8), EFAULT);
}

TEST(sigaction_invalid)
{
	struct k_sigaction act = {0}, old;

	act.handler = SIG_IGN;
	CHECK_ERRNO(syscall(SYS_rt_sigaction, SIGKILL, &act, NULL, 8), EINVAL);
	CHECK_ERRNO(syscall(SYS_rt_sigaction, SIGSTOP, &act, NULL, 8), EINVAL);
	/* Reading their disposition is allowed. */
	CHECK_OK(syscall(SYS_rt_sigaction, SIGKILL, NULL, &old, 8));
	CHECK(old.handler == SIG_DFL);
	CHECK_ERRNO(syscall(SYS_rt_sigaction, 0, NULL, &old, 8), EINVAL);
	CHECK_ERRNO(syscall(SYS_rt_sigaction, 65, NULL, &old, 8), EINVAL);
	CHECK_ERRNO(syscall(SYS_rt_sigaction, -1, NULL, &old, 8), EINVAL);
	CHECK_ERRNO(sigaction(SIGKILL, &(struct sigaction){.sa_handler = SIG_IGN}, NULL), EINVAL);
}

static uint64_t get_mask(void)
{
	uint64_t m = ~0ull;

	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &m, 8));
	return m;
}

TEST(sigprocmask_state)
{
	uint64_t set, old, orig = get_mask();

	set = BIT(SIGUSR1) | BIT(SIGTERM);
	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &old, 8));
	CHECK_EQ(old, orig);
	CHECK_EQ(get_mask(), orig | set);
	set = BIT(SIGTERM);
	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, NULL, 8));
	CHECK_EQ(get_mask(), (orig | BIT(SIGUSR1)) & ~BIT(SIGTERM));
	/* SIG_SETMASK drops SIGKILL and SIGSTOP silently. */
	set = BIT(SIGKILL) | BIT(SIGSTOP) | BIT(SIGHUP) | BIT(50);
	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, NULL, 8));
	CHECK_EQ(get_mask(), BIT(SIGHUP) | BIT(50));
	set = ~0ull;
	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 8));
	CHECK_EQ(get_mask(), ~(BIT(SIGKILL) | BIT(SIGSTOP)));

	/* Errors leave the mask alone. */
	set = 0;
	CHECK_ERRNO(syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8), EINVAL);
	CHECK_ERRNO(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, NULL, 4), EINVAL);
	CHECK_ERRNO(syscall(SYS_rt_sigprocmask, SIG_SETMASK, (void *)1, NULL, 8), EFAULT);
	CHECK_EQ(get_mask(), ~(BIT(SIGKILL) | BIT(SIGSTOP)));
	/* An invalid how is ignored when there is no new set. */
	CHECK_OK(syscall(SYS_rt_sigprocmask, 99, NULL, &old, 8));

	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &orig, NULL, 8));
	CHECK_EQ(get_mask(), orig);

	/* And through glibc. */
	sigset_t s, o;
	sigemptyset(&s);
	sigaddset(&s, SIGUSR2);
	CHECK_OK(sigprocmask(SIG_BLOCK, &s, &o));
	CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &o));
	CHECK(sigismember(&o, SIGUSR2));
	CHECK_OK(sigprocmask(SIG_UNBLOCK, &s, NULL));
	CHECK_OK(sigprocmask(SIG_BLOCK, NULL, &o));
	CHECK(!sigismember(&o, SIGUSR2));
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, sigaction_round_trip, raw_sigaction, sigaction_invalid,
			 sigprocmask_state);
}
