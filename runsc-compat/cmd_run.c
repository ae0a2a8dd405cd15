/* `cvisor run`: create + start, then (without --detach) wait for the
 * container, delete it and exit with its status. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runsc-compat/cmd.h"
#include "runsc-compat/errors.h"
#include "runsc-compat/launch.h"

static volatile sig_atomic_t run_sentry;

/* Signals sent to `cvisor run` go to the container, as runc does. */
static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	/* The terminal's ^C reaches the sentry itself too. */
	if (run_sentry > 0 && si->si_code != SI_KERNEL)
		kill(run_sentry, sig);
}

int cmd_run(struct cli_opts *o, int argc, char **argv, int i)
{
	struct create_args a = {0};
	bool detach = false, keep = false;
	const struct flag f[] = {
	    {"detach", FLAG_BOOL, &detach},
	    {"d", FLAG_BOOL, &detach},
	    {"keep", FLAG_BOOL, &keep},
	    {NULL, FLAG_BOOL, NULL},
	};
	int r = lifecycle_create_args(o, argc, argv, i, f,
				      "cvisor run [--bundle DIR] [--detach] [--pid-file FILE] "
				      "[--console-socket SOCK] ID",
				      &a);
	if (r)
		return r;
	a.foreground = !detach;
	pid_t sentry, gofer;
	/* Signals wait until the sentry can take them. */
	static const int fwd[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
	sigset_t block, old;
	sigemptyset(&block);
	for (size_t k = 0; k < sizeof fwd / sizeof *fwd; k++)
		sigaddset(&block, fwd[k]);
	signal(SIGCHLD, SIG_DFL);
	sigprocmask(SIG_BLOCK, &block, &old);
	if ((r = lifecycle_create(o, &a, &sentry, &gofer))) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return r;
	}
	if ((r = lifecycle_start(o, a.id))) {
		lifecycle_delete(o, a.id, true);
		return r;
	}
	if (detach)
		return 0;
	run_sentry = sentry;
	struct sigaction sa = {.sa_sigaction = forward, .sa_flags = SA_SIGINFO | SA_RESTART};
	sigemptyset(&sa.sa_mask);
	for (size_t k = 0; k < sizeof fwd / sizeof *fwd; k++)
		sigaction(fwd[k], &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);

	int st = 0;
	while (waitpid(sentry, &st, 0) < 0 && errno == EINTR)
		;
	run_sentry = 0;
	/* The sentry is gone, so the gofer has nobody left to serve. */
	kill(gofer, SIGKILL);
	while (waitpid(gofer, NULL, 0) < 0 && errno == EINTR)
		;
	if (!keep)
		lifecycle_delete(o, a.id, true);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
