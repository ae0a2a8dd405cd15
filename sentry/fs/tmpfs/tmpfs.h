/* tmpfs: a filesystem held in sentry memory (file data in memory-file
 * frames), mounted over a directory of the gofer tree; /dev/shm today, the
 * writable overlay of the root later. */
#pragma once
#include <sys/types.h>

#define TMPFS_MAGIC 0x01021994

/* Mounts a new, empty tmpfs over the directory path of the gofer tree (it
 * must exist there), its root with permission bits mode (01777 for
 * /dev/shm), owned by root, limited to half of RAM as Linux's default.
 * Call after vfs_init().  0 or -errno. */
int tmpfs_mount(const char *path, mode_t mode);
