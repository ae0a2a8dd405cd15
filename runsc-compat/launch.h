/* Starting a sandbox: the gofer serving a tree and the sentry running a
 * command, both re-executions of this binary (`cvisor __gofer`,
 * `cvisor __sentry`).  Shared by `cvisor do` and the OCI lifecycle
 * (create, run).
 *
 * Isolation colleagues add what they need as fields of struct
 * launch_spec (namespaces, joined namespace paths, ...): a zeroed field
 * must mean "as before".
 */
#pragma once
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/un.h>
#include <sys/types.h>

#include "runsc-compat/cmd.h"
#include "runsc-compat/state.h"

struct cgroup;
struct oci_config;

struct launch_spec {
	const struct cli_opts *o; /* platform, overlay, strace, debug, debug_fd */
	const char *self;	  /* argv[0], for the children's argv[0] */
	const char *tree;	  /* what the gofer serves ("/" for do) */
	char *const *argv;	  /* the command (NULL-terminated) */
	char *const *env;	  /* its environment; NULL: ours */
	const char *cwd;	  /* absolute, inside the sandbox */
	const char *overlay;	  /* overrides o->overlay when set */
	/* Extra internal flags for the sentry (sentry.h), NULL-terminated. */
	const char *const *sentry_flags;
	/* Extra internal flags for the gofer (gofer/gofer.h: --root-rw,
	 * --export=PATH[:ro]), NULL-terminated. */
	const char *const *gofer_flags;
	/* Become the sentry's fds 0-2; -1 keeps ours.  fds listed in keep
	 * (n_keep of them) reach the sentry at the same numbers. */
	int stdio[3];
	const int *keep;
	int n_keep;
	/* do: both children die with the launcher, the gofer leaves the
	 * terminal's process group.  OCI: the children outlive `create`. */
	bool tied_to_launcher;
	int sentry_ns_flags; /* CLONE_NEW* for the sentry */
	/* The namespaces config.json names by path are joined by the sentry
	 * before anything else; with CLONE_NEWUSER in sentry_ns_flags its id
	 * maps are written while it waits (runsc-compat/isolate.h). */
	const struct oci_config *ns_config;
	/* The sentry starts a session whose controlling terminal is its
	 * stdin (a pty we made for the container's terminal). */
	bool ctty;
	struct cgroup *cg;   /* both children join it before they exec; or NULL */
};

struct launch_result {
	pid_t gofer, sentry;
};

/* Starts the gofer then the sentry.  Signals in *mask are what the
 * children exec with.  0, or -1 after a message (nothing left running). */
int launch_sandbox(const struct launch_spec *s, const sigset_t *mask, struct launch_result *r);

/* Opens /dev/null on any of fds 0-2 that is closed, so nothing we create
 * lands there. */
void launch_stdio_open(void);

/* ---- The lifecycle's shared pieces (launch.c, cmd_create.c) ---- */

struct ctl_resp;

/* Client side of the sentry's control socket (common/control_proto.h).
 * connect: a connected fd or -errno.  send: 0 or -errno (fds go with
 * SCM_RIGHTS).  recv: 0 or -errno; *payload (may be NULL) gets a malloc'd,
 * NUL-terminated copy of the payload. */
int ctl_client_connect(const struct ctr_state *s);
int ctl_client_send(int fd, uint32_t op, int sig, uint32_t arg, const void *data, size_t len,
		    const int *fds, int nfds);
int ctl_client_recv(int fd, struct ctl_resp *r, char **payload);
/* connect + send + recv + close: the reply's err (positive errno) or
 * -errno for a transport failure. */
int ctl_client_call(const struct ctr_state *s, uint32_t op, int sig, uint32_t arg,
		    char **payload);
/* ROOT/ID/control as a path connect()/bind() accept (through
 * /proc/self/fd when the real one is too long for sun_path; *dirfd is then
 * an fd to close afterwards, else -1). */
int ctl_socket_addr(const char *root_dir, struct sockaddr_un *a, int *dirfd);

/* Records st as s's status in its state file: 0, or 1 after a message. */
int lifecycle_set_status(const struct cli_opts *o, struct ctr_state *s, enum ctr_status st);
/* Ends a container's host processes: SIGKILL to the sentry and the gofer,
 * then waits (up to ~5 s) until they are gone. */
void launch_kill_sandbox(const struct ctr_state *s);
/* Sends a pty master over the console socket at path: 0 or -1 after a
 * message. */
int launch_send_console(const struct cli_opts *o, const char *path, int master);
/* A host pty pair for a terminal process: *master, *slave; rows/cols
 * set when nonzero.  0 or -1 after a message. */
int launch_openpty(const struct cli_opts *o, int *master, int *slave, unsigned rows,
		   unsigned cols);
/* Writes a pid file as bare digits, no newline (containerd rejects
 * "123\n"), atomically.  0 or -1 after a message. */
int launch_write_pidfile(const struct cli_opts *o, const char *path, pid_t pid);

/* create's work, shared with run: on success the sentry and gofer are our
 * children (create just exits; run waits).  Returns 0 or an exit code. */
struct create_args {
	const char *id, *bundle, *pid_file, *console_socket;
	int preserve_fds;
	bool foreground; /* run without --detach: a terminal may be our own */
};
int lifecycle_create(struct cli_opts *o, const struct create_args *a, pid_t *sentry,
		     pid_t *gofer);
/* Parses create's command line into *a (run's too: extra, NULL-terminated
 * or NULL, holds its own flags; usage is the text after "Usage: " when the
 * one ID is missing; cli_parse_id also sets up logging), then stdio
 * (launch_stdio_open): 0 or an exit code after a message. */
int lifecycle_create_args(struct cli_opts *o, int argc, char **argv, int i,
			  const struct flag *extra, const char *usage, struct create_args *a);
/* Removes a stopped (or, with force, any) container: kills what is left,
 * destroys its cgroup, removes its state.  An exit code. */
int lifecycle_delete(struct cli_opts *o, const char *id, bool force);
/* Releases a created container's init (start, run).  An exit code. */
int lifecycle_start(struct cli_opts *o, const char *id);
/* pause (true) or resume (false) as a subcommand.  An exit code. */
int lifecycle_pause(struct cli_opts *o, int argc, char **argv, int i, bool pause);
