/* System V shared memory: shmget/shmat/shmdt/shmctl semantics. */
#include <grp.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

#include "testlib.h"

static int nattch(int id)
{
	struct shmid_ds ds;
	if (shmctl(id, IPC_STAT, &ds))
		return -1;
	return (int)ds.shm_nattch;
}

TEST(shm_private_fork_shares)
{
	int id = CHECK_OK(shmget(IPC_PRIVATE, 10000, IPC_CREAT | 0600));
	struct shmid_ds ds;
	CHECK_OK(shmctl(id, IPC_STAT, &ds));
	CHECK_EQ(ds.shm_segsz, 10000);
	CHECK_EQ(ds.shm_nattch, 0);
	CHECK_EQ(ds.shm_cpid, getpid());
	CHECK_EQ(ds.shm_perm.mode & 0777, 0600);
	CHECK_EQ(ds.shm_perm.uid, geteuid());
	char *p = shmat(id, NULL, 0);
	CHECK(p != (void *)-1);
	CHECK_EQ(p[0], 0);
	CHECK_EQ(p[9999], 0);
	strcpy(p, "parent");
	strcpy(p + 8192, "page3");
	CHECK_EQ(nattch(id), 1);
	CHECK_OK(shmctl(id, IPC_STAT, &ds));
	CHECK_EQ(ds.shm_lpid, getpid());
	CHECK(ds.shm_atime != 0);
	int pfd[2];
	CHECK_OK(pipe(pfd));
	pid_t c = CHECK_OK(fork());
	if (c == 0) {
		char x;
		CCHECK(nattch(id) == 2);
		CCHECK(strcmp(p, "parent") == 0);
		strcpy(p, "child");
		CCHECK(read(pfd[0], &x, 1) == 1);
		CCHECK(strcmp(p + 100, "again") == 0);
		_exit(0);
	}
	/* The attachment is shared, not copy-on-write. */
	while (strcmp(p, "child") != 0)
		usleep(1000);
	strcpy(p + 100, "again");
	CHECK_EQ(write(pfd[1], "x", 1), 1);
	WAIT_EXIT(c, 0);
	close(pfd[0]);
	close(pfd[1]);
	CHECK_EQ(nattch(id), 1);
	/* A second attachment sees the same pages. */
	char *q = shmat(id, NULL, SHM_RDONLY);
	CHECK(q != (void *)-1 && q != p);
	CHECK_STREQ(q + 8192, "page3");
	CHECK_EQ(nattch(id), 2);
	CHECK_OK(shmdt(q));
	CHECK_EQ(nattch(id), 1);
	CHECK_ERRNO(shmdt(q), EINVAL);
	CHECK_ERRNO(shmdt(p + 1), EINVAL);
	CHECK_OK(shmdt(p));
	CHECK_EQ(nattch(id), 0);
	CHECK_OK(shmctl(id, IPC_STAT, &ds));
	CHECK(ds.shm_dtime != 0);
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
	CHECK_ERRNO(shmctl(id, IPC_STAT, &ds), EINVAL);
	CHECK_ERRNO(shmat(id, NULL, 0), EINVAL);
}

TEST(shm_rmid_lives_until_last_detach)
{
	int id = CHECK_OK(shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600));
	int *p = shmat(id, NULL, 0);
	CHECK(p != (void *)-1);
	*p = 42;
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
	struct shmid_ds ds;
	CHECK_OK(shmctl(id, IPC_STAT, &ds));
	CHECK(ds.shm_perm.mode & SHM_DEST);
	CHECK_EQ(ds.shm_perm.__key, IPC_PRIVATE);
	CHECK_EQ(ds.shm_nattch, 1);
	CHECK_EQ(*p, 42);
	pid_t c = CHECK_OK(fork());
	if (c == 0) {
		CCHECK(*p == 42);
		*p = 43;
		_exit(0);
	}
	WAIT_EXIT(c, 0);
	CHECK_EQ(*p, 43);
	CHECK_EQ(nattch(id), 1);
	CHECK_OK(shmdt(p));
	CHECK_ERRNO(shmctl(id, IPC_STAT, &ds), EINVAL);
}

