/* The files at the top of /proc that describe the whole sandbox: self,
 * meminfo, cpuinfo, uptime, loadavg, version, stat, sys/... */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>

#include "sentry/fs/proc/internal.h"
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

static int gen_meminfo(struct proc_node *n, struct sbuf *b)
{
	struct sysinfo si;
	if (sysinfo(&si))
		return -errno;
	uint64_t unit = si.mem_unit ? si.mem_unit : 1;
	uint64_t total = si.totalram * unit / 1024, free_kb = si.freeram * unit / 1024;
	uint64_t bufs = si.bufferram * unit / 1024, shared = si.sharedram * unit / 1024;
	uint64_t used = memfile_used() / 1024;
	sbuf_printf(b, "MemTotal:       %8lu kB\n", (unsigned long)total);
	sbuf_printf(b, "MemFree:        %8lu kB\n", (unsigned long)free_kb);
	sbuf_printf(b, "MemAvailable:   %8lu kB\n", (unsigned long)(free_kb + bufs));
	sbuf_printf(b, "Buffers:        %8lu kB\n", 0UL);
	sbuf_printf(b, "Cached:         %8lu kB\n", (unsigned long)bufs);
	sbuf_printf(b, "SwapCached:     %8lu kB\n", 0UL);
	sbuf_printf(b, "Active:         %8lu kB\n", (unsigned long)used);
	sbuf_printf(b, "Inactive:       %8lu kB\n", 0UL);
	sbuf_printf(b, "Active(anon):   %8lu kB\n", (unsigned long)used);
	sbuf_printf(b, "Inactive(anon): %8lu kB\n", 0UL);
	sbuf_printf(b, "Active(file):   %8lu kB\n", 0UL);
	sbuf_printf(b, "Inactive(file): %8lu kB\n", 0UL);
	sbuf_printf(b, "Unevictable:    %8lu kB\n", 0UL);
	sbuf_printf(b, "Mlocked:        %8lu kB\n", 0UL);
	sbuf_printf(b, "SwapTotal:      %8lu kB\n", 0UL);
	sbuf_printf(b, "SwapFree:       %8lu kB\n", 0UL);
	sbuf_printf(b, "Dirty:          %8lu kB\n", 0UL);
	sbuf_printf(b, "Writeback:      %8lu kB\n", 0UL);
	sbuf_printf(b, "AnonPages:      %8lu kB\n", (unsigned long)used);
	sbuf_printf(b, "Mapped:         %8lu kB\n", 0UL);
	sbuf_printf(b, "Shmem:          %8lu kB\n", (unsigned long)shared);
	sbuf_printf(b, "CommitLimit:    %8lu kB\n", (unsigned long)total);
	sbuf_printf(b, "Committed_AS:   %8lu kB\n", (unsigned long)used);
	sbuf_printf(b, "VmallocTotal:   %8lu kB\n", 34359738367UL);
	sbuf_printf(b, "VmallocUsed:    %8lu kB\n", 0UL);
	sbuf_printf(b, "VmallocChunk:   %8lu kB\n", 0UL);
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

static int gen_uptime(struct proc_node *n, struct sbuf *b)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	sbuf_printf(b, "%ld.%02ld 0.00\n", (long)ts.tv_sec, ts.tv_nsec / 10000000);
	return 0;
}

struct counts {
	int procs, threads, last;
};

static void count_tg(struct thread_group *tg, void *arg)
{
	struct counts *c = arg;
	c->procs++;
	c->threads += tg->nr_threads;
	for (struct task *t = tg->threads; t; t = t->tg_next)
		if (t->tid > c->last)
			c->last = t->tid;
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
	sbuf_printf(b, "0.00 0.00 0.00 1/%d %d\n", c.threads, c.last);
	return 0;
}

static int gen_version(struct proc_node *n, struct sbuf *b)
{
	struct utsname u;
	uname(&u);
	/* The release uname(2) reports inside; the rest is ours. */
	sbuf_printf(b, "Linux version %s (cvisor@cvisor) (cc) #1 SMP cvisor\n", u.release);
	return 0;
}

static int gen_filesystems(struct proc_node *n, struct sbuf *b)
{
	sbuf_printf(b, "nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevpts\nnodev\tpipefs\n"
		       "nodev\t9p\n");
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
	sbuf_printf(b, "intr 0\nctxt 0\nbtime %lu\nprocesses %d\nprocs_running 1\n"
		       "procs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n",
		    (unsigned long)proc_host_btime, c.last);
	return 0;
}

static int gen_hostname(struct proc_node *n, struct sbuf *b)
{
	struct utsname u;
	uname(&u);
	sbuf_printf(b, "%s\n", u.nodename);
	return 0;
}

static int gen_osrelease(struct proc_node *n, struct sbuf *b)
{
	struct utsname u;
	uname(&u);
	sbuf_printf(b, "%s\n", u.release);
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
CONST_GEN(gen_kversion, "#1 SMP cvisor\n")
CONST_GEN(gen_pid_max, "4194304\n")
CONST_GEN(gen_ngroups_max, "65536\n")
CONST_GEN(gen_cap_last_cap, "40\n")
CONST_GEN(gen_pipe_max, "1048576\n")
CONST_GEN(gen_nr_open, "1048576\n")
CONST_GEN(gen_overcommit, "0\n")
CONST_GEN(gen_max_map_count, "65530\n")

#define RO (S_IFREG | 0444)
#define DIR (S_IFDIR | 0555)
#define LNK (S_IFLNK | 0777)
#define FILE_ENT(n, g) {.name = n, .mode = RO, .ops = &proc_file_ops, .gen = g}
#define DIR_ENT(n, c) {.name = n, .mode = DIR, .ops = &proc_dir_ops, .children = c}
#define LINK_ENT(n, g) {.name = n, .mode = LNK, .ops = &proc_link_ops, .gen = g}

static const struct proc_entry sys_kernel[] = {
    FILE_ENT("cap_last_cap", gen_cap_last_cap),
    FILE_ENT("hostname", gen_hostname),
    FILE_ENT("ngroups_max", gen_ngroups_max),
    FILE_ENT("osrelease", gen_osrelease),
    FILE_ENT("ostype", gen_ostype),
    FILE_ENT("pid_max", gen_pid_max),
    FILE_ENT("version", gen_kversion),
    {0},
};

static const struct proc_entry sys_fs[] = {
    FILE_ENT("nr_open", gen_nr_open),
    FILE_ENT("pipe-max-size", gen_pipe_max),
    {0},
};

static const struct proc_entry sys_vm[] = {
    FILE_ENT("max_map_count", gen_max_map_count),
    FILE_ENT("overcommit_memory", gen_overcommit),
    {0},
};

static const struct proc_entry sys[] = {
    DIR_ENT("fs", sys_fs),
    DIR_ENT("kernel", sys_kernel),
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
