/* Checked JSON field access and path cleaning for the config.json parsers (see oci_json.h). */
#include "runsc-compat/oci_json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsc-compat/oci_config.h"

int oci_fail(struct oci_ctx *x, const char *fmt, ...)
{
	if (!x->errlen)
		return -1;
	int n = snprintf(x->err, x->errlen, "%s: ", x->file);
	if (n < 0 || (size_t)n >= x->errlen)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->err + n, x->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	/* One line whatever the input: names and jansson's excerpts of the
	 * text may hold newlines or other control bytes. */
	for (char *p = x->err; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -1;
}

const char *oci_path(char *buf, size_t len, const char *path, const char *key)
{
	snprintf(buf, len, "%s%s%s", path, *path ? "." : "", key);
	return buf;
}

/* Rewrites every integer literal above INT64_MAX (and up to UINT64_MAX) as
 * the negative int64 with the same bits, outside strings.  NULL when there
 * is none, or on allocation failure (the caller then reports the
 * original overflow). */
static char *rewrite_big_uints(const char *t, size_t len, size_t *outlen)
{
	/* Each rewrite grows a number by at most one byte (the '-'). */
	char *o = malloc(len + len / 20 + 2);
	if (!o)
		return NULL;
	size_t j = 0;
	bool in_str = false, changed = false;
	for (size_t i = 0; i < len;) {
		char c = t[i];
		if (in_str) {
			o[j++] = c;
			i++;
			if (c == '\\' && i < len)
				o[j++] = t[i++];
			else if (c == '"')
				in_str = false;
			continue;
		}
		if (c == '"') {
			in_str = true;
			o[j++] = t[i++];
			continue;
		}
		/* Only whole non-negative integers: not fractions or exponents. */
		if (c < '0' || c > '9' || (i > 0 && strchr("-+.eE", t[i - 1]))) {
			o[j++] = t[i++];
			continue;
		}
		size_t k = i;
		while (k < len && t[k] >= '0' && t[k] <= '9')
			k++;
		bool plain = k >= len || (t[k] != '.' && t[k] != 'e' && t[k] != 'E');
		if (plain && k - i >= 19 && k - i <= 20) {
			char num[24];
			memcpy(num, t + i, k - i);
			num[k - i] = 0;
			errno = 0;
			char *end;
			unsigned long long v = strtoull(num, &end, 10);
			if (!errno && v > (unsigned long long)INT64_MAX) {
				j += (size_t)sprintf(o + j, "%lld", (long long)v);
				i = k;
				changed = true;
				continue;
			}
		}
		memcpy(o + j, t + i, k - i);
		j += k - i;
		i = k;
	}
	if (!changed) {
		free(o);
		return NULL;
	}
	*outlen = j;
	return o;
}

json_t *oci_json_load(struct oci_ctx *x, const char *text, size_t len)
{
	if (len > OCI_CONFIG_MAX_BYTES) {
		oci_fail(x, "larger than %u bytes", OCI_CONFIG_MAX_BYTES);
		return NULL;
	}
	json_error_t e;
	json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e);
	if (!j && json_error_code(&e) == json_error_numeric_overflow) {
		size_t n2;
		char *t2 = rewrite_big_uints(text, len, &n2);
		if (t2) {
			json_error_t e2;
			j = json_loadb(t2, n2, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &e2);
			free(t2);
		}
	}
	if (!j) {
		oci_fail(x, "invalid JSON at line %d column %d: %s", e.line, e.column, e.text);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		oci_fail(x, "the top level must be a JSON object");
		return NULL;
	}
	return j;
}

json_t *oci_member(json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);
	return json_is_null(v) ? NULL : v;
}

static int check_string(struct oci_ctx *x, json_t *v, const char *what)
{
	if (!json_is_string(v))
		return oci_fail(x, "%s must be a string", what);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return oci_fail(x, "%s must not contain NUL bytes", what);
	return 0;
}

/* Room for a field's JSON path in messages. */
#define PATH_LEN 256

/* The member key of obj in *out (NULL when absent or null: an error when
 * required), of type (JSON_TRUE stands for either boolean), which the
 * error calls noun ("an object"); its JSON path goes to p (PATH_LEN
 * bytes) for the caller's own checks.  0 or -1. */
static int get_member(struct oci_ctx *x, json_t *obj, const char *path, const char *key,
		      bool required, json_type type, const char *noun, char *p, json_t **out)
{
	json_t *v = oci_member(obj, key);
	*out = NULL;
	oci_path(p, PATH_LEN, path, key);
	if (!v)
		return required ? oci_fail(x, "%s is required", p) : 0;
	if (json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v)))
		return oci_fail(x, "%s must be %s", p, noun);
	*out = v;
	return 0;
}

