/* poll, ppoll, select, pselect6: readiness of sentry files (woken through
 * their wait queues) and host-backed files (one host ppoll together with
 * the task's waiter eventfd), timeouts, and the temporary signal mask. */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>

#include "sentry/kernel/signal.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/poll.h"

/* Longer timeouts than this are as good as infinite (and would overflow). */
#define FOREVER_SEC (1LL << 40)

/* Select's event classes, as Linux maps them onto poll bits. */
#define POLLIN_SET (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET (POLLPRI)

static const struct timespec ts_zero;

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Time left until the monotonic deadline (zero once it passed). */
static struct timespec ts_left(const struct timespec *deadline)
{
	struct timespec now, r;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (!ts_before(&now, deadline))
		return ts_zero;
	r.tv_sec = deadline->tv_sec - now.tv_sec;
	r.tv_nsec = deadline->tv_nsec - now.tv_nsec;
	if (r.tv_nsec < 0) {
		r.tv_nsec += 1000000000L;
		r.tv_sec--;
	}
	return r;
}

static bool passed(const struct timespec *deadline)
{
	if (!deadline)
		return false;
	struct timespec left = ts_left(deadline);
	return !left.tv_sec && !left.tv_nsec;
}

/* One poll over files (NULL file with fd >= 0: POLLNVAL; fd < 0: skipped).
 * deadline: absolute CLOCK_MONOTONIC, NULL for none.  Returns how many
 * entries have revents, or -ERESTARTNOHAND when a signal came first, or
 * -ENOMEM. */
static long poll_files(struct task *t, struct pollfd *pfd, struct file **files, unsigned n,
		       const struct timespec *deadline)
{
	struct waiter *w = &t->waiter;
	struct poll_table pt;
	struct pollfd *hp = NULL;
	unsigned *hidx = NULL;
	long ret = 0;
	/* Once the deadline is known to have passed, one last look without
	 * registering, as Linux does. */
	bool expired = passed(deadline);

	hp = malloc((n + 1) * sizeof *hp);
	hidx = malloc((n + 1) * sizeof *hidx);
	if (!hp || !hidx) {
		free(hp);
		free(hidx);
		return -ENOMEM;
	}
	poll_table_init(&pt, NULL);
	for (;;) {
		unsigned nh = 0;
		long count = 0;
		pt.w = expired ? NULL : w;
		for (unsigned i = 0; i < n; i++) {
			pfd[i].revents = 0;
			if (pfd[i].fd < 0)
				continue;
			if (!files[i]) {
				pfd[i].revents = POLLNVAL;
				count++;
				continue;
			}
			uint32_t want = (uint16_t)pfd[i].events | POLLERR | POLLHUP;
			uint32_t m = vfs_poll(files[i], &pt, want);
			if (pt.host_fd >= 0) {
				hp[nh] =
				    (struct pollfd){.fd = pt.host_fd, .events = pt.host_events};
				hidx[nh++] = i;
			}
			pfd[i].revents = (short)(m & want);
			if (pfd[i].revents)
				count++;
		}
		if (pt.err) {
			ret = pt.err;
			break;
		}
		bool sleep = !count && !expired;
		if (sleep && sig_pending(t)) {
			ret = -ERESTARTNOHAND;
			break;
		}
		if (nh) {
			/* Host fds: ask the host, sleeping there (with the waiter's
			 * eventfd so sentry wake-ups and signals end it) only when
			 * nothing is ready yet. */
			struct timespec left = sleep && deadline ? ts_left(deadline) : ts_zero;
			int efd = sleep ? waiter_host_fd(w) : -1;
			unsigned nq = nh;
			if (efd >= 0)
				hp[nq++] = (struct pollfd){.fd = efd, .events = POLLIN};
			int hr = ppoll(hp, nq, sleep && !deadline ? NULL : &left, NULL);
			if (efd >= 0)
				waiter_host_done(w);
			for (unsigned j = 0; hr > 0 && j < nh; j++) {
				unsigned i = hidx[j];
				uint32_t want = (uint16_t)pfd[i].events | POLLERR | POLLHUP;
				short r = (short)(hp[j].revents & want);
				if (hp[j].revents & POLLNVAL)
					r |= POLLERR;
				if (r && !pfd[i].revents)
					count++;
				pfd[i].revents |= r;
			}
			if (count || !sleep) {
				ret = count;
				break;
			}
			/* Woken, timed out, or a host signal: the eventfd said
			 * why only in the waiter (consume a wake, see a signal). */
			if (passed(deadline))
				expired = true;
			else if (waiter_sleep(w, CLOCK_MONOTONIC, &ts_zero) == -EINTR) {
				ret = -ERESTARTNOHAND;
				break;
			}
		} else {
			if (!sleep) {
				ret = count;
				break;
			}
			int r = waiter_sleep(w, CLOCK_MONOTONIC, deadline);
			if (r == -EINTR) {
				ret = -ERESTARTNOHAND;
				break;
			}
			if (r == -ETIMEDOUT)
				expired = true;
		}
		poll_table_release(&pt);
	}
	poll_table_destroy(&pt);
	free(hp);
	free(hidx);
	return ret;
}

