/* Unit tests of sentry/kernel/cred.c: exec transform, kill permission, id and capability rules. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <linux/capability.h>
#include <linux/prctl.h>
#include <linux/securebits.h>

/* cred.c is pure but for cred_commit's locks; the rest of sentry/kernel
 * needs the whole sentry, so build the one file into this test. */
#include "sentry/kernel/cred.c"

pthread_mutex_t tasklist_lock = PTHREAD_MUTEX_INITIALIZER;

#define B(c) (1ULL << (c))

static struct cred root(void)
{
	struct cred c;
	cred_init_root(&c);
	return c;
}

static struct cred user(uid_t uid)
{
	struct cred c = root(), g, n;
	assert_int_equal(cred_setresgid(&c, &g, uid, uid, uid), 0);
	assert_int_equal(cred_setresuid(&g, &n, uid, uid, uid), 0);
	return n;
}

static void test_root_start(void **state)
{
	struct cred c = root();
	assert_true(cred_capable(&c, CAP_SYS_ADMIN));
	assert_true(cred_capable(&c, CRED_CAP_LAST));
	assert_false(cred_capable(&c, CRED_CAP_LAST + 1));
	assert_false(cred_capable(&c, -1));
	assert_int_equal(c.cap_inheritable, 0);
	assert_int_equal(c.cap_ambient, 0);
}

static void test_exec_root_keeps_bounding(void **state)
{
	struct cred c = root(), n;
	bool secure = true;

	/* Drop a capability from bounding and effective/permitted: exec as
	 * root gets permitted = bounding again, but not the dropped one. */
	assert_int_equal(cred_capbset_drop(&c, &n, CAP_NET_RAW), 0);
	c = n;
	assert_int_equal(cred_capset(&c, &n, 0, B(CAP_KILL), 0), 0);
	c = n;
	assert_int_equal(cred_exec_transform(&c, &secure), 0);
	assert_false(secure);
	assert_int_equal(c.cap_permitted, CRED_CAP_FULL & ~B(CAP_NET_RAW));
	assert_int_equal(c.cap_effective, c.cap_permitted);
}

static void test_exec_real_root_effective_not(void **state)
{
	struct cred c = root(), n;
	bool secure = false;

	/* ruid 0, euid 1000: permitted from bounding, effective empty; the
	 * euid != ruid exec counts as set-id: AT_SECURE, ambient dropped. */
	assert_int_equal(cred_setresuid(&c, &n, 0, 1000, 0), 0);
	c = n;
	assert_int_equal(cred_exec_transform(&c, &secure), 0);
	assert_true(secure);
	assert_int_equal(c.cap_permitted, CRED_CAP_FULL);
	assert_int_equal(c.cap_effective, 0);
	assert_int_equal(c.suid, 1000);
	assert_int_equal(c.fsuid, 1000);
}

static void test_exec_nonroot_gets_ambient(void **state)
{
	struct cred c = root(), n;
	bool secure = true;

	assert_int_equal(cred_set_keepcaps(&c, &n, 1), 0);
	c = n;
	assert_int_equal(cred_capset(&c, &n, c.cap_effective, c.cap_permitted, B(CAP_KILL)), 0);
	c = n;
	assert_int_equal(cred_ambient(&c, &n, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0), 0);
	c = n;
	/* Ambient is dropped on leaving root; raise it again as the user. */
	assert_int_equal(cred_setresuid(&c, &n, 1000, 1000, 1000), 0);
	c = n;
	assert_int_equal(c.cap_ambient, 0);
	assert_int_equal(cred_ambient(&c, &n, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0), 0);
	c = n;
	assert_int_equal(cred_exec_transform(&c, &secure), 0);
	assert_false(secure);
	assert_int_equal(c.cap_permitted, B(CAP_KILL));
	assert_int_equal(c.cap_effective, B(CAP_KILL));
	assert_int_equal(c.cap_inheritable, B(CAP_KILL));
	assert_false(c.keep_caps);
	assert_int_equal(c.securebits & SECBIT_KEEP_CAPS, 0);

	/* Without ambient, a plain user execs with nothing. */
	c = user(1000);
	assert_int_equal(cred_exec_transform(&c, &secure), 0);
	assert_int_equal(c.cap_permitted, 0);
	assert_int_equal(c.cap_effective, 0);
}

static void test_exec_noroot_securebit(void **state)
{
	struct cred c = root(), n;
	bool secure = false;

	assert_int_equal(cred_set_securebits(&c, &n, SECBIT_NOROOT), 0);
	c = n;
	assert_int_equal(cred_exec_transform(&c, &secure), 0);
	assert_int_equal(c.cap_permitted, 0);
	assert_int_equal(c.cap_effective, 0);
	assert_int_equal(c.securebits, SECBIT_NOROOT);
}

static void test_exec_no_new_privs(void **state)
{
	struct cred c = root(), n;

	/* A root process with euid 1000 under no_new_privs: the exec may
	 * not gain, and the effective ids fall back to the real ones. */
	assert_int_equal(cred_setresuid(&c, &n, 0, 1000, 1000), 0);
	c = n;
	assert_int_equal(cred_capset(&c, &n, 0, B(CAP_KILL), 0), 0);
	c = n;
	c.no_new_privs = true;
	assert_int_equal(cred_exec_transform(&c, NULL), 0);
	assert_true(c.no_new_privs);
	assert_int_equal(c.euid, 0);
	assert_int_equal(c.suid, 0);
	assert_int_equal(c.cap_permitted, B(CAP_KILL));
	/* Effective was decided by the euid the exec started with (1000). */
	assert_int_equal(c.cap_effective, 0);
}

