/* sethostname and setdomainname: the sandbox's own UTS names. */
#include "sentry/kernel/cred.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/uts.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define CAP_SYS_ADMIN 21

/* Linux checks in this order: the capability, the length, the copy. */
static long set_name(struct task *t, uint64_t addr, int64_t len,
		     void (*set)(const char *, size_t))
{
	char name[UTS_NAME_MAX];
	if (!cred_capable(&t->cred, CAP_SYS_ADMIN))
		return -EPERM;
	if (len < 0 || len > UTS_NAME_MAX)
		return -EINVAL;
	if (mm_copy_in(t->mm, name, addr, (size_t)len))
		return -EFAULT;
	set(name, (size_t)len);
	return 0;
}

DEFINE_SYSCALL(sethostname, R_INT, A_PTR, A_INT)
{
	return set_name(t, a[0], (int)a[1], uts_set_hostname_bytes);
}

DEFINE_SYSCALL(setdomainname, R_INT, A_PTR, A_INT)
{
	return set_name(t, a[0], (int)a[1], uts_set_domainname_bytes);
}
