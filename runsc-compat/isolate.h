/* Namespaces for an OCI container's sentry: which to create, which to
 * join, and the id maps of a new user namespace.  The lifecycle calls these
 * around the clone of the sentry; the sentry and the gofer then harden
 * themselves (common/sandbox.h: pivot_root, capabilities, seccomp). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "runsc-compat/oci_config.h"

/* CLONE_NEW* flags for the namespaces config.json lists without a path
 * (pid, network, ipc, uts, mount, user when id maps are given, cgroup).
 * The mount namespace is always new: the sentry pivots into an empty
 * directory and must not do that in the caller's. */
int isolate_clone_flags(const struct oci_config *c);

/* setns() into every namespace config.json gives a path for, the user
 * namespace first (it decides what the others may be joined with).  Call
 * in the child before anything else.  0, or -1 with one line in err
 * ("join network namespace /run/netns/x: Operation not permitted"). */
int isolate_join_namespaces(const struct oci_config *c, char *err, size_t errlen);

/* Writes /proc/PID/{uid_map,gid_map} from linuxUidMappings and
 * linuxGidMappings for a child created with CLONE_NEWUSER (from the
 * parent, before the child goes on).  0, or -1 with err. */
int isolate_write_idmaps(pid_t pid, const struct oci_config *c, char *err, size_t errlen);

/* Whether the sentry runs in a user namespace other than ours: a new one
 * (id maps given) or one config.json names by path. */
bool isolate_has_userns(const struct oci_config *c);

/* The gofer's part of a joined user namespace: setns() into the user
 * namespace config.json names by path, if any, then become its root
 * (as isolate_become_root).  0, or -1 with err. */
int isolate_join_user(const struct oci_config *c, char *err, size_t errlen);

/* Drops supplementary groups and becomes uid/gid 0 of the user namespace
 * we are in: our host ids are unmapped there, and without this exec would
 * drop every capability and files we create would belong to the host's
 * ids rather than the mapped ones.  0, or -1 with err. */
int isolate_become_root(char *err, size_t errlen);
