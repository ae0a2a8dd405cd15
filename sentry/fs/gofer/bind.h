/* Bind mounts of gofer exports: the sentry's --bind=N:/path[:ro] flags
 * graft export N of the gofer (its ATTACH index; 0 is the root tree) over
 * the directory /path of the tree below, read-write or read-only; a
 * single-file export goes over the file /path. */
#pragma once

/* Records one --bind value ("N:/path" or "N:/path:ro").  0 or -EINVAL. */
int gofer_bind_add(const char *spec);
/* Mounts every recorded bind, in order (after the root's own mounts,
 * before the overlay).  0 or -errno (the failing one is logged). */
int gofer_bind_mount_all(void);
