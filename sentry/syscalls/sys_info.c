/* Identity and system information: pids, uname, sysinfo,
 * getrandom, resource limits. */
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "sentry/kernel/task.h"
#include "sentry/kernel/uts.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

DEFINE_SYSCALL(getpid, R_INT)
{
	return t->tg->tgid;
}

DEFINE_SYSCALL(gettid, R_INT)
{
	return t->tid;
}

DEFINE_SYSCALL(getppid, R_INT)
{
	pthread_mutex_lock(&tasklist_lock);
	int ppid = t->tg->parent ? t->tg->parent->tgid : 0;
	pthread_mutex_unlock(&tasklist_lock);
	return ppid;
}

/* The sandbox's names (sentry/kernel/uts.h): its own hostname and domain
 * name, the host kernel's release. */
DEFINE_SYSCALL(uname, R_INT, A_PTR)
{
	struct utsname u;
	uts_get(&u);
	if (mm_copy_out(t->mm, a[0], &u, sizeof u))
		return -EFAULT;
	return 0;
}

DEFINE_SYSCALL(sysinfo, R_INT, A_PTR)
{
	struct sysinfo si, host;
	struct timespec now;
	memset(&si, 0, sizeof si);
	if (sysinfo(&host))
		return -errno;
	clock_gettime(CLOCK_BOOTTIME, &now);
	si.uptime = now.tv_sec;
	si.totalram = host.totalram * host.mem_unit;
	si.freeram = host.freeram * host.mem_unit;
	si.procs = 1;
	si.mem_unit = 1;
	if (mm_copy_out(t->mm, a[0], &si, sizeof si))
		return -EFAULT;
	return 0;
}

#ifndef GRND_INSECURE
#define GRND_INSECURE 4
#endif

DEFINE_SYSCALL(getrandom, R_INT, A_PTR, A_UINT, A_HEX)
{
	uint64_t buf = a[0];
	size_t len = a[1], done = 0;
	unsigned flags = (unsigned)a[2];
	unsigned char tmp[4096];

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
		return -EINVAL;
	/* Linux caps one call at INT_MAX >> 6 bytes. */
	if (len > (INT32_MAX >> 6))
		len = INT32_MAX >> 6;
	while (done < len) {
		size_t n = len - done < sizeof tmp ? len - done : sizeof tmp;
		ssize_t r = getrandom(tmp, n, flags & GRND_NONBLOCK);
		if (r < 0)
			return done ? (long)done : -errno;
		if (mm_copy_out(t->mm, buf + done, tmp, (size_t)r))
			return done ? (long)done : -EFAULT;
		done += (size_t)r;
	}
	return (long)done;
}

static long do_prlimit(struct task *t, int res, uint64_t new_addr, uint64_t old_addr)
{
	struct rlimit64 nl, ol;
	if (res < 0 || res >= RLIM_NLIMITS)
		return -EINVAL;
	if (new_addr) {
		if (mm_copy_in(t->mm, &nl, new_addr, sizeof nl))
			return -EFAULT;
		if (nl.rlim_cur > nl.rlim_max)
			return -EINVAL;
		if (res == RLIMIT_NOFILE && nl.rlim_max > 1024 * 1024)
			return -EPERM; /* fs.nr_open */
	}
	pthread_mutex_lock(&t->tg->lock);
	ol.rlim_cur = t->tg->rlimits[res].cur;
	ol.rlim_max = t->tg->rlimits[res].max;
	if (new_addr) {
		/* Raising the hard limit needs CAP_SYS_RESOURCE. */
		if (nl.rlim_max > ol.rlim_max && !(t->cred.cap_effective & (1ULL << 24))) {
			pthread_mutex_unlock(&t->tg->lock);
			return -EPERM;
		}
		t->tg->rlimits[res].cur = nl.rlim_cur;
		t->tg->rlimits[res].max = nl.rlim_max;
	}
	pthread_mutex_unlock(&t->tg->lock);
	if (old_addr && mm_copy_out(t->mm, old_addr, &ol, sizeof ol))
		return -EFAULT;
	return 0;
}

DEFINE_SYSCALL(prlimit64, R_INT, A_INT, A_INT, A_PTR, A_PTR)
{
	int pid = (int)a[0];
	if (pid != 0 && pid != t->tg->tgid)
		return -ESRCH;
	return do_prlimit(t, (int)a[1], a[2], a[3]);
}

DEFINE_SYSCALL(getrlimit, R_INT, A_INT, A_PTR)
{
	return do_prlimit(t, (int)a[0], 0, a[1]);
}

DEFINE_SYSCALL(setrlimit, R_INT, A_INT, A_PTR)
{
	return do_prlimit(t, (int)a[0], a[1], 0);
}
