/* `cvisor create`: start the gofer and the sentry for a bundle, with the
 * container's init loaded and held until `cvisor start`. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "runsc-compat/cgroup.h"
#include "runsc-compat/cmd.h"
#include "runsc-compat/errors.h"
#include "runsc-compat/isolate.h"
#include "runsc-compat/launch.h"
#include "runsc-compat/oci_config.h"
#include "runsc-compat/state.h"

#define MAX_FLAGS 256

/* The listening control socket at ROOT/ID/control (the sentry serves it). */
static int control_listen(const struct cli_opts *o, const struct ctr_state *s)
{
	struct sockaddr_un a;
	int dirfd;
	if (ctl_socket_addr(s->root_dir, &a, &dirfd)) {
		oci_error(o, "control socket in %s: %s", s->root_dir, strerror(errno));
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	/* 0600 whatever our umask: in a user namespace the sentry cannot
	 * tell host root from other unmapped users by SO_PEERCRED, so only
	 * root may connect at all. */
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || chmod(a.sun_path, 0600) ||
	    listen(fd, 64)) {
		oci_error(o, "control socket %s/control: %s", s->root_dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	if (dirfd >= 0)
		close(dirfd);
	return fd;
}

/* The init process's settings as sentry flags (sentry.h). */
static int process_flags(const struct oci_config *c, char **out, int n)
{
	const struct oci_process *p = &c->process;
	char buf[8192];
	asprintf(&out[n++], "--uid=%u", p->uid);
	asprintf(&out[n++], "--gid=%u", p->gid);
	size_t len = 0;
	buf[0] = 0;
	for (size_t k = 0; k < p->n_additional_gids && len < sizeof buf - 16; k++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%u", k ? "," : "",
					p->additional_gids[k]);
	if (len)
		asprintf(&out[n++], "--groups=%s", buf);
	if (p->umask >= 0)
		asprintf(&out[n++], "--umask=%o", p->umask);
	if (p->caps.present)
		asprintf(&out[n++], "--caps=%llx,%llx,%llx,%llx,%llx",
			 (unsigned long long)p->caps.effective, (unsigned long long)p->caps.permitted,
			 (unsigned long long)p->caps.inheritable, (unsigned long long)p->caps.bounding,
			 (unsigned long long)p->caps.ambient);
	if (p->no_new_privileges)
		out[n++] = strdup("--no-new-privs");
	for (size_t k = 0; k < p->n_rlimits && n < MAX_FLAGS - 12; k++)
		if (p->rlimits[k].resource >= 0 && p->rlimits[k].resource < 16)
			asprintf(&out[n++], "--rlimit=%d:%llu:%llu", p->rlimits[k].resource,
				 (unsigned long long)p->rlimits[k].soft,
				 (unsigned long long)p->rlimits[k].hard);
	if (c->hostname)
		asprintf(&out[n++], "--hostname=%s", c->hostname);
	if (c->domainname)
		asprintf(&out[n++], "--domainname=%s", c->domainname);
	if (p->has_oom_score_adj)
		asprintf(&out[n++], "--oom-score-adj=%d", p->oom_score_adj);
	return n;
}

/* ---- config.json's mounts, masked/read-only paths and sysctls ---- */

struct mount_plan {
	char *gofer[MAX_FLAGS]; /* --export=... for the gofer */
	int ngofer, nexports;
};

/* dest resolved inside rootfs as the kernel would after a chroot: symlinks
 * (absolute ones from rootfs) and ".." never leave it.  With mkdir, missing
 * components are made as directories on the host, as runc makes mount
 * points in the rootfs.  out gets the canonical path ("/a/b"); 0 or -errno. */
static int resolve_in_root(const char *rootfs, const char *dest, bool mkdir_missing, char *out,
			   size_t outlen)
{
	char rest[PATH_MAX * 2], cur[PATH_MAX] = "", host[PATH_MAX * 2], link[PATH_MAX];
	int links = 0;
	if (snprintf(rest, sizeof rest, "%s", dest) >= (int)sizeof rest)
		return -ENAMETOOLONG;
	char *p = rest;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, "/");
		char name[NAME_MAX + 1];
		if (len > NAME_MAX)
			return -ENAMETOOLONG;
		memcpy(name, p, len);
		name[len] = 0;
		p += len;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			char *slash = strrchr(cur, '/');
			if (slash)
				*slash = 0;
			continue;
		}
		size_t cl = strlen(cur);
		if (cl + 1 + len >= sizeof cur)
			return -ENAMETOOLONG;
		snprintf(host, sizeof host, "%s%s/%s", rootfs, cur, name);
		struct stat st;
		if (lstat(host, &st)) {
			if (errno != ENOENT || !mkdir_missing)
				return -errno;
			if (mkdir(host, 0755) && errno != EEXIST)
				return -errno;
		} else if (S_ISLNK(st.st_mode)) {
			if (++links > 40)
				return -ELOOP;
			ssize_t n = readlink(host, link, sizeof link - 1);
			if (n < 0)
				return -errno;
			link[n] = 0;
			char tmp[sizeof rest];
			if (snprintf(tmp, sizeof tmp, "%s/%s", link, p) >= (int)sizeof tmp)
				return -ENAMETOOLONG;
			if (link[0] == '/')
				cur[0] = 0;
			strcpy(rest, tmp);
			p = rest;
			continue;
		}
		cur[cl] = '/';
		memcpy(cur + cl + 1, name, len + 1);
	}
	if (snprintf(out, outlen, "%s", *cur ? cur : "/") >= (int)outlen)
		return -ENAMETOOLONG;
	return 0;
}

