/* The OCI "process" object: config.json's and exec --process's (see oci_config.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runsc-compat/oci_config.h"
#include "runsc-compat/oci_json.h"

static int parse_caps(struct oci_ctx *x, json_t *obj, const char *path, struct oci_caps *caps)
{
	static const char *const sets[] = {"bounding", "effective", "inheritable", "permitted",
					   "ambient"};
	uint64_t *masks[] = {&caps->bounding, &caps->effective, &caps->inheritable,
			     &caps->permitted, &caps->ambient};
	char p[256];
	json_t *c;
	if (oci_get_object(x, obj, path, "capabilities", &c))
		return -1;
	if (!c)
		return 0;
	caps->present = true;
	oci_path(p, sizeof p, path, "capabilities");
	for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
		char **names = NULL;
		if (oci_get_strv(x, c, p, sets[s], &names))
			return -1;
		for (char **n = names; *n; n++) {
			int cap = oci_cap_from_name(*n);
			if (cap < 0) {
				oci_fail(x, "%s.%s: unknown capability \"%s\"", p, sets[s], *n);
				oci_strv_free(names);
				return -1;
			}
			*masks[s] |= 1ull << cap;
		}
		oci_strv_free(names);
	}
	return 0;
}

static int parse_rlimits(struct oci_ctx *x, json_t *obj, const char *path, struct oci_process *p)
{
	char base[256], q[300];
	json_t *a;
	if (oci_get_array(x, obj, path, "rlimits", &a))
		return -1;
	if (!a)
		return 0;
	oci_path(base, sizeof base, path, "rlimits");
	p->rlimits = calloc(json_array_size(a) + 1, sizeof *p->rlimits);
	if (!p->rlimits)
		return oci_fail(x, "out of memory");
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		struct oci_rlimit *r = &p->rlimits[i];
		char *type = NULL;
		snprintf(q, sizeof q, "%s[%zu]", base, i);
		if (!json_is_object(e))
			return oci_fail(x, "%s must be an object", q);
		if (oci_get_str(x, e, q, "type", true, &type))
			return -1;
		r->resource = oci_rlimit_from_name(type);
		if (r->resource < 0) {
			oci_fail(x, "%s.type: unknown rlimit \"%s\"", q, type);
			free(type);
			return -1;
		}
		free(type);
		if (oci_get_u64(x, e, q, "soft", true, &r->soft) ||
		    oci_get_u64(x, e, q, "hard", true, &r->hard))
			return -1;
		for (size_t k = 0; k < i; k++)
			if (p->rlimits[k].resource == r->resource)
				return oci_fail(x, "%s.type: duplicate rlimit \"%s\"", q,
						oci_rlimit_name(r->resource));
		p->n_rlimits = i + 1;
	}
	return 0;
}

static int parse_user(struct oci_ctx *x, json_t *obj, const char *path, struct oci_process *p)
{
	char base[256], q[300];
	json_t *u, *g;
	long long v;
	bool has;
	if (oci_get_object(x, obj, path, "user", &u))
		return -1;
	if (!u)
		return 0;
	oci_path(base, sizeof base, path, "user");
	/* (uid_t)-1 means "unchanged" to the kernel: never a valid id here. */
	if (oci_get_int(x, u, base, "uid", 0, UINT32_MAX - 1, &v, &has))
		return -1;
	if (has)
		p->uid = (uid_t)v;
	if (oci_get_int(x, u, base, "gid", 0, UINT32_MAX - 1, &v, &has))
		return -1;
	if (has)
		p->gid = (gid_t)v;
	if (oci_get_int(x, u, base, "umask", 0, 0777, &v, &has))
		return -1;
	if (has)
		p->umask = (int)v;
	if (oci_get_array(x, u, base, "additionalGids", &g))
		return -1;
	if (!g)
		return 0;
	p->additional_gids = calloc(json_array_size(g) + 1, sizeof(gid_t));
	if (!p->additional_gids)
		return oci_fail(x, "out of memory");
	for (size_t i = 0; i < json_array_size(g); i++) {
		json_t *e = json_array_get(g, i);
		snprintf(q, sizeof q, "%s.additionalGids[%zu]", base, i);
		if (!json_is_integer(e) || json_integer_value(e) < 0 ||
		    json_integer_value(e) >= UINT32_MAX)
			return oci_fail(x, "%s must be an unsigned integer", q);
		p->additional_gids[i] = (gid_t)json_integer_value(e);
		p->n_additional_gids = i + 1;
	}
	return 0;
}