int oci_get_object(struct oci_ctx *x, json_t *obj, const char *path, const char *key, json_t **out)
{
	char p[PATH_LEN];
	return get_member(x, obj, path, key, false, JSON_OBJECT, "an object", p, out);
}

int oci_get_str(struct oci_ctx *x, json_t *obj, const char *path, const char *key, bool required,
		char **out)
{
	char p[PATH_LEN];
	json_t *v;
	if (get_member(x, obj, path, key, required, JSON_STRING, "a string", p, &v))
		return -1;
	if (!v)
		return 0;
	if (check_string(x, v, p))
		return -1;
	char *s = strdup(json_string_value(v));
	if (!s)
		return oci_fail(x, "out of memory");
	free(*out);
	*out = s;
	return 0;
}

int oci_get_bool(struct oci_ctx *x, json_t *obj, const char *path, const char *key, bool *out)
{
	char p[PATH_LEN];
	json_t *v;
	if (get_member(x, obj, path, key, false, JSON_TRUE, "a boolean", p, &v))
		return -1;
	if (v)
		*out = json_is_true(v);
	return 0;
}

int oci_get_int(struct oci_ctx *x, json_t *obj, const char *path, const char *key, long long min,
		long long max, long long *out, bool *present)
{
	char p[PATH_LEN];
	json_t *v;
	if (present)
		*present = false;
	if (get_member(x, obj, path, key, false, JSON_INTEGER,
		       min >= 0 ? "an unsigned integer" : "an integer", p, &v))
		return -1;
	if (!v)
		return 0;
	long long n = json_integer_value(v);
	if (n < min || n > max) {
		if (min >= 0 && n < 0)
			return oci_fail(x, "%s must be an unsigned integer", p);
		return oci_fail(x, "%s is out of range (%lld..%lld)", p, min, max);
	}
	*out = n;
	if (present)
		*present = true;
	return 0;
}

int oci_get_u64(struct oci_ctx *x, json_t *obj, const char *path, const char *key, bool required,
		uint64_t *out)
{
	char p[PATH_LEN];
	json_t *v;
	if (get_member(x, obj, path, key, required, JSON_INTEGER, "an unsigned integer", p, &v))
		return -1;
	if (v)
		*out = (uint64_t)json_integer_value(v);
	return 0;
}

int oci_get_array(struct oci_ctx *x, json_t *obj, const char *path, const char *key, json_t **out)
{
	char p[PATH_LEN];
	if (get_member(x, obj, path, key, false, JSON_ARRAY, "an array", p, out))
		return -1;
	if (*out && json_array_size(*out) > OCI_MAX_ARRAY) {
		*out = NULL;
		return oci_fail(x, "%s has more than %d elements", p, OCI_MAX_ARRAY);
	}
	return 0;
}

void oci_strv_free(char **v)
{
	if (!v)
		return;
	for (char **s = v; *s; s++)
		free(*s);
	free(v);
}

int oci_get_strv(struct oci_ctx *x, json_t *obj, const char *path, const char *key, char ***out)
{
	char p[256], q[300];
	json_t *a;
	if (oci_get_array(x, obj, path, key, &a))
		return -1;
	size_t n = a ? json_array_size(a) : 0;
	char **v = calloc(n + 1, sizeof *v);
	if (!v)
		return oci_fail(x, "out of memory");
	oci_path(p, sizeof p, path, key);
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(a, i);
		snprintf(q, sizeof q, "%s[%zu]", p, i);
		if (check_string(x, e, q) ||
		    (!(v[i] = strdup(json_string_value(e))) && oci_fail(x, "out of memory"))) {
			oci_strv_free(v);
			return -1;
		}
	}
	oci_strv_free(*out);
	*out = v;
	return 0;
}

char *oci_path_join(const char *base, const char *p)
{
	size_t bl = p[0] == '/' ? 0 : strlen(base);
	char *in = malloc(bl + strlen(p) + 3);
	if (!in)
		return NULL;
	sprintf(in, "%s/%s", p[0] == '/' ? "" : base, p);
	/* Clean in place: the output never outruns the input. */
	char *o = in;
	size_t n = 0;
	for (char *s = in; *s;) {
		while (*s == '/')
			s++;
		char *e = s;
		while (*e && *e != '/')
			e++;
		size_t l = (size_t)(e - s);
		if (l == 0 || (l == 1 && s[0] == '.')) {
			/* skip */
		} else if (l == 2 && s[0] == '.' && s[1] == '.') {
			while (n > 0 && o[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
		} else {
			o[n++] = '/';
			memmove(o + n, s, l);
			n += l;
		}
		s = e;
	}
	if (n == 0)
		o[n++] = '/';
	o[n] = 0;
	return in;
}
