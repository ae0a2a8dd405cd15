/* Opening FIFOs, devices and sockets found in the gofer tree, which the
 * gofer never opens on the host (special.c). */
#pragma once
#include <stdbool.h>
#include <sys/stat.h>

struct dentry;
struct file;

/* Whether a node of mode m opens through gofer_special_open. */
static inline bool gofer_is_special(mode_t m)
{
	return S_ISFIFO(m) || S_ISCHR(m) || S_ISBLK(m) || S_ISSOCK(m);
}
/* A FIFO: the node's sentry pipe (keyed by st_dev/st_ino), waiting for
 * the other end as pipe_open_fifo does.  A character device: devfs's
 * device of that number, -ENXIO for others; block devices and sockets:
 * -ENXIO.  0 with *out, or -errno. */
int gofer_special_open(struct dentry *d, int flags, struct file **out);
