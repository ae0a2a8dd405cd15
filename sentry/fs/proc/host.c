/* What procfs needs from the host, read once at start-up while the
 * sentry still sees the host's /proc: cpuinfo, cpu times, boot time. */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sentry/fs/proc/internal.h"
#include "sentry/fs/proc/procfs.h"

int proc_ncpus = 1;
char *proc_host_cpuinfo;
char *proc_host_statcpu;
uint64_t proc_host_btime;

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

void procfs_early_init(void)
{
	cpu_set_t set;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n <= 0 && !sched_getaffinity(0, sizeof set, &set))
		n = CPU_COUNT(&set);
	proc_ncpus = n > 0 ? (int)n : 1;

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
