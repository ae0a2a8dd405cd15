/* info_test: uname, ids, getgroups, getrandom, sysinfo, rlimits, affinity, rseq. */
#include <sched.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "testlib.h"

TEST(uname_fields)
{
	struct utsname u;

	CHECK_OK(uname(&u));
	CHECK_STREQ(u.sysname, "Linux");
	CHECK_STREQ(u.machine, "x86_64");
	CHECK(strlen(u.release) > 0);
	CHECK(u.release[0] >= '2' && u.release[0] <= '9');
	CHECK(strlen(u.version) > 0);
	CHECK(strlen(u.nodename) > 0);
	CHECK_ERRNO(syscall(SYS_uname, (void *)1), EFAULT);
}

TEST(ids)
{
	gid_t groups[256];

	CHECK(getpid() > 0);
	CHECK_EQ(syscall(SYS_getpid), getpid());
	/* A single-threaded process: its only thread is the leader. */
	CHECK_EQ(syscall(SYS_gettid), getpid());
	CHECK(getppid() >= 0);
	CHECK_EQ(syscall(SYS_getppid), getppid());
	/* Nothing here is setuid, so real and effective ids agree. */
	CHECK_EQ(getuid(), geteuid());
	CHECK_EQ(getgid(), getegid());
	CHECK_EQ(syscall(SYS_getuid), getuid());
	CHECK_EQ(syscall(SYS_geteuid), geteuid());
	CHECK_EQ(syscall(SYS_getgid), getgid());
	CHECK_EQ(syscall(SYS_getegid), getegid());

	int n = CHECK_OK(getgroups(0, NULL));
	CHECK(n <= 256);
	CHECK_EQ(getgroups(256, groups), n);
	if (n > 1) /* size 0 asks for the count */
		CHECK_ERRNO(getgroups(n - 1, groups), EINVAL);
	CHECK_ERRNO(syscall(SYS_getgroups, -1, groups), EINVAL);
}

TEST(random_bytes)
{
	unsigned char a[64], b[64];

	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	CHECK_EQ(getrandom(a, sizeof a, 0), sizeof a);
	CHECK_EQ(getrandom(b, sizeof b, 0), sizeof b);
	/* 512 random bits colliding is not going to happen. */
	CHECK(memcmp(a, b, sizeof a) != 0);
	int zeros = 0;
	for (size_t i = 0; i < sizeof a; i++)
		zeros += a[i] == 0;
	CHECK(zeros < 16);
	CHECK_EQ(getrandom(a, sizeof a, GRND_NONBLOCK), sizeof a);
	CHECK_EQ(getrandom(a, 0, 0), 0);
	CHECK_ERRNO(getrandom(a, sizeof a, 0x100), EINVAL);
	CHECK_ERRNO(syscall(SYS_getrandom, (void *)1, 16, 0), EFAULT);
}

TEST(sysinfo_values)
{
	struct sysinfo si;

	CHECK_OK(sysinfo(&si));
	CHECK(si.totalram > 0);
	CHECK(si.mem_unit > 0);
	CHECK(si.freeram <= si.totalram);
	CHECK(si.uptime >= 0);
	CHECK(si.procs >= 1);
	CHECK_ERRNO(syscall(SYS_sysinfo, (void *)1), EFAULT);
}

TEST(rlimits)
{
	struct rlimit g, p;

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &g));
	CHECK(g.rlim_cur <= g.rlim_max);
	CHECK(g.rlim_cur >= 3);
	CHECK_OK(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, &p));
	CHECK_EQ(p.rlim_cur, g.rlim_cur);
	CHECK_EQ(p.rlim_max, g.rlim_max);
	CHECK_OK(syscall(SYS_prlimit64, getpid(), RLIMIT_NOFILE, NULL, &p));
	CHECK_EQ(p.rlim_cur, g.rlim_cur);
	CHECK_OK(syscall(SYS_getrlimit, RLIMIT_NOFILE, &p));
	CHECK_EQ(p.rlim_cur, g.rlim_cur);
	CHECK_OK(getrlimit(RLIMIT_STACK, &g));
	CHECK(g.rlim_cur > 0);
	CHECK(g.rlim_cur <= g.rlim_max);
	CHECK_ERRNO(syscall(SYS_getrlimit, 1000, &p), EINVAL);
	CHECK_ERRNO(syscall(SYS_prlimit64, 0, 1000, NULL, &p), EINVAL);
	CHECK_ERRNO(syscall(SYS_getrlimit, RLIMIT_NOFILE, (void *)1), EFAULT);
}

TEST(affinity_yield)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CHECK_OK(sched_getaffinity(0, sizeof set, &set));
	CHECK(CPU_COUNT(&set) >= 1);
	/* The raw call returns the number of bytes of mask it wrote. */
	long r = syscall(SYS_sched_getaffinity, 0, sizeof set, &set);
	CHECK(r > 0 && r <= (long)sizeof set && r % 8 == 0);
	CHECK_ERRNO(syscall(SYS_sched_getaffinity, 0, 3, &set), EINVAL);
	CHECK_ERRNO(syscall(SYS_sched_getaffinity, 0, sizeof set, (void *)1), EFAULT);
	CHECK_EQ(sched_yield(), 0);
	CHECK_EQ(syscall(SYS_sched_yield), 0);
}

/* Kept in static storage: a registered rseq area is written by the kernel
 * for the rest of the thread's life. */
static struct {
	uint32_t cpu_id_start;
	uint32_t cpu_id;
	uint64_t rseq_cs;
	uint32_t flags;
	uint32_t pad[3];
} __attribute__((aligned(32))) rseq_a, rseq_b;

TEST(rseq_second_registration_fails)
{
	const uint32_t sig = 0x53053053;

	/* glibc may have registered its own area already, and a sandbox may not
	 * implement rseq at all; whichever, once one area is registered (or
	 * none can be) another registration must fail. */
	long first = syscall(SYS_rseq, &rseq_a, 32, 0, sig);
	long second = syscall(SYS_rseq, &rseq_b, 32, 0, sig);
	CHECK_EQ(second, -1);
	CHECK(errno == EINVAL || errno == EBUSY || errno == ENOSYS || errno == EPERM);
	if (first == 0)
		CHECK_OK(syscall(SYS_rseq, &rseq_a, 32, 1 /* RSEQ_FLAG_UNREGISTER */, sig));
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, uname_fields, ids, random_bytes, sysinfo_values, rlimits,
			 affinity_yield, rseq_second_registration_fails);
}