static bool under(const char *path, const char *dir)
{
	size_t l = strlen(dir);
	return !strncmp(path, dir, l) && (!path[l] || path[l] == '/');
}

static const char *opt_value(char **opts, const char *key)
{
	size_t l = strlen(key);
	for (char **o = opts; o && *o; o++)
		if (!strncmp(*o, key, l) && (*o)[l] == '=')
			return *o + l + 1;
	return NULL;
}

/* The mount point in rootfs for a single-file bind at dest (canonical in
 * out): the file dest resolves to, or an empty file made there (its
 * directories too) when nothing is, as runc does.  A dangling symlink or
 * a directory there: -errno, and the bind is skipped. */
static int file_point_in_root(const char *rootfs, const char *dest, char *out, size_t outlen)
{
	char host[PATH_MAX * 2], parent[PATH_MAX], tmp[PATH_MAX];
	struct stat st;
	int r = resolve_in_root(rootfs, dest, false, out, outlen);
	if (r && r != -ENOENT)
		return r;
	if (r == -ENOENT) {
		/* Make the directories, then the file itself without following
		 * anything the rootfs holds at that name. */
		const char *slash = strrchr(dest, '/');
		if (!slash || !slash[1] || snprintf(tmp, sizeof tmp, "%.*s",
						    (int)(slash - dest), dest) >= (int)sizeof tmp)
			return -EINVAL;
		if ((r = resolve_in_root(rootfs, *tmp ? tmp : "/", true, parent, sizeof parent)))
			return r;
		if (snprintf(out, outlen, "%s/%s", strcmp(parent, "/") ? parent : "", slash + 1) >=
		    (int)outlen)
			return -ENAMETOOLONG;
		snprintf(host, sizeof host, "%s%s", rootfs, out);
		int fd = open(host, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0)
			return -errno;
		close(fd);
	}
	snprintf(host, sizeof host, "%s%s", rootfs, out);
	if (lstat(host, &st))
		return -errno;
	return S_ISDIR(st.st_mode) ? -EISDIR : 0;
}

/* A tmpfs size= value ("65536k", "64m", "1g", bytes) in bytes (0 for a
 * percentage: the default); -1 for anything else. */
static int tmpfs_size(const char *v, unsigned long long *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	if (errno || end == v || *v == '-')
		return -1;
	if (!strcmp(end, "%")) {
		/* A share of RAM: the sandbox's default (half of it) serves. */
		DEBUG("tmpfs size=%s: the default size is used", v);
		*out = 0;
		return 0;
	}
	const char *units = "kmgt", *u = *end ? strchr(units, *end | 0x20) : NULL;
	int shift = u ? 10 * (int)(u - units + 1) : 0;
	if (u)
		end++;
	if (*end || (shift && n > (~0ULL >> shift)))
		return -1;
	*out = n << shift;
	return 0;
}

