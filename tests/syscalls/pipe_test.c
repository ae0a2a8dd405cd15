/* pipe_test: pipe/pipe2 semantics: data, EOF, EPIPE/SIGPIPE, O_NONBLOCK,
 * capacity, atomic writes between processes, packet mode, signals. */
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

static void close2(int p[2])
{
	close(p[0]);
	close(p[1]);
}

/* Reads exactly n bytes (the test fails on EOF or error). */
static void read_full(int fd, void *buf, size_t n)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = read(fd, (char *)buf + done, n - done);
		CHECK(r > 0);
		done += (size_t)r;
	}
}

static int wait_child(pid_t pid)
{
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	return WEXITSTATUS(st);
}

TEST(basic_rw)
{
	int p[2];
	char buf[16] = {0};
	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "hello", 5), 5);
	CHECK_EQ(read(p[0], buf, sizeof buf), 5);
	CHECK_STREQ(buf, "hello");
	/* Two writes are read back in order, partially. */
	CHECK_EQ(write(p[1], "abc", 3), 3);
	CHECK_EQ(write(p[1], "def", 3), 3);
	memset(buf, 0, sizeof buf);
	CHECK_EQ(read(p[0], buf, 4), 4);
	CHECK_STREQ(buf, "abcd");
	memset(buf, 0, sizeof buf);
	CHECK_EQ(read(p[0], buf, sizeof buf), 2);
	CHECK_STREQ(buf, "ef");
	/* Zero-length transfers return 0 at once. */
	CHECK_EQ(read(p[0], buf, 0), 0);
	CHECK_EQ(write(p[1], buf, 0), 0);
	/* No positional I/O or seeking on a pipe. */
	CHECK_ERRNO(pread(p[0], buf, 1, 0), ESPIPE);
	CHECK_ERRNO(pwrite(p[1], buf, 1, 0), ESPIPE);
	CHECK_ERRNO(lseek(p[0], 0, SEEK_CUR), ESPIPE);
	/* Wrong direction. */
	CHECK_ERRNO(write(p[0], "x", 1), EBADF);
	CHECK_ERRNO(read(p[1], buf, 1), EBADF);
	close2(p);
}

TEST(readv_writev)
{
	int p[2];
	char a[3], b[10] = {0};
	CHECK_OK(pipe(p));
	struct iovec w[3] = {{"ab", 2}, {"", 0}, {"cdefg", 5}};
	CHECK_EQ(writev(p[1], w, 3), 7);
	struct iovec r[2] = {{a, 3}, {b, sizeof b}};
	CHECK_EQ(readv(p[0], r, 2), 7);
	CHECK(memcmp(a, "abc", 3) == 0);
	CHECK_STREQ(b, "defg");
	close2(p);
}

TEST(eof_after_writer_close)
{
	int p[2];
	char buf[8];
	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "xy", 2), 2);
	close(p[1]);
	CHECK_EQ(read(p[0], buf, sizeof buf), 2);
	CHECK_EQ(read(p[0], buf, sizeof buf), 0);
	/* EOF wins over EAGAIN. */
	CHECK_OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
	CHECK_EQ(read(p[0], buf, sizeof buf), 0);
	close(p[0]);
}

TEST(epipe_sigpipe_ignored)
{
	int p[2];
	struct sigaction sa = {.sa_handler = SIG_IGN}, old;
	CHECK_OK(sigaction(SIGPIPE, &sa, &old));
	CHECK_OK(pipe(p));
	close(p[0]);
	CHECK_ERRNO(write(p[1], "x", 1), EPIPE);
	close(p[1]);
	CHECK_OK(sigaction(SIGPIPE, &old, NULL));
}

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int sig) { sigpipes++; }

TEST(epipe_sigpipe_delivered)
{
	int p[2];
	struct sigaction sa = {.sa_handler = on_sigpipe}, old;
	CHECK_OK(sigaction(SIGPIPE, &sa, &old));
	sigpipes = 0;
	CHECK_OK(pipe(p));
	close(p[0]);
	CHECK_ERRNO(write(p[1], "x", 1), EPIPE);
	CHECK_EQ(sigpipes, 1);
	CHECK_ERRNO(write(p[1], "yy", 2), EPIPE);
	CHECK_EQ(sigpipes, 2);
	close(p[1]);
	CHECK_OK(sigaction(SIGPIPE, &old, NULL));
}

TEST(sigpipe_kills_by_default)
{
	int p[2];
	CHECK_OK(pipe(p));
	/* No reader anywhere before the child writes. */
	close(p[0]);
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		(void)!write(p[1], "x", 1);
		_exit(0); /* not reached */
	}
	close(p[1]);
	int st;
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGPIPE);
}

