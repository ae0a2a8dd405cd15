/* `cvisor pause ID` (and resume's work, cmd_resume.c): freeze and thaw every process of
 * the container (inside the sentry, and its cgroup when there is one). */
#include <stdio.h>
#include <string.h>

#include "common/control_proto.h"
#include "runsc-compat/cgroup.h"
#include "runsc-compat/cmd.h"
#include "runsc-compat/errors.h"
#include "runsc-compat/launch.h"
#include "runsc-compat/state.h"

static void cgroup_freeze(const struct ctr_state *s, bool frozen)
{
	if (!s->cgroup_path[0])
		return;
	struct cgroup *cg = cg_open(s->cgroup_path);
	if (!cg)
		return;
	/* Best effort: the sentry-level freeze is the one that counts. */
	cg_freeze(cg, frozen);
	cg_free(cg);
}

int lifecycle_pause(struct cli_opts *o, int argc, char **argv, int i, bool pause)
{
	const char *name = pause ? "pause" : "resume";
	char usage[32];
	snprintf(usage, sizeof usage, "cvisor %s ID", name);
	const char *id;
	int r = cli_parse_id(o, NULL, argc, argv, i, usage, &id);
	if (r)
		return r;
	struct ctr_state s;
	int lock;
	if ((r = state_open(o->root, id, &s, &lock)))
		return oci_error_open(o, id, r);
	int rc = 1;
	if (s.status == CTR_STOPPED || s.status == CTR_CREATING || s.status == CTR_CREATED) {
		oci_error(o, "container not running");
	} else if (pause && s.status == CTR_PAUSED) {
		oci_error(o, "container already paused");
	} else if (!pause && s.status != CTR_PAUSED) {
		oci_error(o, "container not paused");
	} else {
		/* The sentry answers only while its cgroup is thawed: freeze it
		 * last and thaw it first. */
		if (!pause)
			cgroup_freeze(&s, false);
		r = ctl_client_call(&s, pause ? CTL_PAUSE : CTL_RESUME, 0, 0, NULL);
		if (r) {
			oci_error(o, "%s %s: %s", name, id, strerror(r < 0 ? -r : r));
		} else {
			if (pause)
				cgroup_freeze(&s, true);
			rc = lifecycle_set_status(o, &s, pause ? CTR_PAUSED : CTR_RUNNING);
		}
	}
	state_unlock(lock);
	state_free(&s);
	return rc;
}

int cmd_pause(struct cli_opts *o, int argc, char **argv, int i)
{
	return lifecycle_pause(o, argc, argv, i, true);
}
