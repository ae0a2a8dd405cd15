/* Credentials: Linux's rules for user/group id changes, capability sets and
 * securebits, as pure functions on struct cred (task.h).
 *
 * Every cred_set* function takes the current credentials `old` and fills
 * `new` (a copy of old with the change applied, capabilities fixed up as
 * capabilities(7) "Effect of user ID changes on capabilities" says).  They
 * return 0, or -EPERM / -EINVAL with `new` unspecified; nothing is shared,
 * so callers commit the result with cred_commit().
 *
 * Locking: a task's cred is written only by its own sentry thread, under
 * tasklist_lock (cred_commit), so other threads may read it under
 * tasklist_lock.  The pure functions take no lock.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sentry/kernel/task.h"

/* CAP_LAST_CAP is 40 (CAP_CHECKPOINT_RESTORE) on the kernels we mirror. */
#define CRED_CAP_LAST 40
#define CRED_CAP_FULL ((1ULL << (CRED_CAP_LAST + 1)) - 1)
#define CRED_CAP_VALID(c) ((c) >= 0 && (c) <= CRED_CAP_LAST)
/* The capabilities that follow the fsuid (CAP_FS_MASK in Linux). */
#define CRED_CAP_FS_MASK                                                                           \
	((1ULL << 0) | (1ULL << 1) | (1ULL << 2) | (1ULL << 3) | (1ULL << 4) | (1ULL << 9) |       \
	 (1ULL << 27) | (1ULL << 32))
/* Linux's NGROUPS_MAX, and how many struct cred actually holds. */
#define CRED_NGROUPS_MAX 65536
#define CRED_NGROUPS_HELD ((int)(sizeof(((struct cred *)0)->groups) / sizeof(gid_t)))

/* Root inside the sandbox with every capability (runsc's default). */
void cred_init_root(struct cred *c);

/* Whether c holds cap in its effective set (Linux's capable()). */
bool cred_capable(const struct cred *c, int cap);
/* Whether gid is c's fsgid or one of its supplementary groups. */
bool cred_in_group(const struct cred *c, gid_t gid);
/* kill(2)'s permission rule: the sender's real or effective uid is the
 * target's real or saved uid, or the sender has CAP_KILL.  (SIGCONT within
 * one session is the caller's to allow.) */
bool cred_may_signal(const struct cred *sender, const struct cred *target);

/* The id syscalls.  (uid_t)-1 means "leave unchanged" where the syscall
 * takes it that way; with a set-*fs* call the previous fsuid/fsgid is what
 * the application gets back, whatever happened (*prev). */
int cred_setuid(const struct cred *old, struct cred *new, uid_t uid);
int cred_setreuid(const struct cred *old, struct cred *new, uid_t ruid, uid_t euid);
int cred_setresuid(const struct cred *old, struct cred *new, uid_t ruid, uid_t euid, uid_t suid);
/* Returns true when new differs from old (the id was allowed and changed). */
bool cred_setfsuid(const struct cred *old, struct cred *new, uid_t fsuid);
int cred_setgid(const struct cred *old, struct cred *new, gid_t gid);
int cred_setregid(const struct cred *old, struct cred *new, gid_t rgid, gid_t egid);
int cred_setresgid(const struct cred *old, struct cred *new, gid_t rgid, gid_t egid, gid_t sgid);
bool cred_setfsgid(const struct cred *old, struct cred *new, gid_t fsgid);
/* groups: n ids (already copied in); sorted as Linux stores them.
 * -EPERM without CAP_SETGID, -EINVAL for n > 65536 or a -1 id, -ENOMEM for
 * more than the CRED_NGROUPS_HELD this sentry keeps. */
int cred_setgroups(const struct cred *old, struct cred *new, const gid_t *groups, int n);

/* capset(2)'s checks (man 2 capget, capabilities(7)): 0 or -EPERM. */
int cred_capset(const struct cred *old, struct cred *new, uint64_t effective, uint64_t permitted,
		uint64_t inheritable);

/* prctl pieces that are credential changes: 0 or -errno. */
int cred_set_keepcaps(const struct cred *old, struct cred *new, unsigned long on);
int cred_capbset_drop(const struct cred *old, struct cred *new, unsigned long cap);
/* PR_CAP_AMBIENT; returns the IS_SET answer (0/1) or 0 after a change. */
long cred_ambient(const struct cred *old, struct cred *new, unsigned long op, unsigned long cap,
		  unsigned long a4, unsigned long a5);
int cred_set_securebits(const struct cred *old, struct cred *new, unsigned long bits);

/* The credential part of execve with no set-id bits and no file
 * capabilities (neither is honoured yet): root (euid or ruid 0, unless
 * SECBIT_NOROOT) gets permitted = bounding | inheritable, effective too if
 * its euid is 0; everyone else gets permitted = effective = ambient; saved
 * and fs ids become the effective ones; keep_caps is cleared; no_new_privs
 * stays.  *secureexec (may be NULL) says whether AT_SECURE must be 1.
 * Returns 0 (room for file-capability errors later). */
int cred_exec_transform(struct cred *c, bool *secureexec);

/* Installs new as t's credentials (t is the calling task), under
 * tasklist_lock so other threads reading them see a whole set. */
void cred_commit(struct task *t, const struct cred *new);
