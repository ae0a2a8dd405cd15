/* The links of /proc/<pid>: exe, cwd, root and the fd/ directory, whose
 * entries lead to the open file itself (a pipe, a socket, stdio) or to the
 * file's dentry, as Linux's "magic" links do; and fdinfo/, the state of
 * each open file. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "sentry/fs/proc/internal.h"
#include "sentry/kernel/fdtable.h"

/* Paths are shown from the reader's root, as Linux's d_path does. */
static struct dentry *reader_root(void)
{
	struct task *t = proc_caller();
	if (!t || !t->fs)
		return vfs_root();
	pthread_mutex_lock(&t->fs->lock);
	struct dentry *r = dentry_get(t->fs->root);
	pthread_mutex_unlock(&t->fs->lock);
	return r;
}

static int add_path(struct sbuf *b, struct dentry *d)
{
	char *path = malloc(PATH_MAX);
	if (!path)
		return -ENOMEM;
	struct dentry *root = reader_root();
	long l = dentry_path(root, d, path, PATH_MAX);
	dentry_put(root);
	if (l >= 0)
		sbuf_add(b, path, (size_t)l);
	free(path);
	return l < 0 ? (int)l : 0;
}

/* ---- exe ---- */

int proc_gen_exe(struct proc_node *n, struct sbuf *b)
{
	struct proc_snap *s;
	int r = proc_snap_take(n, SNAP_FS, &s);
	if (r)
		return r;
	if (!s->exe[0] || s->zombie) {
		proc_snap_put(s);
		return -ENOENT;
	}
	/* The loader keeps the path it opened: resolve it (from the task's
	 * cwd if relative) so the link shows the file's real path. */
	struct task *t = proc_caller();
	struct dentry *start = NULL, *d = NULL;
	if (s->fs) {
		pthread_mutex_lock(&s->fs->lock);
		start = dentry_get(s->fs->cwd);
		pthread_mutex_unlock(&s->fs->lock);
	}
	if (t && t->fs && vfs_walk(t, start, s->exe, WALK_FOLLOW, &d) == 0) {
		r = add_path(b, d);
		dentry_put(d);
	} else {
		sbuf_add(b, s->exe, strlen(s->exe));
	}
	dentry_put(start);
	proc_snap_put(s);
	return r;
}

/* ---- cwd and root ---- */

static int fs_dentry(struct proc_node *n, bool cwd, struct dentry **out)
{
	struct proc_snap *s;
	int r = proc_snap_take(n, SNAP_FS, &s);
	if (r)
		return r;
	if (!s->fs) {
		proc_snap_put(s);
		return -ENOENT;
	}
	pthread_mutex_lock(&s->fs->lock);
	*out = dentry_get(cwd ? s->fs->cwd : s->fs->root);
	pthread_mutex_unlock(&s->fs->lock);
	proc_snap_put(s);
	return 0;
}

static int gen_fs_path(struct proc_node *n, struct sbuf *b, bool cwd)
{
	struct dentry *d;
	int r = fs_dentry(n, cwd, &d);
	if (r)
		return r;
	r = add_path(b, d);
	dentry_put(d);
	return r;
}

int proc_gen_cwd(struct proc_node *n, struct sbuf *b) { return gen_fs_path(n, b, true); }

int proc_gen_root(struct proc_node *n, struct sbuf *b) { return gen_fs_path(n, b, false); }

static long link_readlink(struct dentry *d, char *buf, size_t size)
{
	struct proc_node *n = d->fsdata;
	struct sbuf b = {0};
	long r = n->ent->gen(n, &b);
	if (!r && b.oom)
		r = -ENOMEM;
	if (!r && b.len >= size)
		r = -ENAMETOOLONG;
	if (!r) {
		memcpy(buf, b.buf ? b.buf : "", b.len);
		buf[b.len] = '\0';
		r = (long)b.len;
	}
	free(b.buf);
	return r;
}

static int cwd_follow(struct dentry *d, struct dentry **out)
{
	struct proc_node *n = d->fsdata;
	return fs_dentry(n, n->ent->gen == proc_gen_cwd, out);
}

static void node_release(struct dentry *d) { free(d->fsdata); }

const struct dentry_ops proc_cwd_ops = {
    .readlink = link_readlink,
    .follow = cwd_follow,
    .release = node_release,
};

/* ---- fd/ ---- */

/* The open file at the node's fd in its task, or -ENOENT. */
static int node_file(const struct proc_node *n, int fd, struct file **out)
{
	struct proc_snap *s;
	int r = proc_snap_take(n, SNAP_FILES, &s);
	if (r)
		return r;
	struct file *f = s->files ? fd_get(s->files, fd) : NULL;
	proc_snap_put(s);
	if (!f)
		return -ENOENT;
	*out = f;
	return 0;
}

