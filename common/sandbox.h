/* Host isolation helpers shared by the sentry and the gofer: mount
 * namespaces and pivot_root.  Both unshare a new mount namespace first, so
 * nothing they do is visible to the host. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* Enters a new mount namespace whose root is a recursive, read-only copy of
 * path as it is now; the copy's /proc, /sys and other pseudo filesystems are
 * detached so the host's are not reachable through it.  cwd becomes "/".
 * 0 or -errno (after a message naming the failed operation). */
int sandbox_enter_tree(const char *path);
/* The same, the copy writable unless readonly (a gofer serving a tree the
 * sandbox writes through). */
int sandbox_enter_tree_mode(const char *path, bool readonly);

/* Enters a new mount namespace whose root is an empty read-only tmpfs; cwd
 * becomes "/".  0 or -errno. */
int sandbox_enter_empty(void);

/* ---- hardening after start-up (common/seccomp_*.c, common/caps.c) ---- */

/* Turns on no_new_privs and installs the sentry's own seccomp allow-list
 * for every thread (TSYNC): what the sentry, its platform ("ptrace" or
 * "kvm") and the stubs it forks need, nothing else; anything else kills
 * the process with SIGSYS.  Call once setup (platform, gofer, mounts,
 * pivot_root) is done.  0 or -errno.
 * CVISOR_SECCOMP=off (development only) skips it; CVISOR_SECCOMP=log logs
 * would-be violations to the kernel log (dmesg, "type=1326") instead. */
int sandbox_seccomp_sentry(const char *platform);
/* The gofer's list (shorter: file syscalls on its fds, the socket, exit). */
int sandbox_seccomp_gofer(void);
/* Drops every capability not in keep (a mask of CAP_* bits) from all sets
 * and the bounding set; clears the ambient set.  0 or -errno. */
int sandbox_drop_caps(uint64_t keep);

/* Brings the loopback interface of the current network namespace up (a new
 * one has lo down): the only interface of --network=none.  0 or -errno. */
int sandbox_net_lo_up(void);
/* (internal) /proc/self/task opened before pivot_root, for
 * sandbox_drop_caps, which closes it: it leads back to the host's /proc. */
extern int sandbox_task_dirfd;
