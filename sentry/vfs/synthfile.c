/* Open files of synthetic filesystems: generated text (read-only, content
 * fixed at open) and directory listings snapshotted at open. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/vfs/dentry.h"
#include "sentry/vfs/dirent.h"

/* ---- text buffers ---- */

static bool sbuf_reserve(struct sbuf *b, size_t more)
{
	if (b->oom)
		return false;
	if (b->len + more + 1 <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *n = realloc(b->buf, cap);
	if (!n) {
		b->oom = true;
		return false;
	}
	b->buf = n;
	b->cap = cap;
	return true;
}

void sbuf_add(struct sbuf *b, const void *data, size_t len)
{
	if (!sbuf_reserve(b, len))
		return;
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256];
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof small, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof small) {
		sbuf_add(b, small, (size_t)n);
		return;
	}
	if (!sbuf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

int sbuf_to_file(struct sbuf *b, struct dentry *d, int flags, struct file **out)
{
	return sbuf_to_file_rw(b, d, flags, NULL, out);
}

int sbuf_to_file_rw(struct sbuf *b, struct dentry *d, int flags, synth_write_fn write_fn,
		    struct file **out)
{
	if (b->oom) {
		free(b->buf);
		return -ENOMEM;
	}
	struct file *f = synth_text_file_rw(d, flags, b->buf, b->len, write_fn);
	b->buf = NULL;
	if (!f)
		return -ENOMEM;
	*out = f;
	return 0;
}

/* ---- generated text files ---- */

struct text {
	char *buf;
	size_t len;
	synth_write_fn write_fn; /* NULL: read-only */
};

static ssize_t text_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct text *tx = f->priv;
	bool own_pos = off < 0;
	ssize_t done = 0;
	if (own_pos) {
		pthread_mutex_lock(&f->lock);
		off = f->pos;
	}
	for (int i = 0; i < iovcnt && (uint64_t)off < tx->len; i++) {
		size_t n = tx->len - (size_t)off;
		if (n > iov[i].iov_len)
			n = iov[i].iov_len;
		memcpy(iov[i].iov_base, tx->buf + off, n);
		off += (int64_t)n;
		done += (ssize_t)n;
	}
	if (own_pos) {
		f->pos = off;
		pthread_mutex_unlock(&f->lock);
	}
	return done;
}

/* The first SYNTH_WRITE_MAX bytes are gathered for the handler, which
 * sees the whole write's length too. */
static ssize_t text_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct text *tx = f->priv;
	char buf[SYNTH_WRITE_MAX];
	size_t total = 0, len = 0;
	if (!tx->write_fn)
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++) {
		size_t n = iov[i].iov_len;
		if (len < sizeof buf) {
			size_t c = n < sizeof buf - len ? n : sizeof buf - len;
			memcpy(buf + len, iov[i].iov_base, c);
			len += c;
		}
		total += n;
	}
	bool own_pos = off < 0;
	if (own_pos) {
		pthread_mutex_lock(&f->lock);
		off = f->pos;
	}
	long r = tx->write_fn(f, buf, len, total, off);
	if (own_pos) {
		if (r > 0)
			f->pos = off + r;
		pthread_mutex_unlock(&f->lock);
	}
	return r;
}

static int64_t text_lseek(struct file *f, int64_t off, int whence)
{
	struct text *tx = f->priv;
	int64_t base, np;
	pthread_mutex_lock(&f->lock);
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = f->pos;
		break;
	case SEEK_END:
		base = (int64_t)tx->len;
		break;
	default:
		pthread_mutex_unlock(&f->lock);
		return -EINVAL;
	}
	if (__builtin_add_overflow(base, off, &np) || np < 0) {
		pthread_mutex_unlock(&f->lock);
		return -EINVAL;
	}
	f->pos = np;
	pthread_mutex_unlock(&f->lock);
	return np;
}

static int synth_fstat(struct file *f, struct stat *st)
{
	*st = f->dentry->st;
	return 0;
}

static void text_release(struct file *f)
{
	struct text *tx = f->priv;
	free(tx->buf);
	free(tx);
}

static const struct file_ops text_ops = {
    .read = text_read,
    .write = text_write,
    .lseek = text_lseek,
    .fstat = synth_fstat,
    .release = text_release,
};