TEST(nonblock_eagain)
{
	int p[2];
	char buf[4096];
	CHECK_OK(pipe2(p, O_NONBLOCK));
	CHECK_ERRNO(read(p[0], buf, sizeof buf), EAGAIN);
	memset(buf, 'z', sizeof buf);
	long total = 0;
	for (;;) {
		ssize_t r = write(p[1], buf, sizeof buf);
		if (r < 0) {
			CHECK_EQ(errno, EAGAIN);
			break;
		}
		total += r;
		CHECK(total <= 1 << 20);
	}
	CHECK_EQ(total, 65536);
	CHECK_ERRNO(write(p[1], "x", 1), EAGAIN);
	int n = 0;
	CHECK_OK(ioctl(p[0], FIONREAD, &n));
	CHECK_EQ(n, 65536);
	/* Freeing one page lets exactly one page in. */
	CHECK_EQ(read(p[0], buf, sizeof buf), 4096);
	CHECK_EQ(write(p[1], buf, sizeof buf), 4096);
	CHECK_ERRNO(write(p[1], buf, 1), EAGAIN);
	close2(p);
}

TEST(nonblock_setfl)
{
	int p[2];
	char c;
	CHECK_OK(pipe(p));
	CHECK_EQ(fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
	CHECK_EQ(fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
	CHECK_EQ(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
	CHECK_OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
	CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	CHECK_ERRNO(read(p[0], &c, 1), EAGAIN);
	int on = 0;
	CHECK_OK(ioctl(p[0], FIONBIO, &on));
	CHECK_EQ(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
	close2(p);
}

/* 1 or 0, or -1 when capget cannot tell. */
static int has_cap_sys_resource(void)
{
	struct {
		uint32_t version;
		int pid;
	} hdr = {0x20080522, 0};
	struct {
		uint32_t effective, permitted, inheritable;
	} data[2];
	if (syscall(SYS_capget, &hdr, data))
		return -1;
	return (data[0].effective >> 24) & 1;
}

TEST(pipe_size)
{
	int p[2];
	char buf[8192];
	CHECK_OK(pipe(p));
	CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 65536);
	CHECK_EQ(fcntl(p[1], F_GETPIPE_SZ), 65536);
	/* Rounded up to a power-of-two number of pages. */
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 3 * 4096), 16384);
	CHECK_EQ(fcntl(p[0], F_GETPIPE_SZ), 16384);
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 1), 4096);
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 0), 4096);
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 8192), 8192);
	memset(buf, 'q', sizeof buf);
	CHECK_EQ(write(p[1], buf, sizeof buf), 8192);
	/* The content does not fit a smaller ring. */
	CHECK_ERRNO(fcntl(p[1], F_SETPIPE_SZ, 4096), EBUSY);
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 65536), 65536);
	char out[8192];
	read_full(p[0], out, sizeof out);
	CHECK(memcmp(buf, out, sizeof out) == 0);
	/* Above /proc/sys/fs/pipe-max-size only with CAP_SYS_RESOURCE. */
	CHECK_EQ(fcntl(p[1], F_SETPIPE_SZ, 1048576), 1048576);
	int big = fcntl(p[1], F_SETPIPE_SZ, 1048577);
	int sys_resource = has_cap_sys_resource();
	if (big == -1)
		CHECK_EQ(errno, EPERM);
	else
		CHECK_EQ(big, 2097152);
	if (sys_resource >= 0)
		CHECK_EQ(big != -1, sys_resource);
	close2(p);
	/* Not a pipe. */
	int fd = CHECK_OK(open("/dev/null", O_RDONLY));
	CHECK_ERRNO(fcntl(fd, F_GETPIPE_SZ), EBADF);
	close(fd);
}

TEST(fionread)
{
	int p[2], n = -1;
	char buf[200];
	CHECK_OK(pipe(p));
	CHECK_OK(ioctl(p[0], FIONREAD, &n));
	CHECK_EQ(n, 0);
	memset(buf, 1, sizeof buf);
	CHECK_EQ(write(p[1], buf, 123), 123);
	CHECK_EQ(write(p[1], buf, 77), 77);
	CHECK_OK(ioctl(p[0], FIONREAD, &n));
	CHECK_EQ(n, 200);
	CHECK_EQ(read(p[0], buf, 50), 50);
	CHECK_OK(ioctl(p[0], FIONREAD, &n));
	CHECK_EQ(n, 150);
	close2(p);
}

#define REC 4096
#define RECS 64

