/* Tests of the cvisor command line: flag parsing, global flags, subcommand
 * dispatch, and `cvisor do` end to end against stand-in sentry and gofer
 * processes (this binary re-executed as `__sentry` / `__gofer`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/crash.h"
#include "common/log.h"
#include "platform/platform.h"
#include "runsc-compat/cli.h"
#include "runsc-compat/flags.h"

/* The platform module is not linked: only "ptrace" exists here. */
const struct platform *pf_lookup(const char *name)
{
	static char dummy;
	return strcmp(name, "ptrace") ? NULL : (const struct platform *)&dummy;
}

/* ---- stand-ins for the real gofer and sentry ---- */

static int fake_gofer(int argc, char **argv)
{
	int fd = -1;
	for (int i = 1; i < argc; i++)
		if (!strncmp(argv[i], "--sock-fd=", 10))
			fd = atoi(argv[i] + 10);
	char buf[256];
	ssize_t n;
	while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
		send(fd, buf, (size_t)n, 0);
	return 0;
}

static void on_term(int sig) { _exit(77); }

__attribute__((noinline)) void fake_sentry_crash(volatile int *p)
{
	*p = 1;
	__asm__ volatile("" ::: "memory");
}

static int fake_sentry(int argc, char **argv)
{
	int i = 1, gofer = -1;
	for (; i < argc && strcmp(argv[i], "--"); i++)
		if (!strncmp(argv[i], "--gofer-fd=", 11))
			gofer = atoi(argv[i] + 11);
	if (i++ >= argc || i >= argc)
		return 99;
	const char *cmd = argv[i];
	if (!strcmp(cmd, "args")) {
		for (int k = 0; k < argc; k++)
			printf("%s%s", argv[k], k + 1 < argc ? " " : "\n");
	} else if (!strcmp(cmd, "exit")) {
		return atoi(argv[i + 1]);
	} else if (!strcmp(cmd, "ns")) {
		printf("pid %d\n", getpid());
	} else if (!strcmp(cmd, "env")) {
		printf("%s\n", getenv("CVISOR_TEST_VAR"));
	} else if (!strcmp(cmd, "fds")) {
		/* Only stdio, the gofer socket and maybe the debug log. */
		int n = 0;
		for (int fd = 3; fd < 64; fd++)
			n += fcntl(fd, F_GETFD) >= 0;
		printf("fds %d\n", n);
	} else if (!strcmp(cmd, "gofer")) {
		char buf[16] = "";
		if (send(gofer, "ping", 4, 0) != 4 || recv(gofer, buf, sizeof buf - 1, 0) != 4)
			return 98;
		printf("%s\n", buf);
	} else if (!strcmp(cmd, "crash")) {
		log_init("cvisor-sentry", false, -1);
		crash_install();
		fake_sentry_crash(NULL);
	} else if (!strcmp(cmd, "wait-term")) {
		signal(SIGTERM, on_term);
		printf("ready\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	return 0;
}

/* ---- running cli_main in a child ---- */

struct run {
	int status; /* exit code, or 1000+signal */
	char out[8192], err[8192];
};

static void slurp(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;
	lseek(fd, 0, SEEK_SET);
	while (n < len - 1 && (r = read(fd, buf + n, len - 1 - n)) > 0)
		n += (size_t)r;
	buf[n] = 0;
	close(fd);
}

static int tmpfile_fd(void)
{
	char name[] = "/tmp/cvisor-cli-test.XXXXXX";
	int fd = mkstemp(name);
	assert_true(fd >= 0);
	unlink(name);
	return fd;
}

static void run_cli(struct run *r, char **argv)
{
	int out = tmpfile_fd(), err = tmpfile_fd();
	int argc = 0;
	while (argv[argc])
		argc++;
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out, 1);
		dup2(err, 2);
		exit(cli_main(argc, argv));
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
	slurp(out, r->out, sizeof r->out);
	slurp(err, r->err, sizeof r->err);
}

#define RUN(r, ...) run_cli(r, (char *[]){"cvisor", __VA_ARGS__, NULL})

/* ---- flags ---- */

static void test_flags_forms(void **s)
{
	const char *str = NULL, *other = NULL;
	bool b = false, c = true;
	struct flag t[] = {
	    {"str", FLAG_STR, &str},	 {"b", FLAG_BOOL, &b},	  {"c", FLAG_BOOL, &c},
	    {"other", FLAG_STR, &other}, {NULL, FLAG_BOOL, NULL},
	};
	const struct flag *tables[] = {t, NULL};
	char *argv[] = {"x", "--str=a=b", "-b",	     "--c=false", "--other",
			"v", "cmd",	  "--str=z", NULL};
	int i = 1;
	assert_int_equal(flags_parse(tables, 8, argv, &i), 0);
	assert_int_equal(i, 6);
	assert_string_equal(str, "a=b");
	assert_string_equal(other, "v");
	assert_true(b);
	assert_false(c);

	char *argv2[] = {"x", "--b", "--", "--str", NULL};
	i = 1;
	assert_int_equal(flags_parse(tables, 4, argv2, &i), 0);
	assert_int_equal(i, 3);
	assert_null(other == NULL ? NULL : NULL);
}

static void test_flags_errors(void **s)
{
	const char *str = NULL;
	bool b = false;
	struct flag t[] = {{"str", FLAG_STR, &str}, {"b", FLAG_BOOL, &b}, {NULL, FLAG_BOOL, NULL}};
	const struct flag *tables[] = {t, NULL};
	int i = 1;
	char *a1[] = {"x", "--str", NULL};
	assert_int_equal(flags_parse(tables, 2, a1, &i), 2);
	i = 1;
	char *a2[] = {"x", "--b=maybe", NULL};
	assert_int_equal(flags_parse(tables, 2, a2, &i), 2);
	i = 1;
	char *a3[] = {"x", "--st", NULL};
	assert_int_equal(flags_parse(tables, 2, a3, &i), 2);
}

/* ---- global flags and dispatch ---- */

static void test_version(void **s)
{
	struct run r;
	RUN(&r, "--version");
	assert_int_equal(r.status, 0);
	assert_string_equal(r.out, "cvisor version 0.1.0\nspec: 1.0.2\n");
}

static void test_help(void **s)
{
	struct run r;
	RUN(&r, "--debug", "--help");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Usage: cvisor"));
	assert_non_null(strstr(r.out, "--platform"));
	assert_non_null(strstr(r.out, "do "));
	RUN(&r, "do", "--help");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "--cwd"));
}

