/* The files at the top of /proc that describe the whole sandbox: self,
 * meminfo, cpuinfo, uptime, loadavg, version, stat, filesystems, and the
 * sysctls under sys/ (hostname and domainname writable). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>

#include "sentry/fs/proc/internal.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/uts.h"
#include "sentry/mm/mm.h"

static int gen_self(struct proc_node *n, struct sbuf *b)
{
	struct task *t = proc_caller();
	if (!t)
		return -ENOENT;
	sbuf_printf(b, "%d", t->tg->tgid);
	return 0;
}

static int gen_thread_self(struct proc_node *n, struct sbuf *b)
{
	struct task *t = proc_caller();
	if (!t)
		return -ENOENT;
	sbuf_printf(b, "%d/task/%d", t->tg->tgid, t->tid);
	return 0;
}

static int gen_mounts_link(struct proc_node *n, struct sbuf *b)
{
	sbuf_printf(b, "self/mounts");
	return 0;
}

/* The sandbox's memory: the host's, capped by the sentry's cgroup limit;
 * what the memory file holds is in use. */
static int gen_meminfo(struct proc_node *n, struct sbuf *b)
{
	struct sysinfo si;
	if (sysinfo(&si))
		return -errno;
	uint64_t unit = si.mem_unit ? si.mem_unit : 1;
	uint64_t total = si.totalram * unit / 1024, free_kb = si.freeram * unit / 1024;
	uint64_t bufs = si.bufferram * unit / 1024, shared = si.sharedram * unit / 1024;
	uint64_t used = memfile_used() / 1024;
	if (proc_mem_limit && proc_mem_limit / 1024 < total)
		total = proc_mem_limit / 1024;
	uint64_t left = total > used ? total - used : 0;
	uint64_t avail = free_kb + bufs;
	if (free_kb > left)
		free_kb = left;
	if (avail > left)
		avail = left;
	const struct {
		const char *key;
		uint64_t kb;
	} rows[] = {
	    {"MemTotal", total},	   {"MemFree", free_kb},     {"MemAvailable", avail},
	    {"Buffers", 0},		   {"Cached", bufs},	     {"SwapCached", 0},
	    {"Active", used},		   {"Inactive", 0},	     {"Active(anon)", used},
	    {"Inactive(anon)", 0},	   {"Active(file)", 0},      {"Inactive(file)", 0},
	    {"Unevictable", 0},		   {"Mlocked", 0},	     {"SwapTotal", 0},
	    {"SwapFree", 0},		   {"Dirty", 0},	     {"Writeback", 0},
	    {"AnonPages", used},	   {"Mapped", 0},	     {"Shmem", shared},
	    {"KReclaimable", 0},	   {"Slab", 0},		     {"SReclaimable", 0},
	    {"SUnreclaim", 0},		   {"KernelStack", 0},	     {"PageTables", 0},
	    {"NFS_Unstable", 0},	   {"Bounce", 0},	     {"WritebackTmp", 0},
	    {"CommitLimit", total},	   {"Committed_AS", used},   {"VmallocTotal", 34359738367ULL},
	    {"VmallocUsed", 0},		   {"VmallocChunk", 0},	     {"Percpu", 0},
	    {"AnonHugePages", 0},	   {"ShmemHugePages", 0},    {"ShmemPmdMapped", 0},
	    {"FileHugePages", 0},	   {"FilePmdMapped", 0},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char key[32];
		snprintf(key, sizeof key, "%s:", rows[i].key);
		sbuf_printf(b, "%-15s %8lu kB\n", key, (unsigned long)rows[i].kb);
	}
	sbuf_printf(b, "HugePages_Total:       0\nHugePages_Free:        0\n"
		       "HugePages_Rsvd:        0\nHugePages_Surp:        0\n"
		       "Hugepagesize:       2048 kB\nHugetlb:               0 kB\n");
	return 0;
}

static int gen_cpuinfo(struct proc_node *n, struct sbuf *b)
{
	if (proc_host_cpuinfo) {
		sbuf_add(b, proc_host_cpuinfo, strlen(proc_host_cpuinfo));
		return 0;
	}
	for (int i = 0; i < proc_ncpus; i++)
		sbuf_printf(b, "processor\t: %d\nvendor_id\t: unknown\nmodel name\t: unknown\n\n", i);
	return 0;
}

/* Since the sandbox started; idle time is not kept. */
static int gen_uptime(struct proc_node *n, struct sbuf *b)
{
	uint64_t up = proc_now_ns() - proc_boot_ns;
	sbuf_printf(b, "%lu.%02lu 0.00\n", (unsigned long)(up / 1000000000ULL),
		    (unsigned long)(up % 1000000000ULL / 10000000ULL));
	return 0;
}

