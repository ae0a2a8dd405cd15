/* The host-independent half of cgroups: detecting the layout, mapping
 * cgroupsPath, and translating linux.resources into file writes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsc-compat/cgroup.h"

enum cg_mode cg_detect_mountinfo(const char *text)
{
	bool v1 = false, v2 = false;
	for (const char *l = text; l && *l;) {
		const char *end = strchrnul(l, '\n');
		const char *sep = strstr(l, " - ");
		if (sep && sep < end) {
			if (!strncmp(sep + 3, "cgroup2 ", 8))
				v2 = true;
			else if (!strncmp(sep + 3, "cgroup ", 7))
				v1 = true;
		}
		l = *end ? end + 1 : end;
	}
	return v1 && v2 ? CG_HYBRID : v1 ? CG_V1 : v2 ? CG_V2 : CG_NONE;
}

static bool bad_path(const char *p)
{
	if (strpbrk(p, ":;\n"))
		return true;
	for (const char *s = p; *s;) {
		const char *e = strchrnul(s, '/');
		if (e - s == 2 && s[0] == '.' && s[1] == '.')
			return true;
		s = *e ? e + 1 : e;
	}
	return false;
}

/* "a-b.slice" -> "/a.slice/a-b.slice", as systemd nests slices. */
static int expand_slice(const char *slice, char *out, size_t len)
{
	size_t n = strlen(slice);
	if (n < 7 || strcmp(slice + n - 6, ".slice") || strchr(slice, '/'))
		return -1;
	out[0] = 0;
	if (!strcmp(slice, "-.slice"))
		return 0; /* the root slice */
	size_t used = 0;
	for (const char *d = slice;; d++) {
		d = strchr(d, '-');
		size_t pre = d ? (size_t)(d - slice) : n - 6;
		int w = snprintf(out + used, len - used, "/%.*s.slice", (int)pre, slice);
		if (w < 0 || (size_t)w >= len - used)
			return -1;
		used += (size_t)w;
		if (!d)
			break;
	}
	return 0;
}

int cg_map_path(const char *cgroups_path, const char *id, char *out, size_t len)
{
	int w;
	if (!cgroups_path || !*cgroups_path) {
		w = snprintf(out, len, "cvisor/%s", id);
	} else if (cgroups_path[0] != '/' && strchr(cgroups_path, ':')) {
		/* systemd's "slice:prefix:name" (no systemd here: same layout). */
		char slice[256], prefix[256], name[256], sl[1024];
		if (sscanf(cgroups_path, "%255[^:]:%255[^:]:%255[^:]", slice, prefix, name) != 3) {
			if (sscanf(cgroups_path, ":%255[^:]:%255[^:]", prefix, name) != 2)
				return -1;
			strcpy(slice, "system.slice");
		}
		if (expand_slice(slice, sl, sizeof sl))
			return -1;
		size_t nl = strlen(name);
		if (nl > 6 && !strcmp(name + nl - 6, ".slice"))
			w = snprintf(out, len, "%s/%s", sl, name);
		else
			w = snprintf(out, len, "%s/%s-%s.scope", sl, prefix, name);
	} else {
		w = snprintf(out, len, "%s", cgroups_path);
	}
	if (w < 0 || (size_t)w >= len || bad_path(out))
		return -1;
	/* No trailing slash: it would make an empty last component. */
	for (size_t n = strlen(out); n > 1 && out[n - 1] == '/'; n--)
		out[n - 1] = 0;
	return 0;
}

void cg_join(const char *own, const char *mapped, char *out, size_t len)
{
	if (mapped[0] == '/' || !own)
		snprintf(out, len, "%s", mapped);
	else
		snprintf(out, len, "%s/%s", strcmp(own, "/") ? own : "", mapped);
}

