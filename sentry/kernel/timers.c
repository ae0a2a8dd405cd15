/* Process timers: the timer thread and its heap, itimers, POSIX timers and
 * CPU-time accounting (see timers.h). */
#include "sentry/kernel/timers.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"

#define NSEC 1000000000LL
/* Shortest wait between two firings of a periodic timer: a 1 ns interval
 * would otherwise spin the timer thread.  The periods it skips are still
 * counted as overruns. */
#define MIN_PERIOD_NS 100000LL
/* A stay in the sentry longer than this may include sleeping: charge the
 * sentry thread's real CPU time instead of the wall time. */
#define SLOW_SENTRY_NS 50000ULL
/* Per-process cap; Linux's is RLIMIT_SIGPENDING-ish, EAGAIN beyond. */
#define MAX_POSIX_TIMERS 4096
#define CAP_WAKE_ALARM 35

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

enum { CPU_PROF = 0, CPU_VIRT = 1, CPU_SCHED = 2 };

struct posix_timer {
	struct posix_timer *next;
	struct itimers *it;
	int id;
	struct timer_event ev;
	bool cpu;            /* on a CPU clock: cpu_* fields, else kt */
	bool cpu_thread;     /* the CPU clock of thread cpu_tid, else the process */
	int cpu_tid;
	int cpu_which;       /* CPU_PROF, CPU_VIRT, CPU_SCHED */
	uint64_t cpu_when;   /* CPU ns; 0: disarmed */
	uint64_t cpu_interval;
	struct ktimer kt;    /* wall clocks; kt.firing counts CPU firings too */
	bool dead;           /* deleted while firing: the firing frees it */
	/* sighand->lock: the signal in flight and its overruns */
	bool queued;
	int overrun_pending, overrun_last;
};

static pthread_mutex_t timers_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t heap_cond;  /* CLOCK_MONOTONIC: the timer thread waits */
static pthread_cond_t fired_cond; /* a firing ended */
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static struct ktimer **heap;
static int heap_len, heap_cap;
static bool thread_started;

static void init_conds(void)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&heap_cond, &a);
	pthread_condattr_destroy(&a);
	pthread_cond_init(&fired_cond, NULL);
}

static void lock(void)
{
	pthread_once(&init_once, init_conds);
	pthread_mutex_lock(&timers_lock);
}

static void unlock(void)
{
	pthread_mutex_unlock(&timers_lock);
}

static int64_t now_ns(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return ts.tv_sec * NSEC + ts.tv_nsec;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a + b < a ? UINT64_MAX : a + b;
}

/* ---- the heap (timers_lock) ---- */

static bool before(const struct ktimer *a, const struct ktimer *b)
{
	return a->mono < b->mono;
}

static void heap_set(int i, struct ktimer *k)
{
	heap[i] = k;
	k->heap_idx = i;
}

