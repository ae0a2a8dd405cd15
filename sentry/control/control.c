/* The control socket server: accepts the runtime's requests (control.h,
 * common/control_proto.h) and carries them out inside the sentry. */
#include "sentry/control/control.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "sentry/control/control_internal.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task_internal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool started, exited;
static int exit_status, waiters;
/* The host's root as SO_PEERCRED shows it to us: 0, or in a user namespace
 * where host uid 0 is not mapped the overflow uid, which every unmapped
 * host user shares.  Then the socket file (root's, 0600, in root's 0711
 * state directory) is what keeps other host users out. */
static uid_t admin_uid;

/* Reads "inside outside count" lines; host uid 0's inside id or -1. */
static long map_host_root(const char *map)
{
	unsigned long in, out, cnt;
	const char *p = map;
	while (sscanf(p, "%lu %lu %lu", &in, &out, &cnt) == 3) {
		if (out == 0 && cnt > 0)
			return (long)in;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return -1;
}

static void read_small(const char *path, char *buf, size_t len)
{
	buf[0] = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	buf[n > 0 ? n : 0] = 0;
}

void ctl_note_admin(void)
{
	char map[4096], ov[32];
	read_small("/proc/self/uid_map", map, sizeof map);
	long in = map_host_root(map);
	if (in >= 0 || !map[0]) {
		admin_uid = in > 0 ? (uid_t)in : 0;
		return;
	}
	read_small("/proc/sys/kernel/overflowuid", ov, sizeof ov);
	admin_uid = ov[0] ? (uid_t)strtoul(ov, NULL, 10) : 65534;
	DEBUG("control: host root is uid %u in our user namespace", (unsigned)admin_uid);
}

static void reply(int fd, uint32_t op, int err, int64_t val, const void *data, uint32_t len)
{
	char *buf = malloc(sizeof(struct ctl_resp) + len);
	if (!buf)
		return;
	struct ctl_resp r = {.magic = CTL_MAGIC, .op = op, .err = err, .val = val, .len = len};
	memcpy(buf, &r, sizeof r);
	if (len)
		memcpy(buf + sizeof r, data, len);
	if (send(fd, buf, sizeof r + len, MSG_NOSIGNAL) < 0)
		DEBUG("control: reply: %s", strerror(errno));
	free(buf);
}

static void tg_drop(struct thread_group *tg)
{
	pthread_mutex_lock(&tasklist_lock);
	if (--tg->refs == 0)
		free(tg);
	pthread_mutex_unlock(&tasklist_lock);
}

/* From outside: pid 0, uid 0, as a signal the host kernel sends. */
static int do_signal(int sig, bool all)
{
	if (sig <= 0 || sig > 64)
		return EINVAL;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_USER;
	struct thread_group *tgs[1024];
	size_t n = 0;
	pthread_mutex_lock(&tasklist_lock);
	for (struct thread_group *tg = all_tgs; tg && n < 1024; tg = tg->all_next) {
		if (tg->zombie || (!all && tg->tgid != 1))
			continue;
		tg->refs++;
		tgs[n++] = tg;
	}
	pthread_mutex_unlock(&tasklist_lock);
	if (!n)
		return ESRCH;
	for (size_t i = 0; i < n; i++) {
		sig_send_tg(tgs[i], sig, &si);
		tg_drop(tgs[i]);
	}
	return 0;
}

/* What an exec shim passes on (CTL_SIG_PID): as a terminal would send
 * them, the job-control ones to the foreground group of the process's
 * terminal, the rest to the process. */
static int do_signal_pid(int sig, const char *data, uint32_t len)
{
	int32_t pid;
	if (sig <= 0 || sig > 64 || len != sizeof pid)
		return EINVAL;
	memcpy(&pid, data, sizeof pid);
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_USER;
	bool tty = sig == SIGINT || sig == SIGQUIT || sig == SIGTSTP || sig == SIGWINCH;
	pthread_mutex_lock(&tasklist_lock);
	struct thread_group *tg = pid > 0 ? tg_lookup_locked(pid) : NULL;
	if (tg && tg->zombie)
		tg = NULL;
	int fg = tg && tg->has_tty ? tg->tty_fg_pgid : 0;
	if (tg)
		tg->refs++;
	pthread_mutex_unlock(&tasklist_lock);
	if (!tg)
		return ESRCH;
	if (!(tty && fg > 0 && sig_send_pgrp(fg, sig, &si) == 0))
		sig_send_tg(tg, sig, &si);
	tg_drop(tg);
	return 0;
}

/* Pulls the strings of an EXEC payload apart: NULL if they run short. */
static char *next_str(char **p, char *end)
{
	char *s = *p;
	char *nul = s < end ? memchr(s, 0, (size_t)(end - s)) : NULL;
	if (!nul)
		return NULL;
	*p = nul + 1;
	return s;
}

static void do_exec(int fd, char *data, uint32_t len, int *fds, int nfds)
{
	struct ctl_exec e;
	char err[512] = "bad exec request";
	char **argv = NULL, **envp = NULL;
	if (len < sizeof e)
		goto bad;
	memcpy(&e, data, sizeof e);
	char *p = data + sizeof e, *end = data + len;
	if (e.argc == 0 || e.argc > 65536 || e.envc > 65536 || e.ngroups > 65536 ||
	    (size_t)(end - p) < (size_t)e.ngroups * 4 || e.nfds != (uint32_t)nfds)
		goto bad;
	uint32_t *groups = malloc((e.ngroups + 1) * sizeof *groups);
	if (!groups)
		goto bad;
	memcpy(groups, p, (size_t)e.ngroups * 4);
	p += (size_t)e.ngroups * 4;
	argv = calloc(e.argc + 1, sizeof *argv);
	envp = calloc(e.envc + 1, sizeof *envp);
	char *cwd = next_str(&p, end);
	bool ok = argv && envp && cwd;
	for (uint32_t i = 0; ok && i < e.argc; i++)
		ok = (argv[i] = next_str(&p, end)) != NULL;
	for (uint32_t i = 0; ok && i < e.envc; i++)
		ok = (envp[i] = next_str(&p, end)) != NULL;
	if (!ok) {
		free(groups);
		goto bad;
	}
	struct thread_group *tg = NULL;
	int pid = ctl_spawn(&e, groups, cwd, argv, envp, fds, &tg, err, sizeof err);
	free(groups);
	for (int i = 0; i < nfds; i++)
		fds[i] = -1; /* owned by the process (or closed) now */
	if (pid < 0) {
		reply(fd, CTL_EXEC, -pid, 0, err, (uint32_t)strlen(err));
		goto out;
	}
	reply(fd, CTL_EXEC, 0, pid, NULL, 0);
	/* A process without a parent is reaped the moment it exits; our
	 * reference keeps its status readable.  Nothing in the task core
	 * announces that moment to outsiders, so look now and then. */
	long ns = 1000000;
	for (;;) {
		pthread_mutex_lock(&tasklist_lock);
		bool done = tg->zombie;
		int status = tg->exit_status;
		pthread_mutex_unlock(&tasklist_lock);
		if (done) {
			reply(fd, CTL_EXIT, 0, status, NULL, 0);
			break;
		}
		struct timespec ts = {0, ns};
		nanosleep(&ts, NULL);
		if (ns < 50000000)
			ns *= 2;
	}
	tg_drop(tg);
	goto out;
bad:
	reply(fd, CTL_EXEC, EINVAL, 0, err, (uint32_t)strlen(err));
out:
	free(argv);
	free(envp);
}

static void do_ps(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		reply(fd, CTL_PS, ENOMEM, 0, NULL, 0);
		return;
	}
	pthread_mutex_lock(&tasklist_lock);
	for (struct thread_group *tg = all_tgs; tg; tg = tg->all_next) {
		if (tg->reaped || !tg->leader)
			continue;
		if (cap - len < 128) {
			if (cap >= CTL_MAX_MSG / 2)
				break;
			char *nb = realloc(buf, cap * 2);
			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		char comm[17];
		memcpy(comm, tg->comm[0] ? tg->comm : tg->leader->comm, 16);
		comm[16] = 0;
		for (char *c = comm; *c; c++)
			if (*c == ' ' || *c == '\n')
				*c = '_';
		len += (size_t)snprintf(buf + len, cap - len, "%d %d %u %c %s\n", tg->tgid,
					tg->parent ? tg->parent->tgid : 0, tg->leader->cred.ruid,
					tg->zombie ? 'Z' : tg->stopped ? 'T' : 'S', comm);
	}
	pthread_mutex_unlock(&tasklist_lock);
	reply(fd, CTL_PS, 0, 0, buf, (uint32_t)len);
	free(buf);
}

static void do_stats(int fd)
{
	struct ctl_stats st = {.mem_bytes = memfile_used()};
	pthread_mutex_lock(&tasklist_lock);
	for (struct thread_group *tg = all_tgs; tg; tg = tg->all_next) {
		if (tg->zombie)
			continue;
		st.processes++;
		st.tasks += (uint64_t)tg->nr_threads;
	}
	pthread_mutex_unlock(&tasklist_lock);
	reply(fd, CTL_STATS, 0, 0, &st, sizeof st);
}

static void do_wait(int fd)
{
	pthread_mutex_lock(&lock);
	waiters++;
	while (!exited)
		pthread_cond_wait(&cond, &lock);
	int st = exit_status;
	pthread_mutex_unlock(&lock);
	reply(fd, CTL_EXIT, 0, st, NULL, 0);
	pthread_mutex_lock(&lock);
	waiters--;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
}

static void *conn_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	char *buf = malloc(CTL_MAX_MSG);
	int fds[3] = {-1, -1, -1}, nfds = 0;
	if (!buf)
		goto out;
	union {
		char b[CMSG_SPACE(3 * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct iovec iov = {buf, CTL_MAX_MSG};
	struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf.b,
			   .msg_controllen = sizeof cbuf.b};
	ssize_t n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); n > 0 && c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < k; i++) {
			int h;
			memcpy(&h, CMSG_DATA(c) + i * sizeof(int), sizeof h);
			if (nfds < 3)
				fds[nfds++] = h;
			else
				close(h);
		}
	}
	struct ctl_req rq;
	if (n < (ssize_t)sizeof rq || (m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		goto out;
	memcpy(&rq, buf, sizeof rq);
	if (rq.magic != CTL_MAGIC || rq.len != (size_t)n - sizeof rq)
		goto out;
	char *data = buf + sizeof rq;
	DEBUG("control: request %u", rq.op);
	switch (rq.op) {
	case CTL_START:
		pthread_mutex_lock(&lock);
		int err = started ? EALREADY : 0;
		started = true;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&lock);
		reply(fd, rq.op, err, 0, NULL, 0);
		break;
	case CTL_SIGNAL:
		pthread_mutex_lock(&lock);
		bool running = started;
		pthread_mutex_unlock(&lock);
		if (!running && rq.sig == SIGKILL && !(rq.arg & CTL_SIG_PID)) {
			/* init never ran: end the sandbox as its death would. */
			reply(fd, rq.op, 0, 0, NULL, 0);
			control_notify_exit(SIGKILL);
			_exit(128 + SIGKILL);
		}
		if (rq.arg & CTL_SIG_PID)
			reply(fd, rq.op, do_signal_pid(rq.sig, data, rq.len), 0, NULL, 0);
		else
			reply(fd, rq.op, do_signal(rq.sig, rq.arg & CTL_SIG_ALL), 0, NULL, 0);
		break;
	case CTL_EXEC:
		do_exec(fd, data, rq.len, fds, nfds);
		break;
	case CTL_PS:
		do_ps(fd);
		break;
	case CTL_PAUSE:
		reply(fd, rq.op, -ctl_freeze(), 0, NULL, 0);
		break;
	case CTL_RESUME:
		reply(fd, rq.op, -ctl_thaw(), 0, NULL, 0);
		break;
	case CTL_STATS:
		do_stats(fd);
		break;
	case CTL_WAIT:
		do_wait(fd);
		break;
	default:
		reply(fd, rq.op, EINVAL, 0, NULL, 0);
	}
out:
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(buf);
	close(fd);
	return NULL;
}

