/* Futex wait queues (see futex.h).  Waiters live on the sleeper's stack
 * and are linked into one of a fixed number of hashed buckets. */
#include "sentry/kernel/futex.h"

#include <errno.h>
#include <linux/futex.h>
#include <stdbool.h>
#include <string.h>

#include "sentry/kernel/task.h"
#include "sentry/kernel/wait.h"
#include "sentry/mm/mm.h"

#define NBUCKETS 256

struct fkey {
	uintptr_t space; /* the mm (private) or 0 (shared: memory-file offset) */
	uint64_t addr;
};

struct fwaiter {
	struct fkey key;
	uint32_t bitset;
	struct task *task;
	struct bucket *bucket; /* where it is queued now (requeue moves it) */
	bool queued;
	struct fwaiter *next, **pprev;
};

struct bucket {
	pthread_mutex_t lock;
	struct fwaiter *head;
};

static struct bucket buckets[NBUCKETS];
static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void init_buckets(void)
{
	for (int i = 0; i < NBUCKETS; i++)
		pthread_mutex_init(&buckets[i].lock, NULL);
}

static struct bucket *bucket_of(const struct fkey *k)
{
	uint64_t h = (k->space ^ k->addr) * 0x9e3779b97f4a7c15ULL;
	return &buckets[h >> 56];
}

static bool key_eq(const struct fkey *a, const struct fkey *b)
{
	return a->space == b->space && a->addr == b->addr;
}

/* The sentry's pointer to the futex word; faults it in if needed. */
static int word(struct task *t, uint64_t uaddr, bool write, uint32_t **p)
{
	struct iovec iov;
	size_t done;
	if (uaddr & 3)
		return -EINVAL;
	int n = mm_iov(t->mm, uaddr, 4, write, &iov, 1, &done);
	if (n < 1 || iov.iov_len < 4)
		return -EFAULT;
	*p = iov.iov_base;
	return 0;
}

static int make_key(struct task *t, uint64_t uaddr, bool private, struct fkey *k)
{
	if (uaddr & 3)
		return -EINVAL;
	/* A "shared" futex in a private mapping is keyed like a private one,
	 * as in Linux: only memory that really is shared between address
	 * spaces needs the memory-file key. */
	if (!private) {
		int sh = mm_addr_shared(t->mm, uaddr);
		if (sh < 0)
			return sh;
		private = !sh;
	}
	if (private) {
		k->space = (uintptr_t)t->mm;
		k->addr = uaddr;
		return 0;
	}
	uint32_t *p;
	int r = word(t, uaddr, false, &p);
	if (r)
		return r;
	k->space = 0;
	k->addr = (uint64_t)((char *)p - (char *)memfile_ptr(0));
	return 0;
}

static void enqueue(struct bucket *b, struct fwaiter *w)
{
	w->bucket = b;
	w->next = b->head;
	if (b->head)
		b->head->pprev = &w->next;
	w->pprev = &b->head;
	b->head = w;
	w->queued = true;
}

static void dequeue(struct fwaiter *w)
{
	*w->pprev = w->next;
	if (w->next)
		w->next->pprev = w->pprev;
	w->queued = false;
}

/* Locks the bucket w is queued on, following requeues. */
static struct bucket *lock_own_bucket(struct fwaiter *w)
{
	for (;;) {
		struct bucket *b = __atomic_load_n(&w->bucket, __ATOMIC_ACQUIRE);
		pthread_mutex_lock(&b->lock);
		if (b == w->bucket)
			return b;
		pthread_mutex_unlock(&b->lock);
	}
}

static long do_wait(struct task *t, const struct fkey *k, uint64_t uaddr, uint32_t val,
		    uint32_t bitset, clockid_t clock, const struct timespec *deadline)
{
	struct fwaiter w = {.key = *k, .bitset = bitset, .task = t};
	struct bucket *b = bucket_of(k);
	uint32_t *p;
	int r;

	if (!bitset)
		return -EINVAL;
	pthread_mutex_lock(&b->lock);
	r = word(t, uaddr, false, &p);
	if (r) {
		pthread_mutex_unlock(&b->lock);
		return r;
	}
	if (__atomic_load_n(p, __ATOMIC_SEQ_CST) != val) {
		pthread_mutex_unlock(&b->lock);
		return -EAGAIN;
	}
	enqueue(b, &w);
	pthread_mutex_unlock(&b->lock);

	r = waiter_sleep(&t->waiter, clock, deadline);

	b = lock_own_bucket(&w);
	bool woken = !w.queued;
	if (w.queued)
		dequeue(&w);
	pthread_mutex_unlock(&b->lock);
	if (woken) {
		/* A wake that raced with the timeout or a signal still counts. */
		if (r)
			waiter_reset(&t->waiter);
		return 0;
	}
	return r == -EINTR ? -EINTR : -ETIMEDOUT;
}

