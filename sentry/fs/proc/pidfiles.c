/* The generated files of /proc/<pid>: status, stat, statm, comm (writable),
 * cmdline, environ, auxv, maps, mounts, mountinfo, cgroup, limits,
 * oom_score, oom_score_adj (writable). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>

#include "sentry/fs/proc/internal.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/mm/mm.h"

#define NS_PER_TICK (1000000000ULL / 100) /* USER_HZ */
#define KB(bytes) ((unsigned long)((bytes) / 1024))

/* Resident memory is not counted per address space: the memory file's use
 * bounds it (exact for one process, an over-estimate beyond). */
static uint64_t rss_bytes(const struct mm *mm)
{
	uint64_t used = memfile_used();
	return used < mm->vm_size ? used : mm->vm_size;
}

int proc_gen_status(struct proc_node *n, struct sbuf *b)
{
	struct proc_snap *s;
	int r = proc_snap_take(n, SNAP_MM | SNAP_FS | SNAP_FILES, &s);
	if (r)
		return r;
	const struct cred *c = &s->cred;
	int fdsize = 0;
	mode_t umask = 022;
	if (s->files) {
		pthread_mutex_lock(&s->files->lock);
		fdsize = s->files->size;
		pthread_mutex_unlock(&s->files->lock);
	}
	if (s->fs) {
		pthread_mutex_lock(&s->fs->lock);
		umask = s->fs->umask;
		pthread_mutex_unlock(&s->fs->lock);
	}
	sbuf_printf(b, "Name:\t%s\nUmask:\t%04o\nState:\t%s\n", s->comm, umask,
		    proc_state_name(s->state));
	sbuf_printf(b, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", s->tgid, s->tid,
		    s->ppid);
	sbuf_printf(b, "Uid:\t%u\t%u\t%u\t%u\n", c->ruid, c->euid, c->suid, c->fsuid);
	sbuf_printf(b, "Gid:\t%u\t%u\t%u\t%u\n", c->rgid, c->egid, c->sgid, c->fsgid);
	sbuf_printf(b, "FDSize:\t%d\nGroups:\t", fdsize < 64 ? 64 : fdsize);
	int ng = c->ngroups < (int)(sizeof c->groups / sizeof c->groups[0])
		     ? c->ngroups
		     : (int)(sizeof c->groups / sizeof c->groups[0]);
	for (int i = 0; i < ng; i++)
		sbuf_printf(b, "%u ", c->groups[i]);
	sbuf_printf(b, "\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", s->tgid, s->tid,
		    s->pgid, s->sid);
	if (s->mm) {
		uint64_t vm = s->mm->vm_size, rss = rss_bytes(s->mm);
		sbuf_printf(b,
			    "VmPeak:\t%8lu kB\nVmSize:\t%8lu kB\nVmLck:\t%8lu kB\nVmPin:\t%8lu kB\n"
			    "VmHWM:\t%8lu kB\nVmRSS:\t%8lu kB\nRssAnon:\t%8lu kB\n"
			    "RssFile:\t%8lu kB\nRssShmem:\t%8lu kB\nVmData:\t%8lu kB\n"
			    "VmStk:\t%8lu kB\nVmExe:\t%8lu kB\nVmLib:\t%8lu kB\nVmPTE:\t%8lu kB\n"
			    "VmSwap:\t%8lu kB\nHugetlbPages:\t%8lu kB\n",
			    KB(vm), KB(vm), 0UL, 0UL, KB(rss), KB(rss), KB(rss), 0UL, 0UL, 0UL,
			    132UL, 0UL, 0UL, 0UL, 0UL, 0UL);
	}
	sbuf_printf(b, "CoreDumping:\t0\nThreads:\t%d\n", s->nr_threads);
	sbuf_printf(b, "SigQ:\t0/%lu\n", (unsigned long)s->rlim_sigpending);
	sbuf_printf(b, "SigPnd:\t%016lx\nShdPnd:\t%016lx\nSigBlk:\t%016lx\nSigIgn:\t%016lx\n"
		       "SigCgt:\t%016lx\n",
		    (unsigned long)s->sigpnd, (unsigned long)s->shdpnd, (unsigned long)s->sigblk,
		    (unsigned long)s->sigign, (unsigned long)s->sigcgt);
	sbuf_printf(b, "CapInh:\t%016lx\nCapPrm:\t%016lx\nCapEff:\t%016lx\nCapBnd:\t%016lx\n"
		       "CapAmb:\t%016lx\n",
		    (unsigned long)c->cap_inheritable, (unsigned long)c->cap_permitted,
		    (unsigned long)c->cap_effective, (unsigned long)c->cap_bounding,
		    (unsigned long)c->cap_ambient);
	sbuf_printf(b, "NoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\n", c->no_new_privs);
	sbuf_printf(b, "Cpus_allowed:\t%lx\nCpus_allowed_list:\t0",
		    proc_ncpus >= 64 ? ~0UL : (1UL << proc_ncpus) - 1);
	if (proc_ncpus > 1)
		sbuf_printf(b, "-%d", proc_ncpus - 1);
	sbuf_printf(b, "\nMems_allowed:\t1\nMems_allowed_list:\t0\n"
		       "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n");
	proc_snap_put(s);
	return 0;
}

