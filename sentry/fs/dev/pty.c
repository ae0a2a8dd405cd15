/* Pseudo-terminal pairs: the master (/dev/ptmx) and slave (/dev/pts/N)
 * files, blocking reads and writes through the line discipline, poll,
 * termios and the pty ioctls. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/sysmacros.h>
#include <termios.h>

#include "sentry/fs/dev/internal.h"
#include "sentry/kernel/fdtable.h"
#include "sentry/kernel/signal.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/iov.h"
#include "sentry/vfs/poll.h"

#define EV_IN (POLLIN | POLLRDNORM)
#define EV_OUT (POLLOUT | POLLWRNORM)
#define TTY_GID 5 /* devpts mounted gid=5,mode=620, as Debian and Docker do */
/* The termios2 ioctls, sized by the kernel's struct (glibc's headers do
 * not define struct termios2). */
#define K_TCGETS2 _IOR('T', 0x2A, struct ktermios)
#define K_TCSETS2 _IOW('T', 0x2B, struct ktermios)
#define K_TCSETSW2 _IOW('T', 0x2C, struct ktermios)
#define K_TCSETSF2 _IOW('T', 0x2D, struct ktermios)

static pthread_mutex_t pty_table_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pty *table[PTY_MAX];

static const struct file_ops master_ops, slave_ops;

static struct pty *pty_of(struct tty_ctl *c)
{
	return (struct pty *)((char *)c - offsetof(struct pty, ctl));
}

static bool pty_hold(struct tty_ctl *c)
{
	struct pty *p = pty_of(c);
	int r = atomic_load(&p->refs);
	while (r > 0)
		if (atomic_compare_exchange_weak(&p->refs, &r, r + 1))
			return true;
	return false;
}

