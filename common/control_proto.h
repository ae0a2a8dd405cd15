/* Wire format of the sentry's control socket (sentry/control <-> runsc-compat).
 *
 * The socket is ROOT/ID/control, an AF_UNIX SOCK_SEQPACKET socket that
 * `cvisor create` binds and hands to the sentry (--control-fd).  Only peers
 * with uid 0 (SO_PEERCRED) are served.  Every message is one datagram: a
 * fixed header and a payload of hdr.len bytes.  Each connection carries one
 * request and its replies, then the client closes it.
 *
 *   request                 reply (ctl_resp)
 *   CTL_START               err; the init task starts running
 *   CTL_SIGNAL sig [all]    err; sig to init's thread group, or (arg
 *                           CTL_SIG_ALL) to every process, or (arg
 *                           CTL_SIG_PID, payload int32 pid) to one
 *   CTL_EXEC  ctl_exec+strs err, val = pid inside; then, when that process
 *             fds 0-2 by    has exited, a CTL_EXIT reply whose val is its
 *             SCM_RIGHTS    wait status (Linux encoding)
 *   CTL_PS                  payload: one line per process,
 *                           "PID PPID UID STATE COMM\n"
 *   CTL_PAUSE / CTL_RESUME  err; every task thread stops / continues
 *   CTL_STATS               payload: struct ctl_stats
 *   CTL_WAIT                no reply until init has exited: then CTL_EXIT
 *                           with init's wait status
 */
#pragma once
#include <stdint.h>

#define CTL_MAGIC 0x63766331u /* "cvc1" */
#define CTL_MAX_MSG (256 * 1024)

enum ctl_op {
	CTL_START = 1,
	CTL_SIGNAL,
	CTL_EXEC,
	CTL_PS,
	CTL_PAUSE,
	CTL_RESUME,
	CTL_STATS,
	CTL_WAIT,
	CTL_EXIT, /* replies only */
};

#define CTL_SIG_ALL 1u /* ctl_req.arg bit for CTL_SIGNAL */
/* ctl_req.arg bit for CTL_SIGNAL: the payload is one int32_t, the pid
 * inside of an exec'd process, which alone gets the signal (^C, ^\, ^Z
 * and SIGWINCH go to the foreground group of its terminal, if it has one;
 * ESRCH once it has exited). */
#define CTL_SIG_PID 2u

struct ctl_req {
	uint32_t magic;
	uint32_t op;
	int32_t sig;
	uint32_t arg;
	uint32_t len; /* payload bytes that follow */
};

struct ctl_resp {
	uint32_t magic;
	uint32_t op;  /* the request's op, or CTL_EXIT */
	int32_t err;  /* 0 or a positive errno */
	int32_t pad;
	int64_t val;
	uint32_t len; /* payload bytes that follow (text or ctl_stats) */
};

/* CTL_EXEC payload: this struct, then NUL-terminated strings: cwd, argc
 * args, envc env entries, ngroups is followed by the gids (uint32_t each)
 * before the strings. */
#define CTL_EXEC_TTY 1u /* fd 0 is a terminal: the process gets it as ctty */
struct ctl_exec {
	uint32_t uid, gid;
	int32_t umask; /* -1: 022 */
	uint32_t flags;
	uint32_t argc, envc, ngroups;
	uint32_t nfds; /* fds passed with SCM_RIGHTS (0..3) */
	uint64_t cap_effective, cap_permitted, cap_inheritable, cap_bounding, cap_ambient;
	uint32_t has_caps, no_new_privs;
};

struct ctl_stats {
	uint64_t tasks;	    /* threads inside */
	uint64_t processes; /* thread groups */
	uint64_t mem_bytes; /* memory-file bytes in use */
};
