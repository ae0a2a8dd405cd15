/* sysfs_test: /sys as programs read it: the CPU lists against
 * sched_getaffinity, cpuN directories, the huge page mode, a read-only
 * sysfs mount. */
#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "testlib.h"

#define SYSFS_MAGIC 0x62656572

/* How many CPUs a list like "0-3,5\n" names. */
static int count_list(const char *s)
{
	int n = 0;
	while (*s && *s != '\n') {
		char *end;
		long lo = strtol(s, &end, 10), hi = lo;
		if (*end == '-')
			hi = strtol(end + 1, &end, 10);
		n += (int)(hi - lo + 1);
		s = *end == ',' ? end + 1 : end;
	}
	return n;
}

TEST(mount_is_sysfs_and_read_only)
{
	struct statfs sf;
	CHECK_OK(statfs("/sys", &sf));
	CHECK_EQ(sf.f_type, SYSFS_MAGIC);
	struct statvfs sv;
	CHECK_OK(statvfs("/sys", &sv));
	/* The sandbox mounts it read-only; a host may have it read-write,
	 * where sysfs refuses new names itself. */
	int err = (sv.f_flag & ST_RDONLY) ? EROFS : EPERM;
	CHECK_ERRNO(mkdir("/sys/cvt-nope", 0755), err);
	if (sv.f_flag & ST_RDONLY)
		CHECK_ERRNO(open("/sys/cvt-nope", O_CREAT | O_WRONLY, 0644), EROFS);
	char buf[4096];
	CHECK(tl_slurp("/proc/self/mountinfo", buf, sizeof buf) > 0);
	CHECK(strstr(buf, " /sys ") && strstr(buf, " - sysfs "));
}

TEST(cpu_lists_match_affinity)
{
	cpu_set_t set;
	CHECK_OK(sched_getaffinity(0, sizeof set, &set));
	int affinity = CPU_COUNT(&set);
	char online[256], possible[256], present[256];
	CHECK(tl_slurp("/sys/devices/system/cpu/online", online, sizeof online) > 0);
	CHECK(tl_slurp("/sys/devices/system/cpu/possible", possible, sizeof possible) > 0);
	CHECK(tl_slurp("/sys/devices/system/cpu/present", present, sizeof present) > 0);
	CHECK(!strncmp(online, "0", 1));
	CHECK_EQ(count_list(online), get_nprocs());
	CHECK(count_list(possible) >= count_list(online));
	CHECK(count_list(present) >= count_list(online));
	/* Unrestricted (the usual case): every online CPU is ours. */
	if (affinity == get_nprocs())
		CHECK_EQ(count_list(online), affinity);
	CHECK_EQ(sysconf(_SC_NPROCESSORS_ONLN), count_list(online));
}

TEST(cpu_dirs)
{
	char buf[256];
	CHECK(tl_slurp("/sys/devices/system/cpu/online", buf, sizeof buf) > 0);
	int n = count_list(buf);
	struct stat st;
	for (int i = 0; i < n; i++) {
		char path[64];
		snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d", i);
		CHECK_OK(stat(path, &st));
		CHECK(S_ISDIR(st.st_mode));
	}
	DIR *d = opendir("/sys/devices/system/cpu");
	CHECK(d);
	int cpus = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		int k;
		char rest;
		if (sscanf(e->d_name, "cpu%d%c", &k, &rest) == 1) {
			cpus++;
			CHECK_EQ(e->d_type, DT_DIR);
		}
	}
	closedir(d);
	CHECK(cpus >= n);
	CHECK_EQ(sysconf(_SC_NPROCESSORS_CONF), cpus);
}

TEST(thp_and_cgroup_dir)
{
	char buf[256];
	struct stat st;
	CHECK(tl_slurp("/sys/kernel/mm/transparent_hugepage/enabled", buf, sizeof buf) > 0);
	/* One mode in brackets among always/madvise/never. */
	char *l = strchr(buf, '['), *r = strchr(buf, ']');
	CHECK(l && r && l < r);
	CHECK(strstr(buf, "never"));
	CHECK_OK(stat("/sys/fs/cgroup", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_ERRNO(open("/sys/devices/system/cpu/online", O_WRONLY), EACCES);
	CHECK_ERRNO(stat("/sys/devices/system/cpu/nonexistent", &st), ENOENT);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, mount_is_sysfs_and_read_only, cpu_lists_match_affinity,
			 cpu_dirs, thp_and_cgroup_dir);
}
