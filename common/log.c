/* Logging shared by every cvisor process (see log.h). */
#include "common/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool log_debug_enabled;
const char *log_prog = "cvisor";
static int debug_fd = 2;

void log_init(const char *prog, bool debug, int fd)
{
	log_prog = prog;
	log_debug_enabled = debug;
	debug_fd = fd >= 0 ? fd : 2;
}

int log_fd(void)
{
	return debug_fd;
}

static void vlog(int fd, const char *fmt, va_list ap, int err)
{
	char buf[1024];
	int n = snprintf(buf, sizeof buf, "%s: ", log_prog);
	if (n < 0)
		return;
	n += vsnprintf(buf + n, sizeof buf - n, fmt, ap);
	if (n > (int)sizeof buf - 2)
		n = sizeof buf - 2;
	if (err)
		n += snprintf(buf + n, sizeof buf - n, ": %s", strerror(err));
	if (n > (int)sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	/* One write per line keeps lines from several threads whole. */
	if (write(fd, buf, n) < 0)
		return;
}

void log_debug(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(debug_fd, fmt, ap, 0);
	va_end(ap);
}

void log_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(2, fmt, ap, 0);
	va_end(ap);
	if (debug_fd != 2 && log_debug_enabled) {
		va_start(ap, fmt);
		vlog(debug_fd, fmt, ap, 0);
		va_end(ap);
	}
}

void die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;
	va_start(ap, fmt);
	vlog(2, fmt, ap, err);
	va_end(ap);
	exit(1);
}

void die_msg(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlog(2, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
