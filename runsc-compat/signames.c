/* Parsing signal names and numbers for kill (see signames.h). */
#include "runsc-compat/signames.h"

#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Linux's SIGRTMIN/SIGRTMAX as the kernel numbers them (glibc's macros
 * reserve two for itself; the application inside sees the kernel's). */
#define K_RTMIN 32
#define K_RTMAX 64

static int number(const char *s, int lo, int hi)
{
	char *end;
	if (!*s)
		return -1;
	long v = strtol(s, &end, 10);
	return *end || v < lo || v > hi ? -1 : (int)v;
}

int signame_parse(const char *s)
{
	if (!s || !*s)
		return -1;
	if (*s >= '0' && *s <= '9')
		return number(s, 1, 64);
	if (!strncasecmp(s, "SIG", 3))
		s += 3;
	if (!strncasecmp(s, "RTMIN", 5) || !strncasecmp(s, "RTMAX", 5)) {
		bool min = !strncasecmp(s, "RTMIN", 5);
		const char *rest = s + 5;
		int base = min ? K_RTMIN : K_RTMAX, off = 0;
		if (*rest == '+' && min)
			off = number(rest + 1, 0, K_RTMAX - K_RTMIN);
		else if (*rest == '-' && !min)
			off = -number(rest + 1, 0, K_RTMAX - K_RTMIN);
		else if (*rest)
			return -1;
		if (off == -1 && *rest == '+')
			return -1;
		if (*rest == '-' && off > 0)
			return -1;
		int sig = base + off;
		return sig >= K_RTMIN && sig <= K_RTMAX ? sig : -1;
	}
	for (int sig = 1; sig < K_RTMIN; sig++) {
		const char *a = sigabbrev_np(sig);
		if (a && !strcasecmp(a, s))
			return sig;
	}
	/* Names sigabbrev_np does not give. */
	if (!strcasecmp(s, "IOT"))
		return SIGABRT;
	if (!strcasecmp(s, "POLL"))
		return SIGIO;
	if (!strcasecmp(s, "CLD"))
		return SIGCHLD;
	return -1;
}
