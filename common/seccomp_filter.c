/* Building and loading a libseccomp allow-list from a table of rules (the
 * sentry's and the gofer's lists use it). */
#include "common/seccomp_filter.h"

#include <errno.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "common/log.h"

/* AddressSanitizer builds (make check-asan) log violations instead of
 * killing: the sanitizer's reporter opens /proc/self/maps and readlinks the
 * binary while printing an error, which no allow-list should grant.  The
 * normal build's suite checks the lists. */
#if defined(__SANITIZE_ADDRESS__)
#define SC_DEFAULT SC_LOG
#else
#define SC_DEFAULT SC_ENFORCE
#endif

enum sc_mode sc_mode_from_env(void)
{
	/* Read once: the sentry clears its environment (it is the
	 * application's) before it installs its filter. */
	static int mode = -1;
	if (mode < 0) {
		const char *v = getenv("CVISOR_SECCOMP");
		if (v && !strcmp(v, "off"))
			mode = SC_OFF;
		else if (v && !strcmp(v, "log"))
			mode = SC_LOG;
		else
			mode = SC_DEFAULT;
	}
	return (enum sc_mode)mode;
}

int sc_install(const char *who, const struct sc_rule *rules, size_t n, enum sc_mode mode)
{
	if (mode == SC_OFF) {
		DEBUG("%s: seccomp filter disabled (CVISOR_SECCOMP=off)", who);
		return 0;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	scmp_filter_ctx ctx = seccomp_init(mode == SC_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	/* Anything but x86_64 (x32, i386 int 0x80) is refused outright. */
	if (!r)
		r = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
	for (size_t i = 0; i < n && !r; i++) {
		int nr = seccomp_syscall_resolve_name(rules[i].name);
		if (nr == __NR_SCMP_ERROR) {
			log_warn("%s: seccomp: unknown syscall %s", who, rules[i].name);
			r = -EINVAL;
			break;
		}
		if (rules[i].arg < 0) {
			r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		} else {
			/* One rule per allowed value of the argument. */
			for (const uint64_t *v = rules[i].values; *v && !r; v++)
				r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
						     SCMP_CMP((unsigned)rules[i].arg, SCMP_CMP_EQ, *v));
		}
		/* A name listed twice with no arguments is EEXIST: harmless. */
		if (r == -EEXIST)
			r = 0;
		if (r)
			log_warn("%s: seccomp: rule for %s: %s", who, rules[i].name, strerror(-r));
	}
	if (!r)
		r = seccomp_load(ctx);
	seccomp_release(ctx);
	if (!r)
		DEBUG("%s: seccomp allow-list of %zu rules installed%s", who, n,
		      mode == SC_LOG ? " (log mode)" : "");
	return r;
}
