/* The sandbox's UTS names (uname(2)): its own hostname and NIS domain name,
 * changed by sethostname/setdomainname and /proc/sys/kernel/{hostname,
 * domainname}; the release is the host kernel's, the rest fixed.
 *
 * Locking: one leaf mutex inside; callable with any lock held.
 */
#pragma once
#include <stddef.h>
#include <sys/utsname.h>

/* Linux's __NEW_UTS_LEN: the longest name (the fields hold one more byte). */
#define UTS_NAME_MAX 64

/* The whole struct uname(2) reports. */
void uts_get(struct utsname *u);
/* Sets the hostname (the OCI config's "hostname"); longer names are cut
 * at UTS_NAME_MAX bytes. */
void uts_set_hostname(const char *name);
/* The sethostname/setdomainname semantics: exactly len bytes (len <=
 * UTS_NAME_MAX, not NUL-terminated; NUL bytes kept), the rest zeroed. */
void uts_set_hostname_bytes(const char *name, size_t len);
void uts_set_domainname_bytes(const char *name, size_t len);
