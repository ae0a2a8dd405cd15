/* `cvisor do`: run one command sandboxed on the host's read-only root. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "runsc-compat/cmd.h"

#define SELF_EXE "/proc/self/exe"

/* Terminal-style signals the launcher passes on to the sentry. */
static const int fwd_sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

/* What a child does between clone() and execve().  The child shares our
 * memory (CLONE_VM|CLONE_VFORK) so it reports a failure through err. */
struct child {
	char **argv;
	int keep_fd[2];		  /* fds to pass on (CLOEXEC cleared), or -1 */
	bool own_pgrp;		  /* out of the terminal's process group */
	pid_t parent;		  /* getppid() check, or 0 to use alive_fd */
	int alive_rfd, alive_wfd; /* launcher-liveness pipe, see start_child() */
	const sigset_t *mask;	  /* signal mask to exec with */
	int err;
	const char *op;
};

static volatile sig_atomic_t sentry_pid;
static volatile sig_atomic_t fwd_count, fwd_last;

static int child_fn(void *arg)
{
	struct child *c = arg;
	/* Nothing may outlive cvisor. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL)) {
		c->op = "prctl(PR_SET_PDEATHSIG)";
		goto fail;
	}
	/* The launcher may have died before the prctl took effect. */
	if (c->parent) {
		if (getppid() != c->parent)
			_exit(1);
	} else {
		/* In a new pid namespace getppid() is always 0: look for the hang-up
		 * of a pipe whose only write end the launcher holds instead. */
		close(c->alive_wfd);
		struct pollfd p = {.fd = c->alive_rfd, .events = POLLIN};
		if (poll(&p, 1, 0) != 0)
			_exit(1);
	}
	for (int i = 0; i < 2; i++) {
		if (c->keep_fd[i] >= 0 && fcntl(c->keep_fd[i], F_SETFD, 0)) {
			c->op = "fcntl(F_SETFD)";
			goto fail;
		}
	}
	/* Ctrl-C must not take the file server down under the sentry. */
	if (c->own_pgrp && setpgid(0, 0)) {
		c->op = "setpgid";
		goto fail;
	}
	sigprocmask(SIG_SETMASK, c->mask, NULL);
	execve(SELF_EXE, c->argv, environ);
	c->op = "exec " SELF_EXE;
fail:
	c->err = errno;
	_exit(127);
}

/* clone(CLONE_VM|CLONE_VFORK) is posix_spawn's trick: no page-table copy,
 * and we resume only once the child has exec'd (or failed, see c->err). */
