/* `cvisor pause ID` (and resume's work, cmd_resume.c): freeze and thaw every process of
 * the container (inside the sentry, and its cgroup when there is one). */
#include <errno.h>
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
	const struct flag *tables[] = {cli_global_flags(o), NULL};
	int r = flags_parse(tables, argc, argv, &i);
	if (r)
		return r;
	if (i != argc - 1) {
		fprintf(stderr, "Usage: cvisor %s ID\n", name);
		return 2;
	}
	if ((r = cli_setup(o)))
		return r;
	const char *id = argv[i];
	struct ctr_state s;
	int lock;
	if ((r = state_open(o->root, id, &s, &lock))) {
		oci_error(o, r == -ENOENT ? "container %s does not exist" : "container %s: %s", id,
			  strerror(-r));
		return 1;
	}
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
			s.status = pause ? CTR_PAUSED : CTR_RUNNING;
			if ((r = state_write(&s)))
				oci_error(o, "write state of %s: %s", id, strerror(-r));
			else
				rc = 0;
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