static void heap_up(int i)
{
	struct ktimer *k = heap[i];
	while (i > 0 && before(k, heap[(i - 1) / 2])) {
		heap_set(i, heap[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(i, k);
}

static void heap_down(int i)
{
	struct ktimer *k = heap[i];
	for (;;) {
		int c = 2 * i + 1;
		if (c >= heap_len)
			break;
		if (c + 1 < heap_len && before(heap[c + 1], heap[c]))
			c++;
		if (!before(heap[c], k))
			break;
		heap_set(i, heap[c]);
		i = c;
	}
	heap_set(i, k);
}

static void heap_remove(struct ktimer *k)
{
	int i = k->heap_idx;
	if (i < 0)
		return;
	k->heap_idx = -1;
	heap_len--;
	if (i == heap_len)
		return;
	heap_set(i, heap[heap_len]);
	heap_up(i);
	heap_down(heap[i]->heap_idx);
}

static int heap_push(struct ktimer *k)
{
	if (heap_len == heap_cap) {
		int cap = heap_cap ? heap_cap * 2 : 16;
		struct ktimer **n = realloc(heap, sizeof *n * (size_t)cap);
		if (!n)
			return -ENOMEM;
		heap = n;
		heap_cap = cap;
	}
	heap_set(heap_len++, k);
	heap_up(k->heap_idx);
	return 0;
}

static void *timer_main(void *arg);

/* Arms k to expire at when (on k->clock); replaces an earlier arming. */
static int ktimer_arm(struct ktimer *k, int64_t when, int64_t interval)
{
	int64_t mono = now_ns(CLOCK_MONOTONIC);
	heap_remove(k);
	k->when = when;
	k->interval = interval;
	k->mono = k->clock == CLOCK_MONOTONIC ? when : mono + (when - now_ns(k->clock));
	if (!thread_started) {
		pthread_t th;
		sigset_t all, old;
		/* Host signals are for the task threads, never this one. */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		int r = pthread_create(&th, NULL, timer_main, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (r)
			return -EAGAIN;
		pthread_detach(th);
		thread_started = true;
	}
	if (heap_push(k))
		return -ENOMEM;
	if (k->heap_idx == 0)
		pthread_cond_signal(&heap_cond);
	return 0;
}

static void fire_begin(struct itimers *it, struct ktimer *k);
static void fire_end(struct itimers *it, struct ktimer *k);

static void *timer_main(void *arg)
{
	(void)arg;
	lock();
	for (;;) {
		if (!heap_len) {
			pthread_cond_wait(&heap_cond, &timers_lock);
			continue;
		}
		struct ktimer *k = heap[0];
		int64_t mono = now_ns(CLOCK_MONOTONIC);
		if (k->mono > mono) {
			struct timespec ts = {k->mono / NSEC, k->mono % NSEC};
			pthread_cond_timedwait(&heap_cond, &timers_lock, &ts);
			continue;
		}
		heap_remove(k);
		int64_t now = k->clock == CLOCK_MONOTONIC ? mono : now_ns(k->clock);
		if (now < k->when) {
			/* The host set its clock back: wait for the new distance. */
			k->mono = mono + (k->when - now);
			heap_push(k);
			continue;
		}
		uint64_t over = 0;
		if (k->interval) {
			int64_t n = (now - k->when) / k->interval + 1;
			k->when += n * k->interval;
			over = (uint64_t)(n - 1);
			int64_t wait = k->when - now;
			k->mono = mono + (wait < MIN_PERIOD_NS ? MIN_PERIOD_NS : wait);
			heap_push(k); /* cannot fail: its slot was just freed */
		}
		struct itimers *it = k->owner;
		fire_begin(it, k);
		unlock();
		k->fire(k, over);
		lock();
		fire_end(it, k); /* may drop and retake timers_lock */
	}
	return NULL;
}

/* ---- per-process state ---- */

/* Whether tg can still take signals (tasklist_lock held).  A process
 * whose timers fire while it exits is pinned (timers_exit) but may be
 * reaped: its sighand is gone then. */
static bool tg_alive_locked(struct thread_group *tg)
{
	return !tg->reaped && !tg->zombie && tg->sighand;
}

static void real_fire(struct ktimer *k, uint64_t over)
{
	(void)over;
	struct thread_group *tg = container_of(k, struct itimers, real)->tg;
	pthread_mutex_lock(&tasklist_lock);
	bool alive = tg_alive_locked(tg);
	pthread_mutex_unlock(&tasklist_lock);
	if (alive)
		sig_send_tg(tg, SIGALRM, NULL);
}

static struct itimers *get_itimers(struct thread_group *tg)
{
	struct itimers *it = tg->itimers;
	if (it)
		return it;
	it = calloc(1, sizeof *it);
	if (!it)
		return NULL;
	it->tg = tg;
	it->real.clock = CLOCK_MONOTONIC;
	it->real.heap_idx = -1;
	it->real.fire = real_fire;
	it->real.owner = it;
	__atomic_store_n(&tg->itimers, it, __ATOMIC_RELEASE);
	return it;
}

static void update_cpu_armed(struct itimers *it)
{
	int armed = it->virt_left || it->prof_left;
	for (struct posix_timer *p = it->posix; p && !armed; p = p->next)
		armed = p->cpu && p->cpu_when;
	__atomic_store_n(&it->cpu_armed, armed, __ATOMIC_RELAXED);
}

void timers_task_cputime(struct task *t, uint64_t *utime, uint64_t *stime)
{
	*utime = __atomic_load_n(&t->sched.utime_ns, __ATOMIC_RELAXED);
	*stime = __atomic_load_n(&t->sched.stime_ns, __ATOMIC_RELAXED);
}

void timers_tg_cputime(struct thread_group *tg, uint64_t *utime, uint64_t *stime)
{
	*utime = __atomic_load_n(&tg->utime_ns, __ATOMIC_RELAXED);
	*stime = __atomic_load_n(&tg->stime_ns, __ATOMIC_RELAXED);
}

static uint64_t pick(int which, uint64_t u, uint64_t s)
{
	return which == CPU_VIRT ? u : u + s;
}

/* Decodes a CPU clock id: the thread whose clock it is (0 for a process
 * clock) and the kind.  The named task is returned counted in *tp (or
 * NULL for t itself / t's process). */
static int decode_cpu_clock(struct task *t, clockid_t clock, bool *thread, int *which,
			    struct task **tp)
{
	*tp = NULL;
	if (clock == CLOCK_PROCESS_CPUTIME_ID || clock == CLOCK_THREAD_CPUTIME_ID) {
		*thread = clock == CLOCK_THREAD_CPUTIME_ID;
		*which = CPU_SCHED;
		return 0;
	}
	if (clock >= 0 || (clock & 3) == 3)
		return -EINVAL;
	/* Linux's encoding: ~pid << 3 | per-thread << 2 | kind. */
	int pid = ~(clock >> 3);
	*thread = clock & 4;
	*which = clock & 3;
	if (pid == 0 || (*thread && pid == t->tid) || (!*thread && pid == t->tg->tgid))
		return 0;
	struct task *o = task_lookup(pid);
	if (!o)
		return -EINVAL;
	if (!*thread && o->tid != o->tg->tgid) {
		task_put(o);
		return -EINVAL;
	}
	*tp = o;
	return 0;
}

int timers_cpu_clock(struct task *t, clockid_t clock, uint64_t *ns)
{
	bool thread;
	int which;
	struct task *o;
	uint64_t u, s;
	int r = decode_cpu_clock(t, clock, &thread, &which, &o);
	if (r)
		return r;
	struct task *src = o ? o : t;
	if (thread)
		timers_task_cputime(src, &u, &s);
	else
		timers_tg_cputime(src->tg, &u, &s);
	*ns = pick(which, u, s);
	if (o)
		task_put(o);
	return 0;
}

/* ---- itimers ---- */

static int64_t real_left(struct itimers *it)
{
	if (it->real.heap_idx < 0)
		return 0;
	int64_t left = it->real.when - now_ns(CLOCK_MONOTONIC);
	return left > 0 ? left : 1000; /* due: Linux reports 1 us */
}

int timers_itimer_get(struct thread_group *tg, int which, struct timer_val *cur)
{
	if (which < ITIMER_REAL || which > ITIMER_PROF)
		return -EINVAL;
	memset(cur, 0, sizeof *cur);
	lock();
	struct itimers *it = tg->itimers;
	if (it) {
		if (which == ITIMER_REAL) {
			cur->value = real_left(it);
			cur->interval = it->real.heap_idx >= 0 ? it->real.interval : 0;
		} else if (which == ITIMER_VIRTUAL) {
			cur->value = (int64_t)it->virt_left;
			cur->interval = (int64_t)it->virt_int;
		} else {
			cur->value = (int64_t)it->prof_left;
			cur->interval = (int64_t)it->prof_int;
		}
	}
	unlock();
	return 0;
}

int timers_itimer_set(struct thread_group *tg, int which, const struct timer_val *val,
		      struct timer_val *old)
{
	struct timer_val dummy;
	int r = timers_itimer_get(tg, which, old ? old : &dummy);
	if (r)
		return r;
	lock();
	struct itimers *it = val->value ? get_itimers(tg) : tg->itimers;
	if (!it) {
		unlock();
		return val->value ? -ENOMEM : 0;
	}
	switch (which) {
	case ITIMER_REAL:
		/* real_fire only needs it->tg, which outlives the firing. */
		heap_remove(&it->real);
		if (val->value)
			r = ktimer_arm(&it->real, now_ns(CLOCK_MONOTONIC) + val->value, val->interval);
		break;
	case ITIMER_VIRTUAL:
		it->virt_left = (uint64_t)val->value;
		it->virt_int = val->value ? (uint64_t)val->interval : 0;
		break;
	case ITIMER_PROF:
		it->prof_left = (uint64_t)val->value;
		it->prof_int = val->value ? (uint64_t)val->interval : 0;
		break;
	}
	update_cpu_armed(it);
	unlock();
	return r;
}

/* ---- POSIX timers ---- */

static struct posix_timer *find_timer(struct itimers *it, int id)
{
	for (struct posix_timer *p = it ? it->posix : NULL; p; p = p->next)
		if (p->id == id)
			return p;
	return NULL;
}

/* The queued siginfo of p's last signal, if still pending (sighand->lock). */
static struct sigqueue *queued_signal(struct posix_timer *p, struct task *target)
{
	struct sigpending *pend = target ? &target->pending : &p->it->tg->shared_pending;
	for (struct sigqueue *q = pend->head; q; q = q->next)
		if (q->info.si_code == SI_TIMER && q->info.si_timerid == p->id &&
		    q->info.si_signo == p->ev.signo)
			return q;
	return NULL;
}

static int clamp_int(uint64_t v)
{
	return v > INT_MAX ? INT_MAX : (int)v;
}

/* The SIGEV_THREAD_ID target, counted; NULL for process signals. */
static struct task *signal_target(struct posix_timer *p, bool *gone)
{
	*gone = false;
	if (!(p->ev.notify & SIGEV_THREAD_ID))
		return NULL;
	struct task *t = task_lookup(p->ev.tid);
	if (t && t->tg != p->it->tg) {
		task_put(t);
		t = NULL;
	}
	*gone = !t;
	return t;
}

/* A delivered signal's overruns become timer_getoverrun's answer
 * (sighand->lock held). */
static void settle(struct posix_timer *p, struct task *target)
{
	if (p->queued && !queued_signal(p, target)) {
		p->overrun_last = p->overrun_pending;
		p->overrun_pending = 0;
		p->queued = false;
	}
}

/* One expiry (plus over missed periods): a new signal, or one more overrun
 * on the signal still pending.  Called with no lock held, p kept alive by
 * kt.firing. */
static void posix_signal(struct posix_timer *p, uint64_t over)
{
	struct thread_group *tg = p->it->tg;
	bool gone, send = false;
	siginfo_t info;

	if (p->ev.notify == SIGEV_NONE)
		return;
	struct task *target = signal_target(p, &gone);
	if (gone)
		return;
	pthread_mutex_lock(&tasklist_lock);
	if (!tg_alive_locked(tg)) {
		pthread_mutex_unlock(&tasklist_lock);
		if (target)
			task_put(target);
		return;
	}
	struct sighand *sh = tg->sighand;
	pthread_mutex_lock(&sh->lock);
	struct sigqueue *q = queued_signal(p, target);
	if (q) {
		p->overrun_pending = clamp_int(add_sat((uint64_t)p->overrun_pending, 1 + over));
		q->info.si_overrun = p->overrun_pending;
	} else {
		if (p->queued)
			p->overrun_last = p->overrun_pending;
		p->overrun_pending = clamp_int(over);
		p->queued = true;
		send = true;
		memset(&info, 0, sizeof info);
		info.si_signo = p->ev.signo;
		info.si_code = SI_TIMER;
		info.si_timerid = p->id;
		info.si_overrun = p->overrun_pending;
		info.si_value.sival_ptr = (void *)(uintptr_t)p->ev.value;
	}
	pthread_mutex_unlock(&sh->lock);
	pthread_mutex_unlock(&tasklist_lock);
	if (send) {
		if (target)
			sig_send_task(target, p->ev.signo, &info);
		else
			sig_send_tg(tg, p->ev.signo, &info);
	}
	if (target)
		task_put(target);
}

static void posix_fire(struct ktimer *k, uint64_t over)
{
	posix_signal(container_of(k, struct posix_timer, kt), over);
}

static int wall_clock(struct task *t, clockid_t clock, clockid_t *out)
{
	switch (clock) {
	case CLOCK_REALTIME:
	case CLOCK_MONOTONIC:
	case CLOCK_BOOTTIME:
	case CLOCK_TAI:
		*out = clock;
		return 0;
	case CLOCK_REALTIME_ALARM:
	case CLOCK_BOOTTIME_ALARM:
		if (!(t->cred.cap_effective & (1ULL << CAP_WAKE_ALARM)))
			return -EPERM;
		*out = clock == CLOCK_REALTIME_ALARM ? CLOCK_REALTIME : CLOCK_BOOTTIME;
		return 0;
	case CLOCK_MONOTONIC_RAW:
	case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE:
		return -ENOTSUP; /* no timers on these in Linux either */
	}
	return -EINVAL;
}

int timers_posix_create(struct task *t, clockid_t clock, const struct timer_event *ev, int *id)
{
	struct posix_timer *p = calloc(1, sizeof *p);
	int r = 0;

	if (!p)
		return -ENOMEM;
	p->kt.heap_idx = -1;
	p->kt.fire = posix_fire;
	if (timers_is_cpu_clock(clock)) {
		struct task *o;
		bool thread;
		r = decode_cpu_clock(t, clock, &thread, &p->cpu_which, &o);
		if (r)
			goto fail;
		struct task *src = o ? o : t;
		/* Only clocks of the caller's own process can drive its timers. */
		if (src->tg != t->tg)
			r = -EINVAL;
		p->cpu = true;
		p->cpu_thread = thread;
		p->cpu_tid = src->tid;
		if (o)
			task_put(o);
		if (r)
			goto fail;
		p->kt.clock = CLOCK_MONOTONIC;
	} else {
		r = wall_clock(t, clock, &p->kt.clock);
		if (r)
			goto fail;
	}

	if (ev) {
		p->ev = *ev;
		switch (ev->notify) {
		case SIGEV_THREAD_ID: { /* == SIGEV_SIGNAL | SIGEV_THREAD_ID */
			struct task *o = task_lookup(ev->tid);
			bool ours = o && o->tg == t->tg;
			if (o)
				task_put(o);
			if (!ours) {
				r = -EINVAL;
				goto fail;
			}
			p->ev.notify = SIGEV_THREAD_ID;
		}
			/* fallthrough */
		case SIGEV_SIGNAL:
		case SIGEV_THREAD: /* glibc makes this a THREAD_ID; the kernel
				    * treats it as a process signal */
			if (ev->signo <= 0 || ev->signo > 64) {
				r = -EINVAL;
				goto fail;
			}
			break;
		case SIGEV_NONE:
			break;
		default:
			r = -EINVAL;
			goto fail;
		}
	}

	lock();
	struct itimers *it = get_itimers(t->tg);
	if (!it) {
		r = -ENOMEM;
	} else if (it->nr_posix >= MAX_POSIX_TIMERS) {
		r = -EAGAIN;
	} else {
		/* Ids go up from 0 and are not reused at once, as in Linux. */
		while (find_timer(it, it->next_id))
			it->next_id = it->next_id == INT_MAX ? 0 : it->next_id + 1;
		p->id = it->next_id;
		it->next_id = it->next_id == INT_MAX ? 0 : it->next_id + 1;
		if (!ev) {
			p->ev.notify = SIGEV_SIGNAL;
			p->ev.signo = SIGALRM;
			p->ev.value = (uint64_t)p->id;
		}
		p->it = it;
		p->kt.owner = it;
		p->next = it->posix;
		it->posix = p;
		it->nr_posix++;
		*id = p->id;
	}
	unlock();
	if (r)
		goto fail;
	return 0;
fail:
	free(p);
	return r;
}

/* Tasks a POSIX timer operation needs, looked up before timers_lock is
 * taken (task_lookup takes tasklist_lock, which is outside it). */
struct timer_refs {
	struct task *target; /* SIGEV_THREAD_ID target */
	struct task *clock;  /* the thread whose CPU clock drives the timer */
};

/* Finds timer id with timers_lock held and its tasks counted in refs
 * (release with put_refs after unlock()).  NULL (unlocked) if unknown. */
static struct posix_timer *find_locked(struct task *t, int id, struct timer_refs *refs)
{
	int tid = 0, ctid = 0;
	memset(refs, 0, sizeof *refs);
	lock();
	struct posix_timer *p = find_timer(t->tg->itimers, id);
	if (!p) {
		unlock();
		return NULL;
	}
	if (p->ev.notify & SIGEV_THREAD_ID)
		tid = p->ev.tid;
	if (p->cpu && p->cpu_thread && p->cpu_tid != t->tid)
		ctid = p->cpu_tid;
	if (!tid && !ctid)
		return p;
	unlock();
	refs->target = tid ? task_lookup(tid) : NULL;
	refs->clock = ctid ? task_lookup(ctid) : NULL;
	lock();
	/* Deleted (or replaced under the same id) meanwhile: act on what
	 * is there now, as if the call came later. */
	p = find_timer(t->tg->itimers, id);
	if (!p)
		unlock();
	return p;
}

static void put_refs(struct timer_refs *refs)
{
	if (refs->target)
		task_put(refs->target);
	if (refs->clock)
		task_put(refs->clock);
}

/* The CPU time p's clock shows now, as seen from thread t; other is the
 * clock's thread when it is not t (NULL: gone, the clock reads 0). */
static uint64_t cpu_now(struct posix_timer *p, struct task *t, struct task *other)
{
	uint64_t u = 0, s = 0;
	if (!p->cpu_thread)
		timers_tg_cputime(p->it->tg, &u, &s);
	else if (p->cpu_tid == t->tid)
		timers_task_cputime(t, &u, &s);
	else if (other && other->tid == p->cpu_tid)
		timers_task_cputime(other, &u, &s);
	return pick(p->cpu_which, u, s);
}

static void posix_get(struct posix_timer *p, struct task *t, struct task *other,
		      struct timer_val *cur)
{
	memset(cur, 0, sizeof *cur);
	if (p->cpu) {
		if (!p->cpu_when)
			return;
		uint64_t now = cpu_now(p, t, other);
		cur->value = p->cpu_when > now ? (int64_t)(p->cpu_when - now) : 1;
		cur->interval = (int64_t)p->cpu_interval;
		return;
	}
	if (p->kt.heap_idx < 0)
		return;
	int64_t left = p->kt.when - now_ns(p->kt.clock);
	cur->value = left > 0 ? left : 1;
	cur->interval = p->kt.interval;
}

/* The signal target as refs found it: matches p (sighand->lock held). */
static struct task *refs_target(struct posix_timer *p, struct timer_refs *refs)
{
	if (!(p->ev.notify & SIGEV_THREAD_ID))
		return NULL;
	return refs->target && refs->target->tid == p->ev.tid ? refs->target : NULL;
}

int timers_posix_settime(struct task *t, int id, bool abstime, const struct timer_val *val,
			 struct timer_val *old)
{
	struct timer_val dummy;
	struct timer_refs refs;
	int r = 0;

	struct posix_timer *p = find_locked(t, id, &refs);
	if (!p) {
		put_refs(&refs);
		return -EINVAL;
	}
	posix_get(p, t, refs.clock, old ? old : &dummy);
	heap_remove(&p->kt);
	p->cpu_when = 0;
	/* A new setting starts a new overrun count. */
	pthread_mutex_lock(&t->tg->sighand->lock);
	settle(p, refs_target(p, &refs));
	p->overrun_pending = p->overrun_last = 0;
	pthread_mutex_unlock(&t->tg->sighand->lock);
	if (val->value) {
		if (p->cpu) {
			uint64_t now = cpu_now(p, t, refs.clock);
			p->cpu_when = abstime ? (uint64_t)val->value : add_sat(now, (uint64_t)val->value);
			p->cpu_interval = (uint64_t)val->interval;
		} else {
			int64_t when = val->value;
			if (!abstime)
				when += now_ns(p->kt.clock);
			r = ktimer_arm(&p->kt, when, val->interval);
		}
	}
	update_cpu_armed(p->it);
	unlock();
	put_refs(&refs);
	return r;
}

int timers_posix_gettime(struct task *t, int id, struct timer_val *cur)
{
	struct timer_refs refs;
	struct posix_timer *p = find_locked(t, id, &refs);
	if (p) {
		posix_get(p, t, refs.clock, cur);
		unlock();
	}
	put_refs(&refs);
	return p ? 0 : -EINVAL;
}

int timers_posix_getoverrun(struct task *t, int id)
{
	struct timer_refs refs;
	int r = -EINVAL;
	struct posix_timer *p = find_locked(t, id, &refs);
	if (p) {
		pthread_mutex_lock(&t->tg->sighand->lock);
		settle(p, refs_target(p, &refs));
		r = p->overrun_last;
		pthread_mutex_unlock(&t->tg->sighand->lock);
		unlock();
	}
	put_refs(&refs);
	return r;
}

/* Unlinks p and disarms it; frees it unless a firing still uses it (the
 * firing frees it then).  timers_lock held. */
static void posix_destroy(struct itimers *it, struct posix_timer *p)
{
	for (struct posix_timer **pp = &it->posix; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	it->nr_posix--;
	p->cpu_when = 0;
	heap_remove(&p->kt);
	if (p->kt.firing)
		p->dead = true;
	else
		free(p);
}

int timers_posix_delete(struct task *t, int id)
{
	lock();
	struct itimers *it = t->tg->itimers;
	struct posix_timer *p = find_timer(it, id);
	bool found = p;
	/* No signal of it may arrive after timer_delete returns: wait for
	 * one being sent (the caller holds no lock it needs), then look again
	 * (another thread may have deleted it meanwhile). */
	while (p && p->kt.firing) {
		heap_remove(&p->kt);
		p->cpu_when = 0;
		pthread_cond_wait(&fired_cond, &timers_lock);
		p = find_timer(it, id);
	}
	if (p) {
		posix_destroy(it, p);
		update_cpu_armed(it);
	}
	unlock();
	return found ? 0 : -EINVAL;
}

void timers_posix_undo(struct task *t, int id)
{
	timers_posix_delete(t, id);
}

/* ---- firing bookkeeping (timers_lock held) ---- */

static void fire_begin(struct itimers *it, struct ktimer *k)
{
	k->firing++;
	it->busy++;
}

/* Ends a firing; frees what was deleted meanwhile.  An exited process's
 * pin is released here, which needs tasklist_lock: timers_lock is dropped
 * and retaken around it. */
static void fire_end(struct itimers *it, struct ktimer *k)
{
	k->firing--;
	it->busy--;
	pthread_cond_broadcast(&fired_cond);
	if (k != &it->real && !k->firing) {
		struct posix_timer *p = container_of(k, struct posix_timer, kt);
		if (p->dead)
			free(p);
	}
	if (!it->dead || it->busy)
		return;
	struct thread_group *tg = it->tg;
	free(it);
	unlock();
	pthread_mutex_lock(&tasklist_lock);
	/* As the reap does: the last reference frees the husk. */
	if (--tg->refs == 0)
		free(tg);
	pthread_mutex_unlock(&tasklist_lock);
	lock();
}

/* ---- hooks for the task core ---- */

static uint64_t thread_cpu_ns(void)
{
	return (uint64_t)now_ns(CLOCK_THREAD_CPUTIME_ID);
}

/* A CPU itimer that counts down by used ns: true when it expired. */
static bool itimer_tick(uint64_t *left, uint64_t interval, uint64_t used)
{
	if (!*left)
		return false;
	if (used < *left) {
		*left -= used;
		return false;
	}
	if (!interval) {
		*left = 0;
	} else {
		uint64_t past = (used - *left) % interval;
		*left = interval - past;
	}
	return true;
}

#define MAX_FIRE 16

/* On t's own thread: t's process cannot exit meanwhile, so no pin. */
static void check_cpu_timers(struct task *t, struct itimers *it, uint64_t ut, uint64_t st)
{
	struct posix_timer *fire[MAX_FIRE];
	uint64_t over[MAX_FIRE];
	int n = 0;
	bool vt, prof;

	lock();
	vt = itimer_tick(&it->virt_left, it->virt_int, ut);
	prof = itimer_tick(&it->prof_left, it->prof_int, ut + st);
	for (struct posix_timer *p = it->posix; p && n < MAX_FIRE; p = p->next) {
		/* Timers on another thread's clock are checked when that
		 * thread runs. */
		if (!p->cpu || !p->cpu_when || (p->cpu_thread && p->cpu_tid != t->tid))
			continue;
		uint64_t now = cpu_now(p, t, NULL);
		if (now < p->cpu_when)
			continue;
		over[n] = 0;
		if (p->cpu_interval) {
			uint64_t k = (now - p->cpu_when) / p->cpu_interval + 1;
			p->cpu_when += k * p->cpu_interval;
			over[n] = k - 1;
		} else {
			p->cpu_when = 0;
		}
		fire_begin(it, &p->kt);
		fire[n++] = p;
	}
	update_cpu_armed(it);
	unlock();

	if (vt)
		sig_send_tg(t->tg, SIGVTALRM, NULL);
	if (prof)
		sig_send_tg(t->tg, SIGPROF, NULL);
	for (int i = 0; i < n; i++)
		posix_signal(fire[i], over[i]);
	if (n) {
		lock();
		for (int i = 0; i < n; i++)
			fire_end(it, &fire[i]->kt);
		unlock();
	}
}

void timers_account_run(struct task *t, uint64_t ns_in_app, uint64_t ns_in_sentry)
{
	struct task_sched *s = &t->sched;
	uint64_t st;

	if (!s->cpu_base) {
		s->cpu_base = thread_cpu_ns() | 1;
		s->cpu_credited = 0;
	}
	if (ns_in_sentry < SLOW_SENTRY_NS) {
		st = ns_in_sentry;
		s->cpu_credited += st;
	} else {
		/* Maybe slept: charge what the sentry thread really used since
		 * the last such check, less what short stays already got. */
		uint64_t now = thread_cpu_ns(), used = now - s->cpu_base;
		st = used > s->cpu_credited ? used - s->cpu_credited : 0;
		s->cpu_base = now;
		s->cpu_credited = 0;
	}
	__atomic_fetch_add(&s->utime_ns, ns_in_app, __ATOMIC_RELAXED);
	__atomic_fetch_add(&s->stime_ns, st, __ATOMIC_RELAXED);
	__atomic_fetch_add(&t->tg->utime_ns, ns_in_app, __ATOMIC_RELAXED);
	__atomic_fetch_add(&t->tg->stime_ns, st, __ATOMIC_RELAXED);

	struct itimers *it = __atomic_load_n(&t->tg->itimers, __ATOMIC_ACQUIRE);
	if (it && __atomic_load_n(&it->cpu_armed, __ATOMIC_RELAXED))
		check_cpu_timers(t, it, ns_in_app, st);
}

void timers_task_fork(struct task *child, const struct task *parent)
{
	memset(&child->sched, 0, sizeof child->sched);
	if (!parent)
		return;
	child->sched.policy = parent->sched.policy;
	child->sched.rt_priority = parent->sched.rt_priority;
	child->sched.nice = parent->sched.nice;
	child->sched.affinity = parent->sched.affinity;
	if (parent->sched.reset_on_fork) {
		/* sched(7): real-time policies become SCHED_OTHER, negative
		 * nice values become 0. */
		if (child->sched.policy == SCHED_FIFO || child->sched.policy == SCHED_RR) {
			child->sched.policy = SCHED_OTHER;
			child->sched.rt_priority = 0;
		}
		if (child->sched.nice < 0)
			child->sched.nice = 0;
	}
}

void timers_exec(struct thread_group *tg)
{
	lock();
	struct itimers *it = tg->itimers;
	if (it) {
		while (it->posix)
			posix_destroy(it, it->posix);
		update_cpu_armed(it);
	}
	unlock();
}

void timers_exit(struct thread_group *tg)
{
	lock();
	struct itimers *it = tg->itimers;
	if (it) {
		__atomic_store_n(&tg->itimers, NULL, __ATOMIC_RELEASE);
		while (it->posix)
			posix_destroy(it, it->posix);
		heap_remove(&it->real);
		if (it->busy) {
			/* A signal is on its way to tg: keep the struct until it
			 * is out (the caller holds tasklist_lock). */
			it->dead = true;
			tg->refs++;
		} else {
			free(it);
		}
	}
	unlock();
}
