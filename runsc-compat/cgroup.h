/* Cgroups for a container: v1, v2 and hybrid hosts.
 *
 * The sentry, the gofer and the platform stubs all go into the container's
 * cgroup, so its limits bound the whole sandbox.  cgroupsPath from
 * config.json names it ("/libpod_parent/libpod-ID", "/default/ID",
 * systemd's "slice:prefix:name" form is mapped to a plain path); without
 * one, "/cvisor/ID".
 */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

struct cgroup;

/* Creates the container's cgroup in every mounted hierarchy it needs and
 * applies linux.resources (may be NULL): memory limit/swap/reservation,
 * cpu quota/period/shares/cpus/mems, pids limit.  NULL with one line in
 * err on failure (nothing is left behind). */
struct cgroup *cg_create(const char *cgroups_path, const char *id, json_t *resources, char *err,
			 size_t errlen);
/* Re-opens the cgroup of an existing container from its saved path. */
struct cgroup *cg_open(const char *saved_path);
/* The path to save in state (cg_open's argument). */
const char *cg_saved_path(const struct cgroup *cg);
/* Moves pid (and with it its future children) into the cgroup. */
int cg_attach(struct cgroup *cg, pid_t pid);
/* Freezes or thaws every process in it (pause/resume). */
int cg_freeze(struct cgroup *cg, bool frozen);
/* Pids currently in the cgroup (malloc'd array, count in *n). */
pid_t *cg_pids(struct cgroup *cg, size_t *n);
/* `events --stats` figures (bytes, counts); -1 for what is not available. */
struct cg_stats {
	long long mem_usage, mem_limit, mem_max_usage, pids_current, pids_limit;
	long long cpu_usage_ns;
};
int cg_stats(struct cgroup *cg, struct cg_stats *st);
/* The pids limit (0: none), so the sentry can cap tasks inside too. */
long cg_pids_limit(const struct cgroup *cg);
/* Kills what is left in it, removes every directory it created; idempotent. */
int cg_destroy(struct cgroup *cg);
void cg_free(struct cgroup *cg);
