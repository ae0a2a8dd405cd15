/* Allow-list rules for the sentry's and the gofer's own seccomp filters. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* A syscall allowed outright (arg < 0) or only when argument arg equals one
 * of values (a 0-terminated list, so 0 itself cannot be listed). */
struct sc_rule {
	const char *name;
	int arg;
	const uint64_t *values;
};

enum sc_mode { SC_ENFORCE, SC_LOG, SC_OFF };

/* CVISOR_SECCOMP: unset -> enforce, "log" -> log only, "off" -> none. */
enum sc_mode sc_mode_from_env(void);
/* no_new_privs, then the filter for every thread of the process. */
int sc_install(const char *who, const struct sc_rule *rules, size_t n, enum sc_mode mode);