/* A gofer export of host directory dir served at dest (canonical). */
static int add_bind(struct mount_plan *mp, char **flags, int n, const char *dir, const char *dest,
		    bool ro)
{
	if (mp->ngofer >= MAX_FLAGS - 1 || n >= MAX_FLAGS - 16)
		return -1;
	asprintf(&mp->gofer[mp->ngofer++], "--export=%s%s", dir, ro ? ":ro" : "");
	asprintf(&flags[n++], "--bind=%d:%s%s", ++mp->nexports, dest, ro ? ":ro" : "");
	return n;
}

/* The sandbox's own mounts at the places config.json names for these
 * types (procfs, sysfs, devfs with devpts, the /dev/shm tmpfs, an empty
 * read-only cgroup directory of sysfs, no mqueue): nothing to add. */
static bool builtin_mount(const struct oci_mount *m)
{
	static const struct {
		const char *type, *dest;
	} b[] = {
	    {"proc", "/proc"},		    {"sysfs", "/sys"},	      {"devpts", "/dev/pts"},
	    {"mqueue", "/dev/mqueue"},	    {"cgroup", "/sys/fs/cgroup"}, {"cgroup2", "/sys/fs/cgroup"},
	    {"tmpfs", "/dev"},		    {"tmpfs", "/dev/shm"},	    {"devtmpfs", "/dev"},
	};
	for (size_t i = 0; i < sizeof b / sizeof b[0]; i++)
		if (!strcmp(m->type, b[i].type) && !strcmp(m->destination, b[i].dest))
			return true;
	return false;
}

/* Turns mounts, readonlyPaths, maskedPaths and sysctl into gofer exports
 * and sentry flags (appended to flags from n).  The new count, or -1 with
 * one line in err; nothing is started yet, so nothing needs undoing
 * (mount points made in the rootfs stay, as with runc). */
