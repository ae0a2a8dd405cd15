/* `cvisor ps [--format table|json] ID`: the container's processes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/control_proto.h"
#include "runsc-compat/cmd.h"
#include "runsc-compat/errors.h"
#include "runsc-compat/launch.h"
#include "runsc-compat/state.h"

int cmd_ps(struct cli_opts *o, int argc, char **argv, int i)
{
	const char *format = "table";
	const struct flag f[] = {
	    {"format", FLAG_STR, &format},
	    {"f", FLAG_STR, &format},
	    {NULL, FLAG_BOOL, NULL},
	};
	char *pos[1];
	int n, r = cli_parse(o, f, argc, argv, i, -1, pos, 1, &n);
	if (r)
		return r;
	/* runc passes anything after the id to ps(1); there is none here. */
	if (!n || (strcmp(format, "table") && strcmp(format, "json"))) {
		fprintf(stderr, "Usage: cvisor ps [--format table|json] ID\n");
		return 2;
	}
	if ((r = cli_setup(o)))
		return r;
	const char *id = pos[0];
	struct ctr_state s;
	if ((r = state_read(o->root, id, &s)))
		return oci_error_open(o, id, r);
	if (s.status == CTR_STOPPED || s.status == CTR_CREATING) {
		oci_error(o, "container not running");
		state_free(&s);
		return 1;
	}
	if (!strcmp(format, "json")) {
		/* The host's view: the sandbox is one process, the sentry. */
		printf("[%d]\n", (int)s.pid);
		state_free(&s);
		return 0;
	}
	char *list = NULL;
	/* A paused sandbox cannot answer: its threads are frozen. */
	if (s.status == CTR_PAUSED)
		r = EAGAIN;
	else
		r = ctl_client_call(&s, CTL_PS, 0, 0, &list);
	if (r) {
		oci_error(o, "ps %s: %s", id, strerror(r < 0 ? -r : r));
		free(list);
		state_free(&s);
		return 1;
	}
	/* runc's header (ps -ef); the PIDs are the sandbox's own. */
	printf("UID        PID  PPID  C STIME TTY          TIME CMD\n");
	for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
		int pid, ppid;
		unsigned uid;
		char st, comm[64];
		if (sscanf(line, "%d %d %u %c %63s", &pid, &ppid, &uid, &st, comm) != 5)
			continue;
		printf("%-8u %5d %5d  0 -     ?        00:00:00 %s\n", uid, pid, ppid, comm);
	}
	free(list);
	state_free(&s);
	return 0;
}
