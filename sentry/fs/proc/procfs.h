/* procfs: the sandbox's /proc, generated inside the sentry from its own task
 * table (never the host's). */
#pragma once

/* Reads what only the host can tell (/proc/cpuinfo, the cpu lines of
 * /proc/stat, the cpu count) while the sentry can still see the host's
 * /proc: call once before sandbox_enter_empty(). */
void procfs_early_init(void);

/* Mounts procfs over /proc of the gofer tree (an empty directory there).
 * Call after vfs_init().  0 or -errno. */
int procfs_mount(void);
