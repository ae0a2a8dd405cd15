/* Namespaces for a container's sentry from config.json (see isolate.h). */
#include "runsc-compat/isolate.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const int ns_flag[OCI_NS_COUNT] = {
    [OCI_NS_PID] = CLONE_NEWPID,   [OCI_NS_NETWORK] = CLONE_NEWNET,
    [OCI_NS_IPC] = CLONE_NEWIPC,   [OCI_NS_UTS] = CLONE_NEWUTS,
    [OCI_NS_MOUNT] = CLONE_NEWNS,  [OCI_NS_USER] = CLONE_NEWUSER,
    [OCI_NS_CGROUP] = CLONE_NEWCGROUP, [OCI_NS_TIME] = CLONE_NEWTIME,
};

static const char *const ns_word[OCI_NS_COUNT] = {
    [OCI_NS_PID] = "pid",     [OCI_NS_NETWORK] = "network", [OCI_NS_IPC] = "ipc",
    [OCI_NS_UTS] = "uts",     [OCI_NS_MOUNT] = "mount",	    [OCI_NS_USER] = "user",
    [OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
};

int isolate_clone_flags(const struct oci_config *c)
{
	int flags = CLONE_NEWNS;
	for (size_t i = 0; i < c->n_namespaces; i++) {
		const struct oci_namespace *ns = &c->namespaces[i];
		if (ns->path || ns->type >= OCI_NS_COUNT)
			continue;
		/* A user namespace without maps would leave everyone nobody. */
		if (ns->type == OCI_NS_USER && !c->n_uid_mappings)
			continue;
		/* The time namespace applies to children only; the sentry keeps
		 * its own clocks for the application anyway. */
		if (ns->type == OCI_NS_TIME)
			continue;
		flags |= ns_flag[ns->type];
	}
	return flags;
}

static int join(const struct oci_namespace *ns, char *err, size_t errlen)
{
	int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || setns(fd, ns_flag[ns->type])) {
		snprintf(err, errlen, "join %s namespace %s: %s", ns_word[ns->type], ns->path,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int isolate_join_namespaces(const struct oci_config *c, char *err, size_t errlen)
{
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < c->n_namespaces; i++) {
			const struct oci_namespace *ns = &c->namespaces[i];
			if (!ns->path || ns->type >= OCI_NS_COUNT)
				continue;
			if ((pass == 0) != (ns->type == OCI_NS_USER))
				continue;
			if (join(ns, err, errlen))
				return -1;
			/* What we join next is checked against our ids in it. */
			if (ns->type == OCI_NS_USER && isolate_become_root(err, errlen))
				return -1;
		}
	}
	return 0;
}

static int write_map(pid_t pid, const char *file, const struct oci_idmap *m, size_t n, char *err,
		     size_t errlen)
{
	char path[64], buf[4096];
	size_t used = 0;
	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + used, sizeof buf - used, "%u %u %u\n", m[i].container_id,
				 m[i].host_id, m[i].size);
		if (w < 0 || (size_t)w >= sizeof buf - used) {
			snprintf(err, errlen, "%s: too many id mappings", file);
			return -1;
		}
		used += (size_t)w;
	}
	snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, used) != (ssize_t)used) {
		snprintf(err, errlen, "write %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

int isolate_write_idmaps(pid_t pid, const struct oci_config *c, char *err, size_t errlen)
{
	if (c->n_uid_mappings &&
	    write_map(pid, "uid_map", c->uid_mappings, c->n_uid_mappings, err, errlen))
		return -1;
	if (c->n_gid_mappings &&
	    write_map(pid, "gid_map", c->gid_mappings, c->n_gid_mappings, err, errlen))
		return -1;
	return 0;
}

bool isolate_has_userns(const struct oci_config *c)
{
	const struct oci_namespace *ns = oci_config_ns(c, OCI_NS_USER);
	return ns && (ns->path || c->n_uid_mappings);
}

int isolate_become_root(char *err, size_t errlen)
{
	/* setgroups first: it needs CAP_SETGID, which setresuid may drop. */
	if (setgroups(0, NULL) || setresgid(0, 0, 0) || setresuid(0, 0, 0)) {
		snprintf(err, errlen, "become root of the user namespace: %s", strerror(errno));
		return -1;
	}
	return 0;
}

int isolate_join_user(const struct oci_config *c, char *err, size_t errlen)
{
	const struct oci_namespace *ns = oci_config_ns(c, OCI_NS_USER);
	if (!ns || !ns->path)
		return 0;
	if (join(ns, err, errlen))
		return -1;
	return isolate_become_root(err, errlen);
}