struct counts {
	int procs, threads, last, running;
};

static void count_tg(struct thread_group *tg, void *arg)
{
	struct counts *c = arg;
	c->procs++;
	c->threads += tg->nr_threads;
	for (struct task *t = tg->threads; t; t = t->tg_next) {
		if (t->tid > c->last)
			c->last = t->tid;
		if (t == task_current() || atomic_load(&t->in_app))
			c->running++;
	}
	if (tg->tgid > c->last)
		c->last = tg->tgid;
}

static struct counts count_tasks(void)
{
	struct counts c = {0};
	pthread_mutex_lock(&tasklist_lock);
	proc_for_each_tg_locked(count_tg, &c);
	pthread_mutex_unlock(&tasklist_lock);
	return c;
}

static int gen_loadavg(struct proc_node *n, struct sbuf *b)
{
	struct counts c = count_tasks();
	sbuf_printf(b, "0.00 0.00 0.00 %d/%d %d\n", c.running ? c.running : 1, c.threads, c.last);
	return 0;
}

static int gen_version(struct proc_node *n, struct sbuf *b)
{
	struct utsname u;
	uts_get(&u);
	/* The release uname(2) reports inside; the rest is ours. */
	sbuf_printf(b, "Linux version %s (cvisor@cvisor) (cc) %s\n", u.release, u.version);
	return 0;
}

/* The filesystems the sentry implements (or will mount), as Linux lists
 * them: "nodev" for those without a block device. */
