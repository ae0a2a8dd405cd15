/* The gofer server's internals, for gofer_main, the unit test and the fuzzer:
 * a node table over one or more exported directories and a pure message
 * handler.
 *
 * Single-threaded: one server serves one socket from one thread. */
#pragma once
#include <stdbool.h>
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
	uint32_t export_idx; /* which export the node is in */
	bool root;	     /* an export's root: no parent, no name */
};

/* Most trees one gofer serves (the root and its bind mounts). */
#define GOFER_MAX_EXPORTS 64

struct gofer_export {
	int fd;	  /* O_PATH directory, or a detached mount tree */
	bool ro;  /* mutations get EROFS */
	/* A single-file export: the file's name in directory fd (the export
	 * serves that file alone), or NULL for a directory export. */
	char *file;
};

struct gofer_server {
	struct gofer_node *nodes;
	uint32_t cap;	    /* slots allocated */
	uint32_t max_nodes; /* refuse with ENFILE beyond this many */
	uint32_t hint;	    /* a slot at or below every free slot */
	struct gofer_export exports[GOFER_MAX_EXPORTS];
	uint32_t nexports;
};

/* Takes ownership of root_fd (any fd on the root directory), export 0,
 * served read-only (clear exports[0].ro to serve it writable). */
int gofer_server_init(struct gofer_server *s, int root_fd);
/* Adds an export (takes ownership of fd): its index, or -ENFILE. */
int gofer_server_add_export(struct gofer_server *s, int fd, bool ro);
/* Adds a single-file export: file name (taken over, malloc'd) in directory
 * fd (taken over).  Its index, or -ENFILE. */
int gofer_server_add_file_export(struct gofer_server *s, int fd, char *name, bool ro);
void gofer_server_destroy(struct gofer_server *s);

/* Handles one request of len bytes; writes the response (at most
 * GOFER_MAX_MSG bytes) to resp and returns its length.  *fd_out is set to
 * an fd to donate with the response (the caller closes it after sending),
 * or -1.  Never fails: malformed requests get an error response. */
size_t gofer_handle_msg(struct gofer_server *s, const void *req, size_t len, void *resp,
			int *fd_out);

/* Serves requests on sock until the peer closes it.  Takes ownership of
 * root_fd (served read-only).  0 on EOF, -errno on a socket error. */
int gofer_serve(int sock, int root_fd);
/* The same for a server already set up (its exports); destroys it. */
int gofer_serve_server(int sock, struct gofer_server *s);
