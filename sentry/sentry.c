/* The sentry's entry point: set up the memory file, platform, gofer
 * connection and isolation, load the command as the init task, run it, and
 * exit with its status. */
#include "sentry/sentry.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/crash.h"
#include "common/disasm.h"
#include "common/log.h"
#include "common/sandbox.h"
#include "common/seccomp_filter.h"
#include "platform/platform.h"
#include "sentry/control/control.h"
#include "sentry/fs/dev/dev.h"
#include "sentry/fs/gofer/bind.h"
#include "sentry/fs/overlay/overlay.h"
#include "sentry/fs/proc/procfs.h"
#include "sentry/fs/sys/sysfs.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/loader.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/fork.h"
#include "sentry/mm/mm.h"
#include "sentry/seccomp/app_seccomp.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

struct sentry_opts {
	int gofer_fd;
	int debug_fd;
	bool debug;
	const char *platform;
	const char *overlay;
	const char *cwd;
	int app_seccomp_fd; /* config.json's seccomp profile as JSON text, or -1 */
	char **argv;
};

static void parse(int argc, char **argv, struct sentry_opts *o)
{
	int i;
	*o = (struct sentry_opts){.gofer_fd = -1,
				  .debug_fd = -1,
				  .platform = "ptrace",
				  .overlay = "root:memory",
				  .cwd = "/",
				  .app_seccomp_fd = -1};
	for (i = 1; i < argc; i++) {
		const char *s = argv[i];
		if (!strcmp(s, "--")) {
			i++;
			break;
		} else if (!strncmp(s, "--gofer-fd=", 11)) {
			o->gofer_fd = atoi(s + 11);
		} else if (!strncmp(s, "--debug-log-fd=", 15)) {
			o->debug_fd = atoi(s + 15);
		} else if (!strncmp(s, "--platform=", 11)) {
			o->platform = s + 11;
		} else if (!strncmp(s, "--overlay=", 10)) {
			o->overlay = s + 10;
		} else if (!strncmp(s, "--cwd=", 6)) {
			o->cwd = s + 6;
		} else if (!strncmp(s, "--bind=", 7)) {
			/* gofer export N over a directory (fs/gofer/bind.h) */
			if (gofer_bind_add(s + 7))
				die_msg("bad --bind=%s (N:/path[:ro])", s + 7);
		} else if (!strncmp(s, "--app-seccomp-fd=", 17)) {
			o->app_seccomp_fd = atoi(s + 17);
		} else if (!strncmp(s, "--kvm-fd=", 9)) {
			/* opened by the launcher before our user namespace */
			platform_kvm_dev_fd = atoi(s + 9);
			fcntl(platform_kvm_dev_fd, F_SETFD, FD_CLOEXEC);
		} else if (!strncmp(s, "--max-tasks=", 12)) {
			task_max_tasks = atol(s + 12);
		} else if (!strcmp(s, "--strace")) {
			strace_enabled = 1;
		} else if (!strcmp(s, "--debug")) {
			o->debug = true;
		} else if (ctl_parse_flag(s)) {
			/* OCI mode (sentry/control/oci_mode.c) */
		} else {
			die_msg("unknown internal flag %s", s);
		}
	}
	if (i >= argc)
		die_msg("no command given");
	if (o->gofer_fd < 0)
		die_msg("--gofer-fd is required");
	o->argv = argv + i;
}

/* Copies the environment the sentry was started with: it is the
 * application's, and the sentry itself keeps none of it. */
static char **take_environ(void)
{
	size_t n = 0;
	extern char **environ;
	while (environ && environ[n])
		n++;
	char **env = calloc(n + 1, sizeof *env);
	if (!env)
		die("calloc");
	for (size_t i = 0; i < n; i++)
		if (!(env[i] = strdup(environ[i])))
			die("strdup");
	clearenv();
	return env;
}

/* The application's stdio: dups of the sentry's fds 0-2, so the sentry
 * keeps its own stderr for logs whatever the application closes. */
static void install_stdio(struct task *t)
{
	for (int fd = 0; fd < 3; fd++) {
		int h = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (h < 0)
			continue; /* not open on the host: not open inside either */
		struct file *f = hostfile_new(h);
		if (!f)
			die_msg("stdio: cannot wrap fd %d", fd);
		if (fd_install_at(t->files, fd, f, false, 1 << 20) != fd)
			die_msg("stdio: cannot install fd %d", fd);
		file_put(f);
	}
}