/* Two processes write 4096-byte records: each record arrives whole. */
TEST(atomic_writes_two_writers)
{
	int p[2];
	static char all[2 * RECS * REC];
	CHECK_OK(pipe(p));
	pid_t kids[2];
	for (int k = 0; k < 2; k++) {
		kids[k] = CHECK_OK(fork());
		if (kids[k] == 0) {
			char rec[REC];
			close(p[0]);
			memset(rec, 'A' + k, sizeof rec);
			for (int i = 0; i < RECS; i++)
				if (write(p[1], rec, REC) != REC)
					_exit(1);
			_exit(0);
		}
	}
	close(p[1]);
	size_t got = 0;
	for (;;) {
		ssize_t r = read(p[0], all + got, sizeof all - got);
		CHECK(r >= 0);
		if (r == 0)
			break;
		got += (size_t)r;
	}
	CHECK_EQ(got, sizeof all);
	int count[2] = {0, 0};
	for (size_t b = 0; b < got; b += REC) {
		char c = all[b];
		CHECK(c == 'A' || c == 'B');
		for (size_t i = 1; i < REC; i++)
			if (all[b + i] != c)
				CHECK_EQ(b + i, -1); /* an interleaved record */
		count[c - 'A']++;
	}
	CHECK_EQ(count[0], RECS);
	CHECK_EQ(count[1], RECS);
	CHECK_EQ(wait_child(kids[0]), 0);
	CHECK_EQ(wait_child(kids[1]), 0);
	close(p[0]);
}

static uint8_t pattern(size_t i) { return (uint8_t)(i * 7 + (i >> 9)); }

/* 1 MiB from a child in uneven chunks, read in other uneven chunks. */
TEST(transfer_1mib)
{
	enum { TOTAL = 1 << 20 };
	int p[2];
	CHECK_OK(pipe(p));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		static uint8_t src[TOTAL];
		close(p[0]);
		for (size_t i = 0; i < TOTAL; i++)
			src[i] = pattern(i);
		size_t off = 0, step = 1;
		while (off < TOTAL) {
			size_t n = step < TOTAL - off ? step : TOTAL - off;
			ssize_t r = write(p[1], src + off, n);
			if (r <= 0)
				_exit(1);
			off += (size_t)r;
			step = step * 3 + 1;
			if (step > 200000)
				step = 5;
		}
		_exit(0);
	}
	close(p[1]);
	static uint8_t buf[70000];
	size_t off = 0, want = 13;
	uint64_t sum = 0, expect = 0;
	int bad = 0;
	for (;;) {
		ssize_t r = read(p[0], buf, want);
		CHECK(r >= 0);
		if (r == 0)
			break;
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] != pattern(off + (size_t)i))
				bad++;
			sum = sum * 31 + buf[i];
		}
		off += (size_t)r;
		want = want * 5 % sizeof buf + 1;
	}
	for (size_t i = 0; i < TOTAL; i++)
		expect = expect * 31 + pattern(i);
	CHECK_EQ(off, TOTAL);
	CHECK_EQ(bad, 0);
	CHECK_EQ(sum, expect);
	CHECK_EQ(wait_child(pid), 0);
	close(p[0]);
}

TEST(pipe2_flags)
{
	int p[2];
	CHECK_OK(pipe2(p, O_CLOEXEC));
	CHECK_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
	close2(p);
	CHECK_OK(pipe2(p, O_NONBLOCK));
	CHECK_EQ(fcntl(p[0], F_GETFD), 0);
	CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	CHECK(fcntl(p[1], F_GETFL) & O_NONBLOCK);
	close2(p);
	CHECK_OK(pipe(p));
	CHECK_EQ(fcntl(p[1], F_GETFD), 0);
	close2(p);
	CHECK_ERRNO(pipe2(p, O_APPEND), EINVAL);
	CHECK_ERRNO(pipe2(p, O_RDWR), EINVAL);
	CHECK_ERRNO(syscall(SYS_pipe2, (void *)8, 0), EFAULT);
	CHECK_ERRNO(syscall(SYS_pipe, (void *)8), EFAULT);
}

