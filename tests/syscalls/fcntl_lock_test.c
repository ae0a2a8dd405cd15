/* fcntl_lock_test: POSIX record locks (ranges, split and merge, F_GETLK,
 * release by closing any fd, EDEADLK, EINTR, F_SETLKW wake-up) and OFD
 * locks next to them. */
#include <fcntl.h>
#include <signal.h>

#include "testlib.h"

static const char *dir;
static char path[128];

static void setup(void)
{
	CHECK((dir = tl_tmpdir()) != NULL);
	snprintf(path, sizeof path, "%s/f", dir);
	int fd = CHECK_OK(open(path, O_CREAT | O_RDWR, 0644));
	char buf[300] = {0};
	CHECK_EQ(write(fd, buf, sizeof buf), 300);
	close(fd);
}

static void teardown(void)
{
	tl_rmtree(dir);
}

static int setlk(int fd, int cmd, int type, int whence, off_t start, off_t len)
{
	struct flock fl = {.l_type = (short)type, .l_whence = (short)whence, .l_start = start,
			   .l_len = len};
	return fcntl(fd, cmd, &fl);
}

/* F_GETLK (or F_OFD_GETLK) for type on [start, start+len). */
static struct flock getlk(int fd, int cmd, int type, off_t start, off_t len)
{
	struct flock fl = {.l_type = (short)type, .l_whence = SEEK_SET, .l_start = start,
			   .l_len = len};
	if (fcntl(fd, cmd, &fl))
		fl.l_type = -1;
	return fl;
}

/* In a child: the lock another process holds over [start, start+len)
 * must be (type, ostart, olen, pid); type F_UNLCK: none. */
static void expect(int fd, int type, off_t start, off_t len, int otype, off_t ostart, off_t olen,
		   pid_t pid)
{
	struct flock fl = getlk(fd, F_GETLK, type, start, len);
	if (fl.l_type != otype || (otype != F_UNLCK && (fl.l_start != ostart ||
							 fl.l_len != olen || fl.l_pid != pid ||
							 fl.l_whence != SEEK_SET))) {
		printf("FAIL: getlk(%d, %ld, %ld): type %d start %ld len %ld pid %d, want %d %ld "
		       "%ld %d\n",
		       type, (long)start, (long)len, fl.l_type, (long)fl.l_start, (long)fl.l_len,
		       fl.l_pid, otype, (long)ostart, (long)olen, pid);
		fflush(stdout);
		_exit(99);
	}
}

/* Runs fn(fd, arg) in a child with its own descriptor of the file. */
static void in_child(void (*fn)(int fd, pid_t parent))
{
	pid_t parent = getpid();
	fflush(stdout);
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		int fd = open(path, O_RDWR);
		CCHECK(fd >= 0);
		fn(fd, parent);
		_exit(0);
	}
	WAIT_EXIT(pid, 0);
}

static void ranges_1(int fd, pid_t p)
{
	expect(fd, F_WRLCK, 5, 20, F_WRLCK, 0, 10, p);
	expect(fd, F_RDLCK, 20, 6, F_UNLCK, 0, 0, 0);
	expect(fd, F_WRLCK, 25, 1, F_RDLCK, 20, 10, p);
	expect(fd, F_RDLCK, 10, 10, F_UNLCK, 0, 0, 0);
	expect(fd, F_WRLCK, 5000, 1, F_RDLCK, 1000, 0, p);
	expect(fd, F_WRLCK, 45, 1, F_WRLCK, 40, 10, p);
	expect(fd, F_WRLCK, 201, 10, F_WRLCK, 205, 1, p);
	expect(fd, F_WRLCK, 280, 12, F_WRLCK, 290, 5, p);
	/* A read lock cannot be taken under a write lock. */
	CCHECK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 9, 1) == -1 &&
	       (errno == EAGAIN || errno == EACCES));
	CCHECK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 21, 1) == 0);
}

static void ranges_2(int fd, pid_t p)
{
	expect(fd, F_WRLCK, 0, 100, F_WRLCK, 0, 3, p);
	expect(fd, F_WRLCK, 3, 97, F_WRLCK, 6, 4, p);
	expect(fd, F_WRLCK, 20, 10, F_WRLCK, 20, 10, p);
}

static void ranges_3(int fd, pid_t p)
{
	/* Merged back into one. */
	expect(fd, F_RDLCK, 0, 100, F_WRLCK, 0, 30, p);
	expect(fd, F_RDLCK, 30, 10, F_UNLCK, 0, 0, 0);
}