static void test_unknown_flag(void **s)
{
	struct run r;
	RUN(&r, "--bogus", "do", "true");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "cvisor: unknown flag: --bogus"));
	assert_int_equal(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err));
	RUN(&r, "do", "--bogus=1", "true");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "cvisor: unknown flag: --bogus"));
}

static void test_platform(void **s)
{
	struct run r;
	RUN(&r, "--platform", "x", "do", "true");
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err, "cvisor: unknown platform \"x\"\n");
	RUN(&r, "do", "--platform=y", "true");
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err, "cvisor: unknown platform \"y\"\n");
	RUN(&r, "--log-format=xml", "state", "c");
	assert_int_equal(r.status, 2);
}

static void test_subcommands(void **s)
{
	struct run r;
	RUN(&r, "--root", "/tmp/cvisor-cli-test-none", "--log=/dev/null", "--log-format", "json",
	    "state", "c1");
	assert_int_equal(r.status, 1);
	assert_string_equal(r.err, "cvisor: container \"c1\" does not exist\n");
	/* Global flags after the subcommand and its argument, as conmon mixes them. */
	RUN(&r, "state", "c1", "--root=/tmp/cvisor-cli-test-none", "--systemd-cgroup");
	assert_string_equal(r.err, "cvisor: container \"c1\" does not exist\n");
	RUN(&r, "--network", "pigeon", "list");
	assert_int_equal(r.status, 2);
	RUN(&r, "features");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"ociVersionMin\""));
	RUN(&r, "frobnicate");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "frobnicate"));
	assert_int_equal(strchr(r.err, '\n') - r.err + 1, (long)strlen(r.err));
	RUN(&r, "--debug");
	assert_int_equal(r.status, 2);
}

static void test_do_missing(void **s)
{
	struct run r;
	RUN(&r, "do");
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "cvisor: do: missing command"));
	RUN(&r, "do", "--strace", "--");
	assert_int_equal(r.status, 2);
}

/* ---- `cvisor do` against the stand-ins ---- */

