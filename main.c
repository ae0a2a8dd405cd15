/* Entry point of the single cvisor binary.  The sentry and the gofer are
 * entered by re-executing this binary with an internal subcommand, so each
 * starts with a clean address space. */
#include <string.h>

#include "gofer/gofer.h"
#include "runsc-compat/cli.h"
#include "sentry/sentry.h"

#ifdef __SANITIZE_ADDRESS__
/* The sentry and gofer end inside roots without /proc, where LeakSanitizer
 * cannot run at exit; leaks are checked by the unit tests instead. */
const char *__lsan_default_options(void);
const char *__lsan_default_options(void)
{
	return "detect_leaks=0";
}
#endif

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "__sentry"))
		return sentry_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "__gofer"))
		return gofer_main(argc - 1, argv + 1);
	return cli_main(argc, argv);
}
