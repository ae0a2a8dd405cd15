/* Starting the gofer and the sentry of one sandbox (see launch.h). */
#include "runsc-compat/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <time.h>
#include <termios.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/control_proto.h"
#include "common/log.h"
#include "runsc-compat/cgroup.h"
#include "runsc-compat/errors.h"
#include "runsc-compat/isolate.h"
#include "runsc-compat/state.h"

#define SELF_EXE "/proc/self/exe"
#define MAX_KEEP 64
/* The gofer needs none of the container's namespaces: fresh, empty ones
 * keep it from seeing or reaching anything but the tree it serves (it
 * makes its own mount namespace private again, common/sandbox.h). */
#define GOFER_NS_FLAGS (CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNET)

/* What a child does between clone() and execve().  A failure goes to the
 * launcher as one line through report_fd, which exec closes (CLOEXEC): an
 * empty read means the child runs the new image. */
struct child {
	char **argv;
	char *const *env;
	int keep[MAX_KEEP]; /* fds to pass on (CLOEXEC cleared) */
	int n_keep;
	const int *stdio;   /* fds to become 0-2 (-1: unchanged), or NULL */
	bool pdeathsig;	    /* die with the launcher */
	bool own_pgrp;	    /* out of the terminal's process group */
	bool ctty;	    /* new session, stdin its controlling terminal */
	pid_t parent;	    /* getppid() check, or 0 to use alive_fd */
	int alive_rfd, alive_wfd; /* launcher-liveness pipe, see start_child() */
	int report_fd;		  /* write end: why the child failed */
	int go_fd;		  /* read end: wait for the launcher, or -1 */
	const struct oci_config *join; /* namespace paths to enter, or NULL */
	const struct oci_config *join_user; /* only its user namespace path */
	struct cgroup *cg;
	bool cg_v2_done;      /* clone3 put us in its v2 tree already */
	const sigset_t *mask; /* signal mask to exec with */
};

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
/* clone3's argument (linux/sched.h, version 2 with the cgroup field). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
	    set_tid, set_tid_size, cgroup;
};

static void child_fail(struct child *c, const char *op, const char *detail)
{
	char msg[1200];
	int n = snprintf(msg, sizeof msg, "%s: %s", op, detail);
	if (n > 0) {
		ssize_t w = write(c->report_fd, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
		(void)w; /* nothing more to do if even this fails */
	}
	_exit(127);
}

