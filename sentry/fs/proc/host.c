/* What procfs needs from the host, read once at start-up while the
 * sentry still sees the host's /proc: cpuinfo, cpu times, boot time. */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sentry/fs/proc/internal.h"
#include "sentry/fs/proc/procfs.h"

int proc_ncpus = 1;
char *proc_host_cpuinfo;
char *proc_host_statcpu;
uint64_t proc_host_btime;
uint64_t proc_boot_ns;
uint64_t proc_boot_real;
char proc_boot_id[37];
dev_t proc_tty_rdev;
uint64_t proc_mem_limit;

uint64_t proc_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void proc_uuid(char out[37])
{
	unsigned char u[16];
	if (getrandom(u, sizeof u, 0) != (ssize_t)sizeof u) {
		/* Never short for 16 bytes once the pool is up; still unique. */
		uint64_t x = proc_now_ns() ^ (uint64_t)(uintptr_t)out;
		for (size_t i = 0; i < sizeof u; i++, x = x * 6364136223846793005ULL + 1)
			u[i] = (unsigned char)(x >> 56);
	}
	u[6] = (u[6] & 0x0f) | 0x40; /* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80; /* RFC 4122 variant */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
}

/* The whole of a small host file, NUL-terminated, or NULL. */
static char *slurp(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t len = 0, cap = 16384;
	char *buf = malloc(cap);
	while (buf) {
		if (len + 1 == cap) {
			char *n = realloc(buf, cap * 2);
			if (!n) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = n;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + len, cap - 1 - len);
		if (r < 0) {
			free(buf);
			buf = NULL;
			break;
		}
		if (r == 0) {
			buf[len] = '\0';
			break;
		}
		len += (size_t)r;
	}
	close(fd);
	return buf;
}

/* The memory limit of the cgroup the sentry runs in (the v2 memory.max,
 * or v1's memory.limit_in_bytes), so meminfo shows the sandbox's size
 * rather than the host's.  0: none found. */
static uint64_t cgroup_mem_limit(void)
{
	char *cg = slurp("/proc/self/cgroup");
	uint64_t limit = 0;
	if (!cg)
		return 0;
	for (char *line = cg, *end; *line && !limit; line = end) {
		end = strchrnul(line, '\n');
		if (*end)
			*end++ = '\0';
		char path[4096];
		const char *v2 = !strncmp(line, "0::", 3) ? line + 3 : NULL;
		const char *v1 = strstr(line, ":memory:");
		if (v2)
			snprintf(path, sizeof path, "/sys/fs/cgroup%s/memory.max", v2);
		else if (v1)
			snprintf(path, sizeof path, "/sys/fs/cgroup/memory%s/memory.limit_in_bytes",
				 v1 + 8);
		else
			continue;
		char *max = slurp(path);
		if (max && max[0] >= '0' && max[0] <= '9')
			limit = strtoull(max, NULL, 10);
		free(max);
	}
	free(cg);
	return limit;
}

void procfs_early_init(void)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n <= 0 && !sched_getaffinity(0, sizeof set, &set))
		n = CPU_COUNT(&set);
	proc_ncpus = n > 0 ? (int)n : 1;

	struct timespec real;
	clock_gettime(CLOCK_REALTIME, &real);
	proc_boot_ns = proc_now_ns();
	proc_boot_real = (uint64_t)real.tv_sec;
	proc_uuid(proc_boot_id);
	struct stat st;
	if (isatty(0) && !fstat(0, &st) && S_ISCHR(st.st_mode))
		proc_tty_rdev = st.st_rdev;
	proc_mem_limit = cgroup_mem_limit();

	proc_host_cpuinfo = slurp("/proc/cpuinfo");
	char *stat = slurp("/proc/stat");
	if (!stat)
		return;
	/* Keep the cpu lines (times up to now; enough for tools that take
	 * differences) and the boot time. */
	struct sbuf b = {0};
	for (char *line = stat, *end; *line; line = end) {
		end = strchrnul(line, '\n');
		if (*end)
			end++;
		if (!strncmp(line, "cpu", 3))
			sbuf_add(&b, line, (size_t)(end - line));
		else if (!strncmp(line, "btime ", 6))
			proc_host_btime = strtoull(line + 6, NULL, 10);
	}
	free(stat);
	proc_host_statcpu = b.oom ? NULL : b.buf;
}