TEST(shm_keys)
{
	const char *dir = tl_tmpdir();
	CHECK(dir);
	key_t key = ftok(dir, 's');
	CHECK(key != -1);
	CHECK_ERRNO(shmget(key, 4096, 0600), ENOENT);
	int id = CHECK_OK(shmget(key, 8192, IPC_CREAT | IPC_EXCL | 0640));
	CHECK_ERRNO(shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
	CHECK_EQ(shmget(key, 4096, 0), id);
	CHECK_EQ(shmget(key, 0, IPC_CREAT | 0600), id);
	CHECK_ERRNO(shmget(key, 8193, 0), EINVAL);
	struct shmid_ds ds;
	CHECK_OK(shmctl(id, IPC_STAT, &ds));
	CHECK_EQ(ds.shm_perm.__key, key);
	CHECK_EQ(ds.shm_perm.mode & 0777, 0640);
	ds.shm_perm.mode = 0604;
	CHECK_OK(shmctl(id, IPC_SET, &ds));
	CHECK_OK(shmctl(id, IPC_STAT, &ds));
	CHECK_EQ(ds.shm_perm.mode & 0777, 0604);
	CHECK_OK(shmctl(id, SHM_LOCK, NULL));
	CHECK_OK(shmctl(id, IPC_STAT, &ds));
	CHECK(ds.shm_perm.mode & SHM_LOCKED);
	CHECK_OK(shmctl(id, SHM_UNLOCK, NULL));
	if (geteuid() == 0) {
		/* Another user: read-only access by the "other" bits. */
		pid_t c = CHECK_OK(fork());
		if (c == 0) {
			CCHECK(setgroups(0, NULL) == 0);
			CCHECK(setresgid(65534, 65534, 65534) == 0);
			CCHECK(setresuid(65534, 65534, 65534) == 0);
			CCHECK(shmget(key, 0, 0600) == -1 && errno == EACCES);
			CCHECK(shmget(key, 0, 0400) == id);
			CCHECK(shmat(id, NULL, 0) == (void *)-1 && errno == EACCES);
			void *r = shmat(id, NULL, SHM_RDONLY);
			CCHECK(r != (void *)-1);
			CCHECK(shmctl(id, IPC_RMID, NULL) == -1 && errno == EPERM);
			CCHECK(shmctl(id, IPC_SET, &ds) == -1 && errno == EPERM);
			_exit(0);
		}
		WAIT_EXIT(c, 0);
	}
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
	CHECK_ERRNO(shmget(key, 4096, 0600), ENOENT);
	CHECK_ERRNO(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
	CHECK_ERRNO(shmctl(id, 12345, &ds), EINVAL);
}

TEST(shm_rdonly_and_addresses)
{
	int id = CHECK_OK(shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600));
	char *ro = shmat(id, NULL, SHM_RDONLY);
	CHECK(ro != (void *)-1);
	CHECK_ERRNO(mprotect(ro, 4096, PROT_READ | PROT_WRITE), EACCES);
	pid_t c = CHECK_OK(fork());
	if (c == 0) {
		ro[0] = 1;
		_exit(0);
	}
	int st;
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	/* A fixed address: taken -> EINVAL unless SHM_REMAP. */
	char *rw = shmat(id, NULL, 0);
	CHECK(rw != (void *)-1);
	CHECK_OK(shmdt(rw));
	CHECK_EQ(shmat(id, rw, 0), rw);
	CHECK_ERRNO(shmat(id, rw + 1, 0), EINVAL);
	CHECK_ERRNO(shmat(id, rw, 0), EINVAL);
	CHECK_EQ(shmat(id, rw + 1, SHM_RND | SHM_REMAP), rw);
	CHECK_ERRNO(shmat(id, NULL, SHM_REMAP), EINVAL);
	strcpy(rw, "x");
	CHECK_STREQ(ro, "x");
	CHECK_OK(shmdt(rw));
	CHECK_OK(shmdt(ro));
	/* A child's attachment goes with its exit. */
	c = CHECK_OK(fork());
	if (c == 0) {
		CCHECK(shmat(id, NULL, 0) != (void *)-1);
		CCHECK(nattch(id) == 2 - 1);
		_exit(0);
	}
	WAIT_EXIT(c, 0);
	CHECK_EQ(nattch(id), 0);
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
	CHECK_ERRNO(shmat(-1, NULL, 0), EINVAL);
}

TEST(shm_info)
{
	struct shminfo si;
	int r = CHECK_OK(shmctl(0, IPC_INFO, (struct shmid_ds *)&si));
	CHECK(r >= 0);
	CHECK(si.shmmni >= 4096);
	CHECK(si.shmmax >= (1UL << 30));
	int id = CHECK_OK(shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600));
	struct shm_info inf;
	CHECK(shmctl(0, SHM_INFO, (struct shmid_ds *)&inf) >= id % 32768);
	CHECK(inf.used_ids >= 1);
	struct shmid_ds ds;
	CHECK_EQ(shmctl(id % 32768, SHM_STAT, &ds), id);
	CHECK_EQ(ds.shm_segsz, 4096);
	CHECK_OK(shmctl(id, IPC_RMID, NULL));
}

int main(int argc, char **argv)
{
	return RUN_TESTS(argc, argv, shm_private_fork_shares, shm_rmid_lives_until_last_detach,
			 shm_keys, shm_rdonly_and_addresses, shm_info);
}