static int child_fn(void *arg)
{
	struct child *c = arg;
	if (c->go_fd >= 0) {
		/* A new user namespace: the launcher writes our id maps
		 * first, nothing here works as root before that. */
		char b;
		if (read(c->go_fd, &b, 1) != 1)
			_exit(1);
		/* Our ids are still the host's, unmapped in here: without
		 * becoming the namespace's root, exec would drop every
		 * capability the sentry needs to set itself up. */
		char err[256];
		if (isolate_become_root(err, sizeof err))
			child_fail(c, "namespaces", err);
	}
	/* A user namespace we join leaves us a mapped uid there, to whom the
	 * host's cgroup files do not belong: join the cgroup first. */
	bool cg_done = false;
	if (c->cg && (c->join_user || (c->join && isolate_has_userns(c->join)))) {
		if (cg_attach_self(c->cg, c->cg_v2_done))
			child_fail(c, "join the container's cgroup", strerror(errno));
		cg_done = true;
	}
	if (c->join_user) {
		/* The gofer: only the user namespace config.json names. */
		char err[1024];
		if (isolate_join_user(c->join_user, err, sizeof err))
			child_fail(c, "namespaces", err);
		/* Mounts need a mount namespace that user namespace owns; the
		 * one clone made belongs to ours. */
		if (unshare(CLONE_NEWNS))
			child_fail(c, "unshare(CLONE_NEWNS)", strerror(errno));
	}
	if (c->join) {
		/* Before anything else: what follows (cgroup, exec) happens
		 * in the namespaces config.json names. */
		char err[1024];
		if (isolate_join_namespaces(c->join, err, sizeof err))
			child_fail(c, "namespaces", err);
	}
	if (c->pdeathsig) {
		/* Nothing may outlive cvisor do. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL))
			child_fail(c, "prctl(PR_SET_PDEATHSIG)", strerror(errno));
		/* The launcher may have died before the prctl took effect. */
		if (c->parent) {
			if (getppid() != c->parent)
				_exit(1);
		} else {
			/* In a new pid namespace getppid() is always 0: look for
			 * the hang-up of a pipe whose only write end the launcher
			 * holds instead. */
			close(c->alive_wfd);
			struct pollfd p = {.fd = c->alive_rfd, .events = POLLIN};
			if (poll(&p, 1, 0) != 0)
				_exit(1);
		}
	}
	if (c->cg && !cg_done && cg_attach_self(c->cg, c->cg_v2_done))
		child_fail(c, "join the container's cgroup", strerror(errno));
	/* stdio first: a kept fd may sit on 0-2 only if it is one of them. */
	for (int i = 0; c->stdio && i < 3; i++) {
		if (c->stdio[i] >= 0 && c->stdio[i] != i && dup2(c->stdio[i], i) < 0)
			child_fail(c, "dup2 stdio", strerror(errno));
		if (c->stdio[i] == i && fcntl(i, F_SETFD, 0))
			child_fail(c, "fcntl(F_SETFD)", strerror(errno));
	}
	for (int i = 0; i < c->n_keep; i++) {
		if (c->keep[i] >= 0 && fcntl(c->keep[i], F_SETFD, 0))
			child_fail(c, "fcntl(F_SETFD)", strerror(errno));
	}
	/* Ctrl-C must not take the file server down under the sentry. */
	if (c->own_pgrp && setpgid(0, 0))
		child_fail(c, "setpgid", strerror(errno));
	/* The host line discipline sends ^C, ^Z and SIGWINCH to the
	 * foreground group of the session the pty controls: that must be
	 * the sentry's, which passes them on inside. */
	if (c->ctty && (setsid() < 0 || ioctl(0, TIOCSCTTY, 0)))
		child_fail(c, "make the pty the controlling terminal", strerror(errno));
	sigprocmask(SIG_SETMASK, c->mask, NULL);
	execve(SELF_EXE, c->argv, c->env ? c->env : environ);
	child_fail(c, "exec " SELF_EXE, strerror(errno));
	return 127;
}

/* Reads the child's failure line until exec or exit closes the pipe:
 * 0 when it is empty. */
static int read_report(int fd, char *msg, size_t len)
{
	size_t got = 0;
	for (;;) {
		ssize_t n = read(fd, msg + got, len - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == len - 1)
			break;
	}
	msg[got] = 0;
	return got ? -1 : 0;
}

/* Normally clone(CLONE_VM|CLONE_VFORK), posix_spawn's trick: no page-table
 * copy, and we resume only once the child has exec'd or failed.  A new
 * user namespace needs us running while the child waits (we write its id
 * maps), so then the child gets a copy of our memory instead and waits on
 * a pipe. */
