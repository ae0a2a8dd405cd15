/* cred_test: uid/gid changes, groups, fsuid, capget/capset and capability fix-ups. */
#include <linux/capability.h>
#include <linux/securebits.h>
#include <grp.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/* Each test drops privileges in a child so the test process stays root;
 * the child's own failures end it with status 1. */
static void in_child(void (*fn)(void))
{
	int st;
	pid_t p = fork();

	CHECK(p >= 0);
	if (p == 0)
		_exit(tl_run_one(fn));
	CHECK_EQ(waitpid(p, &st, 0), p);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

#define CHILD_TEST(name)                                                                           \
	static void name##_body(void);                                                             \
	TEST(name)                                                                                 \
	{                                                                                          \
		in_child(name##_body);                                                             \
	}                                                                                          \
	static void name##_body(void)

struct caps {
	uint64_t eff, prm, inh;
};

static int capget_pid(int pid, struct caps *c)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, pid};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	c->eff = d[0].effective | (uint64_t)d[1].effective << 32;
	c->prm = d[0].permitted | (uint64_t)d[1].permitted << 32;
	c->inh = d[0].inheritable | (uint64_t)d[1].inheritable << 32;
	return 0;
}

static struct caps getcaps(void)
{
	struct caps c;
	CHECK_OK(capget_pid(0, &c));
	return c;
}

static long setcaps(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {
	    {(uint32_t)eff, (uint32_t)prm, (uint32_t)inh},
	    {(uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32)},
	};
	return syscall(SYS_capset, &h, d);
}

#define BIT(c) (1ULL << (c))
#define FS_CAPS                                                                                    \
	(BIT(CAP_CHOWN) | BIT(CAP_DAC_OVERRIDE) | BIT(CAP_DAC_READ_SEARCH) | BIT(CAP_FOWNER) |     \
	 BIT(CAP_FSETID) | BIT(CAP_LINUX_IMMUTABLE) | BIT(CAP_MAC_OVERRIDE) | BIT(CAP_MKNOD))

static void check_resuid(uid_t r, uid_t e, uid_t s)
{
	uid_t a, b, c;
	CHECK_OK(getresuid(&a, &b, &c));
	CHECK_EQ(a, r);
	CHECK_EQ(b, e);
	CHECK_EQ(c, s);
	CHECK_EQ(getuid(), r);
	CHECK_EQ(geteuid(), e);
}

static void check_resgid(gid_t r, gid_t e, gid_t s)
{
	gid_t a, b, c;
	CHECK_OK(getresgid(&a, &b, &c));
	CHECK_EQ(a, r);
	CHECK_EQ(b, e);
	CHECK_EQ(c, s);
	CHECK_EQ(getgid(), r);
	CHECK_EQ(getegid(), e);
}

/* Raw syscalls: the test is single-threaded, and glibc's wrappers would
 * broadcast to threads anyway. */
#define SETRESUID(r, e, s) syscall(SYS_setresuid, (r), (e), (s))
#define SETRESGID(r, e, s) syscall(SYS_setresgid, (r), (e), (s))

TEST(starts_as_root)
{
	check_resuid(0, 0, 0);
	check_resgid(0, 0, 0);
	struct caps c = getcaps();
	CHECK(c.prm & BIT(CAP_SETUID));
	CHECK(c.prm & BIT(CAP_SETGID));
	CHECK(c.prm & BIT(CAP_SETPCAP));
	CHECK_EQ(c.eff, c.prm);
}

