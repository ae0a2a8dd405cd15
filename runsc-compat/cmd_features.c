/* `cvisor features`: what this runtime supports, as runc's features JSON. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "runsc-compat/cmd.h"
#include "runsc-compat/errors.h"
#include "runsc-compat/oci_config.h"

/* The mount options config.json may use (the sentry interprets them). */
static const char *const mount_options[] = {
    "bind",	   "rbind",	  "ro",		"rw",	   "nosuid",	  "suid",
    "nodev",	   "dev",	  "noexec",	"exec",	   "relatime",	  "norelatime",
    "strictatime", "nostrictatime", "noatime", "atime",	   "private",	  "rprivate",
    "shared",	   "rshared",	  "slave",	"rslave",  "unbindable",  "runbindable",
    "mode",	   "size",	  "uid",	"gid",	   "newinstance", "ptmxmode",
    "tmpcopyup",   NULL,
};

static json_t *strings(const char *const *v)
{
	json_t *a = json_array();
	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *features(void)
{
	static const char *const actions[] = {
	    "SCMP_ACT_ALLOW",	      "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
	    "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG",   "SCMP_ACT_TRAP", NULL};
	static const char *const operators[] = {
	    "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",	"SCMP_CMP_LE",
	    "SCMP_CMP_LT", "SCMP_CMP_NE", "SCMP_CMP_MASKED_EQ", NULL};
	static const char *const archs[] = {"SCMP_ARCH_X86_64", NULL};
	json_t *ns = json_array(), *caps = json_array();
	for (int t = 0; t < OCI_NS_COUNT; t++)
		json_array_append_new(ns, json_string(oci_ns_name((enum oci_ns_type)t)));
	for (int c = 0; c <= OCI_CAP_LAST; c++)
		json_array_append_new(caps, json_string(oci_cap_name(c)));
	return json_pack("{s:s, s:s, s:[], s:o, s:{s:o, s:o, s:{s:b, s:b, s:b, s:b}, "
			 "s:{s:b, s:o, s:o, s:o}, s:{s:b}, s:{s:b}}, s:{s:s, s:s}}",
			 "ociVersionMin", "1.0.0", "ociVersionMax", "1.1.0", "hooks",
			 "mountOptions", strings(mount_options), "linux", "namespaces", ns,
			 "capabilities", caps, "cgroup", "v1", 1, "v2", 1, "systemd", 0,
			 "systemdUser", 0, "seccomp", "enabled", 1, "actions", strings(actions),
			 "operators", strings(operators), "archs", strings(archs), "apparmor",
			 "enabled", 0, "selinux", "enabled", 0, "annotations",
			 "org.cvisor.version", CVISOR_VERSION, "org.cvisor.platforms",
			 "ptrace,kvm");
}

int cmd_features(struct cli_opts *o, int argc, char **argv, int i)
{
	int r = cli_parse_info(o, NULL, argc, argv, i, "features",
			       "Usage: cvisor features\nPrints what this runtime supports as JSON.\n",
			       NULL, 0);
	if (r >= 0)
		return r;
	json_t *j = features();
	char *t = j ? json_dumps(j, JSON_INDENT(4) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(j);
	if (!t) {
		oci_error(o, "features: out of memory");
		return 1;
	}
	printf("%s\n", t);
	free(t);
	return 0;
}