static int mount_flags(const struct oci_config *c, struct mount_plan *mp, char **flags, int n,
		       char *err, size_t errlen)
{
	char dest[PATH_MAX];
	int r;
	/* The sandbox always mounts these; an image may lack the points. */
	static const char *const always[] = {"/proc", "/sys", "/dev"};
	for (size_t i = 0; i < 3; i++)
		if (resolve_in_root(c->root_path, always[i], true, dest, sizeof dest))
			DEBUG("cannot make %s in the rootfs", always[i]);
	for (size_t i = 0; i < c->n_mounts; i++) {
		const struct oci_mount *m = &c->mounts[i];
		bool is_bind = m->bind || !strcmp(m->type, "bind");
		if (!is_bind && builtin_mount(m))
			continue;
		if (!is_bind && strcmp(m->type, "tmpfs") && strcmp(m->type, "proc") &&
		    strcmp(m->type, "sysfs") && strcmp(m->type, "devpts") &&
		    strcmp(m->type, "mqueue") && strcmp(m->type, "cgroup") &&
		    strcmp(m->type, "cgroup2")) {
			snprintf(err, errlen, "mount %s: mount type \"%s\" is not supported",
				 m->destination, m->type);
			return -1;
		}
		struct stat st;
		if (is_bind && stat(m->source, &st)) {
			snprintf(err, errlen, "mount %s on %s: %s", m->source, m->destination,
				 strerror(errno));
			return -1;
		}
		if (is_bind && !S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
			/* Devices, sockets, FIFOs: never served by the gofer
			 * (docs/oci.md). */
			DEBUG("bind of %s on %s (not a file or directory): skipped", m->source,
			      m->destination);
			continue;
		}
		if (is_bind && S_ISREG(st.st_mode)) {
			/* A single-file export over a file of the rootfs
			 * (podman's /etc/hosts, /etc/hostname, resolv.conf). */
			if ((r = file_point_in_root(c->root_path, m->destination, dest, sizeof dest))) {
				DEBUG("file bind %s on %s: no mount point (%s): skipped", m->source,
				      m->destination, strerror(-r));
				continue;
			}
			if (under(dest, "/proc") || under(dest, "/sys") || under(dest, "/dev")) {
				DEBUG("file bind %s inside a sentry filesystem: skipped", dest);
				continue;
			}
			if ((n = add_bind(mp, flags, n, m->source, dest, m->readonly)) < 0)
				goto many;
			continue;
		}
		if ((r = resolve_in_root(c->root_path, m->destination, true, dest, sizeof dest))) {
			snprintf(err, errlen, "mount %s: cannot make the mount point: %s",
				 m->destination, strerror(-r));
			return -1;
		}
		if (under(dest, "/proc") || under(dest, "/sys") || under(dest, "/dev")) {
			/* Inside the sentry's own filesystems nothing else can
			 * be mounted. */
			DEBUG("mount %s (%s) inside a sentry filesystem: skipped", dest, m->type);
			continue;
		}
		if (is_bind) {
			if ((n = add_bind(mp, flags, n, m->source, dest, m->readonly)) < 0)
				goto many;
		} else if (!strcmp(m->type, "tmpfs")) {
			const char *mode = opt_value(m->options, "mode");
			if (n >= MAX_FLAGS - 16)
				goto many;
			if (mode && (strspn(mode, "01234567") != strlen(mode) || strlen(mode) > 5)) {
				snprintf(err, errlen, "mount %s: bad tmpfs mode \"%s\"", m->destination,
					 mode);
				return -1;
			}
			unsigned long long size = 0;
			const char *sz = opt_value(m->options, "size");
			if (sz && tmpfs_size(sz, &size)) {
				snprintf(err, errlen, "mount %s: bad tmpfs size \"%s\"", m->destination,
					 sz);
				return -1;
			}
			if (size)
				asprintf(&flags[n++], "--oci-tmpfs=%s,%llu:%s%s", mode ? mode : "1777",
					 size, dest, m->readonly ? ":ro" : "");
			else
				asprintf(&flags[n++], "--oci-tmpfs=%s:%s%s", mode ? mode : "1777", dest,
					 m->readonly ? ":ro" : "");
		} else {
			DEBUG("mount %s (%s) elsewhere than its usual place: skipped", dest, m->type);
		}
	}
	/* A read-only path of the rootfs: a read-only export of it over
	 * itself.  Those in /proc and /sys are the sentry's (read-only but
	 * for the sysctls it implements, see docs/oci.md). */
	for (char **p = c->readonly_paths; p && *p; p++) {
		char host[PATH_MAX * 2];
		/* procfs's own switch: its entries cannot hold mounts. */
		if (under(*p, "/proc") && strcmp(*p, "/proc") && n < MAX_FLAGS - 16) {
			asprintf(&flags[n++], "--oci-ro=%s", *p);
			continue;
		}
		if (under(*p, "/proc") || under(*p, "/sys") || under(*p, "/dev") ||
		    resolve_in_root(c->root_path, *p, false, dest, sizeof dest) ||
		    !strcmp(dest, "/"))
			continue;
		struct stat st;
		snprintf(host, sizeof host, "%s%s", c->root_path, dest);
		if (stat(host, &st) || !S_ISDIR(st.st_mode))
			continue;
		if ((n = add_bind(mp, flags, n, host, dest, true)) < 0)
			goto many;
	}
	for (char **p = c->masked_paths; p && *p; p++) {
		if ((*p)[0] != '/' || n >= MAX_FLAGS - 16)
			continue;
		asprintf(&flags[n++], "--oci-mask=%s", *p);
	}
	for (size_t i = 0; i < c->n_sysctls; i++) {
		const char *k = c->sysctls[i].key, *v = c->sysctls[i].value;
		if (n >= MAX_FLAGS - 16)
			goto many;
		if (!strcmp(k, "kernel.hostname")) {
			asprintf(&flags[n++], "--hostname=%s", v);
		} else if (!strcmp(k, "kernel.domainname")) {
			asprintf(&flags[n++], "--domainname=%s", v);
		} else if (!strncmp(k, "net.", 4) || !strncmp(k, "kernel.msg", 10) ||
			   !strncmp(k, "kernel.sem", 10) || !strncmp(k, "kernel.shm", 10) ||
			   !strncmp(k, "fs.mqueue.", 10)) {
			/* Namespaced on Linux; the sentry has no such knobs. */
			DEBUG("sysctl %s=%s accepted and ignored", k, v);
		} else {
			snprintf(err, errlen, "sysctl \"%s\" is not in a separate kernel namespace",
				 k);
			return -1;
		}
	}
	return n;
many:
	snprintf(err, errlen, "config.json: too many mounts");
	return -1;
}