struct file *synth_text_file_rw(struct dentry *d, int flags, char *buf, size_t len,
				synth_write_fn write_fn)
{
	struct text *tx = malloc(sizeof *tx);
	if (!tx) {
		free(buf);
		return NULL;
	}
	tx->buf = buf;
	tx->len = len;
	tx->write_fn = write_fn;
	struct file *f = file_new(&text_ops, (flags & (O_ACCMODE | O_NONBLOCK)) | O_LARGEFILE, d, tx);
	if (!f) {
		free(buf);
		free(tx);
	}
	return f;
}

struct file *synth_text_file(struct dentry *d, int flags, char *buf, size_t len)
{
	return synth_text_file_rw(d, flags, buf, len, NULL);
}

/* ---- directory listings ---- */

struct synth_dirent {
	uint64_t ino;
	unsigned char type;
	char *name;
};

struct synth_dirbuf {
	struct synth_dirent *ents;
	size_t n, cap;
};

int synth_dir_add(struct synth_dirbuf *db, const char *name, uint64_t ino, unsigned char type)
{
	if (db->n == db->cap) {
		size_t cap = db->cap ? db->cap * 2 : 32;
		struct synth_dirent *e = realloc(db->ents, cap * sizeof *e);
		if (!e)
			return -ENOMEM;
		db->ents = e;
		db->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	db->ents[db->n++] = (struct synth_dirent){.ino = ino, .type = type, .name = copy};
	return 0;
}

static void dirbuf_free(struct synth_dirbuf *db)
{
	for (size_t i = 0; i < db->n; i++)
		free(db->ents[i].name);
	free(db->ents);
	free(db);
}

/* f->pos is the index of the next entry (d_off of an entry is the index
 * after it), so seekdir to any d_off works. */
static ssize_t dir_getdents(struct file *f, void *buf, size_t size)
{
	struct synth_dirbuf *db = f->priv;
	size_t out = 0;
	pthread_mutex_lock(&f->lock);
	while (f->pos >= 0 && (uint64_t)f->pos < db->n) {
		struct synth_dirent *e = &db->ents[f->pos];
		if (!dirent64_put(buf, size, &out, e->ino, f->pos + 1, e->type, e->name)) {
			if (!out) {
				/* too small for even one record */
				pthread_mutex_unlock(&f->lock);
				return -EINVAL;
			}
			break;
		}
		f->pos++;
	}
	pthread_mutex_unlock(&f->lock);
	return (ssize_t)out;
}

static ssize_t dir_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	return -EISDIR;
}

static int64_t dir_lseek(struct file *f, int64_t off, int whence)
{
	int64_t r = -EINVAL;
	pthread_mutex_lock(&f->lock);
	if (whence == SEEK_SET && off >= 0)
		r = f->pos = off;
	else if (whence == SEEK_CUR && f->pos + off >= 0)
		r = f->pos += off;
	pthread_mutex_unlock(&f->lock);
	return r;
}

static void dir_release(struct file *f) { dirbuf_free(f->priv); }

static const struct file_ops dir_ops = {
    .read = dir_read,
    .lseek = dir_lseek,
    .fstat = synth_fstat,
    .getdents = dir_getdents,
    .release = dir_release,
};

int synth_dir_open(struct dentry *d, int flags, struct file **out)
{
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_TRUNC | O_CREAT)))
		return -EISDIR;
	struct synth_dirbuf *db = calloc(1, sizeof *db);
	if (!db)
		return -ENOMEM;
	uint64_t parent_ino = d->parent ? d->parent->st.st_ino : d->st.st_ino;
	int r = synth_dir_add(db, ".", d->st.st_ino, DT_DIR);
	if (!r)
		r = synth_dir_add(db, "..", parent_ino, DT_DIR);
	if (!r && d->ops->readdir)
		r = d->ops->readdir(d, db);
	if (r) {
		dirbuf_free(db);
		return r;
	}
	struct file *f =
	    file_new(&dir_ops, O_RDONLY | O_LARGEFILE | (flags & (O_DIRECTORY | O_NONBLOCK)), d, db);
	if (!f) {
		dirbuf_free(db);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}
