/* Credential syscalls: user and group ids, supplementary groups, capget/capset. */
#include <linux/capability.h>
#include <string.h>

#include "sentry/kernel/cred.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

DEFINE_SYSCALL(getuid, R_INT)
{
	return t->cred.ruid;
}

DEFINE_SYSCALL(geteuid, R_INT)
{
	return t->cred.euid;
}

DEFINE_SYSCALL(getgid, R_INT)
{
	return t->cred.rgid;
}

DEFINE_SYSCALL(getegid, R_INT)
{
	return t->cred.egid;
}

static long put_three(struct task *t, const uint64_t *a, uint32_t r, uint32_t e, uint32_t s)
{
	uint32_t v[3] = {r, e, s};
	for (int i = 0; i < 3; i++)
		if (mm_copy_out(t->mm, a[i], &v[i], sizeof v[i]))
			return -EFAULT;
	return 0;
}

DEFINE_SYSCALL(getresuid, R_INT, A_PTR, A_PTR, A_PTR)
{
	return put_three(t, a, t->cred.ruid, t->cred.euid, t->cred.suid);
}

DEFINE_SYSCALL(getresgid, R_INT, A_PTR, A_PTR, A_PTR)
{
	return put_three(t, a, t->cred.rgid, t->cred.egid, t->cred.sgid);
}

DEFINE_SYSCALL(getgroups, R_INT, A_INT, A_PTR)
{
	int size = (int)a[0];
	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return t->cred.ngroups;
	if (size < t->cred.ngroups)
		return -EINVAL;
	if (mm_copy_out(t->mm, a[1], t->cred.groups, sizeof(gid_t) * t->cred.ngroups))
		return -EFAULT;
	return t->cred.ngroups;
}

/* Every setter builds the new set aside and installs it only on success,
 * so a refused change leaves nothing half done. */
#define COMMIT_IF_OK(expr)                                                                         \
	do {                                                                                       \
		struct cred nc;                                                                    \
		int r_ = (expr);                                                                   \
		if (r_ == 0)                                                                       \
			cred_commit(t, &nc);                                                       \
		return r_;                                                                         \
	} while (0)

DEFINE_SYSCALL(setuid, R_INT, A_INT)
{
	COMMIT_IF_OK(cred_setuid(&t->cred, &nc, (uid_t)a[0]));
}

DEFINE_SYSCALL(setgid, R_INT, A_INT)
{
	COMMIT_IF_OK(cred_setgid(&t->cred, &nc, (gid_t)a[0]));
}

DEFINE_SYSCALL(setreuid, R_INT, A_INT, A_INT)
{
	COMMIT_IF_OK(cred_setreuid(&t->cred, &nc, (uid_t)a[0], (uid_t)a[1]));
}

DEFINE_SYSCALL(setregid, R_INT, A_INT, A_INT)
{
	COMMIT_IF_OK(cred_setregid(&t->cred, &nc, (gid_t)a[0], (gid_t)a[1]));
}

DEFINE_SYSCALL(setresuid, R_INT, A_INT, A_INT, A_INT)
{
	COMMIT_IF_OK(cred_setresuid(&t->cred, &nc, (uid_t)a[0], (uid_t)a[1], (uid_t)a[2]));
}

DEFINE_SYSCALL(setresgid, R_INT, A_INT, A_INT, A_INT)
{
	COMMIT_IF_OK(cred_setresgid(&t->cred, &nc, (gid_t)a[0], (gid_t)a[1], (gid_t)a[2]));
}

/* setfsuid/setfsgid report the previous id whether or not they changed it
 * (the only way to read the fsuid). */
DEFINE_SYSCALL(setfsuid, R_INT, A_INT)
{
	struct cred nc;
	uid_t prev = t->cred.fsuid;
	if (cred_setfsuid(&t->cred, &nc, (uid_t)a[0]))
		cred_commit(t, &nc);
	return prev;
}

DEFINE_SYSCALL(setfsgid, R_INT, A_INT)
{
	struct cred nc;
	gid_t prev = t->cred.fsgid;
	if (cred_setfsgid(&t->cred, &nc, (gid_t)a[0]))
		cred_commit(t, &nc);
	return prev;
}