static void set_host_oom(pid_t pid, int adj)
{
	char path[64], v[16];
	snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	int l = snprintf(v, sizeof v, "%d", adj);
	if (fd < 0 || write(fd, v, (size_t)l) != l)
		DEBUG("%s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
}

/* What config.json asks for (isolate.h), plus a pid, IPC, UTS and network
 * namespace of its own unless one is named by path: the container's pids,
 * IPC and hostname are the sentry's own, it has no sockets for the
 * application yet, and the host's namespaces would only let the sentry
 * see and reach more of the host. */
static int sentry_ns_flags(const struct oci_config *c)
{
	int flags = isolate_clone_flags(c);
	static const struct {
		enum oci_ns_type type;
		int flag;
	} own[] = {{OCI_NS_PID, CLONE_NEWPID},
		   {OCI_NS_IPC, CLONE_NEWIPC},
		   {OCI_NS_UTS, CLONE_NEWUTS},
		   {OCI_NS_NETWORK, CLONE_NEWNET}};
	for (size_t i = 0; i < sizeof own / sizeof own[0]; i++) {
		const struct oci_namespace *ns = oci_config_ns(c, own[i].type);
		if (!ns || !ns->path)
			flags |= own[i].flag;
	}
	return flags;
}

/* Reads what the sentry says once init is loaded: "ok" or why not. */
static char *read_ready(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap + 1);
	for (;;) {
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (len += (size_t)n) == cap)
			break;
	}
	buf[len] = 0;
	return buf;
}

