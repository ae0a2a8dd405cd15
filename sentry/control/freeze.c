/* pause/resume inside the sentry: every task thread is parked in a signal
 * handler until thawed, so no application code or syscall of the sandbox
 * makes progress and the application sees no signal of its own (unlike
 * SIGSTOP: no job-control stop, no SIGCHLD, no wait status). */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "sentry/control/control.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/kernel/task.h"

/* Not used by the platforms (ptrace: SIGUSR2, kvm: SIGRTMIN+1) nor
 * forwarded into the sandbox. */
#define FREEZE_SIG (SIGRTMIN + 4)

static atomic_int frozen;

static void park(int sig)
{
	(void)sig;
	int e = errno;
	/* A raw futex: async-signal-safe, and the thread holds whatever locks
	 * it held, so nothing else may be taken here. */
	while (atomic_load(&frozen))
		syscall(SYS_futex, &frozen, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0);
	errno = e;
}

void ctl_freeze_init(void)
{
	struct sigaction sa = {.sa_handler = park, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	sigaction(FREEZE_SIG, &sa, NULL);
}

/* Signals every live task thread.  A thread cannot finish exiting while
 * tasklist_lock is held (task_exit_thread takes it), so a task not marked
 * exiting still has its thread. */
static void kick_all(bool again)
{
	/* Once threads are parked, one may hold tasklist_lock: never wait
	 * for it then. */
	if (!again)
		pthread_mutex_lock(&tasklist_lock);
	else if (pthread_mutex_trylock(&tasklist_lock))
		return;
	for (struct thread_group *tg = all_tgs; tg; tg = tg->all_next)
		for (struct task *t = tg->threads; t; t = t->tg_next)
			if (!t->exiting && t->thread)
				pthread_kill(t->thread, FREEZE_SIG);
	pthread_mutex_unlock(&tasklist_lock);
}

int ctl_freeze(void)
{
	if (atomic_exchange(&frozen, 1))
		return 0;
	kick_all(false);
	/* A clone that was in flight may have started a thread after the
	 * walk: a second one catches it (a parked thread ignores the repeat
	 * until it is thawed). */
	struct timespec ts = {0, 20 * 1000 * 1000};
	nanosleep(&ts, NULL);
	kick_all(true);
	return 0;
}

int ctl_thaw(void)
{
	atomic_store(&frozen, 0);
	syscall(SYS_futex, &frozen, FUTEX_WAKE_PRIVATE, 0x7fffffff, NULL, NULL, 0);
	return 0;
}
