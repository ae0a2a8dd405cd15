/* Parsing and evaluating an OCI seccomp profile (see app_seccomp.h). */
#include "sentry/seccomp/app_seccomp.h"

#include <errno.h>
#include <jansson.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* x86_64 numbers stay below this; anything above takes defaultAction. */
#define APP_SC_NR_MAX 512

enum cmp_op { OP_NE, OP_LT, OP_LE, OP_EQ, OP_GE, OP_GT, OP_MASKED_EQ };

struct cond {
	uint8_t index;
	uint8_t op;
	uint64_t value, value_two;
};

struct rule {
	struct app_sc_decision d;
	bool any; /* conditions ORed (one index used twice) instead of ANDed */
	size_t ncond;
	struct cond *cond;
	struct rule *next;
};

struct app_seccomp {
	struct app_sc_decision def;
	/* Per syscall: conditional rules in profile order, and the
	 * unconditional one (the last given wins, as a later seccomp_rule_add
	 * of the same syscall replaces it). */
	struct rule *cond_rules[APP_SC_NR_MAX];
	bool has_uncond[APP_SC_NR_MAX];
	struct app_sc_decision uncond[APP_SC_NR_MAX];
};

static const struct {
	const char *name;
	enum app_sc_action act;
} actions[] = {
    {"SCMP_ACT_ALLOW", APP_SC_ALLOW},
    {"SCMP_ACT_ERRNO", APP_SC_ERRNO},
    {"SCMP_ACT_KILL", APP_SC_KILL_THREAD},
    {"SCMP_ACT_KILL_THREAD", APP_SC_KILL_THREAD},
    {"SCMP_ACT_KILL_PROCESS", APP_SC_KILL_PROCESS},
    {"SCMP_ACT_TRAP", APP_SC_TRAP},
    {"SCMP_ACT_LOG", APP_SC_LOG},
    {"SCMP_ACT_TRACE", APP_SC_TRACE},
};

