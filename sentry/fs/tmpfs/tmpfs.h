/* tmpfs: a filesystem held in sentry memory (file data in memory-file
 * frames), mounted over a directory of the gofer tree; /dev/shm today, the
 * writable overlay of the root later. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct dentry;

#define TMPFS_MAGIC 0x01021994

/* Mounts a new, empty tmpfs over the directory path of the gofer tree (it
 * must exist there), its root with permission bits mode (01777 for
 * /dev/shm), owned by root, limited to half of RAM as Linux's default.
 * Call after vfs_init().  0 or -errno. */
int tmpfs_mount(const char *path, mode_t mode);
/* The same limited to max_bytes of file data (rounded up to pages; 0: the
 * default, half of RAM), as mount -o size=: writes past it fail with
 * ENOSPC and statfs reports it.  0 or -errno. */
int tmpfs_mount_opts(const char *path, mode_t mode, uint64_t max_bytes);

/* ---- An unmounted instance: the upper layer of the root overlay
 * (sentry/fs/overlay), driven through its dentry ops. ---- */

/* A new, empty tmpfs (half of RAM at most) whose root has permission bits
 * mode; every node reports st_dev dev.  Its root dentry (one reference), or
 * NULL when out of memory. */
struct dentry *tmpfs_new_unmounted(mode_t mode, dev_t dev);
/* Makes d's node report the identity (st_dev, st_ino) of the file it was
 * copied from, so a copy-up keeps the file's identity. */
void tmpfs_set_identity(struct dentry *d, dev_t dev, ino_t ino);
/* The overlay's opaque mark on directory d: its lower twin is hidden. */
bool tmpfs_is_opaque(struct dentry *d);
void tmpfs_set_opaque(struct dentry *d);
/* Calls fn(arg, name, st) for each entry of directory d, in readdir order,
 * under the filesystem's lock (fn must not call into this tmpfs); stops at
 * fn's first non-zero return, which it returns.  0 when all were seen. */
int tmpfs_for_each(struct dentry *d, int (*fn)(void *arg, const char *name, const struct stat *st),
		   void *arg);

/* ---- memfd and seals (memfd.c) ---- */

struct file;
/* memfd_create: a new unlinked file of an internal tmpfs, open O_RDWR in
 * *out, named "memfd:NAME (deleted)" in /proc, with seals (F_SEAL_SEAL
 * unless sealing is allowed) and permission bits mode, owned by uid/gid.
 * 0 or -ENOMEM/-ENOSPC. */
int tmpfs_memfd_create(const char *name, unsigned seals, mode_t mode, uid_t uid, gid_t gid,
		       struct file **out);
/* fcntl F_GET_SEALS / F_ADD_SEALS on f: the seals, 0, or -EINVAL (not a
 * tmpfs file), -EPERM (sealed with F_SEAL_SEAL, or f not writable),
 * -EBUSY (F_SEAL_WRITE while a writable shared mapping exists). */
long tmpfs_get_seals(struct file *f);
long tmpfs_add_seals(struct file *f, unsigned seals);
