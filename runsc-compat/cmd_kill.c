/* `cvisor kill [--all] ID [SIGNAL]`: a signal to the container's init (or
 * every process inside); SIGKILL ends the whole sandbox. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "common/control_proto.h"
#include "runsc-compat/cmd.h"
#include "runsc-compat/errors.h"
#include "runsc-compat/launch.h"
#include "runsc-compat/signames.h"
#include "runsc-compat/state.h"

int cmd_kill(struct cli_opts *o, int argc, char **argv, int i)
{
	bool all = false;
	const struct flag f[] = {
	    {"all", FLAG_BOOL, &all},
	    {"a", FLAG_BOOL, &all},
	    {NULL, FLAG_BOOL, NULL},
	};
	/* Flags end at the id: the signal may look like one ("-9"). */
	char *pos[2];
	int n, r = cli_parse(o, f, argc, argv, i, 1, pos, 2, &n);
	if (r)
		return r;
	if (n < 1 || n > 2) {
		fprintf(stderr, "Usage: cvisor kill [--all] ID [SIGNAL]\n");
		return 2;
	}
	if ((r = cli_setup(o)))
		return r;
	const char *id = pos[0], *signame = n > 1 ? pos[1] : "SIGTERM";
	int sig = signame_parse(signame);
	if (sig < 0) {
		oci_error(o, "invalid signal \"%s\"", signame);
		return 1;
	}
	struct ctr_state s;
	int lock;
	if ((r = state_open(o->root, id, &s, &lock)))
		return oci_error_open(o, id, r);
	int rc = 0;
	if (s.status == CTR_STOPPED || s.status == CTR_CREATING) {
		oci_error(o, "container not running");
		rc = 1;
	} else if (sig == SIGKILL) {
		/* The sandbox dies with its init; killing the sentry on the host
		 * is that, and works even when it is frozen or stuck.  Whoever
		 * reaps it sees SIGKILL: status 137, as with runc. */
		launch_kill_sandbox(&s);
	} else if ((r = ctl_client_call(&s, CTL_SIGNAL, sig, all ? CTL_SIG_ALL : 0, NULL))) {
		if (r == -ECONNREFUSED || r == -ENOENT || r == ESRCH)
			oci_error(o, "container not running");
		else
			oci_error(o, "kill %s: %s", id, strerror(r < 0 ? -r : r));
		rc = 1;
	}
	state_unlock(lock);
	state_free(&s);
	return rc;
}
