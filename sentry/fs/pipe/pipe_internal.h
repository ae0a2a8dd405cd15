/* The pipe object and its ring of slots, shared by the files of sentry/fs/pipe. */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "sentry/fs/pipe/pipe.h"
#include "sentry/kernel/wait.h"
#include "sentry/vfs/iov.h"

struct pipe_slot {
	char *page;   /* PIPE_PAGE bytes; NULL while the slot is free */
	uint16_t off; /* first unread byte */
	uint16_t len; /* unread bytes (at most PIPE_PAGE) */
	bool packet;  /* one O_DIRECT write: read whole or its rest dropped */
};

struct pipe {
	pthread_mutex_t lock;
	int refs; /* open ends + the FIFO inode's reference (atomic) */

	/* lock */
	struct pipe_slot *slots;
	unsigned nslots;      /* capacity in slots: a power of two */
	unsigned head, nused; /* first occupied slot, occupied slots */
	size_t nbytes;	      /* unread bytes in every slot */
	char *spare;	      /* a freed page kept for the next write */
	int readers, writers; /* open ends (O_RDWR counts as both) */
	/* Ends ever opened: FIFO opens wait for these to move, and a reader
	 * sees POLLHUP only once a writer has come (and gone) since it opened. */
	unsigned r_counter, w_counter;

	/* Readers wait for POLLIN/POLLHUP, writers for POLLOUT/POLLERR,
	 * FIFO opens for anything; pollers for what they asked. */
	struct waitq wq;

	uint64_t ino;
	uid_t uid;
	gid_t gid;
	struct timespec ctime;
};

/* One end: the pipe and the writer count it saw when it opened. */
struct pipe_end {
	struct pipe *p;
	unsigned w_seen;
};

#define PIPE_OF(f) (((struct pipe_end *)(f)->priv)->p)

/* A position in a list of sentry iovecs. */

/* ---- ring.c (pipe->lock held) ---- */

/* Moves unread bytes into c, at most max; stops after a packet.  Returns
 * the bytes moved. */
size_t pipe_take(struct pipe *p, struct iov_cur *c, size_t max);
/* Copies up to max unread bytes into c without consuming them (tee);
 * stops after a packet.  Returns the bytes copied. */
size_t pipe_peek_bytes(struct pipe *p, struct iov_cur *c, size_t max);
/* Stores n bytes from c.  atomic: all or nothing.  packet: one slot per
 * PIPE_PAGE bytes.  Returns the bytes stored (short when the ring fills or
 * a page cannot be allocated). */
size_t pipe_put_bytes(struct pipe *p, struct iov_cur *c, size_t n, bool atomic, bool packet);
/* Resizes the ring to nslots: 0, -EBUSY or -ENOMEM. */
int pipe_resize(struct pipe *p, unsigned nslots);
static inline bool pipe_full(const struct pipe *p) { return p->nused == p->nslots; }
