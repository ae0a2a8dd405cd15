/* prctl: thread name, parent-death signal, subreaper, dumpable, capability
 * and securebits controls, no_new_privs, timer slack. */
#include <linux/prctl.h>
#include <linux/securebits.h>
#include <stdatomic.h>
#include <string.h>

#include "common/log.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define DEFAULT_TIMER_SLACK_NS 50000 /* Linux's default for SCHED_OTHER */
#define ANON_VMA_NAME_MAX 80         /* including the NUL */

static long set_name(struct task *t, uint64_t uname)
{
	char name[16] = {0};
	/* Linux copies at most 15 bytes and truncates silently. */
	long r = mm_strncpy_in(t->mm, name, uname, sizeof name - 1);
	if (r == -ENAMETOOLONG)
		r = mm_copy_in(t->mm, name, uname, sizeof name - 1);
	if (r < 0)
		return -EFAULT;
	name[sizeof name - 1] = '\0';
	/* tg->lock so /proc readers of the process name see it whole. */
	pthread_mutex_lock(&t->tg->lock);
	memcpy(t->comm, name, sizeof name);
	if (t->tg->leader == t)
		memcpy(t->tg->comm, name, sizeof name);
	pthread_mutex_unlock(&t->tg->lock);
	return 0;
}

static long put_int(struct task *t, uint64_t addr, int v)
{
	return mm_copy_out(t->mm, addr, &v, sizeof v) ? -EFAULT : 0;
}

static bool vma_name_char_ok(char c)
{
	return c >= ' ' && c <= '~' && !strchr("[]\\$`", c);
}

/* Names for anonymous mappings are checked as Linux checks them and then
 * dropped: nothing in the sentry shows them yet (no /proc/pid/maps). */
static long set_vma(struct task *t, const uint64_t *a)
{
	char name[ANON_VMA_NAME_MAX];
	if (a[1] != PR_SET_VMA_ANON_NAME)
		return -EINVAL;
	if (a[4]) {
		long r = mm_strncpy_in(t->mm, name, a[4], sizeof name);
		if (r == -ENAMETOOLONG)
			return -EINVAL;
		if (r < 0)
			return r;
		for (char *p = name; *p; p++)
			if (!vma_name_char_ok(*p))
				return -EINVAL;
	}
	if (a[2] & 4095)
		return -EINVAL;
	if (a[2] + ((a[3] + 4095) & ~4095ULL) < a[2])
		return -EINVAL;
	return 0;
}

/* Options we do not offer are reported once each in the debug log. */
static void unknown_option(int option)
{
	static atomic_uint_least64_t seen;
	uint64_t bit = 1ULL << ((unsigned)option & 63);
	if (!(atomic_fetch_or(&seen, bit) & bit))
		DEBUG("prctl: option %d not supported (EINVAL)", option);
}

/* Every capability option below changes credentials the way the
 * capability syscalls do: built aside, installed only on success. */
#define CRED_CHANGE(expr)                                                                          \
	do {                                                                                       \
		struct cred nc;                                                                    \
		long r_ = (expr);                                                                  \
		if (r_ == 0)                                                                       \
			cred_commit(t, &nc);                                                       \
		return r_;                                                                         \
	} while (0)

/* PR_SET_SECCOMP fails with EINVAL (as a kernel built without seccomp
 * does) until the sentry implements seccomp filters; PR_GET_SECCOMP says
 * mode 0.  PR_SET_MM is always EPERM: no task holds CAP_SYS_RESOURCE over
 * its mm layout here. */
DEFINE_SYSCALL_SUP(prctl, SUP_PARTIAL, R_INT, A_INT, A_HEX, A_HEX, A_HEX, A_HEX)
{
	int option = (int)a[0];
	unsigned long a2 = a[1], a3 = a[2], a4 = a[3], a5 = a[4];
	struct cred *c = &t->cred;
	long r;

	switch (option) {
	case PR_SET_NAME:
		return set_name(t, a2);
	case PR_GET_NAME:
		return mm_copy_out(t->mm, a2, t->comm, sizeof t->comm) ? -EFAULT : 0;

	case PR_SET_PDEATHSIG:
		if (a2 > 64)
			return -EINVAL;
		t->pdeath_signal = (int)a2;
		return 0;
	case PR_GET_PDEATHSIG:
		return put_int(t, a2, t->pdeath_signal);

	case PR_SET_CHILD_SUBREAPER:
		pthread_mutex_lock(&tasklist_lock);
		t->tg->subreaper = a2 != 0;
		pthread_mutex_unlock(&tasklist_lock);
		return 0;
	case PR_GET_CHILD_SUBREAPER: {
		pthread_mutex_lock(&tasklist_lock);
		int v = t->tg->subreaper;
		pthread_mutex_unlock(&tasklist_lock);
		return put_int(t, a2, v);
	}

	case PR_SET_DUMPABLE:
		/* 2 (suid-safe) is for the core_pattern sysctl only. */
		if (a2 != 0 && a2 != 1)
			return -EINVAL;
		pthread_mutex_lock(&t->tg->lock);
		t->tg->not_dumpable = a2 == 0;
		pthread_mutex_unlock(&t->tg->lock);
		return 0;
	case PR_GET_DUMPABLE:
		pthread_mutex_lock(&t->tg->lock);
		r = !t->tg->not_dumpable;
		pthread_mutex_unlock(&t->tg->lock);
		return r;

	case PR_SET_KEEPCAPS:
		CRED_CHANGE(cred_set_keepcaps(c, &nc, a2));
	case PR_GET_KEEPCAPS:
		return c->keep_caps || (c->securebits & SECBIT_KEEP_CAPS);

	case PR_SET_NO_NEW_PRIVS: {
		/* Once set it stays, across fork and execve. */
		if (a2 != 1 || a3 || a4 || a5)
			return -EINVAL;
		struct cred nc = *c;
		nc.no_new_privs = true;
		cred_commit(t, &nc);
		return 0;
	}
	case PR_GET_NO_NEW_PRIVS:
		if (a2 || a3 || a4 || a5)
			return -EINVAL;
		return c->no_new_privs;

	case PR_CAPBSET_READ:
		if (a2 > CRED_CAP_LAST)
			return -EINVAL;
		return !!(c->cap_bounding & (1ULL << a2));
	case PR_CAPBSET_DROP:
		CRED_CHANGE(cred_capbset_drop(c, &nc, a2));

	case PR_CAP_AMBIENT: {
		struct cred nc;
		r = cred_ambient(c, &nc, a2, a3, a4, a5);
		if (r == 0 && a2 != PR_CAP_AMBIENT_IS_SET)
			cred_commit(t, &nc);
		return r;
	}

	case PR_GET_SECUREBITS:
		return c->securebits;
	case PR_SET_SECUREBITS:
		CRED_CHANGE(cred_set_securebits(c, &nc, a2));

	case PR_SET_SECCOMP:
		return -EINVAL;
	case PR_GET_SECCOMP:
		return 0;

	case PR_SET_TIMERSLACK:
		/* 0 restores the default. */
		t->timer_slack_ns = a2;
		return 0;
	case PR_GET_TIMERSLACK:
		return t->timer_slack_ns ? (long)t->timer_slack_ns : DEFAULT_TIMER_SLACK_NS;

	case PR_GET_TID_ADDRESS:
		return mm_copy_out(t->mm, a2, &t->clear_child_tid, sizeof t->clear_child_tid)
			   ? -EFAULT
			   : 0;

	case PR_SET_MM:
		return -EPERM;
	case PR_SET_VMA:
		return set_vma(t, a);
	}
	unknown_option(option);
	return -EINVAL;
}
