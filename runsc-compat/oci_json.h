/* Checked JSON field access for the config.json and process parsers (internal to runsc-compat).
 *
 * Every getter names the field by its JSON path in the one error message it
 * writes ("config.json: process.user.uid must be an unsigned integer") and
 * returns -1; 0 otherwise.  A field that is absent (or JSON null, as Go's
 * encoders write for empty values) leaves the output at its default.
 */
#pragma once
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct oci_process;

struct oci_ctx {
	char *err;
	size_t errlen;
	const char *file; /* message prefix: "config.json" */
};

int oci_fail(struct oci_ctx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "path.key" (or "key" when path is empty) into buf. */
const char *oci_path(char *buf, size_t len, const char *path, const char *key);
/* Parses text (at most OCI_CONFIG_MAX_BYTES) into a JSON object.  Integers
 * above INT64_MAX (Go's uint64, e.g. RLIM_INFINITY) are kept as their
 * two's-complement int64 so that a (uint64_t) cast gives them back. */
json_t *oci_json_load(struct oci_ctx *x, const char *text, size_t len);
/* The member key of obj, NULL when absent or null. */
json_t *oci_member(json_t *obj, const char *key);

int oci_get_object(struct oci_ctx *x, json_t *obj, const char *path, const char *key, json_t **out);
int oci_get_str(struct oci_ctx *x, json_t *obj, const char *path, const char *key, bool required,
		char **out);
int oci_get_bool(struct oci_ctx *x, json_t *obj, const char *path, const char *key, bool *out);
/* Integers in [min, max]; *present (may be NULL) says whether it was given. */
int oci_get_int(struct oci_ctx *x, json_t *obj, const char *path, const char *key, long long min,
		long long max, long long *out, bool *present);
/* Any unsigned 64-bit value (see oci_json_load for those above INT64_MAX). */
int oci_get_u64(struct oci_ctx *x, json_t *obj, const char *path, const char *key, bool required,
		uint64_t *out);
/* An array (checked against OCI_MAX_ARRAY) in *out, NULL when absent. */
int oci_get_array(struct oci_ctx *x, json_t *obj, const char *path, const char *key, json_t **out);
/* An array of strings as a NULL-terminated vector, always allocated (empty
 * when absent).  Strings with NUL bytes are refused. */
int oci_get_strv(struct oci_ctx *x, json_t *obj, const char *path, const char *key, char ***out);
void oci_strv_free(char **v);

/* The lexically cleaned join of base (absolute) and p (kept when absolute),
 * as Go's filepath.Join: "." and ".." resolved, no double or trailing '/'.
 * malloc'd. */
char *oci_path_join(const char *base, const char *p);

/* The process object obj at JSON path path ("process", or "" for a file of
 * its own) into *p; *p is zeroed first and freed on failure. */
int oci_process_parse_at(struct oci_ctx *x, json_t *obj, const char *path, struct oci_process *p);
/* Reads a whole regular file of at most OCI_CONFIG_MAX_BYTES: 0, or -1 with
 * one line in err ("open PATH: No such file or directory"). */
int oci_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen);
