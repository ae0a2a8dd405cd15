/* Controlling terminals and job control inside the sandbox.
 *
 * Two kinds of terminal can be a session's controlling terminal:
 *  - the host terminal passed in as stdio: the controlling terminal of
 *    init's session; its state lives on the session leader's thread group
 *    (has_tty, tty_fg_pgid in task.h), as the host's groups mean nothing
 *    inside;
 *  - a sentry terminal (a devpts slave, sentry/fs/dev): a struct tty_ctl
 *    embedded in the terminal, naming the session it controls and its
 *    foreground group.
 * A session has at most one of the two (TIOCSCTTY refuses a second).
 *
 * Locking: tty_ctl fields are guarded by tasklist_lock.  None of these
 * functions may be called with a terminal's own lock held (they take
 * tasklist_lock and send signals); terminals collect what to signal under
 * their lock and call in after dropping it.
 */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct task;
struct thread_group;

struct tty_ctl {
	/* The leader of the session this terminal controls (a counted
	 * reference on the thread group), or NULL.  A leader that exited
	 * no longer holds the terminal. */
	struct thread_group *session;
	int fg_pgid;
	/* Takes a reference on the terminal owning this ctl, unless it is
	 * already going away (false); called under tasklist_lock, so it must
	 * not block: tty_current's result. */
	bool (*hold)(struct tty_ctl *c);
	struct tty_ctl *next; /* every registered terminal */
};

/* TIOCGPGRP, TIOCSPGRP, TIOCGSID, TIOCSCTTY, TIOCNOTTY on the host terminal.
 * Returns true and sets *ret if cmd is one of them. */
bool tty_jobctl_ioctl(struct task *t, unsigned cmd, uint64_t arg, long *ret);

/* ---- Sentry terminals ---- */

/* Makes c findable as a controlling terminal (at the terminal's creation);
 * unregister at its end, which also lets its session go. */
void tty_register(struct tty_ctl *c);
void tty_unregister(struct tty_ctl *c);

/* The same job-control ioctls on sentry terminal c.  master: issued on the
 * master side, which may read the foreground group and session without
 * being the caller's controlling terminal (TIOCSPGRP, TIOCSCTTY and
 * TIOCNOTTY on a master give ENOTTY, as Linux). */
bool tty_ctl_ioctl(struct tty_ctl *c, struct task *t, bool master, unsigned cmd, uint64_t arg,
		   long *ret);

/* Job control before a read (sig SIGTTIN) or a write with TOSTOP or a
 * termios change (SIGTTOU) on c by t: 0 to go on (not t's controlling
 * terminal, or t is in the foreground), -EIO (SIGTTIN ignored or blocked,
 * or an orphaned group), or -ERESTARTSYS after signalling t's group.  A
 * blocked or ignored SIGTTOU lets the write through. */
int tty_check_job(struct tty_ctl *c, struct task *t, int sig);

/* An open without O_NOCTTY: a session leader without a controlling
 * terminal acquires c, if c controls no other session. */
void tty_open_acquire(struct tty_ctl *c, struct task *t);

/* t's controlling terminal: a held sentry terminal (see hold), or NULL
 * with *host set when it is the host terminal (both unset: none). */
struct tty_ctl *tty_current(struct task *t, bool *host);

/* Sends sig to c's foreground process group (ISIG characters, SIGWINCH). */
void tty_signal_fg(struct tty_ctl *c, int sig);

/* The terminal hung up (its master closed): SIGHUP and SIGCONT to the
 * controlling process, and c stops being anyone's controlling terminal. */
void tty_hangup(struct tty_ctl *c);