CHILD_TEST(setresuid_rules)
{
	CHECK_OK(SETRESUID(1000, 1001, 1002));
	check_resuid(1000, 1001, 1002);
	/* Every uid left root: permitted and effective are gone. */
	struct caps c = getcaps();
	CHECK_EQ(c.prm, 0);
	CHECK_EQ(c.eff, 0);
	/* Unprivileged: any permutation of the current three... */
	CHECK_OK(SETRESUID(1002, 1000, 1001));
	check_resuid(1002, 1000, 1001);
	CHECK_OK(SETRESUID(-1, 1001, -1));
	check_resuid(1002, 1001, 1001);
	CHECK_OK(SETRESUID(-1, -1, -1));
	check_resuid(1002, 1001, 1001);
	/* ...but nothing else. */
	CHECK_ERRNO(SETRESUID(1000, -1, -1), EPERM);
	CHECK_ERRNO(SETRESUID(-1, 0, -1), EPERM);
	CHECK_ERRNO(SETRESUID(-1, -1, 5), EPERM);
	CHECK_ERRNO(setuid(0), EPERM);
	check_resuid(1002, 1001, 1001);
	/* setuid unprivileged moves the effective (and fs) id only. */
	CHECK_OK(setuid(1002));
	check_resuid(1002, 1002, 1001);
	CHECK_EQ(setfsuid(-1), 1002);
}

CHILD_TEST(setresgid_rules)
{
	CHECK_OK(SETRESGID(100, 200, 300));
	check_resgid(100, 200, 300);
	/* Group changes alone leave the capabilities alone. */
	CHECK(getcaps().eff & BIT(CAP_SETGID));
	CHECK_OK(SETRESUID(1000, 1000, 1000));
	CHECK_OK(SETRESGID(300, 100, 200));
	check_resgid(300, 100, 200);
	CHECK_ERRNO(SETRESGID(5, -1, -1), EPERM);
	CHECK_ERRNO(SETRESGID(-1, 0, -1), EPERM);
	CHECK_ERRNO(setgid(0), EPERM);
	CHECK_OK(setgid(200));
	check_resgid(300, 200, 200);
	CHECK_EQ(setfsgid(-1), 200);
}

CHILD_TEST(setuid_by_root_sets_all)
{
	CHECK_ERRNO(syscall(SYS_setuid, -1), EINVAL);
	CHECK_ERRNO(syscall(SYS_setgid, -1), EINVAL);
	CHECK_OK(setgid(50));
	check_resgid(50, 50, 50);
	CHECK_OK(setuid(1000));
	check_resuid(1000, 1000, 1000);
	struct caps c = getcaps();
	CHECK_EQ(c.prm, 0);
	CHECK_EQ(c.eff, 0);
	CHECK_ERRNO(setuid(0), EPERM);
	CHECK_ERRNO(setgid(0), EPERM);
	check_resuid(1000, 1000, 1000);
}

CHILD_TEST(setreuid_saved_id)
{
	struct caps before = getcaps();
	/* euid moves away from the real id: saved follows it.  ruid stays 0,
	 * so permitted stays; effective goes with euid 0. */
	CHECK_OK(setreuid(-1, 1000));
	check_resuid(0, 1000, 1000);
	struct caps c = getcaps();
	CHECK_EQ(c.prm, before.prm);
	CHECK_EQ(c.eff, 0);
	/* Back to euid 0 (it is the real id): effective = permitted again. */
	CHECK_OK(setreuid(-1, 0));
	check_resuid(0, 0, 1000);
	CHECK_EQ(getcaps().eff, before.prm);
	/* Setting the real id always copies the new euid to saved. */
	CHECK_OK(setreuid(1000, 2000));
	check_resuid(1000, 2000, 2000);
	CHECK_EQ(getcaps().prm, 0);
	/* euid back to the real id: saved stays. */
	CHECK_OK(setreuid(-1, 1000));
	check_resuid(1000, 1000, 2000);
	CHECK_OK(setreuid(-1, 2000));
	check_resuid(1000, 2000, 2000);
	/* The real id may take the effective one. */
	CHECK_OK(setreuid(2000, -1));
	check_resuid(2000, 2000, 2000);
	CHECK_ERRNO(setreuid(1000, -1), EPERM);
	CHECK_ERRNO(setreuid(-1, 1000), EPERM);
	CHECK_ERRNO(setregid(-1, 77), EPERM);
}

