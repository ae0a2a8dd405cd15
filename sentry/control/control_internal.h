/* Between the control server's files (control.c, spawn.c, freeze.c). */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "common/control_proto.h"

struct thread_group;

/* Starts a new process (no parent, own session) running argv: 0-2 are
 * fds (host fds, owned from here on; -1 for none), e->nfds of them.  On
 * success returns its pid and a counted reference to it in *out (drop it
 * with ctl_tg_put once its exit status is read); else -errno with a
 * one-line reason in err, worded as runc's. */
int ctl_spawn(const struct ctl_exec *e, const uint32_t *groups, char *cwd, char **argv,
	      char **envp, const int *fds, struct thread_group **out, char *err, size_t errlen);

/* Records which peer uid is the host's root (control.c); called while the
 * host's /proc is still reachable, before the sentry pivots. */
void ctl_note_admin(void);
