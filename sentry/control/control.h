/* The sentry's control socket (OCI mode): the server that `cvisor start`,
 * `kill`, `exec`, `ps`, `pause`, `resume`, `events` and `wait` talk to
 * through ROOT/ID/control (wire format: common/control_proto.h), plus the
 * pieces of process creation it shares with sentry.c.
 *
 * One accept thread; each connection gets a detached thread of its own, so
 * a request that waits (EXEC's exit status, WAIT) never holds up another,
 * and RESUME is served even while every task thread is frozen.
 *
 * Locking: takes tasklist_lock and sighand locks only through the kernel's
 * own calls and the pid table walk; holds nothing across a socket write.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#include "common/control_proto.h"

struct task;
struct cred;

/* Starts serving listen_fd (a listening SOCK_SEQPACKET socket) on a new
 * thread.  0 or -errno. */
int control_start(int listen_fd);
/* Blocks the caller until a CTL_START request arrives (--wait-start). */
void control_wait_start(void);
/* Tells every CTL_WAIT client that init exited with this wait status;
 * returns once the replies are written (the sentry exits next). */
void control_notify_exit(int status);

/* execvp's search for argv[0] along envp's PATH (a default PATH without
 * one), loading the first match into t.  0 or -errno (ENOENT when nothing
 * was found, EACCES when only unexecutable matches were). */
int ctl_exec_search(struct task *t, char **argv, char **envp);
/* Credentials for a process the runtime starts (init or an exec): ids,
 * supplementary groups, capabilities (OCI's sets when has_caps, else
 * everything for uid 0 and nothing but the bounding set for others),
 * no_new_privs. */
void ctl_cred_build(struct cred *c, const struct ctl_exec *e, const uint32_t *groups);

/* Freezing every task thread (pause/resume, freeze.c). */
void ctl_freeze_init(void);
int ctl_freeze(void);
int ctl_thaw(void);

/* OCI mode (oci_mode.c): the internal flags of sentry.h.  ctl_parse_flag
 * takes one argument and says whether it was one of them. */
bool ctl_parse_flag(const char *arg);
/* Applies ids, capabilities, umask, rlimits and hostname to the init task
 * (its fs and tg exist) and starts the control server (--control-fd). */
void ctl_setup_init(struct task *t);
/* Whether a --ready-fd was given (cvisor create waits on it). */
bool ctl_oci_mode(void);
/* Reports "ok" (err NULL) or the reason init cannot start on --ready-fd,
 * once; a no-op without it. */
void ctl_report_ready(const char *err);
/* Holds init until `cvisor start` (--wait-start). */
void ctl_before_run(void);

/* config.json's mounts (oci_mounts.c): --oci-tmpfs=MODE[,BYTES]:/path[:ro]
 * (BYTES: the size= limit), --oci-mask=/path and --oci-ro=/path (read-only
 * paths of procfs) record them (0 or -errno); ctl_mount_all mounts them
 * after the built-in mounts and binds, before the overlay.  0 or -errno. */
int ctl_mount_add_tmpfs(const char *spec);
int ctl_mount_add_mask(const char *path);
int ctl_mount_add_ro(const char *path);
int ctl_mount_all(void);