static const char *const ops[] = {
    [OP_NE] = "SCMP_CMP_NE", [OP_LT] = "SCMP_CMP_LT", [OP_LE] = "SCMP_CMP_LE",
    [OP_EQ] = "SCMP_CMP_EQ", [OP_GE] = "SCMP_CMP_GE", [OP_GT] = "SCMP_CMP_GT",
    [OP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

#define FAIL(...)                                                                                  \
	do {                                                                                       \
		snprintf(err, errlen, __VA_ARGS__);                                                \
		return -1;                                                                         \
	} while (0)

/* An action name plus its errno: an explicit errnoRet, else EPERM for
 * ERRNO (runc's default) and ENOSYS for TRACE (no tracer). */
static int parse_action(json_t *jact, json_t *jerr, const char *where, struct app_sc_decision *d,
			char *err, size_t errlen)
{
	const char *name = json_string_value(jact);
	if (!name)
		FAIL("seccomp: %s: action must be a string", where);
	size_t i;
	for (i = 0; i < sizeof actions / sizeof *actions; i++)
		if (!strcmp(name, actions[i].name))
			break;
	if (i == sizeof actions / sizeof *actions)
		FAIL("seccomp: %s: unsupported action \"%s\"", where, name);
	d->action = actions[i].act;
	d->data = d->action == APP_SC_ERRNO ? EPERM : d->action == APP_SC_TRACE ? ENOSYS : 0;
	if (jerr && !json_is_null(jerr)) {
		if (!json_is_integer(jerr) || json_integer_value(jerr) < 0 ||
		    json_integer_value(jerr) > 4095)
			FAIL("seccomp: %s: errnoRet must be an integer from 0 to 4095", where);
		d->data = (int)json_integer_value(jerr);
	}
	return 0;
}

static int parse_u64(json_t *v, uint64_t *out)
{
	if (!v || json_is_null(v)) {
		*out = 0;
		return 0;
	}
	if (!json_is_integer(v))
		return -1;
	/* jansson has signed 64-bit integers: a negative one stands for the
	 * same bits (e.g. -1 for ~0), as Go's uint64 decoding would not
	 * accept, but being lenient costs nothing here. */
	*out = (uint64_t)json_integer_value(v);
	return 0;
}

static int parse_args(json_t *jargs, struct rule *r, char *err, size_t errlen)
{
	if (!jargs || json_is_null(jargs))
		return 0;
	if (!json_is_array(jargs))
		FAIL("seccomp: syscalls[].args must be an array");
	size_t n = json_array_size(jargs);
	if (n > 64)
		FAIL("seccomp: syscalls[].args: too many conditions");
	if (!n)
		return 0;
	r->cond = calloc(n, sizeof *r->cond);
	if (!r->cond)
		FAIL("seccomp: out of memory");
	unsigned used = 0;
	for (size_t i = 0; i < n; i++) {
		json_t *a = json_array_get(jargs, i);
		struct cond *c = &r->cond[i];
		if (!json_is_object(a))
			FAIL("seccomp: syscalls[].args[%zu] must be an object", i);
		json_t *ji = json_object_get(a, "index");
		if (!json_is_integer(ji) || json_integer_value(ji) < 0 || json_integer_value(ji) > 5)
			FAIL("seccomp: syscalls[].args[%zu].index must be 0 to 5", i);
		c->index = (uint8_t)json_integer_value(ji);
		if (parse_u64(json_object_get(a, "value"), &c->value) ||
		    parse_u64(json_object_get(a, "valueTwo"), &c->value_two))
			FAIL("seccomp: syscalls[].args[%zu]: value and valueTwo must be integers", i);
		const char *op = json_string_value(json_object_get(a, "op"));
		if (!op)
			FAIL("seccomp: syscalls[].args[%zu].op must be a string", i);
		size_t k;
		for (k = 0; k < sizeof ops / sizeof *ops; k++)
			if (!strcmp(op, ops[k]))
				break;
		if (k == sizeof ops / sizeof *ops)
			FAIL("seccomp: syscalls[].args[%zu]: unknown operator \"%s\"", i, op);
		c->op = (uint8_t)k;
		if (used & (1u << c->index))
			r->any = true;
		used |= 1u << c->index;
		r->ncond++;
	}
	return 0;
}

static void rule_free(struct rule *r)
{
	while (r) {
		struct rule *next = r->next;
		free(r->cond);
		free(r);
		r = next;
	}
}

static void add_rule(struct app_seccomp *sc, int nr, struct rule *r)
{
	/* Keep profile order: append. */
	struct rule **pp = &sc->cond_rules[nr];
	while (*pp)
		pp = &(*pp)->next;
	*pp = r;
}

static int parse_syscall(struct app_seccomp *sc, json_t *s, size_t idx, char *err, size_t errlen)
{
	char where[48];
	snprintf(where, sizeof where, "syscalls[%zu]", idx);
	if (!json_is_object(s))
		FAIL("seccomp: %s must be an object", where);
	json_t *names = json_object_get(s, "names");
	json_t *one = json_object_get(s, "name"); /* the pre-1.0 form */
	if (names && !json_is_array(names))
		FAIL("seccomp: %s.names must be an array of strings", where);
	if (one && !json_is_string(one))
		FAIL("seccomp: %s.name must be a string", where);
	struct app_sc_decision d;
	if (parse_action(json_object_get(s, "action"), json_object_get(s, "errnoRet"), where, &d,
			 err, errlen))
		return -1;
	struct rule tmpl = {.d = d};
	if (parse_args(json_object_get(s, "args"), &tmpl, err, errlen)) {
		free(tmpl.cond);
		return -1;
	}
	size_t n = names ? json_array_size(names) : 0;
	int r = 0;
	for (size_t i = 0; i < n + (one ? 1 : 0) && !r; i++) {
		const char *name = i < n ? json_string_value(json_array_get(names, i))
					 : json_string_value(one);
		if (!name) {
			snprintf(err, errlen, "seccomp: %s.names must be an array of strings", where);
			r = -1;
			break;
		}
		int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name);
		if (nr < 0 || nr >= APP_SC_NR_MAX)
			continue; /* not an x86_64 syscall (or a pseudo one) */
		if (!tmpl.ncond) {
			sc->has_uncond[nr] = true;
			sc->uncond[nr] = d;
			continue;
		}
		struct rule *copy = malloc(sizeof *copy);
		struct cond *cc = malloc(tmpl.ncond * sizeof *cc);
		if (!copy || !cc) {
			free(copy);
			free(cc);
			snprintf(err, errlen, "seccomp: out of memory");
			r = -1;
			break;
		}
		*copy = tmpl;
		memcpy(cc, tmpl.cond, tmpl.ncond * sizeof *cc);
		copy->cond = cc;
		copy->next = NULL;
		add_rule(sc, nr, copy);
	}
	free(tmpl.cond);
	return r;
}

void app_seccomp_free(struct app_seccomp *sc)
{
	if (!sc)
		return;
	for (int i = 0; i < APP_SC_NR_MAX; i++)
		rule_free(sc->cond_rules[i]);
	free(sc);
}

struct app_seccomp *app_seccomp_parse(const char *text, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		snprintf(err, errlen, "seccomp: invalid JSON at line %d: %s", je.line, je.text);
		return NULL;
	}
	struct app_seccomp *sc = calloc(1, sizeof *sc);
	if (!sc) {
		snprintf(err, errlen, "seccomp: out of memory");
		goto bad;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "seccomp: the profile must be an object");
		goto bad;
	}
	if (parse_action(json_object_get(root, "defaultAction"),
			 json_object_get(root, "defaultErrnoRet"), "defaultAction", &sc->def, err,
			 errlen))
		goto bad;
	json_t *arches = json_object_get(root, "architectures");
	if (arches && !json_is_null(arches) && !json_is_array(arches)) {
		snprintf(err, errlen, "seccomp: architectures must be an array");
		goto bad;
	}
	json_t *calls = json_object_get(root, "syscalls");
	if (calls && !json_is_null(calls)) {
		if (!json_is_array(calls)) {
			snprintf(err, errlen, "seccomp: syscalls must be an array");
			goto bad;
		}
		if (json_array_size(calls) > 65536) {
			snprintf(err, errlen, "seccomp: syscalls: too many entries");
			goto bad;
		}
		for (size_t i = 0; i < json_array_size(calls); i++)
			if (parse_syscall(sc, json_array_get(calls, i), i, err, errlen))
				goto bad;
	}
	json_decref(root);
	return sc;
