/* Creating tasks: fork, vfork, clone (see fork.c). */
#pragma once
#include <stdint.h>

struct task;

/* clone's work for clone, clone3, fork and vfork.  Returns the child's tid
 * in the caller's namespace or -errno. */
long task_clone(struct task *parent, uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid,
		uint64_t tls, int exit_signal);
/* Releases a CLONE_VFORK parent (at the child's exec or exit). */
void vfork_complete(struct task *t);
/* The sandbox-wide cap on tasks (threads included) from --max-tasks, like
 * the pids cgroup controller: clone fails with EAGAIN at the cap.  0: none. */
extern long task_max_tasks;
