/* Credentials: Linux's id-change, capability and securebits rules as pure functions. */
#include <errno.h>
#include <linux/prctl.h>
#include <linux/securebits.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/cred.h"

#define CAP_BIT(c) (1ULL << (c))
#define CAP_KILL 5
#define CAP_SETGID 6
#define CAP_SETUID 7
#define CAP_SETPCAP 8

/* SECURE_ALL_BITS of the classic securebits; the newer exec-restriction
 * bits are not offered (setting them is EPERM, as on older kernels). */
#define SECBITS_ALL                                                                                \
	(SECBIT_NOROOT | SECBIT_NO_SETUID_FIXUP | SECBIT_KEEP_CAPS | SECBIT_NO_CAP_AMBIENT_RAISE)
#define SECBITS_LOCKS (SECBITS_ALL << 1)

#define UNCHANGED ((uid_t)-1)

void cred_init_root(struct cred *c)
{
	memset(c, 0, sizeof *c);
	c->cap_effective = c->cap_permitted = c->cap_bounding = CRED_CAP_FULL;
}

bool cred_capable(const struct cred *c, int cap)
{
	return CRED_CAP_VALID(cap) && (c->cap_effective & CAP_BIT(cap));
}

bool cred_in_group(const struct cred *c, gid_t gid)
{
	if (gid == c->fsgid)
		return true;
	for (int i = 0; i < c->ngroups; i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

bool cred_may_signal(const struct cred *s, const struct cred *t)
{
	return s->euid == t->suid || s->euid == t->ruid || s->ruid == t->suid ||
	       s->ruid == t->ruid || cred_capable(s, CAP_KILL);
}

static bool any_root(uid_t r, uid_t e, uid_t s)
{
	return r == 0 || e == 0 || s == 0;
}

/* Capabilities follow [res]uid changes unless SECBIT_NO_SETUID_FIXUP:
 * leaving root altogether drops permitted and effective (kept with
 * keep_caps) and always ambient; euid leaving 0 drops effective; euid
 * becoming 0 raises effective to permitted. */
static void fixup_setxuid(const struct cred *old, struct cred *new)
{
	if (old->securebits & SECBIT_NO_SETUID_FIXUP)
		return;
	if (any_root(old->ruid, old->euid, old->suid) &&
	    !any_root(new->ruid, new->euid, new->suid)) {
		if (!(old->securebits & SECBIT_KEEP_CAPS) && !old->keep_caps) {
			new->cap_permitted = 0;
			new->cap_effective = 0;
		}
		new->cap_ambient = 0;
	}
	if (old->euid == 0 && new->euid != 0)
		new->cap_effective = 0;
	if (old->euid != 0 && new->euid == 0)
		new->cap_effective = new->cap_permitted;
}

/* The fs subset of effective follows fsuid leaving or reaching 0. */
static void fixup_setfsuid(const struct cred *old, struct cred *new)
{
	if (old->securebits & SECBIT_NO_SETUID_FIXUP)
		return;
	if (old->fsuid == 0 && new->fsuid != 0)
		new->cap_effective &= ~CRED_CAP_FS_MASK;
	if (old->fsuid != 0 && new->fsuid == 0)
		new->cap_effective |= new->cap_permitted & CRED_CAP_FS_MASK;
}

int cred_setuid(const struct cred *old, struct cred *new, uid_t uid)
{
	if (uid == UNCHANGED)
		return -EINVAL;
	*new = *old;
	if (cred_capable(old, CAP_SETUID))
		new->ruid = new->suid = uid;
	else if (uid != old->ruid && uid != old->suid)
		return -EPERM;
	new->euid = new->fsuid = uid;
	fixup_setxuid(old, new);
	return 0;
}

int cred_setreuid(const struct cred *old, struct cred *new, uid_t ruid, uid_t euid)
{
	bool priv = cred_capable(old, CAP_SETUID);

	*new = *old;
	if (ruid != UNCHANGED) {
		if (ruid != old->ruid && ruid != old->euid && !priv)
			return -EPERM;
		new->ruid = ruid;
	}
	if (euid != UNCHANGED) {
		if (euid != old->ruid && euid != old->euid && euid != old->suid && !priv)
			return -EPERM;
		new->euid = euid;
	}
	/* The saved id records the new euid whenever the real id was given or
	 * the euid moved away from the (old) real id. */
	if (ruid != UNCHANGED || (euid != UNCHANGED && euid != old->ruid))
		new->suid = new->euid;
	new->fsuid = new->euid;
	fixup_setxuid(old, new);
	return 0;
}

/* An id an unprivileged caller may pick: one of its current three. */
static bool among(uid_t id, uid_t r, uid_t e, uid_t s)
{
	return id == UNCHANGED || id == r || id == e || id == s;
}

int cred_setresuid(const struct cred *old, struct cred *new, uid_t ruid, uid_t euid, uid_t suid)
{
	*new = *old;
	if (!cred_capable(old, CAP_SETUID) &&
	    (!among(ruid, old->ruid, old->euid, old->suid) ||
	     !among(euid, old->ruid, old->euid, old->suid) ||
	     !among(suid, old->ruid, old->euid, old->suid)))
		return -EPERM;
	if (ruid != UNCHANGED)
		new->ruid = ruid;
	if (euid != UNCHANGED)
		new->euid = euid;
	if (suid != UNCHANGED)
		new->suid = suid;
	new->fsuid = new->euid;
	fixup_setxuid(old, new);
	return 0;
}

bool cred_setfsuid(const struct cred *old, struct cred *new, uid_t fsuid)
{
	*new = *old;
	if (fsuid == UNCHANGED || fsuid == old->fsuid)
		return false;
	if (!among(fsuid, old->ruid, old->euid, old->suid) && !cred_capable(old, CAP_SETUID))
		return false;
	new->fsuid = fsuid;
	fixup_setfsuid(old, new);
	return true;
}

int cred_setgid(const struct cred *old, struct cred *new, gid_t gid)
{
	if (gid == (gid_t)-1)
		return -EINVAL;
	*new = *old;
	if (cred_capable(old, CAP_SETGID))
		new->rgid = new->sgid = gid;
	else if (gid != old->rgid && gid != old->sgid)
		return -EPERM;
	new->egid = new->fsgid = gid;
	return 0;
}

int cred_setregid(const struct cred *old, struct cred *new, gid_t rgid, gid_t egid)
{
	bool priv = cred_capable(old, CAP_SETGID);

	*new = *old;
	if (rgid != (gid_t)-1) {
		if (rgid != old->rgid && rgid != old->egid && !priv)
			return -EPERM;
		new->rgid = rgid;
	}
	if (egid != (gid_t)-1) {
		if (egid != old->rgid && egid != old->egid && egid != old->sgid && !priv)
			return -EPERM;
		new->egid = egid;
	}
	if (rgid != (gid_t)-1 || (egid != (gid_t)-1 && egid != old->rgid))
		new->sgid = new->egid;
	new->fsgid = new->egid;
	return 0;
}

int cred_setresgid(const struct cred *old, struct cred *new, gid_t rgid, gid_t egid, gid_t sgid)
{
	*new = *old;
	if (!cred_capable(old, CAP_SETGID) &&
	    (!among(rgid, old->rgid, old->egid, old->sgid) ||
	     !among(egid, old->rgid, old->egid, old->sgid) ||
	     !among(sgid, old->rgid, old->egid, old->sgid)))
		return -EPERM;
	if (rgid != (gid_t)-1)
		new->rgid = rgid;
	if (egid != (gid_t)-1)
		new->egid = egid;
	if (sgid != (gid_t)-1)
		new->sgid = sgid;
	new->fsgid = new->egid;
	return 0;
}

bool cred_setfsgid(const struct cred *old, struct cred *new, gid_t fsgid)
{
	*new = *old;
	if (fsgid == (gid_t)-1 || fsgid == old->fsgid)
		return false;
	if (!among(fsgid, old->rgid, old->egid, old->sgid) && !cred_capable(old, CAP_SETGID))
		return false;
	new->fsgid = fsgid;
	return true;
}

static int gid_cmp(const void *a, const void *b)
{
	gid_t x = *(const gid_t *)a, y = *(const gid_t *)b;
	return x < y ? -1 : x > y;
}

int cred_setgroups(const struct cred *old, struct cred *new, const gid_t *groups, int n)
{
	if (!cred_capable(old, CAP_SETGID))
		return -EPERM;
	if (n < 0 || n > CRED_NGROUPS_MAX)
		return -EINVAL;
	if (n > CRED_NGROUPS_HELD)
		return -ENOMEM;
	for (int i = 0; i < n; i++)
		if (groups[i] == (gid_t)-1)
			return -EINVAL;
	*new = *old;
	memcpy(new->groups, groups, sizeof(gid_t) * (size_t)n);
	new->ngroups = n;
	/* Linux keeps them sorted (getgroups shows the order) for bsearch. */
	qsort(new->groups, (size_t)n, sizeof(gid_t), gid_cmp);
	return 0;
}

static bool subset(uint64_t a, uint64_t b)
{
	return !(a & ~b);
}

int cred_capset(const struct cred *old, struct cred *new, uint64_t effective, uint64_t permitted,
		uint64_t inheritable)
{
	effective &= CRED_CAP_FULL;
	permitted &= CRED_CAP_FULL;
	inheritable &= CRED_CAP_FULL;
	/* Without CAP_SETPCAP, inheritable may only gain what is permitted. */
	if (!cred_capable(old, CAP_SETPCAP) &&
	    !subset(inheritable, old->cap_inheritable | old->cap_permitted))
		return -EPERM;
	/* No new inheritable bit from outside the bounding set, ever. */
	if (!subset(inheritable, old->cap_inheritable | old->cap_bounding))
		return -EPERM;
	if (!subset(permitted, old->cap_permitted))
		return -EPERM;
	if (!subset(effective, permitted))
		return -EPERM;
	*new = *old;
	new->cap_effective = effective;
	new->cap_permitted = permitted;
	new->cap_inheritable = inheritable;
	/* Ambient must stay within permitted & inheritable. */
	new->cap_ambient &= permitted & inheritable;
	return 0;
}

int cred_set_keepcaps(const struct cred *old, struct cred *new, unsigned long on)
{
	if (on > 1)
		return -EINVAL;
	if (old->securebits & SECBIT_KEEP_CAPS_LOCKED)
		return -EPERM;
	*new = *old;
	if (on)
		new->securebits |= SECBIT_KEEP_CAPS;
	else
		new->securebits &= ~SECBIT_KEEP_CAPS;
	new->keep_caps = on;
	return 0;
}

int cred_capbset_drop(const struct cred *old, struct cred *new, unsigned long cap)
{
	if (!cred_capable(old, CAP_SETPCAP))
		return -EPERM;
	if (cap > CRED_CAP_LAST)
		return -EINVAL;
	*new = *old;
	new->cap_bounding &= ~CAP_BIT(cap);
	return 0;
}

long cred_ambient(const struct cred *old, struct cred *new, unsigned long op, unsigned long cap,
		  unsigned long a4, unsigned long a5)
{
	*new = *old;
	if (op == PR_CAP_AMBIENT_CLEAR_ALL) {
		if (cap || a4 || a5)
			return -EINVAL;
		new->cap_ambient = 0;
		return 0;
	}
	if (cap > CRED_CAP_LAST || a4 || a5)
		return -EINVAL;
	switch (op) {
	case PR_CAP_AMBIENT_IS_SET:
		return !!(old->cap_ambient & CAP_BIT(cap));
	case PR_CAP_AMBIENT_RAISE:
		if (!(old->cap_permitted & CAP_BIT(cap)) || !(old->cap_inheritable & CAP_BIT(cap)) ||
		    (old->securebits & SECBIT_NO_CAP_AMBIENT_RAISE))
			return -EPERM;
		new->cap_ambient |= CAP_BIT(cap);
		return 0;
	case PR_CAP_AMBIENT_LOWER:
		new->cap_ambient &= ~CAP_BIT(cap);
		return 0;
	}
	return -EINVAL;
}

int cred_set_securebits(const struct cred *old, struct cred *new, unsigned long bits)
{
	unsigned oldb = old->securebits;

	/* A locked bit cannot change, a lock cannot be released, unknown
	 * bits are refused, and the whole call needs CAP_SETPCAP. */
	if ((((oldb & SECBITS_LOCKS) >> 1) & (oldb ^ bits)) || (oldb & SECBITS_LOCKS & ~bits) ||
	    (bits & ~(unsigned long)(SECBITS_ALL | SECBITS_LOCKS)) ||
	    !cred_capable(old, CAP_SETPCAP))
		return -EPERM;
	*new = *old;
	new->securebits = (unsigned)bits;
	new->keep_caps = !!(bits & SECBIT_KEEP_CAPS);
	return 0;
}

int cred_exec_transform(struct cred *c, bool *secureexec)
{
	const struct cred old = *c;
	bool effective = false;
	bool real_root = c->ruid == 0;

	/* No file capabilities: the permitted set starts empty. */
	c->cap_permitted = 0;
	if (!(old.securebits & SECBIT_NOROOT)) {
		if (c->euid == 0 || c->ruid == 0)
			c->cap_permitted = old.cap_bounding | old.cap_inheritable;
		if (c->euid == 0)
			effective = true;
	}
	/* With no set-id bits the ids only "change" when euid != ruid. */
	bool is_setid = c->euid != old.ruid || c->egid != old.rgid;
	bool gained = !subset(c->cap_permitted, old.cap_permitted);
	if ((is_setid || gained) && old.no_new_privs) {
		/* no_new_privs: they get no more than they had, and the
		 * effective ids fall back to the real ones. */
		c->euid = c->ruid;
		c->egid = c->rgid;
		c->cap_permitted &= old.cap_permitted;
	}
	c->suid = c->fsuid = c->euid;
	c->sgid = c->fsgid = c->egid;
	if (is_setid)
		c->cap_ambient = 0;
	c->cap_permitted |= c->cap_ambient;
	c->cap_effective = effective ? c->cap_permitted : c->cap_ambient;
	c->securebits &= ~SECBIT_KEEP_CAPS;
	c->keep_caps = false;
	if (secureexec)
		*secureexec = is_setid ||
			      (!real_root && (effective || !subset(c->cap_permitted, c->cap_ambient)));
	return 0;
}

void cred_commit(struct task *t, const struct cred *new)
{
	const struct cred *old = &t->cred;
	/* A process whose identity or privileges moved stops being dumpable
	 * (fs.suid_dumpable 0), so it cannot be inspected as its new self. */
	bool undump = old->euid != new->euid || old->egid != new->egid ||
		      old->fsuid != new->fsuid || old->fsgid != new->fsgid ||
		      !subset(new->cap_permitted, old->cap_permitted);

	pthread_mutex_lock(&tasklist_lock);
	t->cred = *new;
	pthread_mutex_unlock(&tasklist_lock);
	if (undump) {
		pthread_mutex_lock(&t->tg->lock);
		t->tg->not_dumpable = true;
		pthread_mutex_unlock(&t->tg->lock);
	}
}