TEST(posix_ranges_and_getlk)
{
	setup();
	int fd = CHECK_OK(open(path, O_RDWR));
	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
	CHECK_OK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 20, 10));
	CHECK_OK(setlk(fd, F_SETLK, F_RDLCK, SEEK_SET, 1000, 0));
	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 50, -10));
	CHECK_EQ(lseek(fd, 200, SEEK_SET), 200);
	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_CUR, 5, 1));
	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_END, -10, 5));
	/* Our own locks never conflict with us. */
	struct flock fl = getlk(fd, F_GETLK, F_WRLCK, 0, 0);
	CHECK_EQ(fl.l_type, F_UNLCK);
	in_child(ranges_1);
	/* Split: a hole in the middle; upgrade of a read lock. */
	CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 3, 3));
	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 20, 10));
	CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 30, 0));
	in_child(ranges_2);
	/* Filling the hole and the gap merges the three. */
	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 3, 3));
	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 10, 10));
	in_child(ranges_3);
	close(fd);
	teardown();
}

static void none_left(int fd, pid_t p) { expect(fd, F_WRLCK, 0, 0, F_UNLCK, 0, 0, 0); }

static void ofd_left(int fd, pid_t p)
{
	expect(fd, F_WRLCK, 0, 0, F_WRLCK, 100, 10, -1);
}

TEST(posix_close_any_fd_releases)
{
	setup();
	int fd = CHECK_OK(open(path, O_RDWR));
	int ofd = CHECK_OK(open(path, O_RDWR));
	int other = CHECK_OK(open(path, O_RDONLY));
	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
	CHECK_OK(setlk(ofd, F_OFD_SETLK, F_WRLCK, SEEK_SET, 100, 10));
	/* Closing a descriptor the lock was not taken through. */
	close(other);
	in_child(ofd_left);
	close(ofd);
	in_child(none_left);
	/* dup2 over a descriptor of the file closes it too. */
	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
	int d = CHECK_OK(dup(fd));
	int null = CHECK_OK(open("/dev/null", O_RDONLY));
	CHECK_EQ(dup2(null, d), d);
	in_child(none_left);
	close(d);
	close(null);
	close(fd);
	teardown();
}

TEST(posix_deadlock)
{
	int ready[2], go[2];
	char c;
	setup();
	int fd = CHECK_OK(open(path, O_RDWR));
	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 1));
	CHECK_OK(pipe(ready));
	CHECK_OK(pipe(go));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		close(ready[0]);
		close(go[1]);
		close(fd);
		int cfd = open(path, O_RDWR);
		CCHECK(cfd >= 0);
		CCHECK(setlk(cfd, F_SETLK, F_WRLCK, SEEK_SET, 1, 1) == 0);
		CCHECK(write(ready[1], "r", 1) == 1);
		CCHECK(read(go[0], &c, 1) == 1);
		/* Whichever of us asks second closes the cycle. */
		if (setlk(cfd, F_SETLKW, F_WRLCK, SEEK_SET, 0, 1) == 0)
			_exit(0);
		CCHECK(errno == EDEADLK);
		_exit(1);
	}
	close(ready[1]);
	close(go[0]);
	CHECK_EQ(read(ready[0], &c, 1), 1);
	CHECK_EQ(write(go[1], "g", 1), 1);
	int r = setlk(fd, F_SETLKW, F_WRLCK, SEEK_SET, 1, 1);
	int e = errno;
	if (r == 0) {
		/* The child got EDEADLK and exited, releasing its lock. */
		WAIT_EXIT(pid, 1);
	} else {
		CHECK_EQ(e, EDEADLK);
		CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
		WAIT_EXIT(pid, 0);
	}
	close(ready[0]);
	close(go[1]);
	close(fd);
	teardown();
}

/* In the holder child: a write lock on the whole file. */
static int lock_all(void)
{
	int fd = open(path, O_RDWR);
	return fd < 0 ? -1 : setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0);
}

TEST(posix_setlkw_interrupted)
{
	setup();
	pid_t pid = CHECK_OK(tl_fork_holder(lock_all));
	int fd = CHECK_OK(open(path, O_RDWR));
	CHECK_OK(tl_alarms_start(20000));
	int r = setlk(fd, F_SETLKW, F_RDLCK, SEEK_SET, 10, 1);
	int e = errno;
	tl_alarms_stop();
	CHECK_EQ(r, -1);
	CHECK_EQ(e, EINTR);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* The holder's exit dropped its lock. */
	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 0));
	close(fd);
	teardown();
}

TEST(posix_setlkw_waits)
{
	int ready[2], order[2];
	char buf[4] = {0};
	setup();
	int fd = CHECK_OK(open(path, O_RDWR));
	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, SEEK_SET, 0, 100));
	CHECK_OK(pipe(ready));
	CHECK_OK(pipe(order));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		close(ready[0]);
		close(order[0]);
		int cfd = open(path, O_RDWR);
		CCHECK(cfd >= 0);
		CCHECK(write(ready[1], "r", 1) == 1);
		CCHECK(setlk(cfd, F_SETLKW, F_WRLCK, SEEK_SET, 50, 1) == 0);
		CCHECK(write(order[1], "C", 1) == 1);
		_exit(0);
	}
	close(ready[1]);
	CHECK_EQ(read(ready[0], buf, 1), 1);
	/* Unlocking another part wakes nobody for good. */
	CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 10));
	CHECK_EQ(write(order[1], "P", 1), 1);
	close(order[1]);
	CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, SEEK_SET, 0, 0));
	WAIT_EXIT(pid, 0);
	CHECK_EQ(read(order[0], buf, sizeof buf), 2);
	CHECK_STREQ(buf, "PC");
	close(fd);
	close(ready[0]);
	close(order[0]);
	teardown();
}