/* ---- the temporary signal mask of ppoll and pselect6 ---- */

static int mask_in(struct task *t, uint64_t umask, uint64_t size, uint64_t *mask)
{
	if (size != sizeof(uint64_t))
		return -EINVAL;
	if (mm_copy_in(t->mm, mask, umask, sizeof *mask))
		return -EFAULT;
	return 0;
}

static void mask_set(struct task *t, uint64_t mask)
{
	struct sighand *sh = t->tg->sighand;
	pthread_mutex_lock(&sh->lock);
	t->saved_sigmask = t->sigmask;
	t->sigmask = mask & ~SIG_UNBLOCKABLE;
	pthread_mutex_unlock(&sh->lock);
}

/* Interrupted: the old mask comes back only after the handler frame was
 * built with it (so the handler runs under the temporary mask); otherwise
 * at once. */
static void mask_restore(struct task *t, long ret)
{
	struct sighand *sh = t->tg->sighand;
	pthread_mutex_lock(&sh->lock);
	if (ret == -ERESTARTNOHAND)
		t->restore_sigmask = true;
	else
		t->sigmask = t->saved_sigmask;
	pthread_mutex_unlock(&sh->lock);
	if (ret == -ERESTARTNOHAND)
		atomic_store(&t->work, true);
}

/* ---- poll, ppoll ---- */

static long do_poll(struct task *t, uint64_t ufds, uint64_t nfds, const struct timespec *deadline)
{
	if (nfds > (uint64_t)nofile_limit(t))
		return -EINVAL;
	unsigned n = (unsigned)nfds;
	struct pollfd *pfd = malloc((n ? n : 1) * sizeof *pfd);
	struct file **files = calloc(n ? n : 1, sizeof *files);
	long r;
	if (!pfd || !files) {
		r = -ENOMEM;
		goto out;
	}
	if (n && mm_copy_in(t->mm, pfd, ufds, n * sizeof *pfd)) {
		r = -EFAULT;
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		if (pfd[i].fd >= 0) {
			files[i] = fget(t, pfd[i].fd);
			if (files[i] && file_is_path(files[i])) {
				file_put(files[i]);
				files[i] = NULL;
			}
		}
	}
	r = poll_files(t, pfd, files, n, deadline);
	for (unsigned i = 0; i < n; i++)
		file_put(files[i]);
	/* revents are written back even when interrupted (as zeros). */
	if (r != -ENOMEM && n && mm_copy_out(t->mm, ufds, pfd, n * sizeof *pfd))
		r = -EFAULT;
out:
	free(pfd);
	free(files);
	return r;
}

static bool ts_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L;
}

/* The absolute deadline for a relative timeout; false when there is none
 * (too far off to matter). */