static void *accept_main(void *arg)
{
	int lfd = (int)(intptr_t)arg;
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE ||
			    errno == ENFILE || errno == ENOMEM) {
				if (errno != EINTR && errno != ECONNABORTED)
					sleep(1);
				continue;
			}
			log_warn("control: accept: %s", strerror(errno));
			return NULL;
		}
		struct ucred uc;
		socklen_t ul = sizeof uc;
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &ul) || uc.uid != admin_uid) {
			close(fd);
			continue;
		}
		pthread_t th;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&a, 256 * 1024);
		if (pthread_create(&th, &a, conn_main, (void *)(intptr_t)fd))
			close(fd);
		pthread_attr_destroy(&a);
	}
}

int control_start(int listen_fd)
{
	ctl_freeze_init();
	pthread_t th;
	int r = pthread_create(&th, NULL, accept_main, (void *)(intptr_t)listen_fd);
	if (r)
		return -r;
	pthread_detach(th);
	return 0;
}

void control_wait_start(void)
{
	pthread_mutex_lock(&lock);
	while (!started)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
}

void control_notify_exit(int status)
{
	pthread_mutex_lock(&lock);
	if (exited) {
		pthread_mutex_unlock(&lock);
		return;
	}
	exited = true;
	exit_status = status;
	pthread_cond_broadcast(&cond);
	/* Give the waiters a moment to write their replies; a stuck client
	 * must not keep the sandbox alive. */
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += 1;
	while (waiters > 0)
		if (pthread_cond_timedwait(&cond, &lock, &dl))
			break;
	pthread_mutex_unlock(&lock);
}