static void test_may_signal(void **state)
{
	struct cred r = root(), a = user(1000), b = user(1001), n;

	assert_true(cred_may_signal(&r, &a));
	assert_true(cred_may_signal(&a, &a));
	assert_false(cred_may_signal(&a, &b));
	assert_false(cred_may_signal(&a, &r));
	/* The sender's euid against the target's saved uid. */
	assert_int_equal(cred_setresuid(&r, &n, 1001, 1001, 1000), 0);
	assert_true(cred_may_signal(&a, &n));
	assert_true(cred_may_signal(&n, &b));
}

static void test_in_group(void **state)
{
	struct cred c = user(1000), n;
	gid_t g[3] = {7, 5, 9};

	assert_true(cred_in_group(&c, 1000));
	assert_false(cred_in_group(&c, 5));
	struct cred r = root();
	assert_int_equal(cred_setgroups(&r, &n, g, 3), 0);
	assert_true(cred_in_group(&n, 5));
	assert_true(cred_in_group(&n, 0));
	assert_false(cred_in_group(&n, 6));
	assert_int_equal(n.groups[0], 5);
	assert_int_equal(n.groups[2], 9);
}

static void test_setgroups_limits(void **state)
{
	struct cred c = root(), n;
	static gid_t many[CRED_NGROUPS_HELD + 1];

	assert_int_equal(cred_setgroups(&c, &n, many, CRED_NGROUPS_HELD), 0);
	assert_int_equal(n.ngroups, CRED_NGROUPS_HELD);
	assert_int_equal(cred_setgroups(&c, &n, many, CRED_NGROUPS_HELD + 1), -ENOMEM);
	assert_int_equal(cred_setgroups(&c, &n, many, CRED_NGROUPS_MAX + 1), -EINVAL);
	c = user(5);
	assert_int_equal(cred_setgroups(&c, &n, many, 1), -EPERM);
}

static void test_setfsuid_fs_caps(void **state)
{
	struct cred c = root(), n;

	assert_true(cred_setfsuid(&c, &n, 1000));
	assert_int_equal(n.cap_effective, CRED_CAP_FULL & ~CRED_CAP_FS_MASK);
	assert_false(cred_setfsuid(&n, &c, 1000)); /* no change */
	assert_false(cred_setfsuid(&n, &c, (uid_t)-1));
	c = n;
	assert_true(cred_setfsuid(&c, &n, 0));
	assert_int_equal(n.cap_effective, CRED_CAP_FULL);
	/* Group fs ids touch no capability. */
	assert_true(cred_setfsgid(&n, &c, 42));
	assert_int_equal(c.cap_effective, CRED_CAP_FULL);
	assert_int_equal(c.fsgid, 42);
}

static void test_capset_rejects(void **state)
{
	struct cred c = root(), n;

	assert_int_equal(cred_capset(&c, &n, B(CAP_KILL), 0, 0), -EPERM);
	assert_int_equal(cred_capset(&c, &n, 0, B(CAP_KILL), 0), 0);
	c = n;
	assert_int_equal(cred_capset(&c, &n, 0, B(CAP_KILL) | B(CAP_CHOWN), 0), -EPERM);
	/* No CAP_SETPCAP any more: inheritable is capped by permitted. */
	assert_int_equal(cred_capset(&c, &n, 0, B(CAP_KILL), B(CAP_CHOWN)), -EPERM);
	assert_int_equal(cred_capset(&c, &n, 0, B(CAP_KILL), B(CAP_KILL)), 0);
	/* Bits past CAP_LAST_CAP are ignored. */
	assert_int_equal(cred_capset(&c, &n, 0, B(CAP_KILL) | B(60), 0), 0);
	assert_int_equal(n.cap_permitted, B(CAP_KILL));
}

static struct thread_group tg;
static struct task task;

static void test_commit_undumpable(void **state)
{
	struct cred n;

	pthread_mutex_init(&tg.lock, NULL);
	task.tg = &tg;
	cred_init_root(&task.cred);
	/* A group change that leaves effective/fs ids alone keeps it. */
	assert_int_equal(cred_setresgid(&task.cred, &n, 5, -1, 5), 0);
	cred_commit(&task, &n);
	assert_false(tg.not_dumpable);
	assert_int_equal(task.cred.rgid, 5);
	assert_int_equal(cred_setresuid(&task.cred, &n, -1, 1000, -1), 0);
	cred_commit(&task, &n);
	assert_true(tg.not_dumpable);
	assert_int_equal(task.cred.euid, 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_root_start),
	    cmocka_unit_test(test_exec_root_keeps_bounding),
	    cmocka_unit_test(test_exec_real_root_effective_not),
	    cmocka_unit_test(test_exec_nonroot_gets_ambient),
	    cmocka_unit_test(test_exec_noroot_securebit),
	    cmocka_unit_test(test_exec_no_new_privs),
	    cmocka_unit_test(test_may_signal),
	    cmocka_unit_test(test_in_group),
	    cmocka_unit_test(test_setgroups_limits),
	    cmocka_unit_test(test_setfsuid_fs_caps),
	    cmocka_unit_test(test_capset_rejects),
	    cmocka_unit_test(test_commit_undumpable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
