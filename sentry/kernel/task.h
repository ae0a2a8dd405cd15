/* Tasks (application threads), thread groups and credentials.
 *
 * A task is run by exactly one sentry thread (task_run), which drives the
 * task's platform context.  Fields without a lock comment are touched only
 * by that thread.
 *
 * Lock order: tg->lock, then mm->lock, then files->lock, then fs->lock.
 */
#pragma once
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "platform/platform.h"
#include "sentry/kernel/wait.h"

struct mm;
struct fdtable;
struct fs_ctx;

struct cred {
	uid_t ruid, euid, suid, fsuid;
	gid_t rgid, egid, sgid, fsgid;
	int ngroups;
	gid_t groups[32];
	uint64_t cap_effective, cap_permitted, cap_inheritable, cap_bounding;
};

/* Signal dispositions as the application set them (rt_sigaction layout). */
struct k_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

struct thread_group {
	pthread_mutex_t lock;
	int tgid;
	int ppid;
	int pgid, sid;
	struct k_sigaction sigactions[64];
	struct rlimit_pair {
		uint64_t cur, max;
	} rlimits[16];
	bool exiting;
	int exit_status; /* wait status: (code << 8) or signal number */
	char comm[16];
};

struct task {
	int tid;
	struct thread_group *tg;
	struct mm *mm;
	struct fdtable *files;
	struct fs_ctx *fs;
	struct cred cred;

	struct arch_state arch;
	struct pf_ctx *ctx;
	/* Every blocking syscall of this task sleeps here (wait.h). */
	struct waiter waiter;

	uint64_t sigmask;
	uint64_t clear_child_tid;
	uint64_t robust_list, robust_len;
	struct {
		uint64_t sp, flags, size;
	} altstack;

	/* Executable path (for /proc/self/exe, AT_EXECFN). */
	char exe[4096];
};

/* The init task's thread group, for getppid() == 0 and the like. */
struct task *task_current(void);
void task_set_current(struct task *t);

/* Runs t on the calling thread until its thread group exits; returns the
 * wait status of the group. */
int task_run(struct task *t);

/* Ends the thread group with a wait status (exit_group / fatal signal). */
void task_exit_group(struct task *t, int status);