static bool deadline_of(const struct timespec *rel, struct timespec *abs)
{
	if (rel->tv_sec >= FOREVER_SEC)
		return false;
	deadline_after(CLOCK_MONOTONIC, rel, abs);
	return true;
}

/* Linux writes the time left back to ppoll's/pselect's timespec and
 * select's timeval (so a restarted call waits only the rest).  A fault
 * there is ignored, except that it turns a restart into EINTR. */
static long time_left_out(struct task *t, uint64_t uaddr, const struct timespec *deadline,
			  bool timeval, long r)
{
	if (!uaddr || !deadline)
		return r;
	struct timespec left = ts_left(deadline);
	int fault;
	if (timeval) {
		struct timeval tv = {.tv_sec = left.tv_sec, .tv_usec = left.tv_nsec / 1000};
		fault = mm_copy_out(t->mm, uaddr, &tv, sizeof tv);
	} else {
		fault = mm_copy_out(t->mm, uaddr, &left, sizeof left);
	}
	if (fault && r == -ERESTARTNOHAND)
		return -EINTR;
	return r;
}

DEFINE_SYSCALL(poll, R_INT, A_PTR, A_UINT, A_INT)
{
	int ms = (int)a[2];
	struct timespec dl;
	if (ms >= 0) {
		struct timespec rel = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000};
		deadline_after(CLOCK_MONOTONIC, &rel, &dl);
	}
	return do_poll(t, a[0], a[1], ms >= 0 ? &dl : NULL);
}

DEFINE_SYSCALL(ppoll, R_INT, A_PTR, A_UINT, A_PTR, A_PTR, A_UINT)
{
	struct timespec rel, dl, *dlp = NULL;
	uint64_t mask;
	long r;
	if (a[2]) {
		if (mm_copy_in(t->mm, &rel, a[2], sizeof rel))
			return -EFAULT;
		if (!ts_valid(&rel))
			return -EINVAL;
		if (deadline_of(&rel, &dl))
			dlp = &dl;
	}
	if (a[3]) {
		r = mask_in(t, a[3], a[4], &mask);
		if (r)
			return r;
		mask_set(t, mask);
	}
	r = do_poll(t, a[0], a[1], dlp);
	if (a[3])
		mask_restore(t, r);
	return time_left_out(t, a[2], dlp, false, r);
}

/* ---- select, pselect6 ---- */

#define NFDBITS_ 64

