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

/* OCI readonlyPaths / maskedPaths under /proc (call before the first task
 * runs): writes to files at or below prefix fail with EROFS; a masked
 * file opens empty and swallows writes (as the /dev/null a runtime binds
 * over it), a masked directory lists nothing.  0 or -EINVAL (not under
 * /proc/), -ENOMEM. */
int procfs_set_readonly(const char *prefix);
int procfs_mask(const char *path);
