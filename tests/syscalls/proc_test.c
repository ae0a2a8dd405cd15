/* proc_test: /proc as programs read it at start-up: self links, cmdline,
 * comm, status, stat, maps, fd/, task/, global files, process lifetimes. */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static int g_argc;
static char **g_argv, **g_envp;

/* Whether directory path lists name. */
static bool dir_has(const char *path, const char *name)
{
	DIR *d = opendir(path);
	if (!d)
		return false;
	bool found = false;
	struct dirent *e;
	while ((e = readdir(d)))
		if (!strcmp(e->d_name, name))
			found = true;
	closedir(d);
	return found;
}

static const char *base_name(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

TEST(self_is_a_link_to_the_pid)
{
	char buf[64], want[64];
	ssize_t n = CHECK_OK(readlink("/proc/self", buf, sizeof buf - 1));
	buf[n] = '\0';
	snprintf(want, sizeof want, "%d", getpid());
	CHECK_STREQ(buf, want);
	struct stat st;
	CHECK_OK(lstat("/proc/self", &st));
	CHECK(S_ISLNK(st.st_mode));
	CHECK_OK(stat("/proc/self", &st));
	CHECK(S_ISDIR(st.st_mode));
}

TEST(thread_self_resolves)
{
	char buf[64], want[64];
	ssize_t n = CHECK_OK(readlink("/proc/thread-self", buf, sizeof buf - 1));
	buf[n] = '\0';
	snprintf(want, sizeof want, "%d/task/%ld", getpid(), (long)syscall(SYS_gettid));
	CHECK_STREQ(buf, want);
	char comm[64];
	CHECK(tl_slurp("/proc/thread-self/comm", comm, sizeof comm) > 0);
}

TEST(exe_is_the_binary)
{
	char buf[PATH_MAX], real[PATH_MAX];
	CHECK(realpath(g_argv[0], real) != NULL);
	ssize_t n = CHECK_OK(readlink("/proc/self/exe", buf, sizeof buf - 1));
	buf[n] = '\0';
	CHECK_STREQ(buf, real);
	/* Following it reaches the same file. */
	struct stat a, b;
	CHECK_OK(stat("/proc/self/exe", &a));
	CHECK_OK(stat(real, &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_size, b.st_size);
}

TEST(cmdline_is_argv)
{
	char want[8192], buf[8192];
	size_t len = 0;
	for (int i = 0; i < g_argc; i++) {
		size_t l = strlen(g_argv[i]) + 1;
		CHECK(len + l < sizeof want);
		memcpy(want + len, g_argv[i], l);
		len += l;
	}
	ssize_t n = tl_slurp("/proc/self/cmdline", buf, sizeof buf);
	CHECK_EQ(n, len);
	CHECK(memcmp(buf, want, len) == 0);
}

TEST(environ_is_envp)
{
	static char want[65536], buf[65536];
	size_t len = 0;
	for (char **e = g_envp; *e; e++) {
		size_t l = strlen(*e) + 1;
		if (len + l >= sizeof want)
			return; /* a huge environment: not this test's business */
		memcpy(want + len, *e, l);
		len += l;
	}
	ssize_t n = tl_slurp("/proc/self/environ", buf, sizeof buf);
	CHECK_EQ(n, len);
	CHECK(memcmp(buf, want, len) == 0);
}

TEST(comm_is_the_name)
{
	char buf[64], want[32];
	snprintf(want, sizeof want, "%.15s\n", base_name(g_argv[0]));
	CHECK(tl_slurp("/proc/self/comm", buf, sizeof buf) > 0);
	CHECK_STREQ(buf, want);
}

TEST(status_names_the_process)
{
	char buf[8192], line[128];
	CHECK(tl_slurp("/proc/self/status", buf, sizeof buf) > 0);
	snprintf(line, sizeof line, "\nPid:\t%d\n", getpid());
	CHECK(strstr(buf, line));
	snprintf(line, sizeof line, "\nTgid:\t%d\n", getpid());
	CHECK(strstr(buf, line));
	snprintf(line, sizeof line, "\nPPid:\t%d\n", getppid());
	CHECK(strstr(buf, line));
	snprintf(line, sizeof line, "Name:\t%.15s\n", base_name(g_argv[0]));
	CHECK(strncmp(buf, line, strlen(line)) == 0);
	CHECK(strstr(buf, "\nState:\tR (running)\n"));
	snprintf(line, sizeof line, "\nUid:\t%d\t%d\t", getuid(), geteuid());
	CHECK(strstr(buf, line));
	CHECK(strstr(buf, "\nThreads:\t1\n"));
	CHECK(strstr(buf, "\nSigBlk:\t"));
	CHECK(strstr(buf, "\nCapEff:\t"));
	CHECK(strstr(buf, "\nVmSize:\t"));
}

/* Splits /proc/PID/stat into its fields (comm without parentheses);
 * returns the number of fields. */
static int stat_fields(const char *path, char *buf, size_t size, char **f, int max)
{
	if (tl_slurp(path, buf, size) <= 0)
		return -1;
	return tl_stat_fields(buf, f, max);
}

TEST(stat_fields_are_real)
{
	char buf[4096], *f[64];
	int n = stat_fields("/proc/self/stat", buf, sizeof buf, f, 64);
	CHECK(n >= 52);
	CHECK_EQ(atoi(f[0]), getpid());
	CHECK_STREQ(f[2], "R");
	CHECK_EQ(atoi(f[3]), getppid());
	CHECK_EQ(atoi(f[4]), getpgrp());
	CHECK_EQ(atoi(f[5]), getsid(0));
	CHECK_EQ(atoi(f[19]), 1); /* num_threads */
	char want[32];
	snprintf(want, sizeof want, "%.15s", base_name(g_argv[0]));
	CHECK_STREQ(f[1], want);
}

TEST(maps_show_binary_and_stack)
{
	static char buf[262144];
	char real[PATH_MAX];
	CHECK(realpath(g_argv[0], real) != NULL);
	CHECK(tl_slurp("/proc/self/maps", buf, sizeof buf) > 0);
	CHECK(strstr(buf, real));
	CHECK(strstr(buf, "[stack]\n"));
	/* Every line starts with a lo-hi range. */
	unsigned long lo, hi;
	CHECK_EQ(sscanf(buf, "%lx-%lx ", &lo, &hi), 2);
	CHECK(lo < hi);
}

TEST(fd_dir_lists_open_fds)
{
	int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
	char name[16];
	snprintf(name, sizeof name, "%d", fd);
	CHECK(dir_has("/proc/self/fd", "0"));
	CHECK(dir_has("/proc/self/fd", "1"));
	CHECK(dir_has("/proc/self/fd", "2"));
	CHECK(dir_has("/proc/self/fd", name));
	char path[64], buf[PATH_MAX], real[PATH_MAX];
	snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	ssize_t n = CHECK_OK(readlink(path, buf, sizeof buf - 1));
	buf[n] = '\0';
	CHECK(realpath("/etc/passwd", real) != NULL);
	CHECK_STREQ(buf, real);
	/* Opening the link opens the file again, at offset 0. */
	char a[64], b[64];
	CHECK_OK(read(fd, a, 10));
	int fd2 = CHECK_OK(open(path, O_RDONLY));
	CHECK_EQ(read(fd2, b, sizeof b), sizeof b);
	CHECK_EQ(pread(fd, a, sizeof a, 0), sizeof a);
	CHECK(memcmp(a, b, sizeof a) == 0);
	close(fd2);
	close(fd);
	CHECK_ERRNO(readlink(path, buf, sizeof buf), ENOENT);
}

TEST(fd_of_a_pipe_reads_the_pipe)
{
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "hello", 5), 5);
	char path[64], buf[64];
	snprintf(path, sizeof path, "/proc/self/fd/%d", p[0]);
	ssize_t n = CHECK_OK(readlink(path, buf, sizeof buf - 1));
	buf[n] = '\0';
	CHECK(strncmp(buf, "pipe:[", 6) == 0);
	CHECK_EQ(buf[n - 1], ']');
	int fd = CHECK_OK(open(path, O_RDONLY));
	CHECK_EQ(read(fd, buf, sizeof buf), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_OK(stat(path, &st));
	CHECK(S_ISFIFO(st.st_mode));
	close(fd);
	close(p[0]);
	close(p[1]);
}

TEST(proc_lists_self_and_pid)
{
	char name[16];
	snprintf(name, sizeof name, "%d", getpid());
	CHECK(dir_has("/proc", "self"));
	CHECK(dir_has("/proc", "thread-self"));
	CHECK(dir_has("/proc", name));
	CHECK(dir_has("/proc", "meminfo"));
	CHECK(dir_has("/proc", "."));
	CHECK(dir_has("/proc/self", "status"));
	CHECK(dir_has("/proc/self", "fd"));
	struct stat st;
	char path[64];
	snprintf(path, sizeof path, "/proc/%d", getpid());
	CHECK_OK(stat(path, &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_uid, geteuid());
}

TEST(dotdot_leaves_proc)
{
	struct stat a, b;
	CHECK_OK(stat("/proc/..", &a));
	CHECK_OK(stat("/", &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_dev, b.st_dev);
	CHECK_OK(stat("/proc/self/../self/fd/..", &a));
	CHECK(S_ISDIR(a.st_mode));
	struct statfs sf;
	CHECK_OK(statfs("/proc/self", &sf));
	CHECK_EQ(sf.f_type, 0x9fa0); /* PROC_SUPER_MAGIC */
}

TEST(cwd_inside_proc)
{
	char saved[PATH_MAX], buf[PATH_MAX], want[64];
	CHECK(getcwd(saved, sizeof saved));
	CHECK_OK(chdir("/proc/self"));
	char *r = getcwd(buf, sizeof buf);
	int e = errno;
	CHECK_OK(chdir(saved));
	errno = e;
	CHECK(r != NULL);
	snprintf(want, sizeof want, "/proc/%d", getpid());
	CHECK_STREQ(buf, want);
	ssize_t n = CHECK_OK(readlink("/proc/self/cwd", buf, sizeof buf - 1));
	buf[n] = '\0';
	CHECK_STREQ(buf, saved);
	n = CHECK_OK(readlink("/proc/self/root", buf, sizeof buf - 1));
	buf[n] = '\0';
	CHECK_STREQ(buf, "/");
	/* The cwd link leads to the directory itself. */
	struct stat a, b;
	CHECK_OK(stat("/proc/self/cwd/.", &a));
	CHECK_OK(stat(saved, &b));
	CHECK_EQ(a.st_ino, b.st_ino);
}

/* Waits (bounded, no timing assertion) until /proc/PID/stat shows state;
 * fills the fields. */
static bool wait_state(int pid, char state, char *buf, size_t size, char **f)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	for (int i = 0; i < 20000; i++) {
		int n = stat_fields(path, buf, size, f, 64);
		if (n >= 52 && f[2][0] == state)
			return true;
		usleep(1000);
	}
	return false;
}

TEST(child_stat_shows_its_state)
{
	int p[2];
	CHECK_OK(pipe(p));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		char c;
		close(p[1]);
		_exit(read(p[0], &c, 1) == 1 ? 7 : 1);
	}
	close(p[0]);
	char buf[4096], *f[64];
	/* Blocked in read: sleeping. */
	CHECK(wait_state(pid, 'S', buf, sizeof buf, f));
	CHECK_EQ(atoi(f[0]), pid);
	CHECK_EQ(atoi(f[3]), getpid());
	char name[16];
	snprintf(name, sizeof name, "%d", pid);
	CHECK(dir_has("/proc", name));
	CHECK_EQ(write(p[1], "x", 1), 1);
	close(p[1]);
	/* Exited, not reaped yet: a zombie. */
	CHECK(wait_state(pid, 'Z', buf, sizeof buf, f));
	WAIT_EXIT(pid, 7);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	CHECK_ERRNO(open(path, O_RDONLY), ENOENT);
	CHECK(!dir_has("/proc", name));
}

static int thread_pipe[2];
static volatile long thread_tid;

static void *blocker(void *arg)
{
	char c;
	thread_tid = syscall(SYS_gettid);
	return (void *)(intptr_t)read(thread_pipe[0], &c, 1);
}

TEST(task_lists_threads)
{
	char name[16], buf[8192];
	snprintf(name, sizeof name, "%ld", (long)syscall(SYS_gettid));
	CHECK(dir_has("/proc/self/task", name));
	CHECK_OK(pipe(thread_pipe));
	pthread_t th;
	CHECK_EQ(pthread_create(&th, NULL, blocker, NULL), 0);
	while (!thread_tid)
		usleep(1000);
	snprintf(name, sizeof name, "%ld", thread_tid);
	bool listed = dir_has("/proc/self/task", name);
	char path[64];
	snprintf(path, sizeof path, "/proc/self/task/%ld/stat", thread_tid);
	ssize_t n = tl_slurp(path, buf, sizeof buf);
	ssize_t s = tl_slurp("/proc/self/status", buf + 4096, 4096);
	CHECK_EQ(write(thread_pipe[1], "x", 1), 1);
	void *ret;
	CHECK_EQ(pthread_join(th, &ret), 0);
	close(thread_pipe[0]);
	close(thread_pipe[1]);
	CHECK(listed);
	CHECK(n > 0);
	CHECK_EQ(atol(buf), thread_tid);
	CHECK(s > 0);
	CHECK(strstr(buf + 4096, "\nThreads:\t2\n"));
}

TEST(global_files)
{
	static char buf[262144];
	CHECK(tl_slurp("/proc/meminfo", buf, sizeof buf) > 0);
	CHECK(strncmp(buf, "MemTotal:", 9) == 0);
	CHECK(strstr(buf, "\nMemFree:"));
	CHECK(strstr(buf, "\nMemAvailable:"));
	CHECK(tl_slurp("/proc/cpuinfo", buf, sizeof buf) > 0);
	CHECK(strncmp(buf, "processor", 9) == 0);
	double up, idle;
	CHECK(tl_slurp("/proc/uptime", buf, sizeof buf) > 0);
	CHECK_EQ(sscanf(buf, "%lf %lf", &up, &idle), 2);
	CHECK(up > 0);
	CHECK(tl_slurp("/proc/loadavg", buf, sizeof buf) > 0);
	int running, total, last;
	CHECK_EQ(sscanf(buf, "%*f %*f %*f %d/%d %d", &running, &total, &last), 3);
	CHECK(total >= 1);
	CHECK(tl_slurp("/proc/stat", buf, sizeof buf) > 0);
	CHECK(strncmp(buf, "cpu ", 4) == 0);
	CHECK(strstr(buf, "\nbtime "));
	struct utsname u;
	CHECK_OK(uname(&u));
	CHECK_FILE_LINE("/proc/sys/kernel/osrelease", u.release);
	CHECK_FILE_LINE("/proc/sys/kernel/hostname", u.nodename);
	CHECK_FILE_LINE("/proc/sys/kernel/ostype", "Linux");
	CHECK(tl_slurp("/proc/sys/kernel/pid_max", buf, sizeof buf) > 0);
	CHECK(atoi(buf) > 0);
	CHECK(tl_slurp("/proc/version", buf, sizeof buf) > 0);
	CHECK(strncmp(buf, "Linux version ", 14) == 0);
	CHECK(tl_slurp("/proc/self/mounts", buf, sizeof buf) > 0);
	CHECK(strstr(buf, " /proc proc "));
	CHECK(tl_slurp("/proc/mounts", buf, sizeof buf) > 0);
	CHECK(strstr(buf, " /proc proc "));
}

TEST(reads_are_consistent)
{
	/* Small reads at a moving offset see one generated text. */
	char whole[8192], pieces[8192];
	ssize_t n = tl_slurp("/proc/self/stat", whole, sizeof whole);
	CHECK(n > 0);
	int fd = CHECK_OK(open("/proc/self/stat", O_RDONLY));
	size_t len = 0;
	ssize_t r;
	while ((r = read(fd, pieces + len, 7)) > 0)
		len += (size_t)r;
	CHECK_EQ(r, 0);
	CHECK_EQ(pread(fd, pieces + len, 16, 0), 16);
	close(fd);
	CHECK(len > 0);
	CHECK_EQ(strncmp(pieces, pieces + len, 16), 0);
	/* A non-directory cannot be listed; a directory cannot be read. */
	fd = CHECK_OK(open("/proc/self", O_RDONLY | O_DIRECTORY));
	char c;
	CHECK_ERRNO(read(fd, &c, 1), EISDIR);
	close(fd);
	CHECK_ERRNO(open("/proc/self/status", O_RDONLY | O_DIRECTORY), ENOTDIR);
}

TEST(missing_pid_is_enoent)
{
	struct stat st;
	CHECK_ERRNO(stat("/proc/999999", &st), ENOENT);
	CHECK_ERRNO(open("/proc/999999/status", O_RDONLY), ENOENT);
	CHECK_ERRNO(stat("/proc/self/nonexistent", &st), ENOENT);
	CHECK_ERRNO(stat("/proc/self/fd/999999", &st), ENOENT);
	CHECK_ERRNO(stat("/proc/notapid", &st), ENOENT);
}

int main(int argc, char **argv, char **envp)
{
	g_argc = argc;
	g_argv = argv;
	g_envp = envp;
	/* Tests are selected by name: keep cmdline about ourselves only. */
	return RUN_TESTS(argc, argv, self_is_a_link_to_the_pid, thread_self_resolves,
			 exe_is_the_binary, cmdline_is_argv, environ_is_envp, comm_is_the_name,
			 status_names_the_process, stat_fields_are_real, maps_show_binary_and_stack,
			 fd_dir_lists_open_fds, fd_of_a_pipe_reads_the_pipe, proc_lists_self_and_pid,
			 dotdot_leaves_proc, cwd_inside_proc, child_stat_shows_its_state,
			 task_lists_threads, global_files, reads_are_consistent,
			 missing_pid_is_enoent);
}