int oci_process_parse_at(struct oci_ctx *x, json_t *obj, const char *path, struct oci_process *p)
{
	char q[256];
	json_t *cs;
	long long v;
	memset(p, 0, sizeof *p);
	p->umask = -1;
	if (oci_get_bool(x, obj, path, "terminal", &p->terminal) ||
	    oci_get_object(x, obj, path, "consoleSize", &cs))
		goto fail;
	if (cs) {
		oci_path(q, sizeof q, path, "consoleSize");
		if (oci_get_int(x, cs, q, "height", 0, UINT16_MAX, &v, NULL))
			goto fail;
		p->console_rows = (unsigned)v;
		v = 0;
		if (oci_get_int(x, cs, q, "width", 0, UINT16_MAX, &v, NULL))
			goto fail;
		p->console_cols = (unsigned)v;
	}
	if (oci_get_strv(x, obj, path, "args", &p->args))
		goto fail;
	if (!p->args[0]) {
		oci_fail(x, "%s must be a non-empty array of strings",
			 oci_path(q, sizeof q, path, "args"));
		goto fail;
	}
	if (oci_get_strv(x, obj, path, "env", &p->env) ||
	    oci_get_str(x, obj, path, "cwd", false, &p->cwd))
		goto fail;
	if (!p->cwd && !(p->cwd = strdup("/"))) {
		oci_fail(x, "out of memory");
		goto fail;
	}
	if (p->cwd[0] != '/') {
		oci_fail(x, "%s must be an absolute path", oci_path(q, sizeof q, path, "cwd"));
		goto fail;
	}
	if (parse_user(x, obj, path, p) || parse_caps(x, obj, path, &p->caps) ||
	    parse_rlimits(x, obj, path, p) ||
	    oci_get_bool(x, obj, path, "noNewPrivileges", &p->no_new_privileges) ||
	    oci_get_int(x, obj, path, "oomScoreAdj", -1000, 1000, &v, &p->has_oom_score_adj))
		goto fail;
	if (p->has_oom_score_adj)
		p->oom_score_adj = (int)v;
	if (oci_get_str(x, obj, path, "apparmorProfile", false, &p->apparmor) ||
	    oci_get_str(x, obj, path, "selinuxLabel", false, &p->selinux_label))
		goto fail;
	return 0;
fail:
	oci_process_free(p);
	return -1;
}

int oci_process_parse(json_t *obj, struct oci_process *p, char *err, size_t errlen)
{
	struct oci_ctx x = {err, errlen, "process"};
	if (!json_is_object(obj)) {
		memset(p, 0, sizeof *p);
		return oci_fail(&x, "the top level must be a JSON object");
	}
	return oci_process_parse_at(&x, obj, "", p);
}

int oci_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	*text = NULL;
	if (fd < 0) {
		snprintf(err, errlen, "open %s: %s", path, strerror(errno));
		return -1;
	}
	errno = 0;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "open %s: %s", path,
			 errno ? strerror(errno) : S_ISDIR(st.st_mode) ? "is a directory"
								  : "not a regular file");
		close(fd);
		return -1;
	}
	if ((unsigned long long)st.st_size > OCI_CONFIG_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, OCI_CONFIG_MAX_BYTES);
		close(fd);
		return -1;
	}
	/* One byte more than the limit tells a file that grew meanwhile. */
	char *buf = malloc(OCI_CONFIG_MAX_BYTES + 1);
	size_t n = 0;
	ssize_t r = 0;
	if (!buf) {
		snprintf(err, errlen, "read %s: out of memory", path);
		close(fd);
		return -1;
	}
	while (n <= OCI_CONFIG_MAX_BYTES &&
	       (r = read(fd, buf + n, OCI_CONFIG_MAX_BYTES + 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	if (r < 0 || n > OCI_CONFIG_MAX_BYTES) {
		if (r < 0)
			snprintf(err, errlen, "read %s: %s", path, strerror(errno));
		else
			snprintf(err, errlen, "%s: larger than %u bytes", path,
				 OCI_CONFIG_MAX_BYTES);
		free(buf);
		return -1;
	}
	*text = buf;
	*len = n;
	return 0;
}

int oci_process_load(const char *path, struct oci_process *p, char *err, size_t errlen)
{
	char *text;
	size_t len;
	memset(p, 0, sizeof *p);
	if (oci_read_file(path, &text, &len, err, errlen))
		return -1;
	struct oci_ctx x = {err, errlen, path};
	json_t *j = oci_json_load(&x, text, len);
	free(text);
	if (!j)
		return -1;
	int r = oci_process_parse_at(&x, j, "", p);
	json_decref(j);
	return r;
}

void oci_process_free(struct oci_process *p)
{
	oci_strv_free(p->args);
	oci_strv_free(p->env);
	free(p->cwd);
	free(p->additional_gids);
	free(p->rlimits);
	free(p->apparmor);
	free(p->selinux_label);
	memset(p, 0, sizeof *p);
	p->umask = -1;
}
