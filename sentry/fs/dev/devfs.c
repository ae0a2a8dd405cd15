/* devfs: /dev itself, its fixed entries, and the mounts (/dev, /dev/pts). */
#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "sentry/fs/dev/dev.h"
#include "sentry/fs/dev/internal.h"

static struct timespec devfs_time;
/* The directories other filesystems mount on: the same dentry at every
 * lookup (a reference kept for good), so the mount stays attached. */
static struct dentry *dir_dentries[2];
static pthread_mutex_t dir_lock = PTHREAD_MUTEX_INITIALIZER;

static int node_open(struct dentry *d, int flags, struct file **out)
{
	const struct devnode *n = d->fsdata;
	return n->open(d, flags, out);
}

static long node_readlink(struct dentry *d, char *buf, size_t size)
{
	const struct devnode *n = d->fsdata;
	size_t len = strlen(n->link);
	if (len >= size)
		return -ENAMETOOLONG;
	memcpy(buf, n->link, len + 1);
	return (long)len;
}

static int dir_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	return -ENOENT;
}

static int dir_readdir(struct dentry *dir, struct synth_dirbuf *db) { return 0; }

static const struct dentry_ops node_ops = {.open = node_open, .readlink = node_readlink};
/* pts and shm before anything is mounted on them: empty directories. */
static const struct dentry_ops subdir_ops = {.lookup = dir_lookup, .readdir = dir_readdir};

static void node_stat(const struct devnode *n, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_mode = n->mode;
	st->st_ino = (ino_t)(n - devfs_nodes) + 2;
	if (S_ISCHR(n->mode))
		st->st_rdev = makedev(n->major, n->minor);
	if (n->link)
		st->st_size = (off_t)strlen(n->link);
	st->st_gid = n->major == 5 && n->minor == 0 ? 5 : 0; /* tty belongs to group tty */
	st->st_atim = st->st_mtim = st->st_ctim = devfs_time;
}

static int root_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	for (const struct devnode *n = devfs_nodes; n->name; n++) {
		if (strcmp(n->name, name))
			continue;
		struct stat st;
		node_stat(n, &st);
		if (S_ISDIR(n->mode)) {
			int slot = !strcmp(name, "shm");
			pthread_mutex_lock(&dir_lock);
			if (!dir_dentries[slot])
				dir_dentries[slot] =
				    synth_dentry_new(dir, name, &subdir_ops, &st, (void *)n);
			struct dentry *d = dir_dentries[slot] ? dentry_get(dir_dentries[slot]) : NULL;
			pthread_mutex_unlock(&dir_lock);
			if (!d)
				return -ENOMEM;
			*out = d;
			return 0;
		}
		struct dentry *d = synth_dentry_new(dir, name, &node_ops, &st, (void *)n);
		if (!d)
			return -ENOMEM;
		*out = d;
		return 0;
	}
	return -ENOENT;
}

static int root_readdir(struct dentry *dir, struct synth_dirbuf *db)
{
	for (const struct devnode *n = devfs_nodes; n->name; n++) {
		int r = synth_dir_add(db, n->name, (uint64_t)(n - devfs_nodes) + 2,
				      synth_dtype(n->mode));
		if (r)
			return r;
	}
	return 0;
}

static const struct dentry_ops root_ops = {.lookup = root_lookup, .readdir = root_readdir};

int devfs_mount(void)
{
	clock_gettime(CLOCK_REALTIME, &devfs_time);
	devfs_host_tty_init();
	struct stat st = {0};
	st.st_mode = S_IFDIR | 0755;
	st.st_ino = 1;
	st.st_atim = st.st_mtim = st.st_ctim = devfs_time;
	int r = vfs_mount("/dev", "devtmpfs", "devtmpfs", "rw,nosuid,relatime,mode=755",
			  DEVFS_MAGIC, &root_ops, &st, NULL);
	if (r)
		return r;
	return devpts_mount();
}