static pid_t start_child(struct child *c, int ns_flags, const struct oci_config *idmaps,
			 const char *what)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	int alive[2] = {-1, -1}, report[2] = {-1, -1}, go[2] = {-1, -1};
	bool userns = idmaps && (ns_flags & CLONE_NEWUSER);
	if ((c->pdeathsig && !c->parent && pipe2(alive, O_CLOEXEC)) || pipe2(report, O_CLOEXEC) ||
	    (userns && pipe2(go, O_CLOEXEC))) {
		log_warn("%s: pipe: %s", what, strerror(errno));
		for (int k = 0; k < 2; k++) {
			if (alive[k] >= 0)
				close(alive[k]);
			if (report[k] >= 0)
				close(report[k]);
		}
		return -1;
	}
	c->alive_rfd = alive[0];
	c->alive_wfd = alive[1];
	c->report_fd = report[1];
	c->go_fd = go[0];
	/* Inside its user namespace the child is no longer host root, to
	 * whom the cgroup files belong: we move it ourselves. */
	struct cgroup *cg = c->cg;
	if (userns)
		c->cg = NULL;
	int how = userns ? 0 : CLONE_VM | CLONE_VFORK;
	pid_t pid = -1;
	int clone_err = 0;
	int cgfd = !userns && cg ? cg_v2_dirfd(cg) : -1;
	if (cgfd >= 0) {
		/* Born in the v2 cgroup: moving a process there later takes the
		 * global threadgroup lock, an RCU grace period (10-15 ms here).
		 * clone3 has no portable CLONE_VM form without a stack switch
		 * in assembly, so this child gets a copy of our memory, still
		 * waited for until it execs (a fork costs ~0.1 ms). */
		struct clone3_args a = {.flags = CLONE_VFORK | CLONE_INTO_CGROUP | (uint64_t)ns_flags,
					.exit_signal = SIGCHLD,
					.cgroup = (uint64_t)cgfd};
		c->cg_v2_done = true;
		pid = (pid_t)syscall(SYS_clone3, &a, sizeof a);
		if (pid == 0)
			_exit(child_fn(c));
		clone_err = errno;
		c->cg_v2_done = false;
		close(cgfd);
		/* An older kernel: the child moves itself, as below. */
		if (pid < 0 && clone_err != ENOSYS && clone_err != E2BIG && clone_err != EINVAL)
			goto cloned;
	}
	if (pid < 0) {
		pid = clone(child_fn, stack + sizeof stack, how | ns_flags | SIGCHLD, c);
		clone_err = errno;
	}
cloned:
	c->cg = cg;
	if (alive[0] >= 0) {
		close(alive[0]);
		close(alive[1]);
	}
	close(report[1]);
	if (go[0] >= 0)
		close(go[0]);
	if (pid < 0) {
		log_warn("clone %s: %s", what, strerror(clone_err));
		close(report[0]);
		if (go[1] >= 0)
			close(go[1]);
		return -1;
	}
	char msg[1200];
	if (userns) {
		int ok = !isolate_write_idmaps(pid, idmaps, msg, sizeof msg);
		if (ok && cg && cg_attach(cg, pid))
			snprintf(msg, sizeof msg, "join the container's cgroup"), ok = 0;
		if (ok && write(go[1], "g", 1) != 1)
			snprintf(msg, sizeof msg, "release the child: %s", strerror(errno)), ok = 0;
		close(go[1]);
		if (!ok) {
			log_warn("%s: %s", what, msg);
			close(report[0]);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return -1;
		}
	}
	int r = read_report(report[0], msg, sizeof msg);
	close(report[0]);
	if (r) {
		log_warn("%s: %s", what, msg);
		waitpid(pid, NULL, 0);
		return -1;
	}
	return pid;
}

void launch_stdio_open(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", O_RDWR);
			if (n >= 0 && n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
	}
}

