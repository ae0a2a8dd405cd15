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
/* Moves the calling process, which must be single-threaded, into the
 * cgroup (skip_v2: not the v2 tree, which clone3's CLONE_INTO_CGROUP
 * already put it in).  Much cheaper than cg_attach on v1. */
int cg_attach_self(struct cgroup *cg, bool skip_v2);
/* An O_RDONLY fd of the v2 directory (for CLONE_INTO_CGROUP), or -1
 * when there is none. */
int cg_v2_dirfd(const struct cgroup *cg);
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

/* ---- the pure parts, exposed for tests (cgroup_plan.c) ---- */

enum cg_mode { CG_NONE, CG_V1, CG_V2, CG_HYBRID };
/* From /proc/self/mountinfo's text: v1 controllers mounted, a v2 tree, or
 * both (v2 then has no controllers of ours: it only tracks processes). */
enum cg_mode cg_detect_mountinfo(const char *text);

/* cgroupsPath as the runtime uses it: NULL or "" -> "cvisor/ID" (relative:
 * under the caller's own cgroup in each hierarchy, so a runtime started
 * inside a limited cgroup stays inside it), systemd's "slice:prefix:name"
 * -> "/slice/prefix-name.scope" (a nested "a-b.slice" expands to
 * "/a.slice/a-b.slice"), anything else as given.  -1 for a path with ".."
 * components or characters the saved form cannot hold (':' ';' newline). */
int cg_map_path(const char *cgroups_path, const char *id, char *out, size_t len);
/* A relative mapped path joined to the caller's cgroup in a hierarchy
 * (own: its path from /proc/self/cgroup); an absolute one unchanged. */
void cg_join(const char *own, const char *mapped, char *out, size_t len);

/* cpu.shares (v1, 2..262144) -> cpu.weight (v2, 1..10000). */
unsigned long long cg_shares_to_weight(unsigned long long shares);

/* pids.limit counts the application's tasks, which the sentry caps itself
 * (--max-tasks, cg_pids_limit).  On the host each task costs up to three
 * threads (its sentry thread, and on ptrace a stub thread in a stub
 * process), plus the sentry's and gofer's own: the host's pids.max is set
 * to this, a backstop against a runaway sentry rather than the limit. */
#define CG_HOST_PIDS(limit) (3 * (limit) + 64)

/* One file write that linux.resources turns into, in the order to apply. */
struct cg_write {
	char controller[16]; /* v1 hierarchy ("memory", "cpu", "cpuset", "pids"); "" on v2 */
	char file[40];
	char value[64];
	bool optional; /* a missing file (e.g. memsw without swap accounting) is skipped */
};
/* Translates linux.resources for v1 (v2 false) or v2 (true).  Returns the
 * number of writes (at most max), or -1 with err for a bad value. */
int cg_plan(json_t *resources, bool v2, struct cg_write *out, int max, char *err, size_t errlen);
