/* Host isolation helpers shared by the sentry and the gofer: mount
 * namespaces and pivot_root.  Both unshare a new mount namespace first, so
 * nothing they do is visible to the host. */
#pragma once

/* Enters a new mount namespace whose root is a recursive, read-only copy of
 * path as it is now; the copy's /proc, /sys and other pseudo filesystems are
 * detached so the host's are not reachable through it.  cwd becomes "/".
 * 0 or -errno (after a message naming the failed operation). */
int sandbox_enter_tree(const char *path);

/* Enters a new mount namespace whose root is an empty read-only tmpfs; cwd
 * becomes "/".  0 or -errno. */
int sandbox_enter_empty(void);
