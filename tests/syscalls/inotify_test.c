/* inotify_test: inotify_init1, add/rm_watch, the events of creation,
 * writes, closes, removal and renames, read sizes, coalescing, overflow,
 * FIONREAD and readiness. */
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "testlib.h"

struct ev {
	int wd;
	uint32_t mask, cookie;
	char name[NAME_MAX + 1];
};

/* Reads every queued event (the fd is non-blocking) into evs. */
static int drain(int fd, struct ev *evs, int max)
{
	char buf[8192] __attribute__((aligned(8)));
	int n = 0;
	for (;;) {
		ssize_t r = read(fd, buf, sizeof buf);
		if (r < 0) {
			CHECK_EQ(errno, EAGAIN);
			return n;
		}
		for (char *p = buf; p < buf + r;) {
			struct inotify_event *e = (struct inotify_event *)p;
			CHECK(n < max);
			evs[n].wd = e->wd;
			evs[n].mask = e->mask;
			evs[n].cookie = e->cookie;
			CHECK_EQ(e->len % sizeof(struct inotify_event), 0);
			snprintf(evs[n].name, sizeof evs[n].name, "%s", e->len ? e->name : "");
			n++;
			p += sizeof *e + e->len;
		}
	}
}

#define CHECK_EV(e, w, m, nm)                                                                      \
	do {                                                                                       \
		CHECK_EQ((e).wd, (w));                                                             \
		CHECK_EQ((e).mask, (m));                                                           \
		CHECK_STREQ((e).name, (nm));                                                       \
	} while (0)

