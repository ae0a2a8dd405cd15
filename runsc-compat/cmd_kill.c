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
	const struct flag *tables[] = {f, cli_global_flags(o), NULL};
	int r = flags_parse(tables, argc, argv, &i);
	if (r)
		return r;
	const char *id = i < argc ? argv[i++] : NULL;
	const char *signame = i < argc ? argv[i++] : "SIGTERM";
	if (!id || i < argc) {
		fprintf(stderr, "Usage: cvisor kill [--all] ID [SIGNAL]\n");
		return 2;
	}
	if ((r = cli_setup(o)))
		return r;
	int sig = signame_parse(signame);
	if (sig < 0) {
		oci_error(o, "invalid signal \"%s\"", signame);
		return 1;
	}
	struct ctr_state s;
	int lock;
	if ((r = state_open(o->root, id, &s, &lock))) {
		oci_error(o, r == -ENOENT ? "container %s does not exist" : "container %s: %s", id,
			  strerror(-r));
		return 1;
	}
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