static int gen_filesystems(struct proc_node *n, struct sbuf *b)
{
	static const char *const names[] = {"sysfs",  "tmpfs", "proc",   "devtmpfs", "devpts",
					    "pipefs", "sockfs", "anon_inodefs", "mqueue", "overlay",
					    "9p"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		sbuf_printf(b, "nodev\t%s\n", names[i]);
	return 0;
}

static int gen_stat(struct proc_node *n, struct sbuf *b)
{
	if (proc_host_statcpu) {
		sbuf_add(b, proc_host_statcpu, strlen(proc_host_statcpu));
	} else {
		sbuf_printf(b, "cpu  0 0 0 0 0 0 0 0 0 0\n");
		for (int i = 0; i < proc_ncpus; i++)
			sbuf_printf(b, "cpu%d 0 0 0 0 0 0 0 0 0 0\n", i);
	}
	struct counts c = count_tasks();
	sbuf_printf(b, "intr 0\nctxt 0\nbtime %lu\nprocesses %d\nprocs_running %d\n"
		       "procs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
		    (unsigned long)proc_boot_real, c.last, c.running ? c.running : 1);
	return 0;
}

static int gen_hostname(struct proc_node *n, struct sbuf *b)
{
	struct utsname u;
	uts_get(&u);
	sbuf_printf(b, "%s\n", u.nodename);
	return 0;
}

static int gen_domainname(struct proc_node *n, struct sbuf *b)
{
	struct utsname u;
	uts_get(&u);
	sbuf_printf(b, "%s\n", u.domainname);
	return 0;
}

static int gen_osrelease(struct proc_node *n, struct sbuf *b)
{
	struct utsname u;
	uts_get(&u);
	sbuf_printf(b, "%s\n", u.release);
	return 0;
}

static int gen_kversion(struct proc_node *n, struct sbuf *b)
{
	struct utsname u;
	uts_get(&u);
	sbuf_printf(b, "%s\n", u.version);
	return 0;
}

/* Writes to the UTS sysctls: as sethostname (CAP_SYS_ADMIN), the text
 * up to a newline, cut at 64 bytes.  A write at an offset appends (the
 * way `echo` in pieces arrives); every write is taken whole. */
static long write_uts(const char *buf, size_t len, size_t total, int64_t off, bool host)
{
	struct task *t = proc_caller();
	if (!t || !cred_capable(&t->cred, 21 /* CAP_SYS_ADMIN */))
		return -EPERM;
	struct utsname u;
	uts_get(&u);
	char name[UTS_NAME_MAX + 1];
	size_t have = 0;
	if (off > 0) {
		const char *cur = host ? u.nodename : u.domainname;
		have = strnlen(cur, UTS_NAME_MAX);
		if ((uint64_t)off < have)
			have = (size_t)off;
		memcpy(name, cur, have);
	}
	for (size_t i = 0; i < len && buf[i] && buf[i] != '\n' && have < UTS_NAME_MAX; i++)
		name[have++] = buf[i];
	if (host)
		uts_set_hostname_bytes(name, have);
	else
		uts_set_domainname_bytes(name, have);
	return (long)total;
}

static long write_hostname(struct file *f, const char *buf, size_t len, size_t total, int64_t off)
{
	return write_uts(buf, len, total, off, true);
}

static long write_domainname(struct file *f, const char *buf, size_t len, size_t total,
			     int64_t off)
{
	return write_uts(buf, len, total, off, false);
}

static int gen_boot_id(struct proc_node *n, struct sbuf *b)
{
	sbuf_printf(b, "%s\n", proc_boot_id);
	return 0;
}

static int gen_uuid(struct proc_node *n, struct sbuf *b)
{
	char u[37];
	proc_uuid(u);
	sbuf_printf(b, "%s\n", u);
	return 0;
}

/* Files with a fixed text. */
#define CONST_GEN(fn, text)                                                                        \
	static int fn(struct proc_node *n, struct sbuf *b)                                         \
	{                                                                                          \
		sbuf_printf(b, "%s", text);                                                        \
		return 0;                                                                          \
	}
CONST_GEN(gen_ostype, "Linux\n")
CONST_GEN(gen_pid_max, "4194304\n")
CONST_GEN(gen_ngroups_max, "65536\n")
CONST_GEN(gen_cap_last_cap, "40\n")
CONST_GEN(gen_pipe_max, "1048576\n")
CONST_GEN(gen_nr_open, "1048576\n")
CONST_GEN(gen_overcommit, "0\n")
CONST_GEN(gen_max_map_count, "65530\n")
CONST_GEN(gen_mmap_min_addr, "65536\n")
CONST_GEN(gen_overflowid, "65534\n")
CONST_GEN(gen_file_max, "9223372036854775807\n")
CONST_GEN(gen_somaxconn, "4096\n")

#define RO (S_IFREG | 0444)
#define DIR (S_IFDIR | 0555)
#define LNK (S_IFLNK | 0777)
#define FILE_ENT(n, g) {.name = n, .mode = RO, .ops = &proc_file_ops, .gen = g}
#define DIR_ENT(n, c) {.name = n, .mode = DIR, .ops = &proc_dir_ops, .children = c}
#define LINK_ENT(n, g) {.name = n, .mode = LNK, .ops = &proc_link_ops, .gen = g}
#define RW_ENT(n, g, w)                                                                            \
	{.name = n, .mode = S_IFREG | 0644, .ops = &proc_file_ops, .gen = g, .write = w}

static const struct proc_entry sys_kernel_random[] = {
    FILE_ENT("boot_id", gen_boot_id),
    FILE_ENT("uuid", gen_uuid),
    {0},
};

static const struct proc_entry sys_kernel[] = {
    FILE_ENT("cap_last_cap", gen_cap_last_cap),
    RW_ENT("domainname", gen_domainname, write_domainname),
    RW_ENT("hostname", gen_hostname, write_hostname),
    FILE_ENT("ngroups_max", gen_ngroups_max),
    FILE_ENT("osrelease", gen_osrelease),
    FILE_ENT("ostype", gen_ostype),
    FILE_ENT("overflowgid", gen_overflowid),
    FILE_ENT("overflowuid", gen_overflowid),
    FILE_ENT("pid_max", gen_pid_max),
    DIR_ENT("random", sys_kernel_random),
    FILE_ENT("version", gen_kversion),
    {0},
};

static const struct proc_entry sys_fs[] = {
    FILE_ENT("file-max", gen_file_max),
    FILE_ENT("nr_open", gen_nr_open),
    FILE_ENT("pipe-max-size", gen_pipe_max),
    {0},
};

static const struct proc_entry sys_vm[] = {
    FILE_ENT("max_map_count", gen_max_map_count),
    FILE_ENT("mmap_min_addr", gen_mmap_min_addr),
    FILE_ENT("overcommit_memory", gen_overcommit),
    {0},
};

static const struct proc_entry sys_net_core[] = {
    FILE_ENT("somaxconn", gen_somaxconn),
    {0},
};

static const struct proc_entry sys_net[] = {
    DIR_ENT("core", sys_net_core),
    {0},
};

static const struct proc_entry sys[] = {
    DIR_ENT("fs", sys_fs),
    DIR_ENT("kernel", sys_kernel),
    DIR_ENT("net", sys_net),
    DIR_ENT("vm", sys_vm),
    {0},
};

const struct proc_entry proc_root_entries[] = {
    FILE_ENT("cpuinfo", gen_cpuinfo),
    FILE_ENT("filesystems", gen_filesystems),
    FILE_ENT("loadavg", gen_loadavg),
    FILE_ENT("meminfo", gen_meminfo),
    LINK_ENT("mounts", gen_mounts_link),
    LINK_ENT("self", gen_self),
    FILE_ENT("stat", gen_stat),
    DIR_ENT("sys", sys),
    LINK_ENT("thread-self", gen_thread_self),
    FILE_ENT("uptime", gen_uptime),
    FILE_ENT("version", gen_version),
    {0},
};
