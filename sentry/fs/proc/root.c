/* procfs dentries: /proc itself, static directories, generated files and
 * links, and the mount over /proc. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "sentry/fs/proc/internal.h"
#include "sentry/fs/proc/procfs.h"

uint64_t proc_ino(const struct proc_node *n, const char *name)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 0x100000001b3ULL;
	h ^= (uint64_t)(uintptr_t)n->ent * 0x9e3779b97f4a7c15ULL;
	h ^= ((uint64_t)(unsigned)n->tgid << 40) ^ ((uint64_t)(unsigned)n->tid << 20) ^
	     (uint64_t)(unsigned)n->fd;
	return (h & 0x7fffffffffffULL) | 2; /* never 0 or 1 */
}

struct dentry *proc_dentry_new(struct dentry *parent, const char *name, mode_t mode,
			       const struct dentry_ops *ops, const struct proc_node *n, uid_t uid,
			       gid_t gid)
{
	struct proc_node *copy = malloc(sizeof *copy);
	if (!copy)
		return NULL;
	*copy = *n;
	struct stat st = {0};
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	st.st_mode = mode;
	st.st_uid = uid;
	st.st_gid = gid;
	st.st_ino = proc_ino(n, name);
	st.st_atim = st.st_mtim = st.st_ctim = now;
	st.st_blksize = 1024;
	struct dentry *d = synth_dentry_new(parent, name, ops, &st, copy);
	if (!d) {
		free(copy);
		return NULL;
	}
	/* A masked file looks like the /dev/null a runtime binds over it
	 * (its open is procfs's, see file_open). */
	if (ops == &proc_file_ops && proc_is_masked(d)) {
		d->st.st_mode = S_IFCHR | 0666;
		d->st.st_rdev = makedev(1, 3);
	}
	return d;
}

int proc_parse_num(const char *name)
{
	long v = 0;
	if (!*name || (name[0] == '0' && name[1]))
		return -1;
	for (const char *p = name; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (*p - '0');
		if (v > 0x3fffffff)
			return -1;
	}
	return (int)v;
}

int proc_entry_lookup(struct dentry *dir, const struct proc_entry *tab, const char *name,
		      const struct proc_node *n, uid_t uid, gid_t gid, struct dentry **out)
{
	for (const struct proc_entry *e = tab; e->name; e++) {
		if (strcmp(e->name, name))
			continue;
		struct proc_node c = {.ent = e, .tgid = n->tgid, .tid = n->tid};
		struct dentry *d = proc_dentry_new(dir, name, e->mode, e->ops, &c, uid, gid);
		if (!d)
			return -ENOMEM;
		*out = d;
		return 0;
	}
	return -ENOENT;
}

int proc_entry_readdir(const struct proc_entry *tab, const struct proc_node *n,
		       struct synth_dirbuf *db)
{
	for (const struct proc_entry *e = tab; e->name; e++) {
		struct proc_node c = {.ent = e, .tgid = n->tgid, .tid = n->tid};
		int r = synth_dir_add(db, e->name, proc_ino(&c, e->name), synth_dtype(e->mode));
		if (r)
			return r;
	}
	return 0;
}

static void node_release(struct dentry *d) { free(d->fsdata); }

/* ---- /proc ---- */

static int root_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	int r = proc_entry_lookup(dir, proc_root_entries, name, dir->fsdata, 0, 0, out);
	if (r != -ENOENT)
		return r;
	int pid = proc_parse_num(name);
	if (pid <= 0)
		return -ENOENT;
	return proc_pid_dir_lookup(dir, name, pid, 0, out);
}

struct pid_list {
	int *pids;
	size_t n, cap;
	bool oom;
};

