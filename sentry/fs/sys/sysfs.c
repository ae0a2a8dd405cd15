/* sysfs's tree: static directories and generated read-only files, with one
 * cpuN directory per CPU the sandbox reports. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "sentry/fs/sys/sysfs.h"
#include "sentry/vfs/dentry.h"

struct sys_ent {
	const char *name; /* NULL ends a table */
	mode_t mode;
	int (*gen)(int cpu, struct sbuf *b);
	const struct sys_ent *children;
	bool cpu_dirs; /* also lists cpu0..cpuN-1 */
};

/* fsdata of every sysfs dentry. */
struct sys_node {
	const struct sys_ent *ent;
	int cpu; /* under cpuN/: N; else -1 */
};

static int ncpus = 1;
static char thp_enabled[128] = "always [madvise] never\n";
static char thp_defrag[128] = "always defer defer+madvise [madvise] never\n";
static struct timespec mount_time;

/* ---- files ---- */

/* "0-N" (or "0") for the CPUs online, possible and present alike. */
static int gen_cpu_range(int cpu, struct sbuf *b)
{
	if (ncpus > 1)
		sbuf_printf(b, "0-%d\n", ncpus - 1);
	else
		sbuf_printf(b, "0\n");
	return 0;
}

static int gen_empty_line(int cpu, struct sbuf *b)
{
	sbuf_printf(b, "\n");
	return 0;
}

static int gen_kernel_max(int cpu, struct sbuf *b)
{
	sbuf_printf(b, "8191\n");
	return 0;
}

static int gen_one(int cpu, struct sbuf *b)
{
	sbuf_printf(b, "1\n");
	return 0;
}

static int gen_thp_enabled(int cpu, struct sbuf *b)
{
	sbuf_printf(b, "%s", thp_enabled);
	return 0;
}

static int gen_thp_defrag(int cpu, struct sbuf *b)
{
	sbuf_printf(b, "%s", thp_defrag);
	return 0;
}

#define DIR_MODE (S_IFDIR | 0755)
#define FILE_MODE (S_IFREG | 0444)
#define F(n, g) {.name = n, .mode = FILE_MODE, .gen = g}
#define D(n, c) {.name = n, .mode = DIR_MODE, .children = c}

static const struct sys_ent none[] = {{0}};

static const struct sys_ent cpun[] = {
    F("online", gen_one),
    {0},
};
static const struct sys_ent cpun_ent = {.name = "cpu", .mode = DIR_MODE, .children = cpun};

static const struct sys_ent cpu[] = {
    F("kernel_max", gen_kernel_max), F("offline", gen_empty_line), F("online", gen_cpu_range),
    F("possible", gen_cpu_range),    F("present", gen_cpu_range),  {0},
};
static const struct sys_ent system_[] = {
    {.name = "cpu", .mode = DIR_MODE, .children = cpu, .cpu_dirs = true},
    {0},
};
static const struct sys_ent devices[] = {D("system", system_), {0}};
static const struct sys_ent thp[] = {
    F("defrag", gen_thp_defrag),
    F("enabled", gen_thp_enabled),
    {0},
};
static const struct sys_ent mm[] = {D("transparent_hugepage", thp), {0}};
static const struct sys_ent kernel[] = {D("mm", mm), {0}};
static const struct sys_ent fs[] = {D("cgroup", none), {0}};
static const struct sys_ent top[] = {
    D("block", none), D("bus", none),	    D("class", none), D("dev", none),
    D("devices", devices), D("firmware", none), D("fs", fs),	      D("kernel", kernel),
    D("module", none), D("power", none),	    {0},
};
static const struct sys_ent root_ent = {.name = "", .mode = DIR_MODE, .children = top};

/* ---- dentries ---- */

static uint64_t sys_ino(const struct sys_ent *e, int cpu)
{
	uint64_t h = (uint64_t)(uintptr_t)e * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(cpu + 1) << 48;
	return (h & 0x7fffffffffffULL) | 2;
}

static const struct dentry_ops dir_ops, file_ops;

