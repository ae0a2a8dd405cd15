/* Bind mounts of gofer exports: a mount whose root is a gofer dentry of
 * another export (a directory, or a single file over a file), grafted with
 * vfs_mount's mount-point rules. */
#include "sentry/fs/gofer/bind.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "sentry/fs/gofer/client.h"
#include "sentry/vfs/dentry.h"

struct bind {
	uint32_t export_idx;
	char *path;
	bool ro;
	struct bind *next;
};
static struct bind *binds, **binds_tail = &binds;

int gofer_bind_add(const char *spec)
{
	char *end;
	unsigned long idx = strtoul(spec, &end, 10);
	if (end == spec || *end != ':' || end[1] != '/' || idx == 0 || idx > UINT32_MAX)
		return -EINVAL;
	struct bind *b = calloc(1, sizeof *b);
	if (!b || !(b->path = strdup(end + 1))) {
		free(b);
		return -ENOMEM;
	}
	size_t l = strlen(b->path);
	if (l > 3 && !strcmp(b->path + l - 3, ":ro")) {
		b->ro = true;
		b->path[l - 3] = '\0';
	} else if (l > 3 && !strcmp(b->path + l - 3, ":rw")) {
		b->path[l - 3] = '\0';
	}
	b->export_idx = (uint32_t)idx;
	*binds_tail = b;
	binds_tail = &b->next;
	return 0;
}

/* Stands in as the mount's root while vfs_mount finds the mount point. */
static const struct dentry_ops placeholder_ops;

static int bind_one(const struct bind *b)
{
	uint64_t node;
	struct stat st;
	bool served_ro;
	int r = gofer_attach_export(&vfs_gofer, b->export_idx, &node, &st, &served_ro);
	if (r)
		return r;
	/* A single-file export binds over a file (podman's /etc/hosts). */
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
		gofer_clunk(&vfs_gofer, node);
		return -ENOTDIR;
	}
	r = vfs_mount(b->path, "9p", "none", b->ro || served_ro ? "ro" : "rw", 0x01021997,
		      &placeholder_ops, &st, NULL);
	if (r) {
		gofer_clunk(&vfs_gofer, node);
		return r;
	}
	struct vfs_mount *m = vfs_mount_list();
	while (m->next)
		m = m->next;
	/* The gofer dentry takes the placeholder's place (start-up is
	 * single-threaded: nobody has seen it). */
	struct dentry *ph = m->root;
	struct dentry *root = dentry_gofer_root(ph->parent, ph->name, node, &st, m);
	if (!root) {
		gofer_clunk(&vfs_gofer, node);
		return -ENOMEM;
	}
	m->readonly = b->ro || served_ro;
	__atomic_store_n(&m->root, root, __ATOMIC_RELEASE);
	dentry_put(ph);
	return 0;
}

int gofer_bind_mount_all(void)
{
	for (struct bind *b = binds; b; b = b->next) {
		int r = bind_one(b);
		if (r) {
			log_warn("bind mount of export %u on %s: %s", b->export_idx, b->path,
				 strerror(-r));
			return r;
		}
	}
	return 0;
}