CHILD_TEST(setregid_saved_id)
{
	CHECK_OK(setregid(-1, 10));
	check_resgid(0, 10, 10);
	CHECK_OK(setregid(20, 30));
	check_resgid(20, 30, 30);
	CHECK_OK(setregid(-1, 20));
	check_resgid(20, 20, 30);
}

CHILD_TEST(keepcaps_survives_setuid)
{
	struct caps before = getcaps();
	CHECK_OK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	CHECK_OK(SETRESUID(1000, 1000, 1000));
	struct caps c = getcaps();
	CHECK_EQ(c.prm, before.prm);
	CHECK_EQ(c.eff, 0);
	/* Permitted still holds CAP_SETUID: raise it and become root again. */
	CHECK_ERRNO(setuid(0), EPERM);
	CHECK_OK(setcaps(BIT(CAP_SETUID), c.prm, 0));
	CHECK_OK(SETRESUID(0, 0, 0));
	check_resuid(0, 0, 0);
	/* euid 0 again: effective = permitted. */
	CHECK_EQ(getcaps().eff, before.prm);
}

CHILD_TEST(no_fixup_securebit)
{
	struct caps before = getcaps();
	CHECK_OK(prctl(PR_SET_SECUREBITS, SECBIT_NO_SETUID_FIXUP, 0, 0, 0));
	CHECK_OK(SETRESUID(1000, 1000, 1000));
	struct caps c = getcaps();
	CHECK_EQ(c.prm, before.prm);
	CHECK_EQ(c.eff, before.eff);
	CHECK_OK(SETRESUID(0, 0, 0));
}

CHILD_TEST(fsuid_rules)
{
	struct caps before = getcaps();
	CHECK_EQ(setfsuid(1000), 0);
	/* The fs capabilities follow fsuid out of root, the rest stay. */
	struct caps c = getcaps();
	CHECK_EQ(c.eff, before.eff & ~FS_CAPS);
	CHECK_EQ(c.prm, before.prm);
	CHECK_EQ(setfsuid(1000), 1000);
	CHECK_EQ(setfsuid(0), 1000);
	CHECK_EQ(getcaps().eff, before.eff);
	CHECK_EQ(setfsuid(-1), 0);
	CHECK_EQ(setfsgid(7), 0);
	CHECK_EQ(setfsgid(-1), 7);

	CHECK_OK(SETRESUID(1000, 1001, 1002));
	CHECK_EQ(setfsuid(-1), 1001); /* fsuid follows euid */
	CHECK_EQ(setfsuid(5000), 1001); /* refused: still 1001 */
	CHECK_EQ(setfsuid(-1), 1001);
	CHECK_EQ(setfsuid(1002), 1001);
	CHECK_EQ(setfsuid(-1), 1002);
	CHECK_EQ(setfsuid(1000), 1002);
	CHECK_EQ(setfsuid(-1), 1000);
	/* Any euid change resets fsuid to the new euid. */
	CHECK_OK(SETRESUID(-1, 1002, -1));
	CHECK_EQ(setfsuid(-1), 1002);
}

CHILD_TEST(groups_round_trip)
{
	gid_t in[3] = {30, 10, 20}, out[8];

	CHECK_OK(setgroups(3, in));
	CHECK_EQ(getgroups(0, NULL), 3);
	CHECK_EQ(getgroups(8, out), 3);
	/* Kept sorted. */
	CHECK_EQ(out[0], 10);
	CHECK_EQ(out[1], 20);
	CHECK_EQ(out[2], 30);
	CHECK_ERRNO(getgroups(2, out), EINVAL);
	CHECK_ERRNO(syscall(SYS_getgroups, 8, (void *)8), EFAULT);

	CHECK_ERRNO(syscall(SYS_setgroups, 65537, in), EINVAL);
	CHECK_ERRNO(syscall(SYS_setgroups, -1, in), EINVAL);
	CHECK_ERRNO(syscall(SYS_setgroups, 2, (void *)8), EFAULT);
	gid_t bad[2] = {5, (gid_t)-1};
	CHECK_ERRNO(syscall(SYS_setgroups, 2, bad), EINVAL);
	CHECK_EQ(getgroups(8, out), 3); /* unchanged by the failures */

	CHECK_OK(setgroups(0, NULL));
	CHECK_EQ(getgroups(0, NULL), 0);
	CHECK_OK(setgroups(1, in));

	CHECK_OK(SETRESUID(1000, 1000, 1000));
	CHECK_ERRNO(setgroups(1, in), EPERM);
	CHECK_EQ(getgroups(8, out), 1);
	CHECK_EQ(out[0], 30);
}

