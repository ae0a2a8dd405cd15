/* Helpers shared inside sentry/fs/anon. */
#pragma once
#include <pthread.h>
#include <stddef.h>
#include <sys/uio.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/syscalls/syscalls.h"

size_t iov_len_total(const struct iovec *iov, int cnt);
/* Copies len bytes out to / in from a sentry iovec; returns bytes moved. */
size_t iov_put(const struct iovec *iov, int cnt, const void *buf, size_t len);
size_t iov_get(const struct iovec *iov, int cnt, void *buf, size_t len);
/* Sleeps t on q until a wake for events, the deadline (NULL: none) or a
 * signal.  Called and returns with lock held; waiter_sleep's result. */
int anon_wait(struct waitq *q, pthread_mutex_t *lock, struct task *t, uint32_t events,
	      clockid_t clock, const struct timespec *deadline);
