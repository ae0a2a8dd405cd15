/* fork_test: fork and vfork: return values, copy-on-write memory, shared mappings, fd tables, exit
 * statuses, RLIMIT_NPROC. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "testlib.h"

/*
 * A failed check in a child must not longjmp into the copy of the test
 * runner: it reports the line and ends the child with 99, which the
 * parent's wait_exit then turns into a failure.
 */
/* Reaps pid and checks that it exited with code. */
TEST(fork_returns)
{
	pid_t parent = getpid();
	int p[2];
	pid_t child_view;

	CHECK_OK(pipe(p));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		pid_t me = getpid();

		CCHECK(getppid() == parent);
		CCHECK(me != parent);
		CCHECK(write(p[1], &me, sizeof me) == sizeof me);
		_exit(7);
	}
	CHECK(pid > 0);
	CHECK(pid != parent);
	/* Only the child holds the write end: should it die, end of file, not a hang. */
	close(p[1]);
	CHECK_EQ(read(p[0], &child_view, sizeof child_view), sizeof child_view);
	/* What fork returned is the pid the child sees for itself. */
	CHECK_EQ(child_view, pid);
	WAIT_EXIT(pid, 7);
	close(p[0]);
}

#define HEAP_SIZE (1 << 20)
#define PRIV_SIZE (16 * 4096)

/* Every page of each region, and the stack word, hold byte c. */
static int all_are(volatile char *stackv, char *heap, char *priv, char c)
{
	if (*stackv != c)
		return 0;
	for (size_t i = 0; i < HEAP_SIZE; i += 4096)
		if (heap[i] != c || heap[i + 4095] != c)
			return 0;
	for (size_t i = 0; i < PRIV_SIZE; i += 4096)
		if (priv[i] != c || priv[i + 4095] != c)
			return 0;
	return 1;
}

static void set_all(volatile char *stackv, char *heap, char *priv, char c)
{
	*stackv = c;
	memset(heap, c, HEAP_SIZE);
	memset(priv, c, PRIV_SIZE);
}

TEST(cow_private_memory)
{
	volatile char stackv;
	char *heap = malloc(HEAP_SIZE);
	char *priv =
	    mmap(NULL, PRIV_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int go[2], done[2];
	char c;

	CHECK(heap != NULL);
	CHECK(priv != MAP_FAILED);
	CHECK_OK(pipe(go));
	CHECK_OK(pipe(done));
	set_all(&stackv, heap, priv, 'A');
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		CCHECK(all_are(&stackv, heap, priv, 'A'));
		/* The parent has written 'B' everywhere by now. */
		CCHECK(read(go[0], &c, 1) == 1);
		CCHECK(all_are(&stackv, heap, priv, 'A'));
		set_all(&stackv, heap, priv, 'C');
		CCHECK(all_are(&stackv, heap, priv, 'C'));
		CCHECK(write(done[1], "x", 1) == 1);
		_exit(0);
	}
	close(done[1]);
	set_all(&stackv, heap, priv, 'B');
	CHECK_EQ(write(go[1], "x", 1), 1);
	CHECK_EQ(read(done[0], &c, 1), 1);
	/* The child has written 'C' everywhere in its copy. */
	CHECK(all_are(&stackv, heap, priv, 'B'));
	WAIT_EXIT(pid, 0);
	CHECK(all_are(&stackv, heap, priv, 'B'));
	free(heap);
	munmap(priv, PRIV_SIZE);
	close(go[0]);
	close(go[1]);
	close(done[0]);
}

TEST(shared_anon_stays_shared)
{
	size_t len = 4 * 4096;
	char *sh = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	CHECK(sh != MAP_FAILED);
	memset(sh, 'p', len);
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		CCHECK(sh[0] == 'p' && sh[len - 1] == 'p');
		memset(sh, 'c', len);
		strcpy(sh + 4096, "from the child");
		_exit(0);
	}
	WAIT_EXIT(pid, 0);
	CHECK_EQ(sh[0], 'c');
	CHECK_EQ(sh[len - 1], 'c');
	CHECK_STREQ(sh + 4096, "from the child");
	munmap(sh, len);
}

TEST(fd_table_copied)
{
	int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
	char buf[8];

	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		CCHECK(close(fd) == 0);
		CCHECK(fcntl(fd, F_GETFD) == -1 && errno == EBADF);
		/* An fd the child opens does not appear in the parent. */
		CCHECK(dup2(0, 57) == 57);
		_exit(0);
	}
	WAIT_EXIT(pid, 0);
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	CHECK_EQ(pread(fd, buf, sizeof buf, 0), sizeof buf);
	CHECK_ERRNO(fcntl(57, F_GETFD), EBADF);
	close(fd);
}

