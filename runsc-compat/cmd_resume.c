/* `cvisor resume ID`: thaw a paused container (the work is in cmd_pause.c). */
#include "runsc-compat/cmd.h"
#include "runsc-compat/launch.h"

int cmd_resume(struct cli_opts *o, int argc, char **argv, int i)
{
	return lifecycle_pause(o, argc, argv, i, false);
}
