/* Entry point of the single cvisor binary.  The sentry and the gofer are
 * entered by re-executing this binary with an internal subcommand, so each
 * starts with a clean address space. */
#include <string.h>

#include "gofer/gofer.h"
#include "runsc-compat/cli.h"
#include "sentry/sentry.h"

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "__sentry"))
		return sentry_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "__gofer"))
		return gofer_main(argc - 1, argv + 1);
	return cli_main(argc, argv);
}
