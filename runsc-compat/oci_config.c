/* The bundle's config.json parsed and checked into struct oci_config (see oci_config.h). */
#include "runsc-compat/oci_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runsc-compat/oci_json.h"

static int parse_root(struct oci_ctx *x, json_t *j, struct oci_config *c)
{
	json_t *root;
	char *path = NULL;
	if (oci_get_object(x, j, "", "root", &root))
		return -1;
	if (!root)
		return oci_fail(x, "root.path is required");
	if (oci_get_str(x, root, "root", "path", true, &path) ||
	    oci_get_bool(x, root, "root", "readonly", &c->root_readonly))
		goto fail;
	if (!path[0]) {
		oci_fail(x, "root.path must not be empty");
		goto fail;
	}
	if (!(c->root_path = oci_path_join(c->bundle, path))) {
		oci_fail(x, "out of memory");
		goto fail;
	}
	free(path);
	return 0;
fail:
	free(path);
	return -1;
}

static bool has_option(char **opts, const char *o)
{
	for (; *opts; opts++)
		if (!strcmp(*opts, o))
			return true;
	return false;
}

static int parse_mount(struct oci_ctx *x, json_t *e, const char *q, const char *bundle,
		       struct oci_mount *m)
{
	char *dest = NULL, *src = NULL;
	if (!json_is_object(e))
		return oci_fail(x, "%s must be an object", q);
	if (oci_get_str(x, e, q, "destination", true, &dest) ||
	    oci_get_str(x, e, q, "type", false, &m->type) ||
	    oci_get_str(x, e, q, "source", false, &src) ||
	    oci_get_strv(x, e, q, "options", &m->options))
		goto fail;
	if (!dest[0]) {
		oci_fail(x, "%s.destination must not be empty", q);
		goto fail;
	}
	/* Runtime spec: a relative destination is relative to "/". */
	if (!(m->destination = oci_path_join("/", dest)))
		goto oom;
	/* The last of ro/rw wins, as with mount(8). */
	for (char **o = m->options; *o; o++) {
		if (!strcmp(*o, "ro"))
			m->readonly = true;
		else if (!strcmp(*o, "rw"))
			m->readonly = false;
	}
	m->bind = (m->type && !strcmp(m->type, "bind")) || has_option(m->options, "bind") ||
		  has_option(m->options, "rbind");
	if (m->bind) {
		if (!src || !src[0]) {
			oci_fail(x, "%s.source is required for a bind mount", q);
			goto fail;
		}
		if (!m->type || strcmp(m->type, "bind")) {
			free(m->type);
			if (!(m->type = strdup("bind")))
				goto oom;
		}
		if (!(m->source = oci_path_join(bundle, src)))
			goto oom;
		free(src);
	} else {
		if (!m->type) {
			oci_fail(x, "%s.type is required (it is not a bind mount)", q);
			goto fail;
		}
		m->source = src;
	}
	free(dest);
	return 0;
oom:
	oci_fail(x, "out of memory");
fail:
	free(dest);
	free(src);
	return -1;
}

static int parse_mounts(struct oci_ctx *x, json_t *j, struct oci_config *c)
{
	char q[64];
	json_t *a;
	if (oci_get_array(x, j, "", "mounts", &a))
		return -1;
	if (!a)
		return 0;
	c->mounts = calloc(json_array_size(a) + 1, sizeof *c->mounts);
	if (!c->mounts)
		return oci_fail(x, "out of memory");
	for (size_t i = 0; i < json_array_size(a); i++) {
		snprintf(q, sizeof q, "mounts[%zu]", i);
		/* Counted first so that oci_config_free frees a half-parsed one. */
		c->n_mounts = i + 1;
		if (parse_mount(x, json_array_get(a, i), q, c->bundle, &c->mounts[i]))
			return -1;
	}
	return 0;
}

static int parse_namespaces(struct oci_ctx *x, json_t *lx, struct oci_config *c)
{
	char q[64];
	json_t *a;
	if (oci_get_array(x, lx, "linux", "namespaces", &a))
		return -1;
	if (!a)
		return 0;
	c->namespaces = calloc(json_array_size(a) + 1, sizeof *c->namespaces);
	if (!c->namespaces)
		return oci_fail(x, "out of memory");
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		struct oci_namespace *ns = &c->namespaces[i];
		char *type = NULL;
		snprintf(q, sizeof q, "linux.namespaces[%zu]", i);
		if (!json_is_object(e))
			return oci_fail(x, "%s must be an object", q);
		if (oci_get_str(x, e, q, "type", true, &type))
			return -1;
		int t = oci_ns_from_name(type);
		if (t < 0) {
			oci_fail(x, "%s.type: unknown namespace type \"%s\"", q, type);
			free(type);
			return -1;
		}
		free(type);
		ns->type = (enum oci_ns_type)t;
		c->n_namespaces = i + 1;
		if (oci_get_str(x, e, q, "path", false, &ns->path))
			return -1;
		if (ns->path && ns->path[0] != '/')
			return oci_fail(x, "%s.path must be an absolute path", q);
		for (size_t k = 0; k < i; k++)
			if (c->namespaces[k].type == ns->type)
				return oci_fail(x, "%s.type: duplicate namespace \"%s\"", q,
						oci_ns_name(ns->type));
	}
	return 0;
}

