/* Tests of the OCI seccomp profile evaluator: profile JSON in, decisions
 * for given syscall numbers and arguments out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sentry/seccomp/app_seccomp.h"

/* The enforcement half's kernel calls; the evaluator never makes them. */
struct task;
void task_exit_group(struct task *t, int status)
{
	fail();
}
void sig_force(struct task *t, int sig, const void *info)
{
	fail();
}

static struct app_seccomp *load(const char *js)
{
	char err[256];
	struct app_seccomp *sc = app_seccomp_parse(js, strlen(js), err, sizeof err);
	if (!sc)
		print_message("parse: %s\n", err);
	assert_non_null(sc);
	return sc;
}

/* What a profile must decide for one call (its first two arguments). */
struct want {
	long nr;
	uint64_t a0, a1;
	enum app_sc_action action;
	int data; /* ANY: not checked */
};

#define ANY 0

/* Every call of w[0..n) gets the decision it wants from sc. */
static void expect(const struct app_seccomp *sc, const struct want *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t a[6] = {w[i].a0, w[i].a1, 0, 0, 0, 0};
		struct app_sc_decision d = app_seccomp_eval(sc, w[i].nr, a);
		if (d.action != w[i].action || (w[i].data && d.data != w[i].data))
			print_message("case %zu: syscall %ld (%#llx, %#llx): action %d data %d\n", i,
				      w[i].nr, (unsigned long long)w[i].a0,
				      (unsigned long long)w[i].a1, (int)d.action, d.data);
		assert_int_equal(d.action, w[i].action);
		if (w[i].data)
			assert_int_equal(d.data, w[i].data);
	}
}

#define EXPECT(sc, table) expect((sc), (table), sizeof(table) / sizeof((table)[0]))

