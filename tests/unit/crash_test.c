/* Tests of the crash handler: a child that dereferences NULL must report
 * "crashed: SIGSEGV" with a backtrace naming the faulting function. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/crash.h"
#include "common/log.h"

/* Not static, not inlined: the backtrace must show it by name. */
__attribute__((noinline)) void cvisor_test_null_store(volatile int *p)
{
	*p = 42;
	__asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void cvisor_test_abort(void) { abort(); }

/* Runs how in a child with stderr captured; returns its wait status. */
static int run_child(void (*how)(void), char *out, size_t len)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		log_init("crashtest", false, -1);
		crash_install();
		how();
		_exit(0);
	}
	close(p[1]);
	size_t n = 0;
	ssize_t r;
	while (n < len - 1 && (r = read(p[0], out + n, len - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return st;
}

static void segv(void) { cvisor_test_null_store(NULL); }

static void test_segv(void **s)
{
#ifdef __SANITIZE_ADDRESS__
	/* AddressSanitizer keeps SIGSEGV for its own report. */
	skip();
#endif
	char out[8192];
	int st = run_child(segv, out, sizeof out);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGSEGV);
	assert_non_null(strstr(out, "crashtest: crashed: SIGSEGV at 0x0 (rip 0x"));
	assert_non_null(strstr(out, "#0  0x"));
	/* Frame 0 is the faulting function itself, not the handler. */
	char *f0 = strstr(out, "#0 ");
	assert_non_null(f0);
	char *eol = strchr(f0, '\n');
	assert_non_null(eol);
	*eol = 0;
	assert_non_null(strstr(f0, "cvisor_test_null_store+0x"));
	*eol = '\n';
	assert_non_null(strstr(out, "test_segv"));
}

static void test_abort(void **s)
{
	char out[8192];
	int st = run_child(cvisor_test_abort, out, sizeof out);
	assert_true(WIFSIGNALED(st));
	assert_int_equal(WTERMSIG(st), SIGABRT);
	assert_non_null(strstr(out, "crashed: SIGABRT"));
	assert_non_null(strstr(out, "cvisor_test_abort"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_segv),
	    cmocka_unit_test(test_abort),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
