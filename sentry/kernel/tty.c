/* Controlling terminals and job control inside the sandbox (see tty.h). */
#include "sentry/kernel/tty.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define CAP_SYS_ADMIN_BIT (1ULL << 21)

static struct tty_ctl *ttys; /* tasklist_lock */

/* The caller's session leader if that session owns the host terminal
 * (tasklist_lock held). */
static struct thread_group *tty_session(struct task *t)
{
	struct thread_group *s = tg_lookup_locked(t->tg->sid);
	if (!s || s->sid != t->tg->sid || !s->has_tty)
		return NULL;
	return s;
}

static bool pgrp_in_session(int pgid, int sid)
{
	for (struct thread_group *tg = all_tgs; tg; tg = tg->all_next)
		if (tg->pgid == pgid && tg->sid == sid && !tg->zombie)
			return true;
	return false;
}

/* TIOCSPGRP's checks of the new foreground group pgid in session sid
 * (tasklist_lock held): 0, -EINVAL or -EPERM. */
static long fg_pgrp_check(int pgid, int sid)
{
	if (pgid < 0)
		return -EINVAL;
	return pgrp_in_session(pgid, sid) ? 0 : -EPERM;
}

/* A job-control ioctl's result r: the getters also copy their value v
 * out to arg. */
static long jobctl_result(struct task *t, unsigned cmd, uint64_t arg, long r, int v)
{
	if (!r && (cmd == TIOCGPGRP || cmd == TIOCGSID) && mm_copy_out(t->mm, arg, &v, sizeof v))
		return -EFAULT;
	return r;
}

/* The live session c controls, or NULL (tasklist_lock held). */
static struct thread_group *ctl_session(struct tty_ctl *c)
{
	struct thread_group *s = c->session;
	return s && !s->zombie && !s->reaped ? s : NULL;
}

static void ctl_drop_session(struct tty_ctl *c)
{
	struct thread_group *s = c->session;
	c->session = NULL;
	c->fg_pgid = 0;
	if (s && --s->refs == 0)
		free(s);
}

/* The sentry terminal controlling session sid (tasklist_lock held). */
static struct tty_ctl *session_ctl(int sid)
{
	for (struct tty_ctl *c = ttys; c; c = c->next) {
		struct thread_group *s = ctl_session(c);
		if (s && s->tgid == sid)
			return c;
	}
	return NULL;
}

/* Whether t's session has any controlling terminal (tasklist_lock held). */
static bool session_has_ctty(struct task *t)
{
	return tty_session(t) || session_ctl(t->tg->sid);
}

bool tty_jobctl_ioctl(struct task *t, unsigned cmd, uint64_t arg, long *ret)
{
	int v = 0;
	long r = 0;
	switch (cmd) {
	case TIOCGPGRP:
	case TIOCGSID:
	case TIOCSPGRP:
	case TIOCSCTTY:
	case TIOCNOTTY:
		break;
	default:
		return false;
	}
	if (cmd == TIOCSPGRP && mm_copy_in(t->mm, &v, arg, sizeof v)) {
		*ret = -EFAULT;
		return true;
	}
	pthread_mutex_lock(&tasklist_lock);
	struct thread_group *s = tty_session(t);
	switch (cmd) {
	case TIOCGPGRP:
		if (!s)
			r = -ENOTTY;
		else
			v = s->tty_fg_pgid;
		break;
	case TIOCGSID:
		if (!s)
			r = -ENOTTY;
		else
			v = s->tgid;
		break;
	case TIOCSPGRP:
		if (!s)
			r = -ENOTTY;
		else if (!(r = fg_pgrp_check(v, s->tgid)))
			s->tty_fg_pgid = v;
		break;
	case TIOCSCTTY:
		/* Only a session leader without a terminal may acquire it (or
		 * has it already). */
		if (t->tg->sid != t->tg->tgid || session_ctl(t->tg->sid))
			r = -EPERM;
		else if (!t->tg->has_tty) {
			t->tg->has_tty = true;
			t->tg->tty_fg_pgid = t->tg->pgid;
		}
		break;
	case TIOCNOTTY:
		if (!s)
			r = -ENOTTY;
		else if (t->tg->sid == t->tg->tgid)
			s->has_tty = false;
		break;
	}
	pthread_mutex_unlock(&tasklist_lock);
	*ret = jobctl_result(t, cmd, arg, r, v);
	return true;
}

void tty_register(struct tty_ctl *c)
{
	pthread_mutex_lock(&tasklist_lock);
	c->next = ttys;
	ttys = c;
	pthread_mutex_unlock(&tasklist_lock);
}

