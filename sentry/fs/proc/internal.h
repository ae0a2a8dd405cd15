/* procfs internals shared by its files: nodes, entry tables, task
 * snapshots and the generators of each file. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/dentry.h"

struct proc_node;

/* One name in a procfs directory.  Files and links generate their text
 * (file content, link target) into an sbuf; dirs list children. */
struct proc_entry {
	const char *name; /* NULL ends a table */
	mode_t mode;
	const struct dentry_ops *ops;
	int (*gen)(struct proc_node *n, struct sbuf *b);
	const struct proc_entry *children;
	synth_write_fn write; /* NULL: opening for writing is EACCES */
};

/* fsdata of every procfs dentry. */
struct proc_node {
	const struct proc_entry *ent; /* NULL for /proc itself and numbered dirs */
	int tgid;                     /* 0: not under a process */
	int tid;                      /* 0: the process as a whole */
	int fd;                       /* fd/N links: N */
	struct file *held;            /* an open file reached through fd/N */
};

#define PROC_SUPER_MAGIC 0x9fa0

/* ---- dentries (root.c) ---- */
extern const struct dentry_ops proc_root_ops, proc_dir_ops, proc_file_ops, proc_link_ops;
/* A node dentry under parent; copies *n.  NULL when out of memory. */
struct dentry *proc_dentry_new(struct dentry *parent, const char *name, mode_t mode,
			       const struct dentry_ops *ops, const struct proc_node *n, uid_t uid,
			       gid_t gid);
/* A stable inode number for a node. */
uint64_t proc_ino(const struct proc_node *n, const char *name);
/* Looks name up in a table of entries under dir for node n's process. */
int proc_entry_lookup(struct dentry *dir, const struct proc_entry *tab, const char *name,
		      const struct proc_node *n, uid_t uid, gid_t gid, struct dentry **out);
int proc_entry_readdir(const struct proc_entry *tab, const struct proc_node *n,
		       struct synth_dirbuf *db);
/* Parses a decimal pid/fd name ("007" is not one); -1 if not a number. */
int proc_parse_num(const char *name);
/* readonlyPaths / maskedPaths cover d (restrict.c). */
bool proc_is_readonly(const struct dentry *d);
bool proc_is_masked(const struct dentry *d);
/* The caller's task (NULL outside a task thread). */
static inline struct task *proc_caller(void) { return task_current(); }

/* ---- global files (global.c, host.c) ---- */
extern const struct proc_entry proc_root_entries[];
extern int proc_ncpus;
extern char *proc_host_cpuinfo;  /* NULL: synthesised */
extern char *proc_host_statcpu;  /* the "cpu" lines of the host's /proc/stat */
extern uint64_t proc_host_btime;
/* The sandbox's "boot": procfs_early_init's time.  uptime, btime and
 * every starttime count from it. */
extern uint64_t proc_boot_ns;     /* CLOCK_MONOTONIC */
extern uint64_t proc_boot_real;   /* seconds since the epoch */
extern char proc_boot_id[37];     /* random/boot_id */
extern dev_t proc_tty_rdev;       /* the terminal on the sentry's stdin, or 0 */
extern uint64_t proc_mem_limit;   /* the sentry's cgroup memory.max, or 0 */
/* A random UUID (version 4) text into out[37]. */
void proc_uuid(char out[37]);
/* Nanoseconds of CLOCK_MONOTONIC now. */
uint64_t proc_now_ns(void);

/* ---- processes (pid.c) ---- */
extern const struct dentry_ops proc_pid_dir_ops, proc_task_dir_ops;
extern const struct proc_entry proc_pid_entries[], proc_tid_entries[];
/* Calls fn for every live process (tasklist_lock held: fn must not sleep
 * or take task locks). */
void proc_for_each_tg_locked(void (*fn)(struct thread_group *tg, void *arg), void *arg);
/* The dentry of /proc/<tgid> (tid 0) or .../task/<tid>, or -ENOENT. */
int proc_pid_dir_lookup(struct dentry *parent, const char *name, int tgid, int tid,
			struct dentry **out);

/* ---- what a generator knows about its task (snap.c) ---- */
struct proc_snap {
	int tgid, tid, ppid, pgid, sid, nr_threads, exit_signal, exit_status;
	char state;
	char comm[16];
	struct cred cred;
	uint64_t sigpnd, shdpnd, sigblk, sigign, sigcgt;
	uint64_t utime_ns, stime_ns, cutime_ns, cstime_ns;
	uint64_t rlim_sigpending, rlim_rss;
	struct rlimit_pair rlim[16];
	int nice, policy, rt_priority;
	uint64_t start_ns;
	short oom_score_adj;
	int tty_nr, tpgid; /* the session's controlling terminal (0, -1: none) */
	bool zombie;
	/* References (NULL when the task has none any more). */
	struct mm *mm;
	struct fs_ctx *fs;
	struct fdtable *files;
	char exe[4096];
};

#define SNAP_MM 1
#define SNAP_FS 2
#define SNAP_FILES 4
#define SNAP_SIGNALS 8

/* Snapshot of node n's task (n->tid, else the process's leader), taking
 * the references want asks for.  0 or -ENOENT (gone).  Heap-allocated. */
int proc_snap_take(const struct proc_node *n, int want, struct proc_snap **out);
void proc_snap_put(struct proc_snap *s);
/* "R (running)" style name of a state letter. */
const char *proc_state_name(char state);

/* ---- per-process generators (pidfiles.c, fd.c) ---- */
int proc_gen_status(struct proc_node *n, struct sbuf *b);
int proc_gen_stat(struct proc_node *n, struct sbuf *b);
int proc_gen_statm(struct proc_node *n, struct sbuf *b);
int proc_gen_comm(struct proc_node *n, struct sbuf *b);
int proc_gen_cmdline(struct proc_node *n, struct sbuf *b);
int proc_gen_environ(struct proc_node *n, struct sbuf *b);
int proc_gen_auxv(struct proc_node *n, struct sbuf *b);
int proc_gen_maps(struct proc_node *n, struct sbuf *b);
int proc_gen_mounts(struct proc_node *n, struct sbuf *b);
int proc_gen_mountinfo(struct proc_node *n, struct sbuf *b);
int proc_gen_cgroup(struct proc_node *n, struct sbuf *b);
int proc_gen_exe(struct proc_node *n, struct sbuf *b);
int proc_gen_cwd(struct proc_node *n, struct sbuf *b);
int proc_gen_root(struct proc_node *n, struct sbuf *b);
int proc_gen_limits(struct proc_node *n, struct sbuf *b);
int proc_gen_oom_score(struct proc_node *n, struct sbuf *b);
int proc_gen_oom_score_adj(struct proc_node *n, struct sbuf *b);
long proc_write_oom_score_adj(struct file *f, const char *buf, size_t len, size_t total,
			      int64_t off);
long proc_write_comm(struct file *f, const char *buf, size_t len, size_t total, int64_t off);
int proc_gen_smaps(struct proc_node *n, struct sbuf *b);
extern const struct dentry_ops proc_fdinfo_dir_ops;
extern const struct dentry_ops proc_cwd_ops, proc_fd_dir_ops;