static int parse_idmaps(struct oci_ctx *x, json_t *lx, const char *key, struct oci_idmap **out,
			size_t *n)
{
	static const char *const fields[] = {"containerID", "hostID", "size"};
	char base[64], q[96];
	json_t *a;
	if (oci_get_array(x, lx, "linux", key, &a))
		return -1;
	if (!a)
		return 0;
	*out = calloc(json_array_size(a) + 1, sizeof **out);
	if (!*out)
		return oci_fail(x, "out of memory");
	snprintf(base, sizeof base, "linux.%s", key);
	for (size_t i = 0; i < json_array_size(a); i++) {
		json_t *e = json_array_get(a, i);
		struct oci_idmap *m = &(*out)[i];
		uint32_t *dst[] = {&m->container_id, &m->host_id, &m->size};
		snprintf(q, sizeof q, "%s[%zu]", base, i);
		if (!json_is_object(e))
			return oci_fail(x, "%s must be an object", q);
		for (int f = 0; f < 3; f++) {
			long long v;
			bool has;
			if (oci_get_int(x, e, q, fields[f], 0, UINT32_MAX, &v, &has))
				return -1;
			if (!has)
				return oci_fail(x, "%s.%s is required", q, fields[f]);
			*dst[f] = (uint32_t)v;
		}
		*n = i + 1;
	}
	return 0;
}

static int parse_sysctl(struct oci_ctx *x, json_t *lx, struct oci_config *c)
{
	json_t *o, *v;
	const char *key;
	if (oci_get_object(x, lx, "linux", "sysctl", &o))
		return -1;
	if (!o)
		return 0;
	if (json_object_size(o) > OCI_MAX_ARRAY)
		return oci_fail(x, "linux.sysctl has more than %d entries", OCI_MAX_ARRAY);
	c->sysctls = calloc(json_object_size(o) + 1, sizeof *c->sysctls);
	if (!c->sysctls)
		return oci_fail(x, "out of memory");
	json_object_foreach(o, key, v)
	{
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
			return oci_fail(x, "linux.sysctl.%s must be a string", key);
		struct oci_sysctl *s = &c->sysctls[c->n_sysctls++];
		if (!(s->key = strdup(key)) || !(s->value = strdup(json_string_value(v))))
			return oci_fail(x, "out of memory");
	}
	return 0;
}

/* A sub-object kept as a reference for the module that interprets it. */
static int keep_object(struct oci_ctx *x, json_t *obj, const char *path, const char *key,
		       json_t **out)
{
	if (oci_get_object(x, obj, path, key, out))
		return -1;
	if (*out)
		json_incref(*out);
	return 0;
}

static int parse_linux(struct oci_ctx *x, json_t *j, struct oci_config *c)
{
	json_t *lx;
	if (oci_get_object(x, j, "", "linux", &lx))
		return -1;
	if (!lx) {
		/* Always allocated, so that users can walk them without a check. */
		if (!(c->masked_paths = calloc(1, sizeof(char *))) ||
		    !(c->readonly_paths = calloc(1, sizeof(char *))))
			return oci_fail(x, "out of memory");
		return 0;
	}
	if (parse_namespaces(x, lx, c) ||
	    parse_idmaps(x, lx, "uidMappings", &c->uid_mappings, &c->n_uid_mappings) ||
	    parse_idmaps(x, lx, "gidMappings", &c->gid_mappings, &c->n_gid_mappings) ||
	    oci_get_str(x, lx, "linux", "cgroupsPath", false, &c->cgroups_path) ||
	    oci_get_strv(x, lx, "linux", "maskedPaths", &c->masked_paths) ||
	    oci_get_strv(x, lx, "linux", "readonlyPaths", &c->readonly_paths) ||
	    parse_sysctl(x, lx, c) || keep_object(x, lx, "linux", "resources", &c->resources) ||
	    keep_object(x, lx, "linux", "seccomp", &c->seccomp))
		return -1;
	return 0;
}