/* Signals the host sends the sentry (the launcher forwards SIGTERM and
 * friends; the terminal sends ^C to our process group) go to the sandbox:
 * terminal signals to the foreground process group of init's session,
 * the rest to init.  They come from outside, so init's protection against
 * signals it has no handler for does not apply. */
static const int forwarded[] = {SIGINT,  SIGQUIT, SIGTSTP, SIGTERM, SIGHUP,
				 SIGUSR1, SIGUSR2, SIGWINCH, SIGCONT};

static void *forward_signals(void *arg)
{
	sigset_t *set = arg;
	for (;;) {
		siginfo_t hi;
		int sig = sigwaitinfo(set, &hi);
		if (sig <= 0)
			continue;
		siginfo_t si;
		memset(&si, 0, sizeof si);
		si.si_signo = sig;
		si.si_code = SI_USER; /* sent from outside: pid 0, uid 0 */
		bool tty = sig == SIGINT || sig == SIGQUIT || sig == SIGTSTP || sig == SIGWINCH;
		pthread_mutex_lock(&tasklist_lock);
		struct thread_group *init = tg_lookup_locked(1);
		int fg = init && init->has_tty ? init->tty_fg_pgid : 0;
		if (init)
			init->refs++;
		pthread_mutex_unlock(&tasklist_lock);
		if (!init)
			continue;
		if (!(tty && fg > 0 && sig_send_pgrp(fg, sig, &si) == 0))
			sig_send_tg(init, sig, &si);
		pthread_mutex_lock(&tasklist_lock);
		init->refs--;
		pthread_mutex_unlock(&tasklist_lock);
	}
	return NULL;
}

/* Blocks the forwarded signals in every sentry thread (threads inherit the
 * mask) and starts the thread that takes them. */
static void block_forwarded_signals(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
		sigaddset(set, forwarded[i]);
	pthread_sigmask(SIG_BLOCK, set, NULL);
}

static sigset_t forwarded_set;

static void start_signal_forwarding(void)
{
	sigset_t *set = &forwarded_set;
	pthread_t th;
	if (pthread_create(&th, NULL, forward_signals, set))
		die_msg("cannot start the signal forwarding thread");
	pthread_detach(th);
}

static void not_found(const char *name)
{
	char msg[4200];
	/* runc's wording: podman maps it to 127, create prints it. */
	snprintf(msg, sizeof msg, "exec: \"%s\": executable file not found in $PATH", name);
	ctl_report_ready(msg);
	if (!ctl_oci_mode())
		fprintf(stderr, "cvisor: do: %s: executable file not found in $PATH\n", name);
	exit(127);
}