static long do_select(struct task *t, int nfds, uint64_t uin, uint64_t uout, uint64_t uex,
		      const struct timespec *deadline)
{
	if (nfds < 0)
		return -EINVAL;
	/* Bits past the table can name no open file: Linux ignores them. */
	pthread_mutex_lock(&t->files->lock);
	int size = t->files->size;
	pthread_mutex_unlock(&t->files->lock);
	if (nfds > size)
		nfds = size;
	size_t words = ((size_t)nfds + NFDBITS_ - 1) / NFDBITS_;
	size_t bytes = words * sizeof(uint64_t);
	uint64_t *sets = calloc(6 * (words ? words : 1), sizeof(uint64_t));
	struct pollfd *pfd = malloc((nfds ? nfds : 1) * sizeof *pfd);
	struct file **files = calloc(nfds ? nfds : 1, sizeof *files);
	unsigned *fdof = malloc((nfds ? nfds : 1) * sizeof *fdof);
	uint64_t *in = sets, *out = sets + words, *ex = sets + 2 * words;
	uint64_t *rin = sets + 3 * words, *rout = sets + 4 * words, *rex = sets + 5 * words;
	unsigned n = 0;
	long r;

	if (!sets || !pfd || !files || !fdof) {
		r = -ENOMEM;
		goto out;
	}
	if ((uin && mm_copy_in(t->mm, in, uin, bytes)) ||
	    (uout && mm_copy_in(t->mm, out, uout, bytes)) ||
	    (uex && mm_copy_in(t->mm, ex, uex, bytes))) {
		r = -EFAULT;
		goto out;
	}
	for (int fd = 0; fd < nfds; fd++) {
		uint64_t bit = 1ULL << (fd % NFDBITS_);
		size_t wi = fd / NFDBITS_;
		short ev = 0;
		if (in[wi] & bit)
			ev |= POLLIN_SET;
		if (out[wi] & bit)
			ev |= POLLOUT_SET;
		if (ex[wi] & bit)
			ev |= POLLEX_SET;
		if (!ev)
			continue;
		files[n] = fget(t, fd);
		if (!files[n] || file_is_path(files[n])) {
			r = -EBADF;
			n++;
			goto out;
		}
		pfd[n] = (struct pollfd){.fd = fd, .events = ev};
		fdof[n++] = (unsigned)fd;
	}
	r = poll_files(t, pfd, files, n, deadline);
	if (r < 0)
		goto out;
	r = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned fd = fdof[i];
		uint64_t bit = 1ULL << (fd % NFDBITS_);
		size_t wi = fd / NFDBITS_;
		short re = pfd[i].revents;
		if ((in[wi] & bit) && (re & POLLIN_SET)) {
			rin[wi] |= bit;
			r++;
		}
		if ((out[wi] & bit) && (re & POLLOUT_SET)) {
			rout[wi] |= bit;
			r++;
		}
		if ((ex[wi] & bit) && (re & POLLEX_SET)) {
			rex[wi] |= bit;
			r++;
		}
	}
	if ((uin && mm_copy_out(t->mm, uin, rin, bytes)) ||
	    (uout && mm_copy_out(t->mm, uout, rout, bytes)) ||
	    (uex && mm_copy_out(t->mm, uex, rex, bytes)))
		r = -EFAULT;
out:
	for (unsigned i = 0; i < n; i++)
		file_put(files[i]);
	free(sets);
	free(pfd);
	free(files);
	free(fdof);
	return r;
}

DEFINE_SYSCALL(select, R_INT, A_INT, A_PTR, A_PTR, A_PTR, A_PTR)
{
	struct timespec dl, *dlp = NULL;
	if (a[4]) {
		struct timeval tv;
		if (mm_copy_in(t->mm, &tv, a[4], sizeof tv))
			return -EFAULT;
		if (tv.tv_sec < 0 || tv.tv_usec < 0)
			return -EINVAL;
		/* Microseconds beyond a second carry over, as Linux allows. */
		struct timespec rel = {.tv_sec = tv.tv_sec + tv.tv_usec / 1000000,
				       .tv_nsec = (tv.tv_usec % 1000000) * 1000};
		if (deadline_of(&rel, &dl))
			dlp = &dl;
	}
	long r = do_select(t, (int)a[0], a[1], a[2], a[3], dlp);
	return time_left_out(t, a[4], dlp, true, r);
}

DEFINE_SYSCALL(pselect6, R_INT, A_INT, A_PTR, A_PTR, A_PTR, A_PTR, A_PTR)
{
	struct timespec rel, dl, *dlp = NULL;
	struct {
		uint64_t ss, len;
	} sarg = {0, 0};
	uint64_t mask;
	long r;
	if (a[4]) {
		if (mm_copy_in(t->mm, &rel, a[4], sizeof rel))
			return -EFAULT;
		if (!ts_valid(&rel))
			return -EINVAL;
		if (deadline_of(&rel, &dl))
			dlp = &dl;
	}
	if (a[5] && mm_copy_in(t->mm, &sarg, a[5], sizeof sarg))
		return -EFAULT;
	if (sarg.ss) {
		r = mask_in(t, sarg.ss, sarg.len, &mask);
		if (r)
			return r;
		mask_set(t, mask);
	}
	r = do_select(t, (int)a[0], a[1], a[2], a[3], dlp);
	if (sarg.ss)
		mask_restore(t, r);
	return time_left_out(t, a[4], dlp, false, r);
}
