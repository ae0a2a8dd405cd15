/* `cvisor spec`: writes a starter config.json (busybox-friendly, as runc spec). */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runsc-compat/cmd.h"
#include "runsc-compat/errors.h"

static json_t *mount(const char *dest, const char *type, const char *src, const char *opts)
{
	json_t *m = json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", src);
	if (opts) {
		json_t *a = json_array();
		char *copy = strdup(opts), *save = NULL;
		for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t;
		     t = strtok_r(NULL, ",", &save))
			json_array_append_new(a, json_string(t));
		free(copy);
		json_object_set_new(m, "options", a);
	}
	return m;
}

static json_t *strings(const char *const *v)
{
	json_t *a = json_array();
	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *default_spec(bool rootless)
{
	static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
					   NULL};
	static const char *const masked[] = {
	    "/proc/acpi",	"/proc/asound",	     "/proc/kcore",	 "/proc/keys",
	    "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
	    "/sys/firmware",	"/proc/scsi",	     NULL};
	static const char *const readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
					       "/proc/sysrq-trigger", NULL};
	json_t *capset = json_object();
	for (const char *const *k = (const char *const[]){"bounding", "effective", "permitted",
							   "ambient", NULL};
	     *k; k++)
		json_object_set_new(capset, *k, strings(caps));
	json_t *process = json_pack(
	    "{s:b, s:{s:i, s:i}, s:[s], s:[s, s], s:s, s:o, s:[{s:s, s:i, s:i}], s:b}", "terminal",
	    1, "user", "uid", 0, "gid", 0, "args", "sh", "env",
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", "cwd",
	    "/", "capabilities", capset, "rlimits", "type", "RLIMIT_NOFILE", "hard", 1024, "soft",
	    1024, "noNewPrivileges", 1);
	json_t *mounts = json_array();
	json_array_append_new(mounts, mount("/proc", "proc", "proc", NULL));
	json_array_append_new(mounts,
			      mount("/dev", "tmpfs", "tmpfs", "nosuid,strictatime,mode=755,size=65536k"));
	json_array_append_new(mounts, mount("/dev/pts", "devpts", "devpts",
					    rootless ? "nosuid,noexec,newinstance,ptmxmode=0666,mode=0620"
						     : "nosuid,noexec,newinstance,ptmxmode=0666,"
						       "mode=0620,gid=5"));
	json_array_append_new(mounts, mount("/dev/shm", "tmpfs", "shm",
					    "nosuid,noexec,nodev,mode=1777,size=65536k"));
	json_array_append_new(mounts, mount("/dev/mqueue", "mqueue", "mqueue", "nosuid,noexec,nodev"));
	/* Without its own network namespace sysfs cannot be mounted: bind it. */
	json_array_append_new(mounts, rootless ? mount("/sys", "none", "/sys",
						       "rbind,nosuid,noexec,nodev,ro")
					       : mount("/sys", "sysfs", "sysfs", "nosuid,noexec,nodev,ro"));
	json_t *ns = json_array();
	for (const char *const *t =
		 (const char *const[]){"pid", "network", "ipc", "uts", "mount", "cgroup", NULL};
	     *t; t++) {
		if (rootless && !strcmp(*t, "network"))
			continue;
		json_array_append_new(ns, json_pack("{s:s}", "type", *t));
	}
	json_t *lx = json_pack("{s:o, s:o, s:o}", "namespaces", ns, "maskedPaths", strings(masked),
			       "readonlyPaths", strings(readonly));
	if (rootless) {
		json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
		json_object_set_new(lx, "uidMappings",
				    json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID",
					      (json_int_t)getuid(), "size", 1));
		json_object_set_new(lx, "gidMappings",
				    json_pack("[{s:i, s:i, s:i}]", "containerID", 0, "hostID",
					      (json_int_t)getgid(), "size", 1));
	} else {
		json_object_set_new(lx, "resources",
				    json_pack("{s:[{s:b, s:s}]}", "devices", "allow", 0, "access", "rwm"));
	}
	return json_pack("{s:s, s:o, s:{s:s, s:b}, s:s, s:o, s:o}", "ociVersion", CVISOR_OCI_SPEC,
			 "process", process, "root", "path", "rootfs", "readonly", 1, "hostname",
			 "cvisor", "mounts", mounts, "linux", lx);
}

int cmd_spec(struct cli_opts *o, int argc, char **argv, int i)
{
	const char *bundle = NULL;
	bool rootless = false;
	const struct flag local[] = {
	    {"bundle", FLAG_STR, &bundle},
	    {"b", FLAG_STR, &bundle},
	    {"rootless", FLAG_BOOL, &rootless},
	    {NULL, FLAG_BOOL, NULL},
	};
	int r = cli_parse_info(o, local, argc, argv, i, "spec",
			       "Usage: cvisor spec [--bundle DIR] [--rootless]\n"
			       "Writes a starter config.json into DIR (default: the current "
			       "directory).\n",
			       NULL, 0);
	if (r >= 0)
		return r;
	char path[4200];
	snprintf(path, sizeof path, "%s%sconfig.json", bundle ? bundle : "", bundle ? "/" : "");
	json_t *spec = default_spec(rootless);
	char *text = spec ? json_dumps(spec, JSON_INDENT(2) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(spec);
	if (!text) {
		oci_error(o, "spec: out of memory");
		return 1;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0) {
		if (errno == EEXIST)
			oci_error(o, "File %s exists. Remove it first", path);
		else
			oci_error(o, "spec: open %s: %s", path, strerror(errno));
		free(text);
		return 1;
	}
	size_t len = strlen(text);
	text[len] = 0;
	bool ok = dprintf(fd, "%s\n", text) == (int)len + 1;
	free(text);
	if (close(fd) || !ok) {
		oci_error(o, "spec: write %s: %s", path, strerror(errno ? errno : EIO));
		unlink(path);
		return 1;
	}
	return 0;
}
