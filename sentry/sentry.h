/* The sentry process: entered as `cvisor __sentry` by the front end.
 *
 * Command line (internal, built by runsc-compat):
 *   cvisor __sentry --gofer-fd=N [--platform=NAME] [--strace] [--debug]
 *                   [--debug-log-fd=N] [--cwd=PATH] -- ARGV...
 * The environment it is started with is the application's; fds 0-2 are the
 * application's stdio.  It exits with the application's exit code, or
 * 128+signal if the application was killed by a signal; 127 with
 * "cvisor: do: NAME: executable file not found in $PATH" when the command
 * does not exist; 126 when it exists but cannot be executed. */
#pragma once

int sentry_main(int argc, char **argv);
