/* Processes the runtime starts inside the sandbox: the PATH search and the
 * credentials shared by init and `exec`, and the new process of an exec. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/log.h"
#include "sentry/control/control.h"
#include "sentry/control/control_internal.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/loader.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/timers.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *env_get(char **env, const char *name)
{
	size_t len = strlen(name);
	for (; env && *env; env++)
		if (!strncmp(*env, name, len) && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

int ctl_exec_search(struct task *t, char **argv, char **envp)
{
	const char *name = argv[0];
	if (!*name)
		return -ENOENT;
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

void ctl_cred_build(struct cred *c, const struct ctl_exec *e, const uint32_t *groups)
{
	cred_init_root(c);
	c->ruid = c->euid = c->suid = c->fsuid = e->uid;
	c->rgid = c->egid = c->sgid = c->fsgid = e->gid;
	c->ngroups = 0;
	for (uint32_t i = 0; i < e->ngroups && c->ngroups < CRED_NGROUPS_HELD; i++)
		c->groups[c->ngroups++] = groups[i];
	if (e->has_caps) {
		c->cap_effective = e->cap_effective & CRED_CAP_FULL;
		c->cap_permitted = e->cap_permitted & CRED_CAP_FULL;
		c->cap_inheritable = e->cap_inheritable & CRED_CAP_FULL;
		c->cap_bounding = e->cap_bounding & CRED_CAP_FULL;
		c->cap_ambient = e->cap_ambient & CRED_CAP_FULL;
	} else if (e->uid != 0) {
		/* What an unprivileged user has after exec. */
		c->cap_effective = c->cap_permitted = 0;
	}
	c->no_new_privs = e->no_new_privs;
}

/* Wires the exec'd process's stdio: the client's fds, or none. */
static int install_fds(struct task *t, const int *fds, int nfds)
{
	for (int i = 0; i < nfds && i < 3; i++) {
		if (fds[i] < 0)
			continue;
		struct file *f = hostfile_new(fds[i]);
		if (!f)
			return -ENOMEM;
		int r = fd_install_at(t->files, i, f, false, 1 << 20);
		file_put(f);
		if (r < 0)
			return r;
	}
	return 0;
}

/* A process with no parent in the sandbox (as runsc's exec: getppid() is 0);
 * its own session and process group.  Its children are adopted by init. */
static struct task *new_orphan(const struct cred *cred)
{
	struct task *t = task_alloc();
	struct thread_group *tg = tg_alloc();
	struct sighand *sh = sighand_alloc();
	if (!t || !tg || !sh) {
		free(sh);
		free(tg);
		if (t)
			task_put(t);
		return NULL;
	}
	t->cred = *cred;
	pthread_mutex_lock(&tasklist_lock);
	struct thread_group *init = tg_lookup_locked(1);
	int tid = pid_alloc_locked();
	if (tid < 0) {
		pthread_mutex_unlock(&tasklist_lock);
		free(sh);
		free(tg);
		task_put(t);
		return NULL;
	}
	t->tid = tid;
	tg->tgid = tg->pgid = tg->sid = tid;
	tg->sighand = sh;
	tg->leader = t;
	tg->threads = t;
	tg->nr_threads = 1;
	if (init)
		tg_inherit_limits(tg, init);
	tg->all_next = all_tgs;
	all_tgs = tg;
	t->tg = tg;
	pid_insert_locked(t);
	t->refs++; /* ours until started */
	pthread_mutex_unlock(&tasklist_lock);
	return t;
}

/* Drops a process that never ran: like a child killed before its first
 * instruction. */
static void abandon(struct task *t)
{
	t->exit_code = SIGKILL;
	task_exit_group(t, SIGKILL);
	task_exit_thread(t);
	task_put(t);
}

int ctl_spawn(const struct ctl_exec *e, const uint32_t *groups, char *cwd, char **argv,
	      char **envp, const int *fds, struct thread_group **out, char *err, size_t errlen)
{
	struct cred cred;
	ctl_cred_build(&cred, e, groups);
	struct task *t = new_orphan(&cred);
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int r = -ENOMEM;
	t->files = fdtable_new();
	t->fs = fs_ctx_new_root();
	t->ctx = pf->ctx_new();
	if (!t->files || !t->fs || !t->ctx) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	if (e->umask >= 0)
		t->fs->umask = (mode_t)e->umask & 0777;
	if ((r = install_fds(t, fds, (int)e->nfds))) {
		snprintf(err, errlen, "stdio: %s", strerror(-r));
		goto fail;
	}
	if ((e->flags & CTL_EXEC_TTY) && e->nfds > 0) {
		t->tg->has_tty = true;
		t->tg->tty_fg_pgid = t->tg->pgid;
	}
	if (vfs_chdir(t, cwd)) {
		r = -ENOENT;
		snprintf(err, errlen, "chdir to cwd (\"%s\") set in config.json failed: "
			 "no such file or directory", cwd);
		goto fail;
	}
	r = ctl_exec_search(t, argv, envp);
	if (r == -ENOENT || r == -ENOTDIR) {
		snprintf(err, errlen, "exec: \"%s\": executable file not found in $PATH", argv[0]);
		goto fail;
	} else if (r) {
		snprintf(err, errlen, "exec: \"%s\": %s", argv[0],
			 r == -EACCES ? "permission denied" : strerror(-r));
		goto fail;
	}
	pthread_mutex_lock(&tasklist_lock);
	t->tg->refs++; /* the caller's, for the exit status */
	pthread_mutex_unlock(&tasklist_lock);
	*out = t->tg;
	r = t->tid;
	if (task_start(t)) {
		log_warn("control: cannot start a sentry thread for task %d", t->tid);
		abandon(t);
		return r;
	}
	task_put(t);
	return r;
fail:
	abandon(t);
	return r;
}
