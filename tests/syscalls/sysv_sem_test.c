/* System V semaphores: semget/semop/semtimedop/semctl semantics. */
#include <grp.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/time.h>
#include <time.h>

#include "testlib.h"

union semun {
	int val;
	struct semid_ds *buf;
	unsigned short *array;
};

static int op(int id, unsigned short num, short o, short flg)
{
	struct sembuf b = {num, o, flg};
	return semop(id, &b, 1);
}

TEST(sem_basic_ctl)
{
	int id = CHECK_OK(semget(IPC_PRIVATE, 3, IPC_CREAT | 0600));
	struct semid_ds ds;
	CHECK_OK(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
	CHECK_EQ(ds.sem_nsems, 3);
	CHECK_EQ(ds.sem_perm.mode & 0777, 0600);
	CHECK_EQ(ds.sem_otime, 0);
	CHECK_EQ(semctl(id, 1, GETVAL), 0);
	CHECK_OK(semctl(id, 1, SETVAL, (union semun){.val = 5}));
	CHECK_EQ(semctl(id, 1, GETVAL), 5);
	CHECK_EQ(semctl(id, 1, GETPID), getpid());
	CHECK_ERRNO(semctl(id, 1, SETVAL, (union semun){.val = 40000}), ERANGE);
	CHECK_ERRNO(semctl(id, 3, GETVAL), EINVAL);
	unsigned short all[3] = {1, 2, 3}, got[3];
	CHECK_OK(semctl(id, 0, SETALL, (union semun){.array = all}));
	CHECK_OK(semctl(id, 0, GETALL, (union semun){.array = got}));
	CHECK(got[0] == 1 && got[1] == 2 && got[2] == 3);
	/* All or nothing: the second op cannot proceed, so the first is not
	 * applied either. */
	struct sembuf two[2] = {{0, -1, IPC_NOWAIT}, {1, -3, IPC_NOWAIT}};
	CHECK_ERRNO(semop(id, two, 2), EAGAIN);
	CHECK_EQ(semctl(id, 0, GETVAL), 1);
	two[1].sem_op = -2;
	CHECK_OK(semop(id, two, 2));
	CHECK_EQ(semctl(id, 0, GETVAL), 0);
	CHECK_EQ(semctl(id, 1, GETVAL), 0);
	CHECK_OK(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
	CHECK(ds.sem_otime != 0);
	/* Wait-for-zero on a zero semaphore succeeds at once. */
	CHECK_OK(op(id, 0, 0, IPC_NOWAIT));
	CHECK_ERRNO(op(id, 2, 0, IPC_NOWAIT), EAGAIN);
	CHECK_ERRNO(op(id, 3, 1, 0), EFBIG);
	CHECK_ERRNO(op(id, 2, 32767, 0), ERANGE);
	CHECK_ERRNO(semop(id, two, 0), EINVAL);
	ds.sem_perm.mode = 0640;
	CHECK_OK(semctl(id, 0, IPC_SET, (union semun){.buf = &ds}));
	CHECK_OK(semctl(id, 0, IPC_STAT, (union semun){.buf = &ds}));
	CHECK_EQ(ds.sem_perm.mode & 0777, 0640);
	CHECK_OK(semctl(id, 0, IPC_RMID));
	CHECK_ERRNO(semctl(id, 0, GETVAL), EINVAL);
	CHECK_ERRNO(op(id, 0, 1, 0), EINVAL);
	CHECK_ERRNO(semget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
	CHECK_ERRNO(semget(IPC_PRIVATE, -1, IPC_CREAT | 0600), EINVAL);
}

TEST(sem_keys)
{
	const char *dir = tl_tmpdir();
	CHECK(dir);
	key_t key = ftok(dir, 'm');
	CHECK_ERRNO(semget(key, 1, 0600), ENOENT);
	int id = CHECK_OK(semget(key, 2, IPC_CREAT | IPC_EXCL | 0600));
	CHECK_ERRNO(semget(key, 2, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	CHECK_EQ(semget(key, 0, 0), id);
	CHECK_EQ(semget(key, 2, 0), id);
	CHECK_ERRNO(semget(key, 3, 0), EINVAL);
	CHECK_OK(semctl(id, 0, IPC_RMID));
}

TEST(sem_blocking_wakeup)
{
	int id = CHECK_OK(semget(IPC_PRIVATE, 2, IPC_CREAT | 0600));
	pid_t c = CHECK_OK(fork());
	if (c == 0) {
		/* Waits for 2 units, then announces on sem 1. */
		CCHECK(op(id, 0, -2, 0) == 0);
		CCHECK(op(id, 1, 1, 0) == 0);
		_exit(0);
	}
	while (semctl(id, 0, GETNCNT) != 1)
		usleep(1000);
	CHECK_EQ(semctl(id, 0, GETZCNT), 0);
	CHECK_OK(op(id, 0, 1, 0));
	usleep(10000);
	CHECK_EQ(semctl(id, 0, GETVAL), 1); /* one unit is not enough */
	CHECK_OK(op(id, 0, 1, 0));
	CHECK_OK(op(id, 1, -1, 0)); /* blocks until the child ran */
	WAIT_EXIT(c, 0);
	CHECK_EQ(semctl(id, 0, GETVAL), 0);
	CHECK_EQ(semctl(id, 0, GETPID), c);
	CHECK_EQ(semctl(id, 0, GETNCNT), 0);

	/* Waiting for zero. */
	CHECK_OK(semctl(id, 1, SETVAL, (union semun){.val = 1}));
	c = CHECK_OK(fork());
	if (c == 0) {
		CCHECK(op(id, 1, 0, 0) == 0);
		_exit(0);
	}
	while (semctl(id, 1, GETZCNT) != 1)
		usleep(1000);
	CHECK_OK(op(id, 1, -1, 0));
	WAIT_EXIT(c, 0);

	/* Removal wakes sleepers with EIDRM. */
	c = CHECK_OK(fork());
	if (c == 0) {
		CCHECK(op(id, 0, -1, 0) == -1 && errno == EIDRM);
		_exit(0);
	}
	while (semctl(id, 0, GETNCNT) != 1)
		usleep(1000);
	CHECK_OK(semctl(id, 0, IPC_RMID));
	WAIT_EXIT(c, 0);
}

static void on_alarm(int sig) { (void)sig; }

TEST(sem_timeout_and_signal)
{
	int id = CHECK_OK(semget(IPC_PRIVATE, 1, IPC_CREAT | 0600));
	struct sembuf b = {0, -1, 0};
	struct timespec ts = {0, 20 * 1000 * 1000}, t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_ERRNO(semtimedop(id, &b, 1, &ts), EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) >= 20000000L);
	ts.tv_nsec = 1000000000L;
	CHECK_ERRNO(semtimedop(id, &b, 1, &ts), EINVAL);
	/* A handled signal ends the wait with EINTR even with SA_RESTART. */
	struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	CHECK_OK(sigaction(SIGALRM, &sa, NULL));
	struct itimerval it = {{0, 0}, {0, 20000}};
	CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
	CHECK_ERRNO(semop(id, &b, 1), EINTR);
	CHECK_EQ(semctl(id, 0, GETNCNT), 0);
	signal(SIGALRM, SIG_DFL);
	CHECK_OK(semctl(id, 0, IPC_RMID));
}

TEST(sem_undo)
{
	int id = CHECK_OK(semget(IPC_PRIVATE, 2, IPC_CREAT | 0600));
	CHECK_OK(semctl(id, 0, SETVAL, (union semun){.val = 3}));
	pid_t c = CHECK_OK(fork());
	if (c == 0) {
		/* Takes 2 with undo and 1 more from sem 1 with undo, then dies
		 * without giving anything back. */
		CCHECK(op(id, 0, -2, SEM_UNDO) == 0);
		CCHECK(op(id, 1, 1, SEM_UNDO) == 0);
		CCHECK(op(id, 1, 1, 0) == 0);
		_exit(0);
	}
	WAIT_EXIT(c, 0);
	CHECK_EQ(semctl(id, 0, GETVAL), 3);
	CHECK_EQ(semctl(id, 1, GETVAL), 1);
	CHECK_EQ(semctl(id, 0, GETPID), c);
	/* A killed process is undone too; SETVAL cancels pending undo. */
	c = CHECK_OK(fork());
	if (c == 0) {
		CCHECK(op(id, 0, -1, SEM_UNDO) == 0);
		CCHECK(op(id, 1, -1, SEM_UNDO) == 0);
		CCHECK(semctl(id, 1, SETVAL, (union semun){.val = 7}) == 0);
		pause();
		_exit(1);
	}
	while (semctl(id, 1, GETVAL) != 7)
		usleep(1000);
	CHECK_OK(kill(c, SIGKILL));
	int st;
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(semctl(id, 0, GETVAL), 3);
	CHECK_EQ(semctl(id, 1, GETVAL), 7);
	/* SETVAL forgets the adjustments made before it. */
	c = CHECK_OK(fork());
	if (c == 0) {
		CCHECK(op(id, 1, 5, SEM_UNDO) == 0);
		CCHECK(semctl(id, 1, SETVAL, (union semun){.val = 12}) == 0);
		CCHECK(op(id, 1, -10, 0) == 0);
		CCHECK(op(id, 1, 2, SEM_UNDO) == 0);
		_exit(0);
	}
	WAIT_EXIT(c, 0);
	CHECK_EQ(semctl(id, 1, GETVAL), 2);
	CHECK_OK(semctl(id, 0, IPC_RMID));
}

TEST(sem_perms)
{
	if (geteuid() != 0)
		return;
	int id = CHECK_OK(semget(IPC_PRIVATE, 1, IPC_CREAT | 0604));
	pid_t c = CHECK_OK(fork());
	if (c == 0) {
		CCHECK(setgroups(0, NULL) == 0);
		CCHECK(setresgid(65534, 65534, 65534) == 0);
		CCHECK(setresuid(65534, 65534, 65534) == 0);
		CCHECK(semctl(id, 0, GETVAL) == 0);
		CCHECK(op(id, 0, 0, IPC_NOWAIT) == 0);
		CCHECK(op(id, 0, 1, 0) == -1 && errno == EACCES);
		CCHECK(semctl(id, 0, SETVAL, (union semun){.val = 1}) == -1 && errno == EACCES);
		CCHECK(semctl(id, 0, IPC_RMID) == -1 && errno == EPERM);
		_exit(0);
	}
	WAIT_EXIT(c, 0);
	CHECK_OK(semctl(id, 0, IPC_RMID));
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, sem_basic_ctl, sem_keys, sem_blocking_wakeup,
			 sem_timeout_and_signal, sem_undo, sem_perms);
}
