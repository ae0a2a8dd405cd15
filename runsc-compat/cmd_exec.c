/* `cvisor exec`: run another process inside a running container, from an
 * OCI process file (--process) or a command line. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/control_proto.h"
#include "common/log.h"
#include "runsc-compat/cmd.h"
#include "runsc-compat/errors.h"
#include "runsc-compat/launch.h"
#include "runsc-compat/oci_config.h"
#include "runsc-compat/state.h"

struct buf {
	char *p;
	size_t len, cap;
};

static void put(struct buf *b, const void *data, size_t len)
{
	if (b->len + len > b->cap) {
		b->cap = (b->len + len) * 2 + 256;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
}

static void put_str(struct buf *b, const char *s)
{
	put(b, s, strlen(s) + 1);
}

/* The CTL_EXEC payload for process p (control_proto.h). */
static void encode(struct buf *b, const struct oci_process *p, int nfds, bool tty)
{
	struct ctl_exec e = {
	    .uid = p->uid,
	    .gid = p->gid,
	    .umask = p->umask,
	    .flags = tty ? CTL_EXEC_TTY : 0,
	    .nfds = (uint32_t)nfds,
	    .no_new_privs = p->no_new_privileges,
	};
	while (p->args[e.argc])
		e.argc++;
	while (p->env && p->env[e.envc])
		e.envc++;
	e.ngroups = (uint32_t)p->n_additional_gids;
	if (p->caps.present) {
		e.has_caps = 1;
		e.cap_effective = p->caps.effective;
		e.cap_permitted = p->caps.permitted;
		e.cap_inheritable = p->caps.inheritable;
		e.cap_bounding = p->caps.bounding;
		e.cap_ambient = p->caps.ambient;
	}
	put(b, &e, sizeof e);
	for (size_t k = 0; k < p->n_additional_gids; k++) {
		uint32_t g = p->additional_gids[k];
		put(b, &g, sizeof g);
	}
	put_str(b, p->cwd ? p->cwd : "/");
	for (uint32_t k = 0; k < e.argc; k++)
		put_str(b, p->args[k]);
	for (uint32_t k = 0; k < e.envc; k++)
		put_str(b, p->env[k]);
}

static int status_code(int st)
{
	return (st & 0x7f) ? 128 + (st & 0x7f) : (st >> 8) & 0xff;
}

/* Waits for the CTL_EXIT reply: the exit code, or 137 when the sandbox
 * went away first (its processes died with it, as by SIGKILL). */
static int wait_exit(int fd)
{
	struct ctl_resp r;
	if (ctl_client_recv(fd, &r, NULL) || r.op != CTL_EXIT)
		return 128 + SIGKILL;
	return status_code((int)r.val);
}

/* Signals for the process inside: podman/conmon and the shim signal the
 * pid-file process, a person the foreground `cvisor exec`, and the host
 * terminal of a --tty exec signals its session leader, the shim. */
static const int relayed[] = {SIGTERM, SIGINT,  SIGHUP,   SIGQUIT,
			      SIGUSR1, SIGUSR2, SIGWINCH, SIGTSTP};

static void relay_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t k = 0; k < sizeof relayed / sizeof *relayed; k++)
		sigaddset(set, relayed[k]);
}

/* CTL_SIGNAL for the one process, on a connection of its own. */
static void relay_signal(const struct ctr_state *s, int32_t pid, int sig)
{
	int fd = ctl_client_connect(s);
	if (fd < 0)
		return;
	struct timeval tv = {10, 0};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct ctl_resp r;
	if (!ctl_client_send(fd, CTL_SIGNAL, sig, CTL_SIG_PID, &pid, sizeof pid, NULL, 0))
		ctl_client_recv(fd, &r, NULL);
	close(fd);
}

/* wait_exit, passing on the signals of relay_set (blocked by the caller,
 * so that none is lost or acts on us in between) until the process ends. */
static int wait_relaying(int fd, const struct ctr_state *s, int32_t pid)
{
	sigset_t set;
	relay_set(&set);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	while (sfd >= 0) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		struct signalfd_siginfo si;
		while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si)
			relay_signal(s, pid, (int)si.ssi_signo);
		if (p[0].revents)
			break;
	}
	if (sfd >= 0)
		close(sfd);
	return wait_exit(fd);
}