static void pty_put(struct pty *p)
{
	if (atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	tty_unregister(&p->ctl);
	pthread_mutex_lock(&pty_table_lock);
	table[p->index] = NULL;
	pthread_mutex_unlock(&pty_table_lock);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

/* The live pair index (a new reference), or NULL. */
static struct pty *pty_find(int index)
{
	if (index < 0 || index >= PTY_MAX)
		return NULL;
	pthread_mutex_lock(&pty_table_lock);
	struct pty *p = table[index];
	if (p && !pty_hold(&p->ctl))
		p = NULL;
	pthread_mutex_unlock(&pty_table_lock);
	if (p) {
		pthread_mutex_lock(&p->lock);
		bool live = p->masters > 0;
		pthread_mutex_unlock(&p->lock);
		if (!live) {
			pty_put(p);
			p = NULL;
		}
	}
	return p;
}

/* Sleeps until something is announced on p's queue for events, or the
 * deadline (CLOCK_MONOTONIC, NULL: none).  Called and returns with p->lock
 * held: 0 (woken or timed out: re-check) or -EINTR. */
static int pty_wait(struct pty *p, uint32_t events, const struct timespec *deadline)
{
	struct task *t = task_current();
	struct waitq_entry e;
	waitq_add(&p->wq, &e, &t->waiter, events);
	pthread_mutex_unlock(&p->lock);
	int r = waiter_sleep(&t->waiter, CLOCK_MONOTONIC, deadline);
	waitq_del(&p->wq, &e);
	pthread_mutex_lock(&p->lock);
	return r == -EINTR ? -EINTR : 0;
}

static void send_sigs(struct pty *p, uint64_t sigs)
{
	for (int s = 1; s < 64; s++)
		if (sigs & SIGBIT(s))
			tty_signal_fg(&p->ctl, s);
}

/* ---- master ---- */

static ssize_t master_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct pty *p = f->priv;
	size_t want = iov_total(iov, iovcnt);
	ssize_t ret = 0;
	if (!want)
		return 0;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (p->ld.out_len || (p->pkt && p->pkt_status)) {
			size_t done = 0;
			int i = 0;
			size_t io = 0;
			if (p->pkt) {
				/* Packet mode: a status byte, or 0 before data. */
				uint8_t st = p->pkt_status;
				((uint8_t *)iov[0].iov_base)[0] = st;
				p->pkt_status = 0;
				done = io = 1;
				if (st) {
					ret = 1;
					break;
				}
			}
			for (; i < iovcnt; i++, io = 0) {
				size_t k = ld_out_take(&p->ld, (uint8_t *)iov[i].iov_base + io,
						       iov[i].iov_len - io);
				done += k;
				if (k < iov[i].iov_len - io)
					break;
			}
			ret = (ssize_t)done;
			waitq_wake(&p->wq, EV_OUT);
			break;
		}
		if (p->slave_closed) {
			ret = -EIO;
			break;
		}
		if (f->flags & O_NONBLOCK) {
			ret = -EAGAIN;
			break;
		}
		if (pty_wait(p, EV_IN | POLLHUP, NULL)) {
			ret = -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}

/* Writes iov through the line discipline, sleeping for room: a master's
 * bytes are the slave's input (the signals they raise added to *sigs), a
 * slave's its output, which fails with EIO once hung up. */
static ssize_t pty_write(struct file *f, const struct iovec *iov, int iovcnt, bool master,
			 uint64_t *sigs)
{
	struct pty *p = f->priv;
	size_t total = iov_total(iov, iovcnt), done = 0;
	ssize_t ret = 0;
	int i = 0;
	size_t io = 0;
	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (!master && p->hung_up) {
			ret = done ? (ssize_t)done : -EIO;
			break;
		}
		while (i < iovcnt) {
			size_t left = iov[i].iov_len - io;
			const uint8_t *src = (const uint8_t *)iov[i].iov_base + io;
			size_t k = master ? ld_receive(&p->ld, src, left, sigs)
					  : ld_output(&p->ld, src, left);
			done += k;
			io += k;
			if (k < left)
				break;
			i++;
			io = 0;
		}
		waitq_wake(&p->wq, EV_IN);
		if (done == total) {
			ret = (ssize_t)done;
			break;
		}
		if (f->flags & O_NONBLOCK) {
			ret = done ? (ssize_t)done : -EAGAIN;
			break;
		}
		if (pty_wait(p, master ? EV_OUT : EV_OUT | POLLHUP, NULL)) {
			ret = done ? (ssize_t)done : -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}

static ssize_t master_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	uint64_t sigs = 0;
	if (!iov_total(iov, iovcnt))
		return 0;
	ssize_t ret = pty_write(f, iov, iovcnt, true, &sigs);
	send_sigs(f->priv, sigs);
	return ret;
}

static uint32_t master_poll(struct file *f, struct poll_table *pt, uint32_t events)
{
	struct pty *p = f->priv;
	uint32_t mask = 0;
	pthread_mutex_lock(&p->lock);
	poll_wait(pt, &p->wq, events);
	if (p->ld.out_len)
		mask |= EV_IN;
	if (p->pkt && p->pkt_status)
		mask |= EV_IN | POLLPRI;
	if (p->slave_closed)
		mask |= POLLHUP;
	if (ld_receive_room(&p->ld))
		mask |= EV_OUT;
	pthread_mutex_unlock(&p->lock);
	return mask;
}

static void master_release(struct file *f)
{
	struct pty *p = f->priv;
	pthread_mutex_lock(&p->lock);
	bool last = --p->masters == 0;
	if (last) {
		/* The slave hangs up: its readers see EOF, buffered input is
		 * gone, writers get EIO. */
		p->hung_up = true;
		ld_flush_in(&p->ld);
		waitq_wake(&p->wq, ~0u);
	}
	pthread_mutex_unlock(&p->lock);
	if (last)
		tty_hangup(&p->ctl);
	pty_put(p);
}

/* ---- slave ---- */

/* Whether a non-canonical read of want bytes may return now (VMIN). */
static bool raw_ready(struct pty *p, size_t want)
{
	size_t vmin = p->ld.tio.c_cc[VMIN];
	size_t avail = p->ld.inlen;
	if (vmin > want)
		vmin = want;
	return avail >= vmin;
}

static ssize_t slave_read(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct pty *p = f->priv;
	struct task *t = task_current();
	size_t want = iov_total(iov, iovcnt);
	ssize_t ret = 0;
	if (t) {
		int r = tty_check_job(&p->ctl, t, SIGTTIN);
		if (r)
			return r;
	}
	if (!want)
		return 0;
	struct timespec deadline, *dl = NULL;
	size_t seen = (size_t)-1; /* input count when the VTIME timer started */
	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (p->hung_up) {
			ret = 0;
			break;
		}
		struct ldisc *ld = &p->ld;
		bool canon = ld->tio.c_lflag & ICANON;
		unsigned vmin = ld->tio.c_cc[VMIN], vtime = ld->tio.c_cc[VTIME];
		bool timed_out = dl && seen == ld->inlen && ({
			struct timespec now;
			clock_gettime(CLOCK_MONOTONIC, &now);
			now.tv_sec > dl->tv_sec ||
			    (now.tv_sec == dl->tv_sec && now.tv_nsec >= dl->tv_nsec);
		});
		bool ready = canon ? ld_readable(ld) > 0
				   : raw_ready(p, want) || (!vmin && !vtime) || timed_out ||
					 ((f->flags & O_NONBLOCK) && ld->inlen);
		if (ready) {
			size_t done = 0;
			for (int i = 0; i < iovcnt; i++) {
				size_t k = ld_read(ld, iov[i].iov_base, iov[i].iov_len);
				done += k;
				/* One line per read; raw reads take what there is. */
				if (canon || k < iov[i].iov_len)
					break;
			}
			ret = (ssize_t)done;
			waitq_wake(&p->wq, EV_OUT);
			break;
		}
		if (f->flags & O_NONBLOCK) {
			ret = -EAGAIN;
			break;
		}
		/* VTIME: a total timer when VMIN is 0, else an inter-byte
		 * timer started by each arrival. */
		if (!canon && vtime && (!vmin || ld->inlen) && seen != ld->inlen) {
			struct timespec rel = {vtime / 10, (vtime % 10) * 100000000L};
			deadline_after(CLOCK_MONOTONIC, &rel, &deadline);
			dl = &deadline;
			seen = ld->inlen;
		}
		if (pty_wait(p, EV_IN | POLLHUP, dl)) {
			ret = -ERESTARTSYS;
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return ret;
}

static ssize_t slave_write(struct file *f, const struct iovec *iov, int iovcnt, int64_t off)
{
	struct pty *p = f->priv;
	struct task *t = task_current();

	pthread_mutex_lock(&p->lock);
	bool tostop = p->ld.tio.c_lflag & TOSTOP;
	pthread_mutex_unlock(&p->lock);
	if (tostop && t) {
		int r = tty_check_job(&p->ctl, t, SIGTTOU);
		if (r)
			return r;
	}
	return pty_write(f, iov, iovcnt, false, NULL);
}

static uint32_t slave_poll(struct file *f, struct poll_table *pt, uint32_t events)
{
	struct pty *p = f->priv;
	uint32_t mask = 0;
	pthread_mutex_lock(&p->lock);
	poll_wait(pt, &p->wq, events);
	if (p->hung_up) {
		mask = EV_IN | EV_OUT | POLLERR | POLLHUP;
	} else {
		struct ldisc *ld = &p->ld;
		if (ld->tio.c_lflag & ICANON ? ld_readable(ld) > 0
					     : ld->inlen >= (ld->tio.c_cc[VTIME] || !ld->tio.c_cc[VMIN]
								 ? 1
								 : ld->tio.c_cc[VMIN]))
			mask |= EV_IN;
		if (LD_OUTBUF - ld->out_len >= 256)
			mask |= EV_OUT;
	}
	pthread_mutex_unlock(&p->lock);
	return mask;
}

static void slave_release(struct file *f)
{
	struct pty *p = f->priv;
	pthread_mutex_lock(&p->lock);
	if (--p->slaves == 0) {
		p->slave_closed = true;
		waitq_wake(&p->wq, ~0u);
	}
	pthread_mutex_unlock(&p->lock);
	pty_put(p);
}

/* ---- both ---- */

static void fill_stat(struct pty *p, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_dev = devpts_dev;
	st->st_ino = (ino_t)p->index + 3;
	st->st_mode = S_IFCHR | p->mode;
	st->st_nlink = 1;
	st->st_uid = p->uid;
	st->st_gid = p->gid;
	st->st_rdev = makedev(PTY_SLAVE_MAJOR + p->index / 256, p->index % 256);
	st->st_blksize = 1024;
	st->st_atim = p->atime;
	st->st_mtim = p->mtime;
	st->st_ctim = p->ctime;
}

static int pty_fstat(struct file *f, struct stat *st)
{
	struct pty *p = f->priv;
	/* A master shows the ptmx it was opened through, a slave opened as
	 * /dev/tty that node; a slave opened by name shows its devpts node. */
	if (f->dentry && (f->ops == &master_ops || f->dentry->st.st_dev != devpts_dev)) {
		dentry_getattr(f->dentry, st);
		return 0;
	}
	pthread_mutex_lock(&p->lock);
	fill_stat(p, st);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static long copy_out_int(struct task *t, uint64_t arg, int v)
{
	return mm_copy_out(t->mm, arg, &v, sizeof v) ? -EFAULT : 0;
}

/* A slave file for p (already counted in p->slaves), with a reference. */
static struct file *slave_file(struct pty *p, struct dentry *d, int flags)
{
	struct file *f = file_new(&slave_ops, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY), d, p);
	if (!f)
		return NULL;
	atomic_fetch_add(&p->refs, 1);
	return f;
}

/* Counts an opener of the slave: -EIO when it cannot open. */
static int slave_enter(struct pty *p, bool peer)
{
	int r = 0;
	pthread_mutex_lock(&p->lock);
	if (p->hung_up || (p->locked && !peer))
		r = -EIO;
	else {
		p->slaves++;
		p->slave_closed = false;
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

static void slave_leave(struct pty *p)
{
	pthread_mutex_lock(&p->lock);
	if (--p->slaves == 0)
		p->slave_closed = true;
	pthread_mutex_unlock(&p->lock);
}

/* A new slave file on d for p (peer: allowed while p is locked), counted
 * and with a reference: 0, -EIO or -ENOMEM. */
static int slave_open(struct pty *p, struct dentry *d, int flags, bool peer, struct file **out)
{
	int r = slave_enter(p, peer);
	if (r)
		return r;
	struct file *f = slave_file(p, d, flags);
	if (!f) {
		slave_leave(p);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

static long open_peer(struct pty *p, struct task *t, uint64_t arg)
{
	int flags = (int)arg;
	if (flags & ~(O_ACCMODE | O_NOCTTY | O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	struct dentry *d = devpts_node(p->index);
	struct file *f;
	int r = slave_open(p, d, flags, true, &f);
	dentry_put(d);
	if (r)
		return r;
	uint64_t l = t->tg->rlimits[RLIMIT_NOFILE].cur;
	int fd = fd_install(t->files, f, flags & O_CLOEXEC, 0, l > (1 << 20) ? 1 << 20 : (int)l);
	file_put(f);
	if (fd >= 0 && !(flags & O_NOCTTY))
		tty_open_acquire(&p->ctl, t);
	return fd;
}

static long termios_ioctl(struct pty *p, struct task *t, bool master, unsigned cmd, uint64_t arg)
{
	struct ktermios k;
	bool two = cmd == K_TCGETS2 || cmd == K_TCSETS2 || cmd == K_TCSETSW2 || cmd == K_TCSETSF2;
	size_t size = two ? KTERMIOS2_SIZE : KTERMIOS_SIZE;
	if (cmd == TCGETS || cmd == K_TCGETS2) {
		pthread_mutex_lock(&p->lock);
		k = p->ld.tio;
		pthread_mutex_unlock(&p->lock);
		return mm_copy_out(t->mm, arg, &k, size) ? -EFAULT : 0;
	}
	if (!master) {
		int r = tty_check_job(&p->ctl, t, SIGTTOU);
		if (r)
			return r;
	}
	pthread_mutex_lock(&p->lock);
	k = p->ld.tio;
	pthread_mutex_unlock(&p->lock);
	if (mm_copy_in(t->mm, &k, arg, size))
		return -EFAULT;
	pthread_mutex_lock(&p->lock);
	if (cmd == TCSETSF || cmd == K_TCSETSF2)
		ld_flush_in(&p->ld);
	ld_set_termios(&p->ld, &k);
	waitq_wake(&p->wq, ~0u);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

static long pty_ioctl(struct file *f, struct task *t, unsigned cmd, uint64_t arg)
{
	struct pty *p = f->priv;
	bool master = f->ops == &master_ops;
	long r;
	int v;

	if (tty_ctl_ioctl(&p->ctl, t, master, cmd, arg, &r))
		return r;
	switch (cmd) {
	case TCGETS:
	case K_TCGETS2:
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
	case K_TCSETS2:
	case K_TCSETSW2:
	case K_TCSETSF2:
		return termios_ioctl(p, t, master, cmd, arg);
	case TIOCGWINSZ: {
		pthread_mutex_lock(&p->lock);
		struct winsize_k ws = p->ws;
		pthread_mutex_unlock(&p->lock);
		return mm_copy_out(t->mm, arg, &ws, sizeof ws) ? -EFAULT : 0;
	}
	case TIOCSWINSZ: {
		struct winsize_k ws;
		if (mm_copy_in(t->mm, &ws, arg, sizeof ws))
			return -EFAULT;
		pthread_mutex_lock(&p->lock);
		bool changed = memcmp(&ws, &p->ws, sizeof ws) != 0;
		p->ws = ws;
		pthread_mutex_unlock(&p->lock);
		if (changed)
			tty_signal_fg(&p->ctl, SIGWINCH);
		return 0;
	}
	case FIONREAD: /* TIOCINQ */
	case TIOCOUTQ: {
		pthread_mutex_lock(&p->lock);
		struct ldisc *ld = &p->ld;
		size_t n;
		if (master == (cmd == FIONREAD)) {
			n = ld->out_len;
		} else if (ld->tio.c_lflag & ICANON) {
			n = 0; /* complete lines, without their EOF marks */
			for (size_t i = 0; i < ld->canon_head; i++)
				n += !(ld->inflag[i] & LDF_EOF);
		} else {
			n = ld->inlen;
		}
		pthread_mutex_unlock(&p->lock);
		return copy_out_int(t, arg, (int)n);
	}
	case TCFLSH: {
		if (arg > TCIOFLUSH)
			return -EINVAL;
		/* The master's input is the slave's output and back. */
		bool in = arg == TCIFLUSH || arg == TCIOFLUSH;
		bool out = arg == TCOFLUSH || arg == TCIOFLUSH;
		pthread_mutex_lock(&p->lock);
		if (master ? out : in)
			ld_flush_in(&p->ld);
		if (master ? in : out)
			ld_flush_out(&p->ld);
		if (p->pkt && !master)
			p->pkt_status |= (in ? TIOCPKT_FLUSHREAD : 0) | (out ? TIOCPKT_FLUSHWRITE : 0);
		waitq_wake(&p->wq, ~0u);
		pthread_mutex_unlock(&p->lock);
		return 0;
	}
	case TCXONC:
		return arg > TCION ? -EINVAL : 0;
	case TCSBRK:
	case TCSBRKP:
	case TIOCSBRK:
	case TIOCCBRK:
	case TIOCEXCL:
	case TIOCNXCL:
		return 0; /* no line to break or drain: output is instant */
	case TIOCGPTN:
		return master ? copy_out_int(t, arg, p->index) : -ENOTTY;
	case TIOCSPTLCK:
		if (!master)
			return -ENOTTY;
		if (mm_copy_in(t->mm, &v, arg, sizeof v))
			return -EFAULT;
		pthread_mutex_lock(&p->lock);
		p->locked = v != 0;
		pthread_mutex_unlock(&p->lock);
		return 0;
	case TIOCGPTLCK:
		if (!master)
			return -ENOTTY;
		pthread_mutex_lock(&p->lock);
		v = p->locked;
		pthread_mutex_unlock(&p->lock);
		return copy_out_int(t, arg, v);
	case TIOCGPTPEER:
		return master ? open_peer(p, t, arg) : -ENOTTY;
	case TIOCPKT:
		if (!master)
			return -ENOTTY;
		if (mm_copy_in(t->mm, &v, arg, sizeof v))
			return -EFAULT;
		pthread_mutex_lock(&p->lock);
		p->pkt = v != 0;
		p->pkt_status = 0;
		pthread_mutex_unlock(&p->lock);
		return 0;
	case TIOCGPKT:
		if (!master)
			return -ENOTTY;
		pthread_mutex_lock(&p->lock);
		v = p->pkt;
		pthread_mutex_unlock(&p->lock);
		return copy_out_int(t, arg, v);
	}
	return -ENOTTY;
}

static const struct file_ops master_ops = {
    .read = master_read,
    .write = master_write,
    .fstat = pty_fstat,
    .ioctl = pty_ioctl,
    .poll = master_poll,
    .release = master_release,
};

static const struct file_ops slave_ops = {
    .read = slave_read,
    .write = slave_write,
    .fstat = pty_fstat,
    .ioctl = pty_ioctl,
    .poll = slave_poll,
    .release = slave_release,
};

/* ---- opening ---- */

int pty_open_master(struct dentry *d, int flags, struct file **out)
{
	struct task *t = task_current();
	struct pty *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	pthread_mutex_init(&p->lock, NULL);
	waitq_init(&p->wq);
	ld_init(&p->ld);
	p->refs = 1;
	p->masters = 1;
	p->locked = true;
	p->uid = t ? t->cred.fsuid : 0;
	p->gid = TTY_GID;
	p->mode = 0620;
	clock_gettime(CLOCK_REALTIME, &p->ctime);
	p->atime = p->mtime = p->ctime;
	p->ctl.hold = pty_hold;

	pthread_mutex_lock(&pty_table_lock);
	int i = 0;
	while (i < PTY_MAX && table[i])
		i++;
	if (i < PTY_MAX) {
		p->index = i;
		table[i] = p;
	}
	pthread_mutex_unlock(&pty_table_lock);
	if (i == PTY_MAX) {
		free(p);
		return -ENOSPC;
	}
	tty_register(&p->ctl);
	struct file *f = file_new(&master_ops, flags & ~(O_CREAT | O_EXCL | O_TRUNC | O_NOCTTY), d, p);
	if (!f) {
		p->masters = 0;
		pty_put(p);
		return -ENOMEM;
	}
	*out = f;
	return 0;
}

int pty_open_slave(struct dentry *d, int index, int flags, struct file **out)
{
	struct pty *p = pty_find(index);
	if (!p)
		return -EIO;
	int r = slave_open(p, d, flags, false, out);
	struct task *t = task_current();
	if (!r && t && !(flags & O_NOCTTY))
		tty_open_acquire(&p->ctl, t);
	pty_put(p);
	return r;
}

int pty_open_ctty(struct tty_ctl *c, struct dentry *d, int flags, struct file **out)
{
	struct pty *p = pty_of(c);
	int r = slave_open(p, d, flags, true, out);
	pty_put(p);
	return r;
}

int pty_stat(int index, struct stat *st)
{
	struct pty *p = pty_find(index);
	if (!p)
		return -ENOENT;
	pthread_mutex_lock(&p->lock);
	fill_stat(p, st);
	pthread_mutex_unlock(&p->lock);
	pty_put(p);
	return 0;
}

int pty_list(int *idx, int max)
{
	int n = 0;
	for (int i = 0; i < PTY_MAX && n < max; i++) {
		struct pty *p = pty_find(i);
		if (p) {
			idx[n++] = i;
			pty_put(p);
		}
	}
	return n;
}

int pty_setattr(int index, const struct synth_setattr *sa)
{
	struct pty *p = pty_find(index);
	if (!p)
		return -ENOENT;
	pthread_mutex_lock(&p->lock);
	if (sa->mask & SA_MODE)
		p->mode = sa->mode & 07777;
	if (sa->mask & SA_UID)
		p->uid = sa->uid;
	if (sa->mask & SA_GID)
		p->gid = sa->gid;
	if (sa->mask & SA_ATIME)
		p->atime = sa->atime;
	if (sa->mask & SA_MTIME)
		p->mtime = sa->mtime;
	clock_gettime(CLOCK_REALTIME, &p->ctime);
	pthread_mutex_unlock(&p->lock);
	pty_put(p);
	return 0;
}
