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
	const char *network; /* --network sandbox|host|none, default "sandbox" */
	bool systemd_cgroup; /* --systemd-cgroup: accepted, cgroupfs is used */
};

/* The global flag table bound to o (NULL-terminated, static storage). */
const struct flag *cli_global_flags(struct cli_opts *o);
/* Checks flag values (platform, log format): 0 or 2 after one message. */
int cli_validate(const struct cli_opts *o);
/* Validates, opens the debug log and initialises logging: 0, 1 or 2. */
int cli_setup(struct cli_opts *o);
void cli_usage(int fd);

/* Parses what follows the subcommand name (argv[i] on): the global flags
 * and the subcommand's own (local, NULL-terminated, may be NULL) in any
 * order around the positional arguments, as conmon and the containerd shim
 * mix them.  Once flags_until (-1: never) positional arguments are seen,
 * the rest is positional whatever it looks like (exec ID CMD -x).  "--"
 * ends the flags too.  Positional arguments go to pos (at most max; *n is
 * their count, which may exceed max).  Validates the global flags at the
 * end.  0, or 2 after one message on stderr. */
int cli_parse(struct cli_opts *o, const struct flag *local, int argc, char **argv, int i,
	      int flags_until, char **pos, int max, int *n);
/* cli_parse for the subcommands that take one container ID and nothing
 * else: anything but one positional argument prints "Usage: " usage; then
 * cli_setup.  0 with *id set, or the exit code after a message. */
int cli_parse_id(struct cli_opts *o, const struct flag *local, int argc, char **argv, int i,
		 const char *usage, const char **id);
/* cli_parse for the informational subcommands (state, list, spec,
 * features), as runc words their errors: with --help prints help on stdout;
 * anything but exactly nargs positional arguments (into pos) is an error.
 * -1 to go on, else the exit code (0 after the help, 1 or 2 after a
 * message). */
int cli_parse_info(struct cli_opts *o, const struct flag *local, int argc, char **argv, int i,
		   const char *name, const char *help, char **pos, int nargs);

/* Subcommands: argv[*i] is the first argument after the subcommand name.
 * They return the process exit code. */
int cmd_do(struct cli_opts *o, int argc, char **argv, int i);
/* OCI runtime subcommands: informational (cmd_state.c, cmd_list.c,
 * cmd_spec.c, cmd_features.c) and the lifecycle (one cmd_X.c each). */
int cmd_state(struct cli_opts *o, int argc, char **argv, int i);
int cmd_list(struct cli_opts *o, int argc, char **argv, int i);
int cmd_spec(struct cli_opts *o, int argc, char **argv, int i);
int cmd_features(struct cli_opts *o, int argc, char **argv, int i);
int cmd_create(struct cli_opts *o, int argc, char **argv, int i);
int cmd_start(struct cli_opts *o, int argc, char **argv, int i);
int cmd_kill(struct cli_opts *o, int argc, char **argv, int i);
int cmd_delete(struct cli_opts *o, int argc, char **argv, int i);
int cmd_exec(struct cli_opts *o, int argc, char **argv, int i);
int cmd_run(struct cli_opts *o, int argc, char **argv, int i);
int cmd_ps(struct cli_opts *o, int argc, char **argv, int i);
int cmd_pause(struct cli_opts *o, int argc, char **argv, int i);
int cmd_resume(struct cli_opts *o, int argc, char **argv, int i);
int cmd_wait(struct cli_opts *o, int argc, char **argv, int i);
int cmd_events(struct cli_opts *o, int argc, char **argv, int i);