static void test_default_errno(void **state)
{
	struct app_seccomp *sc = load("{\"defaultAction\":\"SCMP_ACT_ERRNO\","
				      "\"defaultErrnoRet\":38,\"architectures\":"
				      "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],"
				      "\"syscalls\":[{\"names\":[\"read\",\"write\",\"no_such_call\","
				      "\"socketcall\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
	static const struct want listed[] = {
	    {__NR_read, 0, 0, APP_SC_ALLOW, ANY},
	    {__NR_write, 0, 0, APP_SC_ALLOW, ANY},
	    {__NR_mkdir, 0, 0, APP_SC_ERRNO, ENOSYS},
	    /* Out-of-range numbers take the default too. */
	    {100000, 0, 0, APP_SC_ERRNO, ANY},
	    {-1, 0, 0, APP_SC_ERRNO, ANY},
	};
	EXPECT(sc, listed);
	app_seccomp_free(sc);

	/* ERRNO without errnoRet is EPERM. */
	sc = load("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\","
		  "\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
	static const struct want eperm[] = {
	    {__NR_mkdirat, 0, 0, APP_SC_ERRNO, EPERM},
	    {__NR_open, 0, 0, APP_SC_ALLOW, ANY},
	};
	EXPECT(sc, eperm);
	app_seccomp_free(sc);
}

static void test_actions(void **state)
{
	struct app_seccomp *sc = load(
	    "{\"defaultAction\":\"SCMP_ACT_KILL_PROCESS\",\"syscalls\":["
	    "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_KILL\"},"
	    "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_KILL_THREAD\"},"
	    "{\"names\":[\"gettid\"],\"action\":\"SCMP_ACT_TRAP\",\"errnoRet\":5},"
	    "{\"names\":[\"getuid\"],\"action\":\"SCMP_ACT_LOG\"},"
	    "{\"names\":[\"getgid\"],\"action\":\"SCMP_ACT_TRACE\"}]}");
	static const struct want w[] = {
	    {__NR_getpid, 0, 0, APP_SC_KILL_THREAD, ANY},
	    {__NR_getppid, 0, 0, APP_SC_KILL_THREAD, ANY},
	    {__NR_gettid, 0, 0, APP_SC_TRAP, 5},
	    {__NR_getuid, 0, 0, APP_SC_LOG, ANY},
	    {__NR_getgid, 0, 0, APP_SC_TRACE, ENOSYS},
	    {__NR_read, 0, 0, APP_SC_KILL_PROCESS, ANY},
	};
	EXPECT(sc, w);
	app_seccomp_free(sc);
}

/* One rule per operator on personality's argument 0, value 10. */
static void test_comparisons(void **state)
{
	static const struct {
		const char *op;
		uint64_t yes, no;
	} cases[] = {
	    {"SCMP_CMP_EQ", 10, 11}, {"SCMP_CMP_NE", 11, 10}, {"SCMP_CMP_LT", 9, 10},
	    {"SCMP_CMP_LE", 10, 11}, {"SCMP_CMP_GT", 11, 10}, {"SCMP_CMP_GE", 10, 9},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char js[512];
		snprintf(js, sizeof js,
			 "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":"
			 "[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
			 "\"value\":10,\"op\":\"%s\"}]}]}",
			 cases[i].op);
		struct app_seccomp *sc = load(js);
		const struct want w[] = {
		    {__NR_personality, cases[i].yes, 0, APP_SC_ALLOW, ANY},
		    {__NR_personality, cases[i].no, 0, APP_SC_ERRNO, ANY},
		};
		EXPECT(sc, w);
		app_seccomp_free(sc);
	}
	/* Unsigned 64-bit: -1 is the largest value. */
	struct app_seccomp *sc = load("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
				      "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
				      "\"args\":[{\"index\":0,\"value\":10,\"op\":\"SCMP_CMP_GT\"}]}]}");
	static const struct want largest[] = {{__NR_personality, (uint64_t)-1, 0, APP_SC_ALLOW, ANY}};
	EXPECT(sc, largest);
	app_seccomp_free(sc);
}

static void test_masked_and_combined(void **state)
{
	/* Docker-style clone rule: allowed unless a namespace flag is set. */
	struct app_seccomp *sc = load(
	    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
	    "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,"
	    "\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
	    /* two indexes: ANDed */
	    "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
	    "{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":15,"
	    "\"op\":\"SCMP_CMP_EQ\"}]},"
	    /* one index twice: ORed, as runc splits it */
	    "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
	    "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":8,"
	    "\"op\":\"SCMP_CMP_EQ\"}]},"
	    /* conditional rule before the unconditional one of the same call */
	    "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":97,\"args\":["
	    "{\"index\":0,\"value\":16,\"op\":\"SCMP_CMP_EQ\"}]},"
	    "{\"names\":[\"socket\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
	static const struct want w[] = {
	    {__NR_clone, 0x11 /* SIGCHLD|... */, 0, APP_SC_ALLOW, ANY},
	    {__NR_clone, 0x10000000 /* CLONE_NEWUSER */, 0, APP_SC_ERRNO, ANY},
	    {__NR_kill, 1, 15, APP_SC_ALLOW, ANY},
	    {__NR_kill, 1, 9, APP_SC_ERRNO, ANY},
	    {__NR_kill, 2, 15, APP_SC_ERRNO, ANY},
	    {__NR_personality, 0, 0, APP_SC_ALLOW, ANY},
	    {__NR_personality, 8, 0, APP_SC_ALLOW, ANY},
	    {__NR_personality, 4, 0, APP_SC_ERRNO, ANY},
	    {__NR_socket, 16 /* AF_NETLINK */, 0, APP_SC_ERRNO, 97},
	    {__NR_socket, 2, 0, APP_SC_ALLOW, ANY},
	};
	EXPECT(sc, w);
	app_seccomp_free(sc);
}

static void test_bad_profiles(void **state)
{
	static const char *const bad[] = {
	    "",
	    "[]",
	    "{}",
	    "{\"defaultAction\":\"SCMP_ACT_BOGUS\"}",
	    "{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}",
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}",
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":\"read\","
	    "\"action\":\"SCMP_ACT_ALLOW\"}]}",
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"]}]}",
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	    "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":6,\"value\":1,"
	    "\"op\":\"SCMP_CMP_EQ\"}]}]}",
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
	    "\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":1,"
	    "\"op\":\"SCMP_CMP_ABOUT\"}]}]}",
	    "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":\"EPERM\"}",
	    "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[7],"
	    "\"action\":\"SCMP_ACT_ALLOW\"}]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char err[256] = "";
		struct app_seccomp *sc = app_seccomp_parse(bad[i], strlen(bad[i]), err, sizeof err);
		if (sc)
			print_message("accepted: %s\n", bad[i]);
		assert_null(sc);
		assert_true(err[0] != 0);
		assert_null(strchr(err, '\n'));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_default_errno),
	    cmocka_unit_test(test_actions),
	    cmocka_unit_test(test_comparisons),
	    cmocka_unit_test(test_masked_and_combined),
	    cmocka_unit_test(test_bad_profiles),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
