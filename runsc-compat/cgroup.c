/* A container's cgroups on the host: creating the directories in each
 * hierarchy, applying limits, moving processes in, freezing, killing and
 * removing (the translation itself is in cgroup_plan.c). */
#include "runsc-compat/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"

#define CG_MAXH 8
#define CG_MAXW 32

/* The v1 controllers a container uses; others (devices, blkio, net_cls...)
 * are left alone: the sentry already mediates what they would limit. */
static const char *const wanted_v1[] = {"memory", "cpu", "cpuacct", "cpuset", "pids", "freezer"};

struct hier {
	char ctl[64];	     /* v1: the mount's controllers ("cpu,cpuacct"); v2: "" */
	char mnt[PATH_MAX];  /* the hierarchy's mount point */
	char dir[PATH_MAX];  /* the container's directory in it */
	int created;	     /* how many trailing components of dir we made */
};

struct cgroup {
	enum cg_mode mode;
	struct hier h[CG_MAXH];
	int nh;
	long pids_limit;
	char *saved;
};

static void msleep(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	char chunk[4096];
	size_t n;
	while (m && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		fwrite(chunk, 1, n, m);
	fclose(f);
	if (m)
		fclose(m);
	return buf;
}

static int write_file(const char *dir, const char *file, const char *val)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = write(fd, val, strlen(val));
	int e = n < 0 ? errno : 0;
	close(fd);
	return n < 0 ? -e : 0;
}

static int read_line(const char *dir, const char *file, char *out, size_t len)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, file);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, out, len - 1);
	close(fd);
	if (n < 0)
		return -EIO;
	out[n] = 0;
	out[strcspn(out, "\n")] = 0;
	return 0;
}

static long long read_ll(const char *dir, const char *file)
{
	char buf[64];
	if (read_line(dir, file, buf, sizeof buf))
		return -1;
	if (!strcmp(buf, "max"))
		return -1;
	return strtoll(buf, NULL, 10);
}

static bool has_ctl(const char *list, const char *ctl)
{
	size_t n = strlen(ctl);
	for (const char *s = list; *s;) {
		const char *e = strchrnul(s, ',');
		if ((size_t)(e - s) == n && !strncmp(s, ctl, n))
			return true;
		s = *e ? e + 1 : e;
	}
	return false;
}

static struct hier *find(struct cgroup *cg, const char *ctl)
{
	for (int i = 0; i < cg->nh; i++)
		if (ctl[0] ? has_ctl(cg->h[i].ctl, ctl) : !cg->h[i].ctl[0])
			return &cg->h[i];
	return NULL;
}

/* This process's cgroup in the hierarchy with these controllers (v2: ""). */
static void own_cgroup(const char *cgtext, const char *ctl, char *out, size_t len)
{
	snprintf(out, len, "/");
	char first[32];
	snprintf(first, sizeof first, "%.*s", (int)strcspn(ctl, ","), ctl);
	for (const char *l = cgtext; l && *l;) {
		const char *end = strchrnul(l, '\n');
		const char *c1 = memchr(l, ':', (size_t)(end - l));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(end - c1 - 1)) : NULL;
		if (c2) {
			char list[256];
			snprintf(list, sizeof list, "%.*s", (int)(c2 - c1 - 1), c1 + 1);
			if (ctl[0] ? has_ctl(list, first) : (!list[0] && !strncmp(l, "0:", 2))) {
				snprintf(out, len, "%.*s", (int)(end - c2 - 1), c2 + 1);
				return;
			}
		}
		l = *end ? end + 1 : end;
	}
}

