/* prctl_test: name, pdeathsig, subreaper, dumpable, capability and securebits options, misc. */
#include <linux/capability.h>
#include <linux/securebits.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/* Options that change credentials for good run in a child. */
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

#define BAD_PTR ((unsigned long)8)

TEST(name_round_trip)
{
	char old[16], name[32];

	CHECK_OK(prctl(PR_GET_NAME, old, 0, 0, 0));
	CHECK_OK(prctl(PR_SET_NAME, "cred-probe", 0, 0, 0));
	memset(name, 'x', sizeof name);
	CHECK_OK(prctl(PR_GET_NAME, name, 0, 0, 0));
	CHECK_STREQ(name, "cred-probe");
	/* Longer names are cut to 15 bytes and a NUL. */
	CHECK_OK(prctl(PR_SET_NAME, "abcdefghijklmnopqrstuvwxyz", 0, 0, 0));
	memset(name, 'x', sizeof name);
	CHECK_OK(prctl(PR_GET_NAME, name, 0, 0, 0));
	CHECK_STREQ(name, "abcdefghijklmno");
	CHECK_EQ(name[16], 'x'); /* exactly 16 bytes written */
	CHECK_ERRNO(prctl(PR_SET_NAME, BAD_PTR, 0, 0, 0), EFAULT);
	CHECK_ERRNO(prctl(PR_GET_NAME, BAD_PTR, 0, 0, 0), EFAULT);
	CHECK_OK(prctl(PR_GET_NAME, name, 0, 0, 0));
	CHECK_STREQ(name, "abcdefghijklmno");
	CHECK_OK(prctl(PR_SET_NAME, old, 0, 0, 0));
}

TEST(pdeathsig_round_trip)
{
	int sig = -1;

	CHECK_OK(prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0));
	CHECK_EQ(sig, 0);
	CHECK_OK(prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0));
	CHECK_OK(prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0));
	CHECK_EQ(sig, SIGUSR1);
	CHECK_ERRNO(prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0), EINVAL);
	CHECK_ERRNO(prctl(PR_SET_PDEATHSIG, -1, 0, 0, 0), EINVAL);
	CHECK_ERRNO(prctl(PR_GET_PDEATHSIG, BAD_PTR, 0, 0, 0), EFAULT);
	CHECK_OK(prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0));
	CHECK_OK(prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0));
	CHECK_EQ(sig, 0);
}

CHILD_TEST(pdeathsig_not_inherited)
{
	int sig = -1;

	/* A fork child starts with none, whatever its parent set. */
	CHECK_OK(prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0));
	pid_t p = fork();
	CHECK(p >= 0);
	if (p == 0) {
		prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
		_exit(sig == 0 ? 0 : 1);
	}
	int st;
	CHECK_EQ(waitpid(p, &st, 0), p);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

CHILD_TEST(subreaper_round_trip)
{
	int v = -1;

	CHECK_OK(prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0));
	CHECK_EQ(v, 0);
	CHECK_OK(prctl(PR_SET_CHILD_SUBREAPER, 7, 0, 0, 0));
	CHECK_OK(prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0));
	CHECK_EQ(v, 1);
	CHECK_ERRNO(prctl(PR_GET_CHILD_SUBREAPER, BAD_PTR, 0, 0, 0), EFAULT);
	CHECK_OK(prctl(PR_SET_CHILD_SUBREAPER, 0, 0, 0, 0));
	CHECK_OK(prctl(PR_GET_CHILD_SUBREAPER, &v, 0, 0, 0));
	CHECK_EQ(v, 0);
}

CHILD_TEST(dumpable_round_trip)
{
	CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	CHECK_OK(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
	CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	CHECK_ERRNO(prctl(PR_SET_DUMPABLE, 2, 0, 0, 0), EINVAL);
	CHECK_OK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	/* A change of effective ids makes the process fs.suid_dumpable
	 * (0 unless the host says otherwise; the sandbox has no sysctl). */
	int want = 0;
	FILE *f = fopen("/proc/sys/fs/suid_dumpable", "r");
	if (f) {
		CHECK_EQ(fscanf(f, "%d", &want), 1);
		fclose(f);
	}
	CHECK_OK(syscall(SYS_setresuid, -1, 1000, -1));
	CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), want);
	CHECK_OK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
}

CHILD_TEST(no_new_privs_sticks)
{
	CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	CHECK_ERRNO(prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EINVAL);
	CHECK_ERRNO(prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0), EINVAL);
	CHECK_ERRNO(prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), EINVAL);
	CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	CHECK_OK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	CHECK_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	/* It cannot be unset, and children inherit it. */
	CHECK_ERRNO(prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EINVAL);
	CHECK_OK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	pid_t p = fork();
	CHECK(p >= 0);
	if (p == 0)
		_exit(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 1);
	int st;
	CHECK_EQ(waitpid(p, &st, 0), p);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

