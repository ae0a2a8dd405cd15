/* Logging shared by every cvisor process: debug log, warnings, fatal setup errors. */
#pragma once
#include <stdarg.h>
#include <stdbool.h>

/* Debug logging is off unless --debug; the log goes to stderr or --debug-log FILE. */
extern bool log_debug_enabled;
extern const char *log_prog; /* "cvisor", "cvisor-sentry", "cvisor-gofer" */

void log_init(const char *prog, bool debug, int fd);
int log_fd(void);

/* Printed only with --debug.  One line each, prefixed with the process name. */
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Always printed to stderr (and the debug log). */
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Host setup failure: prints "PROG: MSG: strerror(errno)" when errno != 0, exits 1. */
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* As die() without errno. */
void die_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define DEBUG(...)                                                                                 \
	do {                                                                                       \
		if (log_debug_enabled)                                                             \
			log_debug(__VA_ARGS__);                                                    \
	} while (0)
