/* What the System V IPC kinds share: id tables, permissions, the kernel's
 * copy of struct ipc_perm. */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ipc.h>
#include <sys/types.h>
#include <time.h>

#include "sentry/ipc/ipc.h"

struct cred;

/* Linux's IPCMNI: ids are seq * IPC_SEQ_MULT + slot index. */
#define IPC_SEQ_MULT 32768
#define IPC_SLOTS_MAX 32768

struct ipc_obj {
	key_t key;
	uid_t uid, cuid;
	gid_t gid, cgid;
	unsigned mode; /* low 9 bits plus kind-specific flags (SHM_DEST...) */
	unsigned short seq;
	int id;
	time_t ctime;
};

/* One kind's table.  The caller holds the kind's lock around every call. */
struct ipc_ids {
	struct ipc_obj *slot[IPC_SLOTS_MAX];
	int in_use;
	int max_used; /* highest slot index in use + 1 */
	unsigned short seq;
	int limit; /* SHMMNI, SEMMNI, MSGMNI */
};

struct ipc_obj *ipc_find_id(struct ipc_ids *ids, int id);
struct ipc_obj *ipc_find_key(struct ipc_ids *ids, key_t key);
/* Gives o a slot and an id, fills its owner fields from c and mode from
 * flg: 0 or -ENOSPC. */
int ipc_add(struct ipc_ids *ids, struct ipc_obj *o, const struct cred *c, key_t key, int flg);
void ipc_remove(struct ipc_ids *ids, struct ipc_obj *o);

/* ipcperms: flg holds the wanted S_IRUGO/S_IWUGO bits; 0 or -EACCES. */
int ipc_perm(const struct cred *c, const struct ipc_obj *o, int flg);
/* Owner or creator, or CAP_SYS_ADMIN (IPC_SET, IPC_RMID): 0 or -EPERM. */
int ipc_owner(const struct cred *c, const struct ipc_obj *o);
/* The ipc_perm part of an IPC_STAT answer. */
void ipc_fill_perm(const struct ipc_obj *o, struct ipc_perm *p);
/* IPC_SET of uid, gid and the permission bits. */
void ipc_set_perm(struct ipc_obj *o, const struct ipc_perm *p);

/* shmget/semget/msgget's common path: the id, or -errno.  create makes a
 * new object (returns NULL: -ENOMEM; or an ERR value); check vets an
 * existing one beyond permissions (size/nsems). */
long ipc_get(struct ipc_ids *ids, pthread_mutex_t *lock, const struct cred *c, key_t key,
	     int flg, struct ipc_obj *(*create)(const struct cred *c, key_t key, int flg,
						 void *arg, long *err),
	     int (*check)(struct ipc_obj *o, void *arg), void *arg);

/* Strips IPC_64, which 64-bit callers may pass and Linux accepts. */
#define IPC_CMD(cmd) ((int)(cmd) & ~0x100)

static inline time_t ipc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}