int proc_gen_stat(struct proc_node *n, struct sbuf *b)
{
	struct proc_snap *s;
	int r = proc_snap_take(n, SNAP_MM, &s);
	if (r)
		return r;
	struct mm *mm = s->mm;
	uint64_t vsize = mm ? mm->vm_size : 0, rss = mm ? rss_bytes(mm) / 4096 : 0;
	/* priority as Linux shows it: 20 + nice, or -1 - rt_priority. */
	int prio = s->policy == 1 || s->policy == 2 ? -1 - s->rt_priority : 20 + s->nice;
	uint64_t start = s->start_ns > proc_boot_ns ? s->start_ns - proc_boot_ns : 0;
	/* Fields 1-52 of proc(5); what the sentry does not track is 0. */
	/* 1-13: pid comm state ppid pgrp session tty_nr tpgid flags faults */
	sbuf_printf(b, "%d (%s) %c %d %d %d %d %d %u 0 0 0 0 ", s->tid, s->comm, s->state, s->ppid,
		    s->pgid, s->sid, s->tty_nr, s->tpgid, 0x400000u);
	/* 14-22: times, priority nice num_threads itrealvalue starttime */
	sbuf_printf(b, "%lu %lu %lu %lu %d %d %d 0 %lu ",
		    (unsigned long)(s->utime_ns / NS_PER_TICK),
		    (unsigned long)(s->stime_ns / NS_PER_TICK),
		    (unsigned long)(s->cutime_ns / NS_PER_TICK),
		    (unsigned long)(s->cstime_ns / NS_PER_TICK), prio, s->nice, s->nr_threads,
		    (unsigned long)(start / NS_PER_TICK));
	/* 23-30: vsize rss rsslim, startcode/endcode as Linux shows them to
	 * readers without ptrace access (1, which also says "no kernel
	 * thread"), startstack kstkesp kstkeip */
	sbuf_printf(b, "%lu %lu %lu %lu %lu %lu 0 0 ", (unsigned long)vsize, (unsigned long)rss,
		    (unsigned long)s->rlim_rss, mm ? 1UL : 0UL, mm ? 1UL : 0UL,
		    mm ? (unsigned long)mm->stack_top : 0UL);
	/* 31-44: signal sets, wchan nswap cnswap exit_signal processor
	 * rt_priority policy blkio guest cguest */
	sbuf_printf(b, "%lu %lu %lu %lu 0 0 0 %d 0 %d %d 0 0 0 ",
		    (unsigned long)(s->sigpnd | s->shdpnd), (unsigned long)s->sigblk,
		    (unsigned long)s->sigign, (unsigned long)s->sigcgt, s->exit_signal,
		    s->rt_priority, s->policy);
	/* 45-52: start_data end_data start_brk arg/env areas exit_code */
	sbuf_printf(b, "0 0 %lu %lu %lu %lu %lu %d\n", mm ? (unsigned long)mm->brk_start : 0UL,
		    mm ? (unsigned long)mm->arg_start : 0UL, mm ? (unsigned long)mm->arg_end : 0UL,
		    mm ? (unsigned long)mm->env_start : 0UL, mm ? (unsigned long)mm->env_end : 0UL,
		    s->zombie ? s->exit_status : 0);
	proc_snap_put(s);
	return 0;
}

