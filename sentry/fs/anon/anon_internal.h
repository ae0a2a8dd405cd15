/* Helpers shared inside sentry/fs/anon. */
#pragma once
#include <pthread.h>
#include <stddef.h>
#include <sys/uio.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/iov.h"

/* Sleeps t on q until a wake for events, the deadline (NULL: none) or a
 * signal.  Called and returns with lock held; waiter_sleep's result. */
int anon_wait(struct waitq *q, pthread_mutex_t *lock, struct task *t, uint32_t events,
	      clockid_t clock, const struct timespec *deadline);
