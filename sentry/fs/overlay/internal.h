/* Overlay internals shared by the files of sentry/fs/overlay.
 *
 * An overlay dentry is a synthetic dentry (ops ovl_dentry_ops) whose fsdata
 * is a struct ovl_entry naming its two layers: the upper one, a dentry of
 * the unmounted tmpfs, and the lower one, a gofer dentry.  Either may be
 * missing.  Like every synthetic dentry it is made afresh by each lookup,
 * so its layers are found again on each walk; long-lived ones (cwd, open
 * directories) notice a later copy-up through ovl_gen.
 *
 * Upper-layer conventions, as Linux's overlayfs: a whiteout (character
 * device 0:0) hides a lower name; an opaque directory (tmpfs_set_opaque)
 * hides the lower directory of its name.  Every directory made in the
 * upper layer is opaque, so a directory is merged with the lower layer
 * only when it was copied up from it.
 *
 * Locking: ovl_lock (recursive) serialises every overlay op and guards the
 * ovl_entry fields and ovl_gen.  It is taken with no VFS lock held and
 * comes before the tmpfs lock and dcache_lock (the layers' ops run inside
 * it).  It is dropped before a layer's open, which may sleep (FIFOs).
 * ops->release runs without it: nobody else holds the dentry then.
 */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <sys/stat.h>

#include "sentry/vfs/dentry.h"

struct ovl_entry {
	struct dentry *upper; /* tmpfs dentry, or NULL */
	struct dentry *lower; /* gofer dentry, or NULL (also when hidden by an opaque upper) */
	unsigned gen;	      /* ovl_gen when upper was last found missing */
};

static inline struct ovl_entry *OVL_E(const struct dentry *d) { return d->fsdata; }

extern pthread_mutex_t ovl_lock;
/* Bumped whenever a node gains an upper twin (copy-up, mkdir, rename). */
extern unsigned ovl_gen;
extern const struct dentry_ops ovl_dentry_ops;

/* st_dev of nodes born in the upper layer: the root filesystem's mount id
 * is 1, and sentry mounts use 0:(0x40 + id). */
#define OVL_DEV 0x41
/* statfs f_type, as Linux's overlayfs. */
#define OVL_MAGIC 0x794c7630

/* ---- lookup.c (ovl_lock held) ---- */
/* The upper twin of d (no new reference), looked for again if another
 * dentry copied it up since; NULL if none. */
struct dentry *ovl_upper(struct dentry *d);
/* Whether upper dentry u is a whiteout. */
bool ovl_is_whiteout(const struct dentry *u);
/* The attributes of a node with layers u and l (either may be NULL). */
void ovl_attrs(struct dentry *u, struct dentry *l, struct stat *st);
/* A new overlay dentry named name under dir for layers u and l (both
 * consumed).  NULL when out of memory. */
struct dentry *ovl_dentry_new(struct dentry *dir, const char *name, struct dentry *u,
			      struct dentry *l);
/* The layers of name under dir as a lookup sees them: 0 with *u and *l set
 * (new references, either NULL, not both), or -ENOENT/-errno.  *wh tells
 * whether the upper layer holds a whiteout of that name (may be NULL). */
int ovl_layers(struct dentry *dir, const char *name, struct dentry **u, struct dentry **l,
	       bool *wh);
/* Whether the lower directory of dir has name, visible or not: removing
 * name then leaves a whiteout. */
bool ovl_lower_has(struct dentry *dir, const char *name);
/* The upper layer's root (for statfs). */
extern struct dentry *ovl_upper_root;
int ovl_lookup(struct dentry *dir, const char *name, struct dentry **out);
int ovl_getattr(struct dentry *d, struct stat *st);
long ovl_readlink(struct dentry *d, char *buf, size_t size);
void ovl_release(struct dentry *d);

/* ---- copyup.c (ovl_lock held) ---- */
/* Gives d (and its parents first) an upper twin with the lower node's
 * attributes and identity, and with its data unless data is false. */
int ovl_copy_up(struct dentry *d, bool data);
/* Credentials of root, for nodes the overlay itself makes. */
extern const struct cred ovl_root_cred;

/* ---- readdir.c ---- */
/* Calls fn(arg, name, ino, type) for each visible name of the directory
 * with layers u and l (l NULL when hidden): upper names first, whiteouts
 * and shadowed lower names skipped.  Stops at fn's first non-zero return,
 * which it returns. */
int ovl_iterate(struct dentry *u, struct dentry *l,
		int (*fn)(void *arg, const char *name, uint64_t ino, unsigned char type),
		void *arg);
int ovl_readdir(struct dentry *dir, struct synth_dirbuf *db);
/* Removes the whiteouts of upper directory u (before it is removed or
 * replaced): 0 or -errno. */
int ovl_clear_whiteouts(struct dentry *u);
