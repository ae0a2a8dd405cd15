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
#include "common/log.h"
#include "common/sandbox.h"
#include "platform/platform.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/loader.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

struct sentry_opts {
	int gofer_fd;
	int debug_fd;
	bool debug;
	const char *platform;
	const char *cwd;
	char **argv;
};

static void parse(int argc, char **argv, struct sentry_opts *o)
{
	int i;
	*o = (struct sentry_opts){.gofer_fd = -1, .debug_fd = -1, .platform = "ptrace", .cwd = "/"};
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
		} else if (!strncmp(s, "--cwd=", 6)) {
			o->cwd = s + 6;
		} else if (!strcmp(s, "--strace")) {
			strace_enabled = 1;
		} else if (!strcmp(s, "--debug")) {
			o->debug = true;
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

static const char *env_get(char **env, const char *name)
{
	size_t len = strlen(name);
	for (; *env; env++)
		if (!strncmp(*env, name, len) && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

static struct task *init_task_new(void)
{
	struct task *t = calloc(1, sizeof *t);
	struct thread_group *tg = calloc(1, sizeof *tg);
	if (!t || !tg)
		die("calloc");
	pthread_mutex_init(&tg->lock, NULL);
	tg->tgid = tg->pgid = tg->sid = 1;
	tg->ppid = 0;
	for (int r = 0; r < RLIM_NLIMITS && r < 16; r++) {
		struct rlimit rl;
		if (getrlimit(r, &rl) == 0) {
			tg->rlimits[r].cur = rl.rlim_cur;
			tg->rlimits[r].max = rl.rlim_max;
		}
	}
	t->tid = 1;
	t->tg = tg;
	/* Root inside the sandbox with every capability, as runsc's default. */
	t->cred.cap_effective = t->cred.cap_permitted = t->cred.cap_bounding = (1ULL << 41) - 1;
	/* The supplementary groups the caller had, as runsc do keeps them. */
	int ng = getgroups(32, t->cred.groups);
	t->cred.ngroups = ng > 0 ? ng : 0;
	waiter_init(&t->waiter);
	t->arch.fpu = pf_fpu_alloc();
	if (!t->arch.fpu)
		die("fpu alloc");
	return t;
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

static void not_found(const char *name)
{
	fprintf(stderr, "cvisor: do: %s: executable file not found in $PATH\n", name);
	exit(127);
}

/* execvp's search: a name with a slash is used as is, otherwise each PATH
 * entry is tried; EACCES is remembered in case nothing else is found. */
static int exec_search(struct task *t, char **argv, char **envp)
{
	const char *name = argv[0];
	if (!*name)
		not_found(name);
	if (strchr(name, '/'))
		return loader_exec(t, name, argv, envp);
	const char *path = env_get(envp, "PATH");
	if (!path)
		path = DEFAULT_PATH;
	int err = -ENOENT;
	char buf[4096];
	for (const char *p = path;; p++) {
		const char *end = strchrnul(p, ':');
		int len = (int)(end - p);
		if (len == 0)
			snprintf(buf, sizeof buf, "%s", name);
		else
			snprintf(buf, sizeof buf, "%.*s/%s", len, p, name);
		int r = loader_exec(t, buf, argv, envp);
		if (r == 0)
			return 0;
		if (r == -EACCES)
			err = r;
		else if (r != -ENOENT && r != -ENOTDIR && r != -ELOOP && r != -ENAMETOOLONG)
			return r;
		if (!*end)
			break;
		p = end;
	}
	return err;
}

int sentry_main(int argc, char **argv)
{
	struct sentry_opts o;
	parse(argc, argv, &o);
	log_init("cvisor-sentry", o.debug, o.debug_fd);
	crash_install();
	/* The application's exit decides ours; a dying pipe reader must not. */
	signal(SIGPIPE, SIG_IGN);

	/* Cached host fds (one per open file, one per recently used read-only
	 * dentry) need room beyond the default soft limit. */
	struct rlimit nofile;
	if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}

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
	if (sandbox_enter_empty())
		die_msg("cannot isolate the sentry");
	syscall_table_init();

	struct task *t = init_task_new();
	t->files = fdtable_new();
	t->fs = fs_ctx_new_root();
	if (!t->files || !t->fs)
		die_msg("init task: out of memory");
	install_stdio(t);
	if (vfs_chdir(t, o.cwd))
		DEBUG("cwd %s not reachable in the sandbox; starting in /", o.cwd);
	t->ctx = pf->ctx_new();
	if (!t->ctx)
		die_msg("platform %s: cannot create a context", pf->name);

	int r = exec_search(t, o.argv, envp);
	if (r == -ENOENT || r == -ENOTDIR)
		not_found(o.argv[0]);
	if (r) {
		fprintf(stderr, "cvisor: do: %s: %s\n", o.argv[0], strerror(-r));
		exit(r == -EACCES || r == -ENOEXEC ? 126 : 125);
	}
	DEBUG("running %s", t->exe);

	int status = task_run(t);
	pf->ctx_free(t->ctx);
	mm_put(t->mm);
	if (status & 0x7f)
		return 128 + (status & 0x7f);
	return (status >> 8) & 0xff;
}
