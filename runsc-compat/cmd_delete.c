/* `cvisor delete [--force] ID`: remove a container's state, cgroup and
 * whatever of it still runs (--force). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runsc-compat/cgroup.h"
#include "runsc-compat/cmd.h"
#include "runsc-compat/errors.h"
#include "runsc-compat/launch.h"
#include "runsc-compat/state.h"

int lifecycle_delete(struct cli_opts *o, const char *id, bool force)
{
	struct ctr_state s;
	int lock, r = state_open(o->root, id, &s, &lock);
	if (r == -ENOENT && force)
		return 0;
	if (r)
		return oci_error_open(o, id, r);
	/* A created container was never started: like runc, deleting it is
	 * fine without --force. */
	if ((s.status == CTR_RUNNING || s.status == CTR_PAUSED) && !force) {
		oci_error(o, "cannot delete container %s that is not stopped: %s", id,
			  state_status_name(s.status));
		state_unlock(lock);
		state_free(&s);
		return 1;
	}
	if (s.status == CTR_PAUSED && s.cgroup_path[0]) {
		struct cgroup *cg = cg_open(s.cgroup_path);
		if (cg) {
			cg_freeze(cg, false);
			cg_free(cg);
		}
	}
	launch_kill_sandbox(&s);
	if (s.cgroup_path[0]) {
		struct cgroup *cg = cg_open(s.cgroup_path);
		if (cg) {
			cg_destroy(cg);
			cg_free(cg);
		}
	}
	if ((r = state_remove(&s, lock))) {
		oci_error(o, "remove state of %s: %s", id, strerror(-r));
		state_free(&s);
		return 1;
	}
	state_free(&s);
	return 0;
}

int cmd_delete(struct cli_opts *o, int argc, char **argv, int i)
{
	bool force = false;
	const struct flag f[] = {
	    {"force", FLAG_BOOL, &force},
	    {"f", FLAG_BOOL, &force},
	    {NULL, FLAG_BOOL, NULL},
	};
	const char *id;
	int r = cli_parse_id(o, f, argc, argv, i, "cvisor delete [--force] ID", &id);
	return r ? r : lifecycle_delete(o, id, force);
}