static mode_t link_mode(const struct file *f)
{
	switch (f->flags & O_ACCMODE) {
	case O_RDONLY:
		return S_IFLNK | 0500;
	case O_WRONLY:
		return S_IFLNK | 0300;
	default:
		return S_IFLNK | 0700;
	}
}

/* Host character devices passed in as stdio, by the names udev gives them. */
static const char *chr_name(dev_t rdev)
{
	static const struct {
		unsigned maj, min;
		const char *name;
	} known[] = {
	    {1, 3, "/dev/null"},   {1, 5, "/dev/zero"},    {1, 7, "/dev/full"},
	    {1, 8, "/dev/random"}, {1, 9, "/dev/urandom"}, {5, 0, "/dev/tty"},
	    {5, 1, "/dev/console"}, {5, 2, "/dev/ptmx"},
	};
	static __thread char buf[32];
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (known[i].maj == major(rdev) && known[i].min == minor(rdev))
			return known[i].name;
	snprintf(buf, sizeof buf, "/dev/char/%u:%u", major(rdev), minor(rdev));
	return buf;
}

static long fd_readlink(struct dentry *d, char *buf, size_t size)
{
	struct proc_node *n = d->fsdata;
	struct file *f;
	int r = node_file(n, n->fd, &f);
	if (r)
		return r;
	struct sbuf b = {0};
	struct stat st;
	if (f->dentry) {
		r = add_path(&b, f->dentry);
	} else if (f->ops->proc_name) {
		sbuf_printf(&b, "%s", f->ops->proc_name);
	} else if (!f->ops->fstat || f->ops->fstat(f, &st)) {
		sbuf_printf(&b, "anon_inode:[unknown]");
	} else if (S_ISFIFO(st.st_mode)) {
		sbuf_printf(&b, "pipe:[%lu]", (unsigned long)st.st_ino);
	} else if (S_ISSOCK(st.st_mode)) {
		sbuf_printf(&b, "socket:[%lu]", (unsigned long)st.st_ino);
	} else if (S_ISCHR(st.st_mode) && major(st.st_rdev) >= 136 && major(st.st_rdev) < 144) {
		/* The host's pseudo-terminal passed in as stdio. */
		sbuf_printf(&b, "/dev/pts/%u",
			    (major(st.st_rdev) - 136) * 256 + minor(st.st_rdev));
	} else if (S_ISCHR(st.st_mode)) {
		sbuf_printf(&b, "%s", chr_name(st.st_rdev));
	} else {
		/* A host file passed in (stdio redirected): its host path is
		 * not the sandbox's business. */
		sbuf_printf(&b, "anon_inode:[host:%lu]", (unsigned long)st.st_ino);
	}
	file_put(f);
	long l = r;
	if (!r && b.oom)
		l = -ENOMEM;
	if (!l && b.len >= size)
		l = -ENAMETOOLONG;
	if (!l) {
		memcpy(buf, b.buf ? b.buf : "", b.len);
		buf[b.len] = '\0';
		l = (long)b.len;
	}
	free(b.buf);
	return l;
}

/* A dentry standing for an open file without one (a pipe end, stdio):
 * opening it gives the same open file description back, as dup does. */
static int held_open(struct dentry *d, int flags, struct file **out)
{
	struct proc_node *n = d->fsdata;
	*out = file_get(n->held);
	return 0;
}

static void held_release(struct dentry *d)
{
	struct proc_node *n = d->fsdata;
	file_put(n->held);
	free(n);
}

static const struct dentry_ops held_ops = {
    .open = held_open,
    .release = held_release,
};

static int fd_follow(struct dentry *d, struct dentry **out)
{
	struct proc_node *n = d->fsdata;
	struct file *f;
	int r = node_file(n, n->fd, &f);
	if (r)
		return r;
	if (f->dentry) {
		/* Files with a name open afresh, as Linux reopens the inode. */
		*out = dentry_get(f->dentry);
		file_put(f);
		return 0;
	}
	struct stat st = {0};
	if (!f->ops->fstat || f->ops->fstat(f, &st))
		st.st_mode = 0600;
	struct proc_node h = *n;
	h.ent = NULL;
	h.held = f; /* the new dentry's reference */
	struct dentry *hd = proc_dentry_new(d->parent, d->name, st.st_mode, &held_ops, &h,
					    st.st_uid, st.st_gid);
	if (!hd) {
		file_put(f);
		return -ENOMEM;
	}
	hd->st = st;
	*out = hd;
	return 0;
}

static const struct dentry_ops fd_link_ops = {
    .readlink = fd_readlink,
    .follow = fd_follow,
    .release = node_release,
};

