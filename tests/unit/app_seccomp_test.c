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

static struct app_sc_decision ev(struct app_seccomp *sc, long nr, uint64_t a0, uint64_t a1)
{
	uint64_t a[6] = {a0, a1, 0, 0, 0, 0};
	return app_seccomp_eval(sc, nr, a);
}

static void test_default_errno(void **state)
{
	struct app_seccomp *sc = load("{\"defaultAction\":\"SCMP_ACT_ERRNO\","
				      "\"defaultErrnoRet\":38,\"architectures\":"
				      "[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],"
				      "\"syscalls\":[{\"names\":[\"read\",\"write\",\"no_such_call\","
				      "\"socketcall\"],\"action\":\"SCMP_ACT_ALLOW\"}]}");
	assert_int_equal(ev(sc, __NR_read, 0, 0).action, APP_SC_ALLOW);
	assert_int_equal(ev(sc, __NR_write, 0, 0).action, APP_SC_ALLOW);
	struct app_sc_decision d = ev(sc, __NR_mkdir, 0, 0);
	assert_int_equal(d.action, APP_SC_ERRNO);
	assert_int_equal(d.data, ENOSYS);
	/* Out-of-range numbers take the default too. */
	assert_int_equal(ev(sc, 100000, 0, 0).action, APP_SC_ERRNO);
	assert_int_equal(ev(sc, -1, 0, 0).action, APP_SC_ERRNO);
	app_seccomp_free(sc);

	/* ERRNO without errnoRet is EPERM. */
	sc = load("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\","
		  "\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\"}]}");
	d = ev(sc, __NR_mkdirat, 0, 0);
	assert_int_equal(d.action, APP_SC_ERRNO);
	assert_int_equal(d.data, EPERM);
	assert_int_equal(ev(sc, __NR_open, 0, 0).action, APP_SC_ALLOW);
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
	assert_int_equal(ev(sc, __NR_getpid, 0, 0).action, APP_SC_KILL_THREAD);
	assert_int_equal(ev(sc, __NR_getppid, 0, 0).action, APP_SC_KILL_THREAD);
	struct app_sc_decision d = ev(sc, __NR_gettid, 0, 0);
	assert_int_equal(d.action, APP_SC_TRAP);
	assert_int_equal(d.data, 5);
	assert_int_equal(ev(sc, __NR_getuid, 0, 0).action, APP_SC_LOG);
	d = ev(sc, __NR_getgid, 0, 0);
	assert_int_equal(d.action, APP_SC_TRACE);
	assert_int_equal(d.data, ENOSYS);
	assert_int_equal(ev(sc, __NR_read, 0, 0).action, APP_SC_KILL_PROCESS);
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
		assert_int_equal(ev(sc, __NR_personality, cases[i].yes, 0).action, APP_SC_ALLOW);
		assert_int_equal(ev(sc, __NR_personality, cases[i].no, 0).action, APP_SC_ERRNO);
		app_seccomp_free(sc);
	}
	/* Unsigned 64-bit: -1 is the largest value. */
	struct app_seccomp *sc = load("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
				      "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\","
				      "\"args\":[{\"index\":0,\"value\":10,\"op\":\"SCMP_CMP_GT\"}]}]}");
	assert_int_equal(ev(sc, __NR_personality, (uint64_t)-1, 0).action, APP_SC_ALLOW);
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
	assert_int_equal(ev(sc, __NR_clone, 0x11, 0).action, APP_SC_ALLOW); /* SIGCHLD|... */
	assert_int_equal(ev(sc, __NR_clone, 0x10000000 /* CLONE_NEWUSER */, 0).action,
			 APP_SC_ERRNO);
	assert_int_equal(ev(sc, __NR_kill, 1, 15).action, APP_SC_ALLOW);
	assert_int_equal(ev(sc, __NR_kill, 1, 9).action, APP_SC_ERRNO);
	assert_int_equal(ev(sc, __NR_kill, 2, 15).action, APP_SC_ERRNO);
	assert_int_equal(ev(sc, __NR_personality, 0, 0).action, APP_SC_ALLOW);
	assert_int_equal(ev(sc, __NR_personality, 8, 0).action, APP_SC_ALLOW);
	assert_int_equal(ev(sc, __NR_personality, 4, 0).action, APP_SC_ERRNO);
	struct app_sc_decision d = ev(sc, __NR_socket, 16 /* AF_NETLINK */, 0);
	assert_int_equal(d.action, APP_SC_ERRNO);
	assert_int_equal(d.data, 97);
	assert_int_equal(ev(sc, __NR_socket, 2, 0).action, APP_SC_ALLOW);
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
