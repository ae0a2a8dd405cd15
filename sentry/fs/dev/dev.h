/* devfs: the sandbox's /dev, made in the sentry (null, zero, full, random,
 * urandom, tty, console, ptmx, the fd links), with devpts at /dev/pts
 * holding the sentry's pseudo-terminals.  The host's /dev is never used. */
#pragma once
#include <sys/types.h>

struct dentry;
struct file;

/* Mounts devfs over /dev of the gofer tree and devpts over its pts
 * directory; /dev/shm (tmpfs_mount) can then be mounted on devfs's shm
 * directory.  Reads whether the sentry's stdin is a terminal (/dev/tty and
 * /dev/console open it).  Call after vfs_init().  0 or -errno. */
int devfs_mount(void);

/* Opens character device rdev for a node of another filesystem (the gofer
 * tree, tmpfs, the overlay) as devfs's node of that number does: 1:3 is
 * /dev/null wherever it is.  -ENXIO for a device devfs does not have. */
int devfs_open_rdev(struct dentry *d, dev_t rdev, int flags, struct file **out);
