/* flock_test: flock(2) between processes, sharing through dup and fork,
 * release on last close, shared locks and conversion, pipes, errors. */
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>

#include "testlib.h"

static const char *dir;
static char path[128];

/* A fresh directory with one file "f" in it. */
static void setup(void)
{
	CHECK((dir = tl_tmpdir()) != NULL);
	snprintf(path, sizeof path, "%s/f", dir);
	int fd = CHECK_OK(open(path, O_CREAT | O_RDWR, 0644));
	close(fd);
}

static void teardown(void)
{
	tl_rmtree(dir);
}

TEST(flock_between_processes)
{
	int p1[2], order[2];
	char buf[4] = {0};
	setup();
	int fd = CHECK_OK(open(path, O_RDWR));
	CHECK_OK(flock(fd, LOCK_EX));
	CHECK_OK(pipe(p1));
	CHECK_OK(pipe(order));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		close(p1[0]);
		close(order[0]);
		close(fd); /* it shares the parent's lock */
		int cfd = open(path, O_RDWR);
		CCHECK(cfd >= 0);
		CCHECK(flock(cfd, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK);
		/* A shared lock conflicts with the exclusive one too. */
		CCHECK(flock(cfd, LOCK_SH | LOCK_NB) == -1 && errno == EWOULDBLOCK);
		CCHECK(write(p1[1], "a", 1) == 1);
		CCHECK(flock(cfd, LOCK_EX) == 0);
		CCHECK(write(order[1], "C", 1) == 1);
		_exit(0);
	}
	close(p1[1]);
	CHECK_EQ(read(p1[0], buf, 1), 1);
	/* Written before the lock goes: the child can only write after. */
	CHECK_EQ(write(order[1], "P", 1), 1);
	close(order[1]);
	close(fd); /* the last reference: the lock goes */
	WAIT_EXIT(pid, 0);
	CHECK_EQ(read(order[0], buf, sizeof buf), 2);
	CHECK_STREQ(buf, "PC");
	close(p1[0]);
	close(order[0]);
	teardown();
}

TEST(flock_order_through_pipe)
{
	int ready[2], order[2];
	char buf[4] = {0};
	setup();
	int fd = CHECK_OK(open(path, O_RDWR));
	CHECK_OK(flock(fd, LOCK_EX));
	CHECK_OK(pipe(ready));
	CHECK_OK(pipe(order));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		close(ready[0]);
		int cfd = open(path, O_RDONLY);
		CCHECK(cfd >= 0);
		CCHECK(write(ready[1], "r", 1) == 1);
		CCHECK(flock(cfd, LOCK_EX) == 0);
		CCHECK(write(order[1], "C", 1) == 1);
		_exit(0);
	}
	close(ready[1]);
	CHECK_EQ(read(ready[0], buf, 1), 1);
	CHECK_EQ(write(order[1], "P", 1), 1);
	CHECK_OK(flock(fd, LOCK_UN));
	close(order[1]);
	WAIT_EXIT(pid, 0);
	CHECK_EQ(read(order[0], buf, sizeof buf), 2);
	CHECK_STREQ(buf, "PC");
	close(fd);
	close(ready[0]);
	close(order[0]);
	teardown();
}

TEST(flock_shared_by_dup_and_fork)
{
	int go[2];
	char c;
	setup();
	int fd = CHECK_OK(open(path, O_RDWR));
	int other = CHECK_OK(open(path, O_RDWR));
	CHECK_OK(flock(fd, LOCK_EX));
	int fd2 = CHECK_OK(dup(fd));
	close(fd);
	/* The dup keeps the open file description, hence the lock. */
	CHECK_ERRNO(flock(other, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	/* Locking again through the dup is the same owner: fine. */
	CHECK_OK(flock(fd2, LOCK_EX | LOCK_NB));
	CHECK_OK(pipe(go));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		close(go[1]);
		close(other);
		CCHECK(read(go[0], &c, 1) == 0);
		_exit(0);
	}
	close(go[0]);
	close(fd2);
	/* The child still holds a reference. */
	CHECK_ERRNO(flock(other, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	close(go[1]);
	WAIT_EXIT(pid, 0);
	CHECK_OK(flock(other, LOCK_EX | LOCK_NB));
	close(other);
	teardown();
}

TEST(flock_shared_and_conversion)
{
	setup();
	int a = CHECK_OK(open(path, O_RDONLY));
	int b = CHECK_OK(open(path, O_RDONLY));
	int c = CHECK_OK(open(path, O_WRONLY));
	CHECK_OK(flock(a, LOCK_SH));
	CHECK_OK(flock(b, LOCK_SH | LOCK_NB));
	CHECK_ERRNO(flock(c, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	/* A failed conversion has already given the shared lock up. */
	CHECK_ERRNO(flock(a, LOCK_EX | LOCK_NB), EWOULDBLOCK);
	CHECK_OK(flock(b, LOCK_UN));
	CHECK_OK(flock(c, LOCK_EX | LOCK_NB));
	CHECK_ERRNO(flock(a, LOCK_SH | LOCK_NB), EWOULDBLOCK);
	/* Downgrade. */
	CHECK_OK(flock(c, LOCK_SH));
	CHECK_OK(flock(a, LOCK_SH | LOCK_NB));
	/* Unlocking what is not locked is fine. */
	CHECK_OK(flock(b, LOCK_UN));
	close(a);
	close(b);
	close(c);
	teardown();
}

TEST(flock_pipe)
{
	int p[2];
	CHECK_OK(pipe(p));
	CHECK_OK(flock(p[0], LOCK_EX));
	/* Both ends are one inode. */
	CHECK_ERRNO(flock(p[1], LOCK_EX | LOCK_NB), EWOULDBLOCK);
	close(p[0]);
	CHECK_OK(flock(p[1], LOCK_EX | LOCK_NB));
	close(p[1]);
}

TEST(flock_errors)
{
	setup();
	int fd = CHECK_OK(open(path, O_RDONLY));
	CHECK_ERRNO(flock(-1, LOCK_SH), EBADF);
	CHECK_ERRNO(flock(999, LOCK_SH), EBADF);
	CHECK_ERRNO(flock(fd, 0), EINVAL);
	CHECK_ERRNO(flock(fd, LOCK_NB), EINVAL);
	CHECK_ERRNO(flock(fd, LOCK_SH | LOCK_EX), EINVAL);
	int pfd = CHECK_OK(open(path, O_PATH));
	CHECK_ERRNO(flock(pfd, LOCK_SH), EBADF);
	close(pfd);
	close(fd);
	teardown();
}

/* In the holder child: an exclusive lock on the file. */
static int lock_ex(void)
{
	int fd = open(path, O_RDWR);
	return fd < 0 ? -1 : flock(fd, LOCK_EX);
}

TEST(flock_interrupted)
{
	setup();
	pid_t pid = CHECK_OK(tl_fork_holder(lock_ex));
	int fd = CHECK_OK(open(path, O_RDWR));
	CHECK_OK(tl_alarms_start(20000));
	int r = flock(fd, LOCK_EX);
	int e = errno;
	tl_alarms_stop();
	CHECK_EQ(r, -1);
	CHECK_EQ(e, EINTR);
	CHECK(tl_alarms > 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	/* The holder died: its lock went with it. */
	CHECK_OK(flock(fd, LOCK_EX | LOCK_NB));
	close(fd);
	teardown();
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, flock_between_processes, flock_order_through_pipe,
			 flock_shared_by_dup_and_fork, flock_shared_and_conversion, flock_pipe,
			 flock_errors, flock_interrupted);
}