/* Wakes up to n waiters of k whose bitset matches; with requeue, moves up
 * to n2 more to k2.  Caller holds b (and b2 when requeueing). */
static int wake_locked(struct bucket *b, const struct fkey *k, int n, uint32_t bitset,
		       struct bucket *b2, const struct fkey *k2, int n2)
{
	int woken = 0, moved = 0;
	struct fwaiter *w = b->head, *next;
	for (; w; w = next) {
		next = w->next;
		if (!key_eq(&w->key, k) || !(w->bitset & bitset))
			continue;
		if (woken < n) {
			dequeue(w);
			woken++;
			waiter_wake(&w->task->waiter);
		} else if (b2 && moved < n2) {
			dequeue(w);
			w->key = *k2;
			enqueue(b2, w);
			moved++;
		} else {
			break;
		}
	}
	return woken + moved;
}

static void lock2(struct bucket *a, struct bucket *b)
{
	if (a == b) {
		pthread_mutex_lock(&a->lock);
	} else if (a < b) {
		pthread_mutex_lock(&a->lock);
		pthread_mutex_lock(&b->lock);
	} else {
		pthread_mutex_lock(&b->lock);
		pthread_mutex_lock(&a->lock);
	}
}

static void unlock2(struct bucket *a, struct bucket *b)
{
	pthread_mutex_unlock(&a->lock);
	if (a != b)
		pthread_mutex_unlock(&b->lock);
}

static long do_requeue(struct task *t, bool private, uint64_t uaddr, int nwake, int nreq,
		       uint64_t uaddr2, bool cmp, uint32_t val3)
{
	struct fkey k, k2;
	int r;
	if (nwake < 0 || nreq < 0)
		return -EINVAL;
	if ((r = make_key(t, uaddr, private, &k)) || (r = make_key(t, uaddr2, private, &k2)))
		return r;
	struct bucket *b = bucket_of(&k), *b2 = bucket_of(&k2);
	lock2(b, b2);
	if (cmp) {
		uint32_t *p;
		r = word(t, uaddr, false, &p);
		if (!r && __atomic_load_n(p, __ATOMIC_SEQ_CST) != val3)
			r = -EAGAIN;
		if (r) {
			unlock2(b, b2);
			return r;
		}
	}
	long n = wake_locked(b, &k, nwake, FUTEX_BITSET_MATCH_ANY, b2, &k2, nreq);
	unlock2(b, b2);
	return n;
}

static bool wake_op_cmp(int cmp, int32_t old, int32_t arg, bool *ok)
{
	*ok = true;
	switch (cmp) {
	case FUTEX_OP_CMP_EQ:
		return old == arg;
	case FUTEX_OP_CMP_NE:
		return old != arg;
	case FUTEX_OP_CMP_LT:
		return old < arg;
	case FUTEX_OP_CMP_LE:
		return old <= arg;
	case FUTEX_OP_CMP_GT:
		return old > arg;
	case FUTEX_OP_CMP_GE:
		return old >= arg;
	}
	*ok = false;
	return false;
}

