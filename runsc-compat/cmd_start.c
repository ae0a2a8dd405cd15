/* `cvisor start ID`: release a created container's init. */
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
	if (r)
		return oci_error_open(o, id, r);
	int rc = 1;
	if (s.status == CTR_STOPPED)
		oci_error(o, "cannot start a container that has stopped");
	else if (s.status != CTR_CREATED)
		oci_error(o, "cannot start an already running container");
	else if ((r = ctl_client_call(&s, CTL_START, 0, 0, NULL)))
		oci_error(o, "start %s: %s", id, strerror(r < 0 ? -r : r));
	else
		rc = lifecycle_set_status(o, &s, CTR_RUNNING);
	state_unlock(lock);
	state_free(&s);
	return rc;
}

int cmd_start(struct cli_opts *o, int argc, char **argv, int i)
{
	const char *id;
	int r = cli_parse_id(o, NULL, argc, argv, i, "cvisor start ID", &id);
	return r ? r : lifecycle_start(o, id);
}