bad:
	app_seccomp_free(sc);
	json_decref(root);
	return NULL;
}

static bool cond_match(const struct cond *c, const uint64_t args[6])
{
	uint64_t a = args[c->index];
	switch (c->op) {
	case OP_NE:
		return a != c->value;
	case OP_LT:
		return a < c->value;
	case OP_LE:
		return a <= c->value;
	case OP_EQ:
		return a == c->value;
	case OP_GE:
		return a >= c->value;
	case OP_GT:
		return a > c->value;
	case OP_MASKED_EQ:
		return (a & c->value) == c->value_two;
	}
	return false;
}

static bool rule_match(const struct rule *r, const uint64_t args[6])
{
	for (size_t i = 0; i < r->ncond; i++) {
		bool m = cond_match(&r->cond[i], args);
		if (r->any && m)
			return true;
		if (!r->any && !m)
			return false;
	}
	return !r->any;
}

struct app_sc_decision app_seccomp_eval(const struct app_seccomp *sc, long nr,
					const uint64_t args[6])
{
	if (nr < 0 || nr >= APP_SC_NR_MAX)
		return sc->def;
	for (const struct rule *r = sc->cond_rules[nr]; r; r = r->next)
		if (rule_match(r, args))
			return r->d;
	if (sc->has_uncond[nr])
		return sc->uncond[nr];
	return sc->def;
}
