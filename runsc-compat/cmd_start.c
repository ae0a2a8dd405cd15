/* `cvisor start ID`: release a created container's init. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/control_proto.h"
#include "runsc-compat/cmd.h"
#include "runsc-compat/errors.h"
#include "runsc-compat/launch.h"
#include "runsc-compat/state.h"

int lifecycle_start(struct cli_opts *o, const char *id)
{
	struct ctr_state s;
	int lock, r = state_open(o->root, id, &s, &lock);
	if (r) {
		oci_error(o, r == -ENOENT ? "container %s does not exist" : "container %s: %s", id,
			  strerror(-r));
		return 1;
	}
	int rc = 1;
	if (s.status == CTR_STOPPED)
		oci_error(o, "cannot start a container that has stopped");
	else if (s.status != CTR_CREATED)
		oci_error(o, "cannot start an already running container");
	else if ((r = ctl_client_call(&s, CTL_START, 0, 0, NULL)))
		oci_error(o, "start %s: %s", id, strerror(r < 0 ? -r : r));
	else {
		s.status = CTR_RUNNING;
		if ((r = state_write(&s)))
			oci_error(o, "write state of %s: %s", id, strerror(-r));
		else
			rc = 0;
	}
	state_unlock(lock);
	state_free(&s);
	return rc;
}

int cmd_start(struct cli_opts *o, int argc, char **argv, int i)
{
	const struct flag *tables[] = {cli_global_flags(o), NULL};
	int r = flags_parse(tables, argc, argv, &i);
	if (r)
		return r;
	if (i != argc - 1) {
		fprintf(stderr, "Usage: cvisor start ID\n");
		return 2;
	}
	if ((r = cli_setup(o)))
		return r;
	return lifecycle_start(o, argv[i]);
}