/* Collects repeated --env/-e values (the flag parser keeps one value). */
static int take_envs(int argc, char **argv, int i, char ***envs, size_t *n, char **rest)
{
	int k = 0;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			rest[k++] = argv[i];
			for (i++; i < argc; i++)
				rest[k++] = argv[i];
			break;
		}
		if (!strcmp(a, "--env") || !strcmp(a, "-e") || !strcmp(a, "-env")) {
			if (i + 1 < argc) {
				(*envs)[(*n)++] = argv[++i];
				continue;
			}
		} else if (!strncmp(a, "--env=", 6) || !strncmp(a, "-e=", 3)) {
			(*envs)[(*n)++] = strchr(a, '=') + 1;
			continue;
		}
		rest[k++] = argv[i];
		if (a[0] != '-') {
			/* the id: the command follows, untouched */
			for (i++; i < argc; i++)
				rest[k++] = argv[i];
			break;
		}
	}
	rest[k] = NULL;
	return k;
}

/* --env NAME=V replaces NAME in env or adds it. */
static char **merge_env(char **env, char **extra, size_t n)
{
	size_t m = 0;
	while (env && env[m])
		m++;
	char **out = calloc(m + n + 1, sizeof *out);
	for (size_t k = 0; k < m; k++)
		out[k] = env[k];
	for (size_t k = 0; k < n; k++) {
		size_t nl = strcspn(extra[k], "=");
		size_t j = 0;
		for (; j < m; j++)
			if (!strncmp(out[j], extra[k], nl) && out[j][nl] == '=')
				break;
		out[j] = extra[k];
		if (j == m)
			m++;
	}
	return out;
}