/* Every cgroup mount we use, from mountinfo. */
static void find_hierarchies(struct cgroup *cg, const char *mi)
{
	for (const char *l = mi; l && *l && cg->nh < CG_MAXH;) {
		const char *end = strchrnul(l, '\n');
		char line[4096];
		snprintf(line, sizeof line, "%.*s", (int)(end - l), l);
		l = *end ? end + 1 : end;
		char *sep = strstr(line, " - ");
		char mp[PATH_MAX], fstype[32], src[256], opts[512];
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
		    sscanf(sep + 3, "%31s %255s %511s", fstype, src, opts) != 3)
			continue;
		struct hier *h = &cg->h[cg->nh];
		memset(h, 0, sizeof *h);
		if (!strcmp(fstype, "cgroup2")) {
			if (find(cg, ""))
				continue;
		} else if (!strcmp(fstype, "cgroup")) {
			bool use = false;
			for (size_t i = 0; i < sizeof wanted_v1 / sizeof *wanted_v1; i++)
				if (has_ctl(opts, wanted_v1[i])) {
					use = true;
					if (strlen(h->ctl) + strlen(wanted_v1[i]) + 2 < sizeof h->ctl)
						sprintf(h->ctl + strlen(h->ctl), "%s%s",
							h->ctl[0] ? "," : "", wanted_v1[i]);
				}
			if (!use || find(cg, h->ctl))
				continue;
		} else {
			continue;
		}
		snprintf(h->mnt, sizeof h->mnt, "%s", mp);
		cg->nh++;
	}
}

/* v2: enable our controllers for the children of every ancestor, as far
 * as the parent offers them (on a hybrid host it offers none). */
static void enable_subtree(const char *mnt, const char *rel)
{
	static const char *const ctls[] = {"+memory", "+cpu", "+cpuset", "+pids"};
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", mnt);
	const char *s = rel;
	for (;;) {
		for (size_t i = 0; i < sizeof ctls / sizeof *ctls; i++)
			write_file(dir, "cgroup.subtree_control", ctls[i]);
		while (*s == '/')
			s++;
		const char *e = strchrnul(s, '/');
		if (!*e)
			break; /* dir is now the parent of the leaf */
		size_t n = strlen(dir);
		snprintf(dir + n, sizeof dir - n, "/%.*s", (int)(e - s), s);
		s = e;
	}
}

/* mkdir -p, counting the components made; a new v1 cpuset directory gets
 * its parent's cpus and mems first, or no task could ever join it. */
static int make_dirs(struct hier *h, const char *rel)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", h->mnt);
	bool cpuset = has_ctl(h->ctl, "cpuset");
	for (const char *s = rel; *s;) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		const char *e = strchrnul(s, '/');
		char parent[PATH_MAX];
		snprintf(parent, sizeof parent, "%s", dir);
		size_t n = strlen(dir);
		if (snprintf(dir + n, sizeof dir - n, "/%.*s", (int)(e - s), s) >= (int)(sizeof dir - n))
			return -ENAMETOOLONG;
		s = e;
		if (mkdir(dir, 0755)) {
			if (errno == EEXIST && !h->created)
				continue;
			return -errno;
		}
		h->created++;
		if (cpuset) {
			char v[4096];
			if (!read_line(parent, "cpuset.cpus", v, sizeof v))
				write_file(dir, "cpuset.cpus", v);
			if (!read_line(parent, "cpuset.mems", v, sizeof v))
				write_file(dir, "cpuset.mems", v);
		}
	}
	snprintf(h->dir, sizeof h->dir, "%s", dir);
	return 0;
}

static int remove_dirs(struct cgroup *cg);

static void make_saved(struct cgroup *cg)
{
	size_t len = 0;
	FILE *m = open_memstream(&cg->saved, &len);
	if (!m)
		return;
	fprintf(m, "%d;%ld", (int)cg->mode, cg->pids_limit);
	for (int i = 0; i < cg->nh; i++)
		fprintf(m, ";%s:%d:%s", cg->h[i].ctl, cg->h[i].created, cg->h[i].dir);
	fclose(m);
}

