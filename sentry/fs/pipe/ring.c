/* The pipe's ring of page slots: moving bytes between it and iovecs,
 * resizing, and the pipe object's life. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fs/pipe/pipe_internal.h"

static uint64_t next_ino = 1;

struct pipe *pipe_new(void)
{
	struct pipe *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->nslots = PIPE_DEF_SIZE / PIPE_PAGE;
	p->slots = calloc(p->nslots, sizeof *p->slots);
	if (!p->slots) {
		free(p);
		return NULL;
	}
	pthread_mutex_init(&p->lock, NULL);
	waitq_init(&p->wq);
	p->refs = 1;
	p->ino = __atomic_fetch_add(&next_ino, 1, __ATOMIC_RELAXED);
	clock_gettime(CLOCK_REALTIME, &p->ctime);
	return p;
}

struct pipe *pipe_get(struct pipe *p)
{
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
	return p;
}

void pipe_put(struct pipe *p)
{
	if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (unsigned i = 0; i < p->nslots; i++)
		free(p->slots[i].page);
	free(p->slots);
	free(p->spare);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static void slot_free(struct pipe *p, struct pipe_slot *s)
{
	/* One page stays cached: a steady stream reuses it instead of
	 * allocating per slot. */
	if (!p->spare)
		p->spare = s->page;
	else
		free(s->page);
	s->page = NULL;
	s->off = s->len = 0;
	s->packet = false;
}

size_t pipe_take(struct pipe *p, struct iov_cur *c, size_t max)
{
	size_t done = 0;
	unsigned mask = p->nslots - 1;
	while (done < max && p->nused) {
		struct pipe_slot *s = &p->slots[p->head];
		size_t want = max - done < s->len ? max - done : s->len;
		size_t k = iov_cur_move(c, s->page + s->off, want, 1);
		done += k;
		s->off += k;
		s->len -= k;
		p->nbytes -= k;
		bool packet = s->packet;
		if (packet) {
			/* A packet is read in one go; what did not fit is lost. */
			p->nbytes -= s->len;
			s->len = 0;
		}
		if (!s->len) {
			slot_free(p, s);
			p->head = (p->head + 1) & mask;
			p->nused--;
		}
		if (packet || k < want)
			break;
	}
	return done;
}

size_t pipe_peek_bytes(struct pipe *p, struct iov_cur *c, size_t max)
{
	size_t done = 0;
	unsigned mask = p->nslots - 1;
	for (unsigned i = 0; i < p->nused && done < max; i++) {
		struct pipe_slot *s = &p->slots[(p->head + i) & mask];
		size_t want = max - done < s->len ? max - done : s->len;
		size_t k = iov_cur_move(c, s->page + s->off, want, 1);
		done += k;
		if (s->packet || k < want)
			break;
	}
	return done;
}

/* A fresh tail slot with a page, or NULL when the ring is full or memory
 * is short. */
static struct pipe_slot *slot_new(struct pipe *p)
{
	if (pipe_full(p))
		return NULL;
	struct pipe_slot *s = &p->slots[(p->head + p->nused) & (p->nslots - 1)];
	if (p->spare) {
		s->page = p->spare;
		p->spare = NULL;
	} else if (!(s->page = malloc(PIPE_PAGE))) {
		return NULL;
	}
	s->off = s->len = 0;
	s->packet = false;
	p->nused++;
	return s;
}

static struct pipe_slot *slot_tail(struct pipe *p)
{
	if (!p->nused)
		return NULL;
	return &p->slots[(p->head + p->nused - 1) & (p->nslots - 1)];
}

/* Room left in the tail slot for an ordinary write to merge into. */
static size_t tail_room(struct pipe *p)
{
	struct pipe_slot *s = slot_tail(p);
	if (!s || s->packet)
		return 0;
	return PIPE_PAGE - s->off - s->len;
}

static void slot_fill(struct pipe *p, struct pipe_slot *s, struct iov_cur *c, size_t n)
{
	size_t k = iov_cur_move(c, s->page + s->off + s->len, n, 0);
	s->len += k;
	p->nbytes += k;
}

size_t pipe_put_bytes(struct pipe *p, struct iov_cur *c, size_t n, bool atomic, bool packet)
{
	size_t done = 0;
	if (atomic) {
		/* All of it in the tail slot, or all of it in a new one. */
		struct pipe_slot *s;
		if (!packet && tail_room(p) >= n)
			s = slot_tail(p);
		else if (!(s = slot_new(p)))
			return 0;
		s->packet = packet;
		slot_fill(p, s, c, n);
		return n;
	}
	if (!packet) {
		size_t k = tail_room(p);
		if (k) {
			k = k < n ? k : n;
			slot_fill(p, slot_tail(p), c, k);
			done += k;
		}
	}
	while (done < n) {
		struct pipe_slot *s = slot_new(p);
		if (!s)
			break;
		size_t k = n - done < PIPE_PAGE ? n - done : PIPE_PAGE;
		s->packet = packet;
		slot_fill(p, s, c, k);
		done += k;
	}
	return done;
}

int pipe_resize(struct pipe *p, unsigned nslots)
{
	if (nslots < p->nused)
		return -EBUSY;
	if (nslots == p->nslots)
		return 0;
	struct pipe_slot *ns = calloc(nslots, sizeof *ns);
	if (!ns)
		return -ENOMEM;
	for (unsigned i = 0; i < p->nused; i++)
		ns[i] = p->slots[(p->head + i) & (p->nslots - 1)];
	free(p->slots);
	p->slots = ns;
	p->nslots = nslots;
	p->head = 0;
	return 0;
}