/* Parent and child share the open file description, hence its offset. */
TEST(fd_offset_shared)
{
	int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
	char want[30], got[10];

	CHECK_EQ(pread(fd, want, sizeof want, 0), sizeof want);
	CHECK_EQ(read(fd, got, 10), 10);
	CHECK(memcmp(got, want, 10) == 0);
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		CCHECK(read(fd, got, 10) == 10);
		CCHECK(memcmp(got, want + 10, 10) == 0);
		_exit(0);
	}
	WAIT_EXIT(pid, 0);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 20);
	CHECK_EQ(read(fd, got, 10), 10);
	CHECK(memcmp(got, want + 20, 10) == 0);
	close(fd);
}

static volatile int vfork_marker;

TEST(vfork_suspends_parent)
{
	pid_t parent = getpid();

	vfork_marker = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		/* Only async-signal-safe calls and _exit in a vfork child. */
		struct timespec ts = {0, 20 * 1000 * 1000};

		if (getppid() != parent)
			_exit(98);
		/* Had the parent run on, it would see 0 when it checks. */
		nanosleep(&ts, NULL);
		vfork_marker = 42;
		_exit(5);
	}
	CHECK(pid > 0);
	/* Shared memory, and the child has already finished with it. */
	CHECK_EQ(vfork_marker, 42);
	WAIT_EXIT(pid, 5);
}

TEST(vfork_then_execve)
{
	char *argv[] = {"true", NULL};
	char *envp[] = {NULL};

	vfork_marker = 0;
	pid_t pid = vfork();
	if (pid == 0) {
		struct timespec ts = {0, 20 * 1000 * 1000};

		nanosleep(&ts, NULL);
		vfork_marker = 1;
		execve("/bin/true", argv, envp);
		_exit(97);
	}
	CHECK(pid > 0);
	CHECK_EQ(vfork_marker, 1);
	WAIT_EXIT(pid, 0);

	/* A failed execve leaves the parent suspended until _exit. */
	vfork_marker = 0;
	pid = vfork();
	if (pid == 0) {
		execve("/nonexistent/prog", argv, envp);
		vfork_marker = errno;
		_exit(6);
	}
	CHECK_EQ(vfork_marker, ENOENT);
	WAIT_EXIT(pid, 6);
}

TEST(exit_statuses)
{
	static const int codes[] = {0, 1, 42, 255, 256, 257};
	pid_t pids[6];

	for (int i = 0; i < 6; i++) {
		pids[i] = CHECK_OK(fork());
		if (pids[i] == 0)
			_exit(codes[i]);
	}
	/* Reaped in reverse order: each wait names its child. */
	for (int i = 5; i >= 0; i--)
		WAIT_EXIT(pids[i], codes[i] & 0xff);
	CHECK_ERRNO(waitpid(-1, NULL, WNOHANG), ECHILD);
}

/*
 * A fork bomb stopped by RLIMIT_NPROC. The limit counts the processes of
 * the real uid, and root is exempt, so the bomb runs as uid 1000. Every
 * bomb process blocks on a pipe until the one holding its write end (the
 * bomber) is gone.
 */
TEST(fork_bomb_nproc)
{
	int res[2];
	int count = -1, err = 0;

	CHECK_OK(pipe(res));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		struct rlimit rl = {20, 20};
		int hold[2], n = 0, e = 0;
		char c;

		CCHECK(pipe(hold) == 0);
		CCHECK(setrlimit(RLIMIT_NPROC, &rl) == 0);
		CCHECK(setresgid(1000, 1000, 1000) == 0);
		CCHECK(setresuid(1000, 1000, 1000) == 0);
		for (int i = 0; i < 100; i++) {
			pid_t b = fork();
			if (b == 0) {
				close(hold[1]);
				while (read(hold[0], &c, 1) > 0)
					;
				_exit(0);
			}
			if (b < 0) {
				e = errno;
				break;
			}
			n++;
		}
		close(hold[1]);
		while (wait(NULL) > 0)
			;
		CCHECK(write(res[1], &n, sizeof n) == sizeof n);
		CCHECK(write(res[1], &e, sizeof e) == sizeof e);
		_exit(0);
	}
	WAIT_EXIT(pid, 0);
	CHECK_EQ(read(res[0], &count, sizeof count), sizeof count);
	CHECK_EQ(read(res[0], &err, sizeof err), sizeof err);
	CHECK_EQ(err, EAGAIN);
	CHECK(count < 30);
	CHECK_ERRNO(waitpid(-1, NULL, WNOHANG), ECHILD);
	close(res[0]);
	close(res[1]);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, fork_returns, cow_private_memory, shared_anon_stays_shared,
			 fd_table_copied, fd_offset_shared, vfork_suspends_parent,
			 vfork_then_execve, exit_statuses, fork_bomb_nproc);
}