struct cgroup *cg_create(const char *cgroups_path, const char *id, json_t *resources, char *err,
			 size_t errlen)
{
	char mapped[PATH_MAX];
	if (cg_map_path(cgroups_path, id, mapped, sizeof mapped)) {
		snprintf(err, errlen, "cgroupsPath \"%s\" is not usable", cgroups_path ? cgroups_path : "");
		return NULL;
	}
	struct cgroup *cg = calloc(1, sizeof *cg);
	char *mi = read_text("/proc/self/mountinfo"), *own = read_text("/proc/self/cgroup");
	if (!cg || !mi) {
		snprintf(err, errlen, "cgroups: cannot read /proc/self/mountinfo");
		goto fail;
	}
	cg->mode = cg_detect_mountinfo(mi);
	if (cg->mode == CG_NONE) {
		snprintf(err, errlen, "cgroups: no cgroup filesystem is mounted");
		goto fail;
	}
	find_hierarchies(cg, mi);
	bool v2 = cg->mode == CG_V2;
	struct cg_write w[CG_MAXW];
	int nw = cg_plan(resources, v2, w, CG_MAXW, err, errlen);
	if (nw < 0)
		goto fail;
	json_t *pl = json_object_get(json_object_get(resources, "pids"), "limit");
	if (json_is_integer(pl) && json_integer_value(pl) > 0)
		cg->pids_limit = (long)json_integer_value(pl);

	for (int i = 0; i < cg->nh; i++) {
		struct hier *h = &cg->h[i];
		char mine[PATH_MAX], rel[PATH_MAX];
		own_cgroup(own, h->ctl, mine, sizeof mine);
		cg_join(mine, mapped, rel, sizeof rel);
		if (!h->ctl[0] && v2)
			enable_subtree(h->mnt, rel);
		int r = make_dirs(h, rel);
		if (r) {
			snprintf(err, errlen, "cgroups: mkdir %s%s: %s", h->mnt, rel, strerror(-r));
			goto fail;
		}
	}
	for (int i = 0; i < nw; i++) {
		struct hier *h = find(cg, w[i].controller);
		int r = h ? write_file(h->dir, w[i].file, w[i].value) : -ENOENT;
		if (r == -ENOENT && w[i].optional)
			continue;
		if (r) {
			snprintf(err, errlen, "cgroups: write %s to %s/%s: %s", w[i].value,
				 h ? h->dir : w[i].controller, w[i].file, strerror(-r));
			goto fail;
		}
	}
	make_saved(cg);
	free(mi);
	free(own);
	return cg;
fail:
	free(mi);
	free(own);
	if (cg) {
		/* Nothing of ours runs in it yet: only the directories go. */
		remove_dirs(cg);
		cg_free(cg);
	}
	return NULL;
}

struct cgroup *cg_open(const char *saved)
{
	struct cgroup *cg = calloc(1, sizeof *cg);
	if (!cg || !saved)
		goto bad;
	char *copy = strdup(saved), *save = NULL;
	if (!copy)
		goto bad;
	char *tok = strtok_r(copy, ";", &save);
	int mode;
	if (!tok || sscanf(tok, "%d", &mode) != 1)
		goto bad_copy;
	cg->mode = (enum cg_mode)mode;
	if (!(tok = strtok_r(NULL, ";", &save)))
		goto bad_copy;
	cg->pids_limit = atol(tok);
	while ((tok = strtok_r(NULL, ";", &save)) && cg->nh < CG_MAXH) {
		struct hier *h = &cg->h[cg->nh];
		char *c1 = strchr(tok, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2 || c2[1] != '/')
			goto bad_copy;
		snprintf(h->ctl, sizeof h->ctl, "%.*s", (int)(c1 - tok), tok);
		h->created = atoi(c1 + 1);
		snprintf(h->dir, sizeof h->dir, "%s", c2 + 1);
		cg->nh++;
	}
	free(copy);
	if (!(cg->saved = strdup(saved)))
		goto bad;
	return cg;
bad_copy:
	free(copy);
bad:
	free(cg);
	return NULL;
}

const char *cg_saved_path(const struct cgroup *cg)
{
	return cg->saved;
}

