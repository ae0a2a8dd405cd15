/* devfs, devpts and pseudo-terminals: what the files of sentry/fs/dev share.
 *
 * Locking: pty_table_lock (the index table) before pty->lock; pty->lock
 * before its waitq's lock.  No pty lock is held while calling into tty.h
 * (tasklist_lock comes first) or while sleeping.
 */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>

#include "sentry/kernel/tty.h"
#include "sentry/kernel/wait.h"
#include "sentry/vfs/dentry.h"

#define DEVPTS_MAGIC 0x1cd1
#define DEVFS_MAGIC 0x01021994 /* devtmpfs reports tmpfs's */
#define PTY_SLAVE_MAJOR 136
#define PTY_MAX 4096 /* indices 0..PTY_MAX-1 (Linux's default pty max) */

/* ---- devices.c: the character devices of /dev ---- */

struct devnode {
	const char *name;
	unsigned major, minor;
	mode_t mode; /* type and permission bits */
	const char *link; /* symlinks: the target */
	int (*open)(struct dentry *d, int flags, struct file **out);
};
/* The fixed entries of /dev (NULL-terminated by name). */
extern const struct devnode devfs_nodes[];
/* The device rdev of a devfs entry opens (by its devnode). */
const struct devnode *devfs_node_by_rdev(dev_t rdev);
/* The host terminal for /dev/tty and /dev/console, or -1 (devices.c). */
void devfs_host_tty_init(void);

/* ---- ldisc.c: the line discipline (Linux's n_tty) ---- */

/* The kernel's struct termios2 (struct termios is its first 36 bytes). */
struct ktermios {
	uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
	uint8_t c_line;
	uint8_t c_cc[19];
	uint32_t c_ispeed, c_ospeed;
};
#define KTERMIOS_SIZE 36
#define KTERMIOS2_SIZE 44

#define LD_INBUF 4096	 /* N_TTY_BUF_SIZE */
#define LD_OUTBUF 16384 /* the slave's output waiting for the master */

/* Flags of input bytes. */
#define LDF_EOL 1 /* ends a canonical line */
#define LDF_EOF 2 /* an EOF mark (VEOF): ends the line, never read */

struct ldisc {
	struct ktermios tio;
	/* Input for the slave's readers: in[0..inlen); [0..canon_head) holds
	 * complete lines (canonical mode). */
	uint8_t in[LD_INBUF], inflag[LD_INBUF];
	size_t inlen, canon_head;
	bool lnext; /* the next character is taken literally (VLNEXT) */
	unsigned column;
	/* Output for the master's readers (processed slave writes, echoes). */
	uint8_t out[LD_OUTBUF];
	size_t out_head, out_len;
};

void ld_init(struct ldisc *ld);
/* Input from the master: processes up to n bytes, returns how many it took
 * (fewer when the input buffer is full and a reader must drain it first).
 * Signals for the foreground group are or'ed into *sigs (SIGBIT). */
size_t ld_receive(struct ldisc *ld, const uint8_t *buf, size_t n, uint64_t *sigs);
/* Room for ld_receive to make progress (it would take a byte). */
bool ld_receive_room(const struct ldisc *ld);
/* Output from the slave, post-processed (OPOST): bytes of buf taken. */
size_t ld_output(struct ldisc *ld, const uint8_t *buf, size_t n);
/* Bytes a slave read can return now (canonical: a complete line exists;
 * an EOF-only line counts as 1). */
size_t ld_readable(const struct ldisc *ld);
/* Takes up to n input bytes for a slave read (at most one line in
 * canonical mode); returns the count (0 for an EOF line). */
size_t ld_read(struct ldisc *ld, uint8_t *dst, size_t n);
/* Takes up to n output bytes for a master read. */
size_t ld_out_take(struct ldisc *ld, uint8_t *dst, size_t n);
void ld_flush_in(struct ldisc *ld);
void ld_flush_out(struct ldisc *ld);
/* New termios (ICANON switches keep buffered input readable). */
void ld_set_termios(struct ldisc *ld, const struct ktermios *tio);

/* ---- pty.c: pseudo-terminal pairs ---- */

struct pty {
	int index;
	int refs; /* atomic: files, lookups, the table's while the master lives */
	pthread_mutex_t lock;
	struct waitq wq; /* both sides' readers and writers */
	bool locked;     /* TIOCSPTLCK: slave opens fail with EIO */
	int masters;     /* open master files */
	int slaves;      /* open slave files */
	bool slave_closed; /* the last slave closed (master reads EIO when empty) */
	bool hung_up;    /* the master closed: slaves read EOF, write EIO */
	bool pkt;        /* TIOCPKT */
	uint8_t pkt_status;
	struct ldisc ld;
	struct winsize_k {
		uint16_t row, col, xpixel, ypixel;
	} ws;
	uid_t uid;
	gid_t gid;
	mode_t mode;
	struct timespec atime, mtime, ctime;
	struct tty_ctl ctl;
};

/* /dev/ptmx and /dev/pts/ptmx: a new pair, its master opened. */
int pty_open_master(struct dentry *d, int flags, struct file **out);
/* /dev/pts/N: a slave of pair index (EIO while locked; ENOENT... gone). */
int pty_open_slave(struct dentry *d, int index, int flags, struct file **out);
/* Attributes of /dev/pts/N into st (st_dev, st_ino, st_rdev, owner, mode,
 * times): 0, or -ENOENT when no live master has that index. */
int pty_stat(int index, struct stat *st);
/* The indices of live pairs, ascending, into idx (at most max): count. */
int pty_list(int *idx, int max);
/* chmod/chown/utimes of /dev/pts/N (grantpt may chown). */
int pty_setattr(int index, const struct synth_setattr *sa);
/* A slave file of the held terminal c (/dev/tty); drops c's hold. */
int pty_open_ctty(struct tty_ctl *c, struct dentry *d, int flags, struct file **out);

/* ---- devpts.c ---- */
extern dev_t devpts_dev;
/* The devpts root (a reference kept for good), for TIOCGPTPEER paths. */
extern struct dentry *devpts_root;
int devpts_mount(void);
/* The dentry /dev/pts/N (a new reference), or NULL. */
struct dentry *devpts_node(int index);
