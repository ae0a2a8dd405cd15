/* devpts: /dev/pts, one node per live pseudo-terminal pair plus ptmx. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "sentry/fs/dev/internal.h"

dev_t devpts_dev;
struct dentry *devpts_root;
static struct timespec devpts_time;

static int index_of(struct dentry *d) { return (int)(intptr_t)d->fsdata; }

static int pts_open(struct dentry *d, int flags, struct file **out)
{
	return pty_open_slave(d, index_of(d), flags, out);
}

static int pts_getattr(struct dentry *d, struct stat *st)
{
	return pty_stat(index_of(d), st);
}

static int pts_setattr(struct dentry *d, const struct synth_setattr *sa)
{
	if (sa->mask & SA_SIZE)
		return 0; /* O_TRUNC of a terminal: nothing to cut */
	return pty_setattr(index_of(d), sa);
}

static const struct dentry_ops pts_ops = {
    .open = pts_open, .getattr = pts_getattr, .setattr = pts_setattr};

static int ptmx_open(struct dentry *d, int flags, struct file **out)
{
	return pty_open_master(d, flags, out);
}

static const struct dentry_ops ptmx_ops = {.open = ptmx_open};

/* "N" without leading zeros or signs, or -1. */
static int parse_index(const char *s)
{
	long v = 0;
	if (!*s || (s[0] == '0' && s[1]))
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
		if (v >= PTY_MAX)
			return -1;
	}
	return (int)v;
}

static int root_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	struct stat st;
	struct dentry *d;
	if (!strcmp(name, "ptmx")) {
		memset(&st, 0, sizeof st);
		st.st_mode = S_IFCHR | 0666;
		st.st_ino = 2;
		st.st_rdev = makedev(5, 2);
		st.st_atim = st.st_mtim = st.st_ctim = devpts_time;
		d = synth_dentry_new(dir, name, &ptmx_ops, &st, NULL);
	} else {
		int i = parse_index(name);
		if (i < 0 || pty_stat(i, &st))
			return -ENOENT;
		d = synth_dentry_new(dir, name, &pts_ops, &st, (void *)(intptr_t)i);
	}
	if (!d)
		return -ENOMEM;
	*out = d;
	return 0;
}

static int root_readdir(struct dentry *dir, struct synth_dirbuf *db)
{
	int r = synth_dir_add(db, "ptmx", 2, DT_CHR);
	int *idx = malloc(PTY_MAX * sizeof *idx);
	if (!idx)
		return -ENOMEM;
	int n = pty_list(idx, PTY_MAX);
	for (int i = 0; i < n && !r; i++) {
		char name[16];
		snprintf(name, sizeof name, "%d", idx[i]);
		r = synth_dir_add(db, name, (uint64_t)idx[i] + 3, DT_CHR);
	}
	free(idx);
	return r;
}

static const struct dentry_ops root_ops = {.lookup = root_lookup, .readdir = root_readdir};

struct dentry *devpts_node(int index)
{
	char name[16];
	struct dentry *d;
	snprintf(name, sizeof name, "%d", index);
	return devpts_root && !root_lookup(devpts_root, name, &d) ? d : NULL;
}

int devpts_mount(void)
{
	clock_gettime(CLOCK_REALTIME, &devpts_time);
	struct stat st = {0};
	st.st_mode = S_IFDIR | 0755;
	st.st_ino = 1;
	st.st_atim = st.st_mtim = st.st_ctim = devpts_time;
	int r = vfs_mount("/dev/pts", "devpts", "devpts",
			  "rw,nosuid,noexec,relatime,gid=5,mode=620,ptmxmode=666", DEVPTS_MAGIC,
			  &root_ops, &st, NULL);
	if (r)
		return r;
	for (struct vfs_mount *m = vfs_mount_list(); m; m = m->next)
		if (!strcmp(m->fstype, "devpts"))
			devpts_root = m->root;
	devpts_dev = devpts_root->st.st_dev;
	return 0;
}
