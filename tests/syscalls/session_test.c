/* session_test: sessions and process groups: setsid, setpgid, getpgid, getsid and their errors. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testlib.h"

/* A failed check in a child reports its line and ends the child with 99. */
/* Blocks until the write end of p is closed everywhere. */
static void block_on(int p[2])
{
	char c;

	close(p[1]);
	while (read(p[0], &c, 1) != 0)
		;
}

TEST(setsid_in_child)
{
	pid_t parent_sid = CHECK_OK(getsid(0));

	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		pid_t me = getpid();

		/* A fresh child is in our group, so not a group leader. */
		CCHECK(getsid(0) == parent_sid);
		CCHECK(setsid() == me);
		CCHECK(getsid(0) == me);
		CCHECK(getsid(me) == me);
		CCHECK(getpgrp() == me);
		CCHECK(getpgid(0) == me);
		/* Now a group leader: a second setsid fails. */
		CCHECK(setsid() == -1 && errno == EPERM);
		/* A session leader cannot change its group. */
		CCHECK(setpgid(0, 0) == -1 && errno == EPERM);
		_exit(0);
	}
	WAIT_EXIT(pid, 0);
	CHECK_EQ(getsid(0), parent_sid);
}

TEST(setsid_by_group_leader)
{
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		CCHECK(setpgid(0, 0) == 0);
		CCHECK(setsid() == -1 && errno == EPERM);
		_exit(0);
	}
	WAIT_EXIT(pid, 0);
}

TEST(setpgid_self)
{
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		pid_t me = getpid();
		pid_t old = getpgrp();

		CCHECK(old != me);
		CCHECK(setpgid(0, 0) == 0);
		CCHECK(getpgrp() == me);
		CCHECK(getpgid(0) == me);
		/* Back into the parent's group (same session): allowed. */
		CCHECK(setpgid(0, old) == 0);
		CCHECK(getpgrp() == old);
		CCHECK(setpgid(me, me) == 0);
		CCHECK(getpgrp() == me);
		/* The session stays the parent's. */
		CCHECK(getsid(0) == getsid(getppid()));
		_exit(0);
	}
	WAIT_EXIT(pid, 0);
}

TEST(setpgid_of_child)
{
	int p[2];
	pid_t mygrp = getpgrp();

	CHECK_OK(pipe(p));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		block_on(p);
		_exit(getpgrp() == getpid() ? 0 : 1);
	}
	CHECK_EQ(getpgid(pid), mygrp);
	/* Into its own group, then into ours, then its own again. */
	CHECK_OK(setpgid(pid, pid));
	CHECK_EQ(getpgid(pid), pid);
	CHECK_OK(setpgid(pid, mygrp));
	CHECK_EQ(getpgid(pid), mygrp);
	CHECK_OK(setpgid(pid, 0));
	CHECK_EQ(getpgid(pid), pid);
	/* Into a group that does not exist in our session. */
	CHECK_ERRNO(setpgid(pid, 0x3fffff00), EPERM);
	CHECK_ERRNO(setpgid(pid, -1), EINVAL);
	close(p[0]);
	close(p[1]);
	/* The child sees the last change from its side. */
	WAIT_EXIT(pid, 0);
}

/* After the child's execve, its group is no longer ours to change. */
TEST(setpgid_after_exec)
{
	int p[2], cloexec[2];
	char c;

	CHECK_OK(pipe(p));
	CHECK_OK(pipe2(cloexec, O_CLOEXEC));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		char *argv[] = {"cat", NULL};
		char *envp[] = {NULL};

		close(cloexec[0]);
		close(p[1]);
		dup2(p[0], 0);
		execve("/bin/cat", argv, envp);
		_exit(97);
	}
	close(cloexec[1]);
	/* End of file on the close-on-exec pipe: the execve has happened. */
	CHECK_EQ(read(cloexec[0], &c, 1), 0);
	CHECK_ERRNO(setpgid(pid, pid), EACCES);
	close(p[0]);
	close(p[1]);
	close(cloexec[0]);
	WAIT_EXIT(pid, 0);
}

