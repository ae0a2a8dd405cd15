/* config.json's mounts and maskedPaths in the sandbox's mount table: the
 * tmpfs mounts and masking empty directories `cvisor create` asks for with
 * --oci-tmpfs, --oci-mask and --oci-ro (binds come as --bind,
 * fs/gofer/bind.h). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "sentry/control/control.h"
#include "sentry/fs/proc/procfs.h"
#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/synth.h"
#include "sentry/vfs/vfs.h"

struct oci_mnt {
	enum { MNT_TMPFS, MNT_EMPTY_RO, MNT_MASK, MNT_RO } kind;
	mode_t mode;
	uint64_t size; /* MNT_TMPFS: bytes, 0 for the default */
	char *path;
	struct oci_mnt *next;
};
static struct oci_mnt *mnts, **mnts_tail = &mnts;

static struct oci_mnt *add(int kind, mode_t mode, const char *path)
{
	if (path[0] != '/')
		return NULL;
	struct oci_mnt *m = calloc(1, sizeof *m);
	if (!m || !(m->path = strdup(path))) {
		free(m);
		return NULL;
	}
	m->kind = kind;
	m->mode = mode;
	*mnts_tail = m;
	mnts_tail = &m->next;
	return m;
}

int ctl_mount_add_tmpfs(const char *spec)
{
	/* MODE[,BYTES]:/path[:ro] */
	char *end;
	unsigned long long size = 0;
	unsigned long mode = strtoul(spec, &end, 8);
	if (end == spec || mode > 07777)
		return -EINVAL;
	if (*end == ',') {
		const char *n = end + 1;
		size = strtoull(n, &end, 10);
		if (end == n)
			return -EINVAL;
	}
	if (*end != ':')
		return -EINVAL;
	char *path = strdup(end + 1);
	if (!path)
		return -ENOMEM;
	size_t l = strlen(path);
	bool ro = l > 3 && !strcmp(path + l - 3, ":ro");
	if (ro)
		path[l - 3] = '\0';
	struct oci_mnt *m = add(ro ? MNT_EMPTY_RO : MNT_TMPFS, (mode_t)mode, path);
	free(path);
	if (!m)
		return -EINVAL;
	m->size = size;
	return 0;
}

int ctl_mount_add_mask(const char *path)
{
	return add(MNT_MASK, 0755, path) ? 0 : -EINVAL;
}

int ctl_mount_add_ro(const char *path)
{
	return add(MNT_RO, 0, path) ? 0 : -EINVAL;
}

/* An empty directory nothing can be created in: a masked directory, or a
 * read-only tmpfs (which could never hold anything either). */
static int empty_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	(void)dir, (void)name, (void)out;
	return -ENOENT;
}

static int empty_readdir(struct dentry *dir, struct synth_dirbuf *db)
{
	(void)dir, (void)db;
	return 0;
}

static const struct dentry_ops empty_ops = {
    .lookup = empty_lookup,
    .readdir = empty_readdir,
};

static int mount_empty(const char *path, mode_t mode)
{
	struct stat st = {.st_mode = S_IFDIR | (mode & 07777), .st_ino = 1, .st_nlink = 2};
	clock_gettime(CLOCK_REALTIME, &st.st_mtim);
	st.st_atim = st.st_ctim = st.st_mtim;
	int r = vfs_mount(path, "tmpfs", "tmpfs", "ro,nosuid,nodev,noexec", TMPFS_MAGIC,
			  &empty_ops, &st, NULL);
	if (r)
		return r;
	struct vfs_mount *m = vfs_mount_list();
	while (m->next)
		m = m->next;
	m->readonly = true;
	return 0;
}

int ctl_mount_all(void)
{
	for (struct oci_mnt *m = mnts; m; m = m->next) {
		int r;
		switch (m->kind) {
		case MNT_TMPFS:
			r = tmpfs_mount_opts(m->path, m->mode, m->size);
			break;
		case MNT_EMPTY_RO:
			r = mount_empty(m->path, m->mode);
			break;
		case MNT_RO:
			/* Only procfs has writable files among the sentry's
			 * own filesystems (the rootfs's are gofer exports). */
			r = 0;
			if (!strncmp(m->path, "/proc/", 6))
				procfs_set_readonly(m->path);
			break;
		default:
			/* A procfs file or directory: procfs hides it itself
			 * (its entries cannot hold mounts). */
			if (!strncmp(m->path, "/proc/", 6) && !procfs_mask(m->path)) {
				r = 0;
				break;
			}
			/* What our procfs and sysfs do not have needs no mask
			 * (most of podman's list).  Their directories hold no
			 * mounts (EBUSY) and a file cannot be covered: those
			 * stay visible (docs/oci.md). */
			r = mount_empty(m->path, m->mode);
			if (r)
				DEBUG("maskedPaths: %s not masked: %s", m->path, strerror(-r));
			r = 0;
			break;
		}
		if (r) {
			log_warn("mount of tmpfs on %s: %s", m->path, strerror(-r));
			return r;
		}
	}
	return 0;
}