unsigned long long cg_shares_to_weight(unsigned long long shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

struct plan {
	struct cg_write *out;
	int n, max;
};

static void add(struct plan *p, const char *ctl, const char *file, bool optional,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static void add(struct plan *p, const char *ctl, const char *file, bool optional, const char *fmt,
		...)
{
	if (p->n >= p->max)
		return;
	struct cg_write *w = &p->out[p->n++];
	snprintf(w->controller, sizeof w->controller, "%s", ctl);
	snprintf(w->file, sizeof w->file, "%s", file);
	w->optional = optional;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->value, sizeof w->value, fmt, ap);
	va_end(ap);
}

/* An integer member: 0 when absent; -1 (bad type) reported by *bad. */
static long long num(json_t *obj, const char *key, bool *present, bool *bad)
{
	json_t *v = json_object_get(obj, key);
	*present = v && !json_is_null(v);
	if (!*present)
		return 0;
	if (!json_is_integer(v)) {
		*bad = true;
		return 0;
	}
	return json_integer_value(v);
}

#define BAD(...)                                                                                   \
	do {                                                                                       \
		snprintf(err, errlen, __VA_ARGS__);                                                \
		return -1;                                                                         \
	} while (0)

int cg_plan(json_t *res, bool v2, struct cg_write *out, int max, char *err, size_t errlen)
{
	struct plan p = {out, 0, max};
	bool bad = false;
	if (!res || json_is_null(res))
		return 0;
	if (!json_is_object(res))
		BAD("linux.resources must be an object");

	json_t *mem = json_object_get(res, "memory");
	if (mem && json_is_object(mem)) {
		bool hl, hs, hr, hw;
		long long limit = num(mem, "limit", &hl, &bad);
		long long swap = num(mem, "swap", &hs, &bad);
		long long resv = num(mem, "reservation", &hr, &bad);
		long long swappiness = num(mem, "swappiness", &hw, &bad);
		json_t *dis = json_object_get(mem, "disableOOMKiller");
		if (bad)
			BAD("linux.resources.memory: values must be integers");
		if (hl && limit != 0 && limit != -1 && limit < 4096)
			BAD("linux.resources.memory.limit: %lld is too small", limit);
		if (hl && hs && limit > 0 && swap > 0 && swap < limit)
			BAD("linux.resources.memory.swap (%lld) must be at least the limit (%lld)",
			    swap, limit);
		if (!v2) {
			if (hl && limit)
				add(&p, "memory", "memory.limit_in_bytes", false, "%lld", limit);
			/* memsw counts memory plus swap, as OCI's swap does. */
			if (hs && swap)
				add(&p, "memory", "memory.memsw.limit_in_bytes", true, "%lld", swap);
			if (hr && resv)
				add(&p, "memory", "memory.soft_limit_in_bytes", false, "%lld", resv);
			if (hw && swappiness >= 0 && swappiness <= 100)
				add(&p, "memory", "memory.swappiness", true, "%lld", swappiness);
			/* Left at 0 (killer on) unless asked: a memcg without its
			 * killer leaves the sandbox hanging at the limit. */
			if (json_is_true(dis))
				add(&p, "memory", "memory.oom_control", true, "1");
		} else {
			if (hl && limit == -1)
				add(&p, "", "memory.max", false, "max");
			else if (hl && limit)
				add(&p, "", "memory.max", false, "%lld", limit);
			/* v2 limits swap alone: OCI's memory+swap minus memory. */
			if (hs && swap == -1)
				add(&p, "", "memory.swap.max", true, "max");
			else if (hs && swap) {
				if (!(hl && limit > 0))
					BAD("linux.resources.memory.swap needs a memory limit on "
					    "cgroup v2");
				add(&p, "", "memory.swap.max", true, "%lld", swap - limit);
			}
			if (hr && resv)
				add(&p, "", "memory.low", false, "%lld", resv);
			/* One OOM kill takes the whole sandbox: a sentry without
			 * its gofer (or the reverse) is of no use. */
			if (hl && limit > 0)
				add(&p, "", "memory.oom.group", true, "1");
		}
	}

	json_t *cpu = json_object_get(res, "cpu");
	if (cpu && json_is_object(cpu)) {
		bool hs, hq, hp;
		long long shares = num(cpu, "shares", &hs, &bad);
		long long quota = num(cpu, "quota", &hq, &bad);
		long long period = num(cpu, "period", &hp, &bad);
		json_t *cpus = json_object_get(cpu, "cpus"), *mems = json_object_get(cpu, "mems");
		if (bad || (cpus && !json_is_null(cpus) && !json_is_string(cpus)) ||
		    (mems && !json_is_null(mems) && !json_is_string(mems)))
			BAD("linux.resources.cpu: wrong value types");
		if (shares < 0 || period < 0)
			BAD("linux.resources.cpu: negative shares or period");
		if (!v2) {
			if (hs && shares)
				add(&p, "cpu", "cpu.shares", false, "%lld", shares);
			/* The period first: a quota is checked against it. */
			if (hp && period)
				add(&p, "cpu", "cpu.cfs_period_us", false, "%lld", period);
			if (hq && quota)
				add(&p, "cpu", "cpu.cfs_quota_us", false, "%lld", quota > 0 ? quota : -1);
		} else {
			if (hs && shares)
				add(&p, "", "cpu.weight", false, "%llu",
				    cg_shares_to_weight((unsigned long long)shares));
			if ((hq && quota) || (hp && period)) {
				long long per = period ? period : 100000;
				if (quota > 0)
					add(&p, "", "cpu.max", false, "%lld %lld", quota, per);
				else
					add(&p, "", "cpu.max", false, "max %lld", per);
			}
		}
		if (json_string_length(cpus))
			add(&p, v2 ? "" : "cpuset", "cpuset.cpus", false, "%s", json_string_value(cpus));
		if (json_string_length(mems))
			add(&p, v2 ? "" : "cpuset", "cpuset.mems", false, "%s", json_string_value(mems));
	}

	json_t *pids = json_object_get(res, "pids");
	if (pids && json_is_object(pids)) {
		bool hl;
		long long limit = num(pids, "limit", &hl, &bad);
		if (bad)
			BAD("linux.resources.pids.limit must be an integer");
		if (hl) {
			if (limit > 0)
				add(&p, v2 ? "" : "pids", "pids.max", false, "%lld",
				    CG_HOST_PIDS(limit));
			else
				add(&p, v2 ? "" : "pids", "pids.max", false, "max");
		}
	}
	if (p.n >= max)
		BAD("linux.resources: too many settings");
	return p.n;
}