int launch_sandbox(const struct launch_spec *s, const sigset_t *mask, struct launch_result *res)
{
	const struct cli_opts *o = s->o;
	int sv[2];
	if (s->n_keep > MAX_KEEP - 4) {
		log_warn("launch: too many fds to pass");
		return -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		log_warn("launch: socketpair: %s", strerror(errno));
		return -1;
	}
	size_t nargs = 0, nflags = 0;
	while (s->argv[nargs])
		nargs++;
	while (s->sentry_flags && s->sentry_flags[nflags])
		nflags++;
	char fd_gofer[32], fd_sentry[32], fd_log[32], plat[64], ovl[64], *tree_arg, *cwd_arg;
	const char **sargv = malloc((nargs + nflags + 16) * sizeof *sargv);
	if (!sargv || asprintf(&tree_arg, "--root=%s", s->tree) < 0) {
		log_warn("launch: out of memory");
		return -1;
	}
	if (asprintf(&cwd_arg, "--cwd=%s", s->cwd ? s->cwd : "/") < 0)
		die_msg("launch: out of memory");
	snprintf(fd_gofer, sizeof fd_gofer, "--sock-fd=%d", sv[0]);
	snprintf(fd_sentry, sizeof fd_sentry, "--gofer-fd=%d", sv[1]);
	snprintf(fd_log, sizeof fd_log, "--debug-log-fd=%d", o->debug_fd);
	snprintf(plat, sizeof plat, "--platform=%s", o->platform);
	snprintf(ovl, sizeof ovl, "--overlay=%s", s->overlay ? s->overlay : o->overlay);

	/* The gofer's argv: 6 of ours, its extra flags (exports), NULL. */
	size_t ngf = 0;
	while (s->gofer_flags && s->gofer_flags[ngf])
		ngf++;
	const char **gargv = malloc((ngf + 8) * sizeof *gargv);
	if (!gargv)
		die_msg("launch: out of memory");
	int n = 0;
	gargv[n++] = s->self;
	gargv[n++] = "__gofer";
	gargv[n++] = tree_arg;
	gargv[n++] = fd_gofer;
	if (o->debug)
		gargv[n++] = "--debug";
	if (o->debug_fd >= 0)
		gargv[n++] = fd_log;
	for (size_t k = 0; k < ngf; k++)
		gargv[n++] = s->gofer_flags[k];
	gargv[n] = NULL;

	n = 0;
	sargv[n++] = s->self;
	sargv[n++] = "__sentry";
	sargv[n++] = fd_sentry;
	sargv[n++] = ovl;
	sargv[n++] = plat;
	if (o->strace)
		sargv[n++] = "--strace";
	if (o->debug)
		sargv[n++] = "--debug";
	if (o->debug_fd >= 0)
		sargv[n++] = fd_log;
	sargv[n++] = cwd_arg;
	/* In a user namespace the sentry runs as a mapped host uid that
	 * /dev/kvm (root:kvm 0660) does not admit: we open it for it. */
	char kvm_arg[32];
	int kvm_fd = -1;
	bool userns = s->ns_config && isolate_has_userns(s->ns_config);
	if (userns && !strcmp(o->platform, "kvm")) {
		kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
		if (kvm_fd < 0) {
			log_warn("kvm: /dev/kvm: %s", strerror(errno));
			close(sv[0]);
			close(sv[1]);
			free(sargv);
			free(gargv);
			free(tree_arg);
			free(cwd_arg);
			return -1;
		}
		snprintf(kvm_arg, sizeof kvm_arg, "--kvm-fd=%d", kvm_fd);
		sargv[n++] = kvm_arg;
	}
	for (size_t k = 0; k < nflags; k++)
		sargv[n++] = s->sentry_flags[k];
	sargv[n++] = "--";
	for (size_t k = 0; k < nargs; k++)
		sargv[n++] = s->argv[k];
	sargv[n] = NULL;

	int r = -1;
	struct child gofer = {
	    .argv = (char **)gargv,
	    .keep = {sv[0], o->debug_fd},
	    .n_keep = 2,
	    .pdeathsig = s->tied_to_launcher,
	    .own_pgrp = s->tied_to_launcher,
	    .cg = s->cg,
	    .mask = mask,
	};
	/* With a user namespace the gofer gets one too, with the same maps
	 * (or joins the same one): files the container creates belong to
	 * the mapped host ids, and its capabilities reach no further than
	 * the sentry's (docs/isolation.md). */
	int gofer_ns = GOFER_NS_FLAGS;
	if (s->ns_config && (s->sentry_ns_flags & CLONE_NEWUSER))
		gofer_ns |= CLONE_NEWUSER;
	else if (userns)
		gofer.join_user = s->ns_config;
	res->gofer = start_child(&gofer, gofer_ns, gofer_ns & CLONE_NEWUSER ? s->ns_config : NULL,
				 "start gofer");
	close(sv[0]);
	if (res->gofer < 0) {
		close(sv[1]);
		goto out;
	}
	struct child sentry = {
	    .argv = (char **)sargv,
	    .env = s->env,
	    .keep = {sv[1], o->debug_fd},
	    .n_keep = 2,
	    .stdio = s->stdio,
	    .pdeathsig = s->tied_to_launcher,
	    .ctty = s->ctty,
	    .join = s->ns_config,
	    .cg = s->cg,
	    .mask = mask,
	};
	for (int k = 0; k < s->n_keep; k++)
		sentry.keep[sentry.n_keep++] = s->keep[k];
	if (kvm_fd >= 0)
		sentry.keep[sentry.n_keep++] = kvm_fd;
	res->sentry = start_child(&sentry, s->sentry_ns_flags, s->ns_config, "start sentry");
	close(sv[1]);
	if (res->sentry < 0) {
		kill(res->gofer, SIGKILL);
		waitpid(res->gofer, NULL, 0);
		goto out;
	}
	DEBUG("gofer pid %d, sentry pid %d", res->gofer, res->sentry);
	r = 0;
out:
	if (kvm_fd >= 0)
		close(kvm_fd);
	free(sargv);
	free(gargv);
	free(tree_arg);
	free(cwd_arg);
	return r;
}

