/* The stub factory: one long-lived sentry thread that forks, controls and
 * reaps every stub process, so that no stub depends on a task's thread. */
#include "platform/ptrace/ptrace_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>

#include "common/log.h"

enum fac_kind { FAC_NEW, FAC_FLUSH, FAC_CLONE, FAC_INJECT };

struct fac_req {
	enum fac_kind kind;
	struct pf_as *as; /* in (out for FAC_NEW) */
	long nr;
	const uint64_t *args;
	long ret;
	bool done;
	struct fac_req *next;
};

/* Lock order: a leaf; the factory takes as->lock without holding it. */
static pthread_mutex_t fac_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t fac_wake = PTHREAD_COND_INITIALIZER; /* work for the factory */
static pthread_cond_t fac_done = PTHREAD_COND_INITIALIZER; /* a request finished */
static struct fac_req *fac_head, **fac_tail = &fac_head;
static pid_t *dying; /* killed stub processes not reaped yet */
static size_t ndying, capdying;
static bool started;
/* Stubs made ahead of time, while the factory is idle: as_new() is on the
 * fork+exec path and forking the sentry is most of its cost. */
#define POOL_MAX 2
static struct pf_as *pool[POOL_MAX];
static int npool;
static bool refill = true; /* cleared when making a stub fails */

/* The control thread died under an injection: its status is collected. */
static long gone(struct pf_as *as, long e)
{
	if (e == -ECHILD) {
		as->reaped = true;
		atomic_store(&as->dead, true);
		return -ESRCH;
	}
	return e;
}

static void serve(struct fac_req *r)
{
	struct pf_as *as = r->as;
	switch (r->kind) {
	case FAC_NEW:
		r->as = as_create();
		break;
	case FAC_FLUSH:
		pthread_mutex_lock(&as->lock);
		r->ret = as->reaped ? -ESRCH : gone(as, as_flush_locked(as, as->pid, NULL));
		pthread_mutex_unlock(&as->lock);
		break;
	case FAC_CLONE:
		r->ret = as->reaped ? -ESRCH : gone(as, stub_clone_inject(as->pid));
		break;
	case FAC_INJECT:
		r->ret =
		    as->reaped ? -ESRCH : gone(as, stub_syscall_inject(as->pid, r->nr, r->args));
		break;
	}
}

/* A stub process is reapable once every thread of it is: threads traced by
 * other sentry threads go when those threads collect them. */
static void reap_dying_locked(void)
{
	for (size_t i = 0; i < ndying;) {
		int status;
		pid_t r = waitpid(dying[i], &status, WNOHANG | __WALL);
		if ((r == dying[i] && (WIFEXITED(status) || WIFSIGNALED(status))) ||
		    (r < 0 && errno != EINTR))
			dying[i] = dying[--ndying];
		else
			i++;
	}
}

static void *factory_main(void *arg)
{
	pthread_mutex_lock(&fac_lock);
	for (;;) {
		if (ndying) {
			reap_dying_locked();
			if (!ndying)
				pthread_cond_broadcast(&fac_done);
		}
		struct fac_req *r = fac_head;
		if (r) {
			fac_head = r->next;
			if (!fac_head)
				fac_tail = &fac_head;
			pthread_mutex_unlock(&fac_lock);
			serve(r);
			pthread_mutex_lock(&fac_lock);
			r->done = true;
			if (r->kind == FAC_NEW && r->as)
				refill = true;
			pthread_cond_broadcast(&fac_done);
			continue;
		}
		if (refill && npool < POOL_MAX) {
			pthread_mutex_unlock(&fac_lock);
			struct pf_as *as = as_create();
			pthread_mutex_lock(&fac_lock);
			if (as)
				pool[npool++] = as;
			else
				refill = false; /* no retry loop; the next as_new tries */
			pthread_cond_broadcast(&fac_done);
			continue;
		}
		if (ndying) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 5 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&fac_wake, &fac_lock, &ts);
		} else {
			pthread_cond_wait(&fac_wake, &fac_lock);
		}
	}
	return NULL;
}

int factory_start(void)
{
	pthread_mutex_lock(&fac_lock);
	int e = 0;
	if (!started) {
		/* Signals for the sentry go to its other threads; the stubs
		 * reset their mask themselves. */
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		pthread_t th;
		e = -pthread_create(&th, NULL, factory_main, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (!e) {
			pthread_setname_np(th, "cvisor-stubs");
			pthread_detach(th);
			started = true;
		}
	}
	pthread_mutex_unlock(&fac_lock);
	return e;
}

static void submit(struct fac_req *r)
{
	r->next = NULL;
	r->done = false;
	pthread_mutex_lock(&fac_lock);
	*fac_tail = r;
	fac_tail = &r->next;
	pthread_cond_signal(&fac_wake);
	while (!r->done)
		pthread_cond_wait(&fac_done, &fac_lock);
	pthread_mutex_unlock(&fac_lock);
}

struct pf_as *factory_as_new(void)
{
	pthread_mutex_lock(&fac_lock);
	if (npool) {
		struct pf_as *as = pool[--npool];
		pthread_cond_signal(&fac_wake);
		pthread_mutex_unlock(&fac_lock);
		return as;
	}
	pthread_mutex_unlock(&fac_lock);
	struct fac_req r = {.kind = FAC_NEW};
	submit(&r);
	return r.as;
}

int factory_flush(struct pf_as *as)
{
	struct fac_req r = {.kind = FAC_FLUSH, .as = as};
	submit(&r);
	return (int)r.ret;
}

pid_t factory_clone(struct pf_as *as)
{
	struct fac_req r = {.kind = FAC_CLONE, .as = as};
	submit(&r);
	return (pid_t)r.ret;
}

long factory_inject(struct pf_as *as, long nr, const uint64_t args[6])
{
	struct fac_req r = {.kind = FAC_INJECT, .as = as, .nr = nr, .args = args};
	submit(&r);
	return r.ret;
}

void factory_reap(pid_t pid)
{
	pthread_mutex_lock(&fac_lock);
	if (ndying == capdying) {
		size_t cap = capdying ? 2 * capdying : 16;
		pid_t *p = realloc(dying, cap * sizeof *p);
		if (!p) {
			/* Left as a zombie until the sentry exits; never blocks. */
			log_warn("ptrace: cannot track stub %d for reaping", pid);
			pthread_mutex_unlock(&fac_lock);
			return;
		}
		dying = p;
		capdying = cap;
	}
	dying[ndying++] = pid;
	pthread_cond_signal(&fac_wake);
	pthread_mutex_unlock(&fac_lock);
}

void factory_settle(void)
{
	pthread_mutex_lock(&fac_lock);
	while (fac_head || ndying || (refill && npool < POOL_MAX))
		pthread_cond_wait(&fac_done, &fac_lock);
	pthread_mutex_unlock(&fac_lock);
}
