/* The OCI subcommands' error reporting to stderr and the --log file (see errors.h). */
#include "runsc-compat/errors.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runsc-compat/cmd.h"

void oci_time_now(char *buf, unsigned long len, int nano)
{
	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!n)
		return;
	if (nano && ts.tv_nsec) {
		char frac[16];
		snprintf(frac, sizeof frac, ".%09ld", ts.tv_nsec);
		for (size_t k = strlen(frac) - 1; frac[k] == '0'; k--)
			frac[k] = 0;
		snprintf(buf + n, len - n, "%sZ", frac);
	} else {
		snprintf(buf + n, len - n, "Z");
	}
}

static void log_line(const struct cli_opts *o, const char *msg)
{
	char t[64], *line = NULL;
	oci_time_now(t, sizeof t, 0);
	if (o->log_format && !strcmp(o->log_format, "json")) {
		json_t *j = json_pack("{s:s, s:s, s:s}", "level", "error", "msg", msg, "time", t);
		/* JSON_ENSURE_ASCII: a message with invalid UTF-8 still encodes. */
		char *s = j ? json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
		json_decref(j);
		if (!s || asprintf(&line, "%s\n", s) < 0)
			line = NULL;
		free(s);
	} else {
		/* Quoted as logrus quotes msg: backslash before '"' and '\\'. */
		char q[2 * 4096 + 1], *d = q;
		for (const char *p = msg; *p && d < q + sizeof q - 2; p++) {
			if (*p == '"' || *p == '\\')
				*d++ = '\\';
			*d++ = *p;
		}
		*d = 0;
		if (asprintf(&line, "time=\"%s\" level=error msg=\"%s\"\n", t, q) < 0)
			line = NULL;
	}
	if (!line)
		return;
	int fd = open(o->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (write(fd, line, strlen(line)) < 0) {
			/* stderr already has the message. */
		}
		close(fd);
	}
	free(line);
}

void oci_error(const struct cli_opts *o, const char *fmt, ...)
{
	char msg[4096];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* One line each, whatever a message quotes. */
	for (char *p = msg; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fprintf(stderr, "cvisor: %s\n", msg);
	if (o && o->log && o->log[0])
		log_line(o, msg);
}

int oci_error_open(const struct cli_opts *o, const char *id, int err)
{
	if (err == -ENOENT)
		oci_error(o, "container %s does not exist", id);
	else
		oci_error(o, "container %s: %s", id, strerror(-err));
	return 1;
}
