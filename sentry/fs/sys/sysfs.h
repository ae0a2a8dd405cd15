/* sysfs: a minimal read-only /sys generated in the sentry (the CPU list,
 * transparent huge page mode, an empty fs/cgroup for later mounts). */
#pragma once

#define SYSFS_MAGIC 0x62656572

/* Reads the host facts it shows (the huge page mode) and mounts sysfs
 * over /sys of the gofer tree.  Call after vfs_init() and before
 * sandbox_enter_empty().  0 or -errno. */
int sysfs_mount(void);
