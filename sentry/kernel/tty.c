/* Controlling-terminal job control inside the sandbox (see tty.h). */
#include "sentry/kernel/tty.h"

#include <errno.h>
#include <sys/ioctl.h>

#include "sentry/kernel/task.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/mm/mm.h"

/* The caller's session leader if that session owns the terminal
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
		else if (v < 0)
			r = -EINVAL;
		else if (!pgrp_in_session(v, s->tgid))
			r = -EPERM;
		else
			s->tty_fg_pgid = v;
		break;
	case TIOCSCTTY:
		/* Only a session leader without a terminal may acquire it (or
		 * has it already). */
		if (t->tg->sid != t->tg->tgid)
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
	if (!r && (cmd == TIOCGPGRP || cmd == TIOCGSID) && mm_copy_out(t->mm, arg, &v, sizeof v))
		r = -EFAULT;
	*ret = r;
	return true;
}
