/* The sentry's OCI mode: the internal flags `cvisor create` passes (see
 * sentry.h), applied to the init task, and the readiness report. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "sentry/control/control.h"
#include "sentry/control/control_internal.h"
#include "sentry/kernel/cred.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/uts.h"
#include "sentry/vfs/vfs.h"

static struct {
	int control_fd, ready_fd, preserve_fds;
	bool wait_start, has_user, oci;
	const char *hostname, *domainname;
	bool has_oom;
	int oom_score_adj;
	struct ctl_exec proc;
	uint32_t groups[256];
	struct {
		int res;
		uint64_t cur, max;
	} rlimits[16];
	int nrlimits;
} m = {.control_fd = -1, .ready_fd = -1, .proc = {.umask = -1}};

static uint64_t num(const char *s, const char *flag, int base)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || end == s || (*end && *end != ',' && *end != ':'))
		die_msg("%s: bad number \"%s\"", flag, s);
	return v;
}

bool ctl_parse_flag(const char *s)
{
	const char *v;
	if ((v = strchr(s, '=')))
		v++;
	if (!strncmp(s, "--control-fd=", 13)) {
		m.control_fd = (int)num(v, "--control-fd", 10);
		ctl_note_admin();
	} else if (!strncmp(s, "--ready-fd=", 11)) {
		m.ready_fd = (int)num(v, "--ready-fd", 10);
		m.oci = true;
	} else if (!strncmp(s, "--preserve-fds=", 15)) {
		m.preserve_fds = (int)num(v, "--preserve-fds", 10);
	} else if (!strcmp(s, "--wait-start")) {
		m.wait_start = true;
	} else if (!strncmp(s, "--hostname=", 11)) {
		m.hostname = v;
	} else if (!strncmp(s, "--domainname=", 13)) {
		m.domainname = v;
	} else if (!strncmp(s, "--oom-score-adj=", 16)) {
		long a = strtol(v, NULL, 10);
		if (a < -1000 || a > 1000)
			die_msg("--oom-score-adj: out of range");
		m.oom_score_adj = (int)a;
		m.has_oom = true;
	} else if (!strncmp(s, "--oci-tmpfs=", 12)) {
		if (ctl_mount_add_tmpfs(v))
			die_msg("bad --oci-tmpfs=%s (MODE[,BYTES]:/path[:ro])", v);
	} else if (!strncmp(s, "--oci-mask=", 11)) {
		if (ctl_mount_add_mask(v))
			die_msg("bad --oci-mask=%s", v);
	} else if (!strncmp(s, "--oci-ro=", 9)) {
		if (ctl_mount_add_ro(v))
			die_msg("bad --oci-ro=%s", v);
	} else if (!strncmp(s, "--uid=", 6)) {
		m.proc.uid = (uint32_t)num(v, "--uid", 10);
		m.has_user = true;
	} else if (!strncmp(s, "--gid=", 6)) {
		m.proc.gid = (uint32_t)num(v, "--gid", 10);
		m.has_user = true;
	} else if (!strncmp(s, "--groups=", 9)) {
		m.has_user = true;
		for (const char *p = v; *p && m.proc.ngroups < 256;) {
			m.groups[m.proc.ngroups++] = (uint32_t)num(p, "--groups", 10);
			p = strchrnul(p, ',');
			if (*p)
				p++;
		}
	} else if (!strncmp(s, "--umask=", 8)) {
		m.proc.umask = (int)(num(v, "--umask", 8) & 0777);
	} else if (!strncmp(s, "--caps=", 7)) {
		/* effective,permitted,inheritable,bounding,ambient in hex */
		uint64_t c[5];
		const char *p = v;
		for (int i = 0; i < 5; i++) {
			c[i] = num(p, "--caps", 16);
			p = strchrnul(p, ',');
			if (i < 4 && !*p)
				die_msg("--caps needs five masks");
			p++;
		}
		m.proc.cap_effective = c[0];
		m.proc.cap_permitted = c[1];
		m.proc.cap_inheritable = c[2];
		m.proc.cap_bounding = c[3];
		m.proc.cap_ambient = c[4];
		m.proc.has_caps = 1;
		m.has_user = true;
	} else if (!strcmp(s, "--no-new-privs")) {
		m.proc.no_new_privs = 1;
		m.has_user = true;
	} else if (!strncmp(s, "--rlimit=", 9)) {
		/* RESOURCE:SOFT:HARD, numbers as in setrlimit */
		if (m.nrlimits >= 16)
			die_msg("--rlimit: too many");
		const char *p = v;
		m.rlimits[m.nrlimits].res = (int)num(p, "--rlimit", 10);
		p = strchr(p, ':');
		if (!p)
			die_msg("--rlimit=RES:SOFT:HARD");
		m.rlimits[m.nrlimits].cur = num(++p, "--rlimit", 10);
		p = strchr(p, ':');
		if (!p)
			die_msg("--rlimit=RES:SOFT:HARD");
		m.rlimits[m.nrlimits].max = num(++p, "--rlimit", 10);
		if (m.rlimits[m.nrlimits].res < 0 || m.rlimits[m.nrlimits].res >= 16)
			die_msg("--rlimit: bad resource");
		m.nrlimits++;
	} else {
		return false;
	}
	return true;
}

void ctl_setup_init(struct task *t)
{
	if (m.hostname)
		uts_set_hostname(m.hostname);
	if (m.domainname)
		uts_set_domainname_bytes(m.domainname, strnlen(m.domainname, UTS_NAME_MAX));
	if (m.has_user) {
		struct cred c;
		ctl_cred_build(&c, &m.proc, m.groups);
		t->cred = c;
	}
	if (m.proc.umask >= 0)
		t->fs->umask = (mode_t)m.proc.umask;
	pthread_mutex_lock(&t->tg->lock);
	if (m.has_oom) {
		/* runc writes it with CAP_SYS_RESOURCE, which moves the
		 * floor too: init may not go below it without that cap. */
		t->tg->oom_score_adj = (short)m.oom_score_adj;
		t->tg->oom_score_adj_min = (short)m.oom_score_adj;
	}
	for (int i = 0; i < m.nrlimits; i++) {
		t->tg->rlimits[m.rlimits[i].res].cur = m.rlimits[i].cur;
		t->tg->rlimits[m.rlimits[i].res].max = m.rlimits[i].max;
	}
	pthread_mutex_unlock(&t->tg->lock);
	/* fds 3..2+N are the application's, at the same numbers; the sentry
	 * keeps dups above them. */
	for (int fd = 3; fd < 3 + m.preserve_fds; fd++) {
		int h = fcntl(fd, F_DUPFD_CLOEXEC, 3 + m.preserve_fds);
		if (h < 0)
			continue;
		close(fd);
		struct file *f = hostfile_new(h);
		if (!f || fd_install_at(t->files, fd, f, false, 1 << 20) != fd)
			die_msg("--preserve-fds: cannot install fd %d", fd);
		file_put(f);
	}
	if (m.control_fd >= 0 && control_start(m.control_fd))
		die_msg("cannot start the control thread");
}

void ctl_report_ready(const char *err)
{
	if (m.ready_fd < 0)
		return;
	const char *msg = err ? err : "ok";
	if (write(m.ready_fd, msg, strlen(msg)) < 0)
		DEBUG("ready fd: %s", strerror(errno));
	close(m.ready_fd);
	m.ready_fd = -1;
}

bool ctl_oci_mode(void)
{
	return m.oci;
}

void ctl_before_run(void)
{
	if (m.wait_start)
		control_wait_start();
}
