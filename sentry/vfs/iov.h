/* Sentry iovecs: what file_ops.read/write receive (vfs.h) is an array of
 * buffers in sentry memory; these walk it.  Header-only so that modules
 * unit-tested alone (pipes) need no extra objects. */
#pragma once
#include <stddef.h>
#include <string.h>
#include <sys/uio.h>

static inline size_t iov_total(const struct iovec *iov, int cnt)
{
	size_t n = 0;
	for (int i = 0; i < cnt; i++)
		n += iov[i].iov_len;
	return n;
}

/* A position in an iovec array, for copies made in several steps. */
struct iov_cur {
	const struct iovec *iov;
	int cnt, i;
	size_t off;
};

/* Moves up to n bytes between buf and the iovecs at c (into the iovecs
 * when to_iov), advancing c; returns the bytes moved. */
static inline size_t iov_cur_move(struct iov_cur *c, void *buf, size_t n, int to_iov)
{
	size_t done = 0;
	while (done < n && c->i < c->cnt) {
		size_t room = c->iov[c->i].iov_len - c->off;
		size_t k = n - done < room ? n - done : room;
		char *p = (char *)c->iov[c->i].iov_base + c->off;
		if (to_iov)
			memcpy(p, (const char *)buf + done, k);
		else
			memcpy((char *)buf + done, p, k);
		done += k;
		c->off += k;
		if (c->off == c->iov[c->i].iov_len) {
			c->i++;
			c->off = 0;
		}
	}
	return done;
}

/* Copies len bytes out to / in from the start of iov; returns bytes moved. */
static inline size_t iov_put(const struct iovec *iov, int cnt, const void *buf, size_t len)
{
	struct iov_cur c = {iov, cnt, 0, 0};
	return iov_cur_move(&c, (void *)buf, len, 1);
}

static inline size_t iov_get(const struct iovec *iov, int cnt, void *buf, size_t len)
{
	struct iov_cur c = {iov, cnt, 0, 0};
	return iov_cur_move(&c, buf, len, 0);
}
