/* The interface ioctls (SIOCGIF*) on sockets: the sandbox has one
 * interface, "lo", index 1, 127.0.0.1/8 (and ::1, which these IPv4-era
 * calls do not show). */
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/sockios.h>

#include "sentry/fs/socket/unix_internal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

#define LO_INDEX 1
#define LO_MTU 65536

static void sin_set(struct sockaddr *sa, uint32_t addr)
{
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(addr)};
	memcpy(sa, &sin, sizeof sin);
}

/* SIOCGIFCONF: the IPv4 interfaces, as much as fits (none: the size). */
static long ifconf(struct task *t, uint64_t arg)
{
	struct ifconf ic;
	if (mm_copy_in(t->mm, &ic, arg, sizeof ic))
		return -EFAULT;
	int len = 0;
	if (!ic.ifc_buf) {
		len = sizeof(struct ifreq);
	} else if (ic.ifc_len >= (int)sizeof(struct ifreq)) {
		struct ifreq r;
		memset(&r, 0, sizeof r);
		strcpy(r.ifr_name, "lo");
		sin_set(&r.ifr_addr, INADDR_LOOPBACK);
		if (mm_copy_out(t->mm, (uint64_t)(uintptr_t)ic.ifc_buf, &r, sizeof r))
			return -EFAULT;
		len = sizeof r;
	}
	return mm_copy_out(t->mm, arg + offsetof(struct ifconf, ifc_len), &len, sizeof len) ? -EFAULT
											      : 0;
}

long sock_if_ioctl(struct usock *s, struct task *t, unsigned cmd, uint64_t arg)
{
	struct ifreq r;
	switch (cmd) {
	case SIOCGIFCONF:
		return ifconf(t, arg);
	case SIOCGIFNAME:
	case SIOCGIFFLAGS:
	case SIOCGIFINDEX:
	case SIOCGIFMTU:
		break;
	case SIOCGIFADDR:
	case SIOCGIFNETMASK:
		/* IPv4 addresses come from AF_INET sockets only. */
		if (s->family != AF_INET)
			return -ENOTTY;
		break;
	default:
		return -ENOTTY;
	}
	if (mm_copy_in(t->mm, &r, arg, sizeof r))
		return -EFAULT;
	if (cmd == SIOCGIFNAME) {
		if (r.ifr_ifindex != LO_INDEX)
			return -ENODEV;
		memset(r.ifr_name, 0, sizeof r.ifr_name);
		strcpy(r.ifr_name, "lo");
	} else {
		r.ifr_name[IFNAMSIZ - 1] = 0;
		if (strcmp(r.ifr_name, "lo"))
			return -ENODEV;
		switch (cmd) {
		case SIOCGIFFLAGS:
			r.ifr_flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING;
			break;
		case SIOCGIFINDEX:
			r.ifr_ifindex = LO_INDEX;
			break;
		case SIOCGIFMTU:
			r.ifr_mtu = LO_MTU;
			break;
		case SIOCGIFADDR:
			sin_set(&r.ifr_addr, INADDR_LOOPBACK);
			break;
		case SIOCGIFNETMASK:
			sin_set(&r.ifr_netmask, 0xff000000u);
			break;
		}
	}
	return mm_copy_out(t->mm, arg, &r, sizeof r) ? -EFAULT : 0;
}