int proc_gen_statm(struct proc_node *n, struct sbuf *b)
{
	struct proc_snap *s;
	int r = proc_snap_take(n, SNAP_MM, &s);
	if (r)
		return r;
	unsigned long size = s->mm ? (unsigned long)(s->mm->vm_size / 4096) : 0;
	unsigned long res = s->mm ? (unsigned long)(rss_bytes(s->mm) / 4096) : 0;
	sbuf_printf(b, "%lu %lu 0 0 0 %lu 0\n", size, res, res);
	proc_snap_put(s);
	return 0;
}

int proc_gen_comm(struct proc_node *n, struct sbuf *b)
{
	struct proc_snap *s;
	int r = proc_snap_take(n, 0, &s);
	if (r)
		return r;
	sbuf_printf(b, "%s\n", s->comm);
	proc_snap_put(s);
	return 0;
}

/* As PR_SET_NAME, for a thread of the writer's own process only (EINVAL
 * otherwise); the first 15 bytes are the name, a newline included. */
long proc_write_comm(struct file *f, const char *buf, size_t len, size_t total, int64_t off)
{
	struct proc_node *n = f->dentry->fsdata;
	struct task *self = proc_caller();
	char name[16] = {0};
	memcpy(name, buf, len < 15 ? len : 15);
	long r = (long)total;
	pthread_mutex_lock(&tasklist_lock);
	struct task *t = task_lookup_locked(n->tid ? n->tid : n->tgid);
	if (!t || t->tg->tgid != n->tgid || t->tg->zombie) {
		r = -ESRCH;
	} else if (!self || self->tg != t->tg) {
		r = -EINVAL;
	} else {
		pthread_mutex_lock(&t->tg->lock);
		memcpy(t->comm, name, sizeof name);
		if (t->tg->leader == t)
			memcpy(t->tg->comm, name, sizeof name);
		pthread_mutex_unlock(&t->tg->lock);
	}
	pthread_mutex_unlock(&tasklist_lock);
	return r;
}

/* Application memory [start, end) of the node's task, read with no lock
 * held (the mm reference keeps the address space). */
#define MAX_AREA (4UL << 20)

static int gen_area(struct proc_node *n, struct sbuf *b, int which)
{
	struct proc_snap *s;
	int r = proc_snap_take(n, SNAP_MM, &s);
	if (r)
		return r;
	struct mm *mm = s->mm;
	uint64_t start = 0, end = 0;
	if (mm && which == 0) {
		start = mm->arg_start;
		end = mm->arg_end;
	} else if (mm && which == 1) {
		start = mm->env_start;
		end = mm->env_end;
	} else if (mm) {
		start = mm->auxv_start;
		end = mm->auxv_end;
	}
	if (end > start) {
		size_t len = end - start > MAX_AREA ? MAX_AREA : (size_t)(end - start);
		char *buf = malloc(len);
		if (!buf) {
			r = -ENOMEM;
		} else if (mm_copy_in(mm, buf, start, len) == 0) {
			sbuf_add(b, buf, len);
		}
		/* An unreadable area reads as empty, as for a zombie. */
		free(buf);
	}
	proc_snap_put(s);
	return r;
}

int proc_gen_cmdline(struct proc_node *n, struct sbuf *b) { return gen_area(n, b, 0); }

int proc_gen_environ(struct proc_node *n, struct sbuf *b) { return gen_area(n, b, 1); }

int proc_gen_auxv(struct proc_node *n, struct sbuf *b) { return gen_area(n, b, 2); }