CHILD_TEST(capbset_drop_then_read)
{
	CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0), 1);
	CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_SETPCAP, 0, 0, 0), 1);
	CHECK_OK(prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0));
	CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_NET_RAW, 0, 0, 0), 0);
	CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_KILL, 0, 0, 0), 1);
	/* Dropping twice is fine. */
	CHECK_OK(prctl(PR_CAPBSET_DROP, CAP_NET_RAW, 0, 0, 0));
	CHECK_ERRNO(prctl(PR_CAPBSET_READ, 64, 0, 0, 0), EINVAL);
	CHECK_ERRNO(prctl(PR_CAPBSET_READ, -1, 0, 0, 0), EINVAL);
	CHECK_ERRNO(prctl(PR_CAPBSET_DROP, 64, 0, 0, 0), EINVAL);
	/* Without CAP_SETPCAP in effect, dropping is refused (before the
	 * capability number is even looked at). */
	CHECK_OK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	CHECK_OK(syscall(SYS_setresuid, 1000, 1000, 1000));
	CHECK_ERRNO(prctl(PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0), EPERM);
	CHECK_ERRNO(prctl(PR_CAPBSET_DROP, 64, 0, 0, 0), EPERM);
	CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_KILL, 0, 0, 0), 1);
}

CHILD_TEST(keepcaps_round_trip)
{
	CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
	CHECK_OK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
	/* keep_caps is one of the securebits. */
	CHECK_EQ(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), SECBIT_KEEP_CAPS);
	CHECK_ERRNO(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0), EINVAL);
	CHECK_OK(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0));
	CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
	CHECK_EQ(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), 0);
	/* Set through securebits, then locked: PR_SET_KEEPCAPS is refused. */
	CHECK_OK(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0));
	CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
	CHECK_ERRNO(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), EPERM);
	CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
}

CHILD_TEST(securebits_rules)
{
	CHECK_EQ(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), 0);
	CHECK_ERRNO(prctl(PR_SET_SECUREBITS, 1 << 20, 0, 0, 0), EPERM);
	CHECK_OK(prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED, 0, 0, 0));
	CHECK_EQ(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), SECBIT_NOROOT | SECBIT_NOROOT_LOCKED);
	/* A locked bit cannot change, and the lock cannot be released. */
	CHECK_ERRNO(prctl(PR_SET_SECUREBITS, SECBIT_NOROOT_LOCKED, 0, 0, 0), EPERM);
	CHECK_ERRNO(prctl(PR_SET_SECUREBITS, SECBIT_NOROOT, 0, 0, 0), EPERM);
	/* Unlocked bits still move. */
	CHECK_OK(prctl(PR_SET_SECUREBITS,
		       SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE, 0, 0, 0));
	CHECK_EQ(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0),
		 SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE);
	/* Without CAP_SETPCAP nothing changes. */
	CHECK_OK(syscall(SYS_setresuid, 1000, 1000, 1000));
	CHECK_ERRNO(prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED, 0, 0, 0),
		    EPERM);
}

TEST(timerslack_round_trip)
{
	long v0 = CHECK_OK(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0));
	CHECK(v0 > 0);
	CHECK_OK(prctl(PR_SET_TIMERSLACK, 12345, 0, 0, 0));
	CHECK_EQ(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), 12345);
	/* 0 goes back to the default. */
	CHECK_OK(prctl(PR_SET_TIMERSLACK, 0, 0, 0, 0));
	CHECK_EQ(prctl(PR_GET_TIMERSLACK, 0, 0, 0, 0), v0);
}

CHILD_TEST(tid_address)
{
	static int word;
	int *p = NULL;

	syscall(SYS_set_tid_address, &word);
	CHECK_OK(prctl(PR_GET_TID_ADDRESS, &p, 0, 0, 0));
	CHECK(p == &word);
	CHECK_ERRNO(prctl(PR_GET_TID_ADDRESS, BAD_PTR, 0, 0, 0), EFAULT);
}

TEST(seccomp_mode)
{
	CHECK_EQ(prctl(PR_GET_SECCOMP, 0, 0, 0, 0), 0);
}

CHILD_TEST(set_mm_needs_privilege)
{
	CHECK_OK(syscall(SYS_setresuid, 1000, 1000, 1000));
	CHECK_ERRNO(prctl(PR_SET_MM, PR_SET_MM_START_BRK, 0x10000, 0, 0), EPERM);
}

TEST(set_vma_checks)
{
	void *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(m != MAP_FAILED);
	CHECK_ERRNO(prctl(PR_SET_VMA, 1, (unsigned long)m, 8192, (unsigned long)"x"), EINVAL);
	CHECK_ERRNO(prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)m, 8192,
			  (unsigned long)"bad$name"),
		    EINVAL);
	/* A good name is taken, or refused as a whole by kernels built
	 * without CONFIG_ANON_VMA_NAME (this VM's). */
	errno = 0;
	long r = prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)m, 8192,
		       (unsigned long)"cvisor test");
	CHECK(r == 0 || errno == EINVAL);
	if (r == 0) {
		CHECK_OK(prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)m, 8192, 0));
		CHECK_ERRNO(prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)m + 1, 8192,
				  (unsigned long)"x"),
			    EINVAL);
		char longname[100];
		memset(longname, 'a', sizeof longname - 1);
		longname[sizeof longname - 1] = '\0';
		CHECK_ERRNO(prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)m, 8192,
				  (unsigned long)longname),
			    EINVAL);
	}
	munmap(m, 8192);
}

TEST(unknown_option)
{
	CHECK_ERRNO(prctl(0x7fff1234, 0, 0, 0, 0), EINVAL);
	CHECK_ERRNO(prctl(-1, 0, 0, 0, 0), EINVAL);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, name_round_trip, pdeathsig_round_trip,
			 pdeathsig_not_inherited, subreaper_round_trip, dumpable_round_trip,
			 no_new_privs_sticks, capbset_drop_then_read, keepcaps_round_trip,
			 securebits_rules, timerslack_round_trip, tid_address, seccomp_mode,
			 set_mm_needs_privilege, set_vma_checks, unknown_option);
}