static int parse_annotations(struct oci_ctx *x, json_t *j, struct oci_config *c)
{
	json_t *o, *v;
	const char *key;
	if (oci_get_object(x, j, "", "annotations", &o))
		return -1;
	if (!o)
		return 0;
	json_object_foreach(o, key, v)
	{
		if (!json_is_string(v))
			return oci_fail(x, "annotations.%s must be a string", key);
	}
	c->annotations = json_incref(o);
	return 0;
}

static int parse(struct oci_ctx *x, json_t *j, struct oci_config *c)
{
	json_t *proc;
	if (oci_get_str(x, j, "", "ociVersion", true, &c->oci_version))
		return -1;
	/* Any 1.x: podman writes "1.0.2-dev", containerd "1.1.0". */
	if (strncmp(c->oci_version, "1.", 2))
		return oci_fail(x, "ociVersion \"%s\" is not supported (1.x)", c->oci_version);
	if (parse_root(x, j, c) || oci_get_object(x, j, "", "process", &proc))
		return -1;
	if (proc) {
		if (oci_process_parse_at(x, proc, "process", &c->process))
			return -1;
		c->has_process = true;
	}
	if (oci_get_str(x, j, "", "hostname", false, &c->hostname) ||
	    oci_get_str(x, j, "", "domainname", false, &c->domainname) || parse_mounts(x, j, c) ||
	    parse_linux(x, j, c) || parse_annotations(x, j, c))
		return -1;
	return 0;
}

int oci_config_parse(const char *text, size_t len, const char *bundle, struct oci_config *c,
		     char *err, size_t errlen)
{
	struct oci_ctx x = {err, errlen, "config.json"};
	memset(c, 0, sizeof *c);
	c->process.umask = -1;
	if (!bundle || bundle[0] != '/')
		return oci_fail(&x, "the bundle path must be absolute");
	if (!(c->bundle = oci_path_join("/", bundle)))
		return oci_fail(&x, "out of memory");
	json_t *j = oci_json_load(&x, text, len);
	if (!j) {
		oci_config_free(c);
		return -1;
	}
	int r = parse(&x, j, c);
	json_decref(j);
	if (r)
		oci_config_free(c);
	return r;
}

int oci_config_load(const char *bundle, struct oci_config *c, char *err, size_t errlen)
{
	char cwd[4096], *abs, *file, *text;
	size_t len;
	memset(c, 0, sizeof *c);
	c->process.umask = -1;
	if (bundle[0] != '/' && !getcwd(cwd, sizeof cwd)) {
		snprintf(err, errlen, "getcwd: %s", strerror(errno));
		return -1;
	}
	abs = oci_path_join(bundle[0] == '/' ? "/" : cwd, bundle);
	if (!abs || asprintf(&file, "%s/config.json", strcmp(abs, "/") ? abs : "") < 0) {
		free(abs);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int r = oci_read_file(file, &text, &len, err, errlen);
	free(file);
	if (!r) {
		r = oci_config_parse(text, len, abs, c, err, errlen);
		free(text);
	}
	free(abs);
	return r;
}

const struct oci_namespace *oci_config_ns(const struct oci_config *c, enum oci_ns_type type)
{
	for (size_t i = 0; i < c->n_namespaces; i++)
		if (c->namespaces[i].type == type)
			return &c->namespaces[i];
	return NULL;
}

void oci_config_free(struct oci_config *c)
{
	free(c->oci_version);
	free(c->bundle);
	free(c->root_path);
	oci_process_free(&c->process);
	free(c->hostname);
	free(c->domainname);
	for (size_t i = 0; i < c->n_mounts; i++) {
		free(c->mounts[i].destination);
		free(c->mounts[i].type);
		free(c->mounts[i].source);
		oci_strv_free(c->mounts[i].options);
	}
	free(c->mounts);
	for (size_t i = 0; i < c->n_namespaces; i++)
		free(c->namespaces[i].path);
	free(c->namespaces);
	free(c->uid_mappings);
	free(c->gid_mappings);
	free(c->cgroups_path);
	oci_strv_free(c->masked_paths);
	oci_strv_free(c->readonly_paths);
	for (size_t i = 0; i < c->n_sysctls; i++) {
		free(c->sysctls[i].key);
		free(c->sysctls[i].value);
	}
	free(c->sysctls);
	json_decref(c->resources);
	json_decref(c->seccomp);
	json_decref(c->annotations);
	memset(c, 0, sizeof *c);
	c->process.umask = -1;
}