int cg_attach(struct cgroup *cg, pid_t pid)
{
	char v[32];
	snprintf(v, sizeof v, "%d", (int)pid);
	for (int i = 0; i < cg->nh; i++) {
		int r = write_file(cg->h[i].dir, "cgroup.procs", v);
		if (r) {
			log_warn("cgroups: add %d to %s: %s", (int)pid, cg->h[i].dir, strerror(-r));
			return r;
		}
	}
	return 0;
}

int cg_attach_self(struct cgroup *cg, bool skip_v2)
{
	for (int i = 0; i < cg->nh; i++) {
		struct hier *h = &cg->h[i];
		if (!h->ctl[0] && skip_v2)
			continue;
		/* v1: "0" in tasks moves just the calling thread, which takes
		 * no global threadgroup lock; cgroup.procs takes it, and its
		 * write side waits out an RCU grace period (10-15 ms on this
		 * VM).  A single-threaded caller is the whole process, and
		 * whatever it starts later inherits the cgroup. */
		int r = write_file(h->dir, h->ctl[0] ? "tasks" : "cgroup.procs", "0");
		if (r == -ENOENT && h->ctl[0])
			r = write_file(h->dir, "cgroup.procs", "0");
		if (r) {
			log_warn("cgroups: join %s: %s", h->dir, strerror(-r));
			return r;
		}
	}
	return 0;
}