/* O_DIRECT: each write is a packet; a read returns at most one. */
TEST(packet_mode)
{
	int p[2];
	char buf[8192];
	CHECK_OK(pipe2(p, O_DIRECT | O_NONBLOCK));
	CHECK(fcntl(p[1], F_GETFL) & O_DIRECT);
	CHECK_EQ(write(p[1], "abc", 3), 3);
	CHECK_EQ(write(p[1], "defgh", 5), 5);
	CHECK_EQ(write(p[1], "ij", 2), 2);
	memset(buf, 0, sizeof buf);
	CHECK_EQ(read(p[0], buf, sizeof buf), 3);
	CHECK_STREQ(buf, "abc");
	/* A short read drops the rest of the packet. */
	memset(buf, 0, sizeof buf);
	CHECK_EQ(read(p[0], buf, 2), 2);
	CHECK_STREQ(buf, "de");
	memset(buf, 0, sizeof buf);
	CHECK_EQ(read(p[0], buf, sizeof buf), 2);
	CHECK_STREQ(buf, "ij");
	CHECK_ERRNO(read(p[0], buf, sizeof buf), EAGAIN);
	/* Larger writes are split into PIPE_BUF packets. */
	memset(buf, 'p', 5000);
	CHECK_EQ(write(p[1], buf, 5000), 5000);
	CHECK_EQ(read(p[0], buf, sizeof buf), 4096);
	CHECK_EQ(read(p[0], buf, sizeof buf), 904);
	/* Each packet takes a page slot: 16 one-byte packets fill the pipe. */
	for (int i = 0; i < 16; i++)
		CHECK_EQ(write(p[1], "k", 1), 1);
	CHECK_ERRNO(write(p[1], "k", 1), EAGAIN);
	close2(p);
}

static volatile sig_atomic_t usr1s;
static void on_usr1(int sig) { usr1s++; }

/* Child blocks in read; the parent signals it.  Without SA_RESTART the read
 * fails with EINTR; with it the read restarts and gets the data written
 * afterwards.  The child reports on the result pipe. */
static void read_interrupted(bool restart)
{
	int data[2], res[2];
	CHECK_OK(pipe(data));
	CHECK_OK(pipe(res));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0};
		char c = 0;
		sigaction(SIGUSR1, &sa, NULL);
		close(res[0]);
		(void)!write(res[1], "r", 1);
		ssize_t r = read(data[0], &c, 1);
		int report[3] = {(int)r, r < 0 ? errno : 0, usr1s};
		(void)!write(res[1], report, sizeof report);
		_exit(c == 'x' || !restart ? 0 : 2);
	}
	close(res[1]);
	char ready;
	CHECK_EQ(read(res[0], &ready, 1), 1);
	int report[3];
	if (restart) {
		/* Give the child time to block (if it has not, the test still
		 * holds: the handler runs and the read gets the data). */
		usleep(50000);
		CHECK_OK(kill(pid, SIGUSR1));
		usleep(50000);
		CHECK_OK(kill(pid, SIGUSR1));
		usleep(20000);
		CHECK_EQ(write(data[1], "x", 1), 1);
		read_full(res[0], report, sizeof report);
		CHECK_EQ(report[0], 1);
		CHECK(report[2] >= 1);
	} else {
		/* Signal until the child reports: one signal may land before
		 * it blocks. */
		CHECK_OK(fcntl(res[0], F_SETFL, O_NONBLOCK));
		size_t got = 0;
		for (int i = 0; i < 1000 && got < sizeof report; i++) {
			kill(pid, SIGUSR1);
			usleep(10000);
			ssize_t r = read(res[0], (char *)report + got, sizeof report - got);
			if (r > 0)
				got += (size_t)r;
		}
		CHECK_EQ(got, sizeof report);
		CHECK_EQ(report[0], -1);
		CHECK_EQ(report[1], EINTR);
		CHECK(report[2] >= 1);
	}
	CHECK_EQ(wait_child(pid), 0);
	close2(data);
	close(res[0]);
}

TEST(read_interrupted_eintr) { read_interrupted(false); }

TEST(read_interrupted_restart) { read_interrupted(true); }

TEST(fstat_fifo)
{
	int p[2], q[2];
	struct stat a, b, c;
	CHECK_OK(pipe(p));
	CHECK_OK(pipe(q));
	CHECK_OK(fstat(p[0], &a));
	CHECK_OK(fstat(p[1], &b));
	CHECK_OK(fstat(q[0], &c));
	CHECK(S_ISFIFO(a.st_mode));
	CHECK(S_ISFIFO(b.st_mode));
	CHECK_EQ(a.st_mode & 07777, 0600);
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK(a.st_ino != c.st_ino);
	CHECK_EQ(a.st_blksize, 4096);
	CHECK_EQ(a.st_nlink, 1);
	CHECK_EQ(a.st_uid, geteuid());
	close2(p);
	close2(q);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, basic_rw, readv_writev, eof_after_writer_close,
			 epipe_sigpipe_ignored, epipe_sigpipe_delivered, sigpipe_kills_by_default,
			 nonblock_eagain, nonblock_setfl, pipe_size, fionread,
			 atomic_writes_two_writers, transfer_1mib, pipe2_flags, packet_mode,
			 read_interrupted_eintr, read_interrupted_restart, fstat_fifo);
}