int lifecycle_create(struct cli_opts *o, const struct create_args *a, pid_t *sentry_out,
		     pid_t *gofer_out)
{
	struct oci_config cfg;
	char err[1024];
	if (!state_valid_id(a->id)) {
		oci_error(o, "invalid container id \"%s\"", a->id);
		return 1;
	}
	if (oci_config_load(a->bundle ? a->bundle : ".", &cfg, err, sizeof err)) {
		oci_error(o, "%s", err);
		return 1;
	}
	if (!cfg.has_process) {
		oci_error(o, "config.json: process is required to create a container");
		oci_config_free(&cfg);
		return 1;
	}
	bool terminal = cfg.process.terminal;
	if (terminal && !a->console_socket && !a->foreground) {
		oci_error(o, "cannot allocate tty if cvisor will detach without setting console socket");
		oci_config_free(&cfg);
		return 1;
	}
	/* Checked before anything exists, so a refused mount leaves nothing. */
	struct mount_plan mp = {0};
	char *mflags[MAX_FLAGS] = {0};
	int nm = mount_flags(&cfg, &mp, mflags, 0, err, sizeof err);
	if (nm < 0) {
		oci_error(o, "%s", err);
		for (int k = 0; k < MAX_FLAGS; k++)
			free(mflags[k]), free(mp.gofer[k]);
		oci_config_free(&cfg);
		return 1;
	}
	struct ctr_state s;
	int lock = -1, rc = 1, r;
	if ((r = state_create(o->root, a->id, &s, &lock))) {
		for (int k = 0; k < MAX_FLAGS; k++)
			free(mflags[k]), free(mp.gofer[k]);
		if (r == -EEXIST)
			oci_error(o, "container with id exists: %s", a->id);
		else
			oci_error(o, "create state for %s in %s: %s", a->id, o->root, strerror(-r));
		oci_config_free(&cfg);
		return 1;
	}
	snprintf(s.bundle, sizeof s.bundle, "%s", cfg.bundle);
	snprintf(s.rootfs, sizeof s.rootfs, "%s", cfg.root_path);
	snprintf(s.platform, sizeof s.platform, "%s", o->platform);
	if (cfg.annotations)
		s.annotations_json = json_dumps(cfg.annotations, JSON_COMPACT);

	int ctl = -1, ready[2] = {-1, -1}, master = -1, slave = -1, nflags = 0, scfd = -1;
	char *flags[MAX_FLAGS] = {0};
	struct launch_result lr = {-1, -1};
	struct cgroup *cg = cg_create(cfg.cgroups_path, a->id, cfg.resources, err, sizeof err);
	if (!cg) {
		oci_error(o, "cgroup: %s", err);
		goto fail;
	}
	snprintf(s.cgroup_path, sizeof s.cgroup_path, "%s", cg_saved_path(cg));

	if (terminal && a->console_socket) {
		if (launch_openpty(o, &master, &slave, cfg.process.console_rows,
				   cfg.process.console_cols))
			goto fail;
		if (launch_send_console(o, a->console_socket, master))
			goto fail;
		close(master);
		master = -1;
	}
	if ((ctl = control_listen(o, &s)) < 0)
		goto fail;
	if (pipe2(ready, O_CLOEXEC)) {
		oci_error(o, "pipe: %s", strerror(errno));
		goto fail;
	}
	asprintf(&flags[nflags++], "--control-fd=%d", ctl);
	asprintf(&flags[nflags++], "--ready-fd=%d", ready[1]);
	flags[nflags++] = strdup("--wait-start");
	if (a->preserve_fds > 0)
		asprintf(&flags[nflags++], "--preserve-fds=%d", a->preserve_fds);
	long max_tasks = cg_pids_limit(cg);
	if (max_tasks > 0)
		asprintf(&flags[nflags++], "--max-tasks=%ld", max_tasks);
	nflags = process_flags(&cfg, flags, nflags);
	for (int k = 0; k < nm && nflags < MAX_FLAGS - 2; k++) {
		flags[nflags++] = mflags[k];
		mflags[k] = NULL;
	}
	if (cfg.seccomp) {
		/* The profile as JSON text, read to EOF by the sentry
		 * (sentry/seccomp/app_seccomp.h). */
		char *js = json_dumps(cfg.seccomp, JSON_COMPACT);
		size_t jl = js ? strlen(js) : 0;
		scfd = memfd_create("oci-seccomp", MFD_CLOEXEC);
		if (!js || scfd < 0 || write(scfd, js, jl) != (ssize_t)jl ||
		    lseek(scfd, 0, SEEK_SET)) {
			oci_error(o, "seccomp profile: %s", js ? strerror(errno) : "cannot encode");
			free(js);
			goto fail;
		}
		free(js);
		asprintf(&flags[nflags++], "--app-seccomp-fd=%d", scfd);
	}
	flags[nflags] = NULL;

	int keep[3 + 1024], nkeep = 0;
	keep[nkeep++] = ctl;
	keep[nkeep++] = ready[1];
	if (scfd >= 0)
		keep[nkeep++] = scfd;
	for (int fd = 3; fd < 3 + a->preserve_fds && nkeep < 2 + 60; fd++)
		keep[nkeep++] = fd;
	sigset_t mask;
	sigprocmask(SIG_SETMASK, NULL, &mask);
	struct launch_spec spec = {
	    .o = o,
	    .self = "/proc/self/exe",
	    .tree = cfg.root_path,
	    .argv = cfg.process.args,
	    .env = cfg.process.env,
	    .cwd = cfg.process.cwd,
	    /* A read-only root has no writable layer at all. */
	    .overlay = cfg.root_readonly ? "none" : NULL,
	    .sentry_flags = (const char *const *)flags,
	    .gofer_flags = (const char *const *)mp.gofer,
	    .stdio = {slave, slave, slave},
	    .keep = keep,
	    .n_keep = nkeep,
	    .sentry_ns_flags = sentry_ns_flags(&cfg),
	    .ns_config = &cfg,
	    .ctty = slave >= 0,
	    .cg = cg,
	};
	if (launch_sandbox(&spec, &mask, &lr)) {
		oci_error(o, "cannot start the sandbox (see the messages above)");
		goto fail;
	}
	if (cfg.process.has_oom_score_adj) {
		/* The host's OOM killer treats the sandbox as config.json
		 * asks for its init. */
		set_host_oom(lr.sentry, cfg.process.oom_score_adj);
		set_host_oom(lr.gofer, cfg.process.oom_score_adj);
	}
	close(ready[1]);
	ready[1] = -1;
	close(ctl);
	ctl = -1;
	if (slave >= 0) {
		close(slave);
		slave = -1;
	}
	char *msg = read_ready(ready[0]);
	if (strcmp(msg, "ok")) {
		if (*msg) {
			oci_error(o, "%s", msg);
		} else {
			int st = 0;
			waitpid(lr.sentry, &st, 0);
			lr.sentry = -1;
			oci_error(o, "sandbox failed to start (%s %d)",
				  WIFSIGNALED(st) ? "signal" : "exit status",
				  WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
		}
		free(msg);
		goto fail;
	}
	free(msg);
	s.pid = lr.sentry;
	s.pid_starttime = state_pid_starttime(lr.sentry);
	s.gofer_pid = lr.gofer;
	if (lifecycle_set_status(o, &s, CTR_CREATED))
		goto fail;
	if (a->pid_file && launch_write_pidfile(o, a->pid_file, lr.sentry))
		goto fail;
	*sentry_out = lr.sentry;
	*gofer_out = lr.gofer;
	rc = 0;
	state_unlock(lock);
	lock = -1;
	goto out;
fail:
	/* Nothing may be left behind: processes, cgroup, state. */
	if (lr.sentry > 0) {
		kill(lr.sentry, SIGKILL);
		waitpid(lr.sentry, NULL, 0);
	}
	if (lr.gofer > 0) {
		kill(lr.gofer, SIGKILL);
		waitpid(lr.gofer, NULL, 0);
	}
	if (cg)
		cg_destroy(cg);
	state_remove(&s, lock);
	lock = -1;
out:
	if (cg)
		cg_free(cg);
	for (int k = 0; k < nflags; k++)
		free(flags[k]);
	for (int k = 0; k < MAX_FLAGS; k++)
		free(mflags[k]), free(mp.gofer[k]);
	if (scfd >= 0)
		close(scfd);
	if (ctl >= 0)
		close(ctl);
	if (ready[0] >= 0)
		close(ready[0]);
	if (ready[1] >= 0)
		close(ready[1]);
	if (master >= 0)
		close(master);
	if (slave >= 0)
		close(slave);
	state_free(&s);
	oci_config_free(&cfg);
	return rc;
}

/* Holes in 3..2+N would otherwise receive our own fds and leak them in. */
static void fill_preserved(int n)
{
	for (int fd = 3; fd < 3 + n; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int d = open("/dev/null", O_RDWR);
			if (d >= 0 && d != fd) {
				dup2(d, fd);
				close(d);
			}
		}
}

int lifecycle_create_args(struct cli_opts *o, int argc, char **argv, int i,
			  const struct flag *extra, const char *usage, struct create_args *a)
{
	const char *preserve = NULL;
	bool no_pivot = false, no_keyring = false;
	struct flag f[24] = {
	    {"bundle", FLAG_STR, &a->bundle},
	    {"b", FLAG_STR, &a->bundle},
	    {"pid-file", FLAG_STR, &a->pid_file},
	    {"console-socket", FLAG_STR, &a->console_socket},
	    {"preserve-fds", FLAG_STR, &preserve},
	    {"no-pivot", FLAG_BOOL, &no_pivot},
	    {"no-new-keyring", FLAG_BOOL, &no_keyring},
	};
	size_t nf = 7;
	for (; extra && extra->name && nf < sizeof f / sizeof *f - 1; extra++)
		f[nf++] = *extra;
	f[nf] = (struct flag){NULL, FLAG_BOOL, NULL};
	int r = cli_parse_id(o, f, argc, argv, i, usage, &a->id);
	if (r)
		return r;
	if (preserve) {
		char *end;
		long v = strtol(preserve, &end, 10);
		if (*end || v < 0 || v > 1000) {
			fprintf(stderr, "cvisor: --preserve-fds: bad count \"%s\"\n", preserve);
			return 2;
		}
		a->preserve_fds = (int)v;
	}
	launch_stdio_open();
	return 0;
}

int cmd_create(struct cli_opts *o, int argc, char **argv, int i)
{
	struct create_args a = {0};
	int r = lifecycle_create_args(o, argc, argv, i, NULL,
				      "cvisor create [--bundle DIR] [--pid-file FILE] "
				      "[--console-socket SOCK] [--preserve-fds N] ID",
				      &a);
	if (r)
		return r;
	fill_preserved(a.preserve_fds);
	pid_t sentry, gofer;
	return lifecycle_create(o, &a, &sentry, &gofer);
}