int cg_v2_dirfd(const struct cgroup *cg)
{
	for (int i = 0; i < cg->nh; i++)
		if (!cg->h[i].ctl[0])
			return open(cg->h[i].dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return -1;
}

static bool wait_state(const char *dir, const char *file, const char *want)
{
	for (int i = 0; i < 200; i++) {
		char buf[256];
		if (read_line(dir, file, buf, sizeof buf))
			return false;
		if (strstr(buf, want))
			return true;
		msleep(5);
	}
	return false;
}

int cg_freeze(struct cgroup *cg, bool frozen)
{
	struct hier *h = find(cg, "freezer");
	if (h && cg->mode != CG_V2) {
		int r = write_file(h->dir, "freezer.state", frozen ? "FROZEN" : "THAWED");
		if (r)
			return r;
		return wait_state(h->dir, "freezer.state", frozen ? "FROZEN" : "THAWED") ? 0
											   : -EBUSY;
	}
	if ((h = find(cg, ""))) {
		int r = write_file(h->dir, "cgroup.freeze", frozen ? "1" : "0");
		if (r)
			return r;
		if (!frozen)
			return 0;
		/* cgroup.events has "frozen 1" once every task is stopped. */
		char path[PATH_MAX + 32];
		snprintf(path, sizeof path, "%s/cgroup.events", h->dir);
		for (int i = 0; i < 200; i++) {
			char *t = read_text(path);
			bool done = t && strstr(t, "frozen 1");
			free(t);
			if (done)
				return 0;
			msleep(5);
		}
		return -EBUSY;
	}
	return -ENOTSUP;
}

static struct hier *procs_hier(struct cgroup *cg)
{
	struct hier *h = find(cg, "pids");
	if (!h)
		h = find(cg, "");
	if (!h && cg->nh)
		h = &cg->h[0];
	return h;
}

static pid_t *read_procs(const char *dir, size_t *n)
{
	char path[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/cgroup.procs", dir);
	*n = 0;
	char *t = read_text(path);
	if (!t)
		return NULL;
	size_t cap = 16;
	pid_t *v = malloc(cap * sizeof *v);
	for (char *s = t, *e; v && *s; s = e) {
		long p = strtol(s, &e, 10);
		if (e == s)
			break;
		if (*n == cap) {
			pid_t *nv = realloc(v, (cap *= 2) * sizeof *v);
			if (!nv) {
				free(v);
				v = NULL;
				break;
			}
			v = nv;
		}
		v[(*n)++] = (pid_t)p;
	}
	free(t);
	return v;
}

pid_t *cg_pids(struct cgroup *cg, size_t *n)
{
	struct hier *h = procs_hier(cg);
	*n = 0;
	return h ? read_procs(h->dir, n) : NULL;
}

int cg_stats(struct cgroup *cg, struct cg_stats *st)
{
	*st = (struct cg_stats){-1, -1, -1, -1, -1, -1};
	struct hier *h;
	if (cg->mode == CG_V2 && (h = find(cg, ""))) {
		st->mem_usage = read_ll(h->dir, "memory.current");
		st->mem_limit = read_ll(h->dir, "memory.max");
		st->mem_max_usage = read_ll(h->dir, "memory.peak");
		st->pids_current = read_ll(h->dir, "pids.current");
		st->pids_limit = read_ll(h->dir, "pids.max");
		char path[PATH_MAX + 32];
		snprintf(path, sizeof path, "%s/cpu.stat", h->dir);
		char *t = read_text(path), *u = t ? strstr(t, "usage_usec ") : NULL;
		if (u)
			st->cpu_usage_ns = strtoll(u + 11, NULL, 10) * 1000;
		free(t);
		return 0;
	}
	if ((h = find(cg, "memory"))) {
		st->mem_usage = read_ll(h->dir, "memory.usage_in_bytes");
		st->mem_limit = read_ll(h->dir, "memory.limit_in_bytes");
		st->mem_max_usage = read_ll(h->dir, "memory.max_usage_in_bytes");
	}
	if ((h = find(cg, "pids"))) {
		st->pids_current = read_ll(h->dir, "pids.current");
		st->pids_limit = read_ll(h->dir, "pids.max");
	}
	if ((h = find(cg, "cpuacct")))
		st->cpu_usage_ns = read_ll(h->dir, "cpuacct.usage");
	return 0;
}

long cg_pids_limit(const struct cgroup *cg)
{
	return cg->pids_limit;
}

/* SIGKILL for everything left, until every hierarchy is empty (bounded:
 * a process in uninterruptible sleep may take a moment). */
static void kill_all(struct cgroup *cg)
{
	struct hier *fz = cg->mode != CG_V2 ? find(cg, "freezer") : NULL;
	struct hier *v2 = find(cg, "");
	for (int round = 0; round < 400; round++) {
		bool any = false;
		for (int i = 0; i < cg->nh; i++) {
			size_t n;
			pid_t *p = read_procs(cg->h[i].dir, &n);
			for (size_t k = 0; k < n; k++)
				kill(p[k], SIGKILL);
			any |= n > 0;
			free(p);
		}
		if (!any)
			return;
		/* Frozen tasks do not die until thawed. */
		if (fz)
			write_file(fz->dir, "freezer.state", "THAWED");
		if (v2) {
			write_file(v2->dir, "cgroup.freeze", "0");
			write_file(v2->dir, "cgroup.kill", "1");
		}
		msleep(5);
	}
	log_warn("cgroups: processes are still left in %s", cg->nh ? cg->h[0].dir : "?");
}

/* rmdir of what we made, deepest first; ENOENT counts as done. */
static int remove_dirs(struct cgroup *cg)
{
	int ret = 0;
	for (int i = 0; i < cg->nh; i++) {
		struct hier *h = &cg->h[i];
		char dir[PATH_MAX];
		snprintf(dir, sizeof dir, "%s", h->dir);
		for (int k = 0; k < h->created && dir[0]; k++) {
			int r, tries = 0;
			/* Just-killed tasks may still be leaving the leaf; a
			 * parent we made may hold other containers now. */
			while ((r = rmdir(dir)) && errno == EBUSY && k == 0 && tries++ < 100)
				msleep(5);
			if (r && k > 0)
				break;
			if (r && errno != ENOENT) {
				log_warn("cgroups: rmdir %s: %s", dir, strerror(errno));
				ret = -errno;
				break;
			}
			char *slash = strrchr(dir, '/');
			if (!slash)
				break;
			*slash = 0;
		}
	}
	return ret;
}

int cg_destroy(struct cgroup *cg)
{
	kill_all(cg);
	return remove_dirs(cg);
}

void cg_free(struct cgroup *cg)
{
	if (!cg)
		return;
	free(cg->saved);
	free(cg);
}
