/* The root overlay: the gofer tree read-only under a tmpfs upper layer in
 * the sentry's memory file (gVisor's --overlay2=root:memory), so the
 * application may write anywhere while the host tree stays as it was. */
#pragma once

/* Installs the overlay as the sandbox's root (vfs_root) for mode
 * "root:memory"; "none" keeps the gofer tree as the root and writes
 * through the gofer (read-only if the gofer serves it so).  Call after
 * vfs_init() and the mounts, before the first fs context.  0, -EINVAL for
 * an unknown mode, or -ENOMEM. */
int overlay_root_init(const char *mode);