TEST(capget_header)
{
	struct __user_cap_header_struct h = {0x12345678, 0};
	struct __user_cap_data_struct d[2];

	/* An unknown version is answered with the preferred one; with no
	 * data pointer that is a success (libcap probes this way). */
	CHECK_EQ(syscall(SYS_capget, &h, NULL), 0);
	CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
	h.version = 1;
	CHECK_ERRNO(syscall(SYS_capget, &h, d), EINVAL);
	CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
	h.version = 1;
	CHECK_ERRNO(syscall(SYS_capset, &h, d), EINVAL);
	CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
	CHECK_ERRNO(syscall(SYS_capget, (void *)8, d), EFAULT);
	CHECK_ERRNO(syscall(SYS_capget, &h, (void *)8), EFAULT);
	h.pid = -1;
	CHECK_ERRNO(syscall(SYS_capget, &h, d), EINVAL);

	/* v1 reports the low word only, v2 both. */
	struct caps c = getcaps();
	memset(d, 0xff, sizeof d);
	h.version = _LINUX_CAPABILITY_VERSION_1;
	h.pid = 0;
	CHECK_OK(syscall(SYS_capget, &h, d));
	CHECK_EQ(d[0].permitted, (uint32_t)c.prm);
	CHECK_EQ(d[1].permitted, 0xffffffffu); /* not written */
	h.version = _LINUX_CAPABILITY_VERSION_2;
	CHECK_OK(syscall(SYS_capget, &h, d));
	CHECK_EQ(d[1].permitted, (uint32_t)(c.prm >> 32));

	/* Our own pid works; a pid that is gone does not. */
	struct caps me;
	CHECK_OK(capget_pid(getpid(), &me));
	CHECK_EQ(me.prm, c.prm);
	pid_t p = fork();
	CHECK(p >= 0);
	if (p == 0)
		_exit(0);
	CHECK_EQ(waitpid(p, NULL, 0), p);
	CHECK_ERRNO(capget_pid(p, &me), ESRCH);
}

static pid_t parent_pid;

static void capget_other_process_body(void)
{
	struct caps parent, mine;
	CHECK_OK(SETRESUID(1000, 1000, 1000));
	/* Reading another process's sets needs no privilege. */
	CHECK_OK(capget_pid(parent_pid, &parent));
	CHECK(parent.prm & BIT(CAP_SETUID));
	CHECK_EQ(parent.eff, parent.prm);
	CHECK_OK(capget_pid(0, &mine));
	CHECK_EQ(mine.prm, 0);
}

TEST(capget_other)
{
	parent_pid = getpid();
	in_child(capget_other_process_body);
}

