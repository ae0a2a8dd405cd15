/* What the gofer server's files share: the node table and reply helpers
 * (server.c), used by the mutating handlers (mutate.c, xattr.c). */
#pragma once
#include <sys/stat.h>
#include <sys/types.h>

#include "gofer/server.h"

/* The node an id names, or NULL for anything stale or out of range. */
struct gofer_node *gofer_node_lookup(struct gofer_server *s, uint64_t id, uint32_t *slot_out);
/* Takes ownership of fd and name; returns the slot or -errno. */
int64_t gofer_node_add(struct gofer_server *s, int fd, uint64_t parent, char *name,
		       const struct stat *st, uint32_t export_idx);
uint64_t gofer_node_id(struct gofer_server *s, uint32_t slot);
/* Fills a gofer_node_resp for slot. */
long gofer_reply_node(struct gofer_server *s, uint32_t slot, const struct stat *st, void *resp);
/* Adds fd (taken; closed on failure), just opened as name in directory
 * slot dslot, as a node and writes its gofer_node_resp. */
long gofer_add_reply(struct gofer_server *s, int fd, uint32_t dslot, const char *name, void *resp);
/* 0 for one real component, else -EINVAL / -ENAMETOOLONG. */
int gofer_check_name(const char *name, size_t len);
/* Opens the object node n names again, with flags (O_NOFOLLOW added), via
 * its parent and name; -ESTALE unless it is still the same object. */
int gofer_node_reopen(struct gofer_server *s, struct gofer_node *n, int flags);
/* Whether n is in a read-only export. */
bool gofer_node_ro(struct gofer_server *s, const struct gofer_node *n);

/* mutate.c: one handler per mutating request; the response length or -errno. */
long gofer_do_create(struct gofer_server *s, const void *req, size_t len, void *resp, int *fd_out);
long gofer_do_make(struct gofer_server *s, uint32_t type, const void *req, size_t len, void *resp);
long gofer_do_symlink(struct gofer_server *s, const void *req, size_t len, void *resp);
long gofer_do_link(struct gofer_server *s, const void *req, size_t len, void *resp);
long gofer_do_unlink(struct gofer_server *s, const void *req, size_t len, void *resp);
long gofer_do_rename(struct gofer_server *s, const void *req, size_t len, void *resp);
long gofer_do_setattr(struct gofer_server *s, const void *req, size_t len, void *resp);
long gofer_do_statfs(struct gofer_server *s, const void *req, size_t len, void *resp);
/* xattr.c */
long gofer_do_xattr(struct gofer_server *s, uint32_t type, const void *req, size_t len, void *resp);
