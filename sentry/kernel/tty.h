/* Job control on the sandbox's controlling terminal: the host terminal
 * passed in as stdio is the controlling terminal of init's session, and the
 * foreground process group lives in the sentry (the host's groups mean
 * nothing inside).  Kept on the session leader's thread group. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct task;

/* TIOCGPGRP, TIOCSPGRP, TIOCGSID, TIOCSCTTY, TIOCNOTTY on a terminal file.
 * Returns true and sets *ret if cmd is one of them. */
bool tty_jobctl_ioctl(struct task *t, unsigned cmd, uint64_t arg, long *ret);
