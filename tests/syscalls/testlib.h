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

/*
 * Helpers several tests share.  They return an error instead of failing
 * the test themselves, so that the CHECK around the call names the test's
 * own line.
 */
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

/* Directories tl_tmpdir made and not yet removed, and the process that
 * made each (a forked child's exit must not remove its parent's). */
static struct {
	char path[24];
	pid_t owner;
} tl_dirs[32];

static int tl_rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	return remove(path);
}

/* Removes dir and everything in it (symlinks themselves, never their
 * targets); 0, or -1 with errno. */
static inline int tl_rmtree(const char *dir)
{
	int r = nftw(dir, tl_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	for (size_t i = 0; i < sizeof tl_dirs / sizeof tl_dirs[0]; i++) {
		if (tl_dirs[i].path[0] && !strcmp(tl_dirs[i].path, dir)) {
			tl_dirs[i].path[0] = '\0';
			break;
		}
	}
	return r ? -1 : 0;
}

/* What a test that failed half-way left behind goes at exit. */
static void tl_rm_tmpdirs(void)
{
	for (size_t i = 0; i < sizeof tl_dirs / sizeof tl_dirs[0]; i++)
		if (tl_dirs[i].path[0] && tl_dirs[i].owner == getpid())
			nftw(tl_dirs[i].path, tl_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh, empty mkdtemp("/tmp/cvt-XXXXXX") directory, the only place a
 * test may write files.  tl_rmtree removes it; whatever is left of it goes
 * when the process that made it exits.  NULL with errno on failure. */
static inline const char *tl_tmpdir(void)
{
	static int registered;
	for (size_t i = 0; i < sizeof tl_dirs / sizeof tl_dirs[0]; i++) {
		if (tl_dirs[i].path[0])
			continue;
		if (!registered && atexit(tl_rm_tmpdirs))
			return NULL;
		registered = 1;
		strcpy(tl_dirs[i].path, "/tmp/cvt-XXXXXX");
		if (!mkdtemp(tl_dirs[i].path)) {
			tl_dirs[i].path[0] = '\0';
			return NULL;
		}
		tl_dirs[i].owner = getpid();
		return tl_dirs[i].path;
	}
	errno = EMFILE;
	return NULL;
}

static const char *tl_cwd_tmpdir;

/* A tl_tmpdir made the working directory, for tests that use relative
 * names; NULL with errno on failure. */
static inline const char *tl_enter_tmpdir(void)
{
	const char *dir = tl_tmpdir();
	if (dir && chdir(dir)) {
		int e = errno;
		tl_rmtree(dir);
		errno = e;
		return NULL;
	}
	return tl_cwd_tmpdir = dir;
}

/* Back to "/", and the directory tl_enter_tmpdir made removed. */
static inline int tl_leave_tmpdir(void)
{
	if (chdir("/"))
		return -1;
	return tl_rmtree(tl_cwd_tmpdir);
}

/* The address of a unix socket named name in directory dir; its length. */
static inline socklen_t tl_unix_path(const char *dir, struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	snprintf(a->sun_path, sizeof a->sun_path, "%s/%s", dir, name);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(a->sun_path) + 1);
}

/* A whole (small) file into buf, NUL-terminated: its length, or -1 with
 * errno if it cannot be opened or read. */
static inline ssize_t tl_slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	size_t len = 0;
	while (len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - len);
		if (n < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

/* The file at path holds exactly one line, text (like /proc/sys files). */
#define CHECK_FILE_LINE(path, text)                                            \
	do {                                                                   \
		char tl_got_[4096], tl_want_[4096];                            \
		CHECK(tl_slurp((path), tl_got_, sizeof tl_got_) > 0);          \
		snprintf(tl_want_, sizeof tl_want_, "%s\n", (text));           \
		CHECK_STREQ(tl_got_, tl_want_);                                \
	} while (0)

/* Splits a /proc/PID/stat line in place into at most max fields, the
 * command without its parentheses (it may hold spaces and ")"); returns
 * how many, or -1 if the line has no "(...)". */
static inline int tl_stat_fields(char *line, char **f, int max)
{
	char *open_ = strchr(line, '('), *close_ = strrchr(line, ')');
	if (!open_ || !close_ || max < 2)
		return -1;
	*open_ = *close_ = '\0';
	int n = 0;
	f[n++] = line;
	f[n++] = open_ + 1;
	for (char *p = strtok(close_ + 1, " \n"); p && n < max; p = strtok(NULL, " \n"))
		f[n++] = p;
	return n;
}

/* fork, but the child returns (0) only once the parent writes a byte to
 * *release, the write end of a pipe it gets back: the parent can set up
 * what the child's next step must find, e.g. itself about to sleep. */
static inline pid_t tl_fork_held(int *release)
{
	int p[2];
	*release = -1;
	if (pipe(p))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		CCHECK(read(p[0], &c, 1) == 1);
		close(p[0]);
		return 0;
	}
	close(p[0]);
	if (pid < 0)
		close(p[1]);
	else
		*release = p[1];
	return pid;
}

/* In the parent, once it has closed its copy of the pipe's write end: the
 * byte child pid writes to say it is ready, read from fd, which is then
 * closed.  pid, or -1 if the child went without a word (it is killed and
 * reaped, so that a test failing here leaves nothing running). */
static inline pid_t tl_child_ready(pid_t pid, int fd)
{
	char c;
	if (pid > 0 && read(fd, &c, 1) != 1) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		errno = ECHILD;
		pid = -1;
	}
	close(fd);
	return pid;
}

/* Forks a child that takes something with hold() (a lock the parent will
 * then wait for), and waits there until it is killed; returns once the
 * child holds it. */
static inline pid_t tl_fork_holder(int (*hold)(void))
{
	int ready[2];
	if (pipe(ready))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(ready[0]);
		CCHECK(hold() == 0);
		CCHECK(write(ready[1], "r", 1) == 1);
		for (;;)
			pause();
	}
	close(ready[1]);
	return tl_child_ready(pid, ready[0]);
}

static volatile sig_atomic_t tl_alarms;
static void tl_on_alarm(int sig) { tl_alarms++; }

/* A SIGALRM every usec microseconds, caught without SA_RESTART: a call
 * blocked in between fails with EINTR.  tl_alarms counts them. */
static inline int tl_alarms_start(long usec)
{
	struct sigaction sa = {.sa_handler = tl_on_alarm};
	struct itimerval it = {{0, usec}, {0, usec}};
	tl_alarms = 0;
	if (sigaction(SIGALRM, &sa, NULL))
		return -1;
	return setitimer(ITIMER_REAL, &it, NULL);
}

/* No more alarms, and SIGALRM back to its default. */
static inline void tl_alarms_stop(void)
{
	struct itimerval off = {{0, 0}, {0, 0}};
	setitimer(ITIMER_REAL, &off, NULL);
	signal(SIGALRM, SIG_DFL);
}
