/* pty_test: pseudo-terminals: posix_openpt/grantpt/unlockpt/ptsname, the
 * line discipline (canonical lines, echo, erase, EOF, raw mode, output
 * processing), job control signals, window size, hang-ups. */
#include "testlib.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>

/* A new unlocked pair: master and slave (O_NOCTTY both). */
static int open_pair(int *slave)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);
	if (m < 0 || grantpt(m) || unlockpt(m))
		return -1;
	*slave = open(ptsname(m), O_RDWR | O_NOCTTY);
	return *slave < 0 ? -1 : m;
}

/* Reads what the master has now (non-blocking), NUL-terminated. */
static ssize_t drain(int m, char *buf, size_t size)
{
	struct pollfd p = {.fd = m, .events = POLLIN};
	size_t n = 0;
	while (n + 1 < size && poll(&p, 1, 0) == 1 && (p.revents & POLLIN)) {
		ssize_t k = read(m, buf + n, size - 1 - n);
		if (k <= 0)
			break;
		n += (size_t)k;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

TEST(openpt_names)
{
	int m = CHECK_OK(posix_openpt(O_RDWR | O_NOCTTY));
	CHECK_OK(grantpt(m));
	CHECK_OK(unlockpt(m));
	unsigned n;
	CHECK_OK(ioctl(m, TIOCGPTN, &n));
	char want[32];
	snprintf(want, sizeof want, "/dev/pts/%u", n);
	CHECK_STREQ(ptsname(m), want);
	CHECK(isatty(m));
	struct stat st;
	CHECK_OK(stat(want, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 136 + n / 256);
	CHECK_EQ(minor(st.st_rdev), n % 256);
	/* 0620 with devpts's mode=620 (Debian, Docker), else 0600. */
	CHECK_EQ(st.st_mode & 0757, 0600);
	CHECK_EQ(st.st_uid, geteuid());
	int s = CHECK_OK(open(want, O_RDWR | O_NOCTTY));
	struct stat fst;
	CHECK_OK(fstat(s, &fst));
	CHECK_EQ(fst.st_rdev, st.st_rdev);
	CHECK_EQ(fst.st_ino, st.st_ino);
	CHECK_EQ(fst.st_dev, st.st_dev);
	CHECK_STREQ(ttyname(s), want);
	struct stat mst;
	CHECK_OK(fstat(m, &mst));
	CHECK(S_ISCHR(mst.st_mode));
	CHECK_EQ(major(mst.st_rdev), 5);
	CHECK_EQ(minor(mst.st_rdev), 2);
	/* A new pair gets another number. */
	int m2 = CHECK_OK(posix_openpt(O_RDWR | O_NOCTTY));
	unsigned n2;
	CHECK_OK(ioctl(m2, TIOCGPTN, &n2));
	CHECK(n2 != n);
	close(m2);
	close(s);
	close(m);
}

TEST(locked_slave_eio)
{
	int m = CHECK_OK(open("/dev/ptmx", O_RDWR | O_NOCTTY));
	unsigned n;
	CHECK_OK(ioctl(m, TIOCGPTN, &n));
	char name[32];
	snprintf(name, sizeof name, "/dev/pts/%u", n);
	struct stat st;
	CHECK_OK(stat(name, &st)); /* the node exists while locked */
	CHECK_ERRNO(open(name, O_RDWR | O_NOCTTY), EIO);
	int lock = 0;
	CHECK_OK(ioctl(m, TIOCGPTLCK, &lock));
	CHECK_EQ(lock, 1);
	lock = 0;
	CHECK_OK(ioctl(m, TIOCSPTLCK, &lock));
	int s = CHECK_OK(open(name, O_RDWR | O_NOCTTY));
	close(s);
	/* The slave's number is gone with its master. */
	close(m);
	CHECK_ERRNO(stat(name, &st), ENOENT);
}

TEST(default_termios)
{
	int s, m = CHECK_OK(open_pair(&s));
	struct termios t;
	CHECK_OK(tcgetattr(s, &t));
	CHECK_EQ(t.c_iflag, ICRNL | IXON);
	CHECK_EQ(t.c_oflag, OPOST | ONLCR);
	CHECK_EQ(t.c_lflag,
		 ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN);
	CHECK_EQ(t.c_cflag & CSIZE, CS8);
	CHECK_EQ(cfgetospeed(&t), B38400);
	CHECK_EQ(t.c_cc[VINTR], 3);
	CHECK_EQ(t.c_cc[VQUIT], 034);
	CHECK_EQ(t.c_cc[VERASE], 0177);
	CHECK_EQ(t.c_cc[VKILL], 025);
	CHECK_EQ(t.c_cc[VEOF], 4);
	CHECK_EQ(t.c_cc[VSUSP], 032);
	CHECK_EQ(t.c_cc[VMIN], 1);
	CHECK_EQ(t.c_cc[VTIME], 0);
	/* The master reads and sets the slave's termios. */
	struct termios mt;
	CHECK_OK(tcgetattr(m, &mt));
	CHECK_EQ(mt.c_lflag, t.c_lflag);
	close(s);
	close(m);
}

TEST(canonical_line_and_echo)
{
	int s, m = CHECK_OK(open_pair(&s));
	char buf[64];
	CHECK_OK(fcntl(s, F_SETFL, O_NONBLOCK));
	CHECK_EQ(write(m, "ab", 2), 2);
	/* No line yet. */
	CHECK_ERRNO(read(s, buf, sizeof buf), EAGAIN);
	struct pollfd p = {.fd = s, .events = POLLIN};
	CHECK_EQ(poll(&p, 1, 0), 0);
	int n;
	CHECK_OK(ioctl(s, FIONREAD, &n));
	CHECK_EQ(n, 0);
	CHECK_EQ(write(m, "c\r", 2), 2); /* ICRNL: \r ends the line as \n */
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_OK(ioctl(s, FIONREAD, &n));
	CHECK_EQ(n, 4);
	CHECK_EQ(read(s, buf, sizeof buf), 4);
	CHECK(!memcmp(buf, "abc\n", 4));
	/* ECHO with ONLCR comes back on the master. */
	CHECK_EQ(drain(m, buf, sizeof buf), 5);
	CHECK_STREQ(buf, "abc\r\n");
	/* Two lines: one per read. */
	CHECK_EQ(write(m, "x\ny\n", 4), 4);
	CHECK_EQ(read(s, buf, sizeof buf), 2);
	CHECK(!memcmp(buf, "x\n", 2));
	CHECK_EQ(read(s, buf, sizeof buf), 2);
	CHECK(!memcmp(buf, "y\n", 2));
	close(s);
	close(m);
}

TEST(erase_kill_eof)
{
	int s, m = CHECK_OK(open_pair(&s));
	char buf[64];
	CHECK_EQ(write(m, "abx\177c\n", 6), 6);
	CHECK_EQ(read(s, buf, sizeof buf), 4);
	CHECK(!memcmp(buf, "abc\n", 4));
	CHECK_EQ(drain(m, buf, sizeof buf), 9);
	CHECK_STREQ(buf, "abx\b \bc\r\n");
	/* ^U kills the line (ECHOKE: erased on screen). */
	CHECK_EQ(write(m, "zz\025ok\n", 6), 6);
	CHECK_EQ(read(s, buf, sizeof buf), 3);
	CHECK(!memcmp(buf, "ok\n", 3));
	drain(m, buf, sizeof buf);
	CHECK_STREQ(buf, "zz\b \b\b \bok\r\n");
	/* ^W erases a word. */
	CHECK_EQ(write(m, "one two\027three\n", 14), 14);
	CHECK_EQ(read(s, buf, sizeof buf), 10);
	CHECK(!memcmp(buf, "one three\n", 10));
	drain(m, buf, sizeof buf);
	/* ^D: the pending text without a newline, then end of file. */
	CHECK_EQ(write(m, "ab\004", 3), 3);
	CHECK_EQ(read(s, buf, sizeof buf), 2);
	CHECK(!memcmp(buf, "ab", 2));
	CHECK_EQ(write(m, "\004", 1), 1);
	CHECK_EQ(read(s, buf, sizeof buf), 0);
	/* ECHOCTL shows control characters as ^X. */
	drain(m, buf, sizeof buf);
	CHECK_EQ(write(m, "\001\n", 2), 2);
	CHECK_EQ(read(s, buf, sizeof buf), 2);
	CHECK_EQ(buf[0], 1);
	drain(m, buf, sizeof buf);
	CHECK_STREQ(buf, "^A\r\n");
	close(s);
	close(m);
}

TEST(raw_mode)
{
	int s, m = CHECK_OK(open_pair(&s));
	struct termios t;
	char buf[64];
	CHECK_OK(tcgetattr(s, &t));
	cfmakeraw(&t);
	t.c_cc[VMIN] = 1;
	t.c_cc[VTIME] = 0;
	CHECK_OK(tcsetattr(s, TCSANOW, &t));
	CHECK_EQ(write(m, "q", 1), 1);
	CHECK_EQ(read(s, buf, sizeof buf), 1);
	CHECK_EQ(buf[0], 'q');
	/* No echo, no signal characters, \r stays \r. */
	CHECK_EQ(write(m, "\003\r", 2), 2);
	CHECK_EQ(read(s, buf, 2), 2);
	CHECK_EQ(buf[0], 3);
	CHECK_EQ(buf[1], '\r');
	CHECK_EQ(drain(m, buf, sizeof buf), 0);
	/* VMIN 0, VTIME 0: a read never waits. */
	t.c_cc[VMIN] = 0;
	CHECK_OK(tcsetattr(s, TCSANOW, &t));
	CHECK_EQ(read(s, buf, sizeof buf), 0);
	/* No OPOST: \n goes out as is. */
	CHECK_EQ(write(s, "a\nb", 3), 3);
	CHECK_EQ(drain(m, buf, sizeof buf), 3);
	CHECK_STREQ(buf, "a\nb");
	close(s);
	close(m);
}

TEST(output_onlcr)
{
	int s, m = CHECK_OK(open_pair(&s));
	char buf[64];
	CHECK_EQ(write(s, "a\nb", 3), 3);
	CHECK_EQ(read(m, buf, sizeof buf), 4);
	CHECK(!memcmp(buf, "a\r\nb", 4));
	close(s);
	close(m);
}

/* A child in its own session with the slave as controlling terminal. */
static pid_t session_child(int m, int ready_w, void (*body)(int s, int ready_w))
{
	unsigned n;
	if (ioctl(m, TIOCGPTN, &n))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		CCHECK(setsid() == getpid());
		char name[32];
		snprintf(name, sizeof name, "/dev/pts/%u", n);
		int s = open(name, O_RDWR); /* no O_NOCTTY: becomes ours */
		CCHECK(s >= 0);
		CCHECK(ioctl(s, TIOCSCTTY, 0) == 0);
		pid_t fg;
		CCHECK(ioctl(s, TIOCGPGRP, &fg) == 0 && fg == getpid());
		body(s, ready_w);
		_exit(0);
	}
	return pid;
}

/* session_child, returning once body has written to ready_w. */
static pid_t session_child_ready(int m, void (*body)(int s, int ready_w))
{
	int pp[2];
	if (pipe(pp))
		return -1;
	pid_t pid = session_child(m, pp[1], body);
	close(pp[1]);
	return tl_child_ready(pid, pp[0]);
}

static void wait_forever(int s, int ready_w)
{
	CCHECK(write(ready_w, "r", 1) == 1);
	for (;;)
		pause();
}

TEST(intr_signals_foreground)
{
	int s, m = CHECK_OK(open_pair(&s));
	close(s);
	pid_t pid = CHECK_OK(session_child_ready(m, wait_forever));
	pid_t fg;
	CHECK_OK(ioctl(m, TIOCGPGRP, &fg));
	CHECK_EQ(fg, pid);
	CHECK_EQ(write(m, "partial\003", 8), 8);
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGINT);
	char buf[64];
	drain(m, buf, sizeof buf);
	/* The line (and its pending echo) was flushed; ^C echoed last. */
	size_t len = strlen(buf);
	CHECK(len >= 2);
	CHECK_STREQ(buf + len - 2, "^C");
	close(m);
}

static void wait_winch(int s, int ready_w)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGWINCH);
	sigprocmask(SIG_BLOCK, &set, NULL);
	CCHECK(write(ready_w, "r", 1) == 1);
	int sig = sigwaitinfo(&set, NULL);
	CCHECK(sig == SIGWINCH);
	struct winsize ws;
	CCHECK(ioctl(s, TIOCGWINSZ, &ws) == 0);
	CCHECK(ws.ws_row == 40 && ws.ws_col == 120);
}