void tty_unregister(struct tty_ctl *c)
{
	pthread_mutex_lock(&tasklist_lock);
	for (struct tty_ctl **pp = &ttys; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	ctl_drop_session(c);
	pthread_mutex_unlock(&tasklist_lock);
}

/* Makes c the controlling terminal of t's session (t its leader;
 * tasklist_lock held). */
static void ctl_attach(struct tty_ctl *c, struct task *t)
{
	ctl_drop_session(c);
	c->session = t->tg;
	t->tg->refs++;
	c->fg_pgid = t->tg->pgid;
}

bool tty_ctl_ioctl(struct tty_ctl *c, struct task *t, bool master, unsigned cmd, uint64_t arg,
		   long *ret)
{
	int v = 0;
	long r = 0;
	switch (cmd) {
	case TIOCGPGRP:
	case TIOCGSID:
		break;
	case TIOCSPGRP:
	case TIOCSCTTY:
	case TIOCNOTTY:
		if (master) {
			*ret = -ENOTTY;
			return true;
		}
		break;
	default:
		return false;
	}
	if (cmd == TIOCSPGRP && mm_copy_in(t->mm, &v, arg, sizeof v)) {
		*ret = -EFAULT;
		return true;
	}
	int hup_pgid = 0;
	pthread_mutex_lock(&tasklist_lock);
	struct thread_group *s = ctl_session(c);
	bool mine = s && s->tgid == t->tg->sid;
	switch (cmd) {
	case TIOCGPGRP:
		if (!master && !mine)
			r = -ENOTTY;
		else
			v = s ? c->fg_pgid : 0;
		break;
	case TIOCGSID:
		if ((!master && !mine) || !s)
			r = -ENOTTY;
		else
			v = s->tgid;
		break;
	case TIOCSPGRP:
		if (!mine)
			r = -ENOTTY;
		else if (!(r = fg_pgrp_check(v, s->tgid)))
			c->fg_pgid = v;
		break;
	case TIOCSCTTY:
		if (mine)
			break;
		/* A session leader without a terminal; stealing another
		 * session's needs arg 1 and CAP_SYS_ADMIN. */
		if (t->tg->sid != t->tg->tgid || session_has_ctty(t))
			r = -EPERM;
		else if (s && !(arg == 1 && (t->cred.cap_effective & CAP_SYS_ADMIN_BIT)))
			r = -EPERM;
		else
			ctl_attach(c, t);
		break;
	case TIOCNOTTY:
		if (!mine)
			r = -ENOTTY;
		else if (t->tg->sid == t->tg->tgid) {
			/* The controlling process gives it up: its foreground
			 * group hears of it, as on the leader's exit. */
			hup_pgid = c->fg_pgid;
			ctl_drop_session(c);
		}
		break;
	}
	pthread_mutex_unlock(&tasklist_lock);
	if (hup_pgid > 0) {
		sig_send_pgrp(hup_pgid, SIGHUP, NULL);
		sig_send_pgrp(hup_pgid, SIGCONT, NULL);
	}
	*ret = jobctl_result(t, cmd, arg, r, v);
	return true;
}

/* Whether process group pgid is orphaned: no member has a parent in
 * another group of the same session (tasklist_lock held). */
static bool pgrp_orphaned(int pgid)
{
	for (struct thread_group *tg = all_tgs; tg; tg = tg->all_next) {
		if (tg->pgid != pgid || tg->zombie)
			continue;
		struct thread_group *p = tg->parent;
		if (p && p->pgid != pgid && p->sid == tg->sid)
			return false;
	}
	return true;
}

int tty_check_job(struct tty_ctl *c, struct task *t, int sig)
{
	pthread_mutex_lock(&tasklist_lock);
	struct thread_group *s = ctl_session(c);
	if (!s || s->tgid != t->tg->sid || t->tg->pgid == c->fg_pgid) {
		pthread_mutex_unlock(&tasklist_lock);
		return 0;
	}
	struct sighand *sh = t->tg->sighand;
	pthread_mutex_lock(&sh->lock);
	bool ignored = sh->action[sig - 1].handler == (uint64_t)(uintptr_t)SIG_IGN ||
		       (t->sigmask & SIGBIT(sig));
	pthread_mutex_unlock(&sh->lock);
	int pgid = t->tg->pgid, r;
	if (ignored)
		r = sig == SIGTTIN ? -EIO : 0;
	else if (pgrp_orphaned(pgid))
		r = -EIO;
	else
		r = -ERESTARTSYS; /* the stop comes first, then the restart */
	pthread_mutex_unlock(&tasklist_lock);
	if (r == -ERESTARTSYS)
		sig_send_pgrp(pgid, sig, NULL);
	return r;
}

void tty_open_acquire(struct tty_ctl *c, struct task *t)
{
	pthread_mutex_lock(&tasklist_lock);
	if (t->tg->sid == t->tg->tgid && !ctl_session(c) && !session_has_ctty(t))
		ctl_attach(c, t);
	pthread_mutex_unlock(&tasklist_lock);
}

struct tty_ctl *tty_current(struct task *t, bool *host)
{
	pthread_mutex_lock(&tasklist_lock);
	struct tty_ctl *c = session_ctl(t->tg->sid);
	if (c && !c->hold(c))
		c = NULL;
	*host = !c && tty_session(t);
	pthread_mutex_unlock(&tasklist_lock);
	return c;
}

void tty_signal_fg(struct tty_ctl *c, int sig)
{
	pthread_mutex_lock(&tasklist_lock);
	int pgid = ctl_session(c) ? c->fg_pgid : 0;
	pthread_mutex_unlock(&tasklist_lock);
	if (pgid > 0)
		sig_send_pgrp(pgid, sig, NULL);
}

void tty_hangup(struct tty_ctl *c)
{
	pthread_mutex_lock(&tasklist_lock);
	struct thread_group *s = ctl_session(c);
	if (s)
		s->refs++;
	ctl_drop_session(c);
	pthread_mutex_unlock(&tasklist_lock);
	if (!s)
		return;
	sig_send_tg(s, SIGHUP, NULL);
	sig_send_tg(s, SIGCONT, NULL);
	pthread_mutex_lock(&tasklist_lock);
	if (--s->refs == 0)
		free(s);
	pthread_mutex_unlock(&tasklist_lock);
}