static void test_do_args(void **s)
{
	struct run r;
	RUN(&r, "--strace", "do", "--cwd", "/etc", "--debug", "--", "args", "-x", "y z");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "__sentry --gofer-fd="));
	assert_non_null(
	    strstr(r.out, " --platform=ptrace --strace --debug --cwd=/etc -- args -x y z\n"));
	RUN(&r, "do", "--cwd=sub", "args");
	char here[4096], want[4200];
	assert_non_null(getcwd(here, sizeof here));
	snprintf(want, sizeof want, " --cwd=%s/sub -- args\n", strcmp(here, "/") ? here : "");
	assert_non_null(strstr(r.out, want));
}

static void test_do_exit(void **s)
{
	struct run r;
	RUN(&r, "do", "exit", "42");
	assert_int_equal(r.status, 42);
	assert_string_equal(r.err, "");
	RUN(&r, "do", "exit", "0");
	assert_int_equal(r.status, 0);
}

static void test_do_isolation(void **s)
{
	struct run r;
	setenv("CVISOR_TEST_VAR", "hello env", 1);
	RUN(&r, "do", "env");
	assert_string_equal(r.out, "hello env\n");
	RUN(&r, "do", "ns");
	assert_string_equal(r.out, "pid 1\n");
	RUN(&r, "do", "gofer");
	assert_string_equal(r.out, "ping\n");
	/* An fd leaked by the caller must not reach the sentry. */
	int leak = open("/dev/null", O_RDONLY);
	RUN(&r, "do", "fds");
	close(leak);
	assert_string_equal(r.out, "fds 1\n");
}

static void test_do_debug_log(void **s)
{
	char log[] = "/tmp/cvisor-cli-log.XXXXXX";
	int fd = mkstemp(log);
	assert_true(fd >= 0);
	close(fd);
	struct run r;
	RUN(&r, "--debug-log", log, "do", "args");
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, " --debug-log-fd="));
	RUN(&r, "--debug-log", log, "do", "fds");
	assert_string_equal(r.out, "fds 2\n");
	unlink(log);
}

static void test_do_crash(void **s)
{
#ifdef __SANITIZE_ADDRESS__
	/* AddressSanitizer keeps SIGSEGV for its own report. */
	skip();
#endif
	struct run r;
	RUN(&r, "do", "crash");
	assert_int_equal(r.status, 128 + SIGSEGV);
	assert_non_null(strstr(r.err, "cvisor-sentry: crashed: SIGSEGV"));
	assert_non_null(strstr(r.err, "fake_sentry_crash"));
	assert_non_null(strstr(r.err, "cvisor: do: sandbox crashed: SIGSEGV\n"));
}

static void test_do_no_leftovers(void **s)
{
	/* The launcher names the gofer's pid in its debug log; the gofer may
	 * be killed before it runs a single instruction of its own. */
	struct run r;
	RUN(&r, "--debug", "do", "exit", "3");
	assert_int_equal(r.status, 3);
	const char *p = strstr(r.err, "gofer pid ");
	assert_non_null(p);
	int pid = atoi(p + strlen("gofer pid "));
	assert_true(pid > 0);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static void test_do_forward_signal(void **s)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		close(p[1]);
		char *argv[] = {"cvisor", "do", "wait-term", NULL};
		exit(cli_main(3, argv));
	}
	close(p[1]);
	char buf[16] = "";
	assert_int_equal(read(p[0], buf, sizeof buf - 1), 6);
	assert_string_equal(buf, "ready\n");
	kill(pid, SIGTERM);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	close(p[0]);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 77);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "__gofer"))
		return fake_gofer(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "__sentry"))
		return fake_sentry(argc - 1, argv + 1);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flags_forms),	      cmocka_unit_test(test_flags_errors),
	    cmocka_unit_test(test_version),	      cmocka_unit_test(test_help),
	    cmocka_unit_test(test_unknown_flag),      cmocka_unit_test(test_platform),
	    cmocka_unit_test(test_subcommands),	      cmocka_unit_test(test_do_missing),
	    cmocka_unit_test(test_do_args),	      cmocka_unit_test(test_do_exit),
	    cmocka_unit_test(test_do_isolation),      cmocka_unit_test(test_do_debug_log),
	    cmocka_unit_test(test_do_crash),	      cmocka_unit_test(test_do_no_leftovers),
	    cmocka_unit_test(test_do_forward_signal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
