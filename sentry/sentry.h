/* The sentry process: entered as `cvisor __sentry` by the front end.
 *
 * Command line (internal, built by runsc-compat):
 *   cvisor __sentry --gofer-fd=N [--platform=NAME] [--strace] [--debug]
 *                   [--debug-log-fd=N] [--cwd=PATH] -- ARGV...
 * The environment it is started with is the application's; fds 0-2 are the
 * application's stdio.  It exits with the application's exit code, or
 * 128+signal if the application was killed by a signal; 127 with
 * "cvisor: do: NAME: executable file not found in $PATH" when the command
 * does not exist; 126 when it exists but cannot be executed.
 *
 * OCI mode (`cvisor create`; parsed by sentry/control/oci_mode.c):
 *   --control-fd=N     a listening SOCK_SEQPACKET socket (ROOT/ID/control)
 *                      served by the control thread (common/control_proto.h)
 *   --ready-fd=N       once init is loaded (or cannot be), "ok" or the
 *                      reason in runc's words is written here and the fd
 *                      closed; the reason then goes nowhere else
 *   --wait-start       init runs only after a CTL_START request
 *   --preserve-fds=N   fds 3..2+N become init's fds 3..2+N
 *   --hostname=NAME
 *   --uid=U --gid=G --groups=G1,G2,... --umask=OCTAL --no-new-privs
 *   --caps=EFF,PERM,INH,BND,AMB   capability masks in hex
 *   --rlimit=RES:SOFT:HARD        RLIMIT_* number, repeated
 *   --domainname=NAME --oom-score-adj=N   (init's /proc/self/oom_score_adj)
 *   --oci-tmpfs=MODE:/path[:ro]   config.json tmpfs mount (":ro": empty, read-only)
 *   --oci-mask=/path              maskedPaths entry (empty read-only dir over it)
 * Init killed by a signal N still ends the sentry with _exit(128+N): a
 * caller reaping it (conmon, the containerd shim) reports 128+N exactly
 * as for runc's init dying of N, e.g. 137 for SIGKILL.  (`cvisor kill
 * ID 9` SIGKILLs the sentry itself on the host, which reaps the same.) */
#pragma once

int sentry_main(int argc, char **argv);
