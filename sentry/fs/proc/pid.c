/* /proc/<pid>, /proc/<pid>/task/<tid>: per-process and per-thread
 * directories over the sentry's task table. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "sentry/fs/proc/internal.h"

void proc_for_each_tg_locked(void (*fn)(struct thread_group *tg, void *arg), void *arg)
{
	/* Pre-order over the process tree: orphans are reparented into it,
	 * so every process that is not reaped is reached from init. */
	struct thread_group *top = tg_lookup_locked(1), *g = top;
	while (g) {
		fn(g, arg);
		if (g->children) {
			g = g->children;
			continue;
		}
		while (g && g != top && !g->sibling)
			g = g->parent;
		if (!g || g == top)
			break;
		g = g->sibling;
	}
}

int proc_pid_dir_lookup(struct dentry *parent, const char *name, int tgid, int tid,
			struct dentry **out)
{
	struct proc_node n = {.tgid = tgid, .tid = tid};
	uid_t uid;
	gid_t gid;
	pthread_mutex_lock(&tasklist_lock);
	struct task *t = task_lookup_locked(tid ? tid : tgid);
	/* /proc/<tid> of a thread that does not lead its process exists
	 * (unlisted), as in Linux: it shows that thread. */
	if (!t || (tid && t->tg->tgid != tgid) || t->tg->reaped) {
		pthread_mutex_unlock(&tasklist_lock);
		return -ENOENT;
	}
	if (!tid && t->tg->tgid != tgid) {
		n.tgid = t->tg->tgid;
		n.tid = t->tid;
	}
	uid = t->cred.euid;
	gid = t->cred.egid;
	pthread_mutex_unlock(&tasklist_lock);
	struct dentry *d = proc_dentry_new(parent, name, S_IFDIR | 0555, &proc_pid_dir_ops, &n, uid,
					   gid);
	if (!d)
		return -ENOMEM;
	*out = d;
	return 0;
}

/* Directly under /proc a directory lists the process's files (with task/);
 * under task/ the thread's. */
static const struct proc_entry *entries_of(struct dentry *dir)
{
	return dir->parent && dir->parent->ops == &proc_root_ops ? proc_pid_entries
								  : proc_tid_entries;
}

static int pid_dir_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	return proc_entry_lookup(dir, entries_of(dir), name, dir->fsdata, dir->st.st_uid,
				 dir->st.st_gid, out);
}

static int pid_dir_readdir(struct dentry *dir, struct synth_dirbuf *db)
{
	return proc_entry_readdir(entries_of(dir), dir->fsdata, db);
}

static void node_release(struct dentry *d) { free(d->fsdata); }

const struct dentry_ops proc_pid_dir_ops = {
    .lookup = pid_dir_lookup,
    .readdir = pid_dir_readdir,
    .release = node_release,
};

/* ---- task/ ---- */

static int task_dir_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	struct proc_node *n = dir->fsdata;
	int tid = proc_parse_num(name);
	if (tid <= 0)
		return -ENOENT;
	return proc_pid_dir_lookup(dir, name, n->tgid, tid, out);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static int task_dir_readdir(struct dentry *dir, struct synth_dirbuf *db)
{
	struct proc_node *n = dir->fsdata;
	int *tids = NULL, count = 0, r = 0;
	/* Copied under the lock, listed after it. */
	pthread_mutex_lock(&tasklist_lock);
	struct thread_group *tg = tg_lookup_locked(n->tgid);
	if (!tg) {
		r = -ENOENT;
	} else {
		int max = 0;
		for (struct task *t = tg->threads; t; t = t->tg_next)
			max++;
		tids = malloc((size_t)(max ? max : 1) * sizeof *tids);
		if (!tids)
			r = -ENOMEM;
		for (struct task *t = tg->threads; t && tids; t = t->tg_next)
			tids[count++] = t->tid;
	}
	pthread_mutex_unlock(&tasklist_lock);
	if (r)
		return r;
	qsort(tids, (size_t)count, sizeof *tids, cmp_int);
	for (int i = 0; i < count && !r; i++) {
		char name[16];
		snprintf(name, sizeof name, "%d", tids[i]);
		struct proc_node c = {.tgid = n->tgid, .tid = tids[i]};
		r = synth_dir_add(db, name, proc_ino(&c, ""), DT_DIR);
	}
	free(tids);
	return r;
}

const struct dentry_ops proc_task_dir_ops = {
    .lookup = task_dir_lookup,
    .readdir = task_dir_readdir,
    .release = node_release,
};

/* ---- the tables ---- */

#define ENT(n, m, o, g) {.name = n, .mode = (m), .ops = &(o), .gen = g}
#define RO (S_IFREG | 0444)
#define PRIV (S_IFREG | 0400)
#define LNK (S_IFLNK | 0777)
#define WENT(n, g, w)                                                                              \
	{.name = n, .mode = S_IFREG | 0644, .ops = &proc_file_ops, .gen = g, .write = w}

#define COMMON_ENTRIES                                                                             \
	ENT("auxv", PRIV, proc_file_ops, proc_gen_auxv),                                           \
	    ENT("cgroup", RO, proc_file_ops, proc_gen_cgroup),                                     \
	    ENT("cmdline", RO, proc_file_ops, proc_gen_cmdline),                                   \
	    WENT("comm", proc_gen_comm, proc_write_comm),                                          \
	    ENT("cwd", LNK, proc_cwd_ops, proc_gen_cwd),                                           \
	    ENT("environ", PRIV, proc_file_ops, proc_gen_environ),                                 \
	    ENT("exe", LNK, proc_link_ops, proc_gen_exe),                                          \
	    ENT("fd", S_IFDIR | 0500, proc_fd_dir_ops, NULL),                                      \
	    ENT("fdinfo", S_IFDIR | 0500, proc_fdinfo_dir_ops, NULL),                              \
	    ENT("limits", RO, proc_file_ops, proc_gen_limits),                                     \
	    ENT("maps", RO, proc_file_ops, proc_gen_maps),                                         \
	    ENT("mountinfo", RO, proc_file_ops, proc_gen_mountinfo),                               \
	    ENT("mounts", RO, proc_file_ops, proc_gen_mounts),                                     \
	    ENT("oom_score", RO, proc_file_ops, proc_gen_oom_score),                               \
	    WENT("oom_score_adj", proc_gen_oom_score_adj, proc_write_oom_score_adj),               \
	    ENT("root", LNK, proc_cwd_ops, proc_gen_root),                                         \
	    ENT("smaps", RO, proc_file_ops, proc_gen_smaps),                                       \
	    ENT("stat", RO, proc_file_ops, proc_gen_stat),                                         \
	    ENT("statm", RO, proc_file_ops, proc_gen_statm),                                       \
	    ENT("status", RO, proc_file_ops, proc_gen_status)

const struct proc_entry proc_pid_entries[] = {
    COMMON_ENTRIES,
    ENT("task", S_IFDIR | 0555, proc_task_dir_ops, NULL),
    {0},
};

const struct proc_entry proc_tid_entries[] = {
    COMMON_ENTRIES,
    {0},
};