static int node_new(struct dentry *parent, const char *name, const struct sys_ent *e, int cpu,
		    struct dentry **out)
{
	struct sys_node *n = malloc(sizeof *n);
	if (!n)
		return -ENOMEM;
	n->ent = e;
	n->cpu = cpu;
	struct stat st = {0};
	st.st_mode = e->mode;
	st.st_ino = sys_ino(e, cpu);
	st.st_size = S_ISREG(e->mode) ? 4096 : 0;
	st.st_atim = st.st_mtim = st.st_ctim = mount_time;
	struct dentry *d =
	    synth_dentry_new(parent, name, S_ISDIR(e->mode) ? &dir_ops : &file_ops, &st, n);
	if (!d) {
		free(n);
		return -ENOMEM;
	}
	*out = d;
	return 0;
}

/* "cpuN" with N a CPU of the sandbox (no leading zeros): N, else -1. */
static int cpu_index(const char *name)
{
	if (strncmp(name, "cpu", 3) || !name[3] || (name[3] == '0' && name[4]))
		return -1;
	int v = 0;
	for (const char *p = name + 3; *p; p++) {
		if (*p < '0' || *p > '9' || v > 100000)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v < ncpus ? v : -1;
}

static int dir_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	struct sys_node *n = dir->fsdata;
	for (const struct sys_ent *e = n->ent->children; e->name; e++)
		if (!strcmp(e->name, name))
			return node_new(dir, name, e, n->cpu, out);
	int c = n->ent->cpu_dirs ? cpu_index(name) : -1;
	if (c >= 0)
		return node_new(dir, name, &cpun_ent, c, out);
	return -ENOENT;
}

static int dir_readdir(struct dentry *dir, struct synth_dirbuf *db)
{
	struct sys_node *n = dir->fsdata;
	int r = 0;
	for (const struct sys_ent *e = n->ent->children; e->name && !r; e++)
		r = synth_dir_add(db, e->name, sys_ino(e, n->cpu), synth_dtype(e->mode));
	for (int c = 0; n->ent->cpu_dirs && c < ncpus && !r; c++) {
		char name[16];
		snprintf(name, sizeof name, "cpu%d", c);
		r = synth_dir_add(db, name, sys_ino(&cpun_ent, c), DT_DIR);
	}
	return r;
}

static int file_open(struct dentry *d, int flags, struct file **out)
{
	struct sys_node *n = d->fsdata;
	/* No attribute here is writable: refused at open, as sysfs does. */
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC))
		return -EACCES;
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	struct sbuf b = {0};
	int r = n->ent->gen(n->cpu, &b);
	if (r) {
		free(b.buf);
		return r;
	}
	return sbuf_to_file(&b, d, flags, out);
}

static int sys_statfs(struct dentry *d, struct statfs *sf)
{
	memset(sf, 0, sizeof *sf);
	sf->f_type = SYSFS_MAGIC;
	sf->f_bsize = 4096;
	sf->f_namelen = 255;
	sf->f_frsize = 4096;
	sf->f_flags = ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC | ST_RELATIME;
	return 0;
}

static void node_release(struct dentry *d) { free(d->fsdata); }

static const struct dentry_ops dir_ops = {
    .lookup = dir_lookup,
    .readdir = dir_readdir,
    .statfs = sys_statfs,
    .release = node_release,
};

static const struct dentry_ops file_ops = {
    .open = file_open,
    .statfs = sys_statfs,
    .release = node_release,
};

/* ---- the mount ---- */

/* A host file's first line (with its newline) into buf, if readable. */
static void read_host(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, size - 1);
	close(fd);
	if (n > 0 && buf[n - 1] == '\n')
		buf[n] = '\0';
}

int sysfs_mount(void)
{
	/* As sched_getaffinity reports the sandbox's CPUs (sys_sched.c). */
	int n = get_nprocs();
	ncpus = n < 1 ? 1 : n > 64 ? 64 : n;
	read_host("/sys/kernel/mm/transparent_hugepage/enabled", thp_enabled, sizeof thp_enabled);
	read_host("/sys/kernel/mm/transparent_hugepage/defrag", thp_defrag, sizeof thp_defrag);
	clock_gettime(CLOCK_REALTIME, &mount_time);

	struct sys_node *root = malloc(sizeof *root);
	if (!root)
		return -ENOMEM;
	root->ent = &root_ent;
	root->cpu = -1;
	struct stat st = {0};
	st.st_mode = DIR_MODE;
	st.st_ino = 1;
	st.st_atim = st.st_mtim = st.st_ctim = mount_time;
	int r = vfs_mount("/sys", "sysfs", "sysfs", "ro,nosuid,nodev,noexec,relatime", SYSFS_MAGIC,
			  &dir_ops, &st, root);
	if (r)
		free(root);
	return r;
}
