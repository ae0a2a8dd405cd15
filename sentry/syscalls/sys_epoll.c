/* epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait,
 * epoll_pwait2: argument checks and copies around sentry/fs/anon/epoll.c. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "sentry/fs/anon/anon.h"
#include "sentry/kernel/signal.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"

/* Linux's EP_MAX_EVENTS. */
#define EP_MAX_EVENTS (0x7fffffff / (int)sizeof(struct epoll_event))
/* One call reports at most this many events (fewer than asked is fine). */
#define EP_BATCH 1024

static long do_create(struct task *t, int flags)
{
	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	struct file *f = epoll_new(0);
	if (!f)
		return -ENOMEM;
	int fd = fd_install(t->files, f, flags & EPOLL_CLOEXEC, 0, nofile_limit(t));
	file_put(f);
	return fd;
}

DEFINE_SYSCALL(epoll_create, R_INT, A_INT)
{
	if ((int)a[0] <= 0)
		return -EINVAL;
	return do_create(t, 0);
}

DEFINE_SYSCALL(epoll_create1, R_INT, A_HEX) { return do_create(t, (int)a[0]); }

DEFINE_SYSCALL(epoll_ctl, R_INT, A_FD, A_INT, A_FD, A_PTR)
{
	int op = (int)a[1];
	struct epoll_event ev = {0};
	if (op != EPOLL_CTL_DEL && mm_copy_in(t->mm, &ev, a[3], sizeof ev))
		return -EFAULT;
	struct file *ep = fget(t, (int)a[0]);
	if (!ep)
		return -EBADF;
	struct file *f = fget(t, (int)a[2]);
	long r;
	if (!f || file_is_path(f) || file_is_path(ep))
		r = -EBADF;
	else
		r = epoll_ctl_file(ep, op, (int)a[2], f, ev.events, ev.data.u64);
	file_put(f);
	file_put(ep);
	return r;
}

static long do_wait(struct task *t, int epfd, uint64_t uev, int max, const struct timespec *dl)
{
	if (max <= 0 || max > EP_MAX_EVENTS)
		return -EINVAL;
	struct file *ep = fget(t, epfd);
	if (!ep)
		return -EBADF;
	if (!file_is_epoll(ep)) {
		file_put(ep);
		return -EINVAL;
	}
	int n = max < EP_BATCH ? max : EP_BATCH;
	struct epoll_event *out = malloc(n * sizeof *out);
	long r = out ? epoll_wait_file(t, ep, out, n, dl) : -ENOMEM;
	file_put(ep);
	/* Events already taken cannot be put back: a fault loses them, as
	 * on Linux. */
	if (r > 0 && mm_copy_out(t->mm, uev, out, r * sizeof *out))
		r = -EFAULT;
	free(out);
	return r;
}

static long wait_ms(struct task *t, const uint64_t *a)
{
	int ms = (int)a[3];
	struct timespec dl;
	if (ms >= 0) {
		struct timespec rel = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
		deadline_after(CLOCK_MONOTONIC, &rel, &dl);
	}
	return do_wait(t, (int)a[0], a[1], (int)a[2], ms >= 0 ? &dl : NULL);
}

DEFINE_SYSCALL(epoll_wait, R_INT, A_FD, A_PTR, A_INT, A_INT) { return wait_ms(t, a); }

/* The temporary signal mask of epoll_pwait/epoll_pwait2: interrupted, the
 * old mask comes back only after the handler frame was built with it. */
static long with_mask(struct task *t, uint64_t umask, uint64_t size, const uint64_t *a,
		      const struct timespec *dl, bool ms)
{
	uint64_t mask;
	if (umask) {
		if (size != sizeof mask)
			return -EINVAL;
		if (mm_copy_in(t->mm, &mask, umask, sizeof mask))
			return -EFAULT;
		struct sighand *sh = t->tg->sighand;
		pthread_mutex_lock(&sh->lock);
		t->saved_sigmask = t->sigmask;
		t->sigmask = mask & ~SIG_UNBLOCKABLE;
		pthread_mutex_unlock(&sh->lock);
	}
	long r = ms ? wait_ms(t, a) : do_wait(t, (int)a[0], a[1], (int)a[2], dl);
	if (umask) {
		struct sighand *sh = t->tg->sighand;
		pthread_mutex_lock(&sh->lock);
		if (r == -EINTR)
			t->restore_sigmask = true;
		else
			t->sigmask = t->saved_sigmask;
		pthread_mutex_unlock(&sh->lock);
		if (r == -EINTR)
			atomic_store(&t->work, true);
	}
	return r;
}

DEFINE_SYSCALL(epoll_pwait, R_INT, A_FD, A_PTR, A_INT, A_INT, A_PTR, A_UINT)
{
	return with_mask(t, a[4], a[5], a, NULL, true);
}

DEFINE_SYSCALL(epoll_pwait2, R_INT, A_FD, A_PTR, A_INT, A_PTR, A_PTR, A_UINT)
{
	struct timespec rel, dl, *dlp = NULL;
	if (a[3]) {
		if (mm_copy_in(t->mm, &rel, a[3], sizeof rel))
			return -EFAULT;
		if (rel.tv_sec < 0 || rel.tv_nsec < 0 || rel.tv_nsec >= 1000000000L)
			return -EINVAL;
		if (rel.tv_sec < (1LL << 40)) {
			deadline_after(CLOCK_MONOTONIC, &rel, &dl);
			dlp = &dl;
		}
	}
	return with_mask(t, a[4], a[5], a, dlp, false);
}
