/* System V IPC id tables and permission checks shared by shm, sem and msg. */
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/ipc/internal.h"
#include "sentry/kernel/cred.h"

#define CAP_IPC_OWNER 15
#define CAP_SYS_ADMIN 21

struct ipc_obj *ipc_find_id(struct ipc_ids *ids, int id)
{
	if (id < 0)
		return NULL;
	struct ipc_obj *o = ids->slot[id % IPC_SEQ_MULT];
	if (!o || o->seq != id / IPC_SEQ_MULT)
		return NULL;
	return o;
}

struct ipc_obj *ipc_find_key(struct ipc_ids *ids, key_t key)
{
	for (int i = 0; i < ids->max_used; i++)
		if (ids->slot[i] && ids->slot[i]->key == key)
			return ids->slot[i];
	return NULL;
}

int ipc_add(struct ipc_ids *ids, struct ipc_obj *o, const struct cred *c, key_t key, int flg)
{
	if (ids->in_use >= ids->limit)
		return -ENOSPC;
	int i = 0;
	while (ids->slot[i]) /* lowest free slot, as Linux's idr */
		i++;
	ids->slot[i] = o;
	ids->in_use++;
	if (i >= ids->max_used)
		ids->max_used = i + 1;
	o->seq = ids->seq++ % (INT32_MAX / IPC_SEQ_MULT);
	o->id = o->seq * IPC_SEQ_MULT + i;
	o->key = key;
	o->uid = o->cuid = c->euid;
	o->gid = o->cgid = c->egid;
	o->mode = flg & 0777;
	o->ctime = ipc_now();
	return 0;
}

void ipc_remove(struct ipc_ids *ids, struct ipc_obj *o)
{
	int i = o->id % IPC_SEQ_MULT;
	if (ids->slot[i] != o)
		return;
	ids->slot[i] = NULL;
	ids->in_use--;
	while (ids->max_used && !ids->slot[ids->max_used - 1])
		ids->max_used--;
}

int ipc_perm(const struct cred *c, const struct ipc_obj *o, int flg)
{
	int want = (flg >> 6 | flg >> 3 | flg) & 7;
	unsigned granted = o->mode;
	if (c->euid == o->cuid || c->euid == o->uid)
		granted >>= 6;
	else if (cred_in_group(c, o->cgid) || cred_in_group(c, o->gid))
		granted >>= 3;
	if ((want & ~granted & 7) && !cred_capable(c, CAP_IPC_OWNER))
		return -EACCES;
	return 0;
}

int ipc_owner(const struct cred *c, const struct ipc_obj *o)
{
	if (c->euid == o->cuid || c->euid == o->uid || cred_capable(c, CAP_SYS_ADMIN))
		return 0;
	return -EPERM;
}

void ipc_fill_perm(const struct ipc_obj *o, struct ipc_perm *p)
{
	memset(p, 0, sizeof *p);
	p->__key = o->key;
	p->uid = o->uid;
	p->gid = o->gid;
	p->cuid = o->cuid;
	p->cgid = o->cgid;
	p->mode = o->mode;
	p->__seq = o->seq;
}

void ipc_set_perm(struct ipc_obj *o, const struct ipc_perm *p)
{
	o->uid = p->uid;
	o->gid = p->gid;
	o->mode = (o->mode & ~0777u) | (p->mode & 0777);
	o->ctime = ipc_now();
}

long ipc_get(struct ipc_ids *ids, pthread_mutex_t *lock, const struct cred *c, key_t key,
	     int flg, struct ipc_obj *(*create)(const struct cred *c, key_t key, int flg,
						 void *arg, long *err),
	     int (*check)(struct ipc_obj *o, void *arg), void *arg)
{
	long r;
	pthread_mutex_lock(lock);
	struct ipc_obj *o = key == IPC_PRIVATE ? NULL : ipc_find_key(ids, key);
	if (o) {
		if ((flg & IPC_CREAT) && (flg & IPC_EXCL))
			r = -EEXIST;
		else if ((r = ipc_perm(c, o, flg)) == 0 && (r = check(o, arg)) == 0)
			r = o->id;
	} else if (key != IPC_PRIVATE && !(flg & IPC_CREAT)) {
		r = -ENOENT;
	} else {
		o = create(c, key, flg, arg, &r);
		if (o)
			r = o->id;
	}
	pthread_mutex_unlock(lock);
	return r;
}
