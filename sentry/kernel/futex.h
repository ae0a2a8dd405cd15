/* Futexes: wait queues keyed by application address (private) or by
 * memory-file location (shared, so they work across processes that map the
 * same frame).
 *
 * Lock order: a futex bucket lock is taken before mm->lock (the value is
 * read under the bucket lock) and before waiter.lock.
 */
#pragma once
#include <stdint.h>

struct task;

long futex_op(struct task *t, uint64_t uaddr, int op, uint32_t val, uint64_t timeout_or_val2,
	      uint64_t uaddr2, uint32_t val3);
/* Wakes up to n waiters of the private futex at uaddr in t's address space
 * (CLONE_CHILD_CLEARTID, robust-list cleanup).  Returns how many woke. */
int futex_wake_private(struct task *t, uint64_t uaddr, int n);
