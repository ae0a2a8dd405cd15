/* testlib: a header-only test framework for the syscall test programs. */
#pragma once

/*
 * A test program defines `static void name(void)` functions with TEST(name)
 * and runs them from main with RUN_TESTS(argc, argv, name1, name2, ...).
 * A failed check prints "FAIL file:line: message" and ends the current test
 * (later checks usually depend on earlier ones, and a cascade of bogus
 * pointers would only crash the program and hide the first report); the
 * remaining tests still run.  Each test ends with "ok NAME" or
 * "FAIL NAME"; the exit status is 0 only if every test passed.
 * Giving test names as arguments runs only those tests.
 *
 * The programs must stay plain: libc (and pthreads) only, and files written
 * only inside the test's own mkdtemp("/tmp/cvt-XXXXXX") directory, removed
 * at the end, so that they run under the sandbox exactly as natively.
 */

#include <errno.h>
#include <unistd.h>
#include <sys/wait.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static jmp_buf tl_jmp;
static int tl_current_failed;

__attribute__((format(printf, 3, 4), noreturn)) static void tl_fail(const char *file, int line,
								      const char *fmt, ...)
{
	va_list ap;

	printf("FAIL %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	tl_current_failed = 1;
	longjmp(tl_jmp, 1);
}

#define TEST(name) static void name(void)

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			tl_fail(__FILE__, __LINE__, "CHECK(%s) (errno %d %s)", \
				#cond, errno, strerror(errno));                \
	} while (0)

/* Values are compared as 64-bit integers (pointers, sizes, ids alike). */
#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		int64_t tl_a_ = (int64_t)(a), tl_b_ = (int64_t)(b);            \
		if (tl_a_ != tl_b_)                                            \
			tl_fail(__FILE__, __LINE__,                            \
				"%s == %s: %" PRId64 " (0x%" PRIx64            \
				") != %" PRId64 " (0x%" PRIx64 ") (errno %d)", \
				#a, #b, tl_a_, (uint64_t)tl_a_, tl_b_,         \
				(uint64_t)tl_b_, errno);                       \
	} while (0)

#define CHECK_STREQ(a, b)                                                      \
	do {                                                                   \
		const char *tl_a_ = (a), *tl_b_ = (b);                         \
		if (strcmp(tl_a_, tl_b_) != 0)                                 \
			tl_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", \
				#a, #b, tl_a_, tl_b_);                         \
	} while (0)

/* The call must fail: return -1 (or MAP_FAILED) and set errno to err. */
#define CHECK_ERRNO(call, err)                                                 \
	do {                                                                   \
		errno = 0;                                                     \
		int64_t tl_r_ = (int64_t)(intptr_t)(call);                     \
		int tl_e_ = errno;                                             \
		if (tl_r_ != -1 || tl_e_ != (err))                             \
			tl_fail(__FILE__, __LINE__,                            \
				"%s: expected -1 errno %d (%s), got %" PRId64  \
				" errno %d (%s)",                              \
				#call, (err), strerror(err), tl_r_, tl_e_,     \
				strerror(tl_e_));                              \
	} while (0)

/* The call must succeed (not return -1); evaluates to its result. */
#define CHECK_OK(call)                                                         \
	({                                                                     \
		errno = 0;                                                     \
		__typeof__(call) tl_v_ = (call);                               \
		if ((int64_t)(intptr_t)tl_v_ == -1)                            \
			tl_fail(__FILE__, __LINE__, "%s failed: errno %d (%s)", \
				#call, errno, strerror(errno));                \
		tl_v_;                                                         \
	})

static int tl_selected(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return 1;
	return 0;
}

/* setjmp lives in its own frame so tl_main's locals cannot be clobbered. */
static int tl_run_one(void (*fn)(void))
{
	tl_current_failed = 0;
	if (setjmp(tl_jmp) == 0)
		fn();
	return tl_current_failed;
}

/* In a forked child: a failed check prints its line and exits 99, which
 * the parent's wait then reports. */
#define CCHECK(cond)                                                                               \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			printf("FAIL %s:%d: in child %d: CHECK(%s) (errno %d)\n", __FILE__,        \
			       __LINE__, (int)getpid(), #cond, errno);                             \
			_exit(99);                                                                 \
		}                                                                                  \
	} while (0)

/* In the parent: pid exits normally with code. */
#define WAIT_EXIT(pid, code)                                                                       \
	do {                                                                                       \
		int st_;                                                                           \
		CHECK_EQ(waitpid((pid), &st_, 0), (pid));                                          \
		CHECK(WIFEXITED(st_));                                                             \
		CHECK_EQ(WEXITSTATUS(st_), (code));                                                \
	} while (0)

/* names is the stringified argument list of RUN_TESTS: "a, b, c". */
static int tl_main(int argc, char **argv, const char *names, void (*const *fns)(void), int n)
{
	int failed = 0, ran = 0;
	const char *p = names;

	/* Unbuffered, so a test that kills the process still shows every
	 * line written before it died. */
	setvbuf(stdout, NULL, _IONBF, 0);
	for (int i = 0; i < n; i++) {
		char name[128];
		size_t len;

		while (*p == ' ' || *p == ',' || *p == '\n' || *p == '\t')
			p++;
		len = strcspn(p, ", \t\n");
		if (len >= sizeof name)
			len = sizeof name - 1;
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		if (!tl_selected(argc, argv, name))
			continue;
		ran++;
		if (tl_run_one(fns[i])) {
			failed++;
			printf("FAIL %s\n", name);
		} else {
			printf("ok   %s\n", name);
		}
	}
	if (ran == 0) {
		printf("FAIL no test matched\n");
		return 1;
	}
	printf("%d tests, %d failed\n", ran, failed);
	return failed ? 1 : 0;
}

#define RUN_TESTS(argc, argv, ...)                                             \
	tl_main((argc), (argv), #__VA_ARGS__,                                  \
		(void (*const[])(void)){__VA_ARGS__},                          \
		(int)(sizeof((void (*const[])(void)){__VA_ARGS__}) /           \
		      sizeof(void (*)(void))))
