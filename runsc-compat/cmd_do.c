/* `cvisor do`: run one command sandboxed on the host's read-only root. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "runsc-compat/cmd.h"
#include "runsc-compat/launch.h"

/* Terminal-style signals the launcher passes on to the sentry. */
static const int fwd_sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

static volatile sig_atomic_t sentry_pid;
static volatile sig_atomic_t fwd_count, fwd_last;

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
	       "Runs CMD in a sandbox on the host's root filesystem, with\n"
	       "this terminal's stdin, stdout and stderr and the current environment.\n"
	       "Exits with CMD's status (128+N if it was killed by signal N).\n"
	       "\n"
	       "Flags:\n"
	       "  --cwd DIR           working directory inside the sandbox (default: current)\n"
	       "  --volume HOST:DIR[:ro]  bind the host directory HOST over the sandbox's\n"
	       "                      directory DIR (which must exist), writable unless :ro;\n"
	       "                      may repeat\n"
	       "  (and every global flag, see cvisor --help)\n");
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

/* --volume HOST:DIR[:ro] into the gofer's --export=HOST[:ro] (export
 * k + 1) and the sentry's --bind=k+1:DIR[:ro].  0, or 2 after a message. */
static int volume_flags(const struct flag_list *vol, const char **gf, const char **sf)
{
	for (int k = 0; k < vol->n; k++) {
		const char *v = vol->v[k];
		const char *colon = strchr(v, ':');
		size_t l = strlen(v);
		bool ro = l > 3 && !strcmp(v + l - 3, ":ro");
		size_t end = ro ? l - 3 : l;
		if (!colon || v[0] != '/' || colon[1] != '/' || (size_t)(colon - v) >= end) {
			fprintf(stderr, "cvisor: do: --volume wants HOST:DIR[:ro] with absolute "
					"paths, not \"%s\"\n",
				v);
			return 2;
		}
		char *e, *b;
		if (asprintf(&e, "--export=%.*s%s", (int)(colon - v), v, ro ? ":ro" : "") < 0 ||
		    asprintf(&b, "--bind=%d:%.*s%s", k + 1, (int)(end - (colon + 1 - v)), colon + 1,
			     ro ? ":ro" : "") < 0)
			die_msg("do: out of memory");
		gf[k] = e;
		sf[k] = b;
	}
	return 0;
}

int cmd_do(struct cli_opts *o, int argc, char **argv, int i)
{
	const char *cwd_flag = NULL;
	struct flag_list vol = {.n = 0};
	const struct flag do_flags[] = {
	    {"cwd", FLAG_STR, &cwd_flag},
	    {"volume", FLAG_LIST, &vol},
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

	char cwd_buf[PATH_MAX + 2];
	char *cwd = abs_cwd(cwd_flag, cwd_buf, sizeof cwd_buf);
	/* Exports for the gofer (--overlay=none serves the root writable),
	 * binds for the sentry. */
	const char *gofer_flags[FLAG_LIST_MAX + 2] = {NULL}, *sentry_flags[FLAG_LIST_MAX + 1] = {NULL};
	if ((r = volume_flags(&vol, gofer_flags, sentry_flags)))
		return r;
	if (!strcmp(o->overlay, "none"))
		gofer_flags[vol.n] = "--root-rw";

	/* Only what we pass explicitly may reach the children. */
	launch_stdio_open();
	close_range(3, ~0U, CLOSE_RANGE_CLOEXEC);
	signal(SIGCHLD, SIG_DFL);

	/* Signals wait until the sentry exists to receive them. */
	sigset_t block, old;
	sigemptyset(&block);
	for (size_t k = 0; k < sizeof fwd_sigs / sizeof *fwd_sigs; k++)
		sigaddset(&block, fwd_sigs[k]);
	sigprocmask(SIG_BLOCK, &block, &old);

	struct launch_spec spec = {
	    .o = o,
	    .self = argv[0],
	    .tree = "/",
	    .gofer_flags = gofer_flags,
	    .sentry_flags = sentry_flags,
	    .argv = argv + i,
	    .cwd = cwd,
	    .stdio = {-1, -1, -1},
	    .tied_to_launcher = true,
	    .sentry_ns_flags = CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET,
	};
	struct launch_result lr;
	if (launch_sandbox(&spec, &old, &lr)) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return 1;
	}
	pid_t gpid = lr.gofer, spid = lr.sentry;
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