TEST(ofd_independent_of_posix)
{
	setup();
	int a = CHECK_OK(open(path, O_RDWR));
	int b = CHECK_OK(open(path, O_RDWR));
	int c = CHECK_OK(open(path, O_RDWR));
	CHECK_OK(setlk(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 10));
	/* An OFD lock conflicts with our own process's POSIX lock... */
	CHECK_ERRNO(setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 5, 10), EAGAIN);
	struct flock fl = getlk(b, F_OFD_GETLK, F_RDLCK, 0, 100);
	CHECK_EQ(fl.l_type, F_WRLCK);
	CHECK_EQ(fl.l_start, 0);
	CHECK_EQ(fl.l_len, 10);
	CHECK_EQ(fl.l_pid, getpid());
	/* ...and with another description's OFD lock. */
	CHECK_OK(setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 20, 10));
	CHECK_ERRNO(setlk(c, F_OFD_SETLK, F_RDLCK, SEEK_SET, 25, 1), EAGAIN);
	CHECK_ERRNO(setlk(a, F_SETLK, F_RDLCK, SEEK_SET, 25, 1), EAGAIN);
	fl = getlk(a, F_GETLK, F_RDLCK, 0, 100);
	CHECK_EQ(fl.l_type, F_WRLCK);
	CHECK_EQ(fl.l_start, 20);
	CHECK_EQ(fl.l_pid, -1);
	/* The same description may re-lock its own range. */
	CHECK_OK(setlk(b, F_OFD_SETLK, F_RDLCK, SEEK_SET, 20, 10));
	CHECK_OK(setlk(c, F_OFD_SETLK, F_RDLCK, SEEK_SET, 25, 1));
	/* Closing c drops the POSIX lock of a (same process) but no OFD lock
	 * except c's own, which goes with its description. */
	close(c);
	CHECK_OK(setlk(b, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 10));
	CHECK_ERRNO(setlk(a, F_SETLK, F_WRLCK, SEEK_SET, 20, 1), EAGAIN);
	/* l_pid must be 0 for OFD commands. */
	struct flock bad = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_pid = 1};
	CHECK_ERRNO(fcntl(b, F_OFD_SETLK, &bad), EINVAL);
	CHECK_ERRNO(fcntl(b, F_OFD_GETLK, &bad), EINVAL);
	close(b);
	CHECK_OK(setlk(a, F_SETLK, F_WRLCK, SEEK_SET, 0, 0));
	close(a);
	teardown();
}

TEST(lock_errors)
{
	setup();
	int r = CHECK_OK(open(path, O_RDONLY));
	int w = CHECK_OK(open(path, O_WRONLY));
	CHECK_ERRNO(setlk(r, F_SETLK, F_WRLCK, SEEK_SET, 0, 1), EBADF);
	CHECK_ERRNO(setlk(w, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), EBADF);
	CHECK_ERRNO(setlk(r, F_OFD_SETLK, F_WRLCK, SEEK_SET, 0, 1), EBADF);
	CHECK_ERRNO(setlk(r, F_SETLK, 77, SEEK_SET, 0, 1), EINVAL);
	CHECK_ERRNO(setlk(r, F_SETLK, F_RDLCK, 7, 0, 1), EINVAL);
	CHECK_ERRNO(setlk(r, F_SETLK, F_RDLCK, SEEK_SET, -1, 1), EINVAL);
	CHECK_ERRNO(setlk(r, F_SETLK, F_RDLCK, SEEK_SET, 5, -10), EINVAL);
	CHECK_OK(setlk(r, F_SETLK, F_UNLCK, SEEK_SET, 0, 1));
	struct flock fl = {.l_type = F_UNLCK, .l_whence = SEEK_SET};
	CHECK_ERRNO(fcntl(r, F_GETLK, &fl), EINVAL);
	CHECK_ERRNO(fcntl(r, F_GETLK, (void *)1), EFAULT);
	CHECK_ERRNO(setlk(999, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), EBADF);
	int p = CHECK_OK(open(path, O_PATH));
	CHECK_ERRNO(setlk(p, F_SETLK, F_RDLCK, SEEK_SET, 0, 1), EBADF);
	close(p);
	close(r);
	close(w);
	teardown();
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, posix_ranges_and_getlk, posix_close_any_fd_releases,
			 posix_deadlock, posix_setlkw_interrupted, posix_setlkw_waits,
			 ofd_independent_of_posix, lock_errors);
}
