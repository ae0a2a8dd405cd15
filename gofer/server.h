/* The gofer server's internals, for gofer_main, the unit test and the fuzzer:
 * a node table over one root directory and a pure message handler.
 *
 * Single-threaded: one server serves one socket from one thread. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "gofer/proto.h"

struct gofer_node {
	int fd;		   /* O_PATH | O_NOFOLLOW, -1 when the slot is free */
	int dir_fd;	   /* lazily opened for GETDENTS, or -1 */
	uint32_t gen;	   /* bumped when the slot is freed: stale ids miss */
	uint64_t parent;   /* id of the parent, GOFER_NO_NODE for the root */
	char *name;	   /* name in the parent (NULL for the root) */
	uint64_t dev, ino; /* what the node was when walked, for OPEN's check */
	uint32_t mode;
};

struct gofer_server {
	struct gofer_node *nodes;
	uint32_t cap;	    /* slots allocated */
	uint32_t max_nodes; /* refuse with ENFILE beyond this many */
	uint32_t hint;	    /* a slot at or below every free slot */
	int root_fd;
};

/* Takes ownership of root_fd (any fd on the root directory). */
int gofer_server_init(struct gofer_server *s, int root_fd);
void gofer_server_destroy(struct gofer_server *s);

/* Handles one request of len bytes; writes the response (at most
 * GOFER_MAX_MSG bytes) to resp and returns its length.  *fd_out is set to
 * an fd to donate with the response (the caller closes it after sending),
 * or -1.  Never fails: malformed requests get an error response. */
size_t gofer_handle_msg(struct gofer_server *s, const void *req, size_t len, void *resp,
			int *fd_out);

/* Serves requests on sock until the peer closes it.  Takes ownership of
 * root_fd.  0 on EOF, -errno on a socket error. */
int gofer_serve(int sock, int root_fd);
