/* `cvisor state ID`: the container's OCI state as JSON on stdout. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsc-compat/cmd.h"
#include "runsc-compat/errors.h"
#include "runsc-compat/state.h"

int cmd_state(struct cli_opts *o, int argc, char **argv, int i)
{
	char *pos[1];
	int r = cli_parse_info(o, NULL, argc, argv, i, "state",
			       "Usage: cvisor [global flags] state ID\n"
			       "Prints the OCI state of container ID as JSON.\n",
			       pos, 1);
	if (r >= 0)
		return r;
	if (!pos[0][0]) {
		oci_error(o, "container id cannot be empty");
		return 1;
	}
	struct ctr_state s;
	r = state_read(o->root, pos[0], &s);
	if (r == -ENOENT || r == -ENOTDIR) {
		oci_error(o, "container \"%s\" does not exist", pos[0]);
		return 1;
	}
	if (r) {
		oci_error(o, "state of container \"%s\": %s", pos[0], strerror(-r));
		return 1;
	}
	char *j = state_oci_json(&s);
	state_free(&s);
	if (!j) {
		oci_error(o, "state: out of memory");
		return 1;
	}
	printf("%s\n", j);
	free(j);
	return 0;
}
