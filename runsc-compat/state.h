/* Container state on the host: one directory per container under --root.
 *
 *   ROOT/ID/state.json  what `state` prints plus the runtime's own fields,
 *                       rewritten atomically (write a temp file, fsync,
 *                       rename)
 *   ROOT/ID/lock        flock(LOCK_EX) held by every command that reads
 *                       and then changes the container, so concurrent
 *                       commands on one id serialise
 *   ROOT/ID/control     the sentry's control socket (sentry/control)
 *
 * A container whose sentry pid is gone (or belongs to another process:
 * the start time recorded at create is compared) is reported as stopped.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct json_t;

enum ctr_status { CTR_CREATING, CTR_CREATED, CTR_RUNNING, CTR_PAUSED, CTR_STOPPED };

struct ctr_state {
	char id[256];
	char bundle[4096];
	char rootfs[4096];	  /* root.path, absolute; "" leaves it out of `state` */
	char root_dir[4096]; /* ROOT/ID */
	enum ctr_status status;
	pid_t pid;		  /* the sentry (the container's init on the host) */
	uint64_t pid_starttime;	  /* field 22 of /proc/PID/stat, to detect pid reuse */
	pid_t gofer_pid;
	char created[64];	  /* RFC 3339 with nanoseconds, UTC */
	char owner[64];		  /* "" as runc writes for root */
	char cgroup_path[4096];	  /* what cgroup.h created ("" when none) */
	char platform[32];
	char *annotations_json;	  /* the config's annotations object as JSON text, or NULL */
};

/* Valid container ids: [A-Za-z0-9][A-Za-z0-9_.+-]*, at most 255 bytes (no
 * '/', no "." or ".."). */
bool state_valid_id(const char *id);
/* Creates ROOT/ID (mode 0711; ROOT made if missing) and takes its lock: 0,
 * -EEXIST ("container with id exists"), or -errno. */
int state_create(const char *root, const char *id, struct ctr_state *s, int *lock_fd);
/* Takes the lock of an existing container and reads its state: 0, -ENOENT
 * (does not exist), or -errno.  Refreshes s->status from the live pid. */
int state_open(const char *root, const char *id, struct ctr_state *s, int *lock_fd);
/* Reads without locking (state, list, ps). */
int state_read(const char *root, const char *id, struct ctr_state *s);
/* Writes s to ROOT/ID/state.json atomically. */
int state_write(const struct ctr_state *s);
/* Removes ROOT/ID entirely and drops the lock. */
int state_remove(struct ctr_state *s, int lock_fd);
void state_unlock(int lock_fd);
/* "created", "running", "paused", "stopped" ("creating" for CTR_CREATING). */
const char *state_status_name(enum ctr_status st);
/* The OCI state JSON (ociVersion, id, pid (0 once stopped), status, bundle,
 * created, owner, annotations): malloc'd text, pretty-printed as runc does. */
char *state_oci_json(const struct ctr_state *s);
/* The same as a new jansson object (for `list --format json`). */
struct json_t *state_oci_object(const struct ctr_state *s);
/* Field 22 of /proc/PID/stat (for s->pid_starttime), 0 when pid is gone. */
uint64_t state_pid_starttime(pid_t pid);
/* Whether pid still runs the process started at starttime (0: whatever
 * started it): not gone, not a zombie, not reused. */
bool state_pid_alive(pid_t pid, uint64_t starttime);
/* Every container id under root (NULL-terminated, malloc'd; free with
 * state_free_ids). */
char **state_list_ids(const char *root);
void state_free_ids(char **ids);
void state_free(struct ctr_state *s);
