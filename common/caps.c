/* Dropping capabilities: the bounding set, the ambient set and every
 * thread's own sets, for the sentry and the gofer after start-up. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sandbox.h"

/* Capabilities belong to threads, not processes: a thread started before
 * the drop (the ptrace stub factory, say) would keep them, fork stubs with
 * them, and the capless task threads could then not trace those stubs.
 * So every other thread is asked to drop its own, by signal (as libpsx). */
#define CAPS_SIG (SIGRTMIN + 3)

static struct __user_cap_data_struct want[2];
static atomic_int done_count, fail_count;

static int set_own(void)
{
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	return syscall(SYS_capset, &h, want) ? -errno : 0;
}

static void on_caps_sig(int sig)
{
	int e = errno;
	if (set_own())
		atomic_fetch_add(&fail_count, 1);
	atomic_fetch_add(&done_count, 1);
	errno = e;
}

/* Whether thread name (under the task directory dfd) blocks sig. */
static bool blocks_sig(int dfd, const char *name, int sig)
{
	char path[300], buf[2048];
	snprintf(path, sizeof path, "%s/status", name);
	int fd = openat(dfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	const char *b = strstr(buf, "SigBlk:");
	if (!b)
		return false;
	unsigned long long mask = strtoull(b + 7, NULL, 16);
	return mask & (1ULL << (sig - 1));
}

static int drop_other_threads(void)
{
	struct sigaction sa = {.sa_handler = on_caps_sig, .sa_flags = SA_RESTART}, old;
	sigemptyset(&sa.sa_mask);
	if (sigaction(CAPS_SIG, &sa, &old))
		return -errno;
	int fd = sandbox_task_dirfd >= 0 ? sandbox_task_dirfd
					 : open("/proc/self/task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	sandbox_task_dirfd = -1;
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -ENOENT;
	}
	pid_t self = (pid_t)syscall(SYS_gettid);
	int sent = 0, skipped = 0, r = 0;
	struct dirent *e;
	atomic_store(&done_count, 0);
	atomic_store(&fail_count, 0);
	while ((e = readdir(d))) {
		pid_t tid = (pid_t)atoi(e->d_name);
		if (tid <= 0 || tid == self)
			continue;
		if (blocks_sig(dirfd(d), e->d_name, CAPS_SIG)) {
			/* It would never answer (the ptrace stub factory blocks
			 * everything): it keeps its capabilities. */
			skipped++;
			continue;
		}
		if (syscall(SYS_tgkill, getpid(), tid, CAPS_SIG) == 0)
			sent++;
	}
	closedir(d);
	/* Bounded: a thread blocking the signal would never answer. */
	for (int i = 0; i < 1000 && atomic_load(&done_count) < sent; i++) {
		struct timespec ts = {0, 1000000};
		nanosleep(&ts, NULL);
	}
	if (atomic_load(&done_count) < sent || atomic_load(&fail_count))
		r = -EAGAIN;
	sigaction(CAPS_SIG, &old, NULL);
	if (!r && skipped)
		DEBUG("capabilities: %d thread(s) block the request and keep theirs", skipped);
	return r;
}

int sandbox_drop_caps(uint64_t keep)
{
	/* Every capability the running kernel knows. */
	int last = CAP_LAST_CAP;
	while (prctl(PR_CAPBSET_READ, last + 1, 0, 0, 0) >= 0)
		last++;
	for (int c = 0; c <= last; c++)
		if (!(keep & (1ULL << c)) && prctl(PR_CAPBSET_DROP, c, 0, 0, 0) && errno != EINVAL)
			return -errno;
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL)
		return -errno;
	struct __user_cap_header_struct h = {.version = _LINUX_CAPABILITY_VERSION_3};
	if (syscall(SYS_capget, &h, want))
		return -errno;
	for (int i = 0; i < 2; i++) {
		uint32_t k = (uint32_t)(keep >> (32 * i));
		want[i].effective &= k;
		want[i].permitted &= k;
		want[i].inheritable &= k;
	}
	int r = drop_other_threads();
	if (r)
		return r;
	return set_own();
}