TEST(eperm_across_sessions)
{
	int p[2], ready[2];
	pid_t sid;

	CHECK_OK(pipe(p));
	CHECK_OK(pipe(ready));
	pid_t a = CHECK_OK(fork());
	if (a == 0) {
		pid_t s = setsid();
		CCHECK(write(ready[1], &s, sizeof s) == sizeof s);
		block_on(p);
		_exit(0);
	}
	close(ready[1]);
	CHECK_EQ(read(ready[0], &sid, sizeof sid), sizeof sid);
	CHECK_EQ(sid, a);
	CHECK_EQ(getsid(a), a);
	CHECK_EQ(getpgid(a), a);
	/* A child in another session cannot be moved, by us or into our groups. */
	CHECK_ERRNO(setpgid(a, a), EPERM);
	CHECK_ERRNO(setpgid(a, getpgrp()), EPERM);

	/* A child of our session cannot join a group of another session. */
	pid_t b = CHECK_OK(fork());
	if (b == 0) {
		CCHECK(setpgid(0, a) == -1 && errno == EPERM);
		CCHECK(getpgrp() != a);
		_exit(0);
	}
	WAIT_EXIT(b, 0);
	close(p[0]);
	close(p[1]);
	WAIT_EXIT(a, 0);
	close(ready[0]);
}

TEST(esrch_for_unknown)
{
	int p[2], gp[2];
	pid_t grandchild;

	pid_t gone = CHECK_OK(fork());
	if (gone == 0)
		_exit(0);
	WAIT_EXIT(gone, 0);
	CHECK_ERRNO(getpgid(gone), ESRCH);
	CHECK_ERRNO(getsid(gone), ESRCH);
	CHECK_ERRNO(setpgid(gone, 0), ESRCH);
	CHECK_ERRNO(getpgid(0x3fffff00), ESRCH);
	CHECK_ERRNO(getsid(0x3fffff00), ESRCH);

	/* Only ourselves and our own children: not a grandchild. */
	CHECK_OK(pipe(p));
	CHECK_OK(pipe(gp));
	pid_t child = CHECK_OK(fork());
	if (child == 0) {
		pid_t g = fork();
		CCHECK(g >= 0);
		if (g == 0) {
			block_on(p);
			_exit(0);
		}
		CCHECK(write(gp[1], &g, sizeof g) == sizeof g);
		block_on(p);
		CCHECK(waitpid(g, NULL, 0) == g);
		_exit(0);
	}
	close(gp[1]);
	CHECK_EQ(read(gp[0], &grandchild, sizeof grandchild), sizeof grandchild);
	CHECK_ERRNO(setpgid(grandchild, grandchild), ESRCH);
	CHECK_EQ(getpgid(grandchild), getpgrp());
	close(p[0]);
	close(p[1]);
	close(gp[0]);
	WAIT_EXIT(child, 0);
}

TEST(getpgid_getsid_of_others)
{
	int p[2], ready[2];
	char c;

	CHECK_EQ(getpgid(0), getpgrp());
	CHECK_EQ(getpgid(getpid()), getpgrp());
	CHECK_EQ(getsid(0), getsid(getpid()));
	CHECK_OK(pipe(p));
	CHECK_OK(pipe(ready));
	pid_t pid = CHECK_OK(fork());
	if (pid == 0) {
		CCHECK(setpgid(0, 0) == 0);
		CCHECK(write(ready[1], "r", 1) == 1);
		block_on(p);
		_exit(0);
	}
	close(ready[1]);
	CHECK_EQ(read(ready[0], &c, 1), 1);
	CHECK_EQ(getpgid(pid), pid);
	CHECK_EQ(getsid(pid), getsid(0));
	close(p[0]);
	close(p[1]);
	WAIT_EXIT(pid, 0);
	close(ready[0]);
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, setsid_in_child, setsid_by_group_leader, setpgid_self,
			 setpgid_of_child, setpgid_after_exec, eperm_across_sessions,
			 esrch_for_unknown, getpgid_getsid_of_others);
}
