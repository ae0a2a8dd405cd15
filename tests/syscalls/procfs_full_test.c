/* procfs_full_test: the whole per-process and global /proc file set, read
 * back against what the syscalls say (ids, rlimits, masks, umask, cwd),
 * and its writable files (comm, oom_score_adj). */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "testlib.h"

static char big[1 << 20];

/* The value after "key:" on its own line of an already-read file, or NULL. */
static const char *field(const char *text, const char *key)
{
	size_t kl = strlen(key);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		if (!strncmp(p, key, kl) && p[kl] == ':') {
			p += kl + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
	}
	return NULL;
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, s, strlen(s));
	int e = errno;
	close(fd);
	errno = e;
	return n < 0 ? -1 : (int)n;
}

TEST(status_matches_syscalls)
{
	char line[256];
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	CHECK_OK(sigprocmask(SIG_BLOCK, &set, &old));
	signal(SIGUSR2, SIG_IGN);
	mode_t um = umask(027);
	ssize_t n = tl_slurp("/proc/self/status", big, sizeof big);
	umask(um);
	signal(SIGUSR2, SIG_DFL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK(n > 0);
	const char *v;
	CHECK((v = field(big, "Umask")));
	CHECK_EQ(strtol(v, NULL, 8), 027);
	CHECK((v = field(big, "State")) && *v == 'R');
	CHECK((v = field(big, "Tgid")) && atoi(v) == getpid());
	CHECK((v = field(big, "Pid")) && atoi(v) == getpid());
	CHECK((v = field(big, "PPid")) && atoi(v) == getppid());
	CHECK((v = field(big, "TracerPid")) && atoi(v) == 0);
	uid_t r, e, s;
	gid_t rg, eg, sg;
	CHECK_OK(getresuid(&r, &e, &s));
	CHECK_OK(getresgid(&rg, &eg, &sg));
	snprintf(line, sizeof line, "%u\t%u\t%u\t%u\n", r, e, s, e);
	CHECK((v = field(big, "Uid")) && !strncmp(v, line, strlen(line)));
	snprintf(line, sizeof line, "%u\t%u\t%u\t%u\n", rg, eg, sg, eg);
	CHECK((v = field(big, "Gid")) && !strncmp(v, line, strlen(line)));
	CHECK((v = field(big, "FDSize")) && atoi(v) >= 3);
	CHECK(field(big, "Groups"));
	CHECK((v = field(big, "NStgid")) && atoi(v) == getpid());
	CHECK((v = field(big, "NSpid")) && atoi(v) == getpid());
	CHECK((v = field(big, "NSpgid")) && atoi(v) == getpgrp());
	CHECK((v = field(big, "NSsid")) && atoi(v) == getsid(0));
	CHECK((v = field(big, "VmSize")) && atol(v) > 0);
	CHECK((v = field(big, "VmRSS")) && atol(v) > 0);
	CHECK(field(big, "VmPeak") && field(big, "VmData") && field(big, "VmStk"));
	CHECK((v = field(big, "Threads")) && atoi(v) == 1);
	CHECK(field(big, "SigQ"));
	CHECK((v = field(big, "SigBlk")) && (strtoull(v, NULL, 16) & (1ULL << (SIGUSR1 - 1))));
	CHECK((v = field(big, "SigIgn")) && (strtoull(v, NULL, 16) & (1ULL << (SIGUSR2 - 1))));
	CHECK(field(big, "SigPnd") && field(big, "ShdPnd") && field(big, "SigCgt"));
	CHECK(field(big, "CapInh") && field(big, "CapPrm") && field(big, "CapEff"));
	CHECK(field(big, "CapBnd") && field(big, "CapAmb"));
	CHECK((v = field(big, "NoNewPrivs")) && atoi(v) == prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	CHECK(field(big, "Seccomp"));
	CHECK(field(big, "Cpus_allowed") && field(big, "Cpus_allowed_list"));
	CHECK(field(big, "voluntary_ctxt_switches"));
	CHECK(field(big, "nonvoluntary_ctxt_switches"));
}

TEST(stat_has_52_fields)
{
	char *f[64], up[128];
	CHECK(tl_slurp("/proc/self/stat", big, sizeof big) > 0);
	CHECK_EQ(tl_stat_fields(big, f, 64), 52);
	CHECK_EQ(atoi(f[0]), getpid());
	CHECK_STREQ(f[2], "R");
	CHECK_EQ(atoi(f[3]), getppid());
	CHECK_EQ(atoi(f[4]), getpgrp());
	CHECK_EQ(atoi(f[5]), getsid(0));
	errno = 0;
	CHECK_EQ(atoi(f[18]), getpriority(PRIO_PROCESS, 0)); /* nice */
	CHECK_EQ(atoi(f[17]), 20 + getpriority(PRIO_PROCESS, 0));
	CHECK_EQ(atoi(f[19]), 1);			      /* num_threads */
	CHECK(strtoull(f[22], NULL, 10) > 0);		      /* vsize */
	CHECK(strtoull(f[23], NULL, 10) > 0);		      /* rss */
	CHECK_EQ(atoi(f[37]), SIGCHLD);			      /* exit_signal */
	/* Started after boot, before now. */
	CHECK(tl_slurp("/proc/uptime", up, sizeof up) > 0);
	double uptime = strtod(up, NULL);
	unsigned long long start = strtoull(f[21], NULL, 10);
	CHECK(start / 100.0 <= uptime + 1);
}

TEST(statm_matches_status)
{
	static char status[16384];
	char statm[256];
	CHECK(tl_slurp("/proc/self/status", status, sizeof status) > 0);
	CHECK(tl_slurp("/proc/self/statm", statm, sizeof statm) > 0);
	unsigned long size, res;
	CHECK_EQ(sscanf(statm, "%lu %lu", &size, &res), 2);
	const char *v = field(status, "VmSize");
	CHECK(v);
	CHECK_EQ(size * (unsigned long)sysconf(_SC_PAGESIZE) / 1024, atol(v));
	CHECK(res > 0 && res <= size);
}

TEST(comm_is_writable)
{
	char old[32], buf[64];
	CHECK_OK(prctl(PR_GET_NAME, old, 0, 0, 0));
	CHECK_EQ(write_file("/proc/self/comm", "cvt-renamed"), 11);
	CHECK_OK(prctl(PR_GET_NAME, buf, 0, 0, 0));
	CHECK_STREQ(buf, "cvt-renamed");
	CHECK(tl_slurp("/proc/self/comm", buf, sizeof buf) > 0);
	CHECK_STREQ(buf, "cvt-renamed\n");
	/* Longer names are cut at 15 bytes; the whole write is taken. */
	CHECK_EQ(write_file("/proc/self/comm", "0123456789abcdefghij"), 20);
	CHECK(tl_slurp("/proc/self/comm", buf, sizeof buf) > 0);
	CHECK_STREQ(buf, "0123456789abcde\n");
	/* Another process's name is not ours to change. */
	int p[2];
	CHECK_OK(pipe(p));
	pid_t c = CHECK_OK(fork());
	if (c == 0) {
		char x;
		close(p[1]);
		read(p[0], &x, 1);
		_exit(0);
	}
	close(p[0]);
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/comm", c);
	int fd = open(path, O_WRONLY);
	int werr = 0;
	if (fd >= 0) {
		if (write(fd, "x", 1) < 0)
			werr = errno;
		close(fd);
	}
	close(p[1]);
	waitpid(c, NULL, 0);
	CHECK(fd >= 0);
	CHECK_EQ(werr, EINVAL);
	CHECK_OK(prctl(PR_SET_NAME, old, 0, 0, 0));
}

static pid_t thread_tid;
static int go_pipe[2];

static void *named_thread(void *arg)
{
	thread_tid = (pid_t)syscall(SYS_gettid);
	prctl(PR_SET_NAME, "cvt-worker", 0, 0, 0);
	char x;
	write(go_pipe[1], "r", 1);
	read(go_pipe[0], &x, 1); /* until the main thread is done */
	return NULL;
}

TEST(task_dirs_have_thread_files)
{
	int back[2];
	pthread_t th;
	CHECK_OK(pipe(go_pipe));
	CHECK_OK(pipe(back));
	int saved = go_pipe[1];
	go_pipe[1] = back[1];
	CHECK_EQ(pthread_create(&th, NULL, named_thread, NULL), 0);
	char x, path[128], buf[4096], *f[64];
	CHECK_EQ(read(back[0], &x, 1), 1);
	go_pipe[1] = saved;
	snprintf(path, sizeof path, "/proc/self/task/%d/comm", thread_tid);
	CHECK(tl_slurp(path, buf, sizeof buf) > 0);
	CHECK_STREQ(buf, "cvt-worker\n");
	snprintf(path, sizeof path, "/proc/self/task/%d/status", thread_tid);
	CHECK(tl_slurp(path, big, sizeof big) > 0);
	CHECK(atoi(field(big, "Pid")) == thread_tid);
	CHECK(atoi(field(big, "Tgid")) == getpid());
	CHECK(atoi(field(big, "Threads")) == 2);
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", thread_tid);
	CHECK(tl_slurp(path, buf, sizeof buf) > 0);
	CHECK_EQ(tl_stat_fields(buf, f, 64), 52);
	CHECK_EQ(atoi(f[0]), thread_tid);
	CHECK_STREQ(f[1], "cvt-worker");
	const char *names[] = {"limits", "maps", "smaps", "fdinfo", "oom_score_adj", "mountinfo"};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		struct stat st;
		snprintf(path, sizeof path, "/proc/self/task/%d/%s", thread_tid, names[i]);
		CHECK_OK(stat(path, &st));
	}
	/* /proc/self/comm is the leader's, unchanged by the thread. */
	CHECK(tl_slurp("/proc/self/comm", buf, sizeof buf) > 0);
	CHECK(strcmp(buf, "cvt-worker\n") != 0);
	CHECK_EQ(write(go_pipe[1], "g", 1), 1);
	pthread_join(th, NULL);
	close(go_pipe[0]);
	close(go_pipe[1]);
	close(back[0]);
	close(back[1]);
}

TEST(links_exe_cwd_root)
{
	char buf[PATH_MAX], cwd[PATH_MAX];
	ssize_t n = CHECK_OK(readlink("/proc/self/root", buf, sizeof buf - 1));
	buf[n] = '\0';
	CHECK_STREQ(buf, "/");
	n = CHECK_OK(readlink("/proc/self/cwd", buf, sizeof buf - 1));
	buf[n] = '\0';
	CHECK(getcwd(cwd, sizeof cwd));
	CHECK_STREQ(buf, cwd);
	n = CHECK_OK(readlink("/proc/self/exe", buf, sizeof buf - 1));
	buf[n] = '\0';
	struct stat a, b;
	CHECK_OK(stat(buf, &a));
	CHECK_OK(stat("/proc/self/exe", &b));
	CHECK_EQ(a.st_ino, b.st_ino);
}

TEST(smaps_sizes_match_maps)
{
	static char maps[262144];
	CHECK(tl_slurp("/proc/self/maps", maps, sizeof maps) > 0);
	CHECK(tl_slurp("/proc/self/smaps", big, sizeof big) > 0);
	unsigned long total = 0, lo, hi;
	int vmas = 0;
	for (char *p = maps; *p; p = strchr(p, '\n') + 1) {
		CHECK_EQ(sscanf(p, "%lx-%lx", &lo, &hi), 2);
		total += hi - lo;
		vmas++;
	}
	unsigned long ssum = 0;
	int sizes = 0, rss_rows = 0, flags_rows = 0;
	for (char *p = big; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		unsigned long kb;
		if (sscanf(p, "Size: %lu kB", &kb) == 1) {
			ssum += kb * 1024;
			sizes++;
		}
		if (!strncmp(p, "Rss:", 4))
			rss_rows++;
		if (!strncmp(p, "VmFlags:", 8))
			flags_rows++;
	}
	CHECK_EQ(sizes, vmas);
	CHECK_EQ(rss_rows, vmas);
	CHECK_EQ(flags_rows, vmas);
	CHECK_EQ(ssum, total);
	const char *keys[] = {"KernelPageSize", "MMUPageSize", "Pss", "Shared_Clean",
			      "Shared_Dirty", "Private_Clean", "Private_Dirty", "Referenced",
			      "Anonymous", "Swap", "Locked"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		CHECK(field(big, keys[i]));
	CHECK_EQ(atol(field(big, "KernelPageSize")), 4);
	CHECK_EQ(atol(field(big, "Swap")), 0);
}

TEST(fdinfo_pos_flags_ino)
{
	int fd = CHECK_OK(open("/etc/passwd", O_RDONLY | O_CLOEXEC));
	CHECK_EQ(lseek(fd, 10, SEEK_SET), 10);
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	CHECK(tl_slurp(path, buf, sizeof buf) > 0);
	const char *v;
	CHECK((v = field(buf, "pos")) && atol(v) == 10);
	CHECK((v = field(buf, "flags")) && *v == '0');
	long flags = strtol(v, NULL, 8);
	CHECK_EQ(flags & O_ACCMODE, O_RDONLY);
	CHECK(flags & O_CLOEXEC);
	CHECK((v = field(buf, "mnt_id")));
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK((v = field(buf, "ino")) && strtoull(v, NULL, 10) == st.st_ino);
	/* Listed like fd/. */
	DIR *d = opendir("/proc/self/fdinfo");
	CHECK(d);
	bool found = false;
	struct dirent *e;
	while ((e = readdir(d)))
		if (atoi(e->d_name) == fd && e->d_name[0] != '.')
			found = true;
	closedir(d);
	CHECK(found);
	/* A write-only pipe end without close-on-exec. */
	int p[2];
	CHECK_OK(pipe(p));
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", p[1]);
	CHECK(tl_slurp(path, buf, sizeof buf) > 0);
	flags = strtol(field(buf, "flags"), NULL, 8);
	CHECK_EQ(flags & O_ACCMODE, O_WRONLY);
	CHECK(!(flags & O_CLOEXEC));
	close(p[0]);
	close(p[1]);
	close(fd);
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	CHECK_ERRNO(open(path, O_RDONLY), ENOENT);
}

TEST(mountinfo_has_root_and_proc)
{
	CHECK(tl_slurp("/proc/self/mountinfo", big, sizeof big) > 0);
	int ids[256], nids = 0, proc_parent = -1;
	bool root = false, proc = false;
	for (char *p = big; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
		int id, parent;
		unsigned maj, min;
		char rootp[256], mp[256];
		CHECK_EQ(sscanf(p, "%d %d %u:%u %255s %255s", &id, &parent, &maj, &min, rootp, mp),
			 6);
		if (nids < 256)
			ids[nids++] = id;
		char *sep = strstr(p, " - ");
		char *nl = strchr(p, '\n');
		CHECK(sep && (!nl || sep < nl));
		char fstype[64];
		CHECK_EQ(sscanf(sep + 3, "%63s", fstype), 1);
		if (!strcmp(mp, "/"))
			root = true;
		if (!strcmp(mp, "/proc") && !strcmp(fstype, "proc")) {
			proc = true;
			proc_parent = parent;
		}
	}
	CHECK(root);
	CHECK(proc);
	bool parent_known = false;
	for (int i = 0; i < nids; i++)
		if (ids[i] == proc_parent)
			parent_known = true;
	CHECK(parent_known);
	CHECK(tl_slurp("/proc/self/mounts", big, sizeof big) > 0);
	CHECK(strstr(big, " /proc proc "));
	char link[64];
	ssize_t n = CHECK_OK(readlink("/proc/mounts", link, sizeof link - 1));
	link[n] = '\0';
	CHECK_STREQ(link, "self/mounts");
}

TEST(cgroup_is_v2_style)
{
	char buf[4096];
	CHECK(tl_slurp("/proc/self/cgroup", buf, sizeof buf) > 0);
	/* The unified hierarchy's line (alone, or last on a hybrid host). */
	CHECK(!strncmp(buf, "0::/", 4) || strstr(buf, "\n0::/"));
}

TEST(limits_match_getrlimit)
{
	static const char *names[] = {
	    "Max cpu time",	  "Max file size",	 "Max data size",     "Max stack size",
	    "Max core file size", "Max resident set",	 "Max processes",     "Max open files",
	    "Max locked memory",  "Max address space",	 "Max file locks",    "Max pending signals",
	    "Max msgqueue size",  "Max nice priority",	 "Max realtime priority",
	    "Max realtime timeout"};
	CHECK(tl_slurp("/proc/self/limits", big, sizeof big) > 0);
	const char *hdr = "Limit                     Soft Limit           Hard Limit           "
			  "Units     \n";
	CHECK(!strncmp(big, hdr, strlen(hdr)));
	char *p = big + strlen(hdr);
	for (int i = 0; i < 16; i++) {
		CHECK(!strncmp(p, names[i], strlen(names[i])));
		struct rlimit rl;
		CHECK_OK(getrlimit(i, &rl));
		char soft[32], hard[32];
		CHECK_EQ(sscanf(p + 26, "%31s", soft), 1);
		CHECK_EQ(sscanf(p + 47, "%31s", hard), 1);
		if (rl.rlim_cur == RLIM_INFINITY)
			CHECK_STREQ(soft, "unlimited");
		else
			CHECK_EQ(strtoull(soft, NULL, 10), rl.rlim_cur);
		if (rl.rlim_max == RLIM_INFINITY)
			CHECK_STREQ(hard, "unlimited");
		else
			CHECK_EQ(strtoull(hard, NULL, 10), rl.rlim_max);
		p = strchr(p, '\n') + 1;
	}
	CHECK_EQ(*p, '\0');
	/* A change shows. */
	struct rlimit rl;
	CHECK_OK(getrlimit(RLIMIT_CORE, &rl));
	struct rlimit nl = {4096, rl.rlim_max};
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < 4096)
		nl.rlim_cur = rl.rlim_max;
	CHECK_OK(setrlimit(RLIMIT_CORE, &nl));
	CHECK(tl_slurp("/proc/self/limits", big, sizeof big) > 0);
	char *core = strstr(big, "Max core file size");
	CHECK(core);
	CHECK_EQ(strtoull(core + 26, NULL, 10), nl.rlim_cur);
	CHECK_OK(setrlimit(RLIMIT_CORE, &rl));
}

static int read_int(const char *path)
{
	char buf[64];
	if (tl_slurp(path, buf, sizeof buf) <= 0)
		return -99999;
	return atoi(buf);
}

TEST(oom_score_adj_rules)
{
	int old = read_int("/proc/self/oom_score_adj");
	CHECK(old >= -1000 && old <= 1000);
	CHECK_EQ(write_file("/proc/self/oom_score_adj", "100\n"), 4);
	CHECK_EQ(read_int("/proc/self/oom_score_adj"), 100);
	int score = read_int("/proc/self/oom_score");
	CHECK(score >= 0 && score <= 2000);
	CHECK_ERRNO(write_file("/proc/self/oom_score_adj", "1001"), EINVAL);
	CHECK_ERRNO(write_file("/proc/self/oom_score_adj", "-1001"), EINVAL);
	CHECK_ERRNO(write_file("/proc/self/oom_score_adj", "12abc"), EINVAL);
	CHECK_EQ(read_int("/proc/self/oom_score_adj"), 100);
	/* Inherited by a child.  Without CAP_SYS_RESOURCE it may raise it
	 * and come back, but not go below the floor (at least 0 here, unless
	 * a privileged ancestor lowered it: then the check is moot). */
	if (geteuid() == 0) {
		pid_t c = CHECK_OK(fork());
		if (c == 0) {
			if (read_int("/proc/self/oom_score_adj") != 100)
				_exit(1);
			if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
				_exit(2);
			prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
			if (write_file("/proc/self/oom_score_adj", "200") != 3)
				_exit(3);
			if (write_file("/proc/self/oom_score_adj", "100") != 3)
				_exit(4);
			if (write_file("/proc/self/oom_score_adj", "-1000") != -1 || errno != EACCES)
				_exit(5);
			_exit(read_int("/proc/self/oom_score_adj") == 100 ? 0 : 6);
		}
		WAIT_EXIT(c, 0);
	}
	char buf[16];
	snprintf(buf, sizeof buf, "%d", old);
	CHECK_OK(write_file("/proc/self/oom_score_adj", buf));
	CHECK_EQ(read_int("/proc/self/oom_score_adj"), old);
}

TEST(sysctls)
{
	char a[64], b[64];
	CHECK_EQ(tl_slurp("/proc/sys/kernel/random/uuid", a, sizeof a), 37);
	CHECK_EQ(tl_slurp("/proc/sys/kernel/random/uuid", b, sizeof b), 37);
	CHECK(strcmp(a, b) != 0);
	CHECK_EQ(a[8], '-');
	CHECK_EQ(a[14], '4');
	CHECK_EQ(tl_slurp("/proc/sys/kernel/random/boot_id", a, sizeof a), 37);
	CHECK_EQ(tl_slurp("/proc/sys/kernel/random/boot_id", b, sizeof b), 37);
	CHECK_STREQ(a, b);
	const char *numeric[] = {
	    "/proc/sys/kernel/pid_max",	       "/proc/sys/kernel/ngroups_max",
	    "/proc/sys/kernel/cap_last_cap",   "/proc/sys/kernel/overflowuid",
	    "/proc/sys/kernel/overflowgid",    "/proc/sys/vm/overcommit_memory",
	    "/proc/sys/vm/max_map_count",      "/proc/sys/vm/mmap_min_addr",
	    "/proc/sys/fs/file-max",	       "/proc/sys/fs/nr_open",
	    "/proc/sys/fs/pipe-max-size",      "/proc/sys/net/core/somaxconn"};
	for (size_t i = 0; i < sizeof numeric / sizeof numeric[0]; i++) {
		char buf[64], *end;
		CHECK(tl_slurp(numeric[i], buf, sizeof buf) > 1);
		strtoll(buf, &end, 10);
		CHECK(end != buf && *end == '\n');
	}
	CHECK_EQ(read_int("/proc/sys/kernel/ngroups_max"), sysconf(_SC_NGROUPS_MAX));
	CHECK_EQ(read_int("/proc/sys/kernel/overflowuid"), 65534);
	struct utsname u;
	CHECK_OK(uname(&u));
	char want[128];
	CHECK(tl_slurp("/proc/sys/kernel/domainname", a, sizeof a) > 0);
	snprintf(want, sizeof want, "%s\n", u.domainname);
	CHECK_STREQ(a, want);
	CHECK(tl_slurp("/proc/sys/kernel/version", a, sizeof a) > 0);
	snprintf(want, sizeof want, "%s\n", u.version);
	CHECK_STREQ(a, want);
	/* Read-only sysctls refuse writers, root included. */
	CHECK_ERRNO(open("/proc/sys/kernel/ostype", O_WRONLY), EACCES);
	CHECK_ERRNO(open("/proc/sys/kernel/osrelease", O_RDWR), EACCES);
	CHECK_ERRNO(open("/proc/sys/kernel/random/boot_id", O_WRONLY), EACCES);
}

TEST(global_files)
{
	CHECK(tl_slurp("/proc/meminfo", big, sizeof big) > 0);
	const char *mem[] = {"MemTotal", "MemFree",   "MemAvailable", "Buffers",  "Cached",
			     "SwapTotal", "SwapFree", "Shmem",	      "Slab",	  "SReclaimable",
			     "Committed_AS", "Hugepagesize"};
	for (size_t i = 0; i < sizeof mem / sizeof mem[0]; i++)
		CHECK(field(big, mem[i]));
	long total = atol(field(big, "MemTotal")), fr = atol(field(big, "MemFree"));
	long avail = atol(field(big, "MemAvailable"));
	CHECK(total > 0 && fr <= total && avail <= total);
	CHECK(tl_slurp("/proc/stat", big, sizeof big) > 0);
	CHECK(!strncmp(big, "cpu ", 4));
	CHECK(strstr(big, "\ncpu0 "));
	const char *keys[] = {"\nintr ", "\nctxt ", "\nbtime ", "\nprocesses ",
			      "\nprocs_running ", "\nprocs_blocked "};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		CHECK(strstr(big, keys[i]));
	CHECK(atoi(strstr(big, "\nprocs_running ") + 15) >= 1);
	/* btime + uptime is now (give or take a second or two). */
	long btime = atol(strstr(big, "\nbtime ") + 7);
	char buf[256];
	CHECK(tl_slurp("/proc/uptime", buf, sizeof buf) > 0);
	double up = strtod(buf, NULL);
	long now = (long)time(NULL);
	CHECK(btime + (long)up >= now - 2 && btime + (long)up <= now + 2);
	CHECK(tl_slurp("/proc/loadavg", buf, sizeof buf) > 0);
	int running, tasks, last;
	CHECK_EQ(sscanf(buf, "%*f %*f %*f %d/%d %d", &running, &tasks, &last), 3);
	CHECK(running >= 1 && running <= tasks);
	CHECK(last >= getpid() || last > 0);
	CHECK(tl_slurp("/proc/filesystems", buf, sizeof buf) > 0);
	CHECK(strstr(buf, "\tproc\n") && strstr(buf, "\ttmpfs\n") && strstr(buf, "\tsysfs\n"));
	CHECK(tl_slurp("/proc/version", buf, sizeof buf) > 0);
	struct utsname u;
	CHECK_OK(uname(&u));
	char want[128];
	snprintf(want, sizeof want, "Linux version %s ", u.release);
	CHECK(!strncmp(buf, want, strlen(want)));
	ssize_t n = CHECK_OK(readlink("/proc/thread-self", buf, sizeof buf - 1));
	buf[n] = '\0';
	snprintf(want, sizeof want, "%d/task/%d", getpid(), (int)syscall(SYS_gettid));
	CHECK_STREQ(buf, want);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, status_matches_syscalls, stat_has_52_fields,
			 statm_matches_status, comm_is_writable, task_dirs_have_thread_files,
			 links_exe_cwd_root, smaps_sizes_match_maps, fdinfo_pos_flags_ino,
			 mountinfo_has_root_and_proc, cgroup_is_v2_style, limits_match_getrlimit,
			 oom_score_adj_rules, sysctls, global_files);
}