int proc_gen_maps(struct proc_node *n, struct sbuf *b)
{
	struct proc_snap *s;
	int r = proc_snap_take(n, SNAP_MM, &s);
	if (r)
		return r;
	/* mm_format_maps stops before a line that does not fit: retry with
	 * more room until a whole line's worth is left over. */
	for (size_t size = 65536; s->mm; size *= 2) {
		char *buf = malloc(size);
		if (!buf) {
			r = -ENOMEM;
			break;
		}
		size_t used = mm_format_maps(s->mm, buf, size);
		if (used + 4096 + 256 < size || size >= (64UL << 20)) {
			sbuf_add(b, buf, used);
			free(buf);
			break;
		}
		free(buf);
	}
	proc_snap_put(s);
	return r;
}

/* Mount points as paths from the reader's root. */
static void mount_path(struct vfs_mount *m, char *buf, size_t size)
{
	struct dentry *root = vfs_root();
	if (dentry_path(root, m->root, buf, size) < 0)
		snprintf(buf, size, "/");
	dentry_put(root);
}

/* The root mount (id 1): the overlay over the gofer tree, or the gofer
 * tree itself (read-only). */
static void root_mount(bool *overlay, dev_t *dev)
{
	struct dentry *root = vfs_root(), *lower = vfs_gofer_root();
	*overlay = root != lower;
	*dev = root ? root->st.st_dev : 0;
	dentry_put(root);
	dentry_put(lower);
}

int proc_gen_mounts(struct proc_node *n, struct sbuf *b)
{
	char path[PATH_MAX];
	bool overlay;
	dev_t dev;
	root_mount(&overlay, &dev);
	sbuf_printf(b, overlay ? "overlay / overlay rw,relatime 0 0\n"
			       : "none / 9p ro,relatime 0 0\n");
	for (struct vfs_mount *m = vfs_mount_list(); m; m = m->next) {
		mount_path(m, path, sizeof path);
		sbuf_printf(b, "%s %s %s %s 0 0\n", m->source, path, m->fstype, m->options);
	}
	return 0;
}

/* proc(5): id parent major:minor root mount-point options [optional] -
 * fstype source super-options.  A mount's parent is the mount its mount
 * point lies in. */
int proc_gen_mountinfo(struct proc_node *n, struct sbuf *b)
{
	char path[PATH_MAX];
	bool overlay;
	dev_t dev;
	root_mount(&overlay, &dev);
	if (overlay)
		sbuf_printf(b, "1 1 %u:%u / / rw,relatime - overlay overlay rw\n", major(dev),
			    minor(dev));
	else
		sbuf_printf(b, "1 1 %u:%u / / ro,relatime - 9p none ro\n", major(dev), minor(dev));
	for (struct vfs_mount *m = vfs_mount_list(); m; m = m->next) {
		mount_path(m, path, sizeof path);
		int parent = m->mountpoint && m->mountpoint->mnt ? m->mountpoint->mnt->id : 1;
		/* The super options: read-only filesystems say so. */
		const char *super = strncmp(m->options, "ro", 2) ? "rw" : "ro";
		sbuf_printf(b, "%d %d %u:%u / %s %s - %s %s %s\n", m->id, parent,
			    major(m->root->st.st_dev), minor(m->root->st.st_dev), path, m->options,
			    m->fstype, m->source, super);
	}
	return 0;
}

int proc_gen_cgroup(struct proc_node *n, struct sbuf *b)
{
	sbuf_printf(b, "0::/\n");
	return 0;
}

/* ---- limits ---- */