DEFINE_SYSCALL(setgroups, R_INT, A_INT, A_PTR)
{
	int n = (int)a[0];
	gid_t groups[CRED_NGROUPS_HELD];
	struct cred nc;

	/* Linux's order: permission, size, then the copy. */
	if (!cred_capable(&t->cred, 6 /* CAP_SETGID */))
		return -EPERM;
	if ((unsigned)n > CRED_NGROUPS_MAX)
		return -EINVAL;
	if (n > CRED_NGROUPS_HELD)
		return -ENOMEM;
	if (n && mm_copy_in(t->mm, groups, a[1], sizeof(gid_t) * (size_t)n))
		return -EFAULT;
	int r = cred_setgroups(&t->cred, &nc, groups, n);
	if (r == 0)
		cred_commit(t, &nc);
	return r;
}

/* The header's version picks how many 32-bit words each set has; an
 * unknown one is answered with the version we prefer, which is how libcap
 * probes (capget with a NULL data pointer then succeeds). */
static long cap_header(struct task *t, uint64_t uhdr, int *words, int *pid)
{
	struct __user_cap_header_struct h;
	if (mm_copy_in(t->mm, &h, uhdr, sizeof h))
		return -EFAULT;
	switch (h.version) {
	case _LINUX_CAPABILITY_VERSION_1:
		*words = _LINUX_CAPABILITY_U32S_1;
		break;
	case _LINUX_CAPABILITY_VERSION_2:
	case _LINUX_CAPABILITY_VERSION_3:
		*words = _LINUX_CAPABILITY_U32S_3;
		break;
	default:
		h.version = _LINUX_CAPABILITY_VERSION_3;
		if (mm_copy_out(t->mm, uhdr, &h.version, sizeof h.version))
			return -EFAULT;
		return -EINVAL;
	}
	*pid = h.pid;
	return 0;
}

DEFINE_SYSCALL(capget, R_INT, A_PTR, A_PTR)
{
	int words, pid;
	uint64_t e = 0, p = 0, i = 0;
	struct __user_cap_data_struct d[2];

	long r = cap_header(t, a[0], &words, &pid);
	if (!a[1] || r)
		return !a[1] && r == -EINVAL ? 0 : r;
	if (pid < 0)
		return -EINVAL;
	if (pid == 0 || pid == t->tid) {
		e = t->cred.cap_effective;
		p = t->cred.cap_permitted;
		i = t->cred.cap_inheritable;
	} else {
		/* Another task's cred is stable under tasklist_lock. */
		pthread_mutex_lock(&tasklist_lock);
		struct task *o = task_lookup_locked(pid);
		if (o) {
			e = o->cred.cap_effective;
			p = o->cred.cap_permitted;
			i = o->cred.cap_inheritable;
		}
		pthread_mutex_unlock(&tasklist_lock);
		if (!o)
			return -ESRCH;
	}
	for (int w = 0; w < 2; w++) {
		d[w].effective = (uint32_t)(e >> (32 * w));
		d[w].permitted = (uint32_t)(p >> (32 * w));
		d[w].inheritable = (uint32_t)(i >> (32 * w));
	}
	if (mm_copy_out(t->mm, a[1], d, sizeof d[0] * (size_t)words))
		return -EFAULT;
	return 0;
}

DEFINE_SYSCALL(capset, R_INT, A_PTR, A_PTR)
{
	int words, pid;
	struct __user_cap_data_struct d[2];

	long r = cap_header(t, a[0], &words, &pid);
	if (r)
		return r;
	/* Only the caller's own sets may change (no CAP_SETPCAP transfer). */
	if (pid != 0 && pid != t->tid)
		return -EPERM;
	memset(d, 0, sizeof d);
	if (mm_copy_in(t->mm, d, a[1], sizeof d[0] * (size_t)words))
		return -EFAULT;
	uint64_t e = d[0].effective | (uint64_t)d[1].effective << 32;
	uint64_t p = d[0].permitted | (uint64_t)d[1].permitted << 32;
	uint64_t i = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	COMMIT_IF_OK(cred_capset(&t->cred, &nc, e, p, i));
}