int ctl_socket_addr(const char *root_dir, struct sockaddr_un *a, int *dirfd)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	*dirfd = -1;
	if ((size_t)snprintf(a->sun_path, sizeof a->sun_path, "%s/control", root_dir) <
	    sizeof a->sun_path)
		return 0;
	/* A long --root plus a 64-hex id overflows sun_path: go through
	 * an fd of the directory instead. */
	*dirfd = open(root_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return -errno;
	snprintf(a->sun_path, sizeof a->sun_path, "/proc/self/fd/%d/control", *dirfd);
	return 0;
}

int ctl_client_connect(const struct ctr_state *s)
{
	struct sockaddr_un a;
	int dirfd, r = ctl_socket_addr(s->root_dir, &a, &dirfd);
	if (r)
		return r;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) {
		r = -errno;
		if (fd >= 0)
			close(fd);
		fd = r;
	}
	if (dirfd >= 0)
		close(dirfd);
	return fd;
}

int ctl_client_send(int fd, uint32_t op, int sig, uint32_t arg, const void *data, size_t len,
		    const int *fds, int nfds)
{
	struct ctl_req rq = {.magic = CTL_MAGIC, .op = op, .sig = sig, .arg = arg, .len = (uint32_t)len};
	if (len > CTL_MAX_MSG - sizeof rq || nfds > 3)
		return -E2BIG;
	struct iovec iov[2] = {{&rq, sizeof rq}, {(void *)data, len}};
	union {
		char b[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct msghdr m = {.msg_iov = iov, .msg_iovlen = len ? 2 : 1};
	if (nfds > 0) {
		m.msg_control = cbuf.b;
		m.msg_controllen = CMSG_SPACE(nfds * sizeof(int));
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(nfds * sizeof(int));
		memcpy(CMSG_DATA(c), fds, nfds * sizeof(int));
	}
	return sendmsg(fd, &m, MSG_NOSIGNAL) < 0 ? -errno : 0;
}

int ctl_client_recv(int fd, struct ctl_resp *r, char **payload)
{
	char *buf = malloc(CTL_MAX_MSG + 1);
	if (!buf)
		return -ENOMEM;
	ssize_t n;
	do
		n = recv(fd, buf, CTL_MAX_MSG, 0);
	while (n < 0 && errno == EINTR);
	if (n < (ssize_t)sizeof *r) {
		int e = n < 0 ? -errno : -ECONNRESET;
		free(buf);
		return e;
	}
	memcpy(r, buf, sizeof *r);
	if (r->magic != CTL_MAGIC || r->len != (size_t)n - sizeof *r) {
		free(buf);
		return -EPROTO;
	}
	if (payload) {
		memmove(buf, buf + sizeof *r, r->len);
		buf[r->len] = 0;
		*payload = buf;
	} else {
		free(buf);
	}
	return 0;
}

int ctl_client_call(const struct ctr_state *s, uint32_t op, int sig, uint32_t arg, char **payload)
{
	if (payload)
		*payload = NULL;
	int fd = ctl_client_connect(s);
	if (fd < 0)
		return fd;
	/* None of these requests waits for the application: a sandbox that
	 * does not answer within the limit is stuck (or frozen from outside). */
	struct timeval tv = {10, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct ctl_resp r;
	int e = ctl_client_send(fd, op, sig, arg, NULL, 0, NULL, 0);
	if (!e)
		e = ctl_client_recv(fd, &r, payload);
	close(fd);
	return e ? e : r.err;
}

int lifecycle_set_status(const struct cli_opts *o, struct ctr_state *s, enum ctr_status st)
{
	s->status = st;
	int r = state_write(s);
	if (r) {
		oci_error(o, "write state of %s: %s", s->id, strerror(-r));
		return 1;
	}
	return 0;
}

void launch_kill_sandbox(const struct ctr_state *s)
{
	bool sentry = state_pid_alive(s->pid, s->pid_starttime);
	if (sentry)
		kill(s->pid, SIGKILL);
	/* The gofer ends by itself once the sentry's socket closes; this is
	 * for a sentry that never connected. */
	uint64_t gst = s->gofer_pid > 0 ? state_pid_starttime(s->gofer_pid) : 0;
	for (int i = 0; i < 500; i++) {
		bool s_alive = sentry && state_pid_alive(s->pid, s->pid_starttime);
		bool g_alive = gst && state_pid_alive(s->gofer_pid, gst);
		if (!s_alive && !g_alive)
			return;
		if (!s_alive && g_alive && i == 20)
			kill(s->gofer_pid, SIGKILL);
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

int launch_send_console(const struct cli_opts *o, const char *path, int master)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof a.sun_path) {
		oci_error(o, "console socket path too long: %s", path);
		return -1;
	}
	strcpy(a.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a)) {
		oci_error(o, "connect to console socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* The payload is ignored by the receivers; runc sends the pty's name. */
	char name[] = "/dev/ptmx";
	struct iovec iov = {name, sizeof name - 1};
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.b,
			   .msg_controllen = sizeof cbuf.b};
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &master, sizeof master);
	int r = sendmsg(fd, &m, MSG_NOSIGNAL) < 0 ? -1 : 0;
	if (r)
		oci_error(o, "send pty master over %s: %s", path, strerror(errno));
	close(fd);
	return r;
}

int launch_openpty(const struct cli_opts *o, int *master, int *slave, unsigned rows, unsigned cols)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	char *name;
	if (m < 0 || grantpt(m) || unlockpt(m) || !(name = ptsname(m))) {
		oci_error(o, "allocate a pty: %s", strerror(errno));
		if (m >= 0)
			close(m);
		return -1;
	}
	int sl = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (sl < 0) {
		oci_error(o, "open %s: %s", name, strerror(errno));
		close(m);
		return -1;
	}
	if (rows && cols) {
		struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
		ioctl(m, TIOCSWINSZ, &ws);
	}
	*master = m;
	*slave = sl;
	return 0;
}

int launch_write_pidfile(const struct cli_opts *o, const char *path, pid_t pid)
{
	char tmp[4200], buf[32];
	snprintf(tmp, sizeof tmp, "%s.cvisor-tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int len = snprintf(buf, sizeof buf, "%d", (int)pid);
	if (fd < 0 || write(fd, buf, (size_t)len) != len || close(fd) || rename(tmp, path)) {
		oci_error(o, "write pid file %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}
