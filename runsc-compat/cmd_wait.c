/* `cvisor wait ID` (runsc's): block until the container's init exits,
 * print {"id":...,"exitStatus":N} and exit with that status. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "common/control_proto.h"
#include "runsc-compat/cmd.h"
#include "runsc-compat/errors.h"
#include "runsc-compat/launch.h"
#include "runsc-compat/state.h"

int cmd_wait(struct cli_opts *o, int argc, char **argv, int i)
{
	const char *id;
	int r = cli_parse_id(o, NULL, argc, argv, i, "cvisor wait ID", &id);
	if (r)
		return r;
	struct ctr_state s;
	if ((r = state_read(o->root, id, &s)))
		return oci_error_open(o, id, r);
	int fd = s.status == CTR_STOPPED ? -ENOENT : ctl_client_connect(&s);
	struct ctl_resp resp;
	if (fd < 0 || ctl_client_send(fd, CTL_WAIT, 0, 0, NULL, 0, NULL, 0) ||
	    ctl_client_recv(fd, &resp, NULL) || resp.op != CTL_EXIT) {
		/* Gone before it could tell us (or killed outright). */
		if (fd >= 0)
			close(fd);
		oci_error(o, "container %s is not running", id);
		state_free(&s);
		return 1;
	}
	close(fd);
	int st = (int)resp.val;
	int code = (st & 0x7f) ? 128 + (st & 0x7f) : (st >> 8) & 0xff;
	printf("{\"id\":\"%s\",\"exitStatus\":%d}\n", id, code);
	state_free(&s);
	return code;
}
