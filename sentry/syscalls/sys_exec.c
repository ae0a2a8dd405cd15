/* execve and execveat: copy the new argv/envp out of the old address space,
 * load the program, then do exec's cleanup (close-on-exec fds, handlers). */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/cred.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/fork.h"
#include "sentry/kernel/loader.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/kernel/timers.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/dentry.h"
#include "sentry/vfs/vfs.h"

/* Sentry-side cap on what one exec may copy in; the loader applies Linux's
 * own (smaller, rlimit-derived) E2BIG rule afterwards. */
#define EXEC_COPY_MAX (64UL << 20)
#define EXEC_MAX_STRINGS (1UL << 20)

struct strv {
	char **v;
	size_t n, bytes;
};

static void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static long copy_strv(struct task *t, uint64_t uarr, struct strv *s)
{
	size_t cap = 16;
	s->n = s->bytes = 0;
	s->v = malloc(cap * sizeof *s->v);
	if (!s->v)
		return -ENOMEM;
	s->v[0] = NULL;
	if (!uarr)
		return 0; /* Linux treats NULL as an empty array */
	for (;;) {
		uint64_t p;
		if (mm_copy_in(t->mm, &p, uarr + 8 * s->n, 8))
			return -EFAULT;
		if (!p)
			break;
		if (s->n + 2 > cap) {
			if (cap >= EXEC_MAX_STRINGS)
				return -E2BIG;
			cap *= 2;
			char **nv = realloc(s->v, cap * sizeof *nv);
			if (!nv)
				return -ENOMEM;
			s->v = nv;
		}
		char *str = malloc(LOADER_MAX_ARG_STRLEN);
		if (!str)
			return -ENOMEM;
		long len = mm_strncpy_in(t->mm, str, p, LOADER_MAX_ARG_STRLEN);
		if (len < 0) {
			free(str);
			return len == -ENAMETOOLONG ? -E2BIG : len;
		}
		s->v[s->n++] = realloc(str, (size_t)len + 1) ?: str;
		s->v[s->n] = NULL;
		s->bytes += (size_t)len + 1;
		if (s->bytes > EXEC_COPY_MAX)
			return -E2BIG;
	}
	return 0;
}

/* Signal handlers do not survive exec; ignored signals stay ignored. */
static void reset_signals(struct task *t)
{
	struct sighand *sh = t->tg->sighand;
	pthread_mutex_lock(&sh->lock);
	for (int i = 0; i < 64; i++) {
		struct k_sigaction *sa = &sh->action[i];
		if (sa->handler != (uint64_t)SIG_IGN)
			memset(sa, 0, sizeof *sa);
	}
	pthread_mutex_unlock(&sh->lock);
	t->altstack.sp = t->altstack.size = t->altstack.flags = 0;
}

/* Builds the path the loader walks: execveat's dirfd-relative and
 * AT_EMPTY_PATH forms become absolute paths of the dirfd's dentry. */
static long exec_path(struct task *t, int dirfd, const char *name, int flags, char *out,
		      size_t size)
{
	if (name[0] == '/' || (dirfd == AT_FDCWD && name[0])) {
		if (strlen(name) >= size)
			return -ENAMETOOLONG;
		strcpy(out, name);
		return 0;
	}
	if (!name[0] && !(flags & AT_EMPTY_PATH))
		return -ENOENT;
	if (dirfd == AT_FDCWD)
		return -ENOENT;
	struct file *f = fd_get(t->files, dirfd);
	if (!f)
		return -EBADF;
	long r = -ENOTDIR;
	if (f->dentry) {
		r = dentry_path(t->fs->root, f->dentry, out, size);
		if (r >= 0 && name[0]) {
			size_t len = strlen(out), nl = strlen(name);
			r = len + 1 + nl < size ? 0 : -ENAMETOOLONG;
			if (!r) {
				if (len > 1)
					out[len++] = '/';
				memcpy(out + len, name, nl + 1);
			}
		} else if (r >= 0) {
			r = 0;
		}
	}
	file_put(f);
	return r;
}

static long do_execve(struct task *t, int dirfd, uint64_t upath, uint64_t uargv, uint64_t uenvp,
		      int flags)
{
	char name[4096], path[4096];
	struct strv argv = {0}, envp = {0};
	long r;

	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	r = mm_strncpy_in(t->mm, name, upath, sizeof name);
	if (r < 0)
		return r;
	r = exec_path(t, dirfd, name, flags, path, sizeof path);
	if (r)
		return r;
	if ((r = copy_strv(t, uargv, &argv)) || (r = copy_strv(t, uenvp, &envp)))
		goto out;
	/* The point of no return is inside the loader; other threads must be
	 * gone before the address space is replaced under them. */
	if (t->tg->nr_threads > 1) {
		/* A missing or unexecutable file must fail without killing the
		 * other threads, as the file is checked before Linux's point of
		 * no return. */
		struct file *probe;
		if ((r = vfs_open_exec(t, path, &probe)))
			goto out;
		file_put(probe);
		if ((r = task_de_thread(t)))
			goto out;
	}
	r = loader_exec(t, path, argv.v, envp.v);
	if (r)
		goto out;
	t->tg->did_exec = true;
	/* No set-id bits or file capabilities yet: exec's credential rules
	 * for a plain file (root keeps its capabilities, others lose them). */
	struct cred nc = t->cred;
	cred_exec_transform(&nc, NULL);
	cred_commit(t, &nc);
	pthread_mutex_lock(&t->tg->lock);
	t->tg->not_dumpable = false;
	pthread_mutex_unlock(&t->tg->lock);
	timers_exec(t->tg);
	vfork_complete(t);
	fd_close_on_exec(t->files);
	reset_signals(t);
	/* The loader zeroed every register; rax carries our 0 back. */
out:
	strv_free(&argv);
	strv_free(&envp);
	return r;
}

DEFINE_SYSCALL(execve, R_INT, A_STR, A_STRV, A_STRV)
{
	return do_execve(t, AT_FDCWD, a[0], a[1], a[2], 0);
}

/* AT_SYMLINK_NOFOLLOW is accepted but a trailing symlink is followed. */
DEFINE_SYSCALL_SUP(execveat, SUP_PARTIAL, R_INT, A_DIRFD, A_STR, A_STRV, A_STRV, A_HEX)
{
	return do_execve(t, (int)a[0], a[1], a[2], a[3], (int)a[4]);
}