static long do_wake_op(struct task *t, bool private, uint64_t uaddr, int n, int n2,
		       uint64_t uaddr2, uint32_t val3)
{
	int op = (val3 >> 28) & 0xf, cmp = (val3 >> 24) & 0xf;
	int32_t oparg = (int32_t)(val3 << 8) >> 20, cmparg = (int32_t)(val3 << 20) >> 20;
	struct fkey k, k2;
	uint32_t *p2;
	int r;

	if (op & FUTEX_OP_OPARG_SHIFT) {
		if (oparg < 0 || oparg > 31)
			return -EINVAL;
		oparg = (int32_t)(1u << oparg);
		op &= ~FUTEX_OP_OPARG_SHIFT;
	}
	if (op > FUTEX_OP_XOR || cmp > FUTEX_OP_CMP_GE)
		return -ENOSYS;
	if ((r = make_key(t, uaddr, private, &k)) || (r = make_key(t, uaddr2, private, &k2)))
		return r;
	struct bucket *b = bucket_of(&k), *b2 = bucket_of(&k2);
	lock2(b, b2);
	r = word(t, uaddr2, true, &p2);
	if (r) {
		unlock2(b, b2);
		return r;
	}
	/* The update must be atomic against application threads running on
	 * other CPUs, so it goes straight to the memory file. */
	uint32_t old = __atomic_load_n(p2, __ATOMIC_SEQ_CST), nv;
	do {
		switch (op) {
		case FUTEX_OP_SET:
			nv = (uint32_t)oparg;
			break;
		case FUTEX_OP_ADD:
			nv = old + (uint32_t)oparg;
			break;
		case FUTEX_OP_OR:
			nv = old | (uint32_t)oparg;
			break;
		case FUTEX_OP_ANDN:
			nv = old & ~(uint32_t)oparg;
			break;
		default:
			nv = old ^ (uint32_t)oparg;
			break;
		}
	} while (!__atomic_compare_exchange_n(p2, &old, nv, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_SEQ_CST));
	long woken = wake_locked(b, &k, n, FUTEX_BITSET_MATCH_ANY, NULL, NULL, 0);
	bool ok;
	if (wake_op_cmp(cmp, (int32_t)old, cmparg, &ok))
		woken += wake_locked(b2, &k2, n2, FUTEX_BITSET_MATCH_ANY, NULL, NULL, 0);
	unlock2(b, b2);
	return woken;
}

static long do_wake(struct task *t, bool private, uint64_t uaddr, int n, uint32_t bitset)
{
	struct fkey k;
	int r;
	if (!bitset)
		return -EINVAL;
	if ((r = make_key(t, uaddr, private, &k)))
		return r;
	struct bucket *b = bucket_of(&k);
	pthread_mutex_lock(&b->lock);
	long woken = wake_locked(b, &k, n, bitset, NULL, NULL, 0);
	pthread_mutex_unlock(&b->lock);
	return woken;
}

int futex_wake_private(struct task *t, uint64_t uaddr, int n)
{
	pthread_once(&init_once, init_buckets);
	return (int)do_wake(t, true, uaddr, n, FUTEX_BITSET_MATCH_ANY);
}

long futex_op(struct task *t, uint64_t uaddr, int op, uint32_t val, uint64_t timeout_or_val2,
	      uint64_t uaddr2, uint32_t val3)
{
	bool private = op & FUTEX_PRIVATE_FLAG;
	bool realtime = op & FUTEX_CLOCK_REALTIME;
	int cmd = op & FUTEX_CMD_MASK;
	struct timespec ts, deadline, *dl = NULL;
	clockid_t clock = realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC;
	struct fkey k;
	int r;

	pthread_once(&init_once, init_buckets);
	if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (timeout_or_val2) {
			if (mm_copy_in(t->mm, &ts, timeout_or_val2, sizeof ts))
				return -EFAULT;
			if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
				return -EINVAL;
			if (cmd == FUTEX_WAIT) /* relative, on CLOCK_MONOTONIC */
				deadline_after(clock, &ts, &deadline);
			else
				deadline = ts;
			dl = &deadline;
		}
		if ((r = make_key(t, uaddr, private, &k)))
			return r;
		return do_wait(t, &k, uaddr, val, cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : val3,
			       clock, dl);
	case FUTEX_WAKE:
		return do_wake(t, private, uaddr, (int)val, FUTEX_BITSET_MATCH_ANY);
	case FUTEX_WAKE_BITSET:
		return do_wake(t, private, uaddr, (int)val, val3);
	case FUTEX_REQUEUE:
		return do_requeue(t, private, uaddr, (int)val, (int)timeout_or_val2, uaddr2, false, 0);
	case FUTEX_CMP_REQUEUE:
		return do_requeue(t, private, uaddr, (int)val, (int)timeout_or_val2, uaddr2, true,
				  val3);
	case FUTEX_WAKE_OP:
		return do_wake_op(t, private, uaddr, (int)val, (int)timeout_or_val2, uaddr2, val3);
	}
	/* PI futexes and FUTEX_WAIT_REQUEUE_PI are not implemented. */
	return -ENOSYS;
}