TEST(create_modify_close)
{
	struct ev ev[32];
	CHECK(tl_enter_tmpdir());
	int in = CHECK_OK(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
	CHECK_EQ(fcntl(in, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(in, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	int wd = CHECK_OK(inotify_add_watch(in, ".", IN_ALL_EVENTS));
	CHECK_EQ(drain(in, ev, 32), 0);

	int fd = CHECK_OK(open("f", O_CREAT | O_WRONLY, 0644));
	CHECK_EQ(write(fd, "ab", 2), 2);
	CHECK_EQ(write(fd, "cd", 2), 2); /* identical to the last: merged */
	CHECK_OK(close(fd));
	fd = CHECK_OK(open("f", O_RDONLY));
	char b[8];
	CHECK_EQ(read(fd, b, sizeof b), 4);
	CHECK_OK(close(fd));
	CHECK_OK(mkdir("d", 0755));
	CHECK_OK(chmod("f", 0600));

	CHECK_EQ(drain(in, ev, 32), 9);
	CHECK_EV(ev[0], wd, IN_CREATE, "f");
	CHECK_EV(ev[1], wd, IN_OPEN, "f");
	CHECK_EV(ev[2], wd, IN_MODIFY, "f");
	CHECK_EV(ev[3], wd, IN_CLOSE_WRITE, "f");
	CHECK_EV(ev[4], wd, IN_OPEN, "f");
	CHECK_EV(ev[5], wd, IN_ACCESS, "f");
	CHECK_EV(ev[6], wd, IN_CLOSE_NOWRITE, "f");
	CHECK_EV(ev[7], wd, IN_CREATE | IN_ISDIR, "d");
	CHECK_EV(ev[8], wd, IN_ATTRIB, "f");
	for (int i = 0; i < 9; i++)
		CHECK_EQ(ev[i].cookie, 0);
	CHECK_OK(close(in));
	CHECK_OK(tl_leave_tmpdir());
}

TEST(file_watch_and_delete_self)
{
	struct ev ev[32];
	CHECK(tl_enter_tmpdir());
	int in = CHECK_OK(inotify_init1(IN_NONBLOCK));
	close(CHECK_OK(open("f", O_CREAT | O_WRONLY, 0644)));
	int wf = CHECK_OK(inotify_add_watch(in, "f", IN_ALL_EVENTS));
	/* The same inode, through another path: the same wd. */
	CHECK_EQ(inotify_add_watch(in, "./f", IN_ALL_EVENTS), wf);
	CHECK_ERRNO(inotify_add_watch(in, "f", IN_ALL_EVENTS | IN_MASK_CREATE), EEXIST);
	int fd = CHECK_OK(open("f", O_WRONLY | O_APPEND));
	CHECK_EQ(write(fd, "x", 1), 1);
	CHECK_OK(close(fd));
	CHECK_OK(unlink("f"));
	CHECK_EQ(drain(in, ev, 32), 6);
	CHECK_EV(ev[0], wf, IN_OPEN, "");
	CHECK_EV(ev[1], wf, IN_MODIFY, "");
	CHECK_EV(ev[2], wf, IN_CLOSE_WRITE, "");
	CHECK_EV(ev[3], wf, IN_ATTRIB, "");
	CHECK_EV(ev[4], wf, IN_DELETE_SELF, "");
	CHECK_EV(ev[5], wf, IN_IGNORED, "");
	CHECK_OK(close(in));
	CHECK_OK(tl_leave_tmpdir());
}

TEST(delete_and_rmdir)
{
	struct ev ev[32];
	CHECK(tl_enter_tmpdir());
	int in = CHECK_OK(inotify_init1(IN_NONBLOCK));
	CHECK_OK(mkdir("sub", 0755));
	close(CHECK_OK(open("f", O_CREAT | O_WRONLY, 0644)));
	int wd = CHECK_OK(inotify_add_watch(in, ".", IN_CREATE | IN_DELETE | IN_DELETE_SELF));
	int ws = CHECK_OK(inotify_add_watch(in, "sub", IN_DELETE_SELF));
	CHECK(ws != wd);
	CHECK_OK(unlink("f"));
	CHECK_OK(rmdir("sub"));
	CHECK_EQ(drain(in, ev, 32), 4);
	CHECK_EV(ev[0], wd, IN_DELETE, "f");
	CHECK_EV(ev[1], ws, IN_DELETE_SELF, "");
	CHECK_EV(ev[2], ws, IN_IGNORED, "");
	CHECK_EV(ev[3], wd, IN_DELETE | IN_ISDIR, "sub");
	/* The watch is gone with its inode. */
	CHECK_ERRNO(inotify_rm_watch(in, ws), EINVAL);
	CHECK_OK(close(in));
	CHECK_OK(tl_leave_tmpdir());
}

TEST(move_cookies)
{
	struct ev ev[32];
	CHECK(tl_enter_tmpdir());
	int in = CHECK_OK(inotify_init1(IN_NONBLOCK));
	CHECK_OK(mkdir("a", 0755));
	CHECK_OK(mkdir("b", 0755));
	close(CHECK_OK(open("a/f", O_CREAT | O_WRONLY, 0644)));
	close(CHECK_OK(open("a/g", O_CREAT | O_WRONLY, 0644)));
	int wa = CHECK_OK(inotify_add_watch(in, "a", IN_MOVE));
	int wb = CHECK_OK(inotify_add_watch(in, "b", IN_MOVE));
	int wf = CHECK_OK(inotify_add_watch(in, "a/f", IN_MOVE_SELF));
	CHECK_OK(rename("a/f", "b/h"));
	CHECK_OK(rename("a/g", "a/g2"));
	CHECK_EQ(drain(in, ev, 32), 5);
	CHECK_EV(ev[0], wa, IN_MOVED_FROM, "f");
	CHECK_EV(ev[1], wb, IN_MOVED_TO, "h");
	CHECK(ev[0].cookie != 0);
	CHECK_EQ(ev[1].cookie, ev[0].cookie);
	CHECK_EV(ev[2], wf, IN_MOVE_SELF, "");
	CHECK_EV(ev[3], wa, IN_MOVED_FROM, "g");
	CHECK_EV(ev[4], wa, IN_MOVED_TO, "g2");
	CHECK_EQ(ev[4].cookie, ev[3].cookie);
	CHECK(ev[3].cookie != ev[0].cookie);
	CHECK_OK(close(in));
	CHECK_OK(tl_leave_tmpdir());
}

TEST(rm_watch_oneshot_mask_add)
{
	struct ev ev[32];
	CHECK(tl_enter_tmpdir());
	int in = CHECK_OK(inotify_init1(IN_NONBLOCK));
	int wd = CHECK_OK(inotify_add_watch(in, ".", IN_CREATE));
	CHECK_OK(inotify_rm_watch(in, wd));
	CHECK_ERRNO(inotify_rm_watch(in, wd), EINVAL);
	close(CHECK_OK(open("f", O_CREAT | O_WRONLY, 0644)));
	CHECK_EQ(drain(in, ev, 32), 1);
	CHECK_EV(ev[0], wd, IN_IGNORED, "");

	/* A new watch gets a new wd; IN_MASK_ADD widens it. */
	int w2 = CHECK_OK(inotify_add_watch(in, ".", IN_DELETE));
	CHECK(w2 != wd);
	CHECK_EQ(inotify_add_watch(in, ".", IN_CREATE | IN_MASK_ADD), w2);
	close(CHECK_OK(open("g", O_CREAT | O_WRONLY, 0644)));
	CHECK_OK(unlink("g"));
	/* Without IN_MASK_ADD the mask is replaced. */
	CHECK_EQ(inotify_add_watch(in, ".", IN_DELETE), w2);
	close(CHECK_OK(open("h", O_CREAT | O_WRONLY, 0644)));
	CHECK_OK(unlink("h"));
	CHECK_EQ(drain(in, ev, 32), 3);
	CHECK_EV(ev[0], w2, IN_CREATE, "g");
	CHECK_EV(ev[1], w2, IN_DELETE, "g");
	CHECK_EV(ev[2], w2, IN_DELETE, "h");
	CHECK_OK(inotify_rm_watch(in, w2));
	CHECK_EQ(drain(in, ev, 32), 1);
	CHECK_EV(ev[0], w2, IN_IGNORED, "");

	/* IN_ONESHOT: one event, then the watch goes. */
	int w3 = CHECK_OK(inotify_add_watch(in, ".", IN_CREATE | IN_ONESHOT));
	close(CHECK_OK(open("i", O_CREAT | O_WRONLY, 0644)));
	close(CHECK_OK(open("j", O_CREAT | O_WRONLY, 0644)));
	CHECK_EQ(drain(in, ev, 32), 2);
	CHECK_EV(ev[0], w3, IN_CREATE, "i");
	CHECK_EV(ev[1], w3, IN_IGNORED, "");
	CHECK_ERRNO(inotify_rm_watch(in, w3), EINVAL);
	CHECK_OK(close(in));
	CHECK_OK(tl_leave_tmpdir());
}

TEST(read_sizes_and_fionread)
{
	CHECK(tl_enter_tmpdir());
	int in = CHECK_OK(inotify_init1(IN_NONBLOCK));
	int wd = CHECK_OK(inotify_add_watch(in, ".", IN_CREATE));
	char buf[4096] __attribute__((aligned(8)));
	CHECK_ERRNO(read(in, buf, sizeof buf), EAGAIN);
	int n = -1;
	CHECK_OK(ioctl(in, FIONREAD, &n));
	CHECK_EQ(n, 0);
	close(CHECK_OK(open("a-rather-long-name-of-20", O_CREAT | O_WRONLY, 0644)));
	close(CHECK_OK(open("b", O_CREAT | O_WRONLY, 0644)));
	/* 16 + 32 (24 bytes and a NUL, padded to 16) and 16 + 16. */
	CHECK_OK(ioctl(in, FIONREAD, &n));
	CHECK_EQ(n, 48 + 32);
	/* Too small for the first event. */
	CHECK_ERRNO(read(in, buf, 47), EINVAL);
	/* Room for the first only. */
	CHECK_EQ(read(in, buf, 60), 48);
	struct inotify_event *e = (struct inotify_event *)buf;
	CHECK_EQ(e->wd, wd);
	CHECK_EQ(e->len, 32);
	CHECK_STREQ(e->name, "a-rather-long-name-of-20");
	CHECK_EQ(read(in, buf, sizeof buf), 32);
	CHECK_EQ(e->len, 16);
	CHECK_STREQ(e->name, "b");
	CHECK_ERRNO(read(in, buf, sizeof buf), EAGAIN);
	CHECK_OK(close(in));
	CHECK_OK(tl_leave_tmpdir());
}

TEST(errors)
{
	int in = CHECK_OK(inotify_init());
	CHECK_ERRNO(inotify_init1(IN_CLOEXEC | 1), EINVAL);
	CHECK_ERRNO(inotify_add_watch(in, "/tmp", 0), EINVAL);
	CHECK_ERRNO(inotify_add_watch(in, "/tmp", IN_CREATE | 0x00800000), EINVAL);
	CHECK_ERRNO(inotify_add_watch(in, "/tmp", IN_CREATE | IN_MASK_ADD | IN_MASK_CREATE),
		    EINVAL);
	CHECK_ERRNO(inotify_add_watch(in, "/etc/passwd", IN_CREATE | IN_ONLYDIR), ENOTDIR);
	CHECK_ERRNO(inotify_add_watch(in, "/nonexistent-cvt", IN_CREATE), ENOENT);
	CHECK_ERRNO(inotify_add_watch(99, "/tmp", IN_CREATE), EBADF);
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_ERRNO(inotify_add_watch(p[0], "/tmp", IN_CREATE), EINVAL);
	CHECK_ERRNO(inotify_rm_watch(p[0], 1), EINVAL);
	CHECK_ERRNO(inotify_rm_watch(in, 12345), EINVAL);
	/* IN_DONT_FOLLOW watches the link itself, another inode. */
	int w1 = CHECK_OK(inotify_add_watch(in, "/etc/os-release", IN_ATTRIB));
	int w2 = CHECK_OK(inotify_add_watch(in, "/etc/os-release", IN_ATTRIB | IN_DONT_FOLLOW));
	CHECK(w1 > 0 && w2 > 0 && w1 != w2);
	CHECK_EQ(inotify_add_watch(in, "/usr/lib/os-release", IN_ATTRIB), w1);
	close(p[0]);
	close(p[1]);
	CHECK_OK(close(in));
}

TEST(overflow)
{
	CHECK(tl_enter_tmpdir());
	int max = 16384;
	FILE *mf = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
	if (mf) {
		CHECK_EQ(fscanf(mf, "%d", &max), 1);
		fclose(mf);
	}
	int in = CHECK_OK(inotify_init1(IN_NONBLOCK));
	int fd = CHECK_OK(open("f", O_CREAT | O_RDWR, 0644));
	int wd = CHECK_OK(inotify_add_watch(in, "f", IN_MODIFY | IN_ACCESS));
	/* Alternate events so that none merges. */
	char c = 'x';
	for (int i = 0; i < max / 2 + 2; i++) {
		CHECK_EQ(pwrite(fd, &c, 1, 0), 1);
		CHECK_EQ(pread(fd, &c, 1, 0), 1);
	}
	static char buf[1 << 20] __attribute__((aligned(8)));
	int n = 0;
	struct inotify_event last = {0};
	ssize_t r;
	while ((r = read(in, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + r; p += sizeof last + last.len) {
			memcpy(&last, p, sizeof last);
			if (last.wd != -1)
				CHECK_EQ(last.wd, wd);
			n++;
		}
	}
	CHECK_EQ(n, max + 1);
	CHECK_EQ(last.wd, -1);
	CHECK_EQ(last.mask, IN_Q_OVERFLOW);
	CHECK_OK(close(fd));
	CHECK_OK(close(in));
	CHECK_OK(tl_leave_tmpdir());
}

TEST(poll_epoll_blocking)
{
	CHECK(tl_enter_tmpdir());
	int in = CHECK_OK(inotify_init());
	CHECK_OK(inotify_add_watch(in, ".", IN_CREATE));
	struct pollfd pfd = {.fd = in, .events = POLLIN};
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	int ep = CHECK_OK(epoll_create1(0));
	struct epoll_event ee = {.events = EPOLLIN, .data.u64 = 7};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, in, &ee));
	CHECK_EQ(epoll_wait(ep, &ee, 1, 0), 0);
	int go;
	pid_t pid = CHECK_OK(tl_fork_held(&go));
	if (pid == 0) {
		/* Released when the parent is about to block: create. */
		int fd = open("late", O_CREAT | O_WRONLY, 0644);
		CCHECK(fd >= 0);
		_exit(0);
	}
	CHECK_EQ(write(go, "g", 1), 1);
	close(go);
	/* A blocking read sleeps until the child's create. */
	char buf[256] __attribute__((aligned(8)));
	ssize_t r = read(in, buf, sizeof buf);
	CHECK(r >= (ssize_t)sizeof(struct inotify_event));
	CHECK_STREQ(((struct inotify_event *)buf)->name, "late");
	WAIT_EXIT(pid, 0);
	close(CHECK_OK(open("again", O_CREAT | O_WRONLY, 0644)));
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK_EQ(pfd.revents, POLLIN);
	CHECK_EQ(epoll_wait(ep, &ee, 1, 0), 1);
	CHECK_EQ(ee.data.u64, 7);
	CHECK_OK(close(ep));
	CHECK_OK(close(in));
	CHECK_OK(tl_leave_tmpdir());
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, create_modify_close, file_watch_and_delete_self,
			 delete_and_rmdir, move_cookies, rm_watch_oneshot_mask_add,
			 read_sizes_and_fionread, errors, overflow, poll_epoll_blocking);
}