static void collect_tg(struct thread_group *tg, void *arg)
{
	struct pid_list *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		int *p = realloc(l->pids, cap * sizeof *p);
		if (!p) {
			l->oom = true;
			return;
		}
		l->pids = p;
		l->cap = cap;
	}
	l->pids[l->n++] = tg->tgid;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static int root_readdir(struct dentry *dir, struct synth_dirbuf *db)
{
	int r = proc_entry_readdir(proc_root_entries, dir->fsdata, db);
	if (r)
		return r;
	/* Numbers are copied out under the lock and listed after it. */
	struct pid_list l = {0};
	pthread_mutex_lock(&tasklist_lock);
	proc_for_each_tg_locked(collect_tg, &l);
	pthread_mutex_unlock(&tasklist_lock);
	if (l.oom) {
		free(l.pids);
		return -ENOMEM;
	}
	qsort(l.pids, l.n, sizeof *l.pids, cmp_int);
	for (size_t i = 0; i < l.n && !r; i++) {
		char name[16];
		snprintf(name, sizeof name, "%d", l.pids[i]);
		struct proc_node c = {.tgid = l.pids[i]};
		r = synth_dir_add(db, name, proc_ino(&c, ""), DT_DIR);
	}
	free(l.pids);
	return r;
}

const struct dentry_ops proc_root_ops = {
    .lookup = root_lookup,
    .readdir = root_readdir,
    .release = node_release,
};

/* ---- static directories (sys/, sys/kernel/ ...) ---- */

static int dir_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	struct proc_node *n = dir->fsdata;
	if (proc_is_masked(dir))
		return -ENOENT;
	return proc_entry_lookup(dir, n->ent->children, name, n, dir->st.st_uid, dir->st.st_gid,
				 out);
}

static int dir_readdir(struct dentry *dir, struct synth_dirbuf *db)
{
	struct proc_node *n = dir->fsdata;
	if (proc_is_masked(dir))
		return 0;
	return proc_entry_readdir(n->ent->children, n, db);
}

const struct dentry_ops proc_dir_ops = {
    .lookup = dir_lookup,
    .readdir = dir_readdir,
    .release = node_release,
};

/* ---- generated files and links ---- */

/* A masked file swallows writes as the /dev/null bound over it would. */
static long masked_write(struct file *f, const char *buf, size_t len, size_t total, int64_t off)
{
	(void)f, (void)buf, (void)total, (void)off;
	return (long)len;
}

static int file_open(struct dentry *d, int flags, struct file **out)
{
	struct proc_node *n = d->fsdata;
	/* Files without a write handler refuse as a read-only sysctl does
	 * (even for root); O_TRUNC is ignored on the writable ones. */
	bool writing = (flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC);
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	if (proc_is_masked(d)) {
		struct sbuf e = {0};
		return sbuf_to_file_rw(&e, d, flags, masked_write, out);
	}
	if (writing && proc_is_readonly(d))
		return -EROFS;
	if (writing && !n->ent->write)
		return -EACCES;
	struct sbuf b = {0};
	int r = n->ent->gen(n, &b);
	if (r) {
		free(b.buf);
		return r;
	}
	return sbuf_to_file_rw(&b, d, flags, n->ent->write, out);
}

const struct dentry_ops proc_file_ops = {
    .open = file_open,
    .release = node_release,
};

static long link_readlink(struct dentry *d, char *buf, size_t size)
{
	struct proc_node *n = d->fsdata;
	struct sbuf b = {0};
	long r = n->ent->gen(n, &b);
	if (!r && b.oom)
		r = -ENOMEM;
	if (!r) {
		if (b.len >= size) {
			r = -ENAMETOOLONG;
		} else {
			memcpy(buf, b.buf ? b.buf : "", b.len);
			buf[b.len] = '\0';
			r = (long)b.len;
		}
	}
	free(b.buf);
	return r;
}

const struct dentry_ops proc_link_ops = {
    .readlink = link_readlink,
    .release = node_release,
};

/* ---- the mount ---- */

int procfs_mount(void)
{
	struct proc_node *root = calloc(1, sizeof *root);
	if (!root)
		return -ENOMEM;
	struct stat st = {0};
	st.st_mode = S_IFDIR | 0555;
	st.st_ino = 1;
	st.st_nlink = 2;
	clock_gettime(CLOCK_REALTIME, &st.st_mtim);
	st.st_atim = st.st_ctim = st.st_mtim;
	int r = vfs_mount("/proc", "proc", "proc", "rw,nosuid,nodev,noexec,relatime",
			  PROC_SUPER_MAGIC, &proc_root_ops, &st, root);
	if (r)
		free(root);
	return r;
}
