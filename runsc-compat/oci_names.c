/* Name tables of config.json: capabilities, rlimits and namespace types. */
#include <string.h>
#include <sys/resource.h>

#include "runsc-compat/oci_config.h"

/* Indexed by capability number (linux/capability.h). */
static const char *const cap_names[OCI_CAP_LAST + 1] = {
    "CAP_CHOWN",	   "CAP_DAC_OVERRIDE",	 "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
    "CAP_FSETID",	   "CAP_KILL",		 "CAP_SETGID",		"CAP_SETUID",
    "CAP_SETPCAP",	   "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",	   "CAP_NET_RAW",	 "CAP_IPC_LOCK",	"CAP_IPC_OWNER",
    "CAP_SYS_MODULE",	   "CAP_SYS_RAWIO",	 "CAP_SYS_CHROOT",	"CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",	   "CAP_SYS_ADMIN",	 "CAP_SYS_BOOT",	"CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",	   "CAP_SYS_TIME",	 "CAP_SYS_TTY_CONFIG",	"CAP_MKNOD",
    "CAP_LEASE",	   "CAP_AUDIT_WRITE",	 "CAP_AUDIT_CONTROL",	"CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",	   "CAP_MAC_ADMIN",	 "CAP_SYSLOG",		"CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",	 "CAP_PERFMON",		"CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

static const struct {
	const char *name;
	int res;
} rlimits[] = {
    {"RLIMIT_CPU", RLIMIT_CPU},		  {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_DATA", RLIMIT_DATA},	  {"RLIMIT_STACK", RLIMIT_STACK},
    {"RLIMIT_CORE", RLIMIT_CORE},	  {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_NPROC", RLIMIT_NPROC},	  {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},	  {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},	  {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE}, {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},	  {"RLIMIT_RTTIME", RLIMIT_RTTIME},
};

static const char *const ns_names[OCI_NS_COUNT] = {
    [OCI_NS_PID] = "pid",   [OCI_NS_NETWORK] = "network", [OCI_NS_IPC] = "ipc",
    [OCI_NS_UTS] = "uts",   [OCI_NS_MOUNT] = "mount",	  [OCI_NS_USER] = "user",
    [OCI_NS_CGROUP] = "cgroup", [OCI_NS_TIME] = "time",
};

int oci_cap_from_name(const char *name)
{
	for (int i = 0; i <= OCI_CAP_LAST; i++)
		if (!strcmp(cap_names[i], name))
			return i;
	return -1;
}

const char *oci_cap_name(int cap)
{
	return cap >= 0 && cap <= OCI_CAP_LAST ? cap_names[cap] : NULL;
}

int oci_rlimit_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++)
		if (!strcmp(rlimits[i].name, name))
			return rlimits[i].res;
	return -1;
}

const char *oci_rlimit_name(int resource)
{
	for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++)
		if (rlimits[i].res == resource)
			return rlimits[i].name;
	return NULL;
}

int oci_ns_from_name(const char *name)
{
	for (int i = 0; i < OCI_NS_COUNT; i++)
		if (!strcmp(ns_names[i], name))
			return i;
	return -1;
}

const char *oci_ns_name(enum oci_ns_type type)
{
	return (unsigned)type < OCI_NS_COUNT ? ns_names[type] : NULL;
}
