/* The sandbox's UTS names: hostname and domain name, defaulting to the
 * host's hostname read once and "(none)". */
#include <pthread.h>
#include <string.h>

#include "sentry/kernel/uts.h"

static pthread_mutex_t uts_lock = PTHREAD_MUTEX_INITIALIZER;
static struct utsname uts;
static int uts_ready;

/* The host's release (so version checks see a real kernel) and, until
 * something sets one, its hostname. */
static void init_locked(void)
{
	struct utsname host;
	if (uts_ready)
		return;
	uts_ready = 1;
	memset(&host, 0, sizeof host);
	uname(&host);
	memset(&uts, 0, sizeof uts);
	strcpy(uts.sysname, "Linux");
	memcpy(uts.nodename, host.nodename, UTS_NAME_MAX);
	memcpy(uts.release, host.release, UTS_NAME_MAX);
	strcpy(uts.version, "#1 SMP cvisor");
	strcpy(uts.machine, "x86_64");
	strcpy(uts.domainname, "(none)");
}

void uts_get(struct utsname *u)
{
	pthread_mutex_lock(&uts_lock);
	init_locked();
	*u = uts;
	pthread_mutex_unlock(&uts_lock);
}

static void set_field(char *field, const char *name, size_t len)
{
	if (len > UTS_NAME_MAX)
		len = UTS_NAME_MAX;
	pthread_mutex_lock(&uts_lock);
	init_locked();
	memset(field, 0, UTS_NAME_MAX + 1);
	memcpy(field, name, len);
	pthread_mutex_unlock(&uts_lock);
}

void uts_set_hostname_bytes(const char *name, size_t len) { set_field(uts.nodename, name, len); }

void uts_set_domainname_bytes(const char *name, size_t len)
{
	set_field(uts.domainname, name, len);
}

void uts_set_hostname(const char *name) { set_field(uts.nodename, name, strnlen(name, UTS_NAME_MAX)); }
