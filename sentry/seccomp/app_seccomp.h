/* The OCI seccomp profile (config.json linux.seccomp), enforced by the
 * sentry on the application's syscalls before they are dispatched.
 *
 * The profile is parsed once into per-syscall rule lists (names resolved for
 * x86_64 with libseccomp; names x86_64 does not have are ignored, as
 * libseccomp does) and evaluated in the syscall path: conditional rules that
 * match come first (in profile order), then the syscall's unconditional
 * rule, then defaultAction.  A rule's argument conditions are ANDed, except
 * that a rule naming the same argument twice is an OR of its conditions
 * (runc splits such rules the same way).  Comparisons are unsigned 64-bit.
 */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct task;

enum app_sc_action {
	APP_SC_ALLOW = 0,
	APP_SC_ERRNO,	      /* fail with errno (data) without running the call */
	APP_SC_KILL_THREAD,   /* SCMP_ACT_KILL, SCMP_ACT_KILL_THREAD */
	APP_SC_KILL_PROCESS,
	APP_SC_TRAP,	      /* SIGSYS (SYS_SECCOMP) to the task, call not run */
	APP_SC_LOG,	      /* allowed, logged once per syscall (--debug) */
	APP_SC_TRACE,	      /* no tracer exists: ENOSYS, as Linux without one */
};

struct app_sc_decision {
	enum app_sc_action action;
	int data; /* errno for APP_SC_ERRNO, si_errno for APP_SC_TRAP */
};

struct app_seccomp;

/* Parses a linux.seccomp JSON object given as text.  NULL with one line in
 * err on a malformed profile (unknown action or operator, wrong types,
 * argument index > 5). */
struct app_seccomp *app_seccomp_parse(const char *json, size_t len, char *err, size_t errlen);
void app_seccomp_free(struct app_seccomp *sc);
/* What the profile decides for syscall nr with these arguments. */
struct app_sc_decision app_seccomp_eval(const struct app_seccomp *sc, long nr,
					const uint64_t args[6]);

/* The sentry's profile (NULL: none).  Set once at start-up, before any
 * task runs. */
extern const struct app_seccomp *app_seccomp_active;
/* Reads a profile from fd (to EOF, then closes it) and makes it active;
 * 0, or -1 after a message. */
int app_seccomp_load_fd(int fd);

/* The dispatch hook: true when the profile stops the call, with the value
 * the application sees in *ret (the kill and trap actions also act on t). */
bool app_seccomp_check(struct task *t, long nr, const uint64_t args[6], long *ret);
static inline bool app_seccomp_deny(struct task *t, long nr, const uint64_t args[6], long *ret)
{
	return app_seccomp_active && app_seccomp_check(t, nr, args, ret);
}