/* fd/ and fdinfo/ list the same open fds: ent is NULL for fd/'s links,
 * fdinfo/'s entry for its files. */
static int fds_lookup(struct dentry *dir, const char *name, const struct proc_entry *ent,
		      struct dentry **out)
{
	struct proc_node *n = dir->fsdata;
	int fd = proc_parse_num(name);
	struct file *f;
	if (fd < 0)
		return -ENOENT;
	int r = node_file(n, fd, &f);
	if (r)
		return r;
	mode_t mode = ent ? ent->mode : link_mode(f);
	file_put(f);
	struct proc_node c = {.ent = ent, .tgid = n->tgid, .tid = n->tid, .fd = fd};
	struct dentry *d = proc_dentry_new(dir, name, mode, ent ? ent->ops : &fd_link_ops, &c,
					   dir->st.st_uid, dir->st.st_gid);
	if (!d)
		return -ENOMEM;
	*out = d;
	return 0;
}

static int fds_readdir(struct dentry *dir, struct synth_dirbuf *db, const struct proc_entry *ent)
{
	struct proc_node *n = dir->fsdata;
	struct proc_snap *s;
	int r = proc_snap_take(n, SNAP_FILES, &s);
	if (r)
		return r;
	if (!s->files) {
		proc_snap_put(s);
		return 0;
	}
	struct fdtable *ft = s->files;
	int *fds = NULL, count = 0;
	pthread_mutex_lock(&ft->lock);
	fds = malloc((size_t)(ft->size ? ft->size : 1) * sizeof *fds);
	for (int i = 0; fds && i < ft->size; i++)
		if (ft->fds[i].file)
			fds[count++] = i;
	pthread_mutex_unlock(&ft->lock);
	proc_snap_put(s);
	if (!fds)
		return -ENOMEM;
	for (int i = 0; i < count && !r; i++) {
		char name[16];
		snprintf(name, sizeof name, "%d", fds[i]);
		struct proc_node c = {.ent = ent, .tgid = n->tgid, .tid = n->tid, .fd = fds[i]};
		r = synth_dir_add(db, name, proc_ino(&c, name), ent ? DT_REG : DT_LNK);
	}
	free(fds);
	return r;
}

static int fd_dir_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	return fds_lookup(dir, name, NULL, out);
}

static int fd_dir_readdir(struct dentry *dir, struct synth_dirbuf *db)
{
	return fds_readdir(dir, db, NULL);
}

const struct dentry_ops proc_fd_dir_ops = {
    .lookup = fd_dir_lookup,
    .readdir = fd_dir_readdir,
    .release = node_release,
};

/* ---- fdinfo/ ---- */

/* pos, flags (octal, with O_CLOEXEC from the table; O_LARGEFILE is
 * implied on x86-64 as Linux shows it), mount id, inode. */
static int gen_fdinfo(struct proc_node *n, struct sbuf *b)
{
	struct proc_snap *s;
	int r = proc_snap_take(n, SNAP_FILES, &s);
	if (r)
		return r;
	struct file *f = s->files ? fd_get(s->files, n->fd) : NULL;
	int cloexec = f ? fd_get_cloexec(s->files, n->fd) : 0;
	proc_snap_put(s);
	if (!f)
		return -ENOENT;
	struct stat st = {0};
	if (f->ops->fstat)
		f->ops->fstat(f, &st);
	pthread_mutex_lock(&f->lock);
	int64_t pos = f->pos;
	pthread_mutex_unlock(&f->lock);
	int flags = f->flags | O_LARGEFILE | (cloexec > 0 ? O_CLOEXEC : 0);
	int mnt = f->dentry && f->dentry->mnt ? f->dentry->mnt->id : f->dentry ? 1 : 0;
	sbuf_printf(b, "pos:\t%lld\nflags:\t0%o\nmnt_id:\t%d\nino:\t%lu\n", (long long)pos,
		    (unsigned)flags, mnt, (unsigned long)st.st_ino);
	file_put(f);
	return 0;
}

static const struct proc_entry fdinfo_ent = {
    .name = "fdinfo", .mode = S_IFREG | 0444, .ops = &proc_file_ops, .gen = gen_fdinfo};

static int fdinfo_dir_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	return fds_lookup(dir, name, &fdinfo_ent, out);
}

static int fdinfo_dir_readdir(struct dentry *dir, struct synth_dirbuf *db)
{
	return fds_readdir(dir, db, &fdinfo_ent);
}

const struct dentry_ops proc_fdinfo_dir_ops = {
    .lookup = fdinfo_dir_lookup,
    .readdir = fdinfo_dir_readdir,
    .release = node_release,
};