CHILD_TEST(capset_rules)
{
	struct caps c = getcaps();
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	/* Only our own sets. */
	h.pid = getppid();
	CHECK_ERRNO(syscall(SYS_capset, &h, NULL), EPERM);
	h.pid = 0;
	CHECK_ERRNO(syscall(SYS_capset, &h, NULL), EFAULT);
	h.pid = getpid();
	struct __user_cap_data_struct d[2] = {
	    {(uint32_t)c.eff, (uint32_t)c.prm, 0},
	    {(uint32_t)(c.eff >> 32), (uint32_t)(c.prm >> 32), 0},
	};
	CHECK_OK(syscall(SYS_capset, &h, d));

	/* Effective must stay within permitted. */
	uint64_t prm = c.prm & ~BIT(CAP_SYS_ADMIN);
	CHECK_ERRNO(setcaps(c.eff, prm, 0), EPERM);
	CHECK_OK(setcaps(prm, prm, 0));
	/* A dropped permitted capability cannot come back. */
	CHECK_ERRNO(setcaps(prm, c.prm, 0), EPERM);
	struct caps n = getcaps();
	CHECK_EQ(n.prm, prm);
	CHECK_EQ(n.eff, prm);

	/* With CAP_SETPCAP the inheritable set may name any bounding
	 * capability, even one not permitted... */
	CHECK_OK(setcaps(prm, prm, BIT(CAP_SYS_ADMIN)));
	CHECK_EQ(getcaps().inh, BIT(CAP_SYS_ADMIN));
	CHECK_OK(setcaps(prm, prm, 0));
	/* ...without it, only permitted ones (or what was inheritable). */
	uint64_t eff = prm & ~BIT(CAP_SETPCAP);
	CHECK_OK(setcaps(eff, prm, BIT(CAP_KILL)));
	CHECK_ERRNO(setcaps(eff, prm, BIT(CAP_KILL) | BIT(CAP_SYS_ADMIN)), EPERM);
	CHECK_OK(setcaps(eff, prm, BIT(CAP_KILL) | BIT(CAP_CHOWN)));
	n = getcaps();
	CHECK_EQ(n.inh, BIT(CAP_KILL) | BIT(CAP_CHOWN));
	CHECK_EQ(n.eff, eff);

	/* v1 sets only the low word: the high permitted bits are dropped. */
	struct __user_cap_data_struct d1 = {(uint32_t)eff, (uint32_t)prm, 0};
	h.version = _LINUX_CAPABILITY_VERSION_1;
	h.pid = 0;
	CHECK_OK(syscall(SYS_capset, &h, &d1));
	CHECK_EQ(getcaps().prm, prm & 0xffffffffu);
}

CHILD_TEST(capset_bounding_limits_inheritable)
{
	struct caps c = getcaps();
	CHECK_OK(prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0));
	CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0), 0);
	/* Permitted still has it, CAP_SETPCAP is effective, yet it cannot
	 * enter the inheritable set any more. */
	CHECK(getcaps().prm & BIT(CAP_NET_RAW));
	CHECK_ERRNO(setcaps(c.eff, c.prm, BIT(CAP_NET_RAW)), EPERM);
	CHECK_OK(setcaps(c.eff, c.prm, BIT(CAP_KILL)));
}

CHILD_TEST(ambient_rules)
{
	struct caps c = getcaps();
	CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0), 0);
	/* Raising needs it permitted and inheritable. */
	CHECK_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0), EPERM);
	CHECK_OK(setcaps(c.eff, c.prm, BIT(CAP_NET_RAW) | BIT(CAP_KILL)));
	CHECK_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0));
	CHECK_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
	CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0), 1);
	CHECK_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_NET_RAW, 0, 0));
	CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0), 0);
	CHECK_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0));
	/* Leaving the inheritable set drops it from ambient. */
	CHECK_OK(setcaps(c.eff, c.prm, BIT(CAP_KILL)));
	CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0), 0);
	CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0), 1);

	CHECK_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 64, 0, 0), EINVAL);
	CHECK_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 1, 0), EINVAL);
	CHECK_ERRNO(prctl(PR_CAP_AMBIENT, 99, CAP_KILL, 0, 0), EINVAL);
	CHECK_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0), EINVAL);

	/* Leaving root drops ambient, even with keep_caps. */
	CHECK_OK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	CHECK_OK(SETRESUID(1000, 1000, 1000));
	CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0), 0);
	CHECK(getcaps().prm & BIT(CAP_KILL));
	CHECK_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
	CHECK_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
	CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0), 0);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, starts_as_root, setresuid_rules, setresgid_rules,
			 setuid_by_root_sets_all, setreuid_saved_id, setregid_saved_id,
			 keepcaps_survives_setuid, no_fixup_securebit, fsuid_rules,
			 groups_round_trip, capget_header, capget_other, capset_rules,
			 capset_bounding_limits_inheritable, ambient_rules);
}
