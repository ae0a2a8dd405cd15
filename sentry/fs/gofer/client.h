/* The sentry's side of the gofer protocol: one connection, one request in
 * flight at a time, one function per operation.  Each returns 0 (or a
 * length / fd) or -errno as the gofer reported it; -EIO if the gofer is gone
 * or answered nonsense.
 *
 * Lock order: the connection lock is a leaf. */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct gofer_client {
	pthread_mutex_t lock;
	int sock;
	uint32_t next_tag;
};

/* Negotiates the protocol version on sock (takes ownership). */
int gofer_client_init(struct gofer_client *c, int sock);
void gofer_client_close(struct gofer_client *c);

int gofer_attach(struct gofer_client *c, uint64_t *node, struct stat *st);
/* ATTACH of export idx; *ro tells whether the gofer serves it read-only. */
int gofer_attach_export(struct gofer_client *c, uint32_t idx, uint64_t *node, struct stat *st,
			bool *ro);
/* name: one component (not "", ".", ".."), NUL-terminated. */
int gofer_walk(struct gofer_client *c, uint64_t dir, const char *name, uint64_t *node,
	       struct stat *st);
int gofer_stat(struct gofer_client *c, uint64_t node, struct stat *st);
/* Returns a host fd (O_CLOEXEC) or -errno. */
int gofer_open(struct gofer_client *c, uint64_t node, int flags);
/* Writes the target, NUL-terminated, into buf (size >= 4096); returns its length. */
ssize_t gofer_readlink(struct gofer_client *c, uint64_t node, char *buf, size_t size);
int gofer_clunk(struct gofer_client *c, uint64_t node);

/* One decoded directory entry of a GETDENTS batch. */
struct gofer_dent {
	uint64_t ino;
	uint64_t next;
	uint8_t type;
	char name[256];
};
/* Reads entries from cookie on into ents (at most max); returns how many,
 * with *eof set when the directory has no more after them. */
int gofer_getdents(struct gofer_client *c, uint64_t dir, uint64_t cookie, struct gofer_dent *ents,
		   int max, bool *eof);

/* ---- mutations (gofer/proto.h); names are one NUL-terminated component ---- */

struct statfs;
/* A new regular file opened with flags' access mode: its fd, or -errno;
 * *node and *st describe it. */
int gofer_create(struct gofer_client *c, uint64_t dir, const char *name, int flags, mode_t mode,
		 uid_t uid, gid_t gid, uint64_t *node, struct stat *st);
int gofer_mkdir(struct gofer_client *c, uint64_t dir, const char *name, mode_t mode, uid_t uid,
		gid_t gid, uint64_t *node, struct stat *st);
/* mode's type: S_IFIFO or S_IFSOCK. */
int gofer_mknod(struct gofer_client *c, uint64_t dir, const char *name, mode_t mode, uid_t uid,
		gid_t gid, uint64_t *node, struct stat *st);
int gofer_symlink(struct gofer_client *c, uint64_t dir, const char *name, const char *target,
		  uid_t uid, gid_t gid, uint64_t *node, struct stat *st);
int gofer_link(struct gofer_client *c, uint64_t node, uint64_t dir, const char *name,
	       uint64_t *newnode, struct stat *st);
/* flags: 0 or AT_REMOVEDIR. */
int gofer_unlink(struct gofer_client *c, uint64_t dir, const char *name, int flags);
int gofer_rename(struct gofer_client *c, uint64_t odir, const char *oname, uint64_t ndir,
		 const char *nname, unsigned flags);
/* mask: GOFER_SA_*; *st gets the fresh attributes. */
struct gofer_setattr_req;
int gofer_setattr(struct gofer_client *c, const struct gofer_setattr_req *q, struct stat *st);
int gofer_statfs(struct gofer_client *c, uint64_t node, struct statfs *sf);
/* GETXATTR/LISTXATTR: the value's (list's) length, copied to buf unless
 * size is 0.  SETXATTR/REMOVEXATTR: 0.  -errno as the gofer said. */
long gofer_xattr(struct gofer_client *c, uint32_t type, uint64_t node, const char *name,
		 const void *value, size_t vlen, int flags, void *buf, size_t size);
