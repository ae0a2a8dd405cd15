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