TEST(winsize_sigwinch)
{
	int s, m = CHECK_OK(open_pair(&s));
	close(s);
	pid_t pid = CHECK_OK(session_child_ready(m, wait_winch));
	struct winsize ws = {.ws_row = 40, .ws_col = 120};
	CHECK_OK(ioctl(m, TIOCSWINSZ, &ws));
	WAIT_EXIT(pid, 0);
	struct winsize got;
	CHECK_OK(ioctl(m, TIOCGWINSZ, &got));
	CHECK_EQ(got.ws_row, 40);
	CHECK_EQ(got.ws_col, 120);
	close(m);
}

static void background_read(int s, int ready_w)
{
	pid_t bg = fork();
	if (bg == 0) {
		setpgid(0, 0);
		char c;
		(void)read(s, &c, 1); /* stops with SIGTTIN */
		_exit(5);
	}
	int st;
	CCHECK(waitpid(bg, &st, WUNTRACED) == bg);
	CCHECK(WIFSTOPPED(st) && WSTOPSIG(st) == SIGTTIN);
	kill(bg, SIGKILL);
	CCHECK(waitpid(bg, &st, 0) == bg);
	/* With SIGTTIN ignored, a background read fails with EIO. */
	bg = fork();
	if (bg == 0) {
		setpgid(0, 0);
		signal(SIGTTIN, SIG_IGN);
		char c;
		_exit(read(s, &c, 1) == -1 && errno == EIO ? 0 : 6);
	}
	CCHECK(waitpid(bg, &st, 0) == bg);
	CCHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

TEST(background_read_sigttin)
{
	int s, m = CHECK_OK(open_pair(&s));
	close(s);
	pid_t pid = CHECK_OK(session_child(m, -1, background_read));
	WAIT_EXIT(pid, 0);
	close(m);
}

static void dev_tty(int s, int ready_w)
{
	int t = open("/dev/tty", O_RDWR);
	CCHECK(t >= 0);
	CCHECK(write(t, "via-tty\n", 8) == 8);
	close(t);
}

TEST(dev_tty_is_controlling)
{
	int s, m = CHECK_OK(open_pair(&s));
	close(s);
	/* Without one it is ENXIO: devfs_test's tty_without_ctty. */
	pid_t pid = CHECK_OK(session_child(m, -1, dev_tty));
	WAIT_EXIT(pid, 0);
	char buf[64];
	drain(m, buf, sizeof buf);
	CHECK_STREQ(buf, "via-tty\r\n");
	close(m);
}

TEST(master_close_hangs_up_slave)
{
	int s, m = CHECK_OK(open_pair(&s));
	char buf[16];
	CHECK_EQ(write(m, "lost\n", 5), 5);
	close(m);
	/* The slave reads end of file, writes fail, poll says hung up. */
	CHECK_EQ(read(s, buf, sizeof buf), 0);
	CHECK_ERRNO(write(s, "x", 1), EIO);
	struct pollfd p = {.fd = s, .events = POLLIN | POLLOUT};
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK(p.revents & POLLHUP);
	close(s);
}

TEST(slave_close_master_eio)
{
	int s, m = CHECK_OK(open_pair(&s));
	char buf[16];
	CHECK_EQ(write(s, "out\n", 4), 4);
	close(s);
	struct pollfd p = {.fd = m, .events = POLLIN};
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK(p.revents & POLLHUP);
	CHECK_EQ(read(m, buf, sizeof buf), 5);
	CHECK(!memcmp(buf, "out\r\n", 5));
	CHECK_ERRNO(read(m, buf, sizeof buf), EIO);
	close(m);
}

TEST(get_peer)
{
	int m = CHECK_OK(posix_openpt(O_RDWR | O_NOCTTY));
	CHECK_OK(unlockpt(m));
	int s = CHECK_OK(ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY));
	CHECK_STREQ(ttyname(s), ptsname(m));
	CHECK_EQ(write(s, "p", 1), 1);
	char c;
	CHECK_EQ(read(m, &c, 1), 1);
	CHECK_EQ(c, 'p');
	close(s);
	close(m);
}

int main(int argc, char **argv)
{
	signal(SIGTTOU, SIG_IGN);
	return RUN_TESTS(argc, argv, openpt_names, locked_slave_eio, default_termios,
			 canonical_line_and_echo, erase_kill_eof, raw_mode, output_onlcr,
			 intr_signals_foreground, winsize_sigwinch, background_read_sigttin,
			 dev_tty_is_controlling, master_close_hangs_up_slave, slave_close_master_eio,
			 get_peer);
}