int sentry_main(int argc, char **argv)
{
	struct sentry_opts o;
	parse(argc, argv, &o);
	log_init("cvisor-sentry", o.debug, o.debug_fd);
	crash_install();
	/* Before any thread exists, so none of them takes these by default. */
	block_forwarded_signals(&forwarded_set);
	/* The application's exit decides ours; a dying pipe reader must not. */
	signal(SIGPIPE, SIG_IGN);

	/* Cached host fds (one per open file, one per recently used read-only
	 * dentry) need room beyond the default soft limit. */
	struct rlimit nofile;
	if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}

	if (o.app_seccomp_fd >= 0 && app_seccomp_load_fd(o.app_seccomp_fd))
		die_msg("--app-seccomp-fd: bad seccomp profile");

	/* CVISOR_SECCOMP is the launcher's, read before the environment
	 * becomes the application's. */
	(void)sc_mode_from_env();
	char **envp = take_environ();
	pf = pf_lookup(o.platform);
	if (!pf)
		die_msg("unknown platform \"%s\"", o.platform);
	if (memfile_init())
		die("memory file");
	if (pf->init(memfile_fd()))
		die_msg("platform %s: init failed", pf->name);
	if (vfs_init(o.gofer_fd))
		die_msg("cannot attach to the gofer");
	/* /proc needs a few host facts (cpuinfo, boot time) read while the
	 * host's /proc is still reachable. */
	procfs_early_init();
	/* An image without /proc (cvisor create makes it when it can) runs
	 * without procfs rather than not at all. */
	int pr = procfs_mount();
	if (pr == -ENOENT || pr == -ENOTDIR)
		log_warn("no /proc directory in the root: procfs not mounted");
	else if (pr)
		die_msg("cannot mount /proc");
	/* A tree without /sys (or with files in it) simply has no sysfs. */
	if (sysfs_mount())
		log_warn("cannot mount sysfs on /sys");
	/* /dev is the sentry's own (devfs, with devpts at /dev/pts): the
	 * host's device nodes are never opened.  A tree without /dev has
	 * none. */
	if (devfs_mount())
		log_warn("cannot mount devfs on /dev");
	/* POSIX shared memory and semaphores live in /dev/shm (a directory
	 * devfs keeps for this mount). */
	if (tmpfs_mount("/dev/shm", 01777))
		log_warn("cannot mount tmpfs on /dev/shm");
	/* Bind mounts of further gofer exports (volumes). */
	if (gofer_bind_mount_all())
		die_msg("cannot make the bind mounts");
	/* config.json's tmpfs mounts and masked paths (OCI mode). */
	if (ctl_mount_all())
		die_msg("cannot make the mounts of config.json");
	/* The writable root: a tmpfs upper layer over the gofer tree and
	 * its mounts ("none": the gofer tree itself, written through). */
	if (overlay_root_init(o.overlay))
		die_msg("--overlay=%s: cannot set up the root overlay", o.overlay);
	/* --debug fault reports decode instructions with capstone, loaded on
	 * demand: after pivot_root the host's libraries are out of reach. */
	if (o.debug && !disasm_preload())
		DEBUG("capstone not loadable: fault reports without instructions");
	if (sandbox_enter_empty())
		die_msg("cannot isolate the sentry");
	syscall_table_init();
	/* A new network namespace (--network=none) has only lo, and down. */
	if (sandbox_net_lo_up())
		DEBUG("cannot bring lo up");
	/* Set-up is over: /dev/kvm is open, and only the syscalls on the
	 * allow-list (common/seccomp_sentry.c) remain.  ptrace keeps
	 * CAP_SYS_PTRACE alone: stubs forked during set-up still hold the
	 * capabilities of that time, and a tracer with fewer may not seize
	 * them; our pid namespace holds nothing else to trace. */
	int cr = sandbox_drop_caps(strcmp(pf->name, "ptrace") ? 0 : 1ULL << 19 /* CAP_SYS_PTRACE */);
	if (cr)
		die_msg("cannot drop capabilities: %s", strerror(-cr));
	if (sandbox_seccomp_sentry(pf->name))
		die_msg("cannot install the seccomp filter");

	struct task *t = task_new_init();
	t->files = fdtable_new();
	t->fs = fs_ctx_new_root();
	if (!t->files || !t->fs)
		die_msg("init task: out of memory");
	install_stdio(t);
	/* A terminal on stdin becomes the controlling terminal of init's
	 * session, with init's group in the foreground. */
	if (isatty(0)) {
		t->tg->has_tty = true;
		t->tg->tty_fg_pgid = t->tg->pgid;
	}
	if (vfs_chdir(t, o.cwd))
		DEBUG("cwd %s not reachable in the sandbox; starting in /", o.cwd);
	t->ctx = pf->ctx_new();
	if (!t->ctx)
		die_msg("platform %s: cannot create a context", pf->name);

	ctl_setup_init(t);
	int r = ctl_exec_search(t, o.argv, envp);
	if (r == -ENOENT || r == -ENOTDIR)
		not_found(o.argv[0]);
	if (r) {
		char msg[4200];
		snprintf(msg, sizeof msg, "exec: \"%s\": %s", o.argv[0],
			 r == -EACCES ? "permission denied" : strerror(-r));
		ctl_report_ready(msg);
		if (!ctl_oci_mode())
			fprintf(stderr, "cvisor: do: %s: %s\n", o.argv[0], strerror(-r));
		exit(r == -EACCES || r == -ENOEXEC ? 126 : 125);
	}
	DEBUG("running %s", t->exe);
	ctl_report_ready(NULL);
	ctl_before_run();

	start_signal_forwarding();
	if (task_start(t))
		die_msg("cannot start the init task");
	int status;
	sandbox_wait_init_exit(&status);
	control_notify_exit(status);
	/* init is gone: the sandbox ends with it; exiting takes every other
	 * task's thread and every stub with it. */
	fflush(stderr);
	_exit((status & 0x7f) ? 128 + (status & 0x7f) : (status >> 8) & 0xff);
}
