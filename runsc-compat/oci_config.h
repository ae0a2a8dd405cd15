/* An OCI bundle's config.json, parsed and checked (runtime-spec 1.0/1.1).
 *
 * Every field the runtime honours is decoded into plain C here, once, so the
 * subcommands never touch JSON.  linux.resources and linux.seccomp are kept
 * as jansson objects too (json_incref'd) for the modules that interpret them
 * (cgroup.h, the sentry's seccomp filter).  Unknown fields and annotations
 * other than those copied are ignored, never errors; a field of the wrong
 * type, a missing required field (ociVersion, process.args when a process
 * is required, root.path) or an absurd size is an error with one message.
 */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct oci_rlimit {
	int resource; /* RLIMIT_* (from "RLIMIT_NOFILE" etc.) */
	uint64_t soft, hard;
};

/* Capability sets as 64-bit masks (bit n = capability n). */
struct oci_caps {
	uint64_t bounding, effective, inheritable, permitted, ambient;
	bool present; /* process.capabilities was given */
};

/* An OCI "process" object: config.json's, or exec's --process file. */
struct oci_process {
	bool terminal;
	unsigned console_rows, console_cols; /* consoleSize, 0 when absent */
	char **args;			     /* NULL-terminated, at least one */
	char **env;			     /* NULL-terminated (maybe empty) */
	char *cwd;			     /* absolute; "/" when absent */
	uid_t uid;
	gid_t gid;
	gid_t *additional_gids;
	size_t n_additional_gids;
	int umask; /* -1 when absent */
	struct oci_rlimit *rlimits;
	size_t n_rlimits;
	struct oci_caps caps;
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	char *apparmor, *selinux_label; /* accepted, not enforced */
};

struct oci_mount {
	char *destination; /* absolute path inside the container */
	char *type;	   /* "bind", "tmpfs", "proc", ... ("bind" when only options say so) */
	char *source;	   /* host path for binds (absolute, resolved against the bundle) */
	char **options;	   /* NULL-terminated, as given */
	bool bind, readonly; /* derived from type/options ("bind"/"rbind", "ro") */
};

enum oci_ns_type { OCI_NS_PID, OCI_NS_NETWORK, OCI_NS_IPC, OCI_NS_UTS, OCI_NS_MOUNT,
		   OCI_NS_USER, OCI_NS_CGROUP, OCI_NS_TIME, OCI_NS_COUNT };

struct oci_namespace {
	enum oci_ns_type type;
	char *path; /* NULL: a new namespace; else join this one */
};

struct oci_idmap {
	uint32_t container_id, host_id, size;
};

struct oci_sysctl {
	char *key, *value;
};

struct oci_config {
	char *oci_version;
	char *bundle;	 /* absolute path of the bundle directory */
	char *root_path; /* absolute (resolved against the bundle) */
	bool root_readonly;
	struct oci_process process; /* valid when has_process */
	bool has_process;
	char *hostname; /* NULL when absent */
	char *domainname;
	struct oci_mount *mounts;
	size_t n_mounts;
	struct oci_namespace *namespaces;
	size_t n_namespaces;
	struct oci_idmap *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	char *cgroups_path; /* NULL when absent */
	char **masked_paths, **readonly_paths; /* NULL-terminated */
	struct oci_sysctl *sysctls;
	size_t n_sysctls;
	json_t *resources; /* linux.resources or NULL (a reference) */
	json_t *seccomp;   /* linux.seccomp or NULL (a reference) */
	json_t *annotations; /* or NULL (a reference) */
};

/* Limits that keep a hostile config.json from costing much. */
#define OCI_CONFIG_MAX_BYTES (4u << 20)
#define OCI_MAX_ARRAY 65536

/* Parses bundle/config.json into *c (zeroed first).  bundle may be relative:
 * it is made absolute.  0, or -1 with one line (no trailing newline) in
 * err, e.g. "config.json: process.args must be a non-empty array of
 * strings".  Missing file: "open BUNDLE/config.json: No such file or
 * directory". */
int oci_config_load(const char *bundle, struct oci_config *c, char *err, size_t errlen);
/* Parses JSON text (for tests and fuzzing; bundle is used to resolve
 * relative paths and must be absolute). */
int oci_config_parse(const char *text, size_t len, const char *bundle, struct oci_config *c,
		     char *err, size_t errlen);
/* Parses an OCI process object from a file (exec --process). */
int oci_process_load(const char *path, struct oci_process *p, char *err, size_t errlen);
int oci_process_parse(json_t *obj, struct oci_process *p, char *err, size_t errlen);
/* The namespace of this type in c, or NULL when it is not listed. */
const struct oci_namespace *oci_config_ns(const struct oci_config *c, enum oci_ns_type type);
void oci_process_free(struct oci_process *p);
void oci_config_free(struct oci_config *c);

/* Name tables (oci_names.c).  Capabilities "CAP_CHOWN".."CAP_CHECKPOINT_RESTORE"
 * (numbers of linux/capability.h), rlimits "RLIMIT_*", namespace types as
 * config.json spells them ("pid", "network", ...).  -1 / NULL when unknown. */
#define OCI_CAP_LAST 40 /* CAP_CHECKPOINT_RESTORE */
int oci_cap_from_name(const char *name);
const char *oci_cap_name(int cap);
int oci_rlimit_from_name(const char *name);
const char *oci_rlimit_name(int resource);
int oci_ns_from_name(const char *name);
const char *oci_ns_name(enum oci_ns_type type);