int proc_gen_limits(struct proc_node *n, struct sbuf *b)
{
	static const struct {
		const char *name, *unit;
	} rows[] = {
	    {"Max cpu time", "seconds"},	{"Max file size", "bytes"},
	    {"Max data size", "bytes"},		{"Max stack size", "bytes"},
	    {"Max core file size", "bytes"},	{"Max resident set", "bytes"},
	    {"Max processes", "processes"},	{"Max open files", "files"},
	    {"Max locked memory", "bytes"},	{"Max address space", "bytes"},
	    {"Max file locks", "locks"},	{"Max pending signals", "signals"},
	    {"Max msgqueue size", "bytes"},	{"Max nice priority", NULL},
	    {"Max realtime priority", NULL},	{"Max realtime timeout", "us"},
	};
	struct proc_snap *s;
	int r = proc_snap_take(n, 0, &s);
	if (r)
		return r;
	/* Linux's layout, trailing blanks included. */
	sbuf_printf(b, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		sbuf_printf(b, "%-25s ", rows[i].name);
		uint64_t v[2] = {s->rlim[i].cur, s->rlim[i].max};
		for (int k = 0; k < 2; k++) {
			if (v[k] == RLIM_INFINITY)
				sbuf_printf(b, "%-20s ", "unlimited");
			else
				sbuf_printf(b, "%-20lu ", (unsigned long)v[k]);
		}
		if (rows[i].unit)
			sbuf_printf(b, "%-10s", rows[i].unit);
		sbuf_printf(b, "\n");
	}
	proc_snap_put(s);
	return 0;
}

/* ---- oom_score, oom_score_adj ---- */

int proc_gen_oom_score_adj(struct proc_node *n, struct sbuf *b)
{
	struct proc_snap *s;
	int r = proc_snap_take(n, 0, &s);
	if (r)
		return r;
	sbuf_printf(b, "%d\n", s->oom_score_adj);
	proc_snap_put(s);
	return 0;
}

/* Linux's scale: 1000 + the process's share of memory in thousandths +
 * oom_score_adj, within 0..2000; -1000 means never (0). */
int proc_gen_oom_score(struct proc_node *n, struct sbuf *b)
{
	struct proc_snap *s;
	int r = proc_snap_take(n, SNAP_MM, &s);
	if (r)
		return r;
	struct sysinfo si;
	long points = 0;
	if (s->oom_score_adj != -1000) {
		uint64_t total = 1;
		if (!sysinfo(&si))
			total = si.totalram * (si.mem_unit ? si.mem_unit : 1);
		if (proc_mem_limit && proc_mem_limit < total)
			total = proc_mem_limit;
		uint64_t rss = s->mm ? rss_bytes(s->mm) : 0;
		points = 1000 + (long)(rss * 1000 / (total ? total : 1)) + s->oom_score_adj;
		points = points < 0 ? 0 : points > 2000 ? 2000 : points;
	}
	sbuf_printf(b, "%ld\n", points);
	proc_snap_put(s);
	return 0;
}

/* -1000..1000 (kstrtoint of the first 12 bytes, blanks stripped);
 * going below the floor a privileged writer set needs CAP_SYS_RESOURCE
 * (EACCES), and a privileged write moves the floor. */
long proc_write_oom_score_adj(struct file *f, const char *buf, size_t len, size_t total,
			      int64_t off)
{
	struct proc_node *n = f->dentry->fsdata;
	struct task *self = proc_caller();
	char num[13] = {0};
	memcpy(num, buf, len < 12 ? len : 12);
	char *p = num, *end;
	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	errno = 0;
	long v = strtol(p, &end, 0);
	while (*end == ' ' || *end == '\t' || *end == '\n')
		end++;
	if (end == p || *end || errno)
		return -EINVAL;
	if (v < -1000 || v > 1000)
		return -EINVAL;
	bool capable = self && cred_capable(&self->cred, 24 /* CAP_SYS_RESOURCE */);
	long r = (long)total;
	pthread_mutex_lock(&tasklist_lock);
	struct thread_group *tg = tg_lookup_locked(n->tgid);
	if (!tg || tg->zombie) {
		r = -ESRCH;
	} else {
		pthread_mutex_lock(&tg->lock);
		if (v < tg->oom_score_adj_min && !capable) {
			r = -EACCES;
		} else {
			tg->oom_score_adj = (short)v;
			if (capable)
				tg->oom_score_adj_min = (short)v;
		}
		pthread_mutex_unlock(&tg->lock);
	}
	pthread_mutex_unlock(&tasklist_lock);
	return r;
}
