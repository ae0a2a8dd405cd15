/* Applying the OCI seccomp profile's decisions to a task's syscall. */
#include <errno.h>
#include <linux/audit.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/seccomp/app_seccomp.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

const struct app_seccomp *app_seccomp_active;

/* SCMP_ACT_LOG reports each syscall once (the kernel's audit log would
 * report every call; the debug log is not the place for that many). */
static atomic_uint_least64_t logged[512 / 64];

int app_seccomp_load_fd(int fd)
{
	size_t cap = 1 << 16, len = 0;
	char *buf = malloc(cap);
	for (;;) {
		if (!buf) {
			log_warn("seccomp profile: out of memory");
			close(fd);
			return -1;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			log_warn("seccomp profile: read fd %d: %s", fd, strerror(errno));
			free(buf);
			close(fd);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
		if (len == cap) {
			if (cap >= (16u << 20)) {
				log_warn("seccomp profile: larger than 16 MiB");
				free(buf);
				close(fd);
				return -1;
			}
			char *nb = realloc(buf, cap *= 2);
			if (!nb)
				free(buf);
			buf = nb;
		}
	}
	close(fd);
	char err[256];
	struct app_seccomp *sc = app_seccomp_parse(buf, len, err, sizeof err);
	free(buf);
	if (!sc) {
		log_warn("%s", err);
		return -1;
	}
	app_seccomp_active = sc;
	return 0;
}

static void kill_thread(struct task *t)
{
	/* Linux ends the whole process when the thread is its last one. */
	if (t->tg->nr_threads <= 1) {
		task_exit_group(t, SIGSYS);
		return;
	}
	struct sighand *sh = t->tg->sighand;
	t->exit_code = SIGSYS;
	pthread_mutex_lock(&sh->lock);
	t->exiting = true;
	pthread_mutex_unlock(&sh->lock);
	atomic_store(&t->work, true);
}

bool app_seccomp_check(struct task *t, long nr, const uint64_t args[6], long *ret)
{
	struct app_sc_decision d = app_seccomp_eval(app_seccomp_active, nr, args);
	switch (d.action) {
	case APP_SC_ALLOW:
		return false;
	case APP_SC_LOG:
		if (log_debug_enabled && nr >= 0 && nr < 512) {
			uint64_t bit = 1ULL << (nr % 64);
			if (!(atomic_fetch_or(&logged[nr / 64], bit) & bit))
				log_debug("seccomp profile: SCMP_ACT_LOG: syscall %ld", nr);
		}
		return false;
	case APP_SC_ERRNO:
	case APP_SC_TRACE:
		*ret = -d.data;
		return true;
	case APP_SC_TRAP: {
		siginfo_t si;
		memset(&si, 0, sizeof si);
		si.si_signo = SIGSYS;
		si.si_code = SYS_SECCOMP;
		si.si_errno = d.data;
		si.si_call_addr = (void *)t->arch.regs.rip;
		si.si_syscall = (int)nr;
		si.si_arch = AUDIT_ARCH_X86_64;
		sig_force(t, SIGSYS, &si);
		*ret = -ENOSYS;
		return true;
	}
	case APP_SC_KILL_THREAD:
		kill_thread(t);
		*ret = -ENOSYS;
		return true;
	case APP_SC_KILL_PROCESS:
		task_exit_group(t, SIGSYS);
		*ret = -ENOSYS;
		return true;
	}
	return false;
}