static pid_t start_child(struct child *c, int ns_flags, const char *what)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	int alive[2] = {-1, -1};
	if (!c->parent && pipe2(alive, O_CLOEXEC)) {
		log_warn("do: pipe: %s", strerror(errno));
		return -1;
	}
	c->alive_rfd = alive[0];
	c->alive_wfd = alive[1];
	c->err = 0;
	pid_t pid =
	    clone(child_fn, stack + sizeof stack, CLONE_VM | CLONE_VFORK | ns_flags | SIGCHLD, c);
	int clone_err = errno;
	if (alive[0] >= 0) {
		close(alive[0]);
		close(alive[1]);
	}
	if (pid < 0) {
		log_warn("do: clone %s: %s", what, strerror(clone_err));
		return -1;
	}
	if (c->err) {
		log_warn("do: %s: %s: %s", what, c->op, strerror(c->err));
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

static void forward(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	fwd_count++;
	fwd_last = sig;
	if (sentry_pid <= 0)
		return;
	/* The sentry is pid 1 of its namespace, so until it handles these
	 * signals they do nothing; a third one ends the sandbox for good. */
	if (fwd_count >= 3) {
		kill(sentry_pid, SIGKILL);
		return;
	}
	/* Signals from the terminal reach the whole foreground process group,
	 * the sentry included; only pass on what was sent to us alone. */
	if (si->si_code != SI_KERNEL)
		kill(sentry_pid, sig);
}

static const char *sig_name(int sig, char *buf, size_t len)
{
	const char *abbrev = sigabbrev_np(sig);
	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", sig);
	return buf;
}

static void do_usage(void)
{
	printf("Usage: cvisor [global flags] do [--cwd DIR] [--] CMD [ARGS...]\n"
	       "\n"
	       "Runs CMD in a sandbox on the host's root filesystem (read-only), with\n"
	       "this terminal's stdin, stdout and stderr and the current environment.\n"
	       "Exits with CMD's status (128+N if it was killed by signal N).\n"
	       "\n"
	       "Flags:\n"
	       "  --cwd DIR           working directory inside the sandbox (default: current)\n"
	       "  (and every global flag, see cvisor --help)\n");
}

/* Makes sure socketpair() cannot land on a closed stdio fd. */
static void stdio_open(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", O_RDWR);
			if (n >= 0 && n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
	}
}

static char *abs_cwd(const char *cwd, char *buf, size_t len)
{
	char here[PATH_MAX];
	if (cwd && cwd[0] == '/')
		return (char *)cwd;
	if (!getcwd(here, sizeof here)) {
		log_warn("do: current directory: %s; starting in /", strerror(errno));
		return "/";
	}
	if (!cwd)
		snprintf(buf, len, "%s", here);
	else
		snprintf(buf, len, "%s/%s", strcmp(here, "/") ? here : "", cwd);
	return buf;
}

int cmd_do(struct cli_opts *o, int argc, char **argv, int i)
{
	const char *cwd_flag = NULL;
	const struct flag do_flags[] = {
	    {"cwd", FLAG_STR, &cwd_flag},
	    {NULL, FLAG_BOOL, NULL},
	};
	const struct flag *tables[] = {do_flags, cli_global_flags(o), NULL};
	int r = flags_parse(tables, argc, argv, &i);
	if (r)
		return r;
	if (o->help) {
		do_usage();
		return 0;
	}
	if (i >= argc) {
		fprintf(stderr, "cvisor: do: missing command (see cvisor do --help)\n");
		return 2;
	}
	if ((r = cli_setup(o)))
		return r;

	char cwd_buf[PATH_MAX + 2], fd_gofer[32], fd_sentry[32], fd_log[32], plat[64], ovl[64];
	char *cwd = abs_cwd(cwd_flag, cwd_buf, sizeof cwd_buf);
	char *cwd_arg = malloc(strlen(cwd) + 7);
	const char **sargv = malloc((argc - i + 12) * sizeof *sargv);
	if (!cwd_arg || !sargv)
		die_msg("do: out of memory");
	sprintf(cwd_arg, "--cwd=%s", cwd);

	/* Only what we pass explicitly may reach the children. */
	stdio_open();
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	signal(SIGCHLD, SIG_DFL);

	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		die("do: socketpair");
	snprintf(fd_gofer, sizeof fd_gofer, "--sock-fd=%d", sv[0]);
	snprintf(fd_sentry, sizeof fd_sentry, "--gofer-fd=%d", sv[1]);
	snprintf(fd_log, sizeof fd_log, "--debug-log-fd=%d", o->debug_fd);
	snprintf(plat, sizeof plat, "--platform=%s", o->platform);
	snprintf(ovl, sizeof ovl, "--overlay=%s", o->overlay);

	const char *gargv[8];
	int n = 0;
	gargv[n++] = argv[0];
	gargv[n++] = "__gofer";
	gargv[n++] = "--root=/";
	gargv[n++] = fd_gofer;
	if (o->debug)
		gargv[n++] = "--debug";
	if (o->debug_fd >= 0)
		gargv[n++] = fd_log;
	gargv[n] = NULL;

	n = 0;
	sargv[n++] = argv[0];
	sargv[n++] = "__sentry";
	sargv[n++] = fd_sentry;
	sargv[n++] = ovl;
	sargv[n++] = plat;
	if (o->strace)
		sargv[n++] = "--strace";
	if (o->debug)
		sargv[n++] = "--debug";
	if (o->debug_fd >= 0)
		sargv[n++] = fd_log;
	sargv[n++] = cwd_arg;
	sargv[n++] = "--";
	while (i < argc)
		sargv[n++] = argv[i++];
	sargv[n] = NULL;

	/* Signals wait until the sentry exists to receive them. */
	sigset_t block, old;
	sigemptyset(&block);
	for (size_t k = 0; k < sizeof fwd_sigs / sizeof *fwd_sigs; k++)
		sigaddset(&block, fwd_sigs[k]);
	sigprocmask(SIG_BLOCK, &block, &old);

	struct child gofer = {
	    .argv = (char **)gargv,
	    .keep_fd = {sv[0], o->debug_fd},
	    .own_pgrp = true,
	    .parent = getpid(),
	    .mask = &old,
	};
	pid_t gpid = start_child(&gofer, 0, "start gofer");
	close(sv[0]);
	if (gpid < 0) {
		close(sv[1]);
		return 1;
	}
	struct child sentry = {
	    .argv = (char **)sargv,
	    .keep_fd = {sv[1], o->debug_fd},
	    .mask = &old,
	};
	pid_t spid = start_child(&sentry, CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET,
				 "start sentry");
	close(sv[1]);
	if (spid < 0) {
		kill(gpid, SIGKILL);
		waitpid(gpid, NULL, 0);
		return 1;
	}
	DEBUG("do: gofer pid %d, sentry pid %d", gpid, spid);
	sentry_pid = spid;

	struct sigaction sa = {.sa_sigaction = forward, .sa_flags = SA_SIGINFO | SA_RESTART};
	sigemptyset(&sa.sa_mask);
	for (size_t k = 0; k < sizeof fwd_sigs / sizeof *fwd_sigs; k++)
		sigaction(fwd_sigs[k], &sa, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);

	int st = 0, gst;
	bool gofer_done = false;
	char name[32];
	for (;;) {
		int s;
		pid_t p = waitpid(-1, &s, 0);
		if (p < 0) {
			if (errno == EINTR)
				continue;
			log_warn("do: waitpid: %s", strerror(errno));
			st = 1 << 8;
			break;
		}
		if (p == spid) {
			st = s;
			break;
		}
		if (p == gpid) {
			gofer_done = true;
			gst = s;
			if (WIFSIGNALED(gst))
				log_warn("do: gofer crashed: %s",
					 sig_name(WTERMSIG(gst), name, sizeof name));
		}
	}
	sentry_pid = 0;
	/* The sentry is gone, so the gofer has nobody left to serve. */
	if (!gofer_done) {
		kill(gpid, SIGKILL);
		while (waitpid(gpid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(sargv);
	free(cwd_arg);

	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	int sig = WTERMSIG(st);
	/* Killed on the user's behalf (the third forwarded signal): no crash. */
	if (sig == SIGKILL && fwd_count >= 3)
		return 128 + fwd_last;
	if (sig != SIGINT && sig != SIGTERM && sig != SIGHUP && sig != SIGQUIT)
		fprintf(stderr, "cvisor: do: sandbox crashed: %s\n",
			sig_name(sig, name, sizeof name));
	return 128 + sig;
}
