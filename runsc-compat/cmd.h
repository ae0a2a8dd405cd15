/* Options shared by the cvisor subcommands and their entry points. */
#pragma once
#include <stdbool.h>

#include "runsc-compat/flags.h"

#define CVISOR_VERSION "0.1.0"
#define CVISOR_OCI_SPEC "1.0.2"

/* Global flags: given before the subcommand, or after it for `do`. */
struct cli_opts {
	const char *platform; /* --platform, default "ptrace" */
	const char *overlay;  /* --overlay, default "root:memory" */
	bool strace, debug;
	const char *debug_log;	/* --debug-log FILE */
	int debug_fd;		/* opened by cli_setup(), -1 without --debug-log */
	const char *root;	/* --root, state directory */
	const char *log;	/* --log FILE (runc compatibility) */
	const char *log_format; /* --log-format text|json */
	bool help, version;
};

/* The global flag table bound to o (NULL-terminated, static storage). */
const struct flag *cli_global_flags(struct cli_opts *o);
/* Checks flag values (platform, log format): 0 or 2 after one message. */
int cli_validate(const struct cli_opts *o);
/* Validates, opens the debug log and initialises logging: 0, 1 or 2. */
int cli_setup(struct cli_opts *o);
void cli_usage(int fd);

/* Subcommands: argv[*i] is the first argument after the subcommand name.
 * They return the process exit code. */
int cmd_do(struct cli_opts *o, int argc, char **argv, int i);