int cmd_exec(struct cli_opts *o, int argc, char **argv, int i)
{
	const char *process = NULL, *pid_file = NULL, *console = NULL, *preserve = NULL;
	const char *cwd = NULL, *user = NULL, *cap = NULL, *label = NULL, *apparmor = NULL;
	bool detach = false, tty = false, nnp = false;
	char **envs = calloc((size_t)argc + 1, sizeof *envs), **rest = calloc((size_t)argc + 2, sizeof *rest);
	size_t nenv = 0;
	if (!envs || !rest)
		return 1;
	rest[0] = argv[0];
	int rn = take_envs(argc, argv, i, &envs, &nenv, rest + 1) + 1;
	argv = rest;
	argc = rn;
	i = 1;
	const struct flag f[] = {
	    {"process", FLAG_STR, &process},
	    {"p", FLAG_STR, &process},
	    {"pid-file", FLAG_STR, &pid_file},
	    {"console-socket", FLAG_STR, &console},
	    {"preserve-fds", FLAG_STR, &preserve},
	    {"detach", FLAG_BOOL, &detach},
	    {"d", FLAG_BOOL, &detach},
	    {"tty", FLAG_BOOL, &tty},
	    {"t", FLAG_BOOL, &tty},
	    {"cwd", FLAG_STR, &cwd},
	    {"user", FLAG_STR, &user},
	    {"u", FLAG_STR, &user},
	    {"cap", FLAG_STR, &cap},
	    {"c", FLAG_STR, &cap},
	    {"no-new-privs", FLAG_BOOL, &nnp},
	    {"process-label", FLAG_STR, &label},
	    {"apparmor", FLAG_STR, &apparmor},
	    {NULL, FLAG_BOOL, NULL},
	};
	const struct flag *tables[] = {f, cli_global_flags(o), NULL};
	int r = flags_parse(tables, argc, argv, &i);
	if (r)
		return r;
	const char *id = i < argc ? argv[i++] : NULL;
	if (!id || (!process && i >= argc)) {
		fprintf(stderr, "Usage: cvisor exec [flags] ID COMMAND [ARGS...]\n"
				"       cvisor exec --process FILE [flags] ID\n");
		return 2;
	}
	if ((r = cli_setup(o)))
		return r;
	struct ctr_state s;
	if ((r = state_read(o->root, id, &s)))
		return oci_error_open(o, id, r);
	if (s.status != CTR_RUNNING) {
		oci_error(o, "cannot exec in a %s container", state_status_name(s.status));
		state_free(&s);
		return 1;
	}

	/* The process: from the file, or the container's own with the
	 * command line's changes. */
	struct oci_process p;
	struct oci_config cfg = {0};
	bool have_cfg = false;
	char err[1024];
	memset(&p, 0, sizeof p);
	if (process) {
		if (oci_process_load(process, &p, err, sizeof err)) {
			oci_error(o, "%s", err);
			state_free(&s);
			return 1;
		}
	} else {
		if (oci_config_load(s.bundle, &cfg, err, sizeof err) || !cfg.has_process) {
			oci_error(o, "%s", cfg.has_process ? err : "config.json has no process");
			state_free(&s);
			return 1;
		}
		have_cfg = true;
		p = cfg.process;
		p.args = argv + i;
		p.terminal = tty;
		p.caps.present = cfg.process.caps.present;
		if (cwd)
			p.cwd = (char *)cwd;
		if (nnp)
			p.no_new_privileges = true;
		if (user) {
			char *end;
			p.uid = (uid_t)strtoul(user, &end, 10);
			p.gid = *end == ':' ? (gid_t)strtoul(end + 1, NULL, 10) : 0;
			p.n_additional_gids = 0;
		}
	}
	char **env = merge_env(p.env, envs, nenv);
	char **saved_env = p.env;
	p.env = env;

	int fds[3] = {0, 1, 2}, master = -1, slave = -1, rc = 1;
	bool term = p.terminal;
	if (term && console) {
		if (launch_openpty(o, &master, &slave, p.console_rows, p.console_cols) ||
		    launch_send_console(o, console, master))
			goto out;
		fds[0] = fds[1] = fds[2] = slave;
	} else if (term && detach) {
		oci_error(o, "cannot allocate tty if cvisor will detach without setting console socket");
		goto out;
	}
	struct buf b = {0};
	encode(&b, &p, 3, term);
	int fd = ctl_client_connect(&s);
	if (fd < 0) {
		oci_error(o, "connect to container %s: %s", id, strerror(-fd));
		free(b.p);
		goto out;
	}
	struct ctl_resp resp;
	char *msg = NULL;
	r = ctl_client_send(fd, CTL_EXEC, 0, 0, b.p, b.len, fds, 3);
	free(b.p);
	if (!r)
		r = ctl_client_recv(fd, &resp, &msg);
	if (r) {
		oci_error(o, "exec in %s: %s", id, strerror(-r));
		close(fd);
		goto out;
	}
	if (resp.err) {
		oci_error(o, "%s", msg && *msg ? msg : strerror(resp.err));
		free(msg);
		close(fd);
		goto out;
	}
	free(msg);
	int32_t inside = (int32_t)resp.val;
	sigset_t relay;
	relay_set(&relay);
	sigprocmask(SIG_BLOCK, &relay, NULL);
	if (!detach) {
		if (slave >= 0) {
			close(slave);
			slave = -1;
		}
		rc = wait_relaying(fd, &s, inside);
		close(fd);
		goto out;
	}
	/* The caller reaps the pid-file process for the exit status: a small
	 * shim that lives exactly as long as the process inside. */
	pid_t shim = fork();
	if (shim < 0) {
		oci_error(o, "fork: %s", strerror(errno));
		close(fd);
		goto out;
	}
	if (shim == 0) {
		/* Out of the caller's way: its stdio belongs to the process. */
		setsid();
		/* The pty's session: the host line discipline then sends ^C,
		 * ^Z and the window-size SIGWINCH to us, and we pass them on. */
		if (slave >= 0 && ioctl(slave, TIOCSCTTY, 0))
			log_warn("exec: pty as controlling terminal: %s", strerror(errno));
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int k = 0; null >= 0 && k < 3; k++)
			dup2(null, k);
		if (slave >= 0)
			close(slave);
		_exit(wait_relaying(fd, &s, inside));
	}
	close(fd);
	rc = pid_file && launch_write_pidfile(o, pid_file, shim) ? 1 : 0;
	if (rc)
		kill(shim, SIGKILL);
out:
	if (master >= 0)
		close(master);
	if (slave >= 0)
		close(slave);
	free(env);
	p.env = saved_env;
	if (have_cfg)
		oci_config_free(&cfg);
	else if (process)
		oci_process_free(&p);
	state_free(&s);
	free(envs);
	free(rest);
	return rc;
}
